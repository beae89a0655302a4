//! The subcommands of `fusemax`.
//!
//! Each subcommand is one module with an `Args` struct (clap derive) that flattens the shared
//! [`common::CommonArgs`], and a `run(args) -> anyhow::Result<()>`. To add one (`generate`,
//! `sim`, `fpga`, `host`, ...): write `src/cli/NAME.rs` in that shape, declare it below, add a
//! variant to [`Command`] and an arm to [`run`].

pub mod common;
pub mod config;
pub mod fpga;
pub mod generate;
pub mod host;
pub mod model;
pub mod reference;
pub mod schedule;
pub mod schedule_svg;
pub mod sim;
pub mod sweep;
pub mod sweep_point;

use clap::{Parser, Subcommand};
use std::io::Write;

/// FuseMax attention accelerator: configuration, bit-accurate software reference, Verilog
/// generation, cycle-accurate simulation (Verilator or rust-hdl) and the open FPGA flow.
#[derive(Parser, Debug)]
#[command(name = "fusemax", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the effective configuration (defaults < --config < --set < job flags).
    Config(config::Args),
    /// Run the bit-accurate model on generated inputs or .npy files and report its error
    /// against f64 attention.
    Reference(reference::Args),
    /// Write the engine's Verilog (fusemax.v) and the effective config for a config.
    Generate(generate::Args),
    /// Run one job through the engine's RTL (Verilator or rust-hdl), compare every output with
    /// the bit-accurate model, and report cycles, utilization and error.
    Sim(sim::Args),
    /// Print the tile plan the controller is generated from (phases, lengths, ops, epochs),
    /// the tile period and the job's MAC bound.
    Schedule(schedule::Args),
    /// The analytic cycle model of the config's job with no stalls: cycles, busy cycles of
    /// each array, input words per cycle needed, MAC bound (the figures `sim` measures).
    Model(model::Args),
    /// Synthesize, place and route the board top for a board and write its bitstream and
    /// resource/Fmax report (yosys + nextpnr).
    Fpga(fpga::Args),
    /// Run one job on a board (or a simulated board's pty) over the UART host link.
    Host(host::Args),
    /// Run a grid of configs and jobs (in parallel, resumable) and write a table, figures and
    /// an HTML page; --list prints one command per point, --collect builds the outputs.
    Sweep(sweep::Args),
    /// Run one point of a sweep (the commands `fusemax sweep --list` prints).
    SweepPoint(sweep_point::Args),
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Config(a) => config::run(a),
        Command::Reference(a) => reference::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Sim(a) => sim::run(a),
        Command::Schedule(a) => schedule::run(a),
        Command::Model(a) => model::run(a),
        Command::Fpga(a) => fpga::run(a),
        Command::Host(a) => host::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::SweepPoint(a) => sweep_point::run(a),
    }
}

/// Writes text to stdout. A closed pipe (`fusemax ... | head`) ends the output quietly instead
/// of panicking as `println!` would.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot write to stdout: {e}")),
    }
}
