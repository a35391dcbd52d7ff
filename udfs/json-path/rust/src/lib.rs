//! `json_path(json VARCHAR, path VARCHAR) RETURNS VARCHAR`, in Rust.
//!
//! The path is JSONPath as ksqlDB's `EXTRACTJSONFIELD` takes it: `$`, then
//! `.name`, `['name']` or `[index]` steps (`$.user.emails[0]`, `$['a key'][2]`).
//! The result is the value at the path: a string as its text, null as NULL,
//! anything else as compact JSON (object keys in document order). A path that
//! finds nothing is NULL; text that is not JSON, or a malformed path, is a per-row
//! error. The same function as `udfs/json-path/python`.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a path such as `$.a['b c'][0]`.
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let rest = path.strip_prefix('$').ok_or("path must start with '$'")?;
    let mut steps = Vec::new();
    let mut i = 0;
    let bytes = rest.as_bytes();
    while i < bytes.len() {
        let position = i + 2; // 1-based, counting the '$'
        match bytes[i] {
            b'.' => {
                let end = rest[i + 1..].find(['.', '[']).map_or(rest.len(), |e| i + 1 + e);
                if end == i + 1 {
                    return Err(format!("empty name at position {position} of the path"));
                }
                steps.push(Step::Key(rest[i + 1..end].to_string()));
                i = end;
            }
            b'[' => {
                let end = rest[i..]
                    .find(']')
                    .map(|e| i + e)
                    .ok_or(format!("unclosed '[' at position {position} of the path"))?;
                let inner = rest[i + 1..end].trim();
                let quoted = inner.len() >= 2
                    && (inner.starts_with('\'') || inner.starts_with('"'))
                    && inner.as_bytes()[0] == inner.as_bytes()[inner.len() - 1];
                if quoted {
                    steps.push(Step::Key(inner[1..inner.len() - 1].to_string()));
                } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
                    steps.push(Step::Index(inner.parse().map_err(|_| format!("index {inner} is too large"))?));
                } else {
                    return Err(format!("'[{inner}]' at position {position} is neither an index nor a quoted name"));
                }
                i = end + 1;
            }
            _ => {
                let c = rest[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected '{c}' at position {position} of the path"));
            }
        }
    }
    Ok(steps)
}

/// The value at a JSONPath ($.a.b[0]) in a JSON text, as text; NULL when absent.
#[wasp::udf]
pub fn json_path(json: &str, path: &str) -> Result<Option<String>, String> {
    let steps = parse_path(path)?;
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let mut at = &value;
    for step in &steps {
        let next = match (step, at) {
            (Step::Key(key), Value::Object(map)) => map.get(key),
            (Step::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(v) => at = v,
            None => return Ok(None),
        }
    }
    Ok(match at {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

wasp::export!(json_path);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_steps() {
        assert_eq!(
            parse_path("$.a['b c'][2].d").unwrap(),
            [Step::Key("a".into()), Step::Key("b c".into()), Step::Index(2), Step::Key("d".into())]
        );
        assert_eq!(parse_path("$").unwrap(), []);
        assert!(parse_path("a.b").unwrap_err().contains("must start with '$'"));
        assert!(parse_path("$..a").unwrap_err().contains("empty name at position 2"));
        assert!(parse_path("$[x]").unwrap_err().contains("neither an index"));
        assert!(parse_path("$[0").unwrap_err().contains("unclosed"));
    }

    #[test]
    fn values_at_paths() {
        let doc = r#"{"user":{"name":"Ann","tags":["a","b"],"age":41,"geo":{"z":1,"a":[1.5,true,null]}}}"#;
        assert_eq!(json_path(doc, "$.user.name").unwrap().as_deref(), Some("Ann"));
        assert_eq!(json_path(doc, "$.user.tags[1]").unwrap().as_deref(), Some("b"));
        assert_eq!(json_path(doc, "$['user']['age']").unwrap().as_deref(), Some("41"));
        // Compact JSON, keys in document order.
        assert_eq!(json_path(doc, "$.user.geo").unwrap().as_deref(), Some(r#"{"z":1,"a":[1.5,true,null]}"#));
        assert_eq!(json_path(doc, "$.user.geo.a[2]").unwrap(), None);
        assert_eq!(json_path(doc, "$.user.missing").unwrap(), None);
        assert_eq!(json_path(doc, "$.user.tags[9]").unwrap(), None);
        assert!(json_path("{oops", "$.a").unwrap_err().starts_with("not JSON"));
    }
}
