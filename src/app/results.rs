//! The results of a contest's current review round (DESIGN.md "Review"): each idea's raw and calibrated score, how
//! far apart its reviewers are, whether one more review could change its fate, and its rank, for the organizers'
//! ranking table, the API and the exports.
//!
//! The scores come from `domain::calibration` alone, fitted over all of the round's submitted reviews at once. The
//! table's filters and order only choose what is shown, never what is fitted: an idea has the same score and rank
//! whatever the view. A review counts while its assignment stands; a reviewer who recused or was removed no
//! longer speaks for the idea.

use std::cmp::Ordering;
use std::collections::HashMap;

use diesel::prelude::*;

use crate::access::{Principal, redaction};
use crate::app::contests::managed;
use crate::app::reviews::{CONFIDENCE_MAX, CONFIDENCE_MIN, HELD};
use crate::db::DbConn;
use crate::db::catalog::Contest;
use crate::db::ideas::Idea;
use crate::db::schema::{assignments, ideas, reviews};
use crate::domain::calibration::{self, IdeaResult, Review, Settings};
use crate::domain::listing::ParamError;
use crate::domain::status::IdeaStatus;
use crate::domain::text::fold;
use crate::web::error::AppError;

/// The cut-off K when none is asked: the number of ideas a real contest selects for application.
pub const DEFAULT_CUT: usize = 15;
/// The largest cut-off accepted.
pub const MAX_CUT: usize = 1000;

/// A column the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The calibrated score (the rank).
    Calibrated,
    /// The raw mean.
    Raw,
    /// How far apart the reviewers are (the range of their bias-corrected scores).
    Spread,
    /// How many reviews are in.
    Reviews,
    /// The title.
    Title,
}

impl SortKey {
    /// Every key, in the order the table shows them.
    pub const ALL: [SortKey; 5] = [
        SortKey::Calibrated,
        SortKey::Raw,
        SortKey::Spread,
        SortKey::Reviews,
        SortKey::Title,
    ];

    /// The code in `?sort=`.
    pub fn code(self) -> &'static str {
        match self {
            SortKey::Calibrated => "calibrated",
            SortKey::Raw => "raw",
            SortKey::Spread => "spread",
            SortKey::Reviews => "reviews",
            SortKey::Title => "title",
        }
    }

    /// The direction sorting by this key starts with: the most first, titles from A.
    pub fn natural(self) -> Direction {
        match self {
            SortKey::Title => Direction::Asc,
            _ => Direction::Desc,
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl Direction {
    /// Both, for parsing.
    pub const ALL: [Direction; 2] = [Direction::Asc, Direction::Desc];

    /// The code in `?dir=`.
    pub fn code(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }

    /// The other one.
    pub fn flipped(self) -> Direction {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
}

/// A flag the table can be filtered by (see `domain::calibration` for what each means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// The reviewers disagree strongly.
    Disagreement,
    /// The idea sits near the cut-off.
    Uncertain,
}

impl Flag {
    /// Both, for parsing and for the filter's choices.
    pub const ALL: [Flag; 2] = [Flag::Disagreement, Flag::Uncertain];

    /// The code in `?flag=`.
    pub fn code(self) -> &'static str {
        match self {
            Flag::Disagreement => "disagreement",
            Flag::Uncertain => "uncertain",
        }
    }

    /// Whether `fit` carries this flag.
    pub fn on(self, fit: &IdeaResult<String>) -> bool {
        match self {
            Flag::Disagreement => fit.disagreement,
            Flag::Uncertain => fit.uncertain,
        }
    }
}

/// What the table shows: which ideas, in what order, and the cut-off K that `uncertain` is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// The column sorted by.
    pub sort: SortKey,
    /// Its direction.
    pub direction: Direction,
    /// Only ideas with this flag.
    pub flag: Option<Flag>,
    /// Only ideas in this state.
    pub status: Option<IdeaStatus>,
    /// The cut-off: how many ideas are to be chosen (1..=[`MAX_CUT`]).
    pub cut: usize,
}

impl Default for View {
    fn default() -> Self {
        View {
            sort: SortKey::Calibrated,
            direction: Direction::Desc,
            flag: None,
            status: None,
            cut: DEFAULT_CUT,
        }
    }
}

/// A view as a client writes it: each value as typed; absent or blank means the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawView<'a> {
    /// `?sort=`.
    pub sort: Option<&'a str>,
    /// `?dir=`.
    pub dir: Option<&'a str>,
    /// `?flag=`.
    pub flag: Option<&'a str>,
    /// `?status=`.
    pub status: Option<&'a str>,
    /// `?cut=`.
    pub cut: Option<&'a str>,
}

