//! Writing ideas: create (as a draft or submitted at once), edit, submit, withdraw — each one transaction that also
//! keeps versions, writes events, and records the idempotency key.

use validator::Validate;

use crate::access::Principal;
use crate::db::catalog::{self, Category, Contest};
use crate::db::events::Event;
use crate::db::ideas::Idea;
use crate::db::submissions::{self as store, IdeaVersion};
use crate::db::writer::Committer;
use crate::db::{DbConn, Pool, new_id, now, write_tx};
use crate::domain::idea::{IdeaFields, author_may_edit, author_may_submit, author_may_withdraw};
use crate::domain::status::IdeaStatus;
use crate::domain::validation::{FieldError, from_validator};
use crate::web::error::AppError;

/// What the author asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Keep it as a draft.
    Draft,
    /// Submit it to the contest.
    Submit,
}

/// The longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 100;

use crate::app::lifecycle::status_of;

/// Checks the contest accepts submissions from this person now.
fn check_contest(conn: &mut DbConn, who: &Principal, contest: &Contest) -> Result<(), AppError> {
    if !who.verified {
        return Err(AppError::Rule("email_not_verified"));
    }
    let now = now();
    if now < contest.opens_at {
        return Err(AppError::Rule("contest_not_open"));
    }
    if !contest.is_open_at(now) {
        return Err(AppError::Rule("contest_closed"));
    }
    // Members of the organizing unit's subtree take part; others are not members of this contest.
    let contest_unit =
        catalog::unit_by_id(conn, &contest.unit_id)?.ok_or(AppError::NotFound("contest"))?;
    let member_unit = match &who.unit_id {
        Some(u) => catalog::unit_by_id(conn, u)?,
        None => None,
    };
    match member_unit {
        Some(u) if u.path.starts_with(&contest_unit.path) => Ok(()),
        _ => Err(AppError::Rule("outside_contest_unit")),
    }
}

fn category_in(conn: &mut DbConn, contest: &Contest, slug: &str) -> Result<Category, AppError> {
    catalog::contest_categories_of(conn, &contest.id)?
        .into_iter()
        .find(|c| c.slug == slug)
        .ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new(
                "category",
                if slug.is_empty() {
                    "required"
                } else {
                    "unknown_category"
                },
            )])
        })
}

fn check_fields(fields: &IdeaFields, intent: Intent) -> Result<IdeaFields, AppError> {
    fields
        .validate()
        .map_err(|e| AppError::Invalid(from_validator(&e)))?;
    let fields = fields.trimmed();
    if intent == Intent::Submit {
        let missing = fields.missing_for_submit();
        if !missing.is_empty() {
            // Each field may be short in a draft; only `submit` makes it too short, which the document cannot say.
            return Err(AppError::Unprocessable(missing));
        }
    }
    Ok(fields)
}

fn check_limit(conn: &mut DbConn, who: &Principal, contest: &Contest) -> Result<(), AppError> {
    // Concurrent submissions by one person would each count the others' as not yet there.
    store::lock_author(conn, &who.user_id)?;
    if store::counted_ideas(conn, &who.user_id, &contest.id)?
        >= i64::from(contest.max_ideas_per_member)
    {
        return Err(AppError::Rule("idea_limit_reached"));
    }
    Ok(())
}

fn transition(idea: &Idea, actor: &str, from: IdeaStatus, to: IdeaStatus) -> Event {
    Event {
        id: new_id(),
        idea_id: Some(idea.id.clone()),
        contest_id: Some(idea.contest_id.clone()),
        actor_id: Some(actor.into()),
        kind: "transition".into(),
        from_status: Some(from.code().into()),
        to_status: Some(to.code().into()),
        reason: None,
        created_at: now(),
    }
}

/// Appends an event to the log.
pub(crate) fn insert_event(conn: &mut DbConn, e: &Event) -> Result<(), AppError> {
    use diesel::prelude::*;
    diesel::insert_into(crate::db::schema::events::table)
        .values(e)
        .execute(conn)?;
    Ok(())
}

