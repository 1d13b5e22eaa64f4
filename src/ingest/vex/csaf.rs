//! CSAF 2.x → statements.
//!
//! The product tree (branches, recursively and at most [`MAX_BRANCH_DEPTH`]
//! deep; `full_product_names`; `relationships`) maps each `product_id` to a
//! name and the purl / CPE of its `product_identification_helper`. A
//! relationship product (`X default_component_of Y`) without identifiers of
//! its own becomes product Y with subcomponent X. Each vulnerability
//! (`cve`, else the first of `ids`) × product in its `product_status` lists
//! gives one statement; justifications come from `flags`, impact statements
//! from `threats` of category `impact` and action statements from
//! `remediations`, where those name the product (directly or by group).

use super::non_empty;
use crate::error::{Error, Result};
use crate::model::{Document, Format, Tool, VexStatement, VexStatus};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Deepest branch nesting read.
const MAX_BRANCH_DEPTH: usize = 30;

#[derive(Debug, Deserialize)]
struct Csaf {
    document: Meta,
    #[serde(default)]
    product_tree: Option<ProductTree>,
    #[serde(default)]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default)]
    csaf_version: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    publisher: Option<Named>,
    #[serde(default)]
    tracking: Option<Tracking>,
}

#[derive(Debug, Default, Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tracking {
    #[serde(default)]
    current_release_date: Option<String>,
    #[serde(default)]
    generator: Option<Generator>,
}

#[derive(Debug, Deserialize)]
struct Generator {
    #[serde(default)]
    engine: Option<Named>,
}

#[derive(Debug, Default, Deserialize)]
struct ProductTree {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    full_product_names: Vec<FullProductName>,
    #[serde(default)]
    relationships: Vec<ProductRelationship>,
    #[serde(default)]
    product_groups: Vec<ProductGroup>,
}

#[derive(Debug, Deserialize)]
struct Branch {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    product: Option<FullProductName>,
}

#[derive(Debug, Deserialize)]
struct FullProductName {
    #[serde(default)]
    name: Option<String>,
    product_id: String,
    #[serde(default)]
    product_identification_helper: Option<Helper>,
}

