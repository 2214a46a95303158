//! How alike two ideas are, from their titles and summaries: the pure part of "similar ideas" (shown while an author
//! types) and of the organizers' near-duplicate groups.
//!
//! # Features
//! A text's features are its folded syllables ([`crate::domain::text::fold`]: no accents, no case, đ → d) that are
//! not stop words (very common function syllables, see [`is_stop_word`]), plus every pair of adjacent syllables
//! neither of which is a stop word ("giao thong", "un tac"): Vietnamese words are mostly two syllables, so the pairs
//! are close to the words themselves, and they make word order count a little. Pairs never bridge punctuation
//! ("đường. Giao" is no pair).
//!
//! # Score
//! Each feature weighs [`TITLE_WEIGHT`] when it is in the title, 1 when it is in the summary, the sum when in both.
//! The score of two ideas is the cosine of their weight vectors: 1 for the same features, 0 for none in common.
//! No corpus statistics take part, so a score means the same whatever else is stored.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

use super::text::{fold, for_each_word};

/// How much a feature in the title counts against one in the summary.
pub const TITLE_WEIGHT: u32 = 2;

/// Vietnamese function syllables, written as they are (lower case, precomposed): they say nothing about an idea.
///
/// The list is matched against a syllable as written, not as folded, because folding merges function words with
/// the content words an idea is about: "của" and "cửa", "cho" and "chợ", "tại" and "tái chế", "đến" and "đèn",
/// "mỗi" and "môi trường", "cái" and "cải cách", "thì" and "đô thị", "về" and "vệ sinh", "ở" and "ô nhiễm".
pub const VI_STOP_WORDS: &[&str] = &[
    "và", "của", "các", "cho", "có", "là", "được", "trong", "với", "những", "một", "để", "người",
    "không", "này", "khi", "từ", "đến", "theo", "tại", "về", "như", "đã", "sẽ", "thì", "mà", "nên",
    "hay", "hoặc", "bị", "do", "vì", "ra", "vào", "lên", "trên", "dưới", "nhiều", "rất", "cũng",
    "đang", "việc", "nhằm", "ở", "cả", "nào", "gì", "đều", "bằng", "chỉ", "vẫn", "nữa", "rồi",
    "hơn", "nếu", "từng", "mỗi", "cái", "nhất", "ấy", "kia", "đó", "thế", "sự",
];

/// English stop words. Those whose letters are also a Vietnamese content syllable written without marks are left
/// out on purpose: "an" (an toàn), "to" (to lớn), "in" (in ấn), "on", "be".
pub const EN_STOP_WORDS: &[&str] = &[
    "the", "a", "of", "and", "for", "with", "is", "are", "was", "were", "by", "as", "at", "or",
    "it", "its", "this", "that", "these", "those", "from", "into", "will", "can", "not", "no",
    "our", "we", "you", "your", "their", "they", "has", "have", "had", "but", "so", "than", "then",
    "which", "who", "what", "when", "where", "how",
];

/// Syllables written without any mark that are stop words: the folded Vietnamese list (text typed without accents
/// cannot tell "cua" from "của", and the function word is far more frequent) and the English list.
static UNMARKED_STOP: LazyLock<HashSet<String>> = LazyLock::new(|| {
    VI_STOP_WORDS
        .iter()
        .map(|w| fold(w))
        .chain(EN_STOP_WORDS.iter().map(|w| (*w).to_string()))
        .collect()
});

/// Whether a syllable, as written (`written`) and folded (`folded`), is a stop word: a Vietnamese function word
/// written with its marks, or, for a syllable written without marks, any word whose folded form it is.
pub fn is_stop_word(written: &str, folded: &str) -> bool {
    // Any stop word folds to a member of the unmarked list, so most syllables are answered without an allocation.
    if !UNMARKED_STOP.contains(folded) {
        return false;
    }
    let lower: String = written.nfc().flat_map(char::to_lowercase).collect();
    lower == folded || VI_STOP_WORDS.contains(&lower.as_str())
}

/// One feature of a text: a syllable or two adjacent syllables.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// A folded syllable.
    One(String),
    /// Two adjacent folded syllables, in order.
    Two(String, String),
}

impl Feature {
    /// The feature as text: the syllable, or the two separated by a space (also the words of a phrase search).
    pub fn text(&self) -> String {
        match self {
            Feature::One(w) => w.clone(),
            Feature::Two(a, b) => format!("{a} {b}"),
        }
    }

