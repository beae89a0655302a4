//! The host side of the board's UART protocol (`docs/host-protocol.md`): sends a job's input
//! words in checked frames (stop and wait, resending on NAK) and collects the engine's output
//! words. Works over anything that reads and writes bytes: a serial port, a pty, a socket.

use fusemax_hdl::host_link::proto;
use fusemax_hdl::stream::Word;
use std::io::{Read, Write};

/// A protocol client over a byte stream.
pub struct HostClient<T: Read + Write> {
    io: T,
    out: Vec<Word>,
    finished: bool,
    /// Frames the board rejected and we sent again.
    pub resends: usize,
}

/// How a frame read from the board ended.
enum Frame {
    Ack,
    Nak(u8),
    Out(Word),
}

impl<T: Read + Write> HostClient<T> {
    pub fn new(io: T) -> Self {
        HostClient {
            io,
            out: vec![],
            finished: false,
            resends: 0,
        }
    }

    fn byte(&mut self) -> Result<u8, String> {
        let mut b = [0u8; 1];
        loop {
            match self.io.read(&mut b) {
                Ok(1) => return Ok(b[0]),
                Ok(_) => return Err("the board link closed".into()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Err(
                    "timed out waiting for the board (is it programmed and the baud rate right?)"
                        .into(),
                ),
                Err(e) => return Err(format!("reading from the board: {e}")),
            }
        }
    }

    fn read_frame(&mut self) -> Result<Frame, String> {
        while self.byte()? != proto::SYNC {}
        let typ = self.byte()?;
        let l0 = self.byte()?;
        let l1 = self.byte()?;
        let len = l0 as usize | (l1 as usize) << 8;
        if len > 64 {
            return Err(format!("board frame of type {typ:#x} claims {len} bytes"));
        }
        let mut body = vec![typ, l0, l1];
        for _ in 0..len {
            body.push(self.byte()?);
        }
        let chk = self.byte()?;
        if proto::checksum(&body) != chk {
            return Err(format!("board frame of type {typ:#x} has a bad checksum"));
        }
        let payload = &body[3..];
        match typ {
            proto::ACK => Ok(Frame::Ack),
            proto::NAK if len == 1 => Ok(Frame::Nak(payload[0])),
            proto::OUT | proto::OUT_LAST if len == 8 => {
                let w = u64::from_le_bytes(payload.try_into().expect("8 bytes"));
                Ok(Frame::Out((w, typ == proto::OUT_LAST)))
            }
            _ => Err(format!(
                "unexpected board frame type {typ:#x} with {len} bytes"
            )),
        }
    }

    fn take_out(&mut self, f: Frame) -> Option<Frame> {
        match f {
            Frame::Out(w) => {
                self.out.push(w);
                if w.1 {
                    self.finished = true;
                }
                None
            }
            other => Some(other),
        }
    }

    /// Sends one job's input words and returns its output words (through the last trailer
    /// word). Frames carry up to 32 words; the job's `tlast` word ends a DATA_LAST frame.
    pub fn run_job(&mut self, words: &[Word]) -> Result<Vec<Word>, String> {
        self.out.clear();
        self.finished = false;
        let mut start = 0;
        while start < words.len() {
            let mut end = (start + proto::MAX_WORDS).min(words.len());
            if let Some(i) = words[start..end].iter().position(|w| w.1) {
                end = start + i + 1;
            }
            let chunk = &words[start..end];
            let typ = if chunk.last().is_some_and(|w| w.1) {
                proto::DATA_LAST
            } else {
                proto::DATA
            };
            let payload: Vec<u8> = chunk.iter().flat_map(|w| w.0.to_le_bytes()).collect();
            let frame = proto::frame(typ, &payload);
            let mut tries = 0;
            loop {
                self.io
                    .write_all(&frame)
                    .map_err(|e| format!("writing to the board: {e}"))?;
                self.io
                    .flush()
                    .map_err(|e| format!("writing to the board: {e}"))?;
                let answer = loop {
                    let f = self.read_frame()?;
                    if let Some(a) = self.take_out(f) {
                        break a;
                    }
                };
                match answer {
                    Frame::Ack => break,
                    Frame::Nak(code) => {
                        tries += 1;
                        self.resends += 1;
                        if tries > 5 {
                            return Err(format!(
                                "the board rejected a frame 5 times (code {code})"
                            ));
                        }
                    }
                    Frame::Out(_) => unreachable!(),
                }
            }
            start = end;
        }
        while !self.finished {
            let f = self.read_frame()?;
            if self.take_out(f).is_some() {
                return Err("an answer came with no frame outstanding".into());
            }
        }
        Ok(std::mem::take(&mut self.out))
    }

    /// The underlying stream.
    pub fn into_inner(self) -> T {
        self.io
    }
}
