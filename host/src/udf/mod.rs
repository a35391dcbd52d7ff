//! Scalar functions: the `ScalarUdf` trait, the registry, and the built-ins.
//!
//! Built-in functions and WebAssembly functions implement the same trait, so the engine
//! cannot tell them apart and each gets every feature the other gets. A function is
//! called once per batch with one Arrow column (or constant) per argument.

pub mod builtins;
pub mod wasm;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use arrow_array::{new_null_array, ArrayRef};
use wasp_sql::DataType;

use crate::columnar::{to_arrow, ColumnBuilder, Operand};

/// Why a function call failed for a whole batch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UdfError {
    /// The function ran and reported an error (bad input it cannot handle).
    #[error("{function}: {message}")]
    Failed { function: String, message: String },
    /// The operation is not supported by this function.
    #[error("operation not supported")]
    Unsupported,
}

/// Errors for single rows: the row's result is NULL and the error goes to the
/// processing log with the row's origin.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RowErrors {
    pub errors: Vec<(usize, String)>,
}

impl RowErrors {
    pub fn push(&mut self, row: usize, message: impl Into<String>) {
        self.errors.push((row, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn clear(&mut self) {
        self.errors.clear();
    }
}

/// The arguments of one batched call. A struct so the interface can grow.
pub struct ScalarArgs<'a> {
    /// One operand per argument: a column `rows` long, or a constant (a one-row array
    /// that stands for every row; read it through [`Operand`]'s typed views, which
    /// handle both).
    pub args: &'a [Operand],
    pub rows: usize,
    /// The static types of the arguments, as bound by the planner. An argument's
    /// Arrow type is `to_arrow` of its static type; with implicit widening that may
    /// be narrower than the function's declared parameter (an INT where BIGINT is
    /// declared), which the typed views (`ints`, `nums`, `decimals`) read either way.
    pub arg_types: &'a [DataType],
    /// The return type `return_type` chose for these argument types.
    pub return_type: &'a DataType,
    /// Where per-row failures go.
    pub errors: &'a mut RowErrors,
}

impl ScalarArgs<'_> {
    /// A builder for the result column.
    pub fn output(&self) -> ColumnBuilder {
        ColumnBuilder::new(self.return_type, self.rows)
    }

    /// An all-NULL result column.
    pub fn null_output(&self) -> ArrayRef {
        new_null_array(&to_arrow(self.return_type), self.rows)
    }
}

/// A scalar SQL function: built-in or WebAssembly, the engine cannot tell.
pub trait ScalarUdf: Send + Sync {
    /// The upper-case SQL name.
    fn name(&self) -> &str;

    /// One line for `SHOW FUNCTIONS` / `DESCRIBE FUNCTION`.
    fn description(&self) -> &str;

    /// The family it belongs to: STRING, NUMERIC, DATE / TIME, ARRAY, MAP, JSON, OTHER.
    fn category(&self) -> &str {
        "OTHER"
    }

    /// Human-readable variants, e.g. `SUBSTRING(str STRING, pos INT, len INT) -> STRING`.
    fn signatures(&self) -> Vec<String>;

    /// The return type for these argument types, or why they do not fit.
    /// Called by the planner; a type error here is reported with the query's position.
    fn return_type(&self, args: &[DataType]) -> Result<DataType, String>;

    /// Computes one output column, `args.rows` long, of Arrow type
    /// `to_arrow(args.return_type)`.
    fn invoke(&self, args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError>;

    /// A per-query instance of the function, bound once when a query compiles its
    /// expressions and called for each of its batches; `None` (the default) shares
    /// `self`. A WebAssembly function returns a binding that owns its guest instance.
    fn bind(&self) -> Option<Arc<dyn ScalarUdf>> {
        None
    }
}

impl fmt::Debug for dyn ScalarUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScalarUdf({})", self.name())
    }
}

/// Every function the engine can call, by upper-case name.
#[derive(Default)]
pub struct FunctionRegistry {
    scalars: RwLock<BTreeMap<String, Arc<dyn ScalarUdf>>>,
}

impl fmt::Debug for FunctionRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionRegistry").field("scalars", &self.names()).finish()
    }
}

impl FunctionRegistry {
    /// A registry holding every built-in function.
    pub fn with_builtins() -> FunctionRegistry {
        let registry = FunctionRegistry::default();
        for f in builtins::all() {
            registry.register(f);
        }
        registry
    }

    /// Adds or replaces a function.
    pub fn register(&self, f: Arc<dyn ScalarUdf>) {
        let mut map = self.scalars.write().unwrap_or_else(|e| e.into_inner());
        map.insert(f.name().to_ascii_uppercase(), f);
    }

    /// Removes a function; queries already running keep the instance they bound.
    pub fn remove(&self, name: &str) -> Option<Arc<dyn ScalarUdf>> {
        let mut map = self.scalars.write().unwrap_or_else(|e| e.into_inner());
        map.remove(&name.to_ascii_uppercase())
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn ScalarUdf>> {
        let map = self.scalars.read().unwrap_or_else(|e| e.into_inner());
        map.get(&name.to_ascii_uppercase()).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        let map = self.scalars.read().unwrap_or_else(|e| e.into_inner());
        map.keys().cloned().collect()
    }

    /// Every function, sorted by name.
    pub fn all(&self) -> Vec<Arc<dyn ScalarUdf>> {
        let map = self.scalars.read().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }
}
