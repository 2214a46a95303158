//! The email outbox: one row per email, written inside the transaction of the change that causes it, then claimed,
//! delivered and marked by the mail workers (`crate::mail`).
//!
//! A worker claims due rows by stamping them with a lease (`locked_until`, `locked_by`); only the holder of a lease
//! marks the row afterwards. On PostgreSQL the claim reads with `FOR UPDATE SKIP LOCKED`, so app instances claiming
//! at the same moment take different rows; on SQLite the claiming transaction holds the write lock
//! (`BEGIN IMMEDIATE`), which serialises claims.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::{DbConn, write_tx};

/// A new outbox row, rendered and ready to send.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutbox {
    /// The row id (UUID text).
    pub id: String,
    /// The recipient's address.
    pub recipient: String,
    /// The recipient's display name (may be empty).
    pub recipient_name: String,
    /// The language it was rendered in (`vi` or `en`).
    pub lang: String,
    /// What kind of email (`verify`, `password_reset`, …).
    pub kind: String,
    /// The rendered subject.
    pub subject: String,
    /// The rendered text part.
    pub body_text: String,
    /// The rendered HTML part.
    pub body_html: String,
    /// The `Message-ID` header, with angle brackets, stable across retries.
    pub message_id: String,
    /// When it was written.
    pub created_at: NaiveDateTime,
    /// When it may be tried (first: `created_at`).
    pub next_attempt_at: NaiveDateTime,
    /// Failed attempts so far (0).
    pub attempts: i32,
}

/// A row a worker has claimed: what it needs to build and send the message.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Claimed {
    /// The row id.
    pub id: String,
    /// The recipient's address.
    pub recipient: String,
    /// The recipient's display name (may be empty).
    pub recipient_name: String,
    /// What kind of email.
    pub kind: String,
    /// The subject.
    pub subject: String,
    /// The text part.
    pub body_text: String,
    /// The HTML part.
    pub body_html: String,
    /// The `Message-ID` header value.
    pub message_id: String,
    /// When it was written (the `Date` header).
    pub created_at: NaiveDateTime,
    /// Failed attempts before this one.
    pub attempts: i32,
}

/// One email as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    /// The row id.
    pub id: String,
    /// The recipient's address.
    pub recipient: String,
    /// What kind of email (`verify`, `password_reset`, `already_registered`, `password_changed`).
    pub kind: String,
    /// The subject.
    pub subject: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// The last delivery error, if any attempt failed.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: NaiveDateTime,
    /// When it is (or was) next due.
    pub next_attempt_at: NaiveDateTime,
    /// When the mail server (or the file transport) accepted it.
    pub sent_at: Option<NaiveDateTime>,
    /// When delivery was given up (permanent rejection or too many attempts).
    pub failed_at: Option<NaiveDateTime>,
}

/// Where an email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailStatus {
    /// Not yet sent and not given up: waiting for its first or next attempt.
    Queued,
    /// Given up.
    Failed,
    /// Accepted by the mail server (or written to a file).
    Sent,
}

/// How many emails are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailCounts {
    /// Waiting to be sent.
    pub queued: i64,
    /// Given up.
    pub failed: i64,
    /// Sent.
    pub sent: i64,
}

/// Inserts a new row (call inside the caller's transaction).
pub fn insert(conn: &mut DbConn, row: &NewOutbox) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The ids of up to `batch` rows due at `now` and not leased, oldest due first.
macro_rules! due_ids {
    ($now:expr, $batch:expr) => {
        outbox::table
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::next_attempt_at.le($now))
            .filter(
                outbox::locked_until
                    .is_null()
                    .or(outbox::locked_until.lt($now)),
            )
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .limit($batch)
            .select(outbox::id)
    };
}

/// Claims up to `batch` due rows for `worker` until `until`, in one transaction, and returns them. Rows another
/// worker is claiming at the same moment are skipped (PostgreSQL) or waited for (SQLite), never shared.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    batch: i64,
) -> QueryResult<Vec<Claimed>> {
    // A plain read first: an idle poll takes no lock (on SQLite, not the one write lock).
    let any: Vec<String> = due_ids!(now, 1).load(conn)?;
    if any.is_empty() {
        return Ok(Vec::new());
    }
    write_tx(conn, |conn| {
        let ids: Vec<String> = match conn {
            DbConn::Postgres(pg) => due_ids!(now, batch).for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(lite) => due_ids!(now, batch).load(lite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::locked_until.eq(Some(until)),
                outbox::locked_by.eq(Some(worker)),
            ))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .select(Claimed::as_select())
            .load(conn)
    })
}

