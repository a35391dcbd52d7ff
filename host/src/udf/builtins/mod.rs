//! The built-in scalar functions, one file per family.
//!
//! Each function is a [`Builtin`]: a name, its documented signatures, a type rule
//! the planner calls, and a batched body over Arrow arrays. Most bodies downcast their
//! operands once and run [`each_row`], returning NULL for NULL input the way ksqlDB's
//! functions do.

mod collections;
mod datetime;
mod json;
mod misc;
mod numeric;
mod string;
mod url;

use std::collections::HashMap;
use std::sync::Arc;

use wasp_sql::DataType;

use arrow_array::ArrayRef;

use crate::columnar::ColumnBuilder;

use super::{ScalarArgs, ScalarUdf, UdfError};

/// A built-in function described by data.
pub struct Builtin {
    pub name: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub signatures: &'static [&'static str],
    pub return_type: fn(&[DataType]) -> Result<DataType, String>,
    pub eval: fn(ScalarArgs<'_>) -> Result<ArrayRef, UdfError>,
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
    fn invoke(&self, args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
        (self.eval)(args)
    }
}

/// Runs `f` once per row with a builder of the return type. `f` appends the row's
/// result to the builder, or appends nothing for NULL; an `Err` makes the row NULL
/// (whatever `f` appended is taken back) and sends the message to the processing log
/// with the row's origin.
///
/// Downcast the operands to typed views (`args.args[0].strs()`) before calling this,
/// so the loop reads native values:
///
/// ```ignore
/// let s = args.args[0].strs();
/// each_row(args, |row, out| {
///     if let Some(v) = s.get(row) { out.push_str(&v.to_uppercase()) }
///     Ok(())
/// })
/// ```
pub fn each_row(
    args: ScalarArgs<'_>,
    mut f: impl FnMut(usize, &mut ColumnBuilder) -> Result<(), String>,
) -> Result<ArrayRef, UdfError> {
    let mut out = args.output();
    for row in 0..args.rows {
        match f(row, &mut out) {
            Ok(()) => {
                if out.len() == row {
                    out.append_null();
                }
            }
            Err(e) => {
                out.truncate(row);
                out.append_null();
                args.errors.push(row, e);
            }
        }
    }
    Ok(out.finish())
}

/// [`each_row`] over the first argument's text: `f` sees each non-NULL string (a NULL
/// argument gives a NULL row without calling it).
pub fn each_str(
    args: ScalarArgs<'_>,
    mut f: impl FnMut(&str, &mut ColumnBuilder) -> Result<(), String>,
) -> Result<ArrayRef, UdfError> {
    let input = args.args[0].strs();
    each_row(args, |row, out| match input.get(row) {
        Some(s) => f(s, out),
        None => Ok(()),
    })
}

/// Every built-in function.
pub fn all() -> Vec<Arc<dyn ScalarUdf>> {
    let mut out: Vec<Arc<dyn ScalarUdf>> = Vec::new();
    let families: [&[Builtin]; 7] = [
        string::FUNCTIONS,
        numeric::FUNCTIONS,
        datetime::FUNCTIONS,
        collections::FUNCTIONS,
        json::FUNCTIONS,
        misc::FUNCTIONS,
        url::FUNCTIONS,
    ];
    for family in families {
        for f in family {
            out.push(Arc::new(Builtin { ..*f }));
        }
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

/// Like [`mismatch`], for generic signatures that `DataType` cannot spell
/// (`ARRAY<T>`, variadic arguments): `valid` lists the documented variants.
pub fn reject(name: &str, args: &[DataType], valid: &[&str]) -> String {
    let given = args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    format!("function {name} does not accept parameters ({given}); valid: {}", valid.join(", "))
}

/// The element type of an `ARRAY<T>` argument (`NULL` counts as an array of anything).
pub fn element_type(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Array(e) => Some((**e).clone()),
        DataType::Null => Some(DataType::Null),
        _ => None,
    }
}

/// The common type of all of `types`, `NULL` for none.
pub fn common_of(types: &[DataType]) -> Option<DataType> {
    types.iter().try_fold(DataType::Null, |acc, t| DataType::common_type(&acc, t))
}

/// Types whose values order (`GREATEST`, `ARRAY_MAX`, `ARRAY_SORT`...).
pub fn is_orderable(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int
            | DataType::BigInt
            | DataType::Double
            | DataType::Decimal { .. }
            | DataType::String
            | DataType::Bytes
            | DataType::Boolean
            | DataType::Timestamp
            | DataType::Date
            | DataType::Time
            | DataType::Null
    )
}

/// A per-batch memo of compiled arguments (regular expressions, date patterns) keyed
/// by their source text, so a pattern that is constant over a batch compiles once.
/// Failures are remembered too, so a bad pattern is reported per row without
/// recompiling it.
pub struct Compiled<T> {
    map: HashMap<String, Result<T, String>>,
    compile: fn(&str) -> Result<T, String>,
}

