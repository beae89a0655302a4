//! `datapath`: the 2D array over the 1D array, the column links between them wired (psum down
//! into unit c, running max up into column c). Its ports are the array's edges (rows at the
//! left, columns at the top), the job constants and the 1D array's controls and results.

use crate::kit::{Dir, Structure};
use crate::{array1d, array2d, Config};

/// Builds the datapath of a config.
pub fn build(cfg: &Config) -> Structure {
    let mut s = Structure::new("datapath", "2D PE array and 1D softmax array");
    let a2 = s.add_child("array2d", Box::new(array2d::build(cfg)));
    let a1 = s.add_child("array1d", Box::new(array1d::build(cfg)));
    for port in ["clock", "rst", "scale"] {
        let p = s.expose(a2, port, port);
        let e = s.at(a1, port);
        s.connect(e, p);
    }
    for port in ["div_start", "div_f", "div_bank", "av_valid", "div_busy"] {
        s.expose(a1, port, port);
    }
    for c in 0..cfg.cols {
        let (o, i) = (
            s.at(a2, &format!("ps_out_c{c}")),
            s.at(a1, &format!("ps_c{c}")),
        );
        s.connect(i, o);
        let (o, i) = (
            s.at(a2, &format!("tag_out_c{c}")),
            s.at(a1, &format!("tag_c{c}")),
        );
        s.connect(i, o);
        let (o, i) = (s.at(a1, &format!("rm_c{c}")), s.at(a2, &format!("rm_c{c}")));
        s.connect(i, o);
        let (o, i) = (
            s.at(a1, &format!("rm_v_c{c}")),
            s.at(a2, &format!("rm_v_c{c}")),
        );
        s.connect(i, o);
        s.expose(a1, &format!("av_c{c}"), format!("av_c{c}"));
    }
    // The remaining array edges become datapath ports under their own names.
    let names: Vec<&'static str> = s.child_ref(a2).port_names();
    for (i, n) in names.iter().enumerate() {
        let is_edge = n.starts_with("q_c")
            || n.starts_with("ps_c")
            || n.starts_with("x_r")
            || n.starts_with("op_r")
            || n.starts_with("vld_r");
        if is_edge && s.child_ref(a2).port(i).dir() == Dir::In {
            s.expose(a2, n, *n);
        }
    }
    s.finish()
}
