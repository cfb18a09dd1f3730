//! HTTP: the router, middleware (request ids, logging, error formats), and one module per API.

mod account_transaction;
pub(crate) mod admin;
mod body;
mod country;
pub mod credentials;
pub mod credit_account;
mod examples;
pub mod listener;
pub mod metrics;
mod myq_external;
mod myq_v3;
mod national_id;
mod openapi;
mod page;
mod postal_address;
mod problem;
pub(crate) mod reason;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a client is told when the store could not be read: the cause goes to the log only.
pub(crate) const STORE_UNAVAILABLE: &str = "The ledger's store is unavailable; nothing was changed";

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Instrument;

use crate::engine::Engine;
pub use credentials::Credentials;

/// Largest accepted request body (SPEC §9).
pub const BODY_LIMIT: usize = 64 * 1024;
/// A last resort: a request taking longer is answered 503. It must exceed the longest a
/// ledger change can take (10 s waiting in the queue, then at most three database calls of
/// 60 s each), so that a 503 from here never hides a change that still lands.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(200);

/// A read of the store failed. It is logged where it failed; each API answers it as its own
/// 500, nothing having changed.
#[derive(Debug)]
pub struct Unread;

/// Runs a read of the (synchronous) store on a blocking thread; a failure is logged with
/// `what` and comes back as `Unread`.
pub async fn read_store<T: Send + 'static>(
    state: &AppState,
    what: &'static str,
    read: impl FnOnce(&dyn crate::store::Store) -> crate::store::StoreResult<T> + Send + 'static,
) -> Result<T, Unread> {
    let store = state.engine.store().clone();
    let failed =
        |e: &dyn std::fmt::Display| tracing::error!(error = %e, what, "a store read failed");
    match tokio::task::spawn_blocking(move || read(&*store)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            failed(&e);
            Err(Unread)
        }
        Err(e) => {
            failed(&e);
            Err(Unread)
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub credentials: Arc<Credentials>,
    pub admin_token_sha256: Arc<[u8; 32]>,
    pub identity: Arc<dyn crate::identity::IdentityProvider>,
    /// Where consumers reach this server, without a trailing slash: links handed to them are
    /// built from it, never from a request's `Host` header (which a client chooses).
    pub public_url: Arc<str>,
    /// The PEM certificate of the CA behind saldo's TLS certificate, for clients to trust.
    pub ca_pem: Option<Arc<str>>,
}

/// The whole HTTP surface, `/metrics` included.
pub fn app(state: AppState) -> Router {
    surface(state, true)
}

/// The APIs without `/metrics`, for a server that serves metrics on an address of their own.
pub fn app_without_metrics(state: AppState) -> Router {
    surface(state, false)
}

/// `/metrics` alone, for `--metrics-listen`.
pub fn metrics_app() -> Router {
    metrics::handle();
    Router::new().route("/metrics", get(metrics::render))
}

fn surface(state: AppState, with_metrics: bool) -> Router {
    metrics::handle();
    let router = Router::new()
        .merge(myq_external::router())
        .merge(myq_v3::router())
        .merge(credit_account::router())
        .merge(account_transaction::router())
        .merge(admin::router())
        .merge(openapi::router())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    let router = if with_metrics {
        router.route("/metrics", get(metrics::render))
    } else {
        router
    };
    router
        .fallback(not_found)
        .layer(middleware::from_fn(uniform_errors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(log_request))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.engine.store().clone();
    let reachable = matches!(
        tokio::task::spawn_blocking(move || store.ping()).await,
        Ok(Ok(()))
    );
    let down = state.engine.unavailable_ledgers();
    if !reachable {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    } else if !down.is_empty() {
        let message = format!("ledgers unavailable: {}", down.join(", "));
        (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
    } else {
        "ready".into_response()
    }
}

async fn not_found(req: Request) -> Response {
    error_response(
        req.uri().path(),
        StatusCode::NOT_FOUND,
        format!(
            "Not found: no route for {} {}",
            req.method(),
            req.uri().path()
        ),
    )
}

/// Renders an error in the format of the API that owns `path`.
fn error_response(path: &str, status: StatusCode, message: String) -> Response {
    if path == "/api" || path.starts_with("/api/") {
        myq_v3::error(status, message)
    } else if path.starts_with("/ledger/account-transaction")
        || path.starts_with("/ledger/public-account-transaction")
    {
        problem::for_status(problem::Flavor::AccountTransaction, status, message)
    } else if path.starts_with("/ledger/credit-account") || path.starts_with("/ledger/customers/") {
        problem::for_status(problem::Flavor::CreditAccount, status, message)
    } else {
        myq_external::error(status, message)
    }
}

/// Any error that left the router without a JSON body (405, a layer's 413, a timeout) gets
/// one in the owning API's format, so clients never see plain-text errors.
async fn uniform_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            return error_response(
                &path,
                StatusCode::SERVICE_UNAVAILABLE,
                "Request timed out".into(),
            );
        }
    };
    let status = response.status();
    // Only bodies nobody designed (none, or axum's plain text) are replaced; JSON errors and
    // the SCA page's HTML pages are the APIs' own.
    let designed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| !ct.starts_with("text/plain"));
    if status.as_u16() < 400 || designed {
        return response;
    }
    let message = status.canonical_reason().unwrap_or("Error").to_string();
    let mut fixed = error_response(&path, status, message);
    for (name, value) in response.headers() {
        if name == header::ALLOW || name == header::WWW_AUTHENTICATE {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}

/// One log line per request, in a span that handlers enrich with the ledger.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    // The log line names the path asked for when no route matched; metrics only `unmatched`.
    let route = matched
        .clone()
        .unwrap_or_else(|| req.uri().path().to_string());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        request_id = %request_id,
        ledger = tracing::field::Empty,
    );
    async move {
        let response = next.run(req).await;
        let status = response.status().as_u16();
        let latency_us = start.elapsed().as_micros() as u64;
        let seconds = start.elapsed().as_secs_f64();
        metrics::request(&method, matched.as_deref(), status, seconds);
        if status >= 500 {
            tracing::error!(status, latency_us, "request failed");
        } else {
            tracing::info!(status, latency_us, "request");
        }
        response
    }
    .instrument(span)
    .await
}

/// Records the ledger a request acts in on the request's log line.
fn record_ledger(ledger_no: &str) {
    tracing::Span::current().record("ledger", ledger_no);
}
