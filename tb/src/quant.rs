//! Symmetric per-tensor quantization of real Q, K, V to `data_bits` integers, the score-scale
//! constant folded into the hardware's fixed-point [`ScaleConst`], and dequantization of AV.

use crate::mat::Mat;
use fusemax_hdl::{Config, Numerics, ScaleConst};
use serde::Serialize;

/// An attention job in the integer form the hardware takes.
#[derive(Clone, Debug)]
pub struct QuantJob {
    /// Q as integers, [P, E].
    pub q: Mat<i32>,
    /// K as integers, [M, E].
    pub k: Mat<i32>,
    /// V as integers, [M, F].
    pub v: Mat<i32>,
    /// Real value of one integer step of Q, K, V.
    pub steps: Steps,
    /// The score scale (default 1/sqrt(E)), applied to real Q.K.
    pub scale: f64,
    /// The hardware constant for scale * step_q * step_k * log2(e).
    pub scale_const: ScaleConst,
}

/// Quantization steps (real value of one integer unit) of Q, K, V.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Steps {
    pub q: f64,
    pub k: f64,
    pub v: f64,
}

/// The step that maps the largest |x| to the largest symmetric integer 2^(bits-1) - 1
/// (1.0 for an all-zero tensor).
pub fn symmetric_step(x: &Mat<f64>, bits: u32) -> f64 {
    let amax = x.data.iter().fold(0f64, |a, &b| a.max(b.abs()));
    let qmax = ((1i64 << (bits - 1)) - 1) as f64;
    if amax > 0.0 {
        amax / qmax
    } else {
        1.0
    }
}

/// Rounds x / step to the nearest integer in [-(2^(bits-1) - 1), 2^(bits-1) - 1].
pub fn quantize(x: &Mat<f64>, step: f64, bits: u32) -> Mat<i32> {
    let qmax = ((1i64 << (bits - 1)) - 1) as f64;
    x.map(|v| (v / step).round().clamp(-qmax, qmax) as i32)
}

/// Integer tensor back to real values.
pub fn dequantize(x: &Mat<i32>, step: f64) -> Mat<f64> {
    x.map(|v| v as f64 * step)
}

impl QuantJob {
    /// Quantizes real inputs per tensor; `scale` None means 1/sqrt(E).
    pub fn from_real(
        q: &Mat<f64>,
        k: &Mat<f64>,
        v: &Mat<f64>,
        scale: Option<f64>,
        cfg: &Config,
    ) -> Result<QuantJob, String> {
        let b = cfg.data_bits;
        let steps = Steps {
            q: symmetric_step(q, b),
            k: symmetric_step(k, b),
            v: symmetric_step(v, b),
        };
        Self::from_int(
            quantize(q, steps.q, b),
            quantize(k, steps.k, b),
            quantize(v, steps.v, b),
            steps,
            scale,
            cfg,
        )
    }

    /// Builds a job from integer tensors with known steps; checks shapes, ranges and limits.
    pub fn from_int(
        q: Mat<i32>,
        k: Mat<i32>,
        v: Mat<i32>,
        steps: Steps,
        scale: Option<f64>,
        cfg: &Config,
    ) -> Result<QuantJob, String> {
        check_shapes(q.rows, q.cols, k.rows, k.cols, v.rows, v.cols, cfg)?;
        let lo = -(1i32 << (cfg.data_bits - 1));
        let hi = (1i32 << (cfg.data_bits - 1)) - 1;
        for (name, m) in [("Q", &q), ("K", &k), ("V", &v)] {
            if let Some(x) = m.data.iter().find(|&&x| x < lo || x > hi) {
                return Err(format!(
                    "{name} holds {x}, outside the {}-bit range [{lo}, {hi}]",
                    cfg.data_bits
                ));
            }
        }
        for (name, s) in [("Q", steps.q), ("K", steps.k), ("V", steps.v)] {
            if !(s.is_finite() && s > 0.0) {
                return Err(format!(
                    "quantization step of {name} must be finite and > 0, got {s}"
                ));
            }
        }
        let scale = scale.unwrap_or(1.0 / (q.cols as f64).sqrt());
        if !(scale.is_finite() && scale > 0.0) {
            return Err(format!("scale must be a finite number > 0, got {scale}"));
        }
        let c = scale * steps.q * steps.k * std::f64::consts::LOG2_E;
        let scale_const = ScaleConst::from_real(c, &Numerics::new(cfg))?;
        Ok(QuantJob {
            q,
            k,
            v,
            steps,
            scale,
            scale_const,
        })
    }

    /// P, M, E, F.
    pub fn shape(&self) -> (usize, usize, usize, usize) {
        (self.q.rows, self.k.rows, self.q.cols, self.v.cols)
    }

