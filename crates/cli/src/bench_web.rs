//! `fixgate bench --web`: how fast the web answers on a large store (see
//! `fixgate seed`). Measured in this process, without HTTP in between: the
//! dashboard page (its default 90-day window), the figures behind it as the
//! API and `fixgate report kpis` give them (ungrouped and by severity), and
//! two filtered ticket list pages. Pages are whole, as the router serves
//! them: sign-in by session, the filter choices, the queries and the
//! rendering. With `--http` the pages are also fetched through the real
//! server on 127.0.0.1. Each case runs once to warm the
//! caches, then `--runs` times; p50, p95 and max are printed.

use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_service::report::KpiRequest;
use fixgate_service::{CreateUser, Fixgate};
use fixgate_store::{KpiGroup, Visibility};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::cli::{BenchArgs, StoreArgs};
use crate::output::print;

/// The open states, as the list filter names them.
const OPEN: &str = "new,triaged,in_progress,waiting_on_vendor,fixed,reopened";

pub async fn bench_web(store: &StoreArgs, args: &BenchArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = run(&fixgate, args).await;
    fixgate.store().close().await;
    result
}

async fn run(fixgate: &Fixgate, args: &BenchArgs) -> anyhow::Result<()> {
    let tickets = fixgate.store().ticket_count().await?;
    anyhow::ensure!(tickets > 0, "the store has no tickets: seed it first with `fixgate seed`");
    let (name, cookie) = sign_in(fixgate).await?;
    let spool = std::env::temp_dir();
    let router =
        fixgate_http::router(fixgate_http::AppState::new(fixgate.clone(), &spool, 1 << 20));
    // Each page, and what its body must hold for the run to count.
    let pages = [
        Page { name: "dashboard page (90 days)", uri: "/dashboard".to_string(), holds: "<svg" },
        Page {
            name: "list: high+critical, open, one team",
            uri: format!("/tickets?severity=high,critical&state={OPEN}&owner={}", args.team),
            holds: "SEC-",
        },
        Page {
            name: "list: one application, one CWE",
            uri: format!("/tickets?application={}&cwe={}", args.application, args.cwe),
            holds: "SEC-",
        },
    ];

    print(&format!(
        "{tickets} tickets; {} runs per case after one warm-up\n{:<44} {:>9} {:>9} {:>9}\n",
        args.runs, "case", "p50 ms", "p95 ms", "max ms"
    ))?;
    for by in [None, Some(KpiGroup::Severity)] {
        let name = match by {
            None => "figures (kpis, 90 days)".to_string(),
            Some(group) => format!("figures by {}", group.as_str()),
        };
        let request = &KpiRequest { by, ..KpiRequest::default() };
        let times = repeat(args.runs, || async move {
            fixgate.kpis(request, Visibility::everything()).await?;
            Ok(())
        })
        .await?;
        report(&name, &times)?;
    }
    let (with, key) = (&router, cookie.as_str());
    for page in &pages {
        let times = repeat(args.runs, || fetch_page(with, page, key)).await?;
        report(page.name, &times)?;
    }
    if args.http {
        http(router.clone(), &pages, &cookie, args.runs).await?;
    }
    fixgate.set_disabled(&name, true).await?;
    Ok(())
}

/// A person who may see everything, made for this run and signed in; the
/// run disables them at its end. Pages are for people: they take a
/// session, not a token.
async fn sign_in(fixgate: &Fixgate) -> anyhow::Result<(String, String)> {
    let secret =
        hex::encode(Sha256::digest(format!("{:?} {}", Instant::now(), std::process::id())));
    let name = format!("fixgate-bench-{}", secret.get(..8).unwrap_or("0"));
    let user = CreateUser {
        name: name.clone(),
        role: Role::Administrator,
        teams: Vec::new(),
        password: Some(secret.clone()),
    };
    fixgate.create_user(user).await?;
    let signed_in = fixgate.sign_in(&name, &secret).await?;
    Ok((name, format!("__Host-fixgate_session={}", signed_in.cookie)))
}

/// A page the benchmark fetches.
struct Page {
    name: &'static str,
    uri: String,
    /// Text its body must hold: a page without it measured nothing.
    holds: &'static str,
}

/// One page through the router; it must answer 200 with what it holds.
async fn fetch_page(router: &axum::Router, page: &Page, cookie: &str) -> anyhow::Result<()> {
    let uri = &page.uri;
    let request = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty())?;
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    anyhow::ensure!(status == StatusCode::OK, "{uri} answered {status}");
    anyhow::ensure!(
        String::from_utf8_lossy(&body).contains(page.holds),
        "{uri} answered without {:?}: pick a filter the store has tickets for",
        page.holds
    );
    Ok(())
}

/// The pages through the real server, bound to 127.0.0.1.
async fn http(router: axum::Router, pages: &[Page], cookie: &str, runs: u32) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    for page in pages {
        let url = format!("{base}{}", page.uri);
        let times = repeat(runs, || {
            let (url, cookie, holds) = (url.clone(), cookie.to_string(), page.holds);
            async move {
                tokio::task::spawn_blocking(move || fetch(&url, &cookie, holds)).await??;
                Ok(())
            }
        })
        .await?;
        report(&format!("{} (HTTP)", page.name), &times)?;
    }
    server.abort();
    Ok(())
}

fn fetch(url: &str, cookie: &str, holds: &str) -> anyhow::Result<()> {
    let mut response =
        ureq::get(url).header("Cookie", cookie).call().with_context(|| format!("GET {url}"))?;
    let body = response.body_mut().read_to_string()?;
    anyhow::ensure!(body.contains(holds), "{url} answered without {holds:?}");
    Ok(())
}

/// Runs `case` once to warm up, then `runs` times; returns each run's time.
async fn repeat<F, Fut>(runs: u32, case: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    case().await?;
    let mut times = Vec::with_capacity(runs as usize);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        case().await?;
        times.push(started.elapsed());
    }
    Ok(times)
}

fn report(name: &str, times: &[Duration]) -> anyhow::Result<()> {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let i = ((p * ms.len() as f64).ceil() as usize).saturating_sub(1);
        ms.get(i).copied().unwrap_or(0.0)
    };
    print(&format!(
        "{name:<44} {:>9.1} {:>9.1} {:>9.1}\n",
        rank(0.50),
        rank(0.95),
        ms.last().copied().unwrap_or(0.0)
    ))
}
