//! The flow: fit check of the config -> board top Verilog -> yosys -> fit check -> nextpnr -> ecppack/icepack, in one
//! directory per board, config and seed (`build/fpga/<board>-<hw_hash>/`), with a log per step, the
//! scripts that reproduce it (`synth.ys`, `run.sh`, both rendered from templates) and the
//! report (`fpga.json`).

use crate::boards::{self, BoardSpec, Family};
use crate::fit::{self, FitError};
use crate::report::{self, CriticalPath, PnrReport, SynthStats, Util};
use crate::tools::{self, ToolPref, Toolchain};
use crate::top::{self, Board, Target};
use fusemax_hdl::Config;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const SYNTH_YS: &str = include_str!("../templates/synth.ys.tera");
const RUN_SH: &str = include_str!("../templates/run.sh.tera");

/// Top module of the board design.
pub const BOARD_TOP: &str = "fusemax_board";

/// File names inside a flow directory.
pub mod files {
    pub const VERILOG: &str = "design.v";
    pub const CONFIG: &str = "fusemax.toml";
    pub const SYNTH_SCRIPT: &str = "synth.ys";
    pub const RUN_SCRIPT: &str = "run.sh";
    pub const NETLIST: &str = "design.json";
    pub const STAT: &str = "stat.json";
    pub const PNR_REPORT: &str = "report.json";
    pub const REPORT: &str = "fpga.json";
    pub const SYNTH_LOG: &str = "synth.log";
    pub const PNR_LOG: &str = "pnr.log";
    pub const PACK_LOG: &str = "pack.log";
}

/// How to run the flow.
#[derive(Clone, Debug)]
pub struct FlowOptions {
    pub board: Board,
    /// Output directory; default `build/fpga/<board>-<hw_hash>[-seed<N>]` ([`default_dir`]).
    pub out_dir: Option<PathBuf>,
    pub tools: ToolPref,
    /// nextpnr's placement seed.
    pub seed: u64,
    /// Progress lines on stderr.
    pub verbose: bool,
}

impl FlowOptions {
    pub fn new(board: Board) -> FlowOptions {
        FlowOptions {
            board,
            out_dir: None,
            tools: ToolPref::Auto,
            seed: 1,
            verbose: false,
        }
    }
}

/// One command of the flow.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `synth`, `pnr` or `pack`.
    pub name: String,
    /// One line saying what it does.
    pub what: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Log file (stdout and stderr), relative to the flow directory.
    pub log: String,
    /// The command as a shell line.
    pub command: String,
}

/// A string as one shell word (quoted when it needs to be).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn step(name: &str, what: &str, program: &Path, args: Vec<String>, log: &str) -> Step {
    let mut command = shell_quote(&program.display().to_string());
    for a in &args {
        command.push(' ');
        command.push_str(&shell_quote(a));
    }
    Step {
        name: name.into(),
        what: what.into(),
        program: program.to_path_buf(),
        args,
        log: log.into(),
        command,
    }
}

