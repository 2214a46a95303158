//! Validation messages, in one place: a field problem's code and parameters become a sentence in the reader's
//! language (`validation.<code>` in the translation files).

use super::i18n::Lang;
use crate::domain::validation::FieldError;

/// The sentence for one problem.
pub fn message(lang: Lang, problem: &FieldError) -> String {
    let key = format!("validation.{}", problem.code);
    let key = if lang.has(&key) {
        key
    } else {
        "validation.invalid".to_string()
    };
    // A parameter naming a field of an import is shown by the field's name in the reader's language.
    let args: Vec<(&str, &str)> = problem
        .params
        .iter()
        .map(|(k, v)| match k.as_str() {
            "import_field" => (k.as_str(), lang.t(&format!("import.field.{v}"))),
            _ => (k.as_str(), v.as_str()),
        })
        .collect();
    lang.tf(&key, &args)
}

/// The problems of one field, as sentences (for showing next to the field).
pub fn messages_for(lang: Lang, problems: &[FieldError], field: &str) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.field == field)
        .map(|p| message(lang, p))
        .collect()
}
