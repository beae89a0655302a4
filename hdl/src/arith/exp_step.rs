//! `exp_step`: the arithmetic of one step of exp(-D c) = 2^-z, shared by the 2D PEs and the 1D
//! units, which sequence it on their own multiplier (see `numerics` for the formulas):
//! - `w_pre = prescale_coarse(d)` then `dn = prescale_round(prescale_fine(pre))`: D * 2^(left -
//!   sc_shift), rounded, saturated to the mantissa width, in two halves (a clock stage
//!   between them in the sequencers: the shift by the multiple of 4 in sc_shift, then the
//!   rest of the shift and the rounding);
//! - `z = z_round(prod)`: the multiplier's dn * mant, rounded and saturated (exp input);
//! - `p_next = horner_round(prod) + a[k]`: one Horner step on the multiplier's p * f;
//! - `sln = exp_finish(p, zi)` in two halves (a clock stage between them in the sequencers):
//!   `w_sh = exp_shift(p, zi)`, p clamped to [0, 1] and shifted by z's integer part, then
//!   `sln = exp_round(sh)`.
//!
//! `p_first` is the leading coefficient a[degree] (the Horner start). Combinational (latency 0).

use crate::config::Config;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use crate::numerics::{self, Numerics};
use rust_hdl::core::prelude::*;

/// The exp step functions of one config.
#[derive(LogicBlock)]
pub struct ExpStep {
    pub d: Sig,
    pub sc_shift: Sig,
    pub w_pre: Sig,
    pub pre: Sig,
    pub dn: Sig,
    pub prod: Sig,
    pub z: Sig,
    pub k: Sig,
    pub p_next: Sig,
    pub p_first: Sig,
    pub p: Sig,
    pub zi: Sig,
    pub w_sh: Sig,
    pub sh: Sig,
    pub sln: Sig,
    _n: Numerics,
    _mul_bits: u32,
}

/// Width of the coefficient index of an exp_step for `degree` (the width of the sequencers'
/// step counters, which count to degree + 2).
pub fn k_bits(degree: u32) -> u32 {
    crate::config::ubits(degree as u128 + 2)
}

/// Width of the prescale's working value D * 2^(left + 1) (the coarse-shifted register).
pub fn pre_bits(cfg: &Config) -> u32 {
    let d = cfg.derived();
    d.diff_bits + Numerics::from_derived(cfg, &d).scale_left + 1
}

impl ExpStep {
    pub fn new(cfg: &Config) -> ExpStep {
        let d = cfg.derived();
        let n = Numerics::from_derived(cfg, &d);
        let mb = cfg.mul_bits;
        ExpStep {
            d: Sig::input(d.diff_bits),
            sc_shift: Sig::input(d.scale_shift_bits),
            w_pre: Sig::output(pre_bits(cfg)),
            pre: Sig::input(pre_bits(cfg)),
            dn: Sig::output(d.scale_mant_bits),
            prod: Sig::input_s(2 * mb),
            z: Sig::output(d.z_bits),
            k: Sig::input(k_bits(cfg.exp_degree)),
            p_next: Sig::output_s(mb),
            p_first: Sig::output_s(mb),
            p: Sig::input_s(mb),
            zi: Sig::input(d.z_bits - d.z_frac_bits),
            w_sh: Sig::output(n.exp_frac + 2),
            sh: Sig::input(n.exp_frac + 2),
            sln: Sig::output(d.exp_bits),
            _n: n,
            _mul_bits: mb,
        }
    }
}

