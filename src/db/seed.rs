//! Bulk inserts for demo and benchmark data. Batch inserts do not compile on the multi-connection, so this matches
//! the engine and inserts multi-row statements on the concrete connection.

use diesel::prelude::*;

use super::DbConn;
use super::catalog::{Category, Contest, ContestCategory, Unit};
use super::events::Event;
use super::ideas::{Adoption, Coauthor, Idea};
use super::schema::{
    adoptions, categories, contest_categories, contests, events, idea_coauthors, ideas, units,
    users,
};
use super::users::User;

/// Inserts `rows` into `table` in multi-row statements of `chunk` rows, on either engine.
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        let mut n = 0usize;
        for part in $rows.chunks($chunk) {
            n += match $conn {
                DbConn::Sqlite(c) => diesel::insert_into($table).values(part).execute(c)?,
                DbConn::Postgres(c) => diesel::insert_into($table).values(part).execute(c)?,
            };
        }
        n
    }};
}
pub(crate) use bulk_insert;

/// Everything a seed writes, in dependency order.
#[derive(Debug, Default)]
pub struct SeedData {
    /// Units, parents first.
    pub units: Vec<Unit>,
    /// Categories.
    pub categories: Vec<Category>,
    /// Accounts.
    pub users: Vec<User>,
    /// Contests.
    pub contests: Vec<Contest>,
    /// Contest categories.
    pub contest_categories: Vec<ContestCategory>,
    /// Ideas.
    pub ideas: Vec<Idea>,
    /// Co-authors.
    pub coauthors: Vec<Coauthor>,
    /// Adoptions.
    pub adoptions: Vec<Adoption>,
    /// Events.
    pub events: Vec<Event>,
    /// Milestones of adopted ideas.
    pub milestones: Vec<crate::db::adoption::MilestoneRow>,
}

/// Writes all of `data` (call inside a transaction).
pub fn insert_all(conn: &mut DbConn, data: &SeedData) -> QueryResult<()> {
    bulk_insert!(conn, units::table, data.units, 200);
    bulk_insert!(conn, categories::table, data.categories, 200);
    bulk_insert!(conn, users::table, data.users, 500);
    bulk_insert!(conn, contests::table, data.contests, 100);
    bulk_insert!(
        conn,
        contest_categories::table,
        data.contest_categories,
        500
    );
    insert_ideas(conn, &data.ideas)?;
    bulk_insert!(conn, idea_coauthors::table, data.coauthors, 1000);
    bulk_insert!(conn, adoptions::table, data.adoptions, 500);
    bulk_insert!(
        conn,
        crate::db::schema::milestones::table,
        data.milestones,
        500
    );
    bulk_insert!(conn, events::table, data.events, 1000);
    Ok(())
}

/// Inserts ideas in batches of 500 (20 columns: under both engines' bind limits) and adds them to the search
/// index (`db::search`), in the caller's transaction.
pub fn insert_ideas(conn: &mut DbConn, rows: &[Idea]) -> QueryResult<usize> {
    let n = bulk_insert!(conn, ideas::table, rows, 500);
    super::search::index_new(conn, rows)?;
    Ok(n)
}

/// Whether the database holds any idea or unit yet (seeding only fills an empty database).
pub fn is_empty(conn: &mut DbConn) -> QueryResult<bool> {
    let units: i64 = units::table.count().get_result(conn)?;
    let ideas: i64 = ideas::table.count().get_result(conn)?;
    Ok(units == 0 && ideas == 0)
}
