//! The in-memory format: Apache Arrow arrays.
//!
//! - [`types`]: SQL types as Arrow types and back.
//! - [`builder`]: [`ColumnBuilder`], a column under construction (decoders append to it).
//! - [`operand`]: [`Operand`], a column or a constant, with typed views.
//! - [`values`]: `Value` to arrays and back, for literals and results shown to clients.

pub mod builder;
pub mod operand;
pub mod types;
pub mod values;

pub use builder::ColumnBuilder;
pub use operand::Operand;
pub use types::{from_arrow, to_arrow};
pub use values::{array_of, scalar_of, value_at, values_of};
