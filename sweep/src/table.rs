//! The records as one table: a row a point, every input field and every figure, with units;
//! written as `results.csv` and `results.json`.

use crate::point::{measure_def, PointStatus, Record, MEASURE_DEFS};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The column of a measure's outcome: `sim.outcome` is ok, failed or unavailable.
pub const OUTCOME: &str = "outcome";

/// A column: its name (`rows`, `job.seq_kv`, `sim.cycles`) and unit (empty for text).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub unit: String,
}

impl Column {
    /// The CSV header: `name [unit]`, or the name alone for text columns.
    pub fn header(&self) -> String {
        if self.unit.is_empty() {
            self.name.clone()
        } else {
            format!("{} [{}]", self.name, self.unit)
        }
    }
}

/// The table of a sweep.
#[derive(Clone, Debug)]
pub struct Table {
    pub columns: Vec<Column>,
    /// One map a point, column name -> value (absent: empty cell).
    pub rows: Vec<BTreeMap<String, Value>>,
    pub records: Vec<Record>,
}

/// The unit of a column, from its name. Inputs are config keys; figures are named by the
/// commands' JSON (`*_mhz`, `*_lsb`, `*cycles*`, `util_*`, `*seconds*`, ...).
pub fn unit(name: &str) -> &'static str {
    let field = name.rsplit('.').next().unwrap_or(name);
    let measure = name.split('.').next().unwrap_or("");
    let is_figure = measure_def(measure).is_some();
    if !is_figure {
        return match name {
            "key" | "grid" | "part" | "status" | "error" | "board" | "hw_hash" | "binding"
            | "job.dist" => "",
            "index" | "pnr_seed" | "job.seed" => "#",
            "rows" | "cols" | "units_1d" => "PEs",
            "max_e" | "max_f" | "job.head_e" | "job.head_f" => "elements",
            "max_seq_kv" | "job.seq_kv" => "keys",
            "max_seq_q" | "job.seq_q" => "queries",
            "exp_degree" => "degree",
            "fifo_depth" => "words",
            "clock_mhz" => "MHz",
            "uart_baud" => "baud",
            "job.scale" => "1",
            "ideal_cycles" => "cycles",
            n if n.ends_with("_bits") => "bits",
            _ => "1",
        };
    }
    if field == "cycles_over_ideal" {
        return "ratio";
    }
    if field.ends_with("_lsb") {
        return "LSB";
    }
    if field.ends_with("_mhz") {
        return "MHz";
    }
    if field.ends_with("_s") || field.ends_with("seconds") || name.contains(".seconds.") {
        return "s";
    }
    if field.ends_with("_per_cycle") {
        return "words/cycle";
    }
    if field.contains("cycles") || field == "tile_period" {
        return "cycles";
    }
    if field.starts_with("util") {
        return "fraction";
    }
    if field.ends_with("words") {
        return "words";
    }
    if field.ends_with("_prob") {
        return "probability";
    }
    if field == "timing_met" {
        return "bool";
    }
    match field {
        "luts" => "LUT4",
        "ffs" => "FF",
        "dsps" => "DSP",
        "brams" => "BRAM",
        "rows" | "cols" => "PEs",
        "p" | "m" | "e" | "f" => "elements",
        "seed" => "#",
        "scale" | "scale_const.value" => "1",
        _ => "count",
    }
}

/// Ideal cycles of a job on the array: P M (E + F) multiply-accumulates over rows x cols PEs.
pub fn ideal_cycles(cfg: &Value) -> Option<f64> {
    let g = |k: &str| cfg.get(k).and_then(Value::as_f64);
    let j = cfg.get("job")?;
    let h = |k: &str| j.get(k).and_then(Value::as_f64);
    let (p, m, e, f) = (h("seq_q")?, h("seq_kv")?, h("head_e")?, h("head_f")?);
    Some(p * m * (e + f) / (g("rows")? * g("cols")?))
}

fn flat_config(cfg: &Value, out: &mut Vec<(String, Value)>) {
    if let Some(o) = cfg.as_object() {
        for (k, v) in o {
            if let Some(sub) = v.as_object() {
                for (k2, v2) in sub {
                    out.push((format!("{k}.{k2}"), v2.clone()));
                }
            } else {
                out.push((k.clone(), v.clone()));
            }
        }
    }
}

