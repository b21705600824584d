//! House typography for everything the demo generates: curly quotes and
//! apostrophes (‘ ’ “ ”), spaced en dashes for asides ( – ), en dashes in
//! number ranges and scores (2–1), em dashes for `--`, and an ellipsis.
//!
//! Templates are written with plain ASCII quotes and hyphens (easier to
//! type and to review); [`smarten`] is applied to every finished string.

/// Curly quotes and proper dashes in `s`.
pub(crate) fn smarten(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = out.chars().next_back();
        let next = chars.get(i + 1).copied();
        match c {
            '"' => out.push(if opens(prev) { '“' } else { '”' }),
            '\'' => {
                // An apostrophe or closing quote after a letter, digit or
                // punctuation; an opening quote at the start of a word.
                let opening = opens(prev) && next.is_some_and(|n| n.is_alphanumeric());
                out.push(if opening { '‘' } else { '’' });
            }
            '-' if next == Some('-') => {
                out.push('—');
                i += 1;
            }
            '-' if prev == Some(' ') && next == Some(' ') => out.push('–'),
            '-' if prev.is_some_and(|p| p.is_ascii_digit())
                && next.is_some_and(|n| n.is_ascii_digit()) =>
            {
                out.push('–');
            }
            '.' if next == Some('.') && chars.get(i + 2) == Some(&'.') => {
                out.push('…');
                i += 2;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether a quote after `prev` opens (start of text, after a space,
/// bracket, dash or another opening quote).
fn opens(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(p) => p.is_whitespace() || "([{‘“–—/".contains(p),
    }
}

/// True when `s` has no straight quote and no spaced or doubled hyphen.
#[cfg(test)]
pub(crate) fn is_smart(s: &str) -> bool {
    !s.contains('"') && !s.contains('\'') && !s.contains(" - ") && !s.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_apostrophes_and_dashes() {
        assert_eq!(
            smarten("\"It's the club's best year,\" she said - and 'Lifeline' won 2-1 -- again..."),
            "“It’s the club’s best year,” she said – and ‘Lifeline’ won 2–1 — again…"
        );
        assert_eq!(
            smarten("> \"We were told 'wait',\" said Ms O'Hara (\"never\")."),
            "> “We were told ‘wait’,” said Ms O’Hara (“never”)."
        );
        assert_eq!(
            smarten("the Wanderers' win, the 1990s"),
            "the Wanderers’ win, the 1990s"
        );
        assert_eq!(smarten("a well-known A-road"), "a well-known A-road");
        assert!(is_smart(&smarten("\"a\" - 'b' -- c")));
    }
}
