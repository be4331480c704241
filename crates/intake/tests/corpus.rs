//! Every SARIF report of the shared corpus (`/work/shared/corpus/sarif`),
//! checked against what `MANIFEST.tsv` says the peers' parsers assert, where
//! our counting rule matches theirs. Where it does not, our own figure is
//! pinned here with the reason.
//!
//! Our rule: one finding per SARIF result (not per location, as DefectDojo
//! counts), and suppressed results are kept, marked suppressed (SecObserve
//! drops them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use fixgate_domain::{Finding, Severity};
use fixgate_intake::{Collected, Limits, ParseError, sarif};
use serde_json::Value;

/// Files whose count differs from the peer's: our count, and why.
const OUR_COUNTS: &[(&str, usize, &str)] = &[
    (
        "sarif/cppcheck_many_vuln.sarif",
        7,
        "7 results carrying 10 locations; DefectDojo counts locations",
    ),
    ("sarif/mobsfscan.json", 9, "9 results carrying 18 locations; DefectDojo counts locations"),
    (
        "sarif/eslint.sarif",
        10,
        "10 results, 5 of them suppressed in source; SecObserve drops suppressed results, \
         we keep them marked suppressed",
    ),
];

/// Asserted severities our mapping does not share: file, finding, ours, why.
const OUR_SEVERITIES: &[(&str, usize, Severity, &str)] = &[
    (
        "sarif/bash-report.sarif",
        6,
        Severity::Low,
        "level `note` and issue_severity LOW; DefectDojo maps `note` to Info",
    ),
    (
        "sarif/dependency_check.sarif",
        6,
        Severity::Medium,
        "the tool's own cvssv3_baseSeverity is MEDIUM (6.1); DefectDojo takes level `error`",
    ),
    ("sarif/dockle_0_3_15.sarif", 1, Severity::Low, "level `note`; DefectDojo maps it to Info"),
    ("sarif/dockle_0_3_15.sarif", 2, Severity::Low, "level `note`; DefectDojo maps it to Info"),
    ("sarif/dockle_0_3_15.sarif", 3, Severity::Low, "level `note`; DefectDojo maps it to Info"),
];

/// Asserted titles our rule does not share: file, finding, ours, why. Our
/// title is the rule's short description, else its name, else the first
/// sentence of the message; DefectDojo mostly takes the message, SecObserve
/// the rule id, DefectDojo's Snyk Code parser the rule and path.
const OUR_TITLES: &[(&str, usize, &str, &str)] = &[
    (
        "sarif/appendix_k4.sarif",
        0,
        "A variable was used without being initialized.",
        "the rule's short description; DefectDojo takes the message",
    ),
    (
        "sarif/bash-report.sarif",
        6,
        "Decimals are not supported",
        "the rule's short description; DefectDojo takes the message",
    ),
    (
        "sarif/eslint.sarif",
        0,
        "Disallow unused variables",
        "the rule's short description; SecObserve takes the rule id",
    ),
    (
        "sarif/mayhem_code_many_vulns.sarif",
        3,
        "The software does not sufficiently track and release allocated memory after it has been \
         used, which slowly consumes remaining memory.",
        "the rule's short description; DefectDojo's Mayhem parser takes the CWE's name",
    ),
    (
        "sarif/bandit.sarif",
        0,
        "Possible binding to all interfaces.",
        "Bandit's rule name is an identifier, so the message reads better; SecObserve takes the name",
    ),
    (
        "sarif/snykcode_issue_9270.json",
        0,
        "Cross-site Scripting (XSS)",
        "the rule's short description; DefectDojo's Snyk Code parser takes rule and path",
    ),
];

mod support;

use support::{Row, corpus_dir};

fn sarif_rows(dir: &Path) -> Vec<Row> {
    support::rows(dir, "sarif")
}

fn parse_file(path: &Path) -> (sarif::Summary, Collected) {
    let mut sink = Collected::default();
    let file = File::open(path).unwrap();
    let summary = sarif::parse(file, &Limits::default(), &mut sink)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (summary, sink)
}

