//! Outbound notifications: the channels people are told through, queuing
//! notices for them, and delivery rounds that send what is due.
//!
//! A notice is queued once per channel that wants it (the store's outbox)
//! and sent by a delivery round: [`Fixgate::deliver_notifications`], which
//! `fixgate serve` runs every 15 s and `fixgate notify deliver` runs once.
//! A round claims due rows with a lease, so rounds on several replicas
//! never send the same row; a failed send is tried again after 30 s, 1 min,
//! 2 min and so on up to an hour between attempts, and given up once the
//! waits pass 24 hours, keeping its last error. A digest channel's notices
//! wait for its digest hour and go out as one message.
//!
//! Delivery is at least once: a sender that dies between sending and
//! recording leaves its rows to be sent again when the lease runs out, so
//! receivers of fixgate's webhooks drop repeats by `X-Fixgate-Delivery`.

mod render;
mod send;

pub use send::SmtpSettings;

use fixgate_domain::channel::{self, ChannelKind, Digest};
use fixgate_domain::hook::{self, DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use fixgate_domain::{Notice, NoticeKind};
use fixgate_store::{Attempt, Channel, Claim, Claimed, Lease, NewChannel, QueueEntry, QueueFilter};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::{Fixgate, ServiceError};
use render::Message;

/// How a server reaches people beyond the HTTP webhooks' own URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifySettings {
    /// The SMTP server email channels send through.
    pub smtp: Option<SmtpSettings>,
    /// fixgate's address as people open it (`https://fixgate.example.com`),
    /// for links to tickets in messages; no links without it.
    pub public_url: Option<String>,
}

/// How long a round holds the rows it claims: more than a batch of sends
/// at their timeout takes.
const LEASE: SignedDuration = SignedDuration::from_secs(5 * 60);

/// Rows of a channel without a digest claimed at a time.
const BATCH: u32 = 20;

/// The most rows one digest message gathers; more go in the next one.
const DIGEST_ROWS: u32 = 1000;

/// Rows one round handles at most, so a round ends even when notices keep
/// arriving; the next round takes the rest.
const ROUND_ROWS: u64 = 500;

/// Channels looked at per pass of a round.
const CHANNELS_PER_PASS: u32 = 100;

/// How long delivered and given-up notices stay in the queue.
const KEEP_FINISHED: SignedDuration = SignedDuration::from_secs(30 * 24 * 3600);

/// The longest channel name.
const MAX_NAME_LEN: usize = 64;

/// A channel to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddChannel {
    /// Letters, digits, `.`, `_` or `-`.
    pub name: String,
    pub kind: ChannelKind,
    /// An `http(s)://` URL, or email addresses separated by commas.
    pub target: String,
    /// Only this team's notices.
    pub team: Option<String>,
    /// Only notices of these kinds; every kind when empty.
    pub kinds: Vec<NoticeKind>,
    pub digest: Digest,
}

/// A channel just created.
#[derive(Debug, Clone, Serialize)]
pub struct AddedChannel {
    pub channel: Channel,
    /// A webhook channel's signing key, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryRound {
    /// Messages receivers took (a digest is one message).
    pub messages: u64,
    /// Queued notices delivered.
    pub delivered: u64,
    /// Queued notices that failed and wait for another attempt.
    pub retrying: u64,
    /// Queued notices given up.
    pub gave_up: u64,
}

impl DeliveryRound {
    fn rows(&self) -> u64 {
        self.delivered + self.retrying + self.gave_up
    }
}

/// What a test of a channel found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestOutcome {
    pub channel: String,
    pub delivered: bool,
    /// Why the receiver did not take it.
    pub error: Option<String>,
}

impl Fixgate {
    /// Settings for sending email and linking to tickets.
    pub fn with_notify(mut self, settings: NotifySettings) -> Fixgate {
        self.notify = std::sync::Arc::new(settings);
        self
    }

