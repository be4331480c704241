//! Inbound webhooks on every backend: hooks created once, signed and fresh
//! deliveries stored once, replays by id or by signature refused, unknown
//! and revoked hooks not found, and nothing stored for a refused delivery.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::hook::{HookError, HookHeaders, sign};
use fixgate_service::testkit::{Env, each_backend};
use fixgate_service::{Clock, DeliveryId, ServiceError};
use fixgate_store::{NewDelivery, Recorded, StoreError};
use jiff::SignedDuration;

const EVENT: &str = r#"{"action":"opened","issue":{"number":7}}"#;

/// A delivery as a sender makes it: signed now (by the test's clock) plus
/// `offset` seconds.
struct Delivery {
    timestamp: String,
    signature: String,
    id: Option<String>,
}

impl Delivery {
    fn signed(env: &Env, secret: &str, body: &str, offset: i64) -> Delivery {
        let timestamp = (env.clock.now().as_second() + offset).to_string();
        let signature = sign(secret.as_bytes(), &timestamp, body.as_bytes());
        Delivery { timestamp, signature, id: None }
    }

    fn with_id(self, id: &str) -> Delivery {
        Delivery { id: Some(id.into()), ..self }
    }

    fn headers(&self) -> HookHeaders<'_> {
        HookHeaders {
            timestamp: Some(&self.timestamp),
            signature: Some(&self.signature),
            delivery: self.id.as_deref(),
        }
    }

    fn hex(&self) -> String {
        self.signature.trim_start_matches("sha256=").to_string()
    }
}

async fn receive(
    env: &Env,
    hook: &str,
    delivery: &Delivery,
    body: &str,
) -> Result<DeliveryId, ServiceError> {
    env.fixgate.receive_hook(hook, &delivery.headers(), body.as_bytes()).await
}

async fn stored(env: &Env, hook: &str) -> Vec<(String, String)> {
    let deliveries = env.fixgate.hook_deliveries(hook, 100).await.unwrap();
    deliveries.into_iter().rev().map(|d| (d.delivery_id, d.body)).collect()
}

#[tokio::test]
async fn a_hook_is_created_once_with_a_random_secret() {
    each_backend("hooks_create", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
        let other = env.fixgate.create_hook("jira").await.unwrap();
        assert_ne!(secret, other);

        let again = env.fixgate.create_hook("github").await.unwrap_err();
        assert!(matches!(again, ServiceError::Store(StoreError::Conflict(_))), "{again:?}");
        assert!(again.to_string().contains("a hook named \"github\" already exists"), "{again}");

        let hook = env.fixgate.store().active_hook("github").await.unwrap();
        assert_eq!((hook.secret.as_str(), hook.created_at), (secret.as_str(), env.clock.now()));
        assert!(!format!("{hook:?}").contains(&secret));

        let bad = env.fixgate.create_hook("git hub/x").await.unwrap_err();
        assert!(matches!(bad, ServiceError::Invalid(_)), "{bad:?}");
    })
    .await;
}

#[tokio::test]
async fn a_signed_fresh_delivery_is_stored_once() {
    each_backend("hooks_receive", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        let delivery = Delivery::signed(&env, &secret, EVENT, 0);

        let id = receive(&env, "github", &delivery, EVENT).await.unwrap();
        assert_eq!(id, DeliveryId(delivery.hex()));
        let again = receive(&env, "github", &delivery, EVENT).await.unwrap_err();
        assert!(
            matches!(&again, ServiceError::Replay { delivery } if *delivery == id.0),
            "{again:?}"
        );
        assert!(again.to_string().contains("already received"), "{again}");

        assert_eq!(stored(&env, "github").await, [(id.0.clone(), EVENT.to_string())]);
        let row = &env.fixgate.hook_deliveries("github", 1).await.unwrap()[0];
        assert_eq!(row.received_at, env.clock.now());
    })
    .await;
}

