//! Tests of the description layer: the build-time checks, the simulation's arithmetic against
//! Rust's, the Verilog's text, and the simulation against the Verilog in Verilator.

use super::*;
use crate::kit::cosim::{check_verilog, cosim, io_ports, vectors};
use crate::kit::Component;
use rand::{Rng, SeedableRng};

fn wrap(v: i128, w: u32, signed: bool) -> i128 {
    crate::kit::sig::wrap(v, w, signed)
}

/// A counter with synchronous reset and enable: the example of `docs/hdl-layer.md`.
fn counter(width: u32) -> Circuit {
    let mut m = Module::new("counter", "counts the cycles with en high");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let en = m.input("en", 1);
    let n = m.output_reg("n", width).reset(&rst, 0).enable(&en);
    n.set(&n.add_wrap(&n.lit(1)));
    m.finish()
}

#[test]
fn counter_text_and_simulation() {
    let c = counter(4);
    let v = verilog::module(&c, "counter");
    assert_eq!(
        v,
        "module counter(clock,rst,en,n);
    input wire clock;
    input wire rst;
    input wire en;
    output reg [3:0] n;
    // counts the cycles with en high
    always @(posedge clock)
        if (rst) n <= 4'd0;
        else if (en) n <= n + 4'd1;
endmodule // counter
"
    );
    let mut s = Sim::new(&c);
    s.set("rst", 1);
    s.step();
    assert_eq!(s.get("n"), 0);
    s.set("rst", 0);
    s.set("en", 1);
    for k in 1..=20 {
        s.step();
        assert_eq!(s.get("n"), k % 16);
    }
    s.set("en", 0);
    s.step();
    assert_eq!(s.get("n"), 20 % 16);
    // the same description gives the same bytes and the same key
    assert_eq!(verilog::module(&counter(4), "counter"), v);
    assert_eq!(counter(4).key(), c.key());
    assert_ne!(counter(5).key(), c.key());
}

#[test]
#[should_panic(
    expected = "add_wrap: operands differ: `a` (8 bits unsigned) and `b` (9 bits unsigned)"
)]
fn width_mismatch_names_both_signals() {
    let mut m = Module::new("t", "");
    let a = m.input("a", 8);
    let b = m.input("b", 9);
    let _ = a.add_wrap(&b);
}

#[test]
#[should_panic(expected = "lt: operands differ: `a` (8 bits signed) and `b` (8 bits unsigned)")]
fn signedness_mismatch_is_an_error() {
    let mut m = Module::new("t", "");
    let a = m.input_s("a", 8);
    let b = m.input("b", 8);
    let _ = a.lt(&b);
}

#[test]
#[should_panic(expected = "mul: operands of different signedness")]
fn mixed_sign_product_is_an_error() {
    let mut m = Module::new("t", "");
    let a = m.input_s("a", 8);
    let b = m.input("b", 8);
    let _ = a.mul(&b);
}

#[test]
fn product_is_as_wide_as_both_operands() {
    // the `$signed(a * b)` trap: the product is never cut to an operand's width
    let mut m = Module::new("t", "");
    let a = m.input_s("a", 18);
    let b = m.input_s("b", 18);
    let p = a.mul(&b);
    assert_eq!((p.width(), p.signed()), (36, true));
    m.output("p", &p);
    let c = m.finish();
    let v = verilog::module(&c, "t");
    assert!(
        v.contains("always @(*) p = $signed({{18{a[17]}}, a}) * $signed({{18{b[17]}}, b});"),
        "{v}"
    );
    let mut s = Sim::new(&c);
    s.set("a", -131072);
    s.set("b", -131072);
    assert_eq!(s.get("p"), 131072 * 131072);
}

#[test]
#[should_panic(expected = "register assignment: operands differ")]
fn register_takes_only_its_own_width() {
    let mut m = Module::new("t", "");
    m.clock("clock");
    let a = m.input("a", 8);
    let r = m.reg("r", 8);
    r.set(&a.add(&a));
}

