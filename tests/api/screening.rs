//! Screening: organizers mark submitted ideas eligible or ineligible (with a reason the authors are emailed), through
//! the API and the page, all or nothing; every move is an event; the rest of the lifecycle's rules hold.

use diesel::prelude::*;
use reqwest::blocking::Client;
use sangtao::db::schema::{events, ideas};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, each_engine, form_csrf, last_mail, make_token, make_user, new_client,
    set_unit, unescape,
};

const QUEUE: &str = "/api/v1/contests/sang-tao-tre-2026/screening";
const PAGE: &str = "/organize/contests/sang-tao-tre-2026/screening";

fn new_idea(app: &TestApp, token: &str, title: &str, submit: bool) -> String {
    let r = new_client()
        .post(app.url("/api/v1/ideas"))
        .bearer_auth(token)
        .json(&json!({
            "contest": "sang-tao-tre-2026",
            "category": "giao-thong",
            "submit": submit,
            "title": title,
            "summary": "Phân luồng xe trước cổng trường vào giờ tan học bằng đội thanh niên tình nguyện.",
            "situation": "Giờ tan học, phụ huynh đỗ xe tràn xuống lòng đường gây ùn tắc kéo dài.",
            "solution": "Kẻ vạch chờ đón, đoàn viên hướng dẫn phụ huynh đỗ xe theo hàng trong giờ cao điểm.",
            "impact": "Giảm ùn tắc giờ tan trường.",
        }))
        .send()
        .unwrap();
    let body: Value = r.json().unwrap();
    body["id"].as_str().unwrap().to_string()
}

fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = new_client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = new_client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn status_of(app: &TestApp, id: &str) -> (String, bool) {
    ideas::table
        .find(id)
        .select((ideas::status, ideas::is_public))
        .first(&mut app.conn())
        .unwrap()
}

