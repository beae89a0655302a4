//! The binding benchmark (`make bench-binding`): the FuseMax binding beside the sequential one
//! in Verilator (no stalls, seed 1), each run's counters checked against the analytic cycle
//! model (`fusemax_hdl::model`, exact) and its outputs against the bit-accurate model (0
//! mismatches). Prints three Markdown tables:
//! 1. the targets: 8x8 (E = F = 64, P = M = 1024), 16x16 (the same job, with a 128-bit input
//!    stream) and 4x4 (E = F = 32, P = M = 512), cycles over the MAC bound and 2D utilization
//!    per binding, and their ratio;
//! 2. 8x8 at P = 64 over M = 64 .. 16,384 (both bindings), beside the paper's 2D utilization
//!    for its 256 x 256 array (0.89 at 1K, 0.965 at 4K);
//! 3. backpressure: the 8x8 job at P = 64, M = 1,024 with `--stall-prob 0.3` (input and output
//!    each withheld 30% of cycles): the same words as without stalls, the cycles it adds to the
//!    model's and how many of them the stall counters do not hold (the input's waits before the
//!    issuer runs: the header and its check).
//!
//! Exits non-zero if any output differs or any counter differs from the model. About 3
//! minutes on 2 cores plus a Verilator build per config (6); `BENCH_BINDING_QUICK=1` runs
//! table 1's 4x4 row and table 2 up to M = 1,024 only.

use fusemax_hdl::model::{estimate, Estimate};
use fusemax_hdl::stream::{decode, encode, Trailer};
use fusemax_hdl::{Binding, Config, Dist};
use fusemax_tb::drivers::verilator::VerilatorEngine;
use fusemax_tb::gen::generate;
use fusemax_tb::quant::QuantJob;
use fusemax_tb::reference::cascade_fixed;
use std::collections::BTreeMap;
use std::time::Instant;

struct Run {
    t: Trailer,
    model: Estimate,
    av: Vec<i64>,
    secs: f64,
}

fn config(rows: usize, cols: usize, binding: Binding) -> Config {
    Config {
        rows,
        cols,
        binding,
        // a 16-row array of int8 needs 128 bits of K or V a cycle
        stream_bits: if rows > 8 { 128 } else { 64 },
        max_seq_q: 1024,
        max_seq_kv: 16384,
        ..Config::default()
    }
}

/// Builds (once per config) and runs one job; checks its words and counters.
fn run(
    engines: &mut BTreeMap<String, VerilatorEngine>,
    cfg: &Config,
    (p, m, e, f): (usize, usize, usize, usize),
    stall: f64,
    failures: &mut Vec<String>,
) -> Run {
    cfg.validate().unwrap_or_else(|e| panic!("config: {e}"));
    let key = cfg.hw_hash();
    let eng = engines.entry(key).or_insert_with(|| {
        VerilatorEngine::build(cfg, false).unwrap_or_else(|e| panic!("Verilator build: {e}"))
    });
    let x = generate(p, m, e, f, 1, Dist::Normal);
    let j = QuantJob::from_real(&x.q, &x.k, &x.v, None, cfg).expect("quantize");
    let words = encode(cfg, &j.job_data());
    let t0 = Instant::now();
    let r = eng
        .run(&words, stall, 1, 2_000_000_000, None, |_, _, _| {})
        .unwrap_or_else(|e| panic!("simulation: {e}"));
    let secs = t0.elapsed().as_secs_f64();
    let out = decode(cfg, p, f, &r.words).expect("output stream");
    let what = format!(
        "{:?} {}x{} P={p} M={m} E={e} F={f} stall {stall}",
        cfg.binding, cfg.rows, cfg.cols
    );
    let expect = cascade_fixed(&j, cfg);
    let mism = fusemax_tb::metrics::mismatches(&out.av, &expect.data);
    if out.trailer.status != 0 || mism > 0 {
        failures.push(format!(
            "{what}: status {}, {mism} mismatches",
            out.trailer.status
        ));
    }
    let model = estimate(cfg, p, m, e, f);
    let t = out.trailer;
    let counters = |t: &Trailer| (t.cycles, t.busy_2d, t.busy_1d, t.stall_in, t.stall_out);
    let want = (
        model.cycles,
        model.busy_2d,
        model.busy_1d,
        model.stall_in,
        model.stall_out,
    );
    if stall == 0.0 && counters(&t) != want {
        failures.push(format!(
            "{what}: counters {:?} differ from the model's {want:?}",
            counters(&t)
        ));
    }
    eprintln!("  {what}: {} cycles in {secs:.1} s", t.cycles);
    Run {
        t,
        model,
        av: out.av,
        secs,
    }
}

fn util(t: &Trailer) -> f64 {
    t.busy_2d as f64 / t.cycles as f64
}

