//! `model`: the analytic cycle model of one job on the engine with no stalls (the input offers
//! a word every cycle, the output is always ready). It follows the job as a timeline of
//! events, one per input segment (a Q block, a K or V tile) and one per period of the plan,
//! each a closed formula of the events before it, so it costs O(tiles), not O(cycles):
//!
//! - the **loader** takes the header (`HEADER_WORDS` words, one a cycle), checks it for two
//!   cycles, then the segments in stream order, one word a cycle; a segment waits for its
//!   buffer (its Q bank, K or V half of its K/V bank) to be released by the tile before it in
//!   that buffer, and its buffer is full the cycle after its last word;
//! - the **issuer** runs the plan's periods (`TilePlan::period` cycles each), back to back when
//!   the next period's buffers are full in a period's last cycle but one, else after waiting (at
//!   least one cycle) until they are full; after the header and after a handoff it waits too. A buffer is
//!   released `R + 2` (K, V) or `C + 2` (Q) cycles, plus the phase's reserved slots, after the
//!   phase reading it starts, as the controller's release countdowns do;
//! - after the period that finishes a block's last tile the issuer hands the block to the
//!   **divider sequencer** (one cycle, once the divider has finished the block before), which
//!   waits `flush + 1` cycles, then per f: checks the output FIFO's room, starts the division
//!   ([`crate::softmax_unit::div_latency`] cycles) and pushes the f's words;
//! - the counters (`docs/interface.md`, Counters) run from the first header word to the start
//!   of the trailer, which follows the last block's divisions.
//!
//! Every Verilator test of a whole job (`tb/tests/engine_verilator.rs`) checks that the RTL's
//! counters equal this model's exactly.

use crate::buffers::chunks;
use crate::config::Config;
use crate::schedule::{TilePlan, XSrc};
use crate::stream::HEADER_WORDS;

/// What the model predicts for one job (the trailer's counters and figures from them).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// The trailer's `cycles`: first header word to the trailer's start.
    pub cycles: u64,
    /// The trailer's `busy_2d` (PE (0, 0)'s useful operations).
    pub busy_2d: u64,
    /// The trailer's `busy_1d` (the 1D units' tile windows and divisions).
    pub busy_1d: u64,
    /// Cycles the issuer spent between periods (WAIT): waiting for a tile's buffers, and the
    /// cycle that finds them ready (after the header and after each block's handoff).
    pub stall_in: u64,
    /// Cycles the divider sequencer waited for room in the output FIFO.
    pub stall_out: u64,
    /// The matmul MAC bound of the array (`TilePlan::ideal_cycles`).
    pub ideal_cycles: u64,
    /// Key tiles of the job: ceil(P / C) * ceil(M / R).
    pub tiles: u64,
    /// Periods the issuer runs (tiles + tiles in flight - 1).
    pub periods: u64,
    /// Cycles of one period of the plan.
    pub tile_period: u64,
    /// Input words the job's stream holds (header included).
    pub input_words: u64,
    /// Input words a period needs in steady state per cycle of a period (K, V and a share of
    /// Q, over the period): above 1 the job is bound by the input stream
    /// (`stream_bits` a word), not by the array.
    pub input_words_per_cycle: f64,
    /// The longest wait of the issuer for input after the job's first period (0 when the
    /// loader keeps ahead of the array).
    pub max_period_wait: u64,
}

impl Estimate {
    /// busy_2d / cycles.
    pub fn util_2d(&self) -> f64 {
        self.busy_2d as f64 / self.cycles.max(1) as f64
    }
    /// busy_1d / cycles.
    pub fn util_1d(&self) -> f64 {
        self.busy_1d as f64 / self.cycles.max(1) as f64
    }
    /// cycles / ideal_cycles.
    pub fn cycles_over_ideal(&self) -> f64 {
        self.cycles as f64 / self.ideal_cycles.max(1) as f64
    }
}

/// Cycles the divider sequencer spends on one f when the output FIFO has room: SPACE, START,
/// the division and the f's words pushed one a cycle.
fn per_f(div_lat: u64, och: u64) -> u64 {
    2 + div_lat + och
}

