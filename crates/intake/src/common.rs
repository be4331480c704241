//! What every parser does with a finding once it has read it: a readable
//! title, a fingerprint, and handing it to the sink.

use fixgate_domain::{Finding, Fingerprint, Severity};

use crate::{ParseError, Sink};

/// Titles longer than this many characters are cut at a word.
const TITLE_MAX: usize = 200;

/// Completes `finding` (title cut to one line, fingerprint computed unless the
/// parser set one) and hands it to the sink.
pub(crate) fn emit(sink: &mut dyn Sink, mut finding: Finding) -> Result<(), ParseError> {
    finding.title = title(&finding.title)
        .or_else(|| title(&finding.message))
        .unwrap_or_else(|| finding.rule_id.clone());
    if finding.fingerprint.as_str().is_empty() {
        finding.fingerprint = Fingerprint::of(&finding);
    }
    sink.finding(finding).map_err(ParseError::Sink)
}

/// The first non-blank line of `text`, cut at a word boundary to
/// [`TITLE_MAX`] characters; `None` for blank text.
pub(crate) fn title(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if line.chars().count() <= TITLE_MAX {
        return Some(line.to_string());
    }
    let cut: String = line.chars().take(TITLE_MAX).collect();
    let at_word = cut.rfind(' ').filter(|at| *at > TITLE_MAX / 2).unwrap_or(cut.len());
    Some(format!("{}…", cut.get(..at_word).unwrap_or(&cut).trim_end()))
}

/// `Some(text)` trimmed, or `None` when blank.
pub(crate) fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

/// A severity word in any case, through fixgate's shared synonyms
/// (`CRITICAL`, `Moderate`, `warning`, `informational`, ...).
pub(crate) fn severity_word(text: &str) -> Option<Severity> {
    text.trim().parse().ok()
}

/// The four named bands most SCA tools share (`Critical`, `High`, `Medium`,
/// `Low`, in any case); anything else (`Negligible`, `Unknown`, nothing) is
/// info. Stricter than [`severity_word`]: no synonyms.
pub(crate) fn severity_band(word: Option<&str>) -> Severity {
    let word = word.unwrap_or("").trim();
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    if is("critical") {
        Severity::Critical
    } else if is("high") {
        Severity::High
    } else if is("medium") {
        Severity::Medium
    } else if is("low") {
        Severity::Low
    } else {
        Severity::Info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_named_in_any_case_and_the_rest_is_info() {
        assert_eq!(severity_band(Some(" CRITICAL ")), Severity::Critical);
        assert_eq!(severity_band(Some("high")), Severity::High);
        assert_eq!(severity_band(Some("Medium")), Severity::Medium);
        assert_eq!(severity_band(Some("LOW")), Severity::Low);
        assert_eq!(severity_band(Some("Negligible")), Severity::Info);
        assert_eq!(severity_band(Some("moderate")), Severity::Info);
        assert_eq!(severity_band(None), Severity::Info);
    }

    #[test]
    fn titles_are_one_line_and_cut_at_a_word() {
        assert_eq!(title("\n  First line \nsecond").as_deref(), Some("First line"));
        assert_eq!(title("   "), None);
        let long = "word ".repeat(100);
        let cut = title(&long).unwrap();
        assert!(cut.chars().count() <= TITLE_MAX + 1 && cut.ends_with("word…"), "{cut}");
    }
}
