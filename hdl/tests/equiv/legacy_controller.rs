//! The controller's Verilog as it was before its port (issue 12): `controller.rs` at dba8811,
//! its constants, widths and `verilog()` copied verbatim (the model dropped), `self.<port>.width()`
//! replaced by the widths the ports had. The oracle of `controller_is_equivalent`.

use super::legacy::Legacy;
use fusemax_hdl::buffers::{chunk_bits, chunks, src_code, FeedWidths};
use fusemax_hdl::config::{ubits, Config};
use fusemax_hdl::kit::{zext, Sig};
use fusemax_hdl::lanes::Select;
use fusemax_hdl::pe::op;
use fusemax_hdl::ram::Ram;
use fusemax_hdl::schedule::{Seed, TilePlan};
use fusemax_hdl::softmax_unit::f_bits;
use fusemax_hdl::stream::{
    status, BLOCKS_BITS, COUNTER_BITS, HEADER_WORDS, MAGIC_IN, MAGIC_TRAILER, TRAILER_WORDS,
};

mod ls {
    pub const HDR: u32 = 0;
    pub const Q: u32 = 1;
    pub const K: u32 = 2;
    pub const V: u32 = 3;
    pub const DRAIN: u32 = 4;
    pub const WAITEND: u32 = 5;
    pub const CHECK: u32 = 6;
}

mod is {
    pub const IDLE: u32 = 0;
    pub const WAIT: u32 = 1;
    pub const RUN: u32 = 2;
    pub const HANDOFF: u32 = 3;
    pub const LASTDIV: u32 = 4;
    pub const TRAIL: u32 = 7;
}

mod ds {
    pub const IDLE: u32 = 0;
    pub const FLUSH: u32 = 1;
    pub const SPACE: u32 = 2;
    pub const WAIT: u32 = 3;
    pub const PUSH: u32 = 4;
    pub const START: u32 = 5;
}

/// Constants and widths of a controller.
#[derive(Clone, Debug)]
struct K {
    ab: u32,
    ffb: u32,
    rows: usize,
    cols: usize,
    kch: usize,
    qch: usize,
    och: usize,
    max_q: usize,
    max_kv: usize,
    max_e: usize,
    max_f: usize,
    pw: u32,
    mw: u32,
    ew: u32,
    fw: u32,
    tw: u32,
    cw: u32,
    ochw: u32,
    /// width of the count of valid queries in a block (0 ..= C)
    nvw: u32,
    /// width of the count of query blocks returned
    bkw: u32,
    mant: u32,
    shb: u32,
    rel: usize,
    flush: usize,
    fw_: FeedWidths,
    plan: TilePlan,
}

/// The old controller of `cfg` with a `fifo_free_bits`-bit free count.
pub fn controller(cfg: &Config, fifo_free_bits: u32) -> Legacy {
    let d = cfg.derived();
    let plan = TilePlan::new(cfg);
    let fw_ = FeedWidths::new(cfg);
    let max_period = plan.period(cfg.max_e, cfg.max_f);
    let och = cfg.cols.div_ceil(d.out_lanes);
    let k = K {
        ab: Ram::addr_bits(cfg.max_f),
        ffb: fifo_free_bits,
        rows: cfg.rows,
        cols: cfg.cols,
        kch: chunks(cfg, cfg.rows),
        qch: chunks(cfg, cfg.cols),
        och,
        max_q: cfg.max_seq_q,
        max_kv: cfg.max_seq_kv,
        max_e: cfg.max_e,
        max_f: cfg.max_f,
        pw: ubits(cfg.max_seq_q as u128 + cfg.cols as u128),
        mw: ubits(cfg.max_seq_kv as u128 + cfg.rows as u128),
        ew: ubits(cfg.max_e as u128),
        fw: f_bits(cfg),
        tw: ubits(max_period as u128),
        cw: chunk_bits(cfg),
        ochw: ubits((och.max(2) - 1) as u128),
        nvw: Select::nvalid_bits(cfg.cols),
        bkw: ubits(cfg.max_seq_q.div_ceil(cfg.cols) as u128),
        mant: d.scale_mant_bits,
        shb: d.scale_shift_bits,
        // a bank is released when the last feeder has read it: the command register (1)
        // and the skew of the command chains (max(R, C)), plus one
        rel: cfg.rows.max(cfg.cols) + 2,
        // from a tile's last command to the 1D units' last write: the command register
        // (1), feeders (2), PE stages (3), the row and column skews (R + C), the rescale
        // pipeline (5), and margin
        flush: cfg.rows + cfg.cols + 14,
        fw_,
        plan,
    };
    let w = 64;
    let text = verilog(&k);

    let ports = vec![
        ("clock", Sig::input(1)),
        ("rst", Sig::input(1)),
        ("s_data", Sig::input(w)),
        ("s_valid", Sig::input(1)),
        ("s_last", Sig::input(1)),
        ("s_ready", Sig::output(1)),
        ("scale", Sig::output(k.mant + k.shb)),
        ("q_we", Sig::output(1)),
        ("q_waddr", Sig::output(fw_.q_addr)),
        ("kv_we", Sig::output(1)),
        ("kv_waddr", Sig::output(fw_.kv_addr)),
        ("chunk", Sig::output(k.cw)),
        ("r_op", Sig::output(op::BITS)),
        ("r_src", Sig::output(2)),
        ("r_idx", Sig::output(fw_.idx)),
        ("r_bank", Sig::output(1)),
        ("r_nvalid", Sig::output(fw_.nvalid)),
        ("c_q", Sig::output(1)),
        ("c_idx", Sig::output(fw_.idx)),
        ("c_seed", Sig::output(1)),
        ("c_qbank", Sig::output(1)),
        ("blk_start", Sig::output(1)),
        ("div_start", Sig::output(1)),
        ("div_f", Sig::output(Ram::addr_bits(cfg.max_f))),
        ("div_bank", Sig::output(1)),
        ("av_valid", Sig::input(1)),
        ("sel", Sig::output(k.ochw)),
        ("av_nv", Sig::output(k.nvw)),
        ("av_word", Sig::input(w)),
        ("o_data", Sig::output(w)),
        ("o_last", Sig::output(1)),
        ("o_valid", Sig::output(1)),
        ("fifo_free", Sig::input(fifo_free_bits)),
        ("fifo_ready", Sig::input(1)),
        ("status", Sig::output(8)),
        ("busy", Sig::output(1)),
        ("perf_cycles", Sig::output(COUNTER_BITS)),
        ("perf_busy_2d", Sig::output(COUNTER_BITS)),
        ("perf_busy_1d", Sig::output(COUNTER_BITS)),
        ("perf_stall_in", Sig::output(COUNTER_BITS)),
        ("perf_stall_out", Sig::output(COUNTER_BITS)),
    ];
    Legacy::new("controller", ports, text)
}