#[test]
#[should_panic(expected = "constant 256 does not fit 8 bits unsigned")]
fn constant_must_fit() {
    let mut m = Module::new("t", "");
    let a = m.input("a", 8);
    let _ = a.lit(256);
}

#[test]
#[should_panic(expected = "the name `x` is given twice")]
fn duplicate_names_are_an_error() {
    let mut m = Module::new("t", "");
    let a = m.input("x", 8);
    let _ = a.not().named("x");
}

#[test]
#[should_panic(expected = "`reg` is a Verilog keyword")]
fn keywords_are_not_names() {
    let mut m = Module::new("t", "");
    m.input("reg", 1);
}

#[test]
#[should_panic(expected = "wire `w` is never assigned")]
fn undriven_wire_is_an_error() {
    let mut m = Module::new("t", "");
    let w = m.wire("w", 4, false);
    m.output("o", &w);
    m.finish();
}

#[test]
#[should_panic(expected = "combinational loop through")]
fn combinational_loop_is_an_error() {
    let mut m = Module::new("t", "");
    let a = m.input("a", 4);
    let w = m.wire("w", 4, false);
    let x = w.add_wrap(&a).named("x");
    m.assign(&w, &x);
    m.output("o", &x);
    m.finish();
}

#[test]
#[should_panic(expected = "register `r` is never assigned")]
fn unassigned_register_is_an_error() {
    let mut m = Module::new("t", "");
    m.clock("clock");
    let r = m.reg("r", 4);
    m.output("o", &r);
    m.finish();
}

#[test]
#[should_panic(expected = "memory `mem` has 5 words")]
fn memory_depth_is_a_power_of_two() {
    let mut m = Module::new("t", "");
    m.clock("clock");
    m.memory("mem", 8, 5);
}

#[test]
#[should_panic(expected = "the address must be 3 bits unsigned, not `a` (4 bits unsigned)")]
fn memory_address_width_is_checked() {
    let mut m = Module::new("t", "");
    m.clock("clock");
    let a = m.input("a", 4);
    let mem = m.memory("mem", 8, 8);
    let _ = mem.read(&a);
}

#[test]
#[should_panic(expected = "slice [8:0] of `a` (8 bits unsigned)")]
fn slice_out_of_range_is_an_error() {
    let mut m = Module::new("t", "");
    let a = m.input("a", 8);
    let _ = a.slice(8, 0);
}

#[test]
#[should_panic(expected = "ext to 4 bits narrows")]
fn ext_never_narrows() {
    let mut m = Module::new("t", "");
    let a = m.input("a", 8);
    let _ = a.ext(4);
}

