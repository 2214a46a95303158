//! A contest's rubric, by review round (DESIGN.md "Review"): criteria with a name, a description, a weight, a score
//! range and a written description of each level, plus how many reviews each idea gets and when they are due.
//! Organizers edit the rubric of the current round until its first review is submitted; then it is locked (the
//! scores already given were given against it), and a changed rubric needs a new round.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::Principal;
use crate::app::contests::managed;
use crate::db::catalog::Contest;
use crate::db::events::Event;
use crate::db::schema::{review_rounds, rubric_criteria};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::rubric::{Criterion, Rubric};
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// The most criteria a rubric may have.
pub const MAX_CRITERIA: usize = 12;
/// Reviews per idea: default and bounds.
pub const DEFAULT_REVIEWS: i32 = 3;
const REVIEWS_RANGE: (i32, i32) = (1, 10);
/// Score bounds a criterion may use.
const SCORE_RANGE: (i32, i32) = (0, 100);

/// One level of a criterion: what a score means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Level {
    /// The score, within the criterion's range, once per criterion (`422 level_score`).
    #[serde(deserialize_with = "crate::domain::validation::whole::required")]
    pub score: i32,
    /// What it means ("Ý tưởng mới, chưa từng áp dụng ở địa phương"), at most 500 characters.
    #[schema(max_length = 500, pattern = r"\S")]
    pub text: String,
}

/// A criterion as organizers write it and reviewers read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionInput {
    /// Name, 2–120 characters.
    #[serde(default)]
    #[schema(required = true, pattern = r"^\s*\S.{0,118}\S\s*$")]
    pub name: String,
    /// What it judges, at most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Weight: a positive number (only the ratios between criteria matter).
    #[serde(default)]
    #[schema(required = true, exclusive_minimum = 0)]
    pub weight: f64,
    /// Lowest score, 0–100.
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::whole::required"
    )]
    #[schema(minimum = 0, maximum = 100)]
    pub min_score: i32,
    /// Highest score, 0–100, above the lowest (`422 range_empty`).
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::whole::required"
    )]
    #[schema(required = true, minimum = 0, maximum = 100)]
    pub max_score: i32,
    /// Descriptions of levels: each score within the range at most once, each text at most 500 characters.
    #[serde(default)]
    pub levels: Vec<Level>,
}

/// A round's settings and rubric, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RubricInput {
    /// Reviews each idea gets (1–10, default 3).
    #[serde(
        default = "default_reviews",
        deserialize_with = "crate::domain::validation::whole::required"
    )]
    #[schema(minimum = 1, maximum = 10)]
    pub reviews_per_idea: i32,
    /// When reviews are due (Vietnam time, `YYYY-MM-DDTHH:MM`; empty for none).
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?\s*$"
    )]
    pub due_at: String,
    /// The criteria, in order (1–12).
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 12)]
    pub criteria: Vec<CriterionInput>,
}

fn default_reviews() -> i32 {
    DEFAULT_REVIEWS
}

/// A round of review.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = review_rounds)]
#[diesel(treat_none_as_default_value = false)]
pub struct Round {
    /// Contest.
    pub contest_id: String,
    /// 1, 2, …
    pub round: i32,
    /// Reviews each idea gets.
    pub reviews_per_idea: i32,
    /// When reviews are due (UTC).
    pub due_at: Option<NaiveDateTime>,
    /// When its first review was submitted (the rubric is fixed from then on).
    pub locked_at: Option<NaiveDateTime>,
    /// When it was closed (reviews no longer editable).
    pub closed_at: Option<NaiveDateTime>,
    /// When it was made.
    pub created_at: NaiveDateTime,
}

/// A stored criterion.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rubric_criteria)]
pub struct CriterionRow {
    /// Id.
    pub id: String,
    /// Contest.
    pub contest_id: String,
    /// Round.
    pub round: i32,
    /// Order, from 0.
    pub position: i32,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Weight.
    pub weight: f64,
    /// Lowest score.
    pub min_score: i32,
    /// Highest score.
    pub max_score: i32,
    /// Levels, as JSON (`[{"score", "text"}]`).
    pub levels: String,
}

impl CriterionRow {
    /// The levels, lowest score first (a damaged value reads as none).
    pub fn levels(&self) -> Vec<Level> {
        serde_json::from_str(&self.levels).unwrap_or_default()
    }

    /// As the scoring rules see it.
    pub fn criterion(&self) -> Criterion {
        Criterion {
            name: self.name.clone(),
            weight: self.weight,
            min: self.min_score,
            max: self.max_score,
            levels: self.levels().into_iter().map(|l| l.text).collect(),
        }
    }
}

/// A round with its criteria, in order.
pub type RoundRubric = (Round, Vec<CriterionRow>);

