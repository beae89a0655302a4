//! `split`, `concat` and `select`: a stream word to lanes, lanes to a word, and a chunk of
//! lanes to a word (combinational, latency 0). Structures only wire whole signals, so lane
//! packing is a leaf. Lane i occupies bits [i * lane_bits, (i + 1) * lane_bits) of the word; a
//! word wider than the lanes is zero-padded. Each is described once in [`crate::ir`]
//! (`describe_*`); its structs keep their ports as vectors of lanes, so they are kit leaves
//! written out here (the `ir_leaf!` macro takes one field per port).

use crate::config::ubits;
use crate::ir::leaf::Leaf;
use crate::ir::{case, cat, Circuit, Module, Signal};
use crate::kit::{Component, Sig};
use rust_hdl::core::ast::Verilog;
use rust_hdl::core::block::Block;
use rust_hdl::core::logic::Logic;
use rust_hdl::core::probe::Probe;

fn lane_names(prefix: &str, n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| &*Box::leak(format!("{prefix}{i}").into_boxed_str()))
        .collect()
}

/// The leaf of circuit `c` whose ports are `names`, with a kit port for each.
fn leaf(c: Circuit, names: &[&'static str]) -> (Leaf, Vec<Sig>) {
    let ir = Leaf::new(c, names);
    let sigs = names.iter().map(|n| ir.port_sig(n)).collect();
    (ir, sigs)
}

/// A word split into `n` lanes of `lane_bits` (signed lanes).
pub struct Split {
    pub word: Sig,
    pub lanes: Vec<Sig>,
    names: Vec<&'static str>,
    _ir: Leaf,
}

impl Split {
    /// Splits a `word_bits` word into `n` signed lanes of `lane_bits` (n * lane_bits <= word_bits).
    pub fn new(word_bits: u32, n: usize, lane_bits: u32) -> Split {
        let names = lane_names("lane_", n);
        let all: Vec<&'static str> = std::iter::once("word").chain(names.clone()).collect();
        let (ir, mut sigs) = leaf(describe_split(word_bits, n, lane_bits), &all);
        let lanes = sigs.split_off(1);
        Split {
            word: sigs.pop().unwrap(),
            lanes,
            names,
            _ir: ir,
        }
    }
}

/// The split described once: `lane_i` = bits [(i + 1) * lane_bits - 1 : i * lane_bits] of
/// `word`, read as signed.
pub fn describe_split(word_bits: u32, n: usize, lane_bits: u32) -> Circuit {
    assert!(n as u32 * lane_bits <= word_bits);
    let mut m = Module::new("split", "");
    let word = m.input("word", word_bits);
    for i in 0..n as u32 {
        let lane = word
            .slice((i + 1) * lane_bits - 1, i * lane_bits)
            .as_signed();
        m.output(&format!("lane_{i}"), &lane);
    }
    m.finish()
}

impl Logic for Split {
    fn update(&mut self) {
        let mut p: Vec<&mut Sig> = std::iter::once(&mut self.word)
            .chain(self.lanes.iter_mut())
            .collect();
        self._ir.update(&mut p);
    }
    fn connect(&mut self) {
        self.lanes.iter_mut().for_each(|l| l.claim());
    }
    fn hdl(&self) -> Verilog {
        self._ir.hdl()
    }
}

impl Block for Split {
    fn connect_all(&mut self) {
        Logic::connect(self);
    }
    fn update_all(&mut self) {
        self.update();
        self.word.update_all();
        self.lanes.iter_mut().for_each(|l| l.update_all());
    }
    fn has_changed(&self) -> bool {
        self.word.has_changed() || self.lanes.iter().any(|l| l.has_changed())
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        self.word.accept("word", probe);
        for (i, l) in self.lanes.iter().enumerate() {
            l.accept(self.names[i], probe);
        }
        probe.visit_end_scope(name, self);
    }
}

impl Component for Split {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn kind(&self) -> String {
        "split".into()
    }
    fn port_names(&self) -> Vec<&'static str> {
        std::iter::once("word")
            .chain(self.names.iter().copied())
            .collect()
    }
    fn port(&self, i: usize) -> &Sig {
        if i == 0 {
            &self.word
        } else {
            &self.lanes[i - 1]
        }
    }
    fn port_mut(&mut self, i: usize) -> &mut Sig {
        if i == 0 {
            &mut self.word
        } else {
            &mut self.lanes[i - 1]
        }
    }
    fn tick(&mut self) {}
}

