//! Writing ideas through the pages and the API: drafts, submitting, editing with versions, withdrawing, the rules
//! that refuse, and idempotent creation.

use diesel::prelude::*;
use sangtao::db::schema::{contests, idea_versions, ideas, users};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, each_engine, form, form_csrf, make_token, make_user, new_client, unescape,
};

fn complete() -> Value {
    json!({
        "contest": "sang-tao-tre-2026",
        "category": "moi-truong",
        "title": "Thùng rác phân loại cho chung cư Nguyễn Kim",
        "summary": "Đặt cụm ba thùng rác phân loại ở mỗi tầng và hướng dẫn cư dân bằng mã QR.",
        "situation": "Rác sinh hoạt ở chung cư được bỏ chung một thùng, rác tái chế bị lẫn và không ai phân loại.",
        "solution": "Đặt cụm thùng ba màu ở mỗi tầng, dán mã QR dẫn tới hướng dẫn, đoàn viên hướng dẫn cư dân trong tháng đầu.",
        "impact": "Giảm một phần ba lượng rác phải chôn lấp.",
        "resources": "Khoảng 30 triệu đồng cho thùng và bảng hướng dẫn.",
        "applies_where": "Chung cư Nguyễn Kim, Phường 7"
    })
}

fn count_ideas(app: &TestApp) -> i64 {
    ideas::table.count().get_result(&mut app.conn()).unwrap()
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

#[test]
fn draft_submit_edit_and_withdraw_through_the_api() {
    each_engine(|app| {
        let uid = make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &uid);
        let mut draft = json!({"contest": "sang-tao-tre-2026", "category": "giao-thong", "title": "Ý tưởng đang viết"});
        let (status, idea) = post(app, &token, "/api/v1/ideas", &draft);
        assert_eq!(status, 201, "{idea}");
        assert_eq!(idea["status"], "draft");
        assert_eq!(idea["public"], false);
        let id = idea["id"].as_str().unwrap().to_string();
        // A draft is private.
        assert_eq!(app.json(&format!("/api/v1/ideas/{id}")).0, 404);

        // Submitting an incomplete draft names every missing field, and changes nothing.
        let (status, err) = post(
            app,
            &token,
            &format!("/api/v1/ideas/{id}/submit"),
            &json!({}),
        );
        assert_eq!(status, 422, "{err}");
        for f in ["summary", "situation", "solution", "impact"] {
            assert_eq!(
                err["error"]["fields"][f][0]["code"], "required",
                "{f}: {err}"
            );
        }
        assert_eq!(
            err["error"]["fields"]["title"][0]["code"],
            Value::Null,
            "the title is long enough"
        );

        // Complete it and submit in one edit.
        draft = complete();
        draft["submit"] = json!(true);
        let r = new_client()
            .patch(app.url(&format!("/api/v1/ideas/{id}")))
            .bearer_auth(&token)
            .json(&draft)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let idea: Value = r.json().unwrap();
        assert_eq!(idea["status"], "submitted");
        assert_eq!(idea["version"], 1);
        let (code, public) = app.json(&format!("/api/v1/ideas/{id}"));
        assert_eq!(code, 200, "submitted ideas of this contest are public");
        assert_eq!(
            public["title"],
            "Thùng rác phân loại cho chung cư Nguyễn Kim"
        );
        // The public list shows it at once: the write emptied the page cache.
        let (_, list) = app.json("/api/v1/ideas?contest=sang-tao-tre-2026&limit=100");
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id.as_str())
        );

        // Editing a submitted idea keeps the previous text as a version.
        let mut edited = complete();
        edited["title"] = json!("Thùng rác phân loại ba màu cho chung cư");
        let r = new_client()
            .patch(app.url(&format!("/api/v1/ideas/{id}")))
            .bearer_auth(&token)
            .json(&edited)
            .send()
            .unwrap();
        let idea: Value = r.json().unwrap();
        assert_eq!(idea["version"], 2);
        assert_eq!(idea["status"], "submitted");
        let titles: Vec<String> = idea_versions::table
            .filter(idea_versions::idea_id.eq(&id))
            .order(idea_versions::version.asc())
            .select(idea_versions::title)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(
            titles,
            [
                "Thùng rác phân loại cho chung cư Nguyễn Kim",
                "Thùng rác phân loại ba màu cho chung cư"
            ]
        );
        // A submitted idea must stay complete.
        let mut emptied = complete();
        emptied["solution"] = json!("");
        let r = new_client()
            .patch(app.url(&format!("/api/v1/ideas/{id}")))
            .bearer_auth(&token)
            .json(&emptied)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);

        // Withdraw: no longer public, and not again.
        let (status, idea) = post(
            app,
            &token,
            &format!("/api/v1/ideas/{id}/withdraw"),
            &json!({}),
        );
        assert_eq!(status, 200);
        assert_eq!(idea["status"], "withdrawn");
        assert_eq!(app.json(&format!("/api/v1/ideas/{id}")).0, 404);
        let (status, err) = post(
            app,
            &token,
            &format!("/api/v1/ideas/{id}/withdraw"),
            &json!({}),
        );
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "not_withdrawable");

        let mine: Value = new_client()
            .get(app.url("/api/v1/me/ideas"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["status"], "withdrawn");
    });
}

