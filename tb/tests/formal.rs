//! The stream rules of issue 11 proven with SymbiYosys (`docs/formal.md`, `tb/src/formal.rs`):
//! the FIFO's output rule, order and `s_ready` at two shapes, the engine's stream rules on
//! the 1x1 config, and for each property family a mutant that the proof must reject. Needs
//! `make formal-deps`; `make formal` also runs the long proofs (`#[ignore]`d here).

use fusemax_tb::formal::{self, Mode, Outcome, Task};

/// Runs a proof and checks its verdict: `PASS` when `pass`, `FAIL` otherwise.
fn expect(task: Task, pass: bool) -> Outcome {
    let o = formal::run(&task).unwrap_or_else(|e| panic!("{e}"));
    println!("{o}");
    let want = if pass { "PASS" } else { "FAIL" };
    assert_eq!(o.status, want, "{}: {}\n{}", task.name, o.status, o.summary);
    o
}

fn fifo_task(name: &str, verilog: String, width: u32, depth: usize, k: u32) -> Task {
    Task {
        name: name.to_string(),
        mode: Mode::Prove,
        depth: k,
        top: "fifo".to_string(),
        verilog: formal::fifo_with_props(&verilog, width, depth),
        defines: vec![],
    }
}

#[test]
fn fifo_output_rule_and_order_by_induction() {
    for (w, d) in [(64, 2), (64, 16)] {
        let v = formal::fifo_verilog(w, d);
        expect(fifo_task(&format!("fifo_{w}x{d}"), v, w, d, 4), true);
    }
}

/// A mutant of the 64 x 4 FIFO, checked by BMC (depth 10) with the claims alone
/// (`F_CLAIMS_ONLY`: no auxiliary invariant), so that a claim itself rejects it.
fn fifo_mutant(name: &str, from: &str, to: &str, claim: &str) {
    let (w, d) = (64, 4);
    let v = formal::edit(&formal::fifo_verilog(w, d), from, to);
    let mut t = fifo_task(name, v, w, d, 10);
    t.mode = Mode::Bmc;
    t.defines.push("F_CLAIMS_ONLY".into());
    let o = expect(t, false);
    assert!(
        o.failed.iter().any(|f| f == claim),
        "{name}: {:?}",
        o.failed
    );
}

#[test]
fn fifo_mutants_are_rejected() {
    // order: the read pointer skips a word
    fifo_mutant(
        "fifo_mutant_skip",
        "else if (pop) rp <= rp + 3'd1;",
        "else if (pop) rp <= rp + 3'd2;",
        "assert({m_last, m_data} == f_tag_word);",
    );
    // output rule: m_valid withdrawn when the FIFO fills up under a stall
    fifo_mutant(
        "fifo_mutant_valid",
        "always @(*) m_valid = nonempty;",
        "always @(*) m_valid = nonempty && notfull;",
        "assert(m_valid);",
    );
    // output rule and order: a word written while full overwrites the head
    fifo_mutant(
        "fifo_mutant_overwrite",
        "wire push = s_valid && notfull;",
        "wire push = s_valid;",
        "assert(free == F_D - f_count);",
    );
}

