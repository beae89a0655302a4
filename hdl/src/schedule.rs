//! The schedule of the arrays, written as data (as FSA's execution plan): the period of a key
//! tile as a list of phases, each saying which operation the controller injects into the 2D
//! array in each of its cycles, where its operands come from, which tile (epoch) it serves and
//! which cycles count as busy. The controller's issuer, the testbenches' edge drivers, the
//! `fusemax schedule` table and picture and the cycle model (`crate::model`) are all generated
//! from this table.
//!
//! Times are relative to a period's start at PE (0, 0). Row r of the array sees the same
//! sequence r cycles later, column c sees it c cycles later (the systolic skew), so PE (r, c)
//! performs period time t at t + r + c.
//!
//! A phase issues `count` main operations (E MACs, F SLNVs, one LM, ...) in order, one a cycle,
//! and lasts at least `min_len` cycles (NOPs after its main ops). A phase may also start an exp
//! sequence (`exp`): op EXP in its slot 0, which starts SLN = exp(BQK - RM) in every PE of the
//! array on the PE's own multiplier; the sequence takes the multiplier in slots 3, 6, .., 3d + 3
//! (d = exp_degree), so those slots are reserved too and the main ops fill the others.
//!
//! **Sequential binding** (`binding = "sequential"`, one tile in flight):
//!
//! | phase | count | at least   | op   | x | q | seed | epoch |
//! |-------|-------|------------|------|---|---|------|-------|
//! | BQK   | E     |            | MAC  | K | Q | -inf | 0     |
//! | LM    | 1     |            | LM   |   |   | -inf | 0     |
//! | RM    | 0     | 2R + 1     | NOP  |   |   | 0    | 0     |
//! | EXP   | 0     | 3d + 7     | exp  |   |   | 0    | 0     |
//! | SLD   | 1     |            | SLD  |   |   | 0    | 0     |
//! | SLNV  | F     |            | SLNV | V |   | 0    | 0     |
//!
//! RM is the wait for the running max: LM reaches the 1D unit R + 2 cycles after it enters
//! the array (each PE applies an op two cycles after it arrives), RM' climbs back up the column
//! in R more, and each PE latches D = RM' - BQK as RM' passes: RM' is at PE (0, c) 2R + 2
//! cycles after LM, and the EXP may reach it in that cycle. The exp sequence writes SLN at the
//! end of the 3d + 8th cycle from its EXP; the first SLNV, which takes SLN as its operand in
//! the cycle it arrives, comes no sooner, and SLD (which reads SLN two cycles after it
//! arrives) just before it. Period: E + F + 2R + 3d + 10.
//!
//! **FuseMax binding** (`binding = "fusemax"`, two tiles in flight; epoch 0 is the period's own
//! tile j, epoch 1 the tile before it, j - 1):
//!
//! | phase | count | at least   | op   | x | q | seed | epoch | exp    |
//! |-------|-------|------------|------|---|---|------|-------|--------|
//! | BQKX  | E     | 3d + 6     | MAC  | K | Q | -inf | 0     | tile j-1 |
//! | LM    | 1     |            | LM   |   |   | -inf | 0     |        |
//! | SLD   | 1     |            | SLD  |   |   | 0    | 1     |        |
//! | SLNV  | F     | 2R         | SLNV | V |   | 0    | 1     |        |
//!
//! In period j the array computes BQK of tile j while the exp of tile j - 1 runs in the same
//! PEs' multipliers (the MACs fill the slots the exp leaves free), then LM of tile j goes down
//! to the 1D units while SLD and SLNV of tile j - 1 follow it; the 1D units compute RM and PRM
//! of tile j while they fold SLD and SLNV of tile j - 1 into RD and RNV. By the time period
//! j + 1 starts its EXP (of tile j), RM' of tile j has come back up (SLNV lasts at least
//! 2R cycles). The paper's epochs resolved against the data dependencies: PRM[j] and RM[j]
//! are computed in the epoch of BQK[j]; SPD/RD and SPNV/RNV of tile j one epoch later, with
//! SLN[j] and SLNV[j]. Period: max(E + d + 2, 3d + 6) + 2 + max(F, 2R), a job of T tiles
//! takes T + 1 periods (the first has no tile before it, the last no tile of its own).
//!
//! The PE keeps two accumulators (the score of tile j and SLN of tile j - 1), selected by the
//! tile's bank bit that travels with the op; the 1D unit keeps PRM, its block bank and
//! first-tile flag for two tiles.

