//! HTML pages: parse the request, load through `db`, fill a template. Pages for anonymous visitors go through the
//! page cache.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::AppError;
use super::i18n::Lang;
use super::sharing::{self, Share};
use super::view::{self, Choice, IdeaCard, href};
use super::{AppState, State};
use crate::access;
use crate::db::{self, DbConn, catalog, ideas, search, stats};
use crate::domain::listing::{
    ListQuery, MAX_SEARCH_PAGE, ParamError, RawListParams, parse_idea_id,
};
use crate::domain::status::IdeaStatus;
use crate::domain::text::SearchTerms;

pub(crate) const HTML: &str = "text/html; charset=utf-8";
static CSS: &str = include_str!("../../frontend/static/app.css");

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The page's language.
    pub lang: Lang,
    /// This page in the other language.
    pub switch_href: String,
    /// The page's canonical address.
    pub canonical: String,
    /// The signed-in person's name, if any.
    pub user: Option<String>,
    /// The CSRF token for the sign-out form (empty for visitors).
    pub csrf: String,
    /// The link preview (Open Graph and Twitter card tags) of a public page that has one.
    pub share: Option<Share>,
}

impl Ctx {
    /// The frame for `req` in `lang`.
    pub fn new(req: &HttpRequest, lang: Lang, base_url: &str) -> Ctx {
        let kept: Vec<(String, String)> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "lang")
                .collect();
        let mut switch: Vec<(&str, String)> =
            kept.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        switch.push(("lang", lang.other().code().to_string()));
        let (user, csrf) = match req.extensions().get::<crate::access::Principal>() {
            Some(p) => (
                Some(p.display_name.clone()),
                match &p.auth {
                    crate::access::AuthMethod::Session { csrf, .. } => csrf.clone(),
                    crate::access::AuthMethod::Token { .. } => String::new(),
                },
            ),
            None => (None, String::new()),
        };
        Ctx {
            lang,
            user,
            csrf,
            share: None,
            switch_href: href(req.path(), &switch),
            canonical: format!(
                "{base_url}{}",
                href(
                    req.path(),
                    &kept
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.clone()))
                        .collect::<Vec<_>>()
                )
            ),
        }
    }

    /// The message for `key`.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The stylesheet, inlined: one small file, no extra request, nothing render-blocking.
    pub fn css(&self) -> &'static str {
        CSS
    }
}

/// A personal page (never cached anywhere) with this status.
pub(crate) fn private_page(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(HTML)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A response builder for personal data (API answers about the signed-in person or an organizer's contest): never
/// stored by any cache.
pub(crate) fn no_store(mut b: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    b.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    b
}

/// The redirect after a form is handled (303, so the browser follows with a GET).
pub(crate) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.to_string()))
        .finish()
}

