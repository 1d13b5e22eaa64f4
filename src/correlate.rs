//! Correlation: findings → issues → groups, with the evidence of every merge.
//!
//! Input: a [`Run`]. Output: [`Correlation`]: which findings are the same
//! problem (an [`Issue`]), which issues share a fix or a pattern (a
//! [`Group`]), and for every merge the strategy, key and confidence, so that
//! `fixops explain` can show why two findings are or are not one issue.
//!
//! Strategies (decision model §1): fingerprint 0.95, taxonomy 0.90 (same
//! vulnerability after CVE/GHSA/OSV alias resolution, same package and
//! version), location 0.80 (same file, lines within ±3, same CWE or rule
//! family, different tools) merge when their confidence reaches the merge
//! threshold; pattern 0.70 (same rule in several places) and root cause 0.60
//! (one package upgrade fixes several issues) only group. Two different
//! vulnerabilities are never merged. Everything is hash maps and one sort per
//! file: linear in the number of findings, never pairwise.

use crate::model::{FastMap, Finding, Severity, Sym, normalize_path, parse_purl};
use crate::run::Run;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Lines apart that the location strategy still considers the same place.
pub const LOCATION_LINES: u32 = 3;
/// Most earlier findings per tool a location bucket keeps within the window
/// (bounds the work on pathological inputs with thousands of findings on
/// one line).
const LOCATION_FANOUT: usize = 16;

/// A correlation strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Identical fingerprint.
    Fingerprint,
    /// Same vulnerability (alias-resolved) on the same component and version.
    Taxonomy,
    /// Same file, nearby lines, same CWE or rule family, different tools.
    Location,
    /// Same rule in several places.
    Pattern,
    /// Fixed by one change (one package upgrade).
    RootCause,
}

impl Strategy {
    /// The strategy's confidence (decision model §1).
    pub fn confidence(self) -> f64 {
        match self {
            Strategy::Fingerprint => 0.95,
            Strategy::Taxonomy => 0.90,
            Strategy::Location => 0.80,
            Strategy::Pattern => 0.70,
            Strategy::RootCause => 0.60,
        }
    }

    /// Name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Fingerprint => "fingerprint",
            Strategy::Taxonomy => "taxonomy",
            Strategy::Location => "location",
            Strategy::Pattern => "pattern",
            Strategy::RootCause => "root_cause",
        }
    }
}

/// A set of strategies in one byte, serialized as their ascending list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Strategies(u8);

impl Strategies {
    const ALL: [Strategy; 5] = [
        Strategy::Fingerprint,
        Strategy::Taxonomy,
        Strategy::Location,
        Strategy::Pattern,
        Strategy::RootCause,
    ];

    /// Whether `s` is in the set.
    pub fn contains(self, s: Strategy) -> bool {
        self.0 & (1 << s as u8) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The strategies, ascending.
    pub fn iter(self) -> impl Iterator<Item = Strategy> {
        Self::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Strategy> for Strategies {
    fn from_iter<I: IntoIterator<Item = Strategy>>(it: I) -> Self {
        Strategies(it.into_iter().fold(0, |set, s| set | 1 << s as u8))
    }
}

impl Serialize for Strategies {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Correlation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Strategies at or above this confidence merge findings (default 0.8).
    pub merge_threshold: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            merge_threshold: 0.8,
        }
    }
}

/// Why two findings were merged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merge {
    /// Finding index.
    pub a: u32,
    /// Finding index.
    pub b: u32,
    /// Strategy.
    pub strategy: Strategy,
    /// The key both matched on.
    pub key: Sym,
    /// The strategy's confidence.
    pub confidence: f64,
}

/// What identifies an issue across runs. Its text is `fp <fingerprint>`
/// (the issue's smallest member fingerprint), `vuln <id> [<package>]`, or
/// whatever text history recorded. A fingerprint identity holds the
/// fingerprint itself, shared with the findings, rather than a copy of its
/// text with the prefix: 64 bytes less per issue, ~13 MB for a run of 200k.
#[derive(Debug, Clone)]
pub enum Identity {
    /// `fp <this fingerprint>`.
    Fingerprint(Sym),
    /// Any identity, as its whole text.
    Text(Sym),
}

impl Identity {
    /// The text as its two parts (a prefix, then the rest).
    fn parts(&self) -> (&str, &str) {
        match self {
            Identity::Fingerprint(f) => ("fp ", f),
            Identity::Text(t) => ("", t),
        }
    }

    /// The fingerprint a `fp X` identity names.
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Identity::Fingerprint(f) => Some(f),
            Identity::Text(t) => t.strip_prefix("fp "),
        }
    }

    /// Whether it names a vulnerability (`vuln …`).
    pub fn is_vulnerability(&self) -> bool {
        matches!(self, Identity::Text(t) if t.starts_with("vuln "))
    }

    /// The text, written into `scratch` when it is not held whole.
    pub fn text<'a>(&'a self, scratch: &'a mut String) -> &'a str {
        match self {
            Identity::Text(t) => t,
            Identity::Fingerprint(f) => {
                scratch.clear();
                scratch.push_str("fp ");
                scratch.push_str(f);
                scratch
            }
        }
    }

    /// A key equal for equal texts, without writing the text: `(true, X)`
    /// for `fp X`, `(false, text)` otherwise.
    pub fn key(&self) -> (bool, &str) {
        match self.fingerprint() {
            Some(f) => (true, f),
            None => (false, self.parts().1),
        }
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Identity) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Identity {}

impl std::hash::Hash for Identity {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.key().hash(h);
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (prefix, rest) = self.parts();
        f.write_str(prefix)?;
        f.write_str(rest)
    }
}

impl Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Identity::Text(t) => s.serialize_str(t),
            Identity::Fingerprint(f) => crate::model::serialize_concat(s, &["fp ", f]),
        }
    }
}

/// An issue's id: `I-` and 12 lowercase hex digits (the start of the
/// fingerprint, or of the SHA-256 of a named identity), held inline as its
/// digits: a run of 200k issues would otherwise hold as many small strings
/// (~6 MB), and its history as many again. (Twelve bytes, so that a verdict
/// issue still fits in the memory of the issue it is made from.)
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssueId([u8; 12]);

