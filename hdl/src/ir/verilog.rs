//! Verilog of a [`Circuit`]: the names of the description, one declaration per named signal,
//! registers as `always @(posedge clock)` if/else chains rebuilt from their conditional
//! assignments, memories in the form yosys maps to block RAM.
//!
//! Every expression is written at its own width: operands of a binary operator have one width,
//! width changes are explicit concatenations and part selects, so Verilog's context-width and
//! signedness rules never change a value; `$signed`/`$unsigned` appear only where Verilog
//! would otherwise read an operand of a comparison or a product with the other signedness.
//! Unused bits of a signal get a targeted lint waiver, so the text is clean under
//! `verilator --lint-only -Wall`. The text is a pure function of the circuit.

use super::graph::{mask_of, Bin, Cmp, NodeId, Op, PortDir};
use super::Circuit;
use std::fmt::Write as _;

/// How a node appears in expressions.
#[derive(Clone, Debug)]
enum Form {
    /// Declared under this name (port, register, wire).
    Ident(String),
    /// Written out where it is read.
    Inline,
}

struct Ctx<'a> {
    c: &'a Circuit,
    form: Vec<Form>,
}

/// A rendered expression: its text, whether Verilog reads it as signed, whether it is one
/// token (needs no parentheses).
struct Ex {
    text: String,
    vsigned: bool,
    atom: bool,
}

fn range(width: u32) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0] ", width - 1)
    }
}

/// A sized literal of `bits` (decimal when small, hex otherwise); signed literals for signed
/// nodes.
fn literal(bits: u128, width: u32, signed: bool) -> String {
    let neg = signed && (bits >> (width - 1)) & 1 == 1;
    if neg {
        // -(2^width - bits): a small negative number reads as one
        let mag = (!bits).wrapping_add(1) & mask_of(width);
        if mag < 1 << 16 && mag != 1u128 << (width - 1) {
            return format!("-{width}'sd{mag}");
        }
        return format!("{width}'sh{bits:x}");
    }
    let s = if signed { "s" } else { "" };
    if bits < 1 << 16 {
        format!("{width}'{s}d{bits}")
    } else {
        format!("{width}'{s}h{bits:x}")
    }
}

