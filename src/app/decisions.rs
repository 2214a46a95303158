//! Decisions (DESIGN.md "The life of an idea"): an organizer records, for a reviewed idea, shortlisted or not
//! selected, and for a shortlisted one, selected for real-world application or not selected, each with a
//! rationale. Recorded decisions wait; publishing applies all of a contest's waiting decisions at once, in one
//! transaction: each idea moves (through `app::lifecycle`, which writes the event and emails the authors, with the
//! reviewers' comments for the author), and the decision is stamped as published.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::app::lifecycle::{idea_in, move_idea, status_of};
use crate::db::ideas::Idea;
use crate::db::schema::{decisions, ideas};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::lifecycle::{self, DECISIONS, Mover};
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// A recorded decision.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = decisions)]
#[diesel(treat_none_as_default_value = false)]
pub struct Decision {
    /// Id.
    pub id: String,
    /// The idea.
    pub idea_id: String,
    /// Its contest.
    pub contest_id: String,
    /// `shortlisted`, `selected` or `not_selected`.
    pub decision: String,
    /// Why.
    pub rationale: String,
    /// Who recorded it.
    pub decided_by: String,
    /// When.
    pub decided_at: NaiveDateTime,
    /// When it was published (`None`: waiting).
    pub published_at: Option<NaiveDateTime>,
}

/// Records (or replaces) the waiting decision for `idea_id` in the contest `slug`. Checked against the lifecycle
/// now, so a decision that could not be published is refused at once: the idea must be reviewed (for shortlisted or
/// not selected) or shortlisted (for selected or not selected), and the rationale is required.
pub fn record(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    idea_id: &str,
    decision: &str,
    rationale: &str,
) -> Result<Decision, AppError> {
    let contest = managed(conn, who, slug)?;
    let to = IdeaStatus::parse(decision.trim())
        .filter(|s| DECISIONS.contains(s))
        .ok_or_else(|| AppError::Invalid(vec![FieldError::new("decision", "unknown_decision")]))?;
    let rationale = rationale.trim();
    if let Some(problem) = lifecycle::reason_problem("rationale", rationale, true) {
        return Err(AppError::Invalid(vec![problem]));
    }
    write_tx(conn, |conn| {
        let idea = idea_in(conn, &contest, idea_id)?;
        lifecycle::check(status_of(&idea)?, to, Mover::Organizer, Some(rationale))
            .map_err(|r| AppError::Rule(r.code()))?;
        diesel::delete(
            decisions::table
                .filter(decisions::idea_id.eq(idea_id))
                .filter(decisions::published_at.is_null()),
        )
        .execute(conn)?;
        let d = Decision {
            id: new_id(),
            idea_id: idea.id.clone(),
            contest_id: contest.id.clone(),
            decision: to.code().into(),
            rationale: rationale.into(),
            decided_by: who.user_id.clone(),
            decided_at: now(),
            published_at: None,
        };
        diesel::insert_into(decisions::table)
            .values(&d)
            .execute(conn)?;
        crate::app::ideas::insert_event(
            conn,
            &crate::db::events::Event {
                id: new_id(),
                idea_id: Some(idea.id.clone()),
                contest_id: Some(contest.id.clone()),
                actor_id: Some(who.user_id.clone()),
                kind: "decision_recorded".into(),
                from_status: Some(idea.status.clone()),
                to_status: Some(to.code().into()),
                reason: Some(rationale.into()),
                created_at: d.decided_at,
            },
        )?;
        Ok(d)
    })
}

/// The contest's decisions waiting to be published, with their ideas' titles, oldest first.
pub fn waiting(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(crate::db::catalog::Contest, Vec<(Decision, String)>), AppError> {
    let contest = managed(conn, who, slug)?;
    let rows = decisions::table
        .inner_join(ideas::table)
        .filter(decisions::contest_id.eq(&contest.id))
        .filter(decisions::published_at.is_null())
        .order((decisions::decided_at.asc(), decisions::id.asc()))
        .select((Decision::as_select(), ideas::title))
        .load(conn)?;
    Ok((contest, rows))
}

/// Publishes every waiting decision of the contest, all or none: if an idea has moved since its decision was
/// recorded so that the decision no longer applies, nothing is published and the refusal names those ideas.
/// Returns how many were published.
pub fn publish(conn: &mut DbConn, who: &Principal, slug: &str) -> Result<usize, AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let pending: Vec<(Decision, Idea)> = decisions::table
            .inner_join(ideas::table)
            .filter(decisions::contest_id.eq(&contest.id))
            .filter(decisions::published_at.is_null())
            .order((decisions::decided_at.asc(), decisions::id.asc()))
            .select((Decision::as_select(), Idea::as_select()))
            .load(conn)?;
        let mut stale = Vec::new();
        for (d, idea) in &pending {
            let to = IdeaStatus::parse(&d.decision);
            let ok = match to {
                Some(to) => {
                    lifecycle::check(status_of(idea)?, to, Mover::Organizer, Some(&d.rationale))
                        .is_ok()
                }
                None => false,
            };
            if !ok {
                stale.push(FieldError::new("decisions", "decision_stale").with("idea", &idea.id));
            }
        }
        if !stale.is_empty() {
            return Err(AppError::Invalid(stale));
        }
        let at = now();
        for (d, mut idea) in pending.iter().cloned() {
            let to = IdeaStatus::parse(&d.decision)
                .ok_or_else(|| AppError::Internal(format!("unknown decision {}", d.decision)))?;
            move_idea(
                conn,
                &mut idea,
                &contest,
                to,
                Mover::Organizer,
                Some(&who.user_id),
                Some(&d.rationale),
            )?;
            diesel::update(decisions::table.find(&d.id))
                .set(decisions::published_at.eq(Some(at)))
                .execute(conn)?;
        }
        Ok(pending.len())
    })
}

/// An idea an organizer can decide on now (reviewed or shortlisted), with its waiting decision if any.
#[derive(Debug, Clone)]
pub struct Decidable {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// State code (`reviewed` or `shortlisted`).
    pub status: String,
    /// The waiting decision, if one is recorded.
    pub waiting: Option<Decision>,
}

/// The contest's reviewed and shortlisted ideas, oldest submission first, with their waiting decisions.
pub fn decidable(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(crate::db::catalog::Contest, Vec<Decidable>), AppError> {
    let contest = managed(conn, who, slug)?;
    let rows: Vec<(String, String, String)> = ideas::table
        .filter(ideas::contest_id.eq(&contest.id))
        .filter(ideas::status.eq_any([IdeaStatus::Reviewed.code(), IdeaStatus::Shortlisted.code()]))
        .order((ideas::submitted_at.asc(), ideas::id.asc()))
        .limit(crate::app::screening::QUEUE_LIMIT)
        .select((ideas::id, ideas::title, ideas::status))
        .load(conn)?;
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    let mut waiting: std::collections::HashMap<String, Decision> = decisions::table
        .filter(decisions::idea_id.eq_any(&ids))
        .filter(decisions::published_at.is_null())
        .select(Decision::as_select())
        .load(conn)?
        .into_iter()
        .map(|d| (d.idea_id.clone(), d))
        .collect();
    let list = rows
        .into_iter()
        .map(|(id, title, status)| Decidable {
            waiting: waiting.remove(&id),
            id,
            title,
            status,
        })
        .collect();
    Ok((contest, list))
}
