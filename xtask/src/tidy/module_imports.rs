//! Check (f): no two modules of one library crate import each other (issue 9,
//! "What it must show" item 3). The logic of the `cycles.py` script that first
//! checked it, in std-only Rust.
//!
//! - A module is a file `src/foo.rs`, or a directory `src/foo/` (with
//!   `src/foo.rs` or `src/foo/mod.rs`). A directory's files all count as that
//!   one module: a module's own submodules (its `tests.rs`, say) are its
//!   business, and what they import is what the module imports. Other
//!   directories (`src/bin/`) are not modules and are skipped.
//! - A module imports `name` when its code (unit tests included) has a path
//!   `crate::name` or `$crate::name`, in a `use` line or anywhere else,
//!   including each item of `crate::{a::X, b}`. Comments (doc comments and
//!   their links too) and string and character literals do not count.
//!   `super::` paths are not followed.
//! - `crate::Item` where `Item` is not a module (a root item or a
//!   re-export) imports `lib`. The crate root `lib.rs` is exempt, as the
//!   place of the `mod` declarations and re-exports: its own paths are not
//!   read, so no module forms a pair with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{rel, rust_files};
use crate::util::{self, Result};

/// A module of a crate: its name and its files.
struct Module {
    name: String,
    files: Vec<PathBuf>,
}

/// Where a module first names another: the file and 1-based line.
type Site = (PathBuf, usize);

/// The problems of the crate in `crate_dir` (named `name`): one for each pair of its
/// modules that import each other. Paths in messages are relative to `root`.
pub(super) fn check(root: &Path, crate_dir: &Path, name: &str) -> Result<Vec<String>> {
    let modules = modules(&crate_dir.join("src"))?;
    let names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
    // module -> (module it imports -> where it first does).
    let mut imports: BTreeMap<&str, BTreeMap<String, Site>> = BTreeMap::new();
    for module in &modules {
        let found = imports.entry(module.name.as_str()).or_default();
        for file in &module.files {
            let code = strip_comments_and_literals(&util::read_to_string(file)?);
            for (line, head) in crate_paths(&code) {
                let target = if names.contains(&head.as_str()) {
                    head
                } else {
                    "lib".to_owned()
                };
                if target != module.name {
                    found.entry(target).or_insert_with(|| (file.clone(), line));
                }
            }
        }
    }
    let mut problems = Vec::new();
    for (a, a_imports) in &imports {
        for (b, (a_file, a_line)) in a_imports {
            // Each pair once, from its alphabetically first module.
            if *a >= b.as_str() {
                continue;
            }
            let Some((b_file, b_line)) = imports.get(b.as_str()).and_then(|m| m.get(*a)) else {
                continue;
            };
            problems.push(format!(
                "{}:{a_line} and {}:{b_line}: modules `{a}` and `{b}` of `{name}` import each \
                 other (`crate::{b}`, `crate::{a}`); no two modules of one crate may (issue 9): \
                 move what both need into a module that imports neither",
                rel(root, a_file),
                rel(root, b_file),
            ));
        }
    }
    Ok(problems)
}

