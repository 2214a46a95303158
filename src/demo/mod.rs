//! Demo data (Quận 10, its wards, two contests, a few hundred ideas) and generated benchmark data.
//!
//! Both are built in memory from the hand-written content in `content.rs` with a fixed random seed, so every run
//! seeds the same shape of data, and written in one transaction through `db::seed`.

pub mod content;
pub mod review;

use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::db::accounts::ApiToken;
use crate::db::catalog::{Category, Contest, ContestCategory, Unit};
use crate::db::events::Event;
use crate::db::ideas::{Adoption, Coauthor, Idea};
use crate::db::seed::{self, SeedData};
use crate::db::users::User;
use crate::db::{DbConn, DbError, new_id, truncate_micros, write_tx};
use crate::domain::status::IdeaStatus;
use content::{ADOPTION_PLANS, AUTHOR_NAMES, DemoIdea, IDEAS, MILESTONES};

/// The default categories of DESIGN.md: slug, Vietnamese name, English name.
pub const DEFAULT_CATEGORIES: [(&str, &str, &str); 7] = [
    ("giao-thong", "Giao thông", "Traffic"),
    ("van-minh-do-thi", "Văn minh đô thị", "Urban civility"),
    (
        "cai-cach-hanh-chinh",
        "Cải cách hành chính",
        "Administrative reform",
    ),
    ("moi-truong", "Môi trường", "Environment"),
    ("an-sinh-xa-hoi", "An sinh xã hội", "Social welfare"),
    ("chuyen-doi-so", "Chuyển đổi số", "Digital transformation"),
    ("khac", "Khác", "Other"),
];

const INELIGIBLE_REASONS: [&str; 4] = [
    "Ý tưởng trùng lặp với một ý tưởng đã gửi trước đó trong cùng hội thi.",
    "Nội dung chưa nêu rõ thực trạng và giải pháp theo mẫu của Ban tổ chức.",
    "Ý tưởng không thuộc phạm vi địa bàn Quận 10.",
    "Tác giả đã gửi vượt quá số ý tưởng tối đa theo thể lệ.",
];

const DECISION_NOTES: [&str; 4] = [
    "Ý tưởng có tính mới nhưng chi phí triển khai còn cao so với hiệu quả mang lại.",
    "Giải pháp phù hợp nhưng cần phối hợp nhiều ngành, chưa thể triển khai trong năm nay.",
    "Hội đồng đánh giá cao tính thực tiễn; đề nghị tác giả tiếp tục hoàn thiện cho hội thi sau.",
    "Đã có mô hình tương tự đang được phường triển khai.",
];

/// A UTC time from a date and hour in Vietnam's time (UTC+7, no daylight saving).
fn vn(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, 0, 0))
        .map(|t| t - Duration::hours(7))
        .unwrap_or_default()
}

fn unit(parent: Option<&Unit>, slug: &str, name: &str, kind: &str, at: NaiveDateTime) -> Unit {
    let id = new_id();
    let path = match parent {
        Some(p) => format!("{}{}/", p.path, id),
        None => format!("/{id}/"),
    };
    Unit {
        id,
        parent_id: parent.map(|p| p.id.clone()),
        slug: slug.into(),
        name: name.into(),
        kind: kind.into(),
        path,
        created_at: at,
    }
}

/// Units, categories and the two demo contests.
struct Base {
    units: Vec<Unit>,
    /// Indexes into `units` of the places ideas come from (wards and schools).
    places: Vec<usize>,
    district: usize,
    categories: Vec<Category>,
    contests: Vec<Contest>,
    contest_categories: Vec<ContestCategory>,
}

