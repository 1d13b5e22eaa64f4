//! SPDX reader: SPDX 2.x (JSON, YAML, tag-value, XML, RDF/XML) and SPDX 3.0
//! JSON-LD text → [`Document`] of [`Format`] `Spdx*`.
//!
//! Every 2.x serialization is first read into one lenient raw form
//! (`RawDoc`: only the fields fixops uses, unknown fields ignored, scalars
//! accepted as strings, numbers or booleans, a single element accepted where
//! a list is expected) and then normalized by one function, so that JSON,
//! YAML, tag-value, XML and RDF give the same components and edges.
//! Components are the packages; files and snippets are counted only.
//! Relationship directions are normalized (`A DEPENDENCY_OF B` becomes
//! `B depends on A`), with the type as written kept in
//! [`Relationship::detail`](crate::model::Relationship) whenever it was not
//! the canonical forward word.

mod lenient;
mod rdf;
mod tagvalue;
mod v3;
mod xml;

use crate::error::{Error, Result};
use crate::model::{Component, Document, Format, Relationship, RelationshipKind, Tool};
use lenient::{Text, list};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::HashSet;
use std::path::Path;

/// Parse SPDX 2.x JSON as [`Format::SpdxJson`].
pub fn parse_json(path: &Path, text: &str) -> Result<Document> {
    parse_json_as(path, text, Format::SpdxJson)
}

/// Parse SPDX 2.x JSON text and tag the result with `format`: YAML input is
/// converted to JSON text first and arrives here with [`Format::SpdxYaml`].
pub fn parse_json_as(path: &Path, text: &str, format: Format) -> Result<Document> {
    let raw: RawDoc = crate::error::from_json(path, text, "SPDX 2.x")?;
    let version = raw
        .spdx_version
        .as_ref()
        .map(|t| t.0.as_str())
        .unwrap_or("");
    check_version(version).map_err(|m| Error::at_pointer(path, "/spdxVersion", m))?;
    Ok(normalize(raw, format))
}

/// Parse SPDX 2.x tag-value (`Tag: value` lines, `<text>…</text>` blocks).
pub fn parse_tag_value(path: &Path, text: &str) -> Result<Document> {
    tagvalue::parse(path, text)
}

/// Parse SPDX 2.x XML (elements named as the JSON fields, repeated
/// elements for lists).
pub fn parse_xml(path: &Path, text: &str) -> Result<Document> {
    let value = xml::to_json_value(path, text)?;
    let raw: RawDoc = lenient::from_value(path, value, "SPDX 2.x XML")?;
    let version = raw
        .spdx_version
        .as_ref()
        .map(|t| t.0.as_str())
        .unwrap_or("");
    check_version(version).map_err(|m| Error::at_pointer(path, "/spdxVersion", m))?;
    Ok(normalize(raw, Format::SpdxXml))
}

/// Parse SPDX 2.x RDF/XML (the serialization of spdx tools 2.2 / 2.3).
pub fn parse_rdf(path: &Path, text: &str) -> Result<Document> {
    rdf::parse(path, text)
}

/// Parse SPDX 3.0 JSON-LD (`@context` spdx.org/rdf/3.0.x, `@graph`).
pub fn parse_v3(path: &Path, text: &str) -> Result<Document> {
    v3::parse(path, text)
}

/// Check an `spdxVersion` value: `SPDX-2.0` to `SPDX-2.3` are read.
fn check_version(version: &str) -> std::result::Result<(), String> {
    match version.trim() {
        "SPDX-2.0" | "SPDX-2.1" | "SPDX-2.2" | "SPDX-2.3" => Ok(()),
        "" => Err("missing spdxVersion; expected SPDX-2.0 to SPDX-2.3".into()),
        v if v.starts_with("SPDX-3") => Err(format!(
            "spdxVersion {v:?} in an SPDX 2 document layout; SPDX 3 is read as JSON-LD (@context, @graph)"
        )),
        v => Err(format!(
            "unsupported spdxVersion {v:?}; expected SPDX-2.0 to SPDX-2.3"
        )),
    }
}

