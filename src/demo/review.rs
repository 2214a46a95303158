//! The demo's finished review of "Sáng tạo trẻ 2021": a panel of nine district reviewers, a five-criterion rubric,
//! and three submitted reviews for every idea that went through review, in a closed round, so the organizer's
//! results and the audit log show a real contest on first start. Scores follow each idea's outcome (the applied
//! ideas score higher) plus each reviewer's own severity and noise, as in `sangtao simulate-review`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::app::reviews::Review;
use crate::app::rubric::{CriterionRow, Level, Round};
use crate::db::schema::{
    assignments, contest_reviewers, review_history, review_rounds, reviews, rubric_criteria,
};
use crate::db::seed::{SeedData, bulk_insert};
use crate::db::{DbConn, new_id, truncate_micros};
use crate::domain::rubric::{Criterion, Rubric};
use crate::domain::status::IdeaStatus;

/// The panel of the 2021 contest.
pub const REVIEWER_NAMES: [&str; 9] = [
    "Trần Quốc Bảo",
    "Lê Thị Hồng Nhung",
    "Nguyễn Minh Khoa",
    "Phạm Thu Hà",
    "Võ Thanh Tùng",
    "Đặng Ngọc Ánh",
    "Huỳnh Gia Huy",
    "Bùi Thị Mai",
    "Đỗ Hoàng Long",
];

/// The 2021 rubric: name, what it judges, weight, and the levels of its 1–10 scale.
const CRITERIA: [(&str, &str, f64, [&str; 4]); 5] = [
    (
        "Tính sáng tạo",
        "Ý tưởng mới so với cách làm hiện nay ở địa phương.",
        3.0,
        [
            "Đã có nơi làm y hệt",
            "Cải tiến nhỏ từ cách làm cũ",
            "Cách tiếp cận mới ở địa phương",
            "Chưa nơi nào làm, dễ nhân rộng",
        ],
    ),
    (
        "Tính khả thi",
        "Có thể làm được với nguồn lực và thủ tục hiện có.",
        3.0,
        [
            "Khó thực hiện",
            "Cần nhiều điều kiện chưa có",
            "Làm được với hỗ trợ vừa phải",
            "Làm được ngay",
        ],
    ),
    (
        "Hiệu quả",
        "Lợi ích cho người dân và cộng đồng.",
        2.0,
        [
            "Chưa rõ lợi ích",
            "Lợi ích cho một nhóm nhỏ",
            "Lợi ích rõ cho cả khu phố",
            "Lợi ích lớn, đo được",
        ],
    ),
    (
        "Chi phí hợp lý",
        "Chi phí so với hiệu quả mang lại.",
        1.0,
        ["Quá tốn kém", "Tốn kém", "Hợp lý", "Rất tiết kiệm"],
    ),
    (
        "Tính bền vững",
        "Có thể duy trì lâu dài sau khi triển khai.",
        1.0,
        [
            "Khó duy trì",
            "Duy trì được nếu có tài trợ",
            "Đơn vị tự duy trì được",
            "Cộng đồng tự duy trì",
        ],
    ),
];

const COMMENTS: [&str; 6] = [
    "Ý tưởng thiết thực, nên làm rõ thêm kinh phí và đơn vị phối hợp.",
    "Giải pháp phù hợp với thực tế phường; cần kế hoạch duy trì sau giai đoạn đầu.",
    "Cách tiếp cận mới, có thể thí điểm ở một khu phố trước khi nhân rộng.",
    "Nên bổ sung số liệu khảo sát để chứng minh hiệu quả.",
    "Cần làm rõ vai trò của đoàn viên, thanh niên trong quá trình thực hiện.",
    "Ý tưởng hay nhưng chi phí còn cao so với quy mô áp dụng.",
];

/// What the demo's review adds to the seed.
#[derive(Debug, Default)]
pub struct ReviewSeed {
    rounds: Vec<Round>,
    criteria: Vec<CriterionRow>,
    panel: Vec<(String, String)>,
    reviews: Vec<Review>,
    /// Accepted assignments not reviewed yet: (assignment id, idea, reviewer).
    assignments: Vec<(String, String, String)>,
}

