//! The figures of a sweep, drawn with plotters as SVG: each is drawn when the table has its
//! data (the measure ran and at least one point succeeded).
//!
//! - `util_vs_m.svg`: 2D utilization against M, a line per array size and binding (and any
//!   other input that varies);
//! - `cycles_over_ideal_vs_m.svg`: cycles over the ideal P M (E + F) / (rows cols);
//! - `fpga_vs_array.svg`: LUT4, FF, DSP, BRAM and Fmax against the number of PEs, per board;
//! - `error_vs_widths.svg`: max and mean error against each internal width that varies.
//!
//! `sim` and `model` (when it exists) are drawn alike, the model dashed.

use crate::point::MEASURE_DEFS;
use crate::table::Table;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// One figure: its file name, title and SVG text.
#[derive(Clone, Debug)]
pub struct Plot {
    pub file: String,
    pub title: String,
    pub svg: String,
}

/// Input columns: config fields, board and placement seed (not figures, not bookkeeping).
fn is_input(name: &str) -> bool {
    let m = name.split('.').next().unwrap_or("");
    !MEASURE_DEFS.iter().any(|d| d.name == m)
        && ![
            "key",
            "grid",
            "index",
            "part",
            "status",
            "error",
            "hw_hash",
            "ideal_cycles",
        ]
        .contains(&name)
}

/// A line of a figure: its label and (row, x, y) points sorted by x.
struct Series {
    label: String,
    points: Vec<(f64, f64)>,
}

/// Groups `rows` by every input except `x_like` (and `job.*` when `skip_job`), labelled by the
/// inputs that differ between groups (rows and cols as `RxC`).
fn groups(t: &Table, rows: &[usize], x_like: &[&str], skip_job: bool) -> Vec<(String, Vec<usize>)> {
    let keys: Vec<String> = t
        .columns
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| is_input(n) && !x_like.contains(&n.as_str()))
        .filter(|n| !(skip_job && n.starts_with("job.")))
        .collect();
    let mut map: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for &r in rows {
        let k: Vec<String> = keys.iter().map(|c| t.cell(r, c)).collect();
        map.entry(k).or_default().push(r);
    }
    let varying: Vec<usize> = (0..keys.len())
        .filter(|&i| {
            let mut vals = map.keys().map(|k| &k[i]);
            let first = vals.next();
            vals.any(|v| Some(v) != first)
        })
        .collect();
    // A varying key that the board (or the array size) decides, as a board's preset decides
    // its numerics, is left out of the labels.
    let lead: Vec<usize> = varying
        .iter()
        .copied()
        .filter(|&i| ["board", "rows", "cols"].contains(&keys[i].as_str()))
        .collect();
    let varying: Vec<usize> = varying
        .into_iter()
        .filter(|&i| {
            lead.contains(&i) || lead.is_empty() || {
                let mut seen: BTreeMap<Vec<&String>, &String> = BTreeMap::new();
                map.keys().any(|k| {
                    let l: Vec<&String> = lead.iter().map(|&j| &k[j]).collect();
                    *seen.entry(l).or_insert(&k[i]) != &k[i]
                })
            }
        })
        .collect();
    let mut out: Vec<(String, Vec<usize>)> = map
        .into_iter()
        .map(|(k, rs)| {
            let get = |n: &str| keys.iter().position(|c| c == n).map(|i| k[i].clone());
            let mut parts = vec![];
            let rc = varying
                .iter()
                .any(|&i| keys[i] == "rows" || keys[i] == "cols");
            if rc {
                parts.push(format!(
                    "{}x{}",
                    get("rows").unwrap_or_default(),
                    get("cols").unwrap_or_default()
                ));
            }
            for &i in &varying {
                if keys[i] != "rows" && keys[i] != "cols" {
                    parts.push(format!("{}={}", keys[i], k[i]));
                }
            }
            let label = if parts.is_empty() {
                let b = get("binding").unwrap_or_default();
                format!(
                    "{}x{} {b}",
                    get("rows").unwrap_or_default(),
                    get("cols").unwrap_or_default()
                )
            } else {
                parts.join(" ")
            };
            (label, rs)
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |s: &(String, Vec<usize>)| {
            let r = s.1[0];
            (
                t.num(r, "rows").unwrap_or(0.0) * t.num(r, "cols").unwrap_or(0.0),
                s.0.clone(),
            )
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.partial_cmp(&kb.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(ka.1.cmp(&kb.1))
    });
    out
}

/// Rows where a measure succeeded and `col` holds a number.
fn ok_rows(t: &Table, measure: &str, col: &str) -> Vec<usize> {
    (0..t.rows.len())
        .filter(|&r| {
            t.text(r, &format!("{measure}.{}", crate::table::OUTCOME))
                .as_deref()
                == Some("ok")
        })
        .filter(|&r| t.num(r, col).is_some())
        .collect()
}

fn pes(t: &Table, r: usize) -> Option<f64> {
    Some(t.num(r, "rows")? * t.num(r, "cols")?)
}

fn series_of(
    t: &Table,
    rows: &[usize],
    label: String,
    x: &dyn Fn(usize) -> Option<f64>,
    y: &str,
) -> Series {
    let mut points: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|&r| Some((x(r)?, t.num(r, y)?)))
        .collect();
    points.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    Series { label, points }
}

