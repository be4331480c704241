//! The example application's reports from real scanners, in their native
//! JSON formats (examples/regenerate.sh runs the scanners offline): each is
//! detected, imported with the counts counted from the report itself
//! (examples/reports/COUNTS.md), and the re-scan of the next commit closes
//! what was fixed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::ScanContext;
use fixgate_service::testkit as common;

use common::{each_backend, examples, import_bytes};

/// Report, format, v1 findings (of which suppressed), v2 findings (of which
/// suppressed). Checkov lists one check silenced in the source under
/// `skipped_checks`: fixgate keeps it, suppressed.
const REPORTS: &[(&str, &str, u64, u64, u64, u64)] = &[
    ("bandit.json", "bandit", 21, 0, 21, 0),
    ("semgrep.json", "semgrep", 23, 0, 21, 0),
    ("checkov.json", "checkov", 28, 1, 26, 1),
    ("detect-secrets.json", "detect-secrets", 7, 0, 4, 0),
];

fn context(version: &str) -> ScanContext {
    let text = std::fs::read_to_string(examples().join(version).join("context.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn native_reports_of_real_scanners_import_with_their_counts() {
    each_backend("real_scanners", |env| async move {
        for (file, format, v1, v1_suppressed, v2, v2_suppressed) in REPORTS {
            let bytes = std::fs::read(examples().join("v1").join(file)).unwrap();
            let first = import_bytes(&env, bytes, context("v1")).await;
            assert_eq!(first.format, *format, "{file}");
            assert_eq!(first.findings, *v1, "{file} v1 findings on {}", env.backend);
            assert_eq!(first.counts.suppressed, *v1_suppressed, "{file} v1 suppressed");
            // Semgrep's results on the lines Bandit flagged, with the same CWE,
            // join Bandit's tickets.
            let ticketed = first.counts.opened + first.counts.grouped;
            assert_eq!(ticketed, v1 - v1_suppressed, "{file} v1 tickets");

            let bytes = std::fs::read(examples().join("v2").join(file)).unwrap();
            let second = import_bytes(&env, bytes, context("v2")).await;
            assert_eq!(second.findings, *v2, "{file} v2 findings on {}", env.backend);
            assert_eq!(second.counts.suppressed, *v2_suppressed, "{file} v2 suppressed");
            // What v1 saw and v2 does not is no longer seen; nothing else changes.
            let kept = second.counts.seen_again + second.counts.reappeared;
            let added = second.counts.opened + second.counts.grouped;
            assert_eq!(kept + added, v2 - v2_suppressed, "{file}");
            assert!(second.counts.no_longer_seen >= v1.saturating_sub(*v2), "{file}: {second:?}");
            // The fixed problems close as verified by the v2 scan.
            let verified = match *format {
                "bandit" => 3,
                // The other two of the five Semgrep results v2 no longer has
                // are on tickets a Bandit finding of v2 still keeps open.
                "semgrep" => 3,
                "checkov" => 2,
                _ => 3,
            };
            assert_eq!(second.counts.verified, verified, "{file}: {second:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn two_commits_in_order_verify_the_fixed_problems_and_duplicate_nothing() {
    each_backend("real_scanners_in_order", |env| async move {
        let mut opened = 0;
        for version in ["v1", "v2"] {
            for (file, ..) in REPORTS {
                let bytes = std::fs::read(examples().join(version).join(file)).unwrap();
                let report = import_bytes(&env, bytes, context(version)).await;
                opened += report.counts.opened;
                assert_eq!(report.counts.reopened, 0, "{version} {file}");
            }
        }
        let all = fixgate_store::TicketFilter { limit: 1000, page: 1, ..Default::default() };
        let tickets = env.fixgate.list_tickets(&all).await.unwrap();
        assert_eq!(tickets.total, opened, "every ticket was opened once");
        let verified: Vec<_> = tickets
            .items
            .iter()
            .filter(|t| t.state == fixgate_domain::TicketState::Verified)
            .collect();
        // v2 fixes two SQL injections, md5, eval, the public bucket's two
        // checks and three of the planted secrets.
        assert_eq!(
            verified.len(),
            9,
            "{:?}",
            verified.iter().map(|t| &t.title).collect::<Vec<_>>()
        );
        for ticket in verified {
            let detail = env.fixgate.ticket(&ticket.key).await.unwrap();
            let proof = detail.events.iter().find(|e| e.kind == "verified").unwrap();
            assert_eq!(proof.data["commit"], context("v2").commit.unwrap().as_str());
            assert!(!detail.ticket.present);
        }
    })
    .await;
}

#[tokio::test]
async fn the_planted_secret_is_kept_only_as_a_preview_and_hash() {
    each_backend("real_detect_secrets", |env| async move {
        let bytes = std::fs::read(examples().join("v1/detect-secrets.json")).unwrap();
        let report = import_bytes(&env, bytes, context("v1")).await;
        let mut with_secret = 0;
        for key in &report.opened_tickets {
            let ticket = env.fixgate.ticket(key).await.unwrap();
            for finding in &ticket.findings {
                let secret = finding.finding.secret.as_ref().expect("a secret reference");
                assert!(secret.hash.starts_with("hmac-sha256:"), "{secret:?}");
                with_secret += 1;
            }
        }
        assert_eq!(with_secret, 7, "{}", env.backend);
    })
    .await;
}
