//! A contest ready for reviewing, made through the API as an organizer would: a rubric, a panel of reviewers in
//! wards other than the author's (so no conflicts), eligible ideas, and a confirmed assignment.

use diesel::prelude::*;
use reqwest::Method;
use sangtao::db::schema::{contest_reviewers, contests, ideas};
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, make_token, make_user, set_unit};

/// The contest every review test uses.
pub const SLUG: &str = "sang-tao-tre-2026";

/// A reviewer of the fixture.
pub struct Reviewer {
    /// Account id.
    pub id: String,
    /// Bearer token.
    pub token: String,
    /// Email (also the sign-in).
    pub email: String,
}

/// What [`review_contest`] made.
pub struct ReviewContest {
    /// The organizer's token.
    pub org: String,
    /// The author's account id and token.
    pub author: (String, String),
    /// The reviewers.
    pub reviewers: Vec<Reviewer>,
    /// The ideas, in review.
    pub ideas: Vec<String>,
    /// The rubric's criterion ids, in order.
    pub criteria: Vec<String>,
}

/// The password of every account of the fixture.
pub const PASSWORD: &str = "mật khẩu của tôi";

/// The contest's id.
pub fn contest_id(app: &TestApp) -> String {
    contests::table
        .filter(contests::slug.eq(SLUG))
        .select(contests::id)
        .first(&mut app.conn())
        .unwrap()
}

/// An idea submitted through the API by `token`'s holder (with `extra` in its resources), then marked eligible
/// (screening has its own tests).
pub fn eligible_idea(app: &TestApp, token: &str, title: &str, extra: &str) -> String {
    let (code, body) = call(
        app,
        token,
        Method::POST,
        "/api/v1/ideas",
        Some(&json!({
            "contest": SLUG, "category": "giao-thong", "submit": true, "title": title,
            "summary": "Phân luồng xe trước cổng trường vào giờ tan học bằng đội thanh niên tình nguyện.",
            "situation": "Giờ tan học, phụ huynh đỗ xe tràn xuống lòng đường gây ùn tắc kéo dài.",
            "solution": "Kẻ vạch chờ đón, đoàn viên hướng dẫn phụ huynh đỗ xe theo hàng trong giờ cao điểm.",
            "impact": "Giảm ùn tắc giờ tan trường.",
            "resources": format!("Kinh phí khoảng 5 triệu đồng. {extra}"),
        })),
    );
    assert_eq!(code, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    diesel::update(ideas::table.find(&id))
        .set(ideas::status.eq("eligible"))
        .execute(&mut app.conn())
        .unwrap();
    id
}

/// The state of an idea.
pub fn status_of(app: &TestApp, id: &str) -> String {
    ideas::table
        .find(id)
        .select(ideas::status)
        .first(&mut app.conn())
        .unwrap()
}

/// A contest with `n_reviewers` reviewers (wards 1, 2, 3, 5, … : never the author's ward 4), `n_ideas` eligible
/// ideas, a two-criterion rubric asking `per_idea` reviews, proposed and confirmed.
pub fn review_contest(
    app: &TestApp,
    n_reviewers: usize,
    n_ideas: usize,
    per_idea: u32,
) -> ReviewContest {
    let author_id = make_user(app, "tacgia@example.org", PASSWORD, "member");
    let author = make_token(app, &author_id);
    let organizer = make_user(app, "btc@example.org", PASSWORD, "organizer");
    set_unit(app, &organizer, "quan-10");
    let org = make_token(app, &organizer);
    let contest = contest_id(app);
    let wards = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    let reviewers: Vec<Reviewer> = (0..n_reviewers)
        .map(|i| {
            let email = format!("giamkhao{}@example.org", i + 1);
            let id = make_user(app, &email, PASSWORD, "reviewer");
            set_unit(app, &id, &format!("phuong-{}", wards[i % wards.len()]));
            diesel::insert_into(contest_reviewers::table)
                .values((
                    contest_reviewers::contest_id.eq(&contest),
                    contest_reviewers::user_id.eq(&id),
                    contest_reviewers::cap.eq(100),
                    contest_reviewers::added_at.eq(sangtao::db::now()),
                ))
                .execute(&mut app.conn())
                .unwrap();
            Reviewer {
                token: make_token(app, &id),
                id,
                email,
            }
        })
        .collect();
    let ideas: Vec<String> = (1..=n_ideas)
        .map(|n| {
            eligible_idea(
                app,
                &author,
                &format!("Ý tưởng giao thông số {n} cho phường"),
                "",
            )
        })
        .collect();
    // The demo's ideas of this contest are kept out of review, so each test knows exactly what is assigned.
    diesel::update(
        ideas::table
            .filter(ideas::contest_id.eq(&contest))
            .filter(ideas::id.ne_all(&ideas))
            .filter(ideas::status.eq_any(["eligible", "in_review"])),
    )
    .set(ideas::status.eq("submitted"))
    .execute(&mut app.conn())
    .unwrap();
    let rubric = json!({"reviews_per_idea": per_idea, "criteria": [
        {"name": "Tính sáng tạo", "description": "Mới so với cách làm hiện nay", "weight": 2, "min_score": 1, "max_score": 5,
         "levels": [{"score": 1, "text": "Đã có nơi làm y hệt"}, {"score": 5, "text": "Chưa nơi nào làm"}]},
        {"name": "Tính khả thi", "weight": 1, "min_score": 1, "max_score": 10},
    ]});
    let (code, body) = call(
        app,
        &org,
        Method::PUT,
        &format!("/api/v1/contests/{SLUG}/rubric"),
        Some(&rubric),
    );
    assert_eq!(code, 200, "{body}");
    let criteria = body["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let base = format!("/api/v1/contests/{SLUG}/assignments");
    let (code, body) = call(app, &org, Method::POST, &format!("{base}/propose"), None);
    assert_eq!(code, 200, "{body}");
    let (code, body) = call(app, &org, Method::POST, &format!("{base}/confirm"), None);
    assert_eq!(code, 200, "{body}");
    ReviewContest {
        org,
        author: (author_id, author),
        reviewers,
        ideas,
        criteria,
    }
}

/// The reviewer's assignments as the API lists them.
pub fn assignments_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (code, body) = call(app, token, Method::GET, "/api/v1/me/assignments", None);
    assert_eq!(code, 200, "{body}");
    body["assignments"].as_array().unwrap().clone()
}

/// The reviewer's assignment of `idea`, if any.
pub fn assignment_for(app: &TestApp, token: &str, idea: &str) -> Option<String> {
    assignments_of(app, token).into_iter().find_map(|a| {
        let (code, one) = call(
            app,
            token,
            Method::GET,
            &format!("/api/v1/assignments/{}", a["id"].as_str().unwrap()),
            None,
        );
        assert_eq!(code, 200);
        (one["idea"]["id"] == idea).then(|| a["id"].as_str().unwrap().to_string())
    })
}

/// Submits a complete review: (status, body).
pub fn submit(
    app: &TestApp,
    token: &str,
    assignment: &str,
    criteria: &[String],
    scores: &[i32],
) -> (u16, Value) {
    let scores: serde_json::Map<String, Value> = criteria
        .iter()
        .zip(scores)
        .map(|(c, s)| (c.clone(), json!(s)))
        .collect();
    call(
        app,
        token,
        Method::PUT,
        &format!("/api/v1/assignments/{assignment}/review"),
        Some(
            &json!({"scores": scores, "confidence": 4, "comment_author": "Ý tưởng thiết thực.",
            "comment_panel": "Cần hỏi thêm kinh phí.", "submit": true}),
        ),
    )
}
