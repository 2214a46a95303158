//! A submitted form as pages show it again: the values typed (never passwords), the problems found, an alert.

use std::collections::HashMap;

use super::i18n::Lang;
use super::validation;
use crate::domain::validation::FieldError;

/// The state of a form on a page.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The page's language, for messages.
    pub lang: Lang,
    /// Values to show again, by field name.
    pub values: HashMap<String, String>,
    /// Problems by field.
    pub problems: Vec<FieldError>,
    /// A message for the whole form (rate limit, wrong credentials).
    pub alert: Option<String>,
    /// The CSRF token the form must send back.
    pub csrf: String,
}

impl Form {
    /// An empty form.
    pub fn new(lang: Lang, csrf: String) -> Form {
        Form {
            lang,
            csrf,
            ..Form::default()
        }
    }

    /// The form with these values kept, except the fields in `secret`.
    pub fn keep(mut self, submitted: &HashMap<String, String>, secret: &[&str]) -> Form {
        self.values = submitted
            .iter()
            .filter(|(k, _)| !secret.contains(&k.as_str()) && k.as_str() != super::auth::CSRF_FIELD)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self
    }

    /// The value of a field ("" if none).
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether a field has problems.
    pub fn invalid(&self, name: &str) -> bool {
        self.problems.iter().any(|p| p.field == name)
    }

    /// The field's problems, as sentences.
    pub fn err(&self, name: &str) -> Vec<String> {
        validation::messages_for(self.lang, &self.problems, name)
    }

    /// Whether the form has any problem or alert (for the summary at the top).
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty() || self.alert.is_some()
    }
}

/// A submitted form's field, trimmed of nothing (passwords keep their spaces).
pub fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name).cloned().unwrap_or_default()
}

/// A URL-encoded form body as its (name, value) pairs in order, repeated names kept (checkbox lists); an unreadable
/// body reads as empty, so every field is then missing and reported as such.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of `name` in `pairs` ("" if none).
pub fn first(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}
