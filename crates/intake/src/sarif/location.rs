//! Where a result is: SARIF locations into [`Location`], with file URIs made
//! into the paths people and code hosts use.

use fixgate_domain::{Location, TraceStep};

use super::model::{ArtifactLocation, Region, SarifLocation, SarifResult};
use super::text::non_blank;

/// The location of `location`, or `None` when it names no place at all.
/// `artifacts` are the run's artifact URIs, for `artifactLocation.index`.
pub(crate) fn convert(location: &SarifLocation, artifacts: &[Option<String>]) -> Option<Location> {
    let converted = place(location, artifacts);
    (converted != Location::default()).then_some(converted)
}

/// The steps of the first thread flow of the first code flow.
pub(crate) fn trace(result: &SarifResult, artifacts: &[Option<String>]) -> Vec<TraceStep> {
    let Some(flow) = result.code_flows.first().and_then(|f| f.thread_flows.first()) else {
        return Vec::new();
    };
    flow.locations
        .iter()
        .filter_map(|step| step.location.as_ref())
        .map(|location| TraceStep {
            location: place(location, artifacts),
            message: location
                .message
                .as_ref()
                .and_then(|m| non_blank(m.text.as_deref()))
                .map(str::to_string),
        })
        .collect()
}

fn place(location: &SarifLocation, artifacts: &[Option<String>]) -> Location {
    let physical = location.physical_location.as_ref();
    let region = physical.and_then(|p| p.region.as_ref());
    let snippet = snippet(region).or_else(|| snippet(physical?.context_region.as_ref()));
    let logical = location.logical_locations.first().and_then(|l| {
        non_blank(l.fully_qualified_name.as_deref()).or(non_blank(l.name.as_deref()))
    });

    Location {
        path: physical.and_then(|p| path(p.artifact_location.as_ref()?, artifacts)),
        start_line: region.and_then(|r| positive(r.start_line)),
        end_line: region.and_then(|r| positive(r.end_line)),
        start_column: region.and_then(|r| positive(r.start_column)),
        end_column: region.and_then(|r| positive(r.end_column)),
        snippet: snippet.map(str::to_string),
        logical: logical.map(str::to_string),
    }
}

fn snippet(region: Option<&Region>) -> Option<&str> {
    non_blank(region?.snippet.as_ref()?.text.as_deref())
}

/// The artifact's URI, or the URI of the run artifact its index points at.
fn path(artifact: &ArtifactLocation, artifacts: &[Option<String>]) -> Option<String> {
    let uri = non_blank(artifact.uri.as_deref()).or_else(|| {
        let index = usize::try_from(artifact.index?).ok()?;
        non_blank(artifacts.get(index)?.as_deref())
    })?;
    Some(normalize_uri(uri))
}

/// SARIF lines and columns start at 1; anything else means "not given".
fn positive(value: Option<i64>) -> Option<u32> {
    value.and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0)
}

/// Makes a SARIF URI into a path: `file:///home/x/a.py` becomes
/// `/home/x/a.py`, `file:///C:/src/a.c` becomes `C:/src/a.c`, and
/// percent-escapes such as `%20` are decoded. Relative URIs stay relative:
/// their `uriBaseId` (`%SRCROOT%`) is the repository root, which is what
/// fixgate's paths are relative to anyway.
pub(crate) fn normalize_uri(uri: &str) -> String {
    let decoded = percent_decode(uri.trim());
    let Some(rest) = strip_prefix_ignore_case(&decoded, "file:") else {
        return decoded;
    };

    let rest = rest.strip_prefix("//localhost").unwrap_or(rest);
    let without_slashes = rest.trim_start_matches('/');
    let has_drive = without_slashes.as_bytes().get(1) == Some(&b':')
        && without_slashes.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    if has_drive || without_slashes.len() == rest.len() {
        without_slashes.to_string()
    } else {
        format!("/{without_slashes}")
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| text.get(prefix.len()..)).flatten()
}

/// Decodes `%XX` escapes; text whose escapes do not decode to UTF-8 is kept
/// as written.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = (byte == b'%').then(|| hex_pair(bytes.get(at + 1..at + 3)?)).flatten();
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                at += 3;
            }
            None => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(pair).ok()?;
    u8::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(normalize_uri("file:///home/x/a.py"), "/home/x/a.py");
        assert_eq!(normalize_uri("file:////src/.venv/a.js"), "/src/.venv/a.js");
        assert_eq!(normalize_uri("file:///C:/code/file1.c"), "C:/code/file1.c");
        assert_eq!(normalize_uri("FILE:///tmp/a"), "/tmp/a");
        assert_eq!(normalize_uri("file://localhost/etc/a"), "/etc/a");
    }

    #[test]
    fn relative_uris_stay_relative_and_are_decoded() {
        assert_eq!(normalize_uri("src/my%20file.py"), "src/my file.py");
        assert_eq!(normalize_uri("src/%E2%9C%93.py"), "src/✓.py");
        assert_eq!(normalize_uri("src/100%.py"), "src/100%.py");
        assert_eq!(normalize_uri("src/%ff.py"), "src/%ff.py");
    }

    #[test]
    fn lines_and_columns_below_one_are_not_given() {
        assert_eq!(positive(Some(0)), None);
        assert_eq!(positive(Some(-1)), None);
        assert_eq!(positive(Some(i64::MAX)), None);
        assert_eq!(positive(Some(7)), Some(7));
    }
}
