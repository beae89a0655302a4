//! `divider`: AV = RNV / RD of the 1D unit, iterative restoring division, one quotient bit per
//! cycle after three preparation stages. q = round(num * 2^out_frac / den), half away from
//! zero, saturated to `out_bits` (`numerics::divide`). Latency: `q` and the `done` pulse appear
//! out_bits + 4 cycles after the `start` edge; a new `start` may follow `done`. den = 0
//! gives 0.

use crate::config::Config;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use crate::numerics::{self, Numerics};
use rust_hdl::core::prelude::*;

/// Iterative divider of one config.
#[derive(LogicBlock)]
pub struct Divider {
    pub clock: Sig,
    pub rst: Sig,
    pub start: Sig,
    pub num: Sig,
    pub den: Sig,
    pub q: Sig,
    pub done: Sig,
    _n: Numerics,
    _run: bool,
    _cnt: u32,
    _num: i128,
    _den: u128,
    _q: i128,
    _done: bool,
}

impl Divider {
    pub fn new(cfg: &Config) -> Divider {
        let d = cfg.derived();
        Divider {
            clock: Sig::input(1),
            rst: Sig::input(1),
            start: Sig::input(1),
            num: Sig::input_s(d.rnv_bits),
            den: Sig::input(d.rd_bits),
            q: Sig::output_s(d.out_bits),
            done: Sig::output(1),
            _n: Numerics::from_derived(cfg, &d),
            _run: false,
            _cnt: 0,
            _num: 0,
            _den: 0,
            _q: 0,
            _done: false,
        }
    }

    /// Cycles from the `start` edge to `done`.
    pub fn latency(cfg: &Config) -> u32 {
        cfg.derived().out_bits + 4
    }
}

impl Logic for Divider {
    fn update(&mut self) {
        self.q.set(self._q);
        self.done.set_bool(self._done);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let nb_num = self.num.width();
        let rdb = self.den.width();
        let ob = self.q.width();
        let fo = self._n.out_frac;
        let qb = ob;
        let nb = (nb_num + fo + 1).max(rdb) + 1;
        let dvb = rdb + 1;
        let rib = nb - qb; // width of the initial partial remainder
        let cw = rib.max(dvb);
        let cb = crate::config::ubits(qb as u128);
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
            ovf_l = crate::kit::zext("r_init", rib, cw),
            ovf_r = crate::kit::zext("dv", dvb, cw),
            n_l = crate::kit::zext(&format!("{{mag_q, {}'d0}}", fo + 1), nb_num + fo + 1, nb),
            n_r = crate::kit::zext("den_q", rdb, nb),
            qbm2 = qb - 2,
        );
        Verilog::Custom(text)
    }
}

impl Component for Divider {
    fn kind(&self) -> String {
        "divider".into()
    }
    leaf_ports!(clock, rst, start, num, den, q, done);
    fn tick(&mut self) {
        self._done = false;
        if self.rst.on() {
            self._run = false;
            return;
        }
        if self.start.on() {
            self._run = true;
            self._cnt = self.q.width() + 3;
            self._num = self.num.get();
            self._den = self.den.bits();
        } else if self._run && self._cnt != 0 {
            self._cnt -= 1;
        } else if self._run {
            self._run = false;
            self._done = true;
            self._q = numerics::divide(self._num, self._den, &self._n) as i128;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{cosim, vectors};
    use crate::kit::RtlSim;
    use rand::{Rng, SeedableRng};

    fn configs() -> Vec<Config> {
        vec![
            Config::default(),
            Config {
                max_seq_kv: 1000,
                out_frac_bits: 4,
                exp_frac_bits: 10,
                data_bits: 6,
                mul_bits: 14,
                ..Config::default()
            },
        ]
    }

    /// Division jobs: (num, den) pairs including corners and realistic ratios.
    fn jobs(cfg: &Config, seed: u64, count: usize) -> Vec<(i128, i128)> {
        let d = cfg.derived();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut v = vec![];
        for n in vectors::corners(d.rnv_bits, true) {
            for dd in vectors::corners(d.rd_bits, false) {
                v.push((n, dd));
            }
        }
        let one = 1i128 << cfg.exp_frac_bits;
        while v.len() < count {
            let den = rng.gen_range(one..(cfg.max_seq_kv as i128 * one).max(one + 1));
            let q = rng.gen_range(-(1i128 << (cfg.data_bits - 1))..(1i128 << (cfg.data_bits - 1)));
            let num = (q * den + rng.gen_range(-den..den)).clamp(
                -(1i128 << (d.rnv_bits - 1)),
                (1i128 << (d.rnv_bits - 1)) - 1,
            );
            v.push((num, den));
            if rng.gen_bool(0.2) {
                v.push((
                    vectors::random(&mut rng, d.rnv_bits, true),
                    vectors::random(&mut rng, d.rd_bits, false),
                ));
            }
        }
        v
    }

    /// Stimulus rows [rst, start, num, den]: a start, then idle until done (sometimes longer).
    fn stimulus(cfg: &Config, jobs: &[(i128, i128)], seed: u64) -> Vec<Vec<i128>> {
        let lat = Divider::latency(cfg) as usize;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut rows = vec![vec![1, 0, 0, 0]];
        for &(n, d) in jobs {
            rows.push(vec![0, 1, n, d]);
            let idle = lat + rng.gen_range(0..3);
            for _ in 0..idle {
                rows.push(vec![0, 0, rng.gen(), rng.gen::<u64>() as i128]);
            }
        }
        rows
    }

    #[test]
    fn model_divides_with_documented_latency() {
        let cfg = Config::default();
        let n = Numerics::new(&cfg);
        let mut sim = RtlSim::new(Divider::new(&cfg));
        for &(num, den) in jobs(&cfg, 3, 200).iter() {
            sim.set("start", 1);
            sim.set("num", num);
            sim.set("den", den);
            sim.step();
            sim.set("start", 0);
            for _ in 1..Divider::latency(&cfg) {
                sim.step();
                assert_eq!(sim.get("done"), 0);
            }
            sim.step();
            assert_eq!(sim.get("done"), 1);
            assert_eq!(sim.get("q") as i64, numerics::divide(num, den as u128, &n));
        }
    }

    #[test]
    fn verilog_matches_model() {
        for (i, cfg) in configs().iter().enumerate() {
            let j = jobs(cfg, 20 + i as u64, 10_000);
            let n = cosim(Divider::new(cfg), &stimulus(cfg, &j, 7)).unwrap();
            assert!(n > 10_000);
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
            check_verilog(&super::Divider::new(&cfg)).unwrap();
        }
    }
}
