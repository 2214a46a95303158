//! The life of an idea (DESIGN.md "The life of an idea") as one table: every move from one state to another, who
//! may make it, whether it needs a reason, and whether the author is told. Every change of an idea's state in the
//! portal is checked here first (`app::lifecycle` applies it: the state, the event, the email, in one transaction),
//! so no page or API handler carries its own idea of what may follow what.
//!
//! ```text
//! draft ─submit (author, contest open)→ submitted ─withdraw (author)→ withdrawn
//! submitted ─screen (organizer)→ eligible | ineligible (reason)
//! eligible ─withdraw (author)→ withdrawn
//! eligible ─assign (organizer)→ in_review ─enough reviews (system)→ reviewed
//! in_review ─every assignment removed (system)→ eligible
//! reviewed ─one more review asked (system)→ in_review
//! reviewed ─decide (organizer, rationale)→ shortlisted | not_selected
//! shortlisted ─decide (organizer, rationale)→ selected | not_selected
//! selected ─adopt (organizer)→ in_implementation → implemented | discontinued (reason)
//! ```

use super::status::IdeaStatus;

/// Who makes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// The idea's author.
    Author,
    /// An organizer of the contest's unit (or an admin).
    Organizer,
    /// The portal itself, as a consequence of something else (a review submitted, an assignment removed).
    System,
}

/// One permitted move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// From this state.
    pub from: IdeaStatus,
    /// To this state.
    pub to: IdeaStatus,
    /// Who may make it.
    pub by: Mover,
    /// Whether a written reason (or rationale) is required.
    pub needs_reason: bool,
    /// Whether the author is emailed about it. Moves inside the review (assignment, reviews counted) are not news
    /// to the author; the outcome of screening and every decision are.
    pub tells_author: bool,
}

const fn mv(from: IdeaStatus, to: IdeaStatus, by: Mover, needs_reason: bool, tells: bool) -> Move {
    Move {
        from,
        to,
        by,
        needs_reason,
        tells_author: tells,
    }
}

use IdeaStatus as S;
use Mover::{Author, Organizer, System};

/// Every move an idea can make; anything not here is refused.
pub const MOVES: &[Move] = &[
    mv(S::Draft, S::Submitted, Author, false, false),
    mv(S::Submitted, S::Withdrawn, Author, false, false),
    mv(S::Eligible, S::Withdrawn, Author, false, false),
    mv(S::Submitted, S::Eligible, Organizer, false, true),
    mv(S::Submitted, S::Ineligible, Organizer, true, true),
    mv(S::Eligible, S::InReview, Organizer, false, false),
    mv(S::InReview, S::Reviewed, System, false, false),
    mv(S::InReview, S::Eligible, System, false, false),
    mv(S::Reviewed, S::InReview, System, false, false),
    mv(S::Reviewed, S::Shortlisted, Organizer, true, true),
    mv(S::Reviewed, S::NotSelected, Organizer, true, true),
    mv(S::Shortlisted, S::Selected, Organizer, true, true),
    mv(S::Shortlisted, S::NotSelected, Organizer, true, true),
    mv(S::Selected, S::InImplementation, Organizer, false, true),
    mv(S::InImplementation, S::Implemented, Organizer, false, true),
    mv(S::InImplementation, S::Discontinued, Organizer, true, true),
];

/// The longest reason kept with a move.
pub const MAX_REASON_CHARS: usize = 2000;

/// The problem with a written reason (a screening reason, a rationale, a recusal or decline reason), if any:
/// missing when `required`, or longer than [`MAX_REASON_CHARS`]. `reason` is taken as already trimmed.
pub fn reason_problem(
    field: &str,
    reason: &str,
    required: bool,
) -> Option<crate::domain::validation::FieldError> {
    use crate::domain::validation::FieldError;
    if required && reason.is_empty() {
        Some(FieldError::new(field, "reason_required"))
    } else if reason.chars().count() > MAX_REASON_CHARS {
        Some(FieldError::new(field, "too_long").with("max", MAX_REASON_CHARS))
    } else {
        None
    }
}

/// Why a move is refused. Each has a stable code (the API's error code and the key of its message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No move leads from the idea's state to the one asked for.
    NotAllowed,
    /// The move exists, but someone else makes it.
    NotYours,
    /// The move needs a written reason and none was given.
    ReasonRequired,
    /// The reason is longer than [`MAX_REASON_CHARS`].
    ReasonTooLong,
}

impl Refusal {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "transition_not_allowed",
            Refusal::NotYours => "transition_not_yours",
            Refusal::ReasonRequired => "reason_required",
            Refusal::ReasonTooLong => "reason_too_long",
        }
    }
}

/// The move from `from` to `to`, if there is one.
pub fn find(from: IdeaStatus, to: IdeaStatus) -> Option<&'static Move> {
    MOVES.iter().find(|m| m.from == from && m.to == to)
}

