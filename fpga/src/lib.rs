//! fusemax-fpga: the open FPGA flow of the FuseMax engine.
//!
//! For a validated config and a board: the board top's Verilog (`fusemax_board`: engine, host
//! link, reset, LEDs, PLL), yosys (`synth_ecp5` / `synth_ice40 -dsp`), a fit check of the cell
//! counts against the device, nextpnr (`--freq <clock_mhz> --report`), ecppack / icepack, and a
//! report parsed from the tools' JSON. See README "FPGA".
//!
//! - [`boards`]: devices, nextpnr options, constraints, capacities;
//! - [`tools`]: native (Debian) or YoWASP (PyPI) tools;
//! - [`flow`]: the steps, the scripts (tera templates), running them;
//! - [`report`]: yosys `stat -json` and nextpnr `--report` parsing;
//! - [`fit`]: which resource ran out and by how much.

pub mod boards;
pub mod fit;
pub mod flow;
pub mod report;
pub mod tools;
pub mod top;

pub use boards::{BoardSpec, Family};
pub use flow::{run, FlowError, FlowOptions, FpgaReport};
pub use top::{Board, Target};
