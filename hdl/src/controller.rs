//! `controller`: runs jobs on the datapath, described once in [`describe`] (its simulation and
//! its Verilog both come from it). Three cooperating sequencers in one module:
//! - the **loader** takes the input stream: the job header, then per query block Q and per key
//!   tile K and V into the feeders' buffers (two K/V banks, so loading tile i + 1 overlaps
//!   computing tile i); it checks the header and the stream's end (`tlast`);
//! - the **issuer** runs each tile by injecting the schedule into the feeders' command chains.
//!   Its sequencing is generated from the plan ([`crate::schedule::TilePlan`]): one phase
//!   register per phase of the plan (its length - 1 registered from E and F), a phase counter,
//!   and per phase the op, operand source, seed and K/V bank (the tile, or epoch, the phase's
//!   ops belong to) that the plan gives. After a block's last tile it hands the block to the
//!   divider sequencer and goes on with the next block; after the last block it pushes the
//!   trailer (status and performance counters);
//! - the **divider sequencer** divides a finished block (one `div_start` per f, in the 1D units'
//!   bank of that block, while the next block's tiles run in the other bank) and pushes its AV
//!   words to the output FIFO;
//! - beside them the **counters**: cycles, 2D-busy and 1D-busy cycles (per tile from the plan's
//!   tallies, plus divisions), cycles stalled on input (a tile waiting for its K/V bank or Q)
//!   and on output (waiting for FIFO space).
//!
//! The stream's format, constants and status codes are in [`crate::stream`]
//! (`docs/interface.md`).

use crate::buffers::{chunk_bits, chunks, src_code, FeedWidths};
use crate::config::{ubits, Config};
use crate::ir::{case, cat, select, Circuit, Module, Reg, Signal};
use crate::ir_leaf;
use crate::lanes::Select;
use crate::pe::op;
use crate::ram::Ram;
use crate::schedule::{Affine, Phase, Reserved, Seed, TilePlan, XSrc};
use crate::softmax_unit::f_bits;
use crate::stream::{
    status, BLOCKS_BITS, COUNTER_BITS, HEADER_WORDS, MAGIC_IN, MAGIC_TRAILER, TRAILER_WORDS,
};

/// Loader states (`lst`).
mod ls {
    pub const HDR: i128 = 0;
    pub const Q: i128 = 1;
    pub const K: i128 = 2;
    pub const V: i128 = 3;
    /// After an error in the data: words are taken and dropped up to `tlast`.
    pub const DRAIN: i128 = 4;
    /// The job's input is in: waits for its trailer to go out.
    pub const WAITEND: i128 = 5;
    /// The header's last word is decoded and checked.
    pub const CHECK: i128 = 6;
    pub const BITS: u32 = 4;
}

/// Issuer states (`ist`).
mod is {
    pub const IDLE: i128 = 0;
    /// A tile waits for its Q block and K/V bank (a period whose buffers are ready when the
    /// one before ends follows it at once, without this state).
    pub const WAIT: i128 = 1;
    /// A tile runs: the phase sequencer steps through the plan.
    pub const RUN: i128 = 2;
    /// A block's last tile is done: the block goes to the divider sequencer when it is free.
    pub const HANDOFF: i128 = 3;
    /// The last block's divisions finish.
    pub const LASTDIV: i128 = 4;
    /// The trailer goes out.
    pub const TRAIL: i128 = 7;
    pub const BITS: u32 = 4;
}

/// Divider sequencer states (`dst`).
mod ds {
    pub const IDLE: i128 = 0;
    /// Waits for the block's last tile to reach the 1D units.
    pub const FLUSH: i128 = 1;
    /// Waits for the output FIFO to have room for one f's words.
    pub const SPACE: i128 = 2;
    /// Waits for the division's result.
    pub const WAIT: i128 = 3;
    /// Pushes the f's AV words.
    pub const PUSH: i128 = 4;
    /// Starts one f's division.
    pub const START: i128 = 5;
    pub const BITS: u32 = 3;
}

/// Constants and widths of a controller, all from the config and the plan.
#[derive(Clone, Debug)]
struct K {
    rows: usize,
    cols: usize,
    /// input words per K/V vector and per Q vector
    kch: usize,
    qch: usize,
    /// output words per f of a block
    och: usize,
    max_q: usize,
    max_kv: usize,
    max_e: usize,
    max_f: usize,
    pw: u32,
    mw: u32,
    ew: u32,
    fw: u32,
    /// width of a phase length (the longest tile fits)
    tw: u32,
    /// width of a phase's main-op count (0 ..= max(max_e, max_f))
    nw: u32,
    cw: u32,
    ochw: u32,
    /// width of the count of valid queries in a block (0 ..= C)
    nvw: u32,
    /// width of the count of query blocks returned
    bkw: u32,
    mant: u32,
    shb: u32,
    /// width of `div_f`
    ab: u32,
    /// width of `fifo_free`
    ffb: u32,
    /// cycles from a block's last tile command to its first division
    flush: usize,
    fw_: FeedWidths,
    plan: TilePlan,
}

impl K {
    fn new(cfg: &Config, fifo_free_bits: u32) -> K {
        let d = cfg.derived();
        let plan = TilePlan::new(cfg);
        let max_period = plan.period(cfg.max_e, cfg.max_f);
        let och = cfg.cols.div_ceil(d.out_lanes);
        K {
            rows: cfg.rows,
            cols: cfg.cols,
            kch: chunks(cfg, cfg.rows),
            qch: chunks(cfg, cfg.cols),
            och,
            max_q: cfg.max_seq_q,
            max_kv: cfg.max_seq_kv,
            max_e: cfg.max_e,
            max_f: cfg.max_f,
            pw: ubits(cfg.max_seq_q as u128 + cfg.cols as u128),
            mw: ubits(cfg.max_seq_kv as u128 + cfg.rows as u128),
            ew: ubits(cfg.max_e as u128),
            fw: f_bits(cfg),
            tw: ubits(max_period as u128),
            nw: ubits(cfg.max_e.max(cfg.max_f) as u128),
            cw: chunk_bits(cfg),
            ochw: ubits((och.max(2) - 1) as u128),
            nvw: Select::nvalid_bits(cfg.cols),
            bkw: ubits(cfg.max_seq_q.div_ceil(cfg.cols) as u128),
            mant: d.scale_mant_bits,
            shb: d.scale_shift_bits,
            ab: Ram::addr_bits(cfg.max_f),
            ffb: fifo_free_bits,
            flush: plan.flush,
            fw_: FeedWidths::new(cfg),
            plan,
        }
    }
}

ir_leaf! {
    /// The controller, simulated and emitted from [`describe`].
    pub struct Controller {
        clock, rst, s_data, s_valid, s_last, s_ready, scale, q_we, q_waddr, kv_we, kv_waddr,
        chunk, r_op, r_src, r_idx, r_bank, r_nvalid, c_q, c_idx, c_seed, c_qbank,
        div_start, div_f, div_bank, av_valid, sel, av_nv, av_word, o_data, o_last, o_valid,
        fifo_free, fifo_ready, status, busy, perf_cycles, perf_busy_2d, perf_busy_1d,
        perf_stall_in, perf_stall_out
    }
}

impl Controller {
    /// The controller of `cfg`, reading an output FIFO's free count of `fifo_free_bits` bits.
    pub fn new(cfg: &Config, fifo_free_bits: u32) -> Controller {
        Controller::from_circuit(describe(cfg, fifo_free_bits))
    }
}

/// The release of the buffer the plan reads `x` from (K, V, or Q for `XSrc::None`): the phase
/// reading it, and the cycles from that phase's start to the release countdown's start value.
/// The command register (1), the skew of the row (K, V) or column (Q) feeders' command chain,
/// one more, and the phase's reserved slots, so that the loader, writing at most one index a
/// cycle, stays behind the last reader. The buffer is free again one cycle after the delay
/// (the cycle model, `crate::model`, reads it from here).
pub fn release_delay(cfg: &Config, plan: &TilePlan, x: XSrc) -> (usize, usize) {
    let (n, p) = plan.reader(x);
    let skew = if x == XSrc::None { cfg.cols } else { cfg.rows };
    (n, skew + 2 + plan.reserved_slots(p) as usize)
}

