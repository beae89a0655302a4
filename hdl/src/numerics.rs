//! The arithmetic of the hardware, as plain integer functions.
//!
//! This module is the one place where the rounding, widths and constants of the datapath are
//! defined. The bit-accurate model (`tb::reference::cascade_fixed`) and the `update()` models of
//! the RTL leaves both call these functions, and the Verilog text of each leaf implements the
//! same formulas; the leaf tests compare all three. `docs/numerics.md` explains the choices.
//!
//! Value formats (F_x = `exp_frac_bits`, F_z = `z_frac_bits`, F_o = `out_frac_bits`):
//! - scores S, running max RM: signed integers (sums of Q*K products);
//! - z: unsigned, F_z fractions, the exp input in log2 units (exp(x) = 2^-z);
//! - SLN, PRM: unsigned, F_x fractions, in [0, 1] (1.0 is exact);
//! - RD, RNV, SLD, SLNV: F_x fractions; AV: signed, F_o fractions, in units of V's step.

use crate::config::{Config, Derived};

/// The numeric constants of a config, gathered for the arithmetic functions.
#[derive(Clone, Debug, PartialEq)]
pub struct Numerics {
    pub exp_frac: u32,
    pub z_frac: u32,
    pub z_sat: u64,
    pub mant_bits: u32,
    pub scale_left: u32,
    pub scale_shift_bits: u32,
    pub z_window: u32,
    pub coeffs: Vec<i64>,
    pub out_frac: u32,
    pub out_bits: u32,
    pub data_bits: u32,
}

impl Numerics {
    pub fn new(cfg: &Config) -> Numerics {
        Self::from_derived(cfg, &cfg.derived())
    }

    pub fn from_derived(cfg: &Config, d: &Derived) -> Numerics {
        Numerics {
            exp_frac: cfg.exp_frac_bits,
            z_frac: d.z_frac_bits,
            z_sat: d.z_sat,
            mant_bits: d.scale_mant_bits,
            scale_left: d.scale_left,
            scale_shift_bits: d.scale_shift_bits,
            z_window: d.z_window,
            coeffs: d.exp_coeffs.clone(),
            out_frac: cfg.out_frac_bits,
            out_bits: d.out_bits,
            data_bits: cfg.data_bits,
        }
    }

    /// 1.0 in the exp format.
    pub fn one(&self) -> u64 {
        1u64 << self.exp_frac
    }
}

/// The score-scale constant c (base-2 units per score step) as the hardware holds it:
/// c = mant * 2^(scale_left - shift - z_window - z_frac).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScaleConst {
    /// Mantissa, `mant_bits` wide, normalized (top bit set).
    pub mant: u64,
    /// Right shift of the pre-scaled difference, `scale_shift_bits` wide.
    pub shift: u32,
}

impl ScaleConst {
    /// Encodes a real scale constant c > 0 (already including log2(e) and the quantization
    /// scales). Fails with a message when c is outside the range the hardware can represent.
    pub fn from_real(c: f64, n: &Numerics) -> Result<ScaleConst, String> {
        if !c.is_finite() || c <= 0.0 {
            return Err(format!("score scale constant {c} must be finite and > 0"));
        }
        let mb = n.mant_bits as i32;
        let mut e = c.log2().floor() as i32;
        // c = m * 2^(e - mb + 1), m in [2^(mb-1), 2^mb)
        let mut m = (c * 2f64.powi(mb - 1 - e)).round();
        if m >= 2f64.powi(mb) {
            m /= 2.0;
            e += 1;
        }
        if m < 2f64.powi(mb - 1) {
            m = 2f64.powi(mb - 1);
        }
        // 2^(left - shift - window - zfrac) = 2^(e - mb + 1)
        let shift = n.scale_left as i32 - n.z_window as i32 - n.z_frac as i32 - e + mb - 1;
        let max_shift = (1i32 << n.scale_shift_bits) - 1;
        if shift < 0 || shift > max_shift {
            let lo = Self::range_real(n).0;
            let hi = Self::range_real(n).1;
            return Err(format!(
                "score scale constant {c:.3e} (scale x quantization steps x log2 e) is outside the range the hardware represents, [{lo:.3e}, {hi:.3e})"
            ));
        }
        Ok(ScaleConst {
            mant: m as u64,
            shift: shift as u32,
        })
    }

