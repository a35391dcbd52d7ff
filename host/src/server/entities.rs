//! Statement results as ksqlDB's `KsqlEntity` JSON.
//!
//! Every entity carries `@type`, `statementText` and `warnings`; the rest follows the
//! classes of ksqlDB's `io.confluent.ksql.rest.entity` package (`CommandStatusEntity`,
//! `StreamsList`, `TablesList`, `Queries`, `KafkaTopicsList`, `PropertiesList`,
//! `FunctionNameList`, `FunctionDescriptionList`, `SourceDescriptionEntity`,
//! `QueryDescriptionEntity`), field for field.

use serde_json::{json, Map, Value as Json};
use wasp_sql::DataType;

use crate::api::{
    CommandStatus, FieldInfo, FunctionDescription, FunctionInfo, Outcome, PropertyInfo, QueryDescription, QueryInfo,
    SourceDescription, SourceInfo, SourceStatistics, StatementResult, TopicInfo,
};

use crate::formats::format_timestamp;

/// The JSON entity of one statement's result.
pub fn entity(result: &StatementResult) -> Json {
    let text = result.statement_text.as_str();
    match &result.outcome {
        Outcome::Status(status) => command_status_entity(text, status),
        Outcome::Streams(sources) => json!({
            "@type": "streams",
            "statementText": text,
            "streams": sources.iter().map(|s| source_info(s, "STREAM")).collect::<Vec<_>>(),
            "warnings": [],
        }),
        Outcome::Tables(sources) => json!({
            "@type": "tables",
            "statementText": text,
            "tables": sources.iter().map(|s| source_info(s, "TABLE")).collect::<Vec<_>>(),
            "warnings": [],
        }),
        Outcome::Queries(queries) => json!({
            "@type": "queries",
            "statementText": text,
            "queries": queries.iter().map(running_query).collect::<Vec<_>>(),
            "warnings": [],
        }),
        Outcome::Topics(topics) => json!({
            "@type": "kafka_topics",
            "statementText": text,
            "topics": topics.iter().map(topic_info).collect::<Vec<_>>(),
            "warnings": [],
        }),
        Outcome::Properties(properties) => properties_entity(text, properties),
        Outcome::Functions(functions) => json!({
            "@type": "function_names",
            "statementText": text,
            "functions": functions.iter().map(simple_function_info).collect::<Vec<_>>(),
            "warnings": [],
        }),
        Outcome::FunctionDescription(f) => function_description(text, f),
        Outcome::SourceDescription(d) => json!({
            "@type": "sourceDescription",
            "statementText": text,
            "sourceDescription": source_description(d),
            "warnings": [],
        }),
        Outcome::QueryDescription(d) => json!({
            "@type": "queryDescription",
            "statementText": text,
            "queryDescription": query_description(d),
            "warnings": [],
        }),
    }
}

/// `CommandStatusEntity`: the answer to CREATE, DROP, INSERT, TERMINATE, SET, ...
pub fn command_status_entity(statement_text: &str, status: &CommandStatus) -> Json {
    json!({
        "@type": "currentStatus",
        "statementText": statement_text,
        "commandId": status.command_id,
        "commandStatus": command_status(status),
        "commandSequenceNumber": status.sequence_number,
        "warnings": [],
    })
}

/// `CommandStatus`: `{"status":"SUCCESS","message":...,"queryId":...}`.
pub fn command_status(status: &CommandStatus) -> Json {
    json!({
        "status": "SUCCESS",
        "message": status.message,
        "queryId": status.query_id,
    })
}

/// `SourceInfo.Stream` / `SourceInfo.Table`.
fn source_info(s: &SourceInfo, kind: &str) -> Json {
    json!({
        "type": kind,
        "name": s.name,
        "topic": s.topic,
        "keyFormat": s.key_format,
        "valueFormat": s.value_format,
        "isWindowed": s.is_windowed,
    })
}

