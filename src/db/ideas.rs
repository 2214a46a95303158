//! Reading and writing ideas.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    adoptions, attachments, categories, contacts, contests, idea_coauthors, ideas, units, users,
};
use crate::domain::listing::Cursor;

/// An idea as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ideas)]
#[diesel(treat_none_as_default_value = false)]
pub struct Idea {
    /// UUID.
    pub id: String,
    /// Contest.
    pub contest_id: String,
    /// Category.
    pub category_id: String,
    /// Unit the idea belongs to.
    pub unit_id: String,
    /// Main author.
    pub author_id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Thực trạng.
    pub situation: String,
    /// Giải pháp.
    pub solution: String,
    /// Hiệu quả dự kiến.
    pub impact: String,
    /// Resources or cost.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// Status code (see `domain::status`).
    pub status: String,
    /// Derived public visibility.
    pub is_public: bool,
    /// Edit version.
    pub version: i32,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Last submitted.
    pub submitted_at: Option<NaiveDateTime>,
    /// Public sort key.
    pub listed_at: Option<NaiveDateTime>,
    /// The real author of an imported idea who has no account (`contacts`); `author_id` is then the organizer who
    /// entered it on their behalf.
    pub contact_id: Option<String>,
}

impl Idea {
    /// Whether `user_id` wrote this idea: its author, unless the organizer only entered it for a named contact. The
    /// same rule in SQL is `db::submissions::written_by`.
    pub fn is_written_by(&self, user_id: &str) -> bool {
        self.author_id == user_id && self.contact_id.is_none()
    }
}

/// One row of a public list, with the names it shows (ideas joined to categories, units and contests).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ideas)]
pub struct ListRow {
    /// UUID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Status code.
    pub status: String,
    /// Listing time (never NULL for public ideas).
    pub listed_at: Option<NaiveDateTime>,
    /// Category slug.
    #[diesel(select_expression = categories::slug)]
    pub category_slug: String,
    /// Category name in Vietnamese.
    #[diesel(select_expression = categories::name_vi)]
    pub category_name_vi: String,
    /// Category name in English.
    #[diesel(select_expression = categories::name_en)]
    pub category_name_en: String,
    /// Unit slug.
    #[diesel(select_expression = units::slug)]
    pub unit_slug: String,
    /// Unit name.
    #[diesel(select_expression = units::name)]
    pub unit_name: String,
    /// Contest slug.
    #[diesel(select_expression = contests::slug)]
    pub contest_slug: String,
    /// Contest title.
    #[diesel(select_expression = contests::title)]
    pub contest_title: String,
}

/// Filters of a public list, resolved to ids.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Contest id.
    pub contest_id: Option<String>,
    /// Category id.
    pub category_id: Option<String>,
    /// Unit ids (a unit and its subtree).
    pub unit_ids: Option<Vec<String>>,
    /// Status code.
    pub status: Option<&'static str>,
}

