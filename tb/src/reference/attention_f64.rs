//! Plain `softmax(Q K^T * scale) V` in f64: the ground truth.

use crate::mat::Mat;

/// Attention of Q [P, E], K [M, E], V [M, F]; returns [P, F]. Numerically stable (max
/// subtracted) and exact to f64 rounding.
pub fn attention_f64(q: &Mat<f64>, k: &Mat<f64>, v: &Mat<f64>, scale: f64) -> Mat<f64> {
    let (p, m, f) = (q.rows, k.rows, v.cols);
    let mut out = Mat::zeros(p, f);
    let mut s = vec![0f64; m];
    for i in 0..p {
        let qi = q.row(i);
        for (j, sj) in s.iter_mut().enumerate() {
            *sj = scale * qi.iter().zip(k.row(j)).map(|(a, b)| a * b).sum::<f64>();
        }
        let mx = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut den = 0.0;
        let mut acc = vec![0f64; f];
        for (j, &sj) in s.iter().enumerate() {
            let w = (sj - mx).exp();
            den += w;
            for (a, &vv) in acc.iter_mut().zip(v.row(j)) {
                *a += w * vv;
            }
        }
        for (c, a) in acc.iter().enumerate() {
            out.set(i, c, a / den);
        }
    }
    out
}