impl IssueId {
    /// The id whose digits are the first 12 of `hex` (lowercase hex).
    pub(crate) fn of_hex(hex: &str) -> Option<IssueId> {
        let digits: [u8; 12] = hex.as_bytes().get(..12)?.try_into().ok()?;
        digits
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .then_some(IssueId(digits))
    }

    /// The id derived from a key: the start of its SHA-256.
    pub fn derive(key: &str) -> IssueId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let d = Sha256::digest(key.as_bytes());
        let mut digits = [0u8; 12];
        for (i, b) in d[..6].iter().enumerate() {
            digits[2 * i] = HEX[usize::from(b >> 4)];
            digits[2 * i + 1] = HEX[usize::from(b & 0xf)];
        }
        IssueId(digits)
    }

    /// The id of a fingerprint issue: the fingerprint's first 12 digits.
    pub fn of_fingerprint(fp: &str) -> IssueId {
        Self::of_hex(fp).unwrap_or_else(|| Self::derive(fp))
    }

    /// An id as history recorded it. Ids fixops writes have the form and
    /// are kept; any other text (a hand-edited baseline) is replaced by
    /// the id derived from it, the same for the same text.
    pub fn from_text(text: &str) -> IssueId {
        match text.strip_prefix("I-") {
            Some(digits) if digits.len() == 12 => {
                Self::of_hex(digits).unwrap_or_else(|| Self::derive(text))
            }
            _ => Self::derive(text),
        }
    }

    /// The 12 digits.
    fn digits(&self) -> &str {
        // Only ASCII hex digits are ever written into it.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Default for IssueId {
    fn default() -> Self {
        IssueId(*b"000000000000")
    }
}

impl std::fmt::Display for IssueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I-")?;
        f.write_str(self.digits())
    }
}

impl std::fmt::Debug for IssueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Serialize for IssueId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        crate::model::serialize_concat(s, &["I-", self.digits()])
    }
}

impl PartialEq<str> for IssueId {
    fn eq(&self, text: &str) -> bool {
        text.strip_prefix("I-") == Some(self.digits())
    }
}

/// One problem, reported by one or more findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// Stable id (`I-` + 12 hex of the identity).
    pub id: IssueId,
    /// What identifies it across runs: the alias-resolved vulnerability and
    /// package for SCA, else the smallest member fingerprint. Shared, not
    /// copied, by the lifecycle and the verdict.
    pub identity: Identity,
    /// Member findings (indices into the run), ascending.
    pub members: Vec<u32>,
    /// Every member fingerprint, sorted and deduplicated (lifecycle matching).
    pub fingerprints: Vec<crate::model::Sym>,
    /// Alias-resolved vulnerability id, for SCA issues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Sym>,
    /// Highest member severity.
    pub severity: Severity,
    /// Strategies that merged members into it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged_by: Vec<Strategy>,
    /// Tools that reported it, sorted. Issues with the same tools share one
    /// list (most issues of a run have the one same tool).
    pub tools: crate::model::Syms,
}

/// Issues that share a pattern or a fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Stable id (`G-` + 12 hex of the key).
    pub id: String,
    /// Pattern or root cause.
    pub strategy: Strategy,
    /// The shared key (`tool rule` or `purl@version`).
    pub key: String,
    /// The strategy's confidence.
    pub confidence: f64,
    /// Member issues (indices into [`Correlation::issues`]).
    pub issues: Vec<u32>,
}

/// Noise reduction, as the decision model defines it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Noise {
    /// Findings in.
    pub raw_findings: usize,
    /// Issues out.
    pub issues: usize,
    /// Findings absorbed into another by each strategy.
    pub merged_by: BTreeMap<Strategy, usize>,
    /// `1 − issues ÷ raw findings` (0 when there are no findings).
    pub reduction: f64,
    /// Issues suppressed by a VEX statement (filled in by the verdict).
    pub suppressed_by_vex: usize,
    /// Issues waived (filled in by the verdict).
    pub waived: usize,
    /// `(suppressed by VEX + waived) ÷ issues`, reported apart from the
    /// correlation reduction.
    pub suppressed_share: f64,
}

/// The result of correlating a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correlation {
    /// The threshold used.
    pub merge_threshold: f64,
    /// Issues, ordered by their first member.
    pub issues: Vec<Issue>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Issue index of each finding.
    pub finding_issue: Vec<u32>,
    /// Every merge with its evidence.
    pub merges: Vec<Merge>,
    /// Alias resolution: id → canonical id (only ids that differ).
    pub aliases: BTreeMap<String, String>,
    /// Noise reduction.
    pub noise: Noise,
}

/// The sorted tool lists of issues, each distinct list made once.
#[derive(Default)]
struct ToolLists {
    lists: FastMap<Vec<Sym>, crate::model::Syms>,
    /// The list of issues whose members share one tool name string, by
    /// where that string is held (kept here, so the place stays its own).
    single: FastMap<[u64; 2], (Sym, crate::model::Syms)>,
    /// Reused for each issue's list.
    scratch: Vec<Sym>,
}

impl ToolLists {
    /// The tools of an issue's members, sorted and deduplicated. Most issues
    /// have one member, or members of one tool: their list is found without
    /// reading the name.
    fn of(&mut self, fs: &[crate::model::Finding], members: &[u32]) -> crate::model::Syms {
        if let Some((&first, rest)) = members.split_first() {
            let name = &fs[first as usize].tool.name;
            if rest
                .iter()
                .all(|&m| Arc::ptr_eq(&fs[m as usize].tool.name, name))
            {
                let place = crate::model::place(name.as_bytes());
                if let Some((_, list)) = self.single.get(&place) {
                    return list.clone();
                }
                let list = self.by_names(fs, members);
                self.single.insert(place, (name.clone(), list.clone()));
                return list;
            }
        }
        self.by_names(fs, members)
    }

    /// [`ToolLists::of`] by the names themselves.
    fn by_names(&mut self, fs: &[crate::model::Finding], members: &[u32]) -> crate::model::Syms {
        let tools = &mut self.scratch;
        tools.clear();
        for &m in members {
            let name = &fs[m as usize].tool.name;
            if !tools.iter().any(|t| Arc::ptr_eq(t, name) || **t == **name) {
                tools.push(name.clone());
            }
        }
        tools.sort();
        if let Some(shared) = self.lists.get(tools.as_slice()) {
            return shared.clone();
        }
        let list: crate::model::Syms = tools.as_slice().into();
        self.lists.insert(tools.clone(), list.clone());
        list
    }
}

