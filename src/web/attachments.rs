//! Attachments over HTTP: uploads (the author's page form and the API, multipart, read as a stream), deletion, and
//! the files and previews served with safe headers; plus what pages and the API show of an idea's attachments.

use actix_files::NamedFile;
use actix_multipart::{Field, Multipart};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{CurrentUser, SignedIn};
use super::error::{AppError, ErrorBody};
use super::i18n::Lang;
use super::pages::see_other;
use super::view::{href, rfc3339};
use super::{AppState, State};
use crate::access::Principal;
use crate::app::attachments::{self as uc, Incoming, Uploads};
use crate::db::attachments::Attachment;
use crate::domain::attachment::{
    FileKind, MAX_FILES_PER_IDEA, MB, UploadProblem, accept_attribute, content_disposition,
    download_name, human_size, preview_name,
};
use crate::domain::listing::{ParamError, parse_idea_id};

/// Received bytes go to disk in pieces of this size (one trip to the blocking pool each, not one per network chunk).
const WRITE_BATCH: usize = 256 * 1024;
/// The most form parts read before the file, and the most bytes of each (the form has only the file).
const MAX_OTHER_PARTS: usize = 8;
const MAX_OTHER_PART_BYTES: u64 = 64 * 1024;
/// The query parameter that carries a refused change back to the author's page.
const PROBLEM_PARAM: &str = "attachment_problem";

fn parse_id(raw: &str, name: &'static str) -> Result<String, AppError> {
    parse_idea_id(raw).ok_or(AppError::BadParam(ParamError::new(name, "invalid_id")))
}

fn bad_request(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(e.to_string())
}

/// Reads and discards what is left of the request body (the rest of `current`, then any further parts), up to
/// `budget` bytes, so a client that is still sending gets the answer instead of a reset connection. Past the budget
/// the connection is left to close.
pub(crate) async fn drain(mp: &mut Multipart, mut current: Option<Field>, budget: u64) {
    let mut left = budget;
    loop {
        let mut field = match current.take() {
            Some(f) => f,
            None => match mp.next().await {
                Some(Ok(f)) => f,
                _ => return,
            },
        };
        while let Some(chunk) = field.next().await {
            let Ok(chunk) = chunk else { return };
            match left.checked_sub(chunk.len() as u64) {
                Some(l) => left = l,
                None => return,
            }
        }
    }
}

/// Receives the `file` part of a multipart request and attaches it to the idea; on any refusal nothing is stored.
async fn receive(
    state: &AppState,
    who: &Principal,
    idea_id: &str,
    mut mp: Multipart,
) -> Result<Attachment, AppError> {
    let budget = state.config.max_upload_bytes;
    // Refuse early (someone else's idea, not editable, already five files) before reading the body.
    let (p, id) = (who.clone(), idea_id.to_string());
    if let Err(e) = state
        .with_conn(move |conn| uc::check_can_attach(conn, &p, &id))
        .await
    {
        drain(&mut mp, None, budget).await;
        return Err(e);
    }
    let mut others = 0;
    let mut field = loop {
        match mp.next().await {
            None => return Err(AppError::Upload(UploadProblem::NoFile)),
            Some(Err(e)) => return Err(bad_request(e)),
            Some(Ok(f)) if f.name() == Some("file") => break f,
            Some(Ok(f)) => {
                others += 1;
                if others > MAX_OTHER_PARTS {
                    return Err(AppError::BadRequest("too many form parts".into()));
                }
                drain(&mut mp, Some(f), MAX_OTHER_PART_BYTES).await;
            }
        }
    };
    let client_name = field
        .content_disposition()
        .and_then(|cd| {
            cd.get_filename().map(str::to_string).or_else(|| {
                cd.get_filename_ext()
                    .map(|v| String::from_utf8_lossy(&v.value).into_owned())
            })
        })
        .unwrap_or_default();
    let uploads = Uploads::new(&state.config.data_dir);
    let mut incoming = Incoming::new(uploads.clone(), state.config.max_upload_bytes);
    let mut batch: Vec<u8> = Vec::with_capacity(WRITE_BATCH);
    while let Some(chunk) = field.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => return Err(bad_request(e)),
        };
        // Counted and recognised before a byte of it is written: an oversized or wrong-type file stops here, and
        // dropping `incoming` removes whatever was written.
        if let Err(problem) = incoming.check(&chunk) {
            drop(incoming);
            drain(&mut mp, Some(field), budget).await;
            return Err(AppError::Upload(problem));
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= WRITE_BATCH {
            let (inc, buf) = web::block(move || {
                let r = incoming.write(&batch);
                batch.clear();
                r.map(|()| (incoming, batch))
            })
            .await??;
            incoming = inc;
            batch = buf;
        }
    }
    // The closing boundary (and anything after the file) is read before answering; the multipart stream answers
    // only once the field is dropped.
    drop(field);
    drain(&mut mp, None, MAX_OTHER_PART_BYTES).await;
    let staged = web::block(move || {
        incoming.write(&batch)?;
        incoming.finish(&client_name)
    })
    .await??;
    let (p, id) = (who.clone(), idea_id.to_string());
    state
        .with_conn(move |conn| uc::attach(conn, &uploads, &p, &id, staged))
        .await
}

