//! `docs/interface.md` as a contract, checked in Verilator. Streams are built and decoded here
//! from the page's formulas only (module `page`): no project code encodes or decodes a word.
//! The project supplies the Verilog (`generate`), the build (`verilate_top`) and the expected AV
//! (the bit-accurate model `cascade_fixed`, which the page says the engine matches bit for bit).
//! The harness (`conformance/harness.cpp`) drives the ports and logs every handshake and port
//! change with its cycle.

use fusemax_hdl::kit::cosim::{have_verilator, verilate_top};
use fusemax_hdl::{generate, Config, TOP_MODULE};
use fusemax_tb::quant::{QuantJob, Steps};
use fusemax_tb::reference::cascade_fixed;
use fusemax_tb::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

const HARNESS: &str = include_str!("conformance/harness.cpp");

/// What the page says, as code.
mod page {
    pub const MAGIC_IN: u64 = 0x464D_4158;
    pub const MAGIC_TRAILER: u64 = 0x464D_5354;
    pub const OK: u8 = 0;
    pub const BAD_MAGIC: u8 = 1;
    pub const BAD_SHAPE: u8 = 2;
    pub const BAD_SCALE: u8 = 3;
    pub const EARLY_END: u8 = 4;
    pub const MISSING_LAST: u8 = 5;

    /// The config keys the page's formulas read.
    #[derive(Clone, Copy, Debug)]
    pub struct Hw {
        pub rows: usize,
        pub cols: usize,
        pub data_bits: u32,
        pub out_frac_bits: u32,
        pub mul_bits: u32,
        pub exp_frac_bits: u32,
        pub exp_degree: u32,
    }

    /// Bits to hold n.
    pub fn ubits(n: u64) -> u32 {
        64 - n.leading_zeros()
    }

    impl Hw {
        /// L: values per input word.
        pub fn lanes_in(&self) -> usize {
            (64 / self.data_bits) as usize
        }
        /// O: bits of an AV value.
        pub fn out_bits(&self) -> u32 {
            self.data_bits + self.out_frac_bits
        }
        /// Lo: AV values per output word.
        pub fn lanes_out(&self) -> usize {
            (64 / self.out_bits()) as usize
        }
        /// X: cycles of the exp sequence.
        pub fn x(&self) -> u64 {
            3 * self.exp_degree as u64 + 8
        }
        /// (mantissa, shift) of the scale constant c (section "The scale constant").
        pub fn scale(&self, c: f64) -> (u64, u64) {
            let mb = self.mul_bits as i32 - 1;
            let zw = self.mul_bits as i32 - 2;
            let zf = self.mul_bits as i32 - 1 - ubits(self.exp_frac_bits as u64 + 2) as i32;
            let mut e = c.log2().floor() as i32;
            let mut m = (c * 2f64.powi(mb - 1 - e)).round();
            if m >= 2f64.powi(mb) {
                m /= 2.0;
                e += 1;
            }
            let shift = 16 - zw - zf + mb - 1 - e;
            assert!((0..32).contains(&shift), "c = {c} is not representable");
            (m as u64, shift as u64)
        }
        fn pack(&self, vals: &[i64], bits: u32, fill: &mut dyn FnMut() -> u64) -> u64 {
            let n = (64 / bits) as usize;
            let mask = if bits == 64 { !0 } else { (1u64 << bits) - 1 };
            let mut w = 0u64;
            for i in 0..n {
                let v = match vals.get(i) {
                    Some(&v) => v as u64,
                    None => fill(),
                };
                w |= (v & mask) << (i as u32 * bits);
            }
            w
        }
        /// A vector of n values: ceil(n / L) words; `fill` gives the unused lanes.
        fn vector(&self, vals: &[i64], fill: &mut dyn FnMut() -> u64, out: &mut Vec<(u64, bool)>) {
            for ch in vals.chunks(self.lanes_in()) {
                out.push((self.pack(ch, self.data_bits, fill), false));
            }
        }
        /// The input words of a job (section "A job: input words, in order"). Padded values
        /// (queries past P, keys past M) and unused lanes come from `fill` (0 or junk).
        #[allow(clippy::too_many_arguments)]
        pub fn job(
            &self,
            q: &[Vec<i64>],
            k: &[Vec<i64>],
            v: &[Vec<i64>],
            (mant, shift): (u64, u64),
            fill: &mut dyn FnMut() -> u64,
        ) -> Vec<(u64, bool)> {
            let (p, m, e, f) = (q.len(), k.len(), q[0].len(), v[0].len());
            let mut w: Vec<(u64, bool)> = [
                MAGIC_IN, p as u64, m as u64, e as u64, f as u64, mant, shift,
            ]
            .iter()
            .map(|&x| (x, false))
            .collect();
            let pad = |fill: &mut dyn FnMut() -> u64| (fill() as i64) & ((1 << self.data_bits) - 1);
            for p0 in (0..p).step_by(self.cols) {
                for ee in 0..e {
                    let vals: Vec<i64> = (0..self.cols)
                        .map(|c| if p0 + c < p { q[p0 + c][ee] } else { pad(fill) })
                        .collect();
                    self.vector(&vals, fill, &mut w);
                }
                for m0 in (0..m).step_by(self.rows) {
                    for ee in 0..e {
                        let vals: Vec<i64> = (0..self.rows)
                            .map(|r| if m0 + r < m { k[m0 + r][ee] } else { pad(fill) })
                            .collect();
                        self.vector(&vals, fill, &mut w);
                    }
                    for ff in 0..f {
                        let vals: Vec<i64> = (0..self.rows)
                            .map(|r| if m0 + r < m { v[m0 + r][ff] } else { pad(fill) })
                            .collect();
                        self.vector(&vals, fill, &mut w);
                    }
                }
            }
            w.last_mut().unwrap().1 = true;
            w
        }
        /// Input words: 7 + ceil(P/C) * (E*ceil(C/L) + ceil(M/R) * (E + F) * ceil(R/L)).
        pub fn input_words(&self, p: usize, m: usize, e: usize, f: usize) -> usize {
            let l = self.lanes_in();
            7 + p.div_ceil(self.cols)
                * (e * self.cols.div_ceil(l)
                    + m.div_ceil(self.rows) * (e + f) * self.rows.div_ceil(l))
        }
    }

