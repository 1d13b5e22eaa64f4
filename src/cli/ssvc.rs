//! `fixops ssvc`: evaluate an SSVC decision tree on decision-point values.

use super::emit;
use anyhow::Result;
use clap::Args;
use fixops::error::Error;
use fixops::score::{TREES, ssvc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct SsvcArgs {
    /// Decision tree: cisa (CISA coordinator), deployer, supplier or bod2604 (CISA BOD 26-04).
    #[arg(long, value_parser = tree_names())]
    tree: String,
    /// Decision-point values as NAME=VALUE, e.g. exploitation=active automatable=yes.
    /// Names and values match the tables ignoring case, spaces and hyphens.
    #[arg(value_name = "DP=VALUE")]
    values: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

fn tree_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(TREES.iter().map(|(name, _)| *name))
}

#[derive(Serialize)]
struct JsonOut {
    outcome: String,
    decision_points: BTreeMap<String, String>,
}

pub fn run(args: &SsvcArgs) -> Result<u8> {
    let id = TREES
        .iter()
        .find(|(name, _)| *name == args.tree)
        .map(|(_, id)| *id)
        .ok_or_else(|| Error::Usage(format!("unknown tree {}", args.tree)))?;
    let mut pairs = Vec::new();
    for v in &args.values {
        let (name, value) = v.split_once('=').ok_or_else(|| {
            Error::Usage(format!("`{v}` is not NAME=VALUE, e.g. exploitation=active"))
        })?;
        pairs.push((name.trim(), value.trim()));
    }
    let tables = ssvc::Tables::embedded()?;
    let outcome = tables.evaluate(id, &pairs)?;
    let out = match args.format {
        Format::Json => {
            let doc = JsonOut {
                outcome: outcome.outcome.clone(),
                decision_points: path_as_tables_spell_it(&outcome),
            };
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s
        }
        Format::Table => {
            let mut s = format!(
                "{}: {} ({})\n",
                outcome.outcome_group,
                outcome.outcome,
                tables.get(id)?.name
            );
            for o in &outcome.derived {
                s.push_str(&format!(
                    "  {} = {} (from {})\n",
                    o.outcome_group,
                    o.outcome,
                    o.path
                        .iter()
                        .map(|(n, v)| format!("{n} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            s.push_str("path:\n");
            for (n, v) in &outcome.path {
                s.push_str(&format!("  {n}: {v}\n"));
            }
            s
        }
    };
    emit(None, out.as_bytes())?;
    Ok(0)
}

/// Decision-point values as the table CSVs spell them (lower case).
fn path_as_tables_spell_it(o: &ssvc::Outcome) -> BTreeMap<String, String> {
    o.path
        .iter()
        .map(|(n, v)| (n.clone(), v.to_lowercase()))
        .collect()
}
