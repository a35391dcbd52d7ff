//! Array and map functions. They are generic: the return type follows the element
//! types of the arguments (`ARRAY_MAX(ARRAY<BIGINT>)` is a `BIGINT`), and arrays of
//! different numeric element types combine at their common type.
//!
//! Elements compare with SQL equality, except that `NULL` equals `NULL`, as in ksqlDB.

use std::cmp::Ordering;

use wasp_sql::{DataType, StructField, Value};

use super::{coerce, element_type, int, is_orderable, reject, same, text, Builtin};
use crate::udf::{per_row, per_row_strict};

const S: DataType = DataType::String;

fn array(t: DataType) -> DataType {
    DataType::Array(Box::new(t))
}

/// The key and value types of a `MAP` argument (`NULL` is a map of anything).
fn map_types(t: &DataType) -> Option<(DataType, DataType)> {
    match t {
        DataType::Map(k, v) => Some(((**k).clone(), (**v).clone())),
        DataType::Null => Some((S, DataType::Null)),
        _ => None,
    }
}

/// Two arrays, combined at the common element type.
fn two_arrays(name: &str, args: &[DataType]) -> Result<DataType, String> {
    let fail = || reject(name, args, &[&format!("{name}(ARRAY<T>, ARRAY<T>)")]);
    match args {
        [a, b] => {
            let (x, y) = (element_type(a).ok_or_else(fail)?, element_type(b).ok_or_else(fail)?);
            DataType::common_type(&x, &y).map(array).ok_or_else(fail)
        }
        _ => Err(fail()),
    }
}

/// An array and a value of its element type.
fn array_and_element(name: &str, args: &[DataType]) -> Result<DataType, String> {
    let fail = || reject(name, args, &[&format!("{name}(ARRAY<T>, T)")]);
    match args {
        [a, v] => {
            let e = element_type(a).ok_or_else(fail)?;
            DataType::common_type(&e, v).ok_or_else(fail)
        }
        _ => Err(fail()),
    }
}

fn one_array(name: &str, args: &[DataType], orderable: bool) -> Result<DataType, String> {
    match args {
        [a] => match element_type(a) {
            Some(e) if !orderable || is_orderable(&e) => Ok(e),
            _ => Err(reject(name, args, &[&format!("{name}(ARRAY<T>)")])),
        },
        _ => Err(reject(name, args, &[&format!("{name}(ARRAY<T>)")])),
    }
}

fn items(v: &Value) -> Result<&[Value], String> {
    match v {
        Value::Array(items) => Ok(items),
        other => Err(format!("expected an ARRAY, got {other:?}")),
    }
}

fn entries(v: &Value) -> Result<&[(Value, Value)], String> {
    match v {
        Value::Map(entries) => Ok(entries),
        other => Err(format!("expected a MAP, got {other:?}")),
    }
}

fn contains(items: &[Value], v: &Value) -> bool {
    items.iter().any(|i| same(i, v))
}

/// The distinct elements of `items`, first occurrences first, coerced to `t`.
fn distinct<'a>(items: impl IntoIterator<Item = &'a Value>, t: &DataType) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in items {
        let v = coerce(v.clone(), t);
        if !contains(&out, &v) {
            out.push(v);
        }
    }
    out
}

/// SQL order with NULLs after everything else.
fn nulls_last(a: &Value, b: &Value, descending: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = a.sql_cmp(b).unwrap_or(Ordering::Equal);
            if descending {
                o.reverse()
            } else {
                o
            }
        }
    }
}

fn extreme(row: &[Value], t: &DataType, want: Ordering) -> Result<Value, String> {
    let mut best: Option<&Value> = None;
    for v in items(&row[0])?.iter().filter(|v| !v.is_null()) {
        best = match best {
            Some(b) if v.sql_cmp(b) != Some(want) => Some(b),
            _ => Some(v),
        };
    }
    Ok(best.map_or(Value::Null, |v| coerce(v.clone(), t)))
}

fn join_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Double(d) => wasp_sql::value::format_double(*d),
        other => other.to_string(),
    }
}

