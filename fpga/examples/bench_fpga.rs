//! `make bench-fpga`: the FPGA flow on the ECP5-85F (ULX3S) at 2x2, 4x4 and 8x8 (the ULX3S
//! preset's numerics) and on the iCEBreaker preset; prints a Markdown table of resources,
//! Fmax and tool times, and each run's critical path. Arguments select rows by name
//! (`ulx3s-2x2`, `ulx3s-4x4`, `ulx3s-8x8`, `icebreaker`); none runs all.

use fusemax_fpga::flow::{self, FlowError, FlowOptions, FpgaReport};
use fusemax_fpga::{boards, Board};
use fusemax_hdl::Config;
use std::time::Instant;

struct Case {
    name: &'static str,
    board: Board,
    sets: &'static [&'static str],
}

const CASES: [Case; 4] = [
    Case {
        name: "ulx3s-2x2",
        board: Board::Ulx3s,
        sets: &["rows=2", "cols=2"],
    },
    Case {
        name: "ulx3s-4x4",
        board: Board::Ulx3s,
        sets: &["rows=4", "cols=4"],
    },
    Case {
        name: "ulx3s-8x8",
        board: Board::Ulx3s,
        sets: &["rows=8", "cols=8"],
    },
    Case {
        name: "icebreaker",
        board: Board::Icebreaker,
        sets: &[],
    },
];

fn config(c: &Case) -> Config {
    let spec = boards::spec(c.board);
    let preset = fusemax_fpga::tools::workspace_root().join(format!("configs/{}.toml", spec.name));
    let sets: Vec<String> = c.sets.iter().map(|s| s.to_string()).collect();
    Config::load(Some(&preset), &sets).unwrap_or_else(|e| panic!("{}: {e}", c.name))
}

fn pct(u: u64, c: u64) -> String {
    format!("{:.0}%", 100.0 * u as f64 / c.max(1) as f64)
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let t0 = Instant::now();
    let mut rows = vec![];
    let mut notes = vec![];
    for c in CASES
        .iter()
        .filter(|c| only.is_empty() || only.iter().any(|o| o == c.name))
    {
        let cfg = config(c);
        let spec = boards::spec(c.board);
        eprintln!(
            "bench-fpga: {} ({}x{}, {} MHz target, config {})",
            c.name,
            cfg.rows,
            cfg.cols,
            cfg.clock_mhz,
            cfg.hw_hash()
        );
        let opts = FlowOptions {
            verbose: true,
            ..FlowOptions::new(c.board)
        };
        match flow::run(&cfg, &opts) {
            Ok(r) => {
                rows.push(row(c, &cfg, &r));
                if let Some(p) = &r.critical_path {
                    let (a, b) = p.endpoints();
                    notes.push(format!(
                        "- {}: critical path {:.2} ns, {} logic levels, from `{a}` to `{b}`",
                        c.name,
                        p.delay_ns,
                        p.logic_levels()
                    ));
                }
            }
            Err(FlowError::Fit(e)) => {
                rows.push(format!(
                    "| {} | {} | {}x{} | does not fit: {} | | | | | | | | |",
                    c.name, spec.device, cfg.rows, cfg.cols, e
                ));
            }
            Err(e) => {
                rows.push(format!(
                    "| {} | {} | {}x{} | flow failed: {} | | | | | | | | |",
                    c.name,
                    spec.device,
                    cfg.rows,
                    cfg.cols,
                    e.to_string().lines().next().unwrap_or("")
                ));
            }
        }
    }
    println!(
        "| case | device | array | LUT4 | FF | DSP | BRAM | Fmax (MHz) | target (MHz) | timing | synthesis (s) | place and route (s) |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for r in &rows {
        println!("{r}");
    }
    println!();
    for n in &notes {
        println!("{n}");
    }
    println!(
        "\nTotal {:.0} s on {} core(s).",
        t0.elapsed().as_secs_f64(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
}

fn row(c: &Case, cfg: &Config, r: &FpgaReport) -> String {
    let cap = r.capacity;
    format!(
        "| {} | {} | {}x{} | {} ({}) | {} ({}) | {} ({}) | {} ({}) | {:.1} | {} | {} | {:.0} | {:.0} |",
        c.name,
        r.device,
        cfg.rows,
        cfg.cols,
        r.luts,
        pct(r.luts, cap.luts),
        r.ffs,
        pct(r.ffs, cap.ffs),
        r.dsps,
        pct(r.dsps, cap.dsps),
        r.brams,
        pct(r.brams, cap.brams),
        r.fmax_mhz,
        flow::freq_arg(r.target_mhz),
        if r.timing_met { "met" } else { "not met" },
        r.seconds.synth,
        r.seconds.pnr
    )
}
