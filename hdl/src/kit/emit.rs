//! Verilog emission: rust-hdl's text, made into a file worth reading.
//!
//! The raw text is rust-hdl's form, one module per instance named by its path
//! (`top$array$pe_r0_c1`), but written once per distinct block: a [`Structure`]'s module is
//! written here from its children and nets, and rust-hdl writes a leaf's module (with its
//! description's instances) only for the first leaf of each structural key
//! ([`crate::ir::Circuit::key`]); the other instances of that leaf name the first one's module.
//! (rust-hdl's own writer takes time quadratic in a structure's ports and children: 11 s of the
//! 32 x 32 engine's generation.) Then a post-pass
//! - merges identical modules (same text up to its own name, after its children were merged),
//!   naming each distinct module after its kind (`fusemax_pe`, then `fusemax_pe_1`, ...);
//! - turns `$` inside identifiers into `__` (`pe_r3_c5__k_out`), structural nets into wires;
//! - waives the unused-signal lint for exactly the nets a structure declared unused;
//! - writes a header with the generator version and the config.
//!
//! The output is a pure function of the design, hence of the config: same config, same bytes.

use super::component::Component;
use super::sig::{Dir, Sig};
use super::structure::Structure;
use rust_hdl::core::logic::Logic;
use rust_hdl::core::module_defines::ModuleDefines;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The raw (rust-hdl form) modules of `c`, named `name`, and of everything under it, appended
/// to `out`; returns the module name instances of `c` use. `leaves` maps a described leaf's
/// structural key to the module written for it.
fn raw_modules(
    c: &dyn Component,
    name: &str,
    leaves: &mut HashMap<String, String>,
    out: &mut String,
) -> String {
    let Some(s) = c.as_any().downcast_ref::<Structure>() else {
        let key = c.ir().map(|l| l.key());
        if let Some(m) = key.as_ref().and_then(|k| leaves.get(k)) {
            return m.clone();
        }
        let mut defines = ModuleDefines::default();
        c.accept(name, &mut defines);
        out.push_str(&defines.defines());
        if let Some(k) = key {
            leaves.insert(k, name.to_string());
        }
        return name.to_string();
    };
    let kids: Vec<String> = (0..s.num_children())
        .map(|i| {
            let path = format!("{name}${}", s.child_name(i));
            raw_modules(s.child_ref(i), &path, leaves, out)
        })
        .collect();
    let decl = |out: &mut String, kw: &str, sig: &Sig, n: &str| {
        let sg = if sig.signed() { "signed " } else { "" };
        let range = if sig.width() > 1 {
            format!("[{}:0] ", sig.width() - 1)
        } else {
            String::new()
        };
        let _ = writeln!(out, "    {kw} {sg}{range}{n};");
    };
    let names = c.port_names();
    let _ = writeln!(out, "\n\nmodule {name}({});", names.join(","));
    for (i, n) in names.iter().enumerate() {
        let p = c.port(i);
        let kw = match p.dir() {
            Dir::In => "input wire",
            Dir::Out => "output wire",
        };
        decl(out, kw, p, n);
    }
    for i in 0..s.num_children() {
        let k = s.child_ref(i);
        for (j, n) in k.port_names().iter().enumerate() {
            decl(out, "wire", k.port(j), &format!("{}${n}", s.child_name(i)));
        }
    }
    for (i, kid) in kids.iter().enumerate() {
        let k = s.child_ref(i);
        let cn = s.child_name(i);
        let _ = writeln!(out, "    {kid} {cn}(");
        let conns: Vec<String> = k
            .port_names()
            .iter()
            .map(|n| format!("        .{n}({cn}${n})"))
            .collect();
        let _ = writeln!(out, "{}\n    );", conns.join(",\n"));
    }
    if let rust_hdl::core::ast::Verilog::Custom(t) = Logic::hdl(s) {
        for l in t.lines() {
            let _ = writeln!(out, "    {l}");
        }
    }
    let _ = writeln!(out, "endmodule // {name}");
    name.to_string()
}

struct RawModule {
    name: String,
    header: String,
    body: Vec<String>,
}

