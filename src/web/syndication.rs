//! For search engines and feed readers: `/robots.txt`, the sitemap and the Atom feed of newly adopted ideas. Every
//! address in them is absolute, from `SANGTAO_BASE_URL`.
//!
//! The sitemap lists the site's own pages, every contest and every public idea. Up to 50,000 addresses it is one
//! file; past that `/sitemap.xml` is a sitemap index of `/sitemaps/pages.xml` and pages of 50,000 ideas
//! (`/sitemaps/ideas.xml?after=…`), oldest first so that new ideas only ever add to the last page. A page starts
//! after the keyset cursor of the idea that ends the one before, found by stepping through the `(is_public,
//! listed_at, id)` index 50,000 entries at a time; each page is streamed in pieces read with the same keyset.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text};
use chrono::NaiveDateTime;
use chrono_tz::Asia::Ho_Chi_Minh;
use quick_xml::escape::escape;

use super::chunked::{self, Step};
use super::error::AppError;
use super::i18n::Lang;
use super::view::{self, rfc3339};
use super::{AppState, State};
use crate::db::public_data::{self, SitemapIdea};
use crate::db::{DbConn, catalog};
use crate::domain::listing::{Cursor, ParamError};

/// The most addresses one sitemap file may hold (the sitemaps protocol's limit).
pub const SITEMAP_URLS: i64 = 50_000;
/// Ideas read and written per piece of a streamed sitemap.
const CHUNK: i64 = 5_000;
/// The feed's length.
pub const FEED_ENTRIES: i64 = 50;

const XML: &str = "application/xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
/// Crawlers may keep these an hour.
const CRAWLER_CACHE: &str = "public, max-age=3600";
const URLSET_OPEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
const URLSET_CLOSE: &str = "</urlset>\n";

/// The site's own public pages, in the sitemap before the contests and ideas.
pub const SITE_PAGES: [&str; 5] = ["/", "/ideas", "/adopted", "/stats", "/open-data"];

/// `GET /robots.txt`: the public pages are open to crawlers; accounts, organizers' and reviewers' pages, forms and
/// the API are not.
pub async fn robots(state: State) -> HttpResponse {
    let base = &state.config.base_url;
    let body = format!(
        "User-agent: *\n\
         Allow: /\n\
         Disallow: /me/\n\
         Disallow: /profile\n\
         Disallow: /organize/\n\
         Disallow: /admin/\n\
         Disallow: /review\n\
         Disallow: /api/\n\
         Disallow: /ideas/new\n\
         Disallow: /signin\n\
         Disallow: /signout\n\
         Disallow: /register\n\
         Disallow: /password/\n\
         Disallow: /verify\n\
         Disallow: /invitation\n\
         \n\
         Sitemap: {base}/sitemap.xml\n"
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, CRAWLER_CACHE))
        .body(body)
}

fn url_entry(out: &mut String, loc: &str, lastmod: Option<NaiveDateTime>) {
    out.push_str("<url><loc>");
    out.push_str(&escape(loc));
    out.push_str("</loc>");
    if let Some(t) = lastmod {
        out.push_str("<lastmod>");
        out.push_str(&rfc3339(t));
        out.push_str("</lastmod>");
    }
    out.push_str("</url>\n");
}

/// The entries of the site's pages and the contests.
fn fixed_entries(base: &str, contests: &[catalog::Contest]) -> String {
    let mut out = String::new();
    for p in SITE_PAGES {
        url_entry(&mut out, &format!("{base}{p}"), None);
    }
    for c in contests {
        url_entry(
            &mut out,
            &format!("{base}/contests/{}", c.slug),
            Some(c.updated_at),
        );
    }
    out
}

