//! What a complete scan of a tracked branch proves about tickets: a ticket
//! none of whose findings any tracked scope still sees is verified, with the
//! scan as evidence; a ticket marked fixed whose finding is still seen goes
//! back to work; a closed ticket whose finding is seen again reopens; an
//! expired risk acceptance whose finding is still there reopens. Group
//! tickets get their title and severity from the findings they track.

use std::collections::{HashMap, HashSet};

use fixgate_domain::policy::compare_versions;
use fixgate_domain::{Severity, TicketState};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use super::TicketInfo;
use super::write::{Event, for_ids, insert_events_at};
use crate::{Backend, StoreError};

/// The scan that proves, and who uploaded it.
pub(super) struct Proof<'a> {
    pub scan: i64,
    pub now: i64,
    pub commit: Option<&'a str>,
    pub branch: &'a str,
    pub actor: &'a str,
}

/// What the scan changed, as the session saw it.
pub(super) struct Changes<'a> {
    /// Sightings no longer seen, with their ticket.
    pub absent: &'a [(i64, Option<i64>)],
    /// Sightings seen again after an absence, with their ticket.
    pub reappeared: &'a [(i64, Option<i64>)],
    /// Tickets of the findings this scan saw (suppressed results left out).
    pub seen: &'a HashSet<i64>,
    /// The tickets that were not simply open when the scan began.
    pub tickets: &'a HashMap<i64, TicketInfo>,
    /// Group tickets whose findings this scan added.
    pub groups: &'a HashSet<i64>,
}

#[derive(Debug, Default)]
pub(super) struct Settled {
    pub verified: u64,
    pub reopened: u64,
    pub verification_failed: u64,
}

const OPEN_STATES: &str =
    "'new', 'triaged', 'in_progress', 'waiting_on_vendor', 'fixed', 'reopened'";

pub(super) async fn settle(
    conn: &mut AnyConnection,
    backend: Backend,
    proof: Proof<'_>,
    changes: Changes<'_>,
) -> Result<Settled, StoreError> {
    let mut reopen = Vec::new();
    let mut failed = Vec::new();
    let mut expired = Vec::new();
    for ticket in sorted(changes.seen.iter().copied()) {
        let Some(info) = changes.tickets.get(&ticket) else { continue };
        match info.state {
            TicketState::Verified | TicketState::Closed => reopen.push((ticket, info.state)),
            TicketState::Fixed => failed.push(ticket),
            TicketState::RiskAccepted if info.expires_at.is_some_and(|at| at <= proof.now) => {
                expired.push(ticket);
            }
            _ => {}
        }
    }
    let absent_tickets = sorted(changes.absent.iter().filter_map(|(_, t)| *t));
    let reappeared_tickets = sorted(changes.reappeared.iter().filter_map(|(_, t)| *t));
    let touched = sorted(
        absent_tickets
            .iter()
            .chain(&reappeared_tickets)
            .copied()
            .chain(reopen.iter().map(|(t, _)| *t))
            .chain(expired.iter().copied()),
    );
    refresh_presence(conn, backend, proof.now, &touched).await?;

    let mut events: Vec<Event> = Vec::new();
    let evidence = |from: Option<TicketState>| {
        json!({
            "scan_id": proof.scan,
            "commit": proof.commit,
            "branch": proof.branch,
            "from": from,
        })
        .to_string()
    };

    // Verified: no tracked scope sees any of the ticket's findings any more.
    let candidates: Vec<i64> =
        absent_tickets.iter().copied().filter(|t| !changes.seen.contains(t)).collect();
    let rows = for_ids(
        conn,
        backend,
        &format!(
            "SELECT id, state FROM tickets WHERE present = 0 AND state IN ({OPEN_STATES}) \
             AND id IN ({{ids}})"
        ),
        &[],
        &candidates,
    )
    .await?;
    let mut verified = Vec::with_capacity(rows.len());
    for row in rows {
        let (id, state): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        verified.push(id);
        events.push((id, "verified", evidence(state.parse().ok())));
    }
    for_ids(
        conn,
        backend,
        "UPDATE tickets SET state = 'verified', closed_at = {1}, closed_by_scan_id = {2}, \
         updated_at = {3} WHERE id IN ({ids})",
        &[proof.now, proof.scan, proof.now],
        &verified,
    )
    .await?;

    for_ids(
        conn,
        backend,
        "UPDATE tickets SET state = 'in_progress', updated_at = {1} \
         WHERE state = 'fixed' AND id IN ({ids})",
        &[proof.now],
        &failed,
    )
    .await?;
    events.extend(
        failed.iter().map(|t| (*t, "verification_failed", evidence(Some(TicketState::Fixed)))),
    );

    let reopened: Vec<i64> = reopen.iter().map(|(t, _)| *t).collect();
    for_ids(
        conn,
        backend,
        "UPDATE tickets SET state = 'reopened', reopen_count = reopen_count + 1, \
         closed_at = NULL, closed_by_scan_id = NULL, updated_at = {1} WHERE id IN ({ids})",
        &[proof.now],
        &reopened,
    )
    .await?;
    events.extend(reopen.iter().map(|(t, from)| (*t, "reopened", evidence(Some(*from)))));

    for_ids(
        conn,
        backend,
        "UPDATE tickets SET state = 'reopened', decision_reason = NULL, \
         decision_approver = NULL, decision_expires_at = NULL, updated_at = {1} \
         WHERE id IN ({ids})",
        &[proof.now],
        &expired,
    )
    .await?;
    events.extend(
        expired
            .iter()
            .map(|t| (*t, "acceptance_expired", evidence(Some(TicketState::RiskAccepted)))),
    );

    // The rest of what changed, once per ticket.
    let told: HashSet<i64> = events.iter().map(|(t, _, _)| *t).collect();
    let plain = json!({ "scan_id": proof.scan }).to_string();
    for t in absent_tickets.iter().filter(|t| !told.contains(t) && !changes.seen.contains(t)) {
        events.push((*t, "no_longer_seen", plain.clone()));
    }
    for t in reappeared_tickets.iter().filter(|t| !told.contains(t)) {
        events.push((*t, "seen_again", plain.clone()));
    }
    insert_events_at(conn, backend, proof.now, proof.actor, &events).await?;

    let groups: Vec<i64> = sorted(
        changes.groups.iter().copied().chain(
            touched
                .iter()
                .copied()
                .filter(|t| changes.tickets.get(t).is_some_and(|i| i.group_key.is_some())),
        ),
    );
    refresh_groups(conn, backend, &groups).await?;

    Ok(Settled {
        verified: verified.len() as u64,
        reopened: reopened.len() as u64,
        verification_failed: failed.len() as u64,
    })
}