impl<T> Compiled<T> {
    /// Most batches carry one pattern; a column of distinct patterns stays bounded.
    const MAX_ENTRIES: usize = 256;

    pub fn new(compile: fn(&str) -> Result<T, String>) -> Compiled<T> {
        Compiled { map: HashMap::new(), compile }
    }

    pub fn get(&mut self, key: &str) -> Result<&T, String> {
        if !self.map.contains_key(key) {
            if self.map.len() >= Self::MAX_ENTRIES {
                self.map.clear();
            }
            self.map.insert(key.to_string(), (self.compile)(key));
        }
        match self.map.get(key) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("internal: pattern {key} was not cached")),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Calls a built-in through the `ScalarUdf` trait, the way the engine does.

    use wasp_sql::{DataType, Value};

    use arrow_array::Array;

    use super::all;
    use crate::columnar::{array_of, scalar_of, to_arrow, values_of, Operand};
    use crate::udf::{RowErrors, ScalarArgs, ScalarUdf};

    fn find(name: &str) -> std::sync::Arc<dyn ScalarUdf> {
        all().into_iter().find(|f| f.name() == name).unwrap_or_else(|| panic!("no function {name}"))
    }

    /// Type-checks `types`, then calls `name` once with columns `cols` (all the same
    /// length), each turned into an Arrow array of its type.
    pub fn call_cols(name: &str, types: &[DataType], cols: Vec<Vec<Value>>) -> (Vec<Value>, RowErrors) {
        let f = find(name);
        let ret = f.return_type(types).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rows = cols.first().map_or(1, Vec::len);
        let args: Vec<Operand> = types.iter().zip(&cols).map(|(t, c)| Operand::Array(array_of(t, c))).collect();
        let mut errors = RowErrors::default();
        let out = f
            .invoke(ScalarArgs { args: &args, rows, arg_types: types, return_type: &ret, errors: &mut errors })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.len(), rows, "{name} returned the wrong number of rows");
        assert_eq!(out.data_type(), &to_arrow(&ret), "{name} returned the wrong Arrow type");
        (values_of(&out), errors)
    }

    /// Calls `name` with every argument a constant (a one-row scalar operand) over
    /// `rows` rows, the way the engine passes literals.
    pub fn call_scalars(name: &str, types: &[DataType], args: Vec<Value>, rows: usize) -> (Vec<Value>, RowErrors) {
        let f = find(name);
        let ret = f.return_type(types).unwrap_or_else(|e| panic!("{name}: {e}"));
        let args: Vec<Operand> = types.iter().zip(&args).map(|(t, v)| Operand::Scalar(scalar_of(t, v))).collect();
        let mut errors = RowErrors::default();
        let out = f
            .invoke(ScalarArgs { args: &args, rows, arg_types: types, return_type: &ret, errors: &mut errors })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.len(), rows, "{name} returned the wrong number of rows");
        (values_of(&out), errors)
    }

    /// Calls `name` on one row; the argument types are the values' natural types.
    pub fn call(name: &str, args: Vec<Value>) -> Value {
        let (v, errors) = call_row(name, args);
        assert!(errors.is_empty(), "{name}: unexpected errors {errors:?}");
        v
    }

    /// Calls `name` on one row and returns the result and any per-row error.
    pub fn call_row(name: &str, args: Vec<Value>) -> (Value, RowErrors) {
        let types: Vec<DataType> = args.iter().map(Value::natural_type).collect();
        call_typed(name, &types, args)
    }

    /// Calls `name` on one row with explicit static types.
    pub fn call_typed(name: &str, types: &[DataType], args: Vec<Value>) -> (Value, RowErrors) {
        let cols = if args.is_empty() { Vec::new() } else { args.into_iter().map(|a| vec![a]).collect() };
        let (mut out, errors) = call_cols(name, types, cols);
        (out.remove(0), errors)
    }

    /// The planner's answer for these argument types.
    pub fn ret(name: &str, types: &[DataType]) -> Result<DataType, String> {
        find(name).return_type(types)
    }

    pub fn s(v: &str) -> Value {
        Value::string(v)
    }

    pub fn arr(items: Vec<Value>) -> Value {
        Value::Array(items)
    }

    pub fn strs(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| Value::string(s)).collect())
    }

    pub fn dec(text: &str) -> Value {
        Value::Decimal(wasp_sql::value::Decimal::parse(text).expect("decimal literal"))
    }

    pub fn arr_of(t: DataType) -> DataType {
        DataType::Array(Box::new(t))
    }
}

#[cfg(test)]
mod tests {
    use super::all;

    #[test]
    fn names_are_unique_upper_case_and_documented() {
        let fs = all();
        let mut names: Vec<&str> = fs.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate built-in names");
        for f in &fs {
            assert_eq!(f.name(), f.name().to_ascii_uppercase());
            assert!(!f.description().is_empty(), "{} has no description", f.name());
            assert!(!f.signatures().is_empty(), "{} has no signature", f.name());
        }
    }
}
