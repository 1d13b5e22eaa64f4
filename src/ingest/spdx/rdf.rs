//! SPDX 2.x RDF/XML → the raw SPDX form, then normalized.
//!
//! The RDF/XML "striped" syntax alternates node elements (`spdx:Package
//! rdf:about=…`) and property elements (`spdx:name`, `spdx:relationship`);
//! a property's value is a nested node, an `rdf:resource` / `rdf:nodeID`
//! reference, or literal text. The reader builds that small graph (nodes
//! merged by `rdf:about`, blank nodes numbered) without interpreting
//! anything, then reads the terms SPDX 2.2 / 2.3 use: `SpdxDocument`
//! (`specVersion`, `creationInfo`, `describesPackage`), `Package` (`name`,
//! `versionInfo`, `externalRef`, `checksum`, licenses), `File`, `Snippet`
//! and `relationship` / `Relationship` (`relationshipType`,
//! `relatedSpdxElement`). Names are matched by local name, so any prefix
//! bound to the SPDX namespace works.

use super::lenient::Text;
use super::xml::{XmlEvent, XmlReader, line_col};
use super::{RawChecksum, RawCreation, RawDoc, RawExternalRef, RawPackage, RawRelationship};
use crate::error::{Error, Result};
use crate::model::{Document, Format};
use serde::de::IgnoredAny;
use std::collections::HashMap;
use std::path::Path;

/// The value of a property.
#[derive(Debug)]
enum Obj {
    Node(usize),
    Resource(String),
    Literal(String),
}

#[derive(Debug, Default)]
struct Node {
    id: String,
    types: Vec<String>,
    props: Vec<(String, Obj)>,
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    by_id: HashMap<String, usize>,
}

