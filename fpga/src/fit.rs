//! Does a design fit its device? Checked twice: on yosys's cell counts before place-and-route
//! (fast, exact for multipliers and block RAMs, a lower bound for logic), and on nextpnr's own
//! utilisation when it fails after packing.

use crate::boards::{BoardSpec, Family};
use crate::report::{SynthStats, Util};
use std::collections::BTreeMap;
use std::fmt;

/// One resource that ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortage {
    /// What the user would call it: `LUTs`, `flip-flops`, `DSP multipliers`, `block RAMs`, ...
    pub resource: String,
    /// The primitive that counts it (`MULT18X18D`, `ICESTORM_LC`, ...).
    pub primitive: String,
    pub needed: u64,
    pub available: u64,
}

impl fmt::Display for Shortage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {} needed, {} available ({} over, {:.0}% of the device)",
            self.resource,
            self.needed,
            self.primitive,
            self.available,
            self.needed - self.available,
            100.0 * self.needed as f64 / self.available.max(1) as f64
        )
    }
}

/// A design that does not fit: every resource that ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitError {
    pub device: String,
    pub board: String,
    /// `synthesis` (yosys's counts) or `place-and-route` (nextpnr's).
    pub stage: String,
    pub shortages: Vec<Shortage>,
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the design does not fit the {} ({}) after {}: ",
            self.device, self.board, self.stage
        )?;
        let parts: Vec<String> = self.shortages.iter().map(|s| s.to_string()).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for FitError {}

/// Checks yosys's counts against the device. Multipliers and block RAMs are exact; LUTs and
/// flip-flops are lower bounds of what placement needs (on iCE40 a logic cell holds one LUT4
/// and one FF, so the cells needed are at least the larger of the two counts).
pub fn check_synth(stats: &SynthStats, board: &BoardSpec) -> Result<(), FitError> {
    let cap = board.capacity;
    let mut s = vec![];
    let (dsp, bram, lut) = match board.family {
        Family::Ecp5 => ("MULT18X18D", "DP16KD", "LUT4"),
        Family::Ice40 => ("SB_MAC16", "SB_RAM40_4K", "SB_LUT4"),
    };
    let mut push = |resource: &str, primitive: &str, needed: u64, available: u64| {
        if needed > available {
            s.push(Shortage {
                resource: resource.into(),
                primitive: primitive.into(),
                needed,
                available,
            });
        }
    };
    push("DSP multipliers", dsp, stats.dsps, cap.dsps);
    push("block RAMs", bram, stats.brams, cap.brams);
    match board.family {
        Family::Ecp5 => {
            push("LUTs", lut, stats.luts, cap.luts);
            push("flip-flops", "TRELLIS_FF", stats.ffs, cap.ffs);
        }
        Family::Ice40 => {
            let lcs = stats.luts.max(stats.ffs);
            push("logic cells", "ICESTORM_LC (LUT4 or FF)", lcs, cap.luts);
        }
    }
    if s.is_empty() {
        Ok(())
    } else {
        Err(FitError {
            device: board.device.into(),
            board: board.name.into(),
            stage: "synthesis".into(),
            shortages: s,
        })
    }
}

/// The resources nextpnr found over capacity (from its utilisation, report or log).
pub fn check_pnr(util: &BTreeMap<String, Util>, board: &BoardSpec) -> Result<(), FitError> {
    let shortages: Vec<Shortage> = util
        .iter()
        .filter(|(_, u)| u.used > u.available)
        .map(|(bel, u)| Shortage {
            resource: bel_resource(bel).into(),
            primitive: bel.clone(),
            needed: u.used,
            available: u.available,
        })
        .collect();
    if shortages.is_empty() {
        Ok(())
    } else {
        Err(FitError {
            device: board.device.into(),
            board: board.name.into(),
            stage: "place-and-route".into(),
            shortages,
        })
    }
}

/// A plain name for a nextpnr BEL type.
pub fn bel_resource(bel: &str) -> &'static str {
    match bel {
        "ICESTORM_LC" => "logic cells",
        "TRELLIS_COMB" | "TRELLIS_SLICE" => "LUTs",
        "TRELLIS_FF" => "flip-flops",
        "TRELLIS_RAMW" => "distributed RAM",
        "ICESTORM_DSP" | "MULT18X18D" | "ALU54B" => "DSP multipliers",
        "ICESTORM_RAM" | "DP16KD" => "block RAMs",
        "ICESTORM_SPRAM" => "single-port RAMs",
        "SB_IO" | "TRELLIS_IO" => "IO pins",
        _ => "resources",
    }
}
