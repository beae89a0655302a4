//! Accuracy benchmark of the bit-accurate model (`make bench-accuracy`).
//!
//! Prints two Markdown tables:
//! 1. the default config against f64 attention of the same dequantized int8 inputs, over head
//!    sizes, sequence lengths and input distributions, with pass/fail against the targets
//!    (normal: max <= 0.5 LSB and mean <= 0.05 LSB; others: max <= 1 LSB, no NaN, no
//!    overflow);
//! 2. one normal case under configs that change one internal width at a time from the default,
//!    to show which widths buy which error (area against accuracy).
//!
//! Errors are in LSB of V's quantization grid. Run with `--release`; about a minute on 2 cores.

use fusemax_hdl::{Config, Dist};
use fusemax_tb::quant::{dequantize, QuantJob};
use fusemax_tb::reference::{attention_f64, cascade_fixed};
use fusemax_tb::{gen, metrics, Mat};
use std::time::Instant;

/// f64 attention of the job's dequantized inputs in units of V's step (as
/// `metrics::reference_lsb`), with the queries split over the cores.
fn reference_lsb_par(job: &QuantJob) -> Mat<f64> {
    let q = dequantize(&job.q, job.steps.q);
    let k = dequantize(&job.k, job.steps.k);
    let v = job.v.map(|x| x as f64);
    let (p, f) = (q.rows, v.cols);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(p)
        .max(1);
    let chunk = p.div_ceil(threads);
    let mut out = Mat::zeros(p, f);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (lo, hi) = ((t * chunk).min(p), ((t + 1) * chunk).min(p));
                let qs = Mat::from_vec(hi - lo, q.cols, q.data[lo * q.cols..hi * q.cols].to_vec());
                let (k, v) = (&k, &v);
                s.spawn(move || (lo, attention_f64(&qs, k, v, job.scale)))
            })
            .collect();
        for h in handles {
            let (lo, part) = h.join().expect("worker");
            out.data[lo * f..lo * f + part.data.len()].copy_from_slice(&part.data);
        }
    });
    out
}

struct Outcome {
    stats: metrics::ErrorStats,
    /// Outputs whose reference lies outside the output word's range.
    overflow: usize,
    secs: f64,
}

fn evaluate(job: &QuantJob, cfg: &Config, want: &Mat<f64>) -> Outcome {
    let t = Instant::now();
    let out = cascade_fixed(job, cfg);
    let secs = t.elapsed().as_secs_f64();
    let stats = metrics::error_stats(&out, cfg.out_frac_bits, want);
    let ulp = 1.0 / (1u64 << cfg.out_frac_bits) as f64;
    let ob = cfg.derived().out_bits;
    let hi = ((1i64 << (ob - 1)) - 1) as f64 * ulp + ulp / 2.0;
    let lo = -((1i64 << (ob - 1)) as f64) * ulp - ulp / 2.0;
    let overflow = want.data.iter().filter(|&&r| r > hi || r < lo).count();
    Outcome {
        stats,
        overflow,
        secs,
    }
}

struct Case {
    dist: Dist,
    p: usize,
    m: usize,
    e: usize,
    note: &'static str,
}

