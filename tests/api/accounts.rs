//! Accounts through the pages and the API: registration, verification, sign-in, sessions, passwords, tokens.

use std::collections::HashMap;

use diesel::prelude::*;
use sangtao::db::schema::{email_tokens, sessions, users};

use crate::helpers::{
    TestApp, api_signin, each_engine, form_csrf, last_mail, link_in, mail_count, make_token,
    make_user, new_client, unescape,
};

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// GETs a form page with `client` and returns its CSRF token.
fn csrf_from(app: &TestApp, client: &reqwest::blocking::Client, path: &str) -> String {
    let html = client.get(app.url(path)).send().unwrap().text().unwrap();
    form_csrf(&html)
}

fn register(
    app: &TestApp,
    client: &reqwest::blocking::Client,
    email: &str,
    password: &str,
) -> (u16, String) {
    let csrf = csrf_from(app, client, "/register");
    let r = client
        .post(app.url("/register"))
        .form(&form(&[
            ("_csrf", &csrf),
            ("email", email),
            ("display_name", "Nguyễn Thị Mai"),
            ("unit", "phuong-12"),
            ("phone", "0903 123 456"),
            ("password", password),
        ]))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().unwrap())
}

fn signin_page(
    app: &TestApp,
    client: &reqwest::blocking::Client,
    email: &str,
    password: &str,
) -> reqwest::blocking::Response {
    let csrf = csrf_from(app, client, "/signin");
    client
        .post(app.url("/signin"))
        .form(&form(&[
            ("_csrf", &csrf),
            ("email", email),
            ("password", password),
            ("next", "/profile"),
        ]))
        .send()
        .unwrap()
}

fn session_cookie_of(r: &reqwest::blocking::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("session="))
}

#[test]
fn register_verify_and_sign_in_through_the_pages() {
    each_engine(|app| {
        let client = new_client();
        let (status, html) = register(
            app,
            &client,
            "Mai.Nguyen@Example.org",
            "một câu mật khẩu dài",
        );
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Kiểm tra hộp thư của bạn"));
        // Stored normalised, not verified yet, with the phone normalised.
        let (verified, phone): (Option<chrono::NaiveDateTime>, Option<String>) = users::table
            .filter(users::email.eq("mai.nguyen@example.org"))
            .select((users::email_verified_at, users::phone))
            .first(&mut app.conn())
            .unwrap();
        assert!(verified.is_none());
        assert_eq!(phone.as_deref(), Some("0903123456"));

        let (_, body) = last_mail(app, "mai.nguyen@example.org", "verify")
            .expect("a verification email was queued");
        let link = link_in(&body, "/verify");
        let (code, html) = app.html(&link);
        assert_eq!(code, 200, "{html}");
        assert!(html.contains("Email đã được xác minh"));
        let (code, html) = app.html(&link);
        assert_eq!(code, 422, "a link works once");
        assert!(html.contains("đã được dùng hoặc đã hết hạn"));

        let r = signin_page(
            app,
            &client,
            "MAI.NGUYEN@example.org ",
            "một câu mật khẩu dài",
        );
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(r.headers().get("location").unwrap(), "/profile");
        let cookie = session_cookie_of(&r).expect("a session cookie");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "plain http base URL: no Secure flag"
        );
        let html = client
            .get(app.url("/profile"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            html.contains("Nguyễn Thị Mai")
                && html.contains("Đã xác minh")
                && html.contains("Phường 12"),
            "{html}"
        );
        // Signed-in pages are personal: never served from the shared cache.
        let html = client.get(app.url("/")).send().unwrap().text().unwrap();
        assert!(html.contains("Nguyễn Thị Mai") && html.contains("Đăng xuất"));
        assert!(
            !app.html("/").1.contains("Nguyễn Thị Mai"),
            "a visitor does not see it"
        );
    });
}

