//! The description layer: a hardware block described once, in Rust, with widths chosen at run
//! time; its Verilog and its cycle simulation are both produced from that one description.
//!
//! - [`Module`]: the builder (ports, wires, registers with synchronous reset and enable,
//!   memories, `when`/`switch` for conditional register assignment); [`Signal`]: a value of
//!   an explicit width and signedness, with explicit-width arithmetic ([`Signal::add`] is
//!   width + 1, [`Signal::add_wrap`] the operands' width, [`Signal::mul`] the sum of the widths;
//!   operands that differ in width or signedness are a build error naming both);
//! - [`Circuit`]: a finished module, checked (no undriven output, no combinational loop) and
//!   frozen;
//! - [`verilog`]: the Verilog of a circuit (readable, lint-clean, names from the description);
//! - [`sim`]: the circuit compiled to a flat instruction list over `u128` words and run cycle by
//!   cycle;
//! - [`leaf`]: the adapter that makes a circuit a leaf [`crate::kit::Component`] inside today's
//!   structures (its `update`/`tick` run the simulation, its `hdl` is the emitted Verilog).
//!
//! See `docs/hdl-layer.md` for how a block is written, simulated, emitted and tested.

pub mod graph;
pub mod leaf;
pub mod sim;
pub mod verilog;

pub use graph::{case, cat, select, Inst, Mem, Module, PortDir, Reg, Signal, Switch, MAX_WIDTH};
pub use leaf::IrBlock;
pub use sim::Sim;

use graph::{Graph, NodeId, Op};
use sha2::{Digest, Sha256};

/// A finished module: its graph, checked, with the live nodes in a topological order.
#[derive(Clone, Debug)]
pub struct Circuit {
    pub(crate) g: Graph,
    /// Live nodes, each after its combinational operands (registers and inputs are sources).
    pub(crate) order: Vec<NodeId>,
    /// How many times each live node is read (by live nodes, outputs, registers, memories,
    /// instances).
    pub(crate) uses: Vec<u32>,
    /// Per port: for an output, the input ports it depends on within a cycle (through
    /// combinational logic only); empty for inputs.
    pub(crate) comb_in: Vec<Vec<usize>>,
    /// Per instance: whether any of its outputs is read by live logic.
    pub(crate) inst_live: Vec<bool>,
}

