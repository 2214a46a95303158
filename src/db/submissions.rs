//! The author's side of ideas: writing, versions, idempotency keys, and the author's own lists.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::ideas::Idea;
use super::schema::{
    categories, contests, idea_coauthors, idea_versions, ideas, idempotency_keys, users,
};

/// Stores a new idea.
pub fn insert_idea(conn: &mut DbConn, idea: &Idea) -> QueryResult<()> {
    diesel::insert_into(ideas::table)
        .values(idea)
        .execute(conn)
        .map(|_| ())
}

/// An idea by id, whatever its status.
pub fn idea_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Idea>> {
    ideas::table
        .find(id)
        .select(Idea::as_select())
        .first(conn)
        .optional()
}

/// Writes an idea's text, status, visibility and version.
pub fn save_idea(conn: &mut DbConn, idea: &Idea) -> QueryResult<()> {
    diesel::update(ideas::table.find(&idea.id))
        .set((
            ideas::category_id.eq(&idea.category_id),
            ideas::title.eq(&idea.title),
            ideas::summary.eq(&idea.summary),
            ideas::situation.eq(&idea.situation),
            ideas::solution.eq(&idea.solution),
            ideas::impact.eq(&idea.impact),
            ideas::resources.eq(&idea.resources),
            ideas::applies_where.eq(&idea.applies_where),
            ideas::status.eq(&idea.status),
            ideas::is_public.eq(idea.is_public),
            ideas::version.eq(idea.version),
            ideas::updated_at.eq(idea.updated_at),
            ideas::submitted_at.eq(idea.submitted_at),
            ideas::listed_at.eq(idea.listed_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A submitted version of an idea, as kept.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idea_versions)]
pub struct IdeaVersion {
    /// Idea.
    pub idea_id: String,
    /// 1 for the first submission, then one more per edit.
    pub version: i32,
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
    /// Resources.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// Category.
    pub category_id: String,
    /// Who saved it.
    pub created_by: String,
    /// When.
    pub created_at: NaiveDateTime,
}

impl IdeaVersion {
    /// The version of `idea` as it is now.
    pub fn of(idea: &Idea, by: &str, at: NaiveDateTime) -> IdeaVersion {
        IdeaVersion {
            idea_id: idea.id.clone(),
            version: idea.version,
            title: idea.title.clone(),
            summary: idea.summary.clone(),
            situation: idea.situation.clone(),
            solution: idea.solution.clone(),
            impact: idea.impact.clone(),
            resources: idea.resources.clone(),
            applies_where: idea.applies_where.clone(),
            category_id: idea.category_id.clone(),
            created_by: by.into(),
            created_at: at,
        }
    }
}

/// Keeps a version.
pub fn insert_version(conn: &mut DbConn, v: &IdeaVersion) -> QueryResult<()> {
    diesel::insert_into(idea_versions::table)
        .values(v)
        .execute(conn)
        .map(|_| ())
}

/// An idea's versions, newest first.
pub fn versions_of(conn: &mut DbConn, idea_id: &str) -> QueryResult<Vec<IdeaVersion>> {
    idea_versions::table
        .filter(idea_versions::idea_id.eq(idea_id))
        .order(idea_versions::version.desc())
        .select(IdeaVersion::as_select())
        .load(conn)
}

/// The idea an idempotency key already made for this account.
pub fn idea_for_key(conn: &mut DbConn, user_id: &str, key: &str) -> QueryResult<Option<String>> {
    idempotency_keys::table
        .find((user_id, key))
        .select(idempotency_keys::idea_id)
        .first(conn)
        .optional()
}

/// Records which idea a key made; a second insert of the same key is a unique violation.
pub fn insert_key(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    idea_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::idea_id.eq(idea_id),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Holds the author's row until the transaction ends, so two submissions by one person check the per-member limit
/// one after the other. SQLite needs nothing: a write transaction there already excludes every other writer.
pub fn lock_author(conn: &mut DbConn, author_id: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        users::table
            .find(author_id)
            .select(users::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// The ideas `user_id` wrote: those they are the author of, except ideas an organizer entered for a named contact
/// (imports), which are the contact's. The same rule on a loaded idea is `Idea::is_written_by`.
pub fn written_by(
    user_id: &str,
) -> diesel::dsl::And<diesel::dsl::Eq<ideas::author_id, &str>, diesel::dsl::IsNull<ideas::contact_id>>
{
    ideas::author_id
        .eq(user_id)
        .and(ideas::contact_id.is_null())
}

/// How many of a member's ideas in a contest count against the per-member limit (submitted and not withdrawn).
pub fn counted_ideas(conn: &mut DbConn, author_id: &str, contest_id: &str) -> QueryResult<i64> {
    ideas::table
        .filter(written_by(author_id))
        .filter(ideas::contest_id.eq(contest_id))
        .filter(ideas::status.ne_all(vec!["draft", "withdrawn"]))
        .count()
        .get_result(conn)
}

/// A row of "my ideas".
#[derive(Debug, Clone, Queryable)]
pub struct MyIdeaRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Contest title.
    pub contest_title: String,
    /// Category, Vietnamese.
    pub category_vi: String,
    /// Category, English.
    pub category_en: String,
    /// The author's id (differs from the reader's for ideas they co-author).
    pub author_id: String,
}

/// Ideas the person wrote or co-authors, most recently changed first.
pub fn my_ideas(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<MyIdeaRow>> {
    let coauthored = idea_coauthors::table
        .filter(idea_coauthors::user_id.eq(user_id))
        .select(idea_coauthors::idea_id);
    ideas::table
        .inner_join(contests::table)
        .inner_join(categories::table)
        .filter(written_by(user_id).or(ideas::id.eq_any(coauthored)))
        .order((ideas::updated_at.desc(), ideas::id.asc()))
        .limit(500)
        .select((
            ideas::id,
            ideas::title,
            ideas::status,
            ideas::updated_at,
            contests::title,
            categories::name_vi,
            categories::name_en,
            ideas::author_id,
        ))
        .load(conn)
}

/// Whether the person co-authors the idea.
pub fn is_coauthor(conn: &mut DbConn, idea_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        idea_coauthors::table
            .filter(idea_coauthors::idea_id.eq(idea_id))
            .filter(idea_coauthors::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// An idea's co-authors as (user id, display name), in the order they were added.
pub fn coauthors_of(conn: &mut DbConn, idea_id: &str) -> QueryResult<Vec<(String, String)>> {
    use super::schema::users;
    idea_coauthors::table
        .inner_join(users::table)
        .filter(idea_coauthors::idea_id.eq(idea_id))
        .order(idea_coauthors::added_at.asc())
        .select((users::id, users::display_name))
        .load(conn)
}

/// Adds a co-author.
pub fn insert_coauthor(
    conn: &mut DbConn,
    idea_id: &str,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(idea_coauthors::table)
        .values((
            idea_coauthors::idea_id.eq(idea_id),
            idea_coauthors::user_id.eq(user_id),
            idea_coauthors::added_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Removes a co-author; returns whether there was one.
pub fn delete_coauthor(conn: &mut DbConn, idea_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::delete(
        idea_coauthors::table
            .filter(idea_coauthors::idea_id.eq(idea_id))
            .filter(idea_coauthors::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n == 1)
}
