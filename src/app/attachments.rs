//! Attaching files to ideas, and reading them back.
//!
//! An upload never leaves a trace unless it is accepted whole. The web layer feeds the request body to an
//! [`Incoming`], which counts every chunk against the size limit *before* writing it and recognises the type from the
//! first bytes before anything reaches the disk. Accepted bytes go to a temporary file under `uploads/tmp/` (deleted
//! when dropped: on any refusal, error, or a client that goes away). [`Incoming::finish`] flushes it to disk and, for
//! images, decodes it under strict limits and writes a JPEG preview beside it. [`attach`] then, in one transaction,
//! checks the rules again under the idea's row lock, inserts the row, and renames both files into place; if anything
//! fails before the commit, the renamed files are removed again. Deleting removes the row first and the files after
//! the commit.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use diesel::prelude::*;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use tempfile::NamedTempFile;

use crate::access::{self, Principal};
use crate::db::attachments::{self as rows, Attachment};
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::{DbConn, catalog, new_id, now, submissions, write_tx};
use crate::domain::attachment::{
    FileKind, MAX_DECODE_BYTES, MAX_FILES_PER_IDEA, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE,
    PREVIEW_MAX_HEIGHT, PREVIEW_MAX_WIDTH, SNIFF_LEN, UploadProblem, display_name,
};
use crate::domain::idea::author_may_edit;
use crate::domain::status::IdeaStatus;
use crate::web::error::AppError;

/// Temporary files older than this are left over from a crash and removed at start.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

/// The uploads folder: `<data dir>/uploads/`, files in two-character subfolders, temporary files in `tmp/`.
#[derive(Debug, Clone)]
pub struct Uploads {
    root: PathBuf,
}

fn io_err(e: io::Error) -> AppError {
    AppError::Internal(format!("uploads: {e}"))
}

/// Flushes a folder's entry list, so a rename into it survives a power cut.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Whether a storage key has the shape this module gives keys (`ab/<32 hex>.<ext>`, optionally `.preview.jpg`), so
/// a key from the database can never name a path outside the uploads folder.
fn valid_key(key: &str) -> bool {
    let Some((shard, file)) = key.split_once('/') else {
        return false;
    };
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let (stem, ext) = match file.strip_suffix(".preview.jpg") {
        Some(stem) => (stem, "jpg"),
        None => match file.split_once('.') {
            Some((s, e)) => (s, e),
            None => return false,
        },
    };
    shard.len() == 2
        && hex(shard)
        && stem.len() == 32
        && hex(stem)
        && stem.starts_with(shard)
        && FileKind::ALL.iter().any(|k| k.extension() == ext)
}

impl Uploads {
    /// The uploads folder of a data folder.
    pub fn new(data_dir: &Path) -> Uploads {
        Uploads {
            root: data_dir.join("uploads"),
        }
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Creates the folders and removes temporary files a crash left behind; called once at start.
    pub fn prepare(&self) -> io::Result<()> {
        fs::create_dir_all(self.tmp_dir())?;
        for entry in fs::read_dir(self.tmp_dir())? {
            let entry = entry?;
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_TEMP);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// The file a storage key names; `None` for a key this module did not make.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        valid_key(key).then(|| self.root.join(key))
    }

    /// The storage key of an image's preview.
    pub fn preview_key(key: &str) -> String {
        let stem = key.rsplit_once('.').map(|(s, _)| s).unwrap_or(key);
        format!("{stem}.preview.jpg")
    }

    fn temp_file(&self) -> io::Result<NamedTempFile> {
        fs::create_dir_all(self.tmp_dir())?;
        tempfile::Builder::new()
            .prefix("upload-")
            .suffix(".part")
            .tempfile_in(self.tmp_dir())
    }

    /// Moves a staged upload to `key` (and its preview beside it), flushing the folder; every path placed is
    /// pushed to `placed` so the caller can take them back if the transaction does not commit.
    fn place(&self, staged: Staged, key: &str, placed: &mut Vec<PathBuf>) -> Result<(), AppError> {
        let target = self
            .path_of(key)
            .ok_or_else(|| AppError::Internal(format!("bad storage key {key}")))?;
        let dir = target
            .parent()
            .ok_or_else(|| AppError::Internal("storage key without folder".into()))?
            .to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err)?;
        if let Some(preview) = staged.preview {
            let p = self
                .path_of(&Uploads::preview_key(key))
                .ok_or_else(|| AppError::Internal("bad preview key".into()))?;
            preview.persist(&p).map_err(|e| io_err(e.error))?;
            placed.push(p);
        }
        staged.file.persist(&target).map_err(|e| io_err(e.error))?;
        placed.push(target);
        sync_dir(&dir).map_err(io_err)
    }

