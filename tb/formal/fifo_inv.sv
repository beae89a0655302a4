// ---- formal (tb/formal/fifo_inv.sv, added by tb/src/formal.rs): this FIFO's invariants
// and its output rule, from its own first reset on. Parameters F_W (data bits), F_D (depth),
// F_AB (address bits) are declared above this block. With F_CLAIMS_ONLY defined only the
// claims are asserted, not the auxiliary invariants (for the mutants: a claim must fail).
reg f_rst_seen = 1'b0;
always @(posedge clock) if (rst) f_rst_seen <= 1'b1;
wire [F_AB:0] f_occ = wp - rp;
`ifndef F_CLAIMS_ONLY
always @(*) if (f_rst_seen) begin
    // auxiliary: the registered counts agree with the pointers (what induction needs)
    assert(f_occ <= F_D);
    assert(free_r + f_occ == F_D);
    assert(nonempty == (f_occ != 0));
    if (notfull) assert(f_occ != F_D);
end
`endif
// AXI4-Stream output rule: a word offered and not taken stays offered, unchanged
always @(posedge clock)
    if (f_rst_seen && !$past(rst) && $past(m_valid) && !$past(m_ready)) begin
        assert(m_valid);
        assert(m_data == $past(m_data));
        assert(m_last == $past(m_last));
    end
