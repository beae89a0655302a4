//! `fusemax sweep`: runs a grid's points (each as `fusemax sweep-point`, the command `--list`
//! prints) in parallel, skips those whose record is complete, and writes the table, the
//! figures and `index.html`. `--collect DIR` builds them from whatever records DIR holds.
//!
//! The exit status is the number of failed points (at most 100), 0 when none failed; a grid
//! that cannot be read stops before anything runs, with exit status 1. Ctrl-C stops the running
//! points (their finished measures are kept) and writes the outputs of what is done.

use super::sweep_point::point_args;
use anyhow::{anyhow, bail, Result};
use fusemax_sweep::point::{self, Layout, Resolved};
use fusemax_sweep::{Grid, PointSpec, PointStatus, Record, SweepInfo};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The grid (TOML; see sweeps/ and README "Sweeps").
    #[arg(long, value_name = "GRID.toml", required_unless_present = "collect")]
    pub grid: Option<PathBuf>,

    /// Directory of the sweep: records (points/), logs (logs/) and the outputs.
    #[arg(long, value_name = "DIR", required_unless_present = "collect")]
    pub out: Option<PathBuf>,

    /// Points run at once (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Print one self-contained command per point (each writes its own record) and run
    /// nothing: for GNU parallel, a Slurm array or any batch system.
    #[arg(long, conflicts_with = "collect")]
    pub list: bool,

    /// Build results.csv, results.json, the figures and index.html from the records in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["grid", "out"])]
    pub collect: Option<PathBuf>,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(p).map_err(|e| anyhow!("cannot create {}: {e}", p.display()))?;
    std::fs::canonicalize(p).map_err(|e| anyhow!("{}: {e}", p.display()))
}

/// Exits with the number of failed points after the summary line.
fn finish(failed: usize, points: usize, dir: &Path) -> Result<()> {
    let page = dir.join("index.html");
    if failed == 0 {
        eprintln!("sweep: {points} points, none failed; {}", page.display());
        return Ok(());
    }
    eprintln!(
        "error: {failed} of {points} points failed (see {} or results.csv)",
        page.display()
    );
    std::process::exit(failed.min(100) as i32)
}

fn outputs(
    dir: &Path,
    records: Vec<Record>,
    title: &str,
    description: &str,
) -> Result<(usize, usize)> {
    let o =
        fusemax_sweep::write_outputs(dir, records, title, description).map_err(|e| anyhow!(e))?;
    Ok((o.points, o.failed))
}

fn collect(dir: &Path) -> Result<()> {
    let lay = Layout::new(dir);
    let records = lay.read_all().map_err(|e| anyhow!(e))?;
    if records.is_empty() {
        bail!("{} holds no point records (points/*.json)", dir.display());
    }
    let (title, desc) = match SweepInfo::read(dir) {
        Some(i) => (i.grid, i.description),
        None => (dir.display().to_string(), String::new()),
    };
    let (points, failed) = outputs(dir, records, &title, &desc)?;
    finish(failed, points, dir)
}

/// The group of a point whose first run builds something the others reuse (a Verilator model,
/// a place-and-route): the others wait until it is done.
fn group(p: &PointSpec, r: &Resolved) -> Option<String> {
    let hw = r.hw_hash()?;
    if p.measures.iter().any(|m| m == "fpga") {
        Some(format!("fpga {:?} {hw} {}", p.board, p.pnr_seed))
    } else if p.measures.iter().any(|m| m == "sim") {
        Some(format!("sim {hw}"))
    } else {
        None
    }
}

struct Running {
    idx: usize,
    child: Child,
    started: Instant,
}

/// Ends a point's process group (the point runner and the tools under it).
fn stop(child: &mut Child) {
    let pid = child.id() as i32;
    // SAFETY: kill(2) on our own child's process group; no memory is involved.
    unsafe {
        libc::kill(-pid, libc::SIGTERM);
    }
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let _ = child.wait();
}

