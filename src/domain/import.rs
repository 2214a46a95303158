//! Importing ideas from a spreadsheet or an online-form export (CSV): reading the file, recognising its columns,
//! and deciding what becomes of each row. Pure: `app::import` reads the database and stores what this decides.
//!
//! - [`read_csv`] takes the file's bytes: UTF-8 with or without a byte-order mark, CRLF or LF, quoted cells that span
//!   lines, comma, semicolon (spreadsheets set to Vietnamese use it) or tab between cells. Anything else is a
//!   [`FileProblem`] with a code. Rows keep the number a spreadsheet shows (the header is row 1) and blank rows are
//!   left out.
//! - [`Field`] is what a column can hold, and [`Mapping`] which column holds what: headers that plainly name a field
//!   in Vietnamese or English (compared folded, so case and accents do not matter) and the columns online forms add
//!   ("Dấu thời gian", "Địa chỉ email") are recognised; the person importing maps the rest.
//! - [`check_row`] applies the rules of a submitted idea ([`IdeaFields`]) and of accounts (email, phone) to one row,
//!   matches its category and unit by name, and yields a [`Candidate`] or the row's problems; [`Dedup`] finds exact
//!   duplicates (same contest, same title and summary once folded) of earlier rows and of existing ideas.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Asia::Ho_Chi_Minh;
use validator::Validate;

use super::account::{is_valid_email, is_valid_phone, normalize_email, normalize_phone};
use super::idea::IdeaFields;
use super::text::fold;
use super::validation::FieldError;

/// The largest file accepted, in bytes (about 40,000 ideas of usual length).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The most data rows one file may have.
pub const MAX_ROWS: usize = 50_000;
/// The longest author name kept for a contact (as for an account's display name).
pub const MAX_NAME_CHARS: usize = 80;

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// No file was sent.
    NoFile,
    /// Nothing in it (or only white space and a byte-order mark).
    Empty,
    /// Not UTF-8 (a legacy code page, or UTF-16 "Unicode text"); the line of the first byte that is not.
    NotUtf8 {
        /// Line number, from 1.
        line: usize,
    },
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge,
    /// A header row and no data.
    NoRows,
    /// More than [`MAX_ROWS`] data rows.
    TooManyRows,
    /// The CSV reader gave up (at this line).
    Malformed {
        /// Line number, from 1.
        line: u64,
    },
}

impl FileProblem {
    /// The stable code (`validation.<code>` in the translations).
    pub fn code(&self) -> &'static str {
        match self {
            FileProblem::NoFile => "no_file",
            FileProblem::Empty => "empty_file",
            FileProblem::NotUtf8 { .. } => "not_utf8",
            FileProblem::TooLarge => "file_too_large",
            FileProblem::NoRows => "no_data_rows",
            FileProblem::TooManyRows => "too_many_rows",
            FileProblem::Malformed { .. } => "malformed_csv",
        }
    }

    /// As a problem with the form's `file` field, with what its message needs.
    pub fn to_field_error(&self) -> FieldError {
        let e = FieldError::new("file", self.code());
        match self {
            FileProblem::NotUtf8 { line } => e.with("line", line),
            FileProblem::Malformed { line } => e.with("line", line),
            FileProblem::TooLarge => e.with("max", MAX_FILE_BYTES / (1024 * 1024)),
            FileProblem::TooManyRows => e.with("max", MAX_ROWS),
            _ => e,
        }
    }
}

/// A data row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's number as a spreadsheet shows it: the header is row 1.
    pub number: u32,
    /// Its cells, as written (line breaks inside a cell become `\n`).
    pub cells: Vec<String>,
}

/// A file read: its header and its non-blank data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header row's cells, trimmed.
    pub headers: Vec<String>,
    /// The data rows, in order, blank ones left out.
    pub rows: Vec<Row>,
}

/// The line (from 1) of byte `offset` of `bytes`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// The cell separator of a file: whichever of comma, semicolon and tab occurs most in the header row outside quotes
/// (a comma when none does). Spreadsheets set to Vietnamese, where the comma is the decimal mark, write semicolons.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [b',', b';', b'\t']
        .into_iter()
        .zip(counts)
        .fold(
            (b',', 0),
            |best, (d, n)| if n > best.1 { (d, n) } else { best },
        );
    best.0
}

/// A cell's text with line breaks as `\n` (CRLF files keep CR LF inside quoted cells).
fn clean_cell(cell: &str) -> String {
    if cell.contains('\r') {
        cell.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        cell.to_string()
    }
}

