//! Drivers that run the RTL: edge-level stimulus for the datapath (the testbench plays the
//! feeders and the controller), and (later) the full engine in rust-hdl or Verilator.

pub mod board;
pub mod datapath;
pub mod engine;
pub mod host;
pub mod verilator;
