//! On-chip buffers and the feeders that read them into the array edges.
//!
//! - `row_feeder` (one per row r): the K and V tiles of row r, double-buffered (two banks of
//!   max_e + max_f words), written from the input stream's lane r; it reads the word the
//!   controller's command asks for and hands x, op and the row-valid bit to PE (r, 0). Commands
//!   travel down the feeders one row per cycle, which makes the systolic skew.
//! - `col_feeder` (one per column c): Q of query c, double-buffered by query block (two banks of
//!   max_e words, so the next block's Q loads while this block runs), written from lane c; it
//!   hands q and the partial-sum seed (0 or -inf) to PE (0, c). Commands travel right one
//!   column per cycle.
//!
//! Sizes depend on max_e, max_f and the array only, never on the sequence lengths. Latency of
//! both: a command entering at cycle t reaches the array at t + 2 (a RAM read and an output
//! register, so that no block-RAM output drives a PE's multiplier directly), the column's
//! partial-sum seed at t + 4 (a PE reads it in its third stage), and the next feeder at t + 1.

use crate::config::{ubits, Config};
use crate::ir::{Circuit, Module};
use crate::ir_leaf;
use crate::pe::op;
use crate::ram::{self, Ram};
use crate::schedule::XSrc;

/// Encoding of the x source in commands.
pub fn src_code(x: XSrc) -> i128 {
    match x {
        XSrc::None => 0,
        XSrc::K => 1,
        XSrc::V => 2,
    }
}

/// Input words per vector of `n` values (one value per row or column).
pub fn chunks(cfg: &Config, n: usize) -> usize {
    n.div_ceil(cfg.derived().in_lanes)
}

/// Width of the chunk index (which word of a K/V or Q vector is on the bus).
pub fn chunk_bits(cfg: &Config) -> u32 {
    ubits((chunks(cfg, cfg.rows).max(chunks(cfg, cfg.cols)) - 1) as u128).max(1)
}

/// Widths shared by the feeders and the controller.
#[derive(Clone, Copy, Debug)]
pub struct FeedWidths {
    pub data: u32,
    pub idx: u32,
    pub nvalid: u32,
    pub kv_addr: u32,
    pub q_addr: u32,
    pub psum: u32,
    pub chunk: u32,
    pub max_e: usize,
    pub max_f: usize,
}

impl FeedWidths {
    pub fn new(cfg: &Config) -> FeedWidths {
        FeedWidths {
            data: cfg.data_bits,
            idx: ubits(cfg.max_e.max(cfg.max_f) as u128 - 1).max(1),
            nvalid: ubits(cfg.rows as u128),
            kv_addr: Ram::addr_bits(2 * (cfg.max_e + cfg.max_f)),
            q_addr: Ram::addr_bits(2 * cfg.max_e),
            psum: cfg.derived().psum_bits,
            chunk: chunk_bits(cfg),
            max_e: cfg.max_e,
            max_f: cfg.max_f,
        }
    }
    /// RAM address of K[e] (`v` false) or V[f] (`v` true) in `bank`.
    pub fn kv_addr(&self, bank: usize, v: bool, idx: usize) -> usize {
        bank * (self.max_e + self.max_f) + if v { self.max_e + idx } else { idx }
    }
}

ir_leaf! {
    /// Feeder of one row: K/V banks and the command chain, simulated and emitted from
    /// [`describe_row`].
    pub struct RowFeeder {
        clock, rst, row_idx, my_chunk, lane, we, chunk, waddr, c_op, c_src, c_idx, c_bank,
        c_nvalid, c_op_out, c_src_out, c_idx_out, c_bank_out, c_nvalid_out, x, op, vld
    }
    extra { _w: FeedWidths }
}

impl RowFeeder {
    pub fn new(cfg: &Config) -> RowFeeder {
        RowFeeder::from_circuit(describe_row(cfg), FeedWidths::new(cfg))
    }

    /// Word `a` of the K/V RAM (for tests).
    pub fn kv_word(&self, a: usize) -> i128 {
        ram_word(self.ir_sim(), "kv", a, self._w.data)
    }
}

/// Word `a` of the signed `data`-bit RAM instance `inst` in a feeder's simulation.
fn ram_word(sim: &crate::ir::Sim, inst: &str, a: usize, data: u32) -> i128 {
    crate::kit::sig::wrap(sim.mem_word(&format!("{inst}.mem"), a) as i128, data, true)
}

