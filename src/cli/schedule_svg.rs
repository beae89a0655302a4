//! The picture of one steady-state period of a tile plan (`fusemax schedule --svg FILE`),
//! drawn with plotters from the plan's own issue table, so that it shows what the controller
//! is generated from: what PE (0, 0)'s functional unit is issued each cycle, its exp sequence,
//! the same stream at the far PE (R - 1, C - 1) after the systolic skew, and what the first
//! 1D unit does with the ops that reach it R + 2 cycles after they enter the array.

use fusemax_hdl::config::Config;
use fusemax_hdl::pe::op;
use fusemax_hdl::schedule::{Issue, TilePlan};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a cycle of a lane shows: its legend label and colour.
#[derive(Clone, PartialEq)]
struct Kind {
    label: String,
    color: RGBColor,
}

/// The exp sequence's bar in the PE.
fn exp_seq() -> Kind {
    Kind {
        label: "exp sequence in the PE (SLN = exp(BQK - RM))".into(),
        color: RGBColor(255, 190, 125),
    }
}

/// The kind of an issued op (None for a NOP); `exp_epoch` is the epoch of the last EXP, whose
/// multiplies the busy NOP slots are.
fn kind(is: &Issue, exp_epoch: u32) -> Option<Kind> {
    let (what, color, epoch) = match is.op {
        op::MAC0 | op::MAC => ("BQK MAC", RGBColor(78, 121, 167), is.epoch),
        op::EXP => ("EXP start", RGBColor(156, 82, 8), is.epoch),
        op::LM => ("LM", RGBColor(89, 161, 79), is.epoch),
        op::SLD => ("SLD", RGBColor(176, 122, 161), is.epoch),
        op::SLNV => ("SLNV MAC", RGBColor(225, 87, 89), is.epoch),
        _ if is.busy_2d => ("exp multiply", RGBColor(242, 142, 43), exp_epoch),
        _ => return None,
    };
    let tile = if epoch == 0 { "j" } else { "j-1" };
    Some(Kind {
        label: format!("{what} (tile {tile})"),
        color,
    })
}

/// Whether ops of this kind reach the 1D units (LM, SLD and SLNV; a MAC's partial sum stays in
/// the array).
fn reaches_1d(is: &Issue) -> bool {
    [op::LM, op::SLD, op::SLNV].contains(&is.op)
}

