//! What pages and the API show of stored rows: dates in Vietnam's time, names in the reader's language, links.

use chrono::NaiveDateTime;
use chrono_tz::Asia::Ho_Chi_Minh;

use super::i18n::Lang;
use crate::db::ideas::ListRow;
use crate::domain::status::IdeaStatus;
use crate::domain::text::{SearchTerms, matched_ranges};

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

/// A calendar date (already a Vietnamese day) in `lang`'s style.
pub fn day(lang: Lang, d: chrono::NaiveDate) -> String {
    match lang {
        Lang::Vi => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
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
    /// The title as HTML with the searched words in `<mark>` (built by [`highlight`] from escaped pieces).
    pub title_html: Option<String>,
    /// The summary as HTML with the searched words in `<mark>`.
    pub summary_html: Option<String>,
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
            title_html: None,
            summary_html: None,
        }
    }

    /// The card with the words of `terms` marked in its title and summary.
    pub fn highlighted(mut self, terms: &SearchTerms) -> IdeaCard {
        self.title_html = Some(highlight(&self.title, terms));
        self.summary_html = Some(highlight(&self.summary, terms));
        self
    }
}

/// Appends `text` to `out` escaped for HTML text and attribute values (the same characters askama escapes).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `text` as HTML, escaped, with the words that match `terms` (compared folded: "un tac" marks "Ùn tắc") wrapped
/// in `<mark>`. The only markup in the result is the `<mark>` tags added here, so it may be output unescaped.
pub fn highlight(text: &str, terms: &SearchTerms) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for (start, end) in matched_ranges(text, terms) {
        escape_into(&mut out, &text[at..start]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[start..end]);
        out.push_str("</mark>");
        at = end;
    }
    escape_into(&mut out, &text[at..]);
    out
}

/// A score or weight with two decimals at most, trailing zeros dropped, in the reader's notation ("7,25" in
/// Vietnamese, "7.25" in English).
pub fn decimal(lang: Lang, x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s.to_string(),
    }
}

/// A file size for people ("1,2 MB").
pub fn file_size(lang: Lang, bytes: i64) -> String {
    crate::domain::attachment::human_size(bytes, lang == Lang::Vi)
}

/// A count with the reader's thousands separator ("1.000" in Vietnamese, "1,000" in English).
pub fn count(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Vi => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(d);
    }
    out
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
    fn highlighting_escapes_everything_but_its_marks() {
        let terms = SearchTerms::parse("un tac script").unwrap();
        assert_eq!(
            highlight("<script>alert('ùn tắc')</script> & \"Ùn\"", &terms),
            "&#60;<mark>script</mark>&#62;alert(&#39;<mark>ùn tắc</mark>&#39;)&#60;/<mark>script</mark>&#62; \
             &#38; &#34;<mark>Ùn</mark>&#34;"
        );
        assert_eq!(highlight("a < b", &terms), "a &#60; b");
    }

    #[test]
    fn counts_use_the_readers_separator() {
        assert_eq!(count(Lang::Vi, 1000), "1.000");
        assert_eq!(count(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(count(Lang::En, 999), "999");
        assert_eq!(count(Lang::Vi, 0), "0");
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
