//! Organizer pages and API of the review workflow: the screening queue.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::forms::Form;
use super::pages::{Ctx, ctx_of, private_page, render, see_other};
use super::view::{self, href};
use crate::app::screening::{self, QueueRow, Verdict};
use crate::domain::listing::ParamError;
use crate::domain::status::IdeaStatus;

/// The states the screening queue can show: waiting, and the two outcomes (to review what was decided).
const QUEUE_STATES: [IdeaStatus; 3] = [
    IdeaStatus::Submitted,
    IdeaStatus::Eligible,
    IdeaStatus::Ineligible,
];

fn queue_state(code: Option<&str>) -> Result<IdeaStatus, AppError> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(IdeaStatus::Submitted),
        Some(c) => IdeaStatus::parse(c)
            .filter(|s| QUEUE_STATES.contains(s))
            .ok_or(AppError::BadParam(ParamError::new(
                "status",
                "unknown_value",
            ))),
    }
}

/// `?status=` of the screening queue.
#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// `submitted` (default: waiting for screening), `eligible` or `ineligible`.
    pub status: Option<String>,
    /// A notice to show after a form (pages only).
    #[param(ignore)]
    pub notice: Option<String>,
}

/// An idea in the screening queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemDto {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// State code.
    pub status: String,
    /// Category slug.
    pub category: String,
    /// The idea's unit.
    pub unit: String,
    /// The author's name.
    pub author: String,
    /// When it was submitted (RFC 3339, UTC).
    pub submitted_at: Option<String>,
}

/// A contest's screening queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDto {
    /// Contest slug.
    pub contest: String,
    /// The state listed.
    pub status: String,
    /// The ideas, oldest submission first (at most 500).
    pub items: Vec<QueueItemDto>,
}

/// A screening decision on one or more ideas.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScreenBody {
    /// The ideas (submitted ideas of this contest; at most 500).
    #[serde(default)]
    pub ids: Vec<String>,
    /// `eligible` or `ineligible`.
    #[serde(default)]
    pub decision: String,
    /// Why (required for `ineligible`; sent to the author).
    #[serde(default)]
    pub reason: String,
}

/// How many ideas a screening request moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenedDto {
    /// Ideas moved.
    pub moved: usize,
    /// Their new state.
    pub status: String,
}

async fn load_queue(
    state: &State,
    who: SignedIn,
    slug: String,
    status: IdeaStatus,
) -> Result<(crate::db::catalog::Contest, Vec<QueueRow>), AppError> {
    state
        .with_conn(move |conn| screening::queue(conn, &who.0, &slug, status))
        .await
}

/// The screening queue of a contest: its submitted ideas waiting for screening (or, with `status`, those already
/// found eligible or ineligible). Organizers of the contest's unit only.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/screening", tag = "review",
    params(("slug" = String, Path, description = "Contest slug"), QueueQuery),
    responses((status = 200, body = QueueDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_queue(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let status = queue_state(q.status.as_deref())?;
    let (contest, rows) = load_queue(&state, who, path.into_inner(), status).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(QueueDto {
            contest: contest.slug,
            status: status.code().into(),
            items: rows
                .into_iter()
                .map(|r| QueueItemDto {
                    submitted_at: r.submitted_at.map(view::rfc3339),
                    id: r.id,
                    title: r.title,
                    summary: r.summary,
                    status: r.status,
                    category: r.category,
                    unit: r.unit,
                    author: r.author,
                })
                .collect(),
        }))
}

/// Screens ideas: marks each of `ids` eligible, or ineligible with a reason the authors are emailed. All or
/// nothing: if any id is not a submitted idea of this contest, nothing changes and each such id is named by its
/// position (`fields.ids[].params.index`, counting from 0).
#[utoipa::path(post, path = "/api/v1/contests/{slug}/screening", tag = "review", request_body = ScreenBody,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = ScreenedDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_screen(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<ScreenBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let verdict = Verdict::parse(&body.decision);
    let slug = path.into_inner();
    let moved = state
        .with_conn(move |conn| {
            screening::screen(conn, &who.0, &slug, &body.ids, verdict, &body.reason)
        })
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ScreenedDto {
            moved,
            status: verdict
                .map(|v| {
                    match v {
                        Verdict::Eligible => IdeaStatus::Eligible,
                        Verdict::Ineligible => IdeaStatus::Ineligible,
                    }
                    .code()
                })
                .unwrap_or_default()
                .into(),
        }))
}