/// Reads a CSV file: checks it is UTF-8, drops a byte-order mark, finds the separator, and returns the header and
/// the non-blank data rows.
pub fn read_csv(bytes: &[u8]) -> Result<Table, FileProblem> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| FileProblem::NotUtf8 {
        line: line_at(bytes, e.valid_up_to()),
    })?;
    // NUL bytes are valid UTF-8 but never in a spreadsheet's text: they mean UTF-16 without its byte-order mark
    // (and PostgreSQL cannot store them).
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(FileProblem::NotUtf8 {
            line: line_at(bytes, at),
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FileProblem::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let malformed = |e: csv::Error| FileProblem::Malformed {
        line: e.position().map_or(1, |p| p.line()),
    };
    let headers: Vec<String> = match records.next() {
        None => return Err(FileProblem::Empty),
        Some(r) => r
            .map_err(malformed)?
            .iter()
            .map(|h| clean_cell(h).trim().to_string())
            .collect(),
    };
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let record = record.map_err(malformed)?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileProblem::TooManyRows);
        }
        rows.push(Row {
            number: u32::try_from(i + 2).map_err(|_| FileProblem::TooManyRows)?,
            cells: record.iter().map(clean_cell).collect(),
        });
    }
    if rows.is_empty() {
        return Err(FileProblem::NoRows);
    }
    Ok(Table { headers, rows })
}

/// A column's letter as a spreadsheet names it: A, B, …, Z, AA, AB, …
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// What a column can hold: a field of an idea (DESIGN.md "An idea"), who wrote it, or when it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Tiêu đề.
    Title,
    /// Lĩnh vực: one of the contest's categories, by name in either language.
    Category,
    /// Tóm tắt.
    Summary,
    /// Thực trạng.
    Situation,
    /// Giải pháp.
    Solution,
    /// Hiệu quả dự kiến.
    Impact,
    /// Nguồn lực, kinh phí.
    Resources,
    /// Nơi áp dụng.
    AppliesWhere,
    /// The author's name.
    Name,
    /// The author's email: an account with it becomes the author.
    Email,
    /// The author's phone.
    Phone,
    /// The idea's unit, by name.
    Unit,
    /// When the form was sent, Vietnam time, as online forms export it.
    Timestamp,
}

/// Header texts, folded, that name each field plainly.
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::Title,
        &[
            "tieu de",
            "tieu de y tuong",
            "ten y tuong",
            "ten de tai",
            "ten giai phap",
            "title",
            "idea title",
            "idea name",
            "name of the idea",
        ],
    ),
    (
        Field::Category,
        &[
            "linh vuc",
            "linh vuc y tuong",
            "linh vuc du thi",
            "nhom linh vuc",
            "category",
            "idea category",
        ],
    ),
    (
        Field::Summary,
        &[
            "tom tat",
            "tom tat y tuong",
            "mo ta ngan",
            "mo ta ngan gon",
            "summary",
            "idea summary",
            "short description",
        ],
    ),
    (
        Field::Situation,
        &[
            "thuc trang",
            "thuc trang van de",
            "current situation",
            "situation",
            "problem",
        ],
    ),
    (
        Field::Solution,
        &[
            "giai phap",
            "giai phap de xuat",
            "noi dung giai phap",
            "solution",
            "proposed solution",
        ],
    ),
    (
        Field::Impact,
        &[
            "hieu qua du kien",
            "hieu qua",
            "expected impact",
            "impact",
            "expected results",
        ],
    ),
    (
        Field::Resources,
        &[
            "nguon luc",
            "kinh phi",
            "nguon luc kinh phi",
            "kinh phi du kien",
            "nguon luc thuc hien",
            "resources",
            "cost",
            "resources cost",
            "resources or cost",
            "budget",
        ],
    ),
    (
        Field::AppliesWhere,
        &[
            "noi ap dung",
            "pham vi ap dung",
            "dia ban ap dung",
            "where it applies",
            "where applied",
            "scope of application",
        ],
    ),
    (
        Field::Name,
        &[
            "ho va ten",
            "ho ten",
            "ho va ten tac gia",
            "ten tac gia",
            "tac gia",
            "name",
            "full name",
            "your name",
            "author",
            "author name",
        ],
    ),
    (
        Field::Email,
        &[
            "dia chi email",
            "email",
            "e mail",
            "thu dien tu",
            "dia chi thu dien tu",
            "email address",
        ],
    ),
    (
        Field::Phone,
        &[
            "so dien thoai",
            "dien thoai",
            "sdt",
            "so dt",
            "phone",
            "phone number",
            "telephone",
            "mobile",
        ],
    ),
    (
        Field::Unit,
        &[
            "don vi",
            "don vi cong tac",
            "don vi hoc tap cong tac",
            "co so doan",
            "unit",
            "organization",
            "organisation",
        ],
    ),
    (
        Field::Timestamp,
        &[
            "dau thoi gian",
            "thoi gian gui",
            "thoi diem gui",
            "timestamp",
            "submitted at",
        ],
    ),
];

