//! `reset_reg`: one flip-flop of the reset tree. Every block of the engine that has a reset
//! takes it from a `reset_reg` of its own, so the engine's reset input drives one flip-flop per
//! block and each block's reset net stays inside the block: no net fans out from the reset
//! to every flip-flop of the chip, and no logic sits between a long reset route and a
//! register. The register is marked `keep` so that synthesis does not merge the copies back
//! into one. Latency: 1 cycle (`rst` follows `rst_in` a cycle later).

use crate::kit::{Component, End, Sig, Structure};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// A registered copy of a reset.
#[derive(LogicBlock)]
pub struct ResetReg {
    pub clock: Sig,
    pub rst_in: Sig,
    pub rst: Sig,
    _q: bool,
}

impl ResetReg {
    pub fn new() -> ResetReg {
        ResetReg {
            clock: Sig::input(1),
            rst_in: Sig::input(1),
            rst: Sig::output(1),
            _q: false,
        }
    }
}

impl Default for ResetReg {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for ResetReg {
    fn update(&mut self) {
        self.rst.set_bool(self._q);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            r#"// @leaf reset_reg
(* keep *) always @(posedge clock) rst <= rst_in;
"#
            .into(),
        )
    }
}

impl Component for ResetReg {
    fn kind(&self) -> String {
        "reset_reg".into()
    }
    leaf_ports!(clock, rst_in, rst);
    fn tick(&mut self) {
        self._q = self.rst_in.on();
    }
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
    fn reset_reg_matches_verilog() {
        check_verilog(&ResetReg::new()).unwrap();
        let rows: Vec<Vec<i128>> = (0..64).map(|c| vec![((c * 7) % 5 == 0) as i128]).collect();
        assert_eq!(cosim(ResetReg::new(), &rows).unwrap(), 64);
    }
}