/// `RunningQuery`.
pub fn running_query(q: &QueryInfo) -> Json {
    let mut status_count = Map::new();
    status_count.insert(q.state.clone(), Json::from(1));
    json!({
        "queryString": q.query_string,
        "sinks": q.sinks,
        "sinkKafkaTopics": q.sink_topics,
        "id": q.id,
        "statusCount": status_count,
        "queryType": q.query_type,
        "state": q.state,
    })
}

/// `KafkaTopicInfo`.
fn topic_info(t: &TopicInfo) -> Json {
    json!({ "name": t.name, "replicaInfo": t.replica_info })
}

/// `PropertiesList`: the properties, and which of them this session overrode.
fn properties_entity(text: &str, properties: &[PropertyInfo]) -> Json {
    let list: Vec<Json> =
        properties.iter().map(|p| json!({ "name": p.name, "scope": p.scope, "value": p.value })).collect();
    let overwritten: Vec<&str> = properties.iter().filter(|p| p.overridden).map(|p| p.name.as_str()).collect();
    json!({
        "@type": "properties",
        "statementText": text,
        "properties": list,
        "overwrittenProperties": overwritten,
        "defaultProperties": [],
        "warnings": [],
    })
}

/// `SimpleFunctionInfo`.
fn simple_function_info(f: &FunctionInfo) -> Json {
    json!({ "name": f.name, "type": f.function_type, "category": f.category })
}

/// `FunctionDescriptionList`, with one `FunctionInfo` per signature.
fn function_description(text: &str, f: &FunctionDescription) -> Json {
    let variants: Vec<Json> = f
        .signatures
        .iter()
        .map(|sig| {
            let (args, return_type) = parse_signature(sig);
            let arguments: Vec<Json> = args
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "type": a.data_type,
                        "description": "",
                        "isVariadic": a.variadic,
                    })
                })
                .collect();
            let argument_types: Vec<&str> = args.iter().map(|a| a.data_type.as_str()).collect();
            json!({
                "arguments": arguments,
                "returnType": return_type,
                "description": "",
                "argumentTypes": argument_types,
            })
        })
        .collect();
    json!({
        "@type": "describe_function",
        "statementText": text,
        "name": f.name,
        "description": f.description,
        "author": "",
        "version": "",
        "path": f.path,
        "functions": variants,
        "type": f.function_type,
        "warnings": [],
    })
}

/// One argument of a function signature.
#[derive(Debug, Clone, PartialEq)]
struct Argument {
    name: String,
    data_type: String,
    variadic: bool,
}

