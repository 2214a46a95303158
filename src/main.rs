//! The `sangtao` command line: serve the portal, migrate, seed demo or benchmark data.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sangtao::config::Config;

/// jemalloc instead of glibc's allocator. Database work moves between threads (a pooled connection's page cache is
/// allocated by whichever thread runs the query), and glibc gives each thread's allocations an arena that keeps
/// what it once held: under load every arena ended up holding a share of every cache, and the server's resident
/// memory grew to several times what it used. jemalloc's arenas return freed pages to the system after a few
/// seconds, so resident memory follows what the server holds (`bench/mixed.sh` checks it stays under 64 MB).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// The command line's own modules live in src/cli/, apart from the library's tree.
#[path = "cli/import.rs"]
mod import;
#[path = "cli/simulate.rs"]
mod simulate;

/// Sáng tạo trẻ: the portal for youth innovation contests.
///
/// Settings come from the environment: DATABASE_URL (postgres://… or a SQLite path; default
/// <SANGTAO_DATA_DIR>/sangtao.db), SANGTAO_BIND (default 127.0.0.1:8080), SANGTAO_DATA_DIR (default ./data),
/// SANGTAO_BASE_URL, SANGTAO_WORKERS, SANGTAO_DB_POOL, SANGTAO_PAGE_CACHE_MS, SANGTAO_LOG_FORMAT, RUST_LOG.
#[derive(Parser)]
#[command(name = "sangtao", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal: migrates the database first. Running `sangtao` with no command is `sangtao serve --demo`.
    Serve {
        /// Seed the demo data (Quận 10, its wards, contests and ideas) if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with the demo data and exit.
    SeedDemo,
    /// Create an administrator, or make an existing account one. The password is read from standard input when it is
    /// piped in (one line); otherwise a strong one is generated and printed once.
    CreateAdmin {
        /// The administrator's email.
        #[arg(long)]
        email: String,
        /// The name shown for them.
        #[arg(long, default_value = "Quản trị viên")]
        name: String,
    },
    /// Import ideas into a contest from a CSV file exported from an online form or a spreadsheet (UTF-8 with or
    /// without BOM, the first row the headers), then print the per-row report: imported, skipped as a duplicate, or
    /// rejected with the reason. Rows are numbered as a spreadsheet shows them (the header is row 1). Headers that
    /// plainly name a field in Vietnamese or English ("Tên ý tưởng", "Địa chỉ email", "Dấu thời gian", "Title", …)
    /// are recognised; map other columns with --map or --mapping. Fields: title, category, summary, situation,
    /// solution, impact, resources, applies_where, name, email, phone, unit, timestamp (or ignore).
    Import(import::Args),
    /// Simulate contests whose true quality is known, assign and rank them with the portal's review algorithms, and
    /// print how well the raw mean and the calibrated score find the true best ideas, before and after one adaptive
    /// round of extra reviews for the leaders. Touches no database.
    SimulateReview(simulate::Args),
    /// Write a consistent copy of the SQLite database to a new file while the portal runs (VACUUM INTO), then open
    /// the copy and print how many ideas it holds. To restore, stop the portal and put the copy in the database's
    /// place (or point DATABASE_URL at it). PostgreSQL is backed up with pg_dump (see the README).
    Backup {
        /// The new file to write (never overwritten).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Fill an empty database with N generated ideas for benchmarks, and print a deep cursor and an idea id.
    SeedBench {
        /// How many ideas.
        #[arg(long, default_value_t = 1_000_000)]
        ideas: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sangtao: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_json);
    // With no command, serve with the demo data: `cargo run --release` alone gives a portal to look at. Deployments
    // say `serve`, which never seeds.
    let result = match cli.command.unwrap_or(Command::Serve { demo: true }) {
        Command::Serve { demo } => serve(config, demo),
        Command::Migrate => migrate(&config),
        Command::SeedDemo => seed_demo(&config),
        Command::SeedBench { ideas } => seed_bench(&config, ideas),
        Command::CreateAdmin { email, name } => create_admin(&config, &email, &name),
        Command::Import(args) => import::run(&config, args),
        Command::SimulateReview(args) => simulate::run(args),
        Command::Backup { out } => backup(&config, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sangtao: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let engine = config.database.engine();
    let target = config.database.display();
    let base = config.base_url.clone();
    actix_web::rt::System::new().block_on(async move {
        let running = sangtao::start(config, listener, demo)?;
        tracing::info!(%engine, database = %target, addr = %running.addr, base_url = %base, "serving");
        running.server.await?;
        Ok(())
    })
}

fn migrate(config: &Config) -> anyhow::Result<()> {
    let n = sangtao::db::migrate_target(&config.database)?;
    println!(
        "{n} migration(s) applied to the {} database",
        config.database.engine()
    );
    Ok(())
}

fn backup(config: &Config, out: &std::path::Path) -> anyhow::Result<()> {
    let report = sangtao::db::backup::sqlite(&config.database, out)?;
    println!(
        "backup written: {} ({} bytes, {} ideas)",
        report.path.display(),
        report.bytes,
        report.ideas
    );
    Ok(())
}

fn seed_demo(config: &Config) -> anyhow::Result<()> {
    let pool = sangtao::db::connect(&config.database, 1)?;
    let mut conn = pool.get()?;
    if sangtao::demo::seed_if_empty(&mut conn)? {
        println!("demo data seeded");
    } else {
        println!("the database already holds data: nothing seeded");
    }
    Ok(())
}

fn create_admin(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let (password, generated) = if stdin.is_terminal() {
        (
            sangtao::app::secrets::random_token()[..24].to_string(),
            true,
        )
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    };
    let pool = sangtao::db::connect(&config.database, 1)?;
    let mut conn = pool.get()?;
    let outcome = sangtao::app::accounts::create_admin(&mut conn, email, name, &password).map_err(
        |e| match e {
            sangtao::web::error::AppError::Invalid(problems) => anyhow::anyhow!(
                "{}",
                problems
                    .iter()
                    .map(|p| sangtao::web::validation::message(sangtao::web::i18n::Lang::En, p))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            other => anyhow::anyhow!("{other}"),
        },
    )?;
    let normalized = sangtao::domain::account::normalize_email(email);
    match outcome {
        sangtao::app::accounts::AdminCreated::Created => {
            println!("administrator {normalized} created")
        }
        sangtao::app::accounts::AdminCreated::Promoted => {
            println!("{normalized} is now an administrator")
        }
    }
    if generated {
        println!("password (shown only now): {password}");
    }
    Ok(())
}

fn seed_bench(config: &Config, ideas: u64) -> anyhow::Result<()> {
    let pool = sangtao::db::connect(&config.database, 1)?;
    let mut conn = pool.get()?;
    let report = sangtao::demo::seed_bench(&mut conn, ideas)?;
    println!("ideas={}", report.ideas);
    println!("seconds={:.1}", report.seconds);
    println!("idea_id={}", report.idea_id);
    println!("deep_cursor={}", report.deep_cursor);
    println!("open_contest={}", report.open_contest);
    println!("seed_format={}", sangtao::demo::BENCH_SEED_FORMAT);
    for token in &report.writer_tokens {
        println!("writer_token={token}");
    }
    println!("review_contest={}", report.review_contest);
    println!("review_criteria={}", report.review_criteria.join(","));
    for (token, assignment) in &report.review_tasks {
        println!("review_task={token} {assignment}");
    }
    Ok(())
}
