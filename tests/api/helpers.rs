//! `spawn_app`: a server per test, on its own database, with the demo data.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use diesel::prelude::*;
use reqwest::blocking::{Client, Response};
use sangtao::config::Config;
use sangtao::db::{DbConn, Pool};
use serde_json::Value;

/// Which engine a test runs on.
#[derive(Clone, Debug)]
pub enum Engine {
    Sqlite,
    Postgres(String),
}

/// SQLite always; PostgreSQL too when `TEST_POSTGRES_URL` is set.
pub fn engines() -> Vec<Engine> {
    let mut all = vec![Engine::Sqlite];
    if let Ok(url) = std::env::var("TEST_POSTGRES_URL")
        && !url.trim().is_empty()
    {
        all.push(Engine::Postgres(url));
    }
    all
}

/// Runs `test` against a fresh app on every engine.
pub fn each_engine(test: impl Fn(&TestApp)) {
    for engine in engines() {
        let app = spawn_app(engine.clone());
        eprintln!("running on {engine:?}");
        test(&app);
    }
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub pool: Pool,
    pub engine: Engine,
    /// The data folder (SQLite file, mail files).
    pub dir: tempfile::TempDir,
    env: HashMap<String, String>,
    handle: Option<ServerHandle>,
    pg_db: Option<(String, String)>,
}

fn pg_url_with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let slash = base
        .rfind('/')
        .filter(|i| *i > base.find("://").map(|s| s + 2).unwrap_or(0));
    match slash {
        Some(i) => format!("{}/{db}{query}", &base[..i]),
        None => format!("{base}/{db}{query}"),
    }
}

/// Starts a server with these settings; returns its address and handle.
fn start_server(env: &HashMap<String, String>) -> (std::net::SocketAddr, ServerHandle) {
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match sangtao::start(config, listener, true) {
                Ok(running) => {
                    tx.send(Ok((running.addr, running.server.handle())))
                        .unwrap();
                    let _ = running.server.await;
                }
                Err(e) => tx.send(Err(format!("{e:#}"))).unwrap(),
            }
        })
    });
    rx.recv().unwrap().expect("server starts")
}

/// Starts the app on a new database (SQLite file in a temp folder, or a new PostgreSQL database) with the demo data.
pub fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, &[])
}

/// [`spawn_app`] with extra settings (environment variable, value).
pub fn spawn_app_with(engine: Engine, extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("SANGTAO_DATA_DIR".into(), dir.path().display().to_string());
    env.insert("SANGTAO_BIND".into(), "127.0.0.1:0".into());
    env.insert("SANGTAO_WORKERS".into(), "1".into());
    env.insert("SANGTAO_DB_POOL".into(), "3".into());
    let mut pg_db = None;
    if let Engine::Postgres(admin_url) = &engine {
        let name = format!("sangtao_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).expect("connect to TEST_POSTGRES_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        env.insert("DATABASE_URL".into(), pg_url_with_db(admin_url, &name));
        pg_db = Some((admin_url.clone(), name));
    }
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let target = Config::from_lookup(|k| env.get(k).cloned())
        .unwrap()
        .database;
    let (addr, handle) = start_server(&env);
    let pool = sangtao::db::connect(&target, 2).unwrap();
    TestApp {
        base: format!("http://{addr}"),
        client: new_client(),
        pool,
        engine,
        dir,
        env,
        handle: Some(handle),
        pg_db,
    }
}

/// A client that keeps cookies and does not follow redirects.
pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if let Some((admin_url, name)) = &self.pg_db
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

impl TestApp {
    /// Stops the server (as a shutdown would); the database stays.
    pub fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            actix_web::rt::System::new().block_on(handle.stop(true));
        }
    }

    /// Stops the server and starts a new one on the same database and folder, with `extra` settings changed.
    pub fn restart(&mut self, extra: &[(&str, &str)]) {
        self.stop();
        for (k, v) in extra {
            self.env.insert((*k).into(), (*v).into());
        }
        let (addr, handle) = start_server(&self.env);
        self.base = format!("http://{addr}");
        self.handle = Some(handle);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().unwrap()
    }

    /// Status and body of an HTML page.
    pub fn html(&self, path: &str) -> (u16, String) {
        let r = self.get(path);
        let status = r.status().as_u16();
        (status, r.text().unwrap())
    }

    /// Status and parsed body of a JSON response.
    pub fn json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path);
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "{path}: content type {ct}"
        );
        (status, r.json().unwrap())
    }

    pub fn conn(&self) -> r2d2::PooledConnection<sangtao::db::Manager> {
        self.pool.get().unwrap()
    }

    /// The database's URL, for a command run against the same database.
    pub fn database_url(&self) -> String {
        match self.env.get("DATABASE_URL") {
            Some(url) => url.clone(),
            None => self.dir.path().join("sangtao.db").display().to_string(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }
}

/// Asserts that a JSON error has this status, code and (if given) names this field.
pub fn assert_api_error(app: &TestApp, path: &str, status: u16, code: &str, field: Option<&str>) {
    let (s, body) = app.json(path);
    assert_eq!(s, status, "{path}: {body}");
    assert_eq!(body["error"]["code"], code, "{path}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{path}: {body}"
    );
    if let Some(f) = field {
        let problems = body["error"]["fields"][f]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no field {f}: {body}"));
        assert!(
            !problems.is_empty() && problems[0]["code"].is_string(),
            "{path}: {body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains(f),
            "{path}: message names {f}: {body}"
        );
    }
}

/// Ideas in the database, for expectations: (id, status, is_public, contest slug, blind).
pub fn idea_rows(conn: &mut DbConn) -> Vec<(String, String, bool, String, bool)> {
    use sangtao::db::schema::{contests, ideas};
    ideas::table
        .inner_join(contests::table)
        .select((
            ideas::id,
            ideas::status,
            ideas::is_public,
            contests::slug,
            contests::blind_review,
        ))
        .load(conn)
        .unwrap()
}

/// Collects every item of a paginated API listing by following `next_cursor`.
pub fn walk_api(app: &TestApp, query: &str, limit: u32) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let mut path = format!("/api/v1/ideas?limit={limit}");
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = app.json(&path);
        assert_eq!(status, 200, "{path}: {body}");
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        all.extend(items.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(
                    items.len(),
                    limit as usize,
                    "a page before the last is full"
                );
                cursor = Some(c.to_string());
            }
            None => return all,
        }
    }
    panic!("pagination does not end");
}

