//! SARIF 2.1.0 reader: SARIF log text → one [`Document`] of [`Finding`]s.
//!
//! Input: the decoded text of a SARIF log. Output: a [`Document`] with one
//! [`Finding`] per result (all kinds), the run drivers as producers, the
//! source-native counts in [`DocStats`](crate::model::DocStats) and
//! non-fatal problems as warnings.
//!
//! How it reads:
//! - Lenient, borrowing serde types keep only the fields fixops uses; unknown
//!   fields are skipped. No `serde_json::Value` is built. The `results` array
//!   is streamed: each result is borrowed from the text and handed, in
//!   batches, to a second thread that turns it into an owned [`Finding`].
//!   A large log on disk is not even held whole: [`parse_stream`] reads it
//!   piece by piece (see the `stream` module), and gives way to [`parse`]
//!   for anything it does not expect.
//! - What a result refers to (tool and rules, `artifacts`,
//!   `originalUriBaseIds`, `taxonomies`) may appear before or after
//!   `results` in a run object. A result is completed (rule lookup, level and
//!   severity, message strings, URIs, CWEs, vulnerability and fingerprint) as
//!   it arrives when what it refers to came first, as most tools write it;
//!   otherwise it and the rest of its run are completed when the run object
//!   ends. Each of those run members may appear only once.
//! - Repeated strings (tool, rule ids and names, URIs, CWEs, tags) are
//!   interned as [`Sym`]s for the whole document.
//! - Wrong JSON types for the fields read fail the file; the error carries
//!   the JSON pointer, found by replaying the parse with path tracking only
//!   after the fast parse failed. Odd but readable content (unknown `level`,
//!   out-of-range `ruleIndex`, `ruleId` disagreeing with its rule) becomes a
//!   warning.
//!
//! Decisions:
//! - `fingerprints` and `partialFingerprints` both go into
//!   [`Finding::producer_fingerprints`] with their keys as given; a key in
//!   both keeps the `fingerprints` value (SARIF keys are versioned, e.g.
//!   `primaryLocationLineHash/v1`, so collisions mean the same thing).
//! - A location's `uri` is resolved against `originalUriBaseIds` chains into
//!   a full URI; identity (the fingerprint path) uses only the part below the
//!   first absolute base, so that checkout directories do not change it.
//! - `properties` are kept as compact JSON text when present and non-empty.

use super::Txt;
use crate::error::{Error, Result, json_error};
use crate::model::Interner;
use crate::model::{
    BaselineState, Document, Finding, Fingerprint, FingerprintSource, Format, Level, Location,
    PackageRef, ResultKind, Severity, Suppression, Sym, Tool, VulnerabilityRef, normalize_message,
    normalize_path, parse_purl,
};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

mod stream;
pub(crate) use stream::{READ_BYTES, parse_stream};

/// The only SARIF version fixops reads.
pub const SARIF_VERSION: &str = "2.1.0";

/// A low estimate of a result's size in the log, for reserving capacity.
const RESULT_BYTES_LOW: usize = 256;

/// Warnings kept per document; further ones are counted in one summary line.
const MAX_WARNINGS: usize = 100;

/// Longest `originalUriBaseIds` chain followed before giving up (cycles).
const MAX_BASE_DEPTH: usize = 16;

/// Parse a SARIF 2.1.0 log into a [`Document`].
///
/// Fails with a positioned [`Error::Input`] when the text is not JSON, when a
/// field fixops reads has the wrong type, or when `version` is not `2.1.0`.
pub fn parse(path: &Path, text: &str) -> Result<Document> {
    parse_on(
        std::thread::Builder::new().name("fixops-build".into()),
        path,
        text,
    )
}

/// [`parse`], building findings on a thread started by `thread` (or on
/// this one, when it cannot be started).
fn parse_on(thread: std::thread::Builder, path: &Path, text: &str) -> Result<Document> {
    // The text is walked on this thread; results are converted into findings
    // on a second core as they are read (see [`Event`]).
    let builder = || {
        let mut b = Builder::default();
        // No result takes fewer bytes than this in practice; reserving by
        // it avoids regrowing (copying, and faulting in fresh pages for) a
        // vector of 200k findings. Capacity never written is never made
        // resident.
        b.findings.reserve(text.len() / RESULT_BYTES_LOW);
        b
    };
    let (first, feed, built) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Event<'_>>>(QUEUED_BATCHES);
        let worker = thread.spawn_scoped(scope, move || {
            let mut b = builder();
            b.consume(rx);
            b
        });
        // Without a second thread, findings are built as results are read.
        let mut feed = match worker {
            Ok(_) => Feed::new(Some(tx)),
            Err(_) => Feed::building(builder()),
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let first = LogSeed(&mut feed)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        feed.close();
        let built = match (worker, feed.local.take()) {
            (Ok(worker), _) => worker.join().ok(),
            (Err(_), local) => local.map(|(b, _)| b),
        };
        (first, feed, built)
    });
    if let Some(v) = &feed.bad_version {
        return Err(version_error(path, v));
    }
    if let Err(e) = first {
        return Err(json_error(path, text, e, "SARIF 2.1.0", |de| {
            LogSeed(&mut Feed::new(None)).deserialize(de)
        }));
    }
    let mut b = built.ok_or_else(|| {
        Error::input(
            path,
            "reading the results stopped unexpectedly (internal error)",
        )
    })?;
    b.version = feed.version;
    b.finish(path)
}

fn version_error(path: &Path, version: &str) -> Error {
    Error::at_pointer(
        path,
        "/version",
        format!("unsupported SARIF version {version:?}; fixops reads SARIF {SARIF_VERSION}"),
    )
}

// ---------------------------------------------------------------------------
// Document-wide state
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Builder {
    version: Option<String>,
    findings: Vec<Finding>,
    producers: Vec<Tool>,
    warnings: Vec<String>,
    dropped_warnings: usize,
    runs: u64,
    results: u64,
    rules: u64,
    names: Interner,
    /// Lists of producer fingerprint keys, most recently used first (see
    /// [`key_list`]).
    fingerprint_keys: Vec<crate::model::Syms>,
    /// The tool of findings read before their run's tool.
    no_tool: Arc<Tool>,
}

/// What the text walk hands to the thread that builds findings, in text
/// order. Results are borrowed from the text; the rest is small and owned.
// Results are nearly all of the events: boxing them would add an allocation
// per result to keep the rare variants small.
#[allow(clippy::large_enum_variant)]
enum Event<'de> {
    /// A run object starts (its index).
    RunStart(usize),
    Tool(RawTool<'de>),
    Result(RawResult<'de>),
    Bases(Vec<(String, UriRef)>),
    Artifacts(Vec<Option<UriRef>>),
    Taxonomies(Vec<Option<String>>),
    /// The run object ends: its findings are completed.
    RunEnd,
}

/// Events per hand-over, and hand-overs queued before the walk waits: at
/// most ~10k results in flight.
const BATCH: usize = 1024;
const QUEUED_BATCHES: usize = 8;

/// The text walk's side: batches events for the builder thread (or drops
/// them, for the replay that locates an error), and keeps the version.
struct Feed<'de> {
    tx: Option<std::sync::mpsc::SyncSender<Vec<Event<'de>>>>,
    /// Where no thread could be started for the builder: it, and the run
    /// it is in, taking each event as it is read.
    local: Option<(Builder, Option<RunCtx>)>,
    batch: Vec<Event<'de>>,
    runs: usize,
    version: Option<String>,
    bad_version: Option<String>,
}

impl<'de> Feed<'de> {
    fn new(tx: Option<std::sync::mpsc::SyncSender<Vec<Event<'de>>>>) -> Self {
        Feed {
            batch: if tx.is_some() {
                Vec::with_capacity(BATCH)
            } else {
                Vec::new()
            },
            tx,
            local: None,
            runs: 0,
            version: None,
            bad_version: None,
        }
    }

    /// A feed that builds findings itself, on the thread that reads.
    fn building(b: Builder) -> Self {
        Feed {
            local: Some((b, None)),
            ..Feed::new(None)
        }
    }

    fn push(&mut self, e: Event<'de>) {
        if let Some((b, run)) = &mut self.local {
            b.handle(run, e);
            return;
        }
        if self.tx.is_none() {
            return;
        }
        self.batch.push(e);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // The builder only stops early by failing; the walk then ends with
        // its own error or the builder's.
        if let Some(tx) = &self.tx
            && tx.send(batch).is_err()
        {
            self.tx = None;
        }
    }

    /// Hand over what is left and end the stream.
    fn close(&mut self) {
        self.flush();
        self.tx = None;
    }
}

impl Builder {
    /// Build findings from the walk's events until the stream ends.
    fn consume(&mut self, rx: std::sync::mpsc::Receiver<Vec<Event<'_>>>) {
        let mut run: Option<RunCtx> = None;
        for batch in rx {
            for event in batch {
                self.handle(&mut run, event);
            }
        }
    }

    /// Take one event of the walk, in text order; `run` is the run it is in.
    fn handle(&mut self, run: &mut Option<RunCtx>, event: Event<'_>) {
        match event {
            Event::RunStart(index) => *run = Some(RunCtx::new(index)),
            Event::RunEnd => {
                if let Some(r) = run.take() {
                    r.finish(self);
                    self.runs += 1;
                }
            }
            other => {
                let Some(r) = run.as_mut() else { return };
                match other {
                    Event::Tool(t) => r.set_tool(t, self),
                    Event::Result(raw) => r.add_result(raw, self),
                    Event::Bases(bases) => {
                        r.bases.extend(bases);
                        r.has_bases = true;
                    }
                    Event::Artifacts(a) => {
                        r.artifacts = a;
                        r.has_artifacts = true;
                    }
                    Event::Taxonomies(t) => {
                        r.taxonomies = t;
                        r.has_taxonomies = true;
                    }
                    Event::RunStart(_) | Event::RunEnd => {}
                }
            }
        }
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.dropped_warnings += 1;
        }
    }

    fn finish(mut self, path: &Path) -> Result<Document> {
        if self.version.is_none() {
            return Err(Error::at_pointer(
                path,
                "",
                format!("no \"version\" property; expected a SARIF {SARIF_VERSION} log"),
            ));
        }
        if self.dropped_warnings > 0 {
            let n = self.dropped_warnings;
            self.warnings.push(format!("{n} more warnings not shown"));
        }
        let mut doc = Document::new(Format::Sarif, SARIF_VERSION);
        doc.producers = self.producers;
        doc.findings = self.findings;
        doc.warnings = self.warnings;
        doc.stats.runs = Some(self.runs);
        doc.stats.results = Some(self.results);
        doc.stats.rules = Some(self.rules);
        Ok(doc)
    }
}

// ---------------------------------------------------------------------------
// Borrowed input types
// ---------------------------------------------------------------------------

/// A JSON object of strings, borrowed from the text, in document order; a
/// key given twice keeps its last value (as a map would). Fingerprint
/// objects are read this way: no tree and no copies on the walking thread.
struct Pairs<'a>(Vec<(Txt<'a>, Txt<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Pairs<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Pairs<'a>, A::Error> {
                let mut out: Vec<(Txt<'a>, Txt<'a>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(2));
                while let Some((k, v)) = map.next_entry::<Txt<'a>, Txt<'a>>()? {
                    match out.iter_mut().find(|(x, _)| **x == *k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTool<'a> {
    #[serde(borrow)]
    driver: Option<RawComponent<'a>>,
    #[serde(borrow)]
    extensions: Option<Vec<RawComponent<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawComponent<'a> {
    #[serde(borrow)]
    name: Option<Txt<'a>>,
    #[serde(borrow)]
    version: Option<Txt<'a>>,
    #[serde(borrow)]
    semantic_version: Option<Txt<'a>>,
    #[serde(borrow)]
    rules: Option<Vec<RawRule<'a>>>,
    #[serde(borrow)]
    global_message_strings: Option<HashMap<Txt<'a>, RawMessage<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule<'a> {
    #[serde(borrow)]
    id: Option<Txt<'a>>,
    #[serde(borrow)]
    name: Option<Txt<'a>>,
    #[serde(borrow)]
    short_description: Option<RawMessage<'a>>,
    #[serde(borrow)]
    help: Option<RawMessage<'a>>,
    #[serde(borrow)]
    help_uri: Option<Txt<'a>>,
    #[serde(borrow)]
    default_configuration: Option<RawConfiguration<'a>>,
    #[serde(borrow)]
    message_strings: Option<HashMap<Txt<'a>, RawMessage<'a>>>,
    #[serde(borrow)]
    relationships: Option<Vec<RawRelationship<'a>>>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawConfiguration<'a> {
    #[serde(borrow)]
    level: Option<Txt<'a>>,
}

#[derive(Deserialize)]
struct RawRelationship<'a> {
    #[serde(borrow)]
    target: Option<RawDescriptorRef<'a>>,
}

/// `reportingDescriptorReference` (§3.52): a rule or taxon reference.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptorRef<'a> {
    #[serde(borrow)]
    id: Option<Txt<'a>>,
    index: Option<i64>,
    #[serde(borrow)]
    tool_component: Option<RawComponentRef<'a>>,
}

#[derive(Deserialize)]
struct RawComponentRef<'a> {
    #[serde(borrow)]
    name: Option<Txt<'a>>,
    index: Option<i64>,
}

