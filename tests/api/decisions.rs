//! Decisions: recorded with a rationale and checked against the idea's state, invisible to the authors until the
//! contest's decisions are published in one batch, which moves the ideas and emails each author the result with
//! the reviewers' comments for them (anonymous).

use diesel::prelude::*;
use sangtao::db::schema::{assignments, decisions, ideas, reviews};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, each_engine, last_mail, make_token, make_user, new_client, set_unit,
};

const API: &str = "/api/v1/contests/sang-tao-tre-2026/decisions";

fn call(app: &TestApp, token: &str, post: Option<(&str, &Value)>, get: &str) -> (u16, Value) {
    let r = match post {
        Some((path, body)) => new_client()
            .post(app.url(path))
            .bearer_auth(token)
            .json(body),
        None => new_client().get(app.url(get)).bearer_auth(token),
    }
    .send()
    .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn idea_in(app: &TestApp, token: &str, title: &str, status: &str) -> String {
    let r = new_client()
        .post(app.url("/api/v1/ideas"))
        .bearer_auth(token)
        .json(&json!({
            "contest": "sang-tao-tre-2026", "category": "moi-truong", "submit": true, "title": title,
            "summary": "Đặt cụm thùng rác phân loại ở chợ và hướng dẫn tiểu thương phân loại rác.",
            "situation": "Rác ở chợ bị vứt lẫn lộn, không ai phân loại, gây ô nhiễm khu vực xung quanh.",
            "solution": "Đặt thùng ba màu ở cổng chợ, đoàn viên hướng dẫn tiểu thương trong tháng đầu tiên.",
            "impact": "Giảm lượng rác phải chôn lấp.",
        }))
        .send()
        .unwrap();
    let id = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Review is not part of this test: put the idea where review leaves it.
    diesel::update(ideas::table.find(&id))
        .set(ideas::status.eq(status))
        .execute(&mut app.conn())
        .unwrap();
    id
}

/// A submitted review with a comment for the author, straight into the database (the review form is tested with
/// the review workflow).
fn review_with_comment(app: &TestApp, idea: &str, reviewer: &str, comment: &str) {
    let contest: String = ideas::table
        .find(idea)
        .select(ideas::contest_id)
        .first(&mut app.conn())
        .unwrap();
    let now = sangtao::db::now();
    let assignment = sangtao::db::new_id();
    diesel::insert_into(assignments::table)
        .values((
            assignments::id.eq(&assignment),
            assignments::contest_id.eq(&contest),
            assignments::round.eq(1),
            assignments::idea_id.eq(idea),
            assignments::reviewer_id.eq(reviewer),
            assignments::status.eq("accepted"),
            assignments::created_by.eq(reviewer),
            assignments::created_at.eq(now),
            assignments::updated_at.eq(now),
        ))
        .execute(&mut app.conn())
        .unwrap();
    diesel::insert_into(reviews::table)
        .values((
            reviews::id.eq(sangtao::db::new_id()),
            reviews::assignment_id.eq(&assignment),
            reviews::contest_id.eq(&contest),
            reviews::round.eq(1),
            reviews::idea_id.eq(idea),
            reviews::reviewer_id.eq(reviewer),
            reviews::status.eq("submitted"),
            reviews::scores.eq("{}"),
            reviews::weighted_score.eq(Some(7.5)),
            reviews::comment_author.eq(comment),
            reviews::comment_panel.eq("Chỉ hội đồng đọc: tác giả là người quen của tôi."),
            reviews::version.eq(1),
            reviews::created_at.eq(now),
            reviews::updated_at.eq(now),
            reviews::submitted_at.eq(Some(now)),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

#[test]
fn decisions_wait_until_published_together_and_authors_get_the_reviewers_comments() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        let reviewer = make_user(app, "giamkhao@example.org", "mật khẩu của tôi", "reviewer");
        let a = idea_in(
            app,
            &token,
            "Thùng rác phân loại ở chợ Nguyễn Tri Phương",
            "reviewed",
        );
        let b = idea_in(
            app,
            &token,
            "Vườn rau trên sân thượng trường học",
            "shortlisted",
        );
        let c = idea_in(app, &token, "Ý tưởng còn đang chờ sơ loại", "submitted");
        review_with_comment(app, &b, &reviewer, "Cần ước tính chi phí bảo trì hằng năm.");

        // Refused at once: no rationale, an unknown decision, a move the idea's state does not allow.
        let (code, err) = call(
            app,
            &org,
            Some((API, &json!({"idea_id": a, "decision": "shortlisted"}))),
            "",
        );
        assert_eq!(code, 400);
        assert_eq!(
            err["error"]["fields"]["rationale"][0]["code"],
            "reason_required"
        );
        let (code, err) = call(
            app,
            &org,
            Some((
                API,
                &json!({"idea_id": a, "decision": "eligible", "rationale": "x"}),
            )),
            "",
        );
        assert_eq!(code, 400);
        assert_eq!(
            err["error"]["fields"]["decision"][0]["code"],
            "unknown_decision"
        );
        let (code, err) = call(
            app,
            &org,
            Some((
                API,
                &json!({"idea_id": a, "decision": "selected", "rationale": "Rất tốt"}),
            )),
            "",
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("transition_not_allowed")),
            "reviewed → selected skips the shortlist"
        );
        let (code, _) = call(
            app,
            &org,
            Some((
                API,
                &json!({"idea_id": c, "decision": "not_selected", "rationale": "x"}),
            )),
            "",
        );
        assert_eq!(code, 409);

        // Recorded: waiting, the ideas unchanged, the authors told nothing and seeing nothing.
        let (code, _) = call(
            app,
            &org,
            Some((
                API,
                &json!({"idea_id": a, "decision": "shortlisted", "rationale": "Khả thi, chi phí thấp."}),
            )),
            "",
        );
        assert_eq!(code, 201);
        let (code, _) = call(
            app,
            &org,
            Some((
                API,
                &json!({"idea_id": b, "decision": "selected", "rationale": "Hội đồng chọn để triển khai tại 3 trường."}),
            )),
            "",
        );
        assert_eq!(code, 201);
        // Recording again replaces the waiting decision.
        let (code, d) = call(
            app,
            &org,
            Some((
                API,
                &json!({"idea_id": a, "decision": "not_selected", "rationale": "Trùng với dự án phường đang làm."}),
            )),
            "",
        );
        assert_eq!(code, 201, "{d}");
        let (_, waiting) = call(app, &org, None, API);
        assert_eq!(waiting["waiting"].as_array().unwrap().len(), 2, "{waiting}");
        let status = |id: &str| -> String {
            ideas::table
                .find(id)
                .select(ideas::status)
                .first(&mut app.conn())
                .unwrap()
        };
        assert_eq!(
            (status(&a), status(&b)),
            ("reviewed".into(), "shortlisted".into())
        );
        assert!(last_mail(app, "tacgia@example.org", "idea_status").is_none());
        let (mine, _) = call(app, &token, None, &format!("/api/v1/me/ideas/{b}"));
        assert_eq!(mine, 200);
        let r = new_client()
            .get(app.url(&format!("/me/ideas/{b}")))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let page = r.text().unwrap();
        assert!(page.contains("Vườn rau"), "the author's own page");
        assert!(
            !page.contains("quyết định") && !page.contains("Được chọn triển khai"),
            "nothing of the decision shows before publishing"
        );

        // Published: both move, both authors' emails, the selected one with the reviewer's comment, anonymous.
        let publish = format!("{API}/publish");
        let (code, done) = call(app, &org, Some((&publish, &json!({}))), "");
        assert_eq!(code, 200, "{done}");
        assert_eq!(done["published"], 2);
        assert_eq!(
            (status(&a), status(&b)),
            ("not_selected".into(), "selected".into())
        );
        let mails: Vec<String> = {
            use sangtao::db::schema::outbox;
            outbox::table
                .filter(outbox::recipient.eq("tacgia@example.org"))
                .filter(outbox::kind.eq("idea_status"))
                .select(outbox::body_text)
                .load(&mut app.conn())
                .unwrap()
        };
        assert_eq!(mails.len(), 2);
        let selected = mails.iter().find(|m| m.contains("Vườn rau")).unwrap();
        assert!(
            selected.contains("được chọn để triển khai")
                && selected.contains("Hội đồng chọn để triển khai tại 3 trường."),
            "{selected}"
        );
        assert!(
            selected.contains("Cần ước tính chi phí bảo trì hằng năm."),
            "{selected}"
        );
        assert!(
            !selected.contains("Chỉ hội đồng đọc") && !selected.contains("Người dùng reviewer"),
            "panel-only comment and reviewer name stay out"
        );
        let published_at: Vec<Option<chrono::NaiveDateTime>> = decisions::table
            .select(decisions::published_at)
            .load(&mut app.conn())
            .unwrap();
        assert!(published_at.iter().all(Option::is_some));
        // Nothing left to publish.
        let (_, again) = call(app, &org, Some((&publish, &json!({}))), "");
        assert_eq!(again["published"], 0);

        // A decision made stale by a later move refuses the whole batch.
        let d = idea_in(app, &token, "Ý tưởng thứ tư về cây xanh", "reviewed");
        let e = idea_in(app, &token, "Ý tưởng thứ năm về ánh sáng", "reviewed");
        for id in [&d, &e] {
            let (code, _) = call(
                app,
                &org,
                Some((
                    API,
                    &json!({"idea_id": id, "decision": "shortlisted", "rationale": "Tốt"}),
                )),
                "",
            );
            assert_eq!(code, 201);
        }
        diesel::update(ideas::table.find(&e))
            .set(ideas::status.eq("in_review"))
            .execute(&mut app.conn())
            .unwrap();
        let (code, err) = call(app, &org, Some((&publish, &json!({}))), "");
        assert_eq!(code, 409, "{err}");
        assert_eq!(
            err["error"]["fields"]["decisions"][0]["code"],
            "decision_stale"
        );
        assert_eq!(
            err["error"]["fields"]["decisions"][0]["params"]["idea"],
            e.as_str()
        );
        assert_eq!(status(&d), "reviewed", "nothing published");

        // Members may not decide.
        assert_eq!(
            call(
                app,
                &token,
                Some((
                    API,
                    &json!({"idea_id": d, "decision": "shortlisted", "rationale": "x"})
                )),
                ""
            )
            .0,
            403
        );
        assert_eq!(call(app, &token, Some((&publish, &json!({}))), "").0, 403);
    });
}

