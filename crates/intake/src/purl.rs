//! Package URLs (`pkg:maven/org.dom4j/dom4j@2.1.1?type=jar`) as SCA reports
//! write them: the parts fixgate needs to name a package and its ecosystem.

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
