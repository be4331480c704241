//! What a message says, in each channel's format: fixgate's own JSON for
//! webhooks, Slack's blocks, a Microsoft Teams Adaptive Card, and an
//! email's subject, text and HTML. A message carries one notice, or a
//! digest of several, in which each ticket appears once, as it last stood.

use fixgate_domain::notice::MAX_LISTED;
use fixgate_domain::{Notice, NoticeKind, NoticeTicket};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The most tickets a chat message (Slack, Teams) lists; it counts the rest.
const CHAT_LISTED: usize = 20;

/// The longest text Slack takes in one section block.
const SLACK_SECTION_CHARS: usize = 3000;

/// The longest subject an email gets, in characters.
const SUBJECT_CHARS: usize = 150;

/// One message to one channel.
#[derive(Debug, Clone)]
pub(crate) struct Message<'a> {
    pub channel: &'a str,
    /// The id receivers may drop a repeated delivery by.
    pub delivery: String,
    /// One notice, or a digest's notices in the order they were made.
    pub notices: Vec<&'a Notice>,
    pub digest: bool,
    /// fixgate's address as people open it, for links to tickets.
    pub link_base: Option<&'a str>,
}

/// A ticket as a message lists it, with what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Entry<'a> {
    #[serde(flatten)]
    pub ticket: &'a NoticeTicket,
    /// What happened to the ticket, in order, each once.
    pub events: Vec<NoticeKind>,
}

impl<'a> Message<'a> {
    /// The tickets, each once: for a ticket several notices name, the
    /// latest notice's view of it and every kind of thing that happened.
    pub(crate) fn entries(&self) -> Vec<Entry<'a>> {
        let mut entries: Vec<Entry<'a>> = Vec::new();
        for notice in &self.notices {
            for ticket in &notice.tickets {
                match entries.iter_mut().find(|entry| entry.ticket.key == ticket.key) {
                    Some(entry) => {
                        entry.ticket = ticket;
                        if !entry.events.contains(&notice.kind) {
                            entry.events.push(notice.kind);
                        }
                    }
                    None => entries.push(Entry { ticket, events: vec![notice.kind] }),
                }
            }
        }
        entries
    }

    /// Tickets the notices count but do not list.
    fn unlisted(&self) -> u64 {
        self.notices.iter().map(|n| n.ticket_count() - n.tickets.len() as u64).sum()
    }

    /// The line a person reads first.
    pub(crate) fn headline(&self) -> String {
        match self.notices.as_slice() {
            [notice] if !self.digest => notice.summary.clone(),
            notices => {
                let tickets = self.entries().len() as u64 + self.unlisted();
                format!(
                    "fixgate digest: {} about {}",
                    plural(notices.len() as u64, "notice"),
                    plural(tickets, "ticket")
                )
            }
        }
    }

    /// What, whose, when and by whom, in one line.
    pub(crate) fn context(&self) -> String {
        let mut parts = Vec::new();
        match self.notices.as_slice() {
            [notice] if !self.digest => {
                parts.push(notice.kind.label().to_string());
                parts.extend(notice.team.as_ref().map(|team| format!("team {team}")));
                parts.push(minute(notice.at));
                parts.extend(notice.actor.as_ref().map(|actor| format!("by {actor}")));
            }
            notices => {
                parts.push(format!("channel {}", self.channel));
                let first = notices.iter().map(|n| n.at).min();
                let last = notices.iter().map(|n| n.at).max();
                if let (Some(first), Some(last)) = (first, last) {
                    parts.push(format!("{} to {}", minute(first), minute(last)));
                }
            }
        }
        format!("fixgate · {}", parts.join(" · "))
    }

    /// Lines about what the list leaves out: a digest's notices whose
    /// tickets are not all listed, and how many more a single notice counts.
    pub(crate) fn notes(&self) -> Vec<String> {
        match self.notices.as_slice() {
            [notice] if !self.digest => {
                let more = self.unlisted();
                if more > 0 { vec![and_more(more)] } else { vec![] }
            }
            notices => notices
                .iter()
                .filter(|n| n.tickets.is_empty() || n.ticket_count() > n.tickets.len() as u64)
                .map(|n| n.summary.clone())
                .collect(),
        }
    }

    fn link(&self, key: &str) -> Option<String> {
        self.link_base.map(|base| format!("{}/tickets/{key}", base.trim_end_matches('/')))
    }
}

