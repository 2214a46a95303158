//! Group commit: many writers' transactions made durable by one commit.
//!
//! SQLite with `synchronous = FULL` syncs the write-ahead log to disk at every commit, and that sync is what a
//! commit costs (about 2 ms on this project's test machine): one commit per submission would cap the portal near 500
//! durable submissions a second whatever the processor. The [`Committer`] runs write jobs on one thread with its own
//! connection; jobs that arrive while a batch is being written wait, and the next transaction takes all of them
//! (up to [`MAX_BATCH`]): each job in its own savepoint, so one job's error undoes only that job, then one commit
//! and one sync for the batch. Every job's caller gets its answer only once that commit is on disk, so a success is
//! never acknowledged before it is durable. There is no artificial delay: under light load a batch is one job and
//! costs what a plain transaction costs.
//!
//! The search index is brought up to date for the whole batch after the jobs' savepoints (see
//! [`search::defer_reindex`]), in the same transaction.
//!
//! The sync itself is taken off the writer too. The writer's connection commits with `synchronous = NORMAL`
//! (the commit writes the batch to the log without waiting for the disk) and hands the batch's answers to the sync
//! thread, which `fdatasync`s the log file and only then answers; meanwhile the writer is already running the next
//! batch. One sync covers every batch committed before it began, so under load several batches share it. A caller
//! is still answered only once its commit is on disk, as with `synchronous = FULL` (the other connections keep
//! FULL). What changes is that other readers may see a batch a few milliseconds before it is on disk: after a power
//! cut, an idea someone glimpsed but whose author had not been answered could be missing. Nothing acknowledged is.
//!
//! PostgreSQL needs none of this (its own commits share WAL flushes when they arrive together, and it has many
//! writers at once), so there the job runs at once on the caller's connection in an ordinary transaction.

use std::panic::{AssertUnwindSafe, catch_unwind};

use diesel::connection::SimpleConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};

use super::{DbConn, DbError, Manager, Pool, Target, search, write_tx};

/// The most jobs one transaction takes.
pub const MAX_BATCH: usize = 256;

/// What the writer thread is handed: runs the caller's work in a savepoint and returns how to answer the caller
/// once the commit's outcome is known.
type Job = Box<dyn FnOnce(&mut DbConn) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A committed (or failed) batch on its way to the sync thread: its answers and the commit's outcome.
type Committed = (Vec<Answer>, Result<(), String>);

/// Runs write transactions, batching them on SQLite (see the module documentation).
pub struct Committer {
    /// `None` on PostgreSQL: jobs run on the caller's connection.
    jobs: Option<Sender<Job>>,
    /// Jobs run and transactions committed by the writer thread (both 0 on PostgreSQL).
    counts: Arc<Counts>,
}

/// What the writer thread has done.
#[derive(Debug, Default)]
struct Counts {
    jobs: AtomicU64,
    commits: AtomicU64,
}

fn writer_gone() -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError("the database writer has stopped".into())
}

impl Committer {
    /// A committer for `target`: on SQLite, opens the writer's own connection and starts its thread.
    pub fn start(target: &Target) -> Result<Committer, DbError> {
        match target {
            Target::Postgres(_) => Ok(Committer {
                jobs: None,
                counts: Arc::default(),
            }),
            Target::Sqlite(_) => {
                let mut conn = Manager::open(target)?;
                // Checkpoints copy the log into the database file: work a commit would otherwise do while every
                // caller of its batch waits. The checkpoint thread does it beside the writer instead.
                conn.batch_execute("PRAGMA wal_autocheckpoint = 0")?;
                // Every submission touches pages of several indexes; a larger cache than the readers' keeps them
                // in memory between batches (half the cache budget; it grows only as pages are read).
                if let DbConn::Sqlite(c) = &mut conn {
                    super::apply_cache(c, super::writer_cache_kib())?;
                }
                // The sync thread makes each commit durable before anyone is answered (module documentation).
                conn.batch_execute("PRAGMA synchronous = NORMAL")?;
                let mut checkpoints = Manager::open(target)?;
                let (tx, rx) = channel::<Job>();
                let (synced_tx, synced_rx) = channel::<Committed>();
                let log = wal_path(target);
                let checkpoint_log = log.clone();
                let target = target.clone();
                let counts = Arc::new(Counts::default());
                let thread_counts = counts.clone();
                let checkpoint_counts = Arc::downgrade(&counts);
                std::thread::Builder::new()
                    .name("db-writer".into())
                    .spawn(move || run(&target, conn, rx, &synced_tx, &thread_counts))
                    .map_err(|e| {
                        DbError::Migration(format!("cannot start the writer thread: {e}"))
                    })?;
                std::thread::Builder::new()
                    .name("db-sync".into())
                    .spawn(move || sync_loop(&log, &synced_rx))
                    .map_err(|e| {
                        DbError::Migration(format!("cannot start the sync thread: {e}"))
                    })?;
                std::thread::Builder::new()
                    .name("db-checkpoint".into())
                    .spawn(move || {
                        checkpoint_loop(&mut checkpoints, &checkpoint_log, &checkpoint_counts)
                    })
                    .map_err(|e| {
                        DbError::Migration(format!("cannot start the checkpoint thread: {e}"))
                    })?;
                Ok(Committer {
                    jobs: Some(tx),
                    counts,
                })
            }
        }
    }

