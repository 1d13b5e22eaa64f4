//! Validation and normalization of a [`Bom`] into a [`Document`].
//!
//! Input: a [`Bom`] read from JSON or XML, and where it came from (so that a
//! refusal names a JSON pointer or an XML line and column). Output: the
//! [`Document`]: components (root first, nesting flattened with parents),
//! dependency and containment edges, findings or VEX statements, counts.

use super::bom::{Affect, Bom, Comp, Dep, Hash, Rating, Service, Tools, Vuln};
use crate::error::{Error, Result, push_pointer};
use crate::model::{
    Component, Document, Finding, Fingerprint, Format, Level, PackageRef, Relationship,
    RelationshipKind, ResultKind, Severity, Sym, Tool, VexStatement, VexStatus, VulnerabilityRef,
    parse_purl,
};
use std::collections::HashMap;
use std::path::Path;

/// Deepest component nesting accepted. Real BOMs stay below 10; the bound
/// keeps hostile input from exhausting the stack.
pub const MAX_NESTING: usize = 64;

/// Hash algorithms of the schema's `hash-alg` enumeration (1.2–1.7).
const HASH_ALGS: [&str; 14] = [
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
    "Streebog-256",
    "Streebog-512",
];

/// Which serialization a [`Bom`] was read from: decides how a position is named.
#[derive(Clone, Copy)]
pub enum Origin<'t> {
    /// JSON: positions are JSON pointers.
    Json,
    /// XML: positions are byte offsets into this text, shown as line and column.
    Xml(&'t str),
}

/// Names positions for error messages.
pub struct Locator<'a> {
    /// The file.
    pub path: &'a Path,
    /// Its serialization.
    pub origin: Origin<'a>,
}

