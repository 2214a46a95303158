//! Integration tests: each test starts the real server on a random port against a fresh database and talks HTTP.
//! Every test runs on SQLite, and again on PostgreSQL when `TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;
mod accounts;
mod adoption;
mod api;
mod assignment;
mod assignment_pages;
mod attachments;
mod backup;
mod cli;
mod contests;
mod decisions;
mod errors;
mod health;
mod hostile;
mod ideas_list;
mod import;
mod mail;
mod metrics;
mod open_data;
mod pages;
mod panel;
mod results;
mod review_fixture;
mod reviewing;
mod rubric;
mod screening;
mod search;
mod sharing;
mod similar;
mod stats;
mod statuses;
mod submissions;
mod support;