    /// A decoded job output.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Out {
        pub status: u8,
        pub blocks: u64,
        /// cycles, busy 2D, busy 1D, input stall, output stall
        pub counters: [u64; 5],
        /// AV rows of the returned blocks: av[p][f], value / 2^out_frac_bits in V steps.
        pub av: Vec<Vec<i64>>,
    }

    /// Decodes one job's output words (section "Output words, in order"), checking every rule
    /// a host may rely on: whole blocks, padded lanes 0, the trailer last with `tlast`.
    pub fn decode(hw: &Hw, p: usize, f: usize, words: &[(u64, bool)]) -> Result<Out, String> {
        let n = words.len();
        if n < 6 {
            return Err(format!("{n} words: no trailer"));
        }
        if words[..n - 1].iter().any(|w| w.1) || !words[n - 1].1 {
            return Err("tlast must be on the last trailer word only".into());
        }
        let t: Vec<u64> = words[n - 6..].iter().map(|w| w.0).collect();
        if t[0] >> 32 != MAGIC_TRAILER {
            return Err(format!("trailer word 0 {:#x}", t[0]));
        }
        let blocks = (t[0] >> 8) & 0xff_ffff;
        let (c, lo, ob) = (hw.cols, hw.lanes_out(), hw.out_bits());
        let och = c.div_ceil(lo);
        if n - 6 != blocks as usize * f * och {
            return Err(format!("{} AV words for {blocks} blocks", n - 6));
        }
        let mut av = vec![vec![0i64; f]; (blocks as usize * c).min(p)];
        let mut it = words.iter();
        for b in 0..blocks as usize {
            for ff in 0..f {
                for j in 0..och {
                    let w = it.next().unwrap().0;
                    for l in 0..(64 / ob) as usize {
                        let col = j * lo + l;
                        let raw = (w >> (l as u32 * ob)) & ((1u64 << ob) - 1);
                        let q = b * c + col;
                        if col < c && q < p {
                            av[q][ff] = if raw >> (ob - 1) == 1 {
                                raw as i64 - (1 << ob)
                            } else {
                                raw as i64
                            };
                        } else if raw != 0 {
                            return Err(format!(
                                "lane {l} of word {w:#x} holds no query but is {raw:#x}"
                            ));
                        }
                    }
                    if ob * lo as u32 != 64 && w >> (ob * lo as u32) != 0 {
                        return Err(format!("bits above the lanes set in {w:#x}"));
                    }
                }
            }
        }
        Ok(Out {
            status: (t[0] & 0xff) as u8,
            blocks,
            counters: [t[1], t[2], t[3], t[4], t[5]],
            av,
        })
    }
}

