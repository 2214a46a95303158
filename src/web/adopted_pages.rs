//! The public showcase of adopted ideas: `/adopted` and `/api/v1/adopted`, filterable by contest, category,
//! responsible unit (with its subtree) and progress band, most recently updated first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::error::{AppError, ErrorBody};
use super::i18n::Lang;
use super::pages::{Ctx, HTML, ctx_of, render};
use super::view::{self, Choice, href, rfc3339};
use crate::db::adoption::{AdoptedFilter, AdoptedItem};
use crate::db::{DbConn, catalog};
use crate::domain::adoption::ProgressBand;
use crate::domain::listing::ParamError;

/// Adopted ideas on a page.
const PAGE_SIZE: i64 = 20;
/// The last page a visitor can ask for (the showcase is short; this bounds the offset).
const MAX_PAGE: u32 = 50;

/// The showcase's filters, as in the URL.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdoptedParams {
    /// Contest slug.
    pub contest: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Responsible unit slug (its subtree included).
    pub unit: Option<String>,
    /// Progress band: `0-24`, `25-49`, `50-74` or `75-100`.
    #[param(pattern = r"^\s*(0-24|25-49|50-74|75-100)?\s*$")]
    pub progress: Option<String>,
    /// Page number, 1–50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50)]
    pub page: Option<String>,
}

/// The filters checked and resolved.
struct Resolved {
    filter: AdoptedFilter,
    page: u32,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn resolve(conn: &mut DbConn, p: &AdoptedParams) -> Result<Resolved, AppError> {
    let unknown = |param| AppError::BadParam(ParamError::unknown(param));
    let mut filter = AdoptedFilter::default();
    if let Some(s) = non_empty(&p.contest) {
        filter.contest_id = Some(
            catalog::contest_by_slug(conn, s)?
                .ok_or_else(|| unknown("contest"))?
                .id,
        );
    }
    if let Some(s) = non_empty(&p.category) {
        filter.category_id = Some(
            catalog::category_by_slug(conn, s)?
                .ok_or_else(|| unknown("category"))?
                .id,
        );
    }
    if let Some(s) = non_empty(&p.unit) {
        let unit = catalog::unit_by_slug(conn, s)?.ok_or_else(|| unknown("unit"))?;
        filter.unit_ids = Some(catalog::subtree_ids(conn, &unit)?);
    }
    if let Some(s) = non_empty(&p.progress) {
        filter.band = Some(
            ProgressBand::parse(s)
                .ok_or_else(|| AppError::BadParam(ParamError::new("progress", "unknown_value")))?,
        );
    }
    let page = match non_empty(&p.page) {
        None => 1,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| AppError::BadParam(ParamError::new("page", "invalid_page")))?,
    };
    Ok(Resolved { filter, page })
}

/// One page of the showcase with the total.
fn load(conn: &mut DbConn, p: &AdoptedParams) -> Result<(Vec<AdoptedItem>, i64, u32), AppError> {
    let r = resolve(conn, p)?;
    let total = crate::db::adoption::count_adopted(conn, &r.filter)?;
    let offset = i64::from(r.page - 1) * PAGE_SIZE;
    let items = crate::db::adoption::list_adopted(conn, &r.filter, offset, PAGE_SIZE)?;
    Ok((items, total, r.page))
}

struct Card {
    href: String,
    title: String,
    status: String,
    status_label: String,
    contest: String,
    category: String,
    unit: String,
    progress: i32,
    progress_label: String,
    latest_update: Option<String>,
    updated: String,
    updated_datetime: String,
}

#[derive(Template)]
#[template(path = "adopted.html")]
struct AdoptedPage {
    ctx: Ctx,
    contests: Vec<Choice>,
    categories: Vec<Choice>,
    units: Vec<Choice>,
    bands: Vec<Choice>,
    filtered: bool,
    count_line: String,
    cards: Vec<Card>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn choose(value: &str, label: String, current: Option<&str>) -> Choice {
    Choice {
        selected: current == Some(value),
        value: value.to_string(),
        label,
    }
}

fn pairs_of(p: &AdoptedParams) -> Vec<(&'static str, String)> {
    [
        ("contest", &p.contest),
        ("category", &p.category),
        ("unit", &p.unit),
        ("progress", &p.progress),
    ]
    .into_iter()
    .filter_map(|(k, v)| non_empty(v).map(|v| (k, v.to_string())))
    .collect()
}

fn band_label(lang: Lang, b: ProgressBand) -> String {
    let (lo, hi) = b.range();
    lang.tf(
        "adopted.band",
        &[("lo", &lo.to_string()), ("hi", &hi.to_string())],
    )
}

/// `/adopted`: the ideas chosen for real-world application, with status, responsible unit, progress and the latest
/// update.
pub async fn page(
    req: HttpRequest,
    state: State,
    raw: web::Query<AdoptedParams>,
) -> Result<HttpResponse, AppError> {
    let p = raw.into_inner();
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    state
        .cached(&req, lang, HTML, move |conn| {
            let (items, total, page) = load(conn, &p)?;
            let contests = catalog::all_contests(conn)?;
            let categories = catalog::all_categories(conn)?;
            let contest_name = |id: &str| {
                contests
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.title.clone())
                    .unwrap_or_default()
            };
            let category_name = |id: &str| {
                categories
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.name(lang.code()).to_string())
                    .unwrap_or_default()
            };
            let cards = items
                .into_iter()
                .map(|a| Card {
                    href: format!("/ideas/{}", a.id),
                    status_label: view::status_label(lang, &a.status),
                    contest: contest_name(&a.contest_id),
                    category: category_name(&a.category_id),
                    unit: a.responsible_unit,
                    progress: a.progress.clamp(0, 100),
                    progress_label: lang
                        .tf("adoption.progress", &[("percent", &a.progress.to_string())]),
                    latest_update: a.latest_update,
                    updated: view::date(lang, a.updated_at),
                    updated_datetime: rfc3339(a.updated_at),
                    status: a.status,
                    title: a.title,
                })
                .collect();
            let pairs = pairs_of(&p);
            let page_href = |n: u32| {
                let mut q = pairs.clone();
                if n > 1 {
                    q.push(("page", n.to_string()));
                }
                href("/adopted", &q)
            };
            let shown_to = i64::from(page) * PAGE_SIZE;
            let units = catalog::all_units(conn)?;
            render(&AdoptedPage {
                contests: contests
                    .iter()
                    .map(|c| choose(&c.slug, c.title.clone(), non_empty(&p.contest)))
                    .collect(),
                categories: categories
                    .iter()
                    .map(|c| {
                        choose(
                            &c.slug,
                            c.name(lang.code()).to_string(),
                            non_empty(&p.category),
                        )
                    })
                    .collect(),
                units: units
                    .into_iter()
                    .map(|u| choose(&u.slug, u.name, non_empty(&p.unit)))
                    .collect(),
                bands: ProgressBand::ALL
                    .into_iter()
                    .map(|b| choose(b.code(), band_label(lang, b), non_empty(&p.progress)))
                    .collect(),
                filtered: !pairs.is_empty(),
                count_line: lang.tf("adopted.count", &[("count", &view::count(lang, total))]),
                cards,
                prev_href: (page > 1).then(|| page_href(page - 1)),
                next_href: (shown_to < total && page < MAX_PAGE).then(|| page_href(page + 1)),
                ctx,
            })
        })
        .await
}