impl Field {
    /// Every field, in the order forms and reports list them.
    pub const ALL: [Field; 13] = [
        Field::Title,
        Field::Category,
        Field::Summary,
        Field::Situation,
        Field::Solution,
        Field::Impact,
        Field::Resources,
        Field::AppliesWhere,
        Field::Name,
        Field::Email,
        Field::Phone,
        Field::Unit,
        Field::Timestamp,
    ];

    /// The stable code: the idea field's name where there is one (`title`, `applies_where`, …), else `name`,
    /// `email`, `phone`, `unit`, `timestamp`. Translations: `import.field.<code>`.
    pub fn code(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Category => "category",
            Field::Summary => "summary",
            Field::Situation => "situation",
            Field::Solution => "solution",
            Field::Impact => "impact",
            Field::Resources => "resources",
            Field::AppliesWhere => "applies_where",
            Field::Name => "name",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Unit => "unit",
            Field::Timestamp => "timestamp",
        }
    }

    /// The field with this code.
    pub fn parse(code: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The field a column header plainly names, if any ("Địa chỉ email", "TÊN Ý TƯỞNG", "Expected impact").
    pub fn recognize(header: &str) -> Option<Field> {
        let folded = fold(header);
        SYNONYMS
            .iter()
            .find(|(_, names)| names.contains(&folded.as_str()))
            .map(|(f, _)| *f)
    }

    /// A field chosen by a person: a code, a header that names it, or `ignore` (also empty, `-`, "bỏ qua") for a
    /// column not to import. A text that names nothing is a problem of `mapping`.
    pub fn choice(text: &str) -> Result<Option<Field>, FieldError> {
        let t = text.trim();
        if matches!(fold(t).as_str(), "" | "ignore" | "bo qua") {
            return Ok(None);
        }
        Field::parse(t)
            .or_else(|| Field::recognize(t))
            .map(Some)
            .ok_or_else(|| FieldError::new("mapping", "unknown_field").with("value", t))
    }
}

/// The fields a file must have a column for: what a submitted idea needs (see `IdeaFields::missing_for_submit`).
const REQUIRED: [Field; 6] = [
    Field::Title,
    Field::Category,
    Field::Summary,
    Field::Situation,
    Field::Solution,
    Field::Impact,
];

/// Which field each column holds (`None`: not imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// One entry per column of the header.
    pub columns: Vec<Option<Field>>,
}

impl Mapping {
    /// The columns whose headers name a field plainly. A field named twice goes to its first column only.
    pub fn recognize(headers: &[String]) -> Mapping {
        let mut columns: Vec<Option<Field>> = Vec::with_capacity(headers.len());
        for h in headers {
            let f = Field::recognize(h).filter(|f| !columns.contains(&Some(*f)));
            columns.push(f);
        }
        Mapping { columns }
    }

    /// The column holding `field`.
    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(field))
    }

    /// The text of `field` in `row`, trimmed ("" when no column holds it or the row is short).
    pub fn cell<'a>(&self, row: &'a Row, field: Field) -> &'a str {
        self.column_of(field)
            .and_then(|i| row.cells.get(i))
            .map_or("", |c| c.trim())
    }

    /// Applies choices made by a person, each `(column header, field)` (the header as written or folded; the field
    /// as [`Field::choice`] reads it). Every choice that names no column or no field is a problem of `mapping`.
    pub fn apply(&mut self, headers: &[String], choices: &[(String, String)]) -> Vec<FieldError> {
        let mut problems = Vec::new();
        for (header, field) in choices {
            let wanted = header.trim();
            let column = headers
                .iter()
                .position(|h| h == wanted)
                .or_else(|| headers.iter().position(|h| fold(h) == fold(wanted)));
            let Some(column) = column else {
                problems.push(FieldError::new("mapping", "unknown_column").with("column", wanted));
                continue;
            };
            match Field::choice(field) {
                Ok(f) => {
                    if let Some(slot) = self.columns.get_mut(column) {
                        *slot = f;
                    }
                }
                Err(problem) => problems.push(problem),
            }
        }
        problems
    }

    /// What keeps this mapping from being used: a field held by two columns, a required field or the author held by
    /// none. Empty when it can be used.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        for f in Field::ALL {
            if self.columns.iter().filter(|c| **c == Some(f)).count() > 1 {
                problems
                    .push(FieldError::new("mapping", "field_twice").with("import_field", f.code()));
            }
        }
        for f in REQUIRED {
            if self.column_of(f).is_none() {
                problems
                    .push(FieldError::new("mapping", "unmapped").with("import_field", f.code()));
            }
        }
        if self.column_of(Field::Name).is_none() && self.column_of(Field::Email).is_none() {
            problems.push(FieldError::new("mapping", "author_unmapped"));
        }
        problems
    }

    /// As stored: a JSON array with a field code or `null` per column.
    pub fn to_json(&self) -> String {
        let codes: Vec<Option<&str>> = self.columns.iter().map(|c| c.map(Field::code)).collect();
        serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into())
    }

    /// Reads [`Mapping::to_json`] for a file of `width` columns (unknown codes and missing entries are `None`).
    pub fn from_json(text: &str, width: usize) -> Mapping {
        let codes: Vec<Option<String>> = serde_json::from_str(text).unwrap_or_default();
        let mut columns: Vec<Option<Field>> = codes
            .iter()
            .map(|c| c.as_deref().and_then(Field::parse))
            .collect();
        columns.resize(width, None);
        Mapping { columns }
    }
}

