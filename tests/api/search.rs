//! Search on `/ideas?q=` and `/api/v1/ideas?q=`: Vietnamese without accents, ranking, highlighting, filters,
//! pages, bad input, and the ideas that must never be found.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sangtao::db::ideas::Idea;
use sangtao::demo::demo_data;
use sangtao::domain::text::{SearchTerms, fold};
use serde_json::Value;

use crate::helpers::{TestApp, assert_api_error, each_engine, unescape};

/// A public idea of the demo data: title, folded words of its title and body, category, unit and status slugs.
struct Known {
    title: String,
    words: Vec<String>,
    category: String,
    unit: String,
    status: String,
    public: bool,
}

fn demo_ideas() -> Vec<Known> {
    let data = demo_data();
    data.ideas
        .iter()
        .map(|i| {
            let text = [
                &i.title,
                &i.summary,
                &i.situation,
                &i.solution,
                &i.impact,
                &i.applies_where,
            ]
            .map(|t| fold(t))
            .join(" ");
            Known {
                title: i.title.clone(),
                words: text.split(' ').map(str::to_string).collect(),
                category: data
                    .categories
                    .iter()
                    .find(|c| c.id == i.category_id)
                    .unwrap()
                    .slug
                    .clone(),
                unit: data
                    .units
                    .iter()
                    .find(|u| u.id == i.unit_id)
                    .unwrap()
                    .slug
                    .clone(),
                status: i.status.clone(),
                public: i.is_public,
            }
        })
        .collect()
}

/// Titles of the public demo ideas that `query` should find (every word, the last also as a prefix).
fn expected(all: &[Known], query: &str, keep: impl Fn(&Known) -> bool) -> BTreeSet<String> {
    let terms = SearchTerms::parse(query).unwrap();
    all.iter()
        .filter(|k| k.public && keep(k))
        .filter(|k| {
            terms.words.iter().all(|w| k.words.contains(w))
                && terms
                    .prefix
                    .as_ref()
                    .is_none_or(|p| k.words.iter().any(|w| w.starts_with(p.as_str())))
        })
        .map(|k| k.title.clone())
        .collect()
}

/// One page of API search results: items, total, total_exact, next_page.
fn search_page(app: &TestApp, query: &str) -> (Vec<Value>, i64, bool, Option<u64>) {
    let path = format!("/api/v1/ideas?{query}");
    let (status, body) = app.json(&path);
    assert_eq!(status, 200, "{path}: {body}");
    assert!(
        body["next_cursor"].is_null(),
        "{path}: searches page by number"
    );
    (
        body["items"].as_array().unwrap().clone(),
        body["total"]
            .as_i64()
            .unwrap_or_else(|| panic!("{path}: total in {body}")),
        body["total_exact"].as_bool().unwrap(),
        body["next_page"].as_u64(),
    )
}

/// Every result of an API search, following `next_page`; checks that `total` counts them.
fn search_all(app: &TestApp, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let (items, total, exact, next) = search_page(app, &format!("{query}&page={page}"));
        all.extend(items);
        match next {
            Some(n) => {
                assert_eq!(n, page + 1);
                page = n;
            }
            None => {
                if exact {
                    assert_eq!(
                        all.len() as i64,
                        total,
                        "{query}: total counts every result"
                    );
                }
                return all;
            }
        }
    }
}