pub fn run(a: Args) -> Result<()> {
    if let Some(dir) = &a.collect {
        return collect(dir);
    }
    let (Some(grid_path), Some(out)) = (&a.grid, &a.out) else {
        bail!("--grid and --out are needed (or --collect DIR)");
    };
    let grid = Grid::load(grid_path).map_err(|e| anyhow!(e))?;
    let dir = absolute(out)?;
    let lay = Layout::new(&dir);
    // Resolve every point (config validated by the config's own code) and drop repeats.
    let mut points: Vec<(PointSpec, Resolved)> = vec![];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for p in &grid.points {
        let r = point::resolve(p);
        if let Some(&first) = seen.get(&r.key) {
            eprintln!(
                "sweep: note: point {} ({}) has the same effective config as point {first}: run once",
                p.index,
                p.label()
            );
            continue;
        }
        seen.insert(r.key.clone(), p.index);
        points.push((p.clone(), r));
    }
    if a.list {
        let exe = std::env::current_exe().map_err(|e| anyhow!("cannot find this program: {e}"))?;
        let mut text = String::new();
        for (p, _) in &points {
            let mut line = point::shell_quote(&exe.display().to_string());
            for x in point_args(p, &dir) {
                line.push(' ');
                line.push_str(&point::shell_quote(&x));
            }
            text.push_str(&line);
            text.push('\n');
        }
        return super::emit(&text);
    }
    let info = SweepInfo {
        grid: grid.name.clone(),
        description: grid.description.clone(),
        file: std::fs::canonicalize(grid_path)
            .unwrap_or(grid_path.clone())
            .display()
            .to_string(),
    };
    info.write(&dir).map_err(|e| anyhow!(e))?;

    let todo: Vec<usize> = (0..points.len())
        .filter(|&i| {
            lay.read(&points[i].1.key)
                .map(|mut r| {
                    r.spec = points[i].0.clone();
                    !r.complete()
                })
                .unwrap_or(true)
        })
        .collect();
    let jobs = a
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    eprintln!(
        "sweep {}: {} points, {} already done, {} to run ({} at a time); records in {}",
        grid.name,
        points.len(),
        points.len() - todo.len(),
        todo.len(),
        jobs,
        lay.points().display()
    );
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // A second handler (a second sweep in one process) is not an error worth stopping for.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let exe = std::env::current_exe().map_err(|e| anyhow!("cannot find this program: {e}"))?;
    let tty = std::io::stderr().is_terminal();
    let bar = if tty && !todo.is_empty() {
        let b = indicatif::ProgressBar::new(todo.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} points done, {msg} [{elapsed_precise}, ETA {eta}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(Duration::from_millis(500));
        Some(b)
    } else {
        None
    };
    let say = |s: String| match &bar {
        Some(b) => b.println(s),
        None => eprintln!("{s}"),
    };
    let mut pending: Vec<usize> = todo.clone();
    let mut running: Vec<Running> = vec![];
    let mut warm: HashSet<String> = HashSet::new();
    let (mut done, mut failed) = (0usize, 0usize);
    let total = todo.len();
    while !pending.is_empty() || !running.is_empty() {
        if interrupted.load(Ordering::SeqCst) {
            for r in &mut running {
                stop(&mut r.child);
            }
            if let Some(b) = &bar {
                b.abandon();
            }
            let records: Vec<Record> = points
                .iter()
                .filter_map(|(_, r)| lay.read(&r.key))
                .collect();
            let _ = outputs(&dir, records, &grid.name, &grid.description);
            eprintln!(
                "sweep: interrupted: {done} of {total} points finished and kept, {} stopped, {} not started; run the same command again to go on",
                running.len(),
                pending.len()
            );
            std::process::exit(130);
        }
        // Start what may start: a group's first point runs alone.
        let busy: HashSet<String> = running
            .iter()
            .filter_map(|r| group(&points[r.idx].0, &points[r.idx].1))
            .filter(|g| !warm.contains(g))
            .collect();
        let mut i = 0;
        let mut starting: HashSet<String> = HashSet::new();
        while running.len() < jobs && i < pending.len() {
            let idx = pending[i];
            let g = group(&points[idx].0, &points[idx].1);
            let blocked = g
                .as_ref()
                .map(|g| !warm.contains(g) && (busy.contains(g) || starting.contains(g)))
                .unwrap_or(false);
            if blocked {
                i += 1;
                continue;
            }
            if let Some(g) = g {
                starting.insert(g);
            }
            pending.remove(i);
            let (p, r) = &points[idx];
            let log = lay.log(&r.key);
            if let Some(d) = log.parent() {
                std::fs::create_dir_all(d).map_err(|e| anyhow!("{}: {e}", d.display()))?;
            }
            let open = || {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .map_err(|e| anyhow!("{}: {e}", log.display()))
            };
            let mut cmd = Command::new(&exe);
            cmd.args(point_args(p, &dir))
                .stdin(Stdio::null())
                .stdout(Stdio::from(open()?))
                .stderr(Stdio::from(open()?));
            {
                use std::os::unix::process::CommandExt;
                // Its own process group: Ctrl-C reaches the sweep, which stops the points.
                cmd.process_group(0);
            }
            let child = cmd
                .spawn()
                .map_err(|e| anyhow!("cannot run {}: {e}", exe.display()))?;
            running.push(Running {
                idx,
                child,
                started: Instant::now(),
            });
        }
        if let Some(b) = &bar {
            b.set_message(format!("{} running, {failed} failed", running.len()));
        }
        std::thread::sleep(Duration::from_millis(100));
        let mut k = 0;
        while k < running.len() {
            let st = match running[k].child.try_wait() {
                Ok(Some(s)) => s,
                Ok(None) => {
                    k += 1;
                    continue;
                }
                Err(e) => bail!("waiting for a point: {e}"),
            };
            let r = running.remove(k);
            let (p, res) = &points[r.idx];
            if let Some(g) = group(p, res) {
                warm.insert(g);
            }
            let secs = r.started.elapsed().as_secs_f64();
            let rec = lay.read(&res.key);
            let status = rec
                .as_ref()
                .map(Record::status)
                .unwrap_or(PointStatus::Missing);
            done += 1;
            let line = match (&rec, status) {
                (Some(rec), PointStatus::Failed) | (Some(rec), PointStatus::Partial) => {
                    if status == PointStatus::Failed {
                        failed += 1;
                    }
                    format!(
                        "[{done}/{total}] {} point {} ({}), {secs:.1} s: {}",
                        if status == PointStatus::Failed {
                            "FAILED"
                        } else {
                            "partial"
                        },
                        p.index,
                        p.label(),
                        rec.errors().join("; ")
                    )
                }
                (Some(_), _) if st.success() => {
                    format!(
                        "[{done}/{total}] ok point {} ({}), {secs:.1} s",
                        p.index,
                        p.label()
                    )
                }
                _ => {
                    failed += 1;
                    format!(
                        "[{done}/{total}] FAILED point {} ({}), {secs:.1} s: the point runner ended with {st} (log: {})",
                        p.index,
                        p.label(),
                        lay.log(&res.key).display()
                    )
                }
            };
            if status == PointStatus::Ok && tty {
                // On a terminal the bar shows progress; only problems get a line.
            } else {
                say(line);
            }
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let t = Instant::now();
    let records: Vec<Record> = points
        .iter()
        .map(|(p, r)| lay.read(&r.key).unwrap_or_else(|| Record::new(p, r)))
        .map(|mut rec| {
            // The record's spec as this grid has it (index, axes), in case another grid ran it.
            if let Some((p, _)) = points.iter().find(|(_, r)| r.key == rec.key) {
                rec.spec = p.clone();
            }
            rec
        })
        .collect();
    let (n, failed) = outputs(&dir, records, &grid.name, &grid.description)?;
    eprintln!(
        "sweep: wrote results.csv, results.json, the figures and index.html in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    finish(failed, n, &dir)
}
