//! `pe`: the 2D-array processing element of FuseMax.
//!
//! One multiplier (the `mul_reg` leaf) shared by every operation, two accumulators `acc0`,
//! `acc1` (the paper's small register file: the score BQK of one tile, then in place SLN =
//! exp(BQK - RM), while the other holds the other tile in flight), and four links:
//! - `q` flows down (Q streams down its column), `x` with `op` and `vld` flows right (K, then V,
//!   stream along the row; `op` = {bank, code} says what to do with it and with which
//!   accumulator), each registered (1 cycle per PE);
//! - the partial sum `ps` with its `tag` flows down: the LM max and the SLD/SLNV sums, reduced
//!   over the column into the 1D unit below;
//! - the running max `rm` flows up from the 1D unit; as it passes, the PE latches D = rm - acc
//!   for the tile of its last LM.
//!
//! Operations are pipelined in three stages: in the cycle `op` arrives the multiplier's operands
//! are selected and registered, in the next the product is registered, and in the third the op
//! takes effect on accumulator `bank`, reading `ps_in` then:
//! - `MAC0`/`MAC`: acc = q * x (and latch `vld`: is this row a real key) / acc += q * x;
//! - `LM`/`LM0`: ps = max(ps, acc) if the row is valid, else ps (tag LM / LM0: LM0 is a query
//!   block's first tile);
//! - `SLD`: ps = ps + acc (tag SLD); `SLNV`: ps = ps + acc * x (tag SLNV).
//!
//! `EXP` starts the exp sequence (`arith::exp_step::describe_seq`) from the latched D, on the
//! same multiplier: dn = prescale(D) in two stages, z = round(dn * mant) (the multiplier in
//! the 3rd cycle after EXP), degree Horner steps p = round(p * f) + a_k (the multiplier in
//! the 6th, 9th, .. cycle), acc = finish(p, int(z)) (0 for an invalid row) 3d + 7 cycles
//! after EXP (`exp_latency` = 3d + 8). The schedule keeps MACs out of the exp's multiplier
//! slots. Latency: links 1 cycle; `ps_out` 3 cycles after its op arrives.

use crate::arith::exp_step::{describe_seq, seq_bits};
use crate::arith::mul_reg;
use crate::config::Config;
use crate::ir::{case, select, Circuit, Module, Reg, Signal};
use crate::ir_leaf;

/// Operation codes travelling with `x`.
pub mod op {
    pub const NOP: i128 = 0;
    pub const MAC0: i128 = 1;
    pub const MAC: i128 = 2;
    pub const LM: i128 = 3;
    pub const SLD: i128 = 4;
    pub const SLNV: i128 = 5;
    /// Start the exp sequence SLN = exp(BQK - RM) on the accumulator of the op's bank.
    pub const EXP: i128 = 6;
    /// LM of a query block's first tile: the 1D unit starts the block's running state.
    pub const LM0: i128 = 7;
    /// Width of an op code.
    pub const CODE_BITS: u32 = 3;
    /// The accumulator bank bit above the code: {bank, code}.
    pub const BANK: i128 = 1 << CODE_BITS;
    /// Width of the op field.
    pub const BITS: u32 = CODE_BITS + 1;
}

/// Tags of the partial sum travelling down.
pub mod tag {
    pub const NONE: i128 = 0;
    pub const LM: i128 = 1;
    pub const SLD: i128 = 2;
    pub const SLNV: i128 = 3;
    /// LM of a block's first tile.
    pub const LM0: i128 = 4;
    /// Width of the tag field.
    pub const BITS: u32 = 3;
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

ir_leaf! {
    /// The processing element, simulated and emitted from [`describe`].
    pub struct Pe {
        clock, rst, scale_in, scale_out, q_in, q_out, x_in, op_in, vld_in, x_out, op_out,
        vld_out, ps_in, ps_out, tag_out, rm_in, rm_vin, rm_out, rm_vout
    }
    extra { _w: PeWidths }
}

impl Pe {
    /// The PE of `cfg`.
    pub fn new(cfg: &Config) -> Pe {
        Pe::from_circuit(describe(cfg), PeWidths::new(cfg))
    }

