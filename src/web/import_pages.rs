//! Importing ideas from a CSV file: the organizer's pages (upload, column mapping, progress, report) and the API.
//!
//! The import itself runs on a thread of its own ([`spawn_run`]), so a long file shows its progress: the page
//! reloads itself (`<meta http-equiv="refresh">`, no JavaScript) while the import runs, and resumes an import whose
//! worker died (see `app::import`).

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::i18n::Lang;
use super::pages::{Ctx, ctx_of, private_page, render, see_other};
use super::view::{date_time, href};
use super::{AppState, State};
use crate::app::import::{self as uc, ImportView};
use crate::db::imports::{ImportHead, ReportRow};
use crate::domain::import::{Field, FileProblem, MAX_FILE_BYTES, Mapping, column_letter};
use crate::domain::listing::{ParamError, parse_idea_id};
use crate::domain::validation::FieldError;

/// How often the progress page reloads itself, in seconds.
const REFRESH_SECS: u32 = 2;
/// Sample values shown per column on the mapping step, and their longest length.
const SAMPLES: usize = 3;
const SAMPLE_CHARS: usize = 80;
/// Bytes of other form parts read and dropped around the file.
const MAX_OTHER_PART_BYTES: u64 = 64 * 1024;

/// Runs an import on a thread of its own, emptying the page cache after every batch (new public ideas).
pub fn spawn_run(state: web::Data<AppState>, import_id: String) {
    let spawned = std::thread::Builder::new()
        .name("import".into())
        .spawn(move || {
            // Errors are logged and recorded on the import by `run`.
            let _ = uc::run(&state.pool, &import_id, &mut |_: &ImportHead| {
                state.cache.bump()
            });
            state.cache.bump();
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start an import thread");
    }
}

/// Resumes the imports whose worker died with a previous server (called once at start).
pub fn resume_stale(state: &web::Data<AppState>) -> Result<(), AppError> {
    let mut conn = state.pool.get()?;
    for id in uc::stale(&mut conn)? {
        if uc::claim_stale(&mut conn, &id)? {
            tracing::info!(import = %id, "resuming an import");
            spawn_run(state.clone(), id);
        }
    }
    Ok(())
}

fn import_id(raw: &str) -> Result<String, AppError> {
    parse_idea_id(raw).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))
}

fn import_href(slug: &str, id: &str) -> String {
    format!("/organize/contests/{slug}/imports/{id}")
}

/// A problem of a row or of the mapping as the reader reads it: the field's name, then the sentence.
fn problem_text(lang: Lang, p: &FieldError) -> String {
    let message = super::validation::message(lang, p);
    let key = format!("import.field.{}", p.field);
    if lang.has(&key) {
        format!("{}: {message}", lang.t(&key))
    } else {
        message
    }
}

struct PastImport {
    href: String,
    file_name: String,
    when: String,
    status: String,
    counts: String,
}

fn counts_line(lang: Lang, h: &ImportHead) -> String {
    lang.tf(
        "import.counts",
        &[
            ("imported", &h.imported.to_string()),
            ("duplicates", &h.duplicates.to_string()),
            ("rejected", &h.rejected.to_string()),
        ],
    )
}

#[derive(Template)]
#[template(path = "import_upload.html")]
struct UploadPage {
    ctx: Ctx,
    contest_title: String,
    action: String,
    problems: Vec<String>,
    fields: Vec<String>,
    past: Vec<PastImport>,
}

async fn render_upload(
    req: &HttpRequest,
    state: &AppState,
    who: crate::access::Principal,
    slug: String,
    problems: Vec<FieldError>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let s2 = slug.clone();
    let (contest, imports) = state
        .with_conn(move |conn| uc::list(conn, &who, &s2))
        .await?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = UploadPage {
        contest_title: contest.title,
        // The CSRF token travels in the query string: the middleware does not read multipart bodies.
        action: href(
            &format!("/organize/contests/{slug}/import"),
            &[("_csrf", ctx.csrf.clone())],
        ),
        problems: problems.iter().map(|p| problem_text(lang, p)).collect(),
        fields: Field::ALL
            .iter()
            .map(|f| lang.t(&format!("import.field.{}", f.code())).to_string())
            .collect(),
        past: imports
            .iter()
            .map(|h| PastImport {
                href: import_href(&slug, &h.id),
                file_name: h.file_name.clone(),
                when: date_time(lang, h.created_at),
                status: lang.t(&format!("import.status.{}", h.status)).to_string(),
                counts: counts_line(lang, h),
            })
            .collect(),
        ctx,
    };
    Ok(private_page(status, render(&page)?))
}

