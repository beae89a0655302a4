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

    /// Also draw one steady-state period of the plan, as the controller issues it, to this
    /// SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<std::path::PathBuf>,
}

fn op_name(o: i128) -> &'static str {
    match o {
        op::NOP => "NOP",
        op::MAC0 | op::MAC => "MAC",
        op::LM => "LM",
        op::SLD => "SLD",
        op::SLNV => "SLNV",
        op::EXP => "EXP",
        _ => "?",
    }
}

pub fn run(a: Args) -> Result<()> {
    let cfg = a.common.load_config()?;
    let j = &cfg.job;
    let (e, f) = (j.head_e, j.head_f);
    let plan = TilePlan::new(&cfg);
    let period = plan.period(e, f);
    let ideal = TilePlan::ideal_cycles(&cfg, j.seq_q, j.seq_kv, e, f);
    let tiles = (j.seq_q.div_ceil(cfg.cols) * j.seq_kv.div_ceil(cfg.rows)) as u64;
    let starts = plan.starts(e, f);
    if let Some(path) = &a.svg {
        let svg = super::schedule_svg::draw(&cfg, &plan, e, f).map_err(|e| anyhow::anyhow!(e))?;
        std::fs::write(path, svg)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    let binding = serde_json::to_value(cfg.binding)?;
    let binding = binding.as_str().unwrap_or("?");
    if a.common.json {
        let phases: Vec<serde_json::Value> = plan
            .phases
            .iter()
            .zip(&starts)
            .map(|(p, s)| {
                serde_json::json!({
                    "name": p.name,
                    "start": s,
                    "len": plan.len(p, e, f),
                    "count": p.count.at(e, f),
                    "exp_epoch": p.exp,
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
            "binding": binding,
            "depth": plan.depth(),
            "periods": plan.periods(tiles),
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
        "tile plan ({binding} binding), {} x {} array, E = {e}, F = {f}: period {period} cycles, {} tile(s) in flight\n",
        cfg.rows,
        cfg.cols,
        plan.depth() + 1
    );
    r += "  phase  start  length  ops  op    x  q  seed  epoch  exp  2D-busy\n";
    for (p, s) in plan.phases.iter().zip(&starts) {
        let x = match p.x {
            XSrc::None => "-",
            XSrc::K => "K",
            XSrc::V => "V",
        };
        let seed = if p.seed == Seed::NegInf { "-inf" } else { "0" };
        r += &format!(
            "  {:<5}  {:>5}  {:>6}  {:>3}  {:<4}  {x}  {}  {seed:<4}  {:>5}  {:>3}  {}\n",
            p.name,
            s,
            plan.len(p, e, f),
            p.count.at(e, f),
            op_name(p.op),
            if p.q { "Q" } else { "-" },
            p.epoch,
            p.exp.map(|x| x.to_string()).unwrap_or("-".into()),
            if p.busy_2d { "yes" } else { "no" }
        );
    }
    r += &format!(
        "  PE (r, c) performs period time t at t + r + c; an exp phase issues EXP in slot 0 and keeps slots 3, 6, .., {} for the exp's multiplies; exp sequence {} cycles; a block's divisions start {} cycles after the period of its last SLNV\n",
        plan.exp_window() - 1,
        plan.exp_cycles,
        plan.flush
    );
    r += &format!(
        "  job P = {}, M = {}: {tiles} tiles in {} periods, MAC bound {ideal} cycles (ceil(P/C) * ceil(M/R) * (E + F))\n",
        j.seq_q,
        j.seq_kv,
        plan.periods(tiles)
    );
    emit(&r)
}
