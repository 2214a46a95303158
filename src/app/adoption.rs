//! Adoption tracking (DESIGN.md "Public side"): an organizer of the contest records how a selected idea is applied
//! — the responsible unit, the plan and its dates (the idea moves to "in implementation"), milestone updates with
//! photos and a progress percentage, and the end (implemented, or discontinued with a reason). Each change is one
//! transaction with its audit event and the email to the authors, so the public timeline, the audit log and the
//! authors' inboxes never disagree.

use std::fs;
use std::path::PathBuf;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::access::Principal;
use crate::app::attachments::{Staged, Uploads, place_new};
use crate::app::contests::managed;
use crate::app::lifecycle::{idea_in, move_idea, status_of};
use crate::db::adoption::{MilestoneRow, PhotoRow};
use crate::db::catalog;
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::schema::{adoptions, milestone_photos, milestones};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::adoption::{self, MilestoneInput, PlanInput};
use crate::domain::lifecycle::{self, Mover};
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::mail::{self, MailKind, Outgoing};
use crate::web::error::AppError;

/// What an update to the authors is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// The plan (unit, text or dates) was changed.
    Plan,
    /// A milestone was added.
    Milestone,
}

impl UpdateKind {
    fn code(self) -> &'static str {
        match self {
            UpdateKind::Plan => "plan",
            UpdateKind::Milestone => "milestone",
        }
    }
}

/// Today in Vietnam (milestones cannot be dated later).
pub fn today_in_vietnam() -> NaiveDate {
    now()
        .and_utc()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive()
}

fn event(idea: &Idea, who: &Principal, kind: &str, reason: Option<String>) -> Event {
    Event {
        id: new_id(),
        idea_id: Some(idea.id.clone()),
        contest_id: Some(idea.contest_id.clone()),
        actor_id: Some(who.user_id.clone()),
        kind: kind.into(),
        from_status: Some(idea.status.clone()),
        to_status: Some(idea.status.clone()),
        reason,
        created_at: now(),
    }
}