fn range_of(v: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for x in v {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    (lo <= hi).then_some((lo, hi))
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One panel: lines with markers; `dashed` series drawn dashed. `log_x` / `log_y` choose log
/// axes (positive values only).
#[allow(clippy::too_many_arguments)]
fn panel(
    area: &Area,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(Series, bool)],
    log_x: bool,
    log_y: bool,
    y_from_zero: bool,
    legend: SeriesLabelPosition,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| format!("plot {title}: {e:?}");
    let pts = || series.iter().flat_map(|(s, _)| s.points.iter());
    let Some((x0, x1)) = range_of(pts().map(|p| p.0)) else {
        return Ok(());
    };
    let Some((y0, y1)) = range_of(pts().map(|p| p.1)) else {
        return Ok(());
    };
    let (x0, x1) = if x0 == x1 {
        (x0 - 1.0, x1 + 1.0)
    } else if log_x {
        (x0 / 1.3, x1 * 1.3)
    } else {
        let pad = (x1 - x0) * 0.05;
        (x0 - pad, x1 + pad)
    };
    let mut chart = ChartBuilder::on(area);
    chart
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60);
    let colors = |i: usize| Palette99::pick(i).to_rgba();
    macro_rules! draw {
        ($chart:expr) => {{
            let mut c = $chart;
            c.configure_mesh()
                .max_light_lines(1)
                .x_desc(x_desc)
                .y_desc(y_desc)
                .x_label_formatter(&|x| fmt_num(*x))
                .y_label_formatter(&|y| fmt_num(*y))
                .draw()
                .map_err(e)?;
            for (i, (s, dashed)) in series.iter().enumerate() {
                let col = colors(i);
                let style = ShapeStyle::from(&col).stroke_width(2);
                if *dashed {
                    c.draw_series(DashedLineSeries::new(s.points.iter().copied(), 6, 4, style))
                        .map_err(e)?;
                } else {
                    c.draw_series(LineSeries::new(s.points.iter().copied(), style))
                        .map_err(e)?;
                }
                c.draw_series(
                    s.points
                        .iter()
                        .map(|&p| Circle::new(p, 3, ShapeStyle::from(&col).filled())),
                )
                .map_err(e)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + 18, y)],
                        ShapeStyle::from(&col).stroke_width(2),
                    )
                });
            }
            c.configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .position(legend.clone())
                .draw()
                .map_err(e)?;
        }};
    }
    let (ylo, yhi) = if log_y {
        let lo = y0.max(1e-7);
        (lo / 2.0, (y1.max(lo)) * 2.0)
    } else if y_from_zero {
        (0.0, if y1 > 0.0 { y1 * 1.1 } else { 1.0 })
    } else {
        let pad = ((y1 - y0) * 0.1).max(1e-9);
        (y0 - pad, y1 + pad)
    };
    match (log_x, log_y) {
        (true, false) => draw!(chart
            .build_cartesian_2d((x0..x1).log_scale(), ylo..yhi)
            .map_err(e)?),
        (false, false) => draw!(chart.build_cartesian_2d(x0..x1, ylo..yhi).map_err(e)?),
        (true, true) => draw!(chart
            .build_cartesian_2d((x0..x1).log_scale(), (ylo..yhi).log_scale())
            .map_err(e)?),
        (false, true) => draw!(chart
            .build_cartesian_2d(x0..x1, (ylo..yhi).log_scale())
            .map_err(e)?),
    }
    Ok(())
}

/// A number for an axis label: integers without decimals, small values in scientific form.
fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1e5 || x.abs() < 1e-3 {
        format!("{x:.0e}")
    } else if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').to_string()
    }
}

fn svg(size: (u32, u32), f: impl FnOnce(&Area) -> Result<(), String>) -> Result<String, String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| format!("{e:?}"))?;
        f(&root)?;
        root.present().map_err(|e| format!("{e:?}"))?;
    }
    Ok(s)
}

/// Lines of `y` against `x` for the measures that have them (sim solid, model dashed).
fn by_measure(
    t: &Table,
    field: &str,
    x: &str,
    x_like: &[&str],
    skip_job: bool,
) -> Vec<(Series, bool)> {
    let mut out = vec![];
    for m in ["sim", "model"] {
        let col = format!("{m}.{field}");
        let rows = ok_rows(t, m, &col);
        for (label, rs) in groups(t, &rows, x_like, skip_job) {
            let label = if m == "sim" {
                label
            } else {
                format!("{label} (model)")
            };
            let s = series_of(t, &rs, label, &|r| t.num(r, x), &col);
            out.push((s, m == "model"));
        }
    }
    out
}

