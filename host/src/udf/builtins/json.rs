//! JSON functions over `STRING`s holding JSON text, and `TO_JSON_STRING` from any value.
//!
//! Paths use ksqlDB's JSONPath subset: `$`, then `.name`, `['name']`, `["name"]` or
//! `[index]` steps. Text that is not JSON is a per-row error, as in ksqlDB.

use arrow_schema::DataType as ArrowType;
use serde::de::IgnoredAny;
use serde_json::Value as Json;
use wasp_sql::DataType;

use super::{check_args, each_row, is_orderable, reject, Builtin, Compiled};
use crate::columnar::operand::Typed;
use crate::columnar::Operand;
use crate::formats::{json, Cells};

const S: DataType = DataType::String;

/// Parses JSON text the way ksqlDB's Jackson `readTree` does: the first value is read
/// and whatever follows it is ignored (`{"a":1}}` is the object `{"a":1}`).
fn parse_json(input: &str) -> Result<Json, String> {
    first_value::<Json>(input)
}

/// The first JSON value of `input`, of any type serde can read (a `Json` tree, or a
/// borrowed `RawValue` that keeps the text).
fn first_value<'a, T: serde::Deserialize<'a>>(input: &'a str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(input);
    T::deserialize(&mut de).map_err(|e| format!("invalid JSON format: {e}: {input}"))
}

/// EXTRACTJSONFIELD: walks `steps` through the JSON text without building a tree of
/// the whole document, so the value found keeps its text (`1.23450` stays `1.23450`,
/// as Jackson's exact decimals keep it). Strings come back unescaped, objects and
/// arrays as compact JSON.
fn extract_text(input: &str, steps: &[String]) -> Result<Option<String>, String> {
    use serde_json::value::RawValue;
    use std::collections::HashMap;
    let mut node: &RawValue = first_value(input)?;
    for step in steps {
        let text = node.get();
        node = match text.as_bytes().first() {
            Some(b'{') => match first_value::<HashMap<String, &RawValue>>(text)?.remove(step) {
                Some(n) => n,
                None => return Ok(None),
            },
            Some(b'[') => {
                let Ok(index) = step.parse::<usize>() else { return Ok(None) };
                match first_value::<Vec<&RawValue>>(text)?.get(index) {
                    Some(n) => n,
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
    }
    let text = node.get();
    Ok(Some(match text.as_bytes().first() {
        Some(b'"') => first_value::<String>(text)?,
        Some(b'{' | b'[') => first_value::<Json>(text)?.to_string(),
        _ => text.to_string(),
    }))
}

/// Splits a JSONPath into its steps.
fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let bad = |why: &str| format!("invalid JSON path '{path}': {why}");
    let chars: Vec<char> = path.trim().chars().collect();
    if chars.first() != Some(&'$') {
        return Err(bad("it must start with '$'"));
    }
    let mut steps = Vec::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                if end == start {
                    return Err(bad("empty field name"));
                }
                steps.push(chars[start..end].iter().collect());
                i = end;
            }
            '[' => {
                let close =
                    chars[i..].iter().position(|c| *c == ']').map(|p| p + i).ok_or_else(|| bad("missing ']'"))?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                let quoted = inner.len() >= 2
                    && ((inner.starts_with('\'') && inner.ends_with('\''))
                        || (inner.starts_with('"') && inner.ends_with('"')));
                if quoted {
                    steps.push(inner[1..inner.len() - 1].to_string());
                } else if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                    steps.push(inner.to_string());
                } else {
                    return Err(bad("a subscript must be an index or a quoted name"));
                }
                i = close + 1;
            }
            c => return Err(bad(&format!("unexpected '{c}'"))),
        }
    }
    Ok(steps)
}

