//! Grids: a TOML file that names the measures and the axes of a sweep, expanded into points.
//!
//! ```toml
//! description = "2D utilization against M"
//! measure = ["sim", "accuracy"]       # any of model, sim, accuracy, fpga
//! config = "../configs/default.toml"  # optional base (relative to the grid); else a board's
//!                                     # preset when the point has a board, else the defaults
//! [set]                               # config keys as --set takes them, for every point
//! max_e = 16
//! job.seq_q = 4
//! [[axes]]                            # each [[axes]] table is crossed with the others ...
//! rows = [2, 4]                       # ... and the keys inside one table are zipped
//! cols = [2, 4]
//! [[axes]]
//! job.seq_kv = { from = 64, to = 16384, times = 2 }   # or { from = 1, to = 9, step = 2 }
//! [[part]]                            # optional: sub-grids whose points are concatenated,
//! name = "narrow exp"                 # each with its own set and axes (crossed with the
//! set = { exp_frac_bits = 8 }         # top-level ones)
//! ```
//!
//! Keys inside one table are taken in alphabetical order (TOML tables are unordered). Keys are
//! config keys (validated per point by the config's own code: an unknown key fails
//! that point, not the grid) plus `board` and `pnr_seed`, which are not config fields. Errors
//! of the grid itself (not TOML, an unknown measure, an empty range, zipped lists of different
//! lengths) name the place and stop the sweep before anything runs.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a point can measure; each is one subcommand of `fusemax` printing one JSON object.
pub const MEASURES: [&str; 4] = ["model", "sim", "accuracy", "fpga"];

/// Keys of a grid that are not config keys.
pub const BOARD: &str = "board";
pub const PNR_SEED: &str = "pnr_seed";

/// Most points a grid may expand to (a typo in a range should not make a million).
pub const MAX_POINTS: usize = 100_000;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("grid {file}: {message}")]
pub struct GridError {
    pub file: String,
    pub message: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawPart {
    name: Option<String>,
    #[serde(default)]
    set: toml::Table,
    #[serde(default)]
    axes: Vec<toml::Table>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    description: Option<String>,
    measure: Vec<String>,
    config: Option<PathBuf>,
    #[serde(default)]
    set: toml::Table,
    #[serde(default)]
    axes: Vec<toml::Table>,
    #[serde(default)]
    part: Vec<RawPart>,
}

/// Where a point's config starts from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Base {
    /// The built-in defaults, or the board's preset when the point has a board.
    Default,
    /// A config file (absolute path).
    File(PathBuf),
}

/// One point of a grid: everything its runner needs (no reference to the grid file).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PointSpec {
    /// The grid's name (its file stem) and the point's place in it.
    pub grid: String,
    pub index: usize,
    /// The part's name, if the grid has parts.
    pub part: Option<String>,
    pub base: Base,
    /// `key=value` for the config, in order: the grid's, the part's, then the axes' values.
    pub sets: Vec<String>,
    /// The axes' keys and values of this point (also in `sets`, or board / pnr_seed), as text.
    pub axes: Vec<(String, String)>,
    pub board: Option<String>,
    pub pnr_seed: u64,
    pub measures: Vec<String>,
}

/// A parsed grid.
#[derive(Clone, Debug)]
pub struct Grid {
    pub name: String,
    pub description: String,
    pub points: Vec<PointSpec>,
    /// The axis keys, in the order they appear (the table's columns after the fixed ones).
    pub axis_keys: Vec<String>,
}

/// Keys of a TOML table flattened to dotted keys (`job = { seq_kv = 4 }` -> `job.seq_kv`),
/// stopping at range tables.
fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(sub) if !is_range(sub) => flatten(&key, sub, out),
            _ => out.push((key, v.clone())),
        }
    }
}

fn is_range(t: &toml::Table) -> bool {
    t.contains_key("from") || t.contains_key("to")
}

fn num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The values of one axis key: a list, a range table or a single value.
fn values(key: &str, v: &toml::Value) -> Result<Vec<toml::Value>, String> {
    let vals = match v {
        toml::Value::Array(a) => a.clone(),
        toml::Value::Table(t) if is_range(t) => range(t)?,
        other => vec![other.clone()],
    };
    if vals.is_empty() {
        return Err(format!("axis `{key}`: empty range (no values)"));
    }
    Ok(vals)
}

