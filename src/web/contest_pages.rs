//! Organizer pages and API for contests: list, create, edit, and the groups of near-duplicate ideas.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::forms::{Form, first, form_pairs};
use super::pages::{Ctx, ctx_of, private_page, render, see_other};
use super::view::{self, Choice, href};
use super::{AppState, State};
use crate::access::Principal;
use crate::app::contests::{self, ContestInput, to_local_input};
use crate::app::similar;
use crate::db::catalog;
use crate::domain::status::IdeaStatus;

struct ContestRow {
    title: String,
    edit_href: String,
    import_href: String,
    duplicates_href: String,
    screening_href: String,
    audit_href: String,
    rubric_href: String,
    decisions_href: String,
    adoption_href: String,
    vote_href: String,
    results_href: String,
    panel_href: String,
    assignments_href: String,
    conflicts_href: String,
}

#[derive(Template)]
#[template(path = "organize_contests.html")]
struct ListPage {
    ctx: Ctx,
    notice: Option<String>,
    contests: Vec<ContestRow>,
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `GET /organize/contests`: the contests of the organizer's units.
pub async fn list(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let mine = state
        .with_conn(move |conn| contests::manageable(conn, &who.0))
        .await?;
    let body = render(&ListPage {
        notice: lang.notice(q.notice.as_deref()),
        contests: mine
            .into_iter()
            .map(|c| ContestRow {
                edit_href: format!("/organize/contests/{}/edit", c.slug),
                import_href: format!("/organize/contests/{}/import", c.slug),
                duplicates_href: format!("/organize/contests/{}/duplicates", c.slug),
                screening_href: format!("/organize/contests/{}/screening", c.slug),
                audit_href: format!("/organize/contests/{}/audit", c.slug),
                rubric_href: format!("/organize/contests/{}/rubric", c.slug),
                decisions_href: format!("/organize/contests/{}/decisions", c.slug),
                adoption_href: format!("/organize/contests/{}/adoption", c.slug),
                vote_href: format!("/organize/contests/{}/peoples-choice", c.slug),
                results_href: format!("/organize/contests/{}/results", c.slug),
                panel_href: format!("/organize/contests/{}/panel", c.slug),
                assignments_href: format!("/organize/contests/{}/assignments", c.slug),
                conflicts_href: format!("/organize/contests/{}/conflicts", c.slug),
                title: c.title,
            })
            .collect(),
        ctx,
    })?;
    Ok(private_page(StatusCode::OK, body))
}

#[derive(Template)]
#[template(path = "contest_form.html")]
struct FormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    /// When editing: the contest's near-duplicate report.
    duplicates_href: Option<String>,
    form: Form,
    units: Vec<Choice>,
    categories: Vec<Choice>,
}

/// The submitted form as pairs (checkbox groups repeat their name).
fn input_from(pairs: &[(String, String)]) -> ContestInput {
    let one = |k: &str| first(pairs, k);
    ContestInput {
        title: one("title"),
        slug: one("slug"),
        unit: one("unit"),
        description: one("description"),
        rules: one("rules"),
        opens_at: one("opens_at"),
        closes_at: one("closes_at"),
        max_ideas_per_member: one("max_ideas_per_member"),
        ideas_public: one("ideas_public") == "true",
        blind_review: one("blind_review") == "true",
        categories: pairs
            .iter()
            .filter(|(n, _)| n == "categories")
            .map(|(_, v)| v.clone())
            .collect(),
        new_categories: one("new_categories"),
    }
}