fn titles(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

fn q(text: &str) -> String {
    format!("q={}", urlencode(text))
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap()[2..].to_string()
}

#[test]
fn accents_and_case_do_not_matter() {
    let all = demo_ideas();
    let want = expected(&all, "un tac giao thong", |_| true);
    assert!(
        want.len() >= 3,
        "the demo data has ideas about ùn tắc giao thông"
    );
    each_engine(|app| {
        let got = search_all(app, &q("un tac giao thong"));
        assert_eq!(titles(&got), want);
        assert_eq!(got.len(), want.len(), "no idea twice");
        for variant in [
            "ùn tắc giao thông",
            "ÙN TẮC GIAO THÔNG",
            "UN TAC giao thong",
            "  ùn, tắc — giao/thông!  ",
        ] {
            assert_eq!(titles(&search_all(app, &q(variant))), want, "{variant}");
        }
        // "đ" is "d": đường, Đường, duong, DUONG.
        let duong = titles(&search_all(app, &q("duong")));
        assert_eq!(duong, expected(&all, "duong", |_| true));
        assert!(duong.len() > 20);
        for variant in ["đường", "ĐƯỜNG", "Duong", "đuong"] {
            assert_eq!(titles(&search_all(app, &q(variant))), duong, "{variant}");
        }
        let (d_items, d_total, _, _) = search_page(app, &q("Đ"));
        let (d2_items, d2_total, _, _) = search_page(app, &q("d"));
        assert_eq!(d_total, d2_total);
        assert_eq!(titles(&d_items), titles(&d2_items));
        assert!(
            d_total > 50,
            "a one-letter query matches as the beginning of words"
        );
    });
}

#[test]
fn the_last_word_may_be_half_typed() {
    let all = demo_ideas();
    each_engine(|app| {
        for query in [
            "giao th",
            "giao thô",
            "un t",
            "nguo",
            "ba thang h",
            "xe buy",
        ] {
            let want = expected(&all, query, |_| true);
            assert!(!want.is_empty(), "{query}");
            assert_eq!(titles(&search_all(app, &q(query))), want, "{query}");
        }
        let full = titles(&search_all(app, &q("giao thong")));
        let half = titles(&search_all(app, &q("giao th")));
        assert!(full.is_subset(&half) && half.len() > full.len());
        // Only the last word is a prefix.
        assert_eq!(
            titles(&search_all(app, &q("gia thong"))),
            expected(&all, "gia thong", |_| true)
        );
    });
}

#[test]
fn search_combines_with_the_filters() {
    let all = demo_ideas();
    each_engine(|app| {
        let got = search_all(app, &format!("{}&category=giao-thong", q("duong")));
        assert_eq!(
            titles(&got),
            expected(&all, "duong", |k| k.category == "giao-thong")
        );
        assert!(got.iter().all(|i| i["category"]["slug"] == "giao-thong"));
        assert!(!got.is_empty());

        let got = search_all(app, &format!("{}&unit=phuong-4", q("thanh nien")));
        assert_eq!(
            titles(&got),
            expected(&all, "thanh nien", |k| k.unit == "phuong-4")
        );
        assert!(!got.is_empty());

        let got = search_all(
            app,
            &format!("{}&status=implemented&category=moi-truong", q("rac")),
        );
        assert_eq!(
            titles(&got),
            expected(&all, "rac", |k| k.status == "implemented"
                && k.category == "moi-truong")
        );

        // The page keeps the search in the filter form and the filters in the search form.
        let (code, html) = app.html(&format!("/ideas?{}&category=giao-thong", q("duong")));
        assert_eq!(code, 200);
        assert!(html.contains("role=\"search\""));
        assert!(html.contains("<input type=\"hidden\" name=\"category\" value=\"giao-thong\">"));
        assert!(html.contains("<input type=\"hidden\" name=\"q\" value=\"duong\">"));
        assert!(html.contains("id=\"q\" name=\"q\" value=\"duong\""));
        // Category links keep the search.
        assert!(unescape(&html).contains("href=\"/ideas?q=duong&category=moi-truong\""));
    });
}

#[test]
fn no_match_says_so() {
    each_engine(|app| {
        let (code, html) = app.html(&format!("/ideas?{}", q("zzkhongcoxyz")));
        assert_eq!(code, 200);
        assert!(
            html.contains("Không tìm thấy ý tưởng nào cho «zzkhongcoxyz»"),
            "{html}"
        );
        assert_eq!(html.matches("<li class=\"card\">").count(), 0);
        let (items, total, exact, next) = search_page(app, &q("zzkhongcoxyz"));
        assert!(items.is_empty() && total == 0 && exact && next.is_none());
        // A word nobody wrote, as a prefix.
        let (items, total, ..) = search_page(app, &q("giao zzq"));
        assert!(items.is_empty() && total == 0);
        // English page.
        let r = app
            .client
            .get(app.url(&format!("/ideas?{}", q("zzkhongco"))))
            .header("accept-language", "en")
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(r.contains("No ideas found for “zzkhongco”"), "{r}");
        // A query with no letter or digit is no search: the usual list.
        let (status, body) = app.json("/api/v1/ideas?q=%21%3F%20%E2%80%94");
        assert_eq!(status, 200);
        assert!(body.get("total").is_none());
        assert_eq!(body["items"].as_array().unwrap().len(), 20);
    });
}

#[test]
fn counts_and_pages() {
    let all = demo_ideas();
    each_engine(|app| {
        // A one-letter query with more than two pages of results, all of them ranked (at most MAX_RESULTS).
        let letter = ["d", "h", "g", "b", "k", "l", "n"]
            .into_iter()
            .find(|l| {
                let n = expected(&all, l, |_| true).len() as i64;
                n > 40 && n <= sangtao::db::search::MAX_RESULTS
            })
            .expect("a letter with between 41 and 200 results in the demo data");
        let want = expected(&all, letter, |_| true);
        let got = search_all(app, &q(letter));
        assert_eq!(titles(&got), want);
        assert!(got.len() > 40, "more than two pages");
        // The page says how many there are and links page to page.
        let (_, html) = app.html(&format!("/ideas?{}", q(letter)));
        assert!(
            html.contains(&format!("{} kết quả cho «{letter}»", want.len())),
            "{html}"
        );
        assert!(
            unescape(&html).contains(&format!("rel=\"next\" href=\"/ideas?q={letter}&page=2\""))
        );
        assert_eq!(html.matches("<li class=\"card\">").count(), 20);
        let (_, html) = app.html(&format!("/ideas?{}&page=2", q(letter)));
        assert!(unescape(&html).contains(&format!("rel=\"prev\" href=\"/ideas?q={letter}\"")));
        assert!(
            unescape(&html).contains(&format!("rel=\"next\" href=\"/ideas?q={letter}&page=3\""))
        );
        // The API's limit sets the page size; a page past the end is empty but still counted.
        let (items, total, _, next) = search_page(app, &format!("{}&limit=7&page=2", q(letter)));
        assert_eq!((items.len(), total), (7, want.len() as i64));
        assert_eq!(next, Some(3));
        let (items, total, _, next) = search_page(app, &format!("{}&page=50", q(letter)));
        assert!(items.is_empty() && next.is_none());
        assert_eq!(total, want.len() as i64);
        // One result.
        assert_eq!(
            expected(&all, "Nút bấm sang đường cho người đi bộ", |_| true).len(),
            1
        );
        let (items, total, ..) = search_page(app, &q("Nút bấm sang đường cho người đi bộ"));
        assert_eq!((items.len(), total), (1, 1));
        let (_, html) = app.html(&format!(
            "/ideas?{}",
            q("Nút bấm sang đường cho người đi bộ")
        ));
        assert!(html.contains("1 kết quả cho"));
    });
}

#[test]
fn bad_parameters_are_named() {
    each_engine(|app| {
        let long = "ă".repeat(201);
        assert_api_error(
            app,
            &format!("/api/v1/ideas?{}", q(&long)),
            400,
            "bad_parameter",
            Some("q"),
        );
        assert!(search_page(app, &q(&"ă".repeat(200))).0.is_empty());
        for bad in ["0", "51", "-1", "x", "2.5"] {
            assert_api_error(
                app,
                &format!("/api/v1/ideas?q=xe&page={bad}"),
                400,
                "bad_parameter",
                Some("page"),
            );
        }
        let (code, html) = app.html(&format!("/ideas?{}", q(&long)));
        assert_eq!(code, 400);
        assert!(html.contains("«q»"), "{html}");
        let (code, html) = app.html("/ideas?q=xe&page=99");
        assert_eq!(code, 400);
        assert!(html.contains("«page»"), "{html}");
        // The documented parameters.
        let (_, doc) = app.json("/api/openapi.json");
        let params = doc["paths"]["/api/v1/ideas"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"q") && names.contains(&"page"), "{names:?}");
    });
}

