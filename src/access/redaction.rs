//! Blind review (DESIGN.md "Review"): the one place that decides what a reviewer may see of an idea and its
//! people. Every view a reviewer gets — pages, API answers, attachment downloads, emails, exports — is built from
//! [`ReviewerIdea`], and only [`for_reviewer`] builds one.
//!
//! Reviewers never get an author's or co-author's email or phone in any contest. In a blind contest they also get no
//! names, no unit and no sign of the team's size, the attachments lose their file names ("Tệp đính kèm 1.pdf"), and
//! any name, email or phone of the team written into the idea's own text is replaced by [`HIDDEN`], because authors
//! often sign their ideas.
//!
//! The same holds in aggregates: [`unit_counts_public`] decides when the public statistics may count a blind
//! contest's ideas by unit.

use chrono::NaiveDateTime;

use crate::db::attachments::Attachment;
use crate::db::catalog::Contest;
use crate::db::ideas::Idea;

/// What replaces a name, email or phone found in the text of a blind contest's idea.
pub const HIDDEN: &str = "[đã ẩn]";

/// The people behind an idea, as the redaction needs them: everyone whose identity must not reach a reviewer of a
/// blind contest (the author, the co-authors, and the named contact of an imported idea).
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// Display names, author first.
    pub names: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Phone numbers as typed.
    pub phones: Vec<String>,
    /// The idea's unit, by name.
    pub unit: String,
}

/// An attachment as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerAttachment {
    /// Attachment id.
    pub id: String,
    /// The name shown and sent as the download's file name.
    pub name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
}

/// An idea as a reviewer sees it. There is no field for an email or a phone, and `team` is `None` in a blind
/// contest.
#[derive(Debug, Clone)]
pub struct ReviewerIdea {
    /// Idea id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Thực trạng.
    pub situation: String,
    /// Giải pháp.
    pub solution: String,
    /// Hiệu quả dự kiến.
    pub impact: String,
    /// Resources or cost.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// The attachments.
    pub attachments: Vec<ReviewerAttachment>,
    /// The team's names and their unit, in an open contest only.
    pub team: Option<Team>,
}

/// Who wrote an idea, shown to reviewers of an open (not blind) contest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Names, author first.
    pub names: Vec<String>,
    /// The idea's unit.
    pub unit: String,
}

/// The reviewer's view of `idea`: everything needed to score it, and nothing of its people when `blind`.
pub fn for_reviewer(
    idea: &Idea,
    blind: bool,
    identity: &Identity,
    attachments: &[Attachment],
) -> ReviewerIdea {
    let text = |s: &str| {
        if blind {
            scrub(s, identity)
        } else {
            s.to_string()
        }
    };
    ReviewerIdea {
        id: idea.id.clone(),
        title: text(&idea.title),
        summary: text(&idea.summary),
        situation: text(&idea.situation),
        solution: text(&idea.solution),
        impact: text(&idea.impact),
        resources: text(&idea.resources),
        applies_where: text(&idea.applies_where),
        attachments: attachments
            .iter()
            .enumerate()
            .map(|(i, a)| ReviewerAttachment {
                id: a.id.clone(),
                name: attachment_name(blind, i, &a.file_name),
                content_type: a.content_type.clone(),
                size_bytes: a.size_bytes,
            })
            .collect(),
        team: (!blind).then(|| Team {
            names: identity.names.clone(),
            unit: identity.unit.clone(),
        }),
    }
}

/// An idea as the public sees it while its contest hides the authors (blind, not yet selected): reviewers are also
/// members of the public, so the same scrubbing as [`for_reviewer`] applies to its text and attachment names.
pub fn hide_in_public(idea: &mut Idea, identity: &Identity, files: &mut [Attachment]) {
    for text in [
        &mut idea.title,
        &mut idea.summary,
        &mut idea.situation,
        &mut idea.solution,
        &mut idea.impact,
        &mut idea.resources,
        &mut idea.applies_where,
    ] {
        *text = scrub(text, identity);
    }
    for (i, f) in files.iter_mut().enumerate() {
        f.file_name = attachment_name(true, i, &f.file_name);
    }
}

