//! `fixops decide`: ingest, evaluate the policies, record, report; the exit
//! code is the decision.

use super::{Context, InputArgs};
use anyhow::Result;
use clap::Args;
use fixops::evidence::store::Store;
use fixops::policy::{Policy, PolicyConfig};
use fixops::report::{self, Format};
use fixops::run::Run;
use fixops::task::Task;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DecideArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format [default: table].
    #[arg(long, short = 'f', value_enum, env = "FIXOPS_FORMAT")]
    format: Option<Format>,
    /// Write the report to FILE instead of stdout (atomically: it appears once the run is recorded).
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
    /// Gate only on new and reintroduced issues.
    #[arg(long, env = "FIXOPS_NEW_ONLY")]
    new_only: bool,
    /// Compare with an earlier verdict JSON or SARIF file instead of the previous run in the store.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Source tree for line-drift-robust fingerprints [default: the repository root].
    #[arg(long, value_name = "DIR", env = "FIXOPS_SOURCE_ROOT")]
    source_root: Option<PathBuf>,
    /// Merge findings when a strategy's confidence reaches this (0–1) [default: 0.8].
    #[arg(long, value_name = "X", env = "FIXOPS_MERGE_THRESHOLD")]
    merge_threshold: Option<f64>,
    /// A waivers file of `[[waiver]]` entries (repeatable).
    #[arg(long = "waivers", value_name = "FILE")]
    waiver_files: Vec<PathBuf>,
    /// Another scanner's ignore file: .trivyignore, .trivyignore.yaml, .grype.yaml, osv-scanner.toml
    /// (repeatable; those in the working directory are read automatically).
    #[arg(long = "ignore-file", value_name = "FILE")]
    ignore_files: Vec<PathBuf>,
    /// Service this run is for (waiver scope, business context).
    #[arg(long, env = "FIXOPS_SERVICE")]
    service: Option<String>,
    /// Environment this run is for (waiver scope, business context).
    #[arg(long, env = "FIXOPS_ENVIRONMENT")]
    environment: Option<String>,
    /// Business context file (`[context]` defaults and `[context.services.NAME]`).
    #[arg(long, value_name = "FILE", env = "FIXOPS_CONTEXT")]
    context: Option<PathBuf>,
    /// Use this intelligence snapshot (id from `fixops feeds status`; once for KEV, once for EPSS).
    #[arg(long = "intel-snapshot", value_name = "ID")]
    intel_snapshots: Vec<i64>,
    /// Print how long each stage took to stderr.
    #[arg(long)]
    timings: bool,
    /// Fail (exit 2) when the KEV or EPSS snapshot is missing or older than its maximum age.
    #[arg(long, env = "FIXOPS_REQUIRE_FRESH_INTEL")]
    require_fresh_intel: bool,
}

