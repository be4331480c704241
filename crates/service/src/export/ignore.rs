//! The ignore files: Trivy's `.trivyignore` and Gitleaks' `.gitleaksignore`,
//! one id or fingerprint a line, each under a comment naming the tickets
//! that decided it.
//!
//! `.trivyignore` lists the advisory ids of decided SCA findings, whatever
//! tool found them, and the check ids of decided Trivy misconfigurations
//! (and the `AVD-` ids other IaC tools give). An accepted risk's line ends in
//! `exp:DATE`, the day (UTC) its acceptance lapses: Trivy stops ignoring it at
//! the start of that day, so never after fixgate would. Trivy's plain ignore
//! file ignores an id in every package; its YAML form, which can name the
//! package, is not written yet.
//!
//! `.gitleaksignore` lists Gitleaks' fingerprints of decided Gitleaks
//! findings: the one Gitleaks wrote in its report (`commit:file:rule:line`
//! for a scan of history, `file:rule:line` for a scan of files) when the
//! finding kept it, else `file:rule:line` built from the finding. Other
//! secrets tools' findings are not listed: Gitleaks matches only its own
//! rule ids.

use fixgate_domain::Finding;
use fixgate_domain::matching::tool_family;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{Context, Export, ExportKind, one_line, summary};
use fixgate_store::Decision;

/// How the Gitleaks parser writes Gitleaks' own fingerprint into a
/// finding's message (see `fixgate_intake`'s gitleaks module).
const GITLEAKS_FINGERPRINT: &str = "Gitleaks fingerprint: ";

/// One line of an ignore file and the decisions behind it.
struct Entry<'a> {
    id: String,
    decisions: Vec<&'a Decision>,
}

pub(super) fn trivy(decisions: &[Decision], context: &Context) -> Export {
    let entries = collect(decisions, |finding| trivy_ids(finding).into_iter().map(Ok).collect());
    let mut body = header(ExportKind::TrivyIgnore, context);
    for entry in &entries.0 {
        body.push_str(&comments(entry));
        body.push_str(&entry.id);
        if let Some(expires_at) = lapses_at(&entry.decisions) {
            let day = expires_at.to_zoned_datetime(TimeZone::UTC).date();
            body.push_str(&format!(" exp:{day}"));
        }
        body.push('\n');
    }
    Export { kind: ExportKind::TrivyIgnore, body, entries: entries.0.len(), left_out: entries.1 }
}

pub(super) fn gitleaks(decisions: &[Decision], context: &Context) -> Export {
    let entries = collect(decisions, |finding| {
        if tool_family(&finding.tool) != "gitleaks" {
            return Vec::new();
        }
        vec![gitleaks_fingerprint(finding).ok_or_else(|| {
            let at = finding.location.as_ref().map(|l| l.display()).unwrap_or_default();
            format!(
                "Gitleaks finding {:?} at {at:?} has no fingerprint and too little to build one \
                 (file, rule and line)",
                finding.rule_id
            )
        })]
    });
    let mut body = header(ExportKind::GitleaksIgnore, context);
    for entry in &entries.0 {
        body.push_str(&comments(entry));
        body.push_str(&entry.id);
        body.push('\n');
    }
    Export { kind: ExportKind::GitleaksIgnore, body, entries: entries.0.len(), left_out: entries.1 }
}

/// The lines `ids` gives for each decided finding, each id once with every
/// decision that gave it, and what could not be listed (by ticket).
fn collect<'a>(
    decisions: &'a [Decision],
    ids: impl Fn(&Finding) -> Vec<Result<String, String>>,
) -> (Vec<Entry<'a>>, Vec<String>) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut left_out = Vec::new();
    for decision in decisions {
        for id in decision.findings.iter().flat_map(&ids) {
            let id = match id {
                Ok(id) => id,
                Err(why) => {
                    left_out.push(format!("{}: {why}", decision.key));
                    continue;
                }
            };
            match entries.iter_mut().find(|e| e.id == id) {
                Some(entry) if entry.decisions.iter().any(|d| d.key == decision.key) => {}
                Some(entry) => entry.decisions.push(decision),
                None => entries.push(Entry { id, decisions: vec![decision] }),
            }
        }
    }
    (entries, left_out)
}

