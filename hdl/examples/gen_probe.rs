use fusemax_hdl::Config;
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
    let v = fusemax_hdl::generate(&cfg);
    println!("{}x{}: {} bytes in {:?}", a[0], a[1], v.len(), t.elapsed());
    std::fs::write(format!("/tmp/top_{}x{}.v", a[0], a[1]), v).unwrap();
}
