//! The versioned JSON API (`/api/v1`) and its OpenAPI document, generated from these handlers.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use super::error::{AppError, ErrorBody, method_not_allowed};
use super::i18n::Lang;
use super::pages::{load_page, load_search};
use super::reviewer_pages;
use super::view::rfc3339;
use super::{
    State, account_api, adopted_pages, adoption_pages, attachments, contest_pages, idea_api,
    import_pages, open_data, panel_pages, results_pages, review_pages, stats_pages, support_pages,
};
use crate::access;
use crate::db::{DbConn, catalog, ideas};
use crate::domain::listing::{ListQuery, ParamError, RawListParams, parse_idea_id};
use crate::domain::status::IdeaStatus;

pub(crate) const JSON: &str = "application/json";

/// A category, named in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    /// URL name, used as the `category` filter.
    pub slug: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
}

/// A unit of the organisation tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    /// URL name, used as the `unit` filter.
    pub slug: String,
    /// Name.
    pub name: String,
}

/// A contest named from an idea.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContestRef {
    /// URL name, used as the `contest` filter.
    pub slug: String,
    /// Title.
    pub title: String,
}

/// An idea in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaSummary {
    /// Id (UUID).
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Where the idea is in its life.
    pub status: IdeaStatus,
    /// Category.
    pub category: CategoryDto,
    /// Unit.
    pub unit: UnitDto,
    /// Contest.
    pub contest: ContestRef,
    /// When it was first submitted (RFC 3339, Vietnam time).
    pub listed_at: Option<String>,
}

/// One page of ideas.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaPage {
    /// The ideas: newest first, or best first when searching.
    pub items: Vec<IdeaSummary>,
    /// Pass as `cursor` to get the next page; `null` on the last page (and always when searching).
    pub next_cursor: Option<String>,
    /// Only when searching: how many public ideas match (counting stops past 200; see `total_exact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Only when searching: whether `total` counts every match; `false` means more than `total` match, and only
    /// the 200 newest of them are ranked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_exact: Option<bool>,
    /// Only when searching: pass as `page` to get the next page of results; `null` on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page: Option<Option<u32>>,
}

/// How a selected idea is being applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionDto {
    /// Name of the responsible unit.
    pub responsible_unit: String,
    /// Plan.
    pub plan: String,
    /// Progress, 0–100.
    pub progress: i32,
    /// Latest update.
    pub latest_update: Option<String>,
    /// Started (RFC 3339).
    pub started_at: String,
    /// Last updated (RFC 3339).
    pub updated_at: String,
    /// Planned start (`YYYY-MM-DD`).
    pub planned_start: Option<String>,
    /// Planned end (`YYYY-MM-DD`).
    pub planned_end: Option<String>,
    /// Ended (RFC 3339), when implemented or discontinued.
    pub ended_at: Option<String>,
    /// Why it was discontinued.
    pub end_reason: Option<String>,
    /// The milestone updates, latest first.
    pub milestones: Vec<super::adoption_pages::MilestoneDto>,
}

/// A public idea in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaDto {
    /// Id (UUID).
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// The current situation (thực trạng).
    pub situation: String,
    /// The proposed solution (giải pháp).
    pub solution: String,
    /// Expected impact (hiệu quả dự kiến).
    pub impact: String,
    /// Resources or cost.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// Where the idea is in its life.
    pub status: IdeaStatus,
    /// Category.
    pub category: CategoryDto,
    /// Unit.
    pub unit: UnitDto,
    /// Contest.
    pub contest: ContestRef,
    /// Authors' names, author first; `null` while the contest's blind review hides them.
    pub authors: Option<Vec<String>>,
    /// When it was first submitted (RFC 3339).
    pub listed_at: Option<String>,
    /// Application in practice, once adopted.
    pub adoption: Option<AdoptionDto>,
    /// Attached images and documents, oldest first.
    pub attachments: Vec<attachments::AttachmentDto>,
}

