//! Link previews (Open Graph and Twitter card tags on the public pages, the share cards), the sitemap, robots.txt and
//! the Atom feed of adopted ideas.

use std::collections::BTreeSet;

use diesel::prelude::*;
use sangtao::db::schema::{adoptions, attachments, contests, ideas, users};
use sangtao::domain::text::excerpt;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, engines, make_token, make_user, multipart, new_client, spawn_app_with, unescape,
};

pub const BASE: &str = "https://sangtao.example.vn";

/// The app on every engine, with a public address and no page cache (the tests change rows behind its back).
pub fn each_app(test: impl Fn(&TestApp)) {
    for engine in engines() {
        let app = spawn_app_with(
            engine.clone(),
            &[("SANGTAO_BASE_URL", BASE), ("SANGTAO_PAGE_CACHE_MS", "0")],
        );
        eprintln!("running on {engine:?}");
        test(&app);
    }
}

/// The `content` of the `<meta>` with this `property` or `name`, unescaped.
fn meta(html: &str, key: &str) -> Option<String> {
    for attr in ["property", "name"] {
        let marker = format!("<meta {attr}=\"{key}\" content=\"");
        if let Some(i) = html.find(&marker) {
            let rest = &html[i + marker.len()..];
            return Some(unescape(rest.split('"').next().unwrap()));
        }
    }
    None
}

fn canonical(html: &str) -> String {
    let marker = "<link rel=\"canonical\" href=\"";
    let i = html.find(marker).expect("canonical link") + marker.len();
    unescape(html[i..].split('"').next().unwrap())
}

fn title_tag(html: &str) -> String {
    let i = html.find("<title>").unwrap() + 7;
    unescape(&html[i..i + html[i..].find("</title>").unwrap()])
}

/// The preview tags every shared page must have, with the values that do not depend on the page.
fn assert_preview_frame(html: &str, what: &str) {
    assert_eq!(
        meta(html, "og:site_name").as_deref(),
        Some("Sáng tạo trẻ"),
        "{what}"
    );
    assert_eq!(
        meta(html, "twitter:card").as_deref(),
        Some("summary_large_image"),
        "{what}"
    );
    assert_eq!(meta(html, "og:url").unwrap(), canonical(html), "{what}");
    assert_eq!(
        meta(html, "og:description"),
        meta(html, "description"),
        "{what}"
    );
    assert_eq!(
        meta(html, "twitter:description"),
        meta(html, "og:description"),
        "{what}"
    );
    assert_eq!(
        meta(html, "twitter:title"),
        meta(html, "og:title"),
        "{what}"
    );
    assert_eq!(
        meta(html, "twitter:image"),
        meta(html, "og:image"),
        "{what}"
    );
    let image = meta(html, "og:image").unwrap();
    assert!(
        image.starts_with(&format!("{BASE}/")),
        "{what}: absolute image {image}"
    );
    for key in ["og:image:width", "og:image:height"] {
        let n: u32 = meta(html, key).unwrap().parse().unwrap();
        assert!(n > 0, "{what}: {key}");
    }
    assert!(!meta(html, "og:image:alt").unwrap().is_empty(), "{what}");
    assert!(!meta(html, "og:description").unwrap().is_empty(), "{what}");
}

/// A public idea of the blind 2021 contest that was not selected, so its authors stay hidden, written by an
/// account (not a named contact): (idea id, author id).
pub fn blind_hidden_idea(app: &TestApp) -> (String, String) {
    ideas::table
        .inner_join(contests::table)
        .filter(contests::slug.eq("sang-tao-tre-2021"))
        .filter(ideas::status.eq("not_selected"))
        .filter(ideas::is_public.eq(true))
        .filter(ideas::contact_id.is_null())
        .order(ideas::id.asc())
        .select((ideas::id, ideas::author_id))
        .first(&mut app.conn())
        .unwrap()
}

/// The body of a page that must answer 200 with a content type starting with `content_type`.
fn text_of(app: &TestApp, path: &str, content_type: &str) -> String {
    let r = app.get(path);
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with(content_type), "{path}: {ct}");
    r.text().unwrap()
}

