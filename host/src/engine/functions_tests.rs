//! `CREATE FUNCTION` end to end on the in-memory broker: a persistent query over the
//! Rust `mask_email` component, refusals, DROP while in use, restart, and a replace
//! under a running query that loses and duplicates nothing.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use super::*;
use crate::connectors::memory::MemoryBroker;
use crate::udf::wasm::tests::{guest, udfs_dir};

fn engine(broker: &MemoryBroker, dir: &std::path::Path) -> Arc<Engine> {
    let mut properties = BTreeMap::new();
    properties.insert("auto.offset.reset".to_owned(), "earliest".to_owned());
    let config = EngineConfig {
        data_dir: Some(dir.to_owned()),
        properties,
        batch_size: 16,
        functions_dir: Some(udfs_dir()),
        ..EngineConfig::default()
    };
    Engine::open(config, Arc::new(broker.clone())).unwrap()
}

fn run(e: &Engine, sql: &str) -> Result<Vec<Outcome>, String> {
    e.execute_sync(sql, &RequestProperties::new())
        .map(|r| r.into_iter().map(|s| s.outcome).collect())
        .map_err(|e| e.error.to_string())
}

fn values(broker: &MemoryBroker, topic: &str) -> Vec<serde_json::Value> {
    broker
        .records(topic)
        .into_iter()
        .filter_map(|(_, _, _, v)| v)
        .map(|v| serde_json::from_slice(&v).unwrap())
        .collect()
}

fn describe(e: &Engine, name: &str) -> FunctionDescription {
    match run(e, &format!("DESCRIBE FUNCTION {name};")).unwrap().remove(0) {
        Outcome::FunctionDescription(d) => d,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_persistent_query_over_the_mask_email_component() {
    if guest("mask_email-rust.wasm").is_none() {
        return;
    }
    let broker = MemoryBroker::new();
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&broker, dir.path());
    let url = format!("file://{}/mask_email-rust.wasm", udfs_dir().canonicalize().unwrap().display());
    // A declared signature that does not match is refused, naming what differs.
    let err =
        run(&e, &format!("CREATE FUNCTION mask_email(email INT) RETURNS VARCHAR AS WASM FROM '{url}';")).unwrap_err();
    assert!(err.contains("parameter 1 (EMAIL) is declared INTEGER, the module's mask_email takes STRING"), "{err}");
    run(&e, &format!("CREATE FUNCTION mask_email(email VARCHAR) RETURNS VARCHAR AS WASM FROM '{url}';")).unwrap();
    run(
        &e,
        "CREATE STREAM signups (id INT KEY, email VARCHAR) WITH (kafka_topic='signups', partitions=1, value_format='JSON');
         CREATE STREAM masked AS SELECT id, mask_email(email) AS email FROM signups;",
    )
    .unwrap();
    for (i, email) in ["alice@example.com", "bogus", "bob@b.io"].iter().enumerate() {
        let v = serde_json::json!({ "EMAIL": email }).to_string();
        broker.produce("signups", Some(0), Some((i as i32).to_be_bytes().as_slice()), Some(v.as_bytes()), 0).unwrap();
    }
    e.drain(Duration::from_secs(30)).unwrap();
    let out = values(&broker, "MASKED");
    let emails: Vec<&serde_json::Value> = out.iter().map(|v| &v["EMAIL"]).collect();
    assert_eq!(
        emails,
        [&serde_json::json!("a****@example.com"), &serde_json::Value::Null, &serde_json::json!("b**@b.io")]
    );
    // The bad row is in the processing log with the function and its origin.
    let log: Vec<String> = broker
        .records("wasp_processing_log")
        .into_iter()
        .filter_map(|(_, _, _, v)| v.map(|v| String::from_utf8_lossy(&v).into_owned()))
        .collect();
    assert!(log.iter().any(|l| l.contains("MASK_EMAIL") && l.contains("no '@'") && l.contains("signups")), "{log:?}");
    // SHOW FUNCTIONS marks it, DESCRIBE FUNCTION shows the module and statistics.
    let Outcome::Functions(fns) = run(&e, "SHOW FUNCTIONS;").unwrap().remove(0) else { panic!() };
    assert!(fns.iter().any(|f| f.name == "MASK_EMAIL" && f.category == "WEBASSEMBLY"));
    let d = describe(&e, "mask_email");
    assert_eq!(d.signatures, ["MASK_EMAIL(EMAIL STRING) -> STRING"]);
    assert!(d.path.starts_with("wasm:component sha256:"), "{}", d.path);
    assert!(d.description.contains("rows 3, errors 1, traps 0"), "{}", d.description);
    // In use: no DROP, naming the query; built-ins are neither dropped nor replaced.
    let err = run(&e, "DROP FUNCTION mask_email;").unwrap_err();
    assert!(err.contains("CSAS_MASKED_0"), "{err}");
    assert!(run(&e, "DROP FUNCTION ucase;").unwrap_err().contains("built-in"));
    assert!(run(&e, &format!("CREATE OR REPLACE FUNCTION ucase AS WASM FROM '{url}';"))
        .unwrap_err()
        .contains("built-in"));
    // A restart reloads the function from the stored module and resumes the query.
    e.shutdown();
    drop(e);
    let e = engine(&broker, dir.path());
    assert!(describe(&e, "MASK_EMAIL").path.contains(&d.path["wasm:component ".len()..]));
    let v = serde_json::json!({ "EMAIL": "carol@c.org" }).to_string();
    broker.produce("signups", Some(0), Some(9i32.to_be_bytes().as_slice()), Some(v.as_bytes()), 0).unwrap();
    e.drain(Duration::from_secs(30)).unwrap();
    assert_eq!(values(&broker, "MASKED").last().unwrap()["EMAIL"], "c****@c.org");
    run(&e, "TERMINATE ALL;").unwrap();
    run(&e, "DROP FUNCTION mask_email;").unwrap();
    assert!(run(&e, "DESCRIBE FUNCTION mask_email;").is_err());
    run(&e, "DROP FUNCTION IF EXISTS mask_email;").unwrap();
    e.shutdown();
}

fn core_base64(factor: i32) -> String {
    let wat = format!(
        "(module (func (export \"scale\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const {factor}))))"
    );
    base64::engine::general_purpose::STANDARD.encode(wat::parse_str(wat).unwrap())
}

#[test]
fn bad_modules_are_refused_with_the_reason() {
    let broker = MemoryBroker::new();
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&broker, dir.path());
    let create =
        |from: &str| run(&e, &format!("CREATE FUNCTION f(x INT) RETURNS INT AS WASM FROM {from};")).unwrap_err();
    assert!(create("BASE64 '!!!'").contains("BASE64 module is malformed"));
    assert!(create("BASE64 'aGVsbG8='").contains("not WebAssembly"));
    assert!(create("'file:///etc/passwd'").contains("outside the functions directory"));
    let missing = format!("'file://{}/nope.wasm'", udfs_dir().display());
    assert!(create(&missing).contains("nope.wasm"), "{}", create(&missing));
    assert!(create("'ftp://x/y.wasm'").contains("cannot load a module from 'ftp://x/y.wasm'"));
    let b64 = core_base64(2);
    assert!(create(&format!("BASE64 '{b64}'")).contains("exports no function 'F'"));
    let err =
        run(&e, &format!("CREATE FUNCTION f(x DOUBLE) RETURNS INT AS WASM FROM BASE64 '{b64}' WITH (EXPORT='scale');"))
            .unwrap_err();
    assert!(err.contains("parameter 1 (X) is declared DOUBLE, the export 'scale' takes i32"), "{err}");
    let err = run(
        &e,
        &format!("CREATE FUNCTION f(x INT) RETURNS INT AS WASM FROM BASE64 '{b64}' WITH (MEMORY_LIMIT='lots');"),
    )
    .unwrap_err();
    assert!(err.contains("MEMORY_LIMIT"), "{err}");
    run(&e, &format!("CREATE FUNCTION scale(x INT) RETURNS INT AS WASM FROM BASE64 '{b64}' WITH (MEMORY_LIMIT='32MB', TIMEOUT_MS=100);"))
        .unwrap();
    let err = run(&e, &format!("CREATE FUNCTION scale(x INT) RETURNS INT AS WASM FROM BASE64 '{b64}';")).unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    e.shutdown();
}

