//! Adoption tracking: an organizer adopts a selected idea with a responsible unit, a plan and dates, posts
//! milestones (with photos on the page) and closes it; each step emails the authors; the public sees it all on
//! `/adopted`, `/api/v1/adopted` and the idea's timeline. Bad input changes nothing.

use std::io::Cursor;

use diesel::prelude::*;
use image::{ImageFormat, RgbImage};
use reqwest::Method;
use sangtao::db::schema::{adoptions, ideas, milestone_photos, milestones};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, call, each_engine, last_mail, make_token, make_user, new_client, set_unit,
    unescape,
};

const PASSWORD: &str = "mật khẩu của tôi";
const SLUG: &str = "sang-tao-tre-2026";

/// A submitted idea of the 2026 contest by `token`'s owner, moved straight to `status` (review is tested
/// elsewhere).
pub fn idea_at(app: &TestApp, token: &str, title: &str, status: &str) -> String {
    let (code, body) = call(
        app,
        token,
        Method::POST,
        "/api/v1/ideas",
        Some(&json!({
            "contest": SLUG, "category": "moi-truong", "submit": true, "title": title,
            "summary": "Đặt cụm thùng rác phân loại ở chợ và hướng dẫn tiểu thương phân loại rác.",
            "situation": "Rác ở chợ bị vứt lẫn lộn, không ai phân loại, gây ô nhiễm khu vực xung quanh.",
            "solution": "Đặt thùng ba màu ở cổng chợ, đoàn viên hướng dẫn tiểu thương trong tháng đầu tiên.",
            "impact": "Giảm lượng rác phải chôn lấp.",
        })),
    );
    assert_eq!(code, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    diesel::update(ideas::table.find(&id))
        .set((ideas::status.eq(status), ideas::is_public.eq(true)))
        .execute(&mut app.conn())
        .unwrap();
    id
}

fn status(app: &TestApp, id: &str) -> String {
    ideas::table
        .find(id)
        .select(ideas::status)
        .first(&mut app.conn())
        .unwrap()
}

fn milestone_count(app: &TestApp, id: &str) -> i64 {
    milestones::table
        .filter(milestones::idea_id.eq(id))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn today() -> String {
    sangtao::app::adoption::today_in_vietnam()
        .format("%Y-%m-%d")
        .to_string()
}

fn ids_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_organizer_adopts_posts_milestones_and_closes_and_the_public_and_the_author_see_each_step() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", PASSWORD, "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc@example.org", PASSWORD, "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        let id = idea_at(
            app,
            &token,
            "Thùng rác phân loại ở chợ Hòa Bình",
            "selected",
        );
        let plan_path = format!("/api/v1/contests/{SLUG}/ideas/{id}/adoption");

        // Every problem named, nothing written.
        let (code, err) = call(
            app,
            &org,
            Method::PUT,
            &plan_path,
            Some(
                &json!({"unit": "khong-co", "plan": "ngắn", "planned_start": "2026-12-10",
                "planned_end": "2026-12-01"}),
            ),
        );
        assert_eq!(code, 400, "{err}");
        let fields = &err["error"]["fields"];
        assert_eq!(fields["unit"][0]["code"], "unknown_unit");
        assert_eq!(fields["plan"][0]["code"], "too_short");
        assert_eq!(fields["planned_end"][0]["code"], "end_before_start");
        assert_eq!(status(app, &id), "selected");
        let rows: i64 = adoptions::table
            .filter(adoptions::idea_id.eq(&id))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(rows, 0);

        // A member cannot; an organizer of another unit's subtree cannot.
        let (code, _) = call(app, &token, Method::PUT, &plan_path, Some(&json!({})));
        assert_eq!(code, 403);
        let other = make_user(app, "btc-phuong@example.org", PASSWORD, "organizer");
        set_unit(app, &other, "phuong-4");
        let (code, _) = call(
            app,
            &make_token(app, &other),
            Method::PUT,
            &plan_path,
            Some(
                &json!({"unit": "phuong-5", "plan": "Kế hoạch đủ dài để được nhận.",
                "planned_start": "2026-12-01", "planned_end": "2027-03-01"}),
            ),
        );
        assert_eq!(code, 403);

        // Adopted: in implementation, the authors told.
        let plan = "Phường 5 đặt 20 cụm thùng rác ba màu ở chợ và tập huấn cho 120 tiểu thương trong quý I.";
        let (code, a) = call(
            app,
            &org,
            Method::PUT,
            &plan_path,
            Some(
                &json!({"unit": "phuong-5", "plan": plan, "planned_start": "01/12/2026",
                "planned_end": "2027-03-31"}),
            ),
        );
        assert_eq!(code, 200, "{a}");
        assert_eq!(a["status"], "in_implementation");
        assert_eq!(a["unit"], "phuong-5");
        assert_eq!(a["planned_start"], "2026-12-01");
        assert_eq!(status(app, &id), "in_implementation");
        let (_, mail) = last_mail(app, "tacgia@example.org", "idea_status").expect("status mail");
        assert!(
            mail.contains("started") || mail.contains("bắt đầu") || mail.contains("triển khai"),
            "{mail}"
        );

        // A milestone: bad input names each field and changes nothing.
        let ms_path = format!("/api/v1/contests/{SLUG}/ideas/{id}/milestones");
        let (code, err) = call(
            app,
            &org,
            Method::POST,
            &ms_path,
            Some(&json!({"happened_on": "2999-01-01", "body": "", "progress": 101})),
        );
        assert_eq!(code, 400);
        let fields = &err["error"]["fields"];
        assert_eq!(fields["happened_on"][0]["code"], "date_in_future");
        assert_eq!(fields["body"][0]["code"], "required");
        assert_eq!(fields["progress"][0]["code"], "range");
        assert_eq!(milestone_count(app, &id), 0);

        let update = "Đã đặt 12 cụm thùng rác ba màu ở cổng chợ và tập huấn cho 60 tiểu thương.";
        let (code, a) = call(
            app,
            &org,
            Method::POST,
            &ms_path,
            Some(&json!({"happened_on": today(), "body": update, "progress": 40})),
        );
        assert_eq!(code, 201, "{a}");
        assert_eq!(a["progress"], 40);
        assert_eq!(a["milestones"][0]["body"], update);
        let (subject, mail) =
            last_mail(app, "tacgia@example.org", "adoption_update").expect("update mail");
        assert!(subject.contains("Tiến độ"), "{subject}");
        assert!(mail.contains("40%") && mail.contains(update), "{mail}");
        assert!(mail.contains(&format!("/ideas/{id}")), "{mail}");

        // The same through the API as a form, with a photo.
        let (ct, body) = milestone_form(
            &[
                ("happened_on", &today()),
                ("body", update),
                ("progress", "45"),
            ],
            &[("cho.png", &picture(ImageFormat::Png))],
        );
        let r = new_client()
            .post(app.url(&ms_path))
            .bearer_auth(&org)
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let a: Value = r.json().unwrap();
        assert_eq!(a["progress"], 45);
        assert_eq!(
            a["milestones"][0]["photos"].as_array().unwrap().len(),
            1,
            "{a}"
        );
        let photo = a["milestones"][0]["photos"][0]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(app.get(&photo).status().as_u16(), 200);

        // The public: the showcase (with filters), the API, the idea's timeline.
        let (code, list) = app.json(&format!("/api/v1/adopted?contest={SLUG}&progress=25-49"));
        assert_eq!(code, 200);
        assert!(ids_of(&list).contains(&id), "{list}");
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap();
        assert_eq!(item["responsible_unit"]["slug"], "phuong-5");
        assert_eq!(item["latest_update"], update);
        let (_, list) = app.json("/api/v1/adopted?progress=75-100");
        assert!(!ids_of(&list).contains(&id));
        let (_, list) = app.json("/api/v1/adopted?unit=quan-10&category=moi-truong");
        assert!(
            ids_of(&list).contains(&id),
            "the district's subtree holds phường 5"
        );
        let (_, list) = app.json("/api/v1/adopted?unit=phuong-4");
        assert!(!ids_of(&list).contains(&id));
        let (code, err) = app.json("/api/v1/adopted?progress=half");
        assert_eq!(code, 400);
        assert_eq!(err["error"]["code"], "bad_parameter");
        let (_, idea) = app.json(&format!("/api/v1/ideas/{id}"));
        assert_eq!(idea["adoption"]["milestones"][0]["progress"], 45);
        assert_eq!(idea["adoption"]["milestones"][1]["progress"], 40);
        assert_eq!(idea["adoption"]["planned_end"], "2027-03-31");
        let (code, page) = app.html(&format!("/ideas/{id}"));
        assert_eq!(code, 200);
        let page = unescape(&page);
        assert!(
            page.contains(update) && page.contains("Tiến độ 40%"),
            "{page}"
        );
        assert!(page.contains("Phường 5"));
        let (code, page) = app.html("/adopted?progress=25-49");
        assert_eq!(code, 200);
        assert!(
            unescape(&page).contains("Thùng rác phân loại ở chợ Hòa Bình"),
            "{page}"
        );

        // Closing: discontinued needs a reason; implemented reaches 100 and ends the updates.
        let finish = format!("/api/v1/contests/{SLUG}/ideas/{id}/adoption/finish");
        let (code, err) = call(
            app,
            &org,
            Method::POST,
            &finish,
            Some(&json!({"outcome": "discontinued"})),
        );
        assert_eq!(code, 422);
        assert_eq!(
            err["error"]["fields"]["reason"][0]["code"],
            "reason_required"
        );
        let (code, err) = call(
            app,
            &org,
            Method::POST,
            &finish,
            Some(&json!({"outcome": "paused"})),
        );
        assert_eq!(code, 400);
        assert_eq!(
            err["error"]["fields"]["outcome"][0]["code"],
            "unknown_outcome"
        );
        assert_eq!(status(app, &id), "in_implementation");
        let (code, a) = call(
            app,
            &org,
            Method::POST,
            &finish,
            Some(&json!({"outcome": "implemented"})),
        );
        assert_eq!(code, 200, "{a}");
        assert_eq!(
            (a["status"].as_str(), a["progress"].as_i64()),
            (Some("implemented"), Some(100))
        );
        let (code, err) = call(
            app,
            &org,
            Method::POST,
            &ms_path,
            Some(&json!({"happened_on": today(), "body": update, "progress": 100})),
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("not_in_implementation"))
        );
        assert_eq!(milestone_count(app, &id), 2);
        let (_, mail) = last_mail(app, "tacgia@example.org", "idea_status").unwrap();
        assert!(mail.contains("đã được áp dụng vào thực tế"), "{mail}");

        // An idea that was never selected cannot be adopted.
        let other_idea = idea_at(app, &token, "Ý tưởng mới được chấm xong", "reviewed");
        let (code, err) = call(
            app,
            &org,
            Method::PUT,
            &format!("/api/v1/contests/{SLUG}/ideas/{other_idea}/adoption"),
            Some(
                &json!({"unit": "phuong-5", "plan": plan, "planned_start": "2026-12-01",
                "planned_end": "2027-03-31"}),
            ),
        );
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("not_adoptable"))
        );
    });
}

