//! Where notices go: the kinds of channel fixgate sends to, when a digest
//! channel sends, and how long a failing delivery is tried again.
//!
//! A digest's hour is read in UTC, or in a named time zone. Naming a zone
//! is the one place this crate looks beyond its arguments: the zone's rules
//! come from the system's time zone database, through jiff.

use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ticket::UnknownName;

/// How a channel is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// fixgate's own JSON, signed like inbound hooks' deliveries.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Microsoft Teams incoming webhook (an Adaptive Card).
    Teams,
    /// Email through the configured SMTP server.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] =
        [ChannelKind::Webhook, ChannelKind::Slack, ChannelKind::Teams, ChannelKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Teams => "teams",
            ChannelKind::Email => "email",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<ChannelKind, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase();
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == wanted).ok_or_else(|| UnknownName {
            what: "channel kind",
            value: s.to_string(),
            expected: ChannelKind::ALL.map(ChannelKind::as_str).join(", "),
        })
    }
}

/// The hour a plain `daily` digest goes out.
pub const DEFAULT_DIGEST_HOUR: u8 = 9;

/// Whether a channel sends each notice at once or a daily digest.
///
/// Written `none`, `daily` (at 09:00 UTC), `daily@HH` (at HH:00 UTC) or
/// `daily@HH[Area/City]` (at HH:00 in that time zone).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Digest {
    /// Each notice goes out on its own, straight away.
    #[default]
    None,
    /// Notices wait for the next `hour`:00 and go out together.
    Daily {
        hour: u8,
        /// An IANA time zone name; UTC when `None`.
        zone: Option<String>,
    },
}

impl Digest {
    /// When a notice made at `now` goes out: `now` itself, or the next
    /// digest time after it. A zone the time zone database does not know
    /// (it was checked when the digest was read, maybe on another machine)
    /// counts as UTC.
    pub fn next_after(&self, now: Timestamp) -> Timestamp {
        let Digest::Daily { hour, zone } = self else {
            return now;
        };
        let tz = zone.as_deref().and_then(|name| TimeZone::get(name).ok()).unwrap_or(TimeZone::UTC);
        let today = now.to_zoned_datetime(tz.clone()).date();
        let at = |date: jiff::civil::Date| {
            date.at(i8::try_from(*hour).unwrap_or(0), 0, 0, 0)
                .to_zoned_datetime(tz.clone())
                .map(|zoned| zoned.timestamp())
                .ok()
        };
        match at(today) {
            Some(time) if time > now => time,
            _ => today.tomorrow().ok().and_then(at).unwrap_or(now),
        }
    }

    pub fn is_digest(&self) -> bool {
        matches!(self, Digest::Daily { .. })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Digest::None => f.write_str("none"),
            Digest::Daily { hour, zone: None } => write!(f, "daily@{hour:02}"),
            Digest::Daily { hour, zone: Some(zone) } => write!(f, "daily@{hour:02}[{zone}]"),
        }
    }
}

/// A digest that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DigestError(String);

impl FromStr for Digest {
    type Err = DigestError;

    /// Reads a digest a person wrote; a time zone must be in this machine's
    /// time zone database.
    fn from_str(s: &str) -> Result<Digest, DigestError> {
        Digest::read(s, true)
    }
}

impl Digest {
    /// Reads a digest as stored, without looking its time zone up: one
    /// checked on another machine stays readable where the zone is missing
    /// (it then counts as UTC, see [`Digest::next_after`]).
    pub fn from_stored(s: &str) -> Result<Digest, DigestError> {
        Digest::read(s, false)
    }

    fn read(s: &str, check_zone: bool) -> Result<Digest, DigestError> {
        let text = s.trim();
        if text.eq_ignore_ascii_case("none") {
            return Ok(Digest::None);
        }
        let Some(rest) = strip_prefix_ignore_case(text, "daily") else {
            return Err(DigestError(format!(
                "digest {text:?} is not `none`, `daily`, `daily@HH` or `daily@HH[Area/City]`"
            )));
        };
        if rest.is_empty() {
            return Ok(Digest::Daily { hour: DEFAULT_DIGEST_HOUR, zone: None });
        }
        let at = rest.strip_prefix('@').ok_or_else(|| {
            DigestError(format!("after `daily` comes `@HH`, the hour, not {rest:?}"))
        })?;
        let (hour, zone) = match at.split_once('[') {
            Some((hour, zone)) => (hour, Some(parse_zone(zone, check_zone)?)),
            None => (at, None),
        };
        Ok(Digest::Daily { hour: parse_hour(hour)?, zone })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| text.get(prefix.len()..)).flatten()
}

fn parse_hour(text: &str) -> Result<u8, DigestError> {
    let digits = !text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u8>() {
        Ok(hour) if digits && hour < 24 => Ok(hour),
        _ => Err(DigestError(format!("the digest's hour is 00 to 23, not {text:?}"))),
    }
}