fn verilog(k: &K) -> String {
    let fw = &k.fw_;
    let plan = &k.plan;
    // The phase sequencer: the phase `ph`, the time `tt` within it, the cycles `left` after
    // this one; each phase's length - 1 (and whether it is 0) is registered from E and F.
    let mut phase_regs = String::new();
    let mut phase_set = String::new();
    let mut issue = String::new();
    let mut ph_next = String::new();
    let tw = k.tw;
    let np = plan.phases.len();
    let phb = ubits(np as u128 - 1).max(1);
    for (n, p) in plan.phases.iter().enumerate() {
        phase_regs.push_str(&format!(
            "reg [{}:0] ph{n}_lm1; // {}: length - 1\nreg ph{n}_one; // {0} lasts one cycle\n",
            tw - 1,
            p.name
        ));
        let lm1 = affine_expr(p.len.e, p.len.f, p.len.c - 1, tw, k);
        phase_set.push_str(&format!(
            "            ph{n}_lm1 <= {lm1};\n            ph{n}_one <= {lm1} == {tw}'d0;\n"
        ));
        let opc = if p.op == op::MAC {
            format!("ph_first ? 3'd{} : 3'd{}", op::MAC0, op::MAC)
        } else {
            format!("3'd{}", p.op)
        };
        issue.push_str(&format!(
                "        {phb}'d{n}: begin // {name}\n            i_op = {opc};\n            i_src = 2'd{src};\n            i_idx = tt;\n            i_q = 1'b{q};\n            i_seed = 1'b{seed};\n        end\n",
                name = p.name,
                src = src_code(p.x),
                q = p.q as u8,
                seed = (p.seed == Seed::NegInf) as u8,
            ));
        if n + 1 < np {
            ph_next.push_str(&format!(
                    "                        {phb}'d{n}: begin\n                            ph <= {phb}'d{m};\n                            left <= ph{m}_lm1;\n                            ph_last <= ph{m}_one;\n                        end\n",
                    m = n + 1
                ));
        }
    }
    let busy2 = {
        // busy_2d = sum of busy phase lengths + exp cycles, affine in E and F
        let mut a = (0i64, 0i64, plan.exp_cycles as i64);
        for p in plan.phases.iter().filter(|p| p.busy_2d) {
            a.0 += p.len.e;
            a.1 += p.len.f;
            a.2 += p.len.c;
        }
        affine_expr(a.0, a.1, a.2, COUNTER_BITS, k)
    };
    let b1 = plan.busy_1d_affine();
    let busy1 = affine_expr(b1.e, b1.f, b1.c, tw, k);
    let cb = COUNTER_BITS;
    let ab = k.ab;
    let ffb = k.ffb;
    format!(
        r#"// @leaf controller
localparam [3:0] L_HDR = 4'd{l_hdr}, L_Q = 4'd{l_q}, L_K = 4'd{l_k}, L_V = 4'd{l_v}, L_DRAIN = 4'd{l_drain}, L_WAITEND = 4'd{l_waitend}, L_CHECK = 4'd{l_check};
localparam [3:0] I_IDLE = 4'd{i_idle}, I_WAIT = 4'd{i_wait}, I_RUN = 4'd{i_run}, I_HANDOFF = 4'd{i_handoff}, I_LASTDIV = 4'd{i_lastdiv}, I_TRAIL = 4'd{i_trail};
localparam [2:0] D_IDLE = 3'd{d_idle}, D_FLUSH = 3'd{d_flush}, D_SPACE = 3'd{d_space}, D_WAIT = 3'd{d_wait}, D_PUSH = 3'd{d_push}, D_START = 3'd{d_start};
(* fsm_encoding = "none" *) reg [3:0] lst; // kept binary: its next state is written as a choice made last by accept
reg [3:0] ist;
reg active;
reg trail_done;
reg [7:0] st;
reg [2:0] hdr_i;
reg [{pwm}:0] p_len;
reg [{mwm}:0] m_len;
reg [{ewm}:0] e_len;
reg [{mantm}:0] sc_mant;
reg [{shbm}:0] sc_shift;
reg shape_ok;
reg magic_ok;
reg mant_ok;
reg scale_ok;
reg [63:0] hq;
reg hq_v;
reg [2:0] hq_i;
reg hq_last;
reg ld_last_tile;
reg ld_last_blk;
reg [{idxm}:0] ld_idx;
reg [{idxm}:0] e_last;
reg [{idxm}:0] f_last;
reg at_e_last; // ld_idx == e_last
reg at_f_last; // ld_idx == f_last
reg [{cwm}:0] ld_chunk;
reg ld_bank;
reg [{mwm}:0] ld_m0;
reg [{pwm}:0] ld_p0;
reg [1:0] bank_full;
reg [1:0] q_full;
reg ld_qbank;
reg is_qbank;
reg rel_qbank;
reg is_bank;
reg [{mwm}:0] is_m0;
reg [{pwm}:0] is_p0;
reg blk_bank;
reg [2:0] dst;
reg [7:0] dfl;
reg dbank;
reg [{fwm}:0] f_len;
reg [{fwm}:0] f_lm1; // f_len - 1, registered with it (the divisions' last f)
reg [{abm}:0] dvf;
reg [{ochm}:0] j;
reg [2:0] tk;
reg [7:0] rel_bank_cnt;
reg rel_bank;
reg [7:0] rel_q_cnt;
reg [{cbm}:0] c_cycles, c_busy2d, c_busy1d, c_stall_in, c_stall_out;
reg cy_cycles, cy_busy1d, cy_stall_in, cy_stall_out; // the counter's low half is all ones
reg err_q;
reg [7:0] err_code_q;
reg clr_q;
reg abort; // an error was seen: finish the blocks whose input was complete, then the trailer
reg [{nvm}:0] dnv; // valid queries (lanes) of the block being divided
reg [{bkm}:0] blocks_out; // query blocks whose AV words went out
reg cnt_on; // the counters run (first header word .. trailer start)
reg [{twm}:0] win1d; // cycles left of the last tile's 1D work
reg busy1d_q; // the 1D array worked in the last cycle
{phase_regs}reg [{phbm}:0] ph; // the tile's phase
reg [{idxm}:0] tt; // time within the phase (its low bits: it indexes K, V or Q)
reg [{twm}:0] left; // cycles of the phase after this one
reg ph_first; // tt == 0
reg ph_last; // left == 0
reg is_last_tile; // is_m0 + R >= M (registered; is_m0 changes a tile before it is used)
reg is_last_blk; // is_p0 + C >= P (likewise)
reg [{cbm}:0] tile_busy2d;
reg [{twm}:0] tile_busy1d; // a tile's 1D work in cycles
wire ready_to_run = q_full[is_qbank] && bank_full[is_bank];
wire accept = s_ready && s_valid;
wire vec_end = {ld_chunk_ext} == ((lst == L_Q) ? 8'd{qchm} : 8'd{kchm});
wire seg_end = vec_end && ((lst == L_V) ? at_f_last : at_e_last);
wire [{idxm}:0] ld_idx_inc = ld_idx + {idx}'d1;
wire [{mwm}:0] ld_m0_next = ld_m0 + {mw}'d{rows};
wire [{pwm}:0] ld_p0_next = ld_p0 + {pw}'d{cols};
wire ld_final = lst == L_V && seg_end && ld_last_tile && ld_last_blk;
// the loader's next state if a word is accepted this cycle (from registers only, so that
// accept selects it at the end)
reg [3:0] lst_acc;
always @(*) begin
    case (lst)
        L_HDR: lst_acc = (hdr_i == 3'd{hlast} || s_last) ? L_CHECK : L_HDR;
        L_Q, L_K, L_V: begin
            if (ld_final && !s_last) lst_acc = L_DRAIN;
            else if (!ld_final && s_last) lst_acc = L_WAITEND;
            else if (!seg_end) lst_acc = lst;
            else if (lst == L_Q) lst_acc = L_K;
            else if (lst == L_K) lst_acc = L_V;
            else if (!ld_last_tile) lst_acc = L_K;
            else lst_acc = ld_last_blk ? L_WAITEND : L_Q;
        end
        L_DRAIN: lst_acc = s_last ? L_WAITEND : L_DRAIN;
        default: lst_acc = lst;
    endcase
end
wire [{mwm}:0] is_m0_next = is_m0 + {mw}'d{rows};
wire [{pwm}:0] is_p0_next = is_p0 + {pw}'d{cols};
wire [{mwm}:0] m_left = m_len - is_m0;
wire [{pwm}:0] p_left = p_len - is_p0;
wire to_trail = (ist == I_LASTDIV && dst == D_IDLE) || (err_q && ist == I_IDLE);
wire blk_go = ist == I_RUN && ph == {phb}'d0 && ph_first && is_m0 == {mw}'d0;
wire tile_end = ist == I_RUN && ph == {phb}'d{phlast} && ph_last; // the last cycle of a running tile
// the issue of tile time t (registered onto the command outputs)
reg [2:0] i_op;
reg [1:0] i_src;
reg [{idxm}:0] i_idx;
reg i_q;
reg i_seed;
always @(*) begin
    scale = {{sc_mant, sc_shift}};
    case (lst)
        L_HDR: s_ready = 1'b1;
        L_Q: s_ready = !q_full[ld_qbank];
        L_K, L_V: s_ready = !bank_full[ld_bank];
        L_DRAIN: s_ready = 1'b1;
        default: s_ready = 1'b0;
    endcase
    q_we = accept && lst == L_Q;
    q_waddr = (ld_qbank ? {qab}'d{max_e} : {qab}'d0) + {q_waddr};
    kv_we = accept && (lst == L_K || lst == L_V);
    kv_waddr = (ld_bank ? {kab}'d{bank1} : {kab}'d0) + ((lst == L_V) ? {kab}'d{max_e} : {kab}'d0) + {ld_idx_kv};
    chunk = ld_chunk;
    i_op = 3'd0;
    i_src = 2'd0;
    i_idx = {idx}'d0;
    i_q = 1'b0;
    i_seed = 1'b0;
    if (ist == I_RUN) case (ph)
{issue}        default: ;
    endcase
    div_start = dst == D_START;
    div_f = dvf;
    div_bank = dbank;
    sel = j;
    av_nv = dnv;
    case (tk)
        3'd0: o_data = {{32'h{magic_tr:x}, {blocks_ext}, st}};
        3'd1: o_data = {c_cycles_ext};
        3'd2: o_data = {c_busy2d_ext};
        3'd3: o_data = {c_busy1d_ext};
        3'd4: o_data = {c_stall_in_ext};
        default: o_data = {c_stall_out_ext};
    endcase
    if (ist != I_TRAIL) o_data = av_word;
    o_last = ist == I_TRAIL && tk == 3'd{tlast};
    o_valid = dst == D_PUSH || (ist == I_TRAIL && fifo_ready);
    status = st;
    busy = active;
    perf_cycles = c_cycles;
    perf_busy_2d = c_busy2d;
    perf_busy_1d = c_busy1d;
    perf_stall_in = c_stall_in;
    perf_stall_out = c_stall_out;
end
always @(posedge clock) begin
    if (rst) begin
        lst <= L_HDR;
        ist <= I_IDLE;
        active <= 1'b0;
        trail_done <= 1'b0;
        st <= 8'd0;
        hdr_i <= 3'd0;
        p_len <= {pw}'d0;
        m_len <= {mw}'d0;
        e_len <= {ew}'d0;
        f_len <= {fwb}'d0;
        f_lm1 <= ~{fwb}'d0; // 0 - 1, as f_len - 1 is after reset
        sc_mant <= {mant}'d0;
        sc_shift <= {shb}'d0;
        shape_ok <= 1'b0;
        magic_ok <= 1'b0;
        ld_idx <= {idx}'d0;
        ld_chunk <= {cw}'d0;
        ld_bank <= 1'b0;
        ld_m0 <= {mw}'d0;
        ld_p0 <= {pw}'d0;
        bank_full <= 2'd0;
        q_full <= 2'd0;
        ld_qbank <= 1'b0;
        is_qbank <= 1'b0;
        rel_qbank <= 1'b0;
        ph <= {phb}'d0;
        tt <= {idx}'d0;
        left <= {tw}'d0;
        ph_first <= 1'b0;
        ph_last <= 1'b0;
        is_bank <= 1'b0;
        is_m0 <= {mw}'d0;
        is_p0 <= {pw}'d0;
        blk_bank <= 1'b1;
        dst <= D_IDLE;
        dfl <= 8'd0;
        dbank <= 1'b0;
        dvf <= {ab}'d0;
        j <= {ochw}'d0;
        tk <= 3'd0;
        rel_bank_cnt <= 8'd0;
        rel_bank <= 1'b0;
        rel_q_cnt <= 8'd0;
        c_cycles <= {cb}'d0;
        c_busy2d <= {cb}'d0;
        c_busy1d <= {cb}'d0;
        cy_cycles <= 1'b0;
        cy_busy1d <= 1'b0;
        cy_stall_in <= 1'b0;
        cy_stall_out <= 1'b0;
        c_stall_in <= {cb}'d0;
        c_stall_out <= {cb}'d0;
        clr_q <= 1'b0;
        abort <= 1'b0;
        dnv <= {nvw}'d0;
        blocks_out <= {bkw}'d0;
        cnt_on <= 1'b0;
        win1d <= {tw}'d0;
        busy1d_q <= 1'b0;
        err_q <= 1'b0;
        err_code_q <= 8'd0;
        r_op <= 3'd0;
        r_src <= 2'd0;
        r_idx <= {idx}'d0;
        c_idx <= {idx}'d0;
        c_q <= 1'b0;
        c_seed <= 1'b0;
        r_bank <= 1'b0;
        r_nvalid <= {nvb}'d0;
        c_qbank <= 1'b0;
        blk_start <= 1'b0;
    end else begin
        // counters. A tile's 1D work (its tally from the plan) is a window of cycles after its
        // end; a cycle counts once whether the units do a tile's work, a division or both.
        win1d <= tile_end ? tile_busy1d : (win1d != {tw}'d0 ? win1d - {tw}'d1 : {tw}'d0);
        busy1d_q <= win1d != {tw}'d0 || dst == D_WAIT;
        if (cnt_on) begin
            // each +1 counter steps in two halves, the high one when the low one is all ones
            // (a flag kept beside it): the value is exact every cycle, the carry chain halved
{count_cycles}{count_stall_in}{count_stall_out}{count_busy1d}
            if (tile_end) c_busy2d <= c_busy2d + tile_busy2d;
        end
        // a job's registers start fresh a cycle after its first header word
        clr_q <= accept && lst == L_HDR && hdr_i == 3'd0;
        if (clr_q) begin
            st <= 8'd0;
            abort <= 1'b0;
            blocks_out <= {bkw}'d0;
            cnt_on <= 1'b1;
            c_cycles <= {cb}'d2; // the cycle of the first header word and this one
            c_busy2d <= {cb}'d0;
            c_busy1d <= {cb}'d0;
            cy_cycles <= 1'b0;
            cy_busy1d <= 1'b0;
            cy_stall_in <= 1'b0;
            cy_stall_out <= 1'b0;
            c_stall_in <= {cb}'d0;
            c_stall_out <= {cb}'d0;
            trail_done <= 1'b0;
        end
        // delayed buffer releases
        if (rel_bank_cnt != 8'd0) begin
            rel_bank_cnt <= rel_bank_cnt - 8'd1;
            if (rel_bank_cnt == 8'd1) bank_full[rel_bank] <= 1'b0;
        end
        if (rel_q_cnt != 8'd0) begin
            rel_q_cnt <= rel_q_cnt - 8'd1;
            if (rel_q_cnt == 8'd1) q_full[rel_qbank] <= 1'b0;
        end
        // loader
        if (accept) begin
            case (lst)
                L_HDR: begin
                    if (hdr_i == 3'd{hlast} || s_last) begin
                        hdr_i <= 3'd0;
                        active <= 1'b1;
                    end else hdr_i <= hdr_i + 3'd1;
                end
                L_Q, L_K, L_V: begin
                    ld_chunk <= vec_end ? {cw}'d0 : ld_chunk + {cw}'d1;
                    if (vec_end) begin
                        ld_idx <= seg_end ? {idx}'d0 : ld_idx_inc;
                        at_e_last <= seg_end ? e_last == {idx}'d0 : ld_idx_inc == e_last;
                        at_f_last <= seg_end ? f_last == {idx}'d0 : ld_idx_inc == f_last;
                    end
                    if (seg_end) begin
                        case (lst)
                            L_Q: begin
                                q_full[ld_qbank] <= 1'b1;
                                ld_qbank <= !ld_qbank;
                            end
                            L_K: ;
                            default: begin
                                bank_full[ld_bank] <= 1'b1;
                                ld_bank <= !ld_bank;
                                if (ld_last_tile) begin
                                    ld_m0 <= {mw}'d0;
                                    ld_p0 <= ld_p0_next;
                                end else begin
                                    ld_m0 <= ld_m0_next;
                                end
                            end
                        endcase
                    end
                end
                default: ;
            endcase
            lst <= lst_acc;
        end
        ld_last_tile <= ld_m0_next >= m_len;
        is_last_tile <= is_m0_next >= m_len;
        is_last_blk <= is_p0_next >= p_len;
        ld_last_blk <= ld_p0_next >= p_len;
        // header words, decoded a cycle after they are accepted (values above a field's
        // width are out of range: the high bits must be zero)
        hq_v <= accept && lst == L_HDR;
        if (accept && lst == L_HDR) begin
            hq <= s_data;
            hq_i <= hdr_i;
            hq_last <= s_last;
        end
        if (hq_v) begin
            case (hq_i)
                3'd0: magic_ok <= hq == 64'h{magic_in:x};
                3'd1: begin
                    p_len <= hq[{pwm}:0];
                    shape_ok <= {q_ok};
                end
                3'd2: begin
                    m_len <= hq[{mwm}:0];
                    shape_ok <= shape_ok && {kv_ok};
                end
                3'd3: begin
                    e_len <= hq[{ewm}:0];
                    shape_ok <= shape_ok && {e_ok};
                end
                3'd4: begin
                    f_len <= hq[{fwm}:0];
                    f_lm1 <= hq[{fwm}:0] - {fwb}'d1;
                    shape_ok <= shape_ok && {f_ok};
                end
                3'd5: begin
                    sc_mant <= hq[{mantm}:0];
                    mant_ok <= hq[63:{mantm}] == {mhi}'d1;
                end
                default: begin
                    sc_shift <= hq[{shbm}:0];
                    scale_ok <= mant_ok && hq[63:{shb}] == {shi}'d0;
                end
            endcase
        end
        if (lst == L_CHECK && !hq_v) begin
            if (err) lst <= hq_last ? L_WAITEND : L_DRAIN;
            else begin
                lst <= L_Q;
                e_last <= {e_idx} - {idx}'d1;
                f_last <= {f_idx} - {idx}'d1;
                ld_idx <= {idx}'d0;
                at_e_last <= {e_idx} == {idx}'d1;
                at_f_last <= {f_idx} == {idx}'d1;
                ld_chunk <= {cw}'d0;
                ld_bank <= 1'b0;
                ld_m0 <= {mw}'d0;
                ld_p0 <= {pw}'d0;
                ld_qbank <= 1'b0;
                is_qbank <= 1'b0;
                ist <= I_WAIT;
                is_bank <= 1'b0;
                is_m0 <= {mw}'d0;
                is_p0 <= {pw}'d0;
            end
        end
        if (lst == L_WAITEND && trail_done) begin
            lst <= L_HDR;
            trail_done <= 1'b0;
        end
        // issuer
        case (ist)
            I_WAIT: begin
                // the phase sequencer stands at the tile's start while waiting (it is read only
                // while running), so its loads wait for neither the error compare nor the banks
                ph <= {phb}'d0;
                tt <= {idx}'d0;
                left <= ph0_lm1;
                ph_first <= 1'b1;
                ph_last <= ph0_one;
                // after an error, the block whose input is incomplete is not run
                if (abort && is_p0 == ld_p0) ist <= I_LASTDIV;
                else if (ready_to_run) ist <= I_RUN;
            end
            I_RUN: begin
                if (tile_end) begin
                    rel_bank <= is_bank;
                    rel_bank_cnt <= 8'd{rel};
                    is_bank <= !is_bank;
                    if (is_last_tile) begin
                        rel_q_cnt <= 8'd{rel};
                        rel_qbank <= is_qbank;
                        is_qbank <= !is_qbank;
                        ist <= I_HANDOFF;
                    end else begin
                        is_m0 <= is_m0_next;
                        ist <= I_WAIT;
                    end
                end else if (ph_last) begin
                    case (ph)
{ph_next}                        default: ;
                    endcase
                    tt <= {idx}'d0;
                    ph_first <= 1'b1;
                end else begin
                    tt <= tt + {idx}'d1;
                    left <= left - {tw}'d1;
                    ph_first <= 1'b0;
                    ph_last <= left == {tw}'d1;
                end
            end
            I_HANDOFF: if (dst == D_IDLE) begin
                dst <= D_FLUSH;
                dfl <= 8'd0;
                dbank <= blk_bank;
                dnv <= (p_left >= {pw}'d{cols}) ? {nvw}'d{cols} : p_left[{nvm}:0];
                dvf <= {ab}'d0;
                is_m0 <= {mw}'d0;
                is_p0 <= is_p0_next;
                ist <= is_last_blk ? I_LASTDIV : I_WAIT;
            end
            I_LASTDIV: if (dst == D_IDLE) begin
                ist <= I_TRAIL;
                tk <= 3'd0;
            end
            I_TRAIL: if (o_valid) begin
                if (tk == 3'd{tlast}) begin
                    ist <= I_IDLE;
                    active <= 1'b0;
                    trail_done <= 1'b1;
                end else tk <= tk + 3'd1;
            end
            default: ;
        endcase
        if (blk_go) blk_bank <= !blk_bank;
        // commands to the feeders, a cycle after their tile time
        r_op <= i_op;
        r_src <= i_src;
        r_idx <= i_idx;
        c_idx <= i_idx;
        c_q <= i_q;
        c_seed <= i_seed;
        r_bank <= is_bank;
        r_nvalid <= (m_left >= {mw}'d{rows}) ? {nvb}'d{rows} : m_left[{nvbm}:0];
        c_qbank <= is_qbank;
        blk_start <= blk_go;
        // divider sequencer
        case (dst)
            D_FLUSH: if (dfl == 8'd{flush}) dst <= D_SPACE;
                else dfl <= dfl + 8'd1;
            D_SPACE: if (fifo_free >= {ffb}'d{och}) dst <= D_START;
            D_START: dst <= D_WAIT;
            D_WAIT: if (av_valid) begin
                dst <= D_PUSH;
                j <= {ochw}'d0;
            end
            D_PUSH: begin
                if (j == {ochw}'d{ochlast}) begin
                    j <= {ochw}'d0;
                    if ({dvf_ext} == f_lm1) begin
                        dst <= D_IDLE;
                        blocks_out <= blocks_out + {bkw}'d1;
                    end else begin
                        dvf <= dvf + {ab}'d1;
                        dst <= D_SPACE;
                    end
                end else j <= j + {ochw}'d1;
            end
            default: ;
        endcase
        // An error is acted on a cycle after it is seen: the status is set and the job
        // aborts. A header error has started nothing: the trailer goes at once. An error in
        // the data lets the issuer finish the query blocks whose input was complete (I_WAIT).
        err_q <= err;
        err_code_q <= err_code;
        if (err_q) begin
            st <= err_code_q;
            abort <= 1'b1;
            if (ist == I_IDLE) begin
                ist <= I_TRAIL;
                tk <= 3'd0;
            end
        end
        // the trailer starts: the counters stop, and the buffers of an aborted job are freed
        if (to_trail) begin
            cnt_on <= 1'b0;
            bank_full <= 2'd0;
            q_full <= 2'd0;
            rel_bank_cnt <= 8'd0;
            rel_q_cnt <= 8'd0;
        end
        // phase table of the tile, from E and F
        if (lst == L_Q) begin
{phase_set}            tile_busy2d <= {busy2};
            tile_busy1d <= {busy1};
        end
    end
end
// error detection (combinational, acted on at the edge)
reg err;
reg [7:0] err_code;
always @(*) begin
    err = 1'b0;
    err_code = 8'd0;
    if (lst == L_CHECK && !hq_v) begin
        if (hq_i != 3'd{hlast}) begin err = 1'b1; err_code = 8'd{early_end}; end
        else if (!magic_ok) begin err = 1'b1; err_code = 8'd{bad_magic}; end
        else if (!shape_ok) begin err = 1'b1; err_code = 8'd{bad_shape}; end
        else if (!scale_ok) begin err = 1'b1; err_code = 8'd{bad_scale}; end
        else if (hq_last) begin err = 1'b1; err_code = 8'd{early_end}; end
    end else if (accept && (lst == L_Q || lst == L_K || lst == L_V)) begin
        if (ld_final && !s_last) begin err = 1'b1; err_code = 8'd{missing_last}; end
        else if (!ld_final && s_last) begin err = 1'b1; err_code = 8'd{early_end}; end
    end
end
"#,
        l_hdr = ls::HDR,
        l_q = ls::Q,
        l_k = ls::K,
        l_v = ls::V,
        l_drain = ls::DRAIN,
        l_waitend = ls::WAITEND,
        l_check = ls::CHECK,
        q_ok = range_check("hq", k.max_q),
        kv_ok = range_check("hq", k.max_kv),
        e_ok = range_check("hq", k.max_e),
        f_ok = range_check("hq", k.max_f),
        mhi = 64 - (k.mant - 1),
        shi = 64 - k.shb,
        i_idle = is::IDLE,
        i_wait = is::WAIT,
        i_run = is::RUN,
        i_handoff = is::HANDOFF,
        i_lastdiv = is::LASTDIV,
        d_idle = ds::IDLE,
        d_flush = ds::FLUSH,
        d_space = ds::SPACE,
        d_start = ds::START,
        d_wait = ds::WAIT,
        d_push = ds::PUSH,
        i_trail = is::TRAIL,
        pw = k.pw,
        pwm = k.pw - 1,
        mw = k.mw,
        mwm = k.mw - 1,
        ew = k.ew,
        ewm = k.ew - 1,
        fwb = k.fw,
        fwm = k.fw - 1,
        idx = fw.idx,
        idxm = fw.idx - 1,
        phb = phb,
        phbm = phb - 1,
        phlast = np - 1,
        cw = k.cw,
        cwm = k.cw - 1,
        tw = tw,
        twm = tw - 1,
        ab = ab,
        abm = ab - 1,
        ochw = k.ochw,
        ochm = k.ochw - 1,
        cb = cb,
        count_cycles = count_half("c_cycles", "cy_cycles", "1'b1", cb),
        count_stall_in = count_half(
            "c_stall_in",
            "cy_stall_in",
            "ist == I_WAIT && !ready_to_run",
            cb
        ),
        count_stall_out = count_half(
            "c_stall_out",
            "cy_stall_out",
            &format!("dst == D_SPACE && fifo_free < {}'d{}", ffb, k.och),
            cb
        ),
        count_busy1d = count_half("c_busy1d", "cy_busy1d", "busy1d_q", cb),
        cbm = cb - 1,
        qchm = k.qch - 1,
        kchm = k.kch - 1,
        ld_chunk_ext = zext("ld_chunk", k.cw, 8),
        f_idx = resize("f_len", k.fw, fw.idx),
        e_idx = resize("e_len", k.ew, fw.idx),
        rows = k.rows,
        cols = k.cols,
        mantm = k.mant - 1,
        mant = k.mant,
        shb = k.shb,
        shbm = k.shb - 1,
        ffb = ffb,
        och = k.och,
        ochlast = k.och - 1,
        q_waddr = resize("ld_idx", fw.idx, fw.q_addr),
        qab = fw.q_addr,
        kab = fw.kv_addr,
        bank1 = k.max_e + k.max_f,
        max_e = k.max_e,
        ld_idx_kv = resize("ld_idx", fw.idx, fw.kv_addr),
        nvb = fw.nvalid,
        nvbm = fw.nvalid - 1,
        magic_tr = MAGIC_TRAILER,
        c_cycles_ext = zext("c_cycles", cb, 64),
        c_busy2d_ext = zext("c_busy2d", cb, 64),
        c_busy1d_ext = zext("c_busy1d", cb, 64),
        c_stall_in_ext = zext("c_stall_in", cb, 64),
        c_stall_out_ext = zext("c_stall_out", cb, 64),
        tlast = TRAILER_WORDS - 1,
        magic_in = MAGIC_IN,
        hlast = HEADER_WORDS - 1,
        rel = k.rel,
        flush = k.flush,
        dvf_ext = resize("dvf", ab, k.fw),
        nvw = k.nvw,
        nvm = k.nvw - 1,
        bkw = k.bkw,
        bkm = k.bkw - 1,
        blocks_ext = zext("blocks_out", k.bkw, BLOCKS_BITS),
        bad_magic = status::BAD_MAGIC,
        bad_shape = status::BAD_SHAPE,
        bad_scale = status::BAD_SCALE,
        early_end = status::EARLY_END,
        missing_last = status::MISSING_LAST,
    )
}
/// a * e_len + b * f_len + c at `w` bits (a, b >= 0).
fn affine_expr(a: i64, b: i64, c: i64, w: u32, k: &K) -> String {
    let mut terms = vec![];
    for _ in 0..a {
        terms.push(zext("e_len", k.ew, w));
    }
    for _ in 0..b {
        terms.push(zext("f_len", k.fw, w));
    }
    let mut e = terms.join(" + ");
    if c >= 0 {
        e.push_str(&format!(" + {w}'d{c}"));
    } else {
        e.push_str(&format!(" - {w}'d{}", -c));
    }
    e
}

/// Verilog of `if (inc) c <= c + 1` for a `cb`-bit counter `c` in two halves: the low half
/// steps, the high one when the flag `cy` says the low half is all ones (set as the low half
/// reaches all ones). Exact every cycle; the longest carry chain is half the counter's.
fn count_half(c: &str, cy: &str, inc: &str, cb: u32) -> String {
    let lo = cb / 2;
    let hi = cb - lo;
    let ones = (1u128 << lo) - 1;
    format!(
        "            if ({inc}) begin\n\
         \x20               {c}[{lm}:0] <= {c}[{lm}:0] + {lo}'d1;\n\
         \x20               if ({cy}) {c}[{cm}:{lo}] <= {c}[{cm}:{lo}] + {hi}'d1;\n\
         \x20               {cy} <= {c}[{lm}:0] == {lo}'h{almost:x};\n\
         \x20           end\n",
        lm = lo - 1,
        cm = cb - 1,
        almost = ones - 1,
    )
}

/// `1 <= x <= max` for a 64-bit `x`, as a zero test of the high bits and a short compare of
/// the low ones (a 64-bit comparator is one long carry chain).
fn range_check(x: &str, max: usize) -> String {
    let b = ubits(max as u128);
    let nonzero_fits = format!("{x}[63:{b}] == {}'d0 && {x}[{}:0] != {b}'d0", 64 - b, b - 1);
    if max as u128 == (1u128 << b) - 1 {
        // every nonzero value of b bits is in range (a compare would be constant)
        nonzero_fits
    } else {
        format!("{nonzero_fits} && {x}[{}:0] <= {b}'d{max}", b - 1)
    }
}

/// Unsigned resize of an identifier (zero-extend or keep the low bits).
fn resize(e: &str, from: u32, to: u32) -> String {
    if to >= from {
        zext(e, from, to)
    } else {
        format!("{e}[{}:0]", to - 1)
    }
}