/// Ignore files of other scanners read automatically from the working directory.
const IGNORE_FILES: &[&str] = &[
    ".trivyignore",
    ".trivyignore.yaml",
    ".grype.yaml",
    "osv-scanner.toml",
];

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
    // Load the policy and waivers before reading inputs: broken ones fail fast.
    let mut policy = Policy::load(&PolicyConfig { builtin, paths })?;
    let waiver_settings = fixops::waiver::Settings {
        max_days: fc.and_then(|d| d.waiver_max_days).unwrap_or(90),
        warn_days: fc.and_then(|d| d.waiver_warn_days).unwrap_or(14),
    };
    let today = fixops::waiver::today(&ctx.time);
    let mut ignore_files = args.ignore_files.clone();
    for name in IGNORE_FILES {
        let p = ctx.cwd.join(name);
        if p.is_file() && !ignore_files.contains(&p) {
            ignore_files.push(p);
        }
    }
    let config_waivers = ctx.file.as_ref().map(|l| {
        (
            l.path.as_path(),
            l.text.as_str(),
            l.config.waiver.as_slice(),
        )
    });
    let waivers = fixops::waiver::load_all(
        config_waivers,
        &args.waiver_files,
        &ignore_files,
        today,
        &waiver_settings,
    )?;
    let merge_threshold = args
        .merge_threshold
        .or_else(|| fc.and_then(|d| d.merge_threshold))
        .unwrap_or(0.8);
    if !(0.0..=1.0).contains(&merge_threshold) {
        anyhow::bail!(fixops::error::Error::Usage(format!(
            "--merge-threshold {merge_threshold}: expected a confidence between 0 and 1"
        )));
    }
    let source_root = args.source_root.clone().or_else(|| repo_root(&ctx.cwd));
    let opts = fixops::gate::Options {
        correlate: fixops::correlate::Config { merge_threshold },
        source_root,
        new_only: args.new_only,
        defer_exit_code,
        waivers,
        waiver_settings,
        scope: fixops::waiver::RunScope {
            service: args.service.clone(),
            environment: args.environment.clone(),
        },
        scoring: Default::default(),
    };
    let specs = args.inputs.specs()?;
    let mut timings = fixops::gate::Timings::start();
    // A store that exists already is opened, and its history read, on a
    // second core while the inputs are read (for a large project each takes
    // a tenth of a second or more); one that does not is created only once
    // the inputs have been read. The inputs' errors come first.
    let open_with_history = || -> fixops::error::Result<_> {
        let store = Store::open(&ctx.db)?;
        let history = store.history(&ctx.project, ctx.branch.as_deref())?;
        Ok((Some(store), history))
    };
    let (ingested, early) = std::thread::scope(|scope| {
        let early = (!ctx.no_store && args.baseline.is_none() && ctx.db.is_file())
            .then(|| Task::start(scope, "fixops-history", open_with_history));
        let ingested = fixops::ingest::ingest_all(&specs);
        (ingested, early.map(|h| h.join()))
    });
    let ingested = ingested?;
    timings.mark("read and parse");
    let mut run = Run::assemble(ctx.meta("decide"), ingested);
    let (mut store, history) = match (early, &args.baseline) {
        (Some(Ok(loaded)), _) => loaded?,
        (Some(Err(_)), _) => anyhow::bail!(fixops::error::Error::Store {
            path: ctx.db.clone(),
            message: "reading the history stopped unexpectedly".into(),
        }),
        (None, Some(b)) => {
            let store = (!ctx.no_store).then(|| Store::open(&ctx.db)).transpose()?;
            (store, baseline_history(b, &ctx.time)?)
        }
        (None, None) if ctx.no_store => (None, Default::default()),
        (None, None) => open_with_history()?,
    };
    let mut opts = opts;
    opts.scoring = scoring(ctx, args, &run, store.as_ref())?;
    timings.mark("history and intelligence");
    let mut gate_timings = fixops::gate::Timings::start();
    fixops::gate::prepare(&mut run, &opts);
    gate_timings.mark("fingerprints");
    timings.stages.append(&mut gate_timings.stages);
    timings.memory.append(&mut gate_timings.memory);
    let run = run;
    // The findings are final now: the store encodes them on a second core
    // while the gate runs.
    let (decided, encoded, ahead) = std::thread::scope(|scope| {
        let encoding = store.is_some().then(|| {
            let (run, db) = (&run, ctx.db.as_path());
            Task::start(scope, "fixops-findings", move || {
                fixops::evidence::store::EncodedFindings::encode_beside(run, db)
            })
        });
        // The gate frees the history once the lifecycle is compared.
        let mut triaged = fixops::gate::triage(&run, history, &opts);
        // The next lifecycle state is encoded now, from the state stored
        // now, on the core the findings' encoder leaves free while the
        // policy and the verdict are made; the store moves there and back.
        // (Recording encodes it again, from what it reads under its lock,
        // if another run was recorded meanwhile; with an explicit baseline
        // the store's lifecycle is left as it is.)
        let ahead = match store.take() {
            Some(s) if args.baseline.is_none() => {
                let update = std::mem::take(&mut triaged.update);
                let meta = &run.meta;
                Some(Task::start(scope, "fixops-state", move || {
                    let encoded = s.encode_state_ahead(meta, &update);
                    (s, update, encoded)
                }))
            }
            s => {
                store = s;
                None
            }
        };
        let decided = fixops::gate::decide_triaged(&run, triaged, &mut policy, &opts);
        let encoded = encoding.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("encoding the findings failed".into()))
        });
        (decided, encoded, ahead.map(|h| h.join()))
    });
    let mut decided = decided?;
    // An error of the state read ahead is met again, and reported, when
    // the run is recorded.
    let ahead = match ahead {
        Some(Ok((s, update, encoded))) => {
            store = Some(s);
            decided.update = update;
            // What is encoded need not be kept twice while the run is
            // recorded: should the store change before, the new issues are
            // read from the verdict. (Dropped here, on the thread that made
            // them, whose next allocations can take their room.)
            if encoded.is_ok() {
                decided.update.shed_new();
            }
            encoded.ok()
        }
        Some(Err(_)) => anyhow::bail!(fixops::error::Error::Store {
            path: ctx.db.clone(),
            message: "encoding the lifecycle state stopped unexpectedly".into(),
        }),
        None => None,
    };
    timings.stages.append(&mut decided.timings.stages);
    timings.memory.append(&mut decided.timings.memory);
    timings.restart();
    if args.require_fresh_intel && !decided.verdict.intel.stale.is_empty() {
        anyhow::bail!(fixops::error::Error::Usage(format!(
            "--require-fresh-intel: {}",
            decided.verdict.intel.stale.join("; ")
        )));
    }
    let verdict = decided.verdict;
    let opts = report::Options {
        limit: args.limit,
        template,
        color: super::color_stdout() && args.output.is_none(),
    };
    // The report is written on a second core while the run is recorded. The
    // record commits only once the report is complete (a run whose report
    // cannot be produced is not recorded), and an output file gets its name
    // only after the commit.
    let mut sink = super::Sink::create(args.output.as_deref())?;
    let stopped = sink.error(std::io::Error::other("the report writer stopped"));
    let recorded = std::thread::scope(|scope| -> Result<Option<_>> {
        let sink = &mut sink;
        let rendering = Task::start(scope, "fixops-report", || -> fixops::error::Result<()> {
            let written = report::write_verdict(format, &verdict, &opts, &mut *sink);
            written.map_err(|e| sink.error(e))?;
            sink.finish()
        });
        let rendered = move || rendering.join().unwrap_or(Err(stopped));
        match (store.as_mut(), encoded) {
            (Some(s), Some(encoded)) => {
                let encoded = encoded.map_err(|message| fixops::error::Error::Store {
                    path: ctx.db.clone(),
                    message,
                })?;
                // With an explicit baseline the store's lifecycle is left as it is.
                let update = args.baseline.is_none().then_some(&decided.update);
                let rec =
                    s.record_encoded(&run, encoded, Some(&verdict), update, ahead, rendered)?;
                Ok(Some(rec))
            }
            _ => {
                rendered()?;
                Ok(None)
            }
        }
    })?;
    sink.persist()?;
    if let Some(rec) = recorded {
        eprintln!(
            "fixops: recorded as run {} in {}",
            rec.run_id,
            ctx.db.display()
        );
    }
    timings.mark("render and record");
    if args.timings {
        let total: f64 = timings.stages.iter().map(|(_, s)| s).sum();
        for (stage, secs) in &timings.stages {
            let mem = timings
                .memory
                .iter()
                .find(|(s, _, _)| s == stage)
                .map(|(_, rss, peak)| format!("  rss {rss:>6.0} MiB  peak {peak:>6.0} MiB"))
                .unwrap_or_default();
            eprintln!("fixops: timing: {stage:<24} {secs:>8.3} s{mem}");
        }
        eprintln!(
            "fixops: timing: {:<24} {total:>8.3} s",
            "total after policy load"
        );
    }
    for w in &verdict.warnings {
        eprintln!("fixops: warning: {w}");
    }
    let code = verdict.exit_code;
    // The process ends here: skip freeing millions of small allocations of a
    // large run (a tenth of a second for 200k findings).
    std::mem::forget(verdict);
    std::mem::forget(run);
    Ok(code)
}

