//! Random streams (issue 11): sequences of random jobs, good and malformed (truncated with
//! `tlast`, flipped header bits, extra words, missing `tlast`, shapes out of range, bad scales,
//! junk), run back to back through the engine's Verilog in Verilator and (fewer cases) through
//! rust-hdl. Every output word must match a spec model written from `docs/interface.md` (the
//! status and returned query blocks of each job, AV bit-exact with `cascade_fixed`, where the
//! next job starts); both simulators must give the same words and cycles; each job must end
//! within a cycle bound. Failures shrink to a minimal stream; proptest keeps its seed under
//! `tb/proptest-regressions/fuzz.txt` and replays it first on every run.
//!
//! Cases: `FUSEMAX_FUZZ_CASES` (Verilator, default 120) and `FUSEMAX_FUZZ_RUSTHDL_CASES`
//! (both simulators, default 12); `make fuzz` runs a long campaign and prints the counts.

use fusemax_hdl::stream::{decode, encode, input_words, InWord};
use fusemax_hdl::stream::{status, HEADER_WORDS, MAGIC_IN};
use fusemax_hdl::{Config, ScaleConst};
use fusemax_tb::drivers::engine::{run_rusthdl_stream, Budget, SimRun};
use fusemax_tb::drivers::verilator::VerilatorEngine;
use fusemax_tb::mat::Mat;
use fusemax_tb::quant::{QuantJob, Steps};
use fusemax_tb::reference::cascade_fixed;
use fusemax_tb::small_config;
use proptest::prelude::*;
use proptest::test_runner::{
    Config as PtConfig, FileFailurePersistence, TestCaseError, TestError, TestRunner,
};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The two small configs of the fuzz: 1x1 (max E, F = 4) in the sequential binding and 2x2
/// (max E, F = 8) in the fusemax binding, at most 8 queries and keys, so that most flipped
/// shape bits fall out of range.
fn fuzz_cfg(idx: usize) -> Config {
    if idx == 0 {
        Config {
            binding: fusemax_hdl::Binding::Sequential,
            ..small_config(1, 4)
        }
    } else {
        small_config(2, 8)
    }
}

fn steps() -> Steps {
    Steps {
        q: 0.05,
        k: 0.05,
        v: 0.05,
    }
}

/// What is done to a well-formed job's words.
#[derive(Clone, Debug)]
enum Mutation {
    Good,
    /// `tlast` on word `at` (before the last); the words after it are dropped, or sent anyway
    /// (`keep_rest`: they then read as the next job's header).
    Truncate {
        at: prop::sample::Index,
        keep_rest: bool,
    },
    /// `tlast` on header word `at` (0 ..= 6), the rest dropped.
    HeaderEnd {
        at: usize,
    },
    /// Header word `word` with these bits flipped.
    Flip {
        word: usize,
        bits: Vec<u32>,
    },
    /// The last word without `tlast`, then these words, `tlast` on the last of them.
    Extra {
        words: Vec<u64>,
    },
    /// Header word 1 ..= 4 (P, M, E, F) out of range: 0, max + 1, a bit above 31, all ones.
    Shape {
        word: usize,
        kind: u8,
    },
    /// Scale mantissa not normalized, or with a bit above it; shift 32, or a bit above 31.
    Scale {
        kind: u8,
    },
    /// The last word without `tlast`, nothing after it: the engine drops the next job's words
    /// up to its `tlast`.
    NoLast,
    /// Not a job: random words, `tlast` on the last.
    Junk {
        words: Vec<u64>,
    },
}

#[derive(Clone, Debug)]
struct JobSpec {
    p: usize,
    m: usize,
    e: usize,
    f: usize,
    seed: u64,
    mutation: Mutation,
}

#[derive(Clone, Debug)]
struct Case {
    cfg: usize,
    jobs: Vec<JobSpec>,
    /// Stall probability of both streams, in percent.
    stall_pct: u32,
    stall_seed: u64,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Good),
        2 => (any::<prop::sample::Index>(), any::<bool>())
            .prop_map(|(at, keep_rest)| Mutation::Truncate { at, keep_rest }),
        1 => (0usize..HEADER_WORDS).prop_map(|at| Mutation::HeaderEnd { at }),
        2 => (0usize..HEADER_WORDS, prop::collection::vec(0u32..64, 1..=2))
            .prop_map(|(word, bits)| Mutation::Flip { word, bits }),
        2 => prop::collection::vec(any::<u64>(), 1..=3).prop_map(|words| Mutation::Extra { words }),
        1 => (1usize..=4, 0u8..4).prop_map(|(word, kind)| Mutation::Shape { word, kind }),
        1 => (0u8..4).prop_map(|kind| Mutation::Scale { kind }),
        1 => Just(Mutation::NoLast),
        1 => prop::collection::vec(any::<u64>(), 1..=9).prop_map(|words| Mutation::Junk { words }),
    ]
}

