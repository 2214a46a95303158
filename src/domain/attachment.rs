//! Attachments as rules: which files are accepted (recognised by their content, never by their name or declared
//! type), how many an idea may have, how their names are cleaned for display, and how they are named when served.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The most attachments one idea may have.
pub const MAX_FILES_PER_IDEA: usize = 5;
/// The default size limit of one file, in megabytes (1 MB = 1,048,576 bytes); `SANGTAO_MAX_UPLOAD_MB` changes it.
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 10;
/// Bytes in a megabyte, as the limits count them.
pub const MB: u64 = 1024 * 1024;
/// A preview is at most this wide…
pub const PREVIEW_MAX_WIDTH: u32 = 640;
/// …and at most this high (pixels).
pub const PREVIEW_MAX_HEIGHT: u32 = 1280;
/// The widest or highest image that is decoded (pixels); larger ones are refused before any pixel is decoded.
pub const MAX_IMAGE_SIDE: u32 = 12_000;
/// The most pixels an image may have (50 megapixels: any phone photo, not a decompression bomb).
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;
/// The most memory decoding one image may take, in bytes.
pub const MAX_DECODE_BYTES: u64 = 256 * MB;
/// Bytes needed to recognise every accepted type.
pub const SNIFF_LEN: usize = 12;
/// The longest file name kept for display, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// A kind of file the portal accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A JPEG photo.
    Jpeg,
    /// A PNG image.
    Png,
    /// A WebP image.
    Webp,
    /// A PDF document.
    Pdf,
}

impl FileKind {
    /// Every accepted kind.
    pub const ALL: [FileKind; 4] = [FileKind::Jpeg, FileKind::Png, FileKind::Webp, FileKind::Pdf];

    /// The kind of a file from its first bytes (at least [`SNIFF_LEN`] of them, or the whole file if shorter);
    /// `None` for anything else. The name and the type the client declared play no part.
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
            Some(FileKind::Webp)
        } else if head.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else {
            None
        }
    }

    /// The media type it is stored and served with.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
        }
    }

    /// The kind stored as `mime`; `None` for anything else (such a row is never served as what it claims).
    pub fn from_mime(mime: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.mime() == mime)
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
        }
    }

    /// Extensions a name of this kind may end with.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            FileKind::Png => &["png"],
            FileKind::Webp => &["webp"],
            FileKind::Pdf => &["pdf"],
        }
    }

    /// Whether it is an image (and so gets a preview).
    pub fn is_image(self) -> bool {
        self != FileKind::Pdf
    }

    /// A short code for translations (`attachments.kind.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
        }
    }
}

/// The `accept` attribute of the upload field: a hint for the browser's file picker; the server checks content.
pub fn accept_attribute() -> String {
    let mut parts: Vec<String> = FileKind::ALL.iter().map(|k| k.mime().to_string()).collect();
    for k in FileKind::ALL {
        parts.extend(k.extensions().iter().map(|e| format!(".{e}")));
    }
    parts.join(",")
}

/// Why an upload was refused. Nothing is stored when one of these is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    /// The request carried no file (or an empty one).
    NoFile,
    /// The file is larger than the limit.
    TooLarge {
        /// The limit, in megabytes.
        max_mb: u64,
    },
    /// The content is not a JPEG, PNG, WebP or PDF.
    TypeNotAllowed,
    /// The idea already has the most attachments allowed.
    TooMany {
        /// The most an idea may have.
        max: usize,
    },
    /// The content starts like an image but cannot be decoded.
    Damaged,
    /// The image's dimensions are beyond what is decoded (a decompression bomb or an absurdly large picture).
    ImageTooLarge,
}

