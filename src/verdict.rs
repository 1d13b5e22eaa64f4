//! Verdict: the run's decision, reasons and per-finding decisions.
//!
//! Input: a [`Run`] and the [`PolicyOutcome`] of evaluating it. Output:
//! [`Verdict`], whose JSON serialization is the versioned wire format
//! (`schema_version`) that `--format json` prints and the evidence store
//! records. Building it is deterministic: same run, same policy, same
//! verdict, byte for byte (the run's time is injectable).

use crate::correlate::{Correlation, Group, Noise, Strategies};
use crate::lifecycle::{Fixed, Lifecycle, Status};
use crate::model::{Severity, Tool};
use crate::policy::{PolicyInfo, PolicyOutcome};
use crate::run::{InputSummary, Run};
use crate::waiver::Waiver;
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the verdict JSON format.
pub const SCHEMA_VERSION: &str = "fixops.verdict/v1";

/// A gate decision, ordered by severity: `Allow < Defer < Block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Decision {
    /// Release may proceed.
    #[default]
    Allow,
    /// A human must review (exit code 3 unless remapped).
    Defer,
    /// Release must stop.
    Block,
}

impl Decision {
    /// `ALLOW`, `DEFER` or `BLOCK`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "ALLOW",
            Decision::Defer => "DEFER",
            Decision::Block => "BLOCK",
        }
    }

    /// Parse a policy's word (case-insensitive).
    pub fn parse(s: &str) -> Option<Decision> {
        match s.to_ascii_uppercase().as_str() {
            "ALLOW" => Some(Decision::Allow),
            "DEFER" => Some(Decision::Defer),
            "BLOCK" => Some(Decision::Block),
            _ => None,
        }
    }

    /// The process exit code for this decision (decision model §8), with
    /// DEFER remappable.
    pub fn exit_code(self, defer_exit_code: u8) -> u8 {
        match self {
            Decision::Allow => 0,
            Decision::Block => 1,
            Decision::Defer => defer_exit_code,
        }
    }
}

/// One policy rule's verdict on a finding or on the run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RuleHit {
    /// BLOCK or DEFER.
    pub decision: Decision,
    /// The policy rule id (e.g. `FX-GATE-001`).
    pub rule: String,
    /// The policy's message.
    pub message: String,
    /// Compliance controls the rule cites.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
}

/// A reason for the run's verdict: one policy rule and how often it fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// BLOCK or DEFER.
    pub decision: Decision,
    /// Policy rule id.
    pub rule: String,
    /// The message (for rules that fired on findings: the first finding's).
    pub message: String,
    /// Number of findings it fired on (0 for run-level rules).
    pub findings: usize,
}

/// Counts over the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Input files.
    pub inputs: usize,
    /// Findings.
    pub findings: usize,
    /// Issues (findings that are the same problem counted once).
    pub issues: usize,
    /// Issues by lifecycle status, plus `fixed`.
    pub by_lifecycle: BTreeMap<&'static str, usize>,
    /// Issues suppressed by a VEX statement.
    pub vex_suppressed: usize,
    /// Issues waived.
    pub waived: usize,
    /// Findings by decision.
    pub by_decision: BTreeMap<Decision, usize>,
    /// Findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Findings suppressed at the source (SARIF suppressions).
    pub suppressed: usize,
    /// Components.
    pub components: usize,
    /// Component relationships.
    pub relationships: usize,
    /// VEX statements.
    pub statements: usize,
}

/// What the verdict adds to one finding of the run (the finding itself
/// stays in the run and is shared, not copied: a 200k-result log would
/// otherwise be held twice).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Index of its issue in [`Verdict::issues`].
    pub issue: u32,
    /// The decision for this finding.
    pub decision: Decision,
    /// Suppressed at the source.
    pub suppressed: bool,
    /// Policy rules that fired on it: an index into [`Verdict::rule_sets`]
    /// (findings the policy could not tell apart share one list).
    pub rules: u32,
}