pub(crate) fn render(t: &impl Template) -> Result<String, AppError> {
    t.render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

pub(crate) fn ctx_of(req: &HttpRequest, state: &AppState) -> Ctx {
    Ctx::new(req, Lang::of_request(req), &state.config.base_url)
}

struct ContestCard {
    href: String,
    title: String,
    dates: String,
    description: String,
}

struct AdoptedCard {
    href: String,
    title: String,
    status: String,
    status_label: String,
    unit_line: String,
    progress: i32,
    progress_label: String,
    latest_update: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    ctx: Ctx,
    submitted: i64,
    selected: i64,
    applied: i64,
    contests_open: bool,
    contests: Vec<ContestCard>,
    adopted: Vec<AdoptedCard>,
}

fn contest_dates(lang: Lang, c: &catalog::Contest) -> String {
    format!(
        "{} – {}",
        view::date(lang, c.opens_at),
        view::date(lang, c.closes_at)
    )
}

/// `/`: open contests, headline numbers and a few adopted ideas.
pub async fn home(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let mut ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    ctx.share = Some(sharing::site_share(
        lang,
        &state.config.base_url,
        lang.t("home.heading"),
        lang.t("site.tagline"),
    ));
    state
        .cached(&req, lang, HTML, move |conn| {
            let headline = stats::headline(conn)?;
            let open = catalog::open_contests(conn, db::now())?;
            let contests_open = !open.is_empty();
            let shown = if contests_open {
                open
            } else {
                catalog::all_contests(conn)?.into_iter().take(3).collect()
            };
            let contests = shown
                .iter()
                .map(|c| ContestCard {
                    href: format!("/contests/{}", c.slug),
                    title: c.title.clone(),
                    dates: contest_dates(lang, c),
                    description: c.description.clone(),
                })
                .collect();
            let adopted = ideas::recent_adopted(conn, 4)?
                .into_iter()
                .map(|a| AdoptedCard {
                    href: format!("/ideas/{}", a.id),
                    status_label: view::status_label(lang, &a.status),
                    status: a.status,
                    title: a.title,
                    unit_line: lang.tf("adoption.by_unit", &[("unit", &a.responsible_unit)]),
                    progress: a.progress.clamp(0, 100),
                    progress_label: lang
                        .tf("adoption.progress", &[("percent", &a.progress.to_string())]),
                    latest_update: a.latest_update,
                })
                .collect();
            render(&HomeTemplate {
                ctx,
                submitted: headline.submitted,
                selected: headline.selected,
                applied: headline.applied,
                contests_open,
                contests,
                adopted,
            })
        })
        .await
}

/// A list request resolved against the database: slugs turned into ids, unknown ones refused by name.
pub fn resolve_filter(conn: &mut DbConn, q: &ListQuery) -> Result<ideas::ListFilter, AppError> {
    let unknown = |param| AppError::BadParam(ParamError::unknown(param));
    let contest_id = match &q.contest {
        None => None,
        Some(s) => Some(
            catalog::contest_by_slug(conn, s)?
                .ok_or_else(|| unknown("contest"))?
                .id,
        ),
    };
    let category_id = match &q.category {
        None => None,
        Some(s) => Some(
            catalog::category_by_slug(conn, s)?
                .ok_or_else(|| unknown("category"))?
                .id,
        ),
    };
    let unit_ids = match &q.unit {
        None => None,
        Some(s) => {
            let unit = catalog::unit_by_slug(conn, s)?.ok_or_else(|| unknown("unit"))?;
            Some(catalog::subtree_ids(conn, &unit)?)
        }
    };
    Ok(ideas::ListFilter {
        contest_id,
        category_id,
        unit_ids,
        status: q.status.map(IdeaStatus::code),
    })
}

/// One page of a public list: the rows to show and the cursor of the next page, if there is one.
pub fn load_page(
    conn: &mut DbConn,
    q: &ListQuery,
) -> Result<(Vec<ideas::ListRow>, Option<String>), AppError> {
    let filter = resolve_filter(conn, q)?;
    let mut rows = ideas::list_public(conn, &filter, q.cursor.as_ref(), q.limit)?;
    let next = if rows.len() > q.limit as usize {
        rows.truncate(q.limit as usize);
        rows.last().and_then(|r| {
            r.listed_at.map(|t| crate::domain::listing::Cursor {
                listed_at: t,
                id: r.id.clone(),
            })
        })
    } else {
        None
    };
    Ok((rows, next.map(|c| c.encode())))
}

/// One page of search results.
pub struct SearchPage {
    /// The ideas, best first.
    pub rows: Vec<ideas::ListRow>,
    /// How many ideas match (see `total_exact`).
    pub total: i64,
    /// Whether `total` counts every match; false means "more than `total`".
    pub total_exact: bool,
    /// The next page's number, if it has results.
    pub next_page: Option<u32>,
}

/// One page of a searched public list (`q.page`, `q.limit` a page), ranked by `db::search`.
pub fn load_search(
    conn: &mut DbConn,
    q: &ListQuery,
    terms: &SearchTerms,
) -> Result<SearchPage, AppError> {
    let filter = resolve_filter(conn, q)?;
    let offset = (q.page - 1) * q.limit;
    let found = search::search_public(conn, &filter, terms, offset, q.limit)?;
    let rows = ideas::list_rows_by_ids(conn, &found.ids)?;
    let ranked = found.total.min(search::MAX_RESULTS);
    let next_page =
        (i64::from(offset + q.limit) < ranked && q.page < MAX_SEARCH_PAGE).then_some(q.page + 1);
    let (total, total_exact) = if found.total_exact {
        (found.total, true)
    } else {
        (found.total.min(search::MAX_RESULTS), false)
    };
    Ok(SearchPage {
        rows,
        total,
        total_exact,
        next_page,
    })
}

/// A hidden form field.
struct Hidden {
    name: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "ideas.html")]
