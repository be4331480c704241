//! Repositories' CODEOWNERS files on every backend: stored whole once every
//! line reads, replaced by a later file, kept when a later one does not read.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::codeowners::Owner;
use fixgate_service::testkit::each_backend;

const REPO: &str = "https://github.com/acme/shop";

#[tokio::test]
async fn a_repository_keeps_the_last_file_that_reads() {
    each_backend("codeowners", |env| async move {
        let fixgate = &env.fixgate;
        assert!(fixgate.owners_of(REPO, "a.py").await.unwrap().is_none());

        let set = fixgate.set_codeowners(REPO, "* @acme/appsec\n", "test").await.unwrap();
        assert_eq!(set.rules, 1);
        let file = "* @acme/appsec\n\n[Backend] @acme/backend\n/app/\n*.sql dba@acme.example\n";
        assert_eq!(fixgate.set_codeowners(REPO, file, "test").await.unwrap().rules, 3);

        let rules = fixgate.owners_of(REPO, "app/db/schema.sql").await.unwrap().unwrap();
        assert_eq!(rules.len(), 2, "{rules:?}");
        assert_eq!(rules[0].owners, [Owner::Team("acme/appsec".into())]);
        assert_eq!((rules[1].section.as_deref(), rules[1].line), (Some("Backend"), 5));
        assert_eq!(rules[1].owners, [Owner::Email("dba@acme.example".into())]);
        let rules = fixgate.owners_of(REPO, "app/main.py").await.unwrap().unwrap();
        assert_eq!(rules[1].owners, [Owner::Team("acme/backend".into())], "section default");

        let err = fixgate.set_codeowners(REPO, "* @a\n!x @b\n", "test").await.unwrap_err();
        assert!(err.to_string().contains("CODEOWNERS line 2"), "{err}");
        let rules = fixgate.owners_of(REPO, "app/main.py").await.unwrap().unwrap();
        assert_eq!(rules.len(), 2, "the file before stays");
        assert!(fixgate.set_codeowners(" ", "* @a\n", "test").await.is_err());
    })
    .await;
}
