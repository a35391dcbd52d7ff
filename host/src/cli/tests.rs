//! The shell against a server with a fake engine.

use std::io::Write as _;

use crate::server::tests::{FakeEngine, TestServer};

async fn script(server: &TestServer, sql: &str) -> (anyhow::Result<()>, String) {
    let mut out = Vec::new();
    let result = super::run_script(&server.url, sql, &mut out).await;
    (result, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn statements_print_messages_and_listings() {
    let server = TestServer::start(FakeEngine::default()).await;
    let (result, out) = script(
        &server,
        "CREATE STREAM S (A INT)\n  WITH (kafka_topic='s', value_format='json');\n-- list them\nSHOW STREAMS;",
    )
    .await;
    result.unwrap();
    assert_eq!(
        out,
        "
 Message        
----------------
 Stream created 
----------------

 Stream Name | Kafka Topic | Key Format | Value Format | Windowed 
------------------------------------------------------------------
 S           | s_topic     | KAFKA      | JSON         | false    
------------------------------------------------------------------
"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn queries_print_rows_as_they_arrive() {
    let server = TestServer::start(FakeEngine::default()).await;
    let (result, out) = script(&server, "SELECT * FROM S EMIT CHANGES LIMIT 2;").await;
    result.unwrap();
    let cell = |s: &str| format!("{s:<38}");
    let expected = format!(
        "+{dash}+{dash}+{dash}+\n|{}|{}|{}|\n+{dash}+{dash}+{dash}+\n|{}|{}|{}|\n|{}|{}|{}|\nQuery terminated\n",
        cell("NAME"),
        cell("N"),
        cell("TS"),
        cell("a"),
        cell("1"),
        cell("2020-01-01T00:00:00.000"),
        cell("b"),
        cell("2"),
        cell("2020-01-01T00:00:00.000"),
        dash = "-".repeat(38),
    );
    assert_eq!(out, expected);

    let (result, out) = script(&server, "PRINT 'topic' LIMIT 2;").await;
    result.unwrap();
    assert_eq!(out, "rowtime: 1, key: a, value: x\nrowtime: 2, key: b, value: y\n");

    let (result, out) = script(&server, "SELECT BROKEN FROM S EMIT CHANGES;").await;
    assert!(result.is_err());
    assert!(out.ends_with("internal error: boom\n"), "{out}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failing_statement_stops_the_script() {
    let server = TestServer::start(FakeEngine::default()).await;
    let (result, out) = script(&server, "SHOW STREAMS; BOGUS; SHOW STREAMS;").await;
    let error = result.unwrap_err();
    assert_eq!(error.to_string(), "line 1:1: mismatched input 'BOGUS;'");
    assert_eq!(out.matches("Stream Name").count(), 1);
    assert!(out.ends_with("line 1:1: mismatched input 'BOGUS;'\n"), "{out}");

    let (result, out) = script(&server, "SELECT * FROM X;").await;
    assert!(result.is_ok(), "{out}");
    let (result, out) = script(&server, "DROP STREAM X;").await;
    assert!(result.is_err());
    assert!(out.contains("mismatched input"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn set_properties_travel_with_requests() {
    let server = TestServer::start(FakeEngine::default()).await;
    let (result, out) =
        script(&server, "SET 'auto.offset.reset' = 'earliest'; SHOW STREAMS; SELECT * FROM S EMIT CHANGES LIMIT 1;")
            .await;
    result.unwrap();
    assert!(out.starts_with("Successfully changed local property 'auto.offset.reset' to 'earliest'.\n"));
    let props = server.engine.last_props.lock().unwrap().clone();
    assert_eq!(props.get("auto.offset.reset").map(String::as_str), Some("earliest"));

    let (result, out) = script(&server, "SET 'a'='1'; UNSET 'a'; SHOW STREAMS;").await;
    result.unwrap();
    assert!(out.contains("Successfully unset local property 'a' (value was '1')."));
    assert!(server.engine.last_props.lock().unwrap().is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn run_script_reads_a_local_file() {
    let server = TestServer::start(FakeEngine::default()).await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "CREATE STREAM S (A INT) WITH (kafka_topic='s');\nDESCRIBE S;").unwrap();
    let path = file.path().display().to_string();
    let (result, out) = script(&server, &format!("RUN SCRIPT '{path}';")).await;
    result.unwrap();
    assert!(out.contains(" Stream created "), "{out}");
    assert!(out.contains("Name                 : S\n"), "{out}");
    assert!(out.contains(" ID    | BIGINT           (key) \n"), "{out}");

    let (result, out) = script(&server, "RUN SCRIPT '/no/such/file.sql';").await;
    assert!(result.is_err());
    assert!(out.starts_with("Failed to read file '/no/such/file.sql'"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut out = Vec::new();
    let error = super::run_script(&url, "SHOW STREAMS;", &mut out).await.unwrap_err();
    assert!(error.to_string().starts_with("could not reach the server at http://127.0.0.1:"), "{error}");
    assert!(super::run_script("localhost:1", "SHOW STREAMS;", &mut out).await.is_err());
}

#[test]
fn set_and_run_script_arguments_parse() {
    assert_eq!(super::parse_set("SET 'a.b' = 'c''d';"), Some(("a.b".into(), "c'd".into())));
    assert_eq!(super::parse_set("set 'x'='';"), Some(("x".into(), String::new())));
    assert_eq!(super::parse_set("SET x = y;"), None);
    assert_eq!(super::parse_unset("UNSET 'a';"), Some("a".into()));
    assert_eq!(super::quoted_argument("RUN SCRIPT '/tmp/a b.sql';"), Some("/tmp/a b.sql".into()));
}