use crate::config::{Binding, Config};
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
    /// K[row][i], i the phase's main-op index.
    K,
    /// V[row][i].
    V,
}

/// The partial-sum seed entering the top of each column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Seed {
    Zero,
    NegInf,
}

/// One phase of a period.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Phase {
    pub name: &'static str,
    /// Main operations issued, one a cycle in the slots not reserved by an exp.
    pub count: Affine,
    /// The phase lasts at least this many cycles.
    pub min_len: i64,
    /// The main op (`op::MAC` phases start with `op::MAC0`).
    pub op: i128,
    pub x: XSrc,
    /// Whether Q[c][i] enters the top of column c with main op i.
    pub q: bool,
    pub seed: Seed,
    /// Whether the main ops count as 2D-busy (the PE's functional unit does work for the
    /// result: a MAC, a max, an add).
    pub busy_2d: bool,
    /// The tile (epoch) the main ops belong to, counted back from the period's own tile: 0 is
    /// tile j, 1 is tile j - 1 (its K/V bank and accumulator are the other ones).
    pub epoch: u32,
    /// An exp sequence started in slot 0, for the tile of this epoch.
    pub exp: Option<u32>,
}

/// The schedule of a period for a config.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TilePlan {
    pub binding: Binding,
    pub phases: Vec<Phase>,
    /// The exp's polynomial degree d (its multiplies are in slots 3, 6, .., 3d + 3).
    pub exp_degree: u32,
    /// Cycles of the exp sequence (in each PE and in each 1D unit).
    pub exp_cycles: u32,
    /// Cycles from a block's last period to the 1D units' last write of that block, with
    /// margin: the command register (1), feeders (2), PE stages (3), the row and column skews
    /// (R + C), the rescale pipeline (5). The controller starts a block's divisions this long
    /// after the period that issued its last SLNV, and so do the testbenches' datapath drivers.
    pub flush: usize,
}

/// What enters the array edges in one cycle of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The op code (without the bank bit).
    pub op: i128,
    pub x: XSrc,
    /// Index into K/V rows (e or f) or Q (e).
    pub idx: usize,
    pub q: bool,
    pub seed: Seed,
    /// The epoch of the tile the op belongs to (its bank).
    pub epoch: u32,
    /// Whether PE (0, 0)'s functional unit does useful work for this issue: a busy main op or
    /// one of the exp's multiplies.
    pub busy_2d: bool,
}

impl Issue {
    const NOP: Issue = Issue {
        op: op::NOP,
        x: XSrc::None,
        idx: 0,
        q: false,
        seed: Seed::Zero,
        epoch: 0,
        busy_2d: false,
    };
}

/// What a slot of an exp phase is reserved for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Slot 0: the EXP op.
    Start,
    /// One of the exp's d + 1 multiplies.
    Mul,
}

impl TilePlan {
    /// The plan of `cfg`'s binding.
    pub fn new(cfg: &Config) -> TilePlan {
        match cfg.binding {
            Binding::Sequential => TilePlan::sequential(cfg),
            Binding::Fusemax => TilePlan::fusemax(cfg),
        }
    }

    fn phase(name: &'static str, count: Affine, op: i128, epoch: u32) -> Phase {
        Phase {
            name,
            count,
            min_len: 0,
            op,
            x: XSrc::None,
            q: false,
            seed: Seed::Zero,
            busy_2d: op != op::NOP,
            epoch,
            exp: None,
        }
    }

