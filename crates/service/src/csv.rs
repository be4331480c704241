//! CSV cells as RFC 4180 quotes them, for the tables fixgate writes: a
//! field with a comma, a quote or a line break goes in quotes, its quotes
//! doubled. Text that came from reports or people can also be made safe to
//! open in a spreadsheet, which would run a cell starting with `=`, `+`,
//! `-` or `@` as a formula.

/// Appends `field`, quoted when it must be.
pub(crate) fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Appends `text` as a cell a spreadsheet shows as text: one that a
/// spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`.
pub(crate) fn push_text(out: &mut String, text: &str) {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        push_field(out, &format!("'{text}"));
    } else {
        push_field(out, text);
    }
}

/// Appends a row of text cells (see [`push_text`]) and a CRLF.
pub(crate) fn push_text_row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_text(out, cell);
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        let mut out = String::new();
        push_field(&mut out, "say \"hi\", twice");
        assert_eq!(out, "\"say \"\"hi\"\", twice\"");
        let mut out = String::new();
        push_field(&mut out, "two\nlines");
        assert_eq!(out, "\"two\nlines\"");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_start_with_a_quote() {
        for (text, cell) in [
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("plain = text", "plain = text"),
        ] {
            let mut out = String::new();
            push_text(&mut out, text);
            assert_eq!(out, cell, "{text:?}");
        }
        let mut out = String::new();
        push_text_row(&mut out, ["a", "=b", ""]);
        assert_eq!(out, "a,'=b,\r\n");
    }
}
