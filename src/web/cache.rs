//! Rendered public responses kept in memory, so a busy list page costs a hash lookup instead of a query and a
//! template (see PERF-NOTES: the difference between ~0.15 and ~0.8 of the plain-text ceiling).
//!
//! Rules that keep it correct:
//! - only anonymous GETs are cached, and only what they would get anyway: nothing personal is ever stored;
//! - every write in this process bumps [`PageCache::bump`], which empties it at once; a time-to-live bounds how stale
//!   a page can be when another process or instance writes to the same database;
//! - except "lasting" entries: counts over every idea (the statistics), which take a quarter of a second to make at
//!   a million ideas and would otherwise be made again after every submission. They outlive writes and are kept
//!   [`LASTING_FACTOR`] times the time-to-live (ten seconds by default): the counts a visitor sees may be that old;
//! - entries vary on the full path and query and on the language; a gzip copy is made once per entry;
//! - the cache is bounded (visitors choose cursors and ids) in entries and in bytes, which keeps the server's memory
//!   small whatever is browsed: when a new entry would pass a bound, expired and stale entries go first, and
//!   everything goes if that is not enough.

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
/// Bodies and their gzip copies together. A page is 10–60 KB, so this holds the hot pages of a busy minute; it is
/// what keeps the cache from being most of the server's memory (the mixed-load benchmark measures the whole).
const MAX_BYTES: usize = 4 << 20;
/// How many times the time-to-live a lasting entry is kept.
pub const LASTING_FACTOR: u32 = 10;

/// One cached response.
pub struct Entry {
    version: u64,
    made: Instant,
    /// Kept across writes, for [`LASTING_FACTOR`] times the time-to-live.
    lasting: bool,
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
    entries: Mutex<Store>,
}

/// The entries and the bytes their bodies hold.
#[derive(Default)]
struct Store {
    map: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

impl Entry {
    fn size(&self) -> usize {
        self.body.len() + self.gzip.len()
    }
}

impl Store {
    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }

    fn retain(&mut self, keep: impl Fn(&Entry) -> bool) {
        self.map.retain(|_, e| keep(e));
        self.bytes = self.map.values().map(|e| e.size()).sum();
    }

    /// Makes room for `size` more bytes and one more entry: drops what can no longer be served, then everything if
    /// that is not enough.
    fn make_room(&mut self, size: usize, fresh: impl Fn(&Entry) -> bool) {
        if self.map.len() < MAX_ENTRIES && self.bytes + size <= MAX_BYTES {
            return;
        }
        self.retain(fresh);
        if self.map.len() >= MAX_ENTRIES || self.bytes + size > MAX_BYTES {
            self.clear();
        }
    }
}

