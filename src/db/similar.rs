//! Candidates for "similar ideas": the ideas most likely to resemble a text, found through the search index
//! (`idea_search`, see [`super::search`]) with a bounded amount of work whatever the text.
//!
//! # The algorithm
//! The caller gives up to [`MAX_TERMS`] features of the text ([`crate::domain::similar`]): single syllables and
//! pairs of adjacent syllables, the pairs looked up as phrases ("giao thong"). For each term the index tells how
//! many ideas hold it (its document frequency); the [`KEPT_TERMS`] rarest are kept, the newest matches of each are
//! read, every candidate gets the sum of the inverse document frequencies of the terms it holds, and the best
//! [`MAX_CANDIDATES`] are loaded with their title and summary for the caller to score exactly. Only ideas the public
//! may see (`is_public`), in the contest when one is given, are candidates.
//!
//! # Why the work is bounded (SQLite)
//! Everything read from the index is capped, in entries read rather than only in rows returned:
//! - a single syllable's count reads at most [`COUNT_CAP`] entries of one list (`LIMIT` stops the walk);
//! - a syllable found in [`COUNT_CAP`] ideas or more is counted again among the newest [`RECENT_WINDOW`] ideas
//!   (`rowid >` a bound, which FTS5 seeks to), and its frequency estimated from that sample: in data where every
//!   word is common this is what tells a word of one text from a word of every text;
//! - a phrase is read over the whole index only when one of its two syllables is rare (fewer than [`COUNT_CAP`]
//!   ideas): FTS5 then walks the rare list and seeks in the other. A phrase of two common syllables ("thong giao",
//!   both in half the ideas but never in that order) would otherwise walk both long lists to the end, so it is
//!   counted and read among the newest [`RECENT_WINDOW`] ideas only;
//! - each kept term reads at most [`FETCH_WINDOW`] matches newest first, joined to `ideas` by rowid for visibility
//!   and the contest, keeping [`FETCH`] of them.
//!
//! So a request costs at most about `MAX_TERMS × (COUNT_CAP + 2 × RECENT_WINDOW)` index entries plus
//! `KEPT_TERMS × FETCH_WINDOW` row look-ups and one load of [`MAX_CANDIDATES`] rows, in three statements, whatever
//! the text: a word in every idea costs what a rare one costs, a word in no idea costs almost nothing. Measured at
//! 200,000 generated ideas (221 texts repeated, so every word is common): see the README.
//!
//! The price: among very common words the candidates are the newest matches, so an old exact copy can lose to a
//! newer near copy, and a rare phrase of two common words is only found among the newest ideas. For real contest
//! text, where most words of an idea are rare, every match of the rare words is read.
//!
//! # PostgreSQL
//! The same terms, counts capped with `LIMIT`, phrases as `a <-> b` (only when one syllable is rare: there is no
//! rowid window to bound the others) and the newest matches by listing time; the GIN index serves rare terms, and
//! for common ones the planner's choice decides the cost, as for search. The SQLite bound is what the benchmark
//! relies on.

use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use super::DbConn;
use super::schema::{contests, ideas};
use super::search::{Sql, fts_word};
use crate::domain::similar::Feature;

/// The most terms of a text that are looked up.
pub const MAX_TERMS: usize = 12;
/// How many of the rarest terms are used to find candidates.
pub const KEPT_TERMS: usize = 5;
/// Counting a term stops at this many ideas (it is then "common").
pub const COUNT_CAP: i64 = 1000;
/// How many of the newest ideas a common term is counted (and a phrase of common syllables read) among.
pub const RECENT_WINDOW: i64 = 5000;
/// The most matches of one term read, newest first, before the filters.
pub const FETCH_WINDOW: i64 = 400;
/// The most candidates one term contributes.
pub const FETCH: i64 = 100;
/// The most candidates loaded and scored.
pub const MAX_CANDIDATES: usize = 50;

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

/// Where a term is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The whole index (the term, or one syllable of the phrase, is rare).
    Whole,
    /// The newest [`RECENT_WINDOW`] ideas only.
    Recent,
}

/// A term with what is known of its frequency.
#[derive(Debug, Clone)]
struct Term {
    feature: Feature,
    scope: Scope,
    /// Estimated number of ideas holding it, over the whole index.
    df: f64,
}