/// A public idea of the open 2026 contest: (id, title, summary).
fn open_contest_idea(app: &TestApp) -> (String, String, String) {
    ideas::table
        .inner_join(contests::table)
        .filter(contests::slug.eq("sang-tao-tre-2026"))
        .filter(ideas::is_public.eq(true))
        .order(ideas::id.asc())
        .select((ideas::id, ideas::title, ideas::summary))
        .first(&mut app.conn())
        .unwrap()
}

/// Fetches a card by the absolute URL a page gave, checks it is a 1200×630 PNG, and returns its response headers.
fn fetch_card(app: &TestApp, absolute: &str) -> reqwest::header::HeaderMap {
    let path = absolute.strip_prefix(BASE).unwrap();
    let r = app.get(path);
    assert_eq!(r.status().as_u16(), 200, "{path}");
    assert_eq!(r.headers()["content-type"], "image/png");
    let headers = r.headers().clone();
    let bytes = r.bytes().unwrap();
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).unwrap();
    assert_eq!((img.width(), img.height()), (1200, 630), "{path}");
    headers
}

#[test]
fn an_idea_page_previews_with_its_title_summary_and_card() {
    each_app(|app| {
        let (id, title, summary) = open_contest_idea(app);
        let (code, html) = app.html(&format!("/ideas/{id}?utm_source=zalo"));
        assert_eq!(code, 200);
        assert_preview_frame(&html, "idea");
        assert_eq!(
            canonical(&html),
            format!("{BASE}/ideas/{id}"),
            "no query in the canonical"
        );
        assert_eq!(title_tag(&html), format!("{title} · Sáng tạo trẻ"));
        assert_eq!(meta(&html, "og:type").as_deref(), Some("article"));
        assert_eq!(meta(&html, "og:title").unwrap(), title);
        assert_eq!(
            meta(&html, "og:description").unwrap(),
            excerpt(&summary, 160)
        );
        assert_eq!(meta(&html, "og:locale").as_deref(), Some("vi_VN"));
        assert_eq!(meta(&html, "og:locale:alternate").as_deref(), Some("en_US"));
        let image = meta(&html, "og:image").unwrap();
        assert!(
            image.starts_with(&format!("{BASE}/ideas/{id}/card.png?v=")),
            "{image}"
        );
        assert_eq!(meta(&html, "og:image:type").as_deref(), Some("image/png"));
        assert_eq!(meta(&html, "og:image:width").as_deref(), Some("1200"));
        assert_eq!(meta(&html, "og:image:height").as_deref(), Some("630"));

        // The card itself: the URL's version makes it immutable, and a client holding it gets 304.
        let headers = fetch_card(app, &image);
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = headers["etag"].to_str().unwrap().to_string();
        let r = new_client()
            .get(app.url(image.strip_prefix(BASE).unwrap()))
            .header("if-none-match", &etag)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 304);
        // Without the version (or an old one) it is not promised to last.
        let r = app.get(&format!("/ideas/{id}/card.png?v=old"));
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["cache-control"], "public, max-age=300");

        // An edited title is a new card at a new address.
        diesel::update(ideas::table.find(&id))
            .set(ideas::title.eq(format!("{title} (bản sửa)")))
            .execute(&mut app.conn())
            .unwrap();
        let (_, html) = app.html(&format!("/ideas/{id}"));
        let changed = meta(&html, "og:image").unwrap();
        assert_ne!(changed, image);
        assert_eq!(
            etag_of(app, &changed),
            format!("\"{}\"", changed.rsplit("v=").next().unwrap())
        );

        // In English the tags say so.
        let (_, html) = app.html(&format!("/ideas/{id}?lang=en"));
        assert_eq!(meta(&html, "og:locale").as_deref(), Some("en_US"));
        assert_eq!(canonical(&html), format!("{BASE}/ideas/{id}"));
    });
}