/// fixgate's own JSON: the notices as they are, and for a digest also each
/// ticket once with what happened to it.
pub(crate) fn webhook(message: &Message<'_>) -> Value {
    let mut body = Map::new();
    body.insert("delivery".into(), json!(message.delivery));
    body.insert("channel".into(), json!(message.channel));
    body.insert("digest".into(), json!(message.digest));
    body.insert("notices".into(), json!(message.notices));
    if message.digest {
        body.insert("tickets".into(), json!(message.entries()));
    }
    Value::Object(body)
}

/// A Slack incoming webhook's payload: `text` for notifications and
/// clients without blocks, and mrkdwn sections with the tickets.
pub(crate) fn slack(message: &Message<'_>) -> Value {
    let headline = slack_escape(&message.headline());
    let mut blocks = vec![slack_section(&format!("*{headline}*"))];
    let entries = message.entries();
    let mut lines: Vec<String> =
        entries.iter().take(CHAT_LISTED).map(|entry| slack_line(message, entry)).collect();
    if entries.len() > CHAT_LISTED {
        let more = (entries.len() - CHAT_LISTED) as u64;
        lines.push(format!("_{}_", and_more(more)));
    }
    lines.extend(message.notes().iter().map(|note| format!("_{}_", slack_escape(note))));
    blocks.extend(chunks(&lines, SLACK_SECTION_CHARS).iter().map(|text| slack_section(text)));
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": slack_escape(&message.context())}]
    }));
    json!({"text": headline, "blocks": blocks})
}

fn slack_section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn slack_line(message: &Message<'_>, entry: &Entry<'_>) -> String {
    let ticket = entry.ticket;
    let key = match message.link(&ticket.key) {
        Some(url) => format!("<{}|{}>", slack_escape(&url), slack_escape(&ticket.key)),
        None => format!("*{}*", slack_escape(&ticket.key)),
    };
    let events =
        if message.digest { format!("{}: ", events(&entry.events)) } else { String::new() };
    format!(
        "• {key} {events}{} ({})",
        slack_escape(&ticket.title),
        slack_escape(&facts(ticket).join(", "))
    )
}

/// Slack reads `&`, `<` and `>` as markup: they are sent as entities.
pub(crate) fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Lines joined into texts of at most `limit` characters each; a longer
/// line is cut.
fn chunks(lines: &[String], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line: String = line.chars().take(limit).collect();
        let len = current.chars().count() + 1 + line.chars().count();
        if !current.is_empty() && len > limit {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A Microsoft Teams incoming webhook's payload: a message with one
/// Adaptive Card (version 1.4), the tickets each a title and a fact set.
pub(crate) fn teams(message: &Message<'_>) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": message.headline(), "weight": "Bolder",
               "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "text": message.context(), "isSubtle": true,
               "spacing": "None", "wrap": true}),
    ];
    let entries = message.entries();
    body.extend(entries.iter().take(CHAT_LISTED).map(|entry| teams_entry(message, entry)));
    let mut notes = message.notes();
    if entries.len() > CHAT_LISTED {
        notes.insert(0, and_more((entries.len() - CHAT_LISTED) as u64));
    }
    body.extend(
        notes
            .iter()
            .map(|note| json!({"type": "TextBlock", "text": note, "isSubtle": true, "wrap": true})),
    );
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"}
    });
    // One ticket gets a button that opens it.
    let link = match entries.as_slice() {
        [entry] => message.link(&entry.ticket.key).map(|url| (&entry.ticket.key, url)),
        _ => None,
    };
    if let (Some((key, url)), Some(card)) = (link, card.as_object_mut()) {
        let title = format!("Open {key}");
        card.insert(
            "actions".into(),
            json!([{"type": "Action.OpenUrl", "title": title, "url": url}]),
        );
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card
        }]
    })
}