/// A module using every operator, on signed `a`, `b` and unsigned `c`, `d` of `w` bits.
fn every_op(w: u32) -> Circuit {
    let mut m = Module::new("every_op", "every operator of the layer");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let a = m.input_s("a", w);
    let b = m.input_s("b", w);
    let c = m.input("c", w);
    let d = m.input("d", w);
    let s = m.input("s", 1);
    let ib = 32 - (w.next_power_of_two() - 1).leading_zeros();
    let p2 = 1u32 << ib;
    let i = m.input("i", ib);
    m.output("add_s", &a.add(&b));
    m.output("add_u", &c.add(&d));
    m.output("addw", &a.add_wrap(&b));
    m.output("sub_s", &a.sub(&b));
    m.output("sub_u", &c.sub(&d));
    m.output("subw", &c.sub_wrap(&d));
    if 2 * w <= 127 {
        m.output("mul_s", &a.mul(&b));
        m.output("mul_u", &c.mul(&d));
    }
    let cmps = cat(&[
        &a.lt(&b),
        &a.le(&b),
        &a.gt(&b),
        &a.ge(&b),
        &a.eq(&b),
        &a.ne(&b),
        &c.lt(&d),
        &c.le(&d),
        &c.gt(&d),
        &c.ge(&d),
        &c.eq(&d),
        &c.ne(&d),
        &a.lt(&a.lit(-1)),
        &c.ge(&c.lit(3)),
    ]);
    m.output("cmps", &cmps);
    m.output(
        "bits",
        &cat(&[&c.any(), &c.all(), &c.parity(), &s.not(), &s.and(&c.bit(0))]),
    );
    m.output("bitwise", &c.and(&d).or(&c.xor(&d).not()));
    m.output("sel", &s.mux(&a, &b));
    m.output(
        "pri",
        &select(&[(&c.bit(0), &c), (&c.bit(1), &d)], &c.xor(&d)),
    );
    m.output("cs", &case(&c.slice(1, 0), &[(0, &d), (2, &c)], &c.not()));
    m.output("ext_s", &a.ext(w + 7));
    m.output("ext_u", &c.ext(w + 7));
    m.output("tr", &a.add_wrap(&b).trunc(w - 1));
    m.output("sl", &c.add_wrap(&d).slice(w - 1, 1));
    m.output("shl", &a.shl(2));
    m.output("shr_s", &a.shr(3));
    m.output("shr_u", &c.shr(3));
    m.output("idx", &c.ext(p2).index(&i));
    m.output("cast", &c.as_signed().lt(&d.as_signed()));
    // a wide value: arithmetic above 64 bits
    let wide = cat(&[&a.as_unsigned(), &c]);
    let wide2 = cat(&[&d, &b.as_unsigned()]);
    m.output("wide_add", &wide.add_wrap(&wide2));
    m.output("wide_lt", &wide.as_signed().lt(&wide2.as_signed()));
    // registers: reset, enable, conditional assignment, a switch
    let acc = m.reg_s("acc", w).reset(&rst, -1).enable(&s.not());
    m.when_else(
        &c.bit(0),
        |_| acc.set(&acc.add_wrap(&a)),
        |m| m.when(&c.bit(1), |_| acc.set(&b)),
    );
    m.output("acc_o", &acc);
    let st = m.output_reg("st", 2).reset(&rst, 0);
    m.switch(&st, |sw| {
        sw.case(0, |_| st.set(&st.lit(1)));
        sw.case(1, |m| m.when(&s, |_| st.set(&st.lit(2))));
        sw.default(|_| st.set(&st.lit(0)));
    });
    // a memory: synchronous write, registered and combinational reads
    let mem = m.memory("mem", w, 8);
    mem.write(&s, &c.slice(2, 0), &d);
    let rd = m.reg("rd", w);
    rd.set(&mem.read(&d.slice(2, 0)));
    m.output("rd_q", &rd);
    m.output("rd_c", &mem.read(&c.slice(4, 2)));
    m.finish()
}

