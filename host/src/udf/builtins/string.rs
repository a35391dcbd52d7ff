//! String functions.

use wasp_sql::{DataType, Value};

use super::{check_args, Builtin};
use crate::udf::per_row_strict;

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "UCASE",
        category: "STRING",
        description: "Converts a string to upper case.",
        signatures: &["UCASE(input STRING) -> STRING"],
        return_type: |args| check_args("UCASE", args, &[DataType::String]).map(|_| DataType::String),
        eval: |args| {
            Ok(per_row_strict(args, |row| Ok(Value::string(&row[0].as_str().unwrap_or_default().to_uppercase()))))
        },
    },
    Builtin {
        name: "LCASE",
        category: "STRING",
        description: "Converts a string to lower case.",
        signatures: &["LCASE(input STRING) -> STRING"],
        return_type: |args| check_args("LCASE", args, &[DataType::String]).map(|_| DataType::String),
        eval: |args| {
            Ok(per_row_strict(args, |row| Ok(Value::string(&row[0].as_str().unwrap_or_default().to_lowercase()))))
        },
    },
];
