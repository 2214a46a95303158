//! The reviewer's side, pages and API: the dashboard (`/review`), an assignment's review form with the idea as
//! `access::redaction` lets the reviewer see it, accepting, declining and recusing, and the idea's attachments under
//! the names the redaction gives them.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::forms::{Form, field};
use super::pages::{Ctx, ctx_of, no_store, private_page, render, see_other};
use super::panel_pages::NoticeQuery;
use super::review_pages::{CriterionDto, criterion_dto};
use super::view::{self, href};
use crate::access::redaction::ReviewerIdea;
use crate::app::conflicts;
use crate::app::panel;
use crate::app::reviews::{self, CONFIDENCE_MAX, CONFIDENCE_MIN, Review, ReviewForm, ReviewInput};
use crate::domain::conflicts::Declared;
use crate::domain::validation::FieldError;

// ---------------------------------------------------------------------------------------------------------------
// API

/// How far the caller is in one contest.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressDto {
    /// Contest slug.
    pub contest: String,
    /// Contest title.
    pub title: String,
    /// Assignments held.
    pub total: usize,
    /// Reviews submitted.
    pub done: usize,
    /// Drafts saved.
    pub in_progress: usize,
    /// Not opened yet.
    pub not_started: usize,
    /// The earliest due date of what is not done (RFC 3339).
    pub next_due: Option<String>,
}

/// One of the caller's assignments.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    /// Assignment id.
    pub id: String,
    /// Contest slug.
    pub contest: String,
    /// The idea's title (in a blind contest, without the team's names).
    pub idea_title: String,
    /// `assigned` (not yet accepted) or `accepted`.
    pub status: String,
    /// `draft`, `submitted`, or null before the first save.
    pub review_status: Option<String>,
    /// Due (RFC 3339).
    pub due_at: Option<String>,
    /// The weighted score given (1–10), once submitted.
    pub weighted_score: Option<f64>,
}

/// The caller's reviewing: progress per contest, and every assignment held (not done first, earliest due first).
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardDto {
    /// Per contest.
    pub contests: Vec<ProgressDto>,
    /// Assignments.
    pub assignments: Vec<TaskDto>,
}

/// An attachment as a reviewer gets it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerAttachmentDto {
    /// Id.
    pub id: String,
    /// Name (in a blind contest "Tệp đính kèm n").
    pub name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where to fetch it.
    pub href: String,
}

/// The team of an idea, in a contest that is not blind.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    /// Names, author first.
    pub names: Vec<String>,
    /// Their unit.
    pub unit: String,
}

/// An idea as its reviewer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerIdeaDto {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Thực trạng.
    pub situation: String,
    /// Giải pháp.
    pub solution: String,
    /// Hiệu quả dự kiến.
    pub impact: String,
    /// Resources or cost.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// Attachments.
    pub attachments: Vec<ReviewerAttachmentDto>,
    /// The team; null in a blind contest.
    pub team: Option<TeamDto>,
}

/// A review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    /// `draft` or `submitted`.
    pub status: String,
    /// Scores by criterion id.
    pub scores: BTreeMap<String, i32>,
    /// The weighted score (1–10), once submitted.
    pub weighted_score: Option<f64>,
    /// Confidence, 1–5.
    pub confidence: Option<i32>,
    /// For the author.
    pub comment_author: String,
    /// For the panel only.
    pub comment_panel: String,
    /// Send it back as `version` with the next save.
    pub version: i32,
    /// First submitted (RFC 3339).
    pub submitted_at: Option<String>,
}

/// One of the caller's assignments with everything needed to review it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentDto {
    /// Assignment id.
    pub id: String,
    /// `assigned` or `accepted`.
    pub status: String,
    /// Due (RFC 3339).
    pub due_at: Option<String>,
    /// Contest slug.
    pub contest: String,
    /// Contest title.
    pub contest_title: String,
    /// Whether the contest is blind.
    pub blind: bool,
    /// Review round.
    pub round: i32,
    /// The idea.
    pub idea: ReviewerIdeaDto,
    /// The rubric of the round.
    pub criteria: Vec<CriterionDto>,
    /// The review so far.
    pub review: Option<ReviewDto>,
    /// Whether the review can still be saved (the round is open and the idea not yet decided).
    pub editable: bool,
}

