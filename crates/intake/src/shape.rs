//! What the start of a report looks like, worked out once for format
//! detection: JSON or XML, the key paths seen, the XML root element. Every
//! format's `sniff` reads this rather than scanning the bytes itself.
//!
//! The key scan is tolerant: the start of a report is cut at an arbitrary
//! byte, so the scan stops quietly where the text ends.

use std::borrow::Cow;

/// How deep key paths are recorded.
const MAX_PATH_DEPTH: usize = 6;
/// How many key paths are recorded at most.
const MAX_PATHS: usize = 4096;

/// The kind of document a report starts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One JSON object.
    Object,
    /// A JSON array.
    Array,
    /// Several JSON objects one after another (JSON lines).
    Lines,
    Xml,
    /// Anything else: CSV, plain text, binary.
    Text,
    Empty,
}

/// The start of a report, as detection sees it.
#[derive(Debug, Clone)]
pub struct Shape<'a> {
    pub kind: Kind,
    /// The start of the report as text (invalid UTF-8 replaced), without a
    /// byte order mark or leading blanks.
    pub text: Cow<'a, str>,
    /// Key paths seen, in order: `runs`, `runs[].tool`, `Results[].Target`.
    /// Array elements add `[]`; for JSON lines and top-level arrays the
    /// paths are those of the elements (`[].Target` is recorded as `Target`).
    pub paths: Vec<String>,
    /// The XML root element's name, without a namespace prefix.
    pub xml_root: Option<String>,
}

impl<'a> Shape<'a> {
    pub fn of(prefix: &'a [u8]) -> Shape<'a> {
        let text = String::from_utf8_lossy(prefix);
        let text = match text {
            Cow::Borrowed(t) => Cow::Borrowed(t.trim_start_matches('\u{feff}').trim_start()),
            Cow::Owned(t) => Cow::Owned(t.trim_start_matches('\u{feff}').trim_start().to_string()),
        };
        let (kind, paths, xml_root) = match text.as_bytes().first() {
            None => (Kind::Empty, Vec::new(), None),
            Some(b'{') => {
                let (paths, values) = scan_json(&text);
                (if values > 1 { Kind::Lines } else { Kind::Object }, paths, None)
            }
            Some(b'[') if starts_json_value(text.get(1..).unwrap_or("")) => {
                (Kind::Array, scan_json(&text).0, None)
            }
            Some(b'<') => (Kind::Xml, Vec::new(), xml_root(&text)),
            Some(_) => (Kind::Text, Vec::new(), None),
        };
        Shape { kind, text, paths, xml_root }
    }

    /// Whether the key path was seen (`matches[].vulnerability`).
    pub fn has(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// Whether the report is JSON whose top level (or first element, for
    /// arrays and JSON lines) has every one of `keys`.
    pub fn has_all(&self, keys: &[&str]) -> bool {
        keys.iter().all(|key| self.has(key))
    }

    /// Whether the report is XML with this root element (case-sensitive).
    pub fn is_xml_root(&self, name: &str) -> bool {
        self.xml_root.as_deref() == Some(name)
    }

    pub fn is_json(&self) -> bool {
        matches!(self.kind, Kind::Object | Kind::Array | Kind::Lines)
    }
}

/// Whether `text` (what follows a `[`) starts like a JSON value; a TOML or
/// INI section header does not.
fn starts_json_value(text: &str) -> bool {
    text.trim_start().chars().next().is_none_or(|c| "{[\"-0123456789tfn]".contains(c))
}

/// The name of the first element, without prefix.
fn xml_root(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        rest = rest.get(at + 1..)?;
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String =
            rest.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
        let local = name.rsplit(':').next().unwrap_or(&name).to_string();
        return (!local.is_empty()).then_some(local);
    }
}

/// One open JSON container during the scan.
enum Open {
    /// An object; `key` is the last key read, `expect_key` whether the next
    /// string is a key.
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    Array,
}

/// Scans JSON text for key paths; returns them and how many top-level values
/// started.
fn scan_json(text: &str) -> (Vec<String>, usize) {
    let bytes = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut values = 0;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'{' => {
                if stack.is_empty() {
                    values += 1;
                }
                stack.push(Open::Object { key: None, expect_key: true });
            }
            b'[' => {
                if stack.is_empty() {
                    values += 1;
                }
                stack.push(Open::Array);
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Open::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = true;
                }
            }
            b':' => {
                if let Some(Open::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b'"' => {
                let Some(end) = string_end(bytes, at + 1) else { break };
                let is_key = matches!(stack.last(), Some(Open::Object { expect_key: true, .. }));
                if is_key {
                    let key = text.get(at + 1..end).unwrap_or("").to_string();
                    if stack.len() <= MAX_PATH_DEPTH && paths.len() < MAX_PATHS {
                        let path = path_of(&stack, &key);
                        if !paths.contains(&path) {
                            paths.push(path);
                        }
                    }
                    if let Some(Open::Object { key: last, .. }) = stack.last_mut() {
                        *last = Some(key);
                    }
                }
                at = end;
            }
            _ => {}
        }
        at += 1;
    }
    (paths, values)
}

/// The index of the quote that closes a string starting at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(&byte) = bytes.get(from) {
        match byte {
            b'\\' => from += 2,
            b'"' => return Some(from),
            _ => from += 1,
        }
    }
    None
}

/// The path of `key` inside the open containers; the outermost container
/// adds nothing, so a top-level array's elements read like an object.
fn path_of(stack: &[Open], key: &str) -> String {
    let mut path = String::new();
    for (depth, open) in stack.iter().enumerate() {
        let is_last = depth + 1 == stack.len();
        match open {
            Open::Object { key: Some(name), .. } if !is_last => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Open::Array if depth > 0 => path.push_str("[]"),
            _ => {}
        }
    }
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_are_recorded_through_arrays() {
        let shape = Shape::of(br#"{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "a\"b": {"deep": {"deeper": 1}}}]}], "Other": 1, "Cut"#);
        assert_eq!(shape.kind, Kind::Object);
        assert!(shape.has_all(&["SchemaVersion", "Results", "Results[].Target"]));
        assert!(shape.has("Results[].Vulnerabilities[].VulnerabilityID"));
        assert!(shape.has("Other"), "{:?}", shape.paths);
        assert!(!shape.has("Target"));
    }

    #[test]
    fn arrays_and_lines_record_their_elements_keys() {
        let array = Shape::of(br#"[{"Target": "x", "Vulnerabilities": null}]"#);
        assert_eq!(array.kind, Kind::Array);
        assert!(array.has_all(&["Target", "Vulnerabilities"]));
        let lines = Shape::of(
            b"{\"template-id\": \"a\", \"info\": {\"name\": \"n\"}}\n{\"template-id\": \"b\"}\n",
        );
        assert_eq!(lines.kind, Kind::Lines);
        assert!(lines.has_all(&["template-id", "info.name"]));
    }

    #[test]
    fn xml_roots_and_other_text() {
        let xml = Shape::of(
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n<bom:bom xmlns:bom=\"x\">",
        );
        assert_eq!(xml.kind, Kind::Xml);
        assert!(xml.is_xml_root("bom"));
        assert_eq!(Shape::of(b"title,severity\n").kind, Kind::Text);
        assert_eq!(Shape::of(b"[workspace]\n").kind, Kind::Text);
        assert_eq!(Shape::of(b"  \n").kind, Kind::Empty);
    }
}
