//! Full-text search over ideas: the only code that writes or reads the search index, and the one place where the
//! two engines' full-text features are matched.
//!
//! # The index
//! One row per idea in `idea_search`, holding the idea's title and body (summary, situation, solution, impact,
//! where it applies) folded by [`crate::domain::text::fold`]: lower case, no diacritics, đ → d. Folding in Rust, the
//! same way for both engines, is what makes "un tac giao thong" find "ùn tắc giao thông" and "d" find "đ" on both.
//! - SQLite: an FTS5 table whose rowid is the idea's rowid in `ideas` (replacing or deleting a row is a lookup; a
//!   trigger removes the row when an idea is deleted), with prefix lists for one- and two-letter beginnings, and
//!   `idea_search_words`, every indexed word of three letters or more, to expand a longer beginning of a word.
//! - PostgreSQL: a plain table keyed by `idea_id` with a generated `tsvector` (title weight A, body weight B, the
//!   `simple` configuration) under a GIN index. The `tsvector` is never read through the multi-connection.
//!
//! Whoever changes an idea's text calls [`reindex`] in the same transaction, so the index never disagrees with a
//! committed idea. Seeding indexes what it inserts ([`index_new`]); [`fill_if_empty`] and [`reindex_all`] index a
//! database whose ideas predate the index.
//!
//! # Queries and their cost
//! Every word typed must occur (AND); the last one also as the beginning of a word. Results are public ideas that
//! pass the list filters, ranked: ideas whose title holds every word first, then by the engine's relevance score
//! (SQLite `bm25` with the title weighted [`TITLE_WEIGHT`] times the body, PostgreSQL `ts_rank` with weights A and
//! B), then newest first.
//!
//! Ranking is what costs at a million ideas: `bm25` first counts, for every word, how many ideas hold it (a walk
//! through the word's whole list), then scores every match (about 10 µs each), so ranking a word found in most ideas
//! would cost seconds per search. So on SQLite ranking is bounded:
//! - when each word occurs in at most [`EXACT_RANK_MAX_MATCHES`] ideas (per-word counts that stop there), every
//!   match is ranked with `bm25` and the total is exact;
//! - otherwise the candidates are the newest matches: the index is read newest first (rowid order, which is the
//!   order ideas are created in) and joined to `ideas` for visibility and the filters until [`MAX_RESULTS`] + 1
//!   pass, reading at most [`SQLITE_WINDOW`] matches. They are ranked by whether the title holds every word (one
//!   more index query over the candidates' rowid range), then newest first; `bm25` is not used. The total says
//!   "more than 200" when the bound was reached, and is exact otherwise unless the window ran out first (a rare
//!   filter combined with a common word: the results are then the matches among the newest 600).
//!
//! The trade-off: a search for common words ranks recent ideas only, by a coarser relevance, and does not count
//! every match; in exchange it reads a bounded number of index entries and idea rows whatever the words: under a
//! millisecond of SQLite work at a million ideas (3.4 ms with the earlier bound of 1,000 results in a window of
//! 3,000, which `bench/search.sh` showed too slow under load); a word that matches nothing costs microseconds. A page of results is 20 of those (or the API's `limit`), addressed by page number, up to
//! [`MAX_RESULTS`] results.
//!
//! PostgreSQL keeps the same result bound (the newest [`MAX_RESULTS`] + 1 matches by listing time, ranked with
//! `ts_rank`) but leaves the reading to its planner: the GIN index for rare words, a scan otherwise. The work for a
//! word in most ideas there grows with the number of matches; the SQLite bound is what the benchmark relies on.
//!
//! The last word as a beginning: one or two letters read FTS5's prefix lists (newest first, lazily); three or more
//! are expanded to at most [`MAX_COMPLETIONS`] whole words through `idea_search_words` (FTS5 would otherwise merge
//! every matching word's full list before returning the first row: 25 ms for "tha" at 200,000 ideas, against
//! 0.6 ms expanded). PostgreSQL uses `:*` in the `tsquery`.

use std::collections::HashSet;
use std::fmt::Write as _;

use diesel::backend::Backend;
use diesel::connection::SimpleConnection;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};

