//! The CycloneDX 1.5 VEX BOM: the packages the decisions cover as
//! components (each with its purl as `bom-ref`), and one vulnerability per
//! advisory and package, whose `affects` points at that component.
//!
//! A false positive is the analysis state `false_positive`; an accepted risk
//! is `exploitable` with the response `will_not_fix`, the approver, expiry
//! and reason in `detail` (CycloneDX has no field for an expiry). No
//! `justification` is written: CycloneDX's justifications explain a
//! `not_affected` state, which fixgate's decisions never claim.

use std::collections::HashSet;

use fixgate_domain::TicketState;
use serde_json::{Map, Value, json};

use super::{Context, Export, ExportKind, VERSION, VexEntry, summary, vex_entries};
use crate::ServiceError;
use fixgate_store::Decision;

pub(super) fn document(decisions: &[Decision], context: &Context, serial: &str) -> Export {
    let (entries, left_out) = vex_entries(decisions);
    let vulnerabilities: Vec<Value> = entries.iter().map(vulnerability).collect();

    let document = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": context.now.to_string(),
            "tools": { "components": [
                { "type": "application", "name": "fixgate", "version": VERSION }
            ] },
            "component": {
                "type": "application",
                "name": context.application.unwrap_or(context.repository),
                "externalReferences": [{ "type": "vcs", "url": context.repository }],
            },
        },
        "components": components(&entries),
        "vulnerabilities": vulnerabilities,
    });
    Export {
        kind: ExportKind::CycloneDxVex,
        body: format!("{document:#}\n"),
        entries: vulnerabilities.len(),
        left_out,
    }
}

/// Each package once, named by its purl.
fn components(entries: &[VexEntry]) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for entry in entries.iter().filter(|e| seen.insert(e.purl.as_str())) {
        let mut component = Map::new();
        component.insert("type".into(), "library".into());
        component.insert("bom-ref".into(), entry.purl.clone().into());
        component.insert("name".into(), entry.package.name.clone().into());
        if let Some(version) = &entry.package.version {
            component.insert("version".into(), version.clone().into());
        }
        component.insert("purl".into(), entry.purl.clone().into());
        out.push(Value::Object(component));
    }
    out
}

fn vulnerability(entry: &VexEntry) -> Value {
    let decision = entry.decision;
    let decided_at = decision.decided_at.to_string();
    let mut analysis = Map::new();
    match decision.state {
        TicketState::RiskAccepted => {
            analysis.insert("state".into(), "exploitable".into());
            analysis.insert("response".into(), json!(["will_not_fix"]));
        }
        _ => {
            analysis.insert("state".into(), "false_positive".into());
        }
    }
    analysis.insert("detail".into(), summary(decision).into());
    analysis.insert("firstIssued".into(), decided_at.clone().into());
    analysis.insert("lastUpdated".into(), decided_at.into());

    let mut out = Map::new();
    out.insert("id".into(), entry.advisory.into());
    if let Some(source) = source(entry.advisory) {
        out.insert("source".into(), source);
    }
    if !entry.aliases.is_empty() {
        let references: Vec<Value> = entry
            .aliases
            .iter()
            .map(|id| {
                let mut reference = json!({ "id": id });
                if let (Some(source), Some(object)) = (source(id), reference.as_object_mut()) {
                    object.insert("source".into(), source);
                }
                reference
            })
            .collect();
        out.insert("references".into(), references.into());
    }
    out.insert("analysis".into(), Value::Object(analysis));
    out.insert("affects".into(), json!([{ "ref": entry.purl }]));
    Value::Object(out)
}

/// Where the advisory is published, for the ids whose home is known.
fn source(id: &str) -> Option<Value> {
    if id.starts_with("CVE-") {
        return Some(
            json!({ "name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}") }),
        );
    }
    if id.starts_with("GHSA-") {
        return Some(
            json!({ "name": "GitHub", "url": format!("https://github.com/advisories/{id}") }),
        );
    }
    None
}

/// A random (version 4) UUID as a BOM serial number: CycloneDX asks for a
/// new one with every BOM written, even when its content is unchanged.
pub(super) fn random_serial() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(ServiceError::Random)?;
    Ok(format_uuid(bytes))
}

fn format_uuid(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or("");
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_are_version_4_uuids() {
        let serial = format_uuid([0xff; 16]);
        assert_eq!(serial, "urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff");
        let random = random_serial().unwrap();
        assert_eq!(random.len(), "urn:uuid:".len() + 36);
        assert_ne!(random, random_serial().unwrap());
    }
}
