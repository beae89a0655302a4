//! The schedule of one key tile, written as data (as FSA's execution plan): which operation the
//! controller injects into the 2D array in each cycle of a tile, where its operands come from,
//! and which cycles count as busy. The controller's Verilog, its Rust model, the testbenches'
//! edge drivers and the cycle predictions are all generated from this table.
//!
//! Times are relative to the tile's start at PE (0, 0). Row r of the array sees the same
//! sequence r cycles later, column c sees it c cycles later (the systolic skew), so PE (r, c)
//! performs phase-time t at t + r + c.
//!
//! Sequential binding (one tile after another, consecutive tiles' waves following each other):
//!
//! | phase | start            | length          | op        | x     | q     | seed |
//! |-------|------------------|-----------------|-----------|-------|-------|------|
//! | BQK   | 0                | E               | MAC0, MAC | K[t]  | Q[t]  |  -   |
//! | LM    | E                | 1               | LM        |  -    |  -    | -inf |
//! | RM    | E + 1            | 2R + X          | (exp)     |  -    |  -    |  -   |
//! | SLD   | E + 2R + X + 1   | 1               | SLD       |  -    |  -    |  0   |
//! | SLNV  | E + 2R + X + 2   | F               | SLNV      | V[t'] |  -    |  0   |
//!
//! RM is the wait for the running max: LM reaches the 1D unit after R cycles (plus two: each
//! PE applies an op two cycles after it arrives, behind its operand and product registers),
//! RM' climbs back up in R more, and the exp sequence (X = 3d + 8 cycles, d = exp_degree,
//! `arith::exp_step::exp_latency`) must finish in PE (0, c) before the first SLNV selects SLN
//! as its operand. The tile period is E + F + 2R + X + 2. The partial-sum seed is read in a
//! PE's third stage, two cycles after the op (the column feeders delay it so).

use crate::config::Config;
use crate::pe::op;

/// a * E + b * F + c for the job's head sizes E and F.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Affine {
    pub e: i64,
    pub f: i64,
    pub c: i64,
}

impl Affine {
    pub const fn new(e: i64, f: i64, c: i64) -> Affine {
        Affine { e, f, c }
    }
    /// Value for head sizes `e`, `f`.
    pub fn at(&self, e: usize, f: usize) -> i64 {
        self.e * e as i64 + self.f * f as i64 + self.c
    }
}

/// Where the row operand `x` comes from in a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum XSrc {
    /// Nothing (x = 0).
    None,
    /// K[row][t - start].
    K,
    /// V[row][t - start].
    V,
}

/// The partial-sum seed entering the top of each column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Seed {
    Zero,
    NegInf,
}

/// One phase of a tile.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub start: Affine,
    pub len: Affine,
    /// Op injected at the left edge in each cycle (`op::MAC` phases start with `op::MAC0`).
    pub op: i128,
    pub x: XSrc,
    /// Whether Q[c][t - start] enters the top of column c.
    pub q: bool,
    pub seed: Seed,
    /// Whether PE (0, 0) does useful work in this phase's cycles.
    pub busy_2d: bool,
    /// The tile (epoch) the phase's ops belong to, counted back from the tile the period
    /// starts: 0 is that tile, 1 the one before it (its K/V in the other bank). A plan with
    /// several tiles in flight gives a period's phases different epochs; the issuer reads the
    /// operands of a phase from its epoch's bank. The sequential binding has one tile in
    /// flight: every phase is of epoch 0.
    pub epoch: u32,
}

/// The schedule of a tile for a config.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TilePlan {
    pub phases: Vec<Phase>,
    pub period: Affine,
    /// Cycles of the exp sequence (in each PE and in each 1D unit).
    pub exp_cycles: u32,
    /// Cycles from a block's last tile command to the 1D units' last write of that block, with
    /// margin: the command register (1), feeders (2), PE stages (3), the row and column skews
    /// (R + C), the rescale pipeline (5). The controller starts a block's divisions this long
    /// after its last tile, and so do the testbenches' datapath drivers.
    pub flush: usize,
}

/// What enters the array edges in one cycle of a tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issue {
    pub op: i128,
    pub x: XSrc,
    /// Index into K/V rows (e or f) or Q (e).
    pub idx: usize,
    pub q: bool,
    pub seed: Seed,
}

