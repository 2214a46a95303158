//! Results of review: the calibrated score corrects a harsh reviewer, the disagreement flag, sorting and filtering,
//! the CSV and XLSX exports read back, "ask one more review" from the API and from the page, and who may see them.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use diesel::prelude::*;
use reqwest::Method;
use sangtao::db::schema::{
    assignments, conflicts, contest_reviewers, contests, events, ideas, review_rounds,
};
use serde_json::Value;

use crate::helpers::{
    TestApp, api_signin, call, each_engine, form_csrf, last_mail, mail_count, new_client, unescape,
};
use crate::review_fixture::{
    PASSWORD, ReviewContest, SLUG, contest_id, review_contest, status_of, submit,
};

const API: &str = "/api/v1/contests/sang-tao-tre-2026/results";
const PAGE: &str = "/organize/contests/sang-tao-tre-2026/results";

/// The held assignments of the fixture's contest (the demo has reviews of its own): (assignment, idea, reviewer).
fn held(app: &TestApp) -> Vec<(String, String, String)> {
    assignments::table
        .filter(assignments::contest_id.eq(contest_id(app)))
        .filter(assignments::status.eq_any(["assigned", "accepted"]))
        .order(assignments::id.asc())
        .select((
            assignments::id,
            assignments::idea_id,
            assignments::reviewer_id,
        ))
        .load(&mut app.conn())
        .unwrap()
}

/// Every held assignment reviewed with the scores `score(idea, reviewer)` gives (criterion 1 on 1–5, criterion 2
/// on 1–10); `None` leaves it pending.
fn review_all(app: &TestApp, c: &ReviewContest, score: impl Fn(&str, &str) -> Option<[i32; 2]>) {
    for (a, idea, reviewer) in held(app) {
        let Some(scores) = score(&idea, &reviewer) else {
            continue;
        };
        let token = &c.reviewers.iter().find(|r| r.id == reviewer).unwrap().token;
        let (code, body) = submit(app, token, &a, &c.criteria, &scores);
        assert_eq!(code, 200, "{body}");
    }
}

/// The weighted score of the fixture's rubric (weights 2 and 1, both mapped onto 1–10).
fn weighted(s: (i32, i32)) -> f64 {
    (2.0 * (1.0 + 2.25 * f64::from(s.0 - 1)) + f64::from(s.1)) / 3.0
}

/// The results' items for `query` as the organizer gets them.
fn items(app: &TestApp, org: &str, query: &str) -> Vec<Value> {
    let (code, body) = call(app, org, Method::GET, &format!("{API}{query}"), None);
    assert_eq!(code, 200, "{query}: {body}");
    body["items"].as_array().unwrap().clone()
}

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} in {v}"))
}