/// `n` lanes of `lane_bits` (signed) packed into a `word_bits` word.
pub struct Concat {
    pub lanes: Vec<Sig>,
    pub word: Sig,
    names: Vec<&'static str>,
    _ir: Leaf,
}

impl Concat {
    pub fn new(n: usize, lane_bits: u32, word_bits: u32) -> Concat {
        let names = lane_names("lane_", n);
        let all: Vec<&'static str> = names.iter().copied().chain(["word"]).collect();
        let (ir, mut lanes) = leaf(describe_concat(n, lane_bits, word_bits), &all);
        Concat {
            word: lanes.pop().unwrap(),
            lanes,
            names,
            _ir: ir,
        }
    }
}

/// The concatenation described once: `word` = {0, lane_{n-1}, .., lane_0}.
pub fn describe_concat(n: usize, lane_bits: u32, word_bits: u32) -> Circuit {
    assert!(n as u32 * lane_bits <= word_bits);
    let mut m = Module::new("concat", "");
    let lanes: Vec<Signal> = (0..n)
        .map(|i| m.input_s(&format!("lane_{i}"), lane_bits))
        .collect();
    let word = pack(&lanes).ext(word_bits);
    m.output("word", &word);
    m.finish()
}

/// Lanes packed into a word, lane 0 lowest (unsigned, the sum of the widths).
fn pack(lanes: &[Signal]) -> Signal {
    let parts: Vec<&Signal> = lanes.iter().rev().collect();
    cat(&parts)
}

impl Logic for Concat {
    fn update(&mut self) {
        let mut p: Vec<&mut Sig> = self
            .lanes
            .iter_mut()
            .chain(std::iter::once(&mut self.word))
            .collect();
        self._ir.update(&mut p);
    }
    fn connect(&mut self) {
        self.word.claim();
    }
    fn hdl(&self) -> Verilog {
        self._ir.hdl()
    }
}

impl Block for Concat {
    fn connect_all(&mut self) {
        Logic::connect(self);
    }
    fn update_all(&mut self) {
        self.update();
        self.lanes.iter_mut().for_each(|l| l.update_all());
        self.word.update_all();
    }
    fn has_changed(&self) -> bool {
        self.word.has_changed() || self.lanes.iter().any(|l| l.has_changed())
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for (i, l) in self.lanes.iter().enumerate() {
            l.accept(self.names[i], probe);
        }
        self.word.accept("word", probe);
        probe.visit_end_scope(name, self);
    }
}