fn job(max_ef: usize, m: impl Strategy<Value = Mutation>) -> impl Strategy<Value = JobSpec> {
    (
        1usize..=6,
        1usize..=6,
        1..=max_ef,
        1..=max_ef,
        any::<u64>(),
        m,
    )
        .prop_map(|(p, m, e, f, seed, mutation)| JobSpec {
            p,
            m,
            e,
            f,
            seed,
            mutation,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (0usize..2)
        .prop_flat_map(|c| {
            let max_ef = fuzz_cfg(c).max_e;
            (
                Just(c),
                prop::collection::vec(job(max_ef, mutation()), 1..=7),
                job(max_ef, Just(Mutation::Good)),
                prop_oneof![Just(0u32), 1u32..=40],
                any::<u64>(),
            )
        })
        .prop_map(|(cfg, mut jobs, last, stall_pct, stall_seed)| {
            jobs.push(last);
            Case {
                cfg,
                jobs,
                stall_pct,
                stall_seed,
            }
        })
}

/// A job's well-formed words: random data in the config's range, the default scale for E.
fn good_words(cfg: &Config, j: &JobSpec) -> Vec<InWord> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(j.seed);
    let hi = (1i32 << (cfg.data_bits - 1)) - 1;
    let mut mat = |r: usize, c: usize| {
        Mat::from_vec(
            r,
            c,
            (0..r * c).map(|_| rng.gen_range(-hi - 1..=hi)).collect(),
        )
    };
    let (q, k, v) = (mat(j.p, j.e), mat(j.m, j.e), mat(j.m, j.f));
    let qj = QuantJob::from_int(q, k, v, steps(), None, cfg).expect("a job within the config");
    encode(cfg, &qj.job_data())
}

/// The words a job spec sends.
fn job_words(cfg: &Config, j: &JobSpec) -> Vec<InWord> {
    let mut w = good_words(cfg, j);
    let n = w.len();
    let mant_bits = cfg.derived().scale_mant_bits;
    match &j.mutation {
        Mutation::Good => {}
        Mutation::Truncate { at, keep_rest } => {
            let at = at.index(n - 1);
            w[at].1 = true;
            if !keep_rest {
                w.truncate(at + 1);
            }
        }
        Mutation::HeaderEnd { at } => {
            w.truncate(at + 1);
            w[*at].1 = true;
        }
        Mutation::Flip { word, bits } => {
            for b in bits {
                w[*word].0 ^= 1 << b;
            }
        }
        Mutation::Extra { words } => {
            w[n - 1].1 = false;
            w.extend(words.iter().map(|&x| (x as u128, false)));
            w.last_mut().unwrap().1 = true;
        }
        Mutation::Shape { word, kind } => {
            let max = [0, cfg.max_seq_q, cfg.max_seq_kv, cfg.max_e, cfg.max_f][*word] as u128;
            w[*word].0 = match kind {
                0 => 0,
                1 => max + 1,
                2 => w[*word].0 | 1 << 40,
                _ => u64::MAX as u128,
            };
        }
        Mutation::Scale { kind } => match kind {
            0 => w[5].0 >>= 1,
            1 => w[5].0 |= 1 << mant_bits,
            2 => w[6].0 = 32,
            _ => w[6].0 |= 1 << 33,
        },
        Mutation::NoLast => w[n - 1].1 = false,
        Mutation::Junk { words } => {
            w = words.iter().map(|&x| (x as u128, false)).collect();
            w.last_mut().unwrap().1 = true;
        }
    }
    w
}

/// The engine's answer to one job of a stream, by the documented rules.
#[derive(Clone, Debug, PartialEq)]
struct Expect {
    status: u8,
    /// Query blocks returned, and their AV rows (`p`, `f` of the header; 1, 1 when it is bad).
    blocks: usize,
    p: usize,
    f: usize,
    av: Vec<i64>,
    /// Input words this job consumed (from its first header word through the `tlast` that
    /// ends it, drained words included).
    words: usize,
}

fn lane(w: u128, i: usize, bits: u32) -> i32 {
    let raw = ((w >> (i as u32 * bits)) & ((1u128 << bits) - 1)) as u64;
    (if raw >> (bits - 1) == 1 {
        raw as i64 - (1i64 << bits)
    } else {
        raw as i64
    }) as i32
}

/// The spec model: a stream (ending in `tlast`) split into the jobs the engine sees, each with
/// its documented status, returned blocks and AV.
fn spec(cfg: &Config, stream: &[InWord]) -> Vec<Expect> {
    let mut out = vec![];
    let mut pos = 0;
    while pos < stream.len() {
        let e = spec_job(cfg, &stream[pos..]);
        pos += e.words;
        out.push(e);
    }
    out
}

fn spec_job(cfg: &Config, w: &[InWord]) -> Expect {
    let d = cfg.derived();
    // index just past the first tlast at or after i
    let through_last = |i: usize| i + 1 + w[i..].iter().position(|x| x.1).expect("ends in tlast");
    let fail = |status: i128, words: usize| Expect {
        status: status as u8,
        blocks: 0,
        p: 1,
        f: 1,
        av: vec![],
        words,
    };
    if let Some(i) = w[..HEADER_WORDS - 1].iter().position(|x| x.1) {
        return fail(status::EARLY_END, i + 1);
    }
    let h: Vec<u128> = w[..HEADER_WORDS].iter().map(|x| x.0).collect();
    let within = |v: u128, max: usize| v >= 1 && v <= max as u128;
    let code = if h[0] != MAGIC_IN as u128 {
        status::BAD_MAGIC
    } else if !(within(h[1], cfg.max_seq_q)
        && within(h[2], cfg.max_seq_kv)
        && within(h[3], cfg.max_e)
        && within(h[4], cfg.max_f))
    {
        status::BAD_SHAPE
    } else if h[5] >> (d.scale_mant_bits - 1) != 1 || h[6] >= 32 {
        status::BAD_SCALE
    } else if w[HEADER_WORDS - 1].1 {
        status::EARLY_END
    } else {
        status::OK
    };
    if code != status::OK {
        return fail(code, through_last(HEADER_WORDS - 1));
    }
    let (p, m, e, f) = (h[1] as usize, h[2] as usize, h[3] as usize, h[4] as usize);
    let n = input_words(cfg, p, m, e, f) - HEADER_WORDS;
    let nblk = p.div_ceil(cfg.cols);
    let bw = n / nblk;
    let data = &w[HEADER_WORDS..];
    let t = data.iter().position(|x| x.1).expect("ends in tlast");
    let (status, blocks) = match t.cmp(&(n - 1)) {
        std::cmp::Ordering::Less => (status::EARLY_END, (t + 1) / bw),
        std::cmp::Ordering::Equal => (status::OK, nblk),
        std::cmp::Ordering::Greater => (status::MISSING_LAST, nblk),
    };
    let scale = ScaleConst {
        mant: h[5] as u64,
        shift: h[6] as u32,
    };
    let mut av = vec![];
    for b in 0..blocks {
        av.extend(block_av(cfg, (p, m, e, f), scale, b, &data[b * bw..]));
    }
    Expect {
        status: status as u8,
        blocks,
        p,
        f,
        av,
        words: HEADER_WORDS + t + 1,
    }
}

/// The AV rows of query block `b` from its input words (`data` starts at the block's first Q
/// word), by `cascade_fixed`.
fn block_av(
    cfg: &Config,
    (p, m, e, f): (usize, usize, usize, usize),
    scale: ScaleConst,
    b: usize,
    data: &[InWord],
) -> Vec<i64> {
    let d = cfg.derived();
    let (lanes, bits) = (d.in_lanes, cfg.data_bits);
    let (qch, kch) = (cfg.cols.div_ceil(lanes), cfg.rows.div_ceil(lanes));
    let nq = cfg.cols.min(p - b * cfg.cols);
    let mut it = data.iter().map(|x| x.0);
    // a vector of n values over `ch` words
    let mut vector = |n: usize, ch: usize| -> Vec<i32> {
        let ws: Vec<u128> = (0..ch)
            .map(|_| it.next().expect("block complete"))
            .collect();
        (0..n)
            .map(|i| lane(ws[i / lanes], i % lanes, bits))
            .collect()
    };
    let mut q = Mat::<i32>::zeros(nq, e);
    let (mut k, mut v) = (Mat::<i32>::zeros(m, e), Mat::<i32>::zeros(m, f));
    for ee in 0..e {
        for (c, x) in vector(cfg.cols, qch).into_iter().enumerate().take(nq) {
            q.data[c * e + ee] = x;
        }
    }
    for m0 in (0..m).step_by(cfg.rows) {
        let nk = cfg.rows.min(m - m0);
        for ee in 0..e {
            for (r, x) in vector(cfg.rows, kch).into_iter().enumerate().take(nk) {
                k.data[(m0 + r) * e + ee] = x;
            }
        }
        for ff in 0..f {
            for (r, x) in vector(cfg.rows, kch).into_iter().enumerate().take(nk) {
                v.data[(m0 + r) * f + ff] = x;
            }
        }
    }
    let mut qj = QuantJob::from_int(q, k, v, steps(), None, cfg).expect("shape within config");
    qj.scale_const = scale;
    cascade_fixed(&qj, cfg).data
}

/// Cycles a job may take from the previous output `tlast` to its own: generous per word in
/// and out (a tile costs E + F + 2R + X + 2 cycles for (E + F) words, a block's division
/// about 30 cycles per f), scaled for the stalls of both streams.
fn cycle_bound(e: &Expect, stall: f64) -> u64 {
    let out = e.av.len() + 6;
    let free = (1.0 - stall).powi(2);
    ((2000.0 + 100.0 * (e.words + out) as f64) / free) as u64
}

/// The engines of the two configs, built once and one at a time.
fn engines() -> &'static [VerilatorEngine] {
    static E: OnceLock<Vec<VerilatorEngine>> = OnceLock::new();
    E.get_or_init(|| {
        (0..2)
            .map(|c| VerilatorEngine::build(&fuzz_cfg(c), false).expect("Verilator build"))
            .collect()
    })
}

