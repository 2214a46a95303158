//! Organizers create and edit the contests of their unit's subtree.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Asia::Ho_Chi_Minh;
use diesel::prelude::*;
use serde::Deserialize;

use crate::access::{Principal, Scope, admin_scope};
use crate::db::catalog::{self, Category, Contest, ContestCategory, Unit};
use crate::db::schema::{categories, contest_categories, contests};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// A contest as an organizer fills it in. Times are local to Vietnam (`YYYY-MM-DDTHH:MM`, as a
/// `datetime-local` field sends them) and stored in UTC.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ContestInput {
    /// Title (5–150 characters, not counting white space around it).
    #[serde(default)]
    #[schema(required = true, pattern = r"^\s*\S.{3,148}\S\s*$")]
    pub title: String,
    /// URL name: 3–80 lower-case letters, digits and hyphens, unique (`409 slug_taken`); not starting or ending
    /// with a hyphen.
    #[serde(default)]
    #[schema(required = true, pattern = "^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")]
    pub slug: String,
    /// The organizing unit's slug (within the organizer's subtree; `422 unknown_unit`, `unit_out_of_scope`).
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 100)]
    pub unit: String,
    /// Description (up to 5,000 characters).
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// Rules (up to 20,000 characters).
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub rules: String,
    /// Submissions open, Vietnam time (the document's pattern leaves out the 29th–31st, which are accepted when the
    /// month has them).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?\s*$"
    )]
    pub opens_at: String,
    /// Submissions close, Vietnam time, after the opening (`422 closes_before_opens`).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?\s*$"
    )]
    pub closes_at: String,
    /// Ideas one member may submit (1–50), as a number or text.
    #[serde(default, deserialize_with = "number_or_text")]
    #[schema(value_type = u32, required = true, minimum = 1, maximum = 50)]
    pub max_ideas_per_member: String,
    /// Whether submitted ideas are public.
    #[serde(default)]
    pub ideas_public: bool,
    /// Whether review is blind.
    #[serde(default)]
    pub blind_review: bool,
    /// Slugs of existing categories to use.
    #[serde(default)]
    pub categories: Vec<String>,
    /// New categories, one per line: `Tên tiếng Việt | English name`.
    #[serde(default)]
    pub new_categories: String,
}

/// Reads a JSON number or string as text (forms send text, API clients numbers).
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Parses a Vietnam-time `YYYY-MM-DDTHH:MM` (or with seconds, or a space) into UTC.
pub fn parse_local(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim().replace(' ', "T");
    let naive = NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Ho_Chi_Minh
        .from_local_datetime(&naive)
        .single()
        .map(|dt| dt.naive_utc())
}

