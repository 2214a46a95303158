//! Share cards: the 1200×630 PNG a chat app or social network shows under a shared link when an idea has no image
//! of its own (chat apps do not render SVG previews, so it is a bitmap).
//!
//! The text is drawn with DejaVu Sans, embedded in the binary (the `dejavu` crate): it covers every Vietnamese
//! letter as a precomposed glyph, so after NFC normalisation each character is one glyph and no shaping engine is
//! needed. Nothing is read from the system or downloaded at run time. A card costs about 10 ms to draw and encode
//! (release build); callers make it once per [`CardText::version`] and keep it.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, Rgb, RgbImage};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// Width of a card in pixels (the size Open Graph and Twitter's large summary card recommend).
pub const WIDTH: u32 = 1200;
/// Height of a card in pixels.
pub const HEIGHT: u32 = 630;

/// Bumped whenever the drawing changes, so cached cards and their long-lived URLs change with it.
const LAYOUT: &str = "card-1";

const MARGIN: f32 = 72.0;
const BACKGROUND: Rgb<u8> = Rgb([255, 253, 247]);
const INK: Rgb<u8> = Rgb([26, 26, 26]);
const RED: Rgb<u8> = Rgb([183, 28, 28]);
const BAND: Rgb<u8> = Rgb([198, 40, 40]);
const STAR: Rgb<u8> = Rgb([255, 213, 79]);
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
/// The band at the bottom that carries the site's name.
const BAND_TOP: u32 = 530;
/// Where the title's lines may go.
const TITLE_TOP: f32 = 150.0;
const TITLE_BOTTOM: f32 = 505.0;
/// Title sizes tried from the largest down, until the title fits.
const TITLE_SIZES: [f32; 5] = [72.0, 64.0, 56.0, 50.0, 44.0];
const LINE_HEIGHT: f32 = 1.22;

/// What a card says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardText {
    /// The small line above the title (the contest, or the organizing unit).
    pub kicker: String,
    /// The big text: the idea's or the contest's title.
    pub title: String,
    /// The site's name, in the band at the bottom.
    pub site: String,
    /// The site's address without the scheme, at the band's right.
    pub host: String,
}

impl CardText {
    /// A short fingerprint of everything drawn: the card's cache key and its URL's `v`, so a changed title (an
    /// edit, a contest renamed, a blind review ending) gets a new URL and a long cache life is safe.
    pub fn version(&self) -> String {
        let mut h = Sha256::new();
        for part in [LAYOUT, &self.kicker, &self.title, &self.site, &self.host] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Why a card could not be made (a broken build only: the font is compiled in).
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The embedded font did not load.
    #[error("embedded font: {0}")]
    Font(String),
    /// PNG encoding failed.
    #[error("png: {0}")]
    Png(String),
}

fn fonts() -> Result<(FontRef<'static>, FontRef<'static>), CardError> {
    let regular = FontRef::try_from_slice(dejavu::sans::regular())
        .map_err(|e| CardError::Font(e.to_string()))?;
    let bold = FontRef::try_from_slice(dejavu::sans::bold())
        .map_err(|e| CardError::Font(e.to_string()))?;
    Ok((regular, bold))
}

/// Text as drawn: NFC (one precomposed glyph for each Vietnamese letter), control characters and runs of spaces
/// turned into single spaces, and characters the font lacks left out rather than drawn as boxes.
fn clean(font: &FontRef<'_>, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfc() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if font.glyph_id(c).0 != 0 {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

/// The width of `text` at `scale`, with kerning.
fn width(font: &FontRef<'_>, scale: PxScale, text: &str) -> f32 {
    let f = font.as_scaled(scale);
    let mut w = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            w += f.kern(p, id);
        }
        w += f.h_advance(id);
        prev = Some(id);
    }
    w
}

