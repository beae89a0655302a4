//! `fusemax sweep-point`: one point of a sweep, self-contained (what `fusemax sweep --list`
//! prints, and what `fusemax sweep` runs for each point): loads and validates the point's
//! config, writes it to `DIR/points/<key>.toml`, runs each measure as `fusemax <subcommand>
//! --json --config <that file>` and writes the record `DIR/points/<key>.json` after each
//! measure. Measures already done are not run again.

use super::emit;
use anyhow::{bail, Result};
use clap::CommandFactory;
use fusemax_sweep::grid::{Base, PointSpec};
use fusemax_sweep::point::{self, measure_def, Layout, MeasureResult, Record, Status};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The sweep's directory (records go to DIR/points/).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Base config file (default: the board's preset with --board, else the defaults).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Board (ulx3s, icebreaker): the fpga measure's target, and the base config without
    /// --config.
    #[arg(long, value_name = "BOARD")]
    pub board: Option<String>,

    /// nextpnr placement seed of the fpga measure.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub pnr_seed: u64,

    /// Config key=value, applied in order (as `--set` of the other commands).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// An axis value of this point, for the table (key=value).
    #[arg(long = "axis", value_name = "KEY=VALUE")]
    pub axis: Vec<String>,

    /// What to measure: model, sim, accuracy, fpga (repeatable).
    #[arg(long = "measure", value_name = "M", required = true,
          value_parser = clap::builder::PossibleValuesParser::new(fusemax_sweep::grid::MEASURES))]
    pub measure: Vec<String>,

    /// The grid's name, for the table.
    #[arg(long, value_name = "NAME", default_value = "point")]
    pub grid: String,

    /// The point's index in its grid.
    #[arg(long, value_name = "I", default_value_t = 0)]
    pub index: usize,

    /// The grid part's name.
    #[arg(long, value_name = "NAME")]
    pub part: Option<String>,
}

impl Args {
    pub fn spec(&self) -> Result<PointSpec> {
        let mut axes = vec![];
        for a in &self.axis {
            let Some((k, v)) = a.split_once('=') else {
                bail!("--axis `{a}` is not of the form key=value");
            };
            axes.push((k.to_string(), v.to_string()));
        }
        let base = match &self.config {
            None => Base::Default,
            Some(p) => Base::File(
                std::fs::canonicalize(p)
                    .map_err(|e| anyhow::anyhow!("--config {}: {e}", p.display()))?,
            ),
        };
        Ok(PointSpec {
            grid: self.grid.clone(),
            index: self.index,
            part: self.part.clone(),
            base,
            sets: self.set.clone(),
            axes,
            board: self.board.clone(),
            pnr_seed: self.pnr_seed,
            measures: self.measure.clone(),
        })
    }
}

/// The command line of a point (after the program): what `--list` prints and the sweep runs.
pub fn point_args(p: &PointSpec, out: &std::path::Path) -> Vec<String> {
    let mut a = vec![
        "sweep-point".to_string(),
        "--out".into(),
        out.display().to_string(),
        "--grid".into(),
        p.grid.clone(),
        "--index".into(),
        p.index.to_string(),
    ];
    if let Some(part) = &p.part {
        a.extend(["--part".into(), part.clone()]);
    }
    if let Base::File(f) = &p.base {
        a.extend(["--config".into(), f.display().to_string()]);
    }
    if let Some(b) = &p.board {
        a.extend(["--board".into(), b.clone()]);
    }
    if p.pnr_seed != 1 {
        a.extend(["--pnr-seed".into(), p.pnr_seed.to_string()]);
    }
    for s in &p.sets {
        a.extend(["--set".into(), s.clone()]);
    }
    for (k, v) in &p.axes {
        a.extend(["--axis".into(), format!("{k}={v}")]);
    }
    for m in &p.measures {
        a.extend(["--measure".into(), m.clone()]);
    }
    a
}

/// The `error: ...` lines of a command's stderr (its own clear error), else its last line.
fn error_of(stderr: &str, status: std::process::ExitStatus) -> String {
    let errs: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .collect();
    if !errs.is_empty() {
        return errs.join(" / ");
    }
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(l) => format!("{status}: {}", l.trim()),
        None => format!("exited with {status}"),
    }
}

/// A successful fpga result of another point of the same hardware, board and seed.
fn fpga_of_same_hardware(lay: &Layout, rec: &Record) -> Option<(String, MeasureResult)> {
    let all = lay.read_all().ok()?;
    all.into_iter().find_map(|o| {
        let m = o.measures.get("fpga")?;
        let same = o.key != rec.key
            && o.hw_hash.is_some()
            && o.hw_hash == rec.hw_hash
            && o.spec.board == rec.spec.board
            && o.spec.pnr_seed == rec.spec.pnr_seed
            && o.version == rec.version;
        (same && m.status == Status::Ok).then(|| (o.key.clone(), m.clone()))
    })
}

