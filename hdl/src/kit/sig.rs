//! [`Sig`]: a rust-hdl signal whose width and signedness are chosen at run time.
//!
//! rust-hdl's `Signal<D, Bits<N>>` fixes widths at compile time; FuseMax's widths follow from the
//! run-time config. `Sig` implements rust-hdl's `Atom`, `Logic` and `Block`, so rust-hdl's
//! Verilog generator declares it with its run-time width and its simulator propagates it like
//! any signal. Values are held in an `i128`, normalized to the width (sign-extended if signed,
//! zero-extended otherwise); widths are at most 128 bits (an unsigned 128-bit value is held as
//! its bit pattern: the 128-bit input stream word).

use rust_hdl::core::ast::VerilogLiteral;
use rust_hdl::core::atom::{Atom, AtomKind};
use rust_hdl::core::block::Block;
use rust_hdl::core::constraint::PinConstraint;
use rust_hdl::core::logic::Logic;
use rust_hdl::core::probe::Probe;
use rust_hdl::core::signal::get_signal_id;
use rust_hdl::core::synth::VCDValue;
use rust_hdl::core::type_descriptor::{TypeDescriptor, TypeKind};

/// Direction of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    In,
    Out,
}

/// A run-time-width signal (a module port).
#[derive(Clone, Debug)]
pub struct Sig {
    width: u32,
    signed: bool,
    dir: Dir,
    val: i128,
    next: i128,
    changed: bool,
    claimed: bool,
    id: usize,
}

/// Wraps `v` to `width` bits, sign-extending when `signed`.
#[inline]
pub fn wrap(v: i128, width: u32, signed: bool) -> i128 {
    debug_assert!((1..=128).contains(&width));
    // shifted up to the top and back: arithmetic for a signed value, logical for an unsigned
    // one (a 128-bit unsigned value keeps its bit pattern)
    let sh = 128 - width;
    if signed {
        (v << sh) >> sh
    } else {
        (((v as u128) << sh) >> sh) as i128
    }
}

impl Sig {
    fn new(width: u32, signed: bool, dir: Dir) -> Sig {
        assert!(
            (1..=128).contains(&width),
            "signal width {width} out of 1..=128"
        );
        Sig {
            width,
            signed,
            dir,
            val: 0,
            next: 0,
            changed: false,
            claimed: false,
            id: get_signal_id(),
        }
    }
    /// An unsigned input port.
    pub fn input(width: u32) -> Sig {
        Self::new(width, false, Dir::In)
    }
    /// A signed input port.
    pub fn input_s(width: u32) -> Sig {
        Self::new(width, true, Dir::In)
    }
    /// An unsigned output port.
    pub fn output(width: u32) -> Sig {
        Self::new(width, false, Dir::Out)
    }
    /// A signed output port.
    pub fn output_s(width: u32) -> Sig {
        Self::new(width, true, Dir::Out)
    }
    /// A port like `self` but with the other direction (its peer in a parent).
    pub fn flipped(&self) -> Sig {
        let dir = match self.dir {
            Dir::In => Dir::Out,
            Dir::Out => Dir::In,
        };
        Self::new(self.width, self.signed, dir)
    }
    /// A port like `self` (same width, sign and direction), fresh.
    pub fn same(&self) -> Sig {
        Self::new(self.width, self.signed, self.dir)
    }

    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn signed(&self) -> bool {
        self.signed
    }
    pub fn dir(&self) -> Dir {
        self.dir
    }

    /// Current value (sign-extended if signed).
    #[inline]
    pub fn get(&self) -> i128 {
        self.val
    }
    /// Current value as raw unsigned bits.
    #[inline]
    pub fn bits(&self) -> u128 {
        (self.val as u128) & (u128::MAX >> (128 - self.width))
    }
    /// Current value of a 1-bit signal.
    #[inline]
    pub fn on(&self) -> bool {
        self.val & 1 == 1
    }
    /// Drives the next value (wrapped to the width).
    #[inline]
    pub fn set(&mut self, v: i128) {
        self.next = wrap(v, self.width, self.signed);
    }
    /// Drives a 1-bit value.
    #[inline]
    pub fn set_bool(&mut self, b: bool) {
        self.next = b as i128;
    }
    /// Marks the signal as driven (for connectivity checks).
    pub fn claim(&mut self) {
        self.claimed = true;
    }
}

impl Atom for Sig {
    fn bits(&self) -> usize {
        self.width as usize
    }
    fn connected(&self) -> bool {
        self.claimed
    }
    fn changed(&self) -> bool {
        self.changed
    }
    fn kind(&self) -> AtomKind {
        match self.dir {
            Dir::In => AtomKind::InputParameter,
            Dir::Out => AtomKind::OutputParameter,
        }
    }
    fn descriptor(&self) -> TypeDescriptor {
        let w = self.width as usize;
        if self.signed {
            TypeDescriptor {
                name: format!("Signed::<{w}>"),
                kind: TypeKind::Signed(w),
            }
        } else {
            TypeDescriptor {
                name: format!("Bits::<{w}>"),
                kind: TypeKind::Bits(w),
            }
        }
    }
    fn vcd(&self) -> VCDValue {
        let b = self.bits();
        if self.width == 1 {
            VCDValue::Single(if b & 1 == 1 {
                vcd::Value::V1
            } else {
                vcd::Value::V0
            })
        } else {
            VCDValue::Vector(
                (0..self.width)
                    .rev()
                    .map(|i| {
                        if (b >> i) & 1 == 1 {
                            vcd::Value::V1
                        } else {
                            vcd::Value::V0
                        }
                    })
                    .collect(),
            )
        }
    }
    fn id(&self) -> usize {
        self.id
    }
    fn verilog(&self) -> VerilogLiteral {
        VerilogLiteral::from(self.bits())
    }
    fn constraints(&self) -> Vec<PinConstraint> {
        vec![]
    }
}

impl Logic for Sig {
    fn update(&mut self) {}
    fn connect(&mut self) {
        self.claimed = true;
    }
}

impl Block for Sig {
    fn connect_all(&mut self) {}
    #[inline]
    fn update_all(&mut self) {
        self.changed = self.val != self.next;
        self.val = self.next;
    }
    #[inline]
    fn has_changed(&self) -> bool {
        self.changed
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_atom(name, self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_signed_and_unsigned() {
        assert_eq!(wrap(255, 8, true), -1);
        assert_eq!(wrap(-1, 8, false), 255);
        assert_eq!(wrap(128, 8, true), -128);
        assert_eq!(wrap(256 + 5, 8, false), 5);
        let mut s = Sig::input_s(4);
        s.set(9);
        s.update_all();
        assert_eq!(s.get(), -7);
        assert!(s.has_changed());
        assert_eq!(s.bits(), 9);
        // the widest port: 128 bits, an unsigned value held as its bit pattern
        assert_eq!(wrap(-1, 128, false), -1);
        assert_eq!(wrap(i128::MIN, 128, true), i128::MIN);
        assert_eq!(wrap(1 << 127 >> 1, 127, true), -(1 << 126));
        let mut w = Sig::input(128);
        w.set(-2);
        w.update_all();
        assert_eq!(w.bits(), u128::MAX - 1);
    }
}