#[test]
fn drafts_withdrawn_and_hidden_ideas_are_never_found() {
    let all = demo_ideas();
    let hidden: Vec<&Known> = all.iter().filter(|k| !k.public).collect();
    assert!(hidden.iter().any(|k| k.status == "draft"));
    assert!(hidden.iter().any(|k| k.status == "withdrawn"));
    each_engine(|app| {
        for k in &hidden {
            let got = titles(&search_all(app, &q(&k.title)));
            assert!(!got.contains(&k.title), "{} ({})", k.title, k.status);
        }
    });
}

/// Ids the tests insert ideas with.
struct Place {
    contest: String,
    category: String,
    unit: String,
    author: String,
}

fn place(app: &TestApp, category: &str) -> Place {
    use sangtao::db::schema::{categories, contests, units, users};
    let mut conn = app.conn();
    Place {
        contest: contests::table
            .filter(contests::slug.eq("sang-tao-tre-2026"))
            .select(contests::id)
            .first(&mut conn)
            .unwrap(),
        category: categories::table
            .filter(categories::slug.eq(category))
            .select(categories::id)
            .first(&mut conn)
            .unwrap(),
        unit: units::table
            .filter(units::slug.eq("phuong-12"))
            .select(units::id)
            .first(&mut conn)
            .unwrap(),
        author: users::table.select(users::id).first(&mut conn).unwrap(),
    }
}

