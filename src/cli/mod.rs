//! Command line: clap definitions and the only code that prints.
//!
//! One file per subcommand. Settings precedence (flags > `FIXOPS_*`
//! environment > `fixops.toml` > defaults) is resolved in [`Context::new`].

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cvss;
mod decide;
mod explain;
mod feeds;
mod graph;
mod ingest;
mod policy;
mod runs;
mod ssvc;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};
use fixops::config;
use fixops::ingest::InputSpec;
use fixops::model::InputRole;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

const EXIT_CODES: &str = "Exit codes:\n  0  ALLOW\n  1  BLOCK\n  2  error (bad usage, unreadable or invalid input, internal failure)\n  3  DEFER (human review needed; remap with --defer-exit-code)";

/// fixops: the release gate for CI pipelines.
#[derive(Debug, Parser)]
#[command(name = "fixops", version, about, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// Configuration file (default: the nearest fixops.toml up to the repository root).
    #[arg(long, global = true, env = "FIXOPS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Evidence store (SQLite file) [default: .fixops/fixops.db].
    #[arg(long, global = true, env = "FIXOPS_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Project key [default: the git origin's owner/name, else the directory name].
    #[arg(long, global = true, env = "FIXOPS_PROJECT")]
    project: Option<String>,
    /// Branch the run belongs to.
    #[arg(long, global = true, env = "FIXOPS_BRANCH")]
    branch: Option<String>,
    /// Time of the run, RFC 3339 (for reproducible output) [default: now].
    #[arg(long, global = true, env = "FIXOPS_NOW", value_name = "TIME")]
    now: Option<String>,
    /// Do not record the run in the evidence store.
    #[arg(long, global = true, env = "FIXOPS_NO_STORE")]
    no_store: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read inputs, record them, and print a summary per file.
    Ingest(ingest::IngestArgs),
    /// Ingest, evaluate the policies and print the verdict; the exit code is the decision.
    Decide(Box<decide::DecideArgs>),
    /// Policy tools.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// List recorded runs, or verify the store's hash chain.
    Runs(runs::RunsArgs),
    /// Explain whether two findings (or issues) of a recorded run are the same issue, and why.
    Explain(explain::ExplainArgs),
    /// List the issues of a recorded run with their member findings.
    Issues(explain::IssuesArgs),
    /// Threat intelligence: CISA KEV and FIRST EPSS snapshots.
    #[command(subcommand)]
    Feeds(feeds::FeedsCommand),
    /// Score CVSS v3.0, v3.1 and v4.0 vectors.
    Cvss(cvss::CvssArgs),
    /// Evaluate an SSVC decision tree on decision-point values.
    Ssvc(ssvc::SsvcArgs),
    /// Print the SBOM dependency graph (DOT or JSON with depth, paths and dependents).
    Graph(graph::GraphArgs),
}

/// Inputs, positional or by declared kind.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Input files or directories; the format is detected from the content.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// A SARIF input (must be SARIF).
    #[arg(long, value_name = "FILE")]
    sarif: Vec<PathBuf>,
    /// An SBOM input (CycloneDX or SPDX).
    #[arg(long, value_name = "FILE")]
    sbom: Vec<PathBuf>,
    /// A VEX input (OpenVEX, CycloneDX VEX, CSAF).
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
}

impl InputArgs {
    fn specs(&self) -> Result<Vec<InputSpec>> {
        let mut out: Vec<InputSpec> = self
            .inputs
            .iter()
            .map(|p| InputSpec {
                path: p.clone(),
                role: None,
            })
            .collect();
        for (paths, role) in [
            (&self.sarif, InputRole::Sarif),
            (&self.sbom, InputRole::Sbom),
            (&self.vex, InputRole::Vex),
        ] {
            out.extend(paths.iter().map(|p| InputSpec {
                path: p.clone(),
                role: Some(role),
            }));
        }
        if out.is_empty() {
            anyhow::bail!(fixops::error::Error::Usage(
                "no inputs: name SARIF, SBOM or VEX files (or directories) to read".into()
            ));
        }
        Ok(out)
    }
}

