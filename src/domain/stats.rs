//! Public statistics (DESIGN.md "Public side"): submitted ideas by category, by unit rolled up the unit tree, by
//! month, and the funnel from submitted to implemented. Pure: the database counts ideas per cell with GROUP BY, and
//! this folds the cells into what the page and the API show.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::status::{FunnelStage, IdeaStatus};

/// Vietnam's offset from UTC in hours. Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975, so the
/// month an idea was submitted in, Vietnam time, is the month of its UTC time shifted by this (the SQL that groups
/// by month adds it; a test checks the zone against it).
pub const VIETNAM_UTC_OFFSET_HOURS: i64 = 7;

/// Runs of at least this many months without an idea are drawn as one gap in the chart by month.
pub const GAP_MONTHS: usize = 3;

/// How many ideas of a contest with one category and unit are in one state (a row of the database's GROUP BY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Contest id.
    pub contest_id: String,
    /// Category id.
    pub category_id: String,
    /// Unit id.
    pub unit_id: String,
    /// State.
    pub status: IdeaStatus,
    /// Ideas.
    pub count: i64,
}

/// How many ideas of a contest submitted in one month (Vietnam time) are in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCell {
    /// Contest id.
    pub contest_id: String,
    /// The month it was submitted in; `None` for drafts.
    pub month: Option<Month>,
    /// State.
    pub status: IdeaStatus,
    /// Ideas.
    pub count: i64,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl Month {
    /// The month written `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        let year = y.parse().ok()?;
        let month = m.parse().ok().filter(|m| (1..=12).contains(m))?;
        Some(Month { year, month })
    }

    /// `YYYY-MM`.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

/// The counts of a set of submitted ideas (drafts never count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Ideas that reached each stage, in the order of [`FunnelStage::ALL`].
    pub funnel: Vec<(FunnelStage, i64)>,
    /// Ideas chosen for real-world application (`counts_as_selected`).
    pub selected: i64,
    /// Ideas being applied or applied (`counts_as_applied`).
    pub applied: i64,
    /// Submitted ideas by category id.
    pub by_category: HashMap<String, i64>,
    /// Submitted ideas by the unit they belong to, leaving out the contests whose unit counts are withheld.
    pub by_unit: HashMap<String, i64>,
    /// How many submitted ideas were left out of `by_unit`.
    pub unit_withheld: i64,
    /// Submitted ideas by the month they were submitted in.
    pub by_month: BTreeMap<Month, i64>,
}

impl Totals {
    /// Ideas submitted (the first stage of the funnel).
    pub fn submitted(&self) -> i64 {
        self.funnel.first().map(|(_, n)| *n).unwrap_or(0)
    }
}

/// Folds the cells into totals; the ideas of contests in `withheld` are not counted by unit.
pub fn fold(cells: &[Cell], months: &[MonthCell], withheld: &HashSet<String>) -> Totals {
    let mut t = Totals {
        funnel: FunnelStage::ALL.iter().map(|s| (*s, 0)).collect(),
        ..Totals::default()
    };
    for c in cells.iter().filter(|c| c.status.counts_as_submitted()) {
        for (stage, n) in t.funnel.iter_mut() {
            if c.status.reached(*stage) {
                *n += c.count;
            }
        }
        if c.status.counts_as_selected() {
            t.selected += c.count;
        }
        if c.status.counts_as_applied() {
            t.applied += c.count;
        }
        *t.by_category.entry(c.category_id.clone()).or_default() += c.count;
        if withheld.contains(&c.contest_id) {
            t.unit_withheld += c.count;
        } else {
            *t.by_unit.entry(c.unit_id.clone()).or_default() += c.count;
        }
    }
    for m in months.iter().filter(|m| m.status.counts_as_submitted()) {
        if let Some(month) = m.month {
            *t.by_month.entry(month).or_default() += m.count;
        }
    }
    t
}

/// Per contest, how many of its ideas are in a state that satisfies `pred` (e.g. [`IdeaStatus::awaits_decision`]).
pub fn by_contest(cells: &[Cell], pred: impl Fn(IdeaStatus) -> bool) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for c in cells.iter().filter(|c| pred(c.status)) {
        *out.entry(c.contest_id.clone()).or_default() += c.count;
    }
    out
}

/// A unit as the roll-up needs it.
#[derive(Debug, Clone, Copy)]
pub struct UnitRef<'a> {
    /// Id.
    pub id: &'a str,
    /// The unit above, if any.
    pub parent_id: Option<&'a str>,
    /// Materialised path of ids, `/root/…/self/`.
    pub path: &'a str,
}

