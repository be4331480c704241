//! The OpenVEX 0.2.0 document: one statement per vulnerability and package
//! a decision covers.
//!
//! A false positive is `not_affected` with an `impact_statement` carrying
//! the reason: OpenVEX's justification labels each claim a specific cause
//! (the code is not present, not in the execute path, ...), and a person who
//! marked a finding false positive has not said which, so none is guessed.
//!
//! An accepted risk is `affected` with an `action_statement` that names the
//! approver, the expiry and the reason. The package is affected, and saying
//! otherwise would be a claim that outlives the decision wherever the file is
//! copied. Trivy and Grype therefore keep reporting accepted risks from this
//! document; `.trivyignore` (with its `exp:` date) is the file that silences
//! them until the acceptance lapses.

use fixgate_domain::TicketState;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Context, Export, ExportKind, VERSION, VexEntry, summary, vex_entries};
use fixgate_store::Decision;

pub(super) const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

pub(super) fn document(decisions: &[Decision], context: &Context) -> Export {
    let (entries, left_out) = vex_entries(decisions);
    let statements: Vec<Value> = entries.iter().map(|e| statement(e, context)).collect();
    let id = document_id(context, &statements);

    let document = json!({
        "@context": CONTEXT,
        "@id": id,
        "author": "fixgate",
        "timestamp": context.now.to_string(),
        "version": 1,
        "tooling": format!("fixgate {VERSION}"),
        "statements": statements,
    });
    Export {
        kind: ExportKind::OpenVex,
        body: format!("{document:#}\n"),
        entries: statements.len(),
        left_out,
    }
}

/// A stable IRI for the content: the same decisions give the same `@id`, and
/// a change gives a new document (so its `version` stays 1).
fn document_id(context: &Context, statements: &[Value]) -> String {
    let mut hash = Sha256::new();
    for part in
        [context.repository, context.application.unwrap_or(""), context.product.unwrap_or("")]
    {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(Value::Array(statements.to_vec()).to_string().as_bytes());
    format!("urn:fixgate:openvex:{}", hex::encode(hash.finalize()))
}

fn statement(entry: &VexEntry, context: &Context) -> Value {
    let decision = entry.decision;
    let decided_at = decision.decided_at.to_string();
    let package = json!({ "@id": entry.product, "identifiers": { "purl": entry.product } });
    let mut products = vec![package.clone()];
    if let Some(product) = context.product {
        products.push(json!({ "@id": product, "subcomponents": [package] }));
    }

    let mut vulnerability = Map::new();
    vulnerability.insert("name".into(), entry.advisory.into());
    if !entry.aliases.is_empty() {
        vulnerability.insert("aliases".into(), entry.aliases.clone().into());
    }
    let mut out = Map::new();
    out.insert("vulnerability".into(), Value::Object(vulnerability));
    out.insert("timestamp".into(), decided_at.clone().into());
    out.insert("products".into(), products.into());
    match decision.state {
        TicketState::RiskAccepted => {
            out.insert("status".into(), "affected".into());
            let action = format!(
                "{}. No fix is planned while the acceptance holds; fixgate reopens the ticket \
                 when it expires.",
                summary(decision)
            );
            out.insert("action_statement".into(), action.into());
            out.insert("action_statement_timestamp".into(), decided_at.into());
        }
        _ => {
            out.insert("status".into(), "not_affected".into());
            out.insert("impact_statement".into(), summary(decision).into());
        }
    }
    Value::Object(out)
}
