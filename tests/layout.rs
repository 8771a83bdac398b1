//! The layout ARCHITECTURE.md promises: within each crate, no two modules
//! import each other, directly or around a circle. A module is a file; a
//! parent declaring its children (`mod x;`) is not an import, `crate::x` and
//! `super::x` paths are. Test modules (`#[cfg(test)] mod tests`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path ("view::model") → source, for every file under `root`.
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts
                .last()
                .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
            {
                parts.pop();
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let src = src
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default()
                .to_string();
            out.insert(parts.join("::"), src);
        }
    }
    out
}

/// The paths that follow `prefix` in `src` ("crate::" → "view::model::Frame").
fn paths_after<'a>(src: &'a str, prefix: &str) -> Vec<&'a str> {
    src.match_indices(prefix)
        .filter(|(i, _)| {
            // A whole word: not the tail of another identifier.
            *i == 0
                || !src[..*i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(i, _)| {
            let rest = &src[i + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// Who imports whom, between the modules of one crate.
fn imports(mods: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    let known = |path: &str| -> Option<&str> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find_map(|m| mods.get_key_value(&m).map(|(k, _)| k.as_str()))
    };
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (m, src) in mods {
        let parent = m.rsplit_once("::").map_or("", |(p, _)| p);
        let targets = paths_after(src, "crate::")
            .into_iter()
            .map(str::to_string)
            .chain(paths_after(src, "super::").into_iter().map(|p| {
                if parent.is_empty() {
                    p.to_string()
                } else {
                    format!("{parent}::{p}")
                }
            }));
        let set = edges.entry(m.as_str()).or_default();
        for t in targets {
            if let Some(t) = known(&t)
                && t != m
                && !t.is_empty()
                && !m.starts_with(&format!("{t}::"))
            {
                set.insert(t);
            }
        }
    }
    edges
}

/// A circle through `start`, if there is one.
fn circle<'a>(
    edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    start: &'a str,
) -> Option<Vec<&'a str>> {
    let mut stack = vec![(start, vec![start])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for &next in edges.get(at).into_iter().flatten() {
            if next == start {
                let mut p = path.clone();
                p.push(start);
                return Some(p);
            }
            if seen.insert(next) {
                let mut p = path.clone();
                p.push(next);
                stack.push((next, p));
            }
        }
    }
    None
}

#[test]
fn no_two_modules_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut crates = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("services")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            crates.push(src);
        }
    }
    let mut circles = Vec::new();
    for c in &crates {
        let mods = modules(c);
        let edges = imports(&mods);
        for m in mods.keys() {
            if let Some(p) = circle(&edges, m) {
                circles.push(format!("{}: {}", c.display(), p.join(" → ")));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// The crate's `[dependencies]` names (not dev- or build-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && !name.starts_with('#') {
                out.push(name.trim_end_matches(".workspace").to_string());
            }
        }
    }
    out
}

/// The app core and everything it builds on stay pure: no UI toolkit, no
/// database, no async runtime, no network or device access can be reached
/// from `engawa_app`, so `App::handle` cannot do I/O even by accident.
#[test]
fn the_app_core_reaches_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let forbidden = [
        "slint",
        "engawa-ui",
        "rusqlite",
        "sqlx",
        "tokio",
        "reqwest",
        "evdev",
        "lettre",
    ];
    let mut todo = vec!["app".to_string()];
    let mut seen = BTreeSet::new();
    while let Some(dir) = todo.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let deps = dependencies(&root.join("services").join(&dir).join("Cargo.toml"));
        for d in &deps {
            assert!(
                !forbidden.contains(&d.as_str()),
                "services/{dir} depends on {d}, which the app core must not reach"
            );
            if let Some(service) = d.strip_prefix("engawa-") {
                todo.push(service.to_string());
            }
        }
    }
    assert!(seen.contains("shop") && seen.contains("ride"), "{seen:?}");
}
