//! Pages for accounts: register, sign in and out, verify, forgotten password, profile, and the admin's user list.

use std::collections::HashMap;

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::{SignedIn, clear_session_cookie, client_ip, form_token, session_cookie};
use super::error::AppError;
use super::forms::{Form, field};
use super::i18n::Lang;
use super::pages::{Ctx, HTML, ctx_of, render, see_other};
use super::view::{Choice, date_time, href};
use super::{AppState, State};
use crate::access::{AuthMethod, Principal};
use crate::app::accounts::{
    self, AdminUpdate, ChangePasswordInput, ForgotInput, NewTokenInput, RegisterInput, ResetInput,
    SigninInput,
};
use crate::db::{accounts as store, catalog};
use crate::domain::account::Role;

fn html(status: StatusCode, body: String, cookie: Option<Cookie<'static>>) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.content_type(HTML)
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(c) = cookie {
        res.cookie(c);
    }
    res.body(body)
}

/// A form's problems, for showing again; other errors pass on to the error mapping.
fn form_problems(form: Form, err: AppError) -> Result<(Form, StatusCode, Option<u64>), AppError> {
    let lang = form.lang;
    match err {
        AppError::Invalid(problems) => {
            Ok((Form { problems, ..form }, StatusCode::BAD_REQUEST, None))
        }
        AppError::RateLimited { retry_after } => {
            let d = AppError::RateLimited { retry_after }.describe(lang);
            Ok((
                Form {
                    alert: Some(d.message),
                    ..form
                },
                StatusCode::TOO_MANY_REQUESTS,
                Some(retry_after),
            ))
        }
        AppError::InvalidCredentials => {
            let d = AppError::InvalidCredentials.describe(lang);
            Ok((
                Form {
                    alert: Some(d.message),
                    ..form
                },
                StatusCode::UNAUTHORIZED,
                None,
            ))
        }
        AppError::LinkInvalid => {
            let d = AppError::LinkInvalid.describe(lang);
            Ok((
                Form {
                    alert: Some(d.message),
                    ..form
                },
                StatusCode::BAD_REQUEST,
                None,
            ))
        }
        other => Err(other),
    }
}

