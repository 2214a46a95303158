//! The accounts API: register, sign in and out, verify, passwords, the signed-in person, tokens, and user admin.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::auth::{SignedIn, clear_session_cookie, client_ip, session_cookie};
use super::error::{AppError, ErrorBody};
use super::view::rfc3339;
use crate::access::{AuthMethod, Principal};
use crate::app::accounts::{
    self, AdminUpdate, ChangePasswordInput, ForgotInput, NewTokenInput, RegisterInput, ResetInput,
    SigninInput,
};
use crate::db::users::User;
use crate::db::{DbConn, accounts as store, catalog};

/// A short answer for requests whose outcome must not reveal anything more.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusDto {
    /// `check_email`, `verified`, `password_changed`.
    pub status: String,
}

fn status(code: StatusCode, s: &str) -> HttpResponse {
    HttpResponse::build(code)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(StatusDto { status: s.into() })
}

/// The signed-in person.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    /// Account id.
    pub id: String,
    /// Email (normalised).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Phone, if given.
    pub phone: Option<String>,
    /// Role.
    pub role: String,
    /// Unit slug.
    pub unit: Option<String>,
    /// Whether the email is verified.
    pub verified: bool,
    /// Language of emails.
    pub lang: String,
    /// The token to send as `X-CSRF-Token` on unsafe requests made with the session cookie; `null` with a bearer
    /// token.
    pub csrf_token: Option<String>,
}

fn me_dto(conn: &mut DbConn, user: User, csrf: Option<String>) -> Result<MeDto, AppError> {
    let unit = match &user.unit_id {
        Some(id) => catalog::unit_by_id(conn, id)?.map(|u| u.slug),
        None => None,
    };
    Ok(MeDto {
        id: user.id,
        verified: user.email_verified_at.is_some(),
        email: user.email,
        display_name: user.display_name,
        phone: user.phone,
        role: user.role,
        unit,
        lang: user.lang,
        csrf_token: csrf,
    })
}

fn csrf_of(p: &Principal) -> Option<String> {
    match &p.auth {
        AuthMethod::Session { csrf, .. } => Some(csrf.clone()),
        AuthMethod::Token { .. } => None,
    }
}

/// Register an account; a verification link is emailed. The answer is the same whether or not the email already
/// has an account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterInput,
    responses((status = 202, body = StatusDto), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register(
    req: HttpRequest,
    state: State,
    body: web::Json<RegisterInput>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let config = state.config.clone();
    let input = body.into_inner();
    state
        .with_conn(move |conn| accounts::register(conn, &config, &input, &ip))
        .await?;
    Ok(status(StatusCode::ACCEPTED, "check_email"))
}

/// Sign in; sets the session cookie and returns the person with the session's CSRF token.
#[utoipa::path(post, path = "/api/v1/auth/signin", tag = "accounts", request_body = SigninInput,
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn signin(
    req: HttpRequest,
    state: State,
    body: web::Json<SigninInput>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let previous = req
        .cookie(super::cache::SESSION_COOKIE)
        .map(|c| crate::app::secrets::token_hash(c.value()));
    let input = body.into_inner();
    let (token, me) = state
        .with_conn(move |conn| {
            let new = accounts::signin(conn, &input, &ip, &ua, previous.as_deref())?;
            let me = me_dto(conn, new.user, Some(new.session.csrf_token))?;
            Ok((new.token, me))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(session_cookie(&state, &token))
        .json(me))
}

/// Sign out of this session.
#[utoipa::path(post, path = "/api/v1/auth/signout", tag = "accounts", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn signout(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    state
        .with_conn(move |conn| accounts::signout(conn, &who.0))
        .await?;
    Ok(HttpResponse::NoContent()
        .cookie(clear_session_cookie(&state))
        .finish())
}

/// A token from an email link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenBody {
    /// The `token` parameter of the link.
    pub token: String,
}

