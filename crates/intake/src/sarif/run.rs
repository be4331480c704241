//! What a run says about itself, and the lookups its results need: rules by
//! index or id in the driver and in extensions, artifact URIs by index, and
//! taxonomy names.

use std::collections::HashMap;

use fixgate_domain::RunInfo;

use super::convert::RuleFacts;
use super::model::{
    Artifact, AutomationDetails, ComponentReference, MultiformatText, Rule, SarifResult, Taxonomy,
    Tool, ToolComponent, VersionControl,
};
use super::text::non_blank;

/// One run, as far as it has been read.
#[derive(Debug, Default)]
pub(crate) struct RunContext {
    pub index: usize,
    tool: Option<Tool>,
    /// Rule positions by id; slot 0 is the driver, slot `n + 1` extension `n`.
    rule_ids: Vec<HashMap<String, usize>>,
    /// What each rule gives its findings, by slot and position.
    rule_facts: Vec<Vec<RuleFacts>>,
    pub artifacts: Vec<Option<String>>,
    pub taxonomies: Vec<Option<String>>,
    pub automation: Option<AutomationDetails>,
    pub version_control: Option<VersionControl>,
    /// The run had a `results` array, even an empty one: it is a scan.
    pub results_read: bool,
}

/// A result's rule, the tool component that defines it, and what the rule
/// gives each of its findings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResolvedRule<'a> {
    pub rule: &'a Rule,
    pub component: &'a ToolComponent,
    pub facts: &'a RuleFacts,
}

impl<'a> ResolvedRule<'a> {
    /// A message template by id: the rule's own, then the component's.
    pub fn template(self, id: &str) -> Option<&'a MultiformatText> {
        self.rule.message_strings.get(id).or_else(|| self.component.global_message_strings.get(id))
    }
}

impl RunContext {
    pub fn new(index: usize) -> RunContext {
        RunContext { index, ..RunContext::default() }
    }

    /// Whether `tool` was read: results that come before it wait for it.
    pub fn has_tool(&self) -> bool {
        self.tool.is_some()
    }

    pub fn set_tool(&mut self, tool: Tool) {
        let components = || std::iter::once(&tool.driver).chain(&tool.extensions);
        self.rule_ids = components().map(|component| ids_of(&component.rules)).collect();
        self.rule_facts =
            components().map(|c| c.rules.iter().map(RuleFacts::of).collect()).collect();
        self.tool = Some(tool);
    }

    pub fn set_artifacts(&mut self, artifacts: Vec<Artifact>) {
        self.artifacts = artifacts.into_iter().map(|a| a.location.and_then(|l| l.uri)).collect();
    }

    pub fn set_taxonomies(&mut self, taxonomies: Vec<Taxonomy>) {
        self.taxonomies = taxonomies.into_iter().map(|t| t.name).collect();
    }

    /// The driver's name: the tool every finding of the run names.
    pub fn tool_name(&self) -> &str {
        self.driver().and_then(|d| d.name.as_deref()).unwrap_or("")
    }

    /// Whether a taxonomy reference points at CWE, by name or by its index
    /// into `run.taxonomies`.
    pub fn is_cwe(&self, component: Option<&ComponentReference>) -> bool {
        let Some(component) = component else {
            return false;
        };
        let name = component.name.as_deref().or_else(|| {
            let index = usize::try_from(component.index?).ok()?;
            self.taxonomies.get(index)?.as_deref()
        });
        name.is_some_and(|n| n.trim().eq_ignore_ascii_case("cwe"))
    }

    /// What the run says about itself, for [`crate::Sink::run`].
    pub fn info(&self) -> RunInfo {
        let driver = self.driver();
        let control = self.version_control.as_ref();
        let owned =
            |value: Option<&String>| non_blank(value.map(String::as_str)).map(str::to_string);
        RunInfo {
            tool: self.tool_name().to_string(),
            tool_version: owned(driver.and_then(|d| d.version.as_ref()))
                .or_else(|| owned(driver.and_then(|d| d.semantic_version.as_ref()))),
            repository: owned(control.and_then(|c| c.repository_uri.as_ref())),
            commit: owned(control.and_then(|c| c.revision_id.as_ref())),
            branch: owned(control.and_then(|c| c.branch.as_ref())),
            category: self.automation.as_ref().and_then(|a| category(a.id.as_deref()?)),
            // SARIF: `results` "must be present (but may be empty) if a log
            // file represents an actual scan"; absent or null, the run is
            // rules metadata or a tool that did not finish.
            partial: !self.results_read,
        }
    }

