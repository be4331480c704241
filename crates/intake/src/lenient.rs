//! Serde helpers for fields that tools write in more than one way: a list
//! that may be `null`, a score written as a number or as text, a CWE written
//! as `79` or `"CWE-79"`, rule metadata each rule's author writes as they
//! like. A field of an odd type gives nothing rather than failing the report.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::common::non_blank;
use crate::ids;

/// A value that may be `null`, read as its default (an empty list).
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A field that may be `null` but must be there: `Some(None)` for `null`,
/// and, with `#[serde(default)]`, `None` when the key is missing.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A number written as a number or as text (`9.8`, `"9.8"`); blank text,
/// text that is no number and `null` are `None`.
pub(crate) fn score<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_any(ScoreVisitor)
}

struct ScoreVisitor;

impl<'de> Visitor<'de> for ScoreVisitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Some(value).filter(|v| v.is_finite()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(value as f64))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(value as f64))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(value.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Free-form text (the `database_specific` of an OSV record): a string or
/// a number as text; an object, a list, a boolean or `null` is `None`.
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(TextVisitor)
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A list of CWEs in free-form data: a list, one CWE, or anything else as
/// no CWE.
pub(crate) fn cwes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Cwe>, D::Error> {
    deserializer.deserialize_any(CwesVisitor)
}

struct CwesVisitor;

impl<'de> Visitor<'de> for CwesVisitor {
    type Value = Vec<Cwe>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of CWEs")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(cwe) = seq.next_element::<Cwe>()? {
            out.push(cwe);
        }
        Ok(out)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(vec![Cwe(ids::cwe_number(value))])
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(vec![Cwe(u32::try_from(value).ok())])
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
}