fn range(t: &toml::Table) -> Result<Vec<toml::Value>, String> {
    for k in t.keys() {
        if !["from", "to", "step", "times"].contains(&k.as_str()) {
            return Err(format!(
                "unknown range field `{k}` (a range is {{ from, to, step }} or {{ from, to, times }})"
            ));
        }
    }
    let get = |k: &str| {
        t.get(k)
            .map(|v| num(v).ok_or(format!("range `{k}` is not a number")))
    };
    let from = get("from").ok_or("a range needs `from`")??;
    let to = get("to").ok_or("a range needs `to`")??;
    let ints = t.values().all(|v| v.is_integer());
    let step = get("step").transpose()?;
    let times = get("times").transpose()?;
    let mut out = vec![];
    let mut x = from;
    match (step, times) {
        (Some(s), None) if s > 0.0 => {
            while x <= to + 1e-9 * to.abs() {
                out.push(x);
                x += s;
                if out.len() > MAX_POINTS {
                    return Err("a range has too many values".into());
                }
            }
        }
        (None, Some(m)) if m > 1.0 && from > 0.0 => {
            while x <= to * (1.0 + 1e-9) {
                out.push(x);
                x *= m;
            }
        }
        (Some(_), None) => return Err("range `step` must be > 0".into()),
        (None, Some(_)) => return Err("range `times` must be > 1 and `from` > 0".into()),
        _ => return Err("a range needs exactly one of `step` and `times`".into()),
    }
    Ok(out
        .into_iter()
        .map(|x| {
            if ints {
                toml::Value::Integer(x.round() as i64)
            } else {
                toml::Value::Float(x)
            }
        })
        .collect())
}

/// A value as text for a table cell (strings without quotes).
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One [[axes]] table: its keys and the zipped rows of values.
type Axis = (Vec<String>, Vec<Vec<toml::Value>>);

fn axis(t: &toml::Table) -> Result<Axis, String> {
    let mut kv = vec![];
    flatten("", t, &mut kv);
    if kv.is_empty() {
        return Err("an [[axes]] table has no keys".into());
    }
    let mut cols = vec![];
    for (k, v) in &kv {
        cols.push(values(k, v)?);
    }
    let n = cols[0].len();
    if let Some(i) = cols.iter().position(|c| c.len() != n) {
        return Err(format!(
            "zipped axis keys of different lengths: `{}` has {n} values, `{}` has {}",
            kv[0].0,
            kv[i].0,
            cols[i].len()
        ));
    }
    let keys = kv.into_iter().map(|(k, _)| k).collect();
    let rows = (0..n)
        .map(|r| cols.iter().map(|c| c[r].clone()).collect())
        .collect();
    Ok((keys, rows))
}

/// The sets of one fixed table, with board / pnr_seed taken out.
struct Fixed {
    sets: Vec<String>,
    board: Option<String>,
    seed: Option<u64>,
}

fn special(key: &str, v: &toml::Value) -> Result<Option<Special>, String> {
    match key {
        BOARD => match v {
            toml::Value::String(s) => Ok(Some(Special::Board(s.clone()))),
            _ => Err(format!("`{BOARD}` must be a string (ulx3s, icebreaker)")),
        },
        PNR_SEED => match v {
            toml::Value::Integer(i) if *i >= 0 => Ok(Some(Special::Seed(*i as u64))),
            _ => Err(format!("`{PNR_SEED}` must be an integer >= 0")),
        },
        _ => Ok(None),
    }
}

enum Special {
    Board(String),
    Seed(u64),
}

fn fixed(t: &toml::Table) -> Result<Fixed, String> {
    let mut kv = vec![];
    flatten("", t, &mut kv);
    let mut f = Fixed {
        sets: vec![],
        board: None,
        seed: None,
    };
    for (k, v) in kv {
        match special(&k, &v)? {
            Some(Special::Board(b)) => f.board = Some(b),
            Some(Special::Seed(s)) => f.seed = Some(s),
            None => f.sets.push(format!("{k}={v}")),
        }
    }
    Ok(f)
}

impl Grid {
    /// Reads and expands a grid file.
    pub fn load(path: &Path) -> Result<Grid, GridError> {
        let err = |m: String| GridError {
            file: path.display().to_string(),
            message: m,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "grid".into());
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::parse(&name, &text, dir).map_err(err)
    }