struct UnionFind {
    parent: Vec<u32>,
    /// Canonical vulnerability (interned) of each root's set.
    vuln: Vec<Option<u32>>,
}

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Merge; refuses (false) when the sets hold different vulnerabilities
    /// or are already one.
    fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (va, vb) = (self.vuln[ra as usize], self.vuln[rb as usize]);
        if let (Some(x), Some(y)) = (va, vb)
            && x != y
        {
            return false;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child as usize] = root;
        self.vuln[root as usize] = va.or(vb);
        true
    }
}

/// Alias resolution over every vulnerability id and alias in the run:
/// ids reported as aliases of one another form one class, named by its
/// smallest CVE id, else its smallest id. Ids are interned: `canon[i]` is
/// the index (into `names`) of the canonical name of `names[i]`.
struct Aliases<'a> {
    index: FastMap<&'a str, u32>,
    names: Vec<&'a str>,
    canon: Vec<u32>,
}

impl<'a> Aliases<'a> {
    fn build(findings: &'a [Finding]) -> Aliases<'a> {
        let mut index: FastMap<&str, u32> = FastMap::default();
        let mut names: Vec<&str> = Vec::new();
        let mut parent: Vec<u32> = Vec::new();
        fn find(p: &mut [u32], mut x: u32) -> u32 {
            while p[x as usize] != x {
                p[x as usize] = p[p[x as usize] as usize];
                x = p[x as usize];
            }
            x
        }
        let mut intern = |id: &'a str, names: &mut Vec<&'a str>, parent: &mut Vec<u32>| -> u32 {
            *index.entry(id).or_insert_with(|| {
                names.push(id);
                parent.push(parent.len() as u32);
                (names.len() - 1) as u32
            })
        };
        for f in findings {
            let Some(v) = &f.vulnerability else { continue };
            let a = intern(&v.id, &mut names, &mut parent);
            for al in &v.aliases {
                let b = intern(al, &mut names, &mut parent);
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb) as usize] = ra.min(rb);
                }
            }
        }
        // Name each class by its best member.
        let better = |x: &str, y: &str| match (x.starts_with("CVE-"), y.starts_with("CVE-")) {
            (true, false) => true,
            (false, true) => false,
            _ => x < y,
        };
        let mut best: Vec<u32> = (0..names.len() as u32).collect();
        for i in 0..names.len() as u32 {
            let r = find(&mut parent, i) as usize;
            if better(names[i as usize], names[best[r] as usize]) {
                best[r] = i;
            }
        }
        let canon = (0..names.len() as u32)
            .map(|i| best[find(&mut parent, i) as usize])
            .collect();
        Aliases {
            index,
            names,
            canon,
        }
    }

    /// The canonical name index of an id seen in the run.
    fn canonical(&self, id: &str) -> Option<u32> {
        self.index.get(id).map(|&i| self.canon[i as usize])
    }

    /// `id → canonical` for ids whose canonical name differs.
    fn differing(&self) -> BTreeMap<String, String> {
        self.names
            .iter()
            .zip(&self.canon)
            .filter(|(n, c)| **n != self.names[**c as usize])
            .map(|(n, c)| (n.to_string(), self.names[*c as usize].to_string()))
            .collect()
    }
}

/// Package identity for taxonomy and root-cause keys: the package's name
/// (its last segment, lower-cased: `log4j-core` for
/// `pkg:maven/org.apache.logging.log4j/log4j-core` and for Trivy's
/// `org.apache.logging.log4j:log4j-core`; `tar` for `pkg:deb/debian/tar`) and
/// its version. Tools disagree on namespaces (distro, group) and on whether
/// they give a purl at all; within one vulnerability the name and version
/// are what they agree on.
pub fn package_key(f: &Finding) -> Option<(String, String)> {
    let p = f.vulnerability.as_ref()?.package.as_ref()?;
    let parsed = p.purl.as_deref().and_then(parse_purl);
    let name = match (&parsed, p.name.as_deref()) {
        (Some(pp), _) => pp.name.clone(),
        (None, Some(n)) => n.to_string(),
        (None, None) => return None,
    };
    let base = name
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(&name)
        .to_ascii_lowercase();
    let version = p
        .version
        .as_deref()
        .map(str::to_string)
        .or_else(|| parsed.and_then(|pp| pp.version))
        .unwrap_or_default();
    Some((base, version))
}

/// The family of a rule id: its last segment after `/`, `.` or `:`, lower-cased.
pub fn rule_family(rule: &str) -> String {
    rule.rsplit(['/', '.', ':'])
        .next()
        .unwrap_or(rule)
        .to_ascii_lowercase()
}

fn short_id(prefix: &str, key: &str) -> String {
    let d = Sha256::digest(key.as_bytes());
    format!("{prefix}-{}", hex::encode(&d[..6]))
}

/// Dense ids, in first-seen order, for a text derived from a string
/// (a normalized path, a rule family). Memoized by the address of the
/// interned string first: a document interns each string once, so the text
/// is derived and hashed once per document, not once per finding.
#[derive(Default)]
struct SymIds {
    by_addr: FastMap<usize, u32>,
    by_text: FastMap<String, u32>,
    names: Vec<String>,
}

impl SymIds {
    fn id(&mut self, s: &Sym, text: impl FnOnce(&str) -> String) -> u32 {
        // The findings hold every key alive, so an address is never reused.
        let addr = Arc::as_ptr(s) as *const u8 as usize;
        if let Some(&id) = self.by_addr.get(&addr) {
            return id;
        }
        let t = text(s);
        let id = match self.by_text.get(&t) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(t.clone());
                self.by_text.insert(t, id);
                id
            }
        };
        self.by_addr.insert(addr, id);
        id
    }
}

