//! Finding the tools: Debian's native yosys / nextpnr-ice40 / icepack on PATH, or the YoWASP
//! (WebAssembly) builds from PyPI in the project's virtualenv `.venv/` (`make fpga-deps`).
//!
//! Policy of `auto` (see README "FPGA"):
//! - ECP5: only YoWASP has nextpnr-ecp5 and ecppack (Debian packages neither); its yosys 0.70 is
//!   used too (Debian's 0.23 maps ECP5 designs to about 67% more LUTs).
//! - iCE40: place-and-route and packing with the native nextpnr-ice40 and icepack when present
//!   (1.7-2x faster than YoWASP); synthesis with YoWASP's yosys 0.70 when the virtualenv has
//!   it, otherwise the native yosys. `native` forces Debian's tools (CI), `yowasp` the others.

use crate::boards::Family;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which builds of the tools to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolPref {
    Auto,
    Native,
    Yowasp,
}

impl std::str::FromStr for ToolPref {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(ToolPref::Auto),
            "native" => Ok(ToolPref::Native),
            "yowasp" => Ok(ToolPref::Yowasp),
            _ => Err(format!(
                "unknown tool choice `{s}`: expected auto, native or yowasp"
            )),
        }
    }
}

/// One tool as found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tool {
    /// What it is called (`yosys`, `nextpnr-ecp5`, `ecppack`, ...).
    pub name: String,
    /// What is run.
    pub program: PathBuf,
    /// `native` (PATH) or `yowasp` (PyPI).
    pub source: String,
    /// First line of its version output, if it has one.
    pub version: String,
}

/// The three tools of a flow.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Toolchain {
    pub yosys: Tool,
    pub nextpnr: Tool,
    pub pack: Tool,
}

/// The workspace root (where `.venv/` and `build/` live): `$FUSEMAX_ROOT` or the source tree.
pub fn workspace_root() -> PathBuf {
    if let Ok(p) = std::env::var("FUSEMAX_ROOT") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The virtualenv holding the YoWASP tools: `$FUSEMAX_VENV` or `<root>/.venv`.
pub fn venv_dir() -> PathBuf {
    std::env::var("FUSEMAX_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join(".venv"))
}

/// `name` on PATH, as an absolute path.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn find_yowasp(name: &str) -> Option<PathBuf> {
    let p = venv_dir().join("bin").join(format!("yowasp-{name}"));
    if p.is_file() {
        return Some(p);
    }
    which(&format!("yowasp-{name}"))
}

fn version_of(program: &Path, flag: &str) -> String {
    Command::new(program)
        .arg(flag)
        .output()
        .ok()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("Preparing to run"))
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default()
}

fn tool(
    name: &str,
    version_flag: Option<&str>,
    yowasp_first: bool,
    pref: ToolPref,
) -> Result<Tool, String> {
    let native = || which(name).map(|p| (p, "native"));
    let yowasp = || find_yowasp(name).map(|p| (p, "yowasp"));
    let found = match pref {
        ToolPref::Native => native(),
        ToolPref::Yowasp => yowasp(),
        ToolPref::Auto if yowasp_first => yowasp().or_else(native),
        ToolPref::Auto => native().or_else(yowasp),
    };
    let (program, source) = found.ok_or_else(|| match pref {
        ToolPref::Native => format!(
            "{name} not found on PATH (Debian: `make deps`, or apt-get install yosys nextpnr-ice40 fpga-icestorm)"
        ),
        _ => format!(
            "{name} not found: neither yowasp-{name} in {} nor {name} on PATH; run `make fpga-deps` (creates the virtualenv with the YoWASP tools)",
            venv_dir().join("bin").display()
        ),
    })?;
    let version = version_flag
        .map(|f| version_of(&program, f))
        .unwrap_or_default();
    Ok(Tool {
        name: name.into(),
        program,
        source: source.into(),
        version,
    })
}

/// Finds the tools of a family under a preference.
pub fn find(family: Family, pref: ToolPref) -> Result<Toolchain, String> {
    match family {
        Family::Ecp5 => {
            if pref == ToolPref::Native && which("nextpnr-ecp5").is_none() {
                return Err("the ECP5 flow needs nextpnr-ecp5 and ecppack, which Debian does not package: use --tools yowasp (or auto) after `make fpga-deps`".into());
            }
            Ok(Toolchain {
                yosys: tool("yosys", Some("-V"), true, pref)?,
                nextpnr: tool("nextpnr-ecp5", Some("--version"), true, pref)?,
                pack: tool("ecppack", None, true, pref)?,
            })
        }
        Family::Ice40 => Ok(Toolchain {
            yosys: tool("yosys", Some("-V"), true, pref)?,
            nextpnr: tool("nextpnr-ice40", Some("--version"), false, pref)?,
            pack: tool("icepack", None, false, pref)?,
        }),
    }
}

impl Toolchain {
    /// A fixed toolchain with bare program names (for rendering scripts in tests).
    pub fn named(family: Family) -> Toolchain {
        let t = |n: &str| Tool {
            name: n.into(),
            program: PathBuf::from(n),
            source: "native".into(),
            version: String::new(),
        };
        match family {
            Family::Ecp5 => Toolchain {
                yosys: t("yosys"),
                nextpnr: t("nextpnr-ecp5"),
                pack: t("ecppack"),
            },
            Family::Ice40 => Toolchain {
                yosys: t("yosys"),
                nextpnr: t("nextpnr-ice40"),
                pack: t("icepack"),
            },
        }
    }
}