/// A yes-or-no written as a boolean or as text (`true`, `"true"`); other
/// text and `null` are no.
pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    deserializer.deserialize_any(FlagVisitor)
}

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("true or false")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<bool, E> {
        Ok(value)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<bool, E> {
        Ok(value.trim().eq_ignore_ascii_case("true"))
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A CWE written as a number (`79`) or as text (`"CWE-79"`,
/// `"CWE-79: Improper ..."`), or an object with a `cweId`; `None` for text
/// that names no CWE (`NVD-CWE-noinfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cwe(pub Option<u32>);

impl<'de> Deserialize<'de> for Cwe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Cwe, D::Error> {
        deserializer.deserialize_any(CweVisitor).map(Cwe)
    }
}

struct CweVisitor;

impl<'de> Visitor<'de> for CweVisitor {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CWE number or id")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(u32::try_from(value).ok())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(u32::try_from(value).ok())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(ids::cwe_number(value))
    }

    /// An object such as OSV's `{"cweId": "CWE-506", "name": ...}`.
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if found.is_none() && matches!(key.as_str(), "cweId" | "cwe_id" | "id") {
                found = map.next_value::<Cwe>()?.0;
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A value read leniently: a text, a number, or a list of them
/// (nested lists flattened); objects, booleans and null give nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Texts(pub(crate) Vec<String>);

impl Texts {
    /// The first value that is not blank.
    pub(crate) fn first(&self) -> Option<String> {
        self.0.iter().find_map(|t| non_blank(Some(t)))
    }
}

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Texts, D::Error> {
        deserializer.deserialize_any(TextsVisitor)
    }
}

struct TextsVisitor;

impl<'de> Visitor<'de> for TextsVisitor {
    type Value = Texts;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a text, a number or a list of them")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Texts, E> {
        Ok(Texts(non_blank(Some(value)).into_iter().collect()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Texts, E> {
        Ok(Texts(vec![value.to_string()]))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Texts, E> {
        Ok(Texts(vec![value.to_string()]))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Texts, E> {
        Ok(Texts(vec![value.to_string()]))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Texts, E> {
        Ok(Texts::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Texts, E> {
        Ok(Texts::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Texts, E> {
        Ok(Texts::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
        let mut all = Vec::new();
        while let Some(Texts(more)) = seq.next_element()? {
            all.extend(more);
        }
        Ok(Texts(all))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Texts, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Texts::default())
    }
}

/// A line or column written as a number or as text (`12`, `"12"`); `0`,
/// blank text and anything else mean none.
pub(crate) fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let texts = Texts::deserialize(deserializer)?;
    Ok(texts.0.first().and_then(|t| t.trim().parse::<u32>().ok()).filter(|n| *n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Item {
        #[serde(default, deserialize_with = "score")]
        score: Option<f64>,
        #[serde(default, deserialize_with = "or_default")]
        cwes: Vec<Cwe>,
        #[serde(default, deserialize_with = "flag")]
        matched: bool,
        #[serde(default, deserialize_with = "text")]
        note: Option<String>,
        #[serde(default, deserialize_with = "cwes")]
        free_cwes: Vec<Cwe>,
    }

    fn item(text: &str) -> Item {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn scores_come_as_numbers_or_text() {
        assert_eq!(item(r#"{"score": 9.8}"#).score, Some(9.8));
        assert_eq!(item(r#"{"score": 10}"#).score, Some(10.0));
        assert_eq!(item(r#"{"score": "7.5"}"#).score, Some(7.5));
        assert_eq!(item(r#"{"score": ""}"#).score, None);
        assert_eq!(item(r#"{"score": null}"#).score, None);
        assert_eq!(item("{}").score, None);
        assert!(serde_json::from_str::<Item>(r#"{"score": [1]}"#).is_err());
    }

    #[test]
    fn free_form_data_never_fails_the_report() {
        assert_eq!(item(r#"{"note": "HIGH"}"#).note.as_deref(), Some("HIGH"));
        assert_eq!(item(r#"{"note": 7.5}"#).note.as_deref(), Some("7.5"));
        assert_eq!(item(r#"{"note": {"a": [1]}}"#).note, None);
        assert_eq!(item(r#"{"note": [1, 2]}"#).note, None);
        let numbers = |text: &str| item(text).free_cwes.iter().map(|c| c.0).collect::<Vec<_>>();
        assert_eq!(
            numbers(r#"{"free_cwes": ["CWE-79", {"cweId": "CWE-1"}, 20]}"#),
            [Some(79), Some(1), Some(20)]
        );
        assert_eq!(numbers(r#"{"free_cwes": "CWE-89"}"#), [Some(89)]);
        assert!(numbers(r#"{"free_cwes": {"x": 1}}"#).is_empty());
        assert!(numbers(r#"{"free_cwes": true}"#).is_empty());
    }

    #[test]
    fn flags_come_as_booleans_or_text() {
        assert!(item(r#"{"matched": true}"#).matched);
        assert!(item(r#"{"matched": "TRUE"}"#).matched);
        assert!(!item(r#"{"matched": "no"}"#).matched);
        assert!(!item(r#"{"matched": null}"#).matched);
        assert!(!item("{}").matched);
    }

    #[test]
    fn cwes_come_as_numbers_or_ids() {
        let cwes = item(r#"{"cwes": [79, "CWE-400", "CWE-89: SQL injection", "NVD-CWE-noinfo"]}"#);
        let numbers: Vec<Option<u32>> = cwes.cwes.iter().map(|c| c.0).collect();
        assert_eq!(numbers, [Some(79), Some(400), Some(89), None]);
        assert!(item(r#"{"cwes": null}"#).cwes.is_empty());
    }
}

#[cfg(test)]
mod texts_tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Item {
        #[serde(default)]
        texts: Texts,
        #[serde(default, deserialize_with = "number")]
        line: Option<u32>,
    }

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn texts_take_a_text_a_number_or_lists_of_them() {
        assert_eq!(item(r#"{"texts": "CWE-79"}"#).texts.0, ["CWE-79"]);
        assert_eq!(item(r#"{"texts": ["a", 7, ["b"], " "]}"#).texts.0, ["a", "7", "b"]);
        assert!(item(r#"{"texts": {"x": [1]}}"#).texts.0.is_empty());
        assert!(item(r#"{"texts": null}"#).texts.0.is_empty());
        assert_eq!(item(r#"{"texts": [" ", "b"]}"#).texts.first().as_deref(), Some("b"));
    }

    #[test]
    fn numbers_may_be_written_as_text() {
        assert_eq!(item(r#"{"line": 12}"#).line, Some(12));
        assert_eq!(item(r#"{"line": "12"}"#).line, Some(12));
        assert_eq!(item(r#"{"line": "0"}"#).line, None);
        assert_eq!(item(r#"{"line": "12-14"}"#).line, None);
        assert_eq!(item(r#"{"line": null}"#).line, None);
        assert_eq!(item("{}").line, None);
    }
}
