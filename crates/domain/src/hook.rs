//! Inbound webhooks: whether a delivery was signed with its hook's secret,
//! and recently enough to be taken.
//!
//! A sender computes HMAC-SHA256 over `<timestamp>.<raw body>`, keyed with
//! the hook's secret exactly as fixgate printed it, and sends the Unix time
//! and the result in headers ([`TIMESTAMP_HEADER`], [`SIGNATURE_HEADER`]),
//! with an optional delivery id of its own ([`DELIVERY_HEADER`]). Nothing
//! here does I/O: the time to compare with is a parameter.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TIMESTAMP_HEADER: &str = "X-Fixgate-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Fixgate-Signature";
pub const DELIVERY_HEADER: &str = "X-Fixgate-Delivery";

/// How far a delivery's timestamp may be from now, in seconds, either way.
pub const MAX_SKEW_SECS: u64 = 300;

/// The longest delivery id a sender may choose.
pub const MAX_DELIVERY_ID_LEN: usize = 128;

/// What the signature header starts with: the only scheme there is.
const SCHEME: &str = "sha256=";

/// Bytes in an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

/// A delivery's headers as received; `None` for one that was not sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HookHeaders<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub delivery: Option<&'a str>,
}

/// A delivery whose signature and timestamp were accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The sender's delivery id, or else the signature in lowercase hex.
    pub delivery_id: String,
    /// The signature in lowercase hex. The same signed message always has
    /// the same, whatever delivery id comes with it, so it catches a replay
    /// sent under a new id (the id is not signed).
    pub signature: String,
    /// The signed time, in Unix seconds.
    pub timestamp: i64,
}

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// The request has no timestamp header.
    #[error("the X-Fixgate-Timestamp header is missing")]
    MissingTimestamp,
    /// The timestamp header is not a number of seconds.
    #[error("X-Fixgate-Timestamp must be the Unix time in whole seconds, digits only")]
    MalformedTimestamp,
    /// The request has no signature header.
    #[error("the X-Fixgate-Signature header is missing")]
    MissingSignature,
    /// The signature header does not start with `sha256=`.
    #[error("X-Fixgate-Signature must read `sha256=` followed by the signature in hex")]
    MalformedSignature,
    /// What follows `sha256=` is not hex.
    #[error("the signature after `sha256=` is not hex")]
    BadHex,
    /// The hex decodes to something other than an HMAC-SHA256 tag.
    #[error("the signature is {bytes} bytes long; an HMAC-SHA256 signature is 32")]
    SignatureLength { bytes: usize },
    /// The signature is not the hook's secret's over this timestamp and body.
    #[error(
        "the signature does not match: sign `<timestamp>.<body>` with the hook's secret \
         using HMAC-SHA256"
    )]
    WrongSignature,
    /// The delivery was signed too long ago (or is a late replay).
    #[error(
        "the delivery was signed {age} s ago; fixgate takes deliveries signed within \
         the last 300 s"
    )]
    Stale { age: u64 },
    /// The timestamp is ahead of fixgate's clock by more than the window.
    #[error(
        "the delivery's timestamp is {ahead} s ahead of fixgate's clock, more than the 300 s \
         allowed; check the sender's clock"
    )]
    Ahead { ahead: u64 },
    /// The sender's delivery id is empty, too long, or not plain ASCII.
    #[error("X-Fixgate-Delivery must be 1 to 128 visible ASCII characters")]
    MalformedDelivery,
}

/// Checks a delivery signed with `secret` against the time `now` (Unix
/// seconds). The signature is checked before the timestamp's age, so only a
/// sender holding the secret learns that its clock is off; the delivery id
/// is checked last, once the delivery is known to be genuine.
pub fn verify(
    secret: &[u8],
    headers: &HookHeaders<'_>,
    body: &[u8],
    now: i64,
) -> Result<Verified, HookError> {
    let stamp = headers.timestamp.ok_or(HookError::MissingTimestamp)?;
    let timestamp = parse_timestamp(stamp)?;
    let claimed = parse_signature(headers.signature.ok_or(HookError::MissingSignature)?)?;

    let mac = mac(secret, stamp, body).ok_or(HookError::WrongSignature)?;
    mac.verify_slice(&claimed).map_err(|_| HookError::WrongSignature)?;
    check_window(timestamp, now)?;
    let delivery = headers.delivery.map(parse_delivery).transpose()?;

    let signature = hex::encode(&claimed);
    let delivery_id = delivery.map_or_else(|| signature.clone(), str::to_string);
    Ok(Verified { delivery_id, signature, timestamp })
}

/// The signature header's value a sender computes: `sha256=<hex>`.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{SCHEME}{tag}")
}