/// The SVG of one steady-state period of `plan` for head sizes `e`, `f` on `cfg`'s array.
pub fn draw(cfg: &Config, plan: &TilePlan, e: usize, f: usize) -> Result<String, String> {
    let depth = plan.depth();
    let has = vec![true; depth as usize + 1];
    let table = plan.table(e, f, &has);
    let l = table.len() as i64;
    let (r, c) = (cfg.rows as i64, cfg.cols as i64);
    let skew = r - 1 + c - 1;
    let to_1d = r + 2;
    let span = l + skew.max(to_1d) + 2; // the period and the overhang
    let (w, left, top) = (1500i32, 250i32, 96i32);
    let lane_h = 34i32;
    let lanes = [
        "PE (0, 0): op issued",
        "PE (0, 0): exp sequence",
        "PE (R-1, C-1): op issued",
        "1D unit 0: op received",
    ];
    let legend_top = top + lanes.len() as i32 * (lane_h + 14) + 40;
    let h = legend_top + 4 * 22 + 30;
    let px = |t: i64| left + ((t as f64) * (w - left - 20) as f64 / span as f64).round() as i32;
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (w as u32, h as u32)).into_drawing_area();
        let er = |e: DrawingAreaErrorKind<_>| format!("schedule picture: {e:?}");
        root.fill(&WHITE).map_err(er)?;
        let font = ("sans-serif", 14).into_font();
        let small = ("sans-serif", 12).into_font();
        let binding = serde_json::to_value(plan.binding)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        root.draw(&Text::new(
            format!(
                "{binding} binding, {}x{} array, E = {e}, F = {f}, exp degree {}: one steady-state period of {l} cycles, {}",
                cfg.rows,
                cfg.cols,
                plan.exp_degree,
                if depth == 0 { "one tile in flight" } else { "tiles j and j-1 in flight" }
            ),
            (10, 10),
            ("sans-serif", 16).into_font(),
        ))
        .map_err(er)?;
        // the phases, named above the lanes
        let mut t0 = 0i64;
        let mut short = 0;
        for p in &plan.phases {
            let len = plan.len(p, e, f);
            let label = format!("{} ({len})", p.name);
            // a label wider than its phase goes above it, staggered
            let (lx, ly) = if ((px(t0 + len) - px(t0)) as usize) < 8 * label.len() {
                short += 1;
                (px(t0), top - 30 - 14 * (short % 2 + 1))
            } else {
                (px(t0) + 3, top - 24)
            };
            root.draw(&Rectangle::new(
                [(px(t0), top - 28), (px(t0 + len), top - 6)],
                ShapeStyle::from(&BLACK).stroke_width(1),
            ))
            .map_err(er)?;
            root.draw(&Text::new(label, (lx, ly), small.clone()))
                .map_err(er)?;
            t0 += len;
        }
        let lane_y = |i: usize| top + i as i32 * (lane_h + 14);
        for (i, name) in lanes.iter().enumerate() {
            let y = lane_y(i);
            root.draw(&Text::new(
                name.to_string(),
                (10, y + lane_h / 2),
                font.clone()
                    .into_text_style(&root)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(er)?;
            root.draw(&Rectangle::new(
                [(px(0), y), (px(span), y + lane_h)],
                ShapeStyle::from(&RGBColor(235, 235, 235)).filled(),
            ))
            .map_err(er)?;
        }
        let cells = |root: &DrawingArea<_, _>, lane: usize, t: i64, n: i64, k: &Kind| {
            let y = lane_y(lane);
            root.draw(&Rectangle::new(
                [(px(t), y + 2), (px(t + n), y + lane_h - 2)],
                ShapeStyle::from(&k.color).filled(),
            ))
        };
        // runs of cycles of one kind: (start, length, kind, reaches the 1D units)
        let mut runs: Vec<(i64, i64, Kind, bool)> = vec![];
        let mut exp_epoch = 0;
        for (t, is) in table.iter().enumerate() {
            let t = t as i64;
            if is.op == op::EXP {
                exp_epoch = is.epoch;
                let y = lane_y(1);
                root.draw(&Rectangle::new(
                    [
                        (px(t), y + 6),
                        (px(t + plan.exp_cycles as i64), y + lane_h - 6),
                    ],
                    ShapeStyle::from(&exp_seq().color).filled(),
                ))
                .map_err(er)?;
            }
            if let Some(k) = kind(is, exp_epoch) {
                match runs.last_mut() {
                    Some((t0, n, k0, _)) if *k0 == k && *t0 + *n == t => *n += 1,
                    _ => runs.push((t, 1, k, reaches_1d(is))),
                }
            }
        }
        let mut legend: Vec<Kind> = vec![];
        for (t, n, k, to_units) in &runs {
            cells(&root, 0, *t, *n, k).map_err(er)?;
            cells(&root, 2, t + skew, *n, k).map_err(er)?;
            if *to_units {
                cells(&root, 3, t + to_1d, *n, k).map_err(er)?;
            }
            if !legend.contains(k) {
                legend.push(k.clone());
            }
        }
        // the running max of tile j back at PE (0, 0): 2R + 2 cycles after its LM
        if let Some(lm) = table.iter().position(|is| is.op == op::LM) {
            let t = lm as i64 + 2 * r + 2;
            let style = ShapeStyle::from(&BLACK).stroke_width(2);
            root.draw(&PathElement::new(
                vec![(px(t), lane_y(0) - 4), (px(t), lane_y(1) + lane_h + 4)],
                style,
            ))
            .map_err(er)?;
            root.draw(&Text::new(
                format!("RM of tile j back at PE (0, 0) (LM + 2R + 2 = {t})"),
                (px(t) + 4, lane_y(1) + lane_h - 12),
                small.clone(),
            ))
            .map_err(er)?;
        }
        // the next period's start (back to back in steady state)
        let next = l;
        root.draw(&PathElement::new(
            vec![(px(next), top - 30), (px(next), lane_y(3) + lane_h + 4)],
            ShapeStyle::from(&RGBColor(90, 90, 90)).stroke_width(1),
        ))
        .map_err(er)?;
        root.draw(&Text::new(
            "next period".to_string(),
            (px(next) + 4, top - 24),
            small.clone(),
        ))
        .map_err(er)?;
        // the cycle axis
        let ay = lane_y(3) + lane_h + 8;
        let step = if span > 200 { 20 } else { 10 };
        for t in (0..=span).step_by(step as usize) {
            root.draw(&PathElement::new(
                vec![(px(t), ay), (px(t), ay + 5)],
                ShapeStyle::from(&BLACK),
            ))
            .map_err(er)?;
            root.draw(&Text::new(
                t.to_string(),
                (px(t), ay + 8),
                small
                    .clone()
                    .into_text_style(&root)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(er)?;
        }
        root.draw(&Text::new(
            "cycle of the period (PE (r, c) performs period time t at t + r + c)".to_string(),
            (px(0), ay + 24),
            small.clone(),
        ))
        .map_err(er)?;
        // the legend: the kinds the table has, in order of appearance
        legend.push(exp_seq());
        for (i, k) in legend.iter().enumerate() {
            let (col, row) = ((i / 4) as i32, (i % 4) as i32);
            let x = 10 + col * 420;
            let y = legend_top + row * 22;
            root.draw(&Rectangle::new(
                [(x, y), (x + 16, y + 14)],
                ShapeStyle::from(&k.color).filled(),
            ))
            .map_err(er)?;
            root.draw(&Text::new(k.label.clone(), (x + 22, y), font.clone()))
                .map_err(er)?;
        }
        root.present().map_err(er)?;
    }
    Ok(s)
}
