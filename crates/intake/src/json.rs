//! Reading JSON reports: a whole document into the format's serde types, or
//! a stream of JSON values (JSON lines), with errors that name the line and
//! column of broken JSON and the path of a field of the wrong shape.

use std::io::Read;

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::{Limits, ParseError, input};

/// Reads the whole report and deserializes it as `T`.
pub(crate) fn document<T: DeserializeOwned>(
    reader: &mut dyn Read,
    limits: &Limits,
    format: &'static str,
) -> Result<T, ParseError> {
    let text = read_text(reader, limits)?;
    from_str(&text, format)
}

/// Reads the whole report, which must be one JSON object, as `T`. serde
/// would read an array as a struct's fields in order; a report that is not
/// an object is refused, saying what it is instead.
pub(crate) fn object<T: DeserializeOwned>(
    reader: &mut dyn Read,
    limits: &Limits,
    format: &'static str,
) -> Result<T, ParseError> {
    let text = read_text(reader, limits)?;
    if !text.trim_start().starts_with('{') {
        let found = crate::formats::describe(text.as_bytes());
        return Err(ParseError::WrongShape { format, found });
    }
    from_str(&text, format)
}

/// Deserializes `text` as `T`, which must be all the text holds.
pub(crate) fn from_str<T: DeserializeOwned>(
    text: &str,
    format: &'static str,
) -> Result<T, ParseError> {
    let mut json = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        classify(error.into_inner(), format, path)
    })?;
    json.end().map_err(|error| classify(error, format, String::new()))?;
    Ok(value)
}

/// Reads a report that holds several JSON values: one per line (JSON lines),
/// one after another, or all in one top-level array. Blank text between them
/// is skipped; `each` gets every value in order.
pub(crate) fn values<T: DeserializeOwned>(
    reader: &mut dyn Read,
    limits: &Limits,
    format: &'static str,
    mut each: impl FnMut(T) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let text = read_text(reader, limits)?;
    if text.trim_start().starts_with('[') {
        let all: Vec<T> = from_str(&text, format)?;
        return all.into_iter().try_for_each(each);
    }
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let mut line = 1;
    let mut consumed = 0;
    while let Some(next) = stream.next() {
        let value = next.map_err(|error| classify(error, format, String::new()))?;
        let offset = stream.byte_offset();
        line += text.get(consumed..offset).map_or(0, |t| t.matches('\n').count());
        consumed = offset;
        let item = serde_path_to_error::deserialize(value).map_err(|error| {
            let path = error.path().to_string();
            ParseError::Line { line, source: Box::new(classify(error.into_inner(), format, path)) }
        })?;
        each(item)?;
    }
    Ok(())
}

/// Turns a JSON parser error into the cause it stands for.
pub(crate) fn classify(error: serde_json::Error, format: &'static str, path: String) -> ParseError {
    let (line, column) = (error.line(), error.column());
    match error.classify() {
        Category::Io => ParseError::Io(error.into()),
        Category::Eof => {
            ParseError::Json { line, column, message: "unexpected end of file".into() }
        }
        Category::Syntax if error.to_string().starts_with("recursion limit exceeded") => {
            ParseError::TooDeep { line, column }
        }
        Category::Syntax => {
            ParseError::Json { line, column, message: format!("invalid JSON: {}", bare(&error)) }
        }
        Category::Data => ParseError::Report {
            format,
            path: if path.is_empty() { ".".into() } else { path },
            message: if line == 0 { bare(&error) } else { error.to_string() },
        },
    }
}

pub(crate) fn io_error(error: std::io::Error, limits: &Limits) -> ParseError {
    if input::is_too_large(&error) {
        ParseError::TooLarge { limit: limits.max_bytes }
    } else if let Some((line, column)) = input::too_deep_at(&error) {
        ParseError::TooDeep { line, column }
    } else {
        ParseError::Io(error)
    }
}

/// Reads a whole JSON report as text, within the size and depth limits.
pub(crate) fn read_text(reader: &mut dyn Read, limits: &Limits) -> Result<String, ParseError> {
    input::read_json(reader, limits).map_err(|e| io_error(e, limits))
}

/// serde_json's message without the position it appends.
pub(crate) fn bare(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).map(str::to_string).unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Item {
        #[allow(dead_code)]
        id: u32,
    }

    fn collect(text: &str) -> Result<usize, ParseError> {
        let mut n = 0;
        values::<Item>(&mut text.as_bytes(), &Limits::default(), "test", |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    #[test]
    fn values_come_as_lines_as_a_stream_or_as_an_array() {
        assert_eq!(collect("{\"id\":1}\n{\"id\":2}\n\n{\"id\":3}\n").unwrap(), 3);
        assert_eq!(collect("{\"id\": 1}{\n \"id\": 2\n}").unwrap(), 2);
        assert_eq!(collect("[{\"id\":1},{\"id\":2}]").unwrap(), 2);
        assert_eq!(collect("").unwrap(), 0);
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = collect("{\"id\":1}\n{\"id\":\"x\"}\n").unwrap_err();
        assert!(err.to_string().starts_with("line 2: invalid test report at `id`"), "{err}");
        let err = collect("{\"id\":1}\n{\"id\":").unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 2, .. }), "{err}");
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named_by_its_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Doc {
            #[allow(dead_code)]
            items: Vec<Item>,
        }
        let err =
            from_str::<Doc>("{\"items\": [{\"id\": 1}, {\"id\": true}]}", "test").unwrap_err();
        assert!(err.to_string().starts_with("invalid test report at `items[1].id`"), "{err}");
        let err = from_str::<Doc>("{\"items\": []} x", "test").unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err}");
    }
}
