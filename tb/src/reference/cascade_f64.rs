//! FuseMax's 1-pass cascade (Einsums 44-55 of the paper) in f64, tiled by M0 keys.

use crate::mat::Mat;

/// The 1-pass cascade with key tiles of `m0` rows: running max RM, correction PRM, running
/// denominator RD and numerator RNV, one division per output. Equals `attention_f64` to f64
/// rounding for any tiling, ragged last tile included.
pub fn cascade_f64(q: &Mat<f64>, k: &Mat<f64>, v: &Mat<f64>, scale: f64, m0: usize) -> Mat<f64> {
    assert!(m0 >= 1);
    let (p, m, f) = (q.rows, k.rows, v.cols);
    let mut out = Mat::zeros(p, f);
    for i in 0..p {
        let qi = q.row(i);
        let mut rm = f64::NEG_INFINITY;
        let mut rd = 0.0;
        let mut rnv = vec![0f64; f];
        for t0 in (0..m).step_by(m0) {
            let t1 = (t0 + m0).min(m);
            let bqk: Vec<f64> = (t0..t1)
                .map(|j| scale * qi.iter().zip(k.row(j)).map(|(a, b)| a * b).sum::<f64>())
                .collect();
            let lm = bqk.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let rm_new = rm.max(lm);
            let sln: Vec<f64> = bqk.iter().map(|s| (s - rm_new).exp()).collect();
            let sld: f64 = sln.iter().sum();
            let prm = (rm - rm_new).exp(); // exp(-inf) = 0 on the first tile
            rd = sld + rd * prm;
            for (c, r) in rnv.iter_mut().enumerate() {
                let slnv: f64 = sln
                    .iter()
                    .enumerate()
                    .map(|(jj, w)| w * v.at(t0 + jj, c))
                    .sum();
                *r = slnv + *r * prm;
            }
            rm = rm_new;
        }
        for (c, r) in rnv.iter().enumerate() {
            out.set(i, c, r / rd);
        }
    }
    out
}
