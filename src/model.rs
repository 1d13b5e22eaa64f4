//! The normalized model every ingester produces and every later stage reads.
//!
//! Input: nothing (pure data types). Output: [`Document`], the normalized form
//! of one input file, holding [`Finding`]s, [`Component`]s, [`Relationship`]s
//! and [`VexStatement`]s. Strings that repeat across many findings (tool
//! names, rule ids, paths) are shared through [`Sym`] so that a 200k-result
//! SARIF log stays compact in memory.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A cheaply clonable shared string, used for values repeated across findings.
pub type Sym = Arc<str>;

/// A shared list of strings: findings of one rule share the rule's list
/// rather than each holding a copy.
pub type Syms = Arc<[Sym]>;

fn no_syms(v: &[Sym]) -> bool {
    v.is_empty()
}

/// A hash map with a fast, per-process randomly seeded hasher, for the hot
/// paths that hash hundreds of thousands of short keys.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The set counterpart of [`FastMap`].
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// Where a slice (or text) is held: its address and length. While both are
/// alive, two slices with the same place have the same contents, so a hot
/// path can key on places and read the contents once per place (equal
/// contents held apart just take two places).
pub(crate) fn place<T>(s: &[T]) -> [u64; 2] {
    [s.as_ptr() as u64, s.len() as u64]
}

/// Interns strings that repeat across findings: one [`Sym`] per distinct text.
#[derive(Debug, Default)]
pub struct Interner(hashbrown::HashSet<Sym, foldhash::fast::RandomState>);

impl Interner {
    /// The shared string equal to `s`.
    pub fn sym(&mut self, s: &str) -> Sym {
        self.sym_ref(s).clone()
    }

    /// The shared string equal to `s`, borrowed: for a key by address
    /// where no clone is kept (a clone and its drop are two atomic
    /// updates, each waiting for the stores before it).
    pub fn sym_ref(&mut self, s: &str) -> &Sym {
        self.0.get_or_insert_with(s, |s| Arc::from(s))
    }
}

/// Ordered severity: `Unknown < Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No severity could be established (e.g. a CVE without a rating).
    #[default]
    Unknown,
    /// Informational (SARIF `none`/`note` without a numeric score).
    Info,
    /// Low.
    Low,
    /// Medium (SARIF `warning`, the spec default).
    Medium,
    /// High (SARIF `error`).
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL_DESC: [Severity; 6] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
        Severity::Unknown,
    ];

    /// Lower-case name as used in JSON, tables and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Severity band of a numeric score on the CVSS / GitHub `security-severity`
    /// scale: 9.0+ critical, 7.0+ high, 4.0+ medium, above 0 low, 0 info.
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }

    /// Parse a producer's severity word (CycloneDX rating severity, Trivy,
    /// Grype, Snyk, ...), case-insensitively. Unrecognized words give `None`.
    pub fn from_word(word: &str) -> Option<Severity> {
        let w = word.trim().to_ascii_lowercase();
        Some(match w.as_str() {
            "critical" => Severity::Critical,
            "high" | "important" | "error" => Severity::High,
            "medium" | "moderate" | "warning" => Severity::Medium,
            "low" | "minor" => Severity::Low,
            "info" | "informational" | "none" | "note" | "negligible" => Severity::Info,
            "unknown" => Severity::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SARIF `result.level` (§3.27.10).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `none`
    None,
    /// `note`
    Note,
    /// `warning` (the spec default)
    #[default]
    Warning,
    /// `error`
    Error,
}

impl Level {
    /// The SARIF word.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// Parse the SARIF word (exact, as the spec spells it).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "none" => Level::None,
            "note" => Level::Note,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => return None,
        })
    }

    /// The severity a level implies when no numeric score is given.
    pub fn severity(self) -> Severity {
        match self {
            Level::None | Level::Note => Severity::Info,
            Level::Warning => Severity::Medium,
            Level::Error => Severity::High,
        }
    }
}

/// SARIF `result.kind` (§3.27.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ResultKind {
    /// A problem was found (the default).
    #[default]
    Fail,
    /// The rule was evaluated and no problem was found.
    Pass,
    /// The tool could not determine pass or fail.
    Open,
    /// A human must review.
    Review,
    /// The rule did not apply.
    NotApplicable,
    /// Information only.
    Informational,
}

impl ResultKind {
    /// The SARIF word.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::Fail => "fail",
            ResultKind::Pass => "pass",
            ResultKind::Open => "open",
            ResultKind::Review => "review",
            ResultKind::NotApplicable => "notApplicable",
            ResultKind::Informational => "informational",
        }
    }

    /// Parse the SARIF word.
    pub fn parse(s: &str) -> Option<ResultKind> {
        Some(match s {
            "fail" => ResultKind::Fail,
            "pass" => ResultKind::Pass,
            "open" => ResultKind::Open,
            "review" => ResultKind::Review,
            "notApplicable" => ResultKind::NotApplicable,
            "informational" => ResultKind::Informational,
            _ => return None,
        })
    }

    /// Whether a result of this kind reports a problem (`fail`, `open`, `review`).
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            ResultKind::Fail | ResultKind::Open | ResultKind::Review
        )
    }
}

