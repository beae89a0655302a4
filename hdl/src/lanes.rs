//! `split` and `concat`: a stream word to lanes and lanes to a word (combinational, latency 0).
//! Structures only wire whole signals, so lane packing is a leaf. Lane i occupies bits
//! [i * lane_bits, (i + 1) * lane_bits) of the word; a word wider than the lanes is zero-padded.

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

/// A word split into `n` lanes of `lane_bits` (signed lanes).
pub struct Split {
    pub word: Sig,
    pub lanes: Vec<Sig>,
    names: Vec<&'static str>,
}

impl Split {
    /// Splits a `word_bits` word into `n` signed lanes of `lane_bits` (n * lane_bits <= word_bits).
    pub fn new(word_bits: u32, n: usize, lane_bits: u32) -> Split {
        assert!(n as u32 * lane_bits <= word_bits);
        Split {
            word: Sig::input(word_bits),
            lanes: (0..n).map(|_| Sig::output_s(lane_bits)).collect(),
            names: lane_names("lane_", n),
        }
    }
}

impl Logic for Split {
    fn update(&mut self) {
        let w = self.word.bits();
        for (i, l) in self.lanes.iter_mut().enumerate() {
            let lb = l.width();
            l.set(((w >> (i as u32 * lb)) & ((1u128 << lb) - 1)) as i128);
        }
    }
    fn connect(&mut self) {
        self.lanes.iter_mut().for_each(|l| l.claim());
    }
    fn hdl(&self) -> Verilog {
        let mut t = String::from("// @leaf split\n");
        let used = self.lanes.iter().map(|l| l.width()).sum::<u32>();
        if used < self.word.width() {
            t.push_str("// bits above the lanes are padding\n/* verilator lint_off UNUSEDSIGNAL */\nwire unused_pad = |word;\n/* verilator lint_on UNUSEDSIGNAL */\n");
        }
        for (i, l) in self.lanes.iter().enumerate() {
            let lb = l.width();
            t.push_str(&format!(
                "always @(*) {} = word[{}:{}];\n",
                self.names[i],
                (i as u32 + 1) * lb - 1,
                i as u32 * lb
            ));
        }
        Verilog::Custom(t)
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
}

impl Concat {
    pub fn new(n: usize, lane_bits: u32, word_bits: u32) -> Concat {
        assert!(n as u32 * lane_bits <= word_bits);
        Concat {
            lanes: (0..n).map(|_| Sig::input_s(lane_bits)).collect(),
            word: Sig::output(word_bits),
            names: lane_names("lane_", n),
        }
    }
}

impl Logic for Concat {
    fn update(&mut self) {
        let mut w: u128 = 0;
        for (i, l) in self.lanes.iter().enumerate() {
            w |= l.bits() << (i as u32 * l.width());
        }
        self.word.set(w as i128);
    }
    fn connect(&mut self) {
        self.word.claim();
    }
    fn hdl(&self) -> Verilog {
        let used: u32 = self.lanes.iter().map(|l| l.width()).sum();
        let mut parts: Vec<String> = vec![];
        if used < self.word.width() {
            parts.push(format!("{}'d0", self.word.width() - used));
        }
        for i in (0..self.lanes.len()).rev() {
            parts.push(self.names[i].to_string());
        }
        Verilog::Custom(format!(
            "// @leaf concat\nalways @(*) word = {{{}}};\n",
            parts.join(", ")
        ))
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
}

impl Select {
    pub fn new(n: usize, lane_bits: u32, word_bits: u32) -> Select {
        let per_word = (word_bits / lane_bits) as usize;
        let chunks = n.div_ceil(per_word);
        Select {
            lanes: (0..n).map(|_| Sig::input_s(lane_bits)).collect(),
            sel: Sig::input(crate::config::ubits((chunks.max(2) - 1) as u128)),
            nvalid: Sig::input(Self::nvalid_bits(n)),
            word: Sig::output(word_bits),
            names: lane_names("lane_", n),
            per_word,
        }
    }
    /// Width of the `nvalid` port for `n` lanes.
    pub fn nvalid_bits(n: usize) -> u32 {
        crate::config::ubits(n as u128)
    }
    /// Words needed for all lanes.
    pub fn chunks(&self) -> usize {
        self.lanes.len().div_ceil(self.per_word)
    }
}

impl Logic for Select {
    fn update(&mut self) {
        let j = self.sel.bits() as usize;
        let nv = self.nvalid.bits() as usize;
        let mut w: u128 = 0;
        for i in 0..self.per_word {
            let c = j * self.per_word + i;
            if let Some(l) = self.lanes.get(c).filter(|_| c < nv) {
                w |= l.bits() << (i as u32 * l.width());
            }
        }
        self.word.set(w as i128);
    }
    fn connect(&mut self) {
        self.word.claim();
    }
    fn hdl(&self) -> Verilog {
        let lb = self.lanes[0].width();
        let wb = self.word.width();
        let sb = self.sel.width();
        let nb = self.nvalid.width();
        let mut t = String::from("// @leaf select\n");
        // each lane, or 0 past nvalid
        for (c, name) in self.names.iter().enumerate() {
            t.push_str(&format!(
                "wire [{}:0] {name}_v = ({nb}'d{c} < nvalid) ? {name} : {lb}'d0;\n",
                lb - 1
            ));
        }
        t.push_str("always @(*) begin\n    case (sel)\n");
        for j in 0..self.chunks() {
            let mut parts = vec![];
            let n_here = (self.lanes.len() - j * self.per_word).min(self.per_word);
            let used = n_here as u32 * lb;
            if used < wb {
                parts.push(format!("{}'d0", wb - used));
            }
            for i in (0..n_here).rev() {
                parts.push(format!("{}_v", self.names[j * self.per_word + i]));
            }
            t.push_str(&format!(
                "        {sb}'d{j}: word = {{{}}};\n",
                parts.join(", ")
            ));
        }
        t.push_str(&format!(
            "        default: word = {wb}'d0;\n    endcase\nend\n"
        ));
        Verilog::Custom(t)
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
