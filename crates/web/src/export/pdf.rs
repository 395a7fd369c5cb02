//! PDF: a small page-layout engine over krilla, which writes tagged (accessible) PDF with the
//! embedded, subsetted Liberation Sans (SIL Open Font Licence, `fonts/LICENSE-OFL.txt`).

use super::drawing::{Drawing, Pen, Rgb, Shape};

static REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/LiberationSans-Bold.ttf");

/// The two faces, parsed once, for measuring text.
fn faces() -> &'static (ttf_parser::Face<'static>, ttf_parser::Face<'static>) {
    static FACES: std::sync::OnceLock<(ttf_parser::Face<'static>, ttf_parser::Face<'static>)> =
        std::sync::OnceLock::new();
    FACES.get_or_init(|| {
        (
            ttf_parser::Face::parse(REGULAR, 0).expect("the embedded regular font parses"),
            ttf_parser::Face::parse(BOLD, 0).expect("the embedded bold font parses"),
        )
    })
}

/// How wide `s` is in points, set in Liberation Sans at `size`.
fn text_width(s: &str, bold: bool, size: f32) -> f32 {
    let (regular, bold_face) = faces();
    let face = if bold { bold_face } else { regular };
    let units: f32 = s
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .unwrap_or(face.units_per_em() / 2) as f32
        })
        .sum();
    units * size / f32::from(face.units_per_em())
}

