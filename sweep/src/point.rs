//! A point's effective config, its key, the measures it runs and its result record.
//!
//! A point is keyed by a hash of its effective config (job included), its board and placement
//! seed, and the generator's version; its record is `DIR/points/<key>.json`, written at once
//! (a temporary file renamed) so that an interrupted run leaves either the whole record or
//! none. The record keeps each measure's result: a later run of the point runs only the
//! measures that are missing, failed or were unavailable.

use crate::grid::{Base, PointSpec};
use fusemax_hdl::Config;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One kind of measurement: a `fusemax` subcommand that prints one JSON object with `--json`.
/// A new subcommand (the analytic cycle model, `fusemax model`) joins the sweeps by being
/// built into the binary: its figures are the numbers of its JSON, like the others'.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasureDef {
    /// The name in grids and in the table's columns (`sim.cycles`).
    pub name: &'static str,
    pub subcommand: &'static str,
    pub what: &'static str,
}

pub const MEASURE_DEFS: [MeasureDef; 4] = [
    MeasureDef {
        name: "model",
        subcommand: "model",
        what: "the analytic cycle model",
    },
    MeasureDef {
        name: "sim",
        subcommand: "sim",
        what: "a Verilator simulation of the engine, checked against the bit-accurate model",
    },
    MeasureDef {
        name: "accuracy",
        subcommand: "reference",
        what: "the bit-accurate model's error against f64 attention",
    },
    MeasureDef {
        name: "fpga",
        subcommand: "fpga",
        what: "synthesis and place-and-route for the point's board",
    },
];

/// The definition of a measure by name.
pub fn measure_def(name: &str) -> Option<&'static MeasureDef> {
    MEASURE_DEFS.iter().find(|m| m.name == name)
}

/// The generator's version, part of every key.
pub const VERSION: &str = fusemax_hdl::VERSION;

/// A point's config as loaded and validated by the config's own code, and its key.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub config: Result<Config, String>,
    pub key: String,
}

impl Resolved {
    pub fn hw_hash(&self) -> Option<String> {
        self.config.as_ref().ok().map(|c| c.hw_hash())
    }
}

/// The base config's name for messages: the file, the board's preset or the defaults.
pub fn base_name(p: &PointSpec) -> String {
    match (&p.base, &p.board) {
        (Base::File(f), _) => f.display().to_string(),
        (Base::Default, Some(b)) => format!("configs/{b}.toml (the {b} preset)"),
        (Base::Default, None) => "the defaults".into(),
    }
}

fn load(p: &PointSpec) -> Result<Config, String> {
    let loaded = match (&p.base, &p.board) {
        (Base::File(f), _) => Config::load(Some(f), &p.sets),
        (Base::Default, Some(b)) => {
            let board = fusemax_fpga::boards::parse(b).map_err(|e| format!("board: {e}"))?;
            let spec = fusemax_fpga::boards::spec(board);
            Config::load_text(&format!("configs/{}.toml", spec.name), spec.preset, &p.sets)
        }
        (Base::Default, None) => Config::load(None, &p.sets),
    };
    loaded.map_err(|e| format!("invalid configuration: {e}"))
}

/// Loads a point's config and computes its key: the effective config when it is valid, the
/// inputs as given when it is not (so that the failure is recorded and retried).
pub fn resolve(p: &PointSpec) -> Resolved {
    use sha2::{Digest, Sha256};
    let config = load(p);
    let mut h = Sha256::new();
    h.update(b"fusemax-sweep point 1\n");
    h.update(VERSION.as_bytes());
    match &config {
        Ok(c) => h.update(c.to_toml().as_bytes()),
        Err(_) => h.update(format!("invalid\n{:?}\n{:?}", p.base, p.sets).as_bytes()),
    }
    h.update(format!("\nboard={:?}\npnr_seed={}\n", p.board, p.pnr_seed).as_bytes());
    let key = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Resolved { config, key }
}

/// How a measure ended.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// This binary has no such subcommand (yet): retried on the next run.
    Unavailable,
}

/// One measure's result.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MeasureResult {
    pub status: Status,
    /// Why it failed or is unavailable (the command's own error).
    pub error: Option<String>,
    /// Wall time of the command.
    pub seconds: f64,
    /// The numbers (and flags) of the command's JSON, flattened: `cycles`, `shape.m`, ...
    pub figures: BTreeMap<String, serde_json::Value>,
    /// The command that ran, as a shell line.
    pub command: String,
}

/// A point's record (`DIR/points/<key>.json`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Record {
    pub key: String,
    pub version: String,
    pub spec: PointSpec,
    /// The effective config, when valid.
    pub config: Option<serde_json::Value>,
    pub hw_hash: Option<String>,
    pub config_error: Option<String>,
    pub measures: BTreeMap<String, MeasureResult>,
}

