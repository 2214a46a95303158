//! The command line: help, migrate, seeding, and clear configuration errors.

use std::process::Command;

fn sangtao(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sangtao"));
    cmd.args(args)
        .env_clear()
        .env("SANGTAO_DATA_DIR", dir)
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_explains_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = sangtao(dir.path(), &["--help"], &[]);
    assert!(ok);
    for cmd in ["serve", "migrate", "seed-demo", "seed-bench"] {
        assert!(out.contains(cmd), "{cmd} in {out}");
    }
    assert!(out.contains("DATABASE_URL") && out.contains("SANGTAO_BIND"));
    let (ok, out, _) = sangtao(dir.path(), &["serve", "--help"], &[]);
    assert!(ok && out.contains("--demo"));
}

#[test]
fn migrate_then_seed_demo_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = sangtao(dir.path(), &["migrate"], &[]);
    assert!(ok, "{err}");
    let folders = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert!(
        out.contains(&format!(
            "{folders} migration(s) applied to the sqlite database"
        )),
        "{out}"
    );
    assert!(
        dir.path().join("sangtao.db").exists(),
        "the default database lives in the data folder"
    );
    let (_, out, _) = sangtao(dir.path(), &["migrate"], &[]);
    assert!(out.contains("0 migration(s)"), "{out}");
    let (ok, out, _) = sangtao(dir.path(), &["seed-demo"], &[]);
    assert!(ok && out.contains("demo data seeded"), "{out}");
    let (ok, out, _) = sangtao(dir.path(), &["seed-demo"], &[]);
    assert!(ok && out.contains("nothing seeded"), "{out}");
    let (ok, _, err) = sangtao(dir.path(), &["seed-bench", "--ideas", "10"], &[]);
    assert!(!ok && err.contains("empty database"), "{err}");
}

#[test]
fn seed_bench_prints_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = sangtao(dir.path(), &["seed-bench", "--ideas", "3000"], &[]);
    assert!(ok, "{err}");
    assert!(out.contains("ideas=3000"));
    let cursor = out
        .lines()
        .find_map(|l| l.strip_prefix("deep_cursor="))
        .unwrap();
    assert!(
        sangtao::domain::listing::Cursor::decode(cursor).is_some(),
        "{cursor}"
    );
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("idea_id="))
        .unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    // The contest in review: one idea in a hundred, each assigned to three of the panel, with a five-criterion rubric.
    assert!(out.contains("review_contest=bench-review"), "{out}");
    let criteria = out
        .lines()
        .find_map(|l| l.strip_prefix("review_criteria="))
        .unwrap();
    assert_eq!(criteria.split(',').count(), 5, "{criteria}");
    let tasks: Vec<(&str, &str)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("review_task="))
        .map(|t| t.split_once(' ').unwrap())
        .collect();
    assert_eq!(tasks.len(), 30 * 3);
    let assignments: std::collections::BTreeSet<&str> = tasks.iter().map(|t| t.1).collect();
    assert_eq!(assignments.len(), tasks.len(), "one line per assignment");
    let reviewers: std::collections::BTreeSet<&str> = tasks.iter().map(|t| t.0).collect();
    assert!(
        reviewers.len() >= 30,
        "spread over the panel: {}",
        reviewers.len()
    );
    assert!(reviewers.iter().all(|t| t.starts_with("st_")));
}

#[test]
fn unreachable_postgres_is_reported_and_no_sqlite_file_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sangtao"));
    let out = cmd
        .arg("migrate")
        .current_dir(work.path())
        .env_clear()
        .env("SANGTAO_DATA_DIR", dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nothing")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("postgres") && err.to_lowercase().contains("connection refused"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "nothing created in the working folder"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created in the data folder"
    );
}

#[test]
fn bad_settings_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = sangtao(
        dir.path(),
        &["migrate"],
        &[("SANGTAO_BIND", "not-an-address")],
    );
    assert!(!ok);
    assert!(
        err.contains("SANGTAO_BIND") && err.contains("not-an-address"),
        "{err}"
    );
}

#[test]
fn create_admin_with_a_piped_password_then_sign_in() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sangtao"))
        .args(["create-admin", "--email", "Admin@Example.org"])
        .env_clear()
        .env("SANGTAO_DATA_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("mật khẩu quản trị viên\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("administrator admin@example.org created"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("password"),
        "a piped password is not printed"
    );

    let target = sangtao::db::Target::Sqlite(dir.path().join("sangtao.db"));
    let pool = sangtao::db::connect(&target, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let user = sangtao::db::accounts::user_by_email(&mut conn, "admin@example.org")
        .unwrap()
        .unwrap();
    assert_eq!(user.role, "admin");
    assert!(user.email_verified_at.is_some());
    assert!(sangtao::app::secrets::verify_password(
        user.password_hash.as_deref(),
        "mật khẩu quản trị viên"
    ));

    // A short password is refused with the reason.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sangtao"))
        .args(["create-admin", "--email", "khac@example.org"])
        .env_clear()
        .env("SANGTAO_DATA_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("10"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
