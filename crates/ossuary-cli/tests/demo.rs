//! `ossuary demo`, the README's first command, prints what it did and the
//! throughput, and ends cleanly.

mod common;

use common::Home;

#[test]
fn the_demo_runs_and_reports_throughput() {
    let home = Home::new();
    let out = home.ok(&["demo", "--mib", "2"]);
    for text in [
        "server key   SHA256:",
        "client key   SHA256:",
        "handshake    ",
        "key exchange post-quantum (X25519 + ML-KEM-768); identities Ed25519",
        "\"hello, server\" echoed intact",
        "bulk         2 MiB sent and echoed back intact in ",
        "MiB/s each way",
        "close        both authenticated CLOSEs exchanged",
    ] {
        assert!(out.contains(text), "{text:?} not in:\n{out}");
    }
    assert!(
        !home.join(".ossuary").exists(),
        "throwaway keys: nothing written"
    );
}
