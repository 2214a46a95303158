//! Link previews: what a chat app or social network shows when someone shares a public page — its title, a short
//! description, the canonical address and an image (Open Graph and Twitter card tags, written by `base.html` from
//! [`Share`]) — and the share cards served as that image when an idea has no picture of its own.
//!
//! A card's URL carries its [`CardText::version`], a fingerprint of what it shows: the same URL always means the
//! same picture, so it is sent with a year-long, immutable cache life, and an edited title gets a new URL. Cards
//! are drawn one at a time (a crawler asking for thousands cannot take every core) and the latest few hundred are
//! kept in memory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};

use super::State;
use super::card::{self, CardText};
use super::error::AppError;
use super::i18n::Lang;
use crate::access::redaction;
use crate::app::attachments::Uploads;
use crate::db::attachments::Attachment;
use crate::db::catalog::{self, Contest};
use crate::db::ideas::Idea;
use crate::domain::attachment::FileKind;
use crate::domain::listing::{ParamError, parse_idea_id};
use crate::domain::text::excerpt;

/// The longest description, in characters (what search results and previews show before cutting).
pub const DESCRIPTION_CHARS: usize = 160;

/// The image of a link preview.
#[derive(Debug, Clone)]
pub struct ShareImage {
    /// Absolute URL.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Media type.
    pub mime: &'static str,
    /// Text alternative.
    pub alt: String,
}

/// The preview of a public page.
#[derive(Debug, Clone)]
pub struct Share {
    /// `og:type`: `article` for an idea, `website` otherwise.
    pub og_type: &'static str,
    /// The title alone (the `<title>` adds the site's name).
    pub title: String,
    /// The description, one line, at most [`DESCRIPTION_CHARS`].
    pub description: String,
    /// The image.
    pub image: ShareImage,
    /// `og:locale` of the page's language.
    pub locale: &'static str,
    /// `og:locale:alternate`: the other language.
    pub locale_alternate: &'static str,
}

fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi_VN",
        Lang::En => "en_US",
    }
}

impl Share {
    /// The preview of a page in `lang`; `description` is cut to [`DESCRIPTION_CHARS`] at a word.
    pub fn new(
        lang: Lang,
        og_type: &'static str,
        title: &str,
        description: &str,
        image: ShareImage,
    ) -> Share {
        Share {
            og_type,
            title: excerpt(title, 200),
            description: excerpt(description, DESCRIPTION_CHARS),
            image,
            locale: locale(lang),
            locale_alternate: locale(lang.other()),
        }
    }
}

/// The site's address without its scheme ("sangtao.example.vn"), as a card prints it.
pub fn host_of(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(base_url);
    rest.trim_end_matches('/').to_string()
}

/// Cards are in Vietnamese whatever the reader's language: one picture per idea, in the language of the contests.
fn card(base_url: &str, kicker: &str, title: &str) -> CardText {
    CardText {
        kicker: kicker.to_string(),
        title: title.to_string(),
        site: Lang::Vi.t("site.name").to_string(),
        host: host_of(base_url),
    }
}

/// The card of an idea: its title (as its page shows it) under its contest's.
pub fn idea_card_text(base_url: &str, title: &str, contest_title: &str) -> CardText {
    card(base_url, contest_title, title)
}

/// The card of a contest: its title under its organizing unit's name.
pub fn contest_card_text(base_url: &str, unit: &str, contest_title: &str) -> CardText {
    card(base_url, unit, contest_title)
}

/// The card of the site's own pages (home, the list of ideas).
pub fn site_card_text(base_url: &str) -> CardText {
    card(
        base_url,
        Lang::Vi.t("share.site_kicker"),
        Lang::Vi.t("home.heading"),
    )
}

/// A card at `path` as the preview image.
pub fn card_image(base_url: &str, path: &str, text: &CardText, alt: &str) -> ShareImage {
    ShareImage {
        url: format!("{base_url}{path}?v={}", text.version()),
        width: card::WIDTH,
        height: card::HEIGHT,
        mime: "image/png",
        alt: alt.to_string(),
    }
}

/// The preview of an idea's first picture, when `names_visible` lets its own picture stand for it
/// (`access::redaction::own_picture_in_previews`) and the preview file can be read; its size comes from the
/// file's header.
pub fn picture_image(
    base_url: &str,
    data_dir: &Path,
    files: &[Attachment],
    names_visible: bool,
    alt: &str,
) -> Option<ShareImage> {
    if !redaction::own_picture_in_previews(names_visible) {
        return None;
    }
    let first = files
        .iter()
        .find(|a| FileKind::from_mime(&a.content_type).is_some_and(|k| k.is_image()))?;
    let path = Uploads::new(data_dir).path_of(&Uploads::preview_key(&first.storage_key))?;
    let (width, height) = image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    Some(ShareImage {
        url: format!("{base_url}/attachments/{}/preview", first.id),
        width,
        height,
        mime: "image/jpeg",
        alt: alt.to_string(),
    })
}

/// The preview of one of the site's own pages (home, the list of ideas): the site's card.
pub fn site_share(lang: Lang, base_url: &str, title: &str, description: &str) -> Share {
    let text = site_card_text(base_url);
    let alt = format!("{} – {}", text.title, text.site);
    let image = card_image(base_url, "/card.png", &text, &alt);
    Share::new(lang, "website", title, description, image)
}