#[test]
fn bad_registration_keeps_the_form_and_changes_nothing() {
    each_engine(|app| {
        let client = new_client();
        let before: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
        let (status, html) = register(app, &client, "khong-phai-email", "ngắn");
        assert_eq!(status, 400);
        let text = unescape(&html);
        assert!(
            text.contains("value=\"khong-phai-email\""),
            "the email is kept"
        );
        assert!(text.contains("Nguyễn Thị Mai"), "the name is kept");
        assert!(
            !text.contains("value=\"ngắn\""),
            "the password is not echoed"
        );
        assert!(text.contains("Địa chỉ email không đúng định dạng."));
        assert!(text.contains("Mật khẩu phải có từ 10 đến 200 ký tự."));
        assert!(html.contains("aria-invalid=\"true\""));
        let after: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(before, after);

        let r = client
            .post(app.url("/api/v1/auth/register"))
            .json(&serde_json::json!({"email": "a@b", "display_name": "X", "password": "ngắn", "unit": "khong-co"}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        for (field, code) in [
            ("email", "email"),
            ("display_name", "length"),
            ("password", "password_length"),
        ] {
            assert_eq!(
                body["error"]["fields"][field][0]["code"], code,
                "{field}: {body}"
            );
        }
        let r = client
            .post(app.url("/api/v1/auth/register"))
            .json(&serde_json::json!({"email": "an@example.org", "display_name": "Trần An", "password": "mật khẩu đủ dài", "unit": "khong-co"}))
            .send()
            .unwrap();
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["error"]["fields"]["unit"][0]["code"], "unknown_unit");
        let r = client
            .post(app.url("/api/v1/auth/register"))
            .body("{not json")
            .header("content-type", "application/json")
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let after: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(before, after);
    });
}

#[test]
fn responses_do_not_reveal_whether_an_email_has_an_account() {
    each_engine(|app| {
        make_user(app, "da.co@example.org", "mật khẩu của tôi", "member");
        let register = |email: &str| {
            app.client
                .post(app.url("/api/v1/auth/register"))
                .json(&serde_json::json!({"email": email, "display_name": "Lê Văn Tám", "password": "mật khẩu đủ dài", "unit": "phuong-1"}))
                .send()
                .unwrap()
        };
        let known = register("Da.Co@example.org");
        let unknown = register("chua.co@example.org");
        assert_eq!(known.status(), unknown.status());
        assert_eq!(known.text().unwrap(), unknown.text().unwrap());
        assert!(
            last_mail(app, "da.co@example.org", "already_registered").is_some(),
            "the owner is told instead"
        );

        let forgot = |email: &str| {
            app.client
                .post(app.url("/api/v1/auth/password/forgot"))
                .json(&serde_json::json!({"email": email}))
                .send()
                .unwrap()
        };
        let known = forgot("da.co@example.org");
        let unknown = forgot("khong.ai@example.org");
        assert_eq!(known.status(), unknown.status());
        assert_eq!(known.text().unwrap(), unknown.text().unwrap());
        assert_eq!(mail_count(app, "khong.ai@example.org"), 0);

        let signin = |email: &str, pw: &str| {
            let r = app
                .client
                .post(app.url("/api/v1/auth/signin"))
                .json(&serde_json::json!({"email": email, "password": pw}))
                .send()
                .unwrap();
            (r.status().as_u16(), r.text().unwrap())
        };
        assert_eq!(
            signin("da.co@example.org", "sai mật khẩu rồi"),
            signin("khong.ai@example.org", "sai mật khẩu rồi")
        );
        assert_eq!(signin("da.co@example.org", "sai mật khẩu rồi").0, 401);
    });
}

#[test]
fn sign_in_rotates_the_session_and_sign_out_ends_it() {
    each_engine(|app| {
        make_user(app, "xoay@example.org", "mật khẩu của tôi", "member");
        let client = new_client();
        let first = session_cookie_of(&signin_page(
            app,
            &client,
            "xoay@example.org",
            "mật khẩu của tôi",
        ))
        .unwrap();
        let second = session_cookie_of(&signin_page(
            app,
            &client,
            "xoay@example.org",
            "mật khẩu của tôi",
        ))
        .unwrap();
        assert_ne!(first, second, "a new token at every sign-in");
        let live: i64 = sessions::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(live, 1, "the browser's previous session ended");
        // The first token no longer works.
        let old = first.split(';').next().unwrap().to_string();
        let r = new_client()
            .get(app.url("/api/v1/me"))
            .header("cookie", old)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);

        let html = client
            .get(app.url("/profile"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let csrf = form_csrf(&html);
        let r = client
            .post(app.url("/signout"))
            .form(&form(&[("_csrf", &csrf)]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            client
                .get(app.url("/api/v1/me"))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            401
        );
        let r = client.get(app.url("/profile")).send().unwrap();
        assert_eq!(r.status().as_u16(), 303, "pages send visitors to sign in");
        assert_eq!(
            r.headers().get("location").unwrap(),
            "/signin?next=%2Fprofile"
        );
    });
}

#[test]
fn secure_cookies_when_served_over_https() {
    for engine in crate::helpers::engines() {
        let app = crate::helpers::spawn_app_with(
            engine,
            &[("SANGTAO_BASE_URL", "https://sangtao.example.org")],
        );
        make_user(&app, "https@example.org", "mật khẩu của tôi", "member");
        let r = app
            .client
            .post(app.url("/api/v1/auth/signin"))
            .json(
                &serde_json::json!({"email": "https@example.org", "password": "mật khẩu của tôi"}),
            )
            .send()
            .unwrap();
        let cookie = session_cookie_of(&r).unwrap();
        assert!(
            cookie.contains("Secure") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
    }
}

#[test]
fn sign_out_everywhere_and_disabled_accounts() {
    each_engine(|app| {
        make_user(app, "hai.may@example.org", "mật khẩu của tôi", "member");
        let admin_id = make_user(app, "quantri@example.org", "mật khẩu quản trị", "admin");
        let phone = new_client();
        let laptop = new_client();
        let csrf_phone = api_signin(app, &phone, "hai.may@example.org", "mật khẩu của tôi");
        api_signin(app, &laptop, "hai.may@example.org", "mật khẩu của tôi");
        let r = phone
            .post(app.url("/api/v1/me/signout-all"))
            .header("x-csrf-token", &csrf_phone)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        assert_eq!(
            laptop
                .get(app.url("/api/v1/me"))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            401
        );
        assert_eq!(
            phone
                .get(app.url("/api/v1/me"))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            401
        );

        // An admin disables the account: its session ends and it cannot sign in again.
        let user_client = new_client();
        api_signin(app, &user_client, "hai.may@example.org", "mật khẩu của tôi");
        let token = make_token(app, &admin_id);
        let (user_id,): (String,) = users::table
            .filter(users::email.eq("hai.may@example.org"))
            .select((users::id,))
            .first(&mut app.conn())
            .unwrap();
        let r = new_client()
            .patch(app.url(&format!("/api/v1/admin/users/{user_id}")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"disabled": true}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["disabled"], true);
        assert_eq!(
            user_client
                .get(app.url("/api/v1/me"))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            401
        );
        let r = new_client()
            .post(app.url("/api/v1/auth/signin"))
            .json(&serde_json::json!({"email": "hai.may@example.org", "password": "mật khẩu của tôi"}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        // An admin cannot disable themselves.
        let r = new_client()
            .patch(app.url(&format!("/api/v1/admin/users/{admin_id}")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"disabled": true}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 409);
    });
}

#[test]
fn csrf_is_required_for_cookie_sessions_and_foreign_origins_are_refused() {
    each_engine(|app| {
        let uid = make_user(app, "csrf@example.org", "mật khẩu của tôi", "member");
        // A form without its token, or with someone else's.
        let client = new_client();
        csrf_from(app, &client, "/signin");
        let r = client
            .post(app.url("/signin"))
            .form(&form(&[
                ("email", "csrf@example.org"),
                ("password", "mật khẩu của tôi"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        assert!(r.text().unwrap().contains("Biểu mẫu đã hết hạn"));
        let r = client
            .post(app.url("/signin"))
            .form(&form(&[
                ("_csrf", "gia-mao"),
                ("email", "csrf@example.org"),
                ("password", "mật khẩu của tôi"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        // The right token but posted from another site.
        let csrf = csrf_from(app, &client, "/signin");
        let r = client
            .post(app.url("/signin"))
            .header("origin", "https://ke-xau.example.com")
            .form(&form(&[
                ("_csrf", &csrf),
                ("email", "csrf@example.org"),
                ("password", "mật khẩu của tôi"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        let r = client
            .post(app.url("/signin"))
            .header("origin", app.base.clone())
            .form(&form(&[
                ("_csrf", &csrf),
                ("email", "csrf@example.org"),
                ("password", "mật khẩu của tôi"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "same origin with the token works");

        // The API with the session cookie needs X-CSRF-Token.
        let api = new_client();
        let csrf = api_signin(app, &api, "csrf@example.org", "mật khẩu của tôi");
        let body = serde_json::json!({"name": "điện thoại"});
        let r = api
            .post(app.url("/api/v1/me/tokens"))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        let err: serde_json::Value = r.json().unwrap();
        assert_eq!(err["error"]["code"], "csrf_failed");
        let r = api
            .post(app.url("/api/v1/me/tokens"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        // A bearer token needs none.
        let token = make_token(app, &uid);
        let r = new_client()
            .post(app.url("/api/v1/me/tokens"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    });
}

#[test]
fn sign_in_attempts_are_rate_limited() {
    each_engine(|app| {
        make_user(app, "gioihan@example.org", "mật khẩu của tôi", "member");
        let attempt = || {
            app.client
                .post(app.url("/api/v1/auth/signin"))
                .json(&serde_json::json!({"email": "gioihan@example.org", "password": "đoán bừa mật khẩu"}))
                .send()
                .unwrap()
        };
        for _ in 0..8 {
            assert_eq!(attempt().status().as_u16(), 401);
        }
        let r = attempt();
        assert_eq!(r.status().as_u16(), 429);
        let retry: u64 = r
            .headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry > 0 && retry <= 15 * 60);
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
        // Even the right password waits now.
        let r = app
            .client
            .post(app.url("/api/v1/auth/signin"))
            .json(&serde_json::json!({"email": "gioihan@example.org", "password": "mật khẩu của tôi"}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 429);
        // The page says it in words, with the form kept.
        let client = new_client();
        let r = signin_page(app, &client, "gioihan@example.org", "mật khẩu của tôi");
        assert_eq!(r.status().as_u16(), 429);
        assert!(r.headers().get("retry-after").is_some());
        let html = unescape(&r.text().unwrap());
        assert!(
            html.contains("Bạn đã thử quá nhiều lần")
                && html.contains("value=\"gioihan@example.org\"")
        );
    });
}

#[test]
fn password_reset_links_are_single_use_and_expire() {
    each_engine(|app| {
        make_user(app, "quenmk@example.org", "mật khẩu cũ của tôi", "member");
        let other = new_client();
        api_signin(app, &other, "quenmk@example.org", "mật khẩu cũ của tôi");
        let client = new_client();
        let csrf = csrf_from(app, &client, "/password/forgot");
        let r = client
            .post(app.url("/password/forgot"))
            .form(&form(&[("_csrf", &csrf), ("email", "quenmk@example.org")]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let (_, body) = last_mail(app, "quenmk@example.org", "password_reset").unwrap();
        let link = link_in(&body, "/password/reset");
        let html = client.get(app.url(&link)).send().unwrap().text().unwrap();
        let csrf = form_csrf(&html);
        let token = link.split("token=").nth(1).unwrap().to_string();
        let reset = |pw: &str| {
            client
                .post(app.url("/password/reset"))
                .form(&form(&[
                    ("_csrf", &csrf),
                    ("token", &token),
                    ("password", pw),
                ]))
                .send()
                .unwrap()
        };
        assert_eq!(
            reset("ngắn").status().as_u16(),
            400,
            "too short: refused, token kept"
        );
        let r = reset("mật khẩu mới dài hơn");
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            r.headers().get("location").unwrap(),
            "/signin?notice=password_reset"
        );
        assert_eq!(
            other
                .get(app.url("/api/v1/me"))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            401,
            "sessions ended"
        );
        let again = reset("mật khẩu khác nữa đây");
        assert_eq!(again.status().as_u16(), 400);
        assert!(
            again
                .text()
                .unwrap()
                .contains("đã được dùng hoặc đã hết hạn")
        );
        api_signin(
            app,
            &new_client(),
            "quenmk@example.org",
            "mật khẩu mới dài hơn",
        );
        assert!(last_mail(app, "quenmk@example.org", "password_changed").is_some());

        // An expired link is refused.
        app.client
            .post(app.url("/api/v1/auth/password/forgot"))
            .json(&serde_json::json!({"email": "quenmk@example.org"}))
            .send()
            .unwrap();
        let (_, body) = last_mail(app, "quenmk@example.org", "password_reset").unwrap();
        let token = link_in(&body, "/password/reset")
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string();
        diesel::update(email_tokens::table.filter(email_tokens::used_at.is_null()))
            .set(email_tokens::expires_at.eq(sangtao::db::now() - chrono::Duration::minutes(1)))
            .execute(&mut app.conn())
            .unwrap();
        let r = app
            .client
            .post(app.url("/api/v1/auth/password/reset"))
            .json(&serde_json::json!({"token": token, "password": "mật khẩu sau khi hết hạn"}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], "link_invalid");
    });
}

#[test]
fn verification_links_expire_and_can_be_resent() {
    each_engine(|app| {
        let client = new_client();
        register(app, &client, "hethan@example.org", "một câu mật khẩu dài");
        diesel::update(email_tokens::table)
            .set(email_tokens::expires_at.eq(sangtao::db::now() - chrono::Duration::minutes(1)))
            .execute(&mut app.conn())
            .unwrap();
        let (_, body) = last_mail(app, "hethan@example.org", "verify").unwrap();
        assert_eq!(app.html(&link_in(&body, "/verify")).0, 422);
        let csrf = api_signin(app, &client, "hethan@example.org", "một câu mật khẩu dài");
        let r = client
            .post(app.url("/api/v1/auth/verify/resend"))
            .header("x-csrf-token", &csrf)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let (_, body) = last_mail(app, "hethan@example.org", "verify").unwrap();
        let token = link_in(&body, "/verify")
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string();
        let r = app
            .client
            .post(app.url("/api/v1/auth/verify"))
            .json(&serde_json::json!({"token": token}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let me: serde_json::Value = client
            .get(app.url("/api/v1/me"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(me["verified"], true);
    });
}

#[test]
fn personal_access_tokens_work_until_revoked() {
    each_engine(|app| {
        make_user(app, "token@example.org", "mật khẩu của tôi", "member");
        let client = new_client();
        let csrf = api_signin(app, &client, "token@example.org", "mật khẩu của tôi");
        let created: serde_json::Value = client
            .post(app.url("/api/v1/me/tokens"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"name": "ứng dụng di động"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let secret = created["token"].as_str().unwrap().to_string();
        let me: serde_json::Value = new_client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&secret)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(me["email"], "token@example.org");
        assert!(me["csrf_token"].is_null());
        let list: serde_json::Value = client
            .get(app.url("/api/v1/me/tokens"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0].get("token").is_none(), "the secret is never listed");
        let id = created["id"].as_str().unwrap();
        let r = client
            .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
            .header("x-csrf-token", &csrf)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        let r = new_client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&secret)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], "invalid_token");
    });
}

#[test]
fn changing_the_password_needs_the_current_one() {
    each_engine(|app| {
        make_user(app, "doimk@example.org", "mật khẩu hiện tại", "member");
        let client = new_client();
        signin_page(app, &client, "doimk@example.org", "mật khẩu hiện tại");
        let html = client
            .get(app.url("/profile"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let csrf = form_csrf(&html);
        let r = client
            .post(app.url("/profile/password"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("current_password", "đoán sai rồi"),
                ("new_password", "mật khẩu mới tinh"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert!(r.text().unwrap().contains("Mật khẩu hiện tại không đúng."));
        let r = client
            .post(app.url("/profile/password"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("current_password", "mật khẩu hiện tại"),
                ("new_password", "mật khẩu mới tinh"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            client
                .get(app.url("/api/v1/me"))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            200,
            "this session stays"
        );
        api_signin(app, &new_client(), "doimk@example.org", "mật khẩu mới tinh");
    });
}

#[test]
fn organizers_see_the_mail_of_their_own_units_only() {
    each_engine(|app| {
        // A member of Phường 12 registers; a member of Phường 4 asks for a reset link.
        app.client
            .post(app.url("/api/v1/auth/register"))
            .json(&serde_json::json!({"email": "p12@example.org", "display_name": "Võ Thanh Tâm", "password": "mật khẩu đủ dài", "unit": "phuong-12"}))
            .send()
            .unwrap();
        make_user(app, "p4@example.org", "mật khẩu của tôi", "member");
        app.client
            .post(app.url("/api/v1/auth/password/forgot"))
            .json(&serde_json::json!({"email": "p4@example.org"}))
            .send()
            .unwrap();
        let organizer = make_user(
            app,
            "bantochuc.p4@example.org",
            "mật khẩu của tôi",
            "organizer",
        );
        let admin = make_user(app, "admin.mail@example.org", "mật khẩu của tôi", "admin");
        let recipients = |token: &str| -> Vec<String> {
            let body: serde_json::Value = new_client()
                .get(app.url("/api/v1/admin/mail"))
                .bearer_auth(token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["recipient"].as_str().unwrap().to_string())
                .collect()
        };
        let seen = recipients(&make_token(app, &organizer));
        assert!(seen.contains(&"p4@example.org".to_string()), "{seen:?}");
        assert!(
            !seen.contains(&"p12@example.org".to_string()),
            "another ward's mail is hidden: {seen:?}"
        );
        let all = recipients(&make_token(app, &admin));
        assert!(
            all.contains(&"p12@example.org".to_string())
                && all.contains(&"p4@example.org".to_string())
        );
        let r = new_client()
            .get(app.url("/api/v1/admin/mail?status=nope"))
            .bearer_auth(make_token(app, &admin))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
    });
}

#[test]
fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let register = |app: &TestApp, n: usize, forwarded: &str| {
        app.client
            .post(app.url("/api/v1/auth/register"))
            .header("x-forwarded-for", forwarded)
            .json(&serde_json::json!({"email": format!("xff{n}@example.org"), "display_name": "Đỗ Minh Khang", "password": "mật khẩu đủ dài", "unit": "phuong-2"}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for engine in crate::helpers::engines() {
        // Behind a trusted proxy, each forwarded client has its own limit (10 registrations an hour).
        let app = crate::helpers::spawn_app_with(
            engine.clone(),
            &[("SANGTAO_TRUSTED_PROXIES", "127.0.0.1")],
        );
        for n in 0..10 {
            assert_eq!(register(&app, n, "203.0.113.7"), 202);
        }
        assert_eq!(register(&app, 10, "203.0.113.7"), 429);
        assert_eq!(
            register(&app, 11, "203.0.113.8"),
            202,
            "another client behind the proxy"
        );
        // Without a trusted proxy the header is ignored: a client cannot dodge its limit by inventing addresses.
        let app = crate::helpers::spawn_app_with(engine, &[]);
        for n in 0..10 {
            assert_eq!(register(&app, n, &format!("198.51.100.{n}")), 202);
        }
        assert_eq!(register(&app, 10, "198.51.100.99"), 429);
    }
}
