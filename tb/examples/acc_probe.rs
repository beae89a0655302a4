use fusemax_hdl::{Config, Dist};
use fusemax_tb::{gen, metrics, quant::QuantJob, reference};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let p: usize = args[1].parse().unwrap();
    let m: usize = args[2].parse().unwrap();
    let e: usize = args[3].parse().unwrap();
    let dist: Dist = args[4].parse().unwrap();
    let deg: u32 = args.get(5).map(|s| s.parse().unwrap()).unwrap_or(3);
    let cfg = Config {
        exp_degree: deg,
        ..Config::default()
    };
    let x = gen::generate(p, m, e, e, 7, dist);
    let job = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).unwrap();
    let t = std::time::Instant::now();
    let out = reference::cascade_fixed(&job, &cfg);
    let t1 = t.elapsed();
    let r = metrics::reference_lsb(&job);
    let s = metrics::error_stats(&out, cfg.out_frac_bits, &r);
    println!(
        "{p}x{m} E={e} {dist} deg={deg}: max {:.4} mean {:.5} rmse {:.5}  ({:?}) c={:e}",
        s.max_abs_err_lsb,
        s.mean_abs_err_lsb,
        s.rmse_lsb,
        t1,
        job.scale_const.value(&fusemax_hdl::Numerics::new(&cfg))
    );
}
