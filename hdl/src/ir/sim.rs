//! Cycle simulation of a [`Circuit`]: the live nodes compiled once, in topological order, into
//! a flat list of instructions over `u128` words (one slot per value, each held masked to its
//! width), then run as many times as there are cycles. A clock edge computes every register's
//! next value and every memory write from the settled values before changing any, so the
//! order of registers never matters (non-blocking semantics, as in the Verilog).

use super::graph::{mask_of, Bin, Cmp, NodeId, Op, PortDir};
use super::Circuit;
use std::collections::HashMap;

type Slot = u32;

#[derive(Clone, Copy, Debug)]
enum Ins {
    Copy(Slot, Slot),
    Not(Slot, Slot, u128),
    And(Slot, Slot, Slot),
    Or(Slot, Slot, Slot),
    Xor(Slot, Slot, Slot),
    Add(Slot, Slot, Slot, u128),
    Sub(Slot, Slot, Slot, u128),
    /// d = (sext? a) * (sext? b) mod 2^w: operand sign-extension shifts (0 for unsigned).
    Mul(Slot, Slot, Slot, u32, u32, u128),
    Eq(Slot, Slot, Slot),
    Ne(Slot, Slot, Slot),
    /// d = a < b, unsigned.
    Ltu(Slot, Slot, Slot),
    /// d = a < b, signed: operands sign-extended by shifting left then right by the amount.
    Lts(Slot, Slot, Slot, u32),
    Leu(Slot, Slot, Slot),
    Les(Slot, Slot, Slot, u32),
    /// d = (a != 0).
    Any(Slot, Slot),
    /// d = (a == mask).
    All(Slot, Slot, u128),
    Parity(Slot, Slot),
    Mux(Slot, Slot, Slot, Slot),
    /// d = (a << sh) | b.
    ShlOr(Slot, Slot, Slot, u32),
    /// d = (a >> lo) & mask.
    Slice(Slot, Slot, u32, u128),
    /// d = sign-extension of a (shift amount for 128 bits) masked to the width.
    Sext(Slot, Slot, u32, u128),
    MemRead(Slot, u32, Slot),
    Index(Slot, Slot, Slot),
    /// d = a >> b (0 from 128 on).
    Shr(Slot, Slot, Slot),
}

/// Runs `prog` over the values `v`.
#[inline]
fn run(prog: &[Ins], v: &mut [u128], mems: &[Vec<u128>]) {
    debug_assert!(prog
        .iter()
        .all(|i| i.slots().iter().all(|&s| (s as usize) < v.len())));
    let v = v.as_mut_ptr();
    // SAFETY (both): every slot is below `v.len()`, checked by `Sim::new` for every
    // instruction; reads and writes go through the raw pointer, so no references alias.
    macro_rules! r {
        ($s:expr) => {
            unsafe { *v.add($s as usize) }
        };
    }
    macro_rules! w {
        ($d:expr, $e:expr) => {{
            let x = $e;
            unsafe { *v.add($d as usize) = x }
        }};
    }
    for ins in prog {
        match *ins {
            Ins::Copy(d, a) => w!(d, r!(a)),
            Ins::Not(d, a, m) => w!(d, !r!(a) & m),
            Ins::And(d, a, b) => w!(d, r!(a) & r!(b)),
            Ins::Or(d, a, b) => w!(d, r!(a) | r!(b)),
            Ins::Xor(d, a, b) => w!(d, r!(a) ^ r!(b)),
            Ins::Add(d, a, b, m) => w!(d, r!(a).wrapping_add(r!(b)) & m),
            Ins::Sub(d, a, b, m) => w!(d, r!(a).wrapping_sub(r!(b)) & m),
            Ins::Mul(d, a, b, sa, sb, m) => {
                let x = if sa > 0 {
                    sext(r!(a), sa) as u128
                } else {
                    r!(a)
                };
                let y = if sb > 0 {
                    sext(r!(b), sb) as u128
                } else {
                    r!(b)
                };
                w!(d, x.wrapping_mul(y) & m);
            }
            Ins::Eq(d, a, b) => w!(d, (r!(a) == r!(b)) as u128),
            Ins::Ne(d, a, b) => w!(d, (r!(a) != r!(b)) as u128),
            Ins::Ltu(d, a, b) => w!(d, (r!(a) < r!(b)) as u128),
            Ins::Leu(d, a, b) => w!(d, (r!(a) <= r!(b)) as u128),
            Ins::Lts(d, a, b, sh) => {
                w!(d, (sext(r!(a), sh) < sext(r!(b), sh)) as u128)
            }
            Ins::Les(d, a, b, sh) => {
                w!(d, (sext(r!(a), sh) <= sext(r!(b), sh)) as u128)
            }
            Ins::Any(d, a) => w!(d, (r!(a) != 0) as u128),
            Ins::All(d, a, m) => w!(d, (r!(a) == m) as u128),
            Ins::Parity(d, a) => w!(d, (r!(a).count_ones() & 1) as u128),
            Ins::Mux(d, c, a, b) => w!(d, if r!(c) != 0 { r!(a) } else { r!(b) }),
            Ins::ShlOr(d, a, b, sh) => w!(d, (r!(a) << sh) | r!(b)),
            Ins::Slice(d, a, lo, m) => w!(d, (r!(a) >> lo) & m),
            Ins::Sext(d, a, sh, m) => w!(d, (sext(r!(a), sh) as u128) & m),
            Ins::MemRead(d, k, a) => w!(d, mems[k as usize][r!(a) as usize]),
            Ins::Index(d, a, i) => w!(d, (r!(a) >> r!(i)) & 1),
            Ins::Shr(d, a, b) => w!(d, r!(a).checked_shr(r!(b).min(128) as u32).unwrap_or(0)),
        }
    }
}

