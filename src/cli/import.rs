//! `sangtao import`: a CSV file into a contest, with a progress bar and the per-row report.
//!
//! The progress bar is one line on standard error redrawn with a carriage return, drawn only when standard error is
//! a terminal; a bar crate would bring several dependencies for these few lines.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sangtao::app::import as uc;
use sangtao::config::Config;
use sangtao::db::imports::ReportRow;
use sangtao::domain::import::{Decision, Duplicate, Field, Mapping, column_letter};
use sangtao::domain::validation::FieldError;
use sangtao::web::error::AppError;
use sangtao::web::i18n::Lang;

/// What the command was given.
#[derive(clap::Args)]
pub struct Args {
    /// The contest's URL name.
    #[arg(long)]
    pub contest: String,
    /// The CSV file.
    pub file: PathBuf,
    /// Map a column: "Column header=field" (repeatable).
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<String>,
    /// A file of mappings, one "Column header=field" a line (blank lines and lines starting with # skipped).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Check the file and print what would happen, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The organizer or administrator account to import as (default: the oldest administrator); people without an
    /// account are entered on its behalf.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_email: Option<String>,
    /// Language of the report's reasons: vi or en.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

/// An application error as one or more lines: its code and sentence, then each field's.
fn explain(lang: Lang, e: &AppError) -> anyhow::Error {
    let d = e.describe(lang);
    let mut text = format!("{}: {}", d.code, d.message);
    for (field, code, message, _) in d.fields {
        text.push_str(&format!("\n  {field}: {code}: {message}"));
    }
    anyhow::anyhow!(text)
}

/// `(header, field)` choices from `--map` and the `--mapping` file.
fn choices(args: &Args) -> anyhow::Result<Vec<(String, String)>> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(path) = &args.mapping {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the mapping file {}: {e}", path.display()))?;
        lines.extend(
            text.lines()
                .map(|l| l.trim().trim_start_matches('\u{feff}').to_string())
                .filter(|l| !l.is_empty() && !l.starts_with('#')),
        );
    }
    lines.extend(args.map.iter().cloned());
    lines
        .iter()
        .map(|l| {
            l.rsplit_once('=')
                .map(|(h, f)| (h.trim().to_string(), f.trim().to_string()))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "map_syntax: the mapping \"{l}\" must read \"Column header=field\""
                    )
                })
        })
        .collect()
}