/// A finding as the verdict reports it: a view joining the run's finding
/// with its [`Outcome`] and its issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingVerdict<'a> {
    /// Position in the run (stable for one run).
    pub index: usize,
    /// The issue it belongs to.
    pub issue: &'a crate::correlate::IssueId,
    /// Stable identity.
    pub fingerprint: &'a str,
    /// Producer.
    pub tool: &'a str,
    /// Rule id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<&'a str>,
    /// Severity.
    pub severity: Severity,
    /// Numeric score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// `path:line` of the first location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationLabel<'a>>,
    /// Vulnerability id (SCA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<&'a str>,
    /// Affected package purl or name@version (SCA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageLabel<'a>>,
    /// Fixed version (SCA), when the producer states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<&'a str>,
    /// Message.
    pub message: &'a str,
    /// Suppressed at the source.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// Its issue's lifecycle.
    pub lifecycle: Status,
    /// Its issue's VEX status, when a statement applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<crate::model::VexStatus>,
    /// The waiver that applies to its issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<&'a str>,
    /// The decision for this finding.
    pub decision: Decision,
    /// Policy rules that fired on it.
    #[serde(skip_serializing_if = "<[RuleHit]>::is_empty")]
    pub rules: &'a [RuleHit],
}

/// `path:line` (or `path`) of a finding's first location, formatted when
/// shown or serialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocationLabel<'a> {
    /// Location URI.
    pub uri: &'a str,
    /// Start line.
    pub line: Option<u32>,
}

impl std::fmt::Display for LocationLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.uri),
            None => f.write_str(self.uri),
        }
    }
}

impl Serialize for LocationLabel<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.line {
            Some(line) => crate::model::serialize_concat(
                s,
                &[self.uri, ":", itoa::Buffer::new().format(line)],
            ),
            None => s.serialize_str(self.uri),
        }
    }
}

/// An SCA finding's package: its purl, else `name@version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageLabel<'a> {
    /// A purl.
    Purl(&'a str),
    /// Name and optional version.
    Name(&'a str, Option<&'a str>),
}

impl std::fmt::Display for PackageLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackageLabel::Purl(p) => f.write_str(p),
            PackageLabel::Name(n, Some(v)) => write!(f, "{n}@{v}"),
            PackageLabel::Name(n, None) => f.write_str(n),
        }
    }
}

impl Serialize for PackageLabel<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PackageLabel::Purl(p) | PackageLabel::Name(p, None) => s.serialize_str(p),
            PackageLabel::Name(n, Some(v)) => crate::model::serialize_concat(s, &[n, "@", v]),
        }
    }
}

/// An issue as the verdict reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueVerdict {
    /// Stable id.
    pub id: crate::correlate::IssueId,
    /// Identity across runs.
    pub identity: crate::correlate::Identity,
    /// `new`, `unchanged`, `reintroduced` or `absent`.
    pub lifecycle: Status,
    /// First seen.
    pub first_seen: crate::model::Sym,
    /// Highest member severity.
    pub severity: Severity,
    /// Alias-resolved vulnerability (SCA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<crate::model::Sym>,
    /// Tools that reported it (one list shared by the issues with the same
    /// tools).
    pub tools: crate::model::Syms,
    /// Member findings (indices into `findings`). Boxed slices here and
    /// below: the verdict of a 200k-issue run holds 200k of these, and none
    /// grows.
    pub findings: Box<[u32]>,
    /// Member fingerprints.
    pub fingerprints: Box<[crate::model::Sym]>,
    /// Strategies that merged its findings.
    #[serde(skip_serializing_if = "Strategies::is_empty")]
    pub merged_by: Strategies,
    /// VEX statement, waiver and SBOM component, when any applies (its
    /// members appear in the issue's JSON as its own).
    #[serde(flatten)]
    pub extras: Option<Box<IssueExtras>>,
    /// Scoring at a glance (full factors in `assessments`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<std::sync::Arc<crate::score::RiskSummary>>,
    /// The issue's decision (most severe of its findings').
    pub decision: Decision,
}

