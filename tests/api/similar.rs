//! Similar ideas: `/api/v1/ideas/similar` (unaccented text, contest filter, what is never returned, bad input), the
//! "check for similar ideas" button of the idea form (no JavaScript, nothing saved), and the organizers'
//! near-duplicate groups (`/organize/contests/{slug}/duplicates` and its API) with who may see them.

use diesel::prelude::*;
use reqwest::blocking::Client;
use sangtao::db::schema::{contests, ideas, users};
use sangtao::demo::demo_data;
use sangtao::domain::text::fold;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, assert_api_error, each_engine, form, form_csrf, make_token, make_user,
    new_client, set_unit, unescape,
};

/// A demo idea: title, summary, contest slug, whether the public sees it.
struct Demo {
    title: String,
    summary: String,
    contest: String,
    public: bool,
}

fn demo_ideas() -> Vec<Demo> {
    let data = demo_data();
    data.ideas
        .iter()
        .map(|i| Demo {
            title: i.title.clone(),
            summary: i.summary.clone(),
            contest: data
                .contests
                .iter()
                .find(|c| c.id == i.contest_id)
                .unwrap()
                .slug
                .clone(),
            public: i.is_public,
        })
        .collect()
}

fn query(pairs: &[(&str, &str)]) -> String {
    format!(
        "/api/v1/ideas/similar?{}",
        serde_urlencoded::to_string(pairs).unwrap()
    )
}

fn similar(app: &TestApp, pairs: &[(&str, &str)]) -> Vec<Value> {
    let path = query(pairs);
    let (status, body) = app.json(&path);
    assert_eq!(status, 200, "{path}: {body}");
    body["items"].as_array().unwrap().clone()
}

