//! Candidates for "similar ideas": the ideas most likely to resemble a text, found through the search index
//! (`idea_search`, see [`super::search`]) with a bounded amount of work whatever the text.
//!
//! # The algorithm
//! The caller gives the features of the text ([`crate::domain::similar`]), most specific first; up to
//! [`MAX_SYLLABLES`] single syllables and [`MAX_PHRASES`] pairs of adjacent ones are looked up, the pairs as phrases
//! ("giao thong"). For each term the index tells how many ideas hold it (its document frequency); the
//! [`KEPT_TERMS`] rarest are kept, the newest matches of each are read, every candidate gets the sum of the inverse
//! document frequencies of the terms it holds, and the best [`MAX_CANDIDATES`] are loaded with their title and
//! summary for the caller to score exactly. Only ideas the public
//! may see (`is_public`), in the contest when one is given, are candidates.
//!
//! # Why the work is bounded (SQLite)
//! Everything read from the index is capped in entries read, not only in rows returned:
//! - a syllable's count reads at most [`COUNT_CAP`] entries of one list (`LIMIT` stops the walk);
//! - a syllable found in [`COUNT_CAP`] ideas or more is counted again among the newest [`RECENT_WINDOW`] ideas (of
//!   the contest, when one is given: its rowids are found through `ideas_contest_rowid`), a range FTS5 seeks to,
//!   and its frequency is estimated from that sample. In data where every word is common this is what tells a word
//!   of one text from a word of every text;
//! - a phrase is used only when one of its syllables is rare (in fewer than [`COUNT_CAP`] ideas): FTS5 then walks
//!   the rare list and seeks in the other, in ascending order (reading a phrase newest first makes FTS5 walk
//!   position lists backwards, measured 10–20 ms for a phrase of two common syllables at a million ideas). A phrase
//!   of two common syllables ("thong giao", both in most ideas but never in that order) would make FTS5 check the
//!   positions of every idea holding both, so it is left to its syllables;
//! - each kept term reads at most [`FETCH_WINDOW`] matches newest first (a phrase: its fewer than [`COUNT_CAP`]
//!   matches in ascending order, then sorted), joined to `ideas` by rowid for visibility and the contest, keeping
//!   [`FETCH`] of them.
//!
//! So a request costs at most about `MAX_SYLLABLES × (COUNT_CAP + RECENT_WINDOW) + MAX_PHRASES × 3 × COUNT_CAP`
//! index entries, `KEPT_TERMS × FETCH_WINDOW` row look-ups and one load of [`MAX_CANDIDATES`] rows, in at most six
//! short statements (the number of ideas, the contest's rowids, two of counts, one of matches, the load), whatever
//! the text: a word in every idea costs what a rare one costs, a word in no idea almost nothing. Measured on the
//! benchmark data (221 texts repeated, so every word is common): about 2 ms of server time per request at 200,000
//! and at 1,000,000 ideas (see the README).
//!
//! The price: among very common words the candidates are the newest matches, so an old exact copy can lose to a
//! newer near copy, and word order only counts through the final score, not the retrieval. For real contest text,
//! where most words of an idea are rare, every match of the rare words and phrases is read.
//!
//! # PostgreSQL
//! The same terms and rules, counts capped with `LIMIT`, phrases as `a <-> b`, the newest matches by listing time
//! (no rowid window: a common syllable's frequency stays at the cap). The GIN index serves rare terms; for common
//! ones the planner's choice decides the cost, as for search. The SQLite bound is what the benchmark relies on.

use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use super::DbConn;
use super::schema::{contests, ideas};
use super::search::{Sql, fts_word};
use crate::domain::similar::Feature;

/// The most syllables of a text that are looked up.
pub const MAX_SYLLABLES: usize = 10;
/// The most phrases (pairs of those syllables) that are looked up.
pub const MAX_PHRASES: usize = 10;
/// How many of the rarest terms are used to find candidates.
pub const KEPT_TERMS: usize = 5;
/// Counting a term stops at this many ideas (it is then "common").
pub const COUNT_CAP: i64 = 500;
/// How many of the newest ideas a common syllable is counted among.
pub const RECENT_WINDOW: i64 = 2000;
/// The most matches of one term read, newest first, before the filters.
pub const FETCH_WINDOW: i64 = 300;
/// The most candidates one term contributes.
pub const FETCH: i64 = 60;
/// The most candidates loaded and scored.
pub const MAX_CANDIDATES: usize = 40;

