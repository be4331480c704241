//! OWASP ZAP reports in the "traditional" JSON and XML forms (`zap.sh
//! -quickout`, the baseline and full scan scripts' `-J` and `-x`, the
//! report add-on's `traditional-json` and `traditional-xml`), ZAP 2.7 and
//! later. Both list `site`s with their `alerts`, each alert with the
//! `instances` where it was seen; the JSON form is an object with `site`
//! arrays, the XML form an `OWASPZAPReport` root with `site` elements and
//! `alerts/alertitem`, `instances/instance`. The parser tells them apart by
//! the first non-blank byte.
//!
//! Mapping: one finding per instance: a place (method, URL and parameter)
//! where ZAP saw the alert. Instances that differ only in their evidence,
//! such as the twenty timestamps one page discloses, are one finding. An
//! alert without instances (reports before 2.7 put `uri` on the alert) is
//! one finding. `riskcode` 3 → high, 2 → medium, 1 → low, 0 → info (kept);
//! ZAP never rates an alert critical. `confidence` 0 means a person marked
//! the alert a false positive in ZAP: such findings are kept, suppressed.
//!
//! Fields: `pluginid` → rule, `name` (or `alert`) → title, `desc` (HTML, as
//! text), the parameter, attack, a short cut of the evidence and the other
//! information → message, `solution` → remediation, `reference` → references,
//! `cweid` → CWE (`-1` and `0` are none), the method and URL → logical
//! location (`GET https://host/path`). A finding's identity is the plugin,
//! the method and URL, the alert's name and the parameter; the evidence is
//! left out, since it often changes from one scan to the next (tokens,
//! timestamps). The evidence can hold personal data or secrets, so only its
//! first characters are kept.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Finding, Fingerprint, Location, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::dast::{cut, is_link};
use crate::{Options, ParseError, Shape, Sink, html, json, xml};

pub(crate) const NAME: &str = "zap";

/// How many characters of an instance's evidence and attack are kept.
const EVIDENCE_CHARS: usize = 100;
/// How many characters of the other information are kept.
const OTHER_INFO_CHARS: usize = 600;

#[derive(Debug, Deserialize)]
struct JsonReport {
    #[serde(rename = "@version")]
    version: Option<String>,
    site: Option<Vec<JsonSite>>,
}

/// A JSON report's site: alerts and instances are arrays.
type JsonSite = Site<Vec<Alert<Vec<Instance>>>>;

#[derive(Debug, Deserialize)]
struct XmlReport {
    #[serde(rename = "@version")]
    version: Option<String>,
    #[serde(default)]
    site: Vec<Site<XmlAlerts>>,
}

/// One scanned site; `A` is how the format lists its alerts.
#[derive(Debug, Deserialize)]
struct Site<A> {
    alerts: Option<A>,
}

#[derive(Debug, Deserialize)]
struct XmlAlerts {
    #[serde(default)]
    alertitem: Vec<Alert<XmlInstances>>,
}

#[derive(Debug, Deserialize)]
struct XmlInstances {
    #[serde(default)]
    instance: Vec<Instance>,
}

/// One alert: a rule that fired, with the places it fired at; `I` is how
/// the format lists its instances.
#[derive(Debug, Deserialize)]
struct Alert<I> {
    pluginid: Option<String>,
    #[serde(rename = "alertRef")]
    alert_ref: Option<String>,
    alert: Option<String>,
    name: Option<String>,
    riskcode: Option<String>,
    confidence: Option<String>,
    riskdesc: Option<String>,
    desc: Option<String>,
    instances: Option<I>,
    solution: Option<String>,
    otherinfo: Option<String>,
    reference: Option<String>,
    cweid: Option<String>,
    wascid: Option<String>,
    /// Reports before ZAP 2.7 put the one place on the alert itself.
    uri: Option<String>,
    method: Option<String>,
    param: Option<String>,
    attack: Option<String>,
    evidence: Option<String>,
}

/// One place an alert was seen.
#[derive(Debug, Default, Deserialize)]
struct Instance {
    uri: Option<String>,
    method: Option<String>,
    param: Option<String>,
    attack: Option<String>,
    evidence: Option<String>,
    otherinfo: Option<String>,
}

/// A list as one format writes it: a JSON array, or an XML wrapper element.
trait Listed<T> {
    fn items(self) -> Vec<T>;
}

impl<T> Listed<T> for Vec<T> {
    fn items(self) -> Vec<T> {
        self
    }
}

