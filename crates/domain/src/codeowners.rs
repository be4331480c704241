//! CODEOWNERS files, in GitHub's syntax and GitLab's (which adds sections):
//! who owns a path.
//!
//! A rule is a path pattern and its owners. Within a file (GitHub) or within
//! each section (GitLab), the last rule that matches a path decides its
//! owners; a matching rule without owners leaves the path unowned, or, in a
//! GitLab section, owned by the section's default owners. Patterns follow
//! the gitignore rules CODEOWNERS keeps: a leading or inner `/` anchors the
//! pattern at the repository's root, a trailing `/` matches a directory's
//! contents only, `*` stays within one path segment, `**` crosses them, and
//! a pattern naming a directory covers everything under it, unless its last
//! segment holds a wildcard (`docs/*` owns `docs/a.md`, not `docs/x/b.md`).
//! What CODEOWNERS leaves out of gitignore (`!` negation, `[ ]` ranges) is
//! refused with the line that uses it.

use std::fmt;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

/// Someone a rule names as an owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Owner {
    /// `@octocat`.
    User(String),
    /// `@org/team` (GitHub) or `@group/subgroup` (GitLab).
    Team(String),
    /// `docs@example.com`.
    Email(String),
    /// `@@developer`: everyone with that role in the project (GitLab).
    Role(String),
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::User(name) | Owner::Team(name) => write!(f, "@{name}"),
            Owner::Email(address) => f.write_str(address),
            Owner::Role(role) => write!(f, "@@{role}"),
        }
    }
}

/// A line that cannot be read, by its number (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CODEOWNERS line {line}: {message}")]
pub struct CodeownersError {
    pub line: usize,
    pub message: String,
}

/// The rule that decided a path's owners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ownership {
    /// The GitLab section the rule is in, if any.
    pub section: Option<String>,
    pub pattern: String,
    pub line: usize,
    /// Empty when the rule leaves the path unowned.
    pub owners: Vec<Owner>,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone)]
pub struct Codeowners {
    sections: Vec<Section>,
}

#[derive(Debug, Clone)]
struct Section {
    name: Option<String>,
    default_owners: Vec<Owner>,
    rules: Vec<Rule>,
    /// Every rule's globs; `glob_rule[i]` is the rule of glob `i`.
    globs: GlobSet,
    glob_rule: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Rule {
    line: usize,
    pattern: String,
    owners: Vec<Owner>,
}

impl Codeowners {
    /// Reads a CODEOWNERS file. The first line that cannot be read is the
    /// error, with its number.
    pub fn parse(text: &str) -> Result<Codeowners, CodeownersError> {
        let mut sections = vec![SectionBuilder::new(None, Vec::new())];
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let error = |message: String| CodeownersError { line, message };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed.starts_with('[') || trimmed.starts_with("^[") {
                let (name, owners) = section_header(trimmed).map_err(error)?;
                sections.push(SectionBuilder::new(Some(name), owners));
                continue;
            }
            let mut words = split_words(trimmed).into_iter();
            let pattern = words.next().unwrap_or_default();
            let owners = words.map(|word| owner(&word)).collect::<Result<Vec<_>, _>>();
            let owners = owners.map_err(error)?;
            let globs = globs(&pattern).map_err(error)?;
            if let Some(section) = sections.last_mut() {
                section.add(Rule { line, pattern, owners }, globs).map_err(error)?;
            }
        }
        let sections = sections.into_iter().map(SectionBuilder::build).collect::<Result<_, _>>()?;
        Ok(Codeowners { sections })
    }

    /// The rules that decide `path`'s owners: at most one per section (the
    /// last that matches), in the file's order. Empty when no rule matches.
    pub fn owners_of(&self, path: &str) -> Vec<Ownership> {
        let path = normalize(path);
        self.sections
            .iter()
            .filter_map(|section| {
                let last = section
                    .globs
                    .matches(path)
                    .into_iter()
                    .filter_map(|glob| section.glob_rule.get(glob).copied())
                    .max()?;
                let rule = section.rules.get(last)?;
                let owners = if rule.owners.is_empty() && section.name.is_some() {
                    section.default_owners.clone()
                } else {
                    rule.owners.clone()
                };
                Some(Ownership {
                    section: section.name.clone(),
                    pattern: rule.pattern.clone(),
                    line: rule.line,
                    owners,
                })
            })
            .collect()
    }