/// A row of the screening page.
struct Row {
    id: String,
    title: String,
    summary: String,
    category: String,
    unit: String,
    author: String,
    submitted: String,
    submitted_datetime: String,
    checked: bool,
}

/// A tab of the page (one per state).
struct Tab {
    href: String,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "screening.html")]
struct ScreeningPage {
    ctx: Ctx,
    heading: String,
    action: String,
    edit_href: String,
    notice: Option<String>,
    tabs: Vec<Tab>,
    waiting: bool,
    rows: Vec<Row>,
    form: Form,
}

/// What the screening page shows besides the queue: which tab, a notice, the form's state, the answer's status.
struct Shown {
    status: IdeaStatus,
    notice: Option<String>,
    form: Form,
    code: StatusCode,
}

async fn render_page(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let Shown {
        status,
        notice,
        form,
        code,
    } = shown;
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let (contest, rows) = load_queue(state, who, slug, status).await?;
    let checked: Vec<&str> = form
        .values
        .get("ids")
        .map(|v| v.split(',').collect())
        .unwrap_or_default();
    let base = format!("/organize/contests/{}/screening", contest.slug);
    let page = ScreeningPage {
        heading: lang.tf("screening.heading", &[("contest", &contest.title)]),
        action: base.clone(),
        edit_href: format!("/organize/contests/{}/edit", contest.slug),
        notice: lang.notice(notice.as_deref()),
        tabs: QUEUE_STATES
            .iter()
            .map(|s| Tab {
                href: href(&base, &[("status", s.code().into())]),
                label: lang.t(&format!("screening.tab.{}", s.code())),
                current: *s == status,
            })
            .collect(),
        waiting: status == IdeaStatus::Submitted,
        rows: rows
            .into_iter()
            .map(|r| Row {
                checked: checked.contains(&r.id.as_str()),
                submitted: r
                    .submitted_at
                    .map(|t| view::date_time(lang, t))
                    .unwrap_or_default(),
                submitted_datetime: r.submitted_at.map(view::rfc3339).unwrap_or_default(),
                category: if lang.code() == "en" {
                    r.category_en
                } else {
                    r.category_vi
                },
                id: r.id,
                title: r.title,
                summary: r.summary,
                unit: r.unit,
                author: r.author,
            })
            .collect(),
        form,
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// `GET /organize/contests/{slug}/screening`: the screening queue, with a checkbox per idea and the two decisions.
pub async fn page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let status = queue_state(q.status.as_deref())?;
    let ctx = ctx_of(&req, &state);
    let form = Form::new(ctx.lang, ctx.csrf.clone());
    let notice = q.notice.clone();
    render_page(
        &req,
        &state,
        who,
        path.into_inner(),
        Shown {
            status,
            notice,
            form,
            code: StatusCode::OK,
        },
    )
    .await
}

/// `POST /organize/contests/{slug}/screening`: the checked ideas (`ids`, repeated), the decision (the button
/// pressed) and the reason. A refused request shows the queue again with the boxes still checked and the reason kept.
pub async fn submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| v.clone())
        .collect();
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let decision = one("decision");
    let reason = one("reason");
    let verdict = Verdict::parse(&decision);
    let principal = who.0.clone();
    let (s2, ids2, reason2) = (slug.clone(), ids.clone(), reason.clone());
    let result = state
        .with_conn(move |conn| screening::screen(conn, &principal, &s2, &ids2, verdict, &reason2))
        .await;
    match result {
        Ok(_) => {
            state.cache.bump();
            crate::mail::notify();
            let notice = if verdict == Some(Verdict::Ineligible) {
                "screened_ineligible"
            } else {
                "screened_eligible"
            };
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/screening"),
                &[("notice", notice.into())],
            )))
        }
        Err(AppError::Invalid(problems)) => {
            let ctx = ctx_of(&req, &state);
            let mut form = Form {
                problems,
                ..Form::new(ctx.lang, ctx.csrf.clone())
            };
            form.values.insert("ids".into(), ids.join(","));
            form.values.insert("reason".into(), reason);
            render_page(
                &req,
                &state,
                who,
                slug,
                Shown {
                    status: IdeaStatus::Submitted,
                    notice: None,
                    form,
                    code: StatusCode::BAD_REQUEST,
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `?before=` of the audit log: the last event id of the previous page.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LogQuery {
    /// The last event id of the previous page.
    pub before: Option<String>,
}

/// One event of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryDto {
    /// Event id.
    pub id: String,
    /// When (RFC 3339, Vietnam time).
    pub at: String,
    /// What happened: `transition`, `created`, `edited`, `imported`, …
    pub kind: String,
    /// State before (transitions).
    pub from_status: Option<String>,
    /// State after (transitions).
    pub to_status: Option<String>,
    /// The reason or rationale given.
    pub reason: Option<String>,
    /// The idea concerned.
    pub idea_id: Option<String>,
    /// Its title.
    pub idea_title: Option<String>,
    /// Who did it (`null`: the portal itself).
    pub actor: Option<String>,
}

/// A page of a contest's audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogDto {
    /// Contest slug.
    pub contest: String,
    /// Newest first, at most 100.
    pub items: Vec<LogEntryDto>,
    /// `before` for the next page, if there is one.
    pub next: Option<String>,
}

async fn load_log(
    state: &State,
    who: SignedIn,
    slug: String,
    before: Option<String>,
) -> Result<
    (
        crate::db::catalog::Contest,
        Vec<crate::app::audit::LogRow>,
        Option<String>,
    ),
    AppError,
> {
    state
        .with_conn(move |conn| {
            crate::app::audit::contest_log(conn, &who.0, &slug, before.as_deref())
        })
        .await
}

/// The audit log of a contest, newest first: every transition, screening, assignment, recusal, score change and
/// decision with who, when and why. Read only. Organizers of the contest's unit only.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/audit", tag = "review",
    params(("slug" = String, Path, description = "Contest slug"), LogQuery),
    responses((status = 200, body = LogDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_log(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let (contest, rows, next) =
        load_log(&state, who, path.into_inner(), q.into_inner().before).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LogDto {
            contest: contest.slug,
            items: rows
                .into_iter()
                .map(|r| LogEntryDto {
                    at: view::rfc3339(r.created_at),
                    id: r.id,
                    kind: r.kind,
                    from_status: r.from_status,
                    to_status: r.to_status,
                    reason: r.reason,
                    idea_id: r.idea_id,
                    idea_title: r.idea_title,
                    actor: r.actor,
                })
                .collect(),
            next,
        }))
}

struct LogLine {
    at: String,
    at_datetime: String,
    what: String,
    idea: String,
    actor: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct LogPage {
    ctx: Ctx,
    heading: String,
    edit_href: String,
    lines: Vec<LogLine>,
    next_href: Option<String>,
}

/// `GET /organize/contests/{slug}/audit`: the audit log, 100 events a page.
pub async fn log_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let (contest, rows, next) =
        load_log(&state, who, path.into_inner(), q.into_inner().before).await?;
    let page = LogPage {
        heading: lang.tf("audit.heading", &[("contest", &contest.title)]),
        edit_href: format!("/organize/contests/{}/edit", contest.slug),
        next_href: next.map(|n| {
            href(
                &format!("/organize/contests/{}/audit", contest.slug),
                &[("before", n)],
            )
        }),
        lines: rows
            .into_iter()
            .map(|r| LogLine {
                at: view::date_time(lang, r.created_at),
                at_datetime: view::rfc3339(r.created_at),
                what: super::idea_pages::event_label(lang, &r.kind, r.to_status.as_deref()),
                idea: r.idea_title.unwrap_or_default(),
                actor: r
                    .actor
                    .unwrap_or_else(|| lang.t("audit.system").to_string()),
                reason: r.reason.unwrap_or_default(),
            })
            .collect(),
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page)?))
}