impl Ins {
    /// The slots the instruction reads and writes.
    fn slots(&self) -> Vec<Slot> {
        match *self {
            Ins::Copy(d, a)
            | Ins::Not(d, a, _)
            | Ins::Any(d, a)
            | Ins::All(d, a, _)
            | Ins::Parity(d, a)
            | Ins::Slice(d, a, _, _)
            | Ins::Sext(d, a, _, _)
            | Ins::MemRead(d, _, a) => vec![d, a],
            Ins::And(d, a, b)
            | Ins::Or(d, a, b)
            | Ins::Xor(d, a, b)
            | Ins::Add(d, a, b, _)
            | Ins::Sub(d, a, b, _)
            | Ins::Mul(d, a, b, _, _, _)
            | Ins::Eq(d, a, b)
            | Ins::Ne(d, a, b)
            | Ins::Ltu(d, a, b)
            | Ins::Lts(d, a, b, _)
            | Ins::Leu(d, a, b)
            | Ins::Les(d, a, b, _)
            | Ins::ShlOr(d, a, b, _)
            | Ins::Index(d, a, b)
            | Ins::Shr(d, a, b) => vec![d, a, b],
            Ins::Mux(d, c, a, b) => vec![d, c, a, b],
        }
    }
}

/// A register at the edge: q takes next (reset, enable folded in).
#[derive(Clone, Copy, Debug)]
struct RegIns {
    q: Slot,
    d: Slot,
    rst: Option<(Slot, u128)>,
    en: Option<Slot>,
}

/// A compiled circuit and its state.
#[derive(Clone, Debug)]
pub struct Sim {
    /// Instructions of the nodes the outputs depend on (run at every settle).
    prog: Vec<Ins>,
    /// Instructions of the other live nodes: registers' next values, memory writes, named
    /// signals (run once before each edge, after `prog`).
    prog_state: Vec<Ins>,
    /// Whether `prog` / `prog_state` must run before the values are current.
    stale_state: bool,
    vals: Vec<u128>,
    regs: Vec<RegIns>,
    next: Vec<u128>,
    mems: Vec<Vec<u128>>,
    writes: Vec<(u32, Slot, Slot, Slot)>,
    inputs: Vec<(Slot, u128)>,
    outputs: Vec<Slot>,
    ports: Vec<(String, PortDir, u32, bool)>,
    port_index: HashMap<String, usize>,
    names: HashMap<String, (Slot, u32, bool)>,
    mem_names: HashMap<String, usize>,
    dirty: bool,
    /// Clock edges so far.
    pub cycle: u64,
}

fn sext_shift(width: u32) -> u32 {
    128 - width
}

#[inline]
fn sext(v: u128, sh: u32) -> i128 {
    ((v << sh) as i128) >> sh
}