fn main() {
    let t_all = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let seed = 2024;
    let cfg = Config::default();
    cfg.validate().expect("default config validates");

    println!("## Accuracy of the bit-accurate model against f64 attention\n");
    println!(
        "Default config (data_bits {}, exp_frac_bits {}, exp_degree {}, out_frac_bits {}, mul_bits {}, tile M0 = rows = {}); \
         int8 inputs quantized per tensor from seeded generated data (seed {seed}), E = F, scale 1/sqrt(E). \
         Error = |model - f64 attention of the dequantized int8 inputs| in LSB of V's grid. \
         Targets: normal max <= 0.5 and mean <= 0.05; others max <= 1, no NaN, no overflow.\n",
        cfg.data_bits, cfg.exp_frac_bits, cfg.exp_degree, cfg.out_frac_bits, cfg.mul_bits, cfg.rows
    );
    let mut cases = vec![];
    for e in [16, 32, 64, 128] {
        for pm in [256, 1024, 4096] {
            cases.push(Case {
                dist: Dist::Normal,
                p: pm,
                m: pm,
                e,
                note: "",
            });
        }
    }
    let others: [(Dist, usize, usize, &'static str); 6] = [
        (Dist::Uniform, 1024, 1024, ""),
        (Dist::Peaked, 1024, 1024, "one dominant key per query"),
        (Dist::Flat, 1024, 1024, "all scores of a query equal"),
        (Dist::Normal, 256, 1, "M = 1"),
        (Dist::Normal, 256, 4097, "ragged: 512 full tiles + 1 key"),
        (Dist::Normal, 16, 65536, "M = max_seq_kv"),
    ];
    for (dist, p, m, note) in others {
        for e in [16, 32, 64, 128] {
            cases.push(Case {
                dist,
                p,
                m,
                e,
                note,
            });
        }
    }
    println!("| dist | P | M | E=F | max err (LSB) | mean err (LSB) | rmse (LSB) | target | result | note |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|---|---|");
    let mut failures = 0;
    for c in &cases {
        let x = gen::generate(c.p, c.m, c.e, c.e, seed, c.dist);
        let job = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).expect("job");
        let t = Instant::now();
        let want = reference_lsb_par(&job);
        let t_ref = t.elapsed().as_secs_f64();
        let o = evaluate(&job, &cfg, &want);
        let s = o.stats;
        let normal_target = c.dist == Dist::Normal;
        let (target, pass) = if normal_target {
            (
                "max<=0.5, mean<=0.05",
                s.max_abs_err_lsb <= 0.5 && s.mean_abs_err_lsb <= 0.05,
            )
        } else {
            (
                "max<=1, finite, no overflow",
                s.max_abs_err_lsb <= 1.0 && s.non_finite == 0 && o.overflow == 0,
            )
        };
        let pass = pass && s.non_finite == 0 && o.overflow == 0;
        if !pass {
            failures += 1;
        }
        println!(
            "| {} | {} | {} | {} | {:.4} | {:.5} | {:.5} | {} | {} | {} |",
            c.dist,
            c.p,
            c.m,
            c.e,
            s.max_abs_err_lsb,
            s.mean_abs_err_lsb,
            s.rmse_lsb,
            target,
            if pass { "pass" } else { "FAIL" },
            c.note
        );
        eprintln!(
            "  {} P={} M={} E={}: model {:.2} s, f64 reference {:.2} s",
            c.dist, c.p, c.m, c.e, o.secs, t_ref
        );
    }

    // Table 2: one internal width at a time.
    let (p, m, e) = (256, 1024, 64);
    println!("\n## Internal widths against error (area against accuracy)\n");
    println!(
        "One normal case (P = {p}, M = {m}, E = F = {e}, seed {seed}); each row changes the \
         named parameter(s) from the default. exp_bits = width of SLN/PRM, z_frac = fraction \
         bits of the exp input, out_bits = width of an AV word, rnv_bits = width of the running \
         numerator.\n"
    );
    let x = gen::generate(p, m, e, e, seed, Dist::Normal);
    let base_job = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).expect("job");
    // The reference depends only on the quantized inputs (data_bits is not varied).
    let want = reference_lsb_par(&base_job);
    let mut variants: Vec<(String, Config)> = vec![("default".into(), cfg.clone())];
    for v in [6, 8, 10, 12, 14, 16] {
        variants.push((
            format!("exp_frac_bits = {v}"),
            Config {
                exp_frac_bits: v,
                ..Config::default()
            },
        ));
    }
    for v in 1..=6 {
        variants.push((
            format!("exp_degree = {v}"),
            Config {
                exp_degree: v,
                ..Config::default()
            },
        ));
    }
    for v in [0, 4, 8, 12] {
        variants.push((
            format!("out_frac_bits = {v}"),
            Config {
                out_frac_bits: v,
                ..Config::default()
            },
        ));
    }
    for v in [14, 18, 24] {
        variants.push((
            format!("mul_bits = {v}"),
            Config {
                mul_bits: v,
                ..Config::default()
            },
        ));
    }
    // Two smaller datapaths that do validate.
    variants.push((
        "mul_bits = 14, exp_frac_bits = 12".into(),
        Config {
            mul_bits: 14,
            exp_frac_bits: 12,
            ..Config::default()
        },
    ));
    variants.push((
        "mul_bits = 12, exp_frac_bits = 10, exp_degree = 2".into(),
        Config {
            mul_bits: 12,
            exp_frac_bits: 10,
            exp_degree: 2,
            ..Config::default()
        },
    ));
    println!("| config | exp_bits | z_frac | out_bits | rnv_bits | max err (LSB) | mean err (LSB) | rmse (LSB) | normal target |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut skipped = vec![];
    for (name, c) in &variants {
        if let Err(err) = c.validate() {
            skipped.push(format!("{name}: invalid config: {err}"));
            continue;
        }
        let job = match QuantJob::from_int(
            base_job.q.clone(),
            base_job.k.clone(),
            base_job.v.clone(),
            base_job.steps,
            None,
            c,
        ) {
            Ok(j) => j,
            Err(err) => {
                skipped.push(format!("{name}: {err}"));
                continue;
            }
        };
        let d = c.derived();
        let o = evaluate(&job, c, &want);
        let s = o.stats;
        let pass = s.max_abs_err_lsb <= 0.5
            && s.mean_abs_err_lsb <= 0.05
            && s.non_finite == 0
            && o.overflow == 0;
        println!(
            "| {name} | {} | {} | {} | {} | {:.4} | {:.5} | {:.5} | {} |",
            d.exp_bits,
            d.z_frac_bits,
            d.out_bits,
            d.rnv_bits,
            s.max_abs_err_lsb,
            s.mean_abs_err_lsb,
            s.rmse_lsb,
            if pass { "pass" } else { "fail" }
        );
    }
    if !skipped.is_empty() {
        println!("\nSkipped (do not validate):\n");
        for s in &skipped {
            println!("- {s}");
        }
    }
    println!(
        "\nTotal time {:.1} s on {cores} core(s); {} of {} accuracy cases failed their target.",
        t_all.elapsed().as_secs_f64(),
        failures,
        cases.len()
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