    /// The smallest and (exclusive) largest c the hardware represents.
    pub fn range_real(n: &Numerics) -> (f64, f64) {
        let mb = n.mant_bits as i32;
        let base = n.scale_left as i32 - n.z_window as i32 - n.z_frac as i32 + mb - 1;
        let max_shift = (1i32 << n.scale_shift_bits) - 1;
        // e = base - shift; c in [2^e, 2^(e+1))
        (2f64.powi(base - max_shift), 2f64.powi(base + 1))
    }

    /// The real value represented.
    pub fn value(&self, n: &Numerics) -> f64 {
        self.mant as f64
            * 2f64
                .powi(n.scale_left as i32 - self.shift as i32 - n.z_window as i32 - n.z_frac as i32)
    }
}

/// Step 1 of exp, on the subtractor and shifter: Dn = sat(round(D * 2^(left - shift))) to
/// `mant_bits` unsigned bits, where D = RM - S >= 0. Rounding is half up.
pub fn prescale(d: u128, sc: ScaleConst, n: &Numerics) -> u64 {
    let (lo, ovf) = prescale_shift(d, sc.shift, n);
    prescale_round(lo, ovf, n)
}

/// The shift of [`prescale`]: w = D * 2^(left + 1 - shift) as its low `mant_bits + 1` bits and
/// whether any higher bit is set. The hardware does it in two clock stages:
/// [`prescale_coarse`] then [`prescale_fine`].
pub fn prescale_shift(d: u128, shift: u32, n: &Numerics) -> (u64, bool) {
    prescale_fine(prescale_coarse(d, shift, n), shift, n)
}

/// D * 2^(left + 1) shifted right by the multiple of 4 in `shift`.
pub fn prescale_coarse(d: u128, shift: u32, n: &Numerics) -> u128 {
    (d << (n.scale_left + 1)) >> (shift & !3)
}

/// The rest of the shift (`shift` mod 4) of a [`prescale_coarse`] value, split as in
/// [`prescale_shift`].
pub fn prescale_fine(pre: u128, shift: u32, n: &Numerics) -> (u64, bool) {
    let w = pre >> (shift & 3);
    let lo = w & ((1u128 << (n.mant_bits + 1)) - 1);
    (lo as u64, w >> (n.mant_bits + 1) != 0)
}

/// The second half of [`prescale`]: round(w / 2) saturated to `mant_bits`; it saturates
/// exactly when w >= 2^(mant_bits + 1) - 1.
pub fn prescale_round(lo: u64, ovf: bool, n: &Numerics) -> u64 {
    let all = (1u64 << (n.mant_bits + 1)) - 1;
    if ovf || lo == all {
        (1u64 << n.mant_bits) - 1
    } else {
        (lo + 1) >> 1
    }
}

/// Step 2 of exp, on the multiplier: z = min(round(Dn * mant / 2^z_window), z_sat).
pub fn z_of(dn: u64, sc: ScaleConst, n: &Numerics) -> u64 {
    z_round(dn as u128 * sc.mant as u128, n)
}

/// The rounding and saturation of step 2: z = min(round(prod / 2^z_window), z_sat).
pub fn z_round(prod: u128, n: &Numerics) -> u64 {
    let z = (prod + (1u128 << (n.z_window - 1))) >> n.z_window;
    z.min(n.z_sat as u128) as u64
}

/// One Horner step on the multiplier: p' = round(p * f / 2^z_frac) + a (f < 2^z_frac).
pub fn horner_step(p: i64, f: u64, a: i64, n: &Numerics) -> i64 {
    horner_round(p as i128 * f as i128, n) + a
}

/// The rounding of a Horner product: round(prod / 2^z_frac), half up.
pub fn horner_round(prod: i128, n: &Numerics) -> i64 {
    ((prod + (1i128 << (n.z_frac - 1))) >> n.z_frac) as i64
}

