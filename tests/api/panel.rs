//! The review panel: invitations by email (to a member, to someone without an account), caps and removal, the
//! conflicts of interest the portal finds for each relation of units, declared conflicts, and recusal. Every refusal
//! has its own code and changes nothing.

use diesel::prelude::*;
use sangtao::db::schema::{
    assignments, conflicts, contest_reviewers, events, reviewer_invitations, users,
};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, each_engine, form, form_csrf, last_mail, make_token, make_user, new_client, set_unit,
    unescape,
};

const CONTEST: &str = "sang-tao-tre-2026";
const PANEL: &str = "/api/v1/contests/sang-tao-tre-2026/panel";
const CONFLICTS: &str = "/api/v1/contests/sang-tao-tre-2026/conflicts";
const PAGE: &str = "/organize/contests/sang-tao-tre-2026/panel";
const PASSWORD: &str = "mật khẩu của tôi";

fn call(
    app: &TestApp,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = new_client().request(method.parse().unwrap(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// Asserts that `method path body` is refused with `code` on `field`: 409 for a clash with stored data (a cap below
/// the load, an address already invited), 422 for a name of nothing, 400 for what the document rules out.
fn refused(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: &Value,
    field: &str,
    code: &str,
) {
    let (status, err) = call(app, method, Some(token), path, Some(body.clone()));
    let expected = match code {
        "below_load" | "already_invited" => 409,
        "unknown_unit" | "no_account" => 422,
        _ => 400,
    };
    assert_eq!(status, expected, "{body}: {err}");
    assert_eq!(
        err["error"]["fields"][field][0]["code"], code,
        "{body}: {err}"
    );
}

/// Accepts an invitation through the API as the person with `user`'s token.
fn accept(app: &TestApp, user: &str, token: &str) -> (u16, Value) {
    post(
        app,
        user,
        "/api/v1/invitations/accept",
        json!({ "token": token }),
    )
}

/// Asserts a refusal by a rule of the portal (409) with this code.
fn assert_rule(got: (u16, Value), code: &str) {
    assert_eq!(
        (got.0, got.1["error"]["code"].as_str()),
        (409, Some(code)),
        "{}",
        got.1
    );
}

fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(app, "POST", Some(token), path, Some(body))
}

fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    call(app, "GET", Some(token), path, None)
}

/// A page or form answer as a person with this token gets it: (status, body).
pub(crate) fn as_person(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    pairs: &[(&str, &str)],
) -> (u16, String) {
    let mut req = new_client()
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if method == "POST" {
        req = req.form(&form(pairs));
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// An organizer of Quận 10 (whose scope covers the demo contests) and their token.
pub(crate) fn organizer(app: &TestApp) -> (String, String) {
    let id = make_user(app, "btc@example.org", PASSWORD, "organizer");
    set_unit(app, &id, "quan-10");
    let token = make_token(app, &id);
    (id, token)
}

/// The token of the newest invitation link emailed to `email`.
fn invitation_token(app: &TestApp, email: &str) -> String {
    let (_, body) = last_mail(app, email, "reviewer_invitation").expect("an invitation email");
    let start = body.find("/invitation?token=").expect("a link") + "/invitation?token=".len();
    body[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

fn invitation_count(app: &TestApp) -> i64 {
    reviewer_invitations::table
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn role_of(app: &TestApp, user: &str) -> String {
    users::table
        .find(user)
        .select(users::role)
        .first(&mut app.conn())
        .unwrap()
}

fn contest_id(app: &TestApp) -> String {
    use sangtao::db::schema::contests;
    contests::table
        .filter(contests::slug.eq(CONTEST))
        .select(contests::id)
        .first(&mut app.conn())
        .unwrap()
}

/// Puts an account on the 2026 panel directly (the invitation flow has its own tests).
fn seat(app: &TestApp, user: &str, cap: i32) {
    diesel::insert_into(contest_reviewers::table)
        .values((
            contest_reviewers::contest_id.eq(contest_id(app)),
            contest_reviewers::user_id.eq(user),
            contest_reviewers::cap.eq(cap),
            contest_reviewers::added_at.eq(sangtao::db::now()),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

/// An assignment of `idea` to `reviewer` in `status`, as the assignment code will write it.
fn assign(app: &TestApp, idea: &str, reviewer: &str, by: &str, status: &str) -> String {
    let id = sangtao::db::new_id();
    let now = sangtao::db::now();
    diesel::insert_into(assignments::table)
        .values((
            assignments::id.eq(&id),
            assignments::contest_id.eq(contest_id(app)),
            assignments::round.eq(1),
            assignments::idea_id.eq(idea),
            assignments::reviewer_id.eq(reviewer),
            assignments::status.eq(status),
            assignments::created_by.eq(by),
            assignments::created_at.eq(now),
            assignments::updated_at.eq(now),
        ))
        .execute(&mut app.conn())
        .unwrap();
    id
}

fn new_idea(app: &TestApp, token: &str, title: &str, submit: bool) -> String {
    let (code, body) = post(
        app,
        token,
        "/api/v1/ideas",
        json!({
            "contest": CONTEST,
            "category": "moi-truong",
            "submit": submit,
            "title": title,
            "summary": "Đặt thùng phân loại rác tại các hẻm lớn và hướng dẫn người dân phân loại tại nguồn.",
            "situation": "Rác sinh hoạt trong hẻm chưa được phân loại, xe thu gom phải chờ lâu gây ùn ứ.",
            "solution": "Đoàn viên phường hướng dẫn từng hộ phân loại rác, đặt thùng ba ngăn ở đầu hẻm.",
            "impact": "Giảm lượng rác chôn lấp, hẻm sạch hơn.",
        }),
    );
    assert_eq!(code, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// An organizer, an author with a submitted idea, and a reviewer of Phường 9 on the panel.
struct Scene {
    org_id: String,
    org: String,
    author_token: String,
    idea: String,
    reviewer: String,
    token: String,
}

fn scene(app: &TestApp) -> Scene {
    let (org_id, org) = organizer(app);
    let author = make_user(app, "tacgia@example.org", PASSWORD, "member");
    let author_token = make_token(app, &author);
    let idea = new_idea(app, &author_token, "Thùng rác ba ngăn đầu hẻm", true);
    let reviewer = make_user(app, "gk@example.org", PASSWORD, "reviewer");
    set_unit(app, &reviewer, "phuong-9");
    seat(app, &reviewer, 30);
    let token = make_token(app, &reviewer);
    Scene {
        org_id,
        org,
        author_token,
        idea,
        reviewer,
        token,
    }
}

fn reviewer_ids(app: &TestApp, org: &str) -> Vec<String> {
    let (code, body) = get(app, org, PANEL);
    assert_eq!(code, 200, "{body}");
    body["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_member_is_invited_accepts_once_and_becomes_a_reviewer() {
    each_engine(|app| {
        let (_, org) = organizer(app);
        let member = make_user(app, "an@example.org", PASSWORD, "member");
        let member_token = make_token(app, &member);

        let (code, inv) = post(
            app,
            &org,
            PANEL,
            json!({"email": " An@Example.org ", "cap": 12}),
        );
        assert_eq!(code, 201, "{inv}");
        assert_eq!(inv["email"], "an@example.org");
        assert_eq!(
            (inv["cap"].as_i64(), inv["status"].as_str()),
            (Some(12), Some("pending"))
        );
        let (subject, mail) = last_mail(app, "an@example.org", "reviewer_invitation").unwrap();
        assert!(subject.contains("hội đồng chấm"), "{subject}");
        assert!(
            mail.contains("Sáng tạo trẻ 2026")
                && mail.contains("tối đa 12 ý tưởng")
                && mail.contains("14 ngày"),
            "{mail}"
        );
        let token = invitation_token(app, "an@example.org");
        // Only the hash is stored.
        let stored: String = reviewer_invitations::table
            .select(reviewer_invitations::token_hash)
            .first(&mut app.conn())
            .unwrap();
        assert_ne!(stored, token);
        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["invitations"][0]["email"], "an@example.org");
        assert!(panel["reviewers"].as_array().unwrap().is_empty());

        // The link's page, signed in as the invited member: an accept button.
        let (code, page) = {
            as_person(
                app,
                &member_token,
                "GET",
                &format!("/invitation?token={token}"),
                &[],
            )
        };
        assert_eq!(code, 200);
        assert!(
            page.contains("Nhận lời") && page.contains("an@example.org"),
            "{page}"
        );

        // Someone else signed in cannot take it.
        let other = make_user(app, "binh@example.org", PASSWORD, "member");
        let other_token = make_token(app, &other);
        assert_rule(
            accept(app, &other_token, &token),
            "invitation_other_account",
        );

        let (code, mine) = accept(app, &member_token, &token);
        assert_eq!(code, 200, "{mine}");
        assert_eq!(
            (mine["contest"].as_str(), mine["cap"].as_i64()),
            (Some(CONTEST), Some(12))
        );
        assert_eq!(role_of(app, &member), "reviewer");
        assert_eq!(reviewer_ids(app, &org), vec![member.clone()]);
        let (_, panel) = get(app, &org, PANEL);
        assert!(
            panel["invitations"].as_array().unwrap().is_empty(),
            "{panel}"
        );

        // A second use is refused, through the API and the page.
        assert_rule(accept(app, &member_token, &token), "invitation_accepted");
        let (code, page) = app.html(&format!("/invitation?token={token}"));
        assert_eq!(code, 410);
        assert!(page.contains("Lời mời này đã được nhận"), "{page}");
        // Inviting them again: already on the panel.
        let before = invitation_count(app);
        let (code, err) = post(app, &org, PANEL, json!({"email": "an@example.org"}));
        assert_eq!(code, 400);
        assert_eq!(
            err["error"]["fields"]["email"][0]["code"],
            "already_on_panel"
        );
        assert_eq!(invitation_count(app), before);

        // "My contests as reviewer": the API and the page.
        let (code, list) = get(app, &member_token, "/api/v1/me/panels");
        assert_eq!(code, 200);
        assert_eq!(list[0]["title"], "Sáng tạo trẻ 2026");
        assert_eq!(
            (list[0]["cap"].as_i64(), list[0]["load"].as_i64()),
            (Some(12), Some(0))
        );
        let (code, page) = as_person(app, &member_token, "GET", "/review", &[]);
        assert_eq!(code, 200);
        assert!(page.contains("Sáng tạo trẻ 2026"));

        // An organizer who accepts stays an organizer (a role is never lowered).
        let senior = make_user(app, "chi@example.org", PASSWORD, "organizer");
        post(app, &org, PANEL, json!({"email": "chi@example.org"}));
        let token = invitation_token(app, "chi@example.org");
        let (code, mine) = post(
            app,
            &make_token(app, &senior),
            "/api/v1/invitations/accept",
            json!({"token": token}),
        );
        assert_eq!(code, 200, "{mine}");
        assert_eq!(mine["cap"], 30, "the default cap");
        assert_eq!(role_of(app, &senior), "organizer");
        // The audit log has the invitations and the acceptances.
        let kinds: Vec<String> = events::table
            .filter(events::kind.like("panel.%"))
            .select(events::kind)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(kinds.iter().filter(|k| *k == "panel.invited").count(), 2);
        assert_eq!(kinds.iter().filter(|k| *k == "panel.joined").count(), 2);
    });
}

#[test]
fn someone_without_an_account_creates_one_from_the_link() {
    each_engine(|app| {
        let (_, org) = organizer(app);
        let (code, _) = post(
            app,
            &org,
            PANEL,
            json!({"email": "moi@example.org", "cap": 5}),
        );
        assert_eq!(code, 201);
        let token = invitation_token(app, "moi@example.org");
        let client = new_client();
        let url = app.url(&format!("/invitation?token={token}"));
        let page = client.get(&url).send().unwrap().text().unwrap();
        assert!(page.contains("Tạo tài khoản và nhận lời"), "{page}");
        let csrf = form_csrf(&page);

        // A short password: the form again, the name kept, nothing created.
        let r = client
            .post(app.url("/invitation/join"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("token", &token),
                ("display_name", "Lê Minh Tâm"),
                ("password", "ngắn"),
                ("unit", "phuong-5"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let again = unescape(&r.text().unwrap());
        assert!(
            again.contains("Mật khẩu phải có") && again.contains("Lê Minh Tâm"),
            "{again}"
        );
        let none: i64 = users::table
            .filter(users::email.eq("moi@example.org"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(none, 0);

        let r = client
            .post(app.url("/invitation/join"))
            .form(&form(&[
                ("_csrf", &csrf),
                ("token", &token),
                ("display_name", "Lê Minh Tâm"),
                ("password", PASSWORD),
                ("unit", "phuong-5"),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(r.headers()["location"], "/review?notice=panel_joined");
        // Signed in straight away: the reviewer's page lists the contest.
        let page = client
            .get(app.url("/review?notice=panel_joined"))
            .send()
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let page = page.text().unwrap();
        assert!(
            page.contains("Sáng tạo trẻ 2026") && page.contains("Bạn đã tham gia"),
            "{page}"
        );
        let (role, verified, name): (String, Option<chrono::NaiveDateTime>, String) = users::table
            .filter(users::email.eq("moi@example.org"))
            .select((users::role, users::email_verified_at, users::display_name))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!((role.as_str(), name.as_str()), ("reviewer", "Lê Minh Tâm"));
        assert!(verified.is_some(), "the link proved the email");
        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["reviewers"][0]["name"], "Lê Minh Tâm");
        assert_eq!(panel["reviewers"][0]["unit"], "Phường 5");
        assert_eq!(panel["reviewers"][0]["cap"], 5);

        // The link is used up: the page says so, and a second account cannot be made from it.
        let r = new_client().get(&url).send().unwrap();
        assert_eq!(r.status().as_u16(), 410);
        let (code, err) = call(
            app,
            "POST",
            None,
            "/api/v1/invitations/join",
            Some(json!({"token": token, "display_name": "Kẻ khác", "password": PASSWORD})),
        );
        assert_eq!(code, 409, "{err}");

        // Through the API: a new person joins with the token and a name and password.
        post(app, &org, PANEL, json!({"email": "api@example.org"}));
        let token = invitation_token(app, "api@example.org");
        let (code, body) = call(
            app,
            "POST",
            None,
            "/api/v1/invitations/join",
            Some(json!({"token": token, "display_name": "Phạm Thu", "password": PASSWORD})),
        );
        assert_eq!(code, 201, "{body}");
        assert_eq!(reviewer_ids(app, &org).len(), 2);
    });
}

#[test]
fn expired_unknown_and_declined_links_are_refused_and_nothing_changes() {
    each_engine(|app| {
        let (_, org) = organizer(app);
        let member = make_user(app, "an@example.org", PASSWORD, "member");
        let member_token = make_token(app, &member);
        post(app, &org, PANEL, json!({"email": "an@example.org"}));
        let token = invitation_token(app, "an@example.org");

        // Unknown link: a clear page, 404.
        let (code, page) = app.html("/invitation?token=khong-ton-tai");
        assert_eq!(code, 404);
        assert!(page.contains("Đường dẫn không đúng"), "{page}");
        let (code, page) = app.html("/invitation");
        assert_eq!(code, 404, "{page}");

        // Expired after 14 days.
        let expires: chrono::NaiveDateTime = reviewer_invitations::table
            .select(reviewer_invitations::expires_at)
            .first(&mut app.conn())
            .unwrap();
        let sent: chrono::NaiveDateTime = reviewer_invitations::table
            .select(reviewer_invitations::created_at)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(expires - sent, chrono::Duration::days(14));
        diesel::update(reviewer_invitations::table)
            .set(
                reviewer_invitations::expires_at
                    .eq(sangtao::db::now() - chrono::Duration::minutes(1)),
            )
            .execute(&mut app.conn())
            .unwrap();
        let (code, page) = app.html(&format!("/invitation?token={token}"));
        assert_eq!(code, 410);
        assert!(page.contains("đã hết hạn"), "{page}");
        assert_rule(accept(app, &member_token, &token), "invitation_expired");
        assert!(reviewer_ids(app, &org).is_empty());
        assert_eq!(role_of(app, &member), "member", "nothing changed");
        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["invitations"][0]["status"], "expired");

        // Once expired, the address can be invited again; declining needs only the link.
        let (code, _) = post(app, &org, PANEL, json!({"email": "an@example.org"}));
        assert_eq!(code, 201);
        let token = invitation_token(app, "an@example.org");
        let (code, _) = call(
            app,
            "POST",
            None,
            "/api/v1/invitations/decline",
            Some(json!({"token": token})),
        );
        assert_eq!(code, 204);
        assert_rule(accept(app, &member_token, &token), "invitation_declined");
        assert!(reviewer_ids(app, &org).is_empty());

        // Declining through the page.
        post(app, &org, PANEL, json!({"email": "an@example.org"}));
        let token = invitation_token(app, "an@example.org");
        let client = new_client();
        let page = client
            .get(app.url(&format!("/invitation?token={token}")))
            .send()
            .unwrap()
            .text()
            .unwrap();
        // The address has an account: sign in to accept.
        assert!(page.contains("Đăng nhập để nhận lời"), "{page}");
        let r = client
            .post(app.url("/invitation/decline"))
            .form(&form(&[("_csrf", &form_csrf(&page)), ("token", &token)]))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.text().unwrap().contains("Bạn đã từ chối"));
    });
}

#[test]
fn invitations_refuse_bad_input_and_people_outside_the_contest() {
    each_engine(|app| {
        let (_, org) = organizer(app);
        let before = invitation_count(app);
        for (body, field, code) in [
            (json!({"email": "khong-phai-email"}), "email", "email"),
            (json!({"email": ""}), "email", "required"),
            (json!({"email": "a@example.org", "cap": 0}), "cap", "range"),
            (
                json!({"email": "a@example.org", "cap": 1001}),
                "cap",
                "range",
            ),
        ] {
            refused(app, &org, "POST", PANEL, &body, field, code);
        }
        let (_, err) = post(
            app,
            &org,
            PANEL,
            json!({"email": "a@example.org", "cap": 0}),
        );
        assert_eq!(err["error"]["fields"]["cap"][0]["params"]["max"], "1000");
        let (status, _) = post(
            app,
            &org,
            PANEL,
            json!({"email": "a@example.org", "cap": "mười"}),
        );
        assert_eq!(status, 400);
        // A pending invitation is not sent twice.
        let (status, _) = post(
            app,
            &org,
            PANEL,
            json!({"email": "a@example.org", "cap": 1000}),
        );
        assert_eq!(status, 201);
        let (status, err) = post(app, &org, PANEL, json!({"email": "A@example.org"}));
        assert_eq!(status, 409);
        assert_eq!(
            err["error"]["fields"]["email"][0]["code"],
            "already_invited"
        );
        assert_eq!(invitation_count(app), before + 1);

        // A member, a reviewer, and an organizer of another unit: 403, nothing sent.
        let member = make_token(app, &make_user(app, "tv@example.org", PASSWORD, "member"));
        let reviewer = make_token(app, &make_user(app, "gk@example.org", PASSWORD, "reviewer"));
        let ward_org = make_user(app, "btc-p1@example.org", PASSWORD, "organizer");
        set_unit(app, &ward_org, "phuong-1");
        let ward_org = make_token(app, &ward_org);
        for token in [&member, &reviewer, &ward_org] {
            let (status, err) = post(app, token, PANEL, json!({"email": "b@example.org"}));
            assert_eq!(status, 403, "{err}");
            assert_eq!(get(app, token, PANEL).0, 403);
            assert_eq!(get(app, token, CONFLICTS).0, 403);
            assert_eq!(as_person(app, token, "GET", PAGE, &[]).0, 403);
        }
        assert_eq!(invitation_count(app), before + 1);
        assert!(last_mail(app, "b@example.org", "reviewer_invitation").is_none());
        assert_eq!(get(app, &org, "/api/v1/contests/khong-co/panel").0, 404);
    });
}

#[test]
fn caps_loads_and_removal_on_the_api_and_the_page() {
    each_engine(|app| {
        let (org_id, org) = organizer(app);
        let author = make_user(app, "tacgia@example.org", PASSWORD, "member");
        let author_token = make_token(app, &author);
        let idea_a = new_idea(app, &author_token, "Thùng rác ba ngăn đầu hẻm", true);
        let idea_b = new_idea(app, &author_token, "Ngày hội đổi rác lấy cây xanh", true);
        let reviewer = make_user(app, "gk@example.org", PASSWORD, "reviewer");
        set_unit(app, &reviewer, "phuong-12");
        seat(app, &reviewer, 30);
        assign(app, &idea_a, &reviewer, &org_id, "accepted");
        assign(app, &idea_b, &reviewer, &org_id, "proposed");
        let path = format!("{PANEL}/{reviewer}");

        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["reviewers"][0]["load"], 2, "{panel}");
        let (code, m) = call(app, "PATCH", Some(&org), &path, Some(json!({"cap": 2})));
        assert_eq!((code, m["cap"].as_i64()), (200, Some(2)), "{m}");
        for (body, want) in [
            (json!({"cap": 1}), "below_load"),
            (json!({"cap": 0}), "range"),
            (json!({"cap": 1001}), "range"),
            (json!({}), "required"),
        ] {
            refused(app, &org, "PATCH", &path, &body, "cap", want);
        }
        let (code, _) = call(
            app,
            "PATCH",
            Some(&org),
            &format!("{PANEL}/{author}"),
            Some(json!({"cap": 5})),
        );
        assert_eq!(code, 404, "not on the panel");
        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["reviewers"][0]["cap"], 2, "unchanged by the refusals");

        // The page: the panel with its loads; a refused cap is shown on its row, in Vietnamese.
        let (code, page) = as_person(app, &org, "GET", PAGE, &[]);
        assert_eq!(code, 200);
        assert!(
            page.contains("gk@example.org") && page.contains("2 / 2") && page.contains("Phường 12"),
            "{page}"
        );
        let (code, html) = as_person(
            app,
            &org,
            "POST",
            &format!("{PAGE}/{reviewer}/cap"),
            &[("cap", "0")],
        );
        assert_eq!(code, 400);
        assert!(html.contains("Phải là số nguyên từ 1 đến 1000"), "{html}");
        assert!(
            html.contains(&format!("id=\"e-cap-{reviewer}\"")),
            "the message is on the row"
        );
        let (code, html) = as_person(
            app,
            &org,
            "POST",
            PAGE,
            &[("email", "sai-dinh-dang"), ("cap", "30")],
        );
        assert_eq!(code, 400);
        assert!(
            html.contains("Địa chỉ email không đúng định dạng") && html.contains("sai-dinh-dang"),
            "{html}"
        );
        let (code, _) = as_person(
            app,
            &org,
            "POST",
            PAGE,
            &[("email", "moi@example.org"), ("cap", "")],
        );
        assert_eq!(code, 303);
        assert!(last_mail(app, "moi@example.org", "reviewer_invitation").is_some());
        let (code, _) = as_person(
            app,
            &org,
            "POST",
            &format!("{PAGE}/{reviewer}/cap"),
            &[("cap", "40")],
        );
        assert_eq!(code, 303);

        // Removal frees what they held; a second removal finds nobody.
        let (code, _) = as_person(
            app,
            &org,
            "POST",
            &format!("{PAGE}/{reviewer}/remove"),
            &[("x", "y")],
        );
        assert_eq!(code, 303);
        assert!(reviewer_ids(app, &org).is_empty());
        let statuses: Vec<String> = assignments::table
            .filter(assignments::reviewer_id.eq(&reviewer))
            .select(assignments::status)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(statuses, vec!["removed", "removed"]);
        let (code, _) = call(app, "DELETE", Some(&org), &path, None);
        assert_eq!(code, 404);
        seat(app, &reviewer, 3);
        let (code, _) = call(app, "DELETE", Some(&org), &path, None);
        assert_eq!(code, 204);
    });
}

/// (idea, reviewer) → kind of the conflicts the organizers' API lists.
fn conflict_kinds(app: &TestApp, org: &str, idea: &str) -> Vec<(String, String, String)> {
    let (code, body) = get(app, org, CONFLICTS);
    assert_eq!(code, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["idea_id"] == idea)
        .map(|c| {
            (
                c["reviewer_id"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
                c["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_portal_finds_conflicts_for_each_relation_of_units() {
    each_engine(|app| {
        let (_, org) = organizer(app);
        // The author is at Phường 4 (make_user's unit); a co-author at Phường 7.
        let author = make_user(app, "tacgia@example.org", PASSWORD, "member");
        let author_token = make_token(app, &author);
        let coauthor = make_user(app, "dongtacgia@example.org", PASSWORD, "member");
        set_unit(app, &coauthor, "phuong-7");
        let idea = new_idea(app, &author_token, "Thùng rác ba ngăn đầu hẻm", true);
        let (code, body) = post(
            app,
            &author_token,
            &format!("/api/v1/ideas/{idea}/coauthors"),
            json!({"email": "dongtacgia@example.org"}),
        );
        assert!(code == 200 || code == 201, "{code} {body}");

        let mut people = Vec::new();
        for (email, unit) in [
            ("cung-phuong@example.org", "phuong-4"),
            ("quan@example.org", "quan-10"),
            ("thanh-pho@example.org", "tp-ho-chi-minh"),
            ("phuong-ben@example.org", "phuong-5"),
            ("phuong-dong-tac-gia@example.org", "phuong-7"),
            ("truong@example.org", "thpt-nguyen-du"),
        ] {
            let id = make_user(app, email, PASSWORD, "reviewer");
            set_unit(app, &id, unit);
            seat(app, &id, 30);
            people.push(id);
        }
        seat(app, &author, 30);
        seat(app, &coauthor, 30);
        let [same_ward, district, city, sibling, coauthor_ward, school] =
            people.try_into().unwrap();

        let found = conflict_kinds(app, &org, &idea);
        let kind_of = |who: &str| {
            found
                .iter()
                .find(|(r, _, _)| r == who)
                .map(|(_, k, s)| (k.as_str(), s.as_str()))
        };
        assert_eq!(kind_of(&same_ward), Some(("unit", "portal")), "same ward");
        assert_eq!(
            kind_of(&coauthor_ward),
            Some(("unit", "portal")),
            "the co-author's ward"
        );
        assert_eq!(kind_of(&author), Some(("author", "portal")));
        assert_eq!(kind_of(&coauthor), Some(("coauthor", "portal")));
        assert_eq!(
            kind_of(&district),
            None,
            "a district reviewer and a ward below"
        );
        assert_eq!(kind_of(&city), None, "a city reviewer");
        assert_eq!(kind_of(&sibling), None, "sibling wards");
        assert_eq!(kind_of(&school), None, "a school beside the ward");
        assert_eq!(found.len(), 4, "{found:?}");
        // The city-level reviewer is in conflict with no idea at all.
        let (_, all) = get(app, &org, CONFLICTS);
        assert!(
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["reviewer_id"] != city.as_str()),
            "{all}"
        );

        // What the assignment code will call: the same pairs.
        let mut conn = app.conn();
        let contest = sangtao::db::catalog::contest_by_slug(&mut conn, CONTEST)
            .unwrap()
            .unwrap();
        let pairs = sangtao::app::conflicts::pairs(&mut conn, &contest).unwrap();
        for who in [&same_ward, &coauthor_ward, &author, &coauthor] {
            assert!(pairs.contains(&(idea.clone(), who.clone())), "{who}");
        }
        for who in [&district, &city, &sibling, &school] {
            assert!(!pairs.contains(&(idea.clone(), who.clone())), "{who}");
        }
    });
}

#[test]
fn reviewers_declare_conflicts_and_organizers_see_them() {
    each_engine(|app| {
        let Scene {
            org_id,
            org,
            author_token,
            idea,
            reviewer,
            token,
        } = scene(app);
        let draft = new_idea(app, &author_token, "Bản nháp", false);
        let reason = "Tác giả là cháu ruột của tôi.";

        for (body, field, code) in [
            (
                json!({"idea_id": idea, "kind": "friend", "reason": reason}),
                "kind",
                "unknown_conflict_kind",
            ),
            (
                json!({"idea_id": idea, "kind": "family", "reason": "  "}),
                "reason",
                "reason_required",
            ),
            (
                json!({"kind": "family", "reason": reason}),
                "idea_id",
                "required",
            ),
        ] {
            refused(app, &token, "POST", CONFLICTS, &body, field, code);
        }
        let (status, _) = post(
            app,
            &token,
            CONFLICTS,
            json!({"idea_id": draft, "kind": "family", "reason": reason}),
        );
        assert_eq!(status, 404, "a draft is no idea of the contest yet");
        let old: String = {
            use sangtao::db::schema::{contests, ideas};
            ideas::table
                .inner_join(contests::table)
                .filter(contests::slug.eq("sang-tao-tre-2021"))
                .select(ideas::id)
                .first(&mut app.conn())
                .unwrap()
        };
        let (status, _) = post(
            app,
            &token,
            CONFLICTS,
            json!({"idea_id": old, "kind": "family", "reason": reason}),
        );
        assert_eq!(status, 404, "an idea of another contest");
        // Not on the panel, or not a reviewer at all: 403.
        let outsider = make_token(
            app,
            &make_user(app, "khac@example.org", PASSWORD, "reviewer"),
        );
        let (status, _) = post(
            app,
            &outsider,
            CONFLICTS,
            json!({"idea_id": idea, "kind": "family", "reason": reason}),
        );
        assert_eq!(status, 403);
        let (status, _) = post(
            app,
            &author_token,
            CONFLICTS,
            json!({"idea_id": idea, "kind": "family", "reason": reason}),
        );
        assert_eq!(status, 403);
        let none: i64 = conflicts::table
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(none, 0, "nothing recorded");

        // A private idea is one they cannot see, unless it is assigned to them.
        let private = new_idea(app, &author_token, "Ý tưởng chưa công khai", true);
        {
            use sangtao::db::schema::ideas;
            diesel::update(ideas::table.find(&private))
                .set(ideas::is_public.eq(false))
                .execute(&mut app.conn())
                .unwrap();
        }
        let declare_private = || {
            post(
                app,
                &token,
                CONFLICTS,
                json!({"idea_id": private, "kind": "school", "reason": "Tôi dạy ở trường của nhóm."}),
            )
        };
        let (status, err) = declare_private();
        assert_eq!(status, 404, "{err}");
        assert!(!err.to_string().contains("chưa công khai"), "{err}");
        assign(app, &private, &reviewer, &org_id, "assigned");
        let (status, c) = declare_private();
        assert_eq!(status, 201, "{c}");
        assert_eq!(c["idea_title"], "Ý tưởng chưa công khai");

        let (status, c) = post(
            app,
            &token,
            CONFLICTS,
            json!({"idea_id": idea, "kind": "family", "reason": reason}),
        );
        assert_eq!(status, 201, "{c}");
        assert_eq!(
            (c["kind"].as_str(), c["source"].as_str()),
            (Some("family"), Some("reviewer"))
        );
        let (status, err) = post(
            app,
            &token,
            CONFLICTS,
            json!({"idea_id": idea, "kind": "family", "reason": reason}),
        );
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (409, Some("conflict_already_declared"))
        );
        let (status, _) = post(
            app,
            &token,
            CONFLICTS,
            json!({"idea_id": idea, "kind": "mentor", "reason": "Tôi hướng dẫn nhóm."}),
        );
        assert_eq!(status, 201);

        let kinds = conflict_kinds(app, &org, &idea);
        assert!(
            kinds.contains(&(reviewer.clone(), "family".into(), "reviewer".into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&(reviewer.clone(), "mentor".into(), "reviewer".into())),
            "{kinds:?}"
        );
        let mut conn = app.conn();
        let contest = sangtao::db::catalog::contest_by_slug(&mut conn, CONTEST)
            .unwrap()
            .unwrap();
        assert!(
            sangtao::app::conflicts::pairs(&mut conn, &contest)
                .unwrap()
                .contains(&(idea.clone(), reviewer.clone()))
        );
        drop(conn);
        // The panel page shows the declaration with its reason.
        let page = unescape(&as_person(app, &org, "GET", PAGE, &[]).1);
        assert!(
            page.contains(reason) && page.contains("Người thân"),
            "{page}"
        );
    });
}

#[test]
fn a_reviewer_recuses_with_a_reason_and_the_slot_is_freed() {
    each_engine(|app| {
        let Scene {
            org_id,
            org,
            author_token,
            idea,
            reviewer,
            token,
        } = scene(app);
        let other_idea = new_idea(app, &author_token, "Ngày hội đổi rác lấy cây xanh", true);
        let colleague = make_token(
            app,
            &make_user(app, "gk2@example.org", PASSWORD, "reviewer"),
        );
        let a = assign(app, &idea, &reviewer, &org_id, "accepted");
        let proposed = assign(app, &other_idea, &reviewer, &org_id, "proposed");
        let recuse = |t: &str, id: &str, body: Value| {
            post(app, t, &format!("/api/v1/assignments/{id}/recuse"), body)
        };
        let reason = "Tôi từng góp ý cho nhóm tác giả khi họ viết ý tưởng.";

        let (status, err) = recuse(&token, &a, json!({}));
        assert_eq!(status, 400);
        assert_eq!(
            err["error"]["fields"]["reason"][0]["code"],
            "reason_required"
        );
        assert_eq!(
            recuse(&colleague, &a, json!({"reason": reason})).0,
            404,
            "someone else's"
        );
        assert_eq!(
            recuse(&token, &proposed, json!({"reason": reason})).0,
            404,
            "not told yet"
        );
        assert_eq!(recuse(&token, "khong-co", json!({"reason": reason})).0, 404);
        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["reviewers"][0]["load"], 2);

        assert_eq!(recuse(&token, &a, json!({"reason": reason})).0, 204);
        let (status, why): (String, Option<String>) = assignments::table
            .find(&a)
            .select((assignments::status, assignments::reason))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!((status.as_str(), why.as_deref()), ("recused", Some(reason)));
        let (_, panel) = get(app, &org, PANEL);
        assert_eq!(panel["reviewers"][0]["load"], 1, "the slot is free");
        let declared: Vec<(String, String, Option<String>)> = conflicts::table
            .filter(conflicts::idea_id.eq(&idea))
            .select((conflicts::kind, conflicts::reason, conflicts::declared_by))
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(
            declared,
            vec![("other".into(), reason.into(), Some(reviewer.clone()))]
        );
        let (_, log) = get(app, &org, "/api/v1/contests/sang-tao-tre-2026/audit");
        let entry = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "recused")
            .unwrap_or_else(|| panic!("{log}"));
        assert_eq!(entry["idea_id"], idea.as_str());
        assert_eq!(entry["reason"], reason);
        assert_eq!(entry["actor"], "Người dùng reviewer");

        let (status, err) = recuse(&token, &a, json!({"reason": reason}));
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (409, Some("not_recusable"))
        );
        let events_now: i64 = events::table
            .filter(events::kind.eq("recused"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(events_now, 1, "a refused recusal writes nothing");
        let kinds = conflict_kinds(app, &org, &idea);
        assert!(kinds.contains(&(reviewer.clone(), "other".into(), "reviewer".into())));
    });
}
