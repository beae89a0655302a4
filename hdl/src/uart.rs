//! `uart_rx` and `uart_tx`: 8N1 serial port of the board's host link, `div` clock cycles per
//! bit (`Config::uart_divisor`). The receiver synchronizes the pin through two flip-flops and
//! samples each bit in its middle; a byte is out (`valid` pulse) at the middle of its stop bit
//! (a byte whose stop bit is 0 is dropped). The transmitter starts a byte on `start` when
//! `ready`, and is ready again after the stop bit.

use crate::config::ubits;
use crate::ir::{cat, Circuit, Module};
use crate::ir_leaf;

ir_leaf! {
    /// UART receiver, simulated and emitted from [`describe_rx`].
    pub struct UartRx { clock, rst, rx, data, valid }
}

impl UartRx {
    /// A receiver of `div` (>= 4) clock cycles per bit.
    pub fn new(div: u64) -> UartRx {
        UartRx::from_circuit(describe_rx(div))
    }
}

/// The receiver described once: the pin through two flip-flops (`s1`, `s2`), then a state
/// machine `st` (0 idle, 1 start bit, 2 data bits, 3 stop bit) that counts `cnt` down to the
/// middle of each bit, shifts the data bits into `sh` (LSB first) and delivers it on `data`
/// with a `valid` pulse if the stop bit is 1.
pub fn describe_rx(div: u64) -> Circuit {
    assert!(div >= 4, "uart: {div} cycles per bit; at least 4");
    let cw = ubits(div as u128);
    let (half, full) = ((div / 2 - 1) as i128, (div - 1) as i128);
    let mut m = Module::new("uart_rx", "");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let rx = m.input("rx", 1);
    let s1 = m.reg("s1", 1).reset(&rst, 1);
    let s2 = m.reg("s2", 1).reset(&rst, 1);
    let st = m.reg("st", 2).reset(&rst, 0);
    let cnt = m.reg("cnt", cw);
    let bitn = m.reg("bitn", 3);
    let sh = m.reg("sh", 8);
    let data = m.output_reg("data", 8);
    let valid = m.output_reg("valid", 1).reset(&rst, 0);
    let at_zero = cnt.is(0);
    let count_down = || cnt.set(&cnt.sub_wrap(&cnt.lit(1)));
    m.when(&rst.not(), |m| {
        s1.set(&rx);
        s2.set(&s1);
        valid.set(&valid.lit(0));
        m.switch(&st, |sw| {
            // idle: a low level starts a byte; wait to the middle of the start bit
            sw.case(0, |m| {
                m.when(&s2.not(), |_| {
                    st.set(&st.lit(1));
                    cnt.set(&cnt.lit(half));
                })
            });
            // the middle of the start bit: still low, or a glitch
            sw.case(1, |m| {
                m.when_else(
                    &at_zero,
                    |m| {
                        m.when_else(
                            &s2.not(),
                            |_| {
                                st.set(&st.lit(2));
                                cnt.set(&cnt.lit(full));
                                bitn.set(&bitn.lit(0));
                            },
                            |_| st.set(&st.lit(0)),
                        )
                    },
                    |_| count_down(),
                )
            });
            // the middle of a data bit
            sw.case(2, |m| {
                m.when_else(
                    &at_zero,
                    |m| {
                        sh.set(&cat(&[&s2, &sh.slice(7, 1)]));
                        cnt.set(&cnt.lit(full));
                        m.when_else(
                            &bitn.is(7),
                            |_| st.set(&st.lit(3)),
                            |_| bitn.set(&bitn.add_wrap(&bitn.lit(1))),
                        );
                    },
                    |_| count_down(),
                )
            });
            // the middle of the stop bit: a 1 delivers the byte
            sw.default(|m| {
                m.when_else(
                    &at_zero,
                    |m| {
                        st.set(&st.lit(0));
                        m.when(&s2, |_| {
                            data.set(&sh);
                            valid.set(&valid.lit(1));
                        });
                    },
                    |_| count_down(),
                )
            });
        });
    });
    m.finish()
}

ir_leaf! {
    /// UART transmitter, simulated and emitted from [`describe_tx`].
    pub struct UartTx { clock, rst, data, start, ready, tx }
}

impl UartTx {
    /// A transmitter of `div` (>= 4) clock cycles per bit.
    pub fn new(div: u64) -> UartTx {
        UartTx::from_circuit(describe_tx(div))
    }
}

