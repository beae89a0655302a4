//! End-to-end tests of the `fusemax` binary: every bad input ends with a message naming the
//! problem and a non-zero exit code (never a panic), and the good paths produce what they say.

use fusemax_hdl::{Config, Dist};
use fusemax_tb::npy::{self, NpyMatrix};
use fusemax_tb::quant::{QuantJob, Steps};
use fusemax_tb::{gen, reference, Mat};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fusemax(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fusemax"))
        .args(args)
        .output()
        .expect("the fusemax binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the binary and checks that it fails cleanly with a message containing every `needles`.
fn fails_with(args: &[&str], needles: &[&str]) {
    let o = fusemax(args);
    let err = text(&o.stderr);
    assert!(
        !o.status.success(),
        "{args:?} should fail; stdout: {}",
        text(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(
        err.starts_with("error") || err.contains("\nerror"),
        "{args:?}: no error line: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}: {err}");
    }
}

fn succeeds(args: &[&str]) -> String {
    let o = fusemax(args);
    assert!(o.status.success(), "{args:?} failed: {}", text(&o.stderr));
    text(&o.stdout)
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn f32(&self, name: &str, rows: usize, cols: usize) -> String {
        let m = Mat::from_vec(
            rows,
            cols,
            (0..rows * cols)
                .map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0)
                .collect(),
        );
        let p = self.path(name);
        npy::write_f32(&p, &m).unwrap();
        p.display().to_string()
    }

    fn raw(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn wrong_shapes_are_named() {
    let f = Files::new();
    let q = f.f32("q.npy", 4, 8);
    let k = f.f32("k.npy", 5, 8);
    let v = f.f32("v.npy", 6, 8);
    fails_with(
        &["reference", "--q", &q, "--k", &k, "--v", &v],
        &["input shapes", "K has M = 5 rows but V has 6"],
    );
    // V with the wrong orientation is the same error.
    let vt = f.f32("vt.npy", 8, 5);
    fails_with(
        &["reference", "--q", &q, "--k", &k, "--v", &vt],
        &["V has 8"],
    );
}

#[test]
fn mismatched_head_size_is_named() {
    let f = Files::new();
    let q = f.f32("q.npy", 4, 8);
    let k = f.f32("k.npy", 5, 7);
    let v = f.f32("v.npy", 5, 8);
    fails_with(
        &["reference", "--q", &q, "--k", &k, "--v", &v],
        &["Q has head size E = 8 but K has E = 7"],
    );
}

#[test]
fn zero_queries_or_keys_from_files() {
    let f = Files::new();
    let q0 = f.f32("q0.npy", 0, 8);
    let q = f.f32("q.npy", 4, 8);
    let k = f.f32("k.npy", 5, 8);
    let v = f.f32("v.npy", 5, 8);
    fails_with(&["reference", "--q", &q0, "--k", &k, "--v", &v], &["P = 0"]);
    let k0 = f.f32("k0.npy", 0, 8);
    let v0 = f.f32("v0.npy", 0, 8);
    fails_with(
        &["reference", "--q", &q, "--k", &k0, "--v", &v0],
        &["M = 0"],
    );
}

#[test]
fn zero_queries_or_keys_from_flags() {
    fails_with(&["reference", "--seq-kv", "0"], &["job.seq_kv", "--seq-kv"]);
    fails_with(&["reference", "--seq-q", "0"], &["job.seq_q", "--seq-q"]);
    fails_with(&["reference", "--set", "job.seq_kv=0"], &["job.seq_kv"]);
}

#[test]
fn sequence_longer_than_the_maximum() {
    fails_with(
        &["reference", "--seq-kv", "70000"],
        &["job.seq_kv", "65536", "max_seq_kv"],
    );
    let f = Files::new();
    let q = f.f32("q.npy", 2, 4);
    let k = f.f32("k.npy", 17, 4);
    let v = f.f32("v.npy", 17, 4);
    fails_with(
        &[
            "reference",
            "--set",
            "max_seq_kv=16",
            "--q",
            &q,
            "--k",
            &k,
            "--v",
            &v,
        ],
        &["M = 17 exceeds max_seq_kv = 16"],
    );
}

#[test]
fn non_finite_or_bad_scale() {
    fails_with(&["reference", "--scale", "inf"], &["job.scale", "finite"]);
    fails_with(&["reference", "--scale", "nan"], &["job.scale", "finite"]);
    fails_with(&["reference", "--scale", "-0.5"], &["job.scale"]);
    fails_with(&["reference", "--set", "job.scale=inf"], &["job.scale"]);
    // Finite, but beyond what the hardware's scale constant represents.
    fails_with(&["reference", "--scale", "1e9"], &["outside the range"]);
}

#[test]
fn truncated_npy_file() {
    let f = Files::new();
    let q = f.f32("q.npy", 4, 8);
    let full = std::fs::read(&q).unwrap();
    let cut = f.raw("cut.npy", &full[..full.len() - 5]);
    let k = f.f32("k.npy", 5, 8);
    let v = f.f32("v.npy", 5, 8);
    fails_with(
        &["reference", "--q", &cut, "--k", &k, "--v", &v],
        &["--q", "cut.npy", "truncated"],
    );
    let head = f.raw("head.npy", &full[..30]);
    fails_with(
        &["reference", "--q", &q, "--k", &head, "--v", &v],
        &["--k", "truncated"],
    );
}

#[test]
fn non_npy_file() {
    let f = Files::new();
    let q = f.raw("q.npy", b"Q,K,V as CSV is not supported\n1,2,3\n");
    let k = f.f32("k.npy", 5, 8);
    let v = f.f32("v.npy", 5, 8);
    fails_with(
        &["reference", "--q", &q, "--k", &k, "--v", &v],
        &["not a NumPy .npy file"],
    );
    fails_with(
        &[
            "reference",
            "--q",
            "/nonexistent/q.npy",
            "--k",
            &k,
            "--v",
            &v,
        ],
        &["cannot read", "/nonexistent/q.npy"],
    );
}

#[test]
fn unsupported_npy_layouts() {
    let f = Files::new();
    let k = f.f32("k.npy", 5, 8);
    let v = f.f32("v.npy", 5, 8);
    let raw = |dict: &str, data: &[u8]| {
        let mut h = dict.to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b.extend(data);
        b
    };
    let q3 = f.raw(
        "q3.npy",
        &raw(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 4), }",
            &[0; 32],
        ),
    );
    fails_with(
        &["reference", "--q", &q3, "--k", &k, "--v", &v],
        &["3 dimensions", "2-D"],
    );
    let qf = f.raw(
        "qf.npy",
        &raw(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 8), }",
            &[0; 64],
        ),
    );
    fails_with(
        &["reference", "--q", &qf, "--k", &k, "--v", &v],
        &["Fortran"],
    );
    let qu = f.raw(
        "qu.npy",
        &raw(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 8), }",
            &[0; 16],
        ),
    );
    fails_with(
        &["reference", "--q", &qu, "--k", &k, "--v", &v],
        &["unsupported dtype", "u1"],
    );
    let mut nan = Mat::zeros(2, 8);
    nan.set(1, 3, f64::NAN);
    let qn = f.path("qn.npy");
    npy::write_f32(&qn, &nan).unwrap();
    fails_with(
        &["reference", "--q", &s(&qn), "--k", &k, "--v", &v],
        &["non-finite", "[1, 3]"],
    );
}

