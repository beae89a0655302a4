//! Errors of the fixed-point output against f64 attention, in LSBs of V's quantization grid.

use crate::mat::Mat;
use crate::quant::{dequantize, QuantJob};
use crate::reference::attention_f64;
use serde::Serialize;

/// Error statistics of an output against the reference, in LSB (one step of V's grid).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ErrorStats {
    pub max_abs_err_lsb: f64,
    pub mean_abs_err_lsb: f64,
    pub rmse_lsb: f64,
    /// Number of compared values.
    pub count: usize,
    /// Non-finite outputs (must be 0).
    pub non_finite: usize,
}

/// Words of `out` that differ from `expect`, position by position (over the shorter of the two).
pub fn mismatches(out: &[i64], expect: &[i64]) -> usize {
    out.iter().zip(expect).filter(|(a, b)| a != b).count()
}

/// f64 attention of the job's integer inputs (dequantized), in units of V's step: the reference
/// that excludes the error of quantizing the inputs themselves.
pub fn reference_lsb(job: &QuantJob) -> Mat<f64> {
    let q = dequantize(&job.q, job.steps.q);
    let k = dequantize(&job.k, job.steps.k);
    let v = job.v.map(|x| x as f64);
    attention_f64(&q, &k, &v, job.scale)
}

/// Compares hardware output words (AV * 2^out_frac) with the f64 reference in LSB units.
pub fn error_stats(out: &Mat<i64>, out_frac_bits: u32, reference: &Mat<f64>) -> ErrorStats {
    assert_eq!((out.rows, out.cols), (reference.rows, reference.cols));
    let scale = (1u64 << out_frac_bits) as f64;
    let mut max: f64 = 0.0;
    let mut sum = 0.0;
    let mut sq = 0.0;
    let mut non_finite = 0;
    for (&o, &r) in out.data.iter().zip(&reference.data) {
        if !r.is_finite() {
            non_finite += 1;
            continue;
        }
        let e = (o as f64 / scale - r).abs();
        max = max.max(e);
        sum += e;
        sq += e * e;
    }
    let n = out.data.len().max(1) as f64;
    ErrorStats {
        max_abs_err_lsb: max,
        mean_abs_err_lsb: sum / n,
        rmse_lsb: (sq / n).sqrt(),
        count: out.data.len(),
        non_finite,
    }
}