    /// Creates a channel; a webhook channel gets a secret, returned this
    /// once, that its deliveries are signed with.
    pub async fn add_channel(
        &self,
        request: AddChannel,
        actor: &str,
    ) -> Result<AddedChannel, ServiceError> {
        check_name(&request.name)?;
        check_target(request.kind, &request.target)?;
        let team = request.team.as_deref().map(str::trim);
        if team.is_some_and(str::is_empty) {
            return Err(ServiceError::Invalid("a channel's team cannot be empty".into()));
        }
        if request.kinds.contains(&NoticeKind::Test) {
            return Err(ServiceError::Invalid(
                "test notices go to the channel a test names; leave `test` out of the events"
                    .into(),
            ));
        }
        let secret = match request.kind {
            ChannelKind::Webhook => Some(crate::hooks::random_secret()?),
            _ => None,
        };

        let channel = NewChannel {
            name: &request.name,
            kind: request.kind,
            target: request.target.trim(),
            secret: secret.as_deref(),
            team,
            kinds: &request.kinds,
            digest: &request.digest,
            actor,
        };
        let channel = self.store.create_channel(&channel, self.clock.now()).await?;
        tracing::info!(
            target: "fixgate::security",
            channel = channel.name,
            kind = %channel.kind,
            actor,
            "notification channel created"
        );
        Ok(AddedChannel { channel, secret })
    }

    /// The channels in use, by name.
    pub async fn channels(&self) -> Result<Vec<Channel>, ServiceError> {
        Ok(self.store.channels(false).await?)
    }

    /// Removes the channel `name`; the notices still queued for it are
    /// given up. Returns how many were.
    pub async fn remove_channel(&self, name: &str, actor: &str) -> Result<u64, ServiceError> {
        let dropped = self.store.disable_channel(name, self.clock.now()).await?;
        tracing::info!(
            target: "fixgate::security",
            channel = name,
            actor,
            dropped,
            "notification channel removed"
        );
        Ok(dropped)
    }

    /// Queues notices for every channel that wants them; returns how many
    /// messages that makes (one per notice and channel). To queue notices
    /// with a change, in its transaction, the store's own code uses its
    /// `enqueue_in`.
    pub async fn notify(&self, notices: &[Notice]) -> Result<u64, ServiceError> {
        Ok(self.store.enqueue_notices(notices, self.clock.now()).await?)
    }

    /// The queue, newest first.
    pub async fn notification_queue(
        &self,
        filter: &QueueFilter,
    ) -> Result<Vec<QueueEntry>, ServiceError> {
        Ok(self.store.notification_queue(filter).await?)
    }

    /// Sends a test notice to the channel `name` now, whatever its filters
    /// and digest, and says whether the receiver took it. A test is tried
    /// once: a failure is given up at once, its error kept in the queue.
    pub async fn test_channel(&self, name: &str, actor: &str) -> Result<TestOutcome, ServiceError> {
        let channel = self.store.active_channel(name).await?;
        let now = self.clock.now();
        let notice = Notice {
            kind: NoticeKind::Test,
            at: now,
            team: channel.team.clone(),
            summary: format!("Test notice from fixgate for the channel {name}"),
            tickets: Vec::new(),
            total: 0,
            actor: Some(actor.to_string()),
            note: None,
        };
        let id = self.store.enqueue_for(channel.id, &notice, now).await?;

        let token = lease_token()?;
        let lease = Lease { token: &token, now, until: later(now, LEASE) };
        let rows = self.store.claim_notices(Claim::Row(id), &lease).await?;
        let result = self.send(&channel, &self.message(&channel, &rows, false)).await;
        let mut round = DeliveryRound::default();
        self.record(&channel, &rows, &token, &result, false, &mut round).await?;
        Ok(TestOutcome { channel: channel.name, delivered: result.is_ok(), error: result.err() })
    }