#[test]
fn fifo_s_ready_has_no_path_from_s_valid() {
    for (w, d) in [(64, 2), (64, 16)] {
        let v = formal::fifo_verilog(w, d);
        let o = formal::no_comb_path(
            &format!("fifo_{w}x{d}_ready"),
            &v,
            "fifo",
            "s_valid",
            "s_ready",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        println!("{o}");
        assert!(o.passed(), "{}", o.summary);
    }
    // the mutant: ready whenever no word is offered
    let v = formal::edit(
        &formal::fifo_verilog(64, 2),
        "always @(*) s_ready = notfull;",
        "always @(*) s_ready = notfull || !s_valid;",
    );
    let o = formal::no_comb_path("fifo_mutant_ready", &v, "fifo", "s_valid", "s_ready")
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{o}");
    assert_eq!(o.status, "FAIL");
}

/// The engine's Verilog on the 1x1 config with its properties (liveness bound `n`).
fn engine_task(
    name: &str,
    verilog: &str,
    mode: Mode,
    depth: u32,
    n: u32,
    defines: &[&str],
) -> Task {
    let cfg = formal::engine_config();
    Task {
        name: name.to_string(),
        mode,
        depth,
        top: fusemax_hdl::TOP_MODULE.to_string(),
        verilog: formal::engine_with_props(verilog, &cfg, n),
        defines: defines.iter().map(|d| d.to_string()).collect(),
    }
}

/// The liveness bound of the quick proofs: s_axis_tready is high within 3 cycles of a
/// trailer's last word entering the output FIFO (2 fail: the controller takes the next header
/// 2 cycles after, the input FIFO frees a slot a cycle later).
const N: u32 = 3;

fn engine() -> String {
    fusemax_hdl::generate(&formal::engine_config())
}

/// The quick engine proofs' BMC depth: about 25 s each on this machine's kind (depth 30
/// takes about 50 s, 40 about 6 minutes: the time grows steeply with the depth).
const DEPTH: u32 = 24;

#[test]
fn engine_stream_rules_bmc() {
    expect(
        engine_task("engine_bmc", &engine(), Mode::Bmc, DEPTH, N, &[]),
        true,
    );
}

#[test]
fn engine_s_axis_tready_has_no_path_from_tvalid() {
    let top = fusemax_hdl::TOP_MODULE;
    let o = formal::no_comb_path(
        "engine_ready",
        &engine(),
        top,
        "s_axis_tvalid",
        "s_axis_tready",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!("{o}");
    assert!(o.passed(), "{}", o.summary);
}

/// An engine mutant: BMC with the FIFO invariants left out (`F_CLAIMS_ONLY`) must fail on
/// one of the `claims` (the end of a failed assertion's source line).
fn engine_mutant(name: &str, verilog: String, depth: u32, claims: &[&str]) {
    let t = engine_task(name, &verilog, Mode::Bmc, depth, N, &["F_CLAIMS_ONLY"]);
    let o = expect(t, false);
    assert!(
        o.failed
            .iter()
            .any(|f| claims.iter().any(|c| f.ends_with(c))),
        "{name}: failed {:?}, expected one of {claims:?}",
        o.failed
    );
}

#[test]
fn engine_mutants_are_rejected() {
    let v = engine();
    let top = fusemax_hdl::TOP_MODULE;
    let out_fifo = formal::instance_module(&v, top, "out_fifo");
    let in_fifo = formal::instance_module(&v, top, "in_fifo");
    // output rule: the output FIFO lets a word go without m_axis_tready
    let m = formal::edit_in(
        &v,
        &out_fifo,
        "wire pop = m_ready && nonempty;",
        "wire pop = nonempty;",
    );
    engine_mutant(
        "engine_mutant_pop",
        m,
        DEPTH,
        &[
            "assert(m_axis_tvalid);",
            "assert(m_axis_tdata == $past(m_axis_tdata));",
            "assert(m_axis_tlast == $past(m_axis_tlast));",
        ],
    );
    // after a trailer: the controller never leaves the wait for the trailer's end
    let m = formal::edit_in(
        &v,
        "fusemax_controller",
        "else if ((lst == L_WAITEND) && trail_done) lst <= L_HDR;",
        "else if ((lst == L_WAITEND) && trail_done) lst <= L_WAITEND;",
    );
    engine_mutant("engine_mutant_stuck", m, DEPTH, &["assert(f_wait < F_N);"]);
    // reset: the input FIFO ready out of reset
    let m = formal::edit_in(
        &v,
        &in_fifo,
        "if (rst) notfull <= 1'd0;",
        "if (rst) notfull <= 1'd1;",
    );
    engine_mutant("engine_mutant_reset", m, 8, &["assert(!s_axis_tready);"]);
}

const K: u32 = 3;

#[test]
fn engine_output_rule_by_induction() {
    let t = engine_task(
        "engine_prove_output",
        &engine(),
        Mode::Prove,
        K,
        N,
        &["F_OUTPUT_ONLY"],
    );
    expect(t, true);
}

#[test]
#[ignore = "long: make formal"]
fn engine_stream_rules_bmc_long() {
    expect(
        engine_task("engine_bmc_long", &engine(), Mode::Bmc, 32, N, &[]),
        true,
    );
}

#[test]
fn engine_reaches_a_trailer_and_a_good_header() {
    let t = engine_task("engine_cover", &engine(), Mode::Cover, 20, N, &["F_COVER"]);
    expect(t, true);
}

#[test]
#[ignore = "long: make formal"]
fn engine_takes_input_after_a_trailer_taken_on_m_axis() {
    // with a sink that never stalls, from the trailer's last word taken on m_axis
    let t = engine_task(
        "engine_bmc_sink_ready_long",
        &engine(),
        Mode::Bmc,
        32,
        2,
        &["F_SINK_READY"],
    );
    expect(t, true);
}
