//! `softmax_unit`: one unit of the 1D array, below one column of the 2D array. It holds the
//! per-query running state of the 1-pass cascade (running max RM, denominator RD, numerator
//! RNV[F] in a RAM) and reacts to the tagged partial sums arriving from the column:
//! - LM: RM' = max(RM, LM) (= LM on a block's first tile); RM' is sent up the column
//!   (`rm_out`/`rm_vout`, next cycle) and PRM = exp(RM - RM') starts on the unit's own exp
//!   sequence (exp_degree + 3 cycles, `exp_step` on a `mul_bits` multiplier);
//! - SLD: RD = SLD + rescale(RD, PRM); SLNV (the f-th after SLD): RNV[f] = SLNV + rescale(RNV[f],
//!   PRM) (on a block's first tile, RD = SLD and RNV[f] = SLNV). One per cycle, four pipeline
//!   stages: RNV[f] is read into a register, the operands are registered, the rescale product
//!   is registered, the sum is written back.
//! - `div_start` with `div_f` and `div_bank`: AV[f] = RNV[f] / RD of that bank on the iterative
//!   divider; the result comes out on `av` with an `av_valid` pulse out_bits + 6 cycles later
//!   (`div_busy` meanwhile).
//! RNV and RD are double-buffered by query block: `blk_start` makes the next LM start a new
//! block in the other bank, so the divisions of one block overlap the tiles of the next.

use crate::arith::exp_step::{scale_unpack, seq_bits, ExpSeq, ExpStep};
use crate::arith::{Divider, MulPipe, MulReg};
use crate::config::{ubits, Config};
use crate::kit::{sresize, zext, Component, Sig};
use crate::leaf_ports;
use crate::numerics::{self, Numerics};
use crate::pe::tag;
use crate::ram::Ram;
use rust_hdl::core::prelude::*;

/// Division sequencer states.
mod dv {
    pub const IDLE: u32 = 0;
    pub const READ: u32 = 1;
    /// RNV[f] is out of the RAM and into its output register.
    pub const RQ: u32 = 2;
    pub const START: u32 = 3;
    pub const WAIT: u32 = 4;
}

#[derive(Clone, Copy, Debug)]
struct W {
    psum: u32,
    score: u32,
    mul: u32,
    rnv: u32,
    rd: u32,
    exp: u32,
    out: u32,
    fb: u32,
    ab: u32,
    z_frac: u32,
    diff: u32,
    es: u32,
}

/// Control of one rescale in flight through the pipelined multiplier.
#[derive(Default, Clone, Copy, Debug)]
struct Stage {
    valid: bool,
    dst_rd: bool,
    bank: bool,
    first: bool,
    f: i128,
    v: i128,
}

#[derive(Default, Clone, Debug)]
struct State {
    /// The job's scale constant, registered here and passed on to the next unit.
    sc: i128,
    first: bool,
    newblk: bool,
    tb: bool,
    a_bank: bool,
    dvb: bool,
    rd1: i128,
    rm: i128,
    rm_out: i128,
    rm_vout: bool,
    seq: ExpSeq,
    prm: i128,
    f_cnt: i128,
    a_valid: bool,
    a_dst_rd: bool,
    a_first: bool,
    a_f: i128,
    a_v: i128,
    a_op: i128,
    /// The RNV RAMs' read data, registered (a block RAM is slow to its output).
    rq: [i128; 2],
    /// A rescale arriving (its RNV operand is in the RAMs' output registers a cycle later).
    b: Stage,
    b_rd: i128,
    m: [Stage; 2],
    rd: i128,
    dv_state: u32,
    dv_f: i128,
    av: i128,
    av_valid: bool,
}

/// One 1D-array unit.
#[derive(LogicBlock)]
pub struct SoftmaxUnit {
    pub clock: Sig,
    pub rst: Sig,
    pub scale_in: Sig,
    pub scale_out: Sig,
    pub blk_start: Sig,
    pub div_start: Sig,
    pub div_f: Sig,
    pub div_bank: Sig,
    pub ps_in: Sig,
    pub tag_in: Sig,
    pub rm_out: Sig,
    pub rm_vout: Sig,
    pub av: Sig,
    pub av_valid: Sig,
    pub div_busy: Sig,
    pub exp_mul: MulReg,
    pub xs: ExpStep,
    pub rs_mul: MulPipe,
    pub rnv0: Ram,
    pub rnv1: Ram,
    pub div: Divider,
    _w: W,
    _n: Numerics,
    _s: State,
}

