//! Registering, verifying, signing in and out, passwords, access tokens, and administering accounts.

use chrono::Duration;
use serde::Deserialize;
use validator::Validate;

use super::secrets::{hash_password, random_token, token_hash, verify_password};
use crate::access::{AuthMethod, Principal};
use crate::config::Config;
use crate::db::accounts::{self as store, ApiToken, EmailToken, Session};
use crate::db::events::Event;
use crate::db::users::User;
use crate::db::{DbConn, catalog, new_id, now, write_tx};
use crate::domain::account::{
    PASSWORD_MAX, PASSWORD_MIN, Role, is_valid_phone, normalize_email, normalize_phone,
};
use crate::domain::validation::{FieldError, from_validator};
use crate::mail::{self, MailKind, Outgoing};
use crate::web::error::AppError;

/// How long a session lasts without signing in again.
pub const SESSION_DAYS: i64 = 30;
/// How long a verification link works.
pub const VERIFY_HOURS: i64 = 48;
/// How long a password-reset link works.
pub const RESET_HOURS: i64 = 1;

/// Limits: (what, events allowed, window in minutes).
const LIMIT_SIGNIN_IP: (&str, i32, i64) = ("signin-ip", 30, 15);
const LIMIT_SIGNIN_ACCOUNT: (&str, i32, i64) = ("signin-account", 8, 15);
const LIMIT_REGISTER_IP: (&str, i32, i64) = ("register-ip", 10, 60);
const LIMIT_RESET_IP: (&str, i32, i64) = ("reset-ip", 10, 60);
const LIMIT_RESET_ACCOUNT: (&str, i32, i64) = ("reset-account", 3, 60);
const LIMIT_RESEND_ACCOUNT: (&str, i32, i64) = ("resend-account", 3, 60);

/// Counts one attempt against a limit; refuses with the seconds to wait once the limit is passed.
fn limit(
    conn: &mut DbConn,
    (what, max, minutes): (&str, i32, i64),
    who: &str,
) -> Result<(), AppError> {
    let now = now();
    let (count, resets) = store::rate_hit(
        conn,
        &format!("{what}:{who}"),
        Duration::minutes(minutes),
        now,
    )?;
    if count > max {
        let retry_after = (resets - now).num_seconds().max(1) as u64;
        return Err(AppError::RateLimited { retry_after });
    }
    Ok(())
}

fn check(input: &impl Validate) -> Result<(), AppError> {
    input
        .validate()
        .map_err(|e| AppError::Invalid(from_validator(&e)))
}

fn validate_email(email: &str) -> Result<(), validator::ValidationError> {
    if email.trim().is_empty() || crate::domain::account::is_valid_email(email) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("email"))
    }
}

fn validate_phone(phone: &str) -> Result<(), validator::ValidationError> {
    if phone.trim().is_empty() || is_valid_phone(phone) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("phone"))
    }
}

fn validate_lang(lang: &str) -> Result<(), validator::ValidationError> {
    if lang.is_empty() || lang == "vi" || lang == "en" {
        Ok(())
    } else {
        Err(validator::ValidationError::new("lang"))
    }
}

/// A registration, from the form or the API.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct RegisterInput {
    /// Email address; stored lower-case. The document's pattern is a plain subset of what is accepted.
    #[validate(
        length(min = 1, max = 254, code = "required"),
        custom(function = "validate_email")
    )]
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = r"^[a-zA-Z0-9_%+-]{1,20}(\.[a-zA-Z0-9_%+-]{1,20}){0,2}@[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){1,3}$"
    )]
    pub email: String,
    /// The name others see.
    #[validate(length(min = 2, max = 80, code = "length"))]
    #[schema(min_length = 2, max_length = 80)]
    pub display_name: String,
    /// At least 10 characters.
    #[validate(length(min = PASSWORD_MIN, max = PASSWORD_MAX, code = "password_length"))]
    #[schema(min_length = 10, max_length = 200)]
    pub password: String,
    /// The slug of the member's unit (ward, school, …).
    #[validate(length(min = 1, max = 100, code = "required"))]
    #[schema(min_length = 1, max_length = 100)]
    pub unit: String,
    /// Optional phone number: 9–15 digits, with spaces, dots or dashes between and a leading `+`.
    #[serde(default)]
    #[validate(custom(function = "validate_phone"))]
    #[schema(pattern = r"^(\+?[0-9]{3}([0-9]|[ .-][0-9]){6,12})?$")]
    pub phone: String,
    /// `vi` (default) or `en`: the language of emails.
    #[serde(default)]
    #[validate(custom(function = "validate_lang"))]
    #[schema(pattern = "^(vi|en)?$")]
    pub lang: String,
}