/// A review to save.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReviewBody {
    /// Scores by criterion id (a draft may leave some out), each within its criterion's range (at most 0–100).
    #[serde(default, deserialize_with = "crate::domain::validation::whole::map")]
    pub scores: BTreeMap<String, i32>,
    /// Confidence, 1–5.
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::whole::optional"
    )]
    #[schema(minimum = 1, maximum = 5)]
    pub confidence: Option<i32>,
    /// For the author (at most 5,000 characters).
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub comment_author: String,
    /// For the panel only (at most 5,000 characters).
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub comment_panel: String,
    /// Hand it in (every score and the confidence then required). A submitted review stays submitted.
    #[serde(default)]
    pub submit: bool,
    /// The version last read; a save over a newer one is refused (`409 review_changed`).
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::whole::optional"
    )]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub version: Option<i32>,
}

/// Why an assignment is declined.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeclineBody {
    /// Optional reason, at most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

fn attachment_href(assignment: &str, att: &str) -> String {
    format!("/review/assignments/{assignment}/attachments/{att}")
}

fn idea_dto(assignment: &str, idea: ReviewerIdea) -> ReviewerIdeaDto {
    ReviewerIdeaDto {
        attachments: idea
            .attachments
            .into_iter()
            .map(|a| ReviewerAttachmentDto {
                href: attachment_href(assignment, &a.id),
                id: a.id,
                name: a.name,
                content_type: a.content_type,
                size_bytes: a.size_bytes,
            })
            .collect(),
        team: idea.team.map(|t| TeamDto {
            names: t.names,
            unit: t.unit,
        }),
        id: idea.id,
        title: idea.title,
        summary: idea.summary,
        situation: idea.situation,
        solution: idea.solution,
        impact: idea.impact,
        resources: idea.resources,
        applies_where: idea.applies_where,
    }
}

fn review_dto(r: Review) -> ReviewDto {
    ReviewDto {
        scores: r.score_map(),
        submitted_at: r.submitted_at.map(view::rfc3339),
        status: r.status,
        weighted_score: r.weighted_score,
        confidence: r.confidence,
        comment_author: r.comment_author,
        comment_panel: r.comment_panel,
        version: r.version,
    }
}

fn assignment_dto(f: ReviewForm) -> AssignmentDto {
    AssignmentDto {
        idea: idea_dto(&f.assignment.id, f.idea),
        id: f.assignment.id,
        status: f.assignment.status,
        due_at: f.assignment.due_at.map(view::rfc3339),
        contest: f.contest.slug,
        contest_title: f.contest.title,
        blind: f.contest.blind_review,
        round: f.round.round,
        criteria: f.criteria.into_iter().map(criterion_dto).collect(),
        review: f.review.map(review_dto),
        editable: f.editable,
    }
}

