//! WebAssembly functions: modules deployed with `CREATE FUNCTION ... AS WASM`, run
//! sandboxed, called like the built-ins through [`ScalarUdf`](super::ScalarUdf).

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
