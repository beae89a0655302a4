//! The signal graph and its builder: [`Module`] (a block being described), [`Signal`] (a value
//! of a stated width and signedness), [`Reg`] and [`Mem`]; [`Module::finish`] checks the
//! description and freezes it into a [`Circuit`], from which `verilog` and `sim` work.
//!
//! Widths are run-time numbers and every operator states its result width: operands of a
//! binary operator must agree in width and signedness (else the build panics, naming both
//! signals), `add`/`sub` give width + 1 (exact) and `add_wrap`/`sub_wrap` the operands' width
//! (modulo), `mul` gives the sum of the operand widths. Widths change only by `ext`, `trunc`,
//! `resize`, `slice`, `cat`. So no expression can silently truncate or widen.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

/// Widest signal of the layer (its simulation works on `u128` words).
pub const MAX_WIDTH: u32 = 128;

pub(crate) type NodeId = usize;

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub(crate) fn verilog(self) -> &'static str {
        match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

/// A binary operator whose operands and result share one width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Bin {
    And,
    Or,
    Xor,
    Add,
    Sub,
}

/// What a node computes. Operands are node ids of the same graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    /// Input port `i`.
    Input(usize),
    /// A constant (bits, masked to the width).
    Const(u128),
    /// The output of register `i`.
    Reg(usize),
    /// A named wire: its driver, once assigned.
    Wire(Option<NodeId>),
    /// Bitwise not.
    Not(NodeId),
    /// `a op b`, all of one width (add and sub modulo 2^width).
    Bin(Bin, NodeId, NodeId),
    /// Product of two operands of one signedness; width = sum of theirs.
    Mul(NodeId, NodeId),
    /// Comparison (signed if the operands are), 1 bit.
    Cmp(Cmp, NodeId, NodeId),
    /// OR / AND / XOR of all bits, 1 bit.
    ReduceOr(NodeId),
    ReduceAnd(NodeId),
    ReduceXor(NodeId),
    /// `sel ? a : b`.
    Mux(NodeId, NodeId, NodeId),
    /// Concatenation, most significant first.
    Cat(Vec<NodeId>),
    /// Bits [lo + width - 1 : lo] of the operand.
    Slice(NodeId, u32),
    /// Zero- (operand unsigned) or sign- (operand signed) extension to the node's width.
    Ext(NodeId),
    /// The same bits, the other signedness.
    Cast(NodeId),
    /// Combinational read of memory `m` at an address.
    MemRead(usize, NodeId),
    /// Bit `idx` of the operand (its width a power of two, `idx` exactly wide enough).
    Index(NodeId, NodeId),
    /// Output port `p` (child port index) of instance `i`.
    InstOut(usize, usize),
    /// `a >> amt`, zeros shifted in, the width of `a` (unsigned operands).
    Shr(NodeId, NodeId),
}