/// Whether an idea's own picture may be the preview of a shared link (Open Graph, Twitter card): only once the
/// public may see its authors. A photo can show who wrote the idea and, unlike its text, cannot be scrubbed; until
/// then the generated card, made from the scrubbed title, stands in.
pub fn own_picture_in_previews(names_visible: bool) -> bool {
    names_visible
}

/// An idea's title as a reviewer sees it (lists, dashboards, emails): the title with the team's identity scrubbed
/// in a blind contest.
pub fn title_for_reviewer(title: &str, blind: bool, identity: &Identity) -> String {
    if blind {
        scrub(title, identity)
    } else {
        title.to_string()
    }
}

/// Whether the public may see a contest's ideas counted by unit (the statistics page and API). Reviewers are also
/// the public, and blind review must hold in aggregates too: while a blind contest's review is not finished —
/// submissions still open, or an idea still waiting for the outcome of review — counts by unit would tell a reviewer
/// which ward or school the one or two ideas of a category come from, so they are withheld. Open contests, and blind
/// ones once every idea is decided, show them.
pub fn unit_counts_public(contest: &Contest, now: NaiveDateTime, awaiting_decision: i64) -> bool {
    !contest.blind_review || (now >= contest.closes_at && awaiting_decision == 0)
}

/// The name of the `index`-th (from 0) attachment for a reviewer: its own name in an open contest; in a blind one
/// "Tệp đính kèm n" with the file's extension, since authors name files after themselves ("Nguyen Van A - de
/// xuat.pdf").
pub fn attachment_name(blind: bool, index: usize, file_name: &str) -> String {
    if !blind {
        return file_name.to_string();
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|e| format!(".{}", e.to_ascii_lowercase()))
        .unwrap_or_default();
    format!("Tệp đính kèm {}{ext}", index + 1)
}