impl Logic for ExpStep {
    fn update(&mut self) {
        let n = &self._n;
        let shift = self.sc_shift.bits() as u32;
        self.w_pre
            .set(numerics::prescale_coarse(self.d.bits(), shift, n) as i128);
        let (lo, ovf) = numerics::prescale_fine(self.pre.bits(), shift, n);
        self.dn.set(numerics::prescale_round(lo, ovf, n) as i128);
        self.z.set(numerics::z_round(self.prod.bits(), n) as i128);
        let k = (self.k.bits() as usize).min(n.coeffs.len() - 1);
        self.p_next
            .set((numerics::horner_round(self.prod.get(), n) + n.coeffs[k]) as i128);
        self.p_first.set(n.coeffs[n.coeffs.len() - 1] as i128);
        self.w_sh
            .set(numerics::exp_shift(self.p.get() as i64, self.zi.bits() as u32, n) as i128);
        self.sln
            .set(numerics::exp_round(self.sh.bits() as u64) as i128);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let n = &self._n;
        let mb = self._mul_bits;
        let dw = self.d.width();
        let l = n.scale_left;
        let pw = dw + l + 1; // prescale working width
        let mant = n.mant_bits;
        let zb = self.z.width();
        let zw = n.z_window;
        let zf = n.z_frac;
        let fx = n.exp_frac;
        let pb = 2 * mb;
        let kb = self.k.width();
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
            coarse = if self.sc_shift.width() > 2 {
                format!("{{sc_shift[{}:2], 2'b00}}", self.sc_shift.width() - 1)
            } else {
                "0".to_string()
            },
            fine = if self.sc_shift.width() >= 2 {
                "sc_shift[1:0]".to_string()
            } else {
                "sc_shift".to_string()
            },
            w_lo_expr = if pw > mant + 1 {
                format!("pre_w[{mant}:0]")
            } else {
                crate::kit::zext("pre_w", pw, mant + 1)
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
        Verilog::Custom(text)
    }
}

/// Sequencer states of an [`ExpSeq`].
pub mod es {
    pub const IDLE: u32 = 0;
    pub const SHIFT: u32 = 1;
    pub const ROUND: u32 = 2;
    pub const ZOP: u32 = 3;
    pub const ZWAIT: u32 = 4;
    pub const Z: u32 = 5;
    pub const HOP: u32 = 6;
    pub const HWAIT: u32 = 7;
    pub const HUPD: u32 = 8;
    pub const FIN: u32 = 9;
    pub const SHF: u32 = 10;
}

/// The registers of an exp sequence on its owner's multiplier (the PE's, or the 1D unit's exp
/// multiplier). The owner registers the multiplier's operands and its product, so a product is
/// ready two cycles after its operands are presented:
/// - start edge: `dq` = the difference D (from the owner);
/// - SHIFT: `pre` = prescale_coarse(dq); ROUND: `dn` = prescale_round(prescale_fine(pre));
/// - ZOP: operands (dn, mant); ZWAIT; Z: `z` = z_round(prod_q), `p` = a_d;
/// - d Horner steps, each HOP: operands (p, f); HWAIT; HUPD: `p` = horner_round(prod_q) + a_k
///   (k = `hk`, from d - 1 down to 0);
/// - SHF: `sh` = exp_shift(p, int(z)); FIN: the result exp_round(sh).
///
/// Latency: the result is written 3d + 7 edges after the start edge (d = exp_degree), so it is
/// there 3d + 8 cycles after the start (`exp_latency`).
#[derive(Clone, Debug, Default)]
pub struct ExpSeq {
    pub es: u32,
    pub hk: u32,
    pub dq: i128,
    pub pre: i128,
    pub dn: i128,
    pub z: i128,
    pub p: i128,
    pub sh: i128,
}

/// Cycles from the start of an exp sequence to its result, for `degree`.
pub fn exp_latency(degree: u32) -> u32 {
    3 * degree + 8
}

impl ExpSeq {
    fn degree(xs: &ExpStep) -> u32 {
        (xs._n.coeffs.len() - 1) as u32
    }

    /// The multiplier operands the sequence presents this cycle, if any: (dn, mant) in ZOP,
    /// (p, f) in HOP.
    pub fn operands(&self, mant: i128, xs: &ExpStep) -> Option<(i128, i128)> {
        match self.es {
            es::ZOP => Some((self.dn, mant)),
            es::HOP => Some((self.p, self.z & ((1 << xs._n.z_frac) - 1))),
            _ => None,
        }
    }