/// `GET /organize/contests/{slug}/import`: the upload form and the contest's earlier imports.
pub async fn upload_form(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render_upload(&req, &state, who.0, path.into_inner(), Vec::new()).await
}

/// Reads the `file` part of a multipart form: its name and bytes, at most [`MAX_FILE_BYTES`].
async fn receive_file(mut mp: Multipart) -> Result<(String, Vec<u8>), AppError> {
    let budget = MAX_FILE_BYTES as u64;
    let too_large = || AppError::Invalid(vec![FileProblem::TooLarge.to_field_error()]);
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if field.name() != Some("file") {
            super::attachments::drain(&mut mp, Some(field), MAX_OTHER_PART_BYTES).await;
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_string))
            .unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                // Read the rest so the browser gets the page instead of a reset connection.
                super::attachments::drain(&mut mp, Some(field), budget).await;
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        drop(field);
        super::attachments::drain(&mut mp, None, MAX_OTHER_PART_BYTES).await;
        if name.is_empty() && bytes.is_empty() {
            break;
        }
        return Ok((name, bytes));
    }
    Err(AppError::Invalid(vec![
        FileProblem::NoFile.to_field_error(),
    ]))
}

/// `POST /organize/contests/{slug}/import?_csrf=…`: stores the file and goes to the mapping step; a file that cannot
/// be read is refused on the form, with the reason.
pub async fn upload(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    mp: Multipart,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let received = receive_file(mp).await;
    let (principal, s2) = (who.0.clone(), slug.clone());
    let created = match received {
        Ok((name, bytes)) => state
            .with_conn(move |conn| uc::create(conn, &principal, &s2, &name, &bytes, &[], false))
            .await
            .map(|(head, _)| head),
        Err(e) => Err(e),
    };
    match created {
        Ok(head) => Ok(see_other(&import_href(&slug, &head.id))),
        Err(AppError::Invalid(problems)) => {
            render_upload(&req, &state, who.0, slug, problems).await
        }
        Err(e) => Err(e),
    }
}

struct ColumnRow {
    letter: String,
    header: String,
    name: String,
    samples: Vec<String>,
    recognized: bool,
    options: Vec<super::view::Choice>,
}

struct ReportLine {
    row: i32,
    title: String,
    outcome: String,
    outcome_label: String,
    reasons: Vec<String>,
    idea_href: Option<String>,
}

#[derive(Template)]
#[template(path = "import_show.html")]
struct ShowPage {
    ctx: Ctx,
    contest_title: String,
    upload_href: String,
    ideas_href: String,
    file_name: String,
    status: String,
    status_label: String,
    refresh: Option<u32>,
    action: String,
    problems: Vec<String>,
    columns: Vec<ColumnRow>,
    done: i32,
    total: i32,
    percent: i32,
    progress_line: String,
    counts: String,
    lines: Vec<ReportLine>,
}

fn report_line(lang: Lang, r: &ReportRow) -> ReportLine {
    let reasons = match (r.outcome.as_str(), r.duplicate_of_row, &r.duplicate_of_idea) {
        ("duplicate", Some(n), _) => {
            vec![lang.tf("import.duplicate_of_row", &[("row", &n.to_string())])]
        }
        ("duplicate", None, Some(_)) => vec![lang.t("import.duplicate_of_idea").to_string()],
        _ => uc::problems_from_json(&r.problems)
            .iter()
            .map(|p| problem_text(lang, p))
            .collect(),
    };
    ReportLine {
        row: r.row_number,
        title: r.title.clone(),
        outcome_label: lang.t(&format!("import.outcome.{}", r.outcome)).to_string(),
        outcome: r.outcome.clone(),
        reasons,
        idea_href: r
            .duplicate_of_idea
            .as_ref()
            .or(r.idea_id.as_ref())
            .map(|id| format!("/ideas/{id}")),
    }
}

