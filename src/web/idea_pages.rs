//! Pages for writing ideas: the form (new and edit) with its similar-ideas check, "my ideas", and the author's view
//! with its timeline and versions.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::SignedIn;
use super::error::AppError;
use super::forms::{Form, field};
use super::i18n::Lang;
use super::pages::{Ctx, ctx_of, private_page, render, see_other};
use super::view::{self, Choice, date_time, href};
use super::{AppState, State};
use crate::access::Principal;
use crate::app::ideas::{self, Intent, OwnIdea};
use crate::app::similar::{self, SimilarIdea, SimilarQuery};
use crate::db::{catalog, submissions};
use crate::domain::idea::{IdeaFields, author_may_edit, author_may_submit, author_may_withdraw};
use crate::domain::listing::{ParamError, parse_idea_id};
use crate::domain::status::IdeaStatus;

fn idea_id(raw: &str) -> Result<String, AppError> {
    parse_idea_id(raw).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))
}

/// A multi-line field of the form.
struct Area {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    rows: u32,
}

fn areas(lang: Lang) -> Vec<Area> {
    [
        ("summary", 3),
        ("situation", 6),
        ("solution", 8),
        ("impact", 4),
        ("resources", 3),
        ("applies_where", 2),
    ]
    .into_iter()
    .map(|(name, rows)| Area {
        name,
        label: lang.t(&format!("idea_form.{name}")),
        hint: lang.t(&format!("idea_form.{name}_hint")),
        rows,
    })
    .collect()
}

/// The small script that shows similar ideas while the author types, inlined like the stylesheet: one small file,
/// no extra request; the form works the same without it.
static SIMILAR_JS: &str = include_str!("../../frontend/static/similar.js");

/// A similar idea listed under the form.
struct SimilarRow {
    href: String,
    title: String,
    contest: String,
    score: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "idea_form.html")]
struct IdeaFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    contest_title: String,
    contest_href: String,
    closes: String,
    categories: Vec<Choice>,
    areas: Vec<Area>,
    form: Form,
    idempotency_key: String,
    can_draft: bool,
    submit_label: &'static str,
    /// The idea being edited, never listed as similar to itself ("" for a new idea).
    exclude: String,
    /// The result of "check for similar ideas", when it was asked for.
    similar: Option<Vec<SimilarRow>>,
    script: &'static str,
}

/// What the form needs besides the values: the contest and where it posts.
struct FormTarget {
    contest_slug: String,
    action: String,
    heading_key: &'static str,
    can_draft: bool,
    idempotency_key: String,
    /// The idea being edited.
    exclude: Option<String>,
    /// Similar ideas to list under the summary.
    similar: Option<Vec<SimilarIdea>>,
}

impl FormTarget {
    /// The form for a new idea in the contest `slug`, posted with the form key `key`.
    fn new_idea(slug: String, idempotency_key: String) -> FormTarget {
        FormTarget {
            action: href("/ideas/new", &[("contest", slug.clone())]),
            contest_slug: slug,
            heading_key: "idea_form.new_title",
            can_draft: true,
            idempotency_key,
            exclude: None,
            similar: None,
        }
    }

    /// The form that edits the author's idea `own`.
    fn edit(own: &OwnIdea) -> FormTarget {
        FormTarget {
            contest_slug: own.contest.slug.clone(),
            action: format!("/me/ideas/{}/edit", own.idea.id),
            heading_key: "idea_form.edit_title",
            can_draft: own.idea.status == IdeaStatus::Draft.code(),
            idempotency_key: String::new(),
            exclude: Some(own.idea.id.clone()),
            similar: None,
        }
    }
}