#[test]
fn integers_outside_data_bits() {
    let f = Files::new();
    let q = f.path("q.npy");
    npy::write_i8(&q, &Mat::from_vec(1, 2, vec![100, -3])).unwrap();
    let k = f.path("k.npy");
    npy::write_i8(&k, &Mat::from_vec(1, 2, vec![1, 2])).unwrap();
    fails_with(
        &[
            "reference",
            "--set",
            "data_bits=4",
            "--q",
            &s(&q),
            "--k",
            &s(&k),
            "--v",
            &s(&k),
        ],
        &["Q holds 100", "4-bit"],
    );
}

#[test]
fn an_unknown_binding_is_refused() {
    fails_with(
        &["schedule", "--set", "binding=flash"],
        &["binding", "flash"],
    );
}

#[test]
fn unknown_config_key() {
    fails_with(
        &["reference", "--set", "rowz=3"],
        &["rowz", "unknown field"],
    );
    fails_with(&["config", "--set", "rowz=3"], &["rowz"]);
    fails_with(&["config", "--set", "rows"], &["key=value"]);
    fails_with(&["config", "--set", "rows=0"], &["rows", "out of range"]);
}

#[test]
fn malformed_toml_config() {
    let f = Files::new();
    let c = f.raw("bad.toml", b"rows = 8\ncols = [unclosed\n");
    fails_with(&["config", "--show", "--config", &c], &["bad.toml", "TOML"]);
    fails_with(&["reference", "--config", &c], &["not valid TOML"]);
    fails_with(
        &["config", "--config", "/nonexistent/x.toml"],
        &["cannot read", "/nonexistent/x.toml"],
    );
    let t = f.raw("typo.toml", b"[job]\nseq_kvv = 3\n");
    fails_with(&["config", "--config", &t], &["seq_kvv"]);
}

