// The Node-API symbols (napi_*) are provided by the node executable that loads the addon, not by
// a library we link against. Linux and the BSDs accept undefined symbols in a shared library by
// default; macOS needs to be told to resolve them when the library is loaded.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
    }
}
