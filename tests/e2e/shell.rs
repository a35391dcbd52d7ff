//! The `wasp` binary as the shell, run with `--execute` against a server: it
//! prints ksqlDB's tables, streams a push query as a table, and stops at the
//! first failing statement with its error and a non-zero exit status.

use std::process::Output;
use std::time::Duration;

use crate::broker::Tansu;
use crate::server::{wasp_binary, WaspServer};
use crate::support::{ksql_ok, SERVER_ARGS};

/// Runs `wasp --server <url> --execute <sql>` and returns what it printed.
async fn shell(wasp: &WaspServer, sql: &str) -> Output {
    let run = tokio::process::Command::new(wasp_binary())
        .args(["--server", &wasp.url(), "--execute", sql])
        .env("RUST_BACKTRACE", "0")
        .env_remove("WASP_SERVER")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .unwrap_or_else(|_| panic!("the shell did not finish {sql:?} within 60 s"))
        .expect("run the wasp shell")
}

/// The cells of the table lines of `text` (lines with `|`), trimmed.
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|line| line.contains('|'))
        .map(|line| line.trim().trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect())
        .collect()
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|&c| c.to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_executes_statements_and_prints_tables() {
    let broker = Tansu::start();
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;

    let output = shell(
        &wasp,
        "CREATE STREAM readings (sensor VARCHAR, reading INT) \
           WITH (kafka_topic='readings', partitions=1, value_format='JSON');\n\
         SHOW STREAMS;\n\
         INSERT INTO readings (sensor, reading) VALUES ('s-1', 10);\n\
         INSERT INTO readings (sensor, reading) VALUES ('s-2', 20);\n\
         SELECT sensor, reading FROM readings EMIT CHANGES LIMIT 2;",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {}\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);
    assert!(stdout.contains("Stream created"), "{stdout}");
    let rows = table_rows(&stdout);
    let listing = rows
        .iter()
        .position(|r| *r == strings(&["Stream Name", "Kafka Topic", "Key Format", "Value Format", "Windowed"]))
        .unwrap_or_else(|| panic!("no SHOW STREAMS header in:\n{stdout}"));
    assert_eq!(rows[listing + 1], strings(&["READINGS", "readings", "KAFKA", "JSON", "false"]), "{stdout}");
    let results = rows
        .iter()
        .position(|r| *r == strings(&["SENSOR", "READING"]))
        .unwrap_or_else(|| panic!("no query header in:\n{stdout}"));
    assert_eq!(rows[results + 1..], [strings(&["s-1", "10"]), strings(&["s-2", "20"])], "{stdout}");

    // A bad statement: its error, a failing exit status, and nothing after it runs.
    let output = shell(
        &wasp,
        "SHOW STREAMS;\n\
         CREATE STREAM broken (a INT WITH (kafka_topic='broken', value_format='JSON');\n\
         CREATE STREAM never (a INT) WITH (kafka_topic='never', partitions=1, value_format='JSON');",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let printed = format!("{stdout}{stderr}");
    assert!(!output.status.success(), "a failing statement must fail the shell:\n{printed}");
    assert!(table_rows(&stdout).iter().any(|r| r[0] == "READINGS"), "SHOW STREAMS ran first:\n{stdout}");
    let error = "line 1:29: Syntax error";
    assert_eq!(printed.matches(error).count(), 1, "the error, printed once:\n{printed}");
    let streams = ksql_ok(&wasp, "SHOW STREAMS;").await;
    let names: Vec<&str> =
        streams[0]["streams"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["READINGS"], "the statement after the failing one did not run");
}