fn teams_entry(message: &Message<'_>, entry: &Entry<'_>) -> Value {
    let ticket = entry.ticket;
    let mut facts = vec![json!({"title": "Severity", "value": ticket.severity})];
    if let Some(priority) = &ticket.priority {
        facts.push(json!({"title": "Priority", "value": priority}));
    }
    if let Some(due) = ticket.due_at {
        facts.push(json!({"title": "Due", "value": day(due)}));
    }
    if let Some(owner) = &ticket.owner {
        facts.push(json!({"title": "Owner", "value": owner}));
    }
    facts.push(json!({"title": "State", "value": ticket.state}));
    if message.digest {
        facts.push(json!({"title": "What happened", "value": events(&entry.events)}));
    }
    json!({
        "type": "Container",
        "separator": true,
        "items": [
            {"type": "TextBlock", "text": format!("{} · {}", ticket.key, ticket.title),
             "weight": "Bolder", "wrap": true},
            {"type": "FactSet", "facts": facts}
        ]
    })
}

/// An email's subject and bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An email: a plain-text body, and a short HTML one for mail clients
/// that show HTML.
pub(crate) fn email(message: &Message<'_>) -> Email {
    let headline = message.headline();
    let subject_line: String = headline.split_whitespace().collect::<Vec<_>>().join(" ");
    let subject =
        format!("[fixgate] {}", subject_line.chars().take(SUBJECT_CHARS).collect::<String>());
    let entries = message.entries();
    let listed: Vec<&Entry<'_>> = entries.iter().take(MAX_LISTED).collect();
    let mut notes = message.notes();
    if entries.len() > MAX_LISTED {
        notes.insert(0, and_more((entries.len() - MAX_LISTED) as u64));
    }

    let mut text = format!("{headline}\n{}\n\n", message.context());
    for entry in &listed {
        text.push_str(&format!("- {}\n", plain_line(message, entry)));
        if let Some(url) = message.link(&entry.ticket.key) {
            text.push_str(&format!("  {url}\n"));
        }
    }
    for note in &notes {
        text.push_str(&format!("{note}\n"));
    }
    text.push_str(&format!("\nSent by fixgate to the channel {}.\n", message.channel));

    let mut html = format!("<p><strong>{}</strong></p>\n<ul>\n", html_escape(&headline));
    for entry in &listed {
        let line = html_escape(&plain_line(message, entry));
        match message.link(&entry.ticket.key) {
            Some(url) => {
                html.push_str(&format!("<li><a href=\"{}\">{line}</a></li>\n", html_escape(&url)))
            }
            None => html.push_str(&format!("<li>{line}</li>\n")),
        }
    }
    html.push_str("</ul>\n");
    for note in &notes {
        html.push_str(&format!("<p>{}</p>\n", html_escape(note)));
    }
    html.push_str(&format!("<p><small>{}</small></p>\n", html_escape(&message.context())));
    Email { subject, text, html }
}

