#![forbid(unsafe_code)]

use clap::Parser;

/// The writer and the HTTP stack allocate small, short-lived objects at a high rate; mimalloc
/// handles that pattern with less contention than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // The test suite starts debug builds of this binary with this set; release builds ignore it.
    if std::env::var_os("SALDO_TEST_CHEAP_HASHING").is_some() {
        saldo::secret::use_cheap_hashing_for_tests();
    }
    let cli = saldo::cli::Cli::parse();
    match saldo::cli::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("saldo: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
