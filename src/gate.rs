//! The decide pipeline: a run → its verdict, stage by stage.
//!
//! ```text
//! Run ─code windows, SBOM purls─▶ Run ─correlate─▶ Correlation ─lifecycle─▶ Lifecycle
//!     ─VEX, waivers─▶ Annotations ─policy─▶ PolicyOutcome ─▶ Verdict
//! ```
//! Input: an assembled [`Run`], its [`History`], loaded [`Policy`] and
//! [`Options`]. Output: [`Decided`]: the verdict plus the lifecycle changes
//! the evidence store records with it.

use crate::correlate::{self, Correlation};
use crate::error::Result;
use crate::lifecycle::{self, History, Lifecycle, LifecycleUpdate};
use crate::policy::{Annotations, Policy};
use crate::run::Run;
use crate::verdict::{Triage, Verdict};
use crate::waiver::{self, RunScope, Waiver};
use std::path::PathBuf;

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
    pub vex: Vec<Option<crate::vex::Applied>>,
    /// Waivers applied.
    pub waived: waiver::Applied,
    /// What the policy sees per finding.
    pub notes: Annotations,
}

/// The outcome of deciding.
pub struct Decided {
    /// The verdict.
    pub verdict: Verdict,
    /// Lifecycle changes to record with it.
    pub update: LifecycleUpdate,
}

/// Correlate, compare with history, apply VEX and waivers.
pub fn triage(run: &mut Run, history: &History, opts: &Options) -> Triaged {
    if let Some(root) = &opts.source_root {
        crate::fingerprint::apply_code_windows(run, root);
    }
    run.attach_sbom_purls();
    let correlation = correlate::correlate(run, &opts.correlate);
    let (lifecycle, update) = lifecycle::compare(run, &correlation, history);
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
    let n = run.findings.len();
    let mut notes = Annotations {
        lifecycle: Vec::with_capacity(n),
        vex: Vec::with_capacity(n),
        waived: Vec::with_capacity(n),
        new_only: opts.new_only,
    };
    for i in 0..n {
        let k = correlation.finding_issue[i] as usize;
        notes.lifecycle.push(lifecycle.issues[k].status.as_str());
        notes.vex.push(vex[k].as_ref().map(|v| v.status.as_str()));
        notes.waived.push(waived.per_issue[k].is_some());
    }
    Triaged {
        correlation,
        lifecycle,
        update,
        vex,
        waived,
        notes,
    }
}

/// Decide a run.
pub fn decide(
    run: &mut Run,
    history: &History,
    policy: &mut Policy,
    opts: &Options,
) -> Result<Decided> {
    let t = triage(run, history, opts);
    let outcome = policy.evaluate(run, &t.notes)?;
    let verdict = Verdict::build(
        run,
        Triage {
            correlation: &t.correlation,
            lifecycle: &t.lifecycle,
            vex: &t.vex,
            waivers: &opts.waivers,
            waived: &t.waived.per_issue,
            warnings: t.waived.warnings.clone(),
        },
        outcome,
        opts.defer_exit_code,
    );
    Ok(Decided {
        verdict,
        update: t.update,
    })
}
