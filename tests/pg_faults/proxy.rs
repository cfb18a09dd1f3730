//! A TCP proxy between saldo and PostgreSQL whose connections a test cuts, stalls or leaves
//! half-open, as networks do.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One proxied connection.
struct Link {
    pumps: [JoinHandle<()>; 2],
    stalled: Arc<AtomicBool>,
    /// The server's last transaction status (`I` idle, `T` in a transaction, `E` failed).
    status: Arc<AtomicU8>,
    /// A second handle on the PostgreSQL side's socket: while it is open, closing the proxy's
    /// own handle sends nothing to the server.
    upstream: std::net::TcpStream,
}

impl Link {
    fn stop(&self) {
        for pump in &self.pumps {
            pump.abort();
        }
    }
}

#[derive(Default)]
struct Links {
    live: Vec<Link>,
    /// PostgreSQL sides of half-opened connections, kept open until the proxy goes.
    half_open: Vec<std::net::TcpStream>,
}

pub struct Proxy {
    pub port: u16,
    links: Arc<Mutex<Links>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free local port and forwards every connection to `target` (`host:port`).
    pub async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let links = Arc::new(Mutex::new(Links::default()));
        let accept = tokio::spawn(accept(listener, target, links.clone()));
        Proxy {
            port,
            links,
            accept,
        }
    }

    /// Closes both sides of every current connection, as a reset would.
    pub async fn cut(&self) -> usize {
        self.mid_batch(|_, link| link.stop()).await
    }

    /// Closes saldo's side of every current connection and leaves PostgreSQL's side open and
    /// silent: the server sees nothing happen.
    pub async fn half_open(&self) -> usize {
        self.mid_batch(|kept, link| {
            link.stop();
            kept.push(link.upstream);
        })
        .await
    }

    /// Every current connection stops passing bytes, both ways, for good, with both sides
    /// left open; new connections pass. Its pumps (detached, not aborted) hold it stalled
    /// until the test ends.
    pub async fn stall(&self) -> usize {
        self.mid_batch(|kept, link| {
            link.stalled.store(true, Ordering::SeqCst);
            kept.push(link.upstream);
        })
        .await
    }

    /// Waits until some connection is inside a transaction (a writer mid-batch), then does
    /// `fault` to every current connection at once; returns how many were mid-transaction.
    async fn mid_batch(&self, mut fault: impl FnMut(&mut Vec<std::net::TcpStream>, Link)) -> usize {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            {
                let mut links = self.links.lock().unwrap();
                let busy = links
                    .live
                    .iter()
                    .filter(|l| l.status.load(Ordering::SeqCst) == b'T')
                    .count();
                if busy > 0 {
                    let live: Vec<Link> = links.live.drain(..).collect();
                    for link in live {
                        fault(&mut links.half_open, link);
                    }
                    return busy;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no connection went mid-transaction within 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_micros(200)).await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self.links.lock().unwrap().live.drain(..) {
            link.stop();
        }
    }
}

async fn accept(listener: TcpListener, target: String, links: Arc<Mutex<Links>>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let Ok(upstream) = TcpStream::connect(&target).await else {
            continue;
        };
        let _ = (client.set_nodelay(true), upstream.set_nodelay(true));
        let upstream = upstream.into_std().unwrap();
        let second = upstream.try_clone().unwrap();
        let upstream = TcpStream::from_std(upstream).unwrap();
        let stalled = Arc::new(AtomicBool::new(false));
        let status = Arc::new(AtomicU8::new(0));
        let (client_read, client_write) = tokio::io::split(client);
        let (server_read, server_write) = tokio::io::split(upstream);
        let pumps = [
            tokio::spawn(pump(client_read, server_write, stalled.clone(), None)),
            tokio::spawn(pump(
                server_read,
                client_write,
                stalled.clone(),
                Some(status.clone()),
            )),
        ];
        let mut links = links.lock().unwrap();
        links
            .live
            .retain(|l| !l.pumps.iter().all(JoinHandle::is_finished));
        links.live.push(Link {
            pumps,
            stalled,
            status,
            upstream: second,
        });
    }
}

/// Copies `from` to `to` until either side closes, or holds everything once stalled. On the
/// server's side it follows the messages, to keep `status` as the server last reported it.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    stalled: Arc<AtomicBool>,
    status: Option<Arc<AtomicU8>>,
) {
    let mut framing = Framing::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let read = from.read(&mut buf).await;
        if stalled.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(status) = &status {
            framing.feed(&buf[..n], status);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Where the server's stream is in its messages: a type byte and a length (the PostgreSQL
/// wire protocol), then the body. A `ReadyForQuery` (`Z`) body is the transaction status.
#[derive(Default)]
struct Framing {
    header: [u8; 5],
    have: usize,
    body_left: usize,
}

impl Framing {
    fn feed(&mut self, mut bytes: &[u8], status: &AtomicU8) {
        while !bytes.is_empty() {
            if self.body_left == 0 {
                let take = (5 - self.have).min(bytes.len());
                self.header[self.have..self.have + take].copy_from_slice(&bytes[..take]);
                self.have += take;
                bytes = &bytes[take..];
                if self.have == 5 {
                    let length = u32::from_be_bytes(self.header[1..5].try_into().unwrap());
                    self.body_left = (length as usize).saturating_sub(4);
                    self.have = if self.body_left == 0 { 0 } else { 5 };
                }
                continue;
            }
            if self.header[0] == b'Z' {
                status.store(bytes[0], Ordering::SeqCst);
            }
            let take = self.body_left.min(bytes.len());
            self.body_left -= take;
            bytes = &bytes[take..];
            if self.body_left == 0 {
                self.have = 0;
            }
        }
    }
}