fn base(at: NaiveDateTime) -> Base {
    let city = unit(None, "tp-ho-chi-minh", "Thành phố Hồ Chí Minh", "city", at);
    let district = unit(Some(&city), "quan-10", "Quận 10", "district", at);
    let mut units = vec![city, district];
    for n in 1..=15 {
        let u = unit(
            Some(&units[1]),
            &format!("phuong-{n}"),
            &format!("Phường {n}"),
            "ward",
            at,
        );
        units.push(u);
    }
    for (slug, name) in [
        ("thpt-nguyen-khuyen", "Trường THPT Nguyễn Khuyến"),
        ("thpt-nguyen-du", "Trường THPT Nguyễn Du"),
    ] {
        let u = unit(Some(&units[1]), slug, name, "school", at);
        units.push(u);
    }
    let places = (2..units.len()).collect();
    let categories: Vec<Category> = DEFAULT_CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, (slug, vi, en))| Category {
            id: new_id(),
            slug: (*slug).into(),
            name_vi: (*vi).into(),
            name_en: (*en).into(),
            position: i as i32,
        })
        .collect();
    let contest = |slug: &str, title: &str, description: &str, opens, closes, blind| Contest {
        id: new_id(),
        unit_id: units[1].id.clone(),
        slug: slug.into(),
        title: title.into(),
        description: description.into(),
        rules: RULES.into(),
        opens_at: opens,
        closes_at: closes,
        max_ideas_per_member: 5,
        ideas_public: true,
        blind_review: blind,
        created_at: at,
        updated_at: at,
    };
    let contests = vec![
        contest(
            "sang-tao-tre-2021",
            "Sáng tạo trẻ 2021",
            "Hội thi ý tưởng sáng tạo do Ủy ban Hội Liên hiệp Thanh niên Quận 10 phát động, nhằm phát huy ý tưởng \
             của thanh niên gắn với việc giải quyết các thực trạng tại đơn vị: xây dựng văn minh đô thị, cải cách \
             thủ tục hành chính, giảm ùn tắc giao thông và ô nhiễm môi trường trên địa bàn quận.",
            vn(2021, 3, 1, 0),
            vn(2021, 9, 30, 23),
            true,
        ),
        contest(
            "sang-tao-tre-2026",
            "Sáng tạo trẻ 2026",
            "Mùa thi mới của phong trào “Sáng tạo trẻ” Quận 10: mời đoàn viên, hội viên và thanh niên từ 16 đến 35 \
             tuổi gửi ý tưởng xây dựng đô thị thông minh, hiện đại, gần dân và vì dân.",
            vn(2026, 9, 1, 0),
            vn(2027, 1, 31, 23),
            false,
        ),
    ];
    let contest_categories = contests
        .iter()
        .flat_map(|c| {
            categories.iter().map(|cat| ContestCategory {
                contest_id: c.id.clone(),
                category_id: cat.id.clone(),
                position: cat.position,
            })
        })
        .collect();
    Base {
        district: 1,
        units,
        places,
        categories,
        contests,
        contest_categories,
    }
}

const RULES: &str = "1. Đối tượng: đoàn viên, hội viên, thanh niên từ 16 đến 35 tuổi đang sinh sống, học tập, làm việc \
trên địa bàn Quận 10; có thể tham gia cá nhân hoặc nhóm (tối đa 5 người).\n\
2. Mỗi người gửi tối đa 5 ý tưởng; ý tưởng phải nêu rõ thực trạng, giải pháp, hiệu quả dự kiến và nguồn lực cần thiết.\n\
3. Ý tưởng chưa từng đạt giải tại hội thi khác; không sao chép ý tưởng của người khác.\n\
4. Hội đồng giám khảo chấm theo các tiêu chí: tính sáng tạo, tính khả thi, hiệu quả, chi phí hợp lý và tính bền vững.\n\
5. Những ý tưởng xuất sắc được giới thiệu đến các đơn vị để ứng dụng vào thực tiễn và được theo dõi công khai trên cổng.";