impl Listed<Alert<XmlInstances>> for XmlAlerts {
    fn items(self) -> Vec<Alert<XmlInstances>> {
        self.alertitem
    }
}

impl Listed<Instance> for XmlInstances {
    fn items(self) -> Vec<Instance> {
        self.instance
    }
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    let json = shape.kind == crate::shape::Kind::Object
        && (shape.has("site[].alerts") || shape.has_all(&["@generated", "site"]));
    json || shape.is_xml_root("OWASPZAPReport")
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    let version = if text.trim_start().starts_with('<') {
        let report: XmlReport = xml::document(&mut text.as_bytes(), limits, NAME)?;
        emit_sites(report.site, sink)?;
        report.version
    } else {
        let report: JsonReport = json::from_str(&text, NAME)?;
        emit_sites(report.site.unwrap_or_default(), sink)?;
        report.version
    };
    let info = RunInfo {
        tool: "ZAP".into(),
        tool_version: non_blank(version.as_deref()),
        ..RunInfo::default()
    };
    sink.run(0, info).map_err(ParseError::Sink)
}

fn emit_sites<A, I>(sites: Vec<Site<A>>, sink: &mut dyn Sink) -> Result<(), ParseError>
where
    A: Listed<Alert<I>>,
    I: Listed<Instance>,
{
    for alert in sites.into_iter().filter_map(|site| site.alerts).flat_map(Listed::items) {
        let (rule, places) = Rule::split(alert);
        for place in places {
            emit(sink, rule.finding(place))?;
        }
    }
    Ok(())
}

/// What an alert says for all of its instances, read once.
struct Rule {
    id: String,
    title: String,
    severity: Severity,
    tool_severity: Option<String>,
    description: String,
    other_info: Option<String>,
    solution: Option<String>,
    references: Vec<String>,
    cwe: Option<u32>,
    wasc: Option<String>,
    false_positive: bool,
}

impl Rule {
    /// The alert's common part and its places: the instances, or the alert
    /// itself when it has none.
    fn split<I: Listed<Instance>>(alert: Alert<I>) -> (Rule, Vec<Instance>) {
        let id = non_blank(alert.pluginid.as_deref())
            .or_else(|| non_blank(alert.alert_ref.as_deref()))
            .unwrap_or_else(|| "zap".into());
        let title = non_blank(alert.name.as_deref())
            .or_else(|| non_blank(alert.alert.as_deref()))
            .unwrap_or_else(|| id.clone());
        let risk = alert.riskcode.as_deref().map(str::trim);
        let rule = Rule {
            severity: severity(risk, alert.riskdesc.as_deref()),
            tool_severity: non_blank(alert.riskdesc.as_deref()).or_else(|| non_blank(risk)),
            description: html_text(alert.desc.as_deref()).unwrap_or_else(|| title.clone()),
            other_info: html_text(alert.otherinfo.as_deref()),
            solution: html_text(alert.solution.as_deref()),
            references: references(alert.reference.as_deref()),
            cwe: alert
                .cweid
                .as_deref()
                .and_then(|c| c.trim().parse::<u32>().ok())
                .filter(|c| *c > 0),
            wasc: non_blank(alert.wascid.as_deref())
                .filter(|w| w.parse::<u32>().is_ok_and(|w| w > 0)),
            false_positive: alert.confidence.as_deref().map(str::trim) == Some("0"),
            id,
            title,
        };
        let mut places = alert.instances.map(Listed::items).unwrap_or_default();
        if places.is_empty() {
            places.push(Instance {
                uri: alert.uri,
                method: alert.method,
                param: alert.param,
                attack: alert.attack,
                evidence: alert.evidence,
                otherinfo: None,
            });
        }
        (rule, places)
    }

    fn finding(&self, place: Instance) -> Finding {
        let mut finding = Finding::new("ZAP", &self.id, &self.title, self.severity);
        finding.tool_severity = self.tool_severity.clone();
        finding.remediation = self.solution.clone();
        finding.help_uri = self.references.first().cloned();
        finding.references = self.references.clone();
        if let Some(cwe) = self.cwe {
            finding.add_cwe(cwe);
        }
        if self.false_positive {
            finding.suppression = Some(Suppression {
                kind: "external".into(),
                justification: Some("marked as a false positive in ZAP (confidence 0)".into()),
            });
        }

        let method = non_blank(place.method.as_deref()).map(|m| m.to_ascii_uppercase());
        let uri = non_blank(place.uri.as_deref());
        let logical = match (method, uri) {
            (Some(method), Some(uri)) => Some(format!("{method} {uri}")),
            (None, Some(uri)) => Some(uri),
            _ => None,
        };
        let param = non_blank(place.param.as_deref());
        finding.message = self.message(&place, param.as_deref());
        finding.fingerprint = self.fingerprint(logical.as_deref(), param.as_deref());
        finding.location = Some(Location { logical, ..Location::default() });
        finding
    }

