//! The HTTP tests of `tests/api`, run again on PostgreSQL: the helpers see this target's name
//! and give each test a fresh PostgreSQL database instead of a SQLite file.

#[path = "api/main.rs"]
mod api;

use api::helpers;
