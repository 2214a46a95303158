//! The JSON API's single resources, the OpenAPI document and the docs page.

use crate::helpers::{each_engine, idea_rows};

#[test]
fn idea_detail_has_every_field_and_redacts_blind_authors() {
    each_engine(|app| {
        let rows = idea_rows(&mut app.conn());
        let blind = rows
            .iter()
            .find(|r| r.2 && r.4 && r.1 == "not_selected")
            .unwrap();
        let (code, body) = app.json(&format!("/api/v1/ideas/{}", blind.0));
        assert_eq!(code, 200);
        for field in [
            "title",
            "summary",
            "situation",
            "solution",
            "impact",
            "resources",
            "applies_where",
        ] {
            assert!(
                body[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field}: {body}"
            );
        }
        assert_eq!(body["status"], "not_selected");
        assert_eq!(body["contest"]["slug"], "sang-tao-tre-2021");
        assert!(body["authors"].is_null(), "blind contest: {body}");
        assert!(body["adoption"].is_null());

        let applied = rows.iter().find(|r| r.1 == "in_implementation").unwrap();
        let (_, body) = app.json(&format!("/api/v1/ideas/{}", applied.0));
        assert!(!body["authors"].as_array().unwrap().is_empty());
        let progress = body["adoption"]["progress"].as_i64().unwrap();
        assert!((0..=100).contains(&progress));
        assert!(
            body["adoption"]["responsible_unit"]
                .as_str()
                .unwrap()
                .starts_with(['P', 'Q'])
        );

        // Any spelling of the UUID finds the idea.
        let upper = applied.0.to_uppercase();
        let (code, _) = app.json(&format!("/api/v1/ideas/{upper}"));
        assert_eq!(code, 200);
    });
}

#[test]
fn contests_and_categories() {
    each_engine(|app| {
        let (code, body) = app.json("/api/v1/contests");
        assert_eq!(code, 200);
        let all = body.as_array().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0]["slug"], "sang-tao-tre-2026", "latest closing first");
        assert_eq!(all[0]["is_open"], true);
        assert_eq!(all[1]["is_open"], false);
        assert_eq!(all[1]["blind_review"], true);
        assert_eq!(all[1]["opens_at"], "2021-03-01T00:00:00+07:00");
        assert_eq!(all[1]["unit"]["slug"], "quan-10");
        assert_eq!(all[1]["categories"].as_array().unwrap().len(), 7);

        let (code, one) = app.json("/api/v1/contests/sang-tao-tre-2021");
        assert_eq!(code, 200);
        assert_eq!(one["title"], "Sáng tạo trẻ 2021");

        let (_, cats) = app.json("/api/v1/categories");
        let slugs: Vec<&str> = cats
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap())
            .collect();
        assert_eq!(
            slugs,
            [
                "giao-thong",
                "van-minh-do-thi",
                "cai-cach-hanh-chinh",
                "moi-truong",
                "an-sinh-xa-hoi",
                "chuyen-doi-so",
                "khac"
            ]
        );
        assert_eq!(cats[2]["name_vi"], "Cải cách hành chính");
        assert_eq!(cats[2]["name_en"], "Administrative reform");
    });
}

#[test]
fn openapi_document_describes_every_route() {
    each_engine(|app| {
        let (code, doc) = app.json("/api/openapi.json");
        assert_eq!(code, 200);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/ideas",
            "/api/v1/ideas/{id}",
            "/api/v1/contests",
            "/api/v1/contests/{slug}",
            "/api/v1/categories",
        ] {
            assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
        }
        let params: Vec<&str> = doc["paths"]["/api/v1/ideas"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for p in ["contest", "category", "unit", "status", "cursor", "limit"] {
            assert!(params.contains(&p), "parameter {p}");
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    });
}

#[test]
fn docs_page_loads_with_no_outside_requests() {
    each_engine(|app| {
        let r = app.get("/api/docs");
        assert_eq!(r.status().as_u16(), 308);
        assert_eq!(r.headers().get("location").unwrap(), "/api/docs/");
        let (code, html) = app.html("/api/docs/");
        assert_eq!(code, 200);
        assert!(html.contains("swagger-ui"));
        // Every script and stylesheet comes from the app itself.
        for attr in ["src=\"", "href=\""] {
            for piece in html.split(attr).skip(1) {
                let url = piece.split('"').next().unwrap();
                assert!(
                    !url.starts_with("http") && !url.starts_with("//"),
                    "external asset {url}"
                );
                if url.ends_with(".js") || url.ends_with(".css") {
                    let asset = if url.starts_with('/') {
                        url.to_string()
                    } else {
                        format!("/api/docs/{}", url.trim_start_matches("./"))
                    };
                    assert_eq!(app.get(&asset).status().as_u16(), 200, "{asset}");
                }
            }
        }
        let init = app.get("/api/docs/swagger-initializer.js").text().unwrap();
        assert!(init.contains("/api/openapi.json"));
    });
}
