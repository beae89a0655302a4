//! `fusemax schedule`: the tile plan the controller is generated from, for a config and the
//! job's head sizes E and F: each phase's start, length, op, operands, epoch and whether it
//! counts as 2D-busy, the tile period and the job's MAC bound.

use super::common::CommonArgs;
use super::emit;
use anyhow::Result;
use fusemax_hdl::pe::op;
use fusemax_hdl::schedule::{Seed, TilePlan, XSrc};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
}

fn op_name(o: i128) -> &'static str {
    match o {
        op::NOP => "NOP",
        op::MAC0 | op::MAC => "MAC",
        op::LM => "LM",
        op::SLD => "SLD",
        op::SLNV => "SLNV",
        _ => "?",
    }
}

pub fn run(a: Args) -> Result<()> {
    let cfg = a.common.load_config()?;
    // the plan printed is the one the controller runs: only a buildable binding has one
    super::common::require_buildable(&cfg)?;
    let j = &cfg.job;
    let (e, f) = (j.head_e, j.head_f);
    let plan = TilePlan::new(&cfg);
    let period = plan.period(e, f);
    let ideal = TilePlan::ideal_cycles(&cfg, j.seq_q, j.seq_kv, e, f);
    let tiles = (j.seq_q.div_ceil(cfg.cols) * j.seq_kv.div_ceil(cfg.rows)) as u64;
    if a.common.json {
        let phases: Vec<serde_json::Value> = plan
            .phases
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "start": p.start.at(e, f),
                    "len": p.len.at(e, f),
                    "op": op_name(p.op),
                    "x": p.x,
                    "q": p.q,
                    "seed": p.seed,
                    "epoch": p.epoch,
                    "busy_2d": p.busy_2d,
                })
            })
            .collect();
        let v = serde_json::json!({
            "binding": "sequential",
            "rows": cfg.rows,
            "cols": cfg.cols,
            "e": e,
            "f": f,
            "phases": phases,
            "tile_period": period,
            "exp_cycles": plan.exp_cycles,
            "flush": plan.flush,
            "tiles": tiles,
            "ideal_cycles": ideal,
        });
        return emit(&format!("{}\n", serde_json::to_string(&v)?));
    }
    let mut r = format!(
        "tile plan (sequential binding), {} x {} array, E = {e}, F = {f}: period {period} cycles\n",
        cfg.rows, cfg.cols
    );
    r += "  phase  start  length  op    x  q  seed  epoch  2D-busy\n";
    for p in &plan.phases {
        let x = match p.x {
            XSrc::None => "-",
            XSrc::K => "K",
            XSrc::V => "V",
        };
        let seed = if p.seed == Seed::NegInf { "-inf" } else { "0" };
        r += &format!(
            "  {:<5}  {:>5}  {:>6}  {:<4}  {x}  {}  {seed:<4}  {:>5}  {}\n",
            p.name,
            p.start.at(e, f),
            p.len.at(e, f),
            op_name(p.op),
            if p.q { "Q" } else { "-" },
            p.epoch,
            if p.busy_2d { "yes" } else { "no" }
        );
    }
    r += &format!(
        "  PE (r, c) performs tile time t at t + r + c; exp sequence {} cycles; a block's divisions start {} cycles after its last tile\n",
        plan.exp_cycles, plan.flush
    );
    r += &format!(
        "  job P = {}, M = {}: {tiles} tiles, MAC bound {ideal} cycles (ceil(P/C) * ceil(M/R) * (E + F))\n",
        j.seq_q, j.seq_kv
    );
    emit(&r)
}
