//! `fusemax fpga` before any tool runs: without --config a board starts from its preset (and
//! says so), and a config that cannot fit fails in about a second naming the resource.

use std::process::Command;
use std::time::Instant;

fn fpga(args: &[&str]) -> (bool, String, f64) {
    let t = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_fusemax"))
        .arg("fpga")
        .args(args)
        .output()
        .expect("the fusemax binary runs");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (o.status.success(), err, t.elapsed().as_secs_f64())
}

#[test]
fn board_without_config_uses_its_preset_and_hopeless_configs_fail_at_once() {
    // The preset (1x1) under rows/cols = 8: 8x8 with the preset's 12-bit numerics.
    let (ok, err, secs) = fpga(&[
        "--board",
        "icebreaker",
        "--set",
        "rows=8",
        "--set",
        "cols=8",
    ]);
    assert!(!ok);
    assert!(
        err.contains("using the icebreaker preset (configs/icebreaker.toml"),
        "{err}"
    );
    assert!(
        err.contains("before synthesis") && err.contains("SB_MAC16 needed, 8 available"),
        "{err}"
    );
    assert!(!err.contains("fpga: synthesis"), "synthesis ran: {err}");
    assert!(secs < 10.0, "{secs} s");

    // An explicit config is taken as given (the default 8x8 here), with no preset note.
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.toml");
    std::fs::write(&c, "rows = 8\n").unwrap();
    let (ok, err, _) = fpga(&["--board", "icebreaker", "--config", c.to_str().unwrap()]);
    assert!(!ok);
    assert!(!err.contains("preset ("), "{err}");
    assert!(err.contains("96 SB_MAC16 needed"), "{err}");

    // The preset's own values reach the config: its max_e = 16 rejects a --head-e of 32.
    let (ok, err, _) = fpga(&["--board", "icebreaker", "--head-e", "32"]);
    assert!(!ok);
    assert!(
        err.contains("job.head_e") && err.contains("1 ..= 16"),
        "{err}"
    );
}
