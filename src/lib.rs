#![forbid(unsafe_code)]
//! saldo: a credit-account ledger server.

/// The command line: serve, migrate, admin, bench, healthcheck.
pub mod cli;
/// One writer per ledger with group commit, the clock, and the sweeper.
pub mod engine;
/// The HTTP surface: router, middleware and one module per API.
pub mod http;
/// Identity checks for public onboarding: the provider trait and the built-in test provider.
pub mod identity;
/// The pure ledger core: state and operations, no I/O.
pub mod ledger;
/// Integer money in minor units with exact parsing and checked arithmetic.
pub mod money;
/// Secret values: generation, hashing, constant-time comparison, redacted `Debug`.
pub mod secret;
/// Persistence: the store trait and its SQLite implementation.
pub mod store;
/// Native TLS: loading the server's certificate, and a local certificate authority.
pub mod tls;
pub mod webhooks;