#[derive(Default, Debug)]
struct Stats {
    cases: usize,
    jobs: usize,
    words_in: usize,
    words_out: usize,
    cycles: u64,
    /// (status, returned some blocks) -> jobs
    statuses: BTreeMap<(u8, bool), usize>,
    /// The largest share of its cycle bound a job took.
    worst: f64,
}

/// Checks a run's output against the spec model's jobs; counts into `stats`.
fn check_run(
    cfg: &Config,
    stall: f64,
    expect: &[Expect],
    run: &SimRun,
    stats: &mut Stats,
) -> Result<(), String> {
    let mut jobs = vec![];
    let mut start = 0;
    for (i, w) in run.words.iter().enumerate() {
        if w.1 {
            jobs.push(&run.words[start..=i]);
            start = i + 1;
        }
    }
    if start != run.words.len() || jobs.len() != expect.len() || run.ends.len() != expect.len() {
        return Err(format!(
            "{} output jobs ({} words after the last tlast), expected {}",
            jobs.len(),
            run.words.len() - start,
            expect.len()
        ));
    }
    let mut prev_end = 0;
    for (i, (words, x)) in jobs.iter().zip(expect).enumerate() {
        let got = decode(cfg, x.p, x.f, words).map_err(|e| format!("job {i}: {e}"))?;
        let t = got.trailer;
        if (t.status, t.blocks as usize) != (x.status, x.blocks) || got.av != x.av {
            return Err(format!(
                "job {i}: status {} with {} blocks, AV {:?}; expected status {} with {} blocks, AV {:?}",
                t.status, t.blocks, got.av, x.status, x.blocks, x.av
            ));
        }
        for (name, c) in [
            ("busy_2d", t.busy_2d),
            ("busy_1d", t.busy_1d),
            ("stall_in", t.stall_in),
            ("stall_out", t.stall_out),
        ] {
            if c > t.cycles {
                return Err(format!("job {i}: {name} = {c} above cycles = {}", t.cycles));
            }
        }
        let took = run.ends[i] - prev_end;
        let bound = cycle_bound(x, stall);
        if took > bound {
            return Err(format!("job {i}: {took} cycles, bound {bound}"));
        }
        stats.worst = stats.worst.max(took as f64 / bound as f64);
        prev_end = run.ends[i];
        *stats.statuses.entry((x.status, x.blocks > 0)).or_default() += 1;
        stats.words_in += x.words;
    }
    stats.jobs += expect.len();
    stats.words_out += run.words.len();
    stats.cycles += run.cycles;
    Ok(())
}

