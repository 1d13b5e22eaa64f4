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
/// most severe first within each, in input order otherwise.
pub fn ranked(v: &Verdict) -> Vec<&crate::verdict::FindingVerdict> {
    let mut fs: Vec<_> = v.findings.iter().collect();
    fs.sort_by(|a, b| {
        b.decision
            .cmp(&a.decision)
            .then(b.severity.cmp(&a.severity))
            .then(b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)))
            .then(a.index.cmp(&b.index))
    });
    fs
}
