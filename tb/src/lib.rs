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
