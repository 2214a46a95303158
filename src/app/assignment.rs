//! Assigning reviewers to a contest's eligible ideas (DESIGN.md "Review"): the portal proposes, the organizer looks
//! at the proposal, changes it, and confirms; only then are the ideas in review and the reviewers emailed.
//!
//! A proposal is stored as assignments in the state `proposed`, so it survives between the organizer's requests and
//! counts against caps while it is being edited. The solver is `domain::assignment` (every assignment that can be
//! made is made, never a conflict, never over a cap, the load balanced); conflicts come from `app::conflicts`.
//!
//! [`one_more`] is the one exception to "propose, then confirm": the organizer asks for one more review of an idea
//! from its results, and the same solver picks the reviewer, who is told at once.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::app::lifecycle::{idea_in, move_idea, status_of};
use crate::app::panel::LIVE;
use crate::app::rubric::Round;
use crate::db::catalog::Contest;
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::schema::{assignments, contest_reviewers, ideas, users};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::assignment::{IdeaNeed, Request, ReviewerLoad, propose as solve};
use crate::domain::lifecycle::Mover;
use crate::domain::status::IdeaStatus;
use crate::mail::{self, MailKind, Outgoing};
use crate::web::error::AppError;

/// The ideas assignment works on: eligible (none yet) and in review (some, maybe not enough).
const ASSIGNABLE: [&str; 2] = ["eligible", "in_review"];

/// A proposed or live assignment as the organizer sees it.
#[derive(Debug, Clone, Queryable)]
pub struct Row {
    /// Assignment id.
    pub id: String,
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub idea_title: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer: String,
    /// `proposed`, `assigned` or `accepted`.
    pub status: String,
}

/// An idea with fewer reviews (confirmed and proposed) than the round asks for, and why: `too_few_reviewers` or
/// `caps_exhausted` when no proposal could fill it, `open` when proposing again would.
#[derive(Debug, Clone)]
pub struct Short {
    /// The idea.
    pub idea_id: String,
    /// Reviews it still lacks.
    pub missing: u32,
    /// The reason's code.
    pub reason: &'static str,
}

/// An idea assignment works on (eligible or in review), as the organizer picks it.
#[derive(Debug, Clone, Queryable)]
pub struct Assignable {
    /// The idea.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// The state of a contest's assignment: the proposal waiting for confirmation, the live assignments, what is short.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Proposed assignments (not yet told to anyone).
    pub proposed: Vec<Row>,
    /// Confirmed assignments.
    pub live: Vec<Row>,
    /// Ideas that would still lack reviews.
    pub short: Vec<Short>,
    /// Each reviewer's load counting the proposal: (id, name, load, cap).
    pub loads: Vec<(String, String, u32, u32)>,
    /// The ideas assignment works on, by title: what `short` names, and what an assignment by hand may pick.
    pub ideas: Vec<Assignable>,
}

fn rows(conn: &mut DbConn, contest: &Contest, states: &[&str]) -> Result<Vec<Row>, AppError> {
    Ok(assignments::table
        .inner_join(ideas::table)
        .inner_join(users::table)
        .filter(assignments::contest_id.eq(&contest.id))
        .filter(assignments::status.eq_any(states))
        .order((ideas::title.asc(), users::display_name.asc()))
        .select((
            assignments::id,
            assignments::idea_id,
            ideas::title,
            assignments::reviewer_id,
            users::display_name,
            assignments::status,
        ))
        .load(conn)?)
}

/// Reviewers' names by id.
type Names = HashMap<String, String>;

