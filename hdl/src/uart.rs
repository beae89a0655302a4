//! `uart_rx` and `uart_tx`: 8N1 serial port of the board's host link, `div` clock cycles per
//! bit (`Config::uart_divisor`). The receiver synchronizes the pin through two flip-flops and
//! samples each bit in its middle; a byte is out (`valid` pulse) at the middle of its stop bit
//! (a byte whose stop bit is 0 is dropped). The transmitter starts a byte on `start` when
//! `ready`, and is ready again after the stop bit.

use crate::config::ubits;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

#[derive(Clone, Default, Debug)]
struct RxState {
    s1: bool,
    s2: bool,
    st: u32,
    cnt: u64,
    bit: u32,
    sh: u32,
    data: u32,
    valid: bool,
}

/// UART receiver.
#[derive(LogicBlock)]
pub struct UartRx {
    pub clock: Sig,
    pub rst: Sig,
    pub rx: Sig,
    pub data: Sig,
    pub valid: Sig,
    _div: u64,
    _s: RxState,
}

impl UartRx {
    pub fn new(div: u64) -> UartRx {
        assert!(div >= 4);
        UartRx {
            clock: Sig::input(1),
            rst: Sig::input(1),
            rx: Sig::input(1),
            data: Sig::output(8),
            valid: Sig::output(1),
            _div: div,
            _s: RxState {
                s1: true,
                s2: true,
                ..Default::default()
            },
        }
    }
}

impl Logic for UartRx {
    fn update(&mut self) {
        self.data.set(self._s.data as i128);
        self.valid.set_bool(self._s.valid);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let cw = ubits(self._div as u128);
        Verilog::Custom(format!(
            r#"// @leaf uart_rx
reg s1;
reg s2;
reg [1:0] st;
reg [{cwm}:0] cnt;
reg [2:0] bitn;
reg [7:0] sh;
always @(posedge clock) begin
    if (rst) begin
        s1 <= 1'b1;
        s2 <= 1'b1;
        st <= 2'd0;
        valid <= 1'b0;
    end else begin
        s1 <= rx;
        s2 <= s1;
        valid <= 1'b0;
        case (st)
            2'd0: if (!s2) begin
                st <= 2'd1;
                cnt <= {cw}'d{half};
            end
            2'd1: if (cnt == {cw}'d0) begin
                if (!s2) begin
                    st <= 2'd2;
                    cnt <= {cw}'d{full};
                    bitn <= 3'd0;
                end else st <= 2'd0;
            end else cnt <= cnt - {cw}'d1;
            2'd2: if (cnt == {cw}'d0) begin
                sh <= {{s2, sh[7:1]}};
                cnt <= {cw}'d{full};
                if (bitn == 3'd7) st <= 2'd3;
                else bitn <= bitn + 3'd1;
            end else cnt <= cnt - {cw}'d1;
            default: if (cnt == {cw}'d0) begin
                st <= 2'd0;
                if (s2) begin
                    data <= sh;
                    valid <= 1'b1;
                end
            end else cnt <= cnt - {cw}'d1;
        endcase
    end
end
"#,
            cwm = cw - 1,
            half = self._div / 2 - 1,
            full = self._div - 1,
        ))
    }
}

impl Component for UartRx {
    fn kind(&self) -> String {
        "uart_rx".into()
    }
    leaf_ports!(clock, rst, rx, data, valid);
    fn tick(&mut self) {
        let o = self._s.clone();
        let s = &mut self._s;
        if self.rst.on() {
            s.s1 = true;
            s.s2 = true;
            s.st = 0;
            s.valid = false;
            return;
        }
        s.s1 = self.rx.on();
        s.s2 = o.s1;
        s.valid = false;
        let full = self._div - 1;
        match o.st {
            0 => {
                if !o.s2 {
                    s.st = 1;
                    s.cnt = self._div / 2 - 1;
                }
            }
            1 => {
                if o.cnt == 0 {
                    if !o.s2 {
                        s.st = 2;
                        s.cnt = full;
                        s.bit = 0;
                    } else {
                        s.st = 0;
                    }
                } else {
                    s.cnt = o.cnt - 1;
                }
            }
            2 => {
                if o.cnt == 0 {
                    s.sh = ((o.s2 as u32) << 7) | (o.sh >> 1);
                    s.cnt = full;
                    if o.bit == 7 {
                        s.st = 3;
                    } else {
                        s.bit = o.bit + 1;
                    }
                } else {
                    s.cnt = o.cnt - 1;
                }
            }
            _ => {
                if o.cnt == 0 {
                    s.st = 0;
                    if o.s2 {
                        s.data = o.sh;
                        s.valid = true;
                    }
                } else {
                    s.cnt = o.cnt - 1;
                }
            }
        }
    }
}

#[derive(Clone, Default, Debug)]
struct TxState {
    busy: bool,
    cnt: u64,
    nbits: u32,
    dq: u32,
    tx: bool,
}

/// UART transmitter.
#[derive(LogicBlock)]
pub struct UartTx {
    pub clock: Sig,
    pub rst: Sig,
    pub data: Sig,
    pub start: Sig,
    pub ready: Sig,
    pub tx: Sig,
    _div: u64,
    _s: TxState,
}

