//! Server answers as text, in the ksql CLI's layouts.

use serde_json::Value as Json;

use super::table::Table;

/// The entities of one `/ksql` answer: each after a blank line, with its statement when
/// there are several.
pub fn entities(list: &[Json], width: usize) -> String {
    let mut out = String::new();
    for e in list {
        out.push('\n');
        if list.len() > 1 {
            out.push_str(str_field(e, "statementText"));
            out.push('\n');
        }
        out.push_str(&entity(e, width));
        for w in e["warnings"].as_array().into_iter().flatten() {
            out.push_str(&format!("WARNING: {}\n", str_field(w, "message")));
        }
    }
    out
}

/// An error answer: the entities of the statements that ran, then the message.
pub fn error(body: &Json, width: usize) -> String {
    let mut out = String::new();
    if let Some(list) = body["entities"].as_array().filter(|l| !l.is_empty()) {
        out.push_str(&entities(list, width));
    }
    let message = match body.get("message") {
        Some(Json::String(m)) => m.clone(),
        Some(other) => other.to_string(),
        None => body.to_string(),
    };
    out.push_str(&message);
    out.push('\n');
    out
}

/// One entity.
pub fn entity(e: &Json, width: usize) -> String {
    match str_field(e, "@type") {
        "currentStatus" => {
            let message = str_field(&e["commandStatus"], "message").split('\n').next().unwrap_or("");
            Table::new(["Message"]).row([message]).render(width)
        }
        "streams" => sources(&e["streams"], "Stream Name").render(width),
        "tables" => sources(&e["tables"], "Table Name").render(width),
        "queries" => queries(&e["queries"]).render(width),
        "kafka_topics" => topics(&e["topics"]).render(width),
        "properties" => properties(e).render(width),
        "function_names" => functions(&e["functions"]).render(width),
        "describe_function" => describe_function(e),
        "sourceDescription" => source_description(&e["sourceDescription"], width),
        "queryDescription" => query_description(&e["queryDescription"], width),
        _ => format!("{}\n", serde_json::to_string_pretty(e).unwrap_or_default()),
    }
}

fn str_field<'a>(e: &'a Json, name: &str) -> &'a str {
    e[name].as_str().unwrap_or("")
}

