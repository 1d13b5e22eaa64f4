//! Enrichment: facts added to findings after ingestion.
//!
//! Input: vulnerability data carried by normalized findings (CVSS vectors
//! today). Output: typed, validated facts such as [`cvss::Cvss`], which the
//! scoring stage reads.

pub mod cvss;
