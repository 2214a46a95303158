//! `/metrics`: Prometheus text with request counts by route pattern and status, latency histograms, outbox depth and
//! database pool use; administrators only, never cached.

use diesel::prelude::*;
use sangtao::db::outbox::{NewOutbox, insert};
use sangtao::db::schema::outbox;

use crate::helpers::{TestApp, each_engine, make_token, make_user, new_client};

/// The value of the sample `name` whose labels include every pair of `labels` (0 when there is none).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let body = rest.strip_suffix('}')?;
            let all = labels
                .iter()
                .all(|(k, v)| body.split(',').any(|pair| pair == format!("{k}=\"{v}\"")));
            all.then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

/// Whether a sample `name` with labels including every pair of `labels` is present at all.
fn present(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    text.lines().filter(|l| !l.starts_with('#')).any(|l| {
        let series = l.rsplit_once(' ').map_or(l, |(s, _)| s);
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        metric == name
            && labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
    })
}

/// A bearer token of a new administrator.
fn admin_token(app: &TestApp) -> String {
    let admin = make_user(app, "quantri@example.org", "mật khẩu kiểm thử", "admin");
    make_token(app, &admin)
}

fn scrape(app: &TestApp, token: &str) -> String {
    let r = new_client()
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("text/plain"), "content type {ctype}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.text().unwrap()
}

const REQUESTS: &str = "sangtao_http_requests_total";
const LATENCY: &str = "sangtao_http_request_duration_seconds";

#[test]
fn requests_are_counted_by_route_pattern_and_status() {
    each_engine(|app| {
        let token = admin_token(app);
        let before = scrape(app, &token);

        let contest = ("route", "/contests/{slug}");
        let idea = ("route", "/ideas/{id}");
        let unmatched = ("route", "unmatched");
        let count = |text: &str, route: (&str, &str), status: &str| {
            sample(
                text,
                REQUESTS,
                &[route, ("method", "GET"), ("status", status)],
            )
        };

        for _ in 0..2 {
            assert_eq!(
                app.get("/contests/sang-tao-tre-2021").status().as_u16(),
                200
            );
        }
        let missing = "/ideas/550e8400-e29b-41d4-a716-446655440099";
        assert_eq!(app.get(missing).status().as_u16(), 404);
        assert_eq!(app.get("/khong-co-trang-nay/abc").status().as_u16(), 404);

        let after = scrape(app, &token);
        assert_eq!(
            count(&after, contest, "200") - count(&before, contest, "200"),
            2.0
        );
        assert_eq!(
            count(&after, idea, "404") - count(&before, idea, "404"),
            1.0
        );
        assert_eq!(
            count(&after, unmatched, "404") - count(&before, unmatched, "404"),
            1.0
        );
        // The previous scrape is counted too: the page is rendered afresh each time, not cached.
        let metrics = ("route", "/metrics");
        assert_eq!(
            count(&after, metrics, "200") - count(&before, metrics, "200"),
            1.0
        );

        // Raw paths never become labels.
        assert!(!after.contains("550e8400-e29b-41d4-a716-446655440099"));
        assert!(!after.contains("khong-co-trang-nay"));
        assert!(!after.contains("sang-tao-tre-2021"));

        // The latency histogram: buckets from 1 ms to 10 s, every contest-page request within +Inf.
        let contest_get = [contest, ("method", "GET")];
        assert!(present(
            &after,
            &format!("{LATENCY}_bucket"),
            &[contest, ("le", "0.001")]
        ));
        let inf = sample(
            &after,
            &format!("{LATENCY}_bucket"),
            &[contest, ("method", "GET"), ("le", "+Inf")],
        );
        let le10 = sample(
            &after,
            &format!("{LATENCY}_bucket"),
            &[contest, ("method", "GET"), ("le", "10")],
        );
        assert!(inf >= 2.0 && le10 <= inf, "+Inf {inf}, 10 s {le10}");
        assert_eq!(
            sample(&after, &format!("{LATENCY}_count"), &contest_get),
            inf
        );
        assert!(sample(&after, &format!("{LATENCY}_sum"), &contest_get) > 0.0);
    });
}