use super::DbConn;
use super::ideas::{Idea, ListFilter};
use super::schema::ideas;
use crate::domain::text::{SearchTerms, fold};

/// The most results a search ranks and shows (10 pages of 20). Bounded so that a search for words in most ideas
/// costs about a millisecond of database work at a million ideas (see the module documentation).
pub const MAX_RESULTS: i64 = 200;
/// A search is ranked with `bm25` over all its matches only when each word occurs in at most this many ideas.
/// No more than [`MAX_RESULTS`], so every match of an exactly ranked search can be shown.
pub const EXACT_RANK_MAX_MATCHES: i64 = MAX_RESULTS;
/// SQLite: how many matches, newest first, a search with very common words reads before applying the filters.
pub const SQLITE_WINDOW: i64 = 600;
/// The most whole words the beginning of a word (three letters or more) is expanded to.
pub const MAX_COMPLETIONS: i64 = 64;
/// How much more a word in the title counts than a word in the body for SQLite's `bm25`.
pub const TITLE_WEIGHT: f64 = 4.0;

/// One page of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The ideas of the page, best first.
    pub ids: Vec<String>,
    /// How many ideas matched (at most [`MAX_RESULTS`] + 1 are counted).
    pub total: i64,
    /// Whether `total` counts every match (false: at least that many).
    pub total_exact: bool,
}

/// SQL text with numbered text parameters (`$1`, `$2`, … in order of first appearance, which is how SQLite
/// numbers them too).
#[derive(Default)]
pub(super) struct Sql {
    text: String,
    binds: Vec<String>,
}

impl Sql {
    pub(super) fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub(super) fn bind(&mut self, value: &str) -> &mut Sql {
        self.binds.push(value.to_string());
        let _ = write!(self.text, "${}", self.binds.len());
        self
    }

    /// The statement with its parameters bound, for either engine.
    fn boxed<DB>(&self) -> BoxedSqlQuery<'static, DB, SqlQuery>
    where
        DB: Backend + HasSqlType<Text>,
        String: ToSql<Text, DB>,
    {
        let mut q = diesel::sql_query(self.text.clone()).into_boxed::<DB>();
        for b in &self.binds {
            q = q.bind::<Text, _>(b.clone());
        }
        q
    }

