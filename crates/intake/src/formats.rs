//! The report formats fixgate reads, in one list. Adding a format is one
//! parser module and one entry here; detection, `--format`, the error for an
//! unknown report and the docs all read this list.

use std::io::Read;

use crate::{
    Options, ParseError, Shape, Sink, anchore, bandit, burp, checkov, clair, cyclonedx,
    dependency_check, detect_secrets, generic, github_alerts, gitleaks, gosec, grype, kics,
    npm_audit, nuclei, osv_scanner, pip_audit, sarif, semgrep, snyk, sonarqube, tfsec, trivy,
    trufflehog, zap,
};

/// One report format.
pub struct Format {
    /// The name `--format` and the API's `format` take.
    pub name: &'static str,
    /// What the format is, for people.
    pub description: &'static str,
    /// Whether a report that starts like `shape` is in this format.
    pub sniff: fn(&Shape) -> bool,
    /// Reads a whole report, handing findings to the sink.
    pub parse: fn(&mut dyn Read, &Options, &mut dyn Sink) -> Result<(), ParseError>,
}

/// Every format, in the order detection tries them: formats with the most
/// specific marks first, the generic fixgate formats last.
pub const FORMATS: &[Format] = &[
    Format {
        name: "sarif",
        description: "SARIF 2.1.0 (CodeQL, Semgrep, Snyk Code, Trivy, Gitleaks, Checkov, KICS, Bandit, ESLint, ...)",
        sniff: |shape| sarif::sniff(shape.text.as_bytes()),
        parse: |reader, options, sink| {
            let mut guarded = crate::secrets::GuardSecrets { sink, key: &options.secret_key };
            sarif::parse(reader, &options.limits, &mut guarded).map(|_| ())
        },
    },
    // SCA formats
    Format {
        name: trivy::NAME,
        description: "Trivy JSON (schema 2 and legacy): vulnerabilities, misconfigurations, secrets, licences",
        sniff: trivy::sniff,
        parse: trivy::parse,
    },
    Format {
        name: grype::NAME,
        description: "Grype JSON (matches of vulnerabilities to packages)",
        sniff: grype::sniff,
        parse: grype::parse,
    },
    Format {
        name: anchore::NAME,
        description: "Anchore Engine JSON (image vuln) and Anchore Enterprise's vulnerability export",
        sniff: anchore::sniff,
        parse: anchore::parse,
    },
    Format {
        name: clair::NAME,
        description: "Clair JSON as clair-scanner and klar write it",
        sniff: clair::sniff,
        parse: clair::parse,
    },
    Format {
        name: cyclonedx::NAME,
        description: "CycloneDX BOM with vulnerabilities, JSON or XML (spec 1.4 to 1.6, and the 1.0-1.3 vulnerability extension)",
        sniff: cyclonedx::sniff,
        parse: cyclonedx::parse,
    },
    Format {
        name: dependency_check::NAME,
        description: "OWASP Dependency-Check JSON or XML",
        sniff: dependency_check::sniff,
        parse: dependency_check::parse,
    },
    Format {
        name: osv_scanner::NAME,
        description: "OSV-Scanner JSON (versions 1 and 2)",
        sniff: osv_scanner::sniff,
        parse: osv_scanner::parse,
    },
    Format {
        name: npm_audit::NAME,
        description: "npm audit JSON (npm 6 advisories, npm 7+ vulnerabilities)",
        sniff: npm_audit::sniff,
        parse: npm_audit::parse,
    },
    Format {
        name: snyk::NAME,
        description: "Snyk Open Source and Snyk Container JSON (snyk test --json, --all-projects)",
        sniff: snyk::sniff,
        parse: snyk::parse,
    },
    Format {
        name: github_alerts::NAME,
        description: "GitHub alert exports: Dependabot alerts (GraphQL and REST), code scanning alerts (REST)",
        sniff: github_alerts::sniff,
        parse: github_alerts::parse,
    },
    Format {
        name: pip_audit::NAME,
        description: "pip-audit JSON",
        sniff: pip_audit::sniff,
        parse: pip_audit::parse,
    },
    // secrets formats
    Format {
        name: gitleaks::NAME,
        description: "Gitleaks JSON (versions 7 and 8)",
        sniff: gitleaks::sniff,
        parse: gitleaks::parse,
    },
    Format {
        name: trufflehog::NAME,
        description: "TruffleHog v3 JSON lines and trufflehog3 JSON",
        sniff: trufflehog::sniff,
        parse: trufflehog::parse,
    },
    Format {
        name: detect_secrets::NAME,
        description: "detect-secrets baseline JSON",
        sniff: detect_secrets::sniff,
        parse: detect_secrets::parse,
    },
    // SAST formats
    Format {
        name: bandit::NAME,
        description: "Bandit JSON (Python SAST)",
        sniff: bandit::sniff,
        parse: bandit::parse,
    },
    Format {
        name: semgrep::NAME,
        description: "Semgrep JSON (CLI report) and Semgrep Supply Chain export",
        sniff: semgrep::sniff,
        parse: semgrep::parse,
    },
    Format {
        name: gosec::NAME,
        description: "gosec JSON (Go SAST)",
        sniff: gosec::sniff,
        parse: gosec::parse,
    },
    Format {
        name: sonarqube::NAME,
        description: "SonarQube issues JSON (Web API issues and hotspots search, sonar-report)",
        sniff: sonarqube::sniff,
        parse: sonarqube::parse,
    },
    // IaC formats
    Format {
        name: checkov::NAME,
        description: "Checkov JSON (one framework's results, or an array of several)",
        sniff: checkov::sniff,
        parse: checkov::parse,
    },
    Format {
        name: tfsec::NAME,
        description: "tfsec JSON (0.x and 1.x)",
        sniff: tfsec::sniff,
        parse: tfsec::parse,
    },
    Format {
        name: kics::NAME,
        description: "KICS JSON (versions 1 and 2)",
        sniff: kics::sniff,
        parse: kics::parse,
    },
    // DAST formats
    Format {
        name: zap::NAME,
        description: "OWASP ZAP traditional JSON and XML reports",
        sniff: zap::sniff,
        parse: zap::parse,
    },
    Format {
        name: nuclei::NAME,
        description: "Nuclei JSON lines or JSON array (versions 2 and 3)",
        sniff: nuclei::sniff,
        parse: nuclei::parse,
    },
    Format {
        name: burp::NAME,
        description: "Burp Suite XML issue exports",
        sniff: burp::sniff,
        parse: burp::parse,
    },
    // generic formats
    Format {
        name: generic::JSON_NAME,
        description: "fixgate's own JSON format, for tools without a parser (see docs/formats.md)",
        sniff: generic::sniff_json,
        parse: generic::parse_json,
    },
    Format {
        name: generic::CSV_NAME,
        description: "fixgate's own CSV format: a header row naming the columns (see docs/formats.md)",
        sniff: generic::sniff_csv,
        parse: generic::parse_csv,
    },
];

