//! `sangtao backup`: a consistent copy of the SQLite database while the portal runs. `VACUUM INTO` reads the
//! database in one read transaction (WAL mode: writers go on meanwhile) and writes a compact, self-contained file,
//! so the copy is the database as it was at one instant, whatever was being written. PostgreSQL has its own tool for
//! this (`pg_dump`), which the README describes.

use std::fs;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{DbConn, DbError, Manager, Target};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How many ideas it holds.
    pub ideas: i64,
}

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL: use `pg_dump`.
    #[error(
        "the database is PostgreSQL: back it up with pg_dump, e.g. `pg_dump --format=custom --file=FILE \"$DATABASE_URL\"` (see the README)"
    )]
    Postgres,
    /// The output file exists; a backup never overwrites one.
    #[error("{0} already exists: choose a new file name (a backup never overwrites a file)")]
    Exists(PathBuf),
    /// The output folder does not exist.
    #[error("the folder of {0} does not exist")]
    NoFolder(PathBuf),
    /// The database could not be opened or read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// SQLite refused.
    #[error("the copy failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// The file could not be flushed or measured.
    #[error("the copy failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Copies the SQLite database at `target` into the new file `out` and checks the copy by opening it.
pub fn sqlite(target: &Target, out: &Path) -> Result<Report, BackupError> {
    if matches!(target, Target::Postgres(_)) {
        return Err(BackupError::Postgres);
    }
    if out.exists() {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    let folder = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        return Err(BackupError::NoFolder(out.to_path_buf()));
    }
    let mut conn = Manager::open(target)?;
    let DbConn::Sqlite(c) = &mut conn else {
        return Err(BackupError::Postgres);
    };
    let result = diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(out.to_string_lossy().into_owned())
        .execute(c);
    if let Err(e) = result {
        let _ = fs::remove_file(out);
        return Err(e.into());
    }
    // On disk before we say it is done.
    fs::File::open(out)?.sync_all()?;
    let copy = Target::Sqlite(out.to_path_buf());
    let mut check = Manager::open(&copy)?;
    let ideas = crate::db::schema::ideas::table
        .count()
        .get_result::<i64>(&mut check)?;
    Ok(Report {
        path: out.to_path_buf(),
        bytes: fs::metadata(out)?.len(),
        ideas,
    })
}
