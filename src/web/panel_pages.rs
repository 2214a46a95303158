//! Pages and API of a contest's review panel: the organizers' panel page (reviewers with caps and loads,
//! invitations, declared conflicts), the invitation link (accept, decline, or create an account), the reviewer's
//! list of contests, conflicts of interest and recusal.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::auth::{CurrentUser, SignedIn, client_ip, form_token, session_cookie};
use super::error::{AppError, ErrorBody};
use super::forms::{Form, field};
use super::i18n::Lang;
use super::pages::no_store;
use super::pages::{Ctx, ctx_of, private_page, render, see_other};
use super::view::{self, Choice, href};
use crate::app::conflicts::{self, ConflictRow};
use crate::app::panel::{self, InvitationRecord, JoinInput, Member, MyPanel, Opened};
use crate::db::catalog;
use crate::domain::account::normalize_email;

// ---------------------------------------------------------------------------------------------------------------
// API: the panel

/// A reviewer of a contest's panel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerDto {
    /// Account id.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Their unit's name.
    pub unit: Option<String>,
    /// At most this many ideas (1–1000).
    pub cap: i32,
    /// Ideas assigned now (proposed, assigned or accepted).
    pub load: i64,
    /// On the panel since (RFC 3339).
    pub added_at: String,
}

fn reviewer_dto(m: Member) -> ReviewerDto {
    ReviewerDto {
        added_at: view::rfc3339(m.added_at),
        user_id: m.user_id,
        name: m.name,
        email: m.email,
        unit: m.unit,
        cap: m.cap,
        load: m.load,
    }
}

/// An invitation to the panel.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationDto {
    /// Id.
    pub id: String,
    /// The invited address.
    pub email: String,
    /// The cap the reviewer will have.
    pub cap: i32,
    /// `pending`, `accepted`, `declined` or `expired`.
    pub status: String,
    /// Sent (RFC 3339).
    pub invited_at: String,
    /// The link stops working (RFC 3339).
    pub expires_at: String,
}

fn invitation_dto(i: InvitationRecord) -> InvitationDto {
    InvitationDto {
        status: i.state(crate::db::now()).code().into(),
        invited_at: view::rfc3339(i.created_at),
        expires_at: view::rfc3339(i.expires_at),
        id: i.id,
        email: i.email,
        cap: i.cap,
    }
}

/// A contest's panel.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelDto {
    /// Contest slug.
    pub contest: String,
    /// Reviewers, by name.
    pub reviewers: Vec<ReviewerDto>,
    /// Invitations not accepted yet (pending, declined, expired), newest first.
    pub invitations: Vec<InvitationDto>,
}

/// An invitation to send.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct InviteBody {
    /// The address to invite.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 254,
        pattern = r"^[a-zA-Z0-9_%+-]{1,20}(\.[a-zA-Z0-9_%+-]{1,20}){0,2}@[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){1,3}$"
    )]
    pub email: String,
    /// At most this many ideas, 1–1000 (default 30).
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::whole::optional"
    )]
    #[schema(minimum = 1, maximum = 1000)]
    pub cap: Option<i64>,
}

/// A new cap.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CapBody {
    /// At most this many ideas, 1–1000; not below the ideas the reviewer already holds (`409 below_load`).
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::whole::optional"
    )]
    #[schema(required = true, nullable = false, minimum = 1, maximum = 1000)]
    pub cap: Option<i64>,
}

/// The panel of a contest: reviewers with their caps and loads, and the invitations not accepted yet. Organizers of
/// the contest's unit only.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/panel", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = PanelDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_panel(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let p = state
        .with_conn(move |conn| panel::panel(conn, &who.0, &slug))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(PanelDto {
        contest: p.contest.slug,
        reviewers: p.members.into_iter().map(reviewer_dto).collect(),
        invitations: p.invitations.into_iter().map(invitation_dto).collect(),
    }))
}