/// A point's overall status.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PointStatus {
    Ok,
    /// Every measure ran or is unavailable, none failed.
    Partial,
    Failed,
    /// No record yet.
    Missing,
}

impl std::fmt::Display for PointStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PointStatus::Ok => "ok",
            PointStatus::Partial => "partial",
            PointStatus::Failed => "failed",
            PointStatus::Missing => "missing",
        })
    }
}

impl Record {
    /// A new record for a resolved point (no measure run yet).
    pub fn new(spec: &PointSpec, r: &Resolved) -> Record {
        Record {
            key: r.key.clone(),
            version: VERSION.into(),
            spec: spec.clone(),
            config: r
                .config
                .as_ref()
                .ok()
                .and_then(|c| serde_json::to_value(c).ok()),
            hw_hash: r.hw_hash(),
            config_error: r.config.as_ref().err().cloned(),
            measures: BTreeMap::new(),
        }
    }

    /// The status over the measures `spec` asks for.
    pub fn status(&self) -> PointStatus {
        if self.config_error.is_some() {
            return PointStatus::Failed;
        }
        let mut st = PointStatus::Ok;
        for m in &self.spec.measures {
            match self.measures.get(m).map(|r| r.status) {
                Some(Status::Ok) => {}
                Some(Status::Failed) => return PointStatus::Failed,
                Some(Status::Unavailable) => st = PointStatus::Partial,
                None => return PointStatus::Missing,
            }
        }
        st
    }

    /// Whether every measure asked for has succeeded (nothing left to run).
    pub fn complete(&self) -> bool {
        self.status() == PointStatus::Ok
    }

    /// The reasons of failure, one line per measure (or the config's error).
    pub fn errors(&self) -> Vec<String> {
        if let Some(e) = &self.config_error {
            return vec![e.clone()];
        }
        self.spec
            .measures
            .iter()
            .filter_map(|m| {
                let r = self.measures.get(m)?;
                match r.status {
                    Status::Ok => None,
                    Status::Failed => {
                        Some(format!("{m}: {}", r.error.as_deref().unwrap_or("failed")))
                    }
                    Status::Unavailable => Some(format!(
                        "{m}: unavailable ({})",
                        r.error.as_deref().unwrap_or("not built")
                    )),
                }
            })
            .collect()
    }
}

