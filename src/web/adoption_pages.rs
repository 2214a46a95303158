//! Adoption tracking over HTTP, for organizers: the contest's adopted ideas (`/organize/contests/{slug}/adoption`),
//! one idea's page (`…/ideas/{id}/adoption`) with the plan, milestone (multipart, with photos) and finish forms,
//! and the same actions in the API. The rules live in `app::adoption`.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attachments::drain;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::forms::{first, form_pairs};
use super::i18n::Lang;
use super::pages::{Ctx, ctx_of, no_store, private_page, render, see_other};
use super::view::{self, Choice, href};
use super::{AppState, State};
use crate::access::Principal;
use crate::app::adoption as uc;
use crate::app::attachments::{Incoming, Staged, Uploads};
use crate::db::adoption::{AdoptedItem, MilestoneRow, PhotoRow};
use crate::db::{DbConn, catalog};
use crate::domain::adoption::{MAX_PHOTOS, MilestoneInput, PlanInput};
use crate::domain::listing::{ParamError, parse_idea_id};
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;

/// Text parts of the milestone form are small; anything bigger is not a browser's form.
const MAX_TEXT_PART: usize = 64 * 1024;
/// The most parts read from the milestone form.
const MAX_PARTS: usize = 16;

fn idea_id(raw: &str) -> Result<String, AppError> {
    parse_idea_id(raw).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))
}

/// A milestone photo in a page.
pub struct PhotoView {
    /// The file.
    pub href: String,
    /// Its preview.
    pub preview_href: String,
    /// Alternative text (the file's name is all we know; the milestone's text is beside it).
    pub alt: String,
}

/// A milestone in a page's timeline.
pub struct MilestoneView {
    /// "05/12/2026".
    pub date: String,
    /// `2026-12-05`, for `<time datetime>`.
    pub datetime: String,
    /// What was done.
    pub body: String,
    /// Progress after it.
    pub progress: i32,
    /// "Đạt 40%".
    pub progress_label: String,
    /// Its photos.
    pub photos: Vec<PhotoView>,
}

/// A timeline for pages.
pub fn timeline_views(lang: Lang, rows: Vec<(MilestoneRow, Vec<PhotoRow>)>) -> Vec<MilestoneView> {
    rows.into_iter()
        .map(|(m, photos)| MilestoneView {
            date: view::day(lang, m.happened_on),
            datetime: m.happened_on.format("%Y-%m-%d").to_string(),
            progress_label: lang.tf("adoption.progress", &[("percent", &m.progress.to_string())]),
            progress: m.progress.clamp(0, 100),
            photos: photos
                .into_iter()
                .enumerate()
                .map(|(i, p)| PhotoView {
                    href: format!("/milestone-photos/{}", p.id),
                    preview_href: format!("/milestone-photos/{}/preview", p.id),
                    alt: lang.tf("adoption.photo_alt", &[("n", &(i + 1).to_string())]),
                })
                .collect(),
            body: m.body,
        })
        .collect()
}

/// A milestone in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneDto {
    /// Id.
    pub id: String,
    /// When it happened (`YYYY-MM-DD`, Vietnam).
    pub happened_on: String,
    /// What was done.
    pub body: String,
    /// Progress after it, 0–100.
    pub progress: i32,
    /// Addresses of its photos.
    pub photos: Vec<String>,
}

/// A timeline for the API.
pub fn timeline_dtos(rows: Vec<(MilestoneRow, Vec<PhotoRow>)>) -> Vec<MilestoneDto> {
    rows.into_iter()
        .map(|(m, photos)| MilestoneDto {
            id: m.id,
            happened_on: m.happened_on.format("%Y-%m-%d").to_string(),
            body: m.body,
            progress: m.progress,
            photos: photos
                .into_iter()
                .map(|p| format!("/milestone-photos/{}", p.id))
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// The organizer's pages.

struct ListRowView {
    title: String,
    status_label: String,
    progress: Option<i32>,
    href: String,
}

#[derive(Template)]
#[template(path = "adoption_list.html")]
struct ListPage {
    ctx: Ctx,
    heading: String,
    rows: Vec<ListRowView>,
}

/// `GET /organize/contests/{slug}/adoption`: the contest's selected ideas and those being applied, each linking to
/// its tracking page.
pub async fn list_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, items) = state
        .with_conn(move |conn| {
            use crate::db::schema::{adoptions, ideas};
            use diesel::prelude::*;
            let contest = crate::app::contests::managed(conn, &who.0, &slug)?;
            let codes = crate::domain::status::codes_where(
                crate::domain::status::IdeaStatus::counts_as_selected,
            );
            let rows: Vec<(String, String, String, Option<i32>)> = ideas::table
                .left_join(adoptions::table)
                .filter(ideas::contest_id.eq(&contest.id))
                .filter(ideas::status.eq_any(codes))
                .order(ideas::title.asc())
                .select((
                    ideas::id,
                    ideas::title,
                    ideas::status,
                    adoptions::progress.nullable(),
                ))
                .load(conn)?;
            Ok((contest, rows))
        })
        .await?;
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let page = ListPage {
        heading: lang.tf("adoption.list_heading", &[("contest", &contest.title)]),
        rows: items
            .into_iter()
            .map(|(id, title, status, progress)| ListRowView {
                href: format!("/organize/contests/{}/ideas/{id}/adoption", contest.slug),
                title,
                status_label: view::status_label(lang, &status),
                progress,
            })
            .collect(),
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page)?))
}

