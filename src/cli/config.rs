//! `fusemax config --show`: the effective configuration.

use super::common::CommonArgs;
use super::emit;
use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Print the effective configuration as TOML (the default action), with the derived widths
    /// as comments; with --json, one JSON object {config, derived, hw_hash} instead.
    #[arg(long)]
    pub show: bool,
}

pub fn run(args: Args) -> Result<()> {
    let cfg = args.common.load_config()?;
    let derived = cfg.derived();
    if args.common.json {
        let v = serde_json::json!({
            "config": cfg,
            "derived": derived,
            "hw_hash": cfg.hw_hash(),
        });
        return emit(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    }
    let mut text = cfg.to_toml();
    // The derived widths as comments, so that the output stays a valid --config file.
    text.push_str("\n# Derived (computed from the above; not settable):\n");
    let dv = serde_json::to_value(&derived)?;
    if let Some(map) = dv.as_object() {
        for (k, v) in map {
            text.push_str(&format!("#   {k} = {v}\n"));
        }
    }
    text.push_str(&format!("#   hw_hash = \"{}\"\n", cfg.hw_hash()));
    emit(&text)
}
