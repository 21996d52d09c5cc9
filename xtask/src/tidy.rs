//! `cargo xtask tidy`: repository-wide checks that the compiler and clippy do not make.
//!
//! 1. The dependency table (STYLE rule 1): each crate names only the allowed crates of ours.
//!    The test-only crates (`ossuary-testkit`) say `publish = false`, and no crate has one as
//!    a normal or build dependency except those the table allows (the bench); the libraries
//!    use it only as a dev-dependency.
//! 2. No crate's tests run with features its users do not get: no crate dev-depends on
//!    itself, and none turns on features of a test-only crate (whose features, such as the
//!    testkit's `core`, turn on `hazmat` features of the libraries).
//! 3. Only `crates/ossuary-ffi` contains the `unsafe` keyword (STYLE rule 4).
//! 4. Every other crate root starts with `#![forbid(unsafe_code)]`.
//! 5. No `dbg!(`, `todo!(` or `unimplemented!(` in `crates/*/src`.
//! 6. No two modules of one library crate import each other (issue 9): see
//!    [`module_imports`] for what counts as a module (a directory is one module, with
//!    all its files) and as an import (`crate::name` paths in code, unit tests included,
//!    not in comments or literals; `lib.rs` is exempt as the place of re-exports).
//! 7. The fuzz targets compile in code from outside `fuzz/` (`#[path = ".."]`) only from
//!    `crates/ossuary-ffi/fuzz_driver/`: the C API's fuzz driver, which calls its `unsafe`
//!    entry points and so lives where `unsafe` is allowed, outside the library. `fuzz/Cargo.toml`
//!    keeps `unsafe_code` at `deny` (or `forbid`), so nothing else in the fuzz crate may use it.
//!
//! The same checks run as a `#[test]`, so `cargo test --workspace` enforces them.

use std::path::{Path, PathBuf};

use crate::util::{self, Error, Result};

mod module_imports;

/// Which of our crates each crate may depend on (normal and build dependencies).
const DEPENDENCY_TABLE: &[(&str, &[&str])] = &[
    ("ossuary-wire", &[]),
    ("ossuary-crypto", &[]),
    ("ossuary-handshake", &["ossuary-wire", "ossuary-crypto"]),
    // Key files and trust lists; re-exported by core as `ossuary_core::keys`.
    ("ossuary-keys", &["ossuary-crypto"]),
    (
        "ossuary-core",
        &[
            "ossuary-wire",
            "ossuary-crypto",
            "ossuary-handshake",
            "ossuary-keys",
        ],
    ),
    (
        "ossuary-bench",
        &[
            "ossuary-core",
            "ossuary-crypto",
            "ossuary-wire",
            "ossuary-handshake",
            "ossuary-testkit",
            "ossuary-tokio",
        ],
    ),
    // Test machinery: may use every library crate; only a dev-dependency of theirs.
    (
        "ossuary-testkit",
        &[
            "ossuary-wire",
            "ossuary-crypto",
            "ossuary-handshake",
            "ossuary-core",
        ],
    ),
    ("ossuary-ffi", &["ossuary-core"]),
    // The tokio adapter: built on core's public API, as `Stream` is.
    ("ossuary-tokio", &["ossuary-core"]),
    ("ossuary-cli", &["ossuary-core", "ossuary-tokio"]),
    ("xtask", &[]),
];

/// Crates that exist only for tests, fuzzing and benchmarks: never published.
const TEST_ONLY: &[&str] = &["ossuary-testkit"];

/// The one crate directory allowed to contain `unsafe`.
const UNSAFE_ALLOWED_DIR: &str = "ossuary-ffi";

/// The one directory outside `fuzz/` whose files the fuzz targets may compile in
/// (`#[path]`), relative to the repository root.
const FUZZ_DRIVER_DIR: &str = "crates/ossuary-ffi/fuzz_driver";

/// The keyword, spelled so that this file does not trip its own check.
const UNSAFE: &str = concat!("un", "safe");

/// The library crates held to "no two modules import each other" (check 6), by package
/// name; those not in the workspace are skipped.
const LAYERED_LIBRARIES: &[&str] = &[
    "ossuary-wire",
    "ossuary-crypto",
    "ossuary-handshake",
    "ossuary-core",
    "ossuary-keys",
    "ossuary-ffi",
    "ossuary-tokio",
];

