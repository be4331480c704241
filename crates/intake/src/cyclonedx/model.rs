//! Serde types that mirror a CycloneDX JSON BOM, only the parts fixgate
//! reads. The XML reader converts its own types into these, so the
//! conversion into findings is written once. Text is borrowed from the
//! report wherever it needs no unescaping.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::lenient::{Cwe, or_default, score};

/// A string of the report: a slice of its text, or an owned copy when the
/// JSON escaped or the XML encoded something in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(super) struct Text<'a>(pub Cow<'a, str>);

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // What serde says for a `String`, so errors read as they always did.
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(value.to_string())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(value)))
    }
}

/// The top-level properties are walked one by one (`stream`); only the
/// metadata is read whole.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Metadata<'a> {
    pub tools: Option<Tools>,
    #[serde(borrow)]
    pub component: Option<Component<'a>>,
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

/// `components`: a list, or `null` for none.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(super) struct Components<'a>(
    #[serde(borrow, deserialize_with = "or_default")] pub Vec<Component<'a>>,
);

#[derive(Debug, Default, Deserialize)]
pub(super) struct Component<'a> {
    #[serde(rename = "bom-ref", borrow)]
    pub bom_ref: Option<Text<'a>>,
    #[serde(borrow)]
    pub group: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub version: Option<Text<'a>>,
    #[serde(borrow)]
    pub purl: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "or_default")]
    pub components: Vec<Component<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Vulnerability<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub source: Option<Source<'a>>,
    /// The same vulnerability in other databases (aliases).
    #[serde(default, borrow, deserialize_with = "or_default")]
    pub references: Vec<Alias<'a>>,
    #[serde(default, borrow, deserialize_with = "or_default")]
    pub ratings: Vec<Rating<'a>>,
    #[serde(default, deserialize_with = "or_default")]
    pub cwes: Vec<Cwe>,
    #[serde(borrow)]
    pub description: Option<Text<'a>>,
    #[serde(borrow)]
    pub detail: Option<Text<'a>>,
    #[serde(borrow)]
    pub recommendation: Option<Text<'a>>,
    #[serde(borrow)]
    pub workaround: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "or_default")]
    pub advisories: Vec<Advisory<'a>>,
    #[serde(borrow)]
    pub analysis: Option<Analysis<'a>>,
    #[serde(default, borrow, deserialize_with = "or_default")]
    pub affects: Vec<Affects<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Source<'a> {
    #[serde(borrow)]
    pub url: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Alias<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub source: Option<Source<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Rating<'a> {
    #[serde(default, deserialize_with = "score")]
    pub score: Option<f64>,
    #[serde(borrow)]
    pub severity: Option<Text<'a>>,
    #[serde(borrow)]
    pub method: Option<Text<'a>>,
    #[serde(borrow)]
    pub vector: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Advisory<'a> {
    #[serde(borrow)]
    pub url: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Analysis<'a> {
    #[serde(borrow)]
    pub state: Option<Text<'a>>,
    #[serde(borrow)]
    pub justification: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "or_default")]
    pub response: Vec<Text<'a>>,
    #[serde(borrow)]
    pub detail: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Affects<'a> {
    #[serde(rename = "ref", borrow)]
    pub target: Option<Text<'a>>,
}