/// One page of public ideas, newest first, starting after `cursor`; returns up to `limit + 1` rows so the caller
/// knows whether there is a next page. A keyset scan on `(listed_at, id)`: page 45,000 costs what page 1 costs.
pub fn list_public(
    conn: &mut DbConn,
    filter: &ListFilter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> QueryResult<Vec<ListRow>> {
    let mut q = ideas::table
        .inner_join(categories::table)
        .inner_join(units::table)
        .inner_join(contests::table)
        .filter(ideas::is_public.eq(true))
        .select(ListRow::as_select())
        .into_boxed();
    if let Some(c) = &filter.contest_id {
        q = q.filter(ideas::contest_id.eq(c.clone()));
    }
    if let Some(c) = &filter.category_id {
        q = q.filter(ideas::category_id.eq(c.clone()));
    }
    if let Some(u) = &filter.unit_ids {
        q = match u.as_slice() {
            [one] => q.filter(ideas::unit_id.eq(one.clone())),
            many => q.filter(ideas::unit_id.eq_any(many.to_vec())),
        };
    }
    if let Some(s) = filter.status {
        q = q.filter(ideas::status.eq(s));
    }
    if let Some(c) = cursor {
        // `listed_at <= t AND (listed_at < t OR id < last)`: the same rows as the tuple comparison, but the leading
        // `<=` gives SQLite a range on the index; the plain OR form made it walk the index from the top (a page
        // 900,000 rows down took 0.4 s instead of a millisecond).
        q = q.filter(
            ideas::listed_at.le(c.listed_at).and(
                ideas::listed_at
                    .lt(c.listed_at)
                    .or(ideas::id.lt(c.id.clone())),
            ),
        );
    }
    q.order((ideas::listed_at.desc(), ideas::id.desc()))
        .limit(i64::from(limit) + 1)
        .load(conn)
}

/// The list rows of the public ideas `ids`, in the order given (ids that are not public are left out).
pub fn list_rows_by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<ListRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Visibility is checked on the loaded rows, not in SQL: with `is_public = 1` beside `id IN (…)`, SQLite's
    // planner (without statistics) walked the index led by is_public, every public idea, instead of 20 lookups by
    // id: 250 ms at a million ideas instead of well under one.
    let rows: Vec<(ListRow, bool)> = ideas::table
        .inner_join(categories::table)
        .inner_join(units::table)
        .inner_join(contests::table)
        .filter(ideas::id.eq_any(ids.to_vec()))
        .select((ListRow::as_select(), ideas::is_public))
        .load(conn)?;
    let mut by_id: std::collections::HashMap<String, ListRow> = rows
        .into_iter()
        .filter(|(_, public)| *public)
        .map(|(r, _)| (r.id.clone(), r))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// An idea with everything its public page shows.
#[derive(Debug, Clone)]
pub struct IdeaDetail {
    /// The idea.
    pub idea: Idea,
    /// Category.
    pub category: super::catalog::Category,
    /// Unit.
    pub unit: super::catalog::Unit,
    /// Contest.
    pub contest: super::catalog::Contest,
    /// Author and co-authors' display names, author first.
    pub author_names: Vec<String>,
    /// Number of attachments.
    pub attachment_count: i64,
}

/// A public idea by id; `None` when it does not exist or is not public.
pub fn public_detail(conn: &mut DbConn, id: &str) -> QueryResult<Option<IdeaDetail>> {
    use super::catalog::{Category, Contest, Unit};
    let found = ideas::table
        .inner_join(categories::table)
        .inner_join(units::table)
        .inner_join(contests::table)
        .filter(ideas::id.eq(id))
        .filter(ideas::is_public.eq(true))
        .select((
            Idea::as_select(),
            Category::as_select(),
            Unit::as_select(),
            Contest::as_select(),
        ))
        .first::<(Idea, Category, Unit, Contest)>(conn)
        .optional()?;
    let Some((idea, category, unit, contest)) = found else {
        return Ok(None);
    };
    // An idea entered for a named contact shows the contact, not the organizer who entered it.
    let mut author_names: Vec<String> = match &idea.contact_id {
        Some(contact) => contacts::table
            .find(contact)
            .select(contacts::name)
            .load(conn)?,
        None => users::table
            .find(&idea.author_id)
            .select(users::display_name)
            .load(conn)?,
    };
    let coauthors: Vec<String> = idea_coauthors::table
        .inner_join(users::table)
        .filter(idea_coauthors::idea_id.eq(&idea.id))
        .order(idea_coauthors::added_at.asc())
        .select(users::display_name)
        .load(conn)?;
    author_names.extend(coauthors);
    // A contact imported with an email only has no name to show (the email is personal data).
    author_names.retain(|n| !n.is_empty());
    let attachment_count = attachments::table
        .filter(attachments::idea_id.eq(&idea.id))
        .count()
        .get_result(conn)?;
    Ok(Some(IdeaDetail {
        idea,
        category,
        unit,
        contest,
        author_names,
        attachment_count,
    }))
}

/// An adopted idea for the home page's showcase.
#[derive(Debug, Clone, Queryable)]
pub struct AdoptedRow {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// Responsible unit's name.
    pub responsible_unit: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// Latest update.
    pub latest_update: Option<String>,
}

/// The most recently updated adopted ideas.
pub fn recent_adopted(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<AdoptedRow>> {
    let all = super::adoption::AdoptedFilter::default();
    Ok(super::adoption::list_adopted(conn, &all, 0, limit)?
        .into_iter()
        .map(|a| AdoptedRow {
            id: a.id,
            title: a.title,
            status: a.status,
            responsible_unit: a.responsible_unit,
            progress: a.progress,
            latest_update: a.latest_update,
        })
        .collect())
}

/// A co-author of an idea.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = idea_coauthors)]
pub struct Coauthor {
    /// Idea.
    pub idea_id: String,
    /// Co-author's account.
    pub user_id: String,
    /// When added.
    pub added_at: NaiveDateTime,
}

/// How a selected idea is applied, as stored.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = adoptions)]
#[diesel(treat_none_as_default_value = false)]
pub struct Adoption {
    /// Idea.
    pub idea_id: String,
    /// Responsible unit.
    pub responsible_unit_id: String,
    /// Plan.
    pub plan: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// Latest milestone update.
    pub latest_update: Option<String>,
    /// Started.
    pub started_at: NaiveDateTime,
    /// Last update.
    pub updated_at: NaiveDateTime,
    /// Planned start.
    pub planned_start: Option<chrono::NaiveDate>,
    /// Planned end.
    pub planned_end: Option<chrono::NaiveDate>,
    /// When it ended (implemented or discontinued).
    pub ended_at: Option<NaiveDateTime>,
    /// Why it was discontinued.
    pub end_reason: Option<String>,
}

/// How many of a contest's ideas are public.
pub fn count_public_in_contest(conn: &mut DbConn, contest_id: &str) -> QueryResult<i64> {
    ideas::table
        .filter(ideas::contest_id.eq(contest_id))
        .filter(ideas::is_public.eq(true))
        .count()
        .get_result(conn)
}