/// A contest.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContestDto {
    /// URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Rules.
    pub rules: String,
    /// Organizing unit.
    pub unit: UnitDto,
    /// Submissions open (RFC 3339).
    pub opens_at: String,
    /// Submissions close (RFC 3339).
    pub closes_at: String,
    /// Whether submissions are open now.
    pub is_open: bool,
    /// Ideas one member may submit.
    pub max_ideas_per_member: i32,
    /// Whether ideas are public once submitted.
    pub ideas_public: bool,
    /// Whether review is blind.
    pub blind_review: bool,
    /// The contest's categories.
    pub categories: Vec<CategoryDto>,
}

fn category_dto(c: &catalog::Category) -> CategoryDto {
    CategoryDto {
        slug: c.slug.clone(),
        name_vi: c.name_vi.clone(),
        name_en: c.name_en.clone(),
    }
}

fn json(value: &impl Serialize) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))
}

fn status_of(code: &str) -> Result<IdeaStatus, AppError> {
    IdeaStatus::parse(code)
        .ok_or_else(|| AppError::Internal(format!("unknown status in database: {code}")))
}

/// Public ideas, newest first, with filters and a cursor; with `q`, a search ranked by relevance.
///
/// A search ignores diacritics and case ("un tac giao thong" finds "ùn tắc giao thông", "d" finds "đ"); every word
/// must occur, the last one also as the beginning of a word. Results: ideas whose title holds every word first,
/// then by relevance, then newest; pages by number (`page`), and `total` counts the matches.
#[utoipa::path(
    get,
    path = "/api/v1/ideas",
    tag = "ideas",
    params(
        ("contest" = Option<String>, Query, description = "Contest slug"),
        ("category" = Option<String>, Query, description = "Category slug"),
        ("unit" = Option<String>, Query, description = "Unit slug; includes the units below it"),
        ("status" = Option<String>, Query, description = "Status code (a public one)",
            pattern = r"^\s*(submitted|eligible|in_review|reviewed|shortlisted|not_selected|selected|in_implementation|implemented|discontinued)?\s*$"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page (lists without `q`; \
            ignored when searching)", pattern = r"^\s*([0-9]{1,16}\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?\s*$"),
        ("limit" = Option<u32>, Query, description = "Ideas per page, 1–100 (default 20)", minimum = 1, maximum = 100),
        ("q" = Option<String>, Query, description = "Search words, at most 200 characters; accents and case are \
            ignored; a `q` without any letter or digit is no search", max_length = 200),
        ("page" = Option<u32>, Query, description = "Page of search results, 1–50 (default 1); only with `q`, \
            whose results are ranked and paged by number instead of `cursor`", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "A page of ideas", body = IdeaPage),
        (status = 400, description = "A parameter is not acceptable; `fields` names it", body = ErrorBody),
    )
)]
pub async fn list_ideas(
    req: HttpRequest,
    state: State,
    raw: web::Query<RawListParams>,
) -> Result<HttpResponse, AppError> {
    let q = ListQuery::parse(&raw, true)?;
    let lang = Lang::of_request(&req);
    state
        .cached(&req, lang, JSON, move |conn| {
            let (rows, next_cursor, searched) = match &q.search {
                None => {
                    let (rows, next) = load_page(conn, &q)?;
                    (rows, next, None)
                }
                Some(terms) => {
                    let found = load_search(conn, &q, terms)?;
                    (
                        found.rows,
                        None,
                        Some((found.total, found.total_exact, found.next_page)),
                    )
                }
            };
            let items = rows
                .into_iter()
                .map(|r| {
                    Ok(IdeaSummary {
                        status: status_of(&r.status)?,
                        id: r.id,
                        title: r.title,
                        summary: r.summary,
                        category: CategoryDto {
                            slug: r.category_slug,
                            name_vi: r.category_name_vi,
                            name_en: r.category_name_en,
                        },
                        unit: UnitDto {
                            slug: r.unit_slug,
                            name: r.unit_name,
                        },
                        contest: ContestRef {
                            slug: r.contest_slug,
                            title: r.contest_title,
                        },
                        listed_at: r.listed_at.map(rfc3339),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            json(&IdeaPage {
                items,
                next_cursor,
                total: searched.map(|s| s.0),
                total_exact: searched.map(|s| s.1),
                next_page: searched.map(|s| s.2),
            })
        })
        .await
}

/// One public idea.
#[utoipa::path(
    get,
    path = "/api/v1/ideas/{id}",
    tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses(
        (status = 200, description = "The idea", body = IdeaDto),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 404, description = "No public idea has this id", body = ErrorBody),
    )
)]
pub async fn get_idea(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_idea_id(&path).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))?;
    let lang = Lang::of_request(&req);
    state
        .cached(&req, lang, JSON, move |conn| {
            let d = ideas::public_detail(conn, &id)?.ok_or(AppError::NotFound("idea"))?;
            let status = status_of(&d.idea.status)?;
            let visible = access::public_author_names_visible(d.contest.blind_review, status);
            let mut files = crate::app::attachments::of_idea(conn, &d.idea.id)?;
            let mut d = d;
            crate::app::reviews::for_public(conn, &mut d.idea, &mut files, visible)?;
            let authors = visible.then_some(d.author_names);
            let files = files.iter().map(attachments::attachment_dto).collect();
            let idea_id = d.idea.id.clone();
            let adoption = match crate::db::adoption::adoption_of(conn, &idea_id)? {
                Some(a) => Some(AdoptionDto {
                    responsible_unit: a.responsible_unit,
                    plan: a.plan,
                    progress: a.progress,
                    latest_update: a.latest_update,
                    started_at: rfc3339(a.started_at),
                    updated_at: rfc3339(a.updated_at),
                    planned_start: a.planned_start.map(|x| x.format("%Y-%m-%d").to_string()),
                    planned_end: a.planned_end.map(|x| x.format("%Y-%m-%d").to_string()),
                    ended_at: a.ended_at.map(rfc3339),
                    end_reason: a.end_reason,
                    milestones: super::adoption_pages::timeline_dtos(
                        crate::db::adoption::timeline(conn, &idea_id)?,
                    ),
                }),
                None => None,
            };
            json(&IdeaDto {
                id: d.idea.id,
                title: d.idea.title,
                summary: d.idea.summary,
                situation: d.idea.situation,
                solution: d.idea.solution,
                impact: d.idea.impact,
                resources: d.idea.resources,
                applies_where: d.idea.applies_where,
                status,
                category: category_dto(&d.category),
                unit: UnitDto {
                    slug: d.unit.slug,
                    name: d.unit.name,
                },
                contest: ContestRef {
                    slug: d.contest.slug,
                    title: d.contest.title,
                },
                authors,
                listed_at: d.idea.listed_at.map(rfc3339),
                adoption,
                attachments: files,
            })
        })
        .await
}