/// Final step of exp: clamp the polynomial to [0, 1] and shift by the integer part n with
/// rounding half up: SLN = round(clamp(p) / 2^int).
pub fn exp_finish(p: i64, int: u32, n: &Numerics) -> u64 {
    exp_round(exp_shift(p, int, n))
}

/// The first half of [`exp_finish`]: p clamped to [0, 1], times 2, shifted right by `int`
/// (F_x + 1 fraction bits, F_x + 2 bits wide).
pub fn exp_shift(p: i64, int: u32, n: &Numerics) -> u64 {
    let p = p.clamp(0, n.one() as i64) as u64;
    (p << 1) >> int.min(63)
}

/// The second half of [`exp_finish`]: an [`exp_shift`] value rounded to F_x fraction bits.
pub fn exp_round(wide: u64) -> u64 {
    (wide + 1) >> 1
}

/// 2^-z for z in [0, z_sat] (F_z fractions in, F_x fractions out): the full sequence of
/// [`horner_step`]s and [`exp_finish`].
pub fn exp2neg(z: u64, n: &Numerics) -> u64 {
    let int = (z >> n.z_frac) as u32;
    let f = z & ((1u64 << n.z_frac) - 1);
    let d = n.coeffs.len() - 1;
    let mut p = n.coeffs[d];
    for k in (0..d).rev() {
        p = horner_step(p, f, n.coeffs[k], n);
    }
    exp_finish(p, int, n)
}

/// exp(-D * c) in the exp format, for D = RM - S >= 0: prescale, z, polynomial, shift.
pub fn exp_of_diff(d: u128, sc: ScaleConst, n: &Numerics) -> u64 {
    exp2neg(z_of(prescale(d, sc, n), sc, n), n)
}

/// Rescales a running sum by PRM: round(x * prm / 2^F_x), rounding half up (exact when
/// prm = 1.0).
pub fn rescale(x: i128, prm: u64, n: &Numerics) -> i128 {
    rescale_round(x * prm as i128, n)
}

/// The rounding of a rescale product: round(prod / 2^F_x), half up.
pub fn rescale_round(prod: i128, n: &Numerics) -> i128 {
    (prod + (1i128 << (n.exp_frac - 1))) >> n.exp_frac
}

/// The final division AV = RNV / RD with F_o output fractions, rounded half away from zero and
/// saturated to `out_bits` signed bits. RD = 0 (unreachable for M >= 1) gives 0.
pub fn divide(rnv: i128, rd: u128, n: &Numerics) -> i64 {
    if rd == 0 {
        return 0;
    }
    let mag = rnv.unsigned_abs() << n.out_frac;
    let q = (2 * mag + rd) / (2 * rd);
    let max_pos = (1u128 << (n.out_bits - 1)) - 1;
    let max_neg = 1u128 << (n.out_bits - 1);
    if rnv >= 0 {
        q.min(max_pos) as i64
    } else {
        -(q.min(max_neg) as i64)
    }
}

/// Fits the coefficients a_0..a_degree of p(f) ~ 2^-f on [0, 1) with a_0 = 1 exactly, as
/// signed integers with `exp_frac` fractions: weighted least squares for relative error at
/// Chebyshev nodes, rounded, then a small search that minimizes the bit-exact maximum error of
/// [`exp2neg`]'s polynomial over every f. Deterministic, so each fit is made once per process
/// (`Config::derived` asks for it wherever a block reads its widths).
pub fn fit_exp2_coeffs(degree: u32, exp_frac: u32, z_frac: u32) -> Vec<i64> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FITS: OnceLock<Mutex<HashMap<(u32, u32, u32), Vec<i64>>>> = OnceLock::new();
    let fits = FITS.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (degree, exp_frac, z_frac);
    if let Some(c) = fits.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return c.clone();
    }
    let c = fit(degree, exp_frac, z_frac);
    fits.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, c.clone());
    c
}