/// Runs the command.
pub fn run(config: &Config, args: Args) -> anyhow::Result<()> {
    let lang = Lang::from_code(&args.lang)
        .ok_or_else(|| anyhow::anyhow!("--lang must be vi or en, not {}", args.lang))?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let choices = choices(&args)?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pool = sangtao::db::connect(&config.database, 2)?;
    let mut conn = pool.get()?;
    let who = sangtao::app::accounts::command_line_principal(&mut conn, args.as_email.as_deref())
        .map_err(|e| explain(lang, &e))?;
    // The same rule as the routes of the organizer's pages.
    sangtao::access::decide(
        sangtao::access::Need::AtLeast(sangtao::domain::account::Role::Organizer),
        Some(&who),
    )
    .map_err(|_| explain(lang, &AppError::Forbidden))?;
    if args.dry_run {
        let plan = uc::dry_run(&mut conn, &who, &args.contest, &bytes, &choices)
            .map_err(|e| explain(lang, &e))?;
        println!(
            "Dry run of {file_name} into {}: nothing is written.",
            args.contest
        );
        print_columns(&plan.table.headers, &plan.mapping);
        let (mut imported, mut duplicates, mut rejected) = (0, 0, 0);
        let mut lines = Vec::new();
        for (row, d) in &plan.decisions {
            match d {
                Decision::Import(_) => imported += 1,
                Decision::Duplicate(_, dup) => {
                    duplicates += 1;
                    lines.push(duplicate_line(*row as i32, dup));
                }
                Decision::Reject(problems) => {
                    rejected += 1;
                    lines.push(rejected_line(lang, *row as i32, problems));
                }
            }
        }
        println!(
            "Rows: {} — would import {imported}, duplicates {duplicates}, rejected {rejected}",
            plan.decisions.len()
        );
        for l in lines {
            println!("{l}");
        }
        return Ok(());
    }
    let (head, headers) = uc::create(
        &mut conn,
        &who,
        &args.contest,
        &file_name,
        &bytes,
        &choices,
        true,
    )
    .map_err(|e| explain(lang, &e))?;
    drop(conn);
    let mut bar = Bar::new(head.total_rows);
    let ended = uc::run(
        &pool,
        &head.id,
        &mut |h: &sangtao::db::imports::ImportHead| bar.draw(h.next_row),
    )
    .map_err(|e| explain(lang, &e))?;
    bar.finish();
    let mut conn = pool.get()?;
    let view = uc::view(&mut conn, &who, &args.contest, &ended.id, false)
        .map_err(|e| explain(lang, &e))?;
    println!("Import {} of {file_name} into {}", ended.id, args.contest);
    print_columns(&headers, &Mapping::from_json(&ended.mapping, headers.len()));
    println!(
        "Rows: {} — imported {}, duplicates {}, rejected {}",
        ended.total_rows, ended.imported, ended.duplicates, ended.rejected
    );
    for r in view.report.iter().filter(|r| r.outcome != "imported") {
        println!("{}", report_line(lang, r));
    }
    if ended.status != "done" {
        anyhow::bail!("the import stopped: {}", ended.error.unwrap_or_default());
    }
    Ok(())
}

fn print_columns(headers: &[String], mapping: &Mapping) {
    println!("Columns:");
    for (i, h) in headers.iter().enumerate() {
        let field = mapping
            .columns
            .get(i)
            .copied()
            .flatten()
            .map_or("(ignored)", Field::code);
        println!("  {} \"{h}\" → {field}", column_letter(i));
    }
}

fn duplicate_line(row: i32, dup: &Duplicate) -> String {
    match dup {
        Duplicate::Row(n) => format!("row {row}: duplicate of row {n}"),
        Duplicate::Idea(id) => format!("row {row}: duplicate of the existing idea {id}"),
    }
}

fn rejected_line(lang: Lang, row: i32, problems: &[FieldError]) -> String {
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{} {}: {}",
                p.field,
                p.code,
                sangtao::web::validation::message(lang, p)
            )
        })
        .collect();
    format!("row {row}: rejected — {}", reasons.join("; "))
}

fn report_line(lang: Lang, r: &ReportRow) -> String {
    match (r.duplicate_of_row, &r.duplicate_of_idea) {
        (Some(n), _) => duplicate_line(r.row_number, &Duplicate::Row(n as u32)),
        (None, Some(id)) => duplicate_line(r.row_number, &Duplicate::Idea(id.clone())),
        (None, None) => rejected_line(lang, r.row_number, &uc::problems_from_json(&r.problems)),
    }
}

/// A progress bar on standard error, when it is a terminal.
struct Bar {
    total: i32,
    tty: bool,
    last: Option<Instant>,
}

impl Bar {
    fn new(total: i32) -> Bar {
        Bar {
            total,
            tty: std::io::stderr().is_terminal(),
            last: None,
        }
    }

    fn draw(&mut self, done: i32) {
        // A few redraws a second are enough, and cheap against a slow terminal.
        if !self.tty
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        const WIDTH: i32 = 30;
        let total = self.total.max(1);
        let filled = (done.min(total) * WIDTH / total) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {:>3}% {done}/{} rows",
            "#".repeat(filled),
            "-".repeat(WIDTH as usize - filled),
            done.min(total) * 100 / total,
            self.total
        );
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.tty {
            self.last = None;
            self.draw(self.total);
            eprintln!();
        }
    }
}
