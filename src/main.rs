//! The `fixops` binary: parse arguments, run, map the outcome to an exit code.
//! Exit codes are decided here and nowhere else:
//! 0 ALLOW, 1 BLOCK, 2 error, 3 DEFER (remappable with `--defer-exit-code`).

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

fn main() -> ExitCode {
    let args = cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            cli::print_error(&err);
            ExitCode::from(2)
        }
    }
}