    /// Drives the inputs of `xs` that come from the sequence (the owner drives `sc_shift` and
    /// `prod` with its registered product).
    pub fn drive(&self, xs: &mut ExpStep) {
        xs.d.set(self.dq);
        xs.pre.set(self.pre);
        xs.k.set(self.hk as i128);
        xs.p.set(self.p);
        xs.zi.set(self.z >> xs._n.z_frac);
        xs.sh.set(self.sh);
    }

    /// The state after a clock edge from this (pre-edge) state, and the exp value at the
    /// finish step. `start` (with the difference `diff`) takes priority, as in the Verilog.
    pub fn next(&self, start: bool, diff: i128, xs: &ExpStep) -> (ExpSeq, Option<i128>) {
        let d = Self::degree(xs);
        let mut n = self.clone();
        if start {
            n.dq = crate::kit::sig::wrap(diff, xs.d.width(), false);
            n.es = es::SHIFT;
            return (n, None);
        }
        match self.es {
            es::SHIFT => {
                n.pre = xs.w_pre.get();
                n.es = es::ROUND;
            }
            es::ROUND => {
                n.dn = xs.dn.get();
                n.es = es::ZOP;
            }
            es::ZOP => n.es = es::ZWAIT,
            es::ZWAIT => n.es = es::Z,
            es::Z => {
                n.z = xs.z.get();
                n.p = xs.p_first.get();
                n.hk = d - 1;
                n.es = es::HOP;
            }
            es::HOP => n.es = es::HWAIT,
            es::HWAIT => n.es = es::HUPD,
            es::HUPD => {
                n.p = xs.p_next.get();
                if self.hk == 0 {
                    n.es = es::SHF;
                } else {
                    n.hk = self.hk - 1;
                    n.es = es::HOP;
                }
            }
            es::SHF => {
                n.sh = xs.w_sh.get();
                n.es = es::FIN;
            }
            es::FIN => {
                n.es = es::IDLE;
                return (n, Some(xs.sln.get()));
            }
            _ => {}
        }
        (n, None)
    }
}

impl ExpStep {
    /// Verilog declarations of an [`ExpSeq`] in the owner module (`xs` is the owner's
    /// exp_step instance).
    pub fn seq_decls(&self) -> String {
        format!(
            "reg [3:0] es;\nreg [{}:0] hk;\nreg [{}:0] dq;\nreg [{}:0] pre_q;\nreg [{}:0] dn;\nreg [{}:0] z;\nreg signed [{}:0] p;\nreg [{}:0] sh;\n",
            self.k.width() - 1,
            self.d.width() - 1,
            self.pre.width() - 1,
            self.dn.width() - 1,
            self.z.width() - 1,
            self._mul_bits - 1,
            self.sh.width() - 1
        )
    }

    /// Verilog of the owner's combinational wiring of `xs` from the sequence (inside an
    /// `always @(*)`).
    pub fn seq_wiring(&self) -> String {
        format!(
            "    xs$d = dq;\n    xs$pre = pre_q;\n    xs$k = hk;\n    xs$p = p;\n    xs$zi = z[{}:{}];\n    xs$sh = sh;\n",
            self.z.width() - 1,
            self._n.z_frac
        )
    }

    /// Verilog of the two operand presentations of the sequence: (condition, a, b) for
    /// (dn, mant) and for (p, f).
    pub fn seq_operands(&self) -> [(String, String, String); 2] {
        let mb = self._mul_bits;
        [
            (
                format!("es == 4'd{}", es::ZOP),
                format!("$signed({})", crate::kit::zext("dn", self.dn.width(), mb)),
                format!(
                    "$signed({})",
                    crate::kit::zext("sc_mant", self.dn.width(), mb)
                ),
            ),
            (
                format!("es == 4'd{}", es::HOP),
                "p".to_string(),
                format!(
                    "$signed({})",
                    crate::kit::zext(&format!("z[{}:0]", self._n.z_frac - 1), self._n.z_frac, mb)
                ),
            ),
        ]
    }

