//! Evidence: the local SQLite store of every run (hash-chained).
//!
//! Input: a [`crate::run::Run`] and its [`crate::verdict::Verdict`]. Output:
//! a recorded run id and its chain hash.

pub mod store;
mod window;