/// The columns of the mapping step: header, sample values, and the field chosen (`chosen`) or recognised.
fn column_rows(lang: Lang, view: &ImportView, chosen: Option<&[Option<Field>]>) -> Vec<ColumnRow> {
    let Some(table) = &view.table else {
        return Vec::new();
    };
    let recognized = Mapping::recognize(&table.headers);
    let stored = Mapping::from_json(&view.head.mapping, table.headers.len());
    table
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let current = chosen
                .and_then(|c| c.get(i).copied())
                .unwrap_or_else(|| stored.columns.get(i).copied().flatten());
            let mut options = vec![super::view::Choice {
                value: String::new(),
                label: lang.t("import.ignore").into(),
                selected: current.is_none(),
            }];
            options.extend(Field::ALL.iter().map(|f| super::view::Choice {
                value: f.code().into(),
                label: lang.t(&format!("import.field.{}", f.code())).into(),
                selected: current == Some(*f),
            }));
            ColumnRow {
                letter: column_letter(i),
                header: header.clone(),
                name: format!("col_{i}"),
                samples: table
                    .rows
                    .iter()
                    .filter_map(|r| r.cells.get(i).map(|c| c.trim()))
                    .filter(|c| !c.is_empty())
                    .take(SAMPLES)
                    .map(|c| {
                        let mut s: String = c.chars().take(SAMPLE_CHARS).collect();
                        if c.chars().count() > SAMPLE_CHARS {
                            s.push('…');
                        }
                        s
                    })
                    .collect(),
                recognized: recognized.columns.get(i).copied().flatten().is_some(),
                options,
            }
        })
        .collect()
}

fn show_page(
    ctx: Ctx,
    slug: &str,
    view: &ImportView,
    chosen: Option<&[Option<Field>]>,
    problems: &[FieldError],
) -> ShowPage {
    let lang = ctx.lang;
    let h = &view.head;
    let done = h.next_row.min(h.total_rows);
    ShowPage {
        contest_title: view.contest.title.clone(),
        upload_href: format!("/organize/contests/{slug}/import"),
        ideas_href: href("/ideas", &[("contest", slug.to_string())]),
        file_name: h.file_name.clone(),
        status: h.status.clone(),
        status_label: lang.t(&format!("import.status.{}", h.status)).to_string(),
        refresh: (h.status == "running").then_some(REFRESH_SECS),
        action: import_href(slug, &h.id),
        problems: problems.iter().map(|p| problem_text(lang, p)).collect(),
        columns: column_rows(lang, view, chosen),
        done,
        total: h.total_rows,
        percent: if h.total_rows > 0 {
            done * 100 / h.total_rows
        } else {
            0
        },
        progress_line: lang.tf(
            "import.progress",
            &[
                ("done", &done.to_string()),
                ("total", &h.total_rows.to_string()),
            ],
        ),
        counts: counts_line(lang, h),
        lines: view.report.iter().map(|r| report_line(lang, r)).collect(),
        ctx,
    }
}

/// `GET /organize/contests/{slug}/imports/{id}`: the mapping step, the progress, or the report.
pub async fn show(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = import_id(&raw)?;
    let (s2, id2) = (slug.clone(), id.clone());
    let (view, resume) = state
        .with_conn(move |conn| {
            let view = uc::view(conn, &who.0, &s2, &id2, true)?;
            // A running import nobody has advanced for a while lost its worker (a restart): take it over. Checked
            // by reading first, so polling a live import takes no write lock.
            let resume = uc::lost_its_worker(&view.head) && uc::claim_stale(conn, &id2)?;
            Ok((view, resume))
        })
        .await?;
    if resume {
        spawn_run(state.clone(), id);
    }
    let ctx = ctx_of(&req, &state);
    Ok(private_page(
        StatusCode::OK,
        render(&show_page(ctx, &slug, &view, None, &[]))?,
    ))
}

