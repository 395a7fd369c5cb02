//! PDF: a small page-layout engine over krilla, which writes tagged (accessible) PDF with the
//! embedded, subsetted Liberation Sans (SIL Open Font Licence, `fonts/LICENSE-OFL.txt`).
//!
//! `text.rs` holds the fonts and measures and wraps text; `layout.rs` places what a report puts
//! on its pages ([`PdfWriter`]: headings, paragraphs, tables, figures) and keeps their reading
//! order; `render.rs` writes those pages with krilla and tags them ([`PdfWriter::finish`]).

mod layout;
mod render;
mod text;

pub(crate) use layout::PdfWriter;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_pdf_is_tagged_and_a_long_module_title_appears_whole() {
        let title = "Safeguarding adults and children at risk of exploitation: the multi-agency referral, risk assessment and information sharing pathway";
        let mut w = PdfWriter::new("footer".into());
        w.line(true, 16.0, "Training record");
        w.line(true, 12.0, "Plan");
        let mut rows: Vec<(Vec<String>, String)> = vec![(
            vec!["SAFE".into(), title.into(), "Overdue".into()],
            String::new(),
        )];
        rows.extend((0..200).map(|i| {
            (
                vec![format!("row {i}"), "x".into(), "y".into()],
                "a note".into(),
            )
        }));
        w.table(&[60.0, 200.0, 80.0], &["Code", "Module", "Status"], &rows);
        assert!(w.pages.len() > 2, "long tables break across pages");
        let texts = w.texts();
        let module_cell: Vec<&String> = texts
            .iter()
            .skip_while(|t| *t != "SAFE")
            .skip(1)
            .take_while(|t| *t != "Overdue")
            .collect();
        assert!(module_cell.len() > 1, "the title wraps: {module_cell:?}");
        assert_eq!(
            module_cell
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            title
        );
        assert!(texts.iter().all(|t| !t.ends_with("...")));
        let bytes = w.finish("Training record");
        assert!(bytes.starts_with(b"%PDF-"));
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"/StructTreeRoot"), "tagged");
        assert!(has(b"/MarkInfo"), "marked");
        assert!(has(b"/FontFile2"), "the font is embedded");
        assert!(
            has(b"LiberationSans"),
            "Liberation Sans, not a standard font"
        );
        let text = pdf_text(&bytes);
        for word in title.split_whitespace() {
            assert!(text.contains(word), "{word} is in the PDF");
        }
    }

    /// The text of every compressed stream of a PDF, inflated (for finding words in tests).
    pub(crate) fn pdf_text(pdf: &[u8]) -> String {
        use std::io::Read;
        let mut out = String::new();
        let mut rest = pdf;
        while let Some(at) = rest.windows(7).position(|w| w == b"stream\n") {
            let body = &rest[at + 7..];
            let end = body
                .windows(9)
                .position(|w| w == b"endstream")
                .unwrap_or(body.len());
            let mut s = Vec::new();
            if flate2::read::ZlibDecoder::new(&body[..end])
                .read_to_end(&mut s)
                .is_ok()
            {
                out.push_str(&String::from_utf8_lossy(&s));
            }
            rest = &body[(end + 9).min(body.len())..];
        }
        out
    }
}
