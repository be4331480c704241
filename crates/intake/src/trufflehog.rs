//! TruffleHog reports, from two different tools:
//!
//! - TruffleHog v3 (`trufflehog git|github|filesystem|... --json`): JSON
//!   lines, one per secret, with `SourceMetadata.Data.<source>` (`Git`,
//!   `Github`, `Gitlab`, `Filesystem`, `Docker`, `S3`, ...; any source with
//!   `file` and `line` is placed), `DetectorName`, `Verified`, `Raw`,
//!   `RawV2`, `Redacted`, `ExtraData`. Log lines mixed in (`2>&1`) are
//!   skipped. Early v3 versions wrote `Raw` and `RawV2` base64-encoded;
//!   base64 that decodes to printable text is taken as that text.
//! - trufflehog3 (the Python tool, `trufflehog3 --format json`): a JSON array
//!   of `{rule: {id, message, severity}, path, line, secret, context, branch,
//!   message, author, commit, date}`.
//!
//! Severity: TruffleHog v3 gives none, but says whether it verified the
//! secret against its service: verified → critical (a working credential),
//! unverified → high (a credential can be used as it is, as for Gitleaks).
//! trufflehog3: `rule.severity` `HIGH`, `MEDIUM`, `LOW` (and `CRITICAL`) as
//! written, anything else → info. CWE-798 (use of hard-coded credentials) on every finding.
//!
//! Mapping, v3: `DetectorName` → rule id and title (`AWS secret`); the
//! verification, `DetectorDescription`, `DecoderName`, `Redacted`,
//! `ExtraData`, the commit, author, time and repository → message; `file`,
//! `line` → location (a Docker image or S3 bucket → the logical location);
//! `link` → reference. trufflehog3: `rule.id` → rule id, `rule.message` →
//! title, `path`, `line` → location, the context line of `line` → snippet.
//!
//! The secret (`Raw`, else `RawV2`; trufflehog3's `secret`) is stored only
//! as a keyed hash with a preview, and `Raw`, `RawV2` and their decodings
//! are scrubbed from every text kept. `Raw` is hashed because every version
//! and detector writes it, so a secret keeps its identity across versions. The other
//! context lines of trufflehog3 are dropped, as they may hold other secrets.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity};
use serde::Deserialize;

use crate::common::{emit, non_blank};
use crate::lenient::{Texts, number};
use crate::secrets::scrub_in;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "trufflehog";

/// One line (v3) or array element (trufflehog3); which it is shows in its
/// fields.
#[derive(Debug, Deserialize)]
struct Item {
    #[serde(rename = "SourceMetadata")]
    source_metadata: Option<SourceMetadata>,
    #[serde(rename = "SourceName")]
    source_name: Option<String>,
    #[serde(rename = "DetectorName")]
    detector_name: Option<String>,
    #[serde(rename = "DetectorDescription")]
    detector_description: Option<String>,
    #[serde(rename = "DecoderName")]
    decoder_name: Option<String>,
    #[serde(rename = "Verified")]
    verified: Option<bool>,
    #[serde(rename = "VerificationError")]
    verification_error: Option<String>,
    #[serde(rename = "Raw")]
    raw: Option<String>,
    #[serde(rename = "RawV2")]
    raw_v2: Option<String>,
    #[serde(rename = "Redacted")]
    redacted: Option<String>,
    #[serde(rename = "ExtraData")]
    extra_data: Option<BTreeMap<String, Texts>>,

