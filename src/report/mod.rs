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
    let key = |i: usize| {
        let o = &v.outcomes[i];
        let f = &v.run_findings[i];
        (o.decision, f.severity, f.score.unwrap_or(-1.0))
    };
    let order = |a: &usize, b: &usize| {
        let (da, sa, xa) = key(*a);
        let (db, sb, xb) = key(*b);
        db.cmp(&da)
            .then(sb.cmp(&sa))
            .then(xb.total_cmp(&xa))
            .then(a.cmp(b))
    };
    let n = v.outcomes.len().min(v.run_findings.len());
    let mut idx: Vec<usize> = (0..n).collect();
    if limit < n {
        if limit > 0 {
            idx.select_nth_unstable_by(limit - 1, order);
        }
        idx.truncate(limit);
    }
    idx.sort_unstable_by(order);
    (idx.into_iter().filter_map(|i| v.finding(i)).collect(), n)
}
