//! Organizer pages and API of the review workflow: the screening queue.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::forms::Form;
use super::forms::{first, form_pairs};
use super::pages::{Ctx, ctx_of, no_store, private_page, render, see_other};
use super::view::{self, href};
use crate::app::reviews;
use crate::app::rubric;
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
    #[param(pattern = r"^\s*(submitted|eligible|ineligible)?\s*$")]
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
    #[schema(required = true, min_items = 1, max_items = 500)]
    pub ids: Vec<String>,
    /// `eligible` or `ineligible`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(eligible|ineligible)$")]
    pub decision: String,
    /// Why, at most 2,000 characters (required for `ineligible`; sent to the author).
    #[serde(default)]
    #[schema(max_length = 2000)]
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
    Ok(no_store(HttpResponse::Ok()).json(QueueDto {
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
    Ok(no_store(HttpResponse::Ok()).json(ScreenedDto {
        moved,
        status: verdict
            .map(|v| v.status().code())
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
    let pairs = form_pairs(&body);
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| v.clone())
        .collect();
    let one = |name: &str| first(&pairs, name);
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
    /// The last event id of the previous page (`404 not_found` when this contest has no such event).
    #[param(format = Uuid)]
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
    Ok(no_store(HttpResponse::Ok()).json(LogDto {
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

/// A criterion of a rubric.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionDto {
    /// Criterion id.
    pub id: String,
    /// Name.
    pub name: String,
    /// What it judges.
    pub description: String,
    /// Weight.
    pub weight: f64,
    /// Lowest score.
    pub min_score: i32,
    /// Highest score.
    pub max_score: i32,
    /// What each score means.
    pub levels: Vec<rubric::Level>,
}

/// A contest's current review round and its rubric.
#[derive(Debug, Serialize, ToSchema)]
pub struct RubricDto {
    /// Contest slug.
    pub contest: String,
    /// The round (1, 2, …); 0 when no rubric was saved yet.
    pub round: i32,
    /// Reviews each idea gets.
    pub reviews_per_idea: i32,
    /// When reviews are due (RFC 3339, Vietnam time).
    pub due_at: Option<String>,
    /// Whether the rubric is locked (its first review is in; a change needs a new round).
    pub locked: bool,
    /// Whether the round is closed (its reviews can no longer be saved).
    pub closed: bool,
    /// The criteria, in order.
    pub criteria: Vec<CriterionDto>,
}

fn rubric_dto(
    contest: &crate::db::catalog::Contest,
    current: Option<rubric::RoundRubric>,
) -> RubricDto {
    let (round, criteria) = match current {
        Some((r, c)) => (Some(r), c),
        None => (None, Vec::new()),
    };
    RubricDto {
        contest: contest.slug.clone(),
        round: round.as_ref().map_or(0, |r| r.round),
        reviews_per_idea: round
            .as_ref()
            .map_or(rubric::DEFAULT_REVIEWS, |r| r.reviews_per_idea),
        due_at: round.as_ref().and_then(|r| r.due_at).map(view::rfc3339),
        locked: round.as_ref().is_some_and(|r| r.locked_at.is_some()),
        closed: round.as_ref().is_some_and(|r| r.closed_at.is_some()),
        criteria: criteria.into_iter().map(criterion_dto).collect(),
    }
}

/// A stored criterion as the API shows it (to organizers, and to reviewers with their assignment).
pub fn criterion_dto(c: rubric::CriterionRow) -> CriterionDto {
    CriterionDto {
        levels: c.levels(),
        id: c.id,
        name: c.name,
        description: c.description,
        weight: c.weight,
        min_score: c.min_score,
        max_score: c.max_score,
    }
}

/// The rubric of a contest's current review round. Organizers of the contest's unit only.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/rubric", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = RubricDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_rubric(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, current) = state
        .with_conn(move |conn| rubric::view(conn, &who.0, &slug))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(rubric_dto(&contest, current)))
}

/// Replaces the rubric and settings of the current round (round 1 is made by the first save). Every problem is
/// named by field (`criteria[i].weight`, …); `409 rubric_locked` once the round's first review is in.
#[utoipa::path(put, path = "/api/v1/contests/{slug}/rubric", tag = "review", request_body = rubric::RubricInput,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = RubricDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_save_rubric(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<rubric::RubricInput>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let input = body.into_inner();
    rubric_after(state, who, slug, StatusCode::OK, move |conn, who, slug| {
        rubric::save(conn, who, slug, &input).map(|_| ())
    })
    .await
}

/// Runs `change` on the contest `slug`'s rubric, then answers the rubric as it now is with `status`.
async fn rubric_after<F>(
    state: State,
    who: SignedIn,
    slug: String,
    status: StatusCode,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConn, &crate::access::Principal, &str) -> Result<(), AppError>
        + Send
        + 'static,
{
    let (contest, current) = state
        .with_conn(move |conn| {
            change(conn, &who.0, &slug)?;
            rubric::view(conn, &who.0, &slug)
        })
        .await?;
    Ok(no_store(HttpResponse::build(status)).json(rubric_dto(&contest, current)))
}

/// Starts a new review round with a copy of the locked rubric, to be edited. `409 rubric_not_locked` while the
/// current rubric can still be edited, `409 no_rubric` before the first.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/rubric/rounds", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 201, body = RubricDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_new_round(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    rubric_after(
        state,
        who,
        path.into_inner(),
        StatusCode::CREATED,
        |conn, who, slug| rubric::new_round(conn, who, slug).map(|_| ()),
    )
    .await
}

/// Closes the contest's current round: its reviews, drafts included, can no longer be saved. `409 no_rubric`
/// before the first round, `409 round_closed` when it is closed already.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/rubric/close", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = RubricDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_close_round(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    rubric_after(
        state,
        who,
        path.into_inner(),
        StatusCode::OK,
        |conn, who, slug| reviews::close_round(conn, who, slug).map(|_| ()),
    )
    .await
}