/// Cycles of one tile, as the issuer runs it.
pub fn tile_period(cfg: &Config, e: usize, f: usize) -> usize {
    TilePlan::new(cfg).period(e, f)
}

/// `a * e_len + b * f_len + c` at `w` bits (wrapping), for an affine of the plan.
fn affine(a: &Affine, e_len: &Signal, f_len: &Signal, w: u32) -> Signal {
    assert!(
        a.e >= 0 && a.f >= 0,
        "controller: a phase's length falls with E or F"
    );
    let mut terms: Vec<Signal> = vec![];
    for _ in 0..a.e {
        terms.push(e_len.ext(w));
    }
    for _ in 0..a.f {
        terms.push(f_len.ext(w));
    }
    let c = e_len.ext(w).lit(a.c.unsigned_abs() as i128);
    let sum = terms
        .into_iter()
        .reduce(|x, y| x.add_wrap(&y))
        .unwrap_or_else(|| c.lit(0));
    if a.c >= 0 {
        sum.add_wrap(&c)
    } else {
        sum.sub_wrap(&c)
    }
}

/// Under `inc`, a `+1` of counter `c` in two halves: the low half steps, the high one when the
/// flag `cy` says the low half is all ones (set as the low half reaches all ones). Exact every
/// cycle; the longest carry chain is half the counter's.
fn count_half(m: &mut Module, c: &Reg, cy: &Reg, inc: &Signal) {
    let cb = c.width();
    let lo_w = cb / 2;
    let lo = c.slice(lo_w - 1, 0);
    let hi = c.slice(cb - 1, lo_w);
    m.when(inc, |_| {
        let hi1 = cy.mux(&hi.add_wrap(&hi.lit(1)), &hi);
        c.set(&cat(&[&hi1, &lo.add_wrap(&lo.lit(1))]));
        cy.set(&lo.eq(&lo.lit((1i128 << lo_w) - 2)));
    });
}

/// `1 <= x <= max` for a header word `x`, as a zero test of the high bits and a short compare
/// of the low ones (a 64-bit comparator is one long carry chain).
fn range_check(x: &Signal, max: usize) -> Signal {
    let b = ubits(max as u128);
    let low = x.slice(b - 1, 0);
    let nonzero_fits = x.slice(x.width() - 1, b).is(0).and(&low.ne(&low.lit(0)));
    if max as u128 == (1u128 << b) - 1 {
        // every nonzero value of b bits is in range (a compare would be constant)
        nonzero_fits
    } else {
        nonzero_fits.and(&low.le(&low.lit(max as i128)))
    }
}

/// A two-bit flag vector with bit `idx` set to `value`.
fn with_bit(v: &Signal, idx: &Signal, value: bool) -> Signal {
    let b = idx.lit(value as i128);
    idx.mux(&cat(&[&b, &v.bit(0)]), &cat(&[&v.bit(1), &b]))
}