impl Op {
    /// The operands, in order.
    pub(crate) fn args(&self) -> Vec<NodeId> {
        match self {
            Op::Input(_) | Op::Const(_) | Op::Reg(_) | Op::Wire(None) | Op::InstOut(..) => {
                vec![]
            }
            Op::Wire(Some(a))
            | Op::Not(a)
            | Op::ReduceOr(a)
            | Op::ReduceAnd(a)
            | Op::ReduceXor(a)
            | Op::Slice(a, _)
            | Op::Ext(a)
            | Op::Cast(a)
            | Op::MemRead(_, a) => vec![*a],
            Op::Bin(_, a, b)
            | Op::Mul(a, b)
            | Op::Cmp(_, a, b)
            | Op::Index(a, b)
            | Op::Shr(a, b) => vec![*a, *b],
            Op::Mux(s, a, b) => vec![*s, *a, *b],
            Op::Cat(v) => v.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub op: Op,
    pub width: u32,
    pub signed: bool,
    /// The name the description gave (the Verilog name), if any.
    pub name: Option<String>,
}

/// Direction of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortDir {
    In,
    Out,
}

#[derive(Clone, Debug)]
pub(crate) struct Port {
    pub name: String,
    pub dir: PortDir,
    pub width: u32,
    pub signed: bool,
    /// Input: its `Input` node. Output: its driver (set by `output`, or the register node).
    pub node: Option<NodeId>,
    /// An output that is a register itself (declared and clocked under the port's name).
    pub is_reg: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct RegInfo {
    pub node: NodeId,
    /// The next value (the register itself: hold).
    pub d: NodeId,
    /// Synchronous reset: (reset signal, value).
    pub reset: Option<(NodeId, u128)>,
    /// Clock enable.
    pub enable: Option<NodeId>,
    /// `(* keep *)` on its always block: synthesis keeps the flip-flop distinct.
    pub keep: bool,
    /// `(* fsm_encoding = "none" *)` on its declaration: synthesis keeps its encoding.
    pub binary: bool,
    pub assigned: bool,
    /// A comment written above the register's declaration.
    pub note: Option<String>,
    /// Verilog used instead of the register's always block under a macro: (macro, text).
    pub vendor: Option<(String, String)>,
}

/// An instance of another circuit inside a module.
#[derive(Clone, Debug)]
pub(crate) struct InstInfo {
    /// The instance name (the Verilog instance's name).
    pub name: String,
    pub child: Rc<super::Circuit>,
    /// Per child port: the driver of an input (the parent's clock for the child's clock);
    /// `None` for outputs and for inputs not connected yet.
    pub inputs: Vec<Option<NodeId>>,
    /// Per child port: the `InstOut` node of an output, once read.
    pub outs: Vec<Option<NodeId>>,
}

#[derive(Clone, Debug)]
pub(crate) struct MemInfo {
    pub name: String,
    pub width: u32,
    pub depth: usize,
    /// Synchronous write ports: (enable, address, data).
    pub writes: Vec<(NodeId, NodeId, NodeId)>,
}

/// The graph of one module (shared by the handles while it is described).
#[derive(Clone, Debug)]
pub(crate) struct Graph {
    pub kind: String,
    pub doc: String,
    pub nodes: Vec<Node>,
    pub ports: Vec<Port>,
    pub regs: Vec<RegInfo>,
    pub mems: Vec<MemInfo>,
    pub insts: Vec<InstInfo>,
    /// Verilog text used instead of the description's when a macro is defined (a vendor
    /// primitive for one flow): (macro, text). The simulation is the description's.
    pub vendor: Option<(String, String)>,
    /// Port index of the clock.
    pub clock: Option<usize>,
    /// The enclosing `when`s: each level's condition and the registers' next values assigned
    /// inside it so far.
    scopes: Vec<(NodeId, BTreeMap<usize, NodeId>)>,
    names: HashSet<String>,
    consts: HashMap<(u128, u32, bool), NodeId>,
    /// Named values of registers ([`Reg::states`]): (register node, value) -> the named
    /// constant that [`Signal::lit`] of the register gives for it.
    states: HashMap<(NodeId, u128), NodeId>,
}

/// Verilog keywords (and the names the emitter uses) that a description may not take.
const RESERVED: &[&str] = &[
    "always",
    "and",
    "assign",
    "automatic",
    "begin",
    "buf",
    "case",
    "casex",
    "casez",
    "cell",
    "config",
    "default",
    "defparam",
    "design",
    "disable",
    "edge",
    "else",
    "end",
    "endcase",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endmodule",
    "endprimitive",
    "endspecify",
    "endtable",
    "endtask",
    "event",
    "for",
    "force",
    "forever",
    "fork",
    "function",
    "generate",
    "genvar",
    "if",
    "initial",
    "inout",
    "input",
    "integer",
    "join",
    "localparam",
    "logic",
    "macromodule",
    "module",
    "nand",
    "negedge",
    "nor",
    "not",
    "or",
    "output",
    "parameter",
    "posedge",
    "reg",
    "release",
    "repeat",
    "signed",
    "specify",
    "supply0",
    "supply1",
    "table",
    "task",
    "time",
    "tri",
    "unsigned",
    "wait",
    "while",
    "wire",
    "wor",
    "xnor",
    "xor",
    "bit",
    "byte",
    "int",
    "shortint",
    "longint",
    "int",
    "type",
    "string",
    "var",
    "do",
    "return",
    "break",
    "continue",
    "priority",
    "unique",
    "final",
    "import",
    "export",
    "class",
];

fn check_name(name: &str) {
    let ok = !name.is_empty()
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    assert!(
        ok,
        "ir: `{name}` is not a valid name (a letter, then letters, digits and `_`)"
    );
    assert!(
        !RESERVED.contains(&name),
        "ir: `{name}` is a Verilog keyword and cannot name a signal"
    );
}

fn mask(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

impl Graph {
    fn add(&mut self, op: Op, width: u32, signed: bool) -> NodeId {
        assert!(
            (1..=MAX_WIDTH).contains(&width),
            "ir: module {}: a width of {width} bits is out of 1..={MAX_WIDTH}",
            self.kind
        );
        self.nodes.push(Node {
            op,
            width,
            signed,
            name: None,
        });
        self.nodes.len() - 1
    }

    fn claim_name(&mut self, name: &str) {
        check_name(name);
        assert!(
            self.names.insert(name.to_string()),
            "ir: module {}: the name `{name}` is given twice",
            self.kind
        );
    }

    fn constant(&mut self, bits: u128, width: u32, signed: bool) -> NodeId {
        let bits = bits & mask(width);
        if let Some(&n) = self.consts.get(&(bits, width, signed)) {
            return n;
        }
        let n = self.add(Op::Const(bits), width, signed);
        self.consts.insert((bits, width, signed), n);
        n
    }

    /// A short human description of a node for error messages: its name or its expression.
    pub(crate) fn describe(&self, id: NodeId) -> String {
        self.describe_depth(id, 2)
    }

    fn describe_depth(&self, id: NodeId, depth: u32) -> String {
        let n = &self.nodes[id];
        if let Some(name) = &n.name {
            return format!("`{name}`");
        }
        let d = |a: NodeId| {
            if depth == 0 {
                "..".to_string()
            } else {
                self.describe_depth(a, depth - 1)
            }
        };
        match &n.op {
            Op::Const(v) => format!("constant {v}"),
            Op::Input(i) => format!("`{}`", self.ports[*i].name),
            Op::Reg(_) | Op::Wire(_) => "an unnamed signal".into(),
            Op::Not(a) => format!("~{}", d(*a)),
            Op::Bin(b, x, y) => {
                let s = match b {
                    Bin::And => "&",
                    Bin::Or => "|",
                    Bin::Xor => "^",
                    Bin::Add => "+",
                    Bin::Sub => "-",
                };
                format!("({} {s} {})", d(*x), d(*y))
            }
            Op::Mul(x, y) => format!("({} * {})", d(*x), d(*y)),
            Op::Cmp(c, x, y) => format!("({} {} {})", d(*x), c.verilog(), d(*y)),
            Op::ReduceOr(a) => format!("|{}", d(*a)),
            Op::ReduceAnd(a) => format!("&{}", d(*a)),
            Op::ReduceXor(a) => format!("^{}", d(*a)),
            Op::Mux(s, a, b) => format!("({} ? {} : {})", d(*s), d(*a), d(*b)),
            Op::Cat(v) => format!(
                "{{{}}}",
                v.iter().map(|&a| d(a)).collect::<Vec<_>>().join(", ")
            ),
            Op::Slice(a, lo) => format!("{}[{}:{lo}]", d(*a), lo + n.width - 1),
            Op::Ext(a) => format!("ext({})", d(*a)),
            Op::Cast(a) => format!("cast({})", d(*a)),
            Op::MemRead(m, a) => format!("{}[{}]", self.mems[*m].name, d(*a)),
            Op::Index(a, i) => format!("{}[{}]", d(*a), d(*i)),
            Op::Shr(a, i) => format!("({} >> {})", d(*a), d(*i)),
            Op::InstOut(i, p) => format!(
                "`{}.{}`",
                self.insts[*i].name, self.insts[*i].child.g.ports[*p].name
            ),
        }
    }

    fn type_of(&self, id: NodeId) -> String {
        let n = &self.nodes[id];
        format!(
            "{} ({} bits {})",
            self.describe(id),
            n.width,
            if n.signed { "signed" } else { "unsigned" }
        )
    }

    /// The nodes that drive the output ports.
    pub(crate) fn output_drivers(&self) -> Vec<NodeId> {
        self.ports
            .iter()
            .filter(|p| p.dir == PortDir::Out)
            .filter_map(|p| p.node)
            .collect()
    }

    /// Register `r`'s next value as assigned so far, seen from the innermost scope.
    fn current_d(&self, r: usize) -> NodeId {
        self.scopes
            .iter()
            .rev()
            .find_map(|(_, s)| s.get(&r).copied())
            .unwrap_or(self.regs[r].d)
    }

    /// Sets register `r`'s next value in the innermost scope.
    fn put_d(&mut self, r: usize, d: NodeId) {
        match self.scopes.last_mut() {
            Some((_, s)) => {
                s.insert(r, d);
            }
            None => self.regs[r].d = d,
        }
        self.regs[r].assigned = true;
    }

    /// Merges the assignments of branches into the enclosing scope: for each register assigned
    /// in any branch, `c_0 ? v_0 : c_1 ? v_1 : ... : v_else`, a branch that does not assign it
    /// giving its value before.
    fn merge(
        &mut self,
        arms: Vec<(NodeId, BTreeMap<usize, NodeId>)>,
        other: BTreeMap<usize, NodeId>,
    ) {
        let mut regs: Vec<usize> = arms.iter().flat_map(|(_, s)| s.keys().copied()).collect();
        regs.extend(other.keys().copied());
        regs.sort_unstable();
        regs.dedup();
        for r in regs {
            let old = self.current_d(r);
            let (w, sg) = (self.nodes[old].width, self.nodes[old].signed);
            let mut d = other.get(&r).copied().unwrap_or(old);
            for (c, s) in arms.iter().rev() {
                match s.get(&r) {
                    Some(&v) => d = self.add(Op::Mux(*c, v, d), w, sg),
                    // an arm that holds: only where the rest of the chain would not hold too
                    None if d != old => d = self.add(Op::Mux(*c, old, d), w, sg),
                    None => {}
                }
            }
            self.put_d(r, d);
        }
    }

    /// Runs a branch body in a fresh scope; returns what it assigned.
    fn branch(
        g: &Rc<RefCell<Graph>>,
        c: NodeId,
        m: &mut Module,
        body: impl FnOnce(&mut Module),
    ) -> BTreeMap<usize, NodeId> {
        g.borrow_mut().scopes.push((c, BTreeMap::new()));
        body(m);
        g.borrow_mut().scopes.pop().unwrap().1
    }

    /// The conjunction of the enclosing conditions (for memory writes), if any.
    fn conjunction(&mut self) -> Option<NodeId> {
        let conds: Vec<NodeId> = self.scopes.iter().map(|(c, _)| *c).collect();
        let mut it = conds.into_iter();
        let first = it.next()?;
        Some(it.fold(first, |a, c| self.add(Op::Bin(Bin::And, a, c), 1, false)))
    }
}

/// A module being described: ports, registers, memories and the logic between them. Build it,
/// then [`Module::finish`] it into a [`Circuit`].
pub struct Module {
    g: Rc<RefCell<Graph>>,
}

/// A value in a module: a node of its graph, with its width and signedness.
#[derive(Clone)]
pub struct Signal {
    g: Rc<RefCell<Graph>>,
    id: NodeId,
    width: u32,
    signed: bool,
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.g.borrow().type_of(self.id))
    }
}

/// A register: its output is a [`Signal`] (`Deref`); its next value is set by [`Reg::set`]
/// (under the enclosing [`Module::when`]s; the last assignment wins) and otherwise held.
#[derive(Clone, Debug)]
pub struct Reg {
    q: Signal,
    idx: usize,
}

impl std::ops::Deref for Reg {
    type Target = Signal;
    fn deref(&self) -> &Signal {
        &self.q
    }
}

/// A memory of `depth` words (a power of two) of one width, with synchronous write ports and
/// combinational reads; a register of a read ([`Mem::read`] into a [`Reg`]) is the registered
/// read port yosys maps to block RAM.
#[derive(Clone)]
pub struct Mem {
    g: Rc<RefCell<Graph>>,
    idx: usize,
    width: u32,
    addr_bits: u32,
}

/// An instance of a child circuit in a module (see [`Module::instance`]): its inputs are
/// driven by [`Inst::set`], its outputs read by [`Inst::out`].
#[derive(Clone)]
pub struct Inst {
    g: Rc<RefCell<Graph>>,
    idx: usize,
}

/// The arms of a [`Module::switch`].
pub struct Switch<'a> {
    m: &'a mut Module,
    sel: Signal,
    seen: Vec<i128>,
    arms: Vec<(NodeId, BTreeMap<usize, NodeId>)>,
    default: Option<BTreeMap<usize, NodeId>>,
}

