//! `fusemax fpga`: the open FPGA flow for a board (yosys, nextpnr, ecppack/icepack) on the
//! board top of a config, with a report of resources and timing (`--json` for one object).

use super::common::CommonArgs;
use super::emit;
use anyhow::{anyhow, bail, Result};
use fusemax_fpga::flow::{FlowError, FlowOptions};
use fusemax_fpga::tools::ToolPref;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Board: ulx3s (ECP5 LFE5U-85F) or icebreaker (iCE40 UP5K). Without --config the config
    /// is the board's preset, configs/<board>.toml (built in), under any --set.
    #[arg(long, value_name = "BOARD",
          value_parser = clap::builder::PossibleValuesParser::new(["ulx3s", "icebreaker"]))]
    pub board: String,

    /// Output directory (default build/fpga/<board>-<hw_hash>, with -seed<N> for a --pnr-seed other than 1).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Which tools: auto (see README), native (Debian's, on PATH) or yowasp (the virtualenv
    /// of `make fpga-deps`).
    #[arg(long, value_name = "WHICH", default_value = "auto",
          value_parser = clap::builder::PossibleValuesParser::new(["auto", "native", "yowasp"]))]
    pub tools: String,

    /// nextpnr placement seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub pnr_seed: u64,

    /// Exit with success even if the design misses its target clock (the report says so).
    #[arg(long)]
    pub allow_timing_fail: bool,
}

pub fn run(a: Args) -> Result<()> {
    let board = fusemax_fpga::boards::parse(&a.board).map_err(|e| anyhow!(e))?;
    let spec = fusemax_fpga::boards::spec(board);
    let preset = format!("configs/{}.toml", spec.name);
    if a.common.config.is_none() {
        eprintln!(
            "fpga: no --config given: using the {} preset ({preset}, built in)",
            spec.name
        );
    }
    let cfg = a.common.load_config_or_preset((&preset, spec.preset))?;
    let opts = FlowOptions {
        board,
        out_dir: a.out.clone(),
        tools: a.tools.parse::<ToolPref>().map_err(|e| anyhow!(e))?,
        seed: a.pnr_seed,
        verbose: !a.common.json,
    };
    let report = match fusemax_fpga::run(&cfg, &opts) {
        Ok(r) => r,
        Err(FlowError::Fit(e)) => {
            bail!(
                "{e}. Reduce rows/cols or the numerics (mul_bits, exp_frac_bits, max_e, max_seq_kv); configs/{}.toml is a config that fits",
                spec.name
            )
        }
        Err(e) => bail!("{e}"),
    };
    if a.common.json {
        emit(&format!("{}\n", serde_json::to_string(&report)?))?;
    } else {
        emit(&report.summary())?;
    }
    if !report.timing_met && !a.allow_timing_fail {
        let path = report
            .critical_path
            .as_ref()
            .map(|p| {
                let (from, to) = p.endpoints();
                format!("; critical path from {from} to {to}")
            })
            .unwrap_or_default();
        bail!(
            "timing not met: Fmax {:.1} MHz < target {} MHz{path} (bitstream written anyway; --allow-timing-fail to accept)",
            report.fmax_mhz,
            report.target_mhz
        );
    }
    Ok(())
}