    rule: Option<Rule>,
    path: Option<String>,
    #[serde(default, deserialize_with = "number")]
    line: Option<u32>,
    secret: Option<String>,
    context: Option<BTreeMap<String, Option<String>>>,
    branch: Option<String>,
    message: Option<String>,
    author: Option<String>,
    commit: Option<String>,
    date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SourceMetadata {
    #[serde(rename = "Data")]
    data: Option<BTreeMap<String, Option<SourceData>>>,
}

/// What a source says about where it found a secret; each source has its
/// own subset of these.
#[derive(Debug, Default, Deserialize)]
struct SourceData {
    file: Option<String>,
    #[serde(default, deserialize_with = "number")]
    line: Option<u32>,
    commit: Option<String>,
    email: Option<String>,
    repository: Option<String>,
    timestamp: Option<String>,
    link: Option<String>,
    image: Option<String>,
    bucket: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Rule {
    id: Option<String>,
    message: Option<String>,
    severity: Option<String>,
}

const V3_TOOL: &str = "TruffleHog";
const PYTHON_TOOL: &str = "trufflehog3";

/// v3: JSON lines (or one object) with `SourceMetadata` and `DetectorName`.
/// trufflehog3: an array whose items have `rule.id`, `secret` and `context`.
pub(crate) fn sniff(shape: &Shape) -> bool {
    use crate::shape::Kind;
    match shape.kind {
        Kind::Object | Kind::Lines => shape.has_all(&["SourceMetadata", "DetectorName"]),
        Kind::Array => shape.has_all(&["rule.id", "secret", "context"]),
        _ => false,
    }
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    let (mut v3, mut python) = (0, 0);
    let mut repository = None;
    json::values(&mut text.as_bytes(), limits, NAME, |item: Item| {
        if item.rule.is_some() {
            python += 1;
            return emit(sink, python_finding(item, options));
        }
        if item.detector_name.is_none() && item.source_metadata.is_none() {
            return Ok(()); // a log line
        }
        v3 += 1;
        let source = source_data(item.source_metadata.as_ref());
        if repository.is_none() {
            repository = source.and_then(|s| non_blank(s.repository.as_deref()));
        }
        emit(sink, v3_finding(item, options))
    })?;

    let is_array = text.trim_start().starts_with('[');
    let tool = if python > 0 || (is_array && v3 == 0) { PYTHON_TOOL } else { V3_TOOL };
    let info = RunInfo { tool: tool.into(), repository, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

/// The one source entry of `SourceMetadata.Data`.
fn source_data(metadata: Option<&SourceMetadata>) -> Option<&SourceData> {
    metadata?.data.as_ref()?.values().find_map(Option::as_ref)
}

fn v3_finding(item: Item, options: &Options) -> Finding {
    let detector = non_blank(item.detector_name.as_deref()).unwrap_or_else(|| "secret".into());
    let verified = item.verified.unwrap_or(false);
    let severity = if verified { Severity::Critical } else { Severity::High };
    let mut finding =
        Finding::new(V3_TOOL, detector.clone(), format!("{detector} secret"), severity);
    finding.add_cwe(798);

    let source = source_data(item.source_metadata.as_ref());
    let mut message = v3_message(&item, &finding.title, verified);
    if let Some(source) = source {
        push_commit(&mut message, &source.commit, &source.email, &source.timestamp, &None);
        if let Some(repository) = non_blank(source.repository.as_deref()) {
            message.push_str(&format!("\nRepository: {repository}"));
        }
        finding.add_reference(source.link.as_deref().unwrap_or(""));
    }
    if let Some(name) = non_blank(item.source_name.as_deref()) {
        message.push_str(&format!("\nSource: {name}"));
    }

    let forms = secret_forms(&[&item.raw, &item.raw_v2]);
    scrub_all(&mut message, &forms);
    finding.references.iter_mut().for_each(|r| scrub_all(r, &forms));
    if let Some(secret) = forms.first() {
        finding.secret = Some(options.secret_key.protect(secret));
    }
    finding.message = message;
    finding.location = source.map(|s| Location {
        path: non_blank(s.file.as_deref()),
        start_line: s.line,
        end_line: s.line,
        logical: non_blank(s.image.as_deref()).or_else(|| non_blank(s.bucket.as_deref())),
        ..Location::default()
    });
    finding
}

/// The title, the verification, and what TruffleHog says about the secret.
fn v3_message(item: &Item, title: &str, verified: bool) -> String {
    let mut message = title.to_string();
    if verified {
        message
            .push_str("\n\nVerified: the secret works (TruffleHog checked it with its service).");
    } else {
        message.push_str("\n\nNot verified.");
    }
    if let Some(error) = non_blank(item.verification_error.as_deref()) {
        message.push_str(&format!(" The check failed: {error}"));
    }
    if let Some(description) = non_blank(item.detector_description.as_deref()) {
        message.push_str(&format!("\n{description}"));
    }
    if let Some(decoder) = non_blank(item.decoder_name.as_deref()).filter(|d| d != "PLAIN") {
        message.push_str(&format!("\nFound encoded as {decoder}."));
    }
    if let Some(redacted) = non_blank(item.redacted.as_deref()) {
        message.push_str(&format!("\nRedacted: {redacted}"));
    }
    for (key, values) in item.extra_data.iter().flatten() {
        if !values.0.is_empty() {
            message.push_str(&format!("\n{key}: {}", values.0.join(", ")));
        }
    }
    message
}

fn python_finding(item: Item, options: &Options) -> Finding {
    let rule = item.rule.as_ref();
    let rule_id = non_blank(rule.and_then(|r| r.id.as_deref())).unwrap_or_else(|| "secret".into());
    let title = non_blank(rule.and_then(|r| r.message.as_deref())).unwrap_or_default();
    let tool_severity = non_blank(rule.and_then(|r| r.severity.as_deref()));
    let severity = match tool_severity.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("CRITICAL") => Severity::Critical,
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Info,
    };
    let mut finding = Finding::new(PYTHON_TOOL, rule_id, title, severity);
    finding.tool_severity = tool_severity;
    finding.add_cwe(798);

    let mut message = non_blank(rule.and_then(|r| r.message.as_deref())).unwrap_or_default();
    if let Some(branch) = non_blank(item.branch.as_deref()) {
        message.push_str(&format!("\n\nBranch {branch}"));
    }
    push_commit(&mut message, &item.commit, &item.author, &item.date, &item.message);
    let line_key = item.line.map(|l| l.to_string());
    let mut snippet = item
        .context
        .as_ref()
        .zip(line_key)
        .and_then(|(context, key)| context.get(&key).cloned().flatten())
        .filter(|s| !s.trim().is_empty());

    let secret = item.secret.filter(|s| !s.trim().is_empty());
    if let Some(secret) = &secret {
        scrub_in(&mut message, secret);
        if let Some(snippet) = snippet.as_mut() {
            scrub_in(snippet, secret);
        }
        finding.secret = Some(options.secret_key.protect(secret));
    }
    finding.message = message;
    finding.location = Some(Location {
        path: non_blank(item.path.as_deref()),
        start_line: item.line,
        end_line: item.line,
        snippet,
        ..Location::default()
    });
    finding
}

/// `Commit abc by who on when: first line of its message`, on a new line.
fn push_commit(
    message: &mut String,
    commit: &Option<String>,
    author: &Option<String>,
    date: &Option<String>,
    text: &Option<String>,
) {
    let Some(commit) = non_blank(commit.as_deref()) else { return };
    message.push_str(&format!("\nCommit {commit}"));
    if let Some(author) = non_blank(author.as_deref()) {
        message.push_str(&format!(" by {author}"));
    }
    if let Some(date) = non_blank(date.as_deref()) {
        message.push_str(&format!(" on {date}"));
    }
    if let Some(text) = non_blank(text.as_deref()) {
        message.push_str(&format!(": {}", text.lines().next().unwrap_or("")));
    }
}

/// Every form in which the secret may appear, the one to hash first: each
/// of `values` in turn, its decoding (when it is base64 of printable text,
/// as early v3 versions wrote `Raw`) before the value as written.
fn secret_forms(values: &[&Option<String>]) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    for value in values.iter().filter_map(|v| v.as_deref()) {
        if value.trim().is_empty() {
            continue;
        }
        for form in base64_text(value).into_iter().chain([value.to_string()]) {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    forms
}

/// Scrubs every form of the secret from `text`, the longest first: `RawV2`
/// often holds `Raw` and more (an AWS key id and its secret key), and
/// scrubbing the shorter first would leave the rest of the longer behind.
fn scrub_all(text: &mut String, forms: &[String]) {
    let mut longest_first: Vec<&String> = forms.iter().collect();
    longest_first.sort_by_key(|form| std::cmp::Reverse(form.len()));
    for form in longest_first {
        scrub_in(text, form);
    }
}

/// `text` decoded as standard base64, when it is that and decodes to
/// printable UTF-8 text (tabs and line breaks allowed).
fn base64_text(text: &str) -> Option<String> {
    let text = text.trim();
    let body = text.trim_end_matches('=');
    if text.is_empty() || !text.len().is_multiple_of(4) || text.len() - body.len() > 2 {
        return None;
    }
    let mut bytes = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in body.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push(((bits >> count) & 0xFF) as u8);
            bits &= (1 << count) - 1;
        }
    }
    let decoded = String::from_utf8(bytes).ok()?;
    let printable = decoded.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    (printable && !decoded.trim().is_empty()).then_some(decoded)
}

#[cfg(test)]
mod tests;
