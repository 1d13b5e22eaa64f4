//! `fixops cvss`: score CVSS v3.0, v3.1 and v4.0 vectors.

use super::emit;
use anyhow::Result;
use clap::Args;
use fixops::enrich::cvss;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct CvssArgs {
    /// CVSS vectors, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.
    #[arg(required = true, value_name = "VECTOR")]
    vectors: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Serialize)]
struct Scored<'a> {
    vector: &'a str,
    version: &'static str,
    score: f64,
    severity: String,
}

pub fn run(args: &CvssArgs) -> Result<u8> {
    // Validate every vector before printing anything: a bad one is exit 2.
    let parsed = args
        .vectors
        .iter()
        .map(|v| cvss::parse(v))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<Scored> = parsed
        .iter()
        .map(|c| Scored {
            vector: c.vector(),
            version: c.version().as_str(),
            score: c.base_score(),
            severity: format!("{:?}", c.rating()).to_lowercase(),
        })
        .collect();
    let out = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rows)?;
            s.push('\n');
            s
        }
        Format::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::NOTHING)
                .force_no_tty()
                .set_header(["SCORE", "SEVERITY", "VERSION", "VECTOR"]);
            for r in &rows {
                t.add_row([
                    format!("{:.1}", r.score),
                    r.severity.clone(),
                    r.version.to_string(),
                    r.vector.to_string(),
                ]);
            }
            format!("{}\n", t.trim_fmt())
        }
    };
    emit(None, out.as_bytes())?;
    Ok(0)
}