    pub(super) fn sqlite<T: QueryableByName<Sqlite> + 'static>(
        &self,
        c: &mut SqliteConnection,
    ) -> QueryResult<Vec<T>> {
        self.boxed::<Sqlite>().load(c)
    }

    pub(super) fn pg<T: QueryableByName<Pg> + 'static>(
        &self,
        c: &mut PgConnection,
    ) -> QueryResult<Vec<T>> {
        self.boxed::<Pg>().load(c)
    }

    fn pg_execute(&self, c: &mut PgConnection) -> QueryResult<usize> {
        self.boxed::<Pg>().execute(c)
    }
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct RowidOf {
    #[diesel(sql_type = BigInt)]
    rid: i64,
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct WordRow {
    #[diesel(sql_type = Text)]
    word: String,
}

#[derive(QueryableByName, PartialEq, Eq)]
struct Stored {
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// An idea's text as indexed: the folded title and the folded body.
fn document(title: &str, parts: [&str; 5]) -> (String, String) {
    let mut body = String::new();
    for part in parts {
        let folded = fold(part);
        if folded.is_empty() {
            continue;
        }
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(&folded);
    }
    (fold(title), body)
}

/// The columns of `ideas` an index row is made from.
type Text6 = (String, String, String, String, String, String);

/// [`Text6`]'s columns, for selecting them.
const TEXT6: (
    ideas::title,
    ideas::summary,
    ideas::situation,
    ideas::solution,
    ideas::impact,
    ideas::applies_where,
) = (
    ideas::title,
    ideas::summary,
    ideas::situation,
    ideas::solution,
    ideas::impact,
    ideas::applies_where,
);

fn document_of(row: &Text6) -> (String, String) {
    document(&row.0, [&row.1, &row.2, &row.3, &row.4, &row.5])
}

thread_local! {
    /// Ideas whose reindexing waits for the end of the current batch on this thread (see [`defer_reindex`]).
    static DEFERRED: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// From now on, on this thread, [`reindex`] only notes the idea; [`take_deferred`] ends that and returns what was
/// noted. For the group-commit writer (`db::writer`): every job there runs in a savepoint, and FTS5 writes all the
/// terms it holds to a new segment at every savepoint, which would turn a batch of a hundred submissions into a
/// hundred segments and their merges. Reindexing the batch's ideas after the last savepoint, in the same
/// transaction, keeps the index as atomic with the ideas as before, for one segment per batch.
pub fn defer_reindex() {
    DEFERRED.with(|d| *d.borrow_mut() = Some(Vec::new()));
}

/// Ends [`defer_reindex`] on this thread and returns the ideas noted since, each once.
pub fn take_deferred() -> Vec<String> {
    let mut ids = DEFERRED.with(|d| d.borrow_mut().take()).unwrap_or_default();
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    ids
}

/// Replaces `idea_id`'s index row with one made from the idea's current text (or removes it if the idea is gone).
/// Call it in the transaction that changed the idea. Does nothing when the indexed text is already current.
pub fn reindex(conn: &mut DbConn, idea_id: &str) -> QueryResult<()> {
    let deferred = DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(ids) => {
            ids.push(idea_id.to_string());
            true
        }
        None => false,
    });
    if deferred {
        return Ok(());
    }
    reindex_many(conn, &[idea_id.to_string()])
}

/// An idea's rowid and the columns its index row is made from.
#[derive(QueryableByName)]
struct IndexedText {
    #[diesel(sql_type = BigInt)]
    rid: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    situation: String,
    #[diesel(sql_type = Text)]
    solution: String,
    #[diesel(sql_type = Text)]
    impact: String,
    #[diesel(sql_type = Text)]
    applies_where: String,
}

/// [`reindex`] for several ideas at once (the group-commit writer's batch). On SQLite the words of every changed idea
/// are recorded first and the FTS5 rows written after: a statement that writes several rows makes FTS5 flush the
/// terms it holds into a new segment (see `insert_sqlite`), so interleaving them would make a segment per idea.
/// Every statement here has a fixed text, so each is prepared once per connection and reused.
pub fn reindex_many(conn: &mut DbConn, ids: &[String]) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            // (rowid, whether an index row exists, folded title, folded body) of the ideas whose text changed.
            let mut changed: Vec<(i64, bool, String, String)> = Vec::with_capacity(ids.len());
            for id in ids {
                let found: Option<IndexedText> = diesel::sql_query(
                    "SELECT rowid AS rid, title, summary, situation, solution, impact, applies_where \
                     FROM ideas WHERE id = ?",
                )
                .bind::<Text, _>(id)
                .get_result(c)
                .optional()?;
                // A deleted idea's row went with it (trigger `ideas_search_delete`).
                let Some(row) = found else { continue };
                let (title, body) = document(
                    &row.title,
                    [
                        &row.summary,
                        &row.situation,
                        &row.solution,
                        &row.impact,
                        &row.applies_where,
                    ],
                );
                // The rowid is bound, not written into the SQL: the statement is prepared once and cached.
                let current: Vec<Stored> =
                    diesel::sql_query("SELECT title, body FROM idea_search WHERE rowid = ?")
                        .bind::<BigInt, _>(row.rid)
                        .load(c)?;
                if current.first()
                    == Some(&Stored {
                        title: title.clone(),
                        body: body.clone(),
                    })
                {
                    continue;
                }
                changed.push((row.rid, !current.is_empty(), title, body));
            }
            add_words(
                c,
                changed
                    .iter()
                    .flat_map(|(_, _, t, b)| [t.as_str(), b.as_str()]),
            )?;
            for (rid, indexed, title, body) in &changed {
                if *indexed {
                    diesel::sql_query("DELETE FROM idea_search WHERE rowid = ?")
                        .bind::<BigInt, _>(*rid)
                        .execute(c)?;
                }
                insert_sqlite(c, *rid, title, body)?;
            }
            Ok(())
        }
        DbConn::Postgres(c) => {
            for idea_id in ids {
                let found: Option<Text6> = ideas::table
                    .find(idea_id)
                    .select(TEXT6)
                    .first(c)
                    .optional()?;
                let Some(row) = found else {
                    Sql::new("DELETE FROM idea_search WHERE idea_id = ")
                        .bind(idea_id)
                        .pg_execute(c)?;
                    continue;
                };
                let (title, body) = document_of(&row);
                Sql::new("INSERT INTO idea_search (idea_id, title, body) VALUES (")
                    .bind(idea_id)
                    .push(", ")
                    .bind(&title)
                    .push(", ")
                    .bind(&body)
                    .push(
                        ") ON CONFLICT (idea_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body \
                         WHERE idea_search.title <> EXCLUDED.title OR idea_search.body <> EXCLUDED.body",
                    )
                    .pg_execute(c)?;
            }
            Ok(())
        }
    }
}

