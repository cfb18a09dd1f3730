//! Drawing on A4 pages with printpdf's built-in Helvetica: text placed in millimetres from the
//! bottom left, amounts right-aligned by the font's published widths, boxes and rules.

use printpdf::{
    BuiltinFont, Color, Greyscale, IndirectFontRef, Line, Mm, PdfDocument, PdfDocumentReference,
    PdfLayerReference, Point,
};

pub const WIDTH: f32 = 210.0;
pub const HEIGHT: f32 = 297.0;
pub const LEFT: f32 = 20.0;
pub const RIGHT: f32 = 190.0;

/// The built-in fonts encode WinAnsi; characters outside Latin-1 are shown as `?`.
fn latin1(text: &str) -> String {
    text.chars()
        .map(|c| if (c as u32) < 256 { c } else { '?' })
        .collect()
}

/// Letters' advances in Helvetica and Helvetica-Bold, `A`–`Z` then `a`–`z`, in thousandths
/// of the font size (Adobe's AFM files for the two faces).
const REGULAR: [u16; 52] = [
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222,
    833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,
];
const BOLD: [u16; 52] = [
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278,
    889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500,
];

/// A character's advance; digits and the marks in figures are the same in both faces, and
/// anything else counts as a wide letter, to keep estimates on the safe side.
fn advance(c: char, bold: bool) -> u16 {
    let letters = if bold { &BOLD } else { &REGULAR };
    match c {
        'A'..='Z' => letters[c as usize - 'A' as usize],
        'a'..='z' => letters[26 + c as usize - 'a' as usize],
        ' ' | ',' | '.' | '/' => 278,
        ':' if bold => 333,
        ':' => 278,
        '-' | '(' | ')' => 333,
        '0'..='9' => 556,
        _ => 722,
    }
}

/// The width of `text` at `size` points, in millimetres.
pub fn width(text: &str, size: f32, bold: bool) -> f32 {
    let thousandths: u32 = text.chars().map(|c| u32::from(advance(c, bold))).sum();
    thousandths as f32 / 1000.0 * size * 25.4 / 72.0
}

/// `text` cut, with an ellipsis, to fit `max` millimetres at `size` points.
pub fn fitted(text: &str, size: f32, max: f32) -> String {
    if width(text, size, false) <= max {
        return text.to_string();
    }
    let room = max - width("...", size, false);
    let mut cut = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        used += width(&c.to_string(), size, false);
        if used > room {
            break;
        }
        cut.push(c);
    }
    format!("{}...", cut.trim_end())
}

pub struct Canvas {
    pub doc: PdfDocumentReference,
    pages: Vec<PdfLayerReference>,
    font: IndirectFontRef,
    bold: IndirectFontRef,
}

impl Canvas {
    pub fn new(title: &str) -> Result<Canvas, printpdf::Error> {
        let (doc, page, layer) = PdfDocument::new(title, Mm(WIDTH), Mm(HEIGHT), "page");
        let font = doc.add_builtin_font(BuiltinFont::Helvetica)?;
        let bold = doc.add_builtin_font(BuiltinFont::HelveticaBold)?;
        let first = doc.get_page(page).get_layer(layer);
        Ok(Canvas {
            doc,
            pages: vec![first],
            font,
            bold,
        })
    }

    pub fn add_page(&mut self) -> usize {
        let (page, layer) = self.doc.add_page(Mm(WIDTH), Mm(HEIGHT), "page");
        self.pages.push(self.doc.get_page(page).get_layer(layer));
        self.pages.len() - 1
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn text(&self, page: usize, at: (f32, f32), size: f32, bold: bool, text: &str) {
        let font = if bold { &self.bold } else { &self.font };
        self.pages[page].use_text(latin1(text), size, Mm(at.0), Mm(at.1), font);
    }

    /// Text whose right edge is at `at.0`.
    pub fn text_right(&self, page: usize, at: (f32, f32), size: f32, bold: bool, text: &str) {
        self.text(
            page,
            (at.0 - width(text, size, bold), at.1),
            size,
            bold,
            text,
        );
    }

    /// A horizontal rule from `x1` to `x2` at `y`.
    pub fn rule(&self, page: usize, x1: f32, x2: f32, y: f32) {
        self.outline(page, &[(x1, y), (x2, y)], false);
    }

    /// A rectangle's outline, lower left to upper right.
    pub fn frame(&self, page: usize, ll: (f32, f32), ur: (f32, f32)) {
        let corners = [ll, (ur.0, ll.1), ur, (ll.0, ur.1)];
        self.outline(page, &corners, true);
    }

    fn outline(&self, page: usize, points: &[(f32, f32)], closed: bool) {
        let layer = &self.pages[page];
        layer.set_outline_color(Color::Greyscale(Greyscale::new(0.35, None)));
        layer.set_outline_thickness(0.6);
        layer.add_line(Line {
            points: points
                .iter()
                .map(|(x, y)| (Point::new(Mm(*x), Mm(*y)), false))
                .collect(),
            is_closed: closed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font_and_long_texts_are_cut_to_fit() {
        // Ten digits at 10 pt: 5,560 thousandths of 10 pt = 55.6 pt = 19.61 mm.
        assert!((width("0123456789", 10.0, false) - 19.61).abs() < 0.01);
        assert!(width("SEK", 10.0, true) > width("SEK", 10.0, false) - 0.001);
        assert!(width("W", 10.0, false) > width("i", 10.0, false) * 4.0);
        let long = "MyQ session 123 payment 456 for a very long print job name indeed";
        let cut = fitted(long, 8.5, 40.0);
        assert!(
            cut.ends_with("...") && width(&cut, 8.5, false) <= 40.0,
            "{cut}"
        );
        assert_eq!(fitted("short", 8.5, 40.0), "short");
    }
}
