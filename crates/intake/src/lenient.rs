//! Lenient readers for fields whose type tools do not keep to: rule
//! metadata that each rule's author writes as they like, numbers that APIs
//! write as text. A field of an odd type gives nothing rather than failing
//! the whole report.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::common::non_blank;

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
