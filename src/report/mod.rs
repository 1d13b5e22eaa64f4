//! Reports: a finished [`Verdict`] (or ingest summary) → bytes on a writer.
//!
//! One module per format; none of them decides anything.

pub mod json;
pub mod markdown;
pub mod table;

use crate::verdict::Verdict;
use std::io::Write;

/// Output formats of `decide`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// The versioned verdict JSON.
    Json,
    /// Markdown (for PR comments and job summaries), from a minijinja template.
    Markdown,
}

impl Format {
    /// Parse a config-file word.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// Options shared by the renderers.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Most findings to list in table/markdown output (JSON lists all).
    pub limit: usize,
    /// A minijinja template replacing the shipped Markdown one.
    pub template: Option<String>,
    /// Colors allowed.
    pub color: bool,
}

/// Render a verdict.
pub fn write_verdict(
    format: Format,
    v: &Verdict,
    opts: &Options,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(v, w),
        Format::Table => table::write(v, opts, w),
        Format::Markdown => markdown::write(v, opts, w),
    }
}

/// The findings a human should see first: BLOCK, then DEFER, then ALLOW,
/// most severe first within each, in input order otherwise. Returns the
/// first `limit` of them and how many there are in all. Linear in the
/// number of findings: only the shown ones are sorted.
pub fn ranked(v: &Verdict, limit: usize) -> (Vec<crate::verdict::FindingVerdict<'_>>, usize) {
    // Each finding's key is read once, in order, into a compact list that
    // is then ranked (not read again at each comparison, from findings
    // hundreds of bytes apart).
    type Key = (crate::verdict::Decision, crate::model::Severity, f64, usize);
    let n = v.outcomes.len().min(v.run_findings.len());
    let mut keys: Vec<Key> = (v.outcomes.iter().zip(v.run_findings.iter()))
        .enumerate()
        .map(|(i, (o, f))| (o.decision, f.severity, f.score.unwrap_or(-1.0), i))
        .collect();
    let order = |a: &Key, b: &Key| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(b.2.total_cmp(&a.2))
            .then(a.3.cmp(&b.3))
    };
    if limit < n {
        if limit > 0 {
            keys.select_nth_unstable_by(limit - 1, order);
        }
        keys.truncate(limit);
    }
    keys.sort_unstable_by(order);
    (keys.into_iter().filter_map(|k| v.finding(k.3)).collect(), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict of the built-in policy on files of `fixtures/example`.
    pub(crate) fn example_verdict(files: &[&str]) -> Verdict {
        let specs: Vec<_> = files
            .iter()
            .map(|f| crate::ingest::InputSpec {
                path: format!("{}/fixtures/example/{f}", env!("CARGO_MANIFEST_DIR")).into(),
                role: None,
            })
            .collect();
        let mut run = crate::run::Run::assemble(
            crate::run::RunMeta {
                project: "acme/shop".into(),
                branch: None,
                time: "2026-11-21T00:00:00Z".into(),
                command: "decide".into(),
            },
            crate::ingest::ingest_all(&specs).unwrap(),
        );
        let mut policy = crate::policy::Policy::load(&crate::policy::PolicyConfig {
            builtin: true,
            paths: vec![],
        })
        .unwrap();
        let gate = crate::gate::Options::default();
        crate::gate::decide(&mut run, Default::default(), &mut policy, &gate)
            .unwrap()
            .verdict
    }

    #[test]
    fn findings_rank_by_decision_severity_score_then_position() {
        let v = example_verdict(&["scan.sarif", "sbom.cdx.json"]);
        let n = v.outcomes.len();
        assert!(n >= 5, "{n}");
        // Every finding compared with every other, by the same rule.
        let mut want: Vec<usize> = (0..n).collect();
        want.sort_by(|&a, &b| {
            let (fa, fb) = (&v.run_findings[a], &v.run_findings[b]);
            (v.outcomes[b].decision.cmp(&v.outcomes[a].decision))
                .then(fb.severity.cmp(&fa.severity))
                .then(
                    fb.score
                        .unwrap_or(-1.0)
                        .total_cmp(&fa.score.unwrap_or(-1.0)),
                )
                .then(a.cmp(&b))
        });
        // Not the order of the run itself, or the test would show nothing.
        assert_ne!(want, (0..n).collect::<Vec<_>>());
        for limit in 0..=n + 1 {
            let (top, total) = ranked(&v, limit);
            let got: Vec<usize> = top.iter().map(|f| f.index).collect();
            assert_eq!(got, want[..limit.min(n)], "limit {limit}");
            assert_eq!(total, n);
        }
    }
}
