//! Counts for headline numbers and the statistics page (GROUP BY in the database; `domain::stats` folds them).

use diesel::prelude::*;

use super::DbConn;
use super::schema::ideas;
use crate::domain::stats::{Cell, Month, MonthCell, VIETNAM_UTC_OFFSET_HOURS};
use crate::domain::status::{IdeaStatus, codes_where};

/// The home page's headline numbers.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Headline {
    /// Ideas past the draft stage.
    pub submitted: i64,
    /// Ideas chosen for real-world application.
    pub selected: i64,
    /// Ideas being applied or applied.
    pub applied: i64,
}

/// Counts over all contests. Each count is an index scan on `status`.
pub fn headline(conn: &mut DbConn) -> QueryResult<Headline> {
    let count_in = |conn: &mut DbConn, codes: Vec<&'static str>| -> QueryResult<i64> {
        ideas::table
            .filter(ideas::status.eq_any(codes))
            .count()
            .get_result(conn)
    };
    let total: i64 = ideas::table.count().get_result(conn)?;
    let drafts: i64 = count_in(conn, vec![IdeaStatus::Draft.code()])?;
    Ok(Headline {
        submitted: total - drafts,
        selected: count_in(conn, codes_where(IdeaStatus::counts_as_selected))?,
        applied: count_in(conn, codes_where(IdeaStatus::counts_as_applied))?,
    })
}

/// Ideas counted per contest, category, unit and state, for one contest or all: one ordered pass over the
/// `ideas_stats_cells` index, a few thousand rows whatever the number of ideas.
pub fn cells(conn: &mut DbConn, contest_id: Option<&str>) -> QueryResult<Vec<Cell>> {
    let mut q = ideas::table
        .group_by((
            ideas::contest_id,
            ideas::category_id,
            ideas::unit_id,
            ideas::status,
        ))
        .select((
            ideas::contest_id,
            ideas::category_id,
            ideas::unit_id,
            ideas::status,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    if let Some(id) = contest_id {
        q = q.filter(ideas::contest_id.eq(id.to_string()));
    }
    let rows: Vec<(String, String, String, String, i64)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(contest_id, category_id, unit_id, status, count)| {
            Some(Cell {
                contest_id,
                category_id,
                unit_id,
                status: IdeaStatus::parse(&status)?,
                count,
            })
        })
        .collect())
}

#[derive(QueryableByName)]
struct MonthRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    contest_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    month: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The table, the month of `submitted_at` in Vietnam time as shown and as grouped, as each engine writes them. On
/// SQLite the grouped expression is the one of the `ideas_stats_months` index, so the GROUP BY reads that index in
/// order instead of sorting, and SQLite is told to use it: without statistics its planner would take the narrower
/// `ideas_contest_rowid` for one contest and sort every row of the table (1.5 s against 0.15 s at a million ideas).
/// PostgreSQL hashes the months out of an index-only scan of `ideas_contest_status` (0.2 s at a million).
fn month_sql(conn: &DbConn) -> (&'static str, &'static str, &'static str) {
    match conn {
        DbConn::Sqlite(_) => (
            "ideas INDEXED BY ideas_stats_months",
            "strftime('%Y-%m', submitted_at, '+7 hours')",
            "strftime('%Y-%m', submitted_at, '+7 hours')",
        ),
        DbConn::Postgres(_) => (
            "ideas",
            "to_char(date_trunc('month', submitted_at + interval '7 hours'), 'YYYY-MM')",
            "date_trunc('month', submitted_at + interval '7 hours')",
        ),
    }
}

/// Ideas counted per contest, month submitted (Vietnam time, [`VIETNAM_UTC_OFFSET_HOURS`]) and state, for one
/// contest or all.
pub fn month_cells(conn: &mut DbConn, contest_id: Option<&str>) -> QueryResult<Vec<MonthCell>> {
    debug_assert_eq!(VIETNAM_UTC_OFFSET_HOURS, 7, "the SQL below adds 7 hours");
    let (table, shown, grouped) = month_sql(conn);
    let filter = if contest_id.is_some() {
        "WHERE contest_id = $1 "
    } else {
        ""
    };
    let text = format!(
        "SELECT contest_id, {shown} AS month, status, COUNT(*) AS n FROM {table} {filter}\
         GROUP BY contest_id, {grouped}, status"
    );
    let rows: Vec<MonthRow> = match (conn, contest_id) {
        (DbConn::Sqlite(c), Some(id)) => diesel::sql_query(text)
            .bind::<diesel::sql_types::Text, _>(id)
            .load(c)?,
        (DbConn::Sqlite(c), None) => diesel::sql_query(text).load(c)?,
        (DbConn::Postgres(c), Some(id)) => diesel::sql_query(text)
            .bind::<diesel::sql_types::Text, _>(id)
            .load(c)?,
        (DbConn::Postgres(c), None) => diesel::sql_query(text).load(c)?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(MonthCell {
                contest_id: r.contest_id,
                month: r.month.as_deref().and_then(Month::parse),
                status: IdeaStatus::parse(&r.status)?,
                count: r.n,
            })
        })
        .collect())
}