/// Records the plan of idea `idea_id` of contest `slug`. For a selected idea this adopts it (it moves to "in
/// implementation"; the authors are told by the lifecycle's email); for one already in implementation it changes
/// the plan (the authors are emailed the new plan). Every problem of the form is named; nothing is written then.
pub fn save_plan(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    idea_id: &str,
    input: &PlanInput,
) -> Result<(), AppError> {
    let contest = managed(conn, who, slug)?;
    let checked = adoption::check_plan(input);
    let unit = if input.unit.trim().is_empty() {
        None
    } else {
        catalog::unit_by_slug(conn, input.unit.trim())?
    };
    let plan = match (checked, &unit) {
        (Ok(p), Some(_)) => p,
        (checked, unit) => {
            let mut problems = checked.err().unwrap_or_default();
            if unit.is_none() && !input.unit.trim().is_empty() {
                problems.insert(0, FieldError::new("unit", "unknown_unit"));
            }
            return Err(AppError::Invalid(problems));
        }
    };
    let unit = unit.ok_or_else(|| AppError::Internal("unit checked above".into()))?;
    write_tx(conn, |conn| {
        let mut idea = idea_in(conn, &contest, idea_id)?;
        let at = now();
        match status_of(&idea)? {
            IdeaStatus::Selected => {
                move_idea(
                    conn,
                    &mut idea,
                    &contest,
                    IdeaStatus::InImplementation,
                    Mover::Organizer,
                    Some(&who.user_id),
                    None,
                )?;
                // A row left by an earlier attempt cannot exist (the idea was only selected), but the plan is the
                // one truth: replace rather than fail on the key.
                diesel::delete(adoptions::table.find(&idea.id)).execute(conn)?;
                diesel::insert_into(adoptions::table)
                    .values((
                        adoptions::idea_id.eq(&idea.id),
                        adoptions::responsible_unit_id.eq(&unit.id),
                        adoptions::plan.eq(&plan.plan),
                        adoptions::progress.eq(0),
                        adoptions::started_at.eq(at),
                        adoptions::updated_at.eq(at),
                        adoptions::planned_start.eq(Some(plan.planned_start)),
                        adoptions::planned_end.eq(Some(plan.planned_end)),
                    ))
                    .execute(conn)?;
            }
            IdeaStatus::InImplementation => {
                diesel::update(adoptions::table.find(&idea.id))
                    .set((
                        adoptions::responsible_unit_id.eq(&unit.id),
                        adoptions::plan.eq(&plan.plan),
                        adoptions::planned_start.eq(Some(plan.planned_start)),
                        adoptions::planned_end.eq(Some(plan.planned_end)),
                        adoptions::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                crate::app::ideas::insert_event(
                    conn,
                    &event(&idea, who, "adoption_plan_changed", Some(plan.plan.clone())),
                )?;
                tell_authors(conn, &idea, UpdateKind::Plan, &plan.plan, None)?;
            }
            _ => return Err(AppError::Rule("not_adoptable")),
        }
        Ok(())
    })
}

/// Adds a milestone (with up to [`adoption::MAX_PHOTOS`] staged images) to idea `idea_id`, which must be in
/// implementation: the milestone, its photos, the idea's progress and latest update, the audit event and the
/// authors' email commit together; if anything fails, the photos placed are removed again.
pub fn add_milestone(
    conn: &mut DbConn,
    uploads: &Uploads,
    who: &Principal,
    slug: &str,
    idea_id: &str,
    input: &MilestoneInput,
    photos: Vec<Staged>,
) -> Result<MilestoneRow, AppError> {
    let contest = managed(conn, who, slug)?;
    let mut problems = Vec::new();
    let checked = adoption::check_milestone(input, today_in_vietnam());
    if let Err(p) = &checked {
        problems.extend(p.iter().cloned());
    }
    if photos.len() > adoption::MAX_PHOTOS {
        problems
            .push(FieldError::new("photos", "too_many_photos").with("max", adoption::MAX_PHOTOS));
    }
    if photos.iter().any(|p| !p.is_image()) {
        problems.push(FieldError::new("photos", "photo_not_image"));
    }
    let m = match checked {
        Ok(m) if problems.is_empty() => m,
        _ => return Err(AppError::Invalid(problems)),
    };
    let mut placed: Vec<PathBuf> = Vec::new();
    let result = write_tx(conn, |conn| {
        let idea = idea_in(conn, &contest, idea_id)?;
        if status_of(&idea)? != IdeaStatus::InImplementation {
            return Err(AppError::Rule("not_in_implementation"));
        }
        let at = now();
        let row = MilestoneRow {
            id: new_id(),
            idea_id: idea.id.clone(),
            happened_on: m.happened_on,
            body: m.body.clone(),
            progress: m.progress,
            author_id: Some(who.user_id.clone()),
            created_at: at,
        };
        diesel::insert_into(milestones::table)
            .values(&row)
            .execute(conn)?;
        for staged in photos {
            let stored = place_new(uploads, staged, &mut placed)?;
            diesel::insert_into(milestone_photos::table)
                .values(&PhotoRow {
                    id: new_id(),
                    milestone_id: row.id.clone(),
                    file_name: stored.file_name,
                    content_type: stored.content_type,
                    size_bytes: stored.size_bytes,
                    storage_key: stored.storage_key,
                    created_at: at,
                })
                .execute(conn)?;
        }
        diesel::update(adoptions::table.find(&idea.id))
            .set((
                adoptions::progress.eq(m.progress),
                adoptions::latest_update.eq(Some(&m.body)),
                adoptions::updated_at.eq(at),
            ))
            .execute(conn)?;
        crate::app::ideas::insert_event(
            conn,
            &event(
                &idea,
                who,
                "milestone_added",
                Some(format!("{}% — {}", m.progress, m.body)),
            ),
        )?;
        tell_authors(
            conn,
            &idea,
            UpdateKind::Milestone,
            &m.body,
            Some(m.progress),
        )?;
        Ok(row)
    });
    if result.is_err() {
        for p in &placed {
            let _ = fs::remove_file(p);
        }
    }
    result
}

/// Ends the application of idea `idea_id`: `implemented` (progress 100) or `discontinued` (a reason required).
/// The lifecycle moves the idea, writes the event and emails the authors.
pub fn finish(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    idea_id: &str,
    outcome: &str,
    reason: &str,
) -> Result<(), AppError> {
    let contest = managed(conn, who, slug)?;
    let to = match outcome.trim() {
        "implemented" => IdeaStatus::Implemented,
        "discontinued" => IdeaStatus::Discontinued,
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "outcome",
                "unknown_outcome",
            )]));
        }
    };
    let reason = reason.trim();
    let needs_reason = to == IdeaStatus::Discontinued;
    if let Some(problem) = lifecycle::reason_problem("reason", reason, needs_reason) {
        // The reason is optional by itself; `discontinued` makes it required, which the document cannot say.
        return Err(if problem.code == "reason_required" {
            AppError::Unprocessable(vec![problem])
        } else {
            AppError::Invalid(vec![problem])
        });
    }
    write_tx(conn, |conn| {
        let mut idea = idea_in(conn, &contest, idea_id)?;
        if status_of(&idea)? != IdeaStatus::InImplementation {
            return Err(AppError::Rule("not_in_implementation"));
        }
        move_idea(
            conn,
            &mut idea,
            &contest,
            to,
            Mover::Organizer,
            Some(&who.user_id),
            (!reason.is_empty()).then_some(reason),
        )?;
        let at = now();
        if to == IdeaStatus::Implemented {
            diesel::update(adoptions::table.find(&idea.id))
                .set((
                    adoptions::progress.eq(100),
                    adoptions::ended_at.eq(Some(at)),
                    adoptions::end_reason.eq(None::<String>),
                    adoptions::updated_at.eq(at),
                ))
                .execute(conn)?;
        } else {
            diesel::update(adoptions::table.find(&idea.id))
                .set((
                    adoptions::ended_at.eq(Some(at)),
                    adoptions::end_reason.eq(Some(reason)),
                    adoptions::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Queues an adoption update for the idea's author and co-authors with an account.
fn tell_authors(
    conn: &mut DbConn,
    idea: &Idea,
    what: UpdateKind,
    text: &str,
    progress: Option<i32>,
) -> Result<(), AppError> {
    let people = crate::app::lifecycle::recipients(conn, idea)?;
    let link = mail::absolute(&format!("/ideas/{}", idea.id));
    for (email, name, lang) in people {
        mail::enqueue(
            conn,
            &Outgoing {
                to: email,
                to_name: name,
                lang,
                kind: MailKind::AdoptionUpdate {
                    title: idea.title.clone(),
                    what: what.code().into(),
                    text: text.to_string(),
                    progress: progress.map(|p| p.to_string()).unwrap_or_default(),
                    link: link.clone(),
                },
            },
        )?;
    }
    Ok(())
}
