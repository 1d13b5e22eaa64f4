//! SPDX 3.0 JSON-LD (`@context` spdx.org/rdf/3.0.x, flat `@graph`) → [`Document`].
//!
//! Reads `software_Package` (name, `software_packageVersion`,
//! `software_packageUrl` or a `packageUrl` external identifier, CPE
//! identifiers, `verifiedUsing` hashes), counts `software_File` and
//! `software_Snippet`, turns `Relationship` / `LifecycleScopedRelationship`
//! (`from`, `to[]`) into edges (`hasConcludedLicense` /
//! `hasDeclaredLicense` to a license expression become the package's
//! licenses instead), marks `rootElement`s of `SpdxDocument` /
//! `software_Sbom` and `describes` targets as roots, and lists `Tool`s as
//! producers. Elements are referred to by their full `spdxId` IRI.

use super::{Edges, push_license};
use crate::error::{Error, Result};
use crate::model::{Component, Document, Format, Relationship, RelationshipKind};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A value that is one string or a list of strings.
fn strs<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    match v.get(key) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn elem_type(v: &Value) -> &str {
    str_of(v, "type")
        .or_else(|| str_of(v, "@type"))
        .unwrap_or("")
}

fn elem_id(v: &Value) -> Option<&str> {
    str_of(v, "spdxId").or_else(|| str_of(v, "@id"))
}

/// Parse SPDX 3.0 JSON-LD.
pub(super) fn parse(path: &Path, text: &str) -> Result<Document> {
    let root: Value = crate::error::from_json(path, text, "SPDX 3 JSON-LD")?;
    let context = match root.get("@context") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let Some(at) = context.find("spdx.org/rdf/3.") else {
        return Err(Error::at_pointer(
            path,
            "/@context",
            format!(
                "@context {context:?} is not an SPDX 3 context; expected https://spdx.org/rdf/3.0.x/spdx-context.jsonld"
            ),
        ));
    };
    let context_version: String = context[at + "spdx.org/rdf/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let Some(graph) = root.get("@graph").and_then(Value::as_array) else {
        return Err(Error::at_pointer(
            path,
            "/@graph",
            "no @graph list; expected the elements of an SPDX 3 document in @graph",
        ));
    };
    let spec_version = graph
        .iter()
        .filter(|e| elem_type(e) == "CreationInfo")
        .find_map(|e| str_of(e, "specVersion"))
        .map(str::to_string)
        .unwrap_or_else(|| context_version.trim_end_matches('.').to_string());
    if !spec_version.starts_with("3.") {
        return Err(Error::at_pointer(
            path,
            "/@graph",
            format!("specVersion {spec_version:?}; expected 3.0.x"),
        ));
    }
    let mut doc = Document::new(Format::Spdx3JsonLd, spec_version);
    let (mut packages, mut files, mut snippets, mut relationships) = (0u64, 0u64, 0u64, 0u64);
    let mut licenses: HashMap<&str, &str> = HashMap::new();
    let mut roots: HashSet<&str> = HashSet::new();
    let mut rels: Vec<&Value> = Vec::new();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    for (i, e) in graph.iter().enumerate() {
        match elem_type(e) {
            "software_Package" => {
                packages += 1;
                let Some(id) = elem_id(e) else {
                    doc.warnings.push(format!(
                        "@graph/{i}: software_Package without spdxId; skipped"
                    ));
                    continue;
                };
                by_ref.insert(id.to_string(), doc.components.len());
                doc.components.push(package(id, e));
            }
            "software_File" => files += 1,
            "software_Snippet" => snippets += 1,
            "Relationship" | "LifecycleScopedRelationship" => {
                relationships += 1;
                rels.push(e);
            }
            "SpdxDocument" | "software_Sbom" => roots.extend(strs(e, "rootElement")),
            "simplelicensing_LicenseExpression" => {
                if let (Some(id), Some(x)) =
                    (elem_id(e), str_of(e, "simplelicensing_licenseExpression"))
                {
                    licenses.insert(id, x);
                }
            }
            "Tool" => {
                if let Some(name) = str_of(e, "name") {
                    let t = super::split_tool(name);
                    if !doc.producers.contains(&t) {
                        doc.producers.push(t);
                    }
                }
            }
            _ => {}
        }
    }
    let mut edges = Edges::default();
    for r in rels {
        let (Some(from), Some(ty)) = (str_of(r, "from"), str_of(r, "relationshipType")) else {
            doc.warnings.push(format!(
                "relationship {} without from or relationshipType; skipped",
                elem_id(r).unwrap_or("?")
            ));
            continue;
        };
        for to in strs(r, "to") {
            if matches!(ty, "hasConcludedLicense" | "hasDeclaredLicense") {
                if let Some(&c) = by_ref.get(from) {
                    let expr = licenses
                        .get(to)
                        .copied()
                        .unwrap_or_else(|| listed_license(to));
                    push_license(&mut doc.components[c].licenses, expr);
                }
                continue;
            }
            let kind = match ty {
                "dependsOn" => RelationshipKind::DependsOn,
                "contains" => RelationshipKind::Contains,
                "describes" => RelationshipKind::Describes,
                _ => RelationshipKind::Other,
            };
            if kind == RelationshipKind::Describes {
                roots.insert(to);
            }
            let detail = match str_of(r, "scope") {
                Some(scope) => Some(format!("{ty} ({scope})")),
                None => (kind == RelationshipKind::Other).then(|| ty.to_string()),
            };
            edges.push(Relationship {
                from: from.to_string(),
                to: to.to_string(),
                kind,
                detail,
            });
        }
    }
    for c in &mut doc.components {
        c.is_root = roots.contains(c.bom_ref.as_str());
    }
    doc.relationships = edges.list;
    doc.stats.packages = Some(packages);
    doc.stats.files = Some(files);
    doc.stats.snippets = Some(snippets);
    doc.stats.relationships = Some(relationships);
    Ok(doc)
}

