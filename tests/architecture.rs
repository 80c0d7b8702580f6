//! The layout ARCHITECTURE.md promises, checked on the sources: no module of the three keygen
//! crates imports one that imports it back (at any distance); the ledger's SQL stays inside
//! the ledger's backends (`keygen-core/src/db/sqlite/`, `keygen-core/src/db/postgres/`), and
//! nothing above the storage interface names a database driver; clap stays in the command
//! line crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: [&str; 3] = ["keygen-core/src", "keygen-desk/src", "keygen/src"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A file's module path: `batch/mod.rs` and `batch.rs` are `batch`; `lib.rs` is the root.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib" || l == "main") {
        parts.pop();
    }
    parts
}

/// The code of a file without its `#[cfg(test)] mod tests` (tests may reach anywhere) and
/// without comments (a doc comment names modules freely).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Paths that start with `crate::`, `super::` or `self::`, use-groups expanded one level.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':')
            {
                continue;
            }
            let rest = &code[at..];
            let end =
                rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches(':').to_owned();
            if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
                let group_end = rest[end..].find('}').map_or(rest.len(), |j| end + j);
                for item in rest[end + 1..group_end].split(',') {
                    let item = item.trim().split("::").next().unwrap_or("").trim();
                    if !item.is_empty() && item != "self" && item != "*" {
                        out.push(format!("{path}::{item}"));
                    } else if item == "self" {
                        out.push(path.clone());
                    }
                }
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn resolve(modules: &BTreeSet<Vec<String>>, current: &[String], path: &str) -> Option<Vec<String>> {
    let mut parts = path.split("::").peekable();
    let mut base: Vec<String> = match parts.peek().copied() {
        Some("crate") => {
            parts.next();
            Vec::new()
        }
        Some("self") => {
            parts.next();
            current.to_vec()
        }
        Some("super") => current.to_vec(),
        _ => return None,
    };
    while parts.peek() == Some(&"super") {
        parts.next();
        base.pop();
    }
    for p in parts {
        let mut next = base.clone();
        next.push(p.to_owned());
        if modules.contains(&next) {
            base = next;
        } else {
            break;
        }
    }
    Some(base)
}

/// Every cycle of the crate's module graph, as its sorted members.
fn cycles(src: &Path) -> Vec<Vec<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for f in &files {
        let m = module_of(src, f);
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let targets = edges.entry(m.clone()).or_default();
        for p in paths(&code(&text)) {
            if let Some(t) = resolve(&modules, &m, &p)
                && t != m
            {
                targets.insert(t);
            }
        }
    }
    // Strongly connected components (Tarjan), iteratively small enough to recurse.
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on: BTreeSet<Vec<String>>,
        found: Vec<Vec<String>>,
    }
    fn visit(s: &mut State<'_>, v: &Vec<String>) {
        let n = s.index.len();
        s.index.insert(v.clone(), n);
        s.low.insert(v.clone(), n);
        s.stack.push(v.clone());
        s.on.insert(v.clone());
        for w in s.edges.get(v).cloned().unwrap_or_default() {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let l = s.low[&w].min(s.low[v]);
                s.low.insert(v.clone(), l);
            } else if s.on.contains(&w) {
                let l = s.index[&w].min(s.low[v]);
                s.low.insert(v.clone(), l);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(&w);
                let done = &w == v;
                comp.push(if w.is_empty() { "(root)".to_owned() } else { w.join("::") });
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_module_of_the_three_crates_imports_one_that_imports_it_back() {
    for krate in CRATES {
        let found = cycles(&root().join(krate));
        assert!(found.is_empty(), "{krate}: import cycles: {found:?}");
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    // The check itself: two modules that name each other are a cycle.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\n").expect("lib");
    std::fs::write(dir.path().join("a.rs"), "use crate::b::B;\npub struct A;\n").expect("a");
    std::fs::write(dir.path().join("b.rs"), "pub struct B(super::a::A);\n").expect("b");
    assert_eq!(cycles(dir.path()), vec![vec!["a".to_owned(), "b".to_owned()]]);
}

const SQL: [&str; 9] = [
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE ",
    "PRAGMA ",
    "SAVEPOINT ",
    "ROLLBACK",
    "BEGIN",
];

/// String literals of `code` that read as SQL.
fn sql_literals(code: &str) -> Vec<String> {
    code.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| SQL.iter().any(|k| s.trim_start().starts_with(k)))
        .map(str::to_owned)
        .collect()
}

/// The three crates' sources outside the ledger's backends (`db/sqlite/`, `db/postgres/`),
/// each with its code (comments and doc text left out).
fn above_the_backends() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for krate in CRATES {
        sources(&root().join(krate), &mut files);
    }
    let backends =
        ["keygen-core/src/db/sqlite", "keygen-core/src/db/postgres", "keygen-core/src/db/postgres.rs"]
            .map(|b| root().join(b));
    files
        .into_iter()
        .filter(|f| !backends.iter().any(|b| f.starts_with(b)))
        .map(|f| {
            let text = code(&std::fs::read_to_string(&f).unwrap_or_default());
            (f, text)
        })
        .collect()
}

#[test]
fn the_ledgers_sql_is_only_in_the_sqlite_backend() {
    assert_eq!(sql_literals(r#"let a = "SELECT 1 FROM keys"; let b = "select me";"#).len(), 1);
    let outside: Vec<String> = above_the_backends()
        .iter()
        .flat_map(|(f, text)| sql_literals(text).into_iter().map(move |s| format!("{}: {s}", f.display())))
        .collect();
    assert!(outside.is_empty(), "SQL outside the ledger's backends: {outside:#?}");
}

#[test]
fn no_database_driver_above_the_storage_interface() {
    let drivers = ["rusqlite", "postgres::", "tokio_postgres", "r2d2"];
    let named: Vec<String> = above_the_backends()
        .iter()
        .flat_map(|(f, text)| {
            drivers.iter().filter(|d| text.contains(*d)).map(move |d| format!("{} names {d}", f.display()))
        })
        .collect();
    assert!(named.is_empty(), "a database driver above the storage interface: {named:#?}");
}

#[test]
fn clap_is_only_in_the_command_line_crate() {
    for krate in ["keygen-core", "keygen-desk"] {
        let mut files = Vec::new();
        sources(&root().join(krate).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            assert!(!code(&text).contains("clap::"), "{} uses clap", f.display());
            assert!(!text.contains("BatchArgs"), "{} names BatchArgs", f.display());
        }
        let manifest = std::fs::read_to_string(root().join(krate).join("Cargo.toml")).unwrap_or_default();
        for dep in ["clap", "axum", "tokio", "indicatif"] {
            let listed = manifest
                .lines()
                .any(|l| l.starts_with(&format!("{dep} ")) || l.starts_with(&format!("{dep}.")));
            assert!(!(krate == "keygen-core" && listed), "keygen-core depends on {dep}");
        }
    }
}