    /// Verilog of one clock edge of the sequence (inside the owner's clocked block): `start`
    /// begins it with the difference `diff` (an expression of the difference's width);
    /// `on_done` is the statement run at the finish step (it may read `xs$sln`).
    pub fn seq_step(&self, start: &str, diff: &str, on_done: &str) -> String {
        let d = self._n.coeffs.len() - 1;
        let kb = self.k.width();
        format!(
            r#"        if ({start}) begin
            dq <= {diff};
            es <= 4'd{shift};
        end else case (es)
            4'd{shift}: begin
                pre_q <= xs$w_pre;
                es <= 4'd{round};
            end
            4'd{round}: begin
                dn <= xs$dn;
                es <= 4'd{zop};
            end
            4'd{zop}: es <= 4'd{zwait};
            4'd{zwait}: es <= 4'd{zs};
            4'd{zs}: begin
                z <= xs$z;
                p <= xs$p_first;
                hk <= {kb}'d{dm1};
                es <= 4'd{hop};
            end
            4'd{hop}: es <= 4'd{hwait};
            4'd{hwait}: es <= 4'd{hupd};
            4'd{hupd}: begin
                p <= xs$p_next;
                if (hk == {kb}'d0) es <= 4'd{shf};
                else begin
                    hk <= hk - {kb}'d1;
                    es <= 4'd{hop};
                end
            end
            4'd{shf}: begin
                sh <= xs$w_sh;
                es <= 4'd{fin};
            end
            4'd{fin}: begin
                {on_done}
                es <= 4'd0;
            end
            default: ;
        endcase
"#,
            shift = es::SHIFT,
            round = es::ROUND,
            zop = es::ZOP,
            zwait = es::ZWAIT,
            zs = es::Z,
            hop = es::HOP,
            hwait = es::HWAIT,
            hupd = es::HUPD,
            fin = es::FIN,
            shf = es::SHF,
            dm1 = d - 1,
        )
    }
}

/// The job's scale constant as it travels on a `scale` bus (controller -> PEs and units, a
/// register per hop): {mantissa, shift}, the shift in the low `shift_bits`.
pub fn scale_pack(mant: i128, shift: i128, shift_bits: u32) -> i128 {
    (mant << shift_bits) | shift
}

/// (mantissa, shift) of a [`scale_pack`]ed value.
pub fn scale_unpack(scale: i128, shift_bits: u32) -> (i128, i128) {
    (scale >> shift_bits, scale & ((1 << shift_bits) - 1))
}

impl ExpStep {
    /// Width of a `scale` bus for this exp_step.
    pub fn scale_bits(&self) -> u32 {
        self.dn.width() + self.sc_shift.width()
    }

    /// Verilog wires `sc_mant` and `sc_shift` (the names the sequencer's operands use) from
    /// `sc_loc`, the block's own register of its `scale` input `bus`. It holds the same value as
    /// the block's scale_out register, which also drives the next block; it is kept apart
    /// (`keep`) so that the placer can put it beside the exp logic. Latency: 1 cycle, as
    /// scale_out.
    pub fn scale_wires(&self, bus: &str) -> String {
        let sb = self.sc_shift.width();
        format!(
            "reg [{}:0] sc_loc; // the job's scale, registered beside the exp logic\n(* keep *) always @(posedge clock) sc_loc <= {bus};\nwire [{}:0] sc_mant = sc_loc[{}:{sb}];\nwire [{}:0] sc_shift = sc_loc[{}:0];\n",
            self.scale_bits() - 1,
            self.dn.width() - 1,
            self.scale_bits() - 1,
            sb - 1,
            sb - 1
        )
    }
}

/// Width of an exp sequence's state register.
pub fn seq_bits(_degree: u32) -> u32 {
    4
}

/// A sized signed Verilog literal, e.g. `-18'sd5`.
pub fn slit(width: u32, v: i128) -> String {
    if v < 0 {
        format!("-{width}'sd{}", -v)
    } else {
        format!("{width}'sd{v}")
    }
}

impl Component for ExpStep {
    fn kind(&self) -> String {
        "exp_step".into()
    }
    leaf_ports!(d, sc_shift, w_pre, pre, dn, prod, z, k, p_next, p_first, p, zi, w_sh, sh, sln);
    fn tick(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{cosim, io_ports, vectors};
    use crate::kit::RtlSim;
    use crate::numerics::ScaleConst;
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
                ..Config::default()
            },
        ]
    }

