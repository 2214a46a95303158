//! The only code that knows there are two database engines.
//!
//! `DbConn` is diesel's multi-connection over PostgreSQL and SQLite. The engine is chosen here from the URL (never by
//! trial connection, which would turn a mistyped PostgreSQL URL into a new SQLite file), every SQLite connection gets
//! the same PRAGMAs, and writes go through [`write_tx`], which takes SQLite's write lock up front.

pub mod accounts;
pub mod adoption;
pub mod attachments;
pub mod backup;
pub mod catalog;
pub mod events;
pub mod ideas;
pub mod imports;
pub mod outbox;
pub mod public_data;
pub mod schema;
pub mod search;
pub mod seed;
pub mod similar;
pub mod stats;
pub mod submissions;
pub mod users;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Migrations for each engine, embedded in the binary (build.rs rebuilds when a folder is added).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// See [`SQLITE_MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either engine; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL, for larger deployments with several app instances.
    Postgres(PgConnection),
    /// Bundled SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// A pool of [`DbConn`].
pub type Pool = r2d2::Pool<Manager>;
/// A connection checked out of the [`Pool`].
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Which engine a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A `postgres://` or `postgresql://` URL, passed to libpq as is.
    Postgres(String),
    /// A file path (from a plain path or a `sqlite://` URL).
    Sqlite(PathBuf),
}

impl Target {
    /// Reads a `DATABASE_URL`: `postgres://…` means PostgreSQL, `sqlite://PATH` or a bare path means SQLite.
    pub fn parse(url: &str) -> Target {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Target::Postgres(url.to_string())
        } else if let Some(rest) = url.strip_prefix("sqlite://") {
            Target::Sqlite(PathBuf::from(rest))
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            Target::Sqlite(PathBuf::from(rest))
        } else {
            Target::Sqlite(PathBuf::from(url))
        }
    }

    /// The engine's name, for logs and `/readyz`.
    pub fn engine(&self) -> &'static str {
        match self {
            Target::Postgres(_) => "postgres",
            Target::Sqlite(_) => "sqlite",
        }
    }

    /// The URL with any password hidden, for logs.
    pub fn display(&self) -> String {
        match self {
            Target::Sqlite(p) => p.display().to_string(),
            Target::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s => {
                    let creds = &url[s + 3..at];
                    match creds.find(':') {
                        Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                        None => url.clone(),
                    }
                }
                _ => url.clone(),
            },
        }
    }
}

/// Why the database could not be opened or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Connecting failed (the engine's own message, e.g. "Connection refused").
    #[error("cannot connect to the {engine} database {target}: {source}")]
    Connect {
        /// "postgres" or "sqlite".
        engine: &'static str,
        /// Where, with the password hidden.
        target: String,
        /// The driver's error.
        source: ConnectionError,
    },
    /// The SQLite file's folder could not be created.
    #[error("cannot create the folder {0} for the SQLite database: {1}")]
    Folder(String, std::io::Error),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// The pool could not hand out a connection.
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A migration failed.
    #[error("migrations failed: {0}")]
    Migration(String),
}

/// The r2d2 manager: opens connections of the engine the URL names and prepares SQLite ones.
#[derive(Debug)]
pub struct Manager {
    target: Target,
    /// Each pooled SQLite connection's page cache, in KiB.
    cache_kib: i64,
}

/// SQLite settings applied to every connection. WAL lets readers run beside the one writer; `synchronous = FULL`
/// fsyncs the WAL at every commit, so a transaction that was acknowledged survives a crash or a power cut (NORMAL
/// would survive a process crash only); the busy timeout makes a second writer wait instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";

/// The memory SQLite's page caches may use in all, in KiB ([`set_cache_budget`]).
static CACHE_BUDGET_KIB: AtomicI64 = AtomicI64::new(DEFAULT_CACHE_MB as i64 * 1024);

/// The default of `SANGTAO_DB_CACHE_MB`.
pub const DEFAULT_CACHE_MB: u64 = 4;

/// Sets the memory SQLite's page caches may use in all, in MiB (`SANGTAO_DB_CACHE_MB`); call before [`connect`] and
/// before starting the [`writer::Committer`]. Half is the writer's, which keeps the indexes' pages between batches;
/// the pooled readers share the other half. `soft_heap_limit`, one limit for the whole process, is set to twice the
/// budget, which bounds what the prepared statements add.
///
/// Why a budget: at a million ideas every connection's cache fills, and ten connections of 32 MB each made the
/// server's memory several times what a small machine has. Pages left out are in the operating system's file cache,
/// a copy away, which `bench/mixed.sh` measures.
pub fn set_cache_budget(mib: u64) {
    CACHE_BUDGET_KIB.store(mib.saturating_mul(1024) as i64, Ordering::Relaxed);
}