    /// The description, then what this instance adds: the parameter, the
    /// attack, the start of the evidence, and the other information.
    fn message(&self, place: &Instance, param: Option<&str>) -> String {
        let mut message = self.description.clone();
        message.push('\n');
        let other_info = html_text(place.otherinfo.as_deref()).or_else(|| self.other_info.clone());
        let lines = [
            ("Parameter", param.map(str::to_string)),
            ("Attack", non_blank(place.attack.as_deref()).map(|a| cut(&a, EVIDENCE_CHARS))),
            ("Evidence", non_blank(place.evidence.as_deref()).map(|e| cut(&e, EVIDENCE_CHARS))),
            ("WASC", self.wasc.clone()),
            ("Other information", other_info.map(|o| cut(&o, OTHER_INFO_CHARS))),
        ];
        for (label, value) in lines {
            if let Some(value) = value {
                message.push_str(&format!("\n{label}: {value}"));
            }
        }
        message.trim_end().to_string()
    }

    /// The plugin, the method and URL, the alert's name (one plugin raises
    /// several alerts) and the parameter: not the evidence, which changes
    /// from scan to scan.
    fn fingerprint(&self, logical: Option<&str>, param: Option<&str>) -> Fingerprint {
        let identity = format!("{}\n{}", self.title, param.unwrap_or(""));
        Fingerprint::compute(&self.id, &BTreeMap::new(), logical, None, &identity)
    }
}

/// ZAP's risk codes; without one, the first word of the risk's
/// description (`High (Medium)`), else medium.
fn severity(riskcode: Option<&str>, riskdesc: Option<&str>) -> Severity {
    match riskcode {
        Some("3") => Severity::High,
        Some("2") => Severity::Medium,
        Some("1") => Severity::Low,
        Some("0") => Severity::Info,
        _ => riskdesc
            .and_then(|d| d.split_whitespace().next())
            .and_then(severity_word)
            .unwrap_or(Severity::Medium),
    }
}

fn html_text(html: Option<&str>) -> Option<String> {
    non_blank(Some(&html::to_text(html?)))
}

/// The links of a `reference` field: one per paragraph or line.
fn references(reference: Option<&str>) -> Vec<String> {
    let text = html_text(reference).unwrap_or_default();
    let mut links: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if is_link(line) && !links.iter().any(|l| l == line) {
            links.push(line.to_string());
        }
    }
    links
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

    const JSON: &str = r#"{"@programName": "ZAP", "@version": "2.14.0", "@generated": "Mon, 1 Jan 2024",
      "site": [{"@name": "https://shop.example", "@host": "shop.example", "@port": "443", "@ssl": "true",
        "alerts": [{
          "pluginid": "10011", "alertRef": "10011", "alert": "Cookie Without Secure Flag",
          "name": "Cookie Without Secure Flag", "riskcode": "1", "confidence": "2",
          "riskdesc": "Low (Medium)",
          "desc": "<p>A cookie has been set without the secure flag.</p>",
          "instances": [
            {"uri": "https://shop.example/login", "method": "post", "param": "session",
             "attack": "", "evidence": "Set-Cookie: session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "otherinfo": ""},
            {"uri": "https://shop.example/login", "method": "POST", "param": "lang",
             "attack": "", "evidence": "Set-Cookie: lang", "otherinfo": ""}
          ],
          "count": "2",
          "solution": "<p>Set the secure flag.</p><p>Use HTTPS &amp; HSTS.</p>",
          "otherinfo": "", "reference": "<p>https://owasp.org/a</p><p>https://owasp.org/b</p>",
          "cweid": "614", "wascid": "13", "sourceid": "3"
        }, {
          "pluginid": "10096", "alertRef": "10096", "alert": "Timestamp Disclosure - Unix",
          "riskcode": "0", "confidence": "1", "riskdesc": "Informational (Low)", "desc": "<p>A timestamp.</p>",
          "instances": [
            {"uri": "https://shop.example/app.js", "method": "GET", "param": "", "evidence": "1019803690"},
            {"uri": "https://shop.example/app.js", "method": "GET", "param": "", "evidence": "1839030562"}
          ],
          "cweid": "-1", "wascid": "0", "reference": ""
        }]
      }]}"#;

    const XML: &str = r#"<?xml version="1.0"?><OWASPZAPReport version="2.10.0" generated="Tue, 14 Sep 2021">