impl Ctx<'_> {
    fn node(&self, id: NodeId) -> &super::graph::Node {
        &self.c.g.nodes[id]
    }

    fn ex(&self, id: NodeId) -> Ex {
        let n = self.node(id);
        if let (Op::Const(_), Some(name)) = (&n.op, &n.name) {
            return Ex {
                text: name.clone(),
                vsigned: n.signed,
                atom: true,
            };
        }
        if let Op::Const(v) = n.op {
            let text = literal(v, n.width, n.signed);
            return Ex {
                atom: !text.starts_with('-'),
                text,
                vsigned: n.signed,
            };
        }
        match &self.form[id] {
            Form::Ident(name) => Ex {
                text: name.clone(),
                vsigned: n.signed,
                atom: true,
            },
            Form::Inline => self.op(id),
        }
    }

    /// An operand: parenthesized unless one token.
    fn arg(&self, id: NodeId) -> String {
        let e = self.ex(id);
        if e.atom {
            e.text
        } else {
            format!("({})", e.text)
        }
    }

    /// An identifier (the emitter declared every node that must be one).
    fn ident(&self, id: NodeId) -> String {
        match &self.form[id] {
            Form::Ident(n) => n.clone(),
            Form::Inline => unreachable!("ir: node {id} must be named"),
        }
    }

    /// An operand read with Verilog signedness `signed`.
    fn arg_as(&self, id: NodeId, signed: bool) -> String {
        let e = self.ex(id);
        match (e.vsigned, signed) {
            (true, false) => format!("$unsigned({})", e.text),
            (false, true) => format!("$signed({})", e.text),
            _ if e.atom => e.text,
            _ => format!("({})", e.text),
        }
    }

    /// `{{k{a[msb]}}, a}` or `{k'd0, a}`: the operand extended to `to` bits.
    fn extended(&self, a: NodeId, to: u32) -> String {
        let n = self.node(a);
        let k = to - n.width;
        if k == 0 {
            return self.ex(a).text;
        }
        if n.signed {
            let sign = if n.width == 1 {
                self.arg(a)
            } else {
                format!("{}[{}]", self.ident(a), n.width - 1)
            };
            let rep = if k == 1 {
                sign
            } else {
                format!("{{{k}{{{sign}}}}}")
            };
            format!("{{{rep}, {}}}", self.ex(a).text)
        } else {
            format!("{{{k}'d0, {}}}", self.ex(a).text)
        }
    }

    fn op(&self, id: NodeId) -> Ex {
        let n = self.node(id);
        let w = n.width;
        let compound = |text: String, vsigned: bool| Ex {
            text,
            vsigned,
            atom: false,
        };
        let atom = |text: String, vsigned: bool| Ex {
            text,
            vsigned,
            atom: true,
        };
        match &n.op {
            Op::Input(_) | Op::Reg(_) | Op::Const(_) | Op::Wire(None) | Op::InstOut(..) => {
                unreachable!("ir: sources are identifiers or literals")
            }
            Op::Wire(Some(d)) => self.ex(*d),
            Op::Not(a) => {
                let o = if w == 1 { "!" } else { "~" };
                atom(format!("{o}{}", self.arg(*a)), self.ex(*a).vsigned)
            }
            Op::Bin(b, x, y) => {
                let o = match (b, w) {
                    (Bin::And, 1) => "&&",
                    (Bin::Or, 1) => "||",
                    (Bin::And, _) => "&",
                    (Bin::Or, _) => "|",
                    (Bin::Xor, _) => "^",
                    (Bin::Add, _) => "+",
                    (Bin::Sub, _) => "-",
                };
                let (ex, ey) = (self.ex(*x), self.ex(*y));
                compound(
                    format!("{} {o} {}", self.arg(*x), self.arg(*y)),
                    ex.vsigned && ey.vsigned,
                )
            }
            Op::Mul(x, y) => {
                if n.signed {
                    compound(
                        format!(
                            "$signed({}) * $signed({})",
                            self.extended(*x, w),
                            self.extended(*y, w)
                        ),
                        true,
                    )
                } else {
                    compound(
                        format!("{} * {}", self.extended(*x, w), self.extended(*y, w)),
                        false,
                    )
                }
            }
            Op::Cmp(c, x, y) => {
                let s = self.node(*x).signed;
                let text = if matches!(c, Cmp::Eq | Cmp::Ne) {
                    format!("{} {} {}", self.arg(*x), c.verilog(), self.arg(*y))
                } else {
                    format!(
                        "{} {} {}",
                        self.arg_as(*x, s),
                        c.verilog(),
                        self.arg_as(*y, s)
                    )
                };
                compound(text, false)
            }
            Op::ReduceOr(a) => atom(format!("|{}", self.arg(*a)), false),
            Op::ReduceAnd(a) => atom(format!("&{}", self.arg(*a)), false),
            Op::ReduceXor(a) => atom(format!("^{}", self.arg(*a)), false),
            Op::Mux(s, a, b) => {
                let (ea, eb) = (self.ex(*a), self.ex(*b));
                // a chain of selects reads without parentheses on the else side
                let else_text = match (&self.form[*b], &self.node(*b).op) {
                    (Form::Inline, Op::Mux(..)) => eb.text,
                    _ => self.arg(*b),
                };
                compound(
                    format!("{} ? {} : {else_text}", self.arg(*s), self.arg(*a)),
                    ea.vsigned && eb.vsigned,
                )
            }
            Op::Cat(parts) => {
                let v: Vec<String> = parts.iter().map(|&p| self.ex(p).text).collect();
                atom(format!("{{{}}}", v.join(", ")), false)
            }
            Op::Slice(a, lo) => {
                let src = self.node(*a);
                if src.width == 1 {
                    return self.ex(*a);
                }
                let name = self.ident(*a);
                if w == 1 {
                    atom(format!("{name}[{lo}]"), false)
                } else {
                    atom(format!("{name}[{}:{lo}]", lo + w - 1), false)
                }
            }
            Op::Index(a, i) => atom(format!("{}[{}]", self.ident(*a), self.ex(*i).text), false),
            Op::Shr(a, i) => compound(format!("{} >> {}", self.arg(*a), self.arg(*i)), false),
            Op::Ext(a) => atom(self.extended(*a, w), false),
            Op::Cast(a) => self.ex(*a),
            Op::MemRead(m, a) => atom(
                format!("{}[{}]", self.c.g.mems[*m].name, self.ex(*a).text),
                false,
            ),
        }
    }
}