/// A criterion's row of the rubric form.
struct CriterionFields {
    n: usize,
    name: String,
    description: String,
    weight: String,
    min_score: String,
    max_score: String,
    levels: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "rubric.html")]
struct RubricPage {
    ctx: Ctx,
    heading: String,
    action: String,
    edit_href: String,
    notice: Option<String>,
    round: i32,
    locked: bool,
    closed: bool,
    reviews_per_idea: String,
    due_at: String,
    rows: Vec<CriterionFields>,
    form: Form,
}

/// Empty rows the form offers beyond the saved criteria (no script adds rows).
const SPARE_ROWS: usize = 2;

/// Levels as the form's text: one per line, `score: text`.
fn levels_text(levels: &[rubric::Level]) -> String {
    levels
        .iter()
        .map(|l| format!("{}: {}", l.score, l.text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `score: text` lines (also `score - text`); a line without a number is an error of that criterion.
fn parse_levels(text: &str) -> Result<Vec<rubric::Level>, ()> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (score, rest) = line.split_once([':', '-', '–']).ok_or(())?;
            let score = score.trim().parse::<i32>().map_err(|_| ())?;
            Ok(rubric::Level {
                score,
                text: rest.trim().to_string(),
            })
        })
        .collect()
}

/// `GET /organize/contests/{slug}/rubric`: the rubric form of the current round.
pub async fn rubric_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, current) = state
        .with_conn(move |conn| rubric::view(conn, &who.0, &slug))
        .await?;
    let ctx = ctx_of(&req, &state);
    let dto = rubric_dto(&contest, current);
    let rows: Vec<CriterionFields> = dto
        .criteria
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.description.clone(),
                c.weight.to_string(),
                c.min_score.to_string(),
                c.max_score.to_string(),
                levels_text(&c.levels),
            )
        })
        .chain((0..SPARE_ROWS).map(|_| Default::default()))
        .enumerate()
        .map(
            |(n, (name, description, weight, min_score, max_score, levels))| CriterionFields {
                n,
                name,
                description,
                weight,
                min_score,
                max_score,
                levels,
                problems: Vec::new(),
            },
        )
        .collect();
    let page = RubricPage {
        heading: ctx
            .lang
            .tf("rubric.heading", &[("contest", &contest.title)]),
        action: format!("/organize/contests/{}/rubric", contest.slug),
        edit_href: format!("/organize/contests/{}/edit", contest.slug),
        notice: ctx.lang.notice(q.notice.as_deref()),
        round: dto.round,
        locked: dto.locked,
        closed: dto.closed,
        reviews_per_idea: dto.reviews_per_idea.to_string(),
        due_at: contest_due(&dto),
        rows,
        form: Form::new(ctx.lang, ctx.csrf.clone()),
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page)?))
}

