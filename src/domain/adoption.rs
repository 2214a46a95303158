//! Adoption tracking (DESIGN.md "Public side"): the rules of what an organizer records about a selected idea being
//! applied — the plan, its dates, milestone updates and the end — and the progress bands the public filters by.
//! Pure: no I/O; `app::adoption` applies them.

use chrono::NaiveDate;

use super::validation::FieldError;

/// The shortest plan or milestone text: a few words at least, so the public timeline says something.
pub const MIN_TEXT: usize = 10;
/// The longest plan or milestone text.
pub const MAX_TEXT: usize = 4000;
/// Photos one milestone may carry.
pub const MAX_PHOTOS: usize = 4;

/// A date as typed: `2026-12-05` (what a date input sends) or `05/12/2026` (how Vietnamese write it).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .ok()
}

/// The problem with a required free text of `field`, if any (counted in characters, after trimming).
pub fn text_problem(field: &str, text: &str) -> Option<FieldError> {
    let n = text.trim().chars().count();
    // The milestone form is multipart, which the NUL check of `web::text_guard` does not read.
    if let Some(nul) = crate::domain::validation::nul_problem(field, text) {
        Some(nul)
    } else if n == 0 {
        Some(FieldError::new(field, "required"))
    } else if n < MIN_TEXT {
        Some(FieldError::new(field, "too_short").with("min", MIN_TEXT))
    } else if n > MAX_TEXT {
        Some(FieldError::new(field, "too_long").with("max", MAX_TEXT))
    } else {
        None
    }
}

/// A plan as typed, before the responsible unit is looked up.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// The responsible unit's slug.
    pub unit: String,
    /// What will be done, by whom, how.
    pub plan: String,
    /// Planned start, as typed.
    pub planned_start: String,
    /// Planned end, as typed.
    pub planned_end: String,
}

/// A checked plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The plan's text, trimmed.
    pub plan: String,
    /// Planned start.
    pub planned_start: NaiveDate,
    /// Planned end (not before the start).
    pub planned_end: NaiveDate,
}

/// Checks a plan's text and dates; every problem is named (the unit is checked against the database by the caller).
pub fn check_plan(input: &PlanInput) -> Result<Plan, Vec<FieldError>> {
    let mut problems = Vec::new();
    if input.unit.trim().is_empty() {
        problems.push(FieldError::new("unit", "required"));
    }
    problems.extend(text_problem("plan", &input.plan));
    let date = |field: &str, text: &str, problems: &mut Vec<FieldError>| {
        if text.trim().is_empty() {
            problems.push(FieldError::new(field, "required"));
            None
        } else {
            let d = parse_date(text);
            if d.is_none() {
                problems.push(FieldError::new(field, "date"));
            }
            d
        }
    };
    let start = date("planned_start", &input.planned_start, &mut problems);
    let end = date("planned_end", &input.planned_end, &mut problems);
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        problems.push(FieldError::new("planned_end", "end_before_start"));
    }
    match (start, end) {
        (Some(planned_start), Some(planned_end)) if problems.is_empty() => Ok(Plan {
            plan: input.plan.trim().to_string(),
            planned_start,
            planned_end,
        }),
        _ => Err(problems),
    }
}

/// A milestone as typed.
#[derive(Debug, Clone, Default)]
pub struct MilestoneInput {
    /// When it happened, as typed.
    pub happened_on: String,
    /// What was done.
    pub body: String,
    /// The progress it brought the idea to, as typed (0–100).
    pub progress: String,
}

/// A checked milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// When it happened.
    pub happened_on: NaiveDate,
    /// What was done, trimmed.
    pub body: String,
    /// Progress after it, 0–100.
    pub progress: i32,
}

/// Checks a milestone: a date not after `today` (Vietnam), a text, a whole-number progress from 0 to 100.
pub fn check_milestone(
    input: &MilestoneInput,
    today: NaiveDate,
) -> Result<Milestone, Vec<FieldError>> {
    let mut problems = Vec::new();
    let date = if input.happened_on.trim().is_empty() {
        problems.push(FieldError::new("happened_on", "required"));
        None
    } else {
        match parse_date(&input.happened_on) {
            None => {
                problems.push(FieldError::new("happened_on", "date"));
                None
            }
            Some(d) if d > today => {
                problems.push(FieldError::new("happened_on", "date_in_future"));
                None
            }
            d => d,
        }
    };
    problems.extend(text_problem("body", &input.body));
    let progress = match input.progress.trim().parse::<i32>() {
        Ok(p) if (0..=100).contains(&p) => Some(p),
        _ => {
            problems.push(
                FieldError::new("progress", "range")
                    .with("min", 0)
                    .with("max", 100),
            );
            None
        }
    };
    match (date, progress) {
        (Some(happened_on), Some(progress)) if problems.is_empty() => Ok(Milestone {
            happened_on,
            body: input.body.trim().to_string(),
            progress,
        }),
        _ => Err(problems),
    }
}

