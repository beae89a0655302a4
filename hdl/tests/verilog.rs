//! The emitted Verilog of the engine for a range of configs: lint-clean under
//! `verilator --lint-only -Wall`, accepted by yosys `hierarchy -check; proc; check -assert`,
//! deterministic, one module per distinct body, growing with the array by instances only, and
//! with readable names.

use fusemax_hdl::kit::cosim::{lint, yosys_check};
use fusemax_hdl::kit::emit::emit_verilog;
use fusemax_hdl::{datapath, generate, Config, TOP_MODULE};

fn cfg(rows: usize, cols: usize) -> Config {
    Config {
        rows,
        cols,
        ..Config::default()
    }
}

const SHAPES: [(usize, usize); 6] = [(1, 1), (2, 2), (4, 4), (2, 8), (8, 8), (16, 16)];

#[test]
fn lint_clean_and_yosys_clean_for_every_shape() {
    for (r, c) in SHAPES {
        let v = generate(&cfg(r, c));
        lint(&v, TOP_MODULE).unwrap_or_else(|e| panic!("{r}x{c}: {e}"));
        if r * c <= 64 {
            yosys_check(&v, TOP_MODULE).unwrap_or_else(|e| panic!("{r}x{c}: {e}"));
        }
    }
}

#[test]
fn lint_clean_when_a_maximum_fills_its_bits() {
    // A maximum of 2^b - 1 (or 1) makes the header's range compare constant: it must not be
    // written (Verilator -Wall calls a constant compare an error), for every shape field.
    for (e, f, kv, q) in [(63, 127, 255, 1023), (1, 1, 1, 1), (64, 1, 3, 7)] {
        let mut c = Config {
            max_e: e,
            max_f: f,
            max_seq_kv: kv,
            max_seq_q: q,
            ..cfg(1, 1)
        };
        (c.job.seq_q, c.job.seq_kv, c.job.head_e, c.job.head_f) = (1, 1, 1, 1);
        c.validate().unwrap();
        lint(&generate(&c), TOP_MODULE).unwrap_or_else(|err| panic!("{e} {f} {kv} {q}: {err}"));
    }
}

#[test]
fn yosys_clean_16x16() {
    yosys_check(&generate(&cfg(16, 16)), TOP_MODULE).unwrap();
}

/// A 128-bit input stream: lint- and yosys-clean (2x2, where a vector is one lane of the word,
/// and 16x16, where a K/V vector fills it), and the port as wide as the config says.
#[test]
fn clean_with_a_128_bit_stream() {
    for (r, c) in [(2, 2), (16, 16)] {
        let v = generate(&Config {
            stream_bits: 128,
            ..cfg(r, c)
        });
        assert!(
            v.contains("input wire [127:0] s_axis_tdata;"),
            "{r}x{c}: the port's width"
        );
        lint(&v, TOP_MODULE).unwrap_or_else(|e| panic!("{r}x{c}: {e}"));
        if r * c <= 64 {
            yosys_check(&v, TOP_MODULE).unwrap_or_else(|e| panic!("{r}x{c}: {e}"));
        }
    }
}

#[test]
fn deterministic_and_readable() {
    for (r, c) in [(2, 8), (4, 4)] {
        let a = generate(&cfg(r, c));
        let b = generate(&cfg(r, c));
        assert_eq!(a, b, "same config, same bytes");
        assert!(a.starts_with("// fusemax.v"), "header");
        assert!(a.contains(&format!("fusemax-hdl {}", fusemax_hdl::VERSION)));
        assert!(a.contains("// rows = "), "config in the header");
        assert!(
            a.contains("fusemax_pe pe_r1_c1 ("),
            "PE instances named by position"
        );
        assert!(a.contains("fusemax_softmax_unit unit_c0 ("));
        assert!(!a.contains("top$"), "no rust-hdl path names");
        assert_ne!(
            generate(&cfg(r, c)),
            generate(&Config {
                exp_degree: 4,
                ..cfg(r, c)
            })
        );
    }
}

#[test]
fn verilog_depends_on_the_hardware_only() {
    // A Verilator build is cached by the Verilog's text: a new job shape must not change it.
    let a = cfg(2, 2);
    let mut b = a.clone();
    b.job.seq_kv = 4096;
    b.job.seq_q = 3;
    b.job.head_e = 7;
    b.job.seed = 99;
    let v = generate(&a);
    assert_eq!(v, generate(&b), "the job changed the Verilog");
    assert!(!v.contains("[job]"), "the job is in the header");
    assert_eq!(a.hw_hash(), b.hw_hash());
}

#[test]
fn the_binding_is_hardware_and_changes_the_verilog() {
    let seq = Config {
        binding: fusemax_hdl::Binding::Sequential,
        ..cfg(2, 2)
    };
    let fm = Config {
        binding: fusemax_hdl::Binding::Fusemax,
        ..cfg(2, 2)
    };
    assert_ne!(seq.hw_hash(), fm.hw_hash());
    let (a, b) = (generate(&seq), generate(&fm));
    assert_ne!(a, b);
    assert!(
        b.contains("has1"),
        "the fusemax controller keeps the tile before"
    );
    assert!(!a.contains("has1"));
}

fn modules(v: &str) -> usize {
    v.lines().filter(|l| l.starts_with("module ")).count()
}

#[test]
fn identical_modules_are_written_once_and_growth_is_instances() {
    // Growth is instances: from 4x4 to 16x16, 240 more PEs and 12 more units add their
    // instance lines (a PE's: its instance, its reset register's and their link nets), never
    // another copy of a module body.
    let d4 = emit_verilog(&datapath::build(&cfg(4, 4)), "fusemax_datapath", "");
    let d16 = emit_verilog(&datapath::build(&cfg(16, 16)), "fusemax_datapath", "");
    let per_pe = (d16.len() - d4.len()) / 240;
    println!(
        "datapath 4x4 {} bytes, 16x16 {} bytes: {per_pe} bytes per PE",
        d4.len(),
        d16.len()
    );
    assert!(per_pe < 1_300, "{per_pe} bytes per added PE");
    assert!(d16.len() < 350_000, "16x16 datapath is {} bytes", d16.len());
    let v4 = generate(&cfg(4, 4));
    let v8 = generate(&cfg(8, 8));
    let v16 = generate(&cfg(16, 16));
    assert_eq!(modules(&v4), modules(&v8));
    assert_eq!(modules(&v8), modules(&v16));
    assert_eq!(v16.matches("module fusemax_pe(").count(), 1);
    // From 8x8 to 16x16: 192 more PEs, 8 more units and feeders; per added PE the file grows
    // by its instance line and its link nets (about a kilobyte), never by a module body.
    let per_pe = (v16.len() - v8.len()) as f64 / 192.0;
    assert!(per_pe < 1500.0, "{per_pe} bytes per PE");
}
