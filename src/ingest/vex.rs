//! VEX readers: OpenVEX (0.0.1 and 0.2.0 JSON; YAML arrives as JSON) and
//! CSAF 2.x text → [`Document`] of [`VexStatement`](crate::model::VexStatement)s.
//!
//! OpenVEX statements map one to one. A CSAF document becomes one statement
//! per (vulnerability, product, status): product ids are resolved through
//! the product tree to purls or CPEs (else the product name), and the
//! `product_status` lists give the status (`recommended` and other lists
//! that state no status are not statements).

mod csaf;
mod openvex;

use crate::error::Result;
use crate::model::Document;
use std::path::Path;

/// Parse OpenVEX JSON (YAML arrives here converted to JSON).
pub fn parse_openvex(path: &Path, text: &str) -> Result<Document> {
    openvex::parse(path, text)
}

/// Parse CSAF 2.x (`csaf_vex`, `csaf_security_advisory`, ...).
pub fn parse_csaf(path: &Path, text: &str) -> Result<Document> {
    csaf::parse(path, text)
}

/// `Some(s)` for a non-blank string.
fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
