//! CycloneDX XML: serde types that mirror the XML schema (spec 1.4 to 1.6,
//! and the vulnerability extension `http://cyclonedx.org/schema/ext/vulnerability/1.0`
//! that BOMs of spec 1.0 to 1.3 carry), converted into the JSON model.
//!
//! Element names are matched without their namespace prefix, so `v:id` of
//! the extension reads like `id`. In the extension a vulnerability sits
//! either inside the component it affects or in the BOM's own list with a
//! `ref` attribute naming the component's `bom-ref`; its score is a `base`
//! element, its advisories are bare URLs and its recommendations a list.

use serde::Deserialize;

use super::model;
use crate::ids;
use crate::lenient::Cwe;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Bom {
    metadata: Option<Metadata>,
    components: Option<Components>,
    vulnerabilities: Option<Vulnerabilities>,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    tools: Option<Tools>,
    component: Option<Component>,
}

/// `tool` elements (spec 1.4), or `components` (1.5+).
#[derive(Debug, Default, Deserialize)]
struct Tools {
    #[serde(default)]
    tool: Vec<model::Tool>,
    components: Option<Components>,
}

#[derive(Debug, Default, Deserialize)]
struct Components {
    #[serde(default)]
    component: Vec<Component>,
}

#[derive(Debug, Default, Deserialize)]
struct Component {
    #[serde(rename = "@bom-ref")]
    bom_ref: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    components: Option<Components>,
    /// The vulnerability extension's vulnerabilities of this component.
    vulnerabilities: Option<Vulnerabilities>,
}

#[derive(Debug, Default, Deserialize)]
struct Vulnerabilities {
    #[serde(default)]
    vulnerability: Vec<Vulnerability>,
}

#[derive(Debug, Default, Deserialize)]
struct Vulnerability {
    /// The extension's reference to the affected component.
    #[serde(rename = "@ref")]
    target: Option<String>,
    id: Option<String>,
    source: Option<Source>,
    references: Option<Aliases>,
    ratings: Option<Ratings>,
    cwes: Option<Cwes>,
    description: Option<String>,
    detail: Option<String>,
    recommendation: Option<String>,
    recommendations: Option<Recommendations>,
    workaround: Option<String>,
    advisories: Option<Advisories>,
    analysis: Option<Analysis>,
    affects: Option<Affects>,
}