/// SARIF `result.baselineState` (§3.27.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// `new`
    New,
    /// `unchanged`
    Unchanged,
    /// `updated`
    Updated,
    /// `absent`
    Absent,
}

impl BaselineState {
    /// Parse the SARIF word.
    pub fn parse(s: &str) -> Option<BaselineState> {
        Some(match s {
            "new" => BaselineState::New,
            "unchanged" => BaselineState::Unchanged,
            "updated" => BaselineState::Updated,
            "absent" => BaselineState::Absent,
            _ => return None,
        })
    }
}

/// The tool that produced a finding or document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Tool {
    /// Tool name (`tool.driver.name`, CycloneDX `metadata.tools`, ...).
    pub name: Sym,
    /// Tool version when stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Sym>,
}

/// A place in a file: repository-relative or absolute URI plus region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Location {
    /// The artifact URI, resolved against `originalUriBaseIds` where possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<Sym>,
    /// 1-based start line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    /// 1-based start column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    /// 1-based end line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// 1-based end column (exclusive, as SARIF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// Fully qualified logical location (function, class, package), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical: Option<Sym>,
}

/// How a finding was suppressed at the source (SARIF `suppressions`, §3.35).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `inSource` or `external`.
    pub kind: String,
    /// `accepted`, `underReview` or `rejected`; absent means accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why it was suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

impl Suppression {
    /// A suppression takes effect unless its status is `underReview` or `rejected`.
    pub fn is_effective(&self) -> bool {
        !matches!(
            self.status.as_deref(),
            Some("underReview") | Some("rejected")
        )
    }
}

/// Where a finding's identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerprintSource {
    /// The producer's `fingerprints` / `partialFingerprints`.
    Producer,
    /// Ours: vulnerability id + package (SCA).
    Package,
    /// Ours: rule identity + path + code-window hash.
    CodeWindow,
    /// Ours: rule identity + path + normalized message.
    Message,
}

/// A finding's stable identity (decision model §1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Hex digest (32 hex characters) that identifies the finding across runs
    /// (shared: issues and lifecycle records hold it too).
    pub value: Sym,
    /// What the digest was computed from.
    pub source: FingerprintSource,
}

/// The package a vulnerability was reported against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct PackageRef {
    /// Package name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Sym>,
    /// Installed version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Sym>,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<Sym>,
    /// Version that fixes the vulnerability, when the producer states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<Sym>,
}

/// A known vulnerability (SCA finding or CycloneDX `vulnerabilities` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct VulnerabilityRef {
    /// Primary id: CVE-…, GHSA-…, GO-…, OSV id, …
    pub id: String,
    /// Other ids for the same vulnerability.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub aliases: Vec<String>,
    /// The affected package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRef>,
    /// CVSS vectors as given by the producer (v2, v3.x or v4.0).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cvss_vectors: Vec<String>,
}

/// What a finding takes from its rule for display: shared by the rule's
/// findings (a finding with tags of its own has one of its own).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleMeta {
    /// Rule name or short description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Sym>,
    /// Rule help URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<Sym>,
    /// Rule and result tags.
    #[serde(skip_serializing_if = "no_syms", default)]
    pub tags: Syms,
}

impl RuleMeta {
    /// `Some` unless every field is empty.
    pub fn shared(self) -> Option<std::sync::Arc<RuleMeta>> {
        (self != RuleMeta::default()).then(|| std::sync::Arc::new(self))
    }
}

/// One result from one tool. (Serialized with the fields of
/// [`FindingExtras`] in their places among its own: see its `Serialize`
/// impl.)
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Producer (shared by every finding of a run).
    pub tool: std::sync::Arc<Tool>,
    /// Rule id (`ruleId`, or the rule found by `ruleIndex`).
    pub rule_id: Option<Sym>,
    /// Rule name, help URI and tags: one shared value per rule, not three
    /// fields in each of a log's 200k findings (see [`RuleMeta`]).
    pub meta: Option<std::sync::Arc<RuleMeta>>,
    /// SARIF kind.
    pub kind: ResultKind,
    /// Resolved SARIF level: result level → rule default → `warning`.
    pub level: Level,
    /// Ordered severity (from the numeric score when present, else the level
    /// or the producer's severity word).
    pub severity: Severity,
    /// Numeric score on the 0–10 scale (`security-severity`, CVSS score).
    pub score: Option<f64>,
    /// Message text with arguments substituted (markdown when only that is
    /// given). Boxed slices here and below: a 200k-result run holds 200k of
    /// these, and none grows after reading.
    pub message: Box<str>,
    /// Primary locations; the first is the one shown.
    pub locations: Box<[Location]>,
    /// Producer fingerprints (`fingerprints` and `partialFingerprints`, keys as given).
    pub producer_fingerprints: ProducerFingerprints,
    /// The identity fixops uses.
    pub fingerprint: Fingerprint,
    /// What few findings have (related locations, suppressions, baseline
    /// state, code flows), boxed: `None` when it would be empty, so that
    /// each of a 200k-result log's findings does not carry 40 bytes of
    /// empty fields. Read through [`Finding::related_locations`],
    /// [`Finding::suppressions`], [`Finding::baseline_state`] and
    /// [`Finding::code_flows`]; made with [`FindingExtras::boxed`].
    pub extras: Option<Box<FindingExtras>>,
    /// CWE ids (`CWE-79`), from taxa, tags or properties.
    pub cwes: Syms,
    /// Vulnerability and package, for SCA findings (boxed: most findings
    /// have none, and a 200k-result log should not pay for it inline).
    pub vulnerability: Option<Box<VulnerabilityRef>>,
    /// The result's property bag, as compact JSON text.
    pub properties: Option<Box<str>>,
}

