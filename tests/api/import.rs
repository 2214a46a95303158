//! Importing ideas from an online form's CSV export: the organizer's pages (upload, mapping, progress, report), the
//! API and the command line, on a realistic Vietnamese export.

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::blocking::Client;
use sangtao::db::schema::{contacts, contests, ideas, imports};
use serde_json::Value;

use crate::helpers::{
    TestApp, api_signin, each_engine, engines, form_action, form_csrf, make_token, make_user,
    new_client, page_html, post_file, set_unit, spawn_app, unescape,
};

const PASSWORD: &str = "mật khẩu kiểm thử";
const CONTEST: &str = "sang-tao-tre-2026";
/// The column the form called something no rule recognises; every test maps it to the summary.
const SUMMARY_COLUMN: &str = "Nội dung chính của ý tưởng";

/// An organizer of the district (whose unit runs the demo contests); returns (id, email).
fn district_organizer(app: &TestApp) -> (String, &'static str) {
    let email = "btc.quan10@example.org";
    let id = make_user(app, email, PASSWORD, "organizer");
    set_unit(app, &id, "quan-10");
    (id, email)
}

/// One idea already in the contest: (id, title, summary).
fn existing_idea(app: &TestApp) -> (String, String, String) {
    ideas::table
        .inner_join(contests::table)
        .filter(contests::slug.eq(CONTEST))
        .filter(ideas::status.ne("draft"))
        .order(ideas::id.asc())
        .select((ideas::id, ideas::title, ideas::summary))
        .first(&mut app.conn())
        .unwrap()
}

/// Cells written as an online form exports them: every cell quoted, CRLF between rows, a byte-order mark first.
fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

const SITUATION: &str =
    "Rác thải ở chợ chưa được phân loại tại nguồn, gây mùi hôi và ô nhiễm cho khu dân cư.";
const SOLUTION: &str =
    "Đặt thùng rác ba ngăn ở mỗi dãy sạp.\r\nTập huấn tiểu thương phân loại rác mỗi tháng.";
const IMPACT: &str = "Giảm một nửa lượng rác phải chôn lấp.";

/// A Vietnamese online-form export: rows 2, 3 and 10 import; row 4 repeats row 2; row 5 repeats an idea already
/// in the contest; row 6 has no title, row 7 a broken email, row 8 a category the contest does not have; row 9 is
/// blank.
fn form_export(existing: &(String, String, String), member_email: &str) -> Vec<u8> {
    let header = row(&[
        "Dấu thời gian",
        "Địa chỉ email",
        "Họ và tên",
        "Tên ý tưởng",
        "Lĩnh vực",
        SUMMARY_COLUMN,
        "Thực trạng",
        "Giải pháp",
        "Hiệu quả dự kiến",
        "Kinh phí",
        "Đơn vị",
        "Bạn biết cuộc thi qua kênh nào?",
    ]);
    let idea = |time: &str, email: &str, name: &str, title: &str, category: &str, summary: &str| {
        row(&[
            time,
            email,
            name,
            title,
            category,
            summary,
            SITUATION,
            SOLUTION,
            IMPACT,
            "Khoảng 5.000.000 đồng",
            "Phường 4",
            "Facebook",
        ])
    };
    let summary = "Mỗi chợ có thùng rác ba ngăn và tiểu thương được hướng dẫn phân loại rác.";
    let rows = vec![
        header,
        idea(
            "27/11/2026 14:05:09",
            "mai.nguyen@example.org",
            "Nguyễn Thị Mai",
            "Thùng rác phân loại tại chợ Nguyễn Tri Phương",
            "moi truong",
            summary,
        ),
        idea(
            "27/11/2026 15:30:00",
            member_email,
            "Tên trong biểu mẫu",
            "Vạch sơn vùng chờ đón học sinh trước cổng trường",
            "Giao thông",
            "Kẻ vạch sơn giới hạn vùng phụ huynh dừng xe đón con trước cổng trường.",
        ),
        idea(
            "27/11/2026 16:00:00",
            "mai.nguyen@example.org",
            "Nguyễn Thị Mai",
            "THÙNG RÁC PHÂN LOẠI TẠI CHỢ NGUYỄN TRI PHƯƠNG",
            "Môi trường",
            &format!("  {summary}  "),
        ),
        idea(
            "28/11/2026 08:00:00",
            "khac@example.org",
            "Phạm Khắc",
            &existing.1,
            "Khác",
            &existing.2,
        ),
        idea(
            "28/11/2026 09:00:00",
            "khong.tieu.de@example.org",
            "Võ Văn Không",
            "",
            "Khác",
            "Một ý tưởng không có tiêu đề nhưng có đủ phần tóm tắt.",
        ),
        idea(
            "28/11/2026 10:00:00",
            "tran.van.b@",
            "Trần Văn B",
            "Ghế đá có mái che ở công viên",
            "Văn minh đô thị",
            "Lắp ghế đá có mái che cho người già nghỉ chân trong công viên.",
        ),
        idea(
            "28/11/2026 11:00:00",
            "le.y@example.org",
            "Lê Y",
            "Tủ thuốc cộng đồng ở khu phố",
            "Y tế cộng đồng",
            "Mỗi khu phố có một tủ thuốc dùng chung cho các trường hợp khẩn cấp.",
        ),
        // Row 9: blank, as exports keep an emptied row; it is no row of data.
        row(&[""; 12]),
        idea(
            "29/11/2026 07:45:00",
            "",
            "Lê Văn Cường",
            "Mã QR tra cứu thủ tục hành chính tại phường",
            "cai cach hanh chinh",
            "Dán mã QR dẫn đến hướng dẫn từng thủ tục ở quầy một cửa của phường.",
        ),
    ];
    csv(&rows)
}

