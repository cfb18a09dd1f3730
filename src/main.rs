#![forbid(unsafe_code)]

use clap::Parser;

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