/// Each unit's ideas counted over its whole subtree: `direct` (ideas by their own unit) added to the unit and to
/// every unit above it. Units without ideas below them are left out.
pub fn roll_up(units: &[UnitRef<'_>], direct: &HashMap<String, i64>) -> HashMap<String, i64> {
    let mut total: HashMap<String, i64> = HashMap::new();
    for u in units {
        let Some(n) = direct.get(u.id).copied().filter(|n| *n > 0) else {
            continue;
        };
        for id in u.path.split('/').filter(|s| !s.is_empty()) {
            *total.entry(id.to_string()).or_default() += n;
        }
    }
    total
}

/// The unit whose children the chart by unit shows: going down from the top of the tree while a single unit holds
/// every idea, has none of its own and still has units with ideas below it (a city with one district, the district
/// with its wards and schools). `None` when several top units hold ideas (or none does).
pub fn focus<'a>(
    units: &[UnitRef<'a>],
    direct: &HashMap<String, i64>,
    total: &HashMap<String, i64>,
) -> Option<&'a str> {
    let with_ideas = |parent: Option<&str>| -> Vec<&'a str> {
        units
            .iter()
            .filter(|u| u.parent_id == parent && total.get(u.id).copied().unwrap_or(0) > 0)
            .map(|u| u.id)
            .collect()
    };
    let own = |id: &str| direct.get(id).copied().unwrap_or(0);
    let mut at: Option<&'a str> = None;
    loop {
        if at.is_some_and(|a| own(a) > 0) {
            return at;
        }
        let kids = with_ideas(at);
        match kids.as_slice() {
            [only] if !with_ideas(Some(only)).is_empty() => at = Some(only),
            [only] if at.is_none() => return Some(only),
            _ => return at,
        }
    }
}

/// One place on the time axis of the chart by month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A month and its ideas (possibly none).
    Month(Month, i64),
    /// A run of at least [`GAP_MONTHS`] months without ideas.
    Gap,
}