/// Width of the job's F field (1 ..= max_f).
pub fn f_bits(cfg: &Config) -> u32 {
    ubits(cfg.max_f as u128)
}

impl SoftmaxUnit {
    pub fn new(cfg: &Config) -> SoftmaxUnit {
        let d = cfg.derived();
        let xs = ExpStep::new(cfg);
        let w = W {
            psum: d.psum_bits,
            score: d.score_bits,
            mul: cfg.mul_bits,
            rnv: d.rnv_bits,
            rd: d.rd_bits,
            exp: d.exp_bits,
            out: d.out_bits,
            fb: f_bits(cfg),
            ab: Ram::addr_bits(cfg.max_f),
            z_frac: d.z_frac_bits,
            diff: d.diff_bits,
            es: seq_bits(cfg.exp_degree),
        };
        SoftmaxUnit {
            clock: Sig::input(1),
            rst: Sig::input(1),
            scale_in: Sig::input(xs.scale_bits()),
            scale_out: Sig::output(xs.scale_bits()),
            blk_start: Sig::input(1),
            div_start: Sig::input(1),
            div_f: Sig::input(Ram::addr_bits(cfg.max_f)),
            div_bank: Sig::input(1),
            ps_in: Sig::input_s(w.psum),
            tag_in: Sig::input(tag::BITS),
            rm_out: Sig::output_s(w.score),
            rm_vout: Sig::output(1),
            av: Sig::output_s(w.out),
            av_valid: Sig::output(1),
            div_busy: Sig::output(1),
            exp_mul: MulReg::new(w.mul, w.mul),
            xs,
            rs_mul: MulPipe::new(w.rnv, w.mul),
            rnv0: Ram::new(w.rnv, cfg.max_f, true),
            rnv1: Ram::new(w.rnv, cfg.max_f, true),
            div: Divider::new(cfg),
            _w: w,
            _n: Numerics::from_derived(cfg, &d),
            _s: State {
                tb: true,
                ..State::default()
            },
        }
    }

    /// Running max RM (for tests).
    pub fn rm(&self) -> i128 {
        self._s.rm
    }
    /// Running denominator RD (for tests).
    pub fn rd(&self) -> i128 {
        if self._s.tb {
            self._s.rd1
        } else {
            self._s.rd
        }
    }
    /// PRM of the current tile (for tests).
    pub fn prm(&self) -> i128 {
        self._s.prm
    }
    /// Running numerator RNV[f] (for tests).
    pub fn rnv(&self, f: usize) -> i128 {
        if self._s.tb {
            self.rnv1.word(f)
        } else {
            self.rnv0.word(f)
        }
    }

    /// RM after an LM event: LM on a block's first tile, else max(RM, LM).
    fn rm_new(&self) -> i128 {
        let lm = wrap(self.ps_in.get(), self._w.score, true);
        if self._s.newblk || lm > self._s.rm {
            lm
        } else {
            self._s.rm
        }
    }
}

fn wrap(v: i128, w: u32, s: bool) -> i128 {
    crate::kit::sig::wrap(v, w, s)
}