/// A register's statement, rebuilt from its next-value expression.
#[derive(Clone, PartialEq)]
enum Stmt {
    Hold,
    Assign(String),
    If(String, Box<Stmt>, Box<Stmt>),
    /// `case (sel)`: arms of labels (distinct constants) and their statement, then the
    /// default.
    Case(String, Vec<(Vec<String>, Stmt)>, Box<Stmt>),
}

impl Ctx<'_> {
    /// Whether `d` is a select spine (unnamed single-use selects) that reaches the register
    /// `r` itself, i.e. a conditional assignment.
    fn holds(&self, r: NodeId, d: NodeId) -> bool {
        if d == r {
            return true;
        }
        match self.node(d).op {
            Op::Mux(_, a, b) if self.spine(d) => self.holds(r, a) || self.holds(r, b),
            _ => false,
        }
    }

    fn spine(&self, d: NodeId) -> bool {
        matches!(self.form[d], Form::Inline) && self.c.uses[d] == 1
    }

    /// The statement of register `r` for next value `d`; `in_chain`: `d` is a branch of an
    /// unfolded select, whose own selects unfold too.
    fn stmt(&self, r: NodeId, d: NodeId, in_chain: bool) -> Stmt {
        if d == r {
            return Stmt::Hold;
        }
        if let Op::Mux(s, a, b) = self.node(d).op {
            let chain = |x: NodeId| matches!(self.node(x).op, Op::Mux(..)) && self.spine(x);
            let unfold = in_chain || self.holds(r, a) || self.holds(r, b) || chain(a) || chain(b);
            if self.spine(d) && unfold {
                if let Some(c) = self.case_chain(r, d) {
                    return c;
                }
                return Stmt::If(
                    self.ex(s).text,
                    Box::new(self.stmt(r, a, true)),
                    Box::new(self.stmt(r, b, true)),
                );
            }
        }
        Stmt::Assign(self.ex(d).text)
    }
}