    fn with(cfg: &Config, binding: Binding, phases: Vec<Phase>) -> TilePlan {
        let plan = TilePlan {
            binding,
            phases,
            exp_degree: cfg.exp_degree,
            exp_cycles: crate::arith::exp_step::exp_latency(cfg.exp_degree),
            flush: cfg.rows + cfg.cols + 14,
        };
        for p in &plan.phases {
            assert!(
                p.count.e >= 0 && p.count.f >= 0 && p.count.c >= 0,
                "plan: phase {}'s count falls with E or F",
                p.name
            );
            assert!(
                p.exp.is_none() || p.min_len >= plan.exp_window(),
                "plan: phase {} is shorter than its exp window",
                p.name
            );
            assert!(
                p.count.c > 0 || p.count.e > 0 || p.count.f > 0 || p.min_len > 0,
                "plan: phase {} can be empty",
                p.name
            );
            assert!(
                !p.q || p.epoch == 0,
                "plan: Q is read for the period's own tile"
            );
        }
        plan
    }

    /// The sequential binding's plan (see the module doc).
    pub fn sequential(cfg: &Config) -> TilePlan {
        let r = cfg.rows as i64;
        let d = cfg.exp_degree as i64;
        let one = Affine::new(0, 0, 1);
        let none = Affine::new(0, 0, 0);
        let phases = vec![
            Phase {
                x: XSrc::K,
                q: true,
                seed: Seed::NegInf,
                ..Self::phase("BQK", Affine::new(1, 0, 0), op::MAC, 0)
            },
            Phase {
                seed: Seed::NegInf,
                ..Self::phase("LM", one, op::LM, 0)
            },
            Phase {
                min_len: 2 * r + 1,
                ..Self::phase("RM", none, op::NOP, 0)
            },
            Phase {
                min_len: 3 * d + 7,
                exp: Some(0),
                ..Self::phase("EXP", none, op::NOP, 0)
            },
            Self::phase("SLD", one, op::SLD, 0),
            Phase {
                x: XSrc::V,
                ..Self::phase("SLNV", Affine::new(0, 1, 0), op::SLNV, 0)
            },
        ];
        Self::with(cfg, Binding::Sequential, phases)
    }

    /// The FuseMax binding's plan (see the module doc).
    pub fn fusemax(cfg: &Config) -> TilePlan {
        let r = cfg.rows as i64;
        let d = cfg.exp_degree as i64;
        let one = Affine::new(0, 0, 1);
        let phases = vec![
            Phase {
                x: XSrc::K,
                q: true,
                seed: Seed::NegInf,
                min_len: 3 * d + 6,
                exp: Some(1),
                ..Self::phase("BQKX", Affine::new(1, 0, 0), op::MAC, 0)
            },
            Phase {
                seed: Seed::NegInf,
                ..Self::phase("LM", one, op::LM, 0)
            },
            Self::phase("SLD", one, op::SLD, 1),
            Phase {
                x: XSrc::V,
                min_len: 2 * r,
                ..Self::phase("SLNV", Affine::new(0, 1, 0), op::SLNV, 1)
            },
        ];
        Self::with(cfg, Binding::Fusemax, phases)
    }

    /// The deepest epoch: tiles in flight - 1 (0 sequential, 1 FuseMax).
    pub fn depth(&self) -> u32 {
        self.phases
            .iter()
            .flat_map(|p| [p.epoch, p.exp.unwrap_or(0)])
            .max()
            .unwrap_or(0)
    }

    /// Slots of an exp phase from its EXP to the exp's last multiply: 3d + 4.
    pub fn exp_window(&self) -> i64 {
        3 * self.exp_degree as i64 + 4
    }

