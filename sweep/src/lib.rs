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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::{Base, PointSpec};
    use crate::point::{MeasureResult, Status};
    use serde_json::json;

    fn record(
        index: usize,
        sets: &[&str],
        board: Option<&str>,
        m: &str,
        fig: serde_json::Value,
    ) -> Record {
        let spec = PointSpec {
            grid: "t".into(),
            index,
            part: None,
            base: Base::Default,
            sets: sets.iter().map(|s| s.to_string()).collect(),
            axes: sets
                .iter()
                .map(|s| {
                    let (k, v) = s.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect(),
            board: board.map(str::to_string),
            pnr_seed: 1,
            measures: vec![m.to_string()],
        };
        let mut r = Record::new(&spec, &point::resolve(&spec));
        let failed = fig.is_null();
        r.measures.insert(
            m.into(),
            MeasureResult {
                status: if failed { Status::Failed } else { Status::Ok },
                error: failed.then(|| "boom".to_string()),
                seconds: 1.5,
                figures: point::figures(&fig),
                command: String::new(),
            },
        );
        r
    }

    #[test]
    fn outputs_of_fpga_and_accuracy_points() {
        let fpga = |luts: u64, dsps: u64, mhz: f64| {
            json!({"luts": luts, "ffs": luts / 2, "dsps": dsps, "brams": 12, "fmax_mhz": mhz,
                   "timing_met": true, "seconds": {"synth": 3.0, "total": 9.0}, "board": "x"})
        };
        let err = |max: f64| json!({"max_abs_err_lsb": max, "mean_abs_err_lsb": max / 10.0});
        let recs = vec![
            record(
                0,
                &["rows=2", "cols=2"],
                Some("ulx3s"),
                "fpga",
                fpga(7598, 12, 122.0),
            ),
            record(
                1,
                &["rows=4", "cols=4"],
                Some("ulx3s"),
                "fpga",
                fpga(18948, 32, 112.5),
            ),
            record(
                2,
                &["rows=1", "cols=1"],
                Some("icebreaker"),
                "fpga",
                fpga(3000, 4, 41.0),
            ),
            record(
                3,
                &["rows=2", "cols=1"],
                Some("icebreaker"),
                "fpga",
                fpga(3394, 5, 42.5),
            ),
            record(4, &["exp_frac_bits=8"], None, "accuracy", err(0.13)),
            record(5, &["exp_frac_bits=10"], None, "accuracy", err(0.035)),
            record(6, &["exp_frac_bits=12"], None, "accuracy", err(0.008)),
            record(7, &["rows=3"], None, "sim", serde_json::Value::Null),
        ];
        let dir = tempfile::tempdir().unwrap();
        let o = write_outputs(dir.path(), recs, "t", "a test").unwrap();
        assert_eq!((o.points, o.failed), (8, 1));
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
        let csv = read("results.csv");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 9);
        let header: Vec<&str> = lines[0].split(',').collect();
        for h in [
            "fpga.luts [LUT4]",
            "fpga.fmax_mhz [MHz]",
            "fpga.seconds.total [s]",
            "accuracy.max_abs_err_lsb [LSB]",
            "rows [PEs]",
            "exp_frac_bits [bits]",
            "status",
        ] {
            assert!(header.contains(&h), "{h} not in {header:?}");
        }
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let row1: Vec<&str> = lines[2].split(',').collect();
        assert_eq!(row1[col("fpga.luts [LUT4]")], "18948");
        assert_eq!(row1[col("rows [PEs]")], "4");
        assert!(
            lines[8].contains("failed") && lines[8].contains("sim: boom"),
            "{}",
            lines[8]
        );
        let j: serde_json::Value = serde_json::from_str(&read("results.json")).unwrap();
        assert_eq!(j["failed"], 1);
        assert_eq!(j["rows"][1]["fpga.luts"], 18948);
        // Figures: FPGA and error drawn, the M figures not (no sim point succeeded).
        let names: Vec<String> = o
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.contains(&"fpga_vs_array.svg".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"error_vs_widths.svg".to_string()),
            "{names:?}"
        );
        assert!(!dir.path().join("util_vs_m.svg").exists());
        let f = read("fpga_vs_array.svg");
        assert!(f.contains("ulx3s") && f.contains("icebreaker"), "labels");
        // The presets' numerics follow from the board: not in the labels.
        assert!(!f.contains("mul_bits="), "{f}");
        assert!(read("error_vs_widths.svg").contains("exp_frac_bits"));
        let html = read("index.html");
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("boom") && html.contains("1 failed"));
        assert!(
            !html.contains("<script")
                && !html.contains("src=\"http")
                && !html.contains("href=\"http")
        );
        assert!(html.contains("18948"));
    }
}
