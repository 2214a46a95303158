//! What the portal publishes beyond its pages — share cards, the feed of adopted ideas, the open-data files — read
//! with the same blind-review rule as the idea pages: while a blind contest hides an idea's authors
//! (`access::public_author_names_visible`), its text goes out scrubbed by `access::redaction`, exactly as its public
//! page shows it, and its unit is left out. Nothing here ever reads an email, a phone, an author's name, a
//! reviewer or a score into what it returns.

use std::collections::HashMap;

use crate::access::{self, redaction};
use crate::db::DbConn;
use crate::db::ideas::Idea;
use crate::db::public_data::{self, FeedRow, MilestoneRow, OpenAdoptedRow, OpenIdeaRow};
use crate::domain::listing::Cursor;
use crate::domain::status::IdeaStatus;
use crate::web::error::AppError;

use super::reviews::identities;

/// Whether the public may see who wrote `idea`, in a contest that is `blind` or not.
pub fn names_visible(idea: &Idea, blind: bool) -> bool {
    IdeaStatus::parse(&idea.status).is_some_and(|s| access::public_author_names_visible(blind, s))
}

/// Scrubs, in one batch, the ideas whose authors the public may not see yet (`(idea, contest is blind)`); returns
/// for each whether its authors are visible.
fn redact<'a>(
    conn: &mut DbConn,
    items: impl IntoIterator<Item = (&'a mut Idea, bool)>,
) -> Result<Vec<bool>, AppError> {
    let mut items: Vec<(&mut Idea, bool)> = items.into_iter().collect();
    let visible: Vec<bool> = items
        .iter()
        .map(|(idea, blind)| names_visible(idea, *blind))
        .collect();
    if visible.iter().all(|v| *v) {
        return Ok(visible);
    }
    let hidden: Vec<&Idea> = items
        .iter()
        .zip(&visible)
        .filter(|(_, v)| !**v)
        .map(|((idea, _), _)| &**idea)
        .collect();
    let mut who = identities(conn, &hidden)?;
    for ((idea, _), v) in items.iter_mut().zip(&visible) {
        if !*v {
            let identity = who.remove(&idea.id).unwrap_or_default();
            redaction::hide_in_public(idea, &identity, &mut []);
        }
    }
    Ok(visible)
}

/// What a public idea's share card shows: its title as its page shows it, and its contest's title; `None` when the
/// idea is not public.
pub fn card_of_idea(conn: &mut DbConn, id: &str) -> Result<Option<(String, String)>, AppError> {
    let Some((mut idea, contest_title, blind)) = public_data::card_idea(conn, id)? else {
        return Ok(None);
    };
    redact(conn, [(&mut idea, blind)])?;
    Ok(Some((idea.title, contest_title)))
}

/// Scrubs a batch of open-data rows and blanks the unit of those whose authors are hidden.
fn publish_rows<'a>(
    conn: &mut DbConn,
    rows: impl Iterator<Item = &'a mut OpenIdeaRow>,
) -> Result<(), AppError> {
    let mut rows: Vec<&mut OpenIdeaRow> = rows.collect();
    let visible = redact(
        conn,
        rows.iter_mut().map(|r| {
            let blind = r.blind;
            (&mut r.idea, blind)
        }),
    )?;
    for (r, v) in rows.into_iter().zip(visible) {
        if !v {
            r.unit.clear();
        }
    }
    Ok(())
}

/// Up to `limit` public ideas after `after` (oldest first), as the open data publishes them.
pub fn open_ideas(
    conn: &mut DbConn,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<OpenIdeaRow>, AppError> {
    let mut rows = public_data::open_ideas_after(conn, after, limit)?;
    publish_rows(conn, rows.iter_mut())?;
    Ok(rows)
}

/// Milestones by idea id, each idea's in the order they happened.
pub type Milestones = HashMap<String, Vec<MilestoneRow>>;

/// Up to `limit` adopted public ideas after the idea id `after`, as the open data publishes them, with each one's
/// milestones in the order they happened.
pub fn open_adopted(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<OpenAdoptedRow>, Milestones), AppError> {
    let mut rows = public_data::open_adopted_after(conn, after, limit)?;
    publish_rows(conn, rows.iter_mut().map(|r| &mut r.idea))?;
    let ids: Vec<String> = rows.iter().map(|r| r.idea.idea.id.clone()).collect();
    let mut milestones = Milestones::new();
    for m in public_data::milestones_of(conn, &ids)? {
        milestones.entry(m.idea_id.clone()).or_default().push(m);
    }
    Ok((rows, milestones))
}

/// The `limit` most recently adopted public ideas for the feed, newest adoption first.
pub fn feed(conn: &mut DbConn, limit: i64) -> Result<Vec<FeedRow>, AppError> {
    let mut rows = public_data::recently_adopted(conn, limit)?;
    redact(
        conn,
        rows.iter_mut().map(|r| {
            let blind = r.blind;
            (&mut r.idea, blind)
        }),
    )?;
    Ok(rows)
}
