//! Screening (DESIGN.md "The life of an idea"): an organizer sees a contest's submitted ideas and marks each eligible
//! or ineligible (with a reason, which the author is told), one at a time or many at once. Every move goes through
//! `app::lifecycle`.

use diesel::prelude::*;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::app::lifecycle::move_idea;
use crate::db::catalog::Contest;
use crate::db::ideas::Idea;
use crate::db::schema::{categories, ideas, units, users};
use crate::db::{DbConn, write_tx};
use crate::domain::lifecycle::Mover;
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// The most ideas one screening request may move.
pub const MAX_BATCH: usize = 500;
/// The most ideas the queue lists at once (oldest submissions first: the order they are screened in).
pub const QUEUE_LIMIT: i64 = 500;

/// A screening outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Passes screening.
    Eligible,
    /// Does not (a reason is required).
    Ineligible,
}

impl Verdict {
    /// The verdict named `code` (`eligible` or `ineligible`).
    pub fn parse(code: &str) -> Option<Verdict> {
        match code.trim() {
            "eligible" => Some(Verdict::Eligible),
            "ineligible" => Some(Verdict::Ineligible),
            _ => None,
        }
    }

    /// The state it moves an idea to.
    pub fn status(self) -> IdeaStatus {
        match self {
            Verdict::Eligible => IdeaStatus::Eligible,
            Verdict::Ineligible => IdeaStatus::Ineligible,
        }
    }
}

/// A row of the screening queue (organizers see who wrote each idea: screening is not blind).
#[derive(Debug, Clone, Queryable)]
pub struct QueueRow {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// State code.
    pub status: String,
    /// When it was submitted.
    pub submitted_at: Option<chrono::NaiveDateTime>,
    /// Category slug.
    pub category: String,
    /// Category, Vietnamese.
    pub category_vi: String,
    /// Category, English.
    pub category_en: String,
    /// The idea's unit.
    pub unit: String,
    /// The author's name (the account's; for imported ideas, the organizer who imported them).
    pub author: String,
}

/// The contest (if `who` organizes it) and its ideas in `status` (submitted by default), oldest submission first.
pub fn queue(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    status: IdeaStatus,
) -> Result<(Contest, Vec<QueueRow>), AppError> {
    let contest = managed(conn, who, slug)?;
    let rows = ideas::table
        .inner_join(categories::table)
        .inner_join(units::table)
        .inner_join(users::table)
        .filter(ideas::contest_id.eq(&contest.id))
        .filter(ideas::status.eq(status.code()))
        .order((ideas::submitted_at.asc(), ideas::id.asc()))
        .limit(QUEUE_LIMIT)
        .select((
            ideas::id,
            ideas::title,
            ideas::summary,
            ideas::status,
            ideas::submitted_at,
            categories::slug,
            categories::name_vi,
            categories::name_en,
            units::name,
            users::display_name,
        ))
        .load(conn)?;
    Ok((contest, rows))
}

/// Marks the ideas `ids` of the contest `slug` with `verdict`, all or none: an id that is not a submitted idea of
/// this contest refuses the whole request (with the position of each such id), and so does a missing reason for
/// "ineligible". Returns how many ideas moved.
pub fn screen(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    ids: &[String],
    verdict: Option<Verdict>,
    reason: &str,
) -> Result<usize, AppError> {
    let contest = managed(conn, who, slug)?;
    let mut problems = Vec::new();
    let Some(verdict) = verdict else {
        return Err(AppError::Invalid(vec![FieldError::new(
            "decision",
            "unknown_decision",
        )]));
    };
    if ids.is_empty() {
        problems.push(FieldError::new("ids", "required"));
    } else if ids.len() > MAX_BATCH {
        problems.push(FieldError::new("ids", "too_many").with("max", MAX_BATCH));
    }
    let reason = reason.trim();
    problems.extend(crate::domain::lifecycle::reason_problem(
        "reason",
        reason,
        verdict == Verdict::Ineligible,
    ));
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let reason = Some(reason).filter(|r| !r.is_empty());
    write_tx(conn, |conn| {
        let found: Vec<Idea> = ideas::table
            .filter(ideas::id.eq_any(ids))
            .filter(ideas::contest_id.eq(&contest.id))
            .select(Idea::as_select())
            .load(conn)?;
        let mut by_id: std::collections::HashMap<String, Idea> =
            found.into_iter().map(|i| (i.id.clone(), i)).collect();
        let mut wrong = Vec::new();
        let mut todo = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            match by_id.remove(id) {
                Some(idea) if idea.status == IdeaStatus::Submitted.code() => todo.push(idea),
                // Unknown, of another contest, listed twice, or not waiting for screening.
                _ => wrong.push(n),
            }
        }
        if !wrong.is_empty() {
            return Err(AppError::Invalid(
                wrong
                    .into_iter()
                    .map(|n| FieldError::new("ids", "not_screenable").with("index", n))
                    .collect(),
            ));
        }
        for idea in todo.iter_mut() {
            move_idea(
                conn,
                idea,
                &contest,
                verdict.status(),
                Mover::Organizer,
                Some(&who.user_id),
                reason,
            )?;
        }
        Ok(todo.len())
    })
}
