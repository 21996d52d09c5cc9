//! Writes `ossuary.h` to the path given as the only argument; run by
//! `cargo xtask headers`.
#![allow(missing_docs)]

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: ossuary-ffi-headers <output path>");
        return std::process::ExitCode::from(2);
    };
    match ossuary::generate_headers(std::path::Path::new(&path)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: could not write {}: {e}", path.to_string_lossy());
            std::process::ExitCode::FAILURE
        }
    }
}
