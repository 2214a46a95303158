//! `/stats` and `/api/v1/stats`: the numbers agree with the demo data counted here straight from the database, the
//! contest filter and its unknown value, blind review's withholding of counts by unit, the charts' text
//! alternatives, and the API's shape.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use chrono_tz::Asia::Ho_Chi_Minh;
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{TestApp, assert_api_error, each_engine, engines, spawn_app_with};

const C2021: &str = "sang-tao-tre-2021";
const C2026: &str = "sang-tao-tre-2026";

/// One idea as these tests count it: contest slug, status, category slug, unit path, submitted.
type Row = (String, String, String, String, Option<NaiveDateTime>);

fn rows(app: &TestApp) -> Vec<Row> {
    use sangtao::db::schema::{categories, contests, ideas, units};
    ideas::table
        .inner_join(contests::table)
        .inner_join(categories::table)
        .inner_join(units::table)
        .select((
            contests::slug,
            ideas::status,
            categories::slug,
            units::path,
            ideas::submitted_at,
        ))
        .load(&mut *app.conn())
        .unwrap()
}

/// Every unit: (slug, path).
fn units(app: &TestApp) -> Vec<(String, String)> {
    use sangtao::db::schema::units;
    units::table
        .select((units::slug, units::path))
        .load(&mut *app.conn())
        .unwrap()
}

const STAGES: [&str; 6] = [
    "submitted",
    "eligible",
    "reviewed",
    "selected",
    "in_implementation",
    "implemented",
];

/// How far along [`STAGES`] an idea in each state has come, written out here rather than taken from the domain
/// rules (drafts are not in the funnel).
const FURTHEST: [(&str, usize); 12] = [
    ("submitted", 0),
    ("withdrawn", 0),
    ("ineligible", 0),
    ("eligible", 1),
    ("in_review", 1),
    ("reviewed", 2),
    ("shortlisted", 2),
    ("not_selected", 2),
    ("selected", 3),
    ("in_implementation", 4),
    ("discontinued", 4),
    ("implemented", 5),
];

fn reached(status: &str, stage: usize) -> bool {
    FURTHEST
        .iter()
        .any(|(s, furthest)| *s == status && *furthest >= stage)
}

/// The numbers `/api/v1/stats` should give for `contest` (all when `None`), counted from `rows`; units of the
/// contests in `units_left_out` are not counted by unit.
fn expected(
    rows: &[Row],
    all_units: &[(String, String)],
    contest: Option<&str>,
    units_left_out: &[&str],
) -> Value {
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|r| contest.is_none_or(|c| r.0 == c) && r.1 != "draft")
        .collect();
    let funnel: Vec<Value> = STAGES
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let n = mine.iter().filter(|r| reached(&r.1, i)).count();
            serde_json::json!({"stage": stage, "count": n})
        })
        .collect();
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    for r in &mine {
        *by_category.entry(r.2.clone()).or_default() += 1;
        let local = r.4.unwrap().and_utc().with_timezone(&Ho_Chi_Minh);
        *by_month
            .entry(local.format("%Y-%m").to_string())
            .or_default() += 1;
    }
    let mut by_unit: BTreeMap<String, i64> = BTreeMap::new();
    for (slug, path) in all_units {
        let n = mine
            .iter()
            .filter(|r| !units_left_out.contains(&r.0.as_str()) && r.3.starts_with(path.as_str()))
            .count() as i64;
        if n > 0 {
            by_unit.insert(slug.clone(), n);
        }
    }
    let applied = mine
        .iter()
        .filter(|r| ["in_implementation", "implemented"].contains(&r.1.as_str()))
        .count();
    serde_json::json!({
        "submitted": mine.len(),
        "selected": mine.iter().filter(|r| reached(&r.1, 3)).count(),
        "applied": applied,
        "funnel": funnel,
        "by_category": by_category,
        "by_month": by_month,
        "by_unit": by_unit,
    })
}

