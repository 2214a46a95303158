//! `sangtao backup --out FILE`: a consistent copy of the SQLite database made while the server runs and ideas are
//! being submitted; a server started on the copy finds every idea that was acknowledged before the backup began.
//! On PostgreSQL the command says to use pg_dump.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use diesel::prelude::*;
use reqwest::Method;
use sangtao::db::schema::ideas;
use serde_json::json;

use crate::helpers::{Engine, call, make_token, make_user, spawn_app, spawn_app_with};

fn backup(data_dir: &std::path::Path, database_url: &str, out: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sangtao"))
        .args(["backup", "--out", &out.display().to_string()])
        .env_clear()
        .env("SANGTAO_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn submit(app_url: &str, token: &str, n: usize) -> Option<String> {
    let r = reqwest::blocking::Client::new()
        .post(format!("{app_url}/api/v1/ideas"))
        .bearer_auth(token)
        .json(&json!({
            "contest": "sang-tao-tre-2026", "category": "moi-truong", "submit": true,
            "title": format!("Ý tưởng sao lưu số {n}"),
            "summary": "Đặt cụm thùng rác phân loại ở chợ và hướng dẫn tiểu thương phân loại rác.",
            "situation": "Rác ở chợ bị vứt lẫn lộn, không ai phân loại, gây ô nhiễm khu vực xung quanh.",
            "solution": "Đặt thùng ba màu ở cổng chợ, đoàn viên hướng dẫn tiểu thương trong tháng đầu tiên.",
            "impact": "Giảm lượng rác phải chôn lấp.",
        }))
        .send()
        .ok()?;
    if r.status().as_u16() != 201 {
        return None;
    }
    r.json::<serde_json::Value>().ok()?["id"]
        .as_str()
        .map(str::to_string)
}

#[test]
fn a_backup_made_while_ideas_are_submitted_restores_every_acknowledged_idea() {
    let app = spawn_app(Engine::Sqlite);
    let members: Vec<String> = (0..3)
        .map(|i| {
            let id = make_user(
                &app,
                &format!("saoluu{i}@example.org"),
                "mật khẩu của tôi",
                "member",
            );
            make_token(&app, &id)
        })
        .collect();
    // Acknowledged before the backup starts: all of them must be in it.
    let mut before = Vec::new();
    for (i, token) in members.iter().enumerate() {
        before.push(submit(&app.base, token, i).expect("submitted"));
    }
    // Submissions keep coming while the copy is made.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = members
        .iter()
        .cloned()
        .enumerate()
        .map(|(w, token)| {
            let (url, stop) = (app.base.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 100 * (w + 1);
                let mut done = 0;
                while !stop.load(Ordering::SeqCst) && done < 2 {
                    if submit(&url, &token, n).is_some() {
                        done += 1;
                    }
                    n += 1;
                }
            })
        })
        .collect();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("sangtao-backup.db");
    let (ok, said) = backup(app.dir.path(), &app.database_url(), &out);
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    assert!(ok, "{said}");
    assert!(said.contains("backup written"), "{said}");
    let first = said;

    // Never overwrites.
    let (ok, said) = backup(app.dir.path(), &app.database_url(), &out);
    assert!(!ok);
    assert!(said.contains("already exists"), "{said}");

    // Restored: a server on the copy serves every idea acknowledged before the backup, and counts what it said.
    let restored = spawn_app_with(
        Engine::Sqlite,
        &[("DATABASE_URL", &out.display().to_string())],
    );
    let in_copy: i64 = ideas::table
        .count()
        .get_result(&mut restored.conn())
        .unwrap();
    assert_eq!(said_count(&first), in_copy, "the count the command printed");
    for id in &before {
        let (code, idea) = restored.json(&format!("/api/v1/ideas/{id}"));
        assert_eq!(code, 200, "{id} missing from the restored copy: {idea}");
    }
    let live: i64 = ideas::table.count().get_result(&mut app.conn()).unwrap();
    assert!(in_copy <= live, "the copy is a moment of the live database");
    assert!(
        in_copy >= 221 + before.len() as i64,
        "the demo's ideas and ours"
    );
    // The copy is a working database: a new idea can be submitted to it.
    let token = make_token(
        &restored,
        &make_user(&restored, "moi@example.org", "mật khẩu của tôi", "member"),
    );
    let (code, _) = call(&restored, &token, Method::GET, "/api/v1/me/ideas", None);
    assert_eq!(code, 200);
}

/// The idea count in "backup written: FILE (N bytes, M ideas)".
fn said_count(line: &str) -> i64 {
    line.rsplit(", ")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

#[test]
fn a_postgresql_database_is_backed_up_with_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.db");
    let (ok, said) = backup(
        dir.path(),
        "postgres://postgres@127.0.0.1:5432/sangtao",
        &out,
    );
    assert!(!ok);
    assert!(said.contains("pg_dump"), "{said}");
    assert!(!out.exists());
}
