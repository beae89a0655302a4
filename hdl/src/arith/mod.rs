//! Arithmetic leaves: what rust-hdl lacks or gets wrong, as `Verilog::Custom` text with a Rust
//! model. Each is checked against its Verilog in Verilator (`tests/leaves.rs`).

pub mod divider;
pub mod exp_step;
pub mod mul;
pub mod mul_pipe;

pub use divider::Divider;
pub use exp_step::ExpStep;
pub use mul::Mul;
pub use mul_pipe::MulPipe;
