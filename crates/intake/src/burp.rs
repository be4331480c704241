//! Burp Suite XML exports ("Report selected issues" → XML, Burp 1.6 to
//! 2024 Professional and Enterprise): an `issues` root with `burpVersion`,
//! one `issue` element per issue. Every export starts with a DTD of element
//! and attribute declarations only, which the XML reader accepts (see
//! [`crate::xml`]).
//!
//! Mapping: one finding per issue, that is, per issue type at one place
//! (Burp lists each place as its own issue). `severity` `High`, `Medium`,
//! `Low` map one to one and `Information` is info, kept; an issue a person
//! marked `False positive` is kept, info and suppressed. Burp rates nothing
//! critical.
//!
//! Fields: `type` → rule, `name` → title, `issueDetail` and
//! `issueBackground` (HTML, as text), the location, confidence, host and
//! detail items → message, `remediationDetail` and `remediationBackground`
//! → remediation, the links of `references` and `vulnerabilityClassifications`
//! → references, the CWE ids of `vulnerabilityClassifications` → CWEs, the
//! first request's method and `host` + `path` → logical location
//! (`POST http://shop.example/login`). A finding's identity is the issue
//! type, that place and Burp's `location` (the path with the parameter or
//! cookie, `/login [password parameter]`). Requests and responses are not
//! kept. Cookie values among the detail items (`JSESSIONID=…`) are session
//! tokens: the first is kept only as a keyed hash and a preview, and every
//! one is replaced by its preview in all texts.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Finding, Fingerprint, Location, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::dast::{cut, is_link};
use crate::ids::cwe_in;
use crate::secrets::scrub_in;
use crate::{Options, ParseError, Shape, Sink, html, xml};

pub(crate) const NAME: &str = "burp";

/// How many detail items the message lists, and how many characters of
/// each.
const ITEMS_SHOWN: usize = 10;
const ITEM_CHARS: usize = 100;

/// A detail item's cookie value shorter than this is no token.
const TOKEN_MIN_CHARS: usize = 8;

#[derive(Debug, Deserialize)]
struct Issues {
    #[serde(rename = "@burpVersion")]
    burp_version: Option<String>,
    #[serde(default)]
    issue: Vec<Issue>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    host: Option<Host>,
    path: Option<String>,
    location: Option<String>,
    severity: Option<String>,
    confidence: Option<String>,
    issue_background: Option<String>,
    remediation_background: Option<String>,
    references: Option<String>,
    vulnerability_classifications: Option<String>,
    issue_detail: Option<String>,
    issue_detail_items: Option<DetailItems>,
    remediation_detail: Option<String>,
    #[serde(default)]
    requestresponse: Vec<RequestResponse>,
}

#[derive(Debug, Deserialize)]
struct Host {
    #[serde(rename = "@ip")]
    ip: Option<String>,
    #[serde(rename = "$text")]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DetailItems {
    #[serde(default)]
    issue_detail_item: Vec<String>,
}

/// Only the request's method is read; its body and the response are left.
#[derive(Debug, Deserialize)]
struct RequestResponse {
    request: Option<Request>,
}

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "@method")]
    method: Option<String>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.is_xml_root("issues")
        && (shape.text.contains("burpVersion") || shape.text.contains("<serialNumber>"))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let issues: Issues = xml::document(reader, &options.limits, NAME)?;
    for issue in issues.issue {
        emit(sink, finding(issue, options))?;
    }
    let info = RunInfo {
        tool: "Burp Suite".into(),
        tool_version: non_blank(issues.burp_version.as_deref()),
        ..RunInfo::default()
    };
    sink.run(0, info).map_err(ParseError::Sink)
}

