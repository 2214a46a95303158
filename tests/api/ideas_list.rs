//! `/ideas` and `/api/v1/ideas`: newest first, keyset pages, filters.

use std::collections::HashSet;

use crate::helpers::{each_engine, unescape, walk_api};
use sangtao::demo::demo_data;

/// A public idea of the demo data as (category, unit, contest, status) slugs.
type Slugs = (String, String, String, String);

/// Expected public ideas of the demo data.
fn expected() -> Vec<Slugs> {
    let data = demo_data();
    let slug_of_cat = |id: &str| {
        data.categories
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .slug
            .clone()
    };
    let slug_of_unit = |id: &str| data.units.iter().find(|u| u.id == id).unwrap().slug.clone();
    let slug_of_contest = |id: &str| {
        data.contests
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .slug
            .clone()
    };
    data.ideas
        .iter()
        .filter(|i| i.is_public)
        .map(|i| {
            (
                slug_of_cat(&i.category_id),
                slug_of_unit(&i.unit_id),
                slug_of_contest(&i.contest_id),
                i.status.clone(),
            )
        })
        .collect()
}

#[test]
fn api_pages_cover_every_public_idea_once_newest_first() {
    let want = expected();
    each_engine(|app| {
        for limit in [7, 100] {
            let all = walk_api(app, "", limit);
            assert_eq!(all.len(), want.len(), "limit {limit}");
            let ids: HashSet<&str> = all.iter().map(|i| i["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), all.len(), "no idea twice");
            let times: Vec<chrono::DateTime<chrono::FixedOffset>> = all
                .iter()
                .map(|i| {
                    chrono::DateTime::parse_from_rfc3339(i["listed_at"].as_str().unwrap()).unwrap()
                })
                .collect();
            assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
        }
        let (_, first) = app.json("/api/v1/ideas");
        assert_eq!(
            first["items"].as_array().unwrap().len(),
            20,
            "default limit"
        );
    });
}

#[test]
fn api_filters_match_the_data() {
    let want = expected();
    let count = |f: &dyn Fn(&Slugs) -> bool| want.iter().filter(|w| f(w)).count();
    each_engine(|app| {
        let got = walk_api(app, "category=giao-thong", 100);
        assert_eq!(got.len(), count(&|w| w.0 == "giao-thong"));
        assert!(got.iter().all(
            |i| i["category"]["slug"] == "giao-thong" && i["category"]["name_en"] == "Traffic"
        ));

        let got = walk_api(app, "unit=phuong-4", 100);
        assert_eq!(got.len(), count(&|w| w.1 == "phuong-4"));
        assert!(got.iter().all(|i| i["unit"]["name"] == "Phường 4"));

        // A unit includes the units below it.
        assert_eq!(walk_api(app, "unit=quan-10", 100).len(), want.len());

        let got = walk_api(app, "contest=sang-tao-tre-2026&status=submitted", 100);
        assert_eq!(
            got.len(),
            count(&|w| w.2 == "sang-tao-tre-2026" && w.3 == "submitted")
        );
        assert!(!got.is_empty());

        let got = walk_api(app, "status=implemented", 100);
        assert_eq!(got.len(), 8);
        let got = walk_api(
            app,
            "category=moi-truong&unit=phuong-1&contest=sang-tao-tre-2021&status=not_selected",
            5,
        );
        assert_eq!(
            got.len(),
            count(&|w| w.0 == "moi-truong"
                && w.1 == "phuong-1"
                && w.2 == "sang-tao-tre-2021"
                && w.3 == "not_selected")
        );
        // Empty values are no filter, as an HTML form sends them.
        assert_eq!(
            walk_api(app, "category=&unit=&status=&contest=", 100).len(),
            want.len()
        );
    });
}

#[test]
fn pages_show_twenty_ideas_and_link_to_the_next_page() {
    let want = expected();
    each_engine(|app| {
        let mut path = "/ideas?category=giao-thong".to_string();
        let mut seen = 0;
        let mut pages = 0;
        loop {
            let (code, html) = app.html(&path);
            assert_eq!(code, 200, "{path}");
            let cards = html.matches("<li class=\"card\">").count();
            assert!(cards <= 20);
            seen += cards;
            pages += 1;
            if pages > 1 {
                assert!(
                    html.contains("Về trang đầu"),
                    "later pages link back to the first"
                );
            }
            match html.split("rel=\"next\" href=\"").nth(1) {
                Some(rest) => {
                    assert_eq!(cards, 20);
                    let href = unescape(rest.split('"').next().unwrap());
                    assert!(
                        href.contains("category=giao-thong"),
                        "filters kept in the next link: {href}"
                    );
                    path = href;
                }
                None => break,
            }
        }
        assert_eq!(seen, want.iter().filter(|w| w.0 == "giao-thong").count());
        assert!(pages >= 2, "the demo data fills more than one page");

        // The filter form shows the current choice.
        let (_, html) = app.html("/ideas?category=giao-thong&status=implemented");
        assert!(html.contains("<option value=\"giao-thong\" selected>"));
        assert!(html.contains("<option value=\"implemented\" selected>"));
        assert!(
            unescape(&html).contains("href=\"/ideas?status=implemented&category=moi-truong\""),
            "category links keep other filters"
        );
        // Wards are listed in numeric order.
        let p2 = html.find(">Phường 2<").unwrap();
        let p10 = html.find(">Phường 10<").unwrap();
        assert!(p2 < p10);
    });
}

#[test]
fn an_empty_result_says_so() {
    each_engine(|app| {
        let (code, html) = app.html("/ideas?contest=sang-tao-tre-2026&status=implemented");
        assert_eq!(code, 200);
        assert!(html.contains("Không có ý tưởng nào khớp với bộ lọc này."));
        let (_, body) = app.json("/api/v1/ideas?contest=sang-tao-tre-2026&status=implemented");
        assert_eq!(body["items"].as_array().unwrap().len(), 0);
        assert!(body["next_cursor"].is_null());
    });
}

#[test]
fn cached_pages_are_compressed_and_vary_by_language() {
    each_engine(|app| {
        let r = app
            .client
            .get(app.url("/ideas"))
            .header("accept-encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(r.headers().get("content-encoding").unwrap(), "gzip");
        assert!(
            r.headers()
                .get("vary")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Accept-Language")
        );
        let gz_len = r.bytes().unwrap().len();
        let plain = app.get("/ideas").text().unwrap();
        assert!(
            gz_len * 2 < plain.len(),
            "gzip {gz_len} vs plain {}",
            plain.len()
        );
        let en = app
            .client
            .get(app.url("/ideas"))
            .header("accept-language", "en")
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            en.contains("Public ideas"),
            "a cached Vietnamese page is not served to an English reader"
        );
    });
}
