//! Messages and titles: SARIF message templates filled in, and a one-line
//! title cut from longer text.

use super::model::{Message, MultiformatText};

/// Titles longer than this many characters are cut, so a rule that puts a
/// paragraph in its short description still gives a readable title.
const TITLE_MAX: usize = 200;

/// A result's message: its `text` (with `{0}` placeholders filled when it has
/// arguments), else the template its `id` names, filled in.
pub(crate) fn message<'a>(
    message: &Message,
    template: impl FnOnce(&str) -> Option<&'a MultiformatText>,
) -> Option<String> {
    if let Some(text) = non_blank(message.text.as_deref()) {
        return Some(if message.arguments.is_empty() {
            text.to_string()
        } else {
            fill(text, &message.arguments)
        });
    }
    let from_template = message
        .id
        .as_deref()
        .and_then(template)
        .and_then(|t| non_blank(t.text.as_deref()).or(non_blank(t.markdown.as_deref())))
        .map(|t| fill(t, &message.arguments));
    from_template.or_else(|| non_blank(message.markdown.as_deref()).map(str::to_string))
}

/// Fills `{0}`-style placeholders from `arguments`; `{{` and `}}` stand for
/// literal braces. A placeholder without an argument stays as written.
pub(crate) fn fill(template: &str, arguments: &[String]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        let (before, from_brace) = rest.split_at(at);
        out.push_str(before);
        rest = match placeholder(from_brace, arguments) {
            Some((replacement, len)) => {
                out.push_str(replacement);
                from_brace.get(len..).unwrap_or("")
            }
            None => {
                out.push_str(from_brace.get(..1).unwrap_or(""));
                from_brace.get(1..).unwrap_or("")
            }
        };
    }
    out.push_str(rest);
    out
}

/// What a brace sequence at the start of `text` stands for, and its length.
fn placeholder<'a>(text: &'a str, arguments: &'a [String]) -> Option<(&'a str, usize)> {
    if text.starts_with("{{") {
        return Some(("{", 2));
    }
    if text.starts_with("}}") {
        return Some(("}", 2));
    }
    let inner = text.strip_prefix('{')?;
    let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || inner.as_bytes().get(digits) != Some(&b'}') {
        return None;
    }
    let index: usize = inner.get(..digits)?.parse().ok()?;
    Some((arguments.get(index)?.as_str(), digits + 2))
}

/// The first sentence of `text`, on one line.
pub(crate) fn first_sentence(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let sentence = match line.find(". ") {
        Some(end) => line.get(..=end).unwrap_or(line),
        None => line,
    };
    one_line(sentence)
}

/// `text` with its whitespace collapsed, cut to [`TITLE_MAX`] characters.
pub(crate) fn one_line(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= TITLE_MAX {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(TITLE_MAX - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// `text` unless it is missing or only whitespace.
pub(crate) fn non_blank(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn placeholders_are_filled_from_arguments() {
        let filled = fill("Variable \"{0}\" declared [here]({1}).", &args(&["ptr", "0"]));
        assert_eq!(filled, "Variable \"ptr\" declared [here](0).");
    }

    #[test]
    fn doubled_braces_and_missing_arguments_stay_readable() {
        assert_eq!(fill("{{literal}} {0} {7} {x} {", &args(&["a"])), "{literal} a {7} {x} {");
        assert_eq!(fill("tail }", &[]), "tail }");
    }

    #[test]
    fn text_without_arguments_is_left_alone() {
        let m = Message { text: Some("map {{a}} {0}".into()), ..Message::default() };
        assert_eq!(message(&m, |_| None).as_deref(), Some("map {{a}} {0}"));
    }

    #[test]
    fn a_message_id_resolves_through_its_template() {
        let template = MultiformatText { text: Some("Bad {0}.".into()), markdown: None };
        let m =
            Message { id: Some("default".into()), arguments: args(&["x"]), ..Message::default() };
        let got = message(&m, |id| (id == "default").then_some(&template));
        assert_eq!(got.as_deref(), Some("Bad x."));
    }

    #[test]
    fn first_sentence_stops_at_a_full_stop_or_line_end() {
        assert_eq!(first_sentence("One thing. Another."), "One thing.");
        assert_eq!(first_sentence("\n  First line\nsecond"), "First line");
        assert_eq!(first_sentence("Use 1.5 or later"), "Use 1.5 or later");
    }

    #[test]
    fn long_titles_are_cut_on_a_character_boundary() {
        let long = "é".repeat(300);
        let cut = one_line(&long);
        assert_eq!(cut.chars().count(), TITLE_MAX);
        assert!(cut.ends_with('…'));
    }
}