/// Adds the 2021 panel's accounts (district reviewers, so no conflict with any idea) to `data`.
pub fn add_panel(data: &mut SeedData, district_unit: &str) {
    let at = truncate_micros(data.contests[0].closes_at + Duration::days(3));
    for (n, name) in REVIEWER_NAMES.iter().enumerate() {
        let mut u = super::user(name, 0, district_unit, "reviewer", at);
        u.email = format!("giamkhao{:02}@example.org", n + 1);
        data.users.push(u);
    }
}

/// The demo rubric's criteria for round `round` of `contest_id`.
fn criteria_rows(contest_id: &str, round: i32) -> Vec<CriterionRow> {
    CRITERIA
        .iter()
        .enumerate()
        .map(|(position, (name, description, weight, levels))| {
            let levels: Vec<Level> = [1, 4, 7, 10]
                .into_iter()
                .zip(levels)
                .map(|(score, text)| Level {
                    score,
                    text: (*text).into(),
                })
                .collect();
            CriterionRow {
                id: new_id(),
                contest_id: contest_id.into(),
                round,
                position: position as i32,
                name: (*name).into(),
                description: (*description).into(),
                weight: *weight,
                min_score: 1,
                max_score: 10,
                levels: serde_json::to_string(&levels).unwrap_or_else(|_| "[]".into()),
            }
        })
        .collect()
}

/// An open first round of `contest_id` for the mixed-load benchmark: the demo rubric, `reviewers` as its panel, and
/// each of `ideas` assigned (accepted, not yet reviewed) to `per_idea` of them, spread evenly.
pub fn open_round(
    contest_id: &str,
    reviewers: &[String],
    ideas: &[String],
    per_idea: usize,
    at: NaiveDateTime,
) -> ReviewSeed {
    let mut seed = ReviewSeed {
        rounds: vec![Round {
            contest_id: contest_id.into(),
            round: 1,
            reviews_per_idea: per_idea as i32,
            due_at: Some(at + Duration::days(3650)),
            locked_at: None,
            closed_at: None,
            created_at: at,
        }],
        criteria: criteria_rows(contest_id, 1),
        panel: reviewers
            .iter()
            .map(|r| (contest_id.to_string(), r.clone()))
            .collect(),
        ..ReviewSeed::default()
    };
    if reviewers.is_empty() {
        return seed;
    }
    // Reviewer k, k + step, k + 2·step, …: distinct for each idea while per_idea · step stays below the panel size.
    let step = (reviewers.len() / per_idea.max(1)).max(1);
    for (k, idea) in ideas.iter().enumerate() {
        for j in 0..per_idea.min(reviewers.len()) {
            let r = (k + j * step) % reviewers.len();
            seed.assignments
                .push((new_id(), idea.clone(), reviewers[r].clone()));
        }
    }
    seed
}

impl ReviewSeed {
    /// The criteria of the seeded rubric.
    pub fn criteria(&self) -> &[CriterionRow] {
        &self.criteria
    }

    /// The assignments without a review yet: (assignment id, idea, reviewer).
    pub fn open_assignments(&self) -> &[(String, String, String)] {
        &self.assignments
    }
}