/// The value of `param` among `all` by its code; `None` when absent or blank.
fn one_of<T: Copy>(
    param: &'static str,
    raw: Option<&str>,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Result<Option<T>, ParamError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => all
            .iter()
            .copied()
            .find(|x| code(*x) == v)
            .map(Some)
            .ok_or(ParamError::new(param, "unknown_value")),
    }
}

impl View {
    /// Reads a view; a value that is not one of its choices is refused, named by its parameter.
    pub fn parse(raw: &RawView) -> Result<View, ParamError> {
        let sort =
            one_of("sort", raw.sort, &SortKey::ALL, SortKey::code)?.unwrap_or(SortKey::Calibrated);
        let direction =
            one_of("dir", raw.dir, &Direction::ALL, Direction::code)?.unwrap_or(sort.natural());
        let flag = one_of("flag", raw.flag, &Flag::ALL, Flag::code)?;
        let status = one_of("status", raw.status, &IdeaStatus::ALL, IdeaStatus::code)?;
        let cut = match raw.cut.map(str::trim).filter(|v| !v.is_empty()) {
            None => DEFAULT_CUT,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|k| (1..=MAX_CUT).contains(k))
                .ok_or(ParamError::new("cut", "invalid_cut"))?,
        };
        Ok(View {
            sort,
            direction,
            flag,
            status,
            cut,
        })
    }

    /// The view as query pairs, defaults left out: links that keep it (sorting, exports, the form's way back).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.sort != SortKey::Calibrated {
            out.push(("sort", self.sort.code().to_string()));
        }
        if self.direction != self.sort.natural() {
            out.push(("dir", self.direction.code().to_string()));
        }
        if let Some(f) = self.flag {
            out.push(("flag", f.code().to_string()));
        }
        if let Some(s) = self.status {
            out.push(("status", s.code().to_string()));
        }
        if self.cut != DEFAULT_CUT {
            out.push(("cut", self.cut.to_string()));
        }
        out
    }
}

/// One idea's line of the table.
#[derive(Debug, Clone)]
pub struct Line {
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub title: String,
    /// Its state's code.
    pub status: String,
    /// Reviews in (submitted, in the current round).
    pub reviews: usize,
    /// Reviews still awaited from reviewers holding an assignment.
    pub pending: usize,
    /// Its scores and flags; `None` before its first review.
    pub fit: Option<IdeaResult<String>>,
    /// Its rank by calibrated score (1 = best), over the whole round whatever the view.
    pub rank: Option<usize>,
    /// Its rank by raw mean.
    pub raw_rank: Option<usize>,
}

/// A contest's results as one view shows them.
#[derive(Debug, Clone)]
pub struct Standings {
    /// The contest.
    pub contest: Contest,
    /// The current round (`None` before the first rubric).
    pub round: Option<i32>,
    /// The view.
    pub view: View,
    /// The calibrated score at rank K, when at least K ideas are scored.
    pub cutoff: Option<f64>,
    /// Whether the fit settled (it practically always does; a `false` is worth a look).
    pub converged: bool,
    /// The lines the view shows, in its order.
    pub lines: Vec<Line>,
    /// How many lines there are before filtering.
    pub total: usize,
}

/// A held assignment of the round with its review, if any: (idea, reviewer, review status, weighted score,
/// confidence).
type Held = (String, String, Option<String>, Option<f64>, Option<i32>);

