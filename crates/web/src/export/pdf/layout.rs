//! Laying out a document: headings, paragraphs, tables and figures placed on A4 pages, with
//! page breaks, and the structure (reading order) they are tagged with when written.

use super::text::{text_width, wrap};
use crate::export::drawing::{Drawing, Pen, Rgb, Shape};

pub(super) const PAGE_W: f32 = 595.0;
pub(super) const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const CELL_SIZE: f32 = 8.5;
const CELL_LEAD: f32 = CELL_SIZE * 1.35;

/// Something drawn on a page. `y` is the baseline, in points from the top of the page.
#[derive(Debug, Clone)]
pub(super) enum Op {
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
pub(super) type Leaf = (usize, usize);

/// The structure of the document, in reading order.
pub(super) enum Block {
    Heading(u16, Vec<Leaf>),
    Paragraph(Vec<Leaf>),
    Table(Vec<TableRow>),
    /// A drawing with its alternative text: its lines and labels.
    Figure(String, Vec<Leaf>),
}

pub(super) struct TableRow {
    pub(super) header: bool,
    pub(super) cells: Vec<Vec<Leaf>>,
}

/// A very small page-layout engine: headings, wrapped lines of text and simple tables whose
/// cells wrap, top to bottom, with page breaks that repeat a table's header. Text is real text
/// (selectable, searchable), and headings, paragraphs and tables are tagged as such.
pub(crate) struct PdfWriter {
    pub(super) pages: Vec<Vec<Op>>,
    pub(super) blocks: Vec<Block>,
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
    pub(super) fn texts(&self) -> Vec<String> {
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
}