impl Ctx<'_> {
    /// `(x, k, c)` if `s` is `x == c` for an unsigned `x` and a constant `c` of value `k`.
    fn eq_const(&self, s: NodeId) -> Option<(NodeId, u128, NodeId)> {
        if let Op::Cmp(Cmp::Eq, x, c) = self.node(s).op {
            if let Op::Const(k) = self.node(c).op {
                if !self.node(x).signed {
                    return Some((x, k, c));
                }
            }
        }
        None
    }

    /// A chain of selects on `x == k` for one `x` and distinct constants (what a switch
    /// builds) as a `case`: arms with the same statement share a line, arms that do what the
    /// default does are left to it. `None` if the chain tests fewer than two constants, or
    /// comes down to one arm.
    fn case_chain(&self, r: NodeId, d: NodeId) -> Option<Stmt> {
        let Op::Mux(s0, ..) = self.node(d).op else {
            return None;
        };
        let (sel, ..) = self.eq_const(s0)?;
        let mut arms: Vec<(NodeId, u128, NodeId, NodeId)> = vec![];
        let mut cur = d;
        while let Op::Mux(s, a, b) = self.node(cur).op {
            if cur != d && !self.spine(cur) {
                break;
            }
            match self.eq_const(s) {
                Some((x, k, c)) if x == sel && arms.iter().all(|t| t.1 != k) => {
                    arms.push((s, k, c, a));
                    cur = b;
                }
                _ => break,
            }
        }
        if arms.len() < 2 {
            return None;
        }
        let default = self.stmt(r, cur, true);
        let mut groups: Vec<(Vec<NodeId>, Vec<String>, Stmt)> = vec![];
        for (s, _, c, a) in arms {
            let st = self.stmt(r, a, true);
            if st == default {
                continue;
            }
            let label = self.ex(c).text;
            match groups.iter_mut().find(|g| g.2 == st) {
                Some(g) => {
                    g.0.push(s);
                    g.1.push(label);
                }
                None => groups.push((vec![s], vec![label], st)),
            }
        }
        Some(match groups.len() {
            0 => default,
            1 if groups[0].0.len() == 1 => {
                let (conds, _, st) = groups.pop().unwrap();
                Stmt::If(self.ex(conds[0]).text, Box::new(st), Box::new(default))
            }
            _ => Stmt::Case(
                self.ex(sel).text,
                groups.into_iter().map(|(_, l, st)| (l, st)).collect(),
                Box::new(default),
            ),
        })
    }
}

fn negate(cond: &str) -> String {
    if cond.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("!{cond}")
    } else {
        format!("!({cond})")
    }
}

/// Writes `s` for target `lhs` at indentation `ind`; `lead` is what precedes the first line
/// (`""` or `"else "`).
fn print_stmt(out: &mut Vec<String>, s: &Stmt, lhs: &str, ind: usize, lead: &str) {
    let pad = "    ".repeat(ind);
    match s {
        Stmt::Hold => {}
        Stmt::Assign(e) => out.push(format!("{pad}{lead}{lhs} <= {e};")),
        Stmt::Case(sel, arms, default) => {
            out.push(format!("{pad}{lead}case ({sel})"));
            let arm = |out: &mut Vec<String>, label: &str, st: &Stmt| match st {
                Stmt::Hold => out.push(format!("{pad}    {label}: ;")),
                Stmt::Assign(x) => out.push(format!("{pad}    {label}: {lhs} <= {x};")),
                _ => {
                    out.push(format!("{pad}    {label}: begin"));
                    print_stmt(out, st, lhs, ind + 2, "");
                    out.push(format!("{pad}    end"));
                }
            };
            for (labels, st) in arms {
                arm(out, &labels.join(", "), st);
            }
            arm(out, "default", default);
            out.push(format!("{pad}endcase"));
        }
        Stmt::If(c, t, e) => {
            let (c, t, e) = match (&**t, &**e) {
                (Stmt::Hold, Stmt::Hold) => return,
                (Stmt::Hold, _) => (negate(c), &**e, &Stmt::Hold),
                _ => (c.clone(), &**t, &**e),
            };
            match t {
                Stmt::Assign(x) => out.push(format!("{pad}{lead}if ({c}) {lhs} <= {x};")),
                _ => {
                    out.push(format!("{pad}{lead}if ({c}) begin"));
                    print_stmt(out, t, lhs, ind + 1, "");
                    out.push(format!("{pad}end"));
                }
            }
            match e {
                Stmt::Hold => {}
                _ => print_stmt(out, e, lhs, ind, "else "),
            }
        }
    }
}

/// The Verilog module body (without header) of `c`, as the kit's leaves carry it: a
/// `// @leaf <kind>` marker line first.
/// Instances are written the kit's way: rust-hdl declares each child port as `<inst>$<port>`
/// and instantiates the child; the body drives the inputs (`always @(*)`) and reads the
/// outputs under those names.
pub fn body(c: &Circuit) -> String {
    let mut t = format!("// @leaf {}\n", c.g.kind);
    for l in body_lines(c, &Insts::Kit) {
        t.push_str(&l);
        t.push('\n');
    }
    t
}

