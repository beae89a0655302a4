//! Machine-readable reports of the tools, parsed from their JSON (never scraped from text
//! where JSON exists): yosys `stat -json` and nextpnr `--report`. The one text parser reads
//! nextpnr's "Device utilisation" block from its log, for runs that fail before writing the
//! report (a design larger than the device).

use crate::boards::Family;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Cell counts of the synthesized netlist, by type, and the resource totals derived from them.
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
pub struct SynthStats {
    /// Every cell type and its count (yosys 0.70's `$scopeinfo` pseudo-cells removed).
    pub cells: BTreeMap<String, u64>,
    /// LUT4s: ECP5 `LUT4` + 2 per `CCU2C` (a carry cell is two LUT4s) + 2 per
    /// `TRELLIS_DPR16X4` (distributed RAM takes a slice's LUTs); iCE40 `SB_LUT4`.
    pub luts: u64,
    /// Flip-flops: ECP5 `TRELLIS_FF`, iCE40 every `SB_DFF*`.
    pub ffs: u64,
    /// ECP5 `MULT18X18D`, iCE40 `SB_MAC16`.
    pub dsps: u64,
    /// ECP5 `DP16KD`, iCE40 `SB_RAM40_4K`.
    pub brams: u64,
    /// iCE40 carry cells (`SB_CARRY`); ECP5 0 (counted in `luts`).
    pub carries: u64,
}

fn bad(what: &str, detail: impl std::fmt::Display) -> String {
    format!("cannot parse {what}: {detail}")
}

/// Parses yosys's `stat -json` output for the (flattened) top module.
///
/// Yosys 0.23 and 0.70 both write `modules` with one entry per module; a flattened design has
/// one. 0.70 adds `$scopeinfo` cells (hierarchy bookkeeping, no hardware), which are dropped.
pub fn parse_yosys_stat(text: &str, top: &str, family: Family) -> Result<SynthStats, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("yosys stat JSON", e))?;
    let modules = v
        .get("modules")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("yosys stat JSON", "no `modules` object"))?;
    let key = format!("\\{top}");
    let m = modules
        .get(&key)
        .or_else(|| modules.get(top))
        .or_else(|| (modules.len() == 1).then(|| modules.values().next().unwrap()))
        .ok_or_else(|| {
            bad(
                "yosys stat JSON",
                format!(
                    "no module `{top}` (modules: {})",
                    modules.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
    let by_type = m
        .get("num_cells_by_type")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("yosys stat JSON", "no `num_cells_by_type`"))?;
    let mut cells = BTreeMap::new();
    for (t, n) in by_type {
        if t == "$scopeinfo" {
            continue;
        }
        let n = n
            .as_u64()
            .ok_or_else(|| bad("yosys stat JSON", format!("count of {t} is not a number")))?;
        cells.insert(t.clone(), n);
    }
    Ok(SynthStats::from_cells(cells, family))
}

impl SynthStats {
    /// Totals from cell counts.
    pub fn from_cells(cells: BTreeMap<String, u64>, family: Family) -> SynthStats {
        let get = |t: &str| cells.get(t).copied().unwrap_or(0);
        let (luts, ffs, dsps, brams, carries) = match family {
            Family::Ecp5 => (
                get("LUT4") + 2 * get("CCU2C") + 2 * get("TRELLIS_DPR16X4"),
                get("TRELLIS_FF"),
                get("MULT18X18D"),
                get("DP16KD"),
                0,
            ),
            Family::Ice40 => (
                get("SB_LUT4"),
                cells
                    .iter()
                    .filter(|(t, _)| t.starts_with("SB_DFF"))
                    .map(|(_, n)| n)
                    .sum(),
                get("SB_MAC16"),
                get("SB_RAM40_4K"),
                get("SB_CARRY"),
            ),
        };
        SynthStats {
            cells,
            luts,
            ffs,
            dsps,
            brams,
            carries,
        }
    }
}

/// Achieved and required frequency of one clock.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ClockFmax {
    /// The clock net.
    pub clock: String,
    pub fmax_mhz: f64,
    pub target_mhz: f64,
}

/// Used and available count of one kind of BEL.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Util {
    pub used: u64,
    pub available: u64,
}

