//! `fixops ingest`: read inputs, record them, print a summary per file.

use super::{Context, InputArgs, emit};
use anyhow::Result;
use clap::Args;
use fixops::evidence::store::Store;
use fixops::ingest::{Ingested, ReadError, expand, read_file};
use fixops::model::Severity;
use fixops::run::{InputSummary, Run};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format.
    #[arg(
        long,
        short = 'f',
        value_enum,
        default_value = "table",
        env = "FIXOPS_FORMAT"
    )]
    format: SummaryFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SummaryFormat {
    Table,
    Json,
}

#[derive(Serialize)]
struct FileReport<'a> {
    #[serde(flatten)]
    input: &'a InputSummary,
    by_severity: BTreeMap<Severity, usize>,
}

#[derive(Serialize)]
struct Report<'a> {
    files: Vec<FileReport<'a>>,
    errors: Vec<String>,
    skipped: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<i64>,
}

pub fn run(ctx: &Context, args: &IngestArgs) -> Result<u8> {
    let planned = expand(&args.inputs.specs()?)?;
    // Every file is read and reported; the run is recorded only when all of
    // them could be read, so the store never holds a partial run.
    let mut ingested = Ingested::default();
    let mut errors: Vec<fixops::error::Error> = Vec::new();
    for p in &planned {
        match read_file(&p.path, p.role) {
            Ok(f) => ingested.files.push(f),
            Err(ReadError::Unrecognized(m)) if p.from_dir => {
                ingested.warnings.push(format!("skipped {m}"))
            }
            Err(ReadError::Unrecognized(m)) => errors.push(fixops::error::Error::Input {
                path: p.path.clone(),
                position: None,
                message: m
                    .strip_prefix(&format!("{}: ", p.path.display()))
                    .unwrap_or(&m)
                    .to_string(),
            }),
            Err(ReadError::Fatal(e)) => errors.push(e),
        }
    }
    let skipped = ingested.warnings.clone();
    let severities: Vec<BTreeMap<Severity, usize>> = ingested
        .files
        .iter()
        .map(|f| {
            let mut n = [0usize; Severity::ALL_DESC.len()];
            for x in f.documents.iter().flat_map(|d| &d.findings) {
                n[x.severity as usize] += 1;
            }
            Severity::ALL_DESC
                .iter()
                .filter(|s| n[**s as usize] > 0)
                .map(|s| (*s, n[*s as usize]))
                .collect()
        })
        .collect();
    let run = Run::assemble(ctx.meta("ingest"), ingested);
    let run_id = if errors.is_empty() && !ctx.no_store {
        Some(Store::open(&ctx.db)?.record(&run, None, None)?.run_id)
    } else {
        None
    };
    let report = Report {
        files: run
            .inputs
            .iter()
            .zip(severities)
            .map(|(input, by_severity)| FileReport { input, by_severity })
            .collect(),
        errors: errors.iter().map(|e| e.to_string()).collect(),
        skipped,
        run_id,
    };
    let mut out = Vec::new();
    match args.format {
        SummaryFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            out.push(b'\n');
        }
        SummaryFormat::Table => write_table(&report, &mut out)?,
    }
    emit(None, &out)?;
    for e in &errors {
        eprintln!("fixops: error: {e}");
    }
    for s in &report.skipped {
        eprintln!("fixops: warning: {s}");
    }
    for w in &run.warnings {
        if !report.skipped.contains(w) {
            eprintln!("fixops: warning: {w}");
        }
    }
    if let Some(id) = run_id {
        eprintln!("fixops: recorded as run {id} in {}", ctx.db.display());
    } else if !errors.is_empty() && !ctx.no_store {
        eprintln!(
            "fixops: {} of {} inputs failed; nothing was recorded",
            errors.len(),
            planned.len()
        );
    }
    Ok(if errors.is_empty() { 0 } else { 2 })
}

fn write_table(r: &Report<'_>, out: &mut Vec<u8>) -> std::io::Result<()> {
    use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
    use std::io::Write;
    // No file was read: the errors on stderr are the whole report.
    if r.files.is_empty() {
        return Ok(());
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(140);
    if !super::color_stdout() {
        t.force_no_tty();
    }
    t.set_header(vec![
        "file",
        "format",
        "producer",
        "findings",
        "crit/high/med/low/info",
        "components",
        "relationships",
        "statements",
    ]);
    for f in &r.files {
        let i = f.input;
        let s = |sev| f.by_severity.get(&sev).copied().unwrap_or(0);
        let formats: Vec<String> = i
            .formats
            .iter()
            .zip(&i.spec_versions)
            .map(|(f, v)| format!("{} {v}", f.as_str()))
            .collect();
        let producers: Vec<String> = i
            .producers
            .iter()
            .map(|p| match &p.version {
                Some(v) => format!("{}@{v}", p.name),
                None => p.name.to_string(),
            })
            .collect();
        t.add_row(vec![
            i.path.display().to_string(),
            formats.join(", "),
            producers.join(", "),
            i.findings.to_string(),
            format!(
                "{}/{}/{}/{}/{}",
                s(Severity::Critical),
                s(Severity::High),
                s(Severity::Medium),
                s(Severity::Low),
                s(Severity::Info) + s(Severity::Unknown)
            ),
            i.components.to_string(),
            i.relationships.to_string(),
            i.statements.to_string(),
        ]);
    }
    writeln!(out, "{t}")
}
