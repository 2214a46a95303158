//! `/stats` and `/api/v1/stats`: headline numbers, ideas by category, by unit (rolled up the unit tree), by month and
//! the funnel, for one contest or all. Both read `app::stats::load`, so blind review's rule for unit counts
//! (`access::redaction::unit_counts_public`) holds in both; both go through the page cache.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::api::{CategoryDto, ContestRef};
use super::charts::{self, Bar, Column};
use super::error::{AppError, ErrorBody, method_not_allowed};
use super::i18n::Lang;
use super::pages::{Ctx, HTML, ctx_of, render};
use super::view::{self, Choice};
use crate::app::stats::{self as app_stats, Stats, UnitCount};
use crate::db;
use crate::domain::stats::{Month, Slot, month_slots};
use crate::domain::status::FunnelStage;

const JSON: &str = "application/json";
/// The chart by unit shows at most this many bars; the rest are added up in one.
const MAX_UNIT_BARS: usize = 24;

/// The query of both: `?contest=SLUG`, empty or absent for every contest.
#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    /// Contest slug.
    pub contest: Option<String>,
}

impl StatsQuery {
    fn slug(&self) -> Option<String> {
        self.contest
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// One chart with its heading and its numbers as a table.
struct Section {
    id: &'static str,
    heading: String,
    /// A sentence above the chart (what it covers, or why it is withheld).
    lead: Option<String>,
    /// The chart; `None` when there is nothing to draw or it is withheld.
    svg: Option<String>,
    /// A sentence below the chart.
    note: Option<String>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsTemplate {
    ctx: Ctx,
    heading: String,
    contests: Vec<Choice>,
    submitted: String,
    selected: String,
    applied: String,
    sections: Vec<Section>,
}

/// A month as a column label ("T9" / "Sep") and as a table row ("09/2026" / "Sep 2026").
fn month_names(lang: Lang, m: Month) -> (String, String) {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match lang {
        Lang::Vi => (
            format!("T{}", m.month),
            format!("{:02}/{}", m.month, m.year),
        ),
        Lang::En => {
            let name = EN[(m.month as usize).saturating_sub(1) % 12];
            (name.to_string(), format!("{name} {}", m.year))
        }
    }
}

/// `part` of `whole` as a whole percentage.
fn share(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        ((part as f64 / whole as f64) * 100.0).round() as i64
    }
}

fn chart_title(lang: Lang, heading: &str) -> String {
    lang.tf("stats.chart_title", &[("chart", heading)])
}

fn category_section(lang: Lang, s: &Stats) -> Section {
    let heading = lang.t("stats.by_category").to_string();
    let bars: Vec<Bar> = s
        .categories
        .iter()
        .map(|(c, n)| Bar {
            label: c.name(lang.code()).to_string(),
            value: *n,
            shown: view::count(lang, *n),
        })
        .collect();
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    Section {
        id: "by-category",
        svg: (max > 0)
            .then(|| charts::bars("chart-category", &chart_title(lang, &heading), &bars, max)),
        heading,
        lead: None,
        note: None,
        headers: vec![
            lang.t("stats.category").into(),
            lang.t("stats.ideas").into(),
        ],
        rows: bars.into_iter().map(|b| vec![b.label, b.shown]).collect(),
    }
}

fn unit_section(lang: Lang, s: &Stats) -> Section {
    let heading = lang.t("stats.by_unit").to_string();
    let mut section = Section {
        id: "by-unit",
        heading,
        lead: None,
        svg: None,
        note: None,
        headers: vec![lang.t("stats.unit").into(), lang.t("stats.ideas").into()],
        rows: Vec::new(),
    };
    let Some(b) = &s.units else {
        section.lead = Some(lang.t("stats.units_withheld").to_string());
        return section;
    };
    let mut bars: Vec<Bar> = Vec::new();
    let bar = |label: String, n: i64| Bar {
        label,
        value: n,
        shown: view::count(lang, n),
    };
    if let Some(f) = &b.focus {
        section.lead = Some(lang.tf(
            "stats.units_lead",
            &[
                ("unit", &f.unit.name),
                ("count", &view::count(lang, f.total)),
            ],
        ));
        if f.direct > 0 {
            bars.push(bar(
                lang.tf("stats.unit_itself", &[("unit", &f.unit.name)]),
                f.direct,
            ));
        }
    }
    let shown = b.rows.len().min(MAX_UNIT_BARS);
    bars.extend(
        b.rows[..shown]
            .iter()
            .map(|u: &UnitCount| bar(u.unit.name.clone(), u.total)),
    );
    let rest = &b.rows[shown..];
    if !rest.is_empty() {
        bars.push(bar(
            lang.tf("stats.other_units", &[("count", &rest.len().to_string())]),
            rest.iter().map(|u| u.total).sum(),
        ));
    }
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    section.svg = (max > 0).then(|| {
        charts::bars(
            "chart-unit",
            &chart_title(lang, &section.heading),
            &bars,
            max,
        )
    });
    if !s.withheld.is_empty() && s.contest.is_none() {
        let names: Vec<&str> = s.withheld.iter().map(|c| c.title.as_str()).collect();
        section.note = Some(lang.tf(
            "stats.units_left_out",
            &[
                ("count", &view::count(lang, s.totals.unit_withheld)),
                ("contests", &names.join(", ")),
            ],
        ));
    }
    section.rows = bars.into_iter().map(|b| vec![b.label, b.shown]).collect();
    section
}

fn month_section(lang: Lang, s: &Stats) -> Section {
    let heading = lang.t("stats.by_month").to_string();
    let slots = month_slots(&s.totals.by_month);
    // Label every k-th column so at most twelve labels share the width; the year under the first of each year.
    let every = slots.len().div_ceil(12).max(1);
    let mut last_year = None;
    let mut cols = Vec::with_capacity(slots.len());
    let mut rows = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        match slot {
            Slot::Gap => {
                last_year = None;
                cols.push(Column {
                    label: None,
                    sublabel: None,
                    value: None,
                    shown: String::new(),
                });
            }
            Slot::Month(m, n) => {
                let (short, long) = month_names(lang, *m);
                let labelled = i % every == 0;
                let year = (labelled && last_year != Some(m.year)).then(|| m.year.to_string());
                if year.is_some() {
                    last_year = Some(m.year);
                }
                cols.push(Column {
                    label: labelled.then_some(short),
                    sublabel: year,
                    value: Some(*n),
                    shown: view::count(lang, *n),
                });
                rows.push(vec![long, view::count(lang, *n)]);
            }
        }
    }
    Section {
        id: "by-month",
        svg: (!cols.is_empty())
            .then(|| charts::columns("chart-month", &chart_title(lang, &heading), &cols)),
        heading,
        lead: None,
        note: None,
        headers: vec![lang.t("stats.month").into(), lang.t("stats.ideas").into()],
        rows,
    }
}

fn funnel_section(lang: Lang, s: &Stats) -> Section {
    let heading = lang.t("stats.funnel").to_string();
    let submitted = s.totals.submitted();
    let bars: Vec<Bar> = s
        .totals
        .funnel
        .iter()
        .map(|(stage, n)| Bar {
            label: lang.t(&stage.label_key()).to_string(),
            value: *n,
            shown: format!("{} ({}%)", view::count(lang, *n), share(*n, submitted)),
        })
        .collect();
    Section {
        id: "funnel",
        svg: (submitted > 0).then(|| {
            charts::bars(
                "chart-funnel",
                &chart_title(lang, &heading),
                &bars,
                submitted,
            )
        }),
        heading,
        lead: Some(lang.t("stats.funnel_lead").to_string()),
        note: None,
        headers: vec![
            lang.t("stats.stage").into(),
            lang.t("stats.ideas").into(),
            lang.t("stats.share").into(),
        ],
        rows: s
            .totals
            .funnel
            .iter()
            .map(|(stage, n)| {
                vec![
                    lang.t(&stage.label_key()).to_string(),
                    view::count(lang, *n),
                    format!("{}%", share(*n, submitted)),
                ]
            })
            .collect(),
    }
}

/// `/stats`: the numbers and charts, for one contest (`?contest=`) or all.
pub async fn page(
    req: HttpRequest,
    state: State,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = q.slug();
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    state
        .cached_counts(&req, lang, HTML, move |conn| {
            let s = app_stats::load(conn, slug.as_deref(), db::now())?;
            let heading = match &s.contest {
                Some(c) => lang.tf("stats.heading_contest", &[("contest", &c.title)]),
                None => lang.t("stats.heading").to_string(),
            };
            let contests = s
                .contests
                .iter()
                .map(|c| Choice {
                    value: c.slug.clone(),
                    label: c.title.clone(),
                    selected: s.contest.as_ref().is_some_and(|k| k.id == c.id),
                })
                .collect();
            let sections = if s.totals.submitted() == 0 {
                Vec::new()
            } else {
                vec![
                    category_section(lang, &s),
                    unit_section(lang, &s),
                    month_section(lang, &s),
                    funnel_section(lang, &s),
                ]
            };
            render(&StatsTemplate {
                heading,
                contests,
                submitted: view::count(lang, s.totals.submitted()),
                selected: view::count(lang, s.totals.selected),
                applied: view::count(lang, s.totals.applied),
                sections,
                ctx,
            })
        })
        .await
}

/// Ideas that reached a stage of the funnel.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageCount {
    /// The stage.
    pub stage: FunnelStage,
    /// Ideas that reached it or went further.
    pub count: i64,
}

