//! `host_link`: the board's framed protocol between the UART and the engine's streams
//! (`docs/host-protocol.md`). A frame is `SYNC, type, length (2 bytes, little endian), payload,
//! checksum`, where the checksum makes the bytes from `type` to the checksum sum to 0 mod 256.
//!
//! Host to board: `DATA` / `DATA_LAST` frames carry 1 to 32 input words (8 bytes each, little
//! endian); the board buffers the frame, checks it, forwards its words to the engine (`tlast` on
//! the last word of a `DATA_LAST` frame) and then answers `ACK`, or `NAK` with an error code
//! without forwarding anything. The host sends the next frame after the answer (stop and wait),
//! so the board needs one frame of buffer and no flow control on the serial line.
//!
//! Board to host: each output word of the engine in an `OUT` frame (`OUT_LAST` for the word with
//! `tlast`, the last trailer word); answers have priority over output frames.

use crate::ir::{cat, select, Circuit, Module};
use crate::ir_leaf;
use crate::ram::{self, Ram};

/// Protocol constants, shared by the hardware and the host program.
pub mod proto {
    pub const SYNC: u8 = 0xA5;
    pub const DATA: u8 = 0x01;
    pub const DATA_LAST: u8 = 0x02;
    pub const ACK: u8 = 0x81;
    pub const NAK: u8 = 0x82;
    pub const OUT: u8 = 0x83;
    pub const OUT_LAST: u8 = 0x84;
    /// Most input words in one frame.
    pub const MAX_WORDS: usize = 32;
    /// NAK codes.
    pub const ERR_CHECKSUM: u8 = 1;
    pub const ERR_TYPE: u8 = 2;
    pub const ERR_LENGTH: u8 = 3;

    /// The checksum byte that makes `bytes` plus it sum to 0 mod 256.
    pub fn checksum(bytes: &[u8]) -> u8 {
        bytes
            .iter()
            .fold(0u8, |a, &b| a.wrapping_add(b))
            .wrapping_neg()
    }

    /// A complete frame.
    pub fn frame(typ: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u16;
        let mut body = vec![typ, len as u8, (len >> 8) as u8];
        body.extend_from_slice(payload);
        let c = checksum(&body);
        let mut f = vec![SYNC];
        f.extend(body);
        f.push(c);
        f
    }
}

/// Receiver states (`rxs`).
mod rs {
    pub const SYNC: i128 = 0;
    pub const TYPE: i128 = 1;
    pub const LEN0: i128 = 2;
    pub const LEN1: i128 = 3;
    pub const PAYLOAD: i128 = 4;
    pub const CHK: i128 = 5;
    /// A word is read from the frame buffer (and `fwd_last` registered).
    pub const FREAD: i128 = 6;
    /// The word is offered to the engine.
    pub const FSEND: i128 = 7;
    /// The frame's checksum, type and length decide: forward, or NAK.
    pub const DECIDE: i128 = 8;
    /// Width of the state.
    pub const BITS: u32 = 4;
}

ir_leaf! {
    /// The host link, simulated and emitted from [`describe`].
    pub struct HostLink {
        clock, rst, rx_data, rx_valid, tx_data, tx_start, tx_ready, s_data, s_valid, s_last,
        s_ready, m_data, m_valid, m_last, m_ready, frame_ok, frame_err
    }
}

impl Default for HostLink {
    fn default() -> Self {
        Self::new()
    }
}

impl HostLink {
    pub fn new() -> HostLink {
        HostLink::from_circuit(describe(proto::MAX_WORDS))
    }
}

