//! The user's guide's async section (docs/GUIDE.md, section 14) shows the
//! programs of this crate's README word for word. The guide's other Rust
//! blocks run as `ossuary-core`'s doctests, which cannot build these (they
//! need this crate), so the guide marks them `rust,ignore`; they are
//! compiled and run as this crate's README doctests, and this test keeps
//! the two copies identical.

use std::path::Path;

/// The bodies of the code blocks in `text` that open with `fence`.
fn blocks<'a>(text: &'a str, fence: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("an unclosed code block");
        found.push(&body[..end]);
        rest = &body[end + 3..];
    }
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_guides_async_programs_are_the_readmes() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = read(&crate_dir.join("../../docs/GUIDE.md"));
    let readme = read(&crate_dir.join("README.md"));

    let start = guide
        .find("## 14. Async services with tokio")
        .expect("the guide's async section");
    let end = start
        + guide[start..]
            .find("\n## 15.")
            .expect("the section after it");
    let shown = blocks(&guide[start..end], "```rust,ignore\n");
    assert_eq!(shown.len(), 2, "the async section's programs");
    let compiled = blocks(&readme, "```rust\n");
    for program in &shown {
        assert!(
            compiled.contains(program),
            "a program of the guide's section 14 is not in crates/ossuary-tokio/README.md \
             (copy it there, where it is compiled and run):\n{program}"
        );
    }
    // Every other Rust block of the guide runs as ossuary-core's doctests.
    assert_eq!(
        blocks(&guide, "```rust,ignore\n").len(),
        shown.len(),
        "`rust,ignore` outside the async section: such a block is never run"
    );
}