/// A producer's fingerprints: `(key, value)` pairs sorted by key, keys
/// unique. A 200k-result log carries one or two of these per result, nearly
/// always under the same keys: the list of keys is shared by the findings
/// that use it, and the values are packed into one text (see
/// [`ProducerFingerprints::pack`]), so a finding pays for one small box and
/// one text rather than a vector and a text per value; one without any
/// pays for a pointer.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ProducerFingerprints(Option<Box<PackedPairs>>);

#[derive(Clone, PartialEq, Eq)]
struct PackedPairs {
    /// Sorted, unique.
    keys: Syms,
    /// The values in key order, each written as its length in bytes
    /// (decimal), `:`, then the value.
    values: Box<str>,
}

impl ProducerFingerprints {
    /// From pairs; for a repeated key the first pair wins.
    pub fn from_pairs(mut pairs: Vec<(Sym, String)>) -> Self {
        // Stable sort keeps the first of equal keys first; dedup keeps it.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, earlier| later.0 == earlier.0);
        let values = Self::pack(pairs.iter().map(|(_, v)| v.as_str()));
        Self::from_packed(pairs.into_iter().map(|(k, _)| k).collect(), values)
    }

    /// The values of pairs sorted by key, packed as the second argument of
    /// [`ProducerFingerprints::from_packed`] takes them.
    pub(crate) fn pack<'a>(values: impl Iterator<Item = &'a str> + Clone) -> Box<str> {
        use std::fmt::Write;
        let len: usize = values.clone().map(|v| v.len() + 1 + digits(v.len())).sum();
        let mut out = String::with_capacity(len);
        for v in values {
            // Writing to a `String` does not fail.
            let _ = write!(out, "{}:", v.len());
            out.push_str(v);
        }
        out.into_boxed_str()
    }

    /// From keys sorted and unique (a list that findings with the same keys
    /// may share) and their values as [`ProducerFingerprints::pack`] packs
    /// them.
    pub(crate) fn from_packed(keys: Syms, values: Box<str>) -> Self {
        debug_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        debug_assert_eq!(Values(&values).count(), keys.len());
        if keys.is_empty() {
            return ProducerFingerprints(None);
        }
        ProducerFingerprints(Some(Box::new(PackedPairs { keys, values })))
    }

    /// The keys, sorted.
    pub(crate) fn keys(&self) -> &[Sym] {
        self.0.as_ref().map_or(&[], |p| &p.keys)
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.keys().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        let (keys, values) = self
            .0
            .as_ref()
            .map_or((&[][..], ""), |p| (&p.keys[..], &p.values[..]));
        keys.iter().map(|k| &**k).zip(Values(values))
    }
}

/// Decimal digits of `n`.
fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The values of a [`PackedPairs`] text, in order.
#[derive(Clone)]
struct Values<'a>(&'a str);

impl<'a> Iterator for Values<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        // Only `pack` writes these texts: a length, `:`, that many bytes.
        let (len, rest) = self.0.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let value = rest.get(..len)?;
        self.0 = &rest[len..];
        Some(value)
    }
}

impl fmt::Debug for ProducerFingerprints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for ProducerFingerprints {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for ProducerFingerprints {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = BTreeMap::<String, String>::deserialize(d)?;
        Ok(ProducerFingerprints::from_pairs(
            m.into_iter().map(|(k, v)| (Sym::from(k), v)).collect(),
        ))
    }
}

/// The parts of a [`Finding`] that few findings have.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FindingExtras {
    /// Related locations.
    pub related_locations: Box<[Location]>,
    /// Source suppressions.
    pub suppressions: Box<[Suppression]>,
    /// SARIF `baselineState`.
    pub baseline_state: Option<BaselineState>,
    /// Number of code flows (SARIF `codeFlows`).
    pub code_flows: u32,
}

