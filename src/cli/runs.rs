//! `fixops runs`: list recorded runs; `--verify` checks the hash chain.

use super::{Context, emit};
use anyhow::Result;
use clap::Args;
use fixops::evidence::store::Store;

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only this project's runs (default: all projects).
    #[arg(long = "for-project", value_name = "KEY")]
    for_project: Option<String>,
    /// How many runs, newest first.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Verify the hash chain of every recorded run (exit 1 if broken).
    #[arg(long)]
    verify: bool,
}

pub fn run(ctx: &Context, args: &RunsArgs) -> Result<u8> {
    if !ctx.db.exists() {
        anyhow::bail!(fixops::error::Error::Store {
            path: ctx.db.clone(),
            message: "no evidence store here yet; run `fixops ingest` or `fixops decide` first, or pass --db".into(),
        });
    }
    let store = Store::open(&ctx.db)?;
    if args.verify {
        return Ok(match store.verify_chain()? {
            Ok(n) => {
                emit(None, format!("hash chain intact: {n} runs\n").as_bytes())?;
                0
            }
            Err(id) => {
                emit(None, format!("hash chain BROKEN at run {id}\n").as_bytes())?;
                1
            }
        });
    }
    let rows = store.runs(args.for_project.as_deref(), args.limit)?;
    let mut out = Vec::new();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        out.push(b'\n');
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.force_no_tty();
        t.set_header(vec![
            "run", "time", "project", "branch", "command", "verdict", "findings", "hash",
        ]);
        for r in &rows {
            t.add_row(vec![
                r.id.to_string(),
                r.time.clone(),
                r.project.clone(),
                r.branch.clone().unwrap_or_default(),
                r.command.clone(),
                r.verdict.clone().unwrap_or_default(),
                r.findings.to_string(),
                r.hash[..12].to_string(),
            ]);
        }
        use std::io::Write;
        writeln!(out, "{t}")?;
    }
    emit(None, &out)?;
    Ok(0)
}