/// The caller's reviewing: per contest assigned, in progress and done (n/m) with the next due date, and every
/// assignment they hold.
#[utoipa::path(get, path = "/api/v1/me/assignments", tag = "review",
    responses((status = 200, body = DashboardDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_dashboard(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let (progress, tasks) = state
        .with_conn(move |conn| reviews::dashboard(conn, &who.0))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(DashboardDto {
        contests: progress
            .into_iter()
            .map(|p| ProgressDto {
                contest: p.slug,
                title: p.title,
                total: p.total,
                done: p.done,
                in_progress: p.in_progress,
                not_started: p.not_started,
                next_due: p.next_due.map(view::rfc3339),
            })
            .collect(),
        assignments: tasks
            .into_iter()
            .map(|t| TaskDto {
                id: t.assignment_id,
                contest: t.contest_slug,
                idea_title: t.idea_title,
                status: t.status,
                review_status: t.review_status,
                due_at: t.due_at.map(view::rfc3339),
                weighted_score: t.weighted_score,
            })
            .collect(),
    }))
}

/// One of the caller's assignments: the idea (in a blind contest without anything that identifies its team), the
/// rubric with what each level means, and the review so far. Anyone else's assignment is 404.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "review",
    params(("id" = String, Path, description = "Assignment id")),
    responses((status = 200, body = AssignmentDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_assignment(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = state
        .with_conn(move |conn| reviews::form(conn, &who.0, &id))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(assignment_dto(form)))
}

/// Saves the caller's review of an assignment: a draft, or with `submit` the finished review (every score within
/// its criterion's range and a confidence of 1–5). A submitted review can be changed until the round closes; each
/// version is kept. Refused: problems by field (`scores.<criterion id>`, `confidence`, `comment_author`,
/// `comment_panel`; 400), `review_closed` (the round is closed or the idea decided) and `review_changed` (a newer
/// version was saved meanwhile), both 409.
#[utoipa::path(put, path = "/api/v1/assignments/{id}/review", tag = "review", request_body = ReviewBody,
    params(("id" = String, Path, description = "Assignment id")),
    responses((status = 200, body = ReviewDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_save(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = ReviewInput {
        scores: b.scores,
        confidence: b.confidence,
        comment_author: b.comment_author,
        comment_panel: b.comment_panel,
        submit: b.submit,
        version: b.version,
    };
    let review = state
        .with_conn(move |conn| reviews::save(conn, &who.0, &id, &input))
        .await?;
    crate::mail::notify();
    Ok(no_store(HttpResponse::Ok()).json(review_dto(review)))
}

/// The caller accepts an assignment (accepting again changes nothing).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/accept", tag = "review",
    params(("id" = String, Path, description = "Assignment id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_accept(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state
        .with_conn(move |conn| reviews::accept(conn, &who.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller declines an assignment not yet accepted, which frees it for someone else (`409 already_accepted`
/// after accepting: recuse instead).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/decline", tag = "review", request_body = DeclineBody,
    params(("id" = String, Path, description = "Assignment id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_decline(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: Option<web::Json<DeclineBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    state
        .with_conn(move |conn| reviews::decline(conn, &who.0, &id, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /review/assignments/{id}/attachments/{att}` (pages and API): an attachment of the idea of the caller's
/// assignment, under the name the redaction gives it.
pub async fn attachment(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, att) = path.into_inner();
    let (mut file, name) = state
        .with_conn(move |conn| reviews::attachment(conn, &who.0, &id, &att))
        .await?;
    file.file_name = name;
    super::attachments::deliver(req, state, file, false, false).await
}

// ---------------------------------------------------------------------------------------------------------------
// The dashboard page

struct ContestLine {
    title: String,
    closes: String,
    load: String,
    done: String,
    in_progress: usize,
    not_started: usize,
    next_due: String,
}

struct TaskLine {
    href: String,
    title: String,
    state: &'static str,
    due: String,
    overdue: bool,
    score: String,
}

#[derive(Template)]
#[template(path = "review_dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    notice: Option<String>,
    contests: Vec<ContestLine>,
    tasks: Vec<TaskLine>,
}

/// `GET /review`: the contests the signed-in person reviews for with how far they are (done n/m, drafts, not
/// started, next due date), and their assignments, what is not done first.
pub async fn dashboard(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let (panels, (progress, tasks)) = state
        .with_conn(move |conn| {
            Ok((
                panel::my_panels(conn, &who.0)?,
                reviews::dashboard(conn, &who.0)?,
            ))
        })
        .await?;
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let by_slug: HashMap<&str, &reviews::Progress> =
        progress.iter().map(|p| (p.slug.as_str(), p)).collect();
    let now = crate::db::now();
    let page = DashboardPage {
        notice: lang.notice(q.into_inner().notice.as_deref()),
        contests: panels
            .iter()
            .map(|(p, load)| {
                let mine = by_slug.get(p.slug.as_str());
                ContestLine {
                    title: p.title.clone(),
                    closes: view::date(lang, p.closes_at),
                    load: format!("{load} / {}", p.cap),
                    done: mine.map_or_else(
                        || "0 / 0".to_string(),
                        |m| format!("{} / {}", m.done, m.total),
                    ),
                    in_progress: mine.map_or(0, |m| m.in_progress),
                    not_started: mine.map_or(0, |m| m.not_started),
                    next_due: mine
                        .and_then(|m| m.next_due)
                        .map(|t| view::date_time(lang, t))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        tasks: tasks
            .into_iter()
            .map(|t| {
                let done = t.review_status.as_deref() == Some("submitted");
                TaskLine {
                    href: format!("/review/assignments/{}", t.assignment_id),
                    title: t.idea_title,
                    state: lang.t(match (t.status.as_str(), t.review_status.as_deref()) {
                        (_, Some("submitted")) => "review.state.submitted",
                        (_, Some(_)) => "review.state.draft",
                        ("assigned", None) => "review.state.new",
                        _ => "review.state.accepted",
                    }),
                    overdue: !done && t.due_at.is_some_and(|d| d < now),
                    due: t
                        .due_at
                        .map(|d| view::date_time(lang, d))
                        .unwrap_or_default(),
                    score: t
                        .weighted_score
                        .map(|s| view::decimal(lang, s))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page)?))
}

// ---------------------------------------------------------------------------------------------------------------
// The review form page

struct Choice {
    value: i32,
    label: String,
    checked: bool,
}

struct CriterionBlock {
    field: String,
    name: String,
    description: String,
    weight: String,
    choices: Vec<Choice>,
    errors: Vec<String>,
}

struct Section {
    heading: &'static str,
    text: String,
}

struct FileLine {
    href: String,
    name: String,
    size: String,
}

#[derive(Template)]
#[template(path = "review_form.html")]
struct FormPage {
    ctx: Ctx,
    notice: Option<String>,
    action: String,
    contest: String,
    title: String,
    sections: Vec<Section>,
    files: Vec<FileLine>,
    team: Option<String>,
    due: String,
    assigned: bool,
    submitted: bool,
    score: String,
    editable: bool,
    criteria: Vec<CriterionBlock>,
    confidence: Vec<Choice>,
    confidence_errors: Vec<String>,
    version: String,
    kinds: Vec<(&'static str, &'static str)>,
    form: Form,
}

/// The form's values as the page shows them: what was typed if the form came back, else the saved review.
fn values_of(review: Option<&Review>) -> HashMap<String, String> {
    let mut v = HashMap::new();
    if let Some(r) = review {
        for (id, s) in r.score_map() {
            v.insert(format!("scores.{id}"), s.to_string());
        }
        if let Some(c) = r.confidence {
            v.insert("confidence".into(), c.to_string());
        }
        v.insert("comment_author".into(), r.comment_author.clone());
        v.insert("comment_panel".into(), r.comment_panel.clone());
        v.insert("version".into(), r.version.to_string());
    }
    v
}

async fn render_form(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    id: String,
    notice: Option<String>,
    came_back: Option<Form>,
    code: StatusCode,
) -> Result<HttpResponse, AppError> {
    let f = state
        .with_conn(move |conn| reviews::form(conn, &who.0, &id))
        .await?;
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let form = came_back.unwrap_or_else(|| {
        let mut form = Form::new(lang, ctx.csrf.clone());
        form.values = values_of(f.review.as_ref());
        form
    });
    let picked = |field: &str| form.v(field).trim().parse::<i32>().ok();
    let criteria = f
        .criteria
        .iter()
        .map(|c| {
            let field = format!("scores.{}", c.id);
            let levels: HashMap<i32, String> =
                c.levels().into_iter().map(|l| (l.score, l.text)).collect();
            let chosen = picked(&field);
            CriterionBlock {
                choices: (c.min_score..=c.max_score)
                    .map(|s| Choice {
                        value: s,
                        label: levels
                            .get(&s)
                            .map_or_else(|| s.to_string(), |t| format!("{s} — {t}")),
                        checked: chosen == Some(s),
                    })
                    .collect(),
                errors: form.err(&field),
                name: c.name.clone(),
                description: c.description.clone(),
                weight: view::decimal(lang, c.weight),
                field,
            }
        })
        .collect();
    let chosen = picked("confidence");
    let idea = f.idea;
    let sections = [
        ("idea.summary", &idea.summary),
        ("idea.situation", &idea.situation),
        ("idea.solution", &idea.solution),
        ("idea.impact", &idea.impact),
        ("idea.resources", &idea.resources),
        ("idea.applies_where", &idea.applies_where),
    ]
    .into_iter()
    .filter(|(_, t)| !t.trim().is_empty())
    .map(|(k, t)| Section {
        heading: lang.t(k),
        text: t.clone(),
    })
    .collect();
    let page = FormPage {
        notice: lang.notice(notice.as_deref()),
        action: format!("/review/assignments/{}", f.assignment.id),
        contest: f.contest.title.clone(),
        title: idea.title.clone(),
        sections,
        files: idea
            .attachments
            .iter()
            .map(|a| FileLine {
                href: attachment_href(&f.assignment.id, &a.id),
                name: a.name.clone(),
                size: view::file_size(lang, a.size_bytes),
            })
            .collect(),
        team: idea
            .team
            .as_ref()
            .map(|t| format!("{} ({})", t.names.join(", "), t.unit)),
        due: f
            .assignment
            .due_at
            .map(|d| view::date_time(lang, d))
            .unwrap_or_default(),
        assigned: f.assignment.status == "assigned",
        submitted: f.review.as_ref().is_some_and(Review::is_submitted),
        score: f
            .review
            .as_ref()
            .and_then(|r| r.weighted_score)
            .map(|s| view::decimal(lang, s))
            .unwrap_or_default(),
        editable: f.editable,
        criteria,
        confidence: (CONFIDENCE_MIN..=CONFIDENCE_MAX)
            .map(|c| Choice {
                value: c,
                label: lang.t(&format!("review.confidence.{c}")).to_string(),
                checked: chosen == Some(c),
            })
            .collect(),
        confidence_errors: form.err("confidence"),
        version: form.v("version").to_string(),
        kinds: Declared::ALL
            .iter()
            .map(|k| (k.code(), lang.t(&format!("conflict.kind.{}", k.code()))))
            .collect(),
        form,
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// `GET /review/assignments/{id}`: the idea beside the review form.
pub async fn form_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    render_form(
        &req,
        &state,
        who,
        path.into_inner(),
        q.into_inner().notice,
        None,
        StatusCode::OK,
    )
    .await
}

/// Reads the form: a score field that is not a whole number is a problem of that field (the app layer sees only
/// numbers).
fn input_of(body: &HashMap<String, String>) -> (ReviewInput, Vec<FieldError>) {
    let mut problems = Vec::new();
    let mut scores = BTreeMap::new();
    for (k, v) in body {
        if let Some(id) = k.strip_prefix("scores.")
            && !v.trim().is_empty()
        {
            match v.trim().parse::<i32>() {
                Ok(n) => {
                    scores.insert(id.to_string(), n);
                }
                Err(_) => problems.push(FieldError::new(k, "invalid")),
            }
        }
    }
    let confidence = match field(body, "confidence").trim() {
        "" => None,
        c => match c.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(FieldError::new("confidence", "invalid"));
                None
            }
        },
    };
    let input = ReviewInput {
        scores,
        confidence,
        comment_author: field(body, "comment_author"),
        comment_panel: field(body, "comment_panel"),
        submit: field(body, "action") == "submit",
        version: field(body, "version").trim().parse().ok(),
    };
    (input, problems)
}

/// `POST /review/assignments/{id}`: saves a draft (`action=draft`) or submits (`action=submit`). A refused form
/// comes back as typed with each problem beside its criterion.
pub async fn form_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let (input, problems) = input_of(&body);
    let result = if problems.is_empty() {
        let (principal, i) = (who.0.clone(), id.clone());
        let submit = input.submit;
        state
            .with_conn(move |conn| reviews::save(conn, &principal, &i, &input))
            .await
            .map(|r| {
                if submit || r.is_submitted() {
                    "review_submitted"
                } else {
                    "review_draft_saved"
                }
            })
    } else {
        Err(AppError::Invalid(Vec::new()))
    };
    match result {
        Ok(notice) => {
            crate::mail::notify();
            Ok(see_other(&href(
                &format!("/review/assignments/{id}"),
                &[("notice", notice.into())],
            )))
        }
        Err(e) => refused(&req, &state, who, id, &body, problems, e).await,
    }
}

/// The form again after a refusal, as typed: field problems beside their fields (400), a rule's sentence at the top
/// (409). Anything else is not the form's to show.
async fn refused(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    id: String,
    body: &HashMap<String, String>,
    mut problems: Vec<FieldError>,
    err: AppError,
) -> Result<HttpResponse, AppError> {
    let (code, rule) = match err {
        AppError::Invalid(more) => {
            problems.extend(more);
            (StatusCode::BAD_REQUEST, None)
        }
        AppError::Rule(rule) => (StatusCode::CONFLICT, Some(rule)),
        e => return Err(e),
    };
    let ctx = ctx_of(req, state);
    let mut form = Form::new(ctx.lang, ctx.csrf.clone()).keep(body, &[]);
    form.problems = problems;
    form.alert = rule.map(|r| ctx.lang.t(&format!("rule.{r}")).to_string());
    render_form(req, state, who, id, None, Some(form), code).await
}

/// The outcome of a button on the form (accept, decline, recuse): on to `to` with a notice, or the form again with
/// the reason kept and the problem said.
async fn act<F>(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    id: String,
    body: HashMap<String, String>,
    done: (&str, &str),
    run: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConn, &crate::access::Principal) -> Result<(), AppError>
        + Send
        + 'static,
{
    let principal = who.0.clone();
    match state.with_conn(move |conn| run(conn, &principal)).await {
        Ok(()) => Ok(see_other(&href(done.0, &[("notice", done.1.into())]))),
        Err(e) => refused(&req, &state, who, id, &body, Vec::new(), e).await,
    }
}

/// `POST /review/assignments/{id}/accept`.
pub async fn accept(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (i, to) = (id.clone(), format!("/review/assignments/{id}"));
    act(
        req,
        state,
        who,
        id,
        HashMap::new(),
        (&to, "assignment_accepted"),
        move |conn, who| reviews::accept(conn, who, &i),
    )
    .await
}

/// `POST /review/assignments/{id}/decline`: with an optional `reason`; back to the dashboard.
pub async fn decline(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let (i, reason) = (id.clone(), field(&body, "reason"));
    act(
        req,
        state,
        who,
        id,
        body,
        ("/review", "assignment_declined"),
        move |conn, who| reviews::decline(conn, who, &i, &reason),
    )
    .await
}

/// `POST /review/assignments/{id}/recuse`: withdraws with a reason (required), recorded as a conflict of
/// interest; back to the dashboard.
pub async fn recuse(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let (i, kind, reason) = (
        id.clone(),
        field(&body, "recuse_kind"),
        field(&body, "recuse_reason"),
    );
    act(
        req,
        state,
        who,
        id,
        body,
        ("/review", "assignment_recused"),
        move |conn, who| {
            conflicts::recuse(conn, who, &i, &kind, &reason).map_err(|e| match e {
                // The form's fields carry a prefix, so they never clash with the review's own.
                AppError::Invalid(ps) => AppError::Invalid(
                    ps.into_iter()
                        .map(|mut p| {
                            p.field = format!("recuse_{}", p.field);
                            p
                        })
                        .collect(),
                ),
                e => e,
            })
        },
    )
    .await
}
