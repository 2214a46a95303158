//! Reads for what the portal publishes beyond its pages: share cards, the sitemap, the feed of adopted ideas and the
//! open-data files. Long walks (the sitemap, open data) are keyset scans in ascending order on an index, read in
//! chunks, so the millionth idea costs what the first costs and new ideas only ever add pages at the end.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::ideas::Idea;
use super::schema::{adoptions, categories, contests, ideas, milestones, units};
use crate::domain::listing::Cursor;

/// A public idea with what its share card shows: the idea, its contest's title and whether the contest is blind.
pub fn card_idea(conn: &mut DbConn, id: &str) -> QueryResult<Option<(Idea, String, bool)>> {
    ideas::table
        .inner_join(contests::table)
        .filter(ideas::id.eq(id))
        .filter(ideas::is_public.eq(true))
        .select((Idea::as_select(), contests::title, contests::blind_review))
        .first(conn)
        .optional()
}

/// `$q` (a boxed query on `ideas`) from after the cursor `$after` in ascending `(listed_at, id)` order, at most
/// `$limit` rows. The leading `>=` of the keyset condition gives SQLite a range on the index (as in
/// `ideas::list_public`).
macro_rules! ascending_after {
    ($q:expr, $after:expr, $limit:expr) => {{
        let mut q = $q;
        if let Some(c) = $after {
            q = q.filter(
                ideas::listed_at.ge(c.listed_at).and(
                    ideas::listed_at
                        .gt(c.listed_at)
                        .or(ideas::id.gt(c.id.clone())),
                ),
            );
        }
        q.order((ideas::listed_at.asc(), ideas::id.asc()))
            .limit($limit)
    }};
}

/// The public ideas' keys from `offset` after `after` (oldest first), two of them: the sitemap index uses the
/// first as the last idea of a page and the second to know whether another page follows. The walk stays on the
/// `(is_public, listed_at, id)` index.
pub fn public_key_at(
    conn: &mut DbConn,
    after: Option<&Cursor>,
    offset: i64,
) -> QueryResult<Vec<Cursor>> {
    let q = ideas::table
        .filter(ideas::is_public.eq(true))
        .select((ideas::listed_at, ideas::id))
        .into_boxed();
    let rows: Vec<(Option<NaiveDateTime>, String)> =
        ascending_after!(q, after, 2).offset(offset).load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, id)| t.map(|listed_at| Cursor { listed_at, id }))
        .collect())
}