/// The SQLite rowids of the ideas `ids`.
fn rowids(c: &mut SqliteConnection, ids: &[&str]) -> QueryResult<Vec<RowidOf>> {
    let mut sql = Sql::new("SELECT rowid AS rid, id FROM ideas WHERE id IN (");
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(id);
    }
    sql.push(")").sqlite(c)
}

/// Adds one FTS5 row. One row per statement on purpose: a statement that may write several rows opens a statement
/// savepoint, at which FTS5 flushes its pending terms into a new segment (and merges), which made bulk loads
/// several times slower.
fn insert_sqlite(c: &mut SqliteConnection, rid: i64, title: &str, body: &str) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO idea_search (rowid, title, body) VALUES (?, ?, ?)")
        .bind::<BigInt, _>(rid)
        .bind::<Text, _>(title)
        .bind::<Text, _>(body)
        .execute(c)
        .map(|_| ())
}

/// Records the words of three letters or more of `texts` (folded) in `idea_search_words` (SQLite only). One
/// statement with a fixed text whatever the number of words (they go in as one JSON array), so it is prepared once.
fn add_words<'a>(
    c: &mut SqliteConnection,
    texts: impl IntoIterator<Item = &'a str>,
) -> QueryResult<()> {
    let mut words: HashSet<&str> = HashSet::new();
    for text in texts {
        for w in text.split(' ') {
            if w.chars().nth(2).is_some() {
                words.insert(w);
            }
        }
    }
    if words.is_empty() {
        return Ok(());
    }
    let mut words: Vec<&str> = words.into_iter().collect();
    // In key order: the inserts walk the words' index from left to right.
    words.sort_unstable();
    let json = serde_json::to_string(&words)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::sql_query(
        "INSERT OR IGNORE INTO idea_search_words (word) SELECT value FROM json_each(?)",
    )
    .bind::<Text, _>(json)
    .execute(c)
    .map(|_| ())
}

/// Indexes ideas that were just inserted and have no index row yet (seeding, import).
/// Call it in the transaction that inserted them.
pub fn index_new(conn: &mut DbConn, rows: &[Idea]) -> QueryResult<()> {
    let docs: Vec<(&str, (String, String))> = rows
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                document(
                    &i.title,
                    [
                        &i.summary,
                        &i.situation,
                        &i.solution,
                        &i.impact,
                        &i.applies_where,
                    ],
                ),
            )
        })
        .collect();
    index_docs(conn, &docs)
}

fn index_docs(conn: &mut DbConn, docs: &[(&str, (String, String))]) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            // Words first: any statement that writes several rows makes FTS5 flush what it holds (see
            // `insert_sqlite`), so it runs before the first FTS5 row of this call.
            add_words(
                c,
                docs.iter().flat_map(|(_, (t, b))| [t.as_str(), b.as_str()]),
            )?;
            for chunk in docs.chunks(500) {
                let ids: Vec<&str> = chunk.iter().map(|(id, _)| *id).collect();
                let mut rid_of: std::collections::HashMap<String, i64> = rowids(c, &ids)?
                    .into_iter()
                    .map(|r| (r.id, r.rid))
                    .collect();
                let mut rows: Vec<(i64, &str, &str)> = chunk
                    .iter()
                    .filter_map(|(id, (t, b))| {
                        rid_of.remove(*id).map(|rid| (rid, t.as_str(), b.as_str()))
                    })
                    .collect();
                // In rowid order, which is the order FTS5 appends in cheaply.
                rows.sort_unstable_by_key(|d| d.0);
                for (rid, title, body) in rows {
                    insert_sqlite(c, rid, title, body)?;
                }
            }
        }
        DbConn::Postgres(c) => {
            for chunk in docs.chunks(200) {
                let mut sql = Sql::new("INSERT INTO idea_search (idea_id, title, body) VALUES ");
                for (n, (id, (title, body))) in chunk.iter().enumerate() {
                    if n > 0 {
                        sql.push(", ");
                    }
                    sql.push("(")
                        .bind(id)
                        .push(", ")
                        .bind(title)
                        .push(", ")
                        .bind(body)
                        .push(")");
                }
                sql.push(
                    " ON CONFLICT (idea_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body",
                );
                sql.pg_execute(c)?;
            }
        }
    }
    Ok(())
}