fn parse_zone(text: &str, check: bool) -> Result<String, DigestError> {
    let name = text.strip_suffix(']').ok_or_else(|| {
        DigestError(format!("a digest's time zone ends with `]`: `daily@09[{text}]`"))
    })?;
    if !check {
        return Ok(name.to_string());
    }
    TimeZone::get(name).map_err(|_| {
        DigestError(format!(
            "the time zone {name:?} is not in this machine's time zone database; \
             name one such as Europe/Berlin, or leave it out for UTC"
        ))
    })?;
    Ok(name.to_string())
}

/// The wait before the first retry.
pub const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(30);

/// The longest wait between two attempts.
pub const MAX_RETRY_WAIT: SignedDuration = SignedDuration::from_secs(3600);

/// How long, in waits between attempts, a delivery is tried before fixgate
/// gives up on it.
pub const GIVE_UP_AFTER: SignedDuration = SignedDuration::from_secs(24 * 3600);

/// How long to wait after a delivery's `failures`-th failed attempt: 30 s,
/// then twice as long each time up to an hour; `None` once the waits would
/// add up to more than [`GIVE_UP_AFTER`], when the delivery is given up.
pub fn retry_wait(failures: u32) -> Option<SignedDuration> {
    let mut waited = SignedDuration::ZERO;
    let mut wait = SignedDuration::ZERO;
    for failure in 1..=failures {
        wait = if failure == 1 { FIRST_RETRY } else { (wait * 2).min(MAX_RETRY_WAIT) };
        waited += wait;
        if waited > GIVE_UP_AFTER {
            return None;
        }
    }
    Some(wait)
}

/// How many attempts a delivery gets before it is given up.
pub fn max_attempts() -> u32 {
    (1..).find(|failures| retry_wait(*failures).is_none()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn channel_kinds_read_back_from_their_names() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>(), Ok(kind));
        }
        let err = "pager".parse::<ChannelKind>().unwrap_err().to_string();
        assert!(err.contains("webhook, slack, teams, email"), "{err}");
    }

    #[test]
    fn digests_read_and_print_alike() {
        for text in ["none", "daily@09", "daily@17", "daily@00[Europe/Berlin]"] {
            assert_eq!(text.parse::<Digest>().unwrap().to_string(), text);
        }
        assert_eq!("daily".parse(), Ok(Digest::Daily { hour: 9, zone: None }));
        assert_eq!("Daily@7".parse(), Ok(Digest::Daily { hour: 7, zone: None }));
    }

    #[test]
    fn a_wrong_digest_says_what_is_wrong() {
        for (text, expected) in [
            ("weekly", "is not `none`"),
            ("daily@24", "00 to 23"),
            ("daily@+1", "00 to 23"),
            ("daily@", "00 to 23"),
            ("daily9", "`@HH`"),
            ("daily@09[Europe/Berlin", "ends with `]`"),
            ("daily@09[Mars/Olympus]", "time zone database"),
        ] {
            let err = text.parse::<Digest>().unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn a_stored_digest_with_an_unknown_zone_still_reads_and_counts_as_utc() {
        let digest = Digest::from_stored("daily@17[Mars/Olympus]").unwrap();
        assert_eq!(digest, Digest::Daily { hour: 17, zone: Some("Mars/Olympus".into()) });
        let morning = at("2026-12-01T09:00:00Z");
        assert_eq!(digest.next_after(morning), at("2026-12-01T17:00:00Z"));
    }

    #[test]
    fn a_daily_digest_goes_out_at_the_next_hour_after_now() {
        let digest = Digest::Daily { hour: 17, zone: None };
        let morning = at("2026-12-01T09:00:00Z");
        assert_eq!(digest.next_after(morning), at("2026-12-01T17:00:00Z"));
        assert_eq!(digest.next_after(at("2026-12-01T17:00:00Z")), at("2026-12-02T17:00:00Z"));
        assert_eq!(digest.next_after(at("2026-12-31T18:00:00Z")), at("2027-01-01T17:00:00Z"));
        assert_eq!(Digest::None.next_after(morning), morning);
    }

    #[test]
    fn a_digest_in_a_time_zone_follows_its_clock() {
        let berlin = Digest::Daily { hour: 9, zone: Some("Europe/Berlin".into()) };
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(berlin.next_after(at("2026-12-01T06:00:00Z")), at("2026-12-01T08:00:00Z"));
        assert_eq!(berlin.next_after(at("2026-07-01T06:00:00Z")), at("2026-07-01T07:00:00Z"));
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(|n| retry_wait(n).unwrap().as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn a_delivery_is_given_up_once_the_waits_pass_a_day() {
        let attempts = max_attempts();
        let waited: i64 = (1..attempts).map(|n| retry_wait(n).unwrap().as_secs()).sum();
        assert!(waited <= 24 * 3600 && waited > 23 * 3600, "{attempts} attempts, {waited} s");
        assert_eq!(retry_wait(attempts), None);
        assert_eq!(attempts, 30);
    }
}
