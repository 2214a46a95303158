//! The organizers' assignment and conflicts pages: propose and confirm from the page (the reviewers are emailed only
//! then), a refused manual assignment said beside its field with nothing changed, removal, the ideas short of
//! reviews with the reason in words, the conflicts found and declared, and nobody else let in.

use diesel::prelude::*;
use sangtao::db::schema::{assignments, contests, ideas, users};
use serde_json::json;

use crate::assignment::{eligible_idea, on_panel, status_of};
use crate::helpers::{
    TestApp, each_engine, form_csrf, mail_count, make_token, make_user, new_client, set_unit,
    unescape,
};
use crate::panel::{as_person, organizer};
use crate::screening::signed_in;

const CONTEST: &str = "sang-tao-tre-2026";
const PAGE: &str = "/organize/contests/sang-tao-tre-2026/assignments";
const CONFLICTS_PAGE: &str = "/organize/contests/sang-tao-tre-2026/conflicts";
const PASSWORD: &str = "mật khẩu của tôi";

/// The demo ideas of the contest that wait for review are set aside, so that only a test's own ideas are assigned
/// and what the solver does is known.
fn only_test_ideas(app: &TestApp) {
    let contest: String = contests::table
        .filter(contests::slug.eq(CONTEST))
        .select(contests::id)
        .first(&mut app.conn())
        .unwrap();
    diesel::update(
        ideas::table
            .filter(ideas::contest_id.eq(contest))
            .filter(ideas::status.eq_any(["eligible", "in_review"])),
    )
    .set(ideas::status.eq("submitted"))
    .execute(&mut app.conn())
    .unwrap();
}

