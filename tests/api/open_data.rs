//! Open data: every public idea and every adopted idea as CSV and JSON, public fields only, streamed in keyset
//! pieces, documented on `/open-data`.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use sangtao::db::schema::{adoptions, contacts, contests, ideas, milestones, units, users};
use sangtao::web::open_data::{ADOPTED_COLUMNS, IDEA_COLUMNS};
use serde_json::Value;

use crate::helpers::TestApp;
use crate::sharing::{BASE, add_public_copies, blind_hidden_idea, each_app, public_ids};

/// The body of a file, checking its headers: (bytes).
fn download(app: &TestApp, path: &str, content_type: &str, file: &str) -> Vec<u8> {
    let r = app.get(path);
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let h = r.headers().clone();
    assert_eq!(h["content-type"], content_type, "{path}");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(
        cd.starts_with(&format!("attachment; filename=\"sangtao-{file}-")),
        "{path}: {cd}"
    );
    assert_eq!(h["cache-control"], "public, max-age=900", "{path}");
    assert!(
        h["link"]
            .to_str()
            .unwrap()
            .contains("creativecommons.org/licenses/by/4.0/")
    );
    r.bytes().unwrap().to_vec()
}

/// A CSV file: the byte-order mark is there, then the header and the rows as maps.
fn csv_rows(bytes: &[u8], columns: &[&str]) -> Vec<BTreeMap<String, String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, columns);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn json_rows(bytes: &[u8]) -> Vec<Value> {
    serde_json::from_slice::<Value>(bytes)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Every email, phone and person's name in the database: none may be in the open data.
fn personal_data(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    let people: Vec<(String, String, Option<String>)> = users::table
        .select((users::email, users::display_name, users::phone))
        .load(&mut app.conn())
        .unwrap();
    for (email, name, phone) in people {
        out.push(email);
        out.push(name);
        out.extend(phone);
    }
    let contacts: Vec<(String, Option<String>, Option<String>)> = contacts::table
        .select((contacts::name, contacts::email, contacts::phone))
        .load(&mut app.conn())
        .unwrap();
    for (name, email, phone) in contacts {
        out.push(name);
        out.extend(email);
        out.extend(phone);
    }
    // As the redaction does: a one-word name under four letters is also an ordinary word.
    out.retain(|s| s.contains(' ') || s.chars().count() >= 4);
    assert!(out.len() > 50, "the demo has people");
    out
}

#[test]
fn the_ideas_files_hold_every_public_idea_and_nothing_else() {
    each_app(|app| {
        // More than two pieces of 1,000, all listed at the same moment: the keyset breaks ties by id.
        add_public_copies(app, 2_500);
        let public = public_ids(app);
        let hidden: Vec<String> = ideas::table
            .filter(ideas::is_public.eq(false))
            .select(ideas::id)
            .load(&mut app.conn())
            .unwrap();
        assert!(
            !hidden.is_empty(),
            "the demo has drafts and withdrawn ideas"
        );

        let csv = download(
            app,
            "/open-data/ideas.csv",
            "text/csv; charset=utf-8",
            "ideas",
        );
        let rows = csv_rows(&csv, &IDEA_COLUMNS);
        let ids: Vec<&String> = rows.iter().map(|r| &r["id"]).collect();
        let unique: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
        assert_eq!(unique.len(), ids.len(), "no idea twice");
        assert_eq!(unique, public);

        let json = download(app, "/open-data/ideas.json", "application/json", "ideas");
        let items = json_rows(&json);
        let ids: BTreeSet<String> = items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), items.len());
        assert_eq!(ids, public);
        for h in &hidden {
            let h = h.as_bytes();
            assert!(!csv.windows(h.len()).any(|w| w == h));
        }

        // One idea of the open contest, field by field.
        let (id, title, summary, status, unit): (String, String, String, String, String) =
            ideas::table
                .inner_join(contests::table)
                .inner_join(units::table)
                .filter(contests::slug.eq("sang-tao-tre-2026"))
                .filter(ideas::is_public.eq(true))
                .select((
                    ideas::id,
                    ideas::title,
                    ideas::summary,
                    ideas::status,
                    units::name,
                ))
                .first(&mut app.conn())
                .unwrap();
        let row = rows.iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(row["url"], format!("{BASE}/ideas/{id}"));
        assert_eq!(row["title"], title);
        assert_eq!(row["summary"], summary);
        assert_eq!(row["status"], status);
        assert_eq!(row["unit"], unit);
        assert_eq!(row["contest"], "sang-tao-tre-2026");
        assert!(
            row["submitted_at"].ends_with("+07:00"),
            "{}",
            row["submitted_at"]
        );
        let item = items.iter().find(|i| i["id"] == id.as_str()).unwrap();
        assert_eq!(item["title"], title.as_str());
        assert_eq!(item["unit"], unit.as_str());
        assert!(!item["category_vi"].as_str().unwrap().is_empty());
    });
}

