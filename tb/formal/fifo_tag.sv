// ---- formal (tb/formal/fifo_tag.sv): no word lost, duplicated or reordered, by a tagged
// word. The FIFO's ports are free inputs (this module is the top of the proof); rst is high in
// the first cycle and free afterwards. f_tag is an arbitrary but fixed word index: the word
// pushed when F_CB-bit count of words in equals f_tag must come out exactly when the count
// of words out equals f_tag, with its data and last flag. The counts are taken at the ports
// (handshakes) since the last reset, modulo 2^F_CB > F_D (so every word is some tag's).
localparam integer F_CB = F_AB + 3;
reg f_init = 1'b1;
always @(posedge clock) f_init <= 1'b0;
always @(*) if (f_init) assume(rst);
(* anyconst *) reg [F_CB-1:0] f_tag;
reg [F_CB-1:0] f_in, f_out;
reg [F_W:0] f_tag_word;
wire f_push = s_valid && s_ready;
wire f_pop = m_valid && m_ready;
always @(posedge clock)
    if (rst) begin
        f_in <= 0;
        f_out <= 0;
    end else begin
        if (f_push) f_in <= f_in + 1'b1;
        if (f_pop) f_out <= f_out + 1'b1;
    end
always @(posedge clock) if (!rst && f_push && f_in == f_tag) f_tag_word <= {s_last, s_data};
wire [F_CB-1:0] f_count = f_in - f_out;   // words inside, counted at the ports
wire [F_CB-1:0] f_ahead = f_tag - f_out;  // words to come out before the tagged one
wire f_inside = f_ahead < f_count;        // the tagged word went in and has not come out
always @(*) if (!f_init) begin
    // the claims, at the ports
    assert(f_count <= F_D);
    assert(free == F_D - f_count);
    if (f_pop && f_out == f_tag) begin
        assert(f_inside);
        assert({m_last, m_data} == f_tag_word);
    end
`ifndef F_CLAIMS_ONLY
    // auxiliary invariants for the induction step (internal state)
    assert(f_rst_seen);  // so fifo_inv.sv's invariants hold too
    assert(wp == f_in[F_AB:0]);
    assert(rp == f_out[F_AB:0]);
    if (f_inside) assert(mem[f_tag[F_AB-1:0]] == f_tag_word);
`endif
end
