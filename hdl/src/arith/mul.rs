//! `mul`: full-width signed multiplier, a (WA bits) x b (WB bits) -> p (WA + WB bits).
//! Combinational (latency 0). rust-hdl's own `*` is 16x16 only and its `$signed(a * b)` cast
//! truncates in Verilog; this leaf sign-extends both operands to the product width, so the
//! low WA + WB bits of the unsigned product are the signed product.

use crate::kit::{Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// Signed multiplier of run-time widths.
#[derive(LogicBlock)]
pub struct Mul {
    pub a: Sig,
    pub b: Sig,
    pub p: Sig,
}

impl Mul {
    /// A `wa` x `wb` signed multiplier.
    pub fn new(wa: u32, wb: u32) -> Mul {
        Mul {
            a: Sig::input_s(wa),
            b: Sig::input_s(wb),
            p: Sig::output_s(wa + wb),
        }
    }
}

impl Logic for Mul {
    fn update(&mut self) {
        self.p.set(self.a.get() * self.b.get());
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let wa = self.a.width();
        let wb = self.b.width();
        Verilog::Custom(format!(
            "// @leaf mul\n\
             // p = a * b, full width: operands sign-extended to {w} bits and signed (so that synthesis narrows them to one DSP).\n\
             always @(*) p = $signed({{{{{wb}{{a[{ma}]}}}}, a}}) * $signed({{{{{wa}{{b[{mb}]}}}}, b}});\n",
            w = wa + wb,
            ma = wa - 1,
            mb = wb - 1
        ))
    }
}

impl Component for Mul {
    fn kind(&self) -> String {
        "mul".into()
    }
    leaf_ports!(a, b, p);
    fn tick(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{cosim, have_verilator, vectors};
    use crate::kit::RtlSim;
    use rand::SeedableRng;

    fn stimulus(wa: u32, wb: u32, seed: u64) -> Vec<Vec<i128>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut rows = vec![];
        for a in vectors::corners(wa, true) {
            for b in vectors::corners(wb, true) {
                rows.push(vec![a, b]);
            }
        }
        for _ in 0..10_000 {
            rows.push(vec![
                vectors::random(&mut rng, wa, true),
                vectors::random(&mut rng, wb, true),
            ]);
        }
        rows
    }

    #[test]
    fn model_is_the_exact_product() {
        for (wa, wb) in [(8, 8), (18, 18), (41, 18), (5, 3)] {
            let mut sim = RtlSim::new(Mul::new(wa, wb));
            for row in stimulus(wa, wb, 1).iter().take(2000) {
                sim.set("a", row[0]);
                sim.set("b", row[1]);
                sim.settle();
                assert_eq!(sim.get("p"), row[0] * row[1]);
            }
        }
    }

    #[test]
    fn verilog_matches_model() {
        if !have_verilator() {
            panic!("verilator is required (make deps)");
        }
        for (wa, wb) in [(18, 18), (41, 18), (5, 3)] {
            let n = cosim(Mul::new(wa, wb), &stimulus(wa, wb, 2)).unwrap();
            assert!(n > 10_000);
        }
    }
}

#[cfg(test)]
mod lint_tests {
    use crate::config::Config;
    use crate::kit::cosim::check_verilog;

    #[test]
    fn verilog_is_lint_clean() {
        for cfg in [
            Config::default(),
            Config {
                mul_bits: 14,
                exp_frac_bits: 10,
                data_bits: 4,
                max_e: 16,
                max_seq_kv: 100,
                ..Config::default()
            },
        ] {
            let _ = &cfg;
            check_verilog(&super::Mul::new(cfg.mul_bits, cfg.data_bits)).unwrap();
        }
    }
}