/// Macros that must not be left in library or binary sources.
const FORBIDDEN_MACROS: &[&str] = &["dbg!(", "todo!(", "unimplemented!("];

/// Runs every check and prints the problems found.
pub(crate) fn run() -> Result {
    let problems = check(&util::project_root())?;
    if problems.is_empty() {
        println!("tidy: ok");
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    Err(Error::new(format!(
        "tidy found {} problem(s)",
        problems.len()
    )))
}

/// Runs every check against the workspace at `root` and returns the problems found.
pub(crate) fn check(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let crate_dirs = crate_dirs(root)?;

    // (a) The dependency table.
    let mut manifests: Vec<PathBuf> = crate_dirs.iter().map(|d| d.join("Cargo.toml")).collect();
    manifests.push(root.join("xtask").join("Cargo.toml"));
    for manifest_path in &manifests {
        let manifest = parse_manifest(&util::read_to_string(manifest_path)?);
        let shown = rel(root, manifest_path);
        let Some(name) = manifest.name else {
            problems.push(format!("{shown}: no [package] name"));
            continue;
        };
        if TEST_ONLY.contains(&name.as_str()) && manifest.publish.as_deref() != Some("false") {
            problems.push(format!(
                "{shown}: test-only crate `{name}` must say `publish = false`"
            ));
        }
        let Some((_, allowed)) = DEPENDENCY_TABLE.iter().find(|(n, _)| *n == name) else {
            problems.push(format!(
                "{shown}: crate `{name}` is not in the dependency table in xtask/src/tidy.rs"
            ));
            continue;
        };
        for dep in manifest.deps.iter().filter(|d| is_ours(d)) {
            if !allowed.contains(&dep.as_str()) {
                problems.push(format!(
                    "{shown}: `{name}` may not depend on `{dep}` (allowed: {})",
                    if allowed.is_empty() {
                        "none of ours".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ));
            }
        }
        // (b) Tests run with the production features.
        for dev in &manifest.dev_deps {
            if dev.name == name {
                problems.push(format!(
                    "{shown}: `{name}` dev-depends on itself (its tests would not run with the \
                     features its users get)"
                ));
            } else if TEST_ONLY.contains(&dev.name.as_str()) && dev.features {
                problems.push(format!(
                    "{shown}: `{name}` turns on features of the test-only `{}` (its tests would \
                     not run with the features its users get)",
                    dev.name
                ));
            }
        }
    }

    // (c) `unsafe` only in ossuary-ffi.
    let mut scan_dirs: Vec<PathBuf> = crate_dirs
        .iter()
        .filter(|d| !d.ends_with(UNSAFE_ALLOWED_DIR))
        .cloned()
        .collect();
    scan_dirs.push(root.join("xtask"));
    scan_dirs.push(root.join("fuzz"));
    for dir in &scan_dirs {
        for file in rust_files(dir)? {
            let text = util::read_to_string(&file)?;
            for (n, line) in code_lines(&text) {
                if contains_word(line, UNSAFE) {
                    problems.push(format!(
                        "{}:{n}: `{UNSAFE}` outside crates/{UNSAFE_ALLOWED_DIR}",
                        rel(root, &file)
                    ));
                }
            }
        }
    }

    for dir in &crate_dirs {
        // (d) `#![forbid(unsafe_code)]` in every crate root except ffi's.
        if !dir.ends_with(UNSAFE_ALLOWED_DIR) {
            let roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
                .iter()
                .map(|f| dir.join("src").join(f))
                .filter(|p| p.is_file())
                .collect();
            if roots.is_empty() {
                problems.push(format!("{}: no src/lib.rs or src/main.rs", rel(root, dir)));
            }
            for crate_root in roots {
                if !forbids_unsafe(&util::read_to_string(&crate_root)?) {
                    problems.push(format!(
                        "{}: missing `#![forbid(unsafe_code)]`",
                        rel(root, &crate_root)
                    ));
                }
            }
        }

        // (e) No leftover debugging or placeholder macros.
        for file in rust_files(&dir.join("src"))? {
            let text = util::read_to_string(&file)?;
            for (n, line) in code_lines(&text) {
                for mac in FORBIDDEN_MACROS.iter().filter(|m| line.contains(**m)) {
                    problems.push(format!("{}:{n}: `{mac}` left in", rel(root, &file)));
                }
            }
        }

        // (f) No two modules of a library crate import each other.
        let manifest = parse_manifest(&util::read_to_string(&dir.join("Cargo.toml"))?);
        let layered = manifest
            .name
            .filter(|n| LAYERED_LIBRARIES.contains(&n.as_str()));
        if let Some(name) = layered
            && dir.join("src").join("lib.rs").is_file()
        {
            problems.extend(module_imports::check(root, dir, &name)?);
        }
    }

    // (g) What the fuzz targets compile in from outside `fuzz/`.
    problems.extend(fuzz_includes(root)?);

    Ok(problems)
}

/// Check (g): `#[path]` modules of `fuzz/` that point outside it must lie under
/// [`FUZZ_DRIVER_DIR`], and `fuzz/Cargo.toml` must deny (or forbid) `unsafe_code`.
fn fuzz_includes(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let fuzz = root.join("fuzz");
    let manifest = fuzz.join("Cargo.toml");
    if !manifest.is_file() {
        return Ok(problems);
    }
    let denies = util::read_to_string(&manifest)?
        .lines()
        .map(|l| strip_toml_comment(l).replace(' ', ""))
        .any(|l| l == "unsafe_code=\"deny\"" || l == "unsafe_code=\"forbid\"");
    if !denies {
        problems.push(format!(
            "{}: `unsafe_code` must be `deny` or `forbid`",
            rel(root, &manifest)
        ));
    }
    let allowed = normalize(&root.join(FUZZ_DRIVER_DIR));
    for file in rust_files(&fuzz)? {
        let text = util::read_to_string(&file)?;
        for (n, line) in code_lines(&text) {
            let Some(target) = path_attribute(line) else {
                continue;
            };
            let dir = file.parent().unwrap_or(root);
            let resolved = normalize(&dir.join(target));
            if !resolved.starts_with(&fuzz) && !resolved.starts_with(&allowed) {
                problems.push(format!(
                    "{}:{n}: `#[path]` to {target}: fuzz targets may compile in code from \
                     outside fuzz/ only from {FUZZ_DRIVER_DIR}/",
                    rel(root, &file)
                ));
            }
        }
    }
    Ok(problems)
}

/// The string of a `#[path = "..."]` attribute on `line`, if there is one.
fn path_attribute(line: &str) -> Option<&str> {
    let compact = line.trim();
    let rest = compact
        .strip_prefix("#[path")?
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    rest.split_once('"').map(|(target, _)| target)
}

/// `path` with `.` and `..` components resolved lexically (the files need not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A manifest reduced to what tidy needs.
#[derive(Debug, Default, PartialEq)]
struct Manifest {
    /// `[package] name`.
    name: Option<String>,
    /// `[package] publish`, as written (`false`, or a registry list).
    publish: Option<String>,
    /// Real package names of normal and build dependencies (renames resolved).
    deps: Vec<String>,
    /// Dev-dependencies (renames resolved).
    dev_deps: Vec<DevDep>,
}

/// A dev-dependency as tidy sees it.
#[derive(Debug, Default, PartialEq)]
struct DevDep {
    /// The real package name.
    name: String,
    /// Whether it turns on features (`features = [..]`, in any form).
    features: bool,
}

/// Parses the parts of a `Cargo.toml` that tidy needs, line by line.
///
/// Handles `[dependencies]`, `[build-dependencies]`, their `[target.'..'.*]` forms,
/// `[dependencies.name]` tables, dotted keys (`foo.workspace = true`) and
/// `package = "..."` renames; the same for `[dev-dependencies]`, noting whether each
/// turns on features.
fn parse_manifest(text: &str) -> Manifest {
    let mut manifest = Manifest::default();
    let mut section = String::new();
    // For a `[dependencies.name]` table: the dependency's index in `deps`.
    let mut dep_table: Option<usize> = None;
    // For a `[dev-dependencies.name]` table: the dependency's index in `dev_deps`.
    let mut dev_table: Option<usize> = None;
    for raw in text.lines() {
        let line = strip_toml_comment(raw).trim();
        if line.starts_with('[') {
            section = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
            dep_table = None;
            dev_table = None;
            if let Some((head, name)) = section.rsplit_once('.') {
                if is_dep_section(head) {
                    manifest.deps.push(unquote(name).to_owned());
                    dep_table = Some(manifest.deps.len() - 1);
                } else if is_dev_dep_section(head) {
                    manifest.dev_deps.push(DevDep {
                        name: unquote(name).to_owned(),
                        features: false,
                    });
                    dev_table = Some(manifest.dev_deps.len() - 1);
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if section == "package" && key == "name" {
            manifest.name = Some(unquote(value).to_owned());
        } else if section == "package" && key == "publish" {
            manifest.publish = Some(value.to_owned());
        } else if is_dep_section(&section) {
            let name = unquote(key.split('.').next().unwrap_or(key));
            let real = inline_package(value).unwrap_or(name);
            manifest.deps.push(real.to_owned());
        } else if let Some(i) = dep_table
            && key == "package"
        {
            manifest.deps[i] = unquote(value).to_owned();
        } else if is_dev_dep_section(&section) {
            let mut parts = key.split('.');
            let name = unquote(parts.next().unwrap_or(key));
            let dotted_features = parts.next().is_some_and(|k| unquote(k) == "features");
            let real = inline_package(value).unwrap_or(name);
            let features = dotted_features || inline_key(value, "features").is_some();
            // `foo.workspace = true` and `foo.features = [..]` are one dependency.
            match manifest.dev_deps.iter_mut().find(|d| d.name == real) {
                Some(dep) => dep.features |= features,
                None => manifest.dev_deps.push(DevDep {
                    name: real.to_owned(),
                    features,
                }),
            }
        } else if let Some(i) = dev_table {
            match key {
                "package" => manifest.dev_deps[i].name = unquote(value).to_owned(),
                "features" => manifest.dev_deps[i].features = true,
                _ => {}
            }
        }
    }
    manifest
}

/// Whether a section header names a (build-)dependency table, possibly target-specific.
fn is_dep_section(section: &str) -> bool {
    let kind = match section.strip_prefix("target.") {
        Some(rest) => match rest.rsplit_once('.') {
            Some((_, kind)) => kind,
            None => return false,
        },
        None => section,
    };
    kind == "dependencies" || kind == "build-dependencies"
}

/// Whether a section header names a dev-dependency table, possibly target-specific.
fn is_dev_dep_section(section: &str) -> bool {
    let kind = match section.strip_prefix("target.") {
        Some(rest) => match rest.rsplit_once('.') {
            Some((_, kind)) => kind,
            None => return false,
        },
        None => section,
    };
    kind == "dev-dependencies"
}

/// The `package = "..."` entry of an inline table value, if any.
fn inline_package(value: &str) -> Option<&str> {
    inline_key(value, "package").map(unquote)
}

/// The value of `key` in an inline table value (`{ a = 1, key = .. }`), if any. Splits at
/// commas, so a list value is cut at its first comma: enough to tell whether the key is there.
fn inline_key<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    let inner = value.strip_prefix('{')?.strip_suffix('}')?;
    inner.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// Removes a trailing `# comment`, ignoring `#` inside quoted strings.
fn strip_toml_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Strips surrounding quotes from a TOML key or string value.
fn unquote(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '"' || c == '\'')
}

/// Whether a package name is one of ours.
fn is_ours(name: &str) -> bool {
    name == "ossuary" || name.starts_with("ossuary-")
}

/// Whether a crate root has an unconditional `#![forbid(..)]` that lists `unsafe_code`.
fn forbids_unsafe(text: &str) -> bool {
    code_lines(text).any(|(_, line)| {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        compact
            .strip_prefix("#![forbid(")
            .and_then(|rest| rest.strip_suffix(")]"))
            .is_some_and(|lints| lints.split(',').any(|l| l == "unsafe_code"))
    })
}

/// Whether `word` occurs in `line` as a whole identifier (so `unsafe_code` does not count).
fn contains_word(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Numbered lines (from 1) with any `//` comment removed.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| {
        let code = line.find("//").map_or(line, |at| &line[..at]);
        (i + 1, code)
    })
}

/// The directories under `crates/` that hold a `Cargo.toml`, sorted.
fn crate_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let crates = root.join("crates");
    let entries = std::fs::read_dir(&crates)
        .map_err(|e| Error::new(format!("could not list {}: {e}", crates.display())))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error::new(format!("could not list {}: {e}", crates.display())))?
            .path();
        if path.join("Cargo.toml").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// All `.rs` files under `dir` (none if it does not exist), skipping `target` and hidden
/// directories, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::new(format!("could not list {}: {e}", dir.display())))?;
        for entry in entries {
            let path = entry
                .map_err(|e| Error::new(format!("could not list {}: {e}", dir.display())))?
                .path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `path` relative to `root`, for messages.
fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole workspace passes tidy (as rust-analyzer's `tidy.rs` tests do).
    #[test]
    fn tidy() {
        let problems = match check(&util::project_root()) {
            Ok(problems) => problems,
            Err(e) => panic!("tidy could not run: {e}"),
        };
        assert!(
            problems.is_empty(),
            "`cargo xtask tidy` found {} problem(s):\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[test]
    fn reports_each_kind_of_problem() -> std::io::Result<()> {
        let root = std::env::temp_dir().join(format!("xtask-tidy-{}", std::process::id()));
        // A leftover from an aborted run would add unexpected files.
        let _ = std::fs::remove_dir_all(&root);
        let write = |rel: &str, text: &str| -> std::io::Result<()> {
            let path = root.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, text)
        };
        let forbid = "#![forbid(unsafe_code)]\n";
        write("xtask/Cargo.toml", "[package]\nname = \"xtask\"\n")?;
        write(
            "crates/wire/Cargo.toml",
            "[package]\nname = \"ossuary-wire\"\n[dependencies]\nossuary-core.workspace = true\n",
        )?;
        write(
            "crates/wire/src/lib.rs",
            &format!("{forbid}fn f() {{ dbg!(1); }}\n"),
        )?;
        write(
            "crates/crypto/Cargo.toml",
            "[package]\nname = \"ossuary-crypto\"\n",
        )?;
        write(
            "crates/crypto/src/lib.rs",
            &format!("{UNSAFE} fn f() {{}}\n"),
        )?;
        write("crates/crypto/src/a.rs", "use crate::b::B;\n")?;
        write("crates/crypto/src/b.rs", "use crate::a::A;\n")?;
        write(
            "crates/ossuary-ffi/Cargo.toml",
            "[package]\nname = \"ossuary-ffi\"\n[dependencies]\nossuary-core.workspace = true\n",
        )?;
        write(
            "crates/ossuary-ffi/src/lib.rs",
            &format!("{UNSAFE} fn f() {{}}\n"),
        )?;
        write(
            "crates/extra/Cargo.toml",
            "[package]\nname = \"ossuary-extra\"\n",
        )?;
        write("crates/extra/src/main.rs", forbid)?;
        write(
            "crates/testkit/Cargo.toml",
            "[package]\nname = \"ossuary-testkit\"\n[dependencies]\nossuary-wire.workspace = true\n",
        )?;
        write("crates/testkit/src/lib.rs", forbid)?;
        write(
            "crates/handshake/Cargo.toml",
            "[package]\nname = \"ossuary-handshake\"\n[dependencies]\nossuary-testkit.workspace = true\n\
             [dev-dependencies]\nossuary-testkit.workspace = true\n",
        )?;
        write("crates/handshake/src/lib.rs", forbid)?;
        write(
            "crates/core/Cargo.toml",
            "[package]\nname = \"ossuary-core\"\n[dev-dependencies]\n\
             ossuary-core = { path = \".\", features = [\"hazmat\"] }\n\
             ossuary-testkit = { workspace = true, features = [\"core\"] }\n",
        )?;
        write("crates/core/src/lib.rs", forbid)?;
        write(
            "fuzz/Cargo.toml",
            "[package]\nname = \"fuzz\"\n[lints.rust]\nunsafe_code = \"allow\"\n",
        )?;
        write(
            "fuzz/fuzz_targets/ok.rs",
            "#[path = \"../../crates/ossuary-ffi/fuzz_driver/mod.rs\"]\nmod driver;\n\
             #[path = \"../common/mod.rs\"]\nmod common;\n",
        )?;
        write(
            "fuzz/fuzz_targets/bad.rs",
            "// #[path = \"../../crates/crypto/src/lib.rs\"] (a comment)\n\
             #[path = \"../../crates/ossuary-ffi/src/boundary.rs\"]\nmod boundary;\n",
        )?;
        let problems = check(&root);
        std::fs::remove_dir_all(&root)?;
        let problems = match problems {
            Ok(problems) => problems.join("\n"),
            Err(e) => panic!("tidy could not run: {e}"),
        };
        let expected = [
            "crates/wire/Cargo.toml: `ossuary-wire` may not depend on `ossuary-core`".to_owned(),
            "crates/extra/Cargo.toml: crate `ossuary-extra` is not in the dependency table"
                .to_owned(),
            format!("crates/crypto/src/lib.rs:1: `{UNSAFE}` outside crates/ossuary-ffi"),
            "crates/crypto/src/lib.rs: missing `#![forbid(unsafe_code)]`".to_owned(),
            "crates/crypto/src/a.rs:1 and crates/crypto/src/b.rs:1: modules `a` and `b` of \
             `ossuary-crypto` import each other"
                .to_owned(),
            "crates/wire/src/lib.rs:2: `dbg!(` left in".to_owned(),
            "crates/testkit/Cargo.toml: test-only crate `ossuary-testkit` must say `publish = false`"
                .to_owned(),
            "crates/handshake/Cargo.toml: `ossuary-handshake` may not depend on `ossuary-testkit`"
                .to_owned(),
            "crates/core/Cargo.toml: `ossuary-core` dev-depends on itself".to_owned(),
            "crates/core/Cargo.toml: `ossuary-core` turns on features of the test-only \
             `ossuary-testkit`"
                .to_owned(),
            "fuzz/Cargo.toml: `unsafe_code` must be `deny` or `forbid`".to_owned(),
            "fuzz/fuzz_targets/bad.rs:2: `#[path]` to ../../crates/ossuary-ffi/src/boundary.rs"
                .to_owned(),
        ];
        for e in &expected {
            assert!(
                problems.contains(e.as_str()),
                "expected {e:?} in:\n{problems}"
            );
        }
        assert_eq!(problems.lines().count(), expected.len(), "{problems}");
        Ok(())
    }

    #[test]
    fn parses_dependency_forms() {
        let toml = r#"
[package]
name = "ossuary-core" # comment
[dependencies]
ossuary-wire = { workspace = true, features = ["std"] }
ossuary-crypto.workspace = true
renamed = { package = "ossuary-handshake", path = "../h" }
getrandom = "0.4"
[dev-dependencies]
ossuary-ffi = { path = "../ffi" }
ossuary-testkit.workspace = true
ossuary-testkit.features = ["core"]
self = { package = "ossuary-core", path = ".", features = ["hazmat"] }
[dev-dependencies.bench]
package = "ossuary-bench"
[target.'cfg(unix)'.dependencies]
"quoted" = "1"
[build-dependencies.alias]
package = "ossuary-cli"
version = "1"
"#;
        let m = parse_manifest(toml);
        assert_eq!(m.name.as_deref(), Some("ossuary-core"));
        assert_eq!(
            m.deps,
            [
                "ossuary-wire",
                "ossuary-crypto",
                "ossuary-handshake",
                "getrandom",
                "quoted",
                "ossuary-cli"
            ]
        );
        let dev = |name: &str, features| DevDep {
            name: name.to_owned(),
            features,
        };
        assert_eq!(
            m.dev_deps,
            [
                dev("ossuary-ffi", false),
                dev("ossuary-testkit", true),
                dev("ossuary-core", true),
                dev("ossuary-bench", false),
            ]
        );
    }

    #[test]
    fn reads_path_attributes() {
        assert_eq!(path_attribute(r#"#[path = "a/b.rs"]"#), Some("a/b.rs"));
        assert_eq!(path_attribute(r#"  #[path="x.rs"] mod x;"#), Some("x.rs"));
        assert_eq!(path_attribute("#[derive(Debug)]"), None);
        assert_eq!(
            normalize(Path::new("/r/fuzz/fuzz_targets/../../crates/x/./y.rs")),
            PathBuf::from("/r/crates/x/y.rs")
        );
    }

    #[test]
    fn finds_keyword_but_not_lint_name() {
        assert!(contains_word(&format!("{UNSAFE} {{ x }}"), UNSAFE));
        assert!(contains_word(&format!("pub {UNSAFE} fn f()"), UNSAFE));
        assert!(contains_word(&format!("#[{UNSAFE}(no_mangle)]"), UNSAFE));
        assert!(!contains_word("#![forbid(unsafe_code)]", UNSAFE));
        assert!(!forbids_unsafe(
            "#![cfg_attr(not(test), forbid(unsafe_code))]"
        ));
        assert!(forbids_unsafe(
            "//! docs\n#![forbid(unsafe_code, missing_docs)]\n"
        ));
        let commented = format!("let x = 1; // not {UNSAFE}");
        assert!(code_lines(&commented).all(|(_, l)| !contains_word(l, UNSAFE)));
    }
}
