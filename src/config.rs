//! Settings from the environment, read and validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::Target;

/// Everything the server is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which database (`DATABASE_URL`; default `<data dir>/sangtao.db`).
    pub database: Target,
    /// Address to listen on (`SANGTAO_BIND`, default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// Folder for the SQLite file, mail and uploads (`SANGTAO_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// Public address of the portal, used in links and emails (`SANGTAO_BASE_URL`, default `http://<bind>`).
    pub base_url: String,
    /// HTTP worker threads (`SANGTAO_WORKERS`, default: one per core).
    pub workers: usize,
    /// Database connections (`SANGTAO_DB_POOL`, default two per core, at least 4).
    pub db_pool_size: u32,
    /// Memory for SQLite's page caches in all, in MiB (`SANGTAO_DB_CACHE_MB`, default 4; see
    /// [`crate::db::set_cache_budget`]). Ignored on PostgreSQL.
    pub db_cache_mb: u64,
    /// How long an anonymous page may be served from memory before it is rendered again even if this process saw no
    /// write (`SANGTAO_PAGE_CACHE_MS`, default 1000; 0 turns the cache off). Bounds staleness when another instance
    /// writes to the same database.
    pub page_cache_ttl: Duration,
    /// `text` (default) or `json` log lines (`SANGTAO_LOG_FORMAT`).
    pub log_json: bool,
    /// Email settings.
    pub mail: MailConfig,
    /// Proxies whose `X-Forwarded-For` is believed (`SANGTAO_TRUSTED_PROXIES`, comma-separated addresses; default
    /// none: the peer address is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The largest attachment accepted, in bytes (`SANGTAO_MAX_UPLOAD_MB`, whole megabytes from 1 to 100, default
    /// 10; 1 MB = 1,048,576 bytes).
    pub max_upload_bytes: u64,
}

/// How email leaves the portal.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `SMTP_URL` (`smtp://user:pass@host:587?tls=required` for STARTTLS, `smtps://…` for TLS, `smtp://host:25`
    /// for plain); unset means files under `<data dir>/mail/`.
    pub smtp_url: Option<String>,
    /// The From address (`SANGTAO_MAIL_FROM`, default `Sáng tạo trẻ <no-reply@localhost>`).
    pub from: String,
    /// How often the worker looks for due mail (`SANGTAO_MAIL_POLL_MS`, default 1000).
    pub poll: Duration,
    /// The first retry delay, doubled after each failed attempt up to an hour (`SANGTAO_MAIL_RETRY_MS`, default
    /// 10000).
    pub retry_base: Duration,
    /// Attempts before a message is marked failed (`SANGTAO_MAIL_MAX_ATTEMPTS`, default 20, about a day).
    pub max_attempts: u32,
    /// How often the worker looks for reviews to remind reviewers of (`SANGTAO_REMINDER_SECS`, default 900).
    pub reminder_every: Duration,
}

