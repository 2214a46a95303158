//! Similar ideas: the existing ideas most like a title and summary being written, and, for organizers, the groups
//! of near-duplicate ideas in a contest. Read-only: nothing here writes.

use chrono::NaiveDateTime;

use crate::access::Principal;
use crate::app::contests;
use crate::db::DbConn;
use crate::db::catalog::{self, Contest};
use crate::db::similar::{self as store, SimilarFilter};
use crate::domain::similar::{Features, near_duplicate_groups, search_terms, shorten};
use crate::domain::status::IdeaStatus;
use crate::domain::validation::FieldError;
use crate::web::error::AppError;

/// The longest title a similarity check accepts (the longest an idea may have).
pub const MAX_TITLE_CHARS: usize = 150;
/// The longest summary a similarity check accepts (the longest an idea may have).
pub const MAX_SUMMARY_CHARS: usize = 600;
/// Ideas returned when the caller does not say.
pub const DEFAULT_LIMIT: u32 = 5;
/// The most ideas one check returns.
pub const MAX_LIMIT: u32 = 20;
/// Ideas less alike than this are not shown: below it they share little more than a common word or two.
pub const MIN_SCORE: f64 = 0.2;
/// How long a returned summary may be, in characters.
pub const SUMMARY_CHARS: usize = 200;

/// A similarity check as asked.
#[derive(Debug, Clone, Default)]
pub struct SimilarQuery {
    /// The title typed so far.
    pub title: String,
    /// The summary typed so far.
    pub summary: String,
    /// Only ideas of this contest (slug).
    pub contest: Option<String>,
    /// Never this idea (the one being edited).
    pub exclude: Option<String>,
    /// How many ideas at most.
    pub limit: u32,
}

/// An existing idea like the one being written.
#[derive(Debug, Clone)]
pub struct SimilarIdea {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary, shortened to [`SUMMARY_CHARS`].
    pub summary: String,
    /// Status.
    pub status: IdeaStatus,
    /// Contest slug.
    pub contest_slug: String,
    /// Contest title.
    pub contest_title: String,
    /// How alike, 0–1 (see `domain::similar`).
    pub score: f64,
}

/// Checks the text of a similarity check; the problems are field errors (`title`, `summary`).
fn check_text(q: &SimilarQuery) -> Result<(), AppError> {
    let mut problems = Vec::new();
    for (field, text, max) in [
        ("title", &q.title, MAX_TITLE_CHARS),
        ("summary", &q.summary, MAX_SUMMARY_CHARS),
    ] {
        if text.chars().count() > max {
            problems.push(FieldError::new(field, "too_long").with("max", max));
        }
    }
    if problems.is_empty() && q.title.trim().is_empty() && q.summary.trim().is_empty() {
        // Either parameter alone is optional; only both missing is refused, which the document cannot express.
        return Err(AppError::Unprocessable(vec![FieldError::new(
            "title", "required",
        )]));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

/// The public ideas most like `q`'s title and summary, most alike first, at least [`MIN_SCORE`] alike. The work is
/// bounded whatever the text (see `db::similar`).
pub fn find(conn: &mut DbConn, q: &SimilarQuery) -> Result<Vec<SimilarIdea>, AppError> {
    check_text(q)?;
    let contest_id = match q
        .contest
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(slug) => Some(
            catalog::contest_by_slug(conn, slug)?
                .ok_or(AppError::BadParam(
                    crate::domain::listing::ParamError::unknown("contest"),
                ))?
                .id,
        ),
    };
    let wanted = Features::of(&q.title, &q.summary);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let filter = SimilarFilter {
        contest_id,
        exclude_id: q.exclude.clone(),
    };
    let found = store::candidates(conn, &search_terms(&q.title, &q.summary), &filter)?;
    let mut scored: Vec<SimilarIdea> = found
        .into_iter()
        .filter_map(|c| {
            let score = Features::of(&c.title, &c.summary).score(&wanted);
            let status = IdeaStatus::parse(&c.status)?;
            (score >= MIN_SCORE).then(|| SimilarIdea {
                id: c.id,
                summary: shorten(&c.summary, SUMMARY_CHARS),
                title: c.title,
                status,
                contest_slug: c.contest_slug,
                contest_title: c.contest_title,
                score,
            })
        })
        .collect();
    // Stable: equal scores keep the candidates' order (more rare terms, then newer).
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));
    scored.truncate(q.limit.clamp(1, MAX_LIMIT) as usize);
    Ok(scored)
}

