//! `fusemax reference`: the bit-accurate model on generated inputs or on .npy files, compared
//! with f64 attention of the same (quantized) inputs.

use super::common::{CommonArgs, JobFiles};
use super::emit;
use anyhow::{anyhow, bail, Context, Result};
use fusemax_hdl::{Config, Numerics};
use fusemax_tb::npy::{self, NpyMatrix};
use fusemax_tb::quant::{self, QuantJob, Steps};
use fusemax_tb::{gen, metrics, reference, Mat};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub files: JobFiles,
}

/// Where the inputs came from.
pub enum Source {
    Generated,
    Files,
}

fn read_input(name: &str, flag: &str, path: &Path) -> Result<NpyMatrix> {
    let m = npy::read_matrix(path).with_context(|| format!("{flag} ({name})"))?;
    if let NpyMatrix::Real(r) = &m {
        if let Some(i) = r.data.iter().position(|x| !x.is_finite()) {
            bail!(
                "{flag} ({name}) {}: holds the non-finite value {} at [{}, {}]",
                path.display(),
                r.data[i],
                i / r.cols,
                i % r.cols
            );
        }
    }
    Ok(m)
}

/// Step and integers of one tensor: float files are quantized per tensor to `data_bits`
/// (as `QuantJob::from_real` does), integer files are taken as they are with step 1.
fn to_int(m: NpyMatrix, cfg: &Config) -> (Mat<i32>, f64) {
    match m {
        NpyMatrix::Int(i) => (i, 1.0),
        NpyMatrix::Real(r) => {
            let step = quant::symmetric_step(&r, cfg.data_bits);
            (quant::quantize(&r, step, cfg.data_bits), step)
        }
    }
}

fn job_from_files(
    q: &Option<PathBuf>,
    k: &Option<PathBuf>,
    v: &Option<PathBuf>,
    cfg: &Config,
) -> Result<QuantJob> {
    let (Some(qp), Some(kp), Some(vp)) = (q, k, v) else {
        bail!("--q, --k and --v must be given together (or none of them, to generate inputs)");
    };
    let q = read_input("Q", "--q", qp)?;
    let k = read_input("K", "--k", kp)?;
    let v = read_input("V", "--v", vp)?;
    let ((p, e), (m, ek), (mv, f)) = (q.shape(), k.shape(), v.shape());
    quant::check_shapes(p, e, m, ek, mv, f, cfg).map_err(|msg| {
        anyhow!("input shapes Q [{p}, {e}], K [{m}, {ek}], V [{mv}, {f}] (expected [P, E], [M, E], [M, F]): {msg}")
    })?;
    let scale = cfg.job.scale;
    let job = if let (NpyMatrix::Real(q), NpyMatrix::Real(k), NpyMatrix::Real(v)) = (&q, &k, &v) {
        QuantJob::from_real(q, k, v, scale, cfg)
    } else {
        let (qi, sq) = to_int(q, cfg);
        let (ki, sk) = to_int(k, cfg);
        let (vi, sv) = to_int(v, cfg);
        let steps = Steps {
            q: sq,
            k: sk,
            v: sv,
        };
        QuantJob::from_int(qi, ki, vi, steps, scale, cfg)
    };
    job.map_err(|e| anyhow!("inputs: {e}"))
}

/// The job of a command line: Q, K, V from .npy files (all three) or generated from the
/// job's shape, seed and distribution; the config's job shape follows the files.
pub fn load_job(common: &CommonArgs, files: &JobFiles) -> Result<(Config, QuantJob, Source)> {
    let (q, k, v) = (&files.q, &files.k, &files.v);
    let any_file = q.is_some() || k.is_some() || v.is_some();
    let mut cfg;
    Ok(if any_file {
        if common.has_generation_flags() {
            eprintln!(
                "note: the shape, --seed and --dist flags do not apply when Q, K, V come from files"
            );
        }
        // The files give the job's shape: validate the rest of the config with a placeholder
        // shape, check the files' shapes against its limits, then record their shape.
        let placeholder: Vec<String> = ["seq_q", "seq_kv", "head_e", "head_f"]
            .iter()
            .map(|k| format!("job.{k}=1"))
            .collect();
        cfg = common.load_config_with(&placeholder)?;
        let job = job_from_files(q, k, v, &cfg)?;
        let (p, m, e, f) = job.shape();
        (
            cfg.job.seq_q,
            cfg.job.seq_kv,
            cfg.job.head_e,
            cfg.job.head_f,
        ) = (p, m, e, f);
        cfg.validate_job()
            .map_err(|e| anyhow!("input shapes: {e}"))?;
        (cfg, job, Source::Files)
    } else {
        cfg = common.load_config()?;
        let j = &cfg.job;
        let x = gen::generate(j.seq_q, j.seq_kv, j.head_e, j.head_f, j.seed, j.dist);
        let job = QuantJob::from_real(&x.q, &x.k, &x.v, j.scale, &cfg)
            .map_err(|e| anyhow!("generated inputs: {e}"))?;
        (cfg, job, Source::Generated)
    })
}