impl UartTx {
    pub fn new(div: u64) -> UartTx {
        assert!(div >= 4);
        UartTx {
            clock: Sig::input(1),
            rst: Sig::input(1),
            data: Sig::input(8),
            start: Sig::input(1),
            ready: Sig::output(1),
            tx: Sig::output(1),
            _div: div,
            _s: TxState {
                tx: true,
                ..Default::default()
            },
        }
    }
}

impl Logic for UartTx {
    fn update(&mut self) {
        self.ready.set_bool(!self._s.busy);
        self.tx.set_bool(self._s.tx);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let cw = ubits(self._div as u128);
        Verilog::Custom(format!(
            r#"// @leaf uart_tx
reg busy;
reg [{cwm}:0] cnt;
reg [3:0] nbits;
reg [7:0] dq;
reg tx_q;
always @(*) begin
    ready = !busy;
    tx = tx_q;
end
always @(posedge clock) begin
    if (rst) begin
        busy <= 1'b0;
        tx_q <= 1'b1;
    end else if (!busy) begin
        if (start) begin
            dq <= data;
            tx_q <= 1'b0;
            cnt <= {cw}'d{full};
            nbits <= 4'd0;
            busy <= 1'b1;
        end
    end else if (cnt == {cw}'d0) begin
        if (nbits == 4'd9) busy <= 1'b0;
        else begin
            // data bits 0..7, then the stop bit (1)
            tx_q <= nbits[3] || dq[nbits[2:0]];
            nbits <= nbits + 4'd1;
            cnt <= {cw}'d{full};
        end
    end else cnt <= cnt - {cw}'d1;
end
"#,
            cwm = cw - 1,
            full = self._div - 1,
        ))
    }
}

impl Component for UartTx {
    fn kind(&self) -> String {
        "uart_tx".into()
    }
    leaf_ports!(clock, rst, data, start, ready, tx);
    fn tick(&mut self) {
        let o = self._s.clone();
        let s = &mut self._s;
        if self.rst.on() {
            s.busy = false;
            s.tx = true;
            return;
        }
        let full = self._div - 1;
        if !o.busy {
            if self.start.on() {
                s.dq = self.data.bits() as u32;
                s.tx = false;
                s.cnt = full;
                s.nbits = 0;
                s.busy = true;
            }
        } else if o.cnt == 0 {
            if o.nbits == 9 {
                s.busy = false;
            } else {
                s.tx = o.nbits >= 8 || (o.dq >> o.nbits) & 1 == 1;
                s.nbits = o.nbits + 1;
                s.cnt = full;
            }
        } else {
            s.cnt = o.cnt - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim};
    use crate::kit::{RtlSim, Structure};
    use rand::{Rng, SeedableRng};

    /// A transmitter wired to a receiver.
    fn loopback(div: u64) -> Structure {
        let mut s = Structure::new("uart_loop", "tx -> rx");
        let clock = s.add_port("clock", Sig::input(1));
        let rst = s.add_port("rst", Sig::input(1));
        let tx = s.add_child("serial_out", Box::new(UartTx::new(div)));
        let rx = s.add_child("serial_in", Box::new(UartRx::new(div)));
        for c in [tx, rx] {
            let e = s.at(c, "clock");
            s.connect(e, clock);
            let e = s.at(c, "rst");
            s.connect(e, rst);
        }
        s.expose(tx, "data", "data");
        s.expose(tx, "start", "start");
        s.expose(tx, "ready", "ready");
        let (o, i) = (s.at(tx, "tx"), s.at(rx, "rx"));
        s.connect(i, o);
        s.expose(rx, "data", "rx_data");
        s.expose(rx, "valid", "rx_valid");
        s.finish()
    }

    #[test]
    fn loopback_delivers_every_byte() {
        for div in [4u64, 7, 16] {
            let mut sim = RtlSim::new(loopback(div));
            sim.set("rst", 1);
            sim.step();
            sim.set("rst", 0);
            let bytes: Vec<u8> = (0..40).map(|i| (i * 37 + 5) as u8).collect();
            let mut got = vec![];
            let mut next = 0;
            for _ in 0..(bytes.len() as u64 + 2) * 11 * div {
                let start = next < bytes.len() && sim.get("ready") == 1;
                sim.set("start", start as i128);
                sim.set("data", *bytes.get(next).unwrap_or(&0) as i128);
                sim.step();
                if start {
                    next += 1;
                }
                if sim.get("rx_valid") == 1 {
                    got.push(sim.get("rx_data") as u8);
                }
            }
            assert_eq!(got, bytes, "div {div}");
        }
    }

    #[test]
    fn verilog_matches_model() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        check_verilog(&UartRx::new(7)).unwrap();
        check_verilog(&UartTx::new(7)).unwrap();
        check_verilog(&loopback(5)).unwrap();
        let rows: Vec<Vec<i128>> = (0..6000)
            .map(|c| {
                vec![
                    (c < 2) as i128,
                    rng.gen_range(0..256),
                    rng.gen_bool(0.3) as i128,
                ]
            })
            .collect();
        cosim(loopback(5), &rows).unwrap();
        let rows: Vec<Vec<i128>> = (0..6000)
            .map(|c| vec![(c < 2) as i128, rng.gen_bool(0.7) as i128])
            .collect();
        cosim(UartRx::new(6), &rows).unwrap();
    }
}
