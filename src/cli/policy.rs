//! `fixops policy`: run the policies' `*_test.rego` tests, print the input
//! a policy would see.

use super::{Context, InputArgs, emit};
use anyhow::Result;
use clap::Subcommand;
use fixops::policy::{Policy, PolicyConfig, PolicyInput};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the `test_*` rules of the shipped and given `*_test.rego` files.
    Test {
        /// Policy files or directories (with their `_test.rego` files).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Test only the given paths, not the shipped policies.
        #[arg(long)]
        no_builtin_policy: bool,
    },
    /// Print the policy input document (`input`) for some inputs.
    Input {
        #[command(flatten)]
        inputs: InputArgs,
    },
}

pub fn run(ctx: &Context, cmd: &PolicyCommand) -> Result<u8> {
    match cmd {
        PolicyCommand::Test {
            paths,
            no_builtin_policy,
        } => {
            let policy = Policy::load(&PolicyConfig {
                builtin: !no_builtin_policy,
                paths: paths.clone(),
            })?;
            let results = policy.run_tests()?;
            let mut out = String::new();
            let failed = results.iter().filter(|r| !r.passed).count();
            for r in &results {
                let status = if r.passed { "PASS" } else { "FAIL" };
                out.push_str(&format!("{status} {} ({})\n", r.name, r.file));
                if let Some(d) = &r.detail {
                    out.push_str(&format!("     {d}\n"));
                }
            }
            out.push_str(&format!(
                "{} passed, {failed} failed\n",
                results.len() - failed
            ));
            emit(None, out.as_bytes())?;
            if results.is_empty() {
                eprintln!("fixops: warning: no test_* rules found");
            }
            Ok(if failed == 0 { 0 } else { 1 })
        }
        PolicyCommand::Input { inputs } => {
            let ingested = fixops::ingest::ingest_all(&inputs.specs()?)?;
            let mut run = fixops::run::Run::assemble(ctx.meta("policy-input"), ingested);
            fixops::gate::prepare(&mut run, &Default::default());
            let t = fixops::gate::triage(&run, Default::default(), &Default::default());
            let input = PolicyInput::build(&run, &t.notes);
            let mut out = serde_json::to_vec_pretty(&input.document)?;
            out.push(b'\n');
            emit(None, &out)?;
            Ok(0)
        }
    }
}