#[tokio::test]
async fn a_replay_is_caught_by_its_delivery_id_or_by_its_signature() {
    each_backend("hooks_replay", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        let first = Delivery::signed(&env, &secret, EVENT, 0).with_id("d-1");
        assert_eq!(receive(&env, "github", &first, EVENT).await.unwrap(), DeliveryId("d-1".into()));

        // The sender retries: signed anew, the same delivery id.
        env.clock.advance(SignedDuration::from_secs(10));
        let retry = Delivery::signed(&env, &secret, EVENT, 0).with_id("d-1");
        let err = receive(&env, "github", &retry, EVENT).await.unwrap_err();
        assert!(matches!(err, ServiceError::Replay { .. }), "{err:?}");

        // Someone sends the first delivery again under an id of their own:
        // the id is not signed, but the signature is the same.
        let forged =
            Delivery { id: Some("d-2".into()), ..Delivery::signed(&env, &secret, EVENT, -10) };
        assert_eq!(forged.signature, first.signature);
        let err = receive(&env, "github", &forged, EVENT).await.unwrap_err();
        assert!(matches!(err, ServiceError::Replay { .. }), "{err:?}");

        let next = Delivery::signed(&env, &secret, EVENT, 0).with_id("d-2");
        receive(&env, "github", &next, EVENT).await.unwrap();
        let ids: Vec<String> = stored(&env, "github").await.into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["d-1", "d-2"]);
    })
    .await;
}