/// HMAC-SHA256 over `<timestamp>.<body>`. HMAC takes a key of any length,
/// so this is never `None`; were it, nothing would verify.
fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// Digits only: no sign, no spaces, no fraction. Eighteen digits at most,
/// which any `i64` holds and which reach far past any real time.
fn parse_timestamp(value: &str) -> Result<i64, HookError> {
    let digits =
        !value.is_empty() && value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(HookError::MalformedTimestamp);
    }
    value.parse().map_err(|_| HookError::MalformedTimestamp)
}

fn parse_signature(value: &str) -> Result<Vec<u8>, HookError> {
    let hex_text = value.strip_prefix(SCHEME).ok_or(HookError::MalformedSignature)?;
    let bytes = hex::decode(hex_text).map_err(|_| HookError::BadHex)?;
    if bytes.len() != TAG_LEN {
        return Err(HookError::SignatureLength { bytes: bytes.len() });
    }
    Ok(bytes)
}

fn check_window(timestamp: i64, now: i64) -> Result<(), HookError> {
    let skew = now.abs_diff(timestamp);
    if skew <= MAX_SKEW_SECS {
        Ok(())
    } else if timestamp < now {
        Err(HookError::Stale { age: skew })
    } else {
        Err(HookError::Ahead { ahead: skew })
    }
}