async fn render_form(
    req: &HttpRequest,
    state: &AppState,
    target: FormTarget,
    form: Form,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let slug = target.contest_slug.clone();
    let (contest, categories) = state
        .with_conn(move |conn| {
            let contest =
                catalog::contest_by_slug(conn, &slug)?.ok_or(AppError::NotFound("contest"))?;
            let categories = catalog::contest_categories_of(conn, &contest.id)?;
            Ok((contest, categories))
        })
        .await?;
    let body = render(&IdeaFormPage {
        heading: lang.t(target.heading_key).into(),
        action: target.action,
        contest_href: format!("/contests/{}", contest.slug),
        closes: date_time(lang, contest.closes_at),
        contest_title: contest.title,
        categories: categories
            .iter()
            .map(|c| Choice {
                value: c.slug.clone(),
                label: c.name(lang.code()).into(),
                selected: false,
            })
            .collect(),
        areas: areas(lang),
        form,
        idempotency_key: target.idempotency_key,
        can_draft: target.can_draft,
        submit_label: lang.t(if target.can_draft {
            "idea_form.submit"
        } else {
            "idea_form.save"
        }),
        exclude: target.exclude.unwrap_or_default(),
        similar: target.similar.map(|list| {
            list.into_iter()
                .map(|s| SimilarRow {
                    href: format!("/ideas/{}", s.id),
                    score: lang.tf(
                        "similar.score",
                        &[("percent", &((s.score * 100.0).round() as i64).to_string())],
                    ),
                    title: s.title,
                    contest: s.contest_title,
                    summary: s.summary,
                })
                .collect()
        }),
        script: SIMILAR_JS,
        ctx,
    })?;
    Ok(private_page(status, body))
}

fn fields_from(body: &HashMap<String, String>) -> IdeaFields {
    IdeaFields {
        category: field(body, "category"),
        title: field(body, "title"),
        summary: field(body, "summary"),
        situation: field(body, "situation"),
        solution: field(body, "solution"),
        impact: field(body, "impact"),
        resources: field(body, "resources"),
        applies_where: field(body, "applies_where"),
    }
}

/// Whether the author pressed "check for similar ideas" (nothing is saved then).
fn wants_similar(body: &HashMap<String, String>) -> bool {
    body.get("intent").map(String::as_str) == Some("similar")
}

/// The form again with everything typed kept and the ideas most like its title and summary listed (from every
/// contest: an idea applied last year is worth knowing about too); a problem with the text is shown at its field.
async fn show_similar(
    req: &HttpRequest,
    state: &AppState,
    mut target: FormTarget,
    body: &HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(req, state);
    let form = Form::new(ctx.lang, ctx.csrf.clone()).keep(body, &[]);
    let query = SimilarQuery {
        title: field(body, "title"),
        summary: field(body, "summary"),
        contest: None,
        exclude: target.exclude.clone(),
        limit: similar::DEFAULT_LIMIT,
    };
    match state
        .with_conn(move |conn| similar::find(conn, &query))
        .await
    {
        Ok(found) => {
            target.similar = Some(found);
            render_form(req, state, target, form, StatusCode::OK).await
        }
        Err(e) => {
            let (form, status) = with_problems(form, e)?;
            render_form(req, state, target, form, status).await
        }
    }
}

fn intent_of(body: &HashMap<String, String>) -> Intent {
    if body.get("intent").map(String::as_str) == Some("draft") {
        Intent::Draft
    } else {
        Intent::Submit
    }
}

/// A form sent back with its problems: field errors next to the fields, a rule's refusal at the top.
fn with_problems(form: Form, err: AppError) -> Result<(Form, StatusCode), AppError> {
    let lang = form.lang;
    match err {
        AppError::Invalid(problems) | AppError::Unprocessable(problems) => {
            Ok((Form { problems, ..form }, StatusCode::BAD_REQUEST))
        }
        AppError::Rule(code) => {
            let d = AppError::Rule(code).describe(lang);
            Ok((
                Form {
                    alert: Some(d.message),
                    ..form
                },
                d.status,
            ))
        }
        other => Err(other),
    }
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    contest: Option<String>,
}

