//! Where mail goes: `.eml` files under `<data dir>/mail/` (no `SMTP_URL`), or an SMTP server through one pooled
//! lettre transport built when the worker starts. Also turns a stored outbox row into a MIME message.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp;
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};

use crate::config::MailConfig;
use crate::db::outbox::Claimed;

/// How long one SMTP exchange may take before it counts as a (transient) failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A built transport, reused for every message.
pub enum Transport {
    /// One `.eml` file per message in this folder.
    Files(FileTransport, PathBuf),
    /// An SMTP server, with lettre's connection pool.
    Smtp(Box<SmtpTransport>),
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again later: the server is unreachable, timed out, or answered 4xx.
    Transient(String),
    /// Never going to work: the server answered 5xx, or the message cannot be built (bad address).
    Permanent(String),
}

impl Failure {
    /// The message stored in `outbox.last_error`.
    pub fn message(&self) -> &str {
        match self {
            Failure::Transient(m) | Failure::Permanent(m) => m,
        }
    }
}

impl Transport {
    /// Builds the transport `config` names: SMTP from `smtp_url`, or files under `<data_dir>/mail/` (created).
    pub fn from_config(
        config: &MailConfig,
        data_dir: &std::path::Path,
    ) -> Result<Transport, String> {
        match &config.smtp_url {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| format!("SMTP_URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Transport::Smtp(Box::new(transport)))
            }
            None => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create the mail folder {}: {e}", dir.display()))?;
                Ok(Transport::Files(FileTransport::new(&dir), dir))
            }
        }
    }

    /// A short description for the start-up log (no credentials).
    pub fn describe(&self) -> String {
        match self {
            Transport::Files(_, dir) => format!("files in {}", dir.display()),
            Transport::Smtp(_) => "SMTP".to_string(),
        }
    }

    /// Sends one message.
    pub fn send(&self, message: &Message) -> Result<(), Failure> {
        match self {
            Transport::Files(t, _) => t
                .send(message)
                .map(|_| ())
                .map_err(|e| Failure::Transient(format!("file transport: {e}"))),
            Transport::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| smtp_failure(&e)),
        }
    }
}

/// Sorts an SMTP error. Only a 5xx reply is permanent. Everything else is retried: a 4xx reply (`is_transient`), and
/// also the errors lettre marks neither transient nor permanent, above all a server that cannot be reached
/// ("Connection refused", a timeout: an `io::Error` underneath), which is exactly the outage retries exist for.
pub fn smtp_failure(e: &smtp::Error) -> Failure {
    let message = e.to_string();
    if e.is_permanent() {
        Failure::Permanent(message)
    } else if io_cause(e).is_some() {
        Failure::Transient(format!("mail server unreachable: {message}"))
    } else {
        Failure::Transient(message)
    }
}

/// The `io::Error` under an error, if any (connection refused, reset, timed out…).
fn io_cause<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = err.source();
    }
    None
}

/// Builds the MIME message of a claimed row: From, To, Subject, Date (when it was queued), the stored Message-ID,
/// and multipart/alternative text and HTML. A bad address is a permanent failure.
pub fn build_message(from: &Mailbox, row: &Claimed) -> Result<Message, Failure> {
    let address = row
        .recipient
        .parse()
        .map_err(|e| Failure::Permanent(format!("bad recipient address: {e}")))?;
    let name = Some(row.recipient_name.clone()).filter(|n| !n.trim().is_empty());
    let date = std::time::SystemTime::from(row.created_at.and_utc());
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(name, address))
        .subject(row.subject.clone())
        .date(date)
        .message_id(Some(row.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> MailConfig {
        MailConfig {
            smtp_url: Some(url.into()),
            from: "Sáng tạo trẻ <no-reply@localhost>".into(),
            poll: Duration::from_millis(50),
            retry_base: Duration::from_millis(100),
            max_attempts: 3,
            reminder_every: Duration::from_secs(900),
        }
    }

    fn row(to: &str) -> Claimed {
        Claimed {
            id: "1".into(),
            recipient: to.into(),
            recipient_name: "Trần Thị Bình".into(),
            kind: "verify".into(),
            subject: "Xác nhận địa chỉ email – Sáng tạo trẻ".into(),
            body_text: "Chào bạn".into(),
            body_html: "<p>Chào bạn</p>".into(),
            message_id: "<1@portal.vn>".into(),
            created_at: crate::db::now(),
            attempts: 0,
        }
    }

    #[test]
    fn connection_refused_is_transient() {
        // A port nobody listens on: bind, note it, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = Transport::from_config(
            &config(&format!("smtp://127.0.0.1:{port}")),
            std::path::Path::new("."),
        )
        .unwrap();
        let from: Mailbox = "Sáng tạo trẻ <no-reply@localhost>".parse().unwrap();
        let err = t
            .send(&build_message(&from, &row("binh@example.vn")).unwrap())
            .unwrap_err();
        assert!(matches!(err, Failure::Transient(_)), "{err:?}");
        assert!(err.message().contains("refused"), "{err:?}");
    }

    #[test]
    fn a_bad_address_is_permanent() {
        let from: Mailbox = "Sáng tạo trẻ <no-reply@localhost>".parse().unwrap();
        assert!(matches!(
            build_message(&from, &row("not an address")),
            Err(Failure::Permanent(_))
        ));
    }

    #[test]
    fn message_carries_the_stored_headers() {
        let from: Mailbox = "Sáng tạo trẻ <no-reply@localhost>".parse().unwrap();
        let m = build_message(&from, &row("binh@example.vn")).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <1@portal.vn>"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("<binh@example.vn>"), "{raw}");
    }

    #[test]
    fn urls_build_transports() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:pass@mail.example.vn:587?tls=required",
            "smtps://user:pass@mail.example.vn",
        ] {
            assert!(
                Transport::from_config(&config(url), std::path::Path::new(".")).is_ok(),
                "{url}"
            );
        }
        assert!(
            Transport::from_config(&config("smtp://h?tls=bogus"), std::path::Path::new("."))
                .is_err()
        );
    }
}
