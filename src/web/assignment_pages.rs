//! Organizer pages of assignment (DESIGN.md "Review"): who reviews which idea (the waiting proposal and the
//! confirmed assignments), each reviewer's load, the ideas still short of reviews and why, and the forms that
//! propose, edit and confirm; and the contest's conflicts of interest, read only.
//!
//! The work is done by `app::assignment` and `app::conflicts`; these pages show it, and turn every refusal into a
//! sentence on the page rather than an error page, so the organizer sees what they asked for and why it was refused.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::State;
use super::auth::SignedIn;
use super::error::AppError;
use super::forms::{first, form_pairs};
use super::i18n::Lang;
use super::pages::{Ctx, ctx_of, private_page, render, see_other};
use super::panel_pages::{ConflictLine, NoticeQuery, conflict_line};
use super::view::{Choice, href};
use crate::app::assignment::{self, Preview};
use crate::app::conflicts;

// ---------------------------------------------------------------------------------------------------------------
// The assignment page

/// A reviewer on an idea, with the button that takes them off it.
struct Slot {
    reviewer: String,
    /// The assignment's state in words (proposed, assigned, accepted).
    state: &'static str,
    remove_action: String,
}

/// An idea and its reviewers, confirmed ones first.
struct IdeaGroup {
    title: String,
    slots: Vec<Slot>,
}

/// A reviewer's load against their cap.
struct LoadRow {
    name: String,
    load: u32,
    cap: u32,
    full: bool,
}

/// An idea still short of reviews, and why in words.
struct ShortRow {
    title: String,
    missing: u32,
    reason: &'static str,
}

#[derive(Template)]
#[template(path = "assignments.html")]
struct AssignPage {
    ctx: Ctx,
    heading: String,
    action: String,
    panel_href: String,
    conflicts_href: String,
    rubric_href: String,
    notice: Option<String>,
    alert: Option<String>,
    /// Whether the contest has a rubric (it says how many reviews an idea needs; nothing is assigned before).
    ready: bool,
    /// "n assignments wait for confirmation", when a proposal waits.
    waiting: Option<String>,
    groups: Vec<IdeaGroup>,
    loads: Vec<LoadRow>,
    short: Vec<ShortRow>,
    ideas: Vec<Choice>,
    reviewers: Vec<Choice>,
    idea_errors: Vec<String>,
    reviewer_errors: Vec<String>,
    csrf: String,
}

/// A refused form's problem: the sentence, the field it concerns (`None`: the whole page), the answer's status.
struct Refusal {
    field: Option<&'static str>,
    message: String,
    status: StatusCode,
}

/// What the page shows besides the contest's state: a notice after a form, or a refused form as it was typed.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    idea: String,
    reviewer: String,
    refusal: Option<Refusal>,
}

/// The refusal to show on the page for an error of the assignment forms; `None` for errors that are no refusal of
/// the form (not allowed, no such contest, a failure), which go to the error page as everywhere else.
fn refusal(lang: Lang, e: &AppError) -> Option<Refusal> {
    let field = match e {
        AppError::Rule(
            "conflict_of_interest" | "already_assigned" | "cap_reached" | "not_on_panel",
        ) => Some("reviewer_id"),
        AppError::Rule("not_assignable") | AppError::NotFound("idea") => Some("idea_id"),
        AppError::Rule(_) | AppError::NotFound("assignment") => None,
        _ => return None,
    };
    let described = e.describe(lang);
    // The generic "not found" of an idea speaks of public ideas; here the idea simply left the contest's list.
    let message = match e {
        AppError::NotFound("idea") => lang.t("assign.idea_gone").to_string(),
        _ => described.message,
    };
    Some(Refusal {
        field,
        message,
        status: described.status,
    })
}

/// The proposal and the live assignments grouped by idea, ideas by title; within an idea the confirmed reviewers
/// come first, then the proposed ones, each by name.
fn groups(lang: Lang, base: &str, p: &Preview) -> Vec<IdeaGroup> {
    let mut by_idea: BTreeMap<(&str, &str), Vec<Slot>> = BTreeMap::new();
    for r in p.live.iter().chain(&p.proposed) {
        by_idea
            .entry((r.idea_title.as_str(), r.idea_id.as_str()))
            .or_default()
            .push(Slot {
                reviewer: r.reviewer.clone(),
                state: lang.t(&format!("assign.state.{}", r.status)),
                remove_action: format!("{base}/{}/remove", r.id),
            });
    }
    by_idea
        .into_iter()
        .map(|((title, _), slots)| IdeaGroup {
            title: title.to_string(),
            slots,
        })
        .collect()
}