impl Locator<'_> {
    /// An input error at a JSON pointer (JSON) or at the byte offset `at` (XML).
    pub fn fail(
        &self,
        pointer: impl FnOnce() -> String,
        at: usize,
        message: impl Into<String>,
    ) -> Error {
        match self.origin {
            Origin::Json => Error::at_pointer(self.path, pointer(), message),
            Origin::Xml(text) => {
                let (line, column) = line_col(text, at);
                Error::at_line(self.path, line, column, message)
            }
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

fn ptr(base: &str, tokens: &[&str]) -> String {
    let mut p = base.to_string();
    for t in tokens {
        push_pointer(&mut p, t);
    }
    p
}

/// Where a bom-ref was first declared.
enum Place {
    /// JSON pointer of the declaring object.
    Pointer(String),
    /// XML byte offset of the declaring element.
    Offset(usize),
}

/// A component while the document is assembled: its explicit reference is
/// known, a synthesized one is assigned once all explicit ones are.
struct Pending {
    component: Component,
    explicit_ref: bool,
    parent: Option<usize>,
}

/// Validate `bom` and normalize it. `format` is the serialization's format
/// (JSON or XML); it becomes [`Format::CyclonedxVex`] for a pure VEX document.
pub fn build(
    loc: &Locator<'_>,
    mut bom: Bom,
    format: Format,
    spec_version: String,
) -> Result<Document> {
    check_serial(loc, &bom)?;
    let mut doc = Document::new(format, spec_version);
    doc.warnings = std::mem::take(&mut bom.warnings);
    doc.producers = producers(bom.metadata.tools.as_ref());

    // Components: the root first, then the inventory, nesting flattened.
    let mut pending: Vec<Pending> = Vec::new();
    let mut refs: HashMap<String, Place> = HashMap::new();
    if let Some(root) = &bom.metadata.component {
        flatten(
            loc,
            root,
            "/metadata/component",
            None,
            1,
            &mut pending,
            &mut refs,
        )?;
        pending[0].component.is_root = true;
    }
    let inventory_start = pending.len();
    for (i, c) in bom.components.iter().enumerate() {
        let p = ptr("/components", &[&i.to_string()]);
        flatten(loc, c, &p, None, 1, &mut pending, &mut refs)?;
    }
    let inventory = (pending.len() - inventory_start) as u64;
    let mut services = 0u64;
    for (i, s) in bom.services.iter().enumerate() {
        let p = ptr("/services", &[&i.to_string()]);
        count_services(loc, s, &p, 1, &mut services, &mut refs)?;
    }
    assign_refs(&mut pending, &refs);

    // Edges: nesting, then the dependency graph as written.
    for i in 0..pending.len() {
        if let Some(parent) = pending[i].parent {
            let from = pending[parent].component.bom_ref.clone();
            let to = pending[i].component.bom_ref.clone();
            pending[i].component.parent = Some(from.clone());
            doc.relationships.push(Relationship {
                from,
                to,
                kind: RelationshipKind::Contains,
                detail: None,
            });
        }
    }
    doc.components = pending.into_iter().map(|p| p.component).collect();
    for (i, d) in bom.dependencies.iter().enumerate() {
        dependency_edges(loc, d, i, &mut doc.relationships)?;
    }
    let known: HashMap<&str, usize> = doc
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.bom_ref.as_str(), i))
        .collect();
    let is_known = |r: &str| known.contains_key(r) || refs.contains_key(r);
    let dangling = doc
        .relationships
        .iter()
        .filter(|r| r.kind != RelationshipKind::Contains)
        .map(|r| usize::from(!is_known(&r.from)) + usize::from(!is_known(&r.to)))
        .sum::<usize>();
    if dangling > 0 {
        doc.warnings.push(format!(
            "{dangling} dependency reference(s) name no component or service of this BOM"
        ));
    }

    // Vulnerabilities.
    let index = RefIndex::new(&doc.components, bom.serial_number.as_deref());
    let tool = std::sync::Arc::new(doc.producers.first().cloned().unwrap_or_else(|| Tool {
        name: Sym::from("CycloneDX"),
        version: None,
    }));
    let pure_vex = inventory == 0
        && bom
            .vulnerabilities
            .iter()
            .any(|v| v.analysis.as_ref().is_some_and(|a| a.state.is_some()));
    for (i, v) in bom.vulnerabilities.iter().enumerate() {
        let id = match v.id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id,
            _ => {
                doc.warnings
                    .push(format!("vulnerability {i} has no id; skipped"));
                continue;
            }
        };
        if let Some(st) = statement(
            v,
            id,
            &index,
            bom.metadata.timestamp.as_deref(),
            &mut doc.warnings,
        ) {
            doc.statements.push(st);
        }
        if !pure_vex {
            findings(v, id, &index, &tool, &mut doc.findings);
        }
    }
    if pure_vex {
        doc.format = Format::CyclonedxVex;
        doc.components.clear();
        doc.relationships.clear();
    }

    // Counts as each serialization writes them (see the module doc).
    let (components, dependencies, vulnerabilities) = match bom.xml_counts {
        Some(x) => (x.components, x.dependencies, x.vulnerabilities),
        None => (
            inventory,
            bom.dependencies.len() as u64,
            bom.vulnerabilities.len() as u64,
        ),
    };
    doc.stats.components = Some(components);
    doc.stats.dependencies = Some(dependencies);
    doc.stats.services = Some(services);
    doc.stats.vulnerabilities = Some(vulnerabilities);
    if !doc.statements.is_empty() || pure_vex {
        doc.stats.statements = Some(doc.statements.len() as u64);
    }
    Ok(doc)
}

