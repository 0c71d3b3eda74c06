//! Text from a dump made safe for a terminal and fitted to table columns.
//!
//! Span names, service names and attribute values come from whatever produced the dump, often
//! from request routes: printed raw, an escape sequence in one could retitle the terminal,
//! clear it or hide lines. Every human output passes dump text through [`escape`], and tables
//! measure it with [`width`] (columns on screen, so CJK names keep the layout).

use std::borrow::Cow;

/// `s` with every control character written as an escape: `\n`, `\r`, `\t`, and `\u{1b}`
/// for the rest (C0, DEL, C1), and the bidirectional-text controls, which reorder what
/// follows them on screen.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// How many terminal columns `s` takes (after [`escape`]): East Asian wide and fullwidth
/// characters and emoji take two, combining marks and zero-width characters none.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    match u {
        0x0300..=0x036f
        | 0x0483..=0x0489
        | 0x0591..=0x05bd
        | 0x0610..=0x061a
        | 0x064b..=0x065f
        | 0x1ab0..=0x1aff
        | 0x1dc0..=0x1dff
        | 0x200b..=0x200f
        | 0x20d0..=0x20ff
        | 0xfe00..=0xfe0f
        | 0xfe20..=0xfe2f => 0,
        0x1100..=0x115f
        | 0x231a..=0x231b
        | 0x2329..=0x232a
        | 0x23e9..=0x23ec
        | 0x23f0
        | 0x23f3
        | 0x25fd..=0x25fe
        | 0x2614..=0x2615
        | 0x2648..=0x2653
        | 0x267f
        | 0x2693
        | 0x26a1
        | 0x26aa..=0x26ab
        | 0x26bd..=0x26be
        | 0x26c4..=0x26c5
        | 0x26ce
        | 0x26d4
        | 0x26ea
        | 0x26f2..=0x26f3
        | 0x26f5
        | 0x26fa
        | 0x26fd
        | 0x2705
        | 0x270a..=0x270b
        | 0x2728
        | 0x274c
        | 0x274e
        | 0x2753..=0x2755
        | 0x2757
        | 0x2795..=0x2797
        | 0x27b0
        | 0x27bf
        | 0x2b1b..=0x2b1c
        | 0x2b50
        | 0x2b55
        | 0x2e80..=0x303e
        | 0x3041..=0x33ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf
        | 0xa960..=0xa97f
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe10..=0xfe19
        | 0xfe30..=0xfe6f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x1f004
        | 0x1f0cf
        | 0x1f18e
        | 0x1f191..=0x1f19a
        | 0x1f200..=0x1f251
        | 0x1f300..=0x1f64f
        | 0x1f680..=0x1f6ff
        | 0x1f900..=0x1f9ff
        | 0x1fa70..=0x1faff
        | 0x20000..=0x3fffd => 2,
        _ => 1,
    }
}

/// `s` escaped and cut to at most `cols` columns (the cut marked with `…`).
pub fn clip(s: &str, cols: usize) -> String {
    let s = escape(s);
    if width(&s) <= cols {
        return s.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > cols {
            break;
        }
        out.push(c);
        used += w;
    }
    if cols > 0 {
        out.push('…');
    }
    out
}

/// `s` escaped, cut to `cols` columns and padded with spaces to exactly `cols`.
pub fn fit(s: &str, cols: usize) -> String {
    let mut t = clip(s, cols);
    let w = width(&t);
    t.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    t
}

/// `s` (already escaped) padded on the left to `cols` columns.
pub fn pad_left(s: &str, cols: usize) -> String {
    format!("{}{s}", " ".repeat(cols.saturating_sub(width(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_out() {
        assert_eq!(escape("evil\u{1b}]0;pwned\u{7}\u{1b}[2J"), "evil\\u{1b}]0;pwned\\u{7}\\u{1b}[2J");
        assert_eq!(escape("a\nb\tc\u{202e}d\u{9b}"), "a\\nb\\tc\\u{202e}d\\u{9b}");
        assert!(matches!(escape("plain /api/{id} ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn columns_count_wide_characters_twice() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("注文サービス"), 12);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(fit("注文サービス", 8), "注文サ… ");
        assert_eq!(width(&fit("注文サービス", 8)), 8);
        assert_eq!(fit("a\nb", 6), "a\\nb  ");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(pad_left("注", 4), "  注");
    }
}