    /// Removes an attachment's files (after its row is gone); a failure is logged, the row is already gone.
    fn remove_files(&self, key: &str) {
        for k in [key.to_string(), Uploads::preview_key(key)] {
            if let Some(p) = self.path_of(&k) {
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(path = %p.display(), error = %e, "attachment file not removed")
                    }
                }
            }
        }
    }
}

/// A new random storage key for a file of `kind`: `ab/ab…(32 hex).ext`.
fn new_key(kind: FileKind) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{}/{hex}.{}", &hex[..2], kind.extension())
}

/// An upload being received: counted, recognised, and written to a temporary file.
pub struct Incoming {
    uploads: Uploads,
    max_bytes: u64,
    size: u64,
    head: Vec<u8>,
    kind: Option<FileKind>,
    file: Option<BufWriter<NamedTempFile>>,
}

impl Incoming {
    /// Ready to receive a file of at most `max_bytes`.
    pub fn new(uploads: Uploads, max_bytes: u64) -> Incoming {
        Incoming {
            uploads,
            max_bytes,
            size: 0,
            head: Vec::with_capacity(SNIFF_LEN),
            kind: None,
            file: None,
        }
    }

    /// Counts the next chunk and checks it before anything is written: refuses as soon as the file would pass the
    /// limit, or its first bytes are not an accepted type. No I/O.
    pub fn check(&mut self, chunk: &[u8]) -> Result<(), UploadProblem> {
        self.size += chunk.len() as u64;
        if self.size > self.max_bytes {
            return Err(UploadProblem::TooLarge {
                max_mb: self.max_bytes / crate::domain::attachment::MB,
            });
        }
        if self.kind.is_none() && self.head.len() < SNIFF_LEN {
            let need = SNIFF_LEN - self.head.len();
            self.head.extend_from_slice(&chunk[..need.min(chunk.len())]);
            if self.head.len() >= SNIFF_LEN {
                self.kind = Some(FileKind::sniff(&self.head).ok_or(UploadProblem::TypeNotAllowed)?);
            }
        }
        Ok(())
    }

    /// Appends checked bytes to the temporary file (created at the first write). Blocking.
    pub fn write(&mut self, data: &[u8]) -> Result<(), AppError> {
        if data.is_empty() {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(BufWriter::with_capacity(
                64 * 1024,
                self.uploads.temp_file().map_err(io_err)?,
            )),
        };
        file.write_all(data).map_err(io_err)
    }

    /// Bytes counted so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Completes the upload: recognises short files, flushes the file to disk, and for an image decodes it (under
    /// limits) and makes its preview. Blocking and, for images, CPU-heavy: run it on the blocking pool.
    pub fn finish(self, client_name: &str) -> Result<Staged, AppError> {
        if self.size == 0 {
            return Err(AppError::Upload(UploadProblem::NoFile));
        }
        let kind = match self.kind {
            Some(k) => k,
            None => FileKind::sniff(&self.head)
                .ok_or(AppError::Upload(UploadProblem::TypeNotAllowed))?,
        };
        let writer = self
            .file
            .ok_or_else(|| AppError::Internal("upload without a file".into()))?;
        let file = writer.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.as_file().sync_all().map_err(io_err)?;
        let preview = if kind.is_image() {
            let jpeg = make_preview(file.path(), kind).map_err(AppError::Upload)?;
            let mut p = self.uploads.temp_file().map_err(io_err)?;
            p.write_all(&jpeg).map_err(io_err)?;
            p.as_file().sync_all().map_err(io_err)?;
            Some(p)
        } else {
            None
        };
        Ok(Staged {
            file,
            preview,
            kind,
            size: self.size,
            name: display_name(client_name, kind),
        })
    }
}

