//! Email: the outbox written in the caller's transaction, the delivery worker, files and a real SMTP server (a small
//! one in this file, over TCP), outages, rejections, and two app instances sharing one queue.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sangtao::config::Config;
use sangtao::db::schema::outbox;
use sangtao::mail::{self, MailKind, MailStatus, Outgoing};

use crate::helpers::{Engine, TestApp, engines, spawn_app_with, unescape};

/// Fast polling and retries so the tests take seconds.
const FAST: [(&str, &str); 2] = [
    ("SANGTAO_MAIL_POLL_MS", "50"),
    ("SANGTAO_MAIL_RETRY_MS", "100"),
];

/// The longest any wait in these tests may take.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `test` on every engine against an app started with the fast mail settings plus `extra`.
fn each_engine_with(extra: &[(&str, &str)], test: impl Fn(&mut TestApp)) {
    for engine in engines() {
        let mut env: Vec<(&str, &str)> = FAST.to_vec();
        env.extend_from_slice(extra);
        let mut app = spawn_app_with(engine.clone(), &env);
        eprintln!("running on {engine:?}");
        test(&mut app);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Outbox access

fn outgoing(to: &str, lang: &str, kind: MailKind) -> Outgoing {
    Outgoing {
        to: to.into(),
        to_name: "Lê Minh Châu".into(),
        lang: lang.into(),
        kind,
    }
}

fn verify(to: &str, lang: &str, link: &str) -> Outgoing {
    outgoing(to, lang, MailKind::Verify { link: link.into() })
}

/// Enqueues `messages` in one transaction, as a use case would; returns their outbox ids.
fn enqueue(app: &TestApp, messages: &[Outgoing]) -> Vec<String> {
    let mut conn = app.conn();
    let ids = sangtao::db::write_tx(&mut conn, |c| {
        messages
            .iter()
            .map(|m| mail::enqueue(c, m))
            .collect::<QueryResult<Vec<String>>>()
    })
    .unwrap();
    mail::notify();
    ids
}

#[derive(Debug, Clone)]
#[allow(dead_code)]
struct Row {
    id: String,
    recipient: String,
    kind: String,
    message_id: String,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
    failed_at: Option<NaiveDateTime>,
    locked_by: Option<String>,
}

fn rows(app: &TestApp) -> Vec<Row> {
    let mut conn = app.conn();
    outbox::table
        .order(outbox::created_at.asc())
        .select((
            outbox::id,
            outbox::recipient,
            outbox::kind,
            outbox::message_id,
            outbox::attempts,
            outbox::last_error,
            outbox::next_attempt_at,
            outbox::sent_at,
            outbox::failed_at,
            outbox::locked_by,
        ))
        .load::<(
            String,
            String,
            String,
            String,
            i32,
            Option<String>,
            NaiveDateTime,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<String>,
        )>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| Row {
            id: r.0,
            recipient: r.1,
            kind: r.2,
            message_id: r.3,
            attempts: r.4,
            last_error: r.5,
            next_attempt_at: r.6,
            sent_at: r.7,
            failed_at: r.8,
            locked_by: r.9,
        })
        .collect()
}

/// Polls `check` until it holds, failing the test after [`DEADLINE`] with `what` and the outbox.
fn wait_for(app: &TestApp, what: &str, mut check: impl FnMut(&[Row]) -> bool) -> Vec<Row> {
    let start = Instant::now();
    loop {
        let now = rows(app);
        if check(&now) {
            return now;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}; outbox: {now:#?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn all_sent(rows: &[Row]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.sent_at.is_some())
}

/// A Message-ID without its angle brackets (as mail parsers give it).
fn bare(message_id: &str) -> &str {
    message_id.trim_start_matches('<').trim_end_matches('>')
}

// ---------------------------------------------------------------------------------------------------------------
// A small but real SMTP server: EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT; records every message.

#[derive(Clone, Default)]
struct Behaviour {
    /// Recipients containing this text get `550` at RCPT TO.
    reject: Option<String>,
    /// Pause before accepting each message (a slow server).
    data_delay: Duration,
}

#[derive(Debug, Clone)]
struct Received {
    /// The name the client gave at EHLO/HELO.
    helo: String,
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The message as sent, dot-unstuffed.
    data: Vec<u8>,
}

impl Received {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message")
    }

    fn message_id(&self) -> String {
        self.parsed()
            .message_id()
            .expect("a Message-ID")
            .to_string()
    }
}

#[derive(Default)]
struct Inbox {
    messages: Vec<Received>,
    /// Every RCPT TO answered with 550.
    rejected: Vec<String>,
}

struct SmtpServer {
    addr: SocketAddr,
    inbox: Arc<Mutex<Inbox>>,
    stop: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: Option<JoinHandle<()>>,
}

impl SmtpServer {
    fn start(addr: &str, behaviour: Behaviour) -> SmtpServer {
        let listener = TcpListener::bind(addr).expect("bind the SMTP port");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (inbox, stop, threads) = (inbox.clone(), stop.clone(), threads.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (inbox, stop, behaviour) =
                                (inbox.clone(), stop.clone(), behaviour.clone());
                            let t = std::thread::spawn(move || {
                                let _ = session(stream, &inbox, &stop, &behaviour);
                            });
                            threads.lock().unwrap().push(t);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        SmtpServer {
            addr,
            inbox,
            stop,
            threads,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn messages(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().messages.clone()
    }

    fn rejected(&self) -> Vec<String> {
        self.inbox.lock().unwrap().rejected.clone()
    }

    /// How many times each Message-ID arrived.
    fn tally(&self) -> HashMap<String, usize> {
        let mut seen = HashMap::new();
        for m in self.messages() {
            *seen.entry(m.message_id()).or_insert(0) += 1;
        }
        seen
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for t in self.threads.lock().unwrap().drain(..) {
            let _ = t.join();
        }
    }
}

/// A port where nothing listens (bound for a moment, then closed), to start a server on later.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads one line (up to LF), waiting through read time-outs until the server stops; `None` at end or stop.
fn read_line(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(_) if line.ends_with(b"\n") => return Some(line),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
        if stop.load(Ordering::SeqCst) {
            return None;
        }
    }
}

/// The address inside `MAIL FROM:<…>` / `RCPT TO:<…>`.
fn angle(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg.get(start..end).unwrap_or("").to_string()
}

fn session(
    stream: TcpStream,
    inbox: &Mutex<Inbox>,
    stop: &AtomicBool,
    behaviour: &Behaviour,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 smtp.test ESMTP ready\r\n")?;
    let (mut helo, mut from, mut to) = (String::new(), String::new(), Vec::<String>::new());
    while let Some(raw) = read_line(&mut reader, stop) {
        let line = String::from_utf8_lossy(&raw).trim_end().to_string();
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            helo = line.get(5..).unwrap_or("").trim().to_string();
            if upper.starts_with("EHLO") {
                out.write_all(b"250-smtp.test\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")?;
            } else {
                out.write_all(b"250 smtp.test\r\n")?;
            }
        } else if upper.starts_with("MAIL FROM:") {
            from = angle(&line);
            to.clear();
            out.write_all(b"250 2.1.0 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = angle(&line);
            if behaviour
                .reject
                .as_ref()
                .is_some_and(|r| rcpt.contains(r.as_str()))
            {
                inbox.lock().unwrap().rejected.push(rcpt);
                out.write_all(b"550 5.1.1 No such mailbox here\r\n")?;
            } else {
                to.push(rcpt);
                out.write_all(b"250 2.1.5 OK\r\n")?;
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                out.write_all(b"554 5.5.1 No valid recipients\r\n")?;
                continue;
            }
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = Vec::new();
            loop {
                let Some(l) = read_line(&mut reader, stop) else {
                    return Ok(());
                };
                if l == b".\r\n" || l == b".\n" {
                    break;
                }
                data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
            }
            std::thread::sleep(behaviour.data_delay);
            inbox.lock().unwrap().messages.push(Received {
                helo: helo.clone(),
                mail_from: from.clone(),
                rcpt_to: std::mem::take(&mut to),
                data,
            });
            out.write_all(b"250 2.0.0 OK queued\r\n")?;
        } else if upper == "RSET" {
            (from, to) = (String::new(), Vec::new());
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "NOOP" {
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 5.5.2 Command not implemented\r\n")?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// A second app instance on the same database

/// The `DATABASE_URL` the app runs on.
fn database_url(app: &TestApp) -> String {
    match &app.engine {
        Engine::Sqlite => app.dir.path().join("sangtao.db").display().to_string(),
        Engine::Postgres(admin) => {
            let name: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                "current_database()",
            ))
            .get_result(&mut app.conn())
            .unwrap();
            let (base, query) = admin.split_once('?').unwrap_or((admin.as_str(), ""));
            let scheme_end = base.find("://").map_or(0, |i| i + 3);
            let root = match base[scheme_end..].find('/') {
                Some(i) => &base[..scheme_end + i],
                None => base,
            };
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            format!("{root}/{name}{query}")
        }
    }
}

/// Another server on the same database and folder, with its own mail worker; stopped when dropped.
struct Instance {
    handle: Option<ServerHandle>,
}

impl Instance {
    fn start(app: &TestApp, extra: &[(&str, &str)]) -> Instance {
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("DATABASE_URL".into(), database_url(app));
        env.insert(
            "SANGTAO_DATA_DIR".into(),
            app.dir.path().display().to_string(),
        );
        env.insert("SANGTAO_BIND".into(), "127.0.0.1:0".into());
        env.insert("SANGTAO_WORKERS".into(), "1".into());
        env.insert("SANGTAO_DB_POOL".into(), "3".into());
        for (k, v) in FAST.iter().chain(extra) {
            env.insert((*k).into(), (*v).into());
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match sangtao::start(config, listener, false) {
                    Ok(running) => {
                        tx.send(Ok(running.server.handle())).unwrap();
                        let _ = running.server.await;
                    }
                    Err(e) => tx.send(Err(format!("{e:#}"))).unwrap(),
                }
            })
        });
        let handle = rx.recv().unwrap().expect("second instance starts");
        Instance {
            handle: Some(handle),
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            actix_web::rt::System::new().block_on(h.stop(true));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Tests

#[test]
fn without_smtp_each_email_is_an_eml_file() {
    each_engine_with(&[], |app| {
        let link_en = "http://127.0.0.1:8080/verify?token=Abc123&next=/ideas";
        let link_vi = "http://127.0.0.1:8080/verify?token=Xyz789";
        let ids = enqueue(
            app,
            &[
                verify("chau@example.vn", "en", link_en),
                verify("an@example.vn", "vi", link_vi),
            ],
        );
        assert_eq!(ids.len(), 2);
        let rows = wait_for(app, "both emails written", all_sent);
        assert!(
            rows.iter()
                .all(|r| r.attempts == 0 && r.last_error.is_none())
        );
        assert!(rows.iter().all(|r| r.locked_by.is_none()), "locks cleared");

        let folder = app.dir.path().join("mail");
        let files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        assert_eq!(files.len(), 2, "one .eml per message: {files:?}");
        let mut by_id = HashMap::new();
        for f in &files {
            let raw = std::fs::read(f).unwrap();
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            by_id.insert(parsed.message_id().unwrap().to_string(), raw.clone());
        }
        let row_en = rows
            .iter()
            .find(|r| r.recipient == "chau@example.vn")
            .unwrap();
        let row_vi = rows
            .iter()
            .find(|r| r.recipient == "an@example.vn")
            .unwrap();
        assert!(
            row_en.message_id.starts_with(&format!("<{}@", row_en.id))
                && row_en.message_id.ends_with("@127.0.0.1>"),
            "{}",
            row_en.message_id
        );

        let raw = by_id
            .get(bare(&row_en.message_id))
            .expect("the English email");
        let m = mail_parser::MessageParser::default().parse(raw).unwrap();
        assert_eq!(
            m.subject(),
            Some("Confirm your email address – Sáng tạo trẻ")
        );
        let to = m.to().unwrap().first().unwrap();
        assert_eq!(to.address(), Some("chau@example.vn"));
        assert_eq!(to.name(), Some("Lê Minh Châu"));
        assert_eq!(
            m.from().unwrap().first().unwrap().address(),
            Some("no-reply@localhost")
        );
        let text = m.body_text(0).unwrap();
        assert!(text.contains(link_en), "{text}");
        assert!(
            text.contains("48 hours") && text.contains("Hello Lê Minh Châu"),
            "{text}"
        );
        let html = m.body_html(0).unwrap();
        assert!(unescape(&html).contains(link_en), "{html}");
        assert!(html.contains("<html lang=\"en\">"), "{html}");

        let raw = by_id
            .get(bare(&row_vi.message_id))
            .expect("the Vietnamese email");
        let m = mail_parser::MessageParser::default().parse(raw).unwrap();
        assert_eq!(m.subject(), Some("Xác nhận địa chỉ email – Sáng tạo trẻ"));
        let text = m.body_text(0).unwrap();
        assert!(text.contains(link_vi), "{text}");
        assert!(
            text.contains("48 giờ") && text.contains("Thân gửi bạn Lê Minh Châu"),
            "{text}"
        );
        assert!(m.body_html(0).unwrap().contains("<html lang=\"vi\">"));

        // The admin read functions.
        let mut conn = app.conn();
        let counts = mail::counts(&mut conn, &sangtao::access::Scope::Everything).unwrap();
        assert_eq!((counts.queued, counts.failed, counts.sent), (0, 0, 2));
        let sent = mail::list(
            &mut conn,
            Some(MailStatus::Sent),
            &sangtao::access::Scope::Everything,
            10,
        )
        .unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].id, ids[1], "newest first");
        assert_eq!(sent[0].kind, "verify");
        assert!(
            sent.iter()
                .all(|r| r.sent_at.is_some() && r.failed_at.is_none())
        );
        assert!(
            mail::list(
                &mut conn,
                Some(MailStatus::Queued),
                &sangtao::access::Scope::Everything,
                10
            )
            .unwrap()
            .is_empty()
        );
        assert!(
            mail::list(
                &mut conn,
                Some(MailStatus::Failed),
                &sangtao::access::Scope::Everything,
                10
            )
            .unwrap()
            .is_empty()
        );
        assert_eq!(
            mail::list(&mut conn, None, &sangtao::access::Scope::Everything, 1)
                .unwrap()
                .len(),
            1
        );
    });
}

#[test]
fn an_email_commits_or_rolls_back_with_its_transaction() {
    each_engine_with(&[], |app| {
        let mut conn = app.conn();
        let result: Result<(), diesel::result::Error> = sangtao::db::write_tx(&mut conn, |c| {
            mail::enqueue(c, &verify("ghost@example.vn", "vi", "http://x/verify"))?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(result.is_err());
        drop(conn);
        assert!(
            rows(app).is_empty(),
            "the rolled-back email is not in the outbox"
        );
        std::thread::sleep(Duration::from_millis(200));
        let folder = app.dir.path().join("mail");
        assert_eq!(
            std::fs::read_dir(&folder).unwrap().count(),
            0,
            "and nothing was sent"
        );
    });
}

#[test]
fn smtp_delivers_each_message_exactly_once() {
    let server = SmtpServer::start("127.0.0.1:0", Behaviour::default());
    each_engine_with(&[("SMTP_URL", &server.url())], |app| {
        let before = server.messages().len();
        let ids = enqueue(
            app,
            &[
                verify("a@example.vn", "vi", "http://p/verify?t=1"),
                outgoing(
                    "b@example.vn",
                    "en",
                    MailKind::PasswordReset {
                        link: "http://p/reset?t=2".into(),
                    },
                ),
                outgoing(
                    "c@example.vn",
                    "vi",
                    MailKind::AlreadyRegistered {
                        signin_link: "http://p/signin".into(),
                        reset_link: "http://p/forgot".into(),
                    },
                ),
            ],
        );
        let rows = wait_for(app, "three emails sent", all_sent);
        assert_eq!(rows.len(), 3);
        // A few more polls: nothing is sent again.
        std::thread::sleep(Duration::from_millis(300));
        let got: Vec<Received> = server.messages().into_iter().skip(before).collect();
        assert_eq!(got.len(), 3, "{got:#?}");
        for row in &rows {
            let m = got
                .iter()
                .find(|m| m.message_id() == bare(&row.message_id))
                .unwrap_or_else(|| panic!("{} not received", row.message_id));
            assert_eq!(m.rcpt_to, vec![row.recipient.clone()]);
            assert_eq!(m.mail_from, "no-reply@localhost");
        }
        let reset = got
            .iter()
            .find(|m| m.rcpt_to == ["b@example.vn"])
            .unwrap()
            .parsed();
        assert_eq!(reset.subject(), Some("Reset your password – Sáng tạo trẻ"));
        let text = reset.body_text(0).unwrap();
        assert!(
            text.contains("http://p/reset?t=2") && text.contains("1 hour"),
            "{text}"
        );
        let already = got
            .iter()
            .find(|m| m.rcpt_to == ["c@example.vn"])
            .unwrap()
            .parsed();
        let text = already.body_text(0).unwrap();
        assert!(
            text.contains("http://p/signin") && text.contains("http://p/forgot"),
            "{text}"
        );
        assert_eq!(ids.len(), 3);
        assert!(
            !app.dir.path().join("mail").exists(),
            "no files when SMTP is configured"
        );
    });
}

#[test]
fn an_smtp_outage_delays_mail_and_loses_none() {
    each_engine_with(&[], |app| {
        let port = free_port();
        let url = format!("smtp://127.0.0.1:{port}");
        app.restart(&[("SMTP_URL", url.as_str())]);
        enqueue(
            app,
            &[
                verify("a@example.vn", "vi", "http://p/verify?t=1"),
                verify("b@example.vn", "en", "http://p/verify?t=2"),
                outgoing("c@example.vn", "vi", MailKind::PasswordChanged),
            ],
        );
        let rows = wait_for(app, "failed attempts recorded", |rows| {
            rows.len() == 3
                && rows
                    .iter()
                    .all(|r| r.attempts >= 1 && r.last_error.is_some())
        });
        assert!(
            rows.iter()
                .all(|r| r.sent_at.is_none() && r.failed_at.is_none()),
            "{rows:#?}"
        );
        let error = rows[0].last_error.clone().unwrap();
        assert!(error.to_lowercase().contains("refused"), "{error}");

        // Restart with the server still down: the queue survives, still retried, still unsent.
        app.restart(&[]);
        let before: i32 = rows.iter().map(|r| r.attempts).sum();
        let rows = wait_for(app, "more attempts after the restart", |rows| {
            rows.iter().map(|r| r.attempts).sum::<i32>() > before
        });
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter()
                .all(|r| r.sent_at.is_none() && r.failed_at.is_none()),
            "{rows:#?}"
        );

        // The mail server comes back on that port: each email arrives once.
        let server = SmtpServer::start(&format!("127.0.0.1:{port}"), Behaviour::default());
        let rows = wait_for(app, "all three sent after the outage", all_sent);
        std::thread::sleep(Duration::from_millis(300));
        let tally = server.tally();
        assert_eq!(tally.len(), 3, "{tally:?}");
        for row in &rows {
            assert_eq!(tally.get(bare(&row.message_id)), Some(&1), "{tally:?}");
            assert!(row.failed_at.is_none());
        }
    });
}

#[test]
fn a_permanent_rejection_fails_the_email_without_retrying() {
    let server = SmtpServer::start(
        "127.0.0.1:0",
        Behaviour {
            reject: Some("nobody".into()),
            ..Behaviour::default()
        },
    );
    each_engine_with(&[("SMTP_URL", &server.url())], |app| {
        let rejected_before = server.rejected().len();
        enqueue(
            app,
            &[
                verify("nobody@example.vn", "vi", "http://p/verify?t=1"),
                verify("somebody@example.vn", "vi", "http://p/verify?t=2"),
            ],
        );
        wait_for(app, "one failed and one sent", |rows| {
            rows.len() == 2
                && rows
                    .iter()
                    .all(|r| r.failed_at.is_some() || r.sent_at.is_some())
        });
        // Many retry intervals later, the rejected one was tried once only.
        std::thread::sleep(Duration::from_millis(600));
        let rows = rows(app);
        let bad = rows
            .iter()
            .find(|r| r.recipient == "nobody@example.vn")
            .unwrap();
        assert!(bad.failed_at.is_some() && bad.sent_at.is_none(), "{bad:?}");
        assert_eq!(bad.attempts, 1, "{bad:?}");
        assert!(
            bad.last_error.as_deref().unwrap_or("").contains("550"),
            "{bad:?}"
        );
        assert_eq!(server.rejected().len() - rejected_before, 1);
        let good = rows
            .iter()
            .find(|r| r.recipient == "somebody@example.vn")
            .unwrap();
        assert!(good.sent_at.is_some(), "{good:?}");

        let mut conn = app.conn();
        let counts = mail::counts(&mut conn, &sangtao::access::Scope::Everything).unwrap();
        assert_eq!((counts.queued, counts.failed, counts.sent), (0, 1, 1));
        let failed = mail::list(
            &mut conn,
            Some(MailStatus::Failed),
            &sangtao::access::Scope::Everything,
            10,
        )
        .unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].recipient, "nobody@example.vn");
        assert!(failed[0].last_error.is_some());
    });
}

#[test]
fn two_instances_share_the_queue_without_duplicates() {
    // A slow server, so both instances have claims in flight at once.
    let server = SmtpServer::start(
        "127.0.0.1:0",
        Behaviour {
            data_delay: Duration::from_millis(15),
            ..Behaviour::default()
        },
    );
    // The URL's path is the EHLO name: it tells the instances apart at the server.
    let url_a = format!("{}/instance-a", server.url());
    let url_b = format!("{}/instance-b", server.url());
    each_engine_with(&[("SMTP_URL", &url_a)], |app| {
        let before = server.messages().len();
        let second = Instance::start(app, &[("SMTP_URL", url_b.as_str())]);
        let messages: Vec<Outgoing> = (0..30)
            .map(|i| {
                verify(
                    &format!("user{i}@example.vn"),
                    "vi",
                    &format!("http://p/verify?t={i}"),
                )
            })
            .collect();
        enqueue(app, &messages);
        let rows = wait_for(app, "thirty emails sent", |rows| {
            rows.len() == 30 && all_sent(rows)
        });
        std::thread::sleep(Duration::from_millis(300));
        drop(second);

        let got: Vec<Received> = server.messages().into_iter().skip(before).collect();
        let ids: Vec<String> = got.iter().map(Received::message_id).collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), 30, "each email exactly once");
        assert_eq!(unique.len(), 30, "no duplicate Message-ID");
        let expected: HashSet<String> = rows
            .iter()
            .map(|r| bare(&r.message_id).to_string())
            .collect();
        assert_eq!(
            unique.into_iter().cloned().collect::<HashSet<_>>(),
            expected
        );
        let helos: HashSet<&str> = got.iter().map(|m| m.helo.as_str()).collect();
        assert_eq!(
            helos,
            HashSet::from(["instance-a", "instance-b"]),
            "both instances delivered a share"
        );
    });
}

#[test]
fn a_claim_left_by_a_crashed_worker_is_taken_over_after_its_lease() {
    each_engine_with(&[], |app| {
        // As if another instance had claimed the row and died: leased far into the future.
        let mut conn = app.conn();
        let id = sangtao::db::write_tx(&mut conn, |c| {
            let id = mail::enqueue(c, &verify("late@example.vn", "vi", "http://p/verify?t=9"))?;
            diesel::update(outbox::table.find(&id))
                .set((
                    outbox::locked_until.eq(Some(sangtao::db::now() + chrono::Duration::hours(1))),
                    outbox::locked_by.eq(Some("crashed-worker")),
                ))
                .execute(c)?;
            QueryResult::Ok(id)
        })
        .unwrap();
        mail::notify();
        std::thread::sleep(Duration::from_millis(400));
        let row = rows(app).pop().unwrap();
        assert!(row.sent_at.is_none(), "a leased row is left alone: {row:?}");
        assert_eq!(row.locked_by.as_deref(), Some("crashed-worker"));

        // The lease runs out: the live worker sends it.
        diesel::update(outbox::table.find(&id))
            .set(outbox::locked_until.eq(Some(sangtao::db::now() - chrono::Duration::seconds(1))))
            .execute(&mut conn)
            .unwrap();
        let rows = wait_for(app, "the orphaned email sent", all_sent);
        assert!(rows[0].locked_by.is_none());
    });
}

#[test]
fn an_email_is_given_up_after_the_last_attempt() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    each_engine_with(
        &[("SMTP_URL", &url), ("SANGTAO_MAIL_MAX_ATTEMPTS", "3")],
        |app| {
            enqueue(app, &[verify("a@example.vn", "vi", "http://p/verify?t=1")]);
            let rows = wait_for(app, "the email given up", |rows| {
                rows.iter().all(|r| r.failed_at.is_some())
            });
            let row = &rows[0];
            assert_eq!(row.attempts, 3, "{row:?}");
            assert!(row.sent_at.is_none() && row.last_error.is_some(), "{row:?}");
            // Several retry intervals later: still three.
            std::thread::sleep(Duration::from_millis(500));
            assert_eq!(rows_attempts(app), 3, "no attempt after giving up");
        },
    );
}

fn rows_attempts(app: &TestApp) -> i32 {
    rows(app).iter().map(|r| r.attempts).sum()
}
