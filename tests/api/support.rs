//! Support and people's choice: a verified member supports a public idea once and can take it back; a contest's
//! people's-choice round takes one vote per account; both "once" rules hold in the database itself, also under
//! concurrent requests.

use diesel::prelude::*;
use reqwest::Method;
use sangtao::db::schema::{ideas, supports, users, votes};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, call, each_engine, make_token, make_user, new_client, set_unit, unescape,
};

const PASSWORD: &str = "mật khẩu của tôi";
const SLUG: &str = "sang-tao-tre-2026";

/// Two public ideas of the 2026 contest.
fn public_ideas(app: &TestApp) -> (String, String) {
    let (code, list) = app.json(&format!("/api/v1/ideas?contest={SLUG}&limit=2"));
    assert_eq!(code, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    (
        items[0]["id"].as_str().unwrap().to_string(),
        items[1]["id"].as_str().unwrap().to_string(),
    )
}

fn vn_local(offset_hours: i64) -> String {
    (sangtao::db::now() + chrono::Duration::hours(7 + offset_hours))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[test]
fn a_verified_member_supports_once_and_takes_it_back() {
    each_engine(|app| {
        let (idea, _) = public_ideas(app);
        let member = make_user(app, "ungho@example.org", PASSWORD, "member");
        let token = make_token(app, &member);
        let path = format!("/api/v1/ideas/{idea}/support");

        let (code, s) = call(app, &token, Method::PUT, &path, None);
        assert_eq!(code, 200, "{s}");
        assert_eq!(
            (s["supporters"].as_i64(), s["supported"].as_bool()),
            (Some(1), Some(true))
        );
        // Again: still one.
        let (code, s) = call(app, &token, Method::PUT, &path, None);
        assert_eq!((code, s["supporters"].as_i64()), (200, Some(1)));
        // The database refuses a second row whatever the code does.
        let now = sangtao::db::now();
        let dup = diesel::insert_into(supports::table)
            .values((
                supports::idea_id.eq(&idea),
                supports::user_id.eq(&member),
                supports::created_at.eq(now),
            ))
            .execute(&mut app.conn());
        assert!(dup.is_err(), "a second support row was accepted");
        // Taken back.
        let (code, s) = call(app, &token, Method::DELETE, &path, None);
        assert_eq!(
            (code, s["supporters"].as_i64(), s["supported"].as_bool()),
            (200, Some(0), Some(false))
        );

        // Concurrent supports by one member count once.
        let url = app.url(&path);
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (url, token) = (url.clone(), token.clone());
                std::thread::spawn(move || {
                    new_client()
                        .put(url)
                        .bearer_auth(token)
                        .send()
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 200);
        }
        let rows: i64 = supports::table
            .filter(supports::idea_id.eq(&idea))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(rows, 1);

        // Unverified: refused; anonymous: must sign in; a draft: not found.
        let unverified = make_user(app, "chuaxacminh@example.org", PASSWORD, "member");
        diesel::update(users::table.find(&unverified))
            .set(users::email_verified_at.eq(None::<chrono::NaiveDateTime>))
            .execute(&mut app.conn())
            .unwrap();
        let (code, err) = call(app, &make_token(app, &unverified), Method::PUT, &path, None);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("email_not_verified_support"))
        );
        let r = new_client().put(app.url(&path)).send().unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let draft: String = ideas::table
            .filter(ideas::is_public.eq(false))
            .select(ideas::id)
            .first(&mut app.conn())
            .unwrap();
        let (code, _) = call(
            app,
            &token,
            Method::PUT,
            &format!("/api/v1/ideas/{draft}/support"),
            None,
        );
        assert_eq!(code, 404);
    });
}

#[test]
fn the_idea_page_shows_the_count_and_the_button_to_each_reader() {
    each_engine(|app| {
        let (idea, _) = public_ideas(app);
        make_user(app, "ungho@example.org", PASSWORD, "member");
        let (_, page) = app.html(&format!("/ideas/{idea}"));
        let page = unescape(&page);
        assert!(page.contains("0 người ủng hộ"), "{page}");
        assert!(page.contains("Đăng nhập để ủng hộ ý tưởng này"));

        let client = new_client();
        let csrf = api_signin(app, &client, "ungho@example.org", PASSWORD);
        let r = client
            .post(app.url(&format!("/ideas/{idea}/support")))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let html = unescape(
            &client
                .get(app.url(&format!("/ideas/{idea}")))
                .send()
                .unwrap()
                .text()
                .unwrap(),
        );
        assert!(html.contains("1 người ủng hộ"), "{html}");
        assert!(html.contains("Bỏ ủng hộ"), "{html}");
        // Visitors see the new count (the anonymous page was made again after the write).
        let (_, page) = app.html(&format!("/ideas/{idea}"));
        assert!(unescape(&page).contains("1 người ủng hộ"));
    });
}

