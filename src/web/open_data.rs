//! Open data (DESIGN.md "Public side"): every public idea and every adopted idea as CSV and JSON, with the page
//! `/open-data` that documents each file's fields and the licence (Creative Commons Attribution 4.0).
//!
//! Public fields only: no email, phone, author's name, reviewer or score is ever read into these rows, and an idea
//! whose blind contest still hides its authors is published as its page shows it (`app::publish`). The files can
//! hold a million ideas, so they are streamed: pieces of 1,000 rows read with a keyset cursor on the blocking pool
//! (`web::chunked`), never built whole and never kept in the page cache. CSV is UTF-8 with a byte-order mark (so
//! spreadsheet software reads the Vietnamese right) and a text cell that starts like a formula gets an apostrophe;
//! JSON is one array, written element by element, with the text unchanged.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::State;
use super::chunked::{self, Step};
use super::error::AppError;
use super::export::csv_text;
use super::pages::{Ctx, HTML, ctx_of, render};
use super::view::rfc3339;
use crate::app::publish;
use crate::db::DbConn;
use crate::db::public_data::{OpenAdoptedRow, OpenIdeaRow};
use crate::domain::listing::Cursor;

/// Rows read for each piece of a file.
const IDEAS_CHUNK: i64 = 1_000;
const ADOPTED_CHUNK: i64 = 500;
/// The licence of the data.
pub const LICENCE_URL: &str = "https://creativecommons.org/licenses/by/4.0/";
const BOM: &[u8] = b"\xEF\xBB\xBF";
const CSV: &str = "text/csv; charset=utf-8";
const JSON: &str = "application/json";

/// A public idea in the open data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenIdea {
    /// Id (UUID).
    pub id: String,
    /// The idea's page.
    pub url: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// The current situation (thực trạng).
    pub situation: String,
    /// The proposed solution (giải pháp).
    pub solution: String,
    /// Expected impact (hiệu quả dự kiến).
    pub impact: String,
    /// Resources or cost.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// Status code (`submitted`, `in_review`, `selected`, `implemented`, …).
    pub status: String,
    /// Category slug.
    pub category: String,
    /// Category name in Vietnamese.
    pub category_vi: String,
    /// Category name in English.
    pub category_en: String,
    /// The idea's unit; `null` while a blind contest hides who wrote it.
    pub unit: Option<String>,
    /// Contest slug.
    pub contest: String,
    /// Contest title.
    pub contest_title: String,
    /// When it was first submitted (RFC 3339, Vietnam time).
    pub submitted_at: Option<String>,
    /// When it last changed (RFC 3339, Vietnam time).
    pub updated_at: String,
}

/// The columns of `ideas.csv`, in order (the field names of [`OpenIdea`]).
pub const IDEA_COLUMNS: [&str; 18] = [
    "id",
    "url",
    "title",
    "summary",
    "situation",
    "solution",
    "impact",
    "resources",
    "applies_where",
    "status",
    "category",
    "category_vi",
    "category_en",
    "unit",
    "contest",
    "contest_title",
    "submitted_at",
    "updated_at",
];

/// An adopted idea in the open data: how it is being applied.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenAdopted {
    /// Id of the idea (UUID).
    pub id: String,
    /// The idea's page.
    pub url: String,
    /// Title.
    pub title: String,
    /// Status code: `in_implementation`, `implemented` or `discontinued`.
    pub status: String,
    /// Category slug.
    pub category: String,
    /// Contest slug.
    pub contest: String,
    /// Contest title.
    pub contest_title: String,
    /// The idea's unit.
    pub unit: Option<String>,
    /// The unit responsible for applying it.
    pub responsible_unit: String,
    /// The plan.
    pub plan: String,
    /// Planned start (YYYY-MM-DD).
    pub planned_start: Option<String>,
    /// Planned end (YYYY-MM-DD).
    pub planned_end: Option<String>,
    /// Progress, 0–100.
    pub progress: i32,
    /// The latest update.
    pub latest_update: Option<String>,
    /// When application started (RFC 3339).
    pub started_at: String,
    /// When it was last updated (RFC 3339).
    pub updated_at: String,
    /// When it ended, implemented or discontinued (RFC 3339).
    pub ended_at: Option<String>,
    /// Why it was discontinued.
    pub end_reason: Option<String>,
}