/// Correlate a run.
pub fn correlate(run: &Run, cfg: &Config) -> Correlation {
    let fs = &run.findings;
    let n = fs.len();
    let aliases = Aliases::build(fs);
    let vuln_of: Vec<Option<u32>> = fs
        .iter()
        .map(|f| {
            f.vulnerability
                .as_ref()
                .and_then(|v| aliases.canonical(&v.id))
        })
        .collect();
    let mut uf = UnionFind {
        parent: (0..n as u32).collect(),
        vuln: vuln_of.clone(),
    };
    // Package keys, computed once per distinct (purl, name, version).
    type PkgIn<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut pkg_cache: FastMap<PkgIn<'_>, Option<u32>> = FastMap::default();
    let mut pkg_keys: Vec<(String, String)> = Vec::new();
    let mut pkg_ids: FastMap<(String, String), u32> = FastMap::default();
    let pkg_of: Vec<Option<u32>> = fs
        .iter()
        .map(|f| {
            let p = f.vulnerability.as_ref()?.package.as_ref()?;
            let key = (p.purl.as_deref(), p.name.as_deref(), p.version.as_deref());
            *pkg_cache.entry(key).or_insert_with(|| {
                package_key(f).map(|k| {
                    *pkg_ids.entry(k.clone()).or_insert_with(|| {
                        pkg_keys.push(k);
                        (pkg_keys.len() - 1) as u32
                    })
                })
            })
        })
        .collect();
    let mut merges = Vec::new();
    let mut merged_by: BTreeMap<Strategy, usize> = BTreeMap::new();
    let merging = |s: Strategy| s.confidence() >= cfg.merge_threshold;
    let mut try_merge = |uf: &mut UnionFind,
                         a: usize,
                         b: usize,
                         s: Strategy,
                         key: &Sym,
                         merges: &mut Vec<Merge>| {
        if uf.union(a as u32, b as u32) {
            *merged_by.entry(s).or_default() += 1;
            merges.push(Merge {
                a: a as u32,
                b: b as u32,
                strategy: s,
                key: key.clone(),
                confidence: s.confidence(),
            });
        }
    };

    // 1. fingerprint
    if merging(Strategy::Fingerprint) {
        let mut first: FastMap<&str, usize> =
            FastMap::with_capacity_and_hasher(n, Default::default());
        for (i, f) in fs.iter().enumerate() {
            // SCA identities are package keys: the taxonomy strategy owns those.
            if f.fingerprint.source == crate::model::FingerprintSource::Package {
                continue;
            }
            match first.get(&*f.fingerprint.value) {
                Some(&j) => try_merge(
                    &mut uf,
                    j,
                    i,
                    Strategy::Fingerprint,
                    &f.fingerprint.value,
                    &mut merges,
                ),
                None => {
                    first.insert(&f.fingerprint.value, i);
                }
            }
        }
    }
    // 2. taxonomy
    if merging(Strategy::Taxonomy) {
        let mut first: FastMap<(u32, u32), (usize, Option<Sym>)> = FastMap::default();
        for i in 0..n {
            let (Some(v), Some(p)) = (vuln_of[i], pkg_of[i]) else {
                continue;
            };
            match first.get_mut(&(v, p)) {
                Some((j, key)) => {
                    let (base, ver) = &pkg_keys[p as usize];
                    let key = key.get_or_insert_with(|| {
                        Sym::from(format!("{} {base}@{ver}", aliases.names[v as usize]))
                    });
                    try_merge(&mut uf, *j, i, Strategy::Taxonomy, key, &mut merges);
                }
                None => {
                    first.insert((v, p), (i, None));
                }
            }
        }
    }
    // 3. location: buckets by (path, CWE) and (path, rule family), each
    // sorted by line and swept with a ±3-line window.
    if merging(Strategy::Location) {
        let mut paths = SymIds::default();
        let mut cwe_ids = SymIds::default();
        let mut families = SymIds::default();
        // One flat list of (path, kind, attribute, line, finding), sorted:
        // equal (path, kind, attribute) runs are the buckets, by line. Each
        // item is packed into one integer, most significant first: path 32
        // bits, kind 1, attribute 31, line 32, finding 32. (An attribute id
        // counts distinct values among the findings: far below 2^31.)
        let pack = |path: u32, kind: u32, attr: u32, line: u32, i: usize| {
            let hi = (u64::from(path) << 32) | u64::from(kind << 31 | attr & 0x7fff_ffff);
            let lo = (u64::from(line) << 32) | u64::from(i as u32);
            (u128::from(hi) << 64) | u128::from(lo)
        };
        // Most findings give two items (one CWE, one rule): sized for that
        // once, where a list grown from empty to 400k items is copied 19
        // times (pages not written to are never touched).
        let mut items: Vec<u128> = Vec::with_capacity(2 * n);
        for (i, f) in fs.iter().enumerate() {
            if f.vulnerability.is_some() {
                continue;
            }
            let Some(loc) = f.locations.first() else {
                continue;
            };
            let (Some(uri), Some(line)) = (&loc.uri, loc.start_line) else {
                continue;
            };
            let path = paths.id(uri, normalize_path);
            for c in f.cwes.iter() {
                items.push(pack(path, 0, cwe_ids.id(c, str::to_owned), line, i));
            }
            if let Some(r) = &f.rule_id {
                items.push(pack(path, 1, families.id(r, rule_family), line, i));
            }
        }
        items.sort_unstable();
        let path_names = &paths.names;
        let attr_names = [&cwe_ids.names, &families.names];
        // Recent findings per tool within the window, reused across buckets.
        let mut recent: Vec<(&str, Vec<(u32, u32)>)> = Vec::new();
        let mut start = 0;
        while start < items.len() {
            let bucket = |x: u128| (x >> 64) as u64;
            let b = bucket(items[start]);
            let k = (
                (b >> 32) as usize,
                (b >> 31) as usize & 1,
                b as usize & 0x7fff_ffff,
            );
            let mut end = start + 1;
            while end < items.len() && bucket(items[end]) == b {
                end += 1;
            }
            if end - start > 1 {
                recent.clear();
                let mut key: Option<Sym> = None;
                for &x in &items[start..end] {
                    let (line, i) = ((x >> 32) as u32, x as u32);
                    let tool = &*fs[i as usize].tool.name;
                    for (other_tool, list) in recent.iter_mut() {
                        list.retain(|(l, _)| line - l <= LOCATION_LINES);
                        if *other_tool == tool {
                            continue;
                        }
                        for &(_, j) in list.iter() {
                            let key = key.get_or_insert_with(|| {
                                let what = if k.1 == 0 { "cwe" } else { "rule family" };
                                Sym::from(format!(
                                    "{} {what} {}",
                                    path_names[k.0], attr_names[k.1][k.2]
                                ))
                            });
                            try_merge(
                                &mut uf,
                                j as usize,
                                i as usize,
                                Strategy::Location,
                                key,
                                &mut merges,
                            );
                        }
                    }
                    match recent.iter_mut().find(|(t, _)| *t == tool) {
                        Some((_, list)) => {
                            list.push((line, i));
                            if list.len() > LOCATION_FANOUT {
                                list.remove(0);
                            }
                        }
                        None => recent.push((tool, vec![(line, i)])),
                    }
                }
            }
            start = end;
        }
    }

    // Issues from the sets, ordered by first member. The sets are counted
    // first so that every vector is allocated once, at its final size
    // (most issues have one member; a grown vector would hold four).
    let mut set_size: Vec<u32> = vec![0; n];
    let mut sets = 0;
    for i in 0..n {
        let r = uf.find(i as u32) as usize;
        sets += usize::from(set_size[r] == 0);
        set_size[r] += 1;
    }
    let mut issue_of_root: Vec<u32> = vec![u32::MAX; n];
    let mut issues: Vec<Issue> = Vec::with_capacity(sets);
    // One shared id per alias-resolved vulnerability.
    let mut vuln_syms: Vec<Option<Sym>> = vec![None; aliases.names.len()];
    let mut finding_issue = Vec::with_capacity(n);
    for i in 0..n {
        let r = uf.find(i as u32) as usize;
        if issue_of_root[r] == u32::MAX {
            issue_of_root[r] = issues.len() as u32;
            let size = set_size[r] as usize;
            issues.push(Issue {
                id: IssueId::default(),
                identity: Identity::Text(Sym::default()),
                members: Vec::with_capacity(size),
                fingerprints: Vec::with_capacity(size),
                vulnerability: None,
                severity: Severity::Unknown,
                merged_by: Vec::new(),
                tools: crate::model::Syms::default(),
            });
        }
        let idx = issue_of_root[r];
        let is = &mut issues[idx as usize];
        let f = &fs[i];
        is.members.push(i as u32);
        is.fingerprints.push(f.fingerprint.value.clone());
        is.severity = is.severity.max(f.severity);
        if is.vulnerability.is_none() {
            is.vulnerability = vuln_of[i].map(|v| {
                vuln_syms[v as usize]
                    .get_or_insert_with(|| Sym::from(aliases.names[v as usize]))
                    .clone()
            });
        }
        finding_issue.push(idx);
    }
    for m in &merges {
        let is = &mut issues[finding_issue[m.a as usize] as usize];
        if !is.merged_by.contains(&m.strategy) {
            is.merged_by.push(m.strategy);
        }
    }
    let mut tool_lists = ToolLists::default();
    for is in &mut issues {
        if is.fingerprints.len() > 1 {
            is.fingerprints.sort();
            is.fingerprints.dedup();
        }
        is.merged_by.sort();
        is.tools = tool_lists.of(fs, &is.members);
        let first = is.members[0] as usize;
        let (identity, id) = match (&is.vulnerability, pkg_of[first]) {
            (Some(v), Some(p)) => {
                let identity = format!("vuln {v} {}", pkg_keys[p as usize].0);
                let id = IssueId::derive(&identity);
                (Identity::Text(identity.into()), id)
            }
            (Some(v), None) => {
                let identity = format!("vuln {v}");
                let id = IssueId::derive(&identity);
                (Identity::Text(identity.into()), id)
            }
            _ => {
                // The fingerprint is already a digest: its prefix is the id.
                let fp = &is.fingerprints[0];
                (
                    Identity::Fingerprint(fp.clone()),
                    IssueId::of_fingerprint(fp),
                )
            }
        };
        is.identity = identity;
        is.id = id;
    }

    // Groups: pattern (same tool + rule, code issues) and root cause (same
    // package and version, SCA issues), when they span two or more issues.
    let mut groups = Vec::new();
    // The (key, issues) lists of patterns and root causes, in order of first
    // sight, sorted once at the end. A finding finds its list by cheap keys:
    // its package key's id; for a pattern, where its tool name and rule id
    // are held (findings of one rule share those strings), the texts of each
    // such place looked up once.
    let mut pattern: Vec<((&str, &str), Vec<u32>)> = Vec::new();
    let mut root: Vec<((&str, &str), Vec<u32>)> = Vec::new();
    let mut root_of_package: FastMap<u32, usize> = FastMap::default();
    let mut pattern_of_place: FastMap<[[u64; 2]; 2], usize> = FastMap::default();
    let mut pattern_of_text: FastMap<(&str, &str), usize> = FastMap::default();
    for (k, is) in issues.iter().enumerate() {
        for &m in &is.members {
            let f = &fs[m as usize];
            let list = match (&f.vulnerability, pkg_of[m as usize], &f.rule_id) {
                (Some(_), Some(p), _) => {
                    let at = *root_of_package.entry(p).or_insert_with(|| {
                        let (base, ver) = &pkg_keys[p as usize];
                        root.push(((base.as_str(), ver.as_str()), Vec::new()));
                        root.len() - 1
                    });
                    &mut root[at].1
                }
                (None, _, Some(r)) => {
                    let (tool, rule): (&str, &str) = (&f.tool.name, r);
                    let place = [
                        crate::model::place(tool.as_bytes()),
                        crate::model::place(rule.as_bytes()),
                    ];
                    let at = *pattern_of_place.entry(place).or_insert_with(|| {
                        *pattern_of_text.entry((tool, rule)).or_insert_with(|| {
                            pattern.push(((tool, rule), Vec::new()));
                            pattern.len() - 1
                        })
                    });
                    &mut pattern[at].1
                }
                _ => continue,
            };
            if list.last() != Some(&(k as u32)) {
                list.push(k as u32);
            }
        }
    }
    for (strategy, map, sep) in [
        (Strategy::Pattern, pattern, " "),
        (Strategy::RootCause, root, "@"),
    ] {
        let mut map: Vec<_> = map.into_iter().filter(|(_, m)| m.len() >= 2).collect();
        map.sort_unstable_by(|x, y| x.0.cmp(&y.0));
        for ((a, b), members) in map {
            let key = format!("{a}{sep}{b}");
            groups.push(Group {
                id: short_id("G", &format!("{} {key}", strategy.as_str())),
                strategy,
                key,
                confidence: strategy.confidence(),
                issues: members,
            });
        }
    }
    let reduction = if n == 0 {
        0.0
    } else {
        1.0 - issues.len() as f64 / n as f64
    };
    Correlation {
        merge_threshold: cfg.merge_threshold,
        noise: Noise {
            raw_findings: n,
            issues: issues.len(),
            merged_by,
            reduction,
            suppressed_by_vex: 0,
            waived: 0,
            suppressed_share: 0.0,
        },
        issues,
        groups,
        finding_issue,
        merges,
        aliases: aliases.differing(),
    }
}