/// Near-duplicates: two ideas at least this alike are linked.
pub const DUPLICATE_THRESHOLD: f64 = 0.6;
/// The most submitted ideas of a contest compared (the newest); a larger contest is reported as capped.
pub const MAX_COMPARED: i64 = 50_000;
/// The most groups a report lists.
pub const MAX_GROUPS: usize = 100;
/// The most ideas a report lists per group (the rest are counted).
pub const MAX_GROUP_SHOWN: usize = 20;

/// An idea in a group of near-duplicates.
#[derive(Debug, Clone)]
pub struct DuplicateIdea {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The main author's name.
    pub author: String,
    /// The idea's unit.
    pub unit: String,
    /// Status.
    pub status: IdeaStatus,
    /// First submitted (UTC).
    pub submitted_at: Option<NaiveDateTime>,
    /// Its best score against another idea of the group.
    pub score: f64,
    /// Whether the public sees it.
    pub public: bool,
}

/// A group of near-duplicate ideas.
#[derive(Debug, Clone)]
pub struct DuplicateGroup {
    /// The ideas shown, earliest submitted first.
    pub ideas: Vec<DuplicateIdea>,
    /// Ideas of the group not shown (past [`MAX_GROUP_SHOWN`]).
    pub more: usize,
    /// The best pair score in the group.
    pub best: f64,
}

/// A contest's near-duplicate groups.
#[derive(Debug, Clone)]
pub struct DuplicateReport {
    /// The contest.
    pub contest: Contest,
    /// How many submitted ideas were compared.
    pub compared: usize,
    /// Whether the contest has more submitted ideas than [`MAX_COMPARED`] (only the newest were compared).
    pub capped: bool,
    /// Groups, largest first (at most [`MAX_GROUPS`]).
    pub groups: Vec<DuplicateGroup>,
    /// How many groups there are in all.
    pub total_groups: usize,
}

/// The groups of near-duplicate ideas among the contest's submitted ideas (not drafts, not withdrawn), for an
/// organizer whose units include the contest; anyone else is told the contest does not exist.
pub fn duplicates(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
) -> Result<DuplicateReport, AppError> {
    let contest = contests::manageable(conn, who)?
        .into_iter()
        .find(|c| c.slug == slug)
        .ok_or(AppError::NotFound("contest"))?;
    let mut rows = store::contest_submissions(conn, &contest.id, MAX_COMPARED + 1)?;
    let capped = rows.len() as i64 > MAX_COMPARED;
    rows.truncate(MAX_COMPARED as usize);
    let features: Vec<Features> = rows
        .iter()
        .map(|r| Features::of(&r.title, &r.summary))
        .collect();
    let found = near_duplicate_groups(&features, DUPLICATE_THRESHOLD);
    let total_groups = found.len();
    let groups = found
        .into_iter()
        .take(MAX_GROUPS)
        .map(|g| {
            let mut ideas: Vec<DuplicateIdea> = g
                .members
                .iter()
                .filter_map(|&(i, score)| {
                    let r = rows.get(i)?;
                    Some(DuplicateIdea {
                        id: r.id.clone(),
                        title: r.title.clone(),
                        author: r.author.clone(),
                        unit: r.unit.clone(),
                        status: IdeaStatus::parse(&r.status)?,
                        submitted_at: r.submitted_at,
                        score,
                        public: r.is_public,
                    })
                })
                .collect();
            ideas.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at).then(a.id.cmp(&b.id)));
            let more = ideas.len().saturating_sub(MAX_GROUP_SHOWN);
            ideas.truncate(MAX_GROUP_SHOWN);
            DuplicateGroup {
                ideas,
                more,
                best: g.best,
            }
        })
        .collect();
    Ok(DuplicateReport {
        contest,
        compared: rows.len(),
        capped,
        groups,
        total_groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(q: &SimilarQuery) -> Vec<(String, String)> {
        match check_text(q) {
            Ok(()) => Vec::new(),
            Err(AppError::Invalid(p) | AppError::Unprocessable(p)) => {
                p.into_iter().map(|e| (e.field, e.code)).collect()
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn text_checks() {
        let q = |title: &str, summary: &str| SimilarQuery {
            title: title.into(),
            summary: summary.into(),
            ..SimilarQuery::default()
        };
        assert_eq!(
            problems(&q(" ", "\n")),
            vec![("title".into(), "required".into())]
        );
        assert!(problems(&q("x", "")).is_empty());
        assert!(problems(&q("", "x")).is_empty());
        assert_eq!(
            problems(&q(&"ă".repeat(151), &"ư".repeat(601))),
            vec![
                ("title".into(), "too_long".into()),
                ("summary".into(), "too_long".into())
            ]
        );
        assert!(problems(&q(&"ă".repeat(150), &"ư".repeat(600))).is_empty());
    }
}