/// Checks that `by` may move an idea from `from` to `to` with `reason` (trimmed; empty counts as none), and returns
/// the move. An organizer may not make an author's or the system's move, nor the reverse.
pub fn check(
    from: IdeaStatus,
    to: IdeaStatus,
    by: Mover,
    reason: Option<&str>,
) -> Result<&'static Move, Refusal> {
    let m = find(from, to).ok_or(Refusal::NotAllowed)?;
    if m.by != by {
        return Err(Refusal::NotYours);
    }
    let reason = reason.map(str::trim).unwrap_or("");
    if m.needs_reason && reason.is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(Refusal::ReasonTooLong);
    }
    Ok(m)
}

/// The states an organizer can move an idea in `from` to (for the buttons of a page).
pub fn organizer_moves(from: IdeaStatus) -> impl Iterator<Item = &'static Move> {
    MOVES
        .iter()
        .filter(move |m| m.from == from && m.by == Organizer)
}

/// The decisions an organizer records for publishing later (DESIGN.md: "decisions are recorded first and published
/// to authors in a batch").
pub const DECISIONS: [IdeaStatus; 3] = [S::Shortlisted, S::Selected, S::NotSelected];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_of_the_design_is_in_the_table_and_nothing_else() {
        // (from, to, by, reason) for each arrow of DESIGN.md, plus the system's moves inside review.
        let expected = [
            ("draft", "submitted", Author, false),
            ("submitted", "withdrawn", Author, false),
            ("eligible", "withdrawn", Author, false),
            ("submitted", "eligible", Organizer, false),
            ("submitted", "ineligible", Organizer, true),
            ("eligible", "in_review", Organizer, false),
            ("in_review", "reviewed", System, false),
            ("in_review", "eligible", System, false),
            ("reviewed", "in_review", System, false),
            ("reviewed", "shortlisted", Organizer, true),
            ("reviewed", "not_selected", Organizer, true),
            ("shortlisted", "selected", Organizer, true),
            ("shortlisted", "not_selected", Organizer, true),
            ("selected", "in_implementation", Organizer, false),
            ("in_implementation", "implemented", Organizer, false),
            ("in_implementation", "discontinued", Organizer, true),
        ];
        assert_eq!(MOVES.len(), expected.len());
        for (from, to, by, reason) in expected {
            let m = find(
                IdeaStatus::parse(from).unwrap(),
                IdeaStatus::parse(to).unwrap(),
            )
            .unwrap_or_else(|| panic!("{from} → {to} is missing"));
            assert_eq!((m.by, m.needs_reason), (by, reason), "{from} → {to}");
        }
    }

    #[test]
    fn every_other_pair_of_states_is_refused_for_everyone() {
        for from in IdeaStatus::ALL {
            for to in IdeaStatus::ALL {
                if find(from, to).is_some() {
                    continue;
                }
                for by in [Author, Organizer, System] {
                    assert_eq!(
                        check(from, to, by, Some("lý do")),
                        Err(Refusal::NotAllowed),
                        "{from:?} → {to:?} by {by:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_the_named_mover_makes_a_move() {
        for m in MOVES {
            for by in [Author, Organizer, System] {
                let got = check(m.from, m.to, by, Some("lý do"));
                if by == m.by {
                    assert!(got.is_ok(), "{m:?}");
                } else {
                    assert_eq!(got, Err(Refusal::NotYours), "{m:?} by {by:?}");
                }
            }
        }
    }

    #[test]
    fn reasons_are_required_where_the_design_says_and_bounded() {
        let s = IdeaStatus::Submitted;
        let no = IdeaStatus::Ineligible;
        assert_eq!(check(s, no, Organizer, None), Err(Refusal::ReasonRequired));
        assert_eq!(
            check(s, no, Organizer, Some("   ")),
            Err(Refusal::ReasonRequired)
        );
        assert!(check(s, no, Organizer, Some("Trùng với ý tưởng đã nộp năm trước")).is_ok());
        let long = "ý".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            check(s, no, Organizer, Some(&long)),
            Err(Refusal::ReasonTooLong)
        );
        // Eligible needs no reason.
        assert!(check(s, IdeaStatus::Eligible, Organizer, None).is_ok());
        // Every decision needs a rationale.
        for d in DECISIONS {
            for from in [IdeaStatus::Reviewed, IdeaStatus::Shortlisted] {
                if let Some(m) = find(from, d) {
                    assert!(m.needs_reason, "{m:?}");
                    assert!(m.tells_author, "{m:?}");
                }
            }
        }
    }

    #[test]
    fn organizer_buttons_follow_the_table() {
        let to: Vec<IdeaStatus> = organizer_moves(IdeaStatus::Submitted)
            .map(|m| m.to)
            .collect();
        assert_eq!(to, vec![IdeaStatus::Eligible, IdeaStatus::Ineligible]);
        assert_eq!(organizer_moves(IdeaStatus::Draft).count(), 0);
        assert_eq!(organizer_moves(IdeaStatus::Implemented).count(), 0);
    }
}
