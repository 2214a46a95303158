//! Folding text for search, the same way for the index, the query and the highlighting.
//!
//! Vietnamese is written with tone and vowel marks that people often leave out when they type ("un tac giao thong"
//! for "ùn tắc giao thông") and with đ, which Unicode does not decompose into d plus a mark. [`fold`] turns both
//! into plain lower-case letters: canonical decomposition (NFD), combining marks dropped, đ/Đ → d, letters and
//! digits kept, everything else a single space. Both engines index text folded here, so SQLite and PostgreSQL find
//! the same ideas for the same words, and neither needs `unaccent` or a special tokenizer.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// How one character of the original text takes part in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A letter or digit: it adds its folded form to the current word (or starts one).
    Word,
    /// A combining mark or a letter that folds to nothing: part of the current word, adds nothing.
    Mark,
    /// Anything else ends the current word.
    Space,
}

/// Appends the folded form of `c` to `out` and tells how `c` takes part in a word.
fn fold_char(c: char, out: &mut String) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            Class::Word
        } else {
            Class::Space
        };
    }
    if !c.is_alphanumeric() {
        return if is_combining_mark(c) {
            Class::Mark
        } else {
            Class::Space
        };
    }
    let before = out.len();
    decompose_canonical(c, |part| {
        if is_combining_mark(part) {
            return;
        }
        for lower in part.to_lowercase() {
            match lower {
                'đ' => out.push('d'),
                l if is_combining_mark(l) => {}
                l => out.push(l),
            }
        }
    });
    if out.len() > before {
        Class::Word
    } else {
        Class::Mark
    }
}

/// Calls `each(start, end, folded)` for every word of `text`, in order: `start..end` is the word's byte range in
/// `text` (combining marks that follow a word belong to it), `folded` its folded form (never empty).
pub fn for_each_word(text: &str, mut each: impl FnMut(usize, usize, &str)) {
    let mut word = String::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let was_empty = word.is_empty();
        match fold_char(c, &mut word) {
            Class::Word => {
                if was_empty {
                    start = i;
                }
                end = i + c.len_utf8();
            }
            Class::Mark => {
                if !was_empty {
                    end = i + c.len_utf8();
                }
            }
            Class::Space => {
                if !was_empty {
                    each(start, end, &word);
                    word.clear();
                }
            }
        }
    }
    if !word.is_empty() {
        each(start, end, &word);
    }
}

/// The folded form of `text`: its words, folded, separated by single spaces.
///
/// "Ùn tắc GIAO THÔNG, đường Ba Tháng Hai!" → "un tac giao thong duong ba thang hai".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for_each_word(text, |_, _, w| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    });
    out
}

/// The folded words of `text`, in order (repeats kept).
pub fn folded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for_each_word(text, |_, _, w| words.push(w.to_string()));
    words
}

/// The most distinct words a search uses: the first `MAX_SEARCH_WORDS - 1` and the last one typed. Longer queries
/// are rare and each word costs the index one more list to intersect.
pub const MAX_SEARCH_WORDS: usize = 8;

/// What a search looks for: words that must all occur (folded), the last one typed also as a prefix, so a
/// half-typed word finds ("giao th" finds "giao thông").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    /// Whole words that must occur, folded, distinct, in the order typed.
    pub words: Vec<String>,
    /// The last word typed, which may be the beginning of a longer word; `None` when an earlier word already
    /// implies it ("thong giao th": any text with "thong" has a word starting with "th").
    pub prefix: Option<String>,
}

impl SearchTerms {
    /// The terms of a query; `None` when it has no letters or digits (no search at all).
    pub fn parse(query: &str) -> Option<SearchTerms> {
        let mut all = folded_words(query);
        let last = all.pop()?;
        let mut words: Vec<String> = Vec::new();
        for w in all {
            if w != last && !words.contains(&w) {
                words.push(w);
            }
        }
        words.truncate(MAX_SEARCH_WORDS - 1);
        let prefix = if words.iter().any(|w| w.starts_with(&last)) {
            None
        } else {
            Some(last)
        };
        Some(SearchTerms { words, prefix })
    }

    /// Whether a folded word of a text matches one of the terms.
    pub fn matches(&self, folded: &str) -> bool {
        self.words.iter().any(|w| w == folded)
            || self
                .prefix
                .as_deref()
                .is_some_and(|p| folded.starts_with(p))
    }

    /// Every term, whole words first and the prefix last.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .map(String::as_str)
            .chain(self.prefix.as_deref())
    }
}

/// The byte ranges of `text`'s words that match `terms`, in order; adjacent matches separated only by spaces are
/// merged ("ùn tắc" is one range), so a highlighted phrase reads as one.
pub fn matched_ranges(text: &str, terms: &SearchTerms) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for_each_word(text, |start, end, folded| {
        if !terms.matches(folded) {
            return;
        }
        match ranges.last_mut() {
            Some(last) if text[last.1..start].chars().all(|c| c == ' ') => last.1 = end,
            _ => ranges.push((start, end)),
        }
    });
    ranges
}