#[test]
fn retried_creation_with_the_same_key_makes_one_idea() {
    each_engine(|app| {
        let uid = make_user(app, "thulai@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &uid);
        let before = count_ideas(app);
        let send = || {
            new_client()
                .post(app.url("/api/v1/ideas"))
                .bearer_auth(&token)
                .header("idempotency-key", "form-7f3c")
                .json(&json!({"contest": "sang-tao-tre-2026", "category": "khac", "title": "Bấm hai lần"}))
                .send()
                .unwrap()
        };
        let first = send();
        assert_eq!(first.status().as_u16(), 201);
        let first: Value = first.json().unwrap();
        let second = send();
        assert_eq!(second.status().as_u16(), 200);
        let second: Value = second.json().unwrap();
        assert_eq!(first["id"], second["id"]);
        assert_eq!(count_ideas(app), before + 1);
        // Concurrent retries too.
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let url = app.url("/api/v1/ideas");
                let token = token.clone();
                std::thread::spawn(move || {
                    new_client()
                        .post(url)
                        .bearer_auth(token)
                        .header("idempotency-key", "cung-luc")
                        .json(&json!({"contest": "sang-tao-tre-2026", "category": "khac", "title": "Cùng lúc"}))
                        .send()
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let codes: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(codes.iter().all(|c| *c == 200 || *c == 201), "{codes:?}");
        assert_eq!(count_ideas(app), before + 2);
    });
}

#[test]
fn the_rules_refuse_with_a_code_and_change_nothing() {
    each_engine(|app| {
        let uid = make_user(app, "luat@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &uid);
        let before = count_ideas(app);
        let mut closed = complete();
        closed["contest"] = json!("sang-tao-tre-2021");
        closed["submit"] = json!(true);
        let (status, err) = post(app, &token, "/api/v1/ideas", &closed);
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (409, Some("contest_closed")),
            "{err}"
        );

        let mut unknown = complete();
        unknown["category"] = json!("khong-co");
        let (status, err) = post(app, &token, "/api/v1/ideas", &unknown);
        assert_eq!(status, 422);
        assert_eq!(
            err["error"]["fields"]["category"][0]["code"],
            "unknown_category"
        );

        let mut long = complete();
        long["title"] = json!("x".repeat(151));
        let (status, err) = post(app, &token, "/api/v1/ideas", &long);
        assert_eq!(status, 400);
        assert_eq!(err["error"]["fields"]["title"][0]["code"], "too_long");

        // Not verified yet.
        let fresh = make_user(app, "chuaxacminh@example.org", "mật khẩu của tôi", "member");
        diesel::update(users::table.find(&fresh))
            .set(users::email_verified_at.eq(None::<chrono::NaiveDateTime>))
            .execute(&mut app.conn())
            .unwrap();
        let mut ok = complete();
        ok["submit"] = json!(true);
        let (status, err) = post(app, &make_token(app, &fresh), "/api/v1/ideas", &ok);
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (409, Some("email_not_verified"))
        );

        // A member of a unit outside the contest's organizer.
        let outsider = make_user(app, "ngoaiquan@example.org", "mật khẩu của tôi", "member");
        let city: String = sangtao::db::schema::units::table
            .filter(sangtao::db::schema::units::slug.eq("tp-ho-chi-minh"))
            .select(sangtao::db::schema::units::id)
            .first(&mut app.conn())
            .unwrap();
        diesel::update(users::table.find(&outsider))
            .set(users::unit_id.eq(Some(city)))
            .execute(&mut app.conn())
            .unwrap();
        let (status, err) = post(app, &make_token(app, &outsider), "/api/v1/ideas", &ok);
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (409, Some("outside_contest_unit"))
        );

        // The per-member limit.
        diesel::update(contests::table.filter(contests::slug.eq("sang-tao-tre-2026")))
            .set(contests::max_ideas_per_member.eq(1))
            .execute(&mut app.conn())
            .unwrap();
        assert_eq!(post(app, &token, "/api/v1/ideas", &ok).0, 201);
        let after_one = count_ideas(app);
        let (status, err) = post(app, &token, "/api/v1/ideas", &ok);
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (409, Some("idea_limit_reached"))
        );
        assert_eq!(count_ideas(app), after_one);
        assert_eq!(
            after_one,
            before + 1,
            "only the one allowed idea was stored"
        );

        // Someone else's idea is not found.
        let id = new_client()
            .get(app.url("/api/v1/me/ideas"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let other = make_token(
            app,
            &make_user(app, "nguoikhac@example.org", "mật khẩu của tôi", "member"),
        );
        let r = new_client()
            .patch(app.url(&format!("/api/v1/ideas/{id}")))
            .bearer_auth(&other)
            .json(&complete())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        assert_eq!(
            new_client()
                .get(app.url(&format!("/api/v1/me/ideas/{id}")))
                .bearer_auth(&other)
                .send()
                .unwrap()
                .status()
                .as_u16(),
            404
        );
        assert_eq!(
            post(
                app,
                &other,
                &format!("/api/v1/ideas/{id}/withdraw"),
                &json!({})
            )
            .0,
            404
        );
    });
}

#[test]
fn the_idea_form_keeps_what_was_typed_and_a_double_post_makes_one_idea() {
    each_engine(|app| {
        make_user(app, "trangform@example.org", "mật khẩu của tôi", "member");
        let client = new_client();
        api_signin(app, &client, "trangform@example.org", "mật khẩu của tôi");
        let html = client
            .get(app.url("/ideas/new"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            html.contains("Sáng tạo trẻ 2026"),
            "defaults to the open contest"
        );
        let csrf = form_csrf(&html);
        let key = html
            .split("name=\"idempotency_key\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let before = count_ideas(app);

        // Incomplete: sent back with the text kept and each problem next to its field.
        let r = client
            .post(app.url("/ideas/new?contest=sang-tao-tre-2026"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("idempotency_key", &key),
                ("intent", "submit"),
                ("category", "giao-thong"),
                ("title", "Đèn <b>vàng</b> nhấp nháy"),
                ("summary", "ngắn"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = r.text().unwrap();
        assert!(
            html.contains("Đèn &#60;b&#62;vàng&#60;/b&#62; nhấp nháy"),
            "kept and escaped"
        );
        assert!(unescape(&html).contains("Cần ít nhất 20 ký tự."));
        assert!(html.contains("Vui lòng điền mục này."));
        assert_eq!(count_ideas(app), before);

        // A draft, posted twice with the same form key (a double click): one idea.
        let fields = [
            ("_csrf", csrf.as_str()),
            ("idempotency_key", key.as_str()),
            ("intent", "draft"),
            ("category", "giao-thong"),
            ("title", "Đèn vàng nhấp nháy ở hẻm"),
        ];
        let r1 = client
            .post(app.url("/ideas/new?contest=sang-tao-tre-2026"))
            .form(&form(&fields))
            .send()
            .unwrap();
        let r2 = client
            .post(app.url("/ideas/new?contest=sang-tao-tre-2026"))
            .form(&form(&fields))
            .send()
            .unwrap();
        assert_eq!(r1.status().as_u16(), 303);
        assert_eq!(r1.headers().get("location"), r2.headers().get("location"));
        assert_eq!(count_ideas(app), before + 1);
        let location = r1
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let html = client
            .get(app.url(&location))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            html.contains("Đã lưu bản nháp.")
                && html.contains("Bản nháp")
                && html.contains("Tạo bản nháp"),
            "{html}"
        );
        let html = client
            .get(app.url("/me/ideas"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(html.contains("Đèn vàng nhấp nháy ở hẻm"));
    });
}

#[test]
fn coauthors_see_the_idea_and_the_author_can_remove_them() {
    each_engine(|app| {
        let author = make_token(
            app,
            &make_user(app, "truongnhom@example.org", "mật khẩu của tôi", "member"),
        );
        let mate_id = make_user(
            app,
            "thanhvien.nhom@example.org",
            "mật khẩu của tôi",
            "member",
        );
        let mate = make_token(app, &mate_id);
        let mut submitted = complete();
        submitted["submit"] = json!(true);
        let (_, idea) = post(app, &author, "/api/v1/ideas", &submitted);
        let id = idea["id"].as_str().unwrap().to_string();

        let (status, err) = post(
            app,
            &author,
            &format!("/api/v1/ideas/{id}/coauthors"),
            &json!({"email": "chua.dang.ky@example.org"}),
        );
        assert_eq!(status, 422);
        assert_eq!(err["error"]["fields"]["email"][0]["code"], "no_account");
        let (status, err) = post(
            app,
            &author,
            &format!("/api/v1/ideas/{id}/coauthors"),
            &json!({"email": "TruongNhom@example.org"}),
        );
        assert_eq!(
            (status, err["error"]["fields"]["email"][0]["code"].as_str()),
            (400, Some("is_author"))
        );

        let (status, idea) = post(
            app,
            &author,
            &format!("/api/v1/ideas/{id}/coauthors"),
            &json!({"email": "Thanhvien.Nhom@example.org"}),
        );
        assert_eq!(status, 200, "{idea}");
        assert_eq!(idea["coauthors"][0]["id"], mate_id.as_str());
        let mine: Value = new_client()
            .get(app.url("/api/v1/me/ideas"))
            .bearer_auth(&mate)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(mine[0]["id"], id.as_str());
        assert_eq!(mine[0]["is_author"], false);
        let seen: Value = new_client()
            .get(app.url(&format!("/api/v1/me/ideas/{id}")))
            .bearer_auth(&mate)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(seen["is_author"], false);
        // Co-authors read; only the author changes.
        let r = new_client()
            .patch(app.url(&format!("/api/v1/ideas/{id}")))
            .bearer_auth(&mate)
            .json(&complete())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        // The public page names the team (the 2026 contest is not blind).
        let (_, public) = app.json(&format!("/api/v1/ideas/{id}"));
        assert_eq!(public["authors"].as_array().unwrap().len(), 2);

        let r = new_client()
            .delete(app.url(&format!("/api/v1/ideas/{id}/coauthors/{mate_id}")))
            .bearer_auth(&author)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        let mine: Value = new_client()
            .get(app.url("/api/v1/me/ideas"))
            .bearer_auth(&mate)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(mine.as_array().unwrap().is_empty());
        assert_eq!(
            new_client()
                .get(app.url(&format!("/api/v1/me/ideas/{id}")))
                .bearer_auth(&mate)
                .send()
                .unwrap()
                .status()
                .as_u16(),
            404
        );

        // On the page, a refused email comes back with the reason and the email kept.
        let client = new_client();
        api_signin(app, &client, "truongnhom@example.org", "mật khẩu của tôi");
        let html = client
            .get(app.url(&format!("/me/ideas/{id}")))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let csrf = form_csrf(&html);
        let r = client
            .post(app.url(&format!("/me/ideas/{id}/coauthors")))
            .form(&form(&[("_csrf", &csrf), ("email", "ai.do@example.org")]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let to = r
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let html = client.get(app.url(&to)).send().unwrap().text().unwrap();
        assert!(
            html.contains("chưa có tài khoản") && html.contains("value=\"ai.do@example.org\""),
            "{html}"
        );
    });
}

#[test]
fn submitted_ideas_are_found_by_search_at_once() {
    each_engine(|app| {
        let token = make_token(
            app,
            &make_user(app, "timkiem@example.org", "mật khẩu của tôi", "member"),
        );
        let mut body = complete();
        body["title"] = json!("Vườn rau thủy canh trên sân thượng nhà văn hóa");
        body["submit"] = json!(true);
        let (status, idea) = post(app, &token, "/api/v1/ideas", &body);
        assert_eq!(status, 201);
        let (_, found) = app.json("/api/v1/ideas?q=thuy+canh+san+thuong");
        assert!(
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == idea["id"]),
            "{found}"
        );
        // An edit is found by its new words.
        let id = idea["id"].as_str().unwrap();
        let mut edited = complete();
        edited["title"] = json!("Vườn rau khí canh trên sân thượng");
        let r = new_client()
            .patch(app.url(&format!("/api/v1/ideas/{id}")))
            .bearer_auth(&token)
            .json(&edited)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let (_, found) = app.json("/api/v1/ideas?q=khi+canh");
        assert!(
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id),
            "{found}"
        );
    });
}

#[test]
fn concurrent_submissions_respect_the_limit_and_every_201_is_stored() {
    each_engine(|app| {
        let limit: i32 = contests::table
            .filter(contests::slug.eq("sang-tao-tre-2026"))
            .select(contests::max_ideas_per_member)
            .first(&mut app.conn())
            .unwrap();
        let uid = make_user(app, "dongthoi@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &uid);
        let before = count_ideas(app);
        // More submissions at once than the limit allows: on SQLite they share transactions (group commit), and
        // each one's limit check must still see the ones before it.
        let tries = limit as usize + 7;
        let handles: Vec<_> = (0..tries)
            .map(|n| {
                let url = app.url("/api/v1/ideas");
                let token = token.clone();
                let mut body = complete();
                body["submit"] = json!(true);
                body["title"] = json!(format!("Ý tưởng gửi cùng lúc số {n}"));
                std::thread::spawn(move || {
                    let r = new_client()
                        .post(url)
                        .bearer_auth(token)
                        .header("idempotency-key", format!("dong-thoi-{n}"))
                        .json(&body)
                        .send()
                        .unwrap();
                    let status = r.status().as_u16();
                    let body: Value = r.json().unwrap();
                    (status, body)
                })
            })
            .collect();
        let answers: Vec<(u16, Value)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let created: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == 201)
            .map(|(_, b)| &b["id"])
            .collect();
        assert_eq!(created.len(), limit as usize, "{answers:?}");
        for (status, body) in &answers {
            if *status != 201 {
                assert_eq!(
                    (*status, body["error"]["code"].as_str()),
                    (409, Some("idea_limit_reached"))
                );
            }
        }
        // Every acknowledged idea is stored, submitted, and nothing else was written.
        assert_eq!(count_ideas(app), before + limit as i64);
        for id in created {
            let status: String = ideas::table
                .find(id.as_str().unwrap())
                .select(ideas::status)
                .first(&mut app.conn())
                .unwrap();
            assert_eq!(status, "submitted");
        }
    });
}

#[test]
fn the_answer_to_a_creation_is_the_idea_as_stored() {
    each_engine(|app| {
        let uid = make_user(app, "moi@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &uid);
        let mut at_once = complete();
        at_once["submit"] = json!(true);
        let draft = json!({"contest": "sang-tao-tre-2026", "category": "giao-thong", "title": "Bản nháp đầu tiên"});
        for body in [draft, at_once] {
            let (status, created) = post(app, &token, "/api/v1/ideas", &body);
            assert_eq!(status, 201, "{created}");
            let id = created["id"].as_str().unwrap();
            let stored: Value = new_client()
                .get(app.url(&format!("/api/v1/me/ideas/{id}")))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            // The creation answer is built from what the transaction wrote, not read back: it must not differ.
            assert_eq!(created, stored);
            let expected = if body["submit"] == true {
                "submitted"
            } else {
                "draft"
            };
            assert_eq!(created["status"], expected, "{created}");
        }
    });
}
