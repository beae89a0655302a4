//! A [`Circuit`] as a leaf [`Component`] of today's kit, so that blocks move onto the layer one
//! at a time while the structures around them stay as they are: the leaf's `update()` sets
//! the circuit's inputs from its input ports, settles it and drives its output ports; its
//! `tick()` is the circuit's clock edge; its `hdl()` is the circuit's Verilog body.
//!
//! Two forms: [`IrBlock`], ports by name (`Box<dyn Component>` in a structure), and the
//! [`ir_leaf!`](crate::ir_leaf) macro, which gives a block a struct with one `Sig` field per
//! port (for parents that reach a child's ports as fields, as the PE does its multiplier).

use super::sim::Sim;
use super::{verilog, Circuit, PortDir};
use crate::kit::{Component, Sig};
use rust_hdl::core::ast::Verilog;
use rust_hdl::core::block::Block;
use rust_hdl::core::logic::Logic;
use rust_hdl::core::probe::Probe;

/// The simulation and Verilog of a circuit, for a kit leaf.
pub struct Leaf {
    sim: Sim,
    /// The circuit's instances as kit leaves, for the Verilog only (rust-hdl declares their
    /// ports and instantiates their modules); the simulation has them inlined.
    children: std::cell::OnceCell<Vec<(&'static str, Shadow)>>,
    text: std::cell::OnceCell<String>,
    /// The circuit, for its Verilog (made when asked: a simulation never needs it).
    circuit: Circuit,
    kind: String,
    ports: Vec<(String, PortDir, u32, bool)>,
    ins: Vec<(usize, u32)>,
    outs: Vec<(usize, u32)>,
    products: Vec<(u32, u32)>,
    memories: Vec<(u32, usize)>,
}

impl Leaf {
    /// Compiles `c`; `names` are the leaf's port names in order, which must be the circuit's.
    pub fn new(c: Circuit, names: &[&str]) -> Leaf {
        let ports: Vec<(String, PortDir, u32, bool)> = c
            .ports()
            .into_iter()
            .map(|(n, d, w, s)| (n.to_string(), d, w, s))
            .collect();
        let have: Vec<&str> = ports.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            have,
            names,
            "ir leaf {}: the circuit's ports (left) are not the leaf's (right)",
            c.kind()
        );
        for p in &ports {
            assert!(
                p.2 <= 128,
                "ir leaf {}: port {} has {} bits; a kit port has at most 128",
                c.kind(),
                p.0,
                p.2
            );
        }
        let sim = Sim::new(&c);
        let (in_slots, out_slots) = sim.io_slots();
        let mut ins = vec![];
        let mut outs = vec![];
        let (mut ki, mut ko) = (0, 0);
        for (i, p) in ports.iter().enumerate() {
            match p.1 {
                PortDir::In => {
                    ins.push((i, in_slots[ki].0));
                    ki += 1;
                }
                PortDir::Out => {
                    outs.push((i, out_slots[ko]));
                    ko += 1;
                }
            }
        }
        Leaf {
            products: c.products(),
            memories: c.memories(),
            children: std::cell::OnceCell::new(),
            text: std::cell::OnceCell::new(),
            kind: c.kind().to_string(),
            sim,
            ports,
            ins,
            outs,
            circuit: c,
        }
    }

    /// The circuit's structural key ([`Circuit::key`]): equal keys, equal modules.
    pub fn key(&self) -> String {
        self.circuit.key()
    }

    /// A fresh kit port for port `name` of the circuit.
    pub fn port_sig(&self, name: &str) -> Sig {
        let p = self
            .ports
            .iter()
            .find(|p| p.0 == name)
            .unwrap_or_else(|| panic!("ir leaf {}: no port {name}", self.kind));
        new_sig(p.1, p.2, p.3)
    }

    /// Settles the circuit on the input ports and drives the output ports (`ports` in port
    /// order).
    #[inline]
    pub fn update(&mut self, ports: &mut [&mut Sig]) {
        self.load(ports);
        self.sim.settle();
        for &(i, s) in &self.outs {
            ports[i].set(self.sim.slot(s) as i128);
        }
    }

    #[inline]
    fn load(&mut self, ports: &mut [&mut Sig]) {
        for &(i, s) in &self.ins {
            self.sim.set_slot(s, ports[i].bits());
        }
    }

    /// The clock edge, on the settled inputs.
    #[inline]
    pub fn tick(&mut self, ports: &mut [&mut Sig]) {
        self.load(ports);
        self.sim.tick();
    }