#[test]
fn the_decisions_page_records_and_publishes_without_javascript() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", "mật khẩu của tôi", "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc@example.org", "mật khẩu của tôi", "organizer");
        set_unit(app, &organizer, "quan-10");
        let a = idea_in(
            app,
            &token,
            "Thùng rác phân loại ở chợ Nguyễn Tri Phương",
            "reviewed",
        );
        let client = new_client();
        crate::helpers::api_signin(app, &client, "btc@example.org", "mật khẩu của tôi");
        let page = "/organize/contests/sang-tao-tre-2026/decisions";
        let html = client.get(app.url(page)).send().unwrap().text().unwrap();
        assert!(
            html.contains(&format!("name=\"idea_id\" value=\"{a}\"")),
            "{html}"
        );
        let csrf = crate::helpers::form_csrf(&html);

        let r = client
            .post(app.url(page))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("idea_id", a.as_str()),
                ("decision", "shortlisted"),
                ("rationale", " "),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = r.text().unwrap();
        assert!(html.contains("Vui lòng ghi lý do"), "{html}");
        assert!(
            html.contains("value=\"shortlisted\" selected"),
            "the choice is kept"
        );

        let r = client
            .post(app.url(page))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("idea_id", a.as_str()),
                ("decision", "shortlisted"),
                ("rationale", "Khả thi."),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let html = client.get(app.url(page)).send().unwrap().text().unwrap();
        assert!(html.contains("Quyết định đang chờ công bố"), "{html}");
        let r = client
            .post(app.url(page))
            .form(&[("_csrf", csrf.as_str()), ("action", "publish")])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let status: String = ideas::table
            .find(&a)
            .select(ideas::status)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(status, "shortlisted");
        assert!(
            last_mail(app, "tacgia@example.org", "idea_status")
                .unwrap()
                .1
                .contains("danh sách đề cử")
        );
    });
}
