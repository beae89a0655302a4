//! The software reference against itself: the f64 cascade equals plain attention for every
//! tiling, and the bit-accurate model stays within its error targets, fits the derived widths,
//! and is deterministic and independent of which queries run together.

use fusemax_hdl::{Config, Dist, Numerics};
use fusemax_tb::quant::QuantJob;
use fusemax_tb::reference::{attention_f64, cascade_f64, cascade_fixed, FixedCascade};
use fusemax_tb::{gen, metrics, Mat};

const DISTS: [Dist; 4] = [Dist::Normal, Dist::Uniform, Dist::Peaked, Dist::Flat];

fn max_abs(m: &Mat<f64>) -> f64 {
    m.data.iter().fold(0f64, |a, &b| a.max(b.abs()))
}

#[test]
fn cascade_f64_equals_attention_for_every_tiling() {
    // (P, M, E, F): ragged M (not a multiple of most tiles), M = 1, P = 1, M below the tile.
    let shapes = [
        (1, 1, 1, 1),
        (1, 1, 8, 3),
        (3, 1, 4, 4),
        (1, 17, 8, 5),
        (4, 7, 16, 16),
        (5, 23, 8, 12),
        (2, 64, 32, 8),
        (3, 100, 16, 16),
    ];
    let mut checked = 0;
    for (i, &(p, m, e, f)) in shapes.iter().enumerate() {
        for dist in DISTS {
            let x = gen::generate(p, m, e, f, 100 + i as u64, dist);
            let scale = 1.0 / (e as f64).sqrt();
            let want = attention_f64(&x.q, &x.k, &x.v, scale);
            let tol = 1e-12 * max_abs(&want).max(f64::MIN_POSITIVE);
            for m0 in 1..=9 {
                let got = cascade_f64(&x.q, &x.k, &x.v, scale, m0);
                assert_eq!((got.rows, got.cols), (p, f));
                for (a, b) in got.data.iter().zip(&want.data) {
                    assert!(
                        (a - b).abs() <= tol,
                        "P={p} M={m} E={e} F={f} {dist} m0={m0}: {a} vs {b}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, shapes.len() * 4 * 9);
}

#[test]
fn cascade_f64_handles_large_score_ranges() {
    // Scores far apart (scale 10): exp underflows to 0 for most keys; no NaN, still equal.
    let x = gen::generate(4, 50, 16, 8, 9, Dist::Normal);
    let want = attention_f64(&x.q, &x.k, &x.v, 10.0);
    for m0 in [1, 3, 8] {
        let got = cascade_f64(&x.q, &x.k, &x.v, 10.0, m0);
        let tol = 1e-12 * max_abs(&want);
        for (a, b) in got.data.iter().zip(&want.data) {
            assert!(a.is_finite() && (a - b).abs() <= tol, "{a} vs {b}");
        }
    }
}

/// Runs the fixed model over a job, checks every intermediate against the hardware widths of
/// the config (no overflow anywhere), and returns AV and its error statistics.
fn run_checked(job: &QuantJob, cfg: &Config) -> (Mat<i64>, metrics::ErrorStats) {
    let d = cfg.derived();
    let n = Numerics::new(cfg);
    let fits_s = |v: i128, bits: u32| v >= -(1i128 << (bits - 1)) && v < (1i128 << (bits - 1));
    let model = FixedCascade::new(job, cfg);
    let (p, _, _, f) = job.shape();
    let mut out = Mat::zeros(p, f);
    for i in 0..p {
        let row = model.run_query(i, |t| {
            for &s in &t.scores {
                assert!(fits_s(s as i128, d.score_bits), "score {s}");
            }
            assert!(t.prm <= n.one() && t.sln.iter().all(|&x| x <= n.one()));
            assert!(fits_s(t.sld as i128, d.psum_bits), "SLD {}", t.sld);
            for &x in &t.slnv {
                assert!(fits_s(x as i128, d.psum_bits), "SLNV {x}");
            }
            assert!(t.rd < (1u128 << d.rd_bits), "RD {}", t.rd);
            // The running max holds at least one key with exp = 1.0, so RD >= 1.0.
            assert!(t.rd >= n.one() as u128, "RD {} below 1.0", t.rd);
            for &x in &t.rnv {
                assert!(fits_s(x, d.rnv_bits), "RNV {x}");
            }
        });
        for (c, v) in row.into_iter().enumerate() {
            out.set(i, c, v);
        }
    }
    // AV is a weighted mean of V, so the reference always lies inside the output range
    // (|AV| <= 2^(data_bits-1)): saturation would show up as a large error below.
    let stats = metrics::error_stats(&out, cfg.out_frac_bits, &metrics::reference_lsb(job));
    assert_eq!(stats.non_finite, 0);
    (out, stats)
}

fn job(p: usize, m: usize, e: usize, f: usize, seed: u64, dist: Dist, cfg: &Config) -> QuantJob {
    let x = gen::generate(p, m, e, f, seed, dist);
    QuantJob::from_real(&x.q, &x.k, &x.v, None, cfg).unwrap()
}

#[test]
fn fixed_model_meets_the_normal_targets() {
    let cfg = Config::default();
    for (i, &(p, m, e, f)) in [(8, 64, 64, 64), (16, 200, 32, 16), (4, 256, 128, 128)]
        .iter()
        .enumerate()
    {
        let j = job(p, m, e, f, 7 + i as u64, Dist::Normal, &cfg);
        let (_, s) = run_checked(&j, &cfg);
        assert!(
            s.max_abs_err_lsb <= 0.5 && s.mean_abs_err_lsb <= 0.05,
            "normal P={p} M={m} E={e}: {s:?}"
        );
        assert_eq!(cascade_fixed(&j, &cfg), run_checked(&j, &cfg).0);
    }
}

#[test]
fn fixed_model_edge_cases_stay_within_one_lsb() {
    let cfg = Config::default();
    let cases = [
        ("peaked", 8, 100, 64, 32, Dist::Peaked),
        ("flat", 8, 100, 64, 32, Dist::Flat),
        ("uniform", 8, 100, 64, 32, Dist::Uniform),
        ("M=1", 8, 1, 64, 64, Dist::Normal),
        ("M=1 peaked", 3, 1, 16, 8, Dist::Peaked),
        ("P=1", 1, 40, 32, 32, Dist::Normal),
        ("ragged", 8, 8 * 12 + 5, 32, 16, Dist::Normal),
        ("ragged flat", 4, 8 * 3 + 1, 16, 16, Dist::Flat),
        ("E=F=1", 5, 33, 1, 1, Dist::Normal),
    ];
    for (name, p, m, e, f, dist) in cases {
        let (_, s) = run_checked(&job(p, m, e, f, 3, dist, &cfg), &cfg);
        assert!(s.max_abs_err_lsb <= 1.0, "{name}: {s:?}");
    }
}

#[test]
fn fixed_model_every_tile_size_and_extreme_inputs() {
    for rows in 1..=9 {
        let cfg = Config {
            rows,
            ..Config::default()
        };
        let (_, s) = run_checked(&job(4, 37, 16, 8, rows as u64, Dist::Normal, &cfg), &cfg);
        assert!(
            s.max_abs_err_lsb <= 0.5 && s.mean_abs_err_lsb <= 0.05,
            "rows {rows}: {s:?}"
        );
    }
    // Full-scale integers at the largest head size: the widest scores, sums and outputs.
    let cfg = Config::default();
    let st = fusemax_tb::quant::Steps {
        q: 1.0 / 127.0,
        k: 1.0 / 127.0,
        v: 1.0,
    };
    for (qv, kv, vv) in [(127, 127, 127), (-128, 127, -128), (-128, -128, 127)] {
        let (p, m, e) = (2, 21, 128);
        let q = Mat::from_vec(p, e, vec![qv; p * e]);
        let k = Mat::from_vec(m, e, vec![kv; m * e]);
        let v = Mat::from_vec(m, 4, vec![vv; m * 4]);
        let j = QuantJob::from_int(q, k, v, st, None, &cfg).unwrap();
        let (out, s) = run_checked(&j, &cfg);
        assert!(s.max_abs_err_lsb <= 1.0, "{qv} {kv} {vv}: {s:?}");
        // All keys equal: AV = V exactly.
        assert!(out.data.iter().all(|&w| w == vv as i64 * 256), "{out:?}");
    }
}

#[test]
fn fixed_model_is_deterministic() {
    let cfg = Config::default();
    let j = job(37, 90, 32, 24, 5, Dist::Normal, &cfg);
    let a = cascade_fixed(&j, &cfg);
    let b = cascade_fixed(&j, &cfg);
    assert_eq!(a, b);
    // Same seed, same generated job, same output.
    let j2 = job(37, 90, 32, 24, 5, Dist::Normal, &cfg);
    assert_eq!(a, cascade_fixed(&j2, &cfg));
}

#[test]
fn fixed_model_rows_do_not_depend_on_the_other_queries() {
    let cfg = Config::default();
    let full = job(20, 75, 32, 16, 21, Dist::Normal, &cfg);
    let all = cascade_fixed(&full, &cfg);
    // A permuted subset of the queries, with the same steps and scale.
    let pick = [13usize, 0, 7, 19, 7, 2];
    let mut q = Mat::zeros(pick.len(), full.q.cols);
    for (r, &i) in pick.iter().enumerate() {
        for c in 0..full.q.cols {
            q.set(r, c, full.q.at(i, c));
        }
    }
    let sub = QuantJob::from_int(
        q,
        full.k.clone(),
        full.v.clone(),
        full.steps,
        Some(full.scale),
        &cfg,
    )
    .unwrap();
    assert_eq!(sub.scale_const, full.scale_const);
    let part = cascade_fixed(&sub, &cfg);
    for (r, &i) in pick.iter().enumerate() {
        assert_eq!(part.row(r), all.row(i), "query {i}");
    }
}
