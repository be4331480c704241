//! One ticket's page: what it is and where, each finding with its deep
//! link, trace and sightings, the ticket's whole history, and the forms to
//! work on it that the viewer's role may use (see `forms.rs`).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::link::web_url;
use fixgate_domain::triage::{Field, Priority};
use fixgate_domain::{Finding, Location, Severity, TicketState, TicketType, TraceStep};
use fixgate_service::MoveOption;
use fixgate_store::{EventRow, FindingRow, SightingRow, TicketDetail, TicketRow};
use serde::Deserialize;
use serde_json::Value;

use fixgate_domain::Action;

use super::acceptance::AcceptanceView;
use super::collab::{LinkGroup, link_groups};
use super::error::PageError;
use super::forms::{Done, Feedback, FormErrors, TicketForm};
use super::triage::TriageView;
use super::view::{
    Link, advisory_link, cwe_link, date, date_time, http_url, location_link, severity_label,
    short_sha,
};
use super::{Nav, render};
use crate::AppState;
use crate::auth::SignedIn;

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    key: String,
    title: String,
    severity: Severity,
    severity_label: &'static str,
    /// The custom workflow's label when it has one, else the built-in one.
    state: String,
    no_longer_seen: bool,
    facts: Vec<Fact>,
    triage: TriageView,
    cwes: Vec<Link>,
    advisories: Vec<Link>,
    labels: Vec<String>,
    watchers: Vec<String>,
    links: Vec<LinkGroup>,
    description: String,
    findings: Vec<FindingView>,
    events: Vec<EventView>,
    /// The moves the viewer's role may take, by the ticket type's workflow.
    moves: Vec<MoveView>,
    /// What the viewer may do here; the service decides again on each form.
    can_work: bool,
    can_decide: bool,
    priorities: Vec<PriorityChoice>,
    acceptance: AcceptanceView,
    /// The confirmation of the change just made, after its redirect.
    done: Option<&'static str>,
    /// Why the form last sent from this page was refused, by form.
    errors: FormErrors,
    /// A refused comment's text, given back to edit.
    comment_text: String,
    csrf: String,
    nav: Option<Nav>,
}

/// A priority the triage form offers; the ticket's own is preselected.
struct PriorityChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// A move the page's form offers.
struct MoveView {
    state: String,
    /// "Resolved (needs a reason)".
    label: String,
}

impl MoveView {
    fn of(option: MoveOption) -> MoveView {
        let needs: Vec<&str> = option.needs.iter().map(|f| field_name(*f)).collect();
        let label = if needs.is_empty() {
            option.label
        } else {
            format!("{} (needs {})", option.label, needs.join(", "))
        };
        MoveView { state: option.state, label }
    }
}

/// A field as the move form names it.
fn field_name(field: Field) -> &'static str {
    match field {
        Field::Owner => "an owner",
        Field::Assignee => "an assignee",
        Field::DueAt => "a due date",
        Field::Reason => "a reason",
        Field::Approver => "an approver",
        Field::ExpiresAt => "an expiry",
        Field::DuplicateOf => "the ticket it duplicates",
    }
}

/// One line of the ticket's facts: `Branch  main`.
struct Fact {
    label: &'static str,
    value: Link,
    /// The full value when `value` shortens it (a commit).
    full: Option<String>,
}

struct FindingView {
    title: String,
    tool: String,
    rule_id: String,
    rule_name: Option<String>,
    tool_severity: Option<String>,
    message: String,
    location: Option<Link>,
    snippet: Option<String>,
    trace: Vec<StepView>,
    remediation: Option<String>,
    help: Option<String>,
    suppression: Option<String>,
    /// Package, CVSS, secret and VEX facts, when the finding has them.
    details: Vec<Fact>,
    references: Vec<Link>,
    /// Other tickets that leaked the same secret.
    same_secret_in: Vec<Link>,
    sightings: Vec<SightingView>,
}

struct StepView {
    number: usize,
    /// `source`, `sink`, or none for the steps between.
    role: Option<&'static str>,
    location: Link,
    message: Option<String>,
}

struct SightingView {
    branch: String,
    tool: String,
    category: String,
    first_seen: String,
    last_seen: String,
    times_seen: i64,
    present: bool,
}

struct EventView {
    at: String,
    actor: String,
    text: String,
}

