//! Routes: the first match wins, every condition, and gitignore-style
//! path patterns.

use fixgate_domain::triage::{RouteInput, TriagePolicy};
use fixgate_domain::{FindingKind, TicketType};

use super::policy;

const ROUTES: &str = r#"
[[route]]
name = "billing"
application = ["billing"]
team = "payments"

[[route]]
repository = ["https://github.com/acme/Shop"]
path = ["checkout/"]
team = "checkout"

[[route]]
ecosystem = ["npm", "PyPI"]
team = "web"

[[route]]
kind = ["dast"]
team = "edge"

[[route]]
cwe = [79, 89]
team = "injection"

[[route]]
path = ["*.tf", "/infra/", "docs/*.md", "**/migrations/**", "src/[ab]*.c"]
team = "platform"

[[route]]
kind = ["secrets"]
team = "appsec"
"#;

const FINDING: RouteInput<'static> = RouteInput {
    application: "shop",
    repository: None,
    path: None,
    ecosystem: None,
    kind: Some(FindingKind::Code),
    ticket_type: TicketType::Vulnerability,
    cwes: &[],
};

fn team(policy: &TriagePolicy, input: RouteInput<'_>) -> Option<String> {
    policy.route(&input).map(|m| m.team)
}

#[test]
fn each_condition_routes_its_findings() {
    let policy = policy(ROUTES);
    let table: [(&str, RouteInput<'_>, Option<&str>); 12] = [
        ("application", RouteInput { application: "billing", ..FINDING }, Some("payments")),
        (
            "repository and path, in another URL form",
            RouteInput {
                repository: Some("git@github.com:acme/shop.git"),
                path: Some("checkout/cart.py"),
                ..FINDING
            },
            Some("checkout"),
        ),
        (
            "repository without its path",
            RouteInput {
                repository: Some("https://github.com/acme/shop"),
                path: Some("a.py"),
                ..FINDING
            },
            None,
        ),
        (
            "path without its repository",
            RouteInput { path: Some("checkout/cart.py"), ..FINDING },
            None,
        ),
        (
            "ecosystem, any case",
            RouteInput { ecosystem: Some("pypi"), kind: Some(FindingKind::Sca), ..FINDING },
            Some("web"),
        ),
        ("kind", RouteInput { kind: Some(FindingKind::Dast), ..FINDING }, Some("edge")),
        ("one of the CWEs", RouteInput { cwes: &[20, 89], ..FINDING }, Some("injection")),
        ("another CWE", RouteInput { cwes: &[22], ..FINDING }, None),
        (
            "the last rule",
            RouteInput { kind: Some(FindingKind::Secrets), ..FINDING },
            Some("appsec"),
        ),
        ("nothing matches", FINDING, None),
        ("no path meets no path condition", RouteInput { path: None, cwes: &[1], ..FINDING }, None),
        (
            "no ecosystem meets no ecosystem condition",
            RouteInput { kind: Some(FindingKind::Sca), ..FINDING },
            None,
        ),
    ];
    for (what, input, expected) in table {
        assert_eq!(team(&policy, input).as_deref(), expected, "{what}");
    }
}

#[test]
fn the_first_match_wins_and_says_where_it_is() {
    let policy = policy(ROUTES);
    let input = RouteInput {
        application: "billing",
        kind: Some(FindingKind::Dast),
        cwes: &[79],
        ..FINDING
    };
    let found = policy.route(&input).unwrap();
    assert_eq!((found.team.as_str(), found.rule, found.line), ("payments", 1, 2));
    assert_eq!(found.name.as_deref(), Some("billing"));

    let found = policy
        .route(&RouteInput { kind: Some(FindingKind::Dast), cwes: &[79], ..FINDING })
        .unwrap();
    assert_eq!((found.team.as_str(), found.rule, found.line), ("edge", 4, 16));
    assert_eq!(found.name, None);

    let catch_all = super::policy(
        "[[route]]\nteam = \"appsec\"\n\n[[route]]\nkind = [\"sca\"]\nteam = \"never\"\n",
    );
    assert_eq!(
        team(&catch_all, RouteInput { kind: Some(FindingKind::Sca), ..FINDING }).as_deref(),
        Some("appsec")
    );
}

#[test]
fn paths_match_like_gitignore() {
    let policy = policy(ROUTES);
    let table = [
        ("main.tf", true),
        ("modules/net/vpc.tf", true),
        ("main.tfvars", false),
        ("infra/k8s/deploy.yaml", true),
        ("./infra/a.yaml", true),
        ("/infra/a.yaml", true),
        ("app/infra/a.yaml", false),
        ("docs/guide.md", true),
        ("docs/deep/guide.md", false),
        ("x/docs/guide.md", false), // an inner slash anchors at the root
        ("db/migrations/0001.sql", true),
        ("migrations/0001.sql", true),
        ("src/alpha.c", true),
        ("src/beta.c", true),
        ("src/gamma.c", false),
        ("src/a/b.c", false),
    ];
    for (path, routed) in table {
        let got = team(&policy, RouteInput { path: Some(path), ..FINDING });
        assert_eq!(got.as_deref() == Some("platform"), routed, "{path}: {got:?}");
    }
}

#[test]
fn tickets_opened_by_hand_route_by_type_application_and_repository() {
    let policy = policy(
        r#"
[[route]]
type = ["incident"]
team = "on-call"

[[route]]
kind = ["code"]
team = "never-by-hand"

[[route]]
application = ["billing"]
team = "payments"
"#,
    );
    let by_hand = RouteInput { kind: None, ticket_type: TicketType::Task, ..FINDING };
    let table = [
        (
            "an incident",
            RouteInput { ticket_type: TicketType::Incident, ..by_hand },
            Some("on-call"),
        ),
        ("no kind meets no kind condition", by_hand, None),
        ("by application", RouteInput { application: "billing", ..by_hand }, Some("payments")),
        ("a scan's code finding", FINDING, Some("never-by-hand")),
    ];
    for (what, input, expected) in table {
        assert_eq!(team(&policy, input).as_deref(), expected, "{what}");
    }
}
