//! The one configuration of a FuseMax build: hardware shape, numerics, limits and the job.
//!
//! Every other part of the project (RTL generator, bit-accurate model, testbenches, FPGA flow,
//! reports) reads a validated [`Config`]; derived quantities (accumulator widths, exp constants)
//! are computed by [`Config::derived`] and never typed twice.
//!
//! Precedence: built-in defaults < `--config FILE` (TOML) < `--set key=value` (repeatable) <
//! job flags (`--seq-q`, ...). [`Config::load`] applies all of them and validates once.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// The default configuration, embedded so that no file is needed. It is the serialized form of
/// [`Config::default`] (a test keeps the two identical).
pub const DEFAULT_TOML: &str = include_str!("../../configs/default.toml");

/// How the cascade's phases of consecutive key tiles are placed in time on the arrays.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// One key tile at a time: BQK, LM, RM, SLN, SLD/SLNV, rescale; simple to verify.
    Sequential,
    /// FuseMax's interleaved binding: two tiles in flight, tile j's BQK and exp of tile j - 1
    /// sharing the PEs' multipliers, then LM of j with SLD/SLNV of j - 1 (`schedule`).
    Fusemax,
}

/// Distribution of generated inputs (see `tb::gen`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Dist {
    /// Standard normal Q, K, V: scores of realistic spread.
    Normal,
    /// Uniform in [-1, 1).
    Uniform,
    /// One dominant key per query (its K aligned with Q and scaled up).
    Peaked,
    /// All scores equal (K rows identical): uniform attention.
    Flat,
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Dist::Normal => "normal",
            Dist::Uniform => "uniform",
            Dist::Peaked => "peaked",
            Dist::Flat => "flat",
        };
        f.write_str(s)
    }
}

impl std::str::FromStr for Dist {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "normal" => Ok(Dist::Normal),
            "uniform" => Ok(Dist::Uniform),
            "peaked" => Ok(Dist::Peaked),
            "flat" => Ok(Dist::Flat),
            _ => Err(format!(
                "unknown distribution `{s}`: expected one of normal, uniform, peaked, flat"
            )),
        }
    }
}

/// One attention job: the shape of Q [P, E], K [M, E], V [M, F], and how inputs are made when no
/// files are given.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Job {
    /// P: number of queries.
    pub seq_q: usize,
    /// M: number of keys and values.
    pub seq_kv: usize,
    /// E: head size of Q and K.
    pub head_e: usize,
    /// F: head size of V.
    pub head_f: usize,
    /// Score scale; `None` means 1/sqrt(E).
    pub scale: Option<f64>,
    /// Seed of generated inputs.
    pub seed: u64,
    /// Distribution of generated inputs.
    pub dist: Dist,
}

impl Default for Job {
    fn default() -> Self {
        Job {
            seq_q: 64,
            seq_kv: 256,
            head_e: 64,
            head_f: 64,
            scale: None,
            seed: 1,
            dist: Dist::Normal,
        }
    }
}

impl Job {
    /// The score scale actually used: the given one or 1/sqrt(E).
    pub fn effective_scale(&self) -> f64 {
        self.scale
            .unwrap_or_else(|| 1.0 / (self.head_e.max(1) as f64).sqrt())
    }
}

