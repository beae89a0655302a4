//! `fusemax_top`: the attention engine. An AXI4-Stream slave takes a job (header, then Q, K, V
//! as documented in `docs/interface.md`), an AXI4-Stream master returns AV and a trailer with
//! the status and performance counters, which are also on ports.
//!
//! Inside: a two-word input FIFO (a register slice: the input stream's ready and the
//! controller's accept come from registers), the controller, the feeders with their buffers
//! (Q per column, double-buffered K/V tiles per row), the datapath (2D array over 1D array),
//! lane split/select and the output FIFO.

use crate::buffers::{ColFeeder, RowFeeder};
use crate::config::ubits;
use crate::controller::Controller;
use crate::fifo::Fifo;
use crate::kit::{Sig, Structure};
use crate::lanes::{Select, Split};
use crate::reset_reg::local_reset;
use crate::stream::COUNTER_BITS;
use crate::{datapath, Config};

/// Builds the engine of a config.
pub fn build(cfg: &Config) -> Structure {
    let d = cfg.derived();
    let (rows, cols) = (cfg.rows, cfg.cols);
    let lanes = d.in_lanes;
    let mut s = Structure::new(
        "top",
        &format!("FuseMax attention engine, {rows} x {cols} array"),
    );
    let clock = s.add_port("clock", Sig::input(1));
    let rst = s.add_port("rst", Sig::input(1));
    let s_data = s.add_port("s_axis_tdata", Sig::input(d.in_bits));
    let s_valid = s.add_port("s_axis_tvalid", Sig::input(1));
    let s_last = s.add_port("s_axis_tlast", Sig::input(1));
    let m_ready = s.add_port("m_axis_tready", Sig::input(1));

    let fifo_free_bits = ubits(cfg.fifo_depth as u128);
    let ctrl = s.add_child("controller", Box::new(Controller::new(cfg, fifo_free_bits)));
    let dp = s.add_child("datapath", Box::new(datapath::build(cfg)));
    let split = s.add_child(
        "in_lanes",
        Box::new(Split::new(d.in_bits, lanes, cfg.data_bits)),
    );
    let sel = s.add_child(
        "out_lanes",
        Box::new(Select::new(cols, d.out_bits, d.word_bits)),
    );
    let fifo = s.add_child("out_fifo", Box::new(Fifo::new(d.word_bits, cfg.fifo_depth)));
    let in_fifo = s.add_child("in_fifo", Box::new(Fifo::new(d.in_bits, 2)));

    let c = |s: &mut Structure, child: usize, port: &str, src: crate::kit::End| {
        let e = s.at(child, port);
        s.connect(e, src);
    };
    for ch in [ctrl, dp, fifo, in_fifo] {
        c(&mut s, ch, "clock", clock);
    }
    c(&mut s, dp, "rst", rst);
    for ch in [ctrl, fifo, in_fifo] {
        local_reset(&mut s, ch, clock, rst);
    }
    c(&mut s, in_fifo, "s_data", s_data);
    c(&mut s, in_fifo, "s_valid", s_valid);
    c(&mut s, in_fifo, "s_last", s_last);
    s.expose(in_fifo, "s_ready", "s_axis_tready");
    for (from, to) in [
        ("m_data", "s_data"),
        ("m_valid", "s_valid"),
        ("m_last", "s_last"),
    ] {
        let src = s.at(in_fifo, from);
        c(&mut s, ctrl, to, src);
    }
    let src = s.at(ctrl, "s_ready");
    c(&mut s, in_fifo, "m_ready", src);
    let src = s.at(in_fifo, "m_data");
    c(&mut s, split, "word", src);
    let e = s.at(in_fifo, "free");
    s.leave_unused(e);
    for p in ["scale", "div_start", "div_f", "div_bank"] {
        let src = s.at(ctrl, p);
        c(&mut s, dp, p, src);
    }
    let src = s.at(dp, "av_valid");
    c(&mut s, ctrl, "av_valid", src);
    let e = s.at(dp, "div_busy");
    s.leave_unused(e);
    let src = s.at(ctrl, "sel");
    c(&mut s, sel, "sel", src);
    let src = s.at(ctrl, "av_nv");
    c(&mut s, sel, "nvalid", src);
    let src = s.at(sel, "word");
    c(&mut s, ctrl, "av_word", src);
    for col in 0..cols {
        let src = s.at(dp, &format!("av_c{col}"));
        c(&mut s, sel, &format!("lane_{col}"), src);
    }
    for (p, f) in [
        ("o_data", "s_data"),
        ("o_last", "s_last"),
        ("o_valid", "s_valid"),
    ] {
        let src = s.at(ctrl, p);
        c(&mut s, fifo, f, src);
    }
    let src = s.at(fifo, "free");
    c(&mut s, ctrl, "fifo_free", src);
    let src = s.at(fifo, "s_ready");
    c(&mut s, ctrl, "fifo_ready", src);
    c(&mut s, fifo, "m_ready", m_ready);
    s.expose(fifo, "m_data", "m_axis_tdata");
    s.expose(fifo, "m_valid", "m_axis_tvalid");
    s.expose(fifo, "m_last", "m_axis_tlast");
    for p in [
        "status",
        "busy",
        "perf_cycles",
        "perf_busy_2d",
        "perf_busy_1d",
        "perf_stall_in",
        "perf_stall_out",
    ] {
        s.expose(ctrl, p, p);
    }
    debug_assert_eq!(s.sig(s.p("perf_cycles")).width(), COUNTER_BITS);

    // Row feeders: K/V tiles, commands down the left edge.
    let mut prev: Option<usize> = None;
    for r in 0..rows {
        let f = s.add_child(format!("row_feeder_r{r}"), Box::new(RowFeeder::new(cfg)));
        c(&mut s, f, "clock", clock);
        local_reset(&mut s, f, clock, rst);
        let e = s.at(f, "row_idx");
        s.tie(e, r as i128);
        let e = s.at(f, "my_chunk");
        s.tie(e, (r / lanes) as i128);
        let src = s.at(split, &format!("lane_{}", r % lanes));
        c(&mut s, f, "lane", src);
        for (dst, src) in [("we", "kv_we"), ("chunk", "chunk"), ("waddr", "kv_waddr")] {
            let src = s.at(ctrl, src);
            c(&mut s, f, dst, src);
        }
        for (cmd, ctl) in [
            ("c_op", "r_op"),
            ("c_src", "r_src"),
            ("c_idx", "r_idx"),
            ("c_bank", "r_bank"),
            ("c_nvalid", "r_nvalid"),
        ] {
            let src = match prev {
                None => s.at(ctrl, ctl),
                Some(p) => s.at(p, &format!("{cmd}_out")),
            };
            c(&mut s, f, cmd, src);
        }
        for (out, dpp) in [("x", "x_r"), ("op", "op_r"), ("vld", "vld_r")] {
            let src = s.at(f, out);
            c(&mut s, dp, &format!("{dpp}{r}"), src);
        }
        prev = Some(f);
    }
    if let Some(last) = prev {
        for p in [
            "c_op_out",
            "c_src_out",
            "c_idx_out",
            "c_bank_out",
            "c_nvalid_out",
        ] {
            let e = s.at(last, p);
            s.leave_unused(e);
        }
    }
    // Column feeders: Q, commands along the top edge.
    let mut prev: Option<usize> = None;
    for col in 0..cols {
        let f = s.add_child(format!("col_feeder_c{col}"), Box::new(ColFeeder::new(cfg)));
        c(&mut s, f, "clock", clock);
        let e = s.at(f, "my_chunk");
        s.tie(e, (col / lanes) as i128);
        let src = s.at(split, &format!("lane_{}", col % lanes));
        c(&mut s, f, "lane", src);
        for (dst, src) in [("we", "q_we"), ("chunk", "chunk"), ("waddr", "q_waddr")] {
            let src = s.at(ctrl, src);
            c(&mut s, f, dst, src);
        }
        for (cmd, ctl) in [
            ("c_q", "c_q"),
            ("c_idx", "c_idx"),
            ("c_seed", "c_seed"),
            ("c_qbank", "c_qbank"),
        ] {
            let src = match prev {
                None => s.at(ctrl, ctl),
                Some(p) => s.at(p, &format!("{cmd}_out")),
            };
            c(&mut s, f, cmd, src);
        }
        let src = s.at(f, "q");
        c(&mut s, dp, &format!("q_c{col}"), src);
        let src = s.at(f, "ps");
        c(&mut s, dp, &format!("ps_c{col}"), src);
        prev = Some(f);
    }
    if let Some(last) = prev {
        for p in ["c_q_out", "c_idx_out", "c_seed_out", "c_qbank_out"] {
            let e = s.at(last, p);
            s.leave_unused(e);
        }
    }
    for l in rows.max(cols)..lanes {
        let e = s.at(split, &format!("lane_{l}"));
        s.leave_unused(e);
    }
    s.finish()
}