fn link(config: &Config, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", config.base_url)
}

fn new_email_token(
    conn: &mut DbConn,
    user_id: &str,
    purpose: &str,
    hours: i64,
) -> Result<String, AppError> {
    let token = random_token();
    let now = now();
    store::insert_email_token(
        conn,
        &EmailToken {
            token_hash: token_hash(&token),
            user_id: user_id.into(),
            purpose: purpose.into(),
            created_at: now,
            expires_at: now + Duration::hours(hours),
            used_at: None,
        },
    )?;
    Ok(token)
}

fn audit(
    conn: &mut DbConn,
    actor: Option<&str>,
    kind: &str,
    reason: String,
) -> Result<(), AppError> {
    use diesel::prelude::*;
    diesel::insert_into(crate::db::schema::events::table)
        .values(&Event {
            id: new_id(),
            idea_id: None,
            contest_id: None,
            actor_id: actor.map(str::to_string),
            kind: kind.into(),
            from_status: None,
            to_status: None,
            reason: Some(reason),
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// Registers an account and emails a verification link. If the email already has an account, nothing changes and
/// its owner is told by email instead, so the answer is the same either way and reveals nothing.
pub fn register(
    conn: &mut DbConn,
    config: &Config,
    input: &RegisterInput,
    ip: &str,
) -> Result<(), AppError> {
    check(input)?;
    let unit = catalog::unit_by_slug(conn, input.unit.trim())?
        .ok_or_else(|| AppError::Invalid(vec![FieldError::new("unit", "unknown_unit")]))?;
    limit(conn, LIMIT_REGISTER_IP, ip)?;
    let email = normalize_email(&input.email);
    // Hash before looking the email up, so both paths take the same time.
    let hash = hash_password(&input.password).map_err(|e| AppError::Internal(e.to_string()))?;
    let lang = if input.lang == "en" { "en" } else { "vi" };
    write_tx(conn, |conn| {
        if let Some(existing) = store::user_by_email(conn, &email)? {
            mail::enqueue(
                conn,
                &Outgoing {
                    to: existing.email.clone(),
                    to_name: existing.display_name.clone(),
                    lang: existing.lang.clone(),
                    kind: MailKind::AlreadyRegistered {
                        signin_link: format!("{}/signin", config.base_url),
                        reset_link: format!("{}/password/forgot", config.base_url),
                    },
                },
            )?;
            return Ok(());
        }
        let now = now();
        let user = User {
            id: new_id(),
            email: email.clone(),
            display_name: input.display_name.trim().to_string(),
            phone: normalize_phone(&input.phone),
            unit_id: Some(unit.id.clone()),
            role: Role::Member.code().into(),
            password_hash: Some(hash),
            email_verified_at: None,
            disabled_at: None,
            created_at: now,
            updated_at: now,
            lang: lang.into(),
        };
        store::insert_user(conn, &user)?;
        let token = new_email_token(conn, &user.id, "verify", VERIFY_HOURS)?;
        mail::enqueue(
            conn,
            &Outgoing {
                to: user.email.clone(),
                to_name: user.display_name.clone(),
                lang: user.lang.clone(),
                kind: MailKind::Verify {
                    link: link(config, "/verify", &token),
                },
            },
        )?;
        Ok(())
    })
}

/// Uses a verification link: marks the email verified. A used, expired or unknown link is refused.
pub fn verify(conn: &mut DbConn, token: &str) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let user_id = store::consume_email_token(conn, &token_hash(token.trim()), "verify", now())?
            .ok_or(AppError::LinkInvalid)?;
        store::set_verified(conn, &user_id, now())?;
        Ok(())
    })
}

