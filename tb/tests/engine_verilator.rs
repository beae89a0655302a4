//! The emitted Verilog of the engine in Verilator: random jobs across configs, shapes and
//! distributions, every AV word bit-exact with `cascade_fixed`; the same outputs under
//! backpressure; the same words and counters as the rust-hdl simulation, for good jobs and bad.

use fusemax_hdl::stream::{decode, encode, JobData};
use fusemax_hdl::{Config, Dist};
use fusemax_tb::badjobs::bad_jobs;
use fusemax_tb::drivers::engine::run_rusthdl;
use fusemax_tb::drivers::verilator::VerilatorEngine;
use fusemax_tb::gen::generate;
use fusemax_tb::quant::QuantJob;
use fusemax_tb::reference::cascade_fixed;

fn cfg(rows: usize, cols: usize, max_ef: usize) -> Config {
    Config {
        rows,
        cols,
        max_e: max_ef,
        max_f: max_ef,
        max_seq_kv: 4096,
        max_seq_q: 4096,
        job: fusemax_hdl::Job {
            head_e: 1,
            head_f: 1,
            ..Default::default()
        },
        ..Config::default()
    }
}

struct Case {
    p: usize,
    m: usize,
    e: usize,
    f: usize,
    dist: Dist,
}

fn run_case(eng: &VerilatorEngine, cfg: &Config, c: &Case, seed: u64, stall: f64) -> Vec<i64> {
    let x = generate(c.p, c.m, c.e, c.f, seed, c.dist);
    let j = QuantJob::from_real(&x.q, &x.k, &x.v, None, cfg).unwrap();
    let words = encode(cfg, &j.job_data());
    let run = eng
        .run(&words, stall, seed, 200_000_000, None, |_, _, _| {})
        .unwrap();
    let out = decode(cfg, c.p, c.f, &run.words).unwrap();
    assert_eq!(out.trailer.status, 0);
    let expect = cascade_fixed(&j, cfg);
    let mism = fusemax_tb::metrics::mismatches(&out.av, &expect.data);
    assert_eq!(
        mism, 0,
        "{}x{} P={} M={} E={} F={} {:?}: {mism} mismatches",
        cfg.rows, cfg.cols, c.p, c.m, c.e, c.f, c.dist
    );
    assert!(out.trailer.busy_2d > 0 && out.trailer.cycles >= out.trailer.busy_2d);
    // busy_2d counts the PE's useful operations: E + F + 3 + d per tile in either binding
    let tiles = (c.p.div_ceil(cfg.cols) * c.m.div_ceil(cfg.rows)) as u64;
    let plan = fusemax_hdl::schedule::TilePlan::new(cfg);
    assert_eq!(out.trailer.busy_2d, tiles * plan.busy_2d(c.e, c.f) as u64);
    // the analytic cycle model: exact with no stalls, a lower bound with them
    let x = fusemax_hdl::model::estimate(cfg, c.p, c.m, c.e, c.f);
    let t = &out.trailer;
    let what = format!(
        "{:?} {}x{} P={} M={} E={} F={}",
        cfg.binding, cfg.rows, cfg.cols, c.p, c.m, c.e, c.f
    );
    if stall == 0.0 {
        assert_eq!(
            (t.cycles, t.busy_2d, t.busy_1d, t.stall_in, t.stall_out),
            (x.cycles, x.busy_2d, x.busy_1d, x.stall_in, x.stall_out),
            "{what}: the RTL's counters (cycles, busy_2d, busy_1d, stall_in, stall_out) against the cycle model"
        );
    } else {
        assert!(t.cycles > x.cycles, "{what}: stalls cost no cycles");
    }
    out.av
}

