//! `saldo serve`: open the store, start the engine and serve HTTP until told to stop.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::engine::{Clock, Engine, SystemClock};
use crate::http::{AppState, Credentials, app};
use crate::secret::{self, Secret};
use crate::store::{self, Store};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SALDO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Seed a demo ledger, customers and a MyQ credential on an empty database.
    #[arg(long)]
    pub demo: bool,
    /// Admin API token; generated at first start (and printed once) when absent.
    #[arg(
        long = "admin-token",
        env = "SALDO_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<Secret>,
    /// How often idle sessions and expired holds are swept, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub sweep_interval_ms: u64,
    /// Seconds a client has to send a request's headers once its connection is ready for one;
    /// a slower client, or a keep-alive connection idle that long, is closed.
    #[arg(long, env = "SALDO_HEADER_TIMEOUT_SECS", default_value_t = 5)]
    pub header_timeout_secs: u64,
    /// The base URL consumers reach this server at (for example https://pay.example.com),
    /// used in the links saldo hands out, such as the SCA page; default: http://<listen>.
    #[arg(long = "public-url", env = "SALDO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (server first; `saldo tls init` writes one).
    #[arg(long = "tls-cert", env = "SALDO_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long = "tls-key", env = "SALDO_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Serve `/metrics` on this address (plain HTTP) instead of on --listen, so the scraper's
    /// network need not reach the APIs and the APIs' clients cannot read the metrics.
    #[arg(long = "metrics-listen", env = "SALDO_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// The PEM certificate of the CA that signed --tls-cert, served at
    /// /api/v3/certificates/ca; default: the last certificate of a --tls-cert chain.
    #[arg(long = "tls-ca", env = "SALDO_TLS_CA", requires = "tls_cert")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// How long a webhook event that keeps failing is retried, in seconds, before its
    /// subscription is paused (at least 24 hours is what receivers are promised).
    #[arg(long, env = "SALDO_WEBHOOK_RETRY_SECS", default_value_t = 86_400)]
    pub webhook_retry_secs: u64,
    /// The first webhook retry waits this long, in milliseconds; each further one twice as
    /// long (at most an hour), with jitter.
    #[arg(long, default_value_t = 1000)]
    pub webhook_backoff_ms: u64,
    /// Seconds a process holds a webhook subscription without renewing it; after a crash, its
    /// subscriptions wait this long before another process (or a restart) takes them up.
    #[arg(long, default_value_t = 30)]
    pub webhook_lease_secs: u64,
    /// Seconds a webhook receiver has to answer; the lease is kept above twice this.
    #[arg(long, default_value_t = 10)]
    pub webhook_timeout_secs: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Where the ledger is stored: sqlite://PATH (created if missing) or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (the database must exist).
    #[arg(
        long = "database-url",
        env = "SALDO_DATABASE_URL",
        default_value = "sqlite://saldo.db",
        hide_env_values = true
    )]
    pub url: String,
    /// PostgreSQL only: the most connections this process keeps open.
    #[arg(
        long = "database-pool-size",
        env = "SALDO_DATABASE_POOL_SIZE",
        default_value_t = store::DEFAULT_POOL_SIZE
    )]
    pub pool_size: usize,
}

impl DatabaseArgs {
    pub(super) fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        store::open_with(&self.url, self.pool_size)
            .with_context(|| format!("opening the database at {}", redact_url(&self.url)))
    }
}

const ADMIN_TOKEN_META: &str = "admin_token_sha256";

