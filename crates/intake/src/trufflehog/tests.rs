use super::*;
use crate::Collected;

fn parse_with(text: &str, options: &Options) -> Collected {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), options, &mut sink).unwrap();
    assert_eq!(sink.runs.len(), 1);
    sink
}

fn parse_text(text: &str) -> Collected {
    parse_with(text, &Options::default())
}

/// An early v3 line: `Raw` base64-encoded (`AKIAYVP4CIPPERUVIFXG`).
const OLD_GIT: &str = r#"{"SourceMetadata":{"Data":{"Git":{"commit":"fbc1430","file":"keys","email":"dev <dev@example.com>","repository":"https://github.com/example/keys","timestamp":"2022-06-16 10:17:40 -0700","line":4}}},"SourceID":0,"SourceType":16,"SourceName":"trufflehog - git","DetectorType":2,"DetectorName":"AWS","Verified":true,"Raw":"QUtJQVlWUDRDSVBQRVJVVklGWEc=","Redacted":"AKIAYVP4CIPPERUVIFXG","ExtraData":{"account":"595918472158"},"StructuredData":null}"#;

/// A current v3 line: plain `Raw`, `RawV2` holding the key id and the secret
/// key, which `ExtraData` repeats here to prove it is scrubbed.
const NEW_FILESYSTEM: &str = r#"{"SourceMetadata":{"Data":{"Filesystem":{"file":"config/prod.env","line":7}}},"SourceID":1,"SourceType":15,"SourceName":"trufflehog - filesystem","DetectorType":2,"DetectorName":"AWS","DetectorDescription":"AWS is a cloud platform.","DecoderName":"BASE64","Verified":false,"VerificationError":"timeout","Raw":"AKIAQYLPMN5HHHFPZAM2","RawV2":"AKIAQYLPMN5HHHFPZAM21tUm636uS1yOEcfP5pvfqJ/ml36mF7AkyHsEU0IU","Redacted":"AKIAQYLPMN5HHHFPZAM2","ExtraData":{"hint":"AKIAQYLPMN5HHHFPZAM21tUm636uS1yOEcfP5pvfqJ/ml36mF7AkyHsEU0IU","resource_type":"Access key"},"StructuredData":null}"#;

const LOG_LINE: &str = r#"{"level":"info-0","ts":"2024-01-01T00:00:00Z","logger":"trufflehog","msg":"finished scanning","chunks":10}"#;

#[test]
fn v3_lines_map_to_findings_and_log_lines_are_skipped() {
    let report = format!("{OLD_GIT}\n{LOG_LINE}\n{NEW_FILESYSTEM}\n");
    let collected = parse_text(&report);
    assert_eq!(collected.runs[0].tool, "TruffleHog");
    assert_eq!(collected.runs[0].repository.as_deref(), Some("https://github.com/example/keys"));
    let [old, new] = collected.findings.as_slice() else { panic!("{:?}", collected.findings) };

    assert_eq!(old.tool, "TruffleHog");
    assert_eq!(old.rule_id, "AWS");
    assert_eq!(old.title, "AWS secret");
    assert_eq!(old.severity, Severity::Critical);
    assert_eq!(old.cwes, [798]);
    assert!(old.message.contains("Verified: the secret works"));
    assert!(old.message.contains("\nCommit fbc1430 by dev <dev@example.com> on 2022-06-16"));
    assert!(old.message.contains("\naccount: 595918472158"), "{}", old.message);
    let location = old.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("keys"));
    assert_eq!((location.start_line, location.end_line), (Some(4), Some(4)));
    assert_eq!(
        old.secret.as_ref().unwrap().preview,
        "AKI…IFXG (20 chars)".replace("IFXG", "UVIFXG").replace("UVIFXG", "FXG")
    );

    assert_eq!(new.severity, Severity::High);
    assert!(new.message.contains("Not verified. The check failed: timeout"), "{}", new.message);
    assert!(new.message.contains("\nAWS is a cloud platform.\nFound encoded as BASE64."));
    assert_eq!(new.location.as_ref().unwrap().path.as_deref(), Some("config/prod.env"));
}

