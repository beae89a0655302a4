//! The whole engine in rust-hdl simulation: a job's input words through the AXI4-Stream slave
//! with optional random backpressure on both streams, the output words collected until `tlast`.

use fusemax_hdl::kit::RtlSim;
use fusemax_hdl::stream::{InWord, Word};
use fusemax_hdl::{top, Config};

/// The backpressure generator shared with the Verilator harness (xorshift64, two draws per
/// cycle: source, then sink), so that both simulators see the same stalls.
pub struct StallRng {
    state: u64,
    thr: u32,
}

impl StallRng {
    pub fn new(stall: f64, seed: u64) -> StallRng {
        StallRng {
            state: seed.wrapping_mul(2654435761).wrapping_add(1),
            thr: Self::threshold(stall),
        }
    }
    /// A stall probability as a threshold on a 32-bit draw.
    pub fn threshold(stall: f64) -> u32 {
        (stall.clamp(0.0, 0.999) * 4294967296.0) as u32
    }
    /// One draw: whether to stall.
    pub fn stall(&mut self) -> bool {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        self.thr > 0 && ((x >> 32) as u32) < self.thr
    }
}

/// Result of a simulated job.
#[derive(Clone, Debug)]
pub struct SimRun {
    /// Output words in order.
    pub words: Vec<Word>,
    /// Clock cycles simulated after reset.
    pub cycles: u64,
    /// The cycle (1-based, as `cycles`) at which each output `tlast` moved.
    pub ends: Vec<u64>,
}

/// How long a run may take: `jobs` output `tlast`s within `max_cycles` in all, at most
/// `job_cycles` after the previous one (or after reset).
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub max_cycles: u64,
    pub jobs: usize,
    pub job_cycles: u64,
}

impl Budget {
    /// One job within `max_cycles`.
    pub fn one(max_cycles: u64) -> Budget {
        Budget {
            max_cycles,
            jobs: 1,
            job_cycles: max_cycles,
        }
    }
}

/// Runs `input` through the engine of `cfg` in rust-hdl. With probability `stall` the source
/// withholds a word (tvalid low) and the sink withholds tready, each cycle. Fails after
/// `max_cycles` without the output's `tlast`.
pub fn run_rusthdl(
    cfg: &Config,
    input: &[InWord],
    stall: f64,
    seed: u64,
    max_cycles: u64,
) -> Result<SimRun, String> {
    run_rusthdl_jobs(cfg, input, stall, seed, max_cycles, 1)
}

/// As [`run_rusthdl`], for an input holding `jobs` jobs back to back: runs until the output's
/// `jobs`-th `tlast`.
pub fn run_rusthdl_jobs(
    cfg: &Config,
    input: &[InWord],
    stall: f64,
    seed: u64,
    max_cycles: u64,
    jobs: usize,
) -> Result<SimRun, String> {
    let budget = Budget {
        jobs,
        ..Budget::one(max_cycles)
    };
    run_rusthdl_stream(cfg, input, stall, seed, &budget)
}

/// As [`run_rusthdl_jobs`] within `budget`: fails when a job's output `tlast` does not come
/// within `budget.job_cycles` of the previous one.
pub fn run_rusthdl_stream(
    cfg: &Config,
    input: &[InWord],
    stall: f64,
    seed: u64,
    budget: &Budget,
) -> Result<SimRun, String> {
    let (max_cycles, jobs) = (budget.max_cycles, budget.jobs);
    let mut ends = vec![];
    let mut sim = RtlSim::new(top::build(cfg));
    let mut rng = StallRng::new(stall, seed);
    sim.set("rst", 1);
    sim.step();
    sim.step();
    sim.set("rst", 0);
    let mut next = 0usize;
    let mut presenting = false;
    let mut out = vec![];
    let mut cycles = 0u64;
    while cycles < max_cycles && cycles - ends.last().copied().unwrap_or(0) < budget.job_cycles {
        let hold = rng.stall();
        if !presenting && next < input.len() && !hold {
            presenting = true;
        }
        let (w, last) = input.get(next).copied().unwrap_or((0, false));
        sim.set("s_axis_tvalid", presenting as i128);
        sim.set("s_axis_tdata", w as i128); // the bits of a 128-bit word, as Sim takes them
        sim.set("s_axis_tlast", last as i128);
        let ready = !rng.stall();
        sim.set("m_axis_tready", ready as i128);
        sim.settle();
        let took_in = presenting && sim.get("s_axis_tready") == 1;
        let gave_out = ready && sim.get("m_axis_tvalid") == 1;
        let out_word = (sim.get("m_axis_tdata") as u64, sim.get("m_axis_tlast") == 1);
        sim.step();
        cycles += 1;
        if took_in {
            next += 1;
            presenting = false;
        }
        if gave_out {
            out.push(out_word);
            if out_word.1 {
                ends.push(cycles);
                if ends.len() == jobs {
                    return Ok(SimRun {
                        words: out,
                        cycles,
                        ends,
                    });
                }
            }
        }
    }
    Err(format!(
        "{} of {jobs} output tlasts after {cycles} cycles ({} since the last; {next} of {} input words taken, {} output words)",
        ends.len(),
        cycles - ends.last().copied().unwrap_or(0),
        input.len(),
        out.len()
    ))
}