#[derive(Debug, Default, Deserialize)]
struct Helper {
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    cpe: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProductRelationship {
    full_product_name: FullProductName,
    #[serde(default)]
    product_reference: Option<String>,
    #[serde(default)]
    relates_to_product_reference: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProductGroup {
    group_id: String,
    #[serde(default)]
    product_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Vulnerability {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    ids: Vec<VulnId>,
    #[serde(default)]
    product_status: HashMap<String, Vec<String>>,
    #[serde(default)]
    flags: Vec<Scoped>,
    #[serde(default)]
    threats: Vec<Scoped>,
    #[serde(default)]
    remediations: Vec<Scoped>,
}

#[derive(Debug, Deserialize)]
struct VulnId {
    #[serde(default)]
    text: Option<String>,
}

/// A flag, threat or remediation: applies to the listed products and groups.
#[derive(Debug, Deserialize)]
struct Scoped {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    group_ids: Vec<String>,
}

/// What a product id resolves to.
#[derive(Debug, Default, Clone)]
struct Product {
    name: Option<String>,
    purl: Option<String>,
    cpe: Option<String>,
    /// For a relationship product: (component id, platform id).
    component_of: Option<(String, String)>,
}

impl Product {
    fn from_full(f: &FullProductName) -> Product {
        let h = f.product_identification_helper.as_ref();
        Product {
            name: non_empty(f.name.as_deref()),
            purl: non_empty(h.and_then(|h| h.purl.as_deref())),
            cpe: non_empty(h.and_then(|h| h.cpe.as_deref())),
            component_of: None,
        }
    }

    /// purl and CPE, or else the name.
    fn identifiers(&self) -> Vec<String> {
        let ids: Vec<String> = [&self.purl, &self.cpe]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if ids.is_empty() {
            self.name.iter().cloned().collect()
        } else {
            ids
        }
    }
}

struct Tree {
    products: HashMap<String, Product>,
    groups: HashMap<String, Vec<String>>,
}

impl Tree {
    fn read(path: &Path, tree: &ProductTree) -> Result<Tree> {
        let mut products = HashMap::new();
        for (i, b) in tree.branches.iter().enumerate() {
            walk(
                path,
                b,
                &mut format!("/product_tree/branches/{i}"),
                1,
                &mut products,
            )?;
        }
        for f in &tree.full_product_names {
            products.insert(f.product_id.clone(), Product::from_full(f));
        }
        for r in &tree.relationships {
            let mut p = Product::from_full(&r.full_product_name);
            if let (Some(c), Some(t)) = (&r.product_reference, &r.relates_to_product_reference) {
                p.component_of = Some((c.clone(), t.clone()));
            }
            products.insert(r.full_product_name.product_id.clone(), p);
        }
        let groups = tree
            .product_groups
            .iter()
            .map(|g| (g.group_id.clone(), g.product_ids.clone()))
            .collect();
        Ok(Tree { products, groups })
    }

    /// Products and subcomponents a product id stands for.
    fn resolve(&self, id: &str, warnings: &mut Vec<String>) -> (Vec<String>, Vec<String>) {
        let Some(p) = self.products.get(id) else {
            warnings.push(format!(
                "product id {id:?} is not in the product tree; used as written"
            ));
            return (vec![id.to_string()], Vec::new());
        };
        if p.purl.is_none()
            && p.cpe.is_none()
            && let Some((component, platform)) = &p.component_of
        {
            let ids = |x: &str| {
                self.products
                    .get(x)
                    .map(Product::identifiers)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| vec![x.to_string()])
            };
            return (ids(platform), ids(component));
        }
        let ids = p.identifiers();
        if ids.is_empty() {
            (vec![id.to_string()], Vec::new())
        } else {
            (ids, Vec::new())
        }
    }

    /// Whether a flag / threat / remediation applies to a product.
    fn names(&self, s: &Scoped, id: &str) -> bool {
        s.product_ids.iter().any(|p| p == id)
            || s.group_ids.iter().any(|g| {
                self.groups
                    .get(g)
                    .is_some_and(|ps| ps.iter().any(|p| p == id))
            })
    }
}

fn walk(
    path: &Path,
    b: &Branch,
    pointer: &mut String,
    depth: usize,
    out: &mut HashMap<String, Product>,
) -> Result<()> {
    if depth > MAX_BRANCH_DEPTH {
        return Err(Error::at_pointer(
            path,
            pointer.clone(),
            format!("product tree branches nested more than {MAX_BRANCH_DEPTH} deep"),
        ));
    }
    if let Some(f) = &b.product {
        out.insert(f.product_id.clone(), Product::from_full(f));
    }
    for (i, child) in b.branches.iter().enumerate() {
        let len = pointer.len();
        pointer.push_str(&format!("/branches/{i}"));
        walk(path, child, pointer, depth + 1, out)?;
        pointer.truncate(len);
    }
    Ok(())
}

/// The status a `product_status` list states, if any.
fn list_status(list: &str) -> Option<VexStatus> {
    Some(match list {
        "known_not_affected" => VexStatus::NotAffected,
        "known_affected" | "first_affected" | "last_affected" => VexStatus::Affected,
        "fixed" | "first_fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

/// Details of every entry that names the product, joined.
fn details_for<'a>(
    tree: &Tree,
    entries: impl Iterator<Item = &'a Scoped>,
    id: &str,
) -> Option<String> {
    let texts: Vec<&str> = entries
        .filter(|s| tree.names(s, id))
        .filter_map(|s| {
            s.details
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

/// Parse a CSAF 2.x document.
pub(super) fn parse(path: &Path, text: &str) -> Result<Document> {
    let csaf: Csaf = crate::error::from_json(path, text, "CSAF")?;
    let version = csaf.document.csaf_version.as_deref().unwrap_or("");
    if !matches!(version, "2.0" | "2.1") {
        return Err(Error::at_pointer(
            path,
            "/document/csaf_version",
            format!("csaf_version {version:?}; expected 2.0"),
        ));
    }
    let mut doc = Document::new(Format::Csaf, version);
    let tracking = csaf.document.tracking.as_ref();
    if let Some(e) = tracking
        .and_then(|t| t.generator.as_ref())
        .and_then(|g| g.engine.as_ref())
        && let Some(name) = non_empty(e.name.as_deref())
    {
        doc.producers.push(Tool {
            name: name.into(),
            version: non_empty(e.version.as_deref()).map(Into::into),
        });
    }
    if let Some(name) = non_empty(
        csaf.document
            .publisher
            .as_ref()
            .and_then(|p| p.name.as_deref()),
    ) {
        doc.producers.push(Tool {
            name: name.into(),
            version: None,
        });
    }
    if csaf.document.category.is_none() {
        doc.warnings.push("document.category is missing".into());
    }
    let timestamp = non_empty(tracking.and_then(|t| t.current_release_date.as_deref()));
    let tree = Tree::read(
        path,
        csaf.product_tree
            .as_ref()
            .unwrap_or(&ProductTree::default()),
    )?;
    doc.stats.vulnerabilities = Some(csaf.vulnerabilities.len() as u64);
    for (vi, v) in csaf.vulnerabilities.iter().enumerate() {
        let ids: Vec<String> = v
            .ids
            .iter()
            .filter_map(|i| non_empty(i.text.as_deref()))
            .collect();
        let Some(vuln) = non_empty(v.cve.as_deref()).or_else(|| ids.first().cloned()) else {
            doc.warnings.push(format!(
                "/vulnerabilities/{vi}: no cve and no ids; its product statuses are not read"
            ));
            continue;
        };
        let aliases: Vec<String> = ids.into_iter().filter(|i| *i != vuln).collect();
        // One statement per (product, status), in a stable order.
        let mut pairs: Vec<(&str, VexStatus)> = Vec::new();
        let mut seen = HashSet::new();
        let mut lists: Vec<(&String, &Vec<String>)> = v.product_status.iter().collect();
        lists.sort();
        for (list, products) in lists {
            if let Some(status) = list_status(list) {
                for p in products {
                    if seen.insert((p.as_str(), status)) {
                        pairs.push((p.as_str(), status));
                    }
                }
            }
        }
        for (pid, status) in pairs {
            let (products, subcomponents) = tree.resolve(pid, &mut doc.warnings);
            let justification = if status == VexStatus::NotAffected {
                v.flags
                    .iter()
                    .filter(|f| tree.names(f, pid))
                    .find_map(|f| non_empty(f.label.as_deref()))
            } else {
                None
            };
            let impact = details_for(
                &tree,
                v.threats
                    .iter()
                    .filter(|t| t.category.as_deref() == Some("impact")),
                pid,
            );
            doc.statements.push(VexStatement {
                vulnerability: vuln.clone(),
                aliases: aliases.clone(),
                products,
                subcomponents,
                status,
                justification,
                impact_statement: impact,
                action_statement: details_for(&tree, v.remediations.iter(), pid),
                timestamp: timestamp.clone(),
            });
        }
    }
    doc.stats.statements = Some(doc.statements.len() as u64);
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.csaf.json")
    }

    const DOC: &str = r#"{
      "document": {"category": "csaf_vex", "csaf_version": "2.0",
                   "publisher": {"name": "ACME PSIRT"},
                   "tracking": {"current_release_date": "2024-01-01T00:00:00Z",
                                "generator": {"engine": {"name": "Secvisogram", "version": "1.11.0"}}}},
      "product_tree": {
        "branches": [{"category": "vendor", "name": "ACME", "branches": [
          {"category": "product_version", "name": "1.0", "product": {"name": "App 1.0", "product_id": "P1",
            "product_identification_helper": {"purl": "pkg:generic/app@1.0"}}},
          {"category": "product_version", "name": "2.0", "product": {"name": "App 2.0", "product_id": "P2",
            "product_identification_helper": {"cpe": "cpe:/a:acme:app:2.0"}}},
          {"category": "product_version", "name": "log4j", "product": {"name": "log4j 2.14", "product_id": "C1",
            "product_identification_helper": {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}}}
        ]}],
        "relationships": [{"category": "default_component_of", "product_reference": "C1", "relates_to_product_reference": "P2",
                           "full_product_name": {"name": "log4j in App 2.0", "product_id": "P2:C1"}}],
        "product_groups": [{"group_id": "G1", "product_ids": ["P1"]}]
      },
      "vulnerabilities": [{
        "cve": "CVE-2021-44228",
        "ids": [{"system_name": "tracker", "text": "BUG-1"}],
        "product_status": {"known_not_affected": ["P1"], "known_affected": ["P2:C1"], "first_fixed": ["P3"], "fixed": ["P3"],
                           "recommended": ["P1"], "under_investigation": ["P2"]},
        "flags": [{"label": "vulnerable_code_not_present", "group_ids": ["G1"]}],
        "threats": [{"category": "impact", "details": "Class removed before shipping.", "product_ids": ["P1"]},
                    {"category": "impact", "details": "Critical"}],
        "remediations": [{"category": "vendor_fix", "details": "Update to 2.1.", "product_ids": ["P2:C1"]}]
      }, {"ids": [], "product_status": {"fixed": ["P1"]}}]
    }"#;

    #[test]
    fn product_tree_resolves_and_statuses_map() {
        let d = parse(p(), DOC).unwrap();
        assert_eq!(d.format, Format::Csaf);
        assert_eq!(d.stats.vulnerabilities, Some(2));
        assert_eq!(d.stats.statements, Some(4), "{:#?}", d.statements);
        let find = |s: VexStatus| d.statements.iter().find(|x| x.status == s).unwrap();
        let na = find(VexStatus::NotAffected);
        assert_eq!(na.products, vec!["pkg:generic/app@1.0".to_string()]);
        assert_eq!(
            na.justification.as_deref(),
            Some("vulnerable_code_not_present")
        );
        assert_eq!(
            na.impact_statement.as_deref(),
            Some("Class removed before shipping.")
        );
        assert_eq!(na.aliases, vec!["BUG-1".to_string()]);
        assert_eq!(na.timestamp.as_deref(), Some("2024-01-01T00:00:00Z"));
        let af = find(VexStatus::Affected);
        assert_eq!(af.products, vec!["cpe:/a:acme:app:2.0".to_string()]);
        assert_eq!(
            af.subcomponents,
            vec!["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".to_string()]
        );
        assert_eq!(af.action_statement.as_deref(), Some("Update to 2.1."));
        assert!(af.justification.is_none());
        let fx: Vec<_> = d
            .statements
            .iter()
            .filter(|x| x.status == VexStatus::Fixed)
            .collect();
        assert_eq!(
            fx.len(),
            1,
            "first_fixed and fixed for one product give one statement"
        );
        assert_eq!(
            fx[0].products,
            vec!["P3".to_string()],
            "unknown product ids are kept as written"
        );
        assert_eq!(
            find(VexStatus::UnderInvestigation).products,
            vec!["cpe:/a:acme:app:2.0".to_string()]
        );
        assert_eq!(d.producers[0].name.as_ref(), "Secvisogram");
        assert!(
            d.warnings.iter().any(|w| w.contains("no cve")),
            "{:?}",
            d.warnings
        );
    }

    #[test]
    fn version_is_checked() {
        let e = parse(p(), r#"{"document": {"csaf_version": "1.2"}}"#).unwrap_err();
        assert!(e.to_string().contains("at /document/csaf_version"), "{e}");
    }

    #[test]
    fn deep_branches_are_refused() {
        let mut b = String::from(r#"{"name": "x"}"#);
        for _ in 0..(MAX_BRANCH_DEPTH + 2) {
            b = format!(r#"{{"branches": [{b}]}}"#);
        }
        let text = format!(
            r#"{{"document": {{"csaf_version": "2.0"}}, "product_tree": {{"branches": [{b}]}}}}"#
        );
        let e = parse(p(), &text).unwrap_err();
        assert!(e.to_string().contains("nested more than"), "{e}");
    }
}