#[derive(Debug, Default, Deserialize)]
struct Source {
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Aliases {
    #[serde(default)]
    reference: Vec<Alias>,
}

#[derive(Debug, Default, Deserialize)]
struct Alias {
    id: Option<String>,
    source: Option<Source>,
}

#[derive(Debug, Default, Deserialize)]
struct Ratings {
    #[serde(default)]
    rating: Vec<Rating>,
}

#[derive(Debug, Default, Deserialize)]
struct Rating {
    score: Option<Score>,
    severity: Option<String>,
    method: Option<String>,
    vector: Option<String>,
}

/// `<score>9.8</score>`, or the extension's `<score><base>9.8</base>...`.
#[derive(Debug, Default, Deserialize)]
struct Score {
    #[serde(rename = "$text")]
    value: Option<String>,
    base: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Cwes {
    #[serde(default)]
    cwe: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Recommendations {
    #[serde(default)]
    recommendation: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Advisories {
    #[serde(default)]
    advisory: Vec<Advisory>,
}

/// `<advisory><url>...</url></advisory>`, or the extension's bare URL.
#[derive(Debug, Default, Deserialize)]
struct Advisory {
    #[serde(rename = "$text")]
    text: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Analysis {
    state: Option<String>,
    justification: Option<String>,
    responses: Option<Responses>,
    detail: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Responses {
    #[serde(default)]
    response: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Affects {
    #[serde(default)]
    target: Vec<Target>,
}

#[derive(Debug, Default, Deserialize)]
struct Target {
    #[serde(rename = "ref")]
    target: Option<String>,
}

impl Bom {
    /// The BOM in the JSON model. Extension vulnerabilities nested in a
    /// component without a `bom-ref` get a reference made up for them, which
    /// no real `bom-ref` can equal (it starts with a control character).
    pub fn into_model(self) -> model::Bom {
        let mut vulnerabilities = Vec::new();
        let mut made_up = 0;
        let mut take_nested = |component: &mut Component, out: &mut Vec<model::Vulnerability>| {
            let Some(nested) = component.vulnerabilities.take() else { return };
            let bom_ref = component.bom_ref.get_or_insert_with(|| {
                made_up += 1;
                format!("\u{1}nested-{made_up}")
            });
            for vulnerability in nested.vulnerability {
                out.push(vulnerability.into_model(Some(bom_ref.clone())));
            }
        };
        let metadata = self.metadata.unwrap_or_default();
        let mut components = self.components.map(|c| c.component).unwrap_or_default();
        for component in &mut components {
            visit(component, &mut |c| take_nested(c, &mut vulnerabilities));
        }
        for vulnerability in self.vulnerabilities.map(|v| v.vulnerability).unwrap_or_default() {
            let target = vulnerability.target.clone();
            vulnerabilities.push(vulnerability.into_model(target));
        }

        model::Bom {
            bom_format: Some("CycloneDX".into()),
            metadata: Some(model::Metadata {
                tools: metadata.tools.map(Tools::into_model),
                component: metadata.component.map(Component::into_model),
            }),
            components: components.into_iter().map(Component::into_model).collect(),
            vulnerabilities,
        }
    }
}

/// Calls `each` on `component` and every component nested in it.
fn visit(component: &mut Component, each: &mut dyn FnMut(&mut Component)) {
    each(component);
    for nested in component.components.iter_mut().flat_map(|c| c.component.iter_mut()) {
        visit(nested, each);
    }
}

impl Tools {
    fn into_model(self) -> model::Tools {
        let mut tools = self.tool;
        for component in self.components.map(|c| c.component).unwrap_or_default() {
            tools.push(model::Tool { name: component.name, version: component.version });
        }
        model::Tools::List(tools)
    }
}

impl Component {
    fn into_model(self) -> model::Component {
        model::Component {
            bom_ref: self.bom_ref,
            group: self.group,
            name: self.name,
            version: self.version,
            purl: self.purl,
            components: self
                .components
                .map(|c| c.component.into_iter().map(Component::into_model).collect())
                .unwrap_or_default(),
        }
    }
}

impl Vulnerability {
    /// The vulnerability in the JSON model; `extension_target` is the
    /// component an extension vulnerability affects.
    fn into_model(self, extension_target: Option<String>) -> model::Vulnerability {
        let mut affects: Vec<model::Affects> = self
            .affects
            .map(|a| a.target)
            .unwrap_or_default()
            .into_iter()
            .map(|t| model::Affects { target: t.target })
            .collect();
        if affects.is_empty() && extension_target.is_some() {
            affects.push(model::Affects { target: extension_target });
        }
        let recommendations = self.recommendations.map(|r| r.recommendation).unwrap_or_default();
        let recommendation = self.recommendation.or_else(|| {
            let joined: Vec<&str> =
                recommendations.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
            (!joined.is_empty()).then(|| joined.join("\n"))
        });

        model::Vulnerability {
            id: self.id,
            source: self.source.map(Source::into_model),
            references: self
                .references
                .map(|r| r.reference)
                .unwrap_or_default()
                .into_iter()
                .map(|a| model::Alias { id: a.id, source: a.source.map(Source::into_model) })
                .collect(),
            ratings: self
                .ratings
                .map(|r| r.rating)
                .unwrap_or_default()
                .into_iter()
                .map(Rating::into_model)
                .collect(),
            cwes: self
                .cwes
                .map(|c| c.cwe)
                .unwrap_or_default()
                .iter()
                .map(|cwe| Cwe(ids::cwe_number(cwe)))
                .collect(),
            description: self.description,
            detail: self.detail,
            recommendation,
            workaround: self.workaround,
            advisories: self
                .advisories
                .map(|a| a.advisory)
                .unwrap_or_default()
                .into_iter()
                .map(|a| model::Advisory { url: a.url.or(a.text) })
                .collect(),
            analysis: self.analysis.map(|a| model::Analysis {
                state: a.state,
                justification: a.justification,
                response: a.responses.map(|r| r.response).unwrap_or_default(),
                detail: a.detail,
            }),
            affects,
        }
    }
}

impl Source {
    fn into_model(self) -> model::Source {
        model::Source { url: self.url }
    }
}

impl Rating {
    fn into_model(self) -> model::Rating {
        model::Rating {
            score: self
                .score
                .and_then(|s| number(s.value.as_deref()).or(number(s.base.as_deref()))),
            severity: self.severity,
            method: self.method,
            vector: self.vector,
        }
    }
}

/// A number written as element text; `None` when blank or not a number.
fn number(text: Option<&str>) -> Option<f64> {
    text?.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}
