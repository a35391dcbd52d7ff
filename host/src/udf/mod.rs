//! Scalar functions: the `ScalarUdf` trait, the registry, and the built-ins.
//!
//! Built-in functions and WebAssembly functions implement the same trait, so the engine
//! cannot tell them apart and each gets every feature the other gets. A function is
//! called once per batch with one column per argument.

pub mod builtins;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use wasp_sql::{DataType, Value};

use crate::batch::Column;

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
    /// One column per argument, each `rows` long.
    pub args: &'a [Column],
    pub rows: usize,
    /// The static types of the arguments, as bound by the planner.
    pub arg_types: &'a [DataType],
    /// The return type `return_type` chose for these argument types.
    pub return_type: &'a DataType,
    /// Where per-row failures go.
    pub errors: &'a mut RowErrors,
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

    /// Computes one output column from the argument columns.
    fn invoke(&self, args: ScalarArgs<'_>) -> Result<Column, UdfError>;
}

impl fmt::Debug for dyn ScalarUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScalarUdf({})", self.name())
    }
}

/// Calls `f` once per row with that row's argument values and collects the results.
/// An `Err` from `f` makes the row NULL and records the message in `args.errors`.
pub fn per_row(args: ScalarArgs<'_>, mut f: impl FnMut(&[Value]) -> Result<Value, String>) -> Column {
    let mut out = Vec::with_capacity(args.rows);
    let mut row: Vec<Value> = Vec::with_capacity(args.args.len());
    for i in 0..args.rows {
        row.clear();
        row.extend(args.args.iter().map(|c| c[i].clone()));
        match f(&row) {
            Ok(v) => out.push(v),
            Err(e) => {
                args.errors.push(i, e);
                out.push(Value::Null);
            }
        }
    }
    out
}

/// Like `per_row`, but returns NULL without calling `f` when any argument is NULL
/// (the usual SQL rule).
pub fn per_row_strict(args: ScalarArgs<'_>, mut f: impl FnMut(&[Value]) -> Result<Value, String>) -> Column {
    per_row(args, |row| if row.iter().any(Value::is_null) { Ok(Value::Null) } else { f(row) })
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
