//! The embedded fonts, and measuring and wrapping text set in them.

pub(super) static REGULAR: &[u8] = include_bytes!("../../../fonts/LiberationSans-Regular.ttf");
pub(super) static BOLD: &[u8] = include_bytes!("../../../fonts/LiberationSans-Bold.ttf");

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
pub(super) fn text_width(s: &str, bold: bool, size: f32) -> f32 {
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
pub(super) fn wrap(s: &str, bold: bool, size: f32, width: f32) -> Vec<String> {
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

#[cfg(test)]
mod tests {
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
}
