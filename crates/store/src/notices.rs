//! The notices that changes to tickets queue, beyond the SLA sweep's: the
//! tickets a scan opened for a team, a ticket given to a team or a person,
//! a risk acceptance asked for and decided. Each notice shows its tickets
//! as they stand in the transaction of the change, and is queued in it, so
//! the change and its notice commit together or not at all.
//!
//! Notices about many tickets go one per team: a team's channel lists its
//! own tickets, at most [`MAX_LISTED`] of them, most severe first, and
//! counts the rest.

use std::collections::{BTreeMap, HashMap};

use fixgate_domain::Severity;
use fixgate_domain::notice::{MAX_LISTED, Notice, NoticeKind, NoticeTicket};
use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use crate::batch::placeholders;
use crate::notify::{channels_in, enqueue_to};
use crate::rows::from_millis;
use crate::{Backend, Channel, RiskRequest, StoreError};

/// A ticket as a notice lists it, with what orders a list: its severity's
/// rank and its id.
pub(crate) struct Listed {
    pub id: i64,
    pub rank: i64,
    pub ticket: NoticeTicket,
}

/// The tickets `ids` as notices show them, by id; ids of no ticket are
/// left out.
pub(crate) async fn notice_tickets(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> Result<HashMap<i64, Listed>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(backend.max_params()) {
        let sql = format!(
            "SELECT id, ticket_key, title, severity, priority, owner, due_at, state, assignee \
             FROM tickets WHERE id IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let rank: i64 = row.try_get(3)?;
            let ticket = NoticeTicket {
                key: row.try_get(1)?,
                title: row.try_get(2)?,
                severity: Severity::from_rank(rank)
                    .map_or_else(|| "unknown".into(), |s| s.as_str().to_string()),
                priority: row.try_get(4)?,
                owner: row.try_get(5)?,
                due_at: row.try_get::<Option<i64>, _>(6)?.map(from_millis),
                state: row.try_get(7)?,
                assignee: row.try_get(8)?,
            };
            let id = row.try_get(0)?;
            out.insert(id, Listed { id, rank, ticket });
        }
    }
    Ok(out)
}

/// The ticket `id` as a notice shows it.
async fn one_ticket(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
) -> Result<NoticeTicket, StoreError> {
    notice_tickets(conn, backend, &[id])
        .await?
        .remove(&id)
        .map(|listed| listed.ticket)
        .ok_or_else(|| StoreError::NotFound(format!("ticket {id}")))
}

/// The tickets to list, most severe first, then oldest first, at most
/// [`MAX_LISTED`]; and how many there are in all.
pub(crate) fn listing(mut tickets: Vec<Listed>) -> (Vec<NoticeTicket>, u64) {
    let total = tickets.len() as u64;
    tickets.sort_by(|a, b| b.rank.cmp(&a.rank).then(a.id.cmp(&b.id)));
    tickets.truncate(MAX_LISTED);
    (tickets.into_iter().map(|listed| listed.ticket).collect(), total)
}

/// The tickets of one team a notice lists, and how many it has in all.
pub(crate) struct TeamList {
    pub team: Option<String>,
    pub total: u64,
    /// At most [`MAX_LISTED`], most severe first, then oldest first.
    pub tickets: Vec<NoticeTicket>,
}

/// The tickets `ids` by the team that owns them now, each team's as its
/// notice lists them. Only the listed tickets are read whole: a scan that
/// opened 100,000 tickets reads three columns of each, then 50 per team.
pub(crate) async fn by_owner(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> Result<Vec<TeamList>, StoreError> {
    let mut teams: BTreeMap<Option<String>, Vec<(i64, i64)>> = BTreeMap::new();
    for chunk in ids.chunks(backend.max_params()) {
        let sql = format!(
            "SELECT id, owner, severity FROM tickets WHERE id IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let rank: i64 = row.try_get(2)?;
            teams.entry(row.try_get(1)?).or_default().push((-rank, row.try_get(0)?));
        }
    }
    let mut listed = Vec::new();
    let mut lists = Vec::with_capacity(teams.len());
    for (team, mut tickets) in teams {
        let total = tickets.len() as u64;
        tickets.sort_unstable();
        tickets.truncate(MAX_LISTED);
        listed.extend(tickets.iter().map(|(_, id)| *id));
        lists.push((team, total, tickets));
    }
    let mut read = notice_tickets(conn, backend, &listed).await?;
    Ok(lists
        .into_iter()
        .map(|(team, total, tickets)| TeamList {
            team,
            total,
            tickets: tickets
                .iter()
                .filter_map(|(_, id)| read.remove(id))
                .map(|l| l.ticket)
                .collect(),
        })
        .collect())
}

/// The channels in use, when one of them wants notices of `kind`: when
/// none does, a change need not read its tickets back to tell nobody.
pub(crate) async fn channels_wanting(
    conn: &mut AnyConnection,
    kind: NoticeKind,
) -> Result<Option<Vec<Channel>>, StoreError> {
    let channels = channels_in(conn).await?;
    Ok(channels.iter().any(|channel| channel.wants_kind(kind)).then_some(channels))
}

/// "payments", or "no team".
fn team_words(team: Option<&str>) -> String {
    team.map_or_else(|| "no team".to_string(), |team| format!("team {team}"))
}

/// Queues one TicketsOpened notice per owning team for the tickets a scan
/// opened, `(id, key)`, on the import's connection.
pub(crate) async fn tickets_opened(
    conn: &mut AnyConnection,
    backend: Backend,
    opened: &[(i64, String)],
    uploader: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    if opened.is_empty() {
        return Ok(0);
    }
    let Some(channels) = channels_wanting(conn, NoticeKind::TicketsOpened).await? else {
        return Ok(0);
    };
    let ids: Vec<i64> = opened.iter().map(|(id, _)| *id).collect();
    let notices: Vec<Notice> = by_owner(conn, backend, &ids)
        .await?
        .into_iter()
        .map(|TeamList { team, total, tickets }| {
            let summary = match tickets.as_slice() {
                [one] => format!(
                    "{} opened for {}: {} ({})",
                    one.key,
                    team_words(team.as_deref()),
                    one.title,
                    one.severity
                ),
                _ => format!("{total} tickets opened for {}", team_words(team.as_deref())),
            };
            Notice {
                kind: NoticeKind::TicketsOpened,
                at: now,
                team,
                summary,
                tickets,
                total,
                actor: Some(uploader.to_string()),
                note: None,
            }
        })
        .collect();
    enqueue_to(conn, &channels, &notices, now).await
}

/// Who a ticket was given to by hand.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Given {
    /// The person working on it, its assignee.
    Person(String),
    /// The team that owns it.
    Team(String),
}

