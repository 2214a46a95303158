//! A contest's review panel (DESIGN.md "Review"): organizers invite reviewers by email with a cap on how many ideas
//! each takes, change caps and remove reviewers; the invited person accepts or declines through a one-use link valid
//! 14 days, and someone without an account creates one from that link (its email counts as verified: the link
//! proved it). Accepting makes the account at least a reviewer. Every change is an event of the contest's audit log.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::secrets::{hash_password, random_token, token_hash};
use crate::access::Principal;
use crate::app::contests::managed;
use crate::db::catalog::{self, Contest};
use crate::db::events::Event;
use crate::db::schema::{
    assignments, contest_reviewers, contests, reviewer_invitations, units, users,
};
use crate::db::users::User;
use crate::db::{DbConn, accounts as store, new_id, now, write_tx};
use crate::domain::account::{PASSWORD_MAX, PASSWORD_MIN, Role, is_valid_email, normalize_email};
use crate::domain::validation::{FieldError, from_validator};
use crate::mail::{self, MailKind, Outgoing};
use crate::web::error::AppError;

/// The cap of a reviewer invited without one.
pub const DEFAULT_CAP: i64 = 30;
/// The smallest cap.
pub const MIN_CAP: i64 = 1;
/// The largest cap.
pub const MAX_CAP: i64 = 1000;
/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 14;
/// Assignment states that hold one of a reviewer's slots.
pub const LIVE: [&str; 3] = ["proposed", "assigned", "accepted"];

/// A cap typed in a form: a number, or `None` when the field is blank. Text that is not a number becomes 0, which
/// the range check then refuses with the range in the message.
pub fn cap_from_text(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(0))
}

fn checked_cap(cap: Option<i64>) -> Result<i32, FieldError> {
    let cap = cap.unwrap_or(DEFAULT_CAP);
    if (MIN_CAP..=MAX_CAP).contains(&cap) {
        Ok(cap as i32)
    } else {
        Err(FieldError::new("cap", "range")
            .with("min", MIN_CAP)
            .with("max", MAX_CAP))
    }
}

/// An invitation as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviewer_invitations)]
#[diesel(treat_none_as_default_value = false)]
pub struct InvitationRecord {
    /// UUID.
    pub id: String,
    /// The contest.
    pub contest_id: String,
    /// The invited address (normalised).
    pub email: String,
    /// The cap the reviewer will have.
    pub cap: i32,
    /// SHA-256 of the token in the link.
    pub token_hash: String,
    /// The organizer who invited.
    pub invited_by: String,
    /// Sent.
    pub created_at: NaiveDateTime,
    /// The link stops working.
    pub expires_at: NaiveDateTime,
    /// Accepted.
    pub accepted_at: Option<NaiveDateTime>,
    /// The account that accepted.
    pub accepted_by: Option<String>,
    /// Declined.
    pub declined_at: Option<NaiveDateTime>,
}

impl InvitationRecord {
    /// Where the invitation stands at `at`.
    pub fn state(&self, at: NaiveDateTime) -> InvitationState {
        if self.accepted_at.is_some() {
            InvitationState::Accepted
        } else if self.declined_at.is_some() {
            InvitationState::Declined
        } else if self.expires_at <= at {
            InvitationState::Expired
        } else {
            InvitationState::Pending
        }
    }

    /// Refuses an invitation that can no longer be answered, with the reason as the code.
    fn usable(&self, at: NaiveDateTime) -> Result<(), AppError> {
        match self.state(at) {
            InvitationState::Pending => Ok(()),
            InvitationState::Accepted => Err(AppError::Rule("invitation_accepted")),
            InvitationState::Declined => Err(AppError::Rule("invitation_declined")),
            InvitationState::Expired => Err(AppError::Rule("invitation_expired")),
        }
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    /// Waiting for an answer.
    Pending,
    /// Accepted: the person is on the panel.
    Accepted,
    /// Declined.
    Declined,
    /// Not answered in time.
    Expired,
}

impl InvitationState {
    /// The code shown in lists and the API.
    pub fn code(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Declined => "declined",
            InvitationState::Expired => "expired",
        }
    }
}

/// A reviewer of the panel.
#[derive(Debug, Clone)]
pub struct Member {
    /// Account id.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Email (organizers of the contest may see it).
    pub email: String,
    /// Their unit's name.
    pub unit: Option<String>,
    /// At most this many ideas.
    pub cap: i32,
    /// Ideas assigned now (proposed, assigned or accepted).
    pub load: i64,
    /// On the panel since.
    pub added_at: NaiveDateTime,
}

