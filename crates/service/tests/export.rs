//! Decisions out to the scanners, on every backend: real Trivy, Grype and
//! Gitleaks reports imported, tickets marked false positive and risk
//! accepted, and each export checked against its format's required fields
//! and enums, read back by fixgate's own CycloneDX parser, and watched to
//! drop an acceptance once it expires.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeSet, HashSet};

use fixgate_domain::{Role, TicketState};
use fixgate_intake::{Collected, Options, formats};
use fixgate_service::testkit::{
    Env, accept_risk, context, each_backend, import_bytes, principal, shared_corpus,
};
use fixgate_service::{Export, ExportKind, ExportRequest, MoveTicket};
use fixgate_store::TicketFilter;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const REPO: &str = "https://github.com/acme/shop";
const EXPIRY: &str = "2027-01-15T12:00:00Z";
const LEAK_42: &str = "b718aa975b79d141225d928ba2822ea010b74d2b:docker-compose-playwright.yml:\
                       generic-api-key:42";

const COMPRESS: &str = "pkg:maven/org.apache.commons/commons-compress@1.14";
const FREETYPE: &str = "pkg:apk/alpine/freetype@2.9.1-r2";
const LIBC: &str = "pkg:deb/debian/libc6@2.28-10";

// ---- the scenario ----------------------------------------------------------

fn false_positive(reason: &str) -> MoveTicket {
    MoveTicket { reason: Some(reason.into()), ..MoveTicket::to(TicketState::FalsePositive) }
}

/// The keys of the tickets whose advisories or text match `text`.
async fn keys_of(env: &Env, text: &str) -> Vec<String> {
    let filter =
        TicketFilter { text: Some(text.into()), limit: 10, page: 1, ..TicketFilter::default() };
    let page = env.fixgate.list_tickets(&filter).await.unwrap();
    page.items.into_iter().map(|t| t.key).collect()
}

/// Imports the reports, then decides: the commons-compress CVE and both libc6
/// tickets are false positives, the freetype CVE an accepted risk, the leak
/// at line 42 a false positive.
async fn decide(env: &Env, corpus: &std::path::Path) {
    // One ticket per advisory, so each decision covers one. (By default a
    // package's advisories share one upgrade ticket, whose decision covers
    // them all.)
    env.fixgate.set_policy("grouping.sca", Some("finding")).await.unwrap();
    let read = |file: &str| std::fs::read(corpus.join(file)).unwrap();
    import_bytes(env, read("trivy-json/scheme_2_many_vulns.json"), context("shop")).await;
    import_bytes(env, read("grype-json/same_cve_different_paths.json"), context("shop")).await;
    let leaks = import_bytes(env, read("gitleaks-json/gitleaks.git.json"), context("shop")).await;

    let compress = keys_of(env, "CVE-2018-11771").await;
    assert_eq!(compress.len(), 1, "{compress:?}");
    env.fixgate
        .move_ticket(
            &compress[0],
            false_positive("shaded, never loaded"),
            &principal("ana", Role::Security),
        )
        .await
        .unwrap();
    let libc = keys_of(env, "CVE-2021-33574").await;
    assert_eq!(libc.len(), 2, "one ticket per path: {libc:?}");
    for key in &libc {
        env.fixgate
            .move_ticket(key, false_positive("musl build"), &principal("ana", Role::Security))
            .await
            .unwrap();
    }
    let freetype = keys_of(env, "CVE-2020-15999").await;
    let reason = "No PNG fonts\nare rendered";
    accept_risk(&env.fixgate, &freetype[0], reason, EXPIRY, ("ana", "dana")).await;

    for key in &leaks.opened_tickets {
        let ticket = env.fixgate.ticket(key).await.unwrap();
        let line = ticket.findings[0].finding.location.as_ref().unwrap().start_line;
        if line == Some(42) {
            env.fixgate
                .move_ticket(
                    key,
                    false_positive("a test fixture"),
                    &principal("ana", Role::Security),
                )
                .await
                .unwrap();
        }
    }
}

async fn export(env: &Env, kind: ExportKind) -> Export {
    let request = ExportRequest { kind, repository: REPO.into(), application: None, product: None };
    env.fixgate.export(&request).await.unwrap()
}