    /// What slot `k` of an exp phase is reserved for, if anything.
    pub fn reserved(&self, k: i64) -> Option<Reserved> {
        if k == 0 {
            Some(Reserved::Start)
        } else if k >= 3 && k < self.exp_window() && k % 3 == 0 {
            Some(Reserved::Mul)
        } else {
            None
        }
    }

    /// Slots of phase `p` its main ops cannot take: the EXP and the exp's d + 1 multiplies in
    /// an exp phase, none otherwise.
    pub fn reserved_slots(&self, p: &Phase) -> i64 {
        if p.exp.is_some() {
            self.exp_degree as i64 + 2
        } else {
            0
        }
    }

    /// The length of phase `p` for head sizes `e`, `f`: its main ops and reserved slots, at
    /// least `min_len`.
    pub fn len(&self, p: &Phase, e: usize, f: usize) -> i64 {
        (p.count.at(e, f) + self.reserved_slots(p)).max(p.min_len)
    }

    /// Which epochs' tiles exist in period `n` of a run of `tiles` tiles (`has[k]`: tile
    /// n - k): the pipeline's first periods have no tile before them, its last none of
    /// their own.
    pub fn has(&self, n: usize, tiles: usize) -> Vec<bool> {
        (0..=self.depth() as usize)
            .map(|k| n >= k && n - k < tiles)
            .collect()
    }

    /// Each phase's start in the period.
    pub fn starts(&self, e: usize, f: usize) -> Vec<i64> {
        let mut t = 0;
        self.phases
            .iter()
            .map(|p| {
                let s = t;
                t += self.len(p, e, f);
                s
            })
            .collect()
    }

    /// The period for head sizes `e`, `f`.
    pub fn period(&self, e: usize, f: usize) -> usize {
        self.phases.iter().map(|p| self.len(p, e, f)).sum::<i64>() as usize
    }

    /// Periods a run of `tiles` tiles takes (the pipeline's fill and drain included).
    pub fn periods(&self, tiles: u64) -> u64 {
        if tiles == 0 {
            0
        } else {
            tiles + self.depth() as u64
        }
    }

    /// The phase that reads the K (V) buffer, with its index: the one whose `x` is `x`, or for
    /// `XSrc::None` the one that reads Q.
    pub fn reader(&self, x: XSrc) -> (usize, &Phase) {
        self.phases
            .iter()
            .enumerate()
            .find(|(_, p)| if x == XSrc::None { p.q } else { p.x == x })
            .expect("a phase reads K, V and Q")
    }

    /// The epoch of the phase that reads K (resp. V).
    pub fn src_epoch(&self, x: XSrc) -> u32 {
        self.reader(x).1.epoch
    }

    /// The matmul MAC bound of the array for a job (`ideal_cycles`): each of the
    /// ceil(P / C) * ceil(M / R) tiles needs E + F cycles of the array's multipliers (Q.K and
    /// SLN.V), whatever the binding.
    pub fn ideal_cycles(cfg: &Config, p: usize, m: usize, e: usize, f: usize) -> u64 {
        (p.div_ceil(cfg.cols) * m.div_ceil(cfg.rows)) as u64 * (e + f) as u64
    }