/// A complete, checked upload waiting in temporary files (removed if it is dropped unplaced).
pub struct Staged {
    file: NamedTempFile,
    preview: Option<NamedTempFile>,
    kind: FileKind,
    size: u64,
    name: String,
}

fn image_format(kind: FileKind) -> Option<ImageFormat> {
    match kind {
        FileKind::Jpeg => Some(ImageFormat::Jpeg),
        FileKind::Png => Some(ImageFormat::Png),
        FileKind::Webp => Some(ImageFormat::WebP),
        FileKind::Pdf => None,
    }
}

fn decode_problem(e: ImageError) -> UploadProblem {
    match e {
        ImageError::Limits(_) => UploadProblem::ImageTooLarge,
        _ => UploadProblem::Damaged,
    }
}

/// Decodes an untrusted image under limits and returns a JPEG preview at most
/// [`PREVIEW_MAX_WIDTH`]×[`PREVIEW_MAX_HEIGHT`], upright (EXIF orientation applied), transparency on white. The
/// dimensions and the memory the decoded pixels need are checked from the header before any pixel is decoded, so a
/// decompression bomb is refused as [`UploadProblem::ImageTooLarge`], never allocated.
pub fn make_preview(path: &Path, kind: FileKind) -> Result<Vec<u8>, UploadProblem> {
    let format = image_format(kind).ok_or(UploadProblem::TypeNotAllowed)?;
    let file = File::open(path).map_err(|_| UploadProblem::Damaged)?;
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_problem)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(UploadProblem::Damaged);
    }
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS || decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(UploadProblem::ImageTooLarge);
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_problem)?;
    img.apply_orientation(orientation);
    if img.width() > PREVIEW_MAX_WIDTH || img.height() > PREVIEW_MAX_HEIGHT {
        img = img.thumbnail(PREVIEW_MAX_WIDTH, PREVIEW_MAX_HEIGHT);
    }
    let rgba = img.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = src.0;
        let over_white =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        dst.0 = [over_white(r), over_white(g), over_white(b)];
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&rgb)
        .map_err(|_| UploadProblem::Damaged)?;
    Ok(out)
}

