//! The secrets scanners' reports of the shared corpus against the manifest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

mod support;

use support::{CountPin, FieldPin, check_format};

#[test]
fn gitleaks() {
    const COUNTS: &[CountPin] = &[(
        "gitleaks-json/gitleaks8_many.json",
        4,
        "4 leaks; DefectDojo merges two leaks of the same secret at the same file and line \
         into one finding with 2 occurrences, we keep both (the import numbers them)",
    )];
    const FIELDS: &[FieldPin] = &[
        (
            "gitleaks-json/gitleaks.dir.json",
            0,
            "severity",
            "SecObserve says medium; a leaked credential is high for us",
        ),
        (
            "gitleaks-json/gitleaks.git.json",
            0,
            "severity",
            "SecObserve says medium; a leaked credential is high for us",
        ),
    ];
    let files = check_format("gitleaks-json", "gitleaks", COUNTS, FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            assert!(finding.secret.is_some(), "{path}: {} has no secret reference", finding.title);
            assert_eq!(finding.cwes, [798], "{path}");
        }
    }
}

#[test]
fn trufflehog() {
    let files = check_format("trufflehog-json", "trufflehog", &[], &[]);
    for (path, findings) in &files {
        let raw = std::fs::read_to_string(support::corpus_dir().unwrap().join(path)).unwrap();
        let all = serde_json::to_string(findings).unwrap();
        for secret in secrets_in(&raw) {
            assert!(!all.contains(&secret), "{path}: a secret was kept");
        }
        for finding in findings {
            assert!(finding.secret.is_some(), "{path}: {} has no secret reference", finding.title);
            assert_eq!(finding.cwes, [798], "{path}");
        }
    }
}

/// The secret values a TruffleHog report holds: v3's `Raw` and `RawV2`
/// (and their base64 decodings), trufflehog3's `secret`.
fn secrets_in(report: &str) -> Vec<String> {
    let items: Vec<serde_json::Value> = if report.trim_start().starts_with('[') {
        serde_json::from_str(report).unwrap()
    } else {
        report
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let mut secrets = Vec::new();
    for item in &items {
        for key in ["Raw", "RawV2", "secret"] {
            if let Some(value) = item.get(key).and_then(|v| v.as_str()).filter(|v| v.len() > 3) {
                secrets.push(value.to_string());
                secrets.extend(decode_base64(value));
            }
        }
    }
    secrets
}

fn decode_base64(text: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for byte in text.trim_end_matches('=').bytes() {
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
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The shared corpus has no detect-secrets baseline; this one is written
/// after the format detect-secrets 1.x documents, and checks detection and
/// the whole path through the format list.
#[test]
fn detect_secrets_baseline() {
    let baseline = br#"{
  "version": "1.4.0",
  "plugins_used": [
    {"name": "ArtifactoryDetector"},
    {"name": "AWSKeyDetector"},
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
    {"name": "KeywordDetector", "keyword_exclude": ""}
  ],
  "filters_used": [
    {"path": "detect_secrets.filters.allowlist.is_line_allowlisted"},
    {"path": "detect_secrets.filters.heuristic.is_indirect_reference"}
  ],
  "results": {
    "deploy/values.yaml": [
      {"type": "Base64 High Entropy String", "filename": "deploy/values.yaml",
       "hashed_secret": "1b5c8ec0a3e2b74d1bb1a0f2c7e1e1fbc8dd9f7a", "is_verified": false,
       "line_number": 41}
    ],
    "src/client.py": [
      {"type": "Secret Keyword", "filename": "src/client.py",
       "hashed_secret": "1b5c8ec0a3e2b74d1bb1a0f2c7e1e1fbc8dd9f7a", "is_verified": false,
       "line_number": 8, "is_secret": false}
    ]
  },
  "generated_at": "2023-11-20T09:30:00Z"
}"#;
    let format = fixgate_intake::formats::detect(baseline).map(|f| f.name);
    assert_eq!(format, Some("detect-secrets"));
    let parser = fixgate_intake::formats::by_name("detect-secrets").unwrap();
    let mut sink = fixgate_intake::Collected::default();
    (parser.parse)(&mut &baseline[..], &fixgate_intake::Options::default(), &mut sink).unwrap();
    assert_eq!(sink.findings.len(), 2);
    assert_eq!(sink.findings[0].secret, sink.findings[1].secret);
    assert!(sink.findings[1].suppression.is_some());
    assert_eq!(sink.runs[0].tool_version.as_deref(), Some("1.4.0"));
}

#[test]
fn a_secrets_scanners_sarif_keeps_no_secret() {
    let Some(dir) = support::corpus_dir() else { return };
    let collected = support::parse_file(&dir.join("sarif/gitleaks_7.5.0.sarif"), "sarif");
    let all = serde_json::to_string(&collected.findings).unwrap();
    assert!(!all.contains("AKIAIOSFODNN7EXAMPLE"), "{all}");
    assert!(!all.contains("BEGIN OPENSSH PRIVATE KEY-----\\nb3Blbn"), "a key's body is kept");
    assert!(collected.findings.iter().all(|f| f.secret.is_some()));
    // The same flagged line in two files is known to be the same secret.
    let hash_at = |file: &str, line: u32| {
        let finding = collected.findings.iter().find(|f| {
            let location = f.location.as_ref().unwrap();
            location.path.as_deref().is_some_and(|p| p.ends_with(file))
                && location.start_line == Some(line)
        });
        finding.unwrap().secret.as_ref().unwrap().hash.clone()
    };
    assert_eq!(hash_at("report_1_vuln.json", 13), hash_at("report_3_vuln.json", 44));
    assert_ne!(hash_at("report_1_vuln.json", 13), hash_at("report_3_vuln.json", 13));
}
