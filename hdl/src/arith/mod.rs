//! Arithmetic leaves: what rust-hdl lacks or gets wrong, as `Verilog::Custom` text with a Rust
//! model. Each is checked against its Verilog in Verilator by the tests beside it.

pub mod divider;
pub mod dsp;
pub mod exp_step;
pub mod mul_pipe;
pub mod mul_reg;

pub use divider::Divider;
pub use exp_step::ExpStep;
pub use mul_pipe::MulPipe;
pub use mul_reg::MulReg;
