//! The decide pipeline: a run → its verdict, stage by stage.
//!
//! ```text
//! Run ─code windows, SBOM purls─▶ Run ─correlate─▶ Correlation ─lifecycle─▶ Lifecycle
//!     ─VEX, waivers, scoring─▶ Annotations ─policy─▶ PolicyOutcome ─▶ Verdict
//! ```
//! Input: an assembled [`Run`], its [`History`], loaded [`Policy`] and
//! [`Options`]. Output: [`Decided`]: the verdict plus the lifecycle changes
//! the evidence store records with it.

use crate::correlate::{self, Correlation};
use crate::enrich::context::Context;
use crate::enrich::graph::ComponentGraph;
use crate::enrich::intel::Intel;
use crate::error::Result;
use crate::lifecycle::{self, History, Lifecycle, LifecycleUpdate};
use crate::policy::{Annotations, Policy};
use crate::run::Run;
use crate::score::markov::MttrTable;
use crate::score::{Assessment, IssueFacts, RiskSummary};
use crate::verdict::{Triage, Verdict};
use crate::waiver::{self, RunScope, Waiver};
use std::path::PathBuf;
use std::sync::Arc;

/// Wall time of each stage, in order (for `--timings`).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// `(stage, seconds)`.
    pub stages: Vec<(&'static str, f64)>,
    /// `(stage, resident MB after it, peak resident MB so far)` where the
    /// platform reports them (Linux).
    pub memory: Vec<(&'static str, f64, f64)>,
    last: Option<std::time::Instant>,
}

impl Timings {
    /// Start timing.
    pub fn start() -> Timings {
        Timings {
            stages: Vec::new(),
            memory: Vec::new(),
            last: Some(std::time::Instant::now()),
        }
    }

    /// Continue timing from now without recording the time since the last mark.
    pub fn restart(&mut self) {
        self.last = Some(std::time::Instant::now());
    }

    /// Record the time since the previous mark as `stage`.
    pub fn mark(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        if let Some(t) = self.last {
            self.stages.push((stage, (now - t).as_secs_f64()));
        }
        if let Some((rss, peak)) = resident_mb() {
            self.memory.push((stage, rss, peak));
        }
        self.last = Some(now);
    }
}

/// Resident and peak resident memory of this process in MiB (Linux only).
fn resident_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// What scoring needs besides the run.
#[derive(Debug, Clone)]
pub struct Scoring {
    /// KEV and EPSS lookups (possibly empty).
    pub intel: Intel,
    /// Business context.
    pub context: Context,
    /// MTTR per severity (learned from the store, shrunk toward the SLAs).
    pub mttr: MttrTable,
    /// Report missing or stale snapshots (off when intelligence was not
    /// asked for, e.g. `--no-store` runs).
    pub check_freshness: bool,
    /// Maximum snapshot ages before a warning.
    pub max_age: crate::enrich::intel::MaxAge,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            intel: Intel::empty(),
            context: Context::default(),
            mttr: MttrTable::sla_only(&crate::score::Rules::embedded().markov),
            check_freshness: false,
            max_age: Default::default(),
        }
    }
}

/// How to decide.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Correlation settings.
    pub correlate: correlate::Config,
    /// Source tree for code-window fingerprints.
    pub source_root: Option<PathBuf>,
    /// Gate only on new and reintroduced issues.
    pub new_only: bool,
    /// Exit code for DEFER.
    pub defer_exit_code: u8,
    /// Waivers from every source.
    pub waivers: Vec<Waiver>,
    /// Waiver horizon and warning window.
    pub waiver_settings: waiver::Settings,
    /// Service and environment of the run.
    pub scope: RunScope,
    /// Intelligence, context and fix history for scoring.
    pub scoring: Scoring,
}