/// `text` with every name, email and phone of `identity` replaced by [`HIDDEN`]. Names and emails match whatever
/// their case; a phone matches however its digits are spaced or dotted. A one-word name shorter than four letters
/// is left alone: it would also blank ordinary words.
pub fn scrub(text: &str, identity: &Identity) -> String {
    let mut out = text.to_string();
    let mut patterns: Vec<&str> = identity
        .emails
        .iter()
        .chain(identity.names.iter())
        .map(|s| s.trim())
        .filter(|s| s.contains(' ') || s.chars().count() >= 4)
        .collect();
    // Longest first, so a full name is hidden whole before a shorter one could split it.
    patterns.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    for p in patterns {
        out = replace_ignoring_case(&out, p);
    }
    for phone in &identity.phones {
        out = hide_phone(&out, phone);
    }
    out
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// `text` with each occurrence of `pattern` (compared letter by letter in lower case) replaced by [`HIDDEN`].
fn replace_ignoring_case(text: &str, pattern: &str) -> String {
    let needle: Vec<char> = pattern.chars().map(lower).collect();
    if needle.is_empty() {
        return text.to_string();
    }
    let hay: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < hay.len() {
        if i + needle.len() <= hay.len()
            && hay[i..i + needle.len()]
                .iter()
                .zip(&needle)
                .all(|(a, b)| lower(*a) == *b)
        {
            out.push_str(HIDDEN);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// `text` with every run of digits (with the spaces, dots, dashes and `+` people type between them) whose digits
/// are the phone's replaced by [`HIDDEN`]. A number written with the country code (+84 90…) matches one written
/// with the leading 0, by their last nine digits.
fn hide_phone(text: &str, phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return text.to_string();
    }
    let tail = |d: &str| d[d.len().saturating_sub(9)..].to_string();
    let want = tail(&digits);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || " .-+()".contains(chars[j])) {
                j += 1;
            }
            // Trailing separators belong to the text, not the number.
            while j > i && !chars[j - 1].is_ascii_digit() {
                j -= 1;
            }
            let run: String = chars[i..j].iter().collect();
            let run_digits: String = run.chars().filter(char::is_ascii_digit).collect();
            if run_digits.len() >= 6 && tail(&run_digits) == want {
                out.push_str(HIDDEN);
            } else {
                out.push_str(&run);
            }
            if j == i {
                out.push(chars[i]);
                j = i + 1;
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Identity {
        Identity {
            names: vec!["Nguyễn Thị Lan".into(), "Bảo".into(), "Trần Minh".into()],
            emails: vec!["lan.nguyen@example.org".into()],
            phones: vec!["0901 234 567".into()],
            unit: "Phường 12".into(),
        }
    }

    #[test]
    fn names_emails_and_phones_are_hidden_in_text() {
        let t = "Nhóm NGUYỄN THỊ LAN và trần minh (lan.Nguyen@example.org, +84 901.234.567) đề xuất; Bảo vệ môi trường.";
        let s = scrub(t, &team());
        assert!(!s.to_lowercase().contains("nguyễn thị lan"), "{s}");
        assert!(!s.to_lowercase().contains("trần minh"), "{s}");
        assert!(!s.contains("example.org"), "{s}");
        assert!(!s.contains("234"), "{s}");
        // A short one-word name does not blank the ordinary word it also is.
        assert!(s.contains("Bảo vệ môi trường"), "{s}");
        assert_eq!(s.matches(HIDDEN).count(), 4, "{s}");
    }

    #[test]
    fn other_numbers_stay() {
        let s = scrub(
            "Giảm 30% ùn tắc trong 12 tháng, tổng kinh phí 15.000.000 đồng.",
            &team(),
        );
        assert_eq!(
            s,
            "Giảm 30% ùn tắc trong 12 tháng, tổng kinh phí 15.000.000 đồng."
        );
    }

    #[test]
    fn blind_attachments_lose_their_names_but_keep_the_extension() {
        assert_eq!(
            attachment_name(true, 0, "Nguyen Thi Lan - de xuat.PDF"),
            "Tệp đính kèm 1.pdf"
        );
        assert_eq!(attachment_name(true, 2, "anh"), "Tệp đính kèm 3");
        assert_eq!(attachment_name(false, 0, "de xuat.pdf"), "de xuat.pdf");
    }

    #[test]
    fn blind_contests_withhold_unit_counts_until_every_idea_is_decided() {
        let closes = chrono::NaiveDate::from_ymd_opt(2026, 1, 31)
            .and_then(|d| d.and_hms_opt(16, 0, 0))
            .unwrap();
        let contest = |blind| Contest {
            id: "c".into(),
            unit_id: "u".into(),
            slug: "s".into(),
            title: "t".into(),
            description: String::new(),
            rules: String::new(),
            opens_at: closes - chrono::Duration::days(90),
            closes_at: closes,
            max_ideas_per_member: 5,
            ideas_public: true,
            blind_review: blind,
            created_at: closes,
            updated_at: closes,
        };
        let before = closes - chrono::Duration::hours(1);
        let after = closes + chrono::Duration::days(30);
        assert!(unit_counts_public(&contest(false), before, 12));
        assert!(!unit_counts_public(&contest(true), before, 0));
        assert!(!unit_counts_public(&contest(true), after, 1));
        assert!(unit_counts_public(&contest(true), after, 0));
    }

    #[test]
    fn open_contests_show_the_team_blind_ones_do_not() {
        let idea = Idea {
            id: "i".into(),
            contest_id: "c".into(),
            category_id: "k".into(),
            unit_id: "u".into(),
            author_id: "a".into(),
            title: "Ý tưởng của Nguyễn Thị Lan".into(),
            summary: String::new(),
            situation: String::new(),
            solution: String::new(),
            impact: String::new(),
            resources: String::new(),
            applies_where: String::new(),
            status: "in_review".into(),
            is_public: false,
            version: 1,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
            submitted_at: None,
            listed_at: None,
            contact_id: None,
        };
        let blind = for_reviewer(&idea, true, &team(), &[]);
        assert!(blind.team.is_none());
        assert_eq!(blind.title, format!("Ý tưởng của {HIDDEN}"));
        let open = for_reviewer(&idea, false, &team(), &[]);
        assert_eq!(open.team.unwrap().names.len(), 3);
        assert_eq!(open.title, idea.title);
    }
}
