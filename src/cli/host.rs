//! `fusemax host`: runs one job on a board through its UART host link
//! (`docs/host-protocol.md`), checks AV against the bit-accurate model, prints the board's
//! performance counters.

use super::common::{CommonArgs, JobFiles};
use super::emit;
use super::reference::load_job;
use anyhow::{anyhow, bail, Context, Result};
use fusemax_hdl::stream::{decode, encode, JobData};
use fusemax_tb::drivers::host::HostClient;
use fusemax_tb::{metrics, reference, Mat};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub files: JobFiles,

    /// Serial port of the board (e.g. /dev/ttyUSB0), or a pty of a simulated board.
    #[arg(long, value_name = "PORT")]
    pub port: PathBuf,

    /// Baud rate (default: the config's uart_baud, which the bitstream was built with).
    #[arg(long, value_name = "BAUD")]
    pub baud: Option<u32>,

    /// Seconds to wait for the board before giving up.
    #[arg(long, value_name = "S", default_value_t = 10)]
    pub timeout: u64,
}

pub fn run(a: Args) -> Result<()> {
    let (cfg, job, _) = load_job(&a.common, &a.files)?;
    let (p, m, e, f) = job.shape();
    let words = encode(
        &cfg,
        &JobData {
            p,
            m,
            e,
            f,
            q: &job.q.data,
            k: &job.k.data,
            v: &job.v.data,
            scale: job.scale_const,
        },
    );
    let baud = a.baud.unwrap_or(cfg.uart_baud);
    let port = serialport::new(a.port.to_string_lossy(), baud)
        .timeout(Duration::from_secs(a.timeout))
        .open()
        .with_context(|| format!("cannot open {}", a.port.display()))?;
    let t0 = Instant::now();
    let mut client = HostClient::new(port);
    let out_words = client
        .run_job(&fusemax_hdl::stream::limbs(&cfg, &words))
        .map_err(|e| anyhow!(e))?;
    let secs = t0.elapsed().as_secs_f64();
    let out = decode(&cfg, p, f, &out_words).map_err(|e| anyhow!("board output: {e}"))?;
    let t = out.trailer;
    if t.status != 0 {
        bail!("the board ended the job with status {}", t.status);
    }
    let expect = reference::cascade_fixed(&job, &cfg);
    let mismatches = metrics::mismatches(&out.av, &expect.data);
    let av = Mat::from_vec(p, f, out.av);
    let stats = metrics::error_stats(&av, cfg.out_frac_bits, &metrics::reference_lsb(&job));
    a.files.write_av(&av, &job, &cfg)?;
    if a.common.json {
        let v = serde_json::json!({
            "port": a.port.display().to_string(),
            "baud": baud,
            "shape": { "p": p, "m": m, "e": e, "f": f },
            "status": t.status,
            "cycles": t.cycles,
            "cycles_2d_busy": t.busy_2d,
            "cycles_1d_busy": t.busy_1d,
            "stall_cycles": t.stall_in + t.stall_out,
            "util_2d": t.busy_2d as f64 / t.cycles.max(1) as f64,
            "mismatches": mismatches,
            "max_abs_err_lsb": stats.max_abs_err_lsb,
            "mean_abs_err_lsb": stats.mean_abs_err_lsb,
            "resent_frames": client.resends,
            "seconds": secs,
        });
        emit(&format!("{}\n", serde_json::to_string(&v)?))?;
    } else {
        emit(&format!(
            "fusemax host ({}, {baud} baud): P = {p}, M = {m}, E = {e}, F = {f} in {secs:.2} s\n  \
             board counters: {} cycles, 2D busy {}, 1D busy {}, stalls {} (input waits on the UART)\n  \
             {mismatches} mismatches against the bit-accurate model; error vs f64: max {:.4}, mean {:.5} LSB\n",
            a.port.display(),
            t.cycles,
            t.busy_2d,
            t.busy_1d,
            t.stall_in + t.stall_out,
            stats.max_abs_err_lsb,
            stats.mean_abs_err_lsb
        ))?;
    }
    if mismatches > 0 {
        bail!("{mismatches} outputs differ from the bit-accurate model");
    }
    Ok(())
}
