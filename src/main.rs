//! `fusemax`: the command-line entry point. Kept thin: parsing and the subcommands live in
//! [`cli`]; every error ends here, is printed to stderr and gives a non-zero exit code.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