/// An SPDX 2.x document, reduced to what fixops reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawDoc {
    spdx_version: Option<Text>,
    #[serde(rename = "SPDXID")]
    spdx_id: Option<Text>,
    creation_info: Option<RawCreation>,
    #[serde(deserialize_with = "list")]
    document_describes: Vec<Text>,
    #[serde(deserialize_with = "list")]
    packages: Vec<RawPackage>,
    #[serde(deserialize_with = "list")]
    files: Vec<IgnoredAny>,
    #[serde(deserialize_with = "list")]
    snippets: Vec<IgnoredAny>,
    #[serde(deserialize_with = "list")]
    relationships: Vec<RawRelationship>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCreation {
    #[serde(deserialize_with = "list")]
    creators: Vec<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: Option<Text>,
    name: Option<Text>,
    version_info: Option<Text>,
    supplier: Option<Text>,
    license_concluded: Option<Text>,
    license_declared: Option<Text>,
    primary_package_purpose: Option<Text>,
    #[serde(deserialize_with = "list")]
    external_refs: Vec<RawExternalRef>,
    #[serde(deserialize_with = "list")]
    checksums: Vec<RawChecksum>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawExternalRef {
    reference_category: Option<Text>,
    reference_type: Option<Text>,
    reference_locator: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawChecksum {
    algorithm: Option<Text>,
    checksum_value: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawRelationship {
    spdx_element_id: Option<Text>,
    relationship_type: Option<Text>,
    related_spdx_element: Option<Text>,
}

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| t.0.trim()).filter(|s| !s.is_empty())
}

/// Normalize a raw SPDX 2.x document.
fn normalize(raw: RawDoc, format: Format) -> Document {
    let mut doc = Document::new(format, text(&raw.spdx_version).unwrap_or(""));
    doc.stats.packages = Some(raw.packages.len() as u64);
    doc.stats.files = Some(raw.files.len() as u64);
    doc.stats.snippets = Some(raw.snippets.len() as u64);
    doc.stats.relationships = Some(raw.relationships.len() as u64);
    if let Some(ci) = &raw.creation_info {
        doc.producers = ci
            .creators
            .iter()
            .filter_map(|c| tool_creator(&c.0))
            .collect();
    }
    let doc_id = text(&raw.spdx_id).unwrap_or("SPDXRef-DOCUMENT").to_string();
    let mut seen = HashSet::new();
    for (i, p) in raw.packages.iter().enumerate() {
        let c = component(p, i, &mut doc.warnings);
        if !seen.insert(c.bom_ref.clone()) {
            doc.warnings
                .push(format!("packages[{i}]: SPDXID {} is used twice", c.bom_ref));
        }
        doc.components.push(c);
    }
    let mut edges = Edges::default();
    for (i, r) in raw.relationships.iter().enumerate() {
        match (
            text(&r.spdx_element_id),
            text(&r.relationship_type),
            text(&r.related_spdx_element),
        ) {
            (Some(a), Some(ty), Some(b)) => edges.add_spdx2(a, ty, b),
            _ => doc.warnings.push(format!(
                "relationships[{i}]: spdxElementId, relationshipType or relatedSpdxElement missing; skipped"
            )),
        }
    }
    for d in &raw.document_describes {
        edges.push(Relationship {
            from: doc_id.clone(),
            to: d.0.trim().to_string(),
            kind: RelationshipKind::Describes,
            detail: Some("documentDescribes".into()),
        });
    }
    finish(&mut doc, edges, &doc_id);
    doc
}

/// Attach the edges to the document and mark the components the document
/// itself describes as roots.
fn finish(doc: &mut Document, edges: Edges, doc_id: &str) {
    let roots: HashSet<&str> = edges
        .list
        .iter()
        .filter(|r| r.kind == RelationshipKind::Describes && r.from == doc_id)
        .map(|r| r.to.as_str())
        .collect();
    for c in &mut doc.components {
        if roots.contains(c.bom_ref.as_str()) {
            c.is_root = true;
        }
    }
    doc.relationships = edges.list;
}

fn component(p: &RawPackage, index: usize, warnings: &mut Vec<String>) -> Component {
    let name = text(&p.name).unwrap_or("").to_string();
    let bom_ref = match text(&p.spdx_id) {
        Some(id) => id.to_string(),
        None => {
            warnings.push(format!(
                "packages[{index}] ({name}): no SPDXID; its name stands in"
            ));
            name.clone()
        }
    };
    let mut c = Component {
        bom_ref,
        name,
        version: text(&p.version_info).map(str::to_string),
        kind: text(&p.primary_package_purpose).map(purpose_kind),
        ..Component::default()
    };
    for r in &p.external_refs {
        let (Some(ty), Some(loc)) = (text(&r.reference_type), text(&r.reference_locator)) else {
            continue;
        };
        let category = text(&r.reference_category).unwrap_or("");
        apply_external_ref(&mut c, category, ty, loc, warnings);
    }
    for h in &p.checksums {
        if let (Some(a), Some(v)) = (text(&h.algorithm), text(&h.checksum_value)) {
            c.hashes.push((a.to_string(), v.to_string()));
        }
    }
    for l in [&p.license_concluded, &p.license_declared] {
        if let Some(l) = text(l) {
            push_license(&mut c.licenses, l);
        }
    }
    c
}

/// `primaryPackagePurpose` (`OPERATING_SYSTEM`, `LIBRARY`, ...) as a
/// component type word (`operating-system`, `library`).
fn purpose_kind(p: &str) -> String {
    p.to_ascii_lowercase().replace('_', "-")
}

/// Take a purl (first wins) or CPE (2.3 preferred over 2.2) from an
/// external reference. A purl reference is read in any category, since
/// producers spell `PACKAGE-MANAGER` in several ways.
fn apply_external_ref(
    c: &mut Component,
    category: &str,
    ty: &str,
    loc: &str,
    warnings: &mut Vec<String>,
) {
    let ty_l = ty.to_ascii_lowercase();
    let ty_l = ty_l.rsplit(['/', '#']).next().unwrap_or("");
    if ty_l == "purl" {
        if c.purl.is_none() {
            if loc.parse::<packageurl::PackageUrl>().is_err() {
                warnings.push(format!(
                    "package {}: purl {loc:?} does not parse as a package URL",
                    c.bom_ref
                ));
            }
            let cat = category.to_ascii_uppercase().replace('_', "-");
            if !cat.is_empty() && cat != "PACKAGE-MANAGER" && !cat.ends_with("PACKAGEMANAGER") {
                warnings.push(format!(
                    "package {}: purl given under category {category:?}; expected PACKAGE-MANAGER",
                    c.bom_ref
                ));
            }
            c.purl = Some(loc.to_string());
        }
    } else if ty_l == "cpe23type" || (ty_l == "cpe22type" && c.cpe.is_none()) {
        if ty_l == "cpe23type" && c.cpe.as_deref().is_some_and(|x| x.starts_with("cpe:2.3:")) {
            return;
        }
        c.cpe = Some(loc.to_string());
    }
}

/// Add a license expression unless it is `NOASSERTION` / `NONE` or already there.
fn push_license(licenses: &mut Vec<String>, l: &str) {
    let l = l.trim();
    if l.is_empty() || l.eq_ignore_ascii_case("NOASSERTION") || l.eq_ignore_ascii_case("NONE") {
        return;
    }
    if !licenses.iter().any(|x| x == l) {
        licenses.push(l.to_string());
    }
}

/// A `Tool: name-version` creator as a producer; other creators are not tools.
fn tool_creator(creator: &str) -> Option<Tool> {
    let rest = creator.trim().strip_prefix("Tool:")?.trim();
    if rest.is_empty() {
        return None;
    }
    Some(split_tool(rest))
}

/// Split `spdx-sbom-generator-0.0.1` into name and version at the last `-`
/// (or space) that is followed by a digit.
fn split_tool(s: &str) -> Tool {
    let cut = s
        .char_indices()
        .filter(|&(i, c)| {
            (c == '-' || c == ' ') && s[i + 1..].starts_with(|d: char| d.is_ascii_digit())
        })
        .map(|(i, _)| i)
        .next_back();
    match cut {
        Some(i) if i > 0 => Tool {
            name: s[..i].trim().into(),
            version: Some(s[i + 1..].trim().into()),
        },
        _ => Tool {
            name: s.into(),
            version: None,
        },
    }
}

/// How an SPDX 2 relationship type maps onto the model: the kind, and
/// whether `from` and `to` swap.
fn spdx2_kind(ty: &str) -> (RelationshipKind, bool) {
    match ty {
        "DEPENDS_ON" => (RelationshipKind::DependsOn, false),
        "DEPENDENCY_OF" => (RelationshipKind::DependsOn, true),
        t if t.ends_with("_DEPENDENCY_OF") => (RelationshipKind::DependsOn, true),
        "CONTAINS" => (RelationshipKind::Contains, false),
        "CONTAINED_BY" => (RelationshipKind::Contains, true),
        "DESCRIBES" => (RelationshipKind::Describes, false),
        "DESCRIBED_BY" => (RelationshipKind::Describes, true),
        _ => (RelationshipKind::Other, false),
    }
}

/// Whether an element reference names no element (`NONE`, `NOASSERTION`).
fn is_no_element(id: &str) -> bool {
    id.eq_ignore_ascii_case("NONE") || id.eq_ignore_ascii_case("NOASSERTION")
}

/// Normalized edges, deduplicated, in document order.
#[derive(Default)]
struct Edges {
    list: Vec<Relationship>,
    seen: HashSet<(String, String, RelationshipKind, Option<String>)>,
}

impl Edges {
    /// Add an SPDX 2 relationship `a TYPE b` (type in any case).
    fn add_spdx2(&mut self, a: &str, ty: &str, b: &str) {
        let ty = ty.trim().to_ascii_uppercase();
        let (kind, reversed) = spdx2_kind(&ty);
        let (from, to) = if reversed { (b, a) } else { (a, b) };
        let canonical = matches!(ty.as_str(), "DEPENDS_ON" | "CONTAINS" | "DESCRIBES");
        self.push(Relationship {
            from: from.to_string(),
            to: to.to_string(),
            kind,
            detail: (!canonical).then_some(ty),
        });
    }

    /// Add an edge unless an endpoint is empty, `NONE` or `NOASSERTION`
    /// (which state the absence of an element), or the same edge is already
    /// there. `Other` edges of distinct types between one pair are distinct.
    fn push(&mut self, r: Relationship) {
        if [&r.from, &r.to]
            .iter()
            .any(|id| id.is_empty() || is_no_element(id))
        {
            return;
        }
        let detail = if r.kind == RelationshipKind::Other {
            r.detail.clone()
        } else {
            None
        };
        if self
            .seen
            .insert((r.from.clone(), r.to.clone(), r.kind, detail))
        {
            self.list.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.spdx.json")
    }

    const DOC: &str = r#"{
      "$schema": "https://json.schemastore.org/spdx.json",
      "spdxVersion": "SPDX-2.3",
      "SPDXID": "SPDXRef-DOCUMENT",
      "creationInfo": {"created": "2026-11-21T22:02:44.540Z", "creators": ["Tool: npm/cli-11.19.1", "Organization: X"]},
      "documentDescribes": ["SPDXRef-app"],
      "packages": [
        {"SPDXID": "SPDXRef-app", "name": "app", "versionInfo": "1.0.0",
         "licenseDeclared": "MIT/X11", "licenseConcluded": "NOASSERTION",
         "externalRefs": [
           {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:x:app:1.0.0:*:*:*:*:*:*:*"},
           {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/app@1.0.0"}
         ],
         "checksums": [{"algorithm": "SHA256", "checksumValue": "abcd"}]},
        {"SPDXID": "SPDXRef-lib", "name": "lib", "versionInfo": 2},
        {"SPDXID": "SPDXRef-dev", "name": "dev"}
      ],
      "files": [{"SPDXID": "SPDXRef-f", "fileName": "./a"}],
      "relationships": [
        {"spdxElementId": "SPDXRef-lib", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-app"},
        {"spdxElementId": "SPDXRef-dev", "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-app"},
        {"spdxElementId": "SPDXRef-app", "relationshipType": "CONTAINED_BY", "relatedSpdxElement": "SPDXRef-lib"},
        {"spdxElementId": "SPDXRef-app", "relationshipType": "GENERATED_FROM", "relatedSpdxElement": "SPDXRef-f"},
        {"spdxElementId": "SPDXRef-app", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "NONE"}
      ]
    }"#;

    #[test]
    fn json_packages_refs_and_roots() {
        let d = parse_json(p(), DOC).unwrap();
        assert_eq!(d.format, Format::SpdxJson);
        assert_eq!(d.spec_version, "SPDX-2.3");
        assert_eq!(d.stats.packages, Some(3));
        assert_eq!(d.stats.files, Some(1));
        assert_eq!(d.stats.relationships, Some(5));
        let app = &d.components[0];
        assert!(app.is_root);
        assert_eq!(app.purl.as_deref(), Some("pkg:npm/app@1.0.0"));
        assert_eq!(
            app.cpe.as_deref(),
            Some("cpe:2.3:a:x:app:1.0.0:*:*:*:*:*:*:*")
        );
        assert_eq!(app.licenses, vec!["MIT/X11".to_string()]);
        assert_eq!(app.hashes, vec![("SHA256".to_string(), "abcd".to_string())]);
        assert_eq!(d.components[1].version.as_deref(), Some("2"));
        assert!(!d.components[1].is_root);
        assert_eq!(d.producers[0].name.as_ref(), "npm/cli");
        assert_eq!(d.producers[0].version.as_deref(), Some("11.19.1"));
        assert_eq!(d.producers.len(), 1);
    }

    #[test]
    fn relationship_directions_are_normalized() {
        let d = parse_json(p(), DOC).unwrap();
        let r = &d.relationships;
        let dep = |from: &str, to: &str| {
            r.iter()
                .find(|x| x.kind == RelationshipKind::DependsOn && x.from == from && x.to == to)
                .cloned()
        };
        let lib = dep("SPDXRef-app", "SPDXRef-lib").expect("DEPENDENCY_OF reversed");
        assert_eq!(lib.detail.as_deref(), Some("DEPENDENCY_OF"));
        let dev = dep("SPDXRef-app", "SPDXRef-dev").expect("DEV_DEPENDENCY_OF reversed");
        assert_eq!(dev.detail.as_deref(), Some("DEV_DEPENDENCY_OF"));
        assert!(
            r.iter()
                .any(|x| x.kind == RelationshipKind::Contains && x.from == "SPDXRef-lib")
        );
        assert!(r.iter().any(|x| x.kind == RelationshipKind::Other
            && x.detail.as_deref() == Some("GENERATED_FROM")
            && x.from == "SPDXRef-app"));
        assert!(r.iter().any(|x| x.kind == RelationshipKind::Describes
            && x.from == "SPDXRef-DOCUMENT"
            && x.to == "SPDXRef-app"));
        // The edge to NONE states "no dependencies"; it is not an edge.
        assert!(!r.iter().any(|x| x.to == "NONE"));
    }

    #[test]
    fn version_is_checked_at_its_pointer() {
        let e = parse_json(p(), r#"{"spdxVersion": "SPDX-1.2", "packages": []}"#).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("at /spdxVersion"), "{m}");
        assert!(m.contains("SPDX-2.0 to SPDX-2.3"), "{m}");
        let e = parse_json(p(), r#"{"packages": []}"#).unwrap_err();
        assert!(e.to_string().contains("missing spdxVersion"), "{e}");
    }

    #[test]
    fn wrong_container_types_are_positioned() {
        let e = parse_json(
            p(),
            r#"{"spdxVersion": "SPDX-2.3", "packages": [{"externalRefs": 7}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("/packages/0/externalRefs"), "{e}");
    }

    #[test]
    fn yaml_format_is_kept() {
        let d = parse_json_as(p(), r#"{"spdxVersion": "SPDX-2.2"}"#, Format::SpdxYaml).unwrap();
        assert_eq!(d.format, Format::SpdxYaml);
        assert_eq!(d.stats.packages, Some(0));
    }

    #[test]
    fn tool_names_split_at_the_version() {
        let t = split_tool("spdx-sbom-generator-0.0.1");
        assert_eq!(
            (t.name.as_ref(), t.version.as_deref()),
            ("spdx-sbom-generator", Some("0.0.1"))
        );
        let t = split_tool("trivy-dev");
        assert_eq!((t.name.as_ref(), t.version), ("trivy-dev", None));
    }
}