/// Moves a draft to submitted: first listing time, public visibility, version kept, event written.
fn mark_submitted(
    conn: &mut DbConn,
    idea: &mut Idea,
    contest: &Contest,
    who: &Principal,
) -> Result<(), AppError> {
    let now = now();
    set_submitted(idea, contest, now);
    record_submitted(conn, idea, who, now).map(drop)
}

/// The submitted state of an idea's fields (status, visibility, times), nothing written.
fn set_submitted(idea: &mut Idea, contest: &Contest, now: chrono::NaiveDateTime) {
    idea.status = IdeaStatus::Submitted.code().into();
    idea.is_public = IdeaStatus::Submitted.is_listed_publicly(contest.ideas_public);
    idea.submitted_at = Some(now);
    idea.listed_at = idea.listed_at.or(Some(now));
    idea.updated_at = now;
}

/// What a submission leaves behind besides the idea's row: the submitted version and the transition event, which
/// are returned.
fn record_submitted(
    conn: &mut DbConn,
    idea: &Idea,
    who: &Principal,
    now: chrono::NaiveDateTime,
) -> Result<(IdeaVersion, Event), AppError> {
    // The move is in the lifecycle's table like every other; the row itself is written by the caller, which also
    // sets the submission time and the first listing.
    crate::domain::lifecycle::check(
        IdeaStatus::Draft,
        IdeaStatus::Submitted,
        crate::domain::lifecycle::Mover::Author,
        None,
    )
    .map_err(|r| AppError::Rule(r.code()))?;
    let version = IdeaVersion::of(idea, &who.user_id, now);
    store::insert_version(conn, &version)?;
    let event = transition(idea, &who.user_id, IdeaStatus::Draft, IdeaStatus::Submitted);
    insert_event(conn, &event)?;
    Ok((version, event))
}

fn apply(idea: &mut Idea, fields: &IdeaFields, category: &Category) {
    idea.category_id = category.id.clone();
    idea.title = fields.title.clone();
    idea.summary = fields.summary.clone();
    idea.situation = fields.situation.clone();
    idea.solution = fields.solution.clone();
    idea.impact = fields.impact.clone();
    idea.resources = fields.resources.clone();
    idea.applies_where = fields.applies_where.clone();
}

/// What [`create`] did.
pub enum Creation {
    /// This request created the idea: here it is as its author sees it (built from what the transaction wrote, so
    /// answering needs no second read).
    New(Box<OwnIdea>),
    /// An earlier request with the same idempotency key created this idea (its id); nothing was created.
    Existing(String),
}

impl Creation {
    /// The idea's id, made now or earlier.
    pub fn id(&self) -> &str {
        match self {
            Creation::New(own) => &own.idea.id,
            Creation::Existing(id) => id,
        }
    }
}

