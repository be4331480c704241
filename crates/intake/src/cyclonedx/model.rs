//! Serde types that mirror a CycloneDX JSON BOM, only the parts fixgate
//! reads. The XML reader converts its own types into these, so the
//! conversion into findings is written once.

use serde::Deserialize;

use crate::lenient::{Cwe, or_default, score};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bom {
    pub bom_format: Option<String>,
    pub metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "or_default")]
    pub components: Vec<Component>,
    #[serde(default, deserialize_with = "or_default")]
    pub vulnerabilities: Vec<Vulnerability>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Metadata {
    pub tools: Option<Tools>,
    pub component: Option<Component>,
}

/// A list of tools (spec 1.4), or tools as components and services (1.5+).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Tools {
    List(Vec<Tool>),
    Grouped {
        #[serde(default, deserialize_with = "or_default")]
        components: Vec<Tool>,
        #[serde(default, deserialize_with = "or_default")]
        services: Vec<Tool>,
    },
    /// Anything else names no tool, but does not make the BOM unreadable.
    Other(serde::de::IgnoredAny),
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Tool {
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Component {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub purl: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub components: Vec<Component>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Vulnerability {
    pub id: Option<String>,
    pub source: Option<Source>,
    /// The same vulnerability in other databases (aliases).
    #[serde(default, deserialize_with = "or_default")]
    pub references: Vec<Alias>,
    #[serde(default, deserialize_with = "or_default")]
    pub ratings: Vec<Rating>,
    #[serde(default, deserialize_with = "or_default")]
    pub cwes: Vec<Cwe>,
    pub description: Option<String>,
    pub detail: Option<String>,
    pub recommendation: Option<String>,
    pub workaround: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub advisories: Vec<Advisory>,
    pub analysis: Option<Analysis>,
    #[serde(default, deserialize_with = "or_default")]
    pub affects: Vec<Affects>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Source {
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Alias {
    pub id: Option<String>,
    pub source: Option<Source>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Rating {
    #[serde(default, deserialize_with = "score")]
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Advisory {
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Analysis {
    pub state: Option<String>,
    pub justification: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub response: Vec<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Affects {
    #[serde(rename = "ref")]
    pub target: Option<String>,
}