impl Sim {
    /// Compiles `c`. Registers and memories start at zero (as Verilator starts them).
    pub fn new(c: &Circuit) -> Sim {
        let flat = c.flat();
        let c = &flat;
        let g = &c.g;
        let n = g.nodes.len();
        let mut slot: Vec<Slot> = vec![u32::MAX; n];
        let mut nslots: u32 = 0;
        let mut vals_init: Vec<u128> = vec![];
        // the output cone: nodes an output depends on within the cycle
        let mut out_cone = vec![false; n];
        let mut stack: Vec<NodeId> = g.output_drivers();
        while let Some(id) = stack.pop() {
            if !std::mem::replace(&mut out_cone[id], true) {
                if !matches!(g.nodes[id].op, Op::Reg(_)) {
                    stack.extend(g.nodes[id].op.args());
                }
            }
        }
        let mut prog = vec![];
        let mut prog_state = vec![];
        let mut fresh = |init: u128, vals_init: &mut Vec<u128>| {
            nslots += 1;
            vals_init.push(init);
            nslots - 1
        };
        for &id in &c.order {
            let node = &g.nodes[id];
            let m = mask_of(node.width);
            let s = |x: NodeId| slot[x];
            let d = match node.op {
                Op::Wire(Some(a)) | Op::Cast(a) => {
                    slot[id] = slot[a];
                    continue;
                }
                Op::Wire(None) => unreachable!(),
                Op::Const(v) => {
                    slot[id] = fresh(v, &mut vals_init);
                    continue;
                }
                Op::Input(_) | Op::Reg(_) => {
                    slot[id] = fresh(0, &mut vals_init);
                    continue;
                }
                _ => fresh(0, &mut vals_init),
            };
            let prog = if out_cone[id] {
                &mut prog
            } else {
                &mut prog_state
            };
            let ins = match &node.op {
                Op::Not(a) => Ins::Not(d, s(*a), m),
                Op::Bin(b, x, y) => match b {
                    Bin::And => Ins::And(d, s(*x), s(*y)),
                    Bin::Or => Ins::Or(d, s(*x), s(*y)),
                    Bin::Xor => Ins::Xor(d, s(*x), s(*y)),
                    Bin::Add => Ins::Add(d, s(*x), s(*y), m),
                    Bin::Sub => Ins::Sub(d, s(*x), s(*y), m),
                },
                Op::Mul(x, y) => {
                    let sh = |a: NodeId| {
                        if g.nodes[a].signed {
                            sext_shift(g.nodes[a].width)
                        } else {
                            0
                        }
                    };
                    Ins::Mul(d, s(*x), s(*y), sh(*x), sh(*y), m)
                }
                Op::Cmp(cmp, x, y) => {
                    let sg = g.nodes[*x].signed;
                    let sh = sext_shift(g.nodes[*x].width);
                    let (a, b) = (s(*x), s(*y));
                    match (cmp, sg) {
                        (Cmp::Eq, _) => Ins::Eq(d, a, b),
                        (Cmp::Ne, _) => Ins::Ne(d, a, b),
                        (Cmp::Lt, false) => Ins::Ltu(d, a, b),
                        (Cmp::Lt, true) => Ins::Lts(d, a, b, sh),
                        (Cmp::Le, false) => Ins::Leu(d, a, b),
                        (Cmp::Le, true) => Ins::Les(d, a, b, sh),
                        (Cmp::Gt, false) => Ins::Ltu(d, b, a),
                        (Cmp::Gt, true) => Ins::Lts(d, b, a, sh),
                        (Cmp::Ge, false) => Ins::Leu(d, b, a),
                        (Cmp::Ge, true) => Ins::Les(d, b, a, sh),
                    }
                }
                Op::ReduceOr(a) => Ins::Any(d, s(*a)),
                Op::ReduceAnd(a) => Ins::All(d, s(*a), mask_of(g.nodes[*a].width)),
                Op::ReduceXor(a) => Ins::Parity(d, s(*a)),
                Op::Mux(c, a, b) => Ins::Mux(d, s(*c), s(*a), s(*b)),
                Op::Cat(parts) => {
                    // d = first; then d = (d << w_i) | part_i
                    prog.push(Ins::Copy(d, s(parts[0])));
                    for &p in &parts[1..] {
                        prog.push(Ins::ShlOr(d, d, s(p), g.nodes[p].width));
                    }
                    slot[id] = d;
                    continue;
                }
                Op::Slice(a, lo) => Ins::Slice(d, s(*a), *lo, m),
                Op::Ext(a) => {
                    if g.nodes[*a].signed {
                        Ins::Sext(d, s(*a), sext_shift(g.nodes[*a].width), m)
                    } else {
                        Ins::Copy(d, s(*a))
                    }
                }
                Op::MemRead(k, a) => Ins::MemRead(d, *k as u32, s(*a)),
                Op::Index(a, i) => Ins::Index(d, s(*a), s(*i)),
                Op::Shr(a, i) => Ins::Shr(d, s(*a), s(*i)),
                Op::Input(_)
                | Op::Reg(_)
                | Op::Const(_)
                | Op::Wire(_)
                | Op::Cast(_)
                | Op::InstOut(..) => unreachable!(),
            };
            prog.push(ins);
            slot[id] = d;
        }
        let regs = c
            .order
            .iter()
            .filter_map(|&id| match g.nodes[id].op {
                Op::Reg(r) => {
                    let ri = &g.regs[r];
                    Some(RegIns {
                        q: slot[id],
                        d: slot[ri.d],
                        rst: ri.reset.map(|(s, v)| (slot[s], v)),
                        en: ri.enable.map(|e| slot[e]),
                    })
                }
                _ => None,
            })
            .collect::<Vec<_>>();
        let mut writes = vec![];
        let mut mems = vec![];
        let mut mem_names = HashMap::new();
        for (k, mi) in g.mems.iter().enumerate() {
            mems.push(vec![0u128; mi.depth]);
            mem_names.insert(mi.name.clone(), k);
            if c.mem_live(k) {
                for &(we, a, d) in &mi.writes {
                    writes.push((k as u32, slot[we], slot[a], slot[d]));
                }
            }
        }
        let mut inputs = vec![];
        let mut outputs = vec![];
        let mut ports = vec![];
        let mut port_index = HashMap::new();
        for (i, p) in g.ports.iter().enumerate() {
            let id = p.node.unwrap();
            // an input nothing reads has no slot: give it one, so it can still be set
            if slot[id] == u32::MAX {
                slot[id] = nslots;
                nslots += 1;
                vals_init.push(0);
            }
            match p.dir {
                PortDir::In => inputs.push((slot[id], mask_of(p.width))),
                PortDir::Out => outputs.push(slot[id]),
            }
            ports.push((p.name.clone(), p.dir, p.width, p.signed));
            port_index.insert(p.name.clone(), i);
        }
        let mut names = HashMap::new();
        for (id, node) in g.nodes.iter().enumerate() {
            if let (Some(name), true) = (&node.name, slot[id] != u32::MAX) {
                names.insert(name.clone(), (slot[id], node.width, node.signed));
            }
        }
        for p in &g.ports {
            let id = p.node.unwrap();
            names.insert(p.name.clone(), (slot[id], p.width, p.signed));
        }
        // what makes `run`'s unchecked accesses sound
        for ins in prog.iter().chain(&prog_state) {
            assert!(ins.slots().iter().all(|&s| (s as usize) < vals_init.len()));
        }
        let nregs = regs.len();
        Sim {
            prog,
            prog_state,
            stale_state: true,
            vals: vals_init,
            regs,
            next: vec![0; nregs],
            mems,
            writes,
            inputs,
            outputs,
            ports,
            port_index,
            names,
            mem_names,
            dirty: true,
            cycle: 0,
        }
    }