/// Sends a new verification link to a signed-in person whose email is not verified yet.
pub fn resend_verification(
    conn: &mut DbConn,
    config: &Config,
    who: &Principal,
) -> Result<(), AppError> {
    if who.verified {
        return Ok(());
    }
    limit(conn, LIMIT_RESEND_ACCOUNT, &who.user_id)?;
    write_tx(conn, |conn| {
        let token = new_email_token(conn, &who.user_id, "verify", VERIFY_HOURS)?;
        mail::enqueue(
            conn,
            &Outgoing {
                to: who.email.clone(),
                to_name: who.display_name.clone(),
                lang: who.lang.clone(),
                kind: MailKind::Verify {
                    link: link(config, "/verify", &token),
                },
            },
        )?;
        Ok(())
    })
}

/// A sign-in, from the form or the API.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct SigninInput {
    /// Email address.
    #[validate(length(min = 1, max = 254, code = "required"))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// Password.
    #[validate(length(min = 1, max = PASSWORD_MAX, code = "required"))]
    #[schema(min_length = 1, max_length = 200)]
    pub password: String,
}

/// A new session: the cookie token (shown once) and the stored row.
pub struct NewSession {
    /// The token for the cookie.
    pub token: String,
    /// The stored session.
    pub session: Session,
    /// The account.
    pub user: User,
}

/// Signs in: checks the password (unknown emails cost the same time as wrong passwords), ends the browser's previous
/// session if any, and starts a new one with a new token (so a token planted before sign-in is worthless after).
pub fn signin(
    conn: &mut DbConn,
    input: &SigninInput,
    ip: &str,
    user_agent: &str,
    previous_session: Option<&str>,
) -> Result<NewSession, AppError> {
    check(input)?;
    let email = normalize_email(&input.email);
    limit(conn, LIMIT_SIGNIN_IP, ip)?;
    limit(conn, LIMIT_SIGNIN_ACCOUNT, &email)?;
    let user = store::user_by_email(conn, &email)?;
    let ok = verify_password(
        user.as_ref().and_then(|u| u.password_hash.as_deref()),
        &input.password,
    );
    let user = match user {
        Some(u) if ok && u.disabled_at.is_none() => u,
        _ => return Err(AppError::InvalidCredentials),
    };
    let token = random_token();
    let now = now();
    let session = Session {
        id: token_hash(&token),
        user_id: user.id.clone(),
        csrf_token: random_token(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::days(SESSION_DAYS),
        user_agent: user_agent.chars().take(300).collect(),
        ip: ip.into(),
    };
    write_tx(conn, |conn| {
        if let Some(old) = previous_session {
            store::delete_session(conn, old)?;
        }
        store::insert_session(conn, &session)?;
        Ok::<_, AppError>(())
    })?;
    Ok(NewSession {
        token,
        session,
        user,
    })
}

/// Signs out: ends this session.
pub fn signout(conn: &mut DbConn, who: &Principal) -> Result<(), AppError> {
    if let AuthMethod::Session { id, .. } = &who.auth {
        store::delete_session(conn, id)?;
    }
    Ok(())
}

/// Ends every session of the signed-in person, this one included.
pub fn signout_everywhere(conn: &mut DbConn, who: &Principal) -> Result<usize, AppError> {
    Ok(store::delete_sessions_of(conn, &who.user_id, None)?)
}

/// A "forgot password" request.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct ForgotInput {
    /// Email address (the document's pattern is a plain subset of what is accepted).
    #[validate(
        length(min = 1, max = 254, code = "required"),
        custom(function = "validate_email")
    )]
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = r"^[a-zA-Z0-9_%+-]{1,20}(\.[a-zA-Z0-9_%+-]{1,20}){0,2}@[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){1,3}$"
    )]
    pub email: String,
}

