//! Reviewing: the dashboard, drafts, submitting (which locks the rubric and, once every review is in, makes the
//! idea reviewed), changes kept in the history until the round closes, accepting and declining, the review form
//! page, and the blind-review leak test.

use diesel::prelude::*;
use reqwest::Method;
use sangtao::db::schema::{
    assignments, attachments, events, idea_coauthors, review_history, users,
};
use serde_json::json;

use crate::helpers::{
    TestApp, api_signin, call, each_engine, make_user, multipart, new_client, page_html, unescape,
};
use crate::review_fixture::{
    PASSWORD, SLUG, assignment_for, assignments_of, contest_id, eligible_idea, review_contest,
    status_of, submit,
};

/// The review history of the test's contest (the demo's 2021 contest has its own).
fn history_len(app: &TestApp) -> i64 {
    review_history::table
        .inner_join(sangtao::db::schema::reviews::table)
        .filter(sangtao::db::schema::reviews::contest_id.eq(contest_id(app)))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn events_of(app: &TestApp, kind: &str) -> Vec<Option<String>> {
    events::table
        .filter(events::kind.eq(kind))
        .select(events::reason)
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn a_review_goes_from_draft_to_submitted_and_the_idea_to_reviewed() {
    each_engine(|app| {
        let c = review_contest(app, 2, 1, 2);
        let idea = &c.ideas[0];
        assert_eq!(status_of(app, idea), "in_review");
        let (r1, r2) = (&c.reviewers[0], &c.reviewers[1]);

        // The dashboard: one assignment, nothing done, for each reviewer.
        let (code, dash) = call(app, &r1.token, Method::GET, "/api/v1/me/assignments", None);
        assert_eq!(code, 200, "{dash}");
        assert_eq!(dash["contests"][0]["contest"], SLUG);
        assert_eq!(
            (
                dash["contests"][0]["total"].as_i64(),
                dash["contests"][0]["done"].as_i64()
            ),
            (Some(1), Some(0))
        );
        let a1 = dash["assignments"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(dash["assignments"][0]["status"], "assigned");

        // The assignment carries the rubric with what each level means.
        let (code, one) = call(
            app,
            &r1.token,
            Method::GET,
            &format!("/api/v1/assignments/{a1}"),
            None,
        );
        assert_eq!(code, 200, "{one}");
        assert_eq!(one["idea"]["id"], idea.as_str());
        assert_eq!(one["criteria"][0]["levels"][1]["text"], "Chưa nơi nào làm");
        assert!(one["review"].is_null());
        assert_eq!(one["editable"], true);

        // A partial draft is kept; saving accepts the assignment.
        let path = format!("/api/v1/assignments/{a1}/review");
        let (code, draft) = call(
            app,
            &r1.token,
            Method::PUT,
            &path,
            Some(&json!({"scores": {c.criteria[0].clone(): 4}, "comment_panel": "Đang đọc tiếp."})),
        );
        assert_eq!(code, 200, "{draft}");
        assert_eq!(
            (draft["status"].as_str(), draft["version"].as_i64()),
            (Some("draft"), Some(1))
        );
        assert!(draft["weighted_score"].is_null());
        assert_eq!(assignments_of(app, &r1.token)[0]["status"], "accepted");
        assert_eq!(assignments_of(app, &r1.token)[0]["review_status"], "draft");
        assert_eq!(history_len(app), 0, "drafts are not history");

        // Submitting needs every score in range and the confidence; nothing changes when refused.
        let (code, err) = call(
            app,
            &r1.token,
            Method::PUT,
            &path,
            Some(&json!({"scores": {c.criteria[0].clone(): 9}, "submit": true})),
        );
        assert_eq!(code, 400, "{err}");
        let fields: Vec<(String, String)> = err["error"]["fields"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(f, ps)| {
                ps.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (f.clone(), p["code"].as_str().unwrap().to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            fields.contains(&(format!("scores.{}", c.criteria[0]), "range".into())),
            "{err}"
        );
        assert!(
            fields.contains(&(format!("scores.{}", c.criteria[1]), "required".into())),
            "{err}"
        );
        assert!(
            fields.contains(&("confidence".into(), "required".into())),
            "{err}"
        );
        let (_, still) = call(
            app,
            &r1.token,
            Method::GET,
            &format!("/api/v1/assignments/{a1}"),
            None,
        );
        assert_eq!(still["review"]["status"], "draft");
        assert_eq!(still["review"]["scores"][&c.criteria[0]], 4);

        // Submitted: 5/5 on creativity (weight 2) and 10/10 on feasibility give 10.
        let (code, done) = submit(app, &r1.token, &a1, &c.criteria, &[5, 10]);
        assert_eq!(code, 200, "{done}");
        assert_eq!(done["status"], "submitted");
        assert!((done["weighted_score"].as_f64().unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(history_len(app), 1);
        assert_eq!(events_of(app, "review_submitted").len(), 1);

        // The rubric is locked by the first review.
        let (code, err) = call(
            app,
            &c.org,
            Method::PUT,
            &format!("/api/v1/contests/{SLUG}/rubric"),
            Some(
                &json!({"reviews_per_idea": 2, "criteria": [{"name": "Khác", "weight": 1, "min_score": 1, "max_score": 10}]}),
            ),
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("rubric_locked"))
        );

        // One review of two: still in review. The second makes it reviewed.
        assert_eq!(status_of(app, idea), "in_review");
        let a2 = assignments_of(app, &r2.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (code, _) = submit(app, &r2.token, &a2, &c.criteria, &[1, 1]);
        assert_eq!(code, 200);
        assert_eq!(status_of(app, idea), "reviewed");
        let (_, dash) = call(app, &r2.token, Method::GET, "/api/v1/me/assignments", None);
        assert_eq!(dash["contests"][0]["done"], 1);
        assert!((dash["assignments"][0]["weighted_score"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    });
}

#[test]
fn submitted_reviews_change_until_the_round_closes_with_history() {
    each_engine(|app| {
        let c = review_contest(app, 1, 1, 1);
        let r = &c.reviewers[0];
        let a = assignments_of(app, &r.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, first) = submit(app, &r.token, &a, &c.criteria, &[3, 6]);
        assert_eq!(status_of(app, &c.ideas[0]), "reviewed");
        let path = format!("/api/v1/assignments/{a}/review");

        // A change made from an older version is refused, not written over.
        let change = |version: i64, score: i32| {
            call(
                app,
                &r.token,
                Method::PUT,
                &path,
                Some(
                    &json!({"scores": {c.criteria[0].clone(): score, c.criteria[1].clone(): 6}, "confidence": 3,
                    "comment_author": "Sửa lại nhận xét.", "version": version}),
                ),
            )
        };
        let v1 = first["version"].as_i64().unwrap();
        let (code, changed) = change(v1, 5);
        assert_eq!(code, 200, "{changed}");
        assert_eq!(
            changed["status"], "submitted",
            "a submitted review stays submitted"
        );
        assert_eq!(changed["version"].as_i64(), Some(v1 + 1));
        let (code, err) = change(v1, 1);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("review_changed"))
        );
        assert_eq!(history_len(app), 2, "both submitted versions kept");
        let moves = events_of(app, "review_changed");
        assert_eq!(moves.len(), 1);
        assert!(moves[0].as_deref().unwrap().contains('→'), "{moves:?}");
        // The idea stays reviewed; editing does not send it back.
        assert_eq!(status_of(app, &c.ideas[0]), "reviewed");
        // The organizers' audit log says it in words.
        let audit = new_client()
            .get(app.url(&format!("/organize/contests/{SLUG}/audit")))
            .bearer_auth(&c.org)
            .send()
            .unwrap();
        assert_eq!(audit.status().as_u16(), 200);
        let audit = unescape(&audit.text().unwrap());
        assert!(audit.contains("Nộp phiếu chấm") && audit.contains("Sửa phiếu chấm đã nộp"));

        // History cannot be rewritten, even by the database user.
        let tampered = diesel::update(review_history::table)
            .set(review_history::comment_author.eq("sửa lén"))
            .execute(&mut app.conn());
        assert!(tampered.is_err(), "history is append-only");

        // Closing the round ends editing.
        let (code, body) = call(
            app,
            &c.org,
            Method::POST,
            &format!("/api/v1/contests/{SLUG}/rubric/close"),
            None,
        );
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["closed"], true);
        let (code, err) = change(v1 + 1, 2);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("review_closed"))
        );
        let (_, one) = call(
            app,
            &r.token,
            Method::GET,
            &format!("/api/v1/assignments/{a}"),
            None,
        );
        assert_eq!(one["editable"], false);
        assert_eq!(one["review"]["scores"][&c.criteria[0]], 5);
        let (code, err) = call(
            app,
            &c.org,
            Method::POST,
            &format!("/api/v1/contests/{SLUG}/rubric/close"),
            None,
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("round_closed"))
        );
        // Only organizers close rounds.
        let (code, _) = call(
            app,
            &r.token,
            Method::POST,
            &format!("/api/v1/contests/{SLUG}/rubric/close"),
            None,
        );
        assert_eq!(code, 403);
    });
}

#[test]
fn declining_frees_the_slot_and_only_before_accepting() {
    each_engine(|app| {
        let c = review_contest(app, 2, 2, 1);
        let (r1, r2) = (&c.reviewers[0], &c.reviewers[1]);
        let a1 = assignments_of(app, &r1.token)[0].clone();
        let a1_id = a1["id"].as_str().unwrap().to_string();
        let idea = {
            let (_, one) = call(
                app,
                &r1.token,
                Method::GET,
                &format!("/api/v1/assignments/{a1_id}"),
                None,
            );
            one["idea"]["id"].as_str().unwrap().to_string()
        };
        let (code, _) = call(
            app,
            &r1.token,
            Method::POST,
            &format!("/api/v1/assignments/{a1_id}/decline"),
            Some(&json!({"reason": "Đang đi công tác cả tháng."})),
        );
        assert_eq!(code, 204);
        let (status, reason): (String, Option<String>) = assignments::table
            .find(&a1_id)
            .select((assignments::status, assignments::reason))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(
            (status.as_str(), reason.as_deref()),
            ("declined", Some("Đang đi công tác cả tháng."))
        );
        assert!(
            assignments_of(app, &r1.token).is_empty(),
            "gone from the dashboard"
        );
        assert_eq!(
            status_of(app, &idea),
            "eligible",
            "nobody left to review it"
        );
        assert_eq!(events_of(app, "assignment_declined").len(), 1);
        // A declined assignment is no longer theirs to open.
        let (code, _) = call(
            app,
            &r1.token,
            Method::GET,
            &format!("/api/v1/assignments/{a1_id}"),
            None,
        );
        assert_eq!(code, 404);

        // Accepting is once; after it, declining is refused (recusal is the way out).
        let a2 = assignments_of(app, &r2.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        for _ in 0..2 {
            let (code, _) = call(
                app,
                &r2.token,
                Method::POST,
                &format!("/api/v1/assignments/{a2}/accept"),
                None,
            );
            assert_eq!(code, 204);
        }
        assert_eq!(events_of(app, "assignment_accepted").len(), 1);
        let (code, err) = call(
            app,
            &r2.token,
            Method::POST,
            &format!("/api/v1/assignments/{a2}/decline"),
            None,
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("already_accepted"))
        );

        // Someone else's assignment does not exist for you, whatever you try.
        for (method, path) in [
            (Method::GET, format!("/api/v1/assignments/{a2}")),
            (Method::PUT, format!("/api/v1/assignments/{a2}/review")),
            (Method::POST, format!("/api/v1/assignments/{a2}/accept")),
        ] {
            let (code, _) = call(app, &r1.token, method, &path, Some(&json!({})));
            assert_eq!(code, 404, "{path}");
        }
        // Authors are not reviewers.
        let (code, _) = call(
            app,
            &c.author.1,
            Method::GET,
            "/api/v1/me/assignments",
            None,
        );
        assert_eq!(code, 403);
    });
}

#[test]
fn the_review_form_page_keeps_what_was_typed_and_submits() {
    each_engine(|app| {
        let c = review_contest(app, 1, 1, 1);
        let r = &c.reviewers[0];
        let client = new_client();
        let csrf = api_signin(app, &client, &r.email, PASSWORD);
        let dash = page_html(&client, &app.url("/review"));
        assert!(dash.contains("0 / 1"), "done n/m on the dashboard");
        let a = assignments_of(app, &r.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(dash.contains(&format!("/review/assignments/{a}")));
        let form_url = app.url(&format!("/review/assignments/{a}"));
        let html = unescape(&page_html(&client, &form_url));
        assert!(
            html.contains("5 — Chưa nơi nào làm"),
            "the level descriptions beside the scores"
        );
        assert!(html.contains("Tính khả thi"));

        // Submitting without the second score: the page comes back with the problem and what was typed.
        let score0 = format!("scores.{}", c.criteria[0]);
        let r1 = client
            .post(&form_url)
            .form(&[
                ("_csrf", csrf.as_str()),
                (score0.as_str(), "4"),
                ("confidence", "3"),
                ("comment_author", "Nhận xét dành cho nhóm tác giả"),
                ("action", "submit"),
            ])
            .send()
            .unwrap();
        assert_eq!(r1.status().as_u16(), 400);
        let body = unescape(&r1.text().unwrap());
        assert!(body.contains("Vui lòng điền mục này."), "{body}");
        assert!(body.contains("Nhận xét dành cho nhóm tác giả"));
        assert!(
            body.contains(&format!("name=\"{score0}\" value=\"4\" checked")),
            "the chosen score kept"
        );
        assert!(
            assignments_of(app, &r.token)[0]["review_status"].is_null(),
            "nothing saved"
        );

        // A score that is not a number is named, not a crash.
        let r2 = client
            .post(&form_url)
            .form(&[
                ("_csrf", csrf.as_str()),
                (score0.as_str(), "bốn"),
                ("action", "draft"),
            ])
            .send()
            .unwrap();
        assert_eq!(r2.status().as_u16(), 400);

        // Complete: saved, and the page says so.
        let score1 = format!("scores.{}", c.criteria[1]);
        let r3 = client
            .post(&form_url)
            .form(&[
                ("_csrf", csrf.as_str()),
                (score0.as_str(), "4"),
                (score1.as_str(), "7"),
                ("confidence", "3"),
                ("comment_author", "Nhận xét dành cho nhóm tác giả"),
                ("action", "submit"),
            ])
            .send()
            .unwrap();
        assert_eq!(r3.status().as_u16(), 303);
        let to = r3.headers()["location"].to_str().unwrap().to_string();
        let page = unescape(&page_html(&client, &app.url(&to)));
        assert!(page.contains("Đã lưu phiếu chấm"), "{page}");
        assert_eq!(
            assignments_of(app, &r.token)[0]["review_status"],
            "submitted"
        );
        assert_eq!(status_of(app, &c.ideas[0]), "reviewed");
        let dash = page_html(&client, &app.url("/review"));
        assert!(dash.contains("1 / 1"));
    });
}

/// Every body a reviewer can get back, as text.
fn fetch(client: &reqwest::blocking::Client, url: &str) -> (u16, String, String) {
    let r = client.get(url).send().unwrap();
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (status, r.text().unwrap_or_default(), disposition)
}

#[test]
fn blind_review_leaks_nothing_of_the_team() {
    each_engine(|app| {
        // A blind contest, whose author and co-author have names, emails and phones to hide, written into the idea
        // itself and into an attachment's file name too.
        let c = review_contest(app, 1, 0, 1);
        diesel::update(sangtao::db::schema::contests::table.find(contest_id(app)))
            .set(sangtao::db::schema::contests::blind_review.eq(true))
            .execute(&mut app.conn())
            .unwrap();
        let (author_id, author) = &c.author;
        diesel::update(users::table.find(author_id))
            .set((
                users::display_name.eq("Phạm Ngọc Bích Trâm"),
                users::phone.eq(Some("0912 345 678")),
            ))
            .execute(&mut app.conn())
            .unwrap();
        let co = make_user(app, "dongtacgia.hoang@example.org", PASSWORD, "member");
        diesel::update(users::table.find(&co))
            .set((
                users::display_name.eq("Hoàng Gia Khiêm"),
                users::phone.eq(Some("0987654321")),
            ))
            .execute(&mut app.conn())
            .unwrap();
        let idea = eligible_idea(
            app,
            author,
            "Xe đạp công cộng cho học sinh",
            "Nhóm Phạm Ngọc Bích Trâm và Hoàng Gia Khiêm, liên hệ tacgia@example.org hoặc 0912.345.678.",
        );
        diesel::insert_into(idea_coauthors::table)
            .values((
                idea_coauthors::idea_id.eq(&idea),
                idea_coauthors::user_id.eq(&co),
                idea_coauthors::added_at.eq(sangtao::db::now()),
            ))
            .execute(&mut app.conn())
            .unwrap();
        // The attachment is added while the idea is the author's to change, then it goes to review.
        diesel::update(sangtao::db::schema::ideas::table.find(&idea))
            .set(sangtao::db::schema::ideas::status.eq("submitted"))
            .execute(&mut app.conn())
            .unwrap();
        let (content_type, upload) = multipart(
            "Pham Ngoc Bich Tram - de xuat.pdf",
            "application/pdf",
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        );
        let up = new_client()
            .post(app.url(&format!("/api/v1/ideas/{idea}/attachments")))
            .bearer_auth(author)
            .header("content-type", content_type)
            .body(upload)
            .send()
            .unwrap();
        assert!(up.status().is_success(), "{}", up.text().unwrap());
        diesel::update(sangtao::db::schema::ideas::table.find(&idea))
            .set(sangtao::db::schema::ideas::status.eq("eligible"))
            .execute(&mut app.conn())
            .unwrap();
        let base = format!("/api/v1/contests/{SLUG}/assignments");
        assert_eq!(
            call(app, &c.org, Method::POST, &format!("{base}/propose"), None).0,
            200
        );
        assert_eq!(
            call(app, &c.org, Method::POST, &format!("{base}/confirm"), None).0,
            200
        );
        let r = &c.reviewers[0];
        let a = assignment_for(app, &r.token, &idea).expect("assigned");
        let att: String = attachments::table
            .filter(attachments::idea_id.eq(&idea))
            .select(attachments::id)
            .first(&mut app.conn())
            .unwrap();

        // Everything the reviewer can ask for, as the reviewer: pages with the session, the API with the token.
        let client = new_client();
        api_signin(app, &client, &r.email, PASSWORD);
        let mut bodies: Vec<(String, String)> = Vec::new();
        let mut get = |path: String, as_api: bool| {
            let (status, text, disposition) = if as_api {
                let resp = new_client()
                    .get(app.url(&path))
                    .bearer_auth(&r.token)
                    .send()
                    .unwrap();
                let s = resp.status().as_u16();
                (s, resp.text().unwrap(), String::new())
            } else {
                fetch(&client, &app.url(&path))
            };
            assert!(status < 500, "{path}: {status}");
            bodies.push((path.clone(), format!("{text}\n{disposition}")));
            (status, text, disposition)
        };
        let (status, _, disposition) =
            get(format!("/review/assignments/{a}/attachments/{att}"), false);
        assert_eq!(status, 200);
        assert!(disposition.contains(".pdf"), "{disposition}");
        for path in [
            "/review".to_string(),
            format!("/review/assignments/{a}"),
            format!("/ideas/{idea}"),
            "/ideas?q=xe+dap".to_string(),
            "/ideas".to_string(),
            format!("/contests/{SLUG}"),
        ] {
            get(path, false);
        }
        for path in [
            "/api/v1/me/assignments".to_string(),
            format!("/api/v1/assignments/{a}"),
            "/api/v1/me/panels".to_string(),
            format!("/api/v1/ideas/{idea}"),
            "/api/v1/ideas?q=xe%20dap".to_string(),
            format!(
                "/api/v1/ideas/similar?title=Xe%20%C4%91%E1%BA%A1p%20c%C3%B4ng%20c%E1%BB%99ng&contest={SLUG}"
            ),
            format!("/api/v1/contests/{SLUG}"),
        ] {
            get(path, true);
        }
        // The review form shows the idea, scrubbed: the text is there, the names are not.
        let form = bodies
            .iter()
            .find(|(p, _)| p == &format!("/review/assignments/{a}"))
            .unwrap();
        assert!(unescape(&form.1).contains("Xe đạp công cộng cho học sinh"));
        assert!(unescape(&form.1).contains("[đã ẩn]"));
        // Saving a review answers nothing about the team either.
        let (_, saved) = submit(app, &r.token, &a, &c.criteria, &[3, 7]);
        bodies.push(("PUT review".into(), saved.to_string()));
        // And the emails the reviewer got.
        let mails: Vec<(String, String, String)> = {
            use sangtao::db::schema::outbox;
            outbox::table
                .filter(outbox::recipient.eq(&r.email))
                .select((outbox::subject, outbox::body_text, outbox::body_html))
                .load(&mut app.conn())
                .unwrap()
        };
        assert!(!mails.is_empty(), "the reviewer was told of the assignment");
        for (s, t, h) in mails {
            bodies.push(("email".into(), format!("{s}\n{t}\n{h}")));
        }

        let secrets = [
            "Phạm Ngọc Bích Trâm",
            "Pham Ngoc Bich Tram",
            "tacgia@example.org",
            "0912 345 678",
            "0912.345.678",
            "0912345678",
            "Hoàng Gia Khiêm",
            "dongtacgia.hoang@example.org",
            "0987654321",
        ];
        for (path, body) in &bodies {
            let text = unescape(body).to_lowercase();
            for s in secrets {
                assert!(!text.contains(&s.to_lowercase()), "{path} reveals {s}");
            }
            // What only the reviewer's own views could add: the team's unit, or its size.
            if path.starts_with("/review") || path.contains("assignments") || path == "PUT review" {
                assert!(!text.contains("phường 4"), "{path} reveals the unit");
                assert!(!text.contains("đồng tác giả"), "{path} mentions co-authors");
            }
        }
    });
}

fn mails_of(app: &TestApp, to: &str, kind: &str) -> Vec<String> {
    use sangtao::db::schema::outbox;
    outbox::table
        .filter(outbox::recipient.eq(to))
        .filter(outbox::kind.eq(kind))
        .select(outbox::body_text)
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn reminders_go_once_before_and_once_after_and_never_empty() {
    for engine in crate::helpers::engines() {
        let app = &crate::helpers::spawn_app_with(
            engine,
            &[
                ("SANGTAO_REMINDER_SECS", "1"),
                ("SANGTAO_MAIL_POLL_MS", "50"),
            ],
        );
        let c = review_contest(app, 3, 1, 3);
        let (soon, done, late) = (&c.reviewers[0], &c.reviewers[1], &c.reviewers[2]);
        let a_done = assignments_of(app, &done.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            submit(app, &done.token, &a_done, &c.criteria, &[4, 8]).0,
            200
        );
        // The reviewer with a draft still has it pending.
        let a_soon = assignments_of(app, &soon.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (code, _) = call(
            app,
            &soon.token,
            Method::PUT,
            &format!("/api/v1/assignments/{a_soon}/review"),
            Some(&json!({"scores": {c.criteria[0].clone(): 2}})),
        );
        assert_eq!(code, 200);
        let now = sangtao::db::now();
        for (r, due) in [
            (soon, now + chrono::Duration::hours(20)),
            (done, now + chrono::Duration::hours(20)),
            (late, now - chrono::Duration::hours(3)),
        ] {
            diesel::update(assignments::table.filter(assignments::reviewer_id.eq(&r.id)))
                .set(assignments::due_at.eq(Some(due)))
                .execute(&mut app.conn())
                .unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while (mails_of(app, &soon.email, "review_due_soon").is_empty()
            || mails_of(app, &late.email, "review_overdue").is_empty())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        // Three more sweeps: still one of each.
        std::thread::sleep(std::time::Duration::from_millis(3500));
        let soon_mail = mails_of(app, &soon.email, "review_due_soon");
        assert_eq!(soon_mail.len(), 1, "one reminder before the due date");
        assert!(
            soon_mail[0].contains("Bạn còn 1 ý tưởng"),
            "{}",
            soon_mail[0]
        );
        assert!(
            mails_of(app, &soon.email, "review_overdue").is_empty(),
            "not overdue yet"
        );
        let late_mail = mails_of(app, &late.email, "review_overdue");
        assert_eq!(late_mail.len(), 1, "one reminder after the due date");
        assert!(late_mail[0].contains("quá hạn"), "{}", late_mail[0]);
        assert!(
            mails_of(app, &late.email, "review_due_soon").is_empty(),
            "no 'due soon' once it is late"
        );
        for kind in ["review_due_soon", "review_overdue"] {
            assert!(
                mails_of(app, &done.email, kind).is_empty(),
                "nothing pending, nothing sent"
            );
        }
    }
}

#[test]
fn recusing_from_the_page_records_the_kind_of_conflict() {
    each_engine(|app| {
        let c = review_contest(app, 1, 1, 1);
        let r = &c.reviewers[0];
        let client = new_client();
        let csrf = api_signin(app, &client, &r.email, PASSWORD);
        let a = assignments_of(app, &r.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let url = app.url(&format!("/review/assignments/{a}/recuse"));
        let page = unescape(&page_html(
            &client,
            &app.url(&format!("/review/assignments/{a}")),
        ));
        assert!(
            page.contains("Người thân") && page.contains("Cùng trường"),
            "the kinds offered"
        );

        // Without a reason: the form again, open, the kind kept, nothing changed.
        let refused = client
            .post(&url)
            .form(&[
                ("_csrf", csrf.as_str()),
                ("recuse_kind", "family"),
                ("recuse_reason", " "),
            ])
            .send()
            .unwrap();
        assert_eq!(refused.status().as_u16(), 400);
        let body = unescape(&refused.text().unwrap());
        assert!(
            body.contains("<details open>"),
            "the recusal form stays open"
        );
        assert!(body.contains("value=\"family\" selected"));
        assert_eq!(assignments_of(app, &r.token).len(), 1);

        let done = client
            .post(&url)
            .form(&[
                ("_csrf", csrf.as_str()),
                ("recuse_kind", "family"),
                ("recuse_reason", "Tác giả là em họ của tôi."),
            ])
            .send()
            .unwrap();
        assert_eq!(done.status().as_u16(), 303);
        assert!(
            done.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/review?notice=")
        );
        let kinds: Vec<(String, String)> = sangtao::db::schema::conflicts::table
            .select((
                sangtao::db::schema::conflicts::kind,
                sangtao::db::schema::conflicts::reason,
            ))
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(
            kinds,
            [(
                "family".to_string(),
                "Tác giả là em họ của tôi.".to_string()
            )]
        );
        assert!(assignments_of(app, &r.token).is_empty());
        assert_eq!(
            status_of(app, &c.ideas[0]),
            "eligible",
            "nobody left: back to assignment"
        );
    });
}

#[test]
fn a_review_asked_in_a_new_round_settles_on_that_round_alone() {
    each_engine(|app| {
        let c = review_contest(app, 2, 1, 1);
        let idea = &c.ideas[0];
        let first = c
            .reviewers
            .iter()
            .find(|r| !assignments_of(app, &r.token).is_empty())
            .unwrap();
        let a = assignments_of(app, &first.token)[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(submit(app, &first.token, &a, &c.criteria, &[3, 5]).0, 200);
        assert_eq!(status_of(app, idea), "reviewed");

        // The locked rubric is changed through a new round, then one more review is asked in it.
        let (code, round) = call(
            app,
            &c.org,
            Method::POST,
            &format!("/api/v1/contests/{SLUG}/rubric/rounds"),
            None,
        );
        assert_eq!((code, round["round"].as_i64()), (201, Some(2)), "{round}");
        let (code, body) = call(
            app,
            &c.org,
            Method::POST,
            &format!("/api/v1/contests/{SLUG}/results/{idea}/more"),
            None,
        );
        assert_eq!(code, 201, "{body}");
        assert_eq!(status_of(app, idea), "in_review");
        let second = c.reviewers.iter().find(|r| r.id != first.id).unwrap();
        let b = assignment_for(app, &second.token, idea).expect("the other reviewer has it");
        let criteria: Vec<String> = round["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(submit(app, &second.token, &b, &criteria, &[4, 6]).0, 200);
        // The first round's finished assignment is not waited for.
        assert_eq!(status_of(app, idea), "reviewed");
    });
}
