//! The public idea list: its filters, page size and keyset cursor, parsed once from raw query parameters.

use chrono::{DateTime, NaiveDateTime};

use super::status::IdeaStatus;
use super::text::SearchTerms;

/// Ideas on one page of `/ideas`.
pub const PAGE_SIZE: u32 = 20;
/// The largest `limit` the API accepts.
pub const MAX_LIMIT: u32 = 100;
/// The longest search query (`q`), in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The last page of search results (`page`); pages past the results a search ranks are empty.
pub const MAX_SEARCH_PAGE: u32 = 50;

/// A query parameter that could not be accepted. `code` is machine-readable and also the translation key suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name as the client sent it (borrowed for the parameters a handler knows; owned for any
    /// parameter at all, as `web::text_guard` names them).
    pub param: std::borrow::Cow<'static, str>,
    /// `invalid_cursor`, `invalid_limit`, `invalid_page`, `unknown_value`, `invalid_id`, `too_long`, and
    /// [`NAMES_NOTHING`].
    pub code: &'static str,
}

/// The code of a well-formed slug or id that names nothing: the request is valid, the thing it names does not
/// exist, so it is answered `404` rather than `400` (the document cannot list every slug).
pub const NAMES_NOTHING: &str = "not_found";

impl ParamError {
    /// An error for `param` with `code`.
    pub fn new(param: &'static str, code: &'static str) -> Self {
        ParamError {
            param: param.into(),
            code,
        }
    }

    /// An error for a parameter known only by the name the client gave it.
    pub fn named(param: String, code: &'static str) -> Self {
        ParamError {
            param: param.into(),
            code,
        }
    }

    /// `param` names a contest, category, unit or event that does not exist.
    pub fn unknown(param: &'static str) -> Self {
        ParamError::new(param, NAMES_NOTHING)
    }

    /// Whether the parameter is well formed but names nothing (a `404`, not a `400`).
    pub fn names_nothing(&self) -> bool {
        self.code == NAMES_NOTHING
    }
}

/// Where a page starts: just after the idea listed at `listed_at` with id `id` (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The previous page's last idea's listing time (UTC, microseconds).
    pub listed_at: NaiveDateTime,
    /// The previous page's last idea's id, breaking ties.
    pub id: String,
}

impl Cursor {
    /// The text form: microseconds since the epoch, a dot, the idea's UUID.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.listed_at.and_utc().timestamp_micros(),
            self.id
        )
    }

    /// Parses [`Cursor::encode`]'s form; anything else is `None`.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (micros, id) = text.split_once('.')?;
        if micros.is_empty() || micros.len() > 19 || !micros.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let listed_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
        let id = uuid::Uuid::parse_str(id).ok()?;
        Some(Cursor {
            listed_at,
            id: id.hyphenated().to_string(),
        })
    }
}

/// Parses an idea id from a URL: a UUID in any of its text forms, returned in the stored (hyphenated) form.
pub fn parse_idea_id(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// The raw parameters of a list request, as strings (empty ones count as absent, as an HTML form sends them).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct RawListParams {
    /// Contest slug.
    pub contest: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Unit slug (the unit and its subtree).
    pub unit: Option<String>,
    /// Status code.
    pub status: Option<String>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size (API only).
    pub limit: Option<String>,
    /// Search words.
    pub q: Option<String>,
    /// Page number of search results (1–50); unsearched lists use `cursor`.
    pub page: Option<String>,
}

/// A list request after parsing; slugs are resolved against the database by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Contest slug.
    pub contest: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Unit slug.
    pub unit: Option<String>,
    /// Status.
    pub status: Option<IdeaStatus>,
    /// Where the page starts.
    pub cursor: Option<Cursor>,
    /// How many ideas.
    pub limit: u32,
    /// The search text as typed (trimmed), if any; kept for the search box even when it holds no word.
    pub q: Option<String>,
    /// What to search for: `None` when `q` is absent or has no letter or digit (then the list is not searched).
    pub search: Option<SearchTerms>,
    /// Page of search results, from 1 (always 1 when not searching; `cursor` is ignored when searching).
    pub page: u32,
}

/// A parameter's value trimmed, or `None` when it is absent or blank (as an HTML form sends an empty field).
pub fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn slug(param: &'static str, v: &Option<String>) -> Result<Option<String>, ParamError> {
    match present(v) {
        None => Ok(None),
        Some(s) if s.len() > 100 => Err(ParamError::new(param, "too_long")),
        Some(s) => Ok(Some(s.to_string())),
    }
}

