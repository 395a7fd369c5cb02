//! A drawing for a PDF ([`super::PdfWriter::figure`]): lines, filled shapes and labels in the
//! drawing's own units, top-left origin with y down (as in SVG), scaled to the page's width when
//! it is laid out. The charts drawn as SVG for the web say the same things in this form
//! (`impact::svg::drawing`), so the PDF shows the chart the page shows.

/// A colour as red, green and blue.
pub(crate) type Rgb = (u8, u8, u8);

/// `#rrggbb` as a colour (black when it is not one).
pub(crate) fn rgb(hex: &str) -> Rgb {
    let h = hex.trim_start_matches('#');
    let part = |i: usize| {
        h.get(i..i + 2)
            .and_then(|p| u8::from_str_radix(p, 16).ok())
            .unwrap_or(0)
    };
    if h.len() == 6 {
        (part(0), part(2), part(4))
    } else {
        (0, 0, 0)
    }
}

/// How a line is drawn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pen {
    pub colour: Rgb,
    pub width: f32,
    /// Dash and gap lengths; empty for a solid line.
    pub dash: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// A line through the points; closed (and filled, when `fill` is given) if `closed`.
    Path {
        points: Vec<(f32, f32)>,
        stroke: Option<Pen>,
        fill: Option<Rgb>,
        closed: bool,
    },
    /// A label with its baseline at `y`, starting at `x` (or ending there, when `ends_at_x`),
    /// turned by `rotate` degrees about (`x`, `y`).
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        ends_at_x: bool,
        rotate: f32,
    },
}

/// A drawing `width` by `height` units.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drawing {
    pub width: f32,
    pub height: f32,
    pub shapes: Vec<Shape>,
}

impl Drawing {
    /// Every label's text, in order (for tests).
    #[cfg(test)]
    pub(crate) fn texts(&self) -> Vec<&str> {
        self.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text { text, .. } => Some(text.as_str()),
                Shape::Path { .. } => None,
            })
            .collect()
    }
}

/// The points of a polygon approximating a circle (for markers).
pub(crate) fn circle(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
    (0..16)
        .map(|i| {
            let a = std::f32::consts::TAU * i as f32 / 16.0;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_read_from_hex() {
        assert_eq!(rgb("#1d70b8"), (0x1d, 0x70, 0xb8));
        assert_eq!(rgb("none"), (0, 0, 0));
        assert_eq!(circle(0.0, 0.0, 2.0).len(), 16);
    }
}
