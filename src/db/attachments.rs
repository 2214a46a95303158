//! Attachment rows: what was uploaded to which idea, and where its bytes are kept (`storage_key`, a random name under
//! the uploads folder).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{attachments, ideas};

/// One attached file.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    /// UUID.
    pub id: String,
    /// The idea it belongs to.
    pub idea_id: String,
    /// The name the uploader gave it, cleaned for display (metadata only).
    pub file_name: String,
    /// The media type recognised from its content (never the one the client declared).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where the bytes are, relative to the uploads folder (random, not derived from the file name).
    pub storage_key: String,
    /// When it was uploaded.
    pub created_at: NaiveDateTime,
}

/// Records an attachment.
pub fn insert(conn: &mut DbConn, a: &Attachment) -> QueryResult<()> {
    diesel::insert_into(attachments::table)
        .values(a)
        .execute(conn)
        .map(|_| ())
}

/// An attachment by id.
pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Attachment>> {
    attachments::table
        .find(id)
        .select(Attachment::as_select())
        .first(conn)
        .optional()
}

/// An idea's attachments, oldest first.
pub fn of_idea(conn: &mut DbConn, idea_id: &str) -> QueryResult<Vec<Attachment>> {
    attachments::table
        .filter(attachments::idea_id.eq(idea_id))
        .order((attachments::created_at.asc(), attachments::id.asc()))
        .select(Attachment::as_select())
        .load(conn)
}

/// How many attachments an idea has.
pub fn count_of_idea(conn: &mut DbConn, idea_id: &str) -> QueryResult<i64> {
    attachments::table
        .filter(attachments::idea_id.eq(idea_id))
        .count()
        .get_result(conn)
}

/// Removes an attachment's row; returns how many rows went (0 or 1).
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(attachments::table.find(id)).execute(conn)
}

/// Takes the idea's row lock for the rest of the transaction (a write that changes nothing), so two uploads to the
/// same idea at once are counted one after the other on PostgreSQL too (SQLite's `BEGIN IMMEDIATE` already
/// serialises writers). Returns 0 when the idea does not exist.
pub fn lock_idea(conn: &mut DbConn, idea_id: &str) -> QueryResult<usize> {
    diesel::update(ideas::table.find(idea_id))
        .set(ideas::version.eq(ideas::version))
        .execute(conn)
}