/// The format whose name is `name`.
pub fn by_name(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name.eq_ignore_ascii_case(name.trim()))
}

/// The first format that recognises the report's first bytes.
pub fn detect(prefix: &[u8]) -> Option<&'static Format> {
    let shape = Shape::of(prefix);
    FORMATS.iter().find(|f| (f.sniff)(&shape))
}

/// The formats' names, for messages: `sarif, …`.
pub fn names() -> String {
    FORMATS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// A few words on what a report that no parser took looks like.
pub fn describe(prefix: &[u8]) -> String {
    let shape = Shape::of(prefix.get(..prefix.len().min(4096)).unwrap_or(prefix));
    let kind = match shape.kind {
        crate::shape::Kind::Empty => return "an empty file".into(),
        crate::shape::Kind::Object => "a JSON object",
        crate::shape::Kind::Array => "a JSON array",
        crate::shape::Kind::Lines => "JSON lines",
        crate::shape::Kind::Xml => "an XML or HTML document",
        crate::shape::Kind::Text if prefix.contains(&0) => "binary data",
        crate::shape::Kind::Text => "text",
    };
    let start: String = shape.text.chars().take(60).collect::<String>().replace(['\n', '\r'], " ");
    let keys: Vec<&str> = shape
        .paths
        .iter()
        .filter(|p| !p.contains('.') && !p.contains("[]"))
        .map(String::as_str)
        .take(8)
        .collect();
    if keys.is_empty() {
        format!("{kind} starting {start:?}")
    } else {
        format!("{kind} with the keys {} starting {start:?}", keys.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sarif_is_detected_and_named() {
        let report = br#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}"#;
        assert_eq!(detect(report).map(|f| f.name), Some("sarif"));
        assert_eq!(by_name(" SARIF ").map(|f| f.name), Some("sarif"));
        assert!(detect(b"[1, 2]").is_none());
        assert!(by_name("no-such-format").is_none());
        assert!(names().contains("sarif"));
    }

    #[test]
    fn names_are_unique_and_lowercase() {
        for (i, format) in FORMATS.iter().enumerate() {
            assert_eq!(format.name, format.name.to_ascii_lowercase());
            assert!(FORMATS.iter().skip(i + 1).all(|f| f.name != format.name), "{}", format.name);
        }
    }

    #[test]
    fn describes_what_no_parser_took() {
        assert_eq!(describe(b""), "an empty file");
        assert!(describe(b"[1, 2]").starts_with("a JSON array"));
        assert!(describe(b"<html>").starts_with("an XML or HTML document"));
        assert!(describe(b"hello world").starts_with("text"));
        assert!(describe(b"[workspace]\nmembers = []").starts_with("text"));
        assert_eq!(
            describe(br#"{"foo": 1, "bar": {"baz": 2}}"#),
            r#"a JSON object with the keys foo, bar starting "{\"foo\": 1, \"bar\": {\"baz\": 2}}""#
        );
    }
}

#[cfg(test)]
mod docs {
    use super::FORMATS;

    #[test]
    fn every_format_has_a_section_in_the_formats_page() {
        let page = include_str!("../../../docs/formats.md");
        for format in FORMATS {
            let headings = [
                format!("(`--format {}`)", format.name),
                format!("### {}\n", format.name),
                format!("### `{}` (", format.name),
            ];
            assert!(
                headings.iter().any(|h| page.contains(h.as_str())),
                "docs/formats.md has no section for {}",
                format.name
            );
            assert!(
                page.contains(&format!("| `{}` |", format.name)),
                "{} is not in the list",
                format.name
            );
        }
    }
}