/// How instances are written.
enum Insts {
    /// Inside a kit leaf (see [`body`]).
    Kit,
    /// In a stand-alone file: output wires `<inst>_<port>` and an instance statement of the
    /// child module, named by its structural key.
    File(std::collections::HashMap<String, String>),
}

/// A whole module named `name`, after the modules of its instances (each distinct child
/// circuit once, named after its kind: `<kind>`, `<kind>_1`, ...): headers (ports as
/// `input wire` / `output reg`) and bodies.
pub fn module(c: &Circuit, name: &str) -> String {
    let mut names = std::collections::HashMap::new();
    let mut taken = std::collections::HashSet::new();
    taken.insert(name.to_string());
    let mut t = String::new();
    children_first(c, &mut names, &mut taken, &mut t);
    t.push_str(&one_module(c, name, &Insts::File(names)));
    t
}

fn children_first(
    c: &Circuit,
    names: &mut std::collections::HashMap<String, String>,
    taken: &mut std::collections::HashSet<String>,
    t: &mut String,
) {
    for (i, inst) in c.g.insts.iter().enumerate() {
        if !c.inst_live[i] {
            continue;
        }
        let key = inst.child.key();
        if names.contains_key(&key) {
            continue;
        }
        children_first(&inst.child, names, taken, t);
        let kind = &inst.child.g.kind;
        let mut n = kind.clone();
        let mut k = 1;
        while taken.contains(&n) {
            n = format!("{kind}_{k}");
            k += 1;
        }
        taken.insert(n.clone());
        let inner = std::collections::HashMap::clone(names);
        t.push_str(&one_module(&inst.child, &n, &Insts::File(inner)));
        names.insert(key, n);
    }
}

fn one_module(c: &Circuit, name: &str, insts: &Insts) -> String {
    let g = &c.g;
    let mut t = String::new();
    let names: Vec<&str> = g.ports.iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(t, "module {name}({});", names.join(","));
    for p in &g.ports {
        let dir = match p.dir {
            PortDir::In => "input wire",
            PortDir::Out => "output reg",
        };
        let s = if p.signed { "signed " } else { "" };
        let _ = writeln!(t, "    {dir} {s}{}{};", range(p.width), p.name);
    }
    for l in body_lines(c, insts) {
        let _ = writeln!(t, "    {l}");
    }
    let _ = writeln!(t, "endmodule // {name}");
    t
}

fn body_lines(c: &Circuit, insts: &Insts) -> Vec<String> {
    let lines = logic_lines(c, insts);
    match &c.g.vendor {
        None => lines,
        Some((define, text)) => {
            let mut out = vec![format!("`ifdef {define}")];
            out.extend(text.lines().map(|l| l.to_string()));
            out.push("`else".into());
            out.extend(lines);
            out.push(format!("`endif // {define}"));
            out
        }
    }
}

