//! Support and people's choice over HTTP: the buttons of an idea's page, the API, and the organizer's page that
//! sets a contest's people's-choice round. The rules live in `app::support`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::forms::{first, form_pairs};
use super::i18n::Lang;
use super::pages::{Ctx, ctx_of, no_store, private_page, render, see_other};
use super::view::{self, href};
use crate::app::support::{self as uc, Round, Standing};
use crate::domain::listing::{ParamError, parse_idea_id};
use crate::domain::validation::FieldError;

fn idea_id(raw: &str) -> Result<String, AppError> {
    parse_idea_id(raw).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))
}

/// The support box of an idea's page.
pub struct SupportBox {
    /// "12 người ủng hộ".
    pub count_line: String,
    /// The form's target (support or take back), for a verified member.
    pub action: Option<String>,
    /// The button's words.
    pub button: String,
    /// Whether the button takes support back.
    pub supported: bool,
    /// What a visitor or an unverified member is told instead of a button.
    pub hint: Option<(String, Option<String>)>,
    /// The people's-choice round, if the contest has one.
    pub round: Option<RoundBox>,
}

/// The people's-choice part of the support box.
pub struct RoundBox {
    /// "Bình chọn của khán giả: 05/12 – 20/12/2026".
    pub line: String,
    /// "34 phiếu".
    pub votes_line: String,
    /// The vote form's target, when the round is open and the person may vote for this idea (or take it back).
    pub action: Option<String>,
    /// The button's words.
    pub button: String,
    /// Why there is no button (already voted for another idea, round closed…).
    pub note: Option<String>,
}

/// Who is looking: account id and whether the email is verified.
pub type Viewer = Option<(String, bool)>;

/// Builds the support box of idea `id` for `viewer`.
pub fn support_box(lang: Lang, id: &str, s: &Standing, viewer: &Viewer) -> SupportBox {
    let count_line = lang.tf(
        "support.count",
        &[("count", &view::count(lang, s.supporters))],
    );
    let (action, hint) = match viewer {
        Some((_, true)) => (
            Some(format!(
                "/ideas/{id}/{}",
                if s.supported { "unsupport" } else { "support" }
            )),
            None,
        ),
        Some((_, false)) => (
            None,
            Some((
                lang.t("support.verify_first").to_string(),
                Some("/profile".to_string()),
            )),
        ),
        None => (
            None,
            Some((
                lang.t("support.sign_in").to_string(),
                Some(href("/signin", &[("next", format!("/ideas/{id}"))])),
            )),
        ),
    };
    let now = crate::db::now();
    let round = s.round.as_ref().map(|r| {
        let open = r.is_open_at(now);
        let mine = s.my_vote.as_deref();
        let (action, note) = match (viewer, open, mine) {
            (_, false, _) => (
                None,
                Some(
                    lang.t(if now < r.opens_at {
                        "vote.not_yet"
                    } else {
                        "vote.closed"
                    })
                    .to_string(),
                ),
            ),
            (Some((_, true)), true, Some(m)) if m == id => {
                (Some(format!("/ideas/{id}/unvote")), None)
            }
            (Some((_, true)), true, Some(_)) => {
                (None, Some(lang.t("vote.voted_other").to_string()))
            }
            (Some((_, true)), true, None) => (Some(format!("/ideas/{id}/vote")), None),
            (_, true, _) => (None, None),
        };
        RoundBox {
            line: lang.tf(
                "vote.round",
                &[
                    ("opens", &view::date_time(lang, r.opens_at)),
                    ("closes", &view::date_time(lang, r.closes_at)),
                ],
            ),
            votes_line: lang.tf("vote.count", &[("count", &view::count(lang, s.votes))]),
            button: lang
                .t(if mine == Some(id) {
                    "vote.take_back"
                } else {
                    "vote.vote"
                })
                .to_string(),
            action,
            note,
        }
    });
    SupportBox {
        count_line,
        button: lang
            .t(if s.supported {
                "support.take_back"
            } else {
                "support.support"
            })
            .to_string(),
        supported: s.supported,
        action,
        hint,
        round,
    }
}

/// A refused support or vote goes back to the idea's page, which says why (`problem`).
fn back_to_idea(id: &str, e: AppError) -> Result<HttpResponse, AppError> {
    match e {
        AppError::Rule(code) => Ok(see_other(&format!(
            "{}#support",
            href(&format!("/ideas/{id}"), &[("problem", code.to_string())])
        ))),
        e => Err(e),
    }
}