impl UploadProblem {
    /// The stable code (API `error.code`, and `upload.<code>` in the translations).
    pub fn code(self) -> &'static str {
        match self {
            UploadProblem::NoFile => "no_file",
            UploadProblem::TooLarge { .. } => "file_too_large",
            UploadProblem::TypeNotAllowed => "file_type_not_allowed",
            UploadProblem::TooMany { .. } => "too_many_files",
            UploadProblem::Damaged => "file_damaged",
            UploadProblem::ImageTooLarge => "image_too_large",
        }
    }

    /// The problem with this code, given the limits in force (for messages carried in a redirect).
    pub fn from_code(code: &str, max_mb: u64) -> Option<UploadProblem> {
        Some(match code {
            "no_file" => UploadProblem::NoFile,
            "file_too_large" => UploadProblem::TooLarge { max_mb },
            "file_type_not_allowed" => UploadProblem::TypeNotAllowed,
            "too_many_files" => UploadProblem::TooMany {
                max: MAX_FILES_PER_IDEA,
            },
            "file_damaged" => UploadProblem::Damaged,
            "image_too_large" => UploadProblem::ImageTooLarge,
            _ => return None,
        })
    }

    /// The values its message names: `{mb}`, `{max}`, `{side}`, `{mp}`.
    pub fn params(self) -> Vec<(&'static str, String)> {
        match self {
            UploadProblem::TooLarge { max_mb } => vec![("mb", max_mb.to_string())],
            UploadProblem::TooMany { max } => vec![("max", max.to_string())],
            UploadProblem::ImageTooLarge => vec![
                ("side", MAX_IMAGE_SIDE.to_string()),
                ("mp", (MAX_IMAGE_PIXELS / 1_000_000).to_string()),
            ],
            _ => Vec::new(),
        }
    }
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates would let "gpj.exe" read as "exe.jpg".
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The name a client gave a file, cleaned for display: only the last path component, Unicode NFC (names from
/// macOS arrive decomposed), no control or bidirectional-override characters, none of `<>:"/\|?*`, no leading or
/// trailing dots and spaces, at most [`MAX_NAME_CHARS`] characters with the extension kept. Never used to find the
/// stored file.
pub fn display_name(raw: &str, kind: FileKind) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .nfc()
        .filter(|c| !is_invisible(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let mut name = cleaned
        .trim_matches(|c: char| c == '.' || c == ' ')
        .to_string();
    if name.is_empty() {
        name = format!("attachment.{}", kind.extension());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() && e.chars().count() <= 10 => {
                (s.to_string(), format!(".{e}"))
            }
            _ => (name.clone(), String::new()),
        };
        let keep = MAX_NAME_CHARS - ext.chars().count();
        name = stem
            .chars()
            .take(keep)
            .collect::<String>()
            .trim_end()
            .to_string()
            + &ext;
    }
    name
}

/// The name a download is offered under: the display name, with the extension of what the file really is added
/// when the name ends otherwise (a PNG uploaded as `scan.pdf` downloads as `scan.pdf.png`).
pub fn download_name(name: &str, kind: FileKind) -> String {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    if kind.extensions().contains(&ext.as_str()) {
        name.to_string()
    } else {
        format!("{name}.{}", kind.extension())
    }
}

/// The name of an image's preview (always a JPEG).
pub fn preview_name(name: &str) -> String {
    let stem = match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => name,
    };
    format!("{stem}-preview.jpg")
}

/// An ASCII stand-in for a name, for clients that do not read `filename*`: Vietnamese letters lose their marks
/// (đ → d), anything else outside printable ASCII, quotes and backslashes become `_`.
fn ascii_fallback(name: &str) -> String {
    name.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect()
}

/// RFC 5987 `attr-char`: sent as is in `filename*`; every other byte is percent-encoded.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// A `Content-Disposition` value (RFC 6266) that shows the file in the browser under `name`: an ASCII `filename`
/// for old clients and the exact UTF-8 name in `filename*` (RFC 5987 encoding).
pub fn content_disposition(name: &str) -> String {
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if is_attr_char(b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "inline; filename=\"{}\"; filename*=UTF-8''{encoded}",
        ascii_fallback(name)
    )
}

