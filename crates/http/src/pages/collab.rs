//! What a ticket's page shows of people working on it together: its links
//! to other tickets, grouped by kind, and the history's sentences for
//! assignments, watchers, labels and links.

use fixgate_domain::LinkKind;
use fixgate_store::LinkRow;
use serde_json::Value;

/// The tickets linked one way: `Blocked by: SEC-1, SEC-4`.
pub(super) struct LinkGroup {
    pub label: &'static str,
    pub tickets: Vec<LinkedTicket>,
}

pub(super) struct LinkedTicket {
    pub key: String,
    pub title: String,
    pub state: &'static str,
}

/// The links, one group per kind, in a fixed order.
pub(super) fn link_groups(links: &[LinkRow]) -> Vec<LinkGroup> {
    LinkKind::ALL
        .into_iter()
        .map(|kind| LinkGroup {
            label: group_label(kind),
            tickets: links
                .iter()
                .filter(|link| link.kind == kind)
                .map(|link| LinkedTicket {
                    key: link.key.clone(),
                    title: link.title.clone(),
                    state: link.state.label(),
                })
                .collect(),
        })
        .filter(|group| !group.tickets.is_empty())
        .collect()
}

fn group_label(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Blocks => "Blocks",
        LinkKind::BlockedBy => "Blocked by",
        LinkKind::DuplicateOf => "Duplicate of",
        LinkKind::DuplicatedBy => "Duplicated by",
        LinkKind::RelatesTo => "Relates to",
    }
}

/// An event of working together as a sentence, or `None` for other kinds.
pub(super) fn describe(kind: &str, data: &Value) -> Option<String> {
    let field = |name: &str| data.get(name).and_then(Value::as_str).filter(|v| !v.is_empty());
    let names = |name: &str| -> Vec<&str> {
        data.get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    };
    Some(match kind {
        "assigned" => match (field("to"), field("from")) {
            (Some(to), Some(from)) => format!("assigned to {to} (was {from})"),
            (Some(to), None) => format!("assigned to {to}"),
            (None, Some(from)) => format!("unassigned (was {from})"),
            (None, None) => "unassigned".into(),
        },
        "watcher_added" => format!("{} now watches", field("name").unwrap_or("someone")),
        "watcher_removed" => format!("{} no longer watches", field("name").unwrap_or("someone")),
        "labels_changed" => {
            let parts: Vec<String> = [("added", names("added")), ("removed", names("removed"))]
                .into_iter()
                .filter(|(_, labels)| !labels.is_empty())
                .map(|(what, labels)| format!("{what} {}", labels.join(", ")))
                .collect();
            format!("labels {}", parts.join("; "))
        }
        "link_added" | "link_removed" => {
            let link = field("kind").and_then(|k| k.parse::<LinkKind>().ok());
            let other = field("key").unwrap_or("a ticket you cannot see");
            let what = if kind == "link_added" { "linked" } else { "link removed" };
            match link {
                Some(link) => format!("{what}: {} {other}", link.label()),
                None => format!("{what}: {other}"),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use fixgate_domain::TicketState;
    use serde_json::json;

    use super::*;

    #[test]
    fn collaboration_events_read_as_sentences() {
        let said = |kind, data| describe(kind, &data).unwrap_or_default();
        assert_eq!(said("assigned", json!({"from": null, "to": "alice"})), "assigned to alice");
        assert_eq!(
            said("assigned", json!({"from": "alice", "to": "bob"})),
            "assigned to bob (was alice)"
        );
        assert_eq!(said("assigned", json!({"from": "bob", "to": null})), "unassigned (was bob)");
        assert_eq!(said("watcher_added", json!({"name": "carol"})), "carol now watches");
        assert_eq!(
            said("labels_changed", json!({"added": ["pci", "ui"], "removed": ["old"]})),
            "labels added pci, ui; removed old"
        );
        assert_eq!(
            said("link_added", json!({"kind": "blocked_by", "key": "SEC-1"})),
            "linked: blocked by SEC-1"
        );
        assert_eq!(
            said("link_removed", json!({"kind": "relates_to", "key": null})),
            "link removed: relates to a ticket you cannot see"
        );
        assert_eq!(describe("comment", &json!({})), None);
    }

    #[test]
    fn links_are_grouped_by_kind_in_a_fixed_order() {
        let link = |kind, key: &str| LinkRow {
            kind,
            key: key.into(),
            title: format!("title of {key}"),
            state: TicketState::New,
        };
        let groups = link_groups(&[
            link(LinkKind::RelatesTo, "TASK-2"),
            link(LinkKind::BlockedBy, "SEC-1"),
            link(LinkKind::BlockedBy, "SEC-4"),
        ]);
        let shape: Vec<(&str, usize)> = groups.iter().map(|g| (g.label, g.tickets.len())).collect();
        assert_eq!(shape, [("Blocked by", 2), ("Relates to", 1)]);
    }
}
