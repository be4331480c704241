//! Working on tickets together: assigning a ticket to a person, watching it,
//! labelling it, linking it to other tickets, and changing many tickets at
//! once (a bulk change) through the same checks as one.
//!
//! Each use case takes the visibility of whoever asks: a ticket of an
//! application they cannot see is not found, in the same words as a key
//! that does not exist. What their role allows is the caller's to check
//! (the HTTP layer does, as for every other change), except a bulk move,
//! which each ticket's workflow checks against the mover's role, as a
//! single move is.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use fixgate_domain::collab::MAX_LABELS_PER_TICKET;
use fixgate_domain::triage::TriagePolicy;
use fixgate_domain::{Action, Label, LinkKind, Role};
use fixgate_store::{
    LabelsChanged, StoreError, TicketChange, TicketFilter, TicketRow, UserRow, Visibility,
};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

use crate::access::require_role;
use crate::tickets::{non_empty, normalize_key};
use crate::workflow::{built_in_state, is_custom_state, needs_decision};
use crate::{Fixgate, MoveTicket, Principal, ServiceError};

/// The most tickets one bulk change considers.
pub const BULK_LIMIT: usize = 10_000;

/// A change to many tickets at once. Every part given applies to each
/// ticket; a ticket whose move the workflow refuses is left unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    /// A move along the workflow, with what the target state needs: a
    /// built-in state, or a state of the policy's custom workflows (tickets
    /// of other types are skipped).
    pub state: Option<String>,
    pub reason: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub approver: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub duplicate_of: Option<String>,
    /// A person's name, or `null` to unassign; left out, unchanged.
    #[serde(default, deserialize_with = "given")]
    pub assignee: Option<Option<String>>,
    #[serde(default)]
    pub add_labels: Vec<String>,
    #[serde(default)]
    pub remove_labels: Vec<String>,
    pub comment: Option<String>,
}

/// What a bulk change did, or with `dry_run` would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    /// The tickets the filter matches among those the caller sees.
    pub matched: u64,
    /// The tickets changed (with `dry_run`: that would change).
    pub changed: u64,
    /// The tickets left as they were, and why.
    pub skipped: Vec<Skipped>,
    /// More than `limit` tickets matched: only the first `limit`, in the
    /// list's order, were considered, and the rest were neither changed nor
    /// skipped. Run the change again for them.
    pub capped: bool,
    pub limit: usize,
    pub dry_run: bool,
}

/// A ticket a bulk change left as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub key: String,
    pub reason: String,
}

/// A bulk change with every ticket-independent part checked.
struct Checked {
    movement: Option<MoveTicket>,
    /// The policy in force, whose workflows check each ticket's move.
    policy: TriagePolicy,
    /// Who changes the tickets.
    role: Role,
    /// `Some(None)` unassigns.
    assignee: Option<Option<Person>>,
    labels: LabelsChanged,
    comment: Option<String>,
}

/// A person who may be given tickets, with their role.
#[derive(Clone)]
struct Person {
    user: UserRow,
    role: Role,
}

impl Fixgate {
    /// Assigns ticket `key` to the person `assignee`, or to nobody. The
    /// person must be able to work on it: a person, not a service account,
    /// not disabled, whose role works on tickets and who sees the ticket.
    /// Returns whether the assignee changed.
    pub async fn assign(
        &self,
        key: &str,
        assignee: Option<&str>,
        visibility: &Visibility,
        actor: &str,
    ) -> Result<bool, ServiceError> {
        let ticket = self.visible_ticket_row(key, visibility).await?;
        let assignee = match assignee {
            Some(name) => {
                let person = self.person(name).await?;
                self.can_be_assigned(&person)?;
                if !self.person_sees(&person, &ticket).await? {
                    return Err(cannot_see(&person, &ticket));
                }
                Some(person.user.name)
            }
            None => None,
        };
        let now = self.clock.now();
        Ok(self.store.set_assignee(&ticket.key, assignee.as_deref(), actor, now).await?)
    }

    /// Adds the person `name` to the ticket's watchers; they must see the
    /// ticket. Returns false when they watched it already.
    pub async fn watch(
        &self,
        key: &str,
        name: &str,
        visibility: &Visibility,
        actor: &str,
    ) -> Result<bool, ServiceError> {
        let ticket = self.visible_ticket_row(key, visibility).await?;
        let person = self.person(name).await?;
        if !self.person_sees(&person, &ticket).await? {
            return Err(cannot_see(&person, &ticket));
        }
        let user = (person.user.id, person.user.name.as_str());
        Ok(self.store.add_watcher(&ticket.key, user, actor, self.clock.now()).await?)
    }