/// `POST /organize/contests/{slug}/imports/{id}`: the mapping chosen (`col_0`, `col_1`, … each a field code or
/// empty), then the import starts.
pub async fn start(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (slug, raw) = path.into_inner();
    let id = import_id(&raw)?;
    let mut columns: Vec<Option<Field>> = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in form.iter() {
        let Some(i) = name
            .strip_prefix("col_")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|i| *i < 10_000)
        else {
            continue;
        };
        if columns.len() <= i {
            columns.resize(i + 1, None);
        }
        match Field::choice(value) {
            Ok(f) => columns[i] = f,
            Err(p) => problems.push(p),
        }
    }
    let (principal, s2, id2, cols) = (who.0.clone(), slug.clone(), id.clone(), columns.clone());
    let result = if problems.is_empty() {
        state
            .with_conn(move |conn| uc::set_mapping(conn, &principal, &s2, &id2, cols))
            .await
    } else {
        Err(AppError::Invalid(problems))
    };
    match result {
        Ok(_) => {
            spawn_run(state.clone(), id.clone());
            Ok(see_other(&import_href(&slug, &id)))
        }
        Err(AppError::Invalid(problems)) => {
            let (s2, id2) = (slug.clone(), id.clone());
            let view = state
                .with_conn(move |conn| uc::view(conn, &who.0, &s2, &id2, true))
                .await?;
            let ctx = ctx_of(&req, &state);
            Ok(private_page(
                StatusCode::BAD_REQUEST,
                render(&show_page(ctx, &slug, &view, Some(&columns), &problems))?,
            ))
        }
        Err(AppError::Rule("import_started")) => Ok(see_other(&import_href(&slug, &id))),
        Err(e) => Err(e),
    }
}

/// A problem, as the API reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    /// The column's field: `title`, `category`, `summary`, `situation`, `solution`, `impact`, `resources`,
    /// `applies_where`, `name`, `email`, `phone`, `unit` or `timestamp`.
    pub field: String,
    /// Stable code: `required`, `too_short`, `too_long`, `no_such_category`, `email`, `phone`, `no_such_unit`,
    /// `unit_outside_contest`, `author_required`, `datetime`.
    pub code: String,
    /// A sentence for people, in the request's language.
    pub message: String,
}

/// One row of the file and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowDto {
    /// The row's number as a spreadsheet shows it (the header is row 1).
    pub row: i32,
    /// `imported`, `duplicate` or `rejected`.
    pub outcome: String,
    /// The row's title, as written.
    pub title: String,
    /// The idea made from it.
    pub idea_id: Option<String>,
    /// The earlier row of the file it repeats.
    pub duplicate_of_row: Option<i32>,
    /// The existing idea it repeats.
    pub duplicate_of_idea: Option<String>,
    /// Why it was rejected.
    pub problems: Vec<ImportProblem>,
}

/// A column of the file and the field it was read as.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportColumn {
    /// Its letter, as a spreadsheet names it.
    pub column: String,
    /// Its header.
    pub header: String,
    /// The field read from it; `null` when it was not imported.
    pub field: Option<String>,
}

/// An import and its per-row report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Id (UUID); the organizer's page is `/organize/contests/{slug}/imports/{id}`.
    pub id: String,
    /// The file's name.
    pub file_name: String,
    /// `done` (or `failed`).
    pub status: String,
    /// Data rows in the file (blank rows are not counted).
    pub total_rows: i32,
    /// Rows imported as submitted ideas.
    pub imported: i32,
    /// Rows skipped as exact duplicates (same title and summary) of an earlier row or an existing idea.
    pub duplicates: i32,
    /// Rows rejected.
    pub rejected: i32,
    /// The columns.
    pub columns: Vec<ImportColumn>,
    /// Every row, in order.
    pub rows: Vec<ImportRowDto>,
}

/// Reads a request body of at most [`MAX_FILE_BYTES`].
async fn read_body(mut payload: web::Payload) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(AppError::Invalid(vec![
                FileProblem::TooLarge.to_field_error(),
            ]));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(AppError::Invalid(vec![
            FileProblem::NoFile.to_field_error(),
        ]));
    }
    Ok(bytes)
}

