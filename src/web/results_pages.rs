//! The results of a contest's review for its organizers (`app::results`): the ranking table page with a "one more
//! review" button per idea, the same results and action in the API, and the table as CSV and XLSX files. Every one
//! takes the same view (`?sort=&dir=&flag=&status=&cut=`), so an export holds exactly what the page showed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::export::{self, Cell, Sheet};
use super::forms::{first, form_pairs};
use super::i18n::Lang;
use super::pages::{Ctx, ctx_of, no_store, private_page, render, see_other};
use super::view::{self, Choice, href};
use crate::app::assignment::{self, OneMore};
use crate::app::results::{
    self, Direction, Flag, Line, MAX_CUT, RawView, SortKey, Standings, View,
};
use crate::domain::status::IdeaStatus;

/// The view of the results: which ideas, in what order, and the cut-off.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ResultsQuery {
    /// `calibrated` (default), `raw`, `spread`, `reviews` or `title`.
    #[param(pattern = r"^\s*(calibrated|raw|spread|reviews|title)?\s*$")]
    pub sort: Option<String>,
    /// `asc` or `desc`; by default the highest first, titles from A.
    #[param(pattern = r"^\s*(asc|desc)?\s*$")]
    pub dir: Option<String>,
    /// `disagreement` or `uncertain`: only ideas with that flag.
    #[param(pattern = r"^\s*(disagreement|uncertain)?\s*$")]
    pub flag: Option<String>,
    /// Only ideas in this state (`in_review`, `reviewed`, `shortlisted`, …).
    #[param(
        pattern = r"^\s*(draft|submitted|withdrawn|eligible|ineligible|in_review|reviewed|shortlisted|not_selected|selected|in_implementation|implemented|discontinued)?\s*$"
    )]
    pub status: Option<String>,
    /// The cut-off K, how many ideas are to be chosen (1–1000, default 15): `uncertain` marks the ideas one more
    /// review could move across it.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub cut: Option<String>,
    /// A notice to show after a form (pages only).
    #[param(ignore)]
    pub notice: Option<String>,
}

impl ResultsQuery {
    fn view(&self) -> Result<View, AppError> {
        Ok(View::parse(&RawView {
            sort: self.sort.as_deref(),
            dir: self.dir.as_deref(),
            flag: self.flag.as_deref(),
            status: self.status.as_deref(),
            cut: self.cut.as_deref(),
        })?)
    }
}

/// One idea's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultDto {
    /// The idea.
    pub idea_id: String,
    /// Its title.
    pub title: String,
    /// Its state.
    pub status: String,
    /// Its rank by calibrated score over the whole round (1 = best); `null` before its first review.
    pub rank: Option<usize>,
    /// Its rank by raw mean.
    pub raw_rank: Option<usize>,
    /// Reviews submitted in the current round.
    pub reviews: usize,
    /// Reviews still awaited.
    pub pending: usize,
    /// The plain mean of its weighted scores (1–10).
    pub raw_mean: Option<f64>,
    /// The score with each reviewer's severity taken out (same scale).
    pub calibrated: Option<f64>,
    /// The standard error of `calibrated`.
    pub standard_error: Option<f64>,
    /// The standard deviation of its bias-corrected scores.
    pub spread_sd: Option<f64>,
    /// The highest minus the lowest of its bias-corrected scores.
    pub spread_range: Option<f64>,
    /// Its reviewers disagree strongly (more than 4 points apart).
    pub disagreement: bool,
    /// The cut-off is within one standard error: one more review could move it across.
    pub uncertain: bool,
}