/// Which ideas may be returned.
#[derive(Debug, Clone, Default)]
pub struct SimilarFilter {
    /// Only this contest's ideas.
    pub contest_id: Option<String>,
    /// Never this idea (the one being edited).
    pub exclude_id: Option<String>,
}

/// A candidate, with what the answer shows of it.
#[derive(Debug, Clone, Queryable)]
pub struct Candidate {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Status code.
    pub status: String,
    /// Contest slug.
    pub contest_slug: String,
    /// Contest title.
    pub contest_title: String,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    k: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Fetched {
    #[diesel(sql_type = BigInt)]
    k: i64,
    #[diesel(sql_type = Text)]
    id: String,
}

/// A term with what is known of its frequency.
#[derive(Debug, Clone)]
struct Term {
    feature: Feature,
    /// Estimated number of ideas holding it, over the whole index.
    df: f64,
}

/// The terms worth looking up, from the syllables' capped counts: a syllable found nowhere is left out, and so is a
/// phrase unless one of its syllables is rare (see the module documentation). Returns the terms (their `df` the
/// capped count for now) and, for each, whether it needs a second count: a phrase (its own count) or a syllable at
/// the cap (a sample among the newest ideas).
fn plan(terms: &[Feature], count_of: impl Fn(&str) -> i64) -> Vec<(Term, bool)> {
    terms
        .iter()
        .filter_map(|f| {
            let (df, again) = match f {
                Feature::One(w) => (count_of(w), count_of(w) >= COUNT_CAP),
                Feature::Two(a, b) => {
                    let (na, nb) = (count_of(a), count_of(b));
                    if na == 0 || nb == 0 || na.min(nb) >= COUNT_CAP {
                        return None;
                    }
                    (na.min(nb), true)
                }
            };
            (df > 0).then(|| {
                (
                    Term {
                        feature: f.clone(),
                        df: df as f64,
                    },
                    again,
                )
            })
        })
        .collect()
}

/// The best candidates for a text with these `features` (the likeliest to be specific first, as
/// `domain::similar::search_terms` orders them), best first by the sum of their terms' inverse document
/// frequencies. The first [`MAX_SYLLABLES`] syllables are looked up, and up to [`MAX_PHRASES`] pairs of them.
pub fn candidates(
    conn: &mut DbConn,
    features: &[Feature],
    filter: &SimilarFilter,
) -> QueryResult<Vec<Candidate>> {
    let terms = choose_terms(features);
    let terms = terms.as_slice();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let ranked = match conn {
        DbConn::Sqlite(c) => sqlite_candidates(c, terms, filter)?,
        DbConn::Postgres(c) => pg_candidates(c, terms, filter)?,
    };
    load(conn, &ranked)
}

/// The syllables to look up (the first [`MAX_SYLLABLES`]), then the pairs made of two of them (the first
/// [`MAX_PHRASES`]).
fn choose_terms(features: &[Feature]) -> Vec<Feature> {
    let words: Vec<&String> = features
        .iter()
        .filter_map(|f| match f {
            Feature::One(w) => Some(w),
            Feature::Two(..) => None,
        })
        .take(MAX_SYLLABLES)
        .collect();
    let pairs = features
        .iter()
        .filter(|f| matches!(f, Feature::Two(a, b) if words.contains(&a) && words.contains(&b)))
        .take(MAX_PHRASES);
    words
        .iter()
        .map(|w| Feature::One((*w).clone()))
        .chain(pairs.cloned())
        .collect()
}

/// The syllables the terms are made of, each once.
fn syllables(terms: &[Feature]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in terms {
        let words: Vec<&String> = match t {
            Feature::One(w) => vec![w],
            Feature::Two(a, b) => vec![a, b],
        };
        for w in words {
            if !out.contains(w) {
                out.push(w.clone());
            }
        }
    }
    out
}

/// Accumulates candidates from each kept term's matches: ranked ids, best first.
fn rank(kept: &[Term], fetched: Vec<Fetched>, total: f64) -> Vec<String> {
    // id → (weight, first position seen: matches come newest first, so earlier is newer)
    let mut acc: HashMap<String, (f64, usize)> = HashMap::new();
    for (pos, f) in fetched.into_iter().enumerate() {
        let Some(term) = usize::try_from(f.k).ok().and_then(|k| kept.get(k)) else {
            continue;
        };
        let idf = (1.0 + total / term.df.max(1.0)).ln();
        let e = acc.entry(f.id).or_insert((0.0, pos));
        e.0 += idf;
    }
    let mut all: Vec<(String, (f64, usize))> = acc.into_iter().collect();
    all.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    all.into_iter()
        .take(MAX_CANDIDATES)
        .map(|(id, _)| id)
        .collect()
}

/// The [`KEPT_TERMS`] rarest terms that occur at all, rarest first (pairs first among equals, then as given).
fn keep_rarest(mut terms: Vec<Term>) -> Vec<Term> {
    terms.retain(|t| t.df > 0.0);
    terms.sort_by(|a, b| {
        let pair = |t: &Term| matches!(t.feature, Feature::Two(..));
        a.df.total_cmp(&b.df).then(pair(b).cmp(&pair(a)))
    });
    terms.truncate(KEPT_TERMS);
    terms
}

/// One statement that runs `part` for every item and puts the rows together (`UNION ALL`); `part` appends one
/// `SELECT` to the statement, binding its values in place so they are numbered in order.
fn union_all<T>(items: &[T], mut part: impl FnMut(&mut Sql, usize, &T)) -> Sql {
    let mut all = Sql::default();
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            all.push(" UNION ALL ");
        }
        all.push("SELECT * FROM (");
        part(&mut all, k, item);
        all.push(&format!(") AS u{k}"));
    }
    all
}