fn finding(issue: Issue, options: &Options) -> Finding {
    let rule = non_blank(issue.kind.as_deref()).unwrap_or_else(|| "burp".into());
    let title = non_blank(issue.name.as_deref()).unwrap_or_else(|| rule.clone());
    let tool_severity = non_blank(issue.severity.as_deref());
    let false_positive =
        tool_severity.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("false positive"));
    let severity = tool_severity.as_deref().and_then(severity_word).unwrap_or(if false_positive {
        Severity::Info
    } else {
        Severity::Medium
    });

    let mut finding = Finding::new("Burp Suite", rule, title, severity);
    finding.tool_severity = tool_severity;
    finding.remediation = joined(&[&issue.remediation_detail, &issue.remediation_background]);
    links_and_weaknesses(&mut finding, &issue);
    if false_positive {
        finding.suppression = Some(Suppression {
            kind: "external".into(),
            justification: Some("marked as a false positive in Burp Suite".into()),
        });
    }

    let logical = place(&issue);
    let items: Vec<&str> = issue
        .issue_detail_items
        .iter()
        .flat_map(|items| &items.issue_detail_item)
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .collect();
    let tokens: Vec<&str> = items.iter().filter_map(|item| cookie_value(item)).collect();
    let items: Vec<String> = items.iter().map(|item| scrubbed(item, &tokens)).collect();
    finding.message = message(&issue, &finding.title, &items);
    finding.fingerprint = Fingerprint::compute(
        &finding.rule_id,
        &BTreeMap::new(),
        logical.as_deref(),
        None,
        issue.location.as_deref().unwrap_or("").trim(),
    );
    finding.location = Some(Location { logical, ..Location::default() });
    protect_tokens(&mut finding, &tokens, options);
    finding
}

/// `METHOD URL` of the issue: the first request's method, the host and the
/// path.
fn place(issue: &Issue) -> Option<String> {
    let host = issue.host.as_ref().and_then(|h| non_blank(h.url.as_deref()));
    let path = non_blank(issue.path.as_deref());
    let url = match (host, path) {
        (Some(host), Some(path)) => format!("{}{path}", host.trim_end_matches('/')),
        (Some(host), None) => host,
        (None, Some(path)) => path,
        (None, None) => return None,
    };
    let method = issue
        .requestresponse
        .iter()
        .find_map(|rr| non_blank(rr.request.as_ref()?.method.as_deref()));
    Some(match method {
        Some(method) => format!("{} {url}", method.to_ascii_uppercase()),
        None => url,
    })
}

/// The detail and the background, then Burp's location, its confidence,
/// the host's address and the detail items.
fn message(issue: &Issue, title: &str, items: &[String]) -> String {
    let mut message = joined(&[&issue.issue_detail, &issue.issue_background])
        .unwrap_or_else(|| title.to_string());
    message.push('\n');
    let shown: Vec<String> = items.iter().take(ITEMS_SHOWN).map(|i| cut(i, ITEM_CHARS)).collect();
    let lines = [
        ("Location", non_blank(issue.location.as_deref())),
        ("Confidence", non_blank(issue.confidence.as_deref())),
        ("Host address", issue.host.as_ref().and_then(|h| non_blank(h.ip.as_deref()))),
        ("Details", (!shown.is_empty()).then(|| shown.join("; "))),
    ];
    for (label, value) in lines {
        if let Some(value) = value {
            message.push_str(&format!("\n{label}: {value}"));
        }
    }
    message.trim_end().to_string()
}

