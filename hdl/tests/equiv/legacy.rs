//! The oracle: the Verilog of each ported block as it was before the port (its `hdl()` text
//! and ports, copied verbatim from the last commit that wrote it by hand). A [`Legacy`] emits
//! exactly the module the engine used to emit; it has no simulation. Delete a block's entry
//! once the whole port (issue 12) is complete.

use fusemax_hdl::buffers::FeedWidths;
use fusemax_hdl::host_link::proto;
use fusemax_hdl::kit::{Component, Sig};
use fusemax_hdl::pe::op;
use fusemax_hdl::{Config, Numerics};
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
    pub fn new(kind: &str, ports: Vec<(&'static str, Sig)>, text: String) -> Legacy {
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

/// `dsp::registered_product` at c8cf6ad, without operand registers (as mul_pipe used it).
fn registered_product(tag: &str, a: (&str, u32), b: (&str, u32), p: &str, in_regs: bool) -> String {
    assert!(!in_regs);
    let ((_, wa), (_, wb)) = (a, b);
    let prod = format!(
        "$signed({}) * $signed({})",
        sresize(a.0, wa, wa + wb),
        sresize(b.0, wb, wa + wb)
    );
    let generic = format!("always @(posedge clock) {p} <= {prod};\n");
    if wa > 18 || wb > 18 {
        return generic;
    }
    format!(
        "`ifdef FUSEMAX_ECP5\n{}`else\n{generic}`endif\n",
        fusemax_hdl::arith::dsp::ecp5_product(tag, a, b, p, false)
    )
}

/// `low_chunks` of mul_pipe at c8cf6ad.
fn low_chunks(wa: u32, wb: u32) -> u32 {
    let l = wb - 1;
    if wa <= l {
        return 0;
    }
    let mut n = 1;
    while wa - n * l > 18 && wa - (n + 1) * l >= 1 {
        n += 1;
    }
    n
}

/// `mul_pipe` at c8cf6ad (hdl/src/arith/mul_pipe.rs).
pub fn mul_pipe(wa: u32, wb: u32) -> Legacy {
    let w = wa + wb;
    let l = wb - 1;
    let text = if wa <= l {
        format!(
            r#"// @leaf mul_pipe
// a fits one multiplier: product registered twice.
reg signed [{wm}:0] s1;
{s1}always @(posedge clock) p <= s1;
"#,
            wm = w - 1,
            s1 = registered_product("m", ("a", wa), ("b", wb), "s1", false),
        )
    } else {
        let n = low_chunks(wa, wb);
        let wh = wa - n * l; // signed high part
        let mut decl = String::new();
        let mut prods = String::new();
        let mut sum = format!("{{m_hi, {}'d0}}", n * l);
        for i in 0..n {
            let wi = l + 1 + wb;
            decl.push_str(&format!(
                "wire signed [{l}:0] a_{i} = {{1'b0, a[{}:{}]}};\nreg signed [{}:0] m_{i};\n",
                (i + 1) * l - 1,
                i * l,
                wi - 1
            ));
            prods.push_str(&registered_product(
                &format!("m{i}"),
                (&format!("a_{i}"), l + 1),
                ("b", wb),
                &format!("m_{i}"),
                false,
            ));
            let term = sresize(&format!("m_{i}"), wi, w - i * l);
            sum.push_str(&if i == 0 {
                format!(" + {term}")
            } else {
                format!(" + {{{term}, {}'d0}}", i * l)
            });
        }
        format!(
            r#"// @leaf mul_pipe
// a = a_hi * 2^{nl} + sum of a_i * 2^({l} i), a_i unsigned {l} bits: {np} products (each
// fits one DSP), then their sum.
wire signed [{whm}:0] a_hi = a[{wam}:{nl}];
reg signed [{hm}:0] m_hi;
{decl}{hi}{prods}always @(posedge clock) p <= {sum};
"#,
            nl = n * l,
            np = n + 1,
            whm = wh - 1,
            wam = wa - 1,
            hm = wh + wb - 1,
            hi = registered_product("mh", ("a_hi", wh), ("b", wb), "m_hi", false),
        )
    };
    Legacy::new(
        "mul_pipe",
        vec![
            ("clock", Sig::input(1)),
            ("a", Sig::input_s(wa)),
            ("b", Sig::input_s(wb)),
            ("p", Sig::output_s(w)),
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

/// `uart_rx` at c8cf6ad (hdl/src/uart.rs).
pub fn uart_rx(div: u64) -> Legacy {
    let cw = ubits(div as u128);
    let text = format!(
        r#"// @leaf uart_rx
reg s1;
reg s2;
reg [1:0] st;
reg [{cwm}:0] cnt;
reg [2:0] bitn;
reg [7:0] sh;
always @(posedge clock) begin
    if (rst) begin
        s1 <= 1'b1;
        s2 <= 1'b1;
        st <= 2'd0;
        valid <= 1'b0;
    end else begin
        s1 <= rx;
        s2 <= s1;
        valid <= 1'b0;
        case (st)
            2'd0: if (!s2) begin
                st <= 2'd1;
                cnt <= {cw}'d{half};
            end
            2'd1: if (cnt == {cw}'d0) begin
                if (!s2) begin
                    st <= 2'd2;
                    cnt <= {cw}'d{full};
                    bitn <= 3'd0;
                end else st <= 2'd0;
            end else cnt <= cnt - {cw}'d1;
            2'd2: if (cnt == {cw}'d0) begin
                sh <= {{s2, sh[7:1]}};
                cnt <= {cw}'d{full};
                if (bitn == 3'd7) st <= 2'd3;
                else bitn <= bitn + 3'd1;
            end else cnt <= cnt - {cw}'d1;
            default: if (cnt == {cw}'d0) begin
                st <= 2'd0;
                if (s2) begin
                    data <= sh;
                    valid <= 1'b1;
                end
            end else cnt <= cnt - {cw}'d1;
        endcase
    end
end
"#,
        cwm = cw - 1,
        half = div / 2 - 1,
        full = div - 1,
    );
    Legacy::new(
        "uart_rx",
        vec![
            ("clock", Sig::input(1)),
            ("rst", Sig::input(1)),
            ("rx", Sig::input(1)),
            ("data", Sig::output(8)),
            ("valid", Sig::output(1)),
        ],
        text,
    )
}

/// `uart_tx` at c8cf6ad (hdl/src/uart.rs).
pub fn uart_tx(div: u64) -> Legacy {
    let cw = ubits(div as u128);
    let text = format!(
        r#"// @leaf uart_tx
reg busy;
reg [{cwm}:0] cnt;
reg [3:0] nbits;
reg [7:0] dq;
reg tx_q;
always @(*) begin
    ready = !busy;
    tx = tx_q;
end
always @(posedge clock) begin
    if (rst) begin
        busy <= 1'b0;
        tx_q <= 1'b1;
    end else if (!busy) begin
        if (start) begin
            dq <= data;
            tx_q <= 1'b0;
            cnt <= {cw}'d{full};
            nbits <= 4'd0;
            busy <= 1'b1;
        end
    end else if (cnt == {cw}'d0) begin
        if (nbits == 4'd9) busy <= 1'b0;
        else begin
            // data bits 0..7, then the stop bit (1)
            tx_q <= nbits[3] || dq[nbits[2:0]];
            nbits <= nbits + 4'd1;
            cnt <= {cw}'d{full};
        end
    end else cnt <= cnt - {cw}'d1;
end
"#,
        cwm = cw - 1,
        full = div - 1,
    );
    Legacy::new(
        "uart_tx",
        vec![
            ("clock", Sig::input(1)),
            ("rst", Sig::input(1)),
            ("data", Sig::input(8)),
            ("start", Sig::input(1)),
            ("ready", Sig::output(1)),
            ("tx", Sig::output(1)),
        ],
        text,
    )
}

/// `divider` at c8cf6ad (hdl/src/arith/divider.rs), for config `cfg`.
pub fn divider(cfg: &Config) -> Legacy {
    let d = cfg.derived();
    let nb_num = d.rnv_bits;
    let rdb = d.rd_bits;
    let ob = d.out_bits;
    let fo = Numerics::from_derived(cfg, &d).out_frac;
    let qb = ob;
    let nb = (nb_num + fo + 1).max(rdb) + 1;
    let dvb = rdb + 1;
    let rib = nb - qb; // width of the initial partial remainder
    let cw = rib.max(dvb);
    let cb = ubits(qb as u128);
    let lint_r_init = if rib > dvb {
        "/* verilator lint_off UNUSEDSIGNAL */ // r takes the low bits of r_init only when r_init < dv\n"
    } else {
        ""
    };
    let lint_r_init_end = if rib > dvb {
        "/* verilator lint_on UNUSEDSIGNAL */\n"
    } else {
        ""
    };
    let r_init_lo = if rib < dvb {
        format!("{{{}'d0, r_init}}", dvb - rib)
    } else {
        format!("r_init[{}:0]", dvb - 1)
    };
    let text = format!(
        r#"// @leaf divider
// Restoring division of n = |num| * 2^{fo1} + den by dv = 2 * den, {qb} quotient bits, after
// three preparation stages (latch, magnitude, numerator), one carry chain per cycle.
localparam [{obm}:0] Q_MAXP = {ob}'h{maxp:x};
localparam [{obm}:0] Q_MINN = {ob}'h{minn:x};
reg [2:0] st;
reg [{cbm}:0] cnt;
reg signed [{nbnm}:0] num_q;
reg [{rdbm}:0] den_q;
reg [{nbnm}:0] mag_q;
reg [{nbm}:0] n_q;
reg neg;
reg ovf;
reg zero;
reg [{dvbm}:0] dv;
reg [{dvbm}:0] r;
reg [{qbm}:0] nl;
reg [{qbm}:0] qa;
wire [{nbnm}:0] mag_w = num_q[{nbnm}] ? (~num_q + {nb_num}'d1) : num_q;
wire [{nbm}:0] n_w = {n_l} + {n_r};
{lint_r_init}wire [{rim}:0] r_init = n_q[{nbm}:{qb}];
{lint_r_init_end}wire [{dvb}:0] r2 = {{r, nl[{qbm}]}};
wire ge = r2 >= {{1'b0, dv}};
wire [{dvbm}:0] r_sub = r2[{dvbm}:0] - dv;
always @(posedge clock) begin
    if (rst) begin
        st <= 3'd0;
        done <= 1'b0;
    end else begin
        done <= 1'b0;
        if (start) begin
            num_q <= num;
            den_q <= den;
            st <= 3'd1;
        end else case (st)
            3'd1: begin
                mag_q <= mag_w;
                neg <= num_q[{nbnm}];
                zero <= den_q == {rdb}'d0;
                dv <= {{den_q, 1'b0}};
                st <= 3'd2;
            end
            3'd2: begin
                n_q <= n_w;
                st <= 3'd3;
            end
            3'd3: begin
                ovf <= {ovf_l} >= {ovf_r};
                r <= {r_init_lo};
                nl <= n_q[{qbm}:0];
                qa <= {qb}'d0;
                cnt <= {cb}'d{qb};
                st <= 3'd4;
            end
            3'd4: begin
                if (cnt != {cb}'d0) begin
                    cnt <= cnt - {cb}'d1;
                    r <= ge ? r_sub : r2[{dvbm}:0];
                    qa <= {{qa[{qbm2}:0], ge}};
                    nl <= {{nl[{qbm2}:0], 1'b0}};
                end else begin
                    st <= 3'd0;
                    done <= 1'b1;
                    if (zero) q <= {ob}'sd0;
                    else if (!neg) q <= (ovf || qa > Q_MAXP) ? $signed(Q_MAXP) : $signed(qa);
                    else q <= (ovf || qa > Q_MINN) ? $signed(Q_MINN) : -$signed(qa);
                end
            end
            default: ;
        endcase
    end
end
"#,
        fo1 = fo + 1,
        obm = ob - 1,
        maxp = (1u128 << (ob - 1)) - 1,
        minn = 1u128 << (ob - 1),
        cbm = cb - 1,
        dvbm = dvb - 1,
        qbm = qb - 1,
        nbnm = nb_num - 1,
        nbm = nb - 1,
        rdbm = rdb - 1,
        rim = rib - 1,
        ovf_l = zext("r_init", rib, cw),
        ovf_r = zext("dv", dvb, cw),
        n_l = zext(&format!("{{mag_q, {}'d0}}", fo + 1), nb_num + fo + 1, nb),
        n_r = zext("den_q", rdb, nb),
        qbm2 = qb - 2,
    );
    Legacy::new(
        "divider",
        vec![
            ("clock", Sig::input(1)),
            ("rst", Sig::input(1)),
            ("start", Sig::input(1)),
            ("num", Sig::input_s(nb_num)),
            ("den", Sig::input(rdb)),
            ("q", Sig::output_s(ob)),
            ("done", Sig::output(1)),
        ],
        text,
    )
}

/// `reset_gen` at c8cf6ad (hdl/src/board.rs).
pub fn reset_gen(active_low: bool) -> Legacy {
    let text = format!(
        r#"// @leaf reset_gen
reg b1;
reg b2;
reg [3:0] cnt;
always @(posedge clock) begin
    rst <= cnt != 4'd15;
    b1 <= {pressed};
    b2 <= b1;
    if (b2 || !locked) cnt <= 4'd0;
    else if (cnt != 4'd15) cnt <= cnt + 4'd1;
end
"#,
        pressed = if active_low { "!btn" } else { "btn" }
    );
    Legacy::new(
        "reset_gen",
        vec![
            ("clock", Sig::input(1)),
            ("btn", Sig::input(1)),
            ("locked", Sig::input(1)),
            ("rst", Sig::output(1)),
        ],
        text,
    )
}

/// `leds` at c8cf6ad (hdl/src/board.rs).
pub fn leds(n: usize, active_low: u32, clock_mhz: f64) -> Legacy {
    // Heartbeat about 1 Hz, flashes about 50 ms.
    let hb_bits = ubits((clock_mhz * 1e6) as u128).saturating_sub(1).max(2);
    let flash = ubits((clock_mhz * 5e4) as u128).max(2);
    let hb = hb_bits;
    let fl = flash;
    let status_bits = if n > 5 {
        ", status[2:0]".to_string()
    } else {
        String::new()
    };
    let waive = if n > 5 {
        ""
    } else {
        "/* verilator lint_off UNUSEDSIGNAL */ // status bits 7:3 shown only as \"error\"\nwire unused_status = |status;\n/* verilator lint_on UNUSEDSIGNAL */\n"
    };
    let text = format!(
        r#"// @leaf leds
// led[0] heartbeat, [1] busy, [2] error status, [3] frame accepted, [4] frame rejected{extra}
{waive}reg [{hbm}:0] hb;
reg [{flm}:0] okc;
reg [{flm}:0] errc;
wire [{nm}:0] logical = {{{status_bits_rev}errc != {fl}'d0, okc != {fl}'d0, status != 8'd0, busy, hb[{hbm}]}};
always @(*) led = logical ^ {n}'d{low};
always @(posedge clock) begin
    hb <= hb + {hb}'d1;
    if (rst) begin
        okc <= {fl}'d0;
        errc <= {fl}'d0;
    end else begin
        if (ok) okc <= {{{fl}{{1'b1}}}};
        else if (okc != {fl}'d0) okc <= okc - {fl}'d1;
        if (err) errc <= {{{fl}{{1'b1}}}};
        else if (errc != {fl}'d0) errc <= errc - {fl}'d1;
    end
end
"#,
        extra = if n > 5 { ", [7:5] status[2:0]" } else { "" },
        hbm = hb - 1,
        flm = fl - 1,
        nm = n - 1,
        status_bits_rev = if n > 5 {
            format!("{}, ", status_bits.trim_start_matches(", "))
        } else {
            String::new()
        },
        low = active_low,
    );
    Legacy::new(
        "leds",
        vec![
            ("clock", Sig::input(1)),
            ("rst", Sig::input(1)),
            ("busy", Sig::input(1)),
            ("status", Sig::input(8)),
            ("ok", Sig::input(1)),
            ("err", Sig::input(1)),
            ("led", Sig::output(n as u32)),
        ],
        text,
    )
}

fn lane_names(prefix: &str, n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| &*Box::leak(format!("{prefix}{i}").into_boxed_str()))
        .collect()
}

/// `split` at c8cf6ad (hdl/src/lanes.rs).
pub fn split(word_bits: u32, n: usize, lane_bits: u32) -> Legacy {
    let names = lane_names("lane_", n);
    let mut t = String::from("// @leaf split\n");
    let used = n as u32 * lane_bits;
    if used < word_bits {
        t.push_str("// bits above the lanes are padding\n/* verilator lint_off UNUSEDSIGNAL */\nwire unused_pad = |word;\n/* verilator lint_on UNUSEDSIGNAL */\n");
    }
    for (i, name) in names.iter().enumerate() {
        let lb = lane_bits;
        t.push_str(&format!(
            "always @(*) {} = word[{}:{}];\n",
            name,
            (i as u32 + 1) * lb - 1,
            i as u32 * lb
        ));
    }
    let mut ports = vec![("word", Sig::input(word_bits))];
    ports.extend(names.iter().map(|&l| (l, Sig::output_s(lane_bits))));
    Legacy::new("split", ports, t)
}

/// `concat` at c8cf6ad (hdl/src/lanes.rs).
pub fn concat(n: usize, lane_bits: u32, word_bits: u32) -> Legacy {
    let names = lane_names("lane_", n);
    let used: u32 = n as u32 * lane_bits;
    let mut parts: Vec<String> = vec![];
    if used < word_bits {
        parts.push(format!("{}'d0", word_bits - used));
    }
    for i in (0..n).rev() {
        parts.push(names[i].to_string());
    }
    let t = format!(
        "// @leaf concat\nalways @(*) word = {{{}}};\n",
        parts.join(", ")
    );
    let mut ports: Vec<(&'static str, Sig)> = names
        .iter()
        .map(|&l| (l, Sig::input_s(lane_bits)))
        .collect();
    ports.push(("word", Sig::output(word_bits)));
    Legacy::new("concat", ports, t)
}

/// `select` at c8cf6ad (hdl/src/lanes.rs).
pub fn select(n: usize, lane_bits: u32, word_bits: u32) -> Legacy {
    let names = lane_names("lane_", n);
    let per_word = (word_bits / lane_bits) as usize;
    let chunks = n.div_ceil(per_word);
    let lb = lane_bits;
    let wb = word_bits;
    let sb = ubits((chunks.max(2) - 1) as u128);
    let nb = ubits(n as u128);
    let mut t = String::from("// @leaf select\n");
    // each lane, or 0 past nvalid
    for (c, name) in names.iter().enumerate() {
        t.push_str(&format!(
            "wire [{}:0] {name}_v = ({nb}'d{c} < nvalid) ? {name} : {lb}'d0;\n",
            lb - 1
        ));
    }
    t.push_str("always @(*) begin\n    case (sel)\n");
    for j in 0..chunks {
        let mut parts = vec![];
        let n_here = (n - j * per_word).min(per_word);
        let used = n_here as u32 * lb;
        if used < wb {
            parts.push(format!("{}'d0", wb - used));
        }
        for i in (0..n_here).rev() {
            parts.push(format!("{}_v", names[j * per_word + i]));
        }
        t.push_str(&format!(
            "        {sb}'d{j}: word = {{{}}};\n",
            parts.join(", ")
        ));
    }
    t.push_str(&format!(
        "        default: word = {wb}'d0;\n    endcase\nend\n"
    ));
    let mut ports: Vec<(&'static str, Sig)> = names
        .iter()
        .map(|&l| (l, Sig::input_s(lane_bits)))
        .collect();
    ports.push(("sel", Sig::input(sb)));
    ports.push(("nvalid", Sig::input(nb)));
    ports.push(("word", Sig::output(word_bits)));
    Legacy::new("select", ports, t)
}

/// `buffers::resize_u` at a8be3fb: unsigned resize of an identifier (zero-extend or keep low
/// bits).
fn resize_u(e: &str, from: u32, to: u32) -> String {
    if to >= from {
        zext(e, from, to)
    } else {
        format!("{e}[{}:0]", to - 1)
    }
}

/// `row_feeder` at a8be3fb (hdl/src/buffers.rs), with its child `kv` (ram) as it is; its op
/// width, 3 bits then, is `op::BITS` (issue 13 added the accumulator bank bit).
pub fn row_feeder(cfg: &Config) -> Legacy {
    let w = FeedWidths::new(cfg);
    let kab = w.kv_addr;
    let text = format!(
        r#"// @leaf row_feeder
reg [{opm}:0] op_q;
reg [1:0] src_q;
reg vld_q;
wire [{kabm}:0] off = (c_src == 2'd2) ? {me} + {idx_a} : {idx_a};
always @(*) begin
    kv$clock = clock;
    kv$we = we && chunk == my_chunk;
    kv$waddr = waddr;
    kv$wdata = lane;
    kv$raddr = c_bank ? {kab}'d{bank1} + off : off;
end
always @(posedge clock) begin
    c_src_out <= c_src;
    c_idx_out <= c_idx;
    c_bank_out <= c_bank;
    c_nvalid_out <= c_nvalid;
    src_q <= c_src;
    vld_q <= row_idx < c_nvalid;
    x <= (src_q != 2'd0) ? kv$rdata : {db}'sd0;
    vld <= vld_q;
    if (rst) begin
        op_q <= {opb}'d0;
        op <= {opb}'d0;
        c_op_out <= {opb}'d0;
    end else begin
        op_q <= c_op;
        op <= op_q;
        c_op_out <= c_op;
    end
end
"#,
        kabm = kab - 1,
        kab = kab,
        me = format!("{kab}'d{}", w.max_e),
        idx_a = resize_u("c_idx", w.idx, kab),
        bank1 = w.max_e + w.max_f,
        db = w.data,
        opm = op::BITS - 1,
        opb = op::BITS,
    );
    let ports = vec![
        ("clock", Sig::input(1)),
        ("rst", Sig::input(1)),
        ("row_idx", Sig::input(w.nvalid)),
        ("my_chunk", Sig::input(w.chunk)),
        ("lane", Sig::input_s(w.data)),
        ("we", Sig::input(1)),
        ("chunk", Sig::input(w.chunk)),
        ("waddr", Sig::input(w.kv_addr)),
        ("c_op", Sig::input(op::BITS)),
        ("c_src", Sig::input(2)),
        ("c_idx", Sig::input(w.idx)),
        ("c_bank", Sig::input(1)),
        ("c_nvalid", Sig::input(w.nvalid)),
        ("c_op_out", Sig::output(op::BITS)),
        ("c_src_out", Sig::output(2)),
        ("c_idx_out", Sig::output(w.idx)),
        ("c_bank_out", Sig::output(1)),
        ("c_nvalid_out", Sig::output(w.nvalid)),
        ("x", Sig::output_s(w.data)),
        ("op", Sig::output(op::BITS)),
        ("vld", Sig::output(1)),
    ];
    let mut l = Legacy::new("row_feeder", ports, text);
    l.children = vec![("kv", ram(w.data, 2 * (w.max_e + w.max_f), true))];
    l
}

/// `col_feeder` at a8be3fb (hdl/src/buffers.rs), with its child `qbuf` (ram) as it is.
pub fn col_feeder(cfg: &Config) -> Legacy {
    let w = FeedWidths::new(cfg);
    let (raddr, waive) = if w.idx > w.q_addr {
        (format!("c_idx[{}:0]", w.q_addr - 1), true)
    } else {
        (zext("c_idx", w.idx, w.q_addr), false)
    };
    let mut text = String::from("// @leaf col_feeder\n");
    if waive {
        text.push_str("// Q indices stay below max_e; the index field is as wide as max_f's.\n/* verilator lint_off UNUSEDSIGNAL */\nwire unused_idx = |c_idx;\n/* verilator lint_on UNUSEDSIGNAL */\n");
    }
    text.push_str(&format!(
        r#"reg q_en;
reg seed;
reg seed2;
reg seed3;
always @(*) begin
    qbuf$clock = clock;
    qbuf$we = we && chunk == my_chunk;
    qbuf$waddr = waddr;
    qbuf$wdata = lane;
    qbuf$raddr = (c_qbank ? {qab}'d{me} : {qab}'d0) + {raddr};
end
always @(posedge clock) begin
    c_q_out <= c_q;
    c_idx_out <= c_idx;
    c_seed_out <= c_seed;
    c_qbank_out <= c_qbank;
    q_en <= c_q;
    seed <= c_seed;
    seed2 <= seed;
    seed3 <= seed2;
    q <= q_en ? qbuf$rdata : {db}'sd0;
    ps <= seed3 ? {neg} : {pb}'sd0;
end
"#,
        db = w.data,
        pb = w.psum,
        qab = w.q_addr,
        me = w.max_e,
        neg = format!("{{1'b1, {}'d0}}", w.psum - 1),
    ));
    let ports = vec![
        ("clock", Sig::input(1)),
        ("my_chunk", Sig::input(w.chunk)),
        ("lane", Sig::input_s(w.data)),
        ("we", Sig::input(1)),
        ("chunk", Sig::input(w.chunk)),
        ("waddr", Sig::input(w.q_addr)),
        ("c_q", Sig::input(1)),
        ("c_idx", Sig::input(w.idx)),
        ("c_seed", Sig::input(1)),
        ("c_qbank", Sig::input(1)),
        ("c_q_out", Sig::output(1)),
        ("c_idx_out", Sig::output(w.idx)),
        ("c_seed_out", Sig::output(1)),
        ("c_qbank_out", Sig::output(1)),
        ("q", Sig::output_s(w.data)),
        ("ps", Sig::output_s(w.psum)),
    ];
    let mut l = Legacy::new("col_feeder", ports, text);
    l.children = vec![("qbuf", ram(w.data, 2 * w.max_e, true))];
    l
}

/// `host_link` at a8be3fb (hdl/src/host_link.rs), with its child `frame_buf` (ram) as it is.
/// Its one parameter, the frame's most words (`proto::MAX_WORDS`, 32), is `max_words` here,
/// so that a second shape can be checked; the text is otherwise verbatim.
pub fn host_link(max_words: usize) -> Legacy {
    // `self.frame_buf.waddr.width()` of the RAM of max_words words
    let ab = ubits(max_words.max(2) as u128 - 1);
    let text = format!(
        r#"// @leaf host_link
localparam [3:0] R_SYNC = 4'd0, R_TYPE = 4'd1, R_LEN0 = 4'd2, R_LEN1 = 4'd3, R_PAYLOAD = 4'd4, R_CHK = 4'd5, R_FREAD = 4'd6, R_FSEND = 4'd7, R_DECIDE = 4'd8;
reg [3:0] rxs;
reg [7:0] typ;
reg [15:0] len;
reg [15:0] len_m1;
reg chk_ok;
reg typ_bad; // typ is neither DATA nor DATA_LAST (registered from typ, which is set bytes before it is used)
reg len_bad; // !len_ok, likewise
reg fwd_last;
reg [15:0] bcnt;
reg [7:0] sum;
reg [55:0] word;
reg [6:0] wcount;
reg [6:0] fwd;
reg reply_pending;
reg [7:0] reply_typ;
reg [7:0] reply_code;
reg ts;
reg [3:0] tleft; // bytes of the frame after the one on tx_data (0: the checksum is on it)
reg t_first; // the SYNC byte is on tx_data
reg [95:0] t_sh; // the frame's bytes from the one on tx_data on, first byte lowest
reg [7:0] t_neg; // minus the sum of the frame's bytes: its checksum byte
reg ok_pulse;
reg err_pulse;
wire len_ok = len != 16'd0 && len[2:0] == 3'd0 && len <= 16'd{maxlen};
wire [7:0] sum_next = sum + rx_data;
wire takes_out = !ts && !reply_pending && m_valid;
always @(*) begin
    tx_start = ts && tx_ready;
    tx_data = (tleft == 4'd0) ? t_neg : t_sh[7:0];
    s_valid = rxs == R_FSEND;
    s_data = frame_buf$rdata;
    s_last = rxs == R_FSEND && typ == 8'h{data_last:x} && fwd_last;
    m_ready = takes_out;
    frame_ok = ok_pulse;
    frame_err = err_pulse;
    frame_buf$clock = clock;
    frame_buf$we = rxs == R_PAYLOAD && rx_valid && bcnt[2:0] == 3'd7 && wcount < 7'd{maxw};
    frame_buf$waddr = wcount[{abm}:0];
    frame_buf$wdata = {{rx_data, word}};
    frame_buf$raddr = fwd[{abm}:0];
end
always @(posedge clock) begin
    if (rst) begin
        rxs <= R_SYNC;
        reply_pending <= 1'b0;
        ts <= 1'b0;
        ok_pulse <= 1'b0;
        err_pulse <= 1'b0;
    end else begin
        ok_pulse <= 1'b0;
        err_pulse <= 1'b0;
        typ_bad <= typ != 8'h{data:x} && typ != 8'h{data_last:x};
        len_bad <= !len_ok;
        // receive
        case (rxs)
            R_SYNC: if (rx_valid && rx_data == 8'h{sync:x}) begin
                rxs <= R_TYPE;
                sum <= 8'd0;
            end
            R_TYPE: if (rx_valid) begin
                typ <= rx_data;
                sum <= sum_next;
                rxs <= R_LEN0;
            end
            R_LEN0: if (rx_valid) begin
                len[7:0] <= rx_data;
                sum <= sum_next;
                rxs <= R_LEN1;
            end
            R_LEN1: if (rx_valid) begin
                len[15:8] <= rx_data;
                len_m1 <= {{rx_data, len[7:0]}} - 16'd1;
                sum <= sum_next;
                bcnt <= 16'd0;
                wcount <= 7'd0;
                rxs <= ({{rx_data, len[7:0]}} == 16'd0) ? R_CHK : R_PAYLOAD;
            end
            R_PAYLOAD: if (rx_valid) begin
                sum <= sum_next;
                word <= {{rx_data, word[55:8]}};
                if (bcnt[2:0] == 3'd7 && wcount < 7'd{maxw}) wcount <= wcount + 7'd1;
                bcnt <= bcnt + 16'd1;
                if (bcnt == len_m1) rxs <= R_CHK;
            end
            R_CHK: if (rx_valid) begin
                chk_ok <= sum_next == 8'd0;
                rxs <= R_DECIDE;
            end
            R_DECIDE: begin
                if (!chk_ok || typ_bad || len_bad) begin
                    reply_pending <= 1'b1;
                    reply_typ <= 8'h{nak:x};
                    reply_code <= !chk_ok ? 8'd{e_chk} : typ_bad ? 8'd{e_typ} : 8'd{e_len};
                    err_pulse <= 1'b1;
                    rxs <= R_SYNC;
                end else begin
                    fwd <= 7'd0;
                    rxs <= R_FREAD;
                end
            end
            R_FREAD: begin
                fwd_last <= fwd == wcount - 7'd1;
                rxs <= R_FSEND;
            end
            default: if (s_ready) begin
                if (fwd_last) begin
                    reply_pending <= 1'b1;
                    reply_typ <= 8'h{ack:x};
                    ok_pulse <= 1'b1;
                    rxs <= R_SYNC;
                end else begin
                    fwd <= fwd + 7'd1;
                    rxs <= R_FREAD;
                end
            end
        endcase
        // transmit
        if (!ts) begin
            if (reply_pending) begin
                ts <= 1'b1;
                t_first <= 1'b1;
                // SYNC, type, length (1 with a NAK's code, else 0), the code, the checksum
                tleft <= (reply_typ == 8'h{nak:x}) ? 4'd5 : 4'd4;
                t_sh <= {{56'd0, reply_code, 8'd0, (reply_typ == 8'h{nak:x}) ? 8'd1 : 8'd0, reply_typ, 8'h{sync:x}}};
                t_neg <= 8'd0;
                reply_pending <= 1'b0;
            end else if (m_valid) begin
                ts <= 1'b1;
                t_first <= 1'b1;
                tleft <= 4'd12;
                t_sh <= {{m_data, 8'd0, 8'd8, m_last ? 8'h{out_last:x} : 8'h{out:x}, 8'h{sync:x}}};
                t_neg <= 8'd0;
            end
        end else if (tx_ready) begin
            // the checksum: minus the sum of the bytes between SYNC and itself
            if (!t_first && tleft != 4'd0) t_neg <= t_neg - t_sh[7:0];
            t_first <= 1'b0;
            t_sh <= {{8'd0, t_sh[95:8]}};
            if (tleft == 4'd0) ts <= 1'b0;
            else tleft <= tleft - 4'd1;
        end
    end
end
"#,
        maxlen = max_words * 8,
        maxw = max_words,
        abm = ab - 1,
        sync = proto::SYNC,
        nak = proto::NAK,
        ack = proto::ACK,
        data = proto::DATA,
        data_last = proto::DATA_LAST,
        out = proto::OUT,
        out_last = proto::OUT_LAST,
        e_chk = proto::ERR_CHECKSUM,
        e_typ = proto::ERR_TYPE,
        e_len = proto::ERR_LENGTH,
    );
    let ports = vec![
        ("clock", Sig::input(1)),
        ("rst", Sig::input(1)),
        ("rx_data", Sig::input(8)),
        ("rx_valid", Sig::input(1)),
        ("tx_data", Sig::output(8)),
        ("tx_start", Sig::output(1)),
        ("tx_ready", Sig::input(1)),
        ("s_data", Sig::output(64)),
        ("s_valid", Sig::output(1)),
        ("s_last", Sig::output(1)),
        ("s_ready", Sig::input(1)),
        ("m_data", Sig::input(64)),
        ("m_valid", Sig::input(1)),
        ("m_last", Sig::input(1)),
        ("m_ready", Sig::output(1)),
        ("frame_ok", Sig::output(1)),
        ("frame_err", Sig::output(1)),
    ];
    let mut l = Legacy::new("host_link", ports, text);
    l.children = vec![("frame_buf", ram(64, max_words, false))];
    l
}
