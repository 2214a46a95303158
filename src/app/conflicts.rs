//! Conflicts of interest of a contest's panel: the ones the portal finds (the rule is `domain::conflicts`), the ones
//! reviewers declare, and recusal from an assignment. [`pairs`] is what assignment must never cross.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Principal;
use crate::app::contests::managed;
use crate::app::panel::is_reviewer;
use crate::db::catalog::{self, Contest};
use crate::db::events::Event;
use crate::db::schema::{
    assignments, conflicts, contacts, contest_reviewers, idea_coauthors, ideas, units, users,
};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::conflicts::{Declared, Found, Place, Team, found};
use crate::domain::lifecycle::reason_problem;
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// A conflict as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = conflicts)]
#[diesel(treat_none_as_default_value = false)]
pub struct ConflictRecord {
    /// UUID.
    pub id: String,
    /// The contest.
    pub contest_id: String,
    /// The idea.
    pub idea_id: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// `family`, `mentor`, `school` or `other`.
    pub kind: String,
    /// Why, in the reviewer's words.
    pub reason: String,
    /// Who declared it (`None`: found by the portal).
    pub declared_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A conflict found by the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// The idea.
    pub idea_id: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// Why.
    pub kind: Found,
}

/// The place of every unit, by id.
fn places(conn: &mut DbConn) -> Result<HashMap<String, Place>, AppError> {
    let all: Vec<(String, String, String)> = units::table
        .select((units::id, units::kind, units::path))
        .load(conn)?;
    let kinds: HashMap<&str, &str> = all
        .iter()
        .map(|(id, kind, _)| (id.as_str(), kind.as_str()))
        .collect();
    let mut out = HashMap::new();
    for (id, _, path) in &all {
        let line: Vec<(&str, &str)> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| (s, kinds.get(s).copied().unwrap_or("")))
            .collect();
        if let Some(place) = Place::of_line(&line) {
            out.insert(id.clone(), place);
        }
    }
    Ok(out)
}

/// The conflicts the portal finds between the contest's panel and its ideas (drafts aside), with the titles of the
/// ideas concerned.
fn computed_with_titles(
    conn: &mut DbConn,
    contest_id: &str,
) -> Result<(Vec<Computed>, HashMap<String, String>), AppError> {
    let places = places(conn)?;
    // (id, title, idea's unit, author, contact, author's unit, contact's unit)
    type IdeaRow = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<IdeaRow> = ideas::table
        .inner_join(users::table)
        .left_join(contacts::table)
        .filter(ideas::contest_id.eq(contest_id))
        .filter(ideas::status.ne(IdeaStatus::Draft.code()))
        .select((
            ideas::id,
            ideas::title,
            ideas::unit_id,
            ideas::author_id,
            ideas::contact_id,
            users::unit_id,
            contacts::unit_id.nullable(),
        ))
        .load(conn)?;
    let coauthor_rows: Vec<(String, String, Option<String>)> = idea_coauthors::table
        .inner_join(ideas::table)
        .inner_join(users::table)
        .filter(ideas::contest_id.eq(contest_id))
        .select((
            idea_coauthors::idea_id,
            idea_coauthors::user_id,
            users::unit_id,
        ))
        .load(conn)?;
    let mut coauthors: HashMap<&str, Vec<(&str, Option<&str>)>> = HashMap::new();
    for (idea, user, unit) in &coauthor_rows {
        coauthors
            .entry(idea.as_str())
            .or_default()
            .push((user.as_str(), unit.as_deref()));
    }
    let reviewers: Vec<(String, Option<String>)> = contest_reviewers::table
        .inner_join(users::table)
        .filter(contest_reviewers::contest_id.eq(contest_id))
        .select((contest_reviewers::user_id, users::unit_id))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, _, idea_unit, author, contact, author_unit, contact_unit) in &rows {
        let team_members = coauthors.get(id.as_str());
        // An imported idea's author account is the organizer who typed it in; its person is the contact.
        let person_unit = if contact.is_some() {
            contact_unit
        } else {
            author_unit
        };
        let mut team = Team {
            author: contact.is_none().then_some(author.as_str()),
            ..Team::default()
        };
        let units = std::iter::once(Some(idea_unit.as_str()))
            .chain(std::iter::once(person_unit.as_deref()))
            .chain(team_members.into_iter().flatten().map(|(_, u)| *u))
            .flatten();
        for u in units {
            if let Some(p) = places.get(u) {
                team.places.push(p);
            }
        }
        team.coauthors = team_members
            .into_iter()
            .flatten()
            .map(|(user, _)| *user)
            .collect();
        for (reviewer, unit) in &reviewers {
            let place = unit.as_deref().and_then(|u| places.get(u));
            if let Some(kind) = found(reviewer, place, &team) {
                out.push(Computed {
                    idea_id: id.clone(),
                    reviewer_id: reviewer.clone(),
                    kind,
                });
            }
        }
    }
    let titles = rows.into_iter().map(|r| (r.0, r.1)).collect();
    Ok((out, titles))
}

