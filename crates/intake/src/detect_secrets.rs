//! detect-secrets baselines (`detect-secrets scan > .secrets.baseline`,
//! updated by `detect-secrets audit`): `results` maps each file to the
//! secrets found in it, beside `version`, `plugins_used`, `filters_used`
//! and `generated_at`. Versions 1.x (items carry `filename`) and 0.x (the
//! file is only the key) are read.
//!
//! The baseline holds no secret, only its SHA-1 (`hashed_secret`). fixgate
//! keys a hash over that SHA-1 like any secret's, so the same secret in two
//! files, or in two baselines, is known to be the same; the preview says the
//! value is not in the report.
//!
//! Severity: detect-secrets gives none. `is_verified: true` (a plugin
//! confirmed the secret works) → critical; otherwise high, as a credential
//! can be used as it is. CWE-798 (use of hard-coded credentials).
//!
//! Mapping: one finding per item; `type` (`AWS Access Key`, `Secret
//! Keyword`) → rule id and title; `filename` (else the key of `results`)
//! and `line_number` → location; `hashed_secret` → secret. An item audited
//! as not a secret (`is_secret: false`) → an external suppression; one
//! audited as a secret says so in the message.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, SecretRef, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "detect-secrets";

/// What fixgate shows of a secret it never saw.
const NOT_IN_REPORT: &str = "(not in the report: detect-secrets keeps only a hash)";

#[derive(Debug, Deserialize)]
struct Baseline {
    version: Option<String>,
    results: BTreeMap<String, Vec<Item>>,
}

#[derive(Debug, Deserialize)]
struct Item {
    #[serde(rename = "type")]
    kind: Option<String>,
    filename: Option<String>,
    hashed_secret: Option<String>,
    is_verified: Option<bool>,
    is_secret: Option<bool>,
    line_number: Option<u32>,
}

/// A JSON object with detect-secrets' `plugins_used` and `results`.
pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Object && shape.has_all(&["plugins_used", "results"])
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let baseline: Baseline = json::document(reader, &options.limits, NAME)?;
    for (file, items) in &baseline.results {
        for item in items {
            emit(sink, finding(file, item, options))?;
        }
    }
    let info = RunInfo {
        tool: "detect-secrets".into(),
        tool_version: baseline.version,
        ..RunInfo::default()
    };
    sink.run(0, info).map_err(ParseError::Sink)
}