/// Submitted ideas of a category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    /// The category.
    #[serde(flatten)]
    pub category: CategoryDto,
    /// Submitted ideas.
    pub count: i64,
}

/// Ideas submitted in a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`, Vietnam time.
    pub month: String,
    /// Ideas submitted that month.
    pub count: i64,
}

/// A unit with the submitted ideas of its whole subtree.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitCountDto {
    /// URL name (the `unit` filter of `/api/v1/ideas`).
    pub slug: String,
    /// Name.
    pub name: String,
    /// `city`, `district`, `ward`, `school` or `branch`.
    pub kind: String,
    /// The unit above, by slug; `null` at the top of the tree.
    pub parent: Option<String>,
    /// Ideas of this unit and every unit below it.
    pub count: i64,
    /// Ideas of this unit itself.
    pub direct: i64,
}

/// Submitted ideas by unit, rolled up the unit tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitBreakdownDto {
    /// The unit whose children the page's chart shows (the lowest unit holding every counted idea); `null` when
    /// several top units hold ideas.
    pub focus: Option<String>,
    /// Every unit with ideas in its subtree, higher levels first.
    pub units: Vec<UnitCountDto>,
}

/// The public statistics of one contest or of all. Only submitted ideas count (never drafts).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsDto {
    /// The contest counted; `null` for all contests.
    pub contest: Option<ContestRef>,
    /// Ideas submitted.
    pub submitted: i64,
    /// Ideas chosen for real-world application.
    pub selected: i64,
    /// Ideas being applied or applied in practice.
    pub applied: i64,
    /// From submitted to implemented: each stage counts the ideas that reached at least that stage (by their
    /// current state; a withdrawn or ineligible idea counts as submitted only).
    pub funnel: Vec<StageCount>,
    /// By category, most ideas first.
    pub by_category: Vec<CategoryCount>,
    /// By the month they were submitted in (Vietnam time), oldest first; months without ideas are left out.
    pub by_month: Vec<MonthCount>,
    /// By unit; `null` while the contest's blind review is not finished.
    pub by_unit: Option<UnitBreakdownDto>,
    /// Blind-review contests whose ideas are not counted in `by_unit` because their review is not finished.
    pub units_withheld: Vec<ContestRef>,
    /// How many submitted ideas `by_unit` leaves out for that reason.
    pub units_withheld_ideas: i64,
}

