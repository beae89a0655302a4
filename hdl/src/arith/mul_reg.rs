//! `mul_reg`: signed multiplier with registered operands and a registered product, a (WA bits)
//! x b (WB bits) -> p (WA + WB bits): the multiplier of the PE and of the 1D unit's exp
//! sequence. On ECP5 the three registers are those of one MULT18X18D (see [`super::dsp`]).
//! The product is [`dsp::signed_product`] (operands sign-extended to the product width).
//! Latency: p holds a * b two edges after a and b.

use super::dsp;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// Registered signed multiplier.
#[derive(LogicBlock)]
pub struct MulReg {
    pub clock: Sig,
    pub a: Sig,
    pub b: Sig,
    pub p: Sig,
    _a: i128,
    _b: i128,
    _p: i128,
}

impl MulReg {
    /// A `wa` x `wb` signed multiplier, two cycles of latency.
    pub fn new(wa: u32, wb: u32) -> MulReg {
        assert!(wa + wb <= 126);
        MulReg {
            clock: Sig::input(1),
            a: Sig::input_s(wa),
            b: Sig::input_s(wb),
            p: Sig::output_s(wa + wb),
            _a: 0,
            _b: 0,
            _p: 0,
        }
    }
}

impl MulReg {
    /// The registered product (what `p` shows this cycle).
    pub fn product(&self) -> i128 {
        self._p
    }
}

impl Logic for MulReg {
    fn update(&mut self) {
        self.p.set(self._p);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let (wa, wb) = (self.a.width(), self.b.width());
        Verilog::Custom(format!(
            "// @leaf mul_reg\n{}",
            dsp::registered_product("m", ("a", wa), ("b", wb), "p", true)
        ))
    }
}

impl Component for MulReg {
    fn kind(&self) -> String {
        "mul_reg".into()
    }
    leaf_ports!(clock, a, b, p);
    fn tick(&mut self) {
        self._p = self._a * self._b;
        self._a = self.a.get();
        self._b = self.b.get();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, cosim_ecp5, vectors};
    use rand::SeedableRng;

    #[test]
    fn verilog_matches_model_generic_and_ecp5() {
        for (wa, wb) in [(18, 18), (14, 16), (24, 18)] {
            check_verilog(&MulReg::new(wa, wb)).unwrap();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
            let rows = vectors::signed_pairs(&mut rng, wa, wb, 3000);
            assert_eq!(cosim(MulReg::new(wa, wb), &rows).unwrap(), rows.len());
            assert_eq!(cosim_ecp5(MulReg::new(wa, wb), &rows).unwrap(), rows.len());
        }
    }
}
