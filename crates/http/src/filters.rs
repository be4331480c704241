//! The ticket list's query string, shared by the API and the pages. Empty
//! values (as HTML forms send them) mean "no filter".

use fixgate_domain::triage::SlaStatus;
use fixgate_domain::{Label, Severity, TicketType};
use fixgate_store::{
    AssigneeFilter, ScanChange, ScanChangeKind, TicketFilter, TicketOrder, Visibility,
};
use serde::{Deserialize, Serialize};

use crate::ApiError;

/// `?state=new,triaged&severity=high&cwe=79&q=sql&page=2&limit=50`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TicketQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default, rename = "type")]
    pub ticket_type: String,
    #[serde(default)]
    pub application: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub cwe: String,
    #[serde(default)]
    pub q: String,
    /// `yes`: the latest scan still sees it; `no`: it no longer does.
    #[serde(default)]
    pub seen: String,
    /// A person's name; `me`, the caller (see [`TicketQuery::for_caller`]);
    /// `none`, unassigned.
    #[serde(default)]
    pub assignee: String,
    /// Labels, comma-separated: tickets with any of them.
    #[serde(default)]
    pub label: String,
    /// The owning team.
    #[serde(default)]
    pub owner: String,
    /// Priorities, comma-separated.
    #[serde(default)]
    pub priority: String,
    /// `on_track`, `due_soon`, `breached` or `paused`.
    #[serde(default)]
    pub sla: String,
    /// Ticket keys, comma-separated, any case: only those tickets.
    #[serde(default)]
    pub key: String,
    /// A scan's id: with `change`, the tickets that scan opened, verified
    /// or reopened.
    #[serde(default)]
    pub scan: String,
    /// `opened`, `verified` or `reopened` (with `scan`).
    #[serde(default)]
    pub change: String,
    pub limit: Option<u32>,
    pub page: Option<u32>,
}

impl TicketQuery {
    /// The filter, limited to what a caller with `visibility` may see.
    pub fn to_filter(
        &self,
        default_limit: u32,
        visibility: Visibility,
    ) -> Result<TicketFilter, ApiError> {
        Ok(TicketFilter {
            visibility,
            states: list(&self.state, "state")?,
            severities: list::<Severity>(&self.severity, "severity")?,
            ticket_type: optional::<TicketType>(&self.ticket_type, "type")?,
            application: text(&self.application),
            repository: text(&self.repository),
            tool: text(&self.tool),
            cwe: cwe(&self.cwe)?,
            text: text(&self.q),
            present: seen(&self.seen)?,
            assignee: assignee(&self.assignee),
            labels: list::<Label>(&self.label, "label")?
                .into_iter()
                .map(Label::into_string)
                .collect(),
            owner: text(&self.owner),
            priorities: list(&self.priority, "priority")?,
            sla: optional::<SlaStatus>(&self.sla, "sla")?.map(|s| (s, jiff::Timestamp::UNIX_EPOCH)),
            keys: list::<String>(&self.key, "key")?
                .into_iter()
                .map(|k| k.to_ascii_uppercase())
                .collect(),
            scan: scan_change(&self.scan, &self.change)?,
            order: TicketOrder::Severity,
            limit: self.limit.unwrap_or(default_limit).clamp(1, 1000),
            page: self.page.unwrap_or(1).max(1),
        })
    }

    /// Whether any filter is set (pages show a "clear" link then).
    pub fn is_filtered(&self) -> bool {
        [&self.state, &self.severity, &self.ticket_type, &self.application, &self.repository]
            .iter()
            .chain([&self.tool, &self.cwe, &self.q, &self.seen, &self.assignee, &self.label].iter())
            .chain([&self.owner, &self.priority, &self.sla, &self.key, &self.scan].iter())
            .any(|v| !v.trim().is_empty())
    }

    /// The query with `assignee=me` made the caller's name.
    pub fn for_caller(mut self, name: &str) -> TicketQuery {
        if self.assignee.trim().eq_ignore_ascii_case("me") {
            self.assignee = name.to_string();
        }
        self
    }
}

