//! The fit check from the config (before synthesis): its counts against what synthesis
//! reported on the same configs (README "FPGA", `tests/data/`), and configs that cannot fit
//! rejected in about a second, without tools.

use fusemax_fpga::fit::{check_config, config_needs, inventory, min_brams, CONFIG_STAGE};
use fusemax_fpga::{boards, Board, Family};
use fusemax_hdl::Config;

fn cfg(base: &str, sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Config::load_text("preset", base, &sets).unwrap()
}

fn needs(c: &Config, board: Board) -> (u64, u64) {
    let inv = inventory(c, board).unwrap();
    config_needs(&inv, boards::spec(board).family)
}

#[test]
fn ecp5_multipliers_are_exact_and_block_rams_a_lower_bound() {
    // yosys 0.70 at b31520e (README table): 2x2 12 DSP 12 BRAM, 4x4 32 / 24, 8x8 96 / 48.
    for (n, dsps, brams) in [(2, 12, 12), (4, 32, 24), (8, 96, 48)] {
        let c = cfg(
            boards::ULX3S.preset,
            &[&format!("rows={n}"), &format!("cols={n}")],
        );
        let (d, b) = needs(&c, Board::Ulx3s);
        assert_eq!(d, dsps, "{n}x{n}");
        assert!(b <= brams, "{n}x{n}: {b} > {brams}");
        check_config(&c, Board::Ulx3s).unwrap();
    }
}

#[test]
fn ice40_counts_are_lower_bounds_of_synthesis() {
    // The preset 1x1: 4 SB_MAC16, 15 SB_RAM40_4K (yosys 0.70 at 184fc5b); default numerics at
    // 1x1: 12 SB_MAC16 and 14 SB_RAM40_4K (tests/data/ice40_stat_overfull.json).
    let p = cfg(boards::ICEBREAKER.preset, &[]);
    let (d, b) = needs(&p, Board::Icebreaker);
    assert_eq!(d, 4);
    assert!(b <= 15, "{b}");
    check_config(&p, Board::Icebreaker).unwrap();
    let one = cfg("", &["rows=1", "cols=1"]);
    let (d, b) = needs(&one, Board::Icebreaker);
    assert!((1..=12).contains(&d), "{d}");
    assert!((1..=14).contains(&b), "{b}");
    // Not rejected here: synthesis finds the 12 SB_MAC16 (the check must never refuse a
    // config that synthesis would fit, so it counts the fewest DSPs a product can take).
    check_config(&one, Board::Icebreaker).unwrap();
}

#[test]
fn hopeless_configs_fail_at_once_naming_the_resource() {
    let t = std::time::Instant::now();
    let e = check_config(&cfg("", &[]), Board::Icebreaker)
        .unwrap_err()
        .unwrap();
    assert_eq!(e.stage, CONFIG_STAGE);
    let msg = e.to_string();
    assert!(
        msg.contains("iCE40UP5K-SG48")
            && msg.contains("SB_MAC16 needed, 8 available")
            && msg.contains("before synthesis"),
        "{msg}"
    );
    // Default 8x8: 64 PEs and 8 units of 4 products each, at least 96 SB_MAC16; block RAMs
    // too (a 41-bit x 128 RNV bank takes 3 SB_RAM40_4K).
    assert!(e
        .shortages
        .iter()
        .any(|s| s.primitive == "SB_MAC16" && s.needed == 96));
    assert!(e.shortages.iter().any(|s| s.primitive == "SB_RAM40_4K"));
    let e = check_config(&cfg("", &["rows=16", "cols=16"]), Board::Ulx3s)
        .unwrap_err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("320 MULT18X18D needed, 156 available"),
        "{e}"
    );
    assert!(t.elapsed().as_secs_f64() < 10.0, "{:?}", t.elapsed());
}

#[test]
fn block_ram_shapes() {
    assert_eq!(min_brams(8, 512, Family::Ice40), 1);
    assert_eq!(min_brams(8, 256, Family::Ice40), 0);
    assert_eq!(min_brams(41, 128, Family::Ice40), 3);
    assert_eq!(min_brams(41, 256, Family::Ecp5), 0);
    assert_eq!(min_brams(41, 512, Family::Ecp5), 2);
    assert_eq!(min_brams(41, 1024, Family::Ecp5), 3);
    assert_eq!(min_brams(64, 4096, Family::Ecp5), 16);
}
