//! The one error mapping: every failure becomes a status, a stable code and a localized message, rendered as JSON
//! under `/api` and as an HTML page elsewhere. Handlers return [`AppError`]; the [`render_errors`] middleware turns
//! it (and actix's own errors) into the response, so no handler formats an error itself.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use super::i18n::Lang;
use crate::domain::listing::ParamError;
use crate::domain::validation::Refusal;

/// What went wrong, independent of how it is shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A query or path parameter was not acceptable.
    #[error("bad parameter {}: {}", .0.param, .0.code)]
    BadParam(ParamError),
    /// The request itself could not be read (malformed query string, body, …).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Form or body fields failed validation (messages come from `web::validation`).
    #[error("invalid input")]
    Invalid(Vec<crate::domain::validation::FieldError>),
    /// Fields that each have the shape the OpenAPI document gives, refused by a rule that ties them to another
    /// field (an idea sent with `submit: true` must be complete; a similarity check needs a title or a summary):
    /// `422`, rendered like [`AppError::Invalid`].
    #[error("unprocessable input")]
    Unprocessable(Vec<crate::domain::validation::FieldError>),
    /// Nobody is signed in, and the route needs someone.
    #[error("not signed in")]
    Unauthenticated,
    /// Wrong email or password (one answer for both).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A bearer token that is unknown, revoked, or of a disabled account.
    #[error("invalid token")]
    InvalidToken,
    /// Signed in, but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// An unsafe request without the right CSRF token, or from a foreign origin.
    #[error("csrf check failed")]
    Csrf,
    /// Too many attempts; try again after this many seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until the limit resets.
        retry_after: u64,
    },
    /// A rule of the portal refuses the action (contest closed, limit reached, idea not editable…); the code says
    /// which (`rule.<code>` in the translations).
    #[error("refused: {0}")]
    Rule(&'static str),
    /// An uploaded file was refused (too large, wrong type, too many, unreadable); nothing was stored.
    #[error("upload refused: {}", .0.code())]
    Upload(crate::domain::attachment::UploadProblem),
    /// An email link that is unknown, used or expired.
    #[error("link invalid")]
    LinkInvalid,
    /// The thing asked for does not exist (or is not visible to this user).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The database is unreachable or every connection is busy.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Query(q) => q.into(),
            other => AppError::Unavailable(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<ParamError> for AppError {
    fn from(e: ParamError) -> Self {
        AppError::BadParam(e)
    }
}

/// One field's problem as described: (field, code, message, the values the message names).
pub type FieldLine = (String, String, String, Vec<(String, String)>);

/// The parts of an error that both renderings share.
pub struct Described {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Localized sentence.
    pub message: String,
    /// Field (parameter) errors: name, code, localized message.
    /// The problems by field.
    pub fields: Vec<FieldLine>,
}

impl AppError {
    /// Status, code and localized message of this error.
    pub fn describe(&self, lang: Lang) -> Described {
        let simple = |status, code: &'static str, key: &str| Described {
            status,
            code,
            message: lang.t(key).to_string(),
            fields: Vec::new(),
        };
        match self {
            AppError::BadParam(p) => {
                let field_msg = lang.tf(&format!("error.param.{}", p.code), &[("param", &p.param)]);
                // A well-formed slug that names nothing is a missing thing, not a malformed request.
                let (status, code) = if p.names_nothing() {
                    (StatusCode::NOT_FOUND, "not_found")
                } else if p.code == crate::domain::validation::NUL_CHARACTER {
                    // Well formed by the document, which cannot forbid a NUL in every text.
                    (StatusCode::UNPROCESSABLE_ENTITY, "bad_parameter")
                } else {
                    (StatusCode::BAD_REQUEST, "bad_parameter")
                };
                Described {
                    status,
                    code,
                    message: lang.tf(
                        "error.bad_parameter",
                        &[("param", &p.param), ("detail", &field_msg)],
                    ),
                    fields: vec![(
                        p.param.to_string(),
                        p.code.to_string(),
                        field_msg,
                        Vec::new(),
                    )],
                }
            }
            AppError::BadRequest(_) => {
                simple(StatusCode::BAD_REQUEST, "bad_request", "error.bad_request")
            }
            AppError::Invalid(problems) | AppError::Unprocessable(problems) => Described {
                status: match (self, crate::domain::validation::refusal_of(problems)) {
                    (AppError::Invalid(_), Refusal::Shape) => StatusCode::BAD_REQUEST,
                    (_, Refusal::Conflict) => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                },
                code: "validation_failed",
                message: lang.t("error.validation_failed").to_string(),
                fields: problems
                    .iter()
                    .map(|p| {
                        (
                            p.field.clone(),
                            p.code.clone(),
                            super::validation::message(lang, p),
                            p.params.clone(),
                        )
                    })
                    .collect(),
            },
            AppError::Unauthenticated => simple(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "error.unauthenticated",
            ),
            AppError::InvalidCredentials => simple(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "error.invalid_credentials",
            ),
            AppError::InvalidToken => simple(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "error.invalid_token",
            ),
            AppError::Forbidden => simple(StatusCode::FORBIDDEN, "forbidden", "error.forbidden"),
            AppError::Csrf => simple(StatusCode::FORBIDDEN, "csrf_failed", "error.csrf_failed"),
            AppError::RateLimited { retry_after } => Described {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "rate_limited",
                message: lang.tf(
                    "error.rate_limited",
                    &[("minutes", &retry_after.div_ceil(60).to_string())],
                ),
                fields: Vec::new(),
            },
            // The token is well formed but names no link that can still be used.
            AppError::LinkInvalid => simple(
                StatusCode::UNPROCESSABLE_ENTITY,
                "link_invalid",
                "error.link_invalid",
            ),
            AppError::Rule(code) => simple(StatusCode::CONFLICT, code, &format!("rule.{code}")),
            AppError::Upload(problem) => {
                use crate::domain::attachment::UploadProblem as P;
                let params = problem.params();
                let args: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Described {
                    status: match problem {
                        P::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                        P::TypeNotAllowed => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        P::TooMany { .. } => StatusCode::CONFLICT,
                        P::NoFile | P::Damaged | P::ImageTooLarge => StatusCode::BAD_REQUEST,
                    },
                    code: problem.code(),
                    message: lang.tf(&format!("upload.{}", problem.code()), &args),
                    fields: Vec::new(),
                }
            }
            AppError::NotFound(what) => simple(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("error.not_found.{what}"),
            ),
            AppError::MethodNotAllowed => simple(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "error.method_not_allowed",
            ),
            AppError::Unavailable(_) => simple(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "error.unavailable",
            ),
            AppError::Internal(_) => simple(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "error.internal",
            ),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.describe(Lang::Vi).status
    }

    /// A plain placeholder: [`render_errors`] replaces it with the localized JSON or HTML rendering.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).finish()
    }
}

/// The JSON error body of the API: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// See [`ErrorBody`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `bad_parameter`, `bad_request`, `not_found`, `method_not_allowed`,
    /// `unavailable`, `internal`.
    pub code: String,
    /// A sentence for people, in the request's language.
    pub message: String,
    /// Per field or parameter: the problems found.
    pub fields: std::collections::BTreeMap<String, Vec<FieldProblem>>,
}