fn contest_due(dto: &RubricDto) -> String {
    // The form's datetime-local wants `YYYY-MM-DDTHH:MM` in Vietnam time: the RFC 3339 value cut to the minute.
    dto.due_at
        .as_deref()
        .map(|t| t.chars().take(16).collect())
        .unwrap_or_default()
}

/// `POST /organize/contests/{slug}/rubric`: saves the form (rows left blank are ignored), or starts a new round
/// (`action=new_round`). A refused form is shown again as typed, each problem beside its field.
pub async fn rubric_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let pairs = form_pairs(&body);
    let one = |name: &str| first(&pairs, name);
    let back = format!("/organize/contests/{slug}/rubric");
    if one("action") == "close_round" {
        let s2 = slug.clone();
        state
            .with_conn(move |conn| reviews::close_round(conn, &who.0, &s2))
            .await?;
        return Ok(see_other(&href(
            &back,
            &[("notice", "round_closed".into())],
        )));
    }
    if one("action") == "new_round" {
        let s2 = slug.clone();
        state
            .with_conn(move |conn| rubric::new_round(conn, &who.0, &s2))
            .await?;
        return Ok(see_other(&href(
            &back,
            &[("notice", "round_started".into())],
        )));
    }
    // Rows as typed; blank rows are dropped, keeping the typed numbering for the messages.
    let mut typed = Vec::new();
    let mut level_problems = Vec::new();
    for n in 0..rubric::MAX_CRITERIA + SPARE_ROWS {
        let get = |f: &str| one(&format!("c{n}_{f}"));
        let row = (
            get("name"),
            get("description"),
            get("weight"),
            get("min_score"),
            get("max_score"),
            get("levels"),
        );
        if [&row.0, &row.1, &row.2, &row.3, &row.4, &row.5]
            .iter()
            .all(|v| v.trim().is_empty())
        {
            continue;
        }
        typed.push((n, row));
    }
    let criteria: Vec<rubric::CriterionInput> = typed
        .iter()
        .enumerate()
        .map(|(i, (_, r))| rubric::CriterionInput {
            name: r.0.clone(),
            description: r.1.clone(),
            // Commas are decimal separators in Vietnamese.
            weight: r.2.trim().replace(',', ".").parse().unwrap_or(f64::NAN),
            min_score: r.3.trim().parse().unwrap_or(i32::MIN),
            max_score: r.4.trim().parse().unwrap_or(i32::MIN),
            levels: parse_levels(&r.5).unwrap_or_else(|()| {
                level_problems.push(crate::domain::validation::FieldError::new(
                    &format!("criteria[{i}].levels"),
                    "level_line",
                ));
                Vec::new()
            }),
        })
        .collect();
    let input = rubric::RubricInput {
        reviews_per_idea: one("reviews_per_idea").trim().parse().unwrap_or(0),
        due_at: one("due_at"),
        criteria,
    };
    let (principal, s2, input2) = (who.0.clone(), slug.clone(), input.clone());
    let result = if level_problems.is_empty() {
        state
            .with_conn(move |conn| rubric::save(conn, &principal, &s2, &input2))
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(level_problems))
    };
    match result {
        Ok(()) => Ok(see_other(&href(
            &back,
            &[("notice", "rubric_saved".into())],
        ))),
        Err(AppError::Invalid(problems)) => {
            let s3 = slug.clone();
            let (contest, current) = state
                .with_conn(move |conn| rubric::view(conn, &who.0, &s3))
                .await?;
            let ctx = ctx_of(&req, &state);
            let lang = ctx.lang;
            let messages = |field: &str| super::validation::messages_for(lang, &problems, field);
            let mut rows: Vec<CriterionFields> = typed
                .iter()
                .enumerate()
                .map(|(i, (_, r))| CriterionFields {
                    n: i,
                    name: r.0.clone(),
                    description: r.1.clone(),
                    weight: r.2.clone(),
                    min_score: r.3.clone(),
                    max_score: r.4.clone(),
                    levels: r.5.clone(),
                    problems: [
                        "name",
                        "description",
                        "weight",
                        "min_score",
                        "max_score",
                        "levels",
                    ]
                    .iter()
                    .flat_map(|f| messages(&format!("criteria[{i}].{f}")))
                    .collect(),
                })
                .collect();
            let start = rows.len();
            rows.extend((0..SPARE_ROWS).map(|k| CriterionFields {
                n: start + k,
                name: String::new(),
                description: String::new(),
                weight: String::new(),
                min_score: String::new(),
                max_score: String::new(),
                levels: String::new(),
                problems: Vec::new(),
            }));
            let dto = rubric_dto(&contest, current);
            let mut form = Form {
                problems,
                ..Form::new(lang, ctx.csrf.clone())
            };
            form.values
                .insert("reviews_per_idea".into(), one("reviews_per_idea"));
            form.values.insert("due_at".into(), one("due_at"));
            let page = RubricPage {
                heading: lang.tf("rubric.heading", &[("contest", &contest.title)]),
                action: back,
                edit_href: format!("/organize/contests/{}/edit", contest.slug),
                notice: None,
                round: dto.round,
                locked: dto.locked,
                closed: dto.closed,
                reviews_per_idea: one("reviews_per_idea"),
                due_at: one("due_at"),
                rows,
                form,
                ctx,
            };
            Ok(private_page(StatusCode::BAD_REQUEST, render(&page)?))
        }
        Err(e) => Err(e),
    }
}

