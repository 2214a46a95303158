//! The states of an idea (DESIGN.md "The life of an idea") and what each one means for the public side.

use serde::Serialize;

/// Where an idea is in its life. Stored as its [`code`](IdeaStatus::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    /// Being written; only its authors see it.
    Draft,
    /// Sent before the deadline, waiting for screening.
    Submitted,
    /// Taken back by its author before review.
    Withdrawn,
    /// Passed screening.
    Eligible,
    /// Failed screening (with a reason).
    Ineligible,
    /// Assigned to reviewers.
    InReview,
    /// Has enough reviews.
    Reviewed,
    /// On the shortlist.
    Shortlisted,
    /// Not selected.
    NotSelected,
    /// Chosen for real-world application.
    Selected,
    /// Being applied by a responsible unit.
    InImplementation,
    /// Applied in practice.
    Implemented,
    /// Application was stopped.
    Discontinued,
}

impl IdeaStatus {
    /// Every state, in the order of an idea's life.
    pub const ALL: [IdeaStatus; 13] = [
        IdeaStatus::Draft,
        IdeaStatus::Submitted,
        IdeaStatus::Withdrawn,
        IdeaStatus::Eligible,
        IdeaStatus::Ineligible,
        IdeaStatus::InReview,
        IdeaStatus::Reviewed,
        IdeaStatus::Shortlisted,
        IdeaStatus::NotSelected,
        IdeaStatus::Selected,
        IdeaStatus::InImplementation,
        IdeaStatus::Implemented,
        IdeaStatus::Discontinued,
    ];

    /// The stable code used in the database, URLs and the API.
    pub fn code(self) -> &'static str {
        match self {
            IdeaStatus::Draft => "draft",
            IdeaStatus::Submitted => "submitted",
            IdeaStatus::Withdrawn => "withdrawn",
            IdeaStatus::Eligible => "eligible",
            IdeaStatus::Ineligible => "ineligible",
            IdeaStatus::InReview => "in_review",
            IdeaStatus::Reviewed => "reviewed",
            IdeaStatus::Shortlisted => "shortlisted",
            IdeaStatus::NotSelected => "not_selected",
            IdeaStatus::Selected => "selected",
            IdeaStatus::InImplementation => "in_implementation",
            IdeaStatus::Implemented => "implemented",
            IdeaStatus::Discontinued => "discontinued",
        }
    }

    /// The state with this code, if any.
    pub fn parse(code: &str) -> Option<IdeaStatus> {
        IdeaStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether an idea in this state appears on the public side. Drafts, withdrawn and ineligible ideas never do;
    /// ideas chosen for application always do (the showcase must be checkable); the rest follow the contest's
    /// "ideas are public once submitted" setting.
    pub fn is_listed_publicly(self, contest_ideas_public: bool) -> bool {
        match self {
            IdeaStatus::Draft | IdeaStatus::Withdrawn | IdeaStatus::Ineligible => false,
            s if s.counts_as_selected() => true,
            _ => contest_ideas_public,
        }
    }

    /// Whether this state can be seen on the public side at all (the values the public `status` filter accepts).
    pub fn can_be_public(self) -> bool {
        self.is_listed_publicly(true)
    }

    /// Counted among "ideas submitted": everything past the draft.
    pub fn counts_as_submitted(self) -> bool {
        self != IdeaStatus::Draft
    }

    /// Counted among "ideas selected for real-world application", whatever happened after.
    pub fn counts_as_selected(self) -> bool {
        matches!(
            self,
            IdeaStatus::Selected
                | IdeaStatus::InImplementation
                | IdeaStatus::Implemented
                | IdeaStatus::Discontinued
        )
    }

    /// Counted among "ideas applied in practice".
    pub fn counts_as_applied(self) -> bool {
        matches!(self, IdeaStatus::InImplementation | IdeaStatus::Implemented)
    }

    /// The translation key of the state's name.
    pub fn label_key(self) -> String {
        format!("status.{}", self.code())
    }

    /// The furthest stage of the funnel (submitted → … → implemented) an idea in this state has reached; `None`
    /// for a draft. Read from the state alone: a withdrawn or ineligible idea counts as submitted only, one not
    /// selected as reviewed, and a discontinued one as having been in implementation (it can only come from there).
    pub fn funnel_stage(self) -> Option<FunnelStage> {
        match self {
            IdeaStatus::Draft => None,
            IdeaStatus::Submitted | IdeaStatus::Withdrawn | IdeaStatus::Ineligible => {
                Some(FunnelStage::Submitted)
            }
            IdeaStatus::Eligible | IdeaStatus::InReview => Some(FunnelStage::Eligible),
            IdeaStatus::Reviewed | IdeaStatus::Shortlisted | IdeaStatus::NotSelected => {
                Some(FunnelStage::Reviewed)
            }
            IdeaStatus::Selected => Some(FunnelStage::Selected),
            IdeaStatus::InImplementation | IdeaStatus::Discontinued => {
                Some(FunnelStage::InImplementation)
            }
            IdeaStatus::Implemented => Some(FunnelStage::Implemented),
        }
    }

    /// Whether an idea in this state has reached `stage` of the funnel (or gone past it).
    pub fn reached(self, stage: FunnelStage) -> bool {
        self.funnel_stage().is_some_and(|s| s >= stage)
    }

    /// Whether an idea in this state still waits for the outcome of review: submitted and not yet screened out,
    /// withdrawn, or decided. While a blind contest has such ideas its review is not finished.
    pub fn awaits_decision(self) -> bool {
        matches!(
            self,
            IdeaStatus::Submitted
                | IdeaStatus::Eligible
                | IdeaStatus::InReview
                | IdeaStatus::Reviewed
                | IdeaStatus::Shortlisted
        )
    }
}