fn sorted(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut out: Vec<i64> = ids.collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether a tracked scope still sees one of the ticket's findings.
const PRESENT: &str = "EXISTS (SELECT 1 FROM findings f JOIN sightings s ON s.finding_id = f.id \
     JOIN scopes sc ON sc.id = s.scope_id \
     WHERE f.ticket_id = tickets.id AND s.present = 1 AND sc.tracked = 1)";

/// Recomputes `tickets.present` for tickets whose sightings changed.
async fn refresh_presence(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    tickets: &[i64],
) -> Result<(), StoreError> {
    for_ids(
        conn,
        backend,
        &format!(
            "UPDATE tickets SET updated_at = {{1}}, \
             present = CASE WHEN {PRESENT} THEN 1 ELSE 0 END WHERE id IN ({{ids}})"
        ),
        &[now],
        tickets,
    )
    .await?;
    Ok(())
}

/// One finding of a group ticket.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub severity: i64,
    pub title: String,
    pub rule_id: String,
    pub details: Value,
    pub present: bool,
}

/// Gives group tickets the title and severity of the findings they track.
async fn refresh_groups(
    conn: &mut AnyConnection,
    backend: Backend,
    tickets: &[i64],
) -> Result<(), StoreError> {
    if tickets.is_empty() {
        return Ok(());
    }
    let keys = for_ids(
        conn,
        backend,
        "SELECT id, group_key FROM tickets WHERE group_key IS NOT NULL AND id IN ({ids})",
        &[],
        tickets,
    )
    .await?;
    let rows = for_ids(
        conn,
        backend,
        "SELECT f.ticket_id, f.severity, f.title, f.rule_id, f.details, \
         CASE WHEN EXISTS (SELECT 1 FROM sightings s JOIN scopes sc ON sc.id = s.scope_id \
         WHERE s.finding_id = f.id AND s.present = 1 AND sc.tracked = 1) THEN 1 ELSE 0 END \
         FROM findings f WHERE f.ticket_id IN ({ids}) ORDER BY f.id",
        &[],
        tickets,
    )
    .await?;
    let mut members: HashMap<i64, Vec<Member>> = HashMap::new();
    for row in rows {
        let details: String = row.try_get(4)?;
        members.entry(row.try_get(0)?).or_default().push(Member {
            severity: row.try_get(1)?,
            title: row.try_get(2)?,
            rule_id: row.try_get(3)?,
            details: serde_json::from_str(&details).unwrap_or(Value::Null),
            present: row.try_get::<i64, _>(5)? == 1,
        });
    }
    for row in keys {
        let (id, key): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        let Some(members) = members.get(&id) else { continue };
        let summary = summarize(&key, members);
        sqlx::query(
            "UPDATE tickets SET title = $1, description = $2, severity = $3, advisories = $4 \
             WHERE id = $5",
        )
        .bind(&summary.title)
        .bind(&summary.description)
        .bind(summary.severity)
        .bind(&summary.advisories)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What a group ticket says about its findings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub advisories: String,
}

/// The title, description and severity of a group ticket from the findings
/// it tracks: those still seen, or all of them once none is.
pub(crate) fn summarize(key: &str, all: &[Member]) -> Summary {
    let present: Vec<&Member> = all.iter().filter(|m| m.present).collect();
    let members: Vec<&Member> = if present.is_empty() { all.iter().collect() } else { present };
    let severity = members.iter().map(|m| m.severity).max().unwrap_or(0);
    let mut advisories: Vec<String> = Vec::new();
    for m in &members {
        let id = advisory_of(m);
        if !advisories.contains(&id) {
            advisories.push(id);
        }
    }
    let advisories_column = format!(" {} ", advisories.join(" "));
    if key.starts_with("upgrade:") {
        let (title, description) = upgrade_summary(&members, advisories.len());
        return Summary { title, description, severity, advisories: advisories_column };
    }
    let title = members.first().map(|m| m.title.trim_end_matches('.')).unwrap_or("Findings");
    let mut description = format!("{} places break this rule:\n", members.len());
    for m in &members {
        description.push_str(&format!("- {}\n", place_of(m)));
    }
    Summary {
        title: format!("{title} ({} findings)", members.len()),
        description,
        severity,
        advisories: advisories_column,
    }
}

fn advisory_of(m: &Member) -> String {
    let advisories = m.details.get("advisories").and_then(Value::as_array);
    advisories
        .and_then(|a| a.iter().filter_map(Value::as_str).find(|id| id.starts_with("CVE-")))
        .or_else(|| advisories.and_then(|a| a.first()).and_then(Value::as_str))
        .unwrap_or(&m.rule_id)
        .to_string()
}

fn place_of(m: &Member) -> String {
    let location = m.details.get("location");
    let path = location.and_then(|l| l.get("path")).and_then(Value::as_str).unwrap_or("?");
    match location.and_then(|l| l.get("start_line")).and_then(Value::as_u64) {
        Some(line) => format!("{path}:{line}"),
        None => path.to_string(),
    }
}

/// "Upgrade lodash from 4.17.15 to 4.17.21 fixes 4 vulnerabilities": the
/// smallest version that fixes every advisory that has a fix.
fn upgrade_summary(members: &[&Member], advisories: usize) -> (String, String) {
    let package = |m: &Member, field: &str| {
        m.details
            .get("package")
            .and_then(|p| p.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let name = members
        .iter()
        .find_map(|m| package(m, "name"))
        .unwrap_or_else(|| "the package".to_string());
    let installed =
        members.iter().filter_map(|m| package(m, "version")).min_by(|a, b| compare_versions(a, b));
    let mut target: Option<String> = None;
    let mut fixed = 0;
    let mut lines = Vec::new();
    for m in members {
        let fix =
            package(m, "fixed_version").and_then(|list| smallest_fix(&list, installed.as_deref()));
        lines.push(format!(
            "- {} ({}): {}",
            advisory_of(m),
            Severity::from_rank(m.severity).map_or("unknown", Severity::as_str),
            fix.as_deref()
                .map_or("no fixed version known".to_string(), |f| format!("fixed in {f}"))
        ));
        if let Some(fix) = fix {
            fixed += 1;
            if target.as_deref().is_none_or(|t| compare_versions(&fix, t).is_gt()) {
                target = Some(fix);
            }
        }
    }
    lines.dedup();
    let from = installed.as_deref().map(|v| format!(" from {v}")).unwrap_or_default();
    let plural = |n: usize| if n == 1 { "vulnerability" } else { "vulnerabilities" };
    let title = match target {
        Some(to) if fixed == members.len() => {
            format!("Upgrade {name}{from} to {to} fixes {advisories} {}", plural(advisories))
        }
        Some(to) => format!(
            "Upgrade {name}{from} to {to} fixes {fixed} of {} {}",
            members.len(),
            plural(members.len())
        ),
        None => format!(
            "{name}{}: {advisories} {}, no fixed version known",
            installed.map(|v| format!(" {v}")).unwrap_or_default(),
            plural(advisories)
        ),
    };
    let description = format!("{title}.\n\n{}\n", lines.join("\n"));
    (title, description)
}

/// The smallest version of a fixed-version list (`"4.17.21, 5.0.1"`) above
/// the installed one (tools list one fix per release line); the largest
/// listed when the tool lists none above it.
fn smallest_fix(list: &str, installed: Option<&str>) -> Option<String> {
    let listed: Vec<&str> = list
        .split([',', '|', ' '])
        .map(|v| v.trim().trim_start_matches(">=").trim())
        .filter(|v| !v.is_empty())
        .collect();
    let above = listed
        .iter()
        .filter(|v| installed.is_none_or(|i| compare_versions(v, i).is_gt()))
        .min_by(|a, b| compare_versions(a, b));
    above.or_else(|| listed.iter().max_by(|a, b| compare_versions(a, b))).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(advisory: &str, version: &str, fixed: Option<&str>, severity: Severity) -> Member {
        let mut package = json!({ "name": "lodash", "version": version });
        if let Some(fixed) = fixed {
            package["fixed_version"] = json!(fixed);
        }
        Member {
            severity: severity.rank(),
            title: format!("{advisory} in lodash"),
            rule_id: advisory.into(),
            details: json!({ "advisories": [advisory], "package": package }),
            present: true,
        }
    }

    #[test]
    fn an_upgrade_ticket_names_the_smallest_version_that_fixes_everything() {
        let members = [
            member("CVE-2019-10744", "4.17.15", Some("4.17.12"), Severity::Critical),
            member("CVE-2020-8203", "4.17.15", Some("4.17.19"), Severity::High),
            member("CVE-2021-23337", "4.17.15", Some("4.17.21"), Severity::High),
            member("CVE-2020-28500", "4.17.15", Some("4.17.21, 5.0.0"), Severity::Medium),
        ];
        let summary = summarize("upgrade:pkg:npm/lodash", &members);
        assert_eq!(summary.title, "Upgrade lodash from 4.17.15 to 4.17.21 fixes 4 vulnerabilities");
        assert_eq!(summary.severity, Severity::Critical.rank());
        assert!(summary.description.contains("CVE-2020-8203 (high): fixed in 4.17.19"));
        assert!(summary.advisories.contains(" CVE-2021-23337 "));
    }

    #[test]
    fn an_upgrade_without_a_fix_says_so() {
        let members = [
            member("CVE-1", "1.0", None, Severity::Low),
            member("CVE-2", "1.0", Some("1.2"), Severity::Low),
        ];
        let summary = summarize("upgrade:pkg:npm/lodash", &members);
        assert_eq!(summary.title, "Upgrade lodash from 1.0 to 1.2 fixes 1 of 2 vulnerabilities");
        let none = summarize("upgrade:pkg:npm/lodash", &members[..1]);
        assert_eq!(none.title, "lodash 1.0: 1 vulnerability, no fixed version known");
    }

    #[test]
    fn findings_no_longer_seen_leave_the_summary() {
        let mut gone = member("CVE-9", "4.17.15", Some("9.0"), Severity::Critical);
        gone.present = false;
        let members = [gone, member("CVE-2", "4.17.15", Some("4.17.21"), Severity::Low)];
        let summary = summarize("upgrade:pkg:npm/lodash", &members);
        assert_eq!(summary.title, "Upgrade lodash from 4.17.15 to 4.17.21 fixes 1 vulnerability");
        assert_eq!(summary.severity, Severity::Low.rank());
    }
}