/// One step of a critical path.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct PathStep {
    /// `clk-to-q`, `routing`, `logic` or `setup`.
    pub kind: String,
    /// Cell the step starts at (hierarchical name, flattened with dots or slashes).
    pub from_cell: String,
    pub from_port: String,
    pub to_cell: String,
    pub to_port: String,
    pub net: String,
    pub delay_ns: f64,
}

/// The worst path of one clock domain.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct CriticalPath {
    pub from_clock: String,
    pub to_clock: String,
    pub delay_ns: f64,
    pub steps: Vec<PathStep>,
}

/// A packed cell's name without what yosys and nextpnr append to the signal it came from
/// (`x.y.sig_SB_LUT4_O_4_LC` -> `x.y.sig`, `x.y.sig_TRELLIS_FF_Q` -> `x.y.sig`).
pub fn signal_of_cell(cell: &str) -> String {
    let mut end = cell.len();
    for marker in [
        "_SB_",
        "_TRELLIS_",
        "_LUT4_",
        "_CCU2C_",
        "_MULT18X18D",
        "_DP16KD",
        "_PFUMX",
        "_L6MUX21",
        "_DFF",
        "$",
    ] {
        if let Some(i) = cell.find(marker) {
            end = end.min(i);
        }
    }
    cell[..end].to_string()
}

impl CriticalPath {
    /// The signal the path starts at (the first net: the launching register's output) and the
    /// signal of the cell it ends at (the capturing register).
    pub fn endpoints(&self) -> (String, String) {
        let start = self
            .steps
            .iter()
            .find(|s| !s.net.is_empty())
            .map(|s| s.net.clone())
            .or_else(|| self.steps.first().map(|s| signal_of_cell(&s.to_cell)))
            .unwrap_or_default();
        let end = self
            .steps
            .last()
            .map(|s| signal_of_cell(&s.to_cell))
            .unwrap_or_default();
        (start, end)
    }

    /// Logic levels (cells passed through: `logic` steps).
    pub fn logic_levels(&self) -> usize {
        self.steps.iter().filter(|s| s.kind == "logic").count()
    }

    /// The nets of the path, in order, without repeats.
    pub fn nets(&self) -> Vec<String> {
        let mut v: Vec<String> = vec![];
        for s in &self.steps {
            if !s.net.is_empty() && v.last() != Some(&s.net) {
                v.push(s.net.clone());
            }
        }
        v
    }
}

/// nextpnr's `--report` JSON.
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
pub struct PnrReport {
    pub clocks: Vec<ClockFmax>,
    pub utilization: BTreeMap<String, Util>,
    pub critical_paths: Vec<CriticalPath>,
}

impl PnrReport {
    /// The slowest clock's achieved frequency (None without clocks).
    pub fn fmax_mhz(&self) -> Option<f64> {
        self.clocks.iter().map(|c| c.fmax_mhz).reduce(f64::min)
    }

    /// Whether every clock reached its constraint.
    pub fn timing_met(&self) -> bool {
        !self.clocks.is_empty() && self.clocks.iter().all(|c| c.fmax_mhz >= c.target_mhz)
    }

    /// The clock that misses its target by the largest ratio, or the slowest one.
    pub fn worst_clock(&self) -> Option<&ClockFmax> {
        self.clocks.iter().min_by(|a, b| {
            (a.fmax_mhz / a.target_mhz)
                .partial_cmp(&(b.fmax_mhz / b.target_mhz))
                .unwrap()
        })
    }

