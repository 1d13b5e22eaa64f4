//! OpenVEX → statements.
//!
//! Both published shapes are read: 0.0.1 (`vulnerability` and `products`
//! as strings, `subcomponents` beside them) and 0.2.0 (`vulnerability` an
//! object with `name` / `@id` / `aliases`; `products` objects with `@id`,
//! `identifiers` and nested `subcomponents`). The status must be one of the
//! four OpenVEX words; anything else is an error at its JSON pointer.

use super::non_empty;
use crate::error::{Error, Result};
use crate::model::{Document, Format, Tool, VexStatement, VexStatus};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Doc {
    #[serde(rename = "@context", default)]
    context: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    tooling: Option<String>,
    #[serde(default)]
    statements: Option<Vec<Statement>>,
}

#[derive(Debug, Deserialize)]
struct Statement {
    #[serde(default)]
    vulnerability: Option<Vulnerability>,
    #[serde(default)]
    products: Vec<Product>,
    #[serde(default)]
    subcomponents: Vec<Product>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    action_statement: Option<String>,
    #[serde(default)]
    status_notes: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

/// 0.0.1: a string; 0.2.0: an object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Vulnerability {
    Id(String),
    Object {
        #[serde(default)]
        name: Option<String>,
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

/// 0.0.1: a string; 0.2.0: an object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Product {
    Id(String),
    Object {
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        identifiers: Identifiers,
        #[serde(default)]
        subcomponents: Vec<Product>,
    },
}

#[derive(Debug, Default, Deserialize)]
struct Identifiers {
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    cpe23: Option<String>,
    #[serde(default)]
    cpe22: Option<String>,
}

impl Product {
    /// Every identifier of the product (`@id`, purl, CPEs), deduplicated, into `out`.
    fn identifiers(&self, out: &mut Vec<String>) {
        let ids: Vec<Option<&str>> = match self {
            Product::Id(s) => vec![Some(s.as_str())],
            Product::Object {
                id, identifiers, ..
            } => vec![
                id.as_deref(),
                identifiers.purl.as_deref(),
                identifiers.cpe23.as_deref(),
                identifiers.cpe22.as_deref(),
            ],
        };
        for id in ids.into_iter().flatten() {
            if let Some(id) = non_empty(Some(id))
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
    }
}

fn status(word: &str) -> Option<VexStatus> {
    Some(match word {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

/// Parse an OpenVEX document.
pub(super) fn parse(path: &Path, text: &str) -> Result<Document> {
    let doc: Doc = crate::error::from_json(path, text, "OpenVEX")?;
    let context = doc.context.as_deref().unwrap_or("");
    if !context.contains("openvex.dev/ns") {
        return Err(Error::at_pointer(
            path,
            "/@context",
            format!(
                "@context {context:?} is not an OpenVEX context; expected https://openvex.dev/ns/v0.2.0"
            ),
        ));
    }
    let version = context
        .rsplit('/')
        .next()
        .filter(|v| v.starts_with('v'))
        .unwrap_or("unversioned");
    let mut out = Document::new(Format::Openvex, version);
    for name in [&doc.author, &doc.tooling].into_iter().flatten() {
        if let Some(name) = non_empty(Some(name)) {
            out.producers.push(Tool {
                name: name.into(),
                version: None,
            });
        }
    }
    let Some(statements) = doc.statements else {
        return Err(Error::at_pointer(
            path,
            "/statements",
            "no statements list; expected OpenVEX statements",
        ));
    };
    for (i, s) in statements.into_iter().enumerate() {
        let at = |field: &str| format!("/statements/{i}/{field}");
        let (vulnerability, aliases) = match s.vulnerability {
            Some(Vulnerability::Id(id)) => (non_empty(Some(&id)), Vec::new()),
            Some(Vulnerability::Object { name, id, aliases }) => (
                non_empty(name.as_deref()).or(non_empty(id.as_deref())),
                aliases,
            ),
            None => (None, Vec::new()),
        };
        let Some(vulnerability) = vulnerability else {
            return Err(Error::at_pointer(
                path,
                at("vulnerability"),
                "statement without a vulnerability; expected a CVE / GHSA id or {\"name\": ...}",
            ));
        };
        let word = s.status.as_deref().unwrap_or("");
        let Some(status) = status(word) else {
            return Err(Error::at_pointer(
                path,
                at("status"),
                format!(
                    "status {word:?}; expected not_affected, affected, fixed or under_investigation"
                ),
            ));
        };
        let mut products = Vec::new();
        let mut subcomponents = Vec::new();
        for p in &s.products {
            p.identifiers(&mut products);
            if let Product::Object {
                subcomponents: subs,
                ..
            } = p
            {
                subs.iter()
                    .for_each(|sc| sc.identifiers(&mut subcomponents));
            }
        }
        s.subcomponents
            .iter()
            .for_each(|sc| sc.identifiers(&mut subcomponents));
        if products.is_empty() {
            out.warnings.push(format!(
                "{}: statement for {vulnerability} names no products",
                at("products")
            ));
        }
        out.statements.push(VexStatement {
            vulnerability,
            aliases,
            products,
            subcomponents,
            status,
            justification: non_empty(s.justification.as_deref()),
            impact_statement: non_empty(s.impact_statement.as_deref())
                .or(non_empty(s.status_notes.as_deref())),
            action_statement: non_empty(s.action_statement.as_deref()),
            timestamp: non_empty(s.timestamp.as_deref()).or(non_empty(doc.timestamp.as_deref())),
        });
    }
    out.stats.statements = Some(out.statements.len() as u64);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.openvex.json")
    }

    #[test]
    fn v001_strings() {
        let d = parse(
            p(),
            r#"{"@context": "https://openvex.dev/ns/v0.0.1", "author": "A", "timestamp": "2023-01-08T18:02:03Z",
                "version": "1",
                "statements": [{"vulnerability": "CVE-2023-12345", "products": ["pkg:apk/wolfi/git@2.39.0-r1"],
                                "subcomponents": ["pkg:apk/wolfi/libcurl@8"], "status": "fixed"}]}"#,
        )
        .unwrap();
        assert_eq!(d.spec_version, "v0.0.1");
        let s = &d.statements[0];
        assert_eq!(s.vulnerability, "CVE-2023-12345");
        assert_eq!(s.products, vec!["pkg:apk/wolfi/git@2.39.0-r1".to_string()]);
        assert_eq!(s.subcomponents, vec!["pkg:apk/wolfi/libcurl@8".to_string()]);
        assert_eq!(s.status, VexStatus::Fixed);
        assert_eq!(
            s.timestamp.as_deref(),
            Some("2023-01-08T18:02:03Z"),
            "document timestamp inherited"
        );
        assert_eq!(d.producers[0].name.as_ref(), "A");
        assert_eq!(d.stats.statements, Some(1));
    }

    #[test]
    fn v020_objects() {
        let d = parse(
            p(),
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "version": 1, "timestamp": "2023-07-17T00:00:00Z",
                "statements": [{
                  "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2023-1255", "name": "CVE-2023-1255", "aliases": ["GHSA-xxxx"]},
                  "products": [{"@id": "pkg:oci/alpine@sha256%3A124c", "identifiers": {"purl": "pkg:oci/alpine@sha256%3A124c", "cpe23": "cpe:2.3:o:alpine:alpine:3.18:*:*:*:*:*:*:*"},
                                "subcomponents": [{"@id": "pkg:apk/alpine/libssl3@3.0.8-r3"}]}],
                  "status": "not_affected", "justification": "vulnerable_code_not_present",
                  "impact_statement": "not reachable", "timestamp": "2023-08-01T00:00:00Z"}]}"#,
        )
        .unwrap();
        assert_eq!(d.spec_version, "v0.2.0");
        let s = &d.statements[0];
        assert_eq!(s.vulnerability, "CVE-2023-1255");
        assert_eq!(s.aliases, vec!["GHSA-xxxx".to_string()]);
        assert_eq!(s.products.len(), 2, "{:?}", s.products);
        assert_eq!(
            s.subcomponents,
            vec!["pkg:apk/alpine/libssl3@3.0.8-r3".to_string()]
        );
        assert_eq!(s.status, VexStatus::NotAffected);
        assert_eq!(
            s.justification.as_deref(),
            Some("vulnerable_code_not_present")
        );
        assert_eq!(s.impact_statement.as_deref(), Some("not reachable"));
        assert_eq!(s.timestamp.as_deref(), Some("2023-08-01T00:00:00Z"));
    }

    #[test]
    fn unknown_status_is_an_error_at_its_pointer() {
        let e = parse(
            p(),
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
                {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "x"}], "status": "fixed"},
                {"vulnerability": {"name": "CVE-2"}, "products": [{"@id": "x"}], "status": "wontfix"}]}"#,
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(m.contains("at /statements/1/status"), "{m}");
        assert!(m.contains("\"wontfix\""), "{m}");
    }

    #[test]
    fn context_must_be_openvex() {
        let e = parse(
            p(),
            r#"{"@context": "https://example.org", "statements": []}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("at /@context"), "{e}");
    }
}
