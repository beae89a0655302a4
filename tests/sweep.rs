//! `fusemax sweep` end to end: sweeps/tiny.toml (its outputs present and consistent with the
//! records and with `fusemax sim` itself), resumption (a second run runs no point, a failed
//! point is run again), the `--list` / `--collect` round trip, bad grids reported per point
//! with the exit status counting them, FPGA points that fail at once, and Ctrl-C.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_fusemax")
}

fn fusemax(args: &[&str]) -> Output {
    Command::new(exe())
        .args(args)
        .output()
        .expect("the fusemax binary runs")
}

/// `fusemax sweep --grid GRID --out OUT` and more arguments.
fn sweep(grid: &str, out: &Path, more: &[&str]) -> Output {
    let mut a = vec!["sweep", "--grid", grid, "--out", out.to_str().unwrap()];
    a.extend(more);
    fusemax(&a)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tiny() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sweeps/tiny.toml")
        .display()
        .to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// results.csv as (header, rows of column -> cell).
fn csv(dir: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut r = csv::Reader::from_path(dir.join("results.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

fn by_key(rows: &[BTreeMap<String, String>], col: &str) -> BTreeMap<String, String> {
    rows.iter()
        .map(|r| (r["key"].clone(), r[col].clone()))
        .collect()
}

fn log_sizes(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut v: Vec<(PathBuf, u64)> = std::fs::read_dir(dir.join("logs"))
        .unwrap()
        .flatten()
        .map(|e| (e.path(), e.metadata().unwrap().len()))
        .collect();
    v.sort();
    v
}

#[test]
fn tiny_grid_end_to_end_resumes_and_round_trips_through_list_and_collect() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let a_s = a.display().to_string();
    let t0 = Instant::now();
    let o = fusemax(&["sweep", "--grid", &tiny(), "--out", &a_s, "--jobs", "2"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    eprintln!("tiny grid, first run: {:.1} s", t0.elapsed().as_secs_f64());
    assert!(err.contains("4 points, 0 already done, 4 to run"), "{err}");

    // The table: 4 points, units in the header, every figure of the measures.
    let (header, rows) = csv(&a);
    assert_eq!(rows.len(), 4);
    for h in [
        "rows [PEs]",
        "job.seq_kv [keys]",
        "sim.cycles [cycles]",
        "sim.util_2d [fraction]",
        "sim.cycles_over_ideal [ratio]",
        "accuracy.max_abs_err_lsb [LSB]",
        "ideal_cycles [cycles]",
    ] {
        assert!(header.iter().any(|x| x == h), "{h} not in {header:?}");
    }
    for r in &rows {
        assert_eq!(r["status"], "ok", "{r:?}");
        assert_eq!(r["sim.mismatches [count]"], "0");
        let u: f64 = r["sim.util_2d [fraction]"].parse().unwrap();
        assert!(u > 0.1 && u < 1.0, "{u}");
        // The model's error on the same job as the RTL's (same inputs, bit-exact outputs).
        assert_eq!(
            r["sim.max_abs_err_lsb [LSB]"],
            r["accuracy.max_abs_err_lsb [LSB]"]
        );
    }
    let ms: Vec<&str> = rows
        .iter()
        .map(|r| r["job.seq_kv [keys]"].as_str())
        .collect();
    assert_eq!(ms, ["5", "16", "5", "16"]);
    // results.json holds the same figures.
    let j: Value = serde_json::from_str(&read(&a.join("results.json"))).unwrap();
    assert_eq!(j["points"], 4);
    assert_eq!(j["failed"], 0);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(j["rows"][i]["key"], r["key"].as_str());
        assert_eq!(
            j["rows"][i]["sim.cycles"].to_string(),
            r["sim.cycles [cycles]"]
        );
    }
    // The cycles are those `fusemax sim` prints for the point's effective config.
    let key = &rows[3]["key"];
    let cfg = a.join("points").join(format!("{key}.toml"));
    let o = fusemax(&["sim", "--json", "--config", cfg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let sim: Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(sim["cycles"].to_string(), rows[3]["sim.cycles [cycles]"]);
    // The figures and the page.
    for f in ["util_vs_m.svg", "cycles_over_ideal_vs_m.svg"] {
        let s = read(&a.join(f));
        assert!(
            s.starts_with("<svg") && s.contains("1x1") && s.contains("2x2"),
            "{f}"
        );
    }
    assert!(!a.join("fpga_vs_array.svg").exists());
    let html = read(&a.join("index.html"));
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    assert!(html.contains(&rows[3]["sim.cycles [cycles]"]));
    assert!(html.contains("4 points: 4 ok, 0 partial,"), "{html}");

    // A second run runs nothing and rebuilds the outputs in seconds.
    let logs = log_sizes(&a);
    let t = Instant::now();
    let o = fusemax(&["sweep", "--grid", &tiny(), "--out", &a_s]);
    let secs = t.elapsed().as_secs_f64();
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("4 already done, 0 to run"), "{err}");
    assert_eq!(log_sizes(&a), logs, "a point ran again");
    assert!(secs < 10.0, "second run took {secs:.1} s");
    eprintln!("tiny grid, second run: {secs:.2} s");

    // A failed point is run again, and only its failed measure.
    let rec_path = a.join("points").join(format!("{key}.json"));
    let mut rec: Value = serde_json::from_str(&read(&rec_path)).unwrap();
    rec["measures"]["sim"]["status"] = "failed".into();
    rec["measures"]["sim"]["error"] = "made up".into();
    std::fs::write(&rec_path, rec.to_string()).unwrap();
    let o = fusemax(&["sweep", "--grid", &tiny(), "--out", &a_s]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("3 already done, 1 to run"), "{err}");
    let rec: Value = serde_json::from_str(&read(&rec_path)).unwrap();
    assert_eq!(rec["measures"]["sim"]["status"], "ok");
    let log = read(&a.join("logs").join(format!("{key}.log")));
    assert_eq!(log.matches("fusemax sim --json").count(), 2, "{log}");
    assert_eq!(log.matches("reference --json").count(), 1, "{log}");

    // --list: one self-contained command per point; run by hand, then --collect.
    let b = tmp.path().join("b");
    let b_s = b.display().to_string();
    let o = fusemax(&["sweep", "--grid", &tiny(), "--out", &b_s, "--list"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list = text(&o.stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert!(!b.join("points").exists(), "--list ran something");
    for l in &lines {
        assert!(
            l.contains(" sweep-point ") && l.contains("--measure sim"),
            "{l}"
        );
        let o = Command::new("sh").arg("-c").arg(l).output().unwrap();
        assert!(o.status.success(), "{l}: {}", text(&o.stderr));
    }
    let o = fusemax(&["sweep", "--collect", &b_s]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (_, rows_b) = csv(&b);
    for col in [
        "sim.cycles [cycles]",
        "sim.util_2d [fraction]",
        "accuracy.mean_abs_err_lsb [LSB]",
        "index [#]",
    ] {
        assert_eq!(by_key(&rows_b, col), by_key(&rows, col), "{col}");
    }
    assert!(b.join("util_vs_m.svg").exists() && b.join("index.html").exists());
}

fn write_grid(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn bad_grids_are_reported_per_point_and_counted_in_the_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    // The good point is tiny.toml's first (same hardware and job: its Verilator model is
    // shared with the test above).
    let g = write_grid(
        tmp.path(),
        "bad.toml",
        r#"
measure = ["model", "accuracy", "sim"]
[set]
max_e = 8
max_f = 8
max_seq_kv = 64
max_seq_q = 16
job.seq_q = 4
job.head_e = 8
job.head_f = 8
rows = 1
cols = 1
job.seq_kv = 5
[[part]]
name = "good"
[[part]]
name = "unknown field"
set = { rowz = 2 }
[[part]]
name = "invalid config"
set = { exp_frac_bits = 17 }
[[part]]
name = "tool fails"
set = { job.scale = 1e30 }
"#,
    );
    let out = tmp.path().join("out");
    let o = sweep(&g, &out, &["--jobs", "2"]);
    let err = text(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(3), "{err}");
    for needle in [
        "FAILED point 1 ([unknown field])",
        "unknown field `rowz`",
        "FAILED point 2 ([invalid config])",
        "exp_frac_bits: 17 is out of range",
        "FAILED point 3 ([tool fails])",
        "outside the range the hardware represents",
        "error: 3 of 4 points failed",
    ] {
        assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
    }
    let (_, rows) = csv(&out);
    let st: Vec<&str> = rows.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(st, ["ok", "failed", "failed", "failed"]);
    assert!(rows[1]["error"].contains("unknown field `rowz`"));
    assert!(
        rows[3]["error"].contains("outside the range the hardware represents"),
        "{}",
        rows[3]["error"]
    );
    assert_eq!(rows[0]["model.outcome"], "ok");
    assert_eq!(rows[0]["sim.outcome"], "ok");
    // the cycle model is exact for the RTL with no stalls
    assert_eq!(
        rows[0]["model.cycles [cycles]"],
        rows[0]["sim.cycles [cycles]"]
    );
    let html = read(&out.join("index.html"));
    assert!(html.contains("unknown field") && html.contains("3 failed"));

    // Errors of the grid itself stop before anything runs, naming the place.
    for (text_, needle) in [
        (
            "measure = [\"sim\"]\n[[axes]]\nrows = { from = 8, to = 4, step = 1 }\n",
            "axis `rows`: empty range",
        ),
        (
            "measure = [\"sim\"]\n[[axes]]\nrows = [1, 2]\ncols = [1]\n",
            "different lengths",
        ),
        ("measure = [\"speed\"]\n", "unknown measure `speed`"),
    ] {
        let g = write_grid(tmp.path(), "g.toml", text_);
        let d = tmp.path().join("g-out");
        let o = fusemax(&["sweep", "--grid", &g, "--out", d.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(needle) && err.contains("g.toml"), "{err}");
        assert!(!d.join("points").exists());
    }
}

#[test]
fn fpga_points_that_cannot_fit_fail_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let g = write_grid(
        tmp.path(),
        "fpga.toml",
        r#"
measure = ["fpga"]
[[axes]]
board = ["icebreaker", "icebreaker", "nexys"]
rows = [8, 4, 1]
cols = [8, 4, 1]
"#,
    );
    let out = tmp.path().join("out");
    let t = Instant::now();
    let o = fusemax(&["sweep", "--grid", &g, "--out", out.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    assert!(err.contains("SB_MAC16 needed, 8 available"), "{err}");
    assert!(err.contains("before synthesis"), "{err}");
    assert!(
        err.contains("board: unknown board `nexys`: expected ulx3s or icebreaker"),
        "{err}"
    );
}

#[test]
fn ctrl_c_keeps_the_finished_points_and_a_rerun_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let g = write_grid(
        tmp.path(),
        "slow.toml",
        r#"
measure = ["accuracy"]
[set]
job.seq_q = 32
[[axes]]
job.seq_kv = [32768, 32767, 32766, 32765, 32764, 32763]
"#,
    );
    let out = tmp.path().join("out");
    let child = Command::new(exe())
        .args([
            "sweep",
            "--grid",
            &g,
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "1",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let points = out.join("points");
    let count = || {
        std::fs::read_dir(&points)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().and_then(|x| x.to_str()) == Some("json"))
                    .count()
            })
            .unwrap_or(0)
    };
    let t = Instant::now();
    while count() < 1 && t.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("run the same command again"),
        "{err}"
    );
    let kept = count();
    assert!((1..6).contains(&kept), "{kept} records: {err}");
    // Every record on disk is whole and finished; the outputs were written.
    for e in std::fs::read_dir(&points).unwrap().flatten() {
        if e.path().extension().and_then(|x| x.to_str()) == Some("json") {
            let r: Value = serde_json::from_str(&read(&e.path())).unwrap();
            assert_eq!(r["measures"]["accuracy"]["status"], "ok");
        }
    }
    assert!(out.join("results.csv").exists());
    let o = sweep(&g, &out, &["--jobs", "2"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("{kept} already done, {} to run", 6 - kept)),
        "{err}"
    );
    assert_eq!(csv(&out).1.len(), 6);
}
