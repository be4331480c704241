//! Scan history: `/repos` lists the repositories the person sees with the
//! latest scan of each scope (branch, tool, category); `/repos/{id}` shows
//! one repository's scans, newest first, with what each did to tickets and
//! links to the tickets it opened, verified and reopened.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::Action;
use fixgate_store::{RepositoryScans, ScanChangeKind, ScanRow, ScopeLast};
use serde::Deserialize;

use super::error::PageError;
use super::view::{count, date_time, http_url, short_sha};
use super::{Nav, render};
use crate::AppState;
use crate::auth::SignedIn;

/// Scans per page of a repository's history.
const SCANS_PER_PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "repos.html")]
struct ReposPage {
    repositories: Vec<Repository>,
    nav: Option<Nav>,
}

struct Repository {
    id: i64,
    url: String,
    application: String,
    scopes: Vec<Scope>,
}

struct Scope {
    branch: String,
    tool: String,
    category: String,
    at: String,
    commit: String,
}

#[derive(Template)]
#[template(path = "repo.html")]
struct RepoPage {
    repository: Repository,
    /// The repository's URL when it can be a link.
    href: Option<String>,
    total: String,
    scans: Vec<Scan>,
    previous: Option<String>,
    next: Option<String>,
    nav: Option<Nav>,
}

struct Scan {
    id: i64,
    at: String,
    tools: String,
    branch: String,
    commit: String,
    /// What the scan could prove: "partial", "untracked branch".
    notes: Vec<&'static str>,
    findings: String,
    /// Each change with its count, and the list of its tickets when there
    /// are some to list.
    changes: Vec<Change>,
}

struct Change {
    label: &'static str,
    count: String,
    href: Option<String>,
}

/// The list is not paged: every repository the person sees, with every
/// scope, is one page. That reads well up to some hundreds of repositories;
/// an installation with thousands would want paging by URL, as the scan
/// history has.
pub(super) async fn list(
    State(state): State<AppState>,
    me: SignedIn,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    let repositories = state.fixgate.repositories(&me.0).await?;
    let page = ReposPage {
        repositories: repositories.iter().map(Repository::of).collect(),
        nav: Nav::of(&me),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<u32>,
}

pub(super) async fn history(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    let id: i64 = id
        .parse()
        .map_err(|_| PageError::NotFound(format!("The repository {id} does not exist.")))?;
    let page = query.page.unwrap_or(1).max(1);
    let (repository, scans) = state.fixgate.scan_history(&me.0, id, SCANS_PER_PAGE, page).await?;
    let shown = u64::from(page - 1) * u64::from(SCANS_PER_PAGE) + scans.items.len() as u64;
    let link = |page: u32| format!("/repos/{id}?page={page}");
    let page = RepoPage {
        href: http_url(&repository.url),
        repository: Repository::of(&repository),
        total: count(scans.total),
        scans: scans.items.iter().map(Scan::of).collect(),
        previous: (page > 1).then(|| link(page - 1)),
        next: (shown < scans.total).then(|| link(page + 1)),
        nav: Nav::of(&me),
    };
    render(StatusCode::OK, &page)
}

impl Repository {
    fn of(repository: &RepositoryScans) -> Repository {
        Repository {
            id: repository.id,
            url: repository.url.clone(),
            application: repository.application.clone(),
            scopes: repository.scopes.iter().map(Scope::of).collect(),
        }
    }
}

impl Scope {
    fn of(scope: &ScopeLast) -> Scope {
        Scope {
            branch: scope.branch.clone(),
            tool: scope.tool.clone(),
            category: scope.category.clone(),
            at: scope.at.map(date_time).unwrap_or_else(|| "never".into()),
            commit: scope.commit.as_deref().map(short_sha).unwrap_or_default(),
        }
    }
}

impl Scan {
    fn of(scan: &ScanRow) -> Scan {
        let mut notes = Vec::new();
        if scan.partial {
            notes.push("partial: proves nothing absent");
        }
        if !scan.tracked {
            notes.push("untracked branch: opens and closes no tickets");
        }
        let listed = |kind: ScanChangeKind, n: i64| {
            (n > 0).then(|| format!("/tickets?scan={}&change={}", scan.id, kind.as_str()))
        };
        // Seen again, back after a gap and no longer seen count findings,
        // not tickets, and the events do not record each of them on its
        // ticket, so only counts of tickets lead to a list.
        let plain = |label, n: i64| Change { label, count: count(n.max(0) as u64), href: None };
        let changes = vec![
            Change {
                href: listed(ScanChangeKind::Opened, scan.opened),
                ..plain("Opened", scan.opened)
            },
            plain("Seen again", scan.seen_again),
            plain("Back after a gap", scan.reappeared),
            plain("No longer seen", scan.no_longer_seen),
            Change {
                href: listed(ScanChangeKind::Verified, scan.verified),
                ..plain("Verified (closed as fixed)", scan.verified)
            },
            Change {
                href: listed(ScanChangeKind::Reopened, scan.reopened),
                ..plain("Reopened", scan.reopened)
            },
            plain("Still seen after a fix", scan.verification_failed),
            plain("Suppressed", scan.suppressed),
        ];
        Scan {
            id: scan.id,
            at: date_time(scan.at),
            tools: scan.tools.clone(),
            branch: scan.branch.clone(),
            commit: scan.commit.as_deref().map(short_sha).unwrap_or_default(),
            notes,
            findings: count(scan.findings.max(0) as u64),
            changes,
        }
    }
}
