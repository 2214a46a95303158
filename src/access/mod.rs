//! Who may see what. Every rule about visibility lives here so pages, the API and exports share it.

use crate::domain::status::IdeaStatus;

/// Whether the public (anyone, signed in or not) may see the names of an idea's authors.
///
/// In a blind contest the names stay hidden until the idea is chosen for application, because reviewers are also
/// members of the public and could otherwise look an idea up while scoring it.
pub fn public_author_names_visible(contest_blind_review: bool, status: IdeaStatus) -> bool {
    !contest_blind_review || status.counts_as_selected()
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
}