/// The columns of `adopted.csv`, in order (the field names of [`OpenAdopted`]).
pub const ADOPTED_COLUMNS: [&str; 18] = [
    "id",
    "url",
    "title",
    "status",
    "category",
    "contest",
    "contest_title",
    "unit",
    "responsible_unit",
    "plan",
    "planned_start",
    "planned_end",
    "progress",
    "latest_update",
    "started_at",
    "updated_at",
    "ended_at",
    "end_reason",
];

/// A milestone of an adopted idea.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenMilestone {
    /// When it happened (YYYY-MM-DD).
    pub date: String,
    /// What happened.
    pub text: String,
    /// Progress after it, 0–100.
    pub progress: i32,
}

/// An adopted idea in `adopted.json`: the CSV's fields and the milestones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenAdoptedFull {
    /// The fields of `adopted.csv`.
    #[serde(flatten)]
    pub adopted: OpenAdopted,
    /// Milestones, in the order they happened.
    pub milestones: Vec<OpenMilestone>,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn opt_time(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(rfc3339)
}

/// The unit as published: blanked by `app::publish` while the authors are hidden.
fn unit_of(r: &OpenIdeaRow) -> Option<String> {
    (!r.unit.is_empty()).then(|| r.unit.clone())
}

fn open_idea(base: &str, r: OpenIdeaRow) -> OpenIdea {
    let unit = unit_of(&r);
    let i = r.idea;
    OpenIdea {
        url: format!("{base}/ideas/{}", i.id),
        id: i.id,
        title: i.title,
        summary: i.summary,
        situation: i.situation,
        solution: i.solution,
        impact: i.impact,
        resources: i.resources,
        applies_where: i.applies_where,
        status: i.status,
        category: r.category_slug,
        category_vi: r.category_vi,
        category_en: r.category_en,
        unit,
        contest: r.contest_slug,
        contest_title: r.contest_title,
        submitted_at: opt_time(i.listed_at.or(i.submitted_at)),
        updated_at: rfc3339(i.updated_at),
    }
}

fn open_adopted(base: &str, r: OpenAdoptedRow) -> OpenAdopted {
    let unit = unit_of(&r.idea);
    let a = r.adoption;
    let i = r.idea.idea;
    OpenAdopted {
        url: format!("{base}/ideas/{}", i.id),
        id: i.id,
        title: i.title,
        status: i.status,
        category: r.idea.category_slug,
        contest: r.idea.contest_slug,
        contest_title: r.idea.contest_title,
        unit,
        responsible_unit: a.responsible_unit,
        plan: a.plan,
        planned_start: a.planned_start.map(day),
        planned_end: a.planned_end.map(day),
        progress: a.progress.clamp(0, 100),
        latest_update: a.latest_update,
        started_at: rfc3339(a.started_at),
        updated_at: rfc3339(a.updated_at),
        ended_at: opt_time(a.ended_at),
        end_reason: a.end_reason,
    }
}

fn defuse(s: &mut String) {
    *s = csv_text(s);
}

fn defuse_opt(s: &mut Option<String>) {
    if let Some(v) = s {
        defuse(v);
    }
}

impl OpenIdea {
    /// The row as a CSV cell each: text that starts like a formula is defused.
    fn for_csv(mut self) -> Self {
        for s in [
            &mut self.title,
            &mut self.summary,
            &mut self.situation,
            &mut self.solution,
            &mut self.impact,
            &mut self.resources,
            &mut self.applies_where,
            &mut self.category_vi,
            &mut self.category_en,
            &mut self.contest_title,
        ] {
            defuse(s);
        }
        defuse_opt(&mut self.unit);
        self
    }
}

impl OpenAdopted {
    /// The row as a CSV cell each: text that starts like a formula is defused.
    fn for_csv(mut self) -> Self {
        for s in [
            &mut self.title,
            &mut self.contest_title,
            &mut self.responsible_unit,
            &mut self.plan,
        ] {
            defuse(s);
        }
        for s in [
            &mut self.unit,
            &mut self.latest_update,
            &mut self.end_reason,
        ] {
            defuse_opt(s);
        }
        self
    }
}