impl Switch<'_> {
    /// Runs `body` (its register assignments) when the selector equals `value`.
    #[track_caller]
    pub fn case(&mut self, value: i128, body: impl FnOnce(&mut Module)) {
        assert!(
            !self.seen.contains(&value) && self.default.is_none(),
            "ir: module {}: switch on {:?}: the value {value} has two arms, or follows the \
             default",
            self.m.g.borrow().kind,
            self.sel
        );
        self.seen.push(value);
        let hit = self.sel.is(value);
        let g = self.m.g.clone();
        let s = Graph::branch(&g, hit.id, self.m, body);
        self.arms.push((hit.id, s));
    }

    /// Runs `body` when no arm matches.
    #[track_caller]
    pub fn default(&mut self, body: impl FnOnce(&mut Module)) {
        assert!(self.default.is_none(), "ir: switch: two defaults");
        let g = self.m.g.clone();
        let miss = self
            .arms
            .iter()
            .map(|(h, _)| *h)
            .reduce(|a, h| g.borrow_mut().add(Op::Bin(Bin::Or, a, h), 1, false))
            .map(|any| g.borrow_mut().add(Op::Not(any), 1, false))
            .unwrap_or_else(|| g.borrow_mut().constant(1, 1, false));
        self.default = Some(Graph::branch(&g, miss, self.m, body));
    }
}

impl Module {
    /// An empty module of kind `kind` (the base of its Verilog module name) with a one-line
    /// description for the emitted Verilog.
    pub fn new(kind: &str, doc: &str) -> Module {
        check_name(kind);
        Module {
            g: Rc::new(RefCell::new(Graph {
                kind: kind.into(),
                doc: doc.into(),
                nodes: vec![],
                ports: vec![],
                regs: vec![],
                mems: vec![],
                insts: vec![],
                vendor: None,
                clock: None,
                scopes: vec![],
                names: HashSet::new(),
                consts: HashMap::new(),
                states: HashMap::new(),
            })),
        }
    }

