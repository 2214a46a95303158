//! Operations: `/metrics` in the Prometheus text format. Every request is counted by route pattern, method and
//! status and timed by route pattern and method (the middleware [`record`]); the outbox depth and the database pool
//! are read when the page is scraped (the handler [`page`]).
//!
//! Labels never carry the raw path: a request is labelled with the actix pattern it matched (`/ideas/{id}`), or
//! `unmatched`, so the number of series stays bounded whatever addresses clients make up. Methods outside the
//! standard set are labelled `OTHER` for the same reason.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use super::AppState;
use super::error::AppError;

/// The label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets, in seconds: 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metrics of one running application (its own registry, so servers in one process do not share counts).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    outbox: IntGaugeVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "sangtao_http_requests_total",
                "HTTP requests answered, by route pattern, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "sangtao_http_request_duration_seconds",
                "Time until the response head was ready, by route pattern and method.",
            )
            .buckets(BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        let outbox = IntGaugeVec::new(
            Opts::new(
                "sangtao_outbox_emails",
                "Emails in the outbox waiting to be sent (queued) or given up (failed), read at scrape time.",
            ),
            &["state"],
        )?;
        let pool_connections = IntGauge::new(
            "sangtao_db_pool_connections",
            "Database connections open in the pool (in use and idle), read at scrape time.",
        )?;
        let pool_idle = IntGauge::new(
            "sangtao_db_pool_idle_connections",
            "Open database connections not in use, read at scrape time.",
        )?;
        let pool_max = IntGauge::new(
            "sangtao_db_pool_max_connections",
            "The most database connections the pool opens (SANGTAO_DB_POOL).",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            outbox,
            pool_connections,
            pool_idle,
            pool_max,
        })
    }

    /// Counts and times one answered request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// The exposition text of everything registered.
    fn render(&self) -> Result<String, AppError> {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(|e| AppError::Internal(format!("metrics: {e}")))?;
        String::from_utf8(out).map_err(|e| AppError::Internal(format!("metrics: {e}")))
    }
}

/// The method as a label: the standard ones by name, anything else `OTHER`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Middleware (outermost): counts and times every request, with the status the client actually received.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_string());
    let method = method_label(req.method());
    let metrics = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    if let Some(state) = metrics {
        state
            .metrics
            .observe(&route, method, status, started.elapsed().as_secs_f64());
    }
    res
}

/// `GET /metrics`: the Prometheus exposition (administrators only, see `access::ROUTES`; never cached).
pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    // The pool is read before this handler takes a connection of its own for the outbox counts.
    let pool = state.pool.state();
    state
        .metrics
        .pool_connections
        .set(i64::from(pool.connections));
    state
        .metrics
        .pool_idle
        .set(i64::from(pool.idle_connections));
    state.metrics.pool_max.set(i64::from(state.pool.max_size()));
    let counts = state
        .with_conn(|conn| {
            crate::db::outbox::counts(conn, &crate::access::Scope::Everything)
                .map_err(AppError::from)
        })
        .await?;
    state
        .metrics
        .outbox
        .with_label_values(&["queued"])
        .set(counts.queued);
    state
        .metrics
        .outbox
        .with_label_values(&["failed"])
        .set(counts.failed);
    let body = state.metrics.render()?;
    Ok(HttpResponse::Ok()
        .content_type(TextEncoder::new().format_type())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