/// Cycles of the union of half-open intervals `[a, b)` below `end`.
fn union_below(mut iv: Vec<(u64, u64)>, end: u64) -> u64 {
    iv.sort_unstable();
    let (mut total, mut cur) = (0u64, None::<(u64, u64)>);
    for (a, b) in iv.into_iter().chain([(u64::MAX, u64::MAX)]) {
        match cur {
            Some((s, e)) if a <= e => cur = Some((s, e.max(b))),
            _ => {
                if let Some((s, e)) = cur {
                    total += e.min(end).saturating_sub(s.min(end));
                }
                cur = Some((a, b));
            }
        }
    }
    total
}

/// The loader's timeline: segments in stream order (Q of a block, then K and V of each of its
/// tiles), each one word a cycle from the later of the loader's next cycle and its buffer's
/// release.
struct Loader {
    next: u64,
    /// tiles per block, and input words of a Q block, a K and a V segment
    nt: u64,
    q_words: u64,
    k_words: u64,
    v_words: u64,
    /// the first cycle each buffer (per bank) may be written again
    free_k: [u64; 2],
    free_v: [u64; 2],
    free_q: [u64; 2],
    /// the cycle of each segment's last word
    end_q: Vec<u64>,
    end_k: Vec<u64>,
    end_v: Vec<u64>,
}

impl Loader {
    /// Loads the segments up to tile `t`'s V (and its block's Q).
    fn to(&mut self, t: u64) {
        while (self.end_k.len() as u64) <= t {
            let n = self.end_k.len() as u64;
            let bank = (n % 2) as usize;
            if n.is_multiple_of(self.nt) {
                let b = n / self.nt;
                let s = self.next.max(self.free_q[(b % 2) as usize]);
                self.end_q.push(s + self.q_words - 1);
                self.next = s + self.q_words;
            }
            let s = self.next.max(self.free_k[bank]);
            self.end_k.push(s + self.k_words - 1);
            let s = (s + self.k_words).max(self.free_v[bank]);
            self.end_v.push(s + self.v_words - 1);
            self.next = s + self.v_words;
        }
    }
}