    /// The issues of one period, slot by slot, where `has[k]` says whether the tile of epoch k
    /// exists (the pipeline's first period has no tile before it, its last none of its own):
    /// an op of a missing tile is a NOP.
    pub fn table(&self, e: usize, f: usize, has: &[bool]) -> Vec<Issue> {
        let has = |ep: u32| has.get(ep as usize).copied().unwrap_or(false);
        let mut v = vec![];
        for p in &self.phases {
            let count = p.count.at(e, f);
            let mut i = 0; // main ops issued so far
            for k in 0..self.len(p, e, f) {
                let res = p.exp.and_then(|_| self.reserved(k));
                let is = match (res, p.exp) {
                    (Some(Reserved::Start), Some(ep)) if has(ep) => Issue {
                        op: op::EXP,
                        epoch: ep,
                        ..Issue::NOP
                    },
                    (Some(Reserved::Mul), Some(ep)) => Issue {
                        busy_2d: has(ep),
                        ..Issue::NOP
                    },
                    (Some(_), _) => Issue::NOP,
                    (None, _) if i < count => {
                        i += 1;
                        if has(p.epoch) && p.op != op::NOP {
                            Issue {
                                op: if p.op == op::MAC && i == 1 {
                                    op::MAC0
                                } else {
                                    p.op
                                },
                                x: p.x,
                                idx: (i - 1) as usize,
                                q: p.q,
                                seed: p.seed,
                                epoch: p.epoch,
                                busy_2d: p.busy_2d,
                            }
                        } else {
                            Issue {
                                seed: p.seed,
                                ..Issue::NOP
                            }
                        }
                    }
                    (None, _) => Issue {
                        seed: p.seed,
                        ..Issue::NOP
                    },
                };
                v.push(is);
            }
        }
        v
    }

    /// Busy cycles of a 1D unit per tile: the exp of PRM, the RD update, F RNV updates.
    pub fn busy_1d_affine(&self) -> Affine {
        Affine::new(0, 1, self.exp_cycles as i64 + 1)
    }

    /// [`Self::busy_1d_affine`] for head sizes `e`, `f`.
    pub fn busy_1d(&self, e: usize, f: usize) -> usize {
        self.busy_1d_affine().at(e, f) as usize
    }