/// Rows written as CSV without a header (the first piece writes the header itself).
fn csv_rows<T: Serialize>(rows: impl IntoIterator<Item = T>) -> Result<Vec<u8>, AppError> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// The byte-order mark and the header row.
fn csv_head(columns: &[&str]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    w.write_record(columns)
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// Appends JSON elements to `out`, each after a comma unless it is the array's first.
fn json_items<T: Serialize>(
    out: &mut Vec<u8>,
    first: &mut bool,
    items: impl IntoIterator<Item = T>,
) -> Result<(), AppError> {
    for item in items {
        out.extend_from_slice(if *first { b"\n" } else { b",\n" });
        *first = false;
        serde_json::to_writer(&mut *out, &item)
            .map_err(|e| AppError::Internal(format!("json: {e}")))?;
    }
    Ok(())
}

/// A file's response: its type, a download name with today's date (Vietnam), a cache life of 15 minutes, the
/// licence as a link.
fn file_response(
    content_type: &'static str,
    name: &str,
    ext: &str,
) -> actix_web::HttpResponseBuilder {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m-%d");
    let mut b = HttpResponse::Ok();
    b.content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"sangtao-{name}-{today}.{ext}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=900"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::LINK, format!("<{LICENCE_URL}>; rel=\"license\"")));
    b
}

/// A CSV file of `columns` streamed piece by piece: `next` reads the rows after the walk's position `W` and says
/// where the walk goes on (`None` after the last piece).
fn csv_body<W, T, F>(
    state: &State,
    start: W,
    columns: &'static [&'static str],
    mut next: F,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, std::io::Error>> + 'static
where
    W: Send + 'static,
    T: Serialize,
    F: FnMut(&mut DbConn, W) -> Result<(Vec<T>, Option<W>), AppError> + Send + 'static,
{
    chunked::body(
        state.pool.clone(),
        (start, true),
        move |conn, (walk, first)| {
            let mut out = if first {
                csv_head(columns)?
            } else {
                Vec::new()
            };
            let (rows, more) = next(conn, walk)?;
            out.extend(csv_rows(rows)?);
            Ok(match more {
                Some(w) => Step::More(out, (w, false)),
                None => Step::Last(out),
            })
        },
    )
}

/// A JSON array streamed element by element, read as [`csv_body`] reads.
fn json_body<W, T, F>(
    state: &State,
    start: W,
    mut next: F,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, std::io::Error>> + 'static
where
    W: Send + 'static,
    T: Serialize,
    F: FnMut(&mut DbConn, W) -> Result<(Vec<T>, Option<W>), AppError> + Send + 'static,
{
    chunked::body(
        state.pool.clone(),
        (start, true),
        move |conn, (walk, first)| {
            let mut empty = first;
            let mut out = if first { b"[".to_vec() } else { Vec::new() };
            let (rows, more) = next(conn, walk)?;
            json_items(&mut out, &mut empty, rows)?;
            Ok(match more {
                // A piece with more to come was full, so the array has elements by now.
                Some(w) => Step::More(out, (w, false)),
                None => {
                    out.extend_from_slice(b"\n]\n");
                    Step::Last(out)
                }
            })
        },
    )
}

/// A walk through the public ideas, oldest first: the cursor of the last one read.
type IdeasWalk = Option<Cursor>;

/// The public ideas after the walk's position, and where it goes on (`None` after the last piece).
fn next_ideas(
    conn: &mut DbConn,
    base: &str,
    after: IdeasWalk,
) -> Result<(Vec<OpenIdea>, Option<IdeasWalk>), AppError> {
    let rows = publish::open_ideas(conn, after.as_ref(), IDEAS_CHUNK)?;
    let more = rows.len() as i64 == IDEAS_CHUNK;
    let last = rows.last().and_then(|r| {
        r.idea.listed_at.map(|listed_at| Cursor {
            listed_at,
            id: r.idea.id.clone(),
        })
    });
    let items = rows.into_iter().map(|r| open_idea(base, r)).collect();
    Ok((items, last.filter(|_| more).map(Some)))
}

/// A walk through the adopted ideas, by idea id: the last one read.
type AdoptedWalk = Option<String>;

/// The adopted ideas after the walk's position with their milestones, and where it goes on.
fn next_adopted(
    conn: &mut DbConn,
    base: &str,
    after: AdoptedWalk,
) -> Result<(Vec<OpenAdoptedFull>, Option<AdoptedWalk>), AppError> {
    let (rows, mut milestones) = publish::open_adopted(conn, after.as_deref(), ADOPTED_CHUNK)?;
    let more = rows.len() as i64 == ADOPTED_CHUNK;
    let last = rows.last().map(|r| r.idea.idea.id.clone());
    let items = rows
        .into_iter()
        .map(|r| {
            let ms = milestones.remove(&r.idea.idea.id).unwrap_or_default();
            OpenAdoptedFull {
                adopted: open_adopted(base, r),
                milestones: ms
                    .into_iter()
                    .map(|m| OpenMilestone {
                        date: day(m.happened_on),
                        text: m.body,
                        progress: m.progress.clamp(0, 100),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok((items, last.filter(|_| more).map(Some)))
}

/// `GET /open-data/ideas.csv`.
#[utoipa::path(
    get,
    path = "/open-data/ideas.csv",
    tag = "open data",
    responses((status = 200, description = "Every public idea, oldest first: UTF-8 CSV with a byte-order mark, the \
        columns of `OpenIdea` (see /open-data). Licence: CC BY 4.0.", content_type = "text/csv", body = String))
)]
pub async fn ideas_csv(state: State) -> HttpResponse {
    let base = state.config.base_url.clone();
    let body = csv_body(&state, None, &IDEA_COLUMNS, move |conn, walk| {
        let (rows, more) = next_ideas(conn, &base, walk)?;
        Ok((rows.into_iter().map(OpenIdea::for_csv).collect(), more))
    });
    file_response(CSV, "ideas", "csv").streaming(body)
}

/// `GET /open-data/ideas.json`.
#[utoipa::path(
    get,
    path = "/open-data/ideas.json",
    tag = "open data",
    responses((status = 200, description = "Every public idea, oldest first, as one JSON array. Licence: CC BY 4.0.",
        body = Vec<OpenIdea>))
)]
pub async fn ideas_json(state: State) -> HttpResponse {
    let base = state.config.base_url.clone();
    let body = json_body(&state, None, move |conn, walk| {
        next_ideas(conn, &base, walk)
    });
    file_response(JSON, "ideas", "json").streaming(body)
}

/// `GET /open-data/adopted.csv`.
#[utoipa::path(
    get,
    path = "/open-data/adopted.csv",
    tag = "open data",
    responses((status = 200, description = "Every adopted public idea: UTF-8 CSV with a byte-order mark, the columns \
        of `OpenAdopted` (see /open-data). Licence: CC BY 4.0.", content_type = "text/csv", body = String))
)]
pub async fn adopted_csv(state: State) -> HttpResponse {
    let base = state.config.base_url.clone();
    let body = csv_body(&state, None, &ADOPTED_COLUMNS, move |conn, walk| {
        let (rows, more) = next_adopted(conn, &base, walk)?;
        Ok((
            rows.into_iter().map(|r| r.adopted.for_csv()).collect(),
            more,
        ))
    });
    file_response(CSV, "adopted", "csv").streaming(body)
}

