//! Shared helpers for wasp's integration tests: how golden files render values and
//! statement outcomes.

use wasp_host::api::{Outcome, StatementResult};
use wasp_host::formats::{format_date, format_time, format_timestamp, json};
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Value};

/// Renders one cell for a golden file: `NULL`, `(empty)`, Java-style doubles, ISO
/// times, base64 bytes and compact JSON for arrays, maps and structs.
pub fn render(v: &Value, t: &DataType) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.to_string(),
        Value::Double(d) => format_double(*d),
        Value::Timestamp(ms) => format_timestamp(*ms),
        Value::Date(d) => format_date(*d),
        Value::Time(t) => format_time(*t),
        Value::Bytes(_) | Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
            let mut buf = Vec::new();
            json::write_value(&mut buf, v, t);
            let s = String::from_utf8_lossy(&buf).into_owned();
            if matches!(v, Value::Bytes(b) if b.is_empty()) {
                "(empty)".into()
            } else if matches!(v, Value::Bytes(_)) {
                s.trim_matches('"').to_owned()
            } else {
                s
            }
        }
        other => other.to_string(),
    }
}

/// Renders a statement's outcome as rows, so SHOW, DESCRIBE and EXPLAIN can be
/// golden-tested.
pub fn outcome_rows(results: &[StatementResult]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for r in results {
        match &r.outcome {
            Outcome::Status(s) => rows.push(vec![s.message.clone()]),
            Outcome::Streams(list) | Outcome::Tables(list) => {
                for s in list {
                    rows.push(vec![s.name.clone(), s.topic.clone(), s.key_format.clone(), s.value_format.clone()]);
                }
            }
            Outcome::Queries(list) => {
                for q in list {
                    rows.push(vec![q.id.clone(), q.state.clone(), q.sinks.join(",")]);
                }
            }
            Outcome::Topics(list) => {
                for t in list {
                    rows.push(vec![t.name.clone(), t.replica_info.len().to_string()]);
                }
            }
            Outcome::Properties(list) => {
                for p in list {
                    rows.push(vec![p.name.clone(), p.value.clone()]);
                }
            }
            Outcome::Functions(list) => {
                for f in list {
                    rows.push(vec![f.name.clone(), f.category.clone()]);
                }
            }
            Outcome::FunctionDescription(d) => {
                rows.push(vec![d.name.clone(), d.description.clone()]);
                for s in &d.signatures {
                    rows.push(vec![s.clone()]);
                }
            }
            Outcome::SourceDescription(d) => {
                rows.push(vec![
                    d.name.clone(),
                    d.source_type.clone(),
                    d.topic.clone(),
                    d.key_format.clone(),
                    d.value_format.clone(),
                ]);
                for f in &d.fields {
                    let mut row = vec![f.name.clone(), f.data_type.to_string()];
                    if f.key {
                        row.push("KEY".into());
                    }
                    rows.push(row);
                }
                if let Some(s) = &d.statistics {
                    rows.push(vec!["messages-in".into(), s.messages_in.to_string()]);
                    rows.push(vec!["failures".into(), s.failures.to_string()]);
                }
            }
            Outcome::QueryDescription(d) => {
                for line in d.logical_plan.lines().chain(d.physical_plan.lines()) {
                    rows.push(vec![line.to_owned()]);
                }
            }
        }
    }
    rows
}
