//! Exports shared by every capability: CSV cells that a spreadsheet cannot read as formulas,
//! XLSX workbooks of named sheets, downloads, and the tagged PDF writer (krilla).

use crate::error::AppError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use time::Date;

/// Stops a spreadsheet from reading a cell as a formula.
pub(crate) fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A cell of an export.
pub(crate) enum XCell {
    Text(String),
    Date(Option<Date>),
    Number(f64),
}

impl XCell {
    pub(crate) fn csv(&self) -> String {
        match self {
            XCell::Text(s) => csv_safe(s).into_owned(),
            XCell::Date(d) => d
                .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
                .unwrap_or_default(),
            XCell::Number(n) => n.to_string(),
        }
    }
}

/// One sheet of a workbook.
pub(crate) struct Sheet {
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<XCell>>,
}

pub(crate) fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// A workbook with a bold, frozen, filterable header row on every sheet. Text is always
/// written as text, never as a formula.
pub(crate) fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("d mmmm yyyy");
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(s.name).map_err(xlsx_err)?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(xlsx_err)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    XCell::Text(t) if t.is_empty() => {}
                    XCell::Text(t) => {
                        ws.write_string(r, c, t.as_str()).map_err(xlsx_err)?;
                    }
                    XCell::Number(n) => {
                        ws.write_number(r, c, *n).map_err(xlsx_err)?;
                    }
                    XCell::Date(None) => {}
                    XCell::Date(Some(d)) => {
                        let year = u16::try_from(d.year()).unwrap_or(1900);
                        let x = ExcelDateTime::from_ymd(year, u8::from(d.month()), d.day())
                            .map_err(xlsx_err)?;
                        ws.write_datetime_with_format(r, c, &x, &date)
                            .map_err(xlsx_err)?;
                    }
                }
            }
        }
        let last_col = s.header.len().saturating_sub(1) as u16;
        ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        ws.autofilter(0, 0, s.rows.len() as u32, last_col)
            .map_err(xlsx_err)?;
        ws.autofit();
    }
    wb.save_to_buffer().map_err(xlsx_err)
}

pub(crate) fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) mod drawing;
mod pdf;
#[cfg(test)]
pub(crate) use pdf::tests::pdf_text;
pub(crate) use pdf::PdfWriter;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        assert_eq!(csv_safe("Signed in"), "Signed in");
        assert_eq!(
            XCell::Text("=HYPERLINK(\"x\")".into()).csv(),
            "'=HYPERLINK(\"x\")"
        );
    }

    #[test]
    fn a_workbook_is_written() {
        let bytes = workbook(&[Sheet {
            name: "Test",
            header: vec!["A", "B", "C"],
            rows: vec![vec![
                XCell::Text("=1+1".into()),
                XCell::Date(Some(date!(2024 - 02 - 29))),
                XCell::Number(1.5),
            ]],
        }])
        .unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
