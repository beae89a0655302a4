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

use crate::kit::{Component, Sig};
use crate::leaf_ports;
use crate::ram::Ram;
use rust_hdl::core::prelude::*;

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

mod rs {
    pub const SYNC: u32 = 0;
    pub const TYPE: u32 = 1;
    pub const LEN0: u32 = 2;
    pub const LEN1: u32 = 3;
    pub const PAYLOAD: u32 = 4;
    pub const CHK: u32 = 5;
    pub const FREAD: u32 = 6;
    pub const FSEND: u32 = 7;
    pub const DECIDE: u32 = 8;
}

#[derive(Clone, Default, Debug)]
struct State {
    rs: u32,
    typ: i128,
    len: i128,
    bcnt: i128,
    sum: i128,
    /// The checksum byte made the frame sum to 0 (registered in CHK, used in DECIDE).
    chk_ok: bool,
    word: i128,
    wcount: i128,
    fwd: i128,
    reply_pending: bool,
    reply_typ: i128,
    reply_code: i128,
    ts: u32,
    /// Bytes of the frame being sent after the one on `tx_data` (0: the checksum is on it).
    tleft: i128,
    /// The SYNC byte is on `tx_data` (it is not in the checksum).
    t_first: bool,
    /// The frame's bytes from the one on `tx_data` on, first byte lowest, checksum excluded.
    t_sh: u128,
    /// Minus the sum of the bytes of the frame being sent (its checksum byte), kept as the
    /// bytes go out.
    t_neg: i128,
    ok_pulse: bool,
    err_pulse: bool,
}

/// The host link.
#[derive(LogicBlock)]
pub struct HostLink {
    pub clock: Sig,
    pub rst: Sig,
    pub rx_data: Sig,
    pub rx_valid: Sig,
    pub tx_data: Sig,
    pub tx_start: Sig,
    pub tx_ready: Sig,
    pub s_data: Sig,
    pub s_valid: Sig,
    pub s_last: Sig,
    pub s_ready: Sig,
    pub m_data: Sig,
    pub m_valid: Sig,
    pub m_last: Sig,
    pub m_ready: Sig,
    pub frame_ok: Sig,
    pub frame_err: Sig,
    pub frame_buf: Ram,
    _s: State,
}

impl Default for HostLink {
    fn default() -> Self {
        Self::new()
    }
}

impl HostLink {
    pub fn new() -> HostLink {
        HostLink {
            clock: Sig::input(1),
            rst: Sig::input(1),
            rx_data: Sig::input(8),
            rx_valid: Sig::input(1),
            tx_data: Sig::output(8),
            tx_start: Sig::output(1),
            tx_ready: Sig::input(1),
            s_data: Sig::output(64),
            s_valid: Sig::output(1),
            s_last: Sig::output(1),
            s_ready: Sig::input(1),
            m_data: Sig::input(64),
            m_valid: Sig::input(1),
            m_last: Sig::input(1),
            m_ready: Sig::output(1),
            frame_ok: Sig::output(1),
            frame_err: Sig::output(1),
            frame_buf: Ram::new(64, proto::MAX_WORDS, false),
            _s: State::default(),
        }
    }

    /// Byte `i` of the frame being sent.
    fn tx_byte(s: &State) -> i128 {
        if s.tleft == 0 {
            s.t_neg
        } else {
            (s.t_sh & 0xff) as i128
        }
    }

    fn len_ok(s: &State) -> bool {
        s.len != 0 && s.len % 8 == 0 && s.len <= (proto::MAX_WORDS * 8) as i128
    }

    fn tx_idle_takes_out(&self) -> bool {
        let s = &self._s;
        s.ts == 0 && !s.reply_pending && self.m_valid.on()
    }
}