impl PageCache {
    /// A cache whose entries live at most `ttl`; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            ttl,
            version: AtomicU64::new(0),
            entries: Mutex::new(Store::default()),
        }
    }

    /// Forget everything but the lasting entries: call after every committed write.
    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut store) = self.entries.lock() {
            store.retain(|e| e.lasting);
        }
    }

    /// Whether `e` may still be served, `now` being the current version.
    fn fresh(&self, e: &Entry, now: u64) -> bool {
        if e.lasting {
            e.made.elapsed() < self.ttl * LASTING_FACTOR
        } else {
            e.version == now && e.made.elapsed() < self.ttl
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
        let store = self.entries.lock().ok()?;
        store.map.get(key).filter(|e| self.fresh(e, now)).cloned()
    }

    /// The version to pass to [`PageCache::put`]; read it before loading the data, so a write that lands while the
    /// page renders makes the new entry stale instead of serving old data.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Stores a rendered body made from data read at `version` (lasting or not), and returns the entry.
    pub fn put(
        &self,
        key: String,
        version: u64,
        lasting: bool,
        content_type: &'static str,
        body: String,
    ) -> Arc<Entry> {
        let body = Bytes::from(body);
        let gzip = gzip(&body);
        let entry = Arc::new(Entry {
            version,
            made: Instant::now(),
            lasting,
            content_type,
            body,
            gzip,
        });
        let size = entry.size();
        if size <= MAX_BYTES
            && let Ok(mut store) = self.entries.lock()
        {
            let now = self.version();
            store.make_room(size, |e| self.fresh(e, now));
            if let Some(old) = store.map.insert(key, entry.clone()) {
                store.bytes -= old.size();
            }
            store.bytes += size;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of `n` bytes that gzip cannot shrink much (so both copies count), different for each `seed`.
    fn body(n: usize, seed: u64) -> String {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + (x >> 59) as u8 % 26)
            })
            .collect()
    }

    fn held(cache: &PageCache) -> (usize, usize) {
        let store = cache.entries.lock().unwrap();
        let sum: usize = store.map.values().map(|e| e.size()).sum();
        assert_eq!(store.bytes, sum, "the running total matches the entries");
        (store.map.len(), store.bytes)
    }

    #[test]
    fn the_cache_never_holds_more_than_its_byte_bound() {
        let cache = PageCache::new(Duration::from_secs(60));
        for k in 0..400 {
            let v = cache.version();
            cache.put(
                format!("vi|/ideas/{k}?"),
                v,
                false,
                "text/html",
                body(60_000, k),
            );
            assert!(
                held(&cache).1 <= MAX_BYTES,
                "after {k} pages: {:?}",
                held(&cache)
            );
        }
        // The newest page is there to serve.
        assert!(cache.get("vi|/ideas/399?").is_some());
        let (entries, bytes) = held(&cache);
        assert!(
            entries > 10 && bytes > MAX_BYTES / 4,
            "{entries} entries, {bytes} bytes"
        );
    }

    #[test]
    fn expired_pages_go_before_fresh_ones() {
        let cache = PageCache::new(Duration::from_millis(200));
        let v = cache.version();
        // Fill about three quarters of the bound with pages that will expire.
        let mut k = 0;
        while held(&cache).1 < MAX_BYTES * 3 / 4 {
            cache.put(
                format!("vi|/old/{k}?"),
                v,
                false,
                "text/html",
                body(60_000, k),
            );
            k += 1;
        }
        std::thread::sleep(Duration::from_millis(250));
        cache.put(
            "vi|/hot?".into(),
            v,
            false,
            "text/html",
            body(60_000, 9_999),
        );
        // Then a quarter of new pages more than fits: the expired ones make room, the fresh hot page stays.
        for j in 0..(k / 3) {
            cache.put(
                format!("vi|/new/{j}?"),
                v,
                false,
                "text/html",
                body(60_000, 10_000 + j),
            );
        }
        assert!(cache.get("vi|/hot?").is_some(), "{:?}", held(&cache));
        assert!(held(&cache).1 <= MAX_BYTES);
    }

    #[test]
    fn a_write_empties_the_cache_and_its_count() {
        let cache = PageCache::new(Duration::from_secs(60));
        cache.put(
            "vi|/ideas?".into(),
            cache.version(),
            false,
            "text/html",
            body(1000, 1),
        );
        assert_eq!(held(&cache).0, 1);
        cache.bump();
        assert_eq!(held(&cache), (0, 0));
        assert!(cache.get("vi|/ideas?").is_none());
    }

    #[test]
    fn lasting_entries_outlive_writes_but_not_their_time() {
        let cache = PageCache::new(Duration::from_millis(30));
        cache.put(
            "vi|/stats?".into(),
            cache.version(),
            true,
            "text/html",
            body(1000, 1),
        );
        cache.put(
            "vi|/ideas?".into(),
            cache.version(),
            false,
            "text/html",
            body(1000, 2),
        );
        cache.bump();
        assert!(cache.get("vi|/stats?").is_some(), "kept across a write");
        assert!(cache.get("vi|/ideas?").is_none());
        // Past the plain time-to-live, still there; past ten times it, gone.
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("vi|/stats?").is_some());
        std::thread::sleep(Duration::from_millis(300));
        assert!(cache.get("vi|/stats?").is_none());
    }
}