/// Every month from the first with ideas to the last, with runs of [`GAP_MONTHS`] or more empty months folded into
/// one [`Slot::Gap`], so one contest shows as a continuous axis and two contests years apart do not leave a long
/// empty stretch.
pub fn month_slots(by_month: &BTreeMap<Month, i64>) -> Vec<Slot> {
    let (Some(first), Some(last)) = (
        by_month.keys().next().copied(),
        by_month.keys().next_back().copied(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut empty: Vec<Month> = Vec::new();
    let mut m = first;
    loop {
        match by_month.get(&m).copied().filter(|n| *n > 0) {
            Some(n) => {
                if empty.len() >= GAP_MONTHS {
                    out.push(Slot::Gap);
                } else {
                    out.extend(empty.iter().map(|e| Slot::Month(*e, 0)));
                }
                empty.clear();
                out.push(Slot::Month(m, n));
            }
            None => empty.push(m),
        }
        if m >= last {
            break;
        }
        m = m.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(contest: &str, cat: &str, unit: &str, status: IdeaStatus, count: i64) -> Cell {
        Cell {
            contest_id: contest.into(),
            category_id: cat.into(),
            unit_id: unit.into(),
            status,
            count,
        }
    }

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn drafts_never_count_and_stages_accumulate() {
        use IdeaStatus::*;
        let cells = vec![
            cell("c", "k1", "u1", Draft, 5),
            cell("c", "k1", "u1", Submitted, 4),
            cell("c", "k2", "u2", Withdrawn, 1),
            cell("c", "k2", "u2", InReview, 3),
            cell("c", "k1", "u2", NotSelected, 2),
            cell("c", "k1", "u1", Selected, 1),
            cell("c", "k2", "u1", Discontinued, 1),
            cell("c", "k2", "u1", Implemented, 2),
        ];
        let months = vec![
            MonthCell {
                contest_id: "c".into(),
                month: None,
                status: Draft,
                count: 5,
            },
            MonthCell {
                contest_id: "c".into(),
                month: Some(m("2026-09")),
                status: Submitted,
                count: 14,
            },
        ];
        let t = fold(&cells, &months, &HashSet::new());
        let f: Vec<i64> = t.funnel.iter().map(|(_, n)| *n).collect();
        assert_eq!(f, vec![14, 9, 6, 4, 3, 2]);
        assert_eq!(t.submitted(), 14);
        assert_eq!((t.selected, t.applied), (4, 2));
        assert_eq!(t.by_category["k1"], 7);
        assert_eq!(t.by_category["k2"], 7);
        assert_eq!(t.by_unit["u1"], 8);
        assert_eq!(t.by_unit["u2"], 6);
        assert_eq!(t.by_month.len(), 1);
        assert_eq!(t.by_month[&m("2026-09")], 14);
        assert_eq!(by_contest(&cells, IdeaStatus::awaits_decision)["c"], 7);
        assert_eq!(by_contest(&cells, IdeaStatus::counts_as_submitted)["c"], 14);
    }

    #[test]
    fn withheld_contests_are_left_out_of_units_only() {
        use IdeaStatus::*;
        let cells = vec![
            cell("open", "k", "u1", Submitted, 2),
            cell("blind", "k", "u2", InReview, 3),
        ];
        let withheld: HashSet<String> = ["blind".to_string()].into();
        let t = fold(&cells, &[], &withheld);
        assert_eq!(t.submitted(), 5);
        assert_eq!(t.by_category["k"], 5);
        assert_eq!(t.by_unit.get("u1"), Some(&2));
        assert_eq!(t.by_unit.get("u2"), None);
        assert_eq!(t.unit_withheld, 3);
    }

    #[test]
    fn units_roll_up_and_focus_on_the_district() {
        let units = [
            UnitRef {
                id: "city",
                parent_id: None,
                path: "/city/",
            },
            UnitRef {
                id: "q10",
                parent_id: Some("city"),
                path: "/city/q10/",
            },
            UnitRef {
                id: "p1",
                parent_id: Some("q10"),
                path: "/city/q10/p1/",
            },
            UnitRef {
                id: "p2",
                parent_id: Some("q10"),
                path: "/city/q10/p2/",
            },
            UnitRef {
                id: "q3",
                parent_id: Some("city"),
                path: "/city/q3/",
            },
        ];
        let direct: HashMap<String, i64> = [("p1".to_string(), 4), ("p2".to_string(), 1)].into();
        let total = roll_up(&units, &direct);
        assert_eq!(total["city"], 5);
        assert_eq!(total["q10"], 5);
        assert_eq!(total["p1"], 4);
        assert!(!total.contains_key("q3"));
        assert_eq!(focus(&units, &direct, &total), Some("q10"));

        // Ideas at the district itself: it stays the focus, its own ideas a row of their own.
        let direct: HashMap<String, i64> = [("q10".to_string(), 2), ("p1".to_string(), 1)].into();
        let total = roll_up(&units, &direct);
        assert_eq!(focus(&units, &direct, &total), Some("q10"));

        // Two districts with ideas: the city's children are shown.
        let direct: HashMap<String, i64> = [("p1".to_string(), 1), ("q3".to_string(), 1)].into();
        let total = roll_up(&units, &direct);
        assert_eq!(focus(&units, &direct, &total), Some("city"));

        // Every idea in one ward: the district, with that ward as its only bar, not the ward alone.
        let direct: HashMap<String, i64> = [("p2".to_string(), 3)].into();
        let total = roll_up(&units, &direct);
        assert_eq!(focus(&units, &direct, &total), Some("q10"));

        // No ideas: nothing to focus on.
        assert_eq!(focus(&units, &HashMap::new(), &HashMap::new()), None);
    }

    #[test]
    fn months_run_on_and_long_empty_stretches_fold() {
        let by_month: BTreeMap<Month, i64> =
            [(m("2021-03"), 2), (m("2021-05"), 1), (m("2026-09"), 4)].into();
        let slots = month_slots(&by_month);
        assert_eq!(
            slots,
            vec![
                Slot::Month(m("2021-03"), 2),
                Slot::Month(m("2021-04"), 0),
                Slot::Month(m("2021-05"), 1),
                Slot::Gap,
                Slot::Month(m("2026-09"), 4),
            ]
        );
        let dec: BTreeMap<Month, i64> = [(m("2026-12"), 1), (m("2027-01"), 1)].into();
        assert_eq!(month_slots(&dec).len(), 2);
        assert!(month_slots(&BTreeMap::new()).is_empty());
        assert_eq!(Month::parse("2026-13"), None);
        assert_eq!(m("2026-09").code(), "2026-09");
    }

    #[test]
    fn vietnam_has_one_offset_for_every_month_the_sql_groups() {
        use chrono::{NaiveDate, Offset, TimeZone};
        use chrono_tz::Asia::Ho_Chi_Minh;
        for year in 1976..=2100 {
            for month in 1..=12 {
                let day = NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .unwrap();
                let offset = Ho_Chi_Minh.offset_from_utc_datetime(&day).fix();
                assert_eq!(
                    i64::from(offset.local_minus_utc()),
                    VIETNAM_UTC_OFFSET_HOURS * 3600,
                    "{year}-{month}"
                );
            }
        }
    }
}
