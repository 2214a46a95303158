//! Sáng tạo trẻ: a portal for youth innovation contests.
//!
//! The way of a request: `web` parses input into `domain` types, reads or writes through `db` (the only code that
//! knows there are two engines), and renders a template or JSON. `access` holds who may see what.

pub mod access;
pub mod app;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod mail;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;

/// A server bound and ready to run, with what the caller needs to talk to it.
pub struct Running {
    /// The server future; await it (or spawn it) to serve.
    pub server: Server,
    /// The address it listens on (useful with port 0).
    pub addr: std::net::SocketAddr,
    /// The email delivery thread; it stops when this is dropped (after the server ends) or on `mail.stop()`.
    pub mail: mail::Worker,
}

/// Opens the database (migrating it), binds `listener` and builds the server; optionally seeds the demo data first.
pub fn start(
    config: config::Config,
    listener: TcpListener,
    seed_demo: bool,
) -> anyhow::Result<Running> {
    db::set_cache_budget(config.db_cache_mb);
    let pool = db::connect(&config.database, config.db_pool_size)?;
    // The uploads folder must be writable before anyone uploads; temporary files a crash left are removed.
    app::attachments::Uploads::new(&config.data_dir)
        .prepare()
        .map_err(|e| {
            anyhow::anyhow!(
                "uploads folder {}: {e}",
                config.data_dir.join("uploads").display()
            )
        })?;
    {
        let mut conn = pool.get()?;
        if seed_demo && demo::seed_if_empty(&mut conn)? {
            tracing::info!("demo data seeded");
        }
        // Ideas written before the search index existed are indexed once (the migration cannot fold text).
        if db::search::fill_if_empty(&mut conn)? {
            tracing::info!("search index filled");
        }
    }
    // The first sign-in should not pay for computing the equal-time dummy hash.
    app::secrets::warm_up();
    let addr = listener.local_addr()?;
    let mail = mail::Worker::spawn(pool.clone(), &config)?;
    let writer = db::writer::Committer::start(&config.database)?;
    let state = actix_web::web::Data::new(web::AppState::new(pool, writer, config)?);
    // Imports a previous server left running go on where they stopped.
    web::import_pages::resume_stale(&state)
        .map_err(|e| anyhow::anyhow!("resuming imports: {e}"))?;
    let server = web::serve(state, listener)?;
    Ok(Running { server, addr, mail })
}
