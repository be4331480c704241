//! Fingerprints: the key that says two findings are the same problem.
//!
//! A fingerprint must survive what happens to code between two scans: lines
//! inserted above a finding, a rebuild, a re-run of the tool. So it never
//! includes a line number. In order of preference it comes from
//!
//! 1. the tool's own fingerprints (SARIF `fingerprints`, then
//!    `partialFingerprints`, such as CodeQL's `primaryLocationLineHash`),
//!    which tools compute from the code around the result;
//! 2. the rule, the file and the first line of the flagged code with its
//!    whitespace collapsed (IaC tools flag a whole resource block: its first
//!    line names the resource, and a fix inside the block must not turn the
//!    block's other findings into new problems);
//! 3. for a leaked secret: the rule, the file and the secret's keyed hash;
//! 4. for a third-party component: the advisory (its CVE when it has one),
//!    the package without its version (an upgrade that is still vulnerable is
//!    the same problem), but not the manifest or the tool, so two SCA tools
//!    that report one advisory on one package agree;
//! 5. the rule, the file (or logical location, such as a DAST finding's URL)
//!    and the message with digit runs masked, for tools that give no snippet.
//!
//! Two findings of one report that end up with the same key are told apart by
//! their order of occurrence (`…:2`, `…:3`), which a line shift leaves intact.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Finding;

/// A stable identity for a finding; 32 hex characters (128 bits of SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

/// Version tag mixed into every hash, so a future scheme never collides with
/// this one.
const SCHEME: &str = "fixgate-fp-1";

impl Fingerprint {
    /// Wraps a stored fingerprint.
    pub fn from_stored(value: String) -> Fingerprint {
        Fingerprint(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Builds the fingerprint of a finding from what it carries.
    pub fn compute(
        rule_id: &str,
        tool_fingerprints: &BTreeMap<String, String>,
        path: Option<&str>,
        snippet: Option<&str>,
        message: &str,
    ) -> Fingerprint {
        let usable: Vec<(&String, &String)> =
            tool_fingerprints.iter().filter(|(_, value)| is_usable(value)).collect();
        if !usable.is_empty() {
            let mut parts = vec!["tool", rule_id];
            for (key, value) in usable {
                parts.push(key);
                parts.push(value);
            }
            return Fingerprint::hash(&parts);
        }

        let place = path.unwrap_or("");
        let first_line = snippet.and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()));
        match first_line.map(collapse_whitespace) {
            Some(code) => Fingerprint::hash(&["code", rule_id, place, &code]),
            None => Fingerprint::hash(&["message", rule_id, place, &mask_digits(message)]),
        }
    }

    /// The fingerprint of a finding as a parser built it: the tool's own
    /// fingerprints, else the package, else the code, else the message.
    pub fn of(finding: &Finding) -> Fingerprint {
        let location = finding.location.as_ref();
        let place = location.and_then(|l| l.path.as_deref().or(l.logical.as_deref()));
        let has_tool_fingerprint = finding.tool_fingerprints.values().any(|v| is_usable(v));
        if let (Some(secret), false) = (&finding.secret, has_tool_fingerprint) {
            // A leaked secret is the same problem wherever its line moves to
            // in the file; another secret on the same line is another one.
            return Fingerprint::hash(&[
                "secret",
                &finding.rule_id,
                place.unwrap_or(""),
                &secret.hash,
            ]);
        }
        if let (Some(package), false) = (&finding.package, has_tool_fingerprint) {
            let advisory = finding
                .advisories
                .iter()
                .find(|id| id.starts_with("CVE-"))
                .map_or(finding.rule_id.as_str(), String::as_str);
            let component = package_identity(package);
            // The manifest is left out: tools name it differently (`/app/package-lock.json`,
            // `package-lock.json`, an image), and the same advisory on the same package in
            // one repository is one problem whichever tool reports it. A package in two
            // manifests is told apart by order of occurrence.
            return Fingerprint::hash(&["package", advisory, &component]);
        }
        Fingerprint::compute(
            &finding.rule_id,
            &finding.tool_fingerprints,
            place,
            location.and_then(|l| l.snippet.as_deref()),
            &finding.message,
        )
    }

