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