    /// Evaluates the combinational logic the outputs depend on, from the inputs and
    /// registers.
    pub fn eval(&mut self) {
        run(&self.prog, &mut self.vals, &self.mems);
        self.dirty = false;
        self.stale_state = true;
    }

    /// Evaluates every live node (outputs, registers' next values, named signals).
    pub fn eval_all(&mut self) {
        if self.dirty {
            self.eval();
        }
        if self.stale_state {
            run(&self.prog_state, &mut self.vals, &self.mems);
            self.stale_state = false;
        }
    }

    /// The clock edge: registers take their next values and memories their writes, all
    /// computed from the values before the edge.
    pub fn tick(&mut self) {
        self.eval_all();
        let v = &self.vals;
        for (k, r) in self.regs.iter().enumerate() {
            self.next[k] = match (r.rst, r.en) {
                (Some((s, rv)), _) if v[s as usize] != 0 => rv,
                (_, Some(e)) if v[e as usize] == 0 => v[r.q as usize],
                _ => v[r.d as usize],
            };
        }
        for &(m, we, a, d) in &self.writes {
            if v[we as usize] != 0 {
                self.mems[m as usize][v[a as usize] as usize] = v[d as usize];
            }
        }
        for (k, r) in self.regs.iter().enumerate() {
            self.vals[r.q as usize] = self.next[k];
        }
        self.dirty = true;
        self.stale_state = true;
        self.cycle += 1;
    }