async fn page_action(
    state: State,
    who: SignedIn,
    raw: &str,
    f: fn(&mut crate::db::DbConn, &crate::access::Principal, &str) -> Result<i64, AppError>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(raw)?;
    let i = id.clone();
    match state.with_conn(move |conn| f(conn, &who.0, &i)).await {
        Ok(_) => {
            state.cache.bump();
            Ok(see_other(&format!("/ideas/{id}#support")))
        }
        Err(e) => back_to_idea(&id, e),
    }
}

/// `POST /ideas/{id}/support`.
pub async fn support(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    page_action(state, who, &path, uc::support).await
}

/// `POST /ideas/{id}/unsupport`.
pub async fn unsupport(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    page_action(state, who, &path, uc::unsupport).await
}

/// `POST /ideas/{id}/vote`.
pub async fn vote(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    page_action(state, who, &path, uc::vote).await
}

/// `POST /ideas/{id}/unvote`.
pub async fn unvote(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    page_action(state, who, &path, uc::unvote).await
}

/// Support for an idea, as the API tells it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportDto {
    /// The idea.
    pub idea_id: String,
    /// Members supporting it.
    pub supporters: i64,
    /// Whether the caller supports it.
    pub supported: bool,
    /// Votes for it in its contest's people's-choice round (0 without a round).
    pub votes: i64,
    /// Whether the caller's vote in the round is for this idea.
    pub voted: bool,
    /// The round, if the contest has one.
    pub round: Option<RoundDto>,
}

/// A people's-choice round.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundDto {
    /// Opens (RFC 3339).
    pub opens_at: String,
    /// Closes (RFC 3339).
    pub closes_at: String,
    /// Whether votes are taken now.
    pub open: bool,
}

fn round_dto(r: &Round) -> RoundDto {
    RoundDto {
        opens_at: view::rfc3339(r.opens_at),
        closes_at: view::rfc3339(r.closes_at),
        open: r.is_open_at(crate::db::now()),
    }
}

async fn api_answer(
    state: &State,
    who: &crate::access::Principal,
    id: String,
    code: StatusCode,
) -> Result<HttpResponse, AppError> {
    let user = who.user_id.clone();
    let s = state
        .with_conn(move |conn| {
            use crate::db::schema::ideas;
            use diesel::prelude::*;
            let contest: String = ideas::table
                .find(&id)
                .filter(ideas::is_public.eq(true))
                .select(ideas::contest_id)
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound("idea"))?;
            let s = uc::standing(conn, &id, &contest, Some(&user))?;
            Ok((id, s))
        })
        .await?;
    let (id, s) = s;
    Ok(no_store(HttpResponse::build(code)).json(SupportDto {
        voted: s.my_vote.as_deref() == Some(id.as_str()),
        idea_id: id,
        supporters: s.supporters,
        supported: s.supported,
        votes: s.votes,
        round: s.round.as_ref().map(round_dto),
    }))
}

/// Support for an idea and the caller's own support and vote.
#[utoipa::path(get, path = "/api/v1/ideas/{id}/support", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = SupportDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_get(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    api_answer(&state, &who.0, id, StatusCode::OK).await
}

async fn api_action(
    state: State,
    who: SignedIn,
    raw: &str,
    f: fn(&mut crate::db::DbConn, &crate::access::Principal, &str) -> Result<i64, AppError>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(raw)?;
    let (p, i) = (who.0.clone(), id.clone());
    state.with_conn(move |conn| f(conn, &p, &i)).await?;
    state.cache.bump();
    api_answer(&state, &who.0, id, StatusCode::OK).await
}

/// Supports a public idea (a verified account; once: repeating changes nothing).
#[utoipa::path(put, path = "/api/v1/ideas/{id}/support", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = SupportDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_support(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    api_action(state, who, &path, uc::support).await
}

/// Takes support back.
#[utoipa::path(delete, path = "/api/v1/ideas/{id}/support", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = SupportDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_unsupport(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    api_action(state, who, &path, uc::unsupport).await
}

/// Votes for an idea in its contest's open people's-choice round (one vote per account and contest: `409
/// already_voted` while a vote for another idea stands).
#[utoipa::path(put, path = "/api/v1/ideas/{id}/vote", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = SupportDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_vote(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    api_action(state, who, &path, uc::vote).await
}