impl Logic for HostLink {
    fn update(&mut self) {
        let s = self._s.clone();
        let sending = s.ts == 1 && self.tx_ready.on();
        self.tx_start.set_bool(sending);
        self.tx_data.set(Self::tx_byte(&s));
        let fsend = s.rs == rs::FSEND;
        self.s_valid.set_bool(fsend);
        self.s_data.set(self.frame_buf.rdata.get());
        self.s_last
            .set_bool(fsend && s.typ == proto::DATA_LAST as i128 && s.fwd == s.wcount - 1);
        self.m_ready.set_bool(self.tx_idle_takes_out());
        self.frame_ok.set_bool(s.ok_pulse);
        self.frame_err.set_bool(s.err_pulse);
        let storing = s.rs == rs::PAYLOAD
            && self.rx_valid.on()
            && s.bcnt % 8 == 7
            && s.wcount < proto::MAX_WORDS as i128;
        self.frame_buf.clock.set(self.clock.get());
        self.frame_buf.we.set_bool(storing);
        self.frame_buf.waddr.set(s.wcount);
        self.frame_buf
            .wdata
            .set(s.word | ((self.rx_data.get() & 0xff) << 56));
        self.frame_buf.raddr.set(s.fwd);
    }

    fn connect(&mut self) {
        self.claim_outputs();
        self.frame_buf.claim_inputs();
    }

