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
    /// `synthesis` (yosys's counts), `place-and-route` (nextpnr's) or [`CONFIG_STAGE`] (lower
    /// bounds counted from the config).
    pub stage: String,
    pub shortages: Vec<Shortage>,
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = if self.stage == CONFIG_STAGE {
            "by the multipliers and block RAMs of its config (lower bounds, counted before synthesis)".into()
        } else {
            format!("after {}", self.stage)
        };
        write!(
            f,
            "the design does not fit the {} ({}) {when}: ",
            self.device, self.board
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

/// The multipliers and RAMs of a design, read from its built hardware (not from its Verilog):
/// what the config fixes before synthesis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Operand widths of every product the Verilog computes.
    pub products: Vec<(u32, u32)>,
    /// Width and depth (a power of two) of every RAM leaf.
    pub rams: Vec<(u32, usize)>,
}

/// The inventory of the board top of a config. Leaves not known here add nothing, so the
/// counts drawn from it stay lower bounds.
pub fn inventory(cfg: &fusemax_hdl::Config, board: crate::Board) -> Result<Inventory, String> {
    let top = fusemax_hdl::board::build(cfg, board, crate::Target::Synth)?;
    let mut inv = Inventory::default();
    walk(&top, &mut inv);
    Ok(inv)
}

fn walk(c: &dyn fusemax_hdl::kit::Component, inv: &mut Inventory) {
    use fusemax_hdl::kit::structure::Structure;
    // a block described once tells its products and memories itself
    let leaf = |c: &dyn fusemax_hdl::kit::Component, inv: &mut Inventory| {
        if let Some(l) = c.ir() {
            inv.products.extend_from_slice(l.products());
            inv.rams.extend_from_slice(l.memories());
        }
    };
    let any = c.as_any();
    if let Some(s) = any.downcast_ref::<Structure>() {
        for i in 0..s.num_children() {
            walk(s.child_ref(i), inv);
        }
    } else {
        leaf(c, inv);
    }
}

/// Fewest DSP multipliers a product of `wa` x `wb` signed bits can take. ECP5: a product of
/// operands of at most 18 bits is one MULT18X18D instance in the Verilog (exact); a wider one
/// at least one. iCE40: yosys's `synth_ice40 -dsp` maps every product with operands of at
/// least 2 bits and a result of at least 11 bits to one SB_MAC16 or more (an 18 x 18 takes
/// three), so 1 is a lower bound.
pub fn min_dsps(wa: u32, wb: u32, family: Family) -> u64 {
    match family {
        Family::Ecp5 => 1,
        Family::Ice40 => (wa >= 2 && wb >= 2 && wa + wb >= 11) as u64,
    }
}

/// Fewest block RAMs a `width` x `depth` RAM can take: none when it holds less than one block
/// (synthesis may put it in LUTs or flip-flops), else the fewest blocks of any aspect ratio of
/// the device's block RAM (ECP5 DP16KD, 512 x 36 .. 16K x 1; iCE40 SB_RAM40_4K, 256 x 16 ..
/// 2K x 2) that hold it.
pub fn min_brams(width: u32, depth: usize, family: Family) -> u64 {
    let (block_bits, shapes): (u64, &[(u64, u64)]) = match family {
        Family::Ecp5 => (
            16384,
            &[
                (512, 36),
                (1024, 18),
                (2048, 9),
                (4096, 4),
                (8192, 2),
                (16384, 1),
            ],
        ),
        Family::Ice40 => (4096, &[(256, 16), (512, 8), (1024, 4), (2048, 2)]),
    };
    let (w, d) = (width as u64, depth as u64);
    if w * d < block_bits {
        return 0;
    }
    shapes
        .iter()
        .map(|&(sd, sw)| w.div_ceil(sw) * d.div_ceil(sd))
        .min()
        .unwrap_or(0)
}

/// Lower bounds of the DSP multipliers and block RAMs the config's board top needs.
pub fn config_needs(inv: &Inventory, family: Family) -> (u64, u64) {
    let dsps = inv
        .products
        .iter()
        .map(|&(a, b)| min_dsps(a, b, family))
        .sum();
    let brams = inv.rams.iter().map(|&(w, d)| min_brams(w, d, family)).sum();
    (dsps, brams)
}

/// The fit check before synthesis: fails when the config's multipliers or block RAMs
/// ([`config_needs`], lower bounds) exceed the device, in a second instead of after a
/// synthesis of minutes. Errors building the hardware are passed on as `Err(Err(..))`.
pub fn check_config(
    cfg: &fusemax_hdl::Config,
    board: crate::Board,
) -> Result<(), Result<FitError, String>> {
    let spec = crate::boards::spec(board);
    let inv = inventory(cfg, board).map_err(Err)?;
    let (dsps, brams) = config_needs(&inv, spec.family);
    let stats = SynthStats {
        dsps,
        brams,
        ..Default::default()
    };
    check_synth(&stats, spec).map_err(|mut e| {
        e.stage = CONFIG_STAGE.into();
        Ok(e)
    })
}

/// The `stage` of a [`FitError`] found from the config before synthesis.
pub const CONFIG_STAGE: &str = "config";
