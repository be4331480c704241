//! Routes: which team owns a finding when CODEOWNERS cannot say (a
//! vulnerable package, a finding on a running application, a repository
//! without the file). Rules are read top to bottom; the first whose
//! conditions all hold names the team.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

use super::PolicyFileError;
use super::file::{At, RawRoute, Source, each};
use crate::codeowners::{gitignore_globs, normalize};
use crate::link::web_url;
use crate::{FindingKind, TicketType};

/// What routing looks at in a finding.
#[derive(Debug, Clone, Copy)]
pub struct RouteInput<'a> {
    pub application: &'a str,
    /// The repository's URL, in any of the forms people paste.
    pub repository: Option<&'a str>,
    /// The file, relative to the repository's root.
    pub path: Option<&'a str>,
    /// The package's ecosystem as a purl type (`npm`, `pypi`, `maven`).
    pub ecosystem: Option<&'a str>,
    /// `None` for a ticket opened by hand: it meets no `kind` condition.
    pub kind: Option<FindingKind>,
    /// A scan's findings are vulnerabilities; a ticket opened by hand may
    /// be of any type.
    pub ticket_type: TicketType,
    pub cwes: &'a [u32],
}

/// The rule that routed a finding, and the team it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteMatch {
    pub team: String,
    /// The rule's `name`, when it has one.
    pub name: Option<String>,
    /// The rule's number, 1-based, in the file's order.
    pub rule: usize,
    /// The line of the rule's `[[route]]` header.
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(super) struct Route {
    name: Option<String>,
    line: usize,
    team: String,
    application: Option<Vec<String>>,
    /// Web forms of the URLs, lowercased.
    repository: Option<Vec<String>>,
    path: Option<GlobSet>,
    ecosystem: Option<Vec<String>>,
    kind: Option<Vec<FindingKind>>,
    ticket_type: Option<Vec<TicketType>>,
    cwe: Option<Vec<u32>>,
}

impl Route {
    fn matches(&self, input: &RouteInput<'_>) -> bool {
        let repository = input.repository.map(repository_key);
        let ecosystem = input.ecosystem.map(|e| e.trim().to_ascii_lowercase());
        self.application.as_ref().is_none_or(|l| l.iter().any(|a| a == input.application))
            && one_of(&self.repository, repository.as_deref())
            && self
                .path
                .as_ref()
                .is_none_or(|set| input.path.is_some_and(|p| set.is_match(normalize(p))))
            && one_of(&self.ecosystem, ecosystem.as_deref())
            && self.kind.as_ref().is_none_or(|l| input.kind.is_some_and(|k| l.contains(&k)))
            && self.ticket_type.as_ref().is_none_or(|l| l.contains(&input.ticket_type))
            && self.cwe.as_ref().is_none_or(|l| input.cwes.iter().any(|c| l.contains(c)))
    }
}

/// No list, or a value the list holds; a missing value meets no list.
fn one_of(list: &Option<Vec<String>>, value: Option<&str>) -> bool {
    list.as_ref().is_none_or(|l| value.is_some_and(|v| l.iter().any(|x| x == v)))
}

/// A repository URL as routes compare it: its web form, lowercased, so
/// `git@github.com:Acme/Shop.git` and `https://github.com/acme/shop` agree.
fn repository_key(url: &str) -> String {
    web_url(url).to_ascii_lowercase()
}

/// The first route that matches `input`.
pub(super) fn route(routes: &[Route], input: &RouteInput<'_>) -> Option<RouteMatch> {
    let (index, route) = routes.iter().enumerate().find(|(_, r)| r.matches(input))?;
    Some(RouteMatch {
        team: route.team.clone(),
        name: route.name.clone(),
        rule: index + 1,
        line: route.line,
    })
}

pub(super) fn read(source: &Source<'_>, raw: &At<RawRoute>) -> Result<Route, PolicyFileError> {
    let route = raw.get_ref();
    let team = match &route.team {
        Some(team) if !team.get_ref().trim().is_empty() => team.get_ref().trim().to_string(),
        Some(team) => return Err(source.error(team.span(), "a route's `team` is empty")),
        None => {
            return Err(source.error(raw.span(), "a route needs a `team` to route findings to"));
        }
    };
    let text = |key: &str,
                list: &Option<At<Vec<At<String>>>>,
                clean: fn(&str) -> Result<String, String>| {
        list.as_ref().map(|list| each(source, key, list, |v| clean(v))).transpose()
    };
    Ok(Route {
        name: route.name.as_ref().map(|n| n.get_ref().trim().to_string()).filter(|n| !n.is_empty()),
        line: source.line(raw.span().start),
        team,
        application: text("application", &route.application, |a| Ok(a.to_string()))?,
        repository: text("repository", &route.repository, repository)?,
        path: route.path.as_ref().map(|paths| globs(source, paths)).transpose()?,
        ecosystem: text("ecosystem", &route.ecosystem, ecosystem)?,
        kind: route
            .kind
            .as_ref()
            .map(|l| each(source, "kind", l, |k| super::kind(k)))
            .transpose()?,
        ticket_type: route
            .ticket_type
            .as_ref()
            .map(|l| each(source, "type", l, |t| super::ticket_type(t)))
            .transpose()?,
        cwe: route.cwe.as_ref().map(|l| each(source, "cwe", l, |c| cwe(*c))).transpose()?,
    })
}

fn repository(url: &str) -> Result<String, String> {
    if url.trim().is_empty() {
        return Err("a repository URL is empty".into());
    }
    Ok(repository_key(url))
}

/// A purl type: letters, digits, `.`, `+` and `-`, starting with a letter.
fn ecosystem(name: &str) -> Result<String, String> {
    let name = name.trim().to_ascii_lowercase();
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'));
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "{name:?} is not an ecosystem; expected a package URL type such as npm, pypi or maven"
        ))
    }
}

fn cwe(id: i64) -> Result<u32, String> {
    u32::try_from(id)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("CWE {id} is not a CWE number; expected 79 for CWE-79"))
}

fn globs(source: &Source<'_>, patterns: &At<Vec<At<String>>>) -> Result<GlobSet, PolicyFileError> {
    let mut set = GlobSetBuilder::new();
    for pattern in super::file::non_empty(source, "path", patterns)? {
        let text = pattern.get_ref().trim();
        let refuse = |message: String| source.error(pattern.span(), message);
        if text.is_empty() {
            return Err(refuse("a path pattern is empty".into()));
        }
        if text.starts_with('!') {
            return Err(refuse(format!(
                "path pattern {text:?}: a route cannot exclude paths (!); \
                 put a route for them above this one"
            )));
        }
        for glob in gitignore_globs(text) {
            let glob = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|err| refuse(format!("path pattern {text:?}: {}", err.kind())))?;
            set.add(glob);
        }
    }
    set.build().map_err(|err| source.error(patterns.span(), format!("path patterns: {err}")))
}