fn logic_lines(c: &Circuit, insts: &Insts) -> Vec<String> {
    let g = &c.g;
    let n = g.nodes.len();
    // Which nodes must be identifiers: named ones, operands of part selects and of sign
    // extension, shared nodes unless cheap to repeat.
    let mut must = vec![false; n];
    for &id in &c.order {
        match g.nodes[id].op {
            Op::Slice(a, _) | Op::Index(a, _) => must[a] |= g.nodes[a].width > 1,
            Op::Ext(a) => must[a] |= g.nodes[a].signed && g.nodes[a].width > 1,
            Op::Mul(a, b) if g.nodes[id].signed => {
                must[a] |= g.nodes[a].width > 1;
                must[b] |= g.nodes[b].width > 1;
            }
            _ => {}
        }
    }
    let mut cost = vec![0u32; n];
    let mut form = vec![Form::Inline; n];
    let mut auto = 0;
    for &id in &c.order {
        let node = &g.nodes[id];
        if let Op::InstOut(i, p) = node.op {
            let sep = match insts {
                Insts::Kit => "$",
                Insts::File(_) => "_",
            };
            form[id] = Form::Ident(format!(
                "{}{sep}{}",
                g.insts[i].name, g.insts[i].child.g.ports[p].name
            ));
            continue;
        }
        let named = match node.op {
            Op::Input(_) | Op::Reg(_) | Op::Wire(_) => true,
            _ => node.name.is_some(),
        };
        if named {
            form[id] = Form::Ident(node.name.clone().expect("sources are named"));
            continue;
        }
        if let Op::Const(_) = node.op {
            if !must[id] {
                continue;
            }
        }
        cost[id] = match node.op {
            Op::MemRead(..) | Op::Mul(..) => 100,
            _ => 1 + node.op.args().iter().map(|&a| cost[a]).sum::<u32>(),
        };
        if must[id] || (c.uses[id] > 1 && cost[id] > 2) {
            form[id] = Form::Ident(format!("_t{auto}"));
            auto += 1;
            cost[id] = 0;
        }
    }
    let cx = Ctx { c, form };

    // Bits read of each node (to waive exactly the unused ones).
    let mut used = vec![0u128; n];
    for &id in &c.order {
        match g.nodes[id].op {
            Op::Slice(a, lo) => used[a] |= mask_of(g.nodes[id].width) << lo,
            ref op => {
                for a in op.args() {
                    used[a] |= mask_of(g.nodes[a].width);
                }
            }
        }
        if let Op::Reg(r) = g.nodes[id].op {
            let ri = &g.regs[r];
            for x in [Some(ri.d), ri.reset.map(|x| x.0), ri.enable]
                .into_iter()
                .flatten()
            {
                used[x] |= mask_of(g.nodes[x].width);
            }
        }
    }
    let mut live_mems = vec![];
    for m in 0..g.mems.len() {
        if c.mem_live(m) {
            live_mems.push(m);
            for &(we, a, d) in &g.mems[m].writes {
                for x in [we, a, d] {
                    used[x] |= mask_of(g.nodes[x].width);
                }
            }
        }
    }
    for p in g.ports.iter().filter(|p| p.dir == PortDir::Out) {
        let x = p.node.unwrap();
        used[x] |= mask_of(g.nodes[x].width);
    }
    let live_insts: Vec<usize> = (0..g.insts.len()).filter(|&i| c.inst_live[i]).collect();
    for &i in &live_insts {
        for &x in g.insts[i].inputs.iter().flatten() {
            used[x] |= mask_of(g.nodes[x].width);
        }
    }
    let sequential = c
        .order
        .iter()
        .any(|&id| matches!(g.nodes[id].op, Op::Reg(_)))
        || !live_mems.is_empty()
        || live_insts
            .iter()
            .any(|&i| g.insts[i].child.g.clock.is_some());
    let partly = |id: NodeId| used[id] != mask_of(g.nodes[id].width);

    let mut out = vec![];
    if !g.doc.is_empty() {
        for l in g.doc.lines() {
            out.push(format!("// {l}"));
        }
    }
    // Inputs not read in full.
    let clock = g.clock.and_then(|p| g.ports[p].node);
    let unread: Vec<&str> = g
        .ports
        .iter()
        .filter(|p| p.dir == PortDir::In)
        .filter(|p| {
            let id = p.node.unwrap();
            if Some(id) == clock {
                !sequential
            } else {
                partly(id)
            }
        })
        .map(|p| p.name.as_str())
        .collect();
    if !unread.is_empty() {
        out.push("/* verilator lint_off UNUSEDSIGNAL */".into());
        out.push(format!("wire _unused = &{{1'b0, {}}};", unread.join(", ")));
        out.push("/* verilator lint_on UNUSEDSIGNAL */".into());
    }
    let waived = |out: &mut Vec<String>, line: String, waive: bool| {
        if waive {
            out.push("/* verilator lint_off UNUSEDSIGNAL */".into());
            out.push(line);
            out.push("/* verilator lint_on UNUSEDSIGNAL */".into());
        } else {
            out.push(line);
        }
    };
    // Memories, then registers (not ports), then wires in dependency order.
    for &m in &live_mems {
        let mi = &g.mems[m];
        out.push(format!(
            "reg {}{} [0:{}];",
            range(mi.width),
            mi.name,
            mi.depth - 1
        ));
    }
    let reg_is_port = |id: NodeId| g.ports.iter().any(|p| p.is_reg && p.node == Some(id));
    for &id in &c.order {
        let node = &g.nodes[id];
        if let Op::Reg(r) = node.op {
            if let Some(note) = &g.regs[r].note {
                out.extend(note.lines().map(|l| format!("// {l}")));
            }
            if !reg_is_port(id) {
                let s = if node.signed { "signed " } else { "" };
                let attr = if g.regs[r].binary {
                    "(* fsm_encoding = \"none\" *) "
                } else {
                    ""
                };
                let line = format!(
                    "{attr}reg {s}{}{};",
                    range(node.width),
                    node.name.as_deref().unwrap()
                );
                waived(&mut out, line, partly(id));
            }
        }
    }
    // Outputs of the instances (every one, so none is left unconnected).
    if let Insts::File(_) = insts {
        for &i in &live_insts {
            let inst = &g.insts[i];
            let cp = &inst.child.g.ports;
            for k in (0..cp.len()).filter(|&k| cp[k].dir == PortDir::Out) {
                let s = if cp[k].signed { "signed " } else { "" };
                let line = format!(
                    "wire {s}{}{}_{};",
                    range(cp[k].width),
                    inst.name,
                    cp[k].name
                );
                let partial = match inst.outs[k] {
                    Some(o) => partly(o),
                    None => true,
                };
                waived(&mut out, line, partial);
            }
        }
    }
    for &id in &c.order {
        let node = &g.nodes[id];
        if matches!(node.op, Op::Input(_) | Op::Reg(_) | Op::InstOut(..)) {
            continue;
        }
        if let Form::Ident(name) = &cx.form[id] {
            let s = if node.signed { "signed " } else { "" };
            let (kind, rhs) = match node.op {
                Op::Const(v) if node.name.is_some() => {
                    ("localparam", literal(v, node.width, node.signed))
                }
                Op::Const(v) => ("wire", literal(v, node.width, node.signed)),
                _ => ("wire", cx.op(id).text),
            };
            let line = format!("{kind} {s}{}{name} = {rhs};", range(node.width));
            waived(&mut out, line, partly(id));
        }
    }
    // Instances: their inputs.
    for &i in &live_insts {
        let inst = &g.insts[i];
        let cp = &inst.child.g.ports;
        let read = |k: usize| inst.outs[k].is_some_and(|o| used[o] != 0);
        let outs: Vec<usize> = (0..cp.len())
            .filter(|&k| cp[k].dir == PortDir::Out)
            .collect();
        match insts {
            Insts::Kit => {
                let unread: Vec<String> = outs
                    .iter()
                    .filter(|&&k| !read(k))
                    .map(|&k| format!("{}${}", inst.name, cp[k].name))
                    .collect();
                if !unread.is_empty() {
                    out.push(format!("// @unused {}", unread.join(" ")));
                }
                for (k, d) in inst.inputs.iter().enumerate() {
                    if let Some(d) = d {
                        out.push(format!(
                            "always @(*) {}${} = {};",
                            inst.name,
                            cp[k].name,
                            cx.ex(*d).text
                        ));
                    }
                }
            }
            Insts::File(names) => {
                let conns: Vec<String> = (0..cp.len())
                    .map(|k| match inst.inputs[k] {
                        Some(d) => format!(".{}({})", cp[k].name, cx.ex(d).text),
                        None => format!(".{}({}_{})", cp[k].name, inst.name, cp[k].name),
                    })
                    .collect();
                out.push(format!(
                    "{} {} ({});",
                    names[&inst.child.key()],
                    inst.name,
                    conns.join(", ")
                ));
            }
        }
    }
    // Combinational outputs.
    for p in g
        .ports
        .iter()
        .filter(|p| p.dir == PortDir::Out && !p.is_reg)
    {
        out.push(format!(
            "always @(*) {} = {};",
            p.name,
            cx.ex(p.node.unwrap()).text
        ));
    }
    // Registers.
    for &id in &c.order {
        let Op::Reg(r) = g.nodes[id].op else {
            continue;
        };
        let ri = &g.regs[r];
        let name = g.nodes[id].name.as_deref().unwrap();
        // the next value counts only while the reset is low, so a select on the reset itself
        // (`when(!rst)` around the logic) is decided
        let mut d = ri.d;
        if let Some((rst, _)) = ri.reset {
            while let Op::Mux(c, a, b) = g.nodes[d].op {
                match g.nodes[c].op {
                    Op::Not(x) if x == rst && cx.spine(d) => d = a,
                    _ if c == rst && cx.spine(d) => d = b,
                    _ => break,
                }
            }
        }
        let mut s = cx.stmt(id, d, false);
        if let Some(en) = ri.enable {
            s = Stmt::If(cx.ex(en).text, Box::new(s), Box::new(Stmt::Hold));
        }
        if let Some((rst, v)) = ri.reset {
            let node = &g.nodes[id];
            s = Stmt::If(
                cx.ex(rst).text,
                Box::new(Stmt::Assign(literal(v, node.width, node.signed))),
                Box::new(s),
            );
        }
        let keep = if ri.keep { "(* keep *) " } else { "" };
        let mut lines = vec![];
        print_stmt(&mut lines, &s, name, 1, "");
        if let Some((define, text)) = &ri.vendor {
            out.push(format!("`ifdef {define}"));
            out.extend(text.lines().map(|l| l.to_string()));
            out.push("`else".into());
        }
        match lines.len() {
            0 => out.push(format!("{keep}always @(posedge clock) {name} <= {name};")),
            1 => out.push(format!(
                "{keep}always @(posedge {}) {}",
                clock_name(c),
                lines[0].trim_start()
            )),
            _ => {
                out.push(format!("{keep}always @(posedge {})", clock_name(c)));
                out.extend(lines);
            }
        }
        if let Some((define, _)) = &ri.vendor {
            out.push(format!("`endif // {define}"));
        }
    }
    // Memory writes.
    for &m in &live_mems {
        let mi = &g.mems[m];
        let mut lines = vec![];
        for &(we, a, d) in &mi.writes {
            let lhs = format!("{}[{}]", mi.name, cx.ex(a).text);
            let st = Stmt::If(
                cx.ex(we).text,
                Box::new(Stmt::Assign(cx.ex(d).text)),
                Box::new(Stmt::Hold),
            );
            match g.nodes[we].op {
                Op::Const(1) => print_stmt(&mut lines, &Stmt::Assign(cx.ex(d).text), &lhs, 1, ""),
                _ => print_stmt(&mut lines, &st, &lhs, 1, ""),
            }
        }
        if lines.len() == 1 {
            out.push(format!(
                "always @(posedge {}) {}",
                clock_name(c),
                lines[0].trim_start()
            ));
        } else {
            out.push(format!("always @(posedge {}) begin", clock_name(c)));
            out.extend(lines);
            out.push("end".into());
        }
    }
    out
}

fn clock_name(c: &Circuit) -> &str {
    &c.g.ports[c.g.clock.expect("a sequential circuit has a clock")].name
}
