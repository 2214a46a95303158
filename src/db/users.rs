//! Accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;

/// An account as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct User {
    /// UUID.
    pub id: String,
    /// Normalised (lower-case) email, unique.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Phone, if given.
    pub phone: Option<String>,
    /// Home unit.
    pub unit_id: Option<String>,
    /// `member`, `reviewer`, `organizer` or `admin`.
    pub role: String,
    /// Password hash; `None` for people known only as contacts (imported authors).
    pub password_hash: Option<String>,
    /// When the email was verified.
    pub email_verified_at: Option<NaiveDateTime>,
    /// When the account was disabled.
    pub disabled_at: Option<NaiveDateTime>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Preferred language for emails (`vi` or `en`).
    pub lang: String,
}
