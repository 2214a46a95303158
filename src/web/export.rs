//! Spreadsheet downloads for organizers: one table, written as CSV or as XLSX, and the response that carries it.
//!
//! CSV is UTF-8 with a byte-order mark, because spreadsheet software reads a CSV without one in the computer's
//! legacy code page and garbles every Vietnamese letter. A text cell that starts like a formula (`=`, `+`, `-`, `@`)
//! gets a leading apostrophe, so a title an author typed is never run as a formula when the file is opened. XLSX
//! stores numbers as numbers (they sort and sum in the spreadsheet) and text as text, never as formulas.

use actix_web::HttpResponse;
use actix_web::http::header;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::error::AppError;
use super::pages::no_store;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number (a rank, a count).
    Count(i64),
    /// A measured number (a score), shown with two decimals in XLSX, written with three in CSV.
    Decimal(f64),
    /// Nothing.
    Empty,
}

/// A table to export: the sheet's name, the header row, the rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The XLSX sheet's name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    /// The column titles.
    pub header: Vec<String>,
    /// The rows, each as long as the header.
    pub rows: Vec<Vec<Cell>>,
}

/// The byte-order mark that tells spreadsheet software the CSV is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Text as a CSV cell: a leading formula character is defused with an apostrophe.
pub(crate) fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The sheet as CSV: UTF-8 with a BOM, comma separated, CRLF line ends, quoted where needed.
pub fn csv(sheet: &Sheet) -> Result<Vec<u8>, AppError> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    out.write_record(sheet.header.iter().map(|h| csv_text(h)))
        .map_err(fail)?;
    for row in &sheet.rows {
        out.write_record(row.iter().map(|c| match c {
            Cell::Text(t) => csv_text(t),
            Cell::Count(n) => n.to_string(),
            Cell::Decimal(x) => format!("{x:.3}"),
            Cell::Empty => String::new(),
        }))
        .map_err(fail)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// The sheet as an XLSX workbook: a bold, frozen header row, the first text column wide.
pub fn xlsx(sheet: &Sheet) -> Result<Vec<u8>, AppError> {
    let fail = |e: XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap();
    let two_places = Format::new().set_num_format("0.00");
    let ws = book.add_worksheet();
    ws.set_name(&sheet.name).map_err(fail)?;
    for (c, title) in (0u16..).zip(&sheet.header) {
        ws.write_string_with_format(0, c, title, &bold)
            .map_err(fail)?;
        ws.set_column_width(c, 14).map_err(fail)?;
    }
    for (r, row) in (1u32..).zip(&sheet.rows) {
        for (c, cell) in (0u16..).zip(row) {
            match cell {
                Cell::Text(t) => {
                    ws.write_string(r, c, t).map_err(fail)?;
                }
                // Counts and ranks stay far below 2^53: exact as an XLSX number.
                Cell::Count(n) => {
                    ws.write_number(r, c, *n as f64).map_err(fail)?;
                }
                Cell::Decimal(x) => {
                    ws.write_number_with_format(r, c, *x, &two_places)
                        .map_err(fail)?;
                }
                Cell::Empty => {}
            }
        }
    }
    if let Some(c) = sheet
        .rows
        .first()
        .and_then(|row| row.iter().position(|c| matches!(c, Cell::Text(_))))
        .and_then(|c| u16::try_from(c).ok())
    {
        ws.set_column_width(c, 50).map_err(fail)?;
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// The CSV type, with its encoding.
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";
/// The XLSX type.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A download of `bytes` named `file_name` (ASCII), never kept by a cache (an organizer's data).
pub fn download(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> HttpResponse {
    no_store(HttpResponse::Ok())
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            name: "Kết quả".into(),
            header: vec!["Tên ý tưởng".into(), "Điểm".into(), "Hạng".into()],
            rows: vec![
                vec![
                    Cell::Text("Đèn, \"xanh\"".into()),
                    Cell::Decimal(7.12345),
                    Cell::Count(1),
                ],
                vec![
                    Cell::Text("=HYPERLINK(\"x\")".into()),
                    Cell::Empty,
                    Cell::Count(2),
                ],
            ],
        }
    }

    #[test]
    fn csv_has_a_bom_quotes_and_defused_formulas() {
        let bytes = csv(&sheet()).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        assert_eq!(
            text,
            "Tên ý tưởng,Điểm,Hạng\r\n\"Đèn, \"\"xanh\"\"\",7.123,1\r\n\"'=HYPERLINK(\"\"x\"\")\",,2\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx(&sheet()).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
    }
}
