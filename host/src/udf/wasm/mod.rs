//! WebAssembly functions: modules deployed with `CREATE FUNCTION ... AS WASM`, run
//! sandboxed, called like the built-ins through [`ScalarUdf`](super::ScalarUdf).
//!
//! In the order a function meets them:
//!
//! - [`module`]: [`WasmModule::load`] tells a component of `wasp:udf@1.0.0` from a
//!   plain core module, compiles it (once per SHA-256 digest), refuses imports the
//!   sandbox does not provide, and asks a component to `describe` its functions.
//! - [`function::resolve`]: checks a declared signature against the description (or
//!   a core module's export types) and yields the SQL functions, each a
//!   [`WasmFunction`] in the registry.
//! - [`ScalarUdf::bind`](super::ScalarUdf::bind): each query binds each function once;
//!   the binding owns its instance and store, takes a replaced module at a batch
//!   boundary, and turns traps into row errors by bisecting the batch.
//! - [`lower`] and [`lift`]: Arrow arrays to the ABI's columns and back, one bulk copy
//!   per buffer, every guest-provided length and offset validated.
//! - [`sandbox`]: the shared wasmtime engine and epoch ticker, per-store memory limits
//!   and deadlines, deterministic WASI stand-ins.
//! - [`stats`]: lock-free counters and latency histogram for `DESCRIBE FUNCTION`.
//!
//! ```text
//! batch (Arrow) --lower--> wit columns --call(function, batch)--> guest
//!        guest --result<output, call-error>--> lift --> Arrow array + row errors
//!        trap / timeout / out of memory --> new instance, split the batch, retry halves
//! ```

mod bindings;
pub mod function;
pub mod lift;
pub mod lower;
pub mod module;
pub mod sandbox;
pub mod stats;
pub mod types;

pub use function::{resolve, Declared, Resolved, WasmFunction};
pub use module::{Language, WasmModule};
pub use sandbox::Limits;

#[cfg(test)]
pub(crate) mod tests;