fn user(name: &str, n: usize, unit_id: &str, role: &str, at: NaiveDateTime) -> User {
    User {
        id: new_id(),
        email: format!("thanhnien{n:04}@example.org"),
        display_name: name.into(),
        phone: None,
        unit_id: Some(unit_id.into()),
        role: role.into(),
        password_hash: None,
        email_verified_at: Some(at),
        disabled_at: None,
        created_at: at,
        updated_at: at,
        lang: "vi".into(),
    }
}

/// The statuses an idea passed through to reach `last`, in order (drafts passed through none).
fn path_to(last: IdeaStatus) -> Vec<IdeaStatus> {
    use IdeaStatus::*;
    let main = [
        Submitted,
        Eligible,
        InReview,
        Reviewed,
        Shortlisted,
        Selected,
        InImplementation,
        Implemented,
    ];
    match last {
        Draft => vec![],
        Withdrawn => vec![Submitted, Withdrawn],
        Ineligible => vec![Submitted, Ineligible],
        NotSelected => vec![Submitted, Eligible, InReview, Reviewed, NotSelected],
        Discontinued => vec![
            Submitted,
            Eligible,
            InReview,
            Reviewed,
            Shortlisted,
            Selected,
            InImplementation,
            Discontinued,
        ],
        other => {
            let end = main.iter().position(|s| *s == other).unwrap_or(0);
            main[..=end].to_vec()
        }
    }
}

