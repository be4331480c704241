//! Opening the store and running the server, with its background jobs
//! (delivering notifications) beside it.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::ConnectInfo;
use axum::serve::{IncomingStream, Listener};
use axum::{Extension, Router};
use fixgate_http::{AppState, RateLimitSettings, RateLimits};
use fixgate_service::{Fixgate, SystemClock};
use fixgate_store::{ConnectOptions, Store};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, ServeArgs, StoreArgs};
use crate::tls::TlsListener;

pub fn init_logging(cli: &Cli) {
    let default = match cli.command {
        Command::Serve(_) => "info",
        // The demo prints its own summary of each import.
        Command::Demo(_) => "info,fixgate_service=warn",
        _ => "warn",
    };
    let filter = EnvFilter::try_new(cli.log.as_deref().unwrap_or(default))
        .unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a terminal: a log file or collector gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if cli.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The database URL the arguments name: `--database-url`, else an SQLite
/// file in the data folder (created if missing).
pub fn database_url(args: &StoreArgs) -> anyhow::Result<String> {
    if let Some(url) = &args.database_url {
        return Ok(url.clone());
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data folder {}", args.data_dir.display()))?;
    Ok(format!("sqlite://{}", args.data_dir.join("fixgate.db").display()))
}

pub async fn open(args: &StoreArgs) -> anyhow::Result<Fixgate> {
    let url = database_url(args)?;
    let store = Store::connect(&url, ConnectOptions::default()).await?;
    Ok(Fixgate::new(store, Arc::new(SystemClock)))
}

pub async fn serve(store: &StoreArgs, args: ServeArgs) -> anyhow::Result<()> {
    let fixgate = open(store).await?;
    let bound = bind(&args).await?;
    crate::output::print(&format!("fixgate is listening on {}\n", bound.url()?))?;
    run(fixgate, store, &args, bound).await
}

/// The server's socket, with the TLS acceptor when it serves HTTPS.
pub struct Bound {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
}

impl Bound {
    /// Where the server answers: `http://ADDR/` or `https://ADDR/`.
    pub fn url(&self) -> anyhow::Result<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{}/", self.listener.local_addr()?))
    }

    /// Serves the router over plain HTTP or HTTPS until Ctrl-C.
    async fn serve(self, router: Router) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        match self.tls {
            None => {
                tracing::info!(addr = %addr, "serving");
                until_ctrl_c(self.listener, router).await?;
            }
            Some(acceptor) => {
                tracing::info!(addr = %addr, "serving https");
                let router = router.layer(axum::middleware::map_response(strict_transport));
                until_ctrl_c(TlsListener::new(self.listener, acceptor), router).await?;
            }
        }
        Ok(())
    }
}

/// Over HTTPS, browsers are told to use nothing else for this host for a
/// year.
async fn strict_transport(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    response
}

/// Reads the certificate and key, if any, then takes the `--listen` address.
pub async fn bind(args: &ServeArgs) -> anyhow::Result<Bound> {
    let tls = crate::tls::acceptor(args.tls_cert.as_deref(), args.tls_key.as_deref())?;
    let listen = &args.listen;
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address such as 127.0.0.1:8080"))?;
    let listener =
        TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    Ok(Bound { listener, tls })
}

pub async fn run(
    fixgate: Fixgate,
    store: &StoreArgs,
    args: &ServeArgs,
    bound: Bound,
) -> anyhow::Result<()> {
    let spool_dir = store.data_dir.join("uploads");
    std::fs::create_dir_all(&spool_dir)
        .with_context(|| format!("cannot create upload folder {}", spool_dir.display()))?;
    // A report is held to the upload limit however it arrives.
    let max_bytes = args.max_upload_mb.saturating_mul(1024 * 1024);
    let fixgate = fixgate
        .with_limits(fixgate_intake::Limits { max_bytes, ..fixgate_intake::Limits::default() })
        .with_notify(crate::notify::settings(&args.notify)?);
    let limits = RateLimitSettings {
        sign_ins_per_minute: args.sign_ins_per_minute,
        uploads_per_minute: args.uploads_per_minute,
    };
    let state = AppState {
        limits: Arc::new(RateLimits::new(limits)),
        trust_forwarded: args.trust_forwarded,
        ..AppState::new(fixgate.clone(), &spool_dir, max_bytes)
    };
    tokio::spawn(checkpoints(fixgate.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let every = std::time::Duration::from_secs(args.background_every);
    let background =
        tokio::spawn(fixgate_service::background::run_background(fixgate.clone(), every, async {
            let _ = stopped.await;
        }));
    bound.serve(fixgate_http::router(state)).await?;
    // A delivery round under way finishes before the store closes.
    let _ = stop.send(());
    let _ = background.await;
    fixgate.store().close().await;
    Ok(())
}

/// Serves until Ctrl-C, then lets the requests under way finish. Each
/// connection's requests carry the peer's address, which rate limits count.
async fn until_ctrl_c<L>(listener: L, router: Router) -> std::io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let connections = tower::service_fn(move |incoming: IncomingStream<'_, L>| {
        let peer = ConnectInfo(*incoming.remote_addr());
        let service = tower::Layer::layer(&Extension(peer), router.clone());
        async move { Ok::<_, std::convert::Infallible>(service) }
    });
    axum::serve(listener, connections)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Folds the SQLite write-ahead log into the database every half minute, off
/// the path of any request.
async fn checkpoints(fixgate: Fixgate) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        every.tick().await;
        if let Err(err) = fixgate.store().checkpoint().await {
            tracing::warn!(error = %err, "checkpoint failed");
        }
    }
}
