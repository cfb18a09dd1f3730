//! HTTP-level tests: a real server on a random port, driven as a client would, on SQLite or
//! (with `SALDO_TEST_STORE=postgres`) on a fresh PostgreSQL database per test.

mod account_transaction;
mod admin;
mod billing;
mod browser;
mod cli;
mod connections;
mod credit_account;
mod durability;
mod event_flows;
mod events;
pub(crate) mod helpers;
mod links;
mod multiprocess;
mod myq_external;
mod myq_v3;
mod onboarding;
mod reads;
mod tls;
mod webhooks;
mod wire;