fn sqlite_candidates(
    c: &mut SqliteConnection,
    terms: &[Feature],
    filter: &SimilarFilter,
) -> QueryResult<Vec<String>> {
    let total = sqlite_total(c)?;
    // The rowids candidates may have: the contest's first to last idea, or every idea.
    let (first, last) = match &filter.contest_id {
        None => (1, total),
        Some(contest) => match sqlite_contest_range(c, contest)? {
            Some(range) => range,
            None => return Ok(Vec::new()),
        },
    };
    // The newest ideas (of the contest, when there is one) a common syllable is counted among.
    let recent_from = (last - RECENT_WINDOW).max(first - 1);
    let window = (last - recent_from).max(1) as f64;

    // 1. How many ideas hold each syllable, up to COUNT_CAP.
    let words = syllables(terms);
    let counts = union_all(&words, |s, k, w| {
        s.push(&format!(
            "SELECT {k} AS k, count(*) AS n FROM (SELECT 1 FROM idea_search WHERE idea_search MATCH "
        ))
        .bind(&fts_word(w))
        .push(&format!(" LIMIT {COUNT_CAP})"));
    });
    let mut word_count: HashMap<&str, i64> = HashMap::new();
    for r in counts.sqlite::<Counted>(c)? {
        if let Some(w) = usize::try_from(r.k).ok().and_then(|k| words.get(k)) {
            word_count.insert(w, r.n);
        }
    }
    let planned = plan(terms, |w| word_count.get(w).copied().unwrap_or(0));

    // 2. A phrase's own count (capped: its rare syllable bounds the walk); a common syllable's count among the
    //    newest ideas, scaled to the whole index.
    let again: Vec<usize> = (0..planned.len()).filter(|&k| planned[k].1).collect();
    let mut list: Vec<Term> = planned.into_iter().map(|(t, _)| t).collect();
    if !again.is_empty() {
        let counts = union_all(&again, |s, _, &k| {
            let t = &list[k];
            s.push(&format!(
                "SELECT {k} AS k, count(*) AS n FROM (SELECT 1 FROM idea_search WHERE idea_search MATCH "
            ))
            .bind(&fts_word(&t.feature.text()));
            match t.feature {
                Feature::Two(..) => s.push(&format!(" LIMIT {COUNT_CAP})")),
                Feature::One(_) => {
                    s.push(&format!(" AND rowid > {recent_from} AND rowid <= {last})"))
                }
            };
        });
        for r in counts.sqlite::<Counted>(c)? {
            let Some(t) = usize::try_from(r.k).ok().and_then(|k| list.get_mut(k)) else {
                continue;
            };
            t.df = match t.feature {
                Feature::Two(..) => r.n as f64,
                // At least the cap it reached over the whole index.
                Feature::One(_) => (r.n as f64 * total as f64 / window).max(COUNT_CAP as f64),
            };
        }
    }
    let kept = keep_rarest(list);
    if kept.is_empty() {
        return Ok(Vec::new());
    }

    // 3. The newest visible matches of each kept term, within the contest's rowids. A syllable's list is read
    //    newest first; a phrase's matches (fewer than COUNT_CAP) are read in ascending order and sorted, since FTS5
    //    reads phrases backwards slowly.
    let bounds = if first > 1 {
        format!(" AND rowid >= {first} AND rowid <= {last}")
    } else {
        format!(" AND rowid <= {last}")
    };
    let fetch = union_all(&kept, |s, k, t| {
        s.push(&format!(
            "SELECT {k} AS k, i.id AS id FROM (SELECT rid FROM (SELECT rowid AS rid FROM idea_search \
             WHERE idea_search MATCH "
        ))
        .bind(&fts_word(&t.feature.text()))
        .push(&bounds);
        match t.feature {
            Feature::One(_) => s.push(&format!(" ORDER BY rowid DESC LIMIT {FETCH_WINDOW})")),
            Feature::Two(..) => s.push(&format!(
                " LIMIT {COUNT_CAP}) ORDER BY rid DESC LIMIT {FETCH_WINDOW}"
            )),
        };
        s.push(") AS w CROSS JOIN ideas i WHERE i.rowid = w.rid AND i.is_public");
        push_filter(s, filter);
        s.push(&format!(" LIMIT {FETCH}"));
    });
    let fetched: Vec<Fetched> = fetch.sqlite(c)?;
    Ok(rank(&kept, fetched, total as f64))
}