/// `?done=…`: the change a form just made, to confirm.
#[derive(Deserialize)]
pub(super) struct Shown {
    done: Option<String>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    shown: Result<Query<Shown>, QueryRejection>,
) -> Result<Response, PageError> {
    // An unknown code or a garbled query (a hand-edited URL) confirms nothing.
    let done = shown.ok().and_then(|Query(shown)| shown.done).as_deref().and_then(Done::parse);
    let feedback = done.map_or(Feedback::None, Feedback::Done);
    show(&state, &me, &key, StatusCode::OK, feedback).await
}

/// The ticket's page with `status`, confirming a change or saying why a
/// form was refused.
pub(super) async fn show(
    state: &AppState,
    me: &SignedIn,
    key: &str,
    status: StatusCode,
    feedback: Feedback,
) -> Result<Response, PageError> {
    let ticket = visible(state, me, key).await?;
    let moves = state.fixgate.move_options(&ticket.ticket, &me.0).await?;
    let requests = state.fixgate.acceptance_requests(&ticket.ticket.key).await?;
    let policy = state.fixgate.triage_policy().await?;
    let can_work = me.0.require(Action::Work).is_ok();
    let can_decide = me.0.require(Action::Decide).is_ok();
    let open = ticket.ticket.state.is_open();

    let mut page = TicketPage::of(ticket, policy.sla().time_zone_name());
    page.moves = moves.into_iter().map(MoveView::of).collect();
    page.can_work = can_work;
    page.can_decide = can_decide;
    page.acceptance = AcceptanceView::of(&requests, &me.0, open);
    match feedback {
        Feedback::None => {}
        Feedback::Done(done) => page.done = Some(done.sentence()),
        Feedback::Refused { form, message } => page.errors.set(form, message),
        Feedback::Comment { message, text } => {
            page.errors.set(TicketForm::Comment, message);
            page.comment_text = text;
        }
    }
    page.csrf = me.csrf();
    page.nav = Nav::of(me);
    render(status, &page)
}

/// The ticket `key`, when the signed-in person may read it and see it.
pub(super) async fn visible(
    state: &AppState,
    me: &SignedIn,
    key: &str,
) -> Result<TicketDetail, PageError> {
    me.0.require(Action::Read)?;
    crate::api::visible_ticket(state, &me.0, key).await.map_err(|err| match err.status() {
        StatusCode::NOT_FOUND => PageError::NotFound(format!("The ticket {key} does not exist.")),
        _ => PageError::from(err),
    })
}

impl TicketPage {
    /// `time_zone` is the triage policy's, in which due dates are days.
    fn of(detail: TicketDetail, time_zone: &str) -> TicketPage {
        let ticket = &detail.ticket;
        TicketPage {
            key: ticket.key.clone(),
            title: ticket.title.clone(),
            severity: ticket.severity,
            severity_label: severity_label(ticket.severity),
            state: state_label(ticket),
            no_longer_seen: ticket.ticket_type == TicketType::Vulnerability && !ticket.present,
            facts: facts(&detail),
            triage: TriageView::of(&detail, time_zone),
            cwes: ticket.cwes.iter().copied().map(cwe_link).collect(),
            advisories: ticket.advisories.iter().map(|id| advisory_link(id)).collect(),
            labels: ticket.labels.clone(),
            watchers: detail.watchers.clone(),
            links: link_groups(&detail.links),
            findings: detail
                .findings
                .iter()
                .map(|f| FindingView::of(f, &detail.description))
                .collect(),
            description: detail.description,
            events: detail.events.iter().map(EventView::of).collect(),
            moves: Vec::new(),
            can_work: false,
            can_decide: false,
            priorities: Priority::ALL
                .into_iter()
                .map(|p| PriorityChoice {
                    value: p.as_str(),
                    label: p.label(),
                    selected: Some(p) == ticket.priority,
                })
                .collect(),
            acceptance: AcceptanceView::default(),
            done: None,
            errors: FormErrors::default(),
            comment_text: String::new(),
            csrf: String::new(),
            nav: None,
        }
    }
}

/// What people read for a ticket's state: its custom workflow's label when
/// it has one, else the built-in state's.
pub(super) fn state_label(ticket: &TicketRow) -> String {
    ticket.status_label.clone().unwrap_or_else(|| ticket.state.label().to_string())
}

