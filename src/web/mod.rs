//! The HTTP side: the route table, shared state, middleware, and the server.

pub mod account_api;
pub mod account_pages;
pub mod adopted_pages;
pub mod adoption_pages;
pub mod api;
pub mod assignment_pages;
pub mod attachments;
pub mod auth;
pub mod cache;
pub mod card;
pub mod certificate;
pub mod charts;
pub mod chunked;
pub mod contest_pages;
pub mod error;
pub mod export;
pub mod forms;
pub mod i18n;
pub mod idea_api;
pub mod idea_pages;
pub mod import_pages;
pub mod metrics;
pub mod open_data;
pub mod pages;
pub mod panel_pages;
pub mod results_pages;
pub mod review_pages;
pub mod reviewer_pages;
pub mod sharing;
pub mod stats_pages;
pub mod support_pages;
pub mod syndication;
pub mod text_guard;
pub mod validation;
pub mod view;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

use crate::config::Config;
use crate::db::writer::Committer;
use crate::db::{DbConn, Pool};
use cache::PageCache;
use error::AppError;
use i18n::Lang;

/// What every handler can reach.
pub struct AppState {
    /// Database connections.
    pub pool: Pool,
    /// Settings.
    pub config: Config,
    /// Rendered anonymous pages.
    pub cache: PageCache,
    /// Runs the write transactions that are batched on SQLite (submissions).
    pub writer: Arc<Committer>,
    /// Share cards already drawn.
    pub cards: sharing::CardCache,
    /// Request counts and latencies for `/metrics`.
    pub metrics: metrics::Metrics,
}

/// Shared state as handlers receive it.
pub type State = web::Data<AppState>;

impl AppState {
    /// State over an opened pool.
    pub fn new(pool: Pool, writer: Committer, config: Config) -> Result<Self, prometheus::Error> {
        let cache = PageCache::new(config.page_cache_ttl);
        Ok(AppState {
            pool,
            config,
            cache,
            writer: Arc::new(writer),
            cards: sharing::CardCache::default(),
            metrics: metrics::Metrics::new()?,
        })
    }