impl Graph {
    /// The node with this id (created on first sight), or a new blank node.
    fn node(&mut self, id: Option<String>) -> usize {
        let id = id.unwrap_or_else(|| format!("_:b{}", self.nodes.len()));
        if let Some(&i) = self.by_id.get(&id) {
            return i;
        }
        self.nodes.push(Node {
            id: id.clone(),
            ..Node::default()
        });
        self.by_id.insert(id, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn has_type(&self, n: usize, ty: &str) -> bool {
        let node = &self.nodes[n];
        node.types.iter().any(|t| t == ty)
            || node
                .props
                .iter()
                .any(|(p, o)| p == "type" && matches!(o, Obj::Resource(u) if fragment(u) == ty))
    }

    fn objects<'g>(&'g self, n: usize, prop: &'g str) -> impl Iterator<Item = &'g Obj> + 'g {
        self.nodes[n]
            .props
            .iter()
            .filter(move |(p, _)| p == prop)
            .map(|(_, o)| o)
    }

    fn literal(&self, n: usize, prop: &str) -> Option<String> {
        self.objects(n, prop).find_map(|o| match o {
            Obj::Literal(s) => Some(s.clone()),
            _ => None,
        })
    }

    fn resource_or_literal(&self, n: usize, prop: &str) -> Option<String> {
        self.objects(n, prop).find_map(|o| match o {
            Obj::Literal(s) => Some(s.clone()),
            Obj::Resource(u) => Some(u.clone()),
            Obj::Node(_) => None,
        })
    }

    fn child_nodes<'g>(&'g self, n: usize, prop: &'g str) -> impl Iterator<Item = usize> + 'g {
        self.objects(n, prop).filter_map(|o| match o {
            Obj::Node(i) => Some(*i),
            _ => None,
        })
    }
}

/// An open element while reading.
enum Frame {
    /// `rdf:RDF`.
    Root,
    /// A node element (or a `parseType="Resource"` property standing for one).
    Node(usize),
    /// A property element of `subject`, collecting literal text unless it got an object.
    Prop {
        subject: usize,
        name: String,
        text: String,
        has_object: bool,
    },
    /// Content not read (`parseType="Literal"`).
    Skip,
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn read_graph(path: &Path, text: &str) -> Result<Graph> {
    let mut r = XmlReader::new(path, text);
    let mut g = Graph::default();
    let mut stack: Vec<Frame> = Vec::new();
    while let Some(ev) = r.next()? {
        match ev {
            XmlEvent::Start { name, attrs } => {
                let frame = match stack.last_mut() {
                    None if name == "RDF" => Frame::Root,
                    None | Some(Frame::Root) | Some(Frame::Prop { .. }) => {
                        let id = attr(&attrs, "about")
                            .map(str::to_string)
                            .or_else(|| attr(&attrs, "nodeID").map(|b| format!("_:{b}")));
                        let n = g.node(id);
                        if name != "Description" {
                            g.nodes[n].types.push(name);
                        }
                        for (k, v) in &attrs {
                            if !matches!(k.as_str(), "about" | "nodeID" | "ID" | "lang" | "base") {
                                let o = if k == "type" {
                                    Obj::Resource(v.clone())
                                } else {
                                    Obj::Literal(v.clone())
                                };
                                g.nodes[n].props.push((k.clone(), o));
                            }
                        }
                        if let Some(Frame::Prop {
                            subject,
                            name,
                            has_object,
                            ..
                        }) = stack.last_mut()
                        {
                            *has_object = true;
                            g.nodes[*subject].props.push((name.clone(), Obj::Node(n)));
                        }
                        Frame::Node(n)
                    }
                    Some(Frame::Node(subject)) => {
                        let subject = *subject;
                        if attr(&attrs, "parseType") == Some("Resource") {
                            let n = g.node(None);
                            g.nodes[subject].props.push((name, Obj::Node(n)));
                            Frame::Node(n)
                        } else if attr(&attrs, "parseType") == Some("Literal") {
                            Frame::Skip
                        } else {
                            let object = if let Some(u) = attr(&attrs, "resource") {
                                Some(Obj::Resource(u.to_string()))
                            } else {
                                attr(&attrs, "nodeID")
                                    .map(|b| Obj::Node(g.node(Some(format!("_:{b}")))))
                            };
                            let has_object = object.is_some();
                            if let Some(o) = object {
                                g.nodes[subject].props.push((name.clone(), o));
                            }
                            Frame::Prop {
                                subject,
                                name,
                                text: String::new(),
                                has_object,
                            }
                        }
                    }
                    Some(Frame::Skip) => Frame::Skip,
                };
                stack.push(frame);
            }
            XmlEvent::Text(t) => {
                if let Some(Frame::Prop { text, .. }) = stack.last_mut() {
                    text.push_str(&t);
                }
            }
            XmlEvent::End => match stack.pop() {
                Some(Frame::Prop {
                    subject,
                    name,
                    text,
                    has_object: false,
                }) => g.nodes[subject]
                    .props
                    .push((name, Obj::Literal(text.trim().to_string()))),
                Some(_) => {}
                None => return Err(r.error_here("closing tag without an open element")),
            },
        }
    }
    Ok(g)
}

/// The part of a URI after `#` (or after the last `/`).
fn fragment(u: &str) -> &str {
    u.rsplit(['#', '/']).next().unwrap_or(u)
}

/// `dependsOn` → `DEPENDS_ON`, `packageManager` → `PACKAGE_MANAGER`.
pub(super) fn upper_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        if c == '-' {
            out.push('_');
        } else {
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

/// Reads SPDX ids and license expressions out of the graph.
struct Reader<'g> {
    g: &'g Graph,
    /// The document namespace, `…#` stripped from element URIs.
    namespace: String,
}

impl Reader<'_> {
    /// An element reference as the JSON form writes it.
    fn element_id(&self, uri: &str) -> String {
        match uri {
            "http://spdx.org/rdf/terms#noassertion" => return "NOASSERTION".into(),
            "http://spdx.org/rdf/terms#none" => return "NONE".into(),
            _ => {}
        }
        match uri
            .strip_prefix(self.namespace.as_str())
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(frag) => frag.to_string(),
            None => uri.to_string(),
        }
    }

    fn object_id(&self, o: &Obj) -> String {
        match o {
            Obj::Node(n) => self.element_id(&self.g.nodes[*n].id),
            Obj::Resource(u) => self.element_id(u),
            Obj::Literal(s) => s.clone(),
        }
    }

    /// A license as an SPDX expression (sets become `(a AND b)` / `(a OR b)`).
    fn license(&self, o: &Obj, depth: usize) -> String {
        if depth > 32 {
            return "NOASSERTION".into();
        }
        match o {
            Obj::Literal(s) => s.clone(),
            Obj::Resource(u) => self.license_uri(u),
            Obj::Node(n) => {
                let n = *n;
                let members = || -> Vec<String> {
                    self.g
                        .objects(n, "member")
                        .map(|m| self.license(m, depth + 1))
                        .collect()
                };
                if self.g.has_type(n, "ConjunctiveLicenseSet") {
                    format!("({})", members().join(" AND "))
                } else if self.g.has_type(n, "DisjunctiveLicenseSet") {
                    format!("({})", members().join(" OR "))
                } else if self.g.has_type(n, "WithExceptionOperator") {
                    let exception = self
                        .g
                        .child_nodes(n, "licenseException")
                        .find_map(|e| self.g.literal(e, "licenseExceptionId"))
                        .unwrap_or_else(|| "NOASSERTION".into());
                    format!("{} WITH {exception}", members().join(" "))
                } else if self.g.has_type(n, "OrLaterOperator") {
                    format!("{}+", members().join(" "))
                } else {
                    self.g
                        .literal(n, "licenseId")
                        .unwrap_or_else(|| self.license_uri(&self.g.nodes[n].id))
                }
            }
        }
    }