#[test]
fn outbox_and_pool_are_read_at_scrape_time() {
    each_engine(|app| {
        let token = admin_token(app);
        let before = scrape(app, &token);
        let queued_before = sample(&before, "sangtao_outbox_emails", &[("state", "queued")]);
        let failed_before = sample(&before, "sangtao_outbox_emails", &[("state", "failed")]);
        assert!(present(
            &before,
            "sangtao_outbox_emails",
            &[("state", "queued")]
        ));
        assert!(present(
            &before,
            "sangtao_outbox_emails",
            &[("state", "failed")]
        ));

        // Two emails not due for a day (the mail worker leaves them queued) and one given up.
        let now = sangtao::db::now();
        let mut conn = app.conn();
        for (i, failed) in [false, false, true].into_iter().enumerate() {
            let id = sangtao::db::new_id();
            insert(
                &mut conn,
                &NewOutbox {
                    id: id.clone(),
                    recipient: format!("nguoinhan{i}@example.org"),
                    recipient_name: String::new(),
                    lang: "vi".into(),
                    kind: "verify".into(),
                    subject: "Thử".into(),
                    body_text: "Thử".into(),
                    body_html: "<p>Thử</p>".into(),
                    message_id: format!("<{id}@example.org>"),
                    created_at: now,
                    next_attempt_at: now + chrono::Duration::days(1),
                    attempts: 0,
                },
            )
            .unwrap();
            if failed {
                diesel::update(outbox::table.find(&id))
                    .set(outbox::failed_at.eq(Some(now)))
                    .execute(&mut *conn)
                    .unwrap();
            }
        }
        let failed_in_db: i64 = outbox::table
            .filter(outbox::failed_at.is_not_null())
            .count()
            .get_result(&mut *conn)
            .unwrap();
        drop(conn);

        let after = scrape(app, &token);
        let queued = sample(&after, "sangtao_outbox_emails", &[("state", "queued")]);
        let failed = sample(&after, "sangtao_outbox_emails", &[("state", "failed")]);
        // Demo mail may be delivered meanwhile, so queued is only bounded below; nothing else fails.
        assert!(queued >= 2.0, "queued {queued} (before {queued_before})");
        assert_eq!(failed, failed_before + 1.0);
        assert_eq!(failed, failed_in_db as f64);

        // The test server's pool has 3 connections at most (helpers::spawn_app); some are open, none over.
        let open = sample(&after, "sangtao_db_pool_connections", &[]);
        let idle = sample(&after, "sangtao_db_pool_idle_connections", &[]);
        let max = sample(&after, "sangtao_db_pool_max_connections", &[]);
        assert!(present(&after, "sangtao_db_pool_connections", &[]));
        assert!(present(&after, "sangtao_db_pool_idle_connections", &[]));
        assert_eq!(max, 3.0);
        assert!(open >= 1.0 && open <= max, "open {open}");
        assert!(idle <= open, "idle {idle}, open {open}");
    });
}

#[test]
fn only_administrators_may_read_metrics() {
    each_engine(|app| {
        let anonymous = new_client().get(app.url("/metrics")).send().unwrap();
        assert_eq!(anonymous.status().as_u16(), 303, "anonymous: sign in first");
        for role in ["member", "reviewer", "organizer"] {
            let id = make_user(
                app,
                &format!("{role}@example.org"),
                "mật khẩu kiểm thử",
                role,
            );
            let token = make_token(app, &id);
            let r = new_client()
                .get(app.url("/metrics"))
                .bearer_auth(&token)
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 403, "{role}");
            assert!(
                !r.text().unwrap().contains(REQUESTS),
                "{role} sees no metrics"
            );
        }
        let text = scrape(app, &admin_token(app));
        assert!(text.contains(&format!("# TYPE {REQUESTS} counter")));
        assert!(text.contains(&format!("# TYPE {LATENCY} histogram")));
        // The refusals are counted under the route, with their status.
        let refused = sample(
            &text,
            REQUESTS,
            &[("route", "/metrics"), ("method", "GET"), ("status", "403")],
        );
        assert_eq!(refused, 3.0);
        let redirected = sample(
            &text,
            REQUESTS,
            &[("route", "/metrics"), ("method", "GET"), ("status", "303")],
        );
        assert_eq!(redirected, 1.0);
    });
}