fn main() {
    let quick = std::env::var("BENCH_BINDING_QUICK").is_ok_and(|v| v == "1");
    let mut engines = BTreeMap::new();
    let mut failures = vec![];
    let t_all = Instant::now();

    println!("## Targets (Verilator, no stalls, seed 1; cycles and util_2d from the RTL's counters, equal to `fusemax model`)\n");
    println!("| array | stream bits | E = F | P = M | binding | cycles | ideal | cycles / ideal | util_2d | input words / cycle needed | sequential / fusemax | sim s |");
    println!("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let targets: &[(usize, usize, usize)] = if quick {
        &[(4, 32, 512)]
    } else {
        &[(8, 64, 1024), (16, 64, 1024), (4, 32, 512)]
    };
    for &(n, ef, pm) in targets {
        let shape = (pm, pm, ef, ef);
        let fm = run(
            &mut engines,
            &config(n, n, Binding::Fusemax),
            shape,
            0.0,
            &mut failures,
        );
        let sq = run(
            &mut engines,
            &config(n, n, Binding::Sequential),
            shape,
            0.0,
            &mut failures,
        );
        if fm.av != sq.av {
            failures.push(format!("{n}x{n}: the bindings' outputs differ"));
        }
        for (name, r) in [("fusemax", &fm), ("sequential", &sq)] {
            println!(
                "| {n}x{n} | {} | {ef} | {pm} | {name} | {} | {} | {:.3} | {:.3} | {:.2} | {} | {:.0} |",
                config(n, n, Binding::Fusemax).stream_bits,
                r.t.cycles,
                r.model.ideal_cycles,
                r.t.cycles as f64 / r.model.ideal_cycles as f64,
                util(&r.t),
                r.model.input_words_per_cycle,
                if name == "sequential" {
                    format!("{:.3}", sq.t.cycles as f64 / fm.t.cycles as f64)
                } else {
                    String::new()
                },
                r.secs
            );
        }
        engines.clear();
    }

    println!("\n## 8x8, E = F = 64, P = 64, over M (paper: 2D utilization 0.89 at 1K, 0.965 at 4K for 256 x 256)\n");
    println!("| M | fusemax cycles | fusemax cycles / ideal | fusemax util_2d | sequential cycles | sequential util_2d | sequential / fusemax |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let ms: &[usize] = if quick {
        &[64, 256, 1024]
    } else {
        &[64, 256, 1024, 4096, 16384]
    };
    for &m in ms {
        let shape = (64, m, 64, 64);
        let fm = run(
            &mut engines,
            &config(8, 8, Binding::Fusemax),
            shape,
            0.0,
            &mut failures,
        );
        let sq = run(
            &mut engines,
            &config(8, 8, Binding::Sequential),
            shape,
            0.0,
            &mut failures,
        );
        if fm.av != sq.av {
            failures.push(format!("8x8 M={m}: the bindings' outputs differ"));
        }
        println!(
            "| {m} | {} | {:.3} | {:.3} | {} | {:.3} | {:.3} |",
            fm.t.cycles,
            fm.t.cycles as f64 / fm.model.ideal_cycles as f64,
            util(&fm.t),
            sq.t.cycles,
            util(&sq.t),
            sq.t.cycles as f64 / fm.t.cycles as f64
        );
    }

    println!("\n## Backpressure: 8x8, P = 64, M = 1,024, E = F = 64, --stall-prob 0.3 (seed 1)\n");
    println!("| binding | stalls | cycles | stall_in | stall_out | cycles - model's | of them not in stall_in + stall_out | same words |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for binding in [Binding::Fusemax, Binding::Sequential] {
        let cfg = config(8, 8, binding);
        let shape = (64, 1024, 64, 64);
        let a = run(&mut engines, &cfg, shape, 0.0, &mut failures);
        let b = run(&mut engines, &cfg, shape, 0.3, &mut failures);
        if a.av != b.av {
            failures.push(format!("{binding:?}: backpressure changed the output"));
        }
        for (label, r) in [("none", &a), ("0.3", &b)] {
            let extra = r.t.cycles as i64 - r.model.cycles as i64;
            let counted = (r.t.stall_in + r.t.stall_out) as i64
                - (r.model.stall_in + r.model.stall_out) as i64;
            println!(
                "| {binding:?} | {label} | {} | {} | {} | {extra} | {} | {} |",
                r.t.cycles,
                r.t.stall_in,
                r.t.stall_out,
                extra - counted,
                if a.av == b.av { "yes" } else { "NO" }
            );
        }
    }
    eprintln!("bench-binding: {:.0} s", t_all.elapsed().as_secs_f64());
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        std::process::exit(1);
    }
}