/// What only some issues have, in one box: an issue's verdict then fits in
/// the memory of the issue it is made from (see [`Verdict::build`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueExtras {
    /// The VEX statement that applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<Box<crate::vex::Applied>>,
    /// The waiver that applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<Waiver>>,
    /// Where the affected component sits in the SBOM graph: direct or
    /// transitive, depth, one path from the root, dependents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<Box<crate::enrich::graph::ComponentFacts>>,
}

impl IssueExtras {
    /// Boxed, unless empty.
    fn boxed(self) -> Option<Box<IssueExtras>> {
        (self.vex.is_some() || self.waiver.is_some() || self.component.is_some())
            .then(|| Box::new(self))
    }
}

impl IssueVerdict {
    /// The VEX statement that applies.
    pub fn vex(&self) -> Option<&crate::vex::Applied> {
        self.extras.as_ref()?.vex.as_deref()
    }

    /// The waiver that applies.
    pub fn waiver(&self) -> Option<&Waiver> {
        self.extras.as_ref()?.waiver.as_deref()
    }

    /// Where the affected component sits in the SBOM graph.
    pub fn component(&self) -> Option<&crate::enrich::graph::ComponentFacts> {
        self.extras.as_ref()?.component.as_deref()
    }
}

/// What the verdict knows beyond the findings: correlation, lifecycle, VEX
/// and waivers.
pub struct Triage<'a> {
    /// Correlation of the run.
    pub correlation: Correlation,
    /// Lifecycle of its issues.
    pub lifecycle: Lifecycle,
    /// VEX statement applied to each issue.
    pub vex: &'a [Option<Box<crate::vex::Applied>>],
    /// All waivers, and the one applied to each issue.
    pub waivers: &'a [Waiver],
    /// Waiver index per issue.
    pub waived: &'a [Option<usize>],
    /// Warnings from triage (waivers, intelligence).
    pub warnings: Vec<String>,
    /// Distinct assessments.
    pub assessments: Vec<crate::score::Assessment>,
    /// Summary per issue.
    pub risk: Vec<std::sync::Arc<crate::score::RiskSummary>>,
    /// SBOM graph facts per issue.
    pub components: Vec<Option<Box<crate::enrich::graph::ComponentFacts>>>,
    /// Intelligence snapshots used.
    pub intel: IntelInfo,
}

/// The intelligence a verdict was computed with.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntelInfo {
    /// The CISA KEV snapshot used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<crate::enrich::intel::SnapshotRef>,
    /// The FIRST EPSS snapshot used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<crate::enrich::intel::SnapshotRef>,
    /// Missing or stale snapshots.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<String>,
}

/// One input as the verdict reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputVerdict {
    /// Path as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Formats.
    pub formats: Vec<&'static str>,
    /// Producers.
    pub producers: Vec<Tool>,
    /// Findings from it.
    pub findings: usize,
    /// Components from it.
    pub components: usize,
    /// VEX statements from it.
    pub statements: usize,
}

impl From<&InputSummary> for InputVerdict {
    fn from(i: &InputSummary) -> Self {
        InputVerdict {
            path: i.path.to_string_lossy().into_owned(),
            sha256: i.sha256.clone(),
            formats: i.formats.iter().map(|f| f.as_str()).collect(),
            producers: i.producers.clone(),
            findings: i.findings,
            components: i.components,
            statements: i.statements,
        }
    }
}