fn queue_ids(app: &TestApp, token: &str, status: &str) -> Vec<String> {
    let (code, body) = get(app, token, &format!("{QUEUE}?status={status}"));
    assert_eq!(code, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn organizers_screen_ideas_all_or_nothing_and_authors_are_told() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        let a = new_idea(app, &token, "Vạch chờ đón học sinh trước cổng trường", true);
        let b = new_idea(app, &token, "Xe đạp công cộng cho học sinh", true);
        let c = new_idea(app, &token, "Bản sao ý tưởng năm ngoái", true);
        let draft = new_idea(app, &token, "Bản nháp chưa gửi", false);

        // The queue holds the submitted ideas, not the draft.
        let waiting = queue_ids(app, &org, "submitted");
        for id in [&a, &b, &c] {
            assert!(waiting.contains(id));
        }
        assert!(!waiting.contains(&draft));

        // Ineligible needs a reason; an unknown decision is named; nothing changes.
        let (code, err) = post(
            app,
            &org,
            QUEUE,
            &json!({"ids": [&c], "decision": "ineligible"}),
        );
        assert_eq!(code, 400, "{err}");
        assert_eq!(
            err["error"]["fields"]["reason"][0]["code"],
            "reason_required"
        );
        let (code, err) = post(app, &org, QUEUE, &json!({"ids": [&c], "decision": "maybe"}));
        assert_eq!(code, 400);
        assert_eq!(
            err["error"]["fields"]["decision"][0]["code"],
            "unknown_decision"
        );
        // One id that is not waiting (a draft) refuses the whole request, naming its position.
        let (code, err) = post(
            app,
            &org,
            QUEUE,
            &json!({"ids": [&a, &draft], "decision": "eligible"}),
        );
        assert_eq!(code, 409, "{err}");
        assert_eq!(err["error"]["fields"]["ids"][0]["code"], "not_screenable");
        assert_eq!(err["error"]["fields"]["ids"][0]["params"]["index"], "1");
        assert_eq!(status_of(app, &a).0, "submitted", "nothing moved");
        assert_eq!(status_of(app, &c).0, "submitted");

        // Eligible, two at once.
        let (code, done) = post(
            app,
            &org,
            QUEUE,
            &json!({"ids": [&a, &b], "decision": "eligible"}),
        );
        assert_eq!(code, 200, "{done}");
        assert_eq!(done["moved"], 2);
        assert_eq!(status_of(app, &a), ("eligible".into(), true));
        let (_, mail) = last_mail(app, "tacgia@example.org", "idea_status").unwrap();
        assert!(mail.contains("qua vòng sơ loại"), "{mail}");
        // Ineligible with a reason: out of the public lists, the reason in the email and the audit log.
        let reason = "Trùng với ý tưởng đã đạt giải năm 2025.";
        let (code, _) = post(
            app,
            &org,
            QUEUE,
            &json!({"ids": [&c], "decision": "ineligible", "reason": reason}),
        );
        assert_eq!(code, 200);
        assert_eq!(status_of(app, &c), ("ineligible".into(), false));
        let (subject, mail) = last_mail(app, "tacgia@example.org", "idea_status").unwrap();
        assert!(subject.contains("ý tưởng"), "{subject}");
        assert!(
            mail.contains(reason) && mail.contains("Bản sao ý tưởng năm ngoái"),
            "{mail}"
        );
        assert!(mail.contains(&format!("/me/ideas/{c}")), "{mail}");
        let logged: Vec<(Option<String>, Option<String>, Option<String>)> = events::table
            .filter(events::idea_id.eq(&c))
            .filter(events::kind.eq("transition"))
            .order(events::created_at.asc())
            .select((events::to_status, events::actor_id, events::reason))
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(
            logged.last().unwrap(),
            &(
                Some("ineligible".into()),
                Some(organizer.clone()),
                Some(reason.into())
            )
        );
        // Screened ideas cannot be screened again.
        let (code, err) = post(
            app,
            &org,
            QUEUE,
            &json!({"ids": [&a], "decision": "ineligible", "reason": "x"}),
        );
        assert_eq!(code, 409);
        assert_eq!(err["error"]["fields"]["ids"][0]["code"], "not_screenable");
        let eligible = queue_ids(app, &org, "eligible");
        assert!(eligible.contains(&a) && eligible.contains(&b));
        assert!(queue_ids(app, &org, "ineligible").contains(&c));
        let (code, err) = get(app, &org, &format!("{QUEUE}?status=selected"));
        assert_eq!(code, 400);
        assert_eq!(err["error"]["code"], "bad_parameter");

        // The audit log shows the screening with who and why, newest first; nothing in it can be changed.
        let (code, log) = get(app, &org, "/api/v1/contests/sang-tao-tre-2026/audit");
        assert_eq!(code, 200, "{log}");
        let items = log["items"].as_array().unwrap();
        let at = |e: &Value| e["at"].as_str().unwrap().to_string();
        assert!(
            items.windows(2).all(|w| at(&w[0]) >= at(&w[1])),
            "newest first"
        );
        let newest = items
            .iter()
            .find(|e| e["idea_id"] == c.as_str() && e["kind"] == "transition")
            .unwrap();
        assert_eq!(newest["to_status"], "ineligible");
        assert_eq!(newest["reason"], reason);
        assert_eq!(newest["actor"], "Người dùng organizer");
        assert!(newest["at"].as_str().unwrap().ends_with("+07:00"));
        let screened = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["to_status"] == "eligible" && e["actor"] == "Người dùng organizer")
            .count();
        assert_eq!(screened, 2);
        assert_eq!(
            get(app, &token, "/api/v1/contests/sang-tao-tre-2026/audit").0,
            403
        );
        let (code, err) = get(
            app,
            &org,
            "/api/v1/contests/sang-tao-tre-2026/audit?before=khong-co",
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (400, Some("bad_parameter"))
        );
        // A well-formed id of no event: nothing to page from.
        let (code, err) = get(
            app,
            &org,
            "/api/v1/contests/sang-tao-tre-2026/audit?before=01a2203a-591f-7683-9886-5432d69a0772",
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (404, Some("not_found"))
        );
        let tampered = diesel::update(events::table.filter(events::idea_id.eq(&c)))
            .set(events::reason.eq("sửa lén"))
            .execute(&mut app.conn());
        assert!(tampered.is_err(), "the database refuses to edit the log");

        // The author may still withdraw an eligible idea, not an ineligible one.
        let (code, _) = post(
            app,
            &token,
            &format!("/api/v1/ideas/{b}/withdraw"),
            &json!({}),
        );
        assert_eq!(code, 200);
        let (code, err) = post(
            app,
            &token,
            &format!("/api/v1/ideas/{c}/withdraw"),
            &json!({}),
        );
        assert_eq!(code, 409, "{err}");
        assert_eq!(err["error"]["code"], "not_withdrawable");

        // A member may not screen, nor an organizer of another unit (a ward below the contest's district).
        assert_eq!(get(app, &token, QUEUE).0, 403);
        assert_eq!(
            post(
                app,
                &token,
                QUEUE,
                &json!({"ids": [&a], "decision": "eligible"})
            )
            .0,
            403
        );
        let ward = make_user(app, "phuong@example.org", "mật khẩu của tôi", "organizer");
        let ward = make_token(app, &ward);
        assert_eq!(get(app, &ward, QUEUE).0, 403);
        let (code, _) = post(
            app,
            &ward,
            QUEUE,
            &json!({"ids": [&b], "decision": "eligible"}),
        );
        assert_eq!(code, 403);
    });
}