/// `GET /ideas/new?contest=…`: the empty form (the contest defaults to the open one closing soonest).
pub async fn new_form(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let _ = who;
    let requested = q.contest.clone().filter(|c| !c.trim().is_empty());
    let slug = match requested {
        Some(s) => s,
        None => state
            .with_conn(|conn| {
                Ok(catalog::open_contests(conn, crate::db::now())?
                    .into_iter()
                    .next())
            })
            .await?
            .map(|c| c.slug)
            .ok_or(AppError::Rule("no_open_contest"))?,
    };
    let ctx = ctx_of(&req, &state);
    let form = Form::new(ctx.lang, ctx.csrf.clone());
    let target = FormTarget::new_idea(slug, uuid::Uuid::new_v4().to_string());
    render_form(&req, &state, target, form, StatusCode::OK).await
}

/// `POST /ideas/new?contest=…`: save as a draft or submit; a repeated post with the same form key makes one idea.
pub async fn new_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    q: web::Query<NewQuery>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let slug = q.contest.clone().unwrap_or_default();
    let key = field(&body, "idempotency_key");
    if wants_similar(&body) {
        let target = FormTarget::new_idea(slug, key);
        return show_similar(&req, &state, target, &body).await;
    }
    let fields = fields_from(&body);
    let intent = intent_of(&body);
    let principal = who.0.clone();
    let (slug2, key2) = (slug.clone(), key.clone());
    let result = state
        .with_writer(move |pool, writer| {
            ideas::create(
                pool,
                writer,
                &principal,
                &slug2,
                &fields,
                intent,
                Some(&key2),
            )
        })
        .await;
    match result {
        Ok(creation) => {
            if matches!(creation, ideas::Creation::New(_)) {
                state.cache.bump();
            }
            let id = creation.id();
            let notice = if intent == Intent::Submit {
                "idea_submitted"
            } else {
                "draft_saved"
            };
            Ok(see_other(&href(
                &format!("/me/ideas/{id}"),
                &[("notice", notice.into())],
            )))
        }
        Err(AppError::Invalid(p)) if p.iter().any(|e| e.field == "contest") => {
            Err(AppError::NotFound("contest"))
        }
        Err(e) => {
            let ctx = ctx_of(&req, &state);
            let (form, status) =
                with_problems(Form::new(ctx.lang, ctx.csrf.clone()).keep(&body, &[]), e)?;
            let target = FormTarget::new_idea(slug, key);
            render_form(&req, &state, target, form, status).await
        }
    }
}

/// `GET /me/ideas/{id}/edit`.
pub async fn edit_form(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let principal = who.0.clone();
    let own = state
        .with_conn(move |conn| ideas::view_own(conn, &principal, &id))
        .await?;
    if !own.is_author {
        return Err(AppError::NotFound("idea"));
    }
    let ctx = ctx_of(&req, &state);
    let mut form = Form::new(ctx.lang, ctx.csrf.clone());
    let i = &own.idea;
    for (k, v) in [
        (
            "category",
            own.category
                .as_ref()
                .map(|c| c.slug.clone())
                .unwrap_or_default(),
        ),
        ("title", i.title.clone()),
        ("summary", i.summary.clone()),
        ("situation", i.situation.clone()),
        ("solution", i.solution.clone()),
        ("impact", i.impact.clone()),
        ("resources", i.resources.clone()),
        ("applies_where", i.applies_where.clone()),
    ] {
        form.values.insert(k.into(), v);
    }
    let target = FormTarget::edit(&own);
    render_form(&req, &state, target, form, StatusCode::OK).await
}

