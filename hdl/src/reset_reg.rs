//! `reset_reg`: one flip-flop of the reset tree. Every block of the engine that has a reset
//! takes it from a `reset_reg` of its own, so the engine's reset input drives one flip-flop per
//! block and each block's reset net stays inside the block: no net fans out from the reset
//! to every flip-flop of the chip, and no logic sits between a long reset route and a
//! register. The register is marked `keep` so that synthesis does not merge the copies back
//! into one. Latency: 1 cycle (`rst` follows `rst_in` a cycle later).

use crate::ir::{Circuit, Module};
use crate::ir_leaf;
use crate::kit::{End, Structure};

ir_leaf! {
    /// A registered copy of a reset.
    pub struct ResetReg { clock, rst_in, rst }
}

impl ResetReg {
    /// One flip-flop of the reset tree (latency 1).
    pub fn new() -> ResetReg {
        ResetReg::from_circuit(describe())
    }
}

impl Default for ResetReg {
    fn default() -> Self {
        Self::new()
    }
}

/// The reset register described once: `rst` is `rst_in` a cycle later, kept by synthesis.
pub fn describe() -> Circuit {
    let mut m = Module::new("reset_reg", "");
    m.clock("clock");
    let rst_in = m.input("rst_in", 1);
    m.output_reg("rst", 1).keep().set(&rst_in);
    m.finish()
}

/// Adds a `reset_reg` named `{child}_rst` to `s`, clocked by `clock` and fed by `rst`, and
/// connects its output to the `rst` port of child `block` (instance name `{child}`).
pub fn local_reset(s: &mut Structure, block: usize, clock: End, rst: End) {
    let name = format!("{}_rst", s.child_name(block));
    let r = s.add_child(name, Box::new(ResetReg::new()));
    let e = s.at(r, "clock");
    s.connect(e, clock);
    let e = s.at(r, "rst_in");
    s.connect(e, rst);
    let q = s.at(r, "rst");
    let e = s.at(block, "rst");
    s.connect(e, q);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim};

    #[test]
    fn follows_its_input_a_cycle_later() {
        let mut sim = crate::kit::RtlSim::new(ResetReg::new());
        let mut prev = 0;
        for c in 0..64 {
            let v = ((c * 7) % 5 == 0) as i128;
            sim.set("rst_in", v);
            sim.settle();
            assert_eq!(
                sim.get("rst"),
                prev,
                "cycle {c}: before the edge, the old value"
            );
            sim.step();
            assert_eq!(sim.get("rst"), v, "cycle {c}: after the edge, the input");
            prev = v;
        }
        let text = crate::kit::emit::emit_verilog(&ResetReg::new(), "dut", "");
        assert!(
            text.contains("(* keep *) always @(posedge clock) rst <= rst_in;"),
            "{text}"
        );
    }

    #[test]
    fn reset_reg_matches_verilog() {
        check_verilog(&ResetReg::new()).unwrap();
        let rows: Vec<Vec<i128>> = (0..64).map(|c| vec![((c * 7) % 5 == 0) as i128]).collect();
        assert_eq!(cosim(ResetReg::new(), &rows).unwrap(), 64);
    }
}
