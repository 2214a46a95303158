//! Imports of ideas from files, their per-row reports, and the named contacts imported ideas may credit.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{contacts, ideas, import_rows, imports};

/// An import without its file: what pages poll and reports show (and, with the file, what [`insert`] stores).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports)]
#[diesel(treat_none_as_default_value = false)]
pub struct ImportHead {
    /// UUID.
    pub id: String,
    /// Contest.
    pub contest_id: String,
    /// Who imports.
    pub created_by: String,
    /// File name.
    pub file_name: String,
    /// JSON mapping.
    pub mapping: String,
    /// `mapping`, `running`, `done` or `failed`.
    pub status: String,
    /// Data rows in the file.
    pub total_rows: i32,
    /// Rows done so far (the index of the next one).
    pub next_row: i32,
    /// Rows imported.
    pub imported: i32,
    /// Rows skipped as duplicates.
    pub duplicates: i32,
    /// Rows rejected.
    pub rejected: i32,
    /// Why a failed import stopped (for the log and the organizer; never user data).
    pub error: Option<String>,
    /// Uploaded.
    pub created_at: NaiveDateTime,
    /// Last sign of life of its worker.
    pub heartbeat_at: Option<NaiveDateTime>,
    /// Finished.
    pub finished_at: Option<NaiveDateTime>,
}

/// One line of the per-row report.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_rows)]
#[diesel(treat_none_as_default_value = false)]
pub struct ReportRow {
    /// Import.
    pub import_id: String,
    /// Row number as a spreadsheet shows it (header = 1).
    pub row_number: i32,
    /// `imported`, `duplicate` or `rejected`.
    pub outcome: String,
    /// The row's title (as written), to recognise it.
    pub title: String,
    /// The idea made from it.
    pub idea_id: Option<String>,
    /// The earlier row it repeats.
    pub duplicate_of_row: Option<i32>,
    /// The existing idea it repeats.
    pub duplicate_of_idea: Option<String>,
    /// JSON array of `{field, code, params}`: why it was rejected.
    pub problems: String,
}

