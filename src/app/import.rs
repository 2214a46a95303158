//! Importing ideas collected elsewhere (a spreadsheet, an online form's export) into a contest.
//!
//! An import is a row in `imports` holding the file until it is done. It starts waiting for its column mapping (the
//! organizer's page shows what was recognised and lets them map the rest), or running at once when the mapping is
//! complete (API and command line). [`run`] then takes the rows in batches of [`BATCH_ROWS`]; each batch is one
//! write transaction that inserts the ideas (submitted, with their first version, an `imported` event and their
//! search index rows), the contacts they credit, the batch's lines of the per-row report and the import's progress.
//! The progress update only applies if the import is still where the batch began, so a batch is written once even if
//! two workers run the same import; and because everything acknowledged is in the database, a worker that dies is
//! replaced: an import whose heartbeat is older than [`STALE_AFTER_SECS`] is resumed at its next row (when its page
//! is looked at, or when a server starts).
//!
//! Authors: a row whose email belongs to an account is that account's idea. Anyone else is kept as a named contact
//! (`contacts`): the idea's `author_id` is the organizer who imported it, "entered on behalf of" the contact named by
//! `contact_id`, whose name is what the public sees (`db::ideas::public_detail`). Such ideas are not the organizer's
//! own: they are not in their "my ideas" and do not count toward their limit (`Idea::is_written_by`).
//!
//! Imports are not held to the contest's dates or per-member limit: they bring in ideas that were already collected.

use std::collections::HashSet;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::app::ideas::insert_event;
use crate::db::catalog::{self, Contest};
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::imports::{self as store, Contact, Counts, ImportHead, ReportRow};
use crate::db::submissions::{self, IdeaVersion};
use crate::db::{DbConn, Pool, new_id, now, seed, truncate_micros, write_tx};
use crate::domain::import::{
    Candidate, Choices, Decision, Dedup, Duplicate, Field, Mapping, Named, Row, Table, check_row,
    decide, duplicate_key, read_csv,
};
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// Rows written per transaction: large enough that a 26,000-row file is a few hundred commits, small enough that a
/// batch holds SQLite's write lock for well under a second.
pub const BATCH_ROWS: usize = 100;
/// A running import whose worker has written nothing for this long has lost it and may be resumed.
pub const STALE_AFTER_SECS: i64 = 60;
/// The longest file name kept for the report.
const MAX_FILE_NAME: usize = 200;
/// The longest title kept in a report line (a rejected row's title may be any length).
const MAX_REPORT_TITLE: usize = 200;
/// Returned by a batch whose rows another worker wrote first: this worker stops, nothing failed.
const TAKEN_OVER: &str = "import_taken_over";

/// The file name as the report shows it: no folders, no control characters, not too long.
fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let name: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    match name.trim() {
        "" => "import.csv".into(),
        n => n.into(),
    }
}

fn file_problem(p: crate::domain::import::FileProblem) -> AppError {
    AppError::Invalid(vec![p.to_field_error()])
}

/// Reads an uploaded file and maps its columns: recognised headers, then the person's choices (`(header, field)`).
fn prepare(bytes: &[u8], choices: &[(String, String)]) -> Result<(Table, Mapping), AppError> {
    let table = read_csv(bytes).map_err(file_problem)?;
    let mut mapping = Mapping::recognize(&table.headers);
    let problems = mapping.apply(&table.headers, choices);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok((table, mapping))
}

