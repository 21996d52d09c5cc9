//! JSON text with a fixed key order (PROTOCOL.md §15.2), written as
//! serde_json's pretty printer would.

use super::inputs::to_hex;

pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(u64),
    String(String),
    Object(Vec<(&'static str, Json)>),
    Array(Vec<Json>),
}

pub(crate) fn hex(bytes: &[u8]) -> Json {
    Json::String(to_hex(bytes))
}

pub(crate) fn opt_hex(bytes: Option<&[u8]>) -> Json {
    bytes.map_or(Json::Null, hex)
}

/// Writes `value` as serde_json's pretty printer would (two-space indent).
pub(crate) fn write_json(value: &Json, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        // Only hex and fixed ASCII names: nothing needs escaping.
        Json::String(s) => {
            assert!(
                s.bytes()
                    .all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\\')
            );
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Json::Object(fields) => {
            out.push_str("{\n");
            for (i, (name, v)) in fields.iter().enumerate() {
                out.push_str(&format!("{}\"{name}\": ", pad(indent + 1)));
                write_json(v, indent + 1, out);
                out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{}}}", pad(indent)));
        }
        Json::Array(items) => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write_json(v, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{}]", pad(indent)));
        }
    }
}