fn etag_of(app: &TestApp, absolute: &str) -> String {
    fetch_card(app, absolute)["etag"]
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn cards_exist_only_for_public_ideas() {
    each_app(|app| {
        let hidden: String = ideas::table
            .filter(ideas::is_public.eq(false))
            .select(ideas::id)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(
            app.get(&format!("/ideas/{hidden}/card.png"))
                .status()
                .as_u16(),
            404
        );
        assert_eq!(app.get("/ideas/not-a-uuid/card.png").status().as_u16(), 400);
        assert_eq!(
            app.get("/contests/khong-co/card.png").status().as_u16(),
            404
        );
    });
}

#[test]
fn a_contest_page_and_the_site_pages_preview_too() {
    each_app(|app| {
        let (code, html) = app.html("/contests/sang-tao-tre-2021?x=1");
        assert_eq!(code, 200);
        assert_preview_frame(&html, "contest");
        assert_eq!(
            canonical(&html),
            format!("{BASE}/contests/sang-tao-tre-2021")
        );
        assert_eq!(
            meta(&html, "og:title").as_deref(),
            Some("Sáng tạo trẻ 2021")
        );
        assert_eq!(meta(&html, "og:type").as_deref(), Some("website"));
        let description = meta(&html, "og:description").unwrap();
        assert!(
            description.starts_with("Hội thi ý tưởng sáng tạo do Ủy ban"),
            "{description}"
        );
        assert!(description.ends_with('…') && description.chars().count() <= 160);
        let image = meta(&html, "og:image").unwrap();
        assert!(image.starts_with(&format!("{BASE}/contests/sang-tao-tre-2021/card.png?v=")));
        fetch_card(app, &image);

        for (path, title) in [
            ("/", "Ý tưởng của người trẻ, giải pháp cho khu phố"),
            ("/ideas", "Các ý tưởng công khai"),
        ] {
            let (code, html) = app.html(path);
            assert_eq!(code, 200);
            assert_preview_frame(&html, path);
            assert_eq!(meta(&html, "og:title").as_deref(), Some(title), "{path}");
            let image = meta(&html, "og:image").unwrap();
            assert!(image.starts_with(&format!("{BASE}/card.png?v=")), "{image}");
            fetch_card(app, &image);
        }
        let (_, html) = app.html("/");
        assert!(html.contains(
            "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/adopted.atom\""
        ));
    });
}

/// Uploads a picture to a new idea of the open contest and submits it: (idea id, author token).
fn idea_with_picture(app: &TestApp) -> String {
    let author = make_user(
        app,
        "tac.gia.anh@example.org",
        "mật khẩu kiểm thử",
        "member",
    );
    let token = make_token(app, &author);
    let r = new_client()
        .post(app.url("/api/v1/ideas"))
        .bearer_auth(&token)
        .json(&json!({"contest": "sang-tao-tre-2026", "category": "moi-truong", "title": "Vườn rau trên sân thượng"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let img = image::RgbImage::from_fn(800, 500, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let (ct, body) = multipart("vuon-rau.png", "image/png", png.get_ref());
    let r = new_client()
        .post(app.url(&format!("/api/v1/ideas/{id}/attachments")))
        .bearer_auth(&token)
        .header("content-type", ct)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().unwrap());
    let r = new_client()
        .patch(app.url(&format!("/api/v1/ideas/{id}")))
        .bearer_auth(&token)
        .json(&json!({
            "submit": true,
            "category": "moi-truong",
            "title": "Vườn rau trên sân thượng",
            "summary": "Trồng rau sạch trên sân thượng nhà văn hóa khu phố, thanh niên chăm sóc và chia cho hộ khó khăn.",
            "situation": "Sân thượng nhà văn hóa bỏ trống, nhiều hộ khó khăn thiếu rau sạch.",
            "solution": "Đoàn viên dựng luống, lắp tưới nhỏ giọt, lịch chăm sóc theo tuần.",
            "impact": "Mỗi tháng vài chục ký rau sạch cho các hộ khó khăn."
        }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    id
}

#[test]
fn an_idea_with_a_picture_previews_with_it_unless_its_authors_are_hidden() {
    each_app(|app| {
        let id = idea_with_picture(app);
        let att: (String, String) = attachments::table
            .filter(attachments::idea_id.eq(&id))
            .select((attachments::id, attachments::storage_key))
            .first(&mut app.conn())
            .unwrap();
        let (_, html) = app.html(&format!("/ideas/{id}"));
        assert_eq!(
            meta(&html, "og:image").unwrap(),
            format!("{BASE}/attachments/{}/preview", att.0)
        );
        assert_eq!(meta(&html, "og:image:type").as_deref(), Some("image/jpeg"));
        // The preview keeps the picture's shape, at most 640 pixels wide.
        assert_eq!(meta(&html, "og:image:width").as_deref(), Some("640"));
        assert_eq!(meta(&html, "og:image:height").as_deref(), Some("400"));
        let preview = app.get(&format!("/attachments/{}/preview", att.0));
        assert_eq!(preview.status().as_u16(), 200);

        // The same picture on an idea of the blind 2021 contest that was not selected (its authors stay hidden):
        // the preview is the card, never the picture.
        let (blind, _) = blind_hidden_idea(app);
        diesel::insert_into(attachments::table)
            .values((
                attachments::id.eq(uuid::Uuid::new_v4().to_string()),
                attachments::idea_id.eq(&blind),
                attachments::file_name.eq("anh-nhom.png"),
                attachments::content_type.eq("image/png"),
                attachments::size_bytes.eq(1000i64),
                attachments::storage_key.eq(&att.1),
                attachments::created_at.eq(sangtao::db::now()),
            ))
            .execute(&mut app.conn())
            .unwrap();
        let (_, html) = app.html(&format!("/ideas/{blind}"));
        let image = meta(&html, "og:image").unwrap();
        assert!(
            image.starts_with(&format!("{BASE}/ideas/{blind}/card.png?v=")),
            "{image}"
        );
    });
}

#[test]
fn a_blind_idea_previews_with_its_scrubbed_title() {
    each_app(|app| {
        let (id, author) = blind_hidden_idea(app);
        let name: String = users::table
            .find(&author)
            .select(users::display_name)
            .first(&mut app.conn())
            .unwrap();
        diesel::update(ideas::table.find(&id))
            .set(ideas::title.eq(format!("Đề xuất của {name} về vỉa hè")))
            .execute(&mut app.conn())
            .unwrap();
        let (_, html) = app.html(&format!("/ideas/{id}"));
        let title = meta(&html, "og:title").unwrap();
        assert_eq!(title, "Đề xuất của [đã ẩn] về vỉa hè");
        assert!(
            !html.contains(&name),
            "the author's name is nowhere on the page"
        );
        let image = meta(&html, "og:image").unwrap();
        fetch_card(app, &image);
    });
}

#[test]
fn robots_txt_opens_the_public_pages_and_points_to_the_sitemap() {
    each_app(|app| {
        let text = text_of(app, "/robots.txt", "text/plain");
        assert!(text.starts_with("User-agent: *\n"));
        let rules: Vec<&str> = text.lines().collect();
        for closed in [
            "/me/",
            "/profile",
            "/organize/",
            "/admin/",
            "/review",
            "/api/",
            "/signin",
        ] {
            assert!(
                rules.contains(&format!("Disallow: {closed}").as_str()),
                "{closed}: {text}"
            );
        }
        for open in [
            "/ideas",
            "/contests/",
            "/adopted",
            "/stats",
            "/open-data",
            "/sitemap.xml",
        ] {
            assert!(
                !rules.iter().any(|r| r
                    .strip_prefix("Disallow: ")
                    .is_some_and(|p| open.starts_with(p))),
                "{open} stays open: {text}"
            );
        }
        assert!(rules.contains(&format!("Sitemap: {BASE}/sitemap.xml").as_str()));
    });
}

/// The `<loc>`s of a sitemap document.
fn locs(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .map(|s| unescape(s.split("</loc>").next().unwrap()))
        .collect()
}

/// The ids of every public idea.
pub fn public_ids(app: &TestApp) -> BTreeSet<String> {
    ideas::table
        .filter(ideas::is_public.eq(true))
        .select(ideas::id)
        .load::<String>(&mut app.conn())
        .unwrap()
        .into_iter()
        .collect()
}

fn idea_locs(all: &[String]) -> Vec<String> {
    all.iter()
        .filter_map(|l| {
            l.strip_prefix(&format!("{BASE}/ideas/"))
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn the_sitemap_lists_the_site_contests_and_public_ideas_only() {
    each_app(|app| {
        let xml = text_of(app, "/sitemap.xml", "application/xml");
        assert!(xml.starts_with("<?xml") && xml.trim_end().ends_with("</urlset>"));
        assert!(xml.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
        let all = locs(&xml);
        for page in [
            "/",
            "/ideas",
            "/adopted",
            "/stats",
            "/open-data",
            "/contests/sang-tao-tre-2021",
            "/contests/sang-tao-tre-2026",
        ] {
            assert!(all.contains(&format!("{BASE}{page}")), "{page}");
        }
        let listed = idea_locs(&all);
        let unique: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(unique.len(), listed.len(), "no idea twice");
        assert_eq!(unique, public_ids(app));
        // Drafts, withdrawn and ineligible ideas are not in it.
        let hidden: Vec<String> = ideas::table
            .filter(ideas::is_public.eq(false))
            .select(ideas::id)
            .load(&mut app.conn())
            .unwrap();
        assert!(!hidden.is_empty());
        for h in &hidden {
            assert!(!xml.contains(h.as_str()), "{h} is not public");
        }
    });
}

/// Adds `n` public copies of a public idea, all listed at the same moment (so pages must break ties by id).
pub fn add_public_copies(app: &TestApp, n: usize) {
    let template: String = ideas::table
        .filter(ideas::is_public.eq(true))
        .order(ideas::id.asc())
        .select(ideas::id)
        .first(&mut app.conn())
        .unwrap();
    let cols = "id, contest_id, category_id, unit_id, author_id, title, summary, situation, solution, impact, \
                resources, applies_where, status, is_public, version, created_at, updated_at, submitted_at, \
                listed_at, contact_id";
    let rest = "t.contest_id, t.category_id, t.unit_id, t.author_id, t.title, t.summary, t.situation, t.solution, \
                t.impact, t.resources, t.applies_where, t.status, t.is_public, t.version, t.created_at, \
                t.updated_at, t.submitted_at, t.listed_at, t.contact_id";
    let sql = if app.is_postgres() {
        format!(
            "INSERT INTO ideas ({cols}) SELECT '00000000-0000-4000-8000-' || lpad(n.i::text, 12, '0'), {rest} \
             FROM generate_series(1, {n}) AS n(i), (SELECT * FROM ideas WHERE id = '{template}') t"
        )
    } else {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO ideas ({cols}) SELECT printf('00000000-0000-4000-8000-%012d', n.i), {rest} \
             FROM n, (SELECT * FROM ideas WHERE id = '{template}') t"
        )
    };
    let added = diesel::sql_query(sql).execute(&mut app.conn()).unwrap();
    assert_eq!(added, n);
}

#[test]
fn past_fifty_thousand_addresses_the_sitemap_becomes_an_index_of_keyset_pages() {
    each_app(|app| {
        add_public_copies(app, 50_000);
        let xml = app.get("/sitemap.xml").text().unwrap();
        assert!(
            xml.contains("<sitemapindex"),
            "{}",
            &xml[..xml.len().min(500)]
        );
        let pages = locs(&xml);
        assert_eq!(pages[0], format!("{BASE}/sitemaps/pages.xml"));
        assert_eq!(pages[1], format!("{BASE}/sitemaps/ideas.xml"));
        let public = public_ids(app);
        assert!(public.len() > 50_000);
        assert_eq!(pages.len(), 1 + public.len().div_ceil(50_000));
        let fixed = locs(&app.get("/sitemaps/pages.xml").text().unwrap());
        assert!(fixed.contains(&format!("{BASE}/contests/sang-tao-tre-2026")));
        assert!(idea_locs(&fixed).is_empty());
        let mut seen = Vec::new();
        for page in &pages[1..] {
            let r = app.get(page.strip_prefix(BASE).unwrap());
            assert_eq!(r.status().as_u16(), 200, "{page}");
            let body = r.text().unwrap();
            assert!(body.trim_end().ends_with("</urlset>"), "{page}");
            let listed = idea_locs(&locs(&body));
            assert!(listed.len() <= 50_000, "{page}: {}", listed.len());
            seen.extend(listed);
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "no idea on two pages");
        assert_eq!(unique, public);
        assert_eq!(
            app.get("/sitemaps/ideas.xml?after=nonsense")
                .status()
                .as_u16(),
            400
        );
    });
}

#[test]
fn the_feed_lists_adopted_ideas_newest_adoption_first() {
    each_app(|app| {
        let feed: atom_syndication::Feed = text_of(app, "/adopted.atom", "application/atom+xml")
            .parse()
            .unwrap();
        assert_eq!(feed.lang.as_deref(), Some("vi"));
        assert_eq!(feed.id, format!("{BASE}/adopted.atom"));
        assert!(
            feed.links
                .iter()
                .any(|l| l.rel == "self" && l.href == format!("{BASE}/adopted.atom"))
        );
        let adopted: Vec<(String, String, i32, chrono::NaiveDateTime)> = adoptions::table
            .inner_join(ideas::table)
            .filter(ideas::is_public.eq(true))
            .order((adoptions::started_at.desc(), adoptions::idea_id.desc()))
            .select((
                ideas::id,
                ideas::title,
                adoptions::progress,
                adoptions::started_at,
            ))
            .load(&mut app.conn())
            .unwrap();
        assert!(!adopted.is_empty());
        assert_eq!(feed.entries.len(), adopted.len().min(50));
        for (entry, (id, title, progress, _)) in feed.entries.iter().zip(&adopted) {
            let url = format!("{BASE}/ideas/{id}");
            assert_eq!(entry.id, url);
            assert_eq!(entry.title.value, *title);
            assert_eq!(entry.links[0].href, url);
            let summary = &entry.summary.as_ref().unwrap().value;
            assert!(summary.contains("Đơn vị thực hiện:"), "{summary}");
            assert!(
                summary.contains(&format!("Tiến độ {progress}%")),
                "{summary}"
            );
        }
        // A newly adopted idea leads the feed.
        let newcomer: String = ideas::table
            .filter(ideas::status.eq("selected"))
            .filter(ideas::is_public.eq(true))
            .select(ideas::id)
            .first(&mut app.conn())
            .unwrap();
        let unit: String = ideas::table
            .find(&newcomer)
            .select(ideas::unit_id)
            .first(&mut app.conn())
            .unwrap();
        let now = sangtao::db::now();
        diesel::update(ideas::table.find(&newcomer))
            .set(ideas::status.eq("in_implementation"))
            .execute(&mut app.conn())
            .unwrap();
        diesel::insert_into(adoptions::table)
            .values((
                adoptions::idea_id.eq(&newcomer),
                adoptions::responsible_unit_id.eq(&unit),
                adoptions::plan.eq("Thí điểm ba tháng."),
                adoptions::progress.eq(5),
                adoptions::started_at.eq(now),
                adoptions::updated_at.eq(now),
            ))
            .execute(&mut app.conn())
            .unwrap();
        let feed: atom_syndication::Feed = app
            .get("/adopted.atom?lang=en")
            .text()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(feed.entries[0].id, format!("{BASE}/ideas/{newcomer}"));
        assert!(
            feed.entries[0]
                .summary
                .as_ref()
                .unwrap()
                .value
                .contains("Progress 5%")
        );
        assert_eq!(feed.lang.as_deref(), Some("en"));
    });
}