/// How the public filters adopted ideas by progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressBand {
    /// 0–24 %.
    Starting,
    /// 25–49 %.
    Underway,
    /// 50–74 %.
    Advanced,
    /// 75–100 %.
    NearlyDone,
}

impl ProgressBand {
    /// Every band, lowest first.
    pub const ALL: [ProgressBand; 4] = [
        ProgressBand::Starting,
        ProgressBand::Underway,
        ProgressBand::Advanced,
        ProgressBand::NearlyDone,
    ];

    /// The band's code in URLs and the API.
    pub fn code(self) -> &'static str {
        match self {
            ProgressBand::Starting => "0-24",
            ProgressBand::Underway => "25-49",
            ProgressBand::Advanced => "50-74",
            ProgressBand::NearlyDone => "75-100",
        }
    }

    /// The band of a code.
    pub fn parse(code: &str) -> Option<ProgressBand> {
        Self::ALL.into_iter().find(|b| b.code() == code.trim())
    }

    /// The lowest and highest progress in the band.
    pub fn range(self) -> (i32, i32) {
        match self {
            ProgressBand::Starting => (0, 24),
            ProgressBand::Underway => (25, 49),
            ProgressBand::Advanced => (50, 74),
            ProgressBand::NearlyDone => (75, 100),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_are_read_both_ways() {
        assert_eq!(parse_date("2026-12-05"), Some(d(2026, 12, 5)));
        assert_eq!(parse_date(" 05/12/2026 "), Some(d(2026, 12, 5)));
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_date("mai"), None);
    }

    #[test]
    fn a_plan_names_every_problem() {
        let err = check_plan(&PlanInput {
            unit: " ".into(),
            plan: "ngắn".into(),
            planned_start: "2026-13-01".into(),
            planned_end: String::new(),
        })
        .unwrap_err();
        let codes: Vec<(&str, &str)> = err
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("unit", "required"),
                ("plan", "too_short"),
                ("planned_start", "date"),
                ("planned_end", "required")
            ]
        );
        let err = check_plan(&PlanInput {
            unit: "phuong-5".into(),
            plan: "Lắp đặt biển báo tại 14 điểm".into(),
            planned_start: "2026-12-05".into(),
            planned_end: "2026-12-01".into(),
        })
        .unwrap_err();
        assert_eq!(err[0].code, "end_before_start");
        let ok = check_plan(&PlanInput {
            unit: "phuong-5".into(),
            plan: "  Lắp đặt biển báo tại 14 điểm ".into(),
            planned_start: "01/12/2026".into(),
            planned_end: "2026-12-01".into(),
        })
        .unwrap();
        assert_eq!(ok.plan, "Lắp đặt biển báo tại 14 điểm");
        assert_eq!(ok.planned_start, ok.planned_end);
    }

    #[test]
    fn a_milestone_is_dated_no_later_than_today_with_progress_in_range() {
        let today = d(2026, 11, 27);
        let input = |date: &str, progress: &str| MilestoneInput {
            happened_on: date.into(),
            body: "Đã lắp 14 biển báo ở các nút giao".into(),
            progress: progress.into(),
        };
        assert_eq!(
            check_milestone(&input("2026-11-27", "40"), today)
                .unwrap()
                .progress,
            40
        );
        let err = check_milestone(&input("2026-11-28", "101"), today).unwrap_err();
        assert_eq!(err[0].code, "date_in_future");
        assert_eq!(err[1].code, "range");
        assert_eq!(
            check_milestone(&input("2026-11-01", "4.5"), today).unwrap_err()[0].field,
            "progress"
        );
    }

    #[test]
    fn bands_cover_zero_to_one_hundred_once() {
        for p in 0..=100 {
            let n = ProgressBand::ALL
                .iter()
                .filter(|b| (b.range().0..=b.range().1).contains(&p))
                .count();
            assert_eq!(n, 1, "{p}");
        }
        assert_eq!(ProgressBand::parse("50-74"), Some(ProgressBand::Advanced));
        assert_eq!(ProgressBand::parse("50"), None);
    }
}