/// The tool that produced a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Producer {
    /// `fixops`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// The outcome of `fixops decide`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Wire-format version.
    pub schema_version: &'static str,
    /// fixops and its version.
    pub tool: Producer,
    /// Project key.
    pub project: String,
    /// Branch.
    pub branch: Option<String>,
    /// Time of the run.
    pub time: String,
    /// The run's decision: the most severe of all decisions.
    pub verdict: Decision,
    /// The process exit code this verdict maps to.
    pub exit_code: u8,
    /// Why: each policy rule that fired, most severe first.
    pub reasons: Vec<Reason>,
    /// Counts.
    pub counts: Counts,
    /// Inputs with their digests.
    pub inputs: Vec<InputVerdict>,
    /// The policy that decided.
    pub policy: PolicyInfo,
    /// Intelligence snapshots used, and whether they are fresh.
    pub intel: IntelInfo,
    /// Noise reduction by correlation.
    pub noise: Noise,
    /// What lifecycle compared against.
    pub baseline: String,
    /// Issues, in order of their first finding.
    pub issues: Vec<IssueVerdict>,
    /// Issues open before and gone now.
    pub fixed: Vec<Fixed>,
    /// Groups of issues sharing a pattern or a fix.
    pub groups: Vec<Group>,
    /// Scoring of the issues: SSVC, P30, exploitation before fix, fused and
    /// Grype risk, each with its factors. Issues with equal facts share one.
    pub assessments: Vec<crate::score::Assessment>,
    /// Per-finding outcomes, in input order; serialized as `findings`,
    /// each joined with its finding (see [`FindingVerdict`]).
    pub outcomes: Vec<Outcome>,
    /// The lists of rule hits [`Outcome::rules`] refers to.
    pub rule_sets: Vec<std::sync::Arc<[RuleHit]>>,
    /// The run's findings, shared with the run.
    pub run_findings: std::sync::Arc<Vec<crate::model::Finding>>,
    /// Warnings (skipped files, reader warnings).
    pub warnings: Vec<String>,
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_fields(s, &|_| true)
    }
}

/// A [`Verdict`] serialized with only some of its top-level fields (see
/// [`Verdict::only`]).
pub struct Fields<'a> {
    verdict: &'a Verdict,
    keep: &'a dyn Fn(&str) -> bool,
}

impl Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.verdict.serialize_fields(s, self.keep)
    }
}

impl Verdict {
    /// The verdict with only the top-level fields that `keep` names: a
    /// report template that reads the counts and reasons of a 200k-finding
    /// run need not have every finding and issue converted for it.
    pub fn only<'a>(&'a self, keep: &'a dyn Fn(&str) -> bool) -> Fields<'a> {
        Fields {
            verdict: self,
            keep,
        }
    }

    fn serialize_fields<S: serde::Serializer>(
        &self,
        s: S,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Findings<'a>(&'a Verdict);
        impl Serialize for Findings<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.findings())
            }
        }
        fn field<T: Serialize + ?Sized, S: SerializeStruct>(
            st: &mut S,
            keep: &dyn Fn(&str) -> bool,
            name: &'static str,
            value: Option<&T>,
        ) -> Result<(), S::Error> {
            match value {
                Some(v) if keep(name) => st.serialize_field(name, v),
                _ => st.skip_field(name),
            }
        }
        let mut st = s.serialize_struct("Verdict", 20)?;
        let k = keep;
        field(&mut st, k, "schema_version", Some(&self.schema_version))?;
        field(&mut st, k, "tool", Some(&self.tool))?;
        field(&mut st, k, "project", Some(&self.project))?;
        field(&mut st, k, "branch", self.branch.as_ref())?;
        field(&mut st, k, "time", Some(&self.time))?;
        field(&mut st, k, "verdict", Some(&self.verdict))?;
        field(&mut st, k, "exit_code", Some(&self.exit_code))?;
        field(&mut st, k, "reasons", Some(&self.reasons))?;
        field(&mut st, k, "counts", Some(&self.counts))?;
        field(&mut st, k, "inputs", Some(&self.inputs))?;
        field(&mut st, k, "policy", Some(&self.policy))?;
        field(&mut st, k, "intel", Some(&self.intel))?;
        field(&mut st, k, "noise", Some(&self.noise))?;
        field(&mut st, k, "baseline", Some(&self.baseline))?;
        field(&mut st, k, "issues", Some(&self.issues))?;
        field(&mut st, k, "fixed", Some(&self.fixed))?;
        field(&mut st, k, "groups", Some(&self.groups))?;
        field(&mut st, k, "assessments", Some(&self.assessments))?;
        field(&mut st, k, "findings", Some(&Findings(self)))?;
        let warnings = (!self.warnings.is_empty()).then_some(&self.warnings);
        field(&mut st, k, "warnings", warnings)?;
        st.end()
    }
}

