//! Rate limits on the routes an attacker or a runaway job would hammer:
//! sign-in attempts per client address, and uploads and gate checks per
//! token and per address. A refused sign-in costs a map lookup, never a
//! password hash; a refused upload costs its token's lookup, never a read
//! or a parse of the report. The server keeps answering under a burst.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::{ApiError, AppState};

/// How many requests each limit lets through.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// Sign-in attempts per address per minute (also the burst).
    pub sign_ins_per_minute: u32,
    /// Uploads and checks per token per minute (also the burst).
    pub uploads_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> RateLimitSettings {
        RateLimitSettings { sign_ins_per_minute: 10, uploads_per_minute: 120 }
    }
}

/// The server's limiters.
pub struct RateLimits {
    sign_in: Limiter<IpAddr>,
    upload_by_token: Limiter<i64>,
    upload_by_address: Limiter<IpAddr>,
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> RateLimits {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        RateLimits {
            sign_in: Limiter::new(per_minute(settings.sign_ins_per_minute)),
            upload_by_token: Limiter::new(per_minute(settings.uploads_per_minute)),
            // One address may carry several CI runners' tokens.
            upload_by_address: Limiter::new(per_minute(
                settings.uploads_per_minute.saturating_mul(4),
            )),
        }
    }

    /// Counts a sign-in attempt from `address`.
    pub(crate) fn sign_in(&self, address: IpAddr) -> Result<(), ApiError> {
        self.sign_in.check(&address)
    }

    /// Counts an upload or a check by `token` (when it came with one) from
    /// `address`.
    pub(crate) fn upload(&self, token: Option<i64>, address: IpAddr) -> Result<(), ApiError> {
        if let Some(token) = token {
            self.upload_by_token.check(&token)?;
        }
        self.upload_by_address.check(&address)
    }
}

/// One keyed limiter that forgets idle keys now and then, so a flood of
/// addresses cannot grow it without bound.
struct Limiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(quota: Quota) -> Limiter<K> {
        Limiter { limiter: DefaultKeyedRateLimiter::keyed(quota), checks: AtomicU32::new(0) }
    }

    fn check(&self, key: &K) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::too_many(wait)
        })
    }
}

/// The client's address, as rate limits count it.
pub(crate) struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ClientAddress, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state.trust_forwarded)))
    }
}

/// The client's address: the peer of the connection, or, behind a proxy
/// fixgate was told to trust, the last address the proxy appended to
/// `X-Forwarded-For`.
pub(crate) fn client_address(parts: &Parts, trust_forwarded: bool) -> IpAddr {
    if trust_forwarded && let Some(address) = forwarded_for(&parts.headers) {
        return address;
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_past_its_quota_and_others_are_not() {
        let limits =
            RateLimits::new(RateLimitSettings { sign_ins_per_minute: 3, uploads_per_minute: 2 });
        let one: IpAddr = "127.0.0.1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let two: IpAddr = "127.0.0.2".parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        for _ in 0..3 {
            assert!(limits.sign_in(one).is_ok());
        }
        let refused = limits.sign_in(one).err().map(|e| e.status().as_u16());
        assert_eq!(refused, Some(429));
        assert!(limits.sign_in(two).is_ok());

        assert!(limits.upload(Some(1), one).is_ok());
        assert!(limits.upload(Some(1), one).is_ok());
        assert!(limits.upload(Some(1), one).is_err(), "the token's quota holds");
        assert!(limits.upload(Some(2), one).is_ok(), "another token on the same address");
    }

    #[test]
    fn forwarded_addresses_count_only_the_last_hop() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "10.0.0.1, 192.0.2.7"
                .parse()
                .unwrap_or_else(|_| axum::http::HeaderValue::from_static("")),
        );
        assert_eq!(forwarded_for(&headers), "192.0.2.7".parse().ok());
        headers.insert("x-forwarded-for", axum::http::HeaderValue::from_static("garbage"));
        assert_eq!(forwarded_for(&headers), None);
    }
}