/// Where a sweep directory keeps things.
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
        }
    }
    pub fn points(&self) -> PathBuf {
        self.dir.join("points")
    }
    pub fn record(&self, key: &str) -> PathBuf {
        self.points().join(format!("{key}.json"))
    }
    pub fn config(&self, key: &str) -> PathBuf {
        self.points().join(format!("{key}.toml"))
    }
    pub fn log(&self, key: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{key}.log"))
    }

    /// The record of a key, if one was written (and reads).
    pub fn read(&self, key: &str) -> Option<Record> {
        let text = std::fs::read_to_string(self.record(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Every record in the directory, in grid order (grid, then index).
    pub fn read_all(&self) -> Result<Vec<Record>, String> {
        let dir = self.points();
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut v = vec![];
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let r: Record = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a point record: {e}", p.display()))?;
            v.push(r);
        }
        v.sort_by(|a, b| {
            (&a.spec.grid, a.spec.index, &a.key).cmp(&(&b.spec.grid, b.spec.index, &b.key))
        });
        Ok(v)
    }

    /// Writes a record at once (temporary file, then rename).
    pub fn write(&self, r: &Record) -> Result<(), String> {
        let text = serde_json::to_string_pretty(r).map_err(|e| e.to_string())? + "\n";
        write_atomic(&self.record(&r.key), &text)
    }
}

/// Writes a file through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The numbers and flags of a command's JSON object, flattened one level deep
/// (`cycles`, `seconds.pnr`); strings, arrays and deeper objects are left out.
pub fn figures(v: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    let keep = |x: &serde_json::Value| x.is_number() || x.is_boolean();
    if let Some(obj) = v.as_object() {
        for (k, x) in obj {
            if keep(x) {
                out.insert(k.clone(), x.clone());
            } else if let Some(sub) = x.as_object() {
                for (k2, y) in sub {
                    if keep(y) {
                        out.insert(format!("{k}.{k2}"), y.clone());
                    }
                }
            }
        }
    }
    out
}

/// The arguments of a measure's command for a point whose effective config is `config`.
pub fn measure_args(
    def: &MeasureDef,
    spec: &PointSpec,
    config: &Path,
) -> Result<Vec<String>, String> {
    let mut a = vec![
        def.subcommand.to_string(),
        "--json".into(),
        "--config".into(),
        config.display().to_string(),
    ];
    if def.name == "fpga" {
        let Some(b) = &spec.board else {
            return Err("the fpga measure needs a board: set `board` in the grid".into());
        };
        a.extend([
            "--board".into(),
            b.clone(),
            "--pnr-seed".into(),
            spec.pnr_seed.to_string(),
            "--allow-timing-fail".into(),
        ]);
    }
    Ok(a)
}

pub use fusemax_fpga::flow::shell_quote;

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(sets: &[&str]) -> PointSpec {
        PointSpec {
            grid: "t".into(),
            index: 0,
            part: None,
            base: Base::Default,
            sets: sets.iter().map(|s| s.to_string()).collect(),
            axes: vec![],
            board: None,
            pnr_seed: 1,
            measures: vec!["sim".into()],
        }
    }

    #[test]
    fn key_follows_the_effective_config() {
        let a = resolve(&spec(&["rows=2"]));
        let b = resolve(&spec(&["rows=4", "rows=2"]));
        // Same effective config, same key, whatever the sets that made it.
        assert_eq!(a.key, b.key);
        assert_eq!(a.key.len(), 16);
        let c = resolve(&spec(&["rows=2", "job.seq_kv=7"]));
        assert_ne!(a.key, c.key);
        let mut s = spec(&["rows=2"]);
        s.pnr_seed = 2;
        assert_ne!(resolve(&s).key, a.key);
        // The board's preset is the base when there is no config file.
        let mut s = spec(&[]);
        s.board = Some("icebreaker".into());
        let r = resolve(&s);
        assert_eq!(r.config.as_ref().unwrap().rows, 1);
        assert_eq!(r.config.as_ref().unwrap().mul_bits, 12);
    }

    #[test]
    fn invalid_configs_have_keys_and_clear_errors() {
        let r = resolve(&spec(&["rowz=2"]));
        let e = r.config.unwrap_err();
        assert!(e.contains("rowz") && e.contains("unknown field"), "{e}");
        let r2 = resolve(&spec(&["rows=0"]));
        assert!(r2.config.unwrap_err().contains("rows: 0 is out of range"));
        assert_ne!(r.key, r2.key);
        let mut s = spec(&[]);
        s.board = Some("nexys".into());
        assert!(resolve(&s).config.unwrap_err().contains("board"));
    }

    #[test]
    fn figures_are_numbers_one_level_deep() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"cycles": 10, "util_2d": 0.5, "backend": "verilator", "shape": {"m": 4, "x": {"y": 1}},
                "timing_met": true, "clocks": [1, 2], "out": null}"#,
        )
        .unwrap();
        let f = figures(&v);
        let keys: Vec<&str> = f.keys().map(|s| s.as_str()).collect();
        assert_eq!(keys, ["cycles", "shape.m", "timing_met", "util_2d"]);
    }

    #[test]
    fn status_over_the_measures_asked_for() {
        let s = spec(&["rows=2"]);
        let mut r = Record::new(&s, &resolve(&s));
        assert_eq!(r.status(), PointStatus::Missing);
        let res = |status| MeasureResult {
            status,
            error: Some("why".into()),
            seconds: 0.0,
            figures: BTreeMap::new(),
            command: String::new(),
        };
        r.measures.insert("sim".into(), res(Status::Ok));
        assert!(r.complete());
        r.spec.measures.push("model".into());
        r.measures.insert("model".into(), res(Status::Unavailable));
        assert_eq!(r.status(), PointStatus::Partial);
        assert!(!r.complete());
        r.measures.insert("sim".into(), res(Status::Failed));
        assert_eq!(r.status(), PointStatus::Failed);
        assert_eq!(r.errors(), ["sim: why", "model: unavailable (why)"]);
        let bad = spec(&["rows=0"]);
        assert_eq!(
            Record::new(&bad, &resolve(&bad)).status(),
            PointStatus::Failed
        );
    }

    #[test]
    fn fpga_needs_a_board() {
        let def = measure_def("fpga").unwrap();
        let mut s = spec(&[]);
        assert!(measure_args(def, &s, Path::new("c.toml"))
            .unwrap_err()
            .contains("needs a board"));
        s.board = Some("ulx3s".into());
        let a = measure_args(def, &s, Path::new("c.toml")).unwrap();
        assert_eq!(a[..4], ["fpga", "--json", "--config", "c.toml"]);
        assert!(a.contains(&"--allow-timing-fail".to_string()));
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("job.seq_kv=4"), "job.seq_kv=4");
    }
}
