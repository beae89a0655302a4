//! `widen`: a stream width converter, two 64-bit limbs in, one 128-bit word out. It stands in
//! front of the engine on the board, whose host link carries 64-bit words, when the engine takes
//! a 128-bit input stream (`stream_bits` = 128). The limbs of a word come low first
//! (`stream::limbs`). A limb with `s_last` ends its word at once, so a stream cut short still
//! reaches the engine, which reports it; the high limb is then zero.
//! The output is a register: a word is on `m_data` the cycle after its high limb is taken
//! (latency 1). Another limb is taken while the word waits (`s_ready = !m_valid | m_ready`).

use crate::ir::{cat, Circuit, Module};
use crate::ir_leaf;

ir_leaf! {
    /// The converter, simulated and emitted from [`describe`].
    pub struct Widen {
        clock, rst, s_data, s_last, s_valid, m_ready, m_data, m_last, m_valid, s_ready
    }
}

impl Widen {
    pub fn new() -> Widen {
        Widen::from_circuit(describe())
    }
}

impl Default for Widen {
    fn default() -> Self {
        Self::new()
    }
}

/// The converter described once (see the module doc).
pub fn describe() -> Circuit {
    let mut m = Module::new("widen", "");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let s_data = m.input("s_data", 64);
    let s_last = m.input("s_last", 1);
    let s_valid = m.input("s_valid", 1);
    let m_ready = m.input("m_ready", 1);
    let high = m
        .reg("high", 1)
        .reset(&rst, 0)
        .note("the low limb of a word is taken: the next limb is its high one");
    let low = m.reg("low", 64).note("the word's low limb");
    let o_data = m.output_reg("m_data", 128);
    let o_last = m.output_reg("m_last", 1);
    let o_valid = m.output_reg("m_valid", 1).reset(&rst, 0);
    let take = o_valid.and(&m_ready).named("take");
    let ready = o_valid.not().or(&m_ready).and(&rst.not()).named("ready");
    m.output("s_ready", &ready);
    let accept = s_valid.and(&ready).named("accept");
    let zero = s_data.lit(0);
    m.when(&rst.not(), |m| {
        m.when(&take, |_| o_valid.set(&o_valid.lit(0)));
        m.when(&accept, |m| {
            m.when_else(
                &high.or(&s_last),
                |_| {
                    // the high limb ends the word; a low one with s_last ends it short
                    o_data.set(&high.mux(&cat(&[&s_data, &low]), &cat(&[&zero, &s_data])));
                    o_last.set(&s_last);
                    o_valid.set(&o_valid.lit(1));
                    high.set(&high.lit(0));
                },
                |_| {
                    low.set(&s_data);
                    high.set(&high.lit(1));
                },
            )
        });
    });
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use crate::kit::RtlSim;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    /// Random limbs (some words cut short by `s_last`) under random backpressure on both sides:
    /// every word comes out whole, in order, with its limbs in place and its `last` flag.
    #[test]
    fn assembles_every_word_in_order() {
        {
            let n = 2;
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(n as u64);
            let mut sim = RtlSim::new(Widen::new());
            let (mut want, mut part): (VecDeque<(u128, bool)>, Vec<u64>) =
                (VecDeque::new(), vec![]);
            let mut got = 0;
            for c in 0..6000 {
                let valid = rng.gen_bool(0.7);
                let ready = rng.gen_bool(0.6);
                let limb: u64 = rng.gen();
                let last = rng.gen_bool(0.15);
                sim.set("rst", (c < 2) as i128);
                sim.set("s_valid", valid as i128);
                sim.set("s_data", limb as i128);
                sim.set("s_last", last as i128);
                sim.set("m_ready", ready as i128);
                sim.settle();
                if c >= 2 && ready && sim.get("m_valid") == 1 {
                    let (w, l) = want.pop_front().expect("a word out that went in");
                    assert_eq!(sim.get("m_data") as u128, w, "cycle {c}");
                    assert_eq!(sim.get("m_last") == 1, l, "cycle {c}");
                    got += 1;
                }
                if c >= 2 && valid && sim.get("s_ready") == 1 {
                    part.push(limb);
                    if part.len() == n || last {
                        let w = part
                            .iter()
                            .enumerate()
                            .fold(0u128, |a, (i, &x)| a | (x as u128) << (64 * i));
                        want.push_back((w, last));
                        part.clear();
                    }
                }
                sim.step();
            }
            assert!(got > 1000, "{got} words");
        }
    }

    #[test]
    fn widen_matches_verilog() {
        check_verilog(&Widen::new()).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let rows: Vec<Vec<i128>> = (0..4000)
            .map(|c| {
                vec![
                    (c < 2 || rng.gen_ratio(1, 500)) as i128,
                    vectors::random(&mut rng, 64, false),
                    rng.gen_bool(0.2) as i128,
                    rng.gen_bool(0.7) as i128,
                    rng.gen_bool(0.5) as i128,
                ]
            })
            .collect();
        cosim(Widen::new(), &rows).unwrap();
    }
}
