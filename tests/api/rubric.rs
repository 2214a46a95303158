//! The rubric of a contest's review round: edited by organizers through the API and the page, checked field by
//! field, locked once the round's first review is in, and changed after that only in a new round.

use diesel::prelude::*;
use reqwest::blocking::Client;
use sangtao::db::schema::review_rounds;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, call, each_engine, form_csrf, make_token, make_user, new_client, set_unit,
    unescape,
};

const API: &str = "/api/v1/contests/sang-tao-tre-2026/rubric";
const PAGE: &str = "/organize/contests/sang-tao-tre-2026/rubric";

fn rubric() -> Value {
    json!({
        "reviews_per_idea": 3,
        "due_at": "2026-12-20T17:00",
        "criteria": [
            {"name": "Tính sáng tạo", "description": "Ý tưởng mới ở địa phương.", "weight": 3, "min_score": 1, "max_score": 5,
             "levels": [{"score": 1, "text": "Đã có nhiều nơi làm"}, {"score": 5, "text": "Hoàn toàn mới"}]},
            {"name": "Tính khả thi", "description": "", "weight": 2, "min_score": 1, "max_score": 5, "levels": []},
            {"name": "Hiệu quả", "description": "", "weight": 1.5, "min_score": 0, "max_score": 10, "levels": []}
        ]
    })
}

fn organizer(app: &TestApp) -> String {
    let id = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
    set_unit(app, &id, "quan-10");
    make_token(app, &id)
}

#[test]
fn organizers_write_a_rubric_checked_field_by_field_and_locked_by_the_first_review() {
    each_engine(|app| {
        let org = organizer(app);
        let (code, empty) = call(app, &org, reqwest::Method::GET, API, None);
        assert_eq!(code, 200);
        assert_eq!(
            (
                empty["round"].as_i64(),
                empty["criteria"].as_array().map(Vec::len)
            ),
            (Some(0), Some(0))
        );

        let (code, saved) = call(app, &org, reqwest::Method::PUT, API, Some(&rubric()));
        assert_eq!(code, 200, "{saved}");
        assert_eq!(saved["round"], 1);
        assert_eq!(saved["locked"], false);
        assert_eq!(saved["criteria"][0]["name"], "Tính sáng tạo");
        assert_eq!(saved["criteria"][0]["levels"][1]["text"], "Hoàn toàn mới");
        assert_eq!(saved["criteria"][2]["weight"], 1.5);
        assert!(
            saved["due_at"]
                .as_str()
                .unwrap()
                .starts_with("2026-12-20T17:00:00+07:00")
        );

        // Every problem at once, by field; nothing changes.
        let mut bad = rubric();
        bad["reviews_per_idea"] = json!(0);
        bad["criteria"][0]["weight"] = json!(0);
        bad["criteria"][1]["max_score"] = json!(1);
        bad["criteria"][2]["levels"] = json!([{"score": 11, "text": "ngoài thang"}]);
        bad["criteria"][2]["name"] = json!("");
        let (code, err) = call(app, &org, reqwest::Method::PUT, API, Some(&bad));
        assert_eq!(code, 400, "{err}");
        let f = &err["error"]["fields"];
        assert_eq!(f["reviews_per_idea"][0]["code"], "range");
        assert_eq!(f["criteria[0].weight"][0]["code"], "weight_not_positive");
        assert_eq!(f["criteria[1].max_score"][0]["code"], "range_empty");
        assert_eq!(f["criteria[2].levels"][0]["code"], "level_score");
        assert_eq!(f["criteria[2].name"][0]["code"], "length");
        let (code, err) = call(
            app,
            &org,
            reqwest::Method::PUT,
            API,
            Some(&json!({"criteria": []})),
        );
        assert_eq!(code, 400);
        assert_eq!(err["error"]["fields"]["criteria"][0]["code"], "no_criteria");
        let (_, still) = call(app, &org, reqwest::Method::GET, API, None);
        assert_eq!(still["criteria"].as_array().unwrap().len(), 3);
        assert_eq!(still["criteria"][0]["weight"], 3.0);

        // Editing before any review: allowed. A new round before the lock: refused.
        let mut two = rubric();
        two["criteria"].as_array_mut().unwrap().truncate(2);
        assert_eq!(
            call(app, &org, reqwest::Method::PUT, API, Some(&two)).0,
            200
        );
        let rounds = format!("{API}/rounds");
        let (code, err) = call(app, &org, reqwest::Method::POST, &rounds, None);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("rubric_not_locked"))
        );

        // The first review locks the round (reviews come with the review issue's next step; the lock is what
        // they set).
        diesel::update(review_rounds::table)
            .set(review_rounds::locked_at.eq(Some(sangtao::db::now())))
            .execute(&mut app.conn())
            .unwrap();
        let (code, err) = call(app, &org, reqwest::Method::PUT, API, Some(&rubric()));
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("rubric_locked"))
        );
        let (code, next) = call(app, &org, reqwest::Method::POST, &rounds, None);
        assert_eq!(code, 201, "{next}");
        assert_eq!(
            (next["round"].as_i64(), next["locked"].as_bool()),
            (Some(2), Some(false))
        );
        assert_eq!(
            next["criteria"].as_array().unwrap().len(),
            2,
            "a copy of the locked rubric"
        );
        assert_eq!(
            call(app, &org, reqwest::Method::PUT, API, Some(&rubric())).0,
            200
        );

        // The audit log has both saves and the new round.
        let (_, log) = call(
            app,
            &org,
            reqwest::Method::GET,
            "/api/v1/contests/sang-tao-tre-2026/audit",
            None,
        );
        let kinds: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "rubric_saved").count(), 3);
        assert!(kinds.contains(&"round_started"));

        // Members may not read or write it.
        let member = make_token(
            app,
            &make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member"),
        );
        assert_eq!(call(app, &member, reqwest::Method::GET, API, None).0, 403);
        assert_eq!(
            call(app, &member, reqwest::Method::PUT, API, Some(&rubric())).0,
            403
        );
    });
}