    /// The feature's key in [`Features`]: a hash of its text.
    fn key(&self) -> u64 {
        match self {
            Feature::One(w) => key_one(w),
            Feature::Two(a, b) => key_two(a, b),
        }
    }
}

/// FNV-1a over the bytes of `parts`, a separator byte between them: 64-bit keys for features, so comparing two
/// ideas compares integers. A collision between two of the few thousand distinct features of a contest is about
/// as likely as winning a lottery twice, and would only nudge a score.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn key_one(w: &str) -> u64 {
    fnv(&[w])
}

fn key_two(a: &str, b: &str) -> u64 {
    fnv(&[a, b])
}

/// Calls `each(previous, current)` for every syllable of `text` that is not a stop word, in order; `previous` is
/// the syllable before it when the two form a pair (neither a stop word, only spaces between them).
fn each_syllable(text: &str, mut each: impl FnMut(Option<&str>, &str)) {
    let mut prev = String::new();
    let mut prev_end: Option<usize> = None;
    for_each_word(text, |start, end, folded| {
        if is_stop_word(&text[start..end], folded) {
            prev_end = None;
            return;
        }
        let paired = prev_end.is_some_and(|e| text[e..start].chars().all(char::is_whitespace));
        each(paired.then_some(prev.as_str()), folded);
        prev.clear();
        prev.push_str(folded);
        prev_end = Some(end);
    });
}

/// The features of one text, in order of first appearance, each once.
pub fn text_features(text: &str) -> Vec<Feature> {
    let mut out: Vec<Feature> = Vec::new();
    let mut seen: HashSet<Feature> = HashSet::new();
    each_syllable(text, |prev, cur| {
        if let Some(p) = prev {
            let pair = Feature::Two(p.to_string(), cur.to_string());
            if seen.insert(pair.clone()) {
                out.push(pair);
            }
        }
        let one = Feature::One(cur.to_string());
        if seen.insert(one.clone()) {
            out.push(one);
        }
    });
    out
}

/// The distinct feature keys of one text, sorted.
fn text_keys(text: &str) -> Vec<u64> {
    let mut keys: Vec<u64> = Vec::new();
    each_syllable(text, |prev, cur| {
        if let Some(p) = prev {
            keys.push(key_two(p, cur));
        }
        keys.push(key_one(cur));
    });
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An idea's features (as keys) with their weights, sorted by key, and the vector's length.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    weights: Vec<(u64, u32)>,
    norm: f64,
}

impl Features {
    /// The features of an idea's title and summary.
    pub fn of(title: &str, summary: &str) -> Features {
        let (t, s) = (text_keys(title), text_keys(summary));
        // Merge the two sorted lists, adding the weights of a key in both.
        let mut weights: Vec<(u64, u32)> = Vec::with_capacity(t.len() + s.len());
        let (mut i, mut j) = (0, 0);
        while i < t.len() || j < s.len() {
            match (t.get(i), s.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    weights.push((*a, TITLE_WEIGHT + 1));
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a < b => {
                    weights.push((*a, TITLE_WEIGHT));
                    i += 1;
                }
                (Some(a), None) => {
                    weights.push((*a, TITLE_WEIGHT));
                    i += 1;
                }
                (_, Some(b)) => {
                    weights.push((*b, 1));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        let norm = weights
            .iter()
            .map(|(_, w)| f64::from(*w).powi(2))
            .sum::<f64>()
            .sqrt();
        Features { weights, norm }
    }

    /// Whether the text has no feature at all (empty, punctuation, only stop words).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The feature keys and their weights, sorted by key.
    pub fn weights(&self) -> &[(u64, u32)] {
        &self.weights
    }

    /// How alike the two are, from 0 (nothing in common) to 1 (the same features with the same weights).
    pub fn score(&self, other: &Features) -> f64 {
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        let (a, b) = (&self.weights, &other.weights);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += f64::from(a[i].1) * f64::from(b[j].1);
                    i += 1;
                    j += 1;
                }
            }
        }
        (dot / (self.norm * other.norm)).clamp(0.0, 1.0)
    }
}

