//! Telling a JSON report from an XML one by its first non-blank byte, for
//! formats whose tools write both, without reading the report twice.

use std::io::{BufRead, BufReader, Read};

use crate::{ParseError, Shape};

/// How much of the report is looked at before it is parsed.
const PEEK: usize = 64 * 1024;

/// What a report's first non-blank byte says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Json,
    Xml,
    /// Nothing but blanks.
    Empty,
    /// Any other byte.
    Other,
}

/// A report whose start has been looked at; `reader` reads it from its first
/// non-blank byte.
pub(crate) struct Peeked<'a> {
    pub syntax: Syntax,
    pub reader: BufReader<&'a mut dyn Read>,
}

impl Peeked<'_> {
    /// The start of the report as detection sees it (the XML root element,
    /// JSON keys), from what has been read so far.
    pub fn shape(&self) -> Shape<'_> {
        Shape::of(self.reader.buffer())
    }
}

/// Skips leading blanks (and a UTF-8 byte order mark) and says what follows.
pub(crate) fn peek(reader: &mut dyn Read) -> Result<Peeked<'_>, ParseError> {
    let mut reader = BufReader::with_capacity(PEEK, reader);
    loop {
        let buffer = reader.fill_buf().map_err(ParseError::Io)?;
        let blank = buffer.iter().take_while(|b| is_blank(**b)).count();
        let first = buffer.get(blank).copied();
        reader.consume(blank);
        let syntax = match first {
            Some(b'{' | b'[') => Syntax::Json,
            Some(b'<') => Syntax::Xml,
            Some(_) => Syntax::Other,
            None if blank > 0 => continue,
            None => Syntax::Empty,
        };
        return Ok(Peeked { syntax, reader });
    }
}

/// ASCII blanks and the bytes of a UTF-8 byte order mark, none of which can
/// start a JSON or XML document.
fn is_blank(byte: u8) -> bool {
    byte.is_ascii_whitespace() || matches!(byte, 0xEF | 0xBB | 0xBF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_of(bytes: &[u8]) -> (Syntax, String) {
        let mut bytes = bytes;
        let mut peeked = peek(&mut bytes).unwrap();
        let mut rest = String::new();
        peeked.reader.read_to_string(&mut rest).unwrap();
        (peeked.syntax, rest)
    }

    #[test]
    fn the_first_non_blank_byte_decides() {
        assert_eq!(syntax_of(b"\xEF\xBB\xBF  \n{\"a\": 1}"), (Syntax::Json, "{\"a\": 1}".into()));
        assert_eq!(syntax_of(b"\r\n<?xml?><bom/>").0, Syntax::Xml);
        assert_eq!(syntax_of(b"[]").0, Syntax::Json);
        assert_eq!(syntax_of(b" \n\t ").0, Syntax::Empty);
        assert_eq!(syntax_of(b"").0, Syntax::Empty);
        assert_eq!(syntax_of(b"name,severity").0, Syntax::Other);
    }

    #[test]
    fn blanks_longer_than_the_buffer_are_skipped() {
        let mut report = vec![b' '; PEEK * 2 + 7];
        report.extend_from_slice(b"<bom/>");
        let mut bytes = report.as_slice();
        let peeked = peek(&mut bytes).unwrap();
        assert_eq!(peeked.syntax, Syntax::Xml);
        assert!(peeked.shape().is_xml_root("bom"));
    }
}
