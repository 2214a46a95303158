//! Reviewing (DESIGN.md "Review"): a reviewer's dashboard, accepting or declining an assignment, the review form
//! with its drafts, submitting and later changing a review (every submitted version kept in `review_history`) until
//! the round closes, and what a review changes for its idea.
//!
//! Everything a reviewer is shown of an idea goes through `access::redaction`; this module only loads what it
//! needs ([`identities`]) and hands it over.
//!
//! [`settle`] is the one rule for where an idea stands in review: in review while reviews are pending, reviewed once
//! every live assignment has its review in and the round's number is reached, back to eligible when nobody is left
//! to review it. Everything that changes an idea's assignments or reviews calls it in the same transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Principal;
use crate::access::redaction::{self, Identity, ReviewerIdea};
use crate::app::contests::managed;
use crate::app::lifecycle::{move_idea, status_of};
use crate::app::rubric::{self, CriterionRow, Round};
use crate::db::attachments::Attachment;
use crate::db::catalog::Contest;
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::schema::{
    assignments, attachments, contacts, contests, idea_coauthors, ideas, review_history,
    review_rounds, reviews, rubric_criteria, units, users,
};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::lifecycle::Mover;
use crate::domain::rubric::Rubric;
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// The longest comment (for the author, or for the panel).
pub const MAX_COMMENT_CHARS: usize = 5000;
/// The lowest confidence a reviewer can state.
pub const CONFIDENCE_MIN: i32 = 1;
/// The highest confidence.
pub const CONFIDENCE_MAX: i32 = 5;

/// Assignments the reviewer has been told of and still holds.
pub(crate) const HELD: [&str; 2] = ["assigned", "accepted"];

/// An assignment as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRecord {
    /// Id.
    pub id: String,
    /// Contest.
    pub contest_id: String,
    /// Review round.
    pub round: i32,
    /// The idea.
    pub idea_id: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// `proposed`, `assigned`, `accepted`, `declined`, `recused` or `removed`.
    pub status: String,
    /// Why it was declined or recused.
    pub reason: Option<String>,
    /// When the review is due.
    pub due_at: Option<NaiveDateTime>,
}

/// A review as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviews)]
#[diesel(treat_none_as_default_value = false)]
pub struct Review {
    /// Id.
    pub id: String,
    /// Its assignment.
    pub assignment_id: String,
    /// Contest.
    pub contest_id: String,
    /// Round.
    pub round: i32,
    /// The idea.
    pub idea_id: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// `draft` or `submitted`.
    pub status: String,
    /// Scores by criterion id, as JSON.
    pub scores: String,
    /// The weighted score (1–10), once submitted.
    pub weighted_score: Option<f64>,
    /// Confidence, 1–5.
    pub confidence: Option<i32>,
    /// Comment the author will see.
    pub comment_author: String,
    /// Comment only the panel sees.
    pub comment_panel: String,
    /// Raised by every save.
    pub version: i32,
    /// First saved.
    pub created_at: NaiveDateTime,
    /// Last saved.
    pub updated_at: NaiveDateTime,
    /// First submitted.
    pub submitted_at: Option<NaiveDateTime>,
}

impl Review {
    /// The scores by criterion id (a damaged value reads as none).
    pub fn score_map(&self) -> BTreeMap<String, i32> {
        serde_json::from_str(&self.scores).unwrap_or_default()
    }

    /// Whether it has been submitted.
    pub fn is_submitted(&self) -> bool {
        self.status == "submitted"
    }
}

/// What a reviewer sends: scores by criterion id, a confidence, the two comments; `submit` to hand it in (a draft
/// otherwise); `version`, when given, must be the version the reviewer last saw (a change made meanwhile in another
/// tab is not overwritten).
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    /// Scores by criterion id.
    pub scores: BTreeMap<String, i32>,
    /// Confidence, 1–5.
    pub confidence: Option<i32>,
    /// For the author.
    pub comment_author: String,
    /// For the panel only.
    pub comment_panel: String,
    /// Hand it in.
    pub submit: bool,
    /// The version the reviewer edited.
    pub version: Option<i32>,
}