/// The modules under `src` (not `lib.rs`), sorted by name.
fn modules(src: &Path) -> Result<Vec<Module>> {
    let entries = std::fs::read_dir(src)
        .map_err(|e| util::Error::new(format!("could not list {}: {e}", src.display())))?;
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in entries {
        let path = entry
            .map_err(|e| util::Error::new(format!("could not list {}: {e}", src.display())))?
            .path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.is_dir() {
            let is_module =
                path.join("mod.rs").is_file() || src.join(format!("{stem}.rs")).is_file();
            if is_module {
                modules
                    .entry(stem.to_owned())
                    .or_default()
                    .extend(rust_files(&path)?);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && stem != "lib" {
            modules.entry(stem.to_owned()).or_default().push(path);
        }
    }
    Ok(modules
        .into_iter()
        .map(|(name, mut files)| {
            // The module's own file first, so that a message names it when it can.
            let main = [
                src.join(format!("{name}.rs")),
                src.join(&name).join("mod.rs"),
            ];
            files.sort_by_key(|f| (!main.contains(f), f.clone()));
            Module { name, files }
        })
        .collect())
}

/// `text` with comments and the contents of string and character literals blanked
/// out (line breaks kept, so line numbers stay right).
fn strip_comments_and_literals(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for byte in out.iter_mut().take(to).skip(from) {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    };
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match (at(i), at(i + 1)) {
            (b'/', b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                blank(&mut out, start, i);
            }
            (b'/', b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    match (at(i), at(i + 1)) {
                        (b'/', b'*') => (depth, i) = (depth + 1, i + 2),
                        (b'*', b'/') => (depth, i) = (depth - 1, i + 2),
                        _ => i += 1,
                    }
                    if depth == 0 {
                        break;
                    }
                }
                blank(&mut out, start, i);
            }
            (b'"', _) => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, start + 1, i);
                i += 1;
            }
            // A raw string `r"…"`, `r#"…"#` (also `br`, `cr`), not a raw identifier.
            (b'r', _) if start == 0 || !is_ident(at(start - 1)) || raw_prefix(b, start) => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if at(i + 1 + hashes) != b'"' {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let body = i + 2 + hashes;
                let end = b[body..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(b.len(), |p| body + p);
                blank(&mut out, body, end);
                i = end + close.len();
            }
            // A character literal (`'x'`, `'\n'`, `'"'`); otherwise a lifetime or label.
            (b'\'', next) => {
                let end = if next == b'\\' {
                    // The character after the backslash may be `'` itself.
                    b.get(i + 3..)
                        .and_then(|rest| rest.iter().position(|&c| c == b'\''))
                        .map(|p| i + 3 + p)
                } else {
                    let len = text[i + 1..].chars().next().map_or(0, char::len_utf8);
                    (at(i + 1 + len) == b'\'').then_some(i + 1 + len)
                };
                match end {
                    Some(end) => {
                        blank(&mut out, start + 1, end);
                        i = end + 1;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were replaced, and only whole literals and comments, so the
    // text is still UTF-8; lossy conversion cannot change it.
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the `r` at `i` follows a `b` or `c` that starts a token (`br"…"`, `cr"…"`).
fn raw_prefix(b: &[u8], i: usize) -> bool {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    i >= 1 && matches!(b[i - 1], b'b' | b'c') && (i == 1 || !is_ident(b[i - 2]))
}

/// The first segment after each `crate::` in `code`, with its 1-based line: `b` for
/// `crate::b::X`, and `a` and `b` for `crate::{a::X, b}`. `self` and `*` in a group
/// are returned as they are (neither names a module).
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let line_of = |at: usize| 1 + b[..at].iter().filter(|&&c| c == b'\n').count();
    let ident_at = |at: usize| -> String {
        let len = b[at..].iter().take_while(|&&c| is_ident(c)).count();
        code[at..at + len].to_owned()
    };
    let skip_ws = |mut at: usize| {
        while at < b.len() && b[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate") {
        if at > 0 && is_ident(b[at - 1]) {
            continue;
        }
        let after = skip_ws(at + "crate".len());
        if !code[after..].starts_with("::") {
            continue;
        }
        let path = skip_ws(after + 2);
        if b.get(path) != Some(&b'{') {
            let head = ident_at(path);
            if !head.is_empty() {
                out.push((line_of(path), head));
            }
            continue;
        }
        // A group: the first segment of each top-level item.
        let mut depth = 0;
        let mut item_start = true;
        for (i, &c) in b.iter().enumerate().skip(path) {
            match c {
                b'{' => {
                    depth += 1;
                    item_start = depth == 1;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' if depth == 1 => item_start = true,
                c if c.is_ascii_whitespace() => {}
                _ if item_start && depth == 1 => {
                    item_start = false;
                    let head = ident_at(i);
                    out.push((
                        line_of(i),
                        if head.is_empty() {
                            (c as char).to_string()
                        } else {
                            head
                        },
                    ));
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` (path under the crate, text) into a fresh crate directory, runs the
    /// check, removes the directory and returns the problems.
    fn run(tag: &str, files: &[(&str, &str)]) -> Vec<String> {
        let root = std::env::temp_dir().join(format!("xtask-imports-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join("crates/k").join(path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap();
            }
            std::fs::write(path, text).unwrap();
        }
        let problems = check(&root, &root.join("crates/k"), "ossuary-k");
        std::fs::remove_dir_all(&root).unwrap();
        match problems {
            Ok(problems) => problems,
            Err(e) => panic!("the check could not run: {e}"),
        }
    }

    #[test]
    fn a_mutual_import_fails_naming_both_files() {
        let problems = run(
            "mutual",
            &[
                (
                    "src/lib.rs",
                    "mod a;\nmod b;\nmod c;\npub use crate::a::A;\n",
                ),
                (
                    "src/a.rs",
                    "//! A.\n\nuse crate::b::B;\n\npub struct A(B);\n",
                ),
                (
                    "src/b.rs",
                    "use crate::c;\nuse crate::{\n    a::A,\n    c::C,\n};\npub struct B;\n",
                ),
                (
                    "src/c.rs",
                    "pub struct C;\nfn f() -> crate::a::A { todo() }\n",
                ),
            ],
        );
        assert_eq!(
            problems,
            [
                "crates/k/src/a.rs:3 and crates/k/src/b.rs:3: modules `a` and `b` of `ossuary-k` \
              import each other (`crate::b`, `crate::a`); no two modules of one crate may \
              (issue 9): move what both need into a module that imports neither"
            ]
        );
    }

    #[test]
    fn a_clean_pair_passes() {
        let b = r##"
//! Not an import: [`A`](crate::a::A), crate::a.
use crate::error::Error; // a leaf
/* crate::a::A in a /* nested */ comment, crate::a */
const S: &str = "crate::a::A \" crate::a";
const R: &str = r#"crate::a" crate::a"#;
const Q: char = '"';
fn f<'a>(x: &'a str) -> crate::Error { let _ = "crate::a"; todo() }
#[cfg(test)]
mod tests {
    use super::*;
    const T: &str = "use crate::a;";
}
"##;
        let problems = run(
            "clean",
            &[
                (
                    "src/lib.rs",
                    "mod a;\nmod b;\nmod error;\npub use crate::a::A;\n",
                ),
                ("src/a.rs", "use crate::{b::B, error::Error, Thing};\n"),
                ("src/b.rs", b),
                ("src/error.rs", "pub struct Error;\n"),
            ],
        );
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn a_directory_is_one_module() {
        let problems = run(
            "dir",
            &[
                ("src/lib.rs", "mod hosts;\nmod list;\n"),
                ("src/hosts.rs", "#[cfg(test)]\nmod tests;\n"),
                (
                    "src/hosts/tests.rs",
                    "use crate::hosts::X;\nuse crate::list::L;\n",
                ),
                ("src/list/mod.rs", "mod parse;\n"),
                (
                    "src/list/parse.rs",
                    "use crate::list::Y;\nuse crate::hosts::H;\n",
                ),
                ("src/bin/tool.rs", "use crate::list::Z;\n"),
            ],
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "crates/k/src/hosts/tests.rs:2 and crates/k/src/list/parse.rs:2: modules \
                 `hosts` and `list`"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn finds_crate_paths() {
        let code = "use crate::{self, a::{X, Y}, b as c, *};\n$crate::m::f();\nmycrate::n;\n\
                    pub(crate) fn f() {}\ncrate :: spaced;\n";
        let heads: Vec<(usize, String)> = crate_paths(code);
        let heads: Vec<(usize, &str)> = heads.iter().map(|(l, h)| (*l, h.as_str())).collect();
        assert_eq!(
            heads,
            [
                (1, "self"),
                (1, "a"),
                (1, "b"),
                (1, "*"),
                (2, "m"),
                (5, "spaced")
            ]
        );
    }

    #[test]
    fn strips_comments_and_literals_but_keeps_lines() {
        let text = "a // c\nb /* x\n y */ c \"s\\\"t\" 'x' '\\'' 'a: r#\"q\"# br\"z\" \
                    r#raw é '€'\n";
        let stripped = strip_comments_and_literals(text);
        assert_eq!(stripped.lines().count(), text.lines().count());
        assert_eq!(
            stripped,
            "a     \nb     \n      c \"    \" ' ' '  ' 'a: r#\" \"# br\" \" r#raw é '   '\n"
        );
    }
}