impl Component for Concat {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn kind(&self) -> String {
        "concat".into()
    }
    fn port_names(&self) -> Vec<&'static str> {
        self.names
            .iter()
            .copied()
            .chain(std::iter::once("word"))
            .collect()
    }
    fn port(&self, i: usize) -> &Sig {
        if i < self.lanes.len() {
            &self.lanes[i]
        } else {
            &self.word
        }
    }
    fn port_mut(&mut self, i: usize) -> &mut Sig {
        if i < self.lanes.len() {
            &mut self.lanes[i]
        } else {
            &mut self.word
        }
    }
    fn tick(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use rand::SeedableRng;

    #[test]
    fn split_gives_signed_lanes_and_concat_packs_them_back() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut sp = Split::new(40, 3, 8);
        let mut ct = Concat::new(3, 8, 64);
        for _ in 0..200 {
            let w = vectors::random(&mut rng, 40, false);
            // settle: the input takes its value, then the lanes follow it
            sp.word.set(w);
            sp.update_all();
            sp.update_all();
            for (i, l) in sp.lanes.iter().enumerate() {
                assert_eq!(
                    l.get(),
                    ((w >> (8 * i)) & 0xff) as u8 as i8 as i128,
                    "lane {i}"
                );
            }
            for (i, l) in ct.lanes.iter_mut().enumerate() {
                l.set(sp.lanes[i].get());
            }
            ct.update_all();
            ct.update_all();
            assert_eq!(ct.word.bits(), w as u128 & 0xff_ffff, "the padding reads 0");
        }
    }

    #[test]
    fn split_and_concat_match_verilog() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        check_verilog(&Split::new(64, 8, 8)).unwrap();
        check_verilog(&Split::new(40, 3, 8)).unwrap();
        check_verilog(&Concat::new(3, 16, 64)).unwrap();
        let rows: Vec<Vec<i128>> = (0..2000)
            .map(|_| vec![vectors::random(&mut rng, 40, false)])
            .collect();
        cosim(Split::new(40, 3, 8), &rows).unwrap();
        let rows: Vec<Vec<i128>> = (0..2000)
            .map(|_| {
                (0..3)
                    .map(|_| vectors::random(&mut rng, 16, true))
                    .collect()
            })
            .collect();
        cosim(Concat::new(3, 16, 64), &rows).unwrap();
    }
}

/// `select`: chunk `sel` of `n` lanes packed into a word (lanes sel * k .. sel * k + k, with
/// k = word_bits / lane_bits; lanes past n, and lanes at or past `nvalid`, are 0: the engine
/// zeroes the lanes of padded queries there). Combinational.
pub struct Select {
    pub lanes: Vec<Sig>,
    pub sel: Sig,
    /// How many of the lanes carry values (0 ..= n); the others read as 0.
    pub nvalid: Sig,
    pub word: Sig,
    names: Vec<&'static str>,
    per_word: usize,
    _ir: Leaf,
}

impl Select {
    pub fn new(n: usize, lane_bits: u32, word_bits: u32) -> Select {
        let names = lane_names("lane_", n);
        let all: Vec<&'static str> = names
            .iter()
            .copied()
            .chain(["sel", "nvalid", "word"])
            .collect();
        let (ir, mut lanes) = leaf(describe_select(n, lane_bits, word_bits), &all);
        let word = lanes.pop().unwrap();
        let nvalid = lanes.pop().unwrap();
        let sel = lanes.pop().unwrap();
        Select {
            lanes,
            sel,
            nvalid,
            word,
            names,
            per_word: (word_bits / lane_bits) as usize,
            _ir: ir,
        }
    }
    /// Width of the `nvalid` port for `n` lanes.
    pub fn nvalid_bits(n: usize) -> u32 {
        ubits(n as u128)
    }
    /// Words needed for all lanes.
    pub fn chunks(&self) -> usize {
        self.lanes.len().div_ceil(self.per_word)
    }
}

/// The select described once: `lane_i_v` is lane i below `nvalid`, else 0; `word` packs the
/// `lane_i_v` of chunk `sel` (0 for a `sel` past the last chunk).
pub fn describe_select(n: usize, lane_bits: u32, word_bits: u32) -> Circuit {
    let per_word = (word_bits / lane_bits) as usize;
    let chunks = n.div_ceil(per_word);
    let mut m = Module::new("select", "");
    let lanes: Vec<Signal> = (0..n)
        .map(|i| m.input_s(&format!("lane_{i}"), lane_bits))
        .collect();
    let sel = m.input("sel", ubits((chunks.max(2) - 1) as u128));
    let nvalid = m.input("nvalid", Select::nvalid_bits(n));
    // each lane, or 0 past nvalid
    let shown: Vec<Signal> = lanes
        .iter()
        .enumerate()
        .map(|(c, l)| {
            let l = l.as_unsigned();
            nvalid
                .lit(c as i128)
                .lt(&nvalid)
                .mux(&l, &l.lit(0))
                .named(&format!("lane_{c}_v"))
        })
        .collect();
    let words: Vec<Signal> = shown
        .chunks(per_word)
        .map(|c| pack(c).ext(word_bits))
        .collect();
    let arms: Vec<(i128, &Signal)> = words
        .iter()
        .enumerate()
        .map(|(j, w)| (j as i128, w))
        .collect();
    let word = case(&sel, &arms, &m.lit(word_bits, 0));
    m.output("word", &word);
    m.finish()
}