/// A reviewer: email, unit, name.
type Person = (&'static str, &'static str, &'static str);
/// Of another ward than the authors' (Phường 4).
const AN: Person = ("gk1@example.org", "phuong-1", "Trần Thị An");
/// Of another ward too.
const BINH: Person = ("gk2@example.org", "phuong-12", "Lê Văn Bình");
/// Of the authors' own ward: in conflict with every idea of these tests.
const GAN: Person = ("gk-gan@example.org", "phuong-4", "Phạm Văn Gần");

const TITLE_A: &str = "Vạch chờ đón học sinh trước cổng trường";
const TITLE_B: &str = "Đèn tín hiệu cho hẻm đông xe máy";

/// `who` on the contest's panel with this cap, under their own name (the pages show names).
fn reviewer(app: &TestApp, (email, unit, name): Person, cap: i32) -> String {
    let id = make_user(app, email, PASSWORD, "reviewer");
    set_unit(app, &id, unit);
    diesel::update(users::table.find(&id))
        .set(users::display_name.eq(name))
        .execute(&mut app.conn())
        .unwrap();
    on_panel(app, &id, cap);
    id
}

/// The contest's organizer and a member of Phường 4 (the unit `make_user` gives): their tokens, with the demo
/// ideas set aside.
fn scene(app: &TestApp) -> (String, String) {
    let (_, org) = organizer(app);
    let author = make_token(
        app,
        &make_user(app, "tacgia@example.org", PASSWORD, "member"),
    );
    only_test_ideas(app);
    (org, author)
}

/// Saves a rubric asking for `reviews` reviews of each idea.
fn rubric(app: &TestApp, org: &str, reviews: u32) {
    let r = new_client()
        .put(app.url("/api/v1/contests/sang-tao-tre-2026/rubric"))
        .bearer_auth(org)
        .json(&json!({"reviews_per_idea": reviews, "criteria": [
            {"name": "Tính khả thi", "weight": 1, "min_score": 1, "max_score": 10}]}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Every assignment: (idea, reviewer, status), sorted.
/// The assignments of the test's contest (the demo's 2021 contest has its finished review).
fn stored(app: &TestApp) -> Vec<(String, String, String)> {
    let contest: String = sangtao::db::schema::contests::table
        .filter(sangtao::db::schema::contests::slug.eq("sang-tao-tre-2026"))
        .select(sangtao::db::schema::contests::id)
        .first(&mut app.conn())
        .unwrap();
    let mut all: Vec<(String, String, String)> = assignments::table
        .filter(assignments::contest_id.eq(contest))
        .select((
            assignments::idea_id,
            assignments::reviewer_id,
            assignments::status,
        ))
        .load(&mut app.conn())
        .unwrap();
    all.sort();
    all
}

/// The id of the assignment of `idea` to `reviewer` that is in `status`.
fn assignment_id(app: &TestApp, idea: &str, reviewer: &str, status: &str) -> String {
    assignments::table
        .filter(assignments::idea_id.eq(idea))
        .filter(assignments::reviewer_id.eq(reviewer))
        .filter(assignments::status.eq(status))
        .select(assignments::id)
        .first(&mut app.conn())
        .unwrap()
}

/// The first table row of `html` that contains every one of `texts` (the rest of the page after the last row).
fn row_with<'a>(html: &'a str, texts: &[&str]) -> &'a str {
    html.split("<tr>")
        .find(|r| texts.iter().all(|t| r.contains(t)))
        .unwrap_or_else(|| panic!("no row with {texts:?} in {html}"))
}

#[test]
fn the_page_proposes_then_confirms_and_only_then_reviewers_are_emailed() {
    each_engine(|app| {
        let (org, author) = scene(app);
        let an = reviewer(app, AN, 10);
        let binh = reviewer(app, BINH, 10);
        let a = eligible_idea(app, &author, TITLE_A);
        let b = eligible_idea(app, &author, TITLE_B);
        // A browser session: the forms must carry its CSRF token.
        let client = signed_in(app, "btc@example.org");
        let get = |path: &str| {
            let r = client.get(app.url(path)).send().unwrap();
            (r.status().as_u16(), unescape(&r.text().unwrap()))
        };
        let post = |pairs: &[(&str, &str)]| {
            let r = client.post(app.url(PAGE)).form(pairs).send().unwrap();
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (r.status().as_u16(), to, unescape(&r.text().unwrap()))
        };

        // Before the contest has a rubric, the page says why nothing can be assigned; proposing is refused in words.
        let (code, html) = get(PAGE);
        assert_eq!(code, 200);
        assert!(
            html.contains("Cuộc thi chưa có tiêu chí chấm nên chưa thể phân công"),
            "{html}"
        );
        assert!(!html.contains("Đề xuất phân công tự động"), "{html}");
        let csrf = form_csrf(&html);
        let (code, _, html) = post(&[("_csrf", &csrf), ("action", "propose")]);
        assert_eq!(code, 409);
        assert!(html.contains("Cuộc thi chưa có tiêu chí chấm."), "{html}");
        assert!(stored(app).is_empty());

        rubric(app, &org, 2);
        let (code, html) = get(PAGE);
        assert_eq!(code, 200);
        assert!(html.contains("Đề xuất phân công tự động"), "{html}");
        assert!(
            !html.contains("Xác nhận và gửi email cho giám khảo"),
            "no confirmation without a proposal: {html}"
        );
        assert!(
            html.matches(&format!("name=\"_csrf\" value=\"{csrf}\""))
                .count()
                >= 3,
            "the propose and add forms carry the token: {html}"
        );

        let (code, to, _) = post(&[("_csrf", &csrf), ("action", "propose")]);
        assert_eq!(code, 303);
        let to = to.unwrap();
        assert!(to.starts_with(&format!("{PAGE}?notice=")), "{to}");
        let mut want = vec![
            (a.clone(), an.clone(), "proposed".to_string()),
            (a.clone(), binh.clone(), "proposed".to_string()),
            (b.clone(), an.clone(), "proposed".to_string()),
            (b.clone(), binh.clone(), "proposed".to_string()),
        ];
        want.sort();
        assert_eq!(stored(app), want);
        assert_eq!(
            (mail_count(app, AN.0), mail_count(app, BINH.0)),
            (0, 0),
            "a proposal tells nobody"
        );
        assert_eq!(status_of(app, &a), "eligible");

        let (_, html) = get(&to);
        assert!(html.contains("Đã lập đề xuất phân công"), "{html}");
        assert!(
            html.contains("Đề xuất đang chờ xác nhận: 4 phân công"),
            "{html}"
        );
        assert!(html.contains("Xác nhận và gửi email cho giám khảo"));
        let proposed = row_with(&html, &[TITLE_A, BINH.2]);
        assert!(
            proposed.contains("Đề xuất, chưa báo giám khảo"),
            "{proposed}"
        );
        assert!(
            html.contains(&format!(
                "<option value=\"{binh}\">Lê Văn Bình (2/10)</option>"
            )),
            "the reviewers to pick from, with their loads: {html}"
        );
        assert!(html.contains("2 / 10"), "each reviewer's load: {html}");
        assert!(html.contains("Ý tưởng nào cũng đã đủ giám khảo"), "{html}");

        // Without the session's token the confirmation is refused and nothing happens.
        let (code, _, _) = post(&[("action", "confirm")]);
        assert_eq!(code, 403);
        assert_eq!(mail_count(app, AN.0), 0);

        let (code, to, _) = post(&[("_csrf", &csrf), ("action", "confirm")]);
        assert_eq!(code, 303);
        assert_eq!(
            (mail_count(app, AN.0), mail_count(app, BINH.0)),
            (1, 1),
            "one email to each reviewer"
        );
        assert!(stored(app).iter().all(|(_, _, s)| s == "assigned"));
        assert_eq!(
            (status_of(app, &a), status_of(app, &b)),
            ("in_review".to_string(), "in_review".to_string())
        );
        let (_, html) = get(&to.unwrap());
        assert!(
            html.contains("Đã xác nhận phân công và gửi email cho các giám khảo"),
            "{html}"
        );
        assert!(!html.contains("Xác nhận và gửi email cho giám khảo"));
        assert!(
            row_with(&html, &[TITLE_B]).contains("Đã phân công, chờ giám khảo nhận"),
            "{html}"
        );

        // Confirming again (a page left open) sends nothing more and says so.
        let (code, to, _) = post(&[("_csrf", &csrf), ("action", "confirm")]);
        assert_eq!(code, 303);
        assert!(
            get(&to.unwrap())
                .1
                .contains("Không có đề xuất nào đang chờ xác nhận")
        );
        assert_eq!(mail_count(app, AN.0), 1);
    });
}

#[test]
fn a_refused_manual_assignment_is_said_beside_its_field_and_changes_nothing() {
    each_engine(|app| {
        let (org, author) = scene(app);
        // Of the authors' own ward: in conflict with their ideas.
        let near = reviewer(app, GAN, 10);
        let an = reviewer(app, AN, 1);
        rubric(app, &org, 2);
        let a = eligible_idea(app, &author, TITLE_A);
        let b = eligible_idea(app, &author, TITLE_B);
        let add = |idea: &str, reviewer: &str| {
            as_person(
                app,
                &org,
                "POST",
                PAGE,
                &[
                    ("action", "add"),
                    ("idea_id", idea),
                    ("reviewer_id", reviewer),
                ],
            )
        };

        let (code, html) = add(&a, &near);
        assert_eq!(code, 409);
        assert!(
            html.contains(
                "<p class=\"error\" id=\"e-reviewer_id\">Giám khảo này có xung đột lợi ích với ý tưởng.</p>"
            ),
            "the sentence beside the reviewer: {html}"
        );
        assert!(html.contains("Vui lòng sửa các mục được đánh dấu bên dưới."));
        assert!(
            html.contains(&format!("<option value=\"{a}\" selected>"))
                && html.contains(&format!("<option value=\"{near}\" selected>")),
            "what was picked is kept: {html}"
        );
        assert!(stored(app).is_empty(), "nothing stored");

        let (code, html) = add(&a, "");
        assert_eq!(code, 400);
        assert!(
            html.contains("<p class=\"error\" id=\"e-reviewer_id\">Hãy chọn một giám khảo.</p>"),
            "{html}"
        );
        assert!(html.contains(&format!("<option value=\"{a}\" selected>")));

        let (code, _) = add(&a, &an);
        assert_eq!(code, 303);
        let added = vec![(a.clone(), an.clone(), "proposed".to_string())];
        assert_eq!(stored(app), added);

        // Her cap of one is taken now; and she already has the first idea.
        let (code, html) = add(&b, &an);
        assert_eq!(code, 409);
        assert!(
            html.contains("Giám khảo này đã nhận đủ số ý tưởng tối đa."),
            "{html}"
        );
        let (code, html) = add(&a, &an);
        assert_eq!(code, 409);
        assert!(
            html.contains("Giám khảo này đã được phân công ý tưởng này."),
            "{html}"
        );
        assert_eq!(stored(app), added, "unchanged by the refusals");
        assert_eq!(mail_count(app, AN.0), 0);
    });
}

#[test]
fn removing_from_the_page_drops_a_proposal_or_ends_a_confirmed_assignment() {
    each_engine(|app| {
        let (org, author) = scene(app);
        let an = reviewer(app, AN, 10);
        rubric(app, &org, 1);
        let a = eligible_idea(app, &author, TITLE_A);
        let act = |action: &str| as_person(app, &org, "POST", PAGE, &[("action", action)]).0;
        let remove = |id: &str| as_person(app, &org, "POST", &format!("{PAGE}/{id}/remove"), &[]);

        assert_eq!(act("propose"), 303);
        let id = assignment_id(app, &a, &an, "proposed");
        let (_, html) = as_person(app, &org, "GET", PAGE, &[]);
        assert!(
            html.contains(&format!("action=\"{PAGE}/{id}/remove\"")),
            "{html}"
        );
        assert_eq!(remove(&id).0, 303);
        assert!(stored(app).is_empty(), "a proposal is simply dropped");

        assert_eq!(act("propose"), 303);
        assert_eq!(act("confirm"), 303);
        let id = assignment_id(app, &a, &an, "assigned");
        assert_eq!(status_of(app, &a), "in_review");
        assert_eq!(remove(&id).0, 303);
        assert_eq!(
            stored(app),
            vec![(a.clone(), an.clone(), "removed".to_string())],
            "a confirmed assignment ends, kept for the record"
        );
        assert_eq!(
            status_of(app, &a),
            "eligible",
            "back to eligible without reviewers"
        );
        let (_, html) = as_person(
            app,
            &org,
            "GET",
            &format!("{PAGE}?notice=assignment_removed"),
            &[],
        );
        assert!(html.contains("Đã bỏ phân công."), "{html}");
        assert!(
            row_with(&html, &[TITLE_A]).contains("Chưa được đề xuất"),
            "short again: {html}"
        );

        // Twice, or an unknown one: said on the page.
        let (code, html) = remove(&id);
        assert_eq!(code, 409);
        assert!(html.contains("Phân công này đã kết thúc."), "{html}");
        let (code, html) = remove("00000000-0000-0000-0000-000000000000");
        assert_eq!(code, 404);
        assert!(html.contains("Không tìm thấy phân công này."), "{html}");
    });
}

#[test]
fn ideas_short_of_reviews_are_listed_with_the_reason_in_words() {
    each_engine(|app| {
        let (org, author) = scene(app);
        rubric(app, &org, 2);
        reviewer(app, AN, 5);
        reviewer(app, GAN, 5);
        eligible_idea(app, &author, TITLE_A);
        let propose = || as_person(app, &org, "POST", PAGE, &[("action", "propose")]).0;

        // Two reviews wanted, one reviewer free of conflict.
        assert_eq!(propose(), 303);
        let (_, html) = as_person(app, &org, "GET", PAGE, &[]);
        row_with(
            &html,
            &[
                TITLE_A,
                "Không đủ giám khảo không xung đột lợi ích cho ý tưởng này",
            ],
        );
        assert!(!html.contains("too_few_reviewers"), "no codes: {html}");

        // A second reviewer who may take one idea only, and a second idea: three reviews for four places.
        reviewer(app, BINH, 1);
        eligible_idea(app, &author, TITLE_B);
        assert_eq!(propose(), 303);
        let (_, html) = as_person(app, &org, "GET", PAGE, &[]);
        assert!(
            html.contains("Các giám khảo đã hết số ý tưởng tối đa"),
            "{html}"
        );
        assert!(
            !html.contains("Không đủ giám khảo không xung đột"),
            "{html}"
        );
        assert!(!html.contains("caps_exhausted"), "no codes: {html}");
    });
}

#[test]
fn the_conflicts_page_lists_the_found_and_the_declared_in_words() {
    each_engine(|app| {
        let (org, author) = scene(app);
        let idea = eligible_idea(app, &author, TITLE_A);
        reviewer(app, GAN, 10);
        let an = reviewer(app, AN, 10);
        let reason = "Tác giả là cháu ruột của tôi.";
        let r = new_client()
            .post(app.url("/api/v1/contests/sang-tao-tre-2026/conflicts"))
            .bearer_auth(make_token(app, &an))
            .json(&json!({"idea_id": idea, "kind": "family", "reason": reason}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);

        let (code, html) = as_person(app, &org, "GET", CONFLICTS_PAGE, &[]);
        assert_eq!(code, 200);
        let declared = row_with(&html, &[reason]);
        assert!(
            declared.contains(AN.2)
                && declared.contains(TITLE_A)
                && declared.contains("Người thân")
                && declared.contains("/20"),
            "who, which idea, the kind in words and when: {declared}"
        );
        // The ward's reviewer may be in conflict with demo ideas too: the row of this idea.
        let found = row_with(&html, &[GAN.2, TITLE_A]);
        assert!(
            found.contains(
                    "Giám khảo cùng đơn vị, cùng phường hoặc cùng trường với ý tưởng hoặc với một người trong nhóm tác giả."
                ),
            "why the portal found it: {found}"
        );
        assert!(
            !html.contains(">family<") && !html.contains(">unit<"),
            "no codes: {html}"
        );

        // Both pages are linked from the organizer's contests.
        let (_, list) = as_person(app, &org, "GET", "/organize/contests", &[]);
        assert!(
            list.contains(&format!("href=\"{PAGE}\""))
                && list.contains(&format!("href=\"{CONFLICTS_PAGE}\"")),
            "{list}"
        );
    });
}

#[test]
fn only_organizers_of_the_contest_unit_reach_the_pages() {
    each_engine(|app| {
        let (org, author) = scene(app);
        rubric(app, &org, 1);
        let an = reviewer(app, AN, 10);
        eligible_idea(app, &author, TITLE_A);
        let ward_organizer = make_user(app, "btc-phuong@example.org", PASSWORD, "organizer");
        set_unit(app, &ward_organizer, "phuong-1");
        let outsiders = [
            author.clone(),
            make_token(app, &an),
            make_token(app, &ward_organizer),
        ];
        let remove = format!("{PAGE}/x/remove");
        for token in &outsiders {
            for (method, path, pairs) in [
                ("GET", PAGE, &[][..]),
                ("POST", PAGE, &[("action", "propose")][..]),
                ("POST", remove.as_str(), &[][..]),
                ("GET", CONFLICTS_PAGE, &[][..]),
            ] {
                let (code, _) = as_person(app, token, method, path, pairs);
                assert_eq!(code, 403, "{method} {path}");
            }
        }
        assert!(stored(app).is_empty(), "the refused proposal made nothing");
        let r = new_client().get(app.url(PAGE)).send().unwrap();
        assert_eq!(r.status().as_u16(), 303, "a visitor is sent to sign in");
        // The contest's organizer does get in.
        assert_eq!(as_person(app, &org, "GET", PAGE, &[]).0, 200);
    });
}