    /// Takes `name` off the ticket's watchers. Returns false when they did
    /// not watch it.
    pub async fn unwatch(
        &self,
        key: &str,
        name: &str,
        visibility: &Visibility,
        actor: &str,
    ) -> Result<bool, ServiceError> {
        let ticket = self.visible_ticket_row(key, visibility).await?;
        // Anyone can be taken off, disabled or not.
        let user = self.store.user(name.trim()).await?.ok_or_else(|| no_user(name))?;
        let user = (user.id, user.name.as_str());
        Ok(self.store.remove_watcher(&ticket.key, user, actor, self.clock.now()).await?)
    }

    /// Adds and removes labels; returns those that changed.
    pub async fn change_labels(
        &self,
        key: &str,
        add: &[String],
        remove: &[String],
        visibility: &Visibility,
        actor: &str,
    ) -> Result<LabelsChanged, ServiceError> {
        let ticket = self.visible_ticket_row(key, visibility).await?;
        let labels = parse_labels(add, remove)?;
        if labels.is_empty() {
            return Err(ServiceError::Invalid("give labels to add or to remove".into()));
        }
        let changed = labels_to_change(&ticket, &labels).map_err(ServiceError::Invalid)?;
        Ok(self.store.change_labels(&ticket.key, &changed, actor, self.clock.now()).await?)
    }

    /// Links ticket `key` to `target` (`key` blocks `target`, ...). Both must
    /// be tickets the caller sees.
    pub async fn link(
        &self,
        key: &str,
        kind: LinkKind,
        target: &str,
        visibility: &Visibility,
        actor: &str,
    ) -> Result<(), ServiceError> {
        let (ticket, other) = self.link_ends(key, target, visibility).await?;
        let now = self.clock.now();
        Ok(self.store.add_link(&ticket.key, kind, &other.key, actor, now).await?)
    }

    /// Removes a link, named from either side; returns false when there was
    /// none.
    pub async fn unlink(
        &self,
        key: &str,
        kind: LinkKind,
        target: &str,
        visibility: &Visibility,
        actor: &str,
    ) -> Result<bool, ServiceError> {
        let (ticket, other) = self.link_ends(key, target, visibility).await?;
        let now = self.clock.now();
        Ok(self.store.remove_link(&ticket.key, kind, &other.key, actor, now).await?)
    }

    /// Applies `change` to every ticket `filter` matches (at most
    /// [`BULK_LIMIT`]), each through the checks one change of its kind goes
    /// through (a move through its type's workflow, for `by`'s role), with
    /// one event per ticket for each part that changed it. With `dry_run`,
    /// checks everything and changes nothing.
    pub async fn bulk_change(
        &self,
        filter: &TicketFilter,
        change: &BulkChange,
        dry_run: bool,
        by: &Principal,
    ) -> Result<BulkOutcome, ServiceError> {
        let actor = &by.actor();
        let checked = self.check_bulk(change, &filter.visibility, by.role).await?;
        let (matched, tickets) = self.store.matching_tickets(filter, BULK_LIMIT).await?;

        let mut planned = Vec::new();
        let mut skipped = Vec::new();
        let mut sight = HashMap::new();
        for ticket in &tickets {
            match self.plan(ticket, &checked, &mut sight).await? {
                Ok(change) => planned.push(change),
                Err(reason) => skipped.push(Skipped { key: ticket.key.clone(), reason }),
            }
        }
        if !dry_run {
            let refused = self.store.apply_changes(&planned, actor, self.clock.now()).await?;
            planned.retain(|c| !refused.iter().any(|(key, _)| *key == c.key));
            skipped.extend(refused.into_iter().map(|(key, reason)| Skipped { key, reason }));
        }

        Ok(BulkOutcome {
            matched,
            changed: planned.len() as u64,
            skipped,
            capped: matched > tickets.len() as u64,
            limit: BULK_LIMIT,
            dry_run,
        })
    }

    /// The ticket `key`, unless the caller cannot see it.
    async fn visible_ticket_row(
        &self,
        key: &str,
        visibility: &Visibility,
    ) -> Result<TicketRow, ServiceError> {
        let key = normalize_key(key);
        let ticket = self.store.ticket_summary(&key).await?;
        if !self.store.sees(visibility, ticket.application.as_deref()).await? {
            return Err(ServiceError::Store(StoreError::NotFound(format!("ticket {key}"))));
        }
        Ok(ticket)
    }

