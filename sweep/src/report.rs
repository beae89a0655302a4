//! `index.html`: the figures (inline SVG) and the table, in one file that opens from disk with
//! no server and no network (no scripts, no external styles or fonts).

use crate::plots::Plot;
use crate::point::PointStatus;
use crate::table::Table;
use serde::Serialize;

const TEMPLATE: &str = include_str!("../templates/index.html.tera");

/// Columns shown in the HTML table (all of them are in the CSV): the point's identity, the
/// inputs that vary, and the headline figures.
const FIGURES: [&str; 17] = [
    "model.cycles",
    "model.util_2d",
    "sim.cycles",
    "sim.util_2d",
    "sim.util_1d",
    "sim.cycles_over_ideal",
    "sim.mismatches",
    "accuracy.max_abs_err_lsb",
    "accuracy.mean_abs_err_lsb",
    "fpga.luts",
    "fpga.ffs",
    "fpga.dsps",
    "fpga.brams",
    "fpga.fmax_mhz",
    "fpga.timing_met",
    "fpga.seconds.total",
    "sim.wall_seconds",
];

#[derive(Serialize)]
struct Cell {
    value: String,
    text: bool,
}

#[derive(Serialize)]
struct Row {
    status: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Failure {
    label: String,
    index: usize,
    key: String,
    status: String,
    error: String,
}

/// Inputs whose value differs between rows.
fn varying(t: &Table) -> Vec<String> {
    t.columns
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| {
            let m = n.split('.').next().unwrap_or("");
            crate::point::measure_def(m).is_none()
                && ![
                    "key",
                    "grid",
                    "index",
                    "status",
                    "error",
                    "hw_hash",
                    "ideal_cycles",
                ]
                .contains(&n.as_str())
        })
        .filter(|n| {
            let mut vals = (0..t.rows.len()).map(|r| t.cell(r, n));
            let first = vals.next();
            vals.any(|v| Some(v) != first)
        })
        .collect()
}

fn short(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) if v.contains('.') || v.contains('e') => {
            if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
                format!("{x:.3e}")
            } else {
                format!("{:.4}", x)
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string()
            }
        }
        _ => v.to_string(),
    }
}

/// The page's HTML.
pub fn html(t: &Table, plots: &[Plot], title: &str, description: &str) -> Result<String, String> {
    let mut cols: Vec<String> = vec!["index".into(), "status".into()];
    cols.extend(varying(t));
    for f in FIGURES {
        if t.columns.iter().any(|c| c.name == f) {
            cols.push(f.into());
        }
    }
    let columns: Vec<_> = cols
        .iter()
        .filter_map(|n| t.columns.iter().find(|c| &c.name == n).cloned())
        .collect();
    let rows: Vec<Row> = (0..t.rows.len())
        .map(|r| Row {
            status: t.cell(r, "status"),
            cells: columns
                .iter()
                .map(|c| {
                    let v = t.cell(r, &c.name);
                    Cell {
                        text: c.unit.is_empty(),
                        value: short(&v),
                    }
                })
                .collect(),
        })
        .collect();
    let failures: Vec<Failure> = t
        .records
        .iter()
        .filter(|r| r.status() != PointStatus::Ok)
        .map(|r| Failure {
            label: r.spec.label(),
            index: r.spec.index,
            key: r.key.clone(),
            status: r.status().to_string(),
            error: r.errors().join("; "),
        })
        .collect();
    let count = |s: PointStatus| t.records.iter().filter(|r| r.status() == s).count();
    let mut ctx = tera::Context::new();
    ctx.insert("title", title);
    ctx.insert("description", description);
    ctx.insert("points", &t.records.len());
    ctx.insert("ok", &count(PointStatus::Ok));
    ctx.insert("partial", &count(PointStatus::Partial));
    ctx.insert("failed", &count(PointStatus::Failed));
    ctx.insert("version", crate::point::VERSION);
    #[derive(Serialize)]
    struct P<'a> {
        file: &'a str,
        title: &'a str,
        svg: &'a str,
    }
    let ps: Vec<P> = plots
        .iter()
        .map(|p| P {
            file: &p.file,
            title: &p.title,
            svg: &p.svg,
        })
        .collect();
    ctx.insert("plots", &ps);
    ctx.insert("failures", &failures);
    ctx.insert("columns", &columns);
    ctx.insert("all_columns", &t.columns.len());
    ctx.insert("rows", &rows);
    tera::Tera::one_off(TEMPLATE, &ctx, true).map_err(|e| format!("index.html: {e:?}"))
}