pub(crate) fn contest_dto(conn: &mut DbConn, c: catalog::Contest) -> Result<ContestDto, AppError> {
    let unit = catalog::unit_by_id(conn, &c.unit_id)?
        .ok_or(AppError::Internal("contest without unit".into()))?;
    let categories = catalog::contest_categories_of(conn, &c.id)?
        .iter()
        .map(category_dto)
        .collect();
    Ok(ContestDto {
        is_open: c.is_open_at(crate::db::now()),
        slug: c.slug,
        title: c.title,
        description: c.description,
        rules: c.rules,
        unit: UnitDto {
            slug: unit.slug,
            name: unit.name,
        },
        opens_at: rfc3339(c.opens_at),
        closes_at: rfc3339(c.closes_at),
        max_ideas_per_member: c.max_ideas_per_member,
        ideas_public: c.ideas_public,
        blind_review: c.blind_review,
        categories,
    })
}

/// Every contest, latest closing first.
#[utoipa::path(
    get,
    path = "/api/v1/contests",
    tag = "contests",
    responses((status = 200, description = "Contests", body = Vec<ContestDto>))
)]
pub async fn list_contests(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    state
        .cached(&req, lang, JSON, |conn| {
            let all = catalog::all_contests(conn)?
                .into_iter()
                .map(|c| contest_dto(conn, c))
                .collect::<Result<Vec<_>, _>>()?;
            json(&all)
        })
        .await
}