/// Every (idea, reviewer) pair of the contest that assignment must avoid: the conflicts the portal finds and the
/// ones reviewers declared.
pub fn pairs(conn: &mut DbConn, contest: &Contest) -> Result<HashSet<(String, String)>, AppError> {
    let (computed, _) = computed_with_titles(conn, &contest.id)?;
    let declared: Vec<(String, String)> = conflicts::table
        .filter(conflicts::contest_id.eq(&contest.id))
        .select((conflicts::idea_id, conflicts::reviewer_id))
        .load(conn)?;
    Ok(computed
        .into_iter()
        .map(|c| (c.idea_id, c.reviewer_id))
        .chain(declared)
        .collect())
}

/// A conflict as organizers see it.
#[derive(Debug, Clone)]
pub struct ConflictRow {
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub idea_title: String,
    /// The reviewer.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer_name: String,
    /// `author`, `coauthor`, `unit` (found by the portal) or `family`, `mentor`, `school`, `other` (declared).
    pub kind: String,
    /// Whether the reviewer declared it (else the portal found it).
    pub declared: bool,
    /// The reason given (declared conflicts).
    pub reason: String,
    /// When it was declared.
    pub declared_at: Option<NaiveDateTime>,
}

impl ConflictRow {
    /// A declared conflict, without the idea's title and the reviewer's name.
    fn declared(c: ConflictRecord) -> ConflictRow {
        ConflictRow {
            idea_id: c.idea_id,
            idea_title: String::new(),
            reviewer_id: c.reviewer_id,
            reviewer_name: String::new(),
            kind: c.kind,
            declared: true,
            reason: c.reason,
            declared_at: Some(c.created_at),
        }
    }
}

/// The conflicts reviewers declared in a contest, newest first.
pub fn declared_in(conn: &mut DbConn, contest_id: &str) -> Result<Vec<ConflictRow>, AppError> {
    let rows: Vec<(ConflictRecord, String, String)> = conflicts::table
        .inner_join(ideas::table)
        .inner_join(users::table.on(users::id.eq(conflicts::reviewer_id)))
        .filter(conflicts::contest_id.eq(contest_id))
        .order((conflicts::created_at.desc(), conflicts::id.desc()))
        .select((
            ConflictRecord::as_select(),
            ideas::title,
            users::display_name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(c, title, name)| ConflictRow {
            idea_title: title,
            reviewer_name: name,
            ..ConflictRow::declared(c)
        })
        .collect())
}

/// Every conflict of the contest `slug`, for its organizers: declared ones first (newest first), then the ones the
/// portal found, by reviewer.
pub fn listing(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(Contest, Vec<ConflictRow>), AppError> {
    let contest = managed(conn, who, slug)?;
    let mut rows = declared_in(conn, &contest.id)?;
    let (computed, titles) = computed_with_titles(conn, &contest.id)?;
    let names: HashMap<String, String> = contest_reviewers::table
        .inner_join(users::table)
        .filter(contest_reviewers::contest_id.eq(&contest.id))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut found_rows: Vec<ConflictRow> = computed
        .into_iter()
        .map(|c| ConflictRow {
            idea_title: titles.get(&c.idea_id).cloned().unwrap_or_default(),
            reviewer_name: names.get(&c.reviewer_id).cloned().unwrap_or_default(),
            idea_id: c.idea_id,
            reviewer_id: c.reviewer_id,
            kind: c.kind.code().into(),
            declared: false,
            reason: String::new(),
            declared_at: None,
        })
        .collect();
    found_rows.sort_by(|a, b| {
        (&a.reviewer_name, &a.reviewer_id, &a.idea_title).cmp(&(
            &b.reviewer_name,
            &b.reviewer_id,
            &b.idea_title,
        ))
    });
    rows.extend(found_rows);
    Ok((contest, rows))
}

fn checked_reason(reason: &str, problems: &mut Vec<FieldError>) -> String {
    let reason = reason.trim();
    problems.extend(reason_problem("reason", reason, true));
    reason.to_string()
}

fn insert_declared(
    conn: &mut DbConn,
    contest_id: &str,
    idea_id: &str,
    who: &Principal,
    kind: Declared,
    reason: &str,
) -> Result<Option<ConflictRecord>, AppError> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        conflicts::table
            .filter(conflicts::idea_id.eq(idea_id))
            .filter(conflicts::reviewer_id.eq(&who.user_id))
            .filter(conflicts::kind.eq(kind.code())),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(None);
    }
    let record = ConflictRecord {
        id: new_id(),
        contest_id: contest_id.into(),
        idea_id: idea_id.into(),
        reviewer_id: who.user_id.clone(),
        kind: kind.code().into(),
        reason: reason.into(),
        declared_by: Some(who.user_id.clone()),
        created_at: now(),
    };
    diesel::insert_into(conflicts::table)
        .values(&record)
        .execute(conn)?;
    Ok(Some(record))
}