/// A decision waiting to be published.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDto {
    /// Decision id.
    pub id: String,
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub idea_title: String,
    /// `shortlisted`, `selected` or `not_selected`.
    pub decision: String,
    /// Why.
    pub rationale: String,
    /// When it was recorded (RFC 3339, Vietnam time).
    pub decided_at: String,
}

/// A contest's decisions waiting to be published.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionsDto {
    /// Contest slug.
    pub contest: String,
    /// Oldest first.
    pub waiting: Vec<DecisionDto>,
}

/// A decision to record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    /// The idea (reviewed, or shortlisted for `selected`).
    #[serde(default)]
    #[schema(required = true, pattern = r"\S")]
    pub idea_id: String,
    /// `shortlisted`, `selected` or `not_selected`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(shortlisted|selected|not_selected)$")]
    pub decision: String,
    /// Why (required, at most 2,000 characters; sent to the authors when published).
    #[serde(default)]
    #[schema(required = true, max_length = 2000, pattern = r"\S")]
    pub rationale: String,
}

/// How many decisions were published.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedDto {
    /// Decisions published (ideas moved, authors emailed).
    pub published: usize,
}

fn decision_dto((d, title): (crate::app::decisions::Decision, String)) -> DecisionDto {
    DecisionDto {
        decided_at: view::rfc3339(d.decided_at),
        id: d.id,
        idea_id: d.idea_id,
        idea_title: title,
        decision: d.decision,
        rationale: d.rationale,
    }
}

/// The contest's decisions waiting to be published.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/decisions", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = DecisionsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_decisions(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, rows) = state
        .with_conn(move |conn| crate::app::decisions::waiting(conn, &who.0, &slug))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(DecisionsDto {
        contest: contest.slug,
        waiting: rows.into_iter().map(decision_dto).collect(),
    }))
}