    /// Accumulator `bank`: the score after BQK, SLN after the exp sequence (for tests).
    pub fn acc(&self, bank: usize) -> i128 {
        crate::kit::sig::wrap(
            self.ir_sim().peek(&format!("acc{bank}")) as i128,
            self._w.acc,
            true,
        )
    }
}

/// The PE of the array: [`describe_core`] with its own flip-flop of the reset tree (`rst_q`,
/// kept, as `reset_reg` is for the other blocks; the PE's registers reset a cycle after
/// `rst`), inside the PE so that the array writes no reset instance and net per PE.
pub fn describe(cfg: &Config) -> Circuit {
    describe_with(cfg, true)
}

/// The PE described once (see the module doc): the `mul` instance of `mul_reg`, the exp
/// sequence with its `xs` instance of `exp_step`, the accumulator and the links; `rst`
/// resets its registers at once.
pub fn describe_core(cfg: &Config) -> Circuit {
    describe_with(cfg, false)
}

fn describe_with(cfg: &Config, local_reset: bool) -> Circuit {
    let w = PeWidths::new(cfg);
    let mb = w.mul;
    let scale_bits = w.mant + w.shift;
    let mut m = Module::new("pe", "");
    m.clock("clock");
    let rst_in = m.input("rst", 1);
    let rst = if local_reset {
        let q = m
            .reg("rst_q", 1)
            .keep()
            .note("the PE's flip-flop of the reset tree");
        q.set(&rst_in);
        q.q()
    } else {
        rst_in
    };
    let scale_in = m.input("scale_in", scale_bits);
    // kept: PEs on one anti-diagonal hold equal scale registers, and merged into one they
    // would drive the whole diagonal across the chip (sc_loc is the PE's own copy)
    let scale_out = m.output_reg("scale_out", scale_bits).keep();
    let q_in = m.input_s("q_in", w.data);
    let q_out = m.output_reg_s("q_out", w.data);
    let x_in = m.input_s("x_in", w.data);
    let op_in = m.input("op_in", op::BITS);
    let vld_in = m.input("vld_in", 1);
    let x_out = m.output_reg_s("x_out", w.data);
    let op_out = m.output_reg("op_out", op::BITS).reset(&rst, 0);
    let vld_out = m.output_reg("vld_out", 1).reset(&rst, 0);
    let ps_in = m.input_s("ps_in", w.psum);
    let ps_out = m.output_reg_s("ps_out", w.psum);
    let tag_out = m.output_reg("tag_out", tag::BITS).reset(&rst, 0);
    let rm_in = m.input_s("rm_in", w.score);
    let rm_vin = m.input("rm_vin", 1);
    let rm_out = m.output_reg_s("rm_out", w.score);
    let rm_vout = m.output_reg("rm_vout", 1).reset(&rst, 0);

    // two accumulators, one per tile in flight (the tile's bank bit travels with its ops): the
    // score of one tile while the other holds SLN for its SLNV
    let acc = [m.reg_s("acc0", w.acc), m.reg_s("acc1", w.acc)];
    let row_valid = [m.reg("row_valid0", 1), m.reg("row_valid1", 1)];
    let lm_bk = m
        .reg("lm_bk", 1)
        .note("the bank of the last LM: RM' coming back is for that tile");
    let ex_bk = m
        .reg("ex_bk", 1)
        .note("the bank of the running exp sequence");
    let op_d = m.reg("op_d", op::BITS).reset(&rst, 0);
    let vld_d = m.reg("vld_d", 1);
    let op_d2 = m.reg("op_d2", op::BITS).reset(&rst, 0);
    let vld_d2 = m.reg("vld_d2", 1);
    // the job's scale, registered beside the exp logic
    let sc_loc = m.reg("sc_loc", scale_bits).keep();
    sc_loc.set(&scale_in);
    let sc_mant = sc_loc.slice(scale_bits - 1, w.shift).named("sc_mant");
    let sc_shift = sc_loc.slice(w.shift - 1, 0).named("sc_shift");
    let code_in = op_in.slice(op::CODE_BITS - 1, 0).named("code_in");
    let bk_in = op_in.bit(op::CODE_BITS).named("bk_in");
    let code2 = op_d2.slice(op::CODE_BITS - 1, 0).named("code2");
    let bk2 = op_d2.bit(op::CODE_BITS).named("bk2");
    let pick = |b: &Signal, v: &[Reg; 2]| b.mux(&v[1], &v[0]);
    let acc2 = pick(&bk2, &acc).named("acc2"); // the accumulator of the op in stage 3
    let rv2 = pick(&bk2, &row_valid).named("rv2");
    let acc_ps = acc2.resize(w.psum).named("acc_ps");
    let sln2 = acc2.slice(w.exp - 1, 0).named("sln2");
    let sln_in = pick(&bk_in, &acc).slice(w.exp - 1, 0).named("sln_in");
    // D = RM - S fits its low `diff` bits; latched as RM' passes, for the tile of the last LM
    let d_sub = rm_in
        .resize(w.acc + 1)
        .sub_wrap(&pick(&lm_bk.q(), &acc).ext(w.acc + 1))
        .named("d_sub");
    let mul = m.instance("mul", &mul_reg::describe(mb, mb));
    let prod_q = mul.out("p").named("prod_q"); // the product of the operands of two edges ago
    let exp_start = code_in.is(op::EXP).named("exp_start");
    let seq = describe_seq(
        &mut m,
        cfg,
        &rst,
        &exp_start,
        &rm_vin,
        &d_sub.slice(w.diff - 1, 0),
        &sc_shift,
        &prod_q,
    );
    let is_slnv = code_in.is(op::SLNV);
    let x_op = x_in.resize(mb);
    let mux_a = select(
        &[
            (&seq.zop, &seq.dn_op),
            (&seq.hop, &seq.p_op),
            (&is_slnv, &sln_in.ext(mb).as_signed()),
        ],
        &q_in.resize(mb),
    )
    .named("mux_a");
    let mant_op = sc_mant.ext(mb).as_signed();
    let mux_b = select(&[(&seq.zop, &mant_op), (&seq.hop, &seq.f_op)], &x_op).named("mux_b");
    mul.set("a", &mux_a);
    mul.set("b", &mux_b);

    scale_out.set(&scale_in);
    q_out.set(&q_in);
    x_out.set(&x_in);
    rm_out.set(&rm_in);
    vld_d.set(&vld_in);
    vld_d2.set(&vld_d);
    op_out.set(&op_in);
    op_d.set(&op_in);
    op_d2.set(&op_d);
    vld_out.set(&vld_in);
    rm_vout.set(&rm_vin);
    let prod_acc = prod_q.resize(w.acc);
    m.when(&rst.not(), |m| {
        m.when(&exp_start, |_| ex_bk.set(&bk_in));
        m.switch(&code2, |sw| {
            sw.case(op::MAC0, |m| {
                for b in 0..2 {
                    m.when(&bk2.eq(&bk2.lit(b as i128)), |_| {
                        acc[b].set(&prod_acc);
                        row_valid[b].set(&vld_d2);
                    });
                }
            });
            sw.case(op::MAC, |m| {
                for b in 0..2 {
                    m.when(&bk2.eq(&bk2.lit(b as i128)), |_| {
                        acc[b].set(&acc[b].add_wrap(&prod_acc))
                    });
                }
            });
            for lm in [op::LM, op::LM0] {
                sw.case(lm, |_| {
                    ps_out.set(&rv2.and(&acc_ps.gt(&ps_in)).mux(&acc_ps, &ps_in));
                    lm_bk.set(&bk2);
                });
            }
            sw.case(op::SLD, |_| {
                ps_out.set(&ps_in.add_wrap(&sln2.ext(w.psum).as_signed()))
            });
            sw.case(op::SLNV, |_| {
                ps_out.set(&ps_in.add_wrap(&prod_q.resize(w.psum)))
            });
        });
        let t = |v: i128| tag_out.lit(v);
        tag_out.set(&case(
            &code2,
            &[
                (op::LM, &t(tag::LM)),
                (op::LM0, &t(tag::LM0)),
                (op::SLD, &t(tag::SLD)),
                (op::SLNV, &t(tag::SLNV)),
            ],
            &t(tag::NONE),
        ));
        // the exp sequence's finish overrides an op's write of its accumulator
        for b in 0..2 {
            m.when(&seq.fin.and(&ex_bk.eq(&ex_bk.lit(b as i128))), |_| {
                acc[b].set(&row_valid[b].mux(&seq.sln.ext(w.acc).as_signed(), &acc[b].lit(0)))
            });
        }
    });
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::exp_step::scale_pack;
    use crate::kit::cosim::{check_verilog, cosim, io_ports, vectors};
    use crate::kit::Component;
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
                        "op_in" => rng.gen_range(0..16),
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