/// Everything the review form shows.
#[derive(Debug, Clone)]
pub struct ReviewForm {
    /// The assignment.
    pub assignment: AssignmentRecord,
    /// Its contest.
    pub contest: Contest,
    /// The idea, through the redaction.
    pub idea: ReviewerIdea,
    /// The round.
    pub round: Round,
    /// Its criteria, in order.
    pub criteria: Vec<CriterionRow>,
    /// The review so far.
    pub review: Option<Review>,
    /// Whether it can still be saved.
    pub editable: bool,
}

/// One assignment on the reviewer's dashboard.
#[derive(Debug, Clone)]
pub struct Task {
    /// Assignment id.
    pub assignment_id: String,
    /// Contest slug.
    pub contest_slug: String,
    /// The idea's title, through the redaction.
    pub idea_title: String,
    /// `assigned` (not yet accepted) or `accepted`.
    pub status: String,
    /// `draft`, `submitted`, or `None` before the first save.
    pub review_status: Option<String>,
    /// When it is due.
    pub due_at: Option<NaiveDateTime>,
    /// The weighted score given, once submitted.
    pub weighted_score: Option<f64>,
}

/// A contest's line on the dashboard: how far the reviewer is.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Assignments held.
    pub total: usize,
    /// Reviews submitted.
    pub done: usize,
    /// Drafts saved.
    pub in_progress: usize,
    /// Not yet opened.
    pub not_started: usize,
    /// The earliest due date among those not done.
    pub next_due: Option<NaiveDateTime>,
}

/// The people behind each of `ideas`, by idea id, for the redaction: author, co-authors, the named contact of an
/// imported idea, and the unit's name.
pub fn identities(
    conn: &mut DbConn,
    list: &[&Idea],
) -> Result<HashMap<String, Identity>, AppError> {
    let ids: Vec<&String> = list.iter().map(|i| &i.id).collect();
    let mut user_ids: Vec<&String> = list.iter().map(|i| &i.author_id).collect();
    let coauthors: Vec<(String, String)> = idea_coauthors::table
        .filter(idea_coauthors::idea_id.eq_any(&ids))
        .select((idea_coauthors::idea_id, idea_coauthors::user_id))
        .load(conn)?;
    user_ids.extend(coauthors.iter().map(|(_, u)| u));
    type Person = (String, String, String, Option<String>);
    let people: HashMap<String, Person> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::display_name, users::email, users::phone))
        .load::<Person>(conn)?
        .into_iter()
        .map(|p| (p.0.clone(), p))
        .collect();
    let contact_ids: Vec<&String> = list.iter().filter_map(|i| i.contact_id.as_ref()).collect();
    type Contact = (String, String, Option<String>, Option<String>);
    let contact_rows: HashMap<String, Contact> = contacts::table
        .filter(contacts::id.eq_any(&contact_ids))
        .select((
            contacts::id,
            contacts::name,
            contacts::email,
            contacts::phone,
        ))
        .load::<Contact>(conn)?
        .into_iter()
        .map(|c| (c.0.clone(), c))
        .collect();
    let unit_ids: Vec<&String> = list.iter().map(|i| &i.unit_id).collect();
    let unit_names: HashMap<String, String> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::name))
        .load(conn)?
        .into_iter()
        .collect();
    let mut out = HashMap::new();
    for idea in list {
        let mut who = Identity {
            unit: unit_names.get(&idea.unit_id).cloned().unwrap_or_default(),
            ..Identity::default()
        };
        let mut add = |name: &str, email: Option<&str>, phone: Option<&str>| {
            who.names.push(name.to_string());
            who.emails.extend(email.map(str::to_string));
            who.phones.extend(phone.map(str::to_string));
        };
        if let Some((_, name, email, phone)) =
            idea.contact_id.as_ref().and_then(|c| contact_rows.get(c))
        {
            add(name, email.as_deref(), phone.as_deref());
        }
        let team = std::iter::once(&idea.author_id).chain(
            coauthors
                .iter()
                .filter(|(i, _)| *i == idea.id)
                .map(|(_, u)| u),
        );
        for user in team {
            if let Some((_, name, email, phone)) = people.get(user) {
                add(name, Some(email), phone.as_deref());
            }
        }
        out.insert(idea.id.clone(), who);
    }
    Ok(out)
}

