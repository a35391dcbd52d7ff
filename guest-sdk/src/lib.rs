//! # wasp-guest
//!
//! The guest side of wasp's WebAssembly functions: the WIT package `wasp:udf@1.0.0`
//! ([`WIT`], in `guest-sdk/wit/udf.wit`) and the Rust SDK for writing functions
//! against it.
//!
//! ```
//! wasp_guest::export! {
//!     /// Masks the local part of an e-mail address.
//!     fn mask_email(email: &str) -> String {
//!         match email.split_once('@') {
//!             Some((local, domain)) => format!("{}***@{domain}", &local[..local.len().min(1)]),
//!             None => "***".to_string(),
//!         }
//!     }
//! }
//! # assert_eq!(mask_email("alice@example.com"), "a***@example.com");
//! ```
//!
//! Built for `wasm32-wasip2` as a `cdylib`, that is a component exporting
//! `wasp:udf/scalar@1.0.0`, ready for `CREATE FUNCTION ... AS WASM`.
//!
//! ## Core concepts, in the order a call meets them
//!
//! - [`Batch`]: the arguments of one call, columns in Arrow's physical layout
//!   ([`ColumnRef`]), borrowed from the buffers the host lowered into guest memory.
//! - [`Registry`]: the module's functions; its `describe` and `call` are the two
//!   exports of the `scalar` interface.
//! - [`ScalarFunction`]: one function over whole batches. [`export!`] implements it
//!   for plain Rust functions through [`ArgValue`] and [`ResultValue`].
//! - [`Args`] / [`ArgColumn`]: the argument columns; typed, zero-copy views
//!   ([`StrView`], [`PrimitiveView`], [`BoolView`], [`BytesView`]) check a column
//!   once and then read values straight out of the batch.
//! - Builders ([`StringBuilder`], [`PrimitiveBuilder`], [`BoolBuilder`],
//!   [`BytesBuilder`]) fill the result column in the same layout; an [`Output`]
//!   carries it with the per-row errors ([`RowError`]).
//! - Failures: a per-row error is a `Result::Err` of the plain function (NULL and
//!   the processing log); a [`CallError`] fails the whole batch; a panic traps, and
//!   the host replaces the instance.
//!
//! Everything but the ABI glue (the `abi` module, compiled for `wasm32` only) is plain
//! Rust and unit-tested natively.

mod bitmap;
mod builder;
mod export;
mod function;
mod layout;
mod registry;
mod types;
mod view;

pub use bitmap::{Bitmap, BitmapBuilder};
pub use builder::{BoolBuilder, BytesBuilder, ColumnBuilder, PrimitiveBuilder, StringBuilder};
pub use function::{ArgColumn, ArgValue, Args, Date, ResultValue, ScalarFunction, Time, Timestamp};
pub use layout::{Batch, CallError, ColumnRef, LayoutError, Output, OwnedColumn, RowError};
pub use registry::Registry;
pub use types::{Determinism, FunctionDef, InvalidType, NullHandling, Param, SqlType, TypeNode};
pub use view::{BoolView, BytesView, Native, PrimitiveView, StrView};

/// Makes a plain Rust function a SQL function of the module:
///
/// ```
/// # extern crate wasp_guest as wasp;
/// #[wasp::udf]
/// /// Masks the local part of an e-mail address; no '@' is a per-row error.
/// fn mask_email(email: &str) -> Result<String, &'static str> {
///     let (local, domain) = email.rsplit_once('@').ok_or("no '@'")?;
///     Ok(format!("{}***@{domain}", local.chars().next().unwrap_or('*')))
/// }
///
/// wasp::export!(mask_email);
/// # assert_eq!(udf_registry().describe()[0].signature(), "mask_email(email STRING) RETURNS STRING");
/// ```
///
/// Parameter and return types as for [`export!`]: `&str`, `&[u8]`, `bool`, `i32`,
/// `i64`, `f64`, [`Timestamp`], [`Date`], [`Time`]; `Option<_>` to see or return
/// NULL; `Result<_, E: Display>` for a per-row error. The function stays as
/// written; beside it the attribute defines a struct of the same name that
/// implements [`ScalarFunction`], and `export!(name, ...)` registers those and
/// exports the component.
///
/// The generated code names the SDK `::wasp`, the name a guest gives it with
/// `wasp = { package = "wasp-guest", ... }` in its `Cargo.toml`; under another
/// name say which: `#[udf(crate = "wasp_guest")]`. `#[udf(name = "sql_name")]`
/// registers the function under another SQL name.
pub use wasp_guest_macros::udf;

/// The WIT text of the guest ABI, for tools that embed or check it.
pub const WIT: &str = include_str!("../wit/udf.wit");

/// The WIT package name and version guests target.
pub const PACKAGE: &str = "wasp:udf@1.0.0";

/// The FNV-1a digest of the WIT text `src/abi/bindings.rs` was generated from (see
/// the `abi` module's docs); a test checks it against [`WIT`].
#[doc(hidden)]
pub const WIT_DIGEST_OF_BINDINGS: u64 = 0xa8fb83094887c071;

/// Support for the macros; not a public API.
#[doc(hidden)]
pub mod __private {
    use crate::types::{Determinism, FunctionDef, NullHandling, Param, SqlType};

    #[cfg(target_arch = "wasm32")]
    pub use crate::abi;

    /// The `describe` entry of a plain function: null-on-null unless a parameter is
    /// an `Option`, deterministic, the first doc line as description.
    pub fn plain_def(name: &str, params: Vec<(&str, SqlType, bool)>, returns: SqlType, doc: &[&str]) -> FunctionDef {
        let called_on_null = params.iter().any(|(_, _, nullable)| *nullable);
        FunctionDef {
            name: name.to_string(),
            params: params.into_iter().map(|(name, ty, _)| Param { name: name.to_string(), ty }).collect(),
            variadic: false,
            returns,
            null_handling: if called_on_null { NullHandling::CalledOnNull } else { NullHandling::NullOnNull },
            determinism: Determinism::Deterministic,
            description: doc.first().map(|line| line.trim().to_string()).unwrap_or_default(),
        }
    }
}

/// The ABI glue, for the macros; not a public API.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod abi;

#[cfg(test)]
mod tests;