impl TilePlan {
    /// The sequential binding's plan.
    pub fn new(cfg: &Config) -> TilePlan {
        let r = cfg.rows as i64;
        let x = crate::arith::exp_step::exp_latency(cfg.exp_degree) as i64;
        let t_sld = Affine::new(1, 0, 2 * r + x + 1);
        TilePlan {
            phases: vec![
                Phase {
                    name: "BQK",
                    start: Affine::new(0, 0, 0),
                    len: Affine::new(1, 0, 0),
                    op: op::MAC,
                    x: XSrc::K,
                    q: true,
                    seed: Seed::NegInf,
                    busy_2d: true,
                    epoch: 0,
                },
                Phase {
                    name: "LM",
                    start: Affine::new(1, 0, 0),
                    len: Affine::new(0, 0, 1),
                    op: op::LM,
                    x: XSrc::None,
                    q: false,
                    seed: Seed::NegInf,
                    busy_2d: true,
                    epoch: 0,
                },
                Phase {
                    name: "RM",
                    start: Affine::new(1, 0, 1),
                    len: Affine::new(0, 0, 2 * r + x),
                    op: op::NOP,
                    x: XSrc::None,
                    q: false,
                    seed: Seed::Zero,
                    busy_2d: false,
                    epoch: 0,
                },
                Phase {
                    name: "SLD",
                    start: t_sld,
                    len: Affine::new(0, 0, 1),
                    op: op::SLD,
                    x: XSrc::None,
                    q: false,
                    seed: Seed::Zero,
                    busy_2d: true,
                    epoch: 0,
                },
                Phase {
                    name: "SLNV",
                    start: Affine::new(1, 0, 2 * r + x + 2),
                    len: Affine::new(0, 1, 0),
                    op: op::SLNV,
                    x: XSrc::V,
                    q: false,
                    seed: Seed::Zero,
                    busy_2d: true,
                    epoch: 0,
                },
            ],
            period: Affine::new(1, 1, 2 * r + x + 2),
            exp_cycles: crate::arith::exp_step::exp_latency(cfg.exp_degree),
            flush: cfg.rows + cfg.cols + 14,
        }
    }

    /// The matmul MAC bound of the array for a job (`ideal_cycles`): each of the
    /// ceil(P / C) * ceil(M / R) tiles needs E + F cycles of the array's multipliers (Q.K and
    /// SLN.V), whatever the binding.
    pub fn ideal_cycles(cfg: &Config, p: usize, m: usize, e: usize, f: usize) -> u64 {
        (p.div_ceil(cfg.cols) * m.div_ceil(cfg.rows)) as u64 * (e + f) as u64
    }

    /// The tile period for head sizes `e`, `f`.
    pub fn period(&self, e: usize, f: usize) -> usize {
        self.period.at(e, f) as usize
    }

    /// What enters the array at tile time `t` (0 <= t < period).
    pub fn issue(&self, t: usize, e: usize, f: usize) -> Issue {
        let t = t as i64;
        for p in &self.phases {
            let s = p.start.at(e, f);
            let l = p.len.at(e, f);
            if t >= s && t < s + l {
                let k = (t - s) as usize;
                let opc = if p.op == op::MAC && k == 0 {
                    op::MAC0
                } else {
                    p.op
                };
                return Issue {
                    op: opc,
                    x: p.x,
                    idx: k,
                    q: p.q,
                    seed: p.seed,
                };
            }
        }
        Issue {
            op: op::NOP,
            x: XSrc::None,
            idx: 0,
            q: false,
            seed: Seed::Zero,
        }
    }

    /// Busy cycles of a 1D unit in one tile: the exp of PRM, the RD update, F RNV updates.
    pub fn busy_1d_affine(&self) -> Affine {
        Affine::new(0, 1, self.exp_cycles as i64 + 1)
    }

    /// [`Self::busy_1d_affine`] for head sizes `e`, `f`.
    pub fn busy_1d(&self, e: usize, f: usize) -> usize {
        self.busy_1d_affine().at(e, f) as usize
    }

    /// Cycles per tile in which PE (0, 0) does useful work: the busy phases plus its exp
    /// sequence, affine in E and F.
    pub fn busy_2d_affine(&self) -> Affine {
        self.phases
            .iter()
            .filter(|p| p.busy_2d)
            .fold(Affine::new(0, 0, self.exp_cycles as i64), |a, p| {
                Affine::new(a.e + p.len.e, a.f + p.len.f, a.c + p.len.c)
            })
    }

    /// [`Self::busy_2d_affine`] for head sizes `e`, `f`.
    pub fn busy_2d(&self, e: usize, f: usize) -> usize {
        self.busy_2d_affine().at(e, f) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mac_bound_counts_whole_tiles() {
        let cfg = Config::default(); // 8 x 8
        assert_eq!(TilePlan::ideal_cycles(&cfg, 64, 512, 64, 64), 8 * 64 * 128);
        // a partial tile of keys or block of queries takes a whole tile's cycles
        assert_eq!(TilePlan::ideal_cycles(&cfg, 9, 1, 3, 5), 2 * 8);
    }

    #[test]
    fn phases_tile_the_period_without_gaps() {
        for cfg in [
            Config::default(),
            Config {
                rows: 1,
                cols: 1,
                exp_degree: 1,
                ..Config::default()
            },
        ] {
            let plan = TilePlan::new(&cfg);
            for (e, f) in [(1, 1), (64, 64), (7, 130)] {
                let mut t = 0;
                for p in &plan.phases {
                    assert_eq!(p.start.at(e, f), t, "{}", p.name);
                    t += p.len.at(e, f);
                }
                assert_eq!(t as usize, plan.period(e, f));
                assert_eq!(plan.issue(0, e, f).op, op::MAC0);
                assert_eq!(plan.issue(e, e, f).op, op::LM);
            }
        }
    }
}