fn run_measure(
    name: &str,
    spec: &PointSpec,
    cfg_path: &std::path::Path,
    log: &mut std::fs::File,
) -> MeasureResult {
    let def = measure_def(name).expect("measure names are checked by clap");
    let failed = |error: String, command: String| MeasureResult {
        status: Status::Failed,
        error: Some(error),
        seconds: 0.0,
        figures: Default::default(),
        command,
    };
    if super::Cli::command()
        .find_subcommand(def.subcommand)
        .is_none()
    {
        return MeasureResult {
            status: Status::Unavailable,
            error: Some(format!(
                "this fusemax has no `{}` subcommand ({} is not built yet)",
                def.subcommand, def.what
            )),
            seconds: 0.0,
            figures: Default::default(),
            command: String::new(),
        };
    }
    let args = match point::measure_args(def, spec, cfg_path) {
        Ok(a) => a,
        Err(e) => return failed(e, String::new()),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return failed(format!("cannot find this program: {e}"), String::new()),
    };
    let mut command = point::shell_quote(&exe.display().to_string());
    for a in &args {
        command.push(' ');
        command.push_str(&point::shell_quote(a));
    }
    let _ = writeln!(log, "$ {command}");
    let t = Instant::now();
    let out = Command::new(&exe).args(&args).stdin(Stdio::null()).output();
    let seconds = t.elapsed().as_secs_f64();
    let out = match out {
        Ok(o) => o,
        Err(e) => return failed(format!("cannot run {command}: {e}"), command),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = log.write_all(stderr.as_bytes());
    let _ = writeln!(log, "{}", stdout.trim_end());
    let json = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    let figures = json.as_ref().map(point::figures).unwrap_or_default();
    let (status, error) = match (out.status.success(), &json) {
        (true, Some(_)) => (Status::Ok, None),
        (true, None) => (
            Status::Failed,
            Some(format!("{name}: no JSON object on stdout")),
        ),
        (false, _) => (Status::Failed, Some(error_of(&stderr, out.status))),
    };
    MeasureResult {
        status,
        error,
        seconds,
        figures,
        command,
    }
}

pub fn run(a: Args) -> Result<()> {
    let spec = a.spec()?;
    let lay = Layout::new(&a.out);
    let res = point::resolve(&spec);
    let mut rec = match lay.read(&res.key) {
        Some(mut r) => {
            r.spec = spec.clone();
            r
        }
        None => Record::new(&spec, &res),
    };
    std::fs::create_dir_all(lay.points())
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", lay.points().display()))?;
    let log_path = lay.log(&res.key);
    if let Some(d) = log_path.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", log_path.display()))?;
    let _ = writeln!(log, "# point {} ({})", res.key, spec.label());
    let cfg = match &res.config {
        Ok(c) => c,
        Err(e) => {
            rec.config_error = Some(e.clone());
            lay.write(&rec).map_err(|e| anyhow::anyhow!(e))?;
            let _ = writeln!(log, "error: {e}");
            bail!("point {} ({}): {e}", res.key, spec.label());
        }
    };
    let cfg_path = lay.config(&res.key);
    point::write_atomic(&cfg_path, &cfg.to_toml()).map_err(|e| anyhow::anyhow!(e))?;
    let mut ran = vec![];
    for m in &spec.measures {
        if rec.measures.get(m).map(|r| r.status) == Some(Status::Ok) {
            continue;
        }
        let reused = if m == "fpga" {
            fpga_of_same_hardware(&lay, &rec)
        } else {
            None
        };
        let result = match reused {
            Some((key, mut r)) => {
                r.command = format!("(the same hardware as point {key}) {}", r.command);
                r.seconds = 0.0;
                r
            }
            _ => run_measure(m, &spec, &cfg_path, &mut log),
        };
        ran.push(format!("{m} {:?} {:.1} s", result.status, result.seconds).to_lowercase());
        rec.measures.insert(m.clone(), result);
        lay.write(&rec).map_err(|e| anyhow::anyhow!(e))?;
    }
    let st = rec.status();
    let done = if ran.is_empty() {
        "already done".to_string()
    } else {
        ran.join(", ")
    };
    emit(&format!(
        "point {} ({}): {st}: {done}\n",
        res.key,
        spec.label()
    ))?;
    if st == fusemax_sweep::PointStatus::Failed {
        bail!("{}", rec.errors().join("; "));
    }
    Ok(())
}