#[test]
fn replace_under_a_running_query_loses_and_duplicates_nothing() {
    let broker = MemoryBroker::new();
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&broker, dir.path());
    run(&e, &format!("CREATE FUNCTION scale(x INT) RETURNS INT AS WASM FROM BASE64 '{}';", core_base64(2))).unwrap();
    run(
        &e,
        "CREATE STREAM nums (id INT KEY, x INT) WITH (kafka_topic='nums', partitions=1, value_format='JSON');
         CREATE STREAM scaled AS SELECT id, x, scale(x) AS y FROM nums;",
    )
    .unwrap();
    let produce = |from: i32, to: i32| {
        for i in from..to {
            let v = serde_json::json!({ "X": i }).to_string();
            broker.produce("nums", Some(0), Some(i.to_be_bytes().as_slice()), Some(v.as_bytes()), 0).unwrap();
        }
    };
    produce(0, 500);
    // A replacement that no longer fits the running query is refused, naming it.
    let bigint = wat::parse_str(r#"(module (func (export "scale") (param i64) (result i64) (local.get 0)))"#).unwrap();
    let bigint = base64::engine::general_purpose::STANDARD.encode(bigint);
    let err =
        run(&e, &format!("CREATE OR REPLACE FUNCTION scale(x BIGINT) RETURNS BIGINT AS WASM FROM BASE64 '{bigint}';"))
            .unwrap_err();
    assert!(err.contains("CSAS_SCALED_0"), "{err}");
    // Swap while the query runs.
    run(&e, &format!("CREATE OR REPLACE FUNCTION scale(x INT) RETURNS INT AS WASM FROM BASE64 '{}';", core_base64(3)))
        .unwrap();
    produce(500, 1000);
    e.drain(Duration::from_secs(60)).unwrap();
    let out = values(&broker, "SCALED");
    assert_eq!(out.len(), 1000, "every record once");
    let mut switched = false;
    for (i, v) in out.iter().enumerate() {
        assert_eq!(v["X"], i as i64, "in order, none lost or duplicated");
        let y = v["Y"].as_i64().unwrap();
        if y == 3 * i as i64 && i > 0 {
            switched = true;
        } else {
            assert!(!switched && y == 2 * i as i64, "record {i}: {y} after the switch");
        }
    }
    assert!(switched, "the output switched to the new code");
    assert_eq!(out[999]["Y"], 2997);
    e.shutdown();
}