/// Queues the Assigned notices for tickets people gave to a person or a
/// team, `(ticket id, given)`: one per team and receiver, to the team that
/// owns the tickets now, naming who they went to and (as the actor) who
/// gave them.
pub(crate) async fn assigned(
    conn: &mut AnyConnection,
    backend: Backend,
    given: &[(i64, Given)],
    actor: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    if given.is_empty() {
        return Ok(0);
    }
    let Some(channels) = channels_wanting(conn, NoticeKind::Assigned).await? else {
        return Ok(0);
    };
    let ids: Vec<i64> = given.iter().map(|(id, _)| *id).collect();
    let mut tickets = notice_tickets(conn, backend, &ids).await?;
    let mut groups: BTreeMap<(Option<String>, Given), Vec<Listed>> = BTreeMap::new();
    for (id, to) in given {
        // A ticket given twice in one change is listed under the last.
        let Some(listed) = tickets.remove(id) else { continue };
        let team = match to {
            Given::Team(team) => Some(team.clone()),
            Given::Person(_) => listed.ticket.owner.clone(),
        };
        groups.entry((team, to.clone())).or_default().push(listed);
    }
    let notices: Vec<Notice> = groups
        .into_iter()
        .map(|((team, to), tickets)| {
            let (tickets, total) = listing(tickets);
            let receiver = match &to {
                Given::Person(name) => format!("assigned to {name}"),
                Given::Team(team) => format!("given to team {team}"),
            };
            let summary = match tickets.as_slice() {
                [one] => format!("{} {receiver} by {actor}: {}", one.key, one.title),
                _ => format!("{total} tickets {receiver} by {actor}"),
            };
            Notice {
                kind: NoticeKind::Assigned,
                at: now,
                team,
                summary,
                tickets,
                total,
                actor: Some(actor.to_string()),
                note: None,
            }
        })
        .collect();
    enqueue_to(conn, &channels, &notices, now).await
}

/// The longest note a summary quotes, in characters; the notice's `note`
/// keeps all of it.
const QUOTED_CHARS: usize = 200;

fn quoted(note: &str) -> String {
    let mut chars = note.chars();
    let head: String = chars.by_ref().take(QUOTED_CHARS).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

/// Queues the AcceptanceRequested notice of `request` on ticket `id`, to
/// the team that owns the ticket; security's channels take it by kind.
pub(crate) async fn acceptance_requested(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
    request: &RiskRequest,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let Some(channels) = channels_wanting(conn, NoticeKind::AcceptanceRequested).await? else {
        return Ok(0);
    };
    let ticket = one_ticket(conn, backend, id).await?;
    let summary = format!(
        "{}: {} asks to accept the risk until {}: {}",
        ticket.key,
        request.requested_by,
        request.expires_at.strftime("%Y-%m-%d"),
        quoted(&request.reason)
    );
    let notice = Notice {
        at: now,
        note: Some(request.reason.clone()),
        ..single(NoticeKind::AcceptanceRequested, ticket, summary, &request.requested_by)
    };
    enqueue_to(conn, &channels, &[notice], now).await
}

/// Queues the AcceptanceDecided notice of a settled `request` on ticket
/// `id` (approved or rejected), to the team that owns the ticket, with the
/// decider's note.
pub(crate) async fn acceptance_decided(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
    settled: &RiskRequest,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let Some(channels) = channels_wanting(conn, NoticeKind::AcceptanceDecided).await? else {
        return Ok(0);
    };
    let ticket = one_ticket(conn, backend, id).await?;
    let decider = settled.decided_by.as_deref().unwrap_or("someone");
    let mut summary = format!(
        "{}: {decider} {} the risk acceptance {} asked for (until {})",
        ticket.key,
        settled.outcome,
        settled.requested_by,
        settled.expires_at.strftime("%Y-%m-%d"),
    );
    if let Some(note) = &settled.note {
        summary.push_str(&format!(": {}", quoted(note)));
    }
    let notice = Notice {
        at: now,
        note: settled.note.clone(),
        ..single(NoticeKind::AcceptanceDecided, ticket, summary, decider)
    };
    enqueue_to(conn, &channels, &[notice], now).await
}

/// A notice about one ticket, to the team that owns it.
fn single(kind: NoticeKind, ticket: NoticeTicket, summary: String, actor: &str) -> Notice {
    Notice {
        kind,
        at: Timestamp::UNIX_EPOCH,
        team: ticket.owner.clone(),
        summary,
        tickets: vec![ticket],
        total: 1,
        actor: Some(actor.to_string()),
        note: None,
    }
}