/// The solver's request for the contest as it stands (proposals included), with the reviewers' names.
fn request(
    conn: &mut DbConn,
    contest: &Contest,
    target: u32,
) -> Result<(Request<String, String>, Names), AppError> {
    let ideas_now: Vec<String> = ideas::table
        .filter(ideas::contest_id.eq(&contest.id))
        .filter(ideas::status.eq_any(ASSIGNABLE))
        .select(ideas::id)
        .load(conn)?;
    let live: Vec<(String, String)> = assignments::table
        .filter(assignments::contest_id.eq(&contest.id))
        .filter(assignments::status.eq_any(LIVE))
        .select((assignments::idea_id, assignments::reviewer_id))
        .load(conn)?;
    let mut on_idea: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut load: HashMap<String, u32> = HashMap::new();
    for (idea, reviewer) in &live {
        on_idea
            .entry(idea.clone())
            .or_default()
            .push(reviewer.clone());
        *load.entry(reviewer.clone()).or_default() += 1;
    }
    let panel: Vec<(String, i32, String)> = contest_reviewers::table
        .inner_join(users::table)
        .filter(contest_reviewers::contest_id.eq(&contest.id))
        .select((
            contest_reviewers::user_id,
            contest_reviewers::cap,
            users::display_name,
        ))
        .load(conn)?;
    let names = panel
        .iter()
        .map(|(id, _, n)| (id.clone(), n.clone()))
        .collect();
    let conflicts = crate::app::conflicts::pairs(conn, contest)?;
    Ok((
        Request {
            ideas: ideas_now
                .into_iter()
                .map(|id| {
                    let reviewers = on_idea.remove(&id).unwrap_or_default();
                    IdeaNeed {
                        reviews: reviewers.len() as u32,
                        reviewers,
                        id,
                    }
                })
                .collect(),
            reviewers: panel
                .into_iter()
                .map(|(id, cap, _)| ReviewerLoad {
                    load: load.get(&id).copied().unwrap_or(0),
                    cap: cap.max(0) as u32,
                    id,
                })
                .collect(),
            conflicts: conflicts.into_iter().collect(),
            target,
        },
        names,
    ))
}

fn target_of(conn: &mut DbConn, contest: &Contest) -> Result<u32, AppError> {
    let (round, _) =
        crate::app::rubric::current(conn, &contest.id)?.ok_or(AppError::Rule("no_rubric"))?;
    Ok(round.reviews_per_idea.max(1) as u32)
}

/// What the solver would still leave short, and every reviewer's load, for the contest as it stands.
fn preview_of(conn: &mut DbConn, contest: &Contest) -> Result<Preview, AppError> {
    let target = target_of(conn, contest)?;
    let (req, names) = request(conn, contest, target)?;
    let caps: HashMap<String, u32> = req
        .reviewers
        .iter()
        .map(|r| (r.id.clone(), r.cap))
        .collect();
    // A dry run: what it would add is not stored, only what it cannot do is used, for the reasons.
    let dry = solve(&req, seed(contest));
    let why: HashMap<&String, &'static str> = dry
        .shortfalls
        .iter()
        .map(|s| (&s.idea, s.reason.code()))
        .collect();
    let short = req
        .ideas
        .iter()
        .filter(|i| (i.reviewers.len() as u32) < target)
        .map(|i| Short {
            idea_id: i.id.clone(),
            missing: target - i.reviewers.len() as u32,
            reason: why.get(&i.id).copied().unwrap_or("open"),
        })
        .collect();
    let titled: Vec<Assignable> = ideas::table
        .filter(ideas::contest_id.eq(&contest.id))
        .filter(ideas::status.eq_any(ASSIGNABLE))
        .order((ideas::title.asc(), ideas::id.asc()))
        .select((ideas::id, ideas::title))
        .load(conn)?;
    Ok(Preview {
        ideas: titled,
        proposed: rows(conn, contest, &["proposed"])?,
        live: rows(conn, contest, &["assigned", "accepted"])?,
        short,
        loads: req
            .reviewers
            .iter()
            .map(|r| {
                (
                    r.id.clone(),
                    names.get(&r.id).cloned().unwrap_or_default(),
                    r.load,
                    caps.get(&r.id).copied().unwrap_or(0),
                )
            })
            .collect(),
    })
}