/// The body of an import in the OpenAPI document: the CSV file's bytes, not empty (an empty body is `no_file`).
/// Written by hand: the derive takes no length on a newtype.
pub struct CsvFile;

impl utoipa::PartialSchema for CsvFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .into()
    }
}

impl utoipa::ToSchema for CsvFile {}

/// Import ideas into a contest from a CSV file (an organizer of the contest's unit or above). Send the file as the
/// body (`text/csv`, UTF-8 with or without BOM, comma, semicolon or tab separated, the first row the headers).
/// Headers that name a field in Vietnamese or English ("Tên ý tưởng", "Lĩnh vực", "Tóm tắt", "Thực trạng",
/// "Giải pháp", "Hiệu quả dự kiến", "Họ và tên", "Địa chỉ email", "Dấu thời gian", "Title", "Email", …) are
/// recognised; map others with `map=Header=field` (repeatable; `field` a code of `ImportProblem.field` or
/// `ignore`). The import runs before the answer, which is the per-row report. A file that cannot be read or mapped
/// is refused (`validation_failed` with the problem under `file` or `mapping`: 400 for an empty body or a `map`
/// without `=`, 422 for a file whose encoding, CSV structure or columns do not fit) and nothing is stored.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/imports", tag = "contests",
    params(("slug" = String, Path, description = "Contest slug"),
        ("map" = Option<Vec<String>>, Query, description = "`Column header=field`, repeatable", pattern = "="),
        ("file_name" = Option<String>, Query, description = "The file's name, for the report")),
    request_body(content = CsvFile, content_type = "text/csv"),
    responses((status = 201, body = ImportReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_import(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut choices = Vec::new();
    let mut problems = Vec::new();
    let mut file_name = "import.csv".to_string();
    for (k, v) in query {
        match k.as_str() {
            "map" => match v.rsplit_once('=') {
                Some((h, f)) => choices.push((h.to_string(), f.to_string())),
                None => problems.push(FieldError::new("mapping", "map_syntax").with("value", &v)),
            },
            "file_name" => file_name = v,
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let bytes = read_body(payload).await?;
    let (principal, s2) = (who.0.clone(), slug.clone());
    let (head, headers) = state
        .with_conn(move |conn| {
            uc::create(conn, &principal, &s2, &file_name, &bytes, &choices, true)
        })
        .await?;
    let pool = state.pool.clone();
    let id = head.id.clone();
    web::block(move || uc::run(&pool, &id, &mut |_: &ImportHead| {})).await??;
    state.cache.bump();
    let lang = Lang::of_request(&req);
    let (principal, id) = (who.0, head.id.clone());
    let report = state
        .with_conn(move |conn| uc::view(conn, &principal, &slug, &id, false))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(report_dto(lang, &report, &headers)))
}

fn report_dto(lang: Lang, view: &ImportView, headers: &[String]) -> ImportReport {
    let h = &view.head;
    let mapping = Mapping::from_json(&h.mapping, headers.len());
    ImportReport {
        id: h.id.clone(),
        file_name: h.file_name.clone(),
        status: h.status.clone(),
        total_rows: h.total_rows,
        imported: h.imported,
        duplicates: h.duplicates,
        rejected: h.rejected,
        columns: headers
            .iter()
            .zip(&mapping.columns)
            .enumerate()
            .map(|(i, (header, field))| ImportColumn {
                column: column_letter(i),
                header: header.clone(),
                field: field.map(|f| f.code().to_string()),
            })
            .collect(),
        rows: view
            .report
            .iter()
            .map(|r| ImportRowDto {
                row: r.row_number,
                outcome: r.outcome.clone(),
                title: r.title.clone(),
                idea_id: r.idea_id.clone(),
                duplicate_of_row: r.duplicate_of_row,
                duplicate_of_idea: r.duplicate_of_idea.clone(),
                problems: uc::problems_from_json(&r.problems)
                    .iter()
                    .map(|p| ImportProblem {
                        field: p.field.clone(),
                        code: p.code.clone(),
                        message: super::validation::message(lang, p),
                    })
                    .collect(),
            })
            .collect(),
    }
}