/// One contest.
#[utoipa::path(
    get,
    path = "/api/v1/contests/{slug}",
    tag = "contests",
    params(("slug" = String, Path, description = "Contest slug")),
    responses(
        (status = 200, description = "The contest", body = ContestDto),
        (status = 404, description = "No contest has this slug", body = ErrorBody),
    )
)]
pub async fn get_contest(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let lang = Lang::of_request(&req);
    state
        .cached(&req, lang, JSON, move |conn| {
            let c = catalog::contest_by_slug(conn, &slug)?.ok_or(AppError::NotFound("contest"))?;
            json(&contest_dto(conn, c)?)
        })
        .await
}

/// Every category.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "contests",
    responses((status = 200, description = "Categories", body = Vec<CategoryDto>))
)]
pub async fn list_categories(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    state
        .cached(&req, lang, JSON, |conn| {
            let all: Vec<CategoryDto> = catalog::all_categories(conn)?
                .iter()
                .map(category_dto)
                .collect();
            json(&all)
        })
        .await
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sáng tạo trẻ API",
        version = "1",
        description = "Public ideas, contests and categories of the Sáng tạo trẻ portal. Errors are \
            `{\"error\": {\"code\", \"message\", \"fields\"}}` with a stable `code`."
    ),
    paths(
        list_ideas, get_idea, list_contests, get_contest, list_categories,
        account_api::register, account_api::signin, account_api::signout, account_api::verify, account_api::resend,
        account_api::forgot, account_api::reset, account_api::me, account_api::change_password,
        account_api::signout_all, account_api::tokens, account_api::create_token, account_api::revoke_token,
        account_api::admin_users, account_api::admin_update_user, account_api::admin_mail,
        idea_api::create, idea_api::update, idea_api::submit, idea_api::withdraw, idea_api::mine, idea_api::mine_one,
        idea_api::add_coauthor, idea_api::remove_coauthor, idea_api::similar, contest_pages::api_create,
        contest_pages::api_update, contest_pages::api_duplicates,
        attachments::api_upload, attachments::api_delete, import_pages::api_import,
        review_pages::api_queue, review_pages::api_screen, review_pages::api_log,
        review_pages::api_rubric, review_pages::api_save_rubric, review_pages::api_new_round,
        review_pages::api_decisions, review_pages::api_record_decision, review_pages::api_publish,
        review_pages::api_assignments, review_pages::api_propose, review_pages::api_assign,
        review_pages::api_unassign, review_pages::api_confirm,
        panel_pages::api_panel, panel_pages::api_invite, panel_pages::api_set_cap, panel_pages::api_remove,
        panel_pages::api_accept, panel_pages::api_decline, panel_pages::api_join, panel_pages::api_my_panels,
        panel_pages::api_conflicts, panel_pages::api_declare, panel_pages::api_recuse,
        review_pages::api_close_round, reviewer_pages::api_dashboard, reviewer_pages::api_assignment,
        reviewer_pages::api_save, reviewer_pages::api_accept, reviewer_pages::api_decline,
        results_pages::api_results, results_pages::api_more,
        adopted_pages::api_list, adoption_pages::api_plan, adoption_pages::api_milestone,
        adoption_pages::api_finish, support_pages::api_get, support_pages::api_support,
        support_pages::api_unsupport, support_pages::api_vote, support_pages::api_unvote,
        support_pages::api_set_round,
        stats_pages::api,
        open_data::ideas_csv, open_data::ideas_json, open_data::adopted_csv, open_data::adopted_json,
    ),
    components(schemas(ErrorBody, IdeaPage, IdeaDto, ContestDto, CategoryDto, idea_api::SimilarPage)),
    modifiers(&BearerAuth),
    tags(
        (name = "ideas", description = "Public ideas"),
        (name = "contests", description = "Contests and categories"),
        (name = "accounts", description = "Registration, sign-in, the signed-in person and their access tokens. \
            Unsafe requests made with the session cookie must send `X-CSRF-Token`; bearer-token requests need not."),
        (name = "stats", description = "Public statistics: ideas by category, unit and month, and the funnel"),
        (name = "admin", description = "Administration"),
        (name = "open data", description = "Every public idea and every adopted idea as files, public fields only, \
            under Creative Commons Attribution 4.0 (fields documented at /open-data). Streamed, for any size."),
        (name = "review", description = "The review workflow (organizers and reviewers): screening, the rubric, the \
            review panel and its invitations, conflicts of interest and recusal, results, decisions and the audit log"),
        (name = "adoption", description = "Tracking how selected ideas are applied (organizers): the plan, milestone \
            updates and the end"),
    )
)]
pub struct ApiDoc;

