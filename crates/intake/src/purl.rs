//! Package URLs (`pkg:maven/org.dom4j/dom4j@2.1.1?type=jar`) as SCA reports
//! write them: the parts fixgate needs to name a package and its ecosystem.
//!
//! Purls are also built for packages that a tool names only by ecosystem
//! and name. A finding's package identity is its purl when it has one (see
//! `Fingerprint::of`), so giving every SCA finding a purl lets the same
//! vulnerable package reported by two tools (npm audit and Trivy, Dependabot
//! and Snyk) become one problem.
//!
//! Only language ecosystems are built here. Operating-system packages (deb,
//! rpm, apk) need their distribution in the purl, which these reports do not
//! give, so they get no purl and fall back to ecosystem and name.

/// The parts of a package URL, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Purl {
    /// The package type, lowercased: `maven`, `npm`, `deb`, ...
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
}

/// Package types whose namespace is the distribution or vendor that
/// packaged it (`pkg:deb/debian/openssl`), not part of the package's name.
const DISTRO_TYPES: &[&str] = &["deb", "rpm", "apk", "alpm", "qpkg"];

impl Purl {
    /// Reads `pkg:type/namespace/name@version?qualifiers#subpath`; `None`
    /// when the text is not a package URL.
    pub fn parse(text: &str) -> Option<Purl> {
        let rest = text.trim().strip_prefix("pkg:")?;
        let rest = rest.split(['?', '#']).next().unwrap_or(rest).trim_start_matches('/');
        let (kind, path) = rest.split_once('/')?;
        let (path, version) = match path.rsplit_once('@') {
            Some((path, version)) => (path, Some(decode(version)).filter(|v| !v.is_empty())),
            None => (path, None),
        };
        let path = path.trim_end_matches('/');
        let (namespace, name) = match path.rsplit_once('/') {
            Some((namespace, name)) => (Some(decode(namespace)), decode(name)),
            None => (None, decode(path)),
        };
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Purl { kind: kind.to_ascii_lowercase(), namespace, name, version })
    }

    /// The name people use for the package: Maven's `group:artifact`, the
    /// distribution package's own name, else `namespace/name` (npm scopes,
    /// Go module paths).
    pub fn package_name(&self) -> String {
        match &self.namespace {
            Some(namespace) if self.kind == "maven" => format!("{namespace}:{}", self.name),
            Some(_) if DISTRO_TYPES.contains(&self.kind.as_str()) => self.name.clone(),
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Percent-decodes `text`; a `%` not followed by two hex digits stays as it
/// is, and bytes that do not form UTF-8 become U+FFFD.
fn decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = bytes
            .get(at + 1..at + 3)
            .filter(|_| byte == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(value) => {
                out.push(value);
                at += 3;
            }
            None => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

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

/// A purl for a package as a report named it, for documents that need one
/// (VEX statements): [`purl`]'s language ecosystems, Java archives as Trivy
/// types them (`jar`, `pom`: Maven), and the packages of the Linux
/// distributions Trivy names by family (`alpine`, `debian`, `redhat`, ...),
/// whose family is the purl's namespace. The distribution's release, which a
/// scanner writes as a qualifier, is left out, so the purl stands for the
/// package in any release.
pub fn package_purl(ecosystem: &str, name: &str, version: Option<&str>) -> Option<String> {
    let ecosystem = ecosystem.trim().to_ascii_lowercase();
    if let Some(built) = purl(&ecosystem, name, version) {
        return Some(built);
    }
    let (kind, namespace) = match ecosystem.as_str() {
        "jar" | "pom" => return purl("maven", name, version),
        "alpine" | "wolfi" | "chainguard" => ("apk", ecosystem.as_str()),
        "debian" | "ubuntu" => ("deb", ecosystem.as_str()),
        "redhat" | "centos" | "rocky" | "alma" | "amazon" | "oracle" | "fedora" | "photon" => {
            ("rpm", ecosystem.as_str())
        }
        _ => return None,
    };
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut built = format!("pkg:{kind}/{namespace}/{}", encode(name));
    if let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) {
        built.push('@');
        built.push_str(&encode(version));
    }
    Some(built)
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
    fn parts_are_read_and_decoded() {
        let purl = Purl::parse("pkg:NPM/%40angular/core@12.0.1?x=y#sub").unwrap();
        assert_eq!(purl.kind, "npm");
        assert_eq!(purl.namespace.as_deref(), Some("@angular"));
        assert_eq!(purl.name, "core");
        assert_eq!(purl.version.as_deref(), Some("12.0.1"));
        assert_eq!(purl.package_name(), "@angular/core");
    }

    #[test]
    fn names_follow_each_ecosystem() {
        let name = |text: &str| Purl::parse(text).unwrap().package_name();
        assert_eq!(name("pkg:maven/org.dom4j/dom4j@2.1.1.redhat-00001"), "org.dom4j:dom4j");
        assert_eq!(name("pkg:apk/alpine/libxml2@2.10.3-r1?distro=3.17.3"), "libxml2");
        assert_eq!(name("pkg:golang/github.com/gin-gonic/gin@v1.9.0"), "github.com/gin-gonic/gin");
        assert_eq!(name("pkg:pypi/django@2.2.18"), "django");
        assert_eq!(Purl::parse("pkg:pypi/django").unwrap().version, None);
    }

    #[test]
    fn other_text_is_not_a_package_url() {
        assert_eq!(Purl::parse("cpe:2.3:a:x:y:1.0"), None);
        assert_eq!(Purl::parse("pkg:npm"), None);
        assert_eq!(Purl::parse("pkg:npm/"), None);
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("a%zz%41"), "a%zzA");
    }
}

#[cfg(test)]
mod building {
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
    fn package_purls_cover_trivy_java_and_distribution_packages() {
        assert_eq!(
            package_purl("jar", "org.apache.commons:commons-compress", Some("1.14")).as_deref(),
            Some("pkg:maven/org.apache.commons/commons-compress@1.14")
        );
        assert_eq!(
            package_purl("alpine", "freetype", Some("2.9.1-r2")).as_deref(),
            Some("pkg:apk/alpine/freetype@2.9.1-r2")
        );
        assert_eq!(
            package_purl("Debian", "libc6", Some("2.28-10+deb10u1")).as_deref(),
            Some("pkg:deb/debian/libc6@2.28-10+deb10u1")
        );
        assert_eq!(package_purl("npm", "lodash", None).as_deref(), Some("pkg:npm/lodash"));
        assert_eq!(package_purl("deb", "openssl", Some("1.1")), None);
    }

    #[test]
    fn no_purl_where_it_would_be_wrong() {
        assert_eq!(purl("deb", "openssl", Some("1.1")), None);
        assert_eq!(purl("maven", "no-group", Some("1.0")), None);
        assert_eq!(purl("npm", " ", None), None);
    }
}