/// Whether row `row` of `needle` equals a JSON node, for JSON_ARRAY_CONTAINS: NULL
/// matches `null`, numbers compare as numbers (integers with integers).
fn matches_json(needle: &Operand, row: usize, node: &Json) -> bool {
    if needle.is_null(row) {
        return node.is_null();
    }
    match (needle.data_type(), node) {
        (ArrowType::Boolean, Json::Bool(b)) => needle.bools().get(row) == Some(*b),
        (ArrowType::Utf8, Json::String(b)) => needle.strs().get(row) == Some(b.as_str()),
        (ArrowType::Int32 | ArrowType::Int64, Json::Number(n)) => {
            n.as_i64().is_some() && n.as_i64() == needle.ints().get(row)
        }
        (ArrowType::Float64 | ArrowType::Decimal128(..), Json::Number(n)) => {
            !n.is_i64() && n.as_f64().is_some() && n.as_f64() == needle.nums().get(row)
        }
        _ => false,
    }
}

/// Parses row `row` of a JSON text column.
fn doc(strs: &Typed<'_, arrow_array::StringArray>, row: usize) -> Result<Option<Json>, String> {
    strs.get(row).map(parse_json).transpose()
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "EXTRACTJSONFIELD",
        category: "JSON",
        description: "The value at a JSONPath in JSON text: strings as their text, other values as JSON; NULL if absent.",
        signatures: &["EXTRACTJSONFIELD(json STRING, path STRING) -> STRING"],
        return_type: |args| check_args("EXTRACTJSONFIELD", args, &[S, S]).map(|_| S),
        eval: |args| {
            let mut paths = Compiled::new(parse_path);
            let (json, path) = (args.args[0].strs(), args.args[1].strs());
            each_row(args, |row, out| {
                let (Some(text), Some(path)) = (json.get(row), path.get(row)) else { return Ok(()) };
                let steps = paths.get(path)?;
                if let Some(found) = extract_text(text, steps)? {
                    out.push_str(&found);
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "IS_JSON_STRING",
        category: "JSON",
        description: "Whether a string holds valid JSON; false for NULL.",
        signatures: &["IS_JSON_STRING(json STRING) -> BOOLEAN"],
        return_type: |args| check_args("IS_JSON_STRING", args, &[S]).map(|_| DataType::Boolean),
        eval: |args| {
            let json = args.args[0].strs();
            each_row(args, |row, out| {
                out.push_bool(json.get(row).is_some_and(|s| first_value::<IgnoredAny>(s).is_ok()));
                Ok(())
            })
        },
    },
    Builtin {
        name: "JSON_ARRAY_LENGTH",
        category: "JSON",
        description: "The number of elements of a JSON array; NULL if the JSON is not an array.",
        signatures: &["JSON_ARRAY_LENGTH(json STRING) -> INT"],
        return_type: |args| check_args("JSON_ARRAY_LENGTH", args, &[S]).map(|_| DataType::Int),
        eval: |args| {
            let json = args.args[0].strs();
            each_row(args, |row, out| {
                if let Some(Json::Array(items)) = doc(&json, row)? {
                    out.push_i32(i32::try_from(items.len()).unwrap_or(i32::MAX));
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "JSON_KEYS",
        category: "JSON",
        description: "The keys of a JSON object; NULL if the JSON is not an object.",
        signatures: &["JSON_KEYS(json STRING) -> ARRAY<STRING>"],
        return_type: |args| check_args("JSON_KEYS", args, &[S]).map(|_| DataType::Array(Box::new(S))),
        eval: |args| {
            let json = args.args[0].strs();
            each_row(args, |row, out| {
                if let Some(Json::Object(map)) = doc(&json, row)? {
                    if let Some(items) = out.list_items() {
                        map.keys().for_each(|k| items.push_str(k));
                    }
                    out.close_list();
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "JSON_RECORDS",
        category: "JSON",
        description: "The entries of a JSON object as a map from key to the value's text (strings unquoted, other values as JSON); NULL if not an object.",
        signatures: &["JSON_RECORDS(json STRING) -> MAP<STRING, STRING>"],
        return_type: |args| check_args("JSON_RECORDS", args, &[S]).map(|_| DataType::Map(Box::new(S), Box::new(S))),
        eval: |args| {
            let json = args.args[0].strs();
            each_row(args, |row, out| {
                if let Some(Json::Object(map)) = doc(&json, row)? {
                    if let Some((keys, values)) = out.map_entries() {
                        for (k, v) in &map {
                            keys.push_str(k);
                            // A string value is its text, anything else its JSON.
                            match v {
                                Json::String(text) => values.push_str(text),
                                other => values.push_str(&other.to_string()),
                            }
                        }
                    }
                    out.close_map();
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "JSON_ITEMS",
        category: "JSON",
        description: "The elements of a JSON array, each as JSON text; NULL if not an array.",
        signatures: &["JSON_ITEMS(json STRING) -> ARRAY<STRING>"],
        return_type: |args| check_args("JSON_ITEMS", args, &[S]).map(|_| DataType::Array(Box::new(S))),
        eval: |args| {
            let json = args.args[0].strs();
            each_row(args, |row, out| {
                if let Some(Json::Array(elements)) = doc(&json, row)? {
                    if let Some(items) = out.list_items() {
                        elements.iter().for_each(|v| items.push_str(&v.to_string()));
                    }
                    out.close_list();
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "JSON_CONCAT",
        category: "JSON",
        description: "Merges JSON objects (later keys win) or concatenates arrays, wrapping other values in arrays; NULL if any input is NULL.",
        signatures: &["JSON_CONCAT(json STRING, ...) -> STRING"],
        return_type: |args| {
            if !args.is_empty() && args.iter().all(|a| a.widens_to(&S)) {
                Ok(S)
            } else {
                Err(reject("JSON_CONCAT", args, &["JSON_CONCAT(STRING, ...)"]))
            }
        },
        eval: |args| {
            let inputs: Vec<_> = args.args.iter().map(Operand::strs).collect();
            each_row(args, |row, out| {
                let Some(texts) = inputs.iter().map(|s| s.get(row)).collect::<Option<Vec<&str>>>() else {
                    return Ok(());
                };
                let nodes = texts.into_iter().map(parse_json).collect::<Result<Vec<_>, _>>()?;
                let result = if nodes.iter().all(Json::is_object) {
                    let mut merged = serde_json::Map::new();
                    for n in nodes {
                        if let Json::Object(m) = n {
                            merged.extend(m);
                        }
                    }
                    Json::Object(merged)
                } else {
                    let mut all = Vec::new();
                    for n in nodes {
                        match n {
                            Json::Array(items) => all.extend(items),
                            other => all.push(other),
                        }
                    }
                    Json::Array(all)
                };
                out.push_str(&result.to_string());
                Ok(())
            })
        },
    },
    Builtin {
        name: "JSON_ARRAY_CONTAINS",
        category: "JSON",
        description: "Whether a JSON array contains a primitive value; false if the JSON is not an array or invalid.",
        signatures: &["JSON_ARRAY_CONTAINS(json STRING, value T) -> BOOLEAN"],
        return_type: |args| match args {
            [j, v] if j.widens_to(&S) && is_orderable(v) && *v != DataType::Bytes => Ok(DataType::Boolean),
            _ => Err(reject("JSON_ARRAY_CONTAINS", args, &["JSON_ARRAY_CONTAINS(STRING, T)"])),
        },
        eval: |args| {
            let (json, needle) = (args.args[0].strs(), &args.args[1]);
            each_row(args, |row, out| {
                let found = match json.get(row).map(serde_json::from_str::<Json>) {
                    Some(Ok(Json::Array(items))) => items.iter().any(|n| matches_json(needle, row, n)),
                    _ => false,
                };
                out.push_bool(found);
                Ok(())
            })
        },
    },
    Builtin {
        name: "TO_JSON_STRING",
        category: "JSON",
        description: "Any value as JSON text.",
        signatures: &["TO_JSON_STRING(value T) -> STRING"],
        return_type: |args| match args {
            [_] => Ok(S),
            _ => Err(reject("TO_JSON_STRING", args, &["TO_JSON_STRING(T)"])),
        },
        eval: |args| {
            let Some(input) = args.args.first() else { return Ok(args.null_output()) };
            let cells = Cells::new(input.array().as_ref());
            let mut buf = Vec::new();
            each_row(args, |row, out| {
                buf.clear();
                json::write_cell(&mut buf, &cells, input.index(row), json::Style::FUNCTION);
                out.push_str(&String::from_utf8_lossy(&buf));
                Ok(())
            })
        },
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, StructField, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;
    const DOC: &str = r#"{"a":{"b":[10,{"c":"x"}],"s":"text","n":null,"d":1.5},"k y":true}"#;

    fn ex(path: &str) -> Value {
        call("EXTRACTJSONFIELD", vec![s(DOC), s(path)])
    }

    #[test]
    fn extractjsonfield() {
        assert_eq!(ex("$.a.s"), s("text"));
        assert_eq!(ex("$.a.b[0]"), s("10"));
        assert_eq!(ex("$.a.b[1].c"), s("x"));
        assert_eq!(ex("$.a.b[1]"), s(r#"{"c":"x"}"#));
        assert_eq!(ex("$['k y']"), s("true"));
        assert_eq!(ex("$[\"a\"].d"), s("1.5"));
        assert_eq!(ex("$.a.n"), s("null"));
        assert_eq!(ex("$.a.missing"), N);
        assert_eq!(ex("$.a.b[5]"), N);
        assert_eq!(ex("$.a.s.deeper"), N);
        assert_eq!(ex("$"), s(DOC));
        assert_eq!(call("EXTRACTJSONFIELD", vec![s(r#"{"p": [1.23450, 2E3]}"#), s("$.p[0]")]), s("1.23450"));
        assert_eq!(call("EXTRACTJSONFIELD", vec![s(r#"{"a": "x"}}"#), s("$.a")]), s("x"));
        assert_eq!(call("EXTRACTJSONFIELD", vec![s(r#"{"a": 1, "a": 2}"#), s("$.a")]), s("2"));
        let (v, e) = call_row("EXTRACTJSONFIELD", vec![s("{not json"), s("$.a")]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("invalid JSON"), "{e:?}");
        let (_, e) = call_row("EXTRACTJSONFIELD", vec![s(DOC), s("a.b")]);
        assert!(e.errors[0].1.contains("must start with '$'"), "{e:?}");
        let (_, e) = call_row("EXTRACTJSONFIELD", vec![s(DOC), s("$.a[b]")]);
        assert!(e.errors[0].1.contains("subscript"), "{e:?}");
        assert_eq!(call_typed("EXTRACTJSONFIELD", &[DataType::String, DataType::String], vec![N, s("$")]).0, N);
        let err = ret("EXTRACTJSONFIELD", &[DataType::Int, DataType::String]).unwrap_err();
        assert!(err.starts_with("function EXTRACTJSONFIELD does not accept parameters (INTEGER, STRING)"));
    }

    #[test]
    fn json_inspection() {
        assert_eq!(call("IS_JSON_STRING", vec![s("[1,2]")]), Value::Boolean(true));
        assert_eq!(call("IS_JSON_STRING", vec![s("\"abc\"")]), Value::Boolean(true));
        assert_eq!(call("IS_JSON_STRING", vec![s("abc")]), Value::Boolean(false));
        assert_eq!(call_typed("IS_JSON_STRING", &[DataType::String], vec![N]).0, Value::Boolean(false));
        assert_eq!(call("JSON_ARRAY_LENGTH", vec![s("[1,[2],{}]")]), Value::Int(3));
        assert_eq!(call("JSON_ARRAY_LENGTH", vec![s("{}")]), N);
        let (v, e) = call_row("JSON_ARRAY_LENGTH", vec![s("[")]);
        assert_eq!(v, N);
        assert_eq!(e.errors.len(), 1);
        assert_eq!(call("JSON_KEYS", vec![s(r#"{"b":1,"a":2}"#)]), strs(&["b", "a"]));
        assert_eq!(call("JSON_KEYS", vec![s("[1]")]), N);
        assert_eq!(
            call("JSON_RECORDS", vec![s(r#"{"a":"x","b":[1]}"#)]),
            Value::Map(vec![(s("a"), s("x")), (s("b"), s("[1]"))])
        );
        assert_eq!(call("JSON_ITEMS", vec![s(r#"[1,"a",{"b":2}]"#)]), strs(&["1", "\"a\"", r#"{"b":2}"#]));
        assert_eq!(call("JSON_ITEMS", vec![s("3")]), N);
    }

    #[test]
    fn json_concat() {
        assert_eq!(call("JSON_CONCAT", vec![s(r#"{"a":1}"#), s(r#"{"a":2,"b":3}"#)]), s(r#"{"a":2,"b":3}"#));
        assert_eq!(call("JSON_CONCAT", vec![s("[1]"), s("[2,3]")]), s("[1,2,3]"));
        assert_eq!(call("JSON_CONCAT", vec![s("[1]"), s(r#"{"a":1}"#)]), s(r#"[1,{"a":1}]"#));
        assert_eq!(call("JSON_CONCAT", vec![s("1"), s("2")]), s("[1,2]"));
        let t = [DataType::String, DataType::String];
        assert_eq!(call_typed("JSON_CONCAT", &t, vec![s("[1]"), N]).0, N);
        assert!(ret("JSON_CONCAT", &[DataType::Int]).is_err());
    }

    #[test]
    fn json_array_contains() {
        let j = s(r#"[1, 2.5, "x", true, null]"#);
        assert_eq!(call("JSON_ARRAY_CONTAINS", vec![j.clone(), Value::Int(1)]), Value::Boolean(true));
        assert_eq!(call("JSON_ARRAY_CONTAINS", vec![j.clone(), Value::Double(2.5)]), Value::Boolean(true));
        assert_eq!(call("JSON_ARRAY_CONTAINS", vec![j.clone(), s("x")]), Value::Boolean(true));
        assert_eq!(call("JSON_ARRAY_CONTAINS", vec![j.clone(), Value::Boolean(true)]), Value::Boolean(true));
        assert_eq!(call("JSON_ARRAY_CONTAINS", vec![j.clone(), Value::Int(3)]), Value::Boolean(false));
        assert_eq!(call("JSON_ARRAY_CONTAINS", vec![s("{bad"), Value::Int(3)]), Value::Boolean(false));
        assert!(ret("JSON_ARRAY_CONTAINS", &[DataType::String, arr_of(DataType::Int)]).is_err());
    }

    #[test]
    fn to_json_string() {
        let j = |v: Value| call("TO_JSON_STRING", vec![v]);
        assert_eq!(j(Value::Int(1)), s("1"));
        assert_eq!(j(Value::Double(1.0)), s("1.0"));
        assert_eq!(j(dec("12.30")), s("12.30"));
        assert_eq!(j(s("a\"b")), s(r#""a\"b""#));
        assert_eq!(j(Value::Boolean(false)), s("false"));
        assert_eq!(j(Value::Timestamp(1_600_000_000_000)), s("\"2020-09-13T12:26:40.000\""));
        assert_eq!(j(Value::Date(18_518)), s("\"2020-09-13\""));
        assert_eq!(j(Value::Time(44_800_000)), s("\"12:26:40\""));
        assert_eq!(j(Value::Bytes(std::sync::Arc::from(&[1u8, 2, 3][..]))), s("\"AQID\""));
        assert_eq!(j(arr(vec![Value::Int(1), N])), s("[1,null]"));
        assert_eq!(j(Value::Map(vec![(s("b"), Value::Int(2)), (s("a"), Value::Int(1))])), s(r#"{"a":1,"b":2}"#));
        let st = DataType::Struct(vec![
            StructField { name: "Z".into(), data_type: DataType::Int },
            StructField { name: "A".into(), data_type: DataType::String },
        ]);
        let (v, _) = call_typed("TO_JSON_STRING", &[st], vec![Value::Struct(vec![Value::Int(1), s("x")])]);
        assert_eq!(v, s(r#"{"A":"x","Z":1}"#));
        assert_eq!(call_typed("TO_JSON_STRING", &[DataType::Int], vec![N]).0, s("null"));
        assert!(ret("TO_JSON_STRING", &[]).is_err());
    }
}