/// The best candidates for a text with these `terms` (most specific first, at most [`MAX_TERMS`] are used), best
/// first by the sum of their terms' inverse document frequencies.
pub fn candidates(
    conn: &mut DbConn,
    terms: &[Feature],
    filter: &SimilarFilter,
) -> QueryResult<Vec<Candidate>> {
    let terms = &terms[..terms.len().min(MAX_TERMS)];
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let ranked = match conn {
        DbConn::Sqlite(c) => sqlite_candidates(c, terms, filter)?,
        DbConn::Postgres(c) => pg_candidates(c, terms, filter)?,
    };
    load(conn, &ranked)
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
    let words = syllables(terms);
    // 1. How many ideas hold each syllable, up to COUNT_CAP.
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
    let count_of = |w: &str| word_count.get(w).copied().unwrap_or(0);
    let total = sqlite_total(c)?;
    let recent_from = (total - RECENT_WINDOW).max(0);
    let window = (total - recent_from).max(1) as f64;

    // 2. Each term's scope, and a second count where the first says too little: phrases over the whole index when
    //    one syllable is rare, common terms among the newest ideas.
    let mut list: Vec<Term> = Vec::new();
    let mut recount: Vec<usize> = Vec::new();
    for f in terms {
        let (scope, df, again) = match f {
            Feature::One(w) if count_of(w) < COUNT_CAP => (Scope::Whole, count_of(w) as f64, false),
            Feature::One(_) => (Scope::Whole, COUNT_CAP as f64, true),
            Feature::Two(a, b) if count_of(a) == 0 || count_of(b) == 0 => {
                (Scope::Whole, 0.0, false)
            }
            Feature::Two(a, b) if count_of(a).min(count_of(b)) < COUNT_CAP => {
                (Scope::Whole, 0.0, true)
            }
            Feature::Two(..) => (Scope::Recent, 0.0, true),
        };
        if again {
            recount.push(list.len());
        }
        list.push(Term {
            feature: f.clone(),
            scope,
            df,
        });
    }
    if !recount.is_empty() {
        let counts = union_all(&recount, |s, _, &k| {
            let t = &list[k];
            s.push(&format!(
                "SELECT {k} AS k, count(*) AS n FROM (SELECT 1 FROM idea_search WHERE idea_search MATCH "
            ))
            .bind(&fts_word(&t.feature.text()));
            match (&t.feature, t.scope) {
                // A phrase with a rare syllable, over the whole index: capped like a syllable.
                (Feature::Two(..), Scope::Whole) => s.push(&format!(" LIMIT {COUNT_CAP})")),
                // A common term among the newest ideas: the window bounds the walk.
                _ => s.push(&format!(" AND rowid > {recent_from})")),
            };
        });
        for r in counts.sqlite::<Counted>(c)? {
            let Some(t) = usize::try_from(r.k).ok().and_then(|k| list.get_mut(k)) else {
                continue;
            };
            t.df = match (&t.feature, t.scope) {
                (Feature::Two(..), Scope::Whole) => r.n as f64,
                // Scaled from the window to the whole index; a syllable counted past the cap is at least that common.
                (Feature::One(_), _) => (r.n as f64 * total as f64 / window).max(COUNT_CAP as f64),
                (Feature::Two(..), Scope::Recent) => r.n as f64 * total as f64 / window,
            };
        }
    }
    let kept = keep_rarest(list);
    if kept.is_empty() {
        return Ok(Vec::new());
    }

    // 3. The newest visible matches of each kept term.
    let fetch = union_all(&kept, |s, k, t| {
        s.push(&format!(
            "SELECT {k} AS k, i.id AS id FROM (SELECT rowid AS rid FROM idea_search WHERE idea_search MATCH "
        ))
        .bind(&fts_word(&t.feature.text()));
        if t.scope == Scope::Recent {
            s.push(&format!(" AND rowid > {recent_from}"));
        }
        s.push(&format!(
            " ORDER BY rowid DESC LIMIT {FETCH_WINDOW}) AS w CROSS JOIN ideas i \
             WHERE i.rowid = w.rid AND i.is_public"
        ));
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
    let count_of = |w: &str| word_count.get(w).copied().unwrap_or(0);
    let mut list: Vec<Term> = Vec::new();
    let mut phrases: Vec<(usize, String)> = Vec::new();
    for f in terms {
        let df = match f {
            Feature::One(w) => count_of(w) as f64,
            Feature::Two(a, b) if count_of(a) == 0 || count_of(b) == 0 => continue,
            // Without a rowid window, a phrase of two common syllables is left to the syllables themselves.
            Feature::Two(a, b) if count_of(a).min(count_of(b)) >= COUNT_CAP => continue,
            Feature::Two(..) => {
                phrases.push((list.len(), ts_term(f)));
                0.0
            }
        };
        list.push(Term {
            feature: f.clone(),
            scope: Scope::Whole,
            df,
        });
    }
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

/// The contest's submitted ideas (every status but draft and withdrawn), newest first, at most `limit`.
pub fn contest_submissions(
    conn: &mut DbConn,
    contest_id: &str,
    limit: i64,
) -> QueryResult<Vec<Submission>> {
    use super::schema::{units, users};
    ideas::table
        .inner_join(users::table.on(users::id.eq(ideas::author_id)))
        .inner_join(units::table.on(units::id.eq(ideas::unit_id)))
        .filter(ideas::contest_id.eq(contest_id))
        .filter(ideas::status.ne_all(["draft", "withdrawn"]))
        .order((ideas::submitted_at.desc(), ideas::id.desc()))
        .limit(limit)
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
        .load(conn)
}