fn at(days_ago: i64) -> NaiveDateTime {
    sangtao::db::truncate_micros(sangtao::db::now() - Duration::days(days_ago))
}

fn idea(p: &Place, title: &str, summary: &str, solution: &str, listed: NaiveDateTime) -> Idea {
    Idea {
        id: sangtao::db::new_id(),
        contest_id: p.contest.clone(),
        category_id: p.category.clone(),
        unit_id: p.unit.clone(),
        author_id: p.author.clone(),
        title: title.into(),
        summary: summary.into(),
        situation: "Thực trạng chung của khu phố.".into(),
        solution: solution.into(),
        impact: "Hiệu quả dự kiến tốt.".into(),
        resources: "Không phát sinh kinh phí.".into(),
        applies_where: "Phường 12".into(),
        status: "submitted".into(),
        is_public: true,
        version: 1,
        created_at: listed,
        updated_at: listed,
        submitted_at: Some(listed),
        listed_at: Some(listed),
        contact_id: None,
    }
}

/// Inserts an idea and indexes it in the same transaction, as the write path does.
fn insert(app: &TestApp, idea: &Idea) {
    use sangtao::db::schema::ideas;
    let mut conn = app.conn();
    sangtao::db::write_tx(&mut conn, |c| {
        diesel::insert_into(ideas::table).values(idea).execute(c)?;
        sangtao::db::search::reindex(c, &idea.id)
    })
    .unwrap();
}

