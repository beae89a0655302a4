//! `fusemax model`: the analytic cycle model (`fusemax_hdl::model`) of the config's job with no
//! stalls: cycles, each array's busy cycles, the input words per cycle the array needs, the
//! MAC bound; the figures `fusemax sim` measures on the RTL, in the same JSON fields.

use super::common::CommonArgs;
use super::emit;
use anyhow::Result;
use fusemax_hdl::model::estimate;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(a: Args) -> Result<()> {
    let cfg = a.common.load_config()?;
    let j = &cfg.job;
    let (p, m, e, f) = (j.seq_q, j.seq_kv, j.head_e, j.head_f);
    let x = estimate(&cfg, p, m, e, f);
    let binding = serde_json::to_value(cfg.binding)?;
    let binding = binding.as_str().unwrap_or("?");
    if a.common.json {
        let v = serde_json::json!({
            "binding": binding,
            "shape": { "p": p, "m": m, "e": e, "f": f },
            "rows": cfg.rows,
            "cols": cfg.cols,
            "stream_bits": cfg.stream_bits,
            "cycles": x.cycles,
            "cycles_2d_busy": x.busy_2d,
            "cycles_1d_busy": x.busy_1d,
            "stall_cycles": x.stall_in + x.stall_out,
            "stall_in_cycles": x.stall_in,
            "stall_out_cycles": x.stall_out,
            "util_2d": x.util_2d(),
            "util_1d": x.util_1d(),
            "tile_period": x.tile_period,
            "tiles": x.tiles,
            "periods": x.periods,
            "ideal_cycles": x.ideal_cycles,
            "cycles_over_ideal": x.cycles_over_ideal(),
            "input_words": x.input_words,
            "input_words_per_cycle": x.input_words_per_cycle,
            "input_bound": x.input_words_per_cycle > 1.0,
            "max_wait_cycles": x.max_period_wait,
            "hw_hash": cfg.hw_hash(),
        });
        return emit(&format!("{}\n", serde_json::to_string(&v)?));
    }
    let mut r = format!(
        "fusemax model ({binding} binding, {}x{} array): P = {p}, M = {m}, E = {e}, F = {f}, no stalls\n",
        cfg.rows, cfg.cols
    );
    r += &format!(
        "  {} cycles: {} tiles in {} periods of {} cycles; 2D array busy {} ({:.1}%), 1D array busy {} ({:.1}%); waiting on input {}, on output {}\n",
        x.cycles,
        x.tiles,
        x.periods,
        x.tile_period,
        x.busy_2d,
        100.0 * x.util_2d(),
        x.busy_1d,
        100.0 * x.util_1d(),
        x.stall_in,
        x.stall_out
    );
    r += &format!(
        "  MAC bound {} cycles: {:.3}x it; the array needs {:.3} input words a cycle ({})\n",
        x.ideal_cycles,
        x.cycles_over_ideal(),
        x.input_words_per_cycle,
        if x.input_words_per_cycle > 1.0 {
            format!(
                "input-bound: the {}-bit stream brings one a cycle",
                cfg.stream_bits
            )
        } else {
            format!("the {}-bit stream keeps up", cfg.stream_bits)
        }
    );
    emit(&r)
}