#[test]
fn random_jobs_bit_exact_in_verilator() {
    use Dist::*;
    let plan: Vec<(Config, Vec<Case>)> = vec![
        (
            cfg(1, 1, 16),
            vec![
                Case {
                    p: 1,
                    m: 1,
                    e: 8,
                    f: 8,
                    dist: Normal,
                },
                Case {
                    p: 3,
                    m: 37,
                    e: 16,
                    f: 9,
                    dist: Peaked,
                },
                Case {
                    p: 2,
                    m: 20,
                    e: 11,
                    f: 16,
                    dist: Flat,
                },
            ],
        ),
        (
            cfg(2, 2, 64),
            vec![
                Case {
                    p: 5,
                    m: 33,
                    e: 8,
                    f: 8,
                    dist: Uniform,
                },
                Case {
                    p: 7,
                    m: 64,
                    e: 64,
                    f: 64,
                    dist: Normal,
                },
                Case {
                    p: 1,
                    m: 129,
                    e: 32,
                    f: 17,
                    dist: Peaked,
                },
                Case {
                    p: 4,
                    m: 1,
                    e: 9,
                    f: 40,
                    dist: Flat,
                },
            ],
        ),
        (
            cfg(4, 4, 64),
            vec![
                Case {
                    p: 10,
                    m: 257,
                    e: 64,
                    f: 64,
                    dist: Normal,
                },
                Case {
                    p: 4,
                    m: 1024,
                    e: 16,
                    f: 8,
                    dist: Peaked,
                },
                Case {
                    p: 13,
                    m: 99,
                    e: 48,
                    f: 24,
                    dist: Uniform,
                },
                Case {
                    p: 3,
                    m: 7,
                    e: 8,
                    f: 64,
                    dist: Flat,
                },
            ],
        ),
        (
            cfg(2, 8, 64),
            vec![
                Case {
                    p: 8,
                    m: 300,
                    e: 32,
                    f: 32,
                    dist: Normal,
                },
                Case {
                    p: 17,
                    m: 45,
                    e: 20,
                    f: 12,
                    dist: Peaked,
                },
                Case {
                    p: 1,
                    m: 1024,
                    e: 8,
                    f: 8,
                    dist: Uniform,
                },
                Case {
                    p: 30,
                    m: 2,
                    e: 64,
                    f: 9,
                    dist: Flat,
                },
            ],
        ),
        (
            // a 128-bit input stream: a 17-row K/V vector in two words, Q in one
            Config {
                stream_bits: 128,
                ..cfg(17, 2, 32)
            },
            vec![
                Case {
                    p: 5,
                    m: 70,
                    e: 32,
                    f: 17,
                    dist: Normal,
                },
                Case {
                    p: 2,
                    m: 9,
                    e: 3,
                    f: 32,
                    dist: Peaked,
                },
            ],
        ),
        (
            cfg(8, 8, 64),
            vec![
                Case {
                    p: 64,
                    m: 1024,
                    e: 64,
                    f: 64,
                    dist: Normal,
                },
                Case {
                    p: 1024,
                    m: 64,
                    e: 16,
                    f: 16,
                    dist: Normal,
                },
                Case {
                    p: 9,
                    m: 1000,
                    e: 40,
                    f: 56,
                    dist: Peaked,
                },
                Case {
                    p: 20,
                    m: 513,
                    e: 64,
                    f: 8,
                    dist: Uniform,
                },
                Case {
                    p: 16,
                    m: 100,
                    e: 8,
                    f: 64,
                    dist: Flat,
                },
                Case {
                    p: 1,
                    m: 1,
                    e: 64,
                    f: 64,
                    dist: Normal,
                },
            ],
        ),
    ];
    let mut n = 0;
    for (cfg, cases) in &plan {
        cfg.validate().unwrap();
        let eng = VerilatorEngine::build(cfg, false).unwrap();
        // the sequential binding, the ablation, on the same cases: the same AV bit for bit
        let seq_cfg = Config {
            binding: fusemax_hdl::Binding::Sequential,
            ..cfg.clone()
        };
        let seq = Some(VerilatorEngine::build(&seq_cfg, false).unwrap());
        for (i, c) in cases.iter().enumerate() {
            let av = run_case(&eng, cfg, c, 100 + i as u64, 0.0);
            if i == 0 {
                let av2 = run_case(&eng, cfg, c, 100 + i as u64, 0.3);
                assert_eq!(av, av2, "backpressure changed the output");
            }
            if let Some(seq) = &seq {
                let av3 = run_case(seq, &seq_cfg, c, 100 + i as u64, 0.0);
                assert_eq!(av, av3, "the bindings differ");
            }
            n += 1;
        }
    }
    assert!(n >= 20);
}

#[test]
fn verilator_and_rust_hdl_give_the_same_words_and_counters() {
    for (cfg, p, m, e, f, stall) in [
        (cfg(2, 2, 16), 3, 9, 6, 5, 0.3),
        (cfg(4, 2, 16), 5, 13, 16, 3, 0.0),
    ] {
        let x = generate(p, m, e, f, 5, Dist::Normal);
        let j = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).unwrap();
        let data = JobData {
            p,
            m,
            e,
            f,
            q: &j.q.data,
            k: &j.k.data,
            v: &j.v.data,
            scale: j.scale_const,
        };
        let words = encode(&cfg, &data);
        let eng = VerilatorEngine::build(&cfg, false).unwrap();
        let a = eng
            .run(&words, stall, 9, 10_000_000, None, |_, _, _| {})
            .unwrap();
        let b = run_rusthdl(&cfg, &words, stall, 9, 10_000_000).unwrap();
        assert_eq!(a.words, b.words);
        assert_eq!(a.cycles, b.cycles);
    }
}

#[test]
fn bad_jobs_end_the_same_in_verilator_and_rust_hdl() {
    let cfg = cfg(2, 2, 16);
    let x = generate(2, 3, 4, 3, 4, Dist::Normal);
    let j = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).unwrap();
    let good = encode(
        &cfg,
        &JobData {
            p: 2,
            m: 3,
            e: 4,
            f: 3,
            q: &j.q.data,
            k: &j.k.data,
            v: &j.v.data,
            scale: j.scale_const,
        },
    );
    let eng = VerilatorEngine::build(&cfg, false).unwrap();
    for b in bad_jobs(&cfg, &good) {
        let a = eng
            .run(&b.words, 0.2, 3, 100_000, None, |_, _, _| {})
            .unwrap();
        let r = run_rusthdl(&cfg, &b.words, 0.2, 3, 100_000).unwrap();
        assert_eq!(a.words, r.words, "{}", b.name);
        assert_eq!(a.cycles, r.cycles, "{}", b.name);
        let t = decode(&cfg, 2, 3, &a.words).unwrap().trailer;
        assert_eq!(t.status as i128, b.status, "{}", b.name);
    }
}