#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow)]
    text: Option<Txt<'a>>,
    #[serde(borrow)]
    markdown: Option<Txt<'a>>,
    #[serde(borrow)]
    id: Option<Txt<'a>>,
    #[serde(borrow)]
    arguments: Option<Vec<Txt<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArtifactLocation<'a> {
    #[serde(borrow)]
    uri: Option<Txt<'a>>,
    #[serde(borrow)]
    uri_base_id: Option<Txt<'a>>,
    index: Option<i64>,
}

#[derive(Deserialize)]
struct RawArtifact<'a> {
    #[serde(borrow)]
    location: Option<RawArtifactLocation<'a>>,
}

#[derive(Deserialize)]
struct RawTaxonomy<'a> {
    #[serde(borrow)]
    name: Option<Txt<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRegion {
    start_line: Option<u32>,
    start_column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPhysical<'a> {
    #[serde(borrow)]
    artifact_location: Option<RawArtifactLocation<'a>>,
    region: Option<RawRegion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogical<'a> {
    #[serde(borrow)]
    fully_qualified_name: Option<Txt<'a>>,
    #[serde(borrow)]
    name: Option<Txt<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation<'a> {
    #[serde(borrow)]
    physical_location: Option<RawPhysical<'a>>,
    #[serde(borrow)]
    logical_locations: Option<Vec<RawLogical<'a>>>,
}

/// A list read in place while it has one item (a result's locations): no
/// allocation, which would be freed on the thread that builds findings,
/// not on the one that parsed them.
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn len(&self) -> usize {
        match self {
            OneOrMany::One(_) => 1,
            OneOrMany::Many(v) => v.len(),
        }
    }
}

impl<T> IntoIterator for OneOrMany<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;
    fn into_iter(self) -> Self::IntoIter {
        match self {
            OneOrMany::One(x) => Some(x).into_iter().chain(Vec::new()),
            OneOrMany::Many(v) => None.into_iter().chain(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Items<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Items<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<OneOrMany<T>, A::Error> {
                let Some(first) = seq.next_element()? else {
                    return Ok(OneOrMany::Many(Vec::new()));
                };
                let Some(second) = seq.next_element()? else {
                    return Ok(OneOrMany::One(first));
                };
                let mut all = Vec::with_capacity(seq.size_hint().unwrap_or(0).saturating_add(2));
                all.extend([first, second]);
                while let Some(x) = seq.next_element()? {
                    all.push(x);
                }
                Ok(OneOrMany::Many(all))
            }
        }
        d.deserialize_seq(Items(std::marker::PhantomData))
    }
}

/// Up to two items in place, more in a vector (a result's fingerprints:
/// one or two nearly always), for the same reason as [`OneOrMany`].
#[derive(Default)]
enum Few<T> {
    #[default]
    Zero,
    One(T),
    Two([T; 2]),
    Many(Vec<T>),
}

impl<T> Few<T> {
    fn push(&mut self, x: T) {
        *self = match std::mem::replace(self, Few::Zero) {
            Few::Zero => Few::One(x),
            Few::One(a) => Few::Two([a, x]),
            Few::Two([a, b]) => Few::Many(vec![a, b, x]),
            Few::Many(mut v) => {
                v.push(x);
                Few::Many(v)
            }
        };
    }

    fn as_slice(&self) -> &[T] {
        match self {
            Few::Zero => &[],
            Few::One(x) => std::slice::from_ref(x),
            Few::Two(xs) => xs,
            Few::Many(v) => v,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Few::Zero => &mut [],
            Few::One(x) => std::slice::from_mut(x),
            Few::Two(xs) => xs,
            Few::Many(v) => v,
        }
    }

    /// As [`Vec::dedup_by`]: of consecutive items that are `same`, the first
    /// is kept.
    fn dedup_by(&mut self, mut same: impl FnMut(&mut T, &mut T) -> bool) {
        *self = match std::mem::replace(self, Few::Zero) {
            Few::Two([mut a, mut b]) => {
                if same(&mut b, &mut a) {
                    Few::One(a)
                } else {
                    Few::Two([a, b])
                }
            }
            Few::Many(mut v) => {
                v.dedup_by(same);
                Few::Many(v)
            }
            other => other,
        };
    }
}

impl<T> FromIterator<T> for Few<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut few = Few::Zero;
        for x in items {
            few.push(x);
        }
        few
    }
}

impl<T> IntoIterator for Few<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<
        std::iter::Flatten<std::array::IntoIter<Option<T>, 2>>,
        std::vec::IntoIter<T>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        let (inline, more) = match self {
            Few::Zero => ([None, None], Vec::new()),
            Few::One(a) => ([Some(a), None], Vec::new()),
            Few::Two([a, b]) => ([Some(a), Some(b)], Vec::new()),
            Few::Many(v) => ([None, None], v),
        };
        inline.into_iter().flatten().chain(more)
    }
}

#[derive(Deserialize)]
struct RawSuppression<'a> {
    #[serde(borrow)]
    kind: Option<Txt<'a>>,
    #[serde(borrow)]
    status: Option<Txt<'a>>,
    #[serde(borrow)]
    justification: Option<Txt<'a>>,
}

/// `stack` (§3.44): `frames` is required.
#[derive(Deserialize)]
struct RawStack {
    #[serde(rename = "frames")]
    _frames: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResult<'a> {
    #[serde(borrow)]
    rule_id: Option<Txt<'a>>,
    rule_index: Option<i64>,
    #[serde(borrow)]
    rule: Option<RawDescriptorRef<'a>>,
    #[serde(borrow)]
    level: Option<Txt<'a>>,
    #[serde(borrow)]
    kind: Option<Txt<'a>>,
    #[serde(borrow)]
    message: Option<RawMessage<'a>>,
    #[serde(borrow)]
    /// The first location in place: results nearly always have one, and a
    /// vector allocated where results are parsed is freed where they are
    /// built, on another thread.
    locations: Option<OneOrMany<RawLocation<'a>>>,
    #[serde(borrow)]
    related_locations: Option<Vec<RawLocation<'a>>>,
    #[serde(borrow)]
    fingerprints: Option<Pairs<'a>>,
    #[serde(borrow)]
    partial_fingerprints: Option<Pairs<'a>>,
    #[serde(borrow)]
    suppressions: Option<Vec<RawSuppression<'a>>>,
    #[serde(borrow)]
    baseline_state: Option<Txt<'a>>,
    code_flows: Option<Vec<IgnoredAny>>,
    /// Read only to check its shape: every stack needs `frames`.
    #[serde(rename = "stacks")]
    _stacks: Option<Vec<RawStack>>,
    #[serde(borrow)]
    taxa: Option<Vec<RawDescriptorRef<'a>>>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
    /// What the parsing thread prepared (see [`RawResult::prepare`]).
    /// Held in place, not boxed: a box allocated where results are parsed
    /// and freed where they are built is a free across threads per result,
    /// which the parsing thread pays for again when it collects them.
    #[serde(skip)]
    pre: Option<Prepared<'a>>,
}

/// What the parsing thread prepares of a result: the parts that need
/// nothing but the result itself.
#[derive(Default)]
struct Prepared<'a> {
    /// What the property bag says, when it says anything.
    props: Option<Box<PropInfo>>,
    /// The property bag's compact text.
    properties: Option<String>,
    /// The message when the result gives its text (arguments substituted).
    message: Option<String>,
    /// The keys of `fingerprints`, then `partialFingerprints`, sorted (the
    /// first of equal keys kept).
    fingerprint_keys: Few<Txt<'a>>,
    /// Their values, packed (see [`crate::model::ProducerFingerprints::pack`]).
    fingerprint_values: Box<str>,
    /// The identity from those fingerprints, when the result names its
    /// rule (by `ruleId`, else `rule.id`): that rule id stays the finding's.
    producer: Option<Sym>,
}

impl RawResult<'_> {
    /// Do what needs nothing but this result: read the property bag,
    /// substitute the message text, sort the producer fingerprints and
    /// digest them. Both reads do it on the thread that parses, so that the
    /// thread that builds findings does less.
    fn prepare(&mut self) {
        let props = read_props(self.properties);
        let properties = compact_props(self.properties);
        let message = self.message.as_ref().and_then(|m| {
            let text = match (&m.text, &m.id) {
                (Some(t), _) => t,
                (None, None) => m.markdown.as_ref()?,
                // By id: the rule's message strings are needed.
                (None, Some(_)) => return None,
            };
            let args: Vec<String> = m
                .arguments
                .iter()
                .flatten()
                .map(|a| a.0.to_string())
                .collect();
            Some(substitute(text, &args))
        });
        let mut fingerprints: Few<(Txt<'_>, Txt<'_>)> = self
            .fingerprints
            .take()
            .into_iter()
            .flat_map(|p| p.0)
            .chain(
                self.partial_fingerprints
                    .take()
                    .into_iter()
                    .flat_map(|p| p.0),
            )
            .collect();
        // Stable sort keeps the first of equal keys first; dedup keeps it.
        fingerprints.as_mut_slice().sort_by(|a, b| a.0.cmp(&b.0));
        fingerprints.dedup_by(|later, earlier| later.0 == earlier.0);
        let rule =
            (self.rule_id.as_deref()).or_else(|| self.rule.as_ref().and_then(|r| r.id.as_deref()));
        let producer = rule
            .filter(|_| !fingerprints.as_slice().is_empty())
            .map(|rule| {
                Fingerprint::producer_digest(
                    Some(rule),
                    fingerprints.as_slice().iter().map(|(k, v)| (&**k, &**v)),
                )
            });
        // The packed values are made here: allocated on the thread that
        // parses, they fill the room that the results it parsed leave once
        // built (made where findings are built, 200k results peaked ~8 MB
        // higher).
        let fingerprint_values = crate::model::ProducerFingerprints::pack(
            fingerprints.as_slice().iter().map(|(_, v)| &**v),
        );
        self.pre = Some(Prepared {
            props: (props != PropInfo::default()).then(|| Box::new(props)),
            properties,
            message,
            fingerprint_keys: fingerprints.into_iter().map(|(k, _)| k).collect(),
            fingerprint_values,
            producer,
        });
    }
}

// ---------------------------------------------------------------------------
// Streaming seeds: log → runs → run → results
// ---------------------------------------------------------------------------

struct LogSeed<'b, 'de>(&'b mut Feed<'de>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF log object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<Txt<'de>>()? {
            match &*key {
                "version" => {
                    let v: Txt<'de> = map.next_value()?;
                    if &*v != SARIF_VERSION {
                        let msg = format!("unsupported SARIF version {:?}", &*v);
                        self.0.bad_version = Some(v.0.into_owned());
                        return Err(de::Error::custom(msg));
                    }
                    self.0.version = Some(v.0.into_owned());
                }
                "runs" => map.next_value_seed(RunsSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct RunsSeed<'b, 'de>(&'b mut Feed<'de>);

impl<'de> DeserializeSeed<'de> for RunsSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for RunsSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of SARIF runs, or null")
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(RunSeed(&mut *self.0))?.is_some() {
            self.0.runs += 1;
        }
        Ok(())
    }
}

struct RunSeed<'b, 'de>(&'b mut Feed<'de>);

/// Run members that results depend on, in the order of [`Part`].
const RUN_PARTS: [&str; 4] = ["tool", "originalUriBaseIds", "artifacts", "taxonomies"];

/// A run member that results depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Tool,
    Bases,
    Artifacts,
    Taxonomies,
}

impl Part {
    const ALL: [Part; 4] = [Part::Tool, Part::Bases, Part::Artifacts, Part::Taxonomies];

    fn of(key: &str) -> Option<Part> {
        RUN_PARTS
            .iter()
            .position(|p| *p == key)
            .map(|i| Part::ALL[i])
    }

    fn name(self) -> &'static str {
        RUN_PARTS[self as usize]
    }
}

/// Reads a [`Part`]'s value into its event.
struct PartSeed(Part);

