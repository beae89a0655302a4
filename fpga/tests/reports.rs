//! Fast tests of the flow's pieces on recorded tool output (tests/data/, from real runs on
//! this project's machine): report parsing, the fit check's messages, the generated scripts.

use fusemax_fpga::boards::{self, Family, ICEBREAKER, ULX3S};
use fusemax_fpga::fit;
use fusemax_fpga::flow::{self, render_scripts};
use fusemax_fpga::report::{self, parse_nextpnr_report, parse_yosys_stat, signal_of_cell};
use fusemax_fpga::tools::Toolchain;
use fusemax_fpga::Board;
use fusemax_hdl::Config;

fn data(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn preset(board: Board) -> Config {
    Config::load(None, &[])
        .and_then(|_| Config::from_toml_str(boards::spec(board).preset))
        .and_then(|c| c.validate().map(|_| c))
        .unwrap()
}

#[test]
fn yosys_stat_ice40_from_yosys_023() {
    let s = parse_yosys_stat(
        &data("ice40_stat_yosys023.json"),
        "fusemax_board",
        Family::Ice40,
    )
    .unwrap();
    assert_eq!(s.luts, s.cells["SB_LUT4"]);
    assert_eq!(s.dsps, s.cells["SB_MAC16"]);
    assert_eq!(s.brams, s.cells["SB_RAM40_4K"]);
    let ffs: u64 = s
        .cells
        .iter()
        .filter(|(t, _)| t.starts_with("SB_DFF"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(s.ffs, ffs);
    assert!(s.luts > 1000 && s.ffs > 500, "{s:?}");
}

#[test]
fn yosys_stat_ecp5_from_yosys_070_drops_scopeinfo() {
    let text = data("ecp5_stat_yosys070.json");
    assert!(
        text.contains("$scopeinfo"),
        "the sample has the pseudo-cells"
    );
    let s = parse_yosys_stat(&text, "fusemax_board", Family::Ecp5).unwrap();
    assert!(!s.cells.contains_key("$scopeinfo"));
    let get = |t: &str| s.cells.get(t).copied().unwrap_or(0);
    assert_eq!(
        s.luts,
        get("LUT4") + 2 * get("CCU2C") + 2 * get("TRELLIS_DPR16X4")
    );
    assert_eq!(s.ffs, get("TRELLIS_FF"));
    assert_eq!(s.dsps, get("MULT18X18D"));
    assert_eq!(s.brams, get("DP16KD"));
    assert!(s.dsps > 0 && s.luts > 1000, "{s:?}");
}

#[test]
fn yosys_stat_errors_are_messages() {
    for bad in ["", "{}", "{\"modules\": {}}", "not json"] {
        let e = parse_yosys_stat(bad, "fusemax_board", Family::Ice40).unwrap_err();
        assert!(e.contains("cannot parse yosys stat JSON"), "{e}");
    }
}

#[test]
fn nextpnr_reports_parse_and_match_device_capacity() {
    for (file, spec, lc, dsp, ram) in [
        (
            "ice40_report_nextpnr04.json",
            &ICEBREAKER,
            "ICESTORM_LC",
            "ICESTORM_DSP",
            "ICESTORM_RAM",
        ),
        (
            "ecp5_report_nextpnr011.json",
            &ULX3S,
            "TRELLIS_COMB",
            "MULT18X18D",
            "DP16KD",
        ),
    ] {
        let r = parse_nextpnr_report(&data(file)).unwrap();
        assert!(!r.clocks.is_empty(), "{file}");
        assert!(
            r.clocks.iter().all(|c| !c.clock.starts_with("$PACKER")),
            "{file}: constant nets are not clocks"
        );
        let f = r.fmax_mhz().unwrap();
        assert!(f > 1.0 && f < 1000.0, "{file}: {f}");
        assert_eq!(
            r.timing_met(),
            r.clocks.iter().all(|c| c.fmax_mhz >= c.target_mhz)
        );
        let cap = spec.capacity;
        assert_eq!(r.utilization[lc].available, cap.luts, "{file}");
        assert_eq!(r.utilization[dsp].available, cap.dsps, "{file}");
        assert_eq!(r.utilization[ram].available, cap.brams, "{file}");
        let p = r.worst_path().expect("a critical path");
        assert_eq!(p.from_clock, r.worst_clock().unwrap().clock, "{file}");
        let (from, to) = p.endpoints();
        assert!(!from.is_empty() && !to.is_empty(), "{file}");
        assert!(p.logic_levels() > 0 && p.delay_ns > 0.0, "{file}");
        // The path's delay is the sum of its steps and about the clock's period.
        let period = 1000.0 / r.worst_clock().unwrap().fmax_mhz;
        assert!(
            (p.delay_ns - period).abs() < 0.25 * period,
            "{file}: {} ns vs {period} ns",
            p.delay_ns
        );
        fit::check_pnr(&r.utilization, spec).unwrap();
    }
}

#[test]
fn cell_names_give_signals() {
    assert_eq!(
        signal_of_cell("engine.datapath.array1d.unit_c0.xs.pre_r_SB_LUT4_O_4_LC"),
        "engine.datapath.array1d.unit_c0.xs.pre_r"
    );
    assert_eq!(signal_of_cell("a.b.c$CARRY"), "a.b.c");
    assert_eq!(signal_of_cell("plain"), "plain");
}

#[test]
fn fit_check_names_the_resource_and_the_excess() {
    // The default numerics (18-bit multipliers) on a 1x1 array, synthesized for the UP5K:
    // more SB_MAC16 than the device has.
    let s = parse_yosys_stat(
        &data("ice40_stat_overfull.json"),
        "fusemax_board",
        Family::Ice40,
    )
    .unwrap();
    assert!(s.dsps > 8, "{s:?}");
    let e = fit::check_synth(&s, &ICEBREAKER).unwrap_err();
    let msg = e.to_string();
    let want = format!(
        "DSP multipliers: {} SB_MAC16 needed, 8 available ({} over",
        s.dsps,
        s.dsps - 8
    );
    assert!(msg.contains(&want), "{msg}");
    assert!(
        msg.contains("iCE40UP5K-SG48") && msg.contains("after synthesis"),
        "{msg}"
    );
    // The same netlist fits the ECP5's capacity numbers.
    let mut big = s.clone();
    big.luts = 90_000;
    let e = fit::check_synth(&big, &ULX3S).unwrap_err().to_string();
    assert!(
        e.contains("LUTs: 90000 LUT4 needed, 83640 available (6360 over, 108% of the device)"),
        "{e}"
    );
    assert!(!e.contains("DSP"), "{e}");
}

#[test]
fn nextpnr_log_utilisation_of_a_failed_run() {
    // nextpnr-ice40 0.4 on the same overfull netlist: it prints the utilisation, then fails.
    let log = data("ice40_pnr_overfull.log");
    let u = report::parse_nextpnr_log_utilization(&log);
    assert_eq!(u["ICESTORM_DSP"].available, 8, "{u:?}");
    assert!(u["ICESTORM_DSP"].used > 8, "{u:?}");
    let e = fit::check_pnr(&u, &ICEBREAKER).unwrap_err().to_string();
    assert!(e.contains("after place-and-route"), "{e}");
    assert!(
        e.contains("DSP multipliers") && e.contains("ICESTORM_DSP needed, 8 available"),
        "{e}"
    );
    assert!(!e.contains("logic cells"), "LCs fit: {e}");
}

#[test]
fn scripts_are_deterministic_and_follow_the_config() {
    for board in [Board::Ulx3s, Board::Icebreaker] {
        let spec = boards::spec(board);
        let tc = Toolchain::named(spec.family);
        let cfg = preset(board);
        let a = render_scripts(&cfg, spec, &tc, 1).unwrap();
        let b = render_scripts(&cfg, spec, &tc, 1).unwrap();
        assert_eq!(a, b, "same inputs, same scripts");
        let freq = format!("--freq {} ", flow::freq_arg(cfg.clock_mhz));
        assert!(a.run_sh.contains(&freq), "{}", a.run_sh);
        assert!(a.run_sh.contains(&cfg.hw_hash()));
        assert!(a.run_sh.contains(spec.pnr_args.join(" ").as_str()));
        assert!(a.run_sh.contains(spec.bitstream_name()));
        let synth = match spec.family {
            Family::Ecp5 => "synth_ecp5 -top fusemax_board",
            Family::Ice40 => "synth_ice40 -dsp -top fusemax_board",
        };
        assert!(a.synth_ys.contains(synth), "{}", a.synth_ys);
        assert!(a.synth_ys.contains("tee -q -o stat.json stat -json"));
        let mut faster = cfg.clone();
        faster.clock_mhz += 10.0;
        let c = render_scripts(&faster, spec, &tc, 1).unwrap();
        assert_ne!(a.run_sh, c.run_sh, "the clock reaches --freq");
        assert_eq!(
            a.synth_ys.lines().skip(2).collect::<Vec<_>>(),
            c.synth_ys.lines().skip(2).collect::<Vec<_>>()
        );
    }
}

#[test]
fn constraints_place_exactly_the_board_top_pins() {
    for board in [Board::Ulx3s, Board::Icebreaker] {
        flow::check_pins(board).unwrap();
        let spec = boards::spec(board);
        assert_eq!(spec.board, board);
        assert!(spec.constraints.contains("Source:"), "names its source");
    }
}

#[test]
fn presets_are_valid_configs() {
    for board in [Board::Ulx3s, Board::Icebreaker] {
        let cfg = preset(board);
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join(format!("configs/{}.toml", boards::spec(board).name));
        assert_eq!(Config::load(Some(&file), &[]).unwrap(), cfg);
    }
}