    /// Every owner of `path`, across sections, each once, in order.
    pub fn owners(&self, path: &str) -> Vec<Owner> {
        let mut out: Vec<Owner> = Vec::new();
        for owner in self.owners_of(path).into_iter().flat_map(|o| o.owners) {
            if !out.contains(&owner) {
                out.push(owner);
            }
        }
        out
    }

    /// How many rules the file has.
    pub fn rule_count(&self) -> usize {
        self.sections.iter().map(|s| s.rules.len()).sum()
    }
}

/// A section while its rules are read.
struct SectionBuilder {
    name: Option<String>,
    default_owners: Vec<Owner>,
    rules: Vec<Rule>,
    globs: GlobSetBuilder,
    glob_rule: Vec<usize>,
}

impl SectionBuilder {
    fn new(name: Option<String>, default_owners: Vec<Owner>) -> SectionBuilder {
        SectionBuilder {
            name,
            default_owners,
            rules: Vec::new(),
            globs: GlobSetBuilder::new(),
            glob_rule: Vec::new(),
        }
    }

    fn add(&mut self, rule: Rule, globs: Vec<String>) -> Result<(), String> {
        for glob in globs {
            let glob = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|err| format!("pattern {:?}: {}", rule.pattern, err.kind()))?;
            self.globs.add(glob);
            self.glob_rule.push(self.rules.len());
        }
        self.rules.push(rule);
        Ok(())
    }

    fn build(self) -> Result<Section, CodeownersError> {
        let line = self.rules.first().map_or(0, |r| r.line);
        let globs = self.globs.build().map_err(|err| CodeownersError {
            line,
            message: format!("the patterns cannot be compiled: {err}"),
        })?;
        Ok(Section {
            name: self.name,
            default_owners: self.default_owners,
            rules: self.rules,
            globs,
            glob_rule: self.glob_rule,
        })
    }
}

/// `[Name]`, `^[Name]` (optional), `[Name][2]` (approvals), each with
/// default owners after it.
fn section_header(line: &str) -> Result<(String, Vec<Owner>), String> {
    let rest = line.strip_prefix('^').unwrap_or(line);
    let rest = rest.strip_prefix('[').ok_or("a section header starts with [")?;
    let (name, rest) = rest.split_once(']').ok_or("a section header needs a closing ]")?;
    let name = name.trim();
    if name.is_empty() {
        return Err("a section needs a name between [ and ]".into());
    }
    let rest = match rest.strip_prefix('[') {
        Some(count) => {
            let (count, rest) =
                count.split_once(']').ok_or("an approval count needs a closing ]")?;
            count.trim().parse::<u32>().map_err(|_| {
                format!("the approval count of section [{name}] is not a number: {count:?}")
            })?;
            rest
        }
        None => rest,
    };
    let owners = split_words(rest).iter().map(|word| owner(word)).collect::<Result<_, _>>()?;
    Ok((name.to_string(), owners))
}

/// Splits on whitespace that a backslash does not escape; `\#` and `\ `
/// lose their backslash, other escapes are kept for the glob.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ (' ' | '\t' | '#')) => word.push(next),
                Some(next) => {
                    word.push('\\');
                    word.push(next);
                }
                None => word.push('\\'),
            },
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            // An unescaped # starts a comment after the owners.
            '#' if word.is_empty() && !words.is_empty() => break,
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn owner(word: &str) -> Result<Owner, String> {
    let valid = |name: &str| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    };
    if let Some(role) = word.strip_prefix("@@") {
        if valid(role) && !role.contains('/') {
            return Ok(Owner::Role(role.to_string()));
        }
    } else if let Some(name) = word.strip_prefix('@') {
        if valid(name) && !name.starts_with('/') && !name.ends_with('/') {
            return Ok(if name.contains('/') {
                Owner::Team(name.to_string())
            } else {
                Owner::User(name.to_string())
            });
        }
    } else if let Some((local, domain)) = word.split_once('@')
        && !local.is_empty()
        && domain.contains('.')
        && !domain.contains('@')
    {
        return Ok(Owner::Email(word.to_string()));
    }
    Err(format!("{word:?} is not an owner: expected @user, @org/team or an email address"))
}