async fn render_page(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let (contest, preview) = state
        .with_conn(move |conn| assignment::overview(conn, &who.0, &slug))
        .await?;
    let ctx = ctx_of(req, state);
    let lang = ctx.lang;
    let base = format!("/organize/contests/{}/assignments", contest.slug);
    let Shown {
        notice,
        idea,
        reviewer,
        refusal,
    } = shown;
    let (status, alert, idea_errors, reviewer_errors) = match refusal {
        None => (StatusCode::OK, None, Vec::new(), Vec::new()),
        Some(r) => match r.field {
            // A field's problem is told beside it; the top only says there is one.
            Some(f) => {
                let errors = vec![r.message];
                let alert = Some(lang.t("form.fix_below").to_string());
                if f == "idea_id" {
                    (r.status, alert, errors, Vec::new())
                } else {
                    (r.status, alert, Vec::new(), errors)
                }
            }
            None => (r.status, Some(r.message), Vec::new(), Vec::new()),
        },
    };
    let mut page = AssignPage {
        heading: lang.tf("assign.heading", &[("contest", &contest.title)]),
        panel_href: format!("/organize/contests/{}/panel", contest.slug),
        conflicts_href: format!("/organize/contests/{}/conflicts", contest.slug),
        rubric_href: format!("/organize/contests/{}/rubric", contest.slug),
        notice: lang.notice(notice.as_deref()),
        alert,
        ready: preview.is_some(),
        waiting: None,
        groups: Vec::new(),
        loads: Vec::new(),
        short: Vec::new(),
        ideas: Vec::new(),
        reviewers: Vec::new(),
        idea_errors,
        reviewer_errors,
        csrf: ctx.csrf.clone(),
        action: base,
        ctx,
    };
    if let Some(mut p) = preview {
        // The panel and the ideas come in storage order; people and titles read best alphabetically.
        p.loads.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        let titles: HashMap<&str, &str> = p
            .ideas
            .iter()
            .map(|i| (i.id.as_str(), i.title.as_str()))
            .collect();
        page.waiting = (!p.proposed.is_empty()).then(|| {
            lang.tf(
                "assign.waiting",
                &[("count", &p.proposed.len().to_string())],
            )
        });
        page.groups = groups(lang, &page.action, &p);
        page.short = p
            .short
            .iter()
            .map(|s| ShortRow {
                title: titles
                    .get(s.idea_id.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                missing: s.missing,
                reason: lang.t(&format!("assign.short.{}", s.reason)),
            })
            .collect();
        page.short.sort_by(|a, b| a.title.cmp(&b.title));
        page.loads = p
            .loads
            .iter()
            .map(|(_, name, load, cap)| LoadRow {
                name: name.clone(),
                load: *load,
                cap: *cap,
                full: load >= cap,
            })
            .collect();
        page.ideas = p
            .ideas
            .iter()
            .map(|i| Choice {
                selected: i.id == idea,
                value: i.id.clone(),
                label: i.title.clone(),
            })
            .collect();
        page.reviewers = p
            .loads
            .iter()
            .map(|(id, name, load, cap)| Choice {
                selected: *id == reviewer,
                value: id.clone(),
                label: format!("{name} ({load}/{cap})"),
            })
            .collect();
    }
    Ok(private_page(status, render(&page)?))
}

/// `GET /organize/contests/{slug}/assignments`: the assignment of a contest, for the organizers of its unit.
pub async fn page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        notice: q.into_inner().notice,
        ..Shown::default()
    };
    render_page(&req, &state, who, path.into_inner(), shown).await
}

/// What a form did: the notice after the redirect, and whether ideas may have moved between eligible and in review
/// (which public pages show, and which sends the reviewers their email).
struct Done {
    notice: &'static str,
    moved: bool,
}

/// Back to the page with a notice when the form did its work; a refusal shows the page again with its sentence and
/// the form as typed (`shown`).
async fn finish(
    req: &HttpRequest,
    state: &State,
    who: SignedIn,
    slug: String,
    result: Result<Done, AppError>,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(done) => {
            if done.moved {
                state.cache.bump();
                crate::mail::notify();
            }
            Ok(see_other(&href(
                &format!("/organize/contests/{slug}/assignments"),
                &[("notice", done.notice.into())],
            )))
        }
        Err(e) => match refusal(Lang::of_request(req), &e) {
            Some(r) => {
                let shown = Shown {
                    refusal: Some(r),
                    ..shown
                };
                render_page(req, state, who, slug, shown).await
            }
            None => Err(e),
        },
    }
}

