//! Hostile text at the edges: a NUL character (which PostgreSQL cannot store) is refused with a 422 naming the field
//! wherever it comes in (a JSON body, a form, a query string, a path) and nothing is stored; other hostile text
//! (markup, SQL, Unicode tricks) is kept exactly as sent, and shown as text.

use diesel::prelude::*;
use reqwest::Method;
use sangtao::db::schema::{contests, ideas, users};
use serde_json::{Value, json};

use crate::adoption::{idea_at, milestone_form};
use crate::helpers::{
    call, each_engine, form, form_csrf, make_token, make_user, new_client, set_unit, unescape,
};

const PASSWORD: &str = "mật khẩu của tôi";
const NUL: &str = "Đèn\u{0} hẻm tối";

fn idea(title: &str, summary: &str) -> Value {
    json!({
        "contest": "sang-tao-tre-2026", "category": "van-minh-do-thi", "submit": false,
        "title": title, "summary": summary,
    })
}

fn contest(slug: &str, description: &str) -> Value {
    json!({
        "title": "Cuộc thi thử ký tự lạ", "slug": slug, "unit": "quan-10", "description": description,
        "rules": "", "opens_at": "2026-01-01T08:00", "closes_at": "2026-12-31T17:00",
        "max_ideas_per_member": 3, "categories": ["moi-truong"],
    })
}

fn assert_nul_refused(status: u16, body: &Value, field: &str, what: &str) {
    // 422: well formed by the document (which cannot forbid a NUL in every text), refused by the rule.
    assert_eq!(status, 422, "{what}: {body}");
    assert_eq!(body["error"]["code"], "validation_failed", "{what}: {body}");
    assert_eq!(
        body["error"]["fields"][field][0]["code"], "nul_character",
        "{what}: {body}"
    );
}