/// Declares personal access tokens (`Authorization: Bearer`) in the document.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        document_common_errors(openapi);
    }
}

/// Answers any operation can give, added to each once here rather than in every handler's attribute: `400` (a
/// malformed parameter or body), `503` (the database is busy or unreachable), `401` (a bearer token that is unknown
/// or revoked, refused everywhere), and for operations that need a signed-in caller `403`. All in the one error
/// format.
fn document_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for item in openapi.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut add = |code: &str, what: &str| {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| error(what));
            };
            add(
                "400",
                "A parameter or the body could not be read (`bad_parameter`, `bad_request`, `invalid`)",
            );
            add(
                "503",
                "The database is busy or unreachable; retry (`unavailable`)",
            );
            // A bearer token that is unknown or revoked is refused on any operation, public ones too.
            add(
                "401",
                "Not signed in, or the bearer token is unknown or revoked",
            );
            if secured {
                add("403", "Signed in without the right");
            }
            // A body with the document's shape can still name nothing that exists or break a rule tying its
            // fields together (`validation_failed` with the field's code: `unknown_unit`, `end_before_start`, …).
            if op.request_body.is_some() {
                add(
                    "422",
                    "The body has the right shape but cannot be applied (`validation_failed`; `fields` names why)",
                );
                add(
                    "409",
                    "The body conflicts with what is stored: a slug taken, a cap below the load, a change to one's \
                     own account, or the thing's state (the code says which)",
                );
            }
            // A well-formed slug or id that names nothing, in the path or a filter.
            add("404", "Nothing has this slug or id (`not_found`)");
            // A NUL character in any text, the query's included: well formed by this document, which cannot forbid
            // it in every string, and refused everywhere (`web::text_guard`).
            add(
                "422",
                "The request has the right shape but cannot be applied: a text holds a NUL character \
                 (`nul_character`), or the body breaks a rule (`validation_failed`; `fields` names why)",
            );
        }
    }
}

fn resource(
    path: &str,
    handler: impl actix_web::Handler<(HttpRequest, State), Output = Result<HttpResponse, AppError>>,
) -> actix_web::Resource {
    web::resource(path)
        .route(web::get().to(handler))
        .default_service(web::to(method_not_allowed))
}

