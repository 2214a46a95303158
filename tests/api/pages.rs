//! The server-rendered pages, in Vietnamese and English.

use crate::helpers::{each_engine, idea_rows, unescape};
use sangtao::demo::demo_data;
use sangtao::domain::status::IdeaStatus;

#[test]
fn home_shows_headline_numbers_contests_and_adopted_ideas() {
    let data = demo_data();
    let status = |i: &sangtao::db::ideas::Idea| IdeaStatus::parse(&i.status).unwrap();
    let submitted = data
        .ideas
        .iter()
        .filter(|i| status(i).counts_as_submitted())
        .count();
    let selected = data
        .ideas
        .iter()
        .filter(|i| status(i).counts_as_selected())
        .count();
    let applied = data
        .ideas
        .iter()
        .filter(|i| status(i).counts_as_applied())
        .count();
    assert_eq!(
        applied, 15,
        "the demo applies 15 ideas, as the district's real contest did"
    );
    each_engine(|app| {
        let (code, html) = app.html("/");
        assert_eq!(code, 200);
        assert!(html.contains("<html lang=\"vi\">"));
        assert!(
            html.contains(&format!(
                "<strong>{submitted}</strong> <span>ý tưởng đã gửi</span>"
            )),
            "{html}"
        );
        assert!(html.contains(&format!("<strong>{selected}</strong>")));
        assert!(html.contains(&format!(
            "<strong>{applied}</strong> <span>ý tưởng đã ứng dụng thực tiễn</span>"
        )));
        assert!(html.contains("Cuộc thi đang nhận ý tưởng"));
        assert!(html.contains("href=\"/contests/sang-tao-tre-2026\""));
        assert!(html.contains("Ý tưởng đã được ứng dụng"));
        assert!(html.contains("Đơn vị thực hiện:"));
    });
}

#[test]
fn english_by_parameter_is_remembered_in_a_cookie() {
    each_engine(|app| {
        let r = app.get("/?lang=en");
        let cookie = r
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            cookie.starts_with("lang=en") && cookie.contains("Path=/"),
            "{cookie}"
        );
        let html = r.text().unwrap();
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("ideas applied in practice"));
        // The cookie-keeping client now gets English without the parameter…
        let (_, html) = app.html("/ideas");
        assert!(html.contains("Public ideas"), "language remembered");
        // …and can switch back.
        let (_, html) = app.html("/ideas?lang=vi");
        assert!(html.contains("Các ý tưởng công khai"));
        let (_, html) = app.html("/ideas");
        assert!(html.contains("Các ý tưởng công khai"));
    });
}

#[test]
fn accept_language_chooses_english_without_a_cookie() {
    each_engine(|app| {
        let html = app
            .client
            .get(app.url("/contests/sang-tao-tre-2021"))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            html.contains("<html lang=\"en\">") && html.contains("Deadline"),
            "{html}"
        );
        let html = app
            .client
            .get(app.url("/contests/sang-tao-tre-2021"))
            .header("accept-language", "fr")
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(html.contains("<html lang=\"vi\">") && html.contains("Hạn chót"));
    });
}

#[test]
fn contest_page_shows_rules_dates_and_categories() {
    each_engine(|app| {
        let (code, html) = app.html("/contests/sang-tao-tre-2021");
        assert_eq!(code, 200);
        assert!(html.contains("<h1>Sáng tạo trẻ 2021</h1>"));
        assert!(
            html.contains("Thể lệ") && html.contains("Hội đồng giám khảo chấm theo các tiêu chí")
        );
        // Dates in Vietnam's time: opens 1 March 2021 00:00 (UTC+7).
        assert!(html.contains("00:00, 01/03/2021"), "{html}");
        assert!(html.contains("Đã kết thúc nhận ý tưởng"));
        for name in [
            "Giao thông",
            "Văn minh đô thị",
            "Cải cách hành chính",
            "Môi trường",
            "An sinh xã hội",
            "Chuyển đổi số",
            "Khác",
        ] {
            assert!(html.contains(name), "category {name}");
        }
        assert!(
            unescape(&html)
                .contains("href=\"/ideas?contest=sang-tao-tre-2021&category=giao-thong\"")
        );
        let (_, html) = app.html("/contests/sang-tao-tre-2026?lang=en");
        assert!(html.contains("Open for ideas") && html.contains("Digital transformation"));
    });
}