/// The number of ideas, from the largest rowid (a lookup at the end of the table's B-tree, not a count).
fn sqlite_total(c: &mut SqliteConnection) -> QueryResult<i64> {
    let rows: Vec<Counted> =
        Sql::new("SELECT 0 AS k, coalesce(max(rowid), 0) AS n FROM ideas").sqlite(c)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// The first and last rowid of the contest's ideas (index `ideas_contest_rowid`: one lookup each); `None` when it
/// has none.
fn sqlite_contest_range(
    c: &mut SqliteConnection,
    contest_id: &str,
) -> QueryResult<Option<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Range {
        #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
        first: Option<i64>,
        #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
        last: Option<i64>,
    }
    let mut sql = Sql::new("SELECT (SELECT rowid FROM ideas WHERE contest_id = ");
    sql.bind(contest_id)
        .push(" ORDER BY rowid LIMIT 1) AS first, (SELECT rowid FROM ideas WHERE contest_id = ")
        .bind(contest_id)
        .push(" ORDER BY rowid DESC LIMIT 1) AS last");
    let rows: Vec<Range> = sql.sqlite(c)?;
    Ok(rows.first().and_then(|r| r.first.zip(r.last)))
}

fn push_filter(s: &mut Sql, filter: &SimilarFilter) {
    if let Some(contest) = &filter.contest_id {
        s.push(" AND i.contest_id = ").bind(contest);
    }
    if let Some(id) = &filter.exclude_id {
        s.push(" AND i.id <> ").bind(id);
    }
}

/// A term as a `tsquery` of the `simple` configuration: a word, or two words in a row.
fn ts_term(f: &Feature) -> String {
    match f {
        Feature::One(w) => w.clone(),
        Feature::Two(a, b) => format!("{a} <-> {b}"),
    }
}

/// Counts the ideas matching each `tsquery`, up to COUNT_CAP; `(k, n)` rows.
fn pg_counts(queries: &[(usize, String)]) -> Sql {
    union_all(queries, |s, _, (k, q)| {
        s.push(&format!(
            "SELECT {k}::bigint AS k, count(*) AS n FROM (SELECT 1 FROM idea_search \
             WHERE document @@ to_tsquery('simple', "
        ))
        .bind(q)
        .push(&format!(") LIMIT {COUNT_CAP}) AS m"));
    })
}