/// One strategy's verdict on a pair of findings, for `fixops explain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyCheck {
    /// Strategy.
    pub strategy: Strategy,
    /// Whether the pair matches on it.
    pub matched: bool,
    /// The compared keys, or why the strategy does not apply.
    pub detail: String,
}

/// Why two findings are or are not the same issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Whether they ended in one issue.
    pub same_issue: bool,
    /// Their issues' ids.
    pub issues: [String; 2],
    /// Each strategy compared directly on the pair.
    pub checks: Vec<KeyCheck>,
    /// When in one issue: the chain of merges that joins them.
    pub path: Vec<Merge>,
    /// Confidence of the link: the weakest merge on the path (0 when apart).
    pub confidence: f64,
}

/// Explain the relation of findings `a` and `b`.
pub fn explain(run: &Run, c: &Correlation, a: usize, b: usize) -> Explanation {
    let fs = &run.findings;
    let (fa, fb) = (&fs[a], &fs[b]);
    let mut checks = Vec::new();
    checks.push(KeyCheck {
        strategy: Strategy::Fingerprint,
        matched: fa.fingerprint.value == fb.fingerprint.value,
        detail: format!("{} vs {}", fa.fingerprint.value, fb.fingerprint.value),
    });
    let canon = |f: &Finding| {
        f.vulnerability.as_ref().map(|v| {
            c.aliases
                .get(&v.id)
                .cloned()
                .unwrap_or_else(|| v.id.clone())
        })
    };
    let tax = |f: &Finding| Some(format!("{} {:?}", canon(f)?, package_key(f)?));
    checks.push(match (tax(fa), tax(fb)) {
        (Some(x), Some(y)) => KeyCheck {
            strategy: Strategy::Taxonomy,
            matched: x == y,
            detail: format!("{x} vs {y}"),
        },
        _ => KeyCheck {
            strategy: Strategy::Taxonomy,
            matched: false,
            detail: "needs a vulnerability and a package on both".into(),
        },
    });
    let loc = |f: &Finding| {
        let l = f.locations.first()?;
        Some((normalize_path(l.uri.as_deref()?), l.start_line?))
    };
    checks.push(match (loc(fa), loc(fb)) {
        (Some((pa, la)), Some((pb, lb))) => {
            let shared_cwe = fa.cwes.iter().any(|x| fb.cwes.contains(x));
            let family = match (&fa.rule_id, &fb.rule_id) {
                (Some(x), Some(y)) => rule_family(x) == rule_family(y),
                _ => false,
            };
            let near = pa == pb && la.abs_diff(lb) <= LOCATION_LINES;
            let tools = fa.tool.name != fb.tool.name;
            KeyCheck {
                strategy: Strategy::Location,
                matched: near && (shared_cwe || family) && tools && fa.vulnerability.is_none(),
                detail: format!(
                    "{pa}:{la} vs {pb}:{lb}; same file and within ±{LOCATION_LINES}: {near}; shared CWE: {shared_cwe}; same rule family: {family}; different tools: {tools}"
                ),
            }
        }
        _ => KeyCheck {
            strategy: Strategy::Location,
            matched: false,
            detail: "needs a file and line on both".into(),
        },
    });
    checks.push(KeyCheck {
        strategy: Strategy::Pattern,
        matched: fa.tool.name == fb.tool.name && fa.rule_id.is_some() && fa.rule_id == fb.rule_id,
        detail: format!(
            "{} {:?} vs {} {:?}",
            fa.tool.name, fa.rule_id, fb.tool.name, fb.rule_id
        ),
    });
    let (ka, kb) = (package_key(fa), package_key(fb));
    checks.push(KeyCheck {
        strategy: Strategy::RootCause,
        matched: ka.is_some() && ka == kb,
        detail: format!("{ka:?} vs {kb:?}"),
    });
    let (ia, ib) = (c.finding_issue[a], c.finding_issue[b]);
    let same = ia == ib;
    let path = if same {
        merge_path(c, a as u32, b as u32)
    } else {
        Vec::new()
    };
    let confidence = path
        .iter()
        .map(|m| m.confidence)
        .fold(if same { 1.0 } else { 0.0 }, f64::min);
    Explanation {
        same_issue: same,
        issues: [
            c.issues[ia as usize].id.to_string(),
            c.issues[ib as usize].id.to_string(),
        ],
        checks,
        path,
        confidence,
    }
}

