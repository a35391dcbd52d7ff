//! The ABI glue, compiled for `wasm32` only: the component's exports, and the
//! conversions between the canonical-ABI types of the bindings and the SDK's own.
//!
//! Every `unsafe` of the SDK is here, in `bindings.rs` (generated) and `rt.rs` (the
//! allocator export and constructor call the bindings need). Converting is cheap:
//! argument buffers are borrowed (the host lowered them straight into vectors the
//! bindings own), and result buffers are moved into the return value, which the
//! canonical ABI hands to the host by pointer.
//!
//! # Regenerating `bindings.rs`
//!
//! The bindings are generated once from `wit/udf.wit`, and the 1.0 WIT never changes.
//! A test (`tests::bindings_match_the_wit`) fails when the WIT text no longer matches
//! the text they were generated from. To regenerate, with `wit-bindgen-cli` 0.57.1:
//!
//! ```text
//! wit-bindgen rust guest-sdk/wit --world udf --format --pub-export-macro \
//!     --runtime-path crate::abi::rt --export-macro-name export \
//!     --default-bindings-module wasp_guest::__private::abi::bindings --out-dir /tmp/gen
//! cp /tmp/gen/udf.rs guest-sdk/src/abi/bindings.rs
//! ```
//!
//! and update [`crate::WIT_DIGEST_OF_BINDINGS`].
// The generated code and the runtime it calls are unsafe by nature.
#![allow(unsafe_code)]

#[rustfmt::skip]
#[allow(clippy::all, unused_unsafe, rust_2018_idioms, missing_docs)]
pub mod bindings;
pub mod rt;

use bindings::wasp::udf::types as wit;

pub use bindings::export;
pub use bindings::exports::wasp::udf::scalar::Guest;
pub use wit::{Batch, CallError, FunctionDef, Output};

use crate::layout::{self, ColumnRef, OwnedColumn};
use crate::registry::Registry;
use crate::types::{self, SqlType, TypeNode};

/// `describe`, in the bindings' types.
pub fn describe(registry: &Registry) -> Vec<FunctionDef> {
    registry.describe().into_iter().map(function_def).collect()
}

/// `call`, in the bindings' types.
pub fn call(registry: &Registry, function: &str, args: Batch) -> Result<Output, CallError> {
    let columns: Vec<ColumnRef<'_>> = args.columns.iter().map(column_ref).collect();
    let batch = layout::Batch { rows: args.rows, args: args.args, columns: &columns };
    match registry.call(function, batch) {
        Ok(output) => Ok(Output {
            columns: output.columns.into_iter().map(column).collect(),
            row_errors: output
                .row_errors
                .into_iter()
                .map(|e| wit::RowError { row: e.row, message: e.message })
                .collect(),
        }),
        Err(layout::CallError::UnknownFunction(m)) => Err(CallError::UnknownFunction(m)),
        Err(layout::CallError::InvalidArguments(m)) => Err(CallError::InvalidArguments(m)),
        Err(layout::CallError::Failed(m)) => Err(CallError::Failed(m)),
    }
}

fn column_ref(c: &wit::Column) -> ColumnRef<'_> {
    ColumnRef {
        len: c.len,
        validity: c.validity.as_deref(),
        values: &c.values,
        offsets: c.offsets.as_deref(),
        children: &c.children,
    }
}

fn column(c: OwnedColumn) -> wit::Column {
    wit::Column { len: c.len, validity: c.validity, values: c.values, offsets: c.offsets, children: c.children }
}

fn function_def(def: types::FunctionDef) -> FunctionDef {
    FunctionDef {
        name: def.name,
        params: def.params.into_iter().map(|p| wit::Param { name: p.name, ty: sql_type(&p.ty) }).collect(),
        variadic: def.variadic,
        returns: sql_type(&def.returns),
        null_handling: match def.null_handling {
            types::NullHandling::NullOnNull => wit::NullHandling::NullOnNull,
            types::NullHandling::CalledOnNull => wit::NullHandling::CalledOnNull,
        },
        determinism: match def.determinism {
            types::Determinism::Deterministic => wit::Determinism::Deterministic,
            types::Determinism::Nondeterministic => wit::Determinism::Nondeterministic,
        },
        description: def.description,
    }
}

fn sql_type(ty: &SqlType) -> wit::SqlType {
    let nodes = ty
        .to_nodes()
        .into_iter()
        .map(|node| match node {
            TypeNode::Boolean => wit::TypeNode::Boolean,
            TypeNode::Int => wit::TypeNode::Int,
            TypeNode::BigInt => wit::TypeNode::Bigint,
            TypeNode::Double => wit::TypeNode::Double,
            TypeNode::Decimal { precision, scale } => wit::TypeNode::Decimal(wit::DecimalType { precision, scale }),
            TypeNode::String => wit::TypeNode::String,
            TypeNode::Bytes => wit::TypeNode::Bytes,
            TypeNode::Timestamp => wit::TypeNode::Timestamp,
            TypeNode::Date => wit::TypeNode::Date,
            TypeNode::Time => wit::TypeNode::Time,
            TypeNode::Array(element) => wit::TypeNode::Array(element),
            TypeNode::Map { key, value } => wit::TypeNode::Map(wit::MapType { key, value }),
            TypeNode::Struct(fields) => {
                wit::TypeNode::Struct(fields.into_iter().map(|(name, ty)| wit::StructField { name, ty }).collect())
            }
        })
        .collect();
    wit::SqlType { nodes }
}