    fn sig(&self, id: NodeId) -> Signal {
        let g = self.g.borrow();
        Signal {
            g: self.g.clone(),
            id,
            width: g.nodes[id].width,
            signed: g.nodes[id].signed,
        }
    }

    fn port_in(&mut self, name: &str, width: u32, signed: bool) -> Signal {
        let id = {
            let mut g = self.g.borrow_mut();
            g.claim_name(name);
            let p = g.ports.len();
            let id = g.add(Op::Input(p), width, signed);
            g.nodes[id].name = Some(name.into());
            g.ports.push(Port {
                name: name.into(),
                dir: PortDir::In,
                width,
                signed,
                node: Some(id),
                is_reg: false,
            });
            id
        };
        self.sig(id)
    }

    /// The clock input (one clock per module): registers and memory writes take it.
    pub fn clock(&mut self, name: &str) -> Signal {
        assert!(
            self.g.borrow().clock.is_none(),
            "ir: module {}: a second clock `{name}` (one clock per module)",
            self.g.borrow().kind
        );
        let s = self.port_in(name, 1, false);
        let mut g = self.g.borrow_mut();
        g.clock = Some(g.ports.len() - 1);
        s
    }

    /// An unsigned input port.
    pub fn input(&mut self, name: &str, width: u32) -> Signal {
        self.port_in(name, width, false)
    }

    /// A signed input port.
    pub fn input_s(&mut self, name: &str, width: u32) -> Signal {
        self.port_in(name, width, true)
    }

    /// An output port driven by `value` (its width and signedness).
    #[track_caller]
    pub fn output(&mut self, name: &str, value: &Signal) {
        self.same_module(value);
        let mut g = self.g.borrow_mut();
        g.claim_name(name);
        g.ports.push(Port {
            name: name.into(),
            dir: PortDir::Out,
            width: value.width,
            signed: value.signed,
            node: Some(value.id),
            is_reg: false,
        });
    }

    fn require_clock(&self, what: &str) {
        let g = self.g.borrow();
        assert!(
            g.clock.is_some(),
            "ir: module {}: {what} needs a clock: declare it first with Module::clock",
            g.kind
        );
    }

    fn new_reg(&mut self, name: &str, width: u32, signed: bool, out: bool) -> Reg {
        self.require_clock(&format!("register `{name}`"));
        let (id, idx) = {
            let mut g = self.g.borrow_mut();
            g.claim_name(name);
            let idx = g.regs.len();
            let id = g.add(Op::Reg(idx), width, signed);
            g.nodes[id].name = Some(name.into());
            g.regs.push(RegInfo {
                node: id,
                d: id,
                reset: None,
                enable: None,
                keep: false,
                binary: false,
                assigned: false,
                note: None,
                vendor: None,
            });
            if out {
                g.ports.push(Port {
                    name: name.into(),
                    dir: PortDir::Out,
                    width,
                    signed,
                    node: Some(id),
                    is_reg: true,
                });
            }
            (id, idx)
        };
        Reg {
            q: self.sig(id),
            idx,
        }
    }

    /// An unsigned register (no reset, holds until assigned).
    pub fn reg(&mut self, name: &str, width: u32) -> Reg {
        self.new_reg(name, width, false, false)
    }

    /// A signed register.
    pub fn reg_s(&mut self, name: &str, width: u32) -> Reg {
        self.new_reg(name, width, true, false)
    }

    /// An unsigned output port that is a register (the Verilog output is the flip-flop).
    pub fn output_reg(&mut self, name: &str, width: u32) -> Reg {
        self.new_reg(name, width, false, true)
    }

    /// A signed output port that is a register.
    pub fn output_reg_s(&mut self, name: &str, width: u32) -> Reg {
        self.new_reg(name, width, true, true)
    }

    /// A named wire, driven later by [`Module::assign`] (for logic described out of order).
    pub fn wire(&mut self, name: &str, width: u32, signed: bool) -> Signal {
        let id = {
            let mut g = self.g.borrow_mut();
            g.claim_name(name);
            let id = g.add(Op::Wire(None), width, signed);
            g.nodes[id].name = Some(name.into());
            id
        };
        self.sig(id)
    }

    /// Drives a wire made by [`Module::wire`] (once; same width and signedness).
    #[track_caller]
    pub fn assign(&mut self, wire: &Signal, value: &Signal) {
        self.same_module(wire);
        self.same_module(value);
        let mut g = self.g.borrow_mut();
        let tw = g.type_of(wire.id);
        let tv = g.type_of(value.id);
        let kind = g.kind.clone();
        match &mut g.nodes[wire.id].op {
            Op::Wire(d @ None) => *d = Some(value.id),
            Op::Wire(Some(_)) => panic!("ir: module {kind}: wire {tw} is assigned twice"),
            _ => panic!("ir: module {kind}: {tw} is not a wire made by Module::wire"),
        }
        assert!(
            wire.width == value.width && wire.signed == value.signed,
            "ir: module {kind}: assign: {tw} cannot take {tv}"
        );
    }

    /// A memory `name` of `depth` words (a power of two, at least 2) of `width` bits.
    #[track_caller]
    pub fn memory(&mut self, name: &str, width: u32, depth: usize) -> Mem {
        self.require_clock(&format!("memory `{name}`"));
        let mut g = self.g.borrow_mut();
        assert!(
            depth >= 2 && depth.is_power_of_two(),
            "ir: module {}: memory `{name}` has {depth} words; a memory has a power of two, \
             at least 2",
            g.kind
        );
        assert!(
            (1..=MAX_WIDTH).contains(&width),
            "ir: module {}: memory `{name}` words of {width} bits",
            g.kind
        );
        g.claim_name(name);
        let addr_bits = depth.trailing_zeros();
        g.mems.push(MemInfo {
            name: name.into(),
            width,
            depth,
            writes: vec![],
        });
        Mem {
            g: self.g.clone(),
            idx: g.mems.len() - 1,
            width,
            addr_bits,
        }
    }

    /// An instance `name` of the circuit `child` (emitted as a Verilog instance of the
    /// child's module, simulated inlined). The child's clock is this module's clock; its other
    /// inputs must each be driven once with [`Inst::set`] before [`Module::finish`].
    #[track_caller]
    pub fn instance(&mut self, name: &str, child: &super::Circuit) -> Inst {
        let child = Rc::new(child.clone());
        if child.g.clock.is_some() {
            self.require_clock(&format!("instance `{name}`"));
        }
        let mut g = self.g.borrow_mut();
        g.claim_name(name);
        let np = child.g.ports.len();
        let mut inputs = vec![None; np];
        if let (Some(cp), Some(pp)) = (child.g.clock, g.clock) {
            inputs[cp] = g.ports[pp].node;
        }
        g.insts.push(InstInfo {
            name: name.into(),
            child,
            inputs,
            outs: vec![None; np],
        });
        Inst {
            g: self.g.clone(),
            idx: g.insts.len() - 1,
        }
    }