#[test]
fn a_harsh_reviewers_low_scores_are_corrected_and_the_table_sorts_and_filters() {
    each_engine(|app| {
        // Twelve ideas by the fixture's one author: more than the contest allows a member.
        diesel::update(contests::table.filter(contests::slug.eq(SLUG)))
            .set(contests::max_ideas_per_member.eq(20))
            .execute(&mut app.conn())
            .unwrap();
        let c = review_contest(app, 4, 12, 3);
        let harsh = c.reviewers[0].id.clone();
        let pairs = held(app);
        let with_harsh: HashSet<String> = pairs
            .iter()
            .filter(|(_, _, r)| *r == harsh)
            .map(|(_, i, _)| i.clone())
            .collect();
        assert_eq!(with_harsh.len(), 9, "36 reviews balanced over 4 reviewers");
        // What each idea deserves; the harsh reviewer gives 2 and 4 points less on the two criteria.
        let mut high = [
            (5, 8),
            (5, 8),
            (4, 8),
            (4, 7),
            (4, 6),
            (3, 8),
            (3, 7),
            (3, 6),
            (5, 9),
        ]
        .into_iter();
        let mut others = [(4, 9), (3, 5), (2, 4)].into_iter();
        let truth: HashMap<String, (i32, i32)> = c
            .ideas
            .iter()
            .map(|i| {
                let t = if with_harsh.contains(i) {
                    high.next()
                } else {
                    others.next()
                };
                (i.clone(), t.unwrap())
            })
            .collect();
        review_all(app, &c, |idea, reviewer| {
            let (a, b) = truth[idea];
            Some(if reviewer == harsh {
                [a - 2, b - 4]
            } else {
                [a, b]
            })
        });

        let all = items(app, &c.org, "");
        assert_eq!(all.len(), 12);
        let (_, whole) = call(app, &c.org, Method::GET, API, None);
        assert_eq!(
            (whole["converged"].as_bool(), whole["cut"].as_i64()),
            (Some(true), Some(15))
        );
        let ranks: Vec<i64> = all.iter().map(|i| i["rank"].as_i64().unwrap()).collect();
        assert_eq!(ranks, (1..=12).collect::<Vec<_>>(), "best calibrated first");
        // Whenever an idea deserves a point more than another, the calibrated score says so; the raw mean gets
        // some of those pairs the wrong way round (the harsh reviewer's ideas), so the correction did the work.
        let mut raw_wrong = 0;
        for a in &all {
            for b in &all {
                let deserved = |i: &Value| weighted(truth[i["idea_id"].as_str().unwrap()]);
                if deserved(a) - deserved(b) >= 1.0 {
                    assert!(
                        num(a, "calibrated") > num(b, "calibrated"),
                        "{a} should rank above {b}"
                    );
                    if num(a, "raw_mean") < num(b, "raw_mean") {
                        raw_wrong += 1;
                    }
                }
            }
        }
        assert!(raw_wrong > 0, "the raw means rank some pair wrongly");
        assert!(
            all.iter().any(|i| i["rank"] != i["raw_rank"]),
            "the two rankings differ"
        );

        // Sorting, both ways, by each column.
        let column = |query: &str, field: &str| -> Vec<f64> {
            items(app, &c.org, query)
                .iter()
                .map(|i| num(i, field))
                .collect()
        };
        let raw = column("?sort=raw", "raw_mean");
        assert!(raw.windows(2).all(|w| w[0] >= w[1]), "{raw:?}");
        let raw = column("?sort=raw&dir=asc", "raw_mean");
        assert!(raw.windows(2).all(|w| w[0] <= w[1]), "{raw:?}");
        let calibrated = column("?dir=asc", "calibrated");
        assert!(
            calibrated.windows(2).all(|w| w[0] <= w[1]),
            "{calibrated:?}"
        );
        let spread = column("?sort=spread", "spread_range");
        assert!(spread.windows(2).all(|w| w[0] >= w[1]), "{spread:?}");
        let titles: Vec<String> = items(app, &c.org, "?sort=title")
            .iter()
            .map(|i| sangtao::domain::text::fold(i["title"].as_str().unwrap()))
            .collect();
        assert!(titles.windows(2).all(|w| w[0] <= w[1]), "{titles:?}");

        // Filters: by state, and by the flag near a cut-off of 3.
        assert_eq!(items(app, &c.org, "?status=reviewed").len(), 12);
        let (code, body) = call(
            app,
            &c.org,
            Method::GET,
            &format!("{API}?status=in_review"),
            None,
        );
        assert_eq!(code, 200);
        assert_eq!(
            (
                body["items"].as_array().unwrap().len(),
                body["total"].as_i64()
            ),
            (0, Some(12))
        );
        let near = items(app, &c.org, "?flag=uncertain&cut=3");
        assert!(
            !near.is_empty() && near.len() < 12,
            "some, not all, are near the cut-off: {near:?}"
        );
        assert!(near.iter().all(|i| i["uncertain"] == true));
        assert!(
            near.iter().any(|i| i["rank"] == 3),
            "the idea at the cut-off itself"
        );

        // A view that cannot be read is refused, naming the parameter.
        for (query, param) in [
            ("?sort=score", "sort"),
            ("?cut=0", "cut"),
            ("?flag=odd", "flag"),
        ] {
            let (code, body) = call(app, &c.org, Method::GET, &format!("{API}{query}"), None);
            assert_eq!(code, 400, "{query}: {body}");
            assert!(body["error"]["fields"][param].is_array(), "{query}: {body}");
        }
    });
}