/// Something a cell may name (a category, a unit), with its names folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its names (and URL name), folded.
    pub names: Vec<String>,
}

impl Named {
    /// `id` known by these names (folded here).
    pub fn new(id: &str, names: &[&str]) -> Named {
        Named {
            id: id.into(),
            names: names
                .iter()
                .map(|n| fold(n))
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }
}

/// The first of `options` that `text` names, compared folded ("moi truong" names "Môi trường").
pub fn find_named<'a>(options: &'a [Named], text: &str) -> Option<&'a Named> {
    let folded = fold(text);
    options.iter().find(|o| o.names.contains(&folded))
}

/// What rows are checked against: the contest's categories, the units ideas may belong to (its subtree) and the
/// other units (named, but outside the contest).
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// The contest's categories.
    pub categories: Vec<Named>,
    /// Units in the contest's subtree.
    pub units: Vec<Named>,
    /// Every other unit.
    pub other_units: Vec<Named>,
}

/// Who a row names as the author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Name (may be empty when there is an email).
    pub name: String,
    /// Normalised email.
    pub email: Option<String>,
    /// Normalised phone.
    pub phone: Option<String>,
}

/// A row that can become an idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its row number.
    pub row: u32,
    /// The idea's text, trimmed and complete; `category` holds the category's id.
    pub fields: IdeaFields,
    /// The author as the row names them.
    pub author: Person,
    /// The unit the row names, if any (in the contest's subtree).
    pub unit_id: Option<String>,
    /// When the form was sent (UTC), if the row says.
    pub submitted_at: Option<NaiveDateTime>,
    /// Its duplicate key ([`duplicate_key`]).
    pub key: String,
}