    /// The Verilog body.
    pub fn hdl(&self) -> Verilog {
        Verilog::Custom(
            self.text
                .get_or_init(|| verilog::body(&self.circuit))
                .clone(),
        )
    }

    /// The module kind.
    pub fn kind(&self) -> String {
        self.kind.clone()
    }

    /// The simulation (to read registers, named signals and memories in tests).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Operand widths of every product (see [`Circuit::products`]).
    pub fn products(&self) -> &[(u32, u32)] {
        &self.products
    }

    /// Width and depth of every memory (see [`Circuit::memories`]).
    pub fn memories(&self) -> &[(u32, usize)] {
        &self.memories
    }

    /// Visits the instances (for rust-hdl's Verilog of the enclosing leaf).
    pub fn accept_children(&self, probe: &mut dyn Probe) {
        for (n, c) in self.children.get_or_init(|| shadows(&self.circuit)) {
            c.accept(n, probe);
        }
    }
}

/// Implements a kit leaf for a block described by the layer: the struct with one `pub Sig`
/// field per port (in the circuit's port order) and a private `_ir` core, its rust-hdl
/// `Block` and `Logic`, and the kit's `Component`. The block then writes
/// `fn new(..) -> Self { Self::from_circuit(describe(..)) }`. A block that keeps facts beside
/// its ports (a config's constants) lists them after the ports: `extra { _n: Numerics }`, and
/// passes them to `from_circuit` after the circuit.
#[macro_export]
macro_rules! ir_leaf {
    ($(#[$m:meta])* pub struct $ty:ident { $($p:ident),* $(,)? }) => {
        $crate::ir_leaf! { $(#[$m])* pub struct $ty { $($p),* } extra {} }
    };
    ($(#[$m:meta])* pub struct $ty:ident { $($p:ident),* $(,)? }
        extra { $($f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        pub struct $ty {
            $(
                #[doc = concat!("Port `", stringify!($p), "`.")]
                pub $p: $crate::kit::Sig,
            )*
            $($f: $t,)*
            _ir: $crate::ir::leaf::Leaf,
        }

        impl $ty {
            /// The leaf of a circuit whose ports are this struct's fields, in order (and the
            /// block's extra facts, if it has any).
            fn from_circuit(c: $crate::ir::Circuit $(, $f: $t)*) -> $ty {
                let ir = $crate::ir::leaf::Leaf::new(c, &[$(stringify!($p)),*]);
                $ty {
                    $($p: ir.port_sig(stringify!($p)),)*
                    $($f,)*
                    _ir: ir,
                }
            }

            /// The block's simulation state (registers, named signals, memories).
            pub fn ir_sim(&self) -> &$crate::ir::Sim {
                self._ir.sim()
            }
        }

        impl ::rust_hdl::core::logic::Logic for $ty {
            #[inline]
            fn update(&mut self) {
                self._ir.update(&mut [$(&mut self.$p),*]);
            }
            fn connect(&mut self) {
                <Self as $crate::kit::Component>::claim_outputs(self);
            }
            fn hdl(&self) -> ::rust_hdl::core::ast::Verilog {
                self._ir.hdl()
            }
        }

        impl ::rust_hdl::core::block::Block for $ty {
            fn connect_all(&mut self) {
                ::rust_hdl::core::logic::Logic::connect(self);
            }
            #[inline]
            fn update_all(&mut self) {
                ::rust_hdl::core::logic::Logic::update(self);
                $(::rust_hdl::core::block::Block::update_all(&mut self.$p);)*
            }
            fn has_changed(&self) -> bool {
                false $(|| ::rust_hdl::core::block::Block::has_changed(&self.$p))*
            }
            fn accept(&self, name: &str, probe: &mut dyn ::rust_hdl::core::probe::Probe) {
                probe.visit_start_scope(name, self);
                $(::rust_hdl::core::block::Block::accept(&self.$p, stringify!($p), probe);)*
                self._ir.accept_children(probe);
                probe.visit_end_scope(name, self);
            }
        }

        impl $crate::kit::Component for $ty {
            fn kind(&self) -> String {
                self._ir.kind()
            }
            $crate::leaf_ports!($($p),*);
            #[inline]
            fn tick(&mut self) {
                self._ir.tick(&mut [$(&mut self.$p),*]);
            }
            fn ir(&self) -> Option<&$crate::ir::leaf::Leaf> {
                Some(&self._ir)
            }
        }
    };
}

/// An instance's circuit as rust-hdl sees it for the Verilog only: its ports, its body and
/// its own instances; no simulation (the parent's has the child inlined).
struct Shadow {
    names: Vec<&'static str>,
    ports: Vec<Sig>,
    text: String,
    children: Vec<(&'static str, Shadow)>,
}

/// The live instances of `c`, for rust-hdl's Verilog.
fn shadows(c: &Circuit) -> Vec<(&'static str, Shadow)> {
    c.g.insts
        .iter()
        .enumerate()
        .filter(|(i, _)| c.inst_live[*i])
        .map(|(_, inst)| {
            let name: &'static str = Box::leak(inst.name.clone().into_boxed_str());
            (name, Shadow::new(&inst.child))
        })
        .collect()
}

/// A fresh kit port of a direction, width and signedness.
fn new_sig(d: PortDir, w: u32, signed: bool) -> Sig {
    match (d, signed) {
        (PortDir::In, false) => Sig::input(w),
        (PortDir::In, true) => Sig::input_s(w),
        (PortDir::Out, false) => Sig::output(w),
        (PortDir::Out, true) => Sig::output_s(w),
    }
}

impl Shadow {
    fn new(c: &Circuit) -> Shadow {
        let mut names = vec![];
        let mut ports = vec![];
        for (n, d, w, sg) in c.ports() {
            names.push(&*Box::leak(n.to_string().into_boxed_str()));
            ports.push(new_sig(d, w, sg));
        }
        let children = shadows(c);
        Shadow {
            names,
            ports,
            text: verilog::body(c),
            children,
        }
    }
}

impl Logic for Shadow {
    fn update(&mut self) {}
    fn connect(&mut self) {
        for p in self.ports.iter_mut() {
            if p.dir() == crate::kit::sig::Dir::Out {
                p.claim();
            }
        }
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(self.text.clone())
    }
}

impl Block for Shadow {
    fn connect_all(&mut self) {
        Logic::connect(self);
    }
    fn update_all(&mut self) {}
    fn has_changed(&self) -> bool {
        false
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for (n, p) in self.names.iter().zip(&self.ports) {
            p.accept(n, probe);
        }
        for (n, c) in &self.children {
            c.accept(n, probe);
        }
        probe.visit_end_scope(name, self);
    }
}

/// A circuit as a kit leaf with its ports by name.
pub struct IrBlock {
    names: Vec<&'static str>,
    ports: Vec<Sig>,
    leaf: Leaf,
}

impl IrBlock {
    /// The leaf of `c`.
    pub fn new(c: Circuit) -> IrBlock {
        let names: Vec<&'static str> = c
            .ports()
            .iter()
            .map(|p| &*Box::leak(p.0.to_string().into_boxed_str()))
            .collect();
        let leaf = Leaf::new(c, &names);
        let ports = names.iter().map(|n| leaf.port_sig(n)).collect();
        IrBlock { names, ports, leaf }
    }

    /// The simulation state.
    pub fn sim(&self) -> &Sim {
        self.leaf.sim()
    }
}

impl Logic for IrBlock {
    fn update(&mut self) {
        let mut refs: Vec<&mut Sig> = self.ports.iter_mut().collect();
        self.leaf.update(&mut refs);
    }
    fn connect(&mut self) {
        self.claim_outputs();
    }
    fn hdl(&self) -> Verilog {
        self.leaf.hdl()
    }
}

impl Block for IrBlock {
    fn connect_all(&mut self) {
        Logic::connect(self);
    }
    fn update_all(&mut self) {
        Logic::update(self);
        for p in self.ports.iter_mut() {
            p.update_all();
        }
    }
    fn has_changed(&self) -> bool {
        self.ports.iter().any(|p| p.has_changed())
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for (n, p) in self.names.iter().zip(&self.ports) {
            p.accept(n, probe);
        }
        self.leaf.accept_children(probe);
        probe.visit_end_scope(name, self);
    }
}

impl Component for IrBlock {
    fn kind(&self) -> String {
        self.leaf.kind()
    }
    fn port_names(&self) -> Vec<&'static str> {
        self.names.clone()
    }
    fn port(&self, i: usize) -> &Sig {
        &self.ports[i]
    }
    fn port_mut(&mut self, i: usize) -> &mut Sig {
        &mut self.ports[i]
    }
    fn tick(&mut self) {
        let mut refs: Vec<&mut Sig> = self.ports.iter_mut().collect();
        self.leaf.tick(&mut refs);
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn ir(&self) -> Option<&Leaf> {
        Some(&self.leaf)
    }
}