<site name="https://shop.example" host="shop.example" port="443" ssl="true"><alerts><alertitem>
  <pluginid>10020</pluginid>
  <alertRef>10020-1</alertRef>
  <alert>Missing Anti-clickjacking Header</alert>
  <name>Missing Anti-clickjacking Header</name>
  <riskcode>2</riskcode>
  <confidence>0</confidence>
  <riskdesc>Medium (False Positive)</riskdesc>
  <desc>&lt;p&gt;The response does not protect against &apos;ClickJacking&apos; attacks.&lt;/p&gt;</desc>
  <instances>
  <instance>
  <uri>https://shop.example/</uri>
  <method>GET</method>
  <param>x-frame-options</param>
  </instance>
  </instances>
  <count>1</count>
  <solution>&lt;p&gt;Set X-Frame-Options.&lt;/p&gt;</solution>
  <reference>&lt;p&gt;https://developer.mozilla.org/x-frame-options&lt;/p&gt;</reference>
  <cweid>1021</cweid>
  <wascid>15</wascid>
</alertitem></alerts></site>
<site name="https://api.example" host="api.example" port="443" ssl="true"><alerts></alerts></site>
</OWASPZAPReport>"#;

    #[test]
    fn json_alerts_become_one_finding_per_place() {
        let sink = collect(JSON).unwrap();
        assert_eq!(sink.findings.len(), 4);
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "ZAP");
        assert_eq!(sink.runs[0].tool_version.as_deref(), Some("2.14.0"));

        let first = &sink.findings[0];
        assert_eq!(first.rule_id, "10011");
        assert_eq!(first.title, "Cookie Without Secure Flag");
        assert_eq!(
            (first.severity, first.tool_severity.as_deref()),
            (Severity::Low, Some("Low (Medium)"))
        );
        assert_eq!(first.cwes, [614]);
        assert_eq!(
            first.location.as_ref().unwrap().logical.as_deref(),
            Some("POST https://shop.example/login")
        );
        assert_eq!(first.remediation.as_deref(), Some("Set the secure flag.\nUse HTTPS & HSTS."));
        assert_eq!(first.references, ["https://owasp.org/a", "https://owasp.org/b"]);
        assert_eq!(first.help_uri.as_deref(), Some("https://owasp.org/a"));
        assert!(
            first.message.starts_with(
                "A cookie has been set without the secure flag.\n\nParameter: session\n"
            ),
            "{}",
            first.message
        );
        assert!(first.message.contains("WASC: 13"));
        assert!(first.suppression.is_none());
        assert_ne!(first.fingerprint, sink.findings[1].fingerprint);
    }

    #[test]
    fn evidence_is_cut_short() {
        let sink = collect(JSON).unwrap();
        let evidence =
            sink.findings[0].message.lines().find(|l| l.starts_with("Evidence: ")).unwrap();
        assert_eq!(evidence.chars().count(), "Evidence: ".len() + EVIDENCE_CHARS + 1);
        assert!(evidence.ends_with('…'));
    }

    #[test]
    fn places_that_differ_only_in_evidence_are_one_problem() {
        let mut sink = collect(JSON).unwrap();
        let info = &sink.findings[2];
        assert_eq!(
            (info.severity, info.tool_severity.as_deref()),
            (Severity::Info, Some("Informational (Low)"))
        );
        assert!(info.cwes.is_empty(), "cweid -1 is no CWE");
        assert!(!info.message.contains("WASC"), "wascid 0 is none");
        assert_eq!(info.fingerprint, sink.findings[3].fingerprint);
        let mut occurrences = fixgate_domain::fingerprint::Occurrences::default();
        assert_eq!(occurrences.assign(&mut sink.findings), 1);
    }

    #[test]
    fn a_finding_keeps_its_identity_when_the_evidence_changes() {
        let before = collect(JSON).unwrap();
        let after = collect(&JSON.replace("Set-Cookie: lang", "Set-Cookie: lang=fr")).unwrap();
        assert_eq!(before.findings[1].fingerprint, after.findings[1].fingerprint);
        let moved = collect(&JSON.replace("/login", "/signin")).unwrap();
        assert_ne!(before.findings[0].fingerprint, moved.findings[0].fingerprint);
    }

    #[test]
    fn xml_reports_read_the_same_fields() {
        let sink = collect(XML).unwrap();
        assert_eq!(sink.findings.len(), 1);
        assert_eq!(sink.runs[0].tool_version.as_deref(), Some("2.10.0"));
        let finding = &sink.findings[0];
        assert_eq!(finding.rule_id, "10020");
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.cwes, [1021]);
        assert_eq!(
            finding.location.as_ref().unwrap().logical.as_deref(),
            Some("GET https://shop.example/")
        );
        assert!(
            finding
                .message
                .starts_with("The response does not protect against 'ClickJacking' attacks.")
        );
        assert_eq!(finding.references, ["https://developer.mozilla.org/x-frame-options"]);
        let suppression = finding.suppression.as_ref().unwrap();
        assert_eq!(suppression.kind, "external");
    }

    #[test]
    fn risk_codes_map_to_severities() {
        for (code, severity) in [
            ("3", Severity::High),
            ("2", Severity::Medium),
            ("1", Severity::Low),
            ("0", Severity::Info),
        ] {
            let report = JSON.replace("\"riskcode\": \"1\"", &format!("\"riskcode\": \"{code}\""));
            assert_eq!(collect(&report).unwrap().findings[0].severity, severity, "{code}");
        }
        let without_code = JSON.replace("\"riskcode\": \"1\", ", "");
        assert_eq!(collect(&without_code).unwrap().findings[0].severity, Severity::Low);
    }

    #[test]
    fn old_alerts_without_instances_and_sparse_alerts_are_read() {
        let old = r#"<OWASPZAPReport version="2.5.0"><site name="http://a"><alerts><alertitem>
            <pluginid>40012</pluginid><alert>Cross Site Scripting (Reflected)</alert><riskcode>3</riskcode>
            <reliability>2</reliability><uri>http://a/search?q=x</uri><param>q</param>
            <attack>&lt;script&gt;alert(1);&lt;/script&gt;</attack></alertitem></alerts></site></OWASPZAPReport>"#;
        let sink = collect(old).unwrap();
        let finding = &sink.findings[0];
        assert_eq!(
            (finding.severity, finding.title.as_str()),
            (Severity::High, "Cross Site Scripting (Reflected)")
        );
        assert_eq!(
            finding.location.as_ref().unwrap().logical.as_deref(),
            Some("http://a/search?q=x")
        );
        assert!(
            finding.message.contains("Attack: <script>alert(1);</script>"),
            "{}",
            finding.message
        );

        let sparse = collect(r#"{"site": [{"alerts": [{}]}, {}]}"#).unwrap();
        assert_eq!(sparse.findings.len(), 1);
        assert_eq!(
            (sparse.findings[0].rule_id.as_str(), sparse.findings[0].severity),
            ("zap", Severity::Medium)
        );
    }

    #[test]
    fn empty_reports_are_clean_scans() {
        for empty in [
            r#"<?xml version="1.0"?><OWASPZAPReport version="2.9.0" generated="x"><site name="https://a"><alerts></alerts></site></OWASPZAPReport>"#,
            r#"<OWASPZAPReport version="2.9.0"/>"#,
            r#"{"@version": "2.12.0", "site": []}"#,
        ] {
            let sink = collect(empty).unwrap();
            assert!(sink.findings.is_empty(), "{empty}");
            assert_eq!(sink.runs.len(), 1);
        }
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = collect(r#"{"site": {"alerts": []}}"#).unwrap_err();
        assert!(err.to_string().starts_with("invalid zap report at `site`"), "{err}");
        let err = collect(r#"{"site": [{"alerts": [{"instances": [{"uri": 7}]}]}]}"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid zap report at `site[0].alerts[0].instances[0].uri`"),
            "{err}"
        );
        let err = collect("<OWASPZAPReport><site></OWASPZAPReport>").unwrap_err();
        assert!(matches!(err, ParseError::Xml { .. }), "{err}");
    }

    #[test]
    fn detection_knows_both_forms() {
        assert!(sniff(&Shape::of(JSON.as_bytes())));
        assert!(sniff(&Shape::of(XML.as_bytes())));
        assert!(!sniff(&Shape::of(br#"{"site": "x"}"#)));
        assert!(!sniff(&Shape::of(b"<issues burpVersion=\"2\"></issues>")));
    }
}