struct IdeasTemplate {
    ctx: Ctx,
    contests: Vec<Choice>,
    categories: Vec<Choice>,
    units: Vec<Choice>,
    statuses: Vec<Choice>,
    category_links: Vec<Choice>,
    filtered: bool,
    cards: Vec<IdeaCard>,
    first_href: Option<String>,
    next_href: Option<String>,
    /// The search box's value.
    query: String,
    /// The current filters, kept by the search form.
    filter_fields: Vec<Hidden>,
    /// Where "clear filters" goes (keeps the search).
    clear_href: String,
    /// "12 results for …", when searching.
    result_line: Option<String>,
    /// What an empty list says.
    empty_message: String,
    /// The previous page of search results.
    prev_href: Option<String>,
}

/// `/ideas`: public ideas, newest first, 20 a page, with filters and a keyset cursor; with `q`, a search ranked by
/// relevance, paged by number.
pub async fn ideas(
    req: HttpRequest,
    state: State,
    raw: web::Query<RawListParams>,
) -> Result<HttpResponse, AppError> {
    let q = ListQuery::parse(&raw, false)?;
    let mut ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    ctx.share = Some(sharing::site_share(
        lang,
        &state.config.base_url,
        lang.t("ideas.heading"),
        lang.t("share.ideas_description"),
    ));
    state
        .cached(&req, lang, HTML, move |conn| {
            let pairs = q.filter_pairs();
            let links = q.link_pairs();
            let query = q.q.clone().unwrap_or_default();
            let (cards, first_href, prev_href, next_href, result_line, empty_message) =
                match &q.search {
                    None => {
                        let (rows, next) = load_page(conn, &q)?;
                        let next_href = next.map(|c| {
                            let mut p = links.clone();
                            p.push(("cursor", c));
                            href("/ideas", &p)
                        });
                        (
                            rows.iter().map(|r| IdeaCard::from_row(lang, r)).collect(),
                            q.cursor.is_some().then(|| href("/ideas", &links)),
                            None,
                            next_href,
                            None,
                            lang.t("ideas.empty").to_string(),
                        )
                    }
                    Some(terms) => {
                        let found = load_search(conn, &q, terms)?;
                        let page_href = |n: u32| {
                            let mut p = links.clone();
                            if n > 1 {
                                p.push(("page", n.to_string()));
                            }
                            href("/ideas", &p)
                        };
                        let count = view::count(lang, found.total);
                        let line = if !found.total_exact {
                            lang.tf("search.results_more", &[("count", &count), ("q", &query)])
                        } else if found.total == 1 {
                            lang.tf("search.result_one", &[("q", &query)])
                        } else {
                            lang.tf("search.results", &[("count", &count), ("q", &query)])
                        };
                        (
                            found
                                .rows
                                .iter()
                                .map(|r| IdeaCard::from_row(lang, r).highlighted(terms))
                                .collect(),
                            None,
                            (q.page > 1).then(|| page_href(q.page - 1)),
                            found.next_page.map(page_href),
                            (found.total > 0).then_some(line),
                            lang.tf("search.empty", &[("q", &query)]),
                        )
                    }
                };
            let choose = |value: &str, label: String, current: &Option<String>| Choice {
                selected: current.as_deref() == Some(value),
                value: value.to_string(),
                label,
            };
            let contests = catalog::all_contests(conn)?
                .into_iter()
                .map(|c| choose(&c.slug, c.title.clone(), &q.contest))
                .collect();
            let all_categories = catalog::all_categories(conn)?;
            let categories = all_categories
                .iter()
                .map(|c| choose(&c.slug, c.name(lang.code()).to_string(), &q.category))
                .collect();
            let category_links = all_categories
                .iter()
                .map(|c| {
                    let mut p: Vec<(&str, String)> = links
                        .iter()
                        .filter(|(k, _)| *k != "category")
                        .cloned()
                        .collect();
                    p.push(("category", c.slug.clone()));
                    Choice {
                        value: href("/ideas", &p),
                        label: c.name(lang.code()).to_string(),
                        selected: q.category.as_deref() == Some(c.slug.as_str()),
                    }
                })
                .collect();
            let units = catalog::all_units(conn)?
                .into_iter()
                .map(|u| choose(&u.slug, u.name.clone(), &q.unit))
                .collect();
            let current_status = q.status.map(|s| s.code().to_string());
            let statuses = IdeaStatus::ALL
                .into_iter()
                .filter(|s| s.can_be_public())
                .map(|s| {
                    choose(
                        s.code(),
                        lang.t(&s.label_key()).to_string(),
                        &current_status,
                    )
                })
                .collect();
            let clear_href = match &q.q {
                Some(text) => href("/ideas", &[("q", text.clone())]),
                None => "/ideas".to_string(),
            };
            render(&IdeasTemplate {
                ctx,
                contests,
                categories,
                units,
                statuses,
                category_links,
                filtered: !pairs.is_empty(),
                cards,
                first_href,
                next_href,
                query,
                filter_fields: pairs
                    .into_iter()
                    .map(|(name, value)| Hidden { name, value })
                    .collect(),
                clear_href,
                result_line,
                empty_message,
                prev_href,
            })
        })
        .await
}

