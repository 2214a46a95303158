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
