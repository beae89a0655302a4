//! RTL benchmark (`make bench`): Verilog generation time and size per array shape, and
//! simulation speed of the engine in rust-hdl and in Verilator. Prints Markdown tables.

use fusemax_hdl::stream::{encode, JobData};
use fusemax_hdl::{generate, Config, Dist};
use fusemax_tb::drivers::engine::run_rusthdl;
use fusemax_tb::drivers::verilator::VerilatorEngine;
use fusemax_tb::gen::generate as gen_inputs;
use fusemax_tb::quant::QuantJob;
use std::time::Instant;

fn cfg(r: usize, c: usize) -> Config {
    Config {
        rows: r,
        cols: c,
        ..Config::default()
    }
}

fn job_words(cfg: &Config, p: usize, m: usize, e: usize, f: usize) -> Vec<(u128, bool)> {
    let x = gen_inputs(p, m, e, f, 1, Dist::Normal);
    let j = QuantJob::from_real(&x.q, &x.k, &x.v, None, cfg).unwrap();
    encode(
        cfg,
        &JobData {
            p,
            m,
            e,
            f,
            q: &j.q.data,
            k: &j.k.data,
            v: &j.v.data,
            scale: j.scale_const,
        },
    )
}

fn main() {
    println!("## Verilog generation (`fusemax generate`, default numerics)\n");
    println!("| array | time (s) | bytes | modules | lines |");
    println!("|---|---|---|---|---|");
    for (r, c) in [(4, 4), (8, 8), (16, 16), (32, 32)] {
        let t = Instant::now();
        let v = generate(&cfg(r, c));
        let s = t.elapsed().as_secs_f64();
        let modules = v.lines().filter(|l| l.starts_with("module ")).count();
        println!(
            "| {r}x{c} | {s:.2} | {} | {modules} | {} |",
            v.len(),
            v.lines().count()
        );
    }
    println!("\n## Engine simulation speed (P = cols, M = 8 rows, E = F = 32)\n");
    println!("| array | simulator | cycles | seconds | cycles/s |");
    println!("|---|---|---|---|---|");
    for (r, c) in [(2, 2), (4, 4), (8, 8)] {
        let cf = cfg(r, c);
        let words = job_words(&cf, c, 8 * r, 32, 32);
        let t = Instant::now();
        let run = run_rusthdl(&cf, &words, 0.0, 1, 100_000_000).unwrap();
        let s = t.elapsed().as_secs_f64();
        println!(
            "| {r}x{c} | rust-hdl | {} | {s:.2} | {:.0} |",
            run.cycles,
            run.cycles as f64 / s
        );
    }
    for (r, c) in [(4, 4), (8, 8), (16, 16)] {
        let cf = cfg(r, c);
        let eng = VerilatorEngine::build(&cf, false).unwrap();
        let words = job_words(&cf, c, 64 * r, 32, 32);
        let t = Instant::now();
        let run = eng
            .run(&words, 0.0, 1, 1_000_000_000, None, |_, _, _| {})
            .unwrap();
        let s = t.elapsed().as_secs_f64();
        println!(
            "| {r}x{c} | Verilator | {} | {s:.2} | {:.0} |",
            run.cycles,
            run.cycles as f64 / s
        );
    }
}
