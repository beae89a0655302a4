//! The engine's emitted Verilog (`fusemax_top`) in Verilator, driven by a stream harness
//! generated from a tera template: input words from a file, the same seeded backpressure as
//! the rust-hdl driver, output words to a file. Built once per Verilog text (cached under
//! `build/cosim/engine-<hash>`), optionally with VCD tracing.

use super::engine::{Budget, SimRun, StallRng};
use fusemax_hdl::kit::cosim::{build_root, verilate_top};
use fusemax_hdl::stream::InWord;
use fusemax_hdl::{generate, Config, TOP_MODULE};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const HARNESS: &str = include_str!("../../templates/engine_harness.cpp");

/// A Verilator build of the engine for one config.
pub struct VerilatorEngine {
    exe: PathBuf,
}

impl VerilatorEngine {
    /// Generates the config's Verilog and builds (or reuses) its Verilator model.
    pub fn build(cfg: &Config, trace: bool) -> Result<VerilatorEngine, String> {
        let verilog = generate(cfg);
        let mut ctx = tera::Context::new();
        ctx.insert("top", TOP_MODULE);
        ctx.insert("trace", &trace);
        // a 128-bit input port is a Verilator wide signal, set in 32-bit words
        ctx.insert("wide", &(cfg.derived().in_bits > 64));
        let harness =
            tera::Tera::one_off(HARNESS, &ctx, false).map_err(|e| format!("template: {e:?}"))?;
        let exe = verilate_top(
            &verilog,
            &harness,
            &format!("engine-{}", cfg.hw_hash()),
            "-O2",
            TOP_MODULE,
            trace,
        )?;
        Ok(VerilatorEngine { exe })
    }

    /// Runs `input` with stall probability `stall` up to the output's first `tlast`;
    /// `progress(cycles, words_in, total_in)` is called as the simulation reports progress.
    pub fn run(
        &self,
        input: &[InWord],
        stall: f64,
        seed: u64,
        max_cycles: u64,
        vcd: Option<&Path>,
        progress: impl FnMut(u64, usize, usize),
    ) -> Result<SimRun, String> {
        self.run_stream(input, stall, seed, &Budget::one(max_cycles), vcd, progress)
    }

    /// Runs `input`, any number of jobs back to back, up to the output's `budget.jobs`-th
    /// `tlast`; fails when one does not come within `budget.job_cycles` of the previous one.
    pub fn run_stream(
        &self,
        input: &[InWord],
        stall: f64,
        seed: u64,
        budget: &Budget,
        vcd: Option<&Path>,
        mut progress: impl FnMut(u64, usize, usize),
    ) -> Result<SimRun, String> {
        let dir = build_root().join("runs");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let tag = format!(
            "{}-{}",
            std::process::id(),
            fusemax_hdl::kit::cosim::unique_id()
        );
        let fin = dir.join(format!("in-{tag}.txt"));
        let fout = dir.join(format!("out-{tag}.txt"));
        let mut text = String::with_capacity(input.len() * 20);
        for (w, l) in input {
            text.push_str(&format!(
                "{:x} {:x} {}\n",
                *w as u64,
                (*w >> 64) as u64,
                *l as u8
            ));
        }
        std::fs::write(&fin, text).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg(&fin)
            .arg(&fout)
            .arg(StallRng::threshold(stall).to_string())
            .arg(seed.to_string())
            .arg(budget.max_cycles.to_string())
            .arg(budget.jobs.to_string())
            .arg(budget.job_cycles.to_string());
        if let Some(v) = vcd {
            cmd.arg(v);
        }
        let mut child = cmd
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.exe.display()))?;
        let mut errtext = String::new();
        if let Some(err) = child.stderr.take() {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let parts: Vec<&str> = line.split_whitespace().collect();
                if parts.len() == 5 && parts[0] == "progress" {
                    let c = parts[1].parse().unwrap_or(0);
                    let i = parts[2].parse().unwrap_or(0);
                    let n = parts[3].parse().unwrap_or(0);
                    progress(c, i, n);
                } else {
                    errtext.push_str(&line);
                    errtext.push('\n');
                }
            }
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        let out = std::fs::read_to_string(&fout).unwrap_or_default();
        let _ = std::fs::remove_file(&fin);
        let _ = std::fs::remove_file(&fout);
        let mut words = vec![];
        let mut cycles = 0;
        let mut ends = vec![];
        for line in out.lines() {
            if let Some(c) = line.strip_prefix("cycles ") {
                cycles = c.trim().parse().unwrap_or(0);
            } else if let Some(c) = line.strip_prefix("end ") {
                ends.push(
                    c.trim()
                        .parse()
                        .map_err(|e| format!("harness output {line:?}: {e}"))?,
                );
            } else if let Some((w, l)) = line.split_once(' ') {
                words.push((
                    u64::from_str_radix(w, 16).map_err(|e| e.to_string())?,
                    l == "1",
                ));
            }
        }
        if !status.success() {
            return Err(format!(
                "Verilator run ended with {} of {} output tlasts after {cycles} cycles ({} output words){}",
                ends.len(),
                budget.jobs,
                words.len(),
                if errtext.is_empty() { String::new() } else { format!(": {errtext}") }
            ));
        }
        Ok(SimRun {
            words,
            cycles,
            ends,
        })
    }
}
