//! The delivery worker: a plain thread (never an actix worker, whose single-threaded runtime must not block) that
//! claims due outbox rows a batch at a time, sends them, and records the outcome.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use lettre::message::Mailbox;

use super::transport::{Failure, Transport, build_message};
use crate::config::Config;
use crate::db::outbox::{self, AfterFailure, Claimed};
use crate::db::{self, Pool};

/// Rows claimed per round.
const BATCH: i64 = 10;
/// How long a claim holds a row: another worker may take it after that (e.g. if this process died mid-send).
const LEASE: Duration = Duration::from_secs(5 * 60);
/// Rows left in a batch are handed back when the lease has less than this left, so a slow server cannot let two
/// workers hold the same row.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The longest `last_error` kept.
const MAX_ERROR_LEN: usize = 1000;

/// Why the worker could not start (a setting that cannot work).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `SANGTAO_MAIL_FROM` is not an address.
    #[error(
        "SANGTAO_MAIL_FROM: '{0}' is not an address such as 'Sáng tạo trẻ <no-reply@example.vn>': {1}"
    )]
    From(String, String),
    /// The transport could not be built (bad `SMTP_URL`, mail folder not writable).
    #[error("{0}")]
    Transport(String),
    /// The thread could not be started.
    #[error("cannot start the mail worker thread: {0}")]
    Thread(std::io::Error),
}

/// Wakes sleeping workers: a generation counter bumped by [`notify`], and the stop requests.
static BELL: Mutex<u64> = Mutex::new(0);
static RING: Condvar = Condvar::new();

/// Wakes every mail worker of this process now instead of at its next poll (call after committing a transaction
/// that enqueued mail). Cheap; other app instances still find the mail at their next poll.
pub fn notify() {
    let mut generation = BELL.lock().unwrap_or_else(|e| e.into_inner());
    *generation = generation.wrapping_add(1);
    RING.notify_all();
}

