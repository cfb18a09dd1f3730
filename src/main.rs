#![forbid(unsafe_code)]

use clap::Parser;

/// The writer and the HTTP stack allocate small, short-lived objects at a high rate; mimalloc
/// handles that pattern with less contention than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = saldo::cli::Cli::parse();
    match saldo::cli::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("saldo: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
