//! Vietnamese (default) and English messages from `frontend/i18n/*.json`, and choosing the language of a request.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::http::header;

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Vietnamese, the default.
    #[default]
    Vi,
    /// English.
    En,
}

type Catalog = HashMap<String, String>;

fn parse_catalog(name: &str, text: &str) -> Catalog {
    match serde_json::from_str(text) {
        Ok(map) => map,
        Err(e) => {
            // The files are compiled in and a unit test parses them, so this is only reachable by a broken build.
            tracing::error!(file = name, error = %e, "translation file does not parse");
            HashMap::new()
        }
    }
}

static VI: LazyLock<Catalog> =
    LazyLock::new(|| parse_catalog("vi.json", include_str!("../../frontend/i18n/vi.json")));
static EN: LazyLock<Catalog> =
    LazyLock::new(|| parse_catalog("en.json", include_str!("../../frontend/i18n/en.json")));

/// The name of the cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    /// The BCP 47 code, as used in `<html lang>` and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language with this code (`vi`, `en`, `en-US`, …).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switcher link.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// The message for `key`; a missing key shows itself (a unit test keeps both files complete).
    pub fn t(self, key: &str) -> &'static str {
        let catalog: &'static Catalog = match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        };
        match catalog.get(key) {
            Some(v) => v.as_str(),
            None => {
                tracing::warn!(key, lang = self.code(), "missing translation");
                "?"
            }
        }
    }

    /// Whether the catalog has `key`.
    pub fn has(self, key: &str) -> bool {
        match self {
            Lang::Vi => VI.contains_key(key),
            Lang::En => EN.contains_key(key),
        }
    }

    /// The sentence for a `?notice=` code shown after a redirect (`notice.<code>`), if the code is one we have.
    pub fn notice(self, code: Option<&str>) -> Option<String> {
        let key = format!("notice.{}", code?);
        self.has(&key).then(|| self.t(&key).to_string())
    }

    /// The message for `key` with each `{name}` replaced by its value.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// The language of a request: `?lang=` first, then the `lang` cookie, then `Accept-Language`, else Vietnamese.
    pub fn of_request(req: &HttpRequest) -> Lang {
        if let Some(l) = query_lang(req.query_string()) {
            return l;
        }
        if let Some(l) = req
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
        {
            return l;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(accept_language)
            .unwrap_or_default()
    }
}

/// The `lang` parameter of a query string, if it names a language we speak.
pub fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::from_code(v))
}

/// The preferred language we speak in an `Accept-Language` header, by its q-values.
fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let Some(lang) = pieces.next().and_then(Lang::from_code) else {
            continue;
        };
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogs_parse_and_have_the_same_keys() {
        let vi: Catalog =
            serde_json::from_str(include_str!("../../frontend/i18n/vi.json")).unwrap();
        let en: Catalog =
            serde_json::from_str(include_str!("../../frontend/i18n/en.json")).unwrap();
        let vk: BTreeSet<_> = vi.keys().collect();
        let ek: BTreeSet<_> = en.keys().collect();
        assert_eq!(
            vk.difference(&ek).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "only in vi.json"
        );
        assert_eq!(
            ek.difference(&vk).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "only in en.json"
        );
        assert!(vi.values().all(|v| !v.trim().is_empty()));
        assert!(en.values().all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn every_status_has_a_name() {
        for s in crate::domain::status::IdeaStatus::ALL {
            assert_ne!(Lang::Vi.t(&s.label_key()), "?");
            assert_ne!(Lang::En.t(&s.label_key()), "?");
        }
    }

    #[test]
    fn accept_language_picks_by_quality() {
        assert_eq!(accept_language("en-US,en;q=0.9,vi;q=0.8"), Some(Lang::En));
        assert_eq!(accept_language("fr, vi;q=0.5, en;q=0.4"), Some(Lang::Vi));
        assert_eq!(accept_language("fr, de"), None);
        assert_eq!(query_lang("a=1&lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=xx"), None);
    }
}
