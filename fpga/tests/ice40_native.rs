//! The iCE40 flow end to end with Debian's native tools (yosys, nextpnr-ice40, icepack, from
//! `make deps`): the iCEBreaker preset's numerics (configs/icebreaker.toml) on a 1x1 array are
//! synthesized, placed and routed, packed to a bitstream, and the JSON report is written and
//! parses. About a minute on two cores. Skipped, loudly, only when the tools are absent.
//!
//! The preset is 1x1 since the FuseMax binding (4,441 of 5,280 logic cells with yosys 0.70 at
//! 184fc5b); this test checks the flow and its report with Debian's yosys 0.23 (4,343 at
//! edad62a, before the binding).

use fusemax_fpga::flow::{self, FlowOptions};
use fusemax_fpga::tools::{which, ToolPref};
use fusemax_fpga::{boards, Board};
use fusemax_hdl::Config;

#[test]
fn ice40_flow_with_native_tools_makes_a_bitstream_and_a_report() {
    let missing: Vec<&str> = ["yosys", "nextpnr-ice40", "icepack"]
        .into_iter()
        .filter(|t| which(t).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "\n\n*** SKIPPED ice40_flow_with_native_tools: {} not on PATH. Install them with \
             `make deps` (apt-get install yosys nextpnr-ice40 fpga-icestorm). ***\n\n",
            missing.join(", ")
        );
        return;
    }
    let spec = boards::spec(Board::Icebreaker);
    let mut cfg = Config::from_toml_str(spec.preset).unwrap();
    cfg.rows = 1;
    cfg.validate().unwrap();
    let dir = fusemax_hdl::kit::cosim::build_root()
        .join("fpga-test")
        .join(format!("icebreaker-native-{}", cfg.hw_hash()));
    let opts = FlowOptions {
        out_dir: Some(dir.clone()),
        tools: ToolPref::Native,
        ..FlowOptions::new(Board::Icebreaker)
    };
    let r = flow::run(&cfg, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.tools.yosys.source, "native");
    assert_eq!(r.tools.nextpnr.source, "native");

    let bit = std::fs::metadata(&r.paths.bitstream).expect("a bitstream");
    // An UP5K bitstream is 104090 bytes (whatever the design).
    assert!(bit.len() > 100_000, "{} bytes", bit.len());
    assert!(r.dsps <= spec.capacity.dsps && r.brams <= spec.capacity.brams);
    assert!(r.fmax_mhz > 1.0, "{}", r.fmax_mhz);
    assert_eq!(r.target_mhz, cfg.clock_mhz);
    let lc = r.placed["ICESTORM_LC"];
    assert!(lc.used > 0 && lc.used <= lc.available, "{lc:?}");

    // The report on disk is the same, with the documented keys.
    let text = std::fs::read_to_string(&r.paths.report).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for k in [
        "board",
        "device",
        "luts",
        "ffs",
        "dsps",
        "brams",
        "fmax_mhz",
        "target_mhz",
        "timing_met",
        "paths",
    ] {
        assert!(v.get(k).is_some(), "fpga.json lacks {k}");
    }
    assert_eq!(v["board"], "icebreaker");
    assert_eq!(v["luts"], r.luts);
    assert_eq!(v["paths"]["bitstream"], r.paths.bitstream.as_str());
    for log in [&r.paths.synth_log, &r.paths.pnr_log] {
        assert!(std::fs::metadata(log).unwrap().len() > 0, "{log} is empty");
    }
    // run.sh repeats exactly the commands that ran.
    let sh = std::fs::read_to_string(&r.paths.run_script).unwrap();
    assert!(sh.contains("nextpnr-ice40 --up5k --package sg48"), "{sh}");
}
