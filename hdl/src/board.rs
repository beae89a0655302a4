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

/// `reset_gen`: synchronous reset from the button (two-flop synchronizer) and the PLL lock,
/// held 16 cycles after both release; `rst` comes from a flip-flop (it is the root of the
/// reset tree, see [`crate::reset_reg`]).
#[derive(LogicBlock)]
pub struct ResetGen {
    pub clock: Sig,
    pub btn: Sig,
    pub locked: Sig,
    pub rst: Sig,
    _active_low: bool,
    _s: (bool, bool, u32, bool),
}

impl ResetGen {
    pub fn new(active_low: bool) -> ResetGen {
        ResetGen {
            clock: Sig::input(1),
            btn: Sig::input(1),
            locked: Sig::input(1),
            rst: Sig::output(1),
            _active_low: active_low,
            _s: (false, false, 0, false),
        }
    }
}

impl Logic for ResetGen {
    fn update(&mut self) {
        self.rst.set_bool(self._s.3);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            r#"// @leaf reset_gen
reg b1;
reg b2;
reg [3:0] cnt;
always @(posedge clock) begin
    rst <= cnt != 4'd15;
    b1 <= {pressed};
    b2 <= b1;
    if (b2 || !locked) cnt <= 4'd0;
    else if (cnt != 4'd15) cnt <= cnt + 4'd1;
end
"#,
            pressed = if self._active_low { "!btn" } else { "btn" }
        ))
    }
}

impl Component for ResetGen {
    fn kind(&self) -> String {
        "reset_gen".into()
    }
    leaf_ports!(clock, btn, locked, rst);
    fn tick(&mut self) {
        let (b1, b2, cnt, _) = self._s;
        let rst = cnt != 15;
        let pressed = self.btn.on() != self._active_low;
        let cnt = if b2 || !self.locked.on() {
            0
        } else if cnt != 15 {
            cnt + 1
        } else {
            cnt
        };
        self._s = (pressed, b1, cnt, rst);
    }
}

/// `leds`: heartbeat, busy, error, frame-accepted and frame-rejected flashes, status bits.
#[derive(LogicBlock)]
pub struct Leds {
    pub clock: Sig,
    pub rst: Sig,
    pub busy: Sig,
    pub status: Sig,
    pub ok: Sig,
    pub err: Sig,
    pub led: Sig,
    _n: usize,
    _low: u32,
    _hb: u32,
    _flash: u32,
    _s: (u64, u64, u64),
}

impl Leds {
    pub fn new(n: usize, active_low: u32, clock_mhz: f64) -> Leds {
        // Heartbeat about 1 Hz, flashes about 50 ms.
        let hb = ubits((clock_mhz * 1e6) as u128).saturating_sub(1).max(2);
        let flash = ubits((clock_mhz * 5e4) as u128).max(2);
        Leds {
            clock: Sig::input(1),
            rst: Sig::input(1),
            busy: Sig::input(1),
            status: Sig::input(8),
            ok: Sig::input(1),
            err: Sig::input(1),
            led: Sig::output(n as u32),
            _n: n,
            _low: active_low,
            _hb: hb,
            _flash: flash,
            _s: (0, 0, 0),
        }
    }
    fn logical(&self) -> u64 {
        let (hb, okc, errc) = self._s;
        let st = self.status.bits() as u64;
        let mut v = ((hb >> (self._hb - 1)) & 1)
            | ((self.busy.bits() as u64) << 1)
            | (((st != 0) as u64) << 2)
            | (((okc != 0) as u64) << 3)
            | (((errc != 0) as u64) << 4);
        if self._n > 5 {
            v |= (st & 7) << 5;
        }
        v & ((1 << self._n) - 1)
    }
}

impl Logic for Leds {
    fn update(&mut self) {
        let v = self.logical() ^ self._low as u64;
        self.led.set(v as i128);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let n = self._n;
        let hb = self._hb;
        let fl = self._flash;
        let status_bits = if n > 5 {
            ", status[2:0]".to_string()
        } else {
            String::new()
        };
        let waive = if n > 5 {
            ""
        } else {
            "/* verilator lint_off UNUSEDSIGNAL */ // status bits 7:3 shown only as \"error\"\nwire unused_status = |status;\n/* verilator lint_on UNUSEDSIGNAL */\n"
        };
        Verilog::Custom(format!(
            r#"// @leaf leds
// led[0] heartbeat, [1] busy, [2] error status, [3] frame accepted, [4] frame rejected{extra}
{waive}reg [{hbm}:0] hb;
reg [{flm}:0] okc;
reg [{flm}:0] errc;
wire [{nm}:0] logical = {{{status_bits_rev}errc != {fl}'d0, okc != {fl}'d0, status != 8'd0, busy, hb[{hbm}]}};
always @(*) led = logical ^ {n}'d{low};
always @(posedge clock) begin
    hb <= hb + {hb}'d1;
    if (rst) begin
        okc <= {fl}'d0;
        errc <= {fl}'d0;
    end else begin
        if (ok) okc <= {{{fl}{{1'b1}}}};
        else if (okc != {fl}'d0) okc <= okc - {fl}'d1;
        if (err) errc <= {{{fl}{{1'b1}}}};
        else if (errc != {fl}'d0) errc <= errc - {fl}'d1;
    end
end
"#,
            extra = if n > 5 { ", [7:5] status[2:0]" } else { "" },
            hbm = hb - 1,
            flm = fl - 1,
            nm = n - 1,
            status_bits_rev = if n > 5 {
                format!("{}, ", status_bits.trim_start_matches(", "))
            } else {
                String::new()
            },
            low = self._low,
        ))
    }
}

impl Component for Leds {
    fn kind(&self) -> String {
        "leds".into()
    }
    leaf_ports!(clock, rst, busy, status, ok, err, led);
    fn tick(&mut self) {
        let (hb, okc, errc) = self._s;
        let hb = (hb + 1) & ((1 << self._hb) - 1);
        let full = (1u64 << self._flash) - 1;
        let (okc, errc) = if self.rst.on() {
            (0, 0)
        } else {
            (
                if self.ok.on() {
                    full
                } else {
                    okc.saturating_sub(1)
                },
                if self.err.on() {
                    full
                } else {
                    errc.saturating_sub(1)
                },
            )
        };
        self._s = (hb, okc, errc);
    }
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
    let wires: [(usize, &str, usize, &str); 16] = [
        (urx, "data", link, "rx_data"),
        (urx, "valid", link, "rx_valid"),
        (link, "tx_data", utx, "data"),
        (link, "tx_start", utx, "start"),
        (utx, "ready", link, "tx_ready"),
        (link, "s_data", eng, "s_axis_tdata"),
        (link, "s_valid", eng, "s_axis_tvalid"),
        (link, "s_last", eng, "s_axis_tlast"),
        (eng, "s_axis_tready", link, "s_ready"),
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
    use crate::kit::cosim::{lint, yosys_check};

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
