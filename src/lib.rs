//! fixops: the release gate for CI pipelines.
//!
//! ```text
//! inputs ──ingest──▶ Documents ──normalize──▶ Run ──policy──▶ Verdict ──report──▶ stdout/file
//!                                              │                 │
//!                                              └──────evidence::store (SQLite, one transaction)
//! ```
//!
//! The library never prints; the `fixops` binary (`src/main.rs`, `src/cli/`)
//! is the only code that writes to the terminal.
#![warn(missing_docs)]

pub mod enrich;
pub mod error;
pub mod ingest;
pub mod model;
pub mod score;
