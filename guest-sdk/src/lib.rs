//! # wasp-guest
//!
//! The contract between wasp and the WebAssembly modules that extend it: the WIT
//! package `wasp:udf@1.0.0` in `guest-sdk/wit/udf.wit`. A module exports the
//! `functions` world: `describe` lists its functions with their ksqlDB types, and
//! `invoke` evaluates one function over a whole batch, one typed column per argument.
//!
//! The host side binds this package with `wasmtime::component::bindgen!`; the Rust SDK
//! (an attribute that turns a plain function into an entry of `describe`/`invoke`) and
//! the helpers for C, Python and JavaScript build on it.

/// The WIT text of the guest ABI, for tools that embed or check it.
pub const WIT: &str = include_str!("../wit/udf.wit");

/// The WIT package name and version guests target.
pub const PACKAGE: &str = "wasp:udf@1.0.0";

#[cfg(test)]
mod tests {
    #[test]
    fn wit_declares_the_package_and_world() {
        assert!(super::WIT.contains(&format!("package {};", super::PACKAGE)));
        assert!(super::WIT.contains("world functions"));
        assert!(super::WIT.contains("invoke: func(function: string, args: list<column>, rows: u32)"));
    }
}