/// Invites a reviewer by email: the address gets a one-use link valid 14 days to accept (creating an account if
/// they have none) or decline. Refused (400, nothing sent): a bad email (`email`), a cap outside 1–1000 (`range`),
/// someone already on the panel (`already_on_panel`) or already invited and not answered (`already_invited`).
#[utoipa::path(post, path = "/api/v1/contests/{slug}/panel", tag = "review", request_body = InviteBody,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 201, body = InvitationDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_invite(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<InviteBody>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let body = body.into_inner();
    let inv = state
        .with_conn(move |conn| panel::invite(conn, &who.0, &slug, &body.email, body.cap))
        .await?;
    crate::mail::notify();
    Ok(no_store(HttpResponse::Created()).json(invitation_dto(inv)))
}

/// Changes a reviewer's cap (1–1000, and not below the ideas they already hold: `below_load`).
#[utoipa::path(patch, path = "/api/v1/contests/{slug}/panel/{user}", tag = "review", request_body = CapBody,
    params(("slug" = String, Path, description = "Contest slug"), ("user" = String, Path, description = "Reviewer id")),
    responses((status = 200, body = ReviewerDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_set_cap(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Json<CapBody>,
) -> Result<HttpResponse, AppError> {
    let (slug, user) = path.into_inner();
    let cap = body.into_inner().cap;
    let m = state
        .with_conn(move |conn| panel::set_cap(conn, &who.0, &slug, &user, cap))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(reviewer_dto(m)))
}

/// Removes a reviewer from the panel; their live assignments in the contest become `removed`.
#[utoipa::path(delete, path = "/api/v1/contests/{slug}/panel/{user}", tag = "review",
    params(("slug" = String, Path, description = "Contest slug"), ("user" = String, Path, description = "Reviewer id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_remove(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, user) = path.into_inner();
    state
        .with_conn(move |conn| panel::remove(conn, &who.0, &slug, &user))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------------------------
// API: invitations, my panels

/// The token of an invitation link (named apart from `account_api::TokenBody` in the OpenAPI document).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = InvitationToken)]
pub struct TokenBody {
    /// The `token` of the link in the invitation email.
    #[serde(default)]
    pub token: String,
}

/// A new account made from an invitation link.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct JoinBody {
    /// The `token` of the link in the invitation email.
    #[serde(default)]
    pub token: String,
    /// The name others see (2–80 characters; `JoinInput`'s rule).
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 80)]
    pub display_name: String,
    /// 10–200 characters (`JoinInput`'s rule).
    #[serde(default)]
    #[schema(required = true, min_length = 10, max_length = 200)]
    pub password: String,
    /// The slug of the person's unit, if any.
    #[serde(default)]
    pub unit: String,
    /// `vi` (default) or `en`.
    #[serde(default)]
    pub lang: String,
}

/// A contest the caller reviews for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPanelDto {
    /// Contest slug.
    pub contest: String,
    /// Contest title.
    pub title: String,
    /// Submissions close (RFC 3339).
    pub closes_at: String,
    /// At most this many ideas.
    pub cap: i32,
    /// Ideas assigned now.
    pub load: i64,
}

fn my_panel_dto((p, load): (MyPanel, i64)) -> MyPanelDto {
    MyPanelDto {
        closes_at: view::rfc3339(p.closes_at),
        contest: p.slug,
        title: p.title,
        cap: p.cap,
        load,
    }
}