impl Logic for SoftmaxUnit {
    fn update(&mut self) {
        let s = &self._s;
        self.rm_out.set(s.rm_out);
        self.rm_vout.set_bool(s.rm_vout);
        self.av.set(s.av);
        self.av_valid.set_bool(s.av_valid);
        self.div_busy.set_bool(s.dv_state != dv::IDLE);
        // The exp multiplier serves only the sequence: (p, f) when it is idle.
        let (ea, eb) = s
            .seq
            .operands(scale_unpack(s.sc, self.xs.sc_shift.width()).0, &self.xs)
            .unwrap_or((s.seq.p, s.seq.z & ((1 << self._w.z_frac) - 1)));
        self.exp_mul.a.set(ea);
        self.exp_mul.b.set(eb);
        self.scale_out.set(s.sc);
        let shb = self.xs.sc_shift.width();
        self.xs.sc_shift.set(scale_unpack(s.sc, shb).1);
        self.xs.prod.set(self.exp_mul.product());
        s.seq.drive(&mut self.xs);
        let is_sld = self.tag_in.get() == tag::SLD;
        self.rs_mul.a.set(s.a_op);
        self.rs_mul.b.set(s.prm);
        self.rs_mul.clock.set(self.clock.get());
        let tile_addr = if is_sld { 0 } else { s.f_cnt + 1 };
        let dividing = s.dv_state != dv::IDLE;
        let b = &s.m[1];
        let result = if b.first {
            b.v
        } else {
            b.v + numerics::rescale_round(self.rs_mul.p.get(), &self._n)
        };
        for (k, ram) in [(false, &mut self.rnv0), (true, &mut self.rnv1)] {
            ram.raddr.set(if dividing && s.dvb == k {
                s.dv_f
            } else {
                tile_addr
            });
            ram.we.set_bool(b.valid && !b.dst_rd && b.bank == k);
            ram.waddr.set(b.f);
            ram.wdata.set(result);
            ram.clock.set(self.clock.get());
        }
        self.div.clock.set(self.clock.get());
        self.div.rst.set(self.rst.get());
        self.div.start.set_bool(s.dv_state == dv::START);
        self.div.num.set(s.rq[s.dvb as usize]);
        self.div.den.set(if s.dvb { s.rd1 } else { s.rd });
    }

    fn connect(&mut self) {
        self.claim_outputs();
        self.exp_mul.claim_inputs();
        self.xs.claim_inputs();
        self.rs_mul.claim_inputs();
        self.rnv0.claim_inputs();
        self.rnv1.claim_inputs();
        self.div.claim_inputs();
    }