/// A contest's results in one view.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsDto {
    /// Contest slug.
    pub contest: String,
    /// The current round; `null` before the first rubric.
    pub round: Option<i32>,
    /// The sort key applied.
    pub sort: String,
    /// Its direction.
    pub dir: String,
    /// The flag filtered by.
    pub flag: Option<String>,
    /// The state filtered by.
    pub status: Option<String>,
    /// The cut-off K.
    pub cut: usize,
    /// The calibrated score at rank K, when at least K ideas are scored.
    pub cutoff: Option<f64>,
    /// Whether the calibration settled (it practically always does; `false` is worth reporting).
    pub converged: bool,
    /// Ideas in the results before filtering.
    pub total: usize,
    /// The ideas the view shows, in its order.
    pub items: Vec<ResultDto>,
}

/// The review asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoreReviewDto {
    /// The new assignment (assigned; the reviewer has been emailed).
    pub assignment_id: String,
    /// The idea, now in review.
    pub idea_id: String,
    /// The reviewer picked.
    pub reviewer_id: String,
    /// Their name.
    pub reviewer: String,
}

async fn load(
    state: &State,
    who: SignedIn,
    slug: String,
    view: View,
) -> Result<Standings, AppError> {
    state
        .with_conn(move |conn| results::standings(conn, &who.0, &slug, &view))
        .await
}

fn result_dto(l: Line) -> ResultDto {
    let fit = l.fit.as_ref();
    ResultDto {
        rank: l.rank,
        raw_rank: l.raw_rank,
        reviews: l.reviews,
        pending: l.pending,
        raw_mean: fit.map(|f| f.raw_mean),
        calibrated: fit.map(|f| f.calibrated),
        standard_error: fit.map(|f| f.standard_error),
        spread_sd: fit.map(|f| f.spread_sd),
        spread_range: fit.map(|f| f.spread_range),
        disagreement: fit.is_some_and(|f| f.disagreement),
        uncertain: fit.is_some_and(|f| f.uncertain),
        idea_id: l.idea_id,
        title: l.title,
        status: l.status,
    }
}

