//! `fusemax sim`: one attention job through the engine's RTL (Verilator build of the emitted
//! Verilog, or the rust-hdl simulation), every output word compared with the bit-accurate
//! model, the error reported against f64 attention, and the RTL's own performance counters.

use super::common::{CommonArgs, JobFiles};
use super::emit;
use super::reference::{load_job, Source};
use anyhow::{anyhow, bail, Result};
use clap::ValueEnum;
use fusemax_hdl::stream::status;
use fusemax_hdl::stream::{decode, encode, input_words, JobData};
use fusemax_tb::drivers::engine::run_rusthdl;
use fusemax_tb::drivers::verilator::VerilatorEngine;
use fusemax_tb::{metrics, reference};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The emitted Verilog compiled by Verilator (cached under build/).
    Verilator,
    /// The rust-hdl models of the same modules (slow; small jobs).
    Rusthdl,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub files: JobFiles,

    /// Simulator.
    #[arg(long, value_enum, default_value = "verilator")]
    pub backend: Backend,

    /// Probability, each cycle, that the input source withholds a word and that the output
    /// sink withholds tready (0 <= X < 1).
    #[arg(long, value_name = "X", default_value_t = 0.0)]
    pub stall_prob: f64,

    /// Seed of the backpressure pattern.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub stall_seed: u64,

    /// Write a VCD waveform of the run (Verilator backend).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,

    /// Give up after this many cycles (default: generous bound from the job's size).
    #[arg(long, value_name = "N")]
    pub max_cycles: Option<u64>,
}

fn status_name(s: u8) -> &'static str {
    match s as i128 {
        status::OK => "ok",
        status::BAD_MAGIC => "bad magic",
        status::BAD_SHAPE => "bad shape",
        status::BAD_SCALE => "bad scale",
        status::EARLY_END => "stream ended early",
        status::MISSING_LAST => "missing tlast",
        _ => "unknown",
    }
}