/// Back to the author's page, at the attachments, with a notice or a problem.
fn back(idea_id: &str, param: &str, code: &str) -> HttpResponse {
    see_other(&format!(
        "{}#attachments",
        href(
            &format!("/me/ideas/{idea_id}"),
            &[(param, code.to_string())]
        )
    ))
}

/// `POST /me/ideas/{id}/attachments?_csrf=…`: the upload form of the author's page (multipart, field `file`). The
/// CSRF token travels in the query string because the middleware does not read multipart bodies.
pub async fn page_upload(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    mp: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path, "id")?;
    match receive(&state, &who.0, &id, mp).await {
        Ok(_) => {
            state.cache.bump();
            Ok(back(&id, "notice", "attachment_added"))
        }
        Err(AppError::Upload(p)) => Ok(back(&id, PROBLEM_PARAM, p.code())),
        Err(AppError::Rule(code)) => Ok(back(&id, PROBLEM_PARAM, code)),
        Err(e) => Err(e),
    }
}

/// `POST /me/ideas/{id}/attachments/{att}/delete`.
pub async fn page_delete(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw, raw_att) = path.into_inner();
    let id = parse_id(&raw, "id")?;
    let att = parse_id(&raw_att, "att")?;
    let uploads = Uploads::new(&state.config.data_dir);
    let id2 = id.clone();
    match state
        .with_conn(move |conn| uc::remove(conn, &uploads, &who.0, &id2, &att))
        .await
    {
        Ok(()) => {
            state.cache.bump();
            Ok(back(&id, "notice", "attachment_deleted"))
        }
        Err(AppError::Rule(code)) => Ok(back(&id, PROBLEM_PARAM, code)),
        Err(e) => Err(e),
    }
}

/// An attached file, as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    /// Id (UUID).
    pub id: String,
    /// The name it was uploaded under, cleaned for display.
    pub file_name: String,
    /// Media type, recognised from the content: `image/jpeg`, `image/png`, `image/webp` or `application/pdf`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where to fetch it (a path on this server).
    pub url: String,
    /// A resized JPEG preview, for images; `null` for PDFs.
    pub preview_url: Option<String>,
    /// Uploaded (RFC 3339).
    pub created_at: String,
}

/// The API form of an attachment.
pub fn attachment_dto(a: &Attachment) -> AttachmentDto {
    let image = FileKind::from_mime(&a.content_type).is_some_and(FileKind::is_image);
    AttachmentDto {
        id: a.id.clone(),
        file_name: a.file_name.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        url: format!("/attachments/{}", a.id),
        preview_url: image.then(|| format!("/attachments/{}/preview", a.id)),
        created_at: rfc3339(a.created_at),
    }
}

/// The multipart body of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: a JPEG, PNG or WebP image or a PDF document (recognised by content), at most the configured size
    /// (10 MB by default).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attach a file to an idea (its author, while the idea can be edited; at most five per idea). Send
