//! `ram`: simple dual-port RAM in the form yosys infers as block RAM: one write port, one read
//! port with a registered output (read latency 1 cycle; a read of the address being written
//! returns the old value). Depth is rounded up to a power of two. (rust-hdl's RAM widget has
//! compile-time widths, so this is a kit leaf.)

use crate::config::ubits;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// A `width` x `depth` RAM.
#[derive(LogicBlock)]
pub struct Ram {
    pub clock: Sig,
    pub we: Sig,
    pub waddr: Sig,
    pub wdata: Sig,
    pub raddr: Sig,
    pub rdata: Sig,
    _mem: Vec<i128>,
    _rdata: i128,
}

impl Ram {
    /// A RAM of at least `depth` words of `width` bits (`signed` words sign-extend on read).
    pub fn new(width: u32, depth: usize, signed: bool) -> Ram {
        let ab = Self::addr_bits(depth);
        let (wd, rd) = if signed {
            (Sig::input_s(width), Sig::output_s(width))
        } else {
            (Sig::input(width), Sig::output(width))
        };
        Ram {
            clock: Sig::input(1),
            we: Sig::input(1),
            waddr: Sig::input(ab),
            wdata: wd,
            raddr: Sig::input(ab),
            rdata: rd,
            _mem: vec![0; 1 << ab],
            _rdata: 0,
        }
    }

    /// Word `a` of the memory (for tests).
    pub fn word(&self, a: usize) -> i128 {
        self._mem[a]
    }

    /// Address width for `depth` words.
    pub fn addr_bits(depth: usize) -> u32 {
        ubits(depth.max(2) as u128 - 1)
    }
}

impl Logic for Ram {
    fn update(&mut self) {
        self.rdata.set(self._rdata);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let w = self.wdata.width();
        let ab = self.waddr.width();
        Verilog::Custom(format!(
            "// @leaf ram\n\
             reg [{wm}:0] mem [0:{dm}];\n\
             always @(posedge clock) begin\n    \
                 if (we) mem[waddr] <= wdata;\n    \
                 rdata <= mem[raddr];\n\
             end\n",
            wm = w - 1,
            dm = (1u64 << ab) - 1
        ))
    }
}

impl Component for Ram {
    fn kind(&self) -> String {
        "ram".into()
    }
    leaf_ports!(clock, we, waddr, wdata, raddr, rdata);
    fn tick(&mut self) {
        self._rdata = self._mem[self.raddr.bits() as usize];
        if self.we.on() {
            self._mem[self.waddr.bits() as usize] = self.wdata.get();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use rand::{Rng, SeedableRng};

    #[test]
    fn verilog_matches_model_and_is_clean() {
        for (w, d, s) in [(41, 128, true), (8, 5, false)] {
            check_verilog(&Ram::new(w, d, s)).unwrap();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
            let ab = Ram::addr_bits(d);
            let rows: Vec<Vec<i128>> = (0..5000)
                .map(|_| {
                    vec![
                        rng.gen_bool(0.5) as i128,
                        vectors::random(&mut rng, ab, false),
                        vectors::random(&mut rng, w, s),
                        vectors::random(&mut rng, ab, false),
                    ]
                })
                .collect();
            cosim(Ram::new(w, d, s), &rows).unwrap();
        }
    }
}