/// The controller of `cfg` described once (see the module doc), reading an output FIFO's free
/// count of `fifo_free_bits` bits. Latency: a header is checked 2 cycles after its last word;
/// the feeders' commands are registered, a cycle after their tile time.
pub fn describe(cfg: &Config, fifo_free_bits: u32) -> Circuit {
    let k = K::new(cfg, fifo_free_bits);
    let fw = k.fw_;
    let plan = &k.plan;
    let np = plan.phases.len();
    let depth = plan.depth();
    assert!(
        depth <= 1,
        "controller: two K/V banks hold two tiles in flight"
    );
    let phb = ubits(np as u128 - 1).max(1);
    let (tw, cb, idx) = (k.tw, COUNTER_BITS, fw.idx);
    let mut m = Module::new("controller", "");
    m.clock("clock");
    let rst = m.input("rst", 1);

    // ---- state ----
    let lst = m
        .reg("lst", ls::BITS)
        .states(&[
            ("L_HDR", ls::HDR),
            ("L_Q", ls::Q),
            ("L_K", ls::K),
            ("L_V", ls::V),
            ("L_DRAIN", ls::DRAIN),
            ("L_WAITEND", ls::WAITEND),
            ("L_CHECK", ls::CHECK),
        ])
        .binary()
        .reset(&rst, ls::HDR)
        .note("kept binary: its next state is written as a choice made last by accept");
    let ist = m
        .reg("ist", is::BITS)
        .states(&[
            ("I_IDLE", is::IDLE),
            ("I_WAIT", is::WAIT),
            ("I_RUN", is::RUN),
            ("I_HANDOFF", is::HANDOFF),
            ("I_LASTDIV", is::LASTDIV),
            ("I_TRAIL", is::TRAIL),
        ])
        .reset(&rst, is::IDLE);
    let active = m.reg("active", 1).reset(&rst, 0);
    let trail_done = m.reg("trail_done", 1).reset(&rst, 0);
    let st = m.reg("st", 8).reset(&rst, 0);
    let hdr_i = m.reg("hdr_i", 3).reset(&rst, 0);
    let p_len = m.reg("p_len", k.pw).reset(&rst, 0);
    let m_len = m.reg("m_len", k.mw).reset(&rst, 0);
    let e_len = m.reg("e_len", k.ew).reset(&rst, 0);
    let sc_mant = m.reg("sc_mant", k.mant).reset(&rst, 0);
    let sc_shift = m.reg("sc_shift", k.shb).reset(&rst, 0);
    let shape_ok = m.reg("shape_ok", 1).reset(&rst, 0);
    let magic_ok = m.reg("magic_ok", 1).reset(&rst, 0);
    let mant_ok = m.reg("mant_ok", 1);
    let scale_ok = m.reg("scale_ok", 1);
    let inb = cfg.derived().in_bits;
    let hq = m
        .reg("hq", inb)
        .note("the last accepted header word, decoded a cycle later");
    let hq_v = m.reg("hq_v", 1);
    let hq_i = m.reg("hq_i", 3);
    let hq_last = m.reg("hq_last", 1);
    let ld_last_tile = m
        .reg("ld_last_tile", 1)
        .note("ld_m0 + R >= M (registered: valid a cycle after a change, and not used sooner)");
    let ld_last_blk = m.reg("ld_last_blk", 1).note("ld_p0 + C >= P, likewise");
    let ld_idx = m.reg("ld_idx", idx).reset(&rst, 0);
    let e_last = m.reg("e_last", idx);
    let f_last = m.reg("f_last", idx);
    let at_e_last = m.reg("at_e_last", 1).note("ld_idx == e_last");
    let at_f_last = m.reg("at_f_last", 1).note("ld_idx == f_last");
    let ld_chunk = m.reg("ld_chunk", k.cw).reset(&rst, 0);
    let ld_bank = m.reg("ld_bank", 1).reset(&rst, 0);
    let ld_m0 = m.reg("ld_m0", k.mw).reset(&rst, 0);
    let ld_p0 = m.reg("ld_p0", k.pw).reset(&rst, 0);
    let k_full = m
        .reg("k_full", 2)
        .reset(&rst, 0)
        .note("the K halves of the K/V banks loaded and not yet released");
    let v_full = m
        .reg("v_full", 2)
        .reset(&rst, 0)
        .note("the V halves, likewise (a tile's V is read a period after its K when two tiles are in flight)");
    let q_full = m
        .reg("q_full", 2)
        .reset(&rst, 0)
        .note("the Q banks loaded and not yet released");
    let ld_qbank = m.reg("ld_qbank", 1).reset(&rst, 0);
    let is_qbank = m.reg("is_qbank", 1).reset(&rst, 0);
    let is_bank = m.reg("is_bank", 1).reset(&rst, 0);
    let is_m0 = m.reg("is_m0", k.mw).reset(&rst, 0);
    let is_p0 = m.reg("is_p0", k.pw).reset(&rst, 0);
    let blk_bank = m
        .reg("blk_bank", 1)
        .reset(&rst, 1)
        .note("the 1D units' bank of the block being run");
    let dst = m
        .reg("dst", ds::BITS)
        .states(&[
            ("D_IDLE", ds::IDLE),
            ("D_FLUSH", ds::FLUSH),
            ("D_SPACE", ds::SPACE),
            ("D_WAIT", ds::WAIT),
            ("D_PUSH", ds::PUSH),
            ("D_START", ds::START),
        ])
        .reset(&rst, ds::IDLE);
    let dfl = m.reg("dfl", 8).reset(&rst, 0);
    let dbank = m.reg("dbank", 1).reset(&rst, 0);
    let f_len = m.reg("f_len", k.fw).reset(&rst, 0);
    let f_lm1 = m
        .reg("f_lm1", k.fw)
        .reset(&rst, (1i128 << k.fw) - 1)
        .note("f_len - 1, registered with it (the divisions' last f; all ones after reset)");
    let dvf = m.reg("dvf", k.ab).reset(&rst, 0);
    let j = m.reg("j", k.ochw).reset(&rst, 0);
    let tk = m.reg("tk", 3).reset(&rst, 0);
    // the delayed releases of the buffers, one countdown per kind and bank: a buffer is
    // released a fixed time after the phase that reads it starts (the loader then writes
    // behind the readers); a bank cannot be read again before it is released and reloaded,
    // so its countdown never restarts early
    let rel_cnt = |m: &mut Module, kind: &str| -> [Reg; 2] {
        [0, 1].map(|b| m.reg(&format!("rel_{kind}{b}"), 8).reset(&rst, 0))
    };
    let rel_k = rel_cnt(&mut m, "k");
    let rel_v = rel_cnt(&mut m, "v");
    let rel_qc = rel_cnt(&mut m, "q");
    // the tiles in flight: has0 the period's own tile (its BQK), has1 the tile before it
    let has0 = m
        .reg("has0", 1)
        .reset(&rst, 0)
        .note("the period has a tile of its own (epoch 0)");
    let has1_reg = (depth > 0).then(|| {
        m.reg("has1", 1)
            .reset(&rst, 0)
            .note("the period finishes the tile before (epoch 1)")
    });
    let has1 = has1_reg
        .as_ref()
        .map(|r| r.q())
        .unwrap_or_else(|| rst.lit(0));
    // the tile before: whether it ended its block, and that block's handoff values
    let p1 = (depth > 0).then(|| {
        (
            m.reg("p1_last", 1).note("the tile before ended its block"),
            m.reg("p1_dnv", k.nvw),
            m.reg("p1_bank", 1),
            m.reg("p1_p0", k.pw).note("the tile before's block"),
        )
    });
    let hf_dnv = m
        .reg("hf_dnv", k.nvw)
        .note("valid queries of the block to hand to the divider");
    let hf_bank = m.reg("hf_bank", 1).note("its bank in the 1D units");
    let counter = |m: &mut Module, name: &str| m.reg(name, cb).reset(&rst, 0);
    let c_cycles = counter(&mut m, "c_cycles");
    let c_busy2d = counter(&mut m, "c_busy2d");
    let c_busy1d = counter(&mut m, "c_busy1d");
    let c_stall_in = counter(&mut m, "c_stall_in");
    let c_stall_out = counter(&mut m, "c_stall_out");
    let flag = |m: &mut Module, name: &str| {
        m.reg(name, 1)
            .reset(&rst, 0)
            .note("the counter's low half is all ones")
    };
    let cy_cycles = flag(&mut m, "cy_cycles");
    let cy_busy2d = flag(&mut m, "cy_busy2d");
    let cy_busy1d = flag(&mut m, "cy_busy1d");
    let cy_stall_in = flag(&mut m, "cy_stall_in");
    let cy_stall_out = flag(&mut m, "cy_stall_out");
    let err_q = m.reg("err_q", 1).reset(&rst, 0);
    let err_code_q = m.reg("err_code_q", 8).reset(&rst, 0);
    let clr_q = m.reg("clr_q", 1).reset(&rst, 0);
    let abort = m
        .reg("abort", 1)
        .reset(&rst, 0)
        .note("an error was seen: finish the blocks whose input was complete, then the trailer");
    let dnv = m
        .reg("dnv", k.nvw)
        .reset(&rst, 0)
        .note("valid queries (lanes) of the block being divided");
    let blocks_out = m
        .reg("blocks_out", k.bkw)
        .reset(&rst, 0)
        .note("query blocks whose AV words went out");
    let cnt_on = m
        .reg("cnt_on", 1)
        .reset(&rst, 0)
        .note("the counters run (first header word .. trailer start)");
    let win1d = m
        .reg("win1d", tw + 1)
        .reset(&rst, 0)
        .note("cycles left of the finished tiles' 1D work");
    let busy2d_q = m
        .reg("busy2d_q", 1)
        .reset(&rst, 0)
        .note("PE (0, 0)'s functional unit was issued useful work a cycle ago");
    let busy1d_q = m
        .reg("busy1d_q", 1)
        .reset(&rst, 0)
        .note("the 1D array worked in the last cycle");
    let q_rel_go = m
        .reg("q_rel_go", 1)
        .reset(&rst, 0)
        .note("the phase reading Q started a cycle ago (is_last_tile is that period's by now: a period may follow the one before at once)");
    let next_ready_q = m
        .reg("next_ready_q", 1)
        .reset(&rst, 0)
        .note("next_ready a cycle ago: the next period's buffers were loaded by the period's last cycle but one");
    let stall_in_q = m
        .reg("stall_in_q", 1)
        .reset(&rst, 0)
        .note("the issuer was between periods a cycle ago (counted a cycle late: the state and the counter are far apart on a chip)");
    // the phase sequencer, generated from the plan: per phase its length - 1 (and whether it
    // is 0), registered from E and F
    let ph_lm1: Vec<Reg> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(n, p)| {
            m.reg(&format!("ph{n}_lm1"), tw)
                .note(&format!("{}: length - 1", p.name))
        })
        .collect();
    let ph_cnt_reg: Vec<Option<Reg>> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(n, p)| {
            (p.count.e != 0 || p.count.f != 0).then(|| {
                m.reg(&format!("ph{n}_cnt"), k.nw)
                    .note(&format!("{}: main ops", p.name))
            })
        })
        .collect();
    let ph_cnt: Vec<Signal> = plan
        .phases
        .iter()
        .zip(&ph_cnt_reg)
        .map(|(p, r)| match r {
            Some(r) => r.q(),
            None => m.lit(k.nw, p.count.c as u128),
        })
        .collect();
    let ph_one: Vec<Reg> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(n, p)| {
            m.reg(&format!("ph{n}_one"), 1)
                .note(&format!("{} lasts one cycle", p.name))
        })
        .collect();
    // the phases' codes named after the plan's phases (PH_BQK, ...)
    let ph_names: Vec<(String, i128)> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(n, p)| (format!("PH_{}", p.name), n as i128))
        .collect();
    let ph_states: Vec<(&str, i128)> = ph_names.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let ph = m
        .reg("ph", phb)
        .states(&ph_states)
        .reset(&rst, 0)
        .note("the tile's phase");
    let tt = m.reg("tt", tw).reset(&rst, 0).note("time within the phase");
    let mi = m
        .reg("mi", k.nw)
        .reset(&rst, 0)
        .note("main ops issued in the phase (it indexes K, V or Q)");
    let mdone = m
        .reg("mdone", 1)
        .reset(&rst, 0)
        .note("the phase's main ops are all issued");
    let left = m
        .reg("left", tw)
        .reset(&rst, 0)
        .note("cycles of the phase after this one");
    let ph_first = m.reg("ph_first", 1).reset(&rst, 0).note("tt == 0");
    let ph_last = m.reg("ph_last", 1).reset(&rst, 0).note("left == 0");
    let is_last_tile = m
        .reg("is_last_tile", 1)
        .note("is_m0 + R >= M (registered; is_m0 changes a tile before it is used)");
    let is_last_blk = m.reg("is_last_blk", 1).note("is_p0 + C >= P (likewise)");
    let tile_busy1d = m
        .reg("tile_busy1d", tw)
        .note("a tile's 1D work in cycles (likewise)");

    let bit = |v: bool| rst.lit(v as i128);
    let lst_is = |v: i128| lst.is(v);
    let ist_is = |v: i128| ist.is(v);
    let dst_is = |v: i128| dst.is(v);

    // ---- ports and the loader's combinational part ----
    let s_data = m.input("s_data", inb);
    let s_valid = m.input("s_valid", 1);
    let s_last = m.input("s_last", 1);
    let in_qkv = lst_is(ls::Q).or(&lst_is(ls::K)).or(&lst_is(ls::V));
    let s_ready = select(
        &[
            (&lst_is(ls::HDR), &bit(true)),
            (&lst_is(ls::Q), &q_full.index(&ld_qbank).not()),
            (&lst_is(ls::K), &k_full.index(&ld_bank).not()),
            (&lst_is(ls::V), &v_full.index(&ld_bank).not()),
            (&lst_is(ls::DRAIN), &bit(true)),
        ],
        &bit(false),
    );
    m.output("s_ready", &s_ready);
    m.output("scale", &cat(&[&sc_mant, &sc_shift]));
    let accept = s_ready.and(&s_valid).named("accept");
    m.output("q_we", &accept.and(&lst_is(ls::Q)));
    let qa = fw.q_addr;
    let q_base = ld_qbank.mux(&m.lit(qa, k.max_e as u128), &m.lit(qa, 0));
    m.output("q_waddr", &q_base.add_wrap(&ld_idx.resize(qa)));
    m.output("kv_we", &accept.and(&lst_is(ls::K).or(&lst_is(ls::V))));
    let ka = fw.kv_addr;
    let kv_base = ld_bank.mux(&m.lit(ka, (k.max_e + k.max_f) as u128), &m.lit(ka, 0));
    let v_off = lst_is(ls::V).mux(&m.lit(ka, k.max_e as u128), &m.lit(ka, 0));
    m.output(
        "kv_waddr",
        &kv_base.add_wrap(&v_off).add_wrap(&ld_idx.resize(ka)),
    );
    m.output("chunk", &ld_chunk);
    let vec_end = ld_chunk
        .ext(8)
        .eq(&lst_is(ls::Q).mux(&m.lit(8, k.qch as u128 - 1), &m.lit(8, k.kch as u128 - 1)))
        .named("vec_end");
    let seg_end = vec_end
        .and(&lst_is(ls::V).mux(&at_f_last, &at_e_last))
        .named("seg_end");
    let ld_idx_inc = ld_idx.add_wrap(&ld_idx.lit(1)).named("ld_idx_inc");
    let ld_m0_next = ld_m0
        .add_wrap(&ld_m0.lit(k.rows as i128))
        .named("ld_m0_next");
    let ld_p0_next = ld_p0
        .add_wrap(&ld_p0.lit(k.cols as i128))
        .named("ld_p0_next");
    let ld_final = lst_is(ls::V)
        .and(&seg_end)
        .and(&ld_last_tile)
        .and(&ld_last_blk)
        .named("ld_final");
    // the loader's next state if a word is accepted this cycle (from registers and tlast only,
    // so that accept selects it at the end)
    let st_l = |v: i128| lst.lit(v);
    let lst_acc = select(
        &[
            (
                &lst_is(ls::HDR),
                &hdr_i
                    .is(HEADER_WORDS as i128 - 1)
                    .or(&s_last)
                    .mux(&st_l(ls::CHECK), &st_l(ls::HDR)),
            ),
            (
                &in_qkv,
                &select(
                    &[
                        (&ld_final.and(&s_last.not()), &st_l(ls::DRAIN)),
                        (&ld_final.not().and(&s_last), &st_l(ls::WAITEND)),
                        (&seg_end.not(), &lst),
                        (&lst_is(ls::Q), &st_l(ls::K)),
                        (&lst_is(ls::K), &st_l(ls::V)),
                        (&ld_last_tile.not(), &st_l(ls::K)),
                    ],
                    &ld_last_blk.mux(&st_l(ls::WAITEND), &st_l(ls::Q)),
                ),
            ),
            (
                &lst_is(ls::DRAIN),
                &s_last.mux(&st_l(ls::WAITEND), &st_l(ls::DRAIN)),
            ),
        ],
        &lst,
    )
    .named("lst_acc");

    // ---- errors (acted on a cycle later) ----
    let check = lst_is(ls::CHECK).and(&hq_v.not()).named("check");
    let code = |v: i128| st.lit(v);
    let hdr_short = hq_i.ne(&hq_i.lit(HEADER_WORDS as i128 - 1));
    let hdr_err = hdr_short
        .or(&magic_ok.not())
        .or(&shape_ok.not())
        .or(&scale_ok.not())
        .or(&hq_last);
    let hdr_code = select(
        &[
            (&hdr_short, &code(status::EARLY_END)),
            (&magic_ok.not(), &code(status::BAD_MAGIC)),
            (&shape_ok.not(), &code(status::BAD_SHAPE)),
            (&scale_ok.not(), &code(status::BAD_SCALE)),
        ],
        &code(status::EARLY_END),
    );
    // a data word's error: `accept` last, as it settles late (through s_ready from the
    // buffers' flags)
    let data_code = ld_final.mux(&code(status::MISSING_LAST), &code(status::EARLY_END));
    let data_err = accept.and(&in_qkv).and(&ld_final.xor(&s_last));
    let err = check.mux(&hdr_err, &data_err).named("err");
    let err_code = check
        .mux(
            &hdr_err.mux(&hdr_code, &code(status::OK)),
            &data_err.mux(&data_code, &code(status::OK)),
        )
        .named("err_code");

    // ---- the issuer's combinational part: the plan at the phase sequencer ----
    let is_m0_next = is_m0
        .add_wrap(&is_m0.lit(k.rows as i128))
        .named("is_m0_next");
    let is_p0_next = is_p0
        .add_wrap(&is_p0.lit(k.cols as i128))
        .named("is_p0_next");
    let m_left = m_len.sub_wrap(&is_m0).named("m_left");
    let p_left = p_len.sub_wrap(&is_p0).named("p_left");
    // the bank and presence of the tile of each epoch
    let pick = |ep: u32, e0: &Signal, e1: &Signal| if ep == 0 { e0.clone() } else { e1.clone() };
    let has_ep = |ep: u32| pick(ep, &has0.q(), &has1);
    let bank_ep = |ep: u32| pick(ep, &is_bank.q(), &is_bank.not());
    let (ek, ev) = (plan.src_epoch(XSrc::K), plan.src_epoch(XSrc::V));
    // a buffer is ready when it is loaded and not being released (a full flag with its
    // release pending still holds the tile before: the bank is read again only once reloaded)
    let loaded = |full: &Reg, cnts: &[Reg; 2], bank: &Signal| {
        let pending = bank.mux(&cnts[1].ne(&cnts[1].lit(0)), &cnts[0].ne(&cnts[0].lit(0)));
        full.index(bank).and(&pending.not())
    };
    // a period's buffers ready: its own tile's (`own`) Q and K, and the V of the tile reading
    // it (`v_reader`), each in its bank
    let buffers_ready = |own: &Signal, v_reader: &Signal, qb: &Signal, kb: &Signal, vb: &Signal| {
        own.not()
            .or(&loaded(&q_full, &rel_qc, qb).and(&loaded(&k_full, &rel_k, kb)))
            .and(&v_reader.not().or(&loaded(&v_full, &rel_v, vb)))
    };
    // after an error the V of the tile before is not waited for (see WAIT)
    let v_waited = if ev > 0 {
        has_ep(ev).and(&abort.not())
    } else {
        has_ep(ev)
    };
    let ready_to_run = buffers_ready(
        &has0.q(),
        &v_waited,
        &is_qbank.q(),
        &bank_ep(ek),
        &bank_ep(ev),
    )
    .named("ready_to_run");
    // the next period, as the end of this one leaves the tiles and banks: it starts at once,
    // with no WAIT cycle, when its buffers are ready now (no error, no handoff; see RUN)
    let has0_n = has0.and(&is_last_tile.and(&is_last_blk).not());
    let has1_n = if depth > 0 { has0.q() } else { rst.lit(0) };
    let bank_ep_n = |ep: u32| pick(ep, &is_bank.not(), &is_bank.q());
    let qbank_n = is_qbank.xor(&has0.and(&is_last_tile));
    let next_ready = abort
        .not()
        .and(&has0_n.or(&has1_n))
        .and(&buffers_ready(
            &has0_n,
            &pick(ev, &has0_n, &has1_n),
            &qbank_n,
            &bank_ep_n(ek),
            &bank_ep_n(ev),
        ))
        .named("next_ready");
    let running = ist_is(is::RUN);
    let blk_go = running
        .and(&ph.is(0))
        .and(&ph_first)
        .and(&is_m0.is(0))
        .and(&has0)
        .named("blk_go");
    let tile_end = running
        .and(&ph.is(np as i128 - 1))
        .and(&ph_last)
        .named("tile_end");
    let to_trail = ist_is(is::LASTDIV)
        .and(&dst_is(ds::IDLE))
        .or(&err_q.and(&ist_is(is::IDLE)))
        .named("to_trail");
    let issue = Issue::from_plan(
        &m,
        plan,
        &Seqr {
            ph: &ph,
            tt: &tt,
            mi: &mi,
            mdone: &mdone,
            running: &running,
        },
        &has_ep,
        &bank_ep,
        &ph_cnt,
        &is_m0.is(0),
    );
    let cols_l = p_left.lit(k.cols as i128);
    let cur_dnv = p_left
        .ge(&cols_l)
        .mux(&m.lit(k.nvw, k.cols as u128), &p_left.resize(k.nvw))
        .named("cur_dnv");

    // the command outputs, registered
    let r_op = m.output_reg("r_op", op::BITS).reset(&rst, 0);
    let r_src = m.output_reg("r_src", 2).reset(&rst, 0);
    let r_idx = m.output_reg("r_idx", idx).reset(&rst, 0);
    let r_bank = m.output_reg("r_bank", 1).reset(&rst, 0);
    let r_nvalid = m.output_reg("r_nvalid", fw.nvalid).reset(&rst, 0);
    let c_q = m.output_reg("c_q", 1).reset(&rst, 0);
    let c_idx = m.output_reg("c_idx", idx).reset(&rst, 0);
    let c_seed = m.output_reg("c_seed", 1).reset(&rst, 0);
    let c_qbank = m.output_reg("c_qbank", 1).reset(&rst, 0);
    m.output("div_start", &dst_is(ds::START));
    m.output("div_f", &dvf);
    m.output("div_bank", &dbank);
    let av_valid = m.input("av_valid", 1);
    m.output("sel", &j);
    m.output("av_nv", &dnv);
    let av_word = m.input("av_word", 64);
    let o_data = m.wire("o_data_w", 64, false);
    m.output("o_data", &o_data);
    let trail = ist_is(is::TRAIL);
    let trailer = case(
        &tk,
        &[
            (
                0,
                &cat(&[
                    &m.lit(32, MAGIC_TRAILER as u128),
                    &blocks_out.resize(BLOCKS_BITS),
                    &st,
                ]),
            ),
            (1, &c_cycles.ext(64)),
            (2, &c_busy2d.ext(64)),
            (3, &c_busy1d.ext(64)),
            (4, &c_stall_in.ext(64)),
        ],
        &c_stall_out.ext(64),
    );
    m.assign(&o_data, &trail.mux(&trailer, &av_word));
    m.output("o_last", &trail.and(&tk.is(TRAILER_WORDS as i128 - 1)));
    let o_valid = m.wire("o_valid_w", 1, false);
    m.output("o_valid", &o_valid);
    let fifo_free = m.input("fifo_free", k.ffb);
    let fifo_ready = m.input("fifo_ready", 1);
    m.assign(&o_valid, &dst_is(ds::PUSH).or(&trail.and(&fifo_ready)));
    m.output("status", &st);
    m.output("busy", &active);
    m.output("perf_cycles", &c_cycles);
    m.output("perf_busy_2d", &c_busy2d);
    m.output("perf_busy_1d", &c_busy1d);
    m.output("perf_stall_in", &c_stall_in);
    m.output("perf_stall_out", &c_stall_out);
    let och_lit = fifo_free.lit(k.och as i128);
    let space = fifo_free.ge(&och_lit);

    // ---- the clock edge (out of reset; the registers without a reset hold in it) ----
    m.when(&rst.not(), |m| {
        // counters. A tile's 1D work (its tally from the plan) is a window of cycles after its
        // end; a cycle counts once whether the units do a tile's work, a division or both.
        let win_dec = win1d
            .ne(&win1d.lit(0))
            .mux(&win1d.sub_wrap(&win1d.lit(1)), &win1d.lit(0));
        let fin_any = tile_end.and(&has_ep(depth));
        // a new window covers what is left of the last (the union of the windows: a cycle
        // counts once, and the count cannot grow past one window)
        let tb = tile_busy1d.ext(tw + 1);
        win1d.set(&fin_any.mux(&win_dec.ge(&tb).mux(&win_dec, &tb), &win_dec));
        busy2d_q.set(&issue.busy);
        busy1d_q.set(&win1d.ne(&win1d.lit(0)).or(&dst_is(ds::WAIT)));
        // every cycle between periods while a tile remains: waiting for its buffers, and the
        // cycle that finds them ready
        stall_in_q.set(&ist_is(is::WAIT).and(&has0.or(&has1)));
        next_ready_q.set(&next_ready);
        m.when(&cnt_on, |m| {
            // each +1 counter steps in two halves (see count_half)
            count_half(m, &c_cycles, &cy_cycles, &bit(true));
            count_half(m, &c_stall_in, &cy_stall_in, &stall_in_q);
            count_half(
                m,
                &c_stall_out,
                &cy_stall_out,
                &dst_is(ds::SPACE).and(&space.not()),
            );
            count_half(m, &c_busy1d, &cy_busy1d, &busy1d_q);
            count_half(m, &c_busy2d, &cy_busy2d, &busy2d_q);
        });
        // a job's registers start fresh a cycle after its first header word
        clr_q.set(&accept.and(&lst_is(ls::HDR)).and(&hdr_i.is(0)));
        m.when(&clr_q, |_| {
            st.set(&st.lit(status::OK));
            abort.set(&bit(false));
            blocks_out.set(&blocks_out.lit(0));
            cnt_on.set(&bit(true));
            // the cycle of the first header word and this one
            c_cycles.set(&c_cycles.lit(2));
            for c in [&c_busy2d, &c_busy1d, &c_stall_in, &c_stall_out] {
                c.set(&c.lit(0));
            }
            for f in [
                &cy_cycles,
                &cy_busy2d,
                &cy_busy1d,
                &cy_stall_in,
                &cy_stall_out,
            ] {
                f.set(&bit(false));
            }
            trail_done.set(&bit(false));
        });
        // delayed buffer releases: started as the phase reading the buffer starts (a block's
        // Q in its last tile's period), after the feeders' skew and the phase's reserved slots
        let start = |x: XSrc| {
            let (n, delay) = release_delay(cfg, plan, x);
            (running.and(&ph.is(n as i128)).and(&ph_first), delay)
        };
        let (k_go, k_delay) = start(XSrc::K);
        let (v_go, v_delay) = start(XSrc::V);
        let (q_go, q_delay) = start(XSrc::None);
        // a block's Q: started a cycle late, with a delay one shorter, when is_last_tile has
        // caught up with the period's tile
        q_rel_go.set(&q_go.and(&has0));
        for (cnts, go, bank, delay) in [
            (&rel_k, k_go.and(&has_ep(ek)), bank_ep(ek), k_delay),
            (&rel_v, v_go.and(&has_ep(ev)), bank_ep(ev), v_delay),
            (
                &rel_qc,
                q_rel_go.and(&is_last_tile),
                is_qbank.q(),
                q_delay - 1,
            ),
        ] {
            assert!(delay < 256, "controller: a release delay fits 8 bits");
            for (b, c) in cnts.iter().enumerate() {
                let mine = if b == 1 { bank.clone() } else { bank.not() };
                m.when_else(
                    &go.and(&mine),
                    |_| c.set(&c.lit(delay as i128)),
                    |m| m.when(&c.ne(&c.lit(0)), |_| c.set(&c.sub_wrap(&c.lit(1)))),
                );
            }
        }
        // loader
        m.when(&accept, |m| {
            m.when(&lst_is(ls::HDR), |m| {
                m.when_else(
                    &hdr_i.is(HEADER_WORDS as i128 - 1).or(&s_last),
                    |_| {
                        hdr_i.set(&hdr_i.lit(0));
                        active.set(&bit(true));
                    },
                    |_| hdr_i.set(&hdr_i.add_wrap(&hdr_i.lit(1))),
                )
            });
            m.when(&in_qkv, |m| {
                ld_chunk.set(&vec_end.mux(&ld_chunk.lit(0), &ld_chunk.add_wrap(&ld_chunk.lit(1))));
                m.when(&vec_end, |_| {
                    ld_idx.set(&seg_end.mux(&ld_idx.lit(0), &ld_idx_inc));
                    at_e_last.set(&seg_end.mux(&e_last.is(0), &ld_idx_inc.eq(&e_last)));
                    at_f_last.set(&seg_end.mux(&f_last.is(0), &ld_idx_inc.eq(&f_last)));
                });
                m.when(&seg_end, |m| {
                    m.when(&lst_is(ls::Q), |_| ld_qbank.set(&ld_qbank.not()));
                    m.when(&lst_is(ls::V), |m| {
                        ld_bank.set(&ld_bank.not());
                        m.when_else(
                            &ld_last_tile,
                            |_| {
                                ld_m0.set(&ld_m0.lit(0));
                                ld_p0.set(&ld_p0_next);
                            },
                            |_| ld_m0.set(&ld_m0_next),
                        );
                    });
                });
            });
            lst.set(&lst_acc);
        });
        ld_last_tile.set(&ld_m0_next.ge(&m_len));
        is_last_tile.set(&is_m0_next.ge(&m_len));
        is_last_blk.set(&is_p0_next.ge(&p_len));
        ld_last_blk.set(&ld_p0_next.ge(&p_len));
        // header words, decoded a cycle after they are accepted (values above a field's width
        // are out of range: the high bits must be zero)
        let hdr_word = accept.and(&lst_is(ls::HDR));
        hq_v.set(&hdr_word);
        m.when(&hdr_word, |_| {
            hq.set(&s_data);
            hq_i.set(&hdr_i);
            hq_last.set(&s_last);
        });
        m.when(&hq_v, |m| {
            m.switch(&hq_i, |sw| {
                sw.case(0, |_| magic_ok.set(&hq.eq(&hq.lit(MAGIC_IN as i128))));
                sw.case(1, |_| {
                    p_len.set(&hq.slice(k.pw - 1, 0));
                    shape_ok.set(&range_check(&hq, k.max_q));
                });
                sw.case(2, |_| {
                    m_len.set(&hq.slice(k.mw - 1, 0));
                    shape_ok.set(&shape_ok.and(&range_check(&hq, k.max_kv)));
                });
                sw.case(3, |_| {
                    e_len.set(&hq.slice(k.ew - 1, 0));
                    shape_ok.set(&shape_ok.and(&range_check(&hq, k.max_e)));
                });
                sw.case(4, |_| {
                    let f = hq.slice(k.fw - 1, 0);
                    f_len.set(&f);
                    f_lm1.set(&f.sub_wrap(&f.lit(1)));
                    shape_ok.set(&shape_ok.and(&range_check(&hq, k.max_f)));
                });
                sw.case(5, |_| {
                    sc_mant.set(&hq.slice(k.mant - 1, 0));
                    mant_ok.set(&hq.slice(inb - 1, k.mant - 1).is(1));
                });
                sw.default(|_| {
                    sc_shift.set(&hq.slice(k.shb - 1, 0));
                    scale_ok.set(&mant_ok.and(&hq.slice(inb - 1, k.shb).is(0)));
                });
            })
        });
        m.when(&check, |m| {
            m.when_else(
                &err,
                |_| lst.set(&hq_last.mux(&st_l(ls::WAITEND), &st_l(ls::DRAIN))),
                |_| {
                    lst.set(&st_l(ls::Q));
                    let e_idx = e_len.resize(idx);
                    let f_idx = f_len.resize(idx);
                    e_last.set(&e_idx.sub_wrap(&e_idx.lit(1)));
                    f_last.set(&f_idx.sub_wrap(&f_idx.lit(1)));
                    ld_idx.set(&ld_idx.lit(0));
                    at_e_last.set(&e_idx.is(1));
                    at_f_last.set(&f_idx.is(1));
                    ld_chunk.set(&ld_chunk.lit(0));
                    for r in [&ld_bank, &ld_qbank, &is_qbank, &is_bank] {
                        r.set(&bit(false));
                    }
                    for r in [&ld_m0, &ld_p0, &is_m0, &is_p0] {
                        r.set(&r.lit(0));
                    }
                    ist.set(&ist.lit(is::WAIT));
                    has0.set(&bit(true));
                    if let Some(h) = &has1_reg {
                        h.set(&bit(false));
                    }
                },
            )
        });
        m.when(&lst_is(ls::WAITEND).and(&trail_done), |_| {
            lst.set(&st_l(ls::HDR));
            trail_done.set(&bit(false));
        });
        // issuer
        let st_i = |v: i128| ist.lit(v);
        // the phase sequencer at a period's start
        let period_start = || {
            ph.set(&ph.lit(0));
            tt.set(&tt.lit(0));
            left.set(&ph_lm1[0]);
            ph_first.set(&bit(true));
            ph_last.set(&ph_one[0]);
            mi.set(&mi.lit(0));
            mdone.set(&ph_cnt[0].is(0));
        };
        m.switch(&ist, |sw| {
            sw.case(is::WAIT, |m| {
                // the phase sequencer stands at the period's start while waiting (it is read
                // only while running), so its loads wait for neither the error compare nor
                // the banks
                period_start();
                // after an error, the tiles of the block whose input is incomplete are not
                // started; a tile already started is finished (in the 1D units every LM has its
                // SLD), with whatever its V buffer holds if its block is incomplete (never
                // divided): so the V of the tile before is not waited for after an error
                // (a block is complete once the loader is past it; with two tiles in flight
                // the issuer may already be at the next block)
                let drop0 = abort.and(&has0).and(&is_p0.ge(&ld_p0));
                m.when(&drop0, |_| has0.set(&bit(false)));
                m.when(&drop0.not(), |m| {
                    m.when_else(
                        &has0.or(&has1).not(),
                        |_| ist.set(&st_i(is::LASTDIV)),
                        |m| m.when(&ready_to_run, |_| ist.set(&st_i(is::RUN))),
                    )
                });
            });
            sw.case(is::RUN, |m| {
                m.when_else(
                    &tile_end,
                    |m| {
                        is_bank.set(&is_bank.not());
                        let own_last = has0.and(&is_last_tile);
                        m.when(&own_last, |_| is_qbank.set(&is_qbank.not()));
                        // the period's own tile advances
                        m.when(&has0, |m| {
                            m.when_else(
                                &is_last_tile,
                                |m| {
                                    is_m0.set(&is_m0.lit(0));
                                    is_p0.set(&is_p0_next);
                                    m.when(&is_last_blk, |_| has0.set(&bit(false)));
                                },
                                |_| is_m0.set(&is_m0_next),
                            )
                        });
                        // the tile the period finished: its block goes to the divider if it
                        // was the block's last
                        let fin_last = match (&has1_reg, &p1) {
                            (Some(h1), Some((p1_last, p1_dnv, p1_bank, p1_p0))) => {
                                hf_dnv.set(p1_dnv);
                                hf_bank.set(p1_bank);
                                p1_last.set(&is_last_tile);
                                p1_dnv.set(&cur_dnv);
                                p1_bank.set(&blk_bank);
                                p1_p0.set(&is_p0);
                                h1.set(&has0);
                                // a block whose input is incomplete is never divided
                                let incomplete = abort.and(&p1_p0.ge(&ld_p0));
                                h1.and(p1_last).and(&incomplete.not())
                            }
                            _ => {
                                hf_dnv.set(&cur_dnv);
                                hf_bank.set(&blk_bank);
                                own_last
                            }
                        };
                        // the next period at once when nothing waits (its phase sequencer set
                        // as WAIT sets it), else WAIT or HANDOFF
                        // (next_ready registered: the tiles and banks it reads hold all period,
                        // the next period's flags are only ever set meanwhile)
                        let direct = fin_last.not().and(&next_ready_q);
                        ist.set(&select(
                            &[(&fin_last, &st_i(is::HANDOFF)), (&direct, &st_i(is::RUN))],
                            &st_i(is::WAIT),
                        ));
                        m.when(&direct, |_| period_start());
                    },
                    |m| {
                        m.when_else(
                            &ph_last,
                            |m| {
                                // the next phase of the plan
                                m.switch(&ph, |sw| {
                                    for n in 0..np - 1 {
                                        sw.case(n as i128, |_| {
                                            ph.set(&ph.lit(n as i128 + 1));
                                            left.set(&ph_lm1[n + 1]);
                                            ph_last.set(&ph_one[n + 1]);
                                            mdone.set(&ph_cnt[n + 1].is(0));
                                        });
                                    }
                                });
                                tt.set(&tt.lit(0));
                                mi.set(&mi.lit(0));
                                ph_first.set(&bit(true));
                            },
                            |m| {
                                tt.set(&tt.add_wrap(&tt.lit(1)));
                                left.set(&left.sub_wrap(&left.lit(1)));
                                ph_first.set(&bit(false));
                                ph_last.set(&left.is(1));
                                m.when(&issue.main, |_| {
                                    let mi1 = mi.add_wrap(&mi.lit(1));
                                    mi.set(&mi1);
                                    mdone.set(&mi1.eq(&issue.cnt));
                                });
                            },
                        )
                    },
                )
            });
            sw.case(is::HANDOFF, |m| {
                m.when(&dst_is(ds::IDLE), |_| {
                    dst.set(&dst.lit(ds::FLUSH));
                    dfl.set(&dfl.lit(0));
                    dbank.set(&hf_bank);
                    dnv.set(&hf_dnv);
                    dvf.set(&dvf.lit(0));
                    ist.set(&st_i(is::WAIT));
                })
            });
            sw.case(is::LASTDIV, |m| {
                m.when(&dst_is(ds::IDLE), |_| {
                    ist.set(&st_i(is::TRAIL));
                    tk.set(&tk.lit(0));
                })
            });
            sw.case(is::TRAIL, |m| {
                m.when(&o_valid, |m| {
                    m.when_else(
                        &tk.is(TRAILER_WORDS as i128 - 1),
                        |_| {
                            ist.set(&st_i(is::IDLE));
                            active.set(&bit(false));
                            trail_done.set(&bit(true));
                        },
                        |_| tk.set(&tk.add_wrap(&tk.lit(1))),
                    )
                })
            });
        });
        m.when(&blk_go, |_| blk_bank.set(&blk_bank.not()));
        // commands to the feeders, a cycle after their tile time
        r_op.set(&issue.op);
        r_src.set(&issue.src);
        r_idx.set(&issue.idx.resize(idx));
        c_idx.set(&issue.idx.resize(idx));
        c_q.set(&issue.q);
        c_seed.set(&issue.seed);
        r_bank.set(&issue.kv_bank);
        let rows = m_left.lit(k.rows as i128);
        r_nvalid.set(
            &m_left
                .ge(&rows)
                .mux(&r_nvalid.lit(k.rows as i128), &m_left.resize(fw.nvalid)),
        );
        c_qbank.set(&is_qbank);
        // divider sequencer
        let st_d = |v: i128| dst.lit(v);
        m.switch(&dst, |sw| {
            sw.case(ds::FLUSH, |m| {
                m.when_else(
                    &dfl.is(k.flush as i128),
                    |_| dst.set(&st_d(ds::SPACE)),
                    |_| dfl.set(&dfl.add_wrap(&dfl.lit(1))),
                )
            });
            sw.case(ds::SPACE, |m| m.when(&space, |_| dst.set(&st_d(ds::START))));
            sw.case(ds::START, |_| dst.set(&st_d(ds::WAIT)));
            sw.case(ds::WAIT, |m| {
                m.when(&av_valid, |_| {
                    dst.set(&st_d(ds::PUSH));
                    j.set(&j.lit(0));
                })
            });
            sw.case(ds::PUSH, |m| {
                m.when_else(
                    &j.is(k.och as i128 - 1),
                    |m| {
                        j.set(&j.lit(0));
                        m.when_else(
                            &dvf.resize(k.fw).eq(&f_lm1),
                            |_| {
                                dst.set(&st_d(ds::IDLE));
                                blocks_out.set(&blocks_out.add_wrap(&blocks_out.lit(1)));
                            },
                            |_| {
                                dvf.set(&dvf.add_wrap(&dvf.lit(1)));
                                dst.set(&st_d(ds::SPACE));
                            },
                        )
                    },
                    |_| j.set(&j.add_wrap(&j.lit(1))),
                )
            });
        });
        // An error is acted on a cycle after it is seen: the status is set and the job aborts.
        // A header error has started nothing: the trailer goes at once. An error in the data
        // lets the issuer finish the query blocks whose input was complete (is::WAIT).
        err_q.set(&err);
        err_code_q.set(&err_code);
        m.when(&err_q, |m| {
            st.set(&err_code_q);
            abort.set(&bit(true));
            m.when(&ist_is(is::IDLE), |_| {
                ist.set(&st_i(is::TRAIL));
                tk.set(&tk.lit(0));
            });
        });
        // the buffers' flags: set by the loader, cleared by the delayed releases, and all
        // cleared (with the counters stopped) as the trailer starts, freeing an aborted job's
        // a flag is cleared as its countdown reaches 1, set as the loader fills its bank
        let after_rel = |full: &Reg, cnts: &[Reg; 2]| {
            let keep = cat(&[&cnts[1].is(1).not(), &cnts[0].is(1).not()]);
            full.and(&keep)
        };
        let load = |full: Signal, state: i128, bank: &Signal| {
            let done = accept.and(&lst_is(state)).and(&seg_end);
            done.mux(&with_bit(&full, bank, true), &full)
        };
        let k_next = load(after_rel(&k_full, &rel_k), ls::K, &ld_bank);
        let v_next = load(after_rel(&v_full, &rel_v), ls::V, &ld_bank);
        let q_next = load(after_rel(&q_full, &rel_qc), ls::Q, &ld_qbank);
        k_full.set(&k_next);
        v_full.set(&v_next);
        q_full.set(&q_next);
        m.when(&to_trail, |_| {
            cnt_on.set(&bit(false));
            k_full.set(&k_full.lit(0));
            v_full.set(&v_full.lit(0));
            q_full.set(&q_full.lit(0));
            for c in rel_k.iter().chain(&rel_v).chain(&rel_qc) {
                c.set(&c.lit(0));
            }
        });
        // the plan's lengths and tallies for the job's E and F
        m.when(&lst_is(ls::Q), |_| {
            for (n, p) in plan.phases.iter().enumerate() {
                // length - 1 = max(count + reserved, min_len) - 1
                let lm1 = if p.count.e == 0 && p.count.f == 0 {
                    tt.lit(plan.len(p, 0, 0) as i128 - 1)
                } else {
                    let reserved = plan.reserved_slots(p);
                    let a = Affine::new(p.count.e, p.count.f, p.count.c + reserved - 1);
                    let v = affine(&a, &e_len, &f_len, tw);
                    if p.min_len > 0 {
                        let lo = v.lit(p.min_len as i128 - 1);
                        v.ge(&lo).mux(&v, &lo)
                    } else {
                        v
                    }
                };
                ph_lm1[n].set(&lm1);
                ph_one[n].set(&lm1.is(0));
                if let Some(r) = &ph_cnt_reg[n] {
                    r.set(&affine(&p.count, &e_len, &f_len, k.nw));
                }
            }
            tile_busy1d.set(&affine(&plan.busy_1d_affine(), &e_len, &f_len, tw));
        });
    });
    m.finish()
}

