//! A problem with one field of a form or API body, as data: the web layer turns it into words in one place
//! (`web::validation`).

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the form or API body spells it.
    pub field: String,
    /// A stable code: `required`, `length`, `email`, `phone`, `unknown_unit`, `mismatch`, `wrong_password`, …
    pub code: String,
    /// Values for the message (`min`, `max`, …).
    pub params: Vec<(String, String)>,
}

impl FieldError {
    /// A problem without parameters.
    pub fn new(field: &str, code: &str) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter.
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.push((name.into(), value.to_string()));
        self
    }
}

/// The code of a text holding a NUL character (U+0000). No text of the portal may: PostgreSQL cannot store one, no
/// form can type one, and it means a client sent binary data as text. `web::text_guard` refuses it in every JSON
/// and form body; what arrives another way (a multipart form's text part) is checked with [`nul_problem`].
pub const NUL_CHARACTER: &str = "nul_character";

/// The problem with `text` of `field` if it holds a NUL character.
pub fn nul_problem(field: &str, text: &str) -> Option<FieldError> {
    text.contains('\0')
        .then(|| FieldError::new(field, NUL_CHARACTER))
}

/// What kind of refusal a problem is, which decides the status the API answers with (`web::error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// The request holds something the data already there forbids: a slug taken, a decision already changed by
    /// someone else, a cap below the reviewer's load, an account changing itself (`409`).
    Conflict,
    /// The request is well formed, as the OpenAPI document describes it, but means something impossible: a name of
    /// nothing that exists, an end before its start, a date in the future, a wrong current password, an import
    /// mapping that does not fit the file (`422`). The document cannot express these.
    Semantic,
    /// The request does not have the shape the document gives (a length, a range, a format, a missing field);
    /// the document says so, and a client that follows it never gets this (`400`).
    Shape,
}

/// Codes of problems that depend on data already stored ([`Refusal::Conflict`]).
pub const CONFLICT_CODES: &[&str] = &[
    "slug_taken",
    "decision_stale",
    "below_load",
    "self_change",
    "already_invited",
    "not_screenable",
];

/// Codes of problems a request valid by the document can still have ([`Refusal::Semantic`]).
pub const SEMANTIC_CODES: &[&str] = &[
    "unknown_unit",
    "unknown_contest",
    "unknown_category",
    "no_such_category",
    "unit_out_of_scope",
    "no_account",
    "wrong_password",
    "end_before_start",
    "closes_before_opens",
    "date_in_future",
    "no_category",
    "category_line",
    "range_empty",
    "level_score",
    // The document cannot say "no NUL" of every text; PostgreSQL cannot store one (`web::text_guard`).
    NUL_CHARACTER,
    // An import's mapping is checked against the columns of the file sent with it.
    "unknown_column",
    "unknown_field",
    "field_twice",
    "author_unmapped",
    "unmapped",
    // What an imported file holds: its encoding, its CSV structure, its rows.
    "empty_file",
    "not_utf8",
    "no_data_rows",
    "too_many_rows",
    "malformed_csv",
];

impl FieldError {
    /// The kind of refusal this problem is (by its code; anything not listed is a [`Refusal::Shape`]).
    pub fn refusal(&self) -> Refusal {
        if CONFLICT_CODES.contains(&self.code.as_str()) {
            Refusal::Conflict
        } else if SEMANTIC_CODES.contains(&self.code.as_str()) {
            Refusal::Semantic
        } else {
            Refusal::Shape
        }
    }
}

/// The refusal a list of problems amounts to: the most basic one wins (a shape problem is reported as such even
/// when the rest is a conflict), so a client is first told what the document already says.
pub fn refusal_of(problems: &[FieldError]) -> Refusal {
    problems
        .iter()
        .map(FieldError::refusal)
        .max()
        .unwrap_or(Refusal::Shape)
}

/// Turns the validator crate's errors into [`FieldError`]s, sorted by field for stable output.
pub fn from_validator(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (field, list) in errors.field_errors() {
        for e in list.iter() {
            let mut fe = FieldError::new(field.as_ref(), e.code.as_ref());
            for (name, value) in &e.params {
                if name != "value" {
                    let v = value
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| value.to_string());
                    fe.params.push((name.to_string(), v));
                }
            }
            fe.params.sort();
            out.push(fe);
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    out
}

/// Serde helpers for whole numbers in JSON bodies. JSON Schema counts `263.0` as an integer, and so do clients
/// that write every number as a double; the API accepts such a number as the whole number it is, and refuses
/// one with a fraction or out of range as unreadable (`bad_request`).
pub mod whole {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    fn of<T: TryFrom<i64>>(n: &serde_json::Number) -> Option<T> {
        let i = n.as_i64().or_else(|| {
            // 2^53: beyond it a double no longer holds every whole number exactly.
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                .map(|f| f as i64)
        })?;
        T::try_from(i).ok()
    }

    /// An optional whole number (`null` and absent are `None`).
    pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        match Option::<serde_json::Number>::deserialize(d)? {
            None => Ok(None),
            Some(n) => of(&n)
                .map(Some)
                .ok_or_else(|| D::Error::custom("not a whole number in range")),
        }
    }

    /// A whole number.
    pub fn required<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
        of(&serde_json::Number::deserialize(d)?)
            .ok_or_else(|| D::Error::custom("not a whole number in range"))
    }

    /// A map of whole numbers by name.
    pub fn map<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
        d: D,
    ) -> Result<std::collections::BTreeMap<String, T>, D::Error> {
        std::collections::BTreeMap::<String, serde_json::Number>::deserialize(d)?
            .into_iter()
            .map(|(k, n)| {
                of(&n)
                    .map(|v| (k, v))
                    .ok_or_else(|| D::Error::custom("not a whole number in range"))
            })
            .collect()
    }
}