/// `GET /open-data/adopted.json`.
#[utoipa::path(
    get,
    path = "/open-data/adopted.json",
    tag = "open data",
    responses((status = 200, description = "Every adopted public idea with its milestones, as one JSON array. \
        Licence: CC BY 4.0.", body = Vec<OpenAdoptedFull>))
)]
pub async fn adopted_json(state: State) -> HttpResponse {
    let base = state.config.base_url.clone();
    let body = json_body(&state, None, move |conn, walk| {
        next_adopted(conn, &base, walk)
    });
    file_response(JSON, "adopted", "json").streaming(body)
}

/// A field of a file, as the page documents it.
struct FieldDoc {
    name: &'static str,
    kind: &'static str,
    meaning: &'static str,
}

/// A file, as the page documents it.
struct FileDoc {
    id: &'static str,
    heading: &'static str,
    caption: String,
    about: &'static str,
    csv: &'static str,
    json: &'static str,
    fields: Vec<FieldDoc>,
}

/// The type of each documented field (a key of `open_data.type.*`), and the meaning's key when it is not
/// `open_data.field.<name>`.
const IDEA_DOCS: [(&str, &str); 18] = [
    ("id", "uuid"),
    ("url", "url"),
    ("title", "text"),
    ("summary", "text"),
    ("situation", "text"),
    ("solution", "text"),
    ("impact", "text"),
    ("resources", "text"),
    ("applies_where", "text"),
    ("status", "status"),
    ("category", "slug"),
    ("category_vi", "text"),
    ("category_en", "text"),
    ("unit", "text_or_empty"),
    ("contest", "slug"),
    ("contest_title", "text"),
    ("submitted_at", "datetime"),
    ("updated_at", "datetime"),
];