/// Splits `NAME(a INT, b ARRAY<STRING>...) -> RET` into arguments and return type.
/// An argument is `name TYPE` or just `TYPE`; a trailing `...` marks it variadic.
fn parse_signature(sig: &str) -> (Vec<Argument>, String) {
    let Some(open) = sig.find('(') else {
        return (Vec::new(), String::new());
    };
    let mut depth = 0i32;
    let mut close = sig.len();
    for (i, c) in sig[open..].char_indices() {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => {
                depth -= 1;
                if depth == 0 && c == ')' {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = sig.get(open + 1..close).unwrap_or("");
    let return_type = sig.get(close + 1..).unwrap_or("").trim().trim_start_matches("->").trim().to_string();
    let args = split_top_level(inner, ',')
        .into_iter()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|arg| {
            let (arg, variadic) = match arg.strip_suffix("...") {
                Some(a) => (a.trim_end(), true),
                None => (arg, false),
            };
            match split_top_level(arg, ' ').as_slice() {
                [name, rest @ ..] if !rest.is_empty() => {
                    Argument { name: name.to_string(), data_type: arg[name.len()..].trim().to_string(), variadic }
                }
                _ => Argument { name: String::new(), data_type: arg.to_string(), variadic },
            }
        })
        .collect();
    (args, return_type)
}

/// Splits at `sep` outside `<...>` and `(...)`.
fn split_top_level(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `FieldInfo`: `{"name":..,"schema":{..}}`, plus `"type":"KEY"` for key columns.
pub fn field_info(f: &FieldInfo) -> Json {
    let mut object = Map::new();
    object.insert("name".into(), Json::from(f.name.clone()));
    object.insert("schema".into(), schema_info(&f.data_type));
    if f.key {
        object.insert("type".into(), Json::from("KEY"));
    }
    Json::Object(object)
}

/// `SchemaInfo`: the base type name, struct fields, the element (or map value) schema,
/// and decimal parameters.
pub fn schema_info(t: &DataType) -> Json {
    let (fields, member) = match t {
        DataType::Array(e) => (Json::Null, schema_info(e)),
        DataType::Map(_, v) => (Json::Null, schema_info(v)),
        DataType::Struct(fields) => (
            Json::Array(
                fields.iter().map(|f| json!({ "name": f.name, "schema": schema_info(&f.data_type) })).collect(),
            ),
            Json::Null,
        ),
        _ => (Json::Null, Json::Null),
    };
    let mut object = Map::new();
    object.insert("type".into(), Json::from(base_type_name(t)));
    object.insert("fields".into(), fields);
    object.insert("memberSchema".into(), member);
    if let DataType::Decimal { precision, scale } = t {
        object.insert("parameters".into(), json!({ "precision": precision, "scale": scale }));
    }
    Json::Object(object)
}

/// ksqlDB's `SqlBaseType` name.
fn base_type_name(t: &DataType) -> &'static str {
    match t {
        DataType::Boolean => "BOOLEAN",
        DataType::Int => "INTEGER",
        DataType::BigInt => "BIGINT",
        DataType::Double => "DOUBLE",
        DataType::Decimal { .. } => "DECIMAL",
        DataType::String | DataType::Null => "STRING",
        DataType::Bytes => "BYTES",
        DataType::Timestamp => "TIMESTAMP",
        DataType::Date => "DATE",
        DataType::Time => "TIME",
        DataType::Array(_) => "ARRAY",
        DataType::Map(..) => "MAP",
        DataType::Struct(_) => "STRUCT",
    }
}

/// `SourceDescription`.
pub fn source_description(d: &SourceDescription) -> Json {
    let (statistics, error_stats) = match &d.statistics {
        Some(s) if d.extended => statistics_text(s),
        _ => (String::new(), String::new()),
    };
    json!({
        "name": d.name,
        "windowType": null,
        "readQueries": d.read_queries.iter().map(running_query).collect::<Vec<_>>(),
        "writeQueries": d.write_queries.iter().map(running_query).collect::<Vec<_>>(),
        "fields": d.fields.iter().map(field_info).collect::<Vec<_>>(),
        "type": d.source_type,
        "timestamp": d.timestamp_column.clone().unwrap_or_default(),
        "statistics": statistics,
        "errorStats": error_stats,
        "extended": d.extended,
        "keyFormat": d.key_format,
        "valueFormat": d.value_format,
        "topic": d.topic,
        "partitions": d.partitions,
        "replication": d.replication,
        "statement": d.statement,
        "queryOffsetSummaries": [],
        "sourceConstraints": [],
    })
}

/// The `statistics` and `errorStats` strings, in ksqlDB's `name: value` layout.
fn statistics_text(s: &SourceStatistics) -> (String, String) {
    let mut stats = format!(
        "{:>16}:{:>10.2}   {:>16}:{:>10}   {:>16}:{:>10}",
        "messages-per-sec", s.messages_per_sec, "total-messages", s.messages_in, "messages-out", s.messages_out
    );
    if let Some(ms) = s.last_message_ms {
        stats.push_str(&format!("   {:>16}: {}", "last-message", format_timestamp(ms)));
    }
    let errors = format!("{:>16}:{:>10}", "failed-messages", s.failures);
    (stats, errors)
}

/// `QueryDescription`: the query's schema, sources and sinks, and its plans
/// (`executionPlan` the logical plan, `topology` the physical pipeline).
pub fn query_description(d: &QueryDescription) -> Json {
    json!({
        "id": d.id,
        "statementText": d.statement_text,
        "windowType": null,
        "fields": d.fields.iter().map(field_info).collect::<Vec<_>>(),
        "sources": d.sources,
        "sinks": d.sinks,
        "topology": d.physical_plan,
        "executionPlan": d.logical_plan,
        "overriddenProperties": {},
        "ksqlHostQueryStatus": {},
        "queryType": if d.id.starts_with("transient") || d.id.is_empty() { "PUSH" } else { "PERSISTENT" },
        "queryErrors": [],
        "tasksMetadata": [],
        "state": d.state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasp_sql::StructField;

    #[test]
    fn command_status_has_ksqldb_fields() {
        let r = StatementResult {
            statement_text: "CREATE STREAM S (A INT) WITH (kafka_topic='s', value_format='json');".into(),
            outcome: Outcome::Status(CommandStatus {
                command_id: "stream/`S`/create".into(),
                message: "Stream created".into(),
                query_id: None,
                sequence_number: 2,
            }),
        };
        assert_eq!(
            entity(&r),
            json!({
                "@type": "currentStatus",
                "statementText": r.statement_text,
                "commandId": "stream/`S`/create",
                "commandStatus": {"status": "SUCCESS", "message": "Stream created", "queryId": null},
                "commandSequenceNumber": 2,
                "warnings": [],
            })
        );
    }

    #[test]
    fn streams_list_matches_source_info() {
        let r = StatementResult {
            statement_text: "SHOW STREAMS;".into(),
            outcome: Outcome::Streams(vec![SourceInfo {
                name: "S".into(),
                topic: "s".into(),
                key_format: "KAFKA".into(),
                value_format: "JSON".into(),
                is_windowed: false,
            }]),
        };
        assert_eq!(
            entity(&r)["streams"][0],
            json!({"type":"STREAM","name":"S","topic":"s","keyFormat":"KAFKA","valueFormat":"JSON","isWindowed":false})
        );
    }

    #[test]
    fn schema_info_nests() {
        let t = DataType::Struct(vec![StructField {
            name: "A".into(),
            data_type: DataType::Array(Box::new(DataType::Decimal { precision: 4, scale: 2 })),
        }]);
        assert_eq!(
            schema_info(&t),
            json!({"type":"STRUCT","fields":[{"name":"A","schema":{"type":"ARRAY","fields":null,
                "memberSchema":{"type":"DECIMAL","fields":null,"memberSchema":null,
                "parameters":{"precision":4,"scale":2}}}}],"memberSchema":null})
        );
        let key = field_info(&FieldInfo { name: "ID".into(), data_type: DataType::BigInt, key: true });
        assert_eq!(key, json!({"name":"ID","schema":{"type":"BIGINT","fields":null,"memberSchema":null},"type":"KEY"}));
    }

    #[test]
    fn signatures_split_into_arguments() {
        let (args, ret) = parse_signature("SUBSTRING(str STRING, pos INT) -> STRING");
        assert_eq!(ret, "STRING");
        assert_eq!(args[0], Argument { name: "str".into(), data_type: "STRING".into(), variadic: false });
        assert_eq!(args[1].data_type, "INT");
        let (args, ret) = parse_signature("F(MAP<STRING, INT>, DECIMAL(4, 2), x INT...) -> ARRAY<INT>");
        assert_eq!(ret, "ARRAY<INT>");
        assert_eq!(args.len(), 3);
        assert_eq!(args[0].data_type, "MAP<STRING, INT>");
        assert_eq!(args[0].name, "");
        assert_eq!(args[1].data_type, "DECIMAL(4, 2)");
        assert!(args[2].variadic);
        assert_eq!(args[2].name, "x");
        assert_eq!(parse_signature("NOW() -> TIMESTAMP"), (vec![], "TIMESTAMP".to_string()));
    }
}