use page::Hw;

/// What the harness logged.
#[derive(Default, Debug)]
struct Log {
    reset_tready: Vec<bool>,
    /// (cycle, input index)
    accepted: Vec<(u64, usize)>,
    /// (cycle, value)
    tready: Vec<(u64, bool)>,
    out: Vec<(u64, u64, bool)>,
    status: Vec<(u64, u8)>,
    busy: Vec<(u64, bool)>,
    perf: Vec<(u64, [u64; 5])>,
    end: Option<u64>,
}

impl Log {
    fn accepted_at(&self, i: usize) -> u64 {
        self.accepted
            .iter()
            .find(|a| a.1 == i)
            .expect("word accepted")
            .0
    }
    /// The output words of job `j` (between the (j-1)-th and j-th tlast).
    fn job_out(&self, j: usize) -> Vec<(u64, u64, bool)> {
        let mut k = 0;
        let mut cur = vec![];
        for &o in &self.out {
            if k == j {
                cur.push(o);
            }
            if o.2 {
                if k == j {
                    return cur;
                }
                k += 1;
            }
        }
        panic!("no output for job {j}")
    }
}

struct Engine {
    exe: PathBuf,
    hw: Hw,
    cfg: Config,
}

fn hw(cfg: &Config) -> Hw {
    Hw {
        rows: cfg.rows,
        cols: cfg.cols,
        data_bits: cfg.data_bits,
        out_frac_bits: cfg.out_frac_bits,
        mul_bits: cfg.mul_bits,
        exp_frac_bits: cfg.exp_frac_bits,
        exp_degree: cfg.exp_degree,
    }
}

impl Engine {
    fn new(cfg: Config) -> Engine {
        cfg.validate().unwrap();
        let exe = verilate_top(
            &generate(&cfg),
            HARNESS,
            &format!("conformance-{}", cfg.hw_hash()),
            "-O2",
            TOP_MODULE,
            false,
        )
        .unwrap();
        Engine {
            exe,
            hw: hw(&cfg),
            cfg,
        }
    }

