//! The host side of the guest ABI, generated from `guest-sdk/wit/udf.wit`
//! (`wasp:udf@1.0.0`, world `udf`).
//!
//! `Udf` is an instantiated module, `UdfPre` a module whose imports are resolved and
//! that instantiates cheaply; the records (`Column`, `Batch`, `Output`, ...) are in
//! `wasp::udf::types`.

wasmtime::component::bindgen!({
    path: "../guest-sdk/wit/udf.wit",
    world: "udf",
});

pub use wasp::udf::types::{
    Batch, CallError, Column, DecimalType, Determinism, MapType, NullHandling, SqlType, StructField, TypeNode,
};