    /// Cycles per tile in which PE (0, 0)'s functional unit issues an operation that
    /// contributes to the result: E + F MACs, LM, SLD and the exp's d + 1 multiplies, affine
    /// in E and F (the same in every binding).
    pub fn busy_2d_affine(&self) -> Affine {
        self.phases
            .iter()
            .filter(|p| p.busy_2d)
            .fold(Affine::new(0, 0, self.exp_degree as i64 + 1), |a, p| {
                Affine::new(a.e + p.count.e, a.f + p.count.f, a.c + p.count.c)
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

    fn configs() -> Vec<Config> {
        let mut v = vec![];
        for binding in [Binding::Sequential, Binding::Fusemax] {
            for (rows, d) in [(8, 3), (1, 1), (16, 5)] {
                v.push(Config {
                    rows,
                    cols: 3,
                    exp_degree: d,
                    binding,
                    ..Config::default()
                });
            }
        }
        v
    }

    #[test]
    fn the_mac_bound_counts_whole_tiles() {
        let cfg = Config::default(); // 8 x 8
        assert_eq!(TilePlan::ideal_cycles(&cfg, 64, 512, 64, 64), 8 * 64 * 128);
        // a partial tile of keys or block of queries takes a whole tile's cycles
        assert_eq!(TilePlan::ideal_cycles(&cfg, 9, 1, 3, 5), 2 * 8);
    }

    #[test]
    fn periods_are_as_documented() {
        let mut seq = Config::default();
        seq.binding = Binding::Sequential;
        let mut fm = seq.clone();
        fm.binding = Binding::Fusemax;
        // 8 x 8, d = 3: E + F + 2R + 3d + 10; max(E + d + 2, 3d + 6) + 2 + max(F, 2R)
        assert_eq!(TilePlan::new(&seq).period(64, 64), 163);
        assert_eq!(TilePlan::new(&seq).period(1, 1), 37);
        assert_eq!(TilePlan::new(&fm).period(64, 64), 69 + 2 + 64);
        assert_eq!(TilePlan::new(&fm).period(1, 1), 15 + 2 + 16);
        assert_eq!(TilePlan::new(&fm).depth(), 1);
        assert_eq!(TilePlan::new(&seq).depth(), 0);
    }

    /// Every tile gets exactly its operations over the periods that serve it: E MACs (the
    /// first MAC0) with K and Q indices 0..E, one LM, one EXP, d + 1 exp multiplies, one SLD,
    /// F SLNVs with V indices 0..F, in that order; the busy tally matches.
    #[test]
    fn each_tile_gets_its_ops_in_order() {
        for cfg in configs() {
            let plan = TilePlan::new(&cfg);
            let dep = plan.depth() as usize;
            for (e, f) in [(1, 1), (64, 64), (7, 130), (2, 40)] {
                let tiles = 3usize;
                let mut ops: Vec<Vec<(i128, usize)>> = vec![vec![]; tiles];
                let mut busy = 0;
                for per in 0..tiles + dep {
                    let tab = plan.table(e, f, &plan.has(per, tiles));
                    assert_eq!(tab.len(), plan.period(e, f));
                    for is in tab {
                        busy += is.busy_2d as usize;
                        if is.op != op::NOP {
                            ops[per - is.epoch as usize].push((is.op, is.idx));
                        }
                    }
                }
                assert_eq!(busy, tiles * plan.busy_2d(e, f), "{:?}", cfg.binding);
                let mut want = vec![(op::MAC0, 0)];
                want.extend((1..e).map(|i| (op::MAC, i)));
                want.push((op::LM, 0));
                want.push((op::EXP, 0));
                want.push((op::SLD, 0));
                want.extend((0..f).map(|i| (op::SLNV, i)));
                for t in &ops {
                    let mut got = t.clone();
                    // the exp of tile j - 1 and tile j's BQK interleave: compare the exp's place
                    // relative to LM and SLD only
                    let x = got.iter().position(|o| o.0 == op::EXP).unwrap();
                    let exp = got.remove(x);
                    let lm = got.iter().position(|o| o.0 == op::LM).unwrap();
                    got.insert(lm + 1, exp);
                    assert_eq!(got, want, "{:?} E {e} F {f}", cfg.binding);
                }
            }
        }
    }

    /// The timing facts the PEs and 1D units rely on: RM' is back at row 0 when the EXP
    /// arrives (2R + 2 slots after LM or later); SLD comes 3d + 7 or more slots after the EXP
    /// (the first SLNV, the slot after it, reads SLN as it arrives); no main op takes a slot
    /// the exp reserves.
    #[test]
    fn the_exp_is_placed_where_its_operands_are_ready() {
        for cfg in configs() {
            let plan = TilePlan::new(&cfg);
            let dep = plan.depth() as usize;
            let r = cfg.rows;
            let d = cfg.exp_degree as usize;
            for (e, f) in [(1, 1), (64, 64), (7, 130)] {
                let per = plan.period(e, f);
                // a long run: the slot of each tile's LM, EXP, SLD on a global time line
                let tiles = 3;
                let mut at: Vec<[usize; 3]> = vec![[0; 3]; tiles];
                let mut reserved_mul = vec![];
                let tables: Vec<Vec<Issue>> = (0..tiles + dep)
                    .map(|pn| plan.table(e, f, &plan.has(pn, tiles)))
                    .collect();
                for (pn, tab) in tables.iter().enumerate() {
                    for (t, is) in tab.iter().enumerate() {
                        let g = pn * per + t;
                        let tile = pn.wrapping_sub(is.epoch as usize);
                        match is.op {
                            op::LM => at[tile][0] = g,
                            op::EXP => {
                                at[tile][1] = g;
                                reserved_mul.extend((0..=d).map(|k| g + 3 + 3 * k));
                            }
                            op::SLD => at[tile][2] = g,
                            _ => {}
                        }
                    }
                }
                for g in reserved_mul {
                    let is = tables[g / per][g % per];
                    assert!(
                        !matches!(is.op, op::MAC | op::MAC0 | op::SLNV),
                        "a multiply in a reserved slot"
                    );
                }
                for a in at {
                    assert!(a[1] >= a[0] + 2 * r + 2, "{:?} E {e} F {f}", cfg.binding);
                    assert!(a[2] >= a[1] + 3 * d + 7, "{:?} E {e} F {f}", cfg.binding);
                }
            }
        }
    }
}