/// `multipart/form-data` with the file in the part `file`. Only JPEG, PNG, WebP and PDF are accepted, recognised by
/// their content (the name and declared type are ignored); images get a preview. A refused file is not stored.
#[utoipa::path(post, path = "/api/v1/ideas/{id}/attachments", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Attached", body = AttachmentDto),
        (status = 400, description = "`no_file`, `file_damaged`, `image_too_large`, `bad_request`", body = ErrorBody),
        (status = 404, description = "Not the reader's idea", body = ErrorBody),
        (status = 409, description = "`too_many_files`, `not_editable`, `contest_closed`", body = ErrorBody),
        (status = 413, description = "`file_too_large`", body = ErrorBody),
        (status = 415, description = "`file_type_not_allowed`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn api_upload(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    mp: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path, "id")?;
    let att = receive(&state, &who.0, &id, mp).await?;
    state.cache.bump();
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::LOCATION, format!("/attachments/{}", att.id)))
        .json(attachment_dto(&att)))
}

/// Remove an attachment (its idea's author, while the idea can be edited).
#[utoipa::path(delete, path = "/api/v1/ideas/{id}/attachments/{att}", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)"), ("att" = String, Path, format = Uuid, description = "Attachment id (UUID)")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_delete(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw, raw_att) = path.into_inner();
    let id = parse_id(&raw, "id")?;
    let att = parse_id(&raw_att, "att")?;
    let uploads = Uploads::new(&state.config.data_dir);
    state
        .with_conn(move |conn| uc::remove(conn, &uploads, &who.0, &id, &att))
        .await?;
    state.cache.bump();
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /attachments/{id}`: the file, to anyone when its idea is public, otherwise only to its author and
/// co-authors (everyone else: not found).
pub async fn file(
    req: HttpRequest,
    state: State,
    who: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(req, state, who.0, &path, false).await
}

/// `GET /attachments/{id}/preview`: an image's resized JPEG preview, to the same readers as the file.
pub async fn preview(
    req: HttpRequest,
    state: State,
    who: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(req, state, who.0, &path, true).await
}

async fn serve(
    req: HttpRequest,
    state: State,
    who: Option<Principal>,
    raw_id: &str,
    want_preview: bool,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(raw_id, "id")?;
    let (att, public) = state
        .with_conn(move |conn| uc::readable(conn, who.as_ref(), &id))
        .await?;
    deliver(req, state, att, public, want_preview).await
}

/// Sends an attachment the caller was found allowed to read, under its `file_name` (a reviewer's copy of a blind
/// contest's file comes renamed by `access::redaction`): the file itself, or with `want_preview` an image's JPEG
/// preview. `public` files may be cached by the browser; others never are.
pub async fn deliver(
    req: HttpRequest,
    state: State,
    att: Attachment,
    public: bool,
    want_preview: bool,
) -> Result<HttpResponse, AppError> {
    // The type served is the one recognised at upload, through the list of accepted kinds: a row with anything
    // else is never served as what it claims.
    let kind = FileKind::from_mime(&att.content_type).ok_or_else(|| {
        AppError::Internal(format!(
            "attachment {} has type {}",
            att.id, att.content_type
        ))
    })?;
    let (key, served, name) = if want_preview {
        if !kind.is_image() {
            return Err(AppError::NotFound("attachment"));
        }
        (
            Uploads::preview_key(&att.storage_key),
            FileKind::Jpeg,
            preview_name(&att.file_name),
        )
    } else {
        (
            att.storage_key.clone(),
            kind,
            download_name(&att.file_name, kind),
        )
    };
    let path = Uploads::new(&state.config.data_dir)
        .path_of(&key)
        .ok_or_else(|| {
            AppError::Internal(format!("attachment {} has a bad storage key", att.id))
        })?;
    let opened = web::block(move || NamedFile::open(path)).await?;
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::error!(attachment = %att.id, "attachment file missing");
            return Err(AppError::NotFound("attachment"));
        }
        Err(e) => return Err(AppError::Internal(format!("attachment {}: {e}", att.id))),
    };
    let mime: actix_web::mime::Mime = served
        .mime()
        .parse()
        .map_err(|_| AppError::Internal("media type".into()))?;
    let mut res = file
        .set_content_type(mime)
        .disable_content_disposition()
        .into_response(&req);
    let headers = res.headers_mut();
    let set = |headers: &mut header::HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(v) = header::HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(
        headers,
        header::CONTENT_DISPOSITION,
        &content_disposition(&name),
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Opened directly, the file is its own document: no scripts, no plugins, no same-origin rights.
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        if served.is_image() {
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
        } else {
            "sandbox"
        },
    );
    set(
        headers,
        header::CACHE_CONTROL,
        if public {
            "public, max-age=300"
        } else {
            "private, no-store"
        },
    );
    Ok(res)
}

/// An attachment in a page's list.
pub struct AttachmentView {
    /// The file.
    pub href: String,
    /// The preview, for images.
    pub preview_href: Option<String>,
    /// Display name.
    pub name: String,
    /// "Ảnh PNG", "Tài liệu PDF"…
    pub kind_label: String,
    /// "1,2 MB".
    pub size: String,
    /// Where the delete form posts (author's page).
    pub delete_href: String,
    /// The delete button's accessible name.
    pub delete_label: String,
}

/// The attachments of an idea for a page.
pub fn views(lang: Lang, idea_id: &str, atts: &[Attachment]) -> Vec<AttachmentView> {
    atts.iter()
        .map(|a| {
            let kind = FileKind::from_mime(&a.content_type);
            AttachmentView {
                href: format!("/attachments/{}", a.id),
                preview_href: kind
                    .filter(|k| k.is_image())
                    .map(|_| format!("/attachments/{}/preview", a.id)),
                kind_label: kind
                    .map(|k| {
                        lang.t(&format!("attachments.kind.{}", k.code()))
                            .to_string()
                    })
                    .unwrap_or_default(),
                size: human_size(a.size_bytes, lang == Lang::Vi),
                delete_href: format!("/me/ideas/{idea_id}/attachments/{}/delete", a.id),
                delete_label: lang.tf("attachments.delete_named", &[("name", &a.file_name)]),
                name: a.file_name.clone(),
            }
        })
        .collect()
}

/// The attachments section of the author's page: the list, and the upload form while the idea can be changed.
pub struct AttachmentBox {
    /// The files.
    pub items: Vec<AttachmentView>,
    /// Whether the reader may delete and add (the author, while the idea is editable).
    pub can_change: bool,
    /// Whether there is room for another file.
    pub can_add: bool,
    /// The upload form's action, with the CSRF token in its query string.
    pub upload_href: String,
    /// The file field's `accept`.
    pub accept: String,
    /// The limits, in words.
    pub limits: String,
    /// Why the last change was refused, if it was.
    pub problem: Option<String>,
}

pub(crate) fn problem_message(lang: Lang, code: &str, max_mb: u64) -> Option<String> {
    if let Some(p) = UploadProblem::from_code(code, max_mb) {
        let params = p.params();
        let args: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return Some(lang.tf(&format!("upload.{code}"), &args));
    }
    let key = format!("rule.{code}");
    lang.has(&key).then(|| lang.t(&key).to_string())
}

/// The author's attachments section for `req` (which may carry a refused change's code).
pub fn author_box(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    idea_id: &str,
    atts: &[Attachment],
    can_change: bool,
    csrf: &str,
) -> AttachmentBox {
    let max_mb = state.config.max_upload_bytes / MB;
    let problem = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == PROBLEM_PARAM)
        .and_then(|(_, code)| problem_message(lang, &code, max_mb));
    AttachmentBox {
        items: views(lang, idea_id, atts),
        can_change,
        can_add: can_change && atts.len() < MAX_FILES_PER_IDEA,
        upload_href: href(
            &format!("/me/ideas/{idea_id}/attachments"),
            &[(super::auth::CSRF_FIELD, csrf.to_string())],
        ),
        accept: accept_attribute(),
        limits: lang.tf(
            "attachments.limits",
            &[
                ("max", &MAX_FILES_PER_IDEA.to_string()),
                ("mb", &max_mb.to_string()),
                (
                    "left",
                    &MAX_FILES_PER_IDEA.saturating_sub(atts.len()).to_string(),
                ),
            ],
        ),
        problem,
    }
}
