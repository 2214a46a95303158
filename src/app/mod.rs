//! Use cases: one function per thing a person does. Each checks its input, opens one transaction, applies the
//! domain's rules, and writes the change together with its events and emails.

pub mod accounts;
pub mod adoption;
pub mod assignment;
pub mod attachments;
pub mod audit;
pub mod conflicts;
pub mod contests;
pub mod decisions;
pub mod ideas;
pub mod import;
pub mod lifecycle;
pub mod panel;
pub mod publish;
pub mod reminders;
pub mod results;
pub mod reviews;
pub mod rubric;
pub mod screening;
pub mod secrets;
pub mod similar;
pub mod stats;
pub mod support;
