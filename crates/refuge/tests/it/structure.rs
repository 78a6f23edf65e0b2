//! The shape of the source, as a maintainer meets it: no file over 600
//! lines, and no import cycle between the modules of one crate (a module
//! may use its parent's items; siblings depend one way only).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace_crates() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/").to_path_buf();
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(&crates).unwrap().flatten().map(|e| e.path().join("src")).filter(|p| p.is_dir()).collect();
    out.sort();
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `admin::items` for `src/admin/items/mod.rs`; `None` for test files.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?.with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "tests") {
        return None;
    }
    if parts.last().is_some_and(|p| ["mod", "lib", "main"].contains(&p.as_str())) {
        parts.pop();
    }
    Some(parts.join("::"))
}

/// The paths written after `prefix` (`crate::` or `super::`): `a::b::c`.
fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        out.push(rest[..end].split("::").filter(|p| !p.is_empty()).collect());
    }
    out
}

/// Each module's sibling and child modules it uses (not its ancestors).
fn dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut texts = BTreeMap::new();
    for file in files {
        if let Some(module) = module_of(src, &file) {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default().to_owned();
            texts.insert(module, code);
        }
    }
    let modules: BTreeSet<String> = texts.keys().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &texts {
        let parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        let mut targets = Vec::new();
        for path in paths_after(code, "crate::") {
            targets.push(path.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        }
        for path in paths_after(code, "super::") {
            targets.push(parent.iter().copied().chain(path).map(str::to_owned).collect());
        }
        for target in targets {
            // The longest prefix that names a module.
            let found = (1..=target.len()).rev().map(|k| target[..k].join("::")).find(|m| modules.contains(m));
            if let Some(found) = found {
                let ancestor = module.starts_with(&format!("{found}::"));
                if found != *module && !ancestor {
                    edges.entry(module.clone()).or_default().insert(found);
                }
            }
        }
    }
    edges
}

/// A cycle of modules, if there is one.
fn a_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == at) {
            let mut cycle = path[start..].to_vec();
            cycle.push(at.to_owned());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_owned());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_of_a_crate_depends_on_itself_through_others() {
    let mut cycles = Vec::new();
    for src in workspace_crates() {
        if let Some(cycle) = a_cycle(&dependencies(&src)) {
            cycles.push(format!("{}: {}", src.display(), cycle.join(" → ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles inside a crate:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert_eq!(a_cycle(&edges).unwrap(), ["a", "b", "c", "a"]);
    let tree: BTreeMap<String, BTreeSet<String>> = [("a".to_owned(), BTreeSet::from(["b".to_owned()]))].into();
    assert!(a_cycle(&tree).is_none());
    let uses = paths_after("use crate::x::{y, z};\nlet q = super::w::v(1); not_crate::u", "crate::");
    assert_eq!(uses, vec![vec!["x"]]);
}

#[test]
fn no_source_file_is_over_600_lines() {
    let mut long = Vec::new();
    for src in workspace_crates() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files.into_iter().filter(|f| module_of(&src, f).is_some()) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > 600 {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "files over 600 lines:\n{}", long.join("\n"));
}