fn fit(degree: u32, exp_frac: u32, z_frac: u32) -> Vec<i64> {
    let d = degree as usize;
    let nodes = 256;
    let pts: Vec<f64> = (0..nodes)
        .map(|i| {
            0.5 * (((2 * i + 1) as f64 * std::f64::consts::PI / (2 * nodes) as f64).cos() + 1.0)
        })
        .collect();
    // Unknowns a_1..a_d; model p(f) = 1 + sum a_k f^k; weighted least squares on the relative
    // error, with Lawson's reweighting towards the minimax solution.
    let mut w = vec![1.0 / nodes as f64; nodes];
    let mut sol = vec![0f64; d];
    for _iter in 0..60 {
        let mut ata = vec![vec![0f64; d]; d];
        let mut atb = vec![0f64; d];
        for (i, &f) in pts.iter().enumerate() {
            let g = (-f).exp2();
            let row: Vec<f64> = (1..=d).map(|k| f.powi(k as i32) / g).collect();
            let rhs = (g - 1.0) / g;
            for a in 0..d {
                atb[a] += w[i] * row[a] * rhs;
                for b in 0..d {
                    ata[a][b] += w[i] * row[a] * row[b];
                }
            }
        }
        sol = solve(ata, atb);
        let errs: Vec<f64> = pts
            .iter()
            .map(|&f| {
                let p = 1.0 + (1..=d).map(|k| sol[k - 1] * f.powi(k as i32)).sum::<f64>();
                ((p - (-f).exp2()) / (-f).exp2()).abs()
            })
            .collect();
        let tot: f64 = w.iter().zip(&errs).map(|(a, b)| a * b).sum();
        if tot == 0.0 {
            break;
        }
        for i in 0..nodes {
            w[i] = w[i] * errs[i] / tot;
        }
    }
    let scale = (1u64 << exp_frac) as f64;
    let mut coeffs: Vec<i64> = std::iter::once(1i64 << exp_frac)
        .chain(sol.iter().map(|a| (a * scale).round() as i64))
        .collect();
    // Local search on the quantized coefficients (a_0 stays 1.0).
    let n = Numerics {
        exp_frac,
        z_frac,
        z_sat: 0,
        mant_bits: 0,
        scale_left: 0,
        scale_shift_bits: 0,
        z_window: 0,
        coeffs: vec![],
        out_frac: 0,
        out_bits: 0,
        data_bits: 0,
    };
    let mut best = poly_max_rel_err(&coeffs, &n);
    for _round in 0..4 {
        let mut improved = false;
        for k in 1..coeffs.len() {
            for delta in [-2i64, -1, 1, 2] {
                let mut c = coeffs.clone();
                c[k] += delta;
                let e = poly_max_rel_err(&c, &n);
                if e < best {
                    best = e;
                    coeffs = c;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    coeffs
}

/// Largest relative error of the fixed-point polynomial against 2^-f over all f.
fn poly_max_rel_err(coeffs: &[i64], n: &Numerics) -> f64 {
    let d = coeffs.len() - 1;
    let mut worst = 0f64;
    let steps = 1u64 << n.z_frac;
    let stride = (steps / 4096).max(1);
    let mut f = 0;
    while f < steps {
        let mut p = coeffs[d];
        for k in (0..d).rev() {
            p = horner_step(p, f, coeffs[k], n);
        }
        let exact = (-(f as f64) / steps as f64).exp2() * (1u64 << n.exp_frac) as f64;
        worst = worst.max((p as f64 - exact).abs() / exact);
        f += stride;
    }
    worst
}

fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        b.swap(col, piv);
        for r in 0..n {
            if r != col {
                let k = a[r][col] / a[col][col];
                for c in col..n {
                    a[r][c] -= k * a[col][c];
                }
                b[r] -= k * b[col];
            }
        }
    }
    (0..n).map(|i| b[i] / a[i][i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(deg: u32) -> Numerics {
        let cfg = Config {
            exp_degree: deg,
            ..Config::default()
        };
        Numerics::new(&cfg)
    }

    #[test]
    fn split_prescale_equals_the_formula() {
        let n = num(3);
        for shift in 0..32u32 {
            for d in (0..1u128 << 24)
                .step_by(9973)
                .chain([0, 1, 2, (1 << 24) - 1])
            {
                let wide = (d << (n.scale_left + 1)) >> shift;
                let want = ((wide + 1) >> 1).min((1u128 << n.mant_bits) - 1) as u64;
                let sc = ScaleConst { mant: 0, shift };
                assert_eq!(prescale(d, sc, &n), want, "d={d} shift={shift}");
            }
        }
    }

    #[test]
    fn exp_of_zero_is_exactly_one() {
        let n = num(3);
        assert_eq!(exp2neg(0, &n), n.one());
        let sc = ScaleConst::from_real(1e-4, &n).unwrap();
        assert_eq!(exp_of_diff(0, sc, &n), n.one());
    }

    #[test]
    fn exp_accuracy_per_degree() {
        // Relative error of 2^-f over every f at the default widths.
        for (deg, bound) in [(2, 2.5e-3), (3, 1.5e-4), (4, 8e-5), (5, 8e-5)] {
            let n = num(deg);
            let e = poly_max_rel_err(&n.coeffs, &n);
            assert!(e < bound, "degree {deg}: {e}");
        }
    }

    #[test]
    fn exp_saturates_to_zero_and_is_monotone() {
        let n = num(3);
        assert_eq!(exp2neg(n.z_sat, &n), 0);
        let mut prev = u64::MAX;
        for z in 0..=n.z_sat {
            let v = exp2neg(z, &n);
            assert!(v <= prev, "not monotone at z={z}");
            prev = v;
        }
    }

    #[test]
    fn horner_terms_fit_the_multiplier() {
        let cfg = Config::default();
        let n = Numerics::new(&cfg);
        let lim = 1i64 << (cfg.mul_bits - 1);
        let d = n.coeffs.len() - 1;
        for f in 0..(1u64 << n.z_frac) {
            let mut p = n.coeffs[d];
            assert!(p >= -lim && p < lim);
            for k in (0..d).rev() {
                p = horner_step(p, f, n.coeffs[k], &n);
                assert!(p >= -lim && p < lim, "f={f} k={k} p={p}");
            }
        }
    }

    #[test]
    fn scale_const_round_trips_and_covers_range() {
        let n = num(3);
        for c in [1e-8, 3.3e-6, 1.6e-4, 0.18, 1.4427, 20.0] {
            let sc = ScaleConst::from_real(c, &n).unwrap();
            assert!(sc.mant >> (n.mant_bits - 1) == 1 && sc.mant < (1 << n.mant_bits));
            let rel = (sc.value(&n) - c).abs() / c;
            assert!(rel < 1e-5, "c={c} rel={rel}");
        }
        assert!(ScaleConst::from_real(1e-12, &n).is_err());
        assert!(ScaleConst::from_real(1e3, &n).is_err());
        assert!(ScaleConst::from_real(f64::NAN, &n).is_err());
    }

    #[test]
    fn clamp_of_prescaled_difference_is_exact() {
        // Whenever Dn saturates, z saturates too, so the clamp never changes a result.
        let n = num(3);
        let dn_max = (1u64 << n.mant_bits) - 1;
        let min_mant = 1u64 << (n.mant_bits - 1);
        assert!(
            z_of(
                dn_max,
                ScaleConst {
                    mant: min_mant,
                    shift: 0
                },
                &n
            ) >= n.z_sat
        );
    }

    #[test]
    fn rescale_by_one_is_exact_and_divide_rounds() {
        let n = num(3);
        for x in [-5i128, 0, 7, 1 << 40, -(1 << 40) + 3] {
            assert_eq!(rescale(x, n.one(), &n), x);
        }
        // 1/3 with 8 fractions: 85.33 -> 85; -2/3 -> -170.67 -> -171
        assert_eq!(divide(1, 3, &n), 85);
        assert_eq!(divide(-2, 3, &n), -171);
        // exact half rounds away from zero: 1/512 * 256 = 0.5 -> 1
        assert_eq!(divide(1, 512, &n), 1);
        assert_eq!(divide(-1, 512, &n), -1);
        // saturation
        assert_eq!(divide(1 << 20, 1, &n), (1 << 15) - 1);
        assert_eq!(divide(-(1 << 20), 1, &n), -(1 << 15));
        assert_eq!(divide(5, 0, &n), 0);
    }
}