/// The current (latest) round of a contest and its criteria, if a rubric was ever saved.
pub fn current(conn: &mut DbConn, contest_id: &str) -> Result<Option<RoundRubric>, AppError> {
    let round: Option<Round> = review_rounds::table
        .filter(review_rounds::contest_id.eq(contest_id))
        .order(review_rounds::round.desc())
        .select(Round::as_select())
        .first(conn)
        .optional()?;
    let Some(round) = round else {
        return Ok(None);
    };
    let criteria = rubric_criteria::table
        .filter(rubric_criteria::contest_id.eq(contest_id))
        .filter(rubric_criteria::round.eq(round.round))
        .order(rubric_criteria::position.asc())
        .select(CriterionRow::as_select())
        .load(conn)?;
    Ok(Some((round, criteria)))
}

/// The rubric page's data: the contest (if `who` organizes it) and its current round.
pub fn view(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<(Contest, Option<RoundRubric>), AppError> {
    let contest = managed(conn, who, slug)?;
    let current = current(conn, &contest.id)?;
    Ok((contest, current))
}

/// Checks a rubric as typed; every problem at once, each field named `criteria[i].field` (or the setting's name).
fn check(input: &RubricInput) -> Result<(Option<NaiveDateTime>, Rubric), AppError> {
    let mut problems = Vec::new();
    if !(REVIEWS_RANGE.0..=REVIEWS_RANGE.1).contains(&input.reviews_per_idea) {
        problems.push(
            FieldError::new("reviews_per_idea", "range")
                .with("min", REVIEWS_RANGE.0)
                .with("max", REVIEWS_RANGE.1),
        );
    }
    let due = match input.due_at.trim() {
        "" => None,
        text => match crate::app::contests::parse_local(text) {
            Some(t) => Some(t),
            None => {
                problems.push(FieldError::new("due_at", "datetime"));
                None
            }
        },
    };
    if input.criteria.is_empty() {
        problems.push(FieldError::new("criteria", "no_criteria"));
    }
    if input.criteria.len() > MAX_CRITERIA {
        problems.push(FieldError::new("criteria", "too_many").with("max", MAX_CRITERIA));
    }
    for (i, c) in input.criteria.iter().enumerate() {
        let f = |name: &str| format!("criteria[{i}].{name}");
        let name_len = c.name.trim().chars().count();
        if !(2..=120).contains(&name_len) {
            problems.push(
                FieldError::new(&f("name"), "length")
                    .with("min", 2)
                    .with("max", 120),
            );
        }
        if c.description.chars().count() > 2000 {
            problems.push(FieldError::new(&f("description"), "too_long").with("max", 2000));
        }
        for (field, v) in [("min_score", c.min_score), ("max_score", c.max_score)] {
            if !(SCORE_RANGE.0..=SCORE_RANGE.1).contains(&v) {
                problems.push(
                    FieldError::new(&f(field), "range")
                        .with("min", SCORE_RANGE.0)
                        .with("max", SCORE_RANGE.1),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        for l in &c.levels {
            if l.score < c.min_score || l.score > c.max_score || !seen.insert(l.score) {
                problems.push(
                    FieldError::new(&f("levels"), "level_score")
                        .with("min", c.min_score)
                        .with("max", c.max_score),
                );
            }
            if l.text.trim().is_empty() || l.text.chars().count() > 500 {
                problems.push(FieldError::new(&f("levels"), "level_text").with("max", 500));
            }
        }
    }
    // The scoring rules' own checks (weights, ranges), named by criterion.
    let rubric = Rubric::new(
        input
            .criteria
            .iter()
            .map(|c| Criterion {
                name: c.name.trim().to_string(),
                weight: c.weight,
                min: c.min_score,
                max: c.max_score,
                levels: Vec::new(),
            })
            .collect(),
    );
    let rubric = match rubric {
        Ok(r) => Some(r),
        Err(errors) => {
            for e in errors {
                let field = match (e.code, e.criterion) {
                    ("range_empty", Some(i)) => format!("criteria[{i}].max_score"),
                    (_, Some(i)) => format!("criteria[{i}].weight"),
                    (_, None) => "criteria".to_string(),
                };
                if !problems.iter().any(|p| p.field == field) {
                    problems.push(FieldError::new(&field, e.code));
                }
            }
            None
        }
    };
    match rubric {
        Some(r) if problems.is_empty() => Ok((due, r)),
        _ => Err(AppError::Invalid(problems)),
    }
}

fn rubric_event(contest: &Contest, who: &Principal, kind: &str, reason: String) -> Event {
    Event {
        id: new_id(),
        idea_id: None,
        contest_id: Some(contest.id.clone()),
        actor_id: Some(who.user_id.clone()),
        kind: kind.into(),
        from_status: None,
        to_status: None,
        reason: Some(reason),
        created_at: now(),
    }
}

/// Saves the rubric and settings of the contest's current round (making round 1 if there is none). Refused with
/// `rubric_locked` once the round's first review is in: start a new round for a different rubric.
pub fn save(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    input: &RubricInput,
) -> Result<Round, AppError> {
    let contest = managed(conn, who, slug)?;
    let (due, _) = check(input)?;
    write_tx(conn, |conn| {
        let at = now();
        let round = match current(conn, &contest.id)? {
            Some((r, _)) if r.locked_at.is_some() => return Err(AppError::Rule("rubric_locked")),
            Some((mut r, _)) => {
                r.reviews_per_idea = input.reviews_per_idea;
                r.due_at = due;
                diesel::update(
                    review_rounds::table
                        .filter(review_rounds::contest_id.eq(&contest.id))
                        .filter(review_rounds::round.eq(r.round)),
                )
                .set((
                    review_rounds::reviews_per_idea.eq(r.reviews_per_idea),
                    review_rounds::due_at.eq(r.due_at),
                ))
                .execute(conn)?;
                r
            }
            None => {
                let r = Round {
                    contest_id: contest.id.clone(),
                    round: 1,
                    reviews_per_idea: input.reviews_per_idea,
                    due_at: due,
                    locked_at: None,
                    closed_at: None,
                    created_at: at,
                };
                diesel::insert_into(review_rounds::table)
                    .values(&r)
                    .execute(conn)?;
                r
            }
        };
        diesel::delete(
            rubric_criteria::table
                .filter(rubric_criteria::contest_id.eq(&contest.id))
                .filter(rubric_criteria::round.eq(round.round)),
        )
        .execute(conn)?;
        for (i, c) in input.criteria.iter().enumerate() {
            let mut levels = c.levels.clone();
            levels.sort_by_key(|l| l.score);
            for l in &mut levels {
                l.text = l.text.trim().to_string();
            }
            diesel::insert_into(rubric_criteria::table)
                .values(&CriterionRow {
                    id: new_id(),
                    contest_id: contest.id.clone(),
                    round: round.round,
                    position: i as i32,
                    name: c.name.trim().to_string(),
                    description: c.description.trim().to_string(),
                    weight: c.weight,
                    min_score: c.min_score,
                    max_score: c.max_score,
                    levels: serde_json::to_string(&levels).unwrap_or_else(|_| "[]".into()),
                })
                .execute(conn)?;
        }
        let names: Vec<String> = input
            .criteria
            .iter()
            .map(|c| format!("{} ×{}", c.name.trim(), c.weight))
            .collect();
        crate::app::ideas::insert_event(
            conn,
            &rubric_event(
                &contest,
                who,
                "rubric_saved",
                format!("round {}: {}", round.round, names.join("; ")),
            ),
        )?;
        Ok(round)
    })
}

/// Starts a new round with a copy of the current round's rubric and settings, to be edited; only once the current
/// round is locked (an unlocked rubric is simply edited). Refused with `rubric_not_locked` otherwise, and with
/// `no_rubric` when there is none yet.
pub fn new_round(conn: &mut DbConn, who: &Principal, slug: &str) -> Result<Round, AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let Some((old, criteria)) = current(conn, &contest.id)? else {
            return Err(AppError::Rule("no_rubric"));
        };
        if old.locked_at.is_none() {
            return Err(AppError::Rule("rubric_not_locked"));
        }
        let round = Round {
            round: old.round + 1,
            locked_at: None,
            closed_at: None,
            created_at: now(),
            ..old
        };
        diesel::insert_into(review_rounds::table)
            .values(&round)
            .execute(conn)?;
        for c in criteria {
            diesel::insert_into(rubric_criteria::table)
                .values(&CriterionRow {
                    id: new_id(),
                    round: round.round,
                    ..c
                })
                .execute(conn)?;
        }
        crate::app::ideas::insert_event(
            conn,
            &rubric_event(
                &contest,
                who,
                "round_started",
                format!("round {}", round.round),
            ),
        )?;
        Ok(round)
    })
}

/// Locks the rubric of `round` (called when its first review is submitted, in that transaction). Does nothing if
/// it is locked already.
pub fn lock(conn: &mut DbConn, contest_id: &str, round: i32) -> Result<(), AppError> {
    diesel::update(
        review_rounds::table
            .filter(review_rounds::contest_id.eq(contest_id))
            .filter(review_rounds::round.eq(round))
            .filter(review_rounds::locked_at.is_null()),
    )
    .set(review_rounds::locked_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}