/// The features of an idea's title and summary in the order to look candidates up by, the likeliest to be
/// specific first: single syllables before pairs (a pair is only worth reading when its syllables are), each kind
/// heaviest first (title before summary), then longer before shorter.
pub fn search_terms(title: &str, summary: &str) -> Vec<Feature> {
    let weights = Features::of(title, summary);
    let weight_of = |f: &Feature| {
        let k = f.key();
        weights
            .weights
            .binary_search_by(|(key, _)| key.cmp(&k))
            .map_or(0, |at| weights.weights[at].1)
    };
    let mut all: Vec<(Feature, u32)> = Vec::new();
    for f in text_features(title)
        .into_iter()
        .chain(text_features(summary))
    {
        if !all.iter().any(|(g, _)| *g == f) {
            let w = weight_of(&f);
            all.push((f, w));
        }
    }
    all.sort_by(|a, b| {
        let pair = |f: &Feature| matches!(f, Feature::Two(..));
        pair(&a.0)
            .cmp(&pair(&b.0))
            .then(b.1.cmp(&a.1))
            .then(b.0.text().len().cmp(&a.0.text().len()))
            .then(a.0.cmp(&b.0))
    });
    all.into_iter().map(|(f, _)| f).collect()
}

/// `text` cut to at most `max` characters at a word boundary, with "…" when something was cut.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let kept = match cut.rfind(char::is_whitespace) {
        Some(at) if at > cut.len() / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        kept.trim_end_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
    )
}

/// Near-duplicate grouping: features that occur in more ideas than this are not used to find pairs (they would make
/// the work grow with the square of the contest's size); pairs are still scored on every feature.
pub const MAX_POSTING: usize = 200;
/// Near-duplicate grouping: how many of an idea's rarest features are used to find its candidate pairs.
pub const PREFIX: usize = 10;
/// Near-duplicate grouping: how many candidates (those sharing the most rare features) are scored per idea.
pub const CANDIDATES_PER_IDEA: usize = 20;

/// A group of near-duplicate ideas, by index into the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The ideas of the group (at least two), in input order, each with its best score against another member.
    pub members: Vec<(usize, f64)>,
    /// The best score of a pair in the group.
    pub best: f64,
}

/// Groups of ideas that are near-duplicates of each other: ideas linked by a score of at least `threshold`, joined
/// transitively (union-find). Largest groups first, then by best score.
///
/// Cost: ideas with exactly the same features are joined first by hashing (score 1). Among the distinct rest, each
/// idea's candidates are the ideas sharing one of its [`PREFIX`] rarest features, counting only features found in
/// at most [`MAX_POSTING`] ideas, and only the [`CANDIDATES_PER_IDEA`] sharing the most are scored. The work is
/// therefore at most about `n × PREFIX × MAX_POSTING` counter increments plus `n × CANDIDATES_PER_IDEA` scores,
/// linear in the number of ideas. The price is recall at the margin: two ideas whose only common features are
/// found in hundreds of other ideas, or which share none of their rarest features, are not paired.
pub fn near_duplicate_groups(docs: &[Features], threshold: f64) -> Vec<Group> {
    let n = docs.len();
    let mut sets = UnionFind::new(n);
    // best[i]: the best score linking idea i to another idea.
    let mut best = vec![0.0f64; n];

    // Exact duplicates: one representative per distinct feature set.
    let mut reps: Vec<usize> = Vec::new();
    {
        let mut first: HashMap<&[(u64, u32)], usize> = HashMap::with_capacity(n);
        for (i, d) in docs.iter().enumerate() {
            if d.is_empty() {
                continue;
            }
            match first.get(d.weights()) {
                Some(&r) => {
                    sets.union(r, i);
                    best[r] = 1.0;
                    best[i] = 1.0;
                }
                None => {
                    first.insert(d.weights(), i);
                    reps.push(i);
                }
            }
        }
    }

    // How many representatives hold each feature.
    let mut df: KeyMap<usize> = KeyMap::default();
    for &r in &reps {
        for (f, _) in docs[r].weights() {
            *df.entry(*f).or_default() += 1;
        }
    }
    // Each representative's prefix: its rarest usable features (held by 2..=MAX_POSTING representatives).
    let prefixes: Vec<Vec<u64>> = reps
        .iter()
        .map(|&r| {
            let mut usable: Vec<(u64, usize)> = docs[r]
                .weights()
                .iter()
                .map(|(f, _)| (*f, df.get(f).copied().unwrap_or(0)))
                .filter(|(_, n)| (2..=MAX_POSTING).contains(n))
                .collect();
            usable.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
            usable.into_iter().take(PREFIX).map(|(f, _)| f).collect()
        })
        .collect();
    let mut postings: KeyMap<Vec<usize>> = KeyMap::default();
    for (k, prefix) in prefixes.iter().enumerate() {
        for f in prefix {
            postings.entry(*f).or_default().push(k);
        }
    }

    let mut shared = vec![0u32; reps.len()];
    let mut touched: Vec<usize> = Vec::new();
    for (k, prefix) in prefixes.iter().enumerate() {
        for f in prefix {
            for &other in postings.get(f).map(Vec::as_slice).unwrap_or_default() {
                // Each pair once: from the earlier representative.
                if other > k {
                    if shared[other] == 0 {
                        touched.push(other);
                    }
                    shared[other] += 1;
                }
            }
        }
        // Ideas sharing a single rare feature are rarely near-duplicates (they share most of their rarest
        // features), and scoring them was most of the work in a large contest.
        let need = prefix.len().min(2) as u32;
        touched.retain(|o| {
            shared[*o] >= need || {
                shared[*o] = 0;
                false
            }
        });
        // The candidates sharing the most: a partial selection, not a sort of every idea touched.
        let by_shared = |a: &usize, b: &usize| shared[*b].cmp(&shared[*a]).then(a.cmp(b));
        if touched.len() > CANDIDATES_PER_IDEA {
            touched.select_nth_unstable_by(CANDIDATES_PER_IDEA, by_shared);
        }
        for &other in touched.iter().take(CANDIDATES_PER_IDEA) {
            let (a, b) = (reps[k], reps[other]);
            let s = docs[a].score(&docs[b]);
            if s >= threshold {
                sets.union(a, b);
                best[a] = best[a].max(s);
                best[b] = best[b].max(s);
            }
        }
        for &other in &touched {
            shared[other] = 0;
        }
        touched.clear();
    }

    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, b) in best.iter().enumerate() {
        if *b > 0.0 {
            by_root.entry(sets.find(i)).or_default().push(i);
        }
    }
    let mut groups: Vec<Group> = by_root
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|mut m| {
            m.sort_unstable();
            let top = m.iter().map(|&i| best[i]).fold(0.0, f64::max);
            Group {
                members: m.into_iter().map(|i| (i, best[i])).collect(),
                best: top,
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(b.best.total_cmp(&a.best))
            .then(a.members[0].0.cmp(&b.members[0].0))
    });
    groups
}

