//! No NUL character in what people send (the rule: `domain::validation::NUL_CHARACTER`). PostgreSQL cannot store
//! U+0000 in text (the insert fails, which would be a 500), no form can type one, and no text of the portal needs
//! one; so a JSON or form body, a query string or a path that carries one is refused here, before any handler, with
//! a 400 naming each field that holds it. One place for every route, so SQLite and PostgreSQL answer alike and no
//! new field can forget the rule.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use futures_util::StreamExt;
use serde_json::Value;

use super::error::AppError;
use crate::domain::listing::ParamError;
use crate::domain::validation::{FieldError, NUL_CHARACTER};

/// The largest JSON body read for the check: the JSON extractor's own limit (actix's default, 2 MiB), so a body
/// refused for its size is refused as before.
const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// What kind of body a request carries, as far as this check is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Json,
    Form,
    Other,
}

fn body_kind(req: &ServiceRequest) -> Body {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("application/json") {
        Body::Json
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        Body::Form
    } else {
        // Files (multipart, CSV) are checked by the code that reads them, knowing their format.
        Body::Other
    }
}

/// The fields of a JSON value whose text holds a NUL, named as the body spells them (`title`,
/// `criteria[0].name`); object keys count as text too.
pub fn nul_fields_json(value: &Value) -> Vec<String> {
    fn walk(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.contains('\0') => out.push(at.to_string()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}[{i}]"), out);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let name = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    if k.contains('\0') {
                        out.push(name.replace('\0', ""));
                    } else {
                        walk(item, &name, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out.sort();
    out
}

/// The names of the urlencoded pairs (a form body or a query string) whose name or value holds a NUL.
pub fn nul_fields_urlencoded(text: &[u8]) -> Vec<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(text).unwrap_or_default();
    let mut out: Vec<String> = pairs
        .into_iter()
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', ""))
        .collect();
    out.dedup();
    out
}

/// Whether `raw` (a query string, or a JSON or form body as sent) can hold a NUL at all: as a byte, percent-encoded
/// or as a JSON escape. Almost no request does, so the decoding that names the field runs only for those that may,
/// not for every submission and review on the hot path.
fn may_hold_nul(raw: &[u8]) -> bool {
    raw.contains(&0)
        || raw.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"))
        || raw.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

fn refuse(fields: Vec<String>) -> Result<(), AppError> {
    if fields.is_empty() {
        return Ok(());
    }
    Err(AppError::Invalid(
        fields
            .iter()
            .map(|f| FieldError::new(f, NUL_CHARACTER))
            .collect(),
    ))
}

/// Reads the whole body (up to `limit` bytes) so it can be checked and then handed on unchanged.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    let mut stream = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::BadRequest("payload too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

async fn check(req: &mut ServiceRequest) -> Result<(), AppError> {
    // A path with an encoded NUL names nothing that exists.
    if req.path().to_ascii_lowercase().contains("%00") {
        return Err(AppError::NotFound("page"));
    }
    // A query parameter is refused as every bad parameter is: `bad_parameter`, naming it.
    let query = req.query_string().as_bytes();
    if let Some(param) = may_hold_nul(query)
        .then(|| nul_fields_urlencoded(query).into_iter().next())
        .flatten()
    {
        return Err(AppError::BadParam(ParamError::named(param, NUL_CHARACTER)));
    }
    let kind = body_kind(req);
    if kind == Body::Other {
        return Ok(());
    }
    let body = read_body(req, JSON_LIMIT).await?;
    if !may_hold_nul(&body) {
        req.set_payload(Payload::from(body));
        return Ok(());
    }
    let fields = match kind {
        // A body that is not JSON is left to the JSON extractor, which refuses it in its own words.
        Body::Json => serde_json::from_slice::<Value>(&body)
            .map(|v| nul_fields_json(&v))
            .unwrap_or_default(),
        _ => nul_fields_urlencoded(&body),
    };
    req.set_payload(Payload::from(body));
    refuse(fields)
}

/// Middleware: refuses a request whose path, query string, or JSON or form body carries a NUL character (a body:
/// 422 `validation_failed`, each such field under `nul_character`; a query parameter: 422 `bad_parameter`; a
/// path: 404: the OpenAPI document cannot forbid a NUL in every text, so a request with one is well formed by it).
/// The refusal goes to the error mapping like any other.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    match check(&mut req).await {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_that_can_hold_a_nul_are_decoded() {
        assert!(may_hold_nul(b"q=%00"));
        assert!(may_hold_nul(b"q=a%00b"));
        assert!(may_hold_nul(br#"{"title":"a\u0000b"}"#));
        assert!(may_hold_nul(br#"{"title":"a\U0000b"}"#));
        assert!(may_hold_nul(&[b'a', 0, b'b']));
        assert!(!may_hold_nul(br#"{"title":"\u00e8n h\u1ebbm 100%"}"#));
        assert!(!may_hold_nul(b"q=%C4%91%C3%A8n&page=100"));
    }

    #[test]
    fn json_fields_are_named_as_the_body_spells_them() {
        let v: Value = serde_json::from_str(
            r#"{"title":"a\u0000b","ok":"fine","criteria":[{"name":"x"},{"name":"\u0000"}],"n":1}"#,
        )
        .unwrap();
        assert_eq!(nul_fields_json(&v), vec!["criteria[1].name", "title"]);
        let clean: Value = serde_json::from_str(r#"{"title":"Đèn 🚀 hẻm"}"#).unwrap();
        assert!(nul_fields_json(&clean).is_empty());
    }

    #[test]
    fn form_fields_with_a_nul_are_named() {
        assert_eq!(
            nul_fields_urlencoded(b"_csrf=x&title=a%00b&plan=ok"),
            vec!["title"]
        );
        assert!(nul_fields_urlencoded(b"title=%C4%90%C3%A8n&q=").is_empty());
    }
}