/// What the idea's tracking page shows after a refused form: which form, what was typed, the problems.
#[derive(Default)]
struct Refused {
    form: &'static str,
    plan: PlanInput,
    milestone: MilestoneInput,
    outcome: String,
    reason: String,
    problems: Vec<FieldError>,
    alert: Option<String>,
}

#[derive(Template)]
#[template(path = "adoption.html")]
struct IdeaPage {
    ctx: Ctx,
    heading: String,
    status: String,
    status_label: String,
    public_href: String,
    list_href: String,
    action: String,
    milestone_action: String,
    finish_action: String,
    notice: Option<String>,
    alert: Option<String>,
    /// Which forms to show.
    can_adopt: bool,
    running: bool,
    units: Vec<Choice>,
    plan: String,
    planned_start: String,
    planned_end: String,
    happened_on: String,
    body: String,
    progress: String,
    outcome: String,
    reason: String,
    summary: Option<Summary>,
    timeline: Vec<MilestoneView>,
    errors: Vec<(String, String)>,
}

impl IdeaPage {
    /// The problems of one field, as sentences.
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

/// The adoption as it stands, for the page's summary.
struct Summary {
    unit: String,
    plan: String,
    dates: String,
    progress: i32,
    progress_label: String,
    ended: Option<String>,
    /// Why it was discontinued: the organizers see it here as the public sees it on the idea's page.
    end_reason: Option<String>,
}

type Loaded = (
    crate::db::catalog::Contest,
    crate::db::ideas::Idea,
    Option<AdoptedItem>,
    Vec<(MilestoneRow, Vec<PhotoRow>)>,
    Vec<catalog::Unit>,
);

fn load(conn: &mut DbConn, who: &Principal, slug: &str, id: &str) -> Result<Loaded, AppError> {
    let contest = crate::app::contests::managed(conn, who, slug)?;
    let idea = crate::app::lifecycle::idea_in(conn, &contest, id)?;
    let adoption = crate::db::adoption::adoption_of(conn, id)?;
    let timeline = crate::db::adoption::timeline(conn, id)?;
    let units = catalog::all_units(conn)?;
    Ok((contest, idea, adoption, timeline, units))
}

fn plan_dates(lang: Lang, a: &AdoptedItem) -> String {
    match (a.planned_start, a.planned_end) {
        (Some(s), Some(e)) => format!("{} – {}", view::day(lang, s), view::day(lang, e)),
        _ => String::new(),
    }
}

async fn idea_view(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    (slug, id): (String, String),
    notice: Option<String>,
    refused: Option<Refused>,
) -> Result<HttpResponse, AppError> {
    let (contest, idea, adoption, timeline, units) = state
        .with_conn(move |conn| load(conn, &who.0, &slug, &id))
        .await?;
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let status = IdeaStatus::parse(&idea.status);
    let r = refused.unwrap_or_default();
    let base = format!(
        "/organize/contests/{}/ideas/{}/adoption",
        contest.slug, idea.id
    );
    let typed_plan = (r.form == "plan").then_some(&r.plan);
    let chosen_unit = typed_plan
        .map(|p| p.unit.clone())
        .or_else(|| adoption.as_ref().map(|a| a.responsible_unit_slug.clone()))
        .unwrap_or_default();
    let date_input = |d: Option<chrono::NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let typed_milestone = (r.form == "milestone").then_some(&r.milestone);
    let errors = r
        .problems
        .iter()
        .map(|p| (p.field.clone(), super::validation::message(lang, p)))
        .collect();
    let page = IdeaPage {
        heading: lang.tf("adoption.heading", &[("title", &idea.title)]),
        status_label: view::status_label(lang, &idea.status),
        public_href: format!("/ideas/{}", idea.id),
        list_href: format!("/organize/contests/{}/adoption", contest.slug),
        milestone_action: href(
            &format!("{base}/milestones"),
            &[("_csrf", ctx.csrf.clone())],
        ),
        finish_action: format!("{base}/finish"),
        action: base,
        notice: lang.notice(notice.as_deref()),
        alert: r.alert.clone(),
        can_adopt: status == Some(IdeaStatus::Selected),
        running: status == Some(IdeaStatus::InImplementation),
        units: units
            .into_iter()
            .map(|u| Choice {
                selected: u.slug == chosen_unit,
                value: u.slug,
                label: u.name,
            })
            .collect(),
        plan: typed_plan
            .map(|p| p.plan.clone())
            .or_else(|| adoption.as_ref().map(|a| a.plan.clone()))
            .unwrap_or_default(),
        planned_start: typed_plan
            .map(|p| p.planned_start.clone())
            .unwrap_or_else(|| date_input(adoption.as_ref().and_then(|a| a.planned_start))),
        planned_end: typed_plan
            .map(|p| p.planned_end.clone())
            .unwrap_or_else(|| date_input(adoption.as_ref().and_then(|a| a.planned_end))),
        happened_on: typed_milestone
            .map(|m| m.happened_on.clone())
            .unwrap_or_else(|| uc::today_in_vietnam().format("%Y-%m-%d").to_string()),
        body: typed_milestone.map(|m| m.body.clone()).unwrap_or_default(),
        progress: typed_milestone
            .map(|m| m.progress.clone())
            .unwrap_or_else(|| {
                adoption
                    .as_ref()
                    .map(|a| a.progress.to_string())
                    .unwrap_or_default()
            }),
        outcome: r.outcome.clone(),
        reason: r.reason.clone(),
        summary: adoption.as_ref().map(|a| Summary {
            unit: a.responsible_unit.clone(),
            plan: a.plan.clone(),
            dates: plan_dates(lang, a),
            progress: a.progress.clamp(0, 100),
            progress_label: lang.tf("adoption.progress", &[("percent", &a.progress.to_string())]),
            ended: a.ended_at.map(|t| view::date(lang, t)),
            end_reason: a.end_reason.clone(),
        }),
        timeline: timeline_views(lang, timeline),
        errors,
        status: idea.status,
        ctx,
    };
    let code = if r.problems.is_empty() && r.alert.is_none() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(private_page(code, render(&page)?))
}

/// A notice to show after a form.
#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    /// The notice's code.
    pub notice: Option<String>,
}

