//! Email: an outbox written in the caller's transaction, and a worker that delivers it.
//!
//! A use case that sends mail calls [`enqueue`] inside its own transaction: the message is rendered there and then
//! (subject, text and HTML, in the recipient's language) and stored as one `outbox` row, so it commits or rolls back
//! with the change that causes it. A [`Worker`] thread, started by `sangtao::start`, claims due rows, sends them
//! through files (no `SMTP_URL`) or SMTP, and marks them sent, or retries later with exponential back-off, or gives
//! up on a permanent rejection. A crash or an outage delays mail; it loses none. A crash between the mail server's
//! "OK" and the row being marked could send one message twice, with the same `Message-ID`.
//!
//! After committing a transaction that enqueued mail, [`notify`] wakes the workers of this process at once instead
//! of at their next poll.

mod render;
mod transport;
mod worker;

use std::sync::RwLock;

use diesel::QueryResult;

use crate::db::{self, DbConn, outbox};

pub use crate::db::outbox::{MailCounts, MailStatus, OutboxRow};
pub use worker::{MailError, Worker, notify};

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, for the `To` header and the greeting (may be empty).
    pub to_name: String,
    /// The recipient's language: `"vi"` or `"en"` (anything else is Vietnamese).
    pub lang: String,
    /// What to say.
    pub kind: MailKind,
}

/// The emails the portal sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailKind {
    /// Email verification link after registration (and on "resend").
    Verify {
        /// The absolute verification link (valid 48 hours).
        link: String,
    },
    /// Password reset link.
    PasswordReset {
        /// The absolute reset link (valid 1 hour).
        link: String,
    },
    /// Someone tried to register with an address that already has an account (so registration does not reveal it).
    AlreadyRegistered {
        /// The absolute sign-in page address.
        signin_link: String,
        /// The absolute address where a password reset can be asked for.
        reset_link: String,
    },
    /// The password was changed (security notice).
    PasswordChanged,
    /// An idea of the recipient moved to a new state the author is told about (screening, decisions, adoption).
    IdeaStatus {
        /// The idea's title.
        title: String,
        /// The new state's code (`eligible`, `ineligible`, `shortlisted`, …).
        status: String,
        /// The reason or rationale given (may be empty).
        reason: String,
        /// The reviewers' comments for the author, anonymous, separated by blank lines (decisions only; may be
        /// empty).
        comments: String,
        /// The absolute address of the idea in "my ideas".
        link: String,
    },
    /// An invitation to a contest's review panel.
    ReviewerInvitation {
        /// The contest's title.
        contest: String,
        /// The name of the organizer who invited.
        inviter: String,
        /// How many ideas at most the reviewer will be given.
        cap: String,
        /// The absolute one-use link to accept or decline (valid 14 days).
        link: String,
    },
    /// Ideas were assigned to the recipient for review (sent once per confirmed proposal, with the count).
    ReviewsAssigned {
        /// The contest's title.
        contest: String,
        /// How many ideas this confirmation gave them.
        count: String,
        /// The absolute address of their reviews.
        link: String,
    },
    /// Reviews are due soon or overdue (`app::reminders`); only sent when some are pending.
    ReviewReminder {
        /// The contest's title.
        contest: String,
        /// How many reviews are pending.
        count: String,
        /// The earliest due date among them, in the recipient's words.
        due: String,
        /// Whether the due date has passed.
        overdue: bool,
        /// The absolute address of their reviews.
        link: String,
    },
    /// News of an adopted idea of the recipient: its plan was changed or a milestone was added.
    AdoptionUpdate {
        /// The idea's title.
        title: String,
        /// `plan` or `milestone`.
        what: String,
        /// The new plan, or what the milestone says.
        text: String,
        /// The progress after a milestone, in percent (empty for a plan).
        progress: String,
        /// The absolute address of the idea's public page, with its timeline.
        link: String,
    },
}