    fn run(
        &self,
        words: &[(u64, bool)],
        in_stall: u32,
        out_stall: u32,
        seed: u64,
        jobs: usize,
    ) -> Log {
        let dir = tempfile::tempdir().unwrap();
        let fin = dir.path().join("in.txt");
        let flog = dir.path().join("log.txt");
        let text: String = words
            .iter()
            .map(|(w, l)| format!("{w:x} {}\n", *l as u8))
            .collect();
        std::fs::write(&fin, text).unwrap();
        let st = std::process::Command::new(&self.exe)
            .args([fin.to_str().unwrap(), flog.to_str().unwrap()])
            .args([in_stall, out_stall].map(|x| x.to_string()))
            .args([seed.to_string(), "2000000".into(), jobs.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let mut log = Log::default();
        for line in std::fs::read_to_string(&flog).unwrap().lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let n = |i: usize| f[i].parse::<u64>().unwrap();
            match f[0] {
                "reset" => log.reset_tready.push(f[2] == "1"),
                "a" => log.accepted.push((n(1), n(2) as usize)),
                "r" => log.tready.push((n(1), f[2] == "1")),
                "o" => log
                    .out
                    .push((n(1), u64::from_str_radix(f[2], 16).unwrap(), f[3] == "1")),
                "s" => log.status.push((n(1), n(2) as u8)),
                "b" => log.busy.push((n(1), f[2] == "1")),
                "p" => log.perf.push((n(1), [n(2), n(3), n(4), n(5), n(6)])),
                "end" => log.end = Some(n(1)),
                _ => panic!("log line {line}"),
            }
        }
        assert!(
            log.end.is_some(),
            "the engine hung: {} of {jobs} outputs",
            log.perf.len()
        );
        log
    }
}

/// A random integer job (values within data_bits) and its scale.
struct Job {
    q: Vec<Vec<i64>>,
    k: Vec<Vec<i64>>,
    v: Vec<Vec<i64>>,
    scale: f64,
}

impl Job {
    fn random(hw: &Hw, (p, m, e, f): (usize, usize, usize, usize), seed: u64) -> Job {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let hi = (1i64 << (hw.data_bits - 1)) - 1;
        let mut mat = |a: usize, b: usize| -> Vec<Vec<i64>> {
            (0..a)
                .map(|_| (0..b).map(|_| r.gen_range(-hi..=hi)).collect())
                .collect()
        };
        let (q, k, v) = (mat(p, e), mat(m, e), mat(m, f));
        // scores of a few units of exponent: scale ~ 4 / (E * hi^2 / 3)^(1/2)
        let scale = (3.0 / ((e as f64).sqrt() * (hi * hi) as f64 / 3.0)).max(1e-8);
        Job { q, k, v, scale }
    }
    fn shape(&self) -> (usize, usize, usize, usize) {
        (self.q.len(), self.k.len(), self.q[0].len(), self.v[0].len())
    }
    fn c(&self) -> f64 {
        self.scale * std::f64::consts::LOG2_E
    }
    fn words(&self, hw: &Hw, junk: Option<u64>) -> Vec<(u64, bool)> {
        let mut r = ChaCha8Rng::seed_from_u64(junk.unwrap_or(0));
        let mut fill = move || if junk.is_some() { r.gen::<u64>() } else { 0 };
        hw.job(&self.q, &self.k, &self.v, hw.scale(self.c()), &mut fill)
    }
    /// The bit-accurate model's AV [P][F].
    fn expected(&self, cfg: &Config) -> Vec<Vec<i64>> {
        let (p, m, e, f) = self.shape();
        let mk = |x: &Vec<Vec<i64>>, a, b| {
            Mat::from_vec(a, b, x.iter().flatten().map(|&v| v as i32).collect())
        };
        let one = Steps {
            q: 1.0,
            k: 1.0,
            v: 1.0,
        };
        let j = QuantJob::from_int(
            mk(&self.q, p, e),
            mk(&self.k, m, e),
            mk(&self.v, m, f),
            one,
            Some(self.scale),
            cfg,
        )
        .unwrap();
        let hwsc = hw(cfg).scale(self.c());
        assert_eq!(
            (j.scale_const.mant, j.scale_const.shift as u64),
            hwsc,
            "the page's scale encoding"
        );
        let av = cascade_fixed(&j, cfg);
        (0..p).map(|r| av.row(r).to_vec()).collect()
    }
    /// softmax(scale Q K^T) V in f64, in V steps.
    fn exact(&self) -> Vec<Vec<f64>> {
        let (_, _, _, f) = self.shape();
        self.q
            .iter()
            .map(|q| {
                let s: Vec<f64> = self
                    .k
                    .iter()
                    .map(|k| self.scale * q.iter().zip(k).map(|(a, b)| (a * b) as f64).sum::<f64>())
                    .collect();
                let mx = s.iter().cloned().fold(f64::MIN, f64::max);
                let w: Vec<f64> = s.iter().map(|x| (x - mx).exp()).collect();
                let d: f64 = w.iter().sum();
                (0..f)
                    .map(|ff| {
                        w.iter()
                            .zip(&self.v)
                            .map(|(w, v)| w * v[ff] as f64)
                            .sum::<f64>()
                            / d
                    })
                    .collect()
            })
            .collect()
    }
}

fn small(rows: usize, cols: usize, data_bits: u32) -> Config {
    Config {
        rows,
        cols,
        data_bits,
        max_e: 16,
        max_f: 16,
        max_seq_kv: 256,
        max_seq_q: 64,
        job: fusemax_hdl::Job {
            head_e: 1,
            head_f: 1,
            ..Default::default()
        },
        ..Config::default()
    }
}

fn skip() -> bool {
    if have_verilator() {
        return false;
    }
    assert!(
        std::env::var("CI").is_err(),
        "verilator is required under CI"
    );
    eprintln!("conformance: verilator not found, skipped");
    true
}

/// Checks one good job's output against the page: word count, whole blocks, padded lanes 0,
/// AV bit-exact, counters by their definitions. Returns the decoded output.
fn check_good(
    eng: &Engine,
    log: &Log,
    j: usize,
    job: &Job,
    first_word: usize,
    stalls: bool,
) -> page::Out {
    let hw = &eng.hw;
    let (p, m, e, f) = job.shape();
    let words: Vec<(u64, bool)> = log.job_out(j).iter().map(|o| (o.1, o.2)).collect();
    let blocks = p.div_ceil(hw.cols);
    assert_eq!(
        words.len(),
        blocks * f * hw.cols.div_ceil(hw.lanes_out()) + 6,
        "word count"
    );
    let out = page::decode(hw, p, f, &words).unwrap();
    assert_eq!((out.status, out.blocks), (page::OK, blocks as u64));
    assert_eq!(
        out.av,
        job.expected(&eng.cfg),
        "AV bit-exact with the bit-accurate model"
    );
    let [cyc, b2, b1, si, so] = out.counters;
    let tiles = (blocks * m.div_ceil(hw.rows)) as u64;
    assert_eq!(
        b2,
        tiles * ((e + f) as u64 + 3 + hw.exp_degree as u64),
        "busy_2d"
    );
    assert!(
        b1 >= tiles * (f as u64 + hw.x()),
        "busy_1d {b1} below the tiles' work"
    );
    for c in [b2, b1, si, so] {
        assert!(c <= cyc, "a counter above cycles: {:?}", out.counters);
    }
    if !stalls {
        assert_eq!(so, 0, "no output stall without backpressure");
        // cycles: from the cycle of the first header word (A) to the trailer's start (T),
        // T - A; with nothing stalled the trailer's first word is on the port in cycle T + 2.
        let outs = log.job_out(j);
        let t0 = outs[outs.len() - 6].0;
        assert_eq!(cyc, t0 - 2 - log.accepted_at(first_word), "cycles");
    }
    // the perf ports hold the trailer's values once the job is over, until the next job's
    // first header word
    if j + 1 == log.perf.len() {
        assert_eq!(log.perf[j].1, out.counters, "perf ports");
    }
    out
}

#[test]
fn good_jobs_follow_the_page() {
    if skip() {
        return;
    }
    // (config, shapes): ragged P and M, L and Lo that do not divide R and C, 16-bit data
    let plan = [
        (
            small(1, 1, 8),
            vec![(1, 1, 1, 1), (2, 3, 5, 4), (3, 9, 16, 16)],
        ),
        (
            small(2, 3, 8),
            vec![(4, 5, 3, 7), (3, 2, 8, 1), (7, 13, 6, 5)],
        ),
        (small(3, 2, 16), vec![(3, 7, 4, 3), (5, 4, 9, 9)]),
        // the page holds for either binding
        (
            Config {
                binding: fusemax_hdl::Binding::Sequential,
                ..small(2, 3, 8)
            },
            vec![(4, 5, 3, 7), (7, 13, 6, 5)],
        ),
    ];
    let mut worst = 0f64;
    for (cfg, shapes) in plan {
        let eng = Engine::new(cfg.clone());
        let hw = eng.hw;
        let jobs: Vec<Job> = shapes
            .iter()
            .enumerate()
            .map(|(i, &s)| Job::random(&hw, s, 7 + i as u64))
            .collect();
        // each job alone, with zeros in the padding
        for job in &jobs {
            let words = job.words(&hw, None);
            let (p, m, e, f) = job.shape();
            assert_eq!(
                words.len(),
                hw.input_words(p, m, e, f),
                "the page's word count"
            );
            let log = eng.run(&words, 0, 0, 1, 1);
            let out = check_good(&eng, &log, 0, job, 0, false);
            // the page's bound: 2^-out_frac_bits + max|V| * 2^-(exp_frac_bits - 3) V steps
            let one = (1u64 << hw.out_frac_bits) as f64;
            let vmax = job.v.iter().flatten().map(|v| v.abs()).max().unwrap() as f64;
            let bound = 1.0 / one + vmax * 2f64.powi(3 - cfg.exp_frac_bits as i32);
            for (a, x) in out.av.iter().flatten().zip(job.exact().iter().flatten()) {
                worst = worst.max((*a as f64 / one - x).abs() / bound);
            }
            // junk in unused lanes and padded rows changes nothing
            let junk = eng.run(&job.words(&hw, Some(5)), 0, 0, 1, 1);
            assert_eq!(junk.out, log.out, "junk in padding changed the output");
        }
        // all jobs back to back, with 30% stalls on both streams: the same AV words
        let mut all = vec![];
        let mut starts = vec![];
        for job in &jobs {
            starts.push(all.len());
            all.extend(job.words(&hw, None));
        }
        let log = eng.run(&all, 300, 300, 3, jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            check_good(&eng, &log, i, job, starts[i], true);
        }
    }
    eprintln!("worst error {worst:.3} of the page's bound");
    assert!(worst <= 1.0, "error {worst} of the page's bound");
}

/// The good job the malformed ones are made from: 2x2 array, P = 5 (3 query blocks), M = 3
/// (2 key tiles), E = F = 2, so a block is 2 Q words + 2 tiles x 4 K/V words = 10 words and
/// the job 7 + 30 = 37.
fn base() -> (Engine, Job) {
    let eng = Engine::new(small(2, 2, 8));
    let job = Job::random(&eng.hw, (5, 3, 2, 2), 11);
    (eng, job)
}

#[test]
fn malformed_jobs_give_their_status_whole_blocks_and_a_good_job_after() {
    if skip() {
        return;
    }
    use page::*;
    let (eng, job) = base();
    let good = job.words(&eng.hw, None);
    assert_eq!(good.len(), 37);
    let with = |i: usize, v: u64| {
        let mut w = good.clone();
        w[i].0 = v;
        w
    };
    let with2 = |i: usize, v: u64, k: usize, u: u64| {
        let mut w = with(i, v);
        w[k].0 = u;
        w
    };
    let cut = |w: &[(u64, bool)], n: usize| {
        let mut w = w[..n].to_vec();
        w.last_mut().unwrap().1 = true;
        w
    };
    let mant = good[5].0;
    let mut no_last = good.clone();
    no_last.last_mut().unwrap().1 = false;
    no_last.push((0xdead, false));
    no_last.push((0xbeef, true));
    // (name, words, status, query blocks returned)
    let cases: Vec<(&str, Vec<(u64, bool)>, u8, u64)> = vec![
        ("bad magic", with(0, 0x1234), BAD_MAGIC, 0),
        ("P = 0", with(1, 0), BAD_SHAPE, 0),
        ("M above max_seq_kv", with(2, 257), BAD_SHAPE, 0),
        ("E with bit 40 set", with(3, (1 << 40) | 2), BAD_SHAPE, 0),
        ("F = 0", with(4, 0), BAD_SHAPE, 0),
        ("mantissa not normalized", with(5, mant >> 1), BAD_SCALE, 0),
        (
            "mantissa with a bit above it",
            with(5, mant | 1 << 20),
            BAD_SCALE,
            0,
        ),
        ("shift of 32", with(6, 32), BAD_SCALE, 0),
        ("tlast on header word 2", cut(&good, 3), EARLY_END, 0),
        ("tlast on the last header word", cut(&good, 7), EARLY_END, 0),
        ("tlast inside block 1", cut(&good, 21), EARLY_END, 1),
        ("tlast on block 1's last word", cut(&good, 27), EARLY_END, 2),
        (
            "tlast on the last word but one",
            cut(&good, 36),
            EARLY_END,
            2,
        ),
        ("no tlast on the last word", no_last, MISSING_LAST, 3),
        // precedence
        (
            "tlast on word 2 and a bad magic",
            cut(&with(0, 1), 3),
            EARLY_END,
            0,
        ),
        ("bad magic and P = 0", with2(0, 1, 1, 0), BAD_MAGIC, 0),
        ("P = 0 and shift of 32", with2(1, 0, 6, 32), BAD_SHAPE, 0),
        (
            "shift of 32 and tlast on word 6",
            cut(&with(6, 32), 7),
            BAD_SCALE,
            0,
        ),
    ];
    let expected = job.expected(&eng.cfg);
    for (stall, seed) in [(0, 1), (300, 2)] {
        let mut all = vec![];
        for (_, w, _, _) in &cases {
            all.extend(w.iter().copied());
            all.extend(good.iter().copied());
        }
        let log = eng.run(&all, stall, stall, seed, 2 * cases.len());
        for (i, (name, _, status, blocks)) in cases.iter().enumerate() {
            let words: Vec<(u64, bool)> = log.job_out(2 * i).iter().map(|o| (o.1, o.2)).collect();
            let out = decode(&eng.hw, 5, 2, &words).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((out.status, out.blocks), (*status, *blocks), "{name}");
            assert_eq!(
                out.av[..],
                expected[..out.av.len()],
                "{name}: AV of the returned blocks"
            );
            for c in &out.counters[1..] {
                assert!(*c <= out.counters[0], "{name}: {:?}", out.counters);
            }
            let after: Vec<(u64, bool)> =
                log.job_out(2 * i + 1).iter().map(|o| (o.1, o.2)).collect();
            let next = decode(&eng.hw, 5, 2, &after).unwrap();
            assert_eq!(
                (next.status, &next.av),
                (OK, &expected),
                "the job after {name}"
            );
        }
    }
}

#[test]
fn handshake_timing_and_ports_follow_the_page() {
    if skip() {
        return;
    }
    let (eng, job) = base();
    let good = job.words(&eng.hw, None);
    // reset: tready is low in every reset cycle and rises a few cycles after rst falls
    let log = eng.run(&good, 0, 0, 1, 1);
    assert!(log.reset_tready.iter().all(|r| !r), "tready during reset");
    assert_eq!(log.tready[0], (0, false));
    let rise = log.tready[1];
    eprintln!("tready rises in cycle {} after reset", rise.0);
    assert_eq!(rise, (2, true), "tready after reset");
    // the header: words 0-6 in consecutive cycles, then 2 more words (the input FIFO fills)
    // in the next 2 cycles, then tready low while the header is checked
    let a0 = log.accepted_at(0);
    for i in 0..9 {
        assert_eq!(log.accepted_at(i), a0 + i as u64, "word {i}");
    }
    let fall = log.tready.iter().find(|t| t.0 > a0 && !t.1).unwrap().0;
    eprintln!(
        "tready falls {} cycles after the last header word",
        fall - log.accepted_at(6)
    );
    assert_eq!(
        fall,
        log.accepted_at(6) + 3,
        "tready stays high 2 cycles after word 6"
    );
    // busy: rises 2 cycles after the last header word, falls when the last trailer word
    // enters the output FIFO
    let b = &log.busy;
    assert_eq!(b[0], (0, false));
    assert_eq!(b[1], (log.accepted_at(6) + 2, true), "busy rises");
    let last_out = log.out.last().unwrap().0;
    eprintln!(
        "busy falls {} cycles before the last trailer word is taken",
        last_out - b[2].0
    );
    assert_eq!(b[2], (last_out, false), "busy falls");
    // under output backpressure busy falls long before the last trailer word leaves
    let slow = eng.run(&good, 0, 900, 4, 1);
    let fall = slow.busy.iter().find(|x| !x.1 && x.0 > 0).unwrap().0;
    assert!(
        slow.out.last().unwrap().0 > fall + 10,
        "busy under backpressure"
    );
    // status: a failed job's code is on the port before its trailer leaves
    let mut bad = good.clone();
    bad[1].0 = 0;
    let log = eng.run(&bad, 0, 0, 1, 1);
    let s = log
        .status
        .iter()
        .find(|s| s.1 == page::BAD_SHAPE)
        .expect("status port")
        .0;
    assert!(s < log.out[0].0, "status before the trailer");
    let t = page::decode(
        &eng.hw,
        5,
        2,
        &log.job_out(0)
            .iter()
            .map(|o| (o.1, o.2))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    eprintln!(
        "header error: trailer counts {} cycles; status in cycle {s}, trailer out in cycle {}",
        t.counters[0], log.out[0].0
    );
}