/// A setting that could not be used, with the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable.
    pub var: &'static str,
    /// What is wrong, and what is expected.
    pub problem: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests). Empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let data_dir = PathBuf::from(get("SANGTAO_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database = match get("DATABASE_URL") {
            Some(url) => Target::parse(&url),
            None => Target::Sqlite(data_dir.join("sangtao.db")),
        };
        let bind_text = get("SANGTAO_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_text.parse().map_err(|_| ConfigError {
            var: "SANGTAO_BIND",
            problem: format!("'{bind_text}' is not an address:port such as 127.0.0.1:8080"),
        })?;
        let base_url = get("SANGTAO_BASE_URL").unwrap_or_else(|| format!("http://{bind}"));
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "SANGTAO_BASE_URL",
                problem: format!("'{base_url}' must start with http:// or https://"),
            });
        }
        let base_url = base_url.trim_end_matches('/').to_string();
        let number =
            |var: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                match get(var) {
                    None => Ok(default),
                    Some(v) => v
                        .parse::<u64>()
                        .ok()
                        .filter(|n| (min..=max).contains(n))
                        .ok_or(ConfigError {
                            var,
                            problem: format!("'{v}' is not a whole number from {min} to {max}"),
                        }),
                }
            };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2) as u64;
        let workers = number("SANGTAO_WORKERS", cores, 1, 256)? as usize;
        // Two connections per core keep the cores busy while one waits for the disk; more only hold memory.
        let db_pool_size = number("SANGTAO_DB_POOL", (2 * cores).max(4), 1, 256)? as u32;
        let db_cache_mb = number(
            "SANGTAO_DB_CACHE_MB",
            crate::db::DEFAULT_CACHE_MB,
            1,
            65_536,
        )?;
        let page_cache_ttl =
            Duration::from_millis(number("SANGTAO_PAGE_CACHE_MS", 1000, 0, 3_600_000)?);
        let log_json = match get("SANGTAO_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError {
                    var: "SANGTAO_LOG_FORMAT",
                    problem: format!("'{other}' is neither 'text' nor 'json'"),
                });
            }
        };
        let mail = MailConfig {
            smtp_url: get("SMTP_URL"),
            from: get("SANGTAO_MAIL_FROM")
                .unwrap_or_else(|| "Sáng tạo trẻ <no-reply@localhost>".into()),
            poll: Duration::from_millis(number("SANGTAO_MAIL_POLL_MS", 1000, 10, 3_600_000)?),
            retry_base: Duration::from_millis(number(
                "SANGTAO_MAIL_RETRY_MS",
                10_000,
                10,
                3_600_000,
            )?),
            max_attempts: number("SANGTAO_MAIL_MAX_ATTEMPTS", 20, 1, 1000)? as u32,
            reminder_every: Duration::from_secs(number("SANGTAO_REMINDER_SECS", 900, 1, 86_400)?),
        };
        if let Some(url) = &mail.smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(ConfigError {
                var: "SMTP_URL",
                problem: "must start with smtp:// or smtps://".into(),
            });
        }
        let max_upload_bytes = number(
            "SANGTAO_MAX_UPLOAD_MB",
            crate::domain::attachment::DEFAULT_MAX_UPLOAD_MB,
            1,
            100,
        )? * crate::domain::attachment::MB;
        let mut trusted_proxies = Vec::new();
        for part in get("SANGTAO_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            trusted_proxies.push(part.parse().map_err(|_| ConfigError {
                var: "SANGTAO_TRUSTED_PROXIES",
                problem: format!("'{part}' is not an IP address"),
            })?);
        }
        Ok(Config {
            max_upload_bytes,
            trusted_proxies,
            mail,
            database,
            bind,
            data_dir,
            base_url,
            workers,
            db_pool_size,
            db_cache_mb,
            page_cache_ttl,
            log_json,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = with(&[]).unwrap();
        assert_eq!(
            c.database,
            Target::Sqlite(PathBuf::from("./data/sangtao.db"))
        );
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.max_upload_bytes, 10 * 1024 * 1024);
        let c = with(&[("SANGTAO_MAX_UPLOAD_MB", "3")]).unwrap();
        assert_eq!(c.max_upload_bytes, 3 * 1024 * 1024);
    }

    #[test]
    fn engine_from_url() {
        let c = with(&[("DATABASE_URL", "postgres://u:p@h/db")]).unwrap();
        assert_eq!(c.database.engine(), "postgres");
        assert_eq!(c.database.display(), "postgres://u:***@h/db");
        let c = with(&[("DATABASE_URL", "sqlite:///tmp/x.db")]).unwrap();
        assert_eq!(c.database, Target::Sqlite(PathBuf::from("/tmp/x.db")));
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(
            with(&[("SANGTAO_BIND", "localhost")]).unwrap_err().var,
            "SANGTAO_BIND"
        );
        assert_eq!(
            with(&[("SANGTAO_WORKERS", "0")]).unwrap_err().var,
            "SANGTAO_WORKERS"
        );
        assert_eq!(
            with(&[("SANGTAO_BASE_URL", "example.org")])
                .unwrap_err()
                .var,
            "SANGTAO_BASE_URL"
        );
        assert_eq!(
            with(&[("SANGTAO_LOG_FORMAT", "xml")]).unwrap_err().var,
            "SANGTAO_LOG_FORMAT"
        );
        for bad in ["0", "101", "2.5", "ten"] {
            assert_eq!(
                with(&[("SANGTAO_MAX_UPLOAD_MB", bad)]).unwrap_err().var,
                "SANGTAO_MAX_UPLOAD_MB"
            );
        }
    }
}
