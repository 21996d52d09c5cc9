//! Gives the shared library its soname, `libossuary.so.<major>`, so that
//! programs linked against it load a compatible version (STYLE rule 23,
//! issue 11). Rust's own version script for a `cdylib` already exports only
//! the `#[no_mangle]` functions, all named `ossuary_*`; `tests/exports.rs`
//! checks both with `readelf -d` and `nm -D --defined-only`.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "android" || target_os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libossuary.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