/// Marks a claimed row sent and clears its lease, if `worker` still holds it; returns whether it did.
pub fn mark_sent(
    conn: &mut DbConn,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::locked_by.eq(worker))
            .filter(outbox::sent_at.is_null()),
    )
    .set((
        outbox::sent_at.eq(Some(now)),
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::locked_by.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// What to do with a row after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(NaiveDateTime),
    /// Give up now.
    GiveUp,
}

/// Records a failed attempt on a claimed row (its new attempt count, the error, and either the next attempt or
/// `failed_at`) and clears its lease, if `worker` still holds it; returns whether it did.
pub fn mark_failed_attempt(
    conn: &mut DbConn,
    id: &str,
    worker: &str,
    attempts: i32,
    error: &str,
    after: AfterFailure,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = outbox::table
        .find(id)
        .filter(outbox::locked_by.eq(worker))
        .filter(outbox::sent_at.is_null());
    let common = (
        outbox::attempts.eq(attempts),
        outbox::last_error.eq(Some(error)),
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::locked_by.eq(None::<String>),
    );
    let n = match after {
        AfterFailure::RetryAt(at) => diesel::update(row)
            .set((common, outbox::next_attempt_at.eq(at)))
            .execute(conn)?,
        AfterFailure::GiveUp => diesel::update(row)
            .set((common, outbox::failed_at.eq(Some(now))))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Gives a claimed row back untried (the worker is stopping), so another worker may take it at once.
pub fn release(conn: &mut DbConn, id: &str, worker: &str) -> QueryResult<bool> {
    diesel::update(outbox::table.find(id).filter(outbox::locked_by.eq(worker)))
        .set((
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::locked_by.eq(None::<String>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The recipients an organizer may see mail of: people whose unit lies in the scope. `None` means no restriction.
fn scoped_recipients(
    conn: &mut DbConn,
    scope: &crate::access::Scope,
) -> QueryResult<Option<Vec<String>>> {
    use super::schema::{units, users};
    use crate::access::Scope;
    match scope {
        Scope::Everything => Ok(None),
        Scope::Nothing => Ok(Some(Vec::new())),
        Scope::Subtree(unit_id) => {
            let Some(unit) = super::catalog::unit_by_id(conn, unit_id)? else {
                return Ok(Some(Vec::new()));
            };
            let prefix = format!("{}%", unit.path.replace('%', "\\%").replace('_', "\\_"));
            users::table
                .inner_join(units::table)
                .filter(units::path.like(prefix).escape('\\'))
                .select(users::email)
                .load(conn)
                .map(Some)
        }
    }
}

/// Emails in `status` (all when `None`) to recipients within `scope`, newest first, at most `limit`.
pub fn list(
    conn: &mut DbConn,
    status: Option<MailStatus>,
    scope: &crate::access::Scope,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let recipients = scoped_recipients(conn, scope)?;
    let mut query = outbox::table.select(OutboxRow::as_select()).into_boxed();
    if let Some(r) = recipients {
        query = query.filter(outbox::recipient.eq_any(r));
    }
    query = match status {
        None => query,
        Some(MailStatus::Queued) => query
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null()),
        Some(MailStatus::Failed) => query.filter(outbox::failed_at.is_not_null()),
        Some(MailStatus::Sent) => query.filter(outbox::sent_at.is_not_null()),
    };
    query
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit.max(0))
        .load(conn)
}

/// How many emails to recipients within `scope` are queued, failed and sent.
pub fn counts(conn: &mut DbConn, scope: &crate::access::Scope) -> QueryResult<MailCounts> {
    let recipients = scoped_recipients(conn, scope)?;
    let base = || {
        let q = outbox::table.into_boxed();
        match &recipients {
            Some(r) => q.filter(outbox::recipient.eq_any(r.clone())),
            None => q,
        }
    };
    let queued = base()
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .count()
        .get_result(conn)?;
    let failed = base()
        .filter(outbox::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    let sent = base()
        .filter(outbox::sent_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(MailCounts {
        queued,
        failed,
        sent,
    })
}