/// Records (or replaces) the waiting decision for an idea: checked against the idea's state now (`409
/// transition_not_allowed` if it could not be published), a rationale required. Nothing is visible to the authors
/// until the contest's decisions are published.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/decisions", tag = "review", request_body = DecisionBody,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 201, body = DecisionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_record_decision(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<DecisionBody>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let b = body.into_inner();
    let d = state
        .with_conn(move |conn| {
            let d = crate::app::decisions::record(
                conn,
                &who.0,
                &slug,
                &b.idea_id,
                &b.decision,
                &b.rationale,
            )?;
            let title: String = {
                use diesel::prelude::*;
                crate::db::schema::ideas::table
                    .find(&d.idea_id)
                    .select(crate::db::schema::ideas::title)
                    .first(conn)?
            };
            Ok((d, title))
        })
        .await?;
    Ok(no_store(HttpResponse::Created()).json(decision_dto(d)))
}

/// Publishes all of the contest's waiting decisions at once: the ideas move, the authors are emailed the result
/// with the rationale and the reviewers' comments for them (anonymous). All or nothing: `400 decision_stale`
/// naming each idea whose state no longer allows its decision.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/decisions/publish", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = PublishedDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_publish(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let published = state
        .with_conn(move |conn| crate::app::decisions::publish(conn, &who.0, &slug))
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(no_store(HttpResponse::Ok()).json(PublishedDto { published }))
}