impl FindingExtras {
    /// Boxed, unless every part is empty.
    pub fn boxed(self) -> Option<Box<FindingExtras>> {
        (self != FindingExtras::default()).then(|| Box::new(self))
    }
}

impl Serialize for Finding {
    /// The fields in the order they had when they were all the finding's
    /// own; empty ones are left out (verdicts and stored blobs keep their
    /// bytes).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        fn put<S: SerializeStruct, T: Serialize + ?Sized>(
            st: &mut S,
            key: &'static str,
            value: &T,
            present: bool,
        ) -> Result<(), S::Error> {
            if present {
                st.serialize_field(key, value)
            } else {
                st.skip_field(key)
            }
        }
        let related = self.related_locations();
        let suppressions = self.suppressions();
        let baseline = self.baseline_state();
        let flows = self.code_flows();
        let mut st = s.serialize_struct("Finding", 18)?;
        st.serialize_field("tool", &self.tool)?;
        put(&mut st, "rule_id", &self.rule_id, self.rule_id.is_some())?;
        put(&mut st, "meta", &self.meta, self.meta.is_some())?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("level", &self.level)?;
        st.serialize_field("severity", &self.severity)?;
        put(&mut st, "score", &self.score, self.score.is_some())?;
        st.serialize_field("message", &self.message)?;
        put(
            &mut st,
            "locations",
            &self.locations,
            !self.locations.is_empty(),
        )?;
        put(&mut st, "related_locations", related, !related.is_empty())?;
        let fps = &self.producer_fingerprints;
        put(&mut st, "producer_fingerprints", fps, !fps.is_empty())?;
        st.serialize_field("fingerprint", &self.fingerprint)?;
        put(
            &mut st,
            "suppressions",
            suppressions,
            !suppressions.is_empty(),
        )?;
        put(&mut st, "baseline_state", &baseline, baseline.is_some())?;
        put(&mut st, "code_flows", &flows, flows != 0)?;
        put(&mut st, "cwes", &self.cwes, !self.cwes.is_empty())?;
        let vuln = &self.vulnerability;
        put(&mut st, "vulnerability", vuln, vuln.is_some())?;
        let props = &self.properties;
        put(&mut st, "properties", props, props.is_some())?;
        st.end()
    }
}

impl Finding {
    /// A `fail` finding at level `warning` with the given identity and
    /// message; every other field empty. Readers fill in the rest.
    pub fn new(
        tool: impl Into<std::sync::Arc<Tool>>,
        rule_id: Option<Sym>,
        message: impl Into<Box<str>>,
        fingerprint: Fingerprint,
    ) -> Finding {
        Finding {
            tool: tool.into(),
            rule_id,
            meta: None,
            kind: ResultKind::Fail,
            level: Level::Warning,
            severity: Severity::Unknown,
            score: None,
            message: message.into(),
            locations: Box::default(),
            producer_fingerprints: ProducerFingerprints::default(),
            fingerprint,
            extras: None,
            cwes: Syms::default(),
            vulnerability: None,
            properties: None,
        }
    }

    /// Rule name or short description, for display.
    pub fn rule_name(&self) -> Option<&str> {
        self.meta.as_ref()?.name.as_deref()
    }

    /// Rule help URI.
    pub fn help_uri(&self) -> Option<&str> {
        self.meta.as_ref()?.help_uri.as_deref()
    }

    /// Rule and result tags.
    pub fn tags(&self) -> &[Sym] {
        self.meta.as_ref().map_or(&[], |m| &m.tags)
    }

    /// The first primary location, if any.
    pub fn primary_location(&self) -> Option<&Location> {
        self.locations.first()
    }

    /// Whether a source suppression takes effect.
    pub fn is_suppressed(&self) -> bool {
        self.suppressions().iter().any(Suppression::is_effective)
    }

    /// Related locations.
    pub fn related_locations(&self) -> &[Location] {
        self.extras.as_ref().map_or(&[], |e| &e.related_locations)
    }

    /// Source suppressions.
    pub fn suppressions(&self) -> &[Suppression] {
        self.extras.as_ref().map_or(&[], |e| &e.suppressions)
    }

    /// SARIF `baselineState`.
    pub fn baseline_state(&self) -> Option<BaselineState> {
        self.extras.as_ref().and_then(|e| e.baseline_state)
    }

    /// Number of code flows (SARIF `codeFlows`).
    pub fn code_flows(&self) -> u32 {
        self.extras.as_ref().map_or(0, |e| e.code_flows)
    }
}

/// A software component (CycloneDX component, SPDX package).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Component {
    /// The document-local reference (`bom-ref`, SPDX id); unique in a document.
    pub bom_ref: String,
    /// Component type (library, application, container, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Group / namespace (CycloneDX `group`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// CPE, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// License ids or expressions.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub licenses: Vec<String>,
    /// Hashes as `(algorithm, hex value)`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub hashes: Vec<(String, String)>,
    /// CycloneDX scope (required / optional / excluded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `bom_ref` of the enclosing component for nested components.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Whether this is the document's subject (CycloneDX metadata component,
    /// SPDX package the document DESCRIBES).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub is_root: bool,
}

