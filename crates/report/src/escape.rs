//! Making attacker-controlled text safe for terminals and spreadsheets.

use std::borrow::Cow;

/// True for characters that change how text around them is shown without being visible
/// themselves: bidirectional overrides and isolates (`evil\u{202e}lld.exe` shows as `evilexe.dll`),
/// zero-width characters, and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Replaces control characters (ESC, BEL, CR, NUL, C1 controls, …) and invisible format
/// characters (bidi overrides, zero-width) with visible escapes. Newlines and tabs are escaped too:
/// one field, one line.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{{{n:x}}}"));
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A Markdown table cell: control characters escaped, `|` kept from splitting the cell.
pub(crate) fn md(s: &str) -> String {
    escape_control(s).replace('|', "\\|")
}

/// Prefixes a cell that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) with `'`.
pub fn defuse_formula(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_are_neutralised() {
        assert_eq!(escape_control("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(escape_control("line\nbreak"), "line\\nbreak");
        assert_eq!(escape_control("plain"), "plain");
        assert_eq!(
            escape_control("evil\u{202e}lld.exe"),
            "evil\\u{202e}lld.exe"
        );
        assert_eq!(escape_control("a\u{200b}b"), "a\\u{200b}b");
        assert_eq!(
            escape_control("C:\\Users\\José\\a.dll"),
            "C:\\Users\\José\\a.dll"
        );
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defuse_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse_formula("C:\\x.dll"), "C:\\x.dll");
    }
}
