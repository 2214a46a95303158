//! Assigning reviewers: the portal proposes (no conflicts, caps kept, load balanced), the organizer edits the
//! proposal and confirms; only then are the ideas in review and the reviewers emailed.

use diesel::prelude::*;
use sangtao::db::schema::{contest_reviewers, contests, events, ideas};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, call, each_engine, mail_count, make_token, make_user, new_client, set_unit,
};

const BASE: &str = "/api/v1/contests/sang-tao-tre-2026/assignments";

pub(crate) fn eligible_idea(app: &TestApp, token: &str, title: &str) -> String {
    let r = new_client()
        .post(app.url("/api/v1/ideas"))
        .bearer_auth(token)
        .json(&json!({
            "contest": "sang-tao-tre-2026", "category": "giao-thong", "submit": true, "title": title,
            "summary": "Phân luồng xe trước cổng trường vào giờ tan học bằng đội thanh niên tình nguyện.",
            "situation": "Giờ tan học, phụ huynh đỗ xe tràn xuống lòng đường gây ùn tắc kéo dài.",
            "solution": "Kẻ vạch chờ đón, đoàn viên hướng dẫn phụ huynh đỗ xe theo hàng trong giờ cao điểm.",
            "impact": "Giảm ùn tắc giờ tan trường.",
        }))
        .send()
        .unwrap();
    let id = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    diesel::update(ideas::table.find(&id))
        .set(ideas::status.eq("eligible"))
        .execute(&mut app.conn())
        .unwrap();
    id
}

pub(crate) fn on_panel(app: &TestApp, user: &str, cap: i32) {
    let contest: String = contests::table
        .filter(contests::slug.eq("sang-tao-tre-2026"))
        .select(contests::id)
        .first(&mut app.conn())
        .unwrap();
    diesel::insert_into(contest_reviewers::table)
        .values((
            contest_reviewers::contest_id.eq(contest),
            contest_reviewers::user_id.eq(user),
            contest_reviewers::cap.eq(cap),
            contest_reviewers::added_at.eq(sangtao::db::now()),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

pub(crate) fn status_of(app: &TestApp, id: &str) -> String {
    ideas::table
        .find(id)
        .select(ideas::status)
        .first(&mut app.conn())
        .unwrap()
}

#[test]
fn the_portal_proposes_the_organizer_edits_and_confirms() {
    each_engine(|app| {
        use reqwest::Method;
        let author = make_token(
            app,
            &make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member"),
        );
        let organizer = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        // Two reviewers of other wards, and one of the authors' own ward (in conflict with every idea here).
        let r1 = make_user(app, "gk1@example.org", "mật khẩu của tôi", "reviewer");
        let r2 = make_user(app, "gk2@example.org", "mật khẩu của tôi", "reviewer");
        let near = make_user(app, "gk3@example.org", "mật khẩu của tôi", "reviewer");
        set_unit(app, &r1, "phuong-1");
        set_unit(app, &r2, "phuong-12");
        for r in [&r1, &r2, &near] {
            on_panel(app, r, 100);
        }
        let ideas_made: Vec<String> = (1..=3)
            .map(|n| {
                eligible_idea(
                    app,
                    &author,
                    &format!("Ý tưởng giao thông số {n} cho phường"),
                )
            })
            .collect();

        // Without a rubric, the number of reviews per idea is unknown.
        let (code, err) = call(app, &org, Method::POST, &format!("{BASE}/propose"), None);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("no_rubric"))
        );
        let rubric = json!({"reviews_per_idea": 2, "criteria": [{"name": "Tính khả thi", "weight": 1, "min_score": 1, "max_score": 10}]});
        assert_eq!(
            call(
                app,
                &org,
                Method::PUT,
                "/api/v1/contests/sang-tao-tre-2026/rubric",
                Some(&rubric)
            )
            .0,
            200
        );

        let (code, p) = call(app, &org, Method::POST, &format!("{BASE}/propose"), None);
        assert_eq!(code, 200, "{p}");
        let proposed: Vec<(String, String)> = p["proposed"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| ideas_made.contains(&a["idea_id"].as_str().unwrap().to_string()))
            .map(|a| {
                (
                    a["idea_id"].as_str().unwrap().into(),
                    a["reviewer_id"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            proposed.len(),
            6,
            "two reviews for each of the three ideas: {p}"
        );
        assert!(
            proposed.iter().all(|(_, r)| *r != near),
            "never the reviewer in conflict"
        );
        for idea in &ideas_made {
            assert_eq!(
                status_of(app, idea),
                "eligible",
                "nothing happens before confirming"
            );
        }
        assert_eq!(mail_count(app, "gk1@example.org"), 0);

        // Editing the proposal: refusals by rule, then a removal.
        let add = |reviewer: &str, idea: &str| {
            call(
                app,
                &org,
                Method::POST,
                BASE,
                Some(&json!({"idea_id": idea, "reviewer_id": reviewer})),
            )
        };
        let (code, err) = add(&near, &ideas_made[0]);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("conflict_of_interest"))
        );
        let (code, err) = add(&r1, &ideas_made[0]);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("already_assigned"))
        );
        let (code, err) = add(&organizer, &ideas_made[0]);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("not_on_panel"))
        );
        let one = p["proposed"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["idea_id"] == ideas_made[2].as_str() && a["reviewer_id"] == r2.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (code, after) = call(app, &org, Method::DELETE, &format!("{BASE}/{one}"), None);
        assert_eq!(code, 200);
        let short = after["short"].as_array().unwrap();
        assert!(
            short.iter().any(|s| s["idea_id"] == ideas_made[2].as_str()
                && s["missing"] == 1
                && s["reason"] == "open"),
            "the idea now lacks a review: {after}"
        );

        // Confirming: assignments made, ideas in review, one email per reviewer, events in the audit log.
        let (code, done) = call(app, &org, Method::POST, &format!("{BASE}/confirm"), None);
        assert_eq!(code, 200, "{done}");
        assert!(done["confirmed"].as_u64().unwrap() >= 5);
        for idea in &ideas_made {
            assert_eq!(status_of(app, idea), "in_review");
        }
        assert_eq!(mail_count(app, "gk1@example.org"), 1);
        assert_eq!(mail_count(app, "gk2@example.org"), 1);
        // The reviewer of the authors' own ward reviews other wards' ideas (demo data), never these.
        let assigned: i64 = events::table
            .filter(events::kind.eq("assigned"))
            .filter(events::idea_id.eq_any(&ideas_made))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(assigned, 5);

        // Removing every reviewer of an idea puts it back to eligible.
        let (_, now) = call(app, &org, Method::GET, BASE, None);
        let of_third: Vec<String> = now["live"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["idea_id"] == ideas_made[2].as_str())
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(of_third.len(), 1);
        assert!(
            now["live"].as_array().unwrap().iter().all(|a| !(ideas_made
                .contains(&a["idea_id"].as_str().unwrap().to_string())
                && a["reviewer_id"] == near.as_str())),
            "no conflict confirmed"
        );
        assert_eq!(
            call(
                app,
                &org,
                Method::DELETE,
                &format!("{BASE}/{}", of_third[0]),
                None
            )
            .0,
            200
        );
        assert_eq!(status_of(app, &ideas_made[2]), "eligible");

        // Members may not assign.
        assert_eq!(call(app, &author, Method::GET, BASE, None).0, 403);
        assert_eq!(
            call(app, &author, Method::POST, &format!("{BASE}/propose"), None).0,
            403
        );
    });
}
