//! Renders an [`Outgoing`] into subject, text and HTML, from the templates under `frontend/templates/email/`.
//! The words live in the templates, one branch per language.

use askama::Template;
use chrono::{FixedOffset, NaiveDateTime};

use super::{MailKind, Outgoing};

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// The language it was rendered in.
    pub lang: &'static str,
    /// One line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// What every email template sees.
pub(crate) struct Common<'a> {
    /// `vi` or `en`.
    pub lang: &'a str,
    /// The recipient's name (may be empty).
    pub name: &'a str,
    /// The portal's public address.
    pub site: &'a str,
    /// The rendered subject (the HTML title).
    pub subject: &'a str,
}

#[derive(Template)]
#[template(path = "email/subject.txt")]
struct Subject<'a> {
    lang: &'a str,
    kind: &'a str,
}

/// Declares the text and HTML templates of one kind of email, with their own fields besides `c`.
macro_rules! email_templates {
    ($text:ident = $text_path:literal, $html:ident = $html_path:literal, { $($field:ident),* }) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            c: &'a Common<'a>,
            $($field: &'a str,)*
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            c: &'a Common<'a>,
            $($field: &'a str,)*
        }
    };
}

email_templates!(
    VerifyText = "email/verify.txt",
    VerifyHtml = "email/verify.html",
    { link }
);
email_templates!(
    ResetText = "email/password_reset.txt",
    ResetHtml = "email/password_reset.html",
    { link }
);
email_templates!(
    AlreadyText = "email/already_registered.txt",
    AlreadyHtml = "email/already_registered.html",
    { signin_link, reset_link }
);
email_templates!(
    StatusText = "email/idea_status.txt",
    StatusHtml = "email/idea_status.html",
    { title, status, reason, comments, link }
);
email_templates!(
    InvitationText = "email/reviewer_invitation.txt",
    InvitationHtml = "email/reviewer_invitation.html",
    { contest, inviter, cap, link }
);
email_templates!(
    AssignedText = "email/reviews_assigned.txt",
    AssignedHtml = "email/reviews_assigned.html",
    { contest, count, link }
);
email_templates!(
    ReminderText = "email/review_reminder.txt",
    ReminderHtml = "email/review_reminder.html",
    { contest, count, due, overdue, link }
);
email_templates!(
    AdoptionText = "email/adoption_update.txt",
    AdoptionHtml = "email/adoption_update.html",
    { title, what, text, progress, link }
);
email_templates!(
    ChangedText = "email/password_changed.txt",
    ChangedHtml = "email/password_changed.html",
    { time, date }
);

/// The language an email is written in: English when asked for, Vietnamese otherwise.
pub(crate) fn language(lang: &str) -> &'static str {
    if lang.trim().eq_ignore_ascii_case("en") {
        "en"
    } else {
        "vi"
    }
}

