//! Prometheus metrics at `/metrics` (SPEC §8): requests by route and status with latency, and
//! the writer's batch sizes and persist times.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Seconds, from a fast request to a slow one.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Jobs per writer batch, from one to the writer's maximum (4,096).
const BATCH_SIZE_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// The process-wide recorder, installed on first use (one per process, shared by every app in
/// it, as the `metrics` macros are global).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("saldo_batch_size".into()),
                    BATCH_SIZE_BUCKETS,
                )
            })
            .expect("non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a host program's); then ours stays empty.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

/// HELP and TYPE for every series, and the unlabelled ones at zero from the start, so a
/// dashboard or alert finds them before the first event.
fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        "saldo_http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        "saldo_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by route template"
    );
    describe_histogram!("saldo_batch_size", "Jobs in one ledger writer batch");
    describe_histogram!(
        "saldo_batch_persist_seconds",
        Unit::Seconds,
        "Time to write one batch to the store and commit it"
    );
    describe_counter!(
        "saldo_batch_failures_total",
        "Writer batches whose commit failed (every request in them got an error)"
    );
    describe_counter!(
        "saldo_ledger_catch_ups_total",
        "Times a writer read another process's committed changes"
    );
    describe_counter!(
        "saldo_ledger_reloads_total",
        "Times a writer reloaded its ledger whole from the store"
    );
    describe_counter!(
        "saldo_postings_total",
        "Postings committed, by currency and type (purchase, payment, recharge, fee, interest, …)"
    );
    describe_counter!(
        "saldo_posted_minor_units_total",
        "The amounts of the postings committed, in minor units (öre, cents) without sign, by currency and type"
    );
    describe_counter!(
        "saldo_password_verifications_total",
        "Argon2 verifications of MyQ passwords and OAuth client secrets"
    );
    for counter in [
        "saldo_batch_failures_total",
        "saldo_ledger_catch_ups_total",
        "saldo_ledger_reloads_total",
        "saldo_password_verifications_total",
    ] {
        metrics::counter!(counter).increment(0);
    }
    for histogram in ["saldo_batch_size", "saldo_batch_persist_seconds"] {
        // Registered, so it is rendered with zero counts before the first batch.
        let _ = metrics::histogram!(histogram);
    }
}

/// The `method` label: the standard methods, and `other` for anything a client invents.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

pub async fn render() -> Response {
    let mut response = handle().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The postings of a committed batch: how many and how much, by type. Summed per type first,
/// so a batch of thousands costs a few counter updates.
pub fn postings(currency: &str, transactions: &[crate::ledger::Transaction]) {
    let mut by_type: Vec<(&'static str, u64, u64)> = Vec::new();
    for t in transactions {
        let kind = t.kind.as_str();
        let amount = t.amount.minor().unsigned_abs();
        match by_type.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 = entry.2.saturating_add(amount);
            }
            None => by_type.push((kind, 1, amount)),
        }
    }
    for (kind, count, amount) in by_type {
        let labels = [
            ("currency", currency.to_string()),
            ("type", kind.to_string()),
        ];
        metrics::counter!("saldo_postings_total", &labels).increment(count);
        metrics::counter!("saldo_posted_minor_units_total", &labels).increment(amount);
    }
}

/// One request done; `route` is the matched route template, or `None` when nothing matched
/// (counted as `unmatched`, so junk paths cannot create series without bound).
pub fn request(method: &str, route: Option<&str>, status: u16, seconds: f64) {
    let route = route.unwrap_or("unmatched");
    let labels = [
        ("method", method_label(method).to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("saldo_http_requests_total", &labels).increment(1);
    metrics::histogram!("saldo_http_request_duration_seconds", "route" => route.to_string())
        .record(seconds);
}