/// `none` is nobody; any other name, that person.
fn assignee(value: &str) -> Option<AssigneeFilter> {
    match value.trim() {
        "" => None,
        name if name.eq_ignore_ascii_case("none") => Some(AssigneeFilter::Nobody),
        name => Some(AssigneeFilter::Person(name.to_string())),
    }
}

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

fn list<T>(value: &str, what: &str) -> Result<Vec<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>().map_err(|err| ApiError::bad_request(format!("{what}: {err}"))))
        .collect()
}

fn optional<T>(value: &str, what: &str) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    Ok(list::<T>(value, what)?.into_iter().next())
}

fn cwe(value: &str) -> Result<Option<u32>, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let digits = value.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-');
    digits.parse().map(Some).map_err(|_| {
        ApiError::bad_request(format!("cwe: {value:?} is not a CWE id such as 79 or CWE-79"))
    })
}

/// `scan=12&change=verified`; `change` alone, or a scan without one, is
/// refused rather than ignored.
fn scan_change(scan: &str, change: &str) -> Result<Option<ScanChange>, ApiError> {
    let (scan, change) = (scan.trim(), change.trim());
    if scan.is_empty() && change.is_empty() {
        return Ok(None);
    }
    let id = scan.parse::<i64>().map_err(|_| {
        ApiError::bad_request(format!("scan: {scan:?} is not a scan id such as 12"))
    })?;
    let kind = if change.is_empty() { "opened" } else { change };
    let kind = kind
        .parse::<ScanChangeKind>()
        .map_err(|err| ApiError::bad_request(format!("change: {err}")))?;
    Ok(Some(ScanChange { scan: id, kind }))
}

fn seen(value: &str) -> Result<Option<bool>, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "any" => Ok(None),
        "yes" | "true" => Ok(Some(true)),
        "no" | "false" => Ok(Some(false)),
        other => Err(ApiError::bad_request(format!("seen: {other:?} is not yes, no or any"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixgate_domain::TicketState;

    #[test]
    fn the_openapi_document_names_every_list_filter() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
        let documented: Vec<&str> = doc["paths"]["/api/v1/tickets"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        let query = serde_json::to_value(TicketQuery::default()).unwrap();
        let names: Vec<&String> = query.as_object().unwrap().keys().collect();
        assert!(names.len() > 15, "{names:?}");
        for name in names {
            assert!(documented.contains(&name.as_str()), "openapi.json lacks ?{name}=");
        }
    }

    #[test]
    fn parses_lists_and_cwe_forms() {
        let query = TicketQuery {
            state: "new, in progress".into(),
            severity: "high,critical".into(),
            cwe: "CWE-79".into(),
            seen: "no".into(),
            ..TicketQuery::default()
        };
        let filter = query.to_filter(50, Default::default()).unwrap();
        assert_eq!(filter.states, vec![TicketState::New, TicketState::InProgress]);
        assert_eq!(filter.severities, vec![Severity::High, Severity::Critical]);
        assert_eq!(filter.cwe, Some(79));
        assert_eq!(filter.present, Some(false));
        assert!(query.is_filtered());
    }

    #[test]
    fn a_scan_filter_needs_an_id_and_a_known_change() {
        let query =
            TicketQuery { scan: "12".into(), change: "verified".into(), ..Default::default() };
        let filter = query.to_filter(50, Default::default()).unwrap();
        assert_eq!(filter.scan, Some(ScanChange { scan: 12, kind: ScanChangeKind::Verified }));
        assert!(query.is_filtered());

        let bad = TicketQuery { scan: "x".into(), ..Default::default() };
        let err = bad.to_filter(50, Default::default()).unwrap_err().to_string();
        assert!(err.starts_with("scan: \"x\" is not a scan id"), "{err}");
        let bad = TicketQuery { scan: "3".into(), change: "fixed".into(), ..Default::default() };
        let err = bad.to_filter(50, Default::default()).unwrap_err().to_string();
        assert!(err.starts_with("change: \"fixed\""), "{err}");
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let query = TicketQuery { state: "done".into(), ..TicketQuery::default() };
        let err = query.to_filter(50, Default::default()).unwrap_err().to_string();
        assert!(err.starts_with("state: unknown state \"done\""), "{err}");
    }
}
