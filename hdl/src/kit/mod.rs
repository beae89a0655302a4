//! The kit: run-time-parameterized hardware on rust-hdl.
//!
//! - [`Sig`]: a signal whose width is chosen at run time;
//! - [`Component`]: a block with `Sig` ports, a clock edge and a module kind;
//! - [`Structure`]: a module of child instances and nets, wired once for simulation and Verilog;
//! - [`RtlSim`]: cycle-based rust-hdl simulation;
//! - [`emit`]: Verilog emission with identical modules merged and readable names.

pub mod component;
pub mod emit;
pub mod sig;
pub mod sim;
pub mod structure;

pub use component::Component;
pub use sig::{Dir, Sig};
pub use sim::RtlSim;
pub use structure::{End, Structure};