/// The words of a case, its spec model and run budget.
fn prepare(case: &Case) -> (Config, Vec<InWord>, Vec<Expect>, f64, Budget) {
    let cfg = fuzz_cfg(case.cfg);
    let stream: Vec<InWord> = case.jobs.iter().flat_map(|j| job_words(&cfg, j)).collect();
    let expect = spec(&cfg, &stream);
    let stall = case.stall_pct as f64 / 100.0;
    let bounds: Vec<u64> = expect.iter().map(|x| cycle_bound(x, stall)).collect();
    let budget = Budget {
        max_cycles: bounds.iter().sum(),
        jobs: expect.len(),
        job_cycles: *bounds.iter().max().unwrap(),
    };
    (cfg, stream, expect, stall, budget)
}

fn run_case(case: &Case, rusthdl: bool, stats: &mut Stats) -> Result<(), String> {
    let (cfg, stream, expect, stall, budget) = prepare(case);
    let v = engines()[case.cfg].run_stream(
        &stream,
        stall,
        case.stall_seed,
        &budget,
        None,
        |_, _, _| {},
    )?;
    check_run(&cfg, stall, &expect, &v, stats).map_err(|e| format!("Verilator: {e}"))?;
    if rusthdl {
        let r = run_rusthdl_stream(&cfg, &stream, stall, case.stall_seed, &budget)?;
        if (&r.words, r.cycles, &r.ends) != (&v.words, v.cycles, &v.ends) {
            return Err(format!(
                "rust-hdl and Verilator differ: {} / {} words, {} / {} cycles",
                r.words.len(),
                v.words.len(),
                r.cycles,
                v.cycles
            ));
        }
    }
    stats.cases += 1;
    Ok(())
}