fn contest_ref(c: &crate::db::catalog::Contest) -> ContestRef {
    ContestRef {
        slug: c.slug.clone(),
        title: c.title.clone(),
    }
}

fn dto(s: Stats) -> StatsDto {
    StatsDto {
        contest: s.contest.as_ref().map(contest_ref),
        submitted: s.totals.submitted(),
        selected: s.totals.selected,
        applied: s.totals.applied,
        funnel: s
            .totals
            .funnel
            .iter()
            .map(|(stage, count)| StageCount {
                stage: *stage,
                count: *count,
            })
            .collect(),
        by_category: s
            .categories
            .into_iter()
            .map(|(c, count)| CategoryCount {
                category: CategoryDto {
                    slug: c.slug,
                    name_vi: c.name_vi,
                    name_en: c.name_en,
                },
                count,
            })
            .collect(),
        by_month: s
            .totals
            .by_month
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(m, n)| MonthCount {
                month: m.code(),
                count: *n,
            })
            .collect(),
        by_unit: s.units.map(|b| UnitBreakdownDto {
            focus: b.focus.map(|f| f.unit.slug),
            units: b
                .all
                .into_iter()
                .map(|u| UnitCountDto {
                    slug: u.unit.slug,
                    name: u.unit.name,
                    kind: u.unit.kind,
                    parent: u.parent_slug,
                    count: u.total,
                    direct: u.direct,
                })
                .collect(),
        }),
        units_withheld: s.withheld.iter().map(contest_ref).collect(),
        units_withheld_ideas: s.totals.unit_withheld,
    }
}

/// Public statistics: headline numbers, the funnel, and ideas by category, month and unit.
///
/// Counts submitted ideas only. In a blind-review contest whose review is not finished (submissions open, or ideas
/// still waiting for their outcome) the counts by unit are withheld: `by_unit` is `null` for that contest, and the
/// overall numbers leave its ideas out of `by_unit` (listed in `units_withheld`).
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "stats",
    params(("contest" = Option<String>, Query, description = "Contest slug; absent or empty for all contests")),
    responses(
        (status = 200, description = "The statistics", body = StatsDto),
        (status = 404, description = "No contest has this slug (`not_found` on `contest`)", body = ErrorBody),
    )
)]
pub async fn api(
    req: HttpRequest,
    state: State,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = q.slug();
    let lang = Lang::of_request(&req);
    state
        .cached_counts(&req, lang, JSON, move |conn| {
            let s = app_stats::load(conn, slug.as_deref(), db::now())?;
            serde_json::to_string(&dto(s)).map_err(|e| AppError::Internal(e.to_string()))
        })
        .await
}

/// Registers `/stats` and `/api/v1/stats`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats", web::get().to(page)).service(
        web::resource("/api/v1/stats")
            .route(web::get().to(api))
            .default_service(web::to(method_not_allowed)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_shares_read_well() {
        let m = Month {
            year: 2026,
            month: 9,
        };
        assert_eq!(month_names(Lang::Vi, m), ("T9".into(), "09/2026".into()));
        assert_eq!(month_names(Lang::En, m), ("Sep".into(), "Sep 2026".into()));
        assert_eq!(share(1, 3), 33);
        assert_eq!(share(2, 3), 67);
        assert_eq!(share(5, 0), 0);
    }
}
