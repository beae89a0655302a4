//! The oracle: the Verilog of each ported block as it was before the port (its `hdl()` text
//! and ports, copied verbatim from the last commit that wrote it by hand). A [`Legacy`] emits
//! exactly the module the engine used to emit; it has no simulation. Delete a block's entry
//! once the whole port (issue 12) is complete.

use fusemax_hdl::kit::{Component, Sig};
use rust_hdl::core::ast::Verilog;
use rust_hdl::core::block::Block;
use rust_hdl::core::logic::Logic;
use rust_hdl::core::probe::Probe;

/// A hand-written leaf as it was: ports and Verilog text.
pub struct Legacy {
    kind: String,
    names: Vec<&'static str>,
    ports: Vec<Sig>,
    text: String,
}

impl Legacy {
    fn new(kind: &str, ports: Vec<(&'static str, Sig)>, text: String) -> Legacy {
        Legacy {
            kind: kind.into(),
            names: ports.iter().map(|p| p.0).collect(),
            ports: ports.into_iter().map(|p| p.1).collect(),
            text,
        }
    }
}

impl Logic for Legacy {
    fn update(&mut self) {}
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(self.text.clone())
    }
}

impl Block for Legacy {
    fn connect_all(&mut self) {
        Logic::connect(self);
    }
    fn update_all(&mut self) {}
    fn has_changed(&self) -> bool {
        false
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for (n, p) in self.names.iter().zip(&self.ports) {
            p.accept(n, probe);
        }
        probe.visit_end_scope(name, self);
    }
}

impl Component for Legacy {
    fn kind(&self) -> String {
        self.kind.clone()
    }
    fn port_names(&self) -> Vec<&'static str> {
        self.names.clone()
    }
    fn port(&self, i: usize) -> &Sig {
        &self.ports[i]
    }
    fn port_mut(&mut self, i: usize) -> &mut Sig {
        &mut self.ports[i]
    }
    fn tick(&mut self) {}
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn ubits(v: u128) -> u32 {
    (128 - v.leading_zeros()).max(1)
}

/// `reset_reg` at 7dbcba8 (hdl/src/reset_reg.rs).
pub fn reset_reg() -> Legacy {
    Legacy::new(
        "reset_reg",
        vec![
            ("clock", Sig::input(1)),
            ("rst_in", Sig::input(1)),
            ("rst", Sig::output(1)),
        ],
        r#"// @leaf reset_reg
(* keep *) always @(posedge clock) rst <= rst_in;
"#
        .into(),
    )
}

/// `fifo` at 7dbcba8 (hdl/src/fifo.rs).
pub fn fifo(width: u32, depth: usize) -> Legacy {
    let w = width;
    let ab = ubits(depth as u128 - 1);
    let fb = ubits(depth as u128);
    let text = format!(
        r#"// @leaf fifo
reg [{w}:0] mem [0:{dm}];
reg [{ab}:0] wp;
reg [{ab}:0] rp;
// the free count (depth - (wp - rp)) and the empty/full flags are kept in registers
reg [{fbm}:0] free_r;
reg nonempty;
reg notfull;
wire push = s_valid && notfull;
wire pop = m_ready && nonempty;
always @(*) begin
    m_valid = nonempty;
    s_ready = notfull;
    {{m_last, m_data}} = mem[rp[{abm}:0]];
    free = free_r;
end
always @(posedge clock) begin
    if (rst) begin
        wp <= {ab1}'d0;
        rp <= {ab1}'d0;
        free_r <= {depth_w}'d{depth};
        nonempty <= 1'b0;
        notfull <= 1'b0;
    end else begin
        if (push) begin
            mem[wp[{abm}:0]] <= {{s_last, s_data}};
            wp <= wp + {ab1}'d1;
        end
        if (pop) rp <= rp + {ab1}'d1;
        if (push && !pop) begin
            free_r <= free_r - {depth_w}'d1;
            nonempty <= 1'b1;
            notfull <= free_r != {depth_w}'d1;
        end else if (pop && !push) begin
            free_r <= free_r + {depth_w}'d1;
            nonempty <= free_r != {depth_w}'d{depthm1};
            notfull <= 1'b1;
        end else begin
            notfull <= free_r != {depth_w}'d0;
        end
    end
end
"#,
        w = w,
        dm = depth - 1,
        abm = ab - 1,
        ab1 = ab + 1,
        depth = depth,
        depth_w = fb,
        fbm = fb - 1,
        depthm1 = depth - 1,
    );
    Legacy::new(
        "fifo",
        vec![
            ("clock", Sig::input(1)),
            ("rst", Sig::input(1)),
            ("s_data", Sig::input(width)),
            ("s_last", Sig::input(1)),
            ("s_valid", Sig::input(1)),
            ("s_ready", Sig::output(1)),
            ("m_data", Sig::output(width)),
            ("m_last", Sig::output(1)),
            ("m_valid", Sig::output(1)),
            ("m_ready", Sig::input(1)),
            ("free", Sig::output(fb)),
        ],
        text,
    )
}

/// `ram` at 7dbcba8 (hdl/src/ram.rs).
pub fn ram(width: u32, depth: usize, signed: bool) -> Legacy {
    let ab = ubits(depth.max(2) as u128 - 1);
    let (wd, rd) = if signed {
        (Sig::input_s(width), Sig::output_s(width))
    } else {
        (Sig::input(width), Sig::output(width))
    };
    let text = format!(
        "// @leaf ram\n\
         reg [{wm}:0] mem [0:{dm}];\n\
         always @(posedge clock) begin\n    \
             if (we) mem[waddr] <= wdata;\n    \
             rdata <= mem[raddr];\n\
         end\n",
        wm = width - 1,
        dm = (1u64 << ab) - 1
    );
    Legacy::new(
        "ram",
        vec![
            ("clock", Sig::input(1)),
            ("we", Sig::input(1)),
            ("waddr", Sig::input(ab)),
            ("wdata", wd),
            ("raddr", Sig::input(ab)),
            ("rdata", rd),
        ],
        text,
    )
}

impl Legacy {
    /// Replaces `from` (which must occur) by `to` in the text: a mutant, to show that the
    /// check fails on a design that differs.
    pub fn edit(&mut self, from: &str, to: &str) {
        assert!(self.text.contains(from), "no `{from}` in {}", self.kind);
        self.text = self.text.replace(from, to);
    }
}