/// Renders `msg` for the portal at `site`; `now` dates the password-change notice.
pub(crate) fn render(
    msg: &Outgoing,
    site: &str,
    now: NaiveDateTime,
) -> Result<Rendered, askama::Error> {
    let lang = language(&msg.lang);
    let subject = one_line(
        &Subject {
            lang,
            kind: msg.kind.code(),
        }
        .render()?,
    );
    let c = Common {
        lang,
        name: msg.to_name.trim(),
        site,
        subject: &subject,
    };
    let (text, html) = match &msg.kind {
        MailKind::Verify { link } => (
            VerifyText { c: &c, link }.render()?,
            VerifyHtml { c: &c, link }.render()?,
        ),
        MailKind::PasswordReset { link } => (
            ResetText { c: &c, link }.render()?,
            ResetHtml { c: &c, link }.render()?,
        ),
        MailKind::AlreadyRegistered {
            signin_link,
            reset_link,
        } => (
            AlreadyText {
                c: &c,
                signin_link,
                reset_link,
            }
            .render()?,
            AlreadyHtml {
                c: &c,
                signin_link,
                reset_link,
            }
            .render()?,
        ),
        MailKind::IdeaStatus {
            title,
            status,
            reason,
            comments,
            link,
        } => (
            StatusText {
                c: &c,
                title,
                status,
                reason,
                comments,
                link,
            }
            .render()?,
            StatusHtml {
                c: &c,
                title,
                status,
                reason,
                comments,
                link,
            }
            .render()?,
        ),
        MailKind::ReviewerInvitation {
            contest,
            inviter,
            cap,
            link,
        } => (
            InvitationText {
                c: &c,
                contest,
                inviter,
                cap,
                link,
            }
            .render()?,
            InvitationHtml {
                c: &c,
                contest,
                inviter,
                cap,
                link,
            }
            .render()?,
        ),
        MailKind::ReviewsAssigned {
            contest,
            count,
            link,
        } => (
            AssignedText {
                c: &c,
                contest,
                count,
                link,
            }
            .render()?,
            AssignedHtml {
                c: &c,
                contest,
                count,
                link,
            }
            .render()?,
        ),
        MailKind::ReviewReminder {
            contest,
            count,
            due,
            overdue,
            link,
        } => {
            let overdue = if *overdue { "yes" } else { "" };
            (
                ReminderText {
                    c: &c,
                    contest,
                    count,
                    due,
                    overdue,
                    link,
                }
                .render()?,
                ReminderHtml {
                    c: &c,
                    contest,
                    count,
                    due,
                    overdue,
                    link,
                }
                .render()?,
            )
        }
        MailKind::AdoptionUpdate {
            title,
            what,
            text,
            progress,
            link,
        } => (
            AdoptionText {
                c: &c,
                title,
                what,
                text,
                progress,
                link,
            }
            .render()?,
            AdoptionHtml {
                c: &c,
                title,
                what,
                text,
                progress,
                link,
            }
            .render()?,
        ),
        MailKind::PasswordChanged => {
            // Vietnam keeps UTC+7 all year.
            let local = FixedOffset::east_opt(7 * 3600)
                .map(|tz| now.and_utc().with_timezone(&tz).naive_local())
                .unwrap_or(now);
            let time = local.format("%H:%M").to_string();
            let date = local.format("%d/%m/%Y").to_string();
            (
                ChangedText {
                    c: &c,
                    time: &time,
                    date: &date,
                }
                .render()?,
                ChangedHtml {
                    c: &c,
                    time: &time,
                    date: &date,
                }
                .render()?,
            )
        }
    };
    Ok(Rendered {
        lang,
        text: tidy(&text, true),
        html: tidy(&html, false),
        subject,
    })
}

