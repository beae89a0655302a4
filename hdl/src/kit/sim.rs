//! Cycle-based driver of rust-hdl simulation for kit components.
//!
//! Each `step()` settles the combinational nets with rust-hdl's delta-cycle propagation
//! (`update_all` until nothing changes), ticks every register at once, and settles again.
//! A testbench sets inputs, calls `step()`, and reads outputs: the same protocol as the
//! Verilator harness, so both see the same values in the same cycle.

use super::component::Component;
use super::sig::Sig;
use std::collections::HashMap;

/// A component under simulation.
pub struct RtlSim<T: Component> {
    /// The design.
    pub uut: T,
    /// Clock edges so far.
    pub cycle: u64,
    index: HashMap<&'static str, usize>,
}

impl<T: Component> RtlSim<T> {
    /// Connects and settles the design (registers hold their reset-free initial values).
    pub fn new(mut uut: T) -> RtlSim<T> {
        uut.connect_all();
        let index = uut
            .port_names()
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        let mut s = RtlSim {
            uut,
            cycle: 0,
            index,
        };
        s.settle();
        s
    }

    /// Propagates combinational values until stable.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            self.uut.update_all();
            if !self.uut.has_changed() {
                return;
            }
        }
        panic!("combinational logic did not settle in 10000 delta cycles (a loop?)");
    }

    /// One clock cycle: settle, clock edge, settle.
    pub fn step(&mut self) {
        self.settle();
        self.uut.tick();
        self.settle();
        self.cycle += 1;
    }

    fn idx(&self, name: &str) -> usize {
        *self
            .index
            .get(name)
            .unwrap_or_else(|| panic!("no top-level port {name}"))
    }

    /// A top-level port.
    pub fn port(&self, name: &str) -> &Sig {
        self.uut.port(self.idx(name))
    }

    /// Current value of a top-level port.
    pub fn get(&self, name: &str) -> i128 {
        self.port(name).get()
    }

    /// Drives a top-level input (takes effect at the next settle).
    pub fn set(&mut self, name: &str, v: i128) {
        let i = self.idx(name);
        self.uut.port_mut(i).set(v);
    }
}