/// A small picture encoded as `format`.
fn picture(format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// The milestone form as a browser sends it: text parts and photo parts.
pub(crate) fn milestone_form(
    texts: &[(&str, &str)],
    photos: &[(&str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "----sangtao-milestone-4f1e";
    let mut body = Vec::new();
    for (k, v) in texts {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in photos {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn uploads_count(app: &TestApp) -> usize {
    let dir = app.dir.path().join("uploads");
    walk(&dir)
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                if p.ends_with("tmp") { 0 } else { walk(&p) }
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn the_pages_adopt_and_post_a_milestone_with_photos_and_a_refused_form_keeps_what_was_typed() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", PASSWORD, "member");
        let token = make_token(app, &author);
        let organizer = make_user(app, "btc@example.org", PASSWORD, "organizer");
        set_unit(app, &organizer, "quan-10");
        let id = idea_at(
            app,
            &token,
            "Vườn rau trên sân thượng trường học",
            "selected",
        );
        let client = new_client();
        let csrf = api_signin(app, &client, "btc@example.org", PASSWORD);
        let page_path = format!("/organize/contests/{SLUG}/ideas/{id}/adoption");

        let r = client.get(app.url(&page_path)).send().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let html = r.text().unwrap();
        assert!(html.contains("name=\"planned_start\""), "{html}");

        // A refused plan form: shown again as typed, with the problem next to its field.
        let r = client
            .post(app.url(&page_path))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("unit", "phuong-5"),
                ("plan", "Trồng rau ở ba trường"),
                ("planned_start", "2026-12-01"),
                ("planned_end", "hôm nay"),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = unescape(&r.text().unwrap());
        assert!(html.contains("Trồng rau ở ba trường"), "{html}");
        assert!(
            html.contains("Hãy nhập ngày theo dạng ngày/tháng/năm."),
            "{html}"
        );
        assert_eq!(status(app, &id), "selected");

        let r = client
            .post(app.url(&page_path))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("unit", "phuong-5"),
                (
                    "plan",
                    "Trồng rau sạch trên sân thượng ba trường THCS, học sinh chăm sóc theo lớp.",
                ),
                ("planned_start", "2026-12-01"),
                ("planned_end", "2027-05-31"),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(status(app, &id), "in_implementation");

        let html = client
            .get(app.url(&page_path))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let action = crate::helpers::form_action(&html);
        let files_before = uploads_count(app);

        // A refused milestone (a PDF is not a photo; no text): nothing stored, the typed progress kept.
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".repeat(4);
        let (ct, body) = milestone_form(
            &[("happened_on", &today()), ("body", ""), ("progress", "35")],
            &[("bao-cao.pdf", &pdf)],
        );
        let r = client
            .post(app.url(&action))
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = unescape(&r.text().unwrap());
        assert!(html.contains("value=\"35\""), "{html}");
        assert!(html.contains("Chỉ nhận ảnh JPEG, PNG hoặc WebP."), "{html}");
        assert_eq!(milestone_count(app, &id), 0);
        assert_eq!(uploads_count(app), files_before, "nothing left on disk");

        // Accepted: two photos, an empty file input ignored.
        let update = "Đã dựng giàn và gieo hạt ở sân thượng trường THCS Nguyễn Văn Tố.";
        let (ct, body) = milestone_form(
            &[
                ("happened_on", &today()),
                ("body", update),
                ("progress", "30"),
            ],
            &[
                ("gian-rau.png", &picture(ImageFormat::Png)),
                ("gieo-hat.jpg", &picture(ImageFormat::Jpeg)),
                ("", &[]),
            ],
        );
        let r = client
            .post(app.url(&action))
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(milestone_count(app, &id), 1);
        let photos: Vec<String> = milestone_photos::table
            .inner_join(milestones::table)
            .filter(milestones::idea_id.eq(&id))
            .select(milestone_photos::id)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(photos.len(), 2);
        assert_eq!(
            uploads_count(app),
            files_before + 4,
            "two files and two previews"
        );
        let r = app.get(&format!("/milestone-photos/{}", photos[0]));
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/")
        );
        let r = app.get(&format!("/milestone-photos/{}/preview", photos[0]));
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        let (_, page) = app.html(&format!("/ideas/{id}"));
        assert!(
            page.contains(&format!("/milestone-photos/{}/preview", photos[0])),
            "{page}"
        );
        assert!(last_mail(app, "tacgia@example.org", "adoption_update").is_some());

        // A photo of an idea that is not public is not found.
        diesel::update(ideas::table.find(&id))
            .set(ideas::is_public.eq(false))
            .execute(&mut app.conn())
            .unwrap();
        assert_eq!(
            app.get(&format!("/milestone-photos/{}", photos[0]))
                .status()
                .as_u16(),
            404
        );
    });
}

#[test]
fn authors_of_a_selected_idea_get_a_printable_certificate_and_nobody_else_does() {
    each_engine(|app| {
        let author = make_user(app, "tacgia@example.org", PASSWORD, "member");
        let token = make_token(app, &author);
        make_user(app, "nguoikhac@example.org", PASSWORD, "member");
        let selected = idea_at(app, &token, "Bản đồ điểm rửa tay công cộng", "selected");
        let reviewed = idea_at(app, &token, "Ý tưởng chưa có kết quả", "reviewed");

        let client = new_client();
        api_signin(app, &client, "tacgia@example.org", PASSWORD);
        let r = client
            .get(app.url(&format!("/me/ideas/{selected}/certificate")))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let html = unescape(&r.text().unwrap());
        assert!(html.contains("Giấy chứng nhận"), "{html}");
        assert!(html.contains("Bản đồ điểm rửa tay công cộng"));
        assert!(html.contains("Người dùng member"), "the author's name");
        assert!(html.contains("Sáng tạo trẻ 2026"));
        assert!(html.contains("@media print") || html.contains("no-print"));
        // The author's page links to it.
        let mine = client
            .get(app.url(&format!("/me/ideas/{selected}")))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(mine.contains(&format!("/me/ideas/{selected}/certificate")));

        let r = client
            .get(app.url(&format!("/me/ideas/{reviewed}/certificate")))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 409);
        assert!(
            unescape(&r.text().unwrap())
                .contains("Chỉ ý tưởng được chọn ứng dụng mới có giấy chứng nhận.")
        );

        let other = new_client();
        api_signin(app, &other, "nguoikhac@example.org", PASSWORD);
        let r = other
            .get(app.url(&format!("/me/ideas/{selected}/certificate")))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    });
}