/// The configuration. Field names are what a user would guess; see `configs/default.toml` for
/// each field's meaning and range.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Rows of the 2D array: M0, keys per tile.
    pub rows: usize,
    /// Columns of the 2D array: P0, queries in flight.
    pub cols: usize,
    /// Units of the 1D (softmax-fusion) array; one per column (`None` = cols).
    pub units_1d: Option<usize>,
    /// Largest head size E of Q and K the hardware holds.
    pub max_e: usize,
    /// Largest head size F of V the hardware holds.
    pub max_f: usize,
    /// Largest key/value sequence length M (sizes the running sums, not any buffer).
    pub max_seq_kv: usize,
    /// Largest query sequence length P.
    pub max_seq_q: usize,
    /// Width of Q, K, V (signed integers).
    pub data_bits: u32,
    /// Fraction bits of exp outputs (SLN, PRM), values in [0, 1].
    pub exp_frac_bits: u32,
    /// Degree of the polynomial for 2^-f on [0, 1) (Horner steps on the PE multiplier).
    pub exp_degree: u32,
    /// Fraction bits of the AV output (in units of V's quantization step).
    pub out_frac_bits: u32,
    /// Signed operand width of the PE and 1D-unit multipliers (18 fits one ECP5/Xilinx DSP).
    pub mul_bits: u32,
    /// Depth of the input and output FIFOs of the top level, in stream words.
    pub fifo_depth: usize,
    /// Width of an input stream word (`s_axis_tdata`): 64 or 128. A wider stream brings more
    /// K/V values a cycle, so that an array with more rows is not input-bound.
    pub stream_bits: u32,
    /// Placement of tiles in time.
    pub binding: Binding,
    /// Target clock in MHz (FPGA flow and reports).
    pub clock_mhz: f64,
    /// Baud rate of the board's UART host link (8N1).
    pub uart_baud: u32,
    /// The job.
    pub job: Job,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rows: 8,
            cols: 8,
            units_1d: None,
            max_e: 128,
            max_f: 128,
            max_seq_kv: 65536,
            max_seq_q: 65536,
            data_bits: 8,
            exp_frac_bits: 16,
            exp_degree: 3,
            out_frac_bits: 8,
            mul_bits: 18,
            fifo_depth: 16,
            stream_bits: 64,
            binding: Binding::Fusemax,
            clock_mhz: 100.0,
            uart_baud: 115_200,
            job: Job::default(),
        }
    }
}

/// A configuration error: which field, what was wrong, what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    /// The offending key, as written in TOML (`rows`, `job.seq_kv`, ...).
    pub field: String,
    /// What is wrong and what the allowed range is.
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn range_check<T: PartialOrd + fmt::Display + Copy>(
    field: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    if v < lo || v > hi {
        Err(ConfigError::new(
            field,
            format!("{v} is out of range: allowed {lo} ..= {hi}"),
        ))
    } else {
        Ok(())
    }
}

/// Number of bits of an unsigned integer that can hold `v` (at least 1).
pub fn ubits(v: u128) -> u32 {
    (128 - v.leading_zeros()).max(1)
}

/// Number of bits of a two's-complement integer that can hold every value in [lo, hi].
pub fn sbits(lo: i128, hi: i128) -> u32 {
    let mut b = 1;
    while !(lo >= -(1i128 << (b - 1)) && hi < (1i128 << (b - 1))) {
        b += 1;
    }
    b
}

/// Widths and constants that follow from a [`Config`]; computed once by [`Config::derived`].
/// All values fit in i128 for every valid config (checked by `validate`).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Derived {
    /// Width of a score S = sum_e Q*K (signed).
    pub score_bits: u32,
    /// Width of D = RM - S (unsigned).
    pub diff_bits: u32,
    /// Width of the exp output (unsigned, `exp_frac_bits` fractions, value <= 1.0).
    pub exp_bits: u32,
    /// Fraction bits of z, the exp input in log2 units.
    pub z_frac_bits: u32,
    /// z saturates here (any larger z gives exp = 0): (exp_frac_bits + 2) << z_frac_bits.
    pub z_sat: u64,
    /// Width of z (unsigned).
    pub z_bits: u32,
    /// Unsigned width of the scale mantissa and of the pre-shifted difference Dn.
    pub scale_mant_bits: u32,
    /// Fixed left shift applied to D before the job's right shift (covers large scales).
    pub scale_left: u32,
    /// Width of the job's right-shift field (shift in 0 .. 2^bits).
    pub scale_shift_bits: u32,
    /// The product Dn * c_mant is shifted right by this much (with rounding) to give z.
    pub z_window: u32,
    /// Polynomial coefficients a_0..a_d of 2^-f, signed with `exp_frac_bits` fractions.
    pub exp_coeffs: Vec<i64>,
    /// Width of a column partial sum (max of scores, or sum of SLN*V over the rows).
    pub psum_bits: u32,
    /// Width of the running denominator RD (unsigned, `exp_frac_bits` fractions).
    pub rd_bits: u32,
    /// Width of the running numerator RNV (signed, `exp_frac_bits` fractions).
    pub rnv_bits: u32,
    /// Width of an AV output word (signed, `out_frac_bits` fractions).
    pub out_bits: u32,
    /// Width of an output stream word: 64.
    pub word_bits: u32,
    /// Width of an input stream word: `stream_bits`.
    pub in_bits: u32,
    /// Q/K/V values per input word (stream_bits / data_bits).
    pub in_lanes: usize,
    /// AV values per output word (64 / out_bits).
    pub out_lanes: usize,
}