/// Applies the cache size `kib` and the process's soft heap limit to a SQLite connection.
fn apply_cache(conn: &mut SqliteConnection, kib: i64) -> QueryResult<()> {
    let budget = CACHE_BUDGET_KIB.load(Ordering::Relaxed);
    conn.batch_execute(&format!(
        "PRAGMA cache_size = -{}; PRAGMA soft_heap_limit = {};",
        kib.max(64),
        budget.saturating_mul(2 * 1024)
    ))
}

/// The writer's cache: half the budget.
pub(crate) fn writer_cache_kib() -> i64 {
    CACHE_BUDGET_KIB.load(Ordering::Relaxed) / 2
}

impl Manager {
    /// Opens one connection with the concrete driver, so its error is the real one.
    pub fn open(target: &Target) -> Result<DbConn, DbError> {
        let err = |source| DbError::Connect {
            engine: target.engine(),
            target: target.display(),
            source,
        };
        match target {
            Target::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Postgres)
                .map_err(err),
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(err)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(|e| err(ConnectionError::CouldntSetupConfiguration(e)))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        let mut conn = Manager::open(&self.target)?;
        if let DbConn::Sqlite(c) = &mut conn {
            apply_cache(c, self.cache_kib).map_err(DbError::Query)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::Query)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Opens the database: runs pending migrations on one connection made with the concrete driver (for a clear
/// error), then builds the pool.
pub fn connect(target: &Target, pool_size: u32) -> Result<Pool, DbError> {
    migrate_target(target)?;
    let pool = r2d2::Pool::builder()
        .max_size(pool_size)
        // A SQLite file does not drop connections: no test query on every checkout (one `SELECT 1`, parsed and run,
        // per request). A PostgreSQL connection can break; it is tested.
        .test_on_check_out(matches!(target, Target::Postgres(_)))
        .connection_timeout(Duration::from_secs(10))
        .build(Manager {
            target: target.clone(),
            // The readers' half of the budget, shared.
            cache_kib: CACHE_BUDGET_KIB.load(Ordering::Relaxed) / 2 / i64::from(pool_size.max(1)),
        })?;
    Ok(pool)
}

/// Creates the SQLite folder if needed, connects and applies pending migrations; returns how many ran.
pub fn migrate_target(target: &Target) -> Result<usize, DbError> {
    if let Target::Sqlite(path) = target {
        ensure_parent(path)?;
    }
    let mut conn = Manager::open(target)?;
    migrate(&mut conn)
}

fn ensure_parent(path: &Path) -> Result<(), DbError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbError::Folder(parent.display().to_string(), e))?;
    }
    Ok(())
}

/// Applies the pending migrations of the connection's engine; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> Result<usize, DbError> {
    let migrations = match conn {
        DbConn::Postgres(_) => POSTGRES_MIGRATIONS,
        DbConn::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    conn.run_pending_migrations(migrations)
        .map(|v| v.len())
        .map_err(|e| DbError::Migration(e.to_string()))
}

/// Runs `f` in a write transaction. On SQLite it begins with `BEGIN IMMEDIATE`, taking the write lock before the
/// first read so two writers queue on the busy timeout instead of failing with "database is locked" at commit.
/// Nested calls become savepoints.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    let top_level = matches!(
        Tm::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(None)
    );
    match conn {
        DbConn::Sqlite(c) if top_level => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        _ => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The caller's error matters more than a failed rollback; a broken connection is discarded by the pool.
            let _ = Tm::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Whether the database answers a trivial query (for `/readyz`).
pub fn ping(pool: &Pool) -> Result<(), DbError> {
    let mut conn = pool.get()?;
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// The current time, truncated to microseconds so both engines store and compare the same value.
pub fn now() -> chrono::NaiveDateTime {
    truncate_micros(chrono::Utc::now().naive_utc())
}

/// Drops sub-microsecond precision (PostgreSQL keeps microseconds; SQLite keeps whatever it is given).
pub fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// A new id, as stored (UUID text): version 7, time first, then 74 random bits. Rows made one after another get
/// ids that sort one after another, so each insert lands at the end of the id indexes, on pages already in memory;
/// random (version 4) ids sent every insert to a random page of a large index, which at a million ideas meant a
/// read from disk and a page rewritten per row and per index.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