#[test]
fn a_peoples_choice_round_takes_one_vote_per_account_between_its_dates() {
    each_engine(|app| {
        let (a, b) = public_ideas(app);
        let organizer = make_user(app, "btc@example.org", PASSWORD, "organizer");
        set_unit(app, &organizer, "quan-10");
        let org = make_token(app, &organizer);
        let voter = make_token(
            app,
            &make_user(app, "binhchon@example.org", PASSWORD, "member"),
        );
        let round = format!("/api/v1/contests/{SLUG}/vote-round");
        let vote_a = format!("/api/v1/ideas/{a}/vote");
        let vote_b = format!("/api/v1/ideas/{b}/vote");

        // No round yet.
        let (code, err) = call(app, &voter, Method::PUT, &vote_a, None);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("no_vote_round"))
        );
        // A round that ends before it starts is refused.
        let (code, err) = call(
            app,
            &org,
            Method::PUT,
            &round,
            Some(&json!({"opens_at": vn_local(5), "closes_at": vn_local(1)})),
        );
        assert_eq!(code, 422);
        assert_eq!(
            err["error"]["fields"]["closes_at"][0]["code"],
            "closes_before_opens"
        );
        // Not open yet.
        let (code, _) = call(
            app,
            &org,
            Method::PUT,
            &round,
            Some(&json!({"opens_at": vn_local(24), "closes_at": vn_local(48)})),
        );
        assert_eq!(code, 200);
        let (code, err) = call(app, &voter, Method::PUT, &vote_a, None);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("vote_round_closed"))
        );
        // Open now.
        let (code, r) = call(
            app,
            &org,
            Method::PUT,
            &round,
            Some(&json!({"opens_at": vn_local(-1), "closes_at": vn_local(24)})),
        );
        assert_eq!((code, r["open"].as_bool()), (200, Some(true)), "{r}");
        let (code, s) = call(app, &voter, Method::PUT, &vote_a, None);
        assert_eq!(
            (code, s["votes"].as_i64(), s["voted"].as_bool()),
            (200, Some(1), Some(true)),
            "{s}"
        );
        let (code, err) = call(app, &voter, Method::PUT, &vote_b, None);
        assert_eq!(
            (code, err["error"]["code"].as_str()),
            (409, Some("already_voted"))
        );
        // The database holds one vote per account and contest, whatever the code does.
        let contest: String = ideas::table
            .find(&b)
            .select(ideas::contest_id)
            .first(&mut app.conn())
            .unwrap();
        let voter_id: String = users::table
            .filter(users::email.eq("binhchon@example.org"))
            .select(users::id)
            .first(&mut app.conn())
            .unwrap();
        let dup = diesel::insert_into(votes::table)
            .values((
                votes::contest_id.eq(&contest),
                votes::user_id.eq(&voter_id),
                votes::idea_id.eq(&b),
                votes::created_at.eq(sangtao::db::now()),
            ))
            .execute(&mut app.conn());
        assert!(dup.is_err(), "a second vote in the contest was accepted");
        // Moving the vote: take it back, then vote again.
        let (code, s) = call(app, &voter, Method::DELETE, &vote_a, None);
        assert_eq!((code, s["votes"].as_i64()), (200, Some(0)));
        let (code, s) = call(app, &voter, Method::PUT, &vote_b, None);
        assert_eq!((code, s["votes"].as_i64()), (200, Some(1)));
        // The contest page shows the round and the standings.
        let (_, page) = app.html(&format!("/contests/{SLUG}"));
        let page = unescape(&page);
        assert!(page.contains("Bình chọn của khán giả"), "{page}");
        let (_, idea_b): (u16, Value) = app.json(&format!("/api/v1/ideas/{b}"));
        assert!(page.contains(idea_b["title"].as_str().unwrap()));
    });
}