#[test]
fn every_sarif_file_parses_with_the_expected_count() {
    let Some(dir) = corpus_dir() else { return };
    let rows = sarif_rows(&dir);

    let mut on_disk: Vec<String> = std::fs::read_dir(dir.join("sarif"))
        .unwrap()
        .map(|e| format!("sarif/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = rows.iter().map(|r| r.path.clone()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every SARIF file on disk has a manifest row and back");

    for row in &rows {
        let (summary, sink) = parse_file(&dir.join(&row.path));
        let expected = match OUR_COUNTS.iter().find(|(path, ..)| *path == row.path) {
            Some((_, ours, why)) => {
                assert_ne!(*ours, row.count, "{}: no longer differs ({why})", row.path);
                *ours
            }
            None => row.count,
        };
        assert_eq!(summary.results, expected, "{}", row.path);
        assert_eq!(sink.findings.len(), expected, "{}", row.path);
        assert_eq!(summary.runs, sink.runs.len(), "{}", row.path);
    }
}

#[test]
fn asserted_fields_where_counting_agrees() {
    let Some(dir) = corpus_dir() else { return };
    let mut checked = 0;

    for row in sarif_rows(&dir) {
        if OUR_COUNTS.iter().any(|(path, ..)| *path == row.path) {
            // Positions in the peer's output do not match ours.
            continue;
        }
        let Some(asserted) = row.details.get("findings").and_then(Value::as_object) else {
            continue;
        };
        let (_, sink) = parse_file(&dir.join(&row.path));
        for (index, fields) in asserted {
            let index: usize = index.parse().unwrap();
            let finding = &sink.findings[index];
            let info = &sink.runs[finding.run];
            for (field, value) in fields.as_object().unwrap() {
                let what = format!("{} finding {index} field {field}", row.path);
                checked += check_field(&row.path, index, finding, info, field, value, &what);
            }
        }
    }
    assert!(checked > 40, "only {checked} fields were checked");
}

/// Checks one asserted field; returns 1 when it was checked.
fn check_field(
    file: &str,
    index: usize,
    finding: &Finding,
    info: &fixgate_domain::RunInfo,
    field: &str,
    value: &Value,
    what: &str,
) -> usize {
    let location = finding.location.clone().unwrap_or_default();
    match field {
        "file_path" => {
            assert_eq!(location.path.as_deref(), Some(as_path(value).as_str()), "{what}")
        }
        "line" => assert_eq!(location.start_line.map(u64::from), value.as_u64(), "{what}"),
        "line_end" => assert_eq!(location.end_line.map(u64::from), value.as_u64(), "{what}"),
        "rule_id" => assert_eq!(Some(finding.rule_id.as_str()), value.as_str(), "{what}"),
        "cwe" => assert!(finding.cwes.contains(&(value.as_u64().unwrap() as u32)), "{what}"),
        "vuln_ids[0]" => assert_eq!(finding.advisories.first().map(String::as_str), value.as_str()),
        "len(vuln_ids)" => assert_eq!(finding.advisories.len() as u64, value.as_u64().unwrap()),
        "mitigation" => assert_eq!(finding.remediation.as_deref(), value.as_str(), "{what}"),
        "references[0]" => assert_eq!(finding.help_uri.as_deref(), value.as_str(), "{what}"),
        "references" => {
            let expected = value.as_str();
            let ours = [finding.help_uri.as_deref(), finding.remediation.as_deref()];
            assert!(ours.contains(&expected), "{what}: {ours:?}");
        }
        "scanner" => {
            let with_version =
                format!("{} / {}", info.tool, info.tool_version.as_deref().unwrap_or(""));
            assert!(
                value.as_str() == Some(&info.tool) || value.as_str() == Some(&with_version),
                "{what}"
            );
        }
        "unique_id" => {
            for pair in value.as_str().unwrap().split('|') {
                let (key, hash) = pair.split_once(':').unwrap();
                assert_eq!(
                    finding.tool_fingerprints.get(key).map(String::as_str),
                    Some(hash),
                    "{what}"
                );
            }
        }
        "severity" => {
            let ours = OUR_SEVERITIES.iter().find(|(f, i, ..)| *f == file && *i == index);
            let peer = value.as_str().unwrap().to_ascii_lowercase();
            match ours {
                Some((_, _, severity, why)) => {
                    assert_ne!(severity.as_str(), peer, "{what}: no longer differs ({why})");
                    assert_eq!(finding.severity, *severity, "{what}: {why}");
                }
                None => assert_eq!(finding.severity.as_str(), peer, "{what}"),
            }
        }
        "title" => {
            let ours = OUR_TITLES.iter().find(|(f, i, ..)| *f == file && *i == index);
            // DefectDojo cuts long titles with " [...]".
            let peer = value.as_str().unwrap();
            let peer = peer.strip_suffix(" [...]").unwrap_or(peer);
            match ours {
                Some((_, _, title, why)) => {
                    assert!(!title.starts_with(peer), "{what}: no longer differs ({why})");
                    assert_eq!(finding.title, *title, "{what}: {why}");
                }
                None => assert!(finding.title.starts_with(peer), "{what}: {}", finding.title),
            }
        }
        _ => return 0,
    }
    1
}

/// A peer's file path as ours reads: SARIF `file://` URIs become paths.
fn as_path(value: &Value) -> String {
    let text = value.as_str().unwrap();
    match text.strip_prefix("file://") {
        Some(rest) => format!("/{}", rest.trim_start_matches('/')),
        None => text.to_string(),
    }
}

fn findings_of(dir: &Path, file: &str) -> Vec<Finding> {
    parse_file(&dir.join("sarif").join(file)).1.findings
}

#[test]
fn two_empty_runs_are_both_reported() {
    let Some(dir) = corpus_dir() else { return };
    let (summary, sink) = parse_file(&dir.join("sarif/appendix_k1_double.sarif"));
    assert_eq!(summary.runs, 2);
    let tools: Vec<_> = sink.runs.iter().map(|r| r.tool.as_str()).collect();
    assert_eq!(tools, ["CodeScanner", "OtherScanner"]);
}

#[test]
fn cppcheck_results_with_several_locations_take_the_first() {
    let Some(dir) = corpus_dir() else { return };
    let findings = findings_of(&dir, "cppcheck_many_vuln.sarif");
    let line_of = |rule: &str| {
        let f = findings.iter().find(|f| f.rule_id == rule).unwrap();
        (f.location.as_ref().unwrap().start_line, f.severity)
    };
    // DefectDojo: nullPointer at lines 21 and 22, nullPointerOutOfMemory at
    // 6, 6 and 7; one finding per result keeps the first.
    assert_eq!(line_of("memleak"), (Some(8), Severity::Critical));
    assert_eq!(line_of("arrayIndexOutOfBounds"), (Some(12), Severity::Critical));
    assert_eq!(line_of("uninitvar"), (Some(17), Severity::Critical));
    assert_eq!(line_of("nullPointer"), (Some(21), Severity::Critical));
    assert_eq!(line_of("nullPointerOutOfMemory"), (Some(6), Severity::Medium));
    assert!(
        findings.iter().all(|f| f.location.as_ref().unwrap().path.as_deref() == Some("cc_many.c"))
    );
}

#[test]
fn devskim_rules_files_lines_and_severities() {
    let Some(dir) = corpus_dir() else { return };
    let findings = findings_of(&dir, "devskim_many_vuln.sarif");
    let mut places: Vec<_> = findings
        .iter()
        .map(|f| {
            let location = f.location.as_ref().unwrap();
            (f.rule_id.as_str(), location.path.as_deref().unwrap(), location.start_line.unwrap())
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            ("DS126858", "crypto.py", 6),
            ("DS126858", "crypto.py", 10),
            ("DS148264", "legacy.c", 16),
            ("DS154189", "legacy.c", 12),
            ("DS181021", "legacy.c", 11),
            ("DS185832", "legacy.c", 6),
            ("DS189424", "render.js", 6),
        ]
    );
    let severity_of = |rule: &str| findings.iter().find(|f| f.rule_id == rule).unwrap().severity;
    // DefectDojo has Info for DS189424 (level `note`); ours is Low.
    assert_eq!(severity_of("DS189424"), Severity::Low);
    assert_eq!(severity_of("DS154189"), Severity::Medium);
    assert_eq!(severity_of("DS181021"), Severity::High);
    assert_eq!(severity_of("DS148264"), Severity::High);
    assert!(findings.iter().all(|f| f.cwes.is_empty()));
}

#[test]
fn suppressed_results_are_kept_and_marked() {
    let Some(dir) = corpus_dir() else { return };
    let eslint = findings_of(&dir, "eslint.sarif");
    let suppressed: Vec<_> = eslint.iter().filter_map(|f| f.suppression.as_ref()).collect();
    assert_eq!(suppressed.len(), 5);
    assert!(suppressed.iter().all(|s| s.kind == "inSource"));

    let sdk = findings_of(&dir, "SuppressionTestCurrent.sarif");
    assert_eq!(sdk.iter().filter(|f| f.suppression.is_some()).count(), 3);
}

#[test]
fn codeql_cwes_and_snyk_code_cwes() {
    let Some(dir) = corpus_dir() else { return };
    let snyk = findings_of(&dir, "snykcode_issue_9270.json");
    assert!(snyk.iter().any(|f| f.cwes.contains(&79)));
    let mayhem = findings_of(&dir, "mayhem_code_many_vulns.sarif");
    assert_eq!(mayhem[3].cwes, vec![400]);
    let mobsf = findings_of(&dir, "mobsfscan.json");
    assert_eq!(mobsf[0].cwes, vec![532]);
}

#[test]
fn results_before_tool_in_real_reports() {
    let Some(dir) = corpus_dir() else { return };
    // Semgrep OSS writes `results` before `tool`; every result still finds its
    // rule and so its security-severity.
    let semgrep = findings_of(&dir, "issue_10191.json");
    assert!(semgrep.iter().all(|f| f.rule_name.is_some() && f.tool == "Semgrep OSS"));
    assert!(semgrep.iter().all(|f| f.tool_severity.is_some()));
}

#[test]
fn grype_advisories_come_from_the_rule_id() {
    let Some(dir) = corpus_dir() else { return };
    let grype = findings_of(&dir, "cxf-3.4.6.sarif");
    assert_eq!(grype[0].advisories, ["CVE-2008-0732"]);
    assert_eq!(grype[21].advisories, ["GHSA-57j2-w4cx-62h2"]);
}

#[test]
fn provenance_of_a_shiftleft_report() {
    let Some(dir) = corpus_dir() else { return };
    let (_, sink) = parse_file(&dir.join("sarif/bash-report.sarif"));
    let info = &sink.runs[0];
    assert_eq!(
        info.repository.as_deref(),
        Some("https://github.com/damiencarol/django-DefectDojo")
    );
    assert_eq!(info.commit.as_deref(), Some("288c68d1ba1f35ebeff1d1bdb032186a23f0ea5b"));
    assert_eq!(info.branch.as_deref(), Some("dev"));
}

/// A tiny deterministic generator (xorshift64), so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses `bytes`, turning a panic into a test failure that names the input.
fn parse_without_panic(bytes: &[u8], what: &str) -> Result<sarif::Summary, ParseError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        sarif::parse(bytes, &Limits::default(), &mut Collected::default())
    }));
    outcome.unwrap_or_else(|_| panic!("the parser panicked on {what}"))
}

