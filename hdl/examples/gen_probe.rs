use fusemax_hdl::{datapath, kit::emit::emit_verilog, Config};
fn main() {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let cfg = Config {
        rows: a[0],
        cols: a[1],
        ..Config::default()
    };
    let t = std::time::Instant::now();
    let dp = datapath::build(&cfg);
    let v = emit_verilog(&dp, "fusemax_datapath", "// probe\n");
    println!("{}x{}: {} bytes in {:?}", a[0], a[1], v.len(), t.elapsed());
    std::fs::write(format!("/tmp/dp_{}x{}.v", a[0], a[1]), v).unwrap();
}