/// Registers the API routes, the OpenAPI document and the docs page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        // Before /api/v1/ideas/{id}, which would take "similar" for an id.
        web::resource("/api/v1/ideas/similar")
            .route(web::get().to(idea_api::similar))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/ideas")
            .route(web::get().to(list_ideas))
            .route(web::post().to(idea_api::create))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/ideas/{id}")
            .route(web::get().to(get_idea))
            .route(web::patch().to(idea_api::update))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/contests")
            .route(web::get().to(list_contests))
            .route(web::post().to(contest_pages::api_create))
            .default_service(web::to(method_not_allowed)),
    )
    .route(
        "/api/v1/contests",
        web::post().to(contest_pages::api_create),
    )
    .service(
        web::resource("/api/v1/contests/{slug}")
            .route(web::get().to(get_contest))
            .route(web::patch().to(contest_pages::api_update))
            .default_service(web::to(method_not_allowed)),
    )
    .route(
        "/api/v1/contests/{slug}/imports",
        web::post().to(import_pages::api_import),
    )
    .route(
        "/api/v1/contests/{slug}/duplicates",
        web::get().to(contest_pages::api_duplicates),
    )
    .service(
        web::resource("/api/v1/contests/{slug}/rubric")
            .route(web::get().to(review_pages::api_rubric))
            .route(web::put().to(review_pages::api_save_rubric))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/contests/{slug}/assignments")
            .route(web::get().to(review_pages::api_assignments))
            .route(web::post().to(review_pages::api_assign))
            .default_service(web::to(method_not_allowed)),
    )
    .route(
        "/api/v1/contests/{slug}/assignments/propose",
        web::post().to(review_pages::api_propose),
    )
    .route(
        "/api/v1/contests/{slug}/assignments/confirm",
        web::post().to(review_pages::api_confirm),
    )
    .route(
        "/api/v1/contests/{slug}/assignments/{id}",
        web::delete().to(review_pages::api_unassign),
    )
    .service(
        web::resource("/api/v1/contests/{slug}/decisions")
            .route(web::get().to(review_pages::api_decisions))
            .route(web::post().to(review_pages::api_record_decision))
            .default_service(web::to(method_not_allowed)),
    )
    .route(
        "/api/v1/contests/{slug}/decisions/publish",
        web::post().to(review_pages::api_publish),
    )
    .route(
        "/api/v1/contests/{slug}/rubric/rounds",
        web::post().to(review_pages::api_new_round),
    )
    .route(
        "/api/v1/contests/{slug}/audit",
        web::get().to(review_pages::api_log),
    )
    .service(
        web::resource("/api/v1/contests/{slug}/screening")
            .route(web::get().to(review_pages::api_queue))
            .route(web::post().to(review_pages::api_screen))
            .default_service(web::to(method_not_allowed)),
    )
    .configure(panel_api_routes)
    .configure(reviewer_api_routes)
    .route(
        "/api/v1/contests/{slug}/rubric/close",
        web::post().to(review_pages::api_close_round),
    )
    .service(resource("/api/v1/categories", list_categories))
    .route(
        "/api/v1/ideas/{id}/submit",
        web::post().to(idea_api::submit),
    )
    .route(
        "/api/v1/ideas/{id}/withdraw",
        web::post().to(idea_api::withdraw),
    )
    .route(
        "/api/v1/ideas/{id}/attachments",
        web::post().to(attachments::api_upload),
    )
    .route(
        "/api/v1/ideas/{id}/attachments/{att}",
        web::delete().to(attachments::api_delete),
    )
    .route(
        "/api/v1/ideas/{id}/coauthors",
        web::post().to(idea_api::add_coauthor),
    )
    .route(
        "/api/v1/ideas/{id}/coauthors/{user}",
        web::delete().to(idea_api::remove_coauthor),
    )
    .route("/api/v1/me/ideas", web::get().to(idea_api::mine))
    .route("/api/v1/me/ideas/{id}", web::get().to(idea_api::mine_one))
    .route(
        "/api/v1/auth/register",
        web::post().to(account_api::register),
    )
    .route("/api/v1/auth/signin", web::post().to(account_api::signin))
    .route("/api/v1/auth/signout", web::post().to(account_api::signout))
    .route("/api/v1/auth/verify", web::post().to(account_api::verify))
    .route(
        "/api/v1/auth/verify/resend",
        web::post().to(account_api::resend),
    )
    .route(
        "/api/v1/auth/password/forgot",
        web::post().to(account_api::forgot),
    )
    .route(
        "/api/v1/auth/password/reset",
        web::post().to(account_api::reset),
    )
    .route("/api/v1/me", web::get().to(account_api::me))
    .route(
        "/api/v1/me/password",
        web::post().to(account_api::change_password),
    )
    .route(
        "/api/v1/me/signout-all",
        web::post().to(account_api::signout_all),
    )
    .service(
        web::resource("/api/v1/me/tokens")
            .route(web::get().to(account_api::tokens))
            .route(web::post().to(account_api::create_token)),
    )
    .route(
        "/api/v1/me/tokens/{id}",
        web::delete().to(account_api::revoke_token),
    )
    .route(
        "/api/v1/admin/users",
        web::get().to(account_api::admin_users),
    )
    .route(
        "/api/v1/admin/users/{id}",
        web::patch().to(account_api::admin_update_user),
    )
    .route("/api/v1/admin/mail", web::get().to(account_api::admin_mail))
    .route(
        "/api/docs",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/api/docs/"))
                .finish()
        }),
    )
    .route("/api/openapi.json", web::get().to(openapi_json))
    // The interactive documentation reads the document from that address; it does not keep a copy of its own.
    .service(
        SwaggerUi::new("/api/docs/{_:.*}")
            .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
    );
}