/// `GET /organize/contests/{slug}/ideas/{id}/adoption`: the tracking page of one idea.
pub async fn idea_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    idea_view(&req, &state, who, (slug, id), q.notice.clone(), None).await
}

/// Turns a refusal of a form into the page shown again, or passes other errors on.
async fn refused_page(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    key: (String, String),
    err: AppError,
    mut refused: Refused,
) -> Result<HttpResponse, AppError> {
    let lang = ctx_of(req, state).lang;
    match err {
        AppError::Invalid(problems) => refused.problems = problems,
        AppError::Rule(code) => refused.alert = Some(lang.t(&format!("rule.{code}")).to_string()),
        AppError::Upload(p) => {
            refused.problems = vec![FieldError::new("photos", "photo_refused")];
            refused.alert = super::attachments::problem_message(
                lang,
                p.code(),
                state.config.max_upload_bytes / crate::domain::attachment::MB,
            );
        }
        e => return Err(e),
    }
    idea_view(req, state, who, key, None, Some(refused)).await
}

fn plan_input(pairs: &[(String, String)]) -> PlanInput {
    PlanInput {
        unit: first(pairs, "unit"),
        plan: first(pairs, "plan"),
        planned_start: first(pairs, "planned_start"),
        planned_end: first(pairs, "planned_end"),
    }
}

