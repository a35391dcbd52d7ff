//! The built-in scalar functions, one file per family.
//!
//! Each function is a [`Builtin`]: a name, its documented signatures, a type rule
//! the planner calls, and a batched body. Most bodies use [`per_row_strict`], which
//! returns NULL for NULL input the way ksqlDB's functions do.

mod string;

use std::sync::Arc;

use wasp_sql::DataType;

use super::{per_row_strict, ScalarArgs, ScalarUdf, UdfError};
use crate::batch::Column;

/// A built-in function described by data.
pub struct Builtin {
    pub name: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub signatures: &'static [&'static str],
    pub return_type: fn(&[DataType]) -> Result<DataType, String>,
    pub eval: fn(ScalarArgs<'_>) -> Result<Column, UdfError>,
}

impl ScalarUdf for Builtin {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        self.description
    }
    fn category(&self) -> &str {
        self.category
    }
    fn signatures(&self) -> Vec<String> {
        self.signatures.iter().map(|s| s.to_string()).collect()
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType, String> {
        (self.return_type)(args)
    }
    fn invoke(&self, args: ScalarArgs<'_>) -> Result<Column, UdfError> {
        (self.eval)(args)
    }
}

/// Every built-in function.
pub fn all() -> Vec<Arc<dyn ScalarUdf>> {
    let mut out: Vec<Arc<dyn ScalarUdf>> = Vec::new();
    for f in string::FUNCTIONS {
        out.push(Arc::new(Builtin { ..*f }));
    }
    out
}

/// Checks that `args` match `expected` exactly in count and (with widening) in type;
/// the error names the function, the expected and the actual types.
pub fn check_args(name: &str, args: &[DataType], expected: &[DataType]) -> Result<(), String> {
    let fits = args.len() == expected.len() && args.iter().zip(expected).all(|(a, e)| a.widens_to(e));
    if fits {
        Ok(())
    } else {
        Err(mismatch(name, args, &[expected]))
    }
}

/// Picks the first of `variants` the arguments fit.
pub fn check_variants(name: &str, args: &[DataType], variants: &[&[DataType]]) -> Result<usize, String> {
    variants
        .iter()
        .position(|v| v.len() == args.len() && args.iter().zip(v.iter()).all(|(a, e)| a.widens_to(e)))
        .ok_or_else(|| mismatch(name, args, variants))
}

/// "Function FOO does not accept parameters (INTEGER). Valid: FOO(STRING)".
pub fn mismatch(name: &str, args: &[DataType], variants: &[&[DataType]]) -> String {
    let list = |ts: &[DataType]| ts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let valid = variants.iter().map(|v| format!("{name}({})", list(v))).collect::<Vec<_>>().join(", ");
    format!("function {name} does not accept parameters ({}); valid: {valid}", list(args))
}

#[allow(dead_code, reason = "used by the function families as they are added")]
fn strict(args: ScalarArgs<'_>, f: impl FnMut(&[wasp_sql::Value]) -> Result<wasp_sql::Value, String>) -> Column {
    per_row_strict(args, f)
}
