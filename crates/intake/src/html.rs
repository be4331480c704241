//! Plain text from the HTML fragments DAST tools write into their reports
//! (ZAP's `desc` and `solution`, Burp's backgrounds and details): paragraph,
//! line-break and list tags become line breaks, other tags are dropped, the
//! common character references are decoded, blank lines are dropped and
//! runs of spaces collapsed.
//!
//! This reads fragments for people to see as text; it is no sanitizer, and
//! what it returns is still untrusted text that pages must escape.

/// Tags whose start or end begins a new line.
const BLOCK_TAGS: &[&str] =
    &["p", "br", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"];

/// The text of an HTML fragment, one line per paragraph or list item.
pub(crate) fn to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        text.push_str(rest.get(..at).unwrap_or(""));
        let tag = rest.get(at..).unwrap_or("");
        match tag_end(tag) {
            Some(end) => {
                if is_block(tag.get(1..end).unwrap_or("")) {
                    text.push('\n');
                }
                rest = tag.get(end + 1..).unwrap_or("");
            }
            None => {
                text.push('<');
                rest = tag.get(1..).unwrap_or("");
            }
        }
    }
    text.push_str(rest);
    tidy(&decode_entities(&text))
}

/// The index of the `>` that closes a tag starting at `text[0]`, when the
/// `<` opens a tag at all (`a < b` does not).
fn tag_end(text: &str) -> Option<usize> {
    let next = text.chars().nth(1)?;
    if !(next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')) {
        return None;
    }
    text.find('>')
}

fn is_block(inside: &str) -> bool {
    let name: String = inside
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    BLOCK_TAGS.contains(&name.as_str())
}

/// Decodes the named references tools use and numeric ones; anything else
/// stays as written.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let reference = rest.get(at..).unwrap_or("");
        let end = reference.find(';').filter(|end| *end <= 10);
        match end.and_then(|end| Some((end, entity(reference.get(1..end)?)?))) {
            Some((end, c)) => {
                out.push(c);
                rest = reference.get(end + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = reference.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let named = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => None,
    };
    let numeric = || {
        let digits = name.strip_prefix('#')?;
        let code = match digits.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => digits.parse().ok()?,
        };
        char::from_u32(code)
    };
    named.or_else(numeric)
}

/// Trims every line, collapses runs of spaces and drops blank lines: the
/// same text written as compact or as indented HTML reads the same.
fn tidy(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_lines_and_tags_go() {
        assert_eq!(
            to_text("<p>First <b>bold</b> line.</p><p>Second&nbsp;line &amp; more</p>"),
            "First bold line.\nSecond line & more"
        );
        assert_eq!(to_text("one<br/>two<BR>three"), "one\ntwo\nthree");
        assert_eq!(to_text("<ul><li>a</li><li>b</li></ul>"), "a\nb");
        assert_eq!(to_text("  plain\n\n\n text  "), "plain\ntext");
        assert_eq!(to_text("<p>a</p>\n  <p>b</p>"), to_text("<p>a</p><p>b</p>"));
    }

    #[test]
    fn text_that_only_looks_like_html_stays() {
        assert_eq!(to_text("a < b and c > d"), "a < b and c > d");
        assert_eq!(to_text("AT&T &unknown; &#60;x&#x3E;"), "AT&T &unknown; <x>");
        assert_eq!(to_text("&lt;script&gt;alert(1)&lt;/script&gt;"), "<script>alert(1)</script>");
        assert_eq!(to_text("unclosed <tag"), "unclosed <tag");
        assert_eq!(to_text(""), "");
    }
}
