//! Port-level co-simulation: a component's rust-hdl simulation against its own emitted Verilog
//! in Verilator, cycle by cycle, on the same input vectors.
//!
//! The Verilator build (harness from a tera template) is cached under `build/cosim/<hash>` by
//! the hash of the Verilog, so a second run of the same design reuses it.

use super::component::Component;
use super::emit::emit_verilog;
use super::sig::Dir;
use super::sim::RtlSim;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const HARNESS: &str = include_str!("../../templates/cosim_harness.cpp");

/// The project's build directory: `$FUSEMAX_BUILD` or `<workspace>/build`.
pub fn build_root() -> PathBuf {
    if let Ok(p) = std::env::var("FUSEMAX_BUILD") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("build")
}

/// Whether `verilator` is on PATH.
pub fn have_verilator() -> bool {
    Command::new("verilator")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[derive(serde::Serialize)]
struct PortCtx {
    name: String,
    width: u32,
    words: u32,
    wide: bool,
    ctype: &'static str,
}

fn port_ctx(name: &str, width: u32) -> PortCtx {
    let ctype = match width {
        0..=8 => "uint8_t",
        9..=16 => "uint16_t",
        17..=32 => "uint32_t",
        _ => "uint64_t",
    };
    PortCtx {
        name: name.to_string(),
        width,
        words: width.div_ceil(32),
        wide: width > 64,
        ctype,
    }
}

/// Runs a command, returning its stderr on failure.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed ({}):\n{}{}",
            cmd.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Builds (or reuses) a Verilator binary for `verilog` (top module `dut`) with `harness`
/// C++ source. Returns the executable.
pub fn verilate(verilog: &str, harness: &str, tag: &str, opt: &str) -> Result<PathBuf, String> {
    verilate_top(verilog, harness, tag, opt, "dut", false)
}

/// Builds (or reuses) a Verilator binary for `verilog` with top module `top` (class `V<top>`),
/// optionally with VCD tracing. The binary is `<dir>/obj/V<top>`.
pub fn verilate_top(
    verilog: &str,
    harness: &str,
    tag: &str,
    opt: &str,
    top: &str,
    trace: bool,
) -> Result<PathBuf, String> {
    let mut h = Sha256::new();
    h.update(verilog.as_bytes());
    h.update(harness.as_bytes());
    h.update(opt.as_bytes());
    h.update([trace as u8]);
    let hash: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = build_root().join("cosim").join(format!("{tag}-{hash}"));
    let exe = dir.join("obj").join(format!("V{top}"));
    if exe.exists() {
        return Ok(exe);
    }
    let tmp = build_root().join("cosim").join(format!(
        ".tmp-{tag}-{hash}-{}-{}",
        std::process::id(),
        unique_id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    std::fs::write(tmp.join("dut.v"), verilog).map_err(|e| e.to_string())?;
    std::fs::write(tmp.join("harness.cpp"), harness).map_err(|e| e.to_string())?;
    let mut cmd = Command::new("verilator");
    cmd.current_dir(&tmp)
        .args(["--cc", "--exe", "--build", "-j", "2", "--top-module", top])
        .args(["-Mdir", "obj", "-CFLAGS", opt]);
    if trace {
        cmd.arg("--trace");
    }
    run(cmd.args(["dut.v", "harness.cpp"]))?;
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => {}
        Err(_) if exe.exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Err(e) => return Err(format!("cannot move build to {}: {e}", dir.display())),
    }
    Ok(exe)
}

/// Input ports (other than `clock`) and output ports of a component, in declaration order.
pub fn io_ports<T: Component>(uut: &T) -> (Vec<(usize, &'static str)>, Vec<(usize, &'static str)>) {
    let mut ins = vec![];
    let mut outs = vec![];
    for (i, n) in uut.port_names().into_iter().enumerate() {
        match uut.port(i).dir() {
            Dir::In if n != "clock" => ins.push((i, n)),
            Dir::In => {}
            Dir::Out => outs.push((i, n)),
        }
    }
    (ins, outs)
}

/// Simulates `uut` in rust-hdl and its Verilog in Verilator on `stimulus` (one row per cycle,
/// one value per input port other than `clock`, in `io_ports` order) and compares every output
/// in every cycle. Returns the number of cycles compared, or the first mismatch.
pub fn cosim<T: Component>(uut: T, stimulus: &[Vec<i128>]) -> Result<usize, String> {
    cosim_with(uut, stimulus, |v| v)
}

/// As [`cosim`], for the Verilog the ECP5 flow reads: `FUSEMAX_ECP5` defined and the vendor
/// multipliers simulated by [`crate::arith::dsp::mult18x18d_model`].
pub fn cosim_ecp5<T: Component>(uut: T, stimulus: &[Vec<i128>]) -> Result<usize, String> {
    use crate::arith::dsp;
    cosim_with(uut, stimulus, |v| {
        format!(
            "`define {}\n{v}{}",
            dsp::ECP5_DEFINE,
            dsp::mult18x18d_model()
        )
    })
}

fn cosim_with<T: Component>(
    uut: T,
    stimulus: &[Vec<i128>],
    transform: impl Fn(String) -> String,
) -> Result<usize, String> {
    let (ins, outs) = io_ports(&uut);
    let has_clock = uut.port_names().contains(&"clock");
    let verilog = transform(emit_verilog(&uut, "dut", "// co-simulation build\n"));
    let mut ctx = tera::Context::new();
    ctx.insert("top", "dut");
    ctx.insert("has_clock", &has_clock);
    let in_ctx: Vec<PortCtx> = ins
        .iter()
        .map(|&(i, n)| port_ctx(n, uut.port(i).width()))
        .collect();
    let out_ctx: Vec<PortCtx> = outs
        .iter()
        .map(|&(i, n)| port_ctx(n, uut.port(i).width()))
        .collect();
    ctx.insert("inputs", &in_ctx);
    ctx.insert("outputs", &out_ctx);
    let harness =
        tera::Tera::one_off(HARNESS, &ctx, false).map_err(|e| format!("template: {e:?}"))?;
    let exe = verilate(&verilog, &harness, &uut.kind(), "-O1")?;

    // Stimulus file and the rust-hdl run.
    let mut stim = String::new();
    let mut expected = Vec::with_capacity(stimulus.len());
    let mut sim = RtlSim::new(uut);
    for row in stimulus {
        assert_eq!(row.len(), ins.len(), "stimulus row width");
        for (k, &(i, _)) in ins.iter().enumerate() {
            let w = sim.uut.port(i).width();
            let bits = (row[k] as u128) & (u128::MAX >> (128 - w));
            let _ = write!(stim, "{bits:x} ");
            sim.uut.port_mut(i).set(row[k]);
        }
        stim.push('\n');
        if has_clock {
            sim.step();
        } else {
            sim.settle();
        }
        expected.push(
            outs.iter()
                .map(|&(i, _)| sim.uut.port(i).bits())
                .collect::<Vec<u128>>(),
        );
    }
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let tag = format!("{}-{:x}", std::process::id(), unique_id());
    let sfile = dir.join(format!("stim-{tag}.txt"));
    let ofile = dir.join(format!("out-{tag}.txt"));
    std::fs::write(&sfile, stim).map_err(|e| e.to_string())?;
    run(Command::new(&exe).arg(&sfile).arg(&ofile))?;
    let got = std::fs::read_to_string(&ofile).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&sfile);
    let _ = std::fs::remove_file(&ofile);
    let lines: Vec<&str> = got.lines().collect();
    if lines.len() != expected.len() {
        return Err(format!(
            "Verilator produced {} cycles, expected {}",
            lines.len(),
            expected.len()
        ));
    }
    for (cyc, (line, exp)) in lines.iter().zip(&expected).enumerate() {
        let vals: Vec<u128> = line
            .split_whitespace()
            .map(|t| u128::from_str_radix(t, 16).unwrap_or(u128::MAX))
            .collect();
        for (k, (&(_, name), &e)) in outs.iter().zip(exp).enumerate() {
            if vals.get(k) != Some(&e) {
                return Err(format!(
                    "cycle {cyc}: output {name}: rust-hdl {e:#x}, Verilator {:#x}; inputs {:?}",
                    vals.get(k).copied().unwrap_or(0),
                    stimulus[cyc]
                ));
            }
        }
    }
    Ok(expected.len())
}

/// A number unique within the process, for the names of scratch files and directories
/// (concurrent test threads share the process id).
pub fn unique_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// `verilator --lint-only -Wall` on a Verilog text; returns the warnings on failure. (The
/// file's name is a temporary one, so the file-name rule is left out.)
pub fn lint(verilog: &str, top: &str) -> Result<(), String> {
    let dir = build_root().join("lint");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let f = dir.join(format!("{top}-{}-{}.v", std::process::id(), unique_id()));
    std::fs::write(&f, verilog).map_err(|e| e.to_string())?;
    let r = run(Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "-Wno-DECLFILENAME",
            "--top-module",
            top,
        ])
        .arg(&f));
    let _ = std::fs::remove_file(&f);
    r
}

