//! `pe`: the 2D-array processing element of FuseMax.
//!
//! One multiplier (the `mul_reg` leaf) shared by every operation, an accumulator `acc` that holds
//! the score BQK and then, in place, SLN = exp(BQK - RM), and four links:
//! - `q` flows down (Q streams down its column), `x` with `op` and `vld` flows right (K, then V,
//!   stream along the row; `op` says what to do with it), each registered (1 cycle per PE);
//! - the partial sum `ps` with its `tag` flows down: the LM max and the SLD/SLNV sums, reduced
//!   over the column into the 1D unit below;
//! - the running max `rm` flows up from the 1D unit; its arrival starts the exp sequence.
//!
//! Operations are pipelined in three stages: in the cycle `op` arrives the multiplier's operands
//! are selected and registered, in the next the product is registered, and in the third the op
//! takes effect, reading `ps_in` then:
//! - `MAC0`/`MAC`: acc = q * x (and latch `vld`: is this row a real key) / acc += q * x;
//! - `LM`: ps = max(ps, acc) if the row is valid, else ps (tag LM);
//! - `SLD`: ps = ps + acc (tag SLD); `SLNV`: ps = ps + acc * x (tag SLNV).
//!
//! The exp sequence (`arith::exp_step::ExpSeq`, started by `rm_v`) uses the same multiplier
//! and its registers: D = rm - acc registered, dn = prescale(D) in two stages, z = round(dn *
//! mant), degree Horner steps p = round(p * f) + a_k (three cycles each), acc = finish(p,
//! int(z)) (0 for an invalid row): `exp_latency` = 3 * exp_degree + 8 cycles. Latency: links 1
//! cycle; `ps_out` 3 cycles after its op arrives.

