//! `fixops decide`: ingest, evaluate the policies, record, report; the exit
//! code is the decision.

use super::{Context, InputArgs, emit};
use anyhow::Result;
use clap::Args;
use fixops::evidence::store::Store;
use fixops::policy::{Policy, PolicyConfig};
use fixops::report::{self, Format};
use fixops::run::Run;
use fixops::verdict::Verdict;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DecideArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format [default: table].
    #[arg(long, short = 'f', value_enum, env = "FIXOPS_FORMAT")]
    format: Option<Format>,
    /// Write the report to FILE instead of stdout (atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit code for DEFER [default: 3].
    #[arg(long, env = "FIXOPS_DEFER_EXIT_CODE", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=255))]
    defer_exit_code: Option<u8>,
    /// Additional Rego policy file or directory (repeatable).
    #[arg(
        long = "policy",
        value_name = "PATH",
        env = "FIXOPS_POLICY",
        value_delimiter = ','
    )]
    policies: Vec<PathBuf>,
    /// Do not load the shipped policies (only --policy ones).
    #[arg(long)]
    no_builtin_policy: bool,
    /// Most findings to list in table and markdown output.
    #[arg(long, default_value_t = 25, value_name = "N")]
    limit: usize,
    /// A minijinja template for --format markdown.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: &DecideArgs) -> Result<u8> {
    let fc = ctx.file.as_ref().map(|l| &l.config.decide);
    let format = match (args.format, fc.and_then(|d| d.format.as_deref())) {
        (Some(f), _) => f,
        (None, Some(word)) => Format::parse(word).ok_or_else(|| fixops::error::Error::Config {
            path: ctx
                .file
                .as_ref()
                .map(|l| l.path.clone())
                .unwrap_or_default(),
            position: None,
            message: format!(
                "[decide] format = {word:?}; expected \"table\", \"json\" or \"markdown\""
            ),
        })?,
        (None, None) => Format::Table,
    };
    let defer_exit_code = args
        .defer_exit_code
        .or_else(|| fc.and_then(|d| d.defer_exit_code))
        .unwrap_or(3);
    let mut paths = args.policies.clone();
    if let Some(l) = &ctx.file {
        paths.extend(l.config.decide.policies.iter().map(|p| l.resolve(p)));
    }
    let builtin = !args.no_builtin_policy && fc.and_then(|d| d.builtin_policies).unwrap_or(true);
    let template = match &args.template {
        Some(p) => Some(
            std::fs::read_to_string(p).map_err(|e| fixops::error::Error::Io {
                path: p.clone(),
                source: e,
            })?,
        ),
        None => None,
    };
    // Load the policy before reading inputs: a broken policy fails fast.
    let mut policy = Policy::load(&PolicyConfig { builtin, paths })?;
    let ingested = fixops::ingest::ingest_all(&args.inputs.specs()?)?;
    let run = Run::assemble(ctx.meta("decide"), ingested);
    let outcome = policy.evaluate(&run)?;
    let verdict = Verdict::build(&run, outcome, defer_exit_code);
    if !ctx.no_store {
        let rec = Store::open(&ctx.db)?.record(&run, Some(&verdict))?;
        eprintln!(
            "fixops: recorded as run {} in {}",
            rec.run_id,
            ctx.db.display()
        );
    }
    let mut out = Vec::new();
    let opts = report::Options {
        limit: args.limit,
        template,
        color: super::color_stdout() && args.output.is_none(),
    };
    report::write_verdict(format, &verdict, &opts, &mut out)?;
    emit(args.output.as_deref(), &out)?;
    for w in &verdict.warnings {
        eprintln!("fixops: warning: {w}");
    }
    let _ = &ctx.cwd;
    Ok(verdict.exit_code)
}