/// The panel of a contest as its organizers see it.
pub struct Panel {
    /// The contest.
    pub contest: Contest,
    /// Reviewers, by name.
    pub members: Vec<Member>,
    /// Invitations not accepted (pending, declined, expired), newest first.
    pub invitations: Vec<InvitationRecord>,
}

fn loads(
    conn: &mut DbConn,
    contest_id: &str,
) -> Result<std::collections::HashMap<String, i64>, AppError> {
    let live: Vec<String> = assignments::table
        .filter(assignments::contest_id.eq(contest_id))
        .filter(assignments::status.eq_any(LIVE))
        .select(assignments::reviewer_id)
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for r in live {
        *out.entry(r).or_insert(0) += 1;
    }
    Ok(out)
}

fn members_of(conn: &mut DbConn, contest_id: &str) -> Result<Vec<Member>, AppError> {
    let rows: Vec<(String, String, String, Option<String>, i32, NaiveDateTime)> =
        contest_reviewers::table
            .inner_join(users::table.left_join(units::table))
            .filter(contest_reviewers::contest_id.eq(contest_id))
            .order((users::display_name.asc(), users::id.asc()))
            .select((
                users::id,
                users::display_name,
                users::email,
                units::name.nullable(),
                contest_reviewers::cap,
                contest_reviewers::added_at,
            ))
            .load(conn)?;
    let loads = loads(conn, contest_id)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, email, unit, cap, added_at)| Member {
            load: loads.get(&user_id).copied().unwrap_or(0),
            user_id,
            name,
            email,
            unit,
            cap,
            added_at,
        })
        .collect())
}

/// The panel of the contest `slug`, for its organizers.
pub fn panel(conn: &mut DbConn, who: &Principal, slug: &str) -> Result<Panel, AppError> {
    let contest = managed(conn, who, slug)?;
    let members = members_of(conn, &contest.id)?;
    let invitations = reviewer_invitations::table
        .filter(reviewer_invitations::contest_id.eq(&contest.id))
        .filter(reviewer_invitations::accepted_at.is_null())
        .order((
            reviewer_invitations::created_at.desc(),
            reviewer_invitations::id.desc(),
        ))
        .limit(500)
        .select(InvitationRecord::as_select())
        .load(conn)?;
    Ok(Panel {
        contest,
        members,
        invitations,
    })
}