/// Parse the process arguments (clap exits with code 2 on usage errors).
pub fn parse() -> Cli {
    Cli::parse()
}

/// Resolved settings shared by subcommands.
pub struct Context {
    cwd: PathBuf,
    file: Option<config::Loaded>,
    db: PathBuf,
    project: String,
    branch: Option<String>,
    time: String,
    no_store: bool,
}

impl Context {
    fn new(cli: &Cli) -> Result<Context> {
        let cwd = std::env::current_dir().context("cannot determine the working directory")?;
        let file = config::load(cli.config.as_deref(), &cwd)?;
        let fc = file.as_ref().map(|l| &l.config);
        let db = match (&cli.db, fc.and_then(|c| c.store.path.as_ref())) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => file.as_ref().map(|l| l.resolve(p)).unwrap_or_default(),
            (None, None) => PathBuf::from(".fixops/fixops.db"),
        };
        let project = cli
            .project
            .clone()
            .or_else(|| fc.and_then(|c| c.project.key.clone()))
            .unwrap_or_else(|| config::default_project(&cwd));
        let branch = cli
            .branch
            .clone()
            .or_else(|| fc.and_then(|c| c.project.branch.clone()));
        let time = config::now(cli.now.as_deref())?;
        Ok(Context {
            cwd,
            file,
            db,
            project,
            branch,
            time,
            no_store: cli.no_store,
        })
    }

    fn meta(&self, command: &str) -> fixops::run::RunMeta {
        fixops::run::RunMeta {
            project: self.project.clone(),
            branch: self.branch.clone(),
            time: self.time.clone(),
            command: command.to_string(),
        }
    }
}

/// Run a parsed command line; `Ok` carries the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let ctx = Context::new(&cli)?;
    match &cli.command {
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Decide(a) => decide::run(&ctx, a),
        Command::Policy(c) => policy::run(&ctx, c),
        Command::Runs(a) => runs::run(&ctx, a),
        Command::Feeds(c) => feeds::run(&ctx, c),
        Command::Explain(a) => explain::explain(&ctx, a),
        Command::Issues(a) => explain::issues(&ctx, a),
        Command::Cvss(a) => cvss::run(a),
        Command::Ssvc(a) => ssvc::run(a),
        Command::Graph(a) => graph::run(a),
    }
}

/// Print `fixops: error: …` and one `caused by:` line per cause.
pub fn print_error(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "fixops: error: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}

/// Whether colors may be used on stdout.
pub fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Write `bytes` to `path` atomically (temporary file + rename, mode 0600),
/// or to stdout when `path` is `None` or `-`.
pub fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    let mut sink = Sink::create(path)?;
    sink.write_all(bytes).map_err(|e| sink.error(e))?;
    sink.persist()?;
    Ok(())
}

/// Where a report goes, written as it is produced.
///
/// A file is written under a temporary name beside it (mode 0600) and
/// appears under its own name only on [`Sink::persist`]; a sink dropped
/// before that leaves nothing behind. Stdout is written through: a reader
/// that closes the pipe early (`fixops … | head`) is not an error.
pub struct Sink {
    target: Target,
    /// The reader of stdout went away: the rest is discarded.
    closed: bool,
}

enum Target {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File {
        path: PathBuf,
        /// The temporary name, until the file is renamed; `None` for a
        /// target written in place.
        tmp: Option<PathBuf>,
        out: Option<std::io::BufWriter<std::fs::File>>,
    },
}

/// Buffer size for report output: a 200k-finding verdict is ~240 MB of JSON.
const SINK_BUFFER: usize = 1 << 20;