/// nextpnr's `--freq` as text: the config's clock, without a trailing `.0`.
pub fn freq_arg(mhz: f64) -> String {
    let s = format!("{mhz}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The three steps of a flow for a board, config and toolchain.
pub fn steps(cfg: &Config, spec: &BoardSpec, tc: &Toolchain, seed: u64) -> Vec<Step> {
    use files::*;
    let mut pnr: Vec<String> = spec.pnr_args.iter().map(|s| s.to_string()).collect();
    let (routed, routed_opt) = match spec.family {
        Family::Ecp5 => ("design.config", "--textcfg"),
        Family::Ice40 => ("design.asc", "--asc"),
    };
    pnr.extend(
        [
            "--json",
            NETLIST,
            spec.constraints_opt,
            spec.constraints_file,
            "--freq",
            &freq_arg(cfg.clock_mhz),
            routed_opt,
            routed,
            "--report",
            PNR_REPORT,
            "--seed",
            &seed.to_string(),
            "--timing-allow-fail",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let pack: Vec<String> = match spec.family {
        Family::Ecp5 => vec![
            "--compress".into(),
            routed.into(),
            spec.bitstream_name().into(),
        ],
        Family::Ice40 => vec![routed.into(), spec.bitstream_name().into()],
    };
    vec![
        step(
            "synth",
            &format!("synthesis ({})", tc.yosys.name),
            &tc.yosys.program,
            vec!["-s".into(), SYNTH_SCRIPT.into()],
            SYNTH_LOG,
        ),
        step(
            "pnr",
            &format!("place and route ({})", tc.nextpnr.name),
            &tc.nextpnr.program,
            pnr,
            PNR_LOG,
        ),
        step(
            "pack",
            &format!("bitstream ({})", tc.pack.name),
            &tc.pack.program,
            pack,
            PACK_LOG,
        ),
    ]
}

/// The generated scripts of a flow directory.
#[derive(Clone, Debug, PartialEq)]
pub struct Scripts {
    pub synth_ys: String,
    pub run_sh: String,
}

/// Renders `synth.ys` and `run.sh` from the templates. Deterministic: a pure function of the
/// config, the board, the tools' paths and the seed.
pub fn render_scripts(
    cfg: &Config,
    spec: &BoardSpec,
    tc: &Toolchain,
    seed: u64,
) -> Result<Scripts, String> {
    let mut ctx = tera::Context::new();
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    ctx.insert("board", spec.name);
    ctx.insert("device", spec.device);
    ctx.insert("family", &spec.family);
    ctx.insert("ecp5_define", fusemax_hdl::arith::dsp::ECP5_DEFINE);
    ctx.insert("hw_hash", &cfg.hw_hash());
    ctx.insert("rows", &cfg.rows);
    ctx.insert("cols", &cfg.cols);
    ctx.insert("target_mhz", &freq_arg(cfg.clock_mhz));
    ctx.insert("top", BOARD_TOP);
    ctx.insert("verilog", files::VERILOG);
    ctx.insert("netlist", files::NETLIST);
    ctx.insert("stat", files::STAT);
    ctx.insert("steps", &steps(cfg, spec, tc, seed));
    let r = |t: &str, name: &str| {
        tera::Tera::one_off(t, &ctx, false).map_err(|e| format!("template {name}: {e:?}"))
    };
    Ok(Scripts {
        synth_ys: r(SYNTH_YS, "synth.ys")?,
        run_sh: r(RUN_SH, "run.sh")?,
    })
}

/// Checks that the constraints place exactly the board top's pins.
pub fn check_pins(board: Board) -> Result<(), String> {
    let spec = boards::spec(board);
    let pins = top::board_pins(board);
    let names: Vec<String> = pins
        .iter()
        .map(|(p, i)| match i {
            Some(i) => format!("{p}[{i}]"),
            None => p.to_string(),
        })
        .collect();
    let constrained = spec.constrained_pins();
    let missing: Vec<&String> = names.iter().filter(|n| !constrained.contains(n)).collect();
    let extra: Vec<&String> = constrained.iter().filter(|n| !names.contains(n)).collect();
    if missing.is_empty() && extra.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "constraints/{} does not match the board top's ports: unplaced {:?}, not ports {:?}",
            spec.constraints_file, missing, extra
        ))
    }
}

/// Wall time of each step, seconds.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct Seconds {
    pub generate: f64,
    pub synth: f64,
    pub pnr: f64,
    pub pack: f64,
    pub total: f64,
}

/// Where things were written.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Paths {
    pub dir: String,
    pub bitstream: String,
    pub verilog: String,
    pub run_script: String,
    pub synth_log: String,
    pub pnr_log: String,
    pub pack_log: String,
    pub report: String,
}

/// The result of a flow run (what `fusemax fpga --json` prints).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct FpgaReport {
    pub board: String,
    pub device: String,
    pub family: Family,
    pub hw_hash: String,
    pub rows: usize,
    pub cols: usize,
    /// From yosys (`stat -json`), see [`SynthStats`].
    pub luts: u64,
    pub ffs: u64,
    pub dsps: u64,
    pub brams: u64,
    /// Device capacity of the same four.
    pub capacity: boards::Capacity,
    /// From nextpnr (`--report`): used and available BELs after placement.
    pub placed: BTreeMap<String, Util>,
    /// Slowest clock's achieved Fmax.
    pub fmax_mhz: f64,
    pub target_mhz: f64,
    pub timing_met: bool,
    pub clocks: Vec<report::ClockFmax>,
    /// The worst clock's critical path (from nextpnr's report).
    pub critical_path: Option<CriticalPath>,
    pub synth: SynthStats,
    pub tools: Toolchain,
    pub seconds: Seconds,
    pub paths: Paths,
}

/// Why a flow failed.
#[derive(Debug)]
pub enum FlowError {
    /// The design does not fit the device.
    Fit(FitError),
    /// A tool failed: which step, its log, and the log's last error lines.
    Tool {
        step: String,
        log: PathBuf,
        detail: String,
    },
    /// Anything else (files, tools not found, templates).
    Other(String),
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::Fit(e) => write!(f, "{e}"),
            FlowError::Tool { step, log, detail } => {
                write!(f, "{step} failed (log: {}): {detail}", log.display())
            }
            FlowError::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for FlowError {}

impl From<String> for FlowError {
    fn from(s: String) -> Self {
        FlowError::Other(s)
    }
}

fn io<T>(r: std::io::Result<T>, what: &Path) -> Result<T, FlowError> {
    r.map_err(|e| FlowError::Other(format!("{}: {e}", what.display())))
}

/// The flow directory of a board, config and placement seed under the build root:
/// `<board>-<hw_hash>`, with `-seed<N>` for a seed other than 1 (so that runs of one config
/// with different seeds can go side by side).
pub fn default_dir(cfg: &Config, board: Board, seed: u64) -> PathBuf {
    let mut name = format!("{}-{}", boards::spec(board).name, cfg.hw_hash());
    if seed != 1 {
        name.push_str(&format!("-seed{seed}"));
    }
    fusemax_hdl::kit::cosim::build_root()
        .join("fpga")
        .join(name)
}

/// The last lines of a log that say what went wrong (ERROR lines, else the tail).
fn log_error_lines(log: &str) -> String {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("Error") || l.starts_with("error"))
        .collect();
    let lines: Vec<&str> = if errors.is_empty() {
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(8)..].to_vec()
    } else {
        errors[errors.len().saturating_sub(5)..].to_vec()
    };
    lines.join("\n")
}

