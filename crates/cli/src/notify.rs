//! `fixgate notify …`: notification channels and their queue on the local
//! store, a test of a channel, and one delivery round for cron.

use anyhow::{Context, bail};
use fixgate_domain::NoticeKind;
use fixgate_domain::channel::{ChannelKind, Digest};
use fixgate_service::{AddChannel, DeliveryRound, Fixgate, NotifySettings, SmtpSettings};
use fixgate_store::{QueueEntry, QueueFilter};
use serde_json::json;

use crate::cli::{NotifyArgs, NotifyCommand, NotifySettingsArgs, StoreArgs};
use crate::output::{print, print_json};

pub async fn notify(store: &StoreArgs, args: NotifyArgs) -> anyhow::Result<()> {
    let settings = settings(&args.settings)?;
    let fixgate = crate::serve::open(store).await?.with_notify(settings);
    let result = run(&fixgate, args.command).await;
    fixgate.store().close().await;
    result
}

/// The notification settings the options give.
pub fn settings(args: &NotifySettingsArgs) -> anyhow::Result<NotifySettings> {
    let smtp = match (&args.smtp_url, &args.smtp_from) {
        (Some(url), Some(from)) => Some(SmtpSettings { url: url.clone(), from: from.clone() }),
        (Some(_), None) => {
            bail!("--smtp-url needs --smtp-from (FIXGATE_SMTP_FROM): the address email comes from")
        }
        (None, _) => None,
    };
    let public_url = args.public_url.as_deref().map(str::trim).filter(|url| !url.is_empty());
    if let Some(url) = public_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        bail!("--public-url {url:?} is not an http:// or https:// address");
    }
    Ok(NotifySettings { smtp, public_url: public_url.map(str::to_string) })
}

async fn run(fixgate: &Fixgate, command: NotifyCommand) -> anyhow::Result<()> {
    let actor = crate::import::local_actor();
    match command {
        NotifyCommand::AddChannel { name, kind, target, team, events, digest, json } => {
            let request = AddChannel {
                name,
                kind: kind.parse::<ChannelKind>()?,
                target,
                team,
                kinds: events.iter().map(|e| e.parse::<NoticeKind>()).collect::<Result<_, _>>()?,
                digest: digest.parse::<Digest>()?,
            };
            let added = fixgate.add_channel(request, &actor).await?;
            if json {
                return print_json(&added);
            }
            let channel = &added.channel;
            let mut out = format!(
                "created channel {} ({} to {}, digest {})\n",
                channel.name,
                channel.kind,
                channel.shown_target(),
                channel.digest
            );
            if let Some(secret) = &added.secret {
                out.push_str(&format!(
                    "secret: {secret}\n(shown once: the receiver checks X-Fixgate-Signature with \
                     it, see docs/notifications.md)\n"
                ));
            }
            print(&out)
        }
        NotifyCommand::Channels { json } => {
            let channels = fixgate.channels().await?;
            if json {
                return print_json(&channels);
            }
            let mut out = String::new();
            for channel in channels {
                let events = if channel.kinds.is_empty() {
                    "every kind".to_string()
                } else {
                    channel.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
                };
                out.push_str(&format!(
                    "{:<20} {:<8} {:<12} {:<24} {:<10} {}\n",
                    channel.name,
                    channel.kind.as_str(),
                    channel.team.as_deref().unwrap_or("every team"),
                    events,
                    channel.digest.to_string(),
                    channel.shown_target(),
                ));
            }
            if out.is_empty() {
                out.push_str("no channels: `fixgate notify add-channel` creates one\n");
            }
            print(&out)
        }
        NotifyCommand::RemoveChannel { name } => {
            let dropped = fixgate.remove_channel(&name, &actor).await?;
            print(&format!("removed channel {name}; {dropped} queued notices given up\n"))
        }
        NotifyCommand::Test { name } => {
            let outcome = fixgate.test_channel(&name, &actor).await?;
            match outcome.error {
                None => print(&format!("test notice delivered to {name}\n")),
                Some(error) => bail!("the test notice to {name} was not delivered: {error}"),
            }
        }
        NotifyCommand::Queue { all, channel, limit, json } => {
            let filter = QueueFilter { delivered: all, channel, limit };
            let entries = fixgate.notification_queue(&filter).await?;
            if json {
                return print_json(&entries);
            }
            print(&queue_text(&entries))
        }
        NotifyCommand::Deliver { json } => {
            let round =
                fixgate.deliver_notifications().await.context("the delivery round failed")?;
            if json {
                return print_json(&json!(round));
            }
            print(&round_text(&round))
        }
    }
}

fn queue_text(entries: &[QueueEntry]) -> String {
    let mut out = String::new();
    for entry in entries {
        let state = serde_json::to_value(entry.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:>6}  {:<9} {:<20} {:>2} attempts  due {}  {}\n",
            entry.id, state, entry.channel, entry.attempts, entry.deliver_after, entry.summary
        ));
        if let Some(error) = &entry.last_error {
            out.push_str(&format!("        last error: {error}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("the queue is empty\n");
    }
    out
}

fn round_text(round: &DeliveryRound) -> String {
    format!(
        "delivered {} notices in {} messages; {} wait for another attempt; {} given up\n",
        round.delivered, round.messages, round.retrying, round.gave_up
    )
}