impl ListQuery {
    /// Parses raw parameters; `allow_limit` is false for pages, which always show [`PAGE_SIZE`].
    pub fn parse(raw: &RawListParams, allow_limit: bool) -> Result<ListQuery, ParamError> {
        let status = match present(&raw.status) {
            None => None,
            Some(code) => match IdeaStatus::parse(code) {
                Some(s) if s.can_be_public() => Some(s),
                _ => return Err(ParamError::new("status", "unknown_value")),
            },
        };
        let cursor = match present(&raw.cursor) {
            None => None,
            Some(c) => Some(Cursor::decode(c).ok_or(ParamError::new("cursor", "invalid_cursor"))?),
        };
        let limit = match (present(&raw.limit), allow_limit) {
            (None, _) | (Some(_), false) => PAGE_SIZE,
            (Some(l), true) => match l.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(ParamError::new("limit", "invalid_limit")),
            },
        };
        let q = match present(&raw.q) {
            None => None,
            Some(text) if text.chars().count() > MAX_QUERY_CHARS => {
                return Err(ParamError::new("q", "too_long"));
            }
            Some(text) => Some(text.to_string()),
        };
        let search = q.as_deref().and_then(SearchTerms::parse);
        let page = match present(&raw.page) {
            None => 1,
            Some(p) => match p.parse::<u32>() {
                Ok(n) if (1..=MAX_SEARCH_PAGE).contains(&n) => n,
                _ => return Err(ParamError::new("page", "invalid_page")),
            },
        };
        Ok(ListQuery {
            contest: slug("contest", &raw.contest)?,
            category: slug("category", &raw.category)?,
            unit: slug("unit", &raw.unit)?,
            status,
            cursor: if search.is_some() { None } else { cursor },
            limit,
            page: if search.is_some() { page } else { 1 },
            q,
            search,
        })
    }

    /// The filters and the search text as query-string pairs (no cursor, page or limit), for links that keep both.
    pub fn link_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        pairs.extend(self.filter_pairs());
        pairs
    }

    /// The filters as query-string pairs (no cursor, no limit), for building links.
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(c) = &self.contest {
            pairs.push(("contest", c.clone()));
        }
        if let Some(c) = &self.category {
            pairs.push(("category", c.clone()));
        }
        if let Some(u) = &self.unit {
            pairs.push(("unit", u.clone()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.code().to_string()));
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawListParams {
        let mut r = RawListParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "contest" => r.contest = v,
                "category" => r.category = v,
                "unit" => r.unit = v,
                "status" => r.status = v,
                "cursor" => r.cursor = v,
                "limit" => r.limit = v,
                "q" => r.q = v,
                "page" => r.page = v,
                _ => {}
            }
        }
        r
    }

    #[test]
    fn cursor_round_trip() {
        let c = Cursor {
            listed_at: DateTime::from_timestamp_micros(1_612_345_678_901_234)
                .map(|d| d.naive_utc())
                .unwrap_or_default(),
            id: "550e8400-e29b-41d4-a716-446655440000".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "abc",
            "123",
            "123.",
            ".550e8400-e29b-41d4-a716-446655440000",
            "-5.550e8400-e29b-41d4-a716-446655440000",
            "99999999999999999999.550e8400-e29b-41d4-a716-446655440000",
            "1.nope",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn search_text_and_pages() {
        let q = ListQuery::parse(&raw(&[("q", "  Ùn tắc  "), ("page", "3")]), false);
        let q = q.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(q.q.as_deref(), Some("Ùn tắc"));
        assert_eq!(
            q.search.as_ref().map(|s| s.words.clone()),
            Some(vec!["un".to_string()])
        );
        assert_eq!(q.page, 3);
        assert_eq!(q.link_pairs(), vec![("q", "Ùn tắc".to_string())]);
        // Punctuation only: kept for the box, but no search; the page number then means nothing.
        let q = ListQuery::parse(&raw(&[("q", "?!"), ("page", "2")]), false);
        assert_eq!(
            q.map(|q| (q.q, q.search, q.page)),
            Ok((Some("?!".into()), None, 1))
        );
        let long = "ă".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            ListQuery::parse(&raw(&[("q", &long)]), false),
            Err(ParamError::new("q", "too_long"))
        );
        assert!(ListQuery::parse(&raw(&[("q", &long[..long.len() - 2])]), false).is_ok());
        for bad in ["0", "51", "-1", "x", "1.5"] {
            assert_eq!(
                ListQuery::parse(&raw(&[("q", "xe"), ("page", bad)]), true),
                Err(ParamError::new("page", "invalid_page")),
                "{bad}"
            );
        }
        // A search ignores the list's cursor.
        let q = ListQuery::parse(
            &raw(&[
                ("q", "xe"),
                ("cursor", "1.550e8400-e29b-41d4-a716-446655440000"),
            ]),
            true,
        );
        assert_eq!(q.map(|q| q.cursor), Ok(None));
    }

    #[test]
    fn limits_and_statuses() {
        assert_eq!(
            ListQuery::parse(&raw(&[]), true).map(|q| q.limit),
            Ok(PAGE_SIZE)
        );
        assert_eq!(
            ListQuery::parse(&raw(&[("limit", "100")]), true).map(|q| q.limit),
            Ok(100)
        );
        for bad in ["0", "101", "-1", "x", "1.5"] {
            assert_eq!(
                ListQuery::parse(&raw(&[("limit", bad)]), true),
                Err(ParamError::new("limit", "invalid_limit"))
            );
        }
        assert_eq!(
            ListQuery::parse(&raw(&[("limit", "5000")]), false).map(|q| q.limit),
            Ok(PAGE_SIZE)
        );
        assert_eq!(
            ListQuery::parse(&raw(&[("status", "draft")]), true),
            Err(ParamError::new("status", "unknown_value"))
        );
        assert_eq!(
            ListQuery::parse(&raw(&[("status", "selected"), ("category", " ")]), true)
                .map(|q| (q.status, q.category)),
            Ok((Some(IdeaStatus::Selected), None))
        );
    }
}
