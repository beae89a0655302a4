//! The board top (`fusemax_board`, simulation target) in Verilator behind a pseudo-terminal:
//! the host program talks to the simulated UART exactly as to a real board's serial port.

use fusemax_hdl::board::{generate_board, Board, Target};
use fusemax_hdl::kit::cosim::verilate_top;
use fusemax_hdl::Config;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const HARNESS: &str = include_str!("../../templates/board_harness.cpp");

/// A running simulation of the board top; dropping it ends the simulation.
pub struct SimBoard {
    child: Child,
    /// Path of the pty to open as the serial port.
    pub port: PathBuf,
}

impl SimBoard {
    /// Builds (or reuses) the Verilator model of the board top for `cfg` and starts it.
    pub fn start(cfg: &Config, board: Board, max_cycles: u64) -> Result<SimBoard, String> {
        let verilog = generate_board(cfg, board, Target::Sim)?;
        let mut ctx = tera::Context::new();
        ctx.insert("div", &cfg.uart_divisor());
        let harness =
            tera::Tera::one_off(HARNESS, &ctx, false).map_err(|e| format!("template: {e:?}"))?;
        let exe = verilate_top(
            &verilog,
            &harness,
            &format!("board-{}", cfg.hw_hash()),
            "-O2",
            "fusemax_board",
            false,
        )?;
        let mut child = Command::new(exe)
            .arg(max_cycles.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the board simulation: {e}"))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| format!("board simulation: {e}"))?;
        let port = PathBuf::from(line.trim());
        if !port.exists() {
            return Err(format!(
                "board simulation gave no pty (got `{}`)",
                line.trim()
            ));
        }
        Ok(SimBoard { child, port })
    }
}

impl Drop for SimBoard {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
