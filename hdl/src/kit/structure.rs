//! [`Structure`]: a module made only of child instances and the nets between them.
//!
//! A structure is built once from a config by a builder function (the 2D array, the 1D array,
//! the top level): ports, children, nets. The same net list drives its rust-hdl simulation
//! (`update()` copies each source to its sink) and its Verilog (`assign sink = source;`), so the
//! wiring is written once. `finish()` checks that every child input and every output port is
//! driven exactly once, by a source of the same width.

use super::component::Component;
use super::sig::{Dir, Sig};
use rust_hdl::core::ast::Verilog;
use rust_hdl::core::block::Block;
use rust_hdl::core::logic::Logic;
use rust_hdl::core::probe::Probe;
use std::collections::HashMap;

/// A port of the structure itself or of one of its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// Port `i` of the structure.
    Parent(usize),
    /// Port `p` of child `c`.
    Child(usize, usize),
}

#[derive(Clone, Copy, Debug)]
enum Src {
    End(End),
    Const(i128),
}

#[derive(Clone, Copy, Debug)]
struct Net {
    dst: End,
    src: Src,
}

/// A structural module: named ports, named children, nets.
pub struct Structure {
    kind: String,
    doc: String,
    ports: Vec<(&'static str, Sig)>,
    children: Vec<(String, Box<dyn Component>)>,
    child_index: HashMap<String, usize>,
    nets: Vec<Net>,
    unused: Vec<End>,
}

/// Leaks a port name: structures are built a few times per process and their port names must
/// outlive them as `&'static str` like a leaf's field names.
fn intern(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Structure {
    /// An empty structure of module kind `kind`, with a one-line description for the emitted
    /// Verilog.
    pub fn new(kind: &str, doc: &str) -> Structure {
        Structure {
            kind: kind.into(),
            doc: doc.into(),
            ports: vec![],
            children: vec![],
            child_index: HashMap::new(),
            nets: vec![],
            unused: vec![],
        }
    }

    /// Adds a port; returns its end.
    pub fn add_port(&mut self, name: impl Into<String>, sig: Sig) -> End {
        let name = name.into();
        assert!(
            !self.ports.iter().any(|(n, _)| *n == name),
            "duplicate port {name}"
        );
        self.ports.push((intern(name), sig));
        End::Parent(self.ports.len() - 1)
    }

    /// Adds a child instance; returns its index.
    pub fn add_child(&mut self, name: impl Into<String>, c: Box<dyn Component>) -> usize {
        let name = name.into();
        assert!(
            !self.child_index.contains_key(&name),
            "duplicate child {name}"
        );
        self.child_index.insert(name.clone(), self.children.len());
        self.children.push((name, c));
        self.children.len() - 1
    }

    /// The instance name of child `c`.
    pub fn child_name(&self, c: usize) -> &str {
        &self.children[c].0
    }

    /// Port `port` of child `c`.
    pub fn at(&self, c: usize, port: &str) -> End {
        let p = self.children[c]
            .1
            .port_index(port)
            .unwrap_or_else(|| panic!("child {} has no port {port}", self.children[c].0));
        End::Child(c, p)
    }

    /// Port `name` of the structure.
    pub fn p(&self, name: &str) -> End {
        let i = self
            .ports
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{} has no port {name}", self.kind));
        End::Parent(i)
    }

    /// The signal at an end.
    pub fn sig(&self, e: End) -> &Sig {
        match e {
            End::Parent(i) => &self.ports[i].1,
            End::Child(c, p) => self.children[c].1.port(p),
        }
    }

    fn sig_mut(&mut self, e: End) -> &mut Sig {
        match e {
            End::Parent(i) => &mut self.ports[i].1,
            End::Child(c, p) => self.children[c].1.port_mut(p),
        }
    }

    /// Drives `dst` from `src`.
    pub fn connect(&mut self, dst: End, src: End) {
        let (a, b) = (self.sig(dst), self.sig(src));
        assert_eq!(
            (a.width(), a.signed()),
            (b.width(), b.signed()),
            "width/sign mismatch: {} <- {}",
            self.end_name(dst),
            self.end_name(src)
        );
        self.nets.push(Net {
            dst,
            src: Src::End(src),
        });
    }

    /// Drives `dst` with a constant.
    pub fn tie(&mut self, dst: End, value: i128) {
        self.nets.push(Net {
            dst,
            src: Src::Const(value),
        });
    }

    /// Adds a port of the structure mirroring a child's port and connects the two.
    pub fn expose(&mut self, c: usize, port: &str, name: impl Into<String>) -> End {
        let child_end = self.at(c, port);
        let sig = self.sig(child_end).same();
        let dir = sig.dir();
        let pe = self.add_port(name, sig);
        match dir {
            Dir::In => self.connect(child_end, pe),
            Dir::Out => self.connect(pe, child_end),
        }
        pe
    }

    /// Declares a child output as intentionally unread (array edges); the emitted Verilog
    /// waives the lint warning for exactly that net.
    pub fn leave_unused(&mut self, e: End) {
        self.unused.push(e);
    }

    /// Name of an end in the emitted Verilog (before the emitter's renaming).
    pub fn end_name(&self, e: End) -> String {
        match e {
            End::Parent(i) => self.ports[i].0.to_string(),
            End::Child(c, p) => format!(
                "{}${}",
                self.children[c].0,
                self.children[c].1.port_names()[p]
            ),
        }
    }

    /// Number of children.
    pub fn num_children(&self) -> usize {
        self.children.len()
    }

    /// Child `c`, for inspection in tests.
    pub fn child_ref(&self, c: usize) -> &dyn Component {
        self.children[c].1.as_ref()
    }

    /// Child by instance name.
    pub fn child_named(&self, name: &str) -> Option<&dyn Component> {
        self.child_index
            .get(name)
            .map(|&c| self.children[c].1.as_ref())
    }

    /// Checks the wiring: every child input and every output port of the structure is driven
    /// exactly once; nothing drives an input port of the structure or a child's output; every
    /// child output is read or declared unused. Panics with the offending net's name: a
    /// wiring error is a bug of the builder, found by any test that builds it.
    pub fn finish(mut self) -> Structure {
        let mut driven: HashMap<End, usize> = HashMap::new();
        for n in &self.nets {
            *driven.entry(n.dst).or_default() += 1;
            let d = self.sig(n.dst);
            let ok = match n.dst {
                End::Parent(_) => d.dir() == Dir::Out,
                End::Child(..) => d.dir() == Dir::In,
            };
            assert!(ok, "{} is driven but is not a sink", self.end_name(n.dst));
        }
        let mut read: HashMap<End, bool> = HashMap::new();
        for n in &self.nets {
            if let Src::End(s) = n.src {
                read.insert(s, true);
            }
        }
        for i in 0..self.ports.len() {
            let e = End::Parent(i);
            match self.ports[i].1.dir() {
                Dir::Out => assert_eq!(
                    driven.get(&e).copied().unwrap_or(0),
                    1,
                    "output {} must be driven once",
                    self.end_name(e)
                ),
                Dir::In => assert!(
                    read.contains_key(&e),
                    "input {} of {} is never read",
                    self.end_name(e),
                    self.kind
                ),
            }
        }
        for c in 0..self.children.len() {
            for p in 0..self.children[c].1.port_names().len() {
                let e = End::Child(c, p);
                match self.sig(e).dir() {
                    Dir::In => assert_eq!(
                        driven.get(&e).copied().unwrap_or(0),
                        1,
                        "input {} must be driven once",
                        self.end_name(e)
                    ),
                    Dir::Out => assert!(
                        read.contains_key(&e) || self.unused.contains(&e),
                        "output {} is neither read nor declared unused",
                        self.end_name(e)
                    ),
                }
            }
        }
        // Sort nets so that emission order is stable and readable: by sink.
        self.nets.sort_by_key(|n| match n.dst {
            End::Parent(i) => (0, i, 0),
            End::Child(c, p) => (1, c, p),
        });
        self
    }

    fn literal(&self, e: End, v: i128) -> String {
        let s = self.sig(e);
        let bits = (v as u128) & ((1u128 << s.width()) - 1);
        format!("{}'h{:x}", s.width(), bits)
    }
}

impl Logic for Structure {
    fn update(&mut self) {
        for i in 0..self.nets.len() {
            let n = self.nets[i];
            let v = match n.src {
                Src::End(e) => self.sig(e).get(),
                Src::Const(c) => c,
            };
            self.sig_mut(n.dst).set(v);
        }
    }

    fn connect(&mut self) {
        for i in 0..self.nets.len() {
            let d = self.nets[i].dst;
            self.sig_mut(d).claim();
        }
    }

    fn hdl(&self) -> Verilog {
        let mut t = String::new();
        t.push_str(&format!("// @structure {}\n// {}\n", self.kind, self.doc));
        if !self.unused.is_empty() {
            let names: Vec<String> = self.unused.iter().map(|&e| self.end_name(e)).collect();
            t.push_str(&format!("// @unused {}\n", names.join(" ")));
        }
        for n in &self.nets {
            let src = match n.src {
                Src::End(e) => self.end_name(e),
                Src::Const(v) => self.literal(n.dst, v),
            };
            t.push_str(&format!("assign {} = {};\n", self.end_name(n.dst), src));
        }
        Verilog::Custom(t)
    }
}

impl Block for Structure {
    fn connect_all(&mut self) {
        Logic::connect(self);
        for (_, c) in self.children.iter_mut() {
            c.connect_all();
        }
    }

    fn update_all(&mut self) {
        self.update();
        for (_, s) in self.ports.iter_mut() {
            s.update_all();
        }
        for (_, c) in self.children.iter_mut() {
            c.update_all();
        }
    }

    fn has_changed(&self) -> bool {
        self.ports.iter().any(|(_, s)| s.has_changed())
            || self.children.iter().any(|(_, c)| c.has_changed())
    }

    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for (n, s) in &self.ports {
            s.accept(n, probe);
        }
        for (n, c) in &self.children {
            c.accept(n, probe);
        }
        probe.visit_end_scope(name, self);
    }
}

impl Component for Structure {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn kind(&self) -> String {
        self.kind.clone()
    }
    fn port_names(&self) -> Vec<&'static str> {
        self.ports.iter().map(|(n, _)| *n).collect()
    }
    fn port(&self, i: usize) -> &Sig {
        &self.ports[i].1
    }
    fn port_mut(&mut self, i: usize) -> &mut Sig {
        &mut self.ports[i].1
    }
    fn tick(&mut self) {
        for (_, c) in self.children.iter_mut() {
            c.tick();
        }
    }
}

/// The component at `path` (instance names joined by `/`) below `root`.
pub fn find<'a>(root: &'a dyn Component, path: &str) -> Option<&'a dyn Component> {
    let mut cur = root;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let s = cur.as_any().downcast_ref::<Structure>()?;
        cur = s.child_named(part)?;
    }
    Some(cur)
}
