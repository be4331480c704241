//! Nuclei results (`nuclei -jsonl` / `-json` in 2.x, `-json-export` in 3.x):
//! one JSON object per result, as JSON lines or in one array. Nuclei 3 and
//! late 2.x write `template-id`, `matched-at`, `matcher-name`,
//! `extracted-results`; early 2.x wrote `templateID`, `matched`,
//! `matcher_name`, `extracted_results`; both are read. An empty file is a
//! clean scan.
//!
//! Mapping: one finding per result. Nuclei's `info.severity` (`critical`,
//! `high`, `medium`, `low`, `info`) maps one to one; `unknown` (a template
//! without a rating) and anything else is info. Results written only
//! because of `-matcher-status` (`"matcher-status": false`) are failed
//! matches, not findings.
//!
//! Fields: `template-id` → rule, `info.name` → title, `info.description`,
//! the matcher, the extracted results, the host and IP → message,
//! `info.remediation` → remediation, `info.reference` → references,
//! `info.classification` → CVE ids, CWEs and CVSS, `matched-at` (else the
//! host) → logical location. A finding's identity is the template, the
//! matched place and the matcher's name: one template at one URL can match
//! through several named matchers (`tech-detect` finds nginx and bootstrap),
//! and those are different findings. Requests, responses and curl commands
//! are not kept. Extracted results of templates about tokens, keys,
//! secrets, passwords or credentials are treated as secrets: the first is
//! kept only as a keyed hash and a preview, and none appears in any text.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Cvss, Finding, Fingerprint, Location, RunInfo, Severity};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::dast::{cut, is_link};
use crate::ids::{collect_advisories, cwe_in};
use crate::secrets::{preview, scrub_in};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "nuclei";

/// How many extracted results the message lists, and how many characters
/// of each.
const EXTRACTED_SHOWN: usize = 10;
const EXTRACTED_CHARS: usize = 100;

/// Words in a template's id or tags that say its extracted results are
/// secrets.
const SECRET_WORDS: &[&str] = &["token", "secret", "key", "password", "credential", "apikey"];

/// One result.
#[derive(Debug, Deserialize)]
struct NucleiResult {
    #[serde(rename = "template-id", alias = "templateID")]
    template_id: Option<String>,
    #[serde(rename = "template-url")]
    template_url: Option<String>,
    info: Option<Info>,
    #[serde(rename = "type")]
    kind: Option<String>,
    host: Option<String>,
    #[serde(rename = "matched-at", alias = "matched")]
    matched_at: Option<String>,
    url: Option<String>,
    #[serde(rename = "extracted-results", alias = "extracted_results")]
    extracted_results: Option<Vec<String>>,
    #[serde(rename = "matcher-name", alias = "matcher_name")]
    matcher_name: Option<String>,
    #[serde(rename = "matcher-status")]
    matcher_status: Option<bool>,
    ip: Option<String>,
}

/// The template's description of itself.
#[derive(Debug, Deserialize)]
struct Info {
    name: Option<String>,
    tags: Option<Words>,
    description: Option<String>,
    reference: Option<Words>,
    severity: Option<String>,
    classification: Option<Classification>,
    remediation: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Classification {
    #[serde(rename = "cve-id")]
    cve_id: Option<Words>,
    #[serde(rename = "cwe-id")]
    cwe_id: Option<Words>,
    #[serde(rename = "cvss-metrics")]
    cvss_metrics: Option<String>,
    #[serde(rename = "cvss-score")]
    cvss_score: Option<f64>,
}

/// Nuclei writes lists as arrays, or as one string (`"network,openssh"`,
/// `"- http://a\n- http://b"`) in older reports.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Words {
    One(String),
    Many(Vec<String>),
}

impl Words {
    /// The entries, a single string split at commas, line breaks and list
    /// dashes.
    fn list(&self) -> Vec<&str> {
        match self {
            Words::One(text) => split_words(text),
            Words::Many(items) => items.iter().flat_map(|item| split_words(item)).collect(),
        }
    }
}