    /// Emits `text` instead of the described logic when the Verilog macro `define` is set (a
    /// vendor primitive for one flow, e.g. an ECP5 DSP). The text must behave as the
    /// description does; the simulation and every other flow use the description.
    pub fn vendor_text(&mut self, define: &str, text: &str) {
        self.g.borrow_mut().vendor = Some((define.into(), text.into()));
    }

    /// An unsigned constant of `width` bits; `value` must fit.
    #[track_caller]
    pub fn lit(&self, width: u32, value: u128) -> Signal {
        assert!(
            (1..=MAX_WIDTH).contains(&width) && value & !mask(width) == 0,
            "ir: constant {value} does not fit {width} unsigned bits"
        );
        let id = self.g.borrow_mut().constant(value, width, false);
        self.sig(id)
    }

    /// A signed constant of `width` bits; `value` must fit.
    #[track_caller]
    pub fn lit_s(&self, width: u32, value: i128) -> Signal {
        let lo = -(1i128 << (width.clamp(1, 127) - 1));
        assert!(
            (1..=127).contains(&width) && value >= lo && value < -lo,
            "ir: constant {value} does not fit {width} signed bits"
        );
        let id = self.g.borrow_mut().constant(value as u128, width, true);
        self.sig(id)
    }

    /// Runs `body` with its register assignments (and memory writes) conditioned on `cond`
    /// (1 bit), within the conditions of the enclosing `when`s.
    #[track_caller]
    pub fn when(&mut self, cond: &Signal, body: impl FnOnce(&mut Module)) {
        self.same_module(cond);
        cond.check_bit("when");
        let g = self.g.clone();
        let s = Graph::branch(&g, cond.id, self, body);
        g.borrow_mut().merge(vec![(cond.id, s)], BTreeMap::new());
    }

    /// [`Module::when`] with an else branch.
    #[track_caller]
    pub fn when_else(
        &mut self,
        cond: &Signal,
        then: impl FnOnce(&mut Module),
        otherwise: impl FnOnce(&mut Module),
    ) {
        self.same_module(cond);
        cond.check_bit("when_else");
        let g = self.g.clone();
        let st = Graph::branch(&g, cond.id, self, then);
        let not = cond.not();
        let se = Graph::branch(&g, not.id, self, otherwise);
        g.borrow_mut().merge(vec![(cond.id, st)], se);
    }

    /// A case statement on `sel`: `arms` adds the arms with [`Switch::case`] (distinct values)
    /// and at most one [`Switch::default`] (when no arm matches).
    #[track_caller]
    pub fn switch(&mut self, sel: &Signal, arms: impl FnOnce(&mut Switch<'_>)) {
        self.same_module(sel);
        let mut sw = Switch {
            m: self,
            sel: sel.clone(),
            seen: vec![],
            arms: vec![],
            default: None,
        };
        arms(&mut sw);
        let Switch {
            m, arms, default, ..
        } = sw;
        m.g.borrow_mut().merge(arms, default.unwrap_or_default());
    }

    #[track_caller]
    fn same_module(&self, s: &Signal) {
        assert!(
            Rc::ptr_eq(&self.g, &s.g),
            "ir: module {}: {:?} belongs to another module",
            self.g.borrow().kind,
            s
        );
    }

    /// Checks the description and freezes it. Panics (naming the signals) if an output or a
    /// wire is undriven, a register is neither assigned nor reset, or the combinational logic
    /// has a loop.
    pub fn finish(self) -> super::Circuit {
        let g = self.g.borrow().clone();
        super::Circuit::new(g)
    }
}

impl Signal {
    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Whether the value is signed (two's complement).
    pub fn signed(&self) -> bool {
        self.signed
    }

    fn mk(&self, op: Op, width: u32, signed: bool) -> Signal {
        let id = self.g.borrow_mut().add(op, width, signed);
        Signal {
            g: self.g.clone(),
            id,
            width,
            signed,
        }
    }

    #[track_caller]
    fn same(&self, what: &str, o: &Signal) {
        assert!(
            Rc::ptr_eq(&self.g, &o.g),
            "ir: {what}: {:?} and {:?} belong to different modules",
            self,
            o
        );
        if self.width != o.width || self.signed != o.signed {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: {what}: operands differ: {} and {}; resize or cast one \
                 explicitly (ext, trunc, resize, as_signed, as_unsigned)",
                g.kind,
                g.type_of(self.id),
                g.type_of(o.id)
            );
        }
    }

    #[track_caller]
    fn check_bit(&self, what: &str) {
        if self.width != 1 {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: {what} takes a 1-bit condition, not {}",
                g.kind,
                g.type_of(self.id)
            );
        }
    }

    /// Names this value: the name becomes the Verilog name of a wire holding it.
    pub fn named(&self, name: &str) -> Signal {
        let mut g = self.g.borrow_mut();
        g.claim_name(name);
        let needs_wire = g.nodes[self.id].name.is_some()
            || matches!(
                g.nodes[self.id].op,
                Op::Const(_) | Op::Input(_) | Op::Reg(_)
            );
        drop(g);
        let s = if needs_wire {
            self.mk(Op::Wire(Some(self.id)), self.width, self.signed)
        } else {
            self.clone()
        };
        s.g.borrow_mut().nodes[s.id].name = Some(name.into());
        s
    }

    /// A constant of this signal's width and signedness; `value` must fit. Of a register
    /// with named values ([`Reg::states`]), a named value is its named constant.
    #[track_caller]
    pub fn lit(&self, value: i128) -> Signal {
        let named = self
            .g
            .borrow()
            .states
            .get(&(self.id, value as u128 & mask(self.width)))
            .copied();
        if let Some(id) = named {
            return Signal {
                g: self.g.clone(),
                id,
                width: self.width,
                signed: self.signed,
            };
        }
        let w = self.width;
        let fits = if self.signed {
            let lo = -(1i128 << (w.min(127) - 1));
            value >= lo && value < -lo
        } else {
            value >= 0 && (value as u128) & !mask(w) == 0
        };
        assert!(
            fits,
            "ir: module {}: constant {value} does not fit {} bits {} (the type of {})",
            self.g.borrow().kind,
            w,
            if self.signed { "signed" } else { "unsigned" },
            self.g.borrow().describe(self.id)
        );
        let id = self
            .g
            .borrow_mut()
            .constant(value as u128, self.width, self.signed);
        Signal {
            g: self.g.clone(),
            id,
            width: self.width,
            signed: self.signed,
        }
    }