fn items(v: &Json) -> &[Json] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// A JSON value as a table cell, the way Java's `toString` prints it: strings bare,
/// lists `[a, b]`, maps `{K=V}`.
pub fn cell(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::String(s) => s.clone(),
        Json::Array(items) => format!("[{}]", items.iter().map(cell).collect::<Vec<_>>().join(", ")),
        Json::Object(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{k}={}", cell(v))).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

fn sources(list: &Json, first_header: &str) -> Table {
    let mut rows: Vec<&Json> = items(list).iter().collect();
    rows.sort_by(|a, b| str_field(a, "name").cmp(str_field(b, "name")));
    let mut t = Table::new([first_header, "Kafka Topic", "Key Format", "Value Format", "Windowed"]);
    for s in rows {
        t = t.row([
            str_field(s, "name").to_string(),
            str_field(s, "topic").to_string(),
            str_field(s, "keyFormat").to_string(),
            str_field(s, "valueFormat").to_string(),
            s["isWindowed"].as_bool().unwrap_or(false).to_string(),
        ]);
    }
    t
}

fn queries(list: &Json) -> Table {
    let mut t = Table::new(["Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String"]);
    for q in items(list) {
        let status = match q["statusCount"].as_object().filter(|m| !m.is_empty()) {
            Some(counts) => counts.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","),
            None => q["state"].as_str().unwrap_or("N/A").to_string(),
        };
        let joined = |name: &str| items(&q[name]).iter().map(cell).collect::<Vec<_>>().join(",");
        t = t.row([
            str_field(q, "id").to_string(),
            str_field(q, "queryType").to_string(),
            status,
            joined("sinks"),
            joined("sinkKafkaTopics"),
            str_field(q, "queryString").replace('\n', " "),
        ]);
    }
    t.footer("For detailed information on a Query run: EXPLAIN <Query ID>;")
}

fn topics(list: &Json) -> Table {
    let mut t = Table::new(["Kafka Topic", "Partitions", "Partition Replicas"]);
    for topic in items(list) {
        let replicas: Vec<i64> = items(&topic["replicaInfo"]).iter().filter_map(Json::as_i64).collect();
        let replica_text = match replicas.first() {
            None => "0".to_string(),
            Some(first) if replicas.iter().all(|r| r == first) => first.to_string(),
            Some(_) => replicas.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
        };
        t = t.row([str_field(topic, "name").to_string(), replicas.len().to_string(), replica_text]);
    }
    t
}

fn properties(e: &Json) -> Table {
    let names = |field: &str| items(&e[field]).iter().filter_map(Json::as_str).map(str::to_string).collect::<Vec<_>>();
    let (overwritten, defaults) = (names("overwrittenProperties"), names("defaultProperties"));
    let mut rows: Vec<&Json> = items(&e["properties"]).iter().collect();
    rows.sort_by(|a, b| str_field(a, "name").cmp(str_field(b, "name")));
    let mut t = Table::new(["Property", "Scope", "Default override", "Effective Value"]);
    for p in rows {
        let name = str_field(p, "name");
        let over = if overwritten.iter().any(|n| n == name) {
            "SESSION"
        } else if defaults.iter().any(|n| n == name) {
            ""
        } else {
            "SERVER"
        };
        let value = p["value"].as_str().unwrap_or("NULL");
        t = t.row([name, str_field(p, "scope"), over, value]);
    }
    t
}

fn functions(list: &Json) -> Table {
    let mut fns: Vec<&Json> = items(list).iter().collect();
    fns.sort_by(|a, b| {
        (str_field(a, "category"), str_field(a, "name")).cmp(&(str_field(b, "category"), str_field(b, "name")))
    });
    let mut t = Table::new(["Function Name", "Category"]);
    let mut previous: Option<&str> = None;
    for f in fns {
        let category = str_field(f, "category");
        let category = if category.is_empty() { str_field(f, "type") } else { category };
        if previous.is_some_and(|p| p != category) {
            t = t.row([" ", " "]);
        }
        t = t.row([str_field(f, "name"), category]);
        previous = Some(category);
    }
    t.footer("For detailed information about a function, run: DESCRIBE FUNCTION <Function Name>;")
}

fn describe_function(e: &Json) -> String {
    let name = str_field(e, "name").to_uppercase();
    let mut out = String::new();
    let line = |out: &mut String, label: &str, value: &str| out.push_str(&format!("{label:<12}: {value}\n"));
    line(&mut out, "Name", &name);
    for (label, field) in [("Author", "author"), ("Version", "version"), ("Overview", "description")] {
        let value = str_field(e, field).trim();
        if !value.is_empty() {
            line(&mut out, label, value);
        }
    }
    line(&mut out, "Type", str_field(e, "type"));
    line(&mut out, "Module", str_field(e, "path"));
    line(&mut out, "Variations", "");
    for f in items(&e["functions"]) {
        let args: Vec<String> = items(&f["arguments"])
            .iter()
            .map(|a| {
                let ty = format!("{}{}", str_field(a, "type"), if a["isVariadic"] == true { "[]" } else { "" });
                match str_field(a, "name") {
                    "" => ty,
                    n => format!("{n} {ty}"),
                }
            })
            .collect();
        out.push_str(&format!("\n\t{:<12}: {}({})\n", "Variation", name, args.join(", ")));
        out.push_str(&format!("\t{:<12}: {}\n", "Returns", str_field(f, "returnType")));
        let description = str_field(f, "description").trim();
        if !description.is_empty() {
            out.push_str(&format!("\t{:<12}: {}\n", "Description", description));
        }
    }
    out
}

/// A column type as the CLI prints it (`VARCHAR(STRING)`, `ARRAY<INTEGER>`, ...).
fn type_string(schema: &Json) -> String {
    let member = || type_string(&schema["memberSchema"]);
    match str_field(schema, "type") {
        "STRING" => "VARCHAR(STRING)".into(),
        "ARRAY" => format!("ARRAY<{}>", member()),
        "MAP" => format!("MAP<STRING, {}>", member()),
        "STRUCT" => format!(
            "STRUCT<{}>",
            items(&schema["fields"])
                .iter()
                .map(|f| format!("{} {}", str_field(f, "name"), type_string(&f["schema"])))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "DECIMAL" => match (schema["parameters"].get("precision"), schema["parameters"].get("scale")) {
            (Some(p), Some(s)) => format!("DECIMAL({p}, {s})"),
            _ => "DECIMAL".into(),
        },
        other => other.to_string(),
    }
}

fn schema_table(fields: &Json, is_table: bool, width: usize) -> String {
    let fields = items(fields);
    if fields.is_empty() {
        return String::new();
    }
    let mut t = Table::new(["Field", "Type"]);
    for f in fields {
        let ty = type_string(&f["schema"]);
        let ty = if str_field(f, "type") == "KEY" {
            format!("{ty:<16} {}", if is_table { "(primary key)" } else { "(key)" })
        } else {
            ty
        };
        t = t.row([str_field(f, "name").to_string(), ty]);
    }
    t.render(width)
}

fn labelled(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("{label:<20} : {value}\n"));
}

fn section(out: &mut String, title: &str, underline: &str) {
    out.push_str(&format!("\n{title:<20}\n{underline:<20}\n"));
}

fn source_description(d: &Json, width: usize) -> String {
    let is_table = str_field(d, "type").eq_ignore_ascii_case("TABLE");
    let mut out = String::new();
    labelled(&mut out, "Name", str_field(d, "name"));
    if d["extended"] != true {
        out.push_str(&schema_table(&d["fields"], is_table, width));
        out.push_str("For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;\n");
        return out;
    }
    labelled(&mut out, "Type", str_field(d, "type"));
    let timestamp = match str_field(d, "timestamp") {
        "" => "Not set - using <ROWTIME>",
        t => t,
    };
    labelled(&mut out, "Timestamp field", timestamp);
    labelled(&mut out, "Key format", str_field(d, "keyFormat"));
    labelled(&mut out, "Value format", str_field(d, "valueFormat"));
    let topic = str_field(d, "topic");
    if !topic.is_empty() {
        let partitions = d["partitions"].as_i64().unwrap_or(0);
        let value = if partitions != 0 {
            format!("{topic} (partitions: {partitions}, replication: {})", d["replication"].as_i64().unwrap_or(0))
        } else {
            topic.to_string()
        };
        labelled(&mut out, "Kafka topic", &value);
    }
    labelled(&mut out, "Statement", str_field(d, "statement"));
    out.push('\n');
    out.push_str(&schema_table(&d["fields"], is_table, width));
    let kind = str_field(d, "type");
    for (field, operation) in [("readQueries", "read"), ("writeQueries", "write")] {
        let list = items(&d[field]);
        if list.is_empty() {
            continue;
        }
        section(&mut out, &format!("Queries that {operation} from this {kind}"), "-----------------------------------");
        for q in list {
            out.push_str(&format!(
                "{} ({}) : {}\n",
                str_field(q, "id"),
                q["state"].as_str().unwrap_or("N/A"),
                str_field(q, "queryString").replace('\n', " ")
            ));
        }
        out.push_str("\nFor query topology and execution plan please run: EXPLAIN <QueryId>\n");
    }
    out.push_str("\nLocal runtime statistics\n------------------------\n");
    out.push_str(str_field(d, "statistics"));
    out.push('\n');
    out.push_str(str_field(d, "errorStats"));
    out.push('\n');
    out.push_str(&format!("(Statistics of the local wasp server interaction with the Kafka topic {topic})\n"));
    out
}

fn query_description(q: &Json, width: usize) -> String {
    let mut out = String::new();
    labelled(&mut out, "ID", str_field(q, "id"));
    labelled(&mut out, "Query Type", str_field(q, "queryType"));
    let sql = str_field(q, "statementText");
    if !sql.is_empty() {
        labelled(&mut out, "SQL", sql);
    }
    out.push('\n');
    out.push_str(&schema_table(&q["fields"], false, width));
    let names = |field: &str| items(&q[field]).iter().map(cell).collect::<Vec<_>>();
    let sources = names("sources");
    if !sources.is_empty() {
        section(&mut out, "Sources that this query reads from: ", "-----------------------------------");
        for s in sources {
            out.push_str(&format!("{s}\n"));
        }
        out.push_str("\nFor source description please run: DESCRIBE [EXTENDED] <SourceId>\n");
    }
    let sinks = names("sinks");
    if !sinks.is_empty() {
        section(&mut out, "Sinks that this query writes to: ", "-----------------------------------");
        for s in sinks {
            out.push_str(&format!("{s}\n"));
        }
        out.push_str("\nFor sink description please run: DESCRIBE [EXTENDED] <SinkId>\n");
    }
    for (field, title, underline) in [
        ("executionPlan", "Execution plan", "--------------"),
        ("topology", "Processing topology", "-------------------"),
    ] {
        let text = str_field(q, field);
        if !text.is_empty() {
            section(&mut out, title, underline);
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn command_status_prints_the_message() {
        let e = json!({"@type":"currentStatus","statementText":"CREATE STREAM S;","commandId":"x",
            "commandStatus":{"status":"SUCCESS","message":"Stream created","queryId":null},
            "commandSequenceNumber":1,"warnings":[]});
        assert_eq!(entities(&[e], 200), "\n Message        \n----------------\n Stream created \n----------------\n");
    }

    #[test]
    fn describe_prints_fields_with_key_markers() {
        let d = json!({"@type":"sourceDescription","statementText":"DESCRIBE S;","warnings":[],"sourceDescription":{
        "name":"S","type":"TABLE","extended":false,"fields":[
            {"name":"ID","schema":{"type":"BIGINT","fields":null,"memberSchema":null},"type":"KEY"},
            {"name":"TAGS","schema":{"type":"ARRAY","fields":null,"memberSchema":{"type":"STRING","fields":null,"memberSchema":null}}}
        ]}});
        let text = entity(&d, 200);
        assert_eq!(
            text,
            "Name                 : S\n\
             \x20Field | Type                           \n\
             ----------------------------------------\n\
             \x20ID    | BIGINT           (primary key) \n\
             \x20TAGS  | ARRAY<VARCHAR(STRING)>         \n\
             ----------------------------------------\n\
             For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;\n"
        );
    }

    #[test]
    fn errors_print_entities_then_message() {
        let body = json!({"@type":"statement_error","error_code":40001,"message":"boom","statementText":"X;",
            "entities":[{"@type":"streams","statementText":"SHOW STREAMS;","streams":[],"warnings":[]}]});
        let text = error(&body, 200);
        assert!(text.starts_with("\n Stream Name | Kafka Topic"), "{text}");
        assert!(text.ends_with("boom\n"));
    }

    #[test]
    fn cells_print_like_java() {
        assert_eq!(cell(&json!({"A": [1, "x"], "B": null})), "{A=[1, x], B=null}");
        assert_eq!(cell(&json!(1.5)), "1.5");
    }

    #[test]
    fn function_listing_groups_categories() {
        let e = json!({"@type":"function_names","statementText":"SHOW FUNCTIONS;","warnings":[],"functions":[
            {"name":"UCASE","type":"SCALAR","category":"STRING"},
            {"name":"ABS","type":"SCALAR","category":"MATHEMATICAL"},
            {"name":"LCASE","type":"SCALAR","category":"STRING"}]});
        let text = entity(&e, 200);
        let names: Vec<&str> = text.lines().skip(2).take(4).map(|l| l.split('|').next().unwrap().trim()).collect();
        assert_eq!(names, vec!["ABS", "", "LCASE", "UCASE"]);
    }
}