fn plain_line(message: &Message<'_>, entry: &Entry<'_>) -> String {
    let ticket = entry.ticket;
    let events =
        if message.digest { format!("{}: ", events(&entry.events)) } else { String::new() };
    format!("{} {events}{} ({})", ticket.key, ticket.title, facts(ticket).join(", "))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Severity, priority, due date, owner and state, those the ticket has.
fn facts(ticket: &NoticeTicket) -> Vec<String> {
    let mut facts = vec![ticket.severity.clone()];
    facts.extend(ticket.priority.clone());
    facts.extend(ticket.due_at.map(|due| format!("due {}", day(due))));
    facts.extend(ticket.owner.as_ref().map(|owner| format!("owner {owner}")));
    facts.push(ticket.state.clone());
    facts
}

fn events(kinds: &[NoticeKind]) -> String {
    kinds.iter().map(|kind| kind.label()).collect::<Vec<_>>().join(", ")
}

fn day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

fn minute(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn and_more(n: u64) -> String {
    if n == 1 { "and 1 more ticket".into() } else { format!("and {n} more tickets") }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn ticket(key: &str, title: &str, state: &str) -> NoticeTicket {
        NoticeTicket {
            key: key.into(),
            title: title.into(),
            severity: "critical".into(),
            priority: Some("P1".into()),
            owner: Some("shop-team".into()),
            due_at: Some(at("2026-12-08T00:00:00Z")),
            state: state.into(),
            assignee: None,
        }
    }

    fn notice(kind: NoticeKind, time: &str, tickets: Vec<NoticeTicket>) -> Notice {
        Notice {
            kind,
            at: at(time),
            team: Some("shop-team".into()),
            summary: format!("{} {}", tickets.first().map_or("", |t| t.key.as_str()), kind.label()),
            total: tickets.len() as u64,
            tickets,
            actor: Some("alice".into()),
            note: None,
        }
    }

    fn single(notice: &Notice) -> Message<'_> {
        Message {
            channel: "shop",
            delivery: "notice-7".into(),
            notices: vec![notice],
            digest: false,
            link_base: None,
        }
    }

    #[test]
    fn slack_gets_text_and_mrkdwn_blocks_with_markup_escaped() {
        let mut breached = notice(
            NoticeKind::Breached,
            "2026-12-09T10:30:00Z",
            vec![ticket("SEC-42", "XSS via <script> & friends", "triaged")],
        );
        breached.summary =
            "SEC-42 breached its due date (critical, due 2026-12-08) <!channel>".into();
        let expected = json!({
            "text": "SEC-42 breached its due date (critical, due 2026-12-08) &lt;!channel&gt;",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text":
                    "*SEC-42 breached its due date (critical, due 2026-12-08) &lt;!channel&gt;*"}},
                {"type": "section", "text": {"type": "mrkdwn", "text":
                    "• *SEC-42* XSS via &lt;script&gt; &amp; friends \
                     (critical, P1, due 2026-12-08, owner shop-team, triaged)"}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text":
                    "fixgate · due date breached · team shop-team · 2026-12-09 10:30 UTC · by alice"}]}
            ]
        });
        assert_eq!(slack(&single(&breached)), expected);
    }

    #[test]
    fn slack_links_tickets_when_fixgate_has_a_public_address() {
        let opened =
            notice(NoticeKind::Assigned, "2026-12-01T09:00:00Z", vec![ticket("SEC-1", "t", "new")]);
        let mut message = single(&opened);
        message.link_base = Some("https://fixgate.example.com/");
        let text = slack(&message)["blocks"][1]["text"]["text"].as_str().unwrap().to_string();
        assert!(
            text.starts_with("• <https://fixgate.example.com/tickets/SEC-1|SEC-1> t"),
            "{text}"
        );
    }

    #[test]
    fn slack_sections_stay_under_slacks_limit_and_count_what_is_not_listed() {
        let tickets: Vec<NoticeTicket> = (1..=30)
            .map(|n| ticket(&format!("SEC-{n}"), &"long title ".repeat(20), "new"))
            .collect();
        let mut opened = notice(NoticeKind::TicketsOpened, "2026-12-01T09:00:00Z", tickets);
        opened.total = 75;
        let payload = slack(&single(&opened));
        let blocks = payload["blocks"].as_array().unwrap();
        let sections: Vec<&str> =
            blocks.iter().filter_map(|b| b["text"]["text"].as_str()).collect();
        assert!(sections.iter().all(|s| s.chars().count() <= SLACK_SECTION_CHARS));
        let all = sections.join("\n");
        assert_eq!(all.matches("• ").count(), CHAT_LISTED);
        assert!(all.contains("_and 10 more tickets_"), "{all}");
        assert!(all.contains("_and 45 more tickets_"), "{all}");
    }

    #[test]
    fn teams_gets_a_message_with_one_adaptive_card() {
        let reopened = notice(
            NoticeKind::Reopened,
            "2026-12-01T09:00:00Z",
            vec![ticket("SEC-9", "Secret \"AKIA…\" in config", "reopened")],
        );
        let mut message = single(&reopened);
        message.link_base = Some("https://fixgate.example.com");
        let expected = json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "msteams": {"width": "Full"},
                    "body": [
                        {"type": "TextBlock", "text": "SEC-9 reopened", "weight": "Bolder",
                         "size": "Medium", "wrap": true},
                        {"type": "TextBlock", "text":
                            "fixgate · reopened · team shop-team · 2026-12-01 09:00 UTC · by alice",
                         "isSubtle": true, "spacing": "None", "wrap": true},
                        {"type": "Container", "separator": true, "items": [
                            {"type": "TextBlock", "text": "SEC-9 · Secret \"AKIA…\" in config",
                             "weight": "Bolder", "wrap": true},
                            {"type": "FactSet", "facts": [
                                {"title": "Severity", "value": "critical"},
                                {"title": "Priority", "value": "P1"},
                                {"title": "Due", "value": "2026-12-08"},
                                {"title": "Owner", "value": "shop-team"},
                                {"title": "State", "value": "reopened"}
                            ]}
                        ]}
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": "Open SEC-9",
                                 "url": "https://fixgate.example.com/tickets/SEC-9"}]
                }
            }]
        });
        let payload = teams(&message);
        assert_eq!(payload, expected);
        let text = serde_json::to_string(&payload).unwrap();
        assert!(text.contains(r#"Secret \"AKIA…\" in config"#), "{text}");
    }

    #[test]
    fn a_digest_lists_each_ticket_once_as_it_last_stood() {
        let due = notice(
            NoticeKind::DueSoon,
            "2026-12-01T10:00:00Z",
            vec![ticket("SEC-1", "a", "triaged")],
        );
        let other =
            notice(NoticeKind::Assigned, "2026-12-01T11:00:00Z", vec![ticket("SEC-2", "b", "new")]);
        let late = notice(
            NoticeKind::Breached,
            "2026-12-01T12:00:00Z",
            vec![ticket("SEC-1", "a", "in_progress")],
        );
        let message = Message {
            channel: "shop",
            delivery: "digest-1-3".into(),
            notices: vec![&due, &other, &late],
            digest: true,
            link_base: None,
        };
        let entries = message.entries();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].ticket.state, "in_progress");
        assert_eq!(entries[0].events, [NoticeKind::DueSoon, NoticeKind::Breached]);
        assert_eq!(message.headline(), "fixgate digest: 3 notices about 2 tickets");

        let body = webhook(&message);
        assert_eq!(body["digest"], true);
        assert_eq!(body["notices"].as_array().unwrap().len(), 3);
        assert_eq!(body["tickets"][0]["key"], "SEC-1");
        assert_eq!(body["tickets"][0]["events"], json!(["due_soon", "breached"]));

        let mail = email(&message);
        assert_eq!(mail.subject, "[fixgate] fixgate digest: 3 notices about 2 tickets");
        assert_eq!(mail.text.matches("SEC-1 ").count(), 1, "{}", mail.text);
        assert!(
            mail.text.contains("- SEC-1 due soon, due date breached: a (critical"),
            "{}",
            mail.text
        );
    }

    #[test]
    fn an_email_escapes_html_and_keeps_its_subject_on_one_line() {
        let mut assigned = notice(
            NoticeKind::Assigned,
            "2026-12-01T09:00:00Z",
            vec![ticket("SEC-3", "<b>x</b>", "new")],
        );
        assigned.summary = "SEC-3 assigned\nto shop-team".into();
        let mail = email(&single(&assigned));
        assert_eq!(mail.subject, "[fixgate] SEC-3 assigned to shop-team");
        assert!(mail.html.contains("&lt;b&gt;x&lt;/b&gt;") && !mail.html.contains("<b>x"));
        assert!(mail.text.contains("- SEC-3 <b>x</b> (critical, P1"), "{}", mail.text);
    }

    #[test]
    fn a_webhook_body_carries_the_notice_as_it_is() {
        let assigned =
            notice(NoticeKind::Assigned, "2026-12-01T09:00:00Z", vec![ticket("SEC-3", "t", "new")]);
        let body = webhook(&single(&assigned));
        assert_eq!(body["delivery"], "notice-7");
        assert_eq!(body["digest"], false);
        assert!(body.get("tickets").is_none());
        assert_eq!(body["notices"][0], serde_json::to_value(&assigned).unwrap());
    }
}