fn pg_candidates(
    c: &mut PgConnection,
    terms: &[Feature],
    filter: &SimilarFilter,
) -> QueryResult<Vec<String>> {
    let words = syllables(terms);
    let queries: Vec<(usize, String)> = words.iter().cloned().enumerate().collect();
    let mut word_count: HashMap<&str, i64> = HashMap::new();
    for r in pg_counts(&queries).pg::<Counted>(c)? {
        if let Some(w) = usize::try_from(r.k).ok().and_then(|k| words.get(k)) {
            word_count.insert(w, r.n);
        }
    }
    let planned = plan(terms, |w| word_count.get(w).copied().unwrap_or(0));
    let phrases: Vec<(usize, String)> = planned
        .iter()
        .enumerate()
        .filter(|(_, (t, _))| matches!(t.feature, Feature::Two(..)))
        .map(|(k, (t, _))| (k, ts_term(&t.feature)))
        .collect();
    let mut list: Vec<Term> = planned.into_iter().map(|(t, _)| t).collect();
    if !phrases.is_empty() {
        for r in pg_counts(&phrases).pg::<Counted>(c)? {
            if let Some(t) = usize::try_from(r.k).ok().and_then(|k| list.get_mut(k)) {
                t.df = r.n as f64;
            }
        }
    }
    let kept = keep_rarest(list);
    if kept.is_empty() {
        return Ok(Vec::new());
    }
    let fetch = union_all(&kept, |s, k, t| {
        s.push(&format!(
            "SELECT {k}::bigint AS k, i.id AS id FROM idea_search s JOIN ideas i ON i.id = s.idea_id \
             WHERE s.document @@ to_tsquery('simple', "
        ))
        .bind(&ts_term(&t.feature))
        .push(") AND i.is_public");
        push_filter(s, filter);
        s.push(&format!(
            " ORDER BY i.listed_at DESC, i.id DESC LIMIT {FETCH}"
        ));
    });
    let fetched: Vec<Fetched> = fetch.pg(c)?;
    // The planner's estimate of the number of ideas is enough for the weights' proportions.
    let total = pg_total(c)?.max(COUNT_CAP) as f64;
    Ok(rank(&kept, fetched, total))
}

fn pg_total(c: &mut PgConnection) -> QueryResult<i64> {
    let rows: Vec<Counted> = Sql::new(
        "SELECT 0::bigint AS k, GREATEST(reltuples, 0)::bigint AS n FROM pg_class \
         WHERE oid = 'idea_search'::regclass",
    )
    .pg(c)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// The candidates `ids`, in that order.
fn load(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<Candidate>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Candidate> = ideas::table
        .inner_join(contests::table)
        .filter(ideas::id.eq_any(ids))
        .select((
            ideas::id,
            ideas::title,
            ideas::summary,
            ideas::status,
            contests::slug,
            contests::title,
        ))
        .load(conn)?;
    let mut by_id: HashMap<String, Candidate> =
        rows.into_iter().map(|r| (r.id.clone(), r)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// A submitted idea of a contest, as the near-duplicate report needs it.
#[derive(Debug, Clone, Queryable)]
pub struct Submission {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Status code.
    pub status: String,
    /// Whether the public sees it.
    pub is_public: bool,
    /// First submitted.
    pub submitted_at: Option<chrono::NaiveDateTime>,
    /// The main author's name.
    pub author: String,
    /// The idea's unit.
    pub unit: String,
}

/// The contest's submitted ideas (every status but draft and withdrawn), newest first, at most `limit`: on SQLite
/// the most recently created (index `ideas_contest_rowid`, read backwards until `limit` pass), on PostgreSQL the
/// most recently submitted (index `ideas_contest_submitted`). Neither sorts the contest's ideas.
pub fn contest_submissions(
    conn: &mut DbConn,
    contest_id: &str,
    limit: i64,
) -> QueryResult<Vec<Submission>> {
    use super::schema::{units, users};
    macro_rules! submitted {
        () => {
            ideas::table
                .inner_join(users::table.on(users::id.eq(ideas::author_id)))
                .inner_join(units::table.on(units::id.eq(ideas::unit_id)))
                .filter(ideas::contest_id.eq(contest_id))
                .filter(ideas::status.ne_all(["draft", "withdrawn"]))
                .select((
                    ideas::id,
                    ideas::title,
                    ideas::summary,
                    ideas::status,
                    ideas::is_public,
                    ideas::submitted_at,
                    users::display_name,
                    units::name,
                ))
        };
    }
    match conn {
        DbConn::Sqlite(c) => submitted!()
            .order(diesel::dsl::sql::<BigInt>("ideas.rowid DESC"))
            .limit(limit)
            .load(c),
        DbConn::Postgres(c) => submitted!()
            .order((ideas::submitted_at.desc(), ideas::id.desc()))
            .limit(limit)
            .load(c),
    }
}