#[test]
fn open_data_has_no_personal_data() {
    each_app(|app| {
        let personal = personal_data(app);
        for path in [
            "/open-data/ideas.csv",
            "/open-data/ideas.json",
            "/open-data/adopted.csv",
            "/open-data/adopted.json",
        ] {
            let r = app.get(path);
            assert_eq!(r.status().as_u16(), 200);
            let text = r.text().unwrap();
            for p in &personal {
                assert!(!text.contains(p.as_str()), "{path} contains {p}");
            }
            assert!(!text.contains("author"), "{path}: no author field");
            assert!(!text.contains("score"), "{path}: no score field");
        }
    });
}

#[test]
fn a_blind_contests_idea_is_published_as_its_page_shows_it() {
    each_app(|app| {
        let (id, author) = blind_hidden_idea(app);
        let (name, email): (String, String) = users::table
            .find(&author)
            .select((users::display_name, users::email))
            .first(&mut app.conn())
            .unwrap();
        diesel::update(ideas::table.find(&id))
            .set((
                ideas::title.eq(format!("Ý tưởng của {name}")),
                ideas::summary.eq(format!("Liên hệ {email} để biết thêm.")),
            ))
            .execute(&mut app.conn())
            .unwrap();
        let rows = csv_rows(
            &app.get("/open-data/ideas.csv").bytes().unwrap(),
            &IDEA_COLUMNS,
        );
        let row = rows.iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(row["title"], "Ý tưởng của [đã ẩn]");
        assert_eq!(row["summary"], "Liên hệ [đã ẩn] để biết thêm.");
        assert_eq!(
            row["unit"], "",
            "the unit is left out while the authors are hidden"
        );
        let items = json_rows(&app.get("/open-data/ideas.json").bytes().unwrap());
        let item = items.iter().find(|i| i["id"] == id.as_str()).unwrap();
        assert_eq!(item["title"], "Ý tưởng của [đã ẩn]");
        assert!(item["unit"].is_null());
        // Selected ideas of the same contest show their unit.
        let selected = items
            .iter()
            .find(|i| i["contest"] == "sang-tao-tre-2021" && i["status"] == "implemented")
            .unwrap();
        assert!(selected["unit"].is_string());
    });
}

