//! Property tests of the doors into fixgate: the shape check of a bearer
//! token, token authentication and password sign-in, fed arbitrary strings.
//! Each test opens its own SQLite store; the sign-in properties run few
//! cases, since every attempt costs an Argon2 hash.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use fixgate_domain::Role;
use fixgate_service::access::{TOKEN_PREFIX, parse_token};
use fixgate_service::testkit::{TEST_PASSWORD, each_backend, service_token};
use fixgate_service::{CreateUser, FixedClock, Fixgate, ServiceError};
use fixgate_store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tempfile::TempDir;
use tokio::runtime::Runtime;

/// The person the sign-in properties sign in as.
const NAME: &str = "alice";

/// A runtime and a fresh SQLite store, kept for every case of one test.
struct World {
    runtime: Runtime,
    fixgate: Fixgate,
    _dir: TempDir,
}

fn world() -> World {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fixgate.db").display());
    let store = runtime.block_on(Store::connect(&url, Default::default())).unwrap();
    let clock = FixedClock::new("2026-12-01T09:00:00Z".parse().unwrap());
    let fixgate = Fixgate::new(store, Arc::new(clock));
    World { runtime, fixgate, _dir: dir }
}

/// A runner with a fixed seed, so a run is the same every time and in CI;
/// more cases explore further.
fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}

/// What the token format says, written out plainly: after trimming, `fgt_`
/// and exactly 64 characters from `0-9a-f`.
fn is_token_shaped(value: &str) -> bool {
    let Some(digits) = value.trim().strip_prefix(TOKEN_PREFIX) else {
        return false;
    };
    digits.chars().count() == 64 && digits.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// Whitespace `str::trim` removes, ASCII and not.
fn blank() -> impl Strategy<Value = String> {
    let spaces = [' ', '\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{A0}', '\u{2003}'];
    proptest::collection::vec(proptest::sample::select(spaces.to_vec()), 0..4)
        .prop_map(|chars| chars.into_iter().collect())
}

fn well_formed() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}".prop_map(|digits| format!("{TOKEN_PREFIX}{digits}"))
}

/// A well-formed token with one character replaced by one the format does
/// not allow at that place, one inserted, or one removed.
fn near_miss() -> impl Strategy<Value = String> {
    // Whitespace is left out: inserted at either end, trimming removes it.
    let outsider = any::<char>()
        .prop_filter("not hex, not blank", |c| !c.is_ascii_hexdigit() && !c.is_whitespace());
    let upper = proptest::sample::select(vec!['A', 'B', 'C', 'D', 'E', 'F']);
    (well_formed(), 0..68usize, prop_oneof![outsider, upper], 0..3u8).prop_map(
        |(token, at, c, how)| {
            let mut chars: Vec<char> = token.chars().collect();
            match how {
                0 if at >= TOKEN_PREFIX.len() => chars[at] = c,
                // A prefix letter swapped for another character, even a hex one.
                0 => chars[at] = if chars[at] == c { 'x' } else { c },
                1 => chars.insert(at, c.to_ascii_lowercase()),
                _ => {
                    chars.remove(at);
                }
            }
            chars.into_iter().collect()
        },
    )
}

/// Anything a header or a form could carry, shapes near a token included.
fn any_token_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        ".{0,80}",
        near_miss(),
        (blank(), near_miss(), blank()).prop_map(|(a, t, b)| format!("{a}{t}{b}")),
        (blank(), well_formed(), blank()).prop_map(|(a, t, b)| format!("{a}{t}{b}")),
    ]
}

#[test]
fn parse_token_accepts_exactly_the_token_format() {
    let mut runner = runner(2048);
    let result = runner.run(&any_token_text(), |text| {
        let parsed = parse_token(&text);
        prop_assert_eq!(parsed.is_ok(), is_token_shaped(&text), "{:?}", text);
        match parsed {
            Ok(token) => prop_assert_eq!(token, text.trim()),
            Err(err) => prop_assert!(matches!(err, ServiceError::Unauthenticated(_)), "{err:?}"),
        }
        Ok(())
    });
    result.unwrap();
}

#[test]
fn near_misses_of_the_token_format_are_refused() {
    let mut runner = runner(1024);
    let result = runner.run(&near_miss(), |text| {
        prop_assert!(parse_token(&text).is_err(), "{:?}", text);
        Ok(())
    });
    result.unwrap();
}