/// Accepts an invitation as the signed-in account, whose email must be the invited one
/// (`invitation_other_account`). A used or expired link is refused (`invitation_accepted`, `invitation_declined`,
/// `invitation_expired`, 409); an unknown one is 404.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "review", request_body = TokenBody,
    responses((status = 200, body = MyPanelDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_accept(
    state: State,
    who: SignedIn,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let token = body.into_inner().token;
    let mine = state
        .with_conn(move |conn| {
            let contest = panel::accept(conn, &who.0, &token)?;
            Ok(panel::my_panels(conn, &who.0)?
                .into_iter()
                .find(|(p, _)| p.slug == contest.slug))
        })
        .await?
        .ok_or(AppError::NotFound("contest"))?;
    Ok(no_store(HttpResponse::Ok()).json(my_panel_dto(mine)))
}

/// Declines an invitation (the link is enough).
#[utoipa::path(post, path = "/api/v1/invitations/decline", tag = "review", request_body = TokenBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_decline(
    state: State,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let token = body.into_inner().token;
    state
        .with_conn(move |conn| panel::decline(conn, &token).map(|_| ()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Creates the invited person's account from the link (the email is the invited one and counts as verified) and
/// puts it on the panel. Refused if the address already has an account (`invitation_has_account`: sign in and
/// accept instead).
#[utoipa::path(post, path = "/api/v1/invitations/join", tag = "review", request_body = JoinBody,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn api_join(state: State, body: web::Json<JoinBody>) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let input = JoinInput {
        display_name: b.display_name,
        password: b.password,
        unit: b.unit,
        lang: b.lang,
    };
    let (contest, email) = state
        .with_conn(move |conn| panel::join(conn, &b.token, &input))
        .await?;
    Ok(no_store(HttpResponse::Created())
        .json(serde_json::json!({ "contest": contest.slug, "email": email })))
}

/// The contests the caller reviews for, latest closing first, with their cap and current load.
#[utoipa::path(get, path = "/api/v1/me/panels", tag = "review",
    responses((status = 200, body = Vec<MyPanelDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_my_panels(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let rows = state
        .with_conn(move |conn| panel::my_panels(conn, &who.0))
        .await?;
    let items: Vec<MyPanelDto> = rows.into_iter().map(my_panel_dto).collect();
    Ok(no_store(HttpResponse::Ok()).json(items))
}

// ---------------------------------------------------------------------------------------------------------------
// API: conflicts and recusal

/// A conflict of interest between a reviewer and an idea.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictDto {
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub idea_title: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer_name: String,
    /// Found by the portal: `author`, `coauthor`, `unit` (same unit, ward or school); declared: `family`, `mentor`,
    /// `school`, `other`.
    pub kind: String,
    /// `portal` (found) or `reviewer` (declared).
    pub source: String,
    /// The reason given (declared conflicts).
    pub reason: String,
    /// When it was declared (RFC 3339).
    pub declared_at: Option<String>,
}

fn conflict_dto(r: ConflictRow) -> ConflictDto {
    ConflictDto {
        source: if r.declared { "reviewer" } else { "portal" }.into(),
        declared_at: r.declared_at.map(view::rfc3339),
        idea_id: r.idea_id,
        idea_title: r.idea_title,
        reviewer_id: r.reviewer_id,
        reviewer_name: r.reviewer_name,
        kind: r.kind,
        reason: r.reason,
    }
}

/// A contest's conflicts of interest.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictsDto {
    /// Contest slug.
    pub contest: String,
    /// Declared conflicts first (newest first), then the ones the portal found.
    pub items: Vec<ConflictDto>,
}

/// A conflict a reviewer declares.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeclareBody {
    /// The idea (of this contest).
    #[serde(default)]
    #[schema(required = true, pattern = r"\S")]
    pub idea_id: String,
    /// `family`, `mentor`, `school` or `other`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(family|mentor|school|other)$")]
    pub kind: String,
    /// Why (required, at most 2,000 characters; the organizers see it).
    #[serde(default)]
    #[schema(required = true, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// A recusal.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RecuseBody {
    /// The conflict behind it: `family`, `mentor`, `school` or `other` (the default).
    #[serde(default)]
    #[schema(pattern = "^(family|mentor|school|other)?$")]
    pub kind: String,
    /// Why (required, at most 2,000 characters).
    #[serde(default)]
    #[schema(required = true, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// Every conflict of interest between the contest's panel and its ideas: the ones reviewers declared and the ones
/// the portal found (author, co-author, same unit or same ward or school). Organizers of the contest's unit only.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/conflicts", tag = "review",
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 200, body = ConflictsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_conflicts(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, rows) = state
        .with_conn(move |conn| conflicts::listing(conn, &who.0, &slug))
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(ConflictsDto {
        contest: contest.slug,
        items: rows.into_iter().map(conflict_dto).collect(),
    }))
}