/// Breaks `s` into lines no wider than `width` points, at spaces; a word wider than a whole
/// line is broken between characters. Nothing is ever left out.
fn wrap(s: &str, bold: bool, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, bold, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if text_width(&line, bold, size) > width && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
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
const CELL_SIZE: f32 = 8.5;
const CELL_LEAD: f32 = CELL_SIZE * 1.35;

/// Something drawn on a page. `y` is the baseline, in points from the top of the page.
#[derive(Debug, Clone)]
enum Op {
    Text {
        bold: bool,
        size: f32,
        x: f32,
        y: f32,
        text: String,
        grey: bool,
        /// Page furniture (footer, a header repeated after a page break): not read aloud.
        artifact: bool,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
    /// A line or shape of a figure, in page points.
    Path {
        points: Vec<(f32, f32)>,
        stroke: Option<Pen>,
        fill: Option<Rgb>,
        closed: bool,
    },
    /// A label of a figure: drawn from `x + dx` on the baseline `y`, turned by `rotate`
    /// degrees about (`x`, `y`).
    Label {
        size: f32,
        x: f32,
        y: f32,
        dx: f32,
        rotate: f32,
        text: String,
    },
}

/// A drawn text, by page and position on it: a leaf of the structure tree.
type Leaf = (usize, usize);

/// The structure of the document, in reading order.
enum Block {
    Heading(u16, Vec<Leaf>),
    Paragraph(Vec<Leaf>),
    Table(Vec<TableRow>),
    /// A drawing with its alternative text: its lines and labels.
    Figure(String, Vec<Leaf>),
}

struct TableRow {
    header: bool,
    cells: Vec<Vec<Leaf>>,
}

/// A very small page-layout engine: headings, wrapped lines of text and simple tables whose
/// cells wrap, top to bottom, with page breaks that repeat a table's header. Text is real text
/// (selectable, searchable), and headings, paragraphs and tables are tagged as such.
pub(crate) struct PdfWriter {
    pages: Vec<Vec<Op>>,
    blocks: Vec<Block>,
    /// Distance of the last baseline from the top of the page.
    y: f32,
    footer: String,
}

impl PdfWriter {
    pub(crate) fn new(footer: String) -> PdfWriter {
        let mut w = PdfWriter {
            pages: Vec::new(),
            blocks: Vec::new(),
            y: 0.0,
            footer,
        };
        w.new_page();
        w
    }

    fn new_page(&mut self) {
        let n = self.pages.len() + 1;
        self.pages.push(vec![Op::Text {
            bold: false,
            size: 8.0,
            x: MARGIN,
            y: PAGE_H - MARGIN + 20.0,
            text: format!("{} - page {n}", self.footer),
            grey: false,
            artifact: true,
        }]);
        self.y = MARGIN;
    }

    /// Draws a text on the current page and returns where it is.
    fn put(&mut self, op: Op) -> Leaf {
        let page = self.pages.len() - 1;
        let ops = &mut self.pages[page];
        ops.push(op);
        (page, ops.len() - 1)
    }

    fn need(&mut self, height: f32) -> bool {
        if self.y + height > PAGE_H - MARGIN {
            self.new_page();
            return true;
        }
        false
    }

    /// A heading (bold, 12 points or more) or a paragraph, wrapped to the page's width.
    pub(crate) fn line(&mut self, bold: bool, size: f32, s: &str) {
        let mut leaves = Vec::new();
        for l in wrap(s, bold, size, PAGE_W - 2.0 * MARGIN) {
            self.need(size * 1.4);
            self.y += size * 1.4;
            leaves.push(self.put(Op::Text {
                bold,
                size,
                x: MARGIN,
                y: self.y,
                text: l,
                grey: false,
                artifact: false,
            }));
        }
        if leaves.is_empty() {
            return;
        }
        self.blocks.push(match (bold, size) {
            (true, s) if s >= 15.0 => Block::Heading(1, leaves),
            (true, s) if s >= 12.0 => Block::Heading(2, leaves),
            _ => Block::Paragraph(leaves),
        });
    }

    pub(crate) fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn cell_lines(widths: &[f32], cells: &[String], bold: bool) -> Vec<Vec<String>> {
        widths
            .iter()
            .zip(cells)
            .map(|(w, c)| wrap(c, bold, CELL_SIZE, w - 6.0))
            .collect()
    }

    fn row_height(lines: &[Vec<String>]) -> f32 {
        lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * CELL_LEAD + 3.0
    }

    /// Draws one row whose cells wrap; returns each cell's leaves.
    fn row(
        &mut self,
        widths: &[f32],
        lines: &[Vec<String>],
        bold: bool,
        artifact: bool,
    ) -> Vec<Vec<Leaf>> {
        let top = self.y;
        let mut x = MARGIN;
        let mut cells = Vec::new();
        for (w, cell) in widths.iter().zip(lines) {
            let mut leaves = Vec::new();
            for (i, l) in cell.iter().enumerate() {
                leaves.push(self.put(Op::Text {
                    bold,
                    size: CELL_SIZE,
                    x,
                    y: top + CELL_LEAD * (i as f32 + 1.0),
                    text: l.clone(),
                    grey: false,
                    artifact,
                }));
            }
            cells.push(leaves);
            x += w;
        }
        self.y = top + Self::row_height(lines);
        if bold {
            let y = self.y - 1.0;
            if let Some(p) = self.pages.last_mut() {
                p.push(Op::Rule {
                    x1: MARGIN,
                    x2: x,
                    y,
                });
            }
        }
        cells
    }

    /// A table with a header row, repeated after a page break; `notes` are wrapped lines
    /// printed under a row (for example what someone learned). Cells wrap: nothing is cut.
    pub(crate) fn table(
        &mut self,
        widths: &[f32],
        header: &[&str],
        rows: &[(Vec<String>, String)],
    ) {
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let header_lines = Self::cell_lines(widths, &header, true);
        let mut out = Vec::new();
        self.need(Self::row_height(&header_lines) + 2.0 * CELL_LEAD);
        out.push(TableRow {
            header: true,
            cells: self.row(widths, &header_lines, true, false),
        });
        let note_width = widths.iter().sum::<f32>().min(PAGE_W - 2.0 * MARGIN) - 12.0;
        for (cells, note) in rows {
            let lines = Self::cell_lines(widths, cells, false);
            let note_lines = if note.is_empty() {
                Vec::new()
            } else {
                wrap(note, false, 8.0, note_width)
            };
            let height = Self::row_height(&lines) + note_lines.len() as f32 * 11.0;
            if self.need(height) {
                self.row(widths, &header_lines, true, true);
            }
            out.push(TableRow {
                header: false,
                cells: self.row(widths, &lines, false, false),
            });
            if !note_lines.is_empty() {
                let mut leaves = Vec::new();
                for l in note_lines {
                    self.y += 11.0;
                    leaves.push(self.put(Op::Text {
                        bold: false,
                        size: 8.0,
                        x: MARGIN + 12.0,
                        y: self.y,
                        text: l,
                        grey: true,
                        artifact: false,
                    }));
                }
                self.y += 3.0;
                out.push(TableRow {
                    header: false,
                    cells: vec![leaves],
                });
            }
        }
        self.blocks.push(Block::Table(out));
    }

    /// A drawing (a chart), scaled to the page's width, with `alt` as its alternative text
    /// (what a screen reader says of it); tagged as a figure holding its lines and labels.
    pub(crate) fn figure(&mut self, alt: &str, d: &Drawing) {
        let room = PAGE_W - 2.0 * MARGIN;
        let scale = if d.width > room { room / d.width } else { 1.0 };
        let height = d.height * scale;
        self.need(height + 6.0);
        let (left, top) = (MARGIN, self.y + 6.0);
        let at = |x: f32, y: f32| (left + x * scale, top + y * scale);
        let mut leaves = Vec::new();
        for shape in &d.shapes {
            let op = match shape {
                Shape::Path {
                    points,
                    stroke,
                    fill,
                    closed,
                } => Op::Path {
                    points: points.iter().map(|&(x, y)| at(x, y)).collect(),
                    stroke: stroke.as_ref().map(|p| Pen {
                        width: p.width * scale,
                        dash: p.dash.iter().map(|d| d * scale).collect(),
                        colour: p.colour,
                    }),
                    fill: *fill,
                    closed: *closed,
                },
                Shape::Text {
                    x,
                    y,
                    size,
                    text,
                    ends_at_x,
                    rotate,
                } => {
                    let size = size * scale;
                    let width = text_width(text, false, size);
                    let (x, y) = at(*x, *y);
                    Op::Label {
                        size,
                        x,
                        y,
                        dx: if *ends_at_x { -width } else { 0.0 },
                        rotate: *rotate,
                        text: text.clone(),
                    }
                }
            };
            leaves.push(self.put(op));
        }
        self.y = top + height;
        self.blocks.push(Block::Figure(alt.to_string(), leaves));
    }

    /// Every text in reading order, page furniture left out (what a screen reader reads).
    #[cfg(test)]
    fn texts(&self) -> Vec<String> {
        self.pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text {
                    text,
                    artifact: false,
                    ..
                } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn finish(self, title: &str) -> Vec<u8> {
        use krilla::color::rgb;
        use krilla::geom::{PathBuilder, Point, Transform};
        use krilla::metadata::Metadata;
        use krilla::page::PageSettings;
        use krilla::paint::{Fill, Stroke, StrokeDash};
        use krilla::tagging::{
            ArtifactType, ContentTag, Identifier, Node, SpanTag, Tag, TagGroup, TagTree,
        };
        use krilla::text::{Font, TextDirection};
        use krilla::Document;
        use std::collections::HashMap;

        let regular = Font::new(REGULAR.into(), 0).expect("the embedded regular font loads");
        let bold = Font::new(BOLD.into(), 0).expect("the embedded bold font loads");
        let mut doc = Document::new();
        let mut ids: HashMap<Leaf, Identifier> = HashMap::new();
        let grey = Fill {
            paint: rgb::Color::new(77, 77, 77).into(),
            ..Fill::default()
        };
        for (p, ops) in self.pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for (i, op) in ops.iter().enumerate() {
                match op {
                    Op::Text {
                        bold: b,
                        size,
                        x,
                        y,
                        text,
                        grey: g,
                        artifact,
                    } => {
                        let id = if *artifact {
                            surface.start_tagged(ContentTag::Artifact(
                                krilla::tagging::Artifact::with_kind(ArtifactType::PaginationOther),
                            ))
                        } else {
                            surface.start_tagged(ContentTag::Span(
                                SpanTag::empty().with_actual_text(Some(text)),
                            ))
                        };
                        surface.set_fill(Some(if *g { grey.clone() } else { Fill::default() }));
                        surface.draw_text(
                            Point::from_xy(*x, *y),
                            if *b { bold.clone() } else { regular.clone() },
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                        surface.end_tagged();
                        if !*artifact {
                            ids.insert((p, i), id);
                        }
                    }
                    Op::Path {
                        points,
                        stroke,
                        fill,
                        closed,
                    } => {
                        let id = surface.start_tagged(ContentTag::Other);
                        let mut pb = PathBuilder::new();
                        for (k, &(x, y)) in points.iter().enumerate() {
                            if k == 0 {
                                pb.move_to(x, y);
                            } else {
                                pb.line_to(x, y);
                            }
                        }
                        if *closed {
                            pb.close();
                        }
                        if let Some(path) = pb.finish() {
                            surface.set_fill(fill.map(|(r, g, b)| Fill {
                                paint: rgb::Color::new(r, g, b).into(),
                                ..Fill::default()
                            }));
                            surface.set_stroke(
                                stroke.as_ref().map(|pen| Stroke {
                                    paint: rgb::Color::new(
                                        pen.colour.0,
                                        pen.colour.1,
                                        pen.colour.2,
                                    )
                                    .into(),
                                    width: pen.width,
                                    dash: (!pen.dash.is_empty()).then(|| StrokeDash {
                                        array: pen.dash.clone(),
                                        offset: 0.0,
                                    }),
                                    ..Stroke::default()
                                }),
                            );
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                        }
                        surface.end_tagged();
                        ids.insert((p, i), id);
                    }
                    Op::Label {
                        size,
                        x,
                        y,
                        dx,
                        rotate,
                        text,
                    } => {
                        let id = surface.start_tagged(ContentTag::Span(
                            SpanTag::empty().with_actual_text(Some(text)),
                        ));
                        surface.set_fill(Some(Fill::default()));
                        surface.push_transform(&Transform::from_rotate_at(*rotate, *x, *y));
                        surface.draw_text(
                            Point::from_xy(*x + *dx, *y),
                            regular.clone(),
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                        surface.pop();
                        surface.end_tagged();
                        ids.insert((p, i), id);
                    }
                    Op::Rule { x1, x2, y } => {
                        surface.start_tagged(ContentTag::Artifact(
                            krilla::tagging::Artifact::with_kind(ArtifactType::Layout),
                        ));
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x1, *y);
                        pb.line_to(*x2, *y);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: 0.5,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                        }
                        surface.end_tagged();
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        let mut leaves = |group: &mut TagGroup, ls: &[Leaf]| {
            for l in ls {
                if let Some(id) = ids.remove(l) {
                    group.push(id);
                }
            }
        };
        let mut tree = TagTree::new().with_lang(Some("en-GB".into()));
        for block in &self.blocks {
            let node: Node = match block {
                Block::Heading(level, ls) => {
                    let level =
                        std::num::NonZeroU16::new(*level).unwrap_or(std::num::NonZeroU16::MIN);
                    let text = ls
                        .iter()
                        .filter_map(|(p, i)| match &self.pages[*p][*i] {
                            Op::Text { text, .. } => Some(text.as_str()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                    let mut g = TagGroup::new(Tag::Hn(level, Some(text)));
                    leaves(&mut g, ls);
                    g.into()
                }
                Block::Paragraph(ls) => {
                    let mut g = TagGroup::new(Tag::P);
                    leaves(&mut g, ls);
                    g.into()
                }
                Block::Figure(alt, ls) => {
                    let mut g = TagGroup::new(Tag::Figure(Some(alt.clone())));
                    leaves(&mut g, ls);
                    g.into()
                }
                Block::Table(rows) => {
                    let mut table = TagGroup::new(Tag::Table);
                    for r in rows {
                        let mut tr = TagGroup::new(Tag::TR);
                        for c in &r.cells {
                            let mut cell = if r.header {
                                TagGroup::new(Tag::TH(krilla::tagging::TableHeaderScope::Column))
                            } else {
                                TagGroup::new(Tag::TD)
                            };
                            leaves(&mut cell, c);
                            if !cell.children.is_empty() {
                                tr.push(cell);
                            }
                        }
                        if !tr.children.is_empty() {
                            table.push(tr);
                        }
                    }
                    table.into()
                }
            };
            tree.push(node);
        }
        doc.set_tag_tree(tree);
        doc.set_metadata(
            Metadata::new()
                .title(title.to_string())
                .creator("mashboard".into())
                .language("en-GB".into()),
        );
        doc.finish().unwrap_or_else(|e| {
            tracing::error!("PDF: {e:?}");
            Vec::new()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_whole_and_never_runs_past_its_width() {
        let title = "Safeguarding adults and children at risk of exploitation: the multi-agency referral, risk assessment and information sharing pathway";
        let lines = wrap(title, false, 9.0, 100.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| text_width(l, false, 9.0) <= 100.0));
        assert_eq!(lines.join(" "), title, "nothing is cut");
        let long_word = "x".repeat(200);
        assert_eq!(wrap(&long_word, true, 9.0, 50.0).concat(), long_word);
    }

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
