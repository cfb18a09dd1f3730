//! The command line: `serve` (default), `migrate`, `admin`, `bench`, `healthcheck`.

mod admin;
mod backup;
mod bench;
mod bench_webhook;
mod bulk;
mod demo;
mod events;
mod import;
mod output;
mod serve;
mod top_up;
mod verify;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "saldo", version, about = "A credit-account ledger server")]
pub struct Cli {
    /// Log format: text (human-readable) or json.
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve(serve::ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(serve::DatabaseArgs),
    /// Audit every ledger: balances against their postings, reserved against active holds,
    /// nothing overdrawn. Exits non-zero naming each broken rule; safe on a live database.
    Verify(serve::DatabaseArgs),
    /// Copy a running server's SQLite database, consistently, to a new file, and check it.
    Backup(backup::BackupArgs),
    /// Put a backup in place as the database; refuses to overwrite an existing one.
    Restore(backup::RestoreArgs),
    /// Provision ledgers, customers, accounts and credentials through the admin API.
    Admin(admin::AdminArgs),
    /// Drive a running server with load and report throughput and latency.
    Bench(bench::BenchArgs),
    /// Certificates for serving HTTPS.
    Tls {
        #[command(subcommand)]
        command: TlsCommand,
    },
    /// Exit 0 if the server at --url answers /healthz.
    Healthcheck {
        /// The server to check.
        #[arg(long, env = "SALDO_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TlsCommand {
    /// Create a local certificate authority and a server certificate signed by it, for the
    /// hosts given: serve with --tls-cert DIR/server.pem --tls-key DIR/server-key.pem, and give
    /// clients DIR/ca.pem (also served at /api/v3/certificates/ca).
    Init {
        /// Where to write ca.pem, ca-key.pem, server.pem and server-key.pem.
        #[arg(long, default_value = "tls")]
        dir: std::path::PathBuf,
        /// A DNS name or IP address clients reach the server at; repeat for several.
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// Replace files already in --dir.
        #[arg(long)]
        force: bool,
    },
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a person at a terminal, never into a file or a journal.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if format == "json" {
        // The request span's fields (route, ledger, request id) once, not again in a list.
        builder.json().with_span_list(false).init();
    } else {
        builder.init();
    }
}

pub async fn main(cli: Cli) -> anyhow::Result<()> {
    init_logging(&cli.log_format);
    match cli.command {
        None => {
            let Cli {
                command: Some(Command::Serve(args)),
                ..
            } = Cli::parse_from(["saldo", "serve"])
            else {
                unreachable!("`serve` parses as the serve command")
            };
            serve::run(args).await
        }
        Some(Command::Serve(args)) => serve::run(args).await,
        Some(Command::Migrate(db)) => serve::migrate(&db),
        Some(Command::Verify(db)) => verify::run(&db),
        Some(Command::Backup(args)) => backup::backup(&args),
        Some(Command::Restore(args)) => backup::restore(&args),
        Some(Command::Admin(args)) => admin::run(args).await,
        Some(Command::Bench(args)) => bench::run(args).await,
        Some(Command::Tls {
            command: TlsCommand::Init { dir, hosts, force },
        }) => {
            let made = crate::tls::init(&dir, &hosts, force)?;
            println!("certificate authority: {}", made.ca.display());
            println!("server certificate:    {}", made.cert.display());
            println!("server key:            {}", made.key.display());
            println!(
                "serve with: saldo serve --tls-cert {} --tls-key {}",
                made.cert.display(),
                made.key.display()
            );
            Ok(())
        }
        Some(Command::Healthcheck { url }) => {
            let status = reqwest::get(format!("{}/healthz", url.trim_end_matches('/')))
                .await?
                .status();
            anyhow::ensure!(status.is_success(), "healthz answered {status}");
            println!("ok");
            Ok(())
        }
    }
}