    fn stimulus(cfg: &Config, seed: u64) -> Vec<Vec<i128>> {
        let leaf = ExpStep::new(cfg);
        let (ins, _) = io_ports(&leaf);
        let prod = ins.iter().position(|&(_, n)| n == "prod").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut rows = vec![];
        let widths: Vec<(u32, bool)> = ins
            .iter()
            .map(|&(i, _)| (leaf.port(i).width(), leaf.port(i).signed()))
            .collect();
        // Corners of each input with the others at random.
        for (k, &(w, s)) in widths.iter().enumerate() {
            for c in vectors::corners(w, s) {
                let mut row: Vec<i128> = widths
                    .iter()
                    .map(|&(w, s)| vectors::random(&mut rng, w, s))
                    .collect();
                row[k] = c;
                rows.push(row);
            }
        }
        for _ in 0..10_000 {
            let mut row: Vec<i128> = widths
                .iter()
                .map(|&(w, s)| vectors::random(&mut rng, w, s))
                .collect();
            // Half of the vectors in the operating range: small shifts, positive products.
            if rng.gen_bool(0.5) {
                row[1] = rng.gen_range(0..8);
                row[prod] = rng.gen_range(0..(1i128 << (2 * cfg.mul_bits - 3)));
            }
            rows.push(row);
        }
        rows
    }

    #[test]
    fn verilog_matches_model() {
        for (i, cfg) in configs().iter().enumerate() {
            let n = cosim(ExpStep::new(cfg), &stimulus(cfg, 10 + i as u64)).unwrap();
            assert!(n >= 10_000);
        }
    }

    /// The leaf, sequenced as the PE sequences it (prescale, multiply by the mantissa, Horner
    /// steps, finish), computes exactly `numerics::exp_of_diff`.
    #[test]
    fn sequenced_steps_equal_exp_of_diff() {
        for cfg in configs() {
            let n = Numerics::new(&cfg);
            let sc = ScaleConst::from_real(2.2e-4, &n).unwrap();
            let mut sim = RtlSim::new(ExpStep::new(&cfg));
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            let dmax = 1u128 << cfg.derived().diff_bits;
            for i in 0..3000u128 {
                let d = if i < 1000 {
                    i * 37
                } else {
                    rng.gen_range(0..dmax)
                };
                sim.set("d", d as i128);
                sim.set("sc_shift", sc.shift as i128);
                sim.settle();
                let pre = sim.get("w_pre");
                sim.set("pre", pre);
                sim.settle();
                let dn = sim.get("dn");
                sim.set("prod", dn * sc.mant as i128);
                sim.settle();
                let z = sim.get("z");
                let zf = n.z_frac;
                let f = z & ((1 << zf) - 1);
                let mut p = sim.get("p_first");
                for k in (0..cfg.exp_degree as i128).rev() {
                    sim.set("prod", p * f);
                    sim.set("k", k);
                    sim.settle();
                    p = sim.get("p_next");
                }
                sim.set("p", p);
                sim.set("zi", z >> zf);
                sim.settle();
                let sh = sim.get("w_sh");
                sim.set("sh", sh);
                sim.settle();
                assert_eq!(
                    sim.get("sln") as u64,
                    numerics::exp_of_diff(d, sc, &n),
                    "d = {d}"
                );
            }
        }
    }
}

#[cfg(test)]
mod lint_tests {
    use crate::config::Config;
    use crate::kit::cosim::check_verilog;

    #[test]
    fn verilog_is_lint_clean() {
        for cfg in [
            Config::default(),
            Config {
                mul_bits: 14,
                exp_frac_bits: 10,
                data_bits: 4,
                max_e: 16,
                max_seq_kv: 100,
                ..Config::default()
            },
        ] {
            let _ = &cfg;
            check_verilog(&super::ExpStep::new(&cfg)).unwrap();
        }
    }
}