/// An idea and its attachments as the public gets them while its contest hides the authors
/// (`access::public_author_names_visible` false): through `access::redaction::hide_in_public`, since reviewers are
/// the public too. With the names visible nothing changes.
pub fn for_public(
    conn: &mut DbConn,
    idea: &mut Idea,
    files: &mut [Attachment],
    names_visible: bool,
) -> Result<(), AppError> {
    if !names_visible {
        let who = identities(conn, &[&*idea])?
            .remove(&idea.id)
            .unwrap_or_default();
        redaction::hide_in_public(idea, &who, files);
    }
    Ok(())
}

/// The reviewer's own assignment `id`, one they have been told of and still hold; anything else is "not found"
/// (never "forbidden", which would confirm that it exists).
fn held(conn: &mut DbConn, who: &Principal, id: &str) -> Result<AssignmentRecord, AppError> {
    assignments::table
        .find(id.trim())
        .filter(assignments::reviewer_id.eq(&who.user_id))
        .filter(assignments::status.eq_any(HELD))
        .select(AssignmentRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("assignment"))
}

fn round_of(conn: &mut DbConn, contest_id: &str, round: i32) -> Result<Round, AppError> {
    Ok(review_rounds::table
        .filter(review_rounds::contest_id.eq(contest_id))
        .filter(review_rounds::round.eq(round))
        .select(Round::as_select())
        .first(conn)?)
}

fn criteria_of(
    conn: &mut DbConn,
    contest_id: &str,
    round: i32,
) -> Result<Vec<CriterionRow>, AppError> {
    Ok(rubric_criteria::table
        .filter(rubric_criteria::contest_id.eq(contest_id))
        .filter(rubric_criteria::round.eq(round))
        .order(rubric_criteria::position.asc())
        .select(CriterionRow::as_select())
        .load(conn)?)
}

fn review_of(conn: &mut DbConn, assignment_id: &str) -> Result<Option<Review>, AppError> {
    Ok(reviews::table
        .filter(reviews::assignment_id.eq(assignment_id))
        .select(Review::as_select())
        .first(conn)
        .optional()?)
}

fn idea_of(conn: &mut DbConn, id: &str) -> Result<Idea, AppError> {
    Ok(ideas::table
        .find(id)
        .select(Idea::as_select())
        .first(conn)?)
}

fn contest_of(conn: &mut DbConn, id: &str) -> Result<Contest, AppError> {
    Ok(contests::table
        .find(id)
        .select(Contest::as_select())
        .first(conn)?)
}

/// Whether reviews of `idea` in `round` can still be saved: the round is open and no decision has been taken on
/// the idea yet.
fn can_edit(round: &Round, idea: &Idea) -> bool {
    round.closed_at.is_none()
        && (idea.status == IdeaStatus::InReview.code()
            || idea.status == IdeaStatus::Reviewed.code())
}

/// The review form of the reviewer's assignment `id`.
pub fn form(conn: &mut DbConn, who: &Principal, id: &str) -> Result<ReviewForm, AppError> {
    let assignment = held(conn, who, id)?;
    let contest = contest_of(conn, &assignment.contest_id)?;
    let idea = idea_of(conn, &assignment.idea_id)?;
    let round = round_of(conn, &contest.id, assignment.round)?;
    let criteria = criteria_of(conn, &contest.id, assignment.round)?;
    let review = review_of(conn, &assignment.id)?;
    let identity = identities(conn, &[&idea])?
        .remove(&idea.id)
        .unwrap_or_default();
    let files = crate::app::attachments::of_idea(conn, &idea.id)?;
    let editable = can_edit(&round, &idea);
    Ok(ReviewForm {
        idea: redaction::for_reviewer(&idea, contest.blind_review, &identity, &files),
        assignment,
        contest,
        round,
        criteria,
        review,
        editable,
    })
}

/// An attachment of the idea of the reviewer's assignment `id`, with the name the reviewer is given for it.
pub fn attachment(
    conn: &mut DbConn,
    who: &Principal,
    id: &str,
    attachment_id: &str,
) -> Result<(Attachment, String), AppError> {
    let assignment = held(conn, who, id)?;
    let contest = contest_of(conn, &assignment.contest_id)?;
    let files: Vec<Attachment> = attachments::table
        .filter(attachments::idea_id.eq(&assignment.idea_id))
        .order((attachments::created_at.asc(), attachments::id.asc()))
        .select(Attachment::as_select())
        .load(conn)?;
    let (index, att) = files
        .into_iter()
        .enumerate()
        .find(|(_, a)| a.id == attachment_id)
        .ok_or(AppError::NotFound("attachment"))?;
    let name = redaction::attachment_name(contest.blind_review, index, &att.file_name);
    Ok((att, name))
}

