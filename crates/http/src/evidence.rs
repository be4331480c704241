//! The evidence pack: `/api/v1/reports/evidence` as JSON, CSV or a
//! printable HTML page, and the page itself, which the command line writes
//! too. The page is one self-contained file an auditor can keep: its print
//! style sheet is inline (A4, each section on a new page), it runs no
//! script, loads nothing, and its template escapes every text.

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use fixgate_domain::Action;
use fixgate_service::evidence::{EvidencePack, EvidenceRequest};
use fixgate_store::{Closure, EvidenceTicket, ScanRef};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// The page's policy: as every page's, but its one inline style sheet may
/// apply (nothing else may, and no script at all).
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// How the pack is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceFormat {
    Json,
    Csv,
    Html,
}

impl std::str::FromStr for EvidenceFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<EvidenceFormat, String> {
        match s.trim() {
            "" | "json" => Ok(EvidenceFormat::Json),
            "csv" => Ok(EvidenceFormat::Csv),
            "html" => Ok(EvidenceFormat::Html),
            other => Err(format!("format: {other:?} is not one of json, csv or html")),
        }
    }
}

/// `?since=2026-10-01&until=2026-12-31&app=shop&team=shop-team&repo=…&format=html`;
/// empty values mean the default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceQuery {
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    repo: String,
    #[serde(default)]
    format: String,
}

impl EvidenceQuery {
    fn to_request(&self) -> Result<EvidenceRequest, ApiError> {
        let date = |name: &str, value: &str| -> Result<Option<Date>, ApiError> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(None);
            }
            value.parse::<Date>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("{name}: {value:?} is not a date such as 2026-12-01"))
            })
        };
        let named = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        Ok(EvidenceRequest {
            since: date("since", &self.since)?,
            until: date("until", &self.until)?,
            application: named(&self.app),
            team: named(&self.team),
            repository: named(&self.repo),
        })
    }
}

pub(crate) async fn evidence(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<EvidenceQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Action::Read)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let request = query.to_request()?;
    let format: EvidenceFormat = query.format.parse().map_err(ApiError::bad_request)?;
    let pack = state.fixgate.evidence(&request, caller.visibility()).await?;
    match format {
        EvidenceFormat::Json => Ok(Json(pack).into_response()),
        EvidenceFormat::Csv => {
            let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8")];
            Ok((headers, pack.to_csv()).into_response())
        }
        EvidenceFormat::Html => {
            let page = evidence_html(&pack).map_err(|err| ApiError::Internal(Box::new(err)))?;
            let mut response = axum::response::Html(page).into_response();
            let policy = HeaderValue::from_static(PAGE_POLICY);
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
            Ok(response)
        }
    }
}

/// The pack as a printable HTML page.
pub fn evidence_html(pack: &EvidencePack) -> Result<String, askama::Error> {
    EvidencePage::of(pack).render()
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    since: String,
    until: String,
    time_zone: String,
    as_of: String,
    scope: String,
    generated_at: String,
    chain: Option<String>,
    version: u32,
    warnings: Vec<String>,
    outcomes: Vec<(String, u64)>,
    total: u64,
    sla: Vec<(String, u64)>,
    reopened_tickets: u64,
    reopens: u64,
    tickets: Vec<TicketView>,
}