/// The verdict without its per-finding, per-issue and assessment lists:
/// what the evidence store keeps as the run's verdict (the findings and
/// issues are stored apart, compactly).
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    /// See [`Verdict`].
    pub schema_version: &'static str,
    /// See [`Verdict`].
    pub tool: &'a Producer,
    /// See [`Verdict`].
    pub project: &'a str,
    /// See [`Verdict`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<&'a str>,
    /// See [`Verdict`].
    pub time: &'a str,
    /// See [`Verdict`].
    pub verdict: Decision,
    /// See [`Verdict`].
    pub exit_code: u8,
    /// See [`Verdict`].
    pub reasons: &'a [Reason],
    /// See [`Verdict`].
    pub counts: &'a Counts,
    /// See [`Verdict`].
    pub inputs: &'a [InputVerdict],
    /// See [`Verdict`].
    pub policy: &'a PolicyInfo,
    /// See [`Verdict`].
    pub intel: &'a IntelInfo,
    /// See [`Verdict`].
    pub noise: &'a Noise,
    /// See [`Verdict`].
    pub baseline: &'a str,
    /// See [`Verdict`].
    pub fixed: &'a [Fixed],
    /// See [`Verdict`].
    pub warnings: &'a [String],
}

/// An issue as the evidence store keeps it.
#[derive(Debug, Serialize)]
pub struct IssueRecord<'a> {
    /// Id.
    pub id: &'a crate::correlate::IssueId,
    /// Identity, unless it is `fp <first fingerprint>` (the findings blob
    /// has the fingerprints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<&'a crate::correlate::Identity>,
    /// Lifecycle.
    pub lifecycle: Status,
    /// Severity.
    pub severity: Severity,
    /// Decision.
    pub decision: Decision,
    /// Vulnerability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<&'a str>,
    /// Tools.
    pub tools: &'a [crate::model::Sym],
    /// Member findings.
    pub findings: &'a [u32],
    /// Strategies that merged them.
    #[serde(skip_serializing_if = "Strategies::is_empty")]
    pub merged_by: Strategies,
    /// VEX status, when a statement applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<crate::model::VexStatus>,
    /// Waiver id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<&'a str>,
    /// Fused risk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<f64>,
}

