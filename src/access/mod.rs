//! Who may do what, in one place: the table of every route and who may use it, the signed-in person as the rest of
//! the code sees them, and the visibility rules pages, the API and exports share.
//!
//! The `web::auth` middleware looks every request up in [`ROUTES`] before any handler runs; a route that is not in
//! the table answers 405, so a handler added without a rule is unreachable rather than unprotected.

pub mod redaction;

use crate::domain::account::Role;
use crate::domain::status::IdeaStatus;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Everyone, signed in or not.
    Anyone,
    /// Any signed-in account.
    SignedIn,
    /// A signed-in account with at least this role (admin > organizer > reviewer > member).
    AtLeast(Role),
}

/// One row of the table: method, route pattern (as registered with actix), who may use it.
pub type Rule = (&'static str, &'static str, Need);

use Need::{Anyone, AtLeast, SignedIn};

/// Every route of the portal.
pub const ROUTES: &[Rule] = &[
    ("GET", "/healthz", Anyone),
    ("GET", "/readyz", Anyone),
    ("GET", "/metrics", AtLeast(Role::Admin)),
    ("GET", "/", Anyone),
    ("GET", "/ideas", Anyone),
    ("GET", "/adopted", Anyone),
    ("POST", "/ideas/{id}/support", SignedIn),
    ("POST", "/ideas/{id}/unsupport", SignedIn),
    ("POST", "/ideas/{id}/vote", SignedIn),
    ("POST", "/ideas/{id}/unvote", SignedIn),
    ("GET", "/api/v1/ideas/{id}/support", SignedIn),
    ("PUT", "/api/v1/ideas/{id}/support", SignedIn),
    ("DELETE", "/api/v1/ideas/{id}/support", SignedIn),
    ("PUT", "/api/v1/ideas/{id}/vote", SignedIn),
    ("DELETE", "/api/v1/ideas/{id}/vote", SignedIn),
    (
        "GET",
        "/organize/contests/{slug}/peoples-choice",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/peoples-choice",
        AtLeast(Role::Organizer),
    ),
    (
        "PUT",
        "/api/v1/contests/{slug}/vote-round",
        AtLeast(Role::Organizer),
    ),
    ("GET", "/api/v1/adopted", Anyone),
    ("GET", "/milestone-photos/{id}", Anyone),
    ("GET", "/milestone-photos/{id}/preview", Anyone),
    (
        "GET",
        "/organize/contests/{slug}/adoption",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/ideas/{id}/adoption",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/ideas/{id}/adoption",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/ideas/{id}/adoption/milestones",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/ideas/{id}/adoption/finish",
        AtLeast(Role::Organizer),
    ),
    (
        "PUT",
        "/api/v1/contests/{slug}/ideas/{id}/adoption",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/ideas/{id}/milestones",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/ideas/{id}/adoption/finish",
        AtLeast(Role::Organizer),
    ),
    ("GET", "/ideas/{id}", Anyone),
    ("GET", "/ideas/new", SignedIn),
    ("POST", "/ideas/new", SignedIn),
    ("GET", "/me/ideas", SignedIn),
    ("GET", "/me/ideas/{id}", SignedIn),
    ("GET", "/me/ideas/{id}/certificate", SignedIn),
    ("GET", "/me/ideas/{id}/edit", SignedIn),
    ("POST", "/me/ideas/{id}/edit", SignedIn),
    ("POST", "/me/ideas/{id}/submit", SignedIn),
    ("POST", "/me/ideas/{id}/withdraw", SignedIn),
    ("POST", "/me/ideas/{id}/attachments", SignedIn),
    ("POST", "/me/ideas/{id}/attachments/{att}/delete", SignedIn),
    ("GET", "/attachments/{id}", Anyone),
    ("GET", "/attachments/{id}/preview", Anyone),
    ("POST", "/me/ideas/{id}/coauthors", SignedIn),
    ("POST", "/me/ideas/{id}/coauthors/{user}/remove", SignedIn),
    ("GET", "/contests/{slug}", Anyone),
    ("GET", "/stats", Anyone),
    ("GET", "/register", Anyone),
    ("POST", "/register", Anyone),
    ("GET", "/signin", Anyone),
    ("POST", "/signin", Anyone),
    ("POST", "/signout", SignedIn),
    ("GET", "/verify", Anyone),
    ("POST", "/verify/resend", SignedIn),
    ("GET", "/password/forgot", Anyone),
    ("POST", "/password/forgot", Anyone),
    ("GET", "/password/reset", Anyone),
    ("POST", "/password/reset", Anyone),
    ("GET", "/profile", SignedIn),
    ("POST", "/profile/password", SignedIn),
    ("POST", "/profile/signout-all", SignedIn),
    ("POST", "/profile/tokens", SignedIn),
    ("POST", "/profile/tokens/{id}/revoke", SignedIn),
    ("GET", "/organize/contests", AtLeast(Role::Organizer)),
    ("GET", "/organize/contests/new", AtLeast(Role::Organizer)),
    ("POST", "/organize/contests/new", AtLeast(Role::Organizer)),
    (
        "GET",
        "/organize/contests/{slug}/edit",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/edit",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/import",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/import",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/imports/{id}",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/imports/{id}",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/duplicates",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/screening",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/audit",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/rubric",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/decisions",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/decisions",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/rubric",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/screening",
        AtLeast(Role::Organizer),
    ),
    ("POST", "/api/v1/contests", AtLeast(Role::Organizer)),
    (
        "POST",
        "/api/v1/contests/{slug}/imports",
        AtLeast(Role::Organizer),
    ),
    ("PATCH", "/api/v1/contests/{slug}", AtLeast(Role::Organizer)),
    ("GET", "/admin/users", AtLeast(Role::Admin)),
    ("POST", "/admin/users/{id}", AtLeast(Role::Admin)),
    ("GET", "/admin/mail", AtLeast(Role::Organizer)),
    ("GET", "/api/openapi.json", Anyone),
    ("GET", "/api/docs", Anyone),
    ("GET", "/api/docs/{_:.*}", Anyone),
    ("GET", "/api/v1/ideas", Anyone),
    ("GET", "/api/v1/ideas/similar", Anyone),
    ("GET", "/api/v1/ideas/{id}", Anyone),
    ("POST", "/api/v1/ideas", SignedIn),
    ("PATCH", "/api/v1/ideas/{id}", SignedIn),
    ("POST", "/api/v1/ideas/{id}/submit", SignedIn),
    ("POST", "/api/v1/ideas/{id}/withdraw", SignedIn),
    ("POST", "/api/v1/ideas/{id}/attachments", SignedIn),
    ("DELETE", "/api/v1/ideas/{id}/attachments/{att}", SignedIn),
    ("POST", "/api/v1/ideas/{id}/coauthors", SignedIn),
    ("DELETE", "/api/v1/ideas/{id}/coauthors/{user}", SignedIn),
    ("GET", "/api/v1/me/ideas", SignedIn),
    ("GET", "/api/v1/me/ideas/{id}", SignedIn),
    ("GET", "/api/v1/stats", Anyone),
    ("GET", "/api/v1/contests", Anyone),
    ("GET", "/api/v1/contests/{slug}", Anyone),
    (
        "GET",
        "/api/v1/contests/{slug}/duplicates",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/screening",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/audit",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/rubric",
        AtLeast(Role::Organizer),
    ),
    (
        "PUT",
        "/api/v1/contests/{slug}/rubric",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/rubric/rounds",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/decisions",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/assignments",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/assignments",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/assignments/propose",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/assignments/confirm",
        AtLeast(Role::Organizer),
    ),
    (
        "DELETE",
        "/api/v1/contests/{slug}/assignments/{id}",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/decisions",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/decisions/publish",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/screening",
        AtLeast(Role::Organizer),
    ),
    ("GET", "/api/v1/categories", Anyone),
    ("POST", "/api/v1/auth/register", Anyone),
    ("POST", "/api/v1/auth/signin", Anyone),
    ("POST", "/api/v1/auth/signout", SignedIn),
    ("POST", "/api/v1/auth/verify", Anyone),
    ("POST", "/api/v1/auth/verify/resend", SignedIn),
    ("POST", "/api/v1/auth/password/forgot", Anyone),
    ("POST", "/api/v1/auth/password/reset", Anyone),
    ("GET", "/api/v1/me", SignedIn),
    ("POST", "/api/v1/me/password", SignedIn),
    ("POST", "/api/v1/me/signout-all", SignedIn),
    ("GET", "/api/v1/me/tokens", SignedIn),
    ("POST", "/api/v1/me/tokens", SignedIn),
    ("DELETE", "/api/v1/me/tokens/{id}", SignedIn),
    ("GET", "/api/v1/admin/users", AtLeast(Role::Admin)),
    ("PATCH", "/api/v1/admin/users/{id}", AtLeast(Role::Admin)),
    ("GET", "/api/v1/admin/mail", AtLeast(Role::Organizer)),
    // The review panel, its invitations, conflicts of interest and recusal (`web::panel_pages`).
    (
        "GET",
        "/organize/contests/{slug}/panel",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/panel",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/panel/{user}/cap",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/panel/{user}/remove",
        AtLeast(Role::Organizer),
    ),
    ("GET", "/invitation", Anyone),
    ("POST", "/invitation/accept", SignedIn),
    ("POST", "/invitation/decline", Anyone),
    ("POST", "/invitation/join", Anyone),
    ("GET", "/review", AtLeast(Role::Reviewer)),
    // The reviewer's side (`web::reviewer_pages`) and closing a round.
    ("GET", "/review/assignments/{id}", AtLeast(Role::Reviewer)),
    ("POST", "/review/assignments/{id}", AtLeast(Role::Reviewer)),
    (
        "POST",
        "/review/assignments/{id}/accept",
        AtLeast(Role::Reviewer),
    ),
    (
        "POST",
        "/review/assignments/{id}/decline",
        AtLeast(Role::Reviewer),
    ),
    (
        "POST",
        "/review/assignments/{id}/recuse",
        AtLeast(Role::Reviewer),
    ),
    (
        "GET",
        "/review/assignments/{id}/attachments/{att}",
        AtLeast(Role::Reviewer),
    ),
    ("GET", "/api/v1/me/assignments", AtLeast(Role::Reviewer)),
    ("GET", "/api/v1/assignments/{id}", AtLeast(Role::Reviewer)),
    (
        "PUT",
        "/api/v1/assignments/{id}/review",
        AtLeast(Role::Reviewer),
    ),
    (
        "POST",
        "/api/v1/assignments/{id}/accept",
        AtLeast(Role::Reviewer),
    ),
    (
        "POST",
        "/api/v1/assignments/{id}/decline",
        AtLeast(Role::Reviewer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/rubric/close",
        AtLeast(Role::Organizer),
    ),
    // Assignment and conflicts of interest (`web::assignment_pages`).
    (
        "GET",
        "/organize/contests/{slug}/assignments",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/assignments",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/assignments/{id}/remove",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/conflicts",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/panel",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/panel",
        AtLeast(Role::Organizer),
    ),
    (
        "PATCH",
        "/api/v1/contests/{slug}/panel/{user}",
        AtLeast(Role::Organizer),
    ),
    (
        "DELETE",
        "/api/v1/contests/{slug}/panel/{user}",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/conflicts",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/conflicts",
        AtLeast(Role::Reviewer),
    ),
    (
        "POST",
        "/api/v1/assignments/{id}/recuse",
        AtLeast(Role::Reviewer),
    ),
    // The results of review and their exports (`web::results_pages`).
    (
        "GET",
        "/organize/contests/{slug}/results",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/organize/contests/{slug}/results.{format}",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/organize/contests/{slug}/results/{idea}/more",
        AtLeast(Role::Organizer),
    ),
    (
        "GET",
        "/api/v1/contests/{slug}/results",
        AtLeast(Role::Organizer),
    ),
    (
        "POST",
        "/api/v1/contests/{slug}/results/{idea}/more",
        AtLeast(Role::Organizer),
    ),
    ("POST", "/api/v1/invitations/accept", SignedIn),
    ("POST", "/api/v1/invitations/decline", Anyone),
    ("POST", "/api/v1/invitations/join", Anyone),
    ("GET", "/api/v1/me/panels", AtLeast(Role::Reviewer)),
    // For crawlers, feed readers, link previews and reuse (`web::syndication`, `web::sharing`, `web::open_data`).
    ("GET", "/robots.txt", Anyone),
    ("GET", "/sitemap.xml", Anyone),
    ("GET", "/sitemaps/pages.xml", Anyone),
    ("GET", "/sitemaps/ideas.xml", Anyone),
    ("GET", "/adopted.atom", Anyone),
    ("GET", "/card.png", Anyone),
    ("GET", "/ideas/{id}/card.png", Anyone),
    ("GET", "/contests/{slug}/card.png", Anyone),
    ("GET", "/open-data", Anyone),
    ("GET", "/open-data/ideas.csv", Anyone),
    ("GET", "/open-data/ideas.json", Anyone),
    ("GET", "/open-data/adopted.csv", Anyone),
    ("GET", "/open-data/adopted.json", Anyone),
];

/// The rule for a request, if the table has one.
pub fn need_for(method: &str, pattern: &str) -> Option<Need> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, need)| *need)
}