#[test]
fn the_adopted_files_hold_each_adoption_with_its_plan_and_milestones() {
    each_app(|app| {
        let adopted: Vec<(String, String)> = adoptions::table
            .inner_join(ideas::table)
            .filter(ideas::is_public.eq(true))
            .select((ideas::id, ideas::status))
            .load(&mut app.conn())
            .unwrap();
        // The demo's 15 ideas applied in practice, and those discontinued.
        assert!(adopted.len() >= 15, "{}", adopted.len());
        let (target, _) = adopted[0].clone();
        let (bare, _) = adopted[1].clone();
        // The demo seeds milestones and plan dates; these two start from none, and one keeps none.
        diesel::delete(milestones::table.filter(milestones::idea_id.eq_any([&target, &bare])))
            .execute(&mut app.conn())
            .unwrap();
        diesel::update(adoptions::table.find(&bare))
            .set(adoptions::planned_start.eq(None::<chrono::NaiveDate>))
            .execute(&mut app.conn())
            .unwrap();
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        diesel::update(adoptions::table.find(&target))
            .set((
                adoptions::planned_start.eq(Some(day(2021, 10, 1))),
                adoptions::planned_end.eq(Some(day(2022, 3, 31))),
                adoptions::end_reason.eq(Some("=Hết kinh phí")),
            ))
            .execute(&mut app.conn())
            .unwrap();
        for (i, (on, text, progress)) in [
            (day(2021, 12, 1), "Lắp xong 10 bảng hướng dẫn", 60),
            (day(2021, 10, 15), "Khảo sát hiện trạng", 20),
        ]
        .into_iter()
        .enumerate()
        {
            diesel::insert_into(milestones::table)
                .values((
                    milestones::id.eq(format!("00000000-0000-4000-9000-00000000000{i}")),
                    milestones::idea_id.eq(&target),
                    milestones::happened_on.eq(on),
                    milestones::body.eq(text),
                    milestones::progress.eq(progress),
                    milestones::created_at.eq(sangtao::db::now()),
                ))
                .execute(&mut app.conn())
                .unwrap();
        }

        let csv = download(
            app,
            "/open-data/adopted.csv",
            "text/csv; charset=utf-8",
            "adopted",
        );
        let rows = csv_rows(&csv, &ADOPTED_COLUMNS);
        let ids: BTreeSet<String> = rows.iter().map(|r| r["id"].clone()).collect();
        let expected: BTreeSet<String> = adopted.iter().map(|(i, _)| i.clone()).collect();
        assert_eq!(ids, expected);
        let row = rows.iter().find(|r| r["id"] == target).unwrap();
        assert_eq!(row["planned_start"], "2021-10-01");
        assert_eq!(row["planned_end"], "2022-03-31");
        assert_eq!(
            row["end_reason"], "'=Hết kinh phí",
            "a formula-like cell is defused"
        );
        assert!(!row["responsible_unit"].is_empty() && !row["plan"].is_empty());
        assert!(
            row["progress"]
                .parse::<i32>()
                .is_ok_and(|p| (0..=100).contains(&p))
        );

        let json = download(
            app,
            "/open-data/adopted.json",
            "application/json",
            "adopted",
        );
        let items = json_rows(&json);
        assert_eq!(items.len(), adopted.len());
        let item = items.iter().find(|i| i["id"] == target.as_str()).unwrap();
        assert_eq!(item["end_reason"], "=Hết kinh phí", "JSON keeps the text");
        assert_eq!(item["planned_start"], "2021-10-01");
        let ms = item["milestones"].as_array().unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0]["date"], "2021-10-15", "in the order they happened");
        assert_eq!(ms[0]["text"], "Khảo sát hiện trạng");
        assert_eq!(ms[1]["progress"], 60);
        let other = items.iter().find(|i| i["id"] == bare.as_str()).unwrap();
        assert_eq!(other["milestones"], Value::Array(vec![]));
        assert!(other["planned_start"].is_null());
    });
}

#[test]
fn the_open_data_page_documents_every_field_and_the_licence() {
    each_app(|app| {
        let (code, html) = app.html("/open-data");
        assert_eq!(code, 200);
        for col in IDEA_COLUMNS
            .iter()
            .chain(ADOPTED_COLUMNS.iter())
            .chain(["milestones"].iter())
        {
            assert!(
                html.contains(&format!("<code>{col}</code>")),
                "{col} documented"
            );
        }
        for file in ["ideas.csv", "ideas.json", "adopted.csv", "adopted.json"] {
            assert!(
                html.contains(&format!("href=\"/open-data/{file}\"")),
                "{file}"
            );
        }
        assert!(html.contains("Creative Commons Ghi công 4.0"));
        assert!(html.contains("rel=\"license\""));
        let (_, html) = app.html("/open-data?lang=en");
        assert!(html.contains("Creative Commons Attribution 4.0 International licence"));
        let (_, doc) = app.json("/api/openapi.json");
        for file in ["ideas.csv", "ideas.json", "adopted.csv", "adopted.json"] {
            assert!(
                doc["paths"][format!("/open-data/{file}")]["get"].is_object(),
                "{file} in OpenAPI"
            );
        }
    });
}
