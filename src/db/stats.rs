//! Counts for headline numbers.

use diesel::prelude::*;

use super::DbConn;
use super::schema::ideas;
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