/// The reviewer's dashboard: per contest how far they are, and every assignment they hold (not yet done first,
/// earliest due first).
pub fn dashboard(
    conn: &mut DbConn,
    who: &Principal,
) -> Result<(Vec<Progress>, Vec<Task>), AppError> {
    let rows: Vec<(AssignmentRecord, Option<Review>)> = assignments::table
        .left_join(reviews::table)
        .filter(assignments::reviewer_id.eq(&who.user_id))
        .filter(assignments::status.eq_any(HELD))
        .select((AssignmentRecord::as_select(), Option::<Review>::as_select()))
        .load(conn)?;
    let idea_ids: Vec<&String> = rows.iter().map(|(a, _)| &a.idea_id).collect();
    let idea_list: Vec<Idea> = ideas::table
        .filter(ideas::id.eq_any(&idea_ids))
        .select(Idea::as_select())
        .load(conn)?;
    let who_wrote = identities(conn, &idea_list.iter().collect::<Vec<_>>())?;
    let by_id: HashMap<&str, &Idea> = idea_list.iter().map(|i| (i.id.as_str(), i)).collect();
    let contest_ids: Vec<&String> = rows.iter().map(|(a, _)| &a.contest_id).collect();
    let contest_list: HashMap<String, Contest> = contests::table
        .filter(contests::id.eq_any(&contest_ids))
        .select(Contest::as_select())
        .load(conn)?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let mut tasks = Vec::new();
    let mut progress: BTreeMap<String, Progress> = BTreeMap::new();
    for (a, review) in rows {
        let (Some(idea), Some(contest)) = (
            by_id.get(a.idea_id.as_str()),
            contest_list.get(&a.contest_id),
        ) else {
            continue;
        };
        let identity = who_wrote.get(&idea.id).cloned().unwrap_or_default();
        let p = progress
            .entry(contest.id.clone())
            .or_insert_with(|| Progress {
                slug: contest.slug.clone(),
                title: contest.title.clone(),
                total: 0,
                done: 0,
                in_progress: 0,
                not_started: 0,
                next_due: None,
            });
        p.total += 1;
        let done = review.as_ref().is_some_and(Review::is_submitted);
        match &review {
            Some(r) if r.is_submitted() => p.done += 1,
            Some(_) => p.in_progress += 1,
            None => p.not_started += 1,
        }
        if !done {
            p.next_due = match (p.next_due, a.due_at) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
        }
        tasks.push(Task {
            assignment_id: a.id,
            contest_slug: contest.slug.clone(),
            idea_title: redaction::title_for_reviewer(&idea.title, contest.blind_review, &identity),
            status: a.status,
            review_status: review.as_ref().map(|r| r.status.clone()),
            due_at: a.due_at,
            weighted_score: review.and_then(|r| r.weighted_score),
        });
    }
    tasks.sort_by(|x, y| {
        let done = |t: &Task| t.review_status.as_deref() == Some("submitted");
        (done(x), x.due_at.is_none(), x.due_at, &x.idea_title).cmp(&(
            done(y),
            y.due_at.is_none(),
            y.due_at,
            &y.idea_title,
        ))
    });
    // Keyed by contest (two contests may share a title), listed by title.
    let mut contests_done: Vec<Progress> = progress.into_values().collect();
    contests_done.sort_by(|x, y| x.title.cmp(&y.title));
    Ok((contests_done, tasks))
}

fn event(
    conn: &mut DbConn,
    a: &AssignmentRecord,
    actor: &str,
    kind: &str,
    reason: Option<String>,
) -> Result<(), AppError> {
    crate::app::ideas::insert_event(
        conn,
        &Event {
            id: new_id(),
            idea_id: Some(a.idea_id.clone()),
            contest_id: Some(a.contest_id.clone()),
            actor_id: Some(actor.to_string()),
            kind: kind.into(),
            from_status: None,
            to_status: None,
            reason,
            created_at: now(),
        },
    )
}