    fn hdl(&self) -> Verilog {
        let ab = self.frame_buf.waddr.width();
        Verilog::Custom(format!(
            r#"// @leaf host_link
localparam [3:0] R_SYNC = 4'd0, R_TYPE = 4'd1, R_LEN0 = 4'd2, R_LEN1 = 4'd3, R_PAYLOAD = 4'd4, R_CHK = 4'd5, R_FREAD = 4'd6, R_FSEND = 4'd7, R_DECIDE = 4'd8;
reg [3:0] rxs;
reg [7:0] typ;
reg [15:0] len;
reg [15:0] len_m1;
reg chk_ok;
reg typ_bad; // typ is neither DATA nor DATA_LAST (registered from typ, which is set bytes before it is used)
reg len_bad; // !len_ok, likewise
reg fwd_last;
reg [15:0] bcnt;
reg [7:0] sum;
reg [55:0] word;
reg [6:0] wcount;
reg [6:0] fwd;
reg reply_pending;
reg [7:0] reply_typ;
reg [7:0] reply_code;
reg ts;
reg [3:0] tleft; // bytes of the frame after the one on tx_data (0: the checksum is on it)
reg t_first; // the SYNC byte is on tx_data
reg [95:0] t_sh; // the frame's bytes from the one on tx_data on, first byte lowest
reg [7:0] t_neg; // minus the sum of the frame's bytes: its checksum byte
reg ok_pulse;
reg err_pulse;
wire len_ok = len != 16'd0 && len[2:0] == 3'd0 && len <= 16'd{maxlen};
wire [7:0] sum_next = sum + rx_data;
wire takes_out = !ts && !reply_pending && m_valid;
always @(*) begin
    tx_start = ts && tx_ready;
    tx_data = (tleft == 4'd0) ? t_neg : t_sh[7:0];
    s_valid = rxs == R_FSEND;
    s_data = frame_buf$rdata;
    s_last = rxs == R_FSEND && typ == 8'h{data_last:x} && fwd_last;
    m_ready = takes_out;
    frame_ok = ok_pulse;
    frame_err = err_pulse;
    frame_buf$clock = clock;
    frame_buf$we = rxs == R_PAYLOAD && rx_valid && bcnt[2:0] == 3'd7 && wcount < 7'd{maxw};
    frame_buf$waddr = wcount[{abm}:0];
    frame_buf$wdata = {{rx_data, word}};
    frame_buf$raddr = fwd[{abm}:0];
end
always @(posedge clock) begin
    if (rst) begin
        rxs <= R_SYNC;
        reply_pending <= 1'b0;
        ts <= 1'b0;
        ok_pulse <= 1'b0;
        err_pulse <= 1'b0;
    end else begin
        ok_pulse <= 1'b0;
        err_pulse <= 1'b0;
        typ_bad <= typ != 8'h{data:x} && typ != 8'h{data_last:x};
        len_bad <= !len_ok;
        // receive
        case (rxs)
            R_SYNC: if (rx_valid && rx_data == 8'h{sync:x}) begin
                rxs <= R_TYPE;
                sum <= 8'd0;
            end
            R_TYPE: if (rx_valid) begin
                typ <= rx_data;
                sum <= sum_next;
                rxs <= R_LEN0;
            end
            R_LEN0: if (rx_valid) begin
                len[7:0] <= rx_data;
                sum <= sum_next;
                rxs <= R_LEN1;
            end
            R_LEN1: if (rx_valid) begin
                len[15:8] <= rx_data;
                len_m1 <= {{rx_data, len[7:0]}} - 16'd1;
                sum <= sum_next;
                bcnt <= 16'd0;
                wcount <= 7'd0;
                rxs <= ({{rx_data, len[7:0]}} == 16'd0) ? R_CHK : R_PAYLOAD;
            end
            R_PAYLOAD: if (rx_valid) begin
                sum <= sum_next;
                word <= {{rx_data, word[55:8]}};
                if (bcnt[2:0] == 3'd7 && wcount < 7'd{maxw}) wcount <= wcount + 7'd1;
                bcnt <= bcnt + 16'd1;
                if (bcnt == len_m1) rxs <= R_CHK;
            end
            R_CHK: if (rx_valid) begin
                chk_ok <= sum_next == 8'd0;
                rxs <= R_DECIDE;
            end
            R_DECIDE: begin
                if (!chk_ok || typ_bad || len_bad) begin
                    reply_pending <= 1'b1;
                    reply_typ <= 8'h{nak:x};
                    reply_code <= !chk_ok ? 8'd{e_chk} : typ_bad ? 8'd{e_typ} : 8'd{e_len};
                    err_pulse <= 1'b1;
                    rxs <= R_SYNC;
                end else begin
                    fwd <= 7'd0;
                    rxs <= R_FREAD;
                end
            end
            R_FREAD: begin
                fwd_last <= fwd == wcount - 7'd1;
                rxs <= R_FSEND;
            end
            default: if (s_ready) begin
                if (fwd_last) begin
                    reply_pending <= 1'b1;
                    reply_typ <= 8'h{ack:x};
                    ok_pulse <= 1'b1;
                    rxs <= R_SYNC;
                end else begin
                    fwd <= fwd + 7'd1;
                    rxs <= R_FREAD;
                end
            end
        endcase
        // transmit
        if (!ts) begin
            if (reply_pending) begin
                ts <= 1'b1;
                t_first <= 1'b1;
                // SYNC, type, length (1 with a NAK's code, else 0), the code, the checksum
                tleft <= (reply_typ == 8'h{nak:x}) ? 4'd5 : 4'd4;
                t_sh <= {{56'd0, reply_code, 8'd0, (reply_typ == 8'h{nak:x}) ? 8'd1 : 8'd0, reply_typ, 8'h{sync:x}}};
                t_neg <= 8'd0;
                reply_pending <= 1'b0;
            end else if (m_valid) begin
                ts <= 1'b1;
                t_first <= 1'b1;
                tleft <= 4'd12;
                t_sh <= {{m_data, 8'd0, 8'd8, m_last ? 8'h{out_last:x} : 8'h{out:x}, 8'h{sync:x}}};
                t_neg <= 8'd0;
            end
        end else if (tx_ready) begin
            // the checksum: minus the sum of the bytes between SYNC and itself
            if (!t_first && tleft != 4'd0) t_neg <= t_neg - t_sh[7:0];
            t_first <= 1'b0;
            t_sh <= {{8'd0, t_sh[95:8]}};
            if (tleft == 4'd0) ts <= 1'b0;
            else tleft <= tleft - 4'd1;
        end
    end
end
"#,
            maxlen = proto::MAX_WORDS * 8,
            maxw = proto::MAX_WORDS,
            abm = ab - 1,
            sync = proto::SYNC,
            nak = proto::NAK,
            ack = proto::ACK,
            data = proto::DATA,
            data_last = proto::DATA_LAST,
            out = proto::OUT,
            out_last = proto::OUT_LAST,
            e_chk = proto::ERR_CHECKSUM,
            e_typ = proto::ERR_TYPE,
            e_len = proto::ERR_LENGTH,
        ))
    }
}

impl Component for HostLink {
    fn kind(&self) -> String {
        "host_link".into()
    }
    leaf_ports!(
        clock, rst, rx_data, rx_valid, tx_data, tx_start, tx_ready, s_data, s_valid, s_last,
        s_ready, m_data, m_valid, m_last, m_ready, frame_ok, frame_err
    );
    fn tick(&mut self) {
        self.frame_buf.tick();
        let o = self._s.clone();
        let takes_out = self.tx_idle_takes_out();
        let s = &mut self._s;
        if self.rst.on() {
            s.rs = rs::SYNC;
            s.reply_pending = false;
            s.ts = 0;
            s.ok_pulse = false;
            s.err_pulse = false;
            return;
        }
        s.ok_pulse = false;
        s.err_pulse = false;
        let rxv = self.rx_valid.on();
        let b = self.rx_data.get() & 0xff;
        let sum_next = (o.sum + b) & 0xff;
        match o.rs {
            rs::SYNC => {
                if rxv && b == proto::SYNC as i128 {
                    s.rs = rs::TYPE;
                    s.sum = 0;
                }
            }
            rs::TYPE => {
                if rxv {
                    s.typ = b;
                    s.sum = sum_next;
                    s.rs = rs::LEN0;
                }
            }
            rs::LEN0 => {
                if rxv {
                    s.len = (o.len & 0xff00) | b;
                    s.sum = sum_next;
                    s.rs = rs::LEN1;
                }
            }
            rs::LEN1 => {
                if rxv {
                    s.len = (o.len & 0xff) | (b << 8);
                    s.sum = sum_next;
                    s.bcnt = 0;
                    s.wcount = 0;
                    s.rs = if s.len == 0 { rs::CHK } else { rs::PAYLOAD };
                }
            }
            rs::PAYLOAD => {
                if rxv {
                    s.sum = sum_next;
                    s.word = (o.word >> 8) | (b << 48);
                    if o.bcnt % 8 == 7 && o.wcount < proto::MAX_WORDS as i128 {
                        s.wcount = o.wcount + 1;
                    }
                    s.bcnt = (o.bcnt + 1) & 0xffff;
                    if s.bcnt == o.len {
                        s.rs = rs::CHK;
                    }
                }
            }
            rs::CHK => {
                if rxv {
                    s.chk_ok = sum_next == 0;
                    s.rs = rs::DECIDE;
                }
            }
            rs::DECIDE => {
                let bad_type = o.typ != proto::DATA as i128 && o.typ != proto::DATA_LAST as i128;
                if !o.chk_ok || bad_type || !HostLink::len_ok(&o) {
                    s.reply_pending = true;
                    s.reply_typ = proto::NAK as i128;
                    s.reply_code = if !o.chk_ok {
                        proto::ERR_CHECKSUM
                    } else if bad_type {
                        proto::ERR_TYPE
                    } else {
                        proto::ERR_LENGTH
                    } as i128;
                    s.err_pulse = true;
                    s.rs = rs::SYNC;
                } else {
                    s.fwd = 0;
                    s.rs = rs::FREAD;
                }
            }
            rs::FREAD => s.rs = rs::FSEND,
            _ => {
                if self.s_ready.on() {
                    if o.fwd == (o.wcount - 1) & 0x7f {
                        s.reply_pending = true;
                        s.reply_typ = proto::ACK as i128;
                        s.ok_pulse = true;
                        s.rs = rs::SYNC;
                    } else {
                        s.fwd = o.fwd + 1;
                        s.rs = rs::FREAD;
                    }
                }
            }
        }
        if o.ts == 0 {
            if o.reply_pending {
                s.ts = 1;
                let nak = o.reply_typ == proto::NAK as i128;
                s.t_first = true;
                s.tleft = if nak { 5 } else { 4 };
                s.t_sh = proto::SYNC as u128
                    | (o.reply_typ as u128) << 8
                    | (nak as u128) << 16
                    | (o.reply_code as u128) << 32;
                s.t_neg = 0;
                s.reply_pending = false;
            } else if takes_out {
                let w = self.m_data.bits();
                let last = self.m_last.on();
                s.ts = 1;
                let typ = if last { proto::OUT_LAST } else { proto::OUT };
                s.t_first = true;
                s.tleft = 12;
                s.t_sh = proto::SYNC as u128 | (typ as u128) << 8 | 8 << 16 | (w as u128) << 32;
                s.t_neg = 0;
            }
        } else if self.tx_ready.on() {
            if !o.t_first && o.tleft != 0 {
                s.t_neg = (o.t_neg - (o.t_sh & 0xff) as i128) & 0xff;
            }
            s.t_first = false;
            s.t_sh = o.t_sh >> 8;
            if o.tleft == 0 {
                s.ts = 0;
            } else {
                s.tleft = o.tleft - 1;
            }
        }
    }
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
