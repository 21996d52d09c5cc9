//! Known-answer vectors of the whole protocol (PROTOCOL.md §15):
//! `docs/vectors/handshake-mutual.json` and `docs/vectors/handshake-anonymous.json`.
//!
//! For each file the test
//!
//! 1. runs the handshake from fixed inputs through the `ossuary-handshake`
//!    state machines, with a [`KeyLog`] on both sides, and again through two
//!    [`Connection`]s fed the same bytes as fixed entropy; both runs must give
//!    the same three messages;
//! 2. exchanges records between the two connections (DATA both ways, an empty
//!    DATA, a client KEY_UPDATE, DATA under the client's generation 1, CLOSE
//!    from each side) and captures every frame and the record keys;
//! 3. writes the JSON text (field order as in PROTOCOL.md §15.2) and checks it
//!    independently of the state machines: public keys, message layouts, every
//!    transcript hash, the key schedule, both handshake ciphertexts, both
//!    signatures and every record are recomputed from `inputs` and the message
//!    bytes with `ossuary-crypto` primitives only;
//! 4. with `OSSUARY_BLESS=1` writes the files; otherwise requires the
//!    committed files to be identical, byte for byte, and prints the
//!    differing lines if not.
//!
//! Files: `inputs.rs` (fixed inputs and the record script), `generate.rs`
//! (steps 1 and 2, and the text), `json.rs` (the JSON writer), `check.rs`
//! (step 3); this file compares or blesses (step 4). Needs the `hazmat`
//! feature (fixed randomness, key logs).

mod check;
mod check_continuation;
#[path = "../common/mod.rs"]
mod common;
mod continuation;
mod generate;
mod inputs;
mod json;
mod must_reject;

use std::cell::Cell;
use std::path::PathBuf;

use check::{FIELDS, check_vectors};
use generate::generate;
use inputs::{ANONYMOUS, Inputs, MUTUAL};
use serde_json::Value;

// ---- compare or bless ----

fn vector_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/vectors")
        .join(file)
}

/// A line-by-line account of how `committed` differs from `generated`.
fn describe_difference(file: &str, committed: &str, generated: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) =
        (committed.lines().collect(), generated.lines().collect());
    let mut msg = format!(
        "docs/vectors/{file} does not match what the implementation produces \
         (- file, + implementation):\n"
    );
    let mut shown = 0;
    for i in 0..old.len().max(new.len()) {
        let (a, b) = (old.get(i), new.get(i));
        if a != b {
            shown += 1;
            if shown <= 20 {
                msg.push_str(&format!("  line {}:\n", i + 1));
                msg.push_str(&format!("  - {}\n", a.map_or("<none>", |s| s.trim())));
                msg.push_str(&format!("  + {}\n", b.map_or("<none>", |s| s.trim())));
            }
        }
    }
    if shown > 20 {
        msg.push_str(&format!("  ... and {} more differing lines\n", shown - 20));
    }
    if shown == 0 {
        msg.push_str("  (only line endings or the final newline differ)\n");
    }
    msg.push_str(
        "If the change is intended (and PROTOCOL.md agrees), regenerate with \
         `OSSUARY_BLESS=1 cargo test -p ossuary-core --test vectors`.",
    );
    msg
}

fn run(inputs: &Inputs) {
    let text = generate(inputs);
    let parsed: Value = serde_json::from_str(&text).expect("generated JSON parses");
    check_vectors(&parsed);
    compare_or_bless(inputs.file, &text);
}

/// With `OSSUARY_BLESS=1` writes `text` to `docs/vectors/{file}`; otherwise
/// requires the committed file to be `text`, byte for byte.
fn compare_or_bless(file: &str, text: &str) {
    let path = vector_path(file);
    if std::env::var_os("OSSUARY_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with `OSSUARY_BLESS=1 cargo test -p ossuary-core --test vectors`",
            path.display()
        )
    });
    assert!(
        committed == text,
        "{}",
        describe_difference(file, &committed, text)
    );
}

#[test]
fn mutual() {
    run(&MUTUAL);
}

#[test]
fn anonymous() {
    run(&ANONYMOUS);
}

/// The mutual session continued: a server KEY_UPDATE, DATA under `s_key_1`,
/// a tampered record and the sealed RESETs it causes (PROTOCOL.md §15.4).
#[test]
fn server_key_update_and_reset() {
    let text = continuation::generate();
    let parsed: Value = serde_json::from_str(&text).expect("generated JSON parses");
    let session = continuation::SESSION;
    let base: Value = serde_json::from_str(&generate(session)).unwrap();
    check_vectors(&base);
    check_continuation::check_continuation(&parsed, &base, session.file);
    compare_or_bless(continuation::FILE, &text);
}

/// Every input of `docs/vectors/must-reject.json`, fed to a `Connection` in
/// the state it names, is refused with the error and the plaintext RESET the
/// file gives (PROTOCOL.md §15.5).
#[test]
fn must_reject() {
    must_reject::check_file(&vector_path(must_reject::FILE));
}

/// The checker itself rejects a file with any one value altered (one bit of a
/// byte string, a record's type, generation or counter), so a file that
/// passes it is self-consistent, not just a snapshot.
#[test]
fn checker_rejects_altered_values() {
    // The expected panics inside the checker stay quiet; all others are shown.
    thread_local!(static QUIET: Cell<bool> = const { Cell::new(false) });
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(Cell::get) {
            previous(info);
        }
    }));
    let text = generate(&MUTUAL);
    let original: Value = serde_json::from_str(&text).unwrap();
    let mut paths: Vec<String> = FIELDS
        .iter()
        .flat_map(|(o, fs)| fs.iter().map(move |f| format!("{o}.{f}")))
        .collect();
    let records = original["records"].as_array().unwrap().len();
    for i in 0..records {
        for field in ["type", "key_generation", "counter", "plaintext", "frame"] {
            paths.push(format!("records.{i}.{field}"));
        }
    }
    for path in paths {
        let mut altered = original.clone();
        let slot = path
            .split('.')
            .fold(&mut altered, |v, k| match k.parse::<usize>() {
                Ok(i) => &mut v[i],
                Err(_) => &mut v[k],
            });
        *slot = match &*slot {
            // A number one more, another record type.
            Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
            // An empty plaintext gets a byte.
            Value::String(s) if s.is_empty() => Value::from("00"),
            Value::String(s) if s == "KEY_UPDATE" => Value::from("CLOSE"),
            Value::String(s) if s == "DATA" || s == "CLOSE" => Value::from("KEY_UPDATE"),
            // The ML-KEM seed is d || z, and z enters only implicit
            // rejection, which an honest handshake never reaches: flip a bit
            // of d, which every later value depends on.
            Value::String(s) if path == "inputs.client_kem_seed" => {
                let first = u8::from_str_radix(&s[..1], 16).unwrap() ^ 1;
                Value::from(format!("{first:x}{}", &s[1..]))
            }
            // Flip the low bit of the last hex digit.
            Value::String(s) => {
                let last = u8::from_str_radix(&s[s.len() - 1..], 16).unwrap() ^ 1;
                Value::from(format!("{}{last:x}", &s[..s.len() - 1]))
            }
            other => panic!("{path}: unexpected {other}"),
        };
        QUIET.with(|q| q.set(true));
        let result = std::panic::catch_unwind(|| check_vectors(&altered));
        QUIET.with(|q| q.set(false));
        assert!(result.is_err(), "altering {path} went unnoticed");
    }
}
