//! Trivy JSON reports (`trivy image|fs|repo|config --format json`).
//!
//! Two shapes are read: schema 2 (Trivy 0.20 and later), an object with
//! `SchemaVersion`, `ArtifactName`, `Metadata` and `Results`, and the legacy
//! shape, an array of results (or `null` for a clean scan). Each result is a
//! target (a lock file, an image's OS packages, a Dockerfile) that lists
//! `Vulnerabilities`, `Misconfigurations`, `Secrets`, `Licenses` and, with
//! `--show-suppressed`, `ExperimentalModifiedFindings`.
//!
//! The report's text is read into memory, then walked item by item
//! (`stream`): each item is read into its serde type (`model`), converted
//! (`convert`) and handed on at once, so the parse needs little memory
//! beyond the text itself, however many items the report holds.
//!
//! # Mapping
//!
//! One finding per vulnerability, failed misconfiguration (`Status` `FAIL`;
//! `PASS` is skipped; `EXCEPTION` is kept, suppressed), secret and licence.
//! An item in `ExperimentalModifiedFindings` is kept and marked suppressed
//! (with its VEX state when VEX set it aside).
//!
//! Severity is Trivy's own: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` map to the
//! same names; `UNKNOWN` (and a missing severity) is info.
//!
//! - vulnerability: `VulnerabilityID` is the rule and first advisory,
//!   `VendorIDs` more advisories; `CweIDs`; CVSS from the source named by
//!   `SeveritySource`, else `nvd`, else the first (its v3 rating, or v4 when
//!   it has only v4); the package from `PkgName`, `InstalledVersion`,
//!   `PkgIdentifier.PURL`, `FixedVersion` and the result's `Type`; the place
//!   is the result's `Target`, with `PkgPath` as the logical place;
//!   `Description` is the message, `PrimaryURL` the help link.
//! - misconfiguration: `ID` (else `AVDID`) is the rule; `Message` and
//!   `Description` the message; `Resolution` the remediation; the place is
//!   the `Target` file with `CauseMetadata`'s lines, code and resource.
//! - secret: `RuleID`, CWE-798, the `Target` file and lines, `Match` (Trivy
//!   masks the secret) as the snippet.
//! - licence: the licence `Name` is the rule; `PkgName` the package; the
//!   place is `FilePath`, else the `Target`.
//!
//! Trivy's own `Fingerprint` of a vulnerability covers the installed
//! version, so an upgrade that is still vulnerable would look like a new
//! problem; fixgate's package identity is used instead.
//!
//! # Limits
//!
//! A result's `Type` written after its item lists is not seen by those
//! items (Trivy writes it first), so their package has no ecosystem.
//!
//! Two copies of one package in one target (the same jar at two `PkgPath`s
//! of an image) have the same identity and place, so the import keeps the
//! first and drops the second as a repeat. Making `PkgPath` part of the place
//! would keep both, but it usually holds the version (`log4j-2.14.jar`), so
//! every upgrade would then look like a new problem.

mod convert;
mod model;
mod stream;
pub(crate) use stream::without_tag;

#[cfg(test)]
mod tests;

use std::io::Read;

use serde::de::DeserializeSeed;
use serde_json::error::Category;

use crate::shape::Kind;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "trivy";

/// The tool name findings and the run carry.
const TOOL: &str = "Trivy";

pub(crate) fn sniff(shape: &Shape) -> bool {
    match shape.kind {
        Kind::Object => {
            shape.has("SchemaVersion")
                && (shape.has("ArtifactName")
                    || shape.has("ArtifactType")
                    || shape.has("Results[].Target"))
        }
        Kind::Array => shape.has("Target") && (shape.has("Vulnerabilities") || shape.has("Type")),
        // Legacy Trivy writes a clean scan as `null`.
        Kind::Text => shape.text.trim_end() == "null",
        _ => false,
    }
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    let mut parse = stream::Parse::new(sink);
    let mut json = serde_json::Deserializer::from_str(&text);

    let outcome = stream::Report(&mut parse).deserialize(&mut json).and_then(|()| json.end());
    if let Err(error) = outcome {
        return Err(match parse.failure.take() {
            Some(failure) => failure,
            None if error.classify() == Category::Io => json::io_error(error.into(), limits),
            None => json::classify(error, NAME, parse.path.take().unwrap_or_default()),
        });
    }
    parse.finish()
}
