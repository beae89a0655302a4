//! `divider`: AV = RNV / RD of the 1D unit, iterative restoring division, one quotient bit per
//! cycle after three preparation stages. q = round(num * 2^out_frac / den), half away from
//! zero, saturated to `out_bits` (`numerics::divide`). Latency: `q` and the `done` pulse appear
//! out_bits + 4 cycles after the `start` edge; a new `start` may follow `done`. den = 0
//! gives 0.

use crate::config::{ubits, Config};
use crate::ir::{cat, Circuit, Module};
use crate::ir_leaf;
use crate::numerics::Numerics;

ir_leaf! {
    /// Iterative divider of one config, simulated and emitted from [`describe`].
    pub struct Divider { clock, rst, start, num, den, q, done }
}

impl Divider {
    pub fn new(cfg: &Config) -> Divider {
        Divider::from_circuit(describe(cfg))
    }

    /// Cycles from the `start` edge to `done`.
    pub fn latency(cfg: &Config) -> u32 {
        cfg.derived().out_bits + 4
    }
}

/// The divider of `cfg` described once: `num` (signed, `rnv_bits`) by `den` (unsigned,
/// `rd_bits`) into `q` (signed, `out_bits`). Restoring division of
/// n = |num| * 2^(out_frac + 1) + den by dv = 2 * den (the `+ den` rounds half away from zero),
/// one quotient bit per cycle after three preparation stages: `st` 1 latches the magnitude,
/// the sign and `den == 0`; 2 forms n; 3 loads the partial remainder `r` with the high bits of
/// n (and notes an overflow, `ovf`, when they already reach dv); 4 runs the `cnt` steps, then
/// saturates and signs the quotient `qa` into `q` with the `done` pulse.
pub fn describe(cfg: &Config) -> Circuit {
    let d = cfg.derived();
    let nb_num = d.rnv_bits;
    let rdb = d.rd_bits;
    let ob = d.out_bits;
    let fo = Numerics::from_derived(cfg, &d).out_frac;
    let qb = ob; // quotient bits
    let nb = (nb_num + fo + 1).max(rdb) + 1; // n
    let dvb = rdb + 1; // dv and the partial remainder
    let cw = (nb - qb).max(dvb); // the overflow compare
    let cb = ubits(qb as u128);
    let mut m = Module::new(
        "divider",
        &format!(
            "Restoring division of n = |num| * 2^{} + den by dv = 2 * den, {qb} quotient bits, \
             after\nthree preparation stages (latch, magnitude, numerator), one carry chain per \
             cycle.",
            fo + 1
        ),
    );
    m.clock("clock");
    let rst = m.input("rst", 1);
    let start = m.input("start", 1);
    let num = m.input_s("num", nb_num);
    let den = m.input("den", rdb);
    let q = m.output_reg_s("q", ob);
    let done = m.output_reg("done", 1).reset(&rst, 0);
    let st = m.reg("st", 3).reset(&rst, 0);
    let cnt = m.reg("cnt", cb);
    let num_q = m.reg_s("num_q", nb_num);
    let den_q = m.reg("den_q", rdb);
    let mag_q = m.reg("mag_q", nb_num);
    let n_q = m.reg("n_q", nb);
    let neg = m.reg("neg", 1);
    let ovf = m.reg("ovf", 1);
    let zero = m.reg("zero", 1);
    let dv = m.reg("dv", dvb);
    let r = m.reg("r", dvb);
    let nl = m.reg("nl", qb);
    let qa = m.reg("qa", qb);

    let nu = num_q.as_unsigned();
    let mag_w = nu
        .msb()
        .mux(&nu.not().add_wrap(&nu.lit(1)), &nu)
        .named("mag_w");
    let n_w = cat(&[&mag_q, &m.lit(fo + 1, 0)])
        .ext(nb)
        .add_wrap(&den_q.ext(nb))
        .named("n_w");
    let r_init = n_q.slice(nb - 1, qb).named("r_init");
    let r2 = cat(&[&r, &nl.msb()]).named("r2");
    let ge = r2.ge(&dv.ext(dvb + 1)).named("ge");
    let r_sub = r2.trunc(dvb).sub_wrap(&dv).named("r_sub");
    let q_maxp = qa.lit((1i128 << (ob - 1)) - 1);
    let q_minn = qa.lit(1i128 << (ob - 1));
    let b0 = m.lit(1, 0);

    m.when(&rst.not(), |m| {
        done.set(&done.lit(0));
        m.when_else(
            &start,
            |_| {
                num_q.set(&num);
                den_q.set(&den);
                st.set(&st.lit(1));
            },
            |m| {
                m.switch(&st, |sw| {
                    sw.case(1, |_| {
                        mag_q.set(&mag_w);
                        neg.set(&num_q.msb());
                        zero.set(&den_q.is(0));
                        dv.set(&cat(&[&den_q, &b0]));
                        st.set(&st.lit(2));
                    });
                    sw.case(2, |_| {
                        n_q.set(&n_w);
                        st.set(&st.lit(3));
                    });
                    sw.case(3, |_| {
                        ovf.set(&r_init.ext(cw).ge(&dv.ext(cw)));
                        r.set(&r_init.resize(dvb));
                        nl.set(&n_q.trunc(qb));
                        qa.set(&qa.lit(0));
                        cnt.set(&cnt.lit(qb as i128));
                        st.set(&st.lit(4));
                    });
                    sw.case(4, |m| {
                        m.when_else(
                            &cnt.ne(&cnt.lit(0)),
                            |_| {
                                cnt.set(&cnt.sub_wrap(&cnt.lit(1)));
                                r.set(&ge.mux(&r_sub, &r2.trunc(dvb)));
                                qa.set(&cat(&[&qa.slice(qb - 2, 0), &ge]));
                                nl.set(&cat(&[&nl.slice(qb - 2, 0), &b0]));
                            },
                            |m| {
                                st.set(&st.lit(0));
                                done.set(&done.lit(1));
                                // 0 for den = 0, else the quotient saturated to its sign
                                let pos = ovf.or(&qa.gt(&q_maxp)).mux(&q_maxp, &qa);
                                let negq = ovf
                                    .or(&qa.gt(&q_minn))
                                    .mux(&q_minn, &qa.lit(0).sub_wrap(&qa));
                                m.when_else(
                                    &zero,
                                    |_| q.set(&q.lit(0)),
                                    |_| q.set(&neg.mux(&negq, &pos).as_signed()),
                                );
                            },
                        )
                    });
                });
            },
        );
    });
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{cosim, vectors};
    use crate::kit::RtlSim;
    use crate::numerics;
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

    /// Runs a division started at the last edge to its end: `done` low until the latency,
    /// then high; returns `q`.
    fn finish(sim: &mut RtlSim<Divider>, cfg: &Config) -> i64 {
        for _ in 1..Divider::latency(cfg) {
            sim.step();
            assert_eq!(sim.get("done"), 0);
        }
        sim.step();
        assert_eq!(sim.get("done"), 1);
        sim.get("q") as i64
    }

    #[test]
    fn divides_with_documented_latency() {
        for cfg in configs() {
            let n = Numerics::new(&cfg);
            let mut sim = RtlSim::new(Divider::new(&cfg));
            sim.set("rst", 1);
            sim.step();
            sim.set("rst", 0);
            for &(num, den) in jobs(&cfg, 3, 300).iter() {
                sim.set("start", 1);
                sim.set("num", num);
                sim.set("den", den);
                sim.step();
                sim.set("start", 0);
                assert_eq!(
                    finish(&mut sim, &cfg),
                    numerics::divide(num, den as u128, &n),
                    "{num} / {den}"
                );
                sim.step();
                assert_eq!(sim.get("done"), 0, "done is a pulse");
            }
        }
    }

    #[test]
    fn a_start_while_dividing_starts_over() {
        let cfg = Config::default();
        let n = Numerics::new(&cfg);
        let one = 1i128 << cfg.exp_frac_bits;
        let mut sim = RtlSim::new(Divider::new(&cfg));
        sim.set("rst", 1);
        sim.step();
        sim.set("rst", 0);
        sim.set("start", 1);
        sim.set("num", -77 * one);
        sim.set("den", 3 * one);
        sim.step();
        sim.set("start", 0);
        for _ in 0..5 {
            sim.step();
        }
        sim.set("start", 1);
        sim.set("num", 100 * one);
        sim.set("den", 7 * one);
        sim.step();
        sim.set("start", 0);
        assert_eq!(
            finish(&mut sim, &cfg),
            numerics::divide(100 * one, 7 * one as u128, &n)
        );
    }

    #[test]
    fn simulation_matches_verilog() {
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
