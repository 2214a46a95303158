//! The public statistics, as `/stats` and `/api/v1/stats` both show them: counted by the database
//! (`db::stats`), folded by `domain::stats`, with blind review's rule for unit counts applied through
//! `access::redaction::unit_counts_public`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use crate::access::redaction;
use crate::db::catalog::{self, Category, Contest, Unit};
use crate::db::{DbConn, stats};
use crate::domain::listing::ParamError;
use crate::domain::stats::{Totals, UnitRef, by_contest, focus, fold, roll_up};
use crate::domain::status::IdeaStatus;
use crate::web::error::AppError;

/// A unit with the ideas of its subtree.
#[derive(Debug, Clone)]
pub struct UnitCount {
    /// The unit.
    pub unit: Unit,
    /// The unit above, by slug (`None` at the top of the tree).
    pub parent_slug: Option<String>,
    /// Ideas of the unit and every unit below it.
    pub total: i64,
    /// Ideas of the unit itself.
    pub direct: i64,
}

/// Ideas by unit, rolled up the unit tree.
#[derive(Debug, Clone, Default)]
pub struct UnitBreakdown {
    /// The unit whose children are shown (`None`: the top units are).
    pub focus: Option<UnitCount>,
    /// The children of `focus` that have ideas, most ideas first.
    pub rows: Vec<UnitCount>,
    /// Every unit with ideas in its subtree, higher levels first.
    pub all: Vec<UnitCount>,
}

/// Everything the statistics show.
#[derive(Debug, Clone)]
pub struct Stats {
    /// The contest counted, or `None` for all of them.
    pub contest: Option<Contest>,
    /// Every contest, latest closing first (the picker).
    pub contests: Vec<Contest>,
    /// The counts.
    pub totals: Totals,
    /// Each category with its submitted ideas, most first (the contest's categories, or all).
    pub categories: Vec<(Category, i64)>,
    /// Ideas by unit; `None` when the chosen contest's unit counts are withheld.
    pub units: Option<UnitBreakdown>,
    /// Contests whose ideas are left out of the counts by unit while their blind review goes on.
    pub withheld: Vec<Contest>,
}

/// The statistics of the contest with slug `contest` (an unknown one is refused as `not_found`), or of all.
pub fn load(
    conn: &mut DbConn,
    contest: Option<&str>,
    now: NaiveDateTime,
) -> Result<Stats, AppError> {
    let contests = catalog::all_contests(conn)?;
    let chosen = match contest {
        None => None,
        Some(slug) => Some(
            contests
                .iter()
                .find(|c| c.slug == slug)
                .cloned()
                .ok_or(AppError::BadParam(ParamError::unknown("contest")))?,
        ),
    };
    let contest_id = chosen.as_ref().map(|c| c.id.as_str());
    let cells = stats::cells(conn, contest_id)?;
    let months = stats::month_cells(conn, contest_id)?;
    let awaiting = by_contest(&cells, IdeaStatus::awaits_decision);
    let submitted = by_contest(&cells, IdeaStatus::counts_as_submitted);
    let n = |m: &HashMap<String, i64>, c: &Contest| m.get(&c.id).copied().unwrap_or(0);
    let withheld: Vec<Contest> = contests
        .iter()
        .filter(|c| match &chosen {
            Some(k) => k.id == c.id,
            // Overall, name only the contests whose ideas are actually left out.
            None => n(&submitted, c) > 0,
        })
        .filter(|c| !redaction::unit_counts_public(c, now, n(&awaiting, c)))
        .cloned()
        .collect();
    let withheld_ids: HashSet<String> = withheld.iter().map(|c| c.id.clone()).collect();
    let totals = fold(&cells, &months, &withheld_ids);

    let categories = match &chosen {
        Some(c) => catalog::contest_categories_of(conn, &c.id)?,
        None => catalog::all_categories(conn)?,
    };
    let mut categories: Vec<(Category, i64)> = categories
        .into_iter()
        .map(|c| {
            let n = totals.by_category.get(&c.id).copied().unwrap_or(0);
            (c, n)
        })
        .collect();
    // A category an idea kept after the contest dropped it still counts.
    let known: HashSet<String> = categories.iter().map(|(c, _)| c.id.clone()).collect();
    for (id, n) in &totals.by_category {
        if !known.contains(id)
            && *n > 0
            && let Some(c) = catalog::category_by_id(conn, id)?
        {
            categories.push((c, *n));
        }
    }
    categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.position.cmp(&b.0.position)));

    let chosen_withheld = chosen
        .as_ref()
        .is_some_and(|c| withheld_ids.contains(&c.id));
    let units = if chosen_withheld {
        None
    } else {
        Some(unit_breakdown(&catalog::all_units(conn)?, &totals.by_unit))
    };
    Ok(Stats {
        contest: chosen,
        contests,
        totals,
        categories,
        units,
        withheld,
    })
}

/// The units with ideas, rolled up, and the part of the tree the chart shows. `units` come higher levels first.
fn unit_breakdown(units: &[Unit], direct: &HashMap<String, i64>) -> UnitBreakdown {
    let refs: Vec<UnitRef<'_>> = units
        .iter()
        .map(|u| UnitRef {
            id: &u.id,
            parent_id: u.parent_id.as_deref(),
            path: &u.path,
        })
        .collect();
    let total = roll_up(&refs, direct);
    let at = focus(&refs, direct, &total).map(str::to_string);
    let slug_of: HashMap<&str, &str> = units
        .iter()
        .map(|u| (u.id.as_str(), u.slug.as_str()))
        .collect();
    let count = |u: &Unit| UnitCount {
        unit: u.clone(),
        parent_slug: u
            .parent_id
            .as_deref()
            .and_then(|p| slug_of.get(p))
            .map(|s| s.to_string()),
        total: total.get(&u.id).copied().unwrap_or(0),
        direct: direct.get(&u.id).copied().unwrap_or(0),
    };
    let all: Vec<UnitCount> = units
        .iter()
        .filter(|u| total.get(&u.id).copied().unwrap_or(0) > 0)
        .map(count)
        .collect();
    let mut rows: Vec<UnitCount> = all
        .iter()
        .filter(|u| u.unit.parent_id == at)
        .cloned()
        .collect();
    // Most ideas first; `all` is already in the tree's natural order, which breaks ties.
    rows.sort_by_key(|u| std::cmp::Reverse(u.total));
    UnitBreakdown {
        focus: at
            .as_deref()
            .and_then(|id| units.iter().find(|u| u.id == id))
            .map(count),
        rows,
        all,
    }
}