/// Rebuilds the whole index from the ideas (after a restore, or for a database whose ideas predate the index);
/// returns how many ideas were indexed. Run it inside a write transaction to make the switch atomic.
pub fn reindex_all(conn: &mut DbConn) -> QueryResult<u64> {
    conn.batch_execute("DELETE FROM idea_search")?;
    let mut after = String::new();
    let mut n = 0u64;
    loop {
        let batch: Vec<(String, Text6)> = ideas::table
            .filter(ideas::id.gt(&after))
            .order(ideas::id.asc())
            .limit(1000)
            .select((ideas::id, TEXT6))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0.clone();
        let docs: Vec<(&str, (String, String))> = batch
            .iter()
            .map(|r| (r.0.as_str(), document_of(&r.1)))
            .collect();
        index_docs(conn, &docs)?;
        n += batch.len() as u64;
    }
    Ok(n)
}

/// Indexes every idea if the database has ideas but an empty index (a database seeded before the index existed);
/// returns whether it did. Cheap when there is nothing to do.
pub fn fill_if_empty(conn: &mut DbConn) -> QueryResult<bool> {
    let any = |conn: &mut DbConn, table: &str| -> QueryResult<bool> {
        let rows: Vec<Count> = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM (SELECT 1 FROM {table} LIMIT 1) AS one"
        ))
        .load(conn)?;
        Ok(rows.first().is_some_and(|r| r.n > 0))
    };
    if any(conn, "idea_search")? || !any(conn, "ideas")? {
        return Ok(false);
    }
    super::write_tx(conn, reindex_all)?;
    Ok(true)
}

/// Compacts the index after a bulk load (SQLite: merges FTS5 segments into one; PostgreSQL: refreshes the planner's
/// statistics, which decide between the GIN index and a newest-first scan).
pub fn optimize(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            c.batch_execute("INSERT INTO idea_search (idea_search) VALUES ('optimize')")
        }
        DbConn::Postgres(c) => c.batch_execute("ANALYZE idea_search; ANALYZE ideas"),
    }
}

/// Appends the list filters (public ideas only, then contest, category, units, status) for `ideas AS i`.
fn push_filters(sql: &mut Sql, filter: &ListFilter) {
    sql.push(" AND i.is_public");
    if let Some(c) = &filter.contest_id {
        sql.push(" AND i.contest_id = ").bind(c);
    }
    if let Some(c) = &filter.category_id {
        sql.push(" AND i.category_id = ").bind(c);
    }
    if let Some(units) = &filter.unit_ids {
        if units.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND i.unit_id IN (");
            for (n, u) in units.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.bind(u);
            }
            sql.push(")");
        }
    }
    if let Some(s) = filter.status {
        sql.push(" AND i.status = ").bind(s);
    }
}

/// One page of public ideas matching `terms` and `filter`, best first: `limit` ideas from position `offset` (both
/// within [`MAX_RESULTS`]). See the module documentation for the ranking and its bounds.
pub fn search_public(
    conn: &mut DbConn,
    filter: &ListFilter,
    terms: &SearchTerms,
    offset: u32,
    limit: u32,
) -> QueryResult<Found> {
    // Never past the bound: the candidates hold one more than MAX_RESULTS, only to tell that there are more.
    let max = u32::try_from(MAX_RESULTS).unwrap_or(u32::MAX);
    let page = Page {
        offset,
        limit: limit.min(max.saturating_sub(offset)),
    };
    match conn {
        DbConn::Sqlite(c) => sqlite_search(c, filter, terms, page),
        DbConn::Postgres(c) => pg_search(c, filter, terms, page),
    }
}