fn check_mapping(mapping: &Mapping) -> Result<(), AppError> {
    let problems = mapping.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

/// Stores an uploaded file for a contest the organizer manages; returns the import and the file's headers. With
/// `start`, the mapping must be complete and the import is running when this returns (call [`run`]); without it,
/// the import waits for [`set_mapping`].
pub fn create(
    conn: &mut DbConn,
    who: &Principal,
    contest_slug: &str,
    file_name: &str,
    bytes: &[u8],
    choices: &[(String, String)],
    start: bool,
) -> Result<(ImportHead, Vec<String>), AppError> {
    let contest = managed(conn, who, contest_slug)?;
    let (table, mapping) = prepare(bytes, choices)?;
    if start {
        check_mapping(&mapping)?;
    }
    let now = now();
    // `prepare` proved the bytes UTF-8; the byte-order mark is dropped so the stored text reads the same.
    let text = String::from_utf8_lossy(bytes);
    let head = ImportHead {
        id: new_id(),
        contest_id: contest.id,
        created_by: who.user_id.clone(),
        file_name: clean_file_name(file_name),
        mapping: mapping.to_json(),
        status: if start { "running" } else { "mapping" }.into(),
        total_rows: i32::try_from(table.rows.len()).unwrap_or(i32::MAX),
        next_row: 0,
        imported: 0,
        duplicates: 0,
        rejected: 0,
        error: None,
        created_at: now,
        heartbeat_at: start.then_some(now),
        finished_at: None,
    };
    let source = text.strip_prefix('\u{feff}').unwrap_or(&text);
    write_tx(conn, |conn| store::insert(conn, &head, source))?;
    Ok((head, table.headers))
}

/// An import of a contest the organizer manages ("not found" when it is another contest's).
fn managed_import(
    conn: &mut DbConn,
    who: &Principal,
    contest_slug: &str,
    import_id: &str,
) -> Result<(Contest, ImportHead), AppError> {
    let contest = managed(conn, who, contest_slug)?;
    let head = store::head(conn, import_id)?
        .filter(|h| h.contest_id == contest.id)
        .ok_or(AppError::NotFound("import"))?;
    Ok((contest, head))
}

/// The file of an import that waits for its mapping, read again.
fn stored_table(conn: &mut DbConn, import_id: &str) -> Result<Table, AppError> {
    read_csv(store::source(conn, import_id)?.as_bytes())
        .map_err(|p| AppError::Internal(format!("stored import file: {}", p.code())))
}

/// Sets the mapping of an import that waits for it (one field or none per column) and starts it; call [`run`]
/// next. Refused by rule if it already started.
pub fn set_mapping(
    conn: &mut DbConn,
    who: &Principal,
    contest_slug: &str,
    import_id: &str,
    columns: Vec<Option<Field>>,
) -> Result<ImportHead, AppError> {
    let (_, head) = managed_import(conn, who, contest_slug, import_id)?;
    if head.status != "mapping" {
        return Err(AppError::Rule("import_started"));
    }
    let width = stored_table(conn, import_id)?.headers.len();
    let mut mapping = Mapping { columns };
    mapping.columns.resize(width, None);
    check_mapping(&mapping)?;
    if !write_tx(conn, |conn| {
        store::start(conn, import_id, &mapping.to_json(), now())
    })? {
        return Err(AppError::Rule("import_started"));
    }
    store::head(conn, import_id)?.ok_or(AppError::NotFound("import"))
}

/// What an organizer's page shows of an import.
pub struct ImportView {
    /// The contest.
    pub contest: Contest,
    /// The import.
    pub head: ImportHead,
    /// While it waits for its mapping: the file, for the columns and sample values.
    pub table: Option<Table>,
    /// Lines of the report (all, or only those not imported).
    pub report: Vec<ReportRow>,
}

/// An import of a contest the organizer manages, with its report (`problems_only`: the rows not imported).
pub fn view(
    conn: &mut DbConn,
    who: &Principal,
    contest_slug: &str,
    import_id: &str,
    problems_only: bool,
) -> Result<ImportView, AppError> {
    let (contest, head) = managed_import(conn, who, contest_slug, import_id)?;
    let table = if head.status == "mapping" {
        Some(stored_table(conn, import_id)?)
    } else {
        None
    };
    let report = store::rows_of(conn, import_id, problems_only)?;
    Ok(ImportView {
        contest,
        head,
        table,
        report,
    })
}

/// A contest the organizer manages and its latest imports.
pub fn list(
    conn: &mut DbConn,
    who: &Principal,
    contest_slug: &str,
) -> Result<(Contest, Vec<ImportHead>), AppError> {
    let contest = managed(conn, who, contest_slug)?;
    let imports = store::of_contest(conn, &contest.id, 20)?;
    Ok((contest, imports))
}

/// What rows are checked against in a contest: its categories and the units of its subtree (and the others, to
/// say so when a row names one).
fn choices_for(conn: &mut DbConn, contest: &Contest) -> Result<Choices, AppError> {
    let categories = catalog::contest_categories_of(conn, &contest.id)?
        .iter()
        .map(|c| {
            Named::new(
                &c.id,
                &[c.name_vi.as_str(), c.name_en.as_str(), c.slug.as_str()],
            )
        })
        .collect();
    let root = catalog::unit_by_id(conn, &contest.unit_id)?.ok_or(AppError::NotFound("contest"))?;
    let mut choices = Choices {
        categories,
        ..Choices::default()
    };
    for u in catalog::all_units(conn)? {
        let named = Named::new(&u.id, &[u.name.as_str(), u.slug.as_str()]);
        if u.path.starts_with(&root.path) {
            choices.units.push(named);
        } else {
            choices.other_units.push(named);
        }
    }
    Ok(choices)
}

/// The contest's ideas as duplicate keys.
fn existing(conn: &mut DbConn, contest: &Contest) -> Result<Dedup, AppError> {
    Ok(Dedup::new(
        store::contest_texts(conn, &contest.id)?
            .into_iter()
            .map(|(id, title, summary)| (duplicate_key(&title, &summary), id)),
    ))
}

/// What a dry run found.
pub struct DryRun {
    /// The file.
    pub table: Table,
    /// Its columns.
    pub mapping: Mapping,
    /// What would become of each row, in order.
    pub decisions: Vec<(u32, Decision)>,
}

/// Reads, maps and checks a file against a contest without writing anything.
pub fn dry_run(
    conn: &mut DbConn,
    who: &Principal,
    contest_slug: &str,
    bytes: &[u8],
    choices: &[(String, String)],
) -> Result<DryRun, AppError> {
    let contest = managed(conn, who, contest_slug)?;
    let (table, mapping) = prepare(bytes, choices)?;
    check_mapping(&mapping)?;
    let rules = choices_for(conn, &contest)?;
    let mut dedup = existing(conn, &contest)?;
    let decisions = table
        .rows
        .iter()
        .map(|r| (r.number, decide(r, &mapping, &rules, &mut dedup)))
        .collect();
    Ok(DryRun {
        table,
        mapping,
        decisions,
    })
}

/// Whether a running import's worker has gone quiet (a cheap read, before trying [`claim_stale`]).
pub fn lost_its_worker(head: &ImportHead) -> bool {
    let stale_before = now() - chrono::Duration::seconds(STALE_AFTER_SECS);
    head.status == "running" && head.heartbeat_at.is_none_or(|t| t < stale_before)
}

/// Claims a running import whose worker went quiet; true when the caller should now [`run`] it.
pub fn claim_stale(conn: &mut DbConn, import_id: &str) -> Result<bool, AppError> {
    let now = now();
    let stale_before = now - chrono::Duration::seconds(STALE_AFTER_SECS);
    Ok(write_tx(conn, |conn| {
        store::claim_stale(conn, import_id, stale_before, now)
    })?)
}

/// Running imports whose worker went quiet (to resume when a server starts).
pub fn stale(conn: &mut DbConn) -> Result<Vec<String>, AppError> {
    let stale_before = now() - chrono::Duration::seconds(STALE_AFTER_SECS);
    Ok(store::stale_running(conn, stale_before)?)
}

/// Runs a running import to its end, batch after batch, calling `on_batch` after each with the progress; returns
/// the import as it ends. On an error the import is marked failed (rows already written stay, with their report).
pub fn run(
    pool: &Pool,
    import_id: &str,
    on_batch: &mut dyn FnMut(&ImportHead),
) -> Result<ImportHead, AppError> {
    let mut conn = pool.get()?;
    match run_on(&mut conn, import_id, on_batch) {
        Err(AppError::Rule(TAKEN_OVER)) => {
            tracing::info!(import = import_id, "another worker continues this import");
            store::head(&mut conn, import_id)?.ok_or(AppError::NotFound("import"))
        }
        Err(e) => {
            tracing::error!(import = import_id, error = %e, "import failed");
            let _ = store::fail(&mut conn, import_id, &e.to_string(), now());
            Err(e)
        }
        ok => ok,
    }
}

/// What every batch of one import shares.
struct Batch<'a> {
    import_id: &'a str,
    contest: &'a Contest,
    choices: &'a Choices,
    mapping: &'a Mapping,
    actor: &'a str,
    file_name: &'a str,
}

