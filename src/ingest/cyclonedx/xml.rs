//! CycloneDX XML (spec 1.0–1.7) → [`Bom`].
//!
//! Input: XML text. Output: a [`Bom`] plus the spec version taken from the
//! root's namespace (`http://cyclonedx.org/schema/bom/1.x`). The text is read
//! once with quick-xml's namespace-aware reader into a compact element tree
//! (iteratively, depth-bounded); elements of other namespaces (extensions,
//! signatures) are skipped with their content. Positions are byte offsets,
//! reported as line and column.

use super::bom::{
    Affect, AffectVersion, Analysis, Bom, Comp, Dep, Hash, License, LicenseChoice, Metadata,
    ModernTools, Rating, Service, Source, ToolEntry, Tools, Vuln, VulnReference, XmlCounts,
};
use super::build::{Locator, MAX_NESTING};
use crate::error::{Error, Result};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// Deepest element nesting accepted while reading.
const MAX_ELEMENT_DEPTH: usize = 512;

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

/// One element of the CycloneDX namespace.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<usize>,
    at: usize,
}

/// The elements of a document; `nodes[0]` is `<bom>`.
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn kids<'s>(&'s self, n: usize, name: &'s str) -> impl Iterator<Item = usize> + 's {
        self.nodes[n]
            .children
            .iter()
            .copied()
            .filter(move |&c| self.nodes[c].name == name)
    }

    fn kid(&self, n: usize, name: &str) -> Option<usize> {
        self.kids(n, name).next()
    }

    /// Children `<outer><inner/>...</outer>` of `n`.
    fn list<'s>(
        &'s self,
        n: usize,
        outer: &'s str,
        inner: &'s str,
    ) -> impl Iterator<Item = usize> + 's {
        self.kid(n, outer)
            .into_iter()
            .flat_map(move |o| self.kids(o, inner))
    }

    fn own_text(&self, n: usize) -> Option<String> {
        let t = self.nodes[n].text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    fn text(&self, n: usize, name: &str) -> Option<String> {
        self.kid(n, name).and_then(|c| self.own_text(c))
    }

    fn attr(&self, n: usize, name: &str) -> Option<&str> {
        self.nodes[n]
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn at(&self, n: usize) -> usize {
        self.nodes[n].at
    }
}

fn xml_error(loc: &Locator<'_>, at: u64, e: impl std::fmt::Display) -> Error {
    loc.fail(
        String::new,
        at as usize,
        format!("invalid XML: {e}; expected a CycloneDX XML document"),
    )
}

/// Read the element tree. Returns the tree, the spec version, the element
/// counts and notes about skipped content.
fn read_tree(loc: &Locator<'_>, text: &str) -> Result<(Tree, String, XmlCounts, Vec<String>)> {
    let mut r = NsReader::from_str(text);
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut skip = 0usize;
    let mut bom_ns: Vec<u8> = Vec::new();
    let mut version = String::new();
    let mut counts = XmlCounts::default();
    let mut extension_vulns = 0u64;
    let mut closed = false;
    loop {
        let pos = r.buffer_position();
        let (res, ev) = match r.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return Err(xml_error(loc, r.error_position(), e)),
        };
        let (start, empty) = match &ev {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let ns: Option<&[u8]> = match &res {
                ResolveResult::Bound(n) => Some(n.0),
                _ => None,
            };
            let local = e.local_name();
            let local = std::str::from_utf8(local.as_ref()).unwrap_or("");
            if closed {
                return Err(loc.fail(
                    String::new,
                    pos as usize,
                    "content after the closing </bom>; expected the end of the document",
                ));
            }
            if nodes.is_empty() {
                let uri = ns
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                version = match uri.strip_prefix(NS_PREFIX) {
                    Some(v) if local == "bom" && is_xml_version(v) => v.to_string(),
                    _ => {
                        return Err(loc.fail(
                            String::new,
                            pos as usize,
                            format!(
                                "root element <{local}> in namespace {uri:?}; expected <bom> in {NS_PREFIX}1.0 … {NS_PREFIX}1.7"
                            ),
                        ));
                    }
                };
                bom_ns = uri.into_bytes();
            }
            if stack.len() + skip >= MAX_ELEMENT_DEPTH {
                return Err(loc.fail(
                    String::new,
                    pos as usize,
                    format!("elements nested more than {MAX_ELEMENT_DEPTH} deep"),
                ));
            }
            if skip > 0 || ns != Some(bom_ns.as_slice()) {
                if local == "vulnerability"
                    && ns.is_some_and(|n| n.windows(4).any(|w| w == b"/ext"))
                {
                    extension_vulns += 1;
                }
                if !empty {
                    skip += 1;
                }
                continue;
            }
            match local {
                "component" => counts.components += 1,
                "dependency" => counts.dependencies += 1,
                "vulnerability" => counts.vulnerabilities += 1,
                _ => {}
            }
            let mut attrs = Vec::new();
            for a in e.attributes() {
                let a = a.map_err(|err| xml_error(loc, pos, err))?;
                if a.key.as_namespace_binding().is_some() {
                    continue;
                }
                let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                let value = a.unescape_value().map_err(|err| xml_error(loc, pos, err))?;
                attrs.push((key, value.into_owned()));
            }
            let id = nodes.len();
            nodes.push(Node {
                name: local.to_string(),
                attrs,
                text: String::new(),
                children: Vec::new(),
                at: pos as usize,
            });
            if let Some(&parent) = stack.last() {
                nodes[parent].children.push(id);
            }
            if empty {
                closed |= stack.is_empty();
            } else {
                stack.push(id);
            }
            continue;
        }
        match ev {
            Event::End(_) => {
                if skip > 0 {
                    skip -= 1;
                } else {
                    stack.pop();
                    closed |= stack.is_empty();
                }
            }
            Event::Text(t) if skip == 0 => {
                if let Some(&top) = stack.last() {
                    let s = t.decode().map_err(|err| xml_error(loc, pos, err))?;
                    nodes[top].text.push_str(&s);
                }
            }
            Event::CData(t) if skip == 0 => {
                if let Some(&top) = stack.last() {
                    let s = t.decode().map_err(|err| xml_error(loc, pos, err))?;
                    nodes[top].text.push_str(&s);
                }
            }
            Event::GeneralRef(g) if skip == 0 => {
                let c = match g
                    .resolve_char_ref()
                    .map_err(|err| xml_error(loc, pos, err))?
                {
                    Some(c) => c,
                    None => match g.decode().map_err(|err| xml_error(loc, pos, err))?.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(loc.fail(
                                String::new,
                                pos as usize,
                                format!("unknown entity &{other};; only the five predefined XML entities and character references are read"),
                            ));
                        }
                    },
                };
                if let Some(&top) = stack.last() {
                    nodes[top].text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if nodes.is_empty() {
        return Err(loc.fail(String::new, text.len(), "no root element; expected <bom>"));
    }
    if let Some(&open) = stack.last() {
        return Err(loc.fail(
            String::new,
            text.len(),
            format!(
                "the file ends early (truncated?): <{}> is not closed",
                nodes[open].name
            ),
        ));
    }
    let mut notes = Vec::new();
    if extension_vulns > 0 {
        notes.push(format!(
            "{extension_vulns} vulnerabilities in the pre-1.4 vulnerability extension namespace were not read; only the core <vulnerabilities> element (spec 1.4+) is"
        ));
    }
    Ok((Tree { nodes }, version, counts, notes))
}

fn is_xml_version(v: &str) -> bool {
    matches!(
        v,
        "1.0" | "1.1" | "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7"
    )
}

/// Parse CycloneDX XML text into a [`Bom`] and its spec version.
pub fn read(loc: &Locator<'_>, text: &str) -> Result<(Bom, String)> {
    let (t, version, counts, warnings) = read_tree(loc, text)?;
    let root = 0;
    let mut bom = Bom {
        spec_version: Some(version.clone()),
        serial_number: t.attr(root, "serialNumber").map(str::to_string),
        at: t.at(root),
        xml_counts: Some(counts),
        warnings,
        ..Bom::default()
    };
    if let Some(m) = t.kid(root, "metadata") {
        bom.metadata = Metadata {
            timestamp: t.text(m, "timestamp"),
            tools: t.kid(m, "tools").map(|tools| tools_of(&t, tools)),
            component: t
                .kid(m, "component")
                .map(|c| comp(loc, &t, c, 1))
                .transpose()?,
        };
    }
    bom.components = t
        .list(root, "components", "component")
        .map(|c| comp(loc, &t, c, 1))
        .collect::<Result<_>>()?;
    bom.services = t
        .list(root, "services", "service")
        .map(|s| service(loc, &t, s, 1))
        .collect::<Result<_>>()?;
    for d in t.list(root, "dependencies", "dependency") {
        dependency(loc, &t, d, true, 1, &mut bom.dependencies)?;
    }
    bom.vulnerabilities = t
        .list(root, "vulnerabilities", "vulnerability")
        .map(|v| vulnerability(loc, &t, v))
        .collect::<Result<_>>()?;
    Ok((bom, version))
}

fn too_deep(loc: &Locator<'_>, at: usize, what: &str) -> Error {
    loc.fail(
        String::new,
        at,
        format!("{what} nested more than {MAX_NESTING} deep"),
    )
}

fn tools_of(t: &Tree, n: usize) -> Tools {
    let entry = |e: usize| ToolEntry {
        vendor: t.text(e, "vendor"),
        group: t.text(e, "group"),
        name: t.text(e, "name"),
        version: t.text(e, "version"),
    };
    if t.kid(n, "tool").is_some() {
        Tools::Legacy(t.kids(n, "tool").map(entry).collect())
    } else {
        Tools::Modern(ModernTools {
            components: t.list(n, "components", "component").map(entry).collect(),
            services: t.list(n, "services", "service").map(entry).collect(),
        })
    }
}

fn comp(loc: &Locator<'_>, t: &Tree, n: usize, depth: usize) -> Result<Comp> {
    if depth > MAX_NESTING {
        return Err(too_deep(loc, t.at(n), "components"));
    }
    let mut licenses = Vec::new();
    if let Some(ls) = t.kid(n, "licenses") {
        for &l in &t.nodes[ls].children {
            match t.nodes[l].name.as_str() {
                "license" => licenses.push(LicenseChoice {
                    license: Some(License {
                        id: t.text(l, "id"),
                        name: t.text(l, "name"),
                    }),
                    expression: None,
                }),
                "expression" => licenses.push(LicenseChoice {
                    license: None,
                    expression: t.own_text(l),
                }),
                _ => {}
            }
        }
    }
    Ok(Comp {
        bom_ref: t.attr(n, "bom-ref").map(str::to_string),
        kind: t.attr(n, "type").map(str::to_string),
        group: t.text(n, "group"),
        name: t.text(n, "name"),
        version: t.text(n, "version"),
        purl: t.text(n, "purl"),
        cpe: t.text(n, "cpe"),
        scope: t.text(n, "scope"),
        licenses,
        hashes: t
            .list(n, "hashes", "hash")
            .map(|h| Hash {
                alg: t.attr(h, "alg").unwrap_or_default().to_string(),
                content: t.own_text(h).unwrap_or_default(),
                at: t.at(h),
            })
            .collect(),
        components: t
            .list(n, "components", "component")
            .map(|c| comp(loc, t, c, depth + 1))
            .collect::<Result<_>>()?,
        at: t.at(n),
    })
}

fn service(loc: &Locator<'_>, t: &Tree, n: usize, depth: usize) -> Result<Service> {
    if depth > MAX_NESTING {
        return Err(too_deep(loc, t.at(n), "services"));
    }
    Ok(Service {
        bom_ref: t.attr(n, "bom-ref").map(str::to_string),
        services: t
            .list(n, "services", "service")
            .map(|s| service(loc, t, s, depth + 1))
            .collect::<Result<_>>()?,
        at: t.at(n),
    })
}

/// A `<dependency>` and its nested ones. Every top-level element becomes a
/// [`Dep`] (checked later); a nested element names a dependency of its parent
/// and becomes a [`Dep`] of its own only when it nests further.
fn dependency(
    loc: &Locator<'_>,
    t: &Tree,
    n: usize,
    top: bool,
    depth: usize,
    out: &mut Vec<Dep>,
) -> Result<()> {
    if depth > MAX_NESTING {
        return Err(too_deep(loc, t.at(n), "dependencies"));
    }
    let child_ref = |c: usize| -> Result<String> {
        match t.attr(c, "ref").map(str::trim) {
            Some(r) if !r.is_empty() => Ok(r.to_string()),
            Some(_) => Err(loc.fail(
                String::new,
                t.at(c),
                "dependency ref is empty; expected the bom-ref of a component or service",
            )),
            None => Err(loc.fail(
                String::new,
                t.at(c),
                "dependency has no ref; expected the bom-ref of a component or service",
            )),
        }
    };
    let nested: Vec<usize> = t.kids(n, "dependency").collect();
    if top || !nested.is_empty() || t.kid(n, "provides").is_some() {
        out.push(Dep {
            reference: t.attr(n, "ref").map(str::to_string),
            depends_on: nested
                .iter()
                .map(|&c| child_ref(c))
                .collect::<Result<_>>()?,
            provides: t
                .kids(n, "provides")
                .map(child_ref)
                .collect::<Result<_>>()?,
            at: t.at(n),
        });
    }
    for c in nested {
        dependency(loc, t, c, false, depth + 1, out)?;
    }
    Ok(())
}

fn number<T: std::str::FromStr>(
    loc: &Locator<'_>,
    t: &Tree,
    n: usize,
    what: &str,
) -> Result<Option<T>> {
    match t.own_text(n) {
        None => Ok(None),
        Some(s) => s.parse::<T>().map(Some).map_err(|_| {
            loc.fail(
                String::new,
                t.at(n),
                format!("{what} {s:?} is not a number"),
            )
        }),
    }
}

fn vulnerability(loc: &Locator<'_>, t: &Tree, n: usize) -> Result<Vuln> {
    let mut ratings = Vec::new();
    for r in t.list(n, "ratings", "rating") {
        ratings.push(Rating {
            score: match t.kid(r, "score") {
                Some(s) => number::<f64>(loc, t, s, "rating score")?,
                None => None,
            },
            severity: t.text(r, "severity"),
            method: t.text(r, "method"),
            vector: t.text(r, "vector"),
        });
    }
    let mut cwes = Vec::new();
    for c in t.list(n, "cwes", "cwe") {
        cwes.extend(number::<u32>(loc, t, c, "CWE")?);
    }
    Ok(Vuln {
        id: t.text(n, "id"),
        source: t.kid(n, "source").map(|s| Source {
            name: t.text(s, "name"),
            url: t.text(s, "url"),
        }),
        references: t
            .list(n, "references", "reference")
            .map(|r| VulnReference {
                id: t.text(r, "id"),
            })
            .collect(),
        ratings,
        cwes,
        description: t.text(n, "description"),
        detail: t.text(n, "detail"),
        recommendation: t.text(n, "recommendation"),
        published: t.text(n, "published"),
        updated: t.text(n, "updated"),
        affects: t
            .list(n, "affects", "target")
            .map(|a| Affect {
                reference: t.text(a, "ref"),
                versions: t
                    .list(a, "versions", "version")
                    .map(|v| AffectVersion {
                        version: t.text(v, "version"),
                        range: t.text(v, "range"),
                        status: t.text(v, "status"),
                    })
                    .collect(),
            })
            .collect(),
        analysis: t.kid(n, "analysis").map(|a| Analysis {
            state: t.text(a, "state"),
            justification: t.text(a, "justification"),
            response: t
                .list(a, "responses", "response")
                .filter_map(|r| t.own_text(r))
                .collect(),
            detail: t.text(a, "detail"),
            last_updated: t.text(a, "lastUpdated"),
        }),
    })
}