/// The methods the route table lets `pattern` answer (for the `Allow` header of a 405).
pub fn methods_for(pattern: &str) -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|(_, p, _)| *p == pattern)
        .map(|(m, _, _)| *m)
        .collect()
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A browser session (cookie); unsafe requests must carry its CSRF token.
    Session {
        /// The session's id (hash of the cookie token).
        id: String,
        /// The session's CSRF token.
        csrf: String,
    },
    /// A personal access token (`Authorization: Bearer`); no CSRF token needed.
    Token {
        /// The token's id.
        id: String,
    },
}

/// The signed-in person, as handlers see them.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Account id.
    pub user_id: String,
    /// Normalised email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Home unit (and scope of reviewer and organizer rights).
    pub unit_id: Option<String>,
    /// Whether the email is verified.
    pub verified: bool,
    /// Preferred language for emails.
    pub lang: String,
    /// Session or token.
    pub auth: AuthMethod,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Nobody is signed in (401).
    Unauthenticated,
    /// Signed in, but without the right (403).
    Forbidden,
}

/// Whether `who` may use a route that needs `need`.
pub fn decide(need: Need, who: Option<&Principal>) -> Result<(), Denied> {
    match (need, who) {
        (Need::Anyone, _) => Ok(()),
        (_, None) => Err(Denied::Unauthenticated),
        (Need::SignedIn, Some(_)) => Ok(()),
        (Need::AtLeast(role), Some(p)) if p.role >= role => Ok(()),
        (Need::AtLeast(_), Some(_)) => Err(Denied::Forbidden),
    }
}