/// The globs a pattern stands for, in globset's syntax.
fn globs(pattern: &str) -> Result<Vec<String>, String> {
    if pattern.starts_with('!') {
        return Err(format!("pattern {pattern:?}: CODEOWNERS has no negation (!)"));
    }
    if pattern.contains('[') || pattern.contains(']') {
        return Err(format!("pattern {pattern:?}: CODEOWNERS has no character ranges ([ ])"));
    }
    Ok(gitignore_globs(pattern))
}

/// The globs a gitignore-style path pattern stands for, in globset's
/// syntax (compile them with `literal_separator`): a leading or inner `/`
/// anchors at the root, a trailing `/` keeps only a directory's contents,
/// and a pattern whose last segment has no wildcard also covers everything
/// under it. The triage policy's routes read their paths the same way.
pub(crate) fn gitignore_globs(pattern: &str) -> Vec<String> {
    let (anchored, body) = match pattern.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (pattern.trim_end_matches('/').contains('/'), pattern),
    };
    let directory_only = body.ends_with('/');
    let body = body.trim_end_matches('/');
    if body.is_empty() {
        // `/` alone: the whole repository.
        return vec!["**".into()];
    }
    let base =
        if anchored || body.starts_with("**/") { body.to_string() } else { format!("**/{body}") };
    let last = body.rsplit('/').next().unwrap_or(body);
    if directory_only {
        vec![format!("{base}/**")]
    } else if last.contains('*') {
        vec![base]
    } else {
        vec![base.clone(), format!("{base}/**")]
    }
}

