//! Vendor multipliers for the FPGA flow. The generated Verilog is generic; where a multiplier
//! and its registers fit one ECP5 MULT18X18D (operands of at most 18 bits), the leaf also
//! writes, under `` `ifdef FUSEMAX_ECP5 `` (defined by the ECP5 synthesis script), the
//! MULT18X18D with those registers inside it: yosys's ECP5 flow maps `*` to MULT18X18D but
//! leaves the registers in the fabric, so every product would pay a route into the DSP and
//! one out of it in the same cycle. Simulators and the other flows read the generic branch.
//! [`mult18x18d_model`] is a behavioural model of the subset used here, for co-simulating
//! the ECP5 branch against the leaves' Rust models.

use crate::kit::sresize;

/// The macro the ECP5 synthesis script defines.
pub const ECP5_DEFINE: &str = "FUSEMAX_ECP5";

/// Widest signed operand of a MULT18X18D.
pub const MULT18_BITS: u32 = 18;

/// A MULT18X18D instance `inst` clocked by `clock`: `a` and `b` are 18-bit wires (signed
/// operands), `p` a 36-bit wire (their signed product, registered one cycle); `in_regs` also
/// registers both operands.
pub fn ecp5_mult18(inst: &str, clock: &str, a: &str, b: &str, p: &str, in_regs: bool) -> String {
    let mut ports = vec![];
    for i in 0..18 {
        ports.push(format!(".A{i}({a}[{i}])"));
    }
    for i in 0..18 {
        ports.push(format!(".B{i}({b}[{i}])"));
    }
    for i in 0..18 {
        ports.push(format!(".C{i}(1'b0)"));
    }
    // Only the ports in use are connected: nextpnr routes a constant on a DSP's control
    // inputs from the global constant nets (ties on all of them fail to route).
    for p_ in ["SIGNEDA", "SIGNEDB"] {
        ports.push(format!(".{p_}(1'b1)"));
    }
    for p_ in ["SOURCEA", "SOURCEB"] {
        ports.push(format!(".{p_}(1'b0)"));
    }
    ports.push(format!(".CLK0({clock})"));
    ports.push(".CE0(1'b1)".into());
    ports.push(".RST0(1'b0)".into());
    for i in 0..36 {
        ports.push(format!(".P{i}({p}[{i}])"));
    }
    let mut lines = String::new();
    for chunk in ports.chunks(8) {
        lines.push_str("    ");
        lines.push_str(&chunk.join(", "));
        lines.push_str(",\n");
    }
    let lines = lines.trim_end_matches(",\n");
    format!(
        "MULT18X18D #(.REG_INPUTA_CLK(\"{ia}\"), .REG_INPUTB_CLK(\"{ia}\"), .REG_OUTPUT_CLK(\"CLK0\"), .GSR(\"DISABLED\")) {inst} (\n{lines}\n);\n",
        ia = if in_regs { "CLK0" } else { "NONE" },
    )
}

/// A registered signed product `p` of the identifiers `a` and `b` (`(name, bits)`, at most 18
/// bits each) on ECP5: one MULT18X18D holding the product register (and the operands'
/// registers too if `in_regs`), its product driving `p` (`always @(*)`). Tag `tag` prefixes
/// its wires.
pub fn ecp5_product(tag: &str, a: (&str, u32), b: (&str, u32), p: &str, in_regs: bool) -> String {
    let ((an, wa), (bn, wb)) = (a, b);
    assert!(wa <= MULT18_BITS && wb <= MULT18_BITS);
    format!(
        "wire [17:0] {tag}_a = {ax};\n\
         wire [17:0] {tag}_b = {bx};\n\
         /* verilator lint_off UNUSEDSIGNAL */\n\
         wire [35:0] {tag}_p;\n\
         /* verilator lint_on UNUSEDSIGNAL */\n\
         {inst}\
         always @(*) {p} = {tag}_p[{wm}:0];\n",
        ax = sresize(an, wa, 18),
        bx = sresize(bn, wb, 18),
        inst = ecp5_mult18(
            &format!("{tag}_dsp"),
            "clock",
            &format!("{tag}_a"),
            &format!("{tag}_b"),
            &format!("{tag}_p"),
            in_regs,
        ),
        wm = wa + wb - 1,
    )
}

/// A behavioural model of MULT18X18D for co-simulation: signed operands (SIGNEDA/B high),
/// optional operand and output registers on CLK0 (CE0 high, RST0 low), no pipeline register.
pub fn mult18x18d_model() -> String {
    let names = |g: &str, n: usize| (0..n).map(|i| format!("{g}{i}")).collect::<Vec<_>>();
    // {g[n-1]}, ..., {g0}: the bus as one vector
    let cat = |g: &str, n: usize| {
        let mut v = names(g, n);
        v.reverse();
        v.join(", ")
    };
    let ctl = [
        "SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB", "CLK0", "CE0", "RST0",
    ];
    let mut ports = vec![];
    let mut decl = String::new();
    for g in ["A", "B", "C"] {
        ports.extend(names(g, 18));
        decl.push_str(&format!("input {};\n", names(g, 18).join(", ")));
    }
    ports.extend(ctl.iter().map(|c| c.to_string()));
    decl.push_str(&format!("input {};\n", ctl.join(", ")));
    ports.extend(names("P", 36));
    decl.push_str(&format!("output {};\n", names("P", 36).join(", ")));
    format!(
        r#"/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module MULT18X18D({ports});
parameter REG_INPUTA_CLK = "NONE";
parameter REG_INPUTB_CLK = "NONE";
parameter REG_OUTPUT_CLK = "NONE";
parameter GSR = "ENABLED";
{decl}wire signed [17:0] a = {{{a}}};
wire signed [17:0] b = {{{b}}};
reg signed [17:0] a_r;
reg signed [17:0] b_r;
wire signed [17:0] a_u = (REG_INPUTA_CLK == "NONE") ? a : a_r;
wire signed [17:0] b_u = (REG_INPUTB_CLK == "NONE") ? b : b_r;
wire signed [35:0] m = a_u * b_u;
reg signed [35:0] p_r;
always @(posedge CLK0) begin
    a_r <= a;
    b_r <= b;
    p_r <= m;
end
assign {{{p}}} = (REG_OUTPUT_CLK == "NONE") ? m : p_r;
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
"#,
        ports = ports.join(", "),
        a = cat("A", 18),
        b = cat("B", 18),
        p = cat("P", 36),
    )
}