const ADOPTED_DOCS: [(&str, &str); 19] = [
    ("id", "uuid"),
    ("url", "url"),
    ("title", "text"),
    ("status", "status"),
    ("category", "slug"),
    ("contest", "slug"),
    ("contest_title", "text"),
    ("unit", "text_or_empty"),
    ("responsible_unit", "text"),
    ("plan", "text"),
    ("planned_start", "date_or_empty"),
    ("planned_end", "date_or_empty"),
    ("progress", "percent"),
    ("latest_update", "text_or_empty"),
    ("started_at", "datetime"),
    ("adoption_updated_at", "datetime"),
    ("ended_at", "datetime_or_empty"),
    ("end_reason", "text_or_empty"),
    ("milestones", "milestones"),
];

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    ctx: Ctx,
    files: Vec<FileDoc>,
    licence_url: &'static str,
}

fn docs(ctx: &Ctx, table: &[(&'static str, &'static str)]) -> Vec<FieldDoc> {
    table
        .iter()
        .map(|(name, kind)| FieldDoc {
            // `adoption_updated_at` is documented apart from an idea's `updated_at`, under the same column name.
            name: name.strip_prefix("adoption_").unwrap_or(name),
            kind: ctx.t(&format!("open_data.type.{kind}")),
            meaning: ctx.t(&format!("open_data.field.{name}")),
        })
        .collect()
}

/// `GET /open-data`: what each file holds, field by field, and the licence.
pub async fn page(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    state
        .cached(&req, lang, HTML, move |_conn| {
            let files = vec![
                FileDoc {
                    id: "ideas",
                    heading: ctx.t("open_data.ideas_heading"),
                    caption: ctx.lang.tf(
                        "open_data.fields_of",
                        &[("file", ctx.t("open_data.ideas_heading"))],
                    ),
                    about: ctx.t("open_data.ideas_about"),
                    csv: "/open-data/ideas.csv",
                    json: "/open-data/ideas.json",
                    fields: docs(&ctx, &IDEA_DOCS),
                },
                FileDoc {
                    id: "adopted",
                    heading: ctx.t("open_data.adopted_heading"),
                    caption: ctx.lang.tf(
                        "open_data.fields_of",
                        &[("file", ctx.t("open_data.adopted_heading"))],
                    ),
                    about: ctx.t("open_data.adopted_about"),
                    csv: "/open-data/adopted.csv",
                    json: "/open-data/adopted.json",
                    fields: docs(&ctx, &ADOPTED_DOCS),
                },
            ];
            render(&OpenDataPage {
                ctx,
                files,
                licence_url: LICENCE_URL,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn header_of<T: Serialize>(row: T) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn the_column_lists_are_the_field_names() {
        let idea = OpenIdea {
            id: String::new(),
            url: String::new(),
            title: String::new(),
            summary: String::new(),
            situation: String::new(),
            solution: String::new(),
            impact: String::new(),
            resources: String::new(),
            applies_where: String::new(),
            status: String::new(),
            category: String::new(),
            category_vi: String::new(),
            category_en: String::new(),
            unit: None,
            contest: String::new(),
            contest_title: String::new(),
            submitted_at: None,
            updated_at: String::new(),
        };
        assert_eq!(header_of(idea), IDEA_COLUMNS.join(","));
        let adopted = OpenAdopted {
            id: String::new(),
            url: String::new(),
            title: "=1+1".into(),
            status: String::new(),
            category: String::new(),
            contest: String::new(),
            contest_title: String::new(),
            unit: None,
            responsible_unit: String::new(),
            plan: String::new(),
            planned_start: None,
            planned_end: None,
            progress: 0,
            latest_update: Some("+84 90".into()),
            started_at: String::new(),
            updated_at: String::new(),
            ended_at: None,
            end_reason: None,
        };
        assert_eq!(header_of(adopted.clone()), ADOPTED_COLUMNS.join(","));
        let safe = adopted.for_csv();
        assert_eq!(safe.title, "'=1+1");
        assert_eq!(safe.latest_update.as_deref(), Some("'+84 90"));
        let documented: Vec<&str> = ADOPTED_DOCS
            .iter()
            .map(|(n, _)| n.strip_prefix("adoption_").unwrap_or(n))
            .filter(|n| *n != "milestones")
            .collect();
        assert_eq!(documented, ADOPTED_COLUMNS.to_vec());
        let documented: Vec<&str> = IDEA_DOCS.iter().map(|(n, _)| *n).collect();
        assert_eq!(documented, IDEA_COLUMNS.to_vec());
    }
}
