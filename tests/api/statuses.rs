//! What a request the OpenAPI document calls valid can still be refused with, and how: a slug or id naming nothing
//! is 404 `not_found`, a body of the right shape that names nothing or breaks a rule tying its fields together is
//! 422 `validation_failed`, a clash with stored data is 409; 400 stays for what the document itself rules out.
//! Also: the document states the bounds the validators enforce, and bodies take integral doubles as integers.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, each_engine, make_token, make_user};

fn admin(app: &crate::helpers::TestApp) -> (String, String) {
    let id = make_user(
        app,
        "statuses-admin@example.org",
        "mật khẩu đủ dài 1",
        "admin",
    );
    let token = make_token(app, &id);
    (id, token)
}

#[test]
fn a_slug_or_id_naming_nothing_is_404_not_found() {
    each_engine(|app| {
        for (path, param) in [
            ("/api/v1/ideas?contest=khong-co-cuoc-thi", "contest"),
            ("/api/v1/ideas?category=khong-co", "category"),
            ("/api/v1/ideas?unit=phuong-99", "unit"),
            ("/api/v1/adopted?contest=khong-co-cuoc-thi", "contest"),
            ("/api/v1/stats?contest=khong-co-cuoc-thi", "contest"),
            (
                "/api/v1/ideas/similar?title=xe%20buyt&contest=khong-co-cuoc-thi",
                "contest",
            ),
        ] {
            let (status, body) = app.json(path);
            assert_eq!(status, 404, "{path}: {body}");
            assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
            assert_eq!(
                body["error"]["fields"][param][0]["code"], "not_found",
                "{body}"
            );
            assert!(body["error"]["fields"][param][0]["message"].is_string());
        }
        // A value outside a documented list is still the client's mistake: 400.
        let (status, body) = app.json("/api/v1/ideas?status=nope");
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["error"]["fields"]["status"][0]["code"],
            "unknown_value"
        );
        let (status, _) = app.json("/api/v1/adopted?progress=10-20");
        assert_eq!(status, 400);
    });
}

#[test]
fn a_well_shaped_body_that_cannot_be_applied_is_422() {
    each_engine(|app| {
        let (_, token) = admin(app);
        // Registration naming a unit that does not exist.
        let r = crate::helpers::new_client()
            .post(app.url("/api/v1/auth/register"))
            .json(
                &json!({"email": "nguoi-moi@example.org", "display_name": "Người mới",
                "password": "mật khẩu đủ dài 2", "unit": "khong-co-don-vi"}),
            )
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let body: Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["fields"]["unit"][0]["code"], "unknown_unit");
        assert_eq!(crate::helpers::mail_count(app, "nguoi-moi@example.org"), 0);

        // A contest closing before it opens: each field has the document's shape, together they do not fit. A
        // shape problem among them wins: a malformed date is 400, as the document says.
        let contest = |opens_at: &str| {
            json!({"title": "Cuộc thi thử trạng thái", "slug": "thu-trang-thai", "unit": "phuong-4",
                "opens_at": opens_at, "closes_at": "2030-02-01T08:00", "max_ideas_per_member": 3,
                "categories": ["giao-thong"]})
        };
        let post = |body: &Value| call(app, &token, Method::POST, "/api/v1/contests", Some(body));
        let (status, body) = post(&contest("2030-03-01T08:00"));
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["error"]["fields"]["closes_at"][0]["code"],
            "closes_before_opens"
        );
        let stored = call(
            app,
            &token,
            Method::GET,
            "/api/v1/contests/thu-trang-thai",
            None,
        );
        assert_eq!(stored.0, 404, "nothing was stored");
        let (status, body) = post(&contest("mai"));
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["fields"]["opens_at"][0]["code"], "datetime");

        // Neither title nor summary in a similarity check: each is optional, only both missing is refused.
        let (status, body) = app.json("/api/v1/ideas/similar");
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"]["title"][0]["code"], "required");

        // An email link that names nothing.
        let r = crate::helpers::new_client()
            .post(app.url("/api/v1/auth/verify"))
            .json(&json!({"token": "khong-phai-ma-that"}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let body: Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], "link_invalid");
    });
}

#[test]
fn a_clash_with_stored_data_is_409_and_changes_nothing() {
    each_engine(|app| {
        let (id, token) = admin(app);
        let (status, body) = call(
            app,
            &token,
            Method::PATCH,
            &format!("/api/v1/admin/users/{id}"),
            Some(&json!({"role": "member"})),
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["fields"]["user"][0]["code"], "self_change");
        let (_, me) = call(app, &token, Method::GET, "/api/v1/me", None);
        assert_eq!(me["role"], "admin", "{me}");
    });
}

#[test]
fn integral_doubles_are_whole_numbers_and_fractions_are_not() {
    each_engine(|app| {
        let (_, token) = admin(app);
        let rubric = |reviews: Value, max: Value| {
            json!({"reviews_per_idea": reviews, "due_at": "", "criteria": [
                {"name": "Tính mới", "description": "", "weight": 1.0, "min_score": 0.0, "max_score": max}]})
        };
        let path = "/api/v1/contests/sang-tao-tre-2026/rubric";
        let (status, body) = call(
            app,
            &token,
            Method::PUT,
            path,
            Some(&rubric(json!(3.0), json!(10.0))),
        );
        assert_eq!(status, 200, "{body}");
        let (_, saved) = call(app, &token, Method::GET, path, None);
        assert_eq!(saved["reviews_per_idea"], 3, "{saved}");
        assert_eq!(saved["criteria"][0]["max_score"], 10, "{saved}");
        let (status, body) = call(
            app,
            &token,
            Method::PUT,
            path,
            Some(&rubric(json!(3.5), json!(10))),
        );
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "bad_request");
    });
}

#[test]
fn the_document_states_the_bounds_the_validators_enforce() {
    each_engine(|app| {
        let (status, doc) = app.json("/api/openapi.json");
        assert_eq!(status, 200);
        let schema = |name: &str| doc["components"]["schemas"][name].clone();
        let register = schema("RegisterInput");
        let min = sangtao::domain::account::PASSWORD_MIN;
        let max = sangtao::domain::account::PASSWORD_MAX;
        assert_eq!(
            register["properties"]["password"]["minLength"], min,
            "{register}"
        );
        assert_eq!(
            register["properties"]["password"]["maxLength"], max,
            "{register}"
        );
        for name in ["ChangePasswordInput", "ResetInput", "JoinBody"] {
            let s = schema(name);
            let field = if name == "ChangePasswordInput" {
                "new_password"
            } else {
                "password"
            };
            assert_eq!(s["properties"][field]["minLength"], min, "{name}: {s}");
            assert_eq!(s["properties"][field]["maxLength"], max, "{name}: {s}");
        }
        let idea = schema("IdeaFields");
        assert_eq!(idea["properties"]["title"]["maxLength"], 150, "{idea}");
        // Every idea id in a path is declared a UUID, since anything else is refused with 400 `invalid_id`.
        let paths = doc["paths"].as_object().unwrap();
        let mut seen = 0;
        for (path, item) in paths {
            if !path.starts_with("/api/v1/ideas/{id}") && !path.contains("/ideas/{id}/") {
                continue;
            }
            for (_, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p["name"] == "id" {
                        assert_eq!(p["schema"]["format"], "uuid", "{path}");
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 15, "{seen} idea id parameters");
    });
}
