//! Serde types that mirror SARIF 2.1.0, as far as fixgate reads it.
//!
//! They only validate shapes: every property is optional, `null` counts as
//! absent, and properties fixgate does not use are skipped, since SARIF is
//! extensible and tools add their own. Numbers that SARIF bounds (lines,
//! indexes) are read as `i64` so an out-of-range value is dropped by the
//! conversion instead of failing the report. The run and the top-level log
//! are not here: they are streamed by [`super::stream`].

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A property bag (`properties`): free-form, as the tool wrote it.
pub(crate) type Properties = Map<String, Value>;

/// `null` reads as the type's default, as an absent property does.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// `run.tool`: the driver and its extensions (CodeQL keeps rules in packs).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Tool {
    #[serde(deserialize_with = "nullable")]
    pub driver: ToolComponent,
    #[serde(deserialize_with = "nullable")]
    pub extensions: Vec<ToolComponent>,
}

/// `toolComponent`: a driver or an extension.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ToolComponent {
    pub name: Option<String>,
    pub version: Option<String>,
    pub semantic_version: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub rules: Vec<Rule>,
    #[serde(deserialize_with = "nullable")]
    pub global_message_strings: BTreeMap<String, MultiformatText>,
}

/// `reportingDescriptor`: a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Rule {
    pub id: Option<String>,
    pub name: Option<String>,
    pub short_description: Option<MultiformatText>,
    pub full_description: Option<MultiformatText>,
    pub help: Option<MultiformatText>,
    pub help_uri: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub message_strings: BTreeMap<String, MultiformatText>,
    pub default_configuration: Option<Configuration>,
    #[serde(deserialize_with = "nullable")]
    pub relationships: Vec<Relationship>,
    #[serde(deserialize_with = "nullable")]
    pub properties: Properties,
}

/// `multiformatMessageString`: a text with an optional Markdown form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MultiformatText {
    pub text: Option<String>,
    pub markdown: Option<String>,
}

/// `reportingConfiguration`: a rule's defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Configuration {
    pub level: Option<String>,
    pub rank: Option<f64>,
}

/// `reportingDescriptorRelationship`, such as a rule's link to a CWE.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Relationship {
    pub target: Option<DescriptorReference>,
}

/// `reportingDescriptorReference`: points at a rule or a taxon.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DescriptorReference {
    pub id: Option<String>,
    pub index: Option<i64>,
    pub tool_component: Option<ComponentReference>,
}

/// `toolComponentReference`: a driver, extension or taxonomy, by name or index.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ComponentReference {
    pub name: Option<String>,
    pub index: Option<i64>,
}

/// `result`: one thing the tool reports.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct SarifResult {
    pub rule_id: Option<String>,
    pub rule_index: Option<i64>,
    pub rule: Option<DescriptorReference>,
    pub kind: Option<String>,
    pub level: Option<String>,
    pub rank: Option<f64>,
    pub baseline_state: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub message: Message,
    #[serde(deserialize_with = "nullable")]
    pub locations: Vec<SarifLocation>,
    #[serde(deserialize_with = "nullable")]
    pub code_flows: Vec<CodeFlow>,
    #[serde(deserialize_with = "nullable")]
    pub fingerprints: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub partial_fingerprints: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub suppressions: Vec<SarifSuppression>,
    #[serde(deserialize_with = "nullable")]
    pub fixes: Vec<Fix>,
    #[serde(deserialize_with = "nullable")]
    pub taxa: Vec<DescriptorReference>,
    #[serde(deserialize_with = "nullable")]
    pub properties: Properties,
}

/// `message`: a text, or a template id with arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Message {
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub id: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub arguments: Vec<String>,
}

/// `location`: a physical place, logical places, or both.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct SarifLocation {
    pub physical_location: Option<PhysicalLocation>,
    #[serde(deserialize_with = "nullable")]
    pub logical_locations: Vec<LogicalLocation>,
    pub message: Option<Message>,
}

/// `physicalLocation`: a file and a region in it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PhysicalLocation {
    pub artifact_location: Option<ArtifactLocation>,
    pub region: Option<Region>,
    pub context_region: Option<Region>,
}

/// `artifactLocation`: a URI, or an index into `run.artifacts`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ArtifactLocation {
    pub uri: Option<String>,
    pub index: Option<i64>,
}

/// `region`: lines and columns are 1-based.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Region {
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub start_column: Option<i64>,
    pub end_column: Option<i64>,
    pub snippet: Option<ArtifactContent>,
}

/// `artifactContent`: the flagged code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ArtifactContent {
    pub text: Option<String>,
}

/// `logicalLocation`: a function, class or other named place.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct LogicalLocation {
    pub name: Option<String>,
    pub fully_qualified_name: Option<String>,
}

/// `codeFlow`: the paths through the code that lead to a result.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct CodeFlow {
    #[serde(deserialize_with = "nullable")]
    pub thread_flows: Vec<ThreadFlow>,
}

/// `threadFlow`: one thread's steps.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ThreadFlow {
    #[serde(deserialize_with = "nullable")]
    pub locations: Vec<ThreadFlowLocation>,
}

/// `threadFlowLocation`: one step.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ThreadFlowLocation {
    pub location: Option<SarifLocation>,
}

/// `suppression`: why a result is not to be acted on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SarifSuppression {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub justification: Option<String>,
}

/// `fix`: a proposed change; fixgate keeps only its description.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Fix {
    pub description: Option<Message>,
}

/// `artifact`: fixgate keeps only its location, for `artifactLocation.index`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Artifact {
    pub location: Option<ArtifactLocation>,
}

/// `runAutomationDetails`: `id` carries the category.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AutomationDetails {
    pub id: Option<String>,
}

/// `versionControlDetails`: where the scanned code came from.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct VersionControl {
    pub repository_uri: Option<String>,
    pub revision_id: Option<String>,
    pub branch: Option<String>,
}

/// A taxonomy of `run.taxonomies`; fixgate needs only its name, to tell
/// which `toolComponent.index` means CWE.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Taxonomy {
    pub name: Option<String>,
}
