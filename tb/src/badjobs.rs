//! Malformed job streams and the status each must end with. One list drives the rust-hdl and
//! the Verilator testbenches.

use fusemax_hdl::stream::status;
use fusemax_hdl::stream::InWord;
use fusemax_hdl::Config;

/// A malformed stream and the status its trailer must carry.
pub struct BadJob {
    pub name: &'static str,
    pub words: Vec<InWord>,
    pub status: i128,
}

/// Variants of a well-formed job stream `good` (header word 1 = P, 2 = M, 3 = E, 4 = F,
/// 5 = scale mantissa, 6 = scale shift) that the engine must reject.
pub fn bad_jobs(cfg: &Config, good: &[InWord]) -> Vec<BadJob> {
    let with = |i: usize, v: u128| {
        let mut w = good.to_vec();
        w[i].0 = v;
        w
    };
    let cut = |n: usize| {
        let mut w = good[..n].to_vec();
        w.last_mut().unwrap().1 = true;
        w
    };
    let mant = good[5].0;
    let mut too_long = good.to_vec();
    too_long.last_mut().unwrap().1 = false;
    too_long.push((0, true));
    let bad = |name, words, status| BadJob {
        name,
        words,
        status,
    };
    let mut v = vec![
        bad("bad magic", with(0, 0x1234), status::BAD_MAGIC),
        bad("P = 0", with(1, 0), status::BAD_SHAPE),
        bad("M = 0", with(2, 0), status::BAD_SHAPE),
        bad(
            "E above max_e",
            with(3, cfg.max_e as u128 + 1),
            status::BAD_SHAPE,
        ),
        bad(
            "F above max_f",
            with(4, cfg.max_f as u128 + 1),
            status::BAD_SHAPE,
        ),
        bad(
            "M above max_seq_kv",
            with(2, cfg.max_seq_kv as u128 + 1),
            status::BAD_SHAPE,
        ),
        bad(
            "P above max_seq_q",
            with(1, cfg.max_seq_q as u128 + 1),
            status::BAD_SHAPE,
        ),
        bad(
            "E with a high bit",
            with(3, (1 << 40) | good[3].0),
            status::BAD_SHAPE,
        ),
        bad(
            "mantissa not normalized",
            with(5, mant >> 1),
            status::BAD_SCALE,
        ),
        bad(
            "mantissa with a high bit",
            with(5, (1 << 63) | mant),
            status::BAD_SCALE,
        ),
        bad("shift of 32", with(6, 32), status::BAD_SCALE),
        bad("tlast in the header", cut(3), status::EARLY_END),
        bad("tlast on the last header word", cut(7), status::EARLY_END),
        bad("tlast in the data", cut(20), status::EARLY_END),
        bad("no tlast on the last word", too_long, status::MISSING_LAST),
    ];
    if cfg.derived().in_bits > 64 {
        // a header field holds the low 64 bits of its word; the rest must be 0
        v.push(bad(
            "P with a bit above 64",
            with(1, (1 << 100) | good[1].0),
            status::BAD_SHAPE,
        ));
        v.push(bad(
            "magic with a bit above 64",
            with(0, (1 << 64) | good[0].0),
            status::BAD_MAGIC,
        ));
    }
    v
}
