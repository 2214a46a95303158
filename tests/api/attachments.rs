//! Attachments through HTTP: uploads recognised by content, the limits (size while streaming, count, type), nothing
//! stored on refusal, safe serving headers, who may fetch, previews, decompression bombs, deletion, and the page form
//! with its CSRF token in the query string.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use image::{ImageFormat, RgbImage};
use reqwest::blocking::Response;
use sangtao::db::schema::{attachments, contests, idea_coauthors};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, api_signin, each_engine, engines, form_action, make_token, make_user, multipart,
    new_client, post_file, spawn_app_with, unescape,
};

const PASSWORD: &str = "mật khẩu của tôi";

/// A small picture with some detail, encoded as `format`.
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A photo-sized PNG of noise (which PNG cannot compress): a few megabytes.
fn big_noisy_png() -> Vec<u8> {
    let mut seed: u32 = 0x9E37_79B9;
    let img = RgbImage::from_fn(1600, 1200, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A small, valid one-page PDF (with a correct cross-reference table).
fn small_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        "<< /Length 44 >>\nstream\nBT /F1 12 Tf 20 100 Td (Sang tao tre) Tj ET\nendstream",
    ];
    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A PNG whose header claims 100,000 × 100,000 pixels (30 GB decoded), with a few bytes of real compressed data.
fn bomb_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 1 << 20]).unwrap();
    chunk(&mut png, b"IDAT", &z.finish().unwrap());
    chunk(&mut png, b"IEND", &[]);
    png
}

