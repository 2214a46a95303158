//! Queries of adoption tracking: the public showcase of adopted ideas (`/adopted`) and an idea's timeline of
//! milestones with their photos.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{adoptions, ideas, milestone_photos, milestones, units};
use crate::domain::adoption::ProgressBand;

/// What `/adopted` is filtered by (ids resolved from the slugs in the request).
#[derive(Debug, Clone, Default)]
pub struct AdoptedFilter {
    /// Only this contest.
    pub contest_id: Option<String>,
    /// Only this category.
    pub category_id: Option<String>,
    /// Only ideas applied by one of these units (a unit and its subtree).
    pub unit_ids: Option<Vec<String>>,
    /// Only progress in this band.
    pub band: Option<ProgressBand>,
}

/// An adopted idea in the showcase.
#[derive(Debug, Clone, Queryable)]
pub struct AdoptedItem {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Status code (`in_implementation`, `implemented`, `discontinued`).
    pub status: String,
    /// The idea's contest.
    pub contest_id: String,
    /// The idea's category.
    pub category_id: String,
    /// The responsible unit's name.
    pub responsible_unit: String,
    /// The responsible unit's slug.
    pub responsible_unit_slug: String,
    /// The plan.
    pub plan: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// The latest milestone's text.
    pub latest_update: Option<String>,
    /// When the application started.
    pub started_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Planned start.
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    pub planned_end: Option<NaiveDate>,
    /// When it ended (implemented or discontinued).
    pub ended_at: Option<NaiveDateTime>,
    /// Why it was discontinued.
    pub end_reason: Option<String>,
}

/// The columns of an [`AdoptedItem`], in its order.
macro_rules! adopted_columns {
    () => {
        (
            ideas::id,
            ideas::title,
            ideas::summary,
            ideas::status,
            ideas::contest_id,
            ideas::category_id,
            units::name,
            units::slug,
            adoptions::plan,
            adoptions::progress,
            adoptions::latest_update,
            adoptions::started_at,
            adoptions::updated_at,
            adoptions::planned_start,
            adoptions::planned_end,
            adoptions::ended_at,
            adoptions::end_reason,
        )
    };
}

/// A value bound to a placeholder of [`matching_sql`].
enum Bind {
    Text(String),
    Int(i32),
    Big(i64),
}

/// The SQL that picks the adoptions whose idea is public and matches `filter` (`what` is the select list), with its
/// binds. It reads from `adoptions` and checks each one's idea with `EXISTS`: adopted ideas are few beside all
/// ideas, and a join let SQLite's planner (which has no statistics to tell the tables' sizes) read all the ideas
/// first, 200 ms at a million ideas for a handful of adoptions.
fn matching_sql(what: &str, filter: &AdoptedFilter) -> (String, Vec<Bind>) {
    let mut binds = Vec::new();
    let param = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut sql = format!(
        "SELECT {what} FROM adoptions a WHERE EXISTS (SELECT 1 FROM ideas i WHERE i.id = a.idea_id AND i.is_public"
    );
    if let Some(c) = &filter.contest_id {
        sql += &format!(
            " AND i.contest_id = {}",
            param(Bind::Text(c.clone()), &mut binds)
        );
    }
    if let Some(c) = &filter.category_id {
        sql += &format!(
            " AND i.category_id = {}",
            param(Bind::Text(c.clone()), &mut binds)
        );
    }
    sql += ")";
    if let Some(units) = &filter.unit_ids {
        let list: Vec<String> = units
            .iter()
            .map(|u| param(Bind::Text(u.clone()), &mut binds))
            .collect();
        if list.is_empty() {
            sql += " AND 1 = 0";
        } else {
            sql += &format!(" AND a.responsible_unit_id IN ({})", list.join(", "));
        }
    }
    if let Some(b) = filter.band {
        let (lo, hi) = b.range();
        let lo = param(Bind::Int(lo), &mut binds);
        let hi = param(Bind::Int(hi), &mut binds);
        sql += &format!(" AND a.progress BETWEEN {lo} AND {hi}");
    }
    (sql, binds)
}

/// Runs [`matching_sql`]'s query with its binds on either engine.
macro_rules! load_matching {
    ($conn:expr, $backend:ty, $sql:expr, $binds:expr) => {{
        let mut q = diesel::sql_query($sql).into_boxed::<$backend>();
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind::<diesel::sql_types::Text, _>(s.clone()),
                Bind::Int(i) => q.bind::<diesel::sql_types::Integer, _>(*i),
                Bind::Big(i) => q.bind::<diesel::sql_types::BigInt, _>(*i),
            };
        }
        q.load($conn)
    }};
}

