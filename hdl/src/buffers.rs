//! On-chip buffers and the feeders that read them into the array edges.
//!
//! - `row_feeder` (one per row r): the K and V tiles of row r, double-buffered (two banks of
//!   max_e + max_f words), written from the input stream's lane r; it reads the word the
//!   controller's command asks for and hands x, op and the row-valid bit to PE (r, 0). Commands
//!   travel down the feeders one row per cycle, which makes the systolic skew.
//! - `col_feeder` (one per column c): Q of query c, double-buffered by query block (two banks of
//!   max_e words, so the next block's Q loads while this block runs), written from lane c; it
//!   hands q and the partial-sum seed (0 or -inf) to PE (0, c). Commands travel right one
//!   column per cycle.
//!
//! Sizes depend on max_e, max_f and the array only, never on the sequence lengths. Latency of
//! both: a command entering at cycle t reaches the array at t + 2 (a RAM read and an output
//! register, so that no block-RAM output drives a PE's multiplier directly), the column's
//! partial-sum seed at t + 4 (a PE reads it in its third stage), and the next feeder at t + 1.

use crate::config::{ubits, Config};
use crate::kit::{zext, Component, Sig};
use crate::leaf_ports;
use crate::pe::op;
use crate::ram::Ram;
use crate::schedule::XSrc;
use rust_hdl::core::prelude::*;

/// Encoding of the x source in commands.
pub fn src_code(x: XSrc) -> i128 {
    match x {
        XSrc::None => 0,
        XSrc::K => 1,
        XSrc::V => 2,
    }
}

/// Input words per vector of `n` values (one value per row or column).
pub fn chunks(cfg: &Config, n: usize) -> usize {
    n.div_ceil(cfg.derived().in_lanes)
}

/// Width of the chunk index (which word of a K/V or Q vector is on the bus).
pub fn chunk_bits(cfg: &Config) -> u32 {
    ubits((chunks(cfg, cfg.rows).max(chunks(cfg, cfg.cols)) - 1) as u128).max(1)
}

/// Widths shared by the feeders and the controller.
#[derive(Clone, Copy, Debug)]
pub struct FeedWidths {
    pub data: u32,
    pub idx: u32,
    pub nvalid: u32,
    pub kv_addr: u32,
    pub q_addr: u32,
    pub psum: u32,
    pub chunk: u32,
    pub max_e: usize,
    pub max_f: usize,
}

impl FeedWidths {
    pub fn new(cfg: &Config) -> FeedWidths {
        FeedWidths {
            data: cfg.data_bits,
            idx: ubits(cfg.max_e.max(cfg.max_f) as u128 - 1).max(1),
            nvalid: ubits(cfg.rows as u128),
            kv_addr: Ram::addr_bits(2 * (cfg.max_e + cfg.max_f)),
            q_addr: Ram::addr_bits(2 * cfg.max_e),
            psum: cfg.derived().psum_bits,
            chunk: chunk_bits(cfg),
            max_e: cfg.max_e,
            max_f: cfg.max_f,
        }
    }
    /// RAM address of K[e] (`v` false) or V[f] (`v` true) in `bank`.
    pub fn kv_addr(&self, bank: usize, v: bool, idx: usize) -> usize {
        bank * (self.max_e + self.max_f) + if v { self.max_e + idx } else { idx }
    }
}

#[derive(Default, Clone, Debug)]
struct RowState {
    op: i128,
    src: i128,
    vld: bool,
    x_o: i128,
    op_o: i128,
    vld_o: bool,
    c_op: i128,
    c_src: i128,
    c_idx: i128,
    c_bank: i128,
    c_nvalid: i128,
}

/// Feeder of one row: K/V banks and the command chain.
#[derive(LogicBlock)]
pub struct RowFeeder {
    pub clock: Sig,
    pub rst: Sig,
    pub row_idx: Sig,
    pub my_chunk: Sig,
    pub lane: Sig,
    pub we: Sig,
    pub chunk: Sig,
    pub waddr: Sig,
    pub c_op: Sig,
    pub c_src: Sig,
    pub c_idx: Sig,
    pub c_bank: Sig,
    pub c_nvalid: Sig,
    pub c_op_out: Sig,
    pub c_src_out: Sig,
    pub c_idx_out: Sig,
    pub c_bank_out: Sig,
    pub c_nvalid_out: Sig,
    pub x: Sig,
    pub op: Sig,
    pub vld: Sig,
    pub kv: Ram,
    _w: FeedWidths,
    _s: RowState,
}

