//! fusemax-tb: the software reference of FuseMax and the testbenches of its RTL.
//!
//! - [`reference`]: `attention_f64` (ground truth), `cascade_f64` (the paper's 1-pass cascade),
//!   `cascade_fixed` (bit-accurate model of the hardware);
//! - [`quant`]: symmetric per-tensor quantization and the folded score-scale constant;
//! - [`gen`]: seeded inputs; [`metrics`]: errors in LSB of V's grid;
//! - [`npy`]: NumPy `.npy` reading and writing of 2-D matrices;
//! - [`badjobs`]: malformed job streams and the status each must end with;
//! - [`formal`]: the SymbiYosys proofs of the stream rules (`docs/formal.md`).

pub mod badjobs;
pub mod drivers;
pub mod formal;
pub mod gen;
pub mod mat;
pub mod metrics;
pub mod npy;
pub mod quant;
pub mod reference;

pub use mat::Mat;
pub use quant::QuantJob;

/// A small engine config of the tests: an `n` x `n` array, head sizes at most `max_ef`, at
/// most 8 queries and keys (so that most flipped shape bits fall out of range), the default
/// widths and FIFO; the job is 1 x 1 x 1 x 1. The fuzz's configs, and the formal proofs' (1, 4).
pub fn small_config(n: usize, max_ef: usize) -> fusemax_hdl::Config {
    fusemax_hdl::Config {
        rows: n,
        cols: n,
        max_e: max_ef,
        max_f: max_ef,
        max_seq_kv: 8,
        max_seq_q: 8,
        job: fusemax_hdl::Job {
            head_e: 1,
            head_f: 1,
            seq_q: 1,
            seq_kv: 1,
            ..Default::default()
        },
        ..fusemax_hdl::Config::default()
    }
}
