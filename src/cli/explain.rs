//! `fixops explain` and `fixops issues`: why findings are (not) one issue,
//! and the issues of a recorded run.

use super::{Context, emit};
use anyhow::Result;
use clap::Args;
use fixops::correlate::{self, Config};
use fixops::evidence::store::Store;
use std::io::Write;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A finding index (as in the verdict's `findings[].index`) or issue id (`I-…`).
    a: String,
    /// Another finding index or issue id.
    b: String,
    /// The recorded run [default: the newest `decide` run of the project].
    #[arg(long)]
    run: Option<i64>,
    /// Merge threshold to correlate with [default: 0.8].
    #[arg(long, default_value_t = 0.8)]
    merge_threshold: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct IssuesArgs {
    /// The recorded run [default: the newest `decide` run of the project].
    #[arg(long)]
    run: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn open_run(ctx: &Context, run: Option<i64>) -> Result<(Store, i64)> {
    if !ctx.db.exists() {
        anyhow::bail!(fixops::error::Error::Store {
            path: ctx.db.clone(),
            message: "no evidence store here yet; run `fixops decide` first, or pass --db".into(),
        });
    }
    let store = Store::open(&ctx.db)?;
    let id = match run {
        Some(id) => id,
        None => store.latest_decide(Some(&ctx.project))?.ok_or_else(|| {
            fixops::error::Error::Usage(format!(
                "no recorded `decide` run of project {}; pass --run ID (see `fixops runs`)",
                ctx.project
            ))
        })?,
    };
    Ok((store, id))
}

fn verdict_of(store: &Store, run: i64) -> Result<serde_json::Value> {
    let get = |kind: &str| -> Result<serde_json::Value> {
        let blob = store.blob(run, kind)?.ok_or_else(|| {
            fixops::error::Error::Usage(format!(
                "run {run} is not a `decide` run (no {kind} recorded)"
            ))
        })?;
        Ok(serde_json::from_slice(&blob)?)
    };
    let mut v = get("verdict")?;
    v["issues"] = store.issues_of(run)?.ok_or_else(|| {
        fixops::error::Error::Usage(format!(
            "run {run} is not a `decide` run (no issues recorded)"
        ))
    })?;
    Ok(v)
}

/// Resolve a finding index or an issue id to a finding index (of the `n`
/// findings of the run).
fn finding_of(verdict: &serde_json::Value, n: usize, key: &str) -> Result<usize> {
    if let Ok(i) = key.parse::<usize>() {
        if i < n {
            return Ok(i);
        }
        anyhow::bail!(fixops::error::Error::Usage(format!(
            "finding {i} is out of range (the run has {n} findings)"
        )));
    }
    let issue = verdict["issues"]
        .as_array()
        .and_then(|is| is.iter().find(|i| i["id"] == key))
        .ok_or_else(|| {
            fixops::error::Error::Usage(format!(
                "{key:?} is neither a finding index nor an issue id of this run"
            ))
        })?;
    Ok(issue["findings"][0].as_u64().unwrap_or(0) as usize)
}

pub fn explain(ctx: &Context, args: &ExplainArgs) -> Result<u8> {
    let (store, run_id) = open_run(ctx, args.run)?;
    let verdict = verdict_of(&store, run_id)?;
    let findings = store.findings_of(run_id)?;
    let (a, b) = (
        finding_of(&verdict, findings.len(), &args.a)?,
        finding_of(&verdict, findings.len(), &args.b)?,
    );
    let mut run = fixops::run::Run::assemble(ctx.meta("explain"), Default::default());
    run.findings = std::sync::Arc::new(findings);
    run.finding_input = vec![0; run.findings.len()];
    let c = correlate::correlate(
        &run,
        &Config {
            merge_threshold: args.merge_threshold,
        },
    );
    let e = correlate::explain(&run, &c, a, b);
    let mut out = Vec::new();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &e)?;
        out.push(b'\n');
    } else {
        writeln!(
            out,
            "findings {a} and {b} of run {run_id}: {} (issues {} and {}), confidence {:.2}",
            if e.same_issue {
                "the SAME issue"
            } else {
                "DIFFERENT issues"
            },
            e.issues[0],
            e.issues[1],
            e.confidence
        )?;
        for k in &e.checks {
            writeln!(
                out,
                "  {:11} {:<8} {}",
                k.strategy.as_str(),
                if k.matched { "match" } else { "no match" },
                k.detail
            )?;
        }
        if !e.path.is_empty() {
            writeln!(out, "joined by:")?;
            for m in &e.path {
                writeln!(
                    out,
                    "  {} ~ {} by {} ({:.2}) on {}",
                    m.a,
                    m.b,
                    m.strategy.as_str(),
                    m.confidence,
                    m.key
                )?;
            }
        }
    }
    emit(None, &out)?;
    Ok(0)
}

pub fn issues(ctx: &Context, args: &IssuesArgs) -> Result<u8> {
    let (store, run_id) = open_run(ctx, args.run)?;
    let verdict = verdict_of(&store, run_id)?;
    let mut out = Vec::new();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &verdict["issues"])?;
        out.push(b'\n');
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.force_no_tty();
        t.set_header(vec![
            "issue",
            "lifecycle",
            "severity",
            "decision",
            "vulnerability / rule",
            "tools",
            "findings",
            "merged by",
            "vex / waiver",
        ]);
        let findings = store.findings_of(run_id)?;
        for i in verdict["issues"].as_array().into_iter().flatten() {
            let members: Vec<String> = i["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| m.to_string())
                .collect();
            let first = i["findings"][0].as_u64().unwrap_or(0) as usize;
            let what = i["vulnerability"]
                .as_str()
                .map(str::to_string)
                .or_else(|| {
                    findings
                        .get(first)
                        .and_then(|f| f.rule_id.as_deref())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let note = match (i.get("vex"), i.get("waiver")) {
                (Some(v), _) => format!("VEX {}", v.as_str().unwrap_or("")),
                (None, Some(w)) => format!("waived by {}", w.as_str().unwrap_or("")),
                _ => String::new(),
            };
            let list = |k: &str| {
                i[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            t.add_row(vec![
                i["id"].as_str().unwrap_or("").to_string(),
                i["lifecycle"].as_str().unwrap_or("").to_string(),
                i["severity"].as_str().unwrap_or("").to_string(),
                i["decision"].as_str().unwrap_or("").to_string(),
                what,
                list("tools"),
                members.join(" "),
                list("merged_by"),
                note,
            ]);
        }
        writeln!(
            out,
            "run {run_id}: {} issues from {} findings",
            verdict["counts"]["issues"], verdict["counts"]["findings"]
        )?;
        writeln!(out, "{t}")?;
    }
    emit(None, &out)?;
    Ok(0)
}