/// Which ranked results to return.
#[derive(Debug, Clone, Copy)]
struct Page {
    offset: u32,
    limit: u32,
}

impl Page {
    /// `sql` limited to this page, or to its first row when `first_only` (to count an empty page's search).
    fn apply(self, sql: &Sql, first_only: bool) -> Sql {
        let suffix = if first_only {
            " LIMIT 1".to_string()
        } else {
            format!(" LIMIT {} OFFSET {}", self.limit, self.offset)
        };
        Sql {
            text: format!("{}{suffix}", sql.text),
            binds: sql.binds.clone(),
        }
    }
}

/// A word as an FTS5 string (folded words hold only letters and digits; quoting keeps FTS5 from reading any of
/// them as an operator).
pub(super) fn fts_word(w: &str) -> String {
    format!("\"{w}\"")
}

/// The whole words of three letters or more that begin with `prefix`, alphabetically, at most [`MAX_COMPLETIONS`].
fn completions(c: &mut SqliteConnection, prefix: &str) -> QueryResult<Vec<String>> {
    let rows: Vec<WordRow> = Sql::new("SELECT word FROM idea_search_words WHERE word >= ")
        .bind(prefix)
        .push(" AND word < ")
        .bind(&format!("{prefix}\u{10FFFF}"))
        .push(&format!(" ORDER BY word LIMIT {MAX_COMPLETIONS}"))
        .sqlite(c)?;
    Ok(rows.into_iter().map(|r| r.word).collect())
}