/// Emails a reset link if the address has an enabled account; answers the same either way.
pub fn forgot_password(
    conn: &mut DbConn,
    config: &Config,
    input: &ForgotInput,
    ip: &str,
) -> Result<(), AppError> {
    check(input)?;
    let email = normalize_email(&input.email);
    limit(conn, LIMIT_RESET_IP, ip)?;
    limit(conn, LIMIT_RESET_ACCOUNT, &email)?;
    write_tx(conn, |conn| {
        if let Some(user) = store::user_by_email(conn, &email)?.filter(|u| u.disabled_at.is_none())
        {
            let token = new_email_token(conn, &user.id, "reset", RESET_HOURS)?;
            mail::enqueue(
                conn,
                &Outgoing {
                    to: user.email.clone(),
                    to_name: user.display_name.clone(),
                    lang: user.lang.clone(),
                    kind: MailKind::PasswordReset {
                        link: link(config, "/password/reset", &token),
                    },
                },
            )?;
        }
        Ok(())
    })
}

/// A new password chosen through a reset link.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct ResetInput {
    /// The token from the link.
    #[validate(length(min = 1, max = 200, code = "required"))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// The new password.
    #[validate(length(min = PASSWORD_MIN, max = PASSWORD_MAX, code = "password_length"))]
    #[schema(min_length = 10, max_length = 200)]
    pub password: String,
}

fn password_changed_mail(conn: &mut DbConn, user: &User) -> Result<(), AppError> {
    mail::enqueue(
        conn,
        &Outgoing {
            to: user.email.clone(),
            to_name: user.display_name.clone(),
            lang: user.lang.clone(),
            kind: MailKind::PasswordChanged,
        },
    )?;
    Ok(())
}

/// Sets a new password through a single-use link and ends every session of the account.
pub fn reset_password(conn: &mut DbConn, input: &ResetInput) -> Result<(), AppError> {
    check(input)?;
    let hash = hash_password(&input.password).map_err(|e| AppError::Internal(e.to_string()))?;
    write_tx(conn, |conn| {
        let user_id =
            store::consume_email_token(conn, &token_hash(input.token.trim()), "reset", now())?
                .ok_or(AppError::LinkInvalid)?;
        store::set_password(conn, &user_id, &hash, now())?;
        // Whoever held the old password is signed out; following the link proved the email, too.
        store::delete_sessions_of(conn, &user_id, None)?;
        store::set_verified(conn, &user_id, now())?;
        if let Some(user) = store::user_by_id(conn, &user_id)? {
            password_changed_mail(conn, &user)?;
        }
        Ok(())
    })
}

/// A password change by the signed-in person.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct ChangePasswordInput {
    /// The current password.
    #[validate(length(min = 1, max = PASSWORD_MAX, code = "required"))]
    #[schema(min_length = 1, max_length = 200)]
    pub current_password: String,
    /// The new password.
    #[validate(length(min = PASSWORD_MIN, max = PASSWORD_MAX, code = "password_length"))]
    #[schema(min_length = 10, max_length = 200)]
    pub new_password: String,
}

/// Changes the password after checking the current one; other sessions end, this one stays.
pub fn change_password(
    conn: &mut DbConn,
    who: &Principal,
    input: &ChangePasswordInput,
) -> Result<(), AppError> {
    check(input)?;
    let user = store::user_by_id(conn, &who.user_id)?.ok_or(AppError::Unauthenticated)?;
    if !verify_password(user.password_hash.as_deref(), &input.current_password) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "current_password",
            "wrong_password",
        )]));
    }
    let hash = hash_password(&input.new_password).map_err(|e| AppError::Internal(e.to_string()))?;
    let keep = match &who.auth {
        AuthMethod::Session { id, .. } => Some(id.clone()),
        AuthMethod::Token { .. } => None,
    };
    write_tx(conn, |conn| {
        store::set_password(conn, &user.id, &hash, now())?;
        store::delete_sessions_of(conn, &user.id, keep.as_deref())?;
        password_changed_mail(conn, &user)
    })
}

