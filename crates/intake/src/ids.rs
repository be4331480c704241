//! CWE numbers and advisory ids (CVE, GHSA) in the text tools write: tags
//! such as `external/cwe/cwe-079`, properties such as Semgrep's
//! `"CWE-89: Improper Neutralization ..."`, rule ids such as Grype's
//! `CVE-2019-11358-jquery`.

/// The CWE a tag or property value names: `cwe-79`, `CWE_79`,
/// `external/cwe/cwe-079`, `CWE-89: Improper ...`. `None` for a bare `cwe`
/// tag and for text that names no CWE.
pub(crate) fn cwe_in(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|start| cwe_at(bytes, start))
}

/// A CWE id written as a number alone (`"79"`), as taxonomies do.
pub(crate) fn cwe_number(text: &str) -> Option<u32> {
    let text = text.trim();
    let digits = text.strip_prefix("CWE-").or_else(|| text.strip_prefix("cwe-")).unwrap_or(text);
    digits.parse::<u32>().ok().filter(|n| *n > 0).or_else(|| cwe_in(text))
}

fn cwe_at(bytes: &[u8], start: usize) -> Option<u32> {
    let word = bytes.get(start..start + 3)?;
    if !word.eq_ignore_ascii_case(b"cwe") || !boundary_before(bytes, start) {
        return None;
    }
    let mut at = start + 3;
    if matches!(bytes.get(at), Some(b'-' | b'_' | b':' | b' ')) {
        at += 1;
    }
    let digits = digit_run(bytes, at);
    if digits == 0 || digits > 7 || is_word_byte(bytes.get(at + digits)) {
        return None;
    }
    parse_digits(bytes.get(at..at + digits)?).filter(|n| *n > 0)
}

/// Adds to `out` every CVE and GHSA id in `text` that it does not hold yet,
/// in the order they appear. CVE ids are uppercased; GHSA ids keep GitHub's
/// form, `GHSA-` and a lowercase suffix.
pub(crate) fn collect_advisories(text: &str, out: &mut Vec<String>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match advisory_at(bytes, at) {
            Some((id, len)) => {
                if !out.contains(&id) {
                    out.push(id);
                }
                at += len;
            }
            None => at += 1,
        }
    }
}

fn advisory_at(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    if !boundary_before(bytes, start) {
        return None;
    }
    cve_at(bytes, start).or_else(|| ghsa_at(bytes, start))
}

/// `CVE-YYYY-NNNN`, with four or more digits in the sequence number.
fn cve_at(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    if !bytes.get(start..start + 4)?.eq_ignore_ascii_case(b"cve-") {
        return None;
    }
    let year = start + 4;
    if digit_run(bytes, year) != 4 || bytes.get(year + 4) != Some(&b'-') {
        return None;
    }
    let number = year + 5;
    let digits = digit_run(bytes, number);
    let end = number + digits;
    if digits < 4 || is_word_byte(bytes.get(end)) {
        return None;
    }
    let id = std::str::from_utf8(bytes.get(start..end)?).ok()?.to_ascii_uppercase();
    Some((id, end - start))
}

/// `GHSA-xxxx-xxxx-xxxx`, three groups of four letters or digits.
fn ghsa_at(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    if !bytes.get(start..start + 5)?.eq_ignore_ascii_case(b"ghsa-") {
        return None;
    }
    let mut id = String::from("GHSA");
    let mut at = start + 4;
    for _ in 0..3 {
        if bytes.get(at) != Some(&b'-') {
            return None;
        }
        let group = bytes.get(at + 1..at + 5)?;
        if !group.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        id.push('-');
        id.extend(group.iter().map(|b| char::from(b.to_ascii_lowercase())));
        at += 5;
    }
    if is_word_byte(bytes.get(at)) {
        return None;
    }
    Some((id, at - start))
}

fn boundary_before(bytes: &[u8], start: usize) -> bool {
    start == 0 || !is_word_byte(bytes.get(start - 1))
}

fn is_word_byte(byte: Option<&u8>) -> bool {
    byte.is_some_and(|b| b.is_ascii_alphanumeric())
}

fn digit_run(bytes: &[u8], start: usize) -> usize {
    bytes.get(start..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
}

fn parse_digits(digits: &[u8]) -> Option<u32> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwe_tags_in_the_forms_tools_write() {
        assert_eq!(cwe_in("external/cwe/cwe-079"), Some(79));
        assert_eq!(cwe_in("CWE-79"), Some(79));
        assert_eq!(cwe_in("cwe-089: Improper Neutralization"), Some(89));
        assert_eq!(cwe_in("CWE-532 Insertion of Sensitive Information"), Some(532));
        assert_eq!(cwe_in("CWE_22"), Some(22));
    }

    #[test]
    fn tags_that_name_no_cwe() {
        assert_eq!(cwe_in("cwe"), None);
        assert_eq!(cwe_in("security"), None);
        assert_eq!(cwe_in("OWASP-A05:2021-Security Misconfiguration"), None);
        assert_eq!(cwe_in("precwe-12"), None);
        assert_eq!(cwe_in("cwe-12abc"), None);
        assert_eq!(cwe_in("cwe-0"), None);
    }

    #[test]
    fn taxonomy_ids_are_bare_numbers() {
        assert_eq!(cwe_number("190"), Some(190));
        assert_eq!(cwe_number("CWE-400"), Some(400));
        assert_eq!(cwe_number("abc"), None);
    }

    #[test]
    fn advisories_are_found_deduplicated_and_normalized() {
        let mut out = Vec::new();
        collect_advisories("cve-2019-11358 and CVE-2008-0732-geronimo", &mut out);
        collect_advisories("GHSA-ABCD-2345-wxyz, again CVE-2019-11358", &mut out);
        assert_eq!(out, ["CVE-2019-11358", "CVE-2008-0732", "GHSA-abcd-2345-wxyz"]);
    }

    #[test]
    fn near_misses_are_not_advisories() {
        let mut out = Vec::new();
        collect_advisories("CVE-19-1234 CVE-2019-123 XCVE-2019-12345 GHSA-abc-defg-hijk", &mut out);
        collect_advisories("CVE-2019-1234x GHSA-abcd-efgh-ijklm CVE-2019-", &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