async fn render_form(
    req: &HttpRequest,
    state: &AppState,
    who: Principal,
    (heading, action): (&str, String),
    form: Form,
    chosen: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let (units, cats) = state
        .with_conn(move |conn| {
            Ok((
                contests::units_in_scope(conn, &who)?,
                catalog::all_categories(conn)?,
            ))
        })
        .await?;
    let body = render(&FormPage {
        heading: lang.t(heading).into(),
        // The edit form posts to /organize/contests/{slug}/edit; the report sits beside it.
        duplicates_href: action
            .strip_suffix("/edit")
            .map(|contest| format!("{contest}/duplicates")),
        action,
        units: units
            .into_iter()
            .map(|u| Choice {
                value: u.slug,
                label: u.name,
                selected: false,
            })
            .collect(),
        categories: cats
            .iter()
            .map(|c| Choice {
                selected: chosen.contains(&c.slug),
                value: c.slug.clone(),
                label: c.name(lang.code()).into(),
            })
            .collect(),
        form,
        ctx,
    })?;
    Ok(private_page(status, body))
}

fn form_with(ctx: &Ctx, values: &[(String, String)]) -> Form {
    let mut form = Form::new(ctx.lang, ctx.csrf.clone());
    for (k, v) in values {
        if k != "categories" && k != "_csrf" {
            form.values.insert(k.clone(), v.clone());
        }
    }
    form
}

/// `GET /organize/contests/new`: an empty form with the default categories ticked.
pub async fn new_form(
    req: HttpRequest,
    state: State,
    who: SignedIn,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(&req, &state);
    let defaults: Vec<(String, String)> = vec![
        ("max_ideas_per_member".into(), "5".into()),
        ("ideas_public".into(), "true".into()),
        ("blind_review".into(), "true".into()),
    ];
    let form = form_with(&ctx, &defaults);
    let chosen = crate::demo::DEFAULT_CATEGORIES
        .iter()
        .map(|(s, _, _)| s.to_string())
        .collect();
    render_form(
        &req,
        &state,
        who.0,
        ("contest_form.new_title", "/organize/contests/new".into()),
        form,
        chosen,
        StatusCode::OK,
    )
    .await
}