impl Circuit {
    pub(crate) fn new(g: Graph) -> Circuit {
        let kind = g.kind.clone();
        // Every wire driven; every register assigned or reset.
        for n in &g.nodes {
            if let (Op::Wire(None), Some(name)) = (&n.op, &n.name) {
                panic!("ir: module {kind}: wire `{name}` is never assigned");
            }
        }
        for r in &g.regs {
            if !r.assigned && r.reset.is_none() {
                panic!(
                    "ir: module {kind}: register {} is never assigned",
                    g.describe(r.node)
                );
            }
        }
        assert!(
            g.ports.iter().any(|p| p.dir == PortDir::Out),
            "ir: module {kind} has no output"
        );
        for inst in &g.insts {
            for (i, p) in inst.child.g.ports.iter().enumerate() {
                if p.dir == PortDir::In && inst.inputs[i].is_none() {
                    panic!(
                        "ir: module {kind}: input `{}.{}` of instance `{}` ({}) is never driven",
                        inst.name, p.name, inst.name, inst.child.g.kind
                    );
                }
            }
        }
        // Liveness: from the outputs, through registers' next values and memories' writes.
        let n = g.nodes.len();
        let mut live = vec![false; n];
        let mut mem_live = vec![false; g.mems.len()];
        let mut inst_live = vec![false; g.insts.len()];
        let mut stack: Vec<NodeId> = g.output_drivers();
        while let Some(id) = stack.pop() {
            if live[id] {
                continue;
            }
            live[id] = true;
            let node = &g.nodes[id];
            stack.extend(node.op.args());
            match node.op {
                Op::Reg(r) => {
                    let ri = &g.regs[r];
                    stack.push(ri.d);
                    if let Some((rst, _)) = ri.reset {
                        stack.push(rst);
                    }
                    if let Some(en) = ri.enable {
                        stack.push(en);
                    }
                }
                Op::InstOut(i, _) if !inst_live[i] => {
                    inst_live[i] = true;
                    stack.extend(g.insts[i].inputs.iter().flatten());
                }
                Op::MemRead(m, _) if !mem_live[m] => {
                    mem_live[m] = true;
                    assert!(
                        !g.mems[m].writes.is_empty(),
                        "ir: module {kind}: memory `{}` is read but never written",
                        g.mems[m].name
                    );
                    for &(we, a, d) in &g.mems[m].writes {
                        stack.extend([we, a, d]);
                    }
                }
                _ => {}
            }
        }
        // Topological order of the combinational dependencies (iterative DFS; a node met
        // again while on the path is a loop).
        let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 done
        let mut order = Vec::with_capacity(n);
        for root in 0..n {
            if !live[root] || state[root] != 0 {
                continue;
            }
            let mut path: Vec<(NodeId, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(&mut (id, ref mut k)) = path.last_mut() {
                let args = comb_args(&g, id);
                if *k < args.len() {
                    let a = args[*k];
                    *k += 1;
                    match state[a] {
                        0 => {
                            state[a] = 1;
                            path.push((a, 0));
                        }
                        1 => {
                            let at = path.iter().position(|&(p, _)| p == a).unwrap();
                            let names: Vec<String> =
                                path[at..].iter().map(|&(p, _)| g.describe(p)).collect();
                            panic!(
                                "ir: module {kind}: combinational loop through {}",
                                names.join(" -> ")
                            );
                        }
                        _ => {}
                    }
                } else {
                    state[id] = 2;
                    order.push(id);
                    path.pop();
                }
            }
        }
        // Uses.
        let mut uses = vec![0u32; n];
        for &id in &order {
            for a in g.nodes[id].op.args() {
                uses[a] += 1;
            }
            if let Op::Reg(r) = g.nodes[id].op {
                let ri = &g.regs[r];
                uses[ri.d] += 1;
                if let Some((rst, _)) = ri.reset {
                    uses[rst] += 1;
                }
                if let Some(en) = ri.enable {
                    uses[en] += 1;
                }
            }
        }
        for (m, ml) in mem_live.iter().enumerate() {
            if *ml {
                for &(we, a, d) in &g.mems[m].writes {
                    uses[we] += 1;
                    uses[a] += 1;
                    uses[d] += 1;
                }
            }
        }
        for (i, inst) in g.insts.iter().enumerate() {
            if inst_live[i] {
                for &a in inst.inputs.iter().flatten() {
                    uses[a] += 1;
                }
            }
        }
        for p in g.ports.iter().filter(|p| p.dir == PortDir::Out) {
            uses[p.node.unwrap()] += 1;
        }
        // Combinational dependencies of the outputs on the inputs.
        let mut comb_in = vec![vec![]; g.ports.len()];
        for (pi, p) in g.ports.iter().enumerate() {
            if p.dir != PortDir::Out {
                continue;
            }
            let mut seen = vec![false; n];
            let mut stack = vec![p.node.unwrap()];
            let mut deps = vec![];
            while let Some(id) = stack.pop() {
                if std::mem::replace(&mut seen[id], true) {
                    continue;
                }
                if let Op::Input(k) = g.nodes[id].op {
                    if Some(k) != g.clock {
                        deps.push(k);
                    }
                }
                stack.extend(comb_args(&g, id));
            }
            deps.sort_unstable();
            comb_in[pi] = deps;
        }
        Circuit {
            g,
            order,
            uses,
            comb_in,
            inst_live,
        }
    }

    /// The operand widths of every product the circuit computes (its instances' too): what
    /// synthesis maps to DSP multipliers.
    pub fn products(&self) -> Vec<(u32, u32)> {
        let mut v = vec![];
        for &id in &self.order {
            if let Op::Mul(a, b) = self.g.nodes[id].op {
                v.push((self.g.nodes[a].width, self.g.nodes[b].width));
            }
        }
        for (i, inst) in self.g.insts.iter().enumerate() {
            if self.inst_live[i] {
                v.extend(inst.child.products());
            }
        }
        v
    }

    /// Width and depth of every memory the circuit keeps (its instances' too).
    pub fn memories(&self) -> Vec<(u32, usize)> {
        let mut v: Vec<(u32, usize)> = (0..self.g.mems.len())
            .filter(|&m| self.mem_live(m))
            .map(|m| (self.g.mems[m].width, self.g.mems[m].depth))
            .collect();
        for (i, inst) in self.g.insts.iter().enumerate() {
            if self.inst_live[i] {
                v.extend(inst.child.memories());
            }
        }
        v
    }

    /// The circuit with every instance inlined (names prefixed `<instance>.`): what the
    /// simulation compiles.
    pub(crate) fn flat(&self) -> Circuit {
        if self.g.insts.is_empty() {
            return self.clone();
        }
        Circuit::new(flatten(&self.g))
    }

    /// The module kind (the base of its Verilog module name).
    pub fn kind(&self) -> &str {
        &self.g.kind
    }

    /// Ports in declaration order: (name, direction, width, signed).
    pub fn ports(&self) -> Vec<(&str, PortDir, u32, bool)> {
        self.g
            .ports
            .iter()
            .map(|p| (p.name.as_str(), p.dir, p.width, p.signed))
            .collect()
    }

    /// Whether memory `m` is read by live logic.
    pub(crate) fn mem_live(&self, m: usize) -> bool {
        self.order
            .iter()
            .any(|&id| matches!(self.g.nodes[id].op, Op::MemRead(k, _) if k == m))
    }

    /// The structural key: a digest of everything the circuit is (ports, nodes, registers,
    /// memories, names). Two circuits with the same key emit the same Verilog and simulate
    /// alike, so one module serves both.
    pub fn key(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("{}\n{}\n", self.g.kind, self.g.doc));
        for p in &self.g.ports {
            h.update(format!("{p:?}\n"));
        }
        for n in &self.g.nodes {
            h.update(format!(
                "{:?} {} {} {:?}\n",
                n.op, n.width, n.signed, n.name
            ));
        }
        for r in &self.g.regs {
            h.update(format!("{r:?}\n"));
        }
        for m in &self.g.mems {
            h.update(format!("{m:?}\n"));
        }
        for i in &self.g.insts {
            h.update(format!(
                "inst {} {} {:?} {:?}\n",
                i.name,
                i.child.key(),
                i.inputs,
                i.outs
            ));
        }
        h.update(format!("{:?}\n", self.g.vendor));
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Operands a node's value depends on within the same cycle (a register's output does not
/// depend on anything combinationally).
fn comb_args(g: &Graph, id: NodeId) -> Vec<NodeId> {
    match g.nodes[id].op {
        Op::Reg(_) => vec![],
        Op::InstOut(i, p) => {
            let inst = &g.insts[i];
            inst.child.comb_in[p]
                .iter()
                .filter_map(|&k| inst.inputs[k])
                .collect()
        }
        _ => g.nodes[id].op.args(),
    }
}

/// `g` with its instances inlined, recursively: each child's nodes, registers and memories
/// appended (named `<instance>.<name>`), its inputs wires from their drivers, the parent's
/// reads of its outputs wires from the child's output drivers.
fn flatten(g: &Graph) -> Graph {
    let mut f = g.clone();
    f.insts.clear();
    f.vendor = None;
    for inst in &g.insts {
        let cg = if inst.child.g.insts.is_empty() {
            inst.child.g.clone()
        } else {
            flatten(&inst.child.g)
        };
        let (nb, rb, mb) = (f.nodes.len(), f.regs.len(), f.mems.len());
        let r = |x: NodeId| x + nb;
        for node in &cg.nodes {
            let op = match &node.op {
                Op::Input(p) => Op::Wire(Some(inst.inputs[*p].expect("checked: driven"))),
                Op::Reg(k) => Op::Reg(k + rb),
                Op::MemRead(m, a) => Op::MemRead(m + mb, r(*a)),
                Op::Wire(d) => Op::Wire(d.map(r)),
                Op::Not(a) => Op::Not(r(*a)),
                Op::Bin(b, x, y) => Op::Bin(*b, r(*x), r(*y)),
                Op::Mul(x, y) => Op::Mul(r(*x), r(*y)),
                Op::Cmp(c, x, y) => Op::Cmp(*c, r(*x), r(*y)),
                Op::ReduceOr(a) => Op::ReduceOr(r(*a)),
                Op::ReduceAnd(a) => Op::ReduceAnd(r(*a)),
                Op::ReduceXor(a) => Op::ReduceXor(r(*a)),
                Op::Mux(s, a, b) => Op::Mux(r(*s), r(*a), r(*b)),
                Op::Cat(v) => Op::Cat(v.iter().map(|&x| r(x)).collect()),
                Op::Slice(a, lo) => Op::Slice(r(*a), *lo),
                Op::Ext(a) => Op::Ext(r(*a)),
                Op::Cast(a) => Op::Cast(r(*a)),
                Op::Index(a, i) => Op::Index(r(*a), r(*i)),
                Op::Shr(a, i) => Op::Shr(r(*a), r(*i)),
                Op::Const(v) => Op::Const(*v),
                Op::InstOut(..) => unreachable!("flattened"),
            };
            let mut node = node.clone();
            node.op = op;
            node.name = node.name.map(|n| format!("{}.{n}", inst.name));
            f.nodes.push(node);
        }
        for ri in &cg.regs {
            let mut ri = ri.clone();
            ri.node = r(ri.node);
            ri.d = r(ri.d);
            ri.reset = ri.reset.map(|(x, v)| (r(x), v));
            ri.enable = ri.enable.map(r);
            f.regs.push(ri);
        }
        for mi in &cg.mems {
            let mut mi = mi.clone();
            mi.name = format!("{}.{}", inst.name, mi.name);
            mi.writes = mi
                .writes
                .iter()
                .map(|&(we, a, d)| (r(we), r(a), r(d)))
                .collect();
            f.mems.push(mi);
        }
        // the parent's reads of the outputs
        for (p, o) in inst.outs.iter().enumerate() {
            if let Some(o) = o {
                f.nodes[*o].op = Op::Wire(Some(r(cg.ports[p].node.expect("outputs are driven"))));
            }
        }
    }
    f
}

#[cfg(test)]
mod tests;