/// The review of the first contest's reviewed ideas by the panel [`add_panel`] added.
pub fn build(data: &SeedData) -> ReviewSeed {
    let mut rng = StdRng::seed_from_u64(2022);
    let contest = data.contests[0].clone();
    let at = truncate_micros(contest.closes_at + Duration::days(3));
    let due = at + Duration::days(21);
    let reviewers: Vec<String> = data
        .users
        .iter()
        .filter(|u| u.role == "reviewer" && u.email.starts_with("giamkhao"))
        .map(|u| u.id.clone())
        .collect();
    if reviewers.is_empty() {
        return ReviewSeed::default();
    }
    // Each reviewer's severity (points, negative is harsh) and noise, as `simulate-review` draws them.
    let style: Vec<(f64, f64)> = reviewers
        .iter()
        .map(|_| (rng.random_range(-1.2..1.2), rng.random_range(0.4..1.2)))
        .collect();
    let mut seed = ReviewSeed {
        rounds: vec![Round {
            contest_id: contest.id.clone(),
            round: 1,
            reviews_per_idea: 3,
            due_at: Some(due),
            locked_at: Some(at + Duration::days(1)),
            closed_at: Some(due + Duration::days(2)),
            created_at: at,
        }],
        panel: reviewers
            .iter()
            .map(|r| (contest.id.clone(), r.clone()))
            .collect(),
        ..ReviewSeed::default()
    };
    seed.criteria = criteria_rows(&contest.id, 1);
    let rubric = Rubric::new(
        seed.criteria
            .iter()
            .map(CriterionRow::criterion)
            .collect::<Vec<Criterion>>(),
    );
    let Ok(rubric) = rubric else {
        return ReviewSeed::default();
    };
    let reviewed: Vec<(String, IdeaStatus)> = data
        .ideas
        .iter()
        .filter(|i| i.contest_id == contest.id)
        .filter_map(|i| IdeaStatus::parse(&i.status).map(|s| (i.id.clone(), s)))
        .filter(|(_, s)| {
            matches!(
                s,
                IdeaStatus::NotSelected
                    | IdeaStatus::Selected
                    | IdeaStatus::InImplementation
                    | IdeaStatus::Implemented
                    | IdeaStatus::Discontinued
            )
        })
        .collect();
    for (k, (idea, status)) in reviewed.iter().enumerate() {
        let quality = if status.counts_as_selected() {
            7.6
        } else {
            5.2
        } + rng.random_range(-1.3..1.3);
        for j in 0..3 {
            let r = (k + j * 3) % reviewers.len();
            let (severity, noise) = style[r];
            let scores: Vec<i32> = (0..CRITERIA.len())
                .map(|_| {
                    let s = quality + severity + rng.random_range(-noise..noise);
                    s.round().clamp(1.0, 10.0) as i32
                })
                .collect();
            let weighted = rubric.weighted_score(&scores).ok();
            let when: NaiveDateTime =
                truncate_micros(at + Duration::minutes(rng.random_range(60..60 * 24 * 20)));
            let by_id: std::collections::BTreeMap<&str, i32> = seed
                .criteria
                .iter()
                .map(|c| c.id.as_str())
                .zip(scores.iter().copied())
                .collect();
            seed.reviews.push(Review {
                id: new_id(),
                assignment_id: new_id(),
                contest_id: contest.id.clone(),
                round: 1,
                idea_id: idea.clone(),
                reviewer_id: reviewers[r].clone(),
                status: "submitted".into(),
                scores: serde_json::to_string(&by_id).unwrap_or_else(|_| "{}".into()),
                weighted_score: weighted,
                confidence: Some(rng.random_range(2..=5)),
                comment_author: COMMENTS[rng.random_range(0..COMMENTS.len())].into(),
                comment_panel: String::new(),
                version: 1,
                created_at: when,
                updated_at: when,
                submitted_at: Some(when),
            });
        }
    }
    seed
}

