//! WebAssembly functions over a real broker: `CREATE FUNCTION` deploys the Rust
//! `mask_email` component (from `$WASP_UDFS_DIR`, default `<repo>/target/udfs`, where
//! `scripts/build-udfs` puts the built guests) and an inline core module into a running
//! server, and a persistent query over them writes the expected records.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{self, ksql_ok, query_id_of, read_topic, seal, wait_until_caught_up, Outgoing, SERVER_ARGS};

const RECORDS: i64 = 300;

fn udfs_dir() -> PathBuf {
    std::env::var_os("WASP_UDFS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/udfs"))
}

fn email(id: i64) -> String {
    if id % 10 == 3 {
        format!("not-an-address-{id}")
    } else {
        format!("user{id}@example.com")
    }
}

fn masked(id: i64) -> Value {
    if id % 10 == 3 {
        return Value::Null;
    }
    let local = format!("user{id}");
    json!(format!("u{}@example.com", "*".repeat(local.len() - 1)))
}

#[tokio::test(flavor = "multi_thread")]
async fn webassembly_functions_in_a_persistent_query() {
    let module = udfs_dir().join("mask_email-rust.wasm");
    if !module.is_file() {
        // scripts/test builds the guests first: under CI a missing one is a failure.
        assert!(std::env::var_os("CI").is_none(), "{} is not built, and under CI it must be", module.display());
        eprintln!("skipping: {} is not built (scripts/build-udfs)", module.display());
        return;
    }
    let dir = udfs_dir().canonicalize().expect("the guests' directory");
    let broker = Tansu::start();
    broker.create_topic("signups", 1).await;
    let mut args: Vec<&str> = SERVER_ARGS.to_vec();
    let dir_arg = dir.display().to_string();
    args.extend(["--functions-dir", dir_arg.as_str()]);
    let wasp = WaspServer::start(broker.bootstrap(), &args).await;

    ksql_ok(
        &wasp,
        &format!(
            "CREATE FUNCTION mask_email(email VARCHAR) RETURNS VARCHAR AS WASM FROM 'file://{}';",
            module.canonicalize().expect("the module").display()
        ),
    )
    .await;
    let core = wat::parse_str(
        r#"(module (func (export "Triple") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3))))"#,
    )
    .expect("WAT");
    let core = base64::engine::general_purpose::STANDARD.encode(core);
    ksql_ok(&wasp, &format!("CREATE FUNCTION triple(x BIGINT) RETURNS BIGINT AS WASM FROM BASE64 '{core}';")).await;
    // Outside the functions directory: refused, naming it.
    let refused = wasp.ksql("CREATE FUNCTION f AS WASM FROM 'file:///etc/hostname';").await;
    assert!(refused.to_string().contains("outside the functions directory"), "{refused}");

    // The same function in the other languages the guest build produced, under
    // their own names.
    let mut twins = Vec::new();
    for lang in ["c", "python", "js"] {
        let file = udfs_dir().join(format!("mask_email-{lang}.wasm"));
        let Ok(file) = file.canonicalize() else {
            eprintln!("no {}: its twin is not checked", file.display());
            continue;
        };
        ksql_ok(
            &wasp,
            &format!(
                "CREATE FUNCTION mask_email_{lang}(email VARCHAR) RETURNS VARCHAR AS WASM FROM 'file://{}' WITH (EXPORT='mask_email');",
                file.display()
            ),
        )
        .await;
        twins.push(format!("MASK_EMAIL_{}", lang.to_uppercase()));
    }
    let twin_columns: String = twins.iter().map(|t| format!(", {t}(email) AS {t}")).collect();

    ksql_ok(
        &wasp,
        "CREATE STREAM signups (id BIGINT, email VARCHAR) WITH (kafka_topic='signups', value_format='JSON');",
    )
    .await;
    let csas = ksql_ok(
        &wasp,
        &format!(
            "CREATE STREAM masked AS SELECT id, mask_email(email) AS email, triple(id) AS t{twin_columns} FROM signups WHERE id >= 0;"
        ),
    )
    .await;
    let query = query_id_of(&csas);
    let producer = support::producer(&broker);
    let records: Vec<Outgoing> =
        (0..RECORDS).map(|id| Outgoing::new(0, json!({ "id": id, "email": email(id) }).to_string())).collect();
    support::produce(&producer, "signups", &records).await;
    seal(&broker, "signups", r#"{"id": -1, "email": "x"}"#).await;
    wait_until_caught_up(&broker, &query, "signups", Duration::from_secs(90)).await;
    seal(&broker, "MASKED", r#"{"ID": -1}"#).await;

    let mut out: Vec<Value> = read_topic(&broker, "MASKED").await.iter().map(|r| r.json()).collect();
    out.retain(|v| v["ID"] != -1);
    assert_eq!(out.len(), RECORDS as usize, "one output per input");
    for (i, v) in out.iter().enumerate() {
        let id = i as i64;
        let mut want = json!({ "ID": id, "EMAIL": masked(id), "T": 3 * id });
        for t in &twins {
            want[t] = masked(id);
        }
        assert_eq!(v, &want, "record {id}");
    }
    let described = ksql_ok(&wasp, "DESCRIBE FUNCTION mask_email;").await;
    let text = described[0].to_string();
    assert!(text.contains("WebAssembly component") && text.contains(&format!("rows {RECORDS},")), "{text}");
    assert!(text.contains(&format!("errors {}", RECORDS / 10)), "{text}");
    // In use: DROP is refused, naming the query.
    let refused = wasp.ksql("DROP FUNCTION mask_email;").await;
    assert!(refused.to_string().contains(&query), "{refused}");
}