    /// Runs `f` with a pooled connection on the blocking pool (database calls never run on the HTTP workers).
    pub async fn with_conn<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` on the blocking pool with the pool and the committer, for work that takes and returns connections
    /// itself (a write that waits on the committer holds none).
    pub async fn with_writer<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Pool, &Committer) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let writer = self.writer.clone();
        web::block(move || f(&pool, &writer)).await?
    }

    /// Serves an anonymous GET from the page cache, or renders it with `render` (on the blocking pool) and keeps it.
    pub async fn cached<F>(
        &self,
        req: &HttpRequest,
        lang: Lang,
        content_type: &'static str,
        render: F,
    ) -> Result<HttpResponse, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<String, AppError> + Send + 'static,
    {
        self.cached_as(req, lang, content_type, false, render).await
    }

    /// [`AppState::cached`] for counts over every idea (statistics): the page outlives writes, for ten times the
    /// page cache's time-to-live (see [`cache`]).
    pub async fn cached_counts<F>(
        &self,
        req: &HttpRequest,
        lang: Lang,
        content_type: &'static str,
        render: F,
    ) -> Result<HttpResponse, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<String, AppError> + Send + 'static,
    {
        self.cached_as(req, lang, content_type, true, render).await
    }

    async fn cached_as<F>(
        &self,
        req: &HttpRequest,
        lang: Lang,
        content_type: &'static str,
        lasting: bool,
        render: F,
    ) -> Result<HttpResponse, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<String, AppError> + Send + 'static,
    {
        let key = self.cache.key(req, lang);
        if let Some(entry) = key.as_deref().and_then(|k| self.cache.get(k)) {
            return Ok(cache::respond(req, &entry));
        }
        let version = self.cache.version();
        let body = self.with_conn(render).await?;
        Ok(match key {
            Some(k) => cache::respond(
                req,
                &self.cache.put(k, version, lasting, content_type, body),
            ),
            None => HttpResponse::Ok().content_type(content_type).body(body),
        })
    }
}

/// Registers every route. Pages and API share the state; errors go through `error::render_errors`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics::page))
        .route("/", web::get().to(pages::home))
        .route("/ideas", web::get().to(pages::ideas))
        .route("/adopted", web::get().to(adopted_pages::page))
        .route(
            "/ideas/{id}/support",
            web::post().to(support_pages::support),
        )
        .route(
            "/ideas/{id}/unsupport",
            web::post().to(support_pages::unsupport),
        )
        .route("/ideas/{id}/vote", web::post().to(support_pages::vote))
        .route("/ideas/{id}/unvote", web::post().to(support_pages::unvote))
        .service(
            web::resource("/api/v1/ideas/{id}/support")
                .route(web::get().to(support_pages::api_get))
                .route(web::put().to(support_pages::api_support))
                .route(web::delete().to(support_pages::api_unsupport)),
        )
        .service(
            web::resource("/api/v1/ideas/{id}/vote")
                .route(web::put().to(support_pages::api_vote))
                .route(web::delete().to(support_pages::api_unvote)),
        )
        .service(
            web::resource("/organize/contests/{slug}/peoples-choice")
                .route(web::get().to(support_pages::round_page))
                .route(web::post().to(support_pages::round_submit)),
        )
        .route(
            "/api/v1/contests/{slug}/vote-round",
            web::put().to(support_pages::api_set_round),
        )
        .route("/api/v1/adopted", web::get().to(adopted_pages::api_list))
        .route(
            "/milestone-photos/{id}",
            web::get().to(adoption_pages::photo),
        )
        .route(
            "/milestone-photos/{id}/preview",
            web::get().to(adoption_pages::photo_preview),
        )
        .route(
            "/organize/contests/{slug}/adoption",
            web::get().to(adoption_pages::list_page),
        )
        .service(
            web::resource("/organize/contests/{slug}/ideas/{id}/adoption")
                .route(web::get().to(adoption_pages::idea_page))
                .route(web::post().to(adoption_pages::plan_submit)),
        )
        .route(
            "/organize/contests/{slug}/ideas/{id}/adoption/milestones",
            web::post().to(adoption_pages::milestone_submit),
        )
        .route(
            "/organize/contests/{slug}/ideas/{id}/adoption/finish",
            web::post().to(adoption_pages::finish_submit),
        )
        .route(
            "/api/v1/contests/{slug}/ideas/{id}/adoption",
            web::put().to(adoption_pages::api_plan),
        )
        .service(
            web::resource("/api/v1/contests/{slug}/ideas/{id}/milestones")
                .route(
                    web::post()
                        .guard(actix_web::guard::fn_guard(adoption_pages::is_multipart))
                        .to(adoption_pages::api_milestone_form),
                )
                .route(web::post().to(adoption_pages::api_milestone)),
        )
        .route(
            "/api/v1/contests/{slug}/ideas/{id}/adoption/finish",
            web::post().to(adoption_pages::api_finish),
        )
        // Before /ideas/{id}, which would take "new" for an id.
        .service(
            web::resource("/ideas/new")
                .route(web::get().to(idea_pages::new_form))
                .route(web::post().to(idea_pages::new_submit)),
        )
        .route("/me/ideas", web::get().to(idea_pages::my_ideas))
        .route("/me/ideas/{id}", web::get().to(idea_pages::my_idea))
        .route(
            "/me/ideas/{id}/certificate",
            web::get().to(certificate::page),
        )
        .service(
            web::resource("/me/ideas/{id}/edit")
                .route(web::get().to(idea_pages::edit_form))
                .route(web::post().to(idea_pages::edit_submit)),
        )
        .route("/me/ideas/{id}/submit", web::post().to(idea_pages::submit))
        .route(
            "/me/ideas/{id}/withdraw",
            web::post().to(idea_pages::withdraw),
        )
        .route(
            "/me/ideas/{id}/attachments",
            web::post().to(attachments::page_upload),
        )
        .route(
            "/me/ideas/{id}/attachments/{att}/delete",
            web::post().to(attachments::page_delete),
        )
        .route("/attachments/{id}", web::get().to(attachments::file))
        .route(
            "/attachments/{id}/preview",
            web::get().to(attachments::preview),
        )
        .route(
            "/me/ideas/{id}/coauthors",
            web::post().to(idea_pages::add_coauthor),
        )
        .route(
            "/me/ideas/{id}/coauthors/{user}/remove",
            web::post().to(idea_pages::remove_coauthor),
        )
        .route("/ideas/{id}", web::get().to(pages::idea))
        .route("/contests/{slug}", web::get().to(pages::contest))
        .route("/organize/contests", web::get().to(contest_pages::list))
        .service(
            web::resource("/organize/contests/new")
                .route(web::get().to(contest_pages::new_form))
                .route(web::post().to(contest_pages::create)),
        )
        .service(
            web::resource("/organize/contests/{slug}/edit")
                .route(web::get().to(contest_pages::edit_form))
                .route(web::post().to(contest_pages::update)),
        )
        .route(
            "/organize/contests/{slug}/duplicates",
            web::get().to(contest_pages::duplicates),
        )
        .service(
            web::resource("/organize/contests/{slug}/decisions")
                .route(web::get().to(review_pages::decisions_page))
                .route(web::post().to(review_pages::decisions_submit)),
        )
        .service(
            web::resource("/organize/contests/{slug}/rubric")
                .route(web::get().to(review_pages::rubric_page))
                .route(web::post().to(review_pages::rubric_submit)),
        )
        .route(
            "/organize/contests/{slug}/audit",
            web::get().to(review_pages::log_page),
        )
        .service(
            web::resource("/organize/contests/{slug}/screening")
                .route(web::get().to(review_pages::page))
                .route(web::post().to(review_pages::submit)),
        )
        .service(
            web::resource("/organize/contests/{slug}/import")
                .route(web::get().to(import_pages::upload_form))
                .route(web::post().to(import_pages::upload)),
        )
        .service(
            web::resource("/organize/contests/{slug}/imports/{id}")
                .route(web::get().to(import_pages::show))
                .route(web::post().to(import_pages::start)),
        )
        .service(
            web::resource("/register")
                .route(web::get().to(account_pages::register_form))
                .route(web::post().to(account_pages::register_submit)),
        )
        .service(
            web::resource("/signin")
                .route(web::get().to(account_pages::signin_form))
                .route(web::post().to(account_pages::signin_submit)),
        )
        .route("/signout", web::post().to(account_pages::signout))
        .route("/verify", web::get().to(account_pages::verify))
        .route("/verify/resend", web::post().to(account_pages::resend))
        .service(
            web::resource("/password/forgot")
                .route(web::get().to(account_pages::forgot_form))
                .route(web::post().to(account_pages::forgot_submit)),
        )
        .service(
            web::resource("/password/reset")
                .route(web::get().to(account_pages::reset_form))
                .route(web::post().to(account_pages::reset_submit)),
        )
        .route("/profile", web::get().to(account_pages::profile))
        .route(
            "/profile/password",
            web::post().to(account_pages::change_password),
        )
        .route(
            "/profile/signout-all",
            web::post().to(account_pages::signout_all),
        )
        .route(
            "/profile/tokens",
            web::post().to(account_pages::create_token),
        )
        .route(
            "/profile/tokens/{id}/revoke",
            web::post().to(account_pages::revoke_token),
        )
        .route("/admin/users", web::get().to(account_pages::admin_users))
        .route(
            "/admin/users/{id}",
            web::post().to(account_pages::admin_update_user),
        )
        .route("/admin/mail", web::get().to(account_pages::admin_mail))
        .configure(panel_routes)
        .configure(published_routes)
        .configure(results_pages::routes)
        .configure(stats_pages::routes)
        .configure(api::routes);
}

/// The review panel's pages: the organizers' panel, the invitation link, assignment and conflicts of interest, and
/// the reviewer's side (dashboard, review form, accept, decline, recuse, attachments).
fn panel_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/organize/contests/{slug}/panel")
            .route(web::get().to(panel_pages::page))
            .route(web::post().to(panel_pages::invite)),
    )
    .route(
        "/organize/contests/{slug}/panel/{user}/cap",
        web::post().to(panel_pages::set_cap),
    )
    .route(
        "/organize/contests/{slug}/panel/{user}/remove",
        web::post().to(panel_pages::remove),
    )
    .route("/invitation", web::get().to(panel_pages::invitation))
    .route("/invitation/accept", web::post().to(panel_pages::accept))
    .route("/invitation/decline", web::post().to(panel_pages::decline))
    .route("/invitation/join", web::post().to(panel_pages::join))
    .route("/review", web::get().to(reviewer_pages::dashboard))
    .service(
        web::resource("/review/assignments/{id}")
            .route(web::get().to(reviewer_pages::form_page))
            .route(web::post().to(reviewer_pages::form_submit)),
    )
    .route(
        "/review/assignments/{id}/accept",
        web::post().to(reviewer_pages::accept),
    )
    .route(
        "/review/assignments/{id}/decline",
        web::post().to(reviewer_pages::decline),
    )
    .route(
        "/review/assignments/{id}/recuse",
        web::post().to(reviewer_pages::recuse),
    )
    .route(
        "/review/assignments/{id}/attachments/{att}",
        web::get().to(reviewer_pages::attachment),
    )
    .service(
        web::resource("/organize/contests/{slug}/assignments")
            .route(web::get().to(assignment_pages::page))
            .route(web::post().to(assignment_pages::submit)),
    )
    .route(
        "/organize/contests/{slug}/assignments/{id}/remove",
        web::post().to(assignment_pages::remove),
    )
    .route(
        "/organize/contests/{slug}/conflicts",
        web::get().to(assignment_pages::conflicts_page),
    );
}

/// What the portal publishes for crawlers, feed readers, link previews and reuse: robots.txt, the sitemap, the
/// Atom feed of adopted ideas, share cards and the open-data files.
fn published_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/robots.txt", web::get().to(syndication::robots))
        .route("/sitemap.xml", web::get().to(syndication::sitemap))
        .route(
            "/sitemaps/pages.xml",
            web::get().to(syndication::sitemap_pages),
        )
        .route(
            "/sitemaps/ideas.xml",
            web::get().to(syndication::sitemap_ideas),
        )
        .route("/adopted.atom", web::get().to(syndication::adopted_feed))
        .route("/card.png", web::get().to(sharing::site_card))
        .route("/ideas/{id}/card.png", web::get().to(sharing::idea_card))
        .route(
            "/contests/{slug}/card.png",
            web::get().to(sharing::contest_card),
        )
        .route("/open-data", web::get().to(open_data::page))
        .route("/open-data/ideas.csv", web::get().to(open_data::ideas_csv))
        .route(
            "/open-data/ideas.json",
            web::get().to(open_data::ideas_json),
        )
        .route(
            "/open-data/adopted.csv",
            web::get().to(open_data::adopted_csv),
        )
        .route(
            "/open-data/adopted.json",
            web::get().to(open_data::adopted_json),
        );
}

/// Builds the actix application for `state` (used by `serve` and by the tests).
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
        )
        .app_data(
            web::JsonConfig::default()
                .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
        )
        .configure(routes)
        .default_service(web::to(error::not_found))
        .wrap(from_fn(text_guard::refuse_nul))
        .wrap(from_fn(auth::authenticate))
        .wrap(from_fn(error::render_errors))
        .wrap(from_fn(remember_lang))
        .wrap(from_fn(request_log))
        .wrap(from_fn(metrics::record))
}

/// Starts the HTTP server on the configured address. It stops gracefully on SIGINT/SIGTERM, finishing requests in
/// flight for up to ten seconds.
pub fn serve(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
) -> std::io::Result<Server> {
    let workers = state.config.workers;
    // Database work runs on each worker's blocking pool (`with_conn`, `with_writer`). More threads in all than
    // database connections only wait for one, and each thread costs memory (its stack, its allocator cache, and
    // what the connections' caches scatter over it): actix's default of 512 shared by the workers let a burst of
    // requests add a hundred megabytes.
    let blocking = (state.config.db_pool_size as usize)
        .div_ceil(workers.max(1))
        .max(2);
    let server = HttpServer::new(move || app(state.clone()))
        .workers(workers)
        .worker_max_blocking_threads(blocking)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
    Ok(server)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok")
}

async fn readyz(state: State) -> Result<HttpResponse, AppError> {
    let engine = state.config.database.engine();
    state
        .with_conn(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1").map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "status": "ready", "database": engine })))
}

/// Middleware: a `?lang=` choice is remembered in a cookie for a year.
async fn remember_lang(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let chosen = i18n::query_lang(req.query_string());
    let mut res = next.call(req).await?;
    if let Some(lang) = chosen {
        let cookie = Cookie::build(i18n::LANG_COOKIE, lang.code())
            .path("/")
            .max_age(actix_web::cookie::time::Duration::days(365))
            .same_site(SameSite::Lax)
            .http_only(true)
            .finish();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(0);

/// Middleware: one structured log line per request, with a request id that is also sent back as `x-request-id`.
async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = format!(
        "{:x}-{:x}",
        std::process::id(),
        REQUEST_SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let method = req.method().clone();
    let path = req.path().to_string();
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, %path, status, micros, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, micros, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}