/// The model of job (`p`, `m`, `e`, `f`) on `cfg` (see the module doc). The job must be valid
/// for the config (`Config::validate_job`).
pub fn estimate(cfg: &Config, p: usize, m: usize, e: usize, f: usize) -> Estimate {
    let plan = TilePlan::new(cfg);
    let depth = plan.depth() as u64;
    let nb = p.div_ceil(cfg.cols) as u64;
    let nt = m.div_ceil(cfg.rows) as u64;
    let tiles = nb * nt;
    let periods = plan.periods(tiles);
    let l = plan.period(e, f) as u64;
    let starts = plan.starts(e, f);
    let (kch, qch) = (chunks(cfg, cfg.rows) as u64, chunks(cfg, cfg.cols) as u64);
    let (e64, f64_) = (e as u64, f as u64);
    let och = cfg.cols.div_ceil(cfg.derived().out_lanes) as u64;
    // a FIFO drained every cycle holds at most the word pushed in the cycle before: an f after
    // the first of a block finds depth - 1 slots free, and waits a cycle if they are too few
    let space_wait = u64::from(cfg.fifo_depth as u64 <= och);
    // a buffer's release: cycles from the period's start to the cycle it is free again
    let release = |x: XSrc| {
        let (n, delay) = crate::controller::release_delay(cfg, &plan, x);
        (starts[n] as usize + delay + 1) as u64
    };
    let rel_k = release(XSrc::K);
    let rel_v = release(XSrc::V);
    let rel_q = release(XSrc::None);
    let (ek, ev) = (
        plan.src_epoch(XSrc::K) as u64,
        plan.src_epoch(XSrc::V) as u64,
    );

    let mut ld = Loader {
        next: HEADER_WORDS as u64 + 2, // the first cycle the loader takes data
        nt,
        q_words: e64 * qch,
        k_words: e64 * kch,
        v_words: f64_ * kch,
        free_k: [0; 2],
        free_v: [0; 2],
        free_q: [0; 2],
        end_q: vec![],
        end_k: vec![],
        end_v: vec![],
    };
    // the issuer's next WAIT cycle, or the next period's first when it follows at once
    let mut w = HEADER_WORDS as u64 + 2;
    let mut stall_in = 0u64;
    let mut stall_out = 0u64;
    let mut max_wait = 0u64;
    let mut div_free = 0u64; // the first cycle the divider sequencer is idle
                             // the cycles the 1D units count as busy: tile windows and divisions
    let mut busy: Vec<(u64, u64)> = vec![];
    let div_lat = crate::softmax_unit::div_latency(cfg) as u64;
    let f_cycles = per_f(div_lat, och);
    let tile_1d = plan.busy_1d(e, f) as u64;
    let mut handed_off = true; // the first period follows the header's check, in WAIT
    for k in 0..periods {
        // the tile of each epoch in this period, if it exists
        let tile = |ep: u64| (k >= ep && k - ep < tiles).then(|| k - ep);
        // the first cycle all its buffers are full
        let mut need = 0;
        if let Some(t) = tile(0) {
            ld.to(t);
            need = need.max(ld.end_q[(t / nt) as usize] + 1);
        }
        if let Some(t) = tile(ek) {
            ld.to(t);
            need = need.max(ld.end_k[t as usize] + 1);
        }
        if let Some(t) = tile(ev) {
            ld.to(t);
            need = need.max(ld.end_v[t as usize] + 1);
        }
        // a period follows the one before at once when its buffers are full in that one's last
        // cycle but one (w - 2: the issuer's check is registered) and no handoff came between;
        // else the issuer waits from w
        let r = if !handed_off && need + 1 < w {
            w
        } else {
            let ready = w.max(need);
            // the WAIT cycles, up to the one that finds the buffers ready
            stall_in += ready - w + 1;
            if k > 0 {
                max_wait = max_wait.max(ready - w);
            }
            ready + 1
        };
        handed_off = false;
        let te = r + l - 1; // its last
        if let Some(t) = tile(ek) {
            ld.free_k[(t % 2) as usize] = r + rel_k;
        }
        if let Some(t) = tile(ev) {
            ld.free_v[(t % 2) as usize] = r + rel_v;
        }
        if let Some(t) = tile(0) {
            if t % nt == nt - 1 {
                ld.free_q[((t / nt) % 2) as usize] = r + rel_q;
            }
        }
        w = te + 1;
        // the tile the period finishes: its 1D work, and its block's divisions if it was the
        // block's last
        if let Some(t) = tile(depth) {
            busy.push((te + 1, te + 1 + tile_1d));
            if t % nt == nt - 1 {
                let h = (te + 1).max(div_free);
                let mut x = h + 2 + plan.flush as u64;
                for fi in 0..f {
                    if fi > 0 {
                        x += space_wait;
                        stall_out += space_wait;
                    }
                    busy.push((x + 2, x + 2 + div_lat));
                    x += f_cycles;
                }
                div_free = x;
                w = h + 1;
                handed_off = true;
            }
        }
    }
    // the last WAIT finds no tile: LASTDIV, then the trailer once the divider is idle
    let t_end = (w + 1).max(div_free);
    let cycles = t_end + 1;
    let busy_1d = union_below(busy, t_end);
    let kv_words = (e64 + f64_) * kch;
    let per_period = kv_words as f64 + (e64 * qch) as f64 / nt as f64;
    Estimate {
        cycles,
        busy_2d: tiles * plan.busy_2d(e, f) as u64,
        busy_1d,
        stall_in,
        stall_out,
        ideal_cycles: TilePlan::ideal_cycles(cfg, p, m, e, f),
        tiles,
        periods,
        tile_period: l,
        input_words: crate::stream::input_words(cfg, p, m, e, f) as u64,
        input_words_per_cycle: per_period / l as f64,
        max_period_wait: max_wait,
    }
}