impl Logic for Select {
    fn update(&mut self) {
        let mut p: Vec<&mut Sig> = self
            .lanes
            .iter_mut()
            .chain([&mut self.sel, &mut self.nvalid, &mut self.word])
            .collect();
        self._ir.update(&mut p);
    }
    fn connect(&mut self) {
        self.word.claim();
    }
    fn hdl(&self) -> Verilog {
        self._ir.hdl()
    }
}

impl Block for Select {
    fn connect_all(&mut self) {
        Logic::connect(self);
    }
    fn update_all(&mut self) {
        self.update();
        self.lanes.iter_mut().for_each(|l| l.update_all());
        self.sel.update_all();
        self.nvalid.update_all();
        self.word.update_all();
    }
    fn has_changed(&self) -> bool {
        self.word.has_changed()
            || self.sel.has_changed()
            || self.nvalid.has_changed()
            || self.lanes.iter().any(|l| l.has_changed())
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for (i, l) in self.lanes.iter().enumerate() {
            l.accept(self.names[i], probe);
        }
        self.sel.accept("sel", probe);
        self.nvalid.accept("nvalid", probe);
        self.word.accept("word", probe);
        probe.visit_end_scope(name, self);
    }
}

impl Component for Select {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn kind(&self) -> String {
        "select".into()
    }
    fn port_names(&self) -> Vec<&'static str> {
        self.names
            .iter()
            .copied()
            .chain(["sel", "nvalid", "word"])
            .collect()
    }
    fn port(&self, i: usize) -> &Sig {
        let n = self.lanes.len();
        if i < n {
            &self.lanes[i]
        } else if i == n {
            &self.sel
        } else if i == n + 1 {
            &self.nvalid
        } else {
            &self.word
        }
    }
    fn port_mut(&mut self, i: usize) -> &mut Sig {
        let n = self.lanes.len();
        if i < n {
            &mut self.lanes[i]
        } else if i == n {
            &mut self.sel
        } else if i == n + 1 {
            &mut self.nvalid
        } else {
            &mut self.word
        }
    }
    fn tick(&mut self) {}
}

#[cfg(test)]
mod select_tests {
    use super::*;
    use crate::kit::cosim::{check_verilog, cosim, vectors};
    use rand::{Rng, SeedableRng};

    #[test]
    fn select_zeroes_lanes_at_and_past_nvalid() {
        let mut s = Select::new(5, 16, 64);
        // settle: inputs take their values, then the word follows them
        let word = |s: &mut Select, sel: i128, nv: i128| {
            s.sel.set(sel);
            s.nvalid.set(nv);
            s.update_all();
            s.update_all();
            s.word.bits()
        };
        for (i, l) in s.lanes.iter_mut().enumerate() {
            l.set(i as i128 + 1);
        }
        assert_eq!(word(&mut s, 1, 5), 5, "lane 4 alone in word 1");
        assert_eq!(word(&mut s, 0, 2), (2 << 16) | 1, "lanes 2, 3 are 0");
        assert_eq!(word(&mut s, 0, 0), 0);
        assert_eq!(word(&mut s, 1, 4), 0);
    }

    #[test]
    fn select_matches_verilog() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
        for n in [1, 5, 8] {
            check_verilog(&Select::new(n, 16, 64)).unwrap();
            let rows: Vec<Vec<i128>> = (0..1000)
                .map(|_| {
                    let mut r: Vec<i128> = (0..n)
                        .map(|_| vectors::random(&mut rng, 16, true))
                        .collect();
                    r.push(rng.gen_range(0..2));
                    r.push(rng.gen_range(0..=n as i128));
                    r
                })
                .collect();
            cosim(Select::new(n, 16, 64), &rows).unwrap();
        }
    }
}