fn wide(series: &[(Series, bool)]) -> bool {
    range_of(
        series
            .iter()
            .flat_map(|(s, _)| s.points.iter().map(|p| p.0)),
    )
    .map(|(a, b)| a > 0.0 && b / a >= 8.0)
    .unwrap_or(false)
}

/// The figures of a table.
pub fn plots(t: &Table) -> Result<Vec<Plot>, String> {
    let mut out = vec![];
    let m_like = ["job.seq_kv", "job.seed"];
    for (field, file, title, y_desc, legend) in [
        (
            "util_2d",
            "util_vs_m.svg",
            "2D array utilization against M",
            "2D utilization",
            SeriesLabelPosition::LowerRight,
        ),
        (
            "cycles_over_ideal",
            "cycles_over_ideal_vs_m.svg",
            "Cycles over ideal P·M·(E+F)/(rows·cols) against M",
            "cycles / ideal",
            SeriesLabelPosition::UpperRight,
        ),
    ] {
        let series = by_measure(t, field, "job.seq_kv", &m_like, false);
        if series.is_empty() {
            continue;
        }
        let log = wide(&series);
        out.push(Plot {
            file: file.into(),
            title: title.into(),
            svg: svg((760, 460), |a| {
                panel(
                    a, title, "M (keys)", y_desc, &series, log, false, true, legend,
                )
            })?,
        });
    }
    let fpga_rows = ok_rows(t, "fpga", "fpga.luts");
    if !fpga_rows.is_empty() {
        let figs = [
            ("fpga.luts", "LUT4"),
            ("fpga.ffs", "flip-flops"),
            ("fpga.dsps", "DSP multipliers"),
            ("fpga.brams", "block RAMs"),
            ("fpga.fmax_mhz", "Fmax (MHz)"),
        ];
        let gs = groups(t, &fpga_rows, &["rows", "cols", "pnr_seed"], true);
        let title = "FPGA resources and Fmax against array size";
        out.push(Plot {
            file: "fpga_vs_array.svg".into(),
            title: title.into(),
            svg: svg((1140, 700), |root| {
                let areas = root.split_evenly((2, 3));
                for (area, (col, name)) in areas.iter().zip(figs) {
                    let series: Vec<(Series, bool)> = gs
                        .iter()
                        .map(|(l, rs)| (series_of(t, rs, l.clone(), &|r| pes(t, r), col), false))
                        .collect();
                    let log = range_of(
                        series
                            .iter()
                            .flat_map(|(s, _)| s.points.iter().map(|p| p.0)),
                    )
                    .map(|(a, b)| a > 0.0 && b / a >= 8.0)
                    .unwrap_or(false);
                    panel(
                        area,
                        name,
                        "PEs (rows x cols)",
                        name,
                        &series,
                        log,
                        false,
                        true,
                        SeriesLabelPosition::UpperLeft,
                    )?;
                }
                Ok(())
            })?,
        });
    }
    let widths = [
        "exp_frac_bits",
        "exp_degree",
        "out_frac_bits",
        "mul_bits",
        "data_bits",
    ];
    let err_rows = ok_rows(t, "accuracy", "accuracy.max_abs_err_lsb");
    let mut panels: Vec<(&str, Vec<(Series, bool)>)> = vec![];
    for w in widths {
        let mut series = vec![];
        let gs: Vec<(String, Vec<usize>)> = groups(t, &err_rows, &[w], true)
            .into_iter()
            .filter(|(_, rs)| rs.iter().any(|&r| t.cell(r, w) != t.cell(rs[0], w)))
            .collect();
        let one = gs.len() == 1;
        for (label, rs) in gs {
            let short = if label.is_empty() || one {
                String::new()
            } else {
                format!(" ({label})")
            };
            for (col, what) in [
                ("accuracy.max_abs_err_lsb", "max"),
                ("accuracy.mean_abs_err_lsb", "mean"),
            ] {
                let mut s = series_of(t, &rs, format!("{what}{short}"), &|r| t.num(r, w), col);
                for p in &mut s.points {
                    p.1 = p.1.max(1e-6);
                }
                series.push((s, what == "mean"));
            }
        }
        if !series.is_empty() {
            panels.push((w, series));
        }
    }
    if !panels.is_empty() {
        let title = "Error against f64 attention (LSB of V's grid) against internal widths";
        let n = panels.len() as u32;
        let cols = n.min(2);
        let rows = n.div_ceil(cols);
        out.push(Plot {
            file: "error_vs_widths.svg".into(),
            title: title.into(),
            svg: svg((560 * cols, 400 * rows), |root| {
                let areas = root.split_evenly((rows as usize, cols as usize));
                for (area, (w, series)) in areas.iter().zip(&panels) {
                    panel(
                        area,
                        w,
                        w,
                        "error (LSB)",
                        series,
                        false,
                        true,
                        false,
                        SeriesLabelPosition::UpperRight,
                    )?;
                }
                Ok(())
            })?,
        });
    }
    Ok(out)
}