/// yosys `read_verilog; hierarchy -check -top <top>; proc; check -assert` on a Verilog text.
pub fn yosys_check(verilog: &str, top: &str) -> Result<(), String> {
    let dir = build_root().join("lint");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let f = dir.join(format!("{top}-{}-{}-y.v", std::process::id(), unique_id()));
    std::fs::write(&f, verilog).map_err(|e| e.to_string())?;
    let script = format!(
        "read_verilog {}; hierarchy -check -top {top}; proc; check -assert",
        f.display()
    );
    let r = run(Command::new("yosys").args(["-q", "-p", &script]));
    let _ = std::fs::remove_file(&f);
    r
}

/// Random and corner values for test vectors.
pub mod vectors {
    use rand::Rng;

    /// A uniformly random value of a `width`-bit port.
    pub fn random(rng: &mut impl Rng, width: u32, signed: bool) -> i128 {
        let bits = rng.gen::<u128>() & (u128::MAX >> (128 - width));
        super::super::sig::wrap(bits as i128, width, signed)
    }

    /// Operand pairs of a `wa` x `wb` signed multiplier: every pair of corners, then `n`
    /// random pairs (one row per pair).
    pub fn signed_pairs(rng: &mut impl Rng, wa: u32, wb: u32, n: usize) -> Vec<Vec<i128>> {
        let mut rows = vec![];
        for a in corners(wa, true) {
            for b in corners(wb, true) {
                rows.push(vec![a, b]);
            }
        }
        for _ in 0..n {
            rows.push(vec![random(rng, wa, true), random(rng, wb, true)]);
        }
        rows
    }

    /// Corner values of a port: 0, 1, -1 (or all ones), min, max, min + 1, max - 1.
    pub fn corners(width: u32, signed: bool) -> Vec<i128> {
        let (lo, hi) = if signed {
            (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
        } else {
            (0, (1i128 << width) - 1)
        };
        let mut v = vec![0, 1, -1, lo, hi, lo + 1, hi - 1];
        v.iter_mut()
            .for_each(|x| *x = super::super::sig::wrap(*x, width, signed));
        v.dedup();
        v
    }
}

/// Emits a component as module `dut` and requires `verilator --lint-only -Wall` and yosys
/// `hierarchy -check; proc; check -assert` to pass.
pub fn check_verilog<T: Component>(uut: &T) -> Result<(), String> {
    let v = emit_verilog(uut, "dut", "// check\n");
    lint(&v, "dut")?;
    yosys_check(&v, "dut")
}