/// `text` broken into lines at most `max_width` wide, at most `max_lines` of them; the last line that had to
/// drop words ends with "…". A single word wider than a line is cut.
fn wrap(
    font: &FontRef<'_>,
    scale: PxScale,
    text: &str,
    max_width: f32,
    max_lines: usize,
) -> (Vec<String>, bool) {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split(' ').filter(|w| !w.is_empty()).peekable();
    let mut complete = true;
    while let Some(word) = words.next() {
        let tried = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if width(font, scale, &tried) <= max_width {
            current = tried;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if lines.len() == max_lines {
            complete = false;
            break;
        }
        // A word wider than the whole line is cut where it stops fitting.
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if width(font, scale, &piece) > max_width {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                if lines.len() == max_lines {
                    complete = false;
                    break;
                }
                piece.push(c);
            }
        }
        if !complete {
            break;
        }
        current = piece;
        if words.peek().is_none() {
            break;
        }
    }
    if complete && !current.is_empty() {
        if lines.len() == max_lines {
            complete = false;
        } else {
            lines.push(current);
        }
    }
    if !complete && let Some(last) = lines.last_mut() {
        while !last.is_empty() && width(font, scale, &format!("{last}…")) > max_width {
            last.pop();
        }
        let trimmed = last
            .trim_end_matches([' ', ',', '.', ';', ':', '-', '–'])
            .to_string();
        *last = format!("{trimmed}…");
    }
    (lines, complete)
}

/// The title's lines and size: the largest size at which it fits, else the smallest, shortened.
fn fit_title(font: &FontRef<'_>, title: &str, max_width: f32) -> (Vec<String>, PxScale) {
    let room = TITLE_BOTTOM - TITLE_TOP;
    let mut last = (
        Vec::new(),
        PxScale::from(TITLE_SIZES[TITLE_SIZES.len() - 1]),
    );
    for size in TITLE_SIZES {
        let scale = PxScale::from(size);
        let max_lines = ((room / (size * LINE_HEIGHT)).floor() as usize).max(1);
        let (lines, complete) = wrap(font, scale, title, max_width, max_lines);
        if complete {
            return (lines, scale);
        }
        last = (lines, scale);
    }
    last
}

/// Draws `text` with its baseline at `y`, starting at `x`, blending into the canvas.
fn draw_text(
    img: &mut RgbImage,
    font: &FontRef<'_>,
    scale: PxScale,
    x: f32,
    y: f32,
    color: Rgb<u8>,
    text: &str,
) {
    let f = font.as_scaled(scale);
    let mut caret = x;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            caret += f.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scale, point(caret, y));
        caret += f.h_advance(id);
        prev = Some(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 || px >= i64::from(WIDTH) || py >= i64::from(HEIGHT) {
                return;
            }
            let dst = img.get_pixel_mut(px as u32, py as u32);
            let a = coverage.clamp(0.0, 1.0);
            for i in 0..3 {
                let blended = f32::from(dst.0[i]) * (1.0 - a) + f32::from(color.0[i]) * a;
                dst.0[i] = blended.round() as u8;
            }
        });
    }
}

fn fill(img: &mut RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, color: Rgb<u8>) {
    for y in y0..y1.min(HEIGHT) {
        for x in x0..x1.min(WIDTH) {
            img.put_pixel(x, y, color);
        }
    }
}

