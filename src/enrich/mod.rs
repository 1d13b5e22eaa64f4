//! Enrichment: facts added to findings after ingestion.
//!
//! Input: vulnerability data carried by normalized findings and documents
//! (CVSS vectors, CVE ids, SBOM components and edges) plus the user's
//! business context and stored intelligence snapshots. Output: typed facts
//! ([`cvss::Cvss`], [`intel::Lookup`], [`context::Resolved`],
//! [`graph::ComponentFacts`]) that the scoring stage reads.

pub mod context;
pub mod cvss;
pub mod graph;
pub mod intel;