    /// The job in the stream encoder's form (`fusemax_hdl::stream::encode`).
    pub fn job_data(&self) -> fusemax_hdl::stream::JobData<'_> {
        let (p, m, e, f) = self.shape();
        fusemax_hdl::stream::JobData {
            p,
            m,
            e,
            f,
            q: &self.q.data,
            k: &self.k.data,
            v: &self.v.data,
            scale: self.scale_const,
        }
    }

    /// The real score multiplier applied to the integer dot product Q_int . K_int.
    pub fn score_factor(&self) -> f64 {
        self.scale * self.steps.q * self.steps.k
    }
}

/// Checks Q [P, E], K [M, E], V [M, F] against each other and the hardware limits.
pub fn check_shapes(
    p: usize,
    eq: usize,
    m: usize,
    ek: usize,
    mv: usize,
    f: usize,
    cfg: &Config,
) -> Result<(), String> {
    if eq != ek {
        return Err(format!(
            "Q has head size E = {eq} but K has E = {ek}: they must match"
        ));
    }
    if m != mv {
        return Err(format!(
            "K has M = {m} rows but V has {mv}: they must match"
        ));
    }
    if p == 0 {
        return Err("Q has P = 0 queries: P must be at least 1".into());
    }
    if m == 0 {
        return Err("K has M = 0 keys: M must be at least 1".into());
    }
    if eq == 0 || f == 0 {
        return Err(format!("head sizes must be at least 1 (E = {eq}, F = {f})"));
    }
    if m > cfg.max_seq_kv {
        return Err(format!(
            "M = {m} exceeds max_seq_kv = {} of this config",
            cfg.max_seq_kv
        ));
    }
    if p > cfg.max_seq_q {
        return Err(format!(
            "P = {p} exceeds max_seq_q = {} of this config",
            cfg.max_seq_q
        ));
    }
    if eq > cfg.max_e {
        return Err(format!(
            "E = {eq} exceeds max_e = {} of this config",
            cfg.max_e
        ));
    }
    if f > cfg.max_f {
        return Err(format!(
            "F = {f} exceeds max_f = {} of this config",
            cfg.max_f
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantization_round_trip_within_half_step() {
        let x = Mat::from_vec(2, 3, vec![0.5, -1.25, 3.0, 0.0, 2.999, -3.0]);
        let s = symmetric_step(&x, 8);
        assert!((s - 3.0 / 127.0).abs() < 1e-15);
        let qx = quantize(&x, s, 8);
        assert_eq!(qx.at(0, 2), 127);
        assert_eq!(qx.at(1, 2), -127);
        let back = dequantize(&qx, s);
        for (a, b) in x.data.iter().zip(&back.data) {
            assert!((a - b).abs() <= s / 2.0 + 1e-12);
        }
        let z = Mat::from_vec(1, 2, vec![0.0, 0.0]);
        assert_eq!(symmetric_step(&z, 8), 1.0);
    }

    #[test]
    fn shape_errors_name_the_problem() {
        let c = Config::default();
        assert!(check_shapes(4, 8, 4, 7, 4, 8, &c)
            .unwrap_err()
            .contains("E = 8"));
        assert!(check_shapes(4, 8, 4, 8, 5, 8, &c)
            .unwrap_err()
            .contains("V has 5"));
        assert!(check_shapes(0, 8, 4, 8, 4, 8, &c)
            .unwrap_err()
            .contains("P = 0"));
        assert!(check_shapes(4, 8, 0, 8, 0, 8, &c)
            .unwrap_err()
            .contains("M = 0"));
        assert!(check_shapes(4, 8, 70000, 8, 70000, 8, &c)
            .unwrap_err()
            .contains("max_seq_kv"));
        assert!(check_shapes(4, 200, 4, 200, 4, 8, &c)
            .unwrap_err()
            .contains("max_e"));
        assert!(check_shapes(4, 8, 4, 8, 4, 8, &c).is_ok());
    }

    #[test]
    fn out_of_range_integers_and_bad_scale_rejected() {
        let c = Config::default();
        let q = Mat::from_vec(1, 1, vec![200]);
        let k = Mat::from_vec(1, 1, vec![1]);
        let v = Mat::from_vec(1, 1, vec![1]);
        let st = Steps {
            q: 1.0,
            k: 1.0,
            v: 1.0,
        };
        assert!(QuantJob::from_int(q, k.clone(), v.clone(), st, None, &c)
            .unwrap_err()
            .contains("outside"));
        let q = Mat::from_vec(1, 1, vec![1]);
        assert!(
            QuantJob::from_int(q.clone(), k.clone(), v.clone(), st, Some(f64::INFINITY), &c)
                .is_err()
        );
        assert!(QuantJob::from_int(q, k, v, st, Some(-1.0), &c).is_err());
    }
}