fn on_panel(conn: &mut DbConn, contest_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        contest_reviewers::table
            .filter(contest_reviewers::contest_id.eq(contest_id))
            .filter(contest_reviewers::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Whether `user_id` reviews for the contest `contest_id`.
pub fn is_reviewer(conn: &mut DbConn, contest_id: &str, user_id: &str) -> Result<bool, AppError> {
    Ok(on_panel(conn, contest_id, user_id)?)
}

fn log(
    conn: &mut DbConn,
    contest_id: &str,
    actor: Option<&str>,
    kind: &str,
    reason: String,
) -> Result<(), AppError> {
    crate::app::ideas::insert_event(
        conn,
        &Event {
            id: new_id(),
            idea_id: None,
            contest_id: Some(contest_id.to_string()),
            actor_id: actor.map(str::to_string),
            kind: kind.into(),
            from_status: None,
            to_status: None,
            reason: Some(reason),
            created_at: now(),
        },
    )
}

/// Invites `email` to the panel of the contest `slug` with `cap` (default 30) and emails the link. Refused: a bad
/// email, a cap outside 1–1000, someone already on the panel, or a pending invitation to the same address.
pub fn invite(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    email: &str,
    cap: Option<i64>,
) -> Result<InvitationRecord, AppError> {
    let contest = managed(conn, who, slug)?;
    let email = normalize_email(email);
    let mut problems = Vec::new();
    if email.is_empty() {
        problems.push(FieldError::new("email", "required"));
    } else if !is_valid_email(&email) {
        problems.push(FieldError::new("email", "email"));
    }
    let cap = checked_cap(cap).map_err(|p| problems.push(p)).unwrap_or(0);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    write_tx(conn, |conn| {
        let at = now();
        if let Some(user) = store::user_by_email(conn, &email)?
            && on_panel(conn, &contest.id, &user.id)?
        {
            return Err(AppError::Invalid(vec![FieldError::new(
                "email",
                "already_on_panel",
            )]));
        }
        let pending: bool = diesel::select(diesel::dsl::exists(
            reviewer_invitations::table
                .filter(reviewer_invitations::contest_id.eq(&contest.id))
                .filter(reviewer_invitations::email.eq(&email))
                .filter(reviewer_invitations::accepted_at.is_null())
                .filter(reviewer_invitations::declined_at.is_null())
                .filter(reviewer_invitations::expires_at.gt(at)),
        ))
        .get_result(conn)?;
        if pending {
            return Err(AppError::Invalid(vec![FieldError::new(
                "email",
                "already_invited",
            )]));
        }
        let token = random_token();
        let record = InvitationRecord {
            id: new_id(),
            contest_id: contest.id.clone(),
            email: email.clone(),
            cap,
            token_hash: token_hash(&token),
            invited_by: who.user_id.clone(),
            created_at: at,
            expires_at: at + Duration::days(INVITATION_DAYS),
            accepted_at: None,
            accepted_by: None,
            declined_at: None,
        };
        diesel::insert_into(reviewer_invitations::table)
            .values(&record)
            .execute(conn)?;
        // Written in the language of the account if there is one, else in Vietnamese.
        let existing = store::user_by_email(conn, &email)?;
        mail::enqueue(
            conn,
            &Outgoing {
                to: email.clone(),
                to_name: existing
                    .as_ref()
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                lang: existing.map(|u| u.lang).unwrap_or_else(|| "vi".into()),
                kind: MailKind::ReviewerInvitation {
                    contest: contest.title.clone(),
                    inviter: who.display_name.clone(),
                    cap: cap.to_string(),
                    link: mail::absolute(&format!("/invitation?token={token}")),
                },
            },
        )?;
        log(
            conn,
            &contest.id,
            Some(&who.user_id),
            "panel.invited",
            format!("{email} ({cap})"),
        )?;
        Ok(record)
    })
}

/// Changes the cap of the reviewer `user_id`; a cap below the ideas they already hold is refused.
pub fn set_cap(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    user_id: &str,
    cap: Option<i64>,
) -> Result<Member, AppError> {
    let contest = managed(conn, who, slug)?;
    let Some(cap) = cap else {
        return Err(AppError::Invalid(vec![FieldError::new("cap", "required")]));
    };
    let cap = checked_cap(Some(cap)).map_err(|p| AppError::Invalid(vec![p]))?;
    write_tx(conn, |conn| {
        if !on_panel(conn, &contest.id, user_id)? {
            return Err(AppError::NotFound("reviewer"));
        }
        let load = loads(conn, &contest.id)?.get(user_id).copied().unwrap_or(0);
        if i64::from(cap) < load {
            return Err(AppError::Invalid(vec![
                FieldError::new("cap", "below_load").with("load", load),
            ]));
        }
        diesel::update(
            contest_reviewers::table
                .filter(contest_reviewers::contest_id.eq(&contest.id))
                .filter(contest_reviewers::user_id.eq(user_id)),
        )
        .set(contest_reviewers::cap.eq(cap))
        .execute(conn)?;
        log(
            conn,
            &contest.id,
            Some(&who.user_id),
            "panel.cap",
            format!("{user_id} → {cap}"),
        )?;
        members_of(conn, &contest.id)?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or(AppError::NotFound("reviewer"))
    })
}

/// Removes the reviewer `user_id` from the panel; their live assignments in the contest become `removed`, which
/// frees the ideas for someone else.
pub fn remove(
    conn: &mut DbConn,
    who: &Principal,
    slug: &str,
    user_id: &str,
) -> Result<(), AppError> {
    let contest = managed(conn, who, slug)?;
    write_tx(conn, |conn| {
        let n = diesel::delete(
            contest_reviewers::table
                .filter(contest_reviewers::contest_id.eq(&contest.id))
                .filter(contest_reviewers::user_id.eq(user_id)),
        )
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::NotFound("reviewer"));
        }
        let at = now();
        diesel::update(
            assignments::table
                .filter(assignments::contest_id.eq(&contest.id))
                .filter(assignments::reviewer_id.eq(user_id))
                .filter(assignments::status.eq_any(LIVE)),
        )
        .set((
            assignments::status.eq("removed"),
            assignments::updated_at.eq(at),
        ))
        .execute(conn)?;
        log(
            conn,
            &contest.id,
            Some(&who.user_id),
            "panel.removed",
            user_id.to_string(),
        )
    })
}

