//! Deep links from a repository URL, a commit, a path and lines to the exact
//! lines in the code host's web view.

/// The code hosts whose URL forms fixgate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    GitHub,
    GitLab,
    Bitbucket,
    AzureDevOps,
    Other,
}

/// Normalizes a repository URL as people paste it (`git@host:o/r.git`,
/// trailing `.git` or `/`) into its `https://` web form.
pub fn web_url(repository: &str) -> String {
    let trimmed = repository.trim().trim_end_matches('/');
    let https = match trimmed.strip_prefix("git@") {
        Some(rest) => format!("https://{}", rest.replacen(':', "/", 1)),
        None => match trimmed.strip_prefix("ssh://git@") {
            Some(rest) => format!("https://{rest}"),
            None => trimmed.to_string(),
        },
    };
    https.trim_end_matches(".git").to_string()
}

/// Which code host a repository lives on, judged by its host name.
pub fn host_of(repository: &str) -> Host {
    let url = web_url(repository);
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
        .to_ascii_lowercase();
    if host == "github.com" || host.starts_with("github.") {
        Host::GitHub
    } else if host.contains("gitlab") {
        Host::GitLab
    } else if host == "bitbucket.org" || host.starts_with("bitbucket.") {
        Host::Bitbucket
    } else if host == "dev.azure.com" || host.ends_with(".visualstudio.com") {
        Host::AzureDevOps
    } else {
        Host::Other
    }
}

/// A link to `path` at `commit`, on lines `start..=end` where known. For an
/// unknown host it falls back to the repository's own URL, which is still a
/// useful place to go.
pub fn deep_link(
    repository: &str,
    commit: &str,
    path: &str,
    start: Option<u32>,
    end: Option<u32>,
) -> String {
    let base = web_url(repository);
    let path = path.trim_start_matches("./").trim_start_matches('/');
    let end = end.or(start).filter(|e| Some(*e) != start);
    match host_of(repository) {
        Host::GitHub => format!("{base}/blob/{commit}/{path}{}", github_lines(start, end)),
        Host::GitLab => format!("{base}/-/blob/{commit}/{path}{}", gitlab_lines(start, end)),
        Host::Bitbucket => format!("{base}/src/{commit}/{path}{}", bitbucket_lines(start, end)),
        Host::AzureDevOps => {
            let mut url = format!("{base}?path=/{path}&version=GC{commit}");
            if let Some(start) = start {
                let end = end.unwrap_or(start);
                url.push_str(&format!(
                    "&line={start}&lineEnd={}&lineStartColumn=1&lineEndColumn=1",
                    end + 1
                ));
            }
            url
        }
        Host::Other => base,
    }
}

fn github_lines(start: Option<u32>, end: Option<u32>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("#L{s}-L{e}"),
        (Some(s), None) => format!("#L{s}"),
        _ => String::new(),
    }
}

fn gitlab_lines(start: Option<u32>, end: Option<u32>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("#L{s}-{e}"),
        (Some(s), None) => format!("#L{s}"),
        _ => String::new(),
    }
}

fn bitbucket_lines(start: Option<u32>, end: Option<u32>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("#lines-{s}:{e}"),
        (Some(s), None) => format!("#lines-{s}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn github_links_to_a_line_range() {
        assert_eq!(
            deep_link("https://github.com/acme/shop.git", SHA, "app/db.py", Some(10), Some(12)),
            format!("https://github.com/acme/shop/blob/{SHA}/app/db.py#L10-L12")
        );
        assert_eq!(
            deep_link("git@github.com:acme/shop.git", SHA, "./app/db.py", Some(10), Some(10)),
            format!("https://github.com/acme/shop/blob/{SHA}/app/db.py#L10")
        );
    }

    #[test]
    fn gitlab_including_self_hosted_and_subgroups() {
        assert_eq!(
            deep_link("https://gitlab.example.org/g/sub/p", SHA, "a.go", Some(3), Some(7)),
            format!("https://gitlab.example.org/g/sub/p/-/blob/{SHA}/a.go#L3-7")
        );
    }

    #[test]
    fn bitbucket_uses_lines_anchor() {
        assert_eq!(
            deep_link("https://bitbucket.org/acme/shop/", SHA, "a.js", Some(5), None),
            format!("https://bitbucket.org/acme/shop/src/{SHA}/a.js#lines-5")
        );
    }

    #[test]
    fn azure_devops_uses_query_parameters() {
        assert_eq!(
            deep_link(
                "https://dev.azure.com/acme/shop/_git/api",
                SHA,
                "src/a.cs",
                Some(4),
                Some(6)
            ),
            format!(
                "https://dev.azure.com/acme/shop/_git/api?path=/src/a.cs&version=GC{SHA}\
                 &line=4&lineEnd=7&lineStartColumn=1&lineEndColumn=1"
            )
        );
        assert_eq!(host_of("https://acme.visualstudio.com/shop/_git/api"), Host::AzureDevOps);
    }

    #[test]
    fn unknown_hosts_fall_back_to_the_repository() {
        assert_eq!(
            deep_link("https://git.example.net/shop.git", SHA, "a.c", Some(1), None),
            "https://git.example.net/shop"
        );
    }
}