/// Collapses a rendered subject to one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims what template tags leave: trailing spaces, blank lines at the ends, and runs of blank lines (kept as one
/// blank line, the paragraph break, when `paragraphs`; dropped otherwise, for HTML).
fn tidy(s: &str, paragraphs: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 && paragraphs {
                "\n\n"
            } else {
                "\n"
            });
        }
        blank = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(lang: &str, kind: MailKind) -> Outgoing {
        Outgoing {
            to: "an@example.vn".into(),
            to_name: "Nguyễn Văn An".into(),
            lang: lang.into(),
            kind,
        }
    }

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(7, 5, 0))
            .unwrap()
    }

    #[test]
    fn every_kind_renders_in_both_languages() {
        let kinds = [
            MailKind::Verify {
                link: "https://p.vn/verify?t=a&b=<c>".into(),
            },
            MailKind::PasswordReset {
                link: "https://p.vn/reset?t=x".into(),
            },
            MailKind::AlreadyRegistered {
                signin_link: "https://p.vn/signin".into(),
                reset_link: "https://p.vn/forgot".into(),
            },
            MailKind::PasswordChanged,
            MailKind::ReviewerInvitation {
                contest: "Sáng tạo trẻ 2026".into(),
                inviter: "Trần Thị Bình".into(),
                cap: "30".into(),
                link: "https://p.vn/invitation?token=x".into(),
            },
            MailKind::ReviewsAssigned {
                contest: "Sáng tạo trẻ 2026".into(),
                count: "12".into(),
                link: "https://p.vn/review".into(),
            },
            MailKind::ReviewReminder {
                contest: "Sáng tạo trẻ 2026".into(),
                count: "3".into(),
                due: "17:00, 05/12/2026".into(),
                overdue: true,
                link: "https://p.vn/review".into(),
            },
            MailKind::AdoptionUpdate {
                title: "Thùng rác phân loại".into(),
                what: "milestone".into(),
                text: "Đã đặt 20 thùng rác".into(),
                progress: "40".into(),
                link: "https://p.vn/ideas/x".into(),
            },
            MailKind::IdeaStatus {
                title: "Thùng rác phân loại".into(),
                status: "selected".into(),
                reason: "Khả thi".into(),
                comments: "— Rất hay".into(),
                link: "https://p.vn/me/ideas/x".into(),
            },
        ];
        for kind in kinds {
            let vi = render(&msg("vi", kind.clone()), "https://p.vn", at()).unwrap();
            let en = render(&msg("en", kind.clone()), "https://p.vn", at()).unwrap();
            assert_eq!((vi.lang, en.lang), ("vi", "en"));
            for r in [&vi, &en] {
                assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{r:?}");
                assert!(r.subject.contains("Sáng tạo trẻ"), "{r:?}");
                assert!(r.text.contains("Nguyễn Văn An"), "{r:?}");
                assert!(r.html.contains("Nguyễn Văn An"), "{r:?}");
                assert!(r.text.contains("https://p.vn"), "{r:?}");
                assert!(!r.text.contains("{{") && !r.html.contains("{{"), "{r:?}");
                assert!(r.html.starts_with("<!DOCTYPE html>"), "{r:?}");
            }
            assert_ne!(vi.subject, en.subject);
            assert!(vi.text.contains("Trân trọng"), "{vi:?}");
            assert!(en.text.contains("Best regards"), "{en:?}");
        }
    }

    #[test]
    fn links_are_raw_in_text_and_escaped_in_html() {
        let r = render(
            &msg(
                "vi",
                MailKind::Verify {
                    link: "https://p.vn/verify?t=a&b=<c>".into(),
                },
            ),
            "https://p.vn",
            at(),
        )
        .unwrap();
        assert!(r.text.contains("https://p.vn/verify?t=a&b=<c>"));
        assert!(!r.html.contains("b=<c>"));
        assert!(
            r.html.contains("verify?t=a&#38;b=&#60;c&#62;")
                || r.html.contains("t=a&amp;b=&lt;c&gt;")
        );
        assert!(r.text.contains("48 giờ"), "{}", r.text);
        assert!(r.html.contains("48 giờ"), "{}", r.html);
    }

    #[test]
    fn expiry_is_stated() {
        let reset = |lang: &str| {
            render(
                &msg(
                    lang,
                    MailKind::PasswordReset {
                        link: "https://p.vn/r".into(),
                    },
                ),
                "https://p.vn",
                at(),
            )
            .unwrap()
        };
        assert!(reset("vi").text.contains("1 giờ"));
        assert!(reset("en").text.contains("1 hour"));
        let verify = render(
            &msg(
                "en",
                MailKind::Verify {
                    link: "https://p.vn/v".into(),
                },
            ),
            "https://p.vn",
            at(),
        )
        .unwrap();
        assert!(verify.text.contains("48 hours"));
    }

    #[test]
    fn unknown_language_is_vietnamese_and_change_time_is_vietnam_time() {
        let r = render(&msg("fr", MailKind::PasswordChanged), "https://p.vn", at()).unwrap();
        assert_eq!(r.lang, "vi");
        // 07:05 UTC is 14:05 in Vietnam.
        assert!(
            r.text.contains("14:05") && r.text.contains("27/11/2026"),
            "{}",
            r.text
        );
    }

    #[test]
    fn tidy_collapses_blank_runs() {
        assert_eq!(tidy("\n  a  \n\n\n\nb\nc\n\n", true), "  a\n\nb\nc\n");
        assert_eq!(tidy("\n<p>\n\n\n</p>\n", false), "<p>\n</p>\n");
    }
}