/// A person credited with imported ideas who has no account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
#[diesel(treat_none_as_default_value = false)]
pub struct Contact {
    /// UUID.
    pub id: String,
    /// Name, shown publicly as the author.
    pub name: String,
    /// Normalised email (personal data: organizers only).
    pub email: Option<String>,
    /// Normalised phone (personal data: organizers only).
    pub phone: Option<String>,
    /// Unit named in the file.
    pub unit_id: Option<String>,
    /// The organizer who imported them.
    pub created_by: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Stores a new import with its file (the text of the CSV, UTF-8 without BOM, kept until the import is done).
pub fn insert(conn: &mut DbConn, head: &ImportHead, source: &str) -> QueryResult<()> {
    diesel::insert_into(imports::table)
        .values((head, imports::source.eq(source)))
        .execute(conn)
        .map(|_| ())
}

/// An import, without its file.
pub fn head(conn: &mut DbConn, id: &str) -> QueryResult<Option<ImportHead>> {
    imports::table
        .find(id)
        .select(ImportHead::as_select())
        .first(conn)
        .optional()
}

/// The file of an import ("" once it finished).
pub fn source(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    imports::table.find(id).select(imports::source).first(conn)
}

/// A contest's latest imports, newest first.
pub fn of_contest(conn: &mut DbConn, contest_id: &str, limit: i64) -> QueryResult<Vec<ImportHead>> {
    imports::table
        .filter(imports::contest_id.eq(contest_id))
        .order((imports::created_at.desc(), imports::id.desc()))
        .limit(limit)
        .select(ImportHead::as_select())
        .load(conn)
}

/// Starts an import waiting for its mapping; false if it is no longer waiting (started twice).
pub fn start(conn: &mut DbConn, id: &str, mapping: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq("mapping")),
    )
    .set((
        imports::mapping.eq(mapping),
        imports::status.eq("running"),
        imports::heartbeat_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Takes over a running import whose worker has not been heard of since `stale_before`; false if it is alive (or
/// another instance took it first: the update is one atomic statement).
pub fn claim_stale(
    conn: &mut DbConn,
    id: &str,
    stale_before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq("running"))
            .filter(
                imports::heartbeat_at
                    .is_null()
                    .or(imports::heartbeat_at.lt(stale_before)),
            ),
    )
    .set(imports::heartbeat_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Running imports whose worker has not been heard of since `stale_before`.
pub fn stale_running(conn: &mut DbConn, stale_before: NaiveDateTime) -> QueryResult<Vec<String>> {
    imports::table
        .filter(imports::status.eq("running"))
        .filter(
            imports::heartbeat_at
                .is_null()
                .or(imports::heartbeat_at.lt(stale_before)),
        )
        .select(imports::id)
        .load(conn)
}

/// Counts of one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Imported.
    pub imported: i32,
    /// Duplicates.
    pub duplicates: i32,
    /// Rejected.
    pub rejected: i32,
}

/// Records a batch: rows `from..to` are done with these counts. Only if the import is still at `from`: false means
/// another worker recorded it first, and the caller's transaction must be rolled back (each row is done once).
pub fn advance(
    conn: &mut DbConn,
    id: &str,
    from: i32,
    to: i32,
    counts: Counts,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq("running"))
            .filter(imports::next_row.eq(from)),
    )
    .set((
        imports::next_row.eq(to),
        imports::imported.eq(imports::imported + counts.imported),
        imports::duplicates.eq(imports::duplicates + counts.duplicates),
        imports::rejected.eq(imports::rejected + counts.rejected),
        imports::heartbeat_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Marks a running import done and forgets its file (it holds personal data the ideas and contacts now keep).
pub fn finish(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq("running")),
    )
    .set((
        imports::status.eq("done"),
        imports::finished_at.eq(Some(now)),
        imports::source.eq(""),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Marks a running import failed, with why (one that finished meanwhile stays done).
pub fn fail(conn: &mut DbConn, id: &str, error: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq("running")),
    )
    .set((
        imports::status.eq("failed"),
        imports::error.eq(Some(error)),
        imports::finished_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Adds a line to the report.
pub fn insert_row(conn: &mut DbConn, row: &ReportRow) -> QueryResult<()> {
    diesel::insert_into(import_rows::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The report, in row order; with `problems_only`, only the rows that were not imported.
pub fn rows_of(conn: &mut DbConn, id: &str, problems_only: bool) -> QueryResult<Vec<ReportRow>> {
    let mut q = import_rows::table
        .filter(import_rows::import_id.eq(id))
        .into_boxed();
    if problems_only {
        q = q.filter(import_rows::outcome.ne("imported"));
    }
    q.order(import_rows::row_number.asc())
        .select(ReportRow::as_select())
        .load(conn)
}

/// The numbers of the rows an import has imported so far (to find duplicates of them when it resumes).
pub fn imported_row_numbers(conn: &mut DbConn, id: &str) -> QueryResult<Vec<i32>> {
    import_rows::table
        .filter(import_rows::import_id.eq(id))
        .filter(import_rows::outcome.eq("imported"))
        .select(import_rows::row_number)
        .load(conn)
}

/// Every idea of a contest as (id, title, summary), to find duplicates.
pub fn contest_texts(
    conn: &mut DbConn,
    contest_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    ideas::table
        .filter(ideas::contest_id.eq(contest_id))
        .select((ideas::id, ideas::title, ideas::summary))
        .load(conn)
}

/// The contact with this email, if one was imported before.
pub fn contact_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<Contact>> {
    contacts::table
        .filter(contacts::email.eq(email))
        .order(contacts::created_at.asc())
        .select(Contact::as_select())
        .first(conn)
        .optional()
}

/// Stores a contact.
pub fn insert_contact(conn: &mut DbConn, c: &Contact) -> QueryResult<()> {
    diesel::insert_into(contacts::table)
        .values(c)
        .execute(conn)
        .map(|_| ())
}
