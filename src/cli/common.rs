//! Options shared by every subcommand: where the configuration comes from and the job.

use anyhow::{anyhow, Result};
use clap::builder::PossibleValuesParser;
use clap::{ArgAction, Args};
use fusemax_hdl::Config;
use std::path::PathBuf;

/// Configuration and job options, flattened into every subcommand.
///
/// Precedence: built-in defaults < `--config FILE` < `--set key=value` < job flags. The job
/// flags are turned into `job.*=value` sets placed after the user's `--set`s, and
/// `Config::load` applies them all and validates once.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Configuration and job")]
pub struct CommonArgs {
    /// TOML configuration applied over the built-in defaults (see configs/default.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Override one configuration key (repeatable); dotted keys reach the job: job.seq_kv=4096.
    #[arg(long = "set", value_name = "KEY=VALUE", action = ArgAction::Append)]
    pub set: Vec<String>,

    /// P: number of queries (job.seq_q).
    #[arg(long, value_name = "P")]
    pub seq_q: Option<usize>,

    /// M: number of keys and values (job.seq_kv).
    #[arg(long, value_name = "M")]
    pub seq_kv: Option<usize>,

    /// E: head size of Q and K (job.head_e).
    #[arg(long, value_name = "E")]
    pub head_e: Option<usize>,

    /// F: head size of V (job.head_f).
    #[arg(long, value_name = "F")]
    pub head_f: Option<usize>,

    /// Seed of generated inputs (job.seed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Distribution of generated inputs (job.dist).
    #[arg(long, value_name = "DIST",
          value_parser = PossibleValuesParser::new(["normal", "uniform", "peaked", "flat"]))]
    pub dist: Option<String>,

    /// Score scale applied to Q.K (job.scale); default 1/sqrt(E).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub scale: Option<f64>,

    /// Print one JSON object instead of the human-readable report.
    #[arg(long)]
    pub json: bool,
}

/// Q, K, V from .npy files and where AV goes: flattened into `reference`, `sim` and `host`.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Inputs and output")]
pub struct JobFiles {
    /// Q [P, E] as .npy (float32/float64: quantized per tensor; int8: used as is, step 1).
    /// With --k and --v; without files, inputs are generated from the job.
    #[arg(long, value_name = "Q.npy")]
    pub q: Option<PathBuf>,

    /// K [M, E] as .npy.
    #[arg(long, value_name = "K.npy")]
    pub k: Option<PathBuf>,

    /// V [M, F] as .npy.
    #[arg(long, value_name = "V.npy")]
    pub v: Option<PathBuf>,

    /// Write AV [P, F] as float32 .npy in real units (dequantized with V's step).
    #[arg(long, value_name = "O.npy")]
    pub out: Option<PathBuf>,
}

impl JobFiles {
    /// Writes AV (output words, [P, F]) to `--out` if given, as float32 in real units:
    /// word / 2^out_frac_bits * V's quantization step.
    pub fn write_av(
        &self,
        av: &fusemax_tb::Mat<i64>,
        job: &fusemax_tb::QuantJob,
        cfg: &Config,
    ) -> Result<()> {
        if let Some(path) = &self.out {
            let unit = job.steps.v / (1u64 << cfg.out_frac_bits) as f64;
            fusemax_tb::npy::write_f32(path, &av.map(|w| w as f64 * unit))
                .map_err(|e| anyhow!("--out: {e:#}"))?;
        }
        Ok(())
    }
}

/// A float as a TOML literal (TOML spells the special values inf, -inf and nan).
fn toml_float(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        // Debug keeps a decimal point or exponent, so TOML reads a float, never an integer.
        format!("{x:?}")
    }
}

impl CommonArgs {
    /// The job flags as `job.*=value` sets, with the flag each one came from.
    pub fn job_sets(&self) -> Vec<(String, &'static str)> {
        let mut v = vec![];
        if let Some(x) = self.seq_q {
            v.push((format!("job.seq_q={x}"), "--seq-q"));
        }
        if let Some(x) = self.seq_kv {
            v.push((format!("job.seq_kv={x}"), "--seq-kv"));
        }
        if let Some(x) = self.head_e {
            v.push((format!("job.head_e={x}"), "--head-e"));
        }
        if let Some(x) = self.head_f {
            v.push((format!("job.head_f={x}"), "--head-f"));
        }
        if let Some(x) = self.seed {
            v.push((format!("job.seed={x}"), "--seed"));
        }
        if let Some(x) = &self.dist {
            v.push((format!("job.dist=\"{x}\""), "--dist"));
        }
        if let Some(x) = self.scale {
            v.push((format!("job.scale={}", toml_float(x)), "--scale"));
        }
        v
    }

    /// True when any job flag that shapes generated inputs was given.
    pub fn has_generation_flags(&self) -> bool {
        self.seq_q.is_some()
            || self.seq_kv.is_some()
            || self.head_e.is_some()
            || self.head_f.is_some()
            || self.seed.is_some()
            || self.dist.is_some()
    }

    /// Loads and validates the effective configuration. Errors name the key and, for job
    /// flags, the flag that set it.
    pub fn load_config(&self) -> Result<Config> {
        self.load_config_with(&[])
    }

    /// As [`Self::load_config`], with `extra` sets applied last (after the job flags).
    pub fn load_config_with(&self, extra: &[String]) -> Result<Config> {
        self.load(None, extra)
    }

    /// As [`Self::load_config`], but without `--config` the base is `preset` (a name for
    /// errors and its TOML text) instead of the built-in defaults.
    pub fn load_config_or_preset(&self, preset: (&str, &str)) -> Result<Config> {
        self.load(Some(preset), &[])
    }

    fn load(&self, preset: Option<(&str, &str)>, extra: &[String]) -> Result<Config> {
        let job = self.job_sets();
        let mut sets = self.set.clone();
        sets.extend(job.iter().map(|(s, _)| s.clone()));
        sets.extend(extra.iter().cloned());
        let loaded = match (&self.config, preset) {
            (None, Some((name, text))) => Config::load_text(name, text, &sets),
            (file, _) => Config::load(file.as_deref(), &sets),
        };
        loaded.map_err(|e| {
            let flag = job
                .iter()
                .find(|(s, _)| s.split('=').next() == Some(e.field.as_str()))
                .map(|(_, f)| format!(" (given by {f})"))
                .unwrap_or_default();
            anyhow!("invalid configuration: {e}{flag}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_flags_override_sets_and_floats_stay_floats() {
        let a = CommonArgs {
            set: vec!["job.seq_kv=5".into(), "rows=4".into()],
            seq_kv: Some(9),
            scale: Some(1.0),
            dist: Some("flat".into()),
            ..Default::default()
        };
        let c = a.load_config().unwrap();
        assert_eq!(c.job.seq_kv, 9);
        assert_eq!(c.rows, 4);
        assert_eq!(c.job.scale, Some(1.0));
        assert_eq!(c.job.dist, fusemax_hdl::Dist::Flat);
        assert_eq!(toml_float(f64::INFINITY), "inf");
        assert_eq!(toml_float(1e-10), "1e-10");
    }

    #[test]
    fn errors_name_the_flag() {
        let a = CommonArgs {
            seq_kv: Some(0),
            ..Default::default()
        };
        let e = a.load_config().unwrap_err().to_string();
        assert!(e.contains("job.seq_kv") && e.contains("--seq-kv"), "{e}");
        let a = CommonArgs {
            scale: Some(f64::NAN),
            ..Default::default()
        };
        let e = a.load_config().unwrap_err().to_string();
        assert!(e.contains("job.scale") && e.contains("--scale"), "{e}");
    }
}
