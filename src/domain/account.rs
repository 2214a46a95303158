//! Accounts: roles, and the rules for emails, names, phones and passwords, applied once when input is parsed.

use serde::{Deserialize, Serialize};

/// What a person may do on the portal. Reviewer and organizer rights apply within their unit's subtree.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A young person who submits ideas.
    Member,
    /// Scores the ideas assigned to them.
    Reviewer,
    /// Runs contests of their unit.
    Organizer,
    /// Runs the whole portal.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::Member, Role::Reviewer, Role::Organizer, Role::Admin];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Reviewer => "reviewer",
            Role::Organizer => "organizer",
            Role::Admin => "admin",
        }
    }

    /// The role with this code.
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Normalises an email for storage and lookup: trimmed and lower-cased (addresses are compared case-insensitively).
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Whether an email looks deliverable: the validator crate's HTML5 rule, at most 254 characters, and a dotted
/// domain (an address like `an@localhost` is valid in theory but never what a contest participant meant).
pub fn is_valid_email(email: &str) -> bool {
    use validator::ValidateEmail;
    let email = email.trim();
    let dotted = email.rsplit_once('@').is_some_and(|(_, domain)| {
        domain.contains('.') && !domain.ends_with('.') && !domain.starts_with('.')
    });
    email.len() <= 254 && dotted && email.validate_email()
}

/// The shortest password accepted.
pub const PASSWORD_MIN: u64 = 10;
/// The longest password accepted (hashing cost grows with length).
pub const PASSWORD_MAX: u64 = 200;

/// Normalises a phone number: keeps a leading `+` and the digits; `None` if empty.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    Some(if plus { format!("+{digits}") } else { digits })
}

/// Whether a phone number (as typed) is plausible: digits with optional spaces, dots, dashes and a leading `+`,
/// 9 to 15 digits.
pub fn is_valid_phone(raw: &str) -> bool {
    let t = raw.trim();
    let body = t.strip_prefix('+').unwrap_or(t);
    let digits = body.chars().filter(|c| c.is_ascii_digit()).count();
    body.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-'))
        && (9..=15).contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  An.Nguyen@Example.ORG "),
            "an.nguyen@example.org"
        );
        assert!(is_valid_email("an.nguyen@example.org"));
        assert!(!is_valid_email("an.nguyen@"));
        assert!(!is_valid_email("an nguyen@example.org"));
        assert!(!is_valid_email("a@b"));
        assert!(!is_valid_email("a@b."));
    }

    #[test]
    fn phones() {
        assert!(is_valid_phone("0903 123 456"));
        assert!(is_valid_phone("+84 903-123-456"));
        assert!(!is_valid_phone("12345"));
        assert!(!is_valid_phone("0903abc456"));
        assert_eq!(
            normalize_phone("+84 903.123.456"),
            Some("+84903123456".into())
        );
        assert_eq!(normalize_phone("  "), None);
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert!(Role::Admin > Role::Organizer && Role::Organizer > Role::Reviewer);
    }
}
