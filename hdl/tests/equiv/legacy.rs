//! The oracle: the Verilog of each ported block as it was before the port (its `hdl()` text
//! and ports, copied verbatim from the last commit that wrote it by hand). A [`Legacy`] emits
//! exactly the module the engine used to emit; it has no simulation. Delete a block's entry
//! once the whole port (issue 12) is complete.

use fusemax_hdl::kit::{Component, Sig};
use fusemax_hdl::arith::ExpStep;
use fusemax_hdl::numerics::Numerics;
use fusemax_hdl::pe::{op, tag, PeWidths};
use fusemax_hdl::Config;
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
    /// Child leaves (rust-hdl declares their ports `<child>$<port>` in the text's module).
    children: Vec<(&'static str, Legacy)>,
}

impl Legacy {
    fn new(kind: &str, ports: Vec<(&'static str, Sig)>, text: String) -> Legacy {
        Legacy {
            kind: kind.into(),
            names: ports.iter().map(|p| p.0).collect(),
            ports: ports.into_iter().map(|p| p.1).collect(),
            text,
            children: vec![],
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
        for (n, c) in &self.children {
            c.accept(n, probe);
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

/// `sresize` of the kit at c8cf6ad: the signed Verilog identifier `e` resized.
fn sresize(e: &str, from: u32, to: u32) -> String {
    if to == from {
        e.to_string()
    } else if to > from {
        format!("{{{{{}{{{e}[{}]}}}}, {e}}}", to - from, from - 1)
    } else {
        format!("{e}[{}:0]", to - 1)
    }
}

/// `mul_reg` at c8cf6ad (hdl/src/arith/mul_reg.rs with `dsp::registered_product`): the
/// generic branch verbatim; the ECP5 branch is `dsp::ecp5_product`, moved unchanged out of
/// `registered_product` by the port (its text is the same function's).
pub fn mul_reg(wa: u32, wb: u32) -> Legacy {
    let prod = format!(
        "$signed({}) * $signed({})",
        sresize("m_aq", wa, wa + wb),
        sresize("m_bq", wb, wa + wb)
    );
    let generic = format!(
        "reg signed [{wam}:0] m_aq;\n\
         reg signed [{wbm}:0] m_bq;\n\
         always @(posedge clock) begin\n    \
         m_aq <= a;\n    \
         m_bq <= b;\n    \
         p <= {prod};\n\
         end\n",
        wam = wa - 1,
        wbm = wb - 1,
    );
    let body = if wa > 18 || wb > 18 {
        generic
    } else {
        format!(
            "`ifdef FUSEMAX_ECP5\n{}`else\n{generic}`endif\n",
            fusemax_hdl::arith::dsp::ecp5_product("m", ("a", wa), ("b", wb), "p", true)
        )
    };
    Legacy::new(
        "mul_reg",
        vec![
            ("clock", Sig::input(1)),
            ("a", Sig::input_s(wa)),
            ("b", Sig::input_s(wb)),
            ("p", Sig::output_s(wa + wb)),
        ],
        format!("// @leaf mul_reg\n{body}"),
    )
}


/// `kit::zext` at c8cf6ad.
fn zext(e: &str, from: u32, to: u32) -> String {
    if to == from {
        e.to_string()
    } else {
        format!("{{{}'d0, {e}}}", to - from)
    }
}

/// `exp_step::slit` at c8cf6ad.
fn slit(width: u32, v: i128) -> String {
    if v < 0 {
        format!("-{width}'sd{}", -v)
    } else {
        format!("{width}'sd{v}")
    }
}

fn kbits(degree: u32) -> u32 {
    ubits(degree as u128 + 2)
}

/// `exp_step` at c8cf6ad (hdl/src/arith/exp_step.rs).
pub fn exp_step(cfg: &Config) -> Legacy {
    let dv = cfg.derived();
    let n = &Numerics::from_derived(cfg, &dv);
    let mb = cfg.mul_bits;
    let pw = dv.diff_bits + n.scale_left + 1;
    let ports = vec![
        ("d", Sig::input(dv.diff_bits)),
        ("sc_shift", Sig::input(dv.scale_shift_bits)),
        ("w_pre", Sig::output(pw)),
        ("pre", Sig::input(pw)),
        ("dn", Sig::output(dv.scale_mant_bits)),
        ("prod", Sig::input_s(2 * mb)),
        ("z", Sig::output(dv.z_bits)),
        ("k", Sig::input(kbits(cfg.exp_degree))),
        ("p_next", Sig::output_s(mb)),
        ("p_first", Sig::output_s(mb)),
        ("p", Sig::input_s(mb)),
        ("zi", Sig::input(dv.z_bits - dv.z_frac_bits)),
        ("w_sh", Sig::output(n.exp_frac + 2)),
        ("sh", Sig::input(n.exp_frac + 2)),
        ("sln", Sig::output(dv.exp_bits)),
    ];
        
        let mb = cfg.mul_bits;
        let dw = dv.diff_bits;
        let l = n.scale_left;
        let pw = dw + l + 1; // prescale working width
        let mant = n.mant_bits;
        let zb = dv.z_bits;
        let zw = n.z_window;
        let zf = n.z_frac;
        let fx = n.exp_frac;
        let pb = 2 * mb;
        let kb = kbits(cfg.exp_degree);
        let deg = n.coeffs.len() - 1;
        let mut coef_case = String::new();
        for (i, a) in n.coeffs.iter().enumerate() {
            coef_case.push_str(&format!(
                "        {kb}'d{i}: a_k = {};\n",
                slit(mb, *a as i128)
            ));
        }
        let text = format!(
            r#"// @leaf exp_step
// dn = sat(round(d * 2^({l} - sc_shift))), z = sat(round(prod / 2^{zw})),
// p_next = round(prod / 2^{zf}) + a[k], sln = round(clamp(p, 0, 1) / 2^zi).
localparam [{mm}:0] DN_MAX = {mant}'h{dnmax:x};
localparam [{zm}:0] Z_SAT = {zb}'h{zsat:x};
localparam signed [{mbm}:0] ONE = {one};
always @(*) w_pre = {{d, {l1}'d0}} >> {coarse};
wire [{pwm}:0] pre_w = pre >> {fine};
wire [{mant}:0] lo = {w_lo_expr};
wire ovf = {w_ovf_expr};
/* verilator lint_off UNUSEDSIGNAL */ // (lo + 1) / 2 keeps bits {mant}:1
wire [{mant}:0] lo_inc = lo + {mant1}'d1;
/* verilator lint_on UNUSEDSIGNAL */
always @(*) dn = (ovf || lo == {mant1}'h{all:x}) ? DN_MAX : lo_inc[{mant}:1];
/* verilator lint_off UNUSEDSIGNAL */ // z_r's high bits matter only below saturation
wire [{pb}:0] z_r = ({{1'b0, prod}} + {pb1}'h{zhalf:x}) >> {zw};
/* verilator lint_on UNUSEDSIGNAL */
// z_r > Z_SAT, decided on prod itself (a compare beside the rounding adder, not after it)
wire z_big = {z_big};
always @(*) z = z_big ? Z_SAT : z_r[{zm}:0];
/* verilator lint_off UNUSEDSIGNAL */ // the rounded product keeps its low {mb} bits
wire signed [{pb}:0] h_r = ($signed({{prod[{pbm}], prod}}) + {pb1}'sh{hhalf:x}) >>> {zf};
/* verilator lint_on UNUSEDSIGNAL */
reg signed [{mbm}:0] a_k;
always @(*) begin
    case (k)
{coef_case}        default: a_k = {adeg};
    endcase
end
always @(*) p_next = $signed(h_r[{mbm}:0]) + a_k;
always @(*) p_first = {adeg};
// clamp p to [0, ONE]: p > ONE decided on bit groups (no comparator chain)
wire p_gt_one = !p[{mbm}] && ({p_hi_nz} || (p[{fx}] && |p[{fxm}:0]));
wire [{fx}:0] p_c = p[{mbm}] ? {fx1}'d0 : p_gt_one ? ONE[{fx}:0] : p[{fx}:0];
always @(*) w_sh = {{p_c, 1'b0}} >> zi;
/* verilator lint_off UNUSEDSIGNAL */ // the top bit of s2 is always 0
wire [{fx1}:0] s2 = (sh + {fx2}'d1) >> 1;
/* verilator lint_on UNUSEDSIGNAL */
always @(*) sln = s2[{fx}:0];
"#,
            mm = mant - 1,
            dnmax = (1u128 << mant) - 1,
            zm = zb - 1,
            zsat = n.z_sat,
            mbm = mb - 1,
            one = slit(mb, 1i128 << fx),
            pwm = pw - 1,
            l1 = l + 1,
            coarse = if dv.scale_shift_bits > 2 {
                format!("{{sc_shift[{}:2], 2'b00}}", dv.scale_shift_bits - 1)
            } else {
                "0".to_string()
            },
            fine = if dv.scale_shift_bits >= 2 {
                "sc_shift[1:0]".to_string()
            } else {
                "sc_shift".to_string()
            },
            w_lo_expr = if pw > mant + 1 {
                format!("pre_w[{mant}:0]")
            } else {
                zext("pre_w", pw, mant + 1)
            },
            w_ovf_expr = if pw > mant + 1 {
                format!("|pre_w[{}:{}]", pw - 1, mant + 1)
            } else {
                "1'b0".to_string()
            },
            mant1 = mant + 1,
            all = (1u128 << (mant + 1)) - 1,
            pbm = pb - 1,
            zhalf = 1u128 << (zw - 1),
            z_big = {
                // round(prod / 2^zw) > z_sat  <=>  prod >= (z_sat + 1) * 2^zw - 2^(zw - 1)
                let lim = ((n.z_sat as u128 + 1) << zw) - (1u128 << (zw - 1));
                if lim >> pb != 0 {
                    "1'b0".to_string()
                } else {
                    format!("prod >= {pb}'h{lim:x}")
                }
            },
            pb1 = pb + 1,
            hhalf = 1u128 << (zf - 1),
            adeg = slit(mb, n.coeffs[deg] as i128),
            fx1 = fx + 1,
            fx2 = fx + 2,
            fxm = fx - 1,
            p_hi_nz = if mb >= fx + 3 {
                format!("|p[{}:{}]", mb - 2, fx + 1)
            } else {
                "1'b0".to_string()
            },
        );
            Legacy::new("exp_step", ports, text)
}


/// `pe` at c8cf6ad (hdl/src/pe.rs), with its children `mul` (mul_reg) and `xs` (exp_step)
/// as they were; the exp sequence's text from `ExpStep`'s `seq_*` generators, which the
/// 1D unit still uses unchanged.
pub fn pe(cfg: &Config) -> Legacy {
        let w = PeWidths::new(cfg);
    let xs = ExpStep::new(cfg);
        let mb = w.mul;
        let pm = 2 * mb;
        let esb = w.es;
        let ops = xs.seq_operands();
        let sln_acc = format!("$signed({})", zext("xs$sln", w.exp, w.acc));
        let text = format!(
            r#"// @leaf pe
localparam [2:0] OP_MAC0 = 3'd{mac0};
localparam [2:0] OP_MAC = 3'd{mac};
localparam [2:0] OP_LM = 3'd{lm};
localparam [2:0] OP_SLD = 3'd{sld};
localparam [2:0] OP_SLNV = 3'd{slnv};
reg signed [{accm}:0] acc;
reg row_valid;
reg signed [{mbm}:0] mux_a;
reg signed [{mbm}:0] mux_b;
wire signed [{pmm}:0] prod_q = mul$p; // the product of the operands of two edges ago
reg [2:0] op_d;
reg vld_d;
reg [2:0] op_d2;
reg vld_d2;
{seq_decls}{scale_wires}wire signed [{accm}:0] acc_ext_ps = acc;
wire signed [{psm}:0] acc_ps = {acc_to_ps};
wire [{expm}:0] sln = acc[{expm}:0];
/* verilator lint_off UNUSEDSIGNAL */ // D = RM - S fits its low {diff} bits
wire signed [{acc}:0] d_sub = {rm_ext} - {acc_ext};
/* verilator lint_on UNUSEDSIGNAL */
always @(*) begin
    if ({op1c}) begin
        mux_a = {op1a};
        mux_b = {op1b};
    end else if ({op2c}) begin
        mux_a = {op2a};
        mux_b = {op2b};
    end else if (op_in == OP_SLNV) begin
        mux_a = {sln_ext};
        mux_b = {x_ext};
    end else begin
        mux_a = {q_ext};
        mux_b = {x_ext};
    end
    xs$sc_shift = sc_shift;
    mul$clock = clock;
    mul$a = mux_a;
    mul$b = mux_b;
    xs$prod = prod_q;
{seq_wiring}end
// kept: PEs on one anti-diagonal hold equal scale registers, and merged into one they would
// drive the whole diagonal across the chip (sc_loc is the PE's own copy)
(* keep *) always @(posedge clock) scale_out <= scale_in;
always @(posedge clock) begin
    q_out <= q_in;
    x_out <= x_in;
    rm_out <= rm_in;
    vld_d <= vld_in;
    vld_d2 <= vld_d;
    if (rst) begin
        op_out <= 3'd0;
        op_d <= 3'd0;
        op_d2 <= 3'd0;
        vld_out <= 1'b0;
        tag_out <= 2'd0;
        rm_vout <= 1'b0;
        es <= {esb}'d0;
    end else begin
        op_out <= op_in;
        op_d <= op_in;
        op_d2 <= op_d;
        vld_out <= vld_in;
        rm_vout <= rm_vin;
        case (op_d2)
            OP_MAC0: begin
                acc <= {prod_acc};
                row_valid <= vld_d2;
            end
            OP_MAC: acc <= acc + {prod_acc};
            OP_LM: ps_out <= (row_valid && acc_ps > ps_in) ? acc_ps : ps_in;
            OP_SLD: ps_out <= ps_in + {sln_ps};
            OP_SLNV: ps_out <= ps_in + {prod_ps};
            default: ;
        endcase
        tag_out <= (op_d2 == OP_LM) ? 2'd1 : (op_d2 == OP_SLD) ? 2'd2 : (op_d2 == OP_SLNV) ? 2'd3 : 2'd0;
{seq_step}    end
end
"#,
            mac0 = op::MAC0,
            mac = op::MAC,
            lm = op::LM,
            sld = op::SLD,
            slnv = op::SLNV,
            acc = w.acc,
            accm = w.acc - 1,
            psm = w.psum - 1,
            expm = w.exp - 1,
            diff = w.diff,
            acc_to_ps = sresize("acc_ext_ps", w.acc, w.psum),
            rm_ext = format!("$signed({})", sresize("rm_in", w.score, w.acc + 1)),
            acc_ext = format!("$signed({})", sresize("acc", w.acc, w.acc + 1)),
            sln_ext = format!("$signed({})", zext("sln", w.exp, mb)),
            x_ext = format!("$signed({})", sresize("x_in", w.data, mb)),
            q_ext = format!("$signed({})", sresize("q_in", w.data, mb)),
            prod_acc = format!("$signed({})", sresize("prod_q", pm, w.acc)),
            sln_ps = format!("$signed({})", zext("sln", w.exp, w.psum)),
            prod_ps = format!("$signed({})", sresize("prod_q", pm, w.psum)),
            seq_decls = xs.seq_decls(),
            seq_wiring = xs.seq_wiring(),
            seq_step = xs.seq_step(
                "rm_vin",
                &format!("d_sub[{}:0]", w.diff - 1),
                &format!("acc <= row_valid ? {sln_acc} : {}'sd0;", w.acc),
            ),
            mbm = mb - 1,
            pmm = pm - 1,
            op1c = ops[0].0,
            op1a = ops[0].1,
            op1b = ops[0].2,
            op2c = ops[1].0,
            op2a = ops[1].1,
            op2b = ops[1].2,
            scale_wires = xs.scale_wires("scale_in"),
        );
            let ports = vec![
        ("clock", Sig::input(1)),
        ("rst", Sig::input(1)),
        ("scale_in", Sig::input(xs.scale_bits())),
        ("scale_out", Sig::output(xs.scale_bits())),
        ("q_in", Sig::input_s(w.data)),
        ("q_out", Sig::output_s(w.data)),
        ("x_in", Sig::input_s(w.data)),
        ("op_in", Sig::input(op::BITS)),
        ("vld_in", Sig::input(1)),
        ("x_out", Sig::output_s(w.data)),
        ("op_out", Sig::output(op::BITS)),
        ("vld_out", Sig::output(1)),
        ("ps_in", Sig::input_s(w.psum)),
        ("ps_out", Sig::output_s(w.psum)),
        ("tag_out", Sig::output(tag::BITS)),
        ("rm_in", Sig::input_s(w.score)),
        ("rm_vin", Sig::input(1)),
        ("rm_out", Sig::output_s(w.score)),
        ("rm_vout", Sig::output(1)),
    ];
    let mut l = Legacy::new("pe", ports, text);
    l.children = vec![("mul", mul_reg(w.mul, w.mul)), ("xs", exp_step(cfg))];
    l
}

impl Legacy {
    /// Replaces `from` (which must occur) by `to` in the text: a mutant, to show that the
    /// check fails on a design that differs.
    pub fn edit(&mut self, from: &str, to: &str) {
        assert!(self.text.contains(from), "no `{from}` in {}", self.kind);
        self.text = self.text.replace(from, to);
    }
}