fn with_retry(mut res: HttpResponse, retry_after: Option<u64>) -> HttpResponse {
    if let Some(s) = retry_after
        && let Ok(v) = header::HeaderValue::from_str(&s.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn unit_choices(state_units: Vec<catalog::Unit>) -> Vec<Choice> {
    state_units
        .into_iter()
        .filter(|u| u.kind != "city")
        .map(|u| Choice {
            value: u.slug,
            label: u.name,
            selected: false,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    ctx: Ctx,
    form: Form,
    units: Vec<Choice>,
}

async fn render_register(
    req: &HttpRequest,
    state: &AppState,
    form: Form,
    status: StatusCode,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let units = state
        .with_conn(|conn| Ok(unit_choices(catalog::all_units(conn)?)))
        .await?;
    Ok(html(
        status,
        render(&RegisterPage { ctx, form, units })?,
        cookie,
    ))
}

/// `GET /register`.
pub async fn register_form(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = form_token(&req, &state);
    let form = Form::new(Lang::of_request(&req), csrf);
    render_register(&req, &state, form, StatusCode::OK, cookie).await
}

/// `POST /register`: on success, the same "check your email" answer whether or not the email had an account.
pub async fn register_submit(
    req: HttpRequest,
    state: State,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let input = RegisterInput {
        email: field(&body, "email"),
        display_name: field(&body, "display_name"),
        password: field(&body, "password"),
        unit: field(&body, "unit"),
        phone: field(&body, "phone"),
        lang: lang.code().to_string(),
    };
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let config = state.config.clone();
    match state
        .with_conn(move |conn| accounts::register(conn, &config, &input, &ip))
        .await
    {
        Ok(()) => Ok(notice(
            &req,
            &state,
            "register.done_title",
            "register.done",
            "/signin",
            "nav.signin",
        )?),
        Err(e) => {
            let (csrf, cookie) = form_token(&req, &state);
            let form = Form::new(lang, csrf).keep(&body, &["password"]);
            let (form, status, retry) = form_problems(form, e)?;
            Ok(with_retry(
                render_register(&req, &state, form, status, cookie).await?,
                retry,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    ctx: Ctx,
    heading: String,
    message: String,
    link_href: String,
    link_label: String,
}

fn notice(
    req: &HttpRequest,
    state: &AppState,
    heading: &str,
    message: &str,
    link: &str,
    label: &str,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let page = NoticePage {
        ctx,
        heading: lang.t(heading).into(),
        message: lang.t(message).into(),
        link_href: link.into(),
        link_label: lang.t(label).into(),
    };
    Ok(html(StatusCode::OK, render(&page)?, None))
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    ctx: Ctx,
    form: Form,
    next: String,
    notice: Option<String>,
}

/// Where to go after signing in: only a path on this site.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[derive(serde::Deserialize)]
pub struct SigninQuery {
    next: Option<String>,
    notice: Option<String>,
}

/// `GET /signin`.
pub async fn signin_form(
    req: HttpRequest,
    state: State,
    q: web::Query<SigninQuery>,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = form_token(&req, &state);
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let notice = lang.notice(q.notice.as_deref());
    let page = SigninPage {
        ctx,
        form: Form::new(lang, csrf),
        next: safe_next(q.next.as_deref().unwrap_or("/")),
        notice,
    };
    Ok(html(StatusCode::OK, render(&page)?, cookie))
}

/// `POST /signin`: a new session with a new token; the browser's previous session, if any, ends.
pub async fn signin_submit(
    req: HttpRequest,
    state: State,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let input = SigninInput {
        email: field(&body, "email"),
        password: field(&body, "password"),
    };
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let previous = previous_session(&req);
    match state
        .with_conn(move |conn| accounts::signin(conn, &input, &ip, &ua, previous.as_deref()))
        .await
    {
        Ok(new) => {
            let mut res = see_other(&safe_next(&field(&body, "next")));
            res.add_cookie(&session_cookie(&state, &new.token))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(res)
        }
        Err(e) => {
            let (csrf, cookie) = form_token(&req, &state);
            let ctx = ctx_of(&req, &state);
            let form = Form::new(ctx.lang, csrf).keep(&body, &["password"]);
            let (form, status, retry) = form_problems(form, e)?;
            let page = SigninPage {
                ctx,
                form,
                next: safe_next(&field(&body, "next")),
                notice: None,
            };
            Ok(with_retry(html(status, render(&page)?, cookie), retry))
        }
    }
}

/// The session id (hash) of the browser's current session cookie, signed in or not.
fn previous_session(req: &HttpRequest) -> Option<String> {
    req.cookie(super::cache::SESSION_COOKIE)
        .map(|c| crate::app::secrets::token_hash(c.value()))
}

/// `POST /signout`.
pub async fn signout(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let who = who.0;
    state
        .with_conn(move |conn| accounts::signout(conn, &who))
        .await?;
    let mut res = see_other("/");
    res.add_cookie(&clear_session_cookie(&state))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /verify?token=…`: the link from the verification email.
pub async fn verify(
    req: HttpRequest,
    state: State,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = q.token.clone().unwrap_or_default();
    state
        .with_conn(move |conn| accounts::verify(conn, &token))
        .await?;
    notice(
        &req,
        &state,
        "verify.done_title",
        "verify.done",
        "/profile",
        "nav.profile",
    )
}

/// `POST /verify/resend`.
pub async fn resend(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let config = state.config.clone();
    state
        .with_conn(move |conn| accounts::resend_verification(conn, &config, &who.0))
        .await?;
    Ok(see_other("/profile?notice=verification_sent"))
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    ctx: Ctx,
    form: Form,
}

/// `GET /password/forgot`.
pub async fn forgot_form(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = form_token(&req, &state);
    let ctx = ctx_of(&req, &state);
    let form = Form::new(ctx.lang, csrf);
    Ok(html(
        StatusCode::OK,
        render(&ForgotPage { ctx, form })?,
        cookie,
    ))
}

/// `POST /password/forgot`: the same answer whether or not the email has an account.
pub async fn forgot_submit(
    req: HttpRequest,
    state: State,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let input = ForgotInput {
        email: field(&body, "email"),
    };
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let config = state.config.clone();
    match state
        .with_conn(move |conn| accounts::forgot_password(conn, &config, &input, &ip))
        .await
    {
        Ok(()) => notice(
            &req,
            &state,
            "forgot.done_title",
            "forgot.done",
            "/signin",
            "nav.signin",
        ),
        Err(e) => {
            let (csrf, cookie) = form_token(&req, &state);
            let ctx = ctx_of(&req, &state);
            let (form, status, retry) =
                form_problems(Form::new(ctx.lang, csrf).keep(&body, &[]), e)?;
            Ok(with_retry(
                html(status, render(&ForgotPage { ctx, form })?, cookie),
                retry,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    ctx: Ctx,
    form: Form,
}

/// `GET /password/reset?token=…`: the form for a new password (the token is used only when the form is sent).
pub async fn reset_form(
    req: HttpRequest,
    state: State,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = form_token(&req, &state);
    let ctx = ctx_of(&req, &state);
    let mut form = Form::new(ctx.lang, csrf);
    form.values
        .insert("token".into(), q.token.clone().unwrap_or_default());
    Ok(html(
        StatusCode::OK,
        render(&ResetPage { ctx, form })?,
        cookie,
    ))
}

/// `POST /password/reset`.
pub async fn reset_submit(
    req: HttpRequest,
    state: State,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let input = ResetInput {
        token: field(&body, "token"),
        password: field(&body, "password"),
    };
    match state
        .with_conn(move |conn| accounts::reset_password(conn, &input))
        .await
    {
        Ok(()) => Ok(see_other("/signin?notice=password_reset")),
        Err(e) => {
            let (csrf, cookie) = form_token(&req, &state);
            let ctx = ctx_of(&req, &state);
            let (form, status, retry) =
                form_problems(Form::new(ctx.lang, csrf).keep(&body, &["password"]), e)?;
            Ok(with_retry(
                html(status, render(&ResetPage { ctx, form })?, cookie),
                retry,
            ))
        }
    }
}

struct TokenRow {
    label: String,
    revoke_href: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    ctx: Ctx,
    notice: Option<String>,
    name: String,
    email: String,
    phone: Option<String>,
    verified: bool,
    unit: String,
    role: String,
    is_admin: bool,
    is_organizer: bool,
    sessions: Vec<String>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    password_form: Form,
    token_form: Form,
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// What a profile page shows besides the account: forms sent back with problems, a new token, a notice.
#[derive(Default)]
struct ProfileExtras<'a> {
    password_form: Option<Form>,
    token_form: Option<Form>,
    new_token: Option<String>,
    notice: Option<&'a str>,
}

async fn render_profile(
    req: &HttpRequest,
    state: &AppState,
    who: Principal,
    extras: ProfileExtras<'_>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let csrf = ctx.csrf.clone();
    let user_id = who.user_id.clone();
    let (user, unit, sessions, tokens) = state
        .with_conn(move |conn| {
            let user = store::user_by_id(conn, &user_id)?.ok_or(AppError::Unauthenticated)?;
            let unit = match &user.unit_id {
                Some(id) => catalog::unit_by_id(conn, id)?.map(|u| u.name),
                None => None,
            };
            let sessions = store::sessions_of(conn, &user_id, crate::db::now())?;
            let tokens = store::tokens_of(conn, &user_id)?;
            Ok((user, unit, sessions, tokens))
        })
        .await?;
    let current = match &who.auth {
        AuthMethod::Session { id, .. } => Some(id.clone()),
        AuthMethod::Token { .. } => None,
    };
    let ProfileExtras {
        password_form,
        token_form,
        new_token,
        notice,
    } = extras;
    let page = ProfilePage {
        notice: lang.notice(notice),
        name: user.display_name,
        email: user.email,
        phone: user.phone,
        verified: user.email_verified_at.is_some(),
        unit: unit.unwrap_or_else(|| "—".into()),
        role: lang.t(&format!("role.{}", user.role)).to_string(),
        is_admin: who.role >= Role::Admin,
        is_organizer: who.role >= Role::Organizer,
        sessions: sessions
            .iter()
            .map(|s| {
                let here = if current.as_deref() == Some(s.id.as_str()) {
                    lang.t("profile.this_session")
                } else {
                    ""
                };
                format!(
                    "{} · {} · {}{here}",
                    date_time(lang, s.created_at),
                    s.ip,
                    short_agent(&s.user_agent)
                )
            })
            .collect(),
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                label: format!("{} · {}", t.name, date_time(lang, t.created_at)),
                revoke_href: format!("/profile/tokens/{}/revoke", t.id),
            })
            .collect(),
        new_token,
        password_form: password_form.unwrap_or_else(|| Form::new(lang, csrf.clone())),
        token_form: token_form.unwrap_or_else(|| Form::new(lang, csrf.clone())),
        ctx,
    };
    Ok(html(status, render(&page)?, None))
}

fn short_agent(ua: &str) -> String {
    let s: String = ua.chars().take(60).collect();
    if s.is_empty() { "—".into() } else { s }
}

/// `GET /profile`.
pub async fn profile(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let extras = ProfileExtras {
        notice: q.notice.as_deref(),
        ..ProfileExtras::default()
    };
    render_profile(&req, &state, who.0, extras, StatusCode::OK).await
}

/// `POST /profile/password`.
pub async fn change_password(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let input = ChangePasswordInput {
        current_password: field(&body, "current_password"),
        new_password: field(&body, "new_password"),
    };
    let principal = who.0.clone();
    match state
        .with_conn(move |conn| accounts::change_password(conn, &principal, &input))
        .await
    {
        Ok(()) => Ok(see_other("/profile?notice=password_changed")),
        Err(e) => {
            let ctx = ctx_of(&req, &state);
            let (form, status, retry) = form_problems(Form::new(ctx.lang, ctx.csrf.clone()), e)?;
            Ok(with_retry(
                render_profile(
                    &req,
                    &state,
                    who.0,
                    ProfileExtras {
                        password_form: Some(form),
                        ..ProfileExtras::default()
                    },
                    status,
                )
                .await?,
                retry,
            ))
        }
    }
}

/// `POST /profile/signout-all`: ends every session, this one too.
pub async fn signout_all(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    state
        .with_conn(move |conn| accounts::signout_everywhere(conn, &who.0))
        .await?;
    let mut res = see_other("/signin?notice=signed_out_everywhere");
    res.add_cookie(&clear_session_cookie(&state))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

/// `POST /profile/tokens`: the new token is shown once, on this answer.
pub async fn create_token(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let input = NewTokenInput {
        name: field(&body, "name"),
    };
    let principal = who.0.clone();
    match state
        .with_conn(move |conn| accounts::create_token(conn, &principal, &input))
        .await
    {
        Ok((_, plain)) => {
            render_profile(
                &req,
                &state,
                who.0,
                ProfileExtras {
                    new_token: Some(plain),
                    ..ProfileExtras::default()
                },
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let ctx = ctx_of(&req, &state);
            let (form, status, retry) =
                form_problems(Form::new(ctx.lang, ctx.csrf.clone()).keep(&body, &[]), e)?;
            Ok(with_retry(
                render_profile(
                    &req,
                    &state,
                    who.0,
                    ProfileExtras {
                        token_form: Some(form),
                        ..ProfileExtras::default()
                    },
                    status,
                )
                .await?,
                retry,
            ))
        }
    }
}

/// `POST /profile/tokens/{id}/revoke`.
pub async fn revoke_token(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state
        .with_conn(move |conn| accounts::revoke_token(conn, &who.0, &id))
        .await?;
    Ok(see_other("/profile?notice=token_revoked"))
}

struct AdminUserRow {
    id: String,
    name: String,
    email: String,
    status: String,
    action: String,
    is_self: bool,
    disabled: bool,
    roles: Vec<Choice>,
    units: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct AdminUsersPage {
    ctx: Ctx,
    notice: Option<String>,
    alert: Option<String>,
    q: String,
    csrf: String,
    users: Vec<AdminUserRow>,
}

#[derive(serde::Deserialize)]
pub struct AdminQuery {
    q: Option<String>,
    notice: Option<String>,
}

async fn render_admin_users(
    req: &HttpRequest,
    state: &AppState,
    who: &Principal,
    q: String,
    notice: Option<&str>,
    alert: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let query = q.clone();
    let (users, units) = state
        .with_conn(move |conn| {
            Ok((
                store::list_users(conn, Some(&query), 200)?,
                catalog::all_units(conn)?,
            ))
        })
        .await?;
    let rows = users
        .into_iter()
        .map(|u| {
            let status = match (&u.disabled_at, &u.email_verified_at) {
                (Some(_), _) => lang.t("admin.users.disabled"),
                (None, Some(_)) => lang.t("profile.verified"),
                (None, None) => lang.t("profile.not_verified"),
            };
            AdminUserRow {
                action: format!("/admin/users/{}", u.id),
                is_self: u.id == who.user_id,
                disabled: u.disabled_at.is_some(),
                status: format!("{} · {status}", lang.t(&format!("role.{}", u.role))),
                roles: Role::ALL
                    .iter()
                    .map(|r| Choice {
                        value: r.code().into(),
                        label: lang.t(&format!("role.{}", r.code())).into(),
                        selected: r.code() == u.role,
                    })
                    .collect(),
                units: units
                    .iter()
                    .map(|un| Choice {
                        value: un.slug.clone(),
                        label: un.name.clone(),
                        selected: u.unit_id.as_deref() == Some(un.id.as_str()),
                    })
                    .collect(),
                id: u.id,
                name: u.display_name,
                email: u.email,
            }
        })
        .collect();
    let page = AdminUsersPage {
        notice: lang.notice(notice),
        alert,
        q,
        csrf: ctx.csrf.clone(),
        users: rows,
        ctx,
    };
    Ok(html(status, render(&page)?, None))
}

/// `GET /admin/users`.
pub async fn admin_users(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<AdminQuery>,
) -> Result<HttpResponse, AppError> {
    render_admin_users(
        &req,
        &state,
        &who.0,
        q.q.clone().unwrap_or_default(),
        q.notice.as_deref(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/users/{id}`: role, unit, enabled.
pub async fn admin_update_user(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let change = AdminUpdate {
        role: body.get("role").cloned(),
        unit: body.get("unit").cloned(),
        disabled: body.get("disabled").map(|v| v == "true"),
    };
    let id = path.into_inner();
    let admin = who.0.clone();
    match state
        .with_conn(move |conn| accounts::admin_update(conn, &admin, &id, &change))
        .await
    {
        Ok(_) => Ok(see_other(&href(
            "/admin/users",
            &[("notice", "user_saved".into())],
        ))),
        Err(AppError::Invalid(problems)) => {
            let lang = Lang::of_request(&req);
            let alert = problems
                .iter()
                .map(|p| super::validation::message(lang, p))
                .collect::<Vec<_>>()
                .join(" ");
            render_admin_users(
                &req,
                &state,
                &who.0,
                String::new(),
                None,
                Some(alert),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

struct MailRowView {
    created: String,
    recipient: String,
    subject: String,
    state: String,
    attempts: i32,
    last_error: String,
}

#[derive(Template)]
#[template(path = "admin_mail.html")]
struct AdminMailPage {
    ctx: Ctx,
    queued: i64,
    failed: i64,
    sent: i64,
    filters: Vec<Choice>,
    rows: Vec<MailRowView>,
}

#[derive(serde::Deserialize)]
pub struct MailQuery {
    status: Option<String>,
}

/// Parses the `status` filter of the outgoing-mail views.
pub fn mail_status(raw: Option<&str>) -> Result<Option<crate::mail::MailStatus>, AppError> {
    use crate::mail::MailStatus;
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("queued") => Ok(Some(MailStatus::Queued)),
        Some("failed") => Ok(Some(MailStatus::Failed)),
        Some("sent") => Ok(Some(MailStatus::Sent)),
        Some(_) => Err(AppError::BadParam(crate::domain::listing::ParamError::new(
            "status",
            "unknown_value",
        ))),
    }
}

/// `GET /admin/mail`: the outgoing-email queue — queued, failed and sent messages.
pub async fn admin_mail(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<MailQuery>,
) -> Result<HttpResponse, AppError> {
    let status = mail_status(q.status.as_deref())?;
    let scope = crate::access::admin_scope(&who.0);
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let (counts, rows) = state
        .with_conn(move |conn| {
            Ok((
                crate::mail::counts(conn, &scope)?,
                crate::mail::list(conn, status, &scope, 200)?,
            ))
        })
        .await?;
    let current = q.status.clone().unwrap_or_default();
    let filters = [
        ("", "admin.mail.all"),
        ("queued", "admin.mail.queued"),
        ("failed", "admin.mail.failed"),
        ("sent", "admin.mail.sent"),
    ]
    .iter()
    .map(|(v, k)| Choice {
        value: if v.is_empty() {
            "/admin/mail".into()
        } else {
            href("/admin/mail", &[("status", (*v).to_string())])
        },
        label: lang.t(k).into(),
        selected: current == *v,
    })
    .collect();
    let rows = rows
        .into_iter()
        .map(|r| MailRowView {
            created: date_time(lang, r.created_at),
            state: match (r.sent_at, r.failed_at) {
                (Some(t), _) => lang.tf("admin.mail.state_sent", &[("time", &date_time(lang, t))]),
                (None, Some(_)) => lang.t("admin.mail.state_failed").into(),
                (None, None) => lang.tf(
                    "admin.mail.state_queued",
                    &[("time", &date_time(lang, r.next_attempt_at))],
                ),
            },
            recipient: r.recipient,
            subject: r.subject,
            attempts: r.attempts,
            last_error: r.last_error.unwrap_or_default(),
        })
        .collect();
    let page = AdminMailPage {
        ctx,
        queued: counts.queued,
        failed: counts.failed,
        sent: counts.sent,
        filters,
        rows,
    };
    Ok(html(StatusCode::OK, render(&page)?, None))
}
