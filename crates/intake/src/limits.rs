//! Limits every parser enforces, so a hostile report cannot exhaust memory.

/// Bounds on what a parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Reports larger than this many bytes are rejected.
    pub max_bytes: u64,
    /// XML nested deeper than this is rejected. JSON is bounded at 128 levels
    /// by the JSON parser itself.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bytes: 1024 * 1024 * 1024, max_depth: 128 }
    }
}