/// The results of the contest's current review round: per idea its raw and calibrated score (reviewer severity
/// taken out, fitted over the whole round), the standard error, the spread between reviewers, the flags
/// `disagreement` and `uncertain` (near the cut-off), and both ranks; ideas in review without a review yet are
/// listed without scores. Filters and order choose what is shown, never the scores. Organizers of the contest's
/// unit only.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/results", tag = "review",
    params(("slug" = String, Path, description = "Contest slug"), ResultsQuery),
    responses((status = 200, body = ResultsDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_results(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ResultsQuery>,
) -> Result<HttpResponse, AppError> {
    let view = q.view()?;
    let s = load(&state, who, path.into_inner(), view).await?;
    Ok(no_store(HttpResponse::Ok()).json(ResultsDto {
        contest: s.contest.slug,
        round: s.round,
        sort: view.sort.code().into(),
        dir: view.direction.code().into(),
        flag: view.flag.map(|f| f.code().into()),
        status: view.status.map(|st| st.code().into()),
        cut: view.cut,
        cutoff: s.cutoff,
        converged: s.converged,
        total: s.total,
        items: s.lines.into_iter().map(result_dto).collect(),
    }))
}

async fn ask_one_more(
    state: &State,
    who: SignedIn,
    slug: String,
    idea: String,
) -> Result<OneMore, AppError> {
    let asked = state
        .with_conn(move |conn| assignment::one_more(conn, &who.0, &slug, &idea))
        .await?;
    // A reviewed idea is in review again, which public pages may show.
    state.cache.bump();
    crate::mail::notify();
    Ok(asked)
}

/// Asks one more review of an idea in review or reviewed: the least loaded reviewer of the panel who has no
/// conflict with it, was never assigned it and is under their cap gets it at once (one email); a reviewed idea is
/// in review again until that review is in. `409 no_reviewer_available` when nobody qualifies,
/// `409 more_review_not_allowed` for an idea in another state, `409 round_closed`, `409 no_rubric`.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/results/{idea}/more", tag = "review",
    params(("slug" = String, Path, description = "Contest slug"), ("idea" = String, Path, description = "Idea id")),
    responses((status = 201, body = MoreReviewDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_more(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, idea) = path.into_inner();
    let asked = ask_one_more(&state, who, slug, idea.clone()).await?;
    Ok(no_store(HttpResponse::Created()).json(MoreReviewDto {
        assignment_id: asked.assignment_id,
        idea_id: idea,
        reviewer_id: asked.reviewer_id,
        reviewer: asked.reviewer,
    }))
}

/// A sortable column's header: its label, the link that sorts by it, and `aria-sort` when it is the one sorted by.
struct Column {
    label: &'static str,
    href: String,
    sorted: Option<&'static str>,
    arrow: &'static str,
}

/// The sortable columns, in the table's order (the rank column before them sorts like the calibrated score).
const COLUMNS: [SortKey; 5] = [
    SortKey::Title,
    SortKey::Reviews,
    SortKey::Raw,
    SortKey::Calibrated,
    SortKey::Spread,
];

/// A line of the table as the page shows it.
struct Row {
    id: String,
    title: String,
    status: String,
    status_label: String,
    rank: String,
    reviews: String,
    raw: String,
    raw_rank: Option<String>,
    calibrated: String,
    standard_error: String,
    spread: String,
    disagreement: bool,
    uncertain: bool,
    can_ask: bool,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    ctx: Ctx,
    heading: String,
    edit_href: String,
    notice: Option<String>,
    alert: Option<String>,
    no_round: bool,
    summary: String,
    explain_flags: String,
    columns: Vec<Column>,
    rows: Vec<Row>,
    base: String,
    keep: Vec<(&'static str, String)>,
    sort_keep: Vec<(&'static str, String)>,
    flags: Vec<Choice>,
    statuses: Vec<Choice>,
    cut: usize,
    max_cut: usize,
    csv_href: String,
    xlsx_href: String,
    flag_disagreement: String,
    flag_uncertain: String,
}

/// What the page shows besides the results: a notice after a redirect, or the refusal of a "one more review".
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    refused: Option<(String, String)>,
}

fn page_rows(lang: Lang, lines: &[Line], refused: Option<&(String, String)>) -> Vec<Row> {
    let num = |x: Option<f64>| x.map(|x| view::decimal(lang, x)).unwrap_or_default();
    lines
        .iter()
        .map(|l| {
            let fit = l.fit.as_ref();
            let mut reviews = l.reviews.to_string();
            if l.pending > 0 {
                reviews.push_str(&lang.tf("results.pending", &[("count", &l.pending.to_string())]));
            }
            Row {
                id: l.idea_id.clone(),
                title: l.title.clone(),
                status: l.status.clone(),
                status_label: view::status_label(lang, &l.status),
                rank: l.rank.map(|n| n.to_string()).unwrap_or_default(),
                reviews,
                raw: num(fit.map(|f| f.raw_mean)),
                raw_rank: l
                    .raw_rank
                    .map(|n| lang.tf("results.raw_rank", &[("rank", &n.to_string())])),
                calibrated: num(fit.map(|f| f.calibrated)),
                standard_error: num(fit.map(|f| f.standard_error)),
                spread: num(fit.map(|f| f.spread_range)),
                disagreement: fit.is_some_and(|f| f.disagreement),
                uncertain: fit.is_some_and(|f| f.uncertain),
                can_ask: l.status == IdeaStatus::InReview.code()
                    || l.status == IdeaStatus::Reviewed.code(),
                problem: refused
                    .filter(|(idea, _)| *idea == l.idea_id)
                    .map(|(_, m)| m.clone()),
            }
        })
        .collect()
}

async fn render_page(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    view: View,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let s = load(state, who, slug, view).await?;
    let base = format!("/organize/contests/{}/results", s.contest.slug);
    let link = |path: &str, v: &View| href(path, &v.pairs());
    let columns = COLUMNS
        .iter()
        .map(|&key| {
            let current = view.sort == key;
            let direction = if current {
                view.direction.flipped()
            } else {
                key.natural()
            };
            Column {
                label: lang.t(&format!("results.col.{}", key.code())),
                href: link(
                    &base,
                    &View {
                        sort: key,
                        direction,
                        ..view
                    },
                ),
                sorted: current.then_some(match view.direction {
                    Direction::Asc => "ascending",
                    Direction::Desc => "descending",
                }),
                arrow: match (current, view.direction) {
                    (false, _) => "",
                    (true, Direction::Asc) => " ▲",
                    (true, Direction::Desc) => " ▼",
                },
            }
        })
        .collect();
    let code = if shown.refused.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let page = ResultsPage {
        heading: lang.tf("results.heading", &[("contest", &s.contest.title)]),
        edit_href: format!("/organize/contests/{}/edit", s.contest.slug),
        notice: lang.notice(shown.notice.as_deref()),
        alert: shown.refused.as_ref().map(|(_, m)| m.clone()),
        no_round: s.round.is_none(),
        summary: lang.tf(
            "results.summary",
            &[
                ("shown", &s.lines.len().to_string()),
                ("total", &s.total.to_string()),
                ("cut", &view.cut.to_string()),
            ],
        ),
        explain_flags: lang.tf("results.explain_flags", &[("cut", &view.cut.to_string())]),
        columns,
        rows: page_rows(lang, &s.lines, shown.refused.as_ref()),
        keep: view.pairs(),
        // The filter form starts a new filter but keeps the order.
        sort_keep: view
            .pairs()
            .into_iter()
            .filter(|(k, _)| *k == "sort" || *k == "dir")
            .collect(),
        flags: Flag::ALL
            .iter()
            .map(|f| Choice {
                value: f.code().into(),
                label: lang.t(&format!("results.flag.{}", f.code())).into(),
                selected: view.flag == Some(*f),
            })
            .collect(),
        // The states an idea in the results can be in: in review and everything after it.
        statuses: IdeaStatus::ALL
            .iter()
            .skip_while(|st| **st != IdeaStatus::InReview)
            .map(|st| Choice {
                value: st.code().into(),
                label: view::status_label(lang, st.code()),
                selected: view.status == Some(*st),
            })
            .collect(),
        cut: view.cut,
        max_cut: MAX_CUT,
        csv_href: link(&format!("{base}.csv"), &view),
        xlsx_href: link(&format!("{base}.xlsx"), &view),
        flag_disagreement: lang.t("results.flag.disagreement").into(),
        flag_uncertain: lang.t("results.flag.uncertain").into(),
        base,
        ctx,
    };
    Ok(private_page(code, render(&page)?))
}

/// `GET /organize/contests/{slug}/results`: the ranking table, sortable by its column headers and filtered by flag
/// and state, with a "one more review" button per idea still in review, and links to the two exports.
pub async fn page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ResultsQuery>,
) -> Result<HttpResponse, AppError> {
    let view = q.view()?;
    let shown = Shown {
        notice: q.notice.clone(),
        refused: None,
    };
    render_page(&req, &state, who, path.into_inner(), view, shown).await
}

/// `POST /organize/contests/{slug}/results/{idea}/more`: asks one more review of the idea, then back to the table
/// in the same view with a notice; a refusal shows the table again with the reason beside the idea.
pub async fn more(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (slug, idea) = path.into_inner();
    let pairs = form_pairs(&body);
    let one = |name: &str| Some(first(&pairs, name));
    let (sort, dir, flag, status, cut) = (
        one("sort"),
        one("dir"),
        one("flag"),
        one("status"),
        one("cut"),
    );
    // The view comes back from hidden fields; one that was tampered with falls back to the default table.
    let view = View::parse(&RawView {
        sort: sort.as_deref(),
        dir: dir.as_deref(),
        flag: flag.as_deref(),
        status: status.as_deref(),
        cut: cut.as_deref(),
    })
    .unwrap_or_default();
    let principal = SignedIn(who.0.clone());
    match ask_one_more(&state, principal, slug.clone(), idea.clone()).await {
        Ok(_) => {
            let mut back = view.pairs();
            back.push(("notice", "more_review_requested".into()));
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/results"),
                &back,
            )))
        }
        Err(AppError::Rule(code)) => {
            let message = ctx_of(&req, &state).lang.t(&format!("rule.{code}")).into();
            let shown = Shown {
                notice: None,
                refused: Some((idea, message)),
            };
            render_page(&req, &state, who, slug, view, shown).await
        }
        Err(e) => Err(e),
    }
}

