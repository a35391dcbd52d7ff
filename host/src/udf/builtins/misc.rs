//! Functions about NULLs: COALESCE, IFNULL, NULLIF.

use wasp_sql::{DataType, Value};

use super::{coerce, common_of, reject, same, Builtin};
use crate::udf::per_row;

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "COALESCE",
        category: "OTHER",
        description: "The first non-NULL argument, at the common type of all arguments.",
        signatures: &["COALESCE(T, T, ...) -> T"],
        return_type: |args| match common_of(args) {
            Some(t) if !args.is_empty() => Ok(t),
            _ => Err(reject("COALESCE", args, &["COALESCE(T, T, ...) with arguments of one type (numbers widen)"])),
        },
        eval: |args| {
            let t = args.return_type.clone();
            Ok(per_row(args, |row| {
                Ok(row.iter().find(|v| !v.is_null()).map_or(Value::Null, |v| coerce(v.clone(), &t)))
            }))
        },
    },
    Builtin {
        name: "IFNULL",
        category: "OTHER",
        description: "The first argument, or the second if the first is NULL.",
        signatures: &["IFNULL(T, T) -> T"],
        return_type: |args| match (args, common_of(args)) {
            ([_, _], Some(t)) => Ok(t),
            _ => Err(reject("IFNULL", args, &["IFNULL(T, T)"])),
        },
        eval: |args| {
            let t = args.return_type.clone();
            Ok(per_row(args, |row| {
                let v = if row[0].is_null() { &row[1] } else { &row[0] };
                Ok(coerce(v.clone(), &t))
            }))
        },
    },
    Builtin {
        name: "NULLIF",
        category: "OTHER",
        description: "NULL if the two arguments are equal, else the first.",
        signatures: &["NULLIF(T, T) -> T"],
        return_type: |args| match (args, common_of(args)) {
            ([first, _], Some(_)) => {
                Ok(if *first == DataType::Null { common_of(args).unwrap_or(DataType::Null) } else { first.clone() })
            }
            _ => Err(reject("NULLIF", args, &["NULLIF(T, T)"])),
        },
        eval: |args| {
            let t = args.return_type.clone();
            Ok(per_row(args, |row| {
                if row[0].is_null() || same(&row[0], &row[1]) {
                    Ok(Value::Null)
                } else {
                    Ok(coerce(row[0].clone(), &t))
                }
            }))
        },
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;

    #[test]
    fn coalesce() {
        let t = [DataType::Int, DataType::Int, DataType::Int];
        assert_eq!(call_typed("COALESCE", &t, vec![N, Value::Int(2), Value::Int(3)]).0, Value::Int(2));
        assert_eq!(call_typed("COALESCE", &t, vec![N, N, N]).0, N);
        assert_eq!(call("COALESCE", vec![s("a")]), s("a"));
        let t = [DataType::Int, DataType::Double];
        assert_eq!(ret("COALESCE", &t), Ok(DataType::Double));
        assert_eq!(call_typed("COALESCE", &t, vec![Value::Int(1), Value::Double(2.5)]).0, Value::Double(1.0));
        assert_eq!(ret("COALESCE", &[DataType::Null, DataType::String]), Ok(DataType::String));
        let err = ret("COALESCE", &[DataType::String, DataType::Int]).unwrap_err();
        assert!(err.starts_with("function COALESCE does not accept parameters (STRING, INTEGER)"), "{err}");
        assert!(ret("COALESCE", &[]).is_err());
        let a = arr_of(DataType::Int);
        let (v, _) = call_typed("COALESCE", &[a.clone(), a], vec![N, arr(vec![Value::Int(1)])]);
        assert_eq!(v, arr(vec![Value::Int(1)]));
    }

    #[test]
    fn ifnull() {
        let t = [DataType::String, DataType::String];
        assert_eq!(call_typed("IFNULL", &t, vec![N, s("b")]).0, s("b"));
        assert_eq!(call_typed("IFNULL", &t, vec![s("a"), s("b")]).0, s("a"));
        assert_eq!(call_typed("IFNULL", &t, vec![N, N]).0, N);
        let t = [DataType::Int, DataType::BigInt];
        assert_eq!(call_typed("IFNULL", &t, vec![Value::Int(1), Value::BigInt(2)]).0, Value::BigInt(1));
        assert!(ret("IFNULL", &[DataType::Int]).is_err());
        assert!(ret("IFNULL", &[DataType::Int, DataType::Boolean]).is_err());
    }

    #[test]
    fn nullif() {
        assert_eq!(call("NULLIF", vec![Value::Int(1), Value::Int(1)]), N);
        assert_eq!(call("NULLIF", vec![Value::Int(1), Value::Int(2)]), Value::Int(1));
        assert_eq!(call("NULLIF", vec![s("a"), s("b")]), s("a"));
        assert_eq!(call_typed("NULLIF", &[DataType::Int, DataType::Int], vec![Value::Int(1), N]).0, Value::Int(1));
        assert_eq!(ret("NULLIF", &[DataType::Int, DataType::BigInt]), Ok(DataType::Int));
        assert!(ret("NULLIF", &[DataType::Int, DataType::String]).is_err());
    }
}
