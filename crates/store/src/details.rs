//! `findings.details`: the part of a finding its columns do not hold
//! (message, tool severity, CWEs, advisories, location, trace, the tool's
//! fingerprints, remediation), as compact JSON; ticket filters read the
//! ticket's own columns. Absent values are left out, which halves what a large import
//! writes.

use std::collections::BTreeMap;

use fixgate_domain::{
    Cvss, Finding, Fingerprint, Location, Package, SecretRef, Severity, Suppression, TraceStep, Vex,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;

#[derive(Serialize)]
struct Written<'a> {
    #[serde(skip_serializing_if = "is_zero")]
    run: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_name: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_severity: Option<&'a str>,
    #[serde(skip_serializing_if = "<[u32]>::is_empty")]
    cwes: &'a [u32],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    advisories: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a Location>,
    #[serde(skip_serializing_if = "<[TraceStep]>::is_empty")]
    trace: &'a [TraceStep],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tool_fingerprints: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a Package>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cvss: Option<&'a Cvss>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    references: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a SecretRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vex: Option<&'a Vex>,
}

#[derive(Deserialize)]
struct Read {
    #[serde(default)]
    run: usize,
    rule_name: Option<String>,
    #[serde(default)]
    message: String,
    tool_severity: Option<String>,
    #[serde(default)]
    cwes: Vec<u32>,
    #[serde(default)]
    advisories: Vec<String>,
    location: Option<Location>,
    #[serde(default)]
    trace: Vec<TraceStep>,
    #[serde(default)]
    tool_fingerprints: BTreeMap<String, String>,
    remediation: Option<String>,
    help_uri: Option<String>,
    suppression: Option<Suppression>,
    package: Option<Package>,
    cvss: Option<Cvss>,
    #[serde(default)]
    references: Vec<String>,
    secret: Option<SecretRef>,
    vex: Option<Vex>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The `details` column for a finding.
pub(crate) fn to_json(finding: &Finding) -> Result<String, StoreError> {
    let written = Written {
        run: finding.run,
        rule_name: finding.rule_name.as_deref(),
        message: &finding.message,
        tool_severity: finding.tool_severity.as_deref(),
        cwes: &finding.cwes,
        advisories: &finding.advisories,
        location: finding.location.as_ref(),
        trace: &finding.trace,
        tool_fingerprints: &finding.tool_fingerprints,
        remediation: finding.remediation.as_deref(),
        help_uri: finding.help_uri.as_deref(),
        suppression: finding.suppression.as_ref(),
        package: finding.package.as_ref(),
        cvss: finding.cvss.as_ref(),
        references: &finding.references,
        secret: finding.secret.as_ref(),
        vex: finding.vex.as_ref(),
    };
    serde_json::to_string(&written)
        .map_err(|err| StoreError::Invalid(format!("finding cannot be stored: {err}")))
}

/// The columns a finding is read back from, in this order.
pub(crate) const COLUMNS: &str = "f.tool, f.rule_id, f.title, f.severity, f.fingerprint, f.details";

/// Rebuilds a finding from [`COLUMNS`], starting at column `first`.
pub(crate) fn from_row(row: &AnyRow, first: usize, id: i64) -> Result<Finding, StoreError> {
    let invalid = |what: String| StoreError::Invalid(format!("stored finding {id}: {what}"));
    let details: String = row.try_get(first + 5)?;
    let read: Read = serde_json::from_str(&details)
        .map_err(|err| invalid(format!("unreadable details: {err}")))?;
    let severity: i64 = row.try_get(first + 3)?;
    Ok(Finding {
        run: read.run,
        tool: row.try_get(first)?,
        rule_id: row.try_get(first + 1)?,
        rule_name: read.rule_name,
        title: row.try_get(first + 2)?,
        message: read.message,
        severity: Severity::from_rank(severity)
            .ok_or_else(|| invalid(format!("unknown severity {severity}")))?,
        tool_severity: read.tool_severity,
        cwes: read.cwes,
        advisories: read.advisories,
        location: read.location,
        trace: read.trace,
        tool_fingerprints: read.tool_fingerprints,
        fingerprint: Fingerprint::from_stored(row.try_get(first + 4)?),
        remediation: read.remediation,
        help_uri: read.help_uri,
        suppression: read.suppression,
        package: read.package,
        cvss: read.cvss,
        references: read.references,
        secret: read.secret,
        vex: read.vex,
    })
}
