//! `saldo bench --webhook`: a receiver in the bench process, subscribed to every event of the
//! bench ledger, so a run shows what delivering webhooks costs the APIs and how far delivery
//! keeps up.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

/// What the receiver has taken.
#[derive(Default)]
struct Taken {
    deliveries: AtomicU64,
    highest_seq: AtomicI64,
}

pub struct Receiver {
    taken: Arc<Taken>,
}

/// Starts a receiver on 127.0.0.1 and subscribes it to every event of `ledger_no`.
pub async fn subscribe(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ledger_no: &str,
) -> anyhow::Result<Receiver> {
    let taken = Arc::new(Taken::default());
    let counted = taken.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let taken = counted.clone();
            async move {
                let seq = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|e| e["seq"].as_i64())
                    .unwrap_or(0);
                taken.deliveries.fetch_add(1, Ordering::Relaxed);
                taken.highest_seq.fetch_max(seq, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let response = http
        .post(format!("{base}/admin/v1/ledgers/{ledger_no}/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": url}))
        .send()
        .await
        .context("subscribing the bench receiver")?;
    anyhow::ensure!(
        response.status().is_success(),
        "subscribing the receiver answered {}",
        response.status()
    );
    Ok(Receiver { taken })
}

impl Receiver {
    /// Prints the deliveries taken by the end of the load and how long the rest took.
    pub async fn report(
        self,
        http: &reqwest::Client,
        base: &str,
        token: &str,
        ledger_no: &str,
    ) -> anyhow::Result<()> {
        let at_end = self.taken.deliveries.load(Ordering::Relaxed);
        let feed: Value = http
            .get(format!(
                "{base}/admin/v1/ledgers/{ledger_no}/events?limit=1"
            ))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let last = feed["last"].as_i64().unwrap_or(0);
        let started = Instant::now();
        let last_event = async {
            loop {
                let highest = self.taken.highest_seq.load(Ordering::Relaxed);
                if highest >= last {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let caught_up = tokio::time::timeout(Duration::from_secs(120), last_event).await;
        let highest = self.taken.highest_seq.load(Ordering::Relaxed);
        match caught_up {
            Ok(()) => println!(
                "webhook: {at_end} events taken by the end of the load; the last of {last} \
                 {:.1} s after it",
                started.elapsed().as_secs_f64()
            ),
            Err(_) => println!(
                "webhook: {at_end} events taken by the end of the load; {} of {last} still \
                 undelivered 120 s after it",
                last - highest
            ),
        }
        Ok(())
    }
}
