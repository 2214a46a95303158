//! Applies a move of an idea from one state to another (the table is `domain::lifecycle`): the new state and its
//! public visibility, the event in the audit log with who and why, and the email to the author and co-authors
//! when the move is news to them. Everything happens in the caller's transaction, so the three commit together or
//! not at all.

use diesel::prelude::*;

use crate::db::catalog::Contest;
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::schema::{ideas, users};
use crate::db::{DbConn, new_id, now};
use crate::domain::lifecycle::{self, Mover};
use crate::domain::status::IdeaStatus;
use crate::mail::{self, MailKind, Outgoing};
use crate::web::error::AppError;

/// The state an idea is in.
pub fn status_of(idea: &Idea) -> Result<IdeaStatus, AppError> {
    IdeaStatus::parse(&idea.status)
        .ok_or_else(|| AppError::Internal(format!("unknown status {}", idea.status)))
}

/// Idea `id` of `contest`; an idea of another contest is "not found" (an organizer's rights are per contest).
pub fn idea_in(conn: &mut DbConn, contest: &Contest, id: &str) -> Result<Idea, AppError> {
    ideas::table
        .find(id)
        .filter(ideas::contest_id.eq(&contest.id))
        .select(Idea::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("idea"))
}

/// Moves `idea` (of `contest`) to `to` as `by`, with `actor` recorded as who did it (`None` for the system) and
/// `reason` kept with the event; `idea` is updated in place. Refused with the lifecycle's code (and nothing
/// written) when the move is not permitted. Call it inside a write transaction.
pub fn move_idea(
    conn: &mut DbConn,
    idea: &mut Idea,
    contest: &Contest,
    to: IdeaStatus,
    by: Mover,
    actor: Option<&str>,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let from = status_of(idea)?;
    let step = lifecycle::check(from, to, by, reason).map_err(|r| AppError::Rule(r.code()))?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let at = now();
    idea.status = to.code().into();
    idea.is_public = to.is_listed_publicly(contest.ideas_public);
    if idea.is_public && idea.listed_at.is_none() {
        idea.listed_at = Some(at);
    }
    idea.updated_at = at;
    // Only the state's columns: a concurrent edit of the text by the author is not overwritten.
    diesel::update(ideas::table.find(&idea.id))
        .set((
            ideas::status.eq(&idea.status),
            ideas::is_public.eq(idea.is_public),
            ideas::listed_at.eq(idea.listed_at),
            ideas::updated_at.eq(at),
        ))
        .execute(conn)?;
    crate::app::ideas::insert_event(
        conn,
        &Event {
            id: new_id(),
            idea_id: Some(idea.id.clone()),
            contest_id: Some(contest.id.clone()),
            actor_id: actor.map(str::to_string),
            kind: "transition".into(),
            from_status: Some(from.code().into()),
            to_status: Some(to.code().into()),
            reason: reason.map(str::to_string),
            created_at: at,
        },
    )?;
    if step.tells_author {
        tell_authors(conn, idea, to, reason.unwrap_or(""))?;
    }
    Ok(())
}

/// Who is told news of `idea`, as (email, name, language): its author (unless imported for a named contact, who has
/// no account) and its co-authors, leaving out disabled accounts.
pub fn recipients(
    conn: &mut DbConn,
    idea: &Idea,
) -> Result<Vec<(String, String, String)>, AppError> {
    let mut ids = Vec::new();
    if idea.contact_id.is_none() {
        ids.push(idea.author_id.clone());
    }
    ids.extend(
        crate::db::submissions::coauthors_of(conn, &idea.id)?
            .into_iter()
            .map(|(id, _)| id),
    );
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(&ids))
        .filter(users::disabled_at.is_null())
        .select((users::email, users::display_name, users::lang))
        .load(conn)?)
}

/// Queues the news of `idea`'s new state for its author and co-authors with an account (an idea imported for a
/// named contact has nobody to email).
fn tell_authors(
    conn: &mut DbConn,
    idea: &Idea,
    to: IdeaStatus,
    reason: &str,
) -> Result<(), AppError> {
    let people = recipients(conn, idea)?;
    if people.is_empty() {
        return Ok(());
    }
    let link = mail::absolute(&format!("/me/ideas/{}", idea.id));
    // A decision comes with what the reviewers wrote for the author, without their names.
    let comments = if lifecycle::DECISIONS.contains(&to) {
        let texts: Vec<String> = crate::db::schema::reviews::table
            .filter(crate::db::schema::reviews::idea_id.eq(&idea.id))
            .filter(crate::db::schema::reviews::status.eq("submitted"))
            .order(crate::db::schema::reviews::submitted_at.asc())
            .select(crate::db::schema::reviews::comment_author)
            .load(conn)?;
        texts
            .into_iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .map(|t| format!("— {t}"))
            .collect::<Vec<_>>()
            .join("\n\n")
    } else {
        String::new()
    };
    for (email, name, lang) in people {
        mail::enqueue(
            conn,
            &Outgoing {
                to: email,
                to_name: name,
                lang,
                kind: MailKind::IdeaStatus {
                    title: idea.title.clone(),
                    status: to.code().into(),
                    reason: reason.to_string(),
                    comments: comments.clone(),
                    link: link.clone(),
                },
            },
        )?;
    }
    Ok(())
}