/// `POST /me/ideas/{id}/edit`.
pub async fn edit_submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    if wants_similar(&body) {
        let (principal, id2) = (who.0.clone(), id.clone());
        let own = state
            .with_conn(move |conn| ideas::view_own(conn, &principal, &id2))
            .await?;
        if !own.is_author {
            return Err(AppError::NotFound("idea"));
        }
        let target = FormTarget::edit(&own);
        return show_similar(&req, &state, target, &body).await;
    }
    let fields = fields_from(&body);
    let intent = intent_of(&body);
    let principal = who.0.clone();
    let id2 = id.clone();
    match state
        .with_conn(move |conn| ideas::update(conn, &principal, &id2, &fields, intent))
        .await
    {
        Ok(idea) => {
            state.cache.bump();
            let notice = if idea.status == IdeaStatus::Draft.code() {
                "draft_saved"
            } else if intent == Intent::Submit && idea.version == 1 {
                "idea_submitted"
            } else {
                "idea_saved"
            };
            Ok(see_other(&href(
                &format!("/me/ideas/{id}"),
                &[("notice", notice.into())],
            )))
        }
        Err(e) => {
            let principal = who.0.clone();
            let id3 = id.clone();
            let own = state
                .with_conn(move |conn| ideas::view_own(conn, &principal, &id3))
                .await?;
            let ctx = ctx_of(&req, &state);
            let (form, status) =
                with_problems(Form::new(ctx.lang, ctx.csrf.clone()).keep(&body, &[]), e)?;
            let target = FormTarget::edit(&own);
            render_form(&req, &state, target, form, status).await
        }
    }
}

/// `POST /me/ideas/{id}/submit`.
pub async fn submit(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let id2 = id.clone();
    match state
        .with_conn(move |conn| ideas::submit(conn, &who.0, &id2))
        .await
    {
        Ok(_) => {
            state.cache.bump();
            Ok(see_other(&href(
                &format!("/me/ideas/{id}"),
                &[("notice", "idea_submitted".into())],
            )))
        }
        // An incomplete draft goes back to its form, where each missing field is marked.
        Err(AppError::Invalid(_)) => Ok(see_other(&format!("/me/ideas/{id}/edit"))),
        Err(e) => Err(e),
    }
}

/// `POST /me/ideas/{id}/withdraw`.
pub async fn withdraw(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let id2 = id.clone();
    state
        .with_conn(move |conn| ideas::withdraw(conn, &who.0, &id2))
        .await?;
    state.cache.bump();
    Ok(see_other(&href(
        &format!("/me/ideas/{id}"),
        &[("notice", "idea_withdrawn".into())],
    )))
}

struct MyRow {
    href: String,
    title: String,
    status: String,
    status_label: String,
    contest: String,
    category: String,
    updated: String,
    coauthor: bool,
}

#[derive(Template)]
#[template(path = "my_ideas.html")]
struct MyIdeasPage {
    ctx: Ctx,
    rows: Vec<MyRow>,
    open_contests: Vec<Choice>,
}

/// `GET /me/ideas`: the person's drafts and submitted ideas, and those they co-author.
pub async fn my_ideas(
    req: HttpRequest,
    state: State,
    who: SignedIn,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let user = who.0.user_id.clone();
    let (rows, open) = state
        .with_conn(move |conn| {
            Ok((
                submissions::my_ideas(conn, &user)?,
                catalog::open_contests(conn, crate::db::now())?,
            ))
        })
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| MyRow {
            href: format!("/me/ideas/{}", r.id),
            status_label: view::status_label(lang, &r.status),
            coauthor: r.author_id != who.0.user_id,
            title: if r.title.is_empty() {
                lang.t("my_ideas.untitled").into()
            } else {
                r.title
            },
            status: r.status,
            contest: r.contest_title,
            category: if lang == Lang::En {
                r.category_en
            } else {
                r.category_vi
            },
            updated: date_time(lang, r.updated_at),
        })
        .collect();
    let open_contests = open
        .into_iter()
        .map(|c| Choice {
            value: href("/ideas/new", &[("contest", c.slug.clone())]),
            label: lang.tf("my_ideas.new_in", &[("contest", &c.title)]),
            selected: false,
        })
        .collect();
    Ok(private_page(
        StatusCode::OK,
        render(&MyIdeasPage {
            ctx,
            rows,
            open_contests,
        })?,
    ))
}