fn split_words(text: &str) -> Vec<&str> {
    text.split([',', '\n'])
        .map(|part| part.trim().trim_start_matches("- ").trim())
        .filter(|part| !part.is_empty())
        .collect()
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.is_json()
        && (shape.has_all(&["template-id", "info"]) || shape.has_all(&["templateID", "info"]))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    json::values(reader, &options.limits, NAME, |result: NucleiResult| {
        if result.matcher_status == Some(false) {
            return Ok(());
        }
        emit(sink, finding(result, options))
    })?;
    sink.run(0, RunInfo { tool: "Nuclei".into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

fn finding(result: NucleiResult, options: &Options) -> Finding {
    let info = result.info.as_ref();
    let rule = non_blank(result.template_id.as_deref()).unwrap_or_else(|| "nuclei".into());
    let title = non_blank(info.and_then(|i| i.name.as_deref())).unwrap_or_else(|| rule.clone());
    let tool_severity = non_blank(info.and_then(|i| i.severity.as_deref()));
    let severity = tool_severity.as_deref().and_then(severity_word).unwrap_or(Severity::Info);

    let mut finding = Finding::new("Nuclei", rule, title, severity);
    finding.tool_severity = tool_severity;
    finding.remediation = non_blank(info.and_then(|i| i.remediation.as_deref()));
    if let Some(info) = info {
        classify(&mut finding, info);
    }
    finding.help_uri =
        non_blank(result.template_url.as_deref()).or_else(|| finding.references.first().cloned());

    let place = non_blank(result.matched_at.as_deref())
        .or_else(|| non_blank(result.url.as_deref()))
        .or_else(|| non_blank(result.host.as_deref()));
    let matcher = non_blank(result.matcher_name.as_deref());
    let extracted: Vec<&str> = result
        .extracted_results
        .iter()
        .flatten()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .collect();
    let secret = extracted.first().filter(|_| holds_secrets(&result)).map(|s| s.to_string());
    finding.message =
        message(&result, &finding.title, matcher.as_deref(), &extracted, secret.is_some());

    match secret {
        Some(secret) => {
            scrub_in(&mut finding.message, &secret);
            finding.secret = Some(options.secret_key.protect(&secret));
        }
        None => {
            // Without a matcher name, what an informational detection
            // extracted is what it found, and tells its results apart
            // (`tls-version` finds tls12 and tls13). A vulnerability's
            // extracted values are evidence (a version) and may change
            // while the problem stays. Passed as code, not as a message,
            // so its digits count.
            let identity = match matcher {
                Some(matcher) => matcher,
                None if finding.severity == Severity::Info => extracted.join(" "),
                None => String::new(),
            };
            finding.fingerprint = Fingerprint::compute(
                &finding.rule_id,
                &BTreeMap::new(),
                place.as_deref(),
                Some(identity.as_str()).filter(|i| !i.is_empty()),
                "",
            );
        }
    }
    finding.location = Some(Location { logical: place, ..Location::default() });
    finding
}

/// CVE ids, CWEs, CVSS and references from the template's info.
fn classify(finding: &mut Finding, info: &Info) {
    if let Some(class) = &info.classification {
        let mut advisories = Vec::new();
        for id in class.cve_id.iter().flat_map(Words::list) {
            collect_advisories(id, &mut advisories);
        }
        for id in advisories {
            finding.add_advisory(&id);
        }
        for cwe in class.cwe_id.iter().flat_map(Words::list).filter_map(cwe_in) {
            finding.add_cwe(cwe);
        }
        let vector = non_blank(class.cvss_metrics.as_deref());
        if vector.is_some() || class.cvss_score.is_some() {
            finding.cvss = Some(Cvss { score: class.cvss_score, vector });
        }
    }
    for link in info.reference.iter().flat_map(Words::list) {
        if is_link(link) {
            finding.add_reference(link);
        }
    }
}

/// Whether the template is about tokens, keys, secrets, passwords or
/// credentials, so that what it extracts is one.
fn holds_secrets(result: &NucleiResult) -> bool {
    let tags = result.info.as_ref().and_then(|i| i.tags.as_ref());
    let id = result.template_id.as_deref().unwrap_or("");
    std::iter::once(id)
        .chain(tags.iter().flat_map(|t| t.list()))
        .map(str::to_ascii_lowercase)
        .any(|word| SECRET_WORDS.iter().any(|secret| word.contains(secret)))
}

/// The template's description, then what matched, what was extracted, the
/// protocol, the host and its address, and the tags.
fn message(
    result: &NucleiResult,
    title: &str,
    matcher: Option<&str>,
    extracted: &[&str],
    secret: bool,
) -> String {
    let info = result.info.as_ref();
    let mut message =
        non_blank(info.and_then(|i| i.description.as_deref())).unwrap_or_else(|| title.to_string());
    message.push('\n');
    let shown: Vec<String> = extracted
        .iter()
        .take(EXTRACTED_SHOWN)
        .map(|e| if secret { preview(e) } else { cut(e, EXTRACTED_CHARS) })
        .collect();
    let host = match (non_blank(result.host.as_deref()), non_blank(result.ip.as_deref())) {
        (Some(host), Some(ip)) => Some(format!("{host} ({ip})")),
        (host, _) => host,
    };
    let tags = info.and_then(|i| i.tags.as_ref()).map(|t| t.list().join(", "));
    let lines = [
        ("Matcher", matcher.map(str::to_string)),
        ("Extracted", (!shown.is_empty()).then(|| shown.join(", "))),
        ("Type", non_blank(result.kind.as_deref())),
        ("Host", host),
        ("Tags", tags.filter(|t| !t.is_empty())),
    ];
    for (label, value) in lines {
        if let Some(value) = value {
            message.push_str(&format!("\n{label}: {value}"));
        }
    }
    message.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn collect(text: &str) -> Result<Collected, ParseError> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink)?;
        Ok(sink)
    }

    const LINES: &str = r#"{"template-id": "CVE-2021-44228", "template-path": "/t/cves/CVE-2021-44228.yaml", "template-url": "https://templates.nuclei.sh/public/CVE-2021-44228", "info": {"name": "Apache Log4j2 Remote Code Injection", "author": ["melbadry9", "dhiyaneshDK"], "tags": ["cve", "rce", "log4j"], "description": "Apache Log4j2 JNDI features do not protect against attacker-controlled LDAP endpoints.", "reference": ["https://logging.apache.org/log4j/2.x/security.html", "not a link"], "severity": "critical", "classification": {"cve-id": ["cve-2021-44228"], "cwe-id": ["cwe-502", "cwe-400"], "cvss-metrics": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "cvss-score": 10.0}, "remediation": "Upgrade to Log4j 2.17.1."}, "type": "http", "host": "https://shop.example", "matched-at": "https://shop.example/api/login", "extracted-results": ["2.14.1"], "ip": "10.0.0.1", "timestamp": "2024-01-01T00:00:00Z", "curl-command": "curl -X POST https://shop.example/api/login -H 'Cookie: session=SECRET-COOKIE'", "request": "POST /api/login HTTP/1.1\r\nCookie: session=SECRET-COOKIE\r\n", "response": "HTTP/1.1 200 OK\r\nSet-Cookie: session=SECRET-COOKIE\r\n", "matcher-status": true}
{"template-id": "tech-detect", "info": {"name": "Wappalyzer Technology Detection", "severity": "info", "tags": "tech"}, "type": "http", "host": "https://shop.example", "matched-at": "https://shop.example/", "matcher-name": "nginx"}
{"template-id": "tech-detect", "info": {"name": "Wappalyzer Technology Detection", "severity": "info", "tags": "tech"}, "type": "http", "host": "https://shop.example", "matched-at": "https://shop.example/", "matcher-name": "bootstrap"}
{"template-id": "tech-detect", "info": {"name": "Wappalyzer Technology Detection", "severity": "info"}, "type": "http", "host": "https://shop.example", "matched-at": "https://shop.example/", "matcher-name": "jquery", "matcher-status": false}
"#;

    #[test]
    fn each_result_is_a_finding_and_failed_matches_are_not() {
        let sink = collect(LINES).unwrap();
        assert_eq!(sink.findings.len(), 3);
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "Nuclei");

        let first = &sink.findings[0];
        assert_eq!(first.rule_id, "CVE-2021-44228");
        assert_eq!(first.title, "Apache Log4j2 Remote Code Injection");
        assert_eq!(
            (first.severity, first.tool_severity.as_deref()),
            (Severity::Critical, Some("critical"))
        );
        assert_eq!(first.advisories, ["CVE-2021-44228"]);
        assert_eq!(first.cwes, [502, 400]);
        let cvss = first.cvss.as_ref().unwrap();
        assert_eq!(cvss.score, Some(10.0));
        assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"));
        assert_eq!(first.references, ["https://logging.apache.org/log4j/2.x/security.html"]);
        assert_eq!(
            first.help_uri.as_deref(),
            Some("https://templates.nuclei.sh/public/CVE-2021-44228")
        );
        assert_eq!(first.remediation.as_deref(), Some("Upgrade to Log4j 2.17.1."));
        assert_eq!(
            first.location.as_ref().unwrap().logical.as_deref(),
            Some("https://shop.example/api/login")
        );
        assert_eq!(
            first.message,
            "Apache Log4j2 JNDI features do not protect against attacker-controlled LDAP endpoints.\n\n\
             Extracted: 2.14.1\nType: http\nHost: https://shop.example (10.0.0.1)\nTags: cve, rce, log4j"
        );
    }

    #[test]
    fn requests_and_responses_are_not_kept() {
        let all = serde_json::to_string(&collect(LINES).unwrap().findings).unwrap();
        assert!(!all.contains("SECRET-COOKIE"), "{all}");
    }

    #[test]
    fn matchers_tell_findings_of_one_template_at_one_place_apart() {
        let sink = collect(LINES).unwrap();
        assert_ne!(sink.findings[1].fingerprint, sink.findings[2].fingerprint);
        assert!(sink.findings[1].message.contains("Matcher: nginx"));
        let again =
            collect(&LINES.replace("10.0.0.1", "10.0.0.2").replace("2.14.1", "2.14.0")).unwrap();
        assert_eq!(sink.findings[0].fingerprint, again.findings[0].fingerprint);
    }

    #[test]
    fn extracted_tokens_are_secrets() {
        let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
        let line = format!(
            r#"{{"template-id": "github-token-exposure", "info": {{"name": "GitHub token", "severity": "high", "tags": ["exposure", "token"]}}, "matched-at": "https://shop.example/app.js", "extracted-results": ["{token}"]}}"#
        );
        let options = Options::default();
        let mut sink = Collected::default();
        parse(&mut line.as_bytes(), &options, &mut sink).unwrap();
        let finding = &sink.findings[0];
        assert_eq!(finding.secret.as_ref().unwrap().hash, options.secret_key.hash(token));
        assert!(finding.message.contains("Extracted: ghp_…yzAB (42 chars)"), "{}", finding.message);
        assert!(!serde_json::to_string(&sink.findings).unwrap().contains(token));
    }

    #[test]
    fn early_2x_results_and_arrays_are_read() {
        let early = r#"{"templateID":"openssh5.3-detect","info":{"name":"OpenSSH 5.3 Detection","author":"iamthefrogy","severity":"low","tags":"network,openssh","reference":"- http://seclists.org/a\n- https://security-tracker.debian.org/tracker/CVE-2016-6210\n"},"type":"network","host":"https://example.com","matched":"example.com:22","matcher_name":"banner","extracted_results":["SSH-2.0-OpenSSH_5.3"],"ip":"1.2.3.4"}"#;
        let sink = collect(early).unwrap();
        let finding = &sink.findings[0];
        assert_eq!(
            (finding.rule_id.as_str(), finding.severity),
            ("openssh5.3-detect", Severity::Low)
        );
        assert_eq!(finding.location.as_ref().unwrap().logical.as_deref(), Some("example.com:22"));
        assert_eq!(finding.references.len(), 2);
        assert!(finding.message.contains("Matcher: banner\nExtracted: SSH-2.0-OpenSSH_5.3"));
        assert!(finding.message.ends_with("Tags: network, openssh"));

        let array = format!("[{early}, {early}]");
        assert_eq!(collect(&array).unwrap().findings.len(), 2);
    }

    #[test]
    fn severities_map_and_unknown_is_info() {
        for (word, severity) in [
            ("critical", Severity::Critical),
            ("high", Severity::High),
            ("medium", Severity::Medium),
            ("low", Severity::Low),
            ("info", Severity::Info),
            ("unknown", Severity::Info),
        ] {
            let line = format!(r#"{{"template-id": "t", "info": {{"severity": "{word}"}}}}"#);
            assert_eq!(collect(&line).unwrap().findings[0].severity, severity, "{word}");
        }
    }

    #[test]
    fn sparse_and_empty_reports_are_read() {
        let sink = collect("{}\n").unwrap();
        let finding = &sink.findings[0];
        assert_eq!((finding.rule_id.as_str(), finding.severity), ("nuclei", Severity::Info));
        assert_eq!(finding.location.as_ref().unwrap().logical, None);
        for empty in ["", "\n", "[]"] {
            let sink = collect(empty).unwrap();
            assert!(sink.findings.is_empty());
            assert_eq!(sink.runs.len(), 1);
        }
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = collect("{\"template-id\": \"a\"}\n{\"template-id\": 5}\n").unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: invalid nuclei report at `template-id`"),
            "{err}"
        );
        let err = collect("{\"template-id\": \"a\"").unwrap_err();
        assert!(matches!(err, ParseError::Json { .. }), "{err}");
    }

    #[test]
    fn detection_wants_nuclei_keys() {
        assert!(sniff(&Shape::of(LINES.as_bytes())));
        assert!(sniff(&Shape::of(br#"[{"template-id": "a", "info": {}}]"#)));
        assert!(sniff(&Shape::of(br#"{"templateID": "a", "info": {}}"#)));
        assert!(!sniff(&Shape::of(br#"{"template-id": "a"}"#)));
        assert!(!sniff(&Shape::of(b"")));
    }
}
