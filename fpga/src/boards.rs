//! The boards the flow targets: device, package, nextpnr arguments, constraints and capacity.
//!
//! The capacities are the device's, as nextpnr reports them in `utilization` (checked by a test
//! against recorded reports): the fit check compares yosys's cell counts with them before
//! place-and-route, so that a config that cannot fit fails in seconds with a message saying
//! which resource ran out.

use crate::top::Board;
use serde::Serialize;

/// FPGA family: decides the yosys command, the place-and-route tool and the packer.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice ECP5: `synth_ecp5`, nextpnr-ecp5, ecppack.
    Ecp5,
    /// Lattice iCE40: `synth_ice40 -dsp`, nextpnr-ice40, icepack.
    Ice40,
}

/// Resources of a device (the units yosys and nextpnr count).
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// LUT4s (ECP5 TRELLIS_COMB) or logic cells (iCE40 ICESTORM_LC: one LUT4 + one FF each).
    pub luts: u64,
    /// Flip-flops (ECP5 TRELLIS_FF; on iCE40 one per logic cell).
    pub ffs: u64,
    /// Multipliers: ECP5 MULT18X18D (18x18), iCE40 SB_MAC16 (16x16).
    pub dsps: u64,
    /// Block RAMs: ECP5 DP16KD (18 Kbit), iCE40 SB_RAM40_4K (4 Kbit).
    pub brams: u64,
}

/// Everything the flow needs to know about one board.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct BoardSpec {
    /// Name as given on the command line (`ulx3s`, `icebreaker`).
    pub name: &'static str,
    pub family: Family,
    /// The FPGA, as Lattice names it.
    pub device: &'static str,
    /// nextpnr's device and package options.
    pub pnr_args: &'static [&'static str],
    /// Constraints file name under `constraints/` (embedded below).
    pub constraints_file: &'static str,
    /// nextpnr option that reads the constraints (`--lpf` or `--pcf`).
    pub constraints_opt: &'static str,
    /// The board as the hardware knows it: its oscillator, LEDs and button are facts of
    /// `fusemax_hdl::board::Board`, read from there (`osc_mhz()`, `leds()`).
    pub board: Board,
    pub capacity: Capacity,
    /// The constraints file's text.
    #[serde(skip)]
    pub constraints: &'static str,
    /// The preset config for this board (`configs/<name>.toml`), embedded.
    #[serde(skip)]
    pub preset: &'static str,
}

const ULX3S_LPF: &str = include_str!("../../constraints/ulx3s.lpf");
const ICEBREAKER_PCF: &str = include_str!("../../constraints/icebreaker.pcf");

/// The ULX3S with the LFE5U-85F (the largest ECP5 the board carries).
pub const ULX3S: BoardSpec = BoardSpec {
    name: "ulx3s",
    family: Family::Ecp5,
    device: "LFE5U-85F-6BG381C",
    pnr_args: &["--85k", "--package", "CABGA381", "--speed", "6"],
    constraints_file: "ulx3s.lpf",
    constraints_opt: "--lpf",
    board: Board::Ulx3s,
    capacity: Capacity {
        luts: 83640,
        ffs: 83640,
        dsps: 156,
        brams: 208,
    },
    constraints: ULX3S_LPF,
    preset: include_str!("../../configs/ulx3s.toml"),
};

/// The iCEBreaker (iCE40 UP5K, SG48 package).
pub const ICEBREAKER: BoardSpec = BoardSpec {
    name: "icebreaker",
    family: Family::Ice40,
    device: "iCE40UP5K-SG48",
    pnr_args: &["--up5k", "--package", "sg48"],
    constraints_file: "icebreaker.pcf",
    constraints_opt: "--pcf",
    board: Board::Icebreaker,
    capacity: Capacity {
        luts: 5280,
        ffs: 5280,
        dsps: 8,
        brams: 30,
    },
    constraints: ICEBREAKER_PCF,
    preset: include_str!("../../configs/icebreaker.toml"),
};

/// Every board, in the order help texts list them.
pub const ALL: [&BoardSpec; 2] = [&ULX3S, &ICEBREAKER];

/// The spec of a board.
pub fn spec(board: Board) -> &'static BoardSpec {
    match board {
        Board::Ulx3s => &ULX3S,
        Board::Icebreaker => &ICEBREAKER,
    }
}

/// Parses a board name (`ulx3s`, `icebreaker`).
pub fn parse(name: &str) -> Result<Board, String> {
    name.to_ascii_lowercase().parse::<Board>()
}

impl BoardSpec {
    /// Frequency of the board's oscillator (the board top's `clk`), MHz.
    pub fn osc_mhz(&self) -> f64 {
        self.board.osc_mhz()
    }
    /// Width of the board top's `led` port.
    pub fn leds(&self) -> usize {
        self.board.leds()
    }
    /// The bitstream's file name.
    pub fn bitstream_name(&self) -> &'static str {
        match self.family {
            Family::Ecp5 => "design.bit",
            Family::Ice40 => "design.bin",
        }
    }

    /// Port bits (`name` or `name[i]`) that the constraints file locates.
    pub fn constrained_pins(&self) -> Vec<String> {
        let mut v = vec![];
        for line in self.constraints.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let w: Vec<&str> = line.split_whitespace().collect();
            match self.family {
                Family::Ecp5 if w.len() >= 3 && w[0] == "LOCATE" && w[1] == "COMP" => {
                    v.push(w[2].trim_matches('"').to_string())
                }
                Family::Ice40 if w.first() == Some(&"set_io") => {
                    if let Some(name) = w.iter().skip(1).find(|t| !t.starts_with('-')) {
                        v.push(name.to_string());
                    }
                }
                _ => {}
            }
        }
        v
    }
}
