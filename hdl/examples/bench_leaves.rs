//! Simulation speed of the leaf blocks in the kit's cycle simulation (`RtlSim`: settle, clock
//! edge, settle), on random inputs: `cargo run --release -p fusemax-hdl --example bench_leaves`.
//! Prints a Markdown table of cycles per second, one row per block.

use fusemax_hdl::arith::{Divider, MulPipe, MulReg};
use fusemax_hdl::fifo::Fifo;
use fusemax_hdl::kit::cosim::io_ports;
use fusemax_hdl::kit::{Component, RtlSim};
use fusemax_hdl::ram::Ram;
use fusemax_hdl::reset_reg::ResetReg;
use fusemax_hdl::uart::{UartRx, UartTx};
use fusemax_hdl::Config;
use std::time::Instant;

/// xorshift64*: a cheap deterministic random source, the same for every block.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Runs `cycles` cycles of `uut` on random inputs (`rst` high one cycle in 1024) and returns
/// cycles per second.
fn bench<T: Component>(uut: T, cycles: usize) -> f64 {
    let (ins, _) = io_ports(&uut);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let rows: Vec<Vec<i128>> = (0..4096)
        .map(|_| {
            ins.iter()
                .map(|&(_, n)| {
                    let r = rng.next() as i128 | ((rng.next() as i128) << 64);
                    if n == "rst" {
                        (r & 1023 == 0) as i128
                    } else {
                        r
                    }
                })
                .collect()
        })
        .collect();
    let mut sim = RtlSim::new(uut);
    let t = Instant::now();
    for c in 0..cycles {
        let row = &rows[c % rows.len()];
        for (k, &(i, _)) in ins.iter().enumerate() {
            sim.uut.port_mut(i).set(row[k]);
        }
        sim.step();
    }
    cycles as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let cfg = Config::default();
    let d = cfg.derived();
    let n = 1_000_000;
    println!("| block | config | cycles/s |");
    println!("|---|---|---|");
    let row = |b: &str, c: &str, v: f64| println!("| {b} | {c} | {:.0} |", v);
    row("reset_reg", "-", bench(ResetReg::new(), n));
    row("fifo", "65 x 16", bench(Fifo::new(65, 16), n));
    row("fifo", "64 x 2", bench(Fifo::new(64, 2), n));
    row("ram", "41 x 128 signed", bench(Ram::new(41, 128, true), n));
    row("mul_reg", "18 x 18", bench(MulReg::new(18, 18), n));
    row(
        "mul_pipe",
        "rnv x mul",
        bench(MulPipe::new(d.rnv_bits, cfg.mul_bits), n),
    );
    row("divider", "default", bench(Divider::new(&cfg), n));
    row("uart_rx", "div 16", bench(UartRx::new(16), n));
    row("uart_tx", "div 16", bench(UartTx::new(16), n));
}
