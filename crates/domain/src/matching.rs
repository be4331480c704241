//! Matching the findings of a report to findings seen before, layer by
//! layer, strongest first:
//!
//! 1. **tool**: fixgate's fingerprint, which is built from the tool's own
//!    fingerprints when the report gives them (see [`crate::fingerprint`]);
//! 2. **content**: the tool family, the rule, the file and the flagged code
//!    (or the message with its numbers masked), which survives code moving
//!    up or down and a tool that changes its fingerprint scheme;
//! 3. **location**: the tool family, the rule and the file, with the line
//!    within [`LINE_WINDOW`] lines, for reports that carry nothing else
//!    stable (a tool that left out the snippet this time, say).
//!
//! Each earlier finding is matched at most once. Exact layers are settled
//! first for the whole report, so a weak location match never takes a
//! finding that a later result of the report matches exactly.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Finding, Fingerprint};

/// How far, in lines, a finding may have moved for the location layer to
/// call it the same.
pub const LINE_WINDOW: u32 = 3;

/// Which layer of identity matched a finding to an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchLayer {
    Tool,
    Content,
    Location,
}

impl MatchLayer {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchLayer::Tool => "tool",
            MatchLayer::Content => "content",
            MatchLayer::Location => "location",
        }
    }
}

impl fmt::Display for MatchLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the location layer compares: tool family, rule and file.
pub type Place = (String, String, String);

/// The keys of one earlier finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub fingerprint: String,
    pub content: String,
    pub place: Option<Place>,
    pub line: Option<u32>,
}

impl Keys {
    pub fn of(finding: &Finding) -> Keys {
        Keys {
            fingerprint: finding.fingerprint.as_str().to_string(),
            content: Fingerprint::content(finding).as_str().to_string(),
            place: place_of(finding),
            line: finding.location.as_ref().and_then(|l| l.start_line),
        }
    }
}

/// The location layer's place of a finding: only code findings with a file.
pub fn place_of(finding: &Finding) -> Option<Place> {
    if finding.package.is_some() || finding.secret.is_some() {
        return None;
    }
    let path = finding.location.as_ref()?.path.as_deref()?;
    Some((tool_family(&finding.tool), finding.rule_id.clone(), path.to_string()))
}

/// `semgrep` for "Semgrep OSS": the first word of the tool's name, lowercased,
/// so editions and versions of one tool are one family.
pub fn tool_family(tool: &str) -> String {
    tool.split_whitespace().next().unwrap_or("").to_ascii_lowercase()
}

fn place_hash(place: &Place) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(place)
}

/// Earlier findings, indexed by each layer's key. `T` is what the caller
/// keeps per finding (a row id, a ticket).
#[derive(Debug)]
pub struct Matcher<T> {
    items: Vec<T>,
    claimed: Vec<bool>,
    by_fingerprint: HashMap<String, usize>,
    /// Content keys that differ from the fingerprint; several earlier
    /// findings may share one (repeats of a result in one file).
    by_content: HashMap<String, usize>,
    more_content: HashMap<usize, Vec<usize>>,
    /// By a hash of the place, to keep a large index small.
    by_place: HashMap<u64, Vec<(u32, usize)>>,
}

impl<T> Default for Matcher<T> {
    fn default() -> Matcher<T> {
        Matcher {
            items: Vec::new(),
            claimed: Vec::new(),
            by_fingerprint: HashMap::new(),
            by_content: HashMap::new(),
            more_content: HashMap::new(),
            by_place: HashMap::new(),
        }
    }
}

impl<T> Matcher<T> {
    pub fn with_capacity(capacity: usize) -> Matcher<T> {
        Matcher {
            items: Vec::with_capacity(capacity),
            claimed: Vec::with_capacity(capacity),
            by_fingerprint: HashMap::with_capacity(capacity),
            by_content: HashMap::with_capacity(capacity),
            more_content: HashMap::new(),
            by_place: HashMap::with_capacity(capacity),
        }
    }