/// The author's idea, for a change to its attachments: someone else's idea is "not found"; one that can no longer
/// be edited (in review, or its contest closed) is refused by rule.
fn own_editable(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<Idea, AppError> {
    let idea = submissions::idea_by_id(conn, idea_id)?.ok_or(AppError::NotFound("idea"))?;
    if !idea.is_written_by(&who.user_id) {
        return Err(AppError::NotFound("idea"));
    }
    let contest =
        catalog::contests_by_id(conn, &idea.contest_id)?.ok_or(AppError::NotFound("contest"))?;
    let status = IdeaStatus::parse(&idea.status)
        .ok_or_else(|| AppError::Internal(format!("unknown status {}", idea.status)))?;
    let open = contest.is_open_at(now());
    if !author_may_edit(status, open) {
        return Err(AppError::Rule(if open {
            "not_editable"
        } else {
            "contest_closed"
        }));
    }
    Ok(idea)
}

fn check_room(conn: &mut DbConn, idea_id: &str) -> Result<(), AppError> {
    if rows::count_of_idea(conn, idea_id)? >= MAX_FILES_PER_IDEA as i64 {
        return Err(AppError::Upload(UploadProblem::TooMany {
            max: MAX_FILES_PER_IDEA,
        }));
    }
    Ok(())
}

/// Whether `who` may attach a file to the idea now (checked before the body is read, and again when storing).
pub fn check_can_attach(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<(), AppError> {
    own_editable(conn, who, idea_id)?;
    check_room(conn, idea_id)
}

fn event(idea: &Idea, who: &Principal, kind: &str, name: &str) -> Event {
    Event {
        id: new_id(),
        idea_id: Some(idea.id.clone()),
        contest_id: Some(idea.contest_id.clone()),
        actor_id: Some(who.user_id.clone()),
        kind: kind.into(),
        from_status: None,
        to_status: None,
        reason: Some(name.into()),
        created_at: now(),
    }
}

fn insert_event(conn: &mut DbConn, e: &Event) -> Result<(), AppError> {
    diesel::insert_into(crate::db::schema::events::table)
        .values(e)
        .execute(conn)?;
    Ok(())
}

/// Records a staged upload as an attachment of the idea and moves its files into place, in one transaction: the
/// rules are checked again under the idea's row lock (a concurrent upload cannot make a sixth file); if the
/// transaction does not commit, the files placed are removed again, so a refused or failed upload leaves nothing.
pub fn attach(
    conn: &mut DbConn,
    uploads: &Uploads,
    who: &Principal,
    idea_id: &str,
    staged: Staged,
) -> Result<Attachment, AppError> {
    let mut placed = Vec::new();
    let result = write_tx(conn, |conn| {
        if rows::lock_idea(conn, idea_id)? == 0 {
            return Err(AppError::NotFound("idea"));
        }
        let idea = own_editable(conn, who, idea_id)?;
        check_room(conn, idea_id)?;
        let row = Attachment {
            id: new_id(),
            idea_id: idea_id.to_string(),
            file_name: staged.name.clone(),
            content_type: staged.kind.mime().to_string(),
            size_bytes: staged.size as i64,
            storage_key: new_key(staged.kind),
            created_at: now(),
        };
        rows::insert(conn, &row)?;
        insert_event(conn, &event(&idea, who, "attachment.added", &row.file_name))?;
        uploads.place(staged, &row.storage_key, &mut placed)?;
        Ok(row)
    });
    if result.is_err() {
        for p in &placed {
            let _ = fs::remove_file(p);
        }
    }
    result
}

/// A staged upload moved into the uploads folder under a new random key (for files that are not an idea's
/// attachments, such as milestone photos).
#[derive(Debug, Clone)]
pub struct Placed {
    /// Where the bytes are, relative to the uploads folder.
    pub storage_key: String,
    /// The recognised media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The display name.
    pub file_name: String,
}

impl Staged {
    /// Whether the staged file is an image (JPEG, PNG or WebP, with a preview made).
    pub fn is_image(&self) -> bool {
        self.kind.is_image()
    }
}

/// Moves `staged` into place under a new key; the paths written are pushed on `placed`, so a caller whose
/// transaction fails can remove them again. Call it inside the transaction that records the file.
pub fn place_new(
    uploads: &Uploads,
    staged: Staged,
    placed: &mut Vec<PathBuf>,
) -> Result<Placed, AppError> {
    let out = Placed {
        storage_key: new_key(staged.kind),
        content_type: staged.kind.mime().to_string(),
        size_bytes: staged.size as i64,
        file_name: staged.name.clone(),
    };
    uploads.place(staged, &out.storage_key, placed)?;
    Ok(out)
}

/// Removes an attachment of the author's editable idea: the row in a transaction, then its files.
pub fn remove(
    conn: &mut DbConn,
    uploads: &Uploads,
    who: &Principal,
    idea_id: &str,
    attachment_id: &str,
) -> Result<(), AppError> {
    let gone = write_tx(conn, |conn| -> Result<Attachment, AppError> {
        let idea = own_editable(conn, who, idea_id)?;
        let att = rows::by_id(conn, attachment_id)?
            .filter(|a| a.idea_id == idea.id)
            .ok_or(AppError::NotFound("attachment"))?;
        rows::delete(conn, &att.id)?;
        insert_event(
            conn,
            &event(&idea, who, "attachment.removed", &att.file_name),
        )?;
        Ok(att)
    })?;
    uploads.remove_files(&gone.storage_key);
    Ok(())
}

/// An idea's attachments, oldest first.
pub fn of_idea(conn: &mut DbConn, idea_id: &str) -> Result<Vec<Attachment>, AppError> {
    Ok(rows::of_idea(conn, idea_id)?)
}

/// An attachment `who` may fetch, with whether its idea is public; "not found" for everyone else
/// (see [`access::attachment_visible`]).
pub fn readable(
    conn: &mut DbConn,
    who: Option<&Principal>,
    attachment_id: &str,
) -> Result<(Attachment, bool), AppError> {
    let att = rows::by_id(conn, attachment_id)?.ok_or(AppError::NotFound("attachment"))?;
    let idea =
        submissions::idea_by_id(conn, &att.idea_id)?.ok_or(AppError::NotFound("attachment"))?;
    let is_author = who.is_some_and(|p| idea.is_written_by(&p.user_id));
    let is_coauthor = match who {
        Some(p) if !idea.is_public && !is_author => {
            submissions::is_coauthor(conn, &idea.id, &p.user_id)?
        }
        _ => false,
    };
    if !access::attachment_visible(idea.is_public, is_author, is_coauthor) {
        return Err(AppError::NotFound("attachment"));
    }
    let mut att = att;
    if !is_author && !is_coauthor {
        // While a blind contest hides its authors, the file goes out under a neutral name, as on the idea's page.
        let blind: bool = crate::db::schema::contests::table
            .find(&idea.contest_id)
            .select(crate::db::schema::contests::blind_review)
            .first(conn)?;
        let shown = crate::domain::status::IdeaStatus::parse(&idea.status)
            .is_some_and(|s| access::public_author_names_visible(blind, s));
        if !shown {
            let index = rows::of_idea(conn, &idea.id)?
                .iter()
                .position(|a| a.id == att.id)
                .unwrap_or(0);
            att.file_name = access::redaction::attachment_name(true, index, &att.file_name);
        }
    }
    Ok((att, idea.is_public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_checked() {
        let k = new_key(FileKind::Png);
        assert!(valid_key(&k), "{k}");
        assert_ne!(k, new_key(FileKind::Png));
        assert!(valid_key(&Uploads::preview_key(&k)));
        assert!(Uploads::preview_key(&k).ends_with(".preview.jpg"));
        for bad in [
            "../etc/passwd",
            "ab/../../x.png",
            "/abs/olute.png",
            "ab/abcdef.png",
            "zz/zz000000000000000000000000000000.png",
            "ab/ab000000000000000000000000000000.exe",
            "ab/cd000000000000000000000000000000.png",
        ] {
            assert!(!valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn limits_and_type_are_checked_as_bytes_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let mut inc = Incoming::new(Uploads::new(dir.path()), 20);
        assert_eq!(inc.check(b"%PD"), Ok(()));
        assert_eq!(inc.check(b"F-1.4\n%abcd"), Ok(()));
        assert_eq!(inc.check(b"123456"), Ok(()));
        assert_eq!(inc.check(b"7"), Err(UploadProblem::TooLarge { max_mb: 0 }));
        let mut inc = Incoming::new(Uploads::new(dir.path()), 1000);
        assert_eq!(
            inc.check(b"<html><body>"),
            Err(UploadProblem::TypeNotAllowed)
        );
        // Nothing was written for either.
        assert!(!dir.path().join("uploads/tmp").exists());
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        // A PNG header claiming 100,000 × 100,000 pixels, followed by a few bytes of data.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        let mut crc = flate2::Crc::new();
        crc.update(&ihdr);
        png.extend_from_slice(&crc.sum().to_be_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.png");
        fs::write(&path, &png).unwrap();
        assert_eq!(
            make_preview(&path, FileKind::Png),
            Err(UploadProblem::ImageTooLarge)
        );
        fs::write(&path, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert_eq!(
            make_preview(&path, FileKind::Png),
            Err(UploadProblem::Damaged)
        );
    }

    #[test]
    fn previews_are_small_upright_jpegs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.png");
        let img = image::RgbaImage::from_fn(1600, 400, |x, y| {
            image::Rgba([
                (x % 256) as u8,
                (y % 256) as u8,
                90,
                if x < 800 { 255 } else { 0 },
            ])
        });
        img.save_with_format(&path, ImageFormat::Png).unwrap();
        let jpeg = make_preview(&path, FileKind::Png).unwrap();
        let preview = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg).unwrap();
        assert_eq!((preview.width(), preview.height()), (640, 160));
        // The transparent half is white.
        let px = preview.to_rgb8().get_pixel(600, 80).0;
        assert!(px.iter().all(|c| *c > 240), "{px:?}");
    }
}
