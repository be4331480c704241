//! The gate's policy: which new findings fail a check. Only new findings
//! count; what is still open was there before the change, and decisions
//! (false positives, accepted risks) never fail it.

use std::fmt;
use std::str::FromStr;

use fixgate_domain::Severity;
use serde::{Deserialize, Serialize};

use super::Classification;

/// The least severity of a new finding that fails the check, or `none`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Critical,
    #[default]
    High,
    Medium,
    Low,
    None,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Critical => "critical",
            FailOn::High => "high",
            FailOn::Medium => "medium",
            FailOn::Low => "low",
            FailOn::None => "none",
        }
    }

    /// The least failing severity; `None` for a policy that never fails.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }

    /// "new findings of severity high or above", for people.
    pub fn describe(self) -> String {
        match self {
            FailOn::Critical => "new critical findings".into(),
            FailOn::None => "nothing (--fail-on none)".into(),
            other => format!("new findings of severity {} or above", other.as_str()),
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailOn {
    type Err = String;

    fn from_str(s: &str) -> Result<FailOn, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Ok(FailOn::Critical),
            "high" => Ok(FailOn::High),
            "medium" => Ok(FailOn::Medium),
            "low" => Ok(FailOn::Low),
            "none" => Ok(FailOn::None),
            _ => Err(format!("{s:?} is not one of critical, high, medium, low, none")),
        }
    }
}

/// What the policy made of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub fail_on: FailOn,
    pub passed: bool,
    /// New findings at or above the threshold.
    pub failing: usize,
}

/// Applies `fail_on` to a check's new findings.
pub fn verdict(classification: &Classification, fail_on: FailOn) -> Verdict {
    let failing = match fail_on.threshold() {
        Some(threshold) => {
            classification.groups.new.iter().filter(|i| i.severity >= threshold).count()
        }
        None => 0,
    };
    Verdict { fail_on, passed: failing == 0, failing }
}