    /// How many jobs the writer thread has run and in how many committed transactions (the difference is what
    /// group commit saved).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.jobs.load(Ordering::Relaxed),
            self.counts.commits.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` in a write transaction and returns its result once the transaction is committed (or `f`'s error,
    /// with nothing of `f`'s written). A connection of `pool` is taken only where jobs are not batched
    /// (PostgreSQL): on SQLite the caller holds no connection while it waits, so the number of jobs that can share a
    /// commit is not capped by the pool's size. Blocks: call it off the HTTP workers, as every database call is.
    pub fn write<T, E, F>(&self, pool: &Pool, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + From<r2d2::Error> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let Some(jobs) = &self.jobs else {
            return write_tx(&mut *pool.get()?, f);
        };
        let (reply, answer) = sync_channel::<Result<T, E>>(1);
        let job: Job = Box::new(move |c: &mut DbConn| {
            // Inside the batch's transaction this is a savepoint: an error undoes this job only.
            let result = write_tx(c, f);
            Box::new(move |committed: Result<(), String>| {
                let result = match committed {
                    Ok(()) => result,
                    Err(why) => Err(E::from(diesel::result::Error::QueryBuilderError(
                        format!("the transaction was not committed: {why}").into(),
                    ))),
                };
                // The caller may have gone (its request was cancelled); the work is committed all the same.
                let _ = reply.send(result);
            })
        });
        if jobs.send(job).is_err() {
            return Err(E::from(writer_gone()));
        }
        answer
            .recv()
            .unwrap_or_else(|_| Err(E::from(writer_gone())))
    }
}

/// The write-ahead log of the SQLite database `target`.
fn wal_path(target: &Target) -> std::path::PathBuf {
    let Target::Sqlite(db) = target else {
        return std::path::PathBuf::new();
    };
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// Makes the log file's contents durable. Opened by name each time: should SQLite ever delete and recreate the log,
/// a descriptor kept open would sync the old file.
fn sync_log(log: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(log)?.sync_data()
}

/// The sync thread: takes every committed batch waiting, syncs the log once for all of them, then answers their
/// callers; a batch that failed to commit is answered with its error at the same time. Stops with the writer.
fn sync_loop(log: &std::path::Path, committed: &Receiver<Committed>) {
    while let Ok(first) = committed.recv() {
        let mut batches = vec![first];
        while let Ok(more) = committed.try_recv() {
            batches.push(more);
        }
        // Every commit of these batches has returned, so its frames are in the file: one sync covers them all.
        let synced = if batches.iter().any(|(_, outcome)| outcome.is_ok()) {
            sync_log(log).map_err(|e| format!("the database log could not be synced: {e}"))
        } else {
            Ok(())
        };
        if let Err(why) = &synced {
            tracing::error!(error = %why, "committed writes are not known to be on disk; their callers get an error");
        }
        for (answers, outcome) in batches {
            let outcome = match (&outcome, &synced) {
                (Ok(()), Err(why)) => Err(why.clone()),
                _ => outcome,
            };
            for answer in answers {
                answer(outcome.clone());
            }
        }
    }
}

/// How often the checkpoint thread looks at the log.
const CHECKPOINT_POLL: std::time::Duration = std::time::Duration::from_millis(200);
/// A log this large is copied into the database file at once.
const CHECKPOINT_LOG_BYTES: u64 = 16 << 20;
/// Otherwise commits are copied this long after the last checkpoint.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The checkpoint thread: copies the log into the database file (`PASSIVE`: it never waits for the writer or for
/// readers, and does what it can) when the log has grown large or some time after new commits. Not after every
/// batch: a checkpoint writes each changed page into the database file at its own place and syncs that file, and
/// under a stream of submissions the same index pages change in every batch. Copying them once per many batches
/// writes each once, and keeps that random I/O from queueing in front of the log syncs that answers wait for.
/// Stops with the committer.
fn checkpoint_loop(conn: &mut DbConn, log: &std::path::Path, counts: &std::sync::Weak<Counts>) {
    let mut seen = 0;
    let mut last = std::time::Instant::now();
    loop {
        std::thread::sleep(CHECKPOINT_POLL);
        let Some(counts) = counts.upgrade() else {
            return;
        };
        let commits = counts.commits.load(Ordering::Relaxed);
        drop(counts);
        if commits == seen {
            continue;
        }
        let large = std::fs::metadata(log).is_ok_and(|m| m.len() >= CHECKPOINT_LOG_BYTES);
        if !large && last.elapsed() < CHECKPOINT_EVERY {
            continue;
        }
        seen = commits;
        last = std::time::Instant::now();
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(error = %e, "checkpoint failed; the next one will try again");
        }
    }
}

/// The writer thread: takes whatever jobs are waiting, runs them in one transaction, commits, and passes the
/// answers to the sync thread.
fn run(
    target: &Target,
    mut conn: DbConn,
    jobs: Receiver<Job>,
    synced: &Sender<Committed>,
    counts: &Counts,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len() as u64;
        let mut answers: Vec<Answer> = Vec::with_capacity(batch.len());
        // A job that panics (a bug) must not take the writer down with it: its caller gets an error, the batch is
        // rolled back and the other callers get an error too (their answers are dropped unsent).
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            write_tx(&mut conn, |c| {
                search::defer_reindex();
                for job in batch {
                    answers.push(job(c));
                }
                // After the last savepoint, so the search index gets one segment for the whole batch.
                search::reindex_many(c, &search::take_deferred())?;
                Ok::<(), diesel::result::Error>(())
            })
        }));

        match outcome {
            Ok(committed) => {
                let committed = committed.map_err(|e| e.to_string());
                if committed.is_ok() {
                    counts.jobs.fetch_add(size, Ordering::Relaxed);
                    counts.commits.fetch_add(1, Ordering::Relaxed);
                }
                if let Err(why) = &committed {
                    tracing::error!(error = %why, "a batch of writes could not be committed");
                }
                if let Err(std::sync::mpsc::SendError((answers, committed))) =
                    synced.send((answers, committed))
                {
                    // The sync thread has gone (it cannot panic, so only at exit): nothing is answered as done.
                    let _ = committed;
                    for answer in answers {
                        answer(Err("the database sync thread has stopped".into()));
                    }
                }
            }
            Err(_) => {
                search::take_deferred();
                tracing::error!("a write job panicked; its batch was rolled back");
                // The connection's transaction state is unknown after a panic: drop it (SQLite rolls back what it
                // held) and start again with a new one.
                match Manager::open(target) {
                    Ok(fresh) => conn = fresh,
                    Err(e) => {
                        tracing::error!(error = %e, "the database writer cannot reconnect and stops");
                        return;
                    }
                }
            }
        }
    }
    tracing::info!(
        jobs = counts.jobs.load(Ordering::Relaxed),
        commits = counts.commits.load(Ordering::Relaxed),
        "database writer stopped"
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// A new SQLite database with a table `t`, its pool, and a connection to look at it.
    fn setup() -> (tempfile::TempDir, Target, Pool, DbConn) {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Sqlite(dir.path().join("w.db"));
        let mut conn = Manager::open(&target).unwrap();
        conn.batch_execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .unwrap();
        let pool = r2d2::Pool::builder()
            .max_size(2)
            .build(Manager {
                target: target.clone(),
                cache_kib: 1024,
            })
            .unwrap();
        (dir, target, pool, conn)
    }

    fn count(conn: &mut DbConn) -> i64 {
        diesel::sql_query("SELECT count(*) AS n FROM t")
            .get_result::<N>(conn)
            .unwrap()
            .n
    }

    #[test]
    fn concurrent_jobs_share_commits_and_a_failing_job_undoes_only_itself() {
        let (_dir, target, pool, mut setup) = setup();
        let committer = Arc::new(Committer::start(&target).unwrap());
        let handles: Vec<_> = (0..64i64)
            .map(|k| {
                let committer = committer.clone();
                let target = target.clone();
                let pool = pool.clone();
                std::thread::spawn(move || {
                    let result = committer.write(&pool, move |c| {
                        diesel::sql_query(format!("INSERT INTO t (k, v) VALUES ({k}, 'x')"))
                            .execute(c)?;
                        if k % 10 == 3 {
                            // Written, then refused: the savepoint must take the row back.
                            return Err(DbError::Query(diesel::result::Error::RollbackTransaction));
                        }
                        Ok::<i64, DbError>(k)
                    });
                    // Answered only once committed: a fresh connection already sees the row.
                    if result.is_ok() {
                        let seen =
                            diesel::sql_query(format!("SELECT count(*) AS n FROM t WHERE k = {k}"))
                                .get_result::<N>(&mut Manager::open(&target).unwrap())
                                .unwrap()
                                .n;
                        assert_eq!(seen, 1, "job {k} answered before its commit was visible");
                    }
                    result.is_ok()
                })
            })
            .collect();
        let ok = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count() as i64;
        let refused = (0..64).filter(|k| k % 10 == 3).count() as i64;
        assert_eq!(ok, 64 - refused);
        assert_eq!(count(&mut setup), 64 - refused);
        let left: Vec<N> = diesel::sql_query("SELECT count(*) AS n FROM t WHERE k % 10 = 3")
            .load(&mut setup)
            .unwrap();
        assert_eq!(left[0].n, 0);
    }

    #[test]
    fn jobs_that_wait_behind_a_transaction_are_committed_together() {
        let (_dir, target, pool, mut setup) = setup();
        let committer = Arc::new(Committer::start(&target).unwrap());
        let (started, wait) = std::sync::mpsc::channel();
        let slow = {
            let committer = committer.clone();
            let pool = pool.clone();
            std::thread::spawn(move || {
                committer.write(&pool, move |c| {
                    started.send(()).unwrap();
                    // Keeps the writer busy while the others queue.
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    Ok::<_, DbError>(
                        diesel::sql_query("INSERT INTO t (k, v) VALUES (0, 'slow')").execute(c)?,
                    )
                })
            })
        };
        wait.recv().unwrap();
        let others: Vec<_> = (1..=20i64)
            .map(|k| {
                let committer = committer.clone();
                let pool = pool.clone();
                std::thread::spawn(move || {
                    committer.write(&pool, move |c| {
                        Ok::<_, DbError>(
                            diesel::sql_query(format!("INSERT INTO t (k, v) VALUES ({k}, 'x')"))
                                .execute(c)?,
                        )
                    })
                })
            })
            .collect();
        // Give the 20 time to queue behind the slow one.
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert_eq!(slow.join().unwrap().unwrap(), 1);
        for h in others {
            assert_eq!(h.join().unwrap().unwrap(), 1);
        }
        assert_eq!(count(&mut setup), 21);
        assert_eq!(committer.counts(), (21, 2), "20 queued jobs, one commit");
    }

    #[test]
    fn a_constraint_error_in_one_job_is_that_job_s_answer() {
        let (_dir, target, pool, mut conn) = setup();
        let committer = Committer::start(&target).unwrap();
        let insert = |k: i64| {
            move |c: &mut DbConn| {
                Ok::<_, DbError>(
                    diesel::sql_query(format!("INSERT INTO t (k, v) VALUES ({k}, 'x')"))
                        .execute(c)?,
                )
            }
        };
        assert_eq!(committer.write(&pool, insert(1)).unwrap(), 1);
        let dup = committer.write(&pool, insert(1));
        assert!(matches!(
            dup,
            Err(DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )))
        ));
        assert_eq!(committer.write(&pool, insert(2)).unwrap(), 1);
        assert_eq!(count(&mut conn), 2);
    }
}