/// Kind of an edge between two components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    /// `from` depends on `to` (CycloneDX dependencies, SPDX DEPENDS_ON / DEPENDENCY_OF reversed).
    DependsOn,
    /// `from` contains `to` (nesting, SPDX CONTAINS / CONTAINED_BY reversed).
    Contains,
    /// The document describes `to` (SPDX DESCRIBES).
    Describes,
    /// Any other SPDX relationship type, kept by name in `Relationship::detail`.
    Other,
}

/// A directed edge between two component references of one document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Relationship {
    /// Source `bom_ref`.
    pub from: String,
    /// Target `bom_ref`.
    pub to: String,
    /// Normalized kind, direction already normalized (`from` → `to`).
    pub kind: RelationshipKind,
    /// The producer's relationship type as written (e.g. `DEV_DEPENDENCY_OF`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// VEX status (OpenVEX words; CycloneDX and CSAF states map onto them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// Not affected: suppresses.
    NotAffected,
    /// Affected: does not suppress.
    Affected,
    /// Fixed: suppresses.
    Fixed,
    /// Under investigation: does not suppress.
    UnderInvestigation,
}

impl VexStatus {
    /// The OpenVEX word.
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// One VEX statement: a vulnerability's status in some products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexStatement {
    /// Vulnerability id as written (CVE-…, GHSA-…).
    pub vulnerability: String,
    /// Aliases given alongside.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub aliases: Vec<String>,
    /// Products (purls, bom-refs, bom-links, CPEs, image refs) the statement covers.
    pub products: Vec<String>,
    /// Subcomponents (purls) within those products, when given.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub subcomponents: Vec<String>,
    /// Status.
    pub status: VexStatus,
    /// Justification (OpenVEX / CycloneDX / CSAF word).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Impact statement or CycloneDX analysis detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    /// Action statement / response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
    /// RFC 3339 timestamp of the statement (or of its document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// The format of an input, as detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// SARIF 2.1.0 JSON.
    Sarif,
    /// CycloneDX JSON (BOM, possibly with vulnerabilities).
    CyclonedxJson,
    /// CycloneDX XML.
    CyclonedxXml,
    /// CycloneDX used as VEX: vulnerabilities with analysis, no components.
    CyclonedxVex,
    /// SPDX 2.x JSON.
    SpdxJson,
    /// SPDX 2.x tag-value.
    SpdxTagValue,
    /// SPDX 2.x YAML.
    SpdxYaml,
    /// SPDX 2.x XML.
    SpdxXml,
    /// SPDX 2.x RDF/XML.
    SpdxRdf,
    /// SPDX 3.0 JSON-LD.
    Spdx3JsonLd,
    /// OpenVEX JSON.
    Openvex,
    /// CSAF 2.0 (VEX or security advisory).
    Csaf,
}

impl Format {
    /// Short name for tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sarif => "sarif",
            Format::CyclonedxJson => "cyclonedx-json",
            Format::CyclonedxXml => "cyclonedx-xml",
            Format::CyclonedxVex => "cyclonedx-vex",
            Format::SpdxJson => "spdx-json",
            Format::SpdxTagValue => "spdx-tag-value",
            Format::SpdxYaml => "spdx-yaml",
            Format::SpdxXml => "spdx-xml",
            Format::SpdxRdf => "spdx-rdf",
            Format::Spdx3JsonLd => "spdx3-jsonld",
            Format::Openvex => "openvex",
            Format::Csaf => "csaf",
        }
    }

    /// Which kind of input this is.
    pub fn role(self) -> InputRole {
        match self {
            Format::Sarif => InputRole::Sarif,
            Format::CyclonedxVex | Format::Openvex | Format::Csaf => InputRole::Vex,
            _ => InputRole::Sbom,
        }
    }
}

/// The three kinds of input a user can name with `--sarif/--sbom/--vex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputRole {
    /// Scanner results.
    Sarif,
    /// Software bill of materials.
    Sbom,
    /// VEX statements.
    Vex,
}

/// Counts as the producer's document states them, so that a summary can be
/// checked against the source (e.g. SPDX `relationships` entries, not the
/// normalized edges derived from them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocStats {
    /// SARIF runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
    /// SARIF results (all kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<u64>,
    /// SARIF rules across runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<u64>,
    /// CycloneDX components as written: JSON counts `/components` at every
    /// nesting level (metadata component excluded); XML counts every
    /// `<component>` element (metadata, tools and pedigree included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<u64>,
    /// CycloneDX services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<u64>,
    /// CycloneDX `dependencies` entries (JSON: top-level entries; XML: every
    /// `<dependency>` element, nested ones included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<u64>,
    /// CycloneDX `vulnerabilities` (XML: every `<vulnerability>` element,
    /// composition references included) / CSAF vulnerabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<u64>,
    /// SPDX packages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<u64>,
    /// SPDX files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// SPDX snippets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippets: Option<u64>,
    /// SPDX relationships as written (JSON `relationships` entries; tag-value
    /// `Relationship:` lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationships: Option<u64>,
    /// VEX statements (OpenVEX statements, CycloneDX analyses, CSAF product statuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements: Option<u64>,
}

