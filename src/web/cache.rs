//! Rendered public responses kept in memory, so a busy list page costs a hash lookup instead of a query and a
//! template (see PERF-NOTES: the difference between ~0.15 and ~0.8 of the plain-text ceiling).
//!
//! Rules that keep it correct:
//! - only anonymous GETs are cached, and only what they would get anyway: nothing personal is ever stored;
//! - every write in this process bumps [`PageCache::bump`], which empties it at once; a time-to-live bounds how stale
//!   a page can be when another process or instance writes to the same database;
//! - entries vary on the full path and query and on the language; a gzip copy is made once per entry;
//! - the number of entries is bounded (visitors choose cursors), by dropping everything when full.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::Bytes;

use super::i18n::Lang;

/// The name of the session cookie; a request carrying it is personal and never cached.
pub const SESSION_COOKIE: &str = "session";
const MAX_ENTRIES: usize = 4096;

/// One cached response.
pub struct Entry {
    version: u64,
    made: Instant,
    /// Content type of the body.
    pub content_type: &'static str,
    /// The body as rendered.
    pub body: Bytes,
    /// The body, gzip-compressed once.
    pub gzip: Bytes,
}

/// The cache of rendered responses.
pub struct PageCache {
    ttl: Duration,
    version: AtomicU64,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

impl PageCache {
    /// A cache whose entries live at most `ttl`; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            ttl,
            version: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Forget everything: call after every committed write.
    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut map) = self.entries.lock() {
            map.clear();
        }
    }

    /// The key of `req` if it may be served from the cache at all.
    pub fn key(&self, req: &HttpRequest, lang: Lang) -> Option<String> {
        if self.ttl.is_zero()
            || req.method() != actix_web::http::Method::GET
            || req.cookie(SESSION_COOKIE).is_some()
        {
            return None;
        }
        Some(format!(
            "{}|{}?{}",
            lang.code(),
            req.path(),
            req.query_string()
        ))
    }

    /// A fresh entry for `key`, if any.
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let now = self.version.load(Ordering::SeqCst);
        let map = self.entries.lock().ok()?;
        map.get(key)
            .filter(|e| e.version == now && e.made.elapsed() < self.ttl)
            .cloned()
    }

    /// The version to pass to [`PageCache::put`]; read it before loading the data, so a write that lands while the
    /// page renders makes the new entry stale instead of serving old data.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Stores a rendered body made from data read at `version`, and returns the entry.
    pub fn put(
        &self,
        key: String,
        version: u64,
        content_type: &'static str,
        body: String,
    ) -> Arc<Entry> {
        let body = Bytes::from(body);
        let gzip = gzip(&body);
        let entry = Arc::new(Entry {
            version,
            made: Instant::now(),
            content_type,
            body,
            gzip,
        });
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, entry.clone());
        }
        entry
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::best(),
    );
    match enc.write_all(body).and_then(|_| enc.finish()) {
        Ok(v) => Bytes::from(v),
        // Writing to a Vec cannot fail; an empty copy makes the caller send the plain body.
        Err(_) => Bytes::new(),
    }
}

/// Whether the client accepts gzip.
pub fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name == "gzip" || name == "*") && !refused
        })
}

/// Builds the response for a cached or fresh entry, compressed when the client accepts it.
pub fn respond(req: &HttpRequest, entry: &Entry) -> actix_web::HttpResponse {
    let mut res = actix_web::HttpResponse::Ok();
    res.content_type(entry.content_type)
        .insert_header((header::VARY, "Accept-Encoding, Accept-Language, Cookie"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=0, must-revalidate"));
    if !entry.gzip.is_empty() && entry.gzip.len() < entry.body.len() && accepts_gzip(req) {
        res.insert_header((header::CONTENT_ENCODING, "gzip"));
        res.body(entry.gzip.clone())
    } else {
        res.body(entry.body.clone())
    }
}