struct AdoptionBox {
    unit: String,
    started: String,
    updated: String,
    progress: i32,
    progress_label: String,
    plan: String,
    planned: Option<String>,
    ended: Option<String>,
    end_reason: Option<String>,
}

#[derive(Template)]
#[template(path = "idea.html")]
struct IdeaTemplate {
    ctx: Ctx,
    title: String,
    summary: String,
    situation: String,
    solution: String,
    impact: String,
    resources: String,
    applies_where: String,
    status: String,
    status_label: String,
    category: String,
    category_href: String,
    unit: String,
    contest_title: String,
    contest_href: String,
    submitted: Option<String>,
    submitted_datetime: String,
    authors: String,
    adoption: Option<AdoptionBox>,
    timeline: Vec<super::adoption_pages::MilestoneView>,
    attachments: Vec<super::attachments::AttachmentView>,
    support: super::support_pages::SupportBox,
    problem: Option<String>,
}

/// `/ideas/{id}`: one public idea.
pub async fn idea(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_idea_id(&path).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))?;
    let mut ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    // The support box is personal for a signed-in person (whose pages are never cached).
    let viewer: super::support_pages::Viewer = req
        .extensions()
        .get::<crate::access::Principal>()
        .map(|p| (p.user_id.clone(), p.verified));
    // A refused support or vote comes back with its code; only known rules are shown.
    let problem = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "problem")
        .map(|(_, code)| format!("rule.{code}"))
        .filter(|key| lang.has(key))
        .map(|key| lang.t(&key).to_string());
    let base = state.config.base_url.clone();
    let data_dir = state.config.data_dir.clone();
    ctx.canonical = format!("{base}/ideas/{id}");
    state
        .cached(&req, lang, HTML, move |conn| {
            let d = ideas::public_detail(conn, &id)?.ok_or(AppError::NotFound("idea"))?;
            let standing = crate::app::support::standing(
                conn,
                &id,
                &d.contest.id,
                viewer.as_ref().map(|(u, _)| u.as_str()),
            )?;
            let support = super::support_pages::support_box(lang, &id, &standing, &viewer);
            let status = IdeaStatus::parse(&d.idea.status);
            let names_visible = status
                .map(|s| access::public_author_names_visible(d.contest.blind_review, s))
                .unwrap_or(false);
            let adoption = crate::db::adoption::adoption_of(conn, &id)?.map(|a| AdoptionBox {
                unit: a.responsible_unit,
                started: view::date(lang, a.started_at),
                updated: view::date(lang, a.updated_at),
                progress: a.progress.clamp(0, 100),
                progress_label: lang
                    .tf("adoption.progress", &[("percent", &a.progress.to_string())]),
                plan: a.plan,
                planned: match (a.planned_start, a.planned_end) {
                    (Some(s), Some(e)) => {
                        Some(format!("{} – {}", view::day(lang, s), view::day(lang, e)))
                    }
                    _ => None,
                },
                ended: a.ended_at.map(|t| view::date(lang, t)),
                end_reason: a.end_reason,
            });
            let timeline = if adoption.is_some() {
                super::adoption_pages::timeline_views(
                    lang,
                    crate::db::adoption::timeline(conn, &id)?,
                )
            } else {
                Vec::new()
            };
            let listed = d.idea.listed_at.or(d.idea.submitted_at);
            let mut files = crate::app::attachments::of_idea(conn, &id)?;
            let mut idea = d.idea;
            crate::app::reviews::for_public(conn, &mut idea, &mut files, names_visible)?;
            ctx.share = Some(sharing::idea_share(
                lang,
                &base,
                &data_dir,
                &idea,
                &d.contest.title,
                &files,
                names_visible,
            ));
            render(&IdeaTemplate {
                ctx,
                attachments: super::attachments::views(lang, &id, &files),
                status_label: view::status_label(lang, &idea.status),
                status: idea.status,
                title: idea.title,
                summary: idea.summary,
                situation: idea.situation,
                solution: idea.solution,
                impact: idea.impact,
                resources: idea.resources,
                applies_where: idea.applies_where,
                category: d.category.name(lang.code()).to_string(),
                category_href: href("/ideas", &[("category", d.category.slug.clone())]),
                unit: d.unit.name,
                contest_href: format!("/contests/{}", d.contest.slug),
                contest_title: d.contest.title,
                submitted: listed.map(|t| view::date(lang, t)),
                submitted_datetime: listed.map(view::rfc3339).unwrap_or_default(),
                authors: if names_visible {
                    d.author_names.join(", ")
                } else {
                    String::new()
                },
                adoption,
                timeline,
                support,
                problem,
            })
        })
        .await
}