/// One ticket, its facts and proof as label and text.
struct TicketView {
    key: String,
    title: String,
    severity: String,
    outcome: String,
    sla: String,
    facts: Vec<(&'static str, String)>,
    proof: Vec<(&'static str, String)>,
    pauses: Vec<String>,
    reopens: Vec<String>,
    earlier: Vec<String>,
}

impl EvidencePage {
    fn of(pack: &EvidencePack) -> EvidencePage {
        let w = &pack.window;
        let s = &pack.summary;
        let counts = |map: &std::collections::BTreeMap<&'static str, u64>| {
            map.iter().map(|(name, n)| (words(name), *n)).collect()
        };
        EvidencePage {
            since: w.since.to_string(),
            until: w.until.to_string(),
            time_zone: w.time_zone.clone(),
            as_of: when(w.as_of),
            scope: pack.scope.describe(),
            generated_at: when(pack.generated_at),
            chain: pack.chain.as_ref().map(|c| c.describe()),
            version: pack.version,
            warnings: pack.warnings.clone(),
            outcomes: counts(&s.outcomes),
            total: s.tickets,
            sla: counts(&s.sla),
            reopened_tickets: s.reopened_tickets,
            reopens: s.reopens,
            tickets: pack.tickets.iter().map(TicketView::of).collect(),
        }
    }
}

impl TicketView {
    fn of(t: &EvidenceTicket) -> TicketView {
        TicketView {
            key: t.key.clone(),
            title: t.title.clone(),
            severity: t.severity.clone(),
            outcome: words(t.outcome.as_str()),
            sla: words(t.sla.as_str()),
            facts: facts(t),
            proof: t.closure.as_ref().map(proof).unwrap_or_default(),
            pauses: t
                .pauses
                .iter()
                .map(|p| {
                    let end = p.ended_at.map_or_else(|| "still paused".into(), when);
                    let reason = p.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                    format!("{} to {end}{reason}", when(p.started_at))
                })
                .collect(),
            reopens: t
                .reopens
                .iter()
                .map(|r| {
                    let scan =
                        r.scan.as_ref().map(|s| format!(", {}", scan(s))).unwrap_or_default();
                    let reason = r.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                    format!("{} by {} ({}){scan}{reason}", when(r.at), r.by, r.cause.as_str())
                })
                .collect(),
            earlier: t
                .earlier_closings
                .iter()
                .map(|c| format!("{} {} by {}", words(c.outcome.as_str()), when(c.at), c.by))
                .collect(),
        }
    }
}

/// What the ticket is, and its detection and SLA.
fn facts(t: &EvidenceTicket) -> Vec<(&'static str, String)> {
    let mut out = vec![("Severity", t.severity.clone())];
    let mut put = |label: &'static str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push((label, value));
        }
    };
    put("Priority", t.priority.clone());
    put("Priority because", t.priority_reason.clone());
    put("Rule", t.rule.clone());
    put("CWE", Some(t.cwes.join(", ")));
    put("Advisories", Some(t.advisories.join(", ")));
    put("Application", t.application.clone());
    put("Repository", t.repository.clone());
    put("Branch", t.branch.clone());
    put("Path", t.path.clone());
    put("Tool", t.tool.clone());
    put("Team", t.owner.clone());
    let by = match &t.detected.scan {
        Some(s) => format!("{}, uploaded by {}", scan(s), t.detected.by),
        None => format!("opened by {}", t.detected.by),
    };
    put("First detected", Some(format!("{} by {by}", when(t.detected.at))));
    put("Due", t.due_at.map(when));
    put("SLA", Some(words(t.sla.as_str())));
    out
}

/// How the ticket ended and what proves it.
fn proof(c: &Closure) -> Vec<(&'static str, String)> {
    let mut out = vec![("Closed", format!("{} by {}", when(c.at), c.by))];
    if let Some(s) = &c.scan {
        out.push(("Verified by", scan(s)));
    }
    if let Some(a) = &c.acceptance {
        let asked = a.requested_at.map(|at| format!(" on {}", when(at))).unwrap_or_default();
        out.push(("Requested by", format!("{}{asked}", a.requested_by)));
        out.push(("Approved by", format!("{} on {}", a.approved_by, when(a.approved_at))));
        if let Some(until) = a.expires_at {
            out.push(("Accepted until", when(until)));
        }
        if let Some(note) = &a.note {
            out.push(("Approver's note", note.clone()));
        }
    }
    if let Some(reason) = &c.reason {
        out.push(("Why", reason.clone()));
    }
    if let Some(kept) = &c.duplicate_of {
        out.push(("Duplicate of", kept.clone()));
    }
    out
}

/// `scan 4 (Semgrep) at commit abc on main, 2026-12-12 09:00:00 UTC`.
fn scan(s: &ScanRef) -> String {
    let mut out = format!("scan {}", s.id);
    if let Some(tool) = &s.tool {
        out.push_str(&format!(" ({tool})"));
    }
    if let Some(commit) = &s.commit {
        out.push_str(&format!(" at commit {commit}"));
    }
    if let Some(branch) = &s.branch {
        out.push_str(&format!(" on {branch}"));
    }
    if let Some(at) = s.at {
        out.push_str(&format!(", {}", when(at)));
    }
    out
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `risk_accepted` → `risk accepted`.
fn words(name: &str) -> String {
    name.replace('_', " ")
}
