//! `fifo`: synchronous FIFO with an AXI4-Stream-like output (the top level's output queue);
//! each entry is a data word and its `last` flag.
//! A word is written when `s_valid` is high and the FIFO is not full (`s_ready`); the head word
//! is on `m_data` whenever `m_valid` is high and leaves on `m_ready`. `free` counts empty
//! slots. `s_ready`, `m_valid` and `free` come from registers (one compare at most), so two
//! words of depth make a register slice between a stream's producer and its consumer.
//! `s_ready` is low during reset and for the cycle after it, so no word offered then is lost.
//! Latency: a word written at an edge is visible on the output after that edge.

use crate::config::ubits;
use crate::kit::{Component, Sig};
use crate::leaf_ports;
use rust_hdl::core::prelude::*;

/// A `width` x `depth` FIFO (depth a power of two).
#[derive(LogicBlock)]
pub struct Fifo {
    pub clock: Sig,
    pub rst: Sig,
    pub s_data: Sig,
    pub s_last: Sig,
    pub s_valid: Sig,
    pub s_ready: Sig,
    pub m_data: Sig,
    pub m_last: Sig,
    pub m_valid: Sig,
    pub m_ready: Sig,
    pub free: Sig,
    _mem: Vec<i128>,
    _w: usize,
    _r: usize,
    _depth: usize,
    _live: bool,
}

impl Fifo {
    pub fn new(width: u32, depth: usize) -> Fifo {
        assert!(depth.is_power_of_two() && depth >= 2);
        Fifo {
            clock: Sig::input(1),
            rst: Sig::input(1),
            s_data: Sig::input(width),
            s_last: Sig::input(1),
            s_valid: Sig::input(1),
            s_ready: Sig::output(1),
            m_data: Sig::output(width),
            m_last: Sig::output(1),
            m_valid: Sig::output(1),
            m_ready: Sig::input(1),
            free: Sig::output(ubits(depth as u128)),
            _mem: vec![0; depth],
            _w: 0,
            _r: 0,
            _depth: depth,
            _live: false,
        }
    }
    fn count(&self) -> usize {
        (self._w + 2 * self._depth - self._r) % (2 * self._depth)
    }
}

impl Logic for Fifo {
    fn update(&mut self) {
        let n = self.count();
        self.m_valid.set_bool(n > 0);
        self.s_ready.set_bool(self._live && n < self._depth);
        let head = self._mem[self._r % self._depth];
        self.m_data.set(head & ((1i128 << self.s_data.width()) - 1));
        self.m_last.set(head >> self.s_data.width());
        self.free.set((self._depth - n) as i128);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        let w = self.s_data.width();
        let ab = ubits(self._depth as u128 - 1);
        let fb = self.free.width();
        Verilog::Custom(format!(
            r#"// @leaf fifo
reg [{w}:0] mem [0:{dm}];
reg [{ab}:0] wp;
reg [{ab}:0] rp;
// the free count (depth - (wp - rp)) and the empty/full flags are kept in registers
reg [{fbm}:0] free_r;
reg nonempty;
reg notfull;
wire push = s_valid && notfull;
wire pop = m_ready && nonempty;
always @(*) begin
    m_valid = nonempty;
    s_ready = notfull;
    {{m_last, m_data}} = mem[rp[{abm}:0]];
    free = free_r;
end
always @(posedge clock) begin
    if (rst) begin
        wp <= {ab1}'d0;
        rp <= {ab1}'d0;
        free_r <= {depth_w}'d{depth};
        nonempty <= 1'b0;
        notfull <= 1'b0;
    end else begin
        if (push) begin
            mem[wp[{abm}:0]] <= {{s_last, s_data}};
            wp <= wp + {ab1}'d1;
        end
        if (pop) rp <= rp + {ab1}'d1;
        if (push && !pop) begin
            free_r <= free_r - {depth_w}'d1;
            nonempty <= 1'b1;
            notfull <= free_r != {depth_w}'d1;
        end else if (pop && !push) begin
            free_r <= free_r + {depth_w}'d1;
            nonempty <= free_r != {depth_w}'d{depthm1};
            notfull <= 1'b1;
        end else begin
            notfull <= free_r != {depth_w}'d0;
        end
    end
end
"#,
            w = w,
            dm = self._depth - 1,
            abm = ab - 1,
            ab1 = ab + 1,
            depth = self._depth,
            depth_w = fb,
            fbm = fb - 1,
            depthm1 = self._depth - 1,
        ))
    }
}

impl Component for Fifo {
    fn kind(&self) -> String {
        "fifo".into()
    }
    leaf_ports!(
        clock, rst, s_data, s_last, s_valid, s_ready, m_data, m_last, m_valid, m_ready, free
    );
    fn tick(&mut self) {
        if self.rst.on() {
            self._w = 0;
            self._r = 0;
            self._live = false;
            return;
        }
        let live = std::mem::replace(&mut self._live, true);
        let n = self.count();
        let (w0, r0) = (self._w, self._r);
        if live && self.s_valid.on() && n < self._depth {
            self._mem[w0 % self._depth] =
                self.s_data.get() | ((self.s_last.get() & 1) << self.s_data.width());
            self._w = (w0 + 1) % (2 * self._depth);
        }
        if self.m_ready.on() && n > 0 {
            self._r = (r0 + 1) % (2 * self._depth);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use rand::{Rng, SeedableRng};

    #[test]
    fn fifo_matches_verilog() {
        // the output queue's shape, and the two-word register slice of the input
        for (width, depth, seed) in [(65, 16, 4), (64, 2, 5)] {
            check_verilog(&Fifo::new(width, depth)).unwrap();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let rows: Vec<Vec<i128>> = (0..5000)
                .map(|c| {
                    vec![
                        (c < 2 || rng.gen_ratio(1, 1000)) as i128,
                        vectors::random(&mut rng, width, false),
                        rng.gen_bool(0.3) as i128,
                        rng.gen_bool(0.6) as i128,
                        rng.gen_bool(0.5) as i128,
                    ]
                })
                .collect();
            cosim(Fifo::new(width, depth), &rows).unwrap();
        }
    }
}
