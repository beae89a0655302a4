//! [`Component`]: what every FuseMax hardware block is to the kit: a rust-hdl `Block` with
//! run-time-width ports ([`Sig`]), a clock edge ([`Component::tick`]) and a module kind.
//!
//! Leaves (PE, MAC, divider, ...) are structs with `Sig` fields, `#[derive(LogicBlock)]`, a
//! `Logic` impl whose `hdl()` is `Verilog::Custom` text and whose `update()` drives outputs from
//! registers, and a `tick()` that updates the registers from the settled inputs. All leaves tick
//! at once, so rust-hdl's delta-cycle propagation never races a clock edge.

use super::sig::Sig;
use rust_hdl::core::block::Block;

/// A hardware block the kit can wire, simulate and emit.
pub trait Component: Block + 'static {
    /// The module kind, e.g. `pe`: the base of its Verilog module name.
    fn kind(&self) -> String;
    /// Port names, in declaration order.
    fn port_names(&self) -> Vec<&'static str>;
    /// Port `i` (in `port_names` order).
    fn port(&self, i: usize) -> &Sig;
    /// Port `i`, mutably.
    fn port_mut(&mut self, i: usize) -> &mut Sig;
    /// The clock edge: registers take their next values from the settled inputs.
    fn tick(&mut self);
    /// The component as `Any`, to reach a leaf's state in tests (`downcast_ref`).
    fn as_any(&self) -> &dyn std::any::Any;
    /// Marks every output port as driven (a leaf drives all its outputs).
    fn claim_outputs(&mut self) {
        self.claim_dir(super::sig::Dir::Out);
    }
    /// Marks every input port as driven (a leaf drives all inputs of its own children).
    fn claim_inputs(&mut self) {
        self.claim_dir(super::sig::Dir::In);
    }
    #[doc(hidden)]
    fn claim_dir(&mut self, dir: super::sig::Dir) {
        for i in 0..self.port_names().len() {
            if self.port(i).dir() == dir {
                self.port_mut(i).claim();
            }
        }
    }
    /// The description-layer leaf behind this block, if it is one (its products and
    /// memories, its simulation).
    fn ir(&self) -> Option<&crate::ir::leaf::Leaf> {
        None
    }
    /// Index of a port by name.
    fn port_index(&self, name: &str) -> Option<usize> {
        self.port_names().iter().position(|n| *n == name)
    }
}

/// Implements the port accessors of [`Component`] for a leaf from its `Sig` field names.
#[macro_export]
macro_rules! leaf_ports {
    ($($p:ident),* $(,)?) => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn port_names(&self) -> Vec<&'static str> {
            vec![$(stringify!($p)),*]
        }
        #[allow(unused_assignments)]
        fn port(&self, i: usize) -> &$crate::kit::Sig {
            let mut k = 0;
            $( if i == k { return &self.$p; } k += 1; )*
            panic!("no port {i}")
        }
        #[allow(unused_assignments)]
        fn port_mut(&mut self, i: usize) -> &mut $crate::kit::Sig {
            let mut k = 0;
            $( if i == k { return &mut self.$p; } k += 1; )*
            panic!("no port {i}")
        }
    };
}
