//! Reminders to reviewers (DESIGN.md "Review"): one email per reviewer and contest when reviews fall due within
//! [`BEFORE_HOURS`], and one when they are overdue. Only reviews still pending count (an assignment held, its review
//! not submitted), so a reviewer with nothing pending never gets one; each assignment is reminded at most once before
//! and once after its due date.
//!
//! [`sweep`] runs from the mail worker's loop (every `SANGTAO_REMINDER_SECS`). Each assignment is claimed by a
//! conditional update before it is counted, so two portal processes sweeping at once never both remind it.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{assignments, contests, reviews, users};
use crate::db::{DbConn, write_tx};
use crate::mail::{self, MailKind, Outgoing};
use crate::web::error::AppError;

/// How long before the due date the first reminder goes.
pub const BEFORE_HOURS: i64 = 48;

/// Which reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum When {
    Before,
    After,
}

/// Sends the reminders due at `now`; returns how many emails were queued.
pub fn sweep(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, AppError> {
    write_tx(conn, |conn| {
        let submitted = reviews::table
            .filter(reviews::status.eq("submitted"))
            .select(reviews::assignment_id);
        type Pending = (String, String, String, Option<NaiveDateTime>, bool, bool);
        let pending: Vec<Pending> = assignments::table
            .filter(assignments::status.eq_any(["assigned", "accepted"]))
            .filter(assignments::due_at.is_not_null())
            .filter(assignments::due_at.le(now + Duration::hours(BEFORE_HOURS)))
            .filter(
                assignments::reminded_before_at
                    .is_null()
                    .or(assignments::reminded_after_at.is_null()),
            )
            .filter(diesel::dsl::not(assignments::id.eq_any(submitted)))
            .select((
                assignments::id,
                assignments::reviewer_id,
                assignments::contest_id,
                assignments::due_at,
                assignments::reminded_before_at.is_not_null(),
                assignments::reminded_after_at.is_not_null(),
            ))
            .load(conn)?;
        // (reviewer, contest, which) → (how many, earliest due)
        let mut groups: BTreeMap<(String, String, When), (usize, NaiveDateTime)> = BTreeMap::new();
        for (id, reviewer, contest, due, before_sent, after_sent) in pending {
            let Some(due) = due else { continue };
            let when = if due <= now {
                if after_sent {
                    continue;
                }
                When::After
            } else {
                if before_sent {
                    continue;
                }
                When::Before
            };
            let column_claimed = match when {
                When::Before => diesel::update(
                    assignments::table
                        .find(&id)
                        .filter(assignments::reminded_before_at.is_null()),
                )
                .set(assignments::reminded_before_at.eq(Some(now)))
                .execute(conn)?,
                // An overdue review needs no "due soon" reminder any more either.
                When::After => diesel::update(
                    assignments::table
                        .find(&id)
                        .filter(assignments::reminded_after_at.is_null()),
                )
                .set((
                    assignments::reminded_after_at.eq(Some(now)),
                    assignments::reminded_before_at.eq(Some(now)),
                ))
                .execute(conn)?,
            };
            if column_claimed == 1 {
                let g = groups.entry((reviewer, contest, when)).or_insert((0, due));
                g.0 += 1;
                g.1 = g.1.min(due);
            }
        }
        let mut sent = 0;
        for ((reviewer, contest_id, when), (count, due)) in groups {
            let person: Option<(String, String, String)> = users::table
                .find(&reviewer)
                .filter(users::disabled_at.is_null())
                .select((users::email, users::display_name, users::lang))
                .first(conn)
                .optional()?;
            let title: Option<String> = contests::table
                .find(&contest_id)
                .select(contests::title)
                .first(conn)
                .optional()?;
            let (Some((email, name, lang)), Some(contest)) = (person, title) else {
                continue;
            };
            let due = crate::web::view::date_time(
                crate::web::i18n::Lang::from_code(&lang).unwrap_or_default(),
                due,
            );
            mail::enqueue(
                conn,
                &Outgoing {
                    to: email,
                    to_name: name,
                    lang,
                    kind: MailKind::ReviewReminder {
                        contest,
                        count: count.to_string(),
                        due,
                        overdue: when == When::After,
                        link: mail::absolute("/review"),
                    },
                },
            )?;
            sent += 1;
        }
        Ok(sent)
    })
}