impl Verdict {
    /// The summary the evidence store keeps.
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            schema_version: self.schema_version,
            tool: &self.tool,
            project: &self.project,
            branch: self.branch.as_deref(),
            time: &self.time,
            verdict: self.verdict,
            exit_code: self.exit_code,
            reasons: &self.reasons,
            counts: &self.counts,
            inputs: &self.inputs,
            policy: &self.policy,
            intel: &self.intel,
            noise: &self.noise,
            baseline: &self.baseline,
            fixed: &self.fixed,
            warnings: &self.warnings,
        }
    }

    /// The issues as the evidence store keeps them (lazily: the store
    /// serializes them one by one).
    pub fn issue_records(&self) -> impl Iterator<Item = IssueRecord<'_>> {
        self.issues.iter().map(|i| IssueRecord {
            id: &i.id,
            identity: (i.identity.fingerprint() != i.fingerprints.first().map(|f| &**f))
                .then_some(&i.identity),
            lifecycle: i.lifecycle,
            severity: i.severity,
            decision: i.decision,
            vulnerability: i.vulnerability.as_deref(),
            tools: &i.tools,
            findings: &i.findings,
            merged_by: i.merged_by,
            vex: i.vex().map(|v| v.status),
            waiver: i.waiver().map(|w| w.id.as_str()),
            risk: i.risk.as_ref().map(|r| r.risk),
        })
    }

    /// Build the verdict from a run and its policy outcome.
    pub fn build(
        run: &Run,
        triage: Triage<'_>,
        outcome: PolicyOutcome,
        defer_exit_code: u8,
    ) -> Verdict {
        let c = triage.correlation;
        let PolicyOutcome {
            info,
            class_hits: mut rule_sets,
            class_of,
            run_level,
        } = outcome;
        // A finding the policy input left out (none should be) has no hits.
        let no_rules = rule_sets.len() as u32;
        rule_sets.push(std::sync::Arc::from([]));
        // Counted by discriminant, made maps once at the end.
        let mut decisions = [0usize; 3];
        let mut reasons: BTreeMap<(Decision, String), Reason> = BTreeMap::new();
        let mut reason_index: std::collections::HashMap<(Decision, &str), usize> =
            Default::default();
        let mut reason_list: Vec<Reason> = Vec::new();
        // Findings per hit list, and the lists in the order findings first
        // use them (the message of a reason is that of its rule's first hit).
        let mut set_counts: Vec<usize> = vec![0; rule_sets.len()];
        let mut first_use: Vec<usize> = Vec::new();
        let mut outcomes = Vec::with_capacity(run.findings.len());
        let mut suppressed = 0;
        for (i, f) in run.findings.iter().enumerate() {
            let set = (class_of.get(i).copied())
                .filter(|&c| c < no_rules)
                .unwrap_or(no_rules);
            let hits = &rule_sets[set as usize];
            let issue = c.finding_issue[i] as usize;
            // A waiver or a suppressing VEX statement turns the decision into
            // ALLOW whatever the policy said; the rule hits stay visible.
            let exempt = triage.waived[issue].is_some()
                || triage.vex[issue].as_ref().is_some_and(|v| v.suppresses);
            let decision = if exempt {
                Decision::Allow
            } else {
                hits.iter()
                    .map(|h| h.decision)
                    .max()
                    .unwrap_or(Decision::Allow)
            };
            decisions[decision as usize] += 1;
            if !exempt {
                // Findings of one policy class share one hit list: count the
                // lists here, the rules in them once per list below.
                if set_counts[set as usize] == 0 {
                    first_use.push(set as usize);
                }
                set_counts[set as usize] += 1;
            }
            let is_suppressed = f.is_suppressed();
            suppressed += is_suppressed as usize;
            outcomes.push(Outcome {
                issue: issue as u32,
                decision,
                suppressed: is_suppressed,
                rules: set,
            });
        }
        drop(class_of);
        for k in first_use {
            let (hits, n) = (&rule_sets[k], set_counts[k]);
            for h in hits.iter() {
                match reason_index.get(&(h.decision, h.rule.as_str())) {
                    Some(&k) => reason_list[k].findings += n,
                    None => {
                        reason_index.insert((h.decision, h.rule.as_str()), reason_list.len());
                        reason_list.push(Reason {
                            decision: h.decision,
                            rule: h.rule.clone(),
                            message: h.message.clone(),
                            findings: n,
                        });
                    }
                }
            }
        }
        for r in reason_list {
            reasons.insert((r.decision, r.rule.clone()), r);
        }
        for w in &triage.intel.stale {
            reasons
                .entry((Decision::Allow, "FX-INTEL-STALE".into()))
                .or_insert_with(|| Reason {
                    decision: Decision::Allow,
                    rule: "FX-INTEL-STALE".into(),
                    message: w.clone(),
                    findings: 0,
                });
        }
        for h in &run_level {
            reasons
                .entry((h.decision, h.rule.clone()))
                .or_insert_with(|| Reason {
                    decision: h.decision,
                    rule: h.rule.clone(),
                    message: h.message.clone(),
                    findings: 0,
                });
        }
        let verdict = outcomes
            .iter()
            .map(|f| f.decision)
            .chain(run_level.iter().map(|h| h.decision))
            .max()
            .unwrap_or(Decision::Allow);
        let mut statuses = [0usize; 4];
        // Issue data moves into the verdict rather than being copied: a
        // 200k-issue run would otherwise hold it twice.
        let Correlation {
            issues: c_issues,
            groups,
            noise: c_noise,
            ..
        } = c;
        let mut life = triage.lifecycle;
        let carried = std::mem::take(&mut life.carried);
        let baseline = std::mem::take(&mut life.baseline);
        let life_statuses = std::mem::take(&mut life.statuses);
        let fixed = std::mem::take(&mut life.fixed);
        let now = life.now.clone();
        let mut components = triage.components.into_iter();
        let mut risk = triage.risk.into_iter();
        let mut carried = carried.into_iter().peekable();
        // Collected in place: `IssueVerdict` is no larger than `Issue` (the
        // test `issue_verdicts_reuse_the_issues_memory` keeps it so), and a
        // map over the vector's own iterator may reuse its buffer, so 200k
        // verdict issues take over the correlation's buffer instead of a
        // second one. A zip is never collected in place when its second
        // iterator's items need dropping, hence `next_if` on what issues carry over.
        let issues: Vec<IssueVerdict> = c_issues
            .into_iter()
            .enumerate()
            .map_while(|(k, is)| {
                let status = *life_statuses.get(k)?;
                statuses[status as usize] += 1;
                let (id, identity, first_seen) = match carried.next_if(|c| c.issue as usize == k) {
                    Some(c) => {
                        let first_seen = life.first_seen(&c).clone();
                        match c.recorded {
                            Some(r) => (r.1, r.0, first_seen),
                            None => (is.id, is.identity, first_seen),
                        }
                    }
                    None => (is.id, is.identity, now.clone()),
                };
                let decision = is
                    .members
                    .iter()
                    .map(|&m| outcomes[m as usize].decision)
                    .max()
                    .unwrap_or_default();
                Some(IssueVerdict {
                    id,
                    identity,
                    lifecycle: status,
                    first_seen,
                    severity: is.severity,
                    vulnerability: is.vulnerability,
                    tools: is.tools,
                    findings: is.members.into(),
                    fingerprints: is.fingerprints.into(),
                    merged_by: is.merged_by.into_iter().collect(),
                    extras: IssueExtras {
                        vex: triage.vex[k].clone(),
                        waiver: triage.waived[k].map(|w| Box::new(triage.waivers[w].clone())),
                        component: components.next().flatten(),
                    }
                    .boxed(),
                    risk: risk.next(),
                    decision,
                })
            })
            .collect();
        let mut noise = c_noise;
        noise.suppressed_by_vex = issues
            .iter()
            .filter(|i| i.vex().is_some_and(|v| v.suppresses))
            .count();
        noise.waived = issues.iter().filter(|i| i.waiver().is_some()).count();
        noise.suppressed_share = if issues.is_empty() {
            0.0
        } else {
            (noise.suppressed_by_vex + noise.waived) as f64 / issues.len() as f64
        };
        let mut warnings = run.warnings.clone();
        warnings.extend(triage.warnings);
        let mut reasons: Vec<Reason> = reasons.into_values().collect();
        reasons.sort_by(|a, b| {
            b.decision
                .cmp(&a.decision)
                .then(b.findings.cmp(&a.findings))
                .then(a.rule.cmp(&b.rule))
        });
        Verdict {
            schema_version: SCHEMA_VERSION,
            tool: Producer {
                name: "fixops",
                version: env!("CARGO_PKG_VERSION"),
            },
            project: run.meta.project.clone(),
            branch: run.meta.branch.clone(),
            time: run.meta.time.clone(),
            verdict,
            exit_code: verdict.exit_code(defer_exit_code),
            reasons,
            counts: Counts {
                inputs: run.inputs.len(),
                findings: run.findings.len(),
                issues: issues.len(),
                by_lifecycle: [
                    Status::New,
                    Status::Unchanged,
                    Status::Reintroduced,
                    Status::Absent,
                ]
                .into_iter()
                .map(|s| (s.as_str(), statuses[s as usize]))
                .chain([("fixed", fixed.len())])
                .collect(),
                vex_suppressed: noise.suppressed_by_vex,
                waived: noise.waived,
                by_decision: [Decision::Block, Decision::Defer, Decision::Allow]
                    .into_iter()
                    .map(|d| (d, decisions[d as usize]))
                    .collect(),
                by_severity: run.by_severity(),
                suppressed,
                components: run.components.len(),
                relationships: run.relationships.len(),
                statements: run.statements.len(),
            },
            inputs: run.inputs.iter().map(InputVerdict::from).collect(),
            policy: info,
            intel: triage.intel,
            noise,
            baseline,
            issues,
            fixed,
            groups,
            assessments: triage.assessments,
            outcomes,
            rule_sets,
            run_findings: run.findings.clone(),
            warnings,
        }
    }

    /// The issue id of finding `i`.
    pub fn issue_of(&self, i: usize) -> Option<crate::correlate::IssueId> {
        let o = self.outcomes.get(i)?;
        self.issues.get(o.issue as usize).map(|is| is.id)
    }

    /// The decision for finding `i` of the run.
    pub fn decision_of(&self, i: usize) -> Decision {
        self.outcomes.get(i).map_or(Decision::Allow, |o| o.decision)
    }

    /// Finding `i` as the verdict reports it.
    pub fn finding(&self, i: usize) -> Option<FindingVerdict<'_>> {
        let o = self.outcomes.get(i)?;
        let f = self.run_findings.get(i)?;
        let issue = self.issues.get(o.issue as usize)?;
        let loc = f.primary_location().and_then(|l| {
            l.uri.as_deref().map(|uri| LocationLabel {
                uri,
                line: l.start_line,
            })
        });
        let vuln = f.vulnerability.as_deref();
        let pkg = vuln.and_then(|v| v.package.as_ref());
        Some(FindingVerdict {
            index: i,
            issue: &issue.id,
            fingerprint: &f.fingerprint.value,
            tool: &f.tool.name,
            rule_id: f.rule_id.as_deref(),
            severity: f.severity,
            score: f.score,
            location: loc,
            vulnerability: vuln.map(|v| v.id.as_str()),
            package: pkg.and_then(|p| {
                p.purl.as_deref().map(PackageLabel::Purl).or_else(|| {
                    p.name
                        .as_deref()
                        .map(|n| PackageLabel::Name(n, p.version.as_deref()))
                })
            }),
            fixed_version: pkg.and_then(|p| p.fixed_version.as_deref()),
            message: &f.message,
            suppressed: o.suppressed,
            lifecycle: issue.lifecycle,
            vex: issue.vex().map(|v| v.status),
            waiver: issue.waiver().map(|w| w.id.as_str()),
            decision: o.decision,
            rules: self.rule_sets.get(o.rules as usize).map_or(&[], |r| &r[..]),
        })
    }

    /// Every finding as the verdict reports it, in input order.
    pub fn findings(&self) -> impl Iterator<Item = FindingVerdict<'_>> + '_ {
        (0..self.outcomes.len()).filter_map(|i| self.finding(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{Issue, Strategy};

    #[test]
    fn issue_verdicts_reuse_the_issues_memory() {
        // `Verdict::build` collects the verdict issues into the buffer of the
        // correlation's issues only while one fits in the other; a larger
        // `IssueVerdict` silently costs a second buffer (33 MB at 200k).
        assert!(
            size_of::<IssueVerdict>() <= size_of::<Issue>(),
            "IssueVerdict is {} bytes, Issue {}: box a field of IssueVerdict \
             (as vex, waiver and component share one box in IssueExtras)",
            size_of::<IssueVerdict>(),
            size_of::<Issue>()
        );
        assert_eq!(align_of::<IssueVerdict>(), align_of::<Issue>());
    }

    #[test]
    fn strategies_serialize_as_an_ascending_list() {
        let set: Strategies = [
            Strategy::RootCause,
            Strategy::Fingerprint,
            Strategy::RootCause,
        ]
        .into_iter()
        .collect();
        assert!(set.contains(Strategy::Fingerprint) && !set.contains(Strategy::Location));
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"["fingerprint","root_cause"]"#
        );
        assert!(Strategies::default().is_empty() && !set.is_empty());
    }
}
