//! `array1d`: the C softmax-fusion units below the 2D array, one per column. Unit c takes
//! column c's partial sums (`ps_c<c>`, `tag_c<c>`), returns the running max up the column
//! (`rm_c<c>`, `rm_v_c<c>`) and produces AV for query c (`av_c<c>`). The units run the division
//! in lockstep, so unit 0's `av_valid` and `div_busy` stand for all.

use crate::config::Config;
use crate::kit::{Sig, Structure};
use crate::pe::tag;
use crate::reset_reg::local_reset;
use crate::softmax_unit::SoftmaxUnit;

/// Builds the 1D array of a config.
pub fn build(cfg: &Config) -> Structure {
    let d = cfg.derived();
    let mut s = Structure::new("array1d", &format!("{} softmax units", cfg.cols));
    let clock = s.add_port("clock", Sig::input(1));
    let rst = s.add_port("rst", Sig::input(1));
    let sc = s.add_port("scale", Sig::input(d.scale_mant_bits + d.scale_shift_bits));
    let div = s.add_port("div_start", Sig::input(1));
    let div_f = s.add_port("div_f", Sig::input(crate::ram::Ram::addr_bits(cfg.max_f)));
    let div_bank = s.add_port("div_bank", Sig::input(1));
    let mut units = vec![];
    for c in 0..cfg.cols {
        let u = s.add_child(format!("unit_c{c}"), Box::new(SoftmaxUnit::new(cfg)));
        for (port, src) in [
            ("clock", clock),
            ("div_start", div),
            ("div_f", div_f),
            ("div_bank", div_bank),
        ] {
            let e = s.at(u, port);
            s.connect(e, src);
        }
        local_reset(&mut s, u, clock, rst);
        // The job's scale constant is passed from unit to unit, a register per hop.
        let src = if c == 0 {
            sc
        } else {
            s.at(units[c - 1], "scale_out")
        };
        let e = s.at(u, "scale_in");
        s.connect(e, src);
        if c + 1 == cfg.cols {
            let e = s.at(u, "scale_out");
            s.leave_unused(e);
        }
        units.push(u);
        let ps = s.add_port(format!("ps_c{c}"), Sig::input_s(d.psum_bits));
        let tg = s.add_port(format!("tag_c{c}"), Sig::input(tag::BITS));
        let e = s.at(u, "ps_in");
        s.connect(e, ps);
        let e = s.at(u, "tag_in");
        s.connect(e, tg);
        s.expose(u, "rm_out", format!("rm_c{c}"));
        s.expose(u, "rm_vout", format!("rm_v_c{c}"));
        s.expose(u, "av", format!("av_c{c}"));
        if c == 0 {
            s.expose(u, "av_valid", "av_valid");
            s.expose(u, "div_busy", "div_busy");
        } else {
            for port in ["av_valid", "div_busy"] {
                let e = s.at(u, port);
                s.leave_unused(e);
            }
        }
    }
    s.finish()
}
