//! `fixops graph`: the SBOM dependency graph as DOT or JSON.

use super::{InputArgs, emit};
use anyhow::Result;
use clap::Args;
use fixops::enrich::graph::ComponentGraph;
use fixops::ingest::ingest_all;

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format: Graphviz DOT, or JSON with depth, path and dependents per component.
    #[arg(long, short = 'f', value_enum, default_value = "dot")]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Dot,
    Json,
}

pub fn run(args: &GraphArgs) -> Result<u8> {
    let ingested = ingest_all(&args.inputs.specs()?)?;
    for w in &ingested.warnings {
        eprintln!("fixops: warning: {w}");
    }
    let graph =
        ComponentGraph::from_documents(ingested.files.iter().flat_map(|f| f.documents.iter()));
    if graph.is_empty() {
        eprintln!("fixops: warning: the inputs hold no SBOM components");
    }
    let out = match args.format {
        Format::Dot => graph.to_dot(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&graph.export())?;
            s.push('\n');
            s
        }
    };
    emit(None, out.as_bytes())?;
    Ok(0)
}