    /// The content layer's key: for a finding whose fingerprint came from
    /// the tool, the tool family, the rule, the file and the flagged code (or
    /// the message with its numbers masked); for any other finding its
    /// fingerprint, which is already built from content.
    pub fn content(finding: &Finding) -> Fingerprint {
        let has_tool_fingerprint = finding.tool_fingerprints.values().any(|v| is_usable(v));
        if !has_tool_fingerprint || finding.secret.is_some() || finding.package.is_some() {
            return finding.fingerprint.clone();
        }
        let location = finding.location.as_ref();
        let place = location.and_then(|l| l.path.as_deref().or(l.logical.as_deref()));
        let family = crate::matching::tool_family(&finding.tool);
        let first_line = location
            .and_then(|l| l.snippet.as_deref())
            .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()));
        match first_line.map(collapse_whitespace) {
            Some(code) => Fingerprint::hash(&[
                "content-code",
                &family,
                &finding.rule_id,
                place.unwrap_or(""),
                &code,
            ]),
            None => Fingerprint::hash(&[
                "content-message",
                &family,
                &finding.rule_id,
                place.unwrap_or(""),
                &mask_digits(&finding.message),
            ]),
        }
    }

    fn hash(parts: &[&str]) -> Fingerprint {
        let mut hasher = Sha256::new();
        hasher.update(SCHEME.as_bytes());
        for part in parts {
            // Length-prefixing keeps ("ab", "c") apart from ("a", "bc").
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        Fingerprint(hex::encode(digest.get(..16).unwrap_or(&digest)))
    }

    fn with_occurrence(&self, occurrence: usize) -> Fingerprint {
        Fingerprint(format!("{}:{occurrence}", self.0))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A package without its version: the purl up to its `@version`, qualifiers
/// and subpath (type lowercased), else the ecosystem and the name.
pub fn package_identity(package: &crate::Package) -> String {
    if let Some(purl) = package.purl.as_deref().filter(|p| p.starts_with("pkg:")) {
        let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
        let base = purl.get(..end).unwrap_or(purl);
        return match base.split_once('/') {
            Some((kind, rest)) => format!("{}/{rest}", kind.to_ascii_lowercase()),
            None => base.to_string(),
        };
    }
    let ecosystem = package.ecosystem.as_deref().unwrap_or("").to_ascii_lowercase();
    format!("{ecosystem}:{}", package.name)
}

/// Gives the second and later findings that share a fingerprint within one
/// report a suffix by order of occurrence, so every fingerprint is unique,
/// and drops a finding that repeats an earlier one at the very same place
/// (some tools list a result twice). It remembers what it has seen, so a
/// report can be fed in chunks.
#[derive(Debug, Default)]
pub struct Occurrences {
    /// Each fingerprint's places so far, in order.
    places: HashMap<Fingerprint, Vec<Place>>,
}

/// Where a finding was reported: a hash of its path, its line and column.
type Place = (u64, Option<u32>, Option<u32>);

impl Occurrences {
    /// Numbers repeated fingerprints; returns how many repeats of the same
    /// place were dropped.
    pub fn assign(&mut self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain_mut(|finding| {
            let place = place_of(finding);
            let places = self.places.entry(finding.fingerprint.clone()).or_default();
            if places.contains(&place) {
                return false;
            }
            places.push(place);
            if places.len() > 1 {
                finding.fingerprint = finding.fingerprint.with_occurrence(places.len());
            }
            true
        });
        before - findings.len()
    }
}

fn place_of(finding: &Finding) -> Place {
    use std::hash::{Hash, Hasher};
    let location = finding.location.as_ref();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    location.and_then(|l| l.path.as_deref().or(l.logical.as_deref())).hash(&mut hasher);
    (hasher.finish(), location.and_then(|l| l.start_line), location.and_then(|l| l.start_column))
}

/// Some tools write a placeholder instead of a fingerprint (Semgrep without a
/// login writes `requires login` for every result); those identify nothing.
fn is_usable(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && !value.eq_ignore_ascii_case("requires login")
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replaces each run of digits by `#`, so a message that quotes its own line
/// number ("tainted at app.py:42") hashes the same after the code moves.
fn mask_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    collapse_whitespace(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fps(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn tool_fingerprints_win_over_location() {
        let tool = fps(&[("primaryLocationLineHash", "abc:1")]);
        let a = Fingerprint::compute("r1", &tool, Some("a.py"), Some("x()"), "m");
        let b = Fingerprint::compute("r1", &tool, Some("b.py"), Some("y()"), "other");
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 32);
    }

    #[test]
    fn snippet_whitespace_does_not_matter_but_code_does() {
        let none = BTreeMap::new();
        let a = Fingerprint::compute("r1", &none, Some("a.py"), Some("  eval( x )\n"), "m1");
        let b = Fingerprint::compute("r1", &none, Some("a.py"), Some("eval(\tx  )"), "m2");
        assert_eq!(a, b);
        assert_ne!(a, Fingerprint::compute("r1", &none, Some("a.py"), Some("eval(y)"), "m1"));
        assert_ne!(a, Fingerprint::compute("r2", &none, Some("a.py"), Some("eval( x )"), "m1"));
        assert_ne!(a, Fingerprint::compute("r1", &none, Some("b.py"), Some("eval( x )"), "m1"));
    }

    #[test]
    fn placeholder_fingerprints_are_ignored() {
        let login = fps(&[("matchBasedId/v1", "requires login")]);
        let a = Fingerprint::compute("r1", &login, Some("a.py"), Some("eval(x)"), "m");
        let b = Fingerprint::compute("r1", &login, Some("a.py"), Some("eval(y)"), "m");
        assert_ne!(a, b);
    }

    #[test]
    fn a_change_inside_a_flagged_block_keeps_the_fingerprint() {
        let none = BTreeMap::new();
        let before = "resource \"aws_s3_bucket\" \"shop\" {\n  acl = \"public-read\"\n}";
        let after = "resource \"aws_s3_bucket\" \"shop\" {\n  acl = \"private\"\n}";
        assert_eq!(
            Fingerprint::compute("CKV_AWS_18", &none, Some("main.tf"), Some(before), ""),
            Fingerprint::compute("CKV_AWS_18", &none, Some("main.tf"), Some(after), "")
        );
    }

    #[test]
    fn repeated_fingerprints_are_numbered_across_chunks() {
        let finding = |message: &str| {
            let mut finding = Finding::new("t", "r", "t", crate::Severity::Low);
            finding.message = message.into();
            finding.fingerprint =
                Fingerprint::compute("r", &BTreeMap::new(), Some("a.py"), None, message);
            finding
        };
        let at = |line: u32, message: &str| Finding {
            location: Some(crate::Location {
                path: Some("a.py".into()),
                start_line: Some(line),
                ..crate::Location::default()
            }),
            ..finding(message)
        };
        let mut occurrences = Occurrences::default();
        let mut first = vec![at(1, "same"), at(9, "other")];
        let mut second = vec![at(5, "same"), at(5, "same"), at(1, "same")];
        assert_eq!(occurrences.assign(&mut first), 0);
        // The same result listed twice at one place is one finding.
        assert_eq!(occurrences.assign(&mut second), 2);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].fingerprint.as_str(), format!("{}:2", first[0].fingerprint));
        assert!(!first[1].fingerprint.as_str().contains(':'));
    }

    #[test]
    fn message_fallback_ignores_line_numbers_in_the_message() {
        let none = BTreeMap::new();
        let a = Fingerprint::compute("r1", &none, Some("a.py"), None, "tainted at a.py:42");
        let b = Fingerprint::compute("r1", &none, Some("a.py"), None, "tainted at a.py:45");
        assert_eq!(a, b);
    }

    #[test]
    fn a_package_keeps_its_fingerprint_across_versions_manifests_and_tools() {
        let at = |version: &str, manifest: &str| {
            let mut finding = Finding::new("Trivy", "GHSA-x", "t", crate::Severity::High);
            finding.add_advisory("cve-2021-23337");
            finding.package = Some(crate::Package {
                name: "lodash".into(),
                version: Some(version.into()),
                purl: Some(format!("pkg:NPM/lodash@{version}?arch=x")),
                ..crate::Package::default()
            });
            finding.location =
                Some(crate::Location { path: Some(manifest.into()), ..Default::default() });
            Fingerprint::of(&finding)
        };
        assert_eq!(at("4.17.15", "package-lock.json"), at("4.17.20", "package-lock.json"));
        assert_eq!(at("4.17.15", "package-lock.json"), at("4.17.15", "/app/package-lock.json"));
        assert_eq!(
            package_identity(&crate::Package {
                name: "x".into(),
                purl: Some("pkg:NPM/%40scope/x@1.0#sub".into()),
                ..Default::default()
            }),
            "pkg:npm/%40scope/x"
        );
    }

    #[test]
    fn a_url_stands_in_for_the_path() {
        let at = |url: &str| {
            let mut finding = Finding::new("ZAP", "10020", "t", crate::Severity::Low);
            finding.location =
                Some(crate::Location { logical: Some(url.into()), ..Default::default() });
            Fingerprint::of(&finding)
        };
        assert_eq!(at("GET https://a/x"), at("GET https://a/x"));
        assert_ne!(at("GET https://a/x"), at("GET https://a/y"));
    }

    #[test]
    fn parts_are_length_prefixed() {
        let none = BTreeMap::new();
        let a = Fingerprint::compute("ab", &none, Some("c"), Some("x"), "");
        let b = Fingerprint::compute("a", &none, Some("bc"), Some("x"), "");
        assert_ne!(a, b);
    }
}
