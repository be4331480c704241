//! Leaked secrets: fixgate never keeps the value. A parser that reads a
//! secret turns it into a [`SecretRef`] (a preview with a few characters at
//! each end, and a keyed hash) and scrubs it out of every text it keeps
//! (snippet, message, title), so it reaches neither the store, nor the logs,
//! nor the pages.

use std::fmt;

use fixgate_domain::SecretRef;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The installation's key for hashing secrets. A keyed hash cannot be
/// reversed by hashing guesses without the key, yet the same secret always
/// hashes the same within one installation.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A new random key from the operating system. Where it has no source
    /// of randomness (never seen on Linux), the key is derived from the time
    /// and the process id: unpredictable enough for a key that only ever
    /// lives in one process (`fixgate parse`) or is stored at creation.
    pub fn random() -> SecretKey {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            #[allow(clippy::disallowed_methods, reason = "entropy, not a timestamp")]
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let mut hasher = <Sha256 as sha2::Digest>::new();
            sha2::Digest::update(&mut hasher, nanos.to_le_bytes());
            sha2::Digest::update(&mut hasher, std::process::id().to_le_bytes());
            key = sha2::Digest::finalize(hasher).into();
        }
        SecretKey(key)
    }

    /// A key stored as 64 hex characters.
    pub fn from_hex(text: &str) -> Option<SecretKey> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(SecretKey(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// What fixgate keeps of `secret`.
    pub fn protect(&self, secret: &str) -> SecretRef {
        SecretRef { preview: preview(secret), hash: self.hash(secret) }
    }

    /// `hmac-sha256:` and the first 32 hex characters of the keyed hash.
    pub fn hash(&self, secret: &str) -> String {
        let hex = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mut mac) => {
                mac.update(secret.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            // HMAC takes keys of any length; this arm is never taken.
            Err(_) => String::new(),
        };
        format!("hmac-sha256:{}", hex.get(..32).unwrap_or(&hex))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// A few characters at each end and the length: `AKIA…MPLE (20 chars)`.
/// Short secrets show less, and under 8 characters nothing at all, so the
/// preview never gives away more than a fifth of the value.
pub fn preview(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let shown = match chars.len() {
        0..8 => 0,
        8..20 => 1,
        20..40 => 3,
        _ => 4,
    };
    let head: String = chars.iter().take(shown).collect();
    let tail: String = chars.iter().skip(chars.len() - shown).collect();
    format!("{head}…{tail} ({} chars)", chars.len())
}

/// `text` with every occurrence of `secret` replaced by its preview. Blank
/// secrets change nothing.
pub fn scrub(text: &str, secret: &str) -> String {
    if secret.trim().is_empty() || !text.contains(secret) {
        return text.to_string();
    }
    text.replace(secret, &preview(secret))
}

/// Replaces every occurrence of `secret` in `text`, in place.
pub fn scrub_in(text: &mut String, secret: &str) {
    if !secret.trim().is_empty() && text.contains(secret) {
        *text = scrub(text, secret);
    }
}

/// Whether a tool's findings are leaked secrets whose flagged code holds the
/// value (Gitleaks, TruffleHog, detect-secrets, ggshield and the like in
/// SARIF, which has no field for the secret itself).
pub(crate) fn is_secrets_tool(tool: &str) -> bool {
    let tool = tool.to_ascii_lowercase();
    ["gitleaks", "trufflehog", "detect-secrets", "detect_secrets", "ggshield", "secret"]
        .iter()
        .any(|name| tool.contains(name))
}

/// A sink in front of another that keeps secrets scanners' findings from
/// carrying their secret: the flagged code is the secret's line, so it is
/// kept only as a preview and a keyed hash, and the fingerprint is made
/// from the hash.
pub(crate) struct GuardSecrets<'a> {
    pub sink: &'a mut dyn crate::Sink,
    pub key: &'a SecretKey,
}

impl crate::Sink for GuardSecrets<'_> {
    fn finding(&mut self, mut finding: fixgate_domain::Finding) -> Result<(), crate::SinkError> {
        if let Some(password) = quoted_password(&finding) {
            protect_quoted(&mut finding, &password, self.key);
        } else if finding.secret.is_none() && is_secrets_tool(&finding.tool) {
            let flagged = finding.location.as_mut().and_then(|l| l.snippet.take());
            if let Some(flagged) = flagged.filter(|s| !s.trim().is_empty()) {
                let value = flagged.trim();
                scrub_in(&mut finding.message, value);
                scrub_in(&mut finding.title, value);
                for step in &mut finding.trace {
                    if let Some(message) = step.message.as_mut() {
                        scrub_in(message, value);
                    }
                    step.location.snippet = None;
                }
                finding.secret = Some(self.key.protect(value));
                if let Some(location) = finding.location.as_mut() {
                    location.snippet = Some(preview(value));
                }
                finding.fingerprint = fixgate_domain::Fingerprint::of(&finding);
            }
        }
        self.sink.finding(finding)
    }

    fn run(&mut self, index: usize, info: fixgate_domain::RunInfo) -> Result<(), crate::SinkError> {
        self.sink.run(index, info)
    }
}

/// The password a SAST rule for hard-coded passwords quotes in its message:
/// Bandit's B105, B106 and B107 say `Possible hardcoded password: 'value'`.
fn quoted_password(finding: &fixgate_domain::Finding) -> Option<String> {
    if finding.secret.is_some()
        || !finding.tool.to_ascii_lowercase().starts_with("bandit")
        || !matches!(finding.rule_id.as_str(), "B105" | "B106" | "B107")
    {
        return None;
    }
    let (_, rest) = finding.message.split_once("password: '")?;
    let line = rest.lines().next()?;
    let value = line.get(..line.rfind('\'')?)?;
    (!value.is_empty()).then(|| value.to_string())
}

/// Keeps a password a SAST tool quoted only as a preview and a keyed hash,
/// in every text of the finding, its code included.
fn protect_quoted(finding: &mut fixgate_domain::Finding, value: &str, key: &SecretKey) {
    scrub_in(&mut finding.title, value);
    scrub_in(&mut finding.message, value);
    if let Some(snippet) = finding.location.as_mut().and_then(|l| l.snippet.as_mut()) {
        scrub_in(snippet, value);
    }
    for step in &mut finding.trace {
        if let Some(message) = step.message.as_mut() {
            scrub_in(message, value);
        }
        if let Some(snippet) = step.location.snippet.as_mut() {
            scrub_in(snippet, value);
        }
    }
    finding.secret = Some(key.protect(value));
    finding.fingerprint = fixgate_domain::Fingerprint::of(finding);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_bandit_quotes_is_kept_only_as_a_secret_reference() {
        let key = SecretKey::random();
        let mut finding = fixgate_domain::Finding::new(
            "Bandit",
            "B105",
            "Possible hardcoded password: 'vulnshop-dev-secret-0000'",
            fixgate_domain::Severity::Low,
        );
        finding.message =
            "Possible hardcoded password: 'vulnshop-dev-secret-0000'\n\nConfidence: MEDIUM.".into();
        finding.location = Some(fixgate_domain::Location {
            path: Some("app/main.py".into()),
            snippet: Some("SECRET = 'vulnshop-dev-secret-0000'".into()),
            ..Default::default()
        });
        let mut sink = crate::Collected::default();
        let mut guard = GuardSecrets { sink: &mut sink, key: &key };
        crate::Sink::finding(&mut guard, finding).unwrap();
        let kept = &sink.findings[0];
        assert!(!serde_json::to_string(kept).unwrap().contains("vulnshop-dev-secret-0000"));
        assert!(kept.title.contains("vul…000 (24 chars)"), "{}", kept.title);
        assert_eq!(kept.secret.as_ref().unwrap().hash, key.hash("vulnshop-dev-secret-0000"));
    }

    #[test]
    fn the_preview_shows_the_ends_and_never_much() {
        assert_eq!(preview("AKIAIOSFODNN7EXAMPLE"), "AKI…PLE (20 chars)");
        assert_eq!(preview("hunter2"), "… (7 chars)");
        assert_eq!(preview("password"), "p…d (8 chars)");
        assert_eq!(preview("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"), "ghp_…yzAB (42 chars)");
        assert_eq!(preview("ключ-секрет-пароль-длинный"), "клю…ный (26 chars)");
    }

    #[test]
    fn the_same_secret_hashes_the_same_and_the_key_matters() {
        let key = SecretKey::random();
        let other = SecretKey::random();
        assert_eq!(key.hash("s3cr3t-value"), key.hash("s3cr3t-value"));
        assert_ne!(key.hash("s3cr3t-value"), key.hash("s3cr3t-valuf"));
        assert_ne!(key.hash("s3cr3t-value"), other.hash("s3cr3t-value"));
        assert_eq!(key.hash("x").len(), "hmac-sha256:".len() + 32);
        assert_eq!(SecretKey::from_hex(&key.to_hex()), Some(key.clone()));
        assert_eq!(SecretKey::from_hex("abcd"), None);
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
    }

    #[test]
    fn scrubbing_leaves_no_trace_of_the_value() {
        let line = "aws_key = \"AKIAIOSFODNN7EXAMPLE\" # AKIAIOSFODNN7EXAMPLE";
        let clean = scrub(line, "AKIAIOSFODNN7EXAMPLE");
        assert!(!clean.contains("AKIAIOSFODNN7EXAMPLE"), "{clean}");
        assert_eq!(clean.matches("AKI…PLE").count(), 2);
        assert_eq!(scrub(line, " "), line);
    }

    #[test]
    fn a_secrets_scanners_sarif_snippet_becomes_a_secret_reference() {
        let report = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gitleaks"}},
            "results": [{"ruleId": "aws", "message": {"text": "key AKIAIOSFODNN7EXAMPLE found"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.env"},
                "region": {"startLine": 3, "snippet": {"text": "AKIAIOSFODNN7EXAMPLE"}}}}]}]},
            {"tool": {"driver": {"name": "CodeQL"}}, "results": [{"ruleId": "x", "message": {"text": "m"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "b.py"},
                "region": {"startLine": 1, "snippet": {"text": "eval(x)"}}}}]}]}]}"#;
        let format = crate::formats::by_name("sarif").unwrap();
        let mut sink = crate::Collected::default();
        (format.parse)(&mut report.as_bytes(), &crate::Options::default(), &mut sink).unwrap();
        let [leak, code] = &sink.findings[..] else { panic!("{:?}", sink.findings) };
        assert!(!serde_json::to_string(leak).unwrap().contains("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(leak.location.as_ref().unwrap().snippet.as_deref(), Some("AKI…PLE (20 chars)"));
        assert!(leak.secret.is_some());
        // Other tools' code is left as it is.
        assert_eq!(code.location.as_ref().unwrap().snippet.as_deref(), Some("eval(x)"));
        assert!(code.secret.is_none());
    }
}