/// An adopted idea in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptedDto {
    /// Idea id.
    pub id: String,
    /// Its public page.
    pub url: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// `in_implementation`, `implemented` or `discontinued`.
    pub status: String,
    /// Contest slug.
    pub contest: String,
    /// Category slug.
    pub category: String,
    /// The responsible unit.
    pub responsible_unit: AdoptedUnit,
    /// The plan.
    pub plan: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// The latest milestone's text.
    pub latest_update: Option<String>,
    /// Planned start (`YYYY-MM-DD`).
    pub planned_start: Option<String>,
    /// Planned end (`YYYY-MM-DD`).
    pub planned_end: Option<String>,
    /// Started (RFC 3339).
    pub started_at: String,
    /// Last updated (RFC 3339).
    pub updated_at: String,
    /// Ended (RFC 3339), when implemented or discontinued.
    pub ended_at: Option<String>,
    /// Why it was discontinued.
    pub end_reason: Option<String>,
}

/// A unit named in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptedUnit {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
}

/// A page of adopted ideas.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptedListDto {
    /// Most recently updated first.
    pub items: Vec<AdoptedDto>,
    /// How many match the filters.
    pub total: i64,
    /// This page's number.
    pub page: u32,
    /// The next page's number, if there is one.
    pub next_page: Option<u32>,
}

/// The adopted ideas, filtered like `/adopted`.
#[utoipa::path(get, path = "/api/v1/adopted", tag = "ideas", params(AdoptedParams),
    responses((status = 200, body = AdoptedListDto), (status = 400, body = ErrorBody)))]
pub async fn api_list(
    req: HttpRequest,
    state: State,
    raw: web::Query<AdoptedParams>,
) -> Result<HttpResponse, AppError> {
    let p = raw.into_inner();
    let lang = Lang::of_request(&req);
    state
        .cached(&req, lang, super::api::JSON, move |conn| {
            let (items, total, page) = load(conn, &p)?;
            let contests = catalog::all_contests(conn)?;
            let categories = catalog::all_categories(conn)?;
            let slug_of_contest = |id: &str| {
                contests
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.slug.clone())
                    .unwrap_or_default()
            };
            let slug_of_category = |id: &str| {
                categories
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.slug.clone())
                    .unwrap_or_default()
            };
            let next_page =
                (i64::from(page) * PAGE_SIZE < total && page < MAX_PAGE).then_some(page + 1);
            let dto = AdoptedListDto {
                items: items
                    .into_iter()
                    .map(|a| AdoptedDto {
                        url: format!("/ideas/{}", a.id),
                        contest: slug_of_contest(&a.contest_id),
                        category: slug_of_category(&a.category_id),
                        responsible_unit: AdoptedUnit {
                            slug: a.responsible_unit_slug,
                            name: a.responsible_unit,
                        },
                        planned_start: a.planned_start.map(|d| d.format("%Y-%m-%d").to_string()),
                        planned_end: a.planned_end.map(|d| d.format("%Y-%m-%d").to_string()),
                        started_at: rfc3339(a.started_at),
                        updated_at: rfc3339(a.updated_at),
                        ended_at: a.ended_at.map(rfc3339),
                        id: a.id,
                        title: a.title,
                        summary: a.summary,
                        status: a.status,
                        plan: a.plan,
                        progress: a.progress,
                        latest_update: a.latest_update,
                        end_reason: a.end_reason,
                    })
                    .collect(),
                total,
                page,
                next_page,
            };
            serde_json::to_string(&dto).map_err(|e| AppError::Internal(e.to_string()))
        })
        .await
}