/// A contest of three reviewers on three ideas: the first idea split (two high scores, one very low), the second
/// agreed, the third not reviewed yet. Returns the ideas.
fn split_contest(app: &TestApp) -> (ReviewContest, [String; 3]) {
    let c = review_contest(app, 3, 3, 3);
    let ideas = [c.ideas[0].clone(), c.ideas[1].clone(), c.ideas[2].clone()];
    let low = c.reviewers[2].id.clone();
    review_all(app, &c, |idea, reviewer| {
        if idea == ideas[0] {
            Some(if reviewer == low { [1, 2] } else { [5, 8] })
        } else if idea == ideas[1] {
            Some([3, 5])
        } else {
            None
        }
    });
    (c, ideas)
}

#[test]
fn disagreement_is_flagged_and_ideas_without_reviews_are_listed_last() {
    each_engine(|app| {
        let (c, [split, agreed, waiting]) = split_contest(app);
        let all = items(app, &c.org, "");
        let by_id = |id: &str| all.iter().find(|i| i["idea_id"] == id).unwrap().clone();
        assert_eq!(by_id(&split)["disagreement"], true, "{all:?}");
        assert_eq!(by_id(&agreed)["disagreement"], false);
        assert!(num(&by_id(&split), "spread_range") > 4.0);
        let w = by_id(&waiting);
        assert_eq!(
            all.last().unwrap()["idea_id"],
            waiting.as_str(),
            "unscored last"
        );
        assert_eq!(
            (
                w["reviews"].as_i64(),
                w["pending"].as_i64(),
                w["status"].as_str()
            ),
            (Some(0), Some(3), Some("in_review"))
        );
        assert!(w["calibrated"].is_null() && w["rank"].is_null());
        // Still last when sorting the other way.
        assert_eq!(
            items(app, &c.org, "?dir=asc").last().unwrap()["idea_id"],
            waiting.as_str()
        );
        let flagged = items(app, &c.org, "?flag=disagreement");
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0]["idea_id"], split.as_str());
    });
}

/// A file download as the organizer: (content type, disposition, bytes).
fn download(app: &TestApp, token: &str, path: &str) -> (String, String, Vec<u8>) {
    let r = new_client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    (ct, cd, r.bytes().unwrap().to_vec())
}

