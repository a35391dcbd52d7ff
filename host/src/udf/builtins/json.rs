//! JSON functions over `STRING`s holding JSON text, and `TO_JSON_STRING` from any value.
//!
//! Paths use ksqlDB's JSONPath subset: `$`, then `.name`, `['name']`, `["name"]` or
//! `[index]` steps. Text that is not JSON is a per-row error, as in ksqlDB.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value as Json;
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Value};

use super::{check_args, is_orderable, reject, text, Builtin, Compiled};
use crate::udf::{per_row, per_row_strict};

const S: DataType = DataType::String;

fn parse_json(input: &str) -> Result<Json, String> {
    serde_json::from_str(input).map_err(|e| format!("invalid JSON format: {e}: {input}"))
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

fn extract<'a>(mut node: &'a Json, steps: &[String]) -> Option<&'a Json> {
    for step in steps {
        node = match node {
            Json::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            Json::Object(map) => map.get(step)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The text ksqlDB gives a JSON node: strings unquoted, everything else as JSON.
fn node_text(node: &Json) -> String {
    match node {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn quote(s: &str, out: &mut String) {
    out.push_str(&Json::String(s.to_string()).to_string());
}

/// Writes a value as JSON the way ksqlDB's TO_JSON_STRING does: temporal values as ISO
/// text, bytes as base64, map and struct keys sorted.
fn write_json(v: &Value, t: &DataType, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Double(d) if d.is_finite() => out.push_str(&format_double(*d)),
        Value::Double(d) => quote(&format_double(*d), out),
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::String(s) => quote(s, out),
        Value::Bytes(b) => quote(&base64::engine::general_purpose::STANDARD.encode(b), out),
        Value::Timestamp(ms) => match chrono::DateTime::from_timestamp_millis(*ms) {
            Some(dt) => quote(&dt.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(), out),
            None => {
                let _ = write!(out, "{ms}");
            }
        },
        Value::Date(days) => {
            match chrono::NaiveDate::default().checked_add_signed(chrono::Duration::days(i64::from(*days))) {
                Some(d) => quote(&d.format("%Y-%m-%d").to_string(), out),
                None => {
                    let _ = write!(out, "{days}");
                }
            }
        }
        Value::Time(ms) => {
            let ms = *ms;
            let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
            let text =
                if frac == 0 { format!("{h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}:{s:02}.{frac:03}") };
            quote(&text, out);
        }
        Value::Array(items) => {
            let elem = match t {
                DataType::Array(e) => (**e).clone(),
                _ => DataType::Null,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, &elem, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let vt = match t {
                DataType::Map(_, v) => (**v).clone(),
                _ => DataType::Null,
            };
            let mut sorted: Vec<(String, &Value)> =
                entries.iter().map(|(k, v)| (k.as_str().map_or_else(|| k.to_string(), str::to_string), v)).collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            write_object(sorted.into_iter().map(|(k, v)| (k, v, vt.clone())), out);
        }
        Value::Struct(fields) => {
            let types: Vec<(String, DataType)> = match t {
                DataType::Struct(fs) => fs.iter().map(|f| (f.name.clone(), f.data_type.clone())).collect(),
                _ => (0..fields.len()).map(|i| (format!("F{i}"), DataType::Null)).collect(),
            };
            let mut named: Vec<(String, &Value, DataType)> =
                types.into_iter().zip(fields.iter()).map(|((n, t), v)| (n, v, t)).collect();
            named.sort_by(|a, b| a.0.cmp(&b.0));
            write_object(named.into_iter(), out);
        }
    }
}

fn write_object<'a>(fields: impl Iterator<Item = (String, &'a Value, DataType)>, out: &mut String) {
    out.push('{');
    for (i, (k, v, t)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        quote(&k, out);
        out.push(':');
        write_json(v, &t, out);
    }
    out.push('}');
}

/// A SQL value as a JSON value, for JSON_ARRAY_CONTAINS.
fn matches_json(v: &Value, node: &Json) -> bool {
    match (v, node) {
        (Value::Null, Json::Null) => true,
        (Value::Boolean(a), Json::Bool(b)) => a == b,
        (Value::String(a), Json::String(b)) => **a == *b,
        (Value::Int(_) | Value::BigInt(_), Json::Number(n)) => n.as_i64() == v.as_i64(),
        (Value::Double(_) | Value::Decimal(_), Json::Number(n)) => n.as_f64() == v.as_f64() && !n.is_i64(),
        _ => false,
    }
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
            Ok(per_row_strict(args, |row| {
                let steps = paths.get(text(&row[1])?)?;
                let doc = parse_json(text(&row[0])?)?;
                Ok(extract(&doc, steps).map_or(Value::Null, |n| Value::string(&node_text(n))))
            }))
        },
    },
    Builtin {
        name: "IS_JSON_STRING",
        category: "JSON",
        description: "Whether a string holds valid JSON; false for NULL.",
        signatures: &["IS_JSON_STRING(json STRING) -> BOOLEAN"],
        return_type: |args| check_args("IS_JSON_STRING", args, &[S]).map(|_| DataType::Boolean),
        eval: |args| {
            Ok(per_row(args, |row| {
                Ok(Value::Boolean(row[0].as_str().is_some_and(|s| serde_json::from_str::<Json>(s).is_ok())))
            }))
        },
    },
    Builtin {
        name: "JSON_ARRAY_LENGTH",
        category: "JSON",
        description: "The number of elements of a JSON array; NULL if the JSON is not an array.",
        signatures: &["JSON_ARRAY_LENGTH(json STRING) -> INT"],
        return_type: |args| check_args("JSON_ARRAY_LENGTH", args, &[S]).map(|_| DataType::Int),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                Ok(match parse_json(text(&row[0])?)? {
                    Json::Array(items) => Value::Int(i32::try_from(items.len()).unwrap_or(i32::MAX)),
                    _ => Value::Null,
                })
            }))
        },
    },
    Builtin {
        name: "JSON_KEYS",
        category: "JSON",
        description: "The keys of a JSON object; NULL if the JSON is not an object.",
        signatures: &["JSON_KEYS(json STRING) -> ARRAY<STRING>"],
        return_type: |args| check_args("JSON_KEYS", args, &[S]).map(|_| DataType::Array(Box::new(S))),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                Ok(match parse_json(text(&row[0])?)? {
                    Json::Object(map) => Value::Array(map.keys().map(|k| Value::string(k)).collect()),
                    _ => Value::Null,
                })
            }))
        },
    },
    Builtin {
        name: "JSON_RECORDS",
        category: "JSON",
        description: "The entries of a JSON object as a map from key to the value's JSON text; NULL if not an object.",
        signatures: &["JSON_RECORDS(json STRING) -> MAP<STRING, STRING>"],
        return_type: |args| check_args("JSON_RECORDS", args, &[S]).map(|_| DataType::Map(Box::new(S), Box::new(S))),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                Ok(match parse_json(text(&row[0])?)? {
                    Json::Object(map) => {
                        Value::Map(map.iter().map(|(k, v)| (Value::string(k), Value::string(&v.to_string()))).collect())
                    }
                    _ => Value::Null,
                })
            }))
        },
    },
    Builtin {
        name: "JSON_ITEMS",
        category: "JSON",
        description: "The elements of a JSON array, each as JSON text; NULL if not an array.",
        signatures: &["JSON_ITEMS(json STRING) -> ARRAY<STRING>"],
        return_type: |args| check_args("JSON_ITEMS", args, &[S]).map(|_| DataType::Array(Box::new(S))),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                Ok(match parse_json(text(&row[0])?)? {
                    Json::Array(items) => Value::Array(items.iter().map(|v| Value::string(&v.to_string())).collect()),
                    _ => Value::Null,
                })
            }))
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
            Ok(per_row_strict(args, |row| {
                let nodes = row.iter().map(|v| parse_json(text(v)?)).collect::<Result<Vec<_>, _>>()?;
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
                Ok(Value::string(&result.to_string()))
            }))
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
            Ok(per_row(args, |row| {
                let Some(json) = row[0].as_str() else { return Ok(Value::Boolean(false)) };
                Ok(Value::Boolean(match serde_json::from_str::<Json>(json) {
                    Ok(Json::Array(items)) => items.iter().any(|n| matches_json(&row[1], n)),
                    _ => false,
                }))
            }))
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
            let t = args.arg_types.first().cloned().unwrap_or(DataType::Null);
            Ok(per_row(args, |row| {
                let mut out = String::new();
                write_json(&row[0], &t, &mut out);
                Ok(Value::string(&out))
            }))
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
            Value::Map(vec![(s("a"), s("\"x\"")), (s("b"), s("[1]"))])
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