/// A running delivery thread; stops when [`Worker::stop`] is called or it is dropped.
pub struct Worker {
    id: String,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the thread owns.
struct Delivery {
    id: String,
    pool: Pool,
    transport: Transport,
    from: Mailbox,
    poll: Duration,
    retry_base: Duration,
    max_attempts: u32,
    reminder_every: Duration,
    stopping: Arc<AtomicBool>,
}

impl Worker {
    /// Builds the transport once (files or SMTP, per `config.mail`), tells [`super::enqueue`] the portal's address,
    /// and starts the delivery thread on `pool`.
    pub fn spawn(pool: Pool, config: &Config) -> Result<Worker, MailError> {
        super::configure(&config.base_url);
        let from: Mailbox =
            config
                .mail
                .from
                .parse()
                .map_err(|e: lettre::address::AddressError| {
                    MailError::From(config.mail.from.clone(), e.to_string())
                })?;
        let transport =
            Transport::from_config(&config.mail, &config.data_dir).map_err(MailError::Transport)?;
        let id = format!(
            "{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let stopping = Arc::new(AtomicBool::new(false));
        tracing::info!(worker = %id, transport = %transport.describe(), "mail worker starting");
        let delivery = Delivery {
            id: id.clone(),
            pool,
            transport,
            from,
            poll: config.mail.poll,
            retry_base: config.mail.retry_base,
            max_attempts: config.mail.max_attempts,
            reminder_every: config.mail.reminder_every,
            stopping: stopping.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("mail-worker".into())
            .spawn(move || delivery.run())
            .map_err(MailError::Thread)?;
        Ok(Worker {
            id,
            stopping,
            thread: Some(thread),
        })
    }

    /// This worker's id, as written in `outbox.locked_by` while it holds rows.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Wakes this process's workers now (see [`notify`]).
    pub fn notify(&self) {
        notify();
    }

    /// Stops the thread: a message being sent is finished and recorded, claimed rows not yet tried are handed back.
    /// Waits for the thread to end. Calling it again does nothing.
    pub fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stopping.store(true, Ordering::SeqCst);
        {
            // Ring under the lock so a worker about to sleep cannot miss it.
            let _guard = BELL.lock().unwrap_or_else(|e| e.into_inner());
            RING.notify_all();
        }
        if thread.join().is_err() {
            tracing::error!(worker = %self.id, "mail worker thread panicked");
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("running", &self.thread.is_some())
            .finish()
    }
}

impl Delivery {
    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn run(self) {
        let mut seen = *BELL.lock().unwrap_or_else(|e| e.into_inner());
        // Reviewers' reminders are swept here too: this thread already wakes regularly, and whatever the sweep
        // queues is delivered in the next round.
        let mut next_sweep = Instant::now();
        while !self.stopping() {
            if Instant::now() >= next_sweep {
                next_sweep = Instant::now() + self.reminder_every;
                match self
                    .pool
                    .get()
                    .map_err(|e| e.to_string())
                    .and_then(|mut conn| {
                        crate::app::reminders::sweep(&mut conn, db::now())
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(worker = %self.id, reminders = n, "reviewers reminded"),
                    Err(e) => {
                        tracing::warn!(worker = %self.id, error = %e, "reminder sweep failed")
                    }
                }
            }
            let full = match self.round() {
                Ok(claimed) => claimed == BATCH as usize,
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = %e, "mail worker: database unavailable");
                    false
                }
            };
            // A full batch suggests more is due: go again at once.
            if !full {
                seen = self.sleep(seen);
            }
        }
        tracing::info!(worker = %self.id, "mail worker stopped");
    }

    /// Sleeps for one poll interval, or until [`notify`] or a stop; returns the generation seen.
    fn sleep(&self, seen: u64) -> u64 {
        let deadline = Instant::now() + self.poll;
        let mut generation = BELL.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.stopping() || *generation != seen {
                return *generation;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return *generation;
            };
            generation = match RING.wait_timeout(generation, left) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }

    /// Claims one batch and delivers it; returns how many rows were claimed.
    fn round(&self) -> Result<usize, db::DbError> {
        let now = db::now();
        let claimed = {
            let mut conn = self.pool.get()?;
            outbox::claim(&mut conn, &self.id, now, now + lease(), BATCH)?
        };
        let started = Instant::now();
        let count = claimed.len();
        let mut rows = claimed.into_iter();
        for row in rows.by_ref() {
            if self.stopping() || started.elapsed() + LEASE_MARGIN > LEASE {
                self.release(&row);
                break;
            }
            self.deliver(&row);
        }
        for row in rows {
            self.release(&row);
        }
        Ok(count)
    }

    /// Sends one claimed row and records the outcome.
    fn deliver(&self, row: &Claimed) {
        let outcome = build_message(&self.from, row).and_then(|m| self.transport.send(&m));
        let now = db::now();
        let recorded = self
            .pool
            .get()
            .map_err(db::DbError::from)
            .and_then(|mut conn| {
                match &outcome {
                    Ok(()) => outbox::mark_sent(&mut conn, &row.id, &self.id, now),
                    Err(failure) => {
                        let attempts = row.attempts.saturating_add(1);
                        let after =
                            next_step(failure, attempts, self.max_attempts, self.retry_base, now);
                        outbox::mark_failed_attempt(
                            &mut conn,
                            &row.id,
                            &self.id,
                            attempts,
                            &truncate(failure.message()),
                            after,
                            now,
                        )
                    }
                }
                .map_err(db::DbError::from)
            });
        match (&outcome, recorded) {
            (Ok(()), Ok(true)) => {
                tracing::info!(outbox = %row.id, kind = %row.kind, "mail sent");
            }
            (Err(failure), Ok(true)) => {
                tracing::warn!(outbox = %row.id, kind = %row.kind, attempt = row.attempts + 1,
                    error = %failure.message(), "mail not sent");
            }
            (_, Ok(false)) => {
                tracing::warn!(outbox = %row.id, "mail worker lost its claim on a row before recording it");
            }
            (_, Err(e)) => {
                // The row stays claimed; after the lease it is tried again (the same Message-ID).
                tracing::error!(outbox = %row.id, error = %e, "cannot record a mail delivery");
            }
        }
    }

    /// Hands a claimed row back untried.
    fn release(&self, row: &Claimed) {
        let done = self
            .pool
            .get()
            .map_err(db::DbError::from)
            .and_then(|mut conn| outbox::release(&mut conn, &row.id, &self.id).map_err(Into::into));
        if let Err(e) = done {
            tracing::warn!(outbox = %row.id, error = %e, "cannot release a claimed mail row");
        }
    }
}

fn lease() -> chrono::Duration {
    chrono::Duration::from_std(LEASE).unwrap_or_else(|_| chrono::Duration::minutes(5))
}

/// After a failed attempt (`attempts` counts it): give up on a permanent failure or when attempts run out,
/// otherwise wait `retry_base × 2^(attempts−1)`, at most an hour.
fn next_step(
    failure: &Failure,
    attempts: i32,
    max_attempts: u32,
    retry_base: Duration,
    now: NaiveDateTime,
) -> AfterFailure {
    let attempts = u32::try_from(attempts).unwrap_or(u32::MAX).max(1);
    if matches!(failure, Failure::Permanent(_)) || attempts >= max_attempts {
        return AfterFailure::GiveUp;
    }
    AfterFailure::RetryAt(now + backoff(retry_base, attempts))
}

/// `retry_base × 2^(attempts−1)`, capped at an hour.
fn backoff(retry_base: Duration, attempts: u32) -> chrono::Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let wait = retry_base.saturating_mul(factor).min(MAX_BACKOFF);
    chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::hours(1))
}

fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_ERROR_LEN) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_an_hour() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1), chrono::Duration::seconds(10));
        assert_eq!(backoff(base, 2), chrono::Duration::seconds(20));
        assert_eq!(backoff(base, 4), chrono::Duration::seconds(80));
        assert_eq!(backoff(base, 12), chrono::Duration::hours(1));
        assert_eq!(backoff(base, 200), chrono::Duration::hours(1));
    }

    #[test]
    fn gives_up_on_permanent_failures_and_after_the_last_attempt() {
        let now = db::now();
        let base = Duration::from_secs(10);
        let transient = Failure::Transient("refused".into());
        let permanent = Failure::Permanent("550".into());
        assert_eq!(
            next_step(&transient, 1, 3, base, now),
            AfterFailure::RetryAt(now + chrono::Duration::seconds(10))
        );
        assert_eq!(
            next_step(&transient, 2, 3, base, now),
            AfterFailure::RetryAt(now + chrono::Duration::seconds(20))
        );
        assert_eq!(next_step(&transient, 3, 3, base, now), AfterFailure::GiveUp);
        assert_eq!(next_step(&permanent, 1, 3, base, now), AfterFailure::GiveUp);
    }

    #[test]
    fn long_errors_are_cut() {
        let long = "ô".repeat(MAX_ERROR_LEN + 5);
        assert_eq!(truncate(&long).chars().count(), MAX_ERROR_LEN + 1);
        assert_eq!(truncate("short"), "short");
    }
}