    /// Bitwise not (`!` of a 1-bit value).
    pub fn not(&self) -> Signal {
        self.mk(Op::Not(self.id), self.width, self.signed)
    }

    #[track_caller]
    fn bin(&self, b: Bin, o: &Signal, what: &str) -> Signal {
        self.same(what, o);
        self.mk(Op::Bin(b, self.id, o.id), self.width, self.signed)
    }

    /// Bitwise and (logical and of 1-bit values); widths and signedness must agree.
    #[track_caller]
    pub fn and(&self, o: &Signal) -> Signal {
        self.bin(Bin::And, o, "and")
    }
    /// Bitwise or.
    #[track_caller]
    pub fn or(&self, o: &Signal) -> Signal {
        self.bin(Bin::Or, o, "or")
    }
    /// Bitwise exclusive or.
    #[track_caller]
    pub fn xor(&self, o: &Signal) -> Signal {
        self.bin(Bin::Xor, o, "xor")
    }

    /// `self + o` modulo 2^width (the operands' width).
    #[track_caller]
    pub fn add_wrap(&self, o: &Signal) -> Signal {
        self.bin(Bin::Add, o, "add_wrap")
    }
    /// `self - o` modulo 2^width.
    #[track_caller]
    pub fn sub_wrap(&self, o: &Signal) -> Signal {
        self.bin(Bin::Sub, o, "sub_wrap")
    }
    /// `self + o` exactly, in width + 1 bits.
    #[track_caller]
    pub fn add(&self, o: &Signal) -> Signal {
        self.same("add", o);
        let w = self.width + 1;
        self.ext(w).add_wrap(&o.ext(w))
    }
    /// `self - o` exactly, in width + 1 bits: signed (the difference of two unsigned values
    /// can be negative).
    #[track_caller]
    pub fn sub(&self, o: &Signal) -> Signal {
        self.same("sub", o);
        let w = self.width + 1;
        let d = self.ext(w).sub_wrap(&o.ext(w));
        if self.signed {
            d
        } else {
            d.as_signed()
        }
    }
    /// `self * o` exactly: width = the sum of the widths; both operands of one signedness.
    #[track_caller]
    pub fn mul(&self, o: &Signal) -> Signal {
        assert!(
            Rc::ptr_eq(&self.g, &o.g),
            "ir: mul: operands from different modules"
        );
        if self.signed != o.signed {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: mul: operands of different signedness: {} and {}",
                g.kind,
                g.type_of(self.id),
                g.type_of(o.id)
            );
        }
        self.mk(Op::Mul(self.id, o.id), self.width + o.width, self.signed)
    }

    #[track_caller]
    fn cmp(&self, c: Cmp, o: &Signal, what: &str) -> Signal {
        self.same(what, o);
        self.mk(Op::Cmp(c, self.id, o.id), 1, false)
    }
    /// `self == o` (1 bit).
    #[track_caller]
    pub fn eq(&self, o: &Signal) -> Signal {
        self.cmp(Cmp::Eq, o, "eq")
    }
    /// `self != o`.
    #[track_caller]
    pub fn ne(&self, o: &Signal) -> Signal {
        self.cmp(Cmp::Ne, o, "ne")
    }
    /// `self < o` (signed comparison for signed operands).
    #[track_caller]
    pub fn lt(&self, o: &Signal) -> Signal {
        self.cmp(Cmp::Lt, o, "lt")
    }
    /// `self <= o`.
    #[track_caller]
    pub fn le(&self, o: &Signal) -> Signal {
        self.cmp(Cmp::Le, o, "le")
    }
    /// `self > o`.
    #[track_caller]
    pub fn gt(&self, o: &Signal) -> Signal {
        self.cmp(Cmp::Gt, o, "gt")
    }
    /// `self >= o`.
    #[track_caller]
    pub fn ge(&self, o: &Signal) -> Signal {
        self.cmp(Cmp::Ge, o, "ge")
    }
    /// `self == value` for a constant that fits this signal (1 bit).
    #[track_caller]
    pub fn is(&self, value: i128) -> Signal {
        self.eq(&self.lit(value))
    }

    /// OR of all bits (1 bit).
    pub fn any(&self) -> Signal {
        self.mk(Op::ReduceOr(self.id), 1, false)
    }
    /// AND of all bits (1 bit).
    pub fn all(&self) -> Signal {
        self.mk(Op::ReduceAnd(self.id), 1, false)
    }
    /// XOR of all bits (1 bit).
    pub fn parity(&self) -> Signal {
        self.mk(Op::ReduceXor(self.id), 1, false)
    }

    /// `self ? a : b` for a 1-bit `self`; `a` and `b` agree in width and signedness.
    #[track_caller]
    pub fn mux(&self, a: &Signal, b: &Signal) -> Signal {
        self.check_bit("mux");
        a.same("mux", b);
        self.same_graph(a);
        self.mk(Op::Mux(self.id, a.id, b.id), a.width, a.signed)
    }

    fn same_graph(&self, o: &Signal) {
        assert!(
            Rc::ptr_eq(&self.g, &o.g),
            "ir: signals from different modules"
        );
    }

    /// Bits `hi..=lo` (unsigned, hi - lo + 1 bits).
    #[track_caller]
    pub fn slice(&self, hi: u32, lo: u32) -> Signal {
        if !(lo <= hi && hi < self.width) {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: slice [{hi}:{lo}] of {}",
                g.kind,
                g.type_of(self.id)
            );
        }
        if lo == 0 && hi == self.width - 1 && !self.signed {
            return self.clone();
        }
        self.mk(Op::Slice(self.id, lo), hi - lo + 1, false)
    }
    /// Bit `i` (1 bit).
    #[track_caller]
    pub fn bit(&self, i: u32) -> Signal {
        self.slice(i, i)
    }
    /// The most significant bit (the sign of a signed value).
    pub fn msb(&self) -> Signal {
        self.bit(self.width - 1)
    }
    /// Bit `idx` for a run-time index: the width must be a power of two and `idx` exactly
    /// log2(width) bits wide, so every index is in range.
    #[track_caller]
    pub fn index(&self, idx: &Signal) -> Signal {
        self.same_graph(idx);
        let ok = self.width.is_power_of_two()
            && self.width >= 2
            && idx.width == self.width.trailing_zeros()
            && !idx.signed;
        if !ok {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: index: {} by {}: the width must be a power of two and the \
                 index an unsigned of log2 of it",
                g.kind,
                g.type_of(self.id),
                g.type_of(idx.id)
            );
        }
        self.mk(Op::Index(self.id, idx.id), 1, false)
    }

    /// Widens to `width` (>= this width): sign-extends a signed value, zero-extends an
    /// unsigned one.
    #[track_caller]
    pub fn ext(&self, width: u32) -> Signal {
        if width < self.width {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: ext to {width} bits narrows {}; use trunc or resize",
                g.kind,
                g.type_of(self.id)
            );
        }
        if width == self.width {
            return self.clone();
        }
        self.mk(Op::Ext(self.id), width, self.signed)
    }
    /// Keeps the low `width` (<= this width) bits, same signedness.
    #[track_caller]
    pub fn trunc(&self, width: u32) -> Signal {
        if width > self.width || width == 0 {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: trunc to {width} bits widens {}; use ext or resize",
                g.kind,
                g.type_of(self.id)
            );
        }
        if width == self.width {
            return self.clone();
        }
        let s = self.slice(width - 1, 0);
        if self.signed {
            s.as_signed()
        } else {
            s
        }
    }
    /// [`Signal::ext`] or [`Signal::trunc`] to `width`.
    #[track_caller]
    pub fn resize(&self, width: u32) -> Signal {
        if width >= self.width {
            self.ext(width)
        } else {
            self.trunc(width)
        }
    }
    /// The same bits, read as signed.
    pub fn as_signed(&self) -> Signal {
        if self.signed {
            return self.clone();
        }
        self.mk(Op::Cast(self.id), self.width, true)
    }
    /// The same bits, read as unsigned.
    pub fn as_unsigned(&self) -> Signal {
        if !self.signed {
            return self.clone();
        }
        self.mk(Op::Cast(self.id), self.width, false)
    }
    /// Shifted left by a constant `k`, same width (zeros in, high bits out).
    #[track_caller]
    pub fn shl(&self, k: u32) -> Signal {
        if k == 0 {
            return self.clone();
        }
        assert!(
            k < self.width,
            "ir: shl by {k} of a {}-bit value",
            self.width
        );
        let z = self.g.borrow_mut().constant(0, k, false);
        let lo = self.slice(self.width - 1 - k, 0);
        let r = self.mk(Op::Cat(vec![lo.id, z]), self.width, false);
        if self.signed {
            r.as_signed()
        } else {
            r
        }
    }
    /// Shifted right by the unsigned amount `amt` (zeros in), same width; `self` unsigned.
    #[track_caller]
    pub fn shr_by(&self, amt: &Signal) -> Signal {
        self.same_graph(amt);
        assert!(
            !self.signed && !amt.signed,
            "ir: shr_by: {:?} by {:?}: both unsigned",
            self,
            amt
        );
        self.mk(Op::Shr(self.id, amt.id), self.width, false)
    }

    /// Shifted right by a constant `k`, same width: sign bits in for a signed value, zeros
    /// otherwise.
    #[track_caller]
    pub fn shr(&self, k: u32) -> Signal {
        if k == 0 {
            return self.clone();
        }
        assert!(
            k < self.width,
            "ir: shr by {k} of a {}-bit value",
            self.width
        );
        let hi = self.slice(self.width - 1, k);
        if self.signed {
            hi.as_signed().ext(self.width)
        } else {
            hi.ext(self.width)
        }
    }
}