    /// Adds an earlier finding; returns its index.
    pub fn insert(&mut self, keys: Keys, item: T) -> usize {
        let index = self.items.len();
        self.items.push(item);
        self.claimed.push(false);
        if keys.content != keys.fingerprint {
            match self.by_content.entry(keys.content) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    self.more_content.entry(*first.get()).or_default().push(index);
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(index);
                }
            }
        }
        // The fingerprint is also the content key of findings without tool
        // fingerprints.
        self.by_fingerprint.insert(keys.fingerprint, index);
        if let (Some(place), Some(line)) = (keys.place, keys.line) {
            self.by_place.entry(place_hash(&place)).or_default().push((line, index));
        }
        index
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.items.get(index)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.items.get_mut(index)
    }

    /// Whether a finding matched the earlier one at `index` in this pass.
    pub fn is_claimed(&self, index: usize) -> bool {
        self.claimed.get(index).copied().unwrap_or(false)
    }

    /// The earlier findings and whether this pass matched each.
    pub fn iter(&self) -> impl Iterator<Item = (&T, bool)> {
        self.items.iter().zip(self.claimed.iter().copied())
    }

    /// Matches by the exact layers (tool, then content) and claims the
    /// earlier finding.
    pub fn claim_exact(&mut self, keys: &Keys) -> Option<(usize, MatchLayer)> {
        if let Some(&index) = self.by_fingerprint.get(&keys.fingerprint)
            && !self.is_claimed(index)
        {
            self.claim(index);
            return Some((index, MatchLayer::Tool));
        }
        let first = self.by_content.get(&keys.content).copied();
        let more = first.and_then(|f| self.more_content.get(&f)).into_iter().flatten().copied();
        let candidates =
            first.into_iter().chain(more).chain(self.by_fingerprint.get(&keys.content).copied());
        for index in candidates.collect::<Vec<_>>() {
            if !self.is_claimed(index) {
                self.claim(index);
                return Some((index, MatchLayer::Content));
            }
        }
        None
    }

    /// Whether an unclaimed earlier finding lies within the line window of
    /// `keys`: such a finding may still be matched by location once the
    /// exact layers are done.
    pub fn has_near(&self, keys: &Keys) -> bool {
        self.nearest(keys).is_some()
    }

    /// Matches by location: the nearest unclaimed earlier finding of the same
    /// tool family, rule and file within the line window.
    pub fn claim_near(&mut self, keys: &Keys) -> Option<usize> {
        let index = self.nearest(keys)?;
        self.claim(index);
        Some(index)
    }

    fn nearest(&self, keys: &Keys) -> Option<usize> {
        let (place, line) = (keys.place.as_ref()?, keys.line?);
        self.by_place
            .get(&place_hash(place))?
            .iter()
            .filter(|(other, index)| {
                line.abs_diff(*other) <= LINE_WINDOW && !self.is_claimed(*index)
            })
            .min_by_key(|(other, index)| (line.abs_diff(*other), *index))
            .map(|(_, index)| *index)
    }

    fn claim(&mut self, index: usize) {
        if let Some(slot) = self.claimed.get_mut(index) {
            *slot = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Location, Severity};

    fn finding(
        rule: &str,
        path: &str,
        line: u32,
        snippet: Option<&str>,
        tool_fp: Option<&str>,
    ) -> Finding {
        let mut f = Finding::new("Bandit", rule, "title", Severity::High);
        f.message = "message".into();
        f.location = Some(Location {
            path: Some(path.into()),
            start_line: Some(line),
            snippet: snippet.map(str::to_string),
            ..Location::default()
        });
        if let Some(fp) = tool_fp {
            f.tool_fingerprints.insert("primaryLocationLineHash".into(), fp.into());
        }
        f.fingerprint = Fingerprint::of(&f);
        f
    }

    fn matcher(earlier: &[Finding]) -> Matcher<usize> {
        let mut m = Matcher::default();
        for (i, f) in earlier.iter().enumerate() {
            m.insert(Keys::of(f), i);
        }
        m
    }

    #[test]
    fn the_tool_layer_matches_first() {
        let mut m = matcher(&[finding("B1", "a.py", 10, Some("eval(x)"), Some("abc"))]);
        let moved = finding("B1", "a.py", 40, Some("eval(x)"), Some("abc"));
        assert_eq!(m.claim_exact(&Keys::of(&moved)), Some((0, MatchLayer::Tool)));
        assert_eq!(m.claim_exact(&Keys::of(&moved)), None, "each earlier finding matches once");
    }

    #[test]
    fn the_content_layer_survives_a_new_tool_fingerprint() {
        let mut m = matcher(&[finding("B1", "a.py", 10, Some("eval(x)"), Some("abc"))]);
        let rehashed = finding("B1", "a.py", 12, Some("  eval(x)"), Some("def"));
        assert_eq!(m.claim_exact(&Keys::of(&rehashed)), Some((0, MatchLayer::Content)));
    }

    #[test]
    fn the_location_layer_takes_a_nearby_line_of_the_same_rule_and_file() {
        let mut m = matcher(&[
            finding("B1", "a.py", 10, Some("eval(x)"), None),
            finding("B1", "a.py", 30, Some("eval(y)"), None),
        ]);
        let lost_snippet = finding("B1", "a.py", 12, None, None);
        assert_eq!(m.claim_exact(&Keys::of(&lost_snippet)), None);
        assert_eq!(m.claim_near(&Keys::of(&lost_snippet)), Some(0));
        let far = finding("B1", "a.py", 20, None, None);
        assert_eq!(m.claim_near(&Keys::of(&far)), None, "line 20 is more than 3 lines from 30");
        let other_rule = finding("B2", "a.py", 30, None, None);
        assert_eq!(m.claim_near(&Keys::of(&other_rule)), None);
    }

    #[test]
    fn tool_families_ignore_editions() {
        assert_eq!(tool_family("Semgrep OSS"), "semgrep");
        assert_eq!(tool_family("CodeQL"), "codeql");
    }
}