/// A listed license IRI (`https://spdx.org/licenses/MIT`) as its id.
fn listed_license(iri: &str) -> &str {
    iri.rsplit('/').next().unwrap_or(iri)
}

fn package(id: &str, e: &Value) -> Component {
    let mut c = Component {
        bom_ref: id.to_string(),
        name: str_of(e, "name").unwrap_or("").to_string(),
        version: str_of(e, "software_packageVersion").map(str::to_string),
        purl: str_of(e, "software_packageUrl").map(str::to_string),
        kind: str_of(e, "software_primaryPurpose")
            .map(|p| super::purpose_kind(&super::rdf::upper_snake(p))),
        ..Component::default()
    };
    for x in e
        .get("externalIdentifier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(ty), Some(ident)) =
            (str_of(x, "externalIdentifierType"), str_of(x, "identifier"))
        else {
            continue;
        };
        match ty {
            "packageUrl" if c.purl.is_none() => c.purl = Some(ident.to_string()),
            "cpe23" => c.cpe = Some(ident.to_string()),
            "cpe22" if c.cpe.is_none() => c.cpe = Some(ident.to_string()),
            _ => {}
        }
    }
    for h in e
        .get("verifiedUsing")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(a), Some(v)) = (str_of(h, "algorithm"), str_of(h, "hashValue")) {
            c.hashes.push((a.to_string(), v.to_string()));
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
      "@graph": [
        {"type": "CreationInfo", "@id": "_:ci", "specVersion": "3.0.1", "created": "2024-03-06T00:00:00Z"},
        {"type": "Tool", "spdxId": "urn:tool", "name": "bom-1.2"},
        {"type": "SpdxDocument", "spdxId": "urn:doc", "rootElement": ["urn:sbom"]},
        {"type": "software_Sbom", "spdxId": "urn:sbom", "rootElement": ["urn:app"]},
        {"type": "software_Package", "spdxId": "urn:app", "name": "app", "software_packageVersion": "1.0",
         "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl", "identifier": "pkg:cargo/app@1.0"}]},
        {"type": "software_Package", "spdxId": "urn:lib", "name": "lib", "software_packageUrl": "pkg:cargo/lib@2.0",
         "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": "ab"}]},
        {"type": "software_File", "spdxId": "urn:file", "name": "x"},
        {"type": "simplelicensing_LicenseExpression", "spdxId": "urn:lic", "simplelicensing_licenseExpression": "MIT OR Apache-2.0"},
        {"type": "LifecycleScopedRelationship", "spdxId": "urn:r1", "from": "urn:app", "to": ["urn:lib"], "relationshipType": "dependsOn", "scope": "build"},
        {"type": "Relationship", "spdxId": "urn:r2", "from": "urn:app", "to": ["urn:file"], "relationshipType": "contains"},
        {"type": "Relationship", "spdxId": "urn:r3", "from": "urn:lib", "to": ["urn:lic"], "relationshipType": "hasDeclaredLicense"}
      ]
    }"#;

    #[test]
    fn v3_packages_edges_roots() {
        let d = parse(Path::new("t.spdx3.json"), DOC).unwrap();
        assert_eq!(d.format, Format::Spdx3JsonLd);
        assert_eq!(d.spec_version, "3.0.1");
        assert_eq!(d.stats.packages, Some(2));
        assert_eq!(d.stats.files, Some(1));
        assert_eq!(d.stats.relationships, Some(3));
        let app = &d.components[0];
        assert!(app.is_root);
        assert_eq!(app.purl.as_deref(), Some("pkg:cargo/app@1.0"));
        let lib = &d.components[1];
        assert!(!lib.is_root);
        assert_eq!(lib.purl.as_deref(), Some("pkg:cargo/lib@2.0"));
        assert_eq!(lib.licenses, vec!["MIT OR Apache-2.0".to_string()]);
        assert_eq!(lib.hashes.len(), 1);
        let dep = &d.relationships[0];
        assert_eq!(
            (dep.from.as_str(), dep.to.as_str(), dep.kind),
            ("urn:app", "urn:lib", RelationshipKind::DependsOn)
        );
        assert_eq!(dep.detail.as_deref(), Some("dependsOn (build)"));
        assert_eq!(
            d.relationships.len(),
            2,
            "license relationships become licenses"
        );
        assert_eq!(d.producers[0].name.as_ref(), "bom");
    }

    #[test]
    fn v3_context_is_checked() {
        let e = parse(
            Path::new("t.json"),
            r#"{"@context": "https://example.org/x", "@graph": []}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("at /@context"), "{e}");
    }
}
