//! Accounts, sessions, access tokens, email links and rate-limit counters.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{api_tokens, email_tokens, rate_limits, sessions, users};
use super::users::User;

/// A user by normalised email.
pub fn user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A user by id.
pub fn user_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The oldest administrator account that is not disabled (who the command line acts as by default).
pub fn first_admin(conn: &mut DbConn) -> QueryResult<Option<User>> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::disabled_at.is_null())
        .order((users::created_at.asc(), users::id.asc()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Inserts a new account.
pub fn insert_user(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(|_| ())
}

/// Sets a user's password hash.
pub fn set_password(
    conn: &mut DbConn,
    user_id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Marks a user's email verified (once; later calls keep the first time).
pub fn set_verified(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((
        users::email_verified_at.eq(Some(now)),
        users::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Changes a user's role and unit.
pub fn set_role(
    conn: &mut DbConn,
    user_id: &str,
    role: &str,
    unit_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::role.eq(role),
            users::unit_id.eq(unit_id),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Disables (or re-enables) an account.
pub fn set_disabled(
    conn: &mut DbConn,
    user_id: &str,
    disabled: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((users::disabled_at.eq(disabled), users::updated_at.eq(now)))
        .execute(conn)
}

/// Accounts whose email or name contains `q` (any case), newest first, at most `limit`.
pub fn list_users(conn: &mut DbConn, q: Option<&str>, limit: i64) -> QueryResult<Vec<User>> {
    let mut query = users::table.select(User::as_select()).into_boxed();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        query = query.filter(
            users::email
                .like(pattern.clone())
                .escape('\\')
                .or(users::display_name.like(pattern).escape('\\')),
        );
    }
    query
        .order((users::created_at.desc(), users::id.asc()))
        .limit(limit)
        .load(conn)
}

/// A signed-in browser, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    /// SHA-256 of the cookie token.
    pub id: String,
    /// Whose.
    pub user_id: String,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// Signed in.
    pub created_at: NaiveDateTime,
    /// Last request (updated at most every few minutes).
    pub last_seen_at: NaiveDateTime,
    /// Ends.
    pub expires_at: NaiveDateTime,
    /// Browser, for the profile's list.
    pub user_agent: String,
    /// Client address at sign-in.
    pub ip: String,
}

/// Stores a new session.
pub fn insert_session(conn: &mut DbConn, s: &Session) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(s)
        .execute(conn)
        .map(|_| ())
}

/// A live session and its (enabled) user.
pub fn live_session(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(Session, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now))
        .filter(users::disabled_at.is_null())
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Records activity on a session.
pub fn touch_session(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Ends one session.
pub fn delete_session(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends every session of a user except `keep`.
pub fn delete_sessions_of(
    conn: &mut DbConn,
    user_id: &str,
    keep: Option<&str>,
) -> QueryResult<usize> {
    match keep {
        Some(k) => diesel::delete(
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::id.ne(k)),
        )
        .execute(conn),
        None => diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn),
    }
}

/// A user's live sessions, newest first.
pub fn sessions_of(
    conn: &mut DbConn,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(Session::as_select())
        .load(conn)
}

/// A personal access token, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApiToken {
    /// Id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// What the owner called it.
    pub name: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last used.
    pub last_used_at: Option<NaiveDateTime>,
    /// Revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new token.
pub fn insert_token(conn: &mut DbConn, t: &ApiToken) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values(t)
        .execute(conn)
        .map(|_| ())
}

/// A live token and its (enabled) user.
pub fn live_token(conn: &mut DbConn, hash: &str) -> QueryResult<Option<(ApiToken, User)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::disabled_at.is_null())
        .select((ApiToken::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Records use of a token.
pub fn touch_token(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

/// A user's tokens that are not revoked, newest first.
pub fn tokens_of(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Revokes one of the user's tokens; returns whether one was revoked.
pub fn revoke_token(
    conn: &mut DbConn,
    user_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// A single-use email link, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = email_tokens)]
#[diesel(treat_none_as_default_value = false)]
pub struct EmailToken {
    /// SHA-256 of the token in the link.
    pub token_hash: String,
    /// Whose.
    pub user_id: String,
    /// `verify` or `reset`.
    pub purpose: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Expires.
    pub expires_at: NaiveDateTime,
    /// Used.
    pub used_at: Option<NaiveDateTime>,
}

/// Stores a new link token.
pub fn insert_email_token(conn: &mut DbConn, t: &EmailToken) -> QueryResult<()> {
    diesel::insert_into(email_tokens::table)
        .values(t)
        .execute(conn)
        .map(|_| ())
}

/// Uses a link token: marks it used if it is unused, unexpired and of this purpose, and returns its user. A second
/// use finds nothing, because the update's condition no longer holds.
pub fn consume_email_token(
    conn: &mut DbConn,
    hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let n = diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(hash))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(now)),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    email_tokens::table
        .find(hash)
        .select(email_tokens::user_id)
        .first(conn)
        .optional()
}

/// Counts one event against `key` in a fixed window of `window` that starts at the window's first event; returns
/// the count in the current window (this event included) and when the window ends. Every step is one atomic
/// statement, so concurrent requests never lose a count. Call it outside a transaction: a lost race on the insert is
/// a unique violation, which would abort a PostgreSQL transaction.
pub fn rate_hit(
    conn: &mut DbConn,
    key: &str,
    window: chrono::Duration,
    now: NaiveDateTime,
) -> QueryResult<(i32, NaiveDateTime)> {
    for _ in 0..3 {
        let in_window = rate_limits::table
            .filter(rate_limits::key.eq(key))
            .filter(rate_limits::window_start.gt(now - window));
        if diesel::update(in_window)
            .set(rate_limits::count.eq(rate_limits::count + 1))
            .execute(conn)?
            == 1
        {
            let (start, count): (NaiveDateTime, i32) = rate_limits::table
                .find(key)
                .select((rate_limits::window_start, rate_limits::count))
                .first(conn)?;
            return Ok((count, start + window));
        }
        let expired = diesel::update(rate_limits::table.find(key))
            .set((rate_limits::window_start.eq(now), rate_limits::count.eq(1)))
            .execute(conn)?;
        if expired == 1 {
            return Ok((1, now + window));
        }
        let inserted = diesel::insert_into(rate_limits::table)
            .values((
                rate_limits::key.eq(key),
                rate_limits::window_start.eq(now),
                rate_limits::count.eq(1),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => return Ok((1, now + window)),
            // Another request created the row first: count against it.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((i32::MAX, now + window))
}