/// Verify an email with the token from the link.
#[utoipa::path(post, path = "/api/v1/auth/verify", tag = "accounts", request_body = TokenBody,
    responses((status = 200, body = StatusDto), (status = 400, body = ErrorBody)))]
pub async fn verify(state: State, body: web::Json<TokenBody>) -> Result<HttpResponse, AppError> {
    let token = body.into_inner().token;
    state
        .with_conn(move |conn| accounts::verify(conn, &token))
        .await?;
    Ok(status(StatusCode::OK, "verified"))
}

/// Send a new verification link to the signed-in person.
#[utoipa::path(post, path = "/api/v1/auth/verify/resend", tag = "accounts",
    responses((status = 202, body = StatusDto), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn resend(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let config = state.config.clone();
    state
        .with_conn(move |conn| accounts::resend_verification(conn, &config, &who.0))
        .await?;
    Ok(status(StatusCode::ACCEPTED, "check_email"))
}

/// Ask for a password-reset link (the same answer whether or not the email has an account).
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", tag = "accounts", request_body = ForgotInput,
    responses((status = 202, body = StatusDto), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn forgot(
    req: HttpRequest,
    state: State,
    body: web::Json<ForgotInput>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let config = state.config.clone();
    let input = body.into_inner();
    state
        .with_conn(move |conn| accounts::forgot_password(conn, &config, &input, &ip))
        .await?;
    Ok(status(StatusCode::ACCEPTED, "check_email"))
}

/// Set a new password with the token from a reset link; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "accounts", request_body = ResetInput,
    responses((status = 200, body = StatusDto), (status = 400, body = ErrorBody)))]
pub async fn reset(state: State, body: web::Json<ResetInput>) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    state
        .with_conn(move |conn| accounts::reset_password(conn, &input))
        .await?;
    Ok(status(StatusCode::OK, "password_changed"))
}

/// The signed-in person.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let csrf = csrf_of(&who.0);
    let id = who.0.user_id.clone();
    let me = state
        .with_conn(move |conn| {
            let user = store::user_by_id(conn, &id)?.ok_or(AppError::Unauthenticated)?;
            me_dto(conn, user, csrf)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(me))
}

/// Change the password (the current one is required); other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = ChangePasswordInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    state: State,
    who: SignedIn,
    body: web::Json<ChangePasswordInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    state
        .with_conn(move |conn| accounts::change_password(conn, &who.0, &input))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the signed-in person.
#[utoipa::path(post, path = "/api/v1/me/signout-all", tag = "accounts", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn signout_all(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    state
        .with_conn(move |conn| accounts::signout_everywhere(conn, &who.0))
        .await?;
    Ok(HttpResponse::NoContent()
        .cookie(clear_session_cookie(&state))
        .finish())
}

/// A personal access token (without its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last used (RFC 3339).
    pub last_used_at: Option<String>,
}