/// `POST /organize/contests/{slug}/ideas/{id}/adoption`: adopts a selected idea with its plan, or changes the plan
/// of one being applied.
pub async fn plan_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let input = plan_input(&form_pairs(&body));
    let (p, s, i, inp) = (who.0.clone(), slug.clone(), id.clone(), input.clone());
    let result = state
        .with_conn(move |conn| uc::save_plan(conn, &p, &s, &i, &inp))
        .await;
    match result {
        Ok(()) => {
            state.cache.bump();
            crate::mail::notify();
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/ideas/{id}/adoption"),
                &[("notice", "adoption_plan_saved".into())],
            )))
        }
        Err(e) => {
            let refused = Refused {
                form: "plan",
                plan: input,
                ..Refused::default()
            };
            refused_page(&req, &state, who, (slug, id), e, refused).await
        }
    }
}

/// Reads the milestone form (multipart): its text fields and up to [`MAX_PHOTOS`] photos, each counted, recognised
/// and written to a temporary file as it arrives (a refused file stops the upload; nothing is kept).
async fn read_milestone_form(
    state: &AppState,
    mut mp: Multipart,
) -> Result<(MilestoneInput, Vec<Staged>), AppError> {
    let budget = state.config.max_upload_bytes;
    let mut input = MilestoneInput::default();
    let mut photos: Vec<Staged> = Vec::new();
    let mut parts = 0;
    while let Some(part) = mp.next().await {
        let mut field = part.map_err(|e| AppError::BadRequest(e.to_string()))?;
        parts += 1;
        if parts > MAX_PARTS {
            drain(&mut mp, Some(field), budget).await;
            return Err(AppError::BadRequest("too many form parts".into()));
        }
        let name = field.name().unwrap_or_default().to_string();
        if name == "photos" {
            let client_name = field
                .content_disposition()
                .and_then(|cd| cd.get_filename().map(str::to_string))
                .unwrap_or_default();
            let uploads = Uploads::new(&state.config.data_dir);
            let mut incoming = Incoming::new(uploads, state.config.max_upload_bytes);
            let mut buf: Vec<u8> = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
                if let Err(problem) = incoming.check(&chunk) {
                    drop(incoming);
                    drain(&mut mp, Some(field), budget).await;
                    return Err(AppError::Upload(problem));
                }
                buf.extend_from_slice(&chunk);
                if buf.len() >= 256 * 1024 {
                    let (inc, b) = web::block(move || {
                        let r = incoming.write(&buf);
                        buf.clear();
                        r.map(|()| (incoming, buf))
                    })
                    .await??;
                    incoming = inc;
                    buf = b;
                }
            }
            // A file input left empty still sends a part, with no name and no bytes.
            if incoming.size() == 0 && client_name.is_empty() {
                continue;
            }
            if photos.len() >= MAX_PHOTOS {
                drain(&mut mp, None, budget).await;
                return Err(AppError::Invalid(vec![
                    FieldError::new("photos", "too_many_photos").with("max", MAX_PHOTOS),
                ]));
            }
            let staged = web::block(move || {
                incoming.write(&buf)?;
                incoming.finish(&client_name)
            })
            .await??;
            photos.push(staged);
        } else {
            let mut text: Vec<u8> = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
                if text.len() + chunk.len() > MAX_TEXT_PART {
                    drain(&mut mp, Some(field), budget).await;
                    return Err(AppError::BadRequest("form field too large".into()));
                }
                text.extend_from_slice(&chunk);
            }
            let value = String::from_utf8_lossy(&text).into_owned();
            match name.as_str() {
                "happened_on" => input.happened_on = value,
                "body" => input.body = value,
                "progress" => input.progress = value,
                _ => {}
            }
        }
    }
    Ok((input, photos))
}

/// `POST /organize/contests/{slug}/ideas/{id}/adoption/milestones?_csrf=…` (multipart: `happened_on`, `body`,
/// `progress`, `photos`): adds a milestone. The CSRF token travels in the query string because the middleware does
/// not read multipart bodies.
pub async fn milestone_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    mp: Multipart,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let (input, photos) = match read_milestone_form(&state, mp).await {
        Ok(x) => x,
        Err(e) => {
            let refused = Refused {
                form: "milestone",
                ..Refused::default()
            };
            return refused_page(&req, &state, who, (slug, id), e, refused).await;
        }
    };
    let uploads = Uploads::new(&state.config.data_dir);
    let (p, s, i, inp) = (who.0.clone(), slug.clone(), id.clone(), input.clone());
    let result = state
        .with_conn(move |conn| uc::add_milestone(conn, &uploads, &p, &s, &i, &inp, photos))
        .await;
    match result {
        Ok(_) => {
            state.cache.bump();
            crate::mail::notify();
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/ideas/{id}/adoption"),
                &[("notice", "milestone_added".into())],
            )))
        }
        Err(e) => {
            let refused = Refused {
                form: "milestone",
                milestone: input,
                ..Refused::default()
            };
            refused_page(&req, &state, who, (slug, id), e, refused).await
        }
    }
}

