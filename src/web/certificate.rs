//! The certificate of an idea selected for real-world application: a printable page (`/me/ideas/{id}/certificate`)
//! for its author and co-authors. The print stylesheet leaves only the certificate on the sheet, so "Print" or
//! "Save as PDF" in any browser gives the document; a server-made PDF would need its own Vietnamese font and layout
//! for no gain over that.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::State;
use super::auth::SignedIn;
use super::error::AppError;
use super::pages::{Ctx, ctx_of, private_page, render};
use super::view;
use crate::domain::listing::{ParamError, parse_idea_id};
use crate::domain::status::IdeaStatus;

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    ctx: Ctx,
    names: Vec<String>,
    title: String,
    contest: String,
    organizer: String,
    outcome: String,
    date: String,
    idea_url: String,
    back_href: String,
}

/// `GET /me/ideas/{id}/certificate`: for the author and co-authors of an idea that was selected (whatever happened
/// after); anyone else is answered "not found", an idea not selected is refused by rule.
pub async fn page(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_idea_id(&path).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))?;
    let principal = who.0.clone();
    let (own, author, organizer) = state
        .with_conn(move |conn| {
            let own = crate::app::ideas::view_own(conn, &principal, &id)?;
            let author = crate::db::accounts::user_by_id(conn, &own.idea.author_id)?
                .map(|u| u.display_name)
                .unwrap_or_default();
            let organizer = crate::db::catalog::unit_by_id(conn, &own.contest.unit_id)?
                .map(|u| u.name)
                .unwrap_or_default();
            Ok((own, author, organizer))
        })
        .await?;
    let status = IdeaStatus::parse(&own.idea.status);
    if !status.is_some_and(IdeaStatus::counts_as_selected) {
        return Err(AppError::Rule("no_certificate"));
    }
    let ctx = ctx_of(&req, &state);
    let lang = ctx.lang;
    // The certificate is dated by the selection (the move to "selected" in the idea's history).
    let selected_at = own
        .events
        .iter()
        .filter(|e| e.to_status.as_deref() == Some(IdeaStatus::Selected.code()))
        .map(|e| e.created_at)
        .next_back()
        .unwrap_or(own.idea.updated_at);
    let mut names: Vec<String> = Vec::new();
    if !author.is_empty() {
        names.push(author);
    }
    names.extend(own.coauthors.into_iter().map(|(_, n)| n));
    let page = CertificatePage {
        names,
        outcome: lang
            .t(if status.is_some_and(IdeaStatus::counts_as_applied) {
                "certificate.applied"
            } else {
                "certificate.selected"
            })
            .to_string(),
        date: view::date(lang, selected_at),
        idea_url: format!("{}/ideas/{}", state.config.base_url, own.idea.id),
        back_href: format!("/me/ideas/{}", own.idea.id),
        title: own.idea.title,
        contest: own.contest.title,
        organizer,
        ctx,
    };
    Ok(private_page(StatusCode::OK, render(&page)?))
}
