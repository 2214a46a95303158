//! Organizers create and edit contests of their own units.

use diesel::prelude::*;
use sangtao::db::schema::contests;
use serde_json::{Value, json};

use crate::helpers::{api_signin, each_engine, form_csrf, make_token, make_user, new_client};

fn body(slug: &str, unit: &str) -> Value {
    json!({
        "title": "Sáng tạo trẻ Phường 4 năm 2027",
        "slug": slug,
        "unit": unit,
        "description": "Hội thi ý tưởng của thanh niên Phường 4.",
        "rules": "Mỗi người gửi tối đa 3 ý tưởng.",
        "opens_at": "2026-12-01T08:00",
        "closes_at": "2027-03-31T23:59",
        "max_ideas_per_member": 3,
        "ideas_public": true,
        "blind_review": false,
        "categories": ["giao-thong", "moi-truong"],
        "new_categories": "An toàn thực phẩm | Food safety"
    })
}

fn count(app: &crate::helpers::TestApp) -> i64 {
    contests::table.count().get_result(&mut app.conn()).unwrap()
}

#[test]
fn an_organizer_runs_contests_of_their_own_units_only() {
    each_engine(|app| {
        let organizer = make_token(
            app,
            &make_user(app, "btc.p4@example.org", "mật khẩu của tôi", "organizer"),
        );
        let r = new_client()
            .post(app.url("/api/v1/contests"))
            .bearer_auth(&organizer)
            .json(&body("p4-2027", "phuong-4"))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let (code, c) = app.json("/api/v1/contests/p4-2027");
        assert_eq!(code, 200);
        assert_eq!(
            c["opens_at"], "2026-12-01T08:00:00+07:00",
            "entered and shown in Vietnam time"
        );
        assert_eq!(c["closes_at"], "2027-03-31T23:59:00+07:00");
        assert_eq!(c["max_ideas_per_member"], 3);
        let cats: Vec<&str> = c["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["slug"].as_str().unwrap())
            .collect();
        assert_eq!(cats, ["giao-thong", "moi-truong", "an-toan-thuc-pham"]);
        assert_eq!(c["categories"][2]["name_en"], "Food safety");

        // Outside their subtree: refused, nothing stored.
        let before = count(app);
        let r = new_client()
            .post(app.url("/api/v1/contests"))
            .bearer_auth(&organizer)
            .json(&body("q10-2027", "quan-10"))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let err: Value = r.json().unwrap();
        assert_eq!(
            err["error"]["fields"]["unit"][0]["code"],
            "unit_out_of_scope"
        );
        let r = new_client()
            .patch(app.url("/api/v1/contests/sang-tao-tre-2026"))
            .bearer_auth(&organizer)
            .json(&body("sang-tao-tre-2026", "phuong-4"))
            .send()
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            403,
            "the district's contest is not theirs"
        );
        assert_eq!(count(app), before);

        // Bad input names each field.
        let mut bad = body("Khong Hop Le", "phuong-4");
        bad["closes_at"] = json!("2026-11-30T08:00");
        bad["max_ideas_per_member"] = json!(0);
        bad["title"] = json!("Ngắn");
        let err: Value = new_client()
            .post(app.url("/api/v1/contests"))
            .bearer_auth(&organizer)
            .json(&bad)
            .send()
            .unwrap()
            .json()
            .unwrap();
        for (field, code) in [
            ("slug", "slug"),
            ("closes_at", "closes_before_opens"),
            ("max_ideas_per_member", "range"),
            ("title", "length"),
        ] {
            assert_eq!(
                err["error"]["fields"][field][0]["code"], code,
                "{field}: {err}"
            );
        }
        let taken: Value = new_client()
            .post(app.url("/api/v1/contests"))
            .bearer_auth(&organizer)
            .json(&body("p4-2027", "phuong-4"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(taken["error"]["fields"]["slug"][0]["code"], "slug_taken");
        assert_eq!(count(app), before);

        // Editing their own contest.
        let mut edit = body("p4-2027", "phuong-4");
        edit["blind_review"] = json!(true);
        let r = new_client()
            .patch(app.url("/api/v1/contests/p4-2027"))
            .bearer_auth(&organizer)
            .json(&edit)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let (_, c) = app.json("/api/v1/contests/p4-2027");
        assert_eq!(
            c["blind_review"], true,
            "the page cache was emptied by the write"
        );
    });
}

#[test]
fn the_contest_form_creates_a_contest() {
    each_engine(|app| {
        make_user(app, "btc.form@example.org", "mật khẩu của tôi", "organizer");
        let client = new_client();
        api_signin(app, &client, "btc.form@example.org", "mật khẩu của tôi");
        let html = client
            .get(app.url("/organize/contests/new"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let csrf = form_csrf(&html);
        assert!(
            html.contains("value=\"giao-thong\" checked"),
            "default categories ticked"
        );
        let form = [
            ("_csrf", csrf.as_str()),
            ("title", "Ý tưởng xanh Phường 4"),
            ("slug", "y-tuong-xanh-p4"),
            ("unit", "phuong-4"),
            ("opens_at", "2026-12-01T08:00"),
            ("closes_at", "2026-11-01T08:00"),
            ("max_ideas_per_member", "2"),
            ("categories", "moi-truong"),
            ("categories", "khac"),
        ];
        let r = client
            .post(app.url("/organize/contests/new"))
            .form(&form)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = r.text().unwrap();
        assert!(
            html.contains("Hạn chót phải sau thời điểm bắt đầu.")
                && html.contains("value=\"y-tuong-xanh-p4\"")
        );
        assert!(
            html.contains("value=\"moi-truong\" checked")
                && !html.contains("value=\"giao-thong\" checked"),
            "choices kept"
        );
        let mut fixed = form.to_vec();
        fixed[5] = ("closes_at", "2027-01-15T17:00");
        let r = client
            .post(app.url("/organize/contests/new"))
            .form(&fixed)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let html = client
            .get(app.url("/organize/contests"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(html.contains("Ý tưởng xanh Phường 4"));
        let (_, c) = app.json("/api/v1/contests/y-tuong-xanh-p4");
        assert_eq!(c["categories"].as_array().unwrap().len(), 2);
    });
}