#[test]
fn only_an_issued_token_authenticates() {
    let world = world();
    let issued = world.runtime.block_on(service_token(
        &world.fixgate,
        "props-bot",
        Role::Security,
        None,
        &[],
    ));

    let mut runner = runner(512);
    let result = runner.run(&any_token_text(), |text| {
        prop_assume!(text.trim() != issued);
        let outcome = world.runtime.block_on(world.fixgate.authenticate_token(&text));
        match outcome {
            // A refusal never echoes what it was given.
            Err(ServiceError::Unauthenticated(why)) => {
                let long = text.trim().chars().count() >= 20;
                prop_assert!(!long || !why.contains(text.trim()), "{why}");
                Ok(())
            }
            other => Err(TestCaseError::fail(format!("{text:?} gave {other:?}"))),
        }
    });
    result.unwrap();

    let padded = format!(" {issued}\n");
    let principal = world.runtime.block_on(world.fixgate.authenticate_token(&padded)).unwrap();
    assert_eq!(principal.name, "props-bot");
    assert_eq!(principal.role, Role::Security);
}

/// A name to sign in with: the right one, padded, or anything.
fn sign_in_name() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(NAME.to_string()),
        1 => (blank(), blank()).prop_map(|(a, b)| format!("{a}{NAME}{b}")),
        1 => Just(NAME.to_uppercase()),
        3 => any::<String>(),
        1 => ".{190,210}",
    ]
}

/// A password: the right one, near it, or anything (long ones included).
fn sign_in_password() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(TEST_PASSWORD.to_string()),
        1 => Just(format!("{TEST_PASSWORD} ")),
        1 => Just(TEST_PASSWORD.to_uppercase()),
        3 => any::<String>(),
        1 => proptest::collection::vec(any::<char>(), 1000..1100)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
    ]
}

#[test]
fn sign_in_succeeds_only_with_the_right_name_and_password() {
    let world = world();
    let alice = CreateUser {
        name: NAME.into(),
        role: Role::Developer,
        teams: vec!["shop-team".into()],
        password: Some(TEST_PASSWORD.into()),
    };
    world.runtime.block_on(world.fixgate.create_user(alice)).unwrap();

    // Argon2 runs once a case: few cases, weighted towards the right values.
    let mut runner = runner(24);
    let result = runner.run(&(sign_in_name(), sign_in_password()), |(name, password)| {
        let right = name.len() <= 200 && name.trim() == NAME && password == TEST_PASSWORD;
        let outcome = world.runtime.block_on(world.fixgate.sign_in(&name, &password));
        match outcome {
            Ok(signed_in) => {
                prop_assert!(right, "{name:?} / {password:?} signed in");
                prop_assert_eq!(signed_in.principal.name, NAME);
                prop_assert_eq!(signed_in.cookie.len(), 64);
            }
            Err(ServiceError::Unauthenticated(why)) => {
                prop_assert!(!right, "{name:?} / {password:?} refused: {why}");
                prop_assert_eq!(why, "wrong name or password");
            }
            Err(other) => prop_assert!(false, "{name:?} / {password:?} gave {other:?}"),
        }
        Ok(())
    });
    result.unwrap();
}

/// PostgreSQL refuses text with a NUL character; a name that holds one must
/// still get the refusal every unknown name gets, not a database error.
#[tokio::test]
async fn sign_in_with_control_characters_in_the_name_is_refused() {
    each_backend("sign_in_control_characters", |env| async move {
        let (cookie, _) =
            fixgate_service::testkit::signed_in(&env.fixgate, NAME, Role::Viewer, &["t"]).await;
        assert_eq!(cookie.len(), 64);
        for name in ["al\0ice", "\0", "alice\0", "\0alice", "al\u{7f}ice", "al\nice"] {
            match env.fixgate.sign_in(name, TEST_PASSWORD).await {
                Err(ServiceError::Unauthenticated(_)) => {}
                other => panic!("{} on {name:?}: {other:?}", env.backend),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn sign_ins_wait_for_a_free_password_check_and_then_give_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url, Default::default()).await.unwrap();
    let fixgate = Fixgate::new(store, Arc::new(fixgate_service::SystemClock));
    fixgate_service::testkit::signed_in(&fixgate, "ada", Role::Viewer, &[]).await;
    let none_free = fixgate.clone().with_password_checks(0);
    let err = none_free.sign_in("ada", TEST_PASSWORD).await.unwrap_err();
    assert!(matches!(err, ServiceError::Busy(_)), "{err}");
    assert!(fixgate.sign_in("ada", TEST_PASSWORD).await.is_ok());
}