/// The admin token's hash: from the given token, the store, or a new token printed once (and
/// returned, for the demo to print where it is used).
fn admin_token_hash(
    store: &dyn Store,
    given: Option<&Secret>,
) -> anyhow::Result<([u8; 32], Option<Secret>)> {
    if let Some(token) = given {
        // An empty token could never be sent, so the admin API would be locked for good.
        anyhow::ensure!(
            !token.expose().trim().is_empty(),
            "SALDO_ADMIN_TOKEN (--admin-token) is empty: set a token, or leave it unset to have \
             one generated and printed once"
        );
        let hash = secret::sha256(token.expose().as_bytes());
        store.meta_set(ADMIN_TOKEN_META, &secret::hex(&hash))?;
        return Ok((hash, None));
    }
    if let Some(stored) = store.meta_get(ADMIN_TOKEN_META)? {
        let hash =
            secret::sha256_from_hex(&stored).context("the stored admin token hash is damaged")?;
        return Ok((hash, None));
    }
    let token = Secret::generate();
    let hash = secret::sha256(token.expose().as_bytes());
    store.meta_set(ADMIN_TOKEN_META, &secret::hex(&hash))?;
    println!(
        "Generated admin token (shown only this once; set SALDO_ADMIN_TOKEN to choose your own):"
    );
    println!("  {}", token.expose());
    Ok((hash, Some(token)))
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::load(cert, key, args.tls_ca.as_deref())?),
        _ => None,
    };
    let store = args.db.open()?;
    let (admin, generated) = admin_token_hash(&*store, args.admin_token.as_ref())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let engine = Engine::start(store.clone(), clock.clone()).context("loading the ledgers")?;
    let credentials = Arc::new(Credentials::load(store.clone(), clock)?);
    // Other processes sharing the database may revoke credentials: reread them each second.
    credentials.spawn_refresher(std::time::Duration::from_secs(1));
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{}", listener.local_addr()?);
    if args.demo {
        let token = args.admin_token.as_ref().or(generated.as_ref());
        super::demo::seed(&engine, &credentials, &base_url, token).await?;
    }
    engine.spawn_sweeper(std::time::Duration::from_millis(
        args.sweep_interval_ms.max(10),
    ));
    crate::webhooks::spawn(
        engine.clone(),
        crate::webhooks::Config {
            retry_for: std::time::Duration::from_secs(args.webhook_retry_secs),
            first_backoff: std::time::Duration::from_millis(args.webhook_backoff_ms.max(10)),
            lease: std::time::Duration::from_secs(args.webhook_lease_secs.max(1)),
            timeout: std::time::Duration::from_secs(args.webhook_timeout_secs.clamp(1, 60)),
            ..crate::webhooks::Config::default()
        },
    );
    let state = AppState {
        engine: engine.clone(),
        credentials,
        admin_token_sha256: Arc::new(admin),
        identity: Arc::new(crate::identity::TestIdentityProvider::default()),
        public_url: args
            .public_url
            .as_deref()
            .unwrap_or(&base_url)
            .trim_end_matches('/')
            .into(),
        ca_pem: tls.as_ref().and_then(|t| t.ca_pem.clone()),
    };
    tracing::info!(listen = %base_url, database = %redact_url(&args.db.url), "saldo is serving");
    let header_timeout = std::time::Duration::from_secs(args.header_timeout_secs.max(1));
    let acceptor = tls.map(|t| t.acceptor);
    let router = match &args.metrics_listen {
        Some(address) => {
            serve_metrics(address).await?;
            crate::http::app_without_metrics(state)
        }
        None => app(state),
    };
    crate::http::listener::serve(listener, router, header_timeout, acceptor, shutdown).await;
    tracing::info!("draining the ledger writers");
    tokio::task::spawn_blocking(move || engine.shutdown()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `/metrics` alone on `address` until the process ends.
async fn serve_metrics(address: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("binding --metrics-listen {address}"))?;
    tracing::info!(metrics = %listener.local_addr()?, "serving metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, crate::http::metrics_app()).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// A database URL as it may be logged: without a password.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Registers SIGTERM and SIGINT handlers now, so a signal that arrives while the server is
/// still starting (or before the serve loop first polls its shutdown future) is not fatal:
/// it is recorded, and the returned future completes at once when awaited.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("handling SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("handling SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutdown requested; finishing in-flight requests");
    })
}

pub fn migrate(db: &DatabaseArgs) -> anyhow::Result<()> {
    let (before, after) = db.open()?.migrated();
    let at = redact_url(&db.url);
    if before == after {
        println!("database at {at} is up to date (schema version {after})");
    } else {
        println!(
            "database at {at}: applied migrations {} to {after}; schema version {after}",
            before + 1
        );
    }
    Ok(())
}