/// One ingested input file, normalized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// Detected format.
    pub format: Format,
    /// Format version as written (`2.1.0`, `1.6`, `SPDX-2.3`, `v0.2.0`).
    pub spec_version: String,
    /// Producing tools (SARIF drivers of every run, SBOM creator tools).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub producers: Vec<Tool>,
    /// Findings (SARIF results; CycloneDX vulnerabilities that are not pure VEX).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub findings: Vec<Finding>,
    /// Components (SBOM).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub components: Vec<Component>,
    /// Component edges (SBOM).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub relationships: Vec<Relationship>,
    /// VEX statements.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub statements: Vec<VexStatement>,
    /// Source-native counts.
    pub stats: DocStats,
    /// Non-fatal problems noticed while reading (out-of-range index, unknown level, ...).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
}

impl Document {
    /// An empty document of the given format and version.
    pub fn new(format: Format, spec_version: impl Into<String>) -> Document {
        Document {
            format,
            spec_version: spec_version.into(),
            producers: Vec::new(),
            findings: Vec::new(),
            components: Vec::new(),
            relationships: Vec::new(),
            statements: Vec::new(),
            stats: DocStats::default(),
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_serializes_its_fields_in_order_and_leaves_out_empty_ones() {
        let at = |line| Location {
            uri: Some("a.js".into()),
            start_line: Some(line),
            ..Default::default()
        };
        let mut f = Finding::new(
            Tool {
                name: "T".into(),
                version: None,
            },
            None,
            "m",
            Fingerprint::for_code("R", "a.js", "b", FingerprintSource::Message),
        );
        let bare = serde_json::to_string(&f).unwrap();
        assert_eq!(
            bare,
            r#"{"tool":{"name":"T"},"kind":"fail","level":"warning","severity":"unknown","message":"m","fingerprint":{"value":"44e589861b3d932f629dd4367cd37204","source":"message"}}"#
        );
        f.rule_id = Some("R".into());
        f.meta = RuleMeta {
            name: Some("n".into()),
            ..Default::default()
        }
        .shared();
        f.score = Some(9.5);
        f.locations = vec![at(1)].into();
        f.producer_fingerprints = ProducerFingerprints::from_pairs(vec![("k".into(), "v".into())]);
        f.extras = FindingExtras {
            related_locations: vec![at(2)].into(),
            suppressions: vec![Suppression {
                kind: "inSource".into(),
                status: None,
                justification: None,
            }]
            .into(),
            baseline_state: Some(BaselineState::New),
            code_flows: 2,
        }
        .boxed();
        f.cwes = vec![Sym::from("CWE-79")].into();
        f.properties = Some(r#"{"p":1}"#.into());
        let text = serde_json::to_string(&f).unwrap();
        let full: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(full.as_object().unwrap().len(), 17);
        // Each key where it was when all were the finding's own fields (the
        // first occurrence of each is the finding's: nested objects come
        // after their own key).
        let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap();
        let order = [
            "tool",
            "rule_id",
            "meta",
            "kind",
            "level",
            "severity",
            "score",
            "message",
            "locations",
            "related_locations",
            "producer_fingerprints",
            "fingerprint",
            "suppressions",
            "baseline_state",
            "code_flows",
            "cwes",
            "properties",
        ];
        assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        assert_eq!(full["related_locations"][0]["start_line"], 2);
        assert_eq!(full["suppressions"][0]["kind"], "inSource");
        assert_eq!(full["baseline_state"], "new");
        assert_eq!(full["code_flows"], 2);
        assert_eq!(full["producer_fingerprints"]["k"], "v");
        // Extras that are all empty are no box, and serialize as nothing.
        assert_eq!(FindingExtras::default().boxed(), None);
        f.extras = None;
        assert!(!serde_json::to_string(&f).unwrap().contains("code_flows"));
    }

    #[test]
    fn severity_orders_and_bands() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info > Severity::Unknown);
        assert_eq!(Severity::from_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_score(8.9), Severity::High);
        assert_eq!(Severity::from_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Info);
        assert_eq!(Severity::from_word("Moderate"), Some(Severity::Medium));
        assert_eq!(Severity::from_word("bogus"), None);
    }

    #[test]
    fn suppression_status_decides_effect() {
        let s = |status: Option<&str>| Suppression {
            kind: "inSource".into(),
            status: status.map(str::to_owned),
            justification: None,
        };
        assert!(s(None).is_effective());
        assert!(s(Some("accepted")).is_effective());
        assert!(!s(Some("underReview")).is_effective());
        assert!(!s(Some("rejected")).is_effective());
    }
}

/// Digest helpers for [`Fingerprint`]s: SHA-256 truncated to 128 bits, hex.
impl Fingerprint {
    /// Each part length-prefixed (u64, little-endian), hashed in one call:
    /// one finding's parts fit a few blocks, and hashing them as one slice
    /// costs half what a dozen small updates do.
    fn sym(parts: &[&str]) -> Sym {
        Self::sym_of(parts.iter().copied())
    }

