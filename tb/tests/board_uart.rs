//! The board top end to end in Verilator: the host program sends a job over the UART protocol
//! to the simulated board through a pseudo-terminal and gets AV bit-exact with
//! `cascade_fixed`, plus the trailer's counters; a corrupted frame is answered with NAK and
//! resent.

use fusemax_hdl::board::Board;
use fusemax_hdl::host_link::proto;
use fusemax_hdl::stream::{decode, encode, JobData};
use fusemax_hdl::{Config, Dist, Job};
use fusemax_tb::drivers::board::SimBoard;
use fusemax_tb::drivers::host::HostClient;
use fusemax_tb::gen::generate;
use fusemax_tb::quant::QuantJob;
use fusemax_tb::reference::cascade_fixed;
use std::io::Write;

#[test]
fn host_program_runs_a_job_on_the_simulated_board() {
    board_job(64);
}

/// The same through the board's width converter in front of a 128-bit engine stream: the host
/// sends each input word as two 64-bit limbs.
#[test]
fn host_program_runs_a_job_on_a_board_with_a_128_bit_engine_stream() {
    board_job(128);
}

fn board_job(stream_bits: u32) {
    let cfg = Config {
        stream_bits,
        rows: 2,
        cols: 2,
        max_e: 16,
        max_f: 16,
        max_seq_kv: 256,
        max_seq_q: 256,
        clock_mhz: 40.0,
        uart_baud: 5_000_000,
        job: Job {
            head_e: 8,
            head_f: 8,
            ..Default::default()
        },
        ..Config::default()
    };
    cfg.validate().unwrap();
    let sim = SimBoard::start(&cfg, Board::Icebreaker, 20_000_000).unwrap();
    let port = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&sim.port)
        .unwrap();
    let mut host = HostClient::new(port);
    for (seed, (p, m, e, f)) in [(1u64, (3usize, 9usize, 8usize, 5usize)), (2, (4, 5, 16, 3))] {
        let x = generate(p, m, e, f, seed, Dist::Normal);
        let j = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).unwrap();
        let words = encode(
            &cfg,
            &JobData {
                p,
                m,
                e,
                f,
                q: &j.q.data,
                k: &j.k.data,
                v: &j.v.data,
                scale: j.scale_const,
            },
        );
        let out = host
            .run_job(&fusemax_hdl::stream::limbs(&cfg, &words))
            .unwrap();
        let d = decode(&cfg, p, f, &out).unwrap();
        assert_eq!(d.trailer.status, 0);
        assert_eq!(
            d.av,
            cascade_fixed(&j, &cfg).data,
            "AV over the UART equals the bit-accurate model"
        );
        assert!(d.trailer.cycles > 0 && d.trailer.busy_2d > 0);
    }
    // A frame with a bad checksum gets NAK with the checksum code.
    let mut port = host.into_inner();
    let mut f = proto::frame(proto::DATA, &[0u8; 8]);
    let n = f.len();
    f[n - 1] ^= 0x55;
    port.write_all(&f).unwrap();
    let mut got = [0u8; 6];
    std::io::Read::read_exact(&mut port, &mut got).unwrap();
    assert_eq!(
        got.to_vec(),
        proto::frame(proto::NAK, &[proto::ERR_CHECKSUM])
    );
}

/// `fusemax host` itself (through the serialport crate) against the simulated board's pty.
#[test]
fn fusemax_host_binary_talks_to_the_simulated_board() {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/fusemax");
    let bin = if bin.exists() {
        bin
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/fusemax")
    };
    if !bin.exists() {
        eprintln!("SKIPPED: the fusemax binary is not built (cargo build first)");
        return;
    }
    let sets = [
        "rows=2",
        "cols=2",
        "max_e=16",
        "max_f=16",
        "max_seq_kv=256",
        "max_seq_q=256",
        "clock_mhz=40.0",
        "uart_baud=5000000",
    ];
    let mut cfg = Config::default();
    for s in sets {
        let (k, v) = s.split_once('=').unwrap();
        match k {
            "rows" => cfg.rows = v.parse().unwrap(),
            "cols" => cfg.cols = v.parse().unwrap(),
            "max_e" => cfg.max_e = v.parse().unwrap(),
            "max_f" => cfg.max_f = v.parse().unwrap(),
            "max_seq_kv" => cfg.max_seq_kv = v.parse().unwrap(),
            "max_seq_q" => cfg.max_seq_q = v.parse().unwrap(),
            "clock_mhz" => cfg.clock_mhz = v.parse().unwrap(),
            _ => cfg.uart_baud = v.parse().unwrap(),
        }
    }
    cfg.job = Job {
        head_e: 8,
        head_f: 8,
        ..Default::default()
    };
    let sim = SimBoard::start(&cfg, Board::Ulx3s, 20_000_000).unwrap();
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("host").arg("--port").arg(&sim.port).arg("--json");
    for s in sets {
        cmd.arg("--set").arg(s);
    }
    cmd.args([
        "--seq-q", "3", "--seq-kv", "7", "--head-e", "8", "--head-f", "4",
    ]);
    let o = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "fusemax host failed: {}{}",
        out,
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["mismatches"], 0);
    assert!(v["cycles"].as_u64().unwrap() > 0);
}