fn upload(
    app: &TestApp,
    token: &str,
    idea: &str,
    name: &str,
    declared: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let (ct, body) = multipart(name, declared, bytes);
    let r = new_client()
        .post(app.url(&format!("/api/v1/ideas/{idea}/attachments")))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn fetch(app: &TestApp, token: Option<&str>, path: &str) -> Response {
    let mut req = new_client().get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().unwrap()
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn draft(app: &TestApp, token: &str) -> String {
    let r = new_client()
        .post(app.url("/api/v1/ideas"))
        .bearer_auth(token)
        .json(&json!({"contest": "sang-tao-tre-2026", "category": "moi-truong", "title": "Bản đồ điểm ngập sau mưa"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn submit(app: &TestApp, token: &str, idea: &str) {
    let r = new_client()
        .patch(app.url(&format!("/api/v1/ideas/{idea}")))
        .bearer_auth(token)
        .json(&json!({
            "submit": true,
            "category": "moi-truong",
            "title": "Bản đồ điểm ngập sau mưa",
            "summary": "Người dân chụp ảnh điểm ngập và gửi lên bản đồ chung của phường.",
            "situation": "Sau mỗi cơn mưa lớn nhiều tuyến đường ngập nhưng không ai tổng hợp vị trí và mức ngập.",
            "solution": "Đoàn viên lập bản đồ chung, người dân gửi ảnh kèm vị trí, phường dùng để ưu tiên nạo vét.",
            "impact": "Nạo vét đúng chỗ, giảm thời gian ngập."
        }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
}

fn rows(app: &TestApp) -> i64 {
    attachments::table
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// Every file under `<data dir>/uploads/`, temporary ones included.
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.dir.path().join("uploads"), &mut out);
    out.sort();
    out
}

fn storage_key(app: &TestApp, id: &str) -> String {
    attachments::table
        .find(id)
        .select(attachments::storage_key)
        .first(&mut app.conn())
        .unwrap()
}

#[test]
fn files_are_recognised_by_content_and_served_with_safe_headers() {
    each_engine(|app| {
        let uid = make_user(app, "tepdinhkem@example.org", PASSWORD, "member");
        let token = make_token(app, &uid);
        let idea = draft(app, &token);
        let png = picture(64, 48, ImageFormat::Png);
        let jpeg = picture(80, 60, ImageFormat::Jpeg);
        let pdf = small_pdf();

        // The declared type is ignored: the content decides.
        let (status, a) = upload(
            app,
            &token,
            &idea,
            "sơ đồ <khu> 1.png",
            "application/octet-stream",
            &png,
        );
        assert_eq!(status, 201, "{a}");
        assert_eq!(a["content_type"], "image/png");
        assert_eq!(a["file_name"], "sơ đồ _khu_ 1.png");
        assert_eq!(a["size_bytes"], png.len());
        let png_id = a["id"].as_str().unwrap().to_string();
        assert_eq!(a["url"], format!("/attachments/{png_id}"));
        assert_eq!(a["preview_url"], format!("/attachments/{png_id}/preview"));
        let (status, a) = upload(
            app,
            &token,
            &idea,
            "ảnh hiện trường.jpg",
            "image/jpeg",
            &jpeg,
        );
        assert_eq!(
            (status, a["content_type"].as_str()),
            (201, Some("image/jpeg")),
            "{a}"
        );
        let (status, a) = upload(app, &token, &idea, "kế hoạch.pdf", "application/pdf", &pdf);
        assert_eq!(
            (status, a["content_type"].as_str()),
            (201, Some("application/pdf")),
            "{a}"
        );
        assert!(a["preview_url"].is_null());
        let pdf_id = a["id"].as_str().unwrap().to_string();
        // A PNG named and declared as a PDF is stored and served as the PNG it is.
        let (status, a) = upload(app, &token, &idea, "scan.pdf", "application/pdf", &png);
        assert_eq!(
            (status, a["content_type"].as_str()),
            (201, Some("image/png")),
            "{a}"
        );
        assert_eq!(a["file_name"], "scan.pdf", "the name is kept as metadata");
        let renamed_id = a["id"].as_str().unwrap().to_string();
        // An HTML page named like a photo is refused, and nothing is kept.
        let before_files = stored_files(app);
        let (status, err) = upload(
            app,
            &token,
            &idea,
            "photo.jpg",
            "image/jpeg",
            b"<!doctype html><html><script>alert(document.cookie)</script></html>",
        );
        assert_eq!(status, 415, "{err}");
        assert_eq!(err["error"]["code"], "file_type_not_allowed");
        assert!(err["error"]["message"].as_str().unwrap().contains("JPEG"));
        assert_eq!(rows(app), 4);
        assert_eq!(stored_files(app), before_files);

        // Stored under random names, previews beside the images, nothing left in tmp/.
        let files = stored_files(app);
        assert_eq!(files.len(), 4 + 3, "{files:?}");
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy();
            assert!(!name.contains("sơ") && !name.contains("scan"), "{name}");
            let inside = f.strip_prefix(app.dir.path().join("uploads")).unwrap();
            assert!(!inside.starts_with("tmp"), "{f:?}");
        }
        let key = storage_key(app, &png_id);
        assert!(key.ends_with(".png") && !key.contains("khu"), "{key}");
        let preview_key = format!("{}.preview.jpg", key.trim_end_matches(".png"));
        assert!(app.dir.path().join("uploads").join(&preview_key).is_file());

        // Served with the recognised type, inline, with the name encoded, never sniffed.
        let r = fetch(app, Some(&token), &format!("/attachments/{png_id}"));
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(header(&r, "content-type"), "image/png");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        let disposition = header(&r, "content-disposition");
        assert!(
            disposition.starts_with("inline; filename=\"so do _khu_ 1.png\""),
            "{disposition}"
        );
        assert!(
            disposition.contains("filename*=UTF-8''s%C6%A1%20%C4%91%E1%BB%93%20_khu_%201.png"),
            "{disposition}"
        );
        assert!(header(&r, "content-security-policy").contains("sandbox"));
        assert_eq!(header(&r, "cache-control"), "private, no-store");
        assert_eq!(r.bytes().unwrap().as_ref(), png.as_slice());
        let r = fetch(app, Some(&token), &format!("/attachments/{pdf_id}"));
        assert_eq!(header(&r, "content-type"), "application/pdf");
        assert_eq!(header(&r, "content-security-policy"), "sandbox");
        assert!(header(&r, "content-disposition").starts_with("inline;"));
        assert_eq!(r.bytes().unwrap().as_ref(), pdf.as_slice());
        let r = fetch(app, Some(&token), &format!("/attachments/{renamed_id}"));
        assert_eq!(header(&r, "content-type"), "image/png");
        assert!(
            header(&r, "content-disposition").contains("filename=\"scan.pdf.png\""),
            "downloads carry the real extension"
        );
        // Previews: images only, JPEG.
        let r = fetch(app, Some(&token), &format!("/attachments/{png_id}/preview"));
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(header(&r, "content-type"), "image/jpeg");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        let preview = image::load_from_memory(&r.bytes().unwrap()).unwrap();
        assert_eq!((preview.width(), preview.height()), (64, 48));
        assert_eq!(
            fetch(app, Some(&token), &format!("/attachments/{pdf_id}/preview"))
                .status()
                .as_u16(),
            404
        );

        // A draft's files: its author and co-authors only; everyone else "not found".
        let other = make_user(app, "nguoikhac@example.org", PASSWORD, "member");
        let other_token = make_token(app, &other);
        let organizer = make_user(app, "btc@example.org", PASSWORD, "organizer");
        for t in [
            None,
            Some(other_token.as_str()),
            Some(&make_token(app, &organizer)),
        ] {
            for path in [
                format!("/attachments/{png_id}"),
                format!("/attachments/{png_id}/preview"),
            ] {
                let r = fetch(app, t, &path);
                assert_eq!(r.status().as_u16(), 404, "{path}");
            }
        }
        diesel::insert_into(idea_coauthors::table)
            .values((
                idea_coauthors::idea_id.eq(&idea),
                idea_coauthors::user_id.eq(&other),
                idea_coauthors::added_at.eq(sangtao::db::now()),
            ))
            .execute(&mut app.conn())
            .unwrap();
        assert_eq!(
            fetch(app, Some(&other_token), &format!("/attachments/{png_id}"))
                .status()
                .as_u16(),
            200
        );
        // Only the author changes them.
        let (status, _) = upload(app, &other_token, &idea, "x.png", "image/png", &png);
        assert_eq!(status, 404);
        let r = new_client()
            .delete(app.url(&format!("/api/v1/ideas/{idea}/attachments/{png_id}")))
            .bearer_auth(&other_token)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);

        // The author's view lists them.
        let mine: Value = fetch(app, Some(&token), &format!("/api/v1/me/ideas/{idea}"))
            .json()
            .unwrap();
        let listed = mine["attachments"].as_array().unwrap();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[0]["id"], png_id.as_str());
        assert_eq!(
            listed[0]["preview_url"],
            format!("/attachments/{png_id}/preview")
        );

        // Once submitted (this contest's ideas are public), anyone may fetch them, and the public views list them.
        submit(app, &token, &idea);
        let r = fetch(app, None, &format!("/attachments/{png_id}"));
        assert_eq!(r.status().as_u16(), 200);
        assert!(header(&r, "cache-control").starts_with("public"));
        let (status, public) = app.json(&format!("/api/v1/ideas/{idea}"));
        assert_eq!(status, 200);
        let files = public["attachments"].as_array().unwrap();
        assert_eq!(files.len(), 4);
        assert_eq!(files[2]["content_type"], "application/pdf");
        assert_eq!(files[2]["file_name"], "kế hoạch.pdf");
        let (status, html) = app.html(&format!("/ideas/{idea}"));
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("<img src=\"/attachments/{png_id}/preview\"")),
            "thumbnail"
        );
        assert!(
            html.contains(&format!("href=\"/attachments/{pdf_id}\"")),
            "PDF link"
        );
        assert!(unescape(&html).contains("sơ đồ _khu_ 1.png"));

        // Deleting removes the row, then the files.
        let r = new_client()
            .delete(app.url(&format!("/api/v1/ideas/{idea}/attachments/{png_id}")))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        assert_eq!(rows(app), 3);
        assert!(!app.dir.path().join("uploads").join(&key).exists());
        assert!(!app.dir.path().join("uploads").join(&preview_key).exists());
        assert_eq!(stored_files(app).len(), 3 + 2);
        assert_eq!(
            fetch(app, None, &format!("/attachments/{png_id}"))
                .status()
                .as_u16(),
            404
        );
        let (_, public) = app.json(&format!("/api/v1/ideas/{idea}"));
        assert_eq!(public["attachments"].as_array().unwrap().len(), 3);
    });
}

#[test]
fn at_most_five_files_even_when_sent_at_once() {
    each_engine(|app| {
        let uid = make_user(app, "namtep@example.org", PASSWORD, "member");
        let token = make_token(app, &uid);
        let idea = draft(app, &token);
        let pdf = small_pdf();
        for i in 0..3 {
            let (status, _) = upload(
                app,
                &token,
                &idea,
                &format!("tep-{i}.pdf"),
                "application/pdf",
                &pdf,
            );
            assert_eq!(status, 201);
        }
        // Four at once for the last two places: exactly two get in.
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let url = app.url(&format!("/api/v1/ideas/{idea}/attachments"));
                let token = token.clone();
                let (ct, body) = multipart(
                    &format!("cung-luc-{i}.png"),
                    "image/png",
                    &picture(40, 30, ImageFormat::Png),
                );
                std::thread::spawn(move || {
                    new_client()
                        .post(url)
                        .bearer_auth(token)
                        .header("content-type", ct)
                        .body(body)
                        .send()
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let mut codes: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        codes.sort();
        assert_eq!(codes, [201, 201, 409, 409]);
        assert_eq!(rows(app), 5);
        let (status, err) = upload(app, &token, &idea, "thu-sau.pdf", "application/pdf", &pdf);
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "too_many_files");
        assert!(
            err["error"]["message"].as_str().unwrap().contains('5'),
            "{err}"
        );
        assert_eq!(rows(app), 5);
        assert_eq!(
            stored_files(app).len(),
            5 + 2,
            "five files and two previews"
        );

        // A closed contest freezes them.
        diesel::update(contests::table.filter(contests::slug.eq("sang-tao-tre-2026")))
            .set(contests::closes_at.eq(sangtao::db::now() - chrono::Duration::hours(1)))
            .execute(&mut app.conn())
            .unwrap();
        let att: String = attachments::table
            .select(attachments::id)
            .first(&mut app.conn())
            .unwrap();
        let r = new_client()
            .delete(app.url(&format!("/api/v1/ideas/{idea}/attachments/{att}")))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 409);
        assert_eq!(
            r.json::<Value>().unwrap()["error"]["code"],
            "contest_closed"
        );
        assert_eq!(rows(app), 5);
    });
}

#[test]
fn oversized_files_are_refused_while_streaming_and_leave_nothing() {
    for engine in engines() {
        let app = spawn_app_with(engine, &[("SANGTAO_MAX_UPLOAD_MB", "1")]);
        let app = &app;
        let uid = make_user(app, "tepto@example.org", PASSWORD, "member");
        let token = make_token(app, &uid);
        let idea = draft(app, &token);
        // Exactly the limit is accepted; one byte more is not.
        let mut pdf = small_pdf();
        pdf.resize(1024 * 1024, b' ');
        let (status, a) = upload(app, &token, &idea, "vua-du.pdf", "application/pdf", &pdf);
        assert_eq!(status, 201, "{a}");
        pdf.push(b' ');
        let (status, err) = upload(
            app,
            &token,
            &idea,
            "qua-mot-byte.pdf",
            "application/pdf",
            &pdf,
        );
        assert_eq!(status, 413, "{err}");
        assert_eq!(err["error"]["code"], "file_too_large");
        // A file of several times the limit: refused, no row, and no file anywhere under uploads/.
        let mut big = picture(10, 10, ImageFormat::Png);
        big.resize(5 * 1024 * 1024, 0);
        let (status, err) = upload(app, &token, &idea, "to.png", "image/png", &big);
        assert_eq!(status, 413, "{err}");
        assert_eq!(err["error"]["code"], "file_too_large");
        assert!(
            err["error"]["message"].as_str().unwrap().contains("1 MB"),
            "{err}"
        );
        assert_eq!(rows(app), 1);
        let files = stored_files(app);
        assert_eq!(files.len(), 1, "only the accepted file: {files:?}");
        // The server is fine afterwards.
        assert_eq!(app.get("/healthz").status().as_u16(), 200);
    }
}

#[test]
fn damaged_images_and_decompression_bombs_are_refused_cleanly() {
    each_engine(|app| {
        let uid = make_user(app, "bom@example.org", PASSWORD, "member");
        let token = make_token(app, &uid);
        let idea = draft(app, &token);
        let (status, err) = upload(app, &token, &idea, "bom.png", "image/png", &bomb_png());
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error"]["code"], "image_too_large");
        let mut truncated = picture(300, 200, ImageFormat::Jpeg);
        truncated.truncate(40);
        let (status, err) = upload(app, &token, &idea, "hong.jpg", "image/jpeg", &truncated);
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error"]["code"], "file_damaged");
        let (status, err) = upload(app, &token, &idea, "rong.png", "image/png", b"");
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error"]["code"], "no_file");
        assert_eq!(rows(app), 0);
        assert!(stored_files(app).is_empty(), "{:?}", stored_files(app));
        assert_eq!(app.get("/healthz").status().as_u16(), 200);
    });
}

#[test]
fn a_large_photo_gets_a_smaller_preview() {
    each_engine(|app| {
        let uid = make_user(app, "anhlon@example.org", PASSWORD, "member");
        let token = make_token(app, &uid);
        let idea = draft(app, &token);
        let png = big_noisy_png();
        assert!(png.len() > 4 * 1024 * 1024, "{}", png.len());
        let (status, a) = upload(app, &token, &idea, "toàn cảnh.png", "image/png", &png);
        assert_eq!(status, 201, "{a}");
        let r = fetch(app, Some(&token), a["preview_url"].as_str().unwrap());
        assert_eq!(r.status().as_u16(), 200);
        let bytes = r.bytes().unwrap();
        assert!(
            bytes.len() * 4 < png.len(),
            "preview {} vs original {}",
            bytes.len(),
            png.len()
        );
        let preview = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).unwrap();
        assert_eq!((preview.width(), preview.height()), (640, 480));
    });
}

#[test]
fn the_author_page_uploads_lists_and_deletes_with_csrf_in_the_query() {
    each_engine(|app| {
        let uid = make_user(app, "trangtep@example.org", PASSWORD, "member");
        let token = make_token(app, &uid);
        let idea = draft(app, &token);
        let client = new_client();
        let csrf = api_signin(app, &client, "trangtep@example.org", PASSWORD);
        let page = |query: &str| {
            let r = client
                .get(app.url(&format!("/me/ideas/{idea}{query}")))
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.text().unwrap()
        };
        let html = page("");
        assert!(
            html.contains("accept=\"image/jpeg,image/png,image/webp,application/pdf"),
            "{html}"
        );
        assert!(html.contains("10 MB"), "limits stated");
        let action = form_action(&html);
        assert_eq!(action, format!("/me/ideas/{idea}/attachments?_csrf={csrf}"));

        // Without the token in the query string: refused, nothing stored.
        let png = picture(32, 32, ImageFormat::Png);
        let r = post_file(
            &client,
            &app.url(&format!("/me/ideas/{idea}/attachments")),
            "a.png",
            &png,
        );
        assert_eq!(r.status().as_u16(), 403);
        let r = post_file(
            &client,
            &app.url(&format!("/me/ideas/{idea}/attachments?_csrf=sai")),
            "a.png",
            &png,
        );
        assert_eq!(r.status().as_u16(), 403);
        assert_eq!(rows(app), 0);
        assert!(stored_files(app).is_empty());

        let r = post_file(&client, &app.url(&action), "bản vẽ.png", &png);
        assert_eq!(r.status().as_u16(), 303);
        let to = header(&r, "location");
        assert_eq!(
            to,
            format!("/me/ideas/{idea}?notice=attachment_added#attachments")
        );
        let html = page("?notice=attachment_added");
        assert!(html.contains("Đã đính kèm tệp."));
        assert!(unescape(&html).contains("bản vẽ.png"));
        let att: String = attachments::table
            .select(attachments::id)
            .first(&mut app.conn())
            .unwrap();
        assert!(html.contains(&format!("/attachments/{att}/preview")));
        assert!(html.contains(&format!(
            "action=\"/me/ideas/{idea}/attachments/{att}/delete\""
        )));

        // A refusal comes back to the page as a specific message, in the reader's language.
        let r = post_file(
            &client,
            &app.url(&action),
            "thu.jpg",
            b"<html><body>not a photo</body></html>",
        );
        assert_eq!(r.status().as_u16(), 303);
        let to = header(&r, "location");
        assert!(
            to.contains("attachment_problem=file_type_not_allowed"),
            "{to}"
        );
        let query = to.split('#').next().unwrap().split_once('?').unwrap().1;
        let html = page(&format!("?{query}"));
        assert!(html.contains("role=\"alert\""));
        assert!(
            unescape(&html).contains("Chỉ nhận ảnh JPEG, PNG, WebP và tài liệu PDF"),
            "{html}"
        );
        let html = page(&format!("?{query}&lang=en"));
        assert!(
            unescape(&html)
                .contains("Only JPEG, PNG and WebP images and PDF documents are accepted")
        );
        assert_eq!(rows(app), 1);

        // Delete through the page form (urlencoded, token in the body).
        let r = client
            .post(app.url(&format!("/me/ideas/{idea}/attachments/{att}/delete")))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(rows(app), 0);
        assert!(stored_files(app).is_empty(), "{:?}", stored_files(app));
        let html = page("?notice=attachment_deleted&lang=vi");
        assert!(html.contains("Chưa có tệp đính kèm."));
        // The timeline tells what happened.
        assert!(html.contains("Đính kèm tệp") && html.contains("Xoá tệp đính kèm"));
    });
}