/// The contest's results in `view`. Organizers of the contest's unit only.
pub fn standings(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    view: &View,
) -> Result<Standings, AppError> {
    let contest = managed(conn, who, slug)?;
    let Some((round, _)) = crate::app::rubric::current(conn, &contest.id)? else {
        return Ok(Standings {
            contest,
            round: None,
            view: *view,
            cutoff: None,
            converged: true,
            lines: Vec::new(),
            total: 0,
        });
    };
    let held: Vec<Held> = assignments::table
        .left_join(reviews::table)
        .filter(assignments::contest_id.eq(&contest.id))
        .filter(assignments::round.eq(round.round))
        .filter(assignments::status.eq_any(HELD))
        .select((
            assignments::idea_id,
            assignments::reviewer_id,
            reviews::status.nullable(),
            reviews::weighted_score.nullable(),
            reviews::confidence.nullable(),
        ))
        .load(conn)?;
    // Every idea someone holds in this round, and every idea in review even before anyone holds it.
    let listed: Vec<(String, String, String)> = ideas::table
        .filter(ideas::contest_id.eq(&contest.id))
        .filter(
            ideas::status
                .eq(IdeaStatus::InReview.code())
                .or(ideas::id.eq_any(
                    assignments::table
                        .filter(assignments::contest_id.eq(&contest.id))
                        .filter(assignments::round.eq(round.round))
                        .filter(assignments::status.eq_any(HELD))
                        .select(assignments::idea_id),
                )),
        )
        .select((ideas::id, ideas::title, ideas::status))
        .load(conn)?;

    let mut pending: HashMap<&str, usize> = HashMap::new();
    let mut scored = Vec::new();
    for (idea, reviewer, status, score, confidence) in &held {
        match (status.as_deref(), score) {
            (Some("submitted"), Some(score)) => scored.push(Review {
                idea: idea.clone(),
                reviewer: reviewer.clone(),
                score: *score,
                confidence: confidence.map(confidence_share),
            }),
            _ => *pending.entry(idea.as_str()).or_default() += 1,
        }
    }
    let fit = calibration::calibrate(&scored, view.cut, &Settings::default());
    let mut raw_order: Vec<&IdeaResult<String>> = fit.ideas.iter().collect();
    raw_order.sort_by(|a, b| {
        b.raw_mean
            .total_cmp(&a.raw_mean)
            .then(calibration::by_rank(*a, *b))
    });
    let raw_rank: HashMap<&str, usize> = raw_order
        .iter()
        .enumerate()
        .map(|(i, r)| (r.idea.as_str(), i + 1))
        .collect();
    let by_idea: HashMap<&str, (usize, &IdeaResult<String>)> = fit
        .ideas
        .iter()
        .enumerate()
        .map(|(i, r)| (r.idea.as_str(), (i + 1, r)))
        .collect();

    let total = listed.len();
    let mut lines: Vec<Line> = listed
        .into_iter()
        .map(|(idea_id, title, status)| {
            let found = by_idea.get(idea_id.as_str());
            Line {
                reviews: found.map_or(0, |(_, r)| r.reviews),
                pending: pending.get(idea_id.as_str()).copied().unwrap_or(0),
                fit: found.map(|(_, r)| (*r).clone()),
                rank: found.map(|(rank, _)| *rank),
                raw_rank: raw_rank.get(idea_id.as_str()).copied(),
                idea_id,
                title,
                status,
            }
        })
        .filter(|l| shown(view, l))
        .collect();
    lines.sort_by(|a, b| order(view, a, b));
    Ok(Standings {
        contest,
        round: Some(round.round),
        view: *view,
        cutoff: fit.cutoff,
        converged: fit.converged,
        lines,
        total,
    })
}

/// The contest's results in `view` for a file that leaves the portal (CSV, XLSX). In a blind contest the titles
/// lose any name, email or phone of the team written into them (`access::redaction`, as reviewers see titles):
/// such a file is easily passed on to the jury, and the table needs no identity to rank.
pub fn for_export(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    view: &View,
) -> Result<Standings, AppError> {
    let mut s = standings(conn, who, slug, view)?;
    if !s.contest.blind_review {
        return Ok(s);
    }
    let ids: Vec<&String> = s.lines.iter().map(|l| &l.idea_id).collect();
    let rows: Vec<Idea> = ideas::table
        .filter(ideas::id.eq_any(&ids))
        .select(Idea::as_select())
        .load(conn)?;
    let people = crate::app::reviews::identities(conn, &rows.iter().collect::<Vec<_>>())?;
    for line in &mut s.lines {
        if let Some(identity) = people.get(&line.idea_id) {
            line.title = redaction::title_for_reviewer(&line.title, true, identity);
        }
    }
    Ok(s)
}

/// A stored confidence (1–5) as the calibration reads it (0–1).
fn confidence_share(stored: i32) -> f64 {
    f64::from(stored - CONFIDENCE_MIN) / f64::from(CONFIDENCE_MAX - CONFIDENCE_MIN)
}

/// Whether the view's filters keep `line`.
fn shown(view: &View, line: &Line) -> bool {
    view.status.is_none_or(|s| line.status == s.code())
        && view
            .flag
            .is_none_or(|f| line.fit.as_ref().is_some_and(|fit| f.on(fit)))
}