pub fn run(a: Args) -> Result<()> {
    if !(0.0..1.0).contains(&a.stall_prob) {
        bail!(
            "--stall-prob {} is out of range: allowed 0 <= X < 1",
            a.stall_prob
        );
    }
    let (cfg, job, source) = load_job(&a.common, &a.files)?;
    if a.vcd.is_some() && a.backend == Backend::Rusthdl {
        bail!("--vcd needs --backend verilator");
    }
    let (p, m, e, f) = job.shape();
    let data = JobData {
        p,
        m,
        e,
        f,
        q: &job.q.data,
        k: &job.k.data,
        v: &job.v.data,
        scale: job.scale_const,
    };
    let words = encode(&cfg, &data);
    debug_assert_eq!(words.len(), input_words(&cfg, p, m, e, f));
    let period = fusemax_hdl::controller::tile_period(&cfg, e, f) as u64;
    let bound = (p.div_ceil(cfg.cols) as u64)
        * ((m.div_ceil(cfg.rows) as u64) * (period + 64) + f as u64 * 200 + 1000)
        * if a.stall_prob > 0.0 {
            (4.0 / (1.0 - a.stall_prob)) as u64 + 1
        } else {
            2
        }
        + 100_000;
    let max_cycles = a.max_cycles.unwrap_or(bound);

    let t0 = Instant::now();
    let run = match a.backend {
        Backend::Verilator => {
            let tb = Instant::now();
            let eng = VerilatorEngine::build(&cfg, a.vcd.is_some())
                .map_err(|e| anyhow!("Verilator build: {e}"))?;
            let build_s = tb.elapsed().as_secs_f64();
            if build_s > 2.0 && !a.common.json {
                eprintln!("built the Verilator model in {build_s:.1} s (cached under build/)");
            }
            let bar = if std::io::stderr().is_terminal() && !a.common.json {
                let b = indicatif::ProgressBar::new(words.len() as u64);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} input words, {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                Some(b)
            } else {
                None
            };
            let r = eng.run(
                &words,
                a.stall_prob,
                a.stall_seed,
                max_cycles,
                a.vcd.as_deref(),
                |c, i, _| {
                    if let Some(b) = &bar {
                        b.set_position(i as u64);
                        b.set_message(format!("{c} cycles"));
                    }
                },
            );
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            r.map_err(|e| anyhow!(e))?
        }
        Backend::Rusthdl => run_rusthdl(&cfg, &words, a.stall_prob, a.stall_seed, max_cycles)
            .map_err(|e| anyhow!(e))?,
    };
    let sim_s = t0.elapsed().as_secs_f64();
    let out = decode(&cfg, p, f, &run.words).map_err(|e| anyhow!("output stream: {e}"))?;
    let t = out.trailer;
    if t.status != 0 {
        bail!(
            "the engine ended the job with status {} ({})",
            t.status,
            status_name(t.status)
        );
    }
    let expect = reference::cascade_fixed(&job, &cfg);
    let mismatches = metrics::mismatches(&out.av, &expect.data);
    let av = fusemax_tb::Mat::from_vec(p, f, out.av.clone());
    let stats = metrics::error_stats(&av, cfg.out_frac_bits, &metrics::reference_lsb(&job));
    a.files.write_av(&av, &job, &cfg)?;
    let util_2d = t.busy_2d as f64 / t.cycles.max(1) as f64;
    let util_1d = t.busy_1d as f64 / t.cycles.max(1) as f64;
    let ideal = fusemax_hdl::schedule::TilePlan::ideal_cycles(&cfg, p, m, e, f);
    let over_ideal = t.cycles as f64 / ideal.max(1) as f64;
    let backend = match a.backend {
        Backend::Verilator => "verilator",
        Backend::Rusthdl => "rusthdl",
    };
    if a.common.json {
        let v = serde_json::json!({
            "backend": backend,
            "inputs": match source { Source::Generated => "generated", Source::Files => "files" },
            "shape": { "p": p, "m": m, "e": e, "f": f },
            "rows": cfg.rows,
            "cols": cfg.cols,
            "status": t.status,
            "cycles": t.cycles,
            "cycles_2d_busy": t.busy_2d,
            "cycles_1d_busy": t.busy_1d,
            "stall_cycles": t.stall_in + t.stall_out,
            "stall_in_cycles": t.stall_in,
            "stall_out_cycles": t.stall_out,
            "util_2d": util_2d,
            "util_1d": util_1d,
            "tile_period": period,
            "ideal_cycles": ideal,
            "cycles_over_ideal": over_ideal,
            "sim_cycles": run.cycles,
            "mismatches": mismatches,
            "outputs": out.av.len(),
            "max_abs_err_lsb": stats.max_abs_err_lsb,
            "mean_abs_err_lsb": stats.mean_abs_err_lsb,
            "rmse_lsb": stats.rmse_lsb,
            "stall_prob": a.stall_prob,
            "input_words": words.len(),
            "output_words": run.words.len(),
            "sim_seconds": sim_s,
            "hw_hash": cfg.hw_hash(),
            "out": a.files.out.as_ref().map(|p| p.display().to_string()),
            "vcd": a.vcd.as_ref().map(|p| p.display().to_string()),
        });
        emit(&format!("{}\n", serde_json::to_string(&v)?))?;
    } else {
        let mut r = format!(
            "fusemax sim ({backend}, {}x{} array): P = {p}, M = {m}, E = {e}, F = {f}\n",
            cfg.rows, cfg.cols
        );
        r += &format!(
            "  {} cycles (tile period {period}); 2D array busy {} ({:.1}%), 1D array busy {} ({:.1}%); stalled on input {}, on output {}\n",
            t.cycles, t.busy_2d, 100.0 * util_2d, t.busy_1d, 100.0 * util_1d, t.stall_in, t.stall_out
        );
        r += &format!(
            "  MAC bound of the array {ideal} cycles (ceil(P/C) * ceil(M/R) * (E + F)): {over_ideal:.2}x it\n"
        );
        r += &format!(
            "  {} outputs, {mismatches} mismatches against the bit-accurate model\n",
            out.av.len()
        );
        r += &format!(
            "  error vs f64 attention in LSB of V's grid: max {:.4}, mean {:.5}, rmse {:.5}\n",
            stats.max_abs_err_lsb, stats.mean_abs_err_lsb, stats.rmse_lsb
        );
        r += &format!("  simulated in {sim_s:.2} s\n");
        emit(&r)?;
    }
    if mismatches > 0 {
        bail!(
            "{mismatches} of {} outputs differ from the bit-accurate model",
            out.av.len()
        );
    }
    Ok(())
}
