//! The equivalence checks of two Verilog texts of one block.

use fusemax_hdl::kit::cosim::{build_root, run};
use fusemax_hdl::kit::emit::emit_verilog;
use fusemax_hdl::kit::Component;
use std::process::Command;

/// Proves with yosys that `gate` (the new Verilog) is equivalent to `gold` (the old): module
/// `gold` and module `gate` each read and flattened alone, then copied into one design,
/// processes and memories mapped to flip-flops, signals paired by name (`equiv_make`), every pair proven by `equiv_simple`
/// (first with cones cut at the other pairs, an induction step over all of them; then over
/// two cycles) and, for what is left, `equiv_induct`. Returns yosys's summary, or the reason it failed (with "unproven" when
/// yosys found signals it could not prove equal). Files under `build/equiv/<tag>/`.
pub fn formal<A: Component, B: Component>(tag: &str, gold: &A, gate: &B) -> Result<String, String> {
    let dir = build_root().join("equiv").join(tag);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("gold.v"), emit_verilog(gold, "gold", "// old\n"))
        .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("gate.v"), emit_verilog(gate, "gate", "// new\n"))
        .map_err(|e| e.to_string())?;
    // Each side is read alone, flattened (its children inlined with hierarchical names) and
    // stashed, since both texts define child modules of the same names.
    let script = "read_verilog gold.v\n\
                  hierarchy -top gold\n\
                  proc\n\
                  flatten\n\
                  memory\n\
                  opt_clean\n\
                  design -stash gold\n\
                  read_verilog gate.v\n\
                  hierarchy -top gate\n\
                  proc\n\
                  flatten\n\
                  memory\n\
                  opt_clean\n\
                  design -stash gate\n\
                  design -copy-from gold -as gold gold\n\
                  design -copy-from gate -as gate gate\n\
                  equiv_make gold gate equiv\n\
                  hierarchy -top equiv\n\
                  equiv_simple -short\n\
                  equiv_simple -seq 2\n\
                  equiv_induct -seq 2\n\
                  equiv_status -assert\n";
    std::fs::write(dir.join("equiv.ys"), script).map_err(|e| e.to_string())?;
    let r =
        run(Command::new("yosys")
            .current_dir(&dir)
            .args(["-q", "-l", "equiv.log", "equiv.ys"]));
    let log = std::fs::read_to_string(dir.join("equiv.log")).unwrap_or_default();
    let summary: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("$equiv cells") || l.contains("Equivalence successfully"))
        .collect();
    match r {
        Ok(()) if log.contains("Equivalence successfully proven!") => {
            let s = format!("{tag}: formal: {}", summary.join(" / ").trim());
            println!("{s}");
            Ok(s)
        }
        Ok(()) => Err(format!("{tag}: yosys finished without a proof:\n{log}")),
        Err(e) => {
            let unproven: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("Unproven $equiv") || l.contains("unproven"))
                .take(20)
                .collect();
            Err(format!(
                "{tag}: {}\n{}",
                unproven.join("\n"),
                e.lines().take(20).collect::<Vec<_>>().join("\n")
            ))
        }
    }
}