/// The view's order. Ideas without a score come after the scored ones in either direction (a missing score is
/// not a low one); ties, and everything else, fall back to the rank, then the title.
fn order(view: &View, a: &Line, b: &Line) -> Ordering {
    let score = |l: &Line| -> Option<f64> {
        let fit = l.fit.as_ref();
        match view.sort {
            SortKey::Calibrated => fit.map(|f| f.calibrated),
            SortKey::Raw => fit.map(|f| f.raw_mean),
            SortKey::Spread => fit.map(|f| f.spread_range),
            SortKey::Reviews => Some(l.reviews as f64),
            SortKey::Title => None,
        }
    };
    let key = match (view.sort, score(a), score(b)) {
        (SortKey::Title, _, _) => fold(&a.title).cmp(&fold(&b.title)),
        (_, Some(x), Some(y)) => x.total_cmp(&y),
        (_, Some(_), None) => return Ordering::Less,
        (_, None, Some(_)) => return Ordering::Greater,
        (_, None, None) => Ordering::Equal,
    };
    let key = match view.direction {
        Direction::Asc => key,
        Direction::Desc => key.reverse(),
    };
    let rank = |l: &Line| l.rank.unwrap_or(usize::MAX);
    key.then(rank(a).cmp(&rank(b)))
        .then_with(|| a.title.cmp(&b.title))
        .then_with(|| a.idea_id.cmp(&b.idea_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, title: &str, rank: Option<usize>, calibrated: f64, range: f64) -> Line {
        Line {
            idea_id: id.into(),
            title: title.into(),
            status: "reviewed".into(),
            reviews: rank.map_or(0, |_| 3),
            pending: 0,
            fit: rank.map(|_| IdeaResult {
                idea: id.into(),
                reviews: 3,
                raw_mean: calibrated,
                calibrated,
                standard_error: 0.5,
                spread_sd: range / 2.0,
                spread_range: range,
                disagreement: range > 4.0,
                uncertain: false,
            }),
            rank,
            raw_rank: rank,
        }
    }

    #[test]
    fn views_parse_with_defaults_and_name_the_bad_parameter() {
        let v = View::parse(&RawView::default()).unwrap_or_default();
        assert_eq!(v, View::default());
        assert!(v.pairs().is_empty());
        let v = View::parse(&RawView {
            sort: Some("title"),
            flag: Some("uncertain"),
            status: Some("in_review"),
            cut: Some(" 20 "),
            ..RawView::default()
        });
        let v = v.unwrap_or_default();
        assert_eq!(
            (v.sort, v.direction, v.flag, v.status, v.cut),
            (
                SortKey::Title,
                Direction::Asc,
                Some(Flag::Uncertain),
                Some(IdeaStatus::InReview),
                20
            )
        );
        let refused = |raw: RawView| {
            View::parse(&raw)
                .err()
                .map(|e| (e.param.into_owned(), e.code))
        };
        assert_eq!(
            refused(RawView {
                sort: Some("score"),
                ..RawView::default()
            }),
            Some(("sort".to_string(), "unknown_value"))
        );
        for cut in ["0", "1001", "mười", "-3"] {
            assert_eq!(
                refused(RawView {
                    cut: Some(cut),
                    ..RawView::default()
                }),
                Some(("cut".to_string(), "invalid_cut")),
                "{cut}"
            );
        }
        assert_eq!(
            refused(RawView {
                status: Some("pending"),
                ..RawView::default()
            }),
            Some(("status".to_string(), "unknown_value"))
        );
    }

    #[test]
    fn unscored_ideas_come_last_either_way_and_titles_sort_without_accents() {
        let lines = [
            line("a", "Đèn giao thông", Some(2), 6.0, 1.0),
            line("b", "Ánh sáng công viên", Some(1), 8.0, 5.0),
            line("c", "Bãi xe", None, 0.0, 0.0),
        ];
        let sorted = |sort, direction| {
            let view = View {
                sort,
                direction,
                ..View::default()
            };
            let mut l = lines.to_vec();
            l.sort_by(|a, b| order(&view, a, b));
            l.into_iter()
                .map(|l| l.idea_id)
                .collect::<Vec<_>>()
                .join("")
        };
        assert_eq!(sorted(SortKey::Calibrated, Direction::Desc), "bac");
        assert_eq!(sorted(SortKey::Calibrated, Direction::Asc), "abc");
        assert_eq!(sorted(SortKey::Spread, Direction::Desc), "bac");
        assert_eq!(sorted(SortKey::Reviews, Direction::Asc), "cba");
        // "Ánh" folds to "anh", "Đèn" to "den": A, B, Đ as a Vietnamese reader expects.
        assert_eq!(sorted(SortKey::Title, Direction::Asc), "bca");
        assert!(shown(
            &View {
                flag: Some(Flag::Disagreement),
                ..View::default()
            },
            &lines[1]
        ));
        assert!(!shown(
            &View {
                flag: Some(Flag::Disagreement),
                ..View::default()
            },
            &lines[2]
        ));
    }

    #[test]
    fn confidence_is_read_from_the_stored_scale() {
        assert_eq!(confidence_share(1), 0.0);
        assert_eq!(confidence_share(3), 0.5);
        assert_eq!(confidence_share(5), 1.0);
    }
}