/// A size for people: bytes, KB or MB with one decimal (a comma in Vietnamese).
pub fn human_size(bytes: i64, decimal_comma: bool) -> String {
    if bytes < 1024 {
        return format!("{} B", bytes.max(0));
    }
    let b = bytes as f64;
    let text = if b < MB as f64 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / MB as f64)
    };
    if decimal_comma {
        text.replace('.', ",")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_content() {
        assert_eq!(
            FileKind::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"),
            Some(FileKind::Jpeg)
        );
        assert_eq!(
            FileKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileKind::Png)
        );
        assert_eq!(
            FileKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(FileKind::Webp)
        );
        assert_eq!(FileKind::sniff(b"%PDF-1.4\n%\xE2\xE3"), Some(FileKind::Pdf));
        // Other RIFF files (WAV, AVI), HTML, SVG, scripts, ZIP-based documents and GIFs are not accepted.
        assert_eq!(FileKind::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(FileKind::sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(FileKind::sniff(b"<?xml version=\"1.0\"?><svg"), None);
        assert_eq!(FileKind::sniff(b"PK\x03\x04\x14\0\x06\0"), None);
        assert_eq!(FileKind::sniff(b"GIF89a\x01\0\x01\0"), None);
        assert_eq!(
            FileKind::sniff(b" %PDF-1.4"),
            None,
            "the signature must come first"
        );
        assert_eq!(FileKind::sniff(b"\xFF\xD8"), None);
        assert_eq!(FileKind::sniff(b""), None);
        for k in FileKind::ALL {
            assert_eq!(FileKind::from_mime(k.mime()), Some(k));
        }
        assert_eq!(FileKind::from_mime("text/html"), None);
    }

    #[test]
    fn names_are_cleaned_for_display() {
        let jpg = FileKind::Jpeg;
        assert_eq!(
            display_name("ảnh hiện trường.jpg", jpg),
            "ảnh hiện trường.jpg"
        );
        // Decomposed (macOS) input is composed.
        assert_eq!(display_name("a\u{0301}nh.jpg", jpg), "ánh.jpg");
        assert_eq!(
            display_name("C:\\Users\\lan\\Desktop\\so do.png", FileKind::Png),
            "so do.png"
        );
        assert_eq!(display_name("../../etc/passwd", jpg), "passwd");
        assert_eq!(display_name("photo\u{202E}gpj.exe", jpg), "photogpj.exe");
        assert_eq!(display_name("a\"b<c>.jpg", jpg), "a_b_c_.jpg");
        assert_eq!(display_name("line\r\nbreak.jpg", jpg), "linebreak.jpg");
        assert_eq!(display_name("  ..  ", FileKind::Pdf), "attachment.pdf");
        assert_eq!(display_name("", FileKind::Pdf), "attachment.pdf");
        let long = format!("{}.pdf", "ý".repeat(300));
        let cut = display_name(&long, FileKind::Pdf);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with("ý.pdf"));
    }

    #[test]
    fn downloads_carry_the_real_extension() {
        assert_eq!(download_name("scan.pdf", FileKind::Png), "scan.pdf.png");
        assert_eq!(download_name("Ảnh.JPEG", FileKind::Jpeg), "Ảnh.JPEG");
        assert_eq!(download_name("noext", FileKind::Pdf), "noext.pdf");
        assert_eq!(preview_name("sơ đồ.png"), "sơ đồ-preview.jpg");
    }

    #[test]
    fn disposition_is_rfc_6266_with_an_encoded_utf8_name() {
        assert_eq!(
            content_disposition("sơ đồ \"1\".pdf"),
            "inline; filename=\"so do _1_.pdf\"; filename*=UTF-8''s%C6%A1%20%C4%91%E1%BB%93%20%221%22.pdf"
        );
        assert_eq!(
            content_disposition("plan.pdf"),
            "inline; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf"
        );
        // Nothing a name holds can end the header or add a parameter.
        let v = content_disposition("a;b\\c.pdf");
        assert!(v.contains("filename=\"a;b_c.pdf\""));
        assert!(v.ends_with("a%3Bb%5Cc.pdf"));
    }

    #[test]
    fn codes_round_trip() {
        for p in [
            UploadProblem::NoFile,
            UploadProblem::TooLarge { max_mb: 3 },
            UploadProblem::TypeNotAllowed,
            UploadProblem::TooMany {
                max: MAX_FILES_PER_IDEA,
            },
            UploadProblem::Damaged,
            UploadProblem::ImageTooLarge,
        ] {
            assert_eq!(UploadProblem::from_code(p.code(), 3), Some(p));
        }
        assert_eq!(UploadProblem::from_code("not_editable", 3), None);
        assert!(accept_attribute().contains("image/webp"));
        assert!(accept_attribute().contains(".pdf"));
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_size(512, true), "512 B");
        assert_eq!(human_size(1536, true), "1,5 KB");
        assert_eq!(human_size(3 * MB as i64 / 2, false), "1.5 MB");
    }
}