fn facts(detail: &TicketDetail) -> Vec<Fact> {
    let ticket = &detail.ticket;
    let text = |label, value: &Option<String>| {
        value.as_ref().map(|v| Fact { label, value: Link::plain(v.clone()), full: None })
    };
    let repository = ticket.repository.as_ref().map(|url| Fact {
        label: "Repository",
        value: Link { text: url.clone(), href: http_url(&web_url(url)) },
        full: None,
    });
    let commit = ticket.commit.as_ref().map(|sha| Fact {
        label: "Commit",
        value: Link::plain(short_sha(sha)),
        full: Some(sha.clone()),
    });
    let tools = (!detail.tools.is_empty()).then(|| Fact {
        label: "Seen by",
        value: Link::plain(detail.tools.join(", ")),
        full: None,
    });
    let closed = match (ticket.state, detail.closed_by_scan_id) {
        (TicketState::Verified, Some(scan)) => Some(format!("verified by scan {scan}")),
        (TicketState::Closed, _) => Some("closed by hand, without a scan's proof".to_string()),
        _ => None,
    }
    .map(|text| Fact { label: "Closed", value: Link::plain(text), full: None });
    let reopened = (detail.reopen_count > 0).then(|| Fact {
        label: "Reopened",
        value: Link::plain(format!("{} times", detail.reopen_count)),
        full: None,
    });

    [
        Some(Fact { label: "Type", value: Link::plain(ticket.ticket_type.as_str()), full: None }),
        text("Application", &ticket.application),
        repository,
        text("Branch", &ticket.branch),
        commit,
        tools,
        closed,
        reopened,
        Some(Fact {
            label: "Opened",
            value: Link::plain(date_time(ticket.created_at)),
            full: None,
        }),
        Some(Fact {
            label: "Updated",
            value: Link::plain(date_time(ticket.updated_at)),
            full: None,
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl FindingView {
    /// `description` is the ticket's: a message that only repeats it is left out.
    fn of(row: &FindingRow, description: &str) -> FindingView {
        let finding = &row.finding;
        let place = |location: &Location| {
            location_link(row.repository.as_deref(), row.commit.as_deref(), location)
        };
        FindingView {
            title: finding.title.clone(),
            tool: finding.tool.clone(),
            rule_id: finding.rule_id.clone(),
            // Scanners often repeat one text as title, rule name and message.
            rule_name: finding
                .rule_name
                .clone()
                .filter(|n| ![&finding.rule_id, &finding.title].contains(&n)),
            tool_severity: finding.tool_severity.clone(),
            message: Some(finding.message.clone())
                .filter(|m| ![finding.title.as_str(), description].contains(&m.as_str()))
                .unwrap_or_default(),
            location: finding.location.as_ref().map(place).filter(|link| !link.text.is_empty()),
            snippet: finding.location.as_ref().and_then(|l| l.snippet.clone()),
            trace: trace(&finding.trace, place),
            remediation: finding.remediation.clone(),
            help: finding.help_uri.as_deref().and_then(http_url),
            suppression: suppression(finding),
            details: details(finding).into_iter().chain(recognised_by(row)).collect(),
            references: finding
                .references
                .iter()
                .map(|url| Link { text: url.clone(), href: http_url(url) })
                .collect(),
            same_secret_in: row
                .same_secret_in
                .iter()
                .map(|key| Link { text: key.clone(), href: Some(format!("/tickets/{key}")) })
                .collect(),
            sightings: row.sightings.iter().map(SightingView::of).collect(),
        }
    }
}

/// What a finding says about its package, score, secret and VEX analysis.
fn details(finding: &Finding) -> Vec<Fact> {
    let fact = |label, text: String| Fact { label, value: Link::plain(text), full: None };
    let mut facts = Vec::new();
    if let Some(package) = &finding.package {
        let name = match &package.version {
            Some(version) => format!("{} {version}", package.name),
            None => package.name.clone(),
        };
        facts.push(fact("Package", name));
        if let Some(purl) = &package.purl {
            facts.push(fact("Package URL", purl.clone()));
        }
        if let Some(ecosystem) = &package.ecosystem {
            facts.push(fact("Ecosystem", ecosystem.clone()));
        }
        facts.push(fact(
            "Fixed in",
            package.fixed_version.clone().unwrap_or_else(|| "no fixed version known".into()),
        ));
    }
    if let Some(cvss) = &finding.cvss {
        let text = match (cvss.score, &cvss.vector) {
            (Some(score), Some(vector)) => format!("{score:.1} {vector}"),
            (Some(score), None) => format!("{score:.1}"),
            (None, Some(vector)) => vector.clone(),
            (None, None) => String::new(),
        };
        if !text.is_empty() {
            facts.push(fact("CVSS", text));
        }
    }
    if let Some(secret) = &finding.secret {
        facts.push(fact("Secret", secret.preview.clone()));
        facts.push(fact("Secret hash", secret.hash.clone()));
    }
    if let Some(vex) = &finding.vex {
        let text = match &vex.justification {
            Some(why) => format!("{} ({why})", vex.state),
            None => vex.state.clone(),
        };
        facts.push(fact("VEX", text));
    }
    facts
}

fn trace(steps: &[TraceStep], place: impl Fn(&Location) -> Link) -> Vec<StepView> {
    let last = steps.len().saturating_sub(1);
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut location = place(&step.location);
            if location.text.is_empty() {
                location = Link::plain("(no location)");
            }
            StepView {
                number: i + 1,
                role: step_role(i, last),
                location,
                message: step.message.clone(),
            }
        })
        .collect()
}

fn step_role(index: usize, last: usize) -> Option<&'static str> {
    match (index == 0, index == last) {
        (true, true) => Some("source and sink"),
        (true, false) => Some("source"),
        (false, true) => Some("sink"),
        (false, false) => None,
    }
}

fn suppression(finding: &Finding) -> Option<String> {
    let suppression = finding.suppression.as_ref()?;
    let kind = match suppression.kind.as_str() {
        "inSource" => "in the source",
        "external" => "outside the source",
        other => other,
    };
    Some(match &suppression.justification {
        Some(why) => format!("Suppressed {kind}: {why}"),
        None => format!("Suppressed {kind}, with no justification given."),
    })
}

impl SightingView {
    fn of(sighting: &SightingRow) -> SightingView {
        SightingView {
            branch: non_empty(&sighting.branch),
            tool: sighting.tool.clone(),
            category: non_empty(&sighting.category),
            first_seen: date_time(sighting.first_seen_at),
            last_seen: date_time(sighting.last_seen_at),
            times_seen: sighting.times_seen,
            present: sighting.present,
        }
    }
}

/// The text, or a dash that shows the value is empty rather than missing.
fn non_empty(text: &str) -> String {
    if text.is_empty() { "—".into() } else { text.to_string() }
}

impl EventView {
    fn of(event: &EventRow) -> EventView {
        EventView {
            at: date_time(event.at),
            actor: event.actor.clone(),
            text: describe(&event.kind, &event.data),
        }
    }
}

/// An event as a sentence: `state changed from new to triaged (reason: …)`.
fn describe(kind: &str, data: &Value) -> String {
    let field = |name: &str| data.get(name).and_then(Value::as_str).filter(|v| !v.is_empty());
    let scan = data.get("scan_id").and_then(Value::as_i64);
    match (kind, scan) {
        ("opened", Some(scan)) => format!("opened by scan {scan}"),
        ("opened", None) => "opened".into(),
        ("state_changed", _) => state_change(field),
        ("assigned", _) if data.get("owner").is_some() => {
            format!("assigned to {}", field("owner").unwrap_or("nobody"))
        }
        ("due_date_set", _) => match field("due_at").and_then(|at| at.parse().ok()) {
            Some(at) => format!("due date set to {}", date(at)),
            None => "due date set".into(),
        },
        ("comment", _) => format!("comment: {}", field("text").unwrap_or("")),
        ("no_longer_seen", Some(scan)) => format!("no longer seen by scan {scan}"),
        ("seen_again", Some(scan)) => format!("seen again by scan {scan}"),
        ("verified", Some(scan)) => format!("verified by scan {scan}{}", at_commit(data)),
        ("verification_failed", Some(scan)) => {
            format!("verification failed: scan {scan}{} still sees it", at_commit(data))
        }
        ("reopened", Some(scan)) => {
            format!("reopened: scan {scan}{} sees it again", at_commit(data))
        }
        ("acceptance_expired", Some(scan)) => {
            format!("risk acceptance expired and scan {scan} still sees it: reopened")
        }
        ("finding_added", Some(scan)) => {
            let place = match (field("path"), data.get("line").and_then(Value::as_u64)) {
                (Some(path), Some(line)) => format!(" at {path}:{line}"),
                (Some(path), None) => format!(" at {path}"),
                _ => String::new(),
            };
            format!(
                "scan {scan} added {} {}{place}",
                field("tool").unwrap_or("a tool's"),
                field("rule_id").unwrap_or("finding")
            )
        }
        (other, _) => super::collab::describe(other, data)
            .or_else(|| super::acceptance::describe(other, data))
            .unwrap_or_else(|| other.replace('_', " ")),
    }
}

/// Which layer of identity recognised the finding in its latest scan.
fn recognised_by(row: &FindingRow) -> Option<Fact> {
    let text = match row.matched_by.as_deref()? {
        "tool" => "its fingerprint",
        "content" => "its code (the tool's fingerprint changed)",
        "location" => "its place (rule, file and a line within 3)",
        other => other,
    };
    Some(Fact { label: "Recognised by", value: Link::plain(text), full: None })
}

/// " at commit abc1234 on main", when the event says.
fn at_commit(data: &Value) -> String {
    let commit = data.get("commit").and_then(Value::as_str).filter(|c| !c.is_empty());
    let branch = data.get("branch").and_then(Value::as_str).filter(|b| !b.is_empty());
    let mut out = String::new();
    if let Some(commit) = commit {
        out.push_str(&format!(" at commit {}", commit.get(..12).unwrap_or(commit)));
    }
    if let Some(branch) = branch {
        out.push_str(&format!(" on {branch}"));
    }
    out
}

/// A custom workflow's state reads by its name (`from_status`, `status`),
/// a built-in one by its label.
fn state_change<'a>(field: impl Fn(&str) -> Option<&'a str>) -> String {
    let state = |custom, built_in| {
        let custom = field(custom).map(|name: &str| name.replace('_', " "));
        custom.or_else(|| field(built_in).map(state_name)).unwrap_or_else(|| "?".into())
    };
    let (from, to) = (state("from_status", "from"), state("status", "to"));
    let mut text = format!("state changed from {from} to {to}");
    let details: Vec<String> = [
        field("reason").map(|v| format!("reason: {v}")),
        field("approver").map(|v| format!("approved by {v}")),
        field("expires_at").and_then(|v| v.parse().ok()).map(|at| format!("expires {}", date(at))),
        field("duplicate_of").map(|v| format!("duplicate of {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        text.push_str(&format!(" ({})", details.join("; ")));
    }
    text
}

/// `in_progress` reads `in progress`.
fn state_name(name: &str) -> String {
    match name.parse::<TicketState>() {
        Ok(state) => state.label().to_lowercase(),
        Err(_) => name.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn events_read_as_sentences() {
        let move_ =
            json!({ "from": "new", "to": "in_progress", "reason": "on it", "approver": null });
        assert_eq!(
            describe("state_changed", &move_),
            "state changed from new to in progress (reason: on it)"
        );
        assert_eq!(describe("assigned", &json!({ "owner": "alice" })), "assigned to alice");
        assert_eq!(describe("comment", &json!({ "text": "see PR 12" })), "comment: see PR 12");
        assert_eq!(
            describe("no_longer_seen", &json!({ "scan_id": 7 })),
            "no longer seen by scan 7"
        );
        assert_eq!(describe("seen_again", &json!({ "scan_id": 9 })), "seen again by scan 9");
        assert_eq!(describe("opened", &json!({ "scan_id": 1 })), "opened by scan 1");
        assert_eq!(
            describe(
                "verified",
                &json!({ "scan_id": 4, "commit": "0123456789abcdef", "branch": "main" })
            ),
            "verified by scan 4 at commit 0123456789ab on main"
        );
        assert_eq!(
            describe("due_date_set", &json!({ "due_at": "2025-04-01T00:00:00Z" })),
            "due date set to 2025-04-01"
        );
        assert_eq!(describe("sla_breached", &json!({})), "sla breached");
    }

    #[test]
    fn a_custom_workflow_s_moves_read_by_its_states() {
        let data = json!({
            "from": "in_progress", "to": "fixed", "from_status": "investigating",
            "status": "mitigated", "reason": "rolled back",
        });
        assert_eq!(
            describe("state_changed", &data),
            "state changed from investigating to mitigated (reason: rolled back)"
        );
        let left = json!({ "from": "closed", "to": "reopened", "from_status": "closed" });
        assert_eq!(describe("state_changed", &left), "state changed from closed to reopened");
    }

    #[test]
    fn risk_acceptance_names_approver_and_expiry() {
        let data = json!({
            "from": "triaged", "to": "risk_accepted", "reason": "internal only",
            "approver": "bob", "expires_at": "2025-09-01T00:00:00Z",
        });
        assert_eq!(
            describe("state_changed", &data),
            "state changed from triaged to risk accepted \
             (reason: internal only; approved by bob; expires 2025-09-01)"
        );
    }

    #[test]
    fn the_trace_runs_from_source_to_sink() {
        assert_eq!(step_role(0, 2), Some("source"));
        assert_eq!(step_role(1, 2), None);
        assert_eq!(step_role(2, 2), Some("sink"));
        assert_eq!(step_role(0, 0), Some("source and sink"));
    }
}