/// `serialNumber` must be a `urn:uuid:` URN. The JSON schema's pattern asks
/// for lower-case hex and the XSD's allows either case; both are accepted.
fn check_serial(loc: &Locator<'_>, bom: &Bom) -> Result<()> {
    let Some(s) = bom.serial_number.as_deref() else {
        return Ok(());
    };
    let ok = s.strip_prefix("urn:uuid:").is_some_and(|u| {
        let groups: Vec<&str> = u.split('-').collect();
        groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if ok {
        Ok(())
    } else {
        Err(loc.fail(
            || "/serialNumber".into(),
            bom.at,
            format!(
                "serialNumber {s:?} is not a UUID URN; expected urn:uuid: followed by 8-4-4-4-12 hex digits, e.g. urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
            ),
        ))
    }
}

fn producers(tools: Option<&Tools>) -> Vec<Tool> {
    let entries: Vec<&super::bom::ToolEntry> = match tools {
        None => Vec::new(),
        Some(Tools::Legacy(list)) => list.iter().collect(),
        Some(Tools::Modern(m)) => m.components.iter().chain(m.services.iter()).collect(),
    };
    entries
        .into_iter()
        .filter_map(|t| {
            let name = t.name.as_deref().map(str::trim).filter(|n| !n.is_empty())?;
            Some(Tool {
                name: Sym::from(name),
                version: t.version.as_deref().map(Sym::from),
            })
        })
        .collect()
}

/// Register an explicit bom-ref, refusing an empty or repeated one.
fn claim_ref(
    loc: &Locator<'_>,
    r: &str,
    pointer: &str,
    at: usize,
    refs: &mut HashMap<String, Place>,
) -> Result<()> {
    if r.is_empty() {
        return Err(loc.fail(
            || ptr(pointer, &["bom-ref"]),
            at,
            "bom-ref is empty; expected a non-empty reference unique within the BOM",
        ));
    }
    if let Some(first) = refs.get(r) {
        let first = match (first, loc.origin) {
            (Place::Offset(at), Origin::Xml(text)) => {
                let (l, c) = line_col(text, *at);
                format!("line {l}, column {c}")
            }
            (Place::Pointer(p), _) => p.clone(),
            (Place::Offset(at), Origin::Json) => format!("byte {at}"),
        };
        return Err(loc.fail(
            || ptr(pointer, &["bom-ref"]),
            at,
            format!("bom-ref {r:?} is used twice (first at {first}); every bom-ref must be unique within the BOM"),
        ));
    }
    // Where it was first seen: the pointer (JSON) or the byte offset (XML),
    // turned into a line and column only if a duplicate is found.
    let place = match loc.origin {
        Origin::Json => Place::Pointer(pointer.to_string()),
        Origin::Xml(_) => Place::Offset(at),
    };
    refs.insert(r.to_string(), place);
    Ok(())
}

fn flatten(
    loc: &Locator<'_>,
    c: &Comp,
    pointer: &str,
    parent: Option<usize>,
    depth: usize,
    out: &mut Vec<Pending>,
    refs: &mut HashMap<String, Place>,
) -> Result<()> {
    if depth > MAX_NESTING {
        return Err(loc.fail(
            || pointer.to_string(),
            c.at,
            format!("components nested more than {MAX_NESTING} deep"),
        ));
    }
    if let Some(r) = &c.bom_ref {
        claim_ref(loc, r, pointer, c.at, refs)?;
    }
    let hashes = check_hashes(loc, &c.hashes, pointer)?;
    let me = out.len();
    out.push(Pending {
        component: Component {
            bom_ref: c.bom_ref.clone().unwrap_or_default(),
            kind: c.kind.clone(),
            group: non_empty(&c.group),
            name: c.name.clone().unwrap_or_default(),
            version: non_empty(&c.version),
            purl: non_empty(&c.purl),
            cpe: non_empty(&c.cpe),
            licenses: c
                .licenses
                .iter()
                .filter_map(|l| {
                    l.expression.clone().or_else(|| {
                        l.license
                            .as_ref()
                            .and_then(|x| x.id.clone().or_else(|| x.name.clone()))
                    })
                })
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            hashes,
            scope: c.scope.clone(),
            parent: None,
            is_root: false,
        },
        explicit_ref: c.bom_ref.is_some(),
        parent,
    });
    for (i, child) in c.components.iter().enumerate() {
        let p = ptr(pointer, &["components", &i.to_string()]);
        flatten(loc, child, &p, Some(me), depth + 1, out, refs)?;
    }
    Ok(())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Hash algorithms are compared without regard to case (tools write `sha256`
/// style names too) and kept in the schema's spelling; any other algorithm is
/// refused, as the schema does.
fn check_hashes(
    loc: &Locator<'_>,
    hashes: &[Hash],
    pointer: &str,
) -> Result<Vec<(String, String)>> {
    hashes
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let alg = h.alg.trim();
            match HASH_ALGS.iter().find(|a| a.eq_ignore_ascii_case(alg)) {
                Some(a) => Ok((a.to_string(), h.content.trim().to_string())),
                None => Err(loc.fail(
                    || ptr(pointer, &["hashes", &i.to_string(), "alg"]),
                    h.at,
                    format!(
                        "hash algorithm {alg:?} is not one of {}",
                        HASH_ALGS.join(", ")
                    ),
                )),
            }
        })
        .collect()
}

fn count_services(
    loc: &Locator<'_>,
    s: &Service,
    pointer: &str,
    depth: usize,
    count: &mut u64,
    refs: &mut HashMap<String, Place>,
) -> Result<()> {
    if depth > MAX_NESTING {
        return Err(loc.fail(
            || pointer.to_string(),
            s.at,
            format!("services nested more than {MAX_NESTING} deep"),
        ));
    }
    *count += 1;
    if let Some(r) = &s.bom_ref {
        claim_ref(loc, r, pointer, s.at, refs)?;
    }
    for (i, child) in s.services.iter().enumerate() {
        let p = ptr(pointer, &["services", &i.to_string()]);
        count_services(loc, child, &p, depth + 1, count, refs)?;
    }
    Ok(())
}

/// Give every component without a bom-ref a stable one: its purl, else
/// `group/name@version`, suffixed `#2`, `#3`, ... when already taken. The
/// result depends only on the document, so it is the same on every run.
fn assign_refs(pending: &mut [Pending], explicit: &HashMap<String, Place>) {
    let mut taken: HashMap<String, u32> = HashMap::new();
    for p in pending.iter_mut().filter(|p| !p.explicit_ref) {
        let c = &p.component;
        let base = match &c.purl {
            Some(purl) => purl.clone(),
            None => {
                let mut s = String::new();
                if let Some(g) = &c.group {
                    s.push_str(g);
                    s.push('/');
                }
                s.push_str(if c.name.is_empty() {
                    "component"
                } else {
                    &c.name
                });
                if let Some(v) = &c.version {
                    s.push('@');
                    s.push_str(v);
                }
                s
            }
        };
        let mut candidate = base.clone();
        let mut n = taken.get(&base).copied().unwrap_or(1);
        while explicit.contains_key(&candidate) || taken.contains_key(&candidate) {
            n += 1;
            candidate = format!("{base}#{n}");
        }
        taken.insert(base, n);
        taken.entry(candidate.clone()).or_insert(1);
        p.component.bom_ref = candidate;
    }
}

fn dependency_edges(
    loc: &Locator<'_>,
    d: &Dep,
    i: usize,
    out: &mut Vec<Relationship>,
) -> Result<()> {
    let idx = i.to_string();
    let from = match d.reference.as_deref() {
        Some(r) if !r.trim().is_empty() => r,
        Some(_) => {
            return Err(loc.fail(
                || ptr("/dependencies", &[&idx, "ref"]),
                d.at,
                "dependency ref is empty; expected the bom-ref of a component or service",
            ));
        }
        None => {
            return Err(loc.fail(
                || ptr("/dependencies", &[&idx]),
                d.at,
                "dependency has no ref; expected the bom-ref of a component or service",
            ));
        }
    };
    for (key, list, kind, detail) in [
        (
            "dependsOn",
            &d.depends_on,
            RelationshipKind::DependsOn,
            None,
        ),
        (
            "provides",
            &d.provides,
            RelationshipKind::Other,
            Some("provides"),
        ),
    ] {
        for (j, to) in list.iter().enumerate() {
            if to.trim().is_empty() {
                return Err(loc.fail(
                    || ptr("/dependencies", &[&idx, key, &j.to_string()]),
                    d.at,
                    format!(
                        "empty reference in {key}; expected the bom-ref of a component or service"
                    ),
                ));
            }
            out.push(Relationship {
                from: from.to_string(),
                to: to.clone(),
                kind,
                detail: detail.map(str::to_string),
            });
        }
    }
    Ok(())
}

/// Resolves `affects[].ref` values: bom-refs, BOM-links into this BOM, purls.
struct RefIndex<'a> {
    components: &'a [Component],
    by_ref: HashMap<&'a str, usize>,
    by_purl: HashMap<&'a str, usize>,
    serial: Option<&'a str>,
}

/// What an affected reference names.
struct Target<'a> {
    /// The reference as written.
    raw: &'a str,
    /// The component it resolves to in this BOM.
    component: Option<&'a Component>,
}