/// A reviewer of the contest `slug` declares a conflict with one of its ideas (`kind` one of family, mentor, school,
/// other, with a reason) that they can see: public, or assigned to them. Refused: a bad kind or reason, someone not
/// on the panel (403), an idea that is not one of the contest's or not visible to them (404), the same declaration
/// twice (409).
pub fn declare(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    idea_id: &str,
    kind: &str,
    reason: &str,
) -> Result<ConflictRow, AppError> {
    let mut problems = Vec::new();
    let idea_id = idea_id.trim();
    if idea_id.is_empty() {
        problems.push(FieldError::new("idea_id", "required"));
    }
    let kind = Declared::parse(kind);
    if kind.is_none() {
        problems.push(FieldError::new("kind", "unknown_conflict_kind"));
    }
    let reason = checked_reason(reason, &mut problems);
    let Some(kind) = kind.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    let contest = catalog::contest_by_slug(conn, slug)?.ok_or(AppError::NotFound("contest"))?;
    if !is_reviewer(conn, &contest.id, &who.user_id)? {
        return Err(AppError::Forbidden);
    }
    write_tx(conn, |conn| {
        let (title, public): (String, bool) = ideas::table
            .filter(ideas::id.eq(idea_id))
            .filter(ideas::contest_id.eq(&contest.id))
            .filter(ideas::status.ne(IdeaStatus::Draft.code()))
            .select((ideas::title, ideas::is_public))
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound("idea"))?;
        // Only an idea the reviewer can see: a public one, or one assigned to them. Any other answers "not found",
        // so the endpoint tells nobody what a private idea is called.
        let assigned: bool = diesel::select(diesel::dsl::exists(
            assignments::table
                .filter(assignments::idea_id.eq(idea_id))
                .filter(assignments::reviewer_id.eq(&who.user_id))
                .filter(assignments::status.ne("proposed")),
        ))
        .get_result(conn)?;
        if !public && !assigned {
            return Err(AppError::NotFound("idea"));
        }
        let c = insert_declared(conn, &contest.id, idea_id, who, kind, &reason)?
            .ok_or(AppError::Rule("conflict_already_declared"))?;
        Ok(ConflictRow {
            idea_title: title,
            reviewer_name: who.display_name.clone(),
            ..ConflictRow::declared(c)
        })
    })
}

/// The reviewer withdraws from an assignment of theirs (assigned or accepted) with a reason: it becomes `recused`,
/// which frees the slot; a declared conflict of the kind given (family, mentor, school; `other` when none) keeps the
/// reason (so the idea is never assigned to them
/// again), and the audit log records a `recused` event. Someone else's assignment, or one the reviewer has not been
/// told of yet, is "not found".
pub fn recuse(
    conn: &mut DbConn,
    who: &Principal,
    assignment_id: &str,
    kind: &str,
    reason: &str,
) -> Result<(), AppError> {
    let mut problems = Vec::new();
    // No kind given reads as `other`, the kind a recusal recorded before reviewers could say which.
    let kind = if kind.trim().is_empty() {
        Some(Declared::Other)
    } else {
        Declared::parse(kind)
    };
    if kind.is_none() {
        problems.push(FieldError::new("kind", "unknown_conflict_kind"));
    }
    let reason = checked_reason(reason, &mut problems);
    let Some(kind) = kind.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    write_tx(conn, |conn| {
        let found: Option<(String, String, String, String)> = assignments::table
            .filter(assignments::id.eq(assignment_id.trim()))
            .select((
                assignments::contest_id,
                assignments::idea_id,
                assignments::reviewer_id,
                assignments::status,
            ))
            .first(conn)
            .optional()?;
        let Some((contest_id, idea_id, reviewer, status)) =
            found.filter(|(_, _, r, s)| *r == who.user_id && s != "proposed")
        else {
            return Err(AppError::NotFound("assignment"));
        };
        if status != "assigned" && status != "accepted" {
            return Err(AppError::Rule("not_recusable"));
        }
        let at = now();
        diesel::update(
            assignments::table
                .filter(assignments::id.eq(assignment_id.trim()))
                .filter(assignments::status.eq(&status)),
        )
        .set((
            assignments::status.eq("recused"),
            assignments::reason.eq(Some(&reason)),
            assignments::updated_at.eq(at),
        ))
        .execute(conn)?;
        insert_declared(conn, &contest_id, &idea_id, who, kind, &reason)?;
        crate::app::ideas::insert_event(
            conn,
            &Event {
                id: new_id(),
                idea_id: Some(idea_id.clone()),
                contest_id: Some(contest_id.clone()),
                actor_id: Some(reviewer),
                kind: "recused".into(),
                from_status: None,
                to_status: None,
                reason: Some(reason.clone()),
                created_at: at,
            },
        )?;
        crate::app::reviews::settle(conn, &contest_id, &idea_id)
    })
}