/// The stages of the public funnel, in order; an idea counts in every stage up to the one it reached
/// ([`IdeaStatus::funnel_stage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    /// Sent in (everything past the draft).
    Submitted,
    /// Passed screening.
    Eligible,
    /// Has its reviews.
    Reviewed,
    /// Chosen for real-world application.
    Selected,
    /// Being applied by a responsible unit (or was, until stopped).
    InImplementation,
    /// Applied in practice.
    Implemented,
}

impl FunnelStage {
    /// Every stage, first to last.
    pub const ALL: [FunnelStage; 6] = [
        FunnelStage::Submitted,
        FunnelStage::Eligible,
        FunnelStage::Reviewed,
        FunnelStage::Selected,
        FunnelStage::InImplementation,
        FunnelStage::Implemented,
    ];

    /// The stable code used in the API.
    pub fn code(self) -> &'static str {
        match self {
            FunnelStage::Submitted => "submitted",
            FunnelStage::Eligible => "eligible",
            FunnelStage::Reviewed => "reviewed",
            FunnelStage::Selected => "selected",
            FunnelStage::InImplementation => "in_implementation",
            FunnelStage::Implemented => "implemented",
        }
    }

    /// The translation key of the stage's name.
    pub fn label_key(self) -> String {
        format!("stats.stage.{}", self.code())
    }
}

/// The codes of the states in `pred`, for SQL `IN` lists.
pub fn codes_where(pred: impl Fn(IdeaStatus) -> bool) -> Vec<&'static str> {
    IdeaStatus::ALL
        .into_iter()
        .filter(|s| pred(*s))
        .map(IdeaStatus::code)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in IdeaStatus::ALL {
            assert_eq!(IdeaStatus::parse(s.code()), Some(s));
        }
        assert_eq!(IdeaStatus::parse("Selected"), None);
    }

    #[test]
    fn public_rules() {
        assert!(!IdeaStatus::Draft.is_listed_publicly(true));
        assert!(!IdeaStatus::Withdrawn.is_listed_publicly(true));
        assert!(IdeaStatus::Submitted.is_listed_publicly(true));
        assert!(!IdeaStatus::Submitted.is_listed_publicly(false));
        assert!(IdeaStatus::Implemented.is_listed_publicly(false));
        assert!(IdeaStatus::Selected.counts_as_selected());
        assert!(!IdeaStatus::Selected.counts_as_applied());
        assert!(IdeaStatus::InImplementation.counts_as_applied());
    }

    #[test]
    fn the_funnel_agrees_with_the_headline_rules() {
        for s in IdeaStatus::ALL {
            assert_eq!(
                s.reached(FunnelStage::Submitted),
                s.counts_as_submitted(),
                "{s:?}"
            );
            assert_eq!(
                s.reached(FunnelStage::Selected),
                s.counts_as_selected(),
                "{s:?}"
            );
            assert_eq!(
                s.reached(FunnelStage::Implemented),
                s == IdeaStatus::Implemented
            );
            // Every stage reached implies every earlier one.
            for pair in FunnelStage::ALL.windows(2) {
                assert!(!s.reached(pair[1]) || s.reached(pair[0]), "{s:?}");
            }
            // An idea waiting for its outcome has not been selected, and is not finished with.
            if s.awaits_decision() {
                assert!(s.counts_as_submitted() && !s.counts_as_selected(), "{s:?}");
            }
        }
        assert!(IdeaStatus::Discontinued.reached(FunnelStage::InImplementation));
        assert!(!IdeaStatus::Discontinued.reached(FunnelStage::Implemented));
        assert!(IdeaStatus::NotSelected.reached(FunnelStage::Reviewed));
        assert!(!IdeaStatus::NotSelected.reached(FunnelStage::Selected));
        assert!(!IdeaStatus::Withdrawn.reached(FunnelStage::Eligible));
        assert!(!IdeaStatus::Ineligible.awaits_decision());
        assert!(IdeaStatus::Shortlisted.awaits_decision());
    }
}