/// The start of each page of ideas in the index: `None` for the first, then the cursor of the idea that ends the
/// page before.
fn idea_pages(conn: &mut DbConn) -> Result<Vec<Option<Cursor>>, AppError> {
    let mut pages = vec![None];
    let mut after: Option<Cursor> = None;
    loop {
        let keys = public_data::public_key_at(conn, after.as_ref(), SITEMAP_URLS - 1)?;
        let [last, _next, ..] = keys.as_slice() else {
            break;
        };
        pages.push(Some(last.clone()));
        after = Some(last.clone());
    }
    Ok(pages)
}

enum Plan {
    /// Everything fits in one file: these entries, then every public idea (fewer than the room left).
    Single(String, i64),
    /// A sitemap index of these pages of ideas.
    Index(Vec<Option<Cursor>>),
}

/// `GET /sitemap.xml`: the whole sitemap when it fits in one file, else the sitemap index.
pub async fn sitemap(state: State) -> Result<HttpResponse, AppError> {
    let base = state.config.base_url.clone();
    let b = base.clone();
    let plan = state
        .with_conn(move |conn| {
            let contests = catalog::all_contests(conn)?;
            let fixed = fixed_entries(&b, &contests);
            let room = SITEMAP_URLS - (SITE_PAGES.len() + contests.len()) as i64;
            if public_data::public_key_at(conn, None, room)?.is_empty() {
                Ok(Plan::Single(fixed, room))
            } else {
                Ok(Plan::Index(idea_pages(conn)?))
            }
        })
        .await?;
    let res = match plan {
        Plan::Single(fixed, room) => {
            streamed_ideas(&state, format!("{URLSET_OPEN}{fixed}"), None, room)
        }
        Plan::Index(pages) => {
            let mut out = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
            );
            let mut entry = |loc: String| {
                out.push_str("<sitemap><loc>");
                out.push_str(&escape(&loc));
                out.push_str("</loc></sitemap>\n");
            };
            entry(format!("{base}/sitemaps/pages.xml"));
            for p in pages {
                entry(match p {
                    None => format!("{base}/sitemaps/ideas.xml"),
                    Some(c) => format!("{base}/sitemaps/ideas.xml?after={}", c.encode()),
                });
            }
            out.push_str("</sitemapindex>\n");
            HttpResponse::Ok()
                .content_type(XML)
                .insert_header((header::CACHE_CONTROL, CRAWLER_CACHE))
                .body(out)
        }
    };
    Ok(res)
}

/// `GET /sitemaps/pages.xml`: the site's pages and the contests (in the sitemap index).
pub async fn sitemap_pages(state: State) -> Result<HttpResponse, AppError> {
    let base = state.config.base_url.clone();
    let fixed = state
        .with_conn(move |conn| Ok(fixed_entries(&base, &catalog::all_contests(conn)?)))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(XML)
        .insert_header((header::CACHE_CONTROL, CRAWLER_CACHE))
        .body(format!("{URLSET_OPEN}{fixed}{URLSET_CLOSE}")))
}

#[derive(Debug, serde::Deserialize)]
pub struct SitemapQuery {
    after: Option<String>,
}

/// `GET /sitemaps/ideas.xml?after=CURSOR`: 50,000 public ideas after the cursor (from the first without one).
pub async fn sitemap_ideas(
    state: State,
    q: web::Query<SitemapQuery>,
) -> Result<HttpResponse, AppError> {
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(Cursor::decode(a).ok_or(ParamError::new("after", "invalid_cursor"))?),
    };
    Ok(streamed_ideas(
        &state,
        URLSET_OPEN.to_string(),
        after,
        SITEMAP_URLS,
    ))
}