fn env_cases(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `cases` random cases (after the saved regressions) and prints the counts.
fn campaign(name: &str, cases: u32, rusthdl: bool) {
    let config = PtConfig {
        cases,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/fuzz.txt"
        )))),
        ..PtConfig::default()
    };
    let stats = Mutex::new(Stats::default());
    let t0 = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |c| {
        let mut s = Stats::default();
        run_case(&c, rusthdl, &mut s).map_err(TestCaseError::fail)?;
        let mut all = stats.lock().unwrap();
        all.cases += s.cases;
        all.jobs += s.jobs;
        all.words_in += s.words_in;
        all.words_out += s.words_out;
        all.cycles += s.cycles;
        for (k, n) in s.statuses {
            *all.statuses.entry(k).or_default() += n;
        }
        all.worst = all.worst.max(s.worst);
        Ok(())
    });
    let s = stats.into_inner().unwrap();
    println!(
        "{name}: {} cases, {} jobs, {} words in, {} words out, {} cycles (a job at most {:.0}% of its bound), {:.1} s",
        s.cases,
        s.jobs,
        s.words_in,
        s.words_out,
        s.cycles,
        100.0 * s.worst,
        t0.elapsed().as_secs_f64()
    );
    for ((st, partial), n) in &s.statuses {
        println!(
            "  status {st}{}: {n} jobs",
            if *partial { " with AV blocks" } else { "" }
        );
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, c)) => {
            let (cfg, stream, expect, _, _) = prepare(&c);
            panic!(
                "{why}\nminimal case: {c:?}\nconfig {}x{}\nstream: {stream:x?}\nexpected: {expect:?}",
                cfg.rows, cfg.cols
            )
        }
        Err(e) => panic!("{e}"),
    }
    // Every kind of ending must have come up, or the fuzz tests less than it claims.
    if cases >= 24 {
        for st in 0..=5u8 {
            assert!(
                s.statuses.keys().any(|k| k.0 == st),
                "no job ended with status {st}: {:?}",
                s.statuses
            );
        }
    }
}

#[test]
fn random_streams_in_verilator() {
    campaign("verilator", env_cases("FUSEMAX_FUZZ_CASES", 120), false);
}

#[test]
fn random_streams_in_rust_hdl_and_verilator() {
    campaign(
        "rust-hdl+verilator",
        env_cases("FUSEMAX_FUZZ_RUSTHDL_CASES", 12),
        true,
    );
}