impl<'a> RefIndex<'a> {
    fn new(components: &'a [Component], serial: Option<&'a str>) -> Self {
        let mut by_purl = HashMap::new();
        for (i, c) in components.iter().enumerate() {
            if let Some(p) = &c.purl {
                by_purl.entry(p.as_str()).or_insert(i);
            }
        }
        RefIndex {
            components,
            by_ref: components
                .iter()
                .enumerate()
                .map(|(i, c)| (c.bom_ref.as_str(), i))
                .collect(),
            by_purl,
            serial: serial.and_then(|s| s.strip_prefix("urn:uuid:")),
        }
    }

    fn resolve(&self, raw: &'a str) -> Target<'a> {
        let r = raw.trim();
        let local = match r.strip_prefix("urn:cdx:") {
            // urn:cdx:<serial>/<version>#<bom-ref>: local only when it names this BOM.
            Some(link) => match (link.split_once('/'), link.split_once('#')) {
                (Some((serial, _)), Some((_, frag))) if Some(serial) == self.serial => {
                    Some(percent_decode(frag))
                }
                _ => None,
            },
            None => Some(r.to_string()),
        };
        let component = local.and_then(|l| {
            self.by_ref
                .get(l.as_str())
                .or_else(|| self.by_purl.get(l.as_str()))
                .map(|&i| &self.components[i])
        });
        Target { raw, component }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && b.get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) << 4 | hex(b[i + 2]));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The package a target names: the component's fields, or what a purl says.
fn package_of(t: &Target<'_>, fixed: Option<&str>) -> PackageRef {
    let fixed_version = fixed.map(Sym::from);
    if let Some(c) = t.component {
        return PackageRef {
            name: Some(Sym::from(c.name.as_str())),
            version: c.version.as_deref().map(Sym::from),
            purl: c.purl.as_deref().map(Sym::from),
            fixed_version,
        };
    }
    match parse_purl(t.raw) {
        Some(p) => PackageRef {
            name: Some(Sym::from(p.name.as_str())),
            version: p.version.as_deref().map(Sym::from),
            purl: Some(Sym::from(t.raw.trim())),
            fixed_version,
        },
        None => PackageRef {
            name: Some(Sym::from(t.raw.trim())),
            version: None,
            purl: None,
            fixed_version,
        },
    }
}

/// The fixed version: an `unaffected` version in `affects[].versions`, else
/// what follows "to version" in the recommendation (Trivy, Grype:
/// "Upgrade jquery to version 3.4.0"), kept as written when it lists several.
fn fixed_version<'v>(affect: &'v Affect, v: &'v Vuln) -> Option<String> {
    if let Some(fixed) = affect
        .versions
        .iter()
        .filter(|x| x.status.as_deref() == Some("unaffected"))
        .find_map(|x| x.version.as_deref())
    {
        return Some(fixed.trim().to_string());
    }
    let rec = v.recommendation.as_deref()?;
    let at = rec.find("to version ")?;
    let rest = rec[at + "to version ".len()..].trim();
    let rest = rest.strip_suffix('.').unwrap_or(rest).trim();
    let rest = rest.strip_suffix("or higher").unwrap_or(rest).trim();
    (!rest.is_empty() && rest.starts_with(|c: char| c.is_ascii_digit() || c == 'v'))
        .then(|| rest.to_string())
}