    /// One delivery round: claims the notices due now, sends them, and
    /// records what became of each. Rows queued for a digest channel go out
    /// together as one message. Finished notices older than 30 days are
    /// deleted at the end.
    pub async fn deliver_notifications(&self) -> Result<DeliveryRound, ServiceError> {
        let token = lease_token()?;
        let mut round = DeliveryRound::default();
        while round.rows() < ROUND_ROWS {
            let now = self.clock.now();
            let mut claimed_any = false;
            for id in self.store.due_channels(now, CHANNELS_PER_PASS).await? {
                claimed_any |= self.deliver_channel(id, &token, &mut round).await?;
            }
            if !claimed_any {
                break;
            }
        }
        let before = self.clock.now().checked_sub(KEEP_FINISHED).unwrap_or(Timestamp::MIN);
        self.store.purge_notifications(before).await?;
        Ok(round)
    }

    /// Claims and sends the due rows of the channel `id`; whether there
    /// were any to claim.
    async fn deliver_channel(
        &self,
        id: i64,
        token: &str,
        round: &mut DeliveryRound,
    ) -> Result<bool, ServiceError> {
        let channel = self.store.channel_by_id(id).await?;
        let digest = channel.digest.is_digest();
        let now = self.clock.now();
        let lease = Lease { token, now, until: later(now, LEASE) };
        let limit = if digest { DIGEST_ROWS } else { BATCH };
        let rows = self.store.claim_notices(Claim::Channel { id, limit }, &lease).await?;
        if rows.is_empty() {
            return Ok(false);
        }

        if channel.disabled_at.is_some() {
            let error: Result<(), String> =
                Err("the channel was removed before the notice was delivered".into());
            self.record(&channel, &rows, token, &error, false, round).await?;
        } else if digest {
            let result = self.send(&channel, &self.message(&channel, &rows, true)).await;
            self.record(&channel, &rows, token, &result, true, round).await?;
        } else {
            for row in rows.chunks(1) {
                let result = self.send(&channel, &self.message(&channel, row, false)).await;
                self.record(&channel, row, token, &result, true, round).await?;
            }
        }
        Ok(true)
    }

    fn message<'a>(
        &'a self,
        channel: &'a Channel,
        rows: &'a [Claimed],
        digest: bool,
    ) -> Message<'a> {
        let first = rows.first().map_or(0, |row| row.id);
        let last = rows.last().map_or(0, |row| row.id);
        let delivery =
            if digest { format!("digest-{first}-{last}") } else { format!("notice-{first}") };
        Message {
            channel: &channel.name,
            delivery,
            notices: rows.iter().map(|row| &row.notice).collect(),
            digest,
            link_base: self.notify.public_url.as_deref(),
        }
    }

    /// Sends one message in the channel's format; an error is a sentence
    /// for the queue.
    async fn send(&self, channel: &Channel, message: &Message<'_>) -> Result<(), String> {
        let json = |value: serde_json::Value| {
            serde_json::to_vec(&value)
                .map_err(|err| format!("the message cannot be written: {err}"))
        };
        match channel.kind {
            ChannelKind::Webhook => {
                let body = json(render::webhook(message))?;
                let secret =
                    channel.secret.as_deref().ok_or("the webhook channel has no secret")?;
                let timestamp = self.clock.now().as_second().to_string();
                let signature = hook::sign(secret.as_bytes(), &timestamp, &body);
                let headers = vec![
                    (TIMESTAMP_HEADER, timestamp),
                    (SIGNATURE_HEADER, signature),
                    (DELIVERY_HEADER, message.delivery.clone()),
                ];
                send::post_json(&channel.target, body, headers).await
            }
            ChannelKind::Slack => {
                send::post_json(&channel.target, json(render::slack(message))?, Vec::new()).await
            }
            ChannelKind::Teams => {
                send::post_json(&channel.target, json(render::teams(message))?, Vec::new()).await
            }
            ChannelKind::Email => {
                let email = render::email(message);
                let smtp = self.notify.smtp.as_ref();
                send::send_email(smtp, &channel.target, &email, self.clock.now()).await
            }
        }
    }

    /// Records a send's result on its rows: delivered, or failed and tried
    /// again later (when `retry` and the schedule allows), or given up.
    async fn record(
        &self,
        channel: &Channel,
        rows: &[Claimed],
        token: &str,
        result: &Result<(), String>,
        retry: bool,
        round: &mut DeliveryRound,
    ) -> Result<(), ServiceError> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let failures = rows.iter().map(|row| row.attempts).max().unwrap_or(0).saturating_add(1);
        let now = self.clock.now();
        let attempt = match result {
            Ok(()) => Attempt::Delivered,
            Err(error) => match channel::retry_wait(failures).filter(|_| retry) {
                Some(wait) => Attempt::Retry { error, at: later(now, wait) },
                None => Attempt::GiveUp { error },
            },
        };
        let held = self.store.record_attempt(&ids, token, now, attempt).await?;
        if held < ids.len() as u64 {
            tracing::warn!(
                channel = channel.name,
                lost = ids.len() as u64 - held,
                "a notification's lease ran out before its outcome was recorded; \
                 it may be sent again"
            );
        }
        log_attempt(channel, &ids, failures, &attempt);
        match attempt {
            Attempt::Delivered => {
                round.messages += 1;
                round.delivered += held;
            }
            Attempt::Retry { .. } => round.retrying += held,
            Attempt::GiveUp { .. } => round.gave_up += held,
        }
        Ok(())
    }
}