#[tokio::test]
async fn the_same_delivery_id_on_two_hooks_is_two_deliveries() {
    each_backend("hooks_two", |env| async move {
        let github = env.fixgate.create_hook("github").await.unwrap();
        let jira = env.fixgate.create_hook("jira").await.unwrap();
        for (hook, secret) in [("github", &github), ("jira", &jira)] {
            let delivery = Delivery::signed(&env, secret, EVENT, 0).with_id("42");
            receive(&env, hook, &delivery, EVENT).await.unwrap();
        }
        assert_eq!(stored(&env, "github").await.len(), 1);
        assert_eq!(stored(&env, "jira").await.len(), 1);

        // A hook's secret signs for that hook only.
        let crossed = Delivery::signed(&env, &github, EVENT, 0).with_id("43");
        let err = receive(&env, "jira", &crossed, EVENT).await.unwrap_err();
        assert!(matches!(err, ServiceError::Hook(HookError::WrongSignature)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn unknown_and_revoked_hooks_are_not_found() {
    each_backend("hooks_not_found", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        let delivery = Delivery::signed(&env, &secret, EVENT, 0);
        let err = receive(&env, "gitlab", &delivery, EVENT).await.unwrap_err();
        assert!(matches!(err, ServiceError::Store(StoreError::NotFound(_))), "{err:?}");
        assert_eq!(err.to_string(), "hook \"gitlab\" not found");

        env.fixgate.revoke_hook("github").await.unwrap();
        let err = receive(&env, "github", &delivery, EVENT).await.unwrap_err();
        assert!(matches!(err, ServiceError::Store(StoreError::NotFound(_))), "{err:?}");
        let again = env.fixgate.revoke_hook("github").await.unwrap_err();
        assert!(matches!(again, ServiceError::Store(StoreError::NotFound(_))), "{again:?}");

        // A revoked hook keeps its name and its record.
        let err = env.fixgate.create_hook("github").await.unwrap_err();
        assert!(matches!(err, ServiceError::Store(StoreError::Conflict(_))), "{err:?}");
        assert!(stored(&env, "github").await.is_empty());
        let err = env.fixgate.hook_deliveries("gitlab", 10).await.unwrap_err();
        assert!(matches!(err, ServiceError::Store(StoreError::NotFound(_))), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_refused_delivery_stores_nothing() {
    each_backend("hooks_refused", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        let wrong = Delivery::signed(&env, "not the secret", EVENT, 0);
        let stale = Delivery::signed(&env, &secret, EVENT, -301);
        let ahead = Delivery::signed(&env, &secret, EVENT, 301);
        let unsigned =
            Delivery { signature: String::new(), ..Delivery::signed(&env, &secret, EVENT, 0) };
        let cases = [
            (wrong, HookError::WrongSignature),
            (stale, HookError::Stale { age: 301 }),
            (ahead, HookError::Ahead { ahead: 301 }),
            (unsigned, HookError::MalformedSignature),
        ];
        for (delivery, expected) in cases {
            let err = receive(&env, "github", &delivery, EVENT).await.unwrap_err();
            assert!(matches!(&err, ServiceError::Hook(e) if *e == expected), "{err:?}");
        }
        let tampered = Delivery::signed(&env, &secret, EVENT, 0);
        let err = receive(&env, "github", &tampered, &EVENT.replace('7', "8")).await.unwrap_err();
        assert!(matches!(err, ServiceError::Hook(HookError::WrongSignature)), "{err:?}");

        // Signed, but not text both databases keep alike.
        for body in [&b"\xff\xfe{}"[..], b"{\"a\":\"\0\"}"] {
            let timestamp = env.clock.now().as_second().to_string();
            let signature = sign(secret.as_bytes(), &timestamp, body);
            let headers = HookHeaders {
                timestamp: Some(&timestamp),
                signature: Some(&signature),
                delivery: None,
            };
            let err = env.fixgate.receive_hook("github", &headers, body).await.unwrap_err();
            assert!(matches!(err, ServiceError::Invalid(_)), "{err:?}");
        }
        assert!(stored(&env, "github").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_window_is_300_s_either_way_by_the_services_clock() {
    each_backend("hooks_window", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        for (n, offset) in [-300, 300].into_iter().enumerate() {
            let delivery = Delivery::signed(&env, &secret, &format!("{n}"), offset);
            receive(&env, "github", &delivery, &format!("{n}")).await.unwrap();
        }

        // Signed now, arriving 301 s later by the clock.
        let late = Delivery::signed(&env, &secret, EVENT, 0);
        env.clock.advance(SignedDuration::from_secs(301));
        let err = receive(&env, "github", &late, EVENT).await.unwrap_err();
        assert!(matches!(err, ServiceError::Hook(HookError::Stale { age: 301 })), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn two_copies_arriving_together_are_stored_once() {
    each_backend("hooks_race", |env| async move {
        let secret = env.fixgate.create_hook("github").await.unwrap();
        let delivery = Delivery::signed(&env, &secret, EVENT, 0);
        let (a, b) = tokio::join!(
            receive(&env, "github", &delivery, EVENT),
            receive(&env, "github", &delivery, EVENT)
        );
        assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1, "{a:?} {b:?}");
        assert_eq!(stored(&env, "github").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_store_reports_a_replay_and_lists_deliveries_newest_first() {
    each_backend("hooks_store", |env| async move {
        let store = env.fixgate.store();
        let hook = store.create_hook("tracker", "s", env.clock.now()).await.unwrap();
        let at = env.clock.now();
        let new = |id: &'static str, signature: &'static str| NewDelivery {
            hook_id: hook.id,
            delivery_id: id,
            signature,
            body: "{}",
        };

        let Recorded::Stored(first) = store.record_delivery(&new("a", "01"), at).await.unwrap()
        else {
            panic!("a new delivery is stored");
        };
        assert_eq!(store.record_delivery(&new("a", "02"), at).await.unwrap(), Recorded::Replay);
        assert_eq!(store.record_delivery(&new("b", "01"), at).await.unwrap(), Recorded::Replay);
        let second = store.record_delivery(&new("b", "02"), at).await.unwrap();
        assert!(matches!(second, Recorded::Stored(id) if id > first), "{second:?}");

        let listed = store.hook_deliveries("tracker", 10).await.unwrap();
        let ids: Vec<&str> = listed.iter().map(|d| d.delivery_id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(store.hook_deliveries("tracker", 1).await.unwrap().len(), 1);
    })
    .await;
}