/// Intelligence, context and fix history for scoring.
fn scoring(
    ctx: &Context,
    args: &DecideArgs,
    run: &Run,
    store: Option<&Store>,
) -> Result<fixops::gate::Scoring> {
    use fixops::enrich::{context::Context as Business, intel::Intel};
    let rules = fixops::score::Rules::embedded();
    let context = match (&args.context, ctx.file.as_ref()) {
        (Some(p), _) => Business::load(p)?,
        (None, Some(l)) => l.config.context.clone(),
        (None, None) => Business::default(),
    };
    let Some(store) = store else {
        return Ok(fixops::gate::Scoring {
            context,
            ..Default::default()
        });
    };
    let mut cves: Vec<String> = run
        .findings
        .iter()
        .filter_map(|f| f.vulnerability.as_ref())
        .flat_map(|v| std::iter::once(&v.id).chain(&v.aliases))
        .filter(|id| id.to_ascii_uppercase().starts_with("CVE-"))
        .cloned()
        .collect();
    cves.sort();
    cves.dedup();
    let (mut kev, mut epss) = (None, None);
    for id in &args.intel_snapshots {
        let snap = store.snapshot(*id)?.ok_or_else(|| {
            fixops::error::Error::Usage(format!(
                "--intel-snapshot {id}: no such snapshot (see `fixops feeds status`)"
            ))
        })?;
        match snap.source.as_str() {
            "kev" => kev = Some(*id),
            _ => epss = Some(*id),
        }
    }
    let intel = Intel::load(store, kev, epss, Some(&cves))?;
    let durations = store.fix_durations(&ctx.project)?;
    let by_severity = durations
        .into_iter()
        .filter_map(|(s, d)| fixops::model::Severity::from_word(&s).map(|s| (s, d)))
        .collect();
    let defaults = fixops::enrich::intel::MaxAge::default();
    let fc = ctx.file.as_ref().map(|l| &l.config.decide);
    let max_age = fixops::enrich::intel::MaxAge {
        kev_days: fc
            .and_then(|d| d.kev_max_age_days)
            .unwrap_or(defaults.kev_days),
        epss_days: fc
            .and_then(|d| d.epss_max_age_days)
            .unwrap_or(defaults.epss_days),
    };
    Ok(fixops::gate::Scoring {
        intel,
        context,
        max_age,
        mttr: fixops::score::markov::MttrTable::from_durations(&by_severity, &rules.markov),
        check_freshness: true,
    })
}

