//! Sending a whole file to one bulk endpoint of the admin API (top-ups, imports): every
//! problem reported by line, a progress bar on a terminal, nothing applied unless all is right.

use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// The server the CLI talks to, and how it prints answers.
pub(super) struct Server<'a> {
    /// `…/admin/v1`.
    pub base: &'a str,
    pub token: &'a str,
    /// Print answers as JSON rather than as sentences and tables.
    pub json: bool,
    pub idempotency_key: Option<&'a str>,
}

impl Server<'_> {
    pub fn print_json(&self, answer: &Value) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(answer)?);
        Ok(())
    }
}

/// A line the file itself gets wrong, or one the server refused.
pub(super) struct Problem {
    pub line: u64,
    pub column: String,
    pub rule: String,
}

/// Upload pieces: small enough that the bar moves, large enough to cost nothing.
const PIECE: usize = 256 * 1024;

/// Sends a whole file's `body` to the bulk endpoint at `path` and adds the server's problems
/// to the file's own; with any problem, prints each by line and fails (nothing was applied),
/// else returns the server's answer. `count` is the file's lines or rows, `what` their noun.
pub(super) async fn send_whole(
    server: &Server<'_>,
    path: &str,
    body: &Value,
    mut problems: Vec<Problem>,
    count: usize,
    what: &str,
) -> anyhow::Result<Value> {
    let url = format!("{}{path}", server.base);
    let bytes = serde_json::to_vec(body)?;
    let bar = progress(bytes.len(), count, what);
    let mut request = reqwest::Client::new()
        .post(&url)
        .bearer_auth(server.token)
        .header("content-type", "application/json")
        .body(upload(bytes, bar.clone()));
    if let Some(key) = server.idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await;
    bar.finish_and_clear();
    let response = response.with_context(|| format!("calling {url}"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if status.as_u16() == 422 {
        for p in answer["problems"].as_array().into_iter().flatten() {
            problems.push(Problem {
                line: p["line"].as_u64().unwrap_or(0),
                column: p["column"].as_str().unwrap_or_default().into(),
                rule: p["rule"].as_str().unwrap_or_default().into(),
            });
        }
    } else {
        anyhow::ensure!(
            status.is_success(),
            "the server answered {status}: {answer}"
        );
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        for p in &problems {
            println!("line {}, {}: {}", p.line, p.column, p.rule);
        }
        println!(
            "{} of {count} {what} break a rule; nothing was applied",
            problems.len()
        );
        anyhow::bail!("nothing was applied");
    }
    Ok(answer)
}

/// A bar of the bytes sent, then a spinner while the server checks and applies them. It is
/// drawn on standard error and only on a terminal, so scripts and logs never see it.
fn progress(len: usize, count: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
        .expect("a valid template")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(format!("sending {count} {what}"));
    bar
}

/// `bytes` as a request body in pieces, moving `bar` as each piece goes out.
fn upload(bytes: Vec<u8>, bar: ProgressBar) -> reqwest::Body {
    let total = bytes.len();
    let pieces: Vec<Vec<u8>> = bytes.chunks(PIECE).map(<[u8]>::to_vec).collect();
    let stream = futures::stream::iter(pieces.into_iter().map(move |piece| {
        bar.inc(piece.len() as u64);
        if bar.position() as usize >= total {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid"),
            );
            bar.set_message("sent; the server checks and applies them");
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Ok::<_, std::io::Error>(piece)
    }));
    reqwest::Body::wrap_stream(stream)
}