fn finding(file: &str, item: &Item, options: &Options) -> Finding {
    let kind = non_blank(item.kind.as_deref()).unwrap_or_else(|| "Secret".into());
    let verified = item.is_verified.unwrap_or(false);
    let severity = if verified { Severity::Critical } else { Severity::High };
    let mut finding = Finding::new("detect-secrets", kind.clone(), kind, severity);
    finding.add_cwe(798);

    let path = non_blank(item.filename.as_deref()).or_else(|| non_blank(Some(file)));
    let mut message = format!("detect-secrets found a possible secret ({}).", finding.rule_id);
    if verified {
        message.push_str("\nVerified: a detect-secrets plugin confirmed that the secret works.");
    }
    match item.is_secret {
        Some(true) => message.push_str("\nAudited in the baseline as a real secret."),
        Some(false) => {
            message.push_str("\nAudited in the baseline as not a secret.");
            finding.suppression = Some(Suppression {
                kind: "external".into(),
                justification: Some(
                    "audited in the detect-secrets baseline as not a secret".into(),
                ),
            });
        }
        None => {}
    }
    finding.message = message;
    finding.secret = non_blank(item.hashed_secret.as_deref()).map(|sha1| SecretRef {
        preview: NOT_IN_REPORT.into(),
        // The prefix keeps a SHA-1 apart from a secret that is itself 40 hex
        // characters, which another tool would hash as it is.
        hash: options.secret_key.hash(&format!("sha1:{}", sha1.to_ascii_lowercase())),
    });
    finding.location = Some(Location {
        path,
        start_line: item.line_number,
        end_line: item.line_number,
        ..Location::default()
    });
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_with(text: &str, options: &Options) -> Collected {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), options, &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "detect-secrets");
        sink
    }

    /// A 1.x baseline after `detect-secrets audit`.
    const BASELINE: &str = r#"{
      "version": "1.5.0",
      "plugins_used": [{"name": "AWSKeyDetector"}, {"name": "Base64HighEntropyString", "limit": 4.5},
                       {"name": "KeywordDetector", "keyword_exclude": ""}],
      "filters_used": [{"path": "detect_secrets.filters.allowlist.is_line_allowlisted"},
                       {"path": "detect_secrets.filters.heuristic.is_likely_id_string"}],
      "results": {
        "config/settings.py": [
          {"type": "Secret Keyword", "filename": "config/settings.py",
           "hashed_secret": "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", "is_verified": false,
           "line_number": 12, "is_secret": true},
          {"type": "AWS Access Key", "filename": "config/settings.py",
           "hashed_secret": "25910f981e85ca04baf359199dd0bd4a3ae738b6", "is_verified": true,
           "line_number": 30}
        ],
        "tests/fixtures.py": [
          {"type": "Secret Keyword", "filename": "tests/fixtures.py",
           "hashed_secret": "E5E9FA1BA31ECD1AE84F75CAAA474F3A663F05F4", "is_verified": false,
           "line_number": 3, "is_secret": false}
        ]
      },
      "generated_at": "2024-03-01T12:00:00Z"
    }"#;

    #[test]
    fn items_map_to_findings() {
        let collected = parse_with(BASELINE, &Options::default());
        assert_eq!(collected.runs[0].tool_version.as_deref(), Some("1.5.0"));
        let [keyword, aws, fixture] = collected.findings.as_slice() else { panic!() };
        assert_eq!(keyword.rule_id, "Secret Keyword");
        assert_eq!(keyword.title, "Secret Keyword");
        assert_eq!(keyword.severity, Severity::High);
        assert_eq!(keyword.cwes, [798]);
        assert!(keyword.message.ends_with("Audited in the baseline as a real secret."));
        assert_eq!(keyword.suppression, None);
        let location = keyword.location.as_ref().unwrap();
        assert_eq!(
            (location.path.as_deref(), location.start_line),
            (Some("config/settings.py"), Some(12))
        );
        assert_eq!(aws.severity, Severity::Critical);
        assert!(aws.message.contains("confirmed that the secret works"));
        assert_eq!(fixture.suppression.as_ref().unwrap().kind, "external");
    }

    #[test]
    fn the_same_secret_matches_across_files_but_its_hash_is_not_stored() {
        let findings = parse_with(BASELINE, &Options::default()).findings;
        let (keyword, aws, fixture) = (&findings[0], &findings[1], &findings[2]);
        let secret = keyword.secret.as_ref().unwrap();
        assert_eq!(secret.preview, NOT_IN_REPORT);
        assert!(secret.hash.starts_with("hmac-sha256:"));
        assert_eq!(fixture.secret, keyword.secret);
        assert_ne!(aws.secret, keyword.secret);
        assert_ne!(fixture.fingerprint, keyword.fingerprint, "another file is another finding");
        let all = serde_json::to_string(&findings).unwrap();
        assert!(!all.to_ascii_lowercase().contains("e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"));
    }

    #[test]
    fn a_secret_keeps_its_identity_when_its_line_moves() {
        let options = Options::default();
        let before = parse_with(BASELINE, &options).findings;
        let after =
            parse_with(&BASELINE.replace("\"line_number\": 12", "\"line_number\": 19"), &options);
        assert_eq!(before[0].fingerprint, after.findings[0].fingerprint);
    }

    #[test]
    fn a_version_0_baseline_with_missing_fields_is_read() {
        let old = r#"{"exclude": {"files": null, "lines": null}, "generated_at": "2020-01-01T00:00:00Z",
          "plugins_used": [{"name": "HexHighEntropyString", "hex_limit": 3}],
          "results": {"app.env": [{"hashed_secret": "0123456789abcdef0123456789abcdef01234567",
            "is_verified": false, "line_number": 2, "type": "Hex High Entropy String"}],
            "odd.txt": [{}]},
          "version": "0.14.3"}"#;
        let findings = parse_with(old, &Options::default()).findings;
        assert_eq!(findings[0].location.as_ref().unwrap().path.as_deref(), Some("app.env"));
        assert_eq!(findings[1].rule_id, "Secret");
        assert_eq!(findings[1].secret, None);
        assert_eq!(findings[1].location.as_ref().unwrap().path.as_deref(), Some("odd.txt"));
    }

    #[test]
    fn an_empty_baseline_is_a_clean_scan() {
        let empty = r#"{"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {},
            "generated_at": "2024-03-01T12:00:00Z"}"#;
        assert!(parse_with(empty, &Options::default()).findings.is_empty());
        assert!(sniff(&Shape::of(empty.as_bytes())));
        assert!(!sniff(&Shape::of(br#"{"results": {}, "errors": []}"#)));
    }

    #[test]
    fn a_baseline_of_the_wrong_shape_is_refused_with_the_reason() {
        let mut sink = Collected::default();
        let wrong = br#"{"plugins_used": [], "results": [{"type": "x"}]}"#;
        let err = parse(&mut &wrong[..], &Options::default(), &mut sink).unwrap_err();
        assert!(err.to_string().starts_with("invalid detect-secrets report at `results`"), "{err}");
        let wrong = br#"{"results": {"a": [{"line_number": "two"}]}}"#;
        let err = parse(&mut &wrong[..], &Options::default(), &mut sink).unwrap_err();
        assert!(err.to_string().contains("results.a[0].line_number"), "{err}");
    }
}
