//! fusemax-sweep: design-space sweeps of the FuseMax generator.
//!
//! - [`grid`]: the grid file and its expansion into points;
//! - [`point`]: a point's effective config, its key and its result record;
//! - [`table`]: the records as rows (CSV, JSON, units);
//! - [`plots`]: the SVG figures (plotters);
//! - [`report`]: `index.html`.
//!
//! The `fusemax sweep` command (src/cli/sweep.rs) runs each point as `fusemax sweep-point`,
//! which runs the measures as `fusemax <subcommand> --json` and writes the point's record.

pub mod grid;
pub mod point;
pub mod table;

pub use grid::{Base, Grid, GridError, PointSpec};
pub mod plots;
pub mod report;

pub use point::{Layout, PointStatus, Record};
pub use table::Table;

/// What [`write_outputs`] wrote.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub points: usize,
    pub failed: usize,
    pub files: Vec<std::path::PathBuf>,
}

/// The figures' file names (a rebuild removes those it no longer draws).
pub const PLOT_FILES: [&str; 4] = [
    "util_vs_m.svg",
    "cycles_over_ideal_vs_m.svg",
    "fpga_vs_array.svg",
    "error_vs_widths.svg",
];

/// Writes `results.csv`, `results.json`, the SVG figures and `index.html` of `records` into
/// `dir`.
pub fn write_outputs(
    dir: &std::path::Path,
    records: Vec<Record>,
    title: &str,
    description: &str,
) -> Result<Outputs, String> {
    let t = Table::new(records);
    let mut files = vec![];
    let csv = dir.join("results.csv");
    t.write_csv(&csv)?;
    files.push(csv);
    let json = dir.join("results.json");
    t.write_json(&json)?;
    files.push(json);
    let plots = plots::plots(&t)?;
    for f in PLOT_FILES {
        if !plots.iter().any(|p| p.file == f) {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }
    for p in &plots {
        let path = dir.join(&p.file);
        point::write_atomic(&path, &p.svg)?;
        files.push(path);
    }
    let html = dir.join("index.html");
    point::write_atomic(&html, &report::html(&t, &plots, title, description)?)?;
    files.push(html);
    Ok(Outputs {
        points: t.records.len(),
        failed: t.failed(),
        files,
    })
}

/// `DIR/sweep.json`: the grid a directory was last run with (the page's title and text).
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub struct SweepInfo {
    pub grid: String,
    pub description: String,
    pub file: String,
}

impl SweepInfo {
    pub fn path(dir: &std::path::Path) -> std::path::PathBuf {
        dir.join("sweep.json")
    }
    pub fn read(dir: &std::path::Path) -> Option<SweepInfo> {
        let t = std::fs::read_to_string(Self::path(dir)).ok()?;
        serde_json::from_str(&t).ok()
    }
    pub fn write(&self, dir: &std::path::Path) -> Result<(), String> {
        let t = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        point::write_atomic(&Self::path(dir), &(t + "\n"))
    }
}