/// Takes a vote back while the round is open.
#[utoipa::path(delete, path = "/api/v1/ideas/{id}/vote", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = SupportDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_unvote(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    api_action(state, who, &path, uc::unvote).await
}

// ---------------------------------------------------------------------------------------------------------------
// The organizer's page.

#[derive(Template)]
#[template(path = "peoples_choice.html")]
struct RoundPage {
    ctx: Ctx,
    heading: String,
    action: String,
    opens_at: String,
    closes_at: String,
    notice: Option<String>,
    errors: Vec<(String, String)>,
    status_line: Option<String>,
    standings: Vec<(String, String, i64)>,
}

impl RoundPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

/// The time an organizer types, shown in a `datetime-local` input (Vietnam time).
fn local_input(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn round_view(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    notice: Option<String>,
    typed: Option<(String, String, Vec<FieldError>)>,
) -> Result<HttpResponse, AppError> {
    let (contest, round, standings) = state
        .with_conn(move |conn| {
            let contest = crate::app::contests::managed(conn, &who.0, &slug)?;
            let round = uc::round_of(conn, &contest.id)?;
            let standings = uc::standings(conn, &contest.id, 50)?;
            Ok((contest, round, standings))
        })
        .await?;
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let (opens_at, closes_at, problems) = match typed {
        Some(t) => t,
        None => (
            round
                .as_ref()
                .map(|r| local_input(r.opens_at))
                .unwrap_or_default(),
            round
                .as_ref()
                .map(|r| local_input(r.closes_at))
                .unwrap_or_default(),
            Vec::new(),
        ),
    };
    let code = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = RoundPage {
        heading: lang.tf("vote.admin_heading", &[("contest", &contest.title)]),
        action: format!("/organize/contests/{}/peoples-choice", contest.slug),
        opens_at,
        closes_at,
        notice: lang.notice(notice.as_deref()),
        errors: problems
            .iter()
            .map(|p| (p.field.clone(), super::validation::message(lang, p)))
            .collect(),
        status_line: round.as_ref().map(|r| {
            lang.tf(
                "vote.round",
                &[
                    ("opens", &view::date_time(lang, r.opens_at)),
                    ("closes", &view::date_time(lang, r.closes_at)),
                ],
            )
        }),
        standings,
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// A notice after a form.
#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    /// Its code.
    pub notice: Option<String>,
}

/// `GET /organize/contests/{slug}/peoples-choice`: the round's dates and the standings.
pub async fn round_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    round_view(&req, &state, who, path.into_inner(), q.notice.clone(), None).await
}

/// `POST /organize/contests/{slug}/peoples-choice` (`opens_at`, `closes_at`, Vietnam time).
pub async fn round_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let pairs = form_pairs(&body);
    let (o, c) = (first(&pairs, "opens_at"), first(&pairs, "closes_at"));
    let opens = crate::app::contests::parse_local(&o);
    let closes = crate::app::contests::parse_local(&c);
    let (p, s) = (who.0.clone(), slug.clone());
    match state
        .with_conn(move |conn| uc::set_round(conn, &p, &s, opens, closes))
        .await
    {
        Ok(_) => {
            state.cache.bump();
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/peoples-choice"),
                &[("notice", "vote_round_saved".into())],
            )))
        }
        Err(AppError::Invalid(problems)) => {
            round_view(&req, &state, who, slug, None, Some((o, c, problems))).await
        }
        Err(e) => Err(e),
    }
}

/// A people's-choice round to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoundBody {
    /// Opens, Vietnam time `YYYY-MM-DDTHH:MM`.
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?\s*$"
    )]
    pub opens_at: String,
    /// Closes, Vietnam time `YYYY-MM-DDTHH:MM`, after the opening (`422 closes_before_opens`).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?\s*$"
    )]
    pub closes_at: String,
}

/// Sets (or moves) a contest's people's-choice round.
#[utoipa::path(put, path = "/api/v1/contests/{slug}/vote-round", tag = "contests", request_body = RoundBody,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = RoundDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_set_round(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<RoundBody>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let b = body.into_inner();
    let opens = crate::app::contests::parse_local(&b.opens_at);
    let closes = crate::app::contests::parse_local(&b.closes_at);
    let r = state
        .with_conn(move |conn| uc::set_round(conn, &who.0, &slug, opens, closes))
        .await?;
    state.cache.bump();
    Ok(no_store(HttpResponse::Ok()).json(round_dto(&r)))
}