/// `(vulnerability, product, status)` of each OpenVEX statement.
fn openvex_statements(doc: &Value) -> BTreeSet<(String, String, String)> {
    doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let product = s["products"][0]["@id"].as_str().unwrap();
            (
                s["vulnerability"]["name"].as_str().unwrap().into(),
                product.into(),
                s["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

/// The id lines of an ignore file.
fn ids(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

#[tokio::test]
async fn decisions_in_force_go_out_to_every_scanner_and_an_expired_acceptance_drops_out() {
    let Some(corpus) = shared_corpus() else { return };
    each_backend("export_decisions", |env| {
        let corpus = corpus.clone();
        async move {
            decide(&env, &corpus).await;
            let b = env.backend;

            let openvex = export(&env, ExportKind::OpenVex).await;
            let doc: Value = serde_json::from_str(&openvex.body).unwrap();
            check_openvex(&doc).unwrap();
            assert_eq!(
                openvex_statements(&doc),
                set(&[
                    ("CVE-2018-11771", COMPRESS, "not_affected"),
                    ("CVE-2020-15999", FREETYPE, "affected"),
                    ("CVE-2021-33574", LIBC, "not_affected"),
                ]),
                "{b}"
            );
            assert_eq!((openvex.entries, openvex.left_out.len()), (3, 0));
            let accepted = doc["statements"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["status"] == "affected")
                .unwrap();
            let action = accepted["action_statement"].as_str().unwrap();
            assert!(action.contains("dana") && action.contains(EXPIRY), "{action}");
            assert!(action.contains("No PNG fonts are rendered"), "{action}");

            let vex = export(&env, ExportKind::CycloneDxVex).await;
            let bom: Value = serde_json::from_str(&vex.body).unwrap();
            check_cyclonedx(&bom).unwrap();
            assert_round_trip(&vex.body);

            let trivy = export(&env, ExportKind::TrivyIgnore).await;
            check_trivyignore(&trivy.body).unwrap();
            assert_eq!(
                ids(&trivy.body),
                ["CVE-2020-15999 exp:2027-01-15", "CVE-2018-11771", "CVE-2021-33574"],
                "{b}: {}",
                trivy.body
            );

            let gitleaks = export(&env, ExportKind::GitleaksIgnore).await;
            check_gitleaksignore(&gitleaks.body).unwrap();
            assert_eq!(ids(&gitleaks.body), [LEAK_42], "{}", gitleaks.body);

            // Two months later the acceptance has lapsed; the false
            // positives stand.
            env.clock.advance(SignedDuration::from_hours(24 * 60));
            let later: Value =
                serde_json::from_str(&export(&env, ExportKind::OpenVex).await.body).unwrap();
            assert_eq!(
                openvex_statements(&later),
                set(&[
                    ("CVE-2018-11771", COMPRESS, "not_affected"),
                    ("CVE-2021-33574", LIBC, "not_affected"),
                ]),
                "{b}"
            );
            let trivy = export(&env, ExportKind::TrivyIgnore).await;
            assert_eq!(ids(&trivy.body), ["CVE-2018-11771", "CVE-2021-33574"]);
            let bom: Value =
                serde_json::from_str(&export(&env, ExportKind::CycloneDxVex).await.body).unwrap();
            assert!(!bom.to_string().contains("CVE-2020-15999"), "{b}");
        }
    })
    .await;
}

/// fixgate's own CycloneDX parser detects the export as CycloneDX and reads
/// each decision back as the finding's VEX analysis.
fn assert_round_trip(body: &str) {
    let format = formats::detect(body.as_bytes()).unwrap();
    assert_eq!(format.name, "cyclonedx");
    let mut read = Collected::default();
    (format.parse)(&mut body.as_bytes(), &Options::default(), &mut read).unwrap();

    let states: BTreeSet<(String, String, String)> = read
        .findings
        .iter()
        .map(|f| {
            let purl = f.package.as_ref().unwrap().purl.clone().unwrap();
            (f.rule_id.clone(), purl, f.vex.as_ref().unwrap().state.clone())
        })
        .collect();
    assert_eq!(
        states,
        set(&[
            ("CVE-2018-11771", COMPRESS, "false_positive"),
            ("CVE-2020-15999", FREETYPE, "exploitable"),
            ("CVE-2021-33574", "pkg:deb/debian/libc6@2.28-10?arch=amd64", "false_positive"),
        ])
    );
    for finding in &read.findings {
        let vex = finding.vex.as_ref().unwrap();
        let false_positive = vex.state == "false_positive";
        assert_eq!(finding.suppression.is_some(), false_positive, "{}", finding.rule_id);
        if !false_positive {
            assert!(vex.detail.as_deref().unwrap().contains("Response: will_not_fix"));
        }
    }
}

#[tokio::test]
async fn an_export_covers_one_repository_and_application() {
    let Some(corpus) = shared_corpus() else { return };
    each_backend("export_scope", |env| {
        let corpus = corpus.clone();
        async move {
            decide(&env, &corpus).await;
            let request = |repository: &str, application: Option<&str>| ExportRequest {
                kind: ExportKind::TrivyIgnore,
                repository: repository.into(),
                application: application.map(Into::into),
                product: None,
            };
            let shop = env.fixgate.export(&request(REPO, Some("shop"))).await.unwrap();
            assert_eq!(shop.entries, 3);
            for (repository, application) in
                [(REPO, Some("billing")), ("https://github.com/acme/other", None)]
            {
                let none = env.fixgate.export(&request(repository, application)).await.unwrap();
                assert_eq!((none.entries, ids(&none.body).len()), (0, 0), "{repository}");
                check_trivyignore(&none.body).unwrap();
            }
            let blank = env.fixgate.export(&request(" ", None)).await.unwrap_err();
            assert!(blank.to_string().contains("repository"), "{blank}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_product_names_the_package_as_its_subcomponent_for_grype() {
    let Some(corpus) = shared_corpus() else { return };
    each_backend("export_product", |env| {
        let corpus = corpus.clone();
        async move {
            decide(&env, &corpus).await;
            let image = "pkg:oci/shop?repository_url=registry.example%2Facme%2Fshop";
            let request = ExportRequest {
                kind: ExportKind::OpenVex,
                repository: REPO.into(),
                application: None,
                product: Some(image.into()),
            };
            let doc: Value =
                serde_json::from_str(&env.fixgate.export(&request).await.unwrap().body).unwrap();
            check_openvex(&doc).unwrap();
            for statement in doc["statements"].as_array().unwrap() {
                let products = statement["products"].as_array().unwrap();
                assert_eq!(products.len(), 2);
                assert_eq!(products[1]["@id"], image);
                assert_eq!(products[1]["subcomponents"][0]["@id"], products[0]["@id"]);
            }
        }
    })
    .await;
}

// ---- the formats' shapes ---------------------------------------------------

type Checked = Result<(), String>;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Checked {
    if ok { Ok(()) } else { Err(what()) }
}

fn text<'a>(value: &'a Value, field: &str) -> Result<&'a str, String> {
    value[field]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("{field} must be a non-empty string in {value}"))
}

fn timestamp(value: &Value, field: &str) -> Checked {
    let at = text(value, field)?;
    at.parse::<Timestamp>().map(|_| ()).map_err(|err| format!("{field} {at:?}: {err}"))
}

fn array<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, String> {
    value[field].as_array().ok_or_else(|| format!("{field} must be an array in {value}"))
}

const OPENVEX_STATUSES: &[&str] = &["not_affected", "affected", "fixed", "under_investigation"];
const OPENVEX_JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// The OpenVEX 0.2.0 document fields the spec requires, and each statement's.
fn check_openvex(doc: &Value) -> Checked {
    ensure(doc["@context"] == "https://openvex.dev/ns/v0.2.0", || "@context".into())?;
    ensure(text(doc, "@id")?.contains(':'), || "@id must be an IRI".into())?;
    text(doc, "author")?;
    timestamp(doc, "timestamp")?;
    ensure(doc["version"].as_u64().is_some_and(|v| v >= 1), || "version".into())?;
    for statement in array(doc, "statements")? {
        check_statement(statement)?;
    }
    Ok(())
}

fn check_statement(statement: &Value) -> Checked {
    text(&statement["vulnerability"], "name")?;
    let products = array(statement, "products")?;
    ensure(!products.is_empty(), || format!("no products in {statement}"))?;
    for product in products {
        ensure(text(product, "@id")?.contains(':'), || format!("product {product}"))?;
    }
    let status = text(statement, "status")?;
    ensure(OPENVEX_STATUSES.contains(&status), || format!("status {status:?}"))?;
    if let Some(justification) = statement.get("justification") {
        let known = justification.as_str().is_some_and(|j| OPENVEX_JUSTIFICATIONS.contains(&j));
        ensure(known, || format!("justification {justification}"))?;
    }
    if status == "not_affected" {
        let why =
            statement.get("justification").is_some() || text(statement, "impact_statement").is_ok();
        ensure(why, || {
            format!("not_affected without justification or impact_statement: {statement}")
        })?;
    }
    if status == "affected" {
        text(statement, "action_statement")?;
    }
    if statement.get("timestamp").is_some() {
        timestamp(statement, "timestamp")?;
    }
    Ok(())
}

const CDX_STATES: &[&str] = &[
    "resolved",
    "resolved_with_pedigree",
    "exploitable",
    "in_triage",
    "false_positive",
    "not_affected",
];
const CDX_JUSTIFICATIONS: &[&str] = &[
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];
const CDX_RESPONSES: &[&str] =
    &["can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"];
const CDX_COMPONENT_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
];

/// A CycloneDX 1.5 BOM's required fields, the serial number's pattern, the
/// analysis enums, and `affects` refs that resolve to components.
fn check_cyclonedx(bom: &Value) -> Checked {
    ensure(bom["bomFormat"] == "CycloneDX", || "bomFormat".into())?;
    ensure(bom["specVersion"] == "1.5", || "specVersion".into())?;
    ensure(is_uuid_urn(text(bom, "serialNumber")?), || "serialNumber".into())?;
    ensure(bom["version"].as_u64().is_some_and(|v| v >= 1), || "version".into())?;
    timestamp(&bom["metadata"], "timestamp")?;
    for tool in array(&bom["metadata"]["tools"], "components")? {
        text(tool, "name")?;
    }
    let mut refs = HashSet::new();
    for component in array(bom, "components")? {
        let kind = text(component, "type")?;
        ensure(CDX_COMPONENT_TYPES.contains(&kind), || format!("component type {kind:?}"))?;
        text(component, "name")?;
        ensure(refs.insert(text(component, "bom-ref")?), || format!("bom-ref twice: {component}"))?;
    }
    for vulnerability in array(bom, "vulnerabilities")? {
        check_vulnerability(vulnerability, &refs)?;
    }
    Ok(())
}

fn check_vulnerability(vulnerability: &Value, refs: &HashSet<&str>) -> Checked {
    text(vulnerability, "id")?;
    let analysis = &vulnerability["analysis"];
    let state = text(analysis, "state")?;
    ensure(CDX_STATES.contains(&state), || format!("analysis.state {state:?}"))?;
    if let Some(justification) = analysis.get("justification") {
        let known = justification.as_str().is_some_and(|j| CDX_JUSTIFICATIONS.contains(&j));
        ensure(known, || format!("analysis.justification {justification}"))?;
    }
    for response in analysis.get("response").and_then(Value::as_array).into_iter().flatten() {
        let known = response.as_str().is_some_and(|r| CDX_RESPONSES.contains(&r));
        ensure(known, || format!("analysis.response {response}"))?;
    }
    let affects = array(vulnerability, "affects")?;
    ensure(!affects.is_empty(), || format!("nothing affected: {vulnerability}"))?;
    for affect in affects {
        let target = text(affect, "ref")?;
        ensure(refs.contains(target), || format!("affects ref {target:?} names no component"))?;
    }
    Ok(())
}

/// `urn:uuid:` and a UUID of versions 1 to 5, as the 1.5 schema's pattern
/// wants it.
fn is_uuid_urn(serial: &str) -> bool {
    let Some(uuid) = serial.strip_prefix("urn:uuid:") else { return false };
    let parts: Vec<&str> = uuid.split('-').collect();
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| hex(p))
        && ('1'..='5').contains(&parts[2].chars().next().unwrap())
        && "89ab".contains(parts[3].chars().next().unwrap())
}

/// Comments, blank lines, and ids with an optional `exp:YYYY-MM-DD`.
fn check_trivyignore(text: &str) -> Checked {
    for line in ids(text) {
        let mut words = line.split_whitespace();
        let id = words.next().unwrap_or("");
        let id_ok = id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
        ensure(id_ok, || format!("not an id: {line:?}"))?;
        if let Some(expiry) = words.next() {
            let date = expiry.strip_prefix("exp:").unwrap_or("");
            ensure(date.parse::<jiff::civil::Date>().is_ok() && date.len() == 10, || {
                format!("not exp:YYYY-MM-DD: {line:?}")
            })?;
        }
        ensure(words.next().is_none(), || format!("more than an id and an expiry: {line:?}"))?;
    }
    Ok(())
}

/// Comments, blank lines, and `file:rule:line` or `commit:file:rule:line`.
fn check_gitleaksignore(text: &str) -> Checked {
    for line in ids(text) {
        let parts: Vec<&str> = line.split(':').collect();
        let (commit, rest) = match parts.len() {
            3 => (None, &parts[..]),
            4 => (Some(parts[0]), &parts[1..]),
            _ => return Err(format!("not a Gitleaks fingerprint: {line:?}")),
        };
        let commit_ok =
            commit.is_none_or(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_hexdigit()));
        ensure(commit_ok, || format!("commit of {line:?}"))?;
        ensure(!rest[0].is_empty() && !rest[1].is_empty(), || format!("file or rule of {line:?}"))?;
        ensure(rest[2].parse::<u32>().is_ok_and(|n| n > 0), || format!("line of {line:?}"))?;
    }
    Ok(())
}

#[test]
fn the_shape_checks_refuse_what_the_specs_refuse() {
    let statement = json!({
        "vulnerability": {"name": "CVE-2021-44228"},
        "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}],
        "status": "not_affected",
        "impact_statement": "not loaded"
    });
    let openvex = |statement: Value| {
        json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x:1", "author": "a",
               "timestamp": "2026-12-01T09:00:00Z", "version": 1, "statements": [statement]})
    };
    assert!(check_openvex(&openvex(statement.clone())).is_ok());
    let mut bare = statement.clone();
    bare.as_object_mut().unwrap().remove("impact_statement");
    assert!(check_openvex(&openvex(bare)).is_err(), "not_affected needs a reason");
    let mut guessed = statement.clone();
    guessed["justification"] = json!("it_is_fine");
    assert!(check_openvex(&openvex(guessed)).is_err());
    let mut affected = statement.clone();
    affected["status"] = json!("affected");
    assert!(check_openvex(&openvex(affected)).is_err(), "affected needs an action_statement");
    let mut wrong = openvex(statement);
    wrong["@context"] = json!("https://openvex.dev/ns");
    assert!(check_openvex(&wrong).is_err());

    let bom = |state: &str, target: &str| {
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
               "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
               "metadata": {"timestamp": "2026-12-01T09:00:00Z", "tools": {"components": [{"name": "x"}]}},
               "components": [{"type": "library", "name": "a", "bom-ref": "pkg:npm/a@1"}],
               "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": state}, "affects": [{"ref": target}]}]})
    };
    assert!(check_cyclonedx(&bom("false_positive", "pkg:npm/a@1")).is_ok());
    assert!(check_cyclonedx(&bom("risk_accepted", "pkg:npm/a@1")).is_err());
    assert!(check_cyclonedx(&bom("false_positive", "pkg:npm/b@1")).is_err(), "dangling ref");
    let mut v8 = bom("false_positive", "pkg:npm/a@1");
    v8["serialNumber"] = json!("urn:uuid:3e671687-395b-81f5-a30f-a58921a69b79");
    assert!(check_cyclonedx(&v8).is_err());

    assert!(check_trivyignore("# c\n\nCVE-2021-1 exp:2027-01-15\nAVD-DS-0002\n").is_ok());
    assert!(check_trivyignore("CVE-2021-1 until tomorrow\n").is_err());
    assert!(check_trivyignore("CVE-2021-1 exp:15.01.2027\n").is_err());
    assert!(check_gitleaksignore("# c\na.tf:aws:3\nabc123:a.tf:aws:3\n").is_ok());
    assert!(check_gitleaksignore("a.tf:aws\n").is_err());
    assert!(check_gitleaksignore("xyz!:a.tf:aws:3\n").is_err());
    assert!(check_gitleaksignore("a.tf:aws:0\n").is_err());
}