/// Which units' data a person may administer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unit (administrators).
    Everything,
    /// This unit and every unit below it (organizers and reviewers: their own unit's subtree).
    Subtree(String),
    /// No unit (an organizer not yet attached to a unit).
    Nothing,
}

/// The units whose people and data `who` may administer: administrators everything, everyone else their unit's
/// subtree.
pub fn admin_scope(who: &Principal) -> Scope {
    match (&who.role, &who.unit_id) {
        (Role::Admin, _) => Scope::Everything,
        (_, Some(unit)) => Scope::Subtree(unit.clone()),
        (_, None) => Scope::Nothing,
    }
}

/// Whether the public (anyone, signed in or not) may see the names of an idea's authors.
///
/// In a blind contest the names stay hidden until the idea is chosen for application, because reviewers are also
/// members of the public and could otherwise look an idea up while scoring it.
pub fn public_author_names_visible(contest_blind_review: bool, status: IdeaStatus) -> bool {
    !contest_blind_review || status.counts_as_selected()
}

/// Whether an idea's authors see an event of its log in their timeline. Only what happened to the idea in the open:
/// its writing, its team and files, and its moves between states. Not what the organizers and reviewers do on the
/// way (a decision recorded but not yet published, assignments, recusals, scores), which would reveal a result early
/// or who reviews it.
pub fn author_sees_event(kind: &str) -> bool {
    matches!(
        kind,
        "created"
            | "edited"
            | "imported"
            | "transition"
            | "coauthor.added"
            | "coauthor.removed"
            | "attachment.added"
            | "attachment.removed"
            | "milestone_added"
            | "adoption_plan_changed"
    )
}