/// Decodes the HTML character references the templates produce, to compare text and links.
pub fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

/// Form fields to post, from pairs.
pub fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The CSRF token in a page's form.
pub fn form_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// The newest email in the outbox to `to` of `kind`: (subject, text body).
pub fn last_mail(app: &TestApp, to: &str, kind: &str) -> Option<(String, String)> {
    use sangtao::db::schema::outbox;
    outbox::table
        .filter(outbox::recipient.eq(to))
        .filter(outbox::kind.eq(kind))
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .select((outbox::subject, outbox::body_text))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

/// How many emails were queued to `to`.
pub fn mail_count(app: &TestApp, to: &str) -> i64 {
    use sangtao::db::schema::outbox;
    outbox::table
        .filter(outbox::recipient.eq(to))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// The link with `path` in an email body, as a path and query on the test server.
pub fn link_in(body: &str, path: &str) -> String {
    let start = body
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {body}"));
    body[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

/// Creates an account directly (verified, with this password and role) and returns its id.
pub fn make_user(app: &TestApp, email: &str, password: &str, role: &str) -> String {
    use sangtao::db::users::User;
    let now = sangtao::db::now();
    let unit: String = {
        use sangtao::db::schema::units;
        units::table
            .filter(units::slug.eq("phuong-4"))
            .select(units::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let user = User {
        id: sangtao::db::new_id(),
        email: email.into(),
        display_name: format!("Người dùng {role}"),
        phone: Some("0903123456".into()),
        unit_id: Some(unit),
        role: role.into(),
        password_hash: Some(sangtao::app::secrets::hash_password(password).unwrap()),
        email_verified_at: Some(now),
        disabled_at: None,
        created_at: now,
        updated_at: now,
        lang: "vi".into(),
    };
    sangtao::db::accounts::insert_user(&mut app.conn(), &user).unwrap();
    user.id
}

/// Moves an account to the unit with this slug (organizers and reviewers act within their unit's subtree).
pub fn set_unit(app: &TestApp, user: &str, slug: &str) {
    use sangtao::db::schema::{units, users};
    let unit: String = units::table
        .filter(units::slug.eq(slug))
        .select(units::id)
        .first(&mut app.conn())
        .unwrap();
    diesel::update(users::table.find(user))
        .set(users::unit_id.eq(Some(unit)))
        .execute(&mut app.conn())
        .unwrap();
}

/// Signs in through the API with `client`; returns the session's CSRF token.
pub fn api_signin(app: &TestApp, client: &Client, email: &str, password: &str) -> String {
    let r = client
        .post(app.url("/api/v1/auth/signin"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "sign-in of {email}");
    let body: Value = r.json().unwrap();
    body["csrf_token"].as_str().unwrap().to_string()
}

/// A personal access token for a user, made directly.
pub fn make_token(app: &TestApp, user_id: &str) -> String {
    let plain = format!("st_{}", sangtao::app::secrets::random_token());
    let token = sangtao::db::accounts::ApiToken {
        id: sangtao::db::new_id(),
        user_id: user_id.into(),
        name: "test".into(),
        token_hash: sangtao::app::secrets::token_hash(&plain),
        created_at: sangtao::db::now(),
        last_used_at: None,
        revoked_at: None,
    };
    sangtao::db::accounts::insert_token(&mut app.conn(), &token).unwrap();
    plain
}

/// A `multipart/form-data` body with one file part named `file`: (content type header, body).
pub fn multipart(file_name: &str, declared_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----sangtao-test-7d3c0b5e9f1a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {declared_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a file as a page's upload form does (multipart, part `file`).
pub fn post_file(client: &Client, url: &str, name: &str, bytes: &[u8]) -> Response {
    let (ct, body) = multipart(name, "application/octet-stream", bytes);
    client
        .post(url)
        .header("content-type", ct)
        .body(body)
        .send()
        .unwrap()
}

/// The body of a page fetched with `client` (asserting it answers 200).
pub fn page_html(client: &Client, url: &str) -> String {
    let r = client.get(url).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    r.text().unwrap()
}

/// The action of the page's upload form (the one with `enctype="multipart/form-data"`).
pub fn form_action(html: &str) -> String {
    let start = html
        .find("enctype=\"multipart/form-data\"")
        .map(|i| html[..i].rfind("<form").unwrap())
        .unwrap_or_else(|| panic!("no upload form in {html}"));
    let tag = &html[start..];
    let a = tag.find("action=\"").unwrap() + 8;
    unescape(tag[a..].split('"').next().unwrap())
}

/// A JSON request with a bearer token: (status, body).
pub fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut r = new_client()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(b);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}
