//! The kit: run-time-parameterized hardware on rust-hdl.
//!
//! - [`Sig`]: a signal whose width is chosen at run time;
//! - [`Component`]: a block with `Sig` ports, a clock edge and a module kind;
//! - [`Structure`]: a module of child instances and nets, wired once for simulation and Verilog;
//! - [`RtlSim`]: cycle-based rust-hdl simulation;
//! - [`emit`]: Verilog emission with identical modules merged and readable names.

pub mod component;
pub mod cosim;
pub mod emit;
pub mod sig;
pub mod sim;
pub mod structure;

pub use component::Component;
pub use sig::{Dir, Sig};
pub use sim::RtlSim;
pub use structure::{find, End, Structure};

/// Zero-extends the Verilog expression `e` of width `from` to width `to` (>= from).
pub fn zext(e: &str, from: u32, to: u32) -> String {
    assert!(to >= from, "zext {e} from {from} to {to}");
    if to == from {
        e.to_string()
    } else {
        format!("{{{}'d0, {e}}}", to - from)
    }
}

/// Resizes the signed Verilog identifier `e` of width `from` to `to` bits: sign-extends or
/// keeps the low bits. The result is an unsigned-typed vector of `to` bits.
pub fn sresize(e: &str, from: u32, to: u32) -> String {
    if to == from {
        e.to_string()
    } else if to > from {
        format!("{{{{{}{{{e}[{}]}}}}, {e}}}", to - from, from - 1)
    } else {
        format!("{e}[{}:0]", to - 1)
    }
}

/// Resizes the unsigned Verilog identifier `e` of width `from` to `to` bits: zero-extends or
/// keeps the low bits.
pub fn uresize(e: &str, from: u32, to: u32) -> String {
    if to >= from {
        zext(e, from, to)
    } else {
        format!("{e}[{}:0]", to - 1)
    }
}