use crate::arith::exp_step::{scale_unpack, seq_bits, ExpSeq, ExpStep};
use crate::arith::MulReg;
use crate::config::Config;
use crate::kit::{sresize, zext, Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// Operation codes travelling with `x`.
pub mod op {
    pub const NOP: i128 = 0;
    pub const MAC0: i128 = 1;
    pub const MAC: i128 = 2;
    pub const LM: i128 = 3;
    pub const SLD: i128 = 4;
    pub const SLNV: i128 = 5;
    /// Width of the op field.
    pub const BITS: u32 = 3;
}

/// Tags of the partial sum travelling down.
pub mod tag {
    pub const NONE: i128 = 0;
    pub const LM: i128 = 1;
    pub const SLD: i128 = 2;
    pub const SLNV: i128 = 3;
    /// Width of the tag field.
    pub const BITS: u32 = 2;
}

/// Widths of a PE (and of the array's links), from the config.
#[derive(Clone, Copy, Debug)]
pub struct PeWidths {
    pub data: u32,
    pub mul: u32,
    pub acc: u32,
    pub exp: u32,
    pub psum: u32,
    pub score: u32,
    pub diff: u32,
    pub mant: u32,
    pub shift: u32,
    pub z: u32,
    pub z_frac: u32,
    pub degree: u32,
    pub es: u32,
}

impl PeWidths {
    pub fn new(cfg: &Config) -> PeWidths {
        let d = cfg.derived();
        PeWidths {
            data: cfg.data_bits,
            mul: cfg.mul_bits,
            acc: d.score_bits.max(d.exp_bits + 1),
            exp: d.exp_bits,
            psum: d.psum_bits,
            score: d.score_bits,
            diff: d.diff_bits,
            mant: d.scale_mant_bits,
            shift: d.scale_shift_bits,
            z: d.z_bits,
            z_frac: d.z_frac_bits,
            degree: cfg.exp_degree,
            es: seq_bits(cfg.exp_degree),
        }
    }
}

#[derive(Default, Clone, Debug)]
struct State {
    /// The job's scale constant, registered here and passed on to the next PE.
    sc: i128,
    acc: i128,
    row_valid: bool,
    op_d: i128,
    vld_d: bool,
    op_d2: i128,
    vld_d2: bool,
    seq: ExpSeq,
    q_out: i128,
    x_out: i128,
    op_out: i128,
    vld_out: bool,
    ps_out: i128,
    tag_out: i128,
    rm_out: i128,
    rm_vout: bool,
}

/// The processing element.
#[derive(LogicBlock)]
pub struct Pe {
    pub clock: Sig,
    pub rst: Sig,
    pub scale_in: Sig,
    pub scale_out: Sig,
    pub q_in: Sig,
    pub q_out: Sig,
    pub x_in: Sig,
    pub op_in: Sig,
    pub vld_in: Sig,
    pub x_out: Sig,
    pub op_out: Sig,
    pub vld_out: Sig,
    pub ps_in: Sig,
    pub ps_out: Sig,
    pub tag_out: Sig,
    pub rm_in: Sig,
    pub rm_vin: Sig,
    pub rm_out: Sig,
    pub rm_vout: Sig,
    pub mul: MulReg,
    pub xs: ExpStep,
    _w: PeWidths,
    _s: State,
}

impl Pe {
    pub fn new(cfg: &Config) -> Pe {
        let w = PeWidths::new(cfg);
        let xs = ExpStep::new(cfg);
        Pe {
            clock: Sig::input(1),
            rst: Sig::input(1),
            scale_in: Sig::input(xs.scale_bits()),
            scale_out: Sig::output(xs.scale_bits()),
            q_in: Sig::input_s(w.data),
            q_out: Sig::output_s(w.data),
            x_in: Sig::input_s(w.data),
            op_in: Sig::input(op::BITS),
            vld_in: Sig::input(1),
            x_out: Sig::output_s(w.data),
            op_out: Sig::output(op::BITS),
            vld_out: Sig::output(1),
            ps_in: Sig::input_s(w.psum),
            ps_out: Sig::output_s(w.psum),
            tag_out: Sig::output(tag::BITS),
            rm_in: Sig::input_s(w.score),
            rm_vin: Sig::input(1),
            rm_out: Sig::output_s(w.score),
            rm_vout: Sig::output(1),
            mul: MulReg::new(w.mul, w.mul),
            xs,
            _w: w,
            _s: State::default(),
        }
    }

    /// The multiplier operands chosen this cycle (registered at the edge): the exp
    /// sequence's, SLN and V for SLNV, Q and K otherwise.
    fn operand_mux(&self) -> (i128, i128) {
        let s = &self._s;
        let mant = scale_unpack(s.sc, self._w.shift).0;
        if let Some(ab) = s.seq.operands(mant, &self.xs) {
            ab
        } else if self.op_in.get() == op::SLNV {
            (s.acc & ((1 << self._w.exp) - 1), self.x_in.get())
        } else {
            (self.q_in.get(), self.x_in.get())
        }
    }

    /// The accumulator: the score after BQK, SLN after the exp sequence (for tests).
    pub fn acc(&self) -> i128 {
        self._s.acc
    }

    fn wrap(v: i128, w: u32, signed: bool) -> i128 {
        crate::kit::sig::wrap(v, w, signed)
    }
}

impl Logic for Pe {
    fn update(&mut self) {
        let s = &self._s;
        self.q_out.set(s.q_out);
        self.x_out.set(s.x_out);
        self.op_out.set(s.op_out);
        self.vld_out.set_bool(s.vld_out);
        self.ps_out.set(s.ps_out);
        self.tag_out.set(s.tag_out);
        self.rm_out.set(s.rm_out);
        self.rm_vout.set_bool(s.rm_vout);
        self.scale_out.set(s.sc);
        self.xs.sc_shift.set(scale_unpack(s.sc, self._w.shift).1);
        self.xs.prod.set(self.mul.product());
        s.seq.drive(&mut self.xs);
        let (ma, mb) = self.operand_mux();
        self.mul.a.set(ma);
        self.mul.b.set(mb);
    }

    fn connect(&mut self) {
        self.claim_outputs();
        self.mul.claim_inputs();
        self.xs.claim_inputs();
    }

    fn hdl(&self) -> Verilog {
        let w = self._w;
        let mb = w.mul;
        let pm = 2 * mb;
        let esb = w.es;
        let ops = self.xs.seq_operands();
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
            seq_decls = self.xs.seq_decls(),
            seq_wiring = self.xs.seq_wiring(),
            seq_step = self.xs.seq_step(
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
            scale_wires = self.xs.scale_wires("scale_in"),
        );
        Verilog::Custom(text)
    }
}

impl Component for Pe {
    fn kind(&self) -> String {
        "pe".into()
    }
    leaf_ports!(
        clock, rst, scale_in, scale_out, q_in, q_out, x_in, op_in, vld_in, x_out, op_out, vld_out,
        ps_in, ps_out, tag_out, rm_in, rm_vin, rm_out, rm_vout
    );
    fn tick(&mut self) {
        let w = self._w;
        let prod_q = self.mul.product();
        self.mul.tick();
        let s = &mut self._s;
        let o = s.clone();
        s.sc = self.scale_in.get();
        s.q_out = self.q_in.get();
        s.x_out = self.x_in.get();
        s.rm_out = self.rm_in.get();
        s.vld_d = self.vld_in.on();
        s.vld_d2 = o.vld_d;
        if self.rst.on() {
            s.op_out = 0;
            s.op_d = 0;
            s.op_d2 = 0;
            s.vld_out = false;
            s.tag_out = 0;
            s.rm_vout = false;
            s.seq.es = 0;
            return;
        }
        s.op_out = self.op_in.get();
        s.op_d = self.op_in.get();
        s.op_d2 = o.op_d;
        s.vld_out = self.vld_in.on();
        s.rm_vout = self.rm_vin.on();
        // Stage 2: the op of the previous cycle, with its registered product and today's ps_in.
        let ps_in = self.ps_in.get();
        let prod = prod_q;
        match o.op_d2 {
            op::MAC0 => {
                s.acc = Pe::wrap(prod, w.acc, true);
                s.row_valid = o.vld_d2;
            }
            op::MAC => s.acc = Pe::wrap(o.acc + prod, w.acc, true),
            op::LM => {
                s.ps_out = if o.row_valid && o.acc > ps_in {
                    o.acc
                } else {
                    ps_in
                };
            }
            op::SLD => s.ps_out = Pe::wrap(ps_in + (o.acc & ((1 << w.exp) - 1)), w.psum, true),
            op::SLNV => s.ps_out = Pe::wrap(ps_in + prod, w.psum, true),
            _ => {}
        }
        s.tag_out = match o.op_d2 {
            op::LM => tag::LM,
            op::SLD => tag::SLD,
            op::SLNV => tag::SLNV,
            _ => tag::NONE,
        };
        // Non-blocking semantics: every right-hand side reads the state before this edge (`o`);
        // the exp sequence's finish overrides an op's write of acc, as in the Verilog.
        let (seq, done) = o
            .seq
            .next(self.rm_vin.on(), self.rm_in.get() - o.acc, &self.xs);
        s.seq = seq;
        if let Some(v) = done {
            s.acc = if o.row_valid { v } else { 0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::exp_step::scale_pack;
    use crate::kit::cosim::{check_verilog, cosim, io_ports, vectors};
    use rand::{Rng, SeedableRng};

    fn configs() -> Vec<Config> {
        vec![
            Config::default(),
            Config {
                exp_frac_bits: 12,
                mul_bits: 16,
                exp_degree: 4,
                max_e: 32,
                data_bits: 6,
                rows: 3,
                ..Config::default()
            },
        ]
    }

    /// Random PE input sequences: any op in any cycle, exp sequences started at random.
    fn stimulus(cfg: &Config, seed: u64, cycles: usize) -> Vec<Vec<i128>> {
        let pe = Pe::new(cfg);
        let w = pe._w;
        let (ins, _) = io_ports(&pe);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut rows = vec![];
        for c in 0..cycles {
            let row: Vec<i128> = ins
                .iter()
                .map(|&(i, name)| {
                    let s = pe.port(i);
                    match name {
                        "rst" => (c < 2 || rng.gen_ratio(1, 500)) as i128,
                        "rm_vin" => rng.gen_ratio(1, 12) as i128,
                        "scale_in" => scale_pack(
                            vectors::random(&mut rng, w.mant, false),
                            rng.gen_range(0..8),
                            w.shift,
                        ),
                        "op_in" => rng.gen_range(0..6),
                        _ => vectors::random(&mut rng, s.width(), s.signed()),
                    }
                })
                .collect();
            rows.push(row);
        }
        rows
    }

    #[test]
    fn verilog_is_lint_clean() {
        for cfg in configs() {
            check_verilog(&Pe::new(&cfg)).unwrap();
        }
    }

    #[test]
    fn verilog_matches_model() {
        for (i, cfg) in configs().iter().enumerate() {
            cosim(Pe::new(cfg), &stimulus(cfg, 40 + i as u64, 20_000)).unwrap();
        }
    }
}
