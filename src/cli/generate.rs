//! `fusemax generate`: writes the engine's Verilog (`fusemax.v`) and the effective config
//! (`fusemax.toml`) for a config.

use super::common::CommonArgs;
use super::emit;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR", default_value = "build/rtl")]
    pub out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let cfg = a.common.load_config()?;
    let t = std::time::Instant::now();
    let verilog = fusemax_hdl::generate(&cfg);
    let secs = t.elapsed().as_secs_f64();
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let vpath = a.out.join("fusemax.v");
    let cpath = a.out.join("fusemax.toml");
    std::fs::write(&vpath, &verilog)
        .with_context(|| format!("cannot write {}", vpath.display()))?;
    std::fs::write(&cpath, cfg.to_toml())
        .with_context(|| format!("cannot write {}", cpath.display()))?;
    let modules = verilog.lines().filter(|l| l.starts_with("module ")).count();
    if a.common.json {
        let v = serde_json::json!({
            "verilog": vpath.display().to_string(),
            "config": cpath.display().to_string(),
            "top": fusemax_hdl::TOP_MODULE,
            "bytes": verilog.len(),
            "modules": modules,
            "rows": cfg.rows,
            "cols": cfg.cols,
            "hw_hash": cfg.hw_hash(),
            "seconds": secs,
        });
        return emit(&format!("{}\n", serde_json::to_string(&v)?));
    }
    emit(&format!(
        "wrote {} ({} bytes, {} modules, top {}) and {} in {:.2} s\n",
        vpath.display(),
        verilog.len(),
        modules,
        fusemax_hdl::TOP_MODULE,
        cpath.display(),
        secs
    ))
}
