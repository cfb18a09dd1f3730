//! The real `saldo` binary, as an operator runs it, and print terminals that load it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::{Admin, eventually};

/// Admin token of servers started as processes.
pub const PROCESS_TOKEN: &str = "process-admin-token";

pub struct Server {
    pub child: std::process::Child,
    pub url: String,
}

impl Server {
    /// Starts `saldo serve` and waits for `/readyz`; stdout is kept for the caller to read.
    pub async fn start_with(db: &str, port: u16, token: Option<&str>, extra: &[&str]) -> Server {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_saldo"));
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db,
        ])
        .args(extra)
        .env_remove("SALDO_ADMIN_TOKEN")
        .env("RUST_LOG", "warn")
        // Honoured by debug builds only: cheap Argon2 for credentials the tests create.
        .env("SALDO_TEST_CHEAP_HASHING", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
        if let Some(token) = token {
            cmd.env("SALDO_ADMIN_TOKEN", token);
        }
        let child = cmd.spawn().expect("starting saldo");
        let url = format!("http://127.0.0.1:{port}");
        let ready = format!("{url}/readyz");
        eventually(Duration::from_secs(20), "saldo becomes ready", || async {
            let r = reqwest::get(&ready).await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
        Server { child, url }
    }

    pub async fn start(db: &str, port: u16, token: Option<&str>) -> Server {
        Server::start_with(db, port, token, &[]).await
    }

    /// Its admin API, for a server started with `PROCESS_TOKEN`.
    pub fn admin(&self) -> Admin {
        Admin::new(&self.url, PROCESS_TOKEN)
    }

    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and returns the exit status and everything printed on stdout.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        use std::io::Read;
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        (status, out)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Print terminals under load, each remembering which payment commits were acknowledged.
pub struct Load {
    terminals: Vec<tokio::task::JoinHandle<Vec<(usize, i64)>>>,
    acked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// However a test goes, no terminal loops longer than this.
const LOAD_AT_MOST: Duration = Duration::from_secs(60);

impl Load {
    /// One terminal per `(url, user)`, each running until `finish` or until its server stops
    /// answering.
    pub fn start(terminals: Vec<(String, usize)>, auth: &str) -> Load {
        let acked = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let terminals = terminals
            .into_iter()
            .map(|(url, user)| {
                let terminal = Terminal {
                    client: reqwest::Client::new(),
                    url,
                    auth: auth.to_string(),
                    acked: acked.clone(),
                    stop: stop.clone(),
                };
                tokio::spawn(terminal.run(user))
            })
            .collect();
        Load {
            terminals,
            acked,
            stop,
        }
    }

    /// How many commits the terminals have had acknowledged so far.
    pub fn acknowledged(&self) -> usize {
        self.acked.load(Ordering::Relaxed)
    }

    /// Waits until the terminals together have `n` acknowledged commits.
    pub async fn until_acknowledged(&self, n: usize) {
        let what = format!("{n} commits acknowledged under load");
        eventually(Duration::from_secs(30), &what, || async {
            (self.acknowledged() >= n).then_some(())
        })
        .await;
    }

    /// Stops the terminals; every acknowledged commit, as (user, payment id).
    pub async fn finish(self) -> Vec<(usize, i64)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut acked = Vec::new();
        for t in self.terminals {
            acked.extend(t.await.unwrap());
        }
        acked
    }
}

struct Terminal {
    client: reqwest::Client,
    url: String,
    auth: String,
    acked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Terminal {
    async fn post(&self, path: String, body: Option<Value>) -> reqwest::Result<reqwest::Response> {
        let mut req = self
            .client
            .post(format!("{}{path}", self.url))
            .header("authorization", &self.auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await
    }

    /// The JSON a POST answered, or `None` once the server stops answering.
    async fn created(&self, path: String, body: Value) -> Option<Value> {
        self.post(path, Some(body)).await.ok()?.json().await.ok()
    }

    /// Sessions of three committed payments of 0.25 for `u{user}`.
    async fn run(self, user: usize) -> Vec<(usize, i64)> {
        let deadline = tokio::time::Instant::now() + LOAD_AT_MOST;
        let mut acked = Vec::new();
        'sessions: while tokio::time::Instant::now() < deadline
            && !self.stop.load(Ordering::Relaxed)
        {
            let opened = json!({"username": format!("u{user}")});
            let Some(s) = self.created("/sessions".into(), opened).await else {
                break;
            };
            let s = s["id"].as_i64().unwrap();
            for _ in 0..3 {
                let path = format!("/sessions/{s}/payments");
                let Some(p) = self.created(path, json!({"amount": 0.25})).await else {
                    break 'sessions;
                };
                let p = p["id"].as_i64().unwrap();
                match self
                    .post(format!("/sessions/{s}/payments/{p}/commit"), None)
                    .await
                {
                    Ok(r) if r.status() == 204 => {
                        acked.push((user, p));
                        self.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => panic!("commit answered {}", r.status()),
                    Err(_) => break 'sessions,
                }
            }
        }
        acked
    }
}
