//! The audit log of a contest, for its organizers: every event of the contest and its ideas (transitions,
//! screening, assignments, recusals, score changes, decisions), newest first, with who, when and why. Read only:
//! nothing in the portal edits or deletes an event, and the database refuses it too (triggers).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::db::DbConn;
use crate::db::catalog::Contest;
use crate::db::schema::{events, ideas, users};
use crate::web::error::AppError;

/// Events per page.
pub const PAGE: i64 = 100;

/// One line of the log.
#[derive(Debug, Clone, Queryable)]
pub struct LogRow {
    /// Event id (also the cursor of the next page).
    pub id: String,
    /// When.
    pub created_at: NaiveDateTime,
    /// What (`transition`, `created`, …).
    pub kind: String,
    /// State before, for transitions.
    pub from_status: Option<String>,
    /// State after, for transitions.
    pub to_status: Option<String>,
    /// Why (reason, rationale, details).
    pub reason: Option<String>,
    /// The idea concerned.
    pub idea_id: Option<String>,
    /// Its title.
    pub idea_title: Option<String>,
    /// Who did it (`None`: the portal itself).
    pub actor: Option<String>,
}

/// A page of the contest's log, newest first, starting after the event `before` (an id from the previous page);
/// the second value is the cursor of the next page, if there is one.
pub fn contest_log(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    before: Option<&str>,
) -> Result<(Contest, Vec<LogRow>, Option<String>), AppError> {
    let contest = managed(conn, who, slug)?;
    let mut query = events::table
        .left_join(ideas::table)
        .left_join(users::table)
        .filter(events::contest_id.eq(&contest.id))
        .into_boxed();
    if let Some(id) = before {
        let at: Option<NaiveDateTime> = events::table
            .filter(events::id.eq(id))
            .filter(events::contest_id.eq(&contest.id))
            .select(events::created_at)
            .first(conn)
            .optional()?;
        // Not an event id at all is a malformed request; an id of no event of this contest names nothing.
        let at = at.ok_or(AppError::BadParam(if uuid::Uuid::parse_str(id).is_ok() {
            crate::domain::listing::ParamError::unknown("before")
        } else {
            crate::domain::listing::ParamError::new("before", "invalid_cursor")
        }))?;
        query = query.filter(
            events::created_at
                .lt(at)
                .or(events::created_at.eq(at).and(events::id.lt(id.to_string()))),
        );
    }
    let mut rows: Vec<LogRow> = query
        .order((events::created_at.desc(), events::id.desc()))
        .limit(PAGE + 1)
        .select((
            events::id,
            events::created_at,
            events::kind,
            events::from_status,
            events::to_status,
            events::reason,
            events::idea_id,
            ideas::title.nullable(),
            users::display_name.nullable(),
        ))
        .load(conn)?;
    let next = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok((contest, rows, next))
}