/// Everything triage produced before the policy.
pub struct Triaged {
    /// Correlation.
    pub correlation: Correlation,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
    /// Store changes for the lifecycle.
    pub update: LifecycleUpdate,
    /// VEX per issue.
    pub vex: Vec<Option<Box<crate::vex::Applied>>>,
    /// Waivers applied.
    pub waived: waiver::Applied,
    /// What the policy sees per finding.
    pub notes: Annotations,
    /// Distinct assessments (issues with equal facts share one).
    pub assessments: Vec<Assessment>,
    /// Assessment summary of each issue.
    pub risk: Vec<Arc<RiskSummary>>,
    /// SBOM graph facts of each issue's component (SCA issues on an SBOM component).
    pub components: Vec<Option<Box<crate::enrich::graph::ComponentFacts>>>,
    /// Stage timings.
    pub timings: Timings,
}

/// The outcome of deciding.
pub struct Decided {
    /// The verdict.
    pub verdict: Verdict,
    /// Lifecycle changes to record with it.
    pub update: LifecycleUpdate,
    /// Stage timings.
    pub timings: Timings,
}

/// Complete the run's findings before anything reads them: code-window
/// identities under the source root, and purls from SBOM components. After
/// this the findings do not change, so the store can encode them while the
/// gate runs.
pub fn prepare(run: &mut Run, opts: &Options) {
    if let Some(root) = &opts.source_root {
        crate::fingerprint::apply_code_windows(run, root);
    }
    run.attach_sbom_purls();
}

/// Correlate, compare with history, apply VEX and waivers (on a
/// [`prepare`]d run). The history is freed once compared: after a run of
/// 200k issues it is about 16 MB that scoring, the policy and the verdict
/// need not share the memory with.
pub fn triage(run: &Run, history: History, opts: &Options) -> Triaged {
    let mut timings = Timings::start();
    let correlation = correlate::correlate(run, &opts.correlate);
    timings.mark("correlate");
    let (lifecycle, update) = lifecycle::compare(run, &correlation, &history);
    drop(history);
    timings.mark("lifecycle");
    let vex = crate::vex::apply(run, &correlation);
    let today = waiver::today(&run.meta.time);
    let waived = waiver::apply(
        &opts.waivers,
        run,
        &correlation,
        &opts.scope,
        today,
        &opts.waiver_settings,
    );
    timings.mark("vex and waivers");
    let Scored {
        assessments,
        risk,
        components,
    } = score_issues(run, &correlation, &vex, opts);
    timings.mark("scoring");
    let n = run.findings.len();
    let mut notes = Annotations {
        lifecycle: Vec::with_capacity(n),
        vex: Vec::with_capacity(n),
        waived: Vec::with_capacity(n),
        risk: Vec::with_capacity(n),
        new_only: opts.new_only,
    };
    for i in 0..n {
        let k = correlation.finding_issue[i] as usize;
        notes.lifecycle.push(lifecycle.statuses[k]);
        notes.vex.push(vex[k].as_ref().map(|v| v.status));
        notes.waived.push(waived.per_issue[k].is_some());
        notes.risk.push(risk.get(k).cloned());
    }
    Triaged {
        correlation,
        lifecycle,
        update,
        vex,
        waived,
        notes,
        assessments,
        risk,
        components,
        timings,
    }
}

/// Where the texts that decide a single-finding code issue's facts are held
/// (see [`facts_of`]: its severity, score, CWEs, category from tool name,
/// tags and CWEs, and VEX status); `None` for any other issue. Equal places
/// mean equal facts.
fn code_issue_place(
    run: &Run,
    c: &Correlation,
    k: usize,
    vex: Option<&crate::vex::Applied>,
) -> Option<[u64; 9]> {
    let is = &c.issues[k];
    let [m] = is.members.as_slice() else {
        return None;
    };
    let f = &run.findings[*m as usize];
    if f.vulnerability.is_some() {
        return None;
    }
    use crate::model::place;
    let [name, name_len] = place(f.tool.name.as_bytes());
    let [tags, tags_len] = place(f.tags());
    let [cwes, cwes_len] = place(&f.cwes);
    Some([
        name,
        name_len,
        tags,
        tags_len,
        cwes,
        cwes_len,
        f.score.map_or(u64::MAX, f64::to_bits),
        u64::from(f.score.is_none()),
        is.severity as u64 | vex.map_or(0xff, |v| v.status as u64) << 8,
    ])
}