/// `POST /organize/contests/{slug}/ideas/{id}/adoption/finish` (`outcome`, `reason`).
pub async fn finish_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let pairs = form_pairs(&body);
    let (outcome, reason) = (first(&pairs, "outcome"), first(&pairs, "reason"));
    let (p, s, i, o, r) = (
        who.0.clone(),
        slug.clone(),
        id.clone(),
        outcome.clone(),
        reason.clone(),
    );
    let result = state
        .with_conn(move |conn| uc::finish(conn, &p, &s, &i, &o, &r))
        .await;
    match result {
        Ok(()) => {
            state.cache.bump();
            crate::mail::notify();
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/ideas/{id}/adoption"),
                &[("notice", "adoption_finished".into())],
            )))
        }
        Err(e) => {
            let refused = Refused {
                form: "finish",
                outcome,
                reason,
                ..Refused::default()
            };
            refused_page(&req, &state, who, (slug, id), e, refused).await
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The API.

/// A plan for applying a selected idea.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanBody {
    /// The responsible unit's slug (`422 unknown_unit` when no unit has it).
    #[serde(default)]
    #[schema(required = true, pattern = r"\S")]
    pub unit: String,
    /// What will be done, by whom, how (10–4,000 characters, not counting white space around it).
    #[serde(default)]
    #[schema(required = true, pattern = r"^\s*\S[\s\S]{8,3998}\S\s*$")]
    pub plan: String,
    /// Planned start, `YYYY-MM-DD` (also accepted: `DD/MM/YYYY`; the 29th–31st too, when the month has them).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub planned_start: String,
    /// Planned end, `YYYY-MM-DD`, not before the start (`422 end_before_start`).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub planned_end: String,
}

/// A milestone update.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MilestoneBody {
    /// When it happened, `YYYY-MM-DD`, not after today (Vietnam; `422 date_in_future`).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub happened_on: String,
    /// What was done (10–4,000 characters, not counting white space around it).
    #[serde(default)]
    #[schema(required = true, pattern = r"^\s*\S[\s\S]{8,3998}\S\s*$")]
    pub body: String,
    /// The progress it brought the idea to, 0–100 (a string of digits is accepted too).
    #[serde(default)]
    #[schema(value_type = u8, required = true, minimum = 0, maximum = 100)]
    pub progress: Option<serde_json::Value>,
}

/// The end of an idea's application.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FinishBody {
    /// `implemented` or `discontinued`.
    #[serde(default)]
    #[schema(required = true, pattern = r"^\s*(implemented|discontinued)\s*$")]
    pub outcome: String,
    /// Why, at most 2,000 characters (required for `discontinued`: `422 reason_required`).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// An idea's adoption as the organizer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionStateDto {
    /// The idea.
    pub idea_id: String,
    /// Its state.
    pub status: String,
    /// The responsible unit's slug.
    pub unit: String,
    /// The plan.
    pub plan: String,
    /// Planned start (`YYYY-MM-DD`).
    pub planned_start: Option<String>,
    /// Planned end (`YYYY-MM-DD`).
    pub planned_end: Option<String>,
    /// Progress, 0–100.
    pub progress: i32,
    /// The milestones, latest first.
    pub milestones: Vec<MilestoneDto>,
}

async fn adoption_state(state: &State, id: String) -> Result<AdoptionStateDto, AppError> {
    state
        .with_conn(move |conn| {
            let a = crate::db::adoption::adoption_of(conn, &id)?
                .ok_or(AppError::NotFound("adoption"))?;
            let timeline = crate::db::adoption::timeline(conn, &id)?;
            Ok(AdoptionStateDto {
                idea_id: a.id,
                status: a.status,
                unit: a.responsible_unit_slug,
                plan: a.plan,
                planned_start: a.planned_start.map(|d| d.format("%Y-%m-%d").to_string()),
                planned_end: a.planned_end.map(|d| d.format("%Y-%m-%d").to_string()),
                progress: a.progress,
                milestones: timeline_dtos(timeline),
            })
        })
        .await
}

