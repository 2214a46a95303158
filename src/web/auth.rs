//! Who is asking, and may they: the middleware that resolves the session cookie or bearer token into a
//! [`Principal`], applies the route table of `access`, and checks CSRF on every unsafe request; plus the extractors
//! handlers use to receive the signed-in person.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::AppState;
use super::cache::SESSION_COOKIE;
use super::error::AppError;
use crate::access::{self, AuthMethod, Denied, Principal};
use crate::app::accounts;
use crate::app::secrets::random_token;

/// The cookie holding the CSRF token of a visitor who is not signed in (for the sign-in and registration forms).
pub const ANON_CSRF_COOKIE: &str = "csrf";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// See [`CSRF_FIELD`].
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Middleware: resolves the principal, enforces `access::ROUTES`, checks CSRF; failures go to the error mapping.
pub async fn authenticate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    match check(&mut req).await {
        Ok(principal) => {
            if let Some(p) = principal {
                req.extensions_mut().insert(p);
            }
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

async fn check(req: &mut ServiceRequest) -> Result<Option<Principal>, AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(AppError::Internal("no application state".into()));
    };
    // A method the address does not take is refused before any credential is looked at: the answer is about the
    // address, whoever asks.
    let need = match req.match_pattern() {
        Some(pattern) => Some(
            access::need_for(req.method().as_str(), &pattern).ok_or(AppError::MethodNotAllowed)?,
        ),
        None => None,
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::to_string);
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let principal = match (bearer, cookie) {
        (Some(token), _) => Some(
            state
                .with_conn(move |conn| accounts::principal_from_token(conn, &token))
                .await?
                .ok_or(AppError::InvalidToken)?,
        ),
        (None, Some(token)) => {
            state
                .with_conn(move |conn| accounts::principal_from_session(conn, &token))
                .await?
        }
        (None, None) => None,
    };

    // An address no route answers is a 404 whatever the method; nothing there can change state.
    let Some(need) = need else {
        return Ok(principal);
    };
    access::decide(need, principal.as_ref()).map_err(|d| match d {
        Denied::Unauthenticated => AppError::Unauthenticated,
        Denied::Forbidden => AppError::Forbidden,
    })?;

    if !is_safe(req.method()) {
        check_origin(req.request(), &state.config.base_url)?;
        check_csrf(req, principal.as_ref()).await?;
    }
    Ok(principal)
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses an unsafe request whose `Origin` (or, without it, `Referer`) is another site. Requests with neither come
/// from non-browser clients, which cannot be made to carry a victim's cookies.
fn check_origin(req: &HttpRequest, base_url: &str) -> Result<(), AppError> {
    let info = req.connection_info();
    let own = [
        base_url.trim_end_matches('/').to_string(),
        format!("{}://{}", info.scheme(), info.host()),
    ];
    let same = |url: &str| {
        own.iter()
            .any(|o| url == o || url.starts_with(&format!("{o}/")))
    };
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        return if same(origin) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        };
    }
    if let Some(referer) = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
    {
        return if same(referer) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        };
    }
    Ok(())
}

/// The CSRF token an unsafe request must carry: the session's, or for a visitor, the one in their `csrf` cookie.
/// Bearer-token requests need none (no browser sends a bearer token by itself). Anonymous API calls need none
/// either: they carry no ambient authority, and the API accepts only JSON, which a foreign form cannot send.
async fn check_csrf(
    req: &mut ServiceRequest,
    principal: Option<&Principal>,
) -> Result<(), AppError> {
    let expected = match principal.map(|p| &p.auth) {
        Some(AuthMethod::Token { .. }) => return Ok(()),
        Some(AuthMethod::Session { csrf, .. }) => csrf.clone(),
        None if req.path().starts_with("/api/") => return Ok(()),
        None => req
            .cookie(ANON_CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .ok_or(AppError::Csrf)?,
    };
    let presented = presented_token(req).await?;
    if presented.is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// The token from the header, the query string, or an urlencoded form body (which is read and put back).
async fn presented_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(v.to_string()));
    }
    if let Some(v) = field_of(req.query_string(), CSRF_FIELD) {
        return Ok(Some(v));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let body = req
        .extract::<web::Bytes>()
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let token = std::str::from_utf8(&body)
        .ok()
        .and_then(|b| field_of(b, CSRF_FIELD));
    req.set_payload(Payload::from(body));
    Ok(token)
}

fn field_of(urlencoded: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(urlencoded)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in person, or nobody.
pub struct CurrentUser(pub Option<Principal>);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(CurrentUser(
            req.extensions().get::<Principal>().cloned(),
        )))
    }
}

/// The signed-in person; a handler that takes it cannot run for an anonymous request.
pub struct SignedIn(pub Principal);

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .map(SignedIn)
                .ok_or(AppError::Unauthenticated),
        )
    }
}

/// The client's address: the peer, or — only when the peer is a configured trusted proxy — the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    match peer {
        Some(p) if trusted.contains(&p) => {
            let forwarded = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .collect::<Vec<_>>();
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !trusted.contains(ip))
                .unwrap_or(p)
                .to_string()
        }
        Some(p) => p.to_string(),
        None => "unknown".into(),
    }
}

/// Whether cookies must be `Secure` (the portal is served over https).
pub fn secure_cookies(state: &AppState) -> bool {
    state.config.base_url.starts_with("https://")
}

/// The session cookie for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .secure(secure_cookies(state))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(
            accounts::SESSION_DAYS,
        ))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(secure_cookies(state))
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}

/// The CSRF token for a form on this request's page, and the cookie to set if the visitor has none yet.
pub fn form_token(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    if let Some(Principal {
        auth: AuthMethod::Session { csrf, .. },
        ..
    }) = req.extensions().get::<Principal>()
    {
        return (csrf.clone(), None);
    }
    if let Some(c) = req.cookie(ANON_CSRF_COOKIE) {
        return (c.value().to_string(), None);
    }
    let token = random_token();
    let cookie = Cookie::build(ANON_CSRF_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .secure(secure_cookies(state))
        .same_site(SameSite::Lax)
        .finish();
    (token, Some(cookie))
}