#[test]
fn idea_page_shows_every_section_and_hides_authors_while_blind() {
    each_engine(|app| {
        let rows = idea_rows(&mut app.conn());
        let blind_unselected = rows
            .iter()
            .find(|r| r.2 && r.4 && r.1 == "not_selected")
            .expect("a public, not selected idea of the blind contest");
        let (code, html) = app.html(&format!("/ideas/{}", blind_unselected.0));
        assert_eq!(code, 200);
        for h in [
            "Tóm tắt",
            "Thực trạng",
            "Giải pháp",
            "Hiệu quả dự kiến",
            "Nguồn lực, kinh phí",
            "Phạm vi áp dụng",
        ] {
            assert!(html.contains(&format!("<h2>{h}</h2>")), "section {h}");
        }
        assert!(
            html.contains("Tên tác giả được ẩn"),
            "blind contest hides names"
        );
        assert!(!html.contains("Tác giả:"));

        let open_contest_idea = rows
            .iter()
            .find(|r| r.2 && !r.4)
            .expect("a public idea of the open-review contest");
        let (_, html) = app.html(&format!("/ideas/{}", open_contest_idea.0));
        assert!(
            html.contains("Tác giả:"),
            "names shown when review is not blind"
        );

        let implemented = rows.iter().find(|r| r.1 == "implemented").unwrap();
        let (_, html) = app.html(&format!("/ideas/{}?lang=en", implemented.0));
        assert!(
            html.contains("Authors:"),
            "names shown once selected, even in a blind contest"
        );
        assert!(html.contains("Application in practice") && html.contains("Progress 100%"));
    });
}

#[test]
fn drafts_and_withdrawn_ideas_are_not_public() {
    each_engine(|app| {
        let rows = idea_rows(&mut app.conn());
        for status in ["draft", "withdrawn", "ineligible"] {
            let hidden = rows
                .iter()
                .find(|r| r.1 == status)
                .unwrap_or_else(|| panic!("demo has a {status} idea"));
            assert!(!hidden.2);
            let (code, _) = app.html(&format!("/ideas/{}", hidden.0));
            assert_eq!(code, 404, "{status} idea page");
            let (code, body) = app.json(&format!("/api/v1/ideas/{}", hidden.0));
            assert_eq!(code, 404, "{status} idea in the API");
            assert_eq!(body["error"]["code"], "not_found");
        }
    });
}

#[test]
fn text_is_escaped_on_output() {
    each_engine(|app| {
        use diesel::prelude::*;
        use sangtao::db::schema::ideas;
        let rows = idea_rows(&mut app.conn());
        let public = rows.iter().find(|r| r.2).unwrap();
        diesel::update(ideas::table.find(&public.0))
            .set(ideas::title.eq("<script>alert('x')</script> & “ngoặc”"))
            .execute(&mut app.conn())
            .unwrap();
        // The direct write bypasses the app, so wait out the page cache's lifetime.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let (_, html) = app.html(&format!("/ideas/{}", public.0));
        assert!(!html.contains("<script>alert"), "no raw script tag");
        assert!(
            html.contains("&#60;script&#62;alert("),
            "escaped, not dropped: {html}"
        );
        assert!(
            unescape(&html).contains("<h1><script>alert('x')</script> & “ngoặc”</h1>"),
            "{html}"
        );
        let (_, body) = app.json(&format!("/api/v1/ideas/{}", public.0));
        assert_eq!(
            body["title"], "<script>alert('x')</script> & “ngoặc”",
            "stored and returned as written"
        );
    });
}