/// Writes the review (call in the seeding transaction, after the ideas and users).
pub fn insert(conn: &mut DbConn, seed: &ReviewSeed, organizer_id: &str) -> QueryResult<()> {
    bulk_insert!(conn, review_rounds::table, seed.rounds, 10);
    bulk_insert!(conn, rubric_criteria::table, seed.criteria, 100);
    for (contest, user) in &seed.panel {
        diesel::insert_into(contest_reviewers::table)
            .values((
                contest_reviewers::contest_id.eq(contest),
                contest_reviewers::user_id.eq(user),
                contest_reviewers::cap.eq(100),
                contest_reviewers::added_at.eq(seed.rounds[0].created_at),
            ))
            .execute(conn)?;
    }
    for r in &seed.reviews {
        diesel::insert_into(assignments::table)
            .values((
                assignments::id.eq(&r.assignment_id),
                assignments::contest_id.eq(&r.contest_id),
                assignments::round.eq(r.round),
                assignments::idea_id.eq(&r.idea_id),
                assignments::reviewer_id.eq(&r.reviewer_id),
                assignments::status.eq("accepted"),
                assignments::due_at.eq(seed.rounds[0].due_at),
                assignments::created_by.eq(organizer_id),
                assignments::created_at.eq(seed.rounds[0].created_at),
                assignments::updated_at.eq(r.created_at),
                assignments::notified_at.eq(Some(seed.rounds[0].created_at)),
            ))
            .execute(conn)?;
    }
    let Some(first) = seed.rounds.first() else {
        return Ok(());
    };
    for chunk in seed.assignments.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, idea, reviewer)| {
                (
                    assignments::id.eq(id),
                    assignments::contest_id.eq(&first.contest_id),
                    assignments::round.eq(first.round),
                    assignments::idea_id.eq(idea),
                    assignments::reviewer_id.eq(reviewer),
                    assignments::status.eq("accepted"),
                    assignments::due_at.eq(first.due_at),
                    assignments::created_by.eq(organizer_id),
                    assignments::created_at.eq(first.created_at),
                    assignments::updated_at.eq(first.created_at),
                    assignments::notified_at.eq(Some(first.created_at)),
                )
            })
            .collect();
        // One statement per 500 rows (a bulk load), with the concrete connection: multi-row inserts do not go
        // through the multi-connection.
        match conn {
            DbConn::Sqlite(c) => diesel::insert_into(assignments::table)
                .values(rows)
                .execute(c)?,
            DbConn::Postgres(c) => diesel::insert_into(assignments::table)
                .values(rows)
                .execute(c)?,
        };
    }
    bulk_insert!(conn, reviews::table, seed.reviews, 200);
    for r in &seed.reviews {
        diesel::insert_into(review_history::table)
            .values((
                review_history::review_id.eq(&r.id),
                review_history::version.eq(r.version),
                review_history::scores.eq(&r.scores),
                review_history::weighted_score.eq(r.weighted_score),
                review_history::confidence.eq(r.confidence),
                review_history::comment_author.eq(&r.comment_author),
                review_history::comment_panel.eq(&r.comment_panel),
                review_history::changed_by.eq(&r.reviewer_id),
                review_history::changed_at.eq(r.created_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn an_open_round_gives_each_idea_distinct_reviewers_spread_evenly() {
        let reviewers: Vec<String> = (0..10).map(|k| format!("r{k}")).collect();
        let ideas: Vec<String> = (0..20).map(|k| format!("i{k}")).collect();
        let at = crate::demo::vn(2025, 1, 2, 8);
        let seed = open_round("c", &reviewers, &ideas, 3, at);
        assert_eq!(seed.criteria().len(), CRITERIA.len());
        assert!(seed.rounds[0].closed_at.is_none() && seed.rounds[0].locked_at.is_none());
        let mut by_idea: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut load: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, idea, reviewer) in seed.open_assignments() {
            by_idea.entry(idea).or_default().insert(reviewer);
            *load.entry(reviewer).or_default() += 1;
        }
        assert_eq!(by_idea.len(), 20);
        assert!(by_idea.values().all(|rs| rs.len() == 3), "{by_idea:?}");
        assert_eq!(load.len(), 10);
        assert!(load.values().all(|&n| n == 6), "{load:?}");
    }

    #[test]
    fn every_reviewed_idea_has_three_reviewers_and_the_applied_ones_score_higher() {
        let data = crate::demo::demo_data();
        let seed = build(&data);
        let mut by_idea: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for r in &seed.reviews {
            by_idea
                .entry(&r.idea_id)
                .or_default()
                .insert(&r.reviewer_id);
            let w = r.weighted_score.unwrap();
            assert!((1.0..=10.0).contains(&w));
        }
        assert!(by_idea.len() > 100, "{}", by_idea.len());
        assert!(
            by_idea.values().all(|rs| rs.len() == 3),
            "three distinct reviewers each"
        );
        let status: BTreeMap<&str, &str> = data
            .ideas
            .iter()
            .map(|i| (i.id.as_str(), i.status.as_str()))
            .collect();
        let mean = |applied: bool| {
            let xs: Vec<f64> = seed
                .reviews
                .iter()
                .filter(|r| {
                    IdeaStatus::parse(status[r.idea_id.as_str()])
                        .is_some_and(|s| s.counts_as_selected() == applied)
                })
                .filter_map(|r| r.weighted_score)
                .collect();
            xs.iter().sum::<f64>() / xs.len() as f64
        };
        assert!(mean(true) > mean(false) + 1.0);
    }
}