/// The API's answer in the shape of [`expected`].
fn actual(body: &Value) -> Value {
    let pairs = |key: &str, name: &str| -> BTreeMap<String, i64> {
        body[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {body}"))
            .iter()
            .filter(|x| x["count"].as_i64().unwrap() > 0)
            .map(|x| {
                (
                    x[name].as_str().unwrap().to_string(),
                    x["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let by_unit: BTreeMap<String, i64> = body["by_unit"]["units"]
        .as_array()
        .map(|units| {
            units
                .iter()
                .map(|u| {
                    (
                        u["slug"].as_str().unwrap().to_string(),
                        u["count"].as_i64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "submitted": body["submitted"],
        "selected": body["selected"],
        "applied": body["applied"],
        "funnel": body["funnel"],
        "by_category": pairs("by_category", "slug"),
        "by_month": pairs("by_month", "month"),
        "by_unit": by_unit,
    })
}

#[test]
fn numbers_agree_with_the_demo_data_counted_from_the_database() {
    each_engine(|app| {
        let rows = rows(app);
        let all_units = units(app);
        for contest in [None, Some(C2021), Some(C2026)] {
            let path = match contest {
                None => "/api/v1/stats".to_string(),
                Some(c) => format!("/api/v1/stats?contest={c}"),
            };
            let (status, body) = app.json(&path);
            assert_eq!(status, 200, "{path}: {body}");
            assert_eq!(
                actual(&body),
                expected(&rows, &all_units, contest, &[]),
                "{path}"
            );
            assert!(
                body["units_withheld"].as_array().unwrap().is_empty(),
                "{path}: {body}"
            );
            assert_eq!(body["units_withheld_ideas"], 0, "{path}");
            // The district holds every demo idea: the chart shows its wards and schools.
            assert_eq!(body["by_unit"]["focus"], "quan-10", "{path}");
        }
        // The demo's 2021 contest, as DESIGN.md tells it: 15 ideas applied in practice.
        let (_, y2021) = app.json(&format!("/api/v1/stats?contest={C2021}"));
        assert_eq!(y2021["applied"], 15);
        assert_eq!(y2021["contest"]["slug"], C2021);
        // Drafts exist in 2026 and are not counted.
        let drafts = rows
            .iter()
            .filter(|r| r.0 == C2026 && r.1 == "draft")
            .count();
        assert!(drafts > 0);
        let (_, y2026) = app.json(&format!("/api/v1/stats?contest={C2026}"));
        let all_2026 = rows.iter().filter(|r| r.0 == C2026).count();
        assert_eq!(
            y2026["submitted"].as_u64().unwrap() as usize,
            all_2026 - drafts
        );
        // Contests split the overall numbers.
        let (_, overall) = app.json("/api/v1/stats");
        assert_eq!(
            overall["submitted"].as_i64().unwrap(),
            y2021["submitted"].as_i64().unwrap() + y2026["submitted"].as_i64().unwrap()
        );
        // The page shows the same headline numbers.
        let (status, html) = app.html(&format!("/stats?contest={C2021}&lang=en"));
        assert_eq!(status, 200);
        assert!(html.contains("Statistics: Sáng tạo trẻ 2021"), "{html}");
        assert!(html.contains(&format!(
            "<strong>{}</strong> <span>ideas submitted</span>",
            y2021["submitted"]
        )));
        assert!(html.contains("<strong>15</strong> <span>ideas being applied or applied</span>"));
        assert!(
            html.contains(&format!("<option value=\"{C2021}\" selected>")),
            "{html}"
        );
    });
}

#[test]
fn an_unknown_contest_is_refused_by_name() {
    each_engine(|app| {
        assert_api_error(
            app,
            "/api/v1/stats?contest=khong-co",
            404,
            "not_found",
            Some("contest"),
        );
        let (_, body) = app.json("/api/v1/stats?contest=khong-co");
        assert_eq!(body["error"]["fields"]["contest"][0]["code"], "not_found");
        let (status, html) = app.html("/stats?contest=khong-co");
        assert_eq!(status, 404);
        assert!(html.contains("contest"), "{html}");
        // An empty choice in the picker means every contest.
        let (status, body) = app.json("/api/v1/stats?contest=");
        assert_eq!(status, 200);
        assert!(body["contest"].is_null());
    });
}

fn set_blind(app: &TestApp, slug: &str) {
    use sangtao::db::schema::contests;
    diesel::update(contests::table.filter(contests::slug.eq(slug)))
        .set(contests::blind_review.eq(true))
        .execute(&mut *app.conn())
        .unwrap();
}

#[test]
fn a_blind_contest_in_review_withholds_its_counts_by_unit() {
    for engine in engines() {
        // Without the page cache: this test changes the database behind the server's back.
        let app = spawn_app_with(engine, &[("SANGTAO_PAGE_CACHE_MS", "0")]);
        // The 2021 contest is blind and finished: its units are shown.
        let (_, y2021) = app.json(&format!("/api/v1/stats?contest={C2021}"));
        assert!(
            y2021["by_unit"]["units"]
                .as_array()
                .is_some_and(|u| !u.is_empty()),
            "{y2021}"
        );

        // The open 2026 contest turns blind: its ideas still wait for their outcome.
        set_blind(&app, C2026);
        let (status, y2026) = app.json(&format!("/api/v1/stats?contest={C2026}"));
        assert_eq!(status, 200);
        assert!(y2026["by_unit"].is_null(), "{y2026}");
        assert_eq!(y2026["units_withheld"][0]["slug"], C2026);
        assert_eq!(y2026["units_withheld_ideas"], y2026["submitted"]);
        // Everything else is still there.
        assert!(y2026["submitted"].as_i64().unwrap() > 0);
        assert!(!y2026["by_category"].as_array().unwrap().is_empty());
        assert!(!y2026["by_month"].as_array().unwrap().is_empty());

        // Overall, the units count only the other contest's ideas, and say what they leave out.
        let rows = rows(&app);
        let all_units = units(&app);
        let (_, overall) = app.json("/api/v1/stats");
        assert_eq!(
            actual(&overall),
            expected(&rows, &all_units, None, &[C2026])
        );
        assert_eq!(overall["units_withheld"][0]["slug"], C2026);
        assert_eq!(overall["units_withheld_ideas"], y2026["submitted"]);

        // The pages say so, and draw no chart by unit for the contest.
        let (_, html) = app.html(&format!("/stats?contest={C2026}&lang=vi"));
        assert!(
            html.contains("Cuộc thi này chấm ẩn danh và chưa chấm xong"),
            "{html}"
        );
        assert!(!html.contains("id=\"chart-unit-t\""), "{html}");
        assert!(html.contains("id=\"chart-category-t\""));
        let (_, html) = app.html("/stats?lang=vi");
        assert!(html.contains("id=\"chart-unit-t\""));
        assert!(
            html.contains(&format!(
                "Chưa tính {} ý tưởng của cuộc thi đang chấm ẩn danh: Sáng tạo trẻ 2026.",
                y2026["submitted"]
            )),
            "{html}"
        );

        // One 2021 idea back in review: that blind contest's review is no longer finished.
        {
            use sangtao::db::schema::{contests, ideas};
            let c2021: String = contests::table
                .filter(contests::slug.eq(C2021))
                .select(contests::id)
                .first(&mut *app.conn())
                .unwrap();
            let one: String = ideas::table
                .filter(ideas::contest_id.eq(&c2021))
                .filter(ideas::status.eq("not_selected"))
                .select(ideas::id)
                .first(&mut *app.conn())
                .unwrap();
            diesel::update(ideas::table.find(one))
                .set(ideas::status.eq("in_review"))
                .execute(&mut *app.conn())
                .unwrap();
        }
        let (_, y2021) = app.json(&format!("/api/v1/stats?contest={C2021}"));
        assert!(y2021["by_unit"].is_null(), "{y2021}");
        let (_, overall) = app.json("/api/v1/stats");
        assert_eq!(
            overall["by_unit"]["units"].as_array().map(Vec::len),
            Some(0),
            "{overall}"
        );
        assert_eq!(overall["units_withheld"].as_array().unwrap().len(), 2);
    }
}

/// The `<svg>` elements of a page: (opening tag, title text).
fn charts(html: &str) -> Vec<(String, String)> {
    html.split("<svg ")
        .skip(1)
        .map(|part| {
            let tag = part.split('>').next().unwrap().to_string();
            let title = part
                .split("<title ")
                .nth(1)
                .and_then(|t| t.split_once('>'))
                .map(|(_, rest)| rest.split("</title>").next().unwrap().to_string())
                .unwrap_or_default();
            (tag, title)
        })
        .collect()
}

#[test]
fn the_page_draws_charts_with_text_alternatives_and_stays_light() {
    each_engine(|app| {
        let (status, html) = app.html("/stats?lang=vi");
        assert_eq!(status, 200);
        let found = charts(&html);
        let ids = [
            "chart-category",
            "chart-unit",
            "chart-month",
            "chart-funnel",
        ];
        assert_eq!(found.len(), ids.len(), "{found:?}");
        for ((tag, title), id) in found.iter().zip(ids) {
            assert!(tag.contains("role=\"img\""), "{tag}");
            assert!(
                tag.contains(&format!("aria-labelledby=\"{id}-t\"")),
                "{tag}"
            );
            assert!(html.contains(&format!("<title id=\"{id}-t\">")), "{id}");
            assert!(title.starts_with("Biểu đồ: "), "{title}");
        }
        // Each chart's numbers are also a table: every category with its count, every funnel stage.
        let (_, body) = app.json("/api/v1/stats");
        for c in body["by_category"].as_array().unwrap() {
            let row = format!(
                "<th scope=\"row\">{}</th><td class=\"num\">{}</td>",
                c["name_vi"].as_str().unwrap(),
                c["count"]
            );
            assert!(html.contains(&row), "{row}");
        }
        assert_eq!(html.matches("<details>").count(), 4);
        assert!(html.contains("<th scope=\"row\">Đã ứng dụng thực tiễn</th>"));
        assert!(html.contains("Quận 10 và các đơn vị trực thuộc"));
        // The months of both contests, with the years between folded into a gap.
        assert!(html.contains("<th scope=\"row\">03/2021</th>"));
        assert!(html.contains("<th scope=\"row\">11/2026</th>"));
        assert!(!html.contains("<th scope=\"row\">01/2024</th>"));

        // Light on a phone: the compressed page the cache sends.
        let r = app
            .client
            .get(app.url("/stats"))
            .header("Accept-Encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let compressed = r.bytes().unwrap().len();
        assert!(compressed < 30 * 1024, "{compressed} bytes compressed");

        // Linked from the menu of every page and from the home page.
        let (_, home) = app.html("/?lang=vi");
        assert!(home.matches("href=\"/stats\"").count() >= 2, "{home}");
    });
}

#[test]
fn the_api_answers_in_its_documented_shape() {
    each_engine(|app| {
        let (status, body) = app.json(&format!("/api/v1/stats?contest={C2021}"));
        assert_eq!(status, 200);
        for key in ["submitted", "selected", "applied", "units_withheld_ideas"] {
            assert!(body[key].is_i64(), "{key}: {body}");
        }
        let stages: Vec<&str> = body["funnel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            [
                "submitted",
                "eligible",
                "reviewed",
                "selected",
                "in_implementation",
                "implemented"
            ]
        );
        let counts: Vec<i64> = body["funnel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_i64().unwrap())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
        let cat = &body["by_category"][0];
        for key in ["slug", "name_vi", "name_en"] {
            assert!(cat[key].is_string(), "{cat}");
        }
        let counts: Vec<i64> = body["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_i64().unwrap())
            .collect();
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "most first: {counts:?}"
        );
        assert_eq!(
            body["by_category"].as_array().unwrap().len(),
            7,
            "every category of the contest"
        );
        let months: Vec<&str> = body["by_month"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["month"].as_str().unwrap())
            .collect();
        assert!(months.windows(2).all(|w| w[0] < w[1]), "{months:?}");
        assert!(
            months
                .iter()
                .all(|m| m.len() == 7 && m.starts_with("2021-")),
            "{months:?}"
        );
        let units = body["by_unit"]["units"].as_array().unwrap();
        let by_slug: HashMap<&str, &Value> = units
            .iter()
            .map(|u| (u["slug"].as_str().unwrap(), u))
            .collect();
        let district = by_slug["quan-10"];
        assert_eq!(district["kind"], "district");
        assert_eq!(district["parent"], "tp-ho-chi-minh");
        assert_eq!(district["count"], body["submitted"]);
        // A unit's count is its own ideas plus its children's.
        for u in units {
            let children: i64 = units
                .iter()
                .filter(|c| c["parent"] == u["slug"])
                .map(|c| c["count"].as_i64().unwrap())
                .sum();
            assert_eq!(
                u["count"].as_i64().unwrap(),
                u["direct"].as_i64().unwrap() + children,
                "{u}"
            );
        }
        // Documented in the OpenAPI document.
        let (_, doc) = app.json("/api/openapi.json");
        let op = &doc["paths"]["/api/v1/stats"]["get"];
        assert!(op["responses"]["200"].is_object(), "{op}");
        assert_eq!(op["parameters"][0]["name"], "contest");
        assert!(doc["components"]["schemas"]["StatsDto"]["properties"]["by_unit"].is_object());
        // Served through the page cache like the other public answers: anonymous GETs only, other methods refused.
        let r = app.client.post(app.url("/api/v1/stats")).send().unwrap();
        assert_eq!(r.status().as_u16(), 405);
    });
}