/// Adopts a selected idea with its plan (it moves to `in_implementation`; the authors are emailed), or changes the
/// plan of an idea being applied (the authors are emailed the new plan).
#[utoipa::path(put, path = "/api/v1/contests/{slug}/ideas/{id}/adoption", tag = "adoption",
    request_body = PlanBody,
    params(("slug" = String, Path, description = "Contest slug"), ("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = AdoptionStateDto), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_plan(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Json<PlanBody>,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let b = body.into_inner();
    let input = PlanInput {
        unit: b.unit,
        plan: b.plan,
        planned_start: b.planned_start,
        planned_end: b.planned_end,
    };
    let i = id.clone();
    state
        .with_conn(move |conn| uc::save_plan(conn, &who.0, &slug, &i, &input))
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(no_store(HttpResponse::Ok()).json(adoption_state(&state, id).await?))
}

/// Adds a milestone to an idea being applied: its progress and latest update change, the authors are emailed.
/// Sent as `multipart/form-data` instead (fields `happened_on`, `body`, `progress`, and up to four `photos`), it
/// carries photos too, as the organizer's page does.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/ideas/{id}/milestones", tag = "adoption",
    request_body = MilestoneBody,
    params(("slug" = String, Path, description = "Contest slug"), ("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 201, body = AdoptionStateDto), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_milestone(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Json<MilestoneBody>,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let b = body.into_inner();
    let input = MilestoneInput {
        happened_on: b.happened_on,
        body: b.body,
        // A number or a string of digits; anything else is refused by the range rule.
        progress: match b.progress {
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) => s,
            _ => String::new(),
        },
    };
    let uploads = Uploads::new(&state.config.data_dir);
    let i = id.clone();
    state
        .with_conn(move |conn| {
            uc::add_milestone(conn, &uploads, &who.0, &slug, &i, &input, Vec::new())
        })
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(no_store(HttpResponse::Created()).json(adoption_state(&state, id).await?))
}

/// The multipart form of [`api_milestone`], with photos (routed by its content type).
pub async fn api_milestone_form(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    mp: Multipart,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let (input, photos) = read_milestone_form(&state, mp).await?;
    let uploads = Uploads::new(&state.config.data_dir);
    let i = id.clone();
    state
        .with_conn(move |conn| uc::add_milestone(conn, &uploads, &who.0, &slug, &i, &input, photos))
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(no_store(HttpResponse::Created()).json(adoption_state(&state, id).await?))
}

/// Whether a request's body is a multipart form (the milestone API takes JSON or a form with photos).
pub fn is_multipart(ctx: &actix_web::guard::GuardContext) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Ends an idea's application: `implemented` (progress 100) or `discontinued` (a reason required).
#[utoipa::path(post, path = "/api/v1/contests/{slug}/ideas/{id}/adoption/finish", tag = "adoption",
    request_body = FinishBody,
    params(("slug" = String, Path, description = "Contest slug"), ("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = AdoptionStateDto), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_finish(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Json<FinishBody>,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = idea_id(&raw)?;
    let b = body.into_inner();
    let i = id.clone();
    state
        .with_conn(move |conn| uc::finish(conn, &who.0, &slug, &i, &b.outcome, &b.reason))
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(no_store(HttpResponse::Ok()).json(adoption_state(&state, id).await?))
}

// ---------------------------------------------------------------------------------------------------------------
// Photos.

async fn serve_photo(
    req: HttpRequest,
    state: State,
    raw: &str,
    preview: bool,
) -> Result<HttpResponse, AppError> {
    let id = parse_idea_id(raw).ok_or(AppError::NotFound("photo"))?;
    let (p, public) = state
        .with_conn(move |conn| {
            crate::db::adoption::photo(conn, &id)?.ok_or(AppError::NotFound("photo"))
        })
        .await?;
    // Milestones are public news of public ideas; a photo of an idea that is not public is not found.
    if !public {
        return Err(AppError::NotFound("photo"));
    }
    let att = crate::db::attachments::Attachment {
        id: p.id,
        idea_id: String::new(),
        file_name: p.file_name,
        content_type: p.content_type,
        size_bytes: p.size_bytes,
        storage_key: p.storage_key,
        created_at: p.created_at,
    };
    super::attachments::deliver(req, state, att, true, preview).await
}

/// `GET /milestone-photos/{id}`: a milestone's photo.
pub async fn photo(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve_photo(req, state, &path, false).await
}

/// `GET /milestone-photos/{id}/preview`: its resized JPEG.
pub async fn photo_preview(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve_photo(req, state, &path, true).await
}
