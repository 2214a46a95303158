//! Units, categories and contests: the small tables every page names things from.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::DbConn;
use super::schema::{categories, contest_categories, contests, units};

/// A node of the unit tree (city, district, ward, school, branch).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = units)]
pub struct Unit {
    /// UUID.
    pub id: String,
    /// The unit above, if any.
    pub parent_id: Option<String>,
    /// URL name, unique.
    pub slug: String,
    /// Display name ("Phường 4").
    pub name: String,
    /// `city`, `district`, `ward`, `school` or `branch`.
    pub kind: String,
    /// Materialised path of ids, `/root/…/self/`.
    pub path: String,
    /// When it was created.
    pub created_at: NaiveDateTime,
}

/// An idea category with its Vietnamese and English names.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = categories)]
pub struct Category {
    /// UUID.
    pub id: String,
    /// URL name ("giao-thong").
    pub slug: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Sort order.
    pub position: i32,
}

impl Category {
    /// The name in `lang` ("vi" or "en").
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.name_en
        } else {
            &self.name_vi
        }
    }
}

/// A contest run by a unit.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = contests)]
pub struct Contest {
    /// UUID.
    pub id: String,
    /// The organizing unit.
    pub unit_id: String,
    /// URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Rules, as written by the organizers.
    pub rules: String,
    /// Submissions open (UTC).
    pub opens_at: NaiveDateTime,
    /// Submissions close (UTC).
    pub closes_at: NaiveDateTime,
    /// Ideas one member may submit.
    pub max_ideas_per_member: i32,
    /// Whether ideas are public once submitted.
    pub ideas_public: bool,
    /// Whether reviewers see ideas without their authors.
    pub blind_review: bool,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

impl Contest {
    /// Whether submissions are open at `now` (UTC).
    pub fn is_open_at(&self, now: NaiveDateTime) -> bool {
        self.opens_at <= now && now < self.closes_at
    }
}

/// A category's place in a contest.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = contest_categories)]
pub struct ContestCategory {
    /// Contest.
    pub contest_id: String,
    /// Category.
    pub category_id: String,
    /// Sort order in the contest.
    pub position: i32,
}

/// Every unit: higher levels first, then by name with numbers in numeric order ("Phường 2" before "Phường 10").
pub fn all_units(conn: &mut DbConn) -> QueryResult<Vec<Unit>> {
    let mut all = units::table.select(Unit::as_select()).load(conn)?;
    all.sort_by_cached_key(|u| (u.path.matches('/').count(), natural_key(&u.name)));
    Ok(all)
}

/// A sort key that compares runs of digits as numbers.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for ch in name.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            if !digits.is_empty() {
                key.push((
                    std::mem::take(&mut text),
                    digits.parse().unwrap_or(u64::MAX),
                ));
                digits.clear();
            }
            text.push(ch);
        }
    }
    key.push((text, digits.parse().unwrap_or(0)));
    key
}

/// The unit with this slug.
pub fn unit_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Unit>> {
    units::table
        .filter(units::slug.eq(slug))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

/// The ids of a unit and every unit below it.
pub fn subtree_ids(conn: &mut DbConn, unit: &Unit) -> QueryResult<Vec<String>> {
    units::table
        .filter(
            units::path
                .like(format!("{}%", escape_like(&unit.path)))
                .escape('\\'),
        )
        .select(units::id)
        .load(conn)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Every category, in order.
pub fn all_categories(conn: &mut DbConn) -> QueryResult<Vec<Category>> {
    categories::table
        .select(Category::as_select())
        .order(categories::position.asc())
        .load(conn)
}

/// The category with this slug.
pub fn category_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::slug.eq(slug))
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// A contest's categories, in the contest's order.
pub fn contest_categories_of(conn: &mut DbConn, contest_id: &str) -> QueryResult<Vec<Category>> {
    contest_categories::table
        .inner_join(categories::table)
        .filter(contest_categories::contest_id.eq(contest_id))
        .order(contest_categories::position.asc())
        .select(Category::as_select())
        .load(conn)
}

/// Every contest, latest closing first.
pub fn all_contests(conn: &mut DbConn) -> QueryResult<Vec<Contest>> {
    contests::table
        .select(Contest::as_select())
        .order((contests::closes_at.desc(), contests::id.asc()))
        .load(conn)
}

/// Contests open for submissions at `now`, closing soonest first.
pub fn open_contests(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<Contest>> {
    contests::table
        .filter(contests::opens_at.le(now))
        .filter(contests::closes_at.gt(now))
        .select(Contest::as_select())
        .order(contests::closes_at.asc())
        .load(conn)
}

/// The contest with this slug.
pub fn contest_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Contest>> {
    contests::table
        .filter(contests::slug.eq(slug))
        .select(Contest::as_select())
        .first(conn)
        .optional()
}

/// The unit with this id.
pub fn unit_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Unit>> {
    units::table
        .find(id)
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

/// The contest with this id.
pub fn contests_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Contest>> {
    contests::table
        .find(id)
        .select(Contest::as_select())
        .first(conn)
        .optional()
}

/// The category with this id.
pub fn category_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Category>> {
    categories::table
        .find(id)
        .select(Category::as_select())
        .first(conn)
        .optional()
}
