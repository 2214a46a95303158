//! The role × route table: every route of `access::ROUTES`, requested as a visitor and as each role, is allowed or
//! refused exactly as the table says.

use sangtao::access::{Need, ROUTES, decide};
use sangtao::domain::account::Role;

use crate::helpers::{each_engine, make_token, make_user, new_client, set_unit};

/// A concrete path for a pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{id}", "550e8400-e29b-41d4-a716-446655440000")
        .replace("{slug}", "sang-tao-tre-2021")
        .replace("{_:.*}", "index.html")
}

fn expected_allowed(need: Need, role: Option<Role>) -> bool {
    match role {
        None => decide(need, None).is_ok(),
        Some(r) => match need {
            Need::Anyone | Need::SignedIn => true,
            Need::AtLeast(min) => r >= min,
        },
    }
}

#[test]
fn every_cell_of_the_role_route_table() {
    each_engine(|app| {
        let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
        for role in Role::ALL {
            let id = make_user(
                app,
                &format!("{}@example.org", role.code()),
                "mật khẩu kiểm thử",
                role.code(),
            );
            // At the district, so the organizer's unit scope covers the demo contests the paths name: this test is
            // about the role table; unit scope is tested with each feature.
            set_unit(app, &id, "quan-10");
            callers.push((Some(role), Some(make_token(app, &id))));
        }
        let mut checked = 0;
        for (role, token) in &callers {
            for (method, pattern, need) in ROUTES {
                let path = concrete(pattern);
                let client = new_client();
                let mut req = client.request(method.parse().unwrap(), app.url(&path));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                if *method != "GET" {
                    req = if path.starts_with("/api/") {
                        req.json(&serde_json::json!({}))
                    } else {
                        req.form(&[("x", "y")])
                    };
                }
                let status = req.send().unwrap().status().as_u16();
                let allowed = expected_allowed(*need, *role);
                let who = role.map(Role::code).unwrap_or("anonymous");
                if allowed {
                    assert!(
                        ![401, 403, 405].contains(&status)
                            || (*method != "GET" && role.is_none() && status == 403),
                        "{who} {method} {path}: allowed by the table, got {status}"
                    );
                } else if role.is_none() {
                    let want = if *method == "GET" && !path.starts_with("/api/") {
                        303
                    } else {
                        401
                    };
                    assert_eq!(status, want, "{who} {method} {path}: needs signing in");
                } else {
                    assert_eq!(status, 403, "{who} {method} {path}: forbidden by the table");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, ROUTES.len() * 5);
    });
}

#[test]
fn a_method_the_table_does_not_list_is_refused() {
    each_engine(|app| {
        for (method, path) in [
            ("DELETE", "/profile"),
            ("PUT", "/api/v1/me"),
            ("POST", "/ideas"),
            ("PATCH", "/"),
        ] {
            let status = app
                .client
                .request(method.parse().unwrap(), app.url(path))
                .send()
                .unwrap()
                .status()
                .as_u16();
            assert_eq!(status, 405, "{method} {path}");
        }
        // The answer names what the address does take (RFC 9110).
        let r = app
            .client
            .request(reqwest::Method::PUT, app.url("/api/v1/me/tokens"))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 405);
        let allow = r.headers()["allow"].to_str().unwrap().to_string();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        assert!(!allow.contains("PUT"), "{allow}");
    });
}