/// Concatenation, most significant part first (unsigned, the sum of the widths).
#[track_caller]
pub fn cat(parts: &[&Signal]) -> Signal {
    assert!(!parts.is_empty(), "ir: cat of nothing");
    let first = parts[0];
    for p in parts {
        first.same_graph(p);
    }
    if parts.len() == 1 {
        return first.as_unsigned();
    }
    let w: u32 = parts.iter().map(|p| p.width).sum();
    first.mk(Op::Cat(parts.iter().map(|p| p.id).collect()), w, false)
}

/// Priority select: the value of the first arm whose condition is high, else `default`.
#[track_caller]
pub fn select(arms: &[(&Signal, &Signal)], default: &Signal) -> Signal {
    arms.iter()
        .rev()
        .fold(default.clone(), |acc, (c, v)| c.mux(v, &acc))
}

/// Case select: the value of the arm whose constant equals `sel`, else `default`.
#[track_caller]
pub fn case(sel: &Signal, arms: &[(i128, &Signal)], default: &Signal) -> Signal {
    arms.iter()
        .rev()
        .fold(default.clone(), |acc, (k, v)| sel.is(*k).mux(v, &acc))
}

impl Reg {
    /// Sets the next value (under the enclosing `when`s; the last assignment wins).
    #[track_caller]
    pub fn set(&self, value: &Signal) {
        self.q.same("register assignment", value);
        self.q.g.borrow_mut().put_d(self.idx, value.id);
    }

    /// A synchronous reset: while `rst` (1 bit) is high at an edge, the register takes
    /// `value` (which must fit it).
    #[track_caller]
    pub fn reset(self, rst: &Signal, value: i128) -> Reg {
        rst.check_bit("reset");
        self.q.same_graph(rst);
        let v = self.q.lit(value); // checks the fit
        let bits = match &self.q.g.borrow().nodes[v.id].op {
            Op::Const(b) => *b,
            _ => unreachable!(),
        };
        self.q.g.borrow_mut().regs[self.idx].reset = Some((rst.id, bits));
        self
    }

    /// A clock enable: the register changes only at edges where `en` is high (reset wins).
    #[track_caller]
    pub fn enable(self, en: &Signal) -> Reg {
        en.check_bit("enable");
        self.q.same_graph(en);
        self.q.g.borrow_mut().regs[self.idx].enable = Some(en.id);
        self
    }

    /// Marks the flip-flop `keep`: synthesis keeps it apart from equal ones.
    pub fn keep(self) -> Reg {
        self.q.g.borrow_mut().regs[self.idx].keep = true;
        self
    }