fn run_on(
    conn: &mut DbConn,
    import_id: &str,
    on_batch: &mut dyn FnMut(&ImportHead),
) -> Result<ImportHead, AppError> {
    let head = store::head(conn, import_id)?.ok_or(AppError::NotFound("import"))?;
    if head.status != "running" {
        return Ok(head);
    }
    let table = stored_table(conn, import_id)?;
    let mapping = Mapping::from_json(&head.mapping, table.headers.len());
    let contest =
        catalog::contests_by_id(conn, &head.contest_id)?.ok_or(AppError::NotFound("contest"))?;
    let choices = choices_for(conn, &contest)?;
    let mut dedup = existing(conn, &contest)?;
    let mut at = usize::try_from(head.next_row).unwrap_or(0);
    // Resuming: the rows this import already took count as earlier rows, so a later copy is reported as such.
    let taken: HashSet<i32> = store::imported_row_numbers(conn, import_id)?
        .into_iter()
        .collect();
    for row in table.rows.iter().take(at) {
        if taken.contains(&(row.number as i32))
            && let Ok(c) = check_row(row, &mapping, &choices)
        {
            dedup.remember(&c.key, c.row);
        }
    }
    let batch = Batch {
        import_id,
        contest: &contest,
        choices: &choices,
        mapping: &mapping,
        actor: &head.created_by,
        file_name: &head.file_name,
    };
    while at < table.rows.len() {
        let end = (at + BATCH_ROWS).min(table.rows.len());
        let rows = table.rows.get(at..end).unwrap_or_default();
        let decisions: Vec<Decision> = rows
            .iter()
            .map(|r| decide(r, &mapping, &choices, &mut dedup))
            .collect();
        write_tx(conn, |conn| {
            write_batch(conn, &batch, (at, end), rows, &decisions)
        })?;
        at = end;
        if let Some(h) = store::head(conn, import_id)? {
            on_batch(&h);
        }
    }
    write_tx(conn, |conn| store::finish(conn, import_id, now()))?;
    store::head(conn, import_id)?.ok_or(AppError::NotFound("import"))
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Problems as stored in a report line: a JSON array of `{field, code, params}`.
pub fn problems_to_json(problems: &[FieldError]) -> String {
    let list: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| {
            serde_json::json!({
                "field": p.field,
                "code": p.code,
                "params": p.params,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Reads [`problems_to_json`].
pub fn problems_from_json(text: &str) -> Vec<FieldError> {
    #[derive(serde::Deserialize)]
    struct Stored {
        field: String,
        code: String,
        #[serde(default)]
        params: Vec<(String, String)>,
    }
    serde_json::from_str::<Vec<Stored>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|s| FieldError {
            field: s.field,
            code: s.code,
            params: s.params,
        })
        .collect()
}

/// Writes one batch (call in a write transaction): progress, ideas with versions, events and index rows, contacts,
/// report lines.
fn write_batch(
    conn: &mut DbConn,
    b: &Batch<'_>,
    (from, to): (usize, usize),
    rows: &[Row],
    decisions: &[Decision],
) -> Result<(), AppError> {
    let now = now();
    let mut counts = Counts::default();
    for d in decisions {
        match d {
            Decision::Import(_) => counts.imported += 1,
            Decision::Duplicate(..) => counts.duplicates += 1,
            Decision::Reject(_) => counts.rejected += 1,
        }
    }
    // The progress first: it locks the import's row, so a second worker on the same rows waits here and then finds
    // them done (before writing anything that could collide with this batch's rows).
    let range = (
        i32::try_from(from).unwrap_or(i32::MAX),
        i32::try_from(to).unwrap_or(i32::MAX),
    );
    if !store::advance(conn, b.import_id, range.0, range.1, counts, now)? {
        return Err(AppError::Rule(TAKEN_OVER));
    }
    let mut ideas = Vec::new();
    let mut report = Vec::new();
    for (row, decision) in rows.iter().zip(decisions) {
        let mut line = ReportRow {
            import_id: b.import_id.into(),
            row_number: row.number as i32,
            outcome: String::new(),
            title: clip(b.mapping.cell(row, Field::Title), MAX_REPORT_TITLE),
            idea_id: None,
            duplicate_of_row: None,
            duplicate_of_idea: None,
            problems: "[]".into(),
        };
        match decision {
            Decision::Import(c) => {
                let idea = idea_of(conn, b, c, now)?;
                line.outcome = "imported".into();
                line.idea_id = Some(idea.id.clone());
                ideas.push(idea);
            }
            Decision::Duplicate(_, dup) => {
                line.outcome = "duplicate".into();
                match dup {
                    Duplicate::Row(n) => line.duplicate_of_row = Some(*n as i32),
                    Duplicate::Idea(id) => line.duplicate_of_idea = Some(id.clone()),
                }
            }
            Decision::Reject(problems) => {
                line.outcome = "rejected".into();
                line.problems = problems_to_json(problems);
            }
        }
        report.push(line);
    }
    // The ideas and their search index rows in one go, as seeding does; then what refers to them.
    seed::insert_ideas(conn, &ideas)?;
    for idea in &ideas {
        let at = idea.submitted_at.unwrap_or(now);
        submissions::insert_version(conn, &IdeaVersion::of(idea, b.actor, at))?;
        insert_event(
            conn,
            &Event {
                id: new_id(),
                idea_id: Some(idea.id.clone()),
                contest_id: Some(idea.contest_id.clone()),
                actor_id: Some(b.actor.into()),
                kind: "imported".into(),
                from_status: None,
                to_status: Some(IdeaStatus::Submitted.code().into()),
                reason: Some(b.file_name.into()),
                created_at: now,
            },
        )?;
    }
    for line in &report {
        store::insert_row(conn, line)?;
    }
    Ok(())
}

/// The idea a row becomes, with its author: the account with the row's email, or a contact (the one with that email
/// if imported before, else a new one) on whose behalf the organizer entered it. Its unit: the row's, else the
/// account's if it is in the contest's subtree, else the contest's.
fn idea_of(
    conn: &mut DbConn,
    b: &Batch<'_>,
    c: &Candidate,
    now: chrono::NaiveDateTime,
) -> Result<Idea, AppError> {
    let account = match &c.author.email {
        Some(email) => {
            crate::db::accounts::user_by_email(conn, email)?.filter(|u| u.disabled_at.is_none())
        }
        None => None,
    };
    let in_contest = |unit: &String| b.choices.units.iter().any(|u| u.id == *unit);
    let (author_id, contact_id, unit_id) = match account {
        Some(user) => (
            user.id,
            None,
            c.unit_id
                .clone()
                .or(user.unit_id.filter(in_contest))
                .unwrap_or_else(|| b.contest.unit_id.clone()),
        ),
        None => (
            b.actor.to_string(),
            Some(contact_for(conn, b, c, now)?),
            c.unit_id
                .clone()
                .unwrap_or_else(|| b.contest.unit_id.clone()),
        ),
    };
    let at = c.submitted_at.map(truncate_micros).unwrap_or(now);
    let f = &c.fields;
    Ok(Idea {
        id: new_id(),
        contest_id: b.contest.id.clone(),
        category_id: f.category.clone(),
        unit_id,
        author_id,
        title: f.title.clone(),
        summary: f.summary.clone(),
        situation: f.situation.clone(),
        solution: f.solution.clone(),
        impact: f.impact.clone(),
        resources: f.resources.clone(),
        applies_where: f.applies_where.clone(),
        status: IdeaStatus::Submitted.code().into(),
        is_public: IdeaStatus::Submitted.is_listed_publicly(b.contest.ideas_public),
        version: 1,
        created_at: at,
        updated_at: now.max(at),
        submitted_at: Some(at),
        listed_at: Some(at),
        contact_id,
    })
}

fn contact_for(
    conn: &mut DbConn,
    b: &Batch<'_>,
    c: &Candidate,
    now: chrono::NaiveDateTime,
) -> Result<String, AppError> {
    if let Some(email) = &c.author.email
        && let Some(existing) = store::contact_by_email(conn, email)?
    {
        return Ok(existing.id);
    }
    let contact = Contact {
        id: new_id(),
        name: c.author.name.clone(),
        email: c.author.email.clone(),
        phone: c.author.phone.clone(),
        unit_id: c.unit_id.clone(),
        created_by: b.actor.into(),
        created_at: now,
    };
    store::insert_contact(conn, &contact)?;
    Ok(contact.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            clean_file_name("C:\\Users\\lan\\y tuong.csv"),
            "y tuong.csv"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("  "), "import.csv");
        assert_eq!(clean_file_name("a\r\nb.csv"), "ab.csv");
    }

    #[test]
    fn problems_round_trip() {
        let p = vec![
            FieldError::new("email", "email").with("value", "a@"),
            FieldError::new("title", "required"),
        ];
        assert_eq!(problems_from_json(&problems_to_json(&p)), p);
        assert!(problems_from_json("garbage").is_empty());
    }
}