/// A finding's path as CODEOWNERS sees it: relative to the root, with `/`.
pub(crate) fn normalize(path: &str) -> &str {
    let mut path = path.trim();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path.trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(codeowners: &Codeowners, path: &str) -> Vec<String> {
        codeowners.owners(path).iter().map(ToString::to_string).collect()
    }

    /// The examples of GitHub's documentation of CODEOWNERS, each path
    /// with the owners the documentation gives it.
    #[test]
    fn github_examples_give_the_documented_owners() {
        let file = "\
# Lines starting with '#' are comments.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/apps/ @octocat
/apps/github @doctocat
";
        let owners = Codeowners::parse(file).unwrap_or_else(|e| panic!("{e}"));
        let cases: &[(&str, &[&str])] = &[
            ("README.md", &["@global-owner1", "@global-owner2"]),
            ("src/app.js", &["@js-owner"]),
            ("cmd/main.go", &["docs@example.com"]),
            ("notes/a.txt", &["@octo-org/octocats"]),
            ("build/logs/today.log", &["@octocat"]),
            ("build/logs/deep/er.log", &["@octocat"]),
            ("docs/getting-started.md", &["@doctocat"]),
            // An inner `/` anchors `docs/*` at the root.
            ("deep/docs/getting-started.md", &["@global-owner1", "@global-owner2"]),
            ("deep/docs/build-app/troubleshooting.md", &["@global-owner1", "@global-owner2"]),
            ("x/apps/main.py", &["@octocat"]),
            ("scripts/run.sh", &["@doctocat", "@octocat"]),
            ("x/scripts/run.sh", &["@global-owner1", "@global-owner2"]),
            ("deeply/nested/logs/x.log", &["@octocat"]),
            ("logs/x.log", &["@octocat"]),
            ("apps/github/x.rb", &["@doctocat"]),
            ("apps/other/x.rb", &["@octocat"]),
            ("./src/app.js", &["@js-owner"]),
            ("/src/app.js", &["@js-owner"]),
        ];
        for (path, expected) in cases {
            assert_eq!(names(&owners, path), *expected, "{path}");
        }
        let decided = owners.owners_of("apps/github/x.rb");
        assert_eq!(decided.len(), 1);
        assert_eq!((decided[0].line, decided[0].pattern.as_str()), (15, "/apps/github"));
    }

    #[test]
    fn a_rule_without_owners_leaves_its_paths_unowned() {
        let owners = Codeowners::parse("* @all\n/vendor/\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(owners.owners("vendor/lib/x.c").is_empty());
        assert_eq!(owners.owners_of("vendor/lib/x.c").len(), 1, "the rule still decided");
        assert_eq!(names(&owners, "src/x.c"), ["@all"]);
        assert!(
            Codeowners::parse("/docs/ @d\n")
                .map(|o| o.owners_of("src/a"))
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn escapes_and_anchoring_follow_gitignore() {
        let file = "\\#notes.md @pound\nmy\\ dir/ @spaced\nsrc/*.rs @rust\n/*.toml @root\n";
        let owners = Codeowners::parse(file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(&owners, "#notes.md"), ["@pound"]);
        assert_eq!(names(&owners, "a/my dir/b.txt"), ["@spaced"]);
        assert_eq!(names(&owners, "src/main.rs"), ["@rust"]);
        assert!(names(&owners, "src/bin/main.rs").is_empty(), "* stays in one segment");
        assert!(names(&owners, "x/src/main.rs").is_empty(), "an inner / anchors");
        assert_eq!(names(&owners, "Cargo.toml"), ["@root"]);
        assert!(names(&owners, "crates/x/Cargo.toml").is_empty());
    }

    #[test]
    fn gitlab_sections_each_give_their_last_match() {
        let file = "\
* @everyone

[Documentation] @docs-team
*.md
/docs/internal/ @secret-keepers

^[Ruby][2] @@maintainer
*.rb @ruby-owner
";
        let owners = Codeowners::parse(file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(&owners, "README.md"), ["@everyone", "@docs-team"]);
        assert_eq!(names(&owners, "docs/internal/plan.md"), ["@everyone", "@secret-keepers"]);
        assert_eq!(names(&owners, "lib/a.rb"), ["@everyone", "@ruby-owner"]);
        let sections: Vec<_> =
            owners.owners_of("lib/a.rb").into_iter().map(|o| o.section).collect();
        assert_eq!(sections, [None, Some("Ruby".to_string())]);
        assert_eq!(owners.rule_count(), 4);
        let role = Codeowners::parse("[S] @@developer\n*.py\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(role.owners("a.py"), [Owner::Role("developer".into())]);
    }

    #[test]
    fn lines_that_cannot_be_read_are_named() {
        let cases = [
            ("* @a\n!secret.txt @b\n", 2, "no negation"),
            ("* @a\n\nsrc/[a-z].rs @b\n", 3, "no character ranges"),
            ("docs/ bob\n", 1, "\"bob\" is not an owner"),
            ("docs/ @\n", 1, "is not an owner"),
            ("[Docs\n*.md @a\n", 1, "closing ]"),
            ("[]\n", 1, "needs a name"),
            ("[Docs][two] @a\n", 1, "not a number"),
        ];
        for (file, line, message) in cases {
            let err = Codeowners::parse(file).err().unwrap_or_else(|| panic!("{file:?} parsed"));
            assert_eq!(err.line, line, "{file:?}: {err}");
            assert!(err.to_string().contains(message), "{file:?}: {err}");
        }
    }

    #[test]
    fn nothing_in_a_file_makes_parsing_panic() {
        let samples =
            ["", "\\", "[", "^[", "^[x][", "** @a", "/ @a", "\\\\ @a", "*** @a", "a/**/b @a"];
        for sample in samples {
            let _ = Codeowners::parse(sample).map(|o| o.owners("a/b/c"));
        }
        let everything = Codeowners::parse("/ @root\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(&everything, "any/path"), ["@root"]);
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_names_one_of_its_lines(
            text in "([ -~]{0,40}\n){0,12}",
            path in "[a-z./ ]{0,30}",
        ) {
            match Codeowners::parse(&text) {
                Ok(owners) => {
                    let _ = owners.owners(&path);
                }
                Err(err) => proptest::prop_assert!(err.line <= text.lines().count(), "{err}"),
            }
        }
    }
}
