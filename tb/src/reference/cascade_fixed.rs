//! The bit-accurate model of the hardware: the 1-pass cascade in the integer arithmetic of
//! `fusemax_hdl::numerics`, tiled exactly as the RTL tiles it (M0 = `rows` keys per tile).
//! The RTL must match its outputs, and its per-tile intermediates, bit for bit.

use crate::mat::Mat;
use crate::quant::QuantJob;
use fusemax_hdl::numerics::{self, Numerics, ScaleConst};
use fusemax_hdl::Config;

/// Everything the hardware computes for one query and one key tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileTrace {
    /// BQK: the integer scores of the tile's valid keys.
    pub scores: Vec<i64>,
    /// LM: the tile's local max.
    pub lm: i64,
    /// RM after this tile.
    pub rm: i64,
    /// PRM = exp(RM_old - RM_new); 0 on the first tile (nothing to rescale).
    pub prm: u64,
    /// SLN = exp(S - RM) for each valid key.
    pub sln: Vec<u64>,
    /// SLD = sum of SLN.
    pub sld: u64,
    /// SLNV[f] = sum over keys of SLN * V[f].
    pub slnv: Vec<i64>,
    /// RD after this tile.
    pub rd: u128,
    /// RNV[f] after this tile.
    pub rnv: Vec<i128>,
}

/// The fixed-point cascade over a quantized job.
pub struct FixedCascade<'a> {
    job: &'a QuantJob,
    n: Numerics,
    m0: usize,
}

impl<'a> FixedCascade<'a> {
    pub fn new(job: &'a QuantJob, cfg: &Config) -> Self {
        FixedCascade {
            job,
            n: Numerics::new(cfg),
            m0: cfg.rows,
        }
    }

    /// The numerics in use.
    pub fn numerics(&self) -> &Numerics {
        &self.n
    }

    /// The scale constant in use.
    pub fn scale_const(&self) -> ScaleConst {
        self.job.scale_const
    }

    /// Runs query `p` through every key tile, calling `on_tile` with each tile's trace, and
    /// returns the running state's final division: AV[p, 0..F] in output units.
    pub fn run_query(&self, p: usize, mut on_tile: impl FnMut(&TileTrace)) -> Vec<i64> {
        let job = self.job;
        let n = &self.n;
        let sc = job.scale_const;
        let (_, m, e, f) = job.shape();
        let qi = job.q.row(p);
        let mut rm: Option<i64> = None;
        let mut rd: u128 = 0;
        let mut rnv = vec![0i128; f];
        let mut trace = TileTrace {
            scores: vec![],
            lm: 0,
            rm: 0,
            prm: 0,
            sln: vec![],
            sld: 0,
            slnv: vec![0; f],
            rd: 0,
            rnv: vec![],
        };
        for t0 in (0..m).step_by(self.m0) {
            let t1 = (t0 + self.m0).min(m);
            trace.scores.clear();
            for j in t0..t1 {
                let kj = job.k.row(j);
                let mut s = 0i64;
                for x in 0..e {
                    s += qi[x] as i64 * kj[x] as i64;
                }
                trace.scores.push(s);
            }
            let lm = *trace.scores.iter().max().expect("tile has a key");
            let rm_new = rm.map_or(lm, |r| r.max(lm));
            let prm = match rm {
                None => 0,
                Some(old) => numerics::exp_of_diff((rm_new - old) as u128, sc, n),
            };
            trace.sln.clear();
            for &s in &trace.scores {
                trace
                    .sln
                    .push(numerics::exp_of_diff((rm_new - s) as u128, sc, n));
            }
            trace.sld = trace.sln.iter().sum();
            for c in 0..f {
                let mut acc = 0i64;
                for (jj, &w) in trace.sln.iter().enumerate() {
                    acc += w as i64 * job.v.at(t0 + jj, c) as i64;
                }
                trace.slnv[c] = acc;
            }
            rd = trace.sld as u128 + numerics::rescale(rd as i128, prm, n) as u128;
            for c in 0..f {
                rnv[c] = trace.slnv[c] as i128 + numerics::rescale(rnv[c], prm, n);
            }
            rm = Some(rm_new);
            trace.lm = lm;
            trace.rm = rm_new;
            trace.prm = prm;
            trace.rd = rd;
            trace.rnv = rnv.clone();
            on_tile(&trace);
        }
        rnv.iter().map(|&x| numerics::divide(x, rd, n)).collect()
    }

    /// AV for every query, [P, F] in output units (value = word / 2^out_frac_bits in V steps).
    /// Queries are split over the available cores.
    pub fn run(&self) -> Mat<i64> {
        let (p, _, _, f) = self.job.shape();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(p);
        let chunk = p.div_ceil(threads);
        let mut out = Mat::zeros(p, f);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let lo = t * chunk;
                        let hi = ((t + 1) * chunk).min(p);
                        (lo..hi)
                            .map(|i| self.run_query(i, |_| {}))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut row = 0;
            for h in handles {
                for r in h.join().expect("worker") {
                    for (c, v) in r.into_iter().enumerate() {
                        out.set(row, c, v);
                    }
                    row += 1;
                }
            }
        });
        out
    }
}

/// AV of a quantized job through the bit-accurate model, [P, F] in output units.
pub fn cascade_fixed(job: &QuantJob, cfg: &Config) -> Mat<i64> {
    FixedCascade::new(job, cfg).run()
}
