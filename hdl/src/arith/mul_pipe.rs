//! `mul_pipe`: a wide signed multiplier in two pipeline stages, a (WA bits) x b (WB bits) ->
//! p (WA + WB bits), for products wider than one DSP (the 1D unit's rescale of RNV by PRM).
//! Stage 1 registers a_hi * b and a_i * b, where the a_i are chunks of WB - 1 bits of a from
//! the bottom (unsigned, so each fits a WB-bit signed port), as many as it takes to leave a
//! signed a_hi of at most 18 bits (every product then fits one DSP multiplier); stage 2
//! registers the shifted sum of the products. On ECP5 each product register is the output
//! register of its MULT18X18D (see [`super::dsp`]). Latency: p holds a * b two edges after a
//! and b.

use super::dsp;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// Two-stage pipelined signed multiplier.
#[derive(LogicBlock)]
pub struct MulPipe {
    pub clock: Sig,
    pub a: Sig,
    pub b: Sig,
    pub p: Sig,
    _s1: i128,
    _s2: i128,
}

impl MulPipe {
    /// A `wa` x `wb` signed multiplier, two cycles of latency.
    pub fn new(wa: u32, wb: u32) -> MulPipe {
        assert!(wa + wb <= 126 && wb >= 2);
        MulPipe {
            clock: Sig::input(1),
            a: Sig::input_s(wa),
            b: Sig::input_s(wb),
            p: Sig::output_s(wa + wb),
            _s1: 0,
            _s2: 0,
        }
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

impl Logic for MulPipe {
    fn update(&mut self) {
        self.p.set(self._s2);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let wa = self.a.width();
        let wb = self.b.width();
        let w = wa + wb;
        let l = wb - 1;
        let text = if wa <= l {
            format!(
                r#"// @leaf mul_pipe
// a fits one multiplier: product registered twice.
reg signed [{wm}:0] s1;
{s1}always @(posedge clock) p <= s1;
"#,
                wm = w - 1,
                s1 = dsp::registered_product("m", ("a", wa), ("b", wb), "s1", false),
            )
        } else {
            let n = low_chunks(wa, wb);
            let wh = wa - n * l; // signed high part
            let mut decl = String::new();
            let mut prods = String::new();
            let mut sum = format!("{{m_hi, {}'d0}}", n * l);
            for i in 0..n {
                let wi = l + 1 + wb;
                decl.push_str(&format!(
                    "wire signed [{l}:0] a_{i} = {{1'b0, a[{}:{}]}};\nreg signed [{}:0] m_{i};\n",
                    (i + 1) * l - 1,
                    i * l,
                    wi - 1
                ));
                prods.push_str(&dsp::registered_product(
                    &format!("m{i}"),
                    (&format!("a_{i}"), l + 1),
                    ("b", wb),
                    &format!("m_{i}"),
                    false,
                ));
                let term = crate::kit::sresize(&format!("m_{i}"), wi, w - i * l);
                sum.push_str(&if i == 0 {
                    format!(" + {term}")
                } else {
                    format!(" + {{{term}, {}'d0}}", i * l)
                });
            }
            format!(
                r#"// @leaf mul_pipe
// a = a_hi * 2^{nl} + sum of a_i * 2^({l} i), a_i unsigned {l} bits: {np} products (each
// fits one DSP), then their sum.
wire signed [{whm}:0] a_hi = a[{wam}:{nl}];
reg signed [{hm}:0] m_hi;
{decl}{hi}{prods}always @(posedge clock) p <= {sum};
"#,
                nl = n * l,
                np = n + 1,
                whm = wh - 1,
                wam = wa - 1,
                hm = wh + wb - 1,
                hi = dsp::registered_product("mh", ("a_hi", wh), ("b", wb), "m_hi", false),
            )
        };
        Verilog::Custom(text)
    }
}

impl Component for MulPipe {
    fn kind(&self) -> String {
        "mul_pipe".into()
    }
    leaf_ports!(clock, a, b, p);
    fn tick(&mut self) {
        self._s2 = self._s1;
        self._s1 = self.a.get() * self.b.get();
    }
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
            let text = match m.hdl() {
                Verilog::Custom(t) => t,
                _ => unreachable!(),
            };
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
