//! What people add to a ticket as they work on it together: labels (short
//! free-form tags, compared without regard to case) and links between two
//! tickets (one blocks the other, duplicates it, or relates to it).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ticket::UnknownName;

/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// The most labels one ticket carries.
pub const MAX_LABELS_PER_TICKET: usize = 100;

/// A label as it is stored: trimmed, lower-case, 1 to 64 characters, with
/// no comma (filters separate labels with commas) and no control character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Label(String);

impl Label {
    /// Reads a label as a person typed it: `" Needs-Review "` is
    /// `needs-review`.
    pub fn parse(text: &str) -> Result<Label, LabelError> {
        let label = text.trim().to_lowercase();
        if label.is_empty() {
            return Err(LabelError::Empty);
        }
        let chars = label.chars().count();
        if chars > MAX_LABEL_CHARS {
            return Err(LabelError::TooLong { start: label.chars().take(20).collect(), chars });
        }
        if label.contains(',') {
            return Err(LabelError::Comma { label });
        }
        if label.chars().any(char::is_control) {
            return Err(LabelError::Control { label });
        }
        Ok(Label(label))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Label {
    type Err = LabelError;

    fn from_str(s: &str) -> Result<Label, LabelError> {
        Label::parse(s)
    }
}

/// Why a text is not a label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// Nothing but white space.
    #[error("a label cannot be empty")]
    Empty,
    /// Longer than [`MAX_LABEL_CHARS`].
    #[error("the label starting {start:?} has {chars} characters; a label has at most 64")]
    TooLong { start: String, chars: usize },
    /// A comma, which separates labels in filters.
    #[error("label {label:?} contains a comma, which separates labels in filters")]
    Comma { label: String },
    /// A control character (a line break, a tab, a NUL).
    #[error("label {label:?} contains a control character")]
    Control { label: String },
}

/// A link between two tickets, named from one of them: `SEC-1 blocks
/// SEC-9` is `SEC-9 blocked_by SEC-1` from the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Work on the other ticket waits for this one.
    Blocks,
    /// This ticket waits for the other.
    BlockedBy,
    /// This ticket is the same problem as the other, which is kept.
    DuplicateOf,
    /// The other ticket is the same problem as this one.
    DuplicatedBy,
    /// The two are related, in no particular direction.
    RelatesTo,
}

impl LinkKind {
    pub const ALL: [LinkKind; 5] = [
        LinkKind::Blocks,
        LinkKind::BlockedBy,
        LinkKind::DuplicateOf,
        LinkKind::DuplicatedBy,
        LinkKind::RelatesTo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Blocks => "blocks",
            LinkKind::BlockedBy => "blocked_by",
            LinkKind::DuplicateOf => "duplicate_of",
            LinkKind::DuplicatedBy => "duplicated_by",
            LinkKind::RelatesTo => "relates_to",
        }
    }

    /// `blocked by`, for sentences and pages.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Blocks => "blocks",
            LinkKind::BlockedBy => "blocked by",
            LinkKind::DuplicateOf => "duplicate of",
            LinkKind::DuplicatedBy => "duplicated by",
            LinkKind::RelatesTo => "relates to",
        }
    }

    /// The link as the middle of a sentence: `SEC-9 is blocked by SEC-1`.
    pub fn verb(self) -> &'static str {
        match self {
            LinkKind::Blocks => "blocks",
            LinkKind::BlockedBy => "is blocked by",
            LinkKind::DuplicateOf => "is a duplicate of",
            LinkKind::DuplicatedBy => "is duplicated by",
            LinkKind::RelatesTo => "relates to",
        }
    }

    /// The same link, named from the other ticket.
    pub fn inverse(self) -> LinkKind {
        match self {
            LinkKind::Blocks => LinkKind::BlockedBy,
            LinkKind::BlockedBy => LinkKind::Blocks,
            LinkKind::DuplicateOf => LinkKind::DuplicatedBy,
            LinkKind::DuplicatedBy => LinkKind::DuplicateOf,
            LinkKind::RelatesTo => LinkKind::RelatesTo,
        }
    }

    /// How the link is kept: only `blocks`, `duplicate_of` and
    /// `relates_to` are stored, from the ticket that holds them. `true`
    /// when this ticket is the other end of the stored link (the one a
    /// `blocked_by` names blocks this one).
    pub fn stored(self) -> (LinkKind, bool) {
        match self {
            LinkKind::BlockedBy | LinkKind::DuplicatedBy => (self.inverse(), true),
            _ => (self, false),
        }
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<LinkKind, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        LinkKind::ALL.into_iter().find(|k| k.as_str() == wanted).ok_or_else(|| UnknownName {
            what: "link kind",
            value: s.to_string(),
            expected: LinkKind::ALL.map(LinkKind::as_str).join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_lower_case() {
        assert_eq!(Label::parse("  Needs Review ").unwrap().as_str(), "needs review");
        assert_eq!(Label::parse("PCI-DSS").unwrap(), Label::parse("pci-dss").unwrap());
        assert_eq!(Label::parse(&"x".repeat(64)).unwrap().as_str().len(), 64);
    }

    #[test]
    fn bad_labels_say_why() {
        assert_eq!(Label::parse(" \t"), Err(LabelError::Empty));
        let long = Label::parse(&"é".repeat(65)).unwrap_err();
        assert!(long.to_string().contains("65 characters"), "{long}");
        assert!(matches!(Label::parse("a,b"), Err(LabelError::Comma { .. })));
        assert!(matches!(Label::parse("a\nb"), Err(LabelError::Control { .. })));
        assert!(matches!(Label::parse("a\u{0}"), Err(LabelError::Control { .. })));
    }

    #[test]
    fn every_link_kind_reads_back_and_inverts_twice_to_itself() {
        for kind in LinkKind::ALL {
            assert_eq!(kind.as_str().parse::<LinkKind>(), Ok(kind));
            assert_eq!(kind.label().parse::<LinkKind>(), Ok(kind));
            assert_eq!(kind.inverse().inverse(), kind);
            let (stored, reversed) = kind.stored();
            assert!(matches!(
                stored,
                LinkKind::Blocks | LinkKind::DuplicateOf | LinkKind::RelatesTo
            ));
            assert_eq!(if reversed { stored.inverse() } else { stored }, kind);
        }
        let err = "parent_of".parse::<LinkKind>().unwrap_err().to_string();
        assert!(err.contains("parent_of") && err.contains("relates_to"), "{err}");
    }
}