    fn license_uri(&self, u: &str) -> String {
        match u {
            "http://spdx.org/rdf/terms#noassertion" => "NOASSERTION".into(),
            "http://spdx.org/rdf/terms#none" => "NONE".into(),
            _ => fragment(u).to_string(),
        }
    }

    fn package(&self, n: usize) -> RawPackage {
        let g = self.g;
        let lit = |p: &str| g.literal(n, p).map(Text);
        let license = |p: &str| g.objects(n, p).next().map(|o| Text(self.license(o, 0)));
        RawPackage {
            spdx_id: Some(Text(self.element_id(&g.nodes[n].id))),
            name: lit("name"),
            version_info: lit("versionInfo"),
            supplier: lit("supplier"),
            license_concluded: license("licenseConcluded"),
            license_declared: license("licenseDeclared"),
            primary_package_purpose: g
                .resource_or_literal(n, "primaryPackagePurpose")
                .map(|u| Text(upper_snake(fragment(&u).trim_start_matches("purpose_")))),
            external_refs: g
                .child_nodes(n, "externalRef")
                .map(|r| RawExternalRef {
                    reference_category: g.resource_or_literal(r, "referenceCategory").map(|u| {
                        Text(upper_snake(
                            fragment(&u).trim_start_matches("referenceCategory_"),
                        ))
                    }),
                    reference_type: g
                        .resource_or_literal(r, "referenceType")
                        .map(|u| Text(fragment(&u).to_string())),
                    reference_locator: g.literal(r, "referenceLocator").map(Text),
                })
                .collect(),
            checksums: g
                .child_nodes(n, "checksum")
                .map(|c| RawChecksum {
                    algorithm: g.resource_or_literal(c, "algorithm").map(|u| {
                        Text(
                            fragment(&u)
                                .trim_start_matches("checksumAlgorithm_")
                                .to_ascii_uppercase(),
                        )
                    }),
                    checksum_value: g.literal(c, "checksumValue").map(Text),
                })
                .collect(),
        }
    }
}