/// The spec model's parser reads back the blocks `encode` wrote, and its AV equals
/// `cascade_fixed` of the whole job.
#[test]
fn spec_model_reads_back_good_jobs() {
    for c in 0..2 {
        let cfg = fuzz_cfg(c);
        for (p, m, e, f) in [(1, 1, 1, 1), (5, 3, 4, 2), (3, 5, 2, 4)] {
            let j = JobSpec {
                p,
                m,
                e,
                f,
                seed: 7,
                mutation: Mutation::Good,
            };
            let x = spec(&cfg, &job_words(&cfg, &j));
            assert_eq!(x.len(), 1);
            assert_eq!((x[0].status, x[0].blocks), (0, p.div_ceil(cfg.cols)));
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
            let hi = (1i32 << (cfg.data_bits - 1)) - 1;
            let mut mat = |r: usize, c: usize| {
                Mat::from_vec(
                    r,
                    c,
                    (0..r * c).map(|_| rng.gen_range(-hi - 1..=hi)).collect(),
                )
            };
            let (q, k, v) = (mat(p, e), mat(m, e), mat(m, f));
            let qj = QuantJob::from_int(q, k, v, steps(), None, &cfg).unwrap();
            assert_eq!(x[0].av, cascade_fixed(&qj, &cfg).data);
            assert!(x[0].av.iter().any(|&a| a != 0));
        }
    }
}

/// The spec model against hand-derived answers (so that it is not only checked against the
/// engine), and the engine against both: status precedence in the header, the blocks of an
/// early end, the drain after a missing `tlast` swallowing the next job. 2x2, P = 3 (two query
/// blocks of 3 words: Q, K, V), M = 2, E = F = 1: 13 words.
#[test]
fn documented_streams_by_hand() {
    let cfg = fuzz_cfg(1);
    let spec_of = |seed| JobSpec {
        p: 3,
        m: 2,
        e: 1,
        f: 1,
        seed,
        mutation: Mutation::Good,
    };
    let good = good_words(&cfg, &spec_of(1));
    assert_eq!(good.len(), 13);
    let edit = |edits: &[(usize, u128)], last_at: Option<usize>| {
        let mut w = good.clone();
        for &(i, v) in edits {
            w[i].0 = v;
        }
        if let Some(n) = last_at {
            w.truncate(n + 1);
            w[n].1 = true;
        }
        w
    };
    let mant = good[5].0;
    // (words, status, blocks, words consumed)
    let plan: Vec<(Vec<InWord>, i128, usize, usize)> = vec![
        (edit(&[(0, 1)], Some(3)), status::EARLY_END, 0, 4),
        (edit(&[(0, 1), (2, 0)], None), status::BAD_MAGIC, 0, 13),
        (edit(&[(1, 9), (5, 1)], None), status::BAD_SHAPE, 0, 13),
        (edit(&[(6, 40)], Some(6)), status::BAD_SCALE, 0, 7),
        (edit(&[(5, mant | 1 << 40)], None), status::BAD_SCALE, 0, 13),
        (edit(&[], Some(6)), status::EARLY_END, 0, 7),
        (edit(&[], Some(8)), status::EARLY_END, 0, 9),
        (edit(&[], Some(9)), status::EARLY_END, 1, 10),
        (edit(&[], Some(11)), status::EARLY_END, 1, 12),
        (good.clone(), status::OK, 2, 13),
        // no tlast: the next job (13 words) is drained, up to its tlast
        (
            {
                let mut w = good.clone();
                w[12].1 = false;
                w.extend(good_words(&cfg, &spec_of(2)));
                w
            },
            status::MISSING_LAST,
            2,
            26,
        ),
        (good_words(&cfg, &spec_of(3)), status::OK, 2, 13),
    ];
    let stream: Vec<InWord> = plan.iter().flat_map(|x| x.0.clone()).collect();
    let expect = spec(&cfg, &stream);
    let by_hand: Vec<(u8, usize, usize)> = plan.iter().map(|x| (x.1 as u8, x.2, x.3)).collect();
    let model: Vec<(u8, usize, usize)> = expect
        .iter()
        .map(|x| (x.status, x.blocks, x.words))
        .collect();
    assert_eq!(model, by_hand);
    let budget = Budget {
        max_cycles: 1_000_000,
        jobs: expect.len(),
        job_cycles: 20_000,
    };
    let run = engines()[1]
        .run_stream(&stream, 0.25, 5, &budget, None, |_, _, _| {})
        .unwrap();
    check_run(&cfg, 0.25, &expect, &run, &mut Stats::default()).unwrap();
}