impl Sink {
    /// Stdout for `None` or `-`, else a temporary file beside `path`.
    pub fn create(path: Option<&Path>) -> fixops::error::Result<Sink> {
        let target = match path.filter(|p| p.as_os_str() != "-") {
            None => Target::Stdout(std::io::BufWriter::with_capacity(
                SINK_BUFFER,
                std::io::stdout(),
            )),
            // A device, pipe or symlink (`/dev/null`, `/dev/stdout`, a
            // FIFO) is written in place: renaming over it would replace it.
            Some(p) if written_in_place(p) => {
                let mut opts = owner_only();
                opts.truncate(true).create(true);
                Target::File {
                    path: p.to_path_buf(),
                    out: Some(open_buffered(&opts, p, p)?),
                    tmp: None,
                }
            }
            Some(p) => {
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tmp = dir.join(format!(".{name}.fixops-tmp-{}", std::process::id()));
                let mut opts = owner_only();
                opts.create_new(true);
                let out = open_buffered(&opts, &tmp, p)?;
                Target::File {
                    path: p.to_path_buf(),
                    tmp: Some(tmp),
                    out: Some(out),
                }
            }
        };
        Ok(Sink {
            target,
            closed: false,
        })
    }

    /// The error for a failed write to this sink.
    pub fn error(&self, source: std::io::Error) -> fixops::error::Error {
        let path = match &self.target {
            Target::Stdout(_) => PathBuf::from("<stdout>"),
            Target::File { path, .. } => path.clone(),
        };
        fixops::error::Error::Output { path, source }
    }

    /// Flush everything written. For a file, also sync it to disk (its
    /// final name comes with [`Sink::persist`]).
    pub fn finish(&mut self) -> fixops::error::Result<()> {
        let r = self.flush().and_then(|()| match &self.target {
            Target::File {
                out: Some(w),
                tmp: Some(_),
                ..
            } => w.get_ref().sync_all(),
            _ => Ok(()),
        });
        r.map_err(|e| self.error(e))
    }

    /// Finish, and give a file its final name.
    pub fn persist(mut self) -> fixops::error::Result<()> {
        self.finish()?;
        if let Target::File { path, tmp, out } = &mut self.target
            && let Some(t) = tmp.take()
        {
            drop(out.take());
            // Taken, so `drop` has nothing left to remove; a failed rename
            // removes it here.
            std::fs::rename(&t, &*path).map_err(|e| {
                let _ = std::fs::remove_file(&t);
                fixops::error::Error::Output {
                    path: path.clone(),
                    source: e,
                }
            })?;
        }
        Ok(())
    }
}

/// Options to write a file readable by its owner only (mode 0600 where
/// modes exist).
fn owner_only() -> std::fs::OpenOptions {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Open `file` with `opts`, buffered; errors name `target`, the path the
/// user gave.
fn open_buffered(
    opts: &std::fs::OpenOptions,
    file: &Path,
    target: &Path,
) -> fixops::error::Result<std::io::BufWriter<std::fs::File>> {
    let f = opts.open(file).map_err(|e| fixops::error::Error::Output {
        path: target.to_path_buf(),
        source: e,
    })?;
    Ok(std::io::BufWriter::with_capacity(SINK_BUFFER, f))
}

/// Whether `path` exists as something other than a regular file.
fn written_in_place(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file())
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = match &mut self.target {
            Target::Stdout(w) => w.write(buf),
            Target::File { out, .. } => match out {
                Some(w) => w.write(buf),
                None => Ok(buf.len()),
            },
        };
        match r {
            Err(e)
                if e.kind() == std::io::ErrorKind::BrokenPipe
                    && matches!(self.target, Target::Stdout(_)) =>
            {
                self.closed = true;
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            Target::Stdout(w) => match w.flush() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    self.closed = true;
                    Ok(())
                }
                r => r,
            },
            Target::File { out, .. } => out.as_mut().map_or(Ok(()), |w| w.flush()),
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Target::File { tmp, out, .. } = &mut self.target
            && let Some(t) = tmp.take()
        {
            drop(out.take());
            let _ = std::fs::remove_file(t);
        }
    }
}