/// Parse SPDX 2.x RDF/XML.
pub(super) fn parse(path: &Path, text: &str) -> Result<Document> {
    let g = read_graph(path, text)?;
    let all = 0..g.nodes.len();
    let Some(doc_node) = all.clone().find(|&n| g.has_type(n, "SpdxDocument")) else {
        return Err(Error::input(
            path,
            "no spdx:SpdxDocument node; expected an SPDX 2.x RDF/XML document",
        ));
    };
    let doc_uri = &g.nodes[doc_node].id;
    let namespace = doc_uri.split('#').next().unwrap_or("").to_string();
    let rd = Reader { g: &g, namespace };
    let version = g.literal(doc_node, "specVersion").unwrap_or_default();
    if let Err(m) = super::check_version(&version) {
        let (line, col) = text
            .find("specVersion")
            .map_or((1, 1), |at| line_col(text, at));
        return Err(Error::at_line(path, line, col, m));
    }
    let mut raw = RawDoc {
        spdx_version: Some(Text(version)),
        spdx_id: Some(Text(rd.element_id(doc_uri))),
        ..RawDoc::default()
    };
    let creators = g
        .child_nodes(doc_node, "creationInfo")
        .flat_map(|ci| g.objects(ci, "creator"))
        .filter_map(|o| match o {
            Obj::Literal(s) => Some(Text(s.clone())),
            _ => None,
        })
        .collect();
    raw.creation_info = Some(RawCreation { creators });
    raw.document_describes = g
        .objects(doc_node, "describesPackage")
        .map(|o| Text(rd.object_id(o)))
        .collect();
    for n in all {
        if g.has_type(n, "Package") {
            raw.packages.push(rd.package(n));
        } else if g.has_type(n, "File") {
            raw.files.push(IgnoredAny);
        } else if g.has_type(n, "Snippet") {
            raw.snippets.push(IgnoredAny);
        }
        for rel in g.child_nodes(n, "relationship") {
            raw.relationships.push(RawRelationship {
                spdx_element_id: Some(Text(rd.element_id(&g.nodes[n].id))),
                relationship_type: g.resource_or_literal(rel, "relationshipType").map(|u| {
                    Text(upper_snake(
                        fragment(&u).trim_start_matches("relationshipType_"),
                    ))
                }),
                related_spdx_element: g
                    .objects(rel, "relatedSpdxElement")
                    .next()
                    .map(|o| Text(rd.object_id(o))),
            });
        }
    }
    Ok(super::normalize(raw, Format::SpdxRdf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RelationshipKind;

    const NS: &str = "http://example.org/doc";

    fn doc() -> String {
        format!(
            r##"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:spdx="http://spdx.org/rdf/terms#">
  <spdx:SpdxDocument rdf:about="{NS}#SPDXRef-DOCUMENT">
    <spdx:specVersion>SPDX-2.3</spdx:specVersion>
    <spdx:creationInfo><spdx:CreationInfo><spdx:creator>Tool: gen-1.2</spdx:creator></spdx:CreationInfo></spdx:creationInfo>
    <spdx:relationship>
      <spdx:Relationship>
        <spdx:relationshipType rdf:resource="http://spdx.org/rdf/terms#relationshipType_describes"/>
        <spdx:relatedSpdxElement>
          <spdx:Package rdf:about="{NS}#SPDXRef-app">
            <spdx:name>app</spdx:name>
            <spdx:versionInfo>1.0</spdx:versionInfo>
            <spdx:licenseDeclared>
              <spdx:DisjunctiveLicenseSet>
                <spdx:member rdf:resource="http://spdx.org/licenses/MIT"/>
                <spdx:member rdf:resource="http://spdx.org/licenses/Apache-2.0"/>
              </spdx:DisjunctiveLicenseSet>
            </spdx:licenseDeclared>
            <spdx:externalRef>
              <spdx:ExternalRef>
                <spdx:referenceCategory rdf:resource="http://spdx.org/rdf/terms#referenceCategory_packageManager"/>
                <spdx:referenceType rdf:resource="http://spdx.org/rdf/references/purl"/>
                <spdx:referenceLocator>pkg:npm/app@1.0</spdx:referenceLocator>
              </spdx:ExternalRef>
            </spdx:externalRef>
            <spdx:relationship>
              <spdx:Relationship>
                <spdx:relationshipType rdf:resource="http://spdx.org/rdf/terms#relationshipType_dependencyOf"/>
                <spdx:relatedSpdxElement rdf:resource="{NS}#SPDXRef-lib"/>
              </spdx:Relationship>
            </spdx:relationship>
          </spdx:Package>
        </spdx:relatedSpdxElement>
      </spdx:Relationship>
    </spdx:relationship>
  </spdx:SpdxDocument>
  <spdx:Package rdf:about="{NS}#SPDXRef-lib"><spdx:name>lib</spdx:name></spdx:Package>
  <spdx:Package rdf:about="{NS}#SPDXRef-app"><spdx:summary>described twice, counted once</spdx:summary></spdx:Package>
</rdf:RDF>"##
        )
    }

    #[test]
    fn rdf_packages_and_relationships() {
        let d = parse(Path::new("t.rdf"), &doc()).unwrap();
        assert_eq!(d.format, Format::SpdxRdf);
        assert_eq!(d.spec_version, "SPDX-2.3");
        assert_eq!(d.stats.packages, Some(2));
        assert_eq!(d.stats.relationships, Some(2));
        let app = d
            .components
            .iter()
            .find(|c| c.bom_ref == "SPDXRef-app")
            .unwrap();
        assert!(app.is_root);
        assert_eq!(app.version.as_deref(), Some("1.0"));
        assert_eq!(app.purl.as_deref(), Some("pkg:npm/app@1.0"));
        assert_eq!(app.licenses, vec!["(MIT OR Apache-2.0)".to_string()]);
        // app DEPENDENCY_OF lib: lib depends on app.
        assert!(
            d.relationships
                .iter()
                .any(|r| r.kind == RelationshipKind::DependsOn
                    && r.from == "SPDXRef-lib"
                    && r.to == "SPDXRef-app")
        );
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        assert_eq!(d.producers[0].name.as_ref(), "gen");
    }

    #[test]
    fn camel_case_types_become_spdx2_words() {
        assert_eq!(upper_snake("devDependencyOf"), "DEV_DEPENDENCY_OF");
        assert_eq!(upper_snake("packageManager"), "PACKAGE_MANAGER");
        assert_eq!(upper_snake("package-manager"), "PACKAGE_MANAGER");
    }
}
