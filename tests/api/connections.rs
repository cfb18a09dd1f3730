//! Slow and silent clients cannot hold connections: a request whose headers do not arrive in
//! time is closed, and so is a keep-alive connection left idle that long.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Server, TestDb, free_port};

/// Reads until the server closes the connection; fails if it is still open after `within`.
/// Returns what was read and how long it took.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + within).into(), stream.read(&mut buf)).await {
            Err(_) => panic!("the connection is still open after {within:?}"),
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8_lossy(&seen).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_and_idle_connections_are_closed() {
    let db = TestDb::new();
    let extra = ["--header-timeout-secs", "1"];
    let server = Server::start_with(&db.url, free_port(), Some("t"), &extra).await;
    let address = server.url.trim_start_matches("http://").to_string();

    // Half a request: the server gives up on it after the header timeout.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"POST /sessions HTTP/1.1\r\nHost: saldo\r\n")
        .await
        .unwrap();
    let (_, after) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(
        after >= Duration::from_millis(900),
        "not before the timeout: {after:?}"
    );

    // A whole request is answered, and the idle keep-alive connection then closes too.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: saldo\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Meanwhile the server serves others as usual.
    let r = reqwest::get(format!("{}/healthz", server.url))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
