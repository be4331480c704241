//! Every SARIF report of the shared corpus (../shared/corpus/sarif) imports
//! on every backend, and importing it again changes nothing. The parser's
//! own corpus test checks counts and fields against the manifest.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit::{context, each_backend, import_bytes, shared_corpus};

#[tokio::test]
async fn every_corpus_sarif_report_imports_and_reimports_as_unchanged() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("sarif"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");

    each_backend("corpus", |env| {
        let files = files.clone();
        async move {
            for (n, path) in files.iter().enumerate() {
                let bytes = std::fs::read(path).unwrap();
                let app = format!("corpus-{n}");
                let first = import_bytes(&env, bytes.clone(), context(&app)).await;
                let again = import_bytes(&env, bytes, context(&app)).await;
                let name = path.display();
                assert!(!first.duplicate && again.duplicate, "{name} on {}", env.backend);
                assert_eq!(again.counts.unchanged, first.findings, "{name}");
                assert_eq!(
                    first.counts.opened + first.counts.suppressed,
                    first.findings,
                    "{name}: every finding of a first import opens a ticket or is suppressed"
                );
            }
        }
    })
    .await;
}