/// One problem with one field.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// Stable code (`invalid_limit`, `unknown_value`, `invalid_cursor`, …).
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The values the message names (`max`, `min`, `index` of a list item, …), as text.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Renders `err` for `req`: JSON under `/api`, an HTML page elsewhere.
pub fn render(req: &HttpRequest, err: &AppError) -> HttpResponse {
    let lang = Lang::of_request(req);
    let d = err.describe(lang);
    if d.status.is_server_error() {
        tracing::error!(path = req.path(), error = %err, "request failed");
    }
    let mut builder = HttpResponse::build(d.status);
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    if d.status == StatusCode::SERVICE_UNAVAILABLE {
        builder.insert_header((header::RETRY_AFTER, "5"));
    }
    if let AppError::RateLimited { retry_after } = err {
        builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
    }
    // RFC 9110: a 405 names the methods the address does take (from the one route table).
    if d.status == StatusCode::METHOD_NOT_ALLOWED
        && let Some(pattern) = req.match_pattern()
    {
        builder.insert_header((
            header::ALLOW,
            crate::access::methods_for(&pattern).join(", "),
        ));
    }
    if is_api(req.path()) {
        let mut fields = std::collections::BTreeMap::new();
        for (name, code, message, params) in d.fields {
            fields
                .entry(name)
                .or_insert_with(Vec::new)
                .push(FieldProblem {
                    code,
                    message,
                    params: params.into_iter().collect(),
                });
        }
        builder.json(ErrorBody {
            error: ErrorDetail {
                code: d.code.to_string(),
                message: d.message,
                fields,
            },
        })
    } else if matches!(err, AppError::Unauthenticated)
        && req.method() == actix_web::http::Method::GET
    {
        // A page that needs signing in sends the visitor to the sign-in form, then back.
        let next = match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        };
        builder
            .status(StatusCode::SEE_OTHER)
            .insert_header((
                header::LOCATION,
                super::view::href("/signin", &[("next", next)]),
            ))
            .finish()
    } else {
        let html = super::pages::error_page(req, lang, d.status, &d.message, &d.fields);
        builder.content_type("text/html; charset=utf-8").body(html)
    }
}

/// Middleware: replaces every error response (ours and actix's own) with the one rendering above.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let replacement = res
        .response()
        .error()
        .map(|e| match e.as_error::<AppError>() {
            Some(app) => render(res.request(), app),
            None => render(res.request(), &from_framework(res.status(), &e.to_string())),
        });
    Ok(match replacement {
        Some(new) => res.into_response(new).map_into_right_body(),
        None => res.map_into_left_body(),
    })
}

/// Maps an error raised by actix itself (extractors, payload limits) onto ours.
fn from_framework(status: StatusCode, detail: &str) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound("page"),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        s if s.is_client_error() => AppError::BadRequest(detail.to_string()),
        _ => AppError::Internal(detail.to_string()),
    }
}

/// The fallback service: unknown routes get the 404 of the one mapping.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound("page"))
}

/// For resources that answer only some methods.
pub async fn method_not_allowed() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}