    /// Parses a grid's text; `dir` resolves a relative `config`.
    pub fn parse(name: &str, text: &str, dir: &Path) -> Result<Grid, String> {
        let raw: RawGrid = toml::from_str(text).map_err(|e| format!("{e}"))?;
        if raw.measure.is_empty() {
            return Err(format!(
                "`measure` is empty: name one or more of {}",
                MEASURES.join(", ")
            ));
        }
        for m in &raw.measure {
            if !MEASURES.contains(&m.as_str()) {
                return Err(format!(
                    "unknown measure `{m}`: expected one of {}",
                    MEASURES.join(", ")
                ));
            }
        }
        let base = match &raw.config {
            None => Base::Default,
            Some(p) => {
                let p = if p.is_absolute() {
                    p.clone()
                } else {
                    dir.join(p)
                };
                let p = std::fs::canonicalize(&p)
                    .map_err(|e| format!("config {}: {e}", p.display()))?;
                Base::File(p)
            }
        };
        let top = fixed(&raw.set)?;
        let top_axes = raw.axes.iter().map(axis).collect::<Result<Vec<_>, _>>()?;
        let parts = if raw.part.is_empty() {
            vec![RawPart::default()]
        } else {
            raw.part
        };
        let mut points = vec![];
        let mut axis_keys: Vec<String> = vec![];
        for part in &parts {
            let pf = fixed(&part.set)?;
            let mut axes = top_axes.clone();
            for a in &part.axes {
                axes.push(axis(a)?);
            }
            for (keys, _) in &axes {
                for k in keys {
                    if !axis_keys.contains(k) {
                        axis_keys.push(k.clone());
                    }
                }
            }
            let count: usize = axes.iter().map(|(_, r)| r.len()).product();
            if points.len() + count > MAX_POINTS {
                return Err(format!("more than {MAX_POINTS} points"));
            }
            // Crossed: the last axis varies fastest.
            for n in 0..count {
                let mut rem = n;
                let mut chosen = vec![];
                for (keys, rows) in axes.iter().rev() {
                    let r = &rows[rem % rows.len()];
                    rem /= rows.len();
                    chosen.push((keys, r));
                }
                chosen.reverse();
                let mut p = PointSpec {
                    grid: name.to_string(),
                    index: points.len(),
                    part: part.name.clone(),
                    base: base.clone(),
                    sets: top.sets.iter().chain(&pf.sets).cloned().collect(),
                    axes: vec![],
                    board: pf.board.clone().or(top.board.clone()),
                    pnr_seed: pf.seed.or(top.seed).unwrap_or(1),
                    measures: raw.measure.clone(),
                };
                for (keys, vals) in chosen {
                    for (k, v) in keys.iter().zip(vals) {
                        p.axes.push((k.clone(), value_text(v)));
                        match special(k, v)? {
                            Some(Special::Board(b)) => p.board = Some(b),
                            Some(Special::Seed(s)) => p.pnr_seed = s,
                            None => p.sets.push(format!("{k}={v}")),
                        }
                    }
                }
                points.push(p);
            }
        }
        Ok(Grid {
            name: name.to_string(),
            description: raw.description.unwrap_or_default(),
            points,
            axis_keys,
        })
    }
}

impl PointSpec {
    /// The axes as a map (for lookups).
    pub fn axis_map(&self) -> BTreeMap<String, String> {
        self.axes.iter().cloned().collect()
    }