/// `POST /organize/contests/{slug}/assignments`: `action=propose` (a new proposal replaces the waiting one),
/// `action=add` with `idea_id` and `reviewer_id` (one assignment added to the proposal by hand), or `action=confirm`
/// (the proposal becomes the assignment and the reviewers are emailed).
pub async fn submit(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let pairs = form_pairs(&body);
    let (action, idea, reviewer) = (
        first(&pairs, "action"),
        first(&pairs, "idea_id"),
        first(&pairs, "reviewer_id"),
    );
    let shown = Shown {
        idea: idea.clone(),
        reviewer: reviewer.clone(),
        ..Shown::default()
    };
    if action == "add" {
        // Nothing picked is a form problem, not a rule of the portal: said beside the select left empty.
        let lang = Lang::of_request(&req);
        let unpicked = [("idea_id", &idea), ("reviewer_id", &reviewer)]
            .into_iter()
            .find(|(_, v)| v.trim().is_empty());
        if let Some((field, _)) = unpicked {
            let shown = Shown {
                refusal: Some(Refusal {
                    field: Some(field),
                    message: lang.t(&format!("assign.pick.{field}")).to_string(),
                    status: StatusCode::BAD_REQUEST,
                }),
                ..shown
            };
            return render_page(&req, &state, who, slug, shown).await;
        }
    }
    let (principal, s) = (who.0.clone(), slug.clone());
    let (i, r) = (idea.trim().to_string(), reviewer.trim().to_string());
    let result = state
        .with_conn(move |conn| match action.as_str() {
            "propose" => assignment::propose(conn, &principal, &s).map(|_| Done {
                notice: "assignments_proposed",
                moved: false,
            }),
            "add" => assignment::add(conn, &principal, &s, &i, &r).map(|_| Done {
                notice: "assignment_added",
                moved: false,
            }),
            "confirm" => assignment::confirm(conn, &principal, &s).map(|n| Done {
                // Someone else may have confirmed (or dropped) the proposal since the page was shown.
                notice: if n == 0 {
                    "assignments_none_waiting"
                } else {
                    "assignments_confirmed"
                },
                moved: n > 0,
            }),
            other => Err(AppError::BadRequest(format!("unknown action {other:?}"))),
        })
        .await;
    finish(&req, &state, who, slug, result, shown).await
}

/// `POST /organize/contests/{slug}/assignments/{id}/remove`: takes a reviewer off an idea (a proposed assignment
/// is dropped; a confirmed one ends, and an idea left without reviewers goes back to eligible).
pub async fn remove(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (principal, s) = (who.0.clone(), slug.clone());
    let result = state
        .with_conn(move |conn| {
            assignment::remove(conn, &principal, &s, &id).map(|()| Done {
                notice: "assignment_removed",
                moved: true,
            })
        })
        .await;
    finish(&req, &state, who, slug, result, Shown::default()).await
}

// ---------------------------------------------------------------------------------------------------------------
// The conflicts page

#[derive(Template)]
#[template(path = "conflicts.html")]
struct ConflictsPage {
    ctx: Ctx,
    heading: String,
    assignments_href: String,
    panel_href: String,
    found: Vec<ConflictLine>,
    declared: Vec<ConflictLine>,
}

/// `GET /organize/contests/{slug}/conflicts`: the contest's conflicts of interest, the ones the portal found (with
/// why) and the ones reviewers declared (kind, reason, when). Read only; organizers of the contest's unit only.
pub async fn conflicts_page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (contest, rows) = state
        .with_conn(move |conn| conflicts::listing(conn, &who.0, &slug))
        .await?;
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    let (declared, found): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.declared);
    let page = ConflictsPage {
        heading: lang.tf("conflicts.heading", &[("contest", &contest.title)]),
        assignments_href: format!("/organize/contests/{}/assignments", contest.slug),
        panel_href: format!("/organize/contests/{}/panel", contest.slug),
        found: found.into_iter().map(|r| conflict_line(lang, r)).collect(),
        declared: declared
            .into_iter()
            .map(|r| conflict_line(lang, r))
            .collect(),
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page)?))
}