/// A urlset of `prefix` and then at most `room` public ideas after `after`, streamed.
fn streamed_ideas(
    state: &AppState,
    prefix: String,
    after: Option<Cursor>,
    room: i64,
) -> HttpResponse {
    let base = state.config.base_url.clone();
    let body = chunked::body(
        state.pool.clone(),
        (Some(prefix), after, room),
        move |conn, (prefix, after, left)| {
            let want = left.min(CHUNK);
            let rows: Vec<SitemapIdea> =
                public_data::public_ideas_after(conn, after.as_ref(), want)?;
            let mut out = prefix.unwrap_or_default();
            for r in &rows {
                url_entry(
                    &mut out,
                    &format!("{base}/ideas/{}", r.id),
                    Some(r.updated_at),
                );
            }
            let left = left - rows.len() as i64;
            let next = rows.last().and_then(|r| {
                r.listed_at.map(|listed_at| Cursor {
                    listed_at,
                    id: r.id.clone(),
                })
            });
            match next {
                Some(c) if rows.len() as i64 == want && left > 0 => {
                    Ok(Step::More(out.into_bytes(), (None, Some(c), left)))
                }
                _ => {
                    out.push_str(URLSET_CLOSE);
                    Ok(Step::Last(out.into_bytes()))
                }
            }
        },
    );
    HttpResponse::Ok()
        .content_type(XML)
        .insert_header((header::CACHE_CONTROL, CRAWLER_CACHE))
        .streaming(body)
}

fn vietnam_time(t: NaiveDateTime) -> FixedDateTime {
    t.and_utc().with_timezone(&Ho_Chi_Minh).fixed_offset()
}

/// `GET /adopted.atom`: the ideas most recently chosen for application, newest adoption first, each with its
/// responsible unit, progress and latest update; in the reader's language.
pub async fn adopted_feed(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let base = state.config.base_url.clone();
    state
        .cached(&req, lang, ATOM, move |conn| {
            let rows = crate::app::publish::feed(conn, FEED_ENTRIES)?;
            let entries: Vec<Entry> = rows
                .iter()
                .map(|r| {
                    let url = format!("{base}/ideas/{}", r.idea.id);
                    let mut summary = [
                        lang.tf("adoption.by_unit", &[("unit", &r.responsible_unit)]),
                        lang.tf(
                            "adoption.progress",
                            &[("percent", &r.progress.clamp(0, 100).to_string())],
                        ),
                        view::status_label(lang, &r.idea.status),
                    ]
                    .join(" · ");
                    if let Some(u) = &r.latest_update {
                        summary.push_str(&format!(". {}: {u}", lang.t("idea.latest_update")));
                    }
                    Entry {
                        title: Text::plain(r.idea.title.clone()),
                        id: url.clone(),
                        updated: vietnam_time(r.updated_at),
                        published: Some(vietnam_time(r.started_at)),
                        links: vec![Link {
                            href: url,
                            rel: "alternate".into(),
                            mime_type: Some("text/html".into()),
                            ..Link::default()
                        }],
                        summary: Some(Text::plain(summary)),
                        categories: vec![atom_syndication::Category {
                            term: r.contest_title.clone(),
                            ..atom_syndication::Category::default()
                        }],
                        ..Entry::default()
                    }
                })
                .collect();
            let updated = rows
                .iter()
                .map(|r| r.updated_at)
                .max()
                .unwrap_or_else(crate::db::now);
            let feed = Feed {
                title: Text::plain(format!(
                    "{} – {}",
                    lang.t("site.name"),
                    lang.t("feed.title")
                )),
                subtitle: Some(Text::plain(lang.t("feed.subtitle"))),
                id: format!("{base}/adopted.atom"),
                updated: vietnam_time(updated),
                authors: vec![Person {
                    name: lang.t("site.name").to_string(),
                    uri: Some(base.clone()),
                    ..Person::default()
                }],
                links: vec![
                    Link {
                        href: format!("{base}/adopted.atom"),
                        rel: "self".into(),
                        mime_type: Some("application/atom+xml".into()),
                        ..Link::default()
                    },
                    Link {
                        href: format!("{base}/adopted"),
                        rel: "alternate".into(),
                        mime_type: Some("text/html".into()),
                        ..Link::default()
                    },
                ],
                lang: Some(lang.code().to_string()),
                entries,
                ..Feed::default()
            };
            Ok(feed.to_string())
        })
        .await
}