impl Table {
    /// Builds the table of records (in their order).
    pub fn new(records: Vec<Record>) -> Table {
        let mut names: Vec<String> = [
            "key", "grid", "index", "part", "status", "error", "board", "pnr_seed",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let push = |names: &mut Vec<String>, n: &str| {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        };
        let mut rows = vec![];
        let mut figure_names: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for r in &records {
            let mut row = BTreeMap::new();
            row.insert("key".into(), Value::from(r.key.clone()));
            row.insert("grid".into(), Value::from(r.spec.grid.clone()));
            row.insert("index".into(), Value::from(r.spec.index));
            if let Some(p) = &r.spec.part {
                row.insert("part".into(), Value::from(p.clone()));
            }
            let st = r.status();
            row.insert("status".into(), Value::from(st.to_string()));
            if st != PointStatus::Ok {
                row.insert("error".into(), Value::from(r.errors().join("; ")));
            }
            if let Some(b) = &r.spec.board {
                row.insert("board".into(), Value::from(b.clone()));
            }
            row.insert("pnr_seed".into(), Value::from(r.spec.pnr_seed));
            // Axis values as given, for points whose config did not load.
            for (k, v) in &r.spec.axes {
                if !row.contains_key(k) {
                    row.insert(k.clone(), Value::from(v.clone()));
                }
            }
            if let Some(cfg) = &r.config {
                let mut kv = vec![];
                flat_config(cfg, &mut kv);
                for (k, v) in kv {
                    push(&mut names, &k);
                    row.insert(k, v);
                }
                if let Some(h) = &r.hw_hash {
                    row.insert("hw_hash".into(), Value::from(h.clone()));
                }
                if let Some(x) = ideal_cycles(cfg) {
                    row.insert("ideal_cycles".into(), Value::from(x));
                }
            }
            for (mi, def) in MEASURE_DEFS.iter().enumerate() {
                let Some(m) = r.measures.get(def.name) else {
                    continue;
                };
                let ideal = row.get("ideal_cycles").and_then(Value::as_f64);
                // The figures first: the bookkeeping cells after them win a clash of names
                // (sim's JSON has a `status` of its own, the engine's).
                let mut cells: Vec<(String, Value)> = m
                    .figures
                    .iter()
                    .map(|(f, v)| (f.clone(), v.clone()))
                    .collect();
                cells.push((
                    OUTCOME.to_string(),
                    Value::from(format!("{:?}", m.status).to_lowercase()),
                ));
                cells.push(("wall_seconds".to_string(), Value::from(m.seconds)));
                if let (Some(c), Some(i)) = (m.figures.get("cycles").and_then(Value::as_f64), ideal)
                {
                    cells.push(("cycles_over_ideal".into(), Value::from(c / i)));
                }
                let names_m = figure_names.entry(mi).or_default();
                for (f, v) in cells {
                    let n = format!("{}.{f}", def.name);
                    if !names_m.contains(&n) {
                        names_m.push(n.clone());
                    }
                    row.insert(n, v);
                }
            }
            rows.push(row);
        }
        for a in records.iter().flat_map(|r| r.spec.axes.iter()) {
            push(&mut names, &a.0);
        }
        push(&mut names, "hw_hash");
        push(&mut names, "ideal_cycles");
        for (_, ns) in figure_names {
            let mut ns = ns;
            ns.sort_by_key(|n| (!n.ends_with(&format!(".{OUTCOME}")), n.clone()));
            for n in ns {
                push(&mut names, &n);
            }
        }
        let columns = names
            .into_iter()
            .map(|n| {
                let mut u = unit(&n).to_string();
                if n.ends_with(&format!(".{OUTCOME}")) {
                    u.clear();
                }
                Column { name: n, unit: u }
            })
            .collect();
        Table {
            columns,
            rows,
            records,
        }
    }

    /// Points that failed.
    pub fn failed(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.status() == PointStatus::Failed)
            .count()
    }

    /// A cell as text (CSV and HTML).
    pub fn cell(&self, row: usize, col: &str) -> String {
        match self.rows[row].get(col) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if n.is_f64() => format!("{}", x),
                _ => n.to_string(),
            },
            Some(v) => v.to_string(),
        }
    }

    /// Writes `results.csv`.
    pub fn write_csv(&self, path: &Path) -> Result<(), String> {
        let mut w = csv::Writer::from_writer(vec![]);
        let err = |e: csv::Error| e.to_string();
        w.write_record(self.columns.iter().map(Column::header))
            .map_err(err)?;
        for i in 0..self.rows.len() {
            w.write_record(self.columns.iter().map(|c| self.cell(i, &c.name)))
                .map_err(err)?;
        }
        let bytes = w.into_inner().map_err(|e| e.to_string())?;
        crate::point::write_atomic(path, &String::from_utf8_lossy(&bytes))
    }

    /// `results.json`: the columns with their units, one object a point, and the records.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "generator_version": crate::point::VERSION,
            "points": self.rows.len(),
            "failed": self.failed(),
            "columns": self.columns,
            "rows": self.rows,
            "records": self.records,
        })
    }

    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(&self.to_json()).map_err(|e| e.to_string())?;
        crate::point::write_atomic(path, &(text + "\n"))
    }

    /// The number in a cell, if it holds one.
    pub fn num(&self, row: usize, col: &str) -> Option<f64> {
        self.rows[row].get(col).and_then(Value::as_f64)
    }

    /// The text of a cell, if present.
    pub fn text(&self, row: usize, col: &str) -> Option<String> {
        match self.rows[row].get(col)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            v => Some(v.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_inputs_and_figures() {
        for (n, u) in [
            ("rows", "PEs"),
            ("job.seq_kv", "keys"),
            ("exp_frac_bits", "bits"),
            ("clock_mhz", "MHz"),
            ("sim.cycles", "cycles"),
            ("sim.stall_in_cycles", "cycles"),
            ("sim.util_2d", "fraction"),
            ("sim.cycles_over_ideal", "ratio"),
            ("accuracy.max_abs_err_lsb", "LSB"),
            ("accuracy.time_fixed_s", "s"),
            ("fpga.fmax_mhz", "MHz"),
            ("fpga.luts", "LUT4"),
            ("fpga.seconds.pnr", "s"),
            ("fpga.capacity.dsps", "DSP"),
            ("model.cycles", "cycles"),
            ("model.input_words_per_cycle", "words/cycle"),
            ("model.max_wait_cycles", "cycles"),
            ("status", ""),
            ("sim.mismatches", "count"),
        ] {
            assert_eq!(unit(n), u, "{n}");
        }
        assert_eq!(
            Column {
                name: "sim.cycles".into(),
                unit: "cycles".into()
            }
            .header(),
            "sim.cycles [cycles]"
        );
    }

    #[test]
    fn ideal_cycles_of_a_job() {
        let c = serde_json::to_value(fusemax_hdl::Config::default()).unwrap();
        // 64 x 256 x 128 MACs on 64 PEs
        assert_eq!(ideal_cycles(&c), Some(64.0 * 256.0 * 128.0 / 64.0));
    }
}