/// Random rows for the inputs of `uut` (`rst` rare).
fn random_rows(uut: &impl Component, rng: &mut impl Rng, n: usize) -> Vec<Vec<i128>> {
    let (ins, _) = io_ports(uut);
    (0..n)
        .map(|k| {
            ins.iter()
                .map(|&(i, name)| {
                    let p = uut.port(i);
                    match name {
                        "rst" => (k < 2 || rng.gen_ratio(1, 50)) as i128,
                        _ if rng.gen_ratio(1, 8) => {
                            let c = vectors::corners(p.width(), p.signed());
                            c[rng.gen_range(0..c.len())]
                        }
                        _ => vectors::random(rng, p.width(), p.signed()),
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn simulation_matches_rust_arithmetic() {
    let w = 13;
    let c = every_op(w);
    let mut s = Sim::new(&c);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for _ in 0..2000 {
        let a = vectors::random(&mut rng, w, true);
        let b = vectors::random(&mut rng, w, true);
        let cu = vectors::random(&mut rng, w, false);
        let du = vectors::random(&mut rng, w, false);
        s.set("a", a);
        s.set("b", b);
        s.set("c", cu);
        s.set("d", du);
        assert_eq!(s.get("add_s"), a + b);
        assert_eq!(s.get("add_u"), cu + du);
        assert_eq!(s.get("addw"), wrap(a + b, w, true));
        assert_eq!(s.get("sub_s"), a - b);
        assert_eq!(s.get("sub_u"), cu - du);
        assert_eq!(s.get("subw"), wrap(cu - du, w, false));
        assert_eq!(s.get("mul_s"), a * b);
        assert_eq!(s.get("mul_u"), cu * du);
        let flags = [
            a < b,
            a <= b,
            a > b,
            a >= b,
            a == b,
            a != b,
            cu < du,
            cu <= du,
            cu > du,
            cu >= du,
            cu == du,
            cu != du,
            a < -1,
            cu >= 3,
        ];
        let want = flags.iter().fold(0, |acc, &f| (acc << 1) | f as i128);
        assert_eq!(s.get("cmps"), want);
        assert_eq!(s.get("ext_s"), a);
        assert_eq!(s.get("ext_u"), cu);
        assert_eq!(s.get("shl"), wrap(a << 2, w, true));
        assert_eq!(s.get("shr_s"), a >> 3);
        assert_eq!(s.get("shr_u"), cu >> 3);
        assert_eq!(s.get("sl"), wrap(cu + du, w, false) >> 1);
        assert_eq!(
            s.get("cast"),
            (wrap(cu, w, true) < wrap(du, w, true)) as i128
        );
    }
}

#[test]
fn simulation_matches_verilog_and_is_lint_clean() {
    // 13 bits: products in one word; 60 bits: products and sums above 64 bits
    for (w, seed) in [(13, 2), (60, 3)] {
        let uut = IrBlock::new(every_op(w));
        check_verilog(&uut).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let rows = random_rows(&uut, &mut rng, 20_000);
        assert_eq!(cosim(uut, &rows).unwrap(), 20_000);
    }
}

#[test]
fn unused_bits_and_inputs_are_waived_exactly() {
    let mut m = Module::new("t", "");
    let a = m.input("a", 8);
    let _b = m.input("b", 4);
    let x = a.add_wrap(&a.lit(1)).named("x");
    m.output("o", &x.slice(3, 0));
    let c = m.finish();
    let v = verilog::module(&c, "t");
    assert!(v.contains("wire _unused = &{1'b0, b};"), "{v}");
    assert!(
        v.contains(
            "/* verilator lint_off UNUSEDSIGNAL */\n    wire [7:0] x = a + 8'd1;\n    /* verilator lint_on UNUSEDSIGNAL */"
        ),
        "{v}"
    );
    check_verilog(&IrBlock::new(c)).unwrap();
}

/// A comb child: `s = a + b` exactly.
fn adder(w: u32) -> Circuit {
    let mut m = Module::new("adder", "");
    let a = m.input("a", w);
    let b = m.input("b", w);
    m.output("s", &a.add(&b));
    m.output("big", &a.gt(&b));
    m.finish()
}

/// Two counters and an adder of their counts: instances, a child read combinationally and
/// an output left unread.
fn pair() -> Circuit {
    let mut m = Module::new("pair", "two counters and their sum");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let en = m.input("en", 1);
    let c0 = m.instance("c0", &counter(4));
    c0.set("rst", &rst);
    c0.set("en", &en);
    let c1 = m.instance("c1", &counter(4));
    c1.set("rst", &rst);
    c1.set("en", &en.not());
    let add = m.instance("add", &adder(4));
    add.set("a", &c0.out("n"));
    add.set("b", &c1.out("n"));
    let s = m.output_reg("s", 5).reset(&rst, 0);
    s.set(&add.out("s"));
    m.output("now", &add.out("s"));
    m.finish()
}

#[test]
fn instances_simulate_inlined_and_emit_one_module_per_distinct_child() {
    let c = pair();
    let mut sim = Sim::new(&c);
    sim.set("rst", 1);
    sim.step();
    sim.set("rst", 0);
    let (mut n0, mut n1, mut s) = (0i128, 0i128, 0i128);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..200 {
        let en = rng.gen_bool(0.7);
        sim.set("en", en as i128);
        sim.settle();
        assert_eq!(sim.get("now"), n0 + n1);
        assert_eq!(sim.get("s"), s);
        // the children's registers by their hierarchical names
        assert_eq!(sim.peek("c0.n") as i128, n0);
        sim.step();
        s = n0 + n1;
        if en {
            n0 = (n0 + 1) % 16;
        } else {
            n1 = (n1 + 1) % 16;
        }
    }
    // a stand-alone file: the counter once (two instances), the adder, then the parent
    let v = verilog::module(&c, "pair");
    assert_eq!(v.matches("module counter(").count(), 1, "{v}");
    assert_eq!(v.matches("module adder(").count(), 1, "{v}");
    assert!(
        v.contains("counter c1 (.clock(clock), .rst(rst), .en(!en), .n(c1_n));"),
        "{v}"
    );
    crate::kit::cosim::lint(&v, "pair").unwrap();
    // inside the kit: rust-hdl declares the instances' ports; the simulation against Verilator
    let uut = IrBlock::new(c.clone());
    check_verilog(&uut).unwrap();
    let rows = random_rows(&uut, &mut rng, 5000);
    assert_eq!(cosim(uut, &rows).unwrap(), 5000);
}

#[test]
fn a_loop_through_a_combinational_child_is_caught_and_a_registered_one_is_not() {
    // through the adder: a loop
    let r = std::panic::catch_unwind(|| {
        let mut m = Module::new("t", "");
        let a = m.input("a", 4);
        let w = m.wire("w", 5, false);
        let add = m.instance("add", &adder(4));
        add.set("a", &a);
        add.set("b", &w.trunc(4));
        m.assign(&w, &add.out("s"));
        m.output("o", &w);
        m.finish()
    });
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(msg.contains("combinational loop"), "{msg}");
    // through a counter (its output a register): no loop
    let mut m = Module::new("t", "");
    m.clock("clock");
    let cnt = m.instance("cnt", &counter(4));
    let n = cnt.out("n");
    cnt.set("rst", &n.is(9));
    cnt.set("en", &n.lit(1).trunc(1).not().not());
    m.output("o", &n);
    let c = m.finish();
    let mut s = Sim::new(&c);
    for _ in 0..30 {
        s.step();
    }
    assert!(s.get("o") <= 9);
}

#[test]
fn an_undriven_instance_input_is_named() {
    let r = std::panic::catch_unwind(|| {
        let mut m = Module::new("t", "");
        let a = m.input("a", 4);
        let add = m.instance("add", &adder(4));
        add.set("a", &a);
        m.output("o", &add.out("s"));
        m.finish()
    });
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(msg.contains("`add.b`"), "{msg}");
}

#[test]
fn vendor_text_replaces_the_logic_under_its_macro_only() {
    let mut m = Module::new("t", "");
    m.clock("clock");
    let a = m.input("a", 4);
    let r = m.output_reg("q", 4);
    r.set(&a);
    m.vendor_text("FLOW_X", "VENDOR_CELL u (.D(a), .Q(q));");
    let c = m.finish();
    let v = verilog::module(&c, "t");
    assert!(
        v.contains("`ifdef FLOW_X\n    VENDOR_CELL u (.D(a), .Q(q));\n    `else\n"),
        "{v}"
    );
    assert!(v.contains("`endif // FLOW_X"), "{v}");
    let mut s = Sim::new(&c);
    s.set("a", 5);
    s.step();
    assert_eq!(s.get("q"), 5);
}

#[test]
fn a_register_can_be_held_by_vendor_text_under_its_macro() {
    let mut m = Module::new("t", "");
    m.clock("clock");
    let a = m.input("a", 4);
    let q = m
        .output_reg("q", 4)
        .vendor("FLOW_X", "always @(*) q = cell_q;");
    q.set(&a);
    let c = m.finish();
    let v = verilog::module(&c, "t");
    assert!(
        v.contains("`ifdef FLOW_X\n    always @(*) q = cell_q;\n    `else\n    always @(posedge clock) q <= a;\n    `endif // FLOW_X"),
        "{v}"
    );
    let mut s = Sim::new(&c);
    s.set("a", 9);
    s.step();
    assert_eq!(s.get("q"), 9);
}

#[test]
#[should_panic(expected = "named twice")]
fn a_value_is_named_once() {
    let mut m = Module::new("states", "");
    m.clock("clock");
    m.reg("st", 2).states(&[("A", 1), ("B", 1)]);
}