/// The reviewer accepts their assignment `id` (again: nothing changes).
pub fn accept(conn: &mut DbConn, who: &Principal, id: &str) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let a = held(conn, who, id)?;
        if a.status == "assigned" {
            mark_accepted(conn, &a, who)?;
        }
        Ok(())
    })
}

fn mark_accepted(conn: &mut DbConn, a: &AssignmentRecord, who: &Principal) -> Result<(), AppError> {
    diesel::update(assignments::table.find(&a.id))
        .set((
            assignments::status.eq("accepted"),
            assignments::updated_at.eq(now()),
        ))
        .execute(conn)?;
    event(conn, a, &who.user_id, "assignment_accepted", None)
}

/// The reviewer declines their assignment `id`, which they have not accepted yet, optionally saying why. It frees
/// the slot for the organizer to give to someone else (`409 already_accepted` once accepted: recusal is the way
/// out then, since it also records the conflict).
pub fn decline(conn: &mut DbConn, who: &Principal, id: &str, reason: &str) -> Result<(), AppError> {
    let reason = reason.trim();
    if let Some(problem) = crate::domain::lifecycle::reason_problem("reason", reason, false) {
        return Err(AppError::Invalid(vec![problem]));
    }
    write_tx(conn, |conn| {
        let a = held(conn, who, id)?;
        if a.status != "assigned" {
            return Err(AppError::Rule("already_accepted"));
        }
        diesel::update(assignments::table.find(&a.id))
            .set((
                assignments::status.eq("declined"),
                assignments::reason.eq((!reason.is_empty()).then_some(reason)),
                assignments::updated_at.eq(now()),
            ))
            .execute(conn)?;
        event(
            conn,
            &a,
            &who.user_id,
            "assignment_declined",
            (!reason.is_empty()).then(|| reason.to_string()),
        )?;
        settle(conn, &a.contest_id, &a.idea_id)
    })
}

/// Checks a review against its criteria; `complete` (when submitting) also requires every score and the
/// confidence. Problems are named `scores.<criterion id>`, `confidence`, `comment_author`, `comment_panel`.
pub fn check(input: &ReviewInput, criteria: &[CriterionRow], complete: bool) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for id in input.scores.keys() {
        if !criteria.iter().any(|c| &c.id == id) {
            problems.push(FieldError::new(
                &format!("scores.{id}"),
                "unknown_criterion",
            ));
        }
    }
    for c in criteria {
        let field = format!("scores.{}", c.id);
        match input.scores.get(&c.id) {
            Some(s) if *s < c.min_score || *s > c.max_score => problems.push(
                FieldError::new(&field, "range")
                    .with("min", c.min_score)
                    .with("max", c.max_score),
            ),
            None if complete => problems.push(FieldError::new(&field, "required")),
            _ => {}
        }
    }
    match input.confidence {
        Some(c) if !(CONFIDENCE_MIN..=CONFIDENCE_MAX).contains(&c) => problems.push(
            FieldError::new("confidence", "range")
                .with("min", CONFIDENCE_MIN)
                .with("max", CONFIDENCE_MAX),
        ),
        None if complete => problems.push(FieldError::new("confidence", "required")),
        _ => {}
    }
    for (field, text) in [
        ("comment_author", &input.comment_author),
        ("comment_panel", &input.comment_panel),
    ] {
        if text.chars().count() > MAX_COMMENT_CHARS {
            problems.push(FieldError::new(field, "too_long").with("max", MAX_COMMENT_CHARS));
        }
    }
    problems
}

