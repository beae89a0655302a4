// ---- formal (tb/formal/top.sv, added by tb/src/formal.rs into the engine's top module):
// the stream rules of docs/interface.md at the engine's ports. F_N (the liveness bound) is
// declared above this block.
//
// Assumptions: reset held for the first 3 cycles (power-up values before), low afterwards;
// the input is a legal AXI4-Stream source (tvalid, tdata, tlast held until taken).
reg [1:0] f_age = 2'd0; // cycles since power-up, saturating at 3
always @(posedge clock) if (f_age != 2'd3) f_age <= f_age + 2'd1;
always @(*) assume(rst == (f_age != 2'd3));
reg f_prev_rst = 1'b1;
always @(posedge clock) f_prev_rst <= rst;
wire f_run = f_age == 2'd3 && !f_prev_rst;  // from the second cycle out of reset on
always @(posedge clock)
    if (f_run && $past(s_axis_tvalid) && !$past(s_axis_tready)) begin
        assume(s_axis_tvalid);
        assume(s_axis_tdata == $past(s_axis_tdata));
        assume(s_axis_tlast == $past(s_axis_tlast));
    end
`ifdef F_SINK_READY
always @(*) assume(m_axis_tready);
`endif

// With F_OUTPUT_ONLY only the reset and output rules (for a k-induction of the output
// rule: the others are not inductive without invariants of the controller).

// Reset: tready and tvalid low from the third cycle of reset, tready low in the cycle after.
always @(*) if (f_age == 2'd2 || (f_age == 2'd3 && f_prev_rst)) begin
    assert(!s_axis_tready);
    assert(!m_axis_tvalid);
end

// The output FIFO has been reset (its invariants hold from then on; for the induction).
always @(*) if (f_age == 2'd3) assert(f_out_fifo_ok);

// Output rule on m_axis: a word offered and not taken stays offered, unchanged.
always @(posedge clock)
    if (f_run && $past(m_axis_tvalid) && !$past(m_axis_tready)) begin
        assert(m_axis_tvalid);
        assert(m_axis_tdata == $past(m_axis_tdata));
        assert(m_axis_tlast == $past(m_axis_tlast));
    end

`ifndef F_OUTPUT_ONLY
// No word lost between the controller and the output FIFO: it offers a word only when the
// FIFO takes it (the FIFO drops a word offered while full).
always @(*) if (f_age == 2'd3) assert(!controller__o_valid || out_fifo__s_ready);

// After every trailer the engine takes input again: s_axis_tready is high within F_N cycles
// of the cycle in which the trailer's last word (tlast) enters the output FIFO, or, with
// F_SINK_READY (the sink never stalls), of the cycle in which it is taken on m_axis.
`ifdef F_SINK_READY
wire f_trailer = m_axis_tvalid && m_axis_tready && m_axis_tlast;
`else
wire f_trailer = controller__o_valid && controller__o_last && out_fifo__s_ready;
`endif
reg f_waiting = 1'b0;
reg [7:0] f_wait;
always @(posedge clock)
    if (rst) f_waiting <= 1'b0;
    else if (f_trailer) begin
        f_waiting <= 1'b1;
        f_wait <= 8'd0;
    end else if (f_waiting) begin
        if (s_axis_tready) f_waiting <= 1'b0;
        else if (f_wait != 8'hff) f_wait <= f_wait + 8'd1;
    end
always @(*) if (f_age == 2'd3 && f_waiting) assert(f_wait < F_N);
`endif

`ifdef F_COVER
// The environment can reach what the properties are about (they are not vacuous): a
// trailer taken on m_axis, and a good header taken and checked (busy rises). A whole good
// job (trailer with status OK) is about 70 cycles deep: beyond what BMC reaches here.
always @(*) if (f_age == 2'd3) begin
    cover(m_axis_tvalid && m_axis_tready && m_axis_tlast);
    cover(busy);
end
`endif
