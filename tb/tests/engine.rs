//! The engine end to end in rust-hdl: input stream in, AV and trailer out, bit-exact with
//! `cascade_fixed`, with and without backpressure; bad jobs end with an error status.

use fusemax_hdl::stream::status;
use fusemax_hdl::stream::{decode, encode};
use fusemax_hdl::{Binding, Config, Dist};
use fusemax_tb::badjobs::bad_jobs;
use fusemax_tb::drivers::engine::{run_rusthdl, run_rusthdl_jobs};
use fusemax_tb::gen::generate;
use fusemax_tb::quant::QuantJob;
use fusemax_tb::reference::cascade_fixed;

fn small(rows: usize, cols: usize) -> Config {
    Config {
        rows,
        cols,
        max_e: 16,
        max_f: 16,
        max_seq_kv: 512,
        max_seq_q: 512,
        fifo_depth: 4,
        ..Config::default()
    }
}

fn job(cfg: &Config, p: usize, m: usize, e: usize, f: usize, dist: Dist, seed: u64) -> QuantJob {
    let x = generate(p, m, e, f, seed, dist);
    QuantJob::from_real(&x.q, &x.k, &x.v, None, cfg).unwrap()
}

/// Runs the job in `cfg`'s binding and in the other one: both bit-exact with `cascade_fixed`.
/// Returns the trailer of `cfg`'s binding.
fn check(cfg: &Config, j: &QuantJob, stall: f64) -> fusemax_hdl::stream::Trailer {
    let other = Config {
        binding: match cfg.binding {
            Binding::Fusemax => Binding::Sequential,
            Binding::Sequential => Binding::Fusemax,
        },
        ..cfg.clone()
    };
    let t = check_one(cfg, j, stall);
    check_one(&other, j, stall);
    t
}

fn check_one(cfg: &Config, j: &QuantJob, stall: f64) -> fusemax_hdl::stream::Trailer {
    let (p, _, _, f) = j.shape();
    let words = encode(cfg, &j.job_data());
    let run = run_rusthdl(cfg, &words, stall, 3, 2_000_000).unwrap();
    let out = decode(cfg, p, f, &run.words).unwrap();
    assert_eq!(out.trailer.status, 0);
    let expect = cascade_fixed(j, cfg);
    let mism = fusemax_tb::metrics::mismatches(&out.av, &expect.data);
    assert_eq!(mism, 0, "{:?}: {mism} mismatches", cfg.binding);
    out.trailer
}

#[test]
fn engine_2x2_matches_cascade_fixed_with_and_without_backpressure() {
    let cfg = small(2, 2);
    let j = job(&cfg, 3, 5, 4, 3, Dist::Normal, 1);
    let t0 = check(&cfg, &j, 0.0);
    let t1 = check(&cfg, &j, 0.3);
    assert!(t0.busy_2d > 0 && t0.cycles > t0.busy_2d);
    assert!(
        t1.stall_in + t1.stall_out > 0,
        "backpressure shows in the counters"
    );
}

#[test]
fn engine_4x4_ragged() {
    let cfg = small(4, 4);
    let j = job(&cfg, 6, 11, 8, 5, Dist::Peaked, 2);
    check(&cfg, &j, 0.0);
}

#[test]
fn bad_jobs_end_with_an_error_status() {
    let cfg = small(2, 2);
    let j = job(&cfg, 2, 3, 4, 3, Dist::Normal, 4);
    let good = encode(&cfg, &j.job_data());
    let run = |words: Vec<(u128, bool)>| {
        let r = run_rusthdl(&cfg, &words, 0.0, 1, 100_000).unwrap();
        decode(&cfg, 2, 3, &r.words).unwrap().trailer.status as i128
    };
    for b in bad_jobs(&cfg, &good) {
        assert_eq!(run(b.words), b.status, "{}", b.name);
    }
    // After an error the engine takes the next job, and computes it right.
    let mut w = good[..9].to_vec();
    w.last_mut().unwrap().1 = true;
    w.extend(good.iter().copied());
    let r = run_rusthdl_jobs(&cfg, &w, 0.0, 1, 100_000, 2).unwrap();
    let split = r.words.iter().position(|x| x.1).unwrap() + 1;
    assert_eq!(
        decode(&cfg, 2, 3, &r.words[..split])
            .unwrap()
            .trailer
            .status as i128,
        status::EARLY_END
    );
    let second = decode(&cfg, 2, 3, &r.words[split..]).unwrap();
    assert_eq!(second.trailer.status, 0);
    assert_eq!(second.av, cascade_fixed(&j, &cfg).data);
}

#[test]
fn engine_1x1_flat_and_2x4_uniform() {
    let cfg = small(1, 1);
    check(&cfg, &job(&cfg, 2, 4, 5, 2, Dist::Flat, 5), 0.2);
    let cfg = small(2, 4);
    check(&cfg, &job(&cfg, 5, 6, 7, 4, Dist::Uniform, 6), 0.0);
}

/// A 128-bit input stream: vectors of up to 16 int8 values a word (a 20-row K/V vector takes
/// two words, a 3-column Q vector one), bit-exact with and without backpressure; header words
/// with bits above the low 64 are refused.
#[test]
fn engine_with_a_128_bit_stream() {
    let cfg = Config {
        stream_bits: 128,
        ..small(20, 3)
    };
    assert_eq!(fusemax_hdl::buffers::chunks(&cfg, 20), 2);
    let j = job(&cfg, 4, 25, 5, 3, Dist::Normal, 7);
    let words = encode(&cfg, &j.job_data());
    assert!(
        words.iter().any(|w| w.0 >> 64 != 0),
        "no word uses the high half"
    );
    check(&cfg, &j, 0.0);
    check(&cfg, &j, 0.3);
    let good = words;
    for b in bad_jobs(&cfg, &good)
        .into_iter()
        .filter(|b| b.name.contains("above 64"))
    {
        let r = run_rusthdl(&cfg, &b.words, 0.0, 1, 100_000).unwrap();
        let st = decode(&cfg, 4, 3, &r.words).unwrap().trailer.status as i128;
        assert_eq!(st, b.status, "{}", b.name);
    }
}