fn run_step(dir: &Path, s: &Step, verbose: bool) -> Result<f64, FlowError> {
    if verbose {
        eprintln!("fpga: {} ...", s.what);
    }
    let log_path = dir.join(&s.log);
    let log = io(std::fs::File::create(&log_path), &log_path)?;
    let err = io(log.try_clone(), &log_path)?;
    let t = Instant::now();
    let status = Command::new(&s.program)
        .args(&s.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .status()
        .map_err(|e| FlowError::Other(format!("cannot run {}: {e}", s.program.display())))?;
    let secs = t.elapsed().as_secs_f64();
    if verbose {
        eprintln!("fpga: {} done in {secs:.1} s", s.name);
    }
    if !status.success() {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        return Err(FlowError::Tool {
            step: s.what.clone(),
            log: log_path,
            detail: format!("{status}\n{}", log_error_lines(&text)),
        });
    }
    Ok(secs)
}

/// Writes the flow directory: the board top's Verilog, the config, the constraints and the
/// scripts. Returns the steps to run.
pub fn prepare(
    cfg: &Config,
    opts: &FlowOptions,
    tc: &Toolchain,
    dir: &Path,
) -> Result<(Vec<Step>, f64), FlowError> {
    let spec = boards::spec(opts.board);
    check_pins(opts.board)?;
    io(std::fs::create_dir_all(dir), dir)?;
    let t = Instant::now();
    let verilog = top::generate_board(cfg, opts.board, Target::Synth)
        .map_err(|e| FlowError::Other(format!("board top: {e}")))?;
    let gen_secs = t.elapsed().as_secs_f64();
    let scripts = render_scripts(cfg, spec, tc, opts.seed)?;
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        io(std::fs::write(&p, text), &p)
    };
    write(files::VERILOG, &verilog)?;
    write(files::CONFIG, &cfg.to_toml())?;
    write(spec.constraints_file, spec.constraints)?;
    write(files::SYNTH_SCRIPT, &scripts.synth_ys)?;
    write(files::RUN_SCRIPT, &scripts.run_sh)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(files::RUN_SCRIPT);
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
    }
    // Outputs of an earlier run must not be mistaken for this run's.
    for f in [
        files::NETLIST,
        files::STAT,
        files::PNR_REPORT,
        files::REPORT,
        spec.bitstream_name(),
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok((steps(cfg, spec, tc, opts.seed), gen_secs))
}

fn read(dir: &Path, name: &str) -> Result<String, FlowError> {
    let p = dir.join(name);
    io(std::fs::read_to_string(&p), &p)
}