/// The same contest gets the same proposal for the same state (ties are broken by a seed from its id).
fn seed(contest: &Contest) -> u64 {
    contest.id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The contest's assignment as it stands.
pub fn preview(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(Contest, Preview), AppError> {
    let contest = managed(conn, who, slug)?;
    let p = preview_of(conn, &contest)?;
    Ok((contest, p))
}

/// [`preview`] for the organizers' page, which also stands before the contest has a rubric: the preview is `None`
/// then, since the rubric says how many reviews an idea needs.
pub fn overview(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(Contest, Option<Preview>), AppError> {
    let contest = managed(conn, who, slug)?;
    match preview_of(conn, &contest) {
        Ok(p) => Ok((contest, Some(p))),
        Err(AppError::Rule("no_rubric")) => Ok((contest, None)),
        Err(e) => Err(e),
    }
}

/// Replaces the waiting proposal with a new one from the solver. Nobody is told anything.
pub fn propose(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(Contest, Preview), AppError> {
    let contest = managed(conn, who, slug)?;
    let (round, _) =
        crate::app::rubric::current(conn, &contest.id)?.ok_or(AppError::Rule("no_rubric"))?;
    write_tx(conn, |conn| {
        diesel::delete(
            assignments::table
                .filter(assignments::contest_id.eq(&contest.id))
                .filter(assignments::status.eq("proposed")),
        )
        .execute(conn)?;
        let (req, _) = request(conn, &contest, round.reviews_per_idea.max(1) as u32)?;
        let proposal = solve(&req, seed(&contest));
        let at = now();
        for (idea, reviewer) in &proposal.pairs {
            insert(
                conn,
                &NewAssignment {
                    contest: &contest,
                    round: &round,
                    idea,
                    reviewer,
                    status: "proposed",
                    by: who,
                    at,
                },
            )?;
        }
        Ok::<(), AppError>(())
    })?;
    let p = preview_of(conn, &contest)?;
    Ok((contest, p))
}

/// An assignment to store: due when the round is due.
struct NewAssignment<'a> {
    contest: &'a Contest,
    round: &'a Round,
    idea: &'a str,
    reviewer: &'a str,
    /// `proposed`, or `assigned` for one the reviewer is told of at once (then it is also marked notified).
    status: &'a str,
    by: &'a Principal,
    at: NaiveDateTime,
}

fn insert(conn: &mut DbConn, a: &NewAssignment) -> Result<String, AppError> {
    let id = new_id();
    diesel::insert_into(assignments::table)
        .values((
            assignments::id.eq(&id),
            assignments::contest_id.eq(&a.contest.id),
            assignments::round.eq(a.round.round),
            assignments::idea_id.eq(a.idea),
            assignments::reviewer_id.eq(a.reviewer),
            assignments::status.eq(a.status),
            assignments::due_at.eq(a.round.due_at),
            assignments::created_by.eq(&a.by.user_id),
            assignments::created_at.eq(a.at),
            assignments::updated_at.eq(a.at),
            assignments::notified_at.eq((a.status != "proposed").then_some(a.at)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Adds one assignment by hand to the proposal: refused when the reviewer is not on the panel, is in conflict
/// with the idea, already reviews it, or has reached their cap, or when the idea is not eligible or in review.
pub fn add(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    idea_id: &str,
    reviewer_id: &str,
) -> Result<String, AppError> {
    let contest = managed(conn, who, slug)?;
    let (round, _) =
        crate::app::rubric::current(conn, &contest.id)?.ok_or(AppError::Rule("no_rubric"))?;
    write_tx(conn, |conn| {
        let status: Option<String> = ideas::table
            .find(idea_id)
            .filter(ideas::contest_id.eq(&contest.id))
            .select(ideas::status)
            .first(conn)
            .optional()?;
        let status = status.ok_or(AppError::NotFound("idea"))?;
        if !ASSIGNABLE.contains(&status.as_str()) {
            return Err(AppError::Rule("not_assignable"));
        }
        let cap: Option<i32> = contest_reviewers::table
            .filter(contest_reviewers::contest_id.eq(&contest.id))
            .filter(contest_reviewers::user_id.eq(reviewer_id))
            .select(contest_reviewers::cap)
            .first(conn)
            .optional()?;
        let cap = cap.ok_or(AppError::Rule("not_on_panel"))?;
        if crate::app::conflicts::pairs(conn, &contest)?
            .contains(&(idea_id.to_string(), reviewer_id.to_string()))
        {
            return Err(AppError::Rule("conflict_of_interest"));
        }
        let live = |conn: &mut DbConn, filter_idea: bool| -> QueryResult<i64> {
            let mut q = assignments::table
                .filter(assignments::contest_id.eq(&contest.id))
                .filter(assignments::reviewer_id.eq(reviewer_id))
                .filter(assignments::status.eq_any(LIVE))
                .into_boxed();
            if filter_idea {
                q = q.filter(assignments::idea_id.eq(idea_id));
            }
            q.count().get_result(conn)
        };
        if live(conn, true)? > 0 {
            return Err(AppError::Rule("already_assigned"));
        }
        if live(conn, false)? >= i64::from(cap) {
            return Err(AppError::Rule("cap_reached"));
        }
        insert(
            conn,
            &NewAssignment {
                contest: &contest,
                round: &round,
                idea: idea_id,
                reviewer: reviewer_id,
                status: "proposed",
                by: who,
                at: now(),
            },
        )
    })
}

/// Takes an assignment out: a proposed one is simply dropped; a confirmed one becomes `removed` (kept for the
/// record), and the idea's place in review is settled again (`app::reviews::settle`): back to eligible when nobody
/// is left to review it, reviewed when the reviews still held are all in.
pub fn remove(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    assignment_id: &str,
) -> Result<(), AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let found: Option<(String, String, String)> = assignments::table
            .find(assignment_id)
            .filter(assignments::contest_id.eq(&contest.id))
            .select((
                assignments::status,
                assignments::idea_id,
                assignments::reviewer_id,
            ))
            .first(conn)
            .optional()?;
        let (status, idea_id, reviewer_id) = found.ok_or(AppError::NotFound("assignment"))?;
        if status == "proposed" {
            diesel::delete(assignments::table.find(assignment_id)).execute(conn)?;
            return Ok(());
        }
        if !LIVE.contains(&status.as_str()) {
            return Err(AppError::Rule("not_live"));
        }
        diesel::update(assignments::table.find(assignment_id))
            .set((
                assignments::status.eq("removed"),
                assignments::updated_at.eq(now()),
            ))
            .execute(conn)?;
        event(conn, &contest, who, &idea_id, "unassigned", &reviewer_id)?;
        crate::app::reviews::settle(conn, &contest.id, &idea_id)?;
        Ok(())
    })
}

fn event(
    conn: &mut DbConn,
    contest: &Contest,
    who: &Principal,
    idea_id: &str,
    kind: &str,
    reviewer_id: &str,
) -> Result<(), AppError> {
    crate::app::ideas::insert_event(
        conn,
        &Event {
            id: new_id(),
            idea_id: Some(idea_id.into()),
            contest_id: Some(contest.id.clone()),
            actor_id: Some(who.user_id.clone()),
            kind: kind.into(),
            from_status: None,
            to_status: None,
            reason: Some(reviewer_id.into()),
            created_at: now(),
        },
    )
}

/// Confirms the proposal: every proposed assignment becomes assigned, eligible ideas move to in review, each
/// reviewer gets one email saying how many ideas wait for them, and every assignment is an event. Returns how many
/// were confirmed.
pub fn confirm(conn: &mut DbConn, who: &Principal, slug: &str) -> Result<usize, AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let proposed: Vec<(String, String, String)> = assignments::table
            .filter(assignments::contest_id.eq(&contest.id))
            .filter(assignments::status.eq("proposed"))
            .select((
                assignments::id,
                assignments::idea_id,
                assignments::reviewer_id,
            ))
            .load(conn)?;
        let at = now();
        let mut per_reviewer: BTreeMap<String, usize> = BTreeMap::new();
        for (id, idea_id, reviewer_id) in &proposed {
            diesel::update(assignments::table.find(id))
                .set((
                    assignments::status.eq("assigned"),
                    assignments::notified_at.eq(Some(at)),
                    assignments::updated_at.eq(at),
                ))
                .execute(conn)?;
            event(conn, &contest, who, idea_id, "assigned", reviewer_id)?;
            *per_reviewer.entry(reviewer_id.clone()).or_default() += 1;
            let mut idea: Idea = ideas::table
                .find(idea_id)
                .select(Idea::as_select())
                .first(conn)?;
            if idea.status == IdeaStatus::Eligible.code() {
                move_idea(
                    conn,
                    &mut idea,
                    &contest,
                    IdeaStatus::InReview,
                    Mover::Organizer,
                    Some(&who.user_id),
                    None,
                )?;
            }
        }
        for (reviewer_id, count) in per_reviewer {
            tell_reviewer(conn, &contest, &reviewer_id, count)?;
        }
        Ok(proposed.len())
    })
}

/// Emails a reviewer that `count` more ideas of `contest` wait for them (nobody to tell for a disabled account).
fn tell_reviewer(
    conn: &mut DbConn,
    contest: &Contest,
    reviewer_id: &str,
    count: usize,
) -> Result<(), AppError> {
    let person: Option<(String, String, String)> = users::table
        .find(reviewer_id)
        .filter(users::disabled_at.is_null())
        .select((users::email, users::display_name, users::lang))
        .first(conn)
        .optional()?;
    let Some((email, name, lang)) = person else {
        return Ok(());
    };
    mail::enqueue(
        conn,
        &Outgoing {
            to: email,
            to_name: name,
            lang,
            kind: MailKind::ReviewsAssigned {
                contest: contest.title.clone(),
                count: count.to_string(),
                link: mail::absolute("/review"),
            },
        },
    )?;
    Ok(())
}

/// What asking one more review did.
#[derive(Debug, Clone)]
pub struct OneMore {
    /// The new assignment.
    pub assignment_id: String,
    /// The reviewer picked.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer: String,
}

/// Asks one more review of an idea in review or reviewed (its reviewers disagree, or it sits near the cut-off).
/// The solver picks, among the panel, the least loaded reviewer who has no conflict with the idea, was never
/// assigned it (whatever became of that assignment: a reviewer who declined or recused is not asked again) and is
/// under their cap. The assignment is made at once, due with the round (the organizer asked for exactly this one:
/// there is no proposal to look at); a reviewed idea goes back to in review until that review is in
/// (`app::reviews::settle` moves it back); an event records it and the reviewer gets one email. Refused with `409`:
/// `no_reviewer_available` when nobody qualifies, `more_review_not_allowed` for an idea in another state,
/// `round_closed`, `no_rubric`.
pub fn one_more(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    idea_id: &str,
) -> Result<OneMore, AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let (round, _) =
            crate::app::rubric::current(conn, &contest.id)?.ok_or(AppError::Rule("no_rubric"))?;
        if round.closed_at.is_some() {
            return Err(AppError::Rule("round_closed"));
        }
        let mut idea = idea_in(conn, &contest, idea_id)?;
        let status = status_of(&idea)?;
        if status != IdeaStatus::InReview && status != IdeaStatus::Reviewed {
            return Err(AppError::Rule("more_review_not_allowed"));
        }
        // Who may not be picked: everyone who ever had the idea, and disabled accounts (they would never be told).
        // The solver counts them as already on the idea, so a target of one more than them asks for exactly one.
        let mut taken: Vec<String> = assignments::table
            .filter(assignments::idea_id.eq(&idea.id))
            .select(assignments::reviewer_id)
            .distinct()
            .load(conn)?;
        taken.extend(
            contest_reviewers::table
                .inner_join(users::table)
                .filter(contest_reviewers::contest_id.eq(&contest.id))
                .filter(users::disabled_at.is_not_null())
                .select(contest_reviewers::user_id)
                .load::<String>(conn)?,
        );
        taken.sort();
        taken.dedup();
        let target = u32::try_from(taken.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let (mut req, names) = request(conn, &contest, target)?;
        req.ideas = vec![IdeaNeed {
            id: idea.id.clone(),
            reviews: 0,
            reviewers: taken,
        }];
        let reviewer = solve(&req, seed(&contest))
            .pairs
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .ok_or(AppError::Rule("no_reviewer_available"))?;
        let at = now();
        let assignment_id = insert(
            conn,
            &NewAssignment {
                contest: &contest,
                round: &round,
                idea: &idea.id,
                reviewer: &reviewer,
                status: "assigned",
                by: who,
                at,
            },
        )?;
        if status == IdeaStatus::Reviewed {
            move_idea(
                conn,
                &mut idea,
                &contest,
                IdeaStatus::InReview,
                Mover::System,
                None,
                None,
            )?;
        }
        event(
            conn,
            &contest,
            who,
            &idea.id,
            "more_review_requested",
            &reviewer,
        )?;
        tell_reviewer(conn, &contest, &reviewer, 1)?;
        Ok(OneMore {
            assignment_id,
            reviewer: names.get(&reviewer).cloned().unwrap_or_default(),
            reviewer_id: reviewer,
        })
    })
}