/// `POST /organize/contests/new`.
pub async fn create(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let values = form_pairs(&body);
    let input = input_from(&values);
    let principal = who.0.clone();
    let input2 = input.clone();
    match state
        .with_conn(move |conn| contests::create(conn, &principal, &input2))
        .await
    {
        Ok(_) => {
            state.cache.bump();
            Ok(see_other(&href(
                "/organize/contests",
                &[("notice", "contest_saved".into())],
            )))
        }
        Err(AppError::Invalid(problems)) => {
            let ctx = ctx_of(&req, &state);
            let form = Form {
                problems,
                ..form_with(&ctx, &values)
            };
            render_form(
                &req,
                &state,
                who.0,
                ("contest_form.new_title", "/organize/contests/new".into()),
                form,
                input.categories,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `GET /organize/contests/{slug}/edit`.
pub async fn edit_form(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let principal = who.0.clone();
    let s2 = slug.clone();
    let (contest, unit, cats) = state
        .with_conn(move |conn| {
            let c = contests::manageable(conn, &principal)?
                .into_iter()
                .find(|c| c.slug == s2)
                .ok_or(AppError::NotFound("contest"))?;
            let unit = catalog::unit_by_id(conn, &c.unit_id)?
                .map(|u| u.slug)
                .unwrap_or_default();
            let cats = catalog::contest_categories_of(conn, &c.id)?;
            Ok((c, unit, cats))
        })
        .await?;
    let ctx = ctx_of(&req, &state);
    let values: Vec<(String, String)> = vec![
        ("title".into(), contest.title.clone()),
        ("slug".into(), contest.slug.clone()),
        ("unit".into(), unit),
        ("description".into(), contest.description.clone()),
        ("rules".into(), contest.rules.clone()),
        ("opens_at".into(), to_local_input(contest.opens_at)),
        ("closes_at".into(), to_local_input(contest.closes_at)),
        (
            "max_ideas_per_member".into(),
            contest.max_ideas_per_member.to_string(),
        ),
        ("ideas_public".into(), contest.ideas_public.to_string()),
        ("blind_review".into(), contest.blind_review.to_string()),
    ];
    let form = form_with(&ctx, &values);
    let action = format!("/organize/contests/{slug}/edit");
    render_form(
        &req,
        &state,
        who.0,
        ("contest_form.edit_title", action),
        form,
        cats.into_iter().map(|c| c.slug).collect(),
        StatusCode::OK,
    )
    .await
}

/// `POST /organize/contests/{slug}/edit`.
pub async fn update(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let values = form_pairs(&body);
    let input = input_from(&values);
    let principal = who.0.clone();
    let (s2, input2) = (slug.clone(), input.clone());
    match state
        .with_conn(move |conn| contests::update(conn, &principal, &s2, &input2))
        .await
    {
        Ok(_) => {
            state.cache.bump();
            Ok(see_other(&href(
                "/organize/contests",
                &[("notice", "contest_saved".into())],
            )))
        }
        Err(AppError::Invalid(problems)) => {
            let ctx = ctx_of(&req, &state);
            let form = Form {
                problems,
                ..form_with(&ctx, &values)
            };
            let action = format!("/organize/contests/{slug}/edit");
            render_form(
                &req,
                &state,
                who.0,
                ("contest_form.edit_title", action),
                form,
                input.categories,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// Create a contest in a unit of the organizer's subtree.
#[utoipa::path(post, path = "/api/v1/contests", tag = "contests", request_body = ContestInput,
    responses((status = 201, body = super::api::ContestDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_create(
    state: State,
    who: SignedIn,
    body: web::Json<ContestInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let dto = state
        .with_conn(move |conn| {
            let c = contests::create(conn, &who.0, &input)?;
            super::api::contest_dto(conn, c)
        })
        .await?;
    state.cache.bump();
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(dto))
}

/// Replace a contest's settings (the organizer's scope must cover it).
#[utoipa::path(patch, path = "/api/v1/contests/{slug}", tag = "contests", request_body = ContestInput,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = super::api::ContestDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_update(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<ContestInput>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let input = body.into_inner();
    let dto = state
        .with_conn(move |conn| {
            let c = contests::update(conn, &who.0, &slug, &input)?;
            super::api::contest_dto(conn, c)
        })
        .await?;
    state.cache.bump();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(dto))
}

/// An idea of a near-duplicate group, as the page shows it.
struct DuplicateRow {
    /// The public page, when the idea is public.
    href: Option<String>,
    title: String,
    author: String,
    unit: String,
    submitted: String,
    submitted_datetime: String,
    status: String,
    status_label: String,
    score: String,
}

/// A group as the page shows it.
struct DuplicateBox {
    heading: String,
    rows: Vec<DuplicateRow>,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "contest_duplicates.html")]
struct DuplicatesPage {
    ctx: Ctx,
    heading: String,
    edit_href: String,
    summary: String,
    capped: Option<String>,
    shown_note: Option<String>,
    groups: Vec<DuplicateBox>,
}

fn percent(score: f64) -> String {
    format!("{}%", (score * 100.0).round() as i64)
}

/// The near-duplicate report of the contest in the path, for the organizer (on the blocking pool: a large contest
/// takes a second or two).
async fn report(
    state: &State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<similar::DuplicateReport, AppError> {
    let slug = path.into_inner();
    state
        .with_conn(move |conn| similar::duplicates(conn, &who.0, &slug))
        .await
}

/// `GET /organize/contests/{slug}/duplicates`: groups of near-duplicate ideas among the contest's submitted ideas
/// (the organizer's own units' contests only).
pub async fn duplicates(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let report = report(&state, who, path).await?;
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let count = |n: usize| view::count(lang, n as i64);
    let groups = report
        .groups
        .iter()
        .enumerate()
        .map(|(n, g)| DuplicateBox {
            heading: lang.tf(
                "duplicates.group",
                &[
                    ("n", &(n + 1).to_string()),
                    ("count", &count(g.ideas.len() + g.more)),
                    ("percent", &percent(g.best)),
                ],
            ),
            rows: g
                .ideas
                .iter()
                .map(|i| DuplicateRow {
                    href: i.public.then(|| format!("/ideas/{}", i.id)),
                    title: i.title.clone(),
                    author: i.author.clone(),
                    unit: i.unit.clone(),
                    submitted: i
                        .submitted_at
                        .map(|t| view::date_time(lang, t))
                        .unwrap_or_default(),
                    submitted_datetime: i.submitted_at.map(view::rfc3339).unwrap_or_default(),
                    status: i.status.code().to_string(),
                    status_label: lang.t(&i.status.label_key()).to_string(),
                    score: percent(i.score),
                })
                .collect(),
            more: (g.more > 0).then(|| lang.tf("duplicates.more", &[("count", &count(g.more))])),
        })
        .collect();
    let body = render(&DuplicatesPage {
        heading: lang.tf("duplicates.title", &[("contest", &report.contest.title)]),
        edit_href: format!("/organize/contests/{}/edit", report.contest.slug),
        summary: lang.tf(
            "duplicates.summary",
            &[
                ("compared", &count(report.compared)),
                ("groups", &count(report.total_groups)),
                ("percent", &percent(similar::DUPLICATE_THRESHOLD)),
            ],
        ),
        capped: report.capped.then(|| {
            lang.tf(
                "duplicates.capped",
                &[("count", &view::count(lang, similar::MAX_COMPARED))],
            )
        }),
        shown_note: (report.total_groups > report.groups.len()).then(|| {
            lang.tf(
                "duplicates.shown",
                &[("count", &count(report.groups.len()))],
            )
        }),
        groups,
        ctx,
    })?;
    Ok(private_page(StatusCode::OK, body))
}

/// An idea of a near-duplicate group.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateIdeaDto {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The main author's name.
    pub author: String,
    /// The idea's unit.
    pub unit: String,
    /// Status.
    pub status: IdeaStatus,
    /// First submitted (RFC 3339, Vietnam time).
    pub submitted_at: Option<String>,
    /// Its best score against another idea of the group (0–1).
    pub score: f64,
    /// The idea's public page; `null` while the idea is not public.
    pub url: Option<String>,
}

/// A group of near-duplicate ideas.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateGroupDto {
    /// The best score of a pair in the group (0–1).
    pub score: f64,
    /// The ideas, earliest submitted first (at most 20).
    pub ideas: Vec<DuplicateIdeaDto>,
    /// Ideas of the group left out of `ideas`.
    pub more: usize,
}

/// A contest's near-duplicate groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatesDto {
    /// Contest slug.
    pub contest: String,
    /// How many submitted ideas were compared.
    pub compared: usize,
    /// Whether only the newest 50,000 submitted ideas were compared.
    pub capped: bool,
    /// How many groups there are in all.
    pub total_groups: usize,
    /// The groups, largest first (at most 100).
    pub groups: Vec<DuplicateGroupDto>,
}

fn score3(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Groups of near-duplicate ideas among a contest's submitted ideas (not drafts or withdrawn): ideas whose titles
/// and summaries are at least 60% alike, joined transitively (the organizer's scope must cover the contest).
#[utoipa::path(get, path = "/api/v1/contests/{slug}/duplicates", tag = "contests",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = DuplicatesDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such contest in the organizer's units", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_duplicates(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let report = report(&state, who, path).await?;
    let dto = DuplicatesDto {
        contest: report.contest.slug,
        compared: report.compared,
        capped: report.capped,
        total_groups: report.total_groups,
        groups: report
            .groups
            .into_iter()
            .map(|g| DuplicateGroupDto {
                score: score3(g.best),
                more: g.more,
                ideas: g
                    .ideas
                    .into_iter()
                    .map(|i| DuplicateIdeaDto {
                        url: i.public.then(|| format!("/ideas/{}", i.id)),
                        id: i.id,
                        title: i.title,
                        author: i.author,
                        unit: i.unit,
                        status: i.status,
                        submitted_at: i.submitted_at.map(view::rfc3339),
                        score: score3(i.score),
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(dto))
}