    async fn link_ends(
        &self,
        key: &str,
        target: &str,
        visibility: &Visibility,
    ) -> Result<(TicketRow, TicketRow), ServiceError> {
        let ticket = self.visible_ticket_row(key, visibility).await?;
        let other = self.visible_ticket_row(target, visibility).await?;
        if ticket.key == other.key {
            return Err(ServiceError::Invalid(format!(
                "{} cannot be linked to itself",
                ticket.key
            )));
        }
        Ok((ticket, other))
    }

    /// The person `name`: not a service account, not disabled.
    async fn person(&self, name: &str) -> Result<Person, ServiceError> {
        let user = self.store.user(name.trim()).await?.ok_or_else(|| no_user(name))?;
        if user.kind != "person" {
            return Err(ServiceError::Invalid(format!(
                "{:?} is a service account: only people are given or follow tickets",
                user.name
            )));
        }
        if user.disabled {
            return Err(ServiceError::Invalid(format!("{:?} is disabled", user.name)));
        }
        let role = Role::from_str(&user.role)
            .map_err(|err| ServiceError::Invalid(format!("stored role is not valid: {err}")))?;
        Ok(Person { user, role })
    }

    fn can_be_assigned(&self, person: &Person) -> Result<(), ServiceError> {
        if person.role.allows(Action::Work) {
            return Ok(());
        }
        Err(ServiceError::Invalid(format!(
            "{:?} holds the {} role, which does not work on tickets",
            person.user.name, person.role
        )))
    }

    async fn person_sees(&self, person: &Person, ticket: &TicketRow) -> Result<bool, ServiceError> {
        let visibility = Visibility {
            member: (!person.role.spans_all()).then_some(person.user.id),
            application: None,
        };
        Ok(self.store.sees(&visibility, ticket.application.as_deref()).await?)
    }

    /// Checks the parts of a bulk change that are the same for every ticket.
    async fn check_bulk(
        &self,
        change: &BulkChange,
        visibility: &Visibility,
        role: Role,
    ) -> Result<Checked, ServiceError> {
        let policy = self.triage_policy().await?;
        let movement = self.bulk_move(change, visibility).await?;
        if let Some(movement) = &movement {
            check_bulk_target(&policy, &movement.state, role)?;
        }
        let assignee = match &change.assignee {
            None => None,
            Some(None) => Some(None),
            Some(Some(name)) => {
                let person = self.person(name).await?;
                self.can_be_assigned(&person)?;
                Some(Some(person))
            }
        };
        let comment = match &change.comment {
            Some(text) => Some(
                non_empty(Some(text.clone()))
                    .ok_or_else(|| ServiceError::Invalid("comment: a comment needs text".into()))?,
            ),
            None => None,
        };
        let checked = Checked {
            movement,
            policy,
            role,
            assignee,
            labels: parse_labels(&change.add_labels, &change.remove_labels)?,
            comment,
        };
        if checked.movement.is_none()
            && checked.assignee.is_none()
            && checked.labels.is_empty()
            && checked.comment.is_none()
        {
            return Err(ServiceError::Invalid(
                "the change changes nothing: give state, assignee, add_labels, remove_labels \
                 or comment"
                    .into(),
            ));
        }
        Ok(checked)
    }

    /// The move of a bulk change, if it has one; the ticket it names as the
    /// one kept (`duplicate_of`) must be one the caller sees.
    async fn bulk_move(
        &self,
        change: &BulkChange,
        visibility: &Visibility,
    ) -> Result<Option<MoveTicket>, ServiceError> {
        let Some(state) = change.state.clone() else {
            let details = [&change.reason, &change.owner, &change.approver, &change.duplicate_of];
            if details.iter().any(|d| d.is_some())
                || change.due_at.is_some()
                || change.expires_at.is_some()
            {
                return Err(ServiceError::Invalid(
                    "reason, owner, due_at, approver, expires_at and duplicate_of belong to a \
                     move: give state too"
                        .into(),
                ));
            }
            return Ok(None);
        };
        if let Some(kept) = non_empty(change.duplicate_of.clone()) {
            self.visible_ticket_row(&kept, visibility).await.map_err(|err| match err {
                ServiceError::Store(StoreError::NotFound(_)) => ServiceError::Invalid(format!(
                    "duplicate_of: there is no ticket {}",
                    normalize_key(&kept)
                )),
                other => other,
            })?;
        }
        Ok(Some(MoveTicket {
            state,
            reason: change.reason.clone(),
            owner: change.owner.clone(),
            due_at: change.due_at,
            approver: change.approver.clone(),
            expires_at: change.expires_at,
            duplicate_of: change.duplicate_of.clone(),
        }))
    }

