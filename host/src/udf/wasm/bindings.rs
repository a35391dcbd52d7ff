//! The host side of the guest ABI, generated from `guest-sdk/wit/udf.wit`
//! (`wasp:udf@1.0.0`, world `udf`).
//!
//! `Udf` is an instantiated module, `UdfPre` a module whose imports are resolved and
//! that instantiates cheaply; the records (`ColumnParam` and `ColumnResult`, `Batch`, `Output`, ...) are in
//! `wasp::udf::types`.

wasmtime::component::bindgen!({
    path: "../guest-sdk/wit/udf.wit",
    world: "udf",
    // Arguments are lowered from borrowed buffers (`ColumnParam<'a>` holds `&[u8]`),
    // so the host copies an argument's bytes once, into the guest's memory.
    ownership: Borrowing { duplicate_if_necessary: true },
});

pub use wasp::udf::types::{
    Batch, CallError, ColumnParam, ColumnResult, DecimalType, Determinism, MapType, NullHandling, SqlType, StructField,
    TypeNode,
};