struct TimelineRow {
    when: String,
    datetime: String,
    what: String,
    reason: Option<String>,
}

struct CoauthorRow {
    name: String,
    remove_href: String,
}

struct VersionRow {
    label: String,
    title: String,
    summary: String,
    situation: String,
    solution: String,
    impact: String,
}

#[derive(Template)]
#[template(path = "my_idea.html")]
struct MyIdeaPage {
    ctx: Ctx,
    notice: Option<String>,
    title: String,
    status: String,
    status_label: String,
    category: String,
    contest_title: String,
    public_href: Option<String>,
    certificate_href: Option<String>,
    summary: String,
    situation: String,
    solution: String,
    impact: String,
    resources: String,
    applies_where: String,
    can_edit: bool,
    can_submit: bool,
    can_withdraw: bool,
    edit_href: String,
    submit_href: String,
    withdraw_href: String,
    csrf: String,
    timeline: Vec<TimelineRow>,
    versions: Vec<VersionRow>,
    author_name: String,
    coauthors: Vec<CoauthorRow>,
    coauthor_href: String,
    coauthor_email: String,
    problem: Option<String>,
    attachments: super::attachments::AttachmentBox,
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    /// A refused co-author change, as a code (`validation.<code>` or `rule.<code>`).
    problem: Option<String>,
    /// The email that was refused, shown again in the field.
    email: Option<String>,
}

fn problem_text(lang: Lang, code: &str) -> Option<String> {
    ["validation", "rule"]
        .iter()
        .map(|p| format!("{p}.{code}"))
        .find(|k| lang.has(k))
        .map(|k| lang.t(&k).to_string())
}

/// What an event says, in `lang` (the idea timeline and the audit log).
pub(crate) fn event_label(lang: Lang, kind: &str, to: Option<&str>) -> String {
    match (kind, to) {
        ("transition", Some(to)) => {
            lang.tf("timeline.to", &[("status", &view::status_label(lang, to))])
        }
        // Every other kind by its translation (`panel.joined` as `timeline.panel_joined`); a kind with none is
        // shown as stored rather than hidden, so the audit log never loses an event.
        (other, _) => {
            let key = format!("timeline.{}", other.replace('.', "_"));
            if lang.has(&key) {
                lang.t(&key).into()
            } else {
                other.into()
            }
        }
    }
}