/// A row of the decisions page.
struct DecideRow {
    id: String,
    title: String,
    status_label: String,
    options: Vec<(&'static str, String, bool)>,
    rationale: String,
    waiting: Option<String>,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    ctx: Ctx,
    heading: String,
    action: String,
    notice: Option<String>,
    alert: Option<String>,
    waiting_count: usize,
    rows: Vec<DecideRow>,
    csrf: String,
}

/// What the decisions page shows after a refused form: the idea concerned, what was typed, the problems.
struct Refused {
    idea: String,
    decision: String,
    rationale: String,
    problems: Vec<String>,
}

async fn decisions_view(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    notice: Option<String>,
    refused: Option<Refused>,
    alert: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (contest, list) = state
        .with_conn(move |conn| crate::app::decisions::decidable(conn, &who.0, &slug))
        .await?;
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let code = if refused.is_some() || alert.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let rows: Vec<DecideRow> = list
        .into_iter()
        .map(|d| {
            let mine = refused.as_ref().filter(|r| r.idea == d.id);
            let chosen = mine
                .map(|r| r.decision.clone())
                .or_else(|| d.waiting.as_ref().map(|w| w.decision.clone()))
                .unwrap_or_default();
            let options = crate::domain::lifecycle::organizer_moves(
                IdeaStatus::parse(&d.status).unwrap_or(IdeaStatus::Reviewed),
            )
            .map(|m| {
                (
                    m.to.code(),
                    view::status_label(lang, m.to.code()),
                    m.to.code() == chosen,
                )
            })
            .collect();
            DecideRow {
                status_label: view::status_label(lang, &d.status),
                rationale: mine
                    .map(|r| r.rationale.clone())
                    .or_else(|| d.waiting.as_ref().map(|w| w.rationale.clone()))
                    .unwrap_or_default(),
                waiting: d
                    .waiting
                    .as_ref()
                    .map(|w| view::status_label(lang, &w.decision)),
                problems: mine.map(|r| r.problems.clone()).unwrap_or_default(),
                options,
                id: d.id,
                title: d.title,
            }
        })
        .collect();
    let page = DecisionsPage {
        heading: lang.tf("decisions.heading", &[("contest", &contest.title)]),
        action: format!("/organize/contests/{}/decisions", contest.slug),
        notice: lang.notice(notice.as_deref()),
        alert,
        waiting_count: rows.iter().filter(|r| r.waiting.is_some()).count(),
        rows,
        csrf: ctx.csrf.clone(),
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// `GET /organize/contests/{slug}/decisions`: the reviewed and shortlisted ideas, a decision form for each, and the
/// button that publishes every waiting decision.
pub async fn decisions_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = q.notice.clone();
    decisions_view(&req, &state, who, path.into_inner(), notice, None, None).await
}

/// `POST /organize/contests/{slug}/decisions`: records one idea's decision (`idea_id`, `decision`, `rationale`),
/// or publishes all waiting ones (`action=publish`). A refused form shows the page again as typed.
pub async fn decisions_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let pairs = form_pairs(&body);
    let one = |name: &str| first(&pairs, name);
    let back = format!("/organize/contests/{slug}/decisions");
    let principal = who.0.clone();
    let s2 = slug.clone();
    if one("action") == "publish" {
        let result = state
            .with_conn(move |conn| crate::app::decisions::publish(conn, &principal, &s2))
            .await;
        return match result {
            Ok(_) => {
                state.cache.bump();
                crate::mail::notify();
                Ok(see_other(&href(
                    &back,
                    &[("notice", "decisions_published".into())],
                )))
            }
            Err(AppError::Invalid(problems)) => {
                let lang = ctx_of(&req, &state).lang;
                let alert = problems
                    .iter()
                    .map(|p| super::validation::message(lang, p))
                    .collect::<Vec<_>>()
                    .join(" ");
                decisions_view(&req, &state, who, slug, None, None, Some(alert)).await
            }
            Err(e) => Err(e),
        };
    }
    let (idea, decision, rationale) = (one("idea_id"), one("decision"), one("rationale"));
    let (i2, d2, r2) = (idea.clone(), decision.clone(), rationale.clone());
    let result = state
        .with_conn(move |conn| crate::app::decisions::record(conn, &principal, &s2, &i2, &d2, &r2))
        .await;
    match result {
        Ok(_) => Ok(see_other(&href(
            &back,
            &[("notice", "decision_recorded".into())],
        ))),
        Err(AppError::Invalid(problems)) => {
            let lang = ctx_of(&req, &state).lang;
            let refused = Refused {
                idea,
                decision,
                rationale,
                problems: problems
                    .iter()
                    .map(|p| super::validation::message(lang, p))
                    .collect(),
            };
            decisions_view(&req, &state, who, slug, None, Some(refused), None).await
        }
        Err(AppError::Rule(code)) => {
            let lang = ctx_of(&req, &state).lang;
            let refused = Refused {
                idea,
                decision,
                rationale,
                problems: vec![lang.t(&format!("rule.{code}")).to_string()],
            };
            decisions_view(&req, &state, who, slug, None, Some(refused), None).await
        }
        Err(e) => Err(e),
    }
}

/// An assignment (proposed or confirmed), as the organizer sees it. Named apart from the reviewer's own view
/// (`reviewer_pages::AssignmentDto`) in the OpenAPI document, where schemas are keyed by name.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrganizerAssignment)]
pub struct AssignmentDto {
    /// Assignment id.
    pub id: String,
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub idea_title: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer: String,
    /// `proposed`, `assigned` or `accepted`.
    pub status: String,
}

/// An idea that would still lack reviews.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShortDto {
    /// The idea.
    pub idea_id: String,
    /// Reviews it lacks.
    pub missing: u32,
    /// `too_few_reviewers` (conflicts, too small a panel) or `caps_exhausted` when no proposal could fill it,
    /// `open` when proposing again would.
    pub reason: String,
}

/// A reviewer's load counting the proposal.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoadDto {
    /// The reviewer.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer: String,
    /// Assignments, proposed ones included.
    pub load: u32,
    /// Their cap.
    pub cap: u32,
}

/// The assignment of a contest: the proposal waiting for confirmation, the confirmed assignments, what is short.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentsDto {
    /// Contest slug.
    pub contest: String,
    /// Proposed, not yet told to anyone.
    pub proposed: Vec<AssignmentDto>,
    /// Confirmed.
    pub live: Vec<AssignmentDto>,
    /// Ideas that would still lack reviews, and why.
    pub short: Vec<ShortDto>,
    /// Every reviewer's load.
    pub loads: Vec<LoadDto>,
}

