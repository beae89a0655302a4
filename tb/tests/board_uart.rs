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
    let cfg = Config {
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
    let sim = SimBoard::start(&cfg, Board::Icebreaker, 200_000_000).unwrap();
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
        let out = host.run_job(&words).unwrap();
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
