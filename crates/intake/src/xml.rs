//! Reading XML reports safely: no DTD is accepted, so no entity is ever
//! expanded and no external file is ever read; nesting is bounded; then the
//! document is deserialized into the format's serde types.

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

/// Walks the document once: it must be well-formed, declare no DTD and nest
/// no deeper than the limit.
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
            Event::DocType(_) => {
                return Err(ParseError::Doctype { line: line_at(start) });
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