    /// [`Fingerprint::sym`] of parts given one by one. The message is built
    /// on the stack when it is small (as one finding's parts are), and the
    /// digest is written as hex into the string it is returned as.
    fn sym_of<'a>(parts: impl Iterator<Item = &'a str> + Clone) -> Sym {
        use sha2::{Digest, Sha256};
        let len: usize = parts.clone().map(|p| 8 + p.len()).sum();
        let mut stack = [0u8; 512];
        let mut heap = Vec::new();
        let msg: &mut [u8] = if len <= stack.len() {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        let mut at = 0;
        for p in parts {
            msg[at..at + 8].copy_from_slice(&(p.len() as u64).to_le_bytes());
            msg[at + 8..at + 8 + p.len()].copy_from_slice(p.as_bytes());
            at += 8 + p.len();
        }
        let digest = Sha256::digest(&msg[..at]);
        let mut hex = [0u8; 32];
        // 16 bytes always fit 32 hex digits, which are ASCII.
        let _ = hex::encode_to_slice(&digest[..16], &mut hex);
        Sym::from(std::str::from_utf8(&hex).unwrap_or_default())
    }

    /// Identity from the producer's fingerprints (kept with their keys), scoped
    /// by rule: tools such as CodeQL emit per-line hashes shared by all rules.
    pub fn from_producer(rule: Option<&str>, fingerprints: &ProducerFingerprints) -> Fingerprint {
        Fingerprint {
            value: Self::producer_digest(rule, fingerprints.iter()),
            source: FingerprintSource::Producer,
        }
    }

    /// The digest of [`Fingerprint::from_producer`], over pairs sorted by
    /// key with unique keys.
    pub(crate) fn producer_digest<'a>(
        rule: Option<&'a str>,
        sorted: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Sym {
        let pairs = sorted.flat_map(|(k, v)| [k, v]);
        Self::sym_of(["producer", rule.unwrap_or("")].into_iter().chain(pairs))
    }

    /// Identity of an SCA finding: vulnerability id + package identity + version.
    /// `package` is a purl without version, qualifiers and subpath, or a bare name.
    pub fn for_package(vuln_id: &str, package: &str, version: &str) -> Fingerprint {
        Fingerprint {
            value: Self::sym(&["package", vuln_id, package, version]),
            source: FingerprintSource::Package,
        }
    }

    /// Identity of a code finding: rule identity + normalized path + basis
    /// (a code-window hash, or the normalized message).
    pub fn for_code(rule: &str, path: &str, basis: &str, source: FingerprintSource) -> Fingerprint {
        Fingerprint {
            value: Self::sym(&["code", rule, path, basis]),
            source,
        }
    }
}

/// Serialize the concatenation of `parts` as one string, without the
/// formatting machinery of `collect_str` (a tenth of the time for the short
/// ids and labels that stored blobs hold by the hundred thousand).
pub fn serialize_concat<S: serde::Serializer>(
    s: S,
    parts: &[&str],
) -> std::result::Result<S::Ok, S::Error> {
    let mut buf = [0u8; 128];
    let mut at = 0;
    for p in parts {
        match buf.get_mut(at..at + p.len()) {
            Some(dst) => dst.copy_from_slice(p.as_bytes()),
            None => return s.serialize_str(&parts.concat()),
        }
        at += p.len();
    }
    // Whole `str`s joined are UTF-8.
    match std::str::from_utf8(&buf[..at]) {
        Ok(text) => s.serialize_str(text),
        Err(_) => s.serialize_str(&parts.concat()),
    }
}

/// Normalize a file URI or path for identity: drop `file://`, use `/`,
/// drop a leading `./`.
pub fn normalize_path(uri: &str) -> String {
    let s = uri.strip_prefix("file://").unwrap_or(uri);
    let s = s.replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s);
    s.to_string()
}

/// Normalize a message for identity: digits and whitespace runs collapsed, so
/// that line numbers and counts inside messages do not change identity.
pub fn normalize_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut last_space = false;
    let mut last_digit = false;
    for c in msg.chars() {
        if c.is_whitespace() {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
            last_digit = false;
        } else if c.is_ascii_digit() {
            if !last_digit {
                out.push('#');
            }
            last_digit = true;
            last_space = false;
        } else {
            out.push(c);
            last_space = false;
            last_digit = false;
        }
    }
    out.trim_end().to_string()
}