/// Whether a reader may fetch an idea's attachments (files and previews): anyone while the idea is public;
/// otherwise only its author and co-authors. Everyone else is answered "not found", as if it did not exist.
pub fn attachment_visible(
    idea_is_public: bool,
    reader_is_author: bool,
    reader_is_coauthor: bool,
) -> bool {
    idea_is_public || reader_is_author || reader_is_coauthor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blind_contests_hide_names_until_selected() {
        assert!(public_author_names_visible(false, IdeaStatus::Submitted));
        assert!(!public_author_names_visible(true, IdeaStatus::InReview));
        assert!(!public_author_names_visible(true, IdeaStatus::NotSelected));
        assert!(public_author_names_visible(true, IdeaStatus::Implemented));
    }

    #[test]
    fn attachments_of_private_ideas_stay_with_their_team() {
        assert!(attachment_visible(true, false, false));
        assert!(attachment_visible(false, true, false));
        assert!(attachment_visible(false, false, true));
        assert!(!attachment_visible(false, false, false));
    }

    #[test]
    fn the_table_has_one_rule_per_route() {
        let mut seen = std::collections::HashSet::new();
        for (m, p, _) in ROUTES {
            assert!(seen.insert((m, p)), "{m} {p} twice");
        }
    }

    #[test]
    fn decisions() {
        let p = |role| Principal {
            user_id: "u".into(),
            email: "e".into(),
            display_name: "n".into(),
            role,
            unit_id: None,
            verified: true,
            lang: "vi".into(),
            auth: AuthMethod::Token { id: "t".into() },
        };
        assert_eq!(decide(Need::SignedIn, None), Err(Denied::Unauthenticated));
        assert_eq!(
            decide(Need::AtLeast(Role::Admin), Some(&p(Role::Organizer))),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            decide(Need::AtLeast(Role::Organizer), Some(&p(Role::Admin))),
            Ok(())
        );
        assert_eq!(decide(Need::Anyone, None), Ok(()));
        assert_eq!(admin_scope(&p(Role::Admin)), Scope::Everything);
        assert_eq!(admin_scope(&p(Role::Organizer)), Scope::Nothing);
        let mut o = p(Role::Organizer);
        o.unit_id = Some("q10".into());
        assert_eq!(admin_scope(&o), Scope::Subtree("q10".into()));
    }
}