/// A random text of `category` from `(category, text)` pairs (any text if the category has none).
fn pick_for(rng: &mut StdRng, pairs: &[(&str, &str)], category: &str) -> String {
    let fitting: Vec<&str> = pairs
        .iter()
        .filter(|(c, _)| *c == category)
        .map(|(_, t)| *t)
        .collect();
    let pool: Vec<&str> = if fitting.is_empty() {
        pairs.iter().map(|(_, t)| *t).collect()
    } else {
        fitting
    };
    pool.get(rng.random_range(0..pool.len().max(1)))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Fills `data` with one idea and its co-authors, events and adoption.
#[allow(clippy::too_many_arguments)]
fn add_idea(
    data: &mut SeedData,
    rng: &mut StdRng,
    b: &Base,
    contest: &Contest,
    content: &DemoIdea,
    status: IdeaStatus,
    listed_at: NaiveDateTime,
    author: usize,
    organizer_id: &str,
) {
    let author_user = &data.users[author];
    let unit_id = author_user
        .unit_id
        .clone()
        .unwrap_or_else(|| b.units[b.district].id.clone());
    let category_id = b
        .categories
        .iter()
        .find(|c| c.slug == content.category)
        .unwrap_or(&b.categories[b.categories.len() - 1])
        .id
        .clone();
    let id = new_id();
    let created = truncate_micros(listed_at - Duration::minutes(rng.random_range(30..60 * 72)));
    let submitted = (status != IdeaStatus::Draft).then_some(listed_at);
    let path = path_to(status);
    let mut at = listed_at;
    let mut from: Option<IdeaStatus> = Some(IdeaStatus::Draft);
    for s in &path {
        let (actor, reason) = match s {
            IdeaStatus::Submitted | IdeaStatus::Withdrawn => (Some(author_user.id.clone()), None),
            IdeaStatus::Ineligible => (
                Some(organizer_id.to_string()),
                Some(INELIGIBLE_REASONS[rng.random_range(0..INELIGIBLE_REASONS.len())].to_string()),
            ),
            IdeaStatus::NotSelected => (
                Some(organizer_id.to_string()),
                Some(DECISION_NOTES[rng.random_range(0..DECISION_NOTES.len())].to_string()),
            ),
            IdeaStatus::InReview | IdeaStatus::Reviewed => (None, None),
            IdeaStatus::Selected => (
                Some(organizer_id.to_string()),
                Some(
                    "Hội đồng đánh giá ý tưởng khả thi, chi phí hợp lý và có thể nhân rộng."
                        .to_string(),
                ),
            ),
            _ => (Some(organizer_id.to_string()), None),
        };
        data.events.push(Event {
            id: new_id(),
            idea_id: Some(id.clone()),
            contest_id: Some(contest.id.clone()),
            actor_id: actor,
            kind: "transition".into(),
            from_status: from.map(|f| f.code().to_string()),
            to_status: Some(s.code().to_string()),
            reason,
            created_at: at,
        });
        from = Some(*s);
        at = truncate_micros(at + Duration::hours(rng.random_range(24..24 * 20)));
    }
    if status.counts_as_selected() && status != IdeaStatus::Selected {
        let progress = match status {
            IdeaStatus::Implemented => 100,
            IdeaStatus::Discontinued => rng.random_range(10..40),
            _ => rng.random_range(15..95),
        };
        let responsible = if rng.random_bool(0.6) {
            unit_id.clone()
        } else {
            b.units[b.district].id.clone()
        };
        let started = at - Duration::days(rng.random_range(40..120));
        let latest = pick_for(rng, MILESTONES, content.category);
        let ended = matches!(status, IdeaStatus::Implemented | IdeaStatus::Discontinued);
        let planned_start = started.date();
        data.adoptions.push(Adoption {
            idea_id: id.clone(),
            responsible_unit_id: responsible,
            plan: pick_for(rng, ADOPTION_PLANS, content.category),
            progress,
            latest_update: Some(latest.clone()),
            started_at: truncate_micros(started),
            updated_at: at,
            planned_start: Some(planned_start),
            planned_end: Some(planned_start + Duration::days(rng.random_range(90..240))),
            ended_at: ended.then_some(at),
            end_reason: (status == IdeaStatus::Discontinued).then(|| {
                "Đơn vị thực hiện thay đổi kế hoạch ngân sách năm nên tạm dừng; sẽ xem xét lại ở đợt sau."
                    .to_string()
            }),
        });
        // Earlier milestones (other texts of the same field), then the latest one, progress rising to the current.
        let earlier = rng.random_range(0..=2usize);
        let span = (at - started).num_days().max(earlier as i64 + 2);
        for k in 0..=earlier {
            let last = k == earlier;
            let body = if last {
                latest.clone()
            } else {
                pick_for(rng, MILESTONES, content.category)
            };
            if !last && body == latest {
                continue;
            }
            let day = started + Duration::days(span * (k as i64 + 1) / (earlier as i64 + 1));
            data.milestones.push(crate::db::adoption::MilestoneRow {
                id: new_id(),
                idea_id: id.clone(),
                happened_on: day.date(),
                body,
                progress: progress * (k as i32 + 1) / (earlier as i32 + 1),
                author_id: Some(organizer_id.to_string()),
                created_at: truncate_micros(day),
            });
        }
    }
    if status != IdeaStatus::Draft && rng.random_bool(0.22) {
        let extra = rng.random_range(1..=2);
        let mut picked = Vec::new();
        while picked.len() < extra {
            let u = rng.random_range(0..data.users.len());
            if u != author && !picked.contains(&u) && data.users[u].role == "member" {
                picked.push(u);
            }
        }
        for u in picked {
            data.coauthors.push(Coauthor {
                idea_id: id.clone(),
                user_id: data.users[u].id.clone(),
                added_at: created,
            });
        }
    }
    data.ideas.push(Idea {
        id,
        contest_id: contest.id.clone(),
        category_id,
        unit_id,
        author_id: author_user.id.clone(),
        title: content.title.into(),
        summary: content.summary.into(),
        situation: content.situation.into(),
        solution: content.solution.into(),
        impact: content.impact.into(),
        resources: content.resources.into(),
        applies_where: content.applies_where.into(),
        status: status.code().into(),
        is_public: status.is_listed_publicly(contest.ideas_public),
        version: 1,
        created_at: created,
        updated_at: at.max(created),
        submitted_at: submitted,
        listed_at: submitted,
        contact_id: None,
    });
}

/// The demo data: Quận 10 with its 15 wards and two schools, the contests "Sáng tạo trẻ 2021" (closed; 15 ideas
/// applied in practice, as in the district's real contest) and "Sáng tạo trẻ 2026" (open), every idea of
/// `content.rs`, spread over categories, wards and statuses, and the 2021 panel's accounts (its review is
/// [`review::build`]).
pub fn demo_data() -> SeedData {
    let mut rng = StdRng::seed_from_u64(2021);
    let at = vn(2021, 2, 15, 9);
    let b = base(at);
    let mut data = SeedData::default();
    let organizer = user(
        "Ban Tổ chức Hội thi Quận 10",
        0,
        &b.units[b.district].id,
        "organizer",
        at,
    );
    let organizer_id = organizer.id.clone();
    data.users.push(organizer);
    for (n, name) in AUTHOR_NAMES.iter().enumerate() {
        let place = b.places[rng.random_range(0..b.places.len())];
        data.users
            .push(user(name, n + 1, &b.units[place].id, "member", at));
    }
    let mut order: Vec<usize> = (0..IDEAS.len()).collect();
    order.shuffle(&mut rng);
    let open_share = IDEAS.len().min(36);
    let (old, new) = order.split_at(IDEAS.len() - open_share);
    let (c2021, c2026) = (&b.contests[0], &b.contests[1]);
    let span_2021 = (c2021.closes_at - c2021.opens_at).num_minutes();
    for (rank, &i) in old.iter().enumerate() {
        use IdeaStatus::*;
        let status = match rank {
            0..=7 => Implemented,
            8..=14 => InImplementation,
            15..=16 => Selected,
            17 => Discontinued,
            18..=25 => Ineligible,
            26..=29 => Withdrawn,
            _ => NotSelected,
        };
        let listed =
            truncate_micros(c2021.opens_at + Duration::minutes(rng.random_range(0..span_2021)));
        let author = rng.random_range(1..data.users.len());
        add_idea(
            &mut data,
            &mut rng,
            &b,
            c2021,
            &IDEAS[i],
            status,
            listed,
            author,
            &organizer_id,
        );
    }
    let (from, to) = (vn(2026, 9, 2, 8), vn(2026, 11, 25, 22));
    for (rank, &i) in new.iter().enumerate() {
        use IdeaStatus::*;
        let status = match rank % 9 {
            0..=3 => Submitted,
            4 | 5 => Eligible,
            6 => InReview,
            7 => Draft,
            _ => {
                if rank == 8 {
                    Withdrawn
                } else {
                    Submitted
                }
            }
        };
        let listed = truncate_micros(
            from + Duration::minutes(rng.random_range(0..(to - from).num_minutes())),
        );
        let author = rng.random_range(1..data.users.len());
        add_idea(
            &mut data,
            &mut rng,
            &b,
            c2026,
            &IDEAS[i],
            status,
            listed,
            author,
            &organizer_id,
        );
    }
    data.units = b.units;
    data.categories = b.categories;
    data.contests = b.contests;
    data.contest_categories = b.contest_categories;
    let district = data.units[b.district].id.clone();
    review::add_panel(&mut data, &district);
    data
}

/// Seeds the demo data (ideas indexed for search in the same transaction) into an empty database; returns false if
/// it already holds data, in which case the only thing it may write is the search index of a database seeded
/// before the index existed (`db::search::fill_if_empty`).
pub fn seed_if_empty(conn: &mut DbConn) -> Result<bool, DbError> {
    if !seed::is_empty(conn)? {
        if crate::db::search::fill_if_empty(conn)? {
            tracing::info!("search index built for the existing ideas");
        }
        return Ok(false);
    }
    let data = demo_data();
    let review = review::build(&data);
    let organizer = data.users[0].id.clone();
    write_tx(conn, |c| {
        seed::insert_all(c, &data)?;
        review::insert(c, &review, &organizer)
    })?;
    Ok(true)
}

/// What `seed-bench` made.
#[derive(Debug)]
pub struct BenchReport {
    /// Ideas written.
    pub ideas: u64,
    /// Time taken.
    pub seconds: f64,
    /// An idea to request by id.
    pub idea_id: String,
    /// A cursor nine tenths of the way down the newest-first list.
    pub deep_cursor: String,
    /// A contest open until 2099 that the writers may each submit [`BENCH_WRITER_LIMIT`] ideas to.
    pub open_contest: String,
    /// Personal access tokens of [`BENCH_WRITERS`] verified members of a ward, for submission benchmarks.
    pub writer_tokens: Vec<String>,
    /// A contest whose first round is open for review, with one idea in a hundred in review in it.
    pub review_contest: String,
    /// Its rubric's criterion ids, in order (every score runs 1–10).
    pub review_criteria: Vec<String>,
    /// Each open assignment of that round with its reviewer's personal access token: (token, assignment id).
    pub review_tasks: Vec<(String, String)>,
}

/// How many members `seed-bench` makes for write benchmarks. A deadline rush is many members sending a few ideas
/// each; with this many, a ten-second run at two thousand a second adds one idea per member, so repeated runs do not
/// turn the writers into authors of hundreds of ideas each (whose per-member limit check would count them all).
pub const BENCH_WRITERS: usize = 20_000;
/// What `seed-bench` makes, as a number the benchmark scripts compare with theirs (`bench/lib.sh`) to reseed a
/// database made by an older version. Raise both when the seeded data changes.
pub const BENCH_SEED_FORMAT: u32 = 3;
/// The bench contest's per-member idea limit.
pub const BENCH_WRITER_LIMIT: i32 = 100_000;
/// The bench contest's slug.
pub const BENCH_CONTEST: &str = "bench-open";
/// The slug of the bench contest in review.
pub const BENCH_REVIEW_CONTEST: &str = "bench-review";
/// The panel of the bench contest in review; each of its ideas is assigned to [`BENCH_REVIEWS_PER_IDEA`] of them.
pub const BENCH_REVIEWERS: usize = 100;
/// Reviews each idea of the bench contest in review gets.
pub const BENCH_REVIEWS_PER_IDEA: usize = 3;

/// Fills an empty database with the demo units and contests and `n` generated ideas, in transactions of 20,000, each
/// also adding its ideas to the search index; the index is compacted at the end.
pub fn seed_bench(conn: &mut DbConn, n: u64) -> Result<BenchReport, anyhow::Error> {
    let started = Instant::now();
    if !seed::is_empty(conn)? {
        anyhow::bail!("seed-bench fills an empty database; this one already holds data");
    }
    let mut rng = StdRng::seed_from_u64(42);
    let at = vn(2020, 1, 1, 8);
    let b = base(at);
    let mut head = SeedData::default();
    let given: Vec<&str> = AUTHOR_NAMES.to_vec();
    for k in 0..5_000usize {
        let place = b.places[rng.random_range(0..b.places.len())];
        let name = given[k % given.len()];
        head.users
            .push(user(name, k + 1, &b.units[place].id, "member", at));
    }
    let users: Vec<(String, String)> = head
        .users
        .iter()
        .map(|u| (u.id.clone(), u.unit_id.clone().unwrap_or_default()))
        .collect();
    // Writers for the submission benchmark: verified members of Phường 1 with tokens, and a contest open to them.
    let writer_unit = b.units[2].id.clone();
    let mut writer_tokens = Vec::with_capacity(BENCH_WRITERS);
    let mut tokens = Vec::with_capacity(BENCH_WRITERS);
    for k in 0..BENCH_WRITERS {
        let mut w = user("Người viết thử", 100_000 + k, &writer_unit, "member", at);
        w.email = format!("bench-writer{k:05}@example.org");
        writer_tokens.push(bench_token(&mut tokens, &w.id, at));
        head.users.push(w);
    }
    // The panel of the contest in review: district reviewers (no conflict with any ward's idea) with tokens, and the
    // organizer who assigned them.
    let district = b.units[b.district].id.clone();
    let organizer = user("Ban tổ chức đo tải", 200_000, &district, "organizer", at);
    let organizer_id = organizer.id.clone();
    head.users.push(organizer);
    let mut reviewers = Vec::with_capacity(BENCH_REVIEWERS);
    let mut reviewer_tokens = std::collections::HashMap::new();
    for k in 0..BENCH_REVIEWERS {
        let mut r = user("Giám khảo thử", 300_000 + k, &district, "reviewer", at);
        r.email = format!("bench-reviewer{k:03}@example.org");
        reviewer_tokens.insert(r.id.clone(), bench_token(&mut tokens, &r.id, at));
        reviewers.push(r.id.clone());
        head.users.push(r);
    }
    let mut contests = b.contests.clone();
    let mut contest_categories = b.contest_categories.clone();
    let open = Contest {
        id: new_id(),
        slug: BENCH_CONTEST.into(),
        title: "Cuộc thi dùng để đo tải".into(),
        opens_at: vn(2020, 1, 1, 0),
        closes_at: vn(2099, 12, 31, 0),
        max_ideas_per_member: BENCH_WRITER_LIMIT,
        ..b.contests[1].clone()
    };
    contest_categories.extend(b.categories.iter().map(|cat| ContestCategory {
        contest_id: open.id.clone(),
        category_id: cat.id.clone(),
        position: cat.position,
    }));
    let in_review = Contest {
        id: new_id(),
        slug: BENCH_REVIEW_CONTEST.into(),
        title: "Cuộc thi dùng để đo tải chấm điểm".into(),
        opens_at: vn(2024, 1, 1, 0),
        closes_at: vn(2025, 1, 1, 0),
        ..b.contests[1].clone()
    };
    contest_categories.extend(b.categories.iter().map(|cat| ContestCategory {
        contest_id: in_review.id.clone(),
        category_id: cat.id.clone(),
        position: cat.position,
    }));
    contests.push(open);
    contests.push(in_review.clone());
    let head = SeedData {
        units: b.units.clone(),
        categories: b.categories.clone(),
        contests,
        contest_categories,
        ..head
    };
    write_tx(conn, |c| {
        seed::insert_all(c, &head)?;
        for t in &tokens {
            crate::db::accounts::insert_token(c, t)?;
        }
        Ok::<(), DbError>(())
    })?;
    if let DbConn::Sqlite(c) = conn {
        use diesel::connection::SimpleConnection;
        // A large page cache for the bulk load only; this connection is dropped afterwards.
        c.batch_execute("PRAGMA cache_size = -1000000")?;
    }
    let start = vn(2020, 1, 1, 8);
    // Spread listing times over about six years, one idea every few minutes, strictly increasing.
    let step_micros = (6 * 365 * 24 * 3600 * 1_000_000i64) / (n.max(1) as i64);
    let deep_index = n / 10; // newest first, an older idea sits deep in the list
    let mut deep_cursor = String::new();
    let mut idea_id = String::new();
    let statuses: [(IdeaStatus, u32); 11] = [
        (IdeaStatus::Submitted, 30),
        (IdeaStatus::Eligible, 10),
        (IdeaStatus::InReview, 10),
        (IdeaStatus::Reviewed, 5),
        (IdeaStatus::NotSelected, 30),
        (IdeaStatus::Shortlisted, 3),
        (IdeaStatus::Selected, 2),
        (IdeaStatus::InImplementation, 2),
        (IdeaStatus::Implemented, 2),
        (IdeaStatus::Draft, 4),
        (IdeaStatus::Withdrawn, 2),
    ];
    let weight_total: u32 = statuses.iter().map(|(_, w)| w).sum();
    let mut review_ideas = Vec::new();
    let batch = 20_000u64;
    let mut i = 0u64;
    while i < n {
        let end = (i + batch).min(n);
        let mut rows = Vec::with_capacity((end - i) as usize);
        for k in i..end {
            let c = &IDEAS[rng.random_range(0..IDEAS.len())];
            let mut pick = rng.random_range(0..weight_total);
            let mut status = IdeaStatus::Submitted;
            for (s, w) in statuses {
                if pick < w {
                    status = s;
                    break;
                }
                pick -= w;
            }
            let mut contest = &b.contests[if k * 10 < n * 9 { 0 } else { 1 }];
            let reviewed = k % 100 == 50 && k != deep_index && k != n / 2;
            if reviewed {
                status = IdeaStatus::InReview;
                contest = &in_review;
            }
            if k == deep_index || k == n / 2 {
                status = IdeaStatus::Submitted;
            }
            let (author_id, unit_id) = &users[rng.random_range(0..users.len())];
            let listed = truncate_micros(start + Duration::microseconds(k as i64 * step_micros));
            let submitted = (status != IdeaStatus::Draft).then_some(listed);
            let place = &b.units[b.places[rng.random_range(0..b.places.len())]].name;
            let id = new_id();
            if k == deep_index {
                deep_cursor = crate::domain::listing::Cursor {
                    listed_at: listed,
                    id: id.clone(),
                }
                .encode();
            }
            if k == n / 2 {
                idea_id = id.clone();
            }
            if reviewed {
                review_ideas.push(id.clone());
            }
            rows.push(Idea {
                id,
                contest_id: contest.id.clone(),
                category_id: b
                    .categories
                    .iter()
                    .find(|cat| cat.slug == c.category)
                    .map(|cat| cat.id.clone())
                    .unwrap_or_else(|| b.categories[0].id.clone()),
                unit_id: unit_id.clone(),
                author_id: author_id.clone(),
                title: format!("{} ({})", c.title, place),
                summary: c.summary.into(),
                situation: c.situation.into(),
                solution: c.solution.into(),
                impact: c.impact.into(),
                resources: c.resources.into(),
                applies_where: c.applies_where.into(),
                status: status.code().into(),
                is_public: status.is_listed_publicly(contest.ideas_public),
                version: 1,
                created_at: listed,
                updated_at: listed,
                submitted_at: submitted,
                listed_at: submitted,
                contact_id: None,
            });
        }
        write_tx(conn, |c| seed::insert_ideas(c, &rows))?;
        i = end;
    }
    let round = review::open_round(
        &in_review.id,
        &reviewers,
        &review_ideas,
        BENCH_REVIEWS_PER_IDEA,
        vn(2025, 1, 2, 8),
    );
    write_tx(conn, |c| review::insert(c, &round, &organizer_id))?;
    let review_tasks = round
        .open_assignments()
        .iter()
        .filter_map(|(id, _, reviewer)| Some((reviewer_tokens.get(reviewer)?.clone(), id.clone())))
        .collect();
    // A bulk load leaves the search index in many segments; merge them as a long-running index would be.
    crate::db::search::optimize(conn)?;
    Ok(BenchReport {
        ideas: n,
        seconds: started.elapsed().as_secs_f64(),
        idea_id,
        deep_cursor,
        open_contest: BENCH_CONTEST.into(),
        writer_tokens,
        review_contest: BENCH_REVIEW_CONTEST.into(),
        review_criteria: round.criteria().iter().map(|c| c.id.clone()).collect(),
        review_tasks,
    })
}

/// A personal access token for `user_id` named "bench": its row goes to `tokens`, the token itself is returned.
fn bench_token(tokens: &mut Vec<ApiToken>, user_id: &str, at: NaiveDateTime) -> String {
    let plain = format!("st_{}", crate::app::secrets::random_token());
    tokens.push(ApiToken {
        id: new_id(),
        user_id: user_id.into(),
        name: "bench".into(),
        token_hash: crate::app::secrets::token_hash(&plain),
        created_at: at,
        last_used_at: None,
        revoked_at: None,
    });
    plain
}