/// Saves the review of the reviewer's assignment `id`: a draft, or (with `submit`, and always once submitted) the
/// handed-in review with its weighted score. Saving accepts an assignment not yet accepted. The first submitted
/// review of a round locks its rubric; every submitted version is appended to the history and the audit log; then
/// the idea's place in review is settled. Refused: a closed round or a decided idea (`409 review_closed`), a stale
/// version (`409 review_changed`), and every problem of the review by field.
pub fn save(
    conn: &mut DbConn,
    who: &Principal,
    id: &str,
    input: &ReviewInput,
) -> Result<Review, AppError> {
    write_tx(conn, |conn| {
        let a = held(conn, who, id)?;
        let contest = contest_of(conn, &a.contest_id)?;
        let idea = idea_of(conn, &a.idea_id)?;
        let round = round_of(conn, &contest.id, a.round)?;
        if !can_edit(&round, &idea) {
            return Err(AppError::Rule("review_closed"));
        }
        let existing = review_of(conn, &a.id)?;
        if let (Some(v), Some(r)) = (input.version, &existing)
            && v != r.version
        {
            return Err(AppError::Rule("review_changed"));
        }
        let was_submitted = existing.as_ref().is_some_and(Review::is_submitted);
        let submit = input.submit || was_submitted;
        let criteria = criteria_of(conn, &contest.id, a.round)?;
        let problems = check(input, &criteria, submit);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let weighted = if submit {
            let rubric = Rubric::new(criteria.iter().map(CriterionRow::criterion).collect())
                .map_err(|_| AppError::Rule("no_rubric"))?;
            let ordered: Vec<i32> = criteria.iter().map(|c| input.scores[&c.id]).collect();
            Some(
                rubric
                    .weighted_score(&ordered)
                    .map_err(|_| AppError::Internal("checked scores refused".into()))?,
            )
        } else {
            None
        };
        if a.status == "assigned" {
            mark_accepted(conn, &a, who)?;
        }
        let at = now();
        let scores = serde_json::to_string(&input.scores)
            .map_err(|e| AppError::Internal(format!("scores: {e}")))?;
        let review = Review {
            id: existing.as_ref().map_or_else(new_id, |r| r.id.clone()),
            assignment_id: a.id.clone(),
            contest_id: contest.id.clone(),
            round: a.round,
            idea_id: a.idea_id.clone(),
            reviewer_id: who.user_id.clone(),
            status: if submit { "submitted" } else { "draft" }.into(),
            scores,
            weighted_score: weighted,
            confidence: input.confidence,
            comment_author: input.comment_author.trim().to_string(),
            comment_panel: input.comment_panel.trim().to_string(),
            version: existing.as_ref().map_or(1, |r| r.version + 1),
            created_at: existing.as_ref().map_or(at, |r| r.created_at),
            updated_at: at,
            submitted_at: existing
                .as_ref()
                .and_then(|r| r.submitted_at)
                .or(submit.then_some(at)),
        };
        if existing.is_some() {
            diesel::update(reviews::table.find(&review.id))
                .set((
                    reviews::status.eq(&review.status),
                    reviews::scores.eq(&review.scores),
                    reviews::weighted_score.eq(review.weighted_score),
                    reviews::confidence.eq(review.confidence),
                    reviews::comment_author.eq(&review.comment_author),
                    reviews::comment_panel.eq(&review.comment_panel),
                    reviews::version.eq(review.version),
                    reviews::updated_at.eq(at),
                    reviews::submitted_at.eq(review.submitted_at),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(reviews::table)
                .values(&review)
                .execute(conn)?;
        }
        if submit {
            rubric::lock(conn, &contest.id, a.round)?;
            diesel::insert_into(review_history::table)
                .values((
                    review_history::review_id.eq(&review.id),
                    review_history::version.eq(review.version),
                    review_history::scores.eq(&review.scores),
                    review_history::weighted_score.eq(review.weighted_score),
                    review_history::confidence.eq(review.confidence),
                    review_history::comment_author.eq(&review.comment_author),
                    review_history::comment_panel.eq(&review.comment_panel),
                    review_history::changed_by.eq(&who.user_id),
                    review_history::changed_at.eq(at),
                ))
                .execute(conn)?;
            let score = format!("{:.2}", weighted.unwrap_or_default());
            let (kind, reason) = match existing.as_ref().and_then(|r| r.weighted_score) {
                Some(before) if was_submitted => {
                    ("review_changed", format!("{before:.2} → {score}"))
                }
                _ => ("review_submitted", score),
            };
            event(conn, &a, &who.user_id, kind, Some(reason))?;
            settle(conn, &contest.id, &a.idea_id)?;
        }
        Ok(review)
    })
}

/// Where an idea stands in review, decided again after its assignments or reviews changed (the one place for this
/// rule): in review with every live assignment's review in and at least the round's number of reviews, it is
/// reviewed; in review with nobody left to review it and no review in, it goes back to eligible.
pub fn settle(conn: &mut DbConn, contest_id: &str, idea_id: &str) -> Result<(), AppError> {
    let mut idea = idea_of(conn, idea_id)?;
    if status_of(&idea)? != IdeaStatus::InReview {
        return Ok(());
    }
    let contest = &contest_of(conn, contest_id)?;
    let Some((round, _)) = rubric::current(conn, &contest.id)? else {
        return Ok(());
    };
    // Only this round's assignments: those of an earlier round are done with, whatever their state.
    let live: Vec<String> = assignments::table
        .filter(assignments::idea_id.eq(idea_id))
        .filter(assignments::round.eq(round.round))
        .filter(assignments::status.eq_any(HELD))
        .select(assignments::id)
        .load(conn)?;
    let submitted: Vec<String> = reviews::table
        .filter(reviews::idea_id.eq(idea_id))
        .filter(reviews::round.eq(round.round))
        .filter(reviews::status.eq("submitted"))
        .select(reviews::assignment_id)
        .load(conn)?;
    let pending = live.iter().filter(|a| !submitted.contains(a)).count();
    let to = if live.is_empty() && submitted.is_empty() {
        IdeaStatus::Eligible
    } else if pending == 0 && submitted.len() >= round.reviews_per_idea.max(1) as usize {
        IdeaStatus::Reviewed
    } else {
        return Ok(());
    };
    move_idea(conn, &mut idea, contest, to, Mover::System, None, None)?;
    Ok(())
}

/// Closes the contest's current round: its reviews can no longer be saved, drafts included. `409 no_rubric`
/// before the first round, `409 round_closed` if it is closed already.
pub fn close_round(conn: &mut DbConn, who: &Principal, slug: &str) -> Result<Round, AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let (mut round, _) =
            rubric::current(conn, &contest.id)?.ok_or(AppError::Rule("no_rubric"))?;
        if round.closed_at.is_some() {
            return Err(AppError::Rule("round_closed"));
        }
        let at = now();
        diesel::update(
            review_rounds::table
                .filter(review_rounds::contest_id.eq(&contest.id))
                .filter(review_rounds::round.eq(round.round)),
        )
        .set(review_rounds::closed_at.eq(Some(at)))
        .execute(conn)?;
        crate::app::ideas::insert_event(
            conn,
            &Event {
                id: new_id(),
                idea_id: None,
                contest_id: Some(contest.id.clone()),
                actor_id: Some(who.user_id.clone()),
                kind: "round_closed".into(),
                from_status: None,
                to_status: None,
                reason: Some(round.round.to_string()),
                created_at: at,
            },
        )?;
        round.closed_at = Some(at);
        Ok(round)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(id: &str, min: i32, max: i32) -> CriterionRow {
        CriterionRow {
            id: id.into(),
            contest_id: "c".into(),
            round: 1,
            position: 0,
            name: id.into(),
            description: String::new(),
            weight: 1.0,
            min_score: min,
            max_score: max,
            levels: "[]".into(),
        }
    }

    #[test]
    fn drafts_may_be_partial_submissions_may_not() {
        let criteria = [criterion("a", 1, 5), criterion("b", 0, 10)];
        let mut input = ReviewInput {
            scores: BTreeMap::from([("a".to_string(), 4)]),
            ..ReviewInput::default()
        };
        assert!(check(&input, &criteria, false).is_empty());
        let fields: Vec<String> = check(&input, &criteria, true)
            .into_iter()
            .map(|p| format!("{}:{}", p.field, p.code))
            .collect();
        assert_eq!(fields, ["scores.b:required", "confidence:required"]);
        input.scores.insert("b".into(), 11);
        input.scores.insert("zz".into(), 3);
        input.confidence = Some(6);
        input.comment_panel = "x".repeat(MAX_COMMENT_CHARS + 1);
        let fields: Vec<String> = check(&input, &criteria, false)
            .into_iter()
            .map(|p| format!("{}:{}", p.field, p.code))
            .collect();
        assert_eq!(
            fields,
            [
                "scores.zz:unknown_criterion",
                "scores.b:range",
                "confidence:range",
                "comment_panel:too_long"
            ]
        );
    }
}