impl<'de> DeserializeSeed<'de> for PartSeed {
    type Value = Event<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Event<'de>, D::Error> {
        Ok(match self.0 {
            Part::Tool => Event::Tool(RawTool::deserialize(d)?),
            Part::Bases => {
                let bases: Option<HashMap<Txt<'de>, RawArtifactLocation<'de>>> =
                    Deserialize::deserialize(d)?;
                Event::Bases(
                    bases
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.0.into_owned(), UriRef::from_raw(&v)))
                        .collect(),
                )
            }
            Part::Artifacts => {
                let arts: Option<Vec<Option<RawArtifact<'de>>>> = Deserialize::deserialize(d)?;
                Event::Artifacts(
                    arts.into_iter()
                        .flatten()
                        .map(|a| a.and_then(|a| a.location).map(|l| UriRef::from_raw(&l)))
                        .collect(),
                )
            }
            Part::Taxonomies => {
                let tax: Option<Vec<RawTaxonomy<'de>>> = Deserialize::deserialize(d)?;
                Event::Taxonomies(
                    tax.into_iter()
                        .flatten()
                        .map(|t| t.name.map(|n| n.0.into_owned()))
                        .collect(),
                )
            }
        })
    }
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF run object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let feed = self.0;
        feed.push(Event::RunStart(feed.runs));
        // Results are completed against the run-level parts read before
        // them, so each part may appear once (as a derived struct requires).
        let mut seen = [false; 4];
        while let Some(key) = map.next_key::<Txt<'de>>()? {
            if let Some(part) = Part::of(&key) {
                if std::mem::replace(&mut seen[part as usize], true) {
                    return Err(de::Error::duplicate_field(part.name()));
                }
                let event = map.next_value_seed(PartSeed(part))?;
                feed.push(event);
            } else if &*key == "results" {
                map.next_value_seed(ResultsSeed(&mut *feed))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        feed.push(Event::RunEnd);
        Ok(())
    }
}

struct ResultsSeed<'b, 'de>(&'b mut Feed<'de>);

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of SARIF results, or null")
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(mut raw) = seq.next_element::<RawResult<'de>>()? {
            raw.prepare();
            self.0.push(Event::Result(raw));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Lenient property bags
// ---------------------------------------------------------------------------

/// What fixops reads from a property bag (`properties`, §3.8).
#[derive(Default, PartialEq)]
struct PropInfo {
    /// `security-severity` as written (string or number).
    score: Option<String>,
    /// A producer severity word (`severity`).
    severity: Option<Severity>,
    tags: Vec<String>,
    cwes: Vec<String>,
    cvss: Vec<String>,
    pkg: PkgHints,
}

/// Package facts found in properties or text.
#[derive(Default, Clone, PartialEq)]
struct PkgHints {
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    fixed: Option<String>,
}

impl PkgHints {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.purl.is_none()
    }
}

/// A scalar read leniently: strings and numbers kept, anything else dropped.
enum Scalar {
    Str(String),
    Num(f64),
    Other,
}

impl Scalar {
    fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Num(n) => Some(n.to_string()),
            Scalar::Other => None,
        }
    }
}

struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// A string, a number, or an array of them; anything else gives nothing.
struct ListSeed;

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Vec<String>, E> {
        Ok(vec![v.to_owned()])
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(ScalarSeed)? {
            out.extend(s.into_string());
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Vec<String>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
}

struct PropsVisitor;

impl<'de> Visitor<'de> for PropsVisitor {
    type Value = PropInfo;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property bag")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<PropInfo, A::Error> {
        let mut p = PropInfo::default();
        let mut buf = [0u8; 64];
        while let Some(key) = map.next_key::<Txt<'de>>()? {
            let k = prop_key(&key, &mut buf);
            match &*k {
                "securityseverity" => p.score = map.next_value_seed(ScalarSeed)?.into_string(),
                "severity" => {
                    p.severity = map
                        .next_value_seed(ScalarSeed)?
                        .into_string()
                        .and_then(|w| Severity::from_word(&w))
                }
                "tags" => p.tags = map.next_value_seed(ListSeed)?,
                "cwe" | "cwes" | "cweid" | "cweids" => p.cwes = map.next_value_seed(ListSeed)?,
                "purl" | "packageurl" | "pkgurl" => {
                    p.pkg.purl = non_empty(map.next_value_seed(ScalarSeed)?)
                }
                "packagename" | "pkgname" | "package" => {
                    p.pkg.name = non_empty(map.next_value_seed(ScalarSeed)?)
                }
                "installedversion" | "packageversion" | "pkgversion" => {
                    p.pkg.version = non_empty(map.next_value_seed(ScalarSeed)?)
                }
                "fixedversion" | "fixversion" | "fixedin" => {
                    let v = map.next_value_seed(ListSeed)?;
                    p.pkg.fixed = (!v.is_empty())
                        .then(|| v.join(", "))
                        .filter(|s| !s.trim().is_empty());
                }
                _ if k.ends_with("vector") => {
                    if let Some(v) = non_empty(map.next_value_seed(ScalarSeed)?)
                        && (v.starts_with("CVSS:") || v.contains("AV:"))
                    {
                        p.cvss.push(v);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

/// A property name as the bag is read by: its ASCII letters and digits,
/// lower-cased (`security-severity` → `securityseverity`). Written into
/// `buf` when it fits, as every name read does (a bag's keys are read by
/// the hundred thousand).
fn prop_key<'b>(key: &str, buf: &'b mut [u8; 64]) -> std::borrow::Cow<'b, str> {
    let kept = || key.bytes().filter(u8::is_ascii_alphanumeric);
    let mut n = 0;
    for b in kept() {
        let Some(slot) = buf.get_mut(n) else {
            return kept().map(|b| char::from(b.to_ascii_lowercase())).collect();
        };
        *slot = b.to_ascii_lowercase();
        n += 1;
    }
    // ASCII only.
    std::borrow::Cow::Borrowed(std::str::from_utf8(&buf[..n]).unwrap_or_default())
}

fn non_empty(s: Scalar) -> Option<String> {
    s.into_string()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Read a property bag; a bag that is not an object yields nothing.
fn read_props(raw: Option<&RawValue>) -> PropInfo {
    let Some(raw) = raw else {
        return PropInfo::default();
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    de.deserialize_map(PropsVisitor).unwrap_or_default()
}

/// The property bag as compact JSON text; `None` when absent, null or empty.
fn compact_props(raw: Option<&RawValue>) -> Option<String> {
    let text = raw?.get();
    let bytes = text.as_bytes();
    let out = if !bytes.iter().any(u8::is_ascii_whitespace) {
        // Already compact (what generators write): one exact-size copy.
        text.to_owned()
    } else {
        // JSON whitespace is ASCII, and ASCII bytes never occur inside a
        // multi-byte UTF-8 sequence, so this works on bytes.
        let mut out = Vec::with_capacity(bytes.len());
        let mut in_str = false;
        let mut escaped = false;
        for &c in bytes {
            if in_str {
                out.push(c);
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_str = false;
                }
            } else if !c.is_ascii_whitespace() {
                in_str = c == b'"';
                out.push(c);
            }
        }
        String::from_utf8(out).ok()?
    };
    (out != "{}" && out != "null").then_some(out)
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

/// A rule, owned and interned, with what findings take from it.
#[derive(Default)]
struct RuleInfo {
    id: Option<Sym>,
    default_level: Option<Level>,
    score: Option<f64>,
    cwes: crate::model::Syms,
    /// Name (or short description), help URI and tags, shared by the
    /// rule's findings.
    meta: Option<Arc<crate::model::RuleMeta>>,
    cvss: Vec<String>,
    /// Vulnerability ids named in the rule id, name or descriptions.
    vuln_ids: Vec<String>,
    /// Package facts from properties, help text or short description.
    pkg: PkgHints,
    /// A producer severity word (properties, help text, tags, description).
    severity_word: Option<Severity>,
    messages: HashMap<String, String>,
}

/// Severity words that scanners put into rule tags (Trivy: `HIGH`).
fn tag_severity(tag: &str) -> Option<Severity> {
    match tag {
        "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" => Severity::from_word(tag),
        _ => None,
    }
}

/// Severity word in a short description: Snyk's `Low severity - ...`,
/// Grype's `CVE-... low vulnerability for x package`.
fn description_severity(text: &str) -> Option<Severity> {
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if let Some(next) = words.peek()
            && (next.eq_ignore_ascii_case("severity") || next.eq_ignore_ascii_case("vulnerability"))
            && let Some(s) = Severity::from_word(w)
        {
            return Some(s);
        }
    }
    None
}

fn message_map(raw: Option<HashMap<Txt<'_>, RawMessage<'_>>>) -> HashMap<String, String> {
    raw.into_iter()
        .flatten()
        .filter_map(|(k, m)| {
            m.text
                .or(m.markdown)
                .map(|t| (k.0.into_owned(), t.0.into_owned()))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------

/// An artifact location as owned strings (`uri` + `uriBaseId`, or `index`).
#[derive(Debug, Clone, Default)]
struct UriRef {
    uri: Option<String>,
    base: Option<String>,
    index: Option<i64>,
}

impl UriRef {
    fn from_raw(l: &RawArtifactLocation<'_>) -> UriRef {
        UriRef {
            uri: l.uri.as_ref().map(|u| u.to_string()),
            base: l.uri_base_id.as_ref().map(|u| u.to_string()),
            index: l.index,
        }
    }
}

/// What a result leaves for the end of its run.
///
/// Kept small (one per result until the run ends): what most results lack
/// lives in [`Extra`].
#[derive(Default)]
struct Pending {
    /// Result number within the run, for warnings.
    number: usize,
    rule_index: Option<i64>,
    /// Tool component of the rule: `None` driver, `Some(i)` extension `i`.
    component: Option<i64>,
    level: Option<Level>,
    severity_word: Option<Severity>,
    /// `security-severity` of the result.
    score: Option<f64>,
    /// Locations that need `artifacts` or `originalUriBaseIds`:
    /// (related?, position, `uriBaseId`, artifact index).
    uri_refs: Vec<(bool, usize, Option<Sym>, Option<i64>)>,
    /// The primary location's identity path, when it was resolved as it
    /// was read (see [`push_location`]) and the finding needs an identity
    /// of its own.
    identity_path: Option<Sym>,
    extra: Option<Box<Extra>>,
}

/// The rarer parts of a [`Pending`] result.
#[derive(Default)]
struct Extra {
    component_name: Option<String>,
    by_id: Option<MessageById>,
    /// Taxa: (id, component name, component index).
    taxa: Vec<(String, Option<String>, Option<i64>)>,
    cvss: Vec<String>,
    pkg: PkgHints,
}

impl Extra {
    fn is_empty(&self) -> bool {
        self.component_name.is_none()
            && self.by_id.is_none()
            && self.taxa.is_empty()
            && self.cvss.is_empty()
            && self.pkg.is_empty()
            && self.pkg.fixed.is_none()
    }
}

impl Pending {
    fn extra(&self) -> &Extra {
        static EMPTY: Extra = Extra {
            component_name: None,
            by_id: None,
            taxa: Vec::new(),
            cvss: Vec::new(),
            pkg: PkgHints {
                name: None,
                version: None,
                purl: None,
                fixed: None,
            },
        };
        self.extra.as_deref().unwrap_or(&EMPTY)
    }
}

struct MessageById {
    id: String,
    arguments: Vec<String>,
    markdown: Option<String>,
}

/// Artifact locations of one run already resolved: `(uri, uriBaseId)`,
/// both interned and keyed by address, to `(full URI, normalized identity
/// path)`. The interner keeps every key alive, so an address is never reused.
#[derive(Default)]
struct Resolved(crate::model::FastMap<(usize, usize), (Sym, Sym)>);

impl Resolved {
    fn addr(s: &Sym) -> usize {
        Arc::as_ptr(s) as *const u8 as usize
    }

    fn key(uri: &Sym, base: Option<&Sym>) -> (usize, usize) {
        (Self::addr(uri), base.map_or(0, Self::addr))
    }
}

/// One run being read. A result is completed as soon as the run-level parts
/// it depends on (tool and rules, base ids, artifacts, taxonomies) have been
/// read, which is as it arrives when they precede `results`, as most tools
/// write them; otherwise it waits for the end of the run. Each of those parts
/// appears at most once (see [`RunSeed`]), so what was read is final.
struct RunCtx {
    index: usize,
    /// Results read so far (numbers them for warnings).
    results: usize,
    tool: Option<Arc<Tool>>,
    sca_tool: bool,
    has_bases: bool,
    has_artifacts: bool,
    has_taxonomies: bool,
    /// `[driver rules, extension 0 rules, ...]`.
    rules: Vec<Vec<RuleInfo>>,
    component_names: Vec<Option<String>>,
    rule_by_id: crate::model::FastMap<Sym, (usize, usize)>,
    global_messages: HashMap<String, String>,
    bases: HashMap<String, UriRef>,
    artifacts: Vec<Option<UriRef>>,
    taxonomies: Vec<Option<String>>,
    /// Results waiting for the end of the run: (finding index, pending).
    pending: Vec<(usize, Pending)>,
    resolved: Resolved,
}

impl RunCtx {
    fn new(index: usize) -> RunCtx {
        RunCtx {
            index,
            results: 0,
            tool: None,
            sca_tool: false,
            has_bases: false,
            has_artifacts: false,
            has_taxonomies: false,
            rules: Vec::new(),
            component_names: Vec::new(),
            rule_by_id: Default::default(),
            global_messages: HashMap::new(),
            bases: HashMap::new(),
            artifacts: Vec::new(),
            taxonomies: Vec::new(),
            pending: Vec::new(),
            resolved: Resolved::default(),
        }
    }

    /// Whether everything `p` needs from the run has been read, and no
    /// earlier result waits (results are completed in order, so their
    /// warnings are too).
    fn ready_for(&self, p: &Pending) -> bool {
        self.pending.is_empty()
            && self.tool.is_some()
            && p.uri_refs.iter().all(|(_, _, base, index)| {
                (base.is_none() || self.has_bases)
                    && (index.is_none() || (self.has_artifacts && self.has_bases))
            })
            && p.extra()
                .taxa
                .iter()
                .all(|(_, name, index)| name.is_some() || index.is_none() || self.has_taxonomies)
    }

    fn set_tool(&mut self, raw: RawTool<'_>, b: &mut Builder) {
        let driver = raw.driver;
        let name = driver
            .as_ref()
            .and_then(|d| d.name.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let name = match name {
            Some(n) => b.names.sym(n),
            None => {
                b.warn(format!(
                    "runs/{}: the tool has no driver name; using \"unknown\"",
                    self.index
                ));
                b.names.sym("unknown")
            }
        };
        let version = driver
            .as_ref()
            .and_then(|d| d.version.as_ref().or(d.semantic_version.as_ref()))
            .map(|v| b.names.sym(v));
        self.sca_tool = is_sca_tool(&name);
        self.tool = Some(Arc::new(Tool { name, version }));
        let mut components = Vec::new();
        if let Some(d) = driver {
            components.push(d);
        } else {
            components.push(RawComponent {
                name: None,
                version: None,
                semantic_version: None,
                rules: None,
                global_message_strings: None,
            });
        }
        components.extend(raw.extensions.into_iter().flatten());
        for (ci, comp) in components.into_iter().enumerate() {
            self.component_names
                .push(comp.name.map(|n| n.0.into_owned()));
            if ci == 0 {
                self.global_messages = message_map(comp.global_message_strings);
            }
            let mut rules = Vec::new();
            for (ri, r) in comp.rules.into_iter().flatten().enumerate() {
                let info = rule_info(r, &mut b.names);
                if let Some(id) = &info.id {
                    self.rule_by_id.entry(id.clone()).or_insert((ci, ri));
                }
                rules.push(info);
            }
            b.rules += rules.len() as u64;
            self.rules.push(rules);
        }
    }

    fn add_result(&mut self, raw: RawResult<'_>, b: &mut Builder) {
        b.results += 1;
        let number = self.results;
        self.results += 1;
        // Until the run's tool is read, findings point at the one empty tool.
        let tool = self.tool.as_ref().unwrap_or(&b.no_tool).clone();
        let (mut finding, pending) =
            convert_result(raw, tool, number, self.index, &self.resolved, b);
        match &self.tool {
            Some(_) if self.ready_for(&pending) => {
                let mut resolved = std::mem::take(&mut self.resolved);
                self.complete(&mut finding, pending, self.sca_tool, b, &mut resolved);
                self.resolved = resolved;
            }
            _ => self.pending.push((b.findings.len(), pending)),
        }
        b.findings.push(finding);
    }

    /// Complete the findings still waiting, once all of the run has been read.
    fn finish(mut self, b: &mut Builder) {
        let tool = self.tool.clone().unwrap_or_else(|| {
            b.warn(format!("runs/{}: no tool; using \"unknown\"", self.index));
            Arc::new(Tool {
                name: b.names.sym("unknown"),
                version: None,
            })
        });
        if !b.producers.contains(&tool) {
            b.producers.push(Tool::clone(&tool));
        }
        let sca_tool = is_sca_tool(&tool.name);
        let pending = std::mem::take(&mut self.pending);
        let mut resolved = std::mem::take(&mut self.resolved);
        let mut findings = std::mem::take(&mut b.findings);
        for (i, p) in pending {
            if let Some(f) = findings.get_mut(i) {
                f.tool = tool.clone();
                self.complete(f, p, sca_tool, b, &mut resolved);
            }
        }
        b.findings = findings;
    }
}

// ---------------------------------------------------------------------------
// Per-result conversion (streaming) and completion (end of run)
// ---------------------------------------------------------------------------

fn convert_result(
    mut raw: RawResult<'_>,
    tool: Arc<Tool>,
    number: usize,
    run: usize,
    resolved: &Resolved,
    b: &mut Builder,
) -> (Finding, Pending) {
    let mut p = Pending {
        number,
        ..Pending::default()
    };
    let mut extra = Extra::default();
    let at = |b: &mut Builder, msg: String| b.warn(format!("runs/{run}/results/{number}: {msg}"));

    let mut rule_id = raw.rule_id.as_deref().map(|s| b.names.sym(s));
    p.rule_index = raw.rule_index.filter(|&i| i >= 0);
    if let Some(r) = &raw.rule {
        match (&rule_id, r.id.as_deref()) {
            (None, id) => rule_id = id.map(|s| b.names.sym(s)),
            (Some(rid), Some(id)) if !same_rule(rid, id) => at(
                b,
                format!(
                    "ruleId {:?} is inconsistent with rule.id {id:?}; using ruleId",
                    &**rid
                ),
            ),
            _ => {}
        }
        if p.rule_index.is_none() {
            p.rule_index = r.index.filter(|&i| i >= 0);
        }
        if let Some(tc) = &r.tool_component {
            p.component = tc.index.filter(|&i| i >= 0);
            extra.component_name = tc.name.as_ref().map(|n| n.to_string());
        }
    }

    p.level = raw.level.as_deref().and_then(|l| {
        let parsed = Level::parse(l);
        if parsed.is_none() {
            at(
                b,
                format!("unknown level {l:?}; using the rule default or \"warning\""),
            );
        }
        parsed
    });
    let kind = match raw.kind.as_deref() {
        None => ResultKind::Fail,
        Some(k) => ResultKind::parse(k).unwrap_or_else(|| {
            at(b, format!("unknown kind {k:?}; using \"fail\""));
            ResultKind::Fail
        }),
    };

    // Both parse paths prepare each result where they parse it.
    if raw.pre.is_none() {
        raw.prepare();
    }
    let pre = raw.pre.take().unwrap_or_default();
    let message = pre.message.unwrap_or_default();
    // A message by id is completed with its rule's message strings.
    if let Some(m) = raw.message
        && m.text.is_none()
        && let Some(id) = m.id
    {
        extra.by_id = Some(MessageById {
            id: id.0.into_owned(),
            arguments: m
                .arguments
                .into_iter()
                .flatten()
                .map(|a| a.0.into_owned())
                .collect(),
            markdown: m.markdown.map(|t| t.0.into_owned()),
        });
    }

    // Exact capacities: a vector grown by `push` holds room for four
    // locations, and most results have one.
    let mut locations = Vec::with_capacity(raw.locations.as_ref().map_or(0, OneOrMany::len));
    let own_identity = pre.producer.is_none() || rule_id.is_none();
    let mut at_loc = LocationCtx {
        p: &mut p,
        names: &mut b.names,
        resolved,
        own_identity,
    };
    for l in raw.locations.into_iter().flatten() {
        push_location(l, false, &mut locations, &mut at_loc);
    }
    let mut related = Vec::with_capacity(raw.related_locations.as_ref().map_or(0, Vec::len));
    for l in raw.related_locations.into_iter().flatten() {
        push_location(l, true, &mut related, &mut at_loc);
    }

    let producer_fingerprints = crate::model::ProducerFingerprints::from_packed(
        key_list(
            &mut b.fingerprint_keys,
            &mut b.names,
            pre.fingerprint_keys.as_slice(),
        ),
        pre.fingerprint_values,
    );

    let suppressions = raw
        .suppressions
        .into_iter()
        .flatten()
        .map(|s| Suppression {
            kind: s
                .kind
                .map_or_else(|| "external".to_owned(), |k| k.0.into_owned()),
            status: s.status.map(|t| t.0.into_owned()),
            justification: s.justification.map(|t| t.0.into_owned()),
        })
        .collect();

    let baseline_state = raw.baseline_state.as_deref().and_then(|s| {
        let parsed = BaselineState::parse(s);
        if parsed.is_none() {
            at(b, format!("unknown baselineState {s:?}; ignored"));
        }
        parsed
    });

    for t in raw.taxa.into_iter().flatten() {
        if let Some(id) = t.id {
            let (name, index) = t.tool_component.map_or((None, None), |c| {
                (c.name.map(|n| n.0.into_owned()), c.index)
            });
            extra.taxa.push((id.0.into_owned(), name, index));
        }
    }

    let (props, properties) = (pre.props.map(|p| *p).unwrap_or_default(), pre.properties);
    let mut cwes = Vec::new();
    let mut tags = Vec::new();
    for t in &props.tags {
        if let Some(c) = cwe_of_tag(t) {
            push_unique(&mut cwes, b.names.sym(&c));
        }
        push_unique(&mut tags, b.names.sym(t));
    }
    for c in props.cwes.iter().filter_map(|c| cwe_of_value(c)) {
        push_unique(&mut cwes, b.names.sym(&c));
    }
    p.score = props.score.as_deref().and_then(|s| {
        let v = parse_score(s);
        if v.is_none() {
            at(
                b,
                format!("security-severity {s:?} is not a score from 0 to 10; ignored"),
            );
        }
        v
    });
    p.severity_word = props.severity;
    extra.cvss = props.cvss;
    extra.pkg = props.pkg;
    if !extra.is_empty() {
        p.extra = Some(Box::new(extra));
    }

    let producer = pre.producer.filter(|_| rule_id.is_some());
    let finding = Finding {
        tool,
        rule_id,
        // The result's own tags until its rule's are merged in (an empty
        // list is no allocation).
        meta: (!tags.is_empty()).then(|| {
            Arc::new(crate::model::RuleMeta {
                tags: tags.into(),
                ..Default::default()
            })
        }),
        kind,
        level: Level::Warning,
        severity: Severity::Unknown,
        score: None,
        message: message.into(),
        locations: locations.into(),
        producer_fingerprints,
        // From the producer's fingerprints and the rule id now, when both
        // are given (the id cannot change); else computed once the result
        // is complete, until then the one empty text.
        fingerprint: match producer {
            Some(value) => Fingerprint {
                value,
                source: FingerprintSource::Producer,
            },
            None => Fingerprint {
                value: b.names.sym(""),
                source: FingerprintSource::Message,
            },
        },
        extras: crate::model::FindingExtras {
            related_locations: related.into(),
            suppressions,
            baseline_state,
            code_flows: raw
                .code_flows
                .map_or(0, |c| u32::try_from(c.len()).unwrap_or(u32::MAX)),
        }
        .boxed(),
        cwes: if cwes.is_empty() {
            crate::model::Syms::default()
        } else {
            cwes.into()
        },
        vulnerability: None,
        properties: properties.map(String::into_boxed_str),
    };
    (finding, p)
}

/// What [`push_location`] reads and writes besides the location.
struct LocationCtx<'c> {
    p: &'c mut Pending,
    names: &'c mut Interner,
    /// The run's resolutions so far.
    resolved: &'c Resolved,
    /// Whether the finding needs an identity of its own.
    own_identity: bool,
}

fn push_location(l: RawLocation<'_>, related: bool, out: &mut Vec<Location>, c: &mut LocationCtx) {
    let (p, names) = (&mut *c.p, &mut *c.names);
    let mut loc = Location::default();
    if let Some(ph) = l.physical_location {
        if let Some(a) = ph.artifact_location {
            let uri = a.uri.as_deref();
            if a.uri_base_id.is_some() || (uri.is_none() && a.index.is_some()) {
                // A `uri` + `uriBaseId` pair the run has resolved already
                // resolves the same way: looked up by the addresses of the
                // interned texts, no copy of them kept.
                let early = uri.and_then(|u| {
                    let u = Resolved::addr(names.sym_ref(u));
                    let b = a
                        .uri_base_id
                        .as_deref()
                        .map_or(0, |s| Resolved::addr(names.sym_ref(s)));
                    c.resolved.0.get(&(u, b))
                });
                match early {
                    Some((full, ident)) => {
                        loc.uri = Some(full.clone());
                        if c.own_identity && !related && out.is_empty() {
                            p.identity_path = Some(ident.clone());
                        }
                    }
                    None => {
                        loc.uri = uri.map(|u| names.sym(u));
                        let base = a.uri_base_id.as_deref().map(|s| names.sym(s));
                        p.uri_refs.push((related, out.len(), base, a.index));
                    }
                }
            } else {
                loc.uri = uri.map(|u| names.sym(u));
            }
        }
        if let Some(r) = ph.region {
            loc.start_line = r.start_line;
            loc.start_column = r.start_column;
            loc.end_line = r.end_line;
            loc.end_column = r.end_column;
        }
    }
    let logical = l
        .logical_locations
        .into_iter()
        .flatten()
        .find_map(|ll| ll.fully_qualified_name.or(ll.name));
    loc.logical = logical.as_deref().map(|s| names.sym(s));
    if loc != Location::default()
        || p.uri_refs
            .last()
            .is_some_and(|r| r.0 == related && r.1 == out.len())
    {
        out.push(loc);
    }
}

fn rule_info(r: RawRule<'_>, names: &mut Interner) -> RuleInfo {
    let props = read_props(r.properties);
    let short = r.short_description.and_then(|m| m.text.or(m.markdown));
    let mut info = RuleInfo {
        id: r.id.as_deref().map(|s| names.sym(s)),
        score: None,
        cvss: props.cvss,
        severity_word: props.severity,
        pkg: props.pkg,
        messages: message_map(r.message_strings),
        ..RuleInfo::default()
    };
    info.default_level = r
        .default_configuration
        .and_then(|c| c.level)
        .and_then(|l| Level::parse(&l));
    info.score = props.score.as_deref().and_then(parse_score);
    let mut cwes = Vec::new();
    let mut tags = Vec::new();
    for t in &props.tags {
        if let Some(c) = cwe_of_tag(t) {
            push_unique(&mut cwes, names.sym(&c));
        }
        if info.severity_word.is_none() {
            info.severity_word = tag_severity(t);
        }
        push_unique(&mut tags, names.sym(t));
    }
    for c in props.cwes.iter().filter_map(|c| cwe_of_value(c)) {
        push_unique(&mut cwes, names.sym(&c));
    }
    for rel in r.relationships.into_iter().flatten() {
        let Some(t) = rel.target else { continue };
        let Some(id) = t.id.as_deref() else { continue };
        let cwe_component = t
            .tool_component
            .as_ref()
            .and_then(|c| c.name.as_deref())
            .is_some_and(|n| n.eq_ignore_ascii_case("cwe"));
        let c = if cwe_component {
            cwe_of_value(id)
        } else {
            cwe_of_tag(id)
        };
        if let Some(c) = c {
            push_unique(&mut cwes, names.sym(&c));
        }
    }
    info.cwes = cwes.into();
    info.meta = crate::model::RuleMeta {
        name: short.as_deref().or(r.name.as_deref()).map(|s| names.sym(s)),
        help_uri: r.help_uri.as_deref().map(|s| names.sym(s)),
        tags: tags.into(),
    }
    .shared();
    for text in [r.id.as_deref(), r.name.as_deref(), short.as_deref()]
        .into_iter()
        .flatten()
    {
        for id in vuln_ids(text) {
            push_unique(&mut info.vuln_ids, id);
        }
    }
    for t in &props.tags {
        for id in vuln_ids(t) {
            push_unique(&mut info.vuln_ids, id);
        }
    }
    let help = r.help.and_then(|m| m.text.or(m.markdown));
    if let Some(h) = help.as_deref() {
        let (pkg, word) = key_value_facts(h);
        if info.pkg.is_empty() {
            info.pkg = pkg;
        }
        info.severity_word = info.severity_word.or(word);
    }
    if let Some(s) = short.as_deref() {
        if info.pkg.is_empty() {
            info.pkg.name = grype_description_package(s);
        }
        info.severity_word = info.severity_word.or_else(|| description_severity(s));
    }
    info
}

impl RunCtx {
    fn rule_for(&self, f: &Finding, p: &Pending, b: &mut Builder) -> Option<&RuleInfo> {
        let run = self.index;
        let number = p.number;
        if let Some(idx) = p.rule_index {
            let comp = match (p.component, &p.extra().component_name) {
                (Some(c), _) => usize::try_from(c).ok().map(|c| c + 1),
                (None, Some(name)) => self
                    .component_names
                    .iter()
                    .skip(1)
                    .position(|n| n.as_deref() == Some(name))
                    .map(|c| c + 1),
                (None, None) => Some(0),
            };
            let rule = comp
                .and_then(|c| self.rules.get(c))
                .and_then(|rules| rules.get(usize::try_from(idx).ok()?));
            match rule {
                Some(r) => {
                    if let (Some(rid), Some(id)) = (&f.rule_id, &r.id)
                        && !same_rule(rid, id)
                    {
                        b.warn(format!(
                            "runs/{run}/results/{number}: ruleId {rid:?} is inconsistent with the rule at ruleIndex {idx} ({id:?})"
                        ));
                    }
                    return Some(r);
                }
                None => {
                    b.warn(format!(
                        "runs/{run}/results/{number}: ruleIndex {idx} is out of range for its tool component; ignored"
                    ));
                }
            }
        }
        let id = f.rule_id.as_deref()?;
        let found = self.rule_by_id.get(id).or_else(|| {
            let parent = id.split_once('/')?.0;
            self.rule_by_id.get(parent)
        });
        found.and_then(|&(c, r)| self.rules.get(c)?.get(r))
    }

    fn complete(
        &self,
        f: &mut Finding,
        mut p: Pending,
        sca_tool: bool,
        b: &mut Builder,
        resolved: &mut Resolved,
    ) {
        let rule = self.rule_for(f, &p, b);
        if let Some(r) = rule
            && f.rule_id.is_none()
        {
            f.rule_id = r.id.clone();
        }

        if let Some(m) = &p.extra().by_id {
            let template = rule
                .and_then(|r| r.messages.get(&m.id))
                .or_else(|| self.global_messages.get(&m.id))
                .or(m.markdown.as_ref());
            match template {
                Some(t) => f.message = substitute(t, &m.arguments).into(),
                None => b.warn(format!(
                    "runs/{}/results/{}: message id {:?} is not in the rule's messageStrings",
                    self.index, p.number, m.id
                )),
            }
        }

        f.level = p
            .level
            .or(rule.and_then(|r| r.default_level))
            .unwrap_or(Level::Warning);

        // The primary location's identity path, for an identity of our own
        // (not needed when the producer's fingerprints gave one).
        let own_identity = f.fingerprint.source != FingerprintSource::Producer;
        let mut identity_path: Option<Sym> = p.identity_path.take();
        for (related, pos, base, index) in &p.uri_refs {
            let list: &mut [Location] = match (*related, f.extras.as_mut()) {
                (true, Some(e)) => &mut e.related_locations,
                (true, None) => &mut [],
                (false, _) => &mut f.locations,
            };
            let Some(loc) = list.get_mut(*pos) else {
                continue;
            };
            let primary = !*related && *pos == 0;
            // An interned `uri` + `uriBaseId` pair resolves the same way for
            // every result of the run: resolved once, by identity.
            let key = loc.uri.as_ref().map(|u| Resolved::key(u, base.as_ref()));
            if let Some((full, ident)) = key.and_then(|k| resolved.0.get(&k)) {
                if primary && own_identity {
                    identity_path = Some(ident.clone());
                }
                loc.uri = Some(full.clone());
                continue;
            }
            let warnings = b.warnings.len() + b.dropped_warnings;
            let uref = UriRef {
                uri: loc.uri.as_deref().map(str::to_owned),
                base: base.as_deref().map(str::to_owned),
                index: *index,
            };
            let (full, ident) = self.resolve_location(&uref, p.number, b);
            let full = full.map(|u| b.names.sym(&u));
            let ident: Option<Sym> = ident.map(|i| normalize_path(&i).into());
            if primary {
                identity_path.clone_from(&ident);
            }
            // Only a silent resolution is reused: a warning names its result.
            if let (Some(k), Some(fu), Some(id)) = (key, &full, &ident)
                && warnings == b.warnings.len() + b.dropped_warnings
            {
                resolved.0.insert(k, (fu.clone(), id.clone()));
            }
            loc.uri = full;
        }

        let mut taxa_cwes = Vec::new();
        for (id, name, index) in &p.extra().taxa {
            let component = name.clone().or_else(|| {
                index.and_then(|i| self.taxonomies.get(usize::try_from(i).ok()?)?.clone())
            });
            let c = match component {
                Some(n) if n.eq_ignore_ascii_case("cwe") => cwe_of_value(id),
                _ => cwe_of_tag(id),
            };
            if let Some(c) = c {
                taxa_cwes.push(b.names.sym(&c));
            }
        }
        f.cwes = merge_syms(&f.cwes, taxa_cwes, rule.map(|r| &r.cwes));
        // The rule's shared meta, unless the result has tags of its own.
        let own_tags = f.meta.as_ref().map_or(&[][..], |m| &m.tags[..]);
        let rule_meta = rule.and_then(|r| r.meta.as_ref());
        let meta = match rule_meta {
            Some(m) if own_tags.is_empty() => Some(m.clone()),
            _ => crate::model::RuleMeta {
                name: rule_meta.and_then(|m| m.name.clone()),
                help_uri: rule_meta.and_then(|m| m.help_uri.clone()),
                tags: merge_syms(own_tags, Vec::new(), rule_meta.map(|m| &m.tags)),
            }
            .shared(),
        };
        f.meta = meta;

        f.score = p.score.or(rule.and_then(|r| r.score));

        f.vulnerability = vulnerability(f, rule, &p, sca_tool).map(Box::new);
        let sca = sca_tool || f.vulnerability.is_some();
        f.severity = match f.score {
            Some(s) => Severity::from_score(s),
            None => {
                let word = if sca {
                    p.severity_word
                        .or_else(|| key_value_facts(&f.message).1)
                        .or(rule.and_then(|r| r.severity_word))
                } else {
                    None
                };
                word.unwrap_or_else(|| f.level.severity())
            }
        };

        if own_identity {
            let identity_path = identity_path
                .map(|s| s.to_string())
                .or_else(|| {
                    f.locations
                        .first()
                        .and_then(|l| l.uri.as_deref())
                        .map(normalize_path)
                })
                .unwrap_or_default();
            f.fingerprint = fingerprint(f, &identity_path);
        }
    }

    /// Resolve an artifact location to `(full URI, identity path)`.
    fn resolve_location(
        &self,
        r: &UriRef,
        number: usize,
        b: &mut Builder,
    ) -> (Option<String>, Option<String>) {
        let mut uri = r.uri.clone();
        let mut base = r.base.clone();
        if uri.is_none()
            && let Some(i) = r.index
        {
            match usize::try_from(i).ok().and_then(|i| self.artifacts.get(i)) {
                Some(Some(a)) => {
                    uri.clone_from(&a.uri);
                    if base.is_none() {
                        base.clone_from(&a.base);
                    }
                }
                Some(None) => {}
                None => b.warn(format!(
                    "runs/{}/results/{number}: artifact index {i} is out of range ({} artifacts); ignored",
                    self.index,
                    self.artifacts.len()
                )),
            }
        }
        let Some(uri) = uri else { return (None, None) };
        let (full, ident) = self.resolve_uri(&uri, base.as_deref(), number, b);
        (Some(full), Some(ident))
    }

    /// Resolve `uri` against `originalUriBaseIds`, following `uriBaseId`
    /// chains. The identity part stops at the first absolute base.
    fn resolve_uri(
        &self,
        uri: &str,
        base: Option<&str>,
        number: usize,
        b: &mut Builder,
    ) -> (String, String) {
        let mut full = uri.to_owned();
        let mut ident = uri.to_owned();
        let mut ident_done = is_absolute(uri);
        let mut next = base.filter(|_| !is_absolute(uri));
        let mut depth = 0;
        while let Some(id) = next {
            depth += 1;
            if depth > MAX_BASE_DEPTH {
                b.warn(format!(
                    "runs/{}/results/{number}: uriBaseId chain from {id:?} is longer than {MAX_BASE_DEPTH} (a cycle?); left unresolved",
                    self.index
                ));
                break;
            }
            let Some(entry) = self.bases.get(id) else {
                break;
            };
            let Some(base_uri) = entry.uri.as_deref() else {
                break;
            };
            full = join_uri(base_uri, &full);
            if is_absolute(base_uri) {
                ident_done = true;
            }
            if !ident_done {
                ident = join_uri(base_uri, &ident);
            }
            if is_absolute(base_uri) {
                break;
            }
            next = entry.base.as_deref();
        }
        (full, ident)
    }
}

fn same_rule(result_id: &str, rule_id: &str) -> bool {
    result_id == rule_id
        || result_id
            .strip_prefix(rule_id)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether a URI reference is absolute: it has a scheme (`file:`, `https:`,
/// a drive letter) or starts with `/`.
fn is_absolute(uri: &str) -> bool {
    if uri.starts_with('/') {
        return true;
    }
    match uri.split_once(':') {
        Some((scheme, _)) => {
            let mut cs = scheme.chars();
            cs.next().is_some_and(|c| c.is_ascii_alphabetic())
                && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn join_uri(base: &str, rel: &str) -> String {
    let rel = rel.strip_prefix("./").unwrap_or(rel);
    if rel == "." {
        return base.to_owned();
    }
    if base.is_empty() {
        rel.to_owned()
    } else if base.ends_with('/') {
        format!("{base}{rel}")
    } else {
        format!("{base}/{rel}")
    }
}

/// Substitute `{n}` placeholders with `arguments` (SARIF §3.11.5); `{{` and
/// `}}` stand for literal braces. A placeholder without an argument stays.
fn substitute(template: &str, arguments: &[String]) -> String {
    if memchr::memchr2(b'{', b'}', template.as_bytes()).is_none() {
        return template.to_owned();
    }
    let args_len: usize = arguments.iter().map(String::len).sum();
    let mut out = String::with_capacity(template.len() + args_len);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(stripped) = tail.strip_prefix('{') {
            let digits = stripped.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0
                && stripped[digits..].starts_with('}')
                && let Some(arg) = stripped[..digits]
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| arguments.get(n))
            {
                out.push_str(arg);
                rest = &stripped[digits + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

fn parse_score(s: &str) -> Option<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (0.0..=10.0).contains(v))
}

/// The result's own list, then `more`, then the rule's, without repeats. A
/// result that adds nothing to its rule's list shares the rule's.
fn merge_syms(
    own: &[Sym],
    more: Vec<Sym>,
    rule: Option<&crate::model::Syms>,
) -> crate::model::Syms {
    if own.is_empty() && more.is_empty() {
        return rule.cloned().unwrap_or_default();
    }
    let mut out = own.to_vec();
    for x in more
        .into_iter()
        .chain(rule.into_iter().flat_map(|r| r.iter().cloned()))
    {
        push_unique(&mut out, x);
    }
    out.into()
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

// ---------------------------------------------------------------------------
// CWE
// ---------------------------------------------------------------------------

/// `CWE-N` from a taxon id of the CWE taxonomy: `79`, `CWE-79`, `079`.
fn cwe_of_value(v: &str) -> Option<String> {
    let v = v.trim();
    let digits = v
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("cwe-"))
        .map_or(v, |_| &v[4..]);
    cwe_number(digits)
}

/// `CWE-N` from a tag or an id outside the CWE taxonomy:
/// `external/cwe/cwe-079`, `CWE-79: Improper ...`, `cwe-79`.
fn cwe_of_tag(tag: &str) -> Option<String> {
    let t = tag.trim();
    let lower_prefix = |p: &str| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let rest = if lower_prefix("external/cwe/cwe-") {
        &t["external/cwe/cwe-".len()..]
    } else if lower_prefix("cwe-") || lower_prefix("cwe:") {
        t[4..].trim_start()
    } else {
        return None;
    };
    let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    cwe_number(digits)
}

fn cwe_number(digits: &str) -> Option<String> {
    let n: u32 = digits.trim().parse().ok()?;
    Some(format!("CWE-{n}"))
}

// ---------------------------------------------------------------------------
// SCA: vulnerabilities and packages
// ---------------------------------------------------------------------------

/// Producers whose results are vulnerabilities in packages.
fn is_sca_tool(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const NAMES: [&str; 14] = [
        "trivy",
        "grype",
        "dependency-check",
        "govulncheck",
        "osv-scanner",
        "npm audit",
        "pip-audit",
        "cargo-audit",
        "retire",
        "docker scout",
        "clair",
        "xray",
        "anchore",
        "bundler-audit",
    ];
    NAMES.iter().any(|k| n.contains(k)) || (n.contains("snyk") && !n.contains("code"))
}

/// Vulnerability ids in a text, in order: `CVE-`, `GHSA-`, `GO-`, `PYSEC-`,
/// `RUSTSEC-`, `OSV-`, `SNYK-` (Grype's `CVE-2005-2541-tar` gives the CVE).
fn vuln_ids(text: &str) -> Vec<String> {
    const PREFIXES: [&str; 7] = [
        "CVE-", "GHSA-", "GO-", "PYSEC-", "RUSTSEC-", "OSV-", "SNYK-",
    ];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let found = boundary
            .then(|| {
                PREFIXES
                    .iter()
                    .find(|p| bytes[i..].starts_with(p.as_bytes()))
            })
            .flatten();
        if let Some(prefix) = found {
            let rest = &text[i + prefix.len()..];
            if let Some(len) = id_body_len(prefix, rest) {
                let id = format!("{prefix}{}", &rest[..len]);
                push_unique(&mut out, id);
                i += prefix.len() + len;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn id_body_len(prefix: &str, rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let digits = |from: usize| {
        b.get(from..)
            .map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    match prefix {
        "GHSA-" => {
            let ok = b.len() >= 14
                && (0..3).all(|g| {
                    let s = &b[g * 5..g * 5 + 4];
                    s.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && (g == 2 || b[g * 5 + 4] == b'-')
                });
            ok.then_some(14)
        }
        "SNYK-" => {
            let len = b
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
                .count();
            let s = rest[..len].trim_end_matches(|c: char| !c.is_ascii_digit());
            (s.len() > 2 && s.contains('-')).then_some(s.len())
        }
        _ => {
            let year = digits(0);
            if year != 4 || b.get(4) != Some(&b'-') {
                return None;
            }
            let n = digits(5);
            let min = if prefix == "CVE-" { 4 } else { 1 };
            (n >= min).then_some(5 + n)
        }
    }
}

/// `Key: value` lines as Trivy (result message) and Grype (rule help) write
/// them: `Package`, `Installed Version` / `Version`, `Fixed Version` /
/// `Fix Version`, `Severity`.
fn key_value_facts(text: &str) -> (PkgHints, Option<Severity>) {
    let mut pkg = PkgHints::default();
    let mut word = None;
    if !text.contains('\n') {
        return (pkg, word);
    }
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        let val = (!v.is_empty()).then(|| v.to_owned());
        match k.trim() {
            "Package" | "PkgName" => pkg.name = val,
            "Installed Version" | "Version" | "InstalledVersion" => pkg.version = val,
            "Fixed Version" | "Fix Version" | "FixedVersion" => pkg.fixed = val,
            "Severity" => word = Severity::from_word(v),
            _ => {}
        }
    }
    if pkg.name.is_none() {
        pkg = PkgHints::default();
    }
    (pkg, word)
}

/// Grype's result sentences: `... reports NAME at version VERSION ...` and
/// `... package: NAME, version VERSION was found ...`.
fn grype_message_package(text: &str) -> PkgHints {
    let mut pkg = PkgHints::default();
    if let Some((_, after)) = text.split_once(" reports ") {
        if let Some((name, rest)) = after.split_once(" at version ") {
            pkg.name = Some(name.trim().to_owned()).filter(|n| !n.is_empty() && !n.contains(' '));
            pkg.version = rest.split_whitespace().next().map(str::to_owned);
        }
    } else if let Some((_, after)) = text.split_once("package: ")
        && let Some((name, rest)) = after.split_once(", version ")
    {
        pkg.name = Some(name.trim().to_owned()).filter(|n| !n.is_empty() && !n.contains(' '));
        pkg.version = rest.split_whitespace().next().map(str::to_owned);
    }
    if pkg.name.is_none() {
        pkg.version = None;
    }
    pkg
}

/// Grype's rule short description: `CVE-... low vulnerability for NAME package`.
fn grype_description_package(text: &str) -> Option<String> {
    let (_, after) = text.split_once(" vulnerability for ")?;
    let name = after.strip_suffix(" package")?.trim();
    (!name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
}

/// govulncheck: `... vulnerable package (NAME)` / `... in 1 package (NAME)`.
fn parenthesized_package(text: &str) -> Option<String> {
    let i = text.find("package (").or_else(|| text.find("packages ("))?;
    let after = &text[i..];
    let open = after.find('(')?;
    let inner = &after[open + 1..];
    let name = inner[..inner.find(')')?].split(',').next()?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// A logical location naming a package: a purl, or `name@version`
/// (Snyk Container writes `bzip2@1.0.6-8.1`).
fn logical_package(fqn: &str) -> PkgHints {
    let mut pkg = PkgHints::default();
    if fqn.starts_with("pkg:") {
        pkg.purl = Some(fqn.to_owned());
        return pkg;
    }
    if let Some(at) = fqn.rfind('@').filter(|&i| i > 0) {
        let (name, version) = (&fqn[..at], &fqn[at + 1..]);
        let clean = |s: &str| !s.is_empty() && !s.contains([':', ' ', '\t']);
        if clean(name) && clean(version) && !version.contains('/') {
            pkg.name = Some(name.to_owned());
            pkg.version = Some(version.to_owned());
        }
    }
    pkg
}

fn vulnerability(
    f: &Finding,
    rule: Option<&RuleInfo>,
    p: &Pending,
    sca_tool: bool,
) -> Option<VulnerabilityRef> {
    let mut ids = f.rule_id.as_deref().map(vuln_ids).unwrap_or_default();
    if let Some(id) = rule.and_then(|r| r.id.as_deref()) {
        for v in vuln_ids(id) {
            push_unique(&mut ids, v);
        }
    }
    if ids.is_empty() && !sca_tool {
        return None;
    }
    if let Some(r) = rule {
        for v in &r.vuln_ids {
            push_unique(&mut ids, v.clone());
        }
    }
    for text in std::iter::once(&*f.message).chain(f.tags().iter().map(|t| &**t)) {
        for v in vuln_ids(text) {
            push_unique(&mut ids, v);
        }
    }
    let mut ids = ids.into_iter();
    let id = ids.next()?;
    let aliases: Vec<String> = ids.collect();

    let logical = || {
        f.locations
            .iter()
            .filter_map(|l| l.logical.as_deref())
            .map(logical_package)
            .find(|p| !p.is_empty())
    };
    let candidates = [
        Some(p.extra().pkg.clone()),
        Some(key_value_facts(&f.message).0),
        Some(grype_message_package(&f.message)),
        logical(),
        rule.map(|r| r.pkg.clone()),
        parenthesized_package(&f.message).map(|name| PkgHints {
            name: Some(name),
            ..PkgHints::default()
        }),
    ];
    let package = candidates
        .into_iter()
        .flatten()
        .find(|c| !c.is_empty())
        .map(|mut c| {
            if let Some(r) =
                rule.filter(|r| c.fixed.is_none() && r.pkg.name.is_some() && r.pkg.name == c.name)
            {
                c.fixed.clone_from(&r.pkg.fixed);
            }
            if let Some(parts) = c.purl.as_deref().and_then(parse_purl) {
                c.name.get_or_insert(parts.name);
                if let Some(v) = parts.version {
                    c.version.get_or_insert(v);
                }
            }
            PackageRef {
                name: c.name.map(Sym::from),
                version: c.version.map(Sym::from),
                purl: c.purl.map(Sym::from),
                fixed_version: c.fixed.map(Sym::from),
            }
        });
    let mut cvss = p.extra().cvss.clone();
    for v in rule.map(|r| r.cvss.as_slice()).unwrap_or_default() {
        push_unique(&mut cvss, v.clone());
    }
    Some(VulnerabilityRef {
        id,
        aliases,
        package,
        cvss_vectors: cvss,
    })
}

// ---------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------

/// Most lists of fingerprint keys a log's findings share (a log's results
/// nearly all use one or two).
const SHARED_KEY_LISTS: usize = 8;

/// The list of these producer fingerprint keys (sorted, unique): one that
/// earlier findings use when it has the same keys, else a new one, kept in
/// `lists` for the findings after. `lists` holds the most recently used
/// first, at most [`SHARED_KEY_LISTS`] of them.
fn key_list(
    lists: &mut Vec<crate::model::Syms>,
    names: &mut Interner,
    keys: &[Txt<'_>],
) -> crate::model::Syms {
    if keys.is_empty() {
        return crate::model::Syms::default();
    }
    let same = |l: &crate::model::Syms| {
        l.len() == keys.len() && l.iter().zip(keys).all(|(a, b)| **a == **b)
    };
    if let Some(i) = lists.iter().position(same) {
        lists[..=i].rotate_right(1);
        return lists[0].clone();
    }
    let list: crate::model::Syms = keys.iter().map(|k| names.sym(k)).collect();
    if lists.len() == SHARED_KEY_LISTS {
        lists.pop();
    }
    lists.insert(0, list.clone());
    list
}

/// A finding's fingerprint (decision model §1): the producer's fingerprints
/// when given; for SCA, vulnerability + package + version; otherwise rule
/// identity + path + [`message_basis`].
fn fingerprint(f: &Finding, identity_path: &str) -> Fingerprint {
    if !f.producer_fingerprints.is_empty() {
        return Fingerprint::from_producer(f.rule_id.as_deref(), &f.producer_fingerprints);
    }
    if let Some(v) = &f.vulnerability {
        let pkg = v.package.as_ref();
        let base = pkg
            .and_then(|p| p.purl.as_deref())
            .and_then(parse_purl)
            .map(|parts| parts.base())
            .or_else(|| pkg.and_then(|p| p.name.as_deref()).map(str::to_owned))
            .unwrap_or_else(|| identity_path.to_owned());
        let version = pkg.and_then(|p| p.version.as_deref()).unwrap_or("");
        return Fingerprint::for_package(&v.id, &base, version);
    }
    Fingerprint::for_code(
        &rule_identity(f),
        identity_path,
        &message_basis(&f.message),
        FingerprintSource::Message,
    )
}

/// Tool-independent rule identity: the CWEs (sorted), else the rule id.
fn rule_identity(f: &Finding) -> String {
    if f.cwes.is_empty() {
        return f.rule_id.as_deref().unwrap_or("").to_owned();
    }
    let mut cwes: Vec<&str> = f.cwes.iter().map(|c| &**c).collect();
    cwes.sort_unstable();
    cwes.join(",")
}

/// The fallback basis of a code finding's identity when no source window is
/// available: the message with numbers and whitespace normalized.
pub fn message_basis(message: &str) -> String {
    normalize_message(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(runs: &str) -> String {
        format!(r#"{{"version": "2.1.0", "runs": [{runs}]}}"#)
    }

    fn read(text: &str) -> Document {
        parse(Path::new("t.sarif"), text).unwrap()
    }

    fn err(text: &str) -> String {
        parse(Path::new("t.sarif"), text).unwrap_err().to_string()
    }

    const RULES: &str = r#""tool": {"driver": {"name": "T", "rules": [
        {"id": "R1", "defaultConfiguration": {"level": "error"}},
        {"id": "R2", "properties": {"security-severity": "9.1"}},
        {"id": "R3"}]}}"#;

    #[test]
    fn level_and_severity_resolution_order() {
        let d = read(&log(&format!(
            r#"{{{RULES}, "results": [
            {{"ruleId": "R1", "level": "note", "message": {{"text": "a"}}}},
            {{"ruleId": "R1", "message": {{"text": "b"}}}},
            {{"ruleId": "R3", "message": {{"text": "c"}}}},
            {{"ruleId": "R2", "level": "note", "message": {{"text": "d"}}}},
            {{"ruleId": "R3", "message": {{"text": "e"}}, "properties": {{"security-severity": 2.5}}}},
            {{"ruleId": "R3", "level": "loud", "message": {{"text": "f"}}}}]}}"#
        )));
        let got: Vec<(Level, Severity)> =
            d.findings.iter().map(|f| (f.level, f.severity)).collect();
        assert_eq!(
            got,
            [
                (Level::Note, Severity::Info),
                (Level::Error, Severity::High),
                (Level::Warning, Severity::Medium),
                (Level::Note, Severity::Critical),
                (Level::Warning, Severity::Low),
                (Level::Warning, Severity::Medium),
            ]
        );
        assert_eq!(d.findings[3].score, Some(9.1));
        assert!(
            d.warnings.iter().any(|w| w.contains("\"loud\"")),
            "{:?}",
            d.warnings
        );
        assert_eq!(d.stats.rules, Some(3));
    }

    #[test]
    fn message_arguments_and_message_strings() {
        assert_eq!(
            substitute("{0} in {1}, {{literal}} {2}", &["a".into(), "b".into()]),
            "a in b, {literal} {2}"
        );
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "T", "rules": [{"id": "R", "messageStrings": {"m": {"text": "bad {0}"}}}]}},
            "results": [{"ruleId": "R", "message": {"id": "m", "arguments": ["x"]}},
                        {"ruleId": "R", "message": {"markdown": "**{0}**", "arguments": ["y"]}}]}"#,
        ));
        assert_eq!(&*d.findings[0].message, "bad x");
        assert_eq!(&*d.findings[1].message, "**y**");
    }

    #[test]
    fn uris_resolve_through_base_id_chains_and_artifacts() {
        let d = read(&log(r#"{"tool": {"driver": {"name": "T"}},
            "results": [
              {"message": {"text": "a"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "io/kb.c", "uriBaseId": "SRCROOT"}}}]},
              {"message": {"text": "b"}, "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}]},
              {"message": {"text": "c"}, "locations": [{"physicalLocation": {"artifactLocation": {"index": 9}}}]}],
            "artifacts": [{"location": {"uri": "x.log", "uriBaseId": "LOGS"}}],
            "originalUriBaseIds": {"REPOROOT": {}, "SRCROOT": {"uri": "src/", "uriBaseId": "REPOROOT"},
                                   "LOGS": {"uri": "file:///C:/logs/"}}}"#));
        let uri = |i: usize| {
            d.findings[i]
                .locations
                .first()
                .and_then(|l| l.uri.as_deref().map(str::to_owned))
        };
        assert_eq!(uri(0).as_deref(), Some("src/io/kb.c"));
        assert_eq!(uri(1).as_deref(), Some("file:///C:/logs/x.log"));
        assert_eq!(uri(2), None);
        assert!(
            d.warnings.iter().any(|w| w.contains("artifact index 9")),
            "{:?}",
            d.warnings
        );
    }

    #[test]
    fn short_lists_in_place_keep_order_and_the_first_of_equal_items() {
        for n in 0..6usize {
            let few: Few<(usize, usize)> = (0..n).map(|i| (i / 2, i)).collect();
            assert_eq!(few.as_slice().len(), n);
            let mut few = few;
            few.dedup_by(|later, earlier| later.0 == earlier.0);
            let kept: Vec<(usize, usize)> = few.into_iter().collect();
            let want: Vec<(usize, usize)> = (0..n).step_by(2).map(|i| (i / 2, i)).collect();
            assert_eq!(kept, want, "{n}");
        }
        let mut few: Few<u8> = [3, 1, 2].into_iter().collect();
        few.as_mut_slice().sort();
        assert_eq!(few.into_iter().collect::<Vec<_>>(), [1, 2, 3]);

        for (json, len) in [("[]", 0), ("[1]", 1), ("[1,2]", 2), ("[1,2,3]", 3)] {
            let items: OneOrMany<u8> = serde_json::from_str(json).unwrap();
            assert_eq!(items.len(), len);
            let got: Vec<u8> = items.into_iter().collect();
            assert_eq!(got, (1..=len as u8).collect::<Vec<_>>());
        }
        let e = serde_json::from_str::<OneOrMany<u8>>("{}").err().unwrap();
        assert!(e.to_string().contains("expected a sequence"), "{e}");
    }

    #[test]
    fn a_resolution_is_reused_within_its_run_only_and_warnings_stay_per_result() {
        let result = |uri: &str, base: &str| {
            format!(
                r#"{{"message": {{"text": "m"}}, "locations": [{{"physicalLocation": {{"artifactLocation": {{"uri": "{uri}", "uriBaseId": "{base}"}}}}}}]}}"#
            )
        };
        let run = |root: &str| {
            format!(
                r#"{{"tool": {{"driver": {{"name": "T"}}}}, "results": [{}, {}, {}, {}],
                "originalUriBaseIds": {{"SRC": {{"uri": "{root}"}}, "A": {{"uri": "a/", "uriBaseId": "B"}}, "B": {{"uri": "b/", "uriBaseId": "A"}}}}}}"#,
                result("x.c", "SRC"),
                result("x.c", "SRC"),
                result("y.c", "A"),
                result("y.c", "A"),
            )
        };
        let text = format!(
            r#"{{"version": "2.1.0", "runs": [{}, {}]}}"#,
            run("file:///one/"),
            run("file:///two/")
        );
        let d = read(&text);
        let uri = |i: usize| d.findings[i].locations[0].uri.as_deref().unwrap_or("");
        assert_eq!(uri(0), "file:///one/x.c");
        assert_eq!(uri(1), "file:///one/x.c");
        assert_eq!(uri(4), "file:///two/x.c");
        assert_eq!(uri(5), "file:///two/x.c");
        // Same identity path (the part below the absolute base) in both
        // runs, for the result that resolved it and for the one that found
        // it resolved already.
        for i in [1, 4, 5] {
            assert_eq!(d.findings[0].fingerprint, d.findings[i].fingerprint, "{i}");
        }
        // The cyclic chain warns once per result that uses it, in each run.
        let cycles: Vec<&String> = d
            .warnings
            .iter()
            .filter(|w| w.contains("a cycle?"))
            .collect();
        assert_eq!(cycles.len(), 4, "{:?}", d.warnings);
        assert!(cycles[0].contains("runs/0/results/2") && cycles[3].contains("runs/1/results/3"));
    }

    #[test]
    fn results_before_and_after_the_run_parts_they_need_read_the_same() {
        let results = r#""results": [
              {"ruleId": "R", "message": {"id": "m", "arguments": ["x"]}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.c", "uriBaseId": "SRC"}}}]},
              {"ruleIndex": 0, "message": {"text": "t"}, "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}]},
              {"ruleIndex": 5, "message": {"text": "u"}}]"#;
        let parts = r#""tool": {"driver": {"name": "T", "rules": [{"id": "R", "messageStrings": {"m": {"text": "got {0}"}}}]}},
            "originalUriBaseIds": {"SRC": {"uri": "file:///src/"}},
            "artifacts": [{"location": {"uri": "b.c", "uriBaseId": "SRC"}}]"#;
        let before = read(&log(&format!("{{{parts}, {results}}}")));
        let after = read(&log(&format!("{{{results}, {parts}}}")));
        for d in [&before, &after] {
            let f = &d.findings;
            assert_eq!(&*f[0].message, "got x");
            assert_eq!(f[0].locations[0].uri.as_deref(), Some("file:///src/a.c"));
            assert_eq!(f[1].rule_id.as_deref(), Some("R"));
            assert_eq!(f[1].locations[0].uri.as_deref(), Some("file:///src/b.c"));
            assert_eq!(&*f[2].tool.name, "T");
        }
        assert_eq!(before.findings, after.findings);
        assert_eq!(before.warnings, after.warnings);
    }

    #[test]
    fn a_run_part_given_twice_is_an_error() {
        for part in [
            r#""tool": {"driver": {"name": "T"}}"#,
            r#""originalUriBaseIds": {}"#,
            r#""artifacts": []"#,
            r#""taxonomies": []"#,
        ] {
            let e = err(&log(&format!(
                r#"{{"tool": {{"driver": {{"name": "T"}}}}, "originalUriBaseIds": {{}}, "artifacts": [],
                "taxonomies": [], "results": [], {part}}}"#
            )));
            let name = part.split('"').nth(1).unwrap_or_default();
            assert!(
                e.contains(&format!("duplicate field `{name}`")) && e.contains("/runs/0"),
                "{e}"
            );
        }
    }

    #[test]
    fn rule_index_lookup_with_extensions_and_bad_indexes() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "T", "rules": [{"id": "D0"}]},
                         "extensions": [{"name": "E", "rules": [{"id": "E0", "name": "ext rule"}, {"id": "E1"}]}]},
            "results": [
              {"rule": {"index": 1, "toolComponent": {"index": 0}}, "message": {"text": "a"}},
              {"ruleIndex": 0, "message": {"text": "b"}},
              {"ruleIndex": 7, "ruleId": "Z", "message": {"text": "c"}},
              {"ruleId": "X", "ruleIndex": 0, "message": {"text": "d"}}]}"#,
        ));
        let ids: Vec<Option<&str>> = d.findings.iter().map(|f| f.rule_id.as_deref()).collect();
        assert_eq!(ids, [Some("E1"), Some("D0"), Some("Z"), Some("X")]);
        assert!(
            d.warnings
                .iter()
                .any(|w| w.contains("ruleIndex 7 is out of range"))
        );
        assert!(d.warnings.iter().any(|w| w.contains("inconsistent")));
        assert_eq!(d.stats.rules, Some(3));
    }

    #[test]
    fn cwes_from_taxa_relationships_tags_and_properties() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "T", "rules": [{"id": "R",
                "properties": {"tags": ["security", "external/cwe/cwe-079"]},
                "relationships": [{"target": {"id": "CWE-89", "toolComponent": {"name": "CWE"}}}]}]}},
            "taxonomies": [{"name": "CWE"}],
            "results": [{"ruleId": "R", "message": {"text": "a"},
                "taxa": [{"id": "22", "toolComponent": {"index": 0}}],
                "properties": {"tags": ["CWE-798: Use of Hard-coded Credentials"], "cwe": ["CWE-400"]}}]}"#,
        ));
        let cwes: Vec<&str> = d.findings[0].cwes.iter().map(|c| &**c).collect();
        assert_eq!(cwes, ["CWE-798", "CWE-400", "CWE-22", "CWE-79", "CWE-89"]);
        assert_eq!(
            cwe_of_tag("external/cwe/cwe-079").as_deref(),
            Some("CWE-79")
        );
        assert_eq!(cwe_of_tag("security"), None);
    }

    #[test]
    fn a_rules_name_help_and_tags_are_shared_by_its_findings() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "T", "rules": [{"id": "R", "name": "Rule",
                "helpUri": "https://r", "properties": {"tags": ["security"]}}]}},
            "results": [{"ruleId": "R", "message": {"text": "a"}},
                {"ruleId": "R", "message": {"text": "b"}},
                {"ruleId": "R", "message": {"text": "c"}, "properties": {"tags": ["mine"]}},
                {"message": {"text": "d"}, "properties": {"tags": ["alone"]}},
                {"message": {"text": "e"}}]}"#,
        ));
        let f = &d.findings;
        let (Some(a), Some(b)) = (&f[0].meta, &f[1].meta) else {
            panic!("findings of a rule carry its meta");
        };
        assert!(Arc::ptr_eq(a, b));
        assert_eq!(
            (f[0].rule_name(), f[0].help_uri()),
            (Some("Rule"), Some("https://r"))
        );
        let tags = |i: usize| f[i].tags().iter().map(|t| &**t).collect::<Vec<_>>();
        assert_eq!(tags(0), ["security"]);
        // Own tags first, then the rule's; the rule's name and URI kept.
        assert_eq!(tags(2), ["mine", "security"]);
        assert_eq!(f[2].rule_name(), Some("Rule"));
        assert_eq!(tags(3), ["alone"]);
        assert_eq!(f[3].rule_name(), None);
        assert!(f[4].meta.is_none());
    }

    #[test]
    fn trivy_like_result_is_a_package_vulnerability() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "Trivy", "version": "0.42.1", "rules": [{"id": "CVE-2019-1549",
                "name": "OsPackageVulnerability", "properties": {"security-severity": "5.3",
                "cvssv3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "tags": ["vulnerability", "MEDIUM"]}}]}},
            "results": [{"ruleId": "CVE-2019-1549", "ruleIndex": 0, "level": "warning",
                "message": {"text": "Package: libcrypto1.1\nInstalled Version: 1.1.1c-r0\nVulnerability CVE-2019-1549\nSeverity: MEDIUM\nFixed Version: 1.1.1d-r0\nLink: [CVE-2019-1549](https://avd.aquasec.com/nvd/cve-2019-1549)"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "library/nginx", "uriBaseId": "ROOTPATH"}}}]}],
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}}}"#,
        ));
        let f = &d.findings[0];
        let v = f.vulnerability.as_ref().unwrap();
        assert_eq!(v.id, "CVE-2019-1549");
        let p = v.package.as_ref().unwrap();
        assert_eq!(p.name.as_deref(), Some("libcrypto1.1"));
        assert_eq!(p.version.as_deref(), Some("1.1.1c-r0"));
        assert_eq!(p.fixed_version.as_deref(), Some("1.1.1d-r0"));
        assert_eq!(v.cvss_vectors.len(), 1);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(
            f.fingerprint,
            Fingerprint::for_package("CVE-2019-1549", "libcrypto1.1", "1.1.1c-r0")
        );
        assert_eq!(f.locations[0].uri.as_deref(), Some("file:///library/nginx"));
    }

    #[test]
    fn grype_like_result_is_a_package_vulnerability() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "Grype", "rules": [{"id": "CVE-2005-2541-tar",
                "shortDescription": {"text": "CVE-2005-2541 low vulnerability for tar package"},
                "help": {"text": "Vulnerability CVE-2005-2541\nSeverity: low\nPackage: tar\nVersion: 1.34\nFix Version: 1.35\nType: deb"}}]}},
            "results": [{"ruleId": "CVE-2005-2541-tar",
                "message": {"text": "The path /usr/share/doc/tar/copyright reports tar at version 1.34  which is a vulnerable (deb) package installed in the container"}}]}"#,
        ));
        let f = &d.findings[0];
        let v = f.vulnerability.as_ref().unwrap();
        assert_eq!(v.id, "CVE-2005-2541");
        let p = v.package.as_ref().unwrap();
        assert_eq!(
            (p.name.as_deref(), p.version.as_deref()),
            (Some("tar"), Some("1.34"))
        );
        assert_eq!(p.fixed_version.as_deref(), Some("1.35"));
        assert_eq!(f.severity, Severity::Low, "no score: the producer's word");
        assert_eq!(f.fingerprint.source, FingerprintSource::Package);
    }

    #[test]
    fn code_fingerprint_ignores_line_numbers_in_message() {
        let one = |line: u32| {
            let d = read(&log(&format!(
                r#"{{"tool": {{"driver": {{"name": "T"}}}}, "results": [{{"ruleId": "R", "message": {{"text": "unused at line {line}"}},
                "locations": [{{"physicalLocation": {{"artifactLocation": {{"uri": "./src/a.c"}}, "region": {{"startLine": {line}}}}}}}]}}]}}"#
            )));
            d.findings[0].fingerprint.clone()
        };
        assert_eq!(one(3), one(40));
        assert_eq!(one(3).source, FingerprintSource::Message);
    }

    #[test]
    fn producer_fingerprints_keep_their_keys() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "T"}}, "results": [{"ruleId": "R", "message": {"text": "m"},
                "fingerprints": {"a/v1": "1"}, "partialFingerprints": {"primaryLocationLineHash": "h:1", "a/v1": "2"}}]}"#,
        ));
        let f = &d.findings[0];
        assert_eq!(f.producer_fingerprints.get("a/v1"), Some("1"));
        assert_eq!(f.producer_fingerprints.len(), 2);
        assert_eq!(
            f.fingerprint,
            Fingerprint::from_producer(Some("R"), &f.producer_fingerprints)
        );
    }

    #[test]
    fn findings_with_the_same_fingerprint_keys_share_one_list_of_them() {
        let result = |keys: &str| {
            format!(
                r#"{{"ruleId": "R", "message": {{"text": "m"}}, "partialFingerprints": {keys}}}"#
            )
        };
        let results = [
            result(r#"{"b": "1", "a": "2"}"#),
            result(r#"{"a": "3", "b": "4"}"#),
            result(r#"{"a": "5"}"#),
            result(r#"{"b": "6", "a": "7"}"#),
            result("{}"),
        ];
        let d = read(&log(&format!(
            r#"{{"tool": {{"driver": {{"name": "T"}}}}, "results": [{}]}}"#,
            results.join(",")
        )));
        let fps: Vec<_> = d
            .findings
            .iter()
            .map(|f| &f.producer_fingerprints)
            .collect();
        let keys = |i: usize| fps[i].keys().as_ptr();
        assert_eq!(keys(0), keys(1));
        assert_eq!(keys(0), keys(3));
        assert_ne!(keys(0), keys(2));
        let pairs = |i: usize| fps[i].iter().collect::<Vec<_>>();
        assert_eq!(pairs(0), [("a", "2"), ("b", "1")]);
        assert_eq!(pairs(1), [("a", "3"), ("b", "4")]);
        assert_eq!(pairs(2), [("a", "5")]);
        assert_eq!(pairs(3), [("a", "7"), ("b", "6")]);
        assert!(fps[4].is_empty());
    }

    #[test]
    fn a_fingerprint_key_repeated_in_one_object_keeps_its_last_value() {
        let d = read(&log(
            r#"{"tool": {"driver": {"name": "T"}}, "results": [{"ruleId": "R", "message": {"text": "m"},
                "partialFingerprints": {"k/v1": "first", "esc\u0061ped": "x\ny", "k/v1": "last"}}]}"#,
        ));
        let f = &d.findings[0];
        assert_eq!(f.producer_fingerprints.get("k/v1"), Some("last"));
        assert_eq!(f.producer_fingerprints.get("escaped"), Some("x\ny"));
        assert_eq!(f.producer_fingerprints.len(), 2);
        let e = err(&log(
            r#"{"tool": {"driver": {"name": "T"}}, "results": [{"message": {"text": "m"},
                "fingerprints": {"k": 1}}]}"#,
        ));
        assert!(
            e.contains("/runs/0/results/0/fingerprints/k") && e.contains("expected a string"),
            "{e}"
        );
    }

    #[test]
    fn versions_other_than_2_1_0_are_refused() {
        for v in ["1.0.0", "2.0.0", "2.0.0-csd.2.beta.2019-02-20", "2.2"] {
            let e = err(&format!(r#"{{"version": "{v}", "runs": []}}"#));
            assert!(
                e.contains("at /version") && e.contains("unsupported SARIF version"),
                "{e}"
            );
        }
        let e = err(r#"{"runs": [{"tool": {"driver": {"name": "T"}}}], "version": "2.0.0"}"#);
        assert!(e.contains("unsupported SARIF version \"2.0.0\""), "{e}");
        assert!(err(r#"{"runs": []}"#).contains("no \"version\""));
        assert!(err(r#"{"version": 2, "runs": []}"#).contains("at /version"));
    }

    #[test]
    fn empty_and_null_runs_ingest() {
        let d = read(r#"{"version": "2.1.0", "runs": null}"#);
        assert_eq!(d.stats.runs, Some(0));
        let d = read(
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": null}}, "results": null}]}"#,
        );
        assert_eq!((d.stats.runs, d.stats.results), (Some(1), Some(0)));
        assert_eq!(&*d.producers[0].name, "unknown");
        assert_eq!(d.warnings.len(), 1);
    }

    #[test]
    fn stack_without_frames_is_refused_with_its_pointer() {
        let e = err(&log(
            r#"{"tool": {"driver": {"name": "CodeScanner"}}, "results": [{"message": {"text": "x"},
                "properties": {"a": [1, 2]}, "stacks": [{}]}]}"#,
        ));
        assert!(e.contains("at /runs/0/results/0/stacks/0"), "{e}");
        assert!(e.contains("missing field `frames`"), "{e}");
        let e = err(&log(
            r#"{"results": [{"message": {"text": "x"}, "locations": [{"physicalLocation": {"region": {"startLine": "3"}}}]}]}"#,
        ));
        assert!(
            e.contains("/runs/0/results/0/locations/0/physicalLocation/region/startLine"),
            "{e}"
        );
    }

    #[test]
    fn results_before_tool_still_resolve_rules() {
        let d = read(&log(
            r#"{"results": [{"ruleIndex": 1, "message": {"text": "m"}}],
               "tool": {"driver": {"name": "T", "rules": [{"id": "A"}, {"id": "B", "defaultConfiguration": {"level": "error"},
                        "shortDescription": {"text": "Bee"}, "helpUri": "https://b"}]}}}"#,
        ));
        let f = &d.findings[0];
        assert_eq!(f.rule_id.as_deref(), Some("B"));
        assert_eq!(f.rule_name(), Some("Bee"));
        assert_eq!(f.level, Level::Error);
        assert_eq!(&*f.tool.name, "T");
    }

    #[test]
    fn property_names_are_matched_by_their_letters_and_digits() {
        let mut buf = [0u8; 64];
        assert_eq!(prop_key("security-severity", &mut buf), "securityseverity");
        assert_eq!(prop_key("CVSS_V3.1 Vector", &mut buf), "cvssv31vector");
        assert_eq!(prop_key("Schweregrad-ä", &mut buf), "schweregrad");
        assert_eq!(prop_key("", &mut buf), "");
        // Longer than the buffer: the same reduction, on the heap.
        let long = format!("{}-Vector", "a-b".repeat(40));
        let k = prop_key(&long, &mut buf);
        assert_eq!(k.len(), 86);
        assert!(k.starts_with("abab") && k.ends_with("vector"));
        let exact = "x".repeat(64);
        assert_eq!(prop_key(&exact, &mut buf), exact);
    }

    #[test]
    fn properties_are_kept_compact() {
        let d = read(&log(r#"{"tool": {"driver": {"name": "T"}}, "results": [
                {"message": {"text": "m"}, "properties": { "k" : "a b",  "n": [1, 2] }},
                {"message": {"text": "m"}, "properties": {}},
                {"message": {"text": "m"}, "properties": {"q":"\" é ","x":1}},
                {"message": {"text": "m"}, "properties": {
                    "q" : "\\" , "é" : "ü \" x" }}]}"#));
        assert_eq!(
            d.findings[0].properties.as_deref(),
            Some(r#"{"k":"a b","n":[1,2]}"#)
        );
        assert_eq!(d.findings[1].properties, None);
        assert_eq!(
            d.findings[2].properties.as_deref(),
            Some(r#"{"q":"\" é ","x":1}"#)
        );
        assert_eq!(
            d.findings[3].properties.as_deref(),
            Some(r#"{"q":"\\","é":"ü \" x"}"#)
        );
    }

    #[test]
    fn vulnerability_ids_are_found_in_text() {
        assert_eq!(vuln_ids("CVE-2005-2541-tar"), ["CVE-2005-2541"]);
        assert_eq!(
            vuln_ids("[GO-2026-4864] x, GHSA-abcd-1234-wxyz"),
            ["GO-2026-4864", "GHSA-abcd-1234-wxyz"]
        );
        assert_eq!(
            vuln_ids("SNYK-LINUX-BZIP2-106947"),
            ["SNYK-LINUX-BZIP2-106947"]
        );
        assert!(vuln_ids("XCVE-2020-1234 CVE-20").is_empty());
    }
}
