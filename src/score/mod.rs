//! Scoring: pure functions from enriched findings to decisions and numbers,
//! each returned with the factors that produced it.
//!
//! Input: evidence gathered by ingestion and enrichment. Output: scores and
//! categorical decisions (today [`ssvc::Outcome`]).

pub mod ssvc;
