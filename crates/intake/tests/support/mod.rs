//! Shared by the corpus tests of every format: where the shared corpus is,
//! its manifest, and one check that every file of a corpus format is
//! detected, parses, has the expected count and carries the fields the
//! peer's tests assert, except where a test pins our own value with a reason.

#![allow(dead_code, reason = "each test file uses part of the support")]

use std::io::Write;
use std::path::{Path, PathBuf};

use fixgate_domain::Finding;
use fixgate_intake::{Collected, Options, formats};
use serde_json::Value;

/// `$FIXGATE_SHARED_DIR/corpus`, else `shared/corpus` next to the repository
/// or one of its parents. Missing: a loud skip, or a failure in CI.
pub fn corpus_dir() -> Option<PathBuf> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("FIXGATE_SHARED_DIR").map(PathBuf::from).unwrap_or_else(|| {
        crate_dir
            .ancestors()
            .skip(3)
            .map(|parent| parent.join("shared"))
            .find(|shared| shared.join("corpus").is_dir())
            .unwrap_or_else(|| crate_dir.join("../../../shared"))
    });
    let dir = shared.join("corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the shared corpus is missing at {} (set FIXGATE_SHARED_DIR)",
        dir.display()
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: the shared corpus is not at {}; corpus tests did not run ***\n",
        dir.display()
    );
    None
}

/// One row of the manifest.
#[derive(Debug, Clone)]
pub struct Row {
    pub path: String,
    pub format: String,
    pub count: usize,
    pub details: Value,
}

/// The manifest's rows of one corpus format (`trivy-json`).
pub fn rows(dir: &Path, format: &str) -> Vec<Row> {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (path, kind, count, details) = (
        column("local_path"),
        column("format"),
        column("expected_count"),
        column("expected_details"),
    );
    lines
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|cells| cells[kind] == format)
        .map(|cells| Row {
            path: cells[path].to_string(),
            format: cells[kind].to_string(),
            count: cells[count].parse().unwrap(),
            details: serde_json::from_str(cells[details]).unwrap(),
        })
        .collect()
}

/// Parses a file with the named format, after checking that detection picks
/// that format for it (empty files, and reports that are only an empty JSON
/// array, which half the tools write for a clean scan, have no format to
/// detect: claiming `[]` would file one tool's clean scan under another's
/// scope). Findings are
/// numbered as an import numbers them, and exact repeats (same problem, same
/// place) dropped, so counts are what fixgate stores.
pub fn parse_file(path: &Path, format: &str) -> Collected {
    let bytes = std::fs::read(path).unwrap();
    let bare: Vec<u8> = bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if !bare.is_empty() && bare != b"[]" {
        let detected = formats::detect(&bytes[..bytes.len().min(256 * 1024)]).map(|f| f.name);
        assert_eq!(detected, Some(format), "{}: detected as {detected:?}", path.display());
    }
    let parser = formats::by_name(format).unwrap();
    let mut sink = Collected::default();
    (parser.parse)(&mut bytes.as_slice(), &Options::default(), &mut sink)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fixgate_domain::fingerprint::Occurrences::default().assign(&mut sink.findings);
    sink
}

/// A count of ours that differs from the peer's: file, our count, why.
pub type CountPin = (&'static str, usize, &'static str);
/// A field the peer asserts that we do not share: file, the peer's finding
/// index, the field name, why.
pub type FieldPin = (&'static str, usize, &'static str, &'static str);

/// Fields whose values are the peer's own choices (titles, descriptions,
/// dates, tags, its own ids); they are not compared.
const PEER_CHOICES: &[&str] = &[
    "title",
    "description",
    "mitigation",
    "impact",
    "references",
    "date",
    "tags~contains",
    "unique_id",
    "active",
    "false_positive",
    "scanner",
    "fix_available",
    "occurrences",
    "static_finding",
    "dynamic_finding",
    "severity_justification",
    "component_name_version",
];

/// Checks every file of `corpus_format` against the manifest, parsed as our
/// `format`. Returns each file's findings for further checks.
pub fn check_format(
    corpus_format: &str,
    format: &str,
    counts: &[CountPin],
    fields: &[FieldPin],
) -> Vec<(String, Vec<Finding>)> {
    let Some(dir) = corpus_dir() else { return Vec::new() };
    let rows = rows(&dir, corpus_format);
    assert!(!rows.is_empty(), "no manifest rows for {corpus_format}");
    let mut out = Vec::new();
    for row in &rows {
        let findings = parse_file(&dir.join(&row.path), format).findings;
        let expected = match counts.iter().find(|(path, ..)| *path == row.path) {
            Some((_, ours, why)) => {
                assert_ne!(*ours, row.count, "{}: no longer differs ({why})", row.path);
                *ours
            }
            None => row.count,
        };
        assert_eq!(findings.len(), expected, "{}: finding count", row.path);
        check_fields(row, &findings, fields);
        out.push((row.path.clone(), findings));
    }
    for (path, ..) in counts {
        assert!(rows.iter().any(|r| r.path == *path), "pinned count for unknown file {path}");
    }
    out
}

/// Every asserted finding must be matched by one of ours that carries all
/// of its compared fields (the peer orders and merges differently).
fn check_fields(row: &Row, findings: &[Finding], pins: &[FieldPin]) {
    let Some(asserted) = row.details.get("findings").and_then(Value::as_object) else { return };
    for (index, fields) in asserted {
        let index: usize = index.parse().unwrap();
        let compared: Vec<(&String, &Value)> = fields
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| !PEER_CHOICES.contains(&name.as_str()))
            .filter(|(name, _)| {
                !pins
                    .iter()
                    .any(|(path, i, field, _)| *path == row.path && *i == index && field == name)
            })
            .collect();
        if compared.is_empty() {
            continue;
        }
        let matched = findings.iter().any(|f| {
            compared.iter().all(|(name, value)| field_matches(f, name, value) != Some(false))
        });
        if !matched {
            let near = findings.get(index).or(findings.first());
            let misses: Vec<String> = near
                .map(|f| {
                    compared
                        .iter()
                        .filter(|(name, value)| field_matches(f, name, value) == Some(false))
                        .map(|(name, value)| {
                            format!("{name}: peer {value}, ours {}", ours(f, name))
                        })
                        .collect()
                })
                .unwrap_or_default();
            panic!(
                "{}: no finding of ours matches the peer's finding {index} ({}); nearest: {misses:?}",
                row.path,
                serde_json::to_string(fields).unwrap()
            );
        }
    }
}