    /// One ticket's part of a bulk change, or why it is skipped. `sight`
    /// remembers, by application, whether the new assignee sees it.
    async fn plan(
        &self,
        ticket: &TicketRow,
        checked: &Checked,
        sight: &mut HashMap<Option<String>, bool>,
    ) -> Result<Result<TicketChange, String>, ServiceError> {
        let state = match &checked.movement {
            Some(movement) => {
                match self.checked_move(&checked.policy, ticket, movement.clone(), checked.role) {
                    Ok(change) => Some(change),
                    Err(err) => return Ok(Err(err.to_string())),
                }
            }
            None => None,
        };
        let assignee = match &checked.assignee {
            Some(Some(person)) if ticket.assignee.as_ref() != Some(&person.user.name) => {
                let sees = match sight.get(&ticket.application) {
                    Some(sees) => *sees,
                    None => {
                        let sees = self.person_sees(person, ticket).await?;
                        sight.insert(ticket.application.clone(), sees);
                        sees
                    }
                };
                if !sees {
                    return Ok(Err(cannot_see(person, ticket).to_string()));
                }
                Some(Some(person.user.name.clone()))
            }
            Some(None) if ticket.assignee.is_some() => Some(None),
            _ => None,
        };
        let labels = match labels_to_change(ticket, &checked.labels) {
            Ok(labels) => labels,
            Err(reason) => return Ok(Err(reason)),
        };
        if state.is_none() && assignee.is_none() && labels.is_empty() && checked.comment.is_none() {
            return Ok(Err("nothing to change: the ticket is already as asked".into()));
        }
        Ok(Ok(TicketChange {
            key: ticket.key.clone(),
            state,
            assignee,
            labels,
            comment: checked.comment.clone(),
        }))
    }
}

/// Refuses a bulk move no ticket could take: to a state that is neither
/// built in nor one of the policy's custom states, or a decision the role
/// may not take (unless a custom workflow has a state of that name, whose
/// own roles then decide, ticket by ticket).
fn check_bulk_target(policy: &TriagePolicy, name: &str, role: Role) -> Result<(), ServiceError> {
    if is_custom_state(policy, name) {
        return Ok(());
    }
    let state = built_in_state(name)?;
    if needs_decision(state) {
        require_role(role, Action::Decide)?;
    }
    Ok(())
}

/// Reads `"assignee": null` as `Some(None)`, so that it differs from a
/// missing field.
fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The labels to add and to remove, each checked, without repeats.
fn parse_labels(add: &[String], remove: &[String]) -> Result<LabelsChanged, ServiceError> {
    let parse = |texts: &[String]| -> Result<BTreeSet<String>, ServiceError> {
        texts
            .iter()
            .map(|text| {
                Label::parse(text)
                    .map(Label::into_string)
                    .map_err(|err| ServiceError::Invalid(err.to_string()))
            })
            .collect()
    };
    let added = parse(add)?;
    let removed = parse(remove)?;
    if let Some(both) = added.intersection(&removed).next() {
        return Err(ServiceError::Invalid(format!("label {both:?} is both added and removed")));
    }
    Ok(LabelsChanged { added: added.into_iter().collect(), removed: removed.into_iter().collect() })
}

/// What `labels` changes on `ticket`, or why it cannot: too many labels.
fn labels_to_change(ticket: &TicketRow, labels: &LabelsChanged) -> Result<LabelsChanged, String> {
    let has = |label: &String| ticket.labels.contains(label);
    let changed = LabelsChanged {
        added: labels.added.iter().filter(|l| !has(l)).cloned().collect(),
        removed: labels.removed.iter().filter(|l| has(l)).cloned().collect(),
    };
    let count = ticket.labels.len() + changed.added.len() - changed.removed.len();
    if count > MAX_LABELS_PER_TICKET {
        return Err(format!(
            "{} would have {count} labels; a ticket has at most {MAX_LABELS_PER_TICKET}",
            ticket.key
        ));
    }
    Ok(changed)
}

fn no_user(name: &str) -> ServiceError {
    ServiceError::Invalid(format!("there is no user named {:?}", name.trim()))
}

fn cannot_see(person: &Person, ticket: &TicketRow) -> ServiceError {
    ServiceError::Invalid(format!("{:?} cannot see {}", person.user.name, ticket.key))
}
