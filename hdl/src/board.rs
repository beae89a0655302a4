//! `fusemax_board`: the engine on a board. The board oscillator feeds a PLL to the engine clock
//! (`clock_mhz`), the reset button and the PLL lock make a synchronous reset, the USB-serial
//! UART carries the host protocol (`host_link`, `docs/host-protocol.md`) to and from the
//! engine's streams, and LEDs show a heartbeat, busy, error, and frame activity.
//!
//! Ports: `clk` (oscillator), `btn` (reset button as on the board), `uart_rx` (host to board),
//! `uart_tx` (board to host), `led[N-1:0]`. `Target::Sim` replaces the vendor PLL by a wire, so
//! the same top runs in Verilator.

use crate::config::ubits;
use crate::host_link::HostLink;
use crate::ir::{cat, Circuit, Module};
use crate::ir_leaf;
use crate::kit::{Component, Sig, Structure};
use crate::leaf_ports;
use crate::reset_reg::local_reset;
use crate::uart::{UartRx, UartTx};
use crate::{top, Config};
use rust_hdl::core::prelude::*;

/// The supported boards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Board {
    /// Radiona ULX3S, Lattice ECP5 LFE5U-85F, 25 MHz oscillator.
    Ulx3s,
    /// 1BitSquared iCEBreaker, Lattice iCE40 UP5K, 12 MHz oscillator.
    Icebreaker,
}

/// What the Verilog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Vendor PLL instantiated (for yosys / nextpnr).
    Synth,
    /// PLL replaced by a wire (for Verilator and iverilog).
    Sim,
}

impl std::str::FromStr for Board {
    type Err = String;
    fn from_str(s: &str) -> Result<Board, String> {
        match s {
            "ulx3s" => Ok(Board::Ulx3s),
            "icebreaker" => Ok(Board::Icebreaker),
            _ => Err(format!("unknown board `{s}`: expected ulx3s or icebreaker")),
        }
    }
}

impl Board {
    pub fn name(&self) -> &'static str {
        match self {
            Board::Ulx3s => "ulx3s",
            Board::Icebreaker => "icebreaker",
        }
    }
    /// Oscillator frequency in MHz.
    pub fn osc_mhz(&self) -> f64 {
        match self {
            Board::Ulx3s => 25.0,
            Board::Icebreaker => 12.0,
        }
    }
    /// Number of LEDs the board top drives.
    pub fn leds(&self) -> usize {
        match self {
            Board::Ulx3s => 8,
            Board::Icebreaker => 5,
        }
    }
    /// LEDs lit by a low level (bit i set: led[i] is active low).
    pub fn led_active_low(&self) -> u32 {
        match self {
            Board::Ulx3s => 0,
            // LEDR_N and LEDG_N on the main board; the break-off LEDs are active high.
            Board::Icebreaker => 0b00011,
        }
    }
    /// Whether the reset button reads 0 when pressed.
    pub fn btn_active_low(&self) -> bool {
        true
    }
}

/// Pins of the board top: (port, bit index or None for 1-bit ports).
pub fn board_pins(board: Board) -> Vec<(&'static str, Option<usize>)> {
    let mut v = vec![
        ("clk", None),
        ("btn", None),
        ("uart_rx", None),
        ("uart_tx", None),
    ];
    for i in 0..board.leds() {
        v.push(("led", Some(i)));
    }
    v
}

/// PLL settings found for a board and target frequency.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PllSettings {
    /// The frequency the PLL actually produces, MHz.
    pub out_mhz: f64,
    /// Verilog instance text (parameters and ports), or empty for `Target::Sim`.
    pub params: Vec<(&'static str, u32)>,
}