    fn hdl(&self) -> Verilog {
        let w = self._w;
        let mb = w.mul;
        let esb = w.es;
        let rsp = w.rnv + w.mul; // rescale product width
        let fx = self._n.exp_frac;
        let ops = self.xs.seq_operands();
        let text = format!(
            r#"// @leaf softmax_unit
{scale_wires}reg first;
reg newblk;
reg tb;
reg a_bank;
reg dvb;
reg signed [{scm}:0] rm;
{seq_decls}reg [{expm}:0] prm;
reg [{fbm}:0] f_cnt;
reg a_valid;
reg a_dst_rd;
reg a_first;
reg [{abm}:0] a_f;
reg signed [{psm}:0] a_v;
reg signed [{rnvm}:0] a_op;
reg signed [{rnvm}:0] rq0;
reg signed [{rnvm}:0] rq1;
reg b_valid, b_dst_rd, b_bank, b_first;
reg [{abm}:0] b_f;
reg signed [{psm}:0] b_v;
reg signed [{rnvm}:0] b_rd;
reg m1_valid, m1_dst_rd, m1_bank, m1_first;
reg [{abm}:0] m1_f;
reg signed [{psm}:0] m1_v;
reg m2_valid, m2_dst_rd, m2_bank, m2_first;
reg [{abm}:0] m2_f;
reg signed [{psm}:0] m2_v;
wire signed [{epm}:0] eprod_q = exp_mul$p; // the product of the operands of two edges ago
reg signed [{mbm}:0] emux_a;
reg signed [{mbm}:0] emux_b;
reg [{rdm}:0] rd0;
reg [{rdm}:0] rd1;
reg [2:0] dv_state;
reg [{abm}:0] dv_f;
wire is_lm = tag_in == 2'd{tlm};
wire is_sld = tag_in == 2'd{tsld};
wire is_slnv = tag_in == 2'd{tslnv};
wire signed [{scm}:0] ps_lm = ps_in[{scm}:0];
// LM - RM in one subtraction: its sign picks RM' and it is D = RM' - RM when LM is the new max
wire signed [{sc}:0] lm_raw = {psl_ext} - {rm_ext};
wire lm_up = newblk || !lm_raw[{sc}];
wire signed [{scm}:0] rm_new = lm_up ? ps_lm : rm;
wire [{rdm}:0] rd_t = tb ? rd1 : rd0;
wire dividing = dv_state != 3'd0;
wire [{abm}:0] tile_addr = is_sld ? {ab}'d0 : {fn_a};
/* verilator lint_off UNUSEDSIGNAL */ // D = RM' - RM fits its low {diff} bits; the top bits of
// the rounded rescale product are those of the product
wire signed [{sc}:0] d_sub = lm_up ? lm_raw : {sc1}'sd0;
wire signed [{rspm}:0] a_round = (rs_mul$p + {rsp}'sd{half}) >>> {fx};
/* verilator lint_on UNUSEDSIGNAL */
wire signed [{rnvm}:0] result = m2_first ? {m2v_ext} : {m2v_ext} + a_round[{rnvm}:0];
wire [{fbm}:0] f_next = f_cnt + {fb}'d1;
always @(*) begin
    if ({op1c}) begin
        emux_a = {op1a};
        emux_b = {op1b};
    end else begin
        emux_a = {op2a};
        emux_b = {op2b};
    end
    exp_mul$clock = clock;
    exp_mul$a = emux_a;
    exp_mul$b = emux_b;
    xs$sc_shift = sc_shift;
    xs$prod = eprod_q;
{seq_wiring}    rs_mul$clock = clock;
    rs_mul$a = a_op;
    rs_mul$b = $signed({prm_ext});
    rnv0$clock = clock;
    rnv0$raddr = (dividing && !dvb) ? dv_f : tile_addr;
    rnv0$we = m2_valid && !m2_dst_rd && !m2_bank;
    rnv0$waddr = m2_f;
    rnv0$wdata = result;
    rnv1$clock = clock;
    rnv1$raddr = (dividing && dvb) ? dv_f : tile_addr;
    rnv1$we = m2_valid && !m2_dst_rd && m2_bank;
    rnv1$waddr = m2_f;
    rnv1$wdata = result;
    div$clock = clock;
    div$rst = rst;
    div$start = dv_state == 3'd3;
    div$num = dvb ? rq1 : rq0;
    div$den = dvb ? rd1 : rd0;
    div_busy = dv_state != 3'd0;
end
// kept, as sc_loc is: the two hold the same value for different loads (the next unit, this
// unit's exp logic)
(* keep *) always @(posedge clock) scale_out <= scale_in;
always @(posedge clock) begin
    if (rst) begin
        first <= 1'b1;
        newblk <= 1'b0;
        tb <= 1'b1;
        rm_vout <= 1'b0;
        es <= {esb}'d0;
        a_valid <= 1'b0;
        b_valid <= 1'b0;
        m1_valid <= 1'b0;
        m2_valid <= 1'b0;
        dv_state <= 3'd0;
        av_valid <= 1'b0;
    end else begin
        rq0 <= rnv0$rdata;
        rq1 <= rnv1$rdata;
        a_valid <= b_valid;
        a_dst_rd <= b_dst_rd;
        a_bank <= b_bank;
        a_first <= b_first;
        a_f <= b_f;
        a_v <= b_v;
        a_op <= b_dst_rd ? b_rd : (b_bank ? rq1 : rq0);
        m1_valid <= a_valid;
        m1_dst_rd <= a_dst_rd;
        m1_bank <= a_bank;
        m1_first <= a_first;
        m1_f <= a_f;
        m1_v <= a_v;
        m2_valid <= m1_valid;
        m2_dst_rd <= m1_dst_rd;
        m2_bank <= m1_bank;
        m2_first <= m1_first;
        m2_f <= m1_f;
        m2_v <= m1_v;
        rm_vout <= 1'b0;
        av_valid <= 1'b0;
        b_valid <= 1'b0;
        if (is_lm) begin
            first <= newblk;
            newblk <= 1'b0;
            if (newblk) tb <= !tb;
            rm <= rm_new;
            rm_out <= rm_new;
            rm_vout <= 1'b1;
        end
{seq_step}        if (is_sld) begin
            b_valid <= 1'b1;
            b_dst_rd <= 1'b1;
            b_bank <= tb;
            b_first <= first;
            b_v <= ps_in;
            b_rd <= $signed({rd_ext});
            f_cnt <= {fb}'d0;
        end else if (is_slnv) begin
            b_valid <= 1'b1;
            b_dst_rd <= 1'b0;
            b_bank <= tb;
            b_first <= first;
            b_f <= {fc_a};
            b_v <= ps_in;
            f_cnt <= f_next;
        end
        if (blk_start) newblk <= 1'b1;
        if (m2_valid && m2_dst_rd) begin
            if (m2_bank) rd1 <= result[{rdm}:0];
            else rd0 <= result[{rdm}:0];
        end
        if (div_start) begin
            dv_state <= 3'd1;
            dv_f <= div_f;
            dvb <= div_bank;
        end else if (dv_state == 3'd1) begin
            dv_state <= 3'd2;
        end else if (dv_state == 3'd2) begin
            dv_state <= 3'd3;
        end else if (dv_state == 3'd3) begin
            dv_state <= 3'd4;
        end else if (dv_state == 3'd4 && div$done) begin
            av <= div$q;
            av_valid <= 1'b1;
            dv_state <= 3'd0;
        end
    end
end
"#,
            scm = w.score - 1,
            scale_wires = self.xs.scale_wires("scale_in"),
            sc = w.score,
            expm = w.exp - 1,
            fbm = w.fb - 1,
            fb = w.fb,
            psm = w.psum - 1,
            rspm = rsp - 1,
            rsp = rsp,
            rdm = w.rd - 1,
            rnvm = w.rnv - 1,
            diff = w.diff,
            tlm = tag::LM,
            tsld = tag::SLD,
            tslnv = tag::SLNV,
            psl_ext = format!("$signed({})", sresize("ps_lm", w.score, w.score + 1)),
            sc1 = w.score + 1,
            rm_ext = format!("$signed({})", sresize("rm", w.score, w.score + 1)),
            half = 1u128 << (fx - 1),
            rd_ext = zext("rd_t", w.rd, w.rnv),
            prm_ext = zext("prm", w.exp, mb),
            ab = w.ab,
            fn_a = addr("f_next", w.fb, w.ab),
            fc_a = addr("f_cnt", w.fb, w.ab),
            seq_decls = self.xs.seq_decls(),
            seq_wiring = self.xs.seq_wiring(),
            seq_step = self.xs.seq_step(
                "is_lm",
                &format!("d_sub[{}:0]", w.diff - 1),
                "prm <= xs$sln;"
            ),
            mbm = mb - 1,
            epm = 2 * mb - 1,
            m2v_ext = format!("$signed({})", sresize("m2_v", w.psum, w.rnv)),
            op1c = ops[0].0,
            op1a = ops[0].1,
            op1b = ops[0].2,
            op2a = ops[1].1,
            op2b = ops[1].2,
            abm = w.ab - 1,
        );
        Verilog::Custom(text)
    }
}

/// Address expression of `e` (counter width `fb`) for a RAM of address width `ab`.
fn addr(e: &str, fb: u32, ab: u32) -> String {
    if fb > ab {
        format!("{e}[{}:0]", ab - 1)
    } else {
        zext(e, fb, ab)
    }
}

impl Component for SoftmaxUnit {
    fn kind(&self) -> String {
        "softmax_unit".into()
    }
    leaf_ports!(
        clock, rst, scale_in, scale_out, blk_start, div_start, div_f, div_bank, ps_in, tag_in,
        rm_out, rm_vout, av, av_valid, div_busy
    );
    fn tick(&mut self) {
        let w = self._w;
        let rm_new = self.rm_new();
        let o = self._s.clone();
        let b = o.m[1];
        let result = if b.first {
            b.v
        } else {
            b.v + numerics::rescale_round(self.rs_mul.p.get(), &self._n)
        };
        let tg = self.tag_in.get();
        let rd_t = if o.tb { o.rd1 } else { o.rd };
        let rdata = [self.rnv0.rdata.get(), self.rnv1.rdata.get()];
        self.exp_mul.tick();
        self.xs.tick();
        self.rs_mul.tick();
        self.rnv0.tick();
        self.rnv1.tick();
        self.div.tick();
        let s = &mut self._s;
        s.sc = self.scale_in.get();
        if self.rst.on() {
            s.first = true;
            s.newblk = false;
            s.tb = true;
            s.rm_vout = false;
            s.seq.es = 0;
            s.a_valid = false;
            s.b.valid = false;
            s.m = [Stage::default(); 2];
            s.dv_state = dv::IDLE;
            s.av_valid = false;
            return;
        }
        s.rm_vout = false;
        s.av_valid = false;
        s.rq = rdata;
        s.a_valid = o.b.valid;
        s.a_dst_rd = o.b.dst_rd;
        s.a_bank = o.b.bank;
        s.a_first = o.b.first;
        s.a_f = o.b.f;
        s.a_v = o.b.v;
        s.a_op = if o.b.dst_rd {
            o.b_rd
        } else {
            o.rq[o.b.bank as usize]
        };
        s.b.valid = false;
        if tg == tag::LM {
            s.first = o.newblk;
            s.newblk = false;
            if o.newblk {
                s.tb = !o.tb;
            }
            s.rm = rm_new;
            s.rm_out = rm_new;
            s.rm_vout = true;
        }
        s.m = [
            Stage {
                valid: o.a_valid,
                dst_rd: o.a_dst_rd,
                bank: o.a_bank,
                first: o.a_first,
                f: o.a_f,
                v: o.a_v,
            },
            o.m[0],
        ];
        let (seq, done) = o.seq.next(tg == tag::LM, rm_new - o.rm, &self.xs);
        s.seq = seq;
        if let Some(v) = done {
            s.prm = v;
        }
        let f_next = wrap(o.f_cnt + 1, w.fb, false);
        if tg == tag::SLD || tg == tag::SLNV {
            let sld = tg == tag::SLD;
            s.b = Stage {
                valid: true,
                dst_rd: sld,
                bank: o.tb,
                first: o.first,
                f: if sld { o.b.f } else { o.f_cnt },
                v: self.ps_in.get(),
            };
            if sld {
                s.b_rd = rd_t;
                s.f_cnt = 0;
            } else {
                s.f_cnt = f_next;
            }
        }
        if self.blk_start.on() {
            s.newblk = true;
        }
        if b.valid && b.dst_rd {
            if b.bank {
                s.rd1 = wrap(result, w.rd, false);
            } else {
                s.rd = wrap(result, w.rd, false);
            }
        }
        if self.div_start.on() {
            s.dv_state = dv::READ;
            s.dv_f = self.div_f.get();
            s.dvb = self.div_bank.on();
        } else if o.dv_state == dv::READ {
            s.dv_state = dv::RQ;
        } else if o.dv_state == dv::RQ {
            s.dv_state = dv::START;
        } else if o.dv_state == dv::START {
            s.dv_state = dv::WAIT;
        } else if o.dv_state == dv::WAIT && self.div.done.on() {
            s.av = self.div.q.get();
            s.av_valid = true;
            s.dv_state = dv::IDLE;
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
                exp_degree: 2,
                max_e: 32,
                max_f: 5,
                max_seq_kv: 3000,
                data_bits: 6,
                rows: 3,
                ..Config::default()
            },
        ]
    }

    fn stimulus(cfg: &Config, seed: u64, cycles: usize) -> Vec<Vec<i128>> {
        let u = SoftmaxUnit::new(cfg);
        let (mb, shb) = (u.xs.dn.width(), u.xs.sc_shift.width());
        let (ins, _) = io_ports(&u);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..cycles)
            .map(|c| {
                ins.iter()
                    .map(|&(i, name)| {
                        let s = u.port(i);
                        match name {
                            "rst" => (c < 2 || rng.gen_ratio(1, 3000)) as i128,
                            "scale_in" => scale_pack(
                                vectors::random(&mut rng, mb, false),
                                rng.gen_range(0..8),
                                shb,
                            ),
                            "blk_start" => rng.gen_ratio(1, 200) as i128,
                            "div_start" => rng.gen_ratio(1, 300) as i128,
                            "tag_in" => [0, 0, 0, 1, 2, 3, 3, 3][rng.gen_range(0..8)],
                            _ => vectors::random(&mut rng, s.width(), s.signed()),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn verilog_is_lint_clean() {
        for cfg in configs() {
            check_verilog(&SoftmaxUnit::new(&cfg)).unwrap();
        }
    }

    #[test]
    fn verilog_matches_model() {
        for (i, cfg) in configs().iter().enumerate() {
            cosim(SoftmaxUnit::new(cfg), &stimulus(cfg, 60 + i as u64, 20_000)).unwrap();
        }
    }
}
