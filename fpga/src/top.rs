//! The board top the flow synthesizes: `fusemax_board` from `fusemax_hdl::board` (engine, UART
//! host link, reset, status LEDs, PLL), with ports `clk`, `btn`, `uart_rx`, `uart_tx` and
//! `led[N-1:0]`.

pub use fusemax_hdl::board::{board_pins, generate_board, Board, Target};