/// A new token, with its secret shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// The signed-in person's tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenDto>), (status = 401, body = ErrorBody)))]
pub async fn tokens(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let list = state
        .with_conn(move |conn| {
            Ok(store::tokens_of(conn, &who.0.user_id)?
                .into_iter()
                .map(|t| TokenDto {
                    id: t.id,
                    name: t.name,
                    created_at: rfc3339(t.created_at),
                    last_used_at: t.last_used_at.map(rfc3339),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(list))
}

/// Create a personal access token.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", request_body = NewTokenInput,
    responses((status = 201, body = NewTokenDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_token(
    state: State,
    who: SignedIn,
    body: web::Json<NewTokenInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let (t, plain) = state
        .with_conn(move |conn| accounts::create_token(conn, &who.0, &input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(NewTokenDto {
            id: t.id,
            name: t.name,
            token: plain,
        }))
}

/// Revoke one of the signed-in person's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", params(("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state
        .with_conn(move |conn| accounts::revoke_token(conn, &who.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An account, as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserDto {
    /// Id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: String,
    /// Unit id.
    pub unit_id: Option<String>,
    /// Whether the email is verified.
    pub verified: bool,
    /// Whether the account is disabled.
    pub disabled: bool,
}

fn admin_dto(u: User) -> AdminUserDto {
    AdminUserDto {
        verified: u.email_verified_at.is_some(),
        disabled: u.disabled_at.is_some(),
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        role: u.role,
        unit_id: u.unit_id,
    }
}

/// Search text for the user list.
#[derive(Debug, Deserialize)]
pub struct UserSearch {
    q: Option<String>,
}

/// Accounts (newest first, at most 200), optionally searched by email or name.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(("q" = Option<String>, Query, description = "Part of an email or name")),
    responses((status = 200, body = Vec<AdminUserDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_users(
    state: State,
    q: web::Query<UserSearch>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner().q;
    let list = state
        .with_conn(move |conn| {
            Ok(store::list_users(conn, q.as_deref(), 200)?
                .into_iter()
                .map(admin_dto)
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(list))
}

/// Change an account's role, unit or enabled state (not one's own). Disabling ends its sessions.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", request_body = AdminUpdate, params(("id" = String, Path, description = "Account id")),
    responses((status = 200, body = AdminUserDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn admin_update_user(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<AdminUpdate>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let change = body.into_inner();
    let user = state
        .with_conn(move |conn| accounts::admin_update(conn, &who.0, &id, &change))
        .await?;
    Ok(HttpResponse::Ok().json(admin_dto(user)))
}

/// One outgoing email, as organizers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailDto {
    /// Id.
    pub id: String,
    /// Recipient's address.
    pub recipient: String,
    /// What kind of email (`verify`, `password_reset`, …).
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// `queued`, `failed` or `sent`.
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// Queued at (RFC 3339).
    pub created_at: String,
    /// Next attempt (RFC 3339), while queued.
    pub next_attempt_at: Option<String>,
    /// Sent at (RFC 3339).
    pub sent_at: Option<String>,
}

/// The outgoing-email queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailQueueDto {
    /// Messages waiting to be sent.
    pub queued: i64,
    /// Messages given up on.
    pub failed: i64,
    /// Messages sent.
    pub sent: i64,
    /// The newest 200 messages matching the filter.
    pub items: Vec<MailDto>,
}

/// The `status` filter of the queue.
#[derive(Debug, Deserialize)]
pub struct MailFilter {
    status: Option<String>,
}

/// The outgoing-email queue: counts and the newest messages, optionally only queued, failed or sent ones.
#[utoipa::path(get, path = "/api/v1/admin/mail", tag = "admin",
    params(("status" = Option<String>, Query, description = "`queued`, `failed` or `sent`", pattern = r"^\s*(queued|failed|sent)?\s*$")),
    responses((status = 200, body = MailQueueDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_mail(
    state: State,
    who: SignedIn,
    q: web::Query<MailFilter>,
) -> Result<HttpResponse, AppError> {
    let status = super::account_pages::mail_status(q.status.as_deref())?;
    let scope = crate::access::admin_scope(&who.0);
    let (counts, rows) = state
        .with_conn(move |conn| {
            Ok((
                crate::mail::counts(conn, &scope)?,
                crate::mail::list(conn, status, &scope, 200)?,
            ))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|r| MailDto {
            state: match (r.sent_at, r.failed_at) {
                (Some(_), _) => "sent",
                (None, Some(_)) => "failed",
                (None, None) => "queued",
            }
            .into(),
            next_attempt_at: (r.sent_at.is_none() && r.failed_at.is_none())
                .then(|| rfc3339(r.next_attempt_at)),
            sent_at: r.sent_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            id: r.id,
            recipient: r.recipient,
            kind: r.kind,
            subject: r.subject,
            attempts: r.attempts,
            last_error: r.last_error,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MailQueueDto {
            queued: counts.queued,
            failed: counts.failed,
            sent: counts.sent,
            items,
        }))
}