/// The OpenAPI document, serialized once for the whole process: kept as a value it is several megabytes, and every
/// HTTP worker used to hold its own.
static OPENAPI_JSON: std::sync::LazyLock<web::Bytes> = std::sync::LazyLock::new(|| {
    serde_json::to_vec(&ApiDoc::openapi())
        .map(web::Bytes::from)
        .unwrap_or_default()
});

/// `GET /api/openapi.json`.
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(JSON)
        .body(OPENAPI_JSON.clone())
}

/// The review panel's API: the panel, invitations, conflicts of interest and recusal.
fn panel_api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/contests/{slug}/panel")
            .route(web::get().to(panel_pages::api_panel))
            .route(web::post().to(panel_pages::api_invite))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/contests/{slug}/panel/{user}")
            .route(web::patch().to(panel_pages::api_set_cap))
            .route(web::delete().to(panel_pages::api_remove))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/contests/{slug}/conflicts")
            .route(web::get().to(panel_pages::api_conflicts))
            .route(web::post().to(panel_pages::api_declare))
            .default_service(web::to(method_not_allowed)),
    )
    .route(
        "/api/v1/assignments/{id}/recuse",
        web::post().to(panel_pages::api_recuse),
    )
    .route(
        "/api/v1/invitations/accept",
        web::post().to(panel_pages::api_accept),
    )
    .route(
        "/api/v1/invitations/decline",
        web::post().to(panel_pages::api_decline),
    )
    .route(
        "/api/v1/invitations/join",
        web::post().to(panel_pages::api_join),
    )
    .route(
        "/api/v1/me/panels",
        web::get().to(panel_pages::api_my_panels),
    );
}

/// The reviewer's API: their assignments, an assignment with its idea and rubric, the review, accept and decline.
fn reviewer_api_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/me/assignments",
        web::get().to(reviewer_pages::api_dashboard),
    )
    .route(
        "/api/v1/assignments/{id}",
        web::get().to(reviewer_pages::api_assignment),
    )
    .route(
        "/api/v1/assignments/{id}/review",
        web::put().to(reviewer_pages::api_save),
    )
    .route(
        "/api/v1/assignments/{id}/accept",
        web::post().to(reviewer_pages::api_accept),
    )
    .route(
        "/api/v1/assignments/{id}/decline",
        web::post().to(reviewer_pages::api_decline),
    );
}