fn header(kind: ExportKind, context: &Context) -> String {
    let (scope, app) = match context.application {
        Some(app) => {
            (format!("{} (application {app})", context.repository), format!(" --app {app}"))
        }
        None => (context.repository.to_string(), String::new()),
    };
    format!(
        "# {} written by fixgate from the decisions in force on {scope} at {}.\n\
         # Regenerate it with `fixgate export {kind} --repo {}{app}` rather than editing it.\n",
        kind.file_name(),
        context.now,
        context.repository
    )
}

/// A blank line, then one comment line per decision.
fn comments(entry: &Entry) -> String {
    let mut out = String::from("\n");
    for decision in &entry.decisions {
        out.push_str(&format!("# {}\n", one_line(&summary(decision))));
    }
    out
}

/// When the last of the decisions lapses; `None` when one never does.
fn lapses_at(decisions: &[&Decision]) -> Option<Timestamp> {
    decisions.iter().map(|d| d.expires_at).collect::<Option<Vec<_>>>()?.into_iter().max()
}

/// The ids Trivy ignores a finding by.
fn trivy_ids(finding: &Finding) -> Vec<String> {
    if finding.package.is_some() {
        return finding.advisories.clone();
    }
    if finding.secret.is_some() {
        return Vec::new();
    }
    let mut ids: Vec<String> =
        finding.advisories.iter().filter(|id| id.starts_with("AVD-")).cloned().collect();
    if tool_family(&finding.tool) == "trivy"
        && is_check_id(&finding.rule_id)
        && !ids.contains(&finding.rule_id)
    {
        ids.insert(0, finding.rule_id.clone());
    }
    ids
}

/// Trivy's check ids (`DS002`, `KSV001`, `AVD-AWS-0086`), as opposed to its
/// secret rules (`aws-access-key-id`), which would ignore a kind of secret
/// everywhere.
fn is_check_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_uppercase())
        && id.chars().any(|c| c.is_ascii_digit())
        && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// Gitleaks' fingerprint of a finding: the report's own, else
/// `file:rule:line`.
fn gitleaks_fingerprint(finding: &Finding) -> Option<String> {
    let kept = finding
        .message
        .lines()
        .find_map(|line| line.trim().strip_prefix(GITLEAKS_FINGERPRINT))
        .map(str::trim)
        .filter(|fingerprint| fingerprint.split(':').count() >= 3);
    if let Some(fingerprint) = kept {
        return Some(fingerprint.to_string());
    }
    let location = finding.location.as_ref()?;
    let path = location.path.as_deref().filter(|p| !p.is_empty())?;
    let line = location.start_line?;
    let rule = Some(finding.rule_id.trim()).filter(|r| !r.is_empty())?;
    Some(format!("{path}:{rule}:{line}"))
}

#[cfg(test)]
mod tests {
    use fixgate_domain::{Location, Severity};

    use super::*;

    fn leak(message: &str, path: Option<&str>, line: Option<u32>) -> Finding {
        let mut finding = Finding::new("Gitleaks", "aws-access-token", "AWS", Severity::High);
        finding.message = message.into();
        finding.location =
            Some(Location { path: path.map(Into::into), start_line: line, ..Location::default() });
        finding
    }

    #[test]
    fn the_reports_own_gitleaks_fingerprint_wins() {
        let kept =
            leak("AWS\n\nGitleaks fingerprint: abc123:conf/aws.tf:aws-access-token:3", None, None);
        assert_eq!(
            gitleaks_fingerprint(&kept).as_deref(),
            Some("abc123:conf/aws.tf:aws-access-token:3")
        );
        let built = leak("AWS", Some("conf/aws.tf"), Some(9));
        assert_eq!(gitleaks_fingerprint(&built).as_deref(), Some("conf/aws.tf:aws-access-token:9"));
        assert_eq!(gitleaks_fingerprint(&leak("AWS", Some("conf/aws.tf"), None)), None);
    }

    #[test]
    fn trivy_check_ids_are_told_from_secret_rules() {
        for id in ["DS002", "KSV001", "AVD-AWS-0086"] {
            assert!(is_check_id(id), "{id}");
        }
        for id in ["aws-access-key-id", "generic-api-key", "trivy-config", "DS"] {
            assert!(!is_check_id(id), "{id}");
        }
    }
}