/// A new personal access token's name.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct NewTokenInput {
    /// What the token is for ("ứng dụng di động").
    #[validate(length(min = 1, max = 80, code = "length"))]
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
}

/// Creates a personal access token; the plain token is returned once and never stored.
pub fn create_token(
    conn: &mut DbConn,
    who: &Principal,
    input: &NewTokenInput,
) -> Result<(ApiToken, String), AppError> {
    check(input)?;
    let plain = format!("st_{}", random_token());
    let token = ApiToken {
        id: new_id(),
        user_id: who.user_id.clone(),
        name: input.name.trim().to_string(),
        token_hash: token_hash(&plain),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    store::insert_token(conn, &token)?;
    Ok((token, plain))
}

/// Revokes one of the signed-in person's tokens.
pub fn revoke_token(conn: &mut DbConn, who: &Principal, id: &str) -> Result<(), AppError> {
    if store::revoke_token(conn, &who.user_id, id, now())? {
        Ok(())
    } else {
        Err(AppError::NotFound("token"))
    }
}

/// The person behind a session cookie token, if the session is live and the account enabled.
pub fn principal_from_session(
    conn: &mut DbConn,
    cookie_token: &str,
) -> Result<Option<Principal>, AppError> {
    let id = token_hash(cookie_token);
    let now = now();
    let Some((session, user)) = store::live_session(conn, &id, now)? else {
        return Ok(None);
    };
    // Recording every request would turn reads into writes; every five minutes is enough for "last seen".
    if now - session.last_seen_at > Duration::minutes(5) {
        store::touch_session(conn, &id, now)?;
    }
    Ok(principal(
        user,
        AuthMethod::Session {
            id,
            csrf: session.csrf_token,
        },
    ))
}

/// The person behind a bearer token, if it is live and the account enabled.
pub fn principal_from_token(
    conn: &mut DbConn,
    bearer: &str,
) -> Result<Option<Principal>, AppError> {
    let Some((token, user)) = store::live_token(conn, &token_hash(bearer.trim()))? else {
        return Ok(None);
    };
    let now = now();
    if token
        .last_used_at
        .is_none_or(|t| now - t > Duration::minutes(5))
    {
        store::touch_token(conn, &token.id, now)?;
    }
    Ok(principal(user, AuthMethod::Token { id: token.id }))
}

/// Who a command run on the server acts as: the account with this email, or without one the oldest administrator.
/// The person at the console has the database already; this names whose rights and name the change is made with.
pub fn command_line_principal(
    conn: &mut DbConn,
    email: Option<&str>,
) -> Result<Principal, AppError> {
    let user = match email {
        Some(e) => store::user_by_email(conn, &normalize_email(e))?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(|| AppError::Invalid(vec![FieldError::new("as", "no_account")]))?,
        None => store::first_admin(conn)?.ok_or(AppError::Rule("no_admin"))?,
    };
    principal(
        user,
        AuthMethod::Token {
            id: "command-line".into(),
        },
    )
    .ok_or_else(|| AppError::Internal("account with an unknown role".into()))
}

fn principal(user: User, auth: AuthMethod) -> Option<Principal> {
    Some(Principal {
        role: Role::parse(&user.role)?,
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        unit_id: user.unit_id,
        verified: user.email_verified_at.is_some(),
        lang: user.lang,
        auth,
    })
}

/// An administrator's change to an account.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AdminUpdate {
    /// New role: `member`, `reviewer`, `organizer` or `admin`.
    #[schema(pattern = r"^\s*(member|reviewer|organizer|admin)?\s*$")]
    pub role: Option<String>,
    /// New unit (slug): the scope of reviewer and organizer rights.
    pub unit: Option<String>,
    /// Disable (true) or enable (false) the account; disabling ends its sessions.
    pub disabled: Option<bool>,
}

