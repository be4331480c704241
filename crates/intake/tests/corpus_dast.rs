//! The DAST scanners' reports of the shared corpus against the manifest.
//!
//! Our rule for DAST tools: one finding per place an alert or issue was
//! seen (method, URL and parameter), where the peers make one finding per
//! alert or issue type and list the places as its endpoints. Places that
//! differ only in their evidence are one finding.

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
fn zap_json() {
    const COUNTS: &[CountPin] = &[(
        "zap-json/owasp_zap.json",
        23,
        "5 alerts with 27 instances; SecObserve makes one observation per alert, we make one \
         finding per instance (method, URL, parameter): 23 distinct places, the other 4 repeat \
         a place with other evidence or other information",
    )];
    const FIELDS: &[FieldPin] = &[(
        "zap-json/owasp_zap.json",
        1,
        "cwe",
        "the manifest writes this CWE as the string \"200\", which the shared comparison does not \
         read as a number; the test below checks that the finding carries CWE 200",
    )];
    let files = check_format("zap-json", "zap", COUNTS, FIELDS);
    let (_, findings) = &files[0];
    let comments: Vec<_> = findings
        .iter()
        .filter(|f| f.title == "Information Disclosure - Suspicious Comments")
        .collect();
    assert_eq!(comments.len(), 4);
    assert!(comments.iter().all(|f| f.cwes == [200] && f.severity.as_str() == "info"));
    let cors = findings.iter().find(|f| f.rule_id == "10098").unwrap();
    assert_eq!(
        cors.references,
        [
            "https://vulncat.fortify.com/en/detail?id=desc.config.dotnet.html5_overly_permissive_cors_policy"
        ]
    );
    assert_eq!(
        cors.location.as_ref().unwrap().logical.as_deref(),
        Some("GET https://example-backend.example.com/django-static/admin/css/base.css")
    );
    assert!(findings.iter().all(|f| !f.message.contains("<p>")));
}

#[test]
fn zap_xml() {
    const COUNTS: &[CountPin] = &[
        (
            "zap-xml/dvwa_baseline_dojo.xml",
            98,
            "19 alerts with 124 instances; DefectDojo makes one finding per alert, we make one \
             per instance: 98 distinct places (20 timestamps disclosed by one page are one)",
        ),
        (
            "zap-xml/juicy2.xml",
            71,
            "6 alerts with 86 instances; DefectDojo makes one finding per alert, we make one per \
             instance: 71 distinct places",
        ),
        (
            "zap-xml/some_2.9.0.xml",
            14,
            "7 alerts with 17 instances; DefectDojo makes one finding per alert, we make one per \
             instance: 14 distinct places",
        ),
    ];
    let files = check_format("zap-xml", "zap", COUNTS, &[]);
    for (path, findings) in &files {
        for finding in findings {
            let logical = finding.location.as_ref().and_then(|l| l.logical.as_deref());
            assert!(
                logical.is_some_and(|l| l.starts_with("GET ") || l.starts_with("POST ")),
                "{path}"
            );
        }
    }
}

#[test]
fn nuclei() {
    const COUNTS: &[CountPin] = &[
        (
            "nuclei-json/many_findings.json",
            18,
            "18 results; DefectDojo merges results of one template, type and matcher on one host \
             name, so tech-detect's bootstrap and font-awesome on 127.0.0.1:8080/WebGoat and \
             127.0.0.1:9090/WebWolf become one each (16). Those are two applications on two \
             ports: we keep one finding per matched URL and matcher",
        ),
        (
            "nuclei-json/multiple_v3.json",
            6,
            "6 results; `tls-version` found tls12 and tls13 at one place without a matcher name, \
             and DefectDojo merges them (5). What an informational detection extracted is what \
             it found, so we keep both",
        ),
    ];
    let files = check_format("nuclei-json", "nuclei", COUNTS, &[]);
    for (path, findings) in &files {
        let all = serde_json::to_string(findings).unwrap();
        assert!(!all.contains("HTTP/1.1"), "{path}: a request or response was kept");
        assert!(findings.iter().all(|f| f.location.as_ref().unwrap().logical.is_some()), "{path}");
    }
    let (_, v3) = files.iter().find(|(path, _)| path.ends_with("multiple_v3.json")).unwrap();
    // Two `tls-version` results at one place without a matcher name: what
    // each extracted (tls12, tls13) tells them apart.
    assert_eq!(v3.iter().filter(|f| f.rule_id == "tls-version").count(), 2);
    let (_, matches) =
        files.iter().find(|(path, _)| path.ends_with("multiple_matches.json")).unwrap();
    assert!(matches.iter().any(|f| f.message.contains("Matcher: genexus")));
}

#[test]
fn burp() {
    const COUNTS: &[CountPin] = &[
        (
            "burp-xml/one_finding.xml",
            3,
            "3 SQL injection issues (the b_id cookie, the username and the password parameters); \
             DefectDojo merges issues of one type into one finding with 3 endpoints, we keep one \
             finding per issue",
        ),
        (
            "burp-xml/seven_findings.xml",
            16,
            "16 issues of 7 types; DefectDojo merges issues of one type, we keep one finding per \
             issue",
        ),
    ];
    let files = check_format("burp-xml", "burp", COUNTS, &[]);
    for (path, findings) in &files {
        let all = serde_json::to_string(findings).unwrap();
        assert!(!all.contains("AD00240A932835EDD60B3F7487A9D15D"), "{path}: a session id was kept");
        for finding in findings {
            let logical = finding.location.as_ref().and_then(|l| l.logical.as_deref()).unwrap();
            assert!(
                logical.starts_with("GET http://bwa/") || logical.starts_with("POST http://bwa/")
            );
        }
    }
    let (_, seven) = files.iter().find(|(path, _)| path.ends_with("seven_findings.xml")).unwrap();
    let frameable = seven.iter().filter(|f| f.rule_id == "5245344").count();
    assert_eq!(frameable, 3);
    let cookie = seven.iter().find(|f| f.rule_id == "5244416").unwrap();
    assert!(cookie.secret.is_some());
}