/// Breadth-first search over the merge edges of one issue.
fn merge_path(c: &Correlation, a: u32, b: u32) -> Vec<Merge> {
    if a == b {
        return Vec::new();
    }
    let issue = c.finding_issue[a as usize];
    let edges: Vec<&Merge> = c
        .merges
        .iter()
        .filter(|m| c.finding_issue[m.a as usize] == issue)
        .collect();
    let mut adj: FastMap<u32, Vec<(u32, usize)>> = FastMap::default();
    for (k, m) in edges.iter().enumerate() {
        adj.entry(m.a).or_default().push((m.b, k));
        adj.entry(m.b).or_default().push((m.a, k));
    }
    let mut prev: FastMap<u32, (u32, usize)> = FastMap::default();
    let mut queue = std::collections::VecDeque::from([a]);
    while let Some(x) = queue.pop_front() {
        if x == b {
            break;
        }
        for &(y, k) in adj.get(&x).map(Vec::as_slice).unwrap_or(&[]) {
            if y != a && !prev.contains_key(&y) {
                prev.insert(y, (x, k));
                queue.push_back(y);
            }
        }
    }
    let mut out = Vec::new();
    let mut x = b;
    while let Some(&(p, k)) = prev.get(&x) {
        out.push(edges[k].clone());
        x = p;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Ingested;
    use crate::model::*;
    use crate::run::RunMeta;
    use std::sync::Arc;

    fn run(findings: Vec<Finding>) -> Run {
        let mut r = Run::assemble(
            RunMeta {
                project: "p".into(),
                branch: None,
                time: "t".into(),
                command: "decide".into(),
            },
            Ingested::default(),
        );
        r.finding_input = vec![0; findings.len()];
        r.findings = findings.into();
        r
    }

    fn base(tool: &str, rule: &str) -> Finding {
        let mut f = Finding::new(
            Tool {
                name: Arc::from(tool),
                version: None,
            },
            Some(Arc::from(rule)),
            format!("{tool} {rule}"),
            Fingerprint::for_code(rule, tool, "m", FingerprintSource::Message),
        );
        f.level = Level::Error;
        f.severity = Severity::High;
        f
    }

    #[test]
    fn issues_with_the_same_tools_share_one_sorted_list() {
        // Two Semgrep issues apart, one issue that both tools report, and
        // one whose tool and rule are the very strings of the first's.
        let first = sast("Semgrep", "a", "CWE-79", "x.js", 10);
        let mut same_strings = sast("Semgrep", "a", "CWE-79", "w.js", 10);
        same_strings.tool = first.tool.clone();
        same_strings.rule_id.clone_from(&first.rule_id);
        let r = run(vec![
            first,
            sast("Semgrep", "b", "CWE-89", "y.js", 10),
            sast("Semgrep", "c", "CWE-22", "z.js", 10),
            sast("CodeQL", "d", "CWE-22", "z.js", 11),
            same_strings,
        ]);
        let c = correlate(&r, &Config::default());
        assert_eq!(c.issues.len(), 4);
        assert!(Arc::ptr_eq(&c.issues[0].tools, &c.issues[3].tools));
        // Rule `a` in two files is one pattern, however its strings are held.
        let g = c
            .groups
            .iter()
            .find(|g| g.strategy == Strategy::Pattern)
            .unwrap();
        assert_eq!(
            (g.key.as_str(), g.issues.as_slice()),
            ("Semgrep a", &[0, 3][..])
        );
        assert_eq!(c.groups.len(), 1);
        let names = |k: usize| {
            c.issues[k]
                .tools
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(0), ["Semgrep"]);
        assert_eq!(names(2), ["CodeQL", "Semgrep"]);
        assert!(Arc::ptr_eq(&c.issues[0].tools, &c.issues[1].tools));
    }

    fn sca(tool: &str, id: &str, aliases: &[&str], purl: &str, version: &str) -> Finding {
        let mut f = base(tool, id);
        let pp = parse_purl(purl).unwrap();
        f.fingerprint = Fingerprint::for_package(id, &pp.base(), version);
        f.vulnerability = Some(Box::new(VulnerabilityRef {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            package: Some(PackageRef {
                name: Some(Arc::from(pp.name.as_str())),
                version: Some(Arc::from(version)),
                purl: Some(Arc::from(purl)),
                fixed_version: None,
            }),
            cvss_vectors: vec![],
        }));
        f
    }

    fn sast(tool: &str, rule: &str, cwe: &str, path: &str, line: u32) -> Finding {
        let mut f = base(tool, rule);
        f.cwes = vec![Arc::from(cwe)].into();
        f.locations = vec![Location {
            uri: Some(Arc::from(path)),
            start_line: Some(line),
            ..Default::default()
        }]
        .into();
        f.fingerprint = Fingerprint::for_code(
            rule,
            path,
            &format!("{tool}{line}"),
            FingerprintSource::Message,
        );
        f
    }

    #[test]
    fn cross_tool_sca_collapses_by_alias_resolved_taxonomy() {
        let r = run(vec![
            sca(
                "Trivy",
                "CVE-2021-44228",
                &[],
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "2.14.1",
            ),
            sca(
                "Grype",
                "GHSA-jfh8-c2jp-5v3q",
                &["CVE-2021-44228"],
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
                "2.14.1",
            ),
            sca(
                "Grype",
                "CVE-2021-45046",
                &[],
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "2.14.1",
            ),
        ]);
        let c = correlate(&r, &Config::default());
        assert_eq!(c.issues.len(), 2);
        assert_eq!(c.issues[0].members, vec![0, 1]);
        assert_eq!(c.issues[0].vulnerability.as_deref(), Some("CVE-2021-44228"));
        assert_eq!(c.issues[0].merged_by, vec![Strategy::Taxonomy]);
        assert_eq!(
            c.aliases.get("GHSA-jfh8-c2jp-5v3q").map(String::as_str),
            Some("CVE-2021-44228")
        );
        // Different CVEs in one package: separate issues, one root-cause group.
        assert_eq!(c.groups.len(), 1);
        assert_eq!(c.groups[0].strategy, Strategy::RootCause);
        assert_eq!(c.groups[0].issues, vec![0, 1]);
        assert!((c.noise.reduction - (1.0 - 2.0 / 3.0)).abs() < 1e-9);
    }

    #[test]
    fn an_identity_reads_as_its_text_whichever_way_it_is_held() {
        let fp = Identity::Fingerprint("abc".into());
        let text = Identity::Text("fp abc".into());
        assert_eq!(fp, text);
        assert_ne!(fp, Identity::Text("abc".into()));
        assert_eq!(fp.to_string(), "fp abc");
        assert_eq!(serde_json::to_string(&fp).unwrap(), "\"fp abc\"");
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"fp abc\"");
        assert_eq!(
            (fp.fingerprint(), text.fingerprint()),
            (Some("abc"), Some("abc"))
        );
        assert_eq!(fp.key(), text.key());
        let mut scratch = String::new();
        assert_eq!(fp.text(&mut scratch), "fp abc");
        let vuln = Identity::Text("vuln CVE-1 pkg:npm/a".into());
        assert!(vuln.is_vulnerability() && !fp.is_vulnerability());
        assert_eq!(
            (vuln.fingerprint(), vuln.key()),
            (None, (false, "vuln CVE-1 pkg:npm/a"))
        );
    }

    #[test]
    fn issue_ids_are_i_and_twelve_hex_digits_held_inline() {
        let d = hex::encode(Sha256::digest(b"vuln CVE-1"));
        let id = IssueId::derive("vuln CVE-1");
        assert_eq!(id.to_string(), format!("I-{}", &d[..12]));
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            format!("\"I-{}\"", &d[..12])
        );
        assert!(id == *format!("I-{}", &d[..12]).as_str());
        // As history recorded them: fixops ids are kept, other text is
        // replaced by the id derived from it.
        assert_eq!(IssueId::from_text(&id.to_string()), id);
        assert_eq!(IssueId::from_text("my-issue"), IssueId::derive("my-issue"));
        assert_eq!(
            IssueId::from_text("I-ABCDEF012345"),
            IssueId::derive("I-ABCDEF012345")
        );
        assert_eq!(
            IssueId::of_fingerprint("0123456789abcdef0123").to_string(),
            "I-0123456789ab"
        );
        assert_eq!(IssueId::of_fingerprint("short"), IssueId::derive("short"));
        assert_eq!(size_of::<IssueId>(), 12);
    }

    #[test]
    fn a_fingerprint_identity_shares_the_findings_fingerprint() {
        let r = run(vec![sast("Semgrep", "a", "CWE-89", "x.py", 10)]);
        let c = correlate(&r, &Config::default());
        let Identity::Fingerprint(fp) = &c.issues[0].identity else {
            panic!("a code issue is identified by its fingerprint");
        };
        assert!(Arc::ptr_eq(fp, &r.findings[0].fingerprint.value));
        assert_eq!(c.issues[0].identity.to_string(), format!("fp {fp}"));
        assert_eq!(c.issues[0].id.to_string(), format!("I-{}", &fp[..12]));
    }

    #[test]
    fn different_vulnerabilities_never_merge() {
        let mut a = sca("X", "CVE-1", &[], "pkg:npm/a@1", "1");
        let mut b = sca("X", "CVE-2", &[], "pkg:npm/a@1", "1");
        // Even with an identical producer fingerprint.
        a.fingerprint = Fingerprint::from_producer(None, &Default::default());
        b.fingerprint = a.fingerprint.clone();
        let c = correlate(&run(vec![a, b]), &Config::default());
        assert_eq!(c.issues.len(), 2);
        assert!(c.merges.is_empty());
    }

    #[test]
    fn location_merges_across_tools_only_nearby_with_shared_cwe() {
        let r = run(vec![
            sast("Semgrep", "python.sqli", "CWE-89", "app/db.py", 10),
            sast("Bandit", "B608", "CWE-89", "app/db.py", 12),
            sast("Bandit", "B608", "CWE-89", "app/db.py", 20),
            sast("Semgrep", "python.xss", "CWE-79", "app/db.py", 11),
            sast("Bandit", "B608", "CWE-89", "app/other.py", 10),
        ]);
        let c = correlate(&r, &Config::default());
        assert_eq!(c.finding_issue[0], c.finding_issue[1]);
        assert_ne!(c.finding_issue[1], c.finding_issue[2], "8 lines apart");
        assert_ne!(c.finding_issue[0], c.finding_issue[3], "different CWE");
        assert_ne!(c.finding_issue[0], c.finding_issue[4], "different file");
        assert_eq!(c.noise.merged_by.get(&Strategy::Location), Some(&1));
        // Bandit B608 in three places: a pattern group, never a merge across files.
        let g = c
            .groups
            .iter()
            .find(|g| g.strategy == Strategy::Pattern)
            .unwrap();
        assert_eq!(g.key, "Bandit B608");
        assert_eq!(g.issues.len(), 3);
        // A higher threshold turns location merging off.
        let strict = correlate(
            &r,
            &Config {
                merge_threshold: 0.85,
            },
        );
        assert_ne!(strict.finding_issue[0], strict.finding_issue[1]);
    }

    #[test]
    fn same_tool_nearby_is_not_a_location_merge() {
        let r = run(vec![
            sast("Semgrep", "a", "CWE-89", "x.py", 10),
            sast("Semgrep", "b", "CWE-89", "x.py", 11),
        ]);
        assert_eq!(correlate(&r, &Config::default()).issues.len(), 2);
    }

    #[test]
    fn fingerprint_duplicates_merge_and_explain_shows_the_chain() {
        let a = sast("CodeQL", "js/xss", "CWE-79", "a.js", 5);
        let mut b = sast("CodeQL", "js/xss", "CWE-79", "a.js", 5);
        b.fingerprint = a.fingerprint.clone();
        let c3 = sast("Semgrep", "xss", "CWE-79", "a.js", 7);
        let r = run(vec![a, b, c3]);
        let c = correlate(&r, &Config::default());
        assert_eq!(c.issues.len(), 1);
        let e = explain(&r, &c, 1, 2);
        assert!(e.same_issue);
        assert_eq!(e.path.len(), 2, "{:?}", e.path);
        assert_eq!(e.confidence, 0.80);
        assert!(
            e.checks
                .iter()
                .any(|k| k.strategy == Strategy::Location && k.matched)
        );
        let e2 = explain(&r, &c, 0, 1);
        assert_eq!(e2.path.len(), 1);
        assert_eq!(e2.path[0].strategy, Strategy::Fingerprint);
    }

    #[test]
    fn issue_ids_are_stable_for_the_same_identity() {
        let r1 = run(vec![sast("S", "r", "CWE-1", "f", 1)]);
        let r2 = run(vec![
            sast("T", "q", "CWE-2", "g", 9),
            sast("S", "r", "CWE-1", "f", 1),
        ]);
        let (c1, c2) = (
            correlate(&r1, &Config::default()),
            correlate(&r2, &Config::default()),
        );
        assert_eq!(c1.issues[0].id, c2.issues[1].id);
    }
}
