//! The layout ARCHITECTURE.md describes, checked on the source: no import circle between
//! modules, clap only in `cli/` and `main.rs`, and no I/O in the scanner and the decoders.
//!
//! Every path a file names (`use crate::a::{b, c}`, `super::x`, `crate::y::z(..)` in code) is
//! resolved to the deepest module that exists; a module naming its own parent or children is
//! not counted (a folder's `mod.rs` declares its files, and they use its items).

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

struct Source {
    /// Each module's file, without comments and test modules.
    code: BTreeMap<Module, String>,
    /// Its path, for messages.
    files: BTreeMap<Module, PathBuf>,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file is: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `lib.rs` is the crate.
fn module_of(file: &Path) -> Module {
    let rel = file.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    if parts == ["main"] {
        parts = vec!["<main>".into()];
    }
    parts
}

fn read() -> Source {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let block = Regex::new(r"(?s)/\*.*?\*/").unwrap();
    let line = Regex::new(r"//.*").unwrap();
    let mut s = Source {
        code: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(i) => &text[..i],
            None => &text,
        };
        let text = block.replace_all(text, "");
        let text = line.replace_all(&text, "");
        let m = module_of(&f);
        s.code.insert(m.clone(), text.into_owned());
        s.files.insert(m, f);
    }
    s
}

/// `a::{b, c::{d, e as f}}` as full paths.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or("").trim().to_string()];
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
    let body = &tree[open + 1..close];
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for ch in body.chars() {
        match ch {
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            '{' => {
                depth += 1;
                cur.push(ch)
            }
            '}' => {
                depth -= 1;
                cur.push(ch)
            }
            _ => cur.push(ch),
        }
    }
    parts.push(cur);
    let mut out = Vec::new();
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        for e in expand(p) {
            out.push(if e == "self" {
                prefix.trim_end_matches("::").to_string()
            } else {
                format!("{prefix}{e}")
            });
        }
    }
    out
}

/// The deepest existing module a path from `from` names.
fn resolve(s: &Source, from: &Module, path: &str) -> Option<Module> {
    let mut segs: Vec<&str> = path.split("::").map(str::trim).collect();
    let mut base: Module = match *segs.first()? {
        "crate" => {
            segs.remove(0);
            Vec::new()
        }
        "self" => {
            segs.remove(0);
            from.clone()
        }
        "super" => {
            let mut b = from.clone();
            while segs.first() == Some(&"super") {
                segs.remove(0);
                b.pop();
            }
            b
        }
        _ => return None,
    };
    base.extend(
        segs.iter()
            .filter(|x| !x.is_empty() && **x != "*")
            .map(|x| x.to_string()),
    );
    (0..=base.len())
        .rev()
        .map(|n| base[..n].to_vec())
        .find(|m| s.code.contains_key(m))
}

fn related(a: &Module, b: &Module) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Module -> the modules it names (not its ancestors or descendants).
fn edges(s: &Source) -> BTreeMap<Module, BTreeSet<Module>> {
    let uses = Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))?\s+)?use\s+([^;]+);").unwrap();
    let paths = Regex::new(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+").unwrap();
    let space = Regex::new(r"\s+").unwrap();
    let tight = Regex::new(r" ?([:{},]) ?").unwrap();
    let mut out = BTreeMap::new();
    for (m, code) in &s.code {
        let mut named: Vec<String> = Vec::new();
        for c in uses.captures_iter(code) {
            let tree = space.replace_all(&c[1], " ");
            let tree = tight.replace_all(&tree, "$1");
            named.extend(expand(&tree));
        }
        named.extend(paths.find_iter(code).map(|p| p.as_str().to_string()));
        let targets: BTreeSet<Module> = named
            .iter()
            .filter_map(|p| resolve(s, m, p))
            .filter(|t| !t.is_empty() && !related(m, t))
            .collect();
        out.insert(m.clone(), targets);
    }
    out
}

/// A circle in `graph`, if there is one.
fn circle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        n: &Module,
        g: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for next in g.get(n).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|x| x == next).unwrap_or(0);
                    let mut c = stack[at..].to_vec();
                    c.push(next.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(next, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

fn show(c: &[Module]) -> String {
    c.iter()
        .map(|m| m.join("::"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[test]
fn no_module_imports_itself_through_others() {
    let s = read();
    let files = edges(&s);
    assert!(
        files.values().map(BTreeSet::len).sum::<usize>() > 100,
        "the dependency reader found too few imports to be reading the code"
    );
    if let Some(c) = circle(&files) {
        panic!("import circle between files: {}", show(&c));
    }
    // The top-level modules, as future crates would be.
    let mut top: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, tos) in &files {
        let Some(f) = from.first() else { continue };
        for to in tos {
            if to[0] != *f {
                top.entry(vec![f.clone()])
                    .or_default()
                    .insert(vec![to[0].clone()]);
            }
        }
    }
    if let Some(c) = circle(&top) {
        panic!("import circle between top-level modules: {}", show(&c));
    }
}

#[test]
fn the_dependency_reader_sees_circles() {
    // The checker must be able to fail: a made-up source with a circle.
    let mut s = Source {
        code: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    s.code
        .insert(vec!["a".into()], "use crate::b::{X, c::Y};".into());
    s.code
        .insert(vec!["b".into()], "use crate::finding::Z;".into());
    s.code.insert(
        vec!["b".into(), "c".into()],
        "fn f() { crate::a::g() }".into(),
    );
    s.code.insert(vec!["finding".into()], String::new());
    let c = circle(&edges(&s)).expect("a -> b::c -> a is a circle");
    assert_eq!(show(&c), "a -> b::c -> a");
}

#[test]
fn only_cli_and_main_know_clap() {
    let s = read();
    for (m, code) in &s.code {
        let allowed = m.first().is_some_and(|f| f == "cli" || f == "<main>");
        if !allowed {
            assert!(
                !code.contains("clap"),
                "{} uses clap: only src/cli/ and src/main.rs may",
                s.files[m].display()
            );
        }
    }
}

#[test]
fn the_scanner_and_the_decoders_do_no_io() {
    let s = read();
    let io = Regex::new(
        r"std::(fs|net|process|env)\b|\b(File|TcpStream|reqwest|git2|tokio)::|stdin\(|stdout\(",
    )
    .unwrap();
    for (m, code) in &s.code {
        let scanner = m == &["scan".to_string()] || m == &["scan".to_string(), "context".into()];
        let decoder = m.first().is_some_and(|f| f == "decode");
        if scanner || decoder {
            if let Some(hit) = io.find(code) {
                panic!("{} does I/O ({})", s.files[m].display(), hit.as_str());
            }
        }
    }
}
