//! Edge-level stimulus of the datapath for one query block: the testbench plays the row and
//! column feeders and the controller, injecting the schedule's operations with the systolic
//! skew (row r at t + r, column c at t + c), then the divisions. Used to check the 2D and 1D
//! arrays against `cascade_fixed` tile by tile, in rust-hdl and in Verilator.

use crate::quant::QuantJob;
use fusemax_hdl::arith::exp_step::scale_pack;
use fusemax_hdl::kit::cosim::io_ports;
use fusemax_hdl::kit::Component;
use fusemax_hdl::pe::op;
use fusemax_hdl::schedule::{Seed, TilePlan, XSrc};
use fusemax_hdl::Config;
use std::collections::HashMap;

/// A per-cycle table of input port values.
pub struct Stimulus {
    /// Input port names (other than `clock`), the column order of `rows`.
    pub names: Vec<&'static str>,
    /// One row per cycle.
    pub rows: Vec<Vec<i128>>,
    index: HashMap<&'static str, usize>,
    /// Cycle at which each period starts at PE (0, 0)'s edge inputs (a period per tile, and
    /// one more per tile in flight beyond the first).
    pub tile_starts: Vec<usize>,
    /// Cycle of each division start (f = 0, 1, ...).
    pub div_starts: Vec<usize>,
}

impl Stimulus {
    /// An empty table for the inputs of `uut`.
    pub fn for_inputs<T: Component>(uut: &T) -> Stimulus {
        let (ins, _) = io_ports(uut);
        let names: Vec<&'static str> = ins.iter().map(|&(_, n)| n).collect();
        let index = names.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        Stimulus {
            names,
            rows: vec![],
            index,
            tile_starts: vec![],
            div_starts: vec![],
        }
    }

    /// Sets `name` to `v` in `cycle` (later cycles keep their own values).
    pub fn set(&mut self, cycle: usize, name: &str, v: i128) {
        let k = *self
            .index
            .get(name)
            .unwrap_or_else(|| panic!("no input {name}"));
        while self.rows.len() <= cycle {
            self.rows.push(vec![0; self.names.len()]);
        }
        self.rows[cycle][k] = v;
    }

    /// Sets `name` to `v` from `cycle` on (for constants).
    pub fn hold(&mut self, from: usize, name: &str, v: i128) {
        let k = self.index[name];
        for r in self.rows.iter_mut().skip(from) {
            r[k] = v;
        }
    }
}

/// Builds the datapath stimulus for the block of queries p0 .. p0 + cols: reset, block start,
/// every key tile by the config's binding's plan, then one division per f (in bank 0, the block's bank after the first block
/// start), `div_gap` cycles apart.
pub fn block_stimulus<T: Component>(uut: &T, cfg: &Config, job: &QuantJob, p0: usize) -> Stimulus {
    let (p, m, e, f) = job.shape();
    let (rows, cols) = (cfg.rows, cfg.cols);
    let plan = TilePlan::new(cfg);
    let period = plan.period(e, f);
    let d = cfg.derived();
    let neg_inf = -(1i128 << (d.psum_bits - 1));
    let mut st = Stimulus::for_inputs(uut);
    st.set(0, "rst", 1);
    st.set(1, "rst", 1);
    let t0 = 5;
    let tiles = m.div_ceil(rows);
    let dep = plan.depth() as usize;
    for pn in 0..tiles + dep {
        let tau = t0 + pn * period;
        st.tile_starts.push(tau);
        // the tiles of the period's epochs that exist (the pipeline's fill and drain)
        let has = plan.has(pn, tiles);
        for (t, is) in plan.table(e, f, &has).iter().enumerate() {
            let live = has[is.epoch as usize];
            let i = if live { pn - is.epoch as usize } else { 0 };
            // the op carries the bank of its tile's accumulator (tile parity, as the K/V banks)
            // the LM of the block's first tile is LM0 (it starts the block in the 1D units)
            let code = if is.op == op::LM && i == 0 {
                op::LM0
            } else {
                is.op
            };
            let opv = code | if i % 2 == 1 { op::BANK } else { 0 };
            for r in 0..rows {
                let key = i * rows + r;
                let valid = key < m;
                let x = match is.x {
                    XSrc::K if valid && live => job.k.at(key, is.idx) as i128,
                    XSrc::V if valid && live => job.v.at(key, is.idx) as i128,
                    _ => 0,
                };
                let cyc = tau + t + r;
                st.set(cyc, &format!("x_r{r}"), x);
                st.set(cyc, &format!("op_r{r}"), opv);
                st.set(cyc, &format!("vld_r{r}"), valid as i128);
            }
            for c in 0..cols {
                let q = if is.q && live && p0 + c < p {
                    job.q.at(p0 + c, is.idx) as i128
                } else {
                    0
                };
                let cyc = tau + t + c;
                st.set(cyc, &format!("q_c{c}"), q);
                // A PE reads the partial-sum seed in its third stage, two cycles after the op.
                st.set(
                    cyc + 2,
                    &format!("ps_c{c}"),
                    if is.seed == Seed::NegInf { neg_inf } else { 0 },
                );
            }
        }
    }
    let end = t0 + (tiles + dep) * period + plan.flush;
    // a division's latency, the 1D unit's output register and margin
    let gap = fusemax_hdl::arith::Divider::latency(cfg) as usize + 8;
    for k in 0..f {
        let c = end + k * gap;
        st.set(c, "div_start", 1);
        st.set(c, "div_f", k as i128);
        st.div_starts.push(c);
    }
    st.set(end + f * gap + 2, "rst", 0);
    let sc = job.scale_const;
    let shb = cfg.derived().scale_shift_bits;
    st.hold(
        0,
        "scale",
        scale_pack(sc.mant as i128, sc.shift as i128, shb),
    );
    st.hold(0, "div_bank", 0);
    st
}