    /// The critical path within the worst clock's domain.
    pub fn worst_path(&self) -> Option<&CriticalPath> {
        let w = self.worst_clock()?;
        self.critical_paths
            .iter()
            .find(|p| p.from_clock == w.clock && p.to_clock == w.clock)
            .or_else(|| self.critical_paths.first())
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn cell_port(v: Option<&Value>) -> (String, String) {
    let s = |k: &str| {
        v.and_then(|x| x.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (s("cell"), s("port"))
}

/// A clock name without the edge nextpnr puts before it in `critical_paths`.
fn clock_name(s: &str) -> String {
    s.trim_start_matches("posedge ")
        .trim_start_matches("negedge ")
        .to_string()
}

/// Parses nextpnr's `--report` JSON (nextpnr 0.4 and 0.11 share the layout: `fmax`,
/// `utilization`, `critical_paths`).
pub fn parse_nextpnr_report(text: &str) -> Result<PnrReport, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("nextpnr report JSON", e))?;
    let mut r = PnrReport::default();
    if let Some(f) = v.get("fmax").and_then(Value::as_object) {
        for (clock, x) in f {
            // Constant nets that reach a clock pin (a DSP used without its registers) are
            // listed as clocks by nextpnr 0.4: not clocks.
            if clock.starts_with("$PACKER_") {
                continue;
            }
            let achieved = x.get("achieved").and_then(num);
            let target = x.get("constraint").and_then(num);
            match (achieved, target) {
                (Some(a), Some(t)) => r.clocks.push(ClockFmax {
                    clock: clock.clone(),
                    fmax_mhz: a,
                    target_mhz: t,
                }),
                _ => {
                    return Err(bad(
                        "nextpnr report JSON",
                        format!("fmax.{clock} lacks achieved/constraint"),
                    ))
                }
            }
        }
    }
    let util = v
        .get("utilization")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("nextpnr report JSON", "no `utilization` object"))?;
    for (bel, x) in util {
        let used = x.get("used").and_then(Value::as_u64);
        let available = x.get("available").and_then(Value::as_u64);
        if let (Some(used), Some(available)) = (used, available) {
            r.utilization.insert(bel.clone(), Util { used, available });
        }
    }
    if let Some(paths) = v.get("critical_paths").and_then(Value::as_array) {
        for p in paths {
            let s = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let mut steps = vec![];
            for st in p
                .get("path")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (from_cell, from_port) = cell_port(st.get("from"));
                let (to_cell, to_port) = cell_port(st.get("to"));
                steps.push(PathStep {
                    kind: st
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    from_cell,
                    from_port,
                    to_cell,
                    to_port,
                    net: st
                        .get("net")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    delay_ns: st.get("delay").and_then(num).unwrap_or(0.0),
                });
            }
            r.critical_paths.push(CriticalPath {
                from_clock: clock_name(&s("from")),
                to_clock: clock_name(&s("to")),
                delay_ns: steps.iter().map(|x| x.delay_ns).sum(),
                steps,
            });
        }
    }
    Ok(r)
}

/// The "Device utilisation" block of a nextpnr log: `BEL: used/ available  pct%` lines, as
/// nextpnr prints them after packing (also when placement then fails for lack of room).
pub fn parse_nextpnr_log_utilization(log: &str) -> BTreeMap<String, Util> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in log.lines() {
        let l = line.trim_start_matches("Info:").trim();
        if l.starts_with("Device utilisation") || l.starts_with("Device utilization") {
            inside = true;
            out.clear();
            continue;
        }
        if !inside {
            continue;
        }
        let Some((name, rest)) = l.split_once(':') else {
            if !l.is_empty() {
                inside = false;
            }
            continue;
        };
        let Some((used, rest)) = rest.split_once('/') else {
            inside = false;
            continue;
        };
        let avail = rest.split_whitespace().next().unwrap_or("");
        match (used.trim().parse::<u64>(), avail.parse::<u64>()) {
            (Ok(used), Ok(available)) => {
                out.insert(name.trim().to_string(), Util { used, available });
            }
            _ => inside = false,
        }
    }
    out
}