    /// Keeps the register's encoding through synthesis (`(* fsm_encoding = "none" *)`): a
    /// state register whose next value is chosen last by a late signal, so that yosys does
    /// not re-encode it and put its decode in front of that choice.
    pub fn binary(self) -> Reg {
        self.q.g.borrow_mut().regs[self.idx].binary = true;
        self
    }

    /// Names some of the register's values (a state register's states): each becomes a
    /// `localparam` of the Verilog, and [`Signal::lit`] (hence `is`, a switch's arms, and any
    /// constant made from the register) gives the named constant for that value.
    #[track_caller]
    pub fn states(self, names: &[(&str, i128)]) -> Reg {
        for &(name, value) in names {
            let v = self.q.lit(value); // checks the fit
            let bits = match &self.q.g.borrow().nodes[v.id].op {
                Op::Const(b) => *b,
                _ => unreachable!(),
            };
            let mut g = self.q.g.borrow_mut();
            assert!(
                !g.states.contains_key(&(self.q.id, bits)),
                "ir: module {}: {name}: the value {value} of {} is named twice",
                g.kind,
                g.describe(self.q.id)
            );
            g.claim_name(name);
            let id = g.add(Op::Const(bits), self.q.width, self.q.signed);
            g.nodes[id].name = Some(name.into());
            g.states.insert((self.q.id, bits), id);
        }
        self
    }

    /// A comment for the Verilog, written above the register's declaration.
    pub fn note(self, text: &str) -> Reg {
        self.q.g.borrow_mut().regs[self.idx].note = Some(text.into());
        self
    }

    /// Under the Verilog macro `define`, `text` drives the register instead of its always
    /// block (a vendor cell holding it, e.g. a DSP's product register; `text` must behave as
    /// the description does). The simulation and the other flows use the description.
    pub fn vendor(self, define: &str, text: &str) -> Reg {
        self.q.g.borrow_mut().regs[self.idx].vendor = Some((define.into(), text.into()));
        self
    }

    /// The register's output as a plain signal.
    pub fn q(&self) -> Signal {
        self.q.clone()
    }
}

impl Inst {
    fn port(&self, name: &str) -> (usize, PortDir, u32, bool) {
        let g = self.g.borrow();
        let inst = &g.insts[self.idx];
        let (i, p) = inst
            .child
            .g
            .ports
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "ir: module {}: instance `{}` ({}) has no port `{name}`",
                    g.kind, inst.name, inst.child.g.kind
                )
            });
        (i, p.dir, p.width, p.signed)
    }

    /// Drives input `port` of the instance with `value` (same width and signedness; once).
    #[track_caller]
    pub fn set(&self, port: &str, value: &Signal) {
        assert!(
            Rc::ptr_eq(&self.g, &value.g),
            "ir: instance input `{port}`: {value:?} belongs to another module"
        );
        let (i, dir, w, sg) = self.port(port);
        let mut g = self.g.borrow_mut();
        let kind = g.kind.clone();
        let iname = g.insts[self.idx].name.clone();
        assert!(
            dir == PortDir::In && Some(i) != g.insts[self.idx].child.g.clock,
            "ir: module {kind}: `{iname}.{port}` is not an input to drive"
        );
        assert!(
            g.insts[self.idx].inputs[i].is_none(),
            "ir: module {kind}: `{iname}.{port}` is driven twice"
        );
        assert!(
            value.width == w && value.signed == sg,
            "ir: module {kind}: `{iname}.{port}` ({w} bits {}) cannot take {}",
            if sg { "signed" } else { "unsigned" },
            g.type_of(value.id)
        );
        g.insts[self.idx].inputs[i] = Some(value.id);
    }

    /// Output `port` of the instance.
    #[track_caller]
    pub fn out(&self, port: &str) -> Signal {
        let (i, dir, w, sg) = self.port(port);
        let mut g = self.g.borrow_mut();
        assert!(
            dir == PortDir::Out,
            "ir: module {}: `{}.{port}` is an input",
            g.kind,
            g.insts[self.idx].name
        );
        let id = match g.insts[self.idx].outs[i] {
            Some(id) => id,
            None => {
                let id = g.add(Op::InstOut(self.idx, i), w, sg);
                g.insts[self.idx].outs[i] = Some(id);
                id
            }
        };
        Signal {
            g: self.g.clone(),
            id,
            width: w,
            signed: sg,
        }
    }
}

impl Mem {
    /// Combinational read at `addr` (unsigned, log2(depth) bits).
    #[track_caller]
    pub fn read(&self, addr: &Signal) -> Signal {
        self.check_addr("read", addr);
        addr.mk(Op::MemRead(self.idx, addr.id), self.width, false)
    }

    /// A synchronous write port: at an edge where `we` is high, word `addr` takes `data`.
    #[track_caller]
    pub fn write(&self, we: &Signal, addr: &Signal, data: &Signal) {
        we.check_bit("memory write enable");
        self.check_addr("write", addr);
        assert!(
            Rc::ptr_eq(&self.g, &we.g) && Rc::ptr_eq(&self.g, &data.g),
            "ir: memory write: signals from another module"
        );
        let mut g = self.g.borrow_mut();
        let m = &g.mems[self.idx];
        if data.width != m.width {
            panic!(
                "ir: module {}: memory `{}` holds {} bits, written with {}",
                g.kind,
                m.name,
                m.width,
                g.type_of(data.id)
            );
        }
        let we = match g.conjunction() {
            Some(c) => g.add(Op::Bin(Bin::And, c, we.id), 1, false),
            None => we.id,
        };
        g.mems[self.idx].writes.push((we, addr.id, data.id));
    }

    /// Word width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Address width.
    pub fn addr_bits(&self) -> u32 {
        self.addr_bits
    }

    #[track_caller]
    fn check_addr(&self, what: &str, addr: &Signal) {
        assert!(
            Rc::ptr_eq(&self.g, &addr.g),
            "ir: memory {what}: address from another module"
        );
        if addr.width != self.addr_bits || addr.signed {
            let g = self.g.borrow();
            panic!(
                "ir: module {}: memory `{}` {what}: the address must be {} bits unsigned, \
                 not {}",
                g.kind,
                g.mems[self.idx].name,
                self.addr_bits,
                g.type_of(addr.id)
            );
        }
    }
}

pub(crate) fn mask_of(width: u32) -> u128 {
    mask(width)
}