/// Searches the PLL dividers of `board` closest to `mhz` (ECP5 EHXPLLL: PFD 3.125..400 MHz,
/// VCO 400..800 MHz; iCE40 SB_PLL40: PFD 10..133 MHz, VCO 533..1066 MHz, as ecppll / icepll).
pub fn pll_settings(board: Board, mhz: f64) -> Result<PllSettings, String> {
    let fin = board.osc_mhz();
    let mut best: Option<(f64, Vec<(&'static str, u32)>)> = None;
    let mut consider = |fout: f64, p: Vec<(&'static str, u32)>| {
        let err = (fout - mhz).abs();
        if best
            .as_ref()
            .map_or(true, |(b, _)| err < (b - mhz).abs() - 1e-9)
        {
            best = Some((fout, p));
        }
    };
    match board {
        Board::Ulx3s => {
            for clki in 1..=128u32 {
                let pfd = fin / clki as f64;
                if !(3.125..=400.0).contains(&pfd) {
                    continue;
                }
                for fb in 1..=80u32 {
                    let fout = pfd * fb as f64;
                    for op in 1..=128u32 {
                        let vco = fout * op as f64;
                        if (400.0..=800.0).contains(&vco) {
                            consider(
                                fout,
                                vec![
                                    ("CLKI_DIV", clki),
                                    ("CLKFB_DIV", fb),
                                    ("CLKOP_DIV", op),
                                    ("CLKOP_CPHASE", op - 1),
                                ],
                            );
                            break;
                        }
                    }
                }
            }
        }
        Board::Icebreaker => {
            for divr in 0..16u32 {
                let pfd = fin / (divr + 1) as f64;
                if !(10.0..=133.0).contains(&pfd) {
                    continue;
                }
                for divf in 0..128u32 {
                    let vco = pfd * (divf + 1) as f64;
                    if !(533.0..=1066.0).contains(&vco) {
                        continue;
                    }
                    for divq in 1..=6u32 {
                        let fout = vco / (1u32 << divq) as f64;
                        let filter = match pfd {
                            x if x < 17.0 => 1,
                            x if x < 26.0 => 2,
                            x if x < 44.0 => 3,
                            x if x < 66.0 => 4,
                            x if x < 101.0 => 5,
                            _ => 6,
                        };
                        consider(
                            fout,
                            vec![
                                ("DIVR", divr),
                                ("DIVF", divf),
                                ("DIVQ", divq),
                                ("FILTER_RANGE", filter),
                            ],
                        );
                    }
                }
            }
        }
    }
    let (out_mhz, params) =
        best.ok_or_else(|| format!("no PLL setting of {} reaches {mhz} MHz", board.name()))?;
    if (out_mhz - mhz).abs() / mhz > 0.05 {
        return Err(format!(
            "the {} PLL cannot make {mhz} MHz from {} MHz (closest {out_mhz:.3} MHz)",
            board.name(),
            board.osc_mhz()
        ));
    }
    Ok(PllSettings { out_mhz, params })
}

/// `pll`: the vendor PLL (or a wire for simulation), with its lock output.
#[derive(LogicBlock)]
pub struct Pll {
    pub clk_in: Sig,
    pub clk_out: Sig,
    pub locked: Sig,
    _board: Board,
    _target: Target,
    _settings: PllSettings,
}

impl Pll {
    pub fn new(board: Board, target: Target, mhz: f64) -> Result<Pll, String> {
        Ok(Pll {
            clk_in: Sig::input(1),
            clk_out: Sig::output(1),
            locked: Sig::output(1),
            _board: board,
            _target: target,
            _settings: pll_settings(board, mhz)?,
        })
    }
}

impl Logic for Pll {
    fn update(&mut self) {
        self.clk_out.set(self.clk_in.get());
        self.locked.set_bool(true);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let p = &self._settings.params;
        let get = |n: &str| p.iter().find(|x| x.0 == n).map(|x| x.1).unwrap_or(0);
        let text = match (self._target, self._board) {
            (Target::Sim, _) => "// @leaf pll_sim\n// simulation: the oscillator is the engine clock\nalways @(*) begin\n    clk_out = clk_in;\n    locked = 1'b1;\nend\n".to_string(),
            (Target::Synth, Board::Ulx3s) => format!(
                r#"// @leaf pll_ecp5
// EHXPLLL: {fin} MHz -> {fout:.3} MHz (VCO {vco:.1} MHz)
wire clkop;
wire lock;
(* FREQUENCY_PIN_CLKI="{fin}" *)
(* FREQUENCY_PIN_CLKOP="{fout:.4}" *)
(* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
EHXPLLL #(
    .PLLRST_ENA("DISABLED"), .INTFB_WAKE("DISABLED"), .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"), .OUTDIVIDER_MUXA("DIVA"), .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"), .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV({clki}), .CLKOP_ENABLE("ENABLED"), .CLKOP_DIV({op}), .CLKOP_CPHASE({cph}),
    .CLKOP_FPHASE(0), .FEEDBK_PATH("CLKOP"), .CLKFB_DIV({fb})
) pll_i (
    .RST(1'b0), .STDBY(1'b0), .CLKI(clk_in), .CLKOP(clkop), .CLKFB(clkop),
    .PHASESEL0(1'b0), .PHASESEL1(1'b0), .PHASEDIR(1'b1), .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1), .PLLWAKESYNC(1'b0), .ENCLKOP(1'b0), .LOCK(lock)
);
always @(*) begin
    clk_out = clkop;
    locked = lock;
end
"#,
                fin = self._board.osc_mhz(),
                fout = self._settings.out_mhz,
                vco = self._settings.out_mhz * get("CLKOP_DIV") as f64,
                clki = get("CLKI_DIV"),
                op = get("CLKOP_DIV"),
                cph = get("CLKOP_CPHASE"),
                fb = get("CLKFB_DIV"),
            ),
            (Target::Synth, Board::Icebreaker) => format!(
                r#"// @leaf pll_ice40
// SB_PLL40_PAD: {fin} MHz -> {fout:.3} MHz
wire pllout;
wire lock;
SB_PLL40_PAD #(
    .FEEDBACK_PATH("SIMPLE"), .DIVR(4'd{divr}), .DIVF(7'd{divf}), .DIVQ(3'd{divq}),
    .FILTER_RANGE(3'd{filter})
) pll_i (
    .PACKAGEPIN(clk_in), .PLLOUTCORE(pllout), .LOCK(lock), .RESETB(1'b1), .BYPASS(1'b0)
);
always @(*) begin
    clk_out = pllout;
    locked = lock;
end
"#,
                fin = self._board.osc_mhz(),
                fout = self._settings.out_mhz,
                divr = get("DIVR"),
                divf = get("DIVF"),
                divq = get("DIVQ"),
                filter = get("FILTER_RANGE"),
            ),
        };
        Verilog::Custom(text)
    }
}

impl Component for Pll {
    fn kind(&self) -> String {
        "pll".into()
    }
    leaf_ports!(clk_in, clk_out, locked);
    fn tick(&mut self) {}
}

ir_leaf! {
    /// `reset_gen`: synchronous reset from the button (two-flop synchronizer) and the PLL lock,
    /// held 16 cycles after both release; `rst` comes from a flip-flop (it is the root of the
    /// reset tree, see [`crate::reset_reg`]). Simulated and emitted from [`describe_reset_gen`].
    pub struct ResetGen { clock, btn, locked, rst }
}

impl ResetGen {
    /// The reset of a button that reads 0 when pressed (`active_low`) or 1.
    pub fn new(active_low: bool) -> ResetGen {
        ResetGen::from_circuit(describe_reset_gen(active_low))
    }
}

/// The reset generator described once: the button pressed, synchronized by `b1`, `b2`;
/// `cnt` counts the cycles (up to 15) since the button was released with the PLL locked; `rst`
/// is high until it gets there.
pub fn describe_reset_gen(active_low: bool) -> Circuit {
    let mut m = Module::new("reset_gen", "");
    m.clock("clock");
    let btn = m.input("btn", 1);
    let locked = m.input("locked", 1);
    let rst = m.output_reg("rst", 1);
    let b1 = m.reg("b1", 1);
    let b2 = m.reg("b2", 1);
    let cnt = m.reg("cnt", 4);
    let held = cnt.ne(&cnt.lit(15));
    rst.set(&held);
    b1.set(&if active_low { btn.not() } else { btn });
    b2.set(&b1);
    m.when_else(
        &b2.or(&locked.not()),
        |_| cnt.set(&cnt.lit(0)),
        |m| m.when(&held, |_| cnt.set(&cnt.add_wrap(&cnt.lit(1)))),
    );
    m.finish()
}

ir_leaf! {
    /// `leds`: heartbeat, busy, error, frame-accepted and frame-rejected flashes, status bits.
    /// Simulated and emitted from [`describe_leds`].
    pub struct Leds { clock, rst, busy, status, ok, err, led }
}

impl Leds {
    /// `n` LEDs (bit i of `active_low` set: LED i is lit by a low level) at `clock_mhz`.
    pub fn new(n: usize, active_low: u32, clock_mhz: f64) -> Leds {
        Leds::from_circuit(describe_leds(n, active_low, clock_mhz))
    }
}

/// The LEDs described once: led[0] the top bit of the free-running counter `hb` (about 1 Hz),
/// [1] busy, [2] a nonzero status, [3] and [4] about 50 ms after a frame accepted (`okc`) or
/// rejected (`errc`), [7:5] status[2:0] when there are more than 5; each LED inverted where it
/// is active low.
pub fn describe_leds(n: usize, active_low: u32, clock_mhz: f64) -> Circuit {
    // Heartbeat about 1 Hz, flashes about 50 ms.
    let hb_bits = ubits((clock_mhz * 1e6) as u128).saturating_sub(1).max(2);
    let flash = ubits((clock_mhz * 5e4) as u128).max(2);
    let extra = if n > 5 { ", [7:5] status[2:0]" } else { "" };
    let mut m = Module::new(
        "leds",
        &format!(
            "led[0] heartbeat, [1] busy, [2] error status, [3] frame accepted, [4] frame \
             rejected{extra}"
        ),
    );
    m.clock("clock");
    let rst = m.input("rst", 1);
    let busy = m.input("busy", 1);
    let status = m.input("status", 8);
    let ok = m.input("ok", 1);
    let err = m.input("err", 1);
    let hb = m.reg("hb", hb_bits);
    hb.set(&hb.add_wrap(&hb.lit(1)));
    let okc = m.reg("okc", flash).reset(&rst, 0);
    let errc = m.reg("errc", flash).reset(&rst, 0);
    // a flash: full on the event, then down to 0
    for (c, ev) in [(&okc, &ok), (&errc, &err)] {
        let lit = c.any();
        m.when_else(
            ev,
            |_| c.set(&c.lit(((1u128 << flash) - 1) as i128)),
            |m| m.when(&lit, |_| c.set(&c.sub_wrap(&c.lit(1)))),
        );
    }
    let mut bits = vec![errc.any(), okc.any(), status.any(), busy, hb.msb()];
    if n > 5 {
        bits.insert(0, status.slice(2, 0));
    }
    let logical = cat(&bits.iter().collect::<Vec<_>>())
        .resize(n as u32)
        .named("logical");
    m.output("led", &logical.xor(&logical.lit(active_low as i128)));
    m.finish()
}

/// Builds the board top of a config.
pub fn build(cfg: &Config, board: Board, target: Target) -> Result<Structure, String> {
    cfg.validate().map_err(|e| e.to_string())?;
    let div = cfg.uart_divisor();
    let mut s = Structure::new(
        "board",
        &format!("FuseMax engine on {} with a UART host link", board.name()),
    );
    let clk = s.add_port("clk", Sig::input(1));
    let btn = s.add_port("btn", Sig::input(1));
    let rx_pin = s.add_port("uart_rx", Sig::input(1));
    let pll = s.add_child("pll", Box::new(Pll::new(board, target, cfg.clock_mhz)?));
    let e = s.at(pll, "clk_in");
    s.connect(e, clk);
    let clock = s.at(pll, "clk_out");
    let rg = s.add_child("reset", Box::new(ResetGen::new(board.btn_active_low())));
    let e = s.at(rg, "clock");
    s.connect(e, clock);
    let e = s.at(rg, "btn");
    s.connect(e, btn);
    let src = s.at(pll, "locked");
    let e = s.at(rg, "locked");
    s.connect(e, src);
    let rst = s.at(rg, "rst");
    let urx = s.add_child("serial_in", Box::new(UartRx::new(div)));
    let utx = s.add_child("serial_out", Box::new(UartTx::new(div)));
    let link = s.add_child("host_link", Box::new(HostLink::new()));
    let eng = s.add_child("engine", Box::new(top::build(cfg)));
    let leds = s.add_child(
        "status_leds",
        Box::new(Leds::new(
            board.leds(),
            board.led_active_low(),
            cfg.clock_mhz,
        )),
    );
    // The engine grows its own reset tree; the others take a reset register each (as the
    // engine's blocks do), so that no reset net crosses the chip into logic.
    for c in [urx, utx, link, eng, leds] {
        let e = s.at(c, "clock");
        s.connect(e, clock);
    }
    let e = s.at(eng, "rst");
    s.connect(e, rst);
    for c in [urx, utx, link, leds] {
        local_reset(&mut s, c, clock, rst);
    }
    let e = s.at(urx, "rx");
    s.connect(e, rx_pin);
    // the host link's 64-bit words go to the engine directly, or two by two through the width
    // converter for a 128-bit input stream
    let (src, sp) = if cfg.derived().in_bits > 64 {
        let w = s.add_child("widen", Box::new(crate::widen::Widen::new()));
        let e = s.at(w, "clock");
        s.connect(e, clock);
        local_reset(&mut s, w, clock, rst);
        for (a, ap, b, bp) in [
            (link, "s_data", w, "s_data"),
            (link, "s_valid", w, "s_valid"),
            (link, "s_last", w, "s_last"),
            (w, "s_ready", link, "s_ready"),
        ] {
            let (o, i) = (s.at(a, ap), s.at(b, bp));
            s.connect(i, o);
        }
        (w, ["m_data", "m_valid", "m_last", "m_ready"])
    } else {
        (link, ["s_data", "s_valid", "s_last", "s_ready"])
    };
    let wires: [(usize, &str, usize, &str); 16] = [
        (urx, "data", link, "rx_data"),
        (urx, "valid", link, "rx_valid"),
        (link, "tx_data", utx, "data"),
        (link, "tx_start", utx, "start"),
        (utx, "ready", link, "tx_ready"),
        (src, sp[0], eng, "s_axis_tdata"),
        (src, sp[1], eng, "s_axis_tvalid"),
        (src, sp[2], eng, "s_axis_tlast"),
        (eng, "s_axis_tready", src, sp[3]),
        (eng, "m_axis_tdata", link, "m_data"),
        (eng, "m_axis_tvalid", link, "m_valid"),
        (eng, "m_axis_tlast", link, "m_last"),
        (link, "m_ready", eng, "m_axis_tready"),
        (eng, "busy", leds, "busy"),
        (eng, "status", leds, "status"),
        (link, "frame_ok", leds, "ok"),
    ];
    for (a, ap, b, bp) in wires {
        let (o, i) = (s.at(a, ap), s.at(b, bp));
        s.connect(i, o);
    }
    let (o, i) = (s.at(link, "frame_err"), s.at(leds, "err"));
    s.connect(i, o);
    s.expose(utx, "tx", "uart_tx");
    s.expose(leds, "led", "led");
    for p in [
        "perf_cycles",
        "perf_busy_2d",
        "perf_busy_1d",
        "perf_stall_in",
        "perf_stall_out",
    ] {
        let e = s.at(eng, p);
        s.leave_unused(e);
    }
    Ok(s.finish())
}

/// The Verilog of the board top (`fusemax_board`) for a config and board.
pub fn generate_board(cfg: &Config, board: Board, target: Target) -> Result<String, String> {
    let s = build(cfg, board, target)?;
    let pll = pll_settings(board, cfg.clock_mhz)?;
    let header = format!(
        "// fusemax_board ({}, {}): FuseMax engine with a UART host link, generated by fusemax-hdl {}.\n\
         // Engine clock {:.3} MHz from the {} MHz oscillator; UART {} baud ({} cycles per bit).\n\
         // Config (hardware hash {}):\n{}",
        board.name(),
        if target == Target::Sim { "simulation" } else { "synthesis" },
        crate::VERSION,
        if target == Target::Sim { board.osc_mhz() } else { pll.out_mhz },
        board.osc_mhz(),
        cfg.uart_baud,
        cfg.uart_divisor(),
        cfg.hw_hash(),
        crate::kit::emit::comment_block(&cfg.to_toml())
    );
    Ok(crate::kit::emit::emit_verilog(&s, "fusemax_board", &header))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, lint, yosys_check};
    use crate::kit::RtlSim;
    use rand::{Rng, SeedableRng};

    #[test]
    fn reset_follows_the_button_and_the_lock() {
        for low in [true, false] {
            let up = if low { 1 } else { 0 }; // the button released
            let mut sim = RtlSim::new(ResetGen::new(low));
            sim.set("btn", up);
            sim.set("locked", 1);
            // from power-on (the counter at 0): high from the first edge to the 15th
            let mut rst = vec![];
            for _ in 0..20 {
                sim.step();
                rst.push(sim.get("rst"));
            }
            assert_eq!(
                rst,
                [vec![1; 15], vec![0; 5]].concat(),
                "power-on, low {low}"
            );
            // a press of 5 cycles, or 5 cycles of a lost lock: the press goes through the two
            // synchronizer flip-flops, then both through the counter and the `rst` register;
            // `rst` falls once the counter has counted 15 cycles of release
            for (pin, level, lag) in [("btn", 1 - up, 3), ("locked", 0, 1)] {
                let mut rst = vec![];
                for c in 1..=30 {
                    sim.set(pin, if c <= 5 { level } else { 1 - level });
                    sim.step();
                    rst.push(sim.get("rst"));
                }
                let expect = [vec![0; lag], vec![1; 19], vec![0; 11 - lag]].concat();
                assert_eq!(rst, expect, "{pin}, low {low}");
            }
        }
    }

    #[test]
    fn leds_show_heartbeat_flashes_and_status() {
        // at 1 kHz: a heartbeat counter of 9 bits, flashes of 6 (63 cycles)
        let (n, low) = (8, 0b0000_0011);
        let mut sim = RtlSim::new(Leds::new(n, low, 0.001));
        sim.set("rst", 1);
        sim.step();
        sim.set("rst", 0);
        let led = |sim: &mut RtlSim<Leds>| {
            sim.settle();
            sim.get("led") ^ low as i128
        };
        // the heartbeat: led[0] is the counter's top bit, a period of 512 cycles
        let mut hb = vec![];
        for _ in 0..1024 {
            hb.push(led(&mut sim) & 1);
            sim.step();
        }
        // (the counter is 1 after the reset edge)
        let expect: Vec<i128> = (1..=1024).map(|c| (c >> 8) & 1).collect();
        assert_eq!(hb, expect);
        // busy, status (nonzero, and its low bits on [7:5])
        sim.set("busy", 1);
        sim.set("status", 0x0d);
        assert_eq!(led(&mut sim) & 0b1110_0110, (0b101 << 5) | 0b110);
        sim.set("busy", 0);
        sim.set("status", 0);
        assert_eq!(led(&mut sim) & 0b1110_0110, 0);
        // a frame accepted: led[3] for 63 cycles; a rejected one: led[4]
        for (pin, bit) in [("ok", 3), ("err", 4)] {
            sim.set(pin, 1);
            sim.step();
            sim.set(pin, 0);
            let mut on = 0;
            while led(&mut sim) >> bit & 1 == 1 {
                on += 1;
                sim.step();
            }
            assert_eq!(on, 63, "{pin}");
        }
        // reset clears a flash
        sim.set("ok", 1);
        sim.step();
        sim.set("ok", 0);
        sim.set("rst", 1);
        sim.step();
        assert_eq!(led(&mut sim) >> 3 & 1, 0);
    }

    #[test]
    fn reset_gen_and_leds_match_verilog() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for low in [true, false] {
            check_verilog(&ResetGen::new(low)).unwrap();
            let rows: Vec<Vec<i128>> = (0..3000)
                .map(|_| vec![rng.gen_bool(0.02) as i128, rng.gen_bool(0.99) as i128])
                .collect();
            cosim(ResetGen::new(low), &rows).unwrap();
        }
        for (n, low, mhz) in [(8, 0, 100.0), (5, 0b00011, 0.001)] {
            check_verilog(&Leds::new(n, low, mhz)).unwrap();
            let rows: Vec<Vec<i128>> = (0..5000)
                .map(|c| {
                    vec![
                        (c < 2 || rng.gen_ratio(1, 500)) as i128,
                        rng.gen_bool(0.5) as i128,
                        rng.gen_range(0..256),
                        rng.gen_bool(0.01) as i128,
                        rng.gen_bool(0.01) as i128,
                    ]
                })
                .collect();
            cosim(Leds::new(n, low, mhz), &rows).unwrap();
        }
    }

    #[test]
    fn pll_settings_reach_the_targets() {
        let p = pll_settings(Board::Ulx3s, 100.0).unwrap();
        assert!((p.out_mhz - 100.0).abs() < 0.01, "{p:?}");
        let p = pll_settings(Board::Icebreaker, 40.0).unwrap();
        assert!((p.out_mhz - 40.0).abs() < 1.0, "{p:?}");
        assert!(pll_settings(Board::Icebreaker, 2.0).is_err());
    }

    #[test]
    fn board_tops_are_lint_and_yosys_clean() {
        for board in [Board::Ulx3s, Board::Icebreaker] {
            let cfg = Config {
                rows: 2,
                cols: 2,
                max_e: 16,
                max_f: 16,
                job: crate::Job {
                    head_e: 8,
                    head_f: 8,
                    ..Default::default()
                },
                ..Config::default()
            };
            let v = generate_board(&cfg, board, Target::Sim).unwrap();
            lint(&v, "fusemax_board").unwrap();
            yosys_check(&v, "fusemax_board").unwrap();
            let s = generate_board(&cfg, board, Target::Synth).unwrap();
            assert!(s.contains(if board == Board::Ulx3s {
                "EHXPLLL"
            } else {
                "SB_PLL40_PAD"
            }));
        }
    }
}
