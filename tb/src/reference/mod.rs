//! The software reference: the ground truth in f64, FuseMax's cascade in f64, and the
//! bit-accurate model of the hardware.

pub mod attention_f64;
pub mod cascade_f64;
pub mod cascade_fixed;

pub use attention_f64::attention_f64;
pub use cascade_f64::cascade_f64;
pub use cascade_fixed::{cascade_fixed, FixedCascade, TileTrace};
