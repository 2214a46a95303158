//! What pages and the API show of stored rows: dates in Vietnam's time, names in the reader's language, links.

use chrono::NaiveDateTime;
use chrono_tz::Asia::Ho_Chi_Minh;

use super::i18n::Lang;
use crate::db::ideas::ListRow;
use crate::domain::status::IdeaStatus;

/// A UTC time shown as a date in Asia/Ho_Chi_Minh.
pub fn date(lang: Lang, t: NaiveDateTime) -> String {
    let local = t.and_utc().with_timezone(&Ho_Chi_Minh);
    match lang {
        Lang::Vi => local.format("%d/%m/%Y").to_string(),
        Lang::En => local.format("%-d %b %Y").to_string(),
    }
}

/// A UTC time shown as date and time in Asia/Ho_Chi_Minh.
pub fn date_time(lang: Lang, t: NaiveDateTime) -> String {
    let local = t.and_utc().with_timezone(&Ho_Chi_Minh);
    match lang {
        Lang::Vi => local.format("%H:%M, %d/%m/%Y").to_string(),
        Lang::En => local.format("%-d %b %Y, %H:%M").to_string(),
    }
}

/// A UTC time as RFC 3339 with the Vietnam offset, for `<time datetime>` and the API.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().with_timezone(&Ho_Chi_Minh).to_rfc3339()
}

/// The status's name in `lang`; unknown codes show as they are.
pub fn status_label(lang: Lang, code: &str) -> String {
    match IdeaStatus::parse(code) {
        Some(s) => lang.t(&s.label_key()).to_string(),
        None => code.to_string(),
    }
}

/// A path with a query string built from `pairs` (URL-encoded).
pub fn href(path: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_string();
    }
    match serde_urlencoded::to_string(pairs) {
        Ok(q) => format!("{path}?{q}"),
        Err(_) => path.to_string(),
    }
}

/// An idea as a card in a list.
pub struct IdeaCard {
    /// Link target.
    pub href: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Status code (for the badge's style).
    pub status: String,
    /// Status name.
    pub status_label: String,
    /// Category name.
    pub category: String,
    /// Unit name.
    pub unit: String,
    /// Contest title.
    pub contest: String,
    /// Date listed, shown.
    pub date: String,
    /// Date listed, machine-readable.
    pub datetime: String,
}

impl IdeaCard {
    /// A card for a list row.
    pub fn from_row(lang: Lang, r: &ListRow) -> IdeaCard {
        IdeaCard {
            href: format!("/ideas/{}", r.id),
            title: r.title.clone(),
            summary: r.summary.clone(),
            status: r.status.clone(),
            status_label: status_label(lang, &r.status),
            category: if lang == Lang::En {
                r.category_name_en.clone()
            } else {
                r.category_name_vi.clone()
            },
            unit: r.unit_name.clone(),
            contest: r.contest_title.clone(),
            date: r.listed_at.map(|t| date(lang, t)).unwrap_or_default(),
            datetime: r.listed_at.map(rfc3339).unwrap_or_default(),
        }
    }
}

/// An option of a filter `<select>`.
pub struct Choice {
    /// Submitted value.
    pub value: String,
    /// Shown label.
    pub label: String,
    /// Whether it is the current value.
    pub selected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_vietnam_time() {
        let t = chrono::NaiveDate::from_ymd_opt(2021, 3, 31)
            .and_then(|d| d.and_hms_opt(18, 30, 0))
            .unwrap();
        assert_eq!(date(Lang::Vi, t), "01/04/2021");
        assert_eq!(date_time(Lang::Vi, t), "01:30, 01/04/2021");
        assert_eq!(rfc3339(t), "2021-04-01T01:30:00+07:00");
    }

    #[test]
    fn hrefs_are_encoded() {
        assert_eq!(
            href("/ideas", &[("unit", "phường 1&x".into())]),
            "/ideas?unit=ph%C6%B0%E1%BB%9Dng+1%26x"
        );
        assert_eq!(href("/ideas", &[]), "/ideas");
    }
}
