//! The rules an import follows that an administrator may change: which
//! branches open tickets, and how findings are grouped into tickets so a
//! scan does not open a storm of them.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Finding;

/// What kind of problem a finding is, as far as grouping cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A vulnerable third-party package (SCA, containers).
    Sca,
    /// A weakness in the code or in infrastructure code (SAST, IaC).
    Code,
    /// A leaked secret.
    Secrets,
    /// A weakness found on a running application (DAST): a URL, no file.
    Dast,
}

impl FindingKind {
    pub const ALL: [FindingKind; 4] =
        [FindingKind::Sca, FindingKind::Code, FindingKind::Secrets, FindingKind::Dast];

    pub fn of(finding: &Finding) -> FindingKind {
        FindingKind::from_parts(
            finding.package.is_some(),
            finding.secret.is_some(),
            finding.location.as_ref().is_some_and(|l| l.path.is_some()),
        )
    }

    /// The kind of a finding that has a package, a secret and a file, or
    /// not: a stored finding's kind without reading all of it back.
    pub fn from_parts(package: bool, secret: bool, path: bool) -> FindingKind {
        if package {
            FindingKind::Sca
        } else if secret {
            FindingKind::Secrets
        } else if path {
            FindingKind::Code
        } else {
            FindingKind::Dast
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Sca => "sca",
            FindingKind::Code => "code",
            FindingKind::Secrets => "secrets",
            FindingKind::Dast => "dast",
        }
    }
}

/// How the findings of one kind become tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grouping {
    /// One ticket per finding.
    Finding,
    /// One ticket per package upgrade per repository: every vulnerability
    /// the upgrade of one package fixes.
    Upgrade,
    /// One ticket per rule per repository once a rule fires more than this
    /// many times in one scan; one ticket per finding below.
    RuleOver(u32),
}

impl Grouping {
    /// The grouping a kind has unless the policy says otherwise.
    pub fn default_for(kind: FindingKind) -> Grouping {
        match kind {
            FindingKind::Sca => Grouping::Upgrade,
            _ => Grouping::Finding,
        }
    }
}

impl fmt::Display for Grouping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grouping::Finding => f.write_str("finding"),
            Grouping::Upgrade => f.write_str("upgrade"),
            Grouping::RuleOver(n) => write!(f, "rule:{n}"),
        }
    }
}

/// A grouping the policy cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown grouping {0:?}: expected finding, upgrade (SCA only) or rule:N (one ticket per rule once it fires more than N times)"
)]
pub struct BadGrouping(pub String);

impl FromStr for Grouping {
    type Err = BadGrouping;

    fn from_str(s: &str) -> Result<Grouping, BadGrouping> {
        let text = s.trim().to_ascii_lowercase();
        match text.as_str() {
            "finding" => Ok(Grouping::Finding),
            "upgrade" => Ok(Grouping::Upgrade),
            _ => text
                .strip_prefix("rule:")
                .and_then(|n| n.trim().parse().ok())
                .map(Grouping::RuleOver)
                .ok_or_else(|| BadGrouping(s.to_string())),
        }
    }
}

/// What an import needs of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPolicy {
    /// Branch patterns that open tickets besides each repository's default
    /// branch (`release/*`); `*` matches any run of characters.
    pub tracked_branches: Vec<String>,
    pub sca: Grouping,
    pub code: Grouping,
    pub secrets: Grouping,
    pub dast: Grouping,
}

impl Default for ImportPolicy {
    fn default() -> ImportPolicy {
        ImportPolicy {
            tracked_branches: Vec::new(),
            sca: Grouping::default_for(FindingKind::Sca),
            code: Grouping::default_for(FindingKind::Code),
            secrets: Grouping::default_for(FindingKind::Secrets),
            dast: Grouping::default_for(FindingKind::Dast),
        }
    }
}

impl ImportPolicy {
    pub fn grouping(&self, kind: FindingKind) -> Grouping {
        match kind {
            FindingKind::Sca => self.sca,
            FindingKind::Code => self.code,
            FindingKind::Secrets => self.secrets,
            FindingKind::Dast => self.dast,
        }
    }

    /// Whether scans of `branch` open and close tickets. The default branch
    /// is the one the repository named, else `main` or `master`.
    pub fn tracks(&self, branch: &str, default_branch: Option<&str>) -> bool {
        let is_default = match default_branch {
            Some(default) => branch == default,
            None => branch == "main" || branch == "master",
        };
        is_default || self.tracked_branches.iter().any(|p| wildcard(p.trim(), branch))
    }
}

/// `*` matches any run of characters, everything else itself.
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else { return false };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| tail.get(i..).is_some_and(|suffix| wildcard(rest, suffix)))
        }
    }
}

