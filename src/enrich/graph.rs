//! The SBOM dependency graph: depth, shortest path and blast radius per component.
//!
//! Input: the [`Component`]s and [`Relationship`]s of one or more documents.
//! Output: [`ComponentGraph`], which answers [`ComponentFacts`] per
//! component and exports DOT or JSON.
//!
//! - Nodes are `bom_ref`s (the same reference in two documents is one node);
//!   edges are `DependsOn` relationships. A reference used by an edge but not
//!   listed as a component becomes a node named after the reference.
//! - Roots: the documents' subjects (`is_root`). When no subject has an
//!   outgoing edge (a CycloneDX metadata component that the `dependencies`
//!   section never mentions), the tops of the dependency trees are used
//!   instead: nodes with outgoing but no incoming edges.
//! - Depth and one shortest path from a root come from one multi-source BFS,
//!   O(V + E). Depth 1 is a direct dependency, deeper is transitive; a
//!   component no root reaches has no depth.
//! - Dependents: direct dependents are the in-degree. Transitive dependents
//!   (every component that depends on it, at any distance) are computed on
//!   the condensation of the graph into strongly connected components
//!   (Kosaraju, O(V + E)), then one pass in topological order that unions
//!   ancestor bitsets: O(V + E·V/64) time, bitsets freed once their last
//!   successor has read them. Above [`MAX_TRANSITIVE_NODES`] nodes the
//!   transitive count is skipped and said so. Cycles are handled by the
//!   condensation and never loop.

use crate::model::{Component, Document, Relationship, RelationshipKind};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

/// Above this many nodes transitive dependents are not computed (the
/// bitsets could need V²/8 bytes: 200 MB at 40,000 nodes in the worst case).
pub const MAX_TRANSITIVE_NODES: usize = 40_000;

#[derive(Debug, Clone)]
struct Node {
    bom_ref: String,
    name: String,
    version: Option<String>,
    purl: Option<String>,
    is_root: bool,
}

/// What the graph says about one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentFacts {
    /// The component reference.
    pub bom_ref: String,
    /// Name.
    pub name: String,
    /// Version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// A root of the graph.
    pub root: bool,
    /// Distance from the nearest root (0 for a root), when reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    /// Depth 1 (`true`) or deeper (`false`); `None` for roots and unreachable nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    /// One shortest path from a root to this component, as `bom_ref`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Number of components this one depends on directly.
    pub dependencies: u32,
    /// Number of components that depend on this one directly.
    pub direct_dependents: u32,
    /// Number of components that depend on this one at any distance, when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitive_dependents: Option<u32>,
    /// Part of a dependency cycle.
    pub in_cycle: bool,
}

/// The dependency graph of a set of documents, with per-node results.
#[derive(Debug, Clone)]
pub struct ComponentGraph {
    graph: DiGraph<(), ()>,
    nodes: Vec<Node>,
    index: HashMap<String, NodeIndex>,
    roots: Vec<NodeIndex>,
    depth: Vec<Option<u32>>,
    parent: Vec<Option<NodeIndex>>,
    transitive: Option<Vec<u32>>,
    in_cycle: Vec<bool>,
    cycles: usize,
}

/// One edge, for export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Dependent.
    pub from: String,
    /// Dependency.
    pub to: String,
}

/// The JSON export of a graph (`fixops graph --format json`).
#[derive(Debug, Clone, Serialize)]
pub struct GraphExport {
    /// Root references.
    pub roots: Vec<String>,
    /// Number of dependency cycles (strongly connected components of more
    /// than one node, or with a self-edge).
    pub cycles: usize,
    /// Whether transitive dependents were computed, and if not why.
    pub transitive_dependents: String,
    /// Every component.
    pub components: Vec<ComponentFacts>,
    /// Every `DependsOn` edge.
    pub edges: Vec<Edge>,
}