/// The host link described once (see the module doc), for frames of at most `max_words`
/// words (`proto::MAX_WORDS` on the board; the frame buffer `frame_buf` is a `ram` of that
/// many 64-bit words). The receiver's flags `typ_bad`, `len_bad`, `fwd_last` are registered
/// from values set cycles before they are used, so that no decision waits on a compare.
pub fn describe(max_words: usize) -> Circuit {
    assert!(
        (1..=64).contains(&max_words),
        "host_link: {max_words} words"
    );
    let ab = Ram::addr_bits(max_words);
    let mut m = Module::new("host_link", "");
    m.clock("clock");
    let rst = m.input("rst", 1);
    let rx_data = m.input("rx_data", 8);
    let rx_valid = m.input("rx_valid", 1);
    let rxs = m.reg("rxs", rs::BITS).reset(&rst, rs::SYNC);
    let typ = m.reg("typ", 8);
    let len = m.reg("len", 16);
    let len_m1 = m.reg("len_m1", 16);
    let chk_ok = m.reg("chk_ok", 1);
    let typ_bad = m.reg("typ_bad", 1);
    let len_bad = m.reg("len_bad", 1);
    let fwd_last = m.reg("fwd_last", 1);
    let bcnt = m.reg("bcnt", 16);
    let sum = m.reg("sum", 8);
    let word = m.reg("word", 56);
    let wcount = m.reg("wcount", 7);
    let fwd = m.reg("fwd", 7);
    let reply_pending = m.reg("reply_pending", 1).reset(&rst, 0);
    let reply_typ = m.reg("reply_typ", 8);
    let reply_code = m.reg("reply_code", 8);
    let ts = m.reg("ts", 1).reset(&rst, 0);
    let tleft = m
        .reg("tleft", 4)
        .note("bytes of the frame after the one on tx_data (0: the checksum is on it)");
    let t_first = m.reg("t_first", 1).note("the SYNC byte is on tx_data");
    let t_sh = m
        .reg("t_sh", 96)
        .note("the frame's bytes from the one on tx_data on, first byte lowest");
    let t_neg = m
        .reg("t_neg", 8)
        .note("minus the sum of the frame's bytes: its checksum byte");
    let ok_pulse = m.reg("ok_pulse", 1).reset(&rst, 0);
    let err_pulse = m.reg("err_pulse", 1).reset(&rst, 0);

    let byte = |v: u8| rx_data.lit(v as i128);
    let bit = |v: bool| ts.lit(v as i128);
    let len_ok = len
        .ne(&len.lit(0))
        .and(&len.slice(2, 0).is(0))
        .and(&len.le(&len.lit(max_words as i128 * 8)))
        .named("len_ok");
    let sum_next = sum.add_wrap(&rx_data).named("sum_next");
    let zero56 = m.lit(56, 0);

    // outputs: the transmitter's byte, the engine's input stream, the output stream's ready
    m.output("tx_data", &tleft.is(0).mux(&t_neg, &t_sh.slice(7, 0)));
    // a byte goes out (tx_ready comes after tx_start in the port order)
    let sending = m.wire("sending", 1, false);
    m.output("tx_start", &sending);
    let tx_ready = m.input("tx_ready", 1);
    m.assign(&sending, &ts.and(&tx_ready));
    let fsend = rxs.is(rs::FSEND);
    let frame_buf = m.instance("frame_buf", &ram::describe(64, max_words, false));
    m.output("s_data", &frame_buf.out("rdata"));
    m.output("s_valid", &fsend);
    let s_last = fsend.and(&typ.eq(&byte(proto::DATA_LAST))).and(&fwd_last);
    m.output("s_last", &s_last);
    let s_ready = m.input("s_ready", 1);
    let m_data = m.input("m_data", 64);
    let m_valid = m.input("m_valid", 1);
    let m_last = m.input("m_last", 1);
    let takes_out = ts
        .not()
        .and(&reply_pending.not())
        .and(&m_valid)
        .named("takes_out");
    m.output("m_ready", &takes_out);
    m.output("frame_ok", &ok_pulse);
    m.output("frame_err", &err_pulse);

    // the frame buffer: a word stored at each eighth payload byte, read at `fwd`
    let wroom = wcount.lt(&wcount.lit(max_words as i128));
    let word_end = bcnt.slice(2, 0).is(7);
    frame_buf.set(
        "we",
        &rxs.is(rs::PAYLOAD)
            .and(&rx_valid)
            .and(&word_end)
            .and(&wroom),
    );
    frame_buf.set("waddr", &wcount.slice(ab - 1, 0));
    frame_buf.set("wdata", &cat(&[&rx_data, &word]));
    frame_buf.set("raddr", &fwd.slice(ab - 1, 0));

    m.when(&rst.not(), |m| {
        ok_pulse.set(&bit(false));
        err_pulse.set(&bit(false));
        typ_bad.set(
            &typ.ne(&byte(proto::DATA))
                .and(&typ.ne(&byte(proto::DATA_LAST))),
        );
        len_bad.set(&len_ok.not());
        // receive
        let st = |v: i128| rxs.lit(v);
        m.switch(&rxs, |sw| {
            sw.case(rs::SYNC, |m| {
                m.when(&rx_valid.and(&rx_data.eq(&byte(proto::SYNC))), |_| {
                    rxs.set(&st(rs::TYPE));
                    sum.set(&sum.lit(0));
                })
            });
            sw.case(rs::TYPE, |m| {
                m.when(&rx_valid, |_| {
                    typ.set(&rx_data);
                    sum.set(&sum_next);
                    rxs.set(&st(rs::LEN0));
                })
            });
            sw.case(rs::LEN0, |m| {
                m.when(&rx_valid, |_| {
                    len.set(&cat(&[&len.slice(15, 8), &rx_data]));
                    sum.set(&sum_next);
                    rxs.set(&st(rs::LEN1));
                })
            });
            sw.case(rs::LEN1, |m| {
                m.when(&rx_valid, |_| {
                    let full = cat(&[&rx_data, &len.slice(7, 0)]);
                    len.set(&full);
                    len_m1.set(&full.sub_wrap(&full.lit(1)));
                    sum.set(&sum_next);
                    bcnt.set(&bcnt.lit(0));
                    wcount.set(&wcount.lit(0));
                    rxs.set(&full.is(0).mux(&st(rs::CHK), &st(rs::PAYLOAD)));
                })
            });
            sw.case(rs::PAYLOAD, |m| {
                m.when(&rx_valid, |m| {
                    sum.set(&sum_next);
                    word.set(&cat(&[&rx_data, &word.slice(55, 8)]));
                    m.when(&word_end.and(&wroom), |_| {
                        wcount.set(&wcount.add_wrap(&wcount.lit(1)))
                    });
                    bcnt.set(&bcnt.add_wrap(&bcnt.lit(1)));
                    m.when(&bcnt.eq(&len_m1), |_| rxs.set(&st(rs::CHK)));
                })
            });
            sw.case(rs::CHK, |m| {
                m.when(&rx_valid, |_| {
                    chk_ok.set(&sum_next.is(0));
                    rxs.set(&st(rs::DECIDE));
                })
            });
            sw.case(rs::DECIDE, |m| {
                m.when_else(
                    &chk_ok.not().or(&typ_bad).or(&len_bad),
                    |_| {
                        reply_pending.set(&bit(true));
                        reply_typ.set(&byte(proto::NAK));
                        let code = |v: u8| reply_code.lit(v as i128);
                        reply_code.set(&select(
                            &[
                                (&chk_ok.not(), &code(proto::ERR_CHECKSUM)),
                                (&typ_bad, &code(proto::ERR_TYPE)),
                            ],
                            &code(proto::ERR_LENGTH),
                        ));
                        err_pulse.set(&bit(true));
                        rxs.set(&st(rs::SYNC));
                    },
                    |_| {
                        fwd.set(&fwd.lit(0));
                        rxs.set(&st(rs::FREAD));
                    },
                )
            });
            sw.case(rs::FREAD, |_| {
                fwd_last.set(&fwd.eq(&wcount.sub_wrap(&wcount.lit(1))));
                rxs.set(&st(rs::FSEND));
            });
            // FSEND (and the unused codes)
            sw.default(|m| {
                m.when(&s_ready, |m| {
                    m.when_else(
                        &fwd_last,
                        |_| {
                            reply_pending.set(&bit(true));
                            reply_typ.set(&byte(proto::ACK));
                            ok_pulse.set(&bit(true));
                            rxs.set(&st(rs::SYNC));
                        },
                        |_| {
                            fwd.set(&fwd.add_wrap(&fwd.lit(1)));
                            rxs.set(&st(rs::FREAD));
                        },
                    )
                })
            });
        });
        // transmit (after the receiver: its clear of reply_pending wins)
        m.when_else(
            &ts.not(),
            |m| {
                m.when_else(
                    &reply_pending,
                    |_| {
                        ts.set(&bit(true));
                        t_first.set(&bit(true));
                        // SYNC, type, length (1 with a NAK's code, else 0), the code, the
                        // checksum
                        let nak = reply_typ.eq(&byte(proto::NAK));
                        tleft.set(&nak.mux(&tleft.lit(5), &tleft.lit(4)));
                        t_sh.set(&cat(&[
                            &zero56,
                            &reply_code,
                            &byte(0),
                            &nak.mux(&byte(1), &byte(0)),
                            &reply_typ,
                            &byte(proto::SYNC),
                        ]));
                        t_neg.set(&byte(0));
                        reply_pending.set(&bit(false));
                    },
                    |m| {
                        m.when(&m_valid, |_| {
                            ts.set(&bit(true));
                            t_first.set(&bit(true));
                            tleft.set(&tleft.lit(12));
                            let otyp = m_last.mux(&byte(proto::OUT_LAST), &byte(proto::OUT));
                            t_sh.set(&cat(&[
                                &m_data,
                                &byte(0),
                                &byte(8),
                                &otyp,
                                &byte(proto::SYNC),
                            ]));
                            t_neg.set(&byte(0));
                        })
                    },
                )
            },
            |m| {
                m.when(&tx_ready, |m| {
                    // the checksum: minus the sum of the bytes between SYNC and itself
                    m.when(&t_first.not().and(&tleft.ne(&tleft.lit(0))), |_| {
                        t_neg.set(&t_neg.sub_wrap(&t_sh.slice(7, 0)))
                    });
                    t_first.set(&bit(false));
                    t_sh.set(&cat(&[&byte(0), &t_sh.slice(95, 8)]));
                    m.when_else(
                        &tleft.is(0),
                        |_| ts.set(&bit(false)),
                        |_| tleft.set(&tleft.sub_wrap(&tleft.lit(1))),
                    );
                })
            },
        );
    });
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use crate::kit::RtlSim;
    use rand::{Rng, SeedableRng};

    /// Drives bytes into the link (one every `gap` cycles), accepts every input word and
    /// returns (forwarded words with tlast, reply bytes sent).
    fn run_frames(bytes: &[u8], gap: usize, outs: &[(u64, bool)]) -> (Vec<(u64, bool)>, Vec<u8>) {
        let mut sim = RtlSim::new(HostLink::new());
        sim.set("rst", 1);
        sim.step();
        sim.set("rst", 0);
        let mut fwd = vec![];
        let mut sent = vec![];
        let mut next_out = 0;
        let mut i = 0;
        for cyc in 0..(bytes.len() * gap + 2000) {
            let give = cyc % gap == 0 && i < bytes.len();
            sim.set("rx_valid", give as i128);
            sim.set("rx_data", *bytes.get(i).unwrap_or(&0) as i128);
            sim.set("s_ready", (cyc % 3 != 0) as i128);
            sim.set("tx_ready", (cyc % 2 == 0) as i128);
            let (w, l) = outs.get(next_out).copied().unwrap_or((0, false));
            sim.set("m_valid", (next_out < outs.len()) as i128);
            sim.set("m_data", w as i128);
            sim.set("m_last", l as i128);
            sim.settle();
            if sim.get("s_valid") == 1 && sim.get("s_ready") == 1 {
                fwd.push((sim.get("s_data") as u64, sim.get("s_last") == 1));
            }
            if sim.get("tx_start") == 1 {
                sent.push(sim.get("tx_data") as u8);
            }
            if sim.get("m_ready") == 1 {
                next_out += 1;
            }
            sim.step();
            if give {
                i += 1;
            }
        }
        (fwd, sent)
    }

    fn words_payload(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn frames_are_checked_forwarded_and_answered() {
        let words = [0x1122334455667788u64, 0xffee, 7];
        let mut bytes = proto::frame(proto::DATA, &words_payload(&words[..2]));
        bytes.extend(proto::frame(proto::DATA_LAST, &words_payload(&words[2..])));
        let mut bad = proto::frame(proto::DATA, &words_payload(&words[..1]));
        let n = bad.len();
        bad[n - 1] ^= 1; // checksum error
        bytes.extend(bad);
        bytes.extend(proto::frame(0x07, &words_payload(&words[..1]))); // bad type
        bytes.extend(proto::frame(proto::DATA, &[1, 2, 3])); // bad length
        let outs = [(0xabcdefu64, false), (0x464d535400000000, true)];
        let (fwd, sent) = run_frames(&bytes, 40, &outs);
        assert_eq!(
            fwd,
            vec![(words[0], false), (words[1], false), (words[2], true)]
        );
        let mut expect = vec![];
        expect.extend(proto::frame(proto::OUT, &outs[0].0.to_le_bytes()));
        expect.extend(proto::frame(proto::OUT_LAST, &outs[1].0.to_le_bytes()));
        expect.extend(proto::frame(proto::ACK, &[]));
        expect.extend(proto::frame(proto::ACK, &[]));
        expect.extend(proto::frame(proto::NAK, &[proto::ERR_CHECKSUM]));
        expect.extend(proto::frame(proto::NAK, &[proto::ERR_TYPE]));
        expect.extend(proto::frame(proto::NAK, &[proto::ERR_LENGTH]));
        assert_eq!(sent, expect);
    }

    #[test]
    fn a_full_frame_is_forwarded_and_longer_or_empty_ones_refused() {
        let words: Vec<u64> = (0..proto::MAX_WORDS as u64 + 1)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        // bytes that are not SYNC between the frames: the link hunts through them while it
        // forwards a frame (the host waits for the answer)
        let gap = [0u8; 100];
        let mut bytes = proto::frame(proto::DATA_LAST, &words_payload(&words[..proto::MAX_WORDS]));
        bytes.extend(gap);
        bytes.extend(proto::frame(proto::DATA, &words_payload(&words))); // 33 words
        bytes.extend(gap);
        bytes.extend(proto::frame(proto::DATA, &[])); // no word
        let (fwd, sent) = run_frames(&bytes, 3, &[]);
        let n = proto::MAX_WORDS;
        let expect: Vec<(u64, bool)> = (0..n).map(|i| (words[i], i == n - 1)).collect();
        assert_eq!(fwd, expect);
        let mut replies = proto::frame(proto::ACK, &[]);
        replies.extend(proto::frame(proto::NAK, &[proto::ERR_LENGTH]));
        replies.extend(proto::frame(proto::NAK, &[proto::ERR_LENGTH]));
        assert_eq!(sent, replies);
    }

    #[test]
    fn verilog_matches_model() {
        check_verilog(&HostLink::new()).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        // Valid and corrupted frames as the byte stream, random handshakes around them.
        let mut bytes = vec![];
        for k in 0..60 {
            let n = rng.gen_range(1..=proto::MAX_WORDS);
            let ws: Vec<u64> = (0..n).map(|_| rng.gen()).collect();
            let mut f = proto::frame(
                if k % 5 == 4 {
                    proto::DATA_LAST
                } else {
                    proto::DATA
                },
                &words_payload(&ws),
            );
            if k % 7 == 3 {
                let i = rng.gen_range(1..f.len());
                f[i] ^= 0x10;
            }
            bytes.extend(f);
        }
        let mut i = 0;
        let rows: Vec<Vec<i128>> = (0..60_000)
            .map(|c| {
                let give = rng.gen_bool(0.3) && i < bytes.len();
                let b = *bytes.get(i).unwrap_or(&0);
                if give {
                    i += 1;
                }
                vec![
                    (c < 2) as i128,
                    b as i128,
                    give as i128,
                    rng.gen_bool(0.5) as i128,
                    rng.gen_bool(0.6) as i128,
                    vectors::random(&mut rng, 64, false),
                    rng.gen_bool(0.1) as i128,
                    rng.gen_bool(0.5) as i128,
                ]
            })
            .collect();
        cosim(HostLink::new(), &rows).unwrap();
    }
}
