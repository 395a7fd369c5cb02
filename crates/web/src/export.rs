//! Exports shared by every capability: CSV cells that a spreadsheet cannot read as formulas,
//! XLSX workbooks of named sheets, downloads, and the PDF writer.

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

/// The text of a PDF in WinAnsi (the encoding of the standard Helvetica font): Latin-1 as is,
/// the common typographic marks mapped, anything else shown as "?".
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{20ac}' => 0x80,
            _ => b'?',
        })
        .collect()
}

/// Roughly how wide a character of Helvetica is, in thousandths of the font size. Generous,
/// so that cut text never runs into the next column.
fn glyph_width(c: char) -> f32 {
    match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 240.0,
        ' ' | 'f' | 't' | 'I' | '(' | ')' | '[' | ']' | '/' | '-' => 300.0,
        'r' | '"' => 350.0,
        'm' | 'M' | 'W' | '@' => 850.0,
        'w' => 740.0,
        c if c.is_ascii_uppercase() => 690.0,
        c if c.is_ascii_digit() => 560.0,
        _ => 580.0,
    }
}

fn text_width(s: &str, size: f32) -> f32 {
    s.chars().map(glyph_width).sum::<f32>() * size / 1000.0
}

/// Cuts `s` to fit `width` points, ending in "..." when cut.
fn fit(s: &str, size: f32, width: f32) -> String {
    if text_width(s, size) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if text_width(&out, size) + text_width(&format!("{c}..."), size) > width {
            break;
        }
        out.push(c);
    }
    format!("{}...", out.trim_end())
}

/// Breaks `s` into lines no wider than `width` points.
fn wrap(s: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, size) <= width || line.is_empty() {
            line = fit(&candidate, size, width);
        } else {
            lines.push(std::mem::take(&mut line));
            line = fit(word, size, width);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;

/// A very small page-layout engine: lines of text and simple tables, top to bottom, with page
/// breaks that repeat a table's header.
pub(crate) struct PdfWriter {
    pages: Vec<pdf_writer::Content>,
    y: f32,
    footer: String,
}

impl PdfWriter {
    pub(crate) fn new(footer: String) -> PdfWriter {
        let mut w = PdfWriter {
            pages: Vec::new(),
            y: 0.0,
            footer,
        };
        w.new_page();
        w
    }

    fn new_page(&mut self) {
        let mut c = pdf_writer::Content::new();
        let n = self.pages.len() + 1;
        let footer = format!("{} - page {n}", self.footer);
        Self::put(&mut c, false, 8.0, MARGIN, MARGIN - 20.0, &footer);
        self.pages.push(c);
        self.y = PAGE_H - MARGIN;
    }

    fn put(c: &mut pdf_writer::Content, bold: bool, size: f32, x: f32, y: f32, s: &str) {
        use pdf_writer::{Name, Str};
        let font = if bold { Name(b"F2") } else { Name(b"F1") };
        c.begin_text();
        c.set_font(font, size);
        c.next_line(x, y);
        c.show(Str(&win_ansi(s)));
        c.end_text();
    }

    fn need(&mut self, height: f32) -> bool {
        if self.y - height < MARGIN {
            self.new_page();
            return true;
        }
        false
    }

    pub(crate) fn line(&mut self, bold: bool, size: f32, s: &str) {
        for l in wrap(s, size, PAGE_W - 2.0 * MARGIN) {
            self.need(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            if let Some(c) = self.pages.last_mut() {
                Self::put(c, bold, size, MARGIN, y, &l);
            }
        }
    }

    pub(crate) fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn row(&mut self, widths: &[f32], cells: &[String], bold: bool) {
        const SIZE: f32 = 8.5;
        self.y -= SIZE * 1.5;
        let y = self.y;
        let mut x = MARGIN;
        if let Some(c) = self.pages.last_mut() {
            for (w, cell) in widths.iter().zip(cells) {
                Self::put(c, bold, SIZE, x, y, &fit(cell, SIZE, w - 6.0));
                x += w;
            }
            if bold {
                c.set_line_width(0.5);
                c.move_to(MARGIN, y - 3.0);
                c.line_to(x, y - 3.0);
                c.stroke();
            }
        }
    }

    /// A table with a header row, repeated after a page break; `notes` are wrapped lines
    /// printed under a row (for example what someone learned).
    pub(crate) fn table(
        &mut self,
        widths: &[f32],
        header: &[&str],
        rows: &[(Vec<String>, String)],
    ) {
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        self.need(30.0);
        self.row(widths, &header, true);
        for (cells, note) in rows {
            let note_lines = if note.is_empty() {
                Vec::new()
            } else {
                wrap(note, 8.0, PAGE_W - 2.0 * MARGIN - 12.0)
            };
            let height = 8.5 * 1.5 + note_lines.len() as f32 * 11.0;
            if self.need(height) {
                self.row(widths, &header, true);
            }
            self.row(widths, cells, false);
            for l in note_lines {
                self.y -= 11.0;
                let y = self.y;
                if let Some(c) = self.pages.last_mut() {
                    c.set_fill_gray(0.3);
                    Self::put(c, false, 8.0, MARGIN + 12.0, y, &l);
                    c.set_fill_gray(0.0);
                }
            }
        }
    }

    pub(crate) fn finish(self, title: &str) -> Vec<u8> {
        use pdf_writer::{Finish, Name, Pdf, Rect, Ref, TextStr};
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let regular = Ref::new(4);
        let bold = Ref::new(5);
        let first = 6;
        let page_ids: Vec<Ref> = (0..self.pages.len())
            .map(|i| Ref::new(first + 2 * i as i32))
            .collect();
        pdf.catalog(catalog).pages(tree).lang(TextStr("en-GB"));
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        pdf.document_info(info)
            .title(TextStr(title))
            .creator(TextStr("mashboard"));
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        for (i, content) in self.pages.into_iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            resources
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold);
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

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

    #[test]
    fn pdf_text_is_cut_wrapped_and_encoded() {
        assert_eq!(
            win_ansi("Clare\u{2019}s Law \u{2013} ok \u{1f600}"),
            b"Clare\x92s Law \x96 ok ?"
        );
        let cut = fit(&"word ".repeat(100), 9.0, 100.0);
        assert!(cut.ends_with("...") && text_width(&cut, 9.0) <= 100.0);
        let lines = wrap(&"word ".repeat(100), 9.0, 100.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| text_width(l, 9.0) <= 100.0));
        let mut w = PdfWriter::new("footer".into());
        w.line(true, 16.0, "Title");
        let rows: Vec<(Vec<String>, String)> = (0..200)
            .map(|i| (vec![format!("row {i}"), "x".into()], "a note".into()))
            .collect();
        w.table(&[100.0, 100.0], &["A", "B"], &rows);
        assert!(w.pages.len() > 2, "long tables break across pages");
        let bytes = w.finish("Title");
        assert!(bytes.starts_with(b"%PDF-"));
    }
}
