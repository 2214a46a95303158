//! Bad input gets a 400 (or 404) naming the problem, in JSON under /api and as a localized page elsewhere.

use crate::helpers::{assert_api_error, each_engine};

const BAD_LIST_QUERIES: &[(&str, &str)] = &[
    ("status=draft", "status"),
    ("status=withdrawn", "status"),
    ("status=SELECTED", "status"),
    ("status=nope", "status"),
    ("cursor=abc", "cursor"),
    ("cursor=123", "cursor"),
    ("cursor=123.not-a-uuid", "cursor"),
    ("cursor=-1.550e8400-e29b-41d4-a716-446655440000", "cursor"),
    (
        "cursor=99999999999999999999.550e8400-e29b-41d4-a716-446655440000",
        "cursor",
    ),
    ("cursor=%FF%FE", "cursor"),
];

/// Well-formed slugs that name nothing: 404 `not_found`, still named.
const UNKNOWN_LIST_QUERIES: &[(&str, &str)] = &[
    ("category=nope", "category"),
    ("unit=phuong-99", "unit"),
    ("contest=sang-tao-tre-1999", "contest"),
];

#[test]
fn api_list_refuses_bad_parameters_by_name() {
    each_engine(|app| {
        for (query, field) in UNKNOWN_LIST_QUERIES {
            assert_api_error(
                app,
                &format!("/api/v1/ideas?{query}"),
                404,
                "not_found",
                Some(field),
            );
        }
        for (query, field) in BAD_LIST_QUERIES {
            assert_api_error(
                app,
                &format!("/api/v1/ideas?{query}"),
                400,
                "bad_parameter",
                Some(field),
            );
        }
        for limit in ["0", "101", "-1", "abc", "1e2", "", " 5"] {
            let path = format!("/api/v1/ideas?limit={limit}");
            if limit.is_empty() {
                // An empty value is no value: the default page size.
                assert_eq!(app.json(&path).0, 200);
            } else if limit == " 5" {
                // Surrounding spaces are trimmed as for every parameter.
                assert_eq!(app.json(&path).0, 200);
            } else {
                assert_api_error(app, &path, 400, "bad_parameter", Some("limit"));
            }
        }
        let long = "x".repeat(500);
        assert_api_error(
            app,
            &format!("/api/v1/ideas?category={long}"),
            400,
            "bad_parameter",
            Some("category"),
        );
    });
}

#[test]
fn api_single_resources_refuse_malformed_ids_and_miss_with_404() {
    each_engine(|app| {
        assert_api_error(app, "/api/v1/ideas/123", 400, "bad_parameter", Some("id"));
        assert_api_error(
            app,
            "/api/v1/ideas/%3Cscript%3E",
            400,
            "bad_parameter",
            Some("id"),
        );
        assert_api_error(
            app,
            "/api/v1/ideas/550e8400-e29b-41d4-a716-446655440000",
            404,
            "not_found",
            None,
        );
        assert_api_error(app, "/api/v1/contests/khong-co", 404, "not_found", None);
        assert_api_error(app, "/api/v1/khong-co", 404, "not_found", None);
        assert_api_error(app, "/api/khong-co", 404, "not_found", None);
    });
}

#[test]
fn api_errors_speak_the_request_language() {
    each_engine(|app| {
        let r = app
            .client
            .get(app.url("/api/v1/ideas?limit=0"))
            .header("accept-language", "en")
            .send()
            .unwrap();
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(
            body["error"]["message"],
            "The parameter “limit” is not acceptable: “limit” must be a whole number from 1 to 100."
        );
        let (_, body) = app.json("/api/v1/ideas?limit=0");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("số nguyên từ 1 đến 100")
        );
    });
}

#[test]
fn unsupported_methods_get_405_in_the_one_format() {
    each_engine(|app| {
        for path in ["/api/v1/ideas", "/api/v1/categories", "/api/v1/contests"] {
            let r = app.client.delete(app.url(path)).send().unwrap();
            assert_eq!(r.status().as_u16(), 405, "{path}");
            let body: serde_json::Value = r.json().unwrap();
            assert_eq!(body["error"]["code"], "method_not_allowed");
        }
    });
}

#[test]
fn pages_refuse_bad_parameters_with_a_localized_page() {
    each_engine(|app| {
        for (query, field) in UNKNOWN_LIST_QUERIES {
            let (code, html) = app.html(&format!("/ideas?{query}"));
            assert_eq!(code, 404, "{query}");
            assert!(
                html.contains(&format!("«{field}»")),
                "{query} names {field}: {html}"
            );
        }
        for (query, field) in BAD_LIST_QUERIES {
            let (code, html) = app.html(&format!("/ideas?{query}"));
            assert_eq!(code, 400, "{query}");
            assert!(
                html.contains("<html lang=\"vi\">") && html.contains("Lỗi 400"),
                "{query}"
            );
            assert!(
                html.contains(&format!("«{field}»")),
                "{query} names {field}: {html}"
            );
        }
        let (code, html) = app.html("/ideas?status=nope&lang=en");
        assert_eq!(code, 400);
        assert!(
            html.contains("Error 400") && html.contains("The parameter “status” is not acceptable")
        );
        // Pages ignore `limit`: they always show 20.
        assert_eq!(app.html("/ideas?limit=5000").0, 200);
    });
}

#[test]
fn pages_miss_with_a_localized_404() {
    each_engine(|app| {
        let (code, html) = app.html("/ideas/550e8400-e29b-41d4-a716-446655440000");
        assert_eq!(code, 404);
        assert!(html.contains("Không tìm thấy ý tưởng này"));
        let (code, html) = app.html("/ideas/khong-phai-uuid");
        assert_eq!(code, 400);
        assert!(html.contains("«id»"));
        let (code, html) = app.html("/contests/khong-co?lang=en");
        assert_eq!(code, 404);
        assert!(html.contains("This contest does not exist."));
        let (code, html) = app.html("/khong-co-trang-nay?lang=vi");
        assert_eq!(code, 404);
        assert!(html.contains("Không tìm thấy trang này."));
        let r = app.client.post(app.url("/khong-co")).send().unwrap();
        assert_eq!(r.status().as_u16(), 404);
    });
}

#[test]
fn malformed_query_strings_are_a_400_not_a_500() {
    each_engine(|app| {
        for path in [
            "/ideas?category=%E0%A4%A",
            "/api/v1/ideas?status=%ZZ",
            "/ideas?%",
            "/api/v1/ideas?cursor=%C3%28",
        ] {
            let code = app.get(path).status().as_u16();
            assert!(code == 400 || code == 404 || code == 200, "{path}: {code}");
        }
    });
}
