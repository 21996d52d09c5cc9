//! The handshake vector files `docs/vectors/handshake-{mutual,anonymous}.json`
//! (`docs/PROTOCOL.md`), read for the seed corpora and the fixed parties.

use serde_json::Value;

use crate::bytes::hex;
use crate::replay::repo_root;

/// The two vector files, by name: `"mutual"` (a client identity, an
/// authenticating server) and `"anonymous"` (an anonymous client, an open
/// server).
pub const NAMES: [&str; 2] = ["mutual", "anonymous"];

/// The messages and records of one handshake vector file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeVectors {
    /// `"mutual"` or `"anonymous"`.
    pub name: &'static str,
    /// Whether this is the mutual file (client identity, authenticating server).
    pub mutual: bool,
    /// CLIENT_HELLO, as sent.
    pub client_hello: Vec<u8>,
    /// SERVER_HELLO, as sent.
    pub server_hello: Vec<u8>,
    /// CLIENT_AUTH, as sent.
    pub client_auth: Vec<u8>,
    /// Every record frame, in file order, with its direction.
    pub records: Vec<Record>,
}

/// One record frame of a vector file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Sent by the client (`"client_to_server"`), else by the server.
    pub from_client: bool,
    /// The whole frame, header included.
    pub frame: Vec<u8>,
}

impl HandshakeVectors {
    /// Reads `docs/vectors/handshake-<name>.json`.
    ///
    /// # Panics
    /// If the file is missing or malformed, or `name` is not one of [`NAMES`].
    pub fn load(name: &str) -> Self {
        let name = NAMES
            .into_iter()
            .find(|n| *n == name)
            .unwrap_or_else(|| panic!("no vector file {name}"));
        let path = repo_root().join(format!("docs/vectors/handshake-{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let field = |v: &Value| hex(v.as_str().expect("a hex string"));
        let records = v["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| Record {
                from_client: r["direction"] == "client_to_server",
                frame: field(&r["frame"]),
            })
            .collect();
        Self {
            name,
            mutual: name == "mutual",
            client_hello: field(&v["messages"]["client_hello"]),
            server_hello: field(&v["messages"]["server_hello"]),
            client_auth: field(&v["messages"]["client_auth"]),
            records,
        }
    }

    /// Both files, mutual first.
    pub fn all() -> [Self; 2] {
        NAMES.map(Self::load)
    }

    /// The record frames one side sent, in order.
    pub fn records_from(&self, client: bool) -> Vec<Vec<u8>> {
        self.records
            .iter()
            .filter(|r| r.from_client == client)
            .map(|r| r.frame.clone())
            .collect()
    }
}
