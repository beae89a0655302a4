//! `array2d`: the R x C grid of PEs and its systolic links (R = `rows` = M0 keys per tile,
//! C = `cols` = P0 queries in flight). Q enters each column at the top (`q_c<c>`) and flows
//! down; K/V with their op and row-valid bit enter each row at the left (`x_r<r>`, `op_r<r>`,
//! `vld_r<r>`) and flow right; partial sums enter each column at the top (`ps_c<c>`, the seed:
//! -inf for LM, 0 for SLD/SLNV) and leave at the bottom (`ps_out_c<c>`, `tag_out_c<c>`) into
//! the 1D array; the running max enters at the bottom (`rm_c<c>`, `rm_v_c<c>`) and flows up.
//! The job's scale constant (`scale` = {mantissa, shift}) reaches PE (r, c) r + c + 1 cycles
//! after it enters (it changes only between jobs). Every link is registered: PE (r, c) sees a row input r + c cycles after it enters... more
//! precisely, an input entering row r at cycle t reaches PE (r, c) at cycle t + c, one entering
//! column c at cycle t reaches PE (r, c) at cycle t + r.

use crate::config::Config;
use crate::kit::{Sig, Structure};
use crate::pe::{op, tag, Pe, PeWidths};

/// Builds the 2D array of a config.
pub fn build(cfg: &Config) -> Structure {
    let w = PeWidths::new(cfg);
    let (rows, cols) = (cfg.rows, cfg.cols);
    let mut s = Structure::new("array2d", &format!("{rows} x {cols} PE array"));
    let clock = s.add_port("clock", Sig::input(1));
    let rst = s.add_port("rst", Sig::input(1));
    let sc = s.add_port("scale", Sig::input(w.mant + w.shift));
    let mut pe = vec![vec![0usize; cols]; rows];
    for (r, row) in pe.iter_mut().enumerate() {
        for (c, p) in row.iter_mut().enumerate() {
            *p = s.add_child(format!("pe_r{r}_c{c}"), Box::new(Pe::new(cfg)));
        }
    }
    for c in 0..cols {
        s.add_port(format!("q_c{c}"), Sig::input_s(w.data));
        s.add_port(format!("ps_c{c}"), Sig::input_s(w.psum));
        s.add_port(format!("ps_out_c{c}"), Sig::output_s(w.psum));
        s.add_port(format!("tag_out_c{c}"), Sig::output(tag::BITS));
        s.add_port(format!("rm_c{c}"), Sig::input_s(w.score));
        s.add_port(format!("rm_v_c{c}"), Sig::input(1));
    }
    for r in 0..rows {
        s.add_port(format!("x_r{r}"), Sig::input_s(w.data));
        s.add_port(format!("op_r{r}"), Sig::input(op::BITS));
        s.add_port(format!("vld_r{r}"), Sig::input(1));
    }
    for r in 0..rows {
        for c in 0..cols {
            let p = pe[r][c];
            let e = s.at(p, "clock");
            s.connect(e, clock);
            // each PE registers its reset itself (pe::describe)
            let e = s.at(p, "rst");
            s.connect(e, rst);
            // The job's scale constant is passed from PE to PE (along the top row, then down
            // each column), a register per hop: no net fans out to the whole array.
            let src = match (r, c) {
                (0, 0) => sc,
                (0, _) => s.at(pe[0][c - 1], "scale_out"),
                _ => s.at(pe[r - 1][c], "scale_out"),
            };
            let e = s.at(p, "scale_in");
            s.connect(e, src);
            if r == rows - 1 && !(r == 0 && c + 1 < cols) {
                let e = s.at(p, "scale_out");
                s.leave_unused(e);
            }
            // Q and the partial sum flow down.
            let (q_src, ps_src) = if r == 0 {
                (s.p(&format!("q_c{c}")), s.p(&format!("ps_c{c}")))
            } else {
                (s.at(pe[r - 1][c], "q_out"), s.at(pe[r - 1][c], "ps_out"))
            };
            let e = s.at(p, "q_in");
            s.connect(e, q_src);
            let e = s.at(p, "ps_in");
            s.connect(e, ps_src);
            // x, op and vld flow right.
            for (port, out, edge) in [
                ("x_in", "x_out", "x_r"),
                ("op_in", "op_out", "op_r"),
                ("vld_in", "vld_out", "vld_r"),
            ] {
                let src = if c == 0 {
                    s.p(&format!("{edge}{r}"))
                } else {
                    s.at(pe[r][c - 1], out)
                };
                let e = s.at(p, port);
                s.connect(e, src);
            }
            // The running max flows up.
            let (rm_src, rv_src) = if r == rows - 1 {
                (s.p(&format!("rm_c{c}")), s.p(&format!("rm_v_c{c}")))
            } else {
                (s.at(pe[r + 1][c], "rm_out"), s.at(pe[r + 1][c], "rm_vout"))
            };
            let e = s.at(p, "rm_in");
            s.connect(e, rm_src);
            let e = s.at(p, "rm_vin");
            s.connect(e, rv_src);
            // Array edges.
            if r == rows - 1 {
                let e = s.at(p, "q_out");
                s.leave_unused(e);
                let (o, t) = (s.p(&format!("ps_out_c{c}")), s.p(&format!("tag_out_c{c}")));
                let (po, pt) = (s.at(p, "ps_out"), s.at(p, "tag_out"));
                s.connect(o, po);
                s.connect(t, pt);
            } else {
                let e = s.at(p, "tag_out");
                s.leave_unused(e);
            }
            if c == cols - 1 {
                for port in ["x_out", "op_out", "vld_out"] {
                    let e = s.at(p, port);
                    s.leave_unused(e);
                }
            }
            if r == 0 {
                for port in ["rm_out", "rm_vout"] {
                    let e = s.at(p, port);
                    s.leave_unused(e);
                }
            }
        }
    }
    s.finish()
}