    /// The rule a result refers to: through `ruleIndex` / `rule.index`, else
    /// `ruleId` / `rule.id` (falling back along a hierarchical id such as
    /// `C2001/1`), in the component `rule.toolComponent` names, else the
    /// driver. A rule id the driver lacks is looked up in the extensions too.
    pub fn resolve(&self, result: &SarifResult) -> Option<ResolvedRule<'_>> {
        let reference = result.rule.as_ref();
        let named = reference.and_then(|r| r.tool_component.as_ref());
        let slot = match named {
            Some(component) => self.slot_of(component)?,
            None => 0,
        };
        let index = result.rule_index.or(reference.and_then(|r| r.index));
        let id = non_blank(result.rule_id.as_deref())
            .or_else(|| non_blank(reference.and_then(|r| r.id.as_deref())));

        let by_index = index.and_then(|i| self.rule_at(slot, usize::try_from(i).ok()?));
        by_index.or_else(|| self.rule_by_id(slot, id?)).or_else(|| match named {
            None => (1..self.rule_ids.len()).find_map(|s| self.rule_by_id(s, id?)),
            Some(_) => None,
        })
    }

    fn driver(&self) -> Option<&ToolComponent> {
        self.tool.as_ref().map(|t| &t.driver)
    }

    fn component(&self, slot: usize) -> Option<&ToolComponent> {
        let tool = self.tool.as_ref()?;
        match slot.checked_sub(1) {
            None => Some(&tool.driver),
            Some(extension) => tool.extensions.get(extension),
        }
    }

    /// The slot of a `toolComponent` reference: `index` points into
    /// `tool.extensions`; `name` matches the driver or an extension.
    fn slot_of(&self, reference: &ComponentReference) -> Option<usize> {
        let tool = self.tool.as_ref()?;
        if let Some(index) = reference.index.and_then(|i| usize::try_from(i).ok()) {
            return (index < tool.extensions.len()).then_some(index + 1);
        }
        let name = reference.name.as_deref()?;
        std::iter::once(&tool.driver)
            .chain(&tool.extensions)
            .position(|component| component.name.as_deref() == Some(name))
    }

    fn rule_at(&self, slot: usize, index: usize) -> Option<ResolvedRule<'_>> {
        let component = self.component(slot)?;
        Some(ResolvedRule {
            rule: component.rules.get(index)?,
            component,
            facts: self.rule_facts.get(slot)?.get(index)?,
        })
    }

    fn rule_by_id(&self, slot: usize, id: &str) -> Option<ResolvedRule<'_>> {
        let ids = self.rule_ids.get(slot)?;
        let mut candidate = id;
        loop {
            if let Some(&index) = ids.get(candidate) {
                return self.rule_at(slot, index);
            }
            candidate = candidate.get(..candidate.rfind('/')?)?;
        }
    }
}

fn ids_of(rules: &[Rule]) -> HashMap<String, usize> {
    let mut ids = HashMap::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        if let Some(id) = rule.id.as_ref() {
            ids.entry(id.clone()).or_insert(index);
        }
    }
    ids
}

/// The category in `automationDetails.id`, as GitHub reads it: everything up
/// to and including the last `/`, which drops the run instance
/// (`my-analysis/linux/2024-01-01` is category `my-analysis/linux/`). An id
/// without `/` is all category.
pub(crate) fn category(id: &str) -> Option<String> {
    let id = id.trim();
    let category = match id.rfind('/') {
        Some(slash) => id.get(..=slash).unwrap_or(id),
        None => id,
    };
    (!category.is_empty()).then(|| category.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_drops_the_run_instance() {
        assert_eq!(category("my-analysis/linux/2024-01-01").as_deref(), Some("my-analysis/linux/"));
        assert_eq!(category("my-analysis/linux/").as_deref(), Some("my-analysis/linux/"));
        assert_eq!(category("nightly").as_deref(), Some("nightly"));
        assert_eq!(category("  "), None);
    }
}