/// Polls the import's page until it is no longer running; returns the last HTML.
fn wait_done(client: &Client, url: &str) -> String {
    let started = Instant::now();
    loop {
        let r = client.get(url).send().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let html = r.text().unwrap();
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "import still running: {html}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The `<select>` of a column on the mapping page: the value of its selected option.
fn selected(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let select = &html[start..html[start..].find("</select>").unwrap() + start];
    let at = select
        .find(" selected>")
        .unwrap_or_else(|| panic!("nothing selected in {select}"));
    let value = &select[..at];
    let v = value.rfind("value=\"").unwrap() + 7;
    value[v..].split('"').next().unwrap().to_string()
}

fn api_ids(app: &TestApp, path: &str) -> Vec<String> {
    let (status, body) = app.json(path);
    assert_eq!(status, 200, "{path}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// The idea imported with this title.
fn imported(app: &TestApp, title: &str) -> sangtao::db::ideas::Idea {
    ideas::table
        .filter(ideas::title.eq(title))
        .select(sangtao::db::ideas::Idea::as_select())
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{title}: {e}"))
}

/// What the shared export must have produced, however it was imported.
fn assert_imported(app: &TestApp, organizer: &str, member: &str, member_token: &str) {
    let mai = imported(app, "Thùng rác phân loại tại chợ Nguyễn Tri Phương");
    assert_eq!(mai.status, "submitted");
    assert!(mai.is_public, "the contest's ideas are public");
    assert_eq!(
        mai.listed_at.unwrap().to_string(),
        "2026-11-27 07:05:09",
        "the form's time, Vietnam time, stored in UTC"
    );
    assert_eq!(
        mai.solution,
        "Đặt thùng rác ba ngăn ở mỗi dãy sạp.\nTập huấn tiểu thương phân loại rác mỗi tháng.",
        "the multi-line cell is kept with plain line breaks"
    );
    assert_eq!(mai.author_id, organizer, "entered on behalf of a contact");
    let (name, email, unit): (String, Option<String>, Option<String>) = contacts::table
        .find(mai.contact_id.clone().unwrap())
        .select((contacts::name, contacts::email, contacts::unit_id))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(name, "Nguyễn Thị Mai");
    assert_eq!(email.as_deref(), Some("mai.nguyen@example.org"));
    assert_eq!(unit.as_deref(), Some(mai.unit_id.as_str()));
    let cuong = imported(app, "Mã QR tra cứu thủ tục hành chính tại phường");
    assert!(cuong.contact_id.is_some() && cuong.contact_id != mai.contact_id);
    let member_idea = imported(app, "Vạch sơn vùng chờ đón học sinh trước cổng trường");
    assert_eq!(
        member_idea.author_id, member,
        "an account's email makes it the author"
    );
    assert_eq!(member_idea.contact_id, None);

    // Searchable at once, without accents; the public page names the contact, not the organizer.
    let found = api_ids(app, "/api/v1/ideas?q=thung%20rac%20phan%20loai%20cho");
    assert!(found.contains(&mai.id), "{found:?}");
    let found = api_ids(app, "/api/v1/ideas?q=ma%20qr%20tra%20cuu%20thu%20tuc");
    assert!(found.contains(&cuong.id), "{found:?}");
    let (status, idea) = app.json(&format!("/api/v1/ideas/{}", mai.id));
    assert_eq!(status, 200);
    assert_eq!(
        idea["authors"],
        serde_json::json!(["Nguyễn Thị Mai"]),
        "{idea}"
    );

    // The member finds their idea among their own; the organizer does not get the contacts' ideas.
    let mine = |token: &str| -> Vec<String> {
        let r: Value = new_client()
            .get(app.url("/api/v1/me/ideas"))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        r.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(mine(member_token).contains(&member_idea.id));
    let organizer_token = make_token(app, organizer);
    let theirs = mine(&organizer_token);
    assert!(
        !theirs.contains(&mai.id) && !theirs.contains(&cuong.id),
        "{theirs:?}"
    );
    let r = new_client()
        .get(app.url(&format!("/api/v1/me/ideas/{}", mai.id)))
        .bearer_auth(&organizer_token)
        .send()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        404,
        "not the organizer's own idea to edit"
    );
    assert_eq!(
        sangtao::db::submissions::counted_ideas(&mut app.conn(), organizer, &mai.contest_id)
            .unwrap(),
        0,
        "ideas entered for contacts do not count toward the organizer's limit"
    );
    assert_eq!(
        sangtao::db::submissions::counted_ideas(&mut app.conn(), member, &mai.contest_id).unwrap(),
        1
    );
}

#[test]
fn a_form_export_goes_through_upload_mapping_progress_and_report() {
    each_engine(|app| {
        let (organizer, email) = district_organizer(app);
        let member = make_user(app, "hoc.sinh@example.org", PASSWORD, "member");
        let member_token = make_token(app, &member);
        let existing = existing_idea(app);
        let file = form_export(&existing, "Hoc.Sinh@example.org");
        let client = new_client();
        api_signin(app, &client, email, PASSWORD);

        let list = page_html(&client, &app.url("/organize/contests"));
        assert!(list.contains("/organize/contests/sang-tao-tre-2026/import"));
        let page = client
            .get(app.url("/organize/contests/sang-tao-tre-2026/import"))
            .send()
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().unwrap();
        let action = app.url(&form_action(&html));
        assert!(action.contains("_csrf="), "{action}");

        // Files that cannot be imported: a clear reason in Vietnamese, the form again, nothing stored.
        let legacy = b"Ti\xeau \xf0\xea\r\nThung rac\r\n";
        let r = post_file(&client, &action, "cu.csv", legacy);
        assert_eq!(r.status().as_u16(), 400);
        let html = unescape(&r.text().unwrap());
        assert!(
            html.contains("Tệp không dùng mã UTF-8 (lỗi từ dòng 1). Hãy mở tệp bằng bảng tính và lưu lại dưới dạng «CSV UTF-8».")
                && html.contains("name=\"file\""),
            "{html}"
        );
        let r = post_file(&client, &action, "rong.csv", b"");
        assert_eq!(r.status().as_u16(), 400);
        assert!(
            unescape(&r.text().unwrap())
                .contains("Tệp trống: không có dòng tiêu đề cũng như dữ liệu.")
        );
        let r = post_file(
            &client,
            &action,
            "chi-tieu-de.csv",
            "Tên ý tưởng,Lĩnh vực\r\n".as_bytes(),
        );
        assert!(unescape(&r.text().unwrap()).contains("Tệp chỉ có dòng tiêu đề"));
        let r = post_file(
            &client,
            &app.url("/organize/contests/sang-tao-tre-2026/import"),
            "y-tuong.csv",
            &file,
        );
        assert_eq!(r.status().as_u16(), 403, "the CSRF token is required");
        let count =
            |app: &TestApp| -> i64 { imports::table.count().get_result(&mut app.conn()).unwrap() };
        assert_eq!(count(app), 0);

        // Upload: the mapping step shows what was recognised.
        let r = post_file(&client, &action, "Ý tưởng từ biểu mẫu.csv", &file);
        assert_eq!(r.status().as_u16(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/organize/contests/sang-tao-tre-2026/imports/"));
        let html = page_html(&client, &app.url(&location));
        for (col, field) in [
            ("col_0", "timestamp"),
            ("col_1", "email"),
            ("col_2", "name"),
            ("col_3", "title"),
            ("col_4", "category"),
            ("col_5", ""),
            ("col_6", "situation"),
            ("col_7", "solution"),
            ("col_8", "impact"),
            ("col_9", "resources"),
            ("col_10", "unit"),
            ("col_11", ""),
        ] {
            assert_eq!(selected(&html, col), field, "{col}");
        }
        assert!(
            html.contains("Thùng rác phân loại tại chợ Nguyễn Tri Phương"),
            "sample values"
        );
        let csrf = form_csrf(&html);

        // Starting without a summary column is refused, with the choices kept.
        let mut form: Vec<(String, String)> = vec![("_csrf".into(), csrf.clone())];
        for (i, f) in [
            "timestamp",
            "email",
            "name",
            "title",
            "category",
            "",
            "situation",
            "solution",
            "impact",
            "resources",
            "unit",
            "",
        ]
        .iter()
        .enumerate()
        {
            form.push((format!("col_{i}"), f.to_string()));
        }
        form[12].1 = "name".into();
        let r = client.post(app.url(&location)).form(&form).send().unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let html = unescape(&r.text().unwrap());
        assert!(
            html.contains("Chưa có cột nào được ghép với mục «Tóm tắt»."),
            "{html}"
        );
        assert!(
            html.contains(
                "Có nhiều cột cùng được ghép với mục «Họ và tên tác giả»; hãy chỉ giữ một cột."
            ),
            "{html}"
        );
        assert_eq!(selected(&html, "col_11"), "name", "the choice is kept");

        // The summary column mapped by hand: the import runs, then the report.
        form[12].1 = String::new();
        form[6].1 = "summary".into();
        let r = client.post(app.url(&location)).form(&form).send().unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let html = unescape(&wait_done(&client, &app.url(&location)));
        assert!(
            html.contains("Đã nhập 3, trùng lặp 2, bị từ chối 3."),
            "{html}"
        );
        for expected in [
            "Trùng với dòng 2 của tệp.",
            "Trùng với một ý tưởng đã có trong cuộc thi.",
            "Tiêu đề: Vui lòng điền mục này.",
            "Email tác giả: Địa chỉ email không đúng định dạng.",
            "Lĩnh vực: Cuộc thi không có lĩnh vực «Y tế cộng đồng».",
            &format!("/ideas/{}", existing.0),
        ] {
            assert!(html.contains(expected), "{expected} in {html}");
        }
        for n in [4, 5, 6, 7, 8] {
            assert!(
                html.contains(&format!("<td>{n}</td>")),
                "row {n} in the report"
            );
        }
        assert!(
            !html.contains("<td>9</td>"),
            "the blank row is no row of data"
        );
        let rows: (String, i32, i32, i32, i32, String) = imports::table
            .select((
                imports::status,
                imports::total_rows,
                imports::imported,
                imports::duplicates,
                imports::rejected,
                imports::source,
            ))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(
            rows,
            ("done".into(), 8, 3, 2, 3, String::new()),
            "the file is forgotten once done"
        );
        assert_imported(app, &organizer, &member, &member_token);

        // Starting it again changes nothing; importing the same file again skips every row.
        let r = client.post(app.url(&location)).form(&form).send().unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let before: i64 = ideas::table.count().get_result(&mut app.conn()).unwrap();
        let r = post_file(&client, &action, "lan-hai.csv", &file);
        let again = r.headers()["location"].to_str().unwrap().to_string();
        client.post(app.url(&again)).form(&form).send().unwrap();
        let html = unescape(&wait_done(&client, &app.url(&again)));
        assert!(
            html.contains("Đã nhập 0, trùng lặp 5, bị từ chối 3."),
            "{html}"
        );
        let after: i64 = ideas::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(before, after);
        let html = page_html(
            &client,
            &app.url("/organize/contests/sang-tao-tre-2026/import"),
        );
        assert!(
            html.contains("lan-hai.csv") && html.contains("Ý tưởng từ biểu mẫu.csv"),
            "earlier imports listed"
        );
    });
}

fn api_import(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> (u16, Value) {
    let r = new_client()
        .post(app.url(&format!("/api/v1/contests/{CONTEST}/imports{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn the_api_imports_and_refuses_bad_files_with_specific_codes() {
    each_engine(|app| {
        let (organizer, _) = district_organizer(app);
        let token = make_token(app, &organizer);
        let member = make_user(app, "hoc.sinh@example.org", PASSWORD, "member");
        let member_token = make_token(app, &member);
        let file = form_export(&existing_idea(app), "hoc.sinh@example.org");
        let map = "?map=N%E1%BB%99i%20dung%20ch%C3%ADnh%20c%E1%BB%A7a%20%C3%BD%20t%C6%B0%E1%BB%9Fng%3Dsummary&file_name=bieu-mau.csv";

        for (body, field, code) in [
            (b"Ti\xeau \xf0\xea\n".to_vec(), "file", "not_utf8"),
            // UTF-16 without a byte-order mark: valid UTF-8 full of NUL bytes.
            (b"T\0i\0t\0l\0e\0\n\0x\0".to_vec(), "file", "not_utf8"),
            (Vec::new(), "file", "no_file"),
            ("\u{feff}\r\n".as_bytes().to_vec(), "file", "empty_file"),
            (
                "Title,Summary\r\n".as_bytes().to_vec(),
                "file",
                "no_data_rows",
            ),
            (file.clone(), "mapping", "unmapped"),
        ] {
            let (status, err) = api_import(app, &token, "", body);
            // Only an empty body is ruled out by the document; what the file holds is checked against its content.
            let expected = if code == "no_file" { 400 } else { 422 };
            assert_eq!(status, expected, "{err}");
            assert_eq!(err["error"]["code"], "validation_failed");
            assert_eq!(err["error"]["fields"][field][0]["code"], code, "{err}");
        }
        let (_, err) = api_import(
            app,
            &token,
            "?map=Kh%C3%B4ng%20c%C3%B3%3Dtitle",
            file.clone(),
        );
        assert_eq!(
            err["error"]["fields"]["mapping"][0]["code"], "unknown_column",
            "{err}"
        );
        let (_, err) = api_import(app, &token, "?map=nothing", file.clone());
        assert_eq!(
            err["error"]["fields"]["mapping"][0]["code"], "map_syntax",
            "{err}"
        );
        let count: i64 = imports::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(count, 0, "nothing stored for a refused file");

        let (status, report) = api_import(app, &token, map, file.clone());
        assert_eq!(status, 201, "{report}");
        assert_eq!(
            (
                &report["status"],
                &report["imported"],
                &report["duplicates"],
                &report["rejected"]
            ),
            (
                &Value::from("done"),
                &Value::from(3),
                &Value::from(2),
                &Value::from(3)
            )
        );
        assert_eq!(report["file_name"], "bieu-mau.csv");
        assert_eq!(report["columns"][5]["header"], SUMMARY_COLUMN);
        assert_eq!(report["columns"][5]["field"], "summary");
        assert_eq!(report["columns"][11]["field"], Value::Null);
        let rows = report["rows"].as_array().unwrap();
        let outcome = |n: i64| rows.iter().find(|r| r["row"] == n).unwrap();
        assert_eq!(rows.len(), 8);
        assert_eq!(outcome(2)["outcome"], "imported");
        assert_eq!(outcome(4)["duplicate_of_row"], 2);
        assert!(outcome(5)["duplicate_of_idea"].is_string());
        assert_eq!(outcome(6)["problems"][0]["field"], "title");
        assert_eq!(outcome(6)["problems"][0]["code"], "required");
        assert_eq!(outcome(7)["problems"][0]["code"], "email");
        assert_eq!(outcome(8)["problems"][0]["code"], "no_such_category");
        assert_eq!(outcome(10)["outcome"], "imported");
        assert_imported(app, &organizer, &member, &member_token);
    });
}

#[test]
fn only_organizers_of_the_contests_unit_may_import() {
    each_engine(|app| {
        let (_, email) = district_organizer(app);
        let file = form_export(&existing_idea(app), "a@example.org");
        // An import of the district's contest, waiting for its mapping.
        let client = new_client();
        api_signin(app, &client, email, PASSWORD);
        let html = page_html(
            &client,
            &app.url("/organize/contests/sang-tao-tre-2026/import"),
        );
        let r = post_file(&client, &app.url(&form_action(&html)), "x.csv", &file);
        let location = r.headers()["location"].to_str().unwrap().to_string();

        // A ward's organizer (a unit below the contest's) and a member are refused everywhere.
        let ward = make_user(app, "btc.phuong4@example.org", PASSWORD, "organizer");
        let member = make_user(app, "thanh.vien@example.org", PASSWORD, "member");
        for (who, mail) in [
            (ward, "btc.phuong4@example.org"),
            (member, "thanh.vien@example.org"),
        ] {
            let token = make_token(app, &who);
            let (status, err) = api_import(app, &token, "", file.clone());
            assert_eq!(status, 403, "{mail}: {err}");
            let c = new_client();
            api_signin(app, &c, mail, PASSWORD);
            for path in [
                "/organize/contests/sang-tao-tre-2026/import",
                location.as_str(),
            ] {
                let status = c.get(app.url(path)).send().unwrap().status().as_u16();
                assert_eq!(status, 403, "{mail} {path}");
            }
        }
        let anonymous = new_client().get(app.url(&location)).send().unwrap();
        assert_eq!(anonymous.status().as_u16(), 303, "to the sign-in page");
        // An import is only found under its own contest.
        let other = location.replace("sang-tao-tre-2026", "sang-tao-tre-2021");
        assert_eq!(
            client
                .get(app.url(&other))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            404
        );
    });
}

/// An import whose worker seems to have started and then stopped before writing anything: running, heartbeat at
/// `heartbeat`. Returns the page's address.
fn stalled_import(
    app: &TestApp,
    client: &Client,
    heartbeat: Option<chrono::NaiveDateTime>,
) -> String {
    let file = form_export(&existing_idea(app), "hoc.sinh@example.org");
    let html = page_html(
        client,
        &app.url("/organize/contests/sang-tao-tre-2026/import"),
    );
    let r = post_file(client, &app.url(&form_action(&html)), "x.csv", &file);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id = location.rsplit('/').next().unwrap().to_string();
    let mapping = r#"["timestamp","email","name","title","category","summary","situation","solution","impact","resources","unit",null]"#;
    diesel::update(imports::table.find(&id))
        .set((
            imports::status.eq("running"),
            imports::mapping.eq(mapping),
            imports::heartbeat_at.eq(heartbeat),
        ))
        .execute(&mut app.conn())
        .unwrap();
    location
}

#[test]
fn a_restarted_server_resumes_a_running_import() {
    for engine in engines() {
        let mut app = spawn_app(engine);
        let (organizer, email) = district_organizer(&app);
        let member = make_user(&app, "hoc.sinh@example.org", PASSWORD, "member");
        let member_token = make_token(&app, &member);
        let client = new_client();
        api_signin(&app, &client, email, PASSWORD);
        // While its worker seems alive, the page shows the progress and reloads itself.
        let location = stalled_import(&app, &client, Some(sangtao::db::now()));
        let html = page_html(&client, &app.url(&location));
        assert!(
            html.contains("<meta http-equiv=\"refresh\" content=\"2\">")
                && html.contains("Đã xử lý 0/8 dòng.")
                && html.contains("<progress max=\"8\" value=\"0\">"),
            "{html}"
        );
        // Its worker is gone for good (no heartbeat, as after a crash): the next server takes over.
        diesel::update(imports::table)
            .set(imports::heartbeat_at.eq(None::<chrono::NaiveDateTime>))
            .execute(&mut app.conn())
            .unwrap();
        app.restart(&[]);
        let client = new_client();
        api_signin(&app, &client, email, PASSWORD);
        let html = unescape(&wait_done(&client, &app.url(&location)));
        assert!(
            html.contains("Đã nhập 3, trùng lặp 2, bị từ chối 3."),
            "{html}"
        );
        assert_imported(&app, &organizer, &member, &member_token);
    }
}

#[test]
fn looking_at_an_import_whose_worker_went_quiet_resumes_it() {
    each_engine(|app| {
        let (organizer, email) = district_organizer(app);
        let member = make_user(app, "hoc.sinh@example.org", PASSWORD, "member");
        let member_token = make_token(app, &member);
        let client = new_client();
        api_signin(app, &client, email, PASSWORD);
        // Another instance started it two minutes ago and has not been heard of since.
        let quiet = sangtao::db::now() - chrono::Duration::minutes(2);
        let location = stalled_import(app, &client, Some(quiet));
        let html = unescape(&wait_done(&client, &app.url(&location)));
        assert!(
            html.contains("Đã nhập 3, trùng lặp 2, bị từ chối 3."),
            "{html}"
        );
        assert_imported(app, &organizer, &member, &member_token);
    });
}

fn sangtao(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sangtao"))
        .args(args)
        .env_clear()
        .env("SANGTAO_DATA_DIR", app.dir.path())
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_imports_with_a_mapping_and_reports_every_row() {
    each_engine(|app| {
        let (organizer, email) = district_organizer(app);
        let member = make_user(app, "hoc.sinh@example.org", PASSWORD, "member");
        let member_token = make_token(app, &member);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("y-tuong.csv");
        std::fs::write(
            &path,
            form_export(&existing_idea(app), "hoc.sinh@example.org"),
        )
        .unwrap();
        let file = path.to_str().unwrap();
        let map = format!("{SUMMARY_COLUMN}=summary");
        let ideas_now = || -> i64 { ideas::table.count().get_result(&mut app.conn()).unwrap() };
        let before = ideas_now();

        // Problems that stop it: each with its code, nothing written.
        let legacy = dir.path().join("cu.csv");
        std::fs::write(&legacy, b"Ti\xeau \xf0\xea\n").unwrap();
        let empty = dir.path().join("rong.csv");
        std::fs::write(&empty, b"").unwrap();
        let missing = dir.path().join("khong-co.csv");
        let as_organizer = ["--as", email];
        let as_member = ["--as", "hoc.sinh@example.org"];
        let mapped = ["--map", map.as_str()];
        for (path, extra, expected) in [
            (
                missing.to_str().unwrap(),
                &as_organizer[..],
                &["cannot read"][..],
            ),
            (
                legacy.to_str().unwrap(),
                &as_organizer,
                &["not_utf8", "CSV UTF-8"],
            ),
            (empty.to_str().unwrap(), &as_organizer, &["empty_file"]),
            (file, &as_organizer, &["unmapped", "Summary"]),
            (file, &mapped, &["no_admin"]),
            (file, &[&mapped[..], &as_member].concat(), &["forbidden"]),
        ] {
            let args = [&["import", "--contest", CONTEST, path][..], extra].concat();
            let (ok, _, err) = sangtao(app, &args);
            assert!(!ok, "{args:?} must fail");
            for e in expected {
                assert!(err.contains(e), "{args:?}: {e} in {err}");
            }
        }
        assert_eq!(ideas_now(), before);

        // A dry run says what would happen and writes nothing.
        let (ok, out, err) = sangtao(
            app,
            &[
                "import",
                "--contest",
                CONTEST,
                file,
                "--map",
                &map,
                "--as",
                email,
                "--dry-run",
            ],
        );
        assert!(ok, "{err}");
        assert!(
            out.contains("would import 3, duplicates 2, rejected 3"),
            "{out}"
        );
        assert_eq!(ideas_now(), before);

        // With a mapping file, in Vietnamese.
        let mapping = dir.path().join("ghep-cot.txt");
        std::fs::write(
            &mapping,
            format!("# cột của biểu mẫu\n{map}\nBạn biết cuộc thi qua kênh nào?=ignore\n"),
        )
        .unwrap();
        let (ok, out, err) = sangtao(
            app,
            &[
                "import",
                "--contest",
                CONTEST,
                file,
                "--mapping",
                mapping.to_str().unwrap(),
                "--as",
                email,
                "--lang",
                "vi",
            ],
        );
        assert!(ok, "{err}");
        assert!(
            out.contains("Rows: 8 — imported 3, duplicates 2, rejected 3"),
            "{out}"
        );
        assert!(
            out.contains(&format!("F \"{SUMMARY_COLUMN}\" → summary")),
            "{out}"
        );
        assert!(
            out.contains("L \"Bạn biết cuộc thi qua kênh nào?\" → (ignored)"),
            "{out}"
        );
        for line in [
            "row 4: duplicate of row 2",
            "row 5: duplicate of the existing idea ",
            "row 6: rejected — title required: Vui lòng điền mục này.",
            "row 7: rejected — email email: Địa chỉ email không đúng định dạng.",
            "row 8: rejected — category no_such_category: Cuộc thi không có lĩnh vực «Y tế cộng đồng».",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
        assert_eq!(ideas_now(), before + 3);
        assert_imported(app, &organizer, &member, &member_token);
    });
}

#[test]
fn a_long_file_is_imported_in_batches() {
    each_engine(|app| {
        let (organizer, _) = district_organizer(app);
        let token = make_token(app, &organizer);
        let n = sangtao::app::import::BATCH_ROWS * 5 + 7;
        let mut rows = vec![row(&[
            "Tiêu đề",
            "Lĩnh vực",
            "Tóm tắt",
            "Thực trạng",
            "Giải pháp",
            "Hiệu quả dự kiến",
            "Họ tên",
        ])];
        for i in 0..n {
            rows.push(row(&[
                &format!("Ý tưởng số {i} về ánh sáng công viên"),
                "Văn minh đô thị",
                &format!("Lắp đèn năng lượng mặt trời cho lối đi số {i} của công viên."),
                SITUATION,
                SOLUTION,
                IMPACT,
                &format!("Người gửi {i}"),
            ]));
        }
        let (status, report) = api_import(app, &token, "", csv(&rows));
        assert_eq!(status, 201, "{report}");
        assert_eq!(report["imported"], n);
        assert_eq!(report["rows"].as_array().unwrap().len(), n);
        let next: i32 = imports::table
            .select(imports::next_row)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(next as usize, n);
        let contacts: i64 = contacts::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(contacts as usize, n, "one contact per person named");
        let found = api_ids(app, &format!("/api/v1/ideas?q=y%20tuong%20so%20{}", n - 1));
        assert_eq!(found.len(), 1, "the last batch is indexed too");
    });
}

#[test]
fn two_workers_on_one_import_write_each_row_once() {
    each_engine(|app| {
        let (_, email) = district_organizer(app);
        let client = new_client();
        api_signin(app, &client, email, PASSWORD);
        let location = stalled_import(app, &client, Some(sangtao::db::now()));
        let id = location.rsplit('/').next().unwrap().to_string();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (pool, id) = (app.pool.clone(), id.clone());
                std::thread::spawn(move || {
                    sangtao::app::import::run(
                        &pool,
                        &id,
                        &mut |_: &sangtao::db::imports::ImportHead| {},
                    )
                    .map(|h| h.status)
                    .map_err(|e| e.to_string())
                })
            })
            .collect();
        // The one that lost the race stops without failing (reporting the import as it saw it then).
        let ends: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        assert!(ends.iter().all(Result::is_ok), "{ends:?}");
        assert!(ends.contains(&Ok("done".to_string())), "{ends:?}");
        let counts: (String, i32, i32, i32, i32) = imports::table
            .find(&id)
            .select((
                imports::status,
                imports::next_row,
                imports::imported,
                imports::duplicates,
                imports::rejected,
            ))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(counts, ("done".into(), 8, 3, 2, 3));
        let copies: i64 = ideas::table
            .filter(ideas::title.eq("Thùng rác phân loại tại chợ Nguyễn Tri Phương"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(copies, 1);
    });
}