/// The row feeder described once (see the module doc): the `kv` instance of `ram`
/// (2 x (max_e + max_f) words), the read address from the command, the command chain.
pub fn describe_row(cfg: &Config) -> Circuit {
    let w = FeedWidths::new(cfg);
    let kab = w.kv_addr;
    let mut m = Module::new("row_feeder", "");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let row_idx = m.input("row_idx", w.nvalid);
    let my_chunk = m.input("my_chunk", w.chunk);
    let lane = m.input_s("lane", w.data);
    let we = m.input("we", 1);
    let chunk = m.input("chunk", w.chunk);
    let waddr = m.input("waddr", kab);
    let c_op = m.input("c_op", op::BITS);
    let c_src = m.input("c_src", 2);
    let c_idx = m.input("c_idx", w.idx);
    let c_bank = m.input("c_bank", 1);
    let c_nvalid = m.input("c_nvalid", w.nvalid);
    let c_op_out = m.output_reg("c_op_out", op::BITS).reset(&rst, 0);
    let c_src_out = m.output_reg("c_src_out", 2);
    let c_idx_out = m.output_reg("c_idx_out", w.idx);
    let c_bank_out = m.output_reg("c_bank_out", 1);
    let c_nvalid_out = m.output_reg("c_nvalid_out", w.nvalid);
    let x = m.output_reg_s("x", w.data);
    let op_o = m.output_reg("op", op::BITS).reset(&rst, 0);
    let vld = m.output_reg("vld", 1);
    let op_q = m.reg("op_q", op::BITS).reset(&rst, 0);
    let src_q = m.reg("src_q", 2);
    let vld_q = m.reg("vld_q", 1);

    // V[f] sits after the max_e words of K in a bank
    let idx_a = c_idx.resize(kab);
    let off = c_src
        .is(src_code(XSrc::V))
        .mux(&idx_a.lit(w.max_e as i128).add_wrap(&idx_a), &idx_a)
        .named("off");
    let kv = m.instance("kv", &ram::describe(w.data, 2 * (w.max_e + w.max_f), true));
    kv.set("we", &we.and(&chunk.eq(&my_chunk)));
    kv.set("waddr", &waddr);
    kv.set("wdata", &lane);
    let bank1 = off.lit((w.max_e + w.max_f) as i128);
    kv.set("raddr", &c_bank.mux(&bank1.add_wrap(&off), &off));

    c_src_out.set(&c_src);
    c_idx_out.set(&c_idx);
    c_bank_out.set(&c_bank);
    c_nvalid_out.set(&c_nvalid);
    src_q.set(&c_src);
    vld_q.set(&row_idx.lt(&c_nvalid));
    let rdata = kv.out("rdata");
    x.set(&src_q.ne(&src_q.lit(0)).mux(&rdata, &rdata.lit(0)));
    vld.set(&vld_q);
    op_q.set(&c_op);
    op_o.set(&op_q);
    c_op_out.set(&c_op);
    m.finish()
}

ir_leaf! {
    /// Feeder of one column: the Q buffer and the command chain, simulated and emitted from
    /// [`describe_col`].
    pub struct ColFeeder {
        clock, my_chunk, lane, we, chunk, waddr, c_q, c_idx, c_seed, c_qbank, c_q_out,
        c_idx_out, c_seed_out, c_qbank_out, q, ps
    }
    extra { _w: FeedWidths }
}

impl ColFeeder {
    pub fn new(cfg: &Config) -> ColFeeder {
        ColFeeder::from_circuit(describe_col(cfg), FeedWidths::new(cfg))
    }

    /// Word `a` of the Q RAM (for tests).
    pub fn q_word(&self, a: usize) -> i128 {
        ram_word(self.ir_sim(), "qbuf", a, self._w.data)
    }
}

