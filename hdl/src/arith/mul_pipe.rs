//! `mul_pipe`: a wide signed multiplier in two pipeline stages, a (WA bits) x b (WB bits) ->
//! p (WA + WB bits), for products wider than one DSP (the 1D unit's rescale of RNV by PRM).
//! Stage 1 registers a_hi * b and a_i * b, where the a_i are chunks of WB - 1 bits of a from
//! the bottom (unsigned, so each fits a WB-bit signed port), as many as it takes to leave a
//! signed a_hi of at most 18 bits (every product then fits one DSP multiplier); stage 2
//! registers the shifted sum of the products. On ECP5 each product register is the output
//! register of its MULT18X18D (see [`super::dsp`]). Latency: p holds a * b two edges after a
//! and b.

use super::dsp;
use crate::ir::{cat, Circuit, Module, Signal};
use crate::ir_leaf;

ir_leaf! {
    /// Two-stage pipelined signed multiplier, simulated and emitted from [`describe`].
    pub struct MulPipe { clock, a, b, p }
}

impl MulPipe {
    /// A `wa` x `wb` signed multiplier, two cycles of latency.
    pub fn new(wa: u32, wb: u32) -> MulPipe {
        MulPipe::from_circuit(describe(wa, wb))
    }
}

/// Number of low chunks of `wb - 1` bits that a `wa`-bit operand is cut into (unsigned, so
/// each fits a `wb`-bit signed operand), until the signed top part is at most 18 bits: every
/// product then fits one DSP multiplier. 0 when `a` fits one multiplier as it is.
fn low_chunks(wa: u32, wb: u32) -> u32 {
    let l = wb - 1;
    if wa <= l {
        return 0;
    }
    let mut n = 1;
    while wa - n * l > 18 && wa - (n + 1) * l >= 1 {
        n += 1;
    }
    n
}

impl MulPipe {
    /// The operand widths of the products the Verilog computes (what synthesis maps to DSP
    /// multipliers): one product, or the top part's and each low chunk's.
    pub fn products(&self) -> Vec<(u32, u32)> {
        let (wa, wb) = (self.a.width(), self.b.width());
        let n = low_chunks(wa, wb);
        if n == 0 {
            return vec![(wa, wb)];
        }
        let mut v = vec![(wa - n * (wb - 1), wb)];
        v.extend((0..n).map(|_| (wb, wb)));
        v
    }
}

/// A product register `name` of `x * y` (signed), held on ECP5 by the output register of one
/// MULT18X18D (`tag`) when both operands have at most 18 bits.
fn product_reg(m: &mut Module, name: &str, tag: &str, x: &Signal, y: &Signal, xn: &str) -> Signal {
    let r = m.reg_s(name, x.width() + y.width());
    r.set(&x.mul(y));
    let r = if x.width() <= dsp::MULT18_BITS && y.width() <= dsp::MULT18_BITS {
        r.vendor(
            dsp::ECP5_DEFINE,
            &dsp::ecp5_product(tag, (xn, x.width()), ("b", y.width()), name, false),
        )
    } else {
        r
    };
    r.q()
}

/// The multiplier described once (see the module doc).
pub fn describe(wa: u32, wb: u32) -> Circuit {
    assert!(wa + wb <= 126 && wb >= 2, "mul_pipe: {wa} x {wb} bits");
    let w = wa + wb;
    let l = wb - 1;
    let n = low_chunks(wa, wb);
    let mut m = Module::new(
        "mul_pipe",
        &if n == 0 {
            "a fits one multiplier: product registered twice.".to_string()
        } else {
            format!(
                "a = a_hi * 2^{} + sum of a_i * 2^({l} i), a_i unsigned {l} bits: {} products \
                 (each\nfits one DSP), then their sum.",
                n * l,
                n + 1
            )
        },
    );
    m.clock("clock");
    let a = m.input_s("a", wa);
    let b = m.input_s("b", wb);
    let p = m.output_reg_s("p", w);
    if n == 0 {
        let s1 = product_reg(&mut m, "s1", "m", &a, &b, "a");
        p.set(&s1);
        return m.finish();
    }
    let a_hi = a.slice(wa - 1, n * l).as_signed().named("a_hi");
    let m_hi = product_reg(&mut m, "m_hi", "mh", &a_hi, &b, "a_hi");
    let mut sum = cat(&[&m_hi, &m.lit(n * l, 0)]).as_signed();
    for i in 0..n {
        let name = format!("a_{i}");
        let ai = cat(&[&m.lit(1, 0), &a.slice((i + 1) * l - 1, i * l)])
            .as_signed()
            .named(&name);
        let mi = product_reg(&mut m, &format!("m_{i}"), &format!("m{i}"), &ai, &b, &name);
        let term = if i == 0 {
            mi.resize(w)
        } else {
            cat(&[&mi.resize(w - i * l), &m.lit(i * l, 0)]).as_signed()
        };
        sum = sum.add_wrap(&term);
    }
    p.set(&sum);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, cosim_ecp5, vectors};
    use rand::SeedableRng;

    #[test]
    fn products_are_those_of_the_verilog() {
        assert_eq!(
            MulPipe::new(41, 18).products(),
            [(7, 18), (18, 18), (18, 18)]
        );
        assert_eq!(MulPipe::new(12, 16).products(), [(12, 16)]);
        for (wa, wb) in [(41, 18), (35, 14), (12, 16), (27, 12), (60, 18)] {
            let m = MulPipe::new(wa, wb);
            let text = crate::ir::verilog::module(&describe(wa, wb), "mul_pipe");
            let n = m.products().len();
            assert_eq!(text.matches("* $signed(").count(), n, "{wa}x{wb}: {text}");
            assert!(m
                .products()
                .iter()
                .all(|&(a, b)| a <= 18 && b <= 18 && a >= 1));
        }
    }

    #[test]
    fn verilog_matches_model_and_is_clean() {
        for (wa, wb) in [(41, 18), (35, 14), (12, 16), (27, 12), (60, 18)] {
            check_verilog(&MulPipe::new(wa, wb)).unwrap();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(31);
            let rows = vectors::signed_pairs(&mut rng, wa, wb, 10_000);
            assert_eq!(cosim(MulPipe::new(wa, wb), &rows).unwrap(), rows.len());
            assert_eq!(cosim_ecp5(MulPipe::new(wa, wb), &rows).unwrap(), rows.len());
        }
    }
}