/// Compares two package versions the way most ecosystems order them: runs
/// of digits as numbers, other runs as text, a pre-release (`1.0.0-rc1`,
/// `2.0a1`) before its release. Good enough to pick the smallest version
/// that fixes a set of advisories; not a full implementation of any one
/// ecosystem's rules.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim().trim_start_matches(['v', 'V']), b.trim().trim_start_matches(['v', 'V']));
    let (pa, pb) = (pieces(a), pieces(b));
    for (x, y) in pa.iter().zip(&pb) {
        let order = match (x, y) {
            (Piece::Number(x), Piece::Number(y)) => x.cmp(y),
            (Piece::Number(_), Piece::Text(_)) => Ordering::Greater,
            (Piece::Text(_), Piece::Number(_)) => Ordering::Less,
            (Piece::Text(x), Piece::Text(y)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    // `1.0.0` against `1.0.0-rc1`: a text piece after the common part marks a
    // pre-release, a number a later release.
    match pa.len().cmp(&pb.len()) {
        Ordering::Equal => Ordering::Equal,
        Ordering::Greater => match pa.get(pb.len()) {
            Some(Piece::Text(_)) => Ordering::Less,
            _ => Ordering::Greater,
        },
        Ordering::Less => match pb.get(pa.len()) {
            Some(Piece::Text(_)) => Ordering::Greater,
            _ => Ordering::Less,
        },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Number(u128),
    Text(String),
}

fn pieces(version: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    let flush = |current: &mut String, digits: bool, out: &mut Vec<Piece>| {
        if current.is_empty() {
            return;
        }
        let piece = if digits {
            current.parse().map(Piece::Number).unwrap_or_else(|_| Piece::Text(current.clone()))
        } else {
            Piece::Text(current.to_ascii_lowercase())
        };
        out.push(piece);
        current.clear();
    };
    for c in version.chars() {
        if c.is_ascii_alphanumeric() {
            if !current.is_empty() && c.is_ascii_digit() != digits {
                flush(&mut current, digits, &mut out);
            }
            digits = c.is_ascii_digit();
            current.push(c);
        } else {
            flush(&mut current, digits, &mut out);
        }
    }
    flush(&mut current, digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_decides_the_kind_before_a_secret_and_a_file() {
        assert_eq!(FindingKind::from_parts(true, true, true), FindingKind::Sca);
        assert_eq!(FindingKind::from_parts(false, true, true), FindingKind::Secrets);
        assert_eq!(FindingKind::from_parts(false, false, true), FindingKind::Code);
        assert_eq!(FindingKind::from_parts(false, false, false), FindingKind::Dast);
        let package = crate::Package {
            name: "lodash".into(),
            purl: Some("pkg:npm/lodash@4.17.15".into()),
            ecosystem: Some("javascript".into()),
            ..crate::Package::default()
        };
        assert_eq!(package.purl_type(), Some("npm"), "the purl's type first");
        let named = crate::Package { purl: None, ..package };
        assert_eq!(named.purl_type(), Some("javascript"));
    }

    #[test]
    fn versions_compare_by_number_and_pre_release() {
        let ordered = ["1.0.0-rc1", "1.0.0", "1.0.1", "1.2", "1.10", "2.0a1", "2.0", "10.0"];
        for pair in ordered.windows(2) {
            assert_eq!(compare_versions(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare_versions(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(compare_versions("v4.17.21", "4.17.21"), Ordering::Equal);
        assert_eq!(compare_versions("2.28-10", "2.28-11"), Ordering::Less);
    }

    #[test]
    fn the_default_branch_and_patterns_are_tracked() {
        let policy =
            ImportPolicy { tracked_branches: vec!["release/*".into()], ..ImportPolicy::default() };
        assert!(policy.tracks("main", None));
        assert!(policy.tracks("master", None));
        assert!(!policy.tracks("main", Some("trunk")));
        assert!(policy.tracks("trunk", Some("trunk")));
        assert!(policy.tracks("release/1.4", None));
        assert!(!policy.tracks("feature/login", None));
        assert!(!policy.tracks("release", None));
    }

    #[test]
    fn groupings_parse() {
        assert_eq!("upgrade".parse(), Ok(Grouping::Upgrade));
        assert_eq!("Rule:20".parse(), Ok(Grouping::RuleOver(20)));
        assert!("rule:x".parse::<Grouping>().unwrap_err().to_string().contains("rule:N"));
        assert_eq!(Grouping::RuleOver(5).to_string().parse(), Ok(Grouping::RuleOver(5)));
    }
}