/// Whether our finding carries the peer's value; `None` for fields we do not
/// compare.
fn field_matches(f: &Finding, name: &str, value: &Value) -> Option<bool> {
    let text = || value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
    let location = f.location.as_ref();
    let package = f.package.as_ref();
    if value.is_null() {
        // The peer asserts that the field is absent.
        return Some(ours(f, name).trim_matches(['[', ']']).is_empty() || ours(f, name) == "None");
    }
    let cwe_of = |v: &Value| {
        v.as_u64().or_else(|| {
            let text = v.as_str()?;
            text.trim().trim_start_matches("CWE-").trim_start_matches("cwe-").parse().ok()
        })
    };
    Some(match name {
        "severity" => f.severity.as_str() == normalize_severity(&text()),
        "cwe" => cwe_of(value).is_some_and(|cwe| cwe == 0 || f.cwes.contains(&(cwe as u32))),
        "cwes" => value.as_array().is_some_and(|all| {
            all.iter().all(|c| c.as_u64().is_some_and(|c| f.cwes.contains(&(c as u32))))
        }),
        "vuln_ids" => value
            .as_array()
            .is_some_and(|all| all.iter().all(|id| has_id(f, id.as_str().unwrap_or("")))),
        "vuln_ids[0]" | "vuln_id" => has_id(f, &text()),
        "len(vuln_ids)" => value.as_u64() == Some(f.advisories.len() as u64),
        "rule_id" => f.rule_id == text() || has_id(f, &text()),
        "file_path" => {
            location.and_then(|l| l.path.as_deref()).is_some_and(|p| same_path(p, &text()))
        }
        "line" => value.as_u64() == location.and_then(|l| l.start_line).map(u64::from),
        "line_end" => value.as_u64() == location.and_then(|l| l.end_line).map(u64::from),
        "component_name" => package.is_some_and(|p| p.name == text()),
        "component_version" => package.and_then(|p| p.version.as_deref()) == Some(text().as_str()),
        "component_purl" => package.and_then(|p| p.purl.as_deref()) == Some(text().as_str()),
        "cvss3_score" | "cvss4_score" => {
            let score = f.cvss.as_ref().and_then(|c| c.score);
            value.as_f64().is_some_and(|v| score.is_some_and(|s| (s - v).abs() < 0.05))
        }
        "cvss3_vector" | "cvss4_vector" => {
            let ours = f.cvss.as_ref().and_then(|c| c.vector.as_deref()).unwrap_or("");
            let theirs = text();
            ours == theirs
                || ours.ends_with(
                    theirs.trim_start_matches("CVSS:3.1/").trim_start_matches("CVSS:3.0/"),
                )
        }
        _ => return None,
    })
}

fn ours(f: &Finding, name: &str) -> String {
    let location = f.location.as_ref();
    let package = f.package.as_ref();
    match name {
        "severity" => f.severity.as_str().to_string(),
        "cwe" | "cwes" => format!("{:?}", f.cwes),
        "vuln_ids" | "vuln_ids[0]" | "vuln_id" | "len(vuln_ids)" => format!("{:?}", f.advisories),
        "rule_id" => format!("{} {:?}", f.rule_id, f.advisories),
        "file_path" => format!("{:?}", location.and_then(|l| l.path.as_deref())),
        "line" => format!("{:?}", location.and_then(|l| l.start_line)),
        "line_end" => format!("{:?}", location.and_then(|l| l.end_line)),
        "component_name" | "component_version" | "component_purl" => format!("{package:?}"),
        _ => format!("{:?}", f.cvss),
    }
}

fn has_id(f: &Finding, id: &str) -> bool {
    f.rule_id.eq_ignore_ascii_case(id) || f.advisories.iter().any(|a| a.eq_ignore_ascii_case(id))
}

/// The peer writes `/conf/aws.tf` where the report says `conf/aws.tf`, or
/// the other way round.
fn same_path(ours: &str, theirs: &str) -> bool {
    ours.trim_start_matches("./").trim_start_matches('/')
        == theirs.trim_start_matches("./").trim_start_matches('/')
}

fn normalize_severity(peer: &str) -> &'static str {
    match peer.to_ascii_lowercase().as_str() {
        "critical" => "critical",
        "high" => "high",
        "medium" | "moderate" => "medium",
        "low" => "low",
        _ => "info",
    }
}
