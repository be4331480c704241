//! Package URLs (purls) for packages that a tool names only by ecosystem and
//! name. A finding's package identity is its purl when it has one (see
//! `Fingerprint::of`), so giving every SCA finding a purl lets the same
//! vulnerable package reported by two tools (npm audit and Trivy, Dependabot
//! and Snyk) become one problem.
//!
//! Only language ecosystems are built here. Operating-system packages (deb,
//! rpm, apk) need their distribution in the purl, which these reports do not
//! give, so they get no purl and fall back to ecosystem and name.

/// The purl type for an ecosystem or package manager as tools write it
/// (`npm`, `PIP`, `maven`, `gomodules`, ...).
fn purl_type(ecosystem: &str) -> Option<&'static str> {
    Some(match ecosystem.trim().to_ascii_lowercase().as_str() {
        "npm" | "yarn" | "pnpm" => "npm",
        "pip" | "pypi" | "poetry" | "pipenv" => "pypi",
        "maven" | "gradle" | "sbt" => "maven",
        "nuget" | "paket" => "nuget",
        "rubygems" | "gem" | "bundler" => "gem",
        "go" | "golang" | "gomodules" | "golangdep" | "govendor" => "golang",
        "cargo" | "rust" | "crates.io" => "cargo",
        "composer" | "packagist" => "composer",
        "pub" => "pub",
        "hex" | "erlang" => "hex",
        "cocoapods" => "cocoapods",
        _ => return None,
    })
}

/// `pkg:npm/%40scope/name@1.0.0` for the package, with the version when it
/// is one version; `None` for an unknown ecosystem or a name the ecosystem's
/// purl cannot hold (a Maven name without its group).
pub(crate) fn purl(ecosystem: &str, name: &str, version: Option<&str>) -> Option<String> {
    let kind = purl_type(ecosystem)?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let path = match kind {
        "maven" => {
            let (group, artifact) = name.split_once(':')?;
            format!("{}/{}", encode(group), encode(artifact))
        }
        // The purl spec lowercases PyPI names and spells `_` as `-`.
        "pypi" => encode(&name.to_ascii_lowercase().replace('_', "-")),
        // Scoped npm packages, Go modules and Composer packages have a
        // namespace before their last `/`.
        "npm" | "golang" | "composer" => name.split('/').map(encode).collect::<Vec<_>>().join("/"),
        _ => encode(name),
    };
    let mut purl = format!("pkg:{kind}/{path}");
    if let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) {
        purl.push('@');
        purl.push_str(&encode(version));
    }
    Some(purl)
}

/// Percent-encodes everything but letters, digits and `.-_~+`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~+".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_in_each_ecosystems_spelling() {
        assert_eq!(
            purl("npm", "@vercel/fun", Some("1.0.0")).as_deref(),
            Some("pkg:npm/%40vercel/fun@1.0.0")
        );
        assert_eq!(purl("PIP", "Jinja_2", Some("2.10")).as_deref(), Some("pkg:pypi/jinja-2@2.10"));
        assert_eq!(
            purl("MAVEN", "org.apache.shiro:shiro-core", None).as_deref(),
            Some("pkg:maven/org.apache.shiro/shiro-core")
        );
        assert_eq!(
            purl("gomodules", "github.com/a/b", Some("v1.2.3")).as_deref(),
            Some("pkg:golang/github.com/a/b@v1.2.3")
        );
        assert_eq!(
            purl("nuget", "System.Net.Http", Some(" ")).as_deref(),
            Some("pkg:nuget/System.Net.Http")
        );
    }

    #[test]
    fn no_purl_where_it_would_be_wrong() {
        assert_eq!(purl("deb", "openssl", Some("1.1")), None);
        assert_eq!(purl("maven", "no-group", Some("1.0")), None);
        assert_eq!(purl("npm", " ", None), None);
    }
}