fn is_primitive(t: &DataType) -> bool {
    !matches!(t, DataType::Array(_) | DataType::Map(..) | DataType::Struct(_))
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "ARRAY_LENGTH",
        category: "ARRAY",
        description: "The number of elements of an array.",
        signatures: &["ARRAY_LENGTH(ARRAY<T>) -> INT"],
        return_type: |args| one_array("ARRAY_LENGTH", args, false).map(|_| DataType::Int),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                Ok(Value::Int(i32::try_from(items(&row[0])?.len()).map_err(|_| "array too long")?))
            }))
        },
    },
    Builtin {
        name: "ARRAY_CONTAINS",
        category: "ARRAY",
        description: "Whether an array contains a value (NULL finds NULL elements); false for a NULL array.",
        signatures: &["ARRAY_CONTAINS(ARRAY<T>, T) -> BOOLEAN"],
        return_type: |args| array_and_element("ARRAY_CONTAINS", args).map(|_| DataType::Boolean),
        eval: |args| {
            Ok(per_row(args, |row| match &row[0] {
                Value::Null => Ok(Value::Boolean(false)),
                a => Ok(Value::Boolean(contains(items(a)?, &row[1]))),
            }))
        },
    },
    Builtin {
        name: "ARRAY_DISTINCT",
        category: "ARRAY",
        description: "The distinct elements of an array, in order of first occurrence.",
        signatures: &["ARRAY_DISTINCT(ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| one_array("ARRAY_DISTINCT", args, false).map(array),
        eval: |args| {
            let t = element_type(args.return_type).unwrap_or(DataType::Null);
            Ok(per_row_strict(args, |row| Ok(Value::Array(distinct(items(&row[0])?, &t)))))
        },
    },
    Builtin {
        name: "ARRAY_EXCEPT",
        category: "ARRAY",
        description: "The distinct elements of the first array that are not in the second.",
        signatures: &["ARRAY_EXCEPT(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_EXCEPT", args),
        eval: |args| {
            let t = element_type(args.return_type).unwrap_or(DataType::Null);
            Ok(per_row_strict(args, |row| {
                let right = items(&row[1])?;
                Ok(Value::Array(distinct(items(&row[0])?.iter().filter(|v| !contains(right, v)), &t)))
            }))
        },
    },
    Builtin {
        name: "ARRAY_INTERSECT",
        category: "ARRAY",
        description: "The distinct elements that are in both arrays.",
        signatures: &["ARRAY_INTERSECT(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_INTERSECT", args),
        eval: |args| {
            let t = element_type(args.return_type).unwrap_or(DataType::Null);
            Ok(per_row_strict(args, |row| {
                let right = items(&row[1])?;
                Ok(Value::Array(distinct(items(&row[0])?.iter().filter(|v| contains(right, v)), &t)))
            }))
        },
    },
    Builtin {
        name: "ARRAY_UNION",
        category: "ARRAY",
        description: "The distinct elements that are in either array.",
        signatures: &["ARRAY_UNION(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_UNION", args),
        eval: |args| {
            let t = element_type(args.return_type).unwrap_or(DataType::Null);
            Ok(per_row_strict(args, |row| {
                Ok(Value::Array(distinct(items(&row[0])?.iter().chain(items(&row[1])?), &t)))
            }))
        },
    },
    Builtin {
        name: "ARRAY_CONCAT",
        category: "ARRAY",
        description: "The elements of both arrays, duplicates kept; a NULL array counts as empty unless both are NULL.",
        signatures: &["ARRAY_CONCAT(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_CONCAT", args),
        eval: |args| {
            let t = element_type(args.return_type).unwrap_or(DataType::Null);
            Ok(per_row(args, |row| {
                if row[0].is_null() && row[1].is_null() {
                    return Ok(Value::Null);
                }
                let mut out = Vec::new();
                for a in row.iter().filter(|a| !a.is_null()) {
                    out.extend(items(a)?.iter().map(|v| coerce(v.clone(), &t)));
                }
                Ok(Value::Array(out))
            }))
        },
    },
    Builtin {
        name: "ARRAY_JOIN",
        category: "ARRAY",
        description: "The elements of an array of primitive values as text, joined by a delimiter (default ',').",
        signatures: &["ARRAY_JOIN(ARRAY<T>) -> STRING", "ARRAY_JOIN(ARRAY<T>, delimiter STRING) -> STRING"],
        return_type: |args| {
            let valid = || reject("ARRAY_JOIN", args, &["ARRAY_JOIN(ARRAY<T>)", "ARRAY_JOIN(ARRAY<T>, STRING)"]);
            let elem = args.first().and_then(element_type).ok_or_else(valid)?;
            let delim_ok = args.len() == 1 || (args.len() == 2 && args[1].widens_to(&S));
            if is_primitive(&elem) && delim_ok {
                Ok(S)
            } else {
                Err(valid())
            }
        },
        eval: |args| {
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Null);
                }
                let delim = match row.get(1) {
                    None => ",",
                    Some(Value::Null) => "",
                    Some(d) => text(d)?,
                };
                let parts: Vec<String> = items(&row[0])?.iter().map(join_text).collect();
                Ok(Value::string(&parts.join(delim)))
            }))
        },
    },
    Builtin {
        name: "ARRAY_MAX",
        category: "ARRAY",
        description: "The largest non-NULL element of an array.",
        signatures: &["ARRAY_MAX(ARRAY<T>) -> T"],
        return_type: |args| one_array("ARRAY_MAX", args, true),
        eval: |args| {
            let t = args.return_type.clone();
            Ok(per_row_strict(args, |row| extreme(row, &t, Ordering::Greater)))
        },
    },
    Builtin {
        name: "ARRAY_MIN",
        category: "ARRAY",
        description: "The smallest non-NULL element of an array.",
        signatures: &["ARRAY_MIN(ARRAY<T>) -> T"],
        return_type: |args| one_array("ARRAY_MIN", args, true),
        eval: |args| {
            let t = args.return_type.clone();
            Ok(per_row_strict(args, |row| extreme(row, &t, Ordering::Less)))
        },
    },
    Builtin {
        name: "ARRAY_REMOVE",
        category: "ARRAY",
        description: "The array without the elements equal to a value (NULL removes NULLs).",
        signatures: &["ARRAY_REMOVE(ARRAY<T>, T) -> ARRAY<T>"],
        return_type: |args| array_and_element("ARRAY_REMOVE", args).map(array),
        eval: |args| {
            let t = element_type(args.return_type).unwrap_or(DataType::Null);
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Null);
                }
                Ok(Value::Array(
                    items(&row[0])?.iter().filter(|v| !same(v, &row[1])).map(|v| coerce(v.clone(), &t)).collect(),
                ))
            }))
        },
    },
    Builtin {
        name: "ARRAY_SORT",
        category: "ARRAY",
        description: "The array sorted 'ASC' (default) or 'DESC', NULLs last; NULL for another direction.",
        signatures: &["ARRAY_SORT(ARRAY<T>) -> ARRAY<T>", "ARRAY_SORT(ARRAY<T>, direction STRING) -> ARRAY<T>"],
        return_type: |args| {
            let valid = || reject("ARRAY_SORT", args, &["ARRAY_SORT(ARRAY<T>)", "ARRAY_SORT(ARRAY<T>, STRING)"]);
            let elem = args.first().and_then(element_type).ok_or_else(valid)?;
            let dir_ok = args.len() == 1 || (args.len() == 2 && args[1].widens_to(&S));
            if is_orderable(&elem) && dir_ok {
                Ok(array(elem))
            } else {
                Err(valid())
            }
        },
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                let descending = match row.get(1).map(text).transpose()? {
                    None => false,
                    Some(d) if d.eq_ignore_ascii_case("ASC") => false,
                    Some(d) if d.eq_ignore_ascii_case("DESC") => true,
                    Some(_) => return Ok(Value::Null),
                };
                let mut out = items(&row[0])?.to_vec();
                out.sort_by(|a, b| nulls_last(a, b, descending));
                Ok(Value::Array(out))
            }))
        },
    },
    Builtin {
        name: "SLICE",
        category: "ARRAY",
        description: "The elements from 1-based position `from` to `to`, inclusive; NULL bounds mean the ends; NULL when out of range.",
        signatures: &["SLICE(ARRAY<T>, from INT, to INT) -> ARRAY<T>"],
        return_type: |args| match args {
            [a, f, t] if element_type(a).is_some() && f.widens_to(&DataType::Int) && t.widens_to(&DataType::Int) => {
                Ok(array(element_type(a).unwrap_or(DataType::Null)))
            }
            _ => Err(reject("SLICE", args, &["SLICE(ARRAY<T>, INT, INT)"])),
        },
        eval: |args| {
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Null);
                }
                let list = items(&row[0])?;
                let start = if row[1].is_null() { 0 } else { int(&row[1])? - 1 };
                let end = if row[2].is_null() { list.len() as i64 } else { int(&row[2])? };
                if start < 0 || end > list.len() as i64 || start > end {
                    return Ok(Value::Null);
                }
                Ok(Value::Array(list[start as usize..end as usize].to_vec()))
            }))
        },
    },
    Builtin {
        name: "ENTRIES",
        category: "MAP",
        description: "The entries of a map as an array of STRUCT<K, V>, sorted by key if asked.",
        signatures: &["ENTRIES(MAP<STRING, T>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V T>>"],
        return_type: |args| match args {
            [m, b] if b.widens_to(&DataType::Boolean) => match map_types(m) {
                Some((k, v)) if k.widens_to(&S) => Ok(array(DataType::Struct(vec![
                    StructField { name: "K".into(), data_type: S },
                    StructField { name: "V".into(), data_type: v },
                ]))),
                _ => Err(reject("ENTRIES", args, &["ENTRIES(MAP<STRING, T>, BOOLEAN)"])),
            },
            _ => Err(reject("ENTRIES", args, &["ENTRIES(MAP<STRING, T>, BOOLEAN)"])),
        },
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                let mut out: Vec<(Value, Value)> = entries(&row[0])?.to_vec();
                if row[1].as_bool() == Some(true) {
                    out.sort_by(|a, b| nulls_last(&a.0, &b.0, false));
                }
                Ok(Value::Array(out.into_iter().map(|(k, v)| Value::Struct(vec![k, v])).collect()))
            }))
        },
    },
    Builtin {
        name: "AS_MAP",
        category: "MAP",
        description: "A map from an array of keys and an array of values, paired by position.",
        signatures: &["AS_MAP(keys ARRAY<STRING>, values ARRAY<T>) -> MAP<STRING, T>"],
        return_type: |args| match args {
            [k, v] => match (element_type(k), element_type(v)) {
                (Some(kt), Some(vt)) if kt.widens_to(&S) => Ok(DataType::Map(Box::new(S), Box::new(vt))),
                _ => Err(reject("AS_MAP", args, &["AS_MAP(ARRAY<STRING>, ARRAY<T>)"])),
            },
            _ => Err(reject("AS_MAP", args, &["AS_MAP(ARRAY<STRING>, ARRAY<T>)"])),
        },
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                let (keys, values) = (items(&row[0])?, items(&row[1])?);
                let mut out: Vec<(Value, Value)> = Vec::with_capacity(keys.len());
                for (i, k) in keys.iter().enumerate() {
                    let v = values.get(i).cloned().unwrap_or(Value::Null);
                    match out.iter_mut().find(|(ek, _)| same(ek, k)) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k.clone(), v)),
                    }
                }
                Ok(Value::Map(out))
            }))
        },
    },
    Builtin {
        name: "MAP_KEYS",
        category: "MAP",
        description: "The keys of a map, as an array.",
        signatures: &["MAP_KEYS(MAP<K, V>) -> ARRAY<K>"],
        return_type: |args| match args {
            [m] => map_types(m).map(|(k, _)| array(k)).ok_or_else(|| reject("MAP_KEYS", args, &["MAP_KEYS(MAP<K, V>)"])),
            _ => Err(reject("MAP_KEYS", args, &["MAP_KEYS(MAP<K, V>)"])),
        },
        eval: |args| {
            Ok(per_row_strict(args, |row| Ok(Value::Array(entries(&row[0])?.iter().map(|e| e.0.clone()).collect()))))
        },
    },
    Builtin {
        name: "MAP_VALUES",
        category: "MAP",
        description: "The values of a map, as an array.",
        signatures: &["MAP_VALUES(MAP<K, V>) -> ARRAY<V>"],
        return_type: |args| match args {
            [m] => {
                map_types(m).map(|(_, v)| array(v)).ok_or_else(|| reject("MAP_VALUES", args, &["MAP_VALUES(MAP<K, V>)"]))
            }
            _ => Err(reject("MAP_VALUES", args, &["MAP_VALUES(MAP<K, V>)"])),
        },
        eval: |args| {
            Ok(per_row_strict(args, |row| Ok(Value::Array(entries(&row[0])?.iter().map(|e| e.1.clone()).collect()))))
        },
    },
    Builtin {
        name: "MAP_UNION",
        category: "MAP",
        description: "The entries of both maps; the second map's value wins for a shared key. NULL maps count as empty unless both are NULL.",
        signatures: &["MAP_UNION(MAP<K, V>, MAP<K, V>) -> MAP<K, V>"],
        return_type: |args| {
            let fail = || reject("MAP_UNION", args, &["MAP_UNION(MAP<K, V>, MAP<K, V>)"]);
            match args {
                [a, b] => {
                    let ((ka, va), (kb, vb)) = (map_types(a).ok_or_else(fail)?, map_types(b).ok_or_else(fail)?);
                    let k = DataType::common_type(&ka, &kb).ok_or_else(fail)?;
                    let v = DataType::common_type(&va, &vb).ok_or_else(fail)?;
                    Ok(DataType::Map(Box::new(k), Box::new(v)))
                }
                _ => Err(fail()),
            }
        },
        eval: |args| {
            let t = args.return_type.clone();
            Ok(per_row(args, |row| {
                if row[0].is_null() && row[1].is_null() {
                    return Ok(Value::Null);
                }
                let mut out: Vec<(Value, Value)> = Vec::new();
                for m in row.iter().filter(|m| !m.is_null()) {
                    for (k, v) in entries(m)? {
                        match out.iter_mut().find(|(ek, _)| same(ek, k)) {
                            Some(slot) => slot.1 = v.clone(),
                            None => out.push((k.clone(), v.clone())),
                        }
                    }
                }
                Ok(coerce(Value::Map(out), &t))
            }))
        },
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;

    fn ints(v: &[i32]) -> Value {
        arr(v.iter().map(|i| Value::Int(*i)).collect())
    }

    fn map(entries: &[(&str, i32)]) -> Value {
        Value::Map(entries.iter().map(|(k, v)| (s(k), Value::Int(*v))).collect())
    }

    fn map_t(v: DataType) -> DataType {
        DataType::Map(Box::new(DataType::String), Box::new(v))
    }

    #[test]
    fn length_and_contains() {
        assert_eq!(call("ARRAY_LENGTH", vec![ints(&[1, 2, 3])]), Value::Int(3));
        assert_eq!(call("ARRAY_LENGTH", vec![ints(&[])]), Value::Int(0));
        assert_eq!(call_typed("ARRAY_LENGTH", &[arr_of(DataType::Int)], vec![N]).0, N);
        assert_eq!(call("ARRAY_CONTAINS", vec![ints(&[1, 2]), Value::Int(2)]), Value::Boolean(true));
        assert_eq!(call("ARRAY_CONTAINS", vec![ints(&[1, 2]), Value::Int(5)]), Value::Boolean(false));
        assert_eq!(call("ARRAY_CONTAINS", vec![ints(&[1, 2]), Value::BigInt(2)]), Value::Boolean(true));
        let t = [arr_of(DataType::Int), DataType::Int];
        assert_eq!(call_typed("ARRAY_CONTAINS", &t, vec![arr(vec![N]), N]).0, Value::Boolean(true));
        assert_eq!(call_typed("ARRAY_CONTAINS", &t, vec![N, Value::Int(1)]).0, Value::Boolean(false));
        let err = ret("ARRAY_CONTAINS", &[arr_of(DataType::Int), DataType::String]).unwrap_err();
        assert!(
            err.starts_with("function ARRAY_CONTAINS does not accept parameters (ARRAY<INTEGER>, STRING)"),
            "{err}"
        );
        assert!(ret("ARRAY_LENGTH", &[DataType::String]).unwrap_err().contains("ARRAY_LENGTH(ARRAY<T>)"));
    }

    #[test]
    fn set_operations() {
        assert_eq!(call("ARRAY_DISTINCT", vec![ints(&[1, 2, 1, 3, 2])]), ints(&[1, 2, 3]));
        assert_eq!(call("ARRAY_DISTINCT", vec![arr(vec![N, s("a"), N])]), arr(vec![N, s("a")]));
        assert_eq!(call("ARRAY_EXCEPT", vec![ints(&[1, 2, 3, 2]), ints(&[2])]), ints(&[1, 3]));
        assert_eq!(call("ARRAY_INTERSECT", vec![ints(&[1, 2, 3, 2]), ints(&[2, 3, 4])]), ints(&[2, 3]));
        assert_eq!(call("ARRAY_UNION", vec![ints(&[1, 2]), ints(&[2, 3])]), ints(&[1, 2, 3]));
        let t = [arr_of(DataType::Int), arr_of(DataType::Int)];
        assert_eq!(call_typed("ARRAY_UNION", &t, vec![N, ints(&[1])]).0, N);
        assert_eq!(call_typed("ARRAY_EXCEPT", &t, vec![ints(&[1]), N]).0, N);
        assert_eq!(
            ret("ARRAY_UNION", &[arr_of(DataType::Int), arr_of(DataType::Double)]),
            Ok(arr_of(DataType::Double))
        );
        let (v, _) = call_typed(
            "ARRAY_UNION",
            &[arr_of(DataType::Int), arr_of(DataType::BigInt)],
            vec![ints(&[1]), arr(vec![Value::BigInt(2)])],
        );
        assert_eq!(v, arr(vec![Value::BigInt(1), Value::BigInt(2)]));
        assert!(ret("ARRAY_INTERSECT", &[arr_of(DataType::Int), arr_of(DataType::String)]).is_err());
    }

    #[test]
    fn concat() {
        assert_eq!(call("ARRAY_CONCAT", vec![ints(&[1, 2]), ints(&[2])]), ints(&[1, 2, 2]));
        let t = [arr_of(DataType::Int), arr_of(DataType::Int)];
        assert_eq!(call_typed("ARRAY_CONCAT", &t, vec![N, ints(&[1])]).0, ints(&[1]));
        assert_eq!(call_typed("ARRAY_CONCAT", &t, vec![N, N]).0, N);
    }

    #[test]
    fn join() {
        assert_eq!(call("ARRAY_JOIN", vec![ints(&[1, 2, 3])]), s("1,2,3"));
        assert_eq!(call("ARRAY_JOIN", vec![strs(&["a", "b"]), s("|")]), s("a|b"));
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![Value::Double(1.0), N])]), s("1.0,null"));
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![Value::Boolean(true)]), s("")]), s("true"));
        assert!(ret("ARRAY_JOIN", &[arr_of(arr_of(DataType::Int))]).is_err());
        assert!(ret("ARRAY_JOIN", &[arr_of(DataType::Int), DataType::Int]).is_err());
    }

    #[test]
    fn max_min() {
        assert_eq!(call("ARRAY_MAX", vec![ints(&[3, 9, 1])]), Value::Int(9));
        assert_eq!(call("ARRAY_MIN", vec![ints(&[3, 9, 1])]), Value::Int(1));
        assert_eq!(call("ARRAY_MAX", vec![arr(vec![N, s("b"), s("a")])]), s("b"));
        assert_eq!(call("ARRAY_MIN", vec![ints(&[])]), N);
        assert_eq!(ret("ARRAY_MAX", &[arr_of(DataType::BigInt)]), Ok(DataType::BigInt));
        assert!(ret("ARRAY_MAX", &[arr_of(map_t(DataType::Int))]).is_err());
    }

    #[test]
    fn remove_sort_slice() {
        assert_eq!(call("ARRAY_REMOVE", vec![ints(&[1, 2, 1]), Value::Int(1)]), ints(&[2]));
        let t = [arr_of(DataType::Int), DataType::Int];
        assert_eq!(call_typed("ARRAY_REMOVE", &t, vec![arr(vec![N, Value::Int(1)]), N]).0, ints(&[1]));
        assert_eq!(call("ARRAY_SORT", vec![ints(&[3, 1, 2])]), ints(&[1, 2, 3]));
        assert_eq!(call("ARRAY_SORT", vec![ints(&[3, 1, 2]), s("desc")]), ints(&[3, 2, 1]));
        assert_eq!(call("ARRAY_SORT", vec![arr(vec![N, s("b"), s("a")])]), arr(vec![s("a"), s("b"), N]));
        assert_eq!(call("ARRAY_SORT", vec![arr(vec![N, s("b"), s("a")]), s("DESC")]), arr(vec![s("b"), s("a"), N]));
        assert_eq!(call("ARRAY_SORT", vec![ints(&[1]), s("sideways")]), N);
        let slice = |f: Value, t: Value| {
            call_typed("SLICE", &[arr_of(DataType::Int), DataType::Int, DataType::Int], vec![ints(&[1, 2, 3, 4]), f, t])
                .0
        };
        assert_eq!(slice(Value::Int(2), Value::Int(3)), ints(&[2, 3]));
        assert_eq!(slice(N, Value::Int(2)), ints(&[1, 2]));
        assert_eq!(slice(Value::Int(3), N), ints(&[3, 4]));
        assert_eq!(slice(Value::Int(0), Value::Int(2)), N);
        assert_eq!(slice(Value::Int(1), Value::Int(9)), N);
        assert!(ret("SLICE", &[arr_of(DataType::Int), DataType::Int]).is_err());
    }

    #[test]
    fn maps() {
        let m = map(&[("b", 2), ("a", 1)]);
        assert_eq!(call("MAP_KEYS", vec![m.clone()]), strs(&["b", "a"]));
        assert_eq!(call("MAP_VALUES", vec![m.clone()]), ints(&[2, 1]));
        assert_eq!(ret("MAP_VALUES", &[map_t(DataType::Double)]), Ok(arr_of(DataType::Double)));
        assert_eq!(
            call("MAP_UNION", vec![m.clone(), map(&[("a", 5), ("c", 3)])]),
            map(&[("b", 2), ("a", 5), ("c", 3)])
        );
        let t = [map_t(DataType::Int), map_t(DataType::Int)];
        assert_eq!(call_typed("MAP_UNION", &t, vec![N, m.clone()]).0, m);
        assert_eq!(call_typed("MAP_UNION", &t, vec![N, N]).0, N);
        assert!(ret("MAP_KEYS", &[arr_of(DataType::Int)]).unwrap_err().contains("MAP_KEYS(MAP<K, V>)"));
        assert_eq!(
            call("AS_MAP", vec![strs(&["a", "b"]), ints(&[1])]),
            Value::Map(vec![(s("a"), Value::Int(1)), (s("b"), N)])
        );
        assert_eq!(ret("AS_MAP", &[arr_of(DataType::String), arr_of(DataType::Int)]), Ok(map_t(DataType::Int)));
        assert!(ret("AS_MAP", &[arr_of(DataType::Int), arr_of(DataType::Int)]).is_err());
    }

    #[test]
    fn entries() {
        let m = map(&[("b", 2), ("a", 1)]);
        let st = |k: &str, v: i32| Value::Struct(vec![s(k), Value::Int(v)]);
        assert_eq!(call("ENTRIES", vec![m.clone(), Value::Boolean(true)]), arr(vec![st("a", 1), st("b", 2)]));
        assert_eq!(call("ENTRIES", vec![m, Value::Boolean(false)]), arr(vec![st("b", 2), st("a", 1)]));
        let t = ret("ENTRIES", &[map_t(DataType::Int), DataType::Boolean]).unwrap_or(DataType::Null);
        assert_eq!(t.to_string(), "ARRAY<STRUCT<`K` STRING, `V` INTEGER>>");
        assert!(ret("ENTRIES", &[map_t(DataType::Int)]).is_err());
    }
}