/// The repository root (a directory holding `.git`) at or above `dir`.
fn repo_root(dir: &std::path::Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(|d| d.to_path_buf())
}

/// History from a baseline file: an earlier fixops verdict JSON (its issues)
/// or any input fixops reads (correlated the same way).
fn baseline_history(path: &std::path::Path, time: &str) -> Result<fixops::lifecycle::History> {
    let text = std::fs::read_to_string(path).map_err(|e| fixops::error::Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let source = format!("baseline {}", path.display());
    if text.contains("\"schema_version\"") && text.contains("fixops.verdict/") {
        #[derive(serde::Deserialize)]
        struct V {
            issues: Vec<I>,
        }
        #[derive(serde::Deserialize)]
        struct I {
            id: String,
            identity: String,
            severity: fixops::model::Severity,
            fingerprints: Vec<String>,
        }
        let v: V = fixops::error::from_json(path, &text, "fixops verdict")?;
        let issues: Vec<_> = v
            .issues
            .into_iter()
            .map(|i| (i.id, i.identity, i.severity, i.fingerprints))
            .collect();
        return Ok(fixops::lifecycle::history_from_issues(
            source, &issues, time,
        ));
    }
    let file = fixops::ingest::read_file(path, None).map_err(|e| match e {
        fixops::ingest::ReadError::Fatal(e) => e,
        fixops::ingest::ReadError::Unrecognized(m) => fixops::error::Error::input(path, m),
    })?;
    let run = Run::assemble(
        fixops::run::RunMeta {
            project: String::new(),
            branch: None,
            time: time.to_string(),
            command: "baseline".into(),
        },
        fixops::ingest::Ingested {
            files: vec![file],
            warnings: Vec::new(),
        },
    );
    let c = fixops::correlate::correlate(&run, &Default::default());
    let issues: Vec<_> = c
        .issues
        .iter()
        .map(|i| {
            (
                i.id.to_string(),
                i.identity.to_string(),
                i.severity,
                i.fingerprints.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    Ok(fixops::lifecycle::history_from_issues(
        source, &issues, time,
    ))
}