#[test]
fn a_nul_character_is_refused_naming_the_field_and_nothing_is_stored() {
    each_engine(|app| {
        let organizer = make_user(app, "bantochuc.nul@example.org", PASSWORD, "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        let member = make_user(app, "thanhvien.nul@example.org", PASSWORD, "member");
        let token = make_token(app, &member);

        for (what, who, method, path, body, field) in [
            (
                "an idea's title",
                &token,
                Method::POST,
                "/api/v1/ideas",
                idea(NUL, "Tóm tắt bình thường của ý tưởng"),
                "title",
            ),
            (
                "a contest's description",
                &org,
                Method::POST,
                "/api/v1/contests",
                contest("co-ky-tu-nul", NUL),
                "description",
            ),
            (
                "a criterion's name",
                &org,
                Method::PUT,
                "/api/v1/contests/sang-tao-tre-2026/rubric",
                json!({"reviews_per_idea": 1, "criteria": [
                    {"name": "Tính mới", "weight": 1, "min_score": 1, "max_score": 3},
                    {"name": NUL, "weight": 1, "min_score": 1, "max_score": 3}]}),
                "criteria[1].name",
            ),
            (
                "a token's name",
                &token,
                Method::POST,
                "/api/v1/me/tokens",
                json!({"name": NUL}),
                "name",
            ),
        ] {
            let (status, body) = call(app, who, method, path, Some(&body));
            assert_nul_refused(status, &body, field, what);
        }
        let mut conn = app.conn();
        let stored: i64 = ideas::table
            .filter(ideas::author_id.eq(&member))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(stored, 0, "no idea was stored");
        let made: i64 = contests::table
            .filter(contests::slug.eq("co-ky-tu-nul"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(made, 0, "no contest was made");

        // Anonymous, the registration API and form alike.
        let client = new_client();
        let r = client
            .post(app.url("/api/v1/auth/register"))
            .json(&json!({"email": "moi.nul@example.org", "display_name": NUL,
                "password": PASSWORD, "unit": "phuong-4"}))
            .send()
            .unwrap();
        let status = r.status().as_u16();
        assert_nul_refused(status, &r.json().unwrap(), "display_name", "registering");
        let html = client
            .get(app.url("/register"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let r = client
            .post(app.url("/register"))
            .form(&form(&[
                ("_csrf", &form_csrf(&html)),
                ("email", "mau.nul@example.org"),
                ("display_name", NUL),
                ("unit", "phuong-4"),
                ("password", PASSWORD),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let page = r.text().unwrap();
        assert!(
            page.contains("ký tự NUL"),
            "the page says why, in Vietnamese: {page}"
        );
        let registered: i64 = users::table
            .filter(users::email.like("%.nul@example.org"))
            .filter(users::email.ne("bantochuc.nul@example.org"))
            .filter(users::email.ne("thanhvien.nul@example.org"))
            .filter(users::email.ne("quantri.nul@example.org"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(registered, 0, "nobody was registered");

        // A query string and a path.
        let (status, body) = call(
            app,
            &org,
            Method::GET,
            "/api/v1/ideas?q=%C4%91%C3%A8n%00",
            None,
        );
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["error"]["code"], "bad_parameter",
            "as every bad parameter: {body}"
        );
        assert_eq!(
            body["error"]["fields"]["q"][0]["code"], "nul_character",
            "{body}"
        );
        let admin = make_user(app, "quantri.nul@example.org", PASSWORD, "admin");
        let r = new_client()
            .get(app.url("/admin/users?q=a%00"))
            .bearer_auth(make_token(app, &admin))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422, "a search of accounts");
        assert!(r.text().unwrap().contains("ký tự NUL"), "the page says why");
        let r = new_client()
            .get(app.url("/contests/sang-tao-tre-2026%00"))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "a path with a NUL names nothing");
    });
}

#[test]
fn other_hostile_text_is_kept_exactly_as_sent() {
    each_engine(|app| {
        let member = make_user(app, "thanhvien.doc@example.org", PASSWORD, "member");
        let token = make_token(app, &member);
        let title =
            "<script>alert(1)</script> Đèn \u{202e}ruoy kcab\u{202c} 🚀🧑\u{200d}🤝\u{200d}🧑";
        let summary =
            "'; DROP TABLE ideas; -- Z\u{337}\u{322}a\u{335}l\u{338}go đ\u{200b}è\u{feff}n";
        let (status, made) = call(
            app,
            &token,
            Method::POST,
            "/api/v1/ideas",
            Some(&idea(title, summary)),
        );
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap();
        let (status, mine) = call(
            app,
            &token,
            Method::GET,
            &format!("/api/v1/me/ideas/{id}"),
            None,
        );
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["title"], title);
        assert_eq!(mine["summary"], summary);
    });
}

#[test]
fn adoption_text_refuses_a_nul_even_in_a_multipart_form_and_the_reason_to_stop_is_shown_as_text() {
    each_engine(|app| {
        let author = make_user(app, "tacgia.doc@example.org", PASSWORD, "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc.doc@example.org", PASSWORD, "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        let id = idea_at(app, &token, "Đèn đường cho hẻm tối ở phường", "selected");
        let base = format!("/api/v1/contests/sang-tao-tre-2026/ideas/{id}/adoption");
        let (code, body) = call(
            app,
            &org,
            Method::PUT,
            &base,
            Some(
                &json!({"unit": "phuong-5", "plan": "Lắp thử mười đèn ở hẻm tối nhất phường.",
                "planned_start": "2026-12-01", "planned_end": "2027-03-31"}),
            ),
        );
        assert_eq!(code, 200, "{body}");
        // A milestone form is multipart (it carries photos), which the check of JSON and form bodies does not
        // read: its text is checked where it is read.
        let (content_type, form) = milestone_form(
            &[
                ("happened_on", "2026-11-02"),
                ("body", NUL),
                ("progress", "30"),
            ],
            &[],
        );
        let r = new_client()
            .post(app.url(&format!(
                "/api/v1/contests/sang-tao-tre-2026/ideas/{id}/milestones"
            )))
            .bearer_auth(&org)
            .header("content-type", content_type)
            .body(form)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        assert_nul_refused(status, &r.json().unwrap(), "body", "a multipart milestone");
        let reason = "<script>alert(1)</script> Phường đã lắp đèn bằng ngân sách riêng 🚀";
        let (code, body) = call(
            app,
            &org,
            Method::POST,
            &format!("{base}/finish"),
            Some(&json!({"outcome": "discontinued", "reason": reason})),
        );
        assert_eq!(code, 200, "{body}");
        let r = new_client()
            .get(app.url(&format!(
                "/organize/contests/sang-tao-tre-2026/ideas/{id}/adoption"
            )))
            .bearer_auth(&org)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let page = r.text().unwrap();
        assert!(
            unescape(&page).contains(reason),
            "the reason is on the organizer's page: {page}"
        );
        assert!(!page.contains("<script>alert(1)"), "as text: {page}");
    });
}