fn corpus_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("sarif"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn truncated_reports_fail_with_a_position_and_never_panic() {
    let Some(dir) = corpus_dir() else { return };
    for (name, bytes) in corpus_files(&dir) {
        let content_end = bytes.trim_ascii_end().len();
        for point in 0..50 {
            let cut = content_end * point / 50;
            let what = format!("{name} cut at byte {cut}");
            let err = parse_without_panic(&bytes[..cut], &what).expect_err(&what);
            let ParseError::Json { line, message, .. } = &err else { panic!("{what}: {err:?}") };
            assert_eq!(message, "unexpected end of file", "{what}");
            assert!(*line >= 1 && err.to_string().contains(" at line "), "{what}: {err}");
        }
    }
}

#[test]
fn reports_with_flipped_bytes_never_panic() {
    let Some(dir) = corpus_dir() else { return };
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
    for (name, bytes) in corpus_files(&dir) {
        for mutant in 0..25 {
            let mut mangled = bytes.clone();
            let flips = 1 + random.below(4);
            for _ in 0..flips {
                let at = random.below(mangled.len());
                mangled[at] ^= (random.next() as u8) | 1;
            }
            let what = format!("{name} mutant {mutant}");
            let _ = parse_without_panic(&mangled, &what);
        }
    }
}