/// The card for `text`, as PNG bytes.
pub fn render(text: &CardText) -> Result<Vec<u8>, CardError> {
    let (regular, bold) = fonts()?;
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, BACKGROUND);
    let line_width = WIDTH as f32 - 2.0 * MARGIN;
    // A yellow stripe on the left and the red band at the bottom: the portal's colours.
    fill(&mut img, 0, 0, 14, BAND_TOP, STAR);
    fill(&mut img, 0, BAND_TOP, WIDTH, HEIGHT, BAND);

    let title = clean(&bold, &text.title);
    let (lines, scale) = fit_title(&bold, &title, line_width);
    let step = scale.y * LINE_HEIGHT;
    let ascent = bold.as_scaled(scale).ascent();
    // The block of lines sits in the middle of the title's room, a little above centre.
    let block = step * lines.len() as f32;
    let top = TITLE_TOP + ((TITLE_BOTTOM - TITLE_TOP - block) * 0.4).max(0.0);
    for (i, line) in lines.iter().enumerate() {
        let baseline = top + ascent + step * i as f32;
        draw_text(&mut img, &bold, scale, MARGIN, baseline, INK, line);
    }
    // The kicker sits just above the title, wherever the title's block starts.
    let kicker_scale = PxScale::from(32.0);
    let (kicker, _) = wrap(
        &regular,
        kicker_scale,
        &clean(&regular, &text.kicker),
        line_width,
        1,
    );
    if let Some(k) = kicker.first() {
        draw_text(&mut img, &regular, kicker_scale, MARGIN, top - 36.0, RED, k);
    }

    let band_baseline = BAND_TOP as f32 + 64.0;
    let site_scale = PxScale::from(40.0);
    let host_scale = PxScale::from(28.0);
    let host = clean(&regular, &text.host);
    let host_width = width(&regular, host_scale, &host);
    let (site, _) = wrap(
        &bold,
        site_scale,
        &clean(&bold, &text.site),
        line_width - host_width - 24.0,
        1,
    );
    if let Some(s) = site.first() {
        draw_text(&mut img, &bold, site_scale, MARGIN, band_baseline, WHITE, s);
    }
    draw_text(
        &mut img,
        &regular,
        host_scale,
        WIDTH as f32 - MARGIN - host_width,
        band_baseline,
        WHITE,
        &host,
    );

    let mut out = Vec::with_capacity(64 * 1024);
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(img.as_raw(), WIDTH, HEIGHT, image::ExtendedColorType::Rgb8)
        .map_err(|e| CardError::Png(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const VIETNAMESE: &str =
        "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ";

    #[test]
    fn the_embedded_fonts_have_every_vietnamese_letter() {
        let (regular, bold) = fonts().unwrap();
        let all: String = VIETNAMESE
            .chars()
            .chain(VIETNAMESE.to_uppercase().chars())
            .collect();
        for font in [&regular, &bold] {
            let missing: String = all.chars().filter(|c| font.glyph_id(*c).0 == 0).collect();
            assert!(missing.is_empty(), "no glyph for {missing}");
        }
    }

    #[test]
    fn decomposed_text_is_drawn_precomposed_and_unknown_characters_are_left_out() {
        let (regular, _) = fonts().unwrap();
        // "Đường" typed with combining marks (NFD), a tab and a character DejaVu does not have.
        let nfd: String = "Đường\tphố 𝄞 xanh".nfd().collect();
        assert_eq!(clean(&regular, &nfd), "Đường phố xanh");
    }

    #[test]
    fn long_titles_shrink_then_end_with_an_ellipsis() {
        let (_, bold) = fonts().unwrap();
        let short = "Vạch sơn vùng chờ xe máy";
        let (lines, scale) = fit_title(&bold, short, 1056.0);
        assert_eq!(lines, vec![short.to_string()]);
        assert_eq!(scale.y, TITLE_SIZES[0]);
        let long = "Ứng dụng bản đồ số cảnh báo ùn tắc giao thông theo thời gian thực ".repeat(8);
        let (lines, scale) = fit_title(&bold, &long, 1056.0);
        assert_eq!(scale.y, TITLE_SIZES[TITLE_SIZES.len() - 1]);
        assert!(lines.last().unwrap().ends_with('…'), "{lines:?}");
        for l in &lines {
            assert!(width(&bold, scale, l) <= 1056.0, "{l}");
        }
        let one_word = "A".repeat(200);
        let (lines, _) = fit_title(&bold, &one_word, 1056.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| width(&bold, scale, l) <= 1056.0));
    }

    #[test]
    fn a_card_is_a_png_of_the_recommended_size_and_its_version_follows_its_text() {
        let text = CardText {
            kicker: "Sáng tạo trẻ 2026".into(),
            title: "Đèn tín hiệu thông minh ở ngã tư Ba Tháng Hai – Lý Thường Kiệt".into(),
            site: "Sáng tạo trẻ".into(),
            host: "sangtao.example".into(),
        };
        let png = render(&text).unwrap();
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        // Text was drawn: the title area is not all background.
        let rgb = img.to_rgb8();
        let inked = (150..500)
            .flat_map(|y| (72..1128).map(move |x| (x, y)))
            .filter(|(x, y)| rgb.get_pixel(*x, *y).0[0] < 128)
            .count();
        assert!(inked > 5_000, "{inked} dark pixels");
        let mut other = text.clone();
        other.title.push('!');
        assert_ne!(text.version(), other.version());
        assert_eq!(text.version(), text.clone().version());
        assert_eq!(text.version().len(), 16);
    }
}
