//! Risk acceptance: one person asks, with a justification and an expiry;
//! another approves or rejects. The approved decision is kept on the ticket
//! for the gate and the VEX export until it expires; then the ticket reopens
//! and its owner is told.

use fixgate_domain::TicketState;
use fixgate_domain::triage::GivenFields;
use fixgate_store::{RiskRequest, RiskVerdict};
use serde::Deserialize;

use crate::tickets::normalize_key;
use crate::workflow::{had_fields, refused};
use crate::{Fixgate, Principal, ServiceError};

/// The longest a risk may be accepted for before someone must look again.
pub const MAX_ACCEPTANCE_DAYS: i64 = 366;

/// A request to accept a ticket's risk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRisk {
    /// Why the risk is acceptable: the justification auditors read.
    pub reason: String,
    /// When the acceptance lapses and the ticket reopens: an RFC 3339 time
    /// or a date (00:00 UTC).
    pub expires_at: String,
}

/// An approval, a rejection or a withdrawal, with an optional note.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskDecision {
    pub note: Option<String>,
}

impl Fixgate {
    /// Records `by`'s request to accept the risk of ticket `key`.
    pub async fn request_acceptance(
        &self,
        key: &str,
        request: AcceptRisk,
        by: &Principal,
    ) -> Result<RiskRequest, ServiceError> {
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::Invalid(
                "reason: a risk acceptance needs a justification".into(),
            ));
        }
        let now = self.clock.now();
        let expires_at = crate::access::parse_expiry(&request.expires_at)
            .map_err(|err| ServiceError::Invalid(format!("expires_at: {err}")))?;
        if expires_at <= now {
            return Err(ServiceError::Invalid(format!(
                "expires_at: {expires_at} is not in the future; a risk acceptance must expire \
                 later than now"
            )));
        }
        let longest = now
            .checked_add(jiff::SignedDuration::from_hours(24 * MAX_ACCEPTANCE_DAYS))
            .unwrap_or(now);
        if expires_at > longest {
            return Err(ServiceError::Invalid(format!(
                "expires_at: {expires_at} is more than {MAX_ACCEPTANCE_DAYS} days away; accept a \
                 risk for at most a year, then decide again"
            )));
        }
        let key = normalize_key(key);
        let stored = self.store.request_acceptance(&key, reason, expires_at, &by.name, now).await?;
        Ok(stored)
    }

    /// Approves, rejects or withdraws the pending request on ticket `key`.
    /// Only the requester may withdraw; anyone but the requester may approve
    /// or reject (the caller has checked their role).
    pub async fn decide_acceptance(
        &self,
        key: &str,
        verdict: RiskVerdict,
        decision: RiskDecision,
        by: &Principal,
    ) -> Result<RiskRequest, ServiceError> {
        let key = normalize_key(key);
        let pending = self.store.pending_acceptance(&key).await?.ok_or_else(|| {
            ServiceError::Store(fixgate_store::StoreError::Conflict(format!(
                "ticket {key} has no pending risk acceptance request"
            )))
        })?;
        let own = pending.requested_by == by.name;
        match verdict {
            RiskVerdict::Withdraw if !own => {
                return Err(ServiceError::Forbidden(format!(
                    "only {} who asked may withdraw the request; approve or reject it instead",
                    pending.requested_by
                )));
            }
            RiskVerdict::Approve | RiskVerdict::Reject if own => {
                return Err(ServiceError::Forbidden(
                    "the approver of a risk acceptance must not be the person who asked for it"
                        .into(),
                ));
            }
            _ => {}
        }
        let note = decision.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if verdict == RiskVerdict::Reject && note.is_none() {
            return Err(ServiceError::Invalid(
                "note: say why the risk acceptance is rejected".into(),
            ));
        }
        let now = self.clock.now();
        if verdict == RiskVerdict::Approve && pending.expires_at <= now {
            return Err(ServiceError::Invalid(format!(
                "the request's expiry {} has passed; ask again with a later expiry",
                pending.expires_at
            )));
        }
        if verdict == RiskVerdict::Approve {
            self.check_acceptance_rule(&key, by).await?;
        }
        Ok(self.store.decide_acceptance(&key, verdict, note, &by.name, now).await?)
    }

    /// What the policy's workflow adds to accepting ticket `key`'s risk: who
    /// may approve it, and what the ticket must have (the request carries
    /// the reason and the expiry; the approver is `by`).
    async fn check_acceptance_rule(&self, key: &str, by: &Principal) -> Result<(), ServiceError> {
        let ticket = self.store.ticket_summary(key).await?;
        let policy = self.triage_policy().await?;
        let Some(workflow) = policy.workflow(ticket.ticket_type).filter(|w| w.is_built_in()) else {
            return Ok(());
        };
        let given =
            GivenFields { reason: true, approver: true, expires_at: true, ..had_fields(&ticket) };
        let to = TicketState::RiskAccepted.as_str();
        workflow.check_rule(ticket.state.as_str(), to, by.role, &given).map_err(refused)
    }

    /// The requests ever made on ticket `key`, oldest first.
    pub async fn acceptance_requests(&self, key: &str) -> Result<Vec<RiskRequest>, ServiceError> {
        let detail = self.ticket(key).await?;
        Ok(self.store.acceptance_requests(detail.ticket.id).await?)
    }

    /// Reopens tickets whose risk acceptance has expired; returns their keys.
    pub async fn expire_acceptances(&self) -> Result<Vec<fixgate_store::Lapsed>, ServiceError> {
        Ok(self.store.expire_acceptances(self.clock.now()).await?)
    }
}