/// Runs the whole flow for a config and board.
pub fn run(cfg: &Config, opts: &FlowOptions) -> Result<FpgaReport, FlowError> {
    let spec = boards::spec(opts.board);
    // A config whose multipliers or block RAMs cannot fit fails here, in a second.
    fit::check_config(cfg, opts.board).map_err(|e| match e {
        Ok(fe) => FlowError::Fit(fe),
        Err(s) => FlowError::Other(format!("board top: {s}")),
    })?;
    let tc = tools::find(spec.family, opts.tools)?;
    let dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| default_dir(cfg, opts.board, opts.seed));
    let t0 = Instant::now();
    let (steps, gen_secs) = prepare(cfg, opts, &tc, &dir)?;
    let mut secs = Seconds {
        generate: gen_secs,
        ..Default::default()
    };

    secs.synth = run_step(&dir, &steps[0], opts.verbose)?;
    let stats: SynthStats =
        report::parse_yosys_stat(&read(&dir, files::STAT)?, BOARD_TOP, spec.family)?;
    if let Err(e) = fit::check_synth(&stats, spec) {
        return Err(FlowError::Fit(e));
    }

    match run_step(&dir, &steps[1], opts.verbose) {
        Ok(s) => secs.pnr = s,
        Err(e) => {
            // Over capacity after packing: nextpnr prints its utilisation, then fails.
            let log = std::fs::read_to_string(dir.join(files::PNR_LOG)).unwrap_or_default();
            let util = report::parse_nextpnr_log_utilization(&log);
            if let Err(fe) = fit::check_pnr(&util, spec) {
                return Err(FlowError::Fit(fe));
            }
            return Err(e);
        }
    }
    let pnr: PnrReport = report::parse_nextpnr_report(&read(&dir, files::PNR_REPORT)?)?;
    if let Err(fe) = fit::check_pnr(&pnr.utilization, spec) {
        return Err(FlowError::Fit(fe));
    }
    secs.pack = run_step(&dir, &steps[2], opts.verbose)?;
    let bit = dir.join(spec.bitstream_name());
    let bit_len = std::fs::metadata(&bit).map(|m| m.len()).unwrap_or(0);
    if bit_len == 0 {
        return Err(FlowError::Tool {
            step: steps[2].what.clone(),
            log: dir.join(files::PACK_LOG),
            detail: format!("no bitstream at {}", bit.display()),
        });
    }
    secs.total = t0.elapsed().as_secs_f64();

    let p = |n: &str| dir.join(n).display().to_string();
    let report = FpgaReport {
        board: spec.name.into(),
        device: spec.device.into(),
        family: spec.family,
        hw_hash: cfg.hw_hash(),
        rows: cfg.rows,
        cols: cfg.cols,
        luts: stats.luts,
        ffs: stats.ffs,
        dsps: stats.dsps,
        brams: stats.brams,
        capacity: spec.capacity,
        placed: pnr.utilization.clone(),
        fmax_mhz: pnr.fmax_mhz().unwrap_or(0.0),
        target_mhz: cfg.clock_mhz,
        timing_met: pnr.timing_met(),
        clocks: pnr.clocks.clone(),
        critical_path: pnr.worst_path().cloned(),
        synth: stats,
        tools: tc,
        seconds: secs,
        paths: Paths {
            dir: dir.display().to_string(),
            bitstream: bit.display().to_string(),
            verilog: p(files::VERILOG),
            run_script: p(files::RUN_SCRIPT),
            synth_log: p(files::SYNTH_LOG),
            pnr_log: p(files::PNR_LOG),
            pack_log: p(files::PACK_LOG),
            report: p(files::REPORT),
        },
    };
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    let rp = dir.join(files::REPORT);
    io(std::fs::write(&rp, json + "\n"), &rp)?;
    Ok(report)
}

impl FpgaReport {
    /// The human-readable summary `fusemax fpga` prints.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let pct = |u: u64, c: u64| 100.0 * u as f64 / c.max(1) as f64;
        let c = &self.capacity;
        s += &format!(
            "fusemax fpga: {} ({}), {} x {} array, config {}\n",
            self.board, self.device, self.rows, self.cols, self.hw_hash
        );
        s += &format!(
            "  synthesis ({} {}): {} LUT4 ({:.1}%), {} FF, {} DSP ({:.0}%), {} BRAM ({:.0}%)\n",
            self.tools.yosys.source,
            self.tools.yosys.version,
            self.luts,
            pct(self.luts, c.luts),
            self.ffs,
            self.dsps,
            pct(self.dsps, c.dsps),
            self.brams,
            pct(self.brams, c.brams)
        );
        let placed: Vec<String> = self
            .placed
            .iter()
            .filter(|(_, u)| u.used > 0)
            .map(|(b, u)| format!("{b} {}/{}", u.used, u.available))
            .collect();
        s += &format!(
            "  placed ({} {}): {}\n",
            self.tools.nextpnr.source,
            self.tools.nextpnr.version,
            placed.join(", ")
        );
        s += &format!(
            "  timing: Fmax {:.1} MHz, target {} MHz: {}\n",
            self.fmax_mhz,
            freq_arg(self.target_mhz),
            if self.timing_met { "met" } else { "NOT MET" }
        );
        for ck in &self.clocks {
            s += &format!(
                "    clock {}: {:.1} MHz (target {:.1})\n",
                ck.clock, ck.fmax_mhz, ck.target_mhz
            );
        }
        if let Some(p) = &self.critical_path {
            let (a, b) = p.endpoints();
            s += &format!(
                "  critical path: {:.2} ns, {} logic levels, from {a} to {b}\n",
                p.delay_ns,
                p.logic_levels()
            );
        }
        s += &format!(
            "  time: synthesis {:.1} s, place and route {:.1} s, pack {:.1} s\n",
            self.seconds.synth, self.seconds.pnr, self.seconds.pack
        );
        s += &format!(
            "  bitstream: {}\n  logs: {}, {}, {}\n  rerun: {}\n",
            self.paths.bitstream,
            self.paths.synth_log,
            self.paths.pnr_log,
            self.paths.pack_log,
            self.paths.run_script
        );
        s
    }
}