#[test]
fn files_must_come_together() {
    let f = Files::new();
    let q = f.f32("q.npy", 4, 8);
    fails_with(&["reference", "--q", &q], &["--q, --k and --v"]);
}

#[test]
fn config_show_round_trips_and_precedence_holds() {
    let f = Files::new();
    let shown = succeeds(&["config", "--show", "--set", "rows=4", "--seq-kv", "1000"]);
    let p = f.raw("shown.toml", shown.as_bytes());
    let cfg = Config::load(Some(Path::new(&p)), &[]).unwrap();
    assert_eq!(cfg.rows, 4);
    assert_eq!(cfg.job.seq_kv, 1000);

    // defaults < --config < --set < job flags
    let c = f.raw(
        "c.toml",
        b"rows = 4\ncols = 2\nunits_1d = 2\n[job]\nseq_kv = 10\nseq_q = 3\n",
    );
    let out = succeeds(&[
        "config",
        "--json",
        "--config",
        &c,
        "--set",
        "rows=2",
        "--set",
        "job.seq_kv=20",
        "--seq-kv",
        "30",
        "--dist",
        "peaked",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cfg = &v["config"];
    assert_eq!(cfg["rows"], 2);
    assert_eq!(cfg["cols"], 2);
    assert_eq!(cfg["job"]["seq_q"], 3);
    assert_eq!(cfg["job"]["seq_kv"], 30);
    assert_eq!(cfg["job"]["dist"], "peaked");
    assert_eq!(v["derived"]["exp_bits"], 17);
    assert!(v["hw_hash"].is_string());
}

#[test]
fn reference_json_has_the_required_keys() {
    let out = succeeds(&[
        "reference",
        "--json",
        "--seq-q",
        "5",
        "--seq-kv",
        "19",
        "--head-e",
        "16",
        "--head-f",
        "12",
        "--seed",
        "3",
    ]);
    assert_eq!(out.trim().lines().count(), 1, "one JSON object: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "max_abs_err_lsb",
        "mean_abs_err_lsb",
        "rmse_lsb",
        "count",
        "scale",
        "dist",
        "seed",
        "shape",
    ] {
        assert!(!v[key].is_null(), "missing {key}: {out}");
    }
    assert_eq!(v["count"], 5 * 12);
    assert_eq!(v["shape"]["m"], 19);
    assert_eq!(v["seed"], 3);
    assert_eq!(v["dist"], "normal");
    assert!((v["scale"].as_f64().unwrap() - 0.25).abs() < 1e-15);
    assert!(v["max_abs_err_lsb"].as_f64().unwrap() <= 0.5);

    // The human report carries the same numbers.
    let human = succeeds(&["reference", "--seq-q", "5", "--seq-kv", "19"]);
    assert!(human.contains("max") && human.contains("LSB"), "{human}");
}

/// AV as written by `--out`, compared with the model run in-process on the same inputs.
fn check_out(path: &Path, job: &QuantJob, cfg: &Config) {
    let NpyMatrix::Real(got) = npy::read_matrix(path).unwrap() else {
        panic!("--out must be float32")
    };
    let words = reference::cascade_fixed(job, cfg);
    assert_eq!((got.rows, got.cols), (words.rows, words.cols));
    let unit = job.steps.v / (1u64 << cfg.out_frac_bits) as f64;
    for (g, w) in got.data.iter().zip(&words.data) {
        assert_eq!(*g, (*w as f64 * unit) as f32 as f64);
    }
}

#[test]
fn float32_files_round_trip() {
    let f = Files::new();
    let cfg = Config::default();
    let x = gen::generate(6, 21, 16, 10, 11, Dist::Normal);
    let (qp, kp, vp, op) = (
        f.path("q.npy"),
        f.path("k.npy"),
        f.path("v.npy"),
        f.path("o.npy"),
    );
    npy::write_f32(&qp, &x.q).unwrap();
    npy::write_f32(&kp, &x.k).unwrap();
    npy::write_f32(&vp, &x.v).unwrap();
    let out = succeeds(&[
        "reference",
        "--json",
        "--q",
        &s(&qp),
        "--k",
        &s(&kp),
        "--v",
        &s(&vp),
        "--out",
        &s(&op),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["inputs"], "files");
    assert_eq!(v["shape"]["p"], 6);
    assert!(v["max_abs_err_lsb"].as_f64().unwrap() <= 0.5);

    // The model on the float32-rounded inputs gives the written words exactly.
    let r32 = |m: &Mat<f64>| m.map(|a| a as f32 as f64);
    let job = QuantJob::from_real(&r32(&x.q), &r32(&x.k), &r32(&x.v), None, &cfg).unwrap();
    check_out(&op, &job, &cfg);

    // And AV is close to real attention of the unquantized inputs (input quantization only).
    let NpyMatrix::Real(got) = npy::read_matrix(&op).unwrap() else {
        unreachable!()
    };
    let want = reference::attention_f64(&x.q, &x.k, &x.v, 0.25);
    for (g, w) in got.data.iter().zip(&want.data) {
        assert!((g - w).abs() < 0.05, "{g} vs {w}");
    }
}

#[test]
fn int8_files_round_trip() {
    let f = Files::new();
    let cfg = Config::default();
    let q = Mat::from_vec(3, 4, (0..12).map(|i| (i * 5 % 17) - 8).collect());
    let k = Mat::from_vec(9, 4, (0..36).map(|i| (i * 7 % 13) - 6).collect());
    let v = Mat::from_vec(9, 2, (0..18).map(|i| (i * 11 % 255) - 127).collect());
    let (qp, kp, vp, op) = (
        f.path("q.npy"),
        f.path("k.npy"),
        f.path("v.npy"),
        f.path("o.npy"),
    );
    npy::write_i8(&qp, &q).unwrap();
    npy::write_i8(&kp, &k).unwrap();
    npy::write_i8(&vp, &v).unwrap();
    let report = succeeds(&[
        "reference",
        "--q",
        &s(&qp),
        "--k",
        &s(&kp),
        "--v",
        &s(&vp),
        "--out",
        &s(&op),
        "--scale",
        "0.05",
    ]);
    assert!(report.contains("P = 3, M = 9, E = 4, F = 2"), "{report}");
    let one = Steps {
        q: 1.0,
        k: 1.0,
        v: 1.0,
    };
    let job = QuantJob::from_int(q, k, v, one, Some(0.05), &cfg).unwrap();
    check_out(&op, &job, &cfg);
}

#[test]
fn help_lists_the_subcommands_and_shared_options() {
    let h = succeeds(&["--help"]);
    assert!(h.contains("config") && h.contains("reference"), "{h}");
    let h = succeeds(&["reference", "--help"]);
    for opt in [
        "--config", "--set", "--seq-q", "--seq-kv", "--head-e", "--head-f", "--seed", "--dist",
        "--scale", "--json", "--q", "--out",
    ] {
        assert!(h.contains(opt), "reference --help lacks {opt}");
    }
}

#[test]
fn sim_reports_the_mac_bound() {
    let out = succeeds(&[
        "sim",
        "--backend",
        "rusthdl",
        "--set",
        "rows=2",
        "--set",
        "cols=2",
        "--seq-q",
        "3",
        "--seq-kv",
        "5",
        "--head-e",
        "4",
        "--head-f",
        "6",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mismatches"], 0);
    // ceil(3 / 2) blocks of queries * ceil(5 / 2) tiles of keys * (E + F) cycles
    assert_eq!(v["ideal_cycles"], 2 * 3 * 10);
    let cycles = v["cycles"].as_f64().unwrap();
    let ratio = v["cycles_over_ideal"].as_f64().unwrap();
    assert!((ratio - cycles / 60.0).abs() < 1e-9, "{ratio}");
    assert!(ratio > 1.0, "no schedule beats the MAC bound: {ratio}");
}

#[test]
fn schedule_prints_the_plan_the_controller_runs() {
    let plan = |binding: &str| -> serde_json::Value {
        let out = succeeds(&[
            "schedule",
            "--set",
            "rows=4",
            "--set",
            "cols=2",
            "--set",
            "exp_degree=2",
            "--set",
            &format!("binding={binding}"),
            "--head-e",
            "10",
            "--head-f",
            "7",
            "--json",
        ]);
        serde_json::from_str(&out).unwrap()
    };
    // sequential: E + F + 2R + 3d + 10; fusemax: max(E + d + 2, 3d + 6) + 2 + max(F, 2R)
    for (binding, period, first, depth) in [
        ("sequential", 10 + 7 + 2 * 4 + 3 * 2 + 10, ("BQK", 10), 0),
        ("fusemax", 14 + 2 + 8, ("BQKX", 14), 1),
    ] {
        let v = plan(binding);
        assert_eq!(v["binding"], binding);
        assert_eq!(v["tile_period"], period, "{binding}");
        assert_eq!(v["depth"], depth);
        // the phases tile the period without gaps, BQK first and SLNV last
        let phases = v["phases"].as_array().unwrap();
        let mut t = 0;
        for p in phases {
            assert_eq!(p["start"], t, "{p}");
            t += p["len"].as_u64().unwrap();
        }
        assert_eq!(t, period as u64);
        assert_eq!(phases[0]["name"], first.0);
        assert_eq!(phases[0]["len"], first.1);
        assert_eq!(phases[0]["count"], 10);
        assert_eq!(phases.last().unwrap()["count"], 7);
    }
    // the picture is drawn from the same plan: every phase named with its length
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("s.svg");
    succeeds(&[
        "schedule",
        "--head-e",
        "10",
        "--head-f",
        "7",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..100.min(text.len())]);
    for label in [
        "BQKX (15)",
        "LM (1)",
        "SLD (1)",
        "SLNV (16)",
        "SLNV MAC (tile j-1)",
    ] {
        assert!(text.contains(label), "the picture lacks {label:?}");
    }
    // the pictures in docs/schedule/ are what the command draws today (they cannot drift
    // from the plan): regenerate them with the commands in docs/schedule.md
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for binding in ["fusemax", "sequential"] {
        let fresh = tmp.path().join(format!("{binding}.svg"));
        succeeds(&[
            "schedule",
            "--set",
            &format!("binding={binding}"),
            "--svg",
            fresh.to_str().unwrap(),
        ]);
        let committed = root.join(format!("docs/schedule/{binding}-8x8.svg"));
        assert!(
            std::fs::read(&committed).unwrap() == std::fs::read(&fresh).unwrap(),
            "{} is not what `fusemax schedule --set binding={binding} --svg` draws now",
            committed.display()
        );
    }
    fails_with(
        &["schedule", "--svg", "/nonexistent-dir/s.svg"],
        &["cannot write"],
    );
    // a bad config is an error, not a plan
    fails_with(&["schedule", "--set", "rows=0"], &["rows"]);
}

#[test]
fn model_predicts_the_counters_of_a_job() {
    let model = |sets: &[&str]| -> serde_json::Value {
        let mut a = vec!["model", "--json", "--seq-q", "64", "--seq-kv", "512"];
        for s in sets {
            a.extend(["--set", s]);
        }
        serde_json::from_str(&succeeds(&a)).unwrap()
    };
    let fm = model(&[]);
    let seq = model(&["binding=sequential"]);
    for v in [&fm, &seq] {
        // 8 query blocks of 64 key tiles; the MAC bound is (E + F) per tile
        assert_eq!(v["tiles"], 8 * 64);
        assert_eq!(v["ideal_cycles"], 8 * 64 * 128);
        let c = v["cycles"].as_u64().unwrap();
        assert!(c > v["ideal_cycles"].as_u64().unwrap());
        assert!(v["util_2d"].as_f64().unwrap() < 1.0);
        assert_eq!(v["input_bound"], false);
    }
    assert_eq!(fm["periods"], 8 * 64 + 1);
    assert_eq!(seq["periods"], 8 * 64);
    // the interleaved binding is faster; the periods follow each other at once
    let (a, b) = (
        fm["cycles"].as_u64().unwrap(),
        seq["cycles"].as_u64().unwrap(),
    );
    assert!(a * 115 < b * 100, "fusemax {a}, sequential {b}");
    assert!(a > 513 * 135 && a < 513 * 135 + 4000, "{a}");
    // a 16 x 16 array at E = F = 64 needs two 64-bit words a cycle
    let wide = model(&["rows=16", "cols=16"]);
    assert_eq!(wide["input_bound"], true);
    assert!(wide["input_words_per_cycle"].as_f64().unwrap() > 1.5);
    // text output names the figures; a bad config is an error
    let t = succeeds(&["model"]);
    assert!(t.contains("cycles") && t.contains("MAC bound"), "{t}");
    fails_with(&["model", "--set", "rows=0"], &["rows"]);
}
