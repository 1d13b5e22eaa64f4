//! `fixops feeds`: import, fetch and list KEV / EPSS snapshots.

use super::{Context, emit};
use anyhow::Result;
use clap::Subcommand;
use fixops::evidence::store::{Imported, Snapshot, Store};
use fixops::ingest::feeds::{self, EPSS_URL, KEV_URL};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Import KEV JSON or EPSS CSV (.csv or .csv.gz) files, for air-gapped use.
    Import {
        /// Feed files; the kind is detected from the content.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Fetch the CISA KEV catalog and the FIRST EPSS scores (network).
    Update {
        /// KEV JSON URL (a mirror).
        #[arg(long, env = "FIXOPS_KEV_URL", default_value = KEV_URL)]
        kev_url: String,
        /// EPSS CSV (gzip) URL (a mirror).
        #[arg(long, env = "FIXOPS_EPSS_URL", default_value = EPSS_URL)]
        epss_url: String,
        /// Per-request timeout in seconds.
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        timeout: u64,
        /// Retries after a transient failure.
        #[arg(long, default_value_t = 2)]
        retries: u32,
    },
    /// Show the stored snapshots and their age.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Context, cmd: &FeedsCommand) -> Result<u8> {
    match cmd {
        FeedsCommand::Import { files } => {
            // Parse everything first: a bad file imports nothing.
            let mut parsed = Vec::new();
            for f in files {
                let raw = std::fs::read(f).map_err(|e| fixops::error::Error::Io {
                    path: f.clone(),
                    source: e,
                })?;
                parsed.push((f.to_string_lossy().into_owned(), feeds::parse(f, &raw)?));
            }
            store_all(ctx, &parsed)
        }
        FeedsCommand::Update {
            kev_url,
            epss_url,
            timeout,
            retries,
        } => {
            let mut parsed = Vec::new();
            for url in [kev_url, epss_url] {
                eprintln!("fixops: fetching {url}");
                let raw = feeds::fetch(url, Duration::from_secs(*timeout), *retries)?;
                parsed.push((url.clone(), feeds::parse(std::path::Path::new(url), &raw)?));
            }
            store_all(ctx, &parsed)
        }
        FeedsCommand::Status { json } => {
            let snaps = if ctx.db.exists() {
                Store::open(&ctx.db)?.snapshots()?
            } else {
                Vec::new()
            };
            let mut out = Vec::new();
            if *json {
                serde_json::to_writer_pretty(&mut out, &snaps)?;
                out.push(b'\n');
            } else if snaps.is_empty() {
                out.extend_from_slice(b"no intelligence snapshots; run `fixops feeds update` or `fixops feeds import FILE`\n");
            } else {
                let mut t = comfy_table::Table::new();
                t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
                t.force_no_tty();
                t.set_header(vec![
                    "id",
                    "source",
                    "version",
                    "date",
                    "age (days)",
                    "entries",
                    "origin",
                ]);
                for s in &snaps {
                    t.add_row(vec![
                        s.id.to_string(),
                        s.source.clone(),
                        s.version.clone().unwrap_or_default(),
                        s.date.clone().unwrap_or_default(),
                        age_days(s, &ctx.time)
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        s.entries.to_string(),
                        s.origin.clone(),
                    ]);
                }
                use std::io::Write;
                writeln!(out, "{t}")?;
            }
            emit(None, &out)?;
            Ok(0)
        }
    }
}

/// Store parsed feeds (each in its own transaction) and report each.
fn store_all(ctx: &Context, parsed: &[(String, feeds::Feed)]) -> Result<u8> {
    let mut store = Store::open(&ctx.db)?;
    let mut out = String::new();
    for (origin, feed) in parsed {
        out.push_str(&describe(store.import_feed(feed, origin, &ctx.time)?));
    }
    emit(None, out.as_bytes())?;
    Ok(0)
}

fn describe(i: Imported) -> String {
    match i {
        Imported::New(s) => format!(
            "imported {} snapshot {} (version {}, date {}, {} entries)\n",
            s.source,
            s.id,
            s.version.as_deref().unwrap_or("-"),
            s.date.as_deref().unwrap_or("-"),
            s.entries
        ),
        Imported::Existing(s) => format!(
            "{} already stored as snapshot {} (same sha256)\n",
            s.origin, s.id
        ),
    }
}

/// Whole days between a snapshot's date (or import time) and `now`.
pub fn age_days(s: &Snapshot, now: &str) -> Option<i64> {
    let date = s.date.as_deref().unwrap_or(&s.fetched_at);
    let day = |t: &str| {
        let d = t.get(..10)?;
        time::Date::parse(
            d,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
    };
    Some((day(now)? - day(date)?).whole_days())
}