/// Severity and score of the highest rating: a numeric score gives the band,
/// otherwise the severity word counts.
fn rate(ratings: &[Rating]) -> (Severity, Option<f64>) {
    let mut sev = Severity::Unknown;
    let mut best: Option<f64> = None;
    for r in ratings {
        let score = r.score.filter(|s| s.is_finite() && *s >= 0.0);
        let s = match score {
            Some(s) => Severity::from_score(s),
            None => r
                .severity
                .as_deref()
                .and_then(Severity::from_word)
                .unwrap_or(Severity::Unknown),
        };
        sev = sev.max(s);
        if let Some(s) = score {
            best = Some(best.map_or(s, |b: f64| b.max(s)));
        }
    }
    (sev, best)
}

fn level_of(s: Severity) -> Level {
    match s {
        Severity::Critical | Severity::High => Level::Error,
        Severity::Medium | Severity::Unknown => Level::Warning,
        Severity::Low | Severity::Info => Level::Note,
    }
}

fn aliases(v: &Vuln, id: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &v.references {
        if let Some(a) = r.id.as_deref().map(str::trim)
            && !a.is_empty()
            && a != id
            && !out.iter().any(|x| x == a)
        {
            out.push(a.to_string());
        }
    }
    out
}

/// One finding per affected component (one without a package when the
/// vulnerability names none).
fn findings(
    v: &Vuln,
    id: &str,
    index: &RefIndex<'_>,
    tool: &std::sync::Arc<Tool>,
    out: &mut Vec<Finding>,
) {
    let (severity, score) = rate(&v.ratings);
    let base = VulnerabilityRef {
        id: id.to_string(),
        aliases: aliases(v, id),
        package: None,
        cvss_vectors: v
            .ratings
            .iter()
            .filter_map(|r| r.vector.as_deref().map(str::trim))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let message = v
        .description
        .as_deref()
        .or(v.detail.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(id)
        .to_string();
    let cwes: crate::model::Syms = v
        .cwes
        .iter()
        .map(|n| Sym::from(format!("CWE-{n}")))
        .collect();
    let rule: Sym = Sym::from(id);
    let make = |package: Option<PackageRef>| {
        let (pkg_id, version) = match &package {
            Some(p) => (
                p.purl
                    .as_deref()
                    .and_then(parse_purl)
                    .map(|x| x.base())
                    .or_else(|| p.name.as_deref().map(str::to_string))
                    .unwrap_or_default(),
                p.version.as_deref().unwrap_or("").to_string(),
            ),
            None => (String::new(), String::new()),
        };
        let mut vref = base.clone();
        vref.package = package;
        Finding {
            tool: tool.clone(),
            rule_id: Some(rule.clone()),
            meta: crate::model::RuleMeta {
                help_uri: v
                    .source
                    .as_ref()
                    .and_then(|s| s.url.as_deref())
                    .map(Sym::from),
                ..Default::default()
            }
            .shared(),
            kind: ResultKind::Fail,
            level: level_of(severity),
            severity,
            score,
            message: message.as_str().into(),
            locations: Box::default(),
            producer_fingerprints: Default::default(),
            fingerprint: Fingerprint::for_package(id, &pkg_id, &version),
            extras: None,
            cwes: cwes.clone(),
            vulnerability: Some(Box::new(vref)),
            properties: None,
        }
    };
    let affects: Vec<&Affect> = v
        .affects
        .iter()
        .filter(|a| a.reference.as_deref().is_some_and(|r| !r.trim().is_empty()))
        .collect();
    if affects.is_empty() {
        out.push(make(None));
    }
    for a in affects {
        let target = index.resolve(a.reference.as_deref().unwrap_or_default());
        let fixed = fixed_version(a, v);
        out.push(make(Some(package_of(&target, fixed.as_deref()))));
    }
}

fn vex_status(state: &str) -> Option<VexStatus> {
    Some(match state {
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "exploitable" => VexStatus::Affected,
        "in_triage" => VexStatus::UnderInvestigation,
        "false_positive" | "not_affected" => VexStatus::NotAffected,
        _ => return None,
    })
}

/// The VEX statement of a vulnerability with an `analysis.state`.
fn statement(
    v: &Vuln,
    id: &str,
    index: &RefIndex<'_>,
    doc_time: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<VexStatement> {
    let a = v.analysis.as_ref()?;
    let state = a.state.as_deref()?.trim();
    let Some(status) = vex_status(state) else {
        warnings.push(format!(
            "{id}: analysis state {state:?} is not a CycloneDX state (resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected); no VEX statement taken"
        ));
        return None;
    };
    let products: Vec<String> = v
        .affects
        .iter()
        .filter_map(|x| {
            x.reference
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
        })
        .map(|r| {
            let t = index.resolve(r);
            t.component
                .and_then(|c| c.purl.clone())
                .unwrap_or_else(|| r.to_string())
        })
        .collect();
    if products.is_empty() {
        warnings.push(format!(
            "{id}: analysis without affects names no product; no VEX statement taken"
        ));
        return None;
    }
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(VexStatement {
        vulnerability: id.to_string(),
        aliases: aliases(v, id),
        products,
        subcomponents: Vec::new(),
        status,
        justification: text(&a.justification),
        impact_statement: text(&a.detail),
        action_statement: (!a.response.is_empty()).then(|| a.response.join(", ")),
        timestamp: text(&a.last_updated)
            .or_else(|| text(&v.updated))
            .or_else(|| doc_time.map(str::to_string)),
    })
}