impl RowFeeder {
    pub fn new(cfg: &Config) -> RowFeeder {
        let w = FeedWidths::new(cfg);
        RowFeeder {
            clock: Sig::input(1),
            rst: Sig::input(1),
            row_idx: Sig::input(w.nvalid),
            my_chunk: Sig::input(w.chunk),
            lane: Sig::input_s(w.data),
            we: Sig::input(1),
            chunk: Sig::input(w.chunk),
            waddr: Sig::input(w.kv_addr),
            c_op: Sig::input(op::BITS),
            c_src: Sig::input(2),
            c_idx: Sig::input(w.idx),
            c_bank: Sig::input(1),
            c_nvalid: Sig::input(w.nvalid),
            c_op_out: Sig::output(op::BITS),
            c_src_out: Sig::output(2),
            c_idx_out: Sig::output(w.idx),
            c_bank_out: Sig::output(1),
            c_nvalid_out: Sig::output(w.nvalid),
            x: Sig::output_s(w.data),
            op: Sig::output(op::BITS),
            vld: Sig::output(1),
            kv: Ram::new(w.data, 2 * (w.max_e + w.max_f), true),
            _w: w,
            _s: RowState::default(),
        }
    }
}

impl Logic for RowFeeder {
    fn update(&mut self) {
        let w = self._w;
        let s = &self._s;
        self.c_op_out.set(s.c_op);
        self.c_src_out.set(s.c_src);
        self.c_idx_out.set(s.c_idx);
        self.c_bank_out.set(s.c_bank);
        self.c_nvalid_out.set(s.c_nvalid);
        self.op.set(s.op_o);
        self.vld.set_bool(s.vld_o);
        self.x.set(s.x_o);
        let off = if self.c_src.get() == 2 {
            w.max_e as i128 + self.c_idx.get()
        } else {
            self.c_idx.get()
        };
        let base = if self.c_bank.on() {
            (w.max_e + w.max_f) as i128
        } else {
            0
        };
        self.kv.raddr.set(base + off);
        self.kv.clock.set(self.clock.get());
        self.kv
            .we
            .set_bool(self.we.on() && self.chunk.get() == self.my_chunk.get());
        self.kv.waddr.set(self.waddr.get());
        self.kv.wdata.set(self.lane.get());
    }
    fn connect(&mut self) {
        self.claim_outputs();
        self.kv.claim_inputs();
    }
    fn hdl(&self) -> Verilog {
        let w = self._w;
        let kab = w.kv_addr;
        let text = format!(
            r#"// @leaf row_feeder
reg [2:0] op_q;
reg [1:0] src_q;
reg vld_q;
wire [{kabm}:0] off = (c_src == 2'd2) ? {me} + {idx_a} : {idx_a};
always @(*) begin
    kv$clock = clock;
    kv$we = we && chunk == my_chunk;
    kv$waddr = waddr;
    kv$wdata = lane;
    kv$raddr = c_bank ? {kab}'d{bank1} + off : off;
end
always @(posedge clock) begin
    c_src_out <= c_src;
    c_idx_out <= c_idx;
    c_bank_out <= c_bank;
    c_nvalid_out <= c_nvalid;
    src_q <= c_src;
    vld_q <= row_idx < c_nvalid;
    x <= (src_q != 2'd0) ? kv$rdata : {db}'sd0;
    vld <= vld_q;
    if (rst) begin
        op_q <= 3'd0;
        op <= 3'd0;
        c_op_out <= 3'd0;
    end else begin
        op_q <= c_op;
        op <= op_q;
        c_op_out <= c_op;
    end
end
"#,
            kabm = kab - 1,
            kab = kab,
            me = format!("{kab}'d{}", w.max_e),
            idx_a = resize_u("c_idx", w.idx, kab),
            bank1 = w.max_e + w.max_f,
            db = w.data,
        );
        Verilog::Custom(text)
    }
}

/// Unsigned resize of an identifier (zero-extend or keep low bits).
fn resize_u(e: &str, from: u32, to: u32) -> String {
    if to >= from {
        zext(e, from, to)
    } else {
        format!("{e}[{}:0]", to - 1)
    }
}

impl Component for RowFeeder {
    fn kind(&self) -> String {
        "row_feeder".into()
    }
    leaf_ports!(
        clock,
        rst,
        row_idx,
        my_chunk,
        lane,
        we,
        chunk,
        waddr,
        c_op,
        c_src,
        c_idx,
        c_bank,
        c_nvalid,
        c_op_out,
        c_src_out,
        c_idx_out,
        c_bank_out,
        c_nvalid_out,
        x,
        op,
        vld
    );
    fn tick(&mut self) {
        let x_next = if self._s.src != 0 {
            self.kv.rdata.get()
        } else {
            0
        };
        self.kv.tick();
        let s = &mut self._s;
        s.x_o = x_next;
        s.vld_o = s.vld;
        s.c_src = self.c_src.get();
        s.c_idx = self.c_idx.get();
        s.c_bank = self.c_bank.get();
        s.c_nvalid = self.c_nvalid.get();
        s.src = self.c_src.get();
        s.vld = self.row_idx.get() < self.c_nvalid.get();
        if self.rst.on() {
            s.op = 0;
            s.op_o = 0;
            s.c_op = 0;
        } else {
            s.op_o = s.op;
            s.op = self.c_op.get();
            s.c_op = self.c_op.get();
        }
    }
}

#[derive(Default, Clone, Debug)]
struct ColState {
    q_en: bool,
    seed: bool,
    seed2: bool,
    seed3: bool,
    q_o: i128,
    ps_o: i128,
    c_q: bool,
    c_qbank: bool,
    c_idx: i128,
    c_seed: bool,
}

/// Feeder of one column: the Q buffer and the command chain.
#[derive(LogicBlock)]
pub struct ColFeeder {
    pub clock: Sig,
    pub my_chunk: Sig,
    pub lane: Sig,
    pub we: Sig,
    pub chunk: Sig,
    pub waddr: Sig,
    pub c_q: Sig,
    pub c_idx: Sig,
    pub c_seed: Sig,
    pub c_qbank: Sig,
    pub c_q_out: Sig,
    pub c_idx_out: Sig,
    pub c_seed_out: Sig,
    pub c_qbank_out: Sig,
    pub q: Sig,
    pub ps: Sig,
    pub qbuf: Ram,
    _w: FeedWidths,
    _s: ColState,
}

impl ColFeeder {
    pub fn new(cfg: &Config) -> ColFeeder {
        let w = FeedWidths::new(cfg);
        ColFeeder {
            clock: Sig::input(1),
            my_chunk: Sig::input(w.chunk),
            lane: Sig::input_s(w.data),
            we: Sig::input(1),
            chunk: Sig::input(w.chunk),
            waddr: Sig::input(w.q_addr),
            c_q: Sig::input(1),
            c_idx: Sig::input(w.idx),
            c_seed: Sig::input(1),
            c_qbank: Sig::input(1),
            c_q_out: Sig::output(1),
            c_idx_out: Sig::output(w.idx),
            c_seed_out: Sig::output(1),
            c_qbank_out: Sig::output(1),
            q: Sig::output_s(w.data),
            ps: Sig::output_s(w.psum),
            qbuf: Ram::new(w.data, 2 * w.max_e, true),
            _w: w,
            _s: ColState::default(),
        }
    }
}

impl Logic for ColFeeder {
    fn update(&mut self) {
        let w = self._w;
        let s = &self._s;
        self.c_q_out.set_bool(s.c_q);
        self.c_idx_out.set(s.c_idx);
        self.c_seed_out.set_bool(s.c_seed);
        self.c_qbank_out.set_bool(s.c_qbank);
        self.q.set(s.q_o);
        self.ps.set(s.ps_o);
        self.qbuf.clock.set(self.clock.get());
        self.qbuf
            .we
            .set_bool(self.we.on() && self.chunk.get() == self.my_chunk.get());
        self.qbuf.waddr.set(self.waddr.get());
        self.qbuf.wdata.set(self.lane.get());
        let base = if self.c_qbank.on() {
            w.max_e as i128
        } else {
            0
        };
        self.qbuf.raddr.set(base + self.c_idx.get());
    }
    fn connect(&mut self) {
        self.claim_outputs();
        self.qbuf.claim_inputs();
    }
    fn hdl(&self) -> Verilog {
        let w = self._w;
        let (raddr, waive) = if w.idx > w.q_addr {
            (format!("c_idx[{}:0]", w.q_addr - 1), true)
        } else {
            (zext("c_idx", w.idx, w.q_addr), false)
        };
        let mut text = String::from("// @leaf col_feeder\n");
        if waive {
            text.push_str("// Q indices stay below max_e; the index field is as wide as max_f's.\n/* verilator lint_off UNUSEDSIGNAL */\nwire unused_idx = |c_idx;\n/* verilator lint_on UNUSEDSIGNAL */\n");
        }
        text.push_str(&format!(
            r#"reg q_en;
reg seed;
reg seed2;
reg seed3;
always @(*) begin
    qbuf$clock = clock;
    qbuf$we = we && chunk == my_chunk;
    qbuf$waddr = waddr;
    qbuf$wdata = lane;
    qbuf$raddr = (c_qbank ? {qab}'d{me} : {qab}'d0) + {raddr};
end
always @(posedge clock) begin
    c_q_out <= c_q;
    c_idx_out <= c_idx;
    c_seed_out <= c_seed;
    c_qbank_out <= c_qbank;
    q_en <= c_q;
    seed <= c_seed;
    seed2 <= seed;
    seed3 <= seed2;
    q <= q_en ? qbuf$rdata : {db}'sd0;
    ps <= seed3 ? {neg} : {pb}'sd0;
end
"#,
            db = w.data,
            pb = w.psum,
            qab = w.q_addr,
            me = w.max_e,
            neg = format!("{{1'b1, {}'d0}}", w.psum - 1),
        ));
        Verilog::Custom(text)
    }
}

impl Component for ColFeeder {
    fn kind(&self) -> String {
        "col_feeder".into()
    }
    leaf_ports!(
        clock,
        my_chunk,
        lane,
        we,
        chunk,
        waddr,
        c_q,
        c_idx,
        c_seed,
        c_qbank,
        c_q_out,
        c_idx_out,
        c_seed_out,
        c_qbank_out,
        q,
        ps
    );
    fn tick(&mut self) {
        let q_next = if self._s.q_en {
            self.qbuf.rdata.get()
        } else {
            0
        };
        let psum = self._w.psum;
        self.qbuf.tick();
        let s = &mut self._s;
        s.q_o = q_next;
        s.ps_o = if s.seed3 { -(1i128 << (psum - 1)) } else { 0 };
        s.seed3 = s.seed2;
        s.seed2 = s.seed;
        s.c_q = self.c_q.on();
        s.c_idx = self.c_idx.get();
        s.c_seed = self.c_seed.on();
        s.c_qbank = self.c_qbank.on();
        s.q_en = self.c_q.on();
        s.seed = self.c_seed.on();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, io_ports, vectors};
    use rand::{Rng, SeedableRng};

    fn random_rows<T: Component>(uut: &T, n: usize, seed: u64) -> Vec<Vec<i128>> {
        let (ins, _) = io_ports(uut);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|c| {
                ins.iter()
                    .map(|&(i, name)| match name {
                        "rst" => (c < 2) as i128,
                        "c_src" => rng.gen_range(0..3),
                        "chunk" | "my_chunk" => rng.gen_range(0..2),
                        _ => vectors::random(&mut rng, uut.port(i).width(), uut.port(i).signed()),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn feeders_match_verilog() {
        for cfg in [
            Config::default(),
            Config {
                max_e: 16,
                max_f: 40,
                rows: 3,
                cols: 12,
                ..Config::default()
            },
        ] {
            check_verilog(&RowFeeder::new(&cfg)).unwrap();
            check_verilog(&ColFeeder::new(&cfg)).unwrap();
            let rows = random_rows(&RowFeeder::new(&cfg), 4000, 1);
            cosim(RowFeeder::new(&cfg), &rows).unwrap();
            let rows = random_rows(&ColFeeder::new(&cfg), 4000, 2);
            cosim(ColFeeder::new(&cfg), &rows).unwrap();
        }
    }
}