/// `GET /me/ideas/{id}`: the author's (or a co-author's) view, with what happened and every submitted version.
pub async fn my_idea(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let principal: Principal = who.0.clone();
    let (own, author_name) = state
        .with_conn(move |conn| {
            let own = ideas::view_own(conn, &principal, &id)?;
            let author =
                crate::db::accounts::user_by_id(conn, &own.idea.author_id)?.map(|u| u.display_name);
            Ok((own, author.unwrap_or_default()))
        })
        .await?;
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let status = IdeaStatus::parse(&own.idea.status).unwrap_or(IdeaStatus::Draft);
    let open = own.contest.is_open_at(crate::db::now());
    let i = own.idea;
    let page_body = MyIdeaPage {
        notice: lang.notice(q.notice.as_deref()),
        status_label: view::status_label(lang, &i.status),
        status: i.status.clone(),
        category: own
            .category
            .as_ref()
            .map(|c| c.name(lang.code()).to_string())
            .unwrap_or_default(),
        contest_title: own.contest.title.clone(),
        public_href: i.is_public.then(|| format!("/ideas/{}", i.id)),
        certificate_href: IdeaStatus::parse(&i.status)
            .is_some_and(IdeaStatus::counts_as_selected)
            .then(|| format!("/me/ideas/{}/certificate", i.id)),
        can_edit: own.is_author && author_may_edit(status, open),
        can_submit: own.is_author && author_may_submit(status, open),
        can_withdraw: own.is_author && author_may_withdraw(status),
        edit_href: format!("/me/ideas/{}/edit", i.id),
        submit_href: format!("/me/ideas/{}/submit", i.id),
        withdraw_href: format!("/me/ideas/{}/withdraw", i.id),
        attachments: super::attachments::author_box(
            &req,
            &state,
            lang,
            &i.id,
            &own.attachments,
            own.is_author && author_may_edit(status, open),
            &ctx.csrf,
        ),
        csrf: ctx.csrf.clone(),
        timeline: own
            .events
            .iter()
            .map(|e| TimelineRow {
                when: date_time(lang, e.created_at),
                datetime: view::rfc3339(e.created_at),
                what: event_label(lang, &e.kind, e.to_status.as_deref()),
                reason: e.reason.clone().filter(|_| e.kind != "edited"),
            })
            .collect(),
        versions: own
            .versions
            .iter()
            .map(|v| VersionRow {
                label: lang.tf(
                    "my_idea.version",
                    &[
                        ("n", &v.version.to_string()),
                        ("when", &date_time(lang, v.created_at)),
                    ],
                ),
                title: v.title.clone(),
                summary: v.summary.clone(),
                situation: v.situation.clone(),
                solution: v.solution.clone(),
                impact: v.impact.clone(),
            })
            .collect(),
        author_name: if own.is_author {
            who.0.display_name.clone()
        } else {
            author_name
        },
        coauthors: own
            .coauthors
            .iter()
            .map(|(uid, name)| CoauthorRow {
                name: name.clone(),
                remove_href: format!("/me/ideas/{}/coauthors/{uid}/remove", i.id),
            })
            .collect(),
        coauthor_href: format!("/me/ideas/{}/coauthors", i.id),
        coauthor_email: q.email.clone().unwrap_or_default(),
        problem: q.problem.as_deref().and_then(|c| problem_text(lang, c)),
        title: if i.title.is_empty() {
            lang.t("my_ideas.untitled").into()
        } else {
            i.title
        },
        summary: i.summary,
        situation: i.situation,
        solution: i.solution,
        impact: i.impact,
        resources: i.resources,
        applies_where: i.applies_where,
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page_body)?))
}

/// `POST /me/ideas/{id}/coauthors`: add a co-author by the email of their account.
pub async fn add_coauthor(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let email = field(&body, "email");
    let (id2, email2) = (id.clone(), email.clone());
    match state
        .with_conn(move |conn| ideas::add_coauthor(conn, &who.0, &id2, &email2))
        .await
    {
        Ok(()) => Ok(see_other(&href(
            &format!("/me/ideas/{id}"),
            &[("notice", "coauthor_added".into())],
        ))),
        Err(AppError::Invalid(problems) | AppError::Unprocessable(problems)) => {
            let code = problems
                .first()
                .map(|p| p.code.clone())
                .unwrap_or_else(|| "invalid".into());
            Ok(see_other(&href(
                &format!("/me/ideas/{id}"),
                &[("problem", code), ("email", email)],
            )))
        }
        Err(AppError::Rule(code)) => Ok(see_other(&href(
            &format!("/me/ideas/{id}"),
            &[("problem", code.into()), ("email", email)],
        ))),
        Err(e) => Err(e),
    }
}

/// `POST /me/ideas/{id}/coauthors/{user}/remove`.
pub async fn remove_coauthor(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw, user) = path.into_inner();
    let id = idea_id(&raw)?;
    let id2 = id.clone();
    state
        .with_conn(move |conn| ideas::remove_coauthor(conn, &who.0, &id2, &user))
        .await?;
    Ok(see_other(&href(
        &format!("/me/ideas/{id}"),
        &[("notice", "coauthor_removed".into())],
    )))
}
