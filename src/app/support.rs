//! Support and people's choice (DESIGN.md "Public side"): a verified member supports a public idea once and can take
//! it back; a contest can run a people's-choice round between two times, in which each account votes for one idea
//! of the contest. "Once" is the database's rule (the primary keys of `supports` and `votes`), so two requests
//! racing each other cannot count twice; the code only turns the refusal into a clear answer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::db::schema::{ideas, supports, vote_rounds, votes};
use crate::db::{DbConn, now, write_tx};
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// Where a signed-in person stands with one idea.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// How many members support the idea.
    pub supporters: i64,
    /// Whether this person supports it.
    pub supported: bool,
    /// The contest's people's-choice round, if it has one.
    pub round: Option<Round>,
    /// Votes for the idea in that round.
    pub votes: i64,
    /// The idea this person voted for in the round (this one or another).
    pub my_vote: Option<String>,
}

/// A people's-choice round.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Round {
    /// Opens (UTC).
    pub opens_at: NaiveDateTime,
    /// Closes (UTC).
    pub closes_at: NaiveDateTime,
}

impl Round {
    /// Whether votes are taken at `t`.
    pub fn is_open_at(&self, t: NaiveDateTime) -> bool {
        self.opens_at <= t && t < self.closes_at
    }
}

/// A public idea's contest, or "not found" (supporting needs the idea to be public).
fn public_idea_contest(conn: &mut DbConn, idea_id: &str) -> Result<String, AppError> {
    ideas::table
        .find(idea_id)
        .filter(ideas::is_public.eq(true))
        .select(ideas::contest_id)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("idea"))
}

fn must_be_verified(who: &Principal) -> Result<(), AppError> {
    if who.verified {
        Ok(())
    } else {
        Err(AppError::Rule("email_not_verified_support"))
    }
}

/// The contest's round, if any.
pub fn round_of(conn: &mut DbConn, contest_id: &str) -> Result<Option<Round>, AppError> {
    Ok(vote_rounds::table
        .find(contest_id)
        .select((vote_rounds::opens_at, vote_rounds::closes_at))
        .first(conn)
        .optional()?)
}

/// How `who` (if anyone) stands with idea `idea_id` of contest `contest_id`.
pub fn standing(
    conn: &mut DbConn,
    idea_id: &str,
    contest_id: &str,
    who: Option<&str>,
) -> Result<Standing, AppError> {
    let supporters = supports::table
        .filter(supports::idea_id.eq(idea_id))
        .count()
        .get_result(conn)?;
    let round = round_of(conn, contest_id)?;
    let votes_for = if round.is_some() {
        votes::table
            .filter(votes::idea_id.eq(idea_id))
            .count()
            .get_result(conn)?
    } else {
        0
    };
    let (supported, my_vote) = match who {
        Some(u) => (
            supports::table
                .find((idea_id, u))
                .count()
                .get_result::<i64>(conn)?
                > 0,
            if round.is_some() {
                votes::table
                    .find((contest_id, u))
                    .select(votes::idea_id)
                    .first(conn)
                    .optional()?
            } else {
                None
            },
        ),
        None => (false, None),
    };
    Ok(Standing {
        supporters,
        supported,
        round,
        votes: votes_for,
        my_vote,
    })
}

/// Marks a transaction rolled back because a racing twin inserted the same key first.
const RACE: &str = "support_race";

/// Inserts a row the primary key allows once; a racing twin's row makes it `Err(Rule(RACE))` (the transaction is
/// then rolled back — PostgreSQL aborts it anyway — and the caller reads the outcome afresh).
fn insert_once(inserted: QueryResult<usize>) -> Result<(), AppError> {
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(AppError::Rule(RACE)),
        Err(e) => Err(e.into()),
    }
}

fn supporters(conn: &mut DbConn, idea_id: &str) -> Result<i64, AppError> {
    Ok(supports::table
        .filter(supports::idea_id.eq(idea_id))
        .count()
        .get_result(conn)?)
}