/// The table as a sheet: the same lines in the same order, in the reader's language. No author, email, phone or
/// reviewer: ranking needs none of them, and a blind contest must stay blind in its files too.
fn sheet(lang: Lang, s: &Standings) -> Sheet {
    const FIELDS: [&str; 14] = [
        "rank",
        "raw_rank",
        "idea_id",
        "title",
        "status",
        "reviews",
        "pending",
        "raw",
        "calibrated",
        "standard_error",
        "spread_sd",
        "spread_range",
        "disagreement",
        "uncertain",
    ];
    let count = |n: Option<usize>| n.map_or(Cell::Empty, |n| Cell::Count(n as i64));
    let decimal = |x: Option<f64>| x.map_or(Cell::Empty, Cell::Decimal);
    let yes_no =
        |on: bool| Cell::Text(lang.t(if on { "results.yes" } else { "results.no" }).into());
    Sheet {
        name: lang.t("results.sheet").into(),
        header: FIELDS
            .iter()
            .map(|c| lang.t(&format!("results.export.{c}")).to_string())
            .collect(),
        rows: s
            .lines
            .iter()
            .map(|l| {
                let fit = l.fit.as_ref();
                vec![
                    count(l.rank),
                    count(l.raw_rank),
                    Cell::Text(l.idea_id.clone()),
                    Cell::Text(l.title.clone()),
                    Cell::Text(view::status_label(lang, &l.status)),
                    count(Some(l.reviews)),
                    count(Some(l.pending)),
                    decimal(fit.map(|f| f.raw_mean)),
                    decimal(fit.map(|f| f.calibrated)),
                    decimal(fit.map(|f| f.standard_error)),
                    decimal(fit.map(|f| f.spread_sd)),
                    decimal(fit.map(|f| f.spread_range)),
                    yes_no(fit.is_some_and(|f| f.disagreement)),
                    yes_no(fit.is_some_and(|f| f.uncertain)),
                ]
            })
            .collect(),
    }
}