fn parse_delivery(value: &str) -> Result<&str, HookError> {
    let visible = value.bytes().all(|b| b.is_ascii_graphic());
    if value.is_empty() || value.len() > MAX_DELIVERY_ID_LEN || !visible {
        return Err(HookError::MalformedDelivery);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const NOW: i64 = 1_796_115_600;
    const BODY: &[u8] = br#"{"action":"opened","number":7}"#;

    fn signed_at(timestamp: i64, body: &[u8]) -> (String, String) {
        let stamp = timestamp.to_string();
        let signature = sign(SECRET, &stamp, body);
        (stamp, signature)
    }

    fn check(stamp: &str, signature: &str, body: &[u8]) -> Result<Verified, HookError> {
        let headers =
            HookHeaders { timestamp: Some(stamp), signature: Some(signature), delivery: None };
        verify(SECRET, &headers, body, NOW)
    }

    #[test]
    fn a_good_signature_is_accepted_and_names_the_delivery_by_it() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let verified = check(&stamp, &signature, BODY).unwrap();
        assert_eq!(verified.timestamp, NOW);
        assert_eq!(format!("sha256={}", verified.signature), signature);
        assert_eq!(verified.delivery_id, verified.signature);
    }

    #[test]
    fn the_signed_message_is_the_timestamp_a_dot_and_the_body() {
        // The same computation a sender does by hand, written out here.
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(format!("{NOW}.").as_bytes());
        mac.update(BODY);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sign(SECRET, &NOW.to_string(), BODY), expected);
    }

    #[test]
    fn the_senders_delivery_id_is_kept() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let headers = HookHeaders {
            timestamp: Some(&stamp),
            signature: Some(&signature),
            delivery: Some("gh-72d3162e-cc78-11e3"),
        };
        let verified = verify(SECRET, &headers, BODY, NOW).unwrap();
        assert_eq!(verified.delivery_id, "gh-72d3162e-cc78-11e3");
    }

    #[test]
    fn uppercase_hex_is_the_same_signature_and_the_same_default_id() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let upper = format!("sha256={}", signature["sha256=".len()..].to_uppercase());
        let lower = check(&stamp, &signature, BODY).unwrap();
        assert_eq!(check(&stamp, &upper, BODY).unwrap(), lower);
    }

    #[test]
    fn missing_headers_are_refused_each_by_name() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let no_stamp = HookHeaders { signature: Some(&signature), ..HookHeaders::default() };
        let no_signature = HookHeaders { timestamp: Some(&stamp), ..HookHeaders::default() };
        assert_eq!(verify(SECRET, &no_stamp, BODY, NOW), Err(HookError::MissingTimestamp));
        assert_eq!(verify(SECRET, &no_signature, BODY, NOW), Err(HookError::MissingSignature));
        let message = HookError::MissingTimestamp.to_string();
        assert!(message.contains("X-Fixgate-Timestamp"), "{message}");
    }

    #[test]
    fn a_garbled_timestamp_is_refused() {
        let (_, signature) = signed_at(NOW, BODY);
        for stamp in ["", "soon", "-1796115600", "+1796115600", "1796115600.5", " 1796115600"] {
            assert_eq!(
                check(stamp, &signature, BODY),
                Err(HookError::MalformedTimestamp),
                "{stamp:?}"
            );
        }
        let huge = "9".repeat(19);
        assert_eq!(check(&huge, &signature, BODY), Err(HookError::MalformedTimestamp));
    }

    #[test]
    fn a_signature_without_the_scheme_is_refused() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let bare = signature.trim_start_matches("sha256=");
        for value in [bare.to_string(), format!("sha1={bare}"), format!("SHA256={bare}")] {
            assert_eq!(check(&stamp, &value, BODY), Err(HookError::MalformedSignature), "{value}");
        }
    }

    #[test]
    fn bad_hex_is_refused() {
        let (stamp, _) = signed_at(NOW, BODY);
        for value in [format!("sha256={}", "zz".repeat(32)), format!("sha256={}", "a".repeat(63))] {
            assert_eq!(check(&stamp, &value, BODY), Err(HookError::BadHex), "{value}");
        }
    }

    #[test]
    fn a_signature_of_the_wrong_length_is_refused() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let short = &signature[..signature.len() - 2];
        assert_eq!(check(&stamp, short, BODY), Err(HookError::SignatureLength { bytes: 31 }));
        assert_eq!(check(&stamp, "sha256=", BODY), Err(HookError::SignatureLength { bytes: 0 }));
    }

    #[test]
    fn a_wrong_signature_is_refused() {
        let (stamp, _) = signed_at(NOW, BODY);
        let other_key = sign(b"another secret", &stamp, BODY);
        assert_eq!(check(&stamp, &other_key, BODY), Err(HookError::WrongSignature));
        let zeros = format!("sha256={}", "0".repeat(64));
        assert_eq!(check(&stamp, &zeros, BODY), Err(HookError::WrongSignature));
    }

    #[test]
    fn a_body_changed_by_one_byte_is_refused() {
        let (stamp, signature) = signed_at(NOW, BODY);
        for at in 0..BODY.len() {
            let mut changed = BODY.to_vec();
            changed[at] ^= 0x01;
            assert_eq!(check(&stamp, &signature, &changed), Err(HookError::WrongSignature));
        }
        let mut longer = BODY.to_vec();
        longer.push(b' ');
        assert_eq!(check(&stamp, &signature, &longer), Err(HookError::WrongSignature));
    }

    #[test]
    fn the_timestamp_is_signed_too() {
        let (_, signature) = signed_at(NOW, BODY);
        let later = (NOW + 1).to_string();
        assert_eq!(check(&later, &signature, BODY), Err(HookError::WrongSignature));
    }

    #[test]
    fn timestamps_300_s_either_side_of_now_are_accepted() {
        for at in [NOW - 300, NOW + 300] {
            let (stamp, signature) = signed_at(at, BODY);
            assert!(check(&stamp, &signature, BODY).is_ok(), "{at}");
        }
    }

    #[test]
    fn timestamps_301_s_either_side_of_now_are_refused() {
        let (stamp, signature) = signed_at(NOW - 301, BODY);
        assert_eq!(check(&stamp, &signature, BODY), Err(HookError::Stale { age: 301 }));
        let (stamp, signature) = signed_at(NOW + 301, BODY);
        assert_eq!(check(&stamp, &signature, BODY), Err(HookError::Ahead { ahead: 301 }));
    }

    #[test]
    fn a_timestamp_far_from_now_does_not_overflow() {
        let (stamp, signature) = signed_at(999_999_999_999_999_999, BODY);
        assert!(matches!(check(&stamp, &signature, BODY), Err(HookError::Ahead { .. })));
        let (stamp, signature) = signed_at(0, BODY);
        assert!(matches!(check(&stamp, &signature, BODY), Err(HookError::Stale { .. })));
    }

    #[test]
    fn a_garbled_delivery_id_is_refused() {
        let (stamp, signature) = signed_at(NOW, BODY);
        let long = "d".repeat(MAX_DELIVERY_ID_LEN + 1);
        for delivery in ["", "two words", "caf\u{e9}", "tab\there", long.as_str()] {
            let headers = HookHeaders {
                timestamp: Some(&stamp),
                signature: Some(&signature),
                delivery: Some(delivery),
            };
            assert_eq!(
                verify(SECRET, &headers, BODY, NOW),
                Err(HookError::MalformedDelivery),
                "{delivery:?}"
            );
        }
    }

    #[test]
    fn a_forged_delivery_with_a_garbled_id_is_refused_for_its_signature() {
        let (stamp, _) = signed_at(NOW, BODY);
        let zeros = format!("sha256={}", "0".repeat(64));
        let headers =
            HookHeaders { timestamp: Some(&stamp), signature: Some(&zeros), delivery: Some("") };
        assert_eq!(verify(SECRET, &headers, BODY, NOW), Err(HookError::WrongSignature));
    }
}
