//! The engine's stream format (`docs/interface.md`): a job as input words, the output words as
//! AV and a trailer. The host program, the testbenches and the Verilator harness all use these
//! two functions, so there is one definition of the word order.

use crate::buffers::chunks;
use crate::numerics::ScaleConst;
use crate::Config;

// The stream's constants: the hardware (`controller`), the host program and the testbenches
// read them from here.

/// First word of a job header ("FMAX").
pub const MAGIC_IN: u64 = 0x464D_4158;
/// High half of the first trailer word ("FMST"); the low byte is the status.
pub const MAGIC_TRAILER: u64 = 0x464D_5354;
/// Words in a job header: magic, P, M, E, F, scale mantissa, scale shift.
pub const HEADER_WORDS: usize = 7;
/// Words in the trailer: status, cycles, 2D busy, 1D busy, input stalls, output stalls.
pub const TRAILER_WORDS: usize = 6;
/// Width of the performance counters.
pub const COUNTER_BITS: u32 = 48;
/// Width of trailer word 0's count of the query blocks whose AV words precede the trailer
/// (bits 31:8).
pub const BLOCKS_BITS: u32 = 24;

/// Job status codes (trailer word 0, bits 7:0, and the `status` port).
pub mod status {
    pub const OK: i128 = 0;
    /// Header word 0 is not `MAGIC_IN`.
    pub const BAD_MAGIC: i128 = 1;
    /// P, M, E or F is 0 or above the hardware's maximum.
    pub const BAD_SHAPE: i128 = 2;
    /// The scale mantissa is not normalized or the shift is out of range.
    pub const BAD_SCALE: i128 = 3;
    /// `tlast` came before the job's last word.
    pub const EARLY_END: i128 = 4;
    /// The job's last word came without `tlast` (the rest of the stream is dropped up to it).
    pub const MISSING_LAST: i128 = 5;
}

/// An attention job in integer form: Q [P, E], K [M, E], V [M, F] row-major.
#[derive(Clone, Debug)]
pub struct JobData<'a> {
    pub p: usize,
    pub m: usize,
    pub e: usize,
    pub f: usize,
    pub q: &'a [i32],
    pub k: &'a [i32],
    pub v: &'a [i32],
    pub scale: ScaleConst,
}

/// One output stream word and its `tlast`.
pub type Word = (u64, bool);

/// One input stream word (`stream_bits` wide: 64 or 128, in the low bits) and its `tlast`.
pub type InWord = (u128, bool);

/// Performance counters and status from the trailer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Trailer {
    pub status: u8,
    /// Query blocks whose AV words precede the trailer (trailer word 0, bits 31:8): all of
    /// them for a good job; for a failed one, those whose input was complete.
    pub blocks: u64,
    pub cycles: u64,
    pub busy_2d: u64,
    pub busy_1d: u64,
    pub stall_in: u64,
    pub stall_out: u64,
}

/// What the engine returned for a job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOutput {
    /// AV row-major in output units (value / 2^out_frac_bits in V steps), one row of F per
    /// query: all P rows for a good job; for a failed one, the rows of the query blocks
    /// returned (`trailer.blocks` blocks of C queries, at most P rows; none for a header error).
    pub av: Vec<i64>,
    pub trailer: Trailer,
}

fn pack(vals: impl Iterator<Item = i64>, bits: u32) -> u128 {
    let mut w = 0u128;
    for (i, v) in vals.enumerate() {
        w |= ((v as u128) & ((1u128 << bits) - 1)) << (i as u32 * bits);
    }
    w
}

/// The header words of a job (no tlast): each field in the low 64 bits of its word, the rest 0.
pub fn header(job: &JobData) -> Vec<InWord> {
    [
        MAGIC_IN,
        job.p as u64,
        job.m as u64,
        job.e as u64,
        job.f as u64,
        job.scale.mant,
        job.scale.shift as u64,
    ]
    .map(|v| (v as u128, false))
    .to_vec()
}

/// The input words of a job: header; per block of `cols` queries, Q (per e, the block's
/// queries in lanes), then per tile of `rows` keys, K (per e) and V (per f), keys in lanes.
/// Vectors wider than a word's lanes take several words (chunks). `tlast` on the last word.
pub fn encode(cfg: &Config, job: &JobData) -> Vec<InWord> {
    let d = cfg.derived();
    let lanes = d.in_lanes;
    let db = cfg.data_bits;
    let (rows, cols) = (cfg.rows, cfg.cols);
    let mut w = header(job);
    let vec_words = |n: usize, get: &dyn Fn(usize) -> i64, out: &mut Vec<InWord>| {
        for j in 0..n.div_ceil(lanes) {
            let vals = (0..lanes).map(|l| {
                let i = j * lanes + l;
                if i < n {
                    get(i)
                } else {
                    0
                }
            });
            out.push((pack(vals, db), false));
        }
    };
    for p0 in (0..job.p).step_by(cols) {
        for e in 0..job.e {
            vec_words(
                cols,
                &|c| {
                    if p0 + c < job.p {
                        job.q[(p0 + c) * job.e + e] as i64
                    } else {
                        0
                    }
                },
                &mut w,
            );
        }
        for m0 in (0..job.m).step_by(rows) {
            for e in 0..job.e {
                vec_words(
                    rows,
                    &|r| {
                        if m0 + r < job.m {
                            job.k[(m0 + r) * job.e + e] as i64
                        } else {
                            0
                        }
                    },
                    &mut w,
                );
            }
            for f in 0..job.f {
                vec_words(
                    rows,
                    &|r| {
                        if m0 + r < job.m {
                            job.v[(m0 + r) * job.f + f] as i64
                        } else {
                            0
                        }
                    },
                    &mut w,
                );
            }
        }
    }
    if let Some(last) = w.last_mut() {
        last.1 = true;
    }
    w
}