    /// One cycle: settle, clock edge, settle (the kit's `RtlSim::step` protocol).
    pub fn step(&mut self) {
        self.tick();
        self.eval();
    }

    /// Sets input port `i` (declaration order among all ports) to raw bits.
    #[inline]
    pub fn set_port_bits(&mut self, i: usize, bits: u128) -> bool {
        let k = self.input_rank(i);
        let (s, m) = self.inputs[k];
        let b = bits & m;
        if self.vals[s as usize] != b {
            self.vals[s as usize] = b;
            self.dirty = true;
            true
        } else {
            false
        }
    }

    fn input_rank(&self, i: usize) -> usize {
        self.ports[..i]
            .iter()
            .filter(|p| p.1 == PortDir::In)
            .count()
    }

    /// Raw bits of port `i` (settling first if an input or the state changed).
    pub fn port_bits(&mut self, i: usize) -> u128 {
        if self.dirty {
            self.eval();
        }
        let k = self.ports[..i]
            .iter()
            .filter(|p| p.1 == PortDir::Out)
            .count();
        match self.ports[i].1 {
            PortDir::Out => self.vals[self.outputs[k] as usize],
            PortDir::In => self.vals[self.inputs[self.input_rank(i)].0 as usize],
        }
    }

    /// Slots of the inputs and outputs in port order, for the kit adapter's fast path.
    pub(crate) fn io_slots(&self) -> (Vec<(Slot, u128)>, Vec<Slot>) {
        (self.inputs.clone(), self.outputs.clone())
    }

    #[inline]
    pub(crate) fn set_slot(&mut self, s: Slot, bits: u128) {
        if self.vals[s as usize] != bits {
            self.vals[s as usize] = bits;
            self.dirty = true;
        }
    }

    #[inline]
    pub(crate) fn settle(&mut self) {
        if self.dirty {
            self.eval();
        }
    }

    #[inline]
    pub(crate) fn slot(&self, s: Slot) -> u128 {
        self.vals[s as usize]
    }

    fn port(&self, name: &str) -> usize {
        *self
            .port_index
            .get(name)
            .unwrap_or_else(|| panic!("ir sim: no port `{name}`"))
    }

    /// Drives input `name` (the value wraps to the port's width).
    pub fn set(&mut self, name: &str, value: i128) {
        let i = self.port(name);
        assert!(
            self.ports[i].1 == PortDir::In,
            "ir sim: `{name}` is an output"
        );
        self.set_port_bits(i, value as u128);
    }

    /// The value of port or named signal `name`, sign-extended if it is signed.
    pub fn get(&mut self, name: &str) -> i128 {
        self.eval_all();
        let (s, w, sg) = *self
            .names
            .get(name)
            .unwrap_or_else(|| panic!("ir sim: no live signal `{name}`"));
        let b = self.vals[s as usize];
        if sg {
            sext(b, sext_shift(w))
        } else {
            b as i128
        }
    }

    /// Word `a` of memory `name`.
    pub fn mem_word(&self, name: &str, a: usize) -> u128 {
        let k = *self
            .mem_names
            .get(name)
            .unwrap_or_else(|| panic!("ir sim: no memory `{name}`"));
        self.mems[k][a]
    }

    /// The current value of a named signal as last evaluated (a register's output is always
    /// current).
    pub fn peek(&self, name: &str) -> u128 {
        let (s, _, _) = self.names[name];
        self.vals[s as usize]
    }

    /// The slot of named signal `name` (for repeated fast reads with [`Sim::slot_bits`]).
    pub fn slot_of(&self, name: &str) -> Option<u32> {
        self.names.get(name).map(|x| x.0)
    }

    /// The bits in a slot (no settling).
    pub fn slot_bits(&self, s: u32) -> u128 {
        self.vals[s as usize]
    }

    /// Number of instructions of one evaluation.
    pub fn instructions(&self) -> usize {
        self.prog.len() + self.prog_state.len()
    }
}