fn load<R>(conn: &mut DbConn, sql: &str, binds: &[Bind]) -> QueryResult<Vec<R>>
where
    R: 'static
        + diesel::QueryableByName<diesel::sqlite::Sqlite>
        + diesel::QueryableByName<diesel::pg::Pg>,
{
    match conn {
        DbConn::Sqlite(c) => load_matching!(c, diesel::sqlite::Sqlite, sql, binds),
        DbConn::Postgres(c) => load_matching!(c, diesel::pg::Pg, sql, binds),
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    idea_id: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A page of adopted public ideas matching `filter`, most recently updated first.
pub fn list_adopted(
    conn: &mut DbConn,
    filter: &AdoptedFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AdoptedItem>> {
    let (mut sql, mut binds) = matching_sql("a.idea_id", filter);
    binds.push(Bind::Big(limit));
    binds.push(Bind::Big(offset));
    sql += &format!(
        " ORDER BY a.updated_at DESC, a.idea_id LIMIT ${} OFFSET ${}",
        binds.len() - 1,
        binds.len()
    );
    let ids: Vec<String> = load::<IdRow>(conn, &sql, &binds)?
        .into_iter()
        .map(|r| r.idea_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut items: Vec<AdoptedItem> = adoptions::table
        .inner_join(ideas::table)
        .inner_join(units::table)
        .filter(adoptions::idea_id.eq_any(&ids))
        .select(adopted_columns!())
        .load(conn)?;
    items.sort_by_key(|i| ids.iter().position(|id| *id == i.id));
    Ok(items)
}

/// How many adopted public ideas match `filter`.
pub fn count_adopted(conn: &mut DbConn, filter: &AdoptedFilter) -> QueryResult<i64> {
    let (sql, binds) = matching_sql("COUNT(*) AS n", filter);
    Ok(load::<CountRow>(conn, &sql, &binds)?
        .first()
        .map_or(0, |r| r.n))
}

/// The adoption of one idea, if it has one (public or not: callers check).
pub fn adoption_of(conn: &mut DbConn, idea_id: &str) -> QueryResult<Option<AdoptedItem>> {
    adoptions::table
        .inner_join(ideas::table)
        .inner_join(units::table)
        .filter(adoptions::idea_id.eq(idea_id))
        .select(adopted_columns!())
        .first(conn)
        .optional()
}

/// A milestone as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = milestones)]
#[diesel(treat_none_as_default_value = false)]
pub struct MilestoneRow {
    /// UUID.
    pub id: String,
    /// The adopted idea.
    pub idea_id: String,
    /// When it happened.
    pub happened_on: NaiveDate,
    /// What was done.
    pub body: String,
    /// Progress after it.
    pub progress: i32,
    /// The organizer who recorded it.
    pub author_id: Option<String>,
    /// When it was recorded.
    pub created_at: NaiveDateTime,
}

/// A photo of a milestone as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = milestone_photos)]
pub struct PhotoRow {
    /// UUID.
    pub id: String,
    /// The milestone.
    pub milestone_id: String,
    /// Display name.
    pub file_name: String,
    /// Recognised media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where the bytes are.
    pub storage_key: String,
    /// When stored.
    pub created_at: NaiveDateTime,
}

/// An idea's milestones, latest first, each with its photos.
pub fn timeline(
    conn: &mut DbConn,
    idea_id: &str,
) -> QueryResult<Vec<(MilestoneRow, Vec<PhotoRow>)>> {
    let rows: Vec<MilestoneRow> = milestones::table
        .filter(milestones::idea_id.eq(idea_id))
        .order((
            milestones::happened_on.desc(),
            milestones::created_at.desc(),
        ))
        .select(MilestoneRow::as_select())
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|m| m.id.as_str()).collect();
    let photos: Vec<PhotoRow> = milestone_photos::table
        .filter(milestone_photos::milestone_id.eq_any(&ids))
        .order(milestone_photos::created_at.asc())
        .select(PhotoRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let mine = photos
                .iter()
                .filter(|p| p.milestone_id == m.id)
                .cloned()
                .collect();
            (m, mine)
        })
        .collect())
}

/// A milestone photo with whether its idea is public.
pub fn photo(conn: &mut DbConn, id: &str) -> QueryResult<Option<(PhotoRow, bool)>> {
    milestone_photos::table
        .inner_join(milestones::table.inner_join(adoptions::table.inner_join(ideas::table)))
        .filter(milestone_photos::id.eq(id))
        .select((PhotoRow::as_select(), ideas::is_public))
        .first(conn)
        .optional()
}
