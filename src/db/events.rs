//! The append-only audit log. The database refuses updates and deletions (triggers in both migrations).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::events;

/// One thing that happened, with who, when and why.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
#[diesel(treat_none_as_default_value = false)]
pub struct Event {
    /// UUID.
    pub id: String,
    /// The idea concerned, if any.
    pub idea_id: Option<String>,
    /// The contest concerned, if any.
    pub contest_id: Option<String>,
    /// Who did it; `None` for the system.
    pub actor_id: Option<String>,
    /// What happened (`transition`, `created`, …).
    pub kind: String,
    /// Status before.
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// An idea's events, oldest first.
pub fn for_idea(conn: &mut DbConn, idea_id: &str) -> QueryResult<Vec<Event>> {
    events::table
        .filter(events::idea_id.eq(idea_id))
        .order((events::created_at.asc(), events::id.asc()))
        .select(Event::as_select())
        .load(conn)
}