/// A map keyed by feature keys, which are hashes already: hashing them again (SipHash) was a large part of grouping
/// a big contest.
type KeyMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// Passes a `u64` key through as its own hash.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; anything else is folded in FNV-style so it stays correct.
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Disjoint sets over `0..n`, with path halving and union by size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(w: &str) -> Feature {
        Feature::One(w.into())
    }

    fn two(a: &str, b: &str) -> Feature {
        Feature::Two(a.into(), b.into())
    }

    #[test]
    fn features_are_folded_syllables_and_pairs_without_stop_words() {
        assert_eq!(
            text_features("Giảm ùn tắc giao thông của trường"),
            vec![
                one("giam"),
                two("giam", "un"),
                one("un"),
                two("un", "tac"),
                one("tac"),
                two("tac", "giao"),
                one("giao"),
                two("giao", "thong"),
                one("thong"),
                one("truong"),
            ]
        );
        // Punctuation ends a pair; repeats count once; stop words alone give nothing.
        assert_eq!(
            text_features("Đường. Đường, xe"),
            vec![one("duong"), one("xe")]
        );
        assert!(text_features("và của các, the and of!").is_empty());
        assert!(text_features("VÀ CỦA CÁC, va cua cac").is_empty());
    }

    #[test]
    fn stop_words_are_matched_as_written() {
        // Content words that fold like a function word stay.
        for w in [
            "môi", "chợ", "đèn", "thị", "đô", "cải", "vệ", "ô", "tái", "cửa", "trồng", "vỉa",
        ] {
            assert_eq!(text_features(w).len(), 1, "{w}");
        }
        assert_eq!(
            text_features("môi trường đô thị"),
            vec![
                one("moi"),
                two("moi", "truong"),
                one("truong"),
                two("truong", "do"),
                one("do"),
                two("do", "thi"),
                one("thi"),
            ]
        );
        // Function words go, with or without their marks; combining marks count as marks.
        for w in [
            "của",
            "cho",
            "tại",
            "đến",
            "mỗi",
            "cua",
            "tai",
            "den",
            "moi",
            "thi",
            "cu\u{0309}a",
        ] {
            assert!(text_features(w).is_empty(), "{w}");
        }
        // English words that are also Vietnamese syllables stay.
        assert_eq!(text_features("an toàn").len(), 3);
        assert!(Features::of("", "…").is_empty());
    }

    #[test]
    fn identical_texts_score_one_and_unrelated_near_zero() {
        let a = Features::of(
            "Vạch sơn vùng chờ đón trước cổng trường tiểu học",
            "Kẻ vạch sơn khu vực chờ đón học sinh sát vỉa hè.",
        );
        assert!((a.score(&a.clone()) - 1.0).abs() < 1e-9);
        let b = Features::of(
            "Ngân hàng thời gian cho người cao tuổi",
            "Tình nguyện viên tích giờ giúp đỡ các cụ neo đơn.",
        );
        assert!(a.score(&b) < 0.05, "{}", a.score(&b));
        assert_eq!(a.score(&Features::of("", "")), 0.0);
    }

    #[test]
    fn accents_and_case_are_ignored() {
        let a = Features::of("Ùn tắc giao thông giờ cao điểm", "Đường Ba Tháng Hai");
        let b = Features::of("UN TAC GIAO THONG GIO CAO DIEM", "duong ba thang hai");
        assert!((a.score(&b) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn word_order_counts_a_little() {
        let a = Features::of("ùn tắc giao thông", "");
        let b = Features::of("giao thông ùn tắc", "");
        let s = a.score(&b);
        assert!(s > 0.5 && s < 1.0, "{s}");
        // A shared title counts more than a shared summary.
        let t = Features::of("Thùng rác phân loại", "Đặt ở chợ");
        let same_title = Features::of("Thùng rác phân loại", "Tuyên truyền cho học sinh");
        let same_summary = Features::of("Tuyến xe buýt mới", "Đặt ở chợ");
        assert!(t.score(&same_title) > t.score(&same_summary));
    }

    #[test]
    fn search_terms_put_title_syllables_first() {
        let terms = search_terms("Đèn giao thông", "Đèn hỏng ở ngã tư");
        assert_eq!(
            terms,
            vec![
                one("den"),
                one("thong"),
                one("giao"),
                one("hong"),
                one("nga"),
                one("tu"),
                two("giao", "thong"),
                two("den", "giao"),
                two("den", "hong"),
                two("nga", "tu"),
            ]
        );
    }

    #[test]
    fn shortening_cuts_at_a_word() {
        assert_eq!(shorten("  ngắn  ", 10), "ngắn");
        assert_eq!(shorten("một hai ba bốn năm sáu", 12), "một hai ba…");
        assert_eq!(shorten("abcdefghijkl", 5), "abcde…");
    }

    #[test]
    fn groups_join_near_duplicates_transitively() {
        let docs = vec![
            Features::of(
                "Thùng rác phân loại tại chợ Nguyễn Tri Phương",
                "Đặt thùng rác ba ngăn ở chợ.",
            ),
            Features::of(
                "Ngân hàng thời gian cho người cao tuổi",
                "Tình nguyện viên tích giờ giúp đỡ các cụ neo đơn.",
            ),
            Features::of(
                "Thùng rác phân loại tại chợ Nguyễn Tri Phương",
                "Đặt thùng rác ba ngăn ở chợ!",
            ),
            Features::of(
                "Thùng rác phân loại ở chợ Nguyễn Tri Phương",
                "Đặt thùng rác ba ngăn ở chợ và nhắc tiểu thương.",
            ),
            Features::of("", ""),
            Features::of("", ""),
        ];
        let groups = near_duplicate_groups(&docs, 0.6);
        assert_eq!(groups.len(), 1, "{groups:?}");
        let members: Vec<usize> = groups[0].members.iter().map(|m| m.0).collect();
        assert_eq!(members, vec![0, 2, 3]);
        assert_eq!(groups[0].best, 1.0);
        assert!(groups[0].members[2].1 >= 0.6 && groups[0].members[2].1 < 1.0);
        assert!(
            near_duplicate_groups(&docs, 1.01).len() == 1,
            "exact copies still group"
        );
        assert!(near_duplicate_groups(&[], 0.6).is_empty());
    }

    #[test]
    fn grouping_stays_linear_when_every_word_is_common() {
        // 3,000 ideas made of 30 texts: every feature is held by far more ideas than MAX_POSTING.
        let texts: Vec<(String, String)> = (0..30)
            .map(|k| (format!("k{k}x k{k}y k{k}z"), format!("m{k}p m{k}q")))
            .collect();
        let docs: Vec<Features> = (0..3000)
            .map(|i| {
                let (t, s) = &texts[i % 30];
                Features::of(t, s)
            })
            .collect();
        let groups = near_duplicate_groups(&docs, 0.6);
        assert_eq!(groups.len(), 30);
        assert!(groups.iter().all(|g| g.members.len() == 100));
    }
}