fn titles(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

fn count_ideas(app: &TestApp) -> i64 {
    ideas::table.count().get_result(&mut app.conn()).unwrap()
}

#[test]
fn unaccented_text_finds_the_idea_first_with_a_score() {
    let all = demo_ideas();
    let public: Vec<&Demo> = all.iter().filter(|d| d.public).step_by(9).collect();
    assert!(public.len() >= 15);
    each_engine(|app| {
        for d in &public {
            // Title and summary typed without accents, in lower case.
            let items = similar(
                app,
                &[("title", &fold(&d.title)), ("summary", &fold(&d.summary))],
            );
            assert_eq!(items[0]["title"], d.title.as_str(), "{}", d.title);
            // Without accents a few syllables cannot be told from function words ("cho" for "chợ"): still high.
            let score = items[0]["score"].as_f64().unwrap();
            assert!(score > 0.7 && score <= 1.0, "{score}");
            // As written: exactly alike.
            let items_as_written = similar(app, &[("title", &d.title), ("summary", &d.summary)]);
            assert_eq!(items_as_written[0]["title"], d.title.as_str());
            assert_eq!(items_as_written[0]["score"], 1.0);
            // Most alike first, every score in (0, 1].
            let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
            assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
            assert!(scores.iter().all(|s| *s > 0.0 && *s <= 1.0));
            assert!(items.len() <= 5);
            // The answer says where the idea is and how to open it.
            let first = &items[0];
            assert_eq!(first["contest"]["slug"], d.contest.as_str());
            let url = first["url"].as_str().unwrap();
            assert_eq!(url, format!("/ideas/{}", first["id"].as_str().unwrap()));
            assert!(first["status"].is_string());
            assert!(first["summary"].as_str().unwrap().chars().count() <= 201);
            assert_eq!(app.get(url).status().as_u16(), 200);
        }
        // The title alone, unaccented, finds it first too.
        let d = public[3];
        let items = similar(app, &[("title", &fold(&d.title).to_uppercase())]);
        assert_eq!(items[0]["title"], d.title.as_str());
        // More ideas when asked, never more than asked.
        let d = public[0];
        let many = similar(app, &[("title", &d.title), ("limit", "20")]);
        let two = similar(app, &[("title", &d.title), ("limit", "2")]);
        assert!(two.len() <= 2 && !two.is_empty());
        assert!(many.len() >= two.len() && many.len() <= 20);
        assert_eq!(titles(&two), titles(&many)[..two.len()].to_vec());
    });
}

#[test]
fn the_contest_filter_and_the_ideas_never_returned() {
    let all = demo_ideas();
    let old = all
        .iter()
        .find(|d| d.public && d.contest == "sang-tao-tre-2021")
        .unwrap();
    let hidden: Vec<&Demo> = all.iter().filter(|d| !d.public).collect();
    assert!(hidden.len() >= 5);
    each_engine(|app| {
        let text = [
            ("title", old.title.as_str()),
            ("summary", old.summary.as_str()),
        ];
        let items = similar(app, &[text[0], text[1], ("contest", "sang-tao-tre-2021")]);
        assert_eq!(items[0]["title"], old.title.as_str());
        assert!(
            items
                .iter()
                .all(|i| i["contest"]["slug"] == "sang-tao-tre-2021")
        );
        let items = similar(app, &[text[0], text[1], ("contest", "sang-tao-tre-2026")]);
        assert!(!titles(&items).contains(&old.title));
        assert!(
            items
                .iter()
                .all(|i| i["contest"]["slug"] == "sang-tao-tre-2026")
        );
        // The idea being edited is left out.
        let id = similar(app, &text)[0]["id"].as_str().unwrap().to_string();
        let items = similar(app, &[text[0], text[1], ("exclude", &id)]);
        assert!(items.iter().all(|i| i["id"] != id.as_str()));

        // Drafts, withdrawn and ineligible ideas are never returned, even for their exact text.
        for d in &hidden {
            let items = similar(app, &[("title", &d.title), ("summary", &d.summary)]);
            assert!(!titles(&items).contains(&d.title), "{}", d.title);
        }
        let uid = make_user(app, "nhap@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &uid);
        let r = new_client()
            .post(app.url("/api/v1/ideas"))
            .bearer_auth(&token)
            .json(&json!({"contest": "sang-tao-tre-2026", "category": "khac",
                "title": "Vườn rau thủy canh zzquyxyz trên sân thượng",
                "summary": "Trồng rau zzquyxyz cho bếp ăn từ thiện."}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        assert!(similar(app, &[("title", "vuon rau thuy canh zzquyxyz")]).is_empty());

        // Text that matches nothing, a single letter, stop words only: an empty answer, not an error.
        assert!(similar(app, &[("title", "zzkhongcoxyz qqwwee")]).is_empty());
        let _ = similar(app, &[("title", "x")]);
        assert!(similar(app, &[("title", "và của các"), ("summary", "the of and")]).is_empty());
    });
}

#[test]
fn bad_input_gets_a_stable_error() {
    each_engine(|app| {
        // Both texts missing is a rule across parameters (422); a text too long is ruled out by the document (400).
        let field_error = |path: &str, field: &str, code: &str| {
            let (status, body) = app.json(path);
            let expected = if code == "required" { 422 } else { 400 };
            assert_eq!(status, expected, "{path}: {body}");
            assert_eq!(body["error"]["code"], "validation_failed", "{body}");
            assert_eq!(body["error"]["fields"][field][0]["code"], code, "{body}");
            assert!(body["error"]["fields"][field][0]["message"].is_string());
        };
        field_error("/api/v1/ideas/similar", "title", "required");
        field_error(
            &query(&[("title", "  "), ("summary", "\n")]),
            "title",
            "required",
        );
        field_error(&query(&[("title", &"ă".repeat(151))]), "title", "too_long");
        field_error(
            &query(&[("title", "xe"), ("summary", &"ư".repeat(601))]),
            "summary",
            "too_long",
        );
        assert_api_error(
            app,
            &query(&[("title", "xe buýt"), ("contest", "khong-co-cuoc-thi-nay")]),
            404,
            "not_found",
            Some("contest"),
        );
        for bad in ["0", "21", "-1", "x", "2.5"] {
            assert_api_error(
                app,
                &query(&[("title", "xe"), ("limit", bad)]),
                400,
                "bad_parameter",
                Some("limit"),
            );
        }
        assert_api_error(
            app,
            &query(&[("title", "xe"), ("exclude", "khong-phai-uuid")]),
            400,
            "bad_parameter",
            Some("exclude"),
        );
        // The longest text accepted.
        let _ = similar(
            app,
            &[("title", &"ă".repeat(150)), ("summary", &"ư".repeat(600))],
        );
        // Only GET.
        let r = app
            .client
            .post(app.url("/api/v1/ideas/similar"))
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 405);
        // Documented.
        let (_, doc) = app.json("/api/openapi.json");
        let op = &doc["paths"]["/api/v1/ideas/similar"]["get"];
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for n in ["title", "summary", "contest", "limit", "exclude"] {
            assert!(names.contains(&n), "{names:?}");
        }
        assert!(doc["paths"]["/api/v1/contests/{slug}/duplicates"]["get"].is_object());
    });
}

#[test]
fn the_form_button_lists_similar_ideas_and_saves_nothing() {
    let all = demo_ideas();
    let known = all.iter().find(|d| d.public).unwrap();
    each_engine(|app| {
        make_user(app, "viet@example.org", "mật khẩu của tôi", "member");
        let (client, _) = signed_in(app, "viet@example.org");
        let (_, html) = page(app, &client, "/ideas/new");
        assert!(html.contains("name=\"intent\" value=\"similar\""));
        assert!(html.contains("Kiểm tra ý tưởng tương tự"));
        assert!(html.contains("id=\"similar-results\" aria-live=\"polite\""));
        assert!(html.contains("<script>") && html.contains("/api/v1/ideas/similar"));
        let csrf = form_csrf(&html);
        let before = count_ideas(app);

        let r = client
            .post(app.url("/ideas/new?contest=sang-tao-tre-2026"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("idempotency_key", "khoa-kiem-tra-tuong-tu"),
                ("intent", "similar"),
                ("category", "giao-thong"),
                ("title", &fold(&known.title)),
                ("summary", "Tóm tắt <i>đang viết</i>"),
                ("situation", "Thực trạng đang viết dở"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let html = r.text().unwrap();
        let text = unescape(&html);
        assert!(text.contains("Ý tưởng tương tự đã có"), "{html}");
        assert!(text.contains(&format!("{}<span", known.title)), "{html}");
        assert!(text.contains("giống "));
        // Everything typed is kept (escaped), the form key too, and nothing was saved.
        assert!(html.contains("Tóm tắt &#60;i&#62;đang viết&#60;/i&#62;"));
        assert!(html.contains("Thực trạng đang viết dở"));
        assert!(html.contains(&fold(&known.title)));
        assert!(html.contains("value=\"khoa-kiem-tra-tuong-tu\""));
        assert!(html.contains("<option value=\"giao-thong\" selected>"));
        assert_eq!(count_ideas(app), before);

        // Nothing typed: the problem is shown at the title, still nothing saved.
        let r = client
            .post(app.url("/ideas/new?contest=sang-tao-tre-2026"))
            .form(&form(&[("_csrf", &csrf), ("intent", "similar")]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert!(r.text().unwrap().contains("Vui lòng điền mục này."));
        // Text like no idea: said so.
        let r = client
            .post(app.url("/ideas/new?contest=sang-tao-tre-2026"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("intent", "similar"),
                ("title", "zzkhongcoxyz"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.text()
                .unwrap()
                .contains("Chưa thấy ý tưởng nào tương tự.")
        );
        assert_eq!(count_ideas(app), before);

        // On the edit page: the idea keeps its text, and is never listed as like itself.
        let uid: String = users::table
            .filter(users::email.eq("viet@example.org"))
            .select(users::id)
            .first(&mut app.conn())
            .unwrap();
        let token = make_token(app, &uid);
        let r = new_client()
            .post(app.url("/api/v1/ideas"))
            .bearer_auth(&token)
            .json(&json!({"contest": "sang-tao-tre-2026", "category": "khac", "title": "Bản nháp ban đầu"}))
            .send()
            .unwrap();
        let id = r.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = client
            .post(app.url(&format!("/me/ideas/{id}/edit")))
            .form(&form(&[
                ("_csrf", &csrf),
                ("intent", "similar"),
                ("title", &known.title),
                ("summary", &known.summary),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let html = r.text().unwrap();
        assert!(html.contains(&format!("data-exclude=\"{id}\"")));
        assert!(!html.contains(&format!("/ideas/{id}\"")));
        assert!(unescape(&html).contains(&format!("{}<span", known.title)));
        let title: String = ideas::table
            .find(&id)
            .select(ideas::title)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(title, "Bản nháp ban đầu");
        // Someone else's idea: not found.
        make_user(app, "khac@example.org", "mật khẩu của tôi", "member");
        let (other, other_csrf) = signed_in(app, "khac@example.org");
        let r = other
            .post(app.url(&format!("/me/ideas/{id}/edit")))
            .form(&form(&[
                ("_csrf", &other_csrf),
                ("intent", "similar"),
                ("title", "xe"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    });
}

const DUPLICATES_API: &str = "/api/v1/contests/sang-tao-tre-2026/duplicates";
const DUPLICATES_PAGE: &str = "/organize/contests/sang-tao-tre-2026/duplicates";

/// Status and body of a GET with a personal access token.
fn with_token(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let r = new_client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// A client signed in (with a session) as this existing account, and its CSRF token.
fn signed_in(app: &TestApp, email: &str) -> (Client, String) {
    let client = new_client();
    let csrf = api_signin(app, &client, email, "mật khẩu của tôi");
    (client, csrf)
}

/// Status and body of a page fetched by `client`.
fn page(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn submit(app: &TestApp, token: &str, title: &str, summary: &str, submit: bool) -> String {
    let r = new_client()
        .post(app.url("/api/v1/ideas"))
        .bearer_auth(token)
        .json(&json!({
            "contest": "sang-tao-tre-2026",
            "category": "moi-truong",
            "submit": submit,
            "title": title,
            "summary": summary,
            "situation": "Rác thải nhựa ở khu chợ bị vứt lẫn với rác hữu cơ và không ai phân loại.",
            "solution": "Đặt cụm thùng ba màu ở cổng chợ, đoàn viên hướng dẫn tiểu thương trong tháng đầu.",
            "impact": "Giảm lượng rác phải chôn lấp.",
        }))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

#[test]
fn organizers_see_groups_of_near_duplicates_in_their_contests() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &author);
        let a = submit(
            app,
            &token,
            "Thùng rác phân loại zzchoxyz ở cổng chợ Nguyễn Tri Phương",
            "Đặt cụm thùng rác ba ngăn zzchoxyz ở cổng chợ và hướng dẫn tiểu thương phân loại.",
            true,
        );
        let b = submit(
            app,
            &token,
            "Thùng rác phân loại zzchoxyz tại cổng chợ Nguyễn Tri Phương",
            "Đặt cụm thùng rác ba ngăn zzchoxyz ở cổng chợ, hướng dẫn tiểu thương cách phân loại.",
            true,
        );
        let draft = submit(
            app,
            &token,
            "Thùng rác phân loại zzchoxyz ở cổng chợ Nguyễn Tri Phương",
            "Đặt cụm thùng rác ba ngăn zzchoxyz ở cổng chợ và hướng dẫn tiểu thương phân loại.",
            false,
        );

        let organizer = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
        set_unit(app, &organizer, "quan-10");
        let org_token = make_token(app, &organizer);
        let (status, body) = with_token(app, &org_token, DUPLICATES_API);
        assert_eq!(status, 200);
        let report: Value = serde_json::from_str(&body).unwrap();
        let submitted: i64 = ideas::table
            .inner_join(contests::table)
            .filter(contests::slug.eq("sang-tao-tre-2026"))
            .filter(ideas::status.ne_all(["draft", "withdrawn"]))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(report["compared"], submitted);
        assert_eq!(report["capped"], false);
        let groups = report["groups"].as_array().unwrap();
        let ours = groups
            .iter()
            .find(|g| {
                g["ideas"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["id"] == a.as_str())
            })
            .unwrap_or_else(|| panic!("no group with the new idea: {report}"));
        let ids: Vec<&str> = ours["ideas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2, "{ours}");
        assert!(ids.contains(&b.as_str()) && !ids.contains(&draft.as_str()));
        let score = ours["score"].as_f64().unwrap();
        assert!((0.6..1.0).contains(&score), "{score}");
        let first = &ours["ideas"][0];
        assert_eq!(first["author"], "Người dùng member");
        assert_eq!(first["unit"], "Phường 4");
        assert_eq!(first["status"], "submitted");
        assert!(first["submitted_at"].as_str().unwrap().ends_with("+07:00"));

        // The page, for the organizer signed in with a session, linked from their contests.
        let (client, _) = signed_in(app, "btc@example.org");
        for linked_from in [
            "/organize/contests",
            "/organize/contests/sang-tao-tre-2026/edit",
        ] {
            let (_, html) = page(app, &client, linked_from);
            assert!(
                html.contains(&format!("href=\"{DUPLICATES_PAGE}\"")),
                "{linked_from}"
            );
        }
        let (status, html) = page(app, &client, DUPLICATES_PAGE);
        assert_eq!(status, 200);
        let html = unescape(&html);
        assert!(
            html.contains("Ý tưởng trùng lặp — Sáng tạo trẻ 2026"),
            "{html}"
        );
        assert!(html.contains(&format!(
            "<a href=\"/ideas/{a}\">Thùng rác phân loại zzchoxyz ở cổng chợ"
        )));
        assert!(html.contains(&format!("<a href=\"/ideas/{b}\">")));
        assert!(!html.contains(&draft));
        assert!(html.contains("Người dùng member") && html.contains("Phường 4"));
        assert!(html.contains(&format!("{}%", (score * 100.0).round() as i64)));

        // A member is refused; an organizer of another unit (a ward) is told there is no such contest.
        assert_eq!(with_token(app, &token, DUPLICATES_API).0, 403);
        let (member, _) = signed_in(app, "tacgia@example.org");
        assert_eq!(page(app, &member, DUPLICATES_PAGE).0, 403);
        let ward = make_user(app, "phuong@example.org", "mật khẩu của tôi", "organizer");
        assert_eq!(
            with_token(app, &make_token(app, &ward), DUPLICATES_API).0,
            404
        );
        let (ward_client, _) = signed_in(app, "phuong@example.org");
        assert_eq!(page(app, &ward_client, DUPLICATES_PAGE).0, 404);
        // Nobody signed in: sent to sign in. An unknown contest: not found.
        assert_eq!(app.get(DUPLICATES_PAGE).status().as_u16(), 303);
        let unknown = "/api/v1/contests/khong-co/duplicates";
        assert_eq!(with_token(app, &org_token, unknown).0, 404);
    });
}
