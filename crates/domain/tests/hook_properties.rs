//! Properties of webhook verification over arbitrary input: it never
//! panics, it accepts a delivery only when the signature is the secret's
//! over exactly that timestamp and body within the window, and it accepts
//! every such delivery.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::cell::Cell;

use fixgate_domain::hook::{HookError, HookHeaders, MAX_SKEW_SECS, sign, verify};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// Around the present, so that some arbitrary timestamps fall inside the window.
const NOW: i64 = 1_796_115_600;

/// Signature headers of every kind: arbitrary text, the right shape with
/// arbitrary hex, and real signatures (of this delivery or of another).
fn signature_header(
    secret: Vec<u8>,
    timestamp: Option<String>,
    body: Vec<u8>,
) -> impl Strategy<Value = Option<String>> {
    let stamp = timestamp.unwrap_or_default();
    let genuine = sign(&secret, &stamp, &body);
    let other_body = sign(&secret, &stamp, b"another body");
    prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        "[0-9a-fA-F]{0,70}".prop_map(|hex| Some(format!("sha256={hex}"))),
        Just(Some(genuine.clone())),
        Just(Some(genuine.to_uppercase().replacen("SHA256=", "sha256=", 1))),
        Just(Some(other_body)),
    ]
}

/// Timestamps of every kind: arbitrary text, and numbers near and far from now.
fn timestamp_header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        (NOW - 1_000..NOW + 1_000).prop_map(|t| Some(t.to_string())),
        any::<u64>().prop_map(|t| Some(t.to_string())),
    ]
}

/// One delivery as it arrives: the hook's secret, the three headers and the body.
#[derive(Debug, Clone)]
struct Arrival {
    secret: Vec<u8>,
    stamp: Option<String>,
    signature: Option<String>,
    id: Option<String>,
    body: Vec<u8>,
}

fn arrival() -> impl Strategy<Value = Arrival> {
    let secret = proptest::collection::vec(any::<u8>(), 0..80);
    let body = proptest::collection::vec(any::<u8>(), 0..256);
    let id = prop_oneof![Just(None), any::<String>().prop_map(Some), "[!-~]{1,16}".prop_map(Some)];
    (secret, timestamp_header(), body, id).prop_flat_map(|(secret, stamp, body, id)| {
        let signature = signature_header(secret.clone(), stamp.clone(), body.clone());
        signature.prop_map(move |signature| Arrival {
            secret: secret.clone(),
            stamp: stamp.clone(),
            signature,
            id: id.clone(),
            body: body.clone(),
        })
    })
}

/// Runs the first property by hand, to count the deliveries it accepted:
/// a property about what is accepted proves little if nothing ever was.
#[test]
fn verification_never_panics_and_accepts_only_what_was_signed() {
    let accepted = Cell::new(0_u32);
    let mut runner = TestRunner::new(ProptestConfig::with_cases(3_000));
    let inputs = (arrival(), NOW - 500..NOW + 500);
    let result = runner.run(&inputs, |(arrival, now)| {
        let Arrival { secret, stamp, signature, id, body } = arrival;
        let headers = HookHeaders {
            timestamp: stamp.as_deref(),
            signature: signature.as_deref(),
            delivery: id.as_deref(),
        };
        if let Ok(verified) = verify(&secret, &headers, &body, now) {
            accepted.set(accepted.get() + 1);
            let stamp = stamp.unwrap();
            let expected = sign(&secret, &stamp, &body);
            prop_assert!(signature.unwrap().eq_ignore_ascii_case(&expected));
            prop_assert_eq!(format!("sha256={}", verified.signature), expected);
            prop_assert!(verified.timestamp.abs_diff(now) <= MAX_SKEW_SECS);
            prop_assert_eq!(verified.timestamp.to_string(), stamp);
        }
        Ok(())
    });
    result.unwrap();
    assert!(accepted.get() > 10, "only {} of 3000 deliveries were genuine", accepted.get());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn whatever_is_signed_within_the_window_is_accepted(
        secret in proptest::collection::vec(any::<u8>(), 0..80),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        offset in -300_i64..=300,
        id in proptest::option::of("[!-~]{1,128}"),
    ) {
        let stamp = (NOW + offset).to_string();
        let signature = sign(&secret, &stamp, &body);
        let headers = HookHeaders {
            timestamp: Some(&stamp),
            signature: Some(&signature),
            delivery: id.as_deref(),
        };
        let verified = verify(&secret, &headers, &body, NOW).unwrap();
        let expected_id = id.unwrap_or_else(|| verified.signature.clone());
        prop_assert_eq!(verified.delivery_id, expected_id);
    }

    #[test]
    fn any_change_to_a_signed_body_is_refused(
        secret in proptest::collection::vec(any::<u8>(), 0..80),
        body in proptest::collection::vec(any::<u8>(), 1..512),
        at in any::<proptest::sample::Index>(),
        flip in 1_u8..=255,
    ) {
        let stamp = NOW.to_string();
        let signature = sign(&secret, &stamp, &body);
        let mut changed = body.clone();
        changed[at.index(body.len())] ^= flip;
        let headers =
            HookHeaders { timestamp: Some(&stamp), signature: Some(&signature), delivery: None };
        prop_assert_eq!(verify(&secret, &headers, &changed, NOW), Err(HookError::WrongSignature));
    }
}