fn parse_modules(text: &str) -> Vec<RawModule> {
    let mut out = vec![];
    let mut cur: Option<RawModule> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("module ") {
            let name = rest.split('(').next().unwrap_or("").trim().to_string();
            cur = Some(RawModule {
                name,
                header: t.to_string(),
                body: vec![],
            });
        } else if t.starts_with("endmodule") {
            if let Some(m) = cur.take() {
                out.push(m);
            }
        } else if let Some(m) = cur.as_mut() {
            m.body.push(line.to_string());
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Replaces `$` inside identifiers (not system tasks like `$signed`) by `__`.
fn dollar_to_underscores(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev = ' ';
    for c in s.chars() {
        if c == '$' && is_ident_char(prev) {
            out.push_str("__");
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Marker of a module: (`leaf`|`structure`, kind).
fn marker(body: &[String]) -> (String, String) {
    for l in body {
        let t = l.trim();
        for k in ["leaf", "structure"] {
            if let Some(rest) = t.strip_prefix(&format!("// @{k} ")) {
                return (k.to_string(), rest.trim().to_string());
            }
        }
    }
    ("leaf".into(), "module".into())
}

/// Rewrites one module's body: drops rust-hdl's section comments and markers; in structures,
/// connects each child input straight to its source (dropping the stub net and its assign),
/// writes each instance on one line, and makes the remaining nets wires; wraps unused nets in
/// a targeted lint waiver.
fn clean_body(body: &[String], is_structure: bool) -> Vec<String> {
    let mut unused: Vec<String> = vec![];
    let mut assigns: HashMap<String, String> = HashMap::new();
    for l in body {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("// @unused ") {
            unused.extend(rest.split_whitespace().map(|s| s.to_string()));
        }
        if let Some(rest) = t.strip_prefix("assign ") {
            if let Some((lhs, rhs)) = rest.trim_end_matches(';').split_once(" = ") {
                if lhs.contains('$') {
                    assigns.insert(lhs.trim().to_string(), rhs.trim().to_string());
                }
            }
        }
    }
    let declared_name = |tt: &str| -> String {
        tt.trim_end_matches(';')
            .split_whitespace()
            .last()
            .unwrap_or("")
            .to_string()
    };
    let mut out = vec![];
    let mut unused_decls = vec![];
    let mut inst: Option<(String, Vec<String>)> = None;
    for l in body {
        let t = l.trim_end();
        let tt = t.trim();
        if let Some((head, ports)) = inst.as_mut() {
            if tt == ");" {
                out.push(format!("    {head} ({});", ports.join(", ")));
                inst = None;
            } else {
                let conn = tt.trim_end_matches(',');
                let conn = match conn.split_once('(') {
                    Some((port, net)) if is_structure => {
                        let net = net.trim_end_matches(')');
                        match assigns.get(net) {
                            Some(src) => format!("{port}({src})"),
                            None => conn.to_string(),
                        }
                    }
                    _ => conn.to_string(),
                };
                ports.push(conn);
            }
            continue;
        }
        if tt.is_empty()
            || tt.starts_with("// @")
            || tt == "// Module arguments"
            || tt == "// Stub signals"
            || tt == "// Sub module instances"
            || tt == "// Update code (custom)"
        {
            continue;
        }
        if is_structure && tt.ends_with('(') && !tt.starts_with("//") {
            inst = Some((tt.trim_end_matches('(').to_string(), vec![]));
            continue;
        }
        let is_decl = tt.starts_with("reg ") || tt.starts_with("wire ");
        if is_structure {
            if is_decl && assigns.contains_key(&declared_name(tt)) {
                continue;
            }
            if let Some(rest) = tt.strip_prefix("assign ") {
                if let Some((lhs, _)) = rest.split_once(" = ") {
                    if assigns.contains_key(lhs.trim()) {
                        continue;
                    }
                }
            }
        }
        let mut line = t.to_string();
        if is_structure {
            if let Some(rest) = tt.strip_prefix("output reg ") {
                line = format!("    output wire {rest}");
            } else if let Some(rest) = tt.strip_prefix("reg ") {
                line = format!("    wire {rest}");
            }
        }
        if is_decl && unused.contains(&declared_name(tt)) {
            unused_decls.push(line);
        } else {
            out.push(line);
        }
    }
    if !unused_decls.is_empty() {
        // Outputs at the array edges that nothing reads, declared together under one waiver.
        let at = out
            .iter()
            .position(|l| {
                let t = l.trim();
                !(t.starts_with("input ")
                    || t.starts_with("output ")
                    || t.starts_with("wire ")
                    || t.starts_with("reg "))
            })
            .unwrap_or(out.len());
        let mut block = vec!["    /* verilator lint_off UNUSEDSIGNAL */".to_string()];
        block.extend(unused_decls);
        block.push("    /* verilator lint_on UNUSEDSIGNAL */".to_string());
        out.splice(at..at, block);
    }
    // rust-hdl pads declarations with double spaces: normalize.
    out.iter()
        .map(|l| l.replace("wire  ", "wire ").replace("reg  ", "reg "))
        .collect()
}

/// Emits the Verilog of `uut` with module `top_name` at the top and `header` (already
/// commented) above it.
pub fn emit_verilog<T: Component>(uut: &T, top_name: &str, header: &str) -> String {
    let mut raw = String::new();
    raw_modules(uut, "top", &mut HashMap::new(), &mut raw);
    let modules = parse_modules(&raw);
    let by_name: HashMap<&str, &RawModule> = modules.iter().map(|m| (m.name.as_str(), m)).collect();

    // Children of each module: lines `    <module> <instance>(`.
    let children = |m: &RawModule| -> Vec<(usize, String)> {
        m.body
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let t = l.trim();
                let first = t.split(' ').next()?;
                if t.ends_with('(') && by_name.contains_key(first) {
                    Some((i, first.to_string()))
                } else {
                    None
                }
            })
            .collect()
    };

    // Post-order walk from "top": canonical name for each raw module.
    let mut canon: HashMap<String, String> = HashMap::new();
    let mut by_key: HashMap<String, String> = HashMap::new();
    let mut kind_count: HashMap<String, usize> = HashMap::new();
    let mut emitted: Vec<(String, String)> = vec![]; // (canonical name, text)
    fn walk(
        name: &str,
        by_name: &HashMap<&str, &RawModule>,
        children: &dyn Fn(&RawModule) -> Vec<(usize, String)>,
        canon: &mut HashMap<String, String>,
        by_key: &mut HashMap<String, String>,
        kind_count: &mut HashMap<String, usize>,
        emitted: &mut Vec<(String, String)>,
        top_name: &str,
    ) {
        if canon.contains_key(name) {
            return;
        }
        let m = by_name[name];
        let kids = children(m);
        for (_, k) in &kids {
            walk(
                k, by_name, children, canon, by_key, kind_count, emitted, top_name,
            );
        }
        let (mk, kind) = marker(&m.body);
        let mut body = m.body.clone();
        for (i, k) in &kids {
            let line = &body[*i];
            let indent = &line[..line.len() - line.trim_start().len()];
            let rest = line.trim_start()[k.len()..].to_string();
            body[*i] = format!("{indent}{}{rest}", canon[k]);
        }
        let body = clean_body(&body, mk == "structure");
        let args = m
            .header
            .split_once('(')
            .map(|x| x.1)
            .unwrap_or(");")
            .to_string();
        let text_without_name = format!("({}\n{}\n", args, body.join("\n"));
        let key = format!("{kind}\n{text_without_name}");
        let cname = if name == "top" {
            top_name.to_string()
        } else if let Some(c) = by_key.get(&key) {
            c.clone()
        } else {
            let n = kind_count.entry(kind.clone()).or_insert(0);
            let c = if *n == 0 {
                format!("fusemax_{kind}")
            } else {
                format!("fusemax_{kind}_{n}")
            };
            *n += 1;
            by_key.insert(key, c.clone());
            let text = format!(
                "module {c}{}endmodule // {c}\n",
                dollar_to_underscores(&text_without_name)
            );
            emitted.push((c.clone(), text));
            c
        };
        if name == "top" {
            let text = format!(
                "module {cname}{}endmodule // {cname}\n",
                dollar_to_underscores(&text_without_name)
            );
            emitted.push((cname.clone(), text));
        }
        canon.insert(name.to_string(), cname);
    }
    walk(
        "top",
        &by_name,
        &children,
        &mut canon,
        &mut by_key,
        &mut kind_count,
        &mut emitted,
        top_name,
    );
    let mut out = String::new();
    out.push_str(header);
    if !header.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("`default_nettype none\n");
    out.push_str(
        "// One file holds every module, so the file name cannot match each module name.\n",
    );
    out.push_str("/* verilator lint_off DECLFILENAME */\n\n");
    for (_, text) in emitted.iter().rev() {
        out.push_str(text);
        out.push('\n');
    }
    out.push_str("`default_nettype wire\n");
    out
}

/// Comments out every line of `text` for a Verilog header.
pub fn comment_block(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "//".to_string()
            } else {
                format!("// {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_inside_identifiers_only() {
        assert_eq!(
            dollar_to_underscores("a$b = $signed(c$d);"),
            "a__b = $signed(c__d);"
        );
    }
}