impl Config {
    /// Parses a TOML text over the defaults (missing fields keep their default).
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::new("config", format!("not valid TOML: {e}"))
        })?;
        Self::from_table(table)
    }

    fn from_table(table: toml::Table) -> Result<Config, ConfigError> {
        Config::deserialize(toml::Value::Table(table)).map_err(|e| {
            let msg = e.to_string();
            // serde's "unknown field `x`, expected one of ..." names the field; keep it whole.
            let field = msg.split('`').nth(1).unwrap_or("config").to_string();
            ConfigError::new(field, msg.trim().to_string())
        })
    }

    /// Builds a config from the defaults, an optional TOML file, and `key=value` overrides
    /// (dotted keys reach into tables: `job.seq_kv=4096`), then validates it.
    pub fn load(file: Option<&Path>, sets: &[String]) -> Result<Config, ConfigError> {
        let table: toml::Table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new("--config", format!("cannot read {}: {e}", p.display()))
                })?;
                text.parse().map_err(|e: toml::de::Error| {
                    ConfigError::new(
                        "--config",
                        format!("{} is not valid TOML: {e}", p.display()),
                    )
                })?
            }
            None => toml::Table::new(),
        };
        Self::load_table(table, sets)
    }

    /// As [`Config::load`], over a config given as TOML text instead of a file (a board's
    /// embedded preset); `origin` names it in errors.
    pub fn load_text(origin: &str, text: &str, sets: &[String]) -> Result<Config, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::new("--config", format!("{origin} is not valid TOML: {e}"))
        })?;
        Self::load_table(table, sets)
    }

    fn load_table(mut table: toml::Table, sets: &[String]) -> Result<Config, ConfigError> {
        for s in sets {
            apply_set(&mut table, s)?;
        }
        let cfg = Self::from_table(table)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The config as TOML text (what `fusemax config --show` prints).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serializes")
    }

    /// The hardware part of the config as TOML text: every key but the `[job]` table. The
    /// emitted Verilog's header carries it, so that the Verilog (and every cache keyed by it)
    /// depends on the hardware only, never on a job's shape.
    pub fn hw_toml(&self) -> String {
        let mut t = toml::Table::try_from(self).expect("config serializes");
        t.remove("job");
        toml::to_string(&t).expect("config serializes")
    }

    /// Clock cycles per UART bit: round(clock / baud).
    pub fn uart_divisor(&self) -> u64 {
        if self.uart_baud == 0 {
            return 0;
        }
        (self.clock_mhz * 1e6 / self.uart_baud as f64).round() as u64
    }

    /// The 1D array width.
    pub fn units_1d(&self) -> usize {
        self.units_1d.unwrap_or(self.cols)
    }

    /// Rejects impossible configs with a message naming the field and its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        range_check("rows", self.rows, 1, 64)?;
        range_check("cols", self.cols, 1, 64)?;
        if self.units_1d() != self.cols {
            return Err(ConfigError::new(
                "units_1d",
                format!(
                    "{} is not allowed: the 1D array has one softmax unit per column, so units_1d must equal cols ({})",
                    self.units_1d(),
                    self.cols
                ),
            ));
        }
        range_check("max_e", self.max_e, 1, 1024)?;
        range_check("max_f", self.max_f, 1, 1024)?;
        range_check("max_seq_kv", self.max_seq_kv, 1, 1 << 24)?;
        // below 2^24: the trailer counts the query blocks it returns in a 24-bit field
        range_check("max_seq_q", self.max_seq_q, 1, (1 << 24) - 1)?;
        range_check("data_bits", self.data_bits, 2, 16)?;
        range_check("mul_bits", self.mul_bits, 10, 27)?;
        range_check("exp_frac_bits", self.exp_frac_bits, 6, self.mul_bits - 2).map_err(|e| {
            ConfigError::new(
                e.field,
                format!("{} (exp values and Horner terms must fit the {}-bit multiplier: exp_frac_bits <= mul_bits - 2)", e.message, self.mul_bits),
            )
        })?;
        if self.data_bits > self.mul_bits {
            return Err(ConfigError::new(
                "data_bits",
                format!(
                    "{} exceeds mul_bits = {}: Q, K and V must fit the multiplier",
                    self.data_bits, self.mul_bits
                ),
            ));
        }
        range_check("exp_degree", self.exp_degree, 1, 6)?;
        range_check("out_frac_bits", self.out_frac_bits, 0, 16)?;
        if self.data_bits + self.out_frac_bits > 32 {
            return Err(ConfigError::new(
                "out_frac_bits",
                format!(
                    "data_bits + out_frac_bits = {} exceeds 32: an AV value must fit half a 64-bit output word",
                    self.data_bits + self.out_frac_bits
                ),
            ));
        }
        range_check("fifo_depth", self.fifo_depth, 2, 4096)?;
        if ![64, 128].contains(&self.stream_bits) {
            return Err(ConfigError::new(
                "stream_bits",
                format!(
                    "{} is not an input stream width the engine supports: 64 or 128 (256 and 512 need simulation values wider than the RTL layer's 128 bits)",
                    self.stream_bits
                ),
            ));
        }
        if !self.fifo_depth.is_power_of_two() {
            return Err(ConfigError::new(
                "fifo_depth",
                format!("{} is not a power of two", self.fifo_depth),
            ));
        }
        if !(self.clock_mhz.is_finite() && self.clock_mhz >= 1.0 && self.clock_mhz <= 1000.0) {
            return Err(ConfigError::new(
                "clock_mhz",
                format!("{} is out of range: allowed 1 ..= 1000", self.clock_mhz),
            ));
        }
        let div = self.uart_divisor();
        if self.uart_baud == 0 || div < 4 || div > 1 << 20 {
            return Err(ConfigError::new(
                "uart_baud",
                format!(
                    "{} gives {} clock cycles per bit at clock_mhz = {}: allowed 4 ..= 2^20",
                    self.uart_baud, div, self.clock_mhz
                ),
            ));
        }
        let d = self.derived();
        let per_f = self.cols.div_ceil(d.out_lanes);
        if self.fifo_depth < per_f {
            return Err(ConfigError::new(
                "fifo_depth",
                format!(
                    "{} is below the {per_f} output words of one f of a block (cols = {} at {} values a word): the divisions would wait for room forever",
                    self.fifo_depth, self.cols, d.out_lanes
                ),
            ));
        }
        if d.rnv_bits > 100 || d.score_bits > 100 {
            return Err(ConfigError::new(
                "max_seq_kv",
                format!(
                    "running sums would need {} bits; the model and RTL support at most 100",
                    d.rnv_bits
                ),
            ));
        }
        if d.z_frac_bits < 4 {
            return Err(ConfigError::new(
                "mul_bits",
                format!(
                    "{} leaves only {} fraction bits for the exp input; raise mul_bits or lower exp_frac_bits",
                    self.mul_bits, d.z_frac_bits
                ),
            ));
        }
        self.validate_job()
    }

    /// Checks the job against the hardware limits.
    pub fn validate_job(&self) -> Result<(), ConfigError> {
        let j = &self.job;
        range_check("job.seq_q", j.seq_q, 1, self.max_seq_q).map_err(|e| {
            ConfigError::new(
                e.field,
                format!("{} (P must be at least 1 and at most max_seq_q)", e.message),
            )
        })?;
        range_check("job.seq_kv", j.seq_kv, 1, self.max_seq_kv).map_err(|e| {
            ConfigError::new(
                e.field,
                format!(
                    "{} (M must be at least 1 and at most max_seq_kv)",
                    e.message
                ),
            )
        })?;
        range_check("job.head_e", j.head_e, 1, self.max_e).map_err(|e| {
            ConfigError::new(
                e.field,
                format!(
                    "{} (E must be at most max_e; set job.head_e or --head-e)",
                    e.message
                ),
            )
        })?;
        range_check("job.head_f", j.head_f, 1, self.max_f).map_err(|e| {
            ConfigError::new(
                e.field,
                format!(
                    "{} (F must be at most max_f; set job.head_f or --head-f)",
                    e.message
                ),
            )
        })?;
        if let Some(s) = j.scale {
            if !s.is_finite() || s <= 0.0 {
                return Err(ConfigError::new(
                    "job.scale",
                    format!("{s} is not allowed: the score scale must be a finite number > 0"),
                ));
            }
        }
        Ok(())
    }

    /// Widths and constants derived from this config.
    pub fn derived(&self) -> Derived {
        let db = self.data_bits;
        let qmin = -(1i128 << (db - 1));
        let qmax = (1i128 << (db - 1)) - 1;
        let pmax = qmin * qmin;
        let pmin = qmin * qmax;
        let e = self.max_e as i128;
        let smin = e * pmin;
        let smax = e * pmax;
        let score_bits = sbits(smin, smax);
        let diff_bits = ubits((smax - smin) as u128);
        let fx = self.exp_frac_bits;
        let exp_bits = fx + 1;
        let mant = self.mul_bits - 1;
        let sat_int = (fx + 2) as u64;
        let z_frac_bits = mant.saturating_sub(ubits(sat_int as u128));
        let z_sat = sat_int << z_frac_bits;
        let z_bits = ubits(z_sat as u128);
        let rows = self.rows as i128;
        let one = 1i128 << fx;
        let slnv_lo = rows * one * qmin;
        let slnv_hi = rows * one * qmax;
        let psum_bits = sbits(smin.min(slnv_lo), smax.max(slnv_hi));
        let m = self.max_seq_kv as u128;
        let rd_bits = ubits(m << fx);
        let rnv_bits = sbits(-(m as i128) * one * (-qmin), (m as i128) * one * (-qmin));
        let out_bits = db + self.out_frac_bits;
        Derived {
            score_bits,
            diff_bits,
            exp_bits,
            z_frac_bits,
            z_sat,
            z_bits,
            scale_mant_bits: mant,
            scale_left: 16,
            scale_shift_bits: 5,
            z_window: mant - 1,
            exp_coeffs: crate::numerics::fit_exp2_coeffs(self.exp_degree, fx, z_frac_bits),
            psum_bits,
            rd_bits,
            rnv_bits,
            out_bits,
            word_bits: 64,
            in_bits: self.stream_bits,
            in_lanes: (self.stream_bits / db) as usize,
            out_lanes: (64 / out_bits) as usize,
        }
    }

    /// A short stable hash of the hardware part of the config (the job excluded): keys build
    /// directories so that a second run reuses a Verilator build.
    pub fn hw_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let text = self.hw_toml();
        let digest = Sha256::digest(text.as_bytes());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Applies one `key=value` to a TOML table; the value is parsed as TOML (numbers, booleans,
/// strings with or without quotes).
fn apply_set(table: &mut toml::Table, set: &str) -> Result<(), ConfigError> {
    let (key, raw) = set.split_once('=').ok_or_else(|| {
        ConfigError::new("--set", format!("`{set}` is not of the form key=value"))
    })?;
    let key = key.trim();
    let raw = raw.trim();
    if key.is_empty() {
        return Err(ConfigError::new(
            "--set",
            format!("`{set}` has an empty key"),
        ));
    }
    let value: toml::Value = match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = table;
    for p in &parts[..parts.len() - 1] {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .ok_or_else(|| ConfigError::new(key, format!("`{p}` is not a table")))?;
    }
    cur.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_equals_rust_default() {
        let parsed = Config::from_toml_str(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Config::default());
        Config::default().validate().unwrap();
    }

    #[test]
    fn set_overrides_and_dotted_keys() {
        let c = Config::load(
            None,
            &[
                "rows=4".into(),
                "job.seq_kv=100".into(),
                "job.dist=flat".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.rows, 4);
        assert_eq!(c.job.seq_kv, 100);
        assert_eq!(c.job.dist, Dist::Flat);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::load(None, &["rowz=4".into()]).unwrap_err();
        assert_eq!(e.field, "rowz");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn bad_values_name_field_and_range() {
        for (set, field) in [
            ("rows=0", "rows"),
            ("cols=65", "cols"),
            ("data_bits=1", "data_bits"),
            ("exp_frac_bits=17", "exp_frac_bits"),
            ("units_1d=3", "units_1d"),
            ("fifo_depth=6", "fifo_depth"),
            ("stream_bits=96", "stream_bits"),
            ("stream_bits=256", "stream_bits"),
            ("job.seq_kv=0", "job.seq_kv"),
            ("job.seq_q=0", "job.seq_q"),
            ("job.head_e=129", "job.head_e"),
            ("job.scale=-1.0", "job.scale"),
            ("job.scale=nan", "job.scale"),
            ("clock_mhz=0.0", "clock_mhz"),
        ] {
            let e = Config::load(None, &[set.to_string()]).unwrap_err();
            assert_eq!(e.field, field, "{set}: {e}");
        }
        let e =
            Config::load(None, &["max_seq_kv=1000".into(), "job.seq_kv=1001".into()]).unwrap_err();
        assert!(e.message.contains("1 ..= 1000"), "{e}");
        // the output FIFO holds one f's words of a block (16 lanes at 4 a word)
        let e = Config::load(None, &["cols=16".into(), "fifo_depth=2".into()]).unwrap_err();
        assert_eq!(e.field, "fifo_depth", "{e}");
        assert!(e.message.contains("4 output words"), "{e}");
        Config::load(None, &["cols=16".into(), "fifo_depth=4".into()]).unwrap();
    }

    #[test]
    fn wrong_type_is_an_error_not_a_panic() {
        let e = Config::load(None, &["rows=\"four\"".into()]).unwrap_err();
        assert!(
            e.to_string().contains("rows") || e.to_string().contains("invalid type"),
            "{e}"
        );
        assert!(Config::load(None, &["novalue".into()]).is_err());
    }

    #[test]
    fn derived_widths_of_default() {
        let d = Config::default().derived();
        // 8-bit operands, E <= 128: |S| <= 128 * 2^14 = 2^21 -> 23 signed bits.
        assert_eq!(d.score_bits, 23);
        assert_eq!(d.exp_bits, 17);
        assert_eq!(d.rd_bits, 33);
        assert_eq!(d.out_bits, 16);
        assert_eq!(d.z_frac_bits, 12);
        assert_eq!(d.exp_coeffs[0], 1 << 16);
    }

    #[test]
    fn hw_hash_ignores_job() {
        let a = Config::default();
        let mut b = a.clone();
        b.job.seq_kv = 7;
        assert_eq!(a.hw_hash(), b.hw_hash());
        b.rows = 4;
        assert_ne!(a.hw_hash(), b.hw_hash());
    }
}
