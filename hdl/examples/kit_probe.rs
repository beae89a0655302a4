use fusemax_hdl::kit::{Component, RtlSim, Sig, Structure};
use fusemax_hdl::leaf_ports;
use rust_hdl::core::prelude::*;

#[derive(LogicBlock)]
pub struct Reg {
    pub clock: Sig,
    pub d: Sig,
    pub q: Sig,
    _v: i128,
}
impl Reg {
    fn new(w: u32) -> Self {
        Reg {
            clock: Sig::input(1),
            d: Sig::input_s(w),
            q: Sig::output_s(w),
            _v: 0,
        }
    }
}
impl Logic for Reg {
    fn update(&mut self) {
        self.q.set(self._v);
    }
    fn connect(&mut self) {
        self.q.claim();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom("// @leaf reg\nalways @(posedge clock) q <= d;\n".into())
    }
}
impl Component for Reg {
    fn kind(&self) -> String {
        "reg".into()
    }
    leaf_ports!(clock, d, q);
    fn tick(&mut self) {
        self._v = self.d.get();
    }
}

fn main() {
    let mut s = Structure::new("chain", "two registers");
    let clk = s.add_port("clock", Sig::input(1));
    let din = s.add_port("din", Sig::input_s(8));
    let a = s.add_child("r0", Box::new(Reg::new(8)));
    let b = s.add_child("r1", Box::new(Reg::new(8)));
    let ca = s.at(a, "clock");
    s.connect(ca, clk);
    let cb = s.at(b, "clock");
    s.connect(cb, clk);
    let da = s.at(a, "d");
    s.connect(da, din);
    let db = s.at(b, "d");
    let qa = s.at(a, "q");
    s.connect(db, qa);
    s.expose(b, "q", "dout");
    let s = s.finish();
    let v = fusemax_hdl::kit::emit::emit_verilog(&s, "chain_top", "// header\n");
    println!("{v}");
    std::fs::write("/tmp/chain.v", &v).unwrap();
    let mut sim = RtlSim::new(s);
    for i in 0..5 {
        sim.set("din", i * 50);
        sim.step();
        println!("cycle {} dout {}", sim.cycle, sim.get("dout"));
    }
}
