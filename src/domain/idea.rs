//! What an author may do with their idea, and what a complete idea is.

use serde::Deserialize;
use validator::Validate;

use super::status::IdeaStatus;
use super::validation::FieldError;

/// The fields of an idea as an author writes them (DESIGN.md "An idea"). Only the maximum lengths apply to a draft;
/// [`IdeaFields::missing_for_submit`] says what a submission needs beyond that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Validate, utoipa::ToSchema)]
pub struct IdeaFields {
    /// Category slug (one of the contest's).
    #[serde(default)]
    #[validate(length(max = 100, code = "length"))]
    #[schema(required = true, max_length = 100, pattern = r"\S")]
    pub category: String,
    /// Title, 5–150 characters to submit.
    #[serde(default)]
    #[validate(length(max = 150, code = "too_long"))]
    #[schema(max_length = 150)]
    pub title: String,
    /// Summary, 20–600 characters to submit.
    #[serde(default)]
    #[validate(length(max = 600, code = "too_long"))]
    #[schema(max_length = 600)]
    pub summary: String,
    /// The current situation (thực trạng), 30–5,000 characters to submit.
    #[serde(default)]
    #[validate(length(max = 5000, code = "too_long"))]
    #[schema(max_length = 5000)]
    pub situation: String,
    /// The proposed solution (giải pháp), 30–5,000 characters to submit.
    #[serde(default)]
    #[validate(length(max = 5000, code = "too_long"))]
    #[schema(max_length = 5000)]
    pub solution: String,
    /// Expected impact (hiệu quả dự kiến), 10–2,000 characters to submit.
    #[serde(default)]
    #[validate(length(max = 2000, code = "too_long"))]
    #[schema(max_length = 2000)]
    pub impact: String,
    /// Resources or cost (optional), at most 1,000 characters.
    #[serde(default)]
    #[validate(length(max = 1000, code = "too_long"))]
    #[schema(max_length = 1000)]
    pub resources: String,
    /// Where it applies (optional), at most 200 characters.
    #[serde(default)]
    #[validate(length(max = 200, code = "too_long"))]
    #[schema(max_length = 200)]
    pub applies_where: String,
}

/// Minimum lengths (in characters) a submitted idea needs, by field.
pub const SUBMIT_MINIMUMS: [(&str, usize); 6] = [
    ("category", 1),
    ("title", 5),
    ("summary", 20),
    ("situation", 30),
    ("solution", 30),
    ("impact", 10),
];

impl IdeaFields {
    /// Trims surrounding white space from every field (text inside is kept as written).
    pub fn trimmed(&self) -> IdeaFields {
        IdeaFields {
            category: self.category.trim().into(),
            title: self.title.trim().into(),
            summary: self.summary.trim().into(),
            situation: self.situation.trim().into(),
            solution: self.solution.trim().into(),
            impact: self.impact.trim().into(),
            resources: self.resources.trim().into(),
            applies_where: self.applies_where.trim().into(),
        }
    }

    fn field(&self, name: &str) -> &str {
        match name {
            "category" => &self.category,
            "title" => &self.title,
            "summary" => &self.summary,
            "situation" => &self.situation,
            "solution" => &self.solution,
            "impact" => &self.impact,
            "resources" => &self.resources,
            "applies_where" => &self.applies_where,
            _ => "",
        }
    }

    /// The problems that keep this idea from being submitted (empty when it is complete).
    pub fn missing_for_submit(&self) -> Vec<FieldError> {
        SUBMIT_MINIMUMS
            .iter()
            .filter_map(|(name, min)| {
                let len = self.field(name).chars().count();
                match len {
                    0 => Some(FieldError::new(name, "required")),
                    n if n < *min => Some(FieldError::new(name, "too_short").with("min", min)),
                    _ => None,
                }
            })
            .collect()
    }
}

/// Whether the author may still change the idea's text: a draft or a submitted idea, while the contest is open.
pub fn author_may_edit(status: IdeaStatus, contest_open: bool) -> bool {
    contest_open && matches!(status, IdeaStatus::Draft | IdeaStatus::Submitted)
}

/// Whether the author may submit the idea: a draft (the lifecycle's table), while the contest is open.
pub fn author_may_submit(status: IdeaStatus, contest_open: bool) -> bool {
    contest_open && authors_move(status, IdeaStatus::Submitted)
}

/// Whether the author may withdraw the idea: before review starts (the lifecycle's table).
pub fn author_may_withdraw(status: IdeaStatus) -> bool {
    authors_move(status, IdeaStatus::Withdrawn)
}

fn authors_move(from: IdeaStatus, to: IdeaStatus) -> bool {
    super::lifecycle::find(from, to).is_some_and(|m| m.by == super::lifecycle::Mover::Author)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness() {
        let empty = IdeaFields::default();
        assert_eq!(empty.missing_for_submit().len(), SUBMIT_MINIMUMS.len());
        let full = IdeaFields {
            category: "giao-thong".into(),
            title: "Vạch sơn vùng chờ".into(),
            summary: "Kẻ vạch sơn khu vực chờ đón học sinh.".into(),
            situation: "Phụ huynh dừng xe tràn ra lòng đường mỗi giờ tan học.".into(),
            solution: "Kẻ vạch sơn giới hạn vùng chờ đón sát lề đường.".into(),
            impact: "Giảm ùn tắc trước cổng trường.".into(),
            ..IdeaFields::default()
        };
        assert!(full.missing_for_submit().is_empty());
        let short = IdeaFields {
            title: "Ý".into(),
            ..full.clone()
        };
        assert_eq!(
            short.missing_for_submit(),
            vec![FieldError::new("title", "too_short").with("min", 5)]
        );
    }

    #[test]
    fn author_rules() {
        assert!(author_may_edit(IdeaStatus::Draft, true));
        assert!(author_may_edit(IdeaStatus::Submitted, true));
        assert!(!author_may_edit(IdeaStatus::Submitted, false));
        assert!(!author_may_edit(IdeaStatus::InReview, true));
        assert!(author_may_submit(IdeaStatus::Draft, true));
        assert!(!author_may_submit(IdeaStatus::Draft, false));
        assert!(!author_may_submit(IdeaStatus::Withdrawn, true));
        assert!(author_may_withdraw(IdeaStatus::Eligible));
        assert!(!author_may_withdraw(IdeaStatus::InReview));
        assert!(!author_may_withdraw(IdeaStatus::Draft));
    }
}
