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
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod config;
pub mod correlate;
pub mod enrich;
pub mod error;
pub mod evidence;
pub mod fingerprint;
pub mod gate;
pub mod ingest;
pub mod lifecycle;
pub mod model;
pub mod policy;
pub mod report;
pub mod run;
pub mod score;
pub mod task;
pub mod verdict;
pub mod vex;
pub mod waiver;