/// A UTC time as the `datetime-local` value of a form (Vietnam time).
pub fn to_local_input(t: NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&Ho_Chi_Minh)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn slug_ok(s: &str) -> bool {
    (3..=80).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A URL name from a Vietnamese name ("An toàn thực phẩm" → "an-toan-thuc-pham").
pub fn slugify(name: &str) -> String {
    crate::domain::text::fold(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
}

/// A checked contest, ready to store.
struct Checked {
    title: String,
    slug: String,
    unit: Unit,
    description: String,
    rules: String,
    opens_at: NaiveDateTime,
    closes_at: NaiveDateTime,
    max_ideas: i32,
    ideas_public: bool,
    blind_review: bool,
    categories: Vec<Category>,
    new_categories: Vec<(String, String)>,
}

fn in_scope(conn: &mut DbConn, who: &Principal, unit: &Unit) -> Result<bool, AppError> {
    Ok(match admin_scope(who) {
        Scope::Everything => true,
        Scope::Nothing => false,
        Scope::Subtree(root) => {
            catalog::unit_by_id(conn, &root)?.is_some_and(|r| unit.path.starts_with(&r.path))
        }
    })
}

fn check(
    conn: &mut DbConn,
    who: &Principal,
    input: &ContestInput,
    current: Option<&Contest>,
) -> Result<Checked, AppError> {
    let mut problems = Vec::new();
    let title = input.title.trim().to_string();
    if !(5..=150).contains(&title.chars().count()) {
        problems.push(
            FieldError::new("title", "length")
                .with("min", 5)
                .with("max", 150),
        );
    }
    let slug = input.slug.trim().to_lowercase();
    if !slug_ok(&slug) {
        problems.push(FieldError::new("slug", "slug"));
    } else if catalog::contest_by_slug(conn, &slug)?
        .is_some_and(|c| Some(&c.id) != current.map(|c| &c.id))
    {
        problems.push(FieldError::new("slug", "slug_taken"));
    }
    let unit = catalog::unit_by_slug(conn, input.unit.trim())?;
    match &unit {
        None => problems.push(FieldError::new("unit", "unknown_unit")),
        Some(u) if !in_scope(conn, who, u)? => {
            problems.push(FieldError::new("unit", "unit_out_of_scope"))
        }
        Some(_) => {}
    }
    if input.description.chars().count() > 5000 {
        problems.push(FieldError::new("description", "too_long").with("max", 5000));
    }
    if input.rules.chars().count() > 20000 {
        problems.push(FieldError::new("rules", "too_long").with("max", 20000));
    }
    let opens = parse_local(&input.opens_at);
    let closes = parse_local(&input.closes_at);
    if opens.is_none() {
        problems.push(FieldError::new("opens_at", "datetime"));
    }
    if closes.is_none() {
        problems.push(FieldError::new("closes_at", "datetime"));
    }
    if let (Some(o), Some(c)) = (opens, closes)
        && c <= o
    {
        problems.push(FieldError::new("closes_at", "closes_before_opens"));
    }
    let max_ideas = match input.max_ideas_per_member.trim().parse::<i32>() {
        Ok(n) if (1..=50).contains(&n) => n,
        _ => {
            problems.push(
                FieldError::new("max_ideas_per_member", "range")
                    .with("min", 1)
                    .with("max", 50),
            );
            0
        }
    };
    let mut chosen = Vec::new();
    for slug in input
        .categories
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match catalog::category_by_slug(conn, slug)? {
            Some(c) if !chosen.iter().any(|x: &Category| x.id == c.id) => chosen.push(c),
            Some(_) => {}
            None => problems.push(FieldError::new("categories", "unknown_category")),
        }
    }
    let mut new_categories = Vec::new();
    for line in input
        .new_categories
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (vi, en) = match line.split_once('|') {
            Some((v, e)) => (v.trim(), e.trim()),
            None => (line, line),
        };
        if vi.is_empty()
            || vi.chars().count() > 80
            || en.chars().count() > 80
            || slugify(vi).len() < 2
        {
            problems.push(FieldError::new("new_categories", "category_line"));
        } else {
            new_categories.push((
                vi.to_string(),
                if en.is_empty() {
                    vi.to_string()
                } else {
                    en.to_string()
                },
            ));
        }
    }
    if chosen.is_empty() && new_categories.is_empty() {
        problems.push(FieldError::new("categories", "no_category"));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let (Some(unit), Some(opens_at), Some(closes_at)) = (unit, opens, closes) else {
        return Err(AppError::Internal("contest check".into()));
    };
    Ok(Checked {
        title,
        slug,
        unit,
        description: input.description.trim().into(),
        rules: input.rules.trim().into(),
        opens_at,
        closes_at,
        max_ideas,
        ideas_public: input.ideas_public,
        blind_review: input.blind_review,
        categories: chosen,
        new_categories,
    })
}

/// Writes the contest's categories: the chosen ones, then new ones (an existing category with the same URL name is
/// reused, so two contests' "An toàn thực phẩm" are one category in statistics).
fn write_categories(conn: &mut DbConn, contest_id: &str, c: &Checked) -> Result<(), AppError> {
    diesel::delete(contest_categories::table.filter(contest_categories::contest_id.eq(contest_id)))
        .execute(conn)?;
    let mut all = c.categories.clone();
    for (vi, en) in &c.new_categories {
        let slug = slugify(vi);
        let category = match catalog::category_by_slug(conn, &slug)? {
            Some(existing) => existing,
            None => {
                let position: i64 = categories::table.count().get_result(conn)?;
                let cat = Category {
                    id: new_id(),
                    slug,
                    name_vi: vi.clone(),
                    name_en: en.clone(),
                    position: position as i32,
                };
                diesel::insert_into(categories::table)
                    .values(&cat)
                    .execute(conn)?;
                cat
            }
        };
        if !all.iter().any(|x| x.id == category.id) {
            all.push(category);
        }
    }
    for (i, cat) in all.iter().enumerate() {
        diesel::insert_into(contest_categories::table)
            .values(&ContestCategory {
                contest_id: contest_id.into(),
                category_id: cat.id.clone(),
                position: i as i32,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Creates a contest in a unit of the organizer's subtree.
pub fn create(
    conn: &mut DbConn,
    who: &Principal,
    input: &ContestInput,
) -> Result<Contest, AppError> {
    let c = check(conn, who, input, None)?;
    write_tx(conn, |conn| {
        let now = now();
        let contest = Contest {
            id: new_id(),
            unit_id: c.unit.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            rules: c.rules.clone(),
            opens_at: c.opens_at,
            closes_at: c.closes_at,
            max_ideas_per_member: c.max_ideas,
            ideas_public: c.ideas_public,
            blind_review: c.blind_review,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(contests::table)
            .values(&contest)
            .execute(conn)?;
        write_categories(conn, &contest.id, &c)?;
        Ok(contest)
    })
}

/// Edits a contest the organizer's scope covers (both its current unit and the new one).
pub fn update(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    input: &ContestInput,
) -> Result<Contest, AppError> {
    let current = managed(conn, who, slug)?;
    let c = check(conn, who, input, Some(&current))?;
    write_tx(conn, |conn| {
        diesel::update(contests::table.find(&current.id))
            .set((
                contests::unit_id.eq(&c.unit.id),
                contests::slug.eq(&c.slug),
                contests::title.eq(&c.title),
                contests::description.eq(&c.description),
                contests::rules.eq(&c.rules),
                contests::opens_at.eq(c.opens_at),
                contests::closes_at.eq(c.closes_at),
                contests::max_ideas_per_member.eq(c.max_ideas),
                contests::ideas_public.eq(c.ideas_public),
                contests::blind_review.eq(c.blind_review),
                contests::updated_at.eq(now()),
            ))
            .execute(conn)?;
        write_categories(conn, &current.id, &c)?;
        catalog::contests_by_id(conn, &current.id)?.ok_or(AppError::NotFound("contest"))
    })
}

/// A contest the organizer's scope covers: "not found" if there is no such contest, "forbidden" if it belongs to a
/// unit outside their subtree.
pub fn managed(conn: &mut DbConn, who: &Principal, slug: &str) -> Result<Contest, AppError> {
    let contest = catalog::contest_by_slug(conn, slug)?.ok_or(AppError::NotFound("contest"))?;
    let unit = catalog::unit_by_id(conn, &contest.unit_id)?.ok_or(AppError::NotFound("contest"))?;
    if !in_scope(conn, who, &unit)? {
        return Err(AppError::Forbidden);
    }
    Ok(contest)
}

/// The contests an organizer may manage, latest closing first.
pub fn manageable(conn: &mut DbConn, who: &Principal) -> Result<Vec<Contest>, AppError> {
    let all = catalog::all_contests(conn)?;
    let mut out = Vec::new();
    for c in all {
        if let Some(u) = catalog::unit_by_id(conn, &c.unit_id)?
            && in_scope(conn, who, &u)?
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// The units an organizer may run contests for (their subtree; everything for administrators).
pub fn units_in_scope(conn: &mut DbConn, who: &Principal) -> Result<Vec<Unit>, AppError> {
    let mut out = Vec::new();
    for u in catalog::all_units(conn)? {
        if in_scope(conn, who, &u)? {
            out.push(u);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_vietnam_time() {
        let t = parse_local("2027-01-31T23:59").unwrap();
        assert_eq!(t.to_string(), "2027-01-31 16:59:00");
        assert_eq!(to_local_input(t), "2027-01-31T23:59");
        assert!(parse_local("31/01/2027").is_none());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("An toàn thực phẩm"), "an-toan-thuc-pham");
        assert_eq!(slugify("Đô thị xanh!"), "do-thi-xanh");
        assert!(slug_ok("sang-tao-tre-2027"));
        assert!(!slug_ok("Sang tao"));
        assert!(!slug_ok("-ab"));
    }
}