/// HTML fragments as text, in order, a blank line apart.
fn joined(parts: &[&Option<String>]) -> Option<String> {
    let texts: Vec<String> = parts
        .iter()
        .filter_map(|part| part.as_deref())
        .map(html::to_text)
        .filter(|text| !text.is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

/// References and classification links, and the CWE ids the
/// classifications name (`CWE-79: ...`).
fn links_and_weaknesses(finding: &mut Finding, issue: &Issue) {
    for html in [&issue.references, &issue.vulnerability_classifications].into_iter().flatten() {
        for link in hrefs(html).into_iter().filter(|l| is_link(l)) {
            finding.add_reference(link);
        }
    }
    if let Some(classifications) = &issue.vulnerability_classifications {
        for line in html::to_text(classifications).lines() {
            if let Some(cwe) = cwe_in(line) {
                finding.add_cwe(cwe);
            }
        }
    }
    finding.help_uri = finding.references.first().cloned();
}

/// The `href` values of an HTML fragment's links.
fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=")
        .skip(1)
        .filter_map(|rest| {
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            rest.get(1..)?.split(quote).next()
        })
        .collect()
}

/// Replaces the session tokens by their previews in every text, and keeps
/// the first as the finding's secret.
fn protect_tokens(finding: &mut Finding, tokens: &[&str], options: &Options) {
    finding.message = scrubbed(&finding.message, tokens);
    finding.title = scrubbed(&finding.title, tokens);
    finding.remediation = finding.remediation.as_deref().map(|r| scrubbed(r, tokens));
    if let Some(first) = tokens.first() {
        finding.secret = Some(options.secret_key.protect(first));
    }
}

/// `text` with every token replaced by its preview.
fn scrubbed(text: &str, tokens: &[&str]) -> String {
    let mut text = text.to_string();
    for token in tokens {
        scrub_in(&mut text, token);
    }
    text
}

/// The value of a `NAME=value; attributes` item, when it is long enough to
/// be a token.
fn cookie_value(item: &str) -> Option<&str> {
    let (name, rest) = item.split_once('=')?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let value = rest.split(';').next()?.trim();
    (value.chars().count() >= TOKEN_MIN_CHARS).then_some(value)
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

    const DTD: &str = r#"<?xml version="1.0"?>
<!DOCTYPE issues [
<!ELEMENT issues (issue*)>
<!ATTLIST issues burpVersion CDATA "">
<!ATTLIST issues exportTime CDATA "">
<!ELEMENT host (#PCDATA)>
<!ATTLIST host ip CDATA "">
<!ATTLIST request method CDATA "">
<!ATTLIST request base64 (true|false) "false">
]>
"#;

    fn report(issues: &str) -> String {
        format!(
            r#"{DTD}<issues burpVersion="2023.10.3" exportTime="Mon Jan 01 00:00:00 UTC 2024">{issues}</issues>"#
        )
    }

    const SQLI: &str = r#"<issue>
    <serialNumber>4138373804920735744</serialNumber>
    <type>1049088</type>
    <name>SQL injection</name>
    <host ip="192.168.187.137">http://shop.example</host>
    <path><![CDATA[/login.jsp]]></path>
    <location><![CDATA[/login.jsp [password parameter]]]></location>
    <severity>High</severity>
    <confidence>Tentative</confidence>
    <issueBackground><![CDATA[SQL injection arises when user data is put in a query.<br><br>Attackers can read data.]]></issueBackground>
    <remediationBackground><![CDATA[Use <b>parameterized</b> queries.]]></remediationBackground>
    <references><![CDATA[<ul><li><a href="https://portswigger.net/web-security/sql-injection">SQL injection</a></li></ul>]]></references>
    <vulnerabilityClassifications><![CDATA[<ul><li><a href="https://cwe.mitre.org/data/definitions/89.html">CWE-89: Improper Neutralization of Special Elements used in an SQL Command</a></li><li><a href="https://capec.mitre.org/data/definitions/66.html">CAPEC-66: SQL Injection</a></li></ul>]]></vulnerabilityClassifications>
    <issueDetail><![CDATA[The <b>password</b> parameter appears to be vulnerable.]]></issueDetail>
    <requestresponse>
      <request method="POST" base64="true"><![CDATA[UE9TVCAvbG9naW4uanNwIEhUVFAvMS4xDQpDb29raWU6IHNlc3Npb249U0VDUkVU]]></request>
      <response base64="true"><![CDATA[SFRUUC8xLjEgNTAwIEVycm9y]]></response>
      <responseRedirected>false</responseRedirected>
    </requestresponse>
  </issue>"#;

    const COOKIE: &str = r#"<issue>
    <type>5244416</type>
    <name>Cookie without HttpOnly flag set</name>
    <host ip="192.168.187.137">http://shop.example</host>
    <path><![CDATA[/]]></path>
    <location><![CDATA[/]]></location>
    <severity>Low</severity>
    <confidence>Firm</confidence>
    <issueDetail><![CDATA[The following cookie was issued:<ul><li><b>JSESSIONID=AD00240A932835EDD60B3F7487A9D15D; Path=/</b></li></ul>]]></issueDetail>
    <issueDetailItems>
      <issueDetailItem><![CDATA[JSESSIONID=AD00240A932835EDD60B3F7487A9D15D; Path=/]]></issueDetailItem>
    </issueDetailItems>
    <requestresponse><request method="GET" base64="false"><![CDATA[GET / HTTP/1.1]]></request></requestresponse>
  </issue>"#;

    #[test]
    fn each_issue_is_a_finding_with_its_place() {
        let sink = collect(&report(SQLI)).unwrap();
        assert_eq!(sink.findings.len(), 1);
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "Burp Suite");
        assert_eq!(sink.runs[0].tool_version.as_deref(), Some("2023.10.3"));

        let finding = &sink.findings[0];
        assert_eq!(finding.rule_id, "1049088");
        assert_eq!(finding.title, "SQL injection");
        assert_eq!(
            (finding.severity, finding.tool_severity.as_deref()),
            (Severity::High, Some("High"))
        );
        assert_eq!(finding.cwes, [89]);
        assert_eq!(
            finding.references,
            [
                "https://portswigger.net/web-security/sql-injection",
                "https://cwe.mitre.org/data/definitions/89.html",
                "https://capec.mitre.org/data/definitions/66.html"
            ]
        );
        assert_eq!(
            finding.location.as_ref().unwrap().logical.as_deref(),
            Some("POST http://shop.example/login.jsp")
        );
        assert_eq!(
            finding.message,
            "The password parameter appears to be vulnerable.\n\n\
             SQL injection arises when user data is put in a query.\nAttackers can read data.\n\n\
             Location: /login.jsp [password parameter]\nConfidence: Tentative\n\
             Host address: 192.168.187.137"
        );
        assert_eq!(finding.remediation.as_deref(), Some("Use parameterized queries."));
        assert!(finding.secret.is_none());
    }

    #[test]
    fn requests_and_responses_are_not_kept() {
        let all = serde_json::to_string(&collect(&report(SQLI)).unwrap().findings).unwrap();
        assert!(!all.contains("UE9TVC"), "{all}");
        assert!(!all.contains("SFRUUC"), "{all}");
    }

    #[test]
    fn session_cookies_in_the_details_are_secrets() {
        let options = Options::default();
        let mut sink = Collected::default();
        parse(&mut report(COOKIE).as_bytes(), &options, &mut sink).unwrap();
        let finding = &sink.findings[0];
        let token = "AD00240A932835EDD60B3F7487A9D15D";
        assert_eq!(finding.secret.as_ref().unwrap().hash, options.secret_key.hash(token));
        let all = serde_json::to_string(&sink.findings).unwrap();
        assert!(!all.contains(token), "{all}");
        assert!(
            finding.message.contains("Details: JSESSIONID=AD0…15D (32 chars); Path=/"),
            "{}",
            finding.message
        );
        assert_eq!(
            finding.location.as_ref().unwrap().logical.as_deref(),
            Some("GET http://shop.example/")
        );
    }

    #[test]
    fn the_parameter_tells_issues_of_one_type_at_one_url_apart() {
        let username = SQLI.replace("[password parameter]", "[username parameter]");
        let sink = collect(&report(&format!("{SQLI}{username}"))).unwrap();
        assert_ne!(sink.findings[0].fingerprint, sink.findings[1].fingerprint);
        let again = collect(&report(&SQLI.replace("Tentative", "Firm"))).unwrap();
        assert_eq!(sink.findings[0].fingerprint, again.findings[0].fingerprint);
    }

    #[test]
    fn severities_map_and_information_is_kept() {
        for (word, severity) in [
            ("High", Severity::High),
            ("Medium", Severity::Medium),
            ("Low", Severity::Low),
            ("Information", Severity::Info),
            ("False positive", Severity::Info),
        ] {
            let issue =
                SQLI.replace("<severity>High</severity>", &format!("<severity>{word}</severity>"));
            let finding = &collect(&report(&issue)).unwrap().findings[0];
            assert_eq!(finding.severity, severity, "{word}");
            assert_eq!(finding.suppression.is_some(), word == "False positive", "{word}");
        }
    }

    #[test]
    fn sparse_and_empty_reports_are_read() {
        let sink = collect(&report("<issue></issue>")).unwrap();
        let finding = &sink.findings[0];
        assert_eq!((finding.rule_id.as_str(), finding.severity), ("burp", Severity::Medium));
        assert_eq!(finding.location.as_ref().unwrap().logical, None);
        let empty = collect(&report("")).unwrap();
        assert!(empty.findings.is_empty());
        assert_eq!(empty.runs.len(), 1);
        assert!(collect("<issues/>").unwrap().findings.is_empty());
    }

    #[test]
    fn wrong_shapes_and_dangerous_dtds_are_refused() {
        let err = collect(
            r#"<!DOCTYPE issues [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]><issues>&x;</issues>"#,
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::Doctype { line: 1 }), "{err}");
        let err = collect("<issues><issue><name>x</issue></issues>").unwrap_err();
        assert!(matches!(err, ParseError::Xml { .. }), "{err}");
        let err = collect(r#"{"issues": []}"#).unwrap_err();
        assert!(err.to_string().contains("no element"), "{err}");
    }

    #[test]
    fn detection_wants_burp_exports() {
        assert!(sniff(&Shape::of(report(SQLI).as_bytes())));
        assert!(!sniff(&Shape::of(b"<issues><issue><title>x</title></issue></issues>")));
        assert!(!sniff(&Shape::of(b"<OWASPZAPReport version=\"2\"/>")));
    }
}