/// An invitation opened from its link.
pub struct Opened {
    /// The invitation.
    pub invitation: InvitationRecord,
    /// Its contest.
    pub contest: Contest,
    /// Who invited.
    pub inviter: String,
    /// Whether the invited address has an account (sign in to accept) or not (create one here).
    pub has_account: bool,
}

fn by_token(conn: &mut DbConn, token: &str) -> Result<InvitationRecord, AppError> {
    reviewer_invitations::table
        .filter(reviewer_invitations::token_hash.eq(token_hash(token.trim())))
        .select(InvitationRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("invitation"))
}

/// The invitation behind a link, if it can still be answered: unknown links are "not found", used or expired ones
/// are refused with `invitation_accepted`, `invitation_declined` or `invitation_expired`.
pub fn open(conn: &mut DbConn, token: &str) -> Result<Opened, AppError> {
    let invitation = by_token(conn, token)?;
    invitation.usable(now())?;
    let contest = catalog::contests_by_id(conn, &invitation.contest_id)?
        .ok_or(AppError::NotFound("invitation"))?;
    let inviter = store::user_by_id(conn, &invitation.invited_by)?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let has_account = store::user_by_email(conn, &invitation.email)?.is_some();
    Ok(Opened {
        invitation,
        contest,
        inviter,
        has_account,
    })
}