/// The 64-bit limbs of input words, each word's low limb first (one limb a word for a 64-bit
/// stream, two for 128), `tlast` on each word's last limb: the words as a 64-bit link (the
/// board's host link) carries them.
pub fn limbs(cfg: &Config, words: &[InWord]) -> Vec<Word> {
    let n = cfg.derived().in_bits.div_ceil(64);
    words
        .iter()
        .flat_map(|&(w, last)| (0..n).map(move |i| ((w >> (64 * i)) as u64, last && i == n - 1)))
        .collect()
}

/// Number of input words of a job of shape (P, M, E, F).
pub fn input_words(cfg: &Config, p: usize, m: usize, e: usize, f: usize) -> usize {
    let blocks = p.div_ceil(cfg.cols);
    let tiles = m.div_ceil(cfg.rows);
    HEADER_WORDS + blocks * (e * chunks(cfg, cfg.cols) + tiles * (e + f) * chunks(cfg, cfg.rows))
}

/// Number of output words of a successful job.
pub fn output_words(cfg: &Config, p: usize, f: usize) -> usize {
    let och = cfg.cols.div_ceil(cfg.derived().out_lanes);
    p.div_ceil(cfg.cols) * f * och + TRAILER_WORDS
}

/// Decodes the output words of a job of P queries and head size F: AV words of whole query
/// blocks (`trailer.blocks` of them), then the trailer.
pub fn decode(cfg: &Config, p: usize, f: usize, words: &[Word]) -> Result<JobOutput, String> {
    if words.len() < TRAILER_WORDS {
        return Err(format!("{} output words: less than a trailer", words.len()));
    }
    let t = &words[words.len() - TRAILER_WORDS..];
    if t[0].0 >> 32 != MAGIC_TRAILER {
        return Err(format!(
            "trailer word 0 {:#x} lacks the trailer magic",
            t[0].0
        ));
    }
    if !t[TRAILER_WORDS - 1].1 || words[..words.len() - 1].iter().any(|w| w.1) {
        return Err("tlast must be on the last trailer word and nowhere else".into());
    }
    let trailer = Trailer {
        status: (t[0].0 & 0xff) as u8,
        blocks: (t[0].0 >> 8) & ((1 << BLOCKS_BITS) - 1),
        cycles: t[1].0,
        busy_2d: t[2].0,
        busy_1d: t[3].0,
        stall_in: t[4].0,
        stall_out: t[5].0,
    };
    let body = &words[..words.len() - TRAILER_WORDS];
    let all = p.div_ceil(cfg.cols) as u64;
    if trailer.blocks > all || (trailer.status == 0 && trailer.blocks != all) {
        return Err(format!(
            "the trailer counts {} query blocks of {all}",
            trailer.blocks
        ));
    }
    let d = cfg.derived();
    let (lo, ob) = (d.out_lanes, d.out_bits);
    let och = cfg.cols.div_ceil(lo);
    let blocks = trailer.blocks as usize;
    if body.len() != blocks * f * och {
        return Err(format!(
            "{} AV words before the trailer, expected {} ({blocks} query blocks)",
            body.len(),
            blocks * f * och
        ));
    }
    let rows = (blocks * cfg.cols).min(p);
    let mut av = vec![0i64; rows * f];
    let mut it = body.iter();
    for p0 in (0..rows).step_by(cfg.cols) {
        for ff in 0..f {
            for j in 0..och {
                let w = it.next().expect("length checked").0;
                for l in 0..lo {
                    let c = j * lo + l;
                    let raw = (w >> (l as u32 * ob)) & ((1u64 << ob) - 1);
                    if c < cfg.cols && p0 + c < rows {
                        let v = if raw >> (ob - 1) == 1 {
                            raw as i64 - (1i64 << ob)
                        } else {
                            raw as i64
                        };
                        av[(p0 + c) * f + ff] = v;
                    } else if raw != 0 {
                        return Err(format!(
                            "AV word {w:#x} (query block at {p0}, f = {ff}) has {raw:#x} in lane {l}, which holds no query: it must be 0"
                        ));
                    }
                }
                if lo as u32 * ob < 64 && w >> (lo as u32 * ob) != 0 {
                    return Err(format!("AV word {w:#x} has bits set above its lanes"));
                }
            }
        }
    }
    Ok(JobOutput { av, trailer })
}