/// `text` on one line in at most `max` characters, for a meta description or a feed summary: runs of whitespace
/// become single spaces, and a longer text is cut at the last word that leaves room for "…" (inside a word only
/// when the first word alone is longer), without the punctuation the cut leaves dangling.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let keep = max.saturating_sub(1);
    let head: String = flat.chars().take(keep).collect();
    let at_word_end = flat.chars().nth(keep) == Some(' ');
    let cut = match head.rfind(' ') {
        _ if at_word_end => head.as_str(),
        Some(i) if i > 0 => &head[..i],
        _ => head.as_str(),
    };
    let cut = cut.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | '-' | '–' | '—' | '(' | '/')
    });
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(
            fold("Ùn tắc GIAO THÔNG, đường Ba Tháng Hai!"),
            "un tac giao thong duong ba thang hai"
        );
        assert_eq!(fold("ư ơ ă â ê ô"), "u o a a e o");
        assert_eq!(
            fold("Ưu tiên ĂN Ở, Ấm êm, Ổn định"),
            "uu tien an o am em on dinh"
        );
        assert_eq!(fold("ĐĐđđ Đà Nẵng"), "dddd da nang");
        assert_eq!(fold("Hiệu quả dự kiến"), "hieu qua du kien");
        assert_eq!(
            fold("NGƯỜI dân; thực-trạng/giải_pháp"),
            "nguoi dan thuc trang giai phap"
        );
    }

    #[test]
    fn combining_input_folds_like_precomposed() {
        // "đường" typed with combining marks: u + horn + grave, o + horn.
        let decomposed = "\u{0111}u\u{031B}\u{0300}o\u{031B}ng";
        assert_eq!(fold(decomposed), "duong");
        assert_eq!(fold("tha\u{0301}ng"), fold("tháng"));
        // A mark with no letter before it belongs to no word.
        assert_eq!(fold("\u{0301}abc \u{0300} x"), "abc x");
    }

    #[test]
    fn emoji_punctuation_and_digits() {
        assert_eq!(
            fold("🚦 Đèn-đỏ 🚗💨 ... 3.500.000 đồng!!!"),
            "den do 3 500 000 dong"
        );
        assert_eq!(fold("   "), "");
        assert_eq!(fold("?!…—“”"), "");
        assert_eq!(fold("COVID19 covid-19"), "covid19 covid 19");
        assert_eq!(fold("İstanbul Straße"), "istanbul straße");
    }

    #[test]
    fn word_ranges_point_into_the_original() {
        let text = "Ùn tắc, đường\u{0301}!";
        let mut seen = Vec::new();
        for_each_word(text, |s, e, w| seen.push((&text[s..e], w.to_string())));
        assert_eq!(
            seen,
            vec![
                ("Ùn", "un".to_string()),
                ("tắc", "tac".to_string()),
                ("đường\u{0301}", "duong".to_string()),
            ]
        );
    }

    #[test]
    fn search_terms() {
        assert_eq!(SearchTerms::parse(" !!! 🚦 "), None);
        assert_eq!(SearchTerms::parse(""), None);
        let t = SearchTerms::parse("Ùn tắc giao th").unwrap_or_else(|| panic!("terms"));
        assert_eq!(t.words, vec!["un", "tac", "giao"]);
        assert_eq!(t.prefix.as_deref(), Some("th"));
        assert!(t.matches("thong") && t.matches("tac") && !t.matches("ta"));
        // Repeats count once; a last word implied by an earlier one is no extra prefix.
        let t = SearchTerms::parse("thong giao thong").unwrap_or_else(|| panic!("terms"));
        assert_eq!(
            (t.words.clone(), t.prefix.clone()),
            (vec!["giao".into()], Some("thong".into()))
        );
        let t = SearchTerms::parse("thong giao th").unwrap_or_else(|| panic!("terms"));
        assert_eq!(
            (t.words.clone(), t.prefix.clone()),
            (vec!["thong".into(), "giao".into()], None)
        );
        assert_eq!(t.all().collect::<Vec<_>>(), vec!["thong", "giao"]);
        // Đ and d are the same letter to search.
        assert_eq!(SearchTerms::parse("Đ"), SearchTerms::parse("d"));
        // At most eight words: the first seven and the last.
        let t = SearchTerms::parse("a b c d e f g h i j").unwrap_or_else(|| panic!("terms"));
        assert_eq!(t.words.len(), 7);
        assert_eq!(t.prefix.as_deref(), Some("j"));
    }

    #[test]
    fn ranges_of_matches() {
        let t = SearchTerms::parse("un tac giao th").unwrap_or_else(|| panic!("terms"));
        let text = "Giảm ùn tắc giao thông, Ùn… tắc";
        let got: Vec<&str> = matched_ranges(text, &t)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(got, vec!["ùn tắc giao thông", "Ùn", "tắc"]);
        assert!(matched_ranges("không khớp", &t).is_empty());
    }

    #[test]
    fn excerpts_end_at_a_word() {
        assert_eq!(excerpt("  Ngắn\n gọn  ", 160), "Ngắn gọn");
        let text = "Lắp đèn tín hiệu thông minh, tự điều chỉnh theo lưu lượng xe";
        assert_eq!(excerpt(text, 30), "Lắp đèn tín hiệu thông minh…");
        assert!(excerpt(text, 30).chars().count() <= 30);
        // A cut right after a word keeps the whole word.
        assert_eq!(excerpt("một hai ba", 8), "một hai…");
        assert_eq!(excerpt("Siêuđặcbiệtdài", 6), "Siêuđ…");
        assert_eq!(excerpt(text, 60).chars().count(), 60);
    }
}