/// A reviewer of the contest declares a conflict of interest with one of its ideas; the organizers see it on the
/// panel page and the idea is never assigned to them. Refused: a bad kind (`unknown_conflict_kind`) or a missing
/// reason (400), someone not on the panel (403), an idea not of this contest (404), the same declaration twice
/// (`conflict_already_declared`, 409).
#[utoipa::path(post, path = "/api/v1/contests/{slug}/conflicts", tag = "review", request_body = DeclareBody,
    params(("slug" = String, Path, description = "Contest slug")),
    responses((status = 201, body = ConflictDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_declare(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<DeclareBody>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let b = body.into_inner();
    let row = state
        .with_conn(move |conn| {
            conflicts::declare(conn, &who.0, &slug, &b.idea_id, &b.kind, &b.reason)
        })
        .await?;
    Ok(no_store(HttpResponse::Created()).json(conflict_dto(row)))
}

/// The caller withdraws from one of their assignments (assigned or accepted) with a reason: the assignment becomes
/// `recused` and frees its slot, a declared conflict of kind `other` keeps the reason, and the audit log records it.
/// Refused: a missing reason (400), an assignment that is not the caller's (404), one already ended
/// (`not_recusable`, 409).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/recuse", tag = "review", request_body = RecuseBody,
    params(("id" = String, Path, description = "Assignment id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_recuse(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<RecuseBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let RecuseBody { kind, reason } = body.into_inner();
    state
        .with_conn(move |conn| conflicts::recuse(conn, &who.0, &id, &kind, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------------------------
// The organizers' panel page

struct MemberRow {
    id: String,
    name: String,
    email: String,
    unit: String,
    cap: String,
    load: i64,
    conflicts: usize,
    cap_action: String,
    remove_action: String,
    cap_field: String,
}

struct InvitationRow {
    email: String,
    cap: i32,
    sent: String,
    expires: String,
    status: &'static str,
}

/// A conflict of interest as the organizers' pages list it.
pub(super) struct ConflictLine {
    /// The idea's title.
    pub(super) idea: String,
    /// The reviewer's name.
    pub(super) reviewer: String,
    /// The kind, in words.
    pub(super) kind: &'static str,
    /// The reviewer's reason (declared), or why the portal found it.
    pub(super) reason: String,
    /// When it was declared ("" for the ones the portal found).
    pub(super) at: String,
}

/// A conflict in the reader's words: a declared one with the reviewer's own reason, a found one with the portal's.
pub(super) fn conflict_line(lang: Lang, r: &ConflictRow) -> ConflictLine {
    ConflictLine {
        idea: r.idea_title.clone(),
        reviewer: r.reviewer_name.clone(),
        kind: lang.t(&format!("conflict.kind.{}", r.kind)),
        reason: if r.declared {
            r.reason.clone()
        } else {
            lang.t(&format!("conflict.why.{}", r.kind)).to_string()
        },
        at: r
            .declared_at
            .map(|t| view::date_time(lang, t))
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "panel.html")]
struct PanelPage {
    ctx: Ctx,
    heading: String,
    action: String,
    edit_href: String,
    audit_href: String,
    conflicts_href: String,
    notice: Option<String>,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    declared: Vec<ConflictLine>,
    found_total: usize,
    form: Form,
}

/// `?notice=` after a form.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NoticeQuery {
    /// A notice to show.
    pub notice: Option<String>,
}

async fn render_panel(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    notice: Option<String>,
    form: Form,
    code: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let (p, rows) = state
        .with_conn(move |conn| {
            let p = panel::panel(conn, &who.0, &slug)?;
            let (_, rows) = conflicts::listing(conn, &who.0, &slug)?;
            Ok((p, rows))
        })
        .await?;
    let mut per_reviewer: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *per_reviewer.entry(r.reviewer_id.as_str()).or_default() += 1;
    }
    let base = format!("/organize/contests/{}/panel", p.contest.slug);
    let members = p
        .members
        .iter()
        .map(|m| {
            let cap_field = format!("cap_{}", m.user_id);
            MemberRow {
                cap: form
                    .values
                    .get(&cap_field)
                    .cloned()
                    .unwrap_or_else(|| m.cap.to_string()),
                conflicts: per_reviewer.get(m.user_id.as_str()).copied().unwrap_or(0),
                cap_action: format!("{base}/{}/cap", m.user_id),
                remove_action: format!("{base}/{}/remove", m.user_id),
                cap_field,
                id: m.user_id.clone(),
                name: m.name.clone(),
                email: m.email.clone(),
                unit: m.unit.clone().unwrap_or_default(),
                load: m.load,
            }
        })
        .collect();
    let at = crate::db::now();
    let page = PanelPage {
        heading: lang.tf("panel.heading", &[("contest", &p.contest.title)]),
        edit_href: format!("/organize/contests/{}/edit", p.contest.slug),
        audit_href: format!("/organize/contests/{}/audit", p.contest.slug),
        conflicts_href: format!("/organize/contests/{}/conflicts", p.contest.slug),
        action: base,
        notice: lang.notice(notice.as_deref()),
        members,
        invitations: p
            .invitations
            .iter()
            .map(|i| InvitationRow {
                email: i.email.clone(),
                cap: i.cap,
                sent: view::date_time(lang, i.created_at),
                expires: view::date_time(lang, i.expires_at),
                status: lang.t(&format!("panel.invitation.{}", i.state(at).code())),
            })
            .collect(),
        found_total: rows.iter().filter(|r| !r.declared).count(),
        declared: rows
            .iter()
            .filter(|r| r.declared)
            .map(|r| conflict_line(lang, r))
            .collect(),
        form,
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// `GET /organize/contests/{slug}/panel`.
pub async fn page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(&req, &state);
    let mut form = Form::new(ctx.lang, ctx.csrf.clone());
    form.values
        .insert("cap".into(), panel::DEFAULT_CAP.to_string());
    let notice = q.into_inner().notice;
    render_panel(
        &req,
        &state,
        who,
        path.into_inner(),
        notice,
        form,
        StatusCode::OK,
    )
    .await
}

/// Runs a panel form: on success back to the panel page with a notice; field problems show the page again with the
/// values kept (under `fields_as`, so a row's cap error shows on that row).
#[allow(clippy::too_many_arguments)]
async fn panel_form<F>(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    slug: String,
    body: HashMap<String, String>,
    fields_as: Option<String>,
    notice: &str,
    run: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConn, &crate::access::Principal) -> Result<(), AppError>
        + Send
        + 'static,
{
    let principal = who.0.clone();
    let result = state.with_conn(move |conn| run(conn, &principal)).await;
    match result {
        Ok(()) => {
            crate::mail::notify();
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/panel"),
                &[("notice", notice.into())],
            )))
        }
        Err(AppError::Invalid(mut problems)) => {
            let ctx = ctx_of(&req, &state);
            let mut form = Form::new(ctx.lang, ctx.csrf.clone()).keep(&body, &[]);
            if let Some(name) = &fields_as {
                for p in problems.iter_mut() {
                    p.field = name.clone();
                }
                form.values.insert(name.clone(), field(&body, "cap"));
                form.values
                    .insert("cap".into(), panel::DEFAULT_CAP.to_string());
            }
            form.problems = problems;
            render_panel(&req, &state, who, slug, None, form, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /organize/contests/{slug}/panel`: the invite form (`email`, `cap`).
pub async fn invite(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let body = body.into_inner();
    let (s, email, cap) = (
        slug.clone(),
        field(&body, "email"),
        panel::cap_from_text(&field(&body, "cap")),
    );
    panel_form(
        req,
        state,
        who,
        slug,
        body,
        None,
        "panel_invited",
        move |conn, who| panel::invite(conn, who, &s, &email, cap).map(|_| ()),
    )
    .await
}

/// `POST /organize/contests/{slug}/panel/{user}/cap`: a row's cap form.
pub async fn set_cap(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (slug, user) = path.into_inner();
    let body = body.into_inner();
    let cap = panel::cap_from_text(&field(&body, "cap"));
    let (s, u) = (slug.clone(), user.clone());
    panel_form(
        req,
        state,
        who,
        slug,
        body,
        Some(format!("cap_{user}")),
        "panel_cap_saved",
        move |conn, who| panel::set_cap(conn, who, &s, &u, cap).map(|_| ()),
    )
    .await
}

/// `POST /organize/contests/{slug}/panel/{user}/remove`.
pub async fn remove(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, user) = path.into_inner();
    let s = slug.clone();
    panel_form(
        req,
        state,
        who,
        slug,
        HashMap::new(),
        None,
        "panel_removed",
        move |conn, who| panel::remove(conn, who, &s, &user),
    )
    .await
}

// ---------------------------------------------------------------------------------------------------------------
// The invitation link

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    ctx: Ctx,
    heading: String,
    lead: String,
    email: String,
    token: String,
    expires: String,
    /// `accept` (signed in as the invited address), `other_account`, `signin` or `join`.
    mode: &'static str,
    signin_href: String,
    units: Vec<Choice>,
    form: Form,
}

/// A page that says one thing and links home (an invitation that cannot be used, or was just declined).
#[derive(Template)]
#[template(path = "notice.html")]
struct SayPage {
    ctx: Ctx,
    heading: String,
    message: String,
    link_href: &'static str,
    link_label: &'static str,
}

fn say(
    req: &HttpRequest,
    state: &State,
    code: StatusCode,
    heading: &str,
    message: String,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let page = SayPage {
        heading: lang.t(heading).into(),
        message,
        link_href: "/",
        link_label: lang.t("invitation.home"),
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// The page for a link that cannot be used (unknown, used, expired); other errors pass on.
fn invalid_link(req: &HttpRequest, state: &State, err: AppError) -> Result<HttpResponse, AppError> {
    let (code, key) = match &err {
        AppError::NotFound("invitation") => (StatusCode::NOT_FOUND, "invitation_unknown"),
        AppError::Rule(
            c @ ("invitation_accepted" | "invitation_declined" | "invitation_expired"),
        ) => (StatusCode::GONE, *c),
        _ => return Err(err),
    };
    let message = Lang::of_request(req).t(&format!("invitation.{key}")).into();
    say(req, state, code, "invitation.invalid_heading", message)
}

/// `?token=` of the invitation link.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

async fn render_invitation(
    req: &HttpRequest,
    state: &State,
    who: Option<crate::access::Principal>,
    token: String,
    form: Option<Form>,
    code: StatusCode,
) -> Result<HttpResponse, AppError> {
    let t = token.clone();
    let loaded = state
        .with_conn(move |conn| {
            let opened = panel::open(conn, &t)?;
            let units = catalog::all_units(conn)?;
            Ok((opened, units))
        })
        .await;
    let (opened, units): (Opened, Vec<catalog::Unit>) = match loaded {
        Ok(v) => v,
        Err(e) => return invalid_link(req, state, e),
    };
    let (csrf, cookie) = form_token(req, state);
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let form = form.unwrap_or_else(|| Form::new(lang, csrf.clone()));
    let form = Form { csrf, ..form };
    let mode = match &who {
        Some(p) if normalize_email(&p.email) == opened.invitation.email => "accept",
        Some(_) => "other_account",
        None if opened.has_account => "signin",
        None => "join",
    };
    let page = InvitationPage {
        heading: lang.tf("invitation.heading", &[("contest", &opened.contest.title)]),
        lead: lang.tf(
            "invitation.lead",
            &[
                ("inviter", &opened.inviter),
                ("contest", &opened.contest.title),
                ("cap", &opened.invitation.cap.to_string()),
            ],
        ),
        email: opened.invitation.email.clone(),
        expires: view::date_time(lang, opened.invitation.expires_at),
        signin_href: href(
            "/signin",
            &[("next", href("/invitation", &[("token", token.clone())]))],
        ),
        token,
        mode,
        units: units
            .into_iter()
            .filter(|u| u.kind != "city")
            .map(|u| Choice {
                selected: u.slug == form.v("unit"),
                value: u.slug,
                label: u.name,
            })
            .collect(),
        form,
        ctx,
    };
    let mut res = private_page(code, render(&page)?);
    if let Some(c) = cookie {
        res.add_cookie(&c)
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(res)
}

/// `GET /invitation?token=…`: the link from the invitation email.
pub async fn invitation(
    req: HttpRequest,
    state: State,
    who: CurrentUser,
    q: web::Query<LinkQuery>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token.unwrap_or_default();
    render_invitation(&req, &state, who.0, token, None, StatusCode::OK).await
}

/// `POST /invitation/accept`: the signed-in invited person accepts; on to their contests.
pub async fn accept(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let token = field(&body, "token");
    let principal = who.0;
    match state
        .with_conn(move |conn| panel::accept(conn, &principal, &token))
        .await
    {
        Ok(_) => Ok(see_other("/review?notice=panel_joined")),
        Err(e) => invalid_link(&req, &state, e),
    }
}

/// `POST /invitation/decline`.
pub async fn decline(
    req: HttpRequest,
    state: State,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let token = field(&body, "token");
    match state
        .with_conn(move |conn| panel::decline(conn, &token))
        .await
    {
        Ok(contest) => {
            let message =
                Lang::of_request(&req).tf("invitation.declined", &[("contest", &contest.title)]);
            say(
                &req,
                &state,
                StatusCode::OK,
                "invitation.declined_heading",
                message,
            )
        }
        Err(e) => invalid_link(&req, &state, e),
    }
}

/// `POST /invitation/join`: creates the invited person's account, signs them in, and shows their contests.
pub async fn join(
    req: HttpRequest,
    state: State,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let token = field(&body, "token");
    let lang = Lang::of_request(&req);
    let input = JoinInput {
        display_name: field(&body, "display_name"),
        password: field(&body, "password"),
        unit: field(&body, "unit"),
        lang: lang.code().into(),
    };
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let t = token.clone();
    let password = input.password.clone();
    let result = state
        .with_conn(move |conn| panel::join(conn, &t, &input))
        .await;
    match result {
        Ok((_, email)) => {
            // Signed in with the password just chosen; should that fail (a rate limit), the account stands and the
            // sign-in form takes over.
            let signin = crate::app::accounts::SigninInput { email, password };
            let session = state
                .with_conn(move |conn| crate::app::accounts::signin(conn, &signin, &ip, &ua, None))
                .await;
            let Ok(session) = session else {
                return Ok(see_other("/signin?next=%2Freview"));
            };
            let mut res = see_other("/review?notice=panel_joined");
            res.add_cookie(&session_cookie(&state, &session.token))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(res)
        }
        Err(AppError::Invalid(problems)) => {
            let form = Form {
                problems,
                ..Form::new(lang, String::new()).keep(&body, &["password", "token"])
            };
            render_invitation(
                &req,
                &state,
                None,
                token,
                Some(form),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => invalid_link(&req, &state, e),
    }
}
