//! Small pieces both pages show: dates, counts, severity and state labels,
//! and links made safe to put in an `href`.

use fixgate_domain::link::deep_link;
use fixgate_domain::{Location, Severity};
use jiff::Timestamp;

/// A text that links somewhere when there is a safe place to go.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Link {
    pub text: String,
    pub href: Option<String>,
}

impl Link {
    pub fn plain(text: impl Into<String>) -> Link {
        Link { text: text.into(), href: None }
    }
}

/// `2025-03-01`, in UTC.
pub(super) fn date(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// `2025-03-01 09:30 UTC`.
pub(super) fn date_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// `1,234`.
pub(super) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1 ticket`, `1,234 tickets`.
pub(super) fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

pub(super) fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// The URL when it is an absolute `http` or `https` one. Anything else
/// from a report (`javascript:`, `data:`, relative paths) stays text.
pub(super) fn http_url(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme = url.split_once("://")?.0.to_ascii_lowercase();
    let well_formed = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (matches!(scheme.as_str(), "http" | "https") && well_formed).then(|| url.to_string())
}

pub(super) fn cwe_link(id: u32) -> Link {
    Link {
        text: format!("CWE-{id}"),
        href: Some(format!("https://cwe.mitre.org/data/definitions/{id}.html")),
    }
}

/// CVE ids link to the NVD, GHSA ids to GitHub's advisory database; other
/// ids stay text.
pub(super) fn advisory_link(id: &str) -> Link {
    let plain_id = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let upper = id.to_ascii_uppercase();
    let href = if !plain_id {
        None
    } else if upper.starts_with("CVE-") {
        Some(format!("https://nvd.nist.gov/vuln/detail/{upper}"))
    } else {
        let ghsa = upper.strip_prefix("GHSA-");
        ghsa.map(|rest| format!("https://github.com/advisories/GHSA-{}", rest.to_ascii_lowercase()))
    };
    Link { text: id.to_string(), href }
}

/// `path:line`, linked to those lines at that commit when the repository
/// and the commit are known.
pub(super) fn location_link(
    repository: Option<&str>,
    commit: Option<&str>,
    location: &Location,
) -> Link {
    let href = match (repository, commit, location.path.as_deref()) {
        (Some(repository), Some(commit), Some(path)) => {
            http_url(&deep_link(repository, commit, path, location.start_line, location.end_line))
        }
        _ => None,
    };
    Link { text: location.display(), href }
}

/// The first 7 characters of a commit, as code hosts show it.
pub(super) fn short_sha(commit: &str) -> String {
    commit.chars().take(7).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count_of(1, "ticket", "tickets"), "1 ticket");
    }

    #[test]
    fn only_http_urls_become_links() {
        assert_eq!(http_url(" https://a.example/x "), Some("https://a.example/x".into()));
        assert_eq!(http_url("javascript:alert(1)//https://x"), None);
        assert_eq!(http_url("JavaScript://%0aalert(1)"), None);
        assert_eq!(http_url("data:text/html,<script>"), None);
        assert_eq!(http_url("/relative"), None);
        assert_eq!(http_url("https://a.example/\nx"), None);
    }

    #[test]
    fn advisories_link_to_their_databases() {
        assert_eq!(
            advisory_link("CVE-2021-44228").href.as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2021-44228")
        );
        assert_eq!(
            advisory_link("GHSA-jfh8-c2jp-5v3q").href.as_deref(),
            Some("https://github.com/advisories/GHSA-jfh8-c2jp-5v3q")
        );
        assert_eq!(advisory_link("OSV-2020-111").href, None);
        assert_eq!(advisory_link("CVE-1/../../x").href, None);
    }

    #[test]
    fn a_location_without_commit_is_plain_text() {
        let location = Location {
            path: Some("app/db.py".into()),
            start_line: Some(12),
            ..Location::default()
        };
        let repository = Some("https://github.com/acme/shop");
        assert_eq!(location_link(repository, None, &location), Link::plain("app/db.py:12"));
        assert_eq!(
            location_link(repository, Some("abc"), &location).href.as_deref(),
            Some("https://github.com/acme/shop/blob/abc/app/db.py#L12")
        );
    }

    #[test]
    fn a_hostile_repository_url_makes_no_link() {
        let location = Location { path: Some("a.py".into()), ..Location::default() };
        let link = location_link(Some("javascript:alert(1)"), Some("abc"), &location);
        assert_eq!(link.href, None);
    }
}
