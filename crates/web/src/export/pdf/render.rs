//! Writing the laid-out pages as PDF with krilla: every text, line and shape drawn, and the
//! structure tree (headings, paragraphs, tables, figures) that makes it tagged.

use super::layout::{Block, Leaf, Op, PdfWriter, PAGE_H, PAGE_W};
use super::text::{BOLD, REGULAR};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::tagging::{
    ArtifactType, ContentTag, Identifier, Node, SpanTag, Tag, TagGroup, TagTree,
};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use std::collections::HashMap;

impl PdfWriter {
    /// The document as PDF bytes, titled `title` in its metadata (empty if krilla refuses it,
    /// which is logged).
    pub(crate) fn finish(self, title: &str) -> Vec<u8> {
        let fonts = (
            Font::new(REGULAR.into(), 0).expect("the embedded regular font loads"),
            Font::new(BOLD.into(), 0).expect("the embedded bold font loads"),
        );
        let mut doc = Document::new();
        let mut ids: HashMap<Leaf, Identifier> = HashMap::new();
        for (p, ops) in self.pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for (i, op) in ops.iter().enumerate() {
                if let Some(id) = draw(&mut surface, op, &fonts) {
                    ids.insert((p, i), id);
                }
            }
            surface.finish();
            page.finish();
        }
        doc.set_tag_tree(self.tag_tree(ids));
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

    /// The structure tree: each block in reading order, holding the drawn texts (by their
    /// `ids`, given as each was drawn) it is made of.
    fn tag_tree(&self, mut ids: HashMap<Leaf, Identifier>) -> TagTree {
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
        tree
    }
}

/// Draws one thing on a page, tagged: a text or a figure's line or label as content (its
/// identifier returned, for the structure tree), page furniture and rules as artifacts.
fn draw(surface: &mut Surface, op: &Op, (regular, bold): &(Font, Font)) -> Option<Identifier> {
    let grey = || Fill {
        paint: rgb::Color::new(77, 77, 77).into(),
        ..Fill::default()
    };
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
                surface.start_tagged(ContentTag::Artifact(krilla::tagging::Artifact::with_kind(
                    ArtifactType::PaginationOther,
                )))
            } else {
                surface.start_tagged(ContentTag::Span(
                    SpanTag::empty().with_actual_text(Some(text)),
                ))
            };
            surface.set_fill(Some(if *g { grey() } else { Fill::default() }));
            surface.draw_text(
                Point::from_xy(*x, *y),
                if *b { bold.clone() } else { regular.clone() },
                *size,
                text,
                false,
                TextDirection::Auto,
            );
            surface.end_tagged();
            (!*artifact).then_some(id)
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
                surface.set_stroke(stroke.as_ref().map(|pen| Stroke {
                    paint: rgb::Color::new(pen.colour.0, pen.colour.1, pen.colour.2).into(),
                    width: pen.width,
                    dash: (!pen.dash.is_empty()).then(|| StrokeDash {
                        array: pen.dash.clone(),
                        offset: 0.0,
                    }),
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
            surface.end_tagged();
            Some(id)
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
            Some(id)
        }
        Op::Rule { x1, x2, y } => {
            surface.start_tagged(ContentTag::Artifact(krilla::tagging::Artifact::with_kind(
                ArtifactType::Layout,
            )));
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
            None
        }
    }
}