/// What an export must never hold: the author's and reviewers' names, emails and phones.
fn assert_no_people(text: &str) {
    for personal in [
        "tacgia@",
        "giamkhao",
        "@example.org",
        "0903123456",
        "Người dùng",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
}

#[test]
fn the_exports_hold_the_table_of_the_view_and_nobody_in_it() {
    each_engine(|app| {
        let (c, [split, _, waiting]) = split_contest(app);
        // A blind contest, and an author who signed their idea's title: organizers see it as written, the files
        // (which may be passed on to the jury) without the name and the phone.
        diesel::update(contests::table.filter(contests::slug.eq(SLUG)))
            .set(contests::blind_review.eq(true))
            .execute(&mut app.conn())
            .unwrap();
        let signed = "Bãi giữ xe thông minh của Người dùng member, ĐT 0903 123 456";
        diesel::update(ideas::table.find(&waiting))
            .set(ideas::title.eq(signed))
            .execute(&mut app.conn())
            .unwrap();
        let title = |id: &str| -> String {
            items(app, &c.org, "")
                .into_iter()
                .find(|i| i["idea_id"] == id)
                .unwrap()["title"]
                .as_str()
                .unwrap()
                .to_string()
        };

        let (ct, cd, bytes) = download(app, &c.org, &format!("{PAGE}.csv"));
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(cd.starts_with("attachment") && cd.contains(".csv"), "{cd}");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_no_people(&text);
        let mut csv = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header[0], "Hạng (điểm hiệu chỉnh)");
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let split_row = rows.iter().find(|r| r[col("Mã ý tưởng")] == split).unwrap();
        assert_eq!(split_row[col("Tên ý tưởng")], title(&split));
        assert_eq!(&split_row[col("Chấm lệch nhau")], "Có");
        assert_eq!(&split_row[col("Số lượt chấm")], "3");
        assert!(split_row[col("Điểm hiệu chỉnh")].parse::<f64>().unwrap() > 1.0);
        let last = rows.last().unwrap();
        assert_eq!(
            last[col("Mã ý tưởng")],
            waiting,
            "the same order as the page"
        );
        assert_eq!(title(&waiting), signed);
        assert_eq!(
            &last[col("Tên ý tưởng")],
            "Bãi giữ xe thông minh của [đã ẩn], ĐT [đã ẩn]"
        );
        assert_eq!(
            (
                &last[col("Điểm hiệu chỉnh")],
                &last[col("Lượt chấm đang chờ")]
            ),
            ("", "3")
        );

        // The filters of the view apply to the file.
        let (_, _, bytes) = download(app, &c.org, &format!("{PAGE}.csv?flag=disagreement"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut csv = csv::Reader::from_reader(text.as_bytes());
        let ids: Vec<String> = csv
            .records()
            .map(|r| r.unwrap()[col("Mã ý tưởng")].to_string())
            .collect();
        assert_eq!(ids, [split.as_str()]);

        let r = new_client()
            .get(app.url(&format!("{PAGE}.pdf")))
            .bearer_auth(&c.org)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "only CSV and XLSX");

        let (ct, cd, bytes) = download(app, &c.org, &format!("{PAGE}.xlsx"));
        assert!(ct.contains("spreadsheetml"), "{ct}");
        assert!(cd.contains(".xlsx"), "{cd}");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("Kết quả").unwrap();
        let rows: Vec<&[Data]> = sheet.rows().collect();
        assert_eq!(rows.len(), 4, "a header and three ideas");
        assert_eq!(rows[0][0], Data::String("Hạng (điểm hiệu chỉnh)".into()));
        let text: String = sheet
            .cells()
            .filter_map(|(_, _, d)| match d {
                Data::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_no_people(&text);
        let split_row = rows
            .iter()
            .find(|r| r[col("Mã ý tưởng")] == Data::String(split.clone()))
            .unwrap();
        assert!(
            matches!(split_row[col("Điểm hiệu chỉnh")], Data::Float(x) if x > 1.0),
            "scores are numbers: {:?}",
            split_row[col("Điểm hiệu chỉnh")]
        );
        assert!(matches!(split_row[col("Số lượt chấm")], Data::Float(x) if x == 3.0));
        assert_eq!(rows[3][col("Điểm hiệu chỉnh")], Data::Empty);
    });
}

fn round_due(app: &TestApp) -> Option<chrono::NaiveDateTime> {
    review_rounds::table
        .filter(review_rounds::contest_id.eq(contest_id(app)))
        .select(review_rounds::due_at)
        .first(&mut app.conn())
        .unwrap()
}

fn set_cap(app: &TestApp, reviewer: &str, cap: i32) {
    diesel::update(contest_reviewers::table.filter(contest_reviewers::user_id.eq(reviewer)))
        .set(contest_reviewers::cap.eq(cap))
        .execute(&mut app.conn())
        .unwrap();
}

#[test]
fn one_more_review_goes_to_a_free_reviewer_without_conflict_and_the_idea_is_reviewed_again() {
    each_engine(|app| {
        let c = review_contest(app, 4, 1, 2);
        let idea = c.ideas[0].clone();
        review_all(app, &c, |_, _| Some([4, 7]));
        assert_eq!(status_of(app, &idea), "reviewed");
        let on_it: Vec<String> = held(app).into_iter().map(|(_, _, r)| r).collect();
        let free: Vec<&crate::review_fixture::Reviewer> = c
            .reviewers
            .iter()
            .filter(|r| !on_it.contains(&r.id))
            .collect();
        let (conflicted, chosen) = (free[0], free[1]);
        diesel::insert_into(conflicts::table)
            .values((
                conflicts::id.eq(sangtao::db::new_id()),
                conflicts::contest_id.eq(contest_id(app)),
                conflicts::idea_id.eq(&idea),
                conflicts::reviewer_id.eq(&conflicted.id),
                conflicts::kind.eq("family"),
                conflicts::reason.eq("Tác giả là em họ của tôi."),
                conflicts::declared_by.eq(Some(&conflicted.id)),
                conflicts::created_at.eq(sangtao::db::now()),
            ))
            .execute(&mut app.conn())
            .unwrap();
        let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 20)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap();
        diesel::update(review_rounds::table.filter(review_rounds::contest_id.eq(contest_id(app))))
            .set(review_rounds::due_at.eq(Some(due)))
            .execute(&mut app.conn())
            .unwrap();
        let more = format!("{API}/{idea}/more");

        // The only reviewer without a conflict is at their cap: nobody qualifies, and nothing changes.
        set_cap(app, &chosen.id, 0);
        let (code, body) = call(app, &c.org, Method::POST, &more, None);
        assert_eq!(
            (code, body["error"]["code"].as_str()),
            (409, Some("no_reviewer_available")),
            "{body}"
        );
        assert_eq!(status_of(app, &idea), "reviewed");
        set_cap(app, &chosen.id, 100);

        let mails_before = mail_count(app, &chosen.email);
        let (code, body) = call(app, &c.org, Method::POST, &more, None);
        assert_eq!(code, 201, "{body}");
        assert_eq!(
            body["reviewer_id"],
            chosen.id.as_str(),
            "not the conflicted one"
        );
        assert_eq!(status_of(app, &idea), "in_review");
        let assignment = body["assignment_id"].as_str().unwrap().to_string();
        let (status, due_at, notified): (
            String,
            Option<chrono::NaiveDateTime>,
            Option<chrono::NaiveDateTime>,
        ) = assignments::table
            .find(&assignment)
            .select((
                assignments::status,
                assignments::due_at,
                assignments::notified_at,
            ))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(status, "assigned", "told at once, no proposal to confirm");
        assert_eq!(due_at, round_due(app));
        assert!(notified.is_some());
        assert_eq!(
            mail_count(app, &chosen.email),
            mails_before + 1,
            "one email"
        );
        assert!(last_mail(app, &chosen.email, "reviews_assigned").is_some());
        assert_eq!(mail_count(app, &conflicted.email), 0);
        let logged: Vec<Option<String>> = events::table
            .filter(events::kind.eq("more_review_requested"))
            .select(events::reason)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(logged, [Some(chosen.id.clone())]);
        let audit = new_client()
            .get(app.url(&format!("/organize/contests/{SLUG}/audit")))
            .bearer_auth(&c.org)
            .send()
            .unwrap();
        assert!(
            unescape(&audit.text().unwrap()).contains("Xin thêm một lượt chấm"),
            "the audit log says it in words"
        );
        let row = items(app, &c.org, "").remove(0);
        assert_eq!(
            (row["reviews"].as_i64(), row["pending"].as_i64()),
            (Some(2), Some(1))
        );

        // Once that review is in, the idea is reviewed again, with three reviews.
        let (code, body) = submit(app, &chosen.token, &assignment, &c.criteria, &[3, 6]);
        assert_eq!(code, 200, "{body}");
        assert_eq!(status_of(app, &idea), "reviewed");
        let row = items(app, &c.org, "").remove(0);
        assert_eq!(
            (row["reviews"].as_i64(), row["pending"].as_i64()),
            (Some(3), Some(0))
        );

        // Everyone has now had it or is in conflict.
        let (code, body) = call(app, &c.org, Method::POST, &more, None);
        assert_eq!(
            (code, body["error"]["code"].as_str()),
            (409, Some("no_reviewer_available"))
        );
        assert_eq!(status_of(app, &idea), "reviewed");
    });
}

#[test]
fn reviewers_and_authors_may_not_see_results_or_ask_for_reviews() {
    each_engine(|app| {
        let c = review_contest(app, 2, 1, 2);
        let more = format!("{API}/{}/more", c.ideas[0]);
        for token in [&c.reviewers[0].token, &c.author.1] {
            for (method, path) in [
                (Method::GET, API.to_string()),
                (Method::POST, more.clone()),
                (Method::GET, PAGE.to_string()),
                (Method::GET, format!("{PAGE}.csv")),
                (Method::GET, format!("{PAGE}.xlsx")),
            ] {
                let r = new_client()
                    .request(method.clone(), app.url(&path))
                    .bearer_auth(token)
                    .send()
                    .unwrap();
                assert_eq!(r.status().as_u16(), 403, "{method} {path}");
            }
        }
        assert_eq!(held(app).len(), 2, "nothing was assigned");
    });
}

#[test]
fn the_page_sorts_filters_explains_and_asks_one_more_review_in_one_click() {
    each_engine(|app| {
        // Four reviewers, three reviews each: every idea has one reviewer left who could take one more.
        let c = review_contest(app, 4, 2, 3);
        let (split, agreed) = (c.ideas[0].clone(), c.ideas[1].clone());
        let low = held(app)
            .into_iter()
            .find(|(_, i, _)| *i == split)
            .unwrap()
            .2;
        review_all(app, &c, |idea, reviewer| {
            Some(if idea == split && reviewer == low {
                [1, 2]
            } else if idea == split {
                [5, 8]
            } else {
                [3, 5]
            })
        });
        let client = new_client();
        api_signin(app, &client, "btc@example.org", PASSWORD);
        let get = |path: &str| {
            let r = client.get(app.url(path)).send().unwrap();
            (r.status().as_u16(), unescape(&r.text().unwrap()))
        };

        let (code, html) = get(PAGE);
        assert_eq!(code, 200, "{html}");
        assert!(html.contains("Điểm hiệu chỉnh"), "{html}");
        assert!(html.contains("giám khảo khó tính"), "the plain explanation");
        assert!(html.contains("Chấm lệch nhau"), "the flag in words");
        assert!(html.contains(&format!("{PAGE}?sort=raw\"")), "a sort link");
        assert!(
            html.contains("aria-sort=\"descending\""),
            "the sorted column is marked"
        );
        assert!(html.contains("Xin thêm một lượt chấm"));

        // A filtered view keeps its filter in its links and its forms.
        let (code, html) = get(&format!("{PAGE}?flag=disagreement&sort=raw"));
        assert_eq!(code, 200);
        assert!(
            html.contains(&format!("{PAGE}.csv?sort=raw&flag=disagreement\"")),
            "{html}"
        );
        assert!(html.contains(&format!("{PAGE}.xlsx?sort=raw&flag=disagreement\"")));
        assert!(html.contains(&format!("{PAGE}/{split}/more")));
        assert!(
            !html.contains(&format!("{PAGE}/{agreed}/more")),
            "filtered out"
        );

        // One click: the review is asked for, and the same view comes back with a notice.
        let csrf = form_csrf(&html);
        let post = || {
            client
                .post(app.url(&format!("{PAGE}/{split}/more")))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("sort", "raw"),
                    ("flag", "disagreement"),
                ])
                .send()
                .unwrap()
        };
        let r = post();
        assert_eq!(r.status().as_u16(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            to,
            format!("{PAGE}?sort=raw&flag=disagreement&notice=more_review_requested")
        );
        let (_, html) = get(&to);
        assert!(html.contains("Đã giao thêm một lượt chấm"), "{html}");
        assert_eq!(status_of(app, &split), "in_review");

        // Nobody is left for a second one: the page says why, beside the idea, and keeps the view.
        let r = post();
        assert_eq!(r.status().as_u16(), 409);
        let html = unescape(&r.text().unwrap());
        assert!(
            html.contains("Không còn giám khảo nào chấm thêm được ý tưởng này"),
            "{html}"
        );
        assert!(html.contains(&format!("{PAGE}.csv?sort=raw&flag=disagreement\"")));
    });
}
