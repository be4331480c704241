//! What the DAST parsers share: evidence and similar texts cut short, since
//! they can hold personal data or secrets and only need to show what was
//! seen, and telling links from other reference text.

/// The first `max` characters of `text` on one line, with `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    format!("{}…", line.chars().take(max).collect::<String>())
}

/// Whether a reference entry is a web link rather than prose.
pub(crate) fn is_link(text: &str) -> bool {
    let text = text.trim();
    text.starts_with("http://") || text.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_are_one_line_and_marked() {
        assert_eq!(cut("a\n b  c", 10), "a b c");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("ключ-секрет", 4), "ключ…");
    }

    #[test]
    fn links_are_http_urls() {
        assert!(is_link(" https://owasp.org/x"));
        assert!(!is_link("OWASP Top 10"));
        assert!(!is_link("javascript:alert(1)"));
    }
}