pub fn run(a: Args) -> Result<()> {
    let (cfg, job, source) = load_job(&a.common, &a.files)?;
    let (p, m, e, f) = job.shape();
    let n = Numerics::new(&cfg);

    let t0 = Instant::now();
    let out = reference::cascade_fixed(&job, &cfg);
    let t_fixed = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let want = metrics::reference_lsb(&job);
    let t_f64 = t1.elapsed().as_secs_f64();
    let stats = metrics::error_stats(&out, cfg.out_frac_bits, &want);
    // Outputs whose reference lies outside the range of an output word (clipped by the
    // divider's saturation); AV is a weighted mean of V, so this must stay 0.
    let ulp = 1.0 / (1u64 << cfg.out_frac_bits) as f64;
    let hi = ((1i64 << (n.out_bits - 1)) - 1) as f64 * ulp + ulp / 2.0;
    let lo = -((1i64 << (n.out_bits - 1)) as f64) * ulp - ulp / 2.0;
    let saturated = want.data.iter().filter(|&&r| r > hi || r < lo).count();

    a.files.write_av(&out, &job, &cfg)?;

    let c = job.scale_const;
    let (dist, seed) = match source {
        Source::Generated => (Some(cfg.job.dist.to_string()), Some(cfg.job.seed)),
        Source::Files => (None, None),
    };
    if a.common.json {
        let v = serde_json::json!({
            "inputs": match source { Source::Generated => "generated", Source::Files => "files" },
            "shape": { "p": p, "m": m, "e": e, "f": f },
            "dist": dist,
            "seed": seed,
            "scale": job.scale,
            "steps": job.steps,
            "scale_const": { "value": c.value(&n), "mant": c.mant, "shift": c.shift },
            "max_abs_err_lsb": stats.max_abs_err_lsb,
            "mean_abs_err_lsb": stats.mean_abs_err_lsb,
            "rmse_lsb": stats.rmse_lsb,
            "count": stats.count,
            "non_finite": stats.non_finite,
            "saturated": saturated,
            "time_fixed_s": t_fixed,
            "time_f64_s": t_f64,
            "out": a.files.out.as_ref().map(|p| p.display().to_string()),
            "hw_hash": cfg.hw_hash(),
        });
        return emit(&format!("{}\n", serde_json::to_string(&v)?));
    }

    let mut r = String::new();
    let src = match source {
        Source::Generated => format!("generated, dist {}, seed {}", cfg.job.dist, cfg.job.seed),
        Source::Files => "from files".to_string(),
    };
    r += &format!("fusemax reference: P = {p}, M = {m}, E = {e}, F = {f} ({src})\n");
    let scale_src = if cfg.job.scale.is_some() {
        "given"
    } else {
        "1/sqrt(E)"
    };
    r += &format!(
        "  score scale {:.6} ({scale_src}); steps Q {:.4e}, K {:.4e}, V {:.4e}\n",
        job.scale, job.steps.q, job.steps.k, job.steps.v
    );
    r += &format!(
        "  c = scale * step_q * step_k * log2(e) = {:.6e}, held as mantissa {:#x} ({} bits), shift {}\n",
        c.value(&n),
        c.mant,
        n.mant_bits,
        c.shift
    );
    r += &format!(
        "  bit-accurate cascade (tile M0 = {}, exp degree {}, exp_frac_bits {}, out_frac_bits {}): {:.3} s; f64 attention: {:.3} s\n",
        cfg.rows, cfg.exp_degree, cfg.exp_frac_bits, cfg.out_frac_bits, t_fixed, t_f64
    );
    r += &format!(
        "  error vs f64 attention in LSB of V's grid, over {} outputs: max {:.4}, mean {:.5}, rmse {:.5}\n",
        stats.count, stats.max_abs_err_lsb, stats.mean_abs_err_lsb, stats.rmse_lsb
    );
    if saturated > 0 || stats.non_finite > 0 {
        r += &format!(
            "  WARNING: {saturated} saturated outputs, {} non-finite reference values\n",
            stats.non_finite
        );
    }
    if let Some(path) = &a.files.out {
        r += &format!(
            "  wrote AV [{p}, {f}] as float32 (real units) to {}\n",
            path.display()
        );
    }
    emit(&r)
}