/// Applies an administrator's change; refuses changes to one's own account (so an admin cannot lock everyone out).
pub fn admin_update(
    conn: &mut DbConn,
    admin: &Principal,
    user_id: &str,
    change: &AdminUpdate,
) -> Result<User, AppError> {
    if user_id == admin.user_id {
        return Err(AppError::Invalid(vec![FieldError::new(
            "user",
            "self_change",
        )]));
    }
    let role = match change
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(r) => Some(
            Role::parse(r)
                .ok_or_else(|| AppError::Invalid(vec![FieldError::new("role", "unknown_role")]))?,
        ),
    };
    let unit_id = match change
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(slug) => Some(
            catalog::unit_by_slug(conn, slug)?
                .ok_or_else(|| AppError::Invalid(vec![FieldError::new("unit", "unknown_unit")]))?
                .id,
        ),
    };
    write_tx(conn, |conn| {
        let user = store::user_by_id(conn, user_id)?.ok_or(AppError::NotFound("user"))?;
        let now = now();
        if role.is_some() || unit_id.is_some() {
            let new_role = role.map(Role::code).unwrap_or(&user.role).to_string();
            let new_unit = unit_id.clone().or(user.unit_id.clone());
            store::set_role(conn, &user.id, &new_role, new_unit.as_deref(), now)?;
            audit(
                conn,
                Some(&admin.user_id),
                "user.role",
                format!("{} → {new_role}", user.email),
            )?;
        }
        match change.disabled {
            Some(true) if user.disabled_at.is_none() => {
                store::set_disabled(conn, &user.id, Some(now), now)?;
                store::delete_sessions_of(conn, &user.id, None)?;
                audit(
                    conn,
                    Some(&admin.user_id),
                    "user.disabled",
                    user.email.clone(),
                )?;
            }
            Some(false) if user.disabled_at.is_some() => {
                store::set_disabled(conn, &user.id, None, now)?;
                audit(
                    conn,
                    Some(&admin.user_id),
                    "user.enabled",
                    user.email.clone(),
                )?;
            }
            _ => {}
        }
        store::user_by_id(conn, &user.id)?.ok_or(AppError::NotFound("user"))
    })
}

/// What `create-admin` did.
pub enum AdminCreated {
    /// A new account.
    Created,
    /// An existing account became an administrator.
    Promoted,
}

/// Creates an administrator (verified, with this password), or makes an existing account one and sets its password.
pub fn create_admin(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    password: &str,
) -> Result<AdminCreated, AppError> {
    let email = normalize_email(email);
    if !crate::domain::account::is_valid_email(&email) {
        return Err(AppError::Invalid(vec![FieldError::new("email", "email")]));
    }
    if (password.chars().count() as u64) < PASSWORD_MIN {
        return Err(AppError::Invalid(vec![
            FieldError::new("password", "password_length").with("min", PASSWORD_MIN),
        ]));
    }
    let hash = hash_password(password).map_err(|e| AppError::Internal(e.to_string()))?;
    write_tx(conn, |conn| {
        let now = now();
        if let Some(user) = store::user_by_email(conn, &email)? {
            store::set_role(
                conn,
                &user.id,
                Role::Admin.code(),
                user.unit_id.as_deref(),
                now,
            )?;
            store::set_password(conn, &user.id, &hash, now)?;
            store::set_verified(conn, &user.id, now)?;
            store::set_disabled(conn, &user.id, None, now)?;
            audit(
                conn,
                None,
                "user.role",
                format!("{email} → admin (command line)"),
            )?;
            return Ok(AdminCreated::Promoted);
        }
        store::insert_user(
            conn,
            &User {
                id: new_id(),
                email: email.clone(),
                display_name: name.to_string(),
                phone: None,
                unit_id: None,
                role: Role::Admin.code().into(),
                password_hash: Some(hash),
                email_verified_at: Some(now),
                disabled_at: None,
                created_at: now,
                updated_at: now,
                lang: "vi".into(),
            },
        )?;
        audit(
            conn,
            None,
            "user.created",
            format!("{email} (admin, command line)"),
        )?;
        Ok(AdminCreated::Created)
    })
}