pub(crate) fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = new_client();
    api_signin(app, &client, email, "mật khẩu của tôi");
    client
}

#[test]
fn the_screening_page_keeps_the_form_when_refused_and_works_without_javascript() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
        set_unit(app, &organizer, "quan-10");
        let a = new_idea(app, &token, "Vạch chờ đón học sinh trước cổng trường", true);
        let client = signed_in(app, "btc@example.org");

        let html = client
            .get(app.url("/organize/contests"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            html.contains(&format!("href=\"{PAGE}\"")),
            "linked from the contests"
        );
        let r = client.get(app.url(PAGE)).send().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let html = r.text().unwrap();
        assert!(html.contains(&format!("name=\"ids\" value=\"{a}\"")));
        let csrf = form_csrf(&html);

        // "Ineligible" without a reason: the page again, 400, the box still checked, the message in Vietnamese.
        let r = client
            .post(app.url(PAGE))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("ids", a.as_str()),
                ("decision", "ineligible"),
                ("reason", ""),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = unescape(&r.text().unwrap());
        assert!(
            html.contains(&format!("value=\"{a}\" id=\"pick-{a}\" checked")),
            "{html}"
        );
        assert!(html.contains("Vui lòng ghi lý do"), "{html}");
        assert_eq!(status_of(app, &a).0, "submitted");

        // With a reason: done, back to the queue with a notice.
        let r = client
            .post(app.url(PAGE))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("ids", a.as_str()),
                ("decision", "ineligible"),
                ("reason", "Ý tưởng nằm ngoài phạm vi <b>cuộc thi</b>."),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with(PAGE), "{to}");
        let html = client.get(app.url(&to)).send().unwrap().text().unwrap();
        assert!(html.contains("Đã đánh dấu không đạt"), "{html}");
        // The audit log page shows it, with the reason escaped.
        let html = client
            .get(app.url("/organize/contests/sang-tao-tre-2026/audit"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(html.contains("Nhật ký hoạt động"), "{html}");
        assert!(
            html.contains("Chuyển sang «Không đạt»") || html.contains("Chuyển sang"),
            "{html}"
        );
        assert!(!html.contains("<b>cuộc thi</b>"), "escaped");
        assert_eq!(status_of(app, &a).0, "ineligible");
        // The reason is kept as written and escaped in the email's HTML part.
        let html_part: String = {
            use sangtao::db::schema::outbox;
            outbox::table
                .filter(outbox::recipient.eq("tacgia@example.org"))
                .filter(outbox::kind.eq("idea_status"))
                .select(outbox::body_html)
                .first(&mut app.conn())
                .unwrap()
        };
        assert!(
            html_part.contains("&lt;b&gt;cuộc thi&lt;/b&gt;") || html_part.contains("&#60;b&#62;"),
            "{html_part}"
        );
        assert!(!html_part.contains("<b>cuộc thi</b>"));
        // Without the CSRF token: refused.
        let r = client
            .post(app.url(PAGE))
            .form(&[("ids", a.as_str()), ("decision", "eligible")])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    });
}