/// Reads a submission time as online forms and spreadsheets export it, in Vietnam time: `27/11/2026 14:05:09`
/// (day first, as Vietnamese exports write it; month first only where day first cannot be, like `11/27/2026`),
/// with or without seconds, or `2026-11-27 14:05[:09]`, or a date alone (midnight); an RFC 3339 time keeps its own
/// offset. Returns UTC.
pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&t) {
        return Some(dt.naive_utc());
    }
    const WITH_TIME: [&str; 8] = [
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    const DATE_ONLY: [&str; 3] = ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d"];
    let naive = WITH_TIME
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
        .or_else(|| {
            DATE_ONLY
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(&t, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Ho_Chi_Minh
        .from_local_datetime(&naive)
        .single()
        .map(|dt| dt.naive_utc())
}

/// The key under which two ideas of a contest are exact duplicates: title and summary folded (case, accents,
/// punctuation and runs of white space do not count).
pub fn duplicate_key(title: &str, summary: &str) -> String {
    format!("{}\n{}", fold(title), fold(summary))
}

/// Checks one row: the text against the rules of a submitted idea, the author's email and phone against the rules
/// of accounts, category and unit by name, the submission time. All problems are reported, in field order.
pub fn check_row(
    row: &Row,
    mapping: &Mapping,
    choices: &Choices,
) -> Result<Candidate, Vec<FieldError>> {
    let cell = |f: Field| mapping.cell(row, f);
    let mut fields = IdeaFields {
        category: String::new(),
        title: cell(Field::Title).into(),
        summary: cell(Field::Summary).into(),
        situation: cell(Field::Situation).into(),
        solution: cell(Field::Solution).into(),
        impact: cell(Field::Impact).into(),
        resources: cell(Field::Resources).into(),
        applies_where: cell(Field::AppliesWhere).into(),
    };
    let mut problems: Vec<FieldError> = match fields.validate() {
        Ok(()) => Vec::new(),
        Err(e) => super::validation::from_validator(&e),
    };
    // Minimums only where the maximum holds, so a field gets one problem; the category is checked below by name.
    let too_long: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
    problems.extend(
        fields
            .missing_for_submit()
            .into_iter()
            .filter(|p| p.field != "category" && !too_long.contains(&p.field)),
    );
    let category_text = cell(Field::Category);
    match find_named(&choices.categories, category_text) {
        Some(c) => fields.category = c.id.clone(),
        None if category_text.is_empty() => problems.push(FieldError::new("category", "required")),
        None => problems
            .push(FieldError::new("category", "no_such_category").with("value", category_text)),
    }

    let name = cell(Field::Name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let email_text = cell(Field::Email);
    let email = normalize_email(email_text);
    if name.chars().count() > MAX_NAME_CHARS {
        problems.push(FieldError::new("name", "too_long").with("max", MAX_NAME_CHARS));
    }
    if name.is_empty() && email.is_empty() {
        problems.push(FieldError::new("name", "author_required"));
    }
    if !email.is_empty() && !is_valid_email(&email) {
        problems.push(FieldError::new("email", "email").with("value", email_text));
    }
    let phone_text = cell(Field::Phone);
    if !phone_text.is_empty() && !is_valid_phone(phone_text) {
        problems.push(FieldError::new("phone", "phone").with("value", phone_text));
    }

    let unit_text = cell(Field::Unit);
    let unit_id = if unit_text.is_empty() {
        None
    } else if let Some(u) = find_named(&choices.units, unit_text) {
        Some(u.id.clone())
    } else {
        let code = if find_named(&choices.other_units, unit_text).is_some() {
            "unit_outside_contest"
        } else {
            "no_such_unit"
        };
        problems.push(FieldError::new("unit", code).with("value", unit_text));
        None
    };

    let time_text = cell(Field::Timestamp);
    let submitted_at = if time_text.is_empty() {
        None
    } else {
        let t = parse_timestamp(time_text);
        if t.is_none() {
            problems.push(FieldError::new("timestamp", "datetime").with("value", time_text));
        }
        t
    };

    if !problems.is_empty() {
        let order = |p: &FieldError| {
            Field::ALL
                .iter()
                .position(|f| f.code() == p.field)
                .unwrap_or(Field::ALL.len())
        };
        problems.sort_by_key(order);
        return Err(problems);
    }
    let fields = fields.trimmed();
    Ok(Candidate {
        row: row.number,
        key: duplicate_key(&fields.title, &fields.summary),
        fields,
        author: Person {
            name,
            email: (!email.is_empty()).then_some(email),
            phone: normalize_phone(phone_text),
        },
        unit_id,
        submitted_at,
    })
}

/// What a duplicate row repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duplicate {
    /// An earlier row of the same file (its number).
    Row(u32),
    /// An idea already in the contest (its id).
    Idea(String),
}

/// Finds exact duplicates: rows already taken from this file, then the contest's existing ideas.
#[derive(Debug, Clone, Default)]
pub struct Dedup {
    rows: HashMap<String, u32>,
    ideas: HashMap<String, String>,
}

impl Dedup {
    /// Over the contest's existing ideas, as (duplicate key, idea id).
    pub fn new(existing: impl IntoIterator<Item = (String, String)>) -> Dedup {
        let mut ideas = HashMap::new();
        for (key, id) in existing {
            ideas.entry(key).or_insert(id);
        }
        Dedup {
            rows: HashMap::new(),
            ideas,
        }
    }

    /// What a row with this key would repeat.
    pub fn find(&self, key: &str) -> Option<Duplicate> {
        self.rows
            .get(key)
            .map(|r| Duplicate::Row(*r))
            .or_else(|| self.ideas.get(key).map(|id| Duplicate::Idea(id.clone())))
    }

    /// Remembers that row `row` with this key is imported.
    pub fn remember(&mut self, key: &str, row: u32) {
        self.rows.entry(key.to_string()).or_insert(row);
    }
}

/// What becomes of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It becomes an idea.
    Import(Candidate),
    /// It repeats an earlier row or an existing idea, and is skipped.
    Duplicate(Candidate, Duplicate),
    /// It breaks these rules, and is skipped.
    Reject(Vec<FieldError>),
}

/// Decides a row: checked by [`check_row`], then compared with what came before (an imported row is remembered,
/// so a later copy of it is its duplicate).
pub fn decide(row: &Row, mapping: &Mapping, choices: &Choices, dedup: &mut Dedup) -> Decision {
    match check_row(row, mapping, choices) {
        Err(problems) => Decision::Reject(problems),
        Ok(c) => match dedup.find(&c.key) {
            Some(d) => Decision::Duplicate(c, d),
            None => {
                dedup.remember(&c.key, c.row);
                Decision::Import(c)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        read_csv(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn byte_order_mark_crlf_and_multiline_cells() {
        let t = table(
            "\u{feff}Dấu thời gian,Tên ý tưởng,Giải pháp\r\n\
             27/11/2026 14:05:09,\"Đèn, biển báo\",\"Dòng một\r\nDòng hai\"\r\n\
             ,,\r\n\
             28/11/2026 08:00:00,\"Ý tưởng \"\"hai\"\"\",x\r\n",
        );
        assert_eq!(t.headers, ["Dấu thời gian", "Tên ý tưởng", "Giải pháp"]);
        assert_eq!(t.rows.len(), 2, "the blank row is left out");
        assert_eq!(t.rows[0].number, 2);
        assert_eq!(t.rows[0].cells[1], "Đèn, biển báo");
        assert_eq!(t.rows[0].cells[2], "Dòng một\nDòng hai");
        assert_eq!(
            t.rows[1].number, 4,
            "numbers count the blank row, as a spreadsheet shows it"
        );
        assert_eq!(t.rows[1].cells[1], "Ý tưởng \"hai\"");
        // The same file with LF only reads the same.
        let lf = table(
            "Dấu thời gian,Tên ý tưởng,Giải pháp\n27/11/2026 14:05:09,\"Đèn, biển báo\",\"Dòng một\nDòng hai\"\n,,\n28/11/2026 08:00:00,\"Ý tưởng \"\"hai\"\"\",x\n",
        );
        assert_eq!(lf, t);
    }

    #[test]
    fn semicolons_and_tabs() {
        let t = table("Tiêu đề;Tóm tắt\nA, b;c\n");
        assert_eq!(t.rows[0].cells, ["A, b", "c"]);
        let t = table("Title\tSummary\na\tb\n");
        assert_eq!(t.rows[0].cells, ["a", "b"]);
        // A quoted header with commas inside does not fool the count.
        let t = table("\"Tiêu đề; tên\",Tóm tắt\nx,y\n");
        assert_eq!(t.headers.len(), 2);
    }

    #[test]
    fn files_that_cannot_be_read() {
        assert_eq!(read_csv(b""), Err(FileProblem::Empty));
        assert_eq!(
            read_csv("\u{feff}\r\n  \n".as_bytes()),
            Err(FileProblem::Empty)
        );
        assert_eq!(read_csv(b"Title,Summary\r\n"), Err(FileProblem::NoRows));
        assert_eq!(
            read_csv(b"Title,Summary\n,\n , \n"),
            Err(FileProblem::NoRows)
        );
        // "Tiêu đề" in Windows-1258 on line 2.
        let legacy = b"Title\nTi\xea\xf0 \xf0\xea\n";
        assert_eq!(read_csv(legacy), Err(FileProblem::NotUtf8 { line: 2 }));
        // UTF-16, with its byte-order mark and without.
        assert_eq!(
            read_csv(b"\xff\xfeT\0i\0"),
            Err(FileProblem::NotUtf8 { line: 1 })
        );
        assert_eq!(
            read_csv(b"T\0i\0t\0l\0e\0\n\0a\0"),
            Err(FileProblem::NotUtf8 { line: 1 })
        );
        assert_eq!(
            FileProblem::NotUtf8 { line: 2 }.to_field_error(),
            FieldError::new("file", "not_utf8").with("line", 2)
        );
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(read_csv(&big), Err(FileProblem::TooLarge));
        let mut many = String::from("Title\n");
        for i in 0..=MAX_ROWS {
            many.push_str(&format!("{i}\n"));
        }
        assert_eq!(read_csv(many.as_bytes()), Err(FileProblem::TooManyRows));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn synonyms_are_folded_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for (field, names) in SYNONYMS {
            for n in *names {
                assert_eq!(fold(n), *n, "{n} is written folded");
                assert!(seen.insert(*n), "{n} names two fields");
                assert_eq!(Field::recognize(n), Some(*field));
            }
        }
        for f in Field::ALL {
            assert_eq!(Field::parse(f.code()), Some(f));
            assert!(SYNONYMS.iter().any(|(g, _)| *g == f), "{f:?} has synonyms");
        }
    }

    #[test]
    fn vietnamese_and_english_headers() {
        let headers: Vec<String> = [
            "Dấu thời gian",
            "Địa chỉ email",
            "Họ và tên",
            "TÊN Ý TƯỞNG",
            "Lĩnh vực:",
            "Tóm tắt",
            "Thực trạng",
            "Giải pháp",
            "Hiệu quả dự kiến",
            "Nguồn lực / Kinh phí",
            "Nơi áp dụng",
            "Số điện thoại",
            "Đơn vị",
            "Bạn biết cuộc thi qua đâu?",
            "Email",
        ]
        .map(String::from)
        .to_vec();
        let m = Mapping::recognize(&headers);
        use Field::*;
        assert_eq!(
            m.columns,
            vec![
                Some(Timestamp),
                Some(Email),
                Some(Name),
                Some(Title),
                Some(Category),
                Some(Summary),
                Some(Situation),
                Some(Solution),
                Some(Impact),
                Some(Resources),
                Some(AppliesWhere),
                Some(Phone),
                Some(Unit),
                None,
                None,
            ],
            "an unknown column and a second email column are left to the person importing"
        );
        assert!(m.problems().is_empty());
        let en: Vec<String> = [
            "Timestamp",
            "Email address",
            "Full name",
            "Title",
            "Category",
            "Summary",
        ]
        .map(String::from)
        .to_vec();
        let m = Mapping::recognize(&en);
        assert_eq!(m.column_of(Field::Email), Some(1));
        assert_eq!(m.column_of(Field::Title), Some(3));
        assert_eq!(Field::recognize("Expected impact"), Some(Field::Impact));
        assert_eq!(Field::recognize("Resources / cost"), Some(Field::Resources));
        assert_eq!(
            Field::recognize("Where it applies"),
            Some(Field::AppliesWhere)
        );
        assert_eq!(Field::recognize("Ghi chú"), None);
    }

    #[test]
    fn mapping_choices_and_problems() {
        let headers: Vec<String> = ["Tên ý tưởng", "Mô tả ý tưởng", "Ghi chú", "Email"]
            .map(String::from)
            .to_vec();
        let mut m = Mapping::recognize(&headers);
        let problems = m.problems();
        let codes: Vec<(&str, Option<&str>)> = problems
            .iter()
            .map(|p| (p.code.as_str(), p.params.first().map(|(_, v)| v.as_str())))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("unmapped", Some("category")),
                ("unmapped", Some("summary")),
                ("unmapped", Some("situation")),
                ("unmapped", Some("solution")),
                ("unmapped", Some("impact")),
            ]
        );
        let bad = m.apply(
            &headers,
            &[
                ("mo ta y tuong".into(), "summary".into()),
                ("Ghi chú".into(), "Thực trạng".into()),
                ("Không có".into(), "title".into()),
                ("Email".into(), "địa chỉ nhà".into()),
            ],
        );
        assert_eq!(
            bad,
            vec![
                FieldError::new("mapping", "unknown_column").with("column", "Không có"),
                FieldError::new("mapping", "unknown_field").with("value", "địa chỉ nhà"),
            ]
        );
        assert_eq!(
            m.column_of(Field::Summary),
            Some(1),
            "header matched folded"
        );
        assert_eq!(
            m.column_of(Field::Situation),
            Some(2),
            "field named by a header text"
        );
        m.apply(&headers, &[("Ghi chú".into(), "summary".into())]);
        assert!(
            m.problems().contains(
                &FieldError::new("mapping", "field_twice").with("import_field", "summary")
            )
        );
        m.apply(
            &headers,
            &[
                ("Ghi chú".into(), "ignore".into()),
                ("Email".into(), "-".into()),
            ],
        );
        assert_eq!(m.columns[2], None);
        assert!(
            m.problems()
                .contains(&FieldError::new("mapping", "author_unmapped"))
        );
        let back = Mapping::from_json(&m.to_json(), 4);
        assert_eq!(back, m);
        assert_eq!(Mapping::from_json("not json", 2).columns, vec![None, None]);
    }

    fn choices() -> Choices {
        Choices {
            categories: vec![
                Named::new("c-mt", &["Môi trường", "Environment", "moi-truong"]),
                Named::new("c-gt", &["Giao thông", "Traffic", "giao-thong"]),
            ],
            units: vec![Named::new("u-p4", &["Phường 4", "phuong-4"])],
            other_units: vec![Named::new("u-q1", &["Quận 1", "quan-1"])],
        }
    }

    fn full_row(cells: &[&str]) -> (Row, Mapping) {
        let headers: Vec<String> = [
            "Tên ý tưởng",
            "Lĩnh vực",
            "Tóm tắt",
            "Thực trạng",
            "Giải pháp",
            "Hiệu quả dự kiến",
            "Họ và tên",
            "Email",
            "Số điện thoại",
            "Đơn vị",
            "Dấu thời gian",
        ]
        .map(String::from)
        .to_vec();
        (
            Row {
                number: 7,
                cells: cells.iter().map(|c| c.to_string()).collect(),
            },
            Mapping::recognize(&headers),
        )
    }

    const GOOD: [&str; 11] = [
        "  Thùng rác phân loại ở chợ  ",
        "moi truong",
        "Đặt thùng rác ba ngăn tại các chợ trong phường.",
        "Rác ở chợ chưa được phân loại, gây ô nhiễm và mùi hôi.",
        "Đặt thùng ba ngăn và hướng dẫn tiểu thương phân loại rác.",
        "Giảm lượng rác chôn lấp.",
        "  Nguyễn   Văn An ",
        "An.Nguyen@Example.org",
        "0903 123 456",
        "phường 4",
        "27/11/2026 14:05:09",
    ];

    #[test]
    fn a_good_row() {
        let (row, m) = full_row(&GOOD);
        let c = check_row(&row, &m, &choices()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.row, 7);
        assert_eq!(c.fields.title, "Thùng rác phân loại ở chợ");
        assert_eq!(c.fields.category, "c-mt", "\"moi truong\" is Môi trường");
        assert_eq!(c.author.name, "Nguyễn Văn An");
        assert_eq!(c.author.email.as_deref(), Some("an.nguyen@example.org"));
        assert_eq!(c.author.phone.as_deref(), Some("0903123456"));
        assert_eq!(c.unit_id.as_deref(), Some("u-p4"));
        assert_eq!(
            c.submitted_at.map(|t| t.to_string()).as_deref(),
            Some("2026-11-27 07:05:09"),
            "Vietnam time stored as UTC"
        );
        assert_eq!(
            c.key,
            duplicate_key(
                "THÙNG RÁC phân loại ở chợ!",
                "Đặt thùng rác ba ngăn   tại các chợ trong phường"
            )
        );
    }

    /// The (field, code) of each problem of a row with these cells.
    fn problems_of(cells: &[&str]) -> Vec<(String, String)> {
        let (row, m) = full_row(cells);
        check_row(&row, &m, &choices())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.field, p.code))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn a_bad_row_lists_every_problem_in_field_order() {
        let mut cells = GOOD;
        cells[0] = "";
        cells[1] = "Y tế";
        cells[3] = "Ngắn";
        cells[7] = "an.nguyen@";
        cells[8] = "12345";
        cells[9] = "Quận 1";
        cells[10] = "hôm qua";
        assert_eq!(
            problems_of(&cells),
            pairs(&[
                ("title", "required"),
                ("category", "no_such_category"),
                ("situation", "too_short"),
                ("email", "email"),
                ("phone", "phone"),
                ("unit", "unit_outside_contest"),
                ("timestamp", "datetime"),
            ])
        );
        let mut cells = GOOD;
        cells[6] = "";
        cells[7] = "";
        cells[9] = "Phường 99";
        cells[1] = "";
        assert_eq!(
            problems_of(&cells),
            pairs(&[
                ("category", "required"),
                ("name", "author_required"),
                ("unit", "no_such_unit")
            ])
        );
        let mut cells = GOOD;
        let long = "x".repeat(151);
        cells[0] = &long;
        let (row, m) = full_row(&cells);
        let problems = check_row(&row, &m, &choices()).err().unwrap_or_default();
        assert_eq!(
            problems,
            vec![FieldError::new("title", "too_long").with("max", 150)],
            "one problem per field"
        );
    }

    #[test]
    fn short_rows_read_as_empty_cells() {
        let (row, m) = full_row(&GOOD[..8]);
        let c = check_row(&row, &m, &choices()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.unit_id, None);
        assert_eq!(c.submitted_at, None);
        assert_eq!(c.author.phone, None);
    }

    #[test]
    fn timestamps() {
        for (text, utc) in [
            ("27/11/2026 14:05:09", Some("2026-11-27 07:05:09")),
            ("7/3/2026 9:05:01", Some("2026-03-07 02:05:01")),
            // Day first where both readings are dates, as Vietnamese exports write it.
            ("03/07/2026 09:05", Some("2026-07-03 02:05:00")),
            ("11/27/2026 14:05:09", Some("2026-11-27 07:05:09")),
            ("2026-11-27 14:05:09", Some("2026-11-27 07:05:09")),
            ("2026-11-27T14:05", Some("2026-11-27 07:05:00")),
            ("27/11/2026", Some("2026-11-26 17:00:00")),
            ("2026-11-27T14:05:09+00:00", Some("2026-11-27 14:05:09")),
            ("31/02/2026 10:00", None),
            ("hôm qua", None),
        ] {
            let got = parse_timestamp(text).map(|t| t.to_string());
            assert_eq!(got.as_deref(), utc, "{text}");
        }
    }

    #[test]
    fn duplicates_of_rows_then_of_ideas() {
        let mut d = Dedup::new([(duplicate_key("Đèn đỏ", "Tóm tắt"), "idea-1".to_string())]);
        let k = duplicate_key("Thùng rác", "Ba ngăn");
        assert_eq!(d.find(&k), None);
        d.remember(&k, 2);
        assert_eq!(
            d.find(&duplicate_key("thung rac", "ba ngan!")),
            Some(Duplicate::Row(2))
        );
        assert_eq!(
            d.find(&duplicate_key("ĐÈN ĐỎ", "tóm   tắt")),
            Some(Duplicate::Idea("idea-1".into()))
        );
        assert_ne!(duplicate_key("a b", "c"), duplicate_key("a", "b c"));
    }
}