/// Marks a usable invitation answered (one use: a second answer finds it already used and is refused).
fn answer(
    conn: &mut DbConn,
    invitation: &InvitationRecord,
    accepted_by: Option<&str>,
) -> Result<(), AppError> {
    let at = now();
    let target = reviewer_invitations::table
        .filter(reviewer_invitations::id.eq(&invitation.id))
        .filter(reviewer_invitations::accepted_at.is_null())
        .filter(reviewer_invitations::declined_at.is_null())
        .filter(reviewer_invitations::expires_at.gt(at));
    let n = match accepted_by {
        Some(user) => diesel::update(target)
            .set((
                reviewer_invitations::accepted_at.eq(Some(at)),
                reviewer_invitations::accepted_by.eq(Some(user)),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set(reviewer_invitations::declined_at.eq(Some(at)))
            .execute(conn)?,
    };
    if n == 0 {
        // Answered or expired since it was read: refuse with the reason as it stands now.
        let fresh: InvitationRecord = reviewer_invitations::table
            .find(&invitation.id)
            .select(InvitationRecord::as_select())
            .first(conn)?;
        fresh.usable(at)?;
        return Err(AppError::Internal("invitation not updated".into()));
    }
    Ok(())
}

/// Puts `user` on the panel with the invitation's cap and makes them at least a reviewer (a higher role stays).
fn seat(conn: &mut DbConn, invitation: &InvitationRecord, user: &User) -> Result<(), AppError> {
    if on_panel(conn, &invitation.contest_id, &user.id)? {
        return Err(AppError::Rule("already_on_panel"));
    }
    answer(conn, invitation, Some(&user.id))?;
    let at = now();
    diesel::insert_into(contest_reviewers::table)
        .values((
            contest_reviewers::contest_id.eq(&invitation.contest_id),
            contest_reviewers::user_id.eq(&user.id),
            contest_reviewers::cap.eq(invitation.cap),
            contest_reviewers::added_at.eq(at),
        ))
        .execute(conn)?;
    // Following the link proved the address.
    store::set_verified(conn, &user.id, at)?;
    if Role::parse(&user.role).is_none_or(|r| r < Role::Reviewer) {
        diesel::update(users::table.find(&user.id))
            .set((
                users::role.eq(Role::Reviewer.code()),
                users::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    log(
        conn,
        &invitation.contest_id,
        Some(&user.id),
        "panel.joined",
        format!("{} ({})", user.email, invitation.cap),
    )
}

/// Accepts an invitation as the signed-in person, whose email must be the invited one.
pub fn accept(conn: &mut DbConn, who: &Principal, token: &str) -> Result<Contest, AppError> {
    let opened = open(conn, token)?;
    if normalize_email(&who.email) != opened.invitation.email {
        return Err(AppError::Rule("invitation_other_account"));
    }
    write_tx(conn, |conn| {
        let user = store::user_by_id(conn, &who.user_id)?.ok_or(AppError::Unauthenticated)?;
        seat(conn, &opened.invitation, &user)
    })?;
    Ok(opened.contest)
}

/// Declines an invitation (the link is enough: it proves the email).
pub fn decline(conn: &mut DbConn, token: &str) -> Result<Contest, AppError> {
    let opened = open(conn, token)?;
    write_tx(conn, |conn| {
        answer(conn, &opened.invitation, None)?;
        // The invitee, if they have an account; otherwise nobody the portal knows.
        let actor = store::user_by_email(conn, &opened.invitation.email)?.map(|u| u.id);
        log(
            conn,
            &opened.contest.id,
            actor.as_deref(),
            "panel.declined",
            opened.invitation.email.clone(),
        )
    })?;
    Ok(opened.contest)
}

/// A new account made from an invitation link: the email is the invited one.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct JoinInput {
    /// The name others see.
    #[validate(length(min = 2, max = 80, code = "length"))]
    #[schema(min_length = 2, max_length = 80)]
    pub display_name: String,
    /// At least 10 characters.
    #[validate(length(min = PASSWORD_MIN, max = PASSWORD_MAX, code = "password_length"))]
    #[schema(min_length = 10, max_length = 200)]
    pub password: String,
    /// The slug of the person's unit, if they belong to one (it decides conflicts of interest).
    #[serde(default)]
    pub unit: String,
    /// `vi` (default) or `en`: the language of emails.
    #[serde(default)]
    pub lang: String,
}

/// Creates the invited person's account (verified, a reviewer) and puts it on the panel; returns the contest and
/// the account's email. Refused if the address has an account already (sign in and accept instead).
pub fn join(
    conn: &mut DbConn,
    token: &str,
    input: &JoinInput,
) -> Result<(Contest, String), AppError> {
    let opened = open(conn, token)?;
    if opened.has_account {
        return Err(AppError::Rule("invitation_has_account"));
    }
    input
        .validate()
        .map_err(|e| AppError::Invalid(from_validator(&e)))?;
    let unit_id = match input.unit.trim() {
        "" => None,
        slug => Some(
            catalog::unit_by_slug(conn, slug)?
                .ok_or_else(|| AppError::Invalid(vec![FieldError::new("unit", "unknown_unit")]))?
                .id,
        ),
    };
    let hash = hash_password(&input.password).map_err(|e| AppError::Internal(e.to_string()))?;
    let email = opened.invitation.email.clone();
    write_tx(conn, |conn| {
        let at = now();
        let user = User {
            id: new_id(),
            email: email.clone(),
            display_name: input.display_name.trim().to_string(),
            phone: None,
            unit_id,
            role: Role::Reviewer.code().into(),
            password_hash: Some(hash),
            email_verified_at: Some(at),
            disabled_at: None,
            created_at: at,
            updated_at: at,
            lang: if input.lang == "en" { "en" } else { "vi" }.into(),
        };
        store::insert_user(conn, &user)?;
        seat(conn, &opened.invitation, &user)
    })?;
    Ok((opened.contest, email))
}

/// A contest the signed-in person reviews for.
#[derive(Debug, Clone, Queryable)]
pub struct MyPanel {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Submissions close.
    pub closes_at: NaiveDateTime,
    /// Their cap.
    pub cap: i32,
}

/// The contests `who` reviews for, latest closing first, each with how many ideas they hold now.
pub fn my_panels(conn: &mut DbConn, who: &Principal) -> Result<Vec<(MyPanel, i64)>, AppError> {
    let rows: Vec<(String, MyPanel)> = contest_reviewers::table
        .inner_join(contests::table)
        .filter(contest_reviewers::user_id.eq(&who.user_id))
        .order((contests::closes_at.desc(), contests::id.asc()))
        .select((
            contests::id,
            (
                contests::slug,
                contests::title,
                contests::closes_at,
                contest_reviewers::cap,
            ),
        ))
        .load(conn)?;
    let live: Vec<String> = assignments::table
        .filter(assignments::reviewer_id.eq(&who.user_id))
        .filter(assignments::status.eq_any(LIVE))
        .select(assignments::contest_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, p)| {
            let load = live.iter().filter(|c| **c == id).count() as i64;
            (p, load)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_from_forms_and_their_range() {
        assert_eq!(cap_from_text(" 12 "), Some(12));
        assert_eq!(cap_from_text(""), None);
        assert_eq!(cap_from_text("mười"), Some(0));
        assert_eq!(checked_cap(None), Ok(30));
        assert_eq!(checked_cap(Some(1000)), Ok(1000));
        assert!(checked_cap(Some(0)).is_err());
        assert!(checked_cap(Some(1001)).is_err());
    }
}