/// An assignment to add to the proposal by hand.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignBody {
    /// The idea (eligible or in review).
    #[serde(default)]
    pub idea_id: String,
    /// The reviewer (on the panel, no conflict, under their cap).
    #[serde(default)]
    pub reviewer_id: String,
}

/// How many assignments were confirmed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedDto {
    /// Assignments confirmed (reviewers emailed).
    pub confirmed: usize,
}

fn assignments_dto(
    contest: &crate::db::catalog::Contest,
    p: crate::app::assignment::Preview,
) -> AssignmentsDto {
    let row = |r: crate::app::assignment::Row| AssignmentDto {
        id: r.id,
        idea_id: r.idea_id,
        idea_title: r.idea_title,
        reviewer_id: r.reviewer_id,
        reviewer: r.reviewer,
        status: r.status,
    };
    AssignmentsDto {
        contest: contest.slug.clone(),
        proposed: p.proposed.into_iter().map(row).collect(),
        live: p.live.into_iter().map(row).collect(),
        short: p
            .short
            .into_iter()
            .map(|s| ShortDto {
                idea_id: s.idea_id,
                missing: s.missing,
                reason: s.reason.into(),
            })
            .collect(),
        loads: p
            .loads
            .into_iter()
            .map(|(reviewer_id, reviewer, load, cap)| LoadDto {
                reviewer_id,
                reviewer,
                load,
                cap,
            })
            .collect(),
    }
}

/// The contest's assignment as it stands: the waiting proposal, the confirmed assignments, what would be short.
/// `409 no_rubric` before the contest has a rubric (it says how many reviews each idea gets).
#[utoipa::path(get, path = "/api/v1/contests/{slug}/assignments", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = AssignmentsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_assignments(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, p) = state
        .with_conn(move |conn| crate::app::assignment::preview(conn, &who.0, &slug))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(assignments_dto(&contest, p)))
}

/// Replaces the waiting proposal with a new one: every assignment that can be made is made, never a conflict of
/// interest, never over a cap, the busiest reviewer as light as possible. Nobody is told until it is confirmed.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/assignments/propose", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = AssignmentsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_propose(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, p) = state
        .with_conn(move |conn| crate::app::assignment::propose(conn, &who.0, &slug))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(assignments_dto(&contest, p)))
}

/// Adds one assignment to the proposal by hand. `409` with `not_on_panel`, `conflict_of_interest`,
/// `already_assigned`, `cap_reached` or `not_assignable`.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/assignments", tag = "review", request_body = AssignBody,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 201, body = AssignmentsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_assign(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<AssignBody>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let b = body.into_inner();
    let (contest, p) = state
        .with_conn(move |conn| {
            crate::app::assignment::add(conn, &who.0, &slug, &b.idea_id, &b.reviewer_id)?;
            crate::app::assignment::preview(conn, &who.0, &slug)
        })
        .await?;
    Ok(no_store(HttpResponse::Created()).json(assignments_dto(&contest, p)))
}

/// Takes an assignment out: a proposed one is dropped; a confirmed one is marked removed, and an idea left without
/// reviewers goes back to eligible.
#[utoipa::path(delete, path = "/api/v1/contests/{slug}/assignments/{id}", tag = "review",
    params(("slug" = String, Path, description = "Contest slug"), ("id" = String, Path, description = "Assignment id")),
    responses((status = 200, body = AssignmentsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_unassign(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (contest, p) = state
        .with_conn(move |conn| {
            crate::app::assignment::remove(conn, &who.0, &slug, &id)?;
            crate::app::assignment::preview(conn, &who.0, &slug)
        })
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(assignments_dto(&contest, p)))
}

/// Confirms the proposal: the assignments are made, the ideas are in review, each reviewer gets one email.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/assignments/confirm", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = ConfirmedDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_confirm(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let confirmed = state
        .with_conn(move |conn| crate::app::assignment::confirm(conn, &who.0, &slug))
        .await?;
    state.cache.bump();
    crate::mail::notify();
    Ok(no_store(HttpResponse::Ok()).json(ConfirmedDto { confirmed }))
}