/// The column feeder described once (see the module doc): the `qbuf` instance of `ram`
/// (2 x max_e words), the command chain and the partial-sum seed three cycles behind it.
pub fn describe_col(cfg: &Config) -> Circuit {
    let w = FeedWidths::new(cfg);
    let qab = w.q_addr;
    let mut m = Module::new("col_feeder", "");
    m.clock("clock");
    let my_chunk = m.input("my_chunk", w.chunk);
    let lane = m.input_s("lane", w.data);
    let we = m.input("we", 1);
    let chunk = m.input("chunk", w.chunk);
    let waddr = m.input("waddr", qab);
    let c_q = m.input("c_q", 1);
    let c_idx = m.input("c_idx", w.idx);
    let c_seed = m.input("c_seed", 1);
    let c_qbank = m.input("c_qbank", 1);
    let c_q_out = m.output_reg("c_q_out", 1);
    let c_idx_out = m.output_reg("c_idx_out", w.idx);
    let c_seed_out = m.output_reg("c_seed_out", 1);
    let c_qbank_out = m.output_reg("c_qbank_out", 1);
    let q = m.output_reg_s("q", w.data);
    let ps = m.output_reg_s("ps", w.psum);
    let q_en = m.reg("q_en", 1);
    let seed = m.reg("seed", 1);
    let seed2 = m.reg("seed2", 1);
    let seed3 = m.reg("seed3", 1);

    // Q indices stay below max_e; the index field is as wide as max_f's
    let idx_a = c_idx.resize(qab);
    let base = c_qbank.mux(&idx_a.lit(w.max_e as i128), &idx_a.lit(0));
    let qbuf = m.instance("qbuf", &ram::describe(w.data, 2 * w.max_e, true));
    qbuf.set("we", &we.and(&chunk.eq(&my_chunk)));
    qbuf.set("waddr", &waddr);
    qbuf.set("wdata", &lane);
    qbuf.set("raddr", &base.add_wrap(&idx_a));

    c_q_out.set(&c_q);
    c_idx_out.set(&c_idx);
    c_seed_out.set(&c_seed);
    c_qbank_out.set(&c_qbank);
    q_en.set(&c_q);
    seed.set(&c_seed);
    seed2.set(&seed);
    seed3.set(&seed2);
    let rdata = qbuf.out("rdata");
    q.set(&q_en.mux(&rdata, &rdata.lit(0)));
    // the seed of a max: -2^(psum - 1), the least partial sum
    ps.set(&seed3.mux(&ps.lit(-(1i128 << (w.psum - 1))), &ps.lit(0)));
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, io_ports, vectors};
    use crate::kit::{Component, RtlSim};
    use rand::{Rng, SeedableRng};

    fn configs() -> Vec<Config> {
        vec![
            Config::default(),
            Config {
                max_e: 16,
                max_f: 40,
                rows: 3,
                cols: 12,
                ..Config::default()
            },
        ]
    }

    /// K/V written through the lane (only when the chunk on the bus is the row's), read back
    /// by commands at `FeedWidths::kv_addr`: x, op and vld 2 cycles after the command, the
    /// command itself 1 cycle after, on the next feeder's inputs.
    #[test]
    fn row_feeder_reads_its_banks_as_commanded() {
        for (ci, cfg) in configs().iter().enumerate() {
            let w = FeedWidths::new(cfg);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20 + ci as u64);
            let mut sim = RtlSim::new(RowFeeder::new(cfg));
            let depth = 1usize << w.kv_addr;
            let mut mem = vec![0i128; depth];
            let row_idx = rng.gen_range(0..cfg.rows) as i128;
            let my_chunk = rng.gen_range(0..=((1 << w.chunk) - 1)) as i128;
            // per cycle: (src, idx, bank, op, nvalid, the word read)
            let mut cmds: Vec<(i128, i128, i128, i128, i128, i128)> = vec![];
            let (mut reads, mut drops) = (0, 0);
            for t in 0..6000 {
                let (bank, v) = (rng.gen_range(0..2), rng.gen_bool(0.5));
                let widx = rng.gen_range(0..if v { w.max_f } else { w.max_e });
                let waddr = w.kv_addr(bank, v, widx);
                let lane = vectors::random(&mut rng, w.data, true);
                let we = rng.gen_bool(0.4);
                let chunk = if rng.gen_bool(0.7) {
                    my_chunk
                } else {
                    my_chunk ^ 1
                } & ((1 << w.chunk) - 1);
                let src = rng.gen_range(0..3);
                let idx = match src {
                    1 => rng.gen_range(0..w.max_e),
                    2 => rng.gen_range(0..w.max_f),
                    _ => rng.gen_range(0..1usize << w.idx),
                } as i128;
                let cbank = rng.gen_range(0..2);
                let cop = rng.gen_range(0..6);
                let nvalid = rng.gen_range(0..=cfg.rows) as i128;
                for (n, v) in [
                    ("rst", (t < 2) as i128),
                    ("row_idx", row_idx),
                    ("my_chunk", my_chunk),
                    ("lane", lane),
                    ("we", we as i128),
                    ("chunk", chunk),
                    ("waddr", waddr as i128),
                    ("c_op", cop),
                    ("c_src", src),
                    ("c_idx", idx),
                    ("c_bank", cbank),
                    ("c_nvalid", nvalid),
                ] {
                    sim.set(n, v);
                }
                sim.settle();
                let read = if src != 0 {
                    mem[w.kv_addr(cbank as usize, src == 2, idx as usize)]
                } else {
                    0
                };
                cmds.push((src, idx, cbank, cop, nvalid, read));
                if t >= 2 {
                    let p = cmds[t - 1];
                    assert_eq!(sim.get("c_src_out"), p.0, "cycle {t}");
                    assert_eq!(sim.get("c_idx_out"), p.1, "cycle {t}");
                    assert_eq!(sim.get("c_bank_out"), p.2, "cycle {t}");
                    // the op fields are reset (rst in cycles 0 and 1)
                    let op = if t >= 3 { p.3 } else { 0 };
                    assert_eq!(sim.get("c_op_out"), op, "cycle {t}");
                    assert_eq!(sim.get("c_nvalid_out"), p.4, "cycle {t}");
                }
                if t >= 4 {
                    let p = cmds[t - 2];
                    assert_eq!(sim.get("x"), p.5, "cycle {t}: x");
                    assert_eq!(sim.get("op"), p.3, "cycle {t}: op");
                    assert_eq!(sim.get("vld"), (row_idx < p.4) as i128, "cycle {t}: vld");
                    reads += (p.0 != 0 && p.5 != 0) as usize;
                }
                if we && chunk == my_chunk {
                    mem[waddr] = lane;
                } else if we {
                    drops += 1;
                }
                sim.step();
                assert_eq!(sim.uut.kv_word(waddr), mem[waddr]);
            }
            assert!(
                reads > 1000 && drops > 300,
                "{reads} reads, {drops} writes to other rows"
            );
        }
    }

    /// Q written through the lane, read back by commands at bank x max_e + index: q 2 cycles
    /// after the command, the seed (-2^(psum - 1) or 0) 4 cycles after, the command 1 after.
    #[test]
    fn col_feeder_reads_q_and_seeds_the_sums() {
        for (ci, cfg) in configs().iter().enumerate() {
            let w = FeedWidths::new(cfg);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(30 + ci as u64);
            let mut sim = RtlSim::new(ColFeeder::new(cfg));
            let mut mem = vec![0i128; 1 << w.q_addr];
            let my_chunk = 0;
            let least = -(1i128 << (w.psum - 1));
            // per cycle: (q, idx, seed, qbank, the word read)
            let mut cmds: Vec<(i128, i128, i128, i128, i128)> = vec![];
            let mut reads = 0;
            for t in 0..6000 {
                let waddr = rng.gen_range(0..2) * w.max_e + rng.gen_range(0..w.max_e);
                let lane = vectors::random(&mut rng, w.data, true);
                let we = rng.gen_bool(0.4);
                let chunk = rng.gen_range(0..2) & ((1 << w.chunk) - 1);
                let cq = rng.gen_bool(0.6) as i128;
                let idx = rng.gen_range(0..w.max_e) as i128;
                let seed = rng.gen_bool(0.3) as i128;
                let qbank = rng.gen_range(0..2);
                for (n, v) in [
                    ("my_chunk", my_chunk),
                    ("lane", lane),
                    ("we", we as i128),
                    ("chunk", chunk),
                    ("waddr", waddr as i128),
                    ("c_q", cq),
                    ("c_idx", idx),
                    ("c_seed", seed),
                    ("c_qbank", qbank),
                ] {
                    sim.set(n, v);
                }
                sim.settle();
                let read = if cq == 1 {
                    mem[qbank as usize * w.max_e + idx as usize]
                } else {
                    0
                };
                cmds.push((cq, idx, seed, qbank, read));
                if t >= 1 {
                    let p = cmds[t - 1];
                    assert_eq!(sim.get("c_q_out"), p.0, "cycle {t}");
                    assert_eq!(sim.get("c_idx_out"), p.1, "cycle {t}");
                    assert_eq!(sim.get("c_seed_out"), p.2, "cycle {t}");
                    assert_eq!(sim.get("c_qbank_out"), p.3, "cycle {t}");
                }
                if t >= 2 {
                    assert_eq!(sim.get("q"), cmds[t - 2].4, "cycle {t}: q");
                    reads += (cmds[t - 2].4 != 0) as usize;
                }
                if t >= 4 {
                    let ps = if cmds[t - 4].2 == 1 { least } else { 0 };
                    assert_eq!(sim.get("ps"), ps, "cycle {t}: ps");
                }
                if we && chunk == my_chunk {
                    mem[waddr] = lane;
                }
                sim.step();
                assert_eq!(sim.uut.q_word(waddr), mem[waddr]);
            }
            assert!(reads > 1000, "{reads} reads");
        }
    }

    fn random_rows<T: Component>(uut: &T, n: usize, seed: u64) -> Vec<Vec<i128>> {
        let (ins, _) = io_ports(uut);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|c| {
                ins.iter()
                    .map(|&(i, name)| match name {
                        "rst" => (c < 2) as i128,
                        "c_src" => rng.gen_range(0..3),
                        "chunk" | "my_chunk" => rng.gen_range(0..2),
                        _ => vectors::random(&mut rng, uut.port(i).width(), uut.port(i).signed()),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn feeders_match_verilog() {
        for cfg in configs() {
            check_verilog(&RowFeeder::new(&cfg)).unwrap();
            check_verilog(&ColFeeder::new(&cfg)).unwrap();
            let rows = random_rows(&RowFeeder::new(&cfg), 4000, 1);
            cosim(RowFeeder::new(&cfg), &rows).unwrap();
            let rows = random_rows(&ColFeeder::new(&cfg), 4000, 2);
            cosim(ColFeeder::new(&cfg), &rows).unwrap();
        }
    }
}
