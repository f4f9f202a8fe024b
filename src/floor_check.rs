//! The check that holds `src/` to [`crate::FLOORS`]: every `crate::…` path of a module names a
//! module of its own floor or a floor below, and the folders of one floor form no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::FLOORS;

/// A use of a module from a floor above, or a module missing from the table, or a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Breach {
    Upward {
        file: String,
        from: String,
        to: String,
    },
    Unlisted {
        file: String,
        module: String,
    },
    Cycle(Vec<String>),
}

fn floor(module: &str) -> Option<u8> {
    FLOORS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, floor)| *floor)
}

/// The top-level module a file of `src/` belongs to (`api/people.rs` → `api`).
fn module_of(relative: &str) -> &str {
    let first = relative.split('/').next().unwrap_or(relative);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// The text without its `//` comments (doc links are not imports).
fn without_comments(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    for line in text.lines() {
        let code = match line.find("//") {
            // `"postgres://…"` in a string is not a comment: keep lines whose `//` follows a `:`.
            Some(at) if !line[..at].ends_with(':') => &line[..at],
            _ => line,
        };
        kept.push_str(code);
        kept.push('\n');
    }
    kept
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules a file's code names through `crate::` (groups included).
fn modules_used(text: &str) -> BTreeSet<String> {
    let code = without_comments(text);
    let mut used = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded {
            continue; // `cdb_crate::x` or similar: not our crate's root.
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut entry_start = true;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => entry_start = true,
                    c if entry_start && (c.is_ascii_alphabetic() || c == '_') => {
                        used.insert(identifier(&group[index..]).to_owned());
                        entry_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = identifier(rest);
            if !name.is_empty() {
                used.insert(name.to_owned());
            }
        }
    }
    used
}

/// The breaches of a tree given as (path relative to `src/`, text) pairs.
fn breaches(files: &[(String, String)]) -> Vec<Breach> {
    let mut found = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in files {
        let module = module_of(file);
        if matches!(module, "lib" | "floor_check") {
            continue;
        }
        let Some(own) = floor(module) else {
            found.push(Breach::Unlisted {
                file: file.clone(),
                module: module.to_owned(),
            });
            continue;
        };
        for used in modules_used(text) {
            if used == module || used == "self" || used == "FLOORS" {
                continue;
            }
            match floor(&used) {
                Some(theirs) if theirs < own => found.push(Breach::Upward {
                    file: file.clone(),
                    from: module.to_owned(),
                    to: used,
                }),
                Some(theirs) if theirs == own => {
                    edges.entry(module.to_owned()).or_default().insert(used);
                }
                Some(_) => {}
                None => found.push(Breach::Unlisted {
                    file: file.clone(),
                    module: used,
                }),
            }
        }
    }
    found.extend(cycles(&edges).into_iter().map(Breach::Cycle));
    found
}

/// The cycles among the same-floor edges (each reported once, from its smallest module).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn walk(
        edges: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        let Some(current) = path.last().cloned() else {
            return;
        };
        for next in edges.get(&current).into_iter().flatten() {
            if next == start {
                found.push(path.clone());
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(edges, start, path, found);
                path.pop();
            }
        }
    }
    let mut found = Vec::new();
    for start in edges.keys() {
        walk(edges, start, &mut vec![start.clone()], &mut found);
    }
    found
}

fn read_tree(root: &Path, relative: &Path, files: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(root.join(relative)).expect("src/ is readable");
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let path = relative.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            read_tree(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(root.join(&path)).expect("a source file");
            files.push((path.to_string_lossy().into_owned(), text));
        }
    }
}

fn source_tree() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, Path::new(""), &mut files);
    files
}

#[test]
fn every_module_uses_only_its_floor_and_those_below() {
    let tree = source_tree();
    assert!(tree.len() > 100, "the whole of src/ is read");
    let found = breaches(&tree);
    assert!(found.is_empty(), "floor breaches: {found:#?}");
}

#[test]
fn an_upward_import_planted_in_the_store_is_caught() {
    let mut tree = source_tree();
    let people = tree
        .iter_mut()
        .find(|(file, _)| file == "store/people.rs")
        .expect("store/people.rs exists");
    people
        .1
        .push_str("\nuse crate::{domain::reach::Reach, api::problem::ApiError};\n");
    let found = breaches(&tree);
    assert_eq!(
        found,
        vec![Breach::Upward {
            file: "store/people.rs".into(),
            from: "store".into(),
            to: "api".into(),
        }]
    );
}

#[test]
fn a_cycle_between_folders_of_one_floor_and_an_unlisted_module_are_caught() {
    let tree = vec![
        (
            "imports/a.rs".to_owned(),
            "use crate::sources::b;".to_owned(),
        ),
        (
            "sources/b.rs".to_owned(),
            "fn f() { crate::imports::a::g() }".to_owned(),
        ),
        (
            "gadgets.rs".to_owned(),
            "// crate::api in a comment".to_owned(),
        ),
    ];
    let found = breaches(&tree);
    assert!(found.contains(&Breach::Cycle(vec!["imports".into(), "sources".into()])));
    assert!(found.contains(&Breach::Unlisted {
        file: "gadgets.rs".into(),
        module: "gadgets".into()
    }));
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[test]
fn paths_in_groups_strings_and_comments_are_read_as_the_compiler_would() {
    let used = modules_used(
        "use crate::{api::x, store::{people, reach}, self};\n/// [`crate::cli`]\nlet url = \"postgres://a\"; crate::domain::f();",
    );
    let expected: BTreeSet<String> = ["api", "store", "self", "domain"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(used, expected);
}

#[test]
fn handlers_hold_no_sql_and_store_rows_are_not_in_the_contract() {
    for (file, text) in source_tree() {
        let code = without_comments(&text);
        if file.starts_with("api/") {
            assert!(
                !code.contains("diesel"),
                "{file}: the database is the store's"
            );
            assert!(!code.contains("sql_query"), "{file}: SQL belongs in store/");
        }
        if file.starts_with("store/") {
            assert!(
                !code.contains("ToSchema"),
                "{file}: a store row is not a response schema (views are api/'s)"
            );
        }
    }
}
