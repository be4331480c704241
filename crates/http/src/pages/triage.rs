//! What the triage policy made of a ticket, as the pages show it: the
//! owner and what chose it, the assignee, the priority and each step that
//! set it, the due date in the policy's time zone, where the ticket stands
//! against its SLA with every pause, and the exploit signals. Every status
//! is written out in words; colour only repeats it.

use fixgate_domain::triage::{Priority, SlaStatus};
use fixgate_store::{PauseRow, TicketDetail, TicketRow};

use super::view::date_time;

/// The triage part of a ticket's page.
pub(super) struct TriageView {
    pub owner: Option<String>,
    /// "routed by owning team of shop", "routed by route rule 2, line 40",
    /// "set by dana".
    pub routed_by: Option<String>,
    pub assignee: Option<String>,
    pub priority: Option<Priority>,
    /// How the priority came about, one step a line.
    pub reasons: Vec<String>,
    pub due: Option<DueView>,
    pub sla: Option<SlaStatus>,
    /// What the status means for this ticket: "since …", "was due …".
    pub sla_note: Option<String>,
    /// When the SLA clock started.
    pub clock_started: Option<String>,
    pub pauses: Vec<PauseView>,
    /// Shown when the ticket has advisory ids to look up.
    pub kev: Option<&'static str>,
    pub epss: Option<String>,
}

/// A due date: the day in the policy's time zone, and the exact moment for
/// the `<time>` element.
pub(super) struct DueView {
    pub date: String,
    pub at: String,
    pub time_zone: String,
}

pub(super) struct PauseView {
    pub from: String,
    /// `None` while the clock still stands.
    pub until: Option<String>,
    pub reason: String,
}

impl TriageView {
    /// `time_zone` is the policy's, the one `ticket.due` is a day of.
    pub(super) fn of(detail: &TicketDetail, time_zone: &str) -> TriageView {
        let ticket = &detail.ticket;
        let looked_up = !ticket.advisories.is_empty();
        TriageView {
            owner: ticket.owner.clone(),
            routed_by: ticket.routed_by.as_deref().map(|why| {
                if why.starts_with("set by ") {
                    why.to_string()
                } else {
                    format!("routed by {why}")
                }
            }),
            assignee: ticket.assignee.clone(),
            priority: ticket.priority,
            reasons: reasons(detail.triage.priority_reason.as_deref()),
            due: due(ticket, time_zone),
            sla: ticket.sla,
            sla_note: sla_note(ticket),
            clock_started: detail.triage.sla_started_at.map(date_time),
            pauses: detail.triage.pauses.iter().map(PauseView::of).collect(),
            kev: match (detail.triage.kev, looked_up) {
                (true, _) => Some("Yes: in CISA's Known Exploited Vulnerabilities catalogue"),
                (false, true) => Some("No"),
                (false, false) => None,
            },
            epss: match (detail.triage.epss, looked_up) {
                (Some(score), _) => Some(epss(score)),
                (None, true) => Some("No score loaded".into()),
                (None, false) => None,
            },
        }
    }
}

impl PauseView {
    fn of(pause: &PauseRow) -> PauseView {
        PauseView {
            from: date_time(pause.started_at),
            until: pause.ended_at.map(date_time),
            reason: pause.reason.clone(),
        }
    }
}

/// The stored reason, one step a line. A person's reason ("set by dana:
/// …") is one step, whatever it says.
fn reasons(reason: Option<&str>) -> Vec<String> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) if reason.starts_with("set by ") => vec![reason.to_string()],
        Some(reason) => reason.split("; ").map(str::to_string).collect(),
        None => Vec::new(),
    }
}

pub(super) fn due(ticket: &TicketRow, time_zone: &str) -> Option<DueView> {
    let (day, at) = (ticket.due?, ticket.due_at?);
    Some(DueView { date: day.to_string(), at: at.to_string(), time_zone: time_zone.to_string() })
}

fn sla_note(ticket: &TicketRow) -> Option<String> {
    match ticket.sla {
        Some(SlaStatus::Paused) => ticket.paused_since.map(|at| {
            format!(
                "the clock stands still since {}; the due date moves on by the pause once \
                     it runs again",
                date_time(at)
            )
        }),
        Some(SlaStatus::Breached) => ticket.due.map(|day| format!("it was due {day}")),
        Some(SlaStatus::DueSoon) => ticket.due.map(|day| format!("it is due {day}")),
        Some(SlaStatus::OnTrack) => None,
        None if !ticket.state.is_open() => Some("Closed: the SLA no longer runs".into()),
        None => Some("No due date".into()),
    }
}

/// `0.974 (97.4 % chance of exploitation within 30 days)`.
fn epss(score: f64) -> String {
    format!("{score:.3} ({:.1} % chance of exploitation within 30 days)", score * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_one_step_a_line() {
        let steps = reasons(Some("severity medium; rule 4 (known exploited): at least high"));
        assert_eq!(steps, ["severity medium", "rule 4 (known exploited): at least high"]);
        let person = reasons(Some("set by dana: exposed; no WAF"));
        assert_eq!(person, ["set by dana: exposed; no WAF"]);
        assert!(reasons(None).is_empty());
    }

    #[test]
    fn epss_reads_as_a_chance() {
        assert_eq!(epss(0.97412), "0.974 (97.4 % chance of exploitation within 30 days)");
    }
}