impl ComponentGraph {
    /// Build from documents.
    pub fn from_documents<'a>(docs: impl IntoIterator<Item = &'a Document>) -> ComponentGraph {
        let docs: Vec<&Document> = docs.into_iter().collect();
        ComponentGraph::build(
            docs.iter().flat_map(|d| d.components.iter()),
            docs.iter().flat_map(|d| d.relationships.iter()),
        )
    }

    /// Build from components and relationships.
    pub fn build<'a>(
        components: impl IntoIterator<Item = &'a Component>,
        relationships: impl IntoIterator<Item = &'a Relationship>,
    ) -> ComponentGraph {
        let mut g = ComponentGraph {
            graph: DiGraph::new(),
            nodes: Vec::new(),
            index: HashMap::new(),
            roots: Vec::new(),
            depth: Vec::new(),
            parent: Vec::new(),
            transitive: None,
            in_cycle: Vec::new(),
            cycles: 0,
        };
        for c in components {
            let i = g.node(&c.bom_ref);
            let n = &mut g.nodes[i.index()];
            n.name = c.name.clone();
            n.version = c.version.clone().or(n.version.take());
            n.purl = c.purl.clone().or(n.purl.take());
            n.is_root |= c.is_root;
        }
        let mut seen = std::collections::HashSet::new();
        for r in relationships {
            if r.kind != RelationshipKind::DependsOn {
                continue;
            }
            let (a, b) = (g.node(&r.from), g.node(&r.to));
            if seen.insert((a, b)) {
                g.graph.add_edge(a, b, ());
            }
        }
        g.analyse();
        g
    }

    fn node(&mut self, bom_ref: &str) -> NodeIndex {
        if let Some(&i) = self.index.get(bom_ref) {
            return i;
        }
        let i = self.graph.add_node(());
        self.nodes.push(Node {
            bom_ref: bom_ref.to_string(),
            name: bom_ref.to_string(),
            version: None,
            purl: None,
            is_root: false,
        });
        self.index.insert(bom_ref.to_string(), i);
        i
    }

    /// Successors in the order their edges were added (petgraph lists the
    /// newest first), so that paths follow the document's order.
    fn successors(&self, u: NodeIndex) -> Vec<NodeIndex> {
        let mut v: Vec<NodeIndex> = self.graph.neighbors(u).collect();
        v.reverse();
        v
    }

    fn out_degree(&self, i: NodeIndex) -> usize {
        self.graph.neighbors(i).count()
    }

    fn in_degree(&self, i: NodeIndex) -> usize {
        self.graph
            .neighbors_directed(i, petgraph::Direction::Incoming)
            .count()
    }

    fn analyse(&mut self) {
        let n = self.graph.node_count();
        let mut roots: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&i| self.nodes[i.index()].is_root)
            .collect();
        if !roots.iter().any(|&r| self.out_degree(r) > 0) {
            roots.extend(
                self.graph
                    .node_indices()
                    .filter(|&i| !self.nodes[i.index()].is_root)
                    .filter(|&i| self.in_degree(i) == 0 && self.out_degree(i) > 0),
            );
        }
        self.roots = roots;

        // Multi-source BFS: depth and a parent on one shortest path.
        self.depth = vec![None; n];
        self.parent = vec![None; n];
        let mut queue = VecDeque::new();
        for &r in &self.roots {
            self.depth[r.index()] = Some(0);
            queue.push_back(r);
        }
        while let Some(u) = queue.pop_front() {
            let d = self.depth[u.index()].unwrap_or(0) + 1;
            for v in self.successors(u) {
                if self.depth[v.index()].is_none() {
                    self.depth[v.index()] = Some(d);
                    self.parent[v.index()] = Some(u);
                    queue.push_back(v);
                }
            }
        }

        // Strongly connected components (Kosaraju: iterative, so deep
        // chains cannot overflow the stack).
        let sccs = petgraph::algo::kosaraju_scc(&self.graph);
        let mut comp = vec![0usize; n];
        for (c, members) in sccs.iter().enumerate() {
            for m in members {
                comp[m.index()] = c;
            }
        }
        self.in_cycle = vec![false; n];
        for members in &sccs {
            let cyclic = members.len() > 1 || self.graph.contains_edge(members[0], members[0]);
            if cyclic {
                self.cycles += 1;
                for m in members {
                    self.in_cycle[m.index()] = true;
                }
            }
        }
        if n <= MAX_TRANSITIVE_NODES {
            self.transitive = Some(self.transitive_dependents(&sccs, &comp));
        }
    }

    /// Ancestor counts by a DP over the condensation in topological order.
    fn transitive_dependents(&self, sccs: &[Vec<NodeIndex>], comp: &[usize]) -> Vec<u32> {
        let n = self.graph.node_count();
        let words = n.div_ceil(64);
        let c = sccs.len();
        // Distinct successor components of each component.
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); c];
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                let (ca, cb) = (comp[a.index()], comp[b.index()]);
                if ca != cb {
                    succ[ca].push(cb);
                }
            }
        }
        let mut indegree = vec![0usize; c];
        for s in &mut succ {
            s.sort_unstable();
            s.dedup();
            for &t in s.iter() {
                indegree[t] += 1;
            }
        }
        // Topological order of the condensation (Kahn).
        let mut order: Vec<usize> = (0..c).filter(|&x| indegree[x] == 0).collect();
        let mut head = 0;
        while head < order.len() {
            let x = order[head];
            head += 1;
            for &t in &succ[x] {
                indegree[t] -= 1;
                if indegree[t] == 0 {
                    order.push(t);
                }
            }
        }
        // `readers_left[x]`: successors of x not yet processed (they read x's set).
        let mut readers_left: Vec<usize> = succ.iter().map(Vec::len).collect();
        let mut anc: Vec<Option<Vec<u64>>> = vec![None; c];
        let mut counts = vec![0u32; n];
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); c];
        for (a, s) in succ.iter().enumerate() {
            for &b in s {
                preds[b].push(a);
            }
        }
        for &ci in &order {
            let mut set = vec![0u64; words];
            for &p in &preds[ci] {
                if let Some(ps) = &anc[p] {
                    for (w, x) in set.iter_mut().zip(ps) {
                        *w |= x;
                    }
                }
                for m in &sccs[p] {
                    set[m.index() / 64] |= 1 << (m.index() % 64);
                }
                readers_left[p] -= 1;
                if readers_left[p] == 0 {
                    anc[p] = None;
                }
            }
            let outside: u32 = set.iter().map(|w| w.count_ones()).sum();
            let inside = sccs[ci].len() as u32 - 1;
            for m in &sccs[ci] {
                counts[m.index()] = outside + inside;
            }
            if readers_left[ci] > 0 {
                anc[ci] = Some(set);
            }
        }
        counts
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Facts about the component with this reference.
    pub fn facts(&self, bom_ref: &str) -> Option<ComponentFacts> {
        self.index.get(bom_ref).map(|&i| self.facts_of(i))
    }

    /// Facts about the component with this package URL (exact match first,
    /// then the same package and version ignoring qualifiers); when several
    /// nodes match, the shallowest.
    pub fn facts_for_purl(&self, purl: &str) -> Option<ComponentFacts> {
        let exact = self
            .graph
            .node_indices()
            .filter(|&i| self.nodes[i.index()].purl.as_deref() == Some(purl));
        let best = |it: &mut dyn Iterator<Item = NodeIndex>| {
            it.min_by_key(|&i| self.depth[i.index()].unwrap_or(u32::MAX))
        };
        if let Some(i) = best(&mut exact.into_iter()) {
            return Some(self.facts_of(i));
        }
        let want = crate::model::parse_purl(purl)?;
        let mut loose = self.graph.node_indices().filter(|&i| {
            self.nodes[i.index()]
                .purl
                .as_deref()
                .and_then(crate::model::parse_purl)
                .is_some_and(|p| p.base() == want.base() && p.version == want.version)
        });
        best(&mut loose).map(|i| self.facts_of(i))
    }

    /// Facts for every component, in insertion order.
    pub fn all_facts(&self) -> Vec<ComponentFacts> {
        self.graph
            .node_indices()
            .map(|i| self.facts_of(i))
            .collect()
    }

    fn facts_of(&self, i: NodeIndex) -> ComponentFacts {
        let n = &self.nodes[i.index()];
        let depth = self.depth[i.index()];
        let mut path = Vec::new();
        if depth.is_some() {
            let mut cur = Some(i);
            while let Some(c) = cur {
                path.push(self.nodes[c.index()].bom_ref.clone());
                cur = self.parent[c.index()];
            }
            path.reverse();
        }
        ComponentFacts {
            bom_ref: n.bom_ref.clone(),
            name: n.name.clone(),
            version: n.version.clone(),
            purl: n.purl.clone(),
            root: self.roots.contains(&i),
            depth,
            direct: depth.filter(|d| *d > 0).map(|d| d == 1),
            path,
            dependencies: self.out_degree(i) as u32,
            direct_dependents: self.in_degree(i) as u32,
            transitive_dependents: self.transitive.as_ref().map(|t| t[i.index()]),
            in_cycle: self.in_cycle[i.index()],
        }
    }

    /// The graph for `fixops graph --format json`.
    pub fn export(&self) -> GraphExport {
        GraphExport {
            roots: self
                .roots
                .iter()
                .map(|r| self.nodes[r.index()].bom_ref.clone())
                .collect(),
            cycles: self.cycles,
            transitive_dependents: match self.transitive {
                Some(_) => "computed".to_string(),
                None => format!(
                    "skipped: {} nodes is above the {MAX_TRANSITIVE_NODES}-node limit",
                    self.len()
                ),
            },
            components: self.all_facts(),
            edges: self.edges().collect(),
        }
    }

    fn edges(&self) -> impl Iterator<Item = Edge> + '_ {
        self.graph.edge_indices().filter_map(|e| {
            let (a, b) = self.graph.edge_endpoints(e)?;
            Some(Edge {
                from: self.nodes[a.index()].bom_ref.clone(),
                to: self.nodes[b.index()].bom_ref.clone(),
            })
        })
    }

    /// Graphviz DOT text: one node per component labelled `name@version`,
    /// roots drawn as boxes, cycle members in red.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph sbom {\n  rankdir=LR;\n  node [shape=ellipse];\n");
        for i in self.graph.node_indices() {
            let n = &self.nodes[i.index()];
            let label = match &n.version {
                Some(v) => format!("{}@{v}", n.name),
                None => n.name.clone(),
            };
            let mut attrs = format!("label={}", dot_quote(&label));
            if self.roots.contains(&i) {
                attrs.push_str(", shape=box");
            }
            if self.in_cycle[i.index()] {
                attrs.push_str(", color=red");
            }
            let _ = writeln!(out, "  {} [{attrs}];", dot_quote(&n.bom_ref));
        }
        for e in self.edges() {
            let _ = writeln!(out, "  {} -> {};", dot_quote(&e.from), dot_quote(&e.to));
        }
        out.push_str("}\n");
        out
    }
}

fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(r: &str, root: bool) -> Component {
        Component {
            bom_ref: r.into(),
            name: r.into(),
            is_root: root,
            ..Default::default()
        }
    }

    fn dep(a: &str, b: &str) -> Relationship {
        Relationship {
            from: a.into(),
            to: b.into(),
            kind: RelationshipKind::DependsOn,
            detail: None,
        }
    }

    #[test]
    fn depth_path_and_dependents() {
        // app -> a -> c, app -> b -> c -> d, plus a cycle d <-> e.
        let comps = ["app", "a", "b", "c", "d", "e"].map(|r| comp(r, r == "app"));
        let rels = [
            dep("app", "a"),
            dep("app", "b"),
            dep("a", "c"),
            dep("b", "c"),
            dep("c", "d"),
            dep("d", "e"),
            dep("e", "d"),
        ];
        let g = ComponentGraph::build(&comps, &rels);
        let f = |r| g.facts(r).unwrap();
        assert!(f("app").root);
        assert_eq!(f("app").depth, Some(0));
        assert_eq!(f("a").direct, Some(true));
        assert_eq!(f("c").depth, Some(2));
        assert_eq!(f("c").direct, Some(false));
        assert_eq!(f("e").path, vec!["app", "a", "c", "d", "e"]);
        assert_eq!(f("c").direct_dependents, 2);
        assert_eq!(f("c").transitive_dependents, Some(3));
        // d and e depend on each other: each has the other plus c, a, b, app.
        assert_eq!(f("d").transitive_dependents, Some(5));
        assert_eq!(f("e").transitive_dependents, Some(5));
        assert!(f("d").in_cycle && !f("c").in_cycle);
        assert_eq!(f("app").transitive_dependents, Some(0));
        assert_eq!(g.export().cycles, 1);
        let dot = g.to_dot();
        assert!(dot.contains("\"app\" -> \"a\";"), "{dot}");
    }

    #[test]
    fn tree_tops_are_roots_when_the_subject_has_no_edges() {
        let comps = [
            comp("subject", true),
            comp("os", false),
            comp("libc", false),
        ];
        let rels = [dep("os", "libc"), dep("libc", "os")];
        // A pure cycle under an edgeless subject: no tops, nothing reachable.
        let g = ComponentGraph::build(&comps, &rels);
        assert_eq!(g.facts("libc").unwrap().depth, None);
        let rels = [dep("os", "libc")];
        let g = ComponentGraph::build(&comps, &rels);
        assert_eq!(g.facts("os").unwrap().depth, Some(0));
        assert_eq!(g.facts("libc").unwrap().direct, Some(true));
        // The shape of corpus cyclonedx/trivy/infinite-loop-bom.json: an
        // edgeless subject, an OS component over libc6 <-> libcrypt1.
        let comps = [
            comp("subject", true),
            comp("libc6", false),
            comp("libcrypt1", false),
            comp("os", false),
        ];
        let rels = [
            dep("os", "libc6"),
            dep("os", "libcrypt1"),
            dep("libc6", "libcrypt1"),
            dep("libcrypt1", "libc6"),
        ];
        let g = ComponentGraph::build(&comps, &rels);
        let libc = g.facts("libc6").unwrap();
        assert!(libc.in_cycle && libc.direct == Some(true));
        assert_eq!(libc.transitive_dependents, Some(2));
        assert_eq!(g.export().cycles, 1);
    }

    #[test]
    fn corpus_infinite_loop_bom_terminates() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpus/cyclonedx/trivy/infinite-loop-bom.json");
        if !path.exists() {
            return;
        }
        let ing = match crate::ingest::ingest_all(&[crate::ingest::InputSpec { path, role: None }])
        {
            Ok(i) => i,
            // On a tree without the CycloneDX reader the in-memory copy of
            // this file's graph (tree_tops_are_roots_...) covers the shape.
            Err(e) if e.to_string().contains("reader pending") => return,
            Err(e) => panic!("{e}"),
        };
        let g = ComponentGraph::from_documents(ing.files.iter().flat_map(|f| f.documents.iter()));
        assert!(g.export().cycles >= 1);
        let libc = g
            .all_facts()
            .into_iter()
            .find(|f| f.name == "libc6")
            .unwrap();
        assert!(libc.in_cycle);
        assert!(libc.depth.is_some());
    }

    /// 20,000 nodes and 60,000 edges: a random graph with cycles (one large
    /// component) and a DAG (the bitset pass's worst case here).
    #[test]
    #[allow(clippy::print_stderr)]
    fn large_graph_is_fast() {
        for acyclic in [false, true] {
            let n = 20_000usize;
            let comps: Vec<Component> = (0..n).map(|i| comp(&format!("n{i}"), i == 0)).collect();
            let mut rels = Vec::with_capacity(60_000);
            let mut x: u64 = 42;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as usize
            };
            for i in 1..n {
                let p = next() % i;
                rels.push(dep(&format!("n{p}"), &format!("n{i}")));
            }
            while rels.len() < 60_000 {
                let (a, b) = (next() % n, next() % n);
                let (a, b) = if acyclic {
                    (a.min(b), a.max(b))
                } else {
                    (a, b)
                };
                if a != b {
                    rels.push(dep(&format!("n{a}"), &format!("n{b}")));
                }
            }
            let t = std::time::Instant::now();
            let g = ComponentGraph::build(&comps, &rels);
            let built = t.elapsed();
            let facts = g.all_facts();
            let total = t.elapsed();
            eprintln!(
                "graph ({}): {} nodes, {} edges, {} cycles: built {built:?}, with all facts {total:?}",
                if acyclic { "DAG" } else { "cyclic" },
                g.len(),
                g.edge_count(),
                g.export().cycles,
            );
            assert_eq!(facts.len(), n);
            assert!(facts.iter().all(|f| f.depth.is_some()));
            if acyclic {
                assert_eq!(facts[0].transitive_dependents, Some(0));
                assert!(
                    facts
                        .iter()
                        .all(|f| f.transitive_dependents.unwrap() < n as u32)
                );
            }
            assert!(total.as_secs_f64() < 10.0, "{total:?}");
        }
    }
}