#[derive(Template)]
#[template(path = "contest.html")]
struct ContestTemplate {
    ctx: Ctx,
    title: String,
    description: String,
    rules: String,
    unit: String,
    phase: String,
    opens: String,
    closes: String,
    max_ideas: i32,
    review_mode: &'static str,
    public_ideas: String,
    ideas_href: String,
    categories: Vec<Choice>,
    vote_round: Option<String>,
    standings: Vec<(String, String, i64)>,
}

/// `/contests/{slug}`: a contest with its rules, dates and categories.
pub async fn contest(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let mut ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let base = state.config.base_url.clone();
    state
        .cached(&req, lang, HTML, move |conn| {
            let c = catalog::contest_by_slug(conn, &slug)?.ok_or(AppError::NotFound("contest"))?;
            let unit = catalog::unit_by_id(conn, &c.unit_id)?
                .map(|u| u.name)
                .unwrap_or_default();
            ctx.canonical = format!("{base}/contests/{}", c.slug);
            ctx.share = Some(sharing::contest_share(lang, &base, &unit, &c));
            let count = ideas::count_public_in_contest(conn, &c.id)?;
            let now = db::now();
            let phase = if now < c.opens_at {
                "contest.phase.upcoming"
            } else if c.is_open_at(now) {
                "contest.phase.open"
            } else {
                "contest.phase.closed"
            };
            let categories = catalog::contest_categories_of(conn, &c.id)?
                .into_iter()
                .map(|cat| Choice {
                    value: href(
                        "/ideas",
                        &[("contest", c.slug.clone()), ("category", cat.slug.clone())],
                    ),
                    label: cat.name(lang.code()).to_string(),
                    selected: false,
                })
                .collect();
            let round = crate::app::support::round_of(conn, &c.id)?;
            let standings = if round.is_some() {
                crate::app::support::standings(conn, &c.id, 10)?
            } else {
                Vec::new()
            };
            render(&ContestTemplate {
                vote_round: round.map(|r| {
                    lang.tf(
                        "vote.round",
                        &[
                            ("opens", &view::date_time(lang, r.opens_at)),
                            ("closes", &view::date_time(lang, r.closes_at)),
                        ],
                    )
                }),
                standings,
                ctx,
                unit,
                phase: lang.t(phase).to_string(),
                opens: view::date_time(lang, c.opens_at),
                closes: view::date_time(lang, c.closes_at),
                max_ideas: c.max_ideas_per_member,
                review_mode: lang.t(if c.blind_review {
                    "contest.blind"
                } else {
                    "contest.open_review"
                }),
                public_ideas: lang.tf(
                    "contest.public_ideas_count",
                    &[("count", &count.to_string())],
                ),
                ideas_href: href("/ideas", &[("contest", c.slug.clone())]),
                title: c.title,
                description: c.description,
                rules: c.rules,
                categories,
            })
        })
        .await
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    ctx: Ctx,
    heading: String,
    message: &'a str,
    fields: Vec<(&'a str, &'a str)>,
}

/// The HTML error page (called only by `error::render`).
pub fn error_page(
    req: &HttpRequest,
    lang: Lang,
    status: StatusCode,
    message: &str,
    fields: &[super::error::FieldLine],
) -> String {
    let base = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.base_url.clone())
        .unwrap_or_default();
    let page = ErrorTemplate {
        ctx: Ctx::new(req, lang, &base),
        heading: lang.tf("error.heading", &[("status", status.as_str())]),
        message,
        fields: fields
            .iter()
            .map(|(n, _, m, _)| (n.as_str(), m.as_str()))
            .collect(),
    };
    page.render().unwrap_or_else(|_| message.to_string())
}