/// The preview of a public idea, as its page shows it (`idea` already through the public redaction): its summary,
/// and its first picture or else its card.
pub fn idea_share(
    lang: Lang,
    base_url: &str,
    data_dir: &Path,
    idea: &Idea,
    contest_title: &str,
    files: &[Attachment],
    names_visible: bool,
) -> Share {
    let picture_alt = lang.tf("share.picture_alt", &[("title", &idea.title)]);
    let image = picture_image(base_url, data_dir, files, names_visible, &picture_alt)
        .unwrap_or_else(|| {
            let text = idea_card_text(base_url, &idea.title, contest_title);
            let alt = format!("{} – {contest_title}", idea.title);
            card_image(
                base_url,
                &format!("/ideas/{}/card.png", idea.id),
                &text,
                &alt,
            )
        });
    Share::new(lang, "article", &idea.title, &idea.summary, image)
}

/// The preview of a contest: its description and its card.
pub fn contest_share(lang: Lang, base_url: &str, unit: &str, contest: &Contest) -> Share {
    let text = contest_card_text(base_url, unit, &contest.title);
    let alt = format!("{} – {unit}", contest.title);
    let image = card_image(
        base_url,
        &format!("/contests/{}/card.png", contest.slug),
        &text,
        &alt,
    );
    let description = if contest.description.trim().is_empty() {
        lang.t("site.tagline")
    } else {
        contest.description.as_str()
    };
    Share::new(lang, "website", &contest.title, description, image)
}

/// How many cards are kept in memory (a card is 30–80 KB, so at most about 5 MB: a crawler walking every idea's card
/// must not make the server large).
const MAX_CARDS: usize = 64;

/// Cards already drawn, by what they show, and the gate that lets one be drawn at a time.
#[derive(Default)]
pub struct CardCache {
    entries: Mutex<HashMap<String, Bytes>>,
    drawing: Mutex<()>,
}

impl CardCache {
    fn get(&self, version: &str) -> Option<Bytes> {
        self.entries.lock().ok()?.get(version).cloned()
    }

    fn put(&self, version: String, png: Bytes) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_CARDS {
                map.clear();
            }
            map.insert(version, png);
        }
    }

    /// The card for `text`, drawn now (on the blocking pool, one at a time) unless it is kept.
    async fn png(state: &State, text: CardText) -> Result<Bytes, AppError> {
        let version = text.version();
        if let Some(png) = state.cards.get(&version) {
            return Ok(png);
        }
        let st = state.clone();
        web::block(move || {
            let _turn = st
                .cards
                .drawing
                .lock()
                .map_err(|_| AppError::Internal("card gate poisoned".into()))?;
            // Someone may have drawn it while this request waited its turn.
            if let Some(png) = st.cards.get(&version) {
                return Ok(png);
            }
            let png = Bytes::from(
                card::render(&text).map_err(|e| AppError::Internal(format!("card: {e}")))?,
            );
            st.cards.put(version, png.clone());
            Ok(png)
        })
        .await?
    }
}

/// The `v` the page put in the card's URL, if any.
fn asked_version(req: &HttpRequest) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "v")
        .map(|(_, v)| v)
}

/// Sends a card. Asked for by its current version, it may be kept a year (it never changes under that URL);
/// otherwise for five minutes. A conditional request for the version the client has gets 304.
async fn send_card(
    req: &HttpRequest,
    state: &State,
    text: CardText,
) -> Result<HttpResponse, AppError> {
    let version = text.version();
    let etag = format!("\"{version}\"");
    let cache = if asked_version(req).as_deref() == Some(version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    let png = CardCache::png(state, text).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(png))
}

/// `GET /ideas/{id}/card.png`: a public idea's share card.
pub async fn idea_card(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_idea_id(&path).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))?;
    let (title, contest) = state
        .with_conn(move |conn| crate::app::publish::card_of_idea(conn, &id))
        .await?
        .ok_or(AppError::NotFound("idea"))?;
    let text = idea_card_text(&state.config.base_url, &title, &contest);
    send_card(&req, &state, text).await
}

/// `GET /contests/{slug}/card.png`: a contest's share card.
pub async fn contest_card(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (unit, title) = state
        .with_conn(move |conn| {
            let c = catalog::contest_by_slug(conn, &slug)?.ok_or(AppError::NotFound("contest"))?;
            let unit = catalog::unit_by_id(conn, &c.unit_id)?
                .map(|u| u.name)
                .unwrap_or_default();
            Ok((unit, c.title))
        })
        .await?;
    let text = contest_card_text(&state.config.base_url, &unit, &title);
    send_card(&req, &state, text).await
}

/// `GET /card.png`: the site's own share card (home, the list of ideas).
pub async fn site_card(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let text = site_card_text(&state.config.base_url);
    send_card(&req, &state, text).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_the_base_url_without_scheme_or_slash() {
        assert_eq!(host_of("https://sangtao.example.vn/"), "sangtao.example.vn");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }

    #[test]
    fn a_share_cuts_its_description_at_a_word() {
        let image = card_image(
            "https://x.vn",
            "/card.png",
            &site_card_text("https://x.vn"),
            "",
        );
        let s = Share::new(Lang::En, "website", "T", &"từ ".repeat(100), image);
        assert!(s.description.chars().count() <= DESCRIPTION_CHARS);
        assert!(s.description.ends_with("từ…"), "{}", s.description);
        assert_eq!((s.locale, s.locale_alternate), ("en_US", "vi_VN"));
        assert!(s.image.url.starts_with("https://x.vn/card.png?v="));
    }
}