#[test]
fn a_title_match_ranks_above_a_body_match_and_words_are_marked() {
    assert!(expected(&demo_ideas(), "ket xe dap cho phien", |_| true).is_empty());
    each_engine(|app| {
        let p = place(app, "giao-thong");
        let body_only = idea(
            &p,
            "Sắp xếp lại bãi giữ xe",
            "Bố trí lại chỗ để xe máy trước chợ.",
            "Kẻ vạch để tránh kẹt xe đạp chợ phiên vào sáng sớm.",
            at(1),
        );
        let in_title = idea(
            &p,
            "Giảm KẸT XE ĐẠP chợ phiên ở Phường 12",
            "Phân luồng <b>tạm</b> & nhắc nhở.",
            "Thanh niên tình nguyện hướng dẫn.",
            at(30),
        );
        let hostile = idea(
            &p,
            "<script>alert('kẹt xe đạp')</script> chợ phiên",
            "\"Kẹt xe đạp\" <img src=x onerror=alert(1)> chợ phiên",
            "Không có gì.",
            at(60),
        );
        for i in [&body_only, &in_title, &hostile] {
            insert(app, i);
        }
        let (items, total, exact, _) = search_page(app, &q("ket xe dap cho phien"));
        assert_eq!((total, exact), (3, true));
        let order: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(
            order[2], body_only.id,
            "the body-only match, though newest, comes last"
        );
        assert!(order[..2].contains(&in_title.id.as_str()));

        let (code, html) = app.html(&format!("/ideas?{}", q("ket xe dap cho phien")));
        assert_eq!(code, 200);
        assert!(
            html.contains("3 kết quả cho «ket xe dap cho phien»"),
            "{html}"
        );
        assert!(
            html.contains("Giảm <mark>KẸT XE ĐẠP chợ phiên</mark> ở Phường 12"),
            "{html}"
        );
        assert!(html.contains("Phân luồng &#60;b&#62;tạm&#60;/b&#62; &#38; nhắc nhở."));
        assert!(
            html.contains("&#60;script&#62;alert(&#39;<mark>kẹt xe đạp</mark>&#39;)&#60;/script&#62; <mark>chợ phiên</mark>"),
            "{html}"
        );
        assert!(
            html.contains("&#34;<mark>Kẹt xe đạp</mark>&#34; &#60;img src=x onerror=alert(1)&#62;")
        );
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("<b>tạm"));
        // The API returns the text as written, without markup.
        assert_eq!(
            items[0]["title"].as_str().map(|t| t.contains("<mark>")),
            Some(false)
        );

        // An edit is found by its new words only once reindexed, in the same transaction.
        {
            use sangtao::db::schema::ideas;
            let mut conn = app.conn();
            sangtao::db::write_tx(&mut conn, |c| {
                diesel::update(ideas::table.find(&body_only.id))
                    .set(ideas::solution.eq("Thí điểm mô hình Zebrabike ở bãi giữ xe."))
                    .execute(c)?;
                sangtao::db::search::reindex(c, &body_only.id)
            })
            .unwrap();
        }
        let (_, total, ..) = search_page(app, &q("ket xe dap cho phien "));
        assert_eq!(total, 2, "the old words no longer find it");
        let (items, ..) = search_page(app, &q("zebrabike"));
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], body_only.id.as_str());

        // Withdrawn: never found again.
        {
            use sangtao::db::schema::ideas;
            let mut conn = app.conn();
            sangtao::db::write_tx(&mut conn, |c| {
                diesel::update(ideas::table.find(&in_title.id))
                    .set((ideas::status.eq("withdrawn"), ideas::is_public.eq(false)))
                    .execute(c)?;
                sangtao::db::search::reindex(c, &in_title.id)
            })
            .unwrap();
        }
        let (items, total, ..) = search_page(app, &q("ket xe dap cho phien  "));
        assert_eq!(total, 1);
        assert_eq!(items[0]["id"], hostile.id.as_str());
    });
}

#[test]
fn a_word_in_very_many_ideas_is_ranked_within_the_newest_matches() {
    each_engine(|app| {
        let p = place(app, "moi-truong");
        // 300 ideas share a word, more than a search ranks; the 10 oldest also have it in their title. Inserted
        // oldest first, as ideas are.
        let mut rows = Vec::new();
        for n in (0..300i64).rev() {
            let title = if n >= 290 {
                format!("Phổ biến phân loại rác số {n}")
            } else {
                format!("Ý tưởng môi trường số {n}")
            };
            rows.push(idea(
                &p,
                &title,
                "Tuyên truyền để phổ biến cách phân loại rác tại nguồn.",
                "Tổ chức buổi hướng dẫn.",
                at(n / 10 + 1) - Duration::minutes(n),
            ));
        }
        {
            let mut conn = app.conn();
            sangtao::db::write_tx(&mut conn, |c| sangtao::db::seed::insert_ideas(c, &rows))
                .unwrap();
        }
        let (items, total, exact, next) = search_page(app, &q("pho bien"));
        assert_eq!((total, exact, next), (200, false, Some(2)));
        // The title matches among the newest 200 would come first; the oldest ones are beyond the bound.
        assert!(items[0]["title"].as_str().unwrap().starts_with("Ý tưởng"));
        let (items, ..) = search_page(app, &format!("{}&page=10", q("pho bien")));
        assert_eq!(items.len(), 20);
        let (items, ..) = search_page(app, &format!("{}&page=11", q("pho bien")));
        assert!(items.is_empty());
        let (_, html) = app.html(&format!("/ideas?{}", q("pho bien")));
        assert!(html.contains("Hơn 200 kết quả cho «pho bien»"), "{html}");
        // A rare word next to the common one: every match ranked.
        let (items, total, exact, _) = search_page(app, &q("pho bien so 295"));
        assert_eq!((total, exact), (1, true));
        assert_eq!(items[0]["title"], "Phổ biến phân loại rác số 295");
        // Seeding indexed them through the bulk path too.
        let (_, total, ..) = search_page(app, &q("y tuong moi truong so 217"));
        assert_eq!(total, 1);
    });
}