    /// A short label: `rows=2 cols=2 job.seq_kv=16`.
    pub fn label(&self) -> String {
        let mut s: Vec<String> = self.axes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(p) = &self.part {
            s.insert(0, format!("[{p}]"));
        }
        if s.is_empty() {
            format!("point {}", self.index)
        } else {
            s.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Grid, String> {
        Grid::parse("t", text, Path::new("."))
    }

    #[test]
    fn crossed_and_zipped() {
        let g = parse(
            r#"
measure = ["sim"]
[set]
max_e = 16
job.seq_q = 4
[[axes]]
rows = [1, 2]
cols = [1, 2]
[[axes]]
job.seq_kv = { from = 4, to = 64, times = 4 }
"#,
        )
        .unwrap();
        assert_eq!(g.points.len(), 6);
        assert_eq!(g.axis_keys, ["cols", "rows", "job.seq_kv"]);
        let p = &g.points[4];
        assert_eq!(p.index, 4);
        assert_eq!(
            p.sets,
            [
                "job.seq_q=4",
                "max_e=16",
                "cols=2",
                "rows=2",
                "job.seq_kv=16"
            ]
        );
        let ms: Vec<String> = g
            .points
            .iter()
            .map(|p| p.axis_map()["job.seq_kv"].clone())
            .collect();
        assert_eq!(ms, ["4", "16", "64", "4", "16", "64"]);
        assert_eq!(p.pnr_seed, 1);
        assert_eq!(p.board, None);
        assert_eq!(p.base, Base::Default);
    }

    #[test]
    fn ranges_steps_floats_and_single_values() {
        let g = parse(
            r#"
measure = ["accuracy"]
[[axes]]
exp_frac_bits = { from = 6, to = 12, step = 2 }
[[axes]]
clock_mhz = { from = 50.0, to = 100.0, step = 25.0 }
binding = "sequential"
"#,
        );
        // zipped keys must have the same length: 3 clocks, 1 binding
        assert!(g.unwrap_err().contains("different lengths"));
        let g = parse(
            r#"
measure = ["accuracy"]
[[axes]]
exp_frac_bits = { from = 6, to = 12, step = 2 }
[[axes]]
clock_mhz = { from = 50.0, to = 100.0, step = 25.0 }
"#,
        )
        .unwrap();
        assert_eq!(g.points.len(), 12);
        assert_eq!(g.points[11].sets, ["exp_frac_bits=12", "clock_mhz=100.0"]);
    }

    #[test]
    fn board_and_seed_are_not_config_sets() {
        let g = parse(
            r#"
measure = ["fpga"]
[set]
pnr_seed = 3
[[axes]]
board = ["ulx3s", "icebreaker"]
"#,
        )
        .unwrap();
        assert_eq!(g.points.len(), 2);
        assert_eq!(g.points[1].board.as_deref(), Some("icebreaker"));
        assert_eq!(g.points[1].pnr_seed, 3);
        assert!(g.points[1].sets.is_empty());
        assert_eq!(
            g.points[1].axes,
            [("board".to_string(), "icebreaker".to_string())]
        );
    }

    #[test]
    fn parts_are_concatenated() {
        let g = parse(
            r#"
measure = ["accuracy"]
[set]
job.seq_kv = 64
[[part]]
name = "exp"
[[part.axes]]
exp_frac_bits = [8, 10]
[[part]]
name = "out"
set = { mul_bits = 24 }
[[part.axes]]
out_frac_bits = [4, 8, 12]
"#,
        )
        .unwrap();
        assert_eq!(g.points.len(), 5);
        assert_eq!(g.points[2].part.as_deref(), Some("out"));
        assert_eq!(
            g.points[2].sets,
            ["job.seq_kv=64", "mul_bits=24", "out_frac_bits=4"]
        );
        assert_eq!(g.axis_keys, ["exp_frac_bits", "out_frac_bits"]);
        assert_eq!(g.points[4].index, 4);
        assert_eq!(g.points[0].label(), "[exp] exp_frac_bits=8");
    }

    #[test]
    fn a_grid_without_axes_is_one_point() {
        let g = parse("measure = [\"sim\"]\n").unwrap();
        assert_eq!(g.points.len(), 1);
        assert_eq!(g.points[0].label(), "point 0");
    }

    #[test]
    fn bad_grids_name_the_problem() {
        for (text, needle) in [
            ("measure = []", "`measure` is empty"),
            ("measure = [\"speed\"]", "unknown measure `speed`"),
            ("measure = [\"sim\"]\naxis = 3", "unknown field `axis`"),
            (
                "measure = [\"sim\"]\n[[axes]]\nrows = []",
                "axis `rows`: empty range",
            ),
            (
                "measure = [\"sim\"]\n[[axes]]\nrows = { from = 8, to = 4, step = 1 }",
                "axis `rows`: empty range",
            ),
            (
                "measure = [\"sim\"]\n[[axes]]\nrows = { from = 1, to = 4 }",
                "exactly one of `step` and `times`",
            ),
            (
                "measure = [\"sim\"]\n[[axes]]\nrows = { from = 1, to = 4, step = 0 }",
                "`step` must be > 0",
            ),
            (
                "measure = [\"sim\"]\n[[axes]]\nrows = { from = 1, to = 4, by = 1 }",
                "unknown range field `by`",
            ),
            (
                "measure = [\"sim\"]\n[[axes]]\nboard = [1]",
                "`board` must be a string",
            ),
            (
                "measure = [\"sim\"]\nconfig = \"/nonexistent.toml\"",
                "nonexistent",
            ),
            ("measure = [\"sim\"\n", "TOML parse error"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
        let e = parse("measure = [\"sim\"]\n[[axes]]\nrows = { from = 1, to = 1e9, step = 1 }")
            .unwrap_err();
        assert!(e.contains("too many"), "{e}");
    }
}