/// The phase sequencer's state the issue is decoded from.
struct Seqr<'a> {
    ph: &'a Signal,
    tt: &'a Signal,
    mi: &'a Signal,
    mdone: &'a Signal,
    running: &'a Signal,
}

/// What the issuer sends the feeders at the phase sequencer's state: generated from the plan,
/// one arm per phase (nothing outside a running period).
struct Issue {
    /// {bank, code}
    op: Signal,
    src: Signal,
    idx: Signal,
    q: Signal,
    seed: Signal,
    /// the K/V bank of the main op's tile
    kv_bank: Signal,
    /// a main op's slot (the phase's main-op index steps)
    main: Signal,
    /// the phase's main-op count
    cnt: Signal,
    /// PE (0, 0)'s functional unit gets useful work (a busy main op, an exp multiply)
    busy: Signal,
}

impl Issue {
    fn from_plan(
        m: &Module,
        plan: &TilePlan,
        sq: &Seqr,
        has_ep: &dyn Fn(u32) -> Signal,
        bank_ep: &dyn Fn(u32) -> Signal,
        cnts: &[Signal],
        first_tile: &Signal,
    ) -> Issue {
        let running = sq.running;
        let b = |v: bool| running.lit(v as i128);
        let code = |v: i128| m.lit(op::CODE_BITS, v as u128);
        // the exp's reserved slots, decoded once from tt (they read only in an exp phase)
        let slot_of = |what: Reserved, name: &str| {
            (0..plan.exp_window())
                .filter(|&k| plan.reserved(k) == Some(what))
                .map(|k| sq.tt.is(k as i128))
                .reduce(|x, y| x.or(&y))
                .unwrap()
                .named(name)
        };
        let x_start = slot_of(Reserved::Start, "x_start");
        let x_mul = slot_of(Reserved::Mul, "x_mul");
        let free = x_start.or(&x_mul).not().named("x_free");
        // per phase: a main op's slot, that op issued (its tile exists), the EXP issued
        struct Ph {
            main: Signal,
            live: Signal,
            exp_go: Option<Signal>,
        }
        let ph: Vec<Ph> = plan
            .phases
            .iter()
            .map(|p| {
                let main = match p.exp {
                    Some(_) => free.and(&sq.mdone.not()),
                    None => sq.mdone.not(),
                };
                Ph {
                    live: main.and(&has_ep(p.epoch)),
                    main,
                    exp_go: p.exp.map(|ep| x_start.and(&has_ep(ep))),
                }
            })
            .collect();
        // a phase's value while running; `none` otherwise
        let arms = |value: &dyn Fn(&Phase, &Ph) -> Signal, none: Signal| {
            let v: Vec<(i128, Signal)> = plan
                .phases
                .iter()
                .zip(&ph)
                .enumerate()
                .map(|(n, (p, s))| (n as i128, value(p, s)))
                .collect();
            let refs: Vec<(i128, &Signal)> = v.iter().map(|(n, s)| (*n, s)).collect();
            running.mux(&case(sq.ph, &refs, &none), &none)
        };
        let op = arms(
            &|p, s| {
                let main_code = if p.op == op::MAC {
                    sq.mi.is(0).mux(&code(op::MAC0), &code(op::MAC))
                } else if p.op == op::LM {
                    // the LM of a block's first tile starts the block in the 1D units
                    assert_eq!(p.epoch, 0, "controller: LM is of the period's own tile");
                    first_tile.mux(&code(op::LM0), &code(op::LM))
                } else {
                    code(p.op)
                };
                let main = s.live.mux(&main_code, &code(op::NOP));
                match (p.exp, &s.exp_go) {
                    (Some(ep), Some(go)) => cat(&[
                        &x_start.mux(&bank_ep(ep), &bank_ep(p.epoch)),
                        &go.mux(&code(op::EXP), &main),
                    ]),
                    _ => cat(&[&bank_ep(p.epoch), &main]),
                }
            },
            m.lit(op::BITS, 0),
        )
        .named("i_op");
        Issue {
            op,
            src: arms(
                &|p, s| match p.x {
                    XSrc::None => m.lit(2, 0),
                    x => s.live.mux(&m.lit(2, src_code(x) as u128), &m.lit(2, 0)),
                },
                m.lit(2, 0),
            )
            .named("i_src"),
            idx: sq.mi.clone(),
            q: arms(
                &|p, s| if p.q { s.live.clone() } else { b(false) },
                b(false),
            )
            .named("i_q"),
            seed: arms(&|p, _| b(p.seed == Seed::NegInf), b(false)).named("i_seed"),
            kv_bank: arms(&|p, _| bank_ep(p.epoch), b(false)).named("i_bank"),
            main: arms(&|_, s| s.main.clone(), b(false)).named("i_main"),
            cnt: {
                let refs: Vec<(i128, &Signal)> = cnts
                    .iter()
                    .enumerate()
                    .map(|(n, c)| (n as i128, c))
                    .collect();
                case(sq.ph, &refs, &cnts[0]).named("i_cnt")
            },
            busy: arms(
                &|p, s| {
                    let work = if p.busy_2d { s.live.clone() } else { b(false) };
                    match p.exp {
                        Some(ep) => work.or(&x_mul.and(&has_ep(ep))),
                        None => work,
                    }
                },
                b(false),
            )
            .named("i_busy"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::count_half;
    use crate::ir::{Module, Sim};

    /// The split counter at 8 bits (halves of 4) against a plain count over 2,000 cycles of a
    /// pseudo-random enable: many carries into the high half and several wraps.
    #[test]
    fn a_split_counter_counts_exactly() {
        let mut m = Module::new("split_counter", "");
        m.clock("clock");
        let rst = m.input("rst", 1);
        let inc = m.input("inc", 1);
        let c = m.output_reg("c", 8).reset(&rst, 0);
        let cy = m.reg("cy", 1).reset(&rst, 0);
        count_half(&mut m, &c, &cy, &inc);
        let mut s = Sim::new(&m.finish());
        s.set("rst", 1);
        s.step();
        s.set("rst", 0);
        let (mut want, mut x) = (0i128, 12345u32);
        for _ in 0..2000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let on = (x >> 16) & 3 != 0;
            s.set("inc", on as i128);
            s.step();
            want = (want + on as i128) % 256;
            assert_eq!(s.get("c"), want);
        }
    }
}
