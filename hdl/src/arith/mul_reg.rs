//! `mul_reg`: signed multiplier with registered operands and a registered product, a (WA bits)
//! x b (WB bits) -> p (WA + WB bits): the multiplier of the PE and of the 1D unit's exp
//! sequence. On ECP5 the three registers are those of one MULT18X18D (see [`super::dsp`]).
//! The product is exact (`ir::Signal::mul`: operands sign-extended to the product width).
//! Latency: p holds a * b two edges after a and b.

use super::dsp;
use crate::ir::{Circuit, Module};
use crate::ir_leaf;

ir_leaf! {
    /// Registered signed multiplier, simulated and emitted from [`describe`].
    pub struct MulReg { clock, a, b, p }
}

impl MulReg {
    /// A `wa` x `wb` signed multiplier, two cycles of latency.
    pub fn new(wa: u32, wb: u32) -> MulReg {
        MulReg::from_circuit(describe(wa, wb))
    }

    /// The registered product (what `p` shows this cycle).
    pub fn product(&self) -> i128 {
        let w = self.p.width();
        crate::kit::sig::wrap(self.ir_sim().peek("p") as i128, w, true)
    }
}

/// The multiplier described once: operands registered (`m_aq`, `m_bq`), their exact product
/// registered (`p`); on ECP5 (operands of at most 18 bits) one MULT18X18D holds the three
/// registers.
pub fn describe(wa: u32, wb: u32) -> Circuit {
    assert!(wa + wb <= 126, "mul_reg: {wa} x {wb} bits is too wide");
    let mut m = Module::new("mul_reg", "");
    m.clock("clock");
    let a = m.input_s("a", wa);
    let b = m.input_s("b", wb);
    let aq = m.reg_s("m_aq", wa);
    aq.set(&a);
    let bq = m.reg_s("m_bq", wb);
    bq.set(&b);
    let p = m.output_reg_s("p", wa + wb);
    p.set(&aq.mul(&bq));
    if wa <= dsp::MULT18_BITS && wb <= dsp::MULT18_BITS {
        m.vendor_text(
            dsp::ECP5_DEFINE,
            &dsp::ecp5_product("m", ("a", wa), ("b", wb), "p", true),
        );
    }
    m.finish()
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