fn signed_in(app: &TestApp) -> Client {
    let client = new_client();
    api_signin(app, &client, "btc@example.org", "mật khẩu của tôi");
    client
}

#[test]
fn the_rubric_page_keeps_what_was_typed_and_names_each_problem() {
    each_engine(|app| {
        organizer(app);
        let client = signed_in(app);
        let html = client.get(app.url(PAGE)).send().unwrap().text().unwrap();
        assert!(
            html.contains("name=\"c0_name\"") && html.contains("name=\"c1_levels\""),
            "{html}"
        );
        let csrf = form_csrf(&html);
        let r = client
            .post(app.url(PAGE))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("reviews_per_idea", "3"),
                ("c0_name", "Tính sáng tạo"),
                ("c0_weight", "abc"),
                ("c0_min_score", "1"),
                ("c0_max_score", "5"),
                ("c0_levels", "1: Đã có nhiều nơi làm\n5: Hoàn toàn mới"),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = unescape(&r.text().unwrap());
        assert!(html.contains("Trọng số phải là số dương."), "{html}");
        assert!(
            html.contains("value=\"abc\"") && html.contains("5: Hoàn toàn mới"),
            "kept as typed"
        );

        let r = client
            .post(app.url(PAGE))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("reviews_per_idea", "3"),
                ("c0_name", "Tính sáng tạo"),
                ("c0_weight", "1,5"),
                ("c0_min_score", "1"),
                ("c0_max_score", "5"),
                ("c0_levels", "1: Đã có nhiều nơi làm\n5 - Hoàn toàn mới"),
                ("c2_name", "Tính khả thi"),
                ("c2_weight", "1"),
                ("c2_min_score", "1"),
                ("c2_max_score", "10"),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let (_, saved) = call(
            app,
            &make_token(app, &{
                use sangtao::db::schema::users;
                users::table
                    .filter(users::email.eq("btc@example.org"))
                    .select(users::id)
                    .first::<String>(&mut app.conn())
                    .unwrap()
            }),
            reqwest::Method::GET,
            API,
            None,
        );
        assert_eq!(saved["criteria"].as_array().unwrap().len(), 2, "{saved}");
        assert_eq!(
            saved["criteria"][0]["weight"], 1.5,
            "a comma is a decimal point"
        );
        assert_eq!(saved["criteria"][0]["levels"][1]["text"], "Hoàn toàn mới");
        let html = client.get(app.url(PAGE)).send().unwrap().text().unwrap();
        assert!(
            html.contains("Đã lưu tiêu chí chấm.") || html.contains("value=\"Tính khả thi\""),
            "{html}"
        );
        assert!(html.contains("value=\"Tính khả thi\""));
    });
}
