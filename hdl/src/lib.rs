//! fusemax-hdl: the FuseMax attention accelerator as parameterized rust-hdl modules.
//!
//! - [`config`]: the one validated configuration and its derived widths;
//! - [`numerics`]: the integer arithmetic shared by the RTL models and the golden model.

pub mod arith;
pub mod buffers;
pub mod array1d;
pub mod array2d;
pub mod config;
pub mod datapath;
pub mod fifo;
pub mod lanes;
pub mod kit;
pub mod numerics;
pub mod pe;
pub mod ram;
pub mod schedule;
pub mod softmax_unit;

pub use config::{Binding, Config, ConfigError, Derived, Dist, Job};
pub use numerics::{Numerics, ScaleConst};

/// Version of the generator, written into every emitted file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