/// The parts of a package URL that identify a package across versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlParts {
    /// `type` (npm, maven, pypi, deb, ...), lower-case.
    pub ty: String,
    /// Namespace, when present.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Version, when present.
    pub version: Option<String>,
}

impl PurlParts {
    /// `pkg:type/namespace/name` with no version, qualifiers or subpath.
    pub fn base(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("pkg:{}/{}/{}", self.ty, ns, self.name),
            None => format!("pkg:{}/{}", self.ty, self.name),
        }
    }
}

/// Parse a package URL with the `packageurl` crate; `None` when it is not one.
pub fn parse_purl(purl: &str) -> Option<PurlParts> {
    let p = packageurl::PackageUrl::from_str(purl.trim()).ok()?;
    Some(PurlParts {
        ty: p.ty().to_ascii_lowercase(),
        namespace: p.namespace().map(str::to_string),
        name: p.name().to_string(),
        version: p.version().map(str::to_string),
    })
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    #[test]
    fn purl_base_drops_version_and_qualifiers() {
        let p =
            parse_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar").unwrap();
        assert_eq!(p.base(), "pkg:maven/org.apache.logging.log4j/log4j-core");
        assert_eq!(p.version.as_deref(), Some("2.14.1"));
        let q = parse_purl("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(q.namespace.as_deref(), Some("@babel"));
        assert!(parse_purl("not a purl").is_none());
    }

    #[test]
    fn producer_fingerprints_keep_any_values_in_key_order() {
        let values = ["", "12:ab", "ü:9", "x", &"9".repeat(1000)];
        let keys = ["e", "d", "c", "b", "a"];
        let pairs = keys
            .iter()
            .zip(values)
            .map(|(k, v)| (Sym::from(*k), v.to_string()))
            .collect();
        let fp = ProducerFingerprints::from_pairs(pairs);
        let want: Vec<(&str, &str)> = keys.iter().copied().zip(values).rev().collect();
        assert_eq!(fp.iter().collect::<Vec<_>>(), want);
        assert_eq!(fp.len(), 5);
        assert_eq!(fp.get("d"), Some("12:ab"));
        assert_eq!(fp.get("e"), Some(""));
        assert_eq!(fp.get("f"), None);
        let json = serde_json::to_string(&fp).unwrap();
        assert!(json.starts_with(r#"{"a":"999"#) && json.ends_with(r#""d":"12:ab","e":""}"#));
        assert_eq!(
            serde_json::from_str::<ProducerFingerprints>(&json).unwrap(),
            fp
        );
        let none = ProducerFingerprints::from_pairs(Vec::new());
        assert!(none.is_empty() && none == ProducerFingerprints::default());
        assert_eq!(none.iter().count(), 0);
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
    }

    #[test]
    fn fingerprints_are_stable_and_scoped() {
        let fp = ProducerFingerprints::from_pairs(vec![(
            Sym::from("primaryLocationLineHash"),
            "abc:1".to_string(),
        )]);
        let a = Fingerprint::from_producer(Some("js/xss"), &fp);
        let b = Fingerprint::from_producer(Some("js/xss"), &fp);
        let c = Fingerprint::from_producer(Some("js/sqli"), &fp);
        assert_eq!(a, b);
        assert_ne!(a.value, c.value);
        assert_eq!(a.value.len(), 32);
        // Stored identities depend on these exact bytes: SHA-256 over
        // length-prefixed parts, first 16 bytes, lowercase hex.
        assert_eq!(&*a.value, "a75c9a5bb010a09166e3cfc74da9e714");
        // Length-prefixed parts: moving a boundary changes the digest.
        let x = Fingerprint::for_package("CVE-1", "pkg:npm/ab", "1");
        let y = Fingerprint::for_package("CVE-1pkg:npm/a", "b", "1");
        assert_ne!(x.value, y.value);
    }

    #[test]
    fn concatenated_strings_serialize_as_one() {
        struct Parts<'a>(&'a [&'a str]);
        impl serde::Serialize for Parts<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::serialize_concat(s, self.0)
            }
        }
        let json = |p: &[&str]| serde_json::to_string(&Parts(p)).unwrap();
        assert_eq!(json(&["I-", "0123456789ab"]), r#""I-0123456789ab""#);
        assert_eq!(json(&[]), r#""""#);
        assert_eq!(json(&["a\"", "\u{e9}"]), r#""a\"é""#);
        // Longer than the stack buffer: the same text.
        let long = "x".repeat(200);
        assert_eq!(json(&["fp ", &long]), format!("\"fp {long}\""));
        assert_eq!(json(&[&long[..127], "é"]), format!("\"{}é\"", &long[..127]));
    }

    #[test]
    fn messages_normalize_numbers_and_space() {
        assert_eq!(
            normalize_message("Unused  variable at line 42\n(3 uses)"),
            "Unused variable at line # (# uses)"
        );
        assert_eq!(normalize_path("file://./src\\a.c"), "src/a.c");
    }
}