/// Creates an idea in a contest, as a draft or submitted at once. With an idempotency key, a repeated request (a
/// double click, a retry after a lost answer) finds the idea the first one made and creates nothing.
///
/// Takes the pool rather than a connection: the checks read with a pooled connection, which goes back to the pool
/// before the transaction waits its turn on the committer.
pub fn create(
    pool: &Pool,
    writer: &Committer,
    who: &Principal,
    contest_slug: &str,
    fields: &IdeaFields,
    intent: Intent,
    key: Option<&str>,
) -> Result<Creation, AppError> {
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > MAX_KEY_LEN) {
        return Err(AppError::Invalid(vec![
            FieldError::new("idempotency_key", "too_long").with("max", MAX_KEY_LEN),
        ]));
    }
    let mut pooled = pool.get()?;
    let conn = &mut *pooled;
    if let Some(k) = key
        && let Some(existing) = store::idea_for_key(conn, &who.user_id, k)?
    {
        return Ok(Creation::Existing(existing));
    }
    let contest = catalog::contest_by_slug(conn, contest_slug.trim())?
        .ok_or_else(|| AppError::Invalid(vec![FieldError::new("contest", "unknown_contest")]))?;
    let fields = check_fields(fields, intent)?;
    let category = category_in(conn, &contest, &fields.category)?;
    check_contest(conn, who, &contest)?;
    let unit_id = who
        .unit_id
        .clone()
        .ok_or(AppError::Rule("outside_contest_unit"))?;
    // The transaction runs on the committer (batched with other submissions on SQLite), so it owns what it uses.
    let owned_key = key.map(str::to_string);
    let who_owned = who.clone();
    drop(pooled);
    let result = writer.write(pool, move |conn| {
        let who = &who_owned;
        let key = owned_key.as_deref();
        if intent == Intent::Submit {
            check_limit(conn, who, &contest)?;
        }
        let now = now();
        let mut idea = Idea {
            id: new_id(),
            contest_id: contest.id.clone(),
            category_id: category.id.clone(),
            unit_id: unit_id.clone(),
            author_id: who.user_id.clone(),
            title: String::new(),
            summary: String::new(),
            situation: String::new(),
            solution: String::new(),
            impact: String::new(),
            resources: String::new(),
            applies_where: String::new(),
            status: IdeaStatus::Draft.code().into(),
            is_public: false,
            version: 1,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            listed_at: None,
            contact_id: None,
        };
        apply(&mut idea, &fields, &category);
        // Submitted at once: the row is written in its final state, so the list indexes are written once.
        if intent == Intent::Submit {
            set_submitted(&mut idea, &contest, now);
        }
        store::insert_idea(conn, &idea)?;
        // The search index changes in the same transaction as the text it indexes.
        crate::db::search::reindex(conn, &idea.id)?;
        if let Some(k) = key {
            match store::insert_key(conn, &who.user_id, k, &idea.id, now) {
                Ok(()) => {}
                // A concurrent request with the same key won: this transaction is rolled back, and the caller
                // answers with the winner's idea below.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {
                    return Err(AppError::Rule("idempotency_race"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let created = Event {
            id: new_id(),
            idea_id: Some(idea.id.clone()),
            contest_id: Some(contest.id.clone()),
            actor_id: Some(who.user_id.clone()),
            kind: "created".into(),
            from_status: None,
            to_status: Some(IdeaStatus::Draft.code().into()),
            reason: None,
            created_at: now,
        };
        insert_event(conn, &created)?;
        let mut versions = Vec::new();
        let mut events = vec![created];
        if intent == Intent::Submit {
            let (version, event) = record_submitted(conn, &idea, who, now)?;
            versions.push(version);
            events.push(event);
        }
        Ok(Box::new(OwnIdea {
            idea,
            contest,
            category: Some(category),
            versions,
            events,
            is_author: true,
            // A new idea has no co-authors and no attachments yet.
            coauthors: Vec::new(),
            attachments: Vec::new(),
        }))
    });
    match (result, key) {
        (Ok(own), _) => Ok(Creation::New(own)),
        (Err(AppError::Rule("idempotency_race")), Some(k)) => {
            store::idea_for_key(&mut *pool.get()?, &who.user_id, k)?
                .map(Creation::Existing)
                .ok_or(AppError::Internal("idempotency key vanished".into()))
        }
        (Err(e), _) => Err(e),
    }
}

/// The author's idea with its contest, for changes; someone else's idea is "not found" (no hint that it exists).
fn own(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<(Idea, Contest), AppError> {
    let idea = store::idea_by_id(conn, idea_id)?.ok_or(AppError::NotFound("idea"))?;
    if !idea.is_written_by(&who.user_id) {
        return Err(AppError::NotFound("idea"));
    }
    let contest =
        catalog::contests_by_id(conn, &idea.contest_id)?.ok_or(AppError::NotFound("contest"))?;
    Ok((idea, contest))
}

/// Edits an idea; a submitted idea keeps the previous text as a version. With [`Intent::Submit`], a draft is also
/// submitted.
pub fn update(
    conn: &mut DbConn,
    who: &Principal,
    idea_id: &str,
    fields: &IdeaFields,
    intent: Intent,
) -> Result<Idea, AppError> {
    let (idea, contest) = own(conn, who, idea_id)?;
    let status = status_of(&idea)?;
    let submit = intent == Intent::Submit && status == IdeaStatus::Draft;
    // An already submitted idea must stay complete.
    let needs_complete = if submit || status != IdeaStatus::Draft {
        Intent::Submit
    } else {
        Intent::Draft
    };
    let fields = check_fields(fields, needs_complete)?;
    let category = category_in(conn, &contest, &fields.category)?;
    if !author_may_edit(status, contest.is_open_at(now())) {
        return Err(AppError::Rule(if contest.is_open_at(now()) {
            "not_editable"
        } else {
            "contest_closed"
        }));
    }
    if submit {
        check_contest(conn, who, &contest)?;
    }
    write_tx(conn, |conn| {
        let mut idea = store::idea_by_id(conn, idea_id)?.ok_or(AppError::NotFound("idea"))?;
        apply(&mut idea, &fields, &category);
        idea.updated_at = now();
        if submit {
            check_limit(conn, who, &contest)?;
            mark_submitted(conn, &mut idea, &contest, who)?;
        } else if status != IdeaStatus::Draft {
            idea.version += 1;
            store::insert_version(conn, &IdeaVersion::of(&idea, &who.user_id, idea.updated_at))?;
            insert_event(
                conn,
                &Event {
                    kind: "edited".into(),
                    reason: Some(format!("version {}", idea.version)),
                    ..transition(&idea, &who.user_id, status, status)
                },
            )?;
        }
        store::save_idea(conn, &idea)?;
        crate::db::search::reindex(conn, &idea.id)?;
        Ok(idea)
    })
}

/// Submits a draft as it is.
pub fn submit(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<Idea, AppError> {
    let (idea, contest) = own(conn, who, idea_id)?;
    let status = status_of(&idea)?;
    if !author_may_submit(status, true) {
        return Err(AppError::Rule("already_submitted"));
    }
    if !contest.is_open_at(now()) {
        return Err(AppError::Rule("contest_closed"));
    }
    let fields = IdeaFields {
        category: catalog::category_by_id(conn, &idea.category_id)?
            .map(|c| c.slug)
            .unwrap_or_default(),
        title: idea.title.clone(),
        summary: idea.summary.clone(),
        situation: idea.situation.clone(),
        solution: idea.solution.clone(),
        impact: idea.impact.clone(),
        resources: idea.resources.clone(),
        applies_where: idea.applies_where.clone(),
    };
    update(conn, who, idea_id, &fields, Intent::Submit)
}

/// Withdraws a submitted idea before its review starts.
pub fn withdraw(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<Idea, AppError> {
    let (_, contest) = own(conn, who, idea_id)?;
    write_tx(conn, |conn| {
        let mut idea = store::idea_by_id(conn, idea_id)?.ok_or(AppError::NotFound("idea"))?;
        if !author_may_withdraw(status_of(&idea)?) {
            return Err(AppError::Rule("not_withdrawable"));
        }
        crate::app::lifecycle::move_idea(
            conn,
            &mut idea,
            &contest,
            IdeaStatus::Withdrawn,
            crate::domain::lifecycle::Mover::Author,
            Some(&who.user_id),
            None,
        )?;
        Ok(idea)
    })
}

/// An idea as its author (or a co-author) sees it.
pub struct OwnIdea {
    /// The idea.
    pub idea: Idea,
    /// Its contest.
    pub contest: Contest,
    /// Its category.
    pub category: Option<Category>,
    /// Submitted versions, newest first.
    pub versions: Vec<IdeaVersion>,
    /// What happened, oldest first.
    pub events: Vec<Event>,
    /// Whether the reader is the author (co-authors only read).
    pub is_author: bool,
    /// Co-authors as (account id, name).
    pub coauthors: Vec<(String, String)>,
    /// Attached files, oldest first.
    pub attachments: Vec<crate::db::attachments::Attachment>,
}

/// The idea for its author or a co-author; for anyone else, "not found".
pub fn view_own(conn: &mut DbConn, who: &Principal, idea_id: &str) -> Result<OwnIdea, AppError> {
    let idea = store::idea_by_id(conn, idea_id)?.ok_or(AppError::NotFound("idea"))?;
    let is_author = idea.is_written_by(&who.user_id);
    if !is_author && !store::is_coauthor(conn, idea_id, &who.user_id)? {
        return Err(AppError::NotFound("idea"));
    }
    let contest =
        catalog::contests_by_id(conn, &idea.contest_id)?.ok_or(AppError::NotFound("contest"))?;
    let category = catalog::category_by_id(conn, &idea.category_id)?;
    let versions = store::versions_of(conn, idea_id)?;
    let mut events = crate::db::events::for_idea(conn, idea_id)?;
    events.retain(|e| crate::access::author_sees_event(&e.kind));
    let coauthors = store::coauthors_of(conn, idea_id)?;
    let attachments = crate::db::attachments::of_idea(conn, idea_id)?;
    Ok(OwnIdea {
        coauthors,
        attachments,
        idea,
        contest,
        category,
        versions,
        events,
        is_author,
    })
}

/// The most co-authors an idea may have (a team of five).
pub const MAX_COAUTHORS: usize = 4;

fn coauthor_event(idea: &Idea, actor: &str, kind: &str, name: &str) -> Event {
    Event {
        id: new_id(),
        idea_id: Some(idea.id.clone()),
        contest_id: Some(idea.contest_id.clone()),
        actor_id: Some(actor.into()),
        kind: kind.into(),
        from_status: None,
        to_status: None,
        reason: Some(name.into()),
        created_at: now(),
    }
}

/// Adds a co-author by the email of their account; they then see the idea in their list.
pub fn add_coauthor(
    conn: &mut DbConn,
    who: &Principal,
    idea_id: &str,
    email: &str,
) -> Result<(), AppError> {
    let (idea, contest) = own(conn, who, idea_id)?;
    if !author_may_edit(status_of(&idea)?, contest.is_open_at(now())) {
        return Err(AppError::Rule("not_editable"));
    }
    let email = crate::domain::account::normalize_email(email);
    if !crate::domain::account::is_valid_email(&email) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "email",
            if email.is_empty() {
                "required"
            } else {
                "email"
            },
        )]));
    }
    let user = crate::db::accounts::user_by_email(conn, &email)?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(|| AppError::Invalid(vec![FieldError::new("email", "no_account")]))?;
    if user.id == idea.author_id {
        return Err(AppError::Invalid(vec![FieldError::new(
            "email",
            "is_author",
        )]));
    }
    write_tx(conn, |conn| {
        let current = store::coauthors_of(conn, &idea.id)?;
        if current.iter().any(|(id, _)| *id == user.id) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "email",
                "already_coauthor",
            )]));
        }
        if current.len() >= MAX_COAUTHORS {
            return Err(AppError::Rule("too_many_coauthors"));
        }
        store::insert_coauthor(conn, &idea.id, &user.id, now())?;
        insert_event(
            conn,
            &coauthor_event(&idea, &who.user_id, "coauthor.added", &user.display_name),
        )
    })
}

/// Removes a co-author (the author, while the idea is editable).
pub fn remove_coauthor(
    conn: &mut DbConn,
    who: &Principal,
    idea_id: &str,
    user_id: &str,
) -> Result<(), AppError> {
    let (idea, contest) = own(conn, who, idea_id)?;
    if !author_may_edit(status_of(&idea)?, contest.is_open_at(now())) {
        return Err(AppError::Rule("not_editable"));
    }
    write_tx(conn, |conn| {
        let name = store::coauthors_of(conn, &idea.id)?
            .into_iter()
            .find(|(id, _)| id == user_id)
            .map(|(_, n)| n)
            .ok_or(AppError::NotFound("coauthor"))?;
        store::delete_coauthor(conn, &idea.id, user_id)?;
        insert_event(
            conn,
            &coauthor_event(&idea, &who.user_id, "coauthor.removed", &name),
        )
    })
}
