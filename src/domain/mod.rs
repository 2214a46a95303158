//! Pure types and rules of the portal: no I/O, nothing from `db` or `web`.

pub mod account;
pub mod adoption;
pub mod assignment;
pub mod attachment;
pub mod calibration;
pub mod conflicts;
pub mod idea;
pub mod import;
pub mod lifecycle;
pub mod listing;
pub mod rubric;
pub mod similar;
pub mod stats;
pub mod status;
pub mod text;
pub mod validation;