/// `who` supports idea `idea_id` (public; a verified account). Supporting again changes nothing. Returns the count.
pub fn support(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<i64, AppError> {
    must_be_verified(who)?;
    let done = write_tx(conn, |conn| {
        public_idea_contest(conn, idea_id)?;
        let already: i64 = supports::table
            .find((idea_id, &who.user_id))
            .count()
            .get_result(conn)?;
        if already == 0 {
            // The primary key keeps one row per member and idea, whatever races past the check above.
            insert_once(
                diesel::insert_into(supports::table)
                    .values((
                        supports::idea_id.eq(idea_id),
                        supports::user_id.eq(&who.user_id),
                        supports::created_at.eq(now()),
                    ))
                    .execute(conn),
            )?;
        }
        Ok(())
    });
    match done {
        Ok(()) | Err(AppError::Rule(RACE)) => supporters(conn, idea_id),
        Err(e) => Err(e),
    }
}

/// `who` takes back their support of idea `idea_id` (nothing to take back changes nothing). Returns the count.
pub fn unsupport(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<i64, AppError> {
    write_tx(conn, |conn| {
        public_idea_contest(conn, idea_id)?;
        diesel::delete(supports::table.find((idea_id, &who.user_id))).execute(conn)?;
        supporters(conn, idea_id)
    })
}

/// `who` votes for idea `idea_id` in its contest's open people's-choice round: one vote per account and contest (a
/// vote for another idea must be taken back first: `409 already_voted`). Voting again for the same idea changes
/// nothing. Returns the idea's votes.
pub fn vote(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<i64, AppError> {
    must_be_verified(who)?;
    let contest_id = write_tx(conn, |conn| {
        let contest_id = public_idea_contest(conn, idea_id)?;
        let round = round_of(conn, &contest_id)?.ok_or(AppError::Rule("no_vote_round"))?;
        if !round.is_open_at(now()) {
            return Err(AppError::Rule("vote_round_closed"));
        }
        let mine: Option<String> = votes::table
            .find((&contest_id, &who.user_id))
            .select(votes::idea_id)
            .first(conn)
            .optional()?;
        if mine.is_none() {
            // One vote per account and contest is the primary key's rule, whatever races past the check above.
            insert_once(
                diesel::insert_into(votes::table)
                    .values((
                        votes::contest_id.eq(&contest_id),
                        votes::user_id.eq(&who.user_id),
                        votes::idea_id.eq(idea_id),
                        votes::created_at.eq(now()),
                    ))
                    .execute(conn),
            )?;
        }
        Ok(contest_id)
    });
    let contest_id = match contest_id {
        Ok(c) => c,
        Err(AppError::Rule(RACE)) => public_idea_contest(conn, idea_id)?,
        Err(e) => return Err(e),
    };
    let mine: Option<String> = votes::table
        .find((&contest_id, &who.user_id))
        .select(votes::idea_id)
        .first(conn)
        .optional()?;
    if mine.as_deref() != Some(idea_id) {
        return Err(AppError::Rule("already_voted"));
    }
    Ok(votes::table
        .filter(votes::idea_id.eq(idea_id))
        .count()
        .get_result(conn)?)
}

/// `who` takes back their vote for idea `idea_id` while the round is open. Returns the idea's votes.
pub fn unvote(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<i64, AppError> {
    write_tx(conn, |conn| {
        let contest_id = public_idea_contest(conn, idea_id)?;
        let round = round_of(conn, &contest_id)?.ok_or(AppError::Rule("no_vote_round"))?;
        if !round.is_open_at(now()) {
            return Err(AppError::Rule("vote_round_closed"));
        }
        diesel::delete(
            votes::table
                .filter(votes::contest_id.eq(&contest_id))
                .filter(votes::user_id.eq(&who.user_id))
                .filter(votes::idea_id.eq(idea_id)),
        )
        .execute(conn)?;
        Ok(votes::table
            .filter(votes::idea_id.eq(idea_id))
            .count()
            .get_result(conn)?)
    })
}

/// Sets (or moves) the people's-choice round of contest `slug` (times in UTC). Votes already cast are kept.
pub fn set_round(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    opens_at: Option<NaiveDateTime>,
    closes_at: Option<NaiveDateTime>,
) -> Result<Round, AppError> {
    let contest = managed(conn, who, slug)?;
    let mut problems = Vec::new();
    if opens_at.is_none() {
        problems.push(FieldError::new("opens_at", "datetime"));
    }
    if closes_at.is_none() {
        problems.push(FieldError::new("closes_at", "datetime"));
    }
    let (Some(opens_at), Some(closes_at)) = (opens_at, closes_at) else {
        return Err(AppError::Invalid(problems));
    };
    if closes_at <= opens_at {
        return Err(AppError::Invalid(vec![FieldError::new(
            "closes_at",
            "closes_before_opens",
        )]));
    }
    write_tx(conn, |conn| {
        let at = now();
        let updated = diesel::update(vote_rounds::table.find(&contest.id))
            .set((
                vote_rounds::opens_at.eq(opens_at),
                vote_rounds::closes_at.eq(closes_at),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(vote_rounds::table)
                .values((
                    vote_rounds::contest_id.eq(&contest.id),
                    vote_rounds::opens_at.eq(opens_at),
                    vote_rounds::closes_at.eq(closes_at),
                    vote_rounds::created_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(Round {
            opens_at,
            closes_at,
        })
    })
}

/// The round's standings: (idea id, title, votes), most votes first, ideas without votes left out.
pub fn standings(
    conn: &mut DbConn,
    contest_id: &str,
    limit: i64,
) -> Result<Vec<(String, String, i64)>, AppError> {
    use diesel::dsl::count_star;
    Ok(votes::table
        .inner_join(ideas::table)
        .filter(votes::contest_id.eq(contest_id))
        .filter(ideas::is_public.eq(true))
        .group_by((ideas::id, ideas::title))
        .select((ideas::id, ideas::title, count_star()))
        .order((count_star().desc(), ideas::title.asc()))
        .limit(limit)
        .load(conn)?)
}