/// The largest number of ideas any of `groups` occurs in, counting up to `cap`.
fn max_count(c: &mut SqliteConnection, groups: &[String], cap: i64) -> QueryResult<i64> {
    let mut sql = Sql::new("SELECT max(n) AS n FROM (");
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT count(*) AS n FROM (SELECT 1 FROM idea_search WHERE idea_search MATCH ")
            .bind(g)
            .push(&format!(" LIMIT {cap}) AS g{i}"));
    }
    sql.push(") AS counts");
    let rows: Vec<Count> = sql.sqlite(c)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

fn sqlite_search(
    c: &mut SqliteConnection,
    filter: &ListFilter,
    terms: &SearchTerms,
    page: Page,
) -> QueryResult<Found> {
    // One FTS5 group per word; the groups are ANDed.
    let mut groups: Vec<String> = terms.words.iter().map(|w| fts_word(w)).collect();
    if let Some(p) = &terms.prefix {
        if p.chars().nth(2).is_none() {
            groups.push(format!("{}*", fts_word(p)));
        } else {
            let words = completions(c, p)?;
            if words.is_empty() {
                // No indexed word begins with it: nothing can match.
                return Ok(Found {
                    total_exact: true,
                    ..Found::default()
                });
            }
            let alternatives: Vec<String> = words.iter().map(|w| fts_word(w)).collect();
            groups.push(match alternatives.as_slice() {
                [one] => one.clone(),
                many => format!("({})", many.join(" OR ")),
            });
        }
    }
    // FTS5 reads juxtaposed phrases as AND, but not a phrase next to a parenthesized group: spell it out.
    let all = groups.join(" AND ");
    let in_title = format!("{{title}} : ({all})");
    let rare = max_count(c, &groups, EXACT_RANK_MAX_MATCHES + 1)? <= EXACT_RANK_MAX_MATCHES;
    let mut sql = Sql::default();
    if rare {
        // Every word is rare: rank all matches with bm25 (its per-word counts are short walks).
        sql.push(&format!(
            "WITH m AS MATERIALIZED (SELECT idea_search.rowid AS rid, i.id AS id, i.listed_at AS listed_at, \
             bm25(idea_search, {TITLE_WEIGHT:.1}, 1.0) AS score \
             FROM idea_search CROSS JOIN ideas i \
             WHERE idea_search MATCH "
        ))
        .bind(&all)
        .push(" AND i.rowid = idea_search.rowid");
        push_filters(&mut sql, filter);
        sql.push(
            ") SELECT id, (SELECT count(*) FROM m) AS total FROM m \
             ORDER BY rid IN (SELECT rowid FROM idea_search WHERE idea_search MATCH ",
        )
        .bind(&in_title)
        .push(") DESC, score, listed_at DESC, id DESC");
    } else {
        // A common word: candidates are the newest matches, read from the index newest first (the window is a
        // co-routine in rowid order) and joined to `ideas` for the filters until MAX_RESULTS + 1 pass. No ORDER BY
        // on the candidates: SQLite would then walk and sort the whole window instead of stopping early.
        sql.push(
            "WITH m AS MATERIALIZED (SELECT w.rid AS rid, i.id AS id, i.listed_at AS listed_at \
             FROM (SELECT rowid AS rid FROM idea_search WHERE idea_search MATCH ",
        )
        .bind(&all)
        .push(&format!(
            " ORDER BY rowid DESC LIMIT {SQLITE_WINDOW}) AS w CROSS JOIN ideas i WHERE i.rowid = w.rid"
        ));
        push_filters(&mut sql, filter);
        sql.push(&format!(
            " LIMIT {}) \
             SELECT id, (SELECT count(*) FROM m) AS total FROM m \
             ORDER BY rid IN (SELECT rowid FROM idea_search WHERE idea_search MATCH ",
            MAX_RESULTS + 1
        ))
        .bind(&in_title)
        .push(" AND rowid >= (SELECT min(rid) FROM m)) DESC, listed_at DESC, id DESC");
    }
    let hits: Vec<Hit> = page.apply(&sql, false).sqlite(c)?;
    let total = match hits.first() {
        Some(h) => h.total,
        // A page past the end still tells how many there are.
        None if page.offset > 0 => page
            .apply(&sql, true)
            .sqlite::<Hit>(c)?
            .first()
            .map_or(0, |h| h.total),
        None => 0,
    };
    let total_exact = if rare {
        true
    } else if total > MAX_RESULTS {
        false
    } else {
        // Fewer candidates than the bound: exact unless the walk stopped at the window.
        max_count(c, std::slice::from_ref(&all), SQLITE_WINDOW + 1)? <= SQLITE_WINDOW
    };
    Ok(Found {
        ids: hits.into_iter().map(|h| h.id).collect(),
        total: total.min(MAX_RESULTS + 1),
        total_exact,
    })
}

fn pg_search(
    c: &mut PgConnection,
    filter: &ListFilter,
    terms: &SearchTerms,
    page: Page,
) -> QueryResult<Found> {
    let mut all: Vec<String> = terms.words.clone();
    let mut in_title: Vec<String> = terms.words.iter().map(|w| format!("{w}:A")).collect();
    if let Some(p) = &terms.prefix {
        all.push(format!("{p}:*"));
        in_title.push(format!("{p}:*A"));
    }
    let mut sql = Sql::new(
        "WITH m AS MATERIALIZED (SELECT i.id AS id, i.listed_at AS listed_at, s.document AS document \
         FROM idea_search s JOIN ideas i ON i.id = s.idea_id \
         WHERE s.document @@ to_tsquery('simple', ",
    );
    sql.bind(&all.join(" & ")).push(")");
    push_filters(&mut sql, filter);
    sql.push(&format!(
        " ORDER BY i.listed_at DESC, i.id DESC LIMIT {}) \
         SELECT id, count(*) OVER () AS total FROM m \
         ORDER BY document @@ to_tsquery('simple', ",
        MAX_RESULTS + 1
    ))
    .bind(&in_title.join(" & "))
    .push(") DESC, ts_rank(document, to_tsquery('simple', $1)) DESC, listed_at DESC, id DESC");
    let hits: Vec<Hit> = page.apply(&sql, false).pg(c)?;
    let total = match hits.first() {
        Some(h) => h.total,
        None if page.offset > 0 => page
            .apply(&sql, true)
            .pg::<Hit>(c)?
            .first()
            .map_or(0, |h| h.total),
        None => 0,
    };
    Ok(Found {
        ids: hits.into_iter().map(|h| h.id).collect(),
        total,
        total_exact: total <= MAX_RESULTS,
    })
}