/// A public idea as the sitemap lists it.
#[derive(Debug, Clone, Queryable)]
pub struct SitemapIdea {
    /// Id.
    pub id: String,
    /// Listing time (the keyset's first part).
    pub listed_at: Option<NaiveDateTime>,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// Up to `limit` public ideas after `after`, oldest first.
pub fn public_ideas_after(
    conn: &mut DbConn,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<SitemapIdea>> {
    let q = ideas::table
        .filter(ideas::is_public.eq(true))
        .select((ideas::id, ideas::listed_at, ideas::updated_at))
        .into_boxed();
    ascending_after!(q, after, limit).load(conn)
}

/// A public idea with the names the open data gives it.
#[derive(Debug, Clone, Queryable)]
pub struct OpenIdeaRow {
    /// The idea (its author fields are never published).
    pub idea: Idea,
    /// Category slug.
    pub category_slug: String,
    /// Category, Vietnamese.
    pub category_vi: String,
    /// Category, English.
    pub category_en: String,
    /// Unit name.
    pub unit: String,
    /// Contest slug.
    pub contest_slug: String,
    /// Contest title.
    pub contest_title: String,
    /// Whether the contest reviews blind.
    pub blind: bool,
}

/// Up to `limit` public ideas after `after`, oldest first, with their names.
pub fn open_ideas_after(
    conn: &mut DbConn,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<OpenIdeaRow>> {
    let q = ideas::table
        .inner_join(categories::table)
        .inner_join(units::table)
        .inner_join(contests::table)
        .filter(ideas::is_public.eq(true))
        .select((
            Idea::as_select(),
            categories::slug,
            categories::name_vi,
            categories::name_en,
            units::name,
            contests::slug,
            contests::title,
            contests::blind_review,
        ))
        .into_boxed();
    ascending_after!(q, after, limit).load(conn)
}

/// How a public idea is being applied, everything the open data publishes of it.
#[derive(Debug, Clone)]
pub struct AdoptionRow {
    /// Responsible unit's name (its id as loaded, replaced by the name before it is returned).
    pub responsible_unit: String,
    /// Plan.
    pub plan: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// Latest update.
    pub latest_update: Option<String>,
    /// Started.
    pub started_at: NaiveDateTime,
    /// Last update.
    pub updated_at: NaiveDateTime,
    /// Planned start.
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    pub planned_end: Option<NaiveDate>,
    /// Ended (implemented or discontinued).
    pub ended_at: Option<NaiveDateTime>,
    /// Why it ended, when discontinued.
    pub end_reason: Option<String>,
}

/// An adopted public idea: the idea with its names, and its adoption.
#[derive(Debug, Clone)]
pub struct OpenAdoptedRow {
    /// The idea and its names.
    pub idea: OpenIdeaRow,
    /// The adoption.
    pub adoption: AdoptionRow,
}

/// One row of [`open_adopted_after`] as loaded (a flat select; nested ones do not load on both engines).
#[derive(Queryable)]
struct AdoptedFlat {
    idea: Idea,
    category_slug: String,
    category_vi: String,
    category_en: String,
    unit: String,
    contest_slug: String,
    contest_title: String,
    blind: bool,
    responsible_unit: String,
    plan: String,
    progress: i32,
    latest_update: Option<String>,
    started_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    planned_start: Option<NaiveDate>,
    planned_end: Option<NaiveDate>,
    ended_at: Option<NaiveDateTime>,
    end_reason: Option<String>,
}

impl AdoptedFlat {
    fn split(self) -> OpenAdoptedRow {
        OpenAdoptedRow {
            idea: OpenIdeaRow {
                idea: self.idea,
                category_slug: self.category_slug,
                category_vi: self.category_vi,
                category_en: self.category_en,
                unit: self.unit,
                contest_slug: self.contest_slug,
                contest_title: self.contest_title,
                blind: self.blind,
            },
            adoption: AdoptionRow {
                responsible_unit: self.responsible_unit,
                plan: self.plan,
                progress: self.progress,
                latest_update: self.latest_update,
                started_at: self.started_at,
                updated_at: self.updated_at,
                planned_start: self.planned_start,
                planned_end: self.planned_end,
                ended_at: self.ended_at,
                end_reason: self.end_reason,
            },
        }
    }
}

/// Up to `limit` adopted public ideas with an idea id after `after`, by idea id (the adoptions' primary key).
pub fn open_adopted_after(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OpenAdoptedRow>> {
    let mut q = adoptions::table
        .inner_join(
            ideas::table
                .inner_join(categories::table)
                .inner_join(units::table)
                .inner_join(contests::table),
        )
        .filter(ideas::is_public.eq(true))
        .select((
            Idea::as_select(),
            categories::slug,
            categories::name_vi,
            categories::name_en,
            units::name,
            contests::slug,
            contests::title,
            contests::blind_review,
            adoptions::responsible_unit_id,
            adoptions::plan,
            adoptions::progress,
            adoptions::latest_update,
            adoptions::started_at,
            adoptions::updated_at,
            adoptions::planned_start,
            adoptions::planned_end,
            adoptions::ended_at,
            adoptions::end_reason,
        ))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(adoptions::idea_id.gt(a.to_string()));
    }
    let flat: Vec<AdoptedFlat> = q.order(adoptions::idea_id.asc()).limit(limit).load(conn)?;
    let mut rows: Vec<OpenAdoptedRow> = flat.into_iter().map(AdoptedFlat::split).collect();
    // The responsible units by name: one more query beats joining `units` a second time under an alias.
    let unit_ids: Vec<String> = rows
        .iter()
        .map(|r| r.adoption.responsible_unit.clone())
        .collect();
    let names: std::collections::HashMap<String, String> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    for r in &mut rows {
        if let Some(n) = names.get(&r.adoption.responsible_unit) {
            r.adoption.responsible_unit = n.clone();
        }
    }
    Ok(rows)
}

/// A milestone of an adoption.
#[derive(Debug, Clone, Queryable)]
pub struct MilestoneRow {
    /// The idea.
    pub idea_id: String,
    /// When it happened.
    pub happened_on: NaiveDate,
    /// What happened.
    pub body: String,
    /// Progress after it, 0–100.
    pub progress: i32,
}

/// The milestones of `idea_ids`, each idea's in the order they happened.
pub fn milestones_of(conn: &mut DbConn, idea_ids: &[String]) -> QueryResult<Vec<MilestoneRow>> {
    if idea_ids.is_empty() {
        return Ok(Vec::new());
    }
    milestones::table
        .filter(milestones::idea_id.eq_any(idea_ids))
        .order((
            milestones::idea_id.asc(),
            milestones::happened_on.asc(),
            milestones::created_at.asc(),
        ))
        .select((
            milestones::idea_id,
            milestones::happened_on,
            milestones::body,
            milestones::progress,
        ))
        .load(conn)
}

/// An adopted public idea as the feed lists it.
#[derive(Debug, Clone, Queryable)]
pub struct FeedRow {
    /// The idea.
    pub idea: Idea,
    /// Contest title.
    pub contest_title: String,
    /// Whether the contest reviews blind.
    pub blind: bool,
    /// Responsible unit's name.
    pub responsible_unit: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// Latest update.
    pub latest_update: Option<String>,
    /// When application started.
    pub started_at: NaiveDateTime,
    /// Last update.
    pub updated_at: NaiveDateTime,
}

/// The `limit` most recently adopted public ideas, newest adoption first.
pub fn recently_adopted(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<FeedRow>> {
    adoptions::table
        .inner_join(ideas::table.inner_join(contests::table))
        .inner_join(units::table)
        .filter(ideas::is_public.eq(true))
        .order((adoptions::started_at.desc(), adoptions::idea_id.desc()))
        .limit(limit)
        .select((
            Idea::as_select(),
            contests::title,
            contests::blind_review,
            units::name,
            adoptions::progress,
            adoptions::latest_update,
            adoptions::started_at,
            adoptions::updated_at,
        ))
        .load(conn)
}