/// A file writer and the type of what it writes.
type Writer = (fn(&Sheet) -> Result<Vec<u8>, AppError>, &'static str);

/// `GET /organize/contests/{slug}/results.{format}`: the table of the same view as a file: `csv` (UTF-8 with a
/// BOM) or `xlsx`; any other format is not found.
pub async fn file(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
    q: web::Query<ResultsQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, format) = path.into_inner();
    let (write, content_type): Writer = match format.as_str() {
        "csv" => (export::csv, export::CSV_TYPE),
        "xlsx" => (export::xlsx, export::XLSX_TYPE),
        _ => return Err(AppError::NotFound("page")),
    };
    let view = q.view()?;
    let lang = Lang::of_request(&req);
    let s = state
        .with_conn(move |conn| results::for_export(conn, &who.0, &slug, &view))
        .await?;
    Ok(export::download(
        write(&sheet(lang, &s))?,
        content_type,
        &format!("ket-qua-{}.{format}", s.contest.slug),
    ))
}

/// Registers the results' pages, files and API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organize/contests/{slug}/results", web::get().to(page))
        .route(
            "/organize/contests/{slug}/results.{format}",
            web::get().to(file),
        )
        .route(
            "/organize/contests/{slug}/results/{idea}/more",
            web::post().to(more),
        )
        .route(
            "/api/v1/contests/{slug}/results",
            web::get().to(api_results),
        )
        .route(
            "/api/v1/contests/{slug}/results/{idea}/more",
            web::post().to(api_more),
        );
}