/// The transmitter described once: `start` while not `busy` latches `data` into `dq` and
/// sends the start bit; every `div` cycles (`cnt`) the next bit goes out on `tx_q` (`nbits`
/// counts the data bits 0..7, then the stop bit); `busy` falls after the stop bit.
pub fn describe_tx(div: u64) -> Circuit {
    assert!(div >= 4, "uart: {div} cycles per bit; at least 4");
    let cw = ubits(div as u128);
    let full = (div - 1) as i128;
    let mut m = Module::new("uart_tx", "");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let data = m.input("data", 8);
    let start = m.input("start", 1);
    let busy = m.reg("busy", 1).reset(&rst, 0);
    let cnt = m.reg("cnt", cw);
    let nbits = m.reg("nbits", 4);
    let dq = m.reg("dq", 8);
    let tx_q = m.reg("tx_q", 1).reset(&rst, 1);
    m.output("ready", &busy.not());
    m.output("tx", &tx_q);
    m.when(&rst.not(), |m| {
        m.when_else(
            &busy.not(),
            |m| {
                m.when(&start, |_| {
                    dq.set(&data);
                    tx_q.set(&tx_q.lit(0));
                    cnt.set(&cnt.lit(full));
                    nbits.set(&nbits.lit(0));
                    busy.set(&busy.lit(1));
                })
            },
            |m| {
                m.when_else(
                    &cnt.is(0),
                    |m| {
                        m.when_else(
                            &nbits.is(9),
                            |_| busy.set(&busy.lit(0)),
                            |_| {
                                // data bits 0..7, then the stop bit (1)
                                tx_q.set(&nbits.bit(3).or(&dq.index(&nbits.slice(2, 0))));
                                nbits.set(&nbits.add_wrap(&nbits.lit(1)));
                                cnt.set(&cnt.lit(full));
                            },
                        )
                    },
                    |_| cnt.set(&cnt.sub_wrap(&cnt.lit(1))),
                )
            },
        )
    });
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim};
    use crate::kit::{RtlSim, Sig, Structure};
    use rand::{Rng, SeedableRng};

    /// The pin levels of an 8N1 frame of `byte` with stop bit `stop`, `div` cycles a bit.
    fn frame(byte: u8, stop: bool, div: u64) -> Vec<bool> {
        let mut bits = vec![false];
        bits.extend((0..8).map(|i| (byte >> i) & 1 == 1));
        bits.push(stop);
        bits.iter()
            .flat_map(|&b| std::iter::repeat_n(b, div as usize))
            .collect()
    }

    #[test]
    fn transmitter_sends_8n1_frames() {
        for div in [4u64, 9] {
            let mut sim = RtlSim::new(UartTx::new(div));
            sim.set("rst", 1);
            sim.step();
            sim.set("rst", 0);
            assert_eq!((sim.get("tx"), sim.get("ready")), (1, 1), "idle high");
            for byte in [0xa5u8, 0x00, 0xff, 0x3c] {
                sim.set("data", byte as i128);
                sim.set("start", 1);
                sim.step();
                sim.set("start", 0);
                sim.set("data", 0);
                let mut line = vec![];
                for _ in 0..10 * div {
                    line.push(sim.get("tx") == 1);
                    assert_eq!(sim.get("ready"), 0, "busy for the whole frame");
                    sim.step();
                }
                assert_eq!(line, frame(byte, true, div), "div {div} byte {byte:#x}");
                assert_eq!(
                    (sim.get("tx"), sim.get("ready")),
                    (1, 1),
                    "ready after the stop bit"
                );
            }
        }
    }

    #[test]
    fn receiver_samples_mid_bit_and_drops_bad_stop_bits() {
        for div in [4u64, 7, 16] {
            let mut sim = RtlSim::new(UartRx::new(div));
            sim.set("rx", 1);
            sim.set("rst", 1);
            sim.step();
            sim.set("rst", 0);
            // a glitch shorter than half a bit, then a good frame, a frame with a bad stop bit,
            // a good frame
            let mut line = vec![true; 5];
            line.extend(std::iter::repeat_n(false, (div / 2 - 1) as usize));
            line.extend(std::iter::repeat_n(true, 3 * div as usize));
            let mut starts = vec![];
            for (byte, stop) in [(0x96u8, true), (0x41, false), (0x7e, true)] {
                starts.push((line.len(), byte, stop));
                line.extend(frame(byte, stop, div));
                line.extend(std::iter::repeat_n(true, div as usize));
            }
            let mut got = vec![];
            for (c, &b) in line.iter().enumerate() {
                sim.set("rx", b as i128);
                sim.step();
                if sim.get("valid") == 1 {
                    got.push((c, sim.get("data") as u8));
                }
            }
            // two synchronizer flip-flops, then the middle of the stop bit (bit 9)
            let expect: Vec<(usize, u8)> = starts
                .iter()
                .filter(|s| s.2)
                .map(|&(t0, byte, _)| (t0 + 3 + (div / 2 - 1) as usize + 9 * div as usize, byte))
                .collect();
            assert_eq!(got, expect, "div {div}");
        }
    }

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
    fn simulation_matches_verilog() {
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