impl MailKind {
    /// The name stored in `outbox.kind`.
    pub fn code(&self) -> &'static str {
        match self {
            MailKind::Verify { .. } => "verify",
            MailKind::PasswordReset { .. } => "password_reset",
            MailKind::AlreadyRegistered { .. } => "already_registered",
            MailKind::PasswordChanged => "password_changed",
            MailKind::IdeaStatus { .. } => "idea_status",
            MailKind::ReviewerInvitation { .. } => "reviewer_invitation",
            MailKind::ReviewsAssigned { .. } => "reviews_assigned",
            MailKind::ReviewReminder { overdue: false, .. } => "review_due_soon",
            MailKind::ReviewReminder { overdue: true, .. } => "review_overdue",
            MailKind::AdoptionUpdate { .. } => "adoption_update",
        }
    }
}

/// What emails say about the portal: its address (links in the footer) and the host of `Message-ID`s.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Site {
    base_url: String,
    host: String,
}

static SITE: RwLock<Option<Site>> = RwLock::new(None);

/// Tells [`enqueue`] the portal's public address (`SANGTAO_BASE_URL`): emails link to it in their footer and their
/// `Message-ID`s end with its host. [`Worker::spawn`] calls it; a program that enqueues mail without a worker (a
/// command-line tool) calls it first. Until then `http://localhost` is assumed.
pub fn configure(base_url: &str) {
    let site = Site {
        base_url: base_url.trim_end_matches('/').to_string(),
        host: host_of(base_url),
    };
    let mut guard = SITE.write().unwrap_or_else(|e| e.into_inner());
    *guard = Some(site);
}

fn site() -> Site {
    let guard = SITE.read().unwrap_or_else(|e| e.into_inner());
    guard.clone().unwrap_or_else(|| Site {
        base_url: "http://localhost".into(),
        host: "localhost".into(),
    })
}

/// The host of a URL: no scheme, credentials, port or path (`https://a.b:8443/x` → `a.b`; IPv6 keeps brackets).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port
            .find(']')
            .map_or(host_port, |end| &host_port[..=end])
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    if host.is_empty() {
        "localhost".into()
    } else {
        host.to_ascii_lowercase()
    }
}

/// The absolute address of `path` (starting with `/`) on the portal, for links in emails.
pub fn absolute(path: &str) -> String {
    format!("{}{path}", site().base_url)
}

/// Renders `msg` now, in its language, and writes it to the outbox as due now; returns the outbox id. Call it inside
/// the transaction of the change that causes the email, so both commit or neither does (then call [`notify`]).
pub fn enqueue(conn: &mut DbConn, msg: &Outgoing) -> QueryResult<String> {
    let site = site();
    let now = db::now();
    let rendered = render::render(msg, &site.base_url, now).map_err(|e| {
        diesel::result::Error::SerializationError(Box::new(std::io::Error::other(format!(
            "email template: {e}"
        ))))
    })?;
    let id = db::new_id();
    let row = outbox::NewOutbox {
        message_id: format!("<{id}@{}>", site.host),
        id: id.clone(),
        recipient: msg.to.trim().to_string(),
        recipient_name: msg.to_name.trim().to_string(),
        lang: rendered.lang.to_string(),
        kind: msg.kind.code().to_string(),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        created_at: now,
        next_attempt_at: now,
        attempts: 0,
    };
    outbox::insert(conn, &row)?;
    Ok(id)
}

/// Emails in `status` (all when `None`) to people within `scope`, newest first, at most `limit` (for the admin
/// page: an organizer sees the mail of their unit's subtree, an administrator everything).
pub fn list(
    conn: &mut DbConn,
    status: Option<MailStatus>,
    scope: &crate::access::Scope,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    outbox::list(conn, status, scope, limit)
}

/// How many emails to people within `scope` are queued, failed and sent (for the admin page).
pub fn counts(conn: &mut DbConn, scope: &crate::access::Scope) -> QueryResult<MailCounts> {
    outbox::counts(conn, scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_everything_but_the_host() {
        assert_eq!(host_of("https://sangtao.example.vn"), "sangtao.example.vn");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("https://u:p@Portal.VN:8443/x?y"), "portal.vn");
        assert_eq!(host_of("http://[::1]:8080/"), "[::1]");
        assert_eq!(host_of("http://"), "localhost");
    }
}