fn log_attempt(channel: &Channel, ids: &[i64], attempt_number: u32, attempt: &Attempt<'_>) {
    let name = channel.name.as_str();
    let notices = ids.len();
    match attempt {
        Attempt::Delivered => {
            tracing::info!(channel = name, notices, attempt_number, "notification delivered");
        }
        Attempt::Retry { error, at } => tracing::warn!(
            channel = name,
            notices,
            attempt_number,
            error,
            retry_at = %at,
            "notification delivery failed; it will be tried again"
        ),
        Attempt::GiveUp { error } => tracing::warn!(
            channel = name,
            notices,
            attempt_number,
            error,
            "notification delivery failed; given up"
        ),
    }
}

fn later(now: Timestamp, by: SignedDuration) -> Timestamp {
    now.checked_add(by).unwrap_or(Timestamp::MAX)
}

/// A round's own mark on the rows it claims.
fn lease_token() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(ServiceError::Random)?;
    Ok(hex::encode(bytes))
}

/// A name that reads the same on a command line, in a URL path and in a
/// log: letters, digits, `.`, `_` and `-`.
fn check_name(name: &str) -> Result<(), ServiceError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(allowed) {
        return Err(ServiceError::Invalid(format!(
            "a channel's name is 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or '-', \
             not {name:?}"
        )));
    }
    Ok(())
}

/// A URL for the kinds that POST, addresses for email.
fn check_target(kind: ChannelKind, target: &str) -> Result<(), ServiceError> {
    let target = target.trim();
    if kind == ChannelKind::Email {
        return send::recipients(target).map(drop).map_err(ServiceError::Invalid);
    }
    let rest = target.strip_prefix("https://").or_else(|| target.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let printable = target.chars().all(|c| c.is_ascii_graphic());
    match host {
        Some(host) if !host.is_empty() && printable => Ok(()),
        _ => Err(ServiceError::Invalid(format!(
            "a {kind} channel's target is an http:// or https:// URL with a host, not {:?}",
            target.chars().take(80).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_url_safe() {
        assert!(check_name("secops-slack").is_ok());
        for bad in ["", "two words", "a/b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn targets_fit_their_kind() {
        assert!(check_target(ChannelKind::Slack, "https://hooks.slack.com/services/T/B/X").is_ok());
        assert!(check_target(ChannelKind::Webhook, "http://127.0.0.1:9000/hook").is_ok());
        assert!(check_target(ChannelKind::Email, "a@example.com,b@example.com").is_ok());
        for (kind, bad) in [
            (ChannelKind::Teams, "ftp://example.com/x"),
            (ChannelKind::Webhook, "https:///path"),
            (ChannelKind::Webhook, "https://example.com/a b"),
            (ChannelKind::Email, "https://example.com"),
        ] {
            assert!(check_target(kind, bad).is_err(), "{kind} {bad}");
        }
    }

    #[test]
    fn a_lease_token_is_new_each_time() {
        assert_ne!(lease_token().unwrap(), lease_token().unwrap());
    }
}