/// The facts scoring needs about one issue.
fn facts_of(
    run: &Run,
    c: &Correlation,
    k: usize,
    vex: Option<&crate::vex::Applied>,
    graph: Option<&ComponentGraph>,
    opts: &Options,
) -> (IssueFacts, Option<crate::enrich::graph::ComponentFacts>) {
    use crate::score::bayes::Category;
    let is = &c.issues[k];
    let first = &run.findings[is.members[0] as usize];
    let mut ids: Vec<String> = Vec::new();
    let mut vectors: Vec<String> = Vec::new();
    let mut cwes: Vec<crate::model::Sym> = Vec::new();
    let mut score: Option<f64> = None;
    let mut component = None;
    for &m in &is.members {
        let f = &run.findings[m as usize];
        if let Some(v) = &f.vulnerability {
            ids.push(v.id.clone());
            ids.extend(v.aliases.iter().cloned());
            vectors.extend(v.cvss_vectors.iter().cloned());
            if component.is_none()
                && let (Some(g), Some(p)) =
                    (graph, v.package.as_ref().and_then(|p| p.purl.as_deref()))
            {
                component = g.facts_for_purl(p);
            }
        }
        cwes.extend(f.cwes.iter().cloned());
        score = match (score, f.score) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    for list in [&mut ids, &mut vectors] {
        list.sort();
        list.dedup();
    }
    cwes.sort();
    cwes.dedup();
    let category = match crate::policy::category(first) {
        "sca" => Category::Sca,
        "secret" => Category::Secret,
        "iac" => Category::Iac,
        _ => Category::Sast,
    };
    let depth = component.as_ref().and_then(|c| c.depth);
    let facts = IssueFacts {
        ids,
        cvss_vectors: vectors,
        severity: is.severity,
        score,
        cwes,
        category,
        depth,
        direct: None,
        service: opts.scope.service.clone(),
        vex_status: vex.map(|v| v.status),
        exploit_maturity: None,
        public_exploit: false,
        ssvc_overrides: Default::default(),
    };
    (facts, component)
}

/// Assess every issue. Issues with equal facts share one assessment, so a
/// run of 200k code findings is scored a few hundred times, not 200k.
fn score_issues(
    run: &Run,
    c: &Correlation,
    vex: &[Option<Box<crate::vex::Applied>>],
    opts: &Options,
) -> Scored {
    let graph = (!run.components.is_empty()).then(|| {
        ComponentGraph::build(
            run.components.iter().map(|(_, c)| c),
            run.relationships.iter().map(|(_, r)| r),
        )
    });
    let mut cache: crate::model::FastMap<Vec<u8>, usize> = Default::default();
    let mut key: Vec<u8> = Vec::with_capacity(256);
    let mut assessments = Vec::new();
    let mut out = Vec::with_capacity(c.issues.len());
    let mut components = Vec::with_capacity(c.issues.len());
    // Issues with equal facts share one summary (one pointer per issue).
    let mut summaries: Vec<Arc<RiskSummary>> = Vec::new();
    // The facts of a single-finding code issue (most of a large run) follow
    // from a few of its finding's fields: issues whose texts are the very
    // same strings find their assessment by where those are held.
    let mut by_place: crate::model::FastMap<[u64; 9], usize> = Default::default();
    for (k, v) in vex.iter().enumerate().take(c.issues.len()) {
        let place = code_issue_place(run, c, k, v.as_deref());
        if let Some(idx) = place.and_then(|p| by_place.get(&p)) {
            components.push(None);
            out.push(summaries[*idx].clone());
            continue;
        }
        let (mut facts, component) = facts_of(run, c, k, v.as_deref(), graph.as_ref(), opts);
        components.push(component.map(Box::new));
        // Issues whose facts and intelligence are equal share one assessment:
        // key on what KEV and EPSS say, not on which CVE said it.
        let s = &opts.scoring;
        let mut lookup = s.intel.lookup_any(facts.ids.iter().map(String::as_str));
        for cve in lookup
            .kev
            .iter_mut()
            .map(|k| &mut k.cve)
            .chain(lookup.epss.iter_mut().map(|e| &mut e.cve))
        {
            cve.clear();
        }
        facts.ids.clear();
        // The key is written into one reused buffer; only new keys are kept.
        key.clear();
        score_key(&mut key, &facts, &lookup);
        let idx = match cache.get(key.as_slice()) {
            Some(&idx) => idx,
            None => {
                let rules = crate::score::Rules::embedded();
                assessments.push(crate::score::assess_looked_up(
                    rules, &facts, lookup, &s.context, &s.mttr,
                ));
                cache.insert(key.clone(), assessments.len() - 1);
                assessments.len() - 1
            }
        };
        if summaries.len() <= idx {
            summaries.push(Arc::new(RiskSummary::of(idx, &assessments[idx])));
        }
        out.push(summaries[idx].clone());
        if let Some(p) = place {
            by_place.insert(p, idx);
        }
    }
    Scored {
        assessments,
        risk: out,
        components,
    }
}

/// Write what decides an assessment into `out`: equal bytes if and only if
/// equal facts and intelligence. Every field is tagged or length-prefixed,
/// so no two different inputs write the same bytes.
fn score_key(out: &mut Vec<u8>, facts: &IssueFacts, lookup: &crate::enrich::intel::Lookup) {
    fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    fn text(out: &mut Vec<u8>, s: &str) {
        bytes(out, s.as_bytes());
    }
    fn opt_text(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => {
                out.push(1);
                text(out, s);
            }
            None => out.push(0),
        }
    }
    fn list<T: AsRef<str>>(out: &mut Vec<u8>, items: &[T]) {
        out.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for i in items {
            text(out, i.as_ref());
        }
    }
    // Destructured, so that a new field cannot be left out of the key.
    let IssueFacts {
        ids,
        cvss_vectors,
        severity,
        score,
        cwes,
        category,
        depth,
        direct,
        service,
        vex_status,
        exploit_maturity,
        public_exploit,
        ssvc_overrides,
    } = facts;
    list(out, ids);
    list(out, cvss_vectors);
    out.push(*severity as u8);
    match score {
        Some(s) => {
            out.push(1);
            out.extend_from_slice(&s.to_bits().to_le_bytes());
        }
        None => out.push(0),
    }
    list(out, cwes);
    out.push(*category as u8);
    match depth {
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d.to_le_bytes());
        }
        None => out.push(0),
    }
    out.push(match direct {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    opt_text(out, service.as_deref());
    out.push(vex_status.map_or(0, |v| v as u8 + 1));
    opt_text(out, exploit_maturity.as_deref());
    out.push(u8::from(*public_exploit));
    out.extend_from_slice(&(ssvc_overrides.len() as u64).to_le_bytes());
    for (k, v) in ssvc_overrides {
        text(out, k);
        text(out, v);
    }
    // Intelligence is rare per issue: encoded in full when present.
    if lookup.kev.is_none() && lookup.epss.is_none() {
        out.push(0);
    } else {
        out.push(1);
        match serde_json::to_vec(lookup) {
            Ok(json) => bytes(out, &json),
            Err(_) => text(out, &format!("{lookup:?}")),
        }
    }
}

/// Scoring results of a run.
struct Scored {
    assessments: Vec<Assessment>,
    risk: Vec<Arc<RiskSummary>>,
    components: Vec<Option<Box<crate::enrich::graph::ComponentFacts>>>,
}

/// Prepare and decide a run.
pub fn decide(
    run: &mut Run,
    history: History,
    policy: &mut Policy,
    opts: &Options,
) -> Result<Decided> {
    let mut timings = Timings::start();
    prepare(run, opts);
    timings.mark("fingerprints");
    let mut d = decide_prepared(run, history, policy, opts)?;
    timings.stages.append(&mut d.timings.stages);
    timings.memory.append(&mut d.timings.memory);
    d.timings = timings;
    Ok(d)
}

/// Decide a [`prepare`]d run.
pub fn decide_prepared(
    run: &Run,
    history: History,
    policy: &mut Policy,
    opts: &Options,
) -> Result<Decided> {
    decide_triaged(run, triage(run, history, opts), policy, opts)
}

/// Decide a [`triage`]d run: the policy and the verdict. (`decide` encodes
/// the next lifecycle state from `t.update` meanwhile.)
pub fn decide_triaged(
    run: &Run,
    mut t: Triaged,
    policy: &mut Policy,
    opts: &Options,
) -> Result<Decided> {
    let mut timings = std::mem::take(&mut t.timings);
    timings.mark("annotations");
    let intel = &opts.scoring.intel;
    let stale = if opts.scoring.check_freshness {
        intel.freshness_warnings(waiver::today(&run.meta.time), &opts.scoring.max_age)
    } else {
        Vec::new()
    };
    let mut warnings = t.waived.warnings.clone();
    warnings.extend(stale.iter().cloned());
    let outcome = policy.evaluate(run, &t.notes)?;
    timings.mark("policy");
    let verdict = Verdict::build(
        run,
        Triage {
            correlation: t.correlation,
            lifecycle: t.lifecycle,
            vex: &t.vex,
            waivers: &opts.waivers,
            waived: &t.waived.per_issue,
            warnings,
            assessments: t.assessments,
            risk: t.risk,
            components: t.components,
            intel: crate::verdict::IntelInfo {
                kev: intel.kev_snapshot().cloned(),
                epss: intel.epss_snapshot().cloned(),
                stale,
            },
        },
        outcome,
        opts.defer_exit_code,
    );
    timings.mark("verdict");
    Ok(Decided {
        verdict,
        update: t.update,
        timings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::intel::{EpssFacts, Lookup};
    use crate::model::Severity;
    use crate::score::bayes::Category;

    fn facts() -> IssueFacts {
        IssueFacts {
            ids: Vec::new(),
            cvss_vectors: vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()],
            severity: Severity::High,
            score: Some(8.1),
            cwes: vec![crate::model::Sym::from("CWE-79")],
            category: Category::Sast,
            depth: None,
            direct: None,
            service: Some("shop".into()),
            vex_status: None,
            exploit_maturity: None,
            public_exploit: false,
            ssvc_overrides: Default::default(),
        }
    }

    fn key(f: &IssueFacts, l: &Lookup) -> Vec<u8> {
        let mut out = Vec::new();
        score_key(&mut out, f, l);
        out
    }

    #[test]
    fn score_keys_are_equal_exactly_when_the_facts_are() {
        let none = Lookup::default();
        let base = key(&facts(), &none);
        assert_eq!(base, key(&facts(), &none));
        type Change = fn(&mut IssueFacts);
        let changes: &[Change] = &[
            |f| f.ids.push("CVE-2024-0001".into()),
            |f| f.cvss_vectors.clear(),
            |f| f.severity = Severity::Critical,
            |f| f.score = None,
            |f| f.score = Some(8.2),
            |f| f.cwes.push("CWE-89".into()),
            |f| f.category = Category::Iac,
            |f| f.depth = Some(0),
            |f| f.direct = Some(false),
            |f| f.direct = Some(true),
            |f| f.service = None,
            |f| f.service = Some(String::new()),
            |f| f.vex_status = Some(crate::model::VexStatus::NotAffected),
            |f| f.exploit_maturity = Some("poc".into()),
            |f| f.public_exploit = true,
            |f| {
                f.ssvc_overrides.insert("Exposure".into(), "open".into());
            },
            // A string moved from one field to its neighbour.
            |f| {
                f.cvss_vectors.clear();
                f.cwes
                    .push("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into());
            },
        ];
        let mut seen = std::collections::HashSet::new();
        seen.insert(base.clone());
        for (i, change) in changes.iter().enumerate() {
            let mut f = facts();
            change(&mut f);
            assert!(seen.insert(key(&f, &none)), "change {i} collides");
        }
        let epss = |p: f64| Lookup {
            kev: None,
            epss: Some(EpssFacts {
                cve: String::new(),
                epss: p,
                percentile: 0.5,
                snapshot: crate::enrich::intel::SnapshotRef {
                    source: "FIRST EPSS",
                    id: 1,
                    version: None,
                    date: None,
                },
            }),
        };
        assert_ne!(key(&facts(), &epss(0.1)), base);
        assert_ne!(key(&facts(), &epss(0.1)), key(&facts(), &epss(0.2)));
        assert_eq!(key(&facts(), &epss(0.1)), key(&facts(), &epss(0.1)));
    }
}