#[test]
fn no_form_of_the_secret_leaves_the_parser() {
    let report = format!("{OLD_GIT}\n{NEW_FILESYSTEM}\n");
    let all = serde_json::to_string(&parse_text(&report).findings).unwrap();
    for secret in [
        "QUtJQVlWUDRDSVBQRVJVVklGWEc=",
        "AKIAYVP4CIPPERUVIFXG",
        "AKIAQYLPMN5HHHFPZAM2",
        "1tUm636uS1yOEcfP5pvfqJ/ml36mF7AkyHsEU0IU",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

#[test]
fn the_same_secret_hashes_the_same_in_either_encoding_and_keeps_its_identity() {
    let options = Options::default();
    let plain = OLD_GIT.replace("QUtJQVlWUDRDSVBQRVJVVklGWEc=", "AKIAYVP4CIPPERUVIFXG");
    let old = &parse_with(OLD_GIT, &options).findings[0];
    let new = &parse_with(&plain, &options).findings[0];
    assert_eq!(old.secret, new.secret);
    assert_eq!(old.fingerprint, new.fingerprint);
    let moved = &parse_with(&OLD_GIT.replace("\"line\":4", "\"line\":9"), &options).findings[0];
    assert_eq!(moved.location.as_ref().unwrap().start_line, Some(9));
    assert_eq!(old.fingerprint, moved.fingerprint);
    let elsewhere = &parse_with(&OLD_GIT.replace("\"file\":\"keys\"", "\"file\":\"b\""), &options);
    assert_eq!(elsewhere.findings[0].secret, old.secret);
    assert_ne!(elsewhere.findings[0].fingerprint, old.fingerprint);
}

#[test]
fn sources_without_a_file_and_missing_fields_do_not_fail() {
    let docker = r#"{"SourceMetadata":{"Data":{"Docker":{"image":"shop:1.2","layer":"sha256:ab","file":"/app/.env"}}},"DetectorName":"Stripe","Raw":"sk_live_0123456789abcdefABCDEF"}"#;
    let bare = r#"{"DetectorName":"Slack"}"#;
    let collected = parse_text(&format!("{docker}\n{bare}"));
    let location = collected.findings[0].location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("/app/.env"));
    assert_eq!(location.logical.as_deref(), Some("shop:1.2"));
    assert_eq!(collected.findings[0].severity, Severity::High);
    let bare = &collected.findings[1];
    assert_eq!(
        (bare.title.as_str(), bare.location.is_none(), bare.secret.is_none()),
        ("Slack secret", true, true)
    );
}

const PYTHON: &str = r#"[
  {"rule": {"id": "high-entropy", "message": "High Entropy", "severity": "HIGH"},
   "path": "env-file.txt", "line": "10", "secret": "44c45225cf94e58d0c86f0a31051eb7c52c8f78f",
   "context": {"9": "OTHER_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
               "10": "DD_API_KEY=44c45225cf94e58d0c86f0a31051eb7c52c8f78f"},
   "id": "7bcea5c8", "branch": "main", "message": "add env\nmore", "author": "dev",
   "commit": "9c3f4d6", "date": "2021-10-08T20:14:27+02:00"},
  {"rule": {"id": "password", "message": "Password", "severity": "LOW"}, "path": "a.cfg",
   "line": "2", "secret": "hunter2hunter2", "context": null,
   "branch": null, "message": null, "author": null, "commit": null, "date": null},
  {"rule": {"id": "odd", "severity": "URGENT"}, "path": "b.cfg"}
]"#;

#[test]
fn trufflehog3_items_map_to_findings() {
    let collected = parse_text(PYTHON);
    assert_eq!(collected.runs[0].tool, "trufflehog3");
    let first = &collected.findings[0];
    assert_eq!(first.tool, "trufflehog3");
    assert_eq!(first.rule_id, "high-entropy");
    assert_eq!(first.title, "High Entropy");
    assert_eq!(first.tool_severity.as_deref(), Some("HIGH"));
    assert_eq!(first.cwes, [798]);
    assert!(
        first.message.contains(
            "\n\nBranch main\nCommit 9c3f4d6 by dev on 2021-10-08T20:14:27+02:00: add env"
        )
    );
    let location = first.location.as_ref().unwrap();
    assert_eq!((location.path.as_deref(), location.start_line), (Some("env-file.txt"), Some(10)));
    assert_eq!(location.snippet.as_deref(), Some("DD_API_KEY=44c4…f78f (40 chars)"));
    let all = serde_json::to_string(&collected.findings).unwrap();
    assert!(!all.contains("44c45225cf94e58d0c86f0a31051eb7c52c8f78f"));
    assert!(!all.contains("hunter2hunter2"));
    assert!(
        !all.contains("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        "other context lines are dropped"
    );
    let severities: Vec<Severity> = collected.findings.iter().map(|f| f.severity).collect();
    assert_eq!(severities, [Severity::High, Severity::Low, Severity::Info]);
    assert_eq!(collected.findings[2].title, "odd");
}

#[test]
fn empty_reports_are_clean_scans_of_their_tool() {
    let lines = parse_text("");
    assert!(lines.findings.is_empty());
    assert_eq!(lines.runs[0].tool, "TruffleHog");
    let array = parse_text(" [ ] ");
    assert!(array.findings.is_empty());
    assert_eq!(array.runs[0].tool, "trufflehog3");
    assert_eq!(parse_text(LOG_LINE).runs[0].tool, "TruffleHog");
}

#[test]
fn detection_tells_the_two_tools_from_other_reports() {
    assert!(sniff(&Shape::of(OLD_GIT.as_bytes())));
    assert!(sniff(&Shape::of(format!("{LOG_LINE}\n{OLD_GIT}").as_bytes())));
    assert!(sniff(&Shape::of(PYTHON.as_bytes())));
    assert!(!sniff(&Shape::of(b"[]")));
    assert!(!sniff(&Shape::of(br#"[{"RuleID": "x", "Secret": "y"}]"#)));
}

#[test]
fn a_wrong_shaped_line_is_named() {
    let mut sink = Collected::default();
    let report = format!("{OLD_GIT}\n{{\"DetectorName\": 5}}\n");
    let err = parse(&mut report.as_bytes(), &Options::default(), &mut sink).unwrap_err();
    assert!(
        err.to_string().starts_with("line 2: invalid trufflehog report at `DetectorName`"),
        "{err}"
    );
}

#[test]
fn base64_is_decoded_only_to_printable_text() {
    assert_eq!(base64_text("QUtJQQ==").as_deref(), Some("AKIA"));
    assert_eq!(base64_text("44c45225cf94e58d0c86f0a31051eb7c52c8f78f"), None);
    assert_eq!(base64_text("abc"), None);
    assert_eq!(base64_text("AAAA"), None);
    assert_eq!(base64_text("a-b_"), None);
}
