//! `ram`: simple dual-port RAM in the form yosys infers as block RAM: one write port, one read
//! port with a registered output (read latency 1 cycle; a read of the address being written
//! returns the old value). Depth is rounded up to a power of two. (rust-hdl's RAM widget has
//! compile-time widths, so the RAM is described in [`crate::ir`].)

use crate::config::ubits;
use crate::ir::{Circuit, Module};
use crate::ir_leaf;

ir_leaf! {
    /// A `width` x `depth` RAM, simulated and emitted from [`describe`].
    pub struct Ram { clock, we, waddr, wdata, raddr, rdata }
}

impl Ram {
    /// A RAM of at least `depth` words of `width` bits (`signed` words sign-extend on read).
    pub fn new(width: u32, depth: usize, signed: bool) -> Ram {
        Ram::from_circuit(describe(width, depth, signed))
    }

    /// Word `a` of the memory (for tests), sign-extended for a signed RAM.
    pub fn word(&self, a: usize) -> i128 {
        let bits = self.ir_sim().mem_word("mem", a);
        crate::kit::sig::wrap(bits as i128, self.wdata.width(), self.wdata.signed())
    }

    /// Address width for `depth` words.
    pub fn addr_bits(depth: usize) -> u32 {
        ubits(depth.max(2) as u128 - 1)
    }
}

/// The RAM described once: `width` x `depth` rounded up to a power of two, read latency 1.
pub fn describe(width: u32, depth: usize, signed: bool) -> Circuit {
    let ab = Ram::addr_bits(depth);
    let mut m = Module::new("ram", "");
    m.clock("clock");
    let we = m.input("we", 1);
    let waddr = m.input("waddr", ab);
    let wdata = if signed {
        m.input_s("wdata", width)
    } else {
        m.input("wdata", width)
    };
    let raddr = m.input("raddr", ab);
    let mem = m.memory("mem", width, 1 << ab);
    mem.write(&we, &waddr, &wdata.as_unsigned());
    let word = mem.read(&raddr);
    if signed {
        m.output_reg_s("rdata", width).set(&word.as_signed());
    } else {
        m.output_reg("rdata", width).set(&word);
    }
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use crate::kit::RtlSim;
    use rand::{Rng, SeedableRng};

    #[test]
    fn reads_what_was_written_a_cycle_later() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (w, d) = (41, 128);
        let mut sim = RtlSim::new(Ram::new(w, d, true));
        let mut mem = vec![0i128; d];
        for _ in 0..3000 {
            let (we, wa, wd) = (
                rng.gen_bool(0.5),
                rng.gen_range(0..d),
                vectors::random(&mut rng, w, true),
            );
            // reads hit the written address often
            let ra = if rng.gen_bool(0.3) {
                wa
            } else {
                rng.gen_range(0..d)
            };
            sim.set("we", we as i128);
            sim.set("waddr", wa as i128);
            sim.set("wdata", wd);
            sim.set("raddr", ra as i128);
            // a read at the edge of a write to the same word returns the old word
            let expect = mem[ra];
            if we {
                mem[wa] = wd;
            }
            sim.step();
            assert_eq!(sim.get("rdata"), expect);
            assert_eq!(sim.uut.word(wa), mem[wa]);
        }
    }

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
