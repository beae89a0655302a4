//! `fifo`: synchronous FIFO with an AXI4-Stream-like output (the top level's output queue);
//! each entry is a data word and its `last` flag.
//! A word is written when `s_valid` is high and the FIFO is not full (`s_ready`); the head word
//! is on `m_data` whenever `m_valid` is high and leaves on `m_ready`. `free` counts empty
//! slots. `s_ready`, `m_valid` and `free` come from registers (one compare at most), so two
//! words of depth make a register slice between a stream's producer and its consumer.
//! `s_ready` is low during reset and for the cycle after it, so no word offered then is lost.
//! Latency: a word written at an edge is visible on the output after that edge.

use crate::config::ubits;
use crate::ir::{cat, Circuit, Module};
use crate::ir_leaf;

ir_leaf! {
    /// A `width` x `depth` FIFO (depth a power of two), simulated and emitted from
    /// [`describe`].
    pub struct Fifo {
        clock, rst, s_data, s_last, s_valid, s_ready, m_data, m_last, m_valid, m_ready, free
    }
}

impl Fifo {
    /// A `width` x `depth` FIFO; `depth` a power of two, at least 2.
    pub fn new(width: u32, depth: usize) -> Fifo {
        Fifo::from_circuit(describe(width, depth))
    }
}

/// The FIFO described once (see the module doc): `width` x `depth`, depth a power of two.
pub fn describe(width: u32, depth: usize) -> Circuit {
    assert!(
        depth.is_power_of_two() && depth >= 2,
        "fifo depth {depth}: a power of two, at least 2"
    );
    let ab = depth.trailing_zeros(); // address bits
    let fb = ubits(depth as u128); // the free count, 0..=depth
    let mut m = Module::new("fifo", "");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let s_data = m.input("s_data", width);
    let s_last = m.input("s_last", 1);
    let s_valid = m.input("s_valid", 1);
    // each entry's data and `last` flag in one memory word; a 128-bit word (the input stream's
    // widest) keeps its flags in a second memory, as a value is at most 128 bits
    let split = width + 1 > 128;
    let mem = m.memory("mem", if split { width } else { width + 1 }, depth);
    let lasts = split.then(|| m.memory("lasts", 1, depth));
    // write and read pointers count modulo 2 * depth; the low bits address the memory
    let wp = m.reg("wp", ab + 1).reset(&rst, 0);
    let rp = m.reg("rp", ab + 1).reset(&rst, 0);
    let free_r = m
        .reg("free_r", fb)
        .reset(&rst, depth as i128)
        .note("the free count (depth - (wp - rp)) and the empty/full flags are kept in registers");
    let nonempty = m.reg("nonempty", 1).reset(&rst, 0);
    let notfull = m.reg("notfull", 1).reset(&rst, 0);
    m.output("s_ready", &notfull);
    let head = mem.read(&rp.slice(ab - 1, 0)).named("head");
    match &lasts {
        Some(l) => {
            m.output("m_data", &head);
            m.output("m_last", &l.read(&rp.slice(ab - 1, 0)));
        }
        None => {
            m.output("m_data", &head.slice(width - 1, 0));
            m.output("m_last", &head.bit(width));
        }
    }
    m.output("m_valid", &nonempty);
    let m_ready = m.input("m_ready", 1);
    m.output("free", &free_r);

    let push = s_valid.and(&notfull).named("push");
    let pop = m_ready.and(&nonempty).named("pop");
    let we = push.and(&rst.not());
    match &lasts {
        Some(l) => {
            mem.write(&we, &wp.slice(ab - 1, 0), &s_data);
            l.write(&we, &wp.slice(ab - 1, 0), &s_last);
        }
        None => mem.write(&we, &wp.slice(ab - 1, 0), &cat(&[&s_last, &s_data])),
    }
    m.when(&push, |_| wp.set(&wp.add_wrap(&wp.lit(1))));
    m.when(&pop, |_| rp.set(&rp.add_wrap(&rp.lit(1))));
    let one = nonempty.lit(1);
    m.when_else(
        &push.and(&pop.not()),
        |_| {
            free_r.set(&free_r.sub_wrap(&free_r.lit(1)));
            nonempty.set(&one);
            notfull.set(&free_r.ne(&free_r.lit(1)));
        },
        |m| {
            m.when_else(
                &pop.and(&push.not()),
                |_| {
                    free_r.set(&free_r.add_wrap(&free_r.lit(1)));
                    nonempty.set(&free_r.ne(&free_r.lit(depth as i128 - 1)));
                    notfull.set(&one);
                },
                |_| notfull.set(&free_r.ne(&free_r.lit(0))),
            )
        },
    );
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use crate::kit::RtlSim;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    #[test]
    fn delivers_every_word_in_order_and_counts_free_slots() {
        for (width, depth) in [(65, 16), (64, 2), (8, 4), (128, 2)] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(depth as u64);
            let mut sim = RtlSim::new(Fifo::new(width, depth));
            let mut queue: VecDeque<(i128, i128)> = VecDeque::new();
            let (mut sent, mut got) = (0, 0);
            for c in 0..4000 {
                let rst = c < 2;
                let valid = rng.gen_bool(0.6);
                let ready = rng.gen_bool(0.5);
                let data = vectors::random(&mut rng, width, false);
                let last = rng.gen_bool(0.3) as i128;
                sim.set("rst", rst as i128);
                sim.set("s_valid", valid as i128);
                sim.set("s_data", data);
                sim.set("s_last", last);
                sim.set("m_ready", ready as i128);
                sim.settle();
                // s_ready is low during reset and the cycle after
                if c <= 2 {
                    assert_eq!(sim.get("s_ready"), 0, "cycle {c}");
                } else {
                    assert_eq!(sim.get("s_ready"), (queue.len() < depth) as i128);
                }
                if c >= 1 {
                    // registers hold their reset values from the first edge on
                    assert_eq!(sim.get("free"), (depth - queue.len()) as i128);
                }
                assert_eq!(sim.get("m_valid"), !queue.is_empty() as i128);
                let (push, pop) = (
                    valid && sim.get("s_ready") == 1,
                    ready && sim.get("m_valid") == 1,
                );
                if pop {
                    let (d, l) = queue.pop_front().unwrap();
                    assert_eq!((sim.get("m_data"), sim.get("m_last")), (d, l), "cycle {c}");
                    got += 1;
                }
                if push {
                    queue.push_back((data, last));
                    sent += 1;
                }
                sim.step();
            }
            assert!(sent > 1000 && got > 1000, "{sent} sent, {got} received");
        }
    }

    #[test]
    fn fifo_matches_verilog() {
        // the output queue's shape, and the two-word register slice of the input
        for (width, depth, seed) in [(65, 16, 4), (64, 2, 5), (128, 2, 6)] {
            check_verilog(&Fifo::new(width, depth)).unwrap();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let rows: Vec<Vec<i128>> = (0..5000)
                .map(|c| {
                    vec![
                        (c < 2 || rng.gen_ratio(1, 1000)) as i128,
                        vectors::random(&mut rng, width, false),
                        rng.gen_bool(0.3) as i128,
                        rng.gen_bool(0.6) as i128,
                        rng.gen_bool(0.5) as i128,
                    ]
                })
                .collect();
            cosim(Fifo::new(width, depth), &rows).unwrap();
        }
    }
}
