//! HTTP-level tests of the server against a fake engine that answers canned results.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use serde_json::{json, Map, Value as Json};
use wasp_sql::{DataType, Value};

use crate::api::*;

/// Sets its flag when dropped: proves a row stream was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[derive(Default)]
pub(crate) struct FakeEngine {
    pub closed: Mutex<Vec<String>>,
    pub inserted: Mutex<Vec<(String, Map<String, Json>)>>,
    pub stream_dropped: Arc<AtomicBool>,
    pub unhealthy: bool,
    /// The properties of the last request.
    pub last_props: Mutex<RequestProperties>,
}

fn columns() -> Vec<ColumnInfo> {
    vec![
        ColumnInfo { name: "NAME".into(), data_type: DataType::String },
        ColumnInfo { name: "N".into(), data_type: DataType::Int },
        ColumnInfo { name: "TS".into(), data_type: DataType::Timestamp },
    ]
}

fn row(name: &str, n: i32) -> Vec<Value> {
    vec![Value::string(name), Value::Int(n), Value::Timestamp(1_577_836_800_000)]
}

fn status(text: &str, id: &str, message: &str, seq: u64) -> StatementResult {
    StatementResult {
        statement_text: text.into(),
        outcome: Outcome::Status(CommandStatus {
            command_id: id.into(),
            message: message.into(),
            query_id: None,
            sequence_number: seq,
        }),
    }
}

impl KsqlEngine for FakeEngine {
    fn execute<'a>(
        &'a self,
        sql: &'a str,
        props: &'a RequestProperties,
    ) -> BoxFuture<'a, Result<Vec<StatementResult>, StatementError>> {
        Box::pin(async move {
            *self.last_props.lock().unwrap() = props.clone();
            let mut done = Vec::new();
            for (i, stmt) in sql.split_inclusive(';').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
                let upper = stmt.to_uppercase();
                if upper.starts_with("CREATE STREAM") {
                    done.push(status(stmt, "stream/`S`/create", "Stream created", i as u64 + 1));
                } else if upper.starts_with("SHOW STREAMS") {
                    done.push(StatementResult {
                        statement_text: stmt.into(),
                        outcome: Outcome::Streams(vec![SourceInfo {
                            name: "S".into(),
                            topic: "s_topic".into(),
                            key_format: "KAFKA".into(),
                            value_format: "JSON".into(),
                            is_windowed: false,
                        }]),
                    });
                } else if upper.starts_with("DESCRIBE") {
                    done.push(StatementResult {
                        statement_text: stmt.into(),
                        outcome: Outcome::SourceDescription(SourceDescription {
                            name: "S".into(),
                            source_type: "STREAM".into(),
                            fields: vec![
                                FieldInfo { name: "ID".into(), data_type: DataType::BigInt, key: true },
                                FieldInfo { name: "NAME".into(), data_type: DataType::String, key: false },
                            ],
                            topic: "s_topic".into(),
                            key_format: "KAFKA".into(),
                            value_format: "JSON".into(),
                            timestamp_column: None,
                            partitions: 1,
                            replication: 1,
                            statement: "CREATE STREAM S ...".into(),
                            read_queries: vec![],
                            write_queries: vec![],
                            extended: false,
                            statistics: None,
                        }),
                    });
                } else if upper.starts_with("KAFKA") {
                    return Err(StatementError {
                        error: EngineError::Kafka("broker down".into()),
                        statement_text: stmt.into(),
                        completed: done,
                    });
                } else {
                    return Err(StatementError {
                        error: EngineError::Statement(format!("line 1:1: mismatched input '{stmt}'")),
                        statement_text: stmt.into(),
                        completed: done,
                    });
                }
            }
            Ok(done)
        })
    }

    fn query<'a>(
        &'a self,
        sql: &'a str,
        props: &'a RequestProperties,
    ) -> BoxFuture<'a, Result<QueryStart, EngineError>> {
        Box::pin(async move {
            *self.last_props.lock().unwrap() = props.clone();
            let upper = sql.to_uppercase();
            if upper.starts_with("PRINT") {
                let lines =
                    vec![Ok("rowtime: 1, key: a, value: x".to_string()), Ok("rowtime: 2, key: b, value: y".into())];
                return Ok(QueryStart::Print(PrintStream { lines: stream::iter(lines).boxed() }));
            }
            if !upper.starts_with("SELECT") {
                return Err(EngineError::Statement(format!("Not a query: {sql}")));
            }
            let rows: Vec<Result<Vec<Value>, EngineError>> = vec![Ok(row("a", 1)), Ok(row("b", 2))];
            let rows = if upper.contains("FOREVER") {
                let flag = DropFlag(self.stream_dropped.clone());
                stream::iter(rows)
                    .chain(stream::pending())
                    .map(move |r| {
                        let _keep = &flag;
                        r
                    })
                    .boxed()
            } else if upper.contains("BROKEN") {
                stream::iter(rows).chain(stream::iter([Err(EngineError::Internal("boom".into()))])).boxed()
            } else {
                stream::iter(rows).boxed()
            };
            Ok(QueryStart::Rows(PushQuery { id: "transient_S_1".into(), columns: columns(), rows, pull: false }))
        })
    }

    fn close_query(&self, query_id: &str) -> Result<(), EngineError> {
        if query_id.starts_with("transient") {
            self.closed.lock().unwrap().push(query_id.to_string());
            Ok(())
        } else {
            Err(EngineError::NotFound(format!("No query with id {query_id}")))
        }
    }

    fn insert_json(&self, target: &str, row: Map<String, Json>) -> Result<crate::api::InsertAck, EngineError> {
        if row.contains_key("fail") {
            return Err(EngineError::Statement("Cannot coerce field fail".into()));
        }
        let late = row.contains_key("late_ack_error");
        self.inserted.lock().unwrap().push((target.to_string(), row));
        Ok(Box::pin(async move {
            if late {
                Err(EngineError::Kafka("the broker refused the record".into()))
            } else {
                Ok(())
            }
        }))
    }

    fn info(&self) -> ServerInfo {
        ServerInfo {
            version: "0.1.0".into(),
            kafka_cluster_id: "cluster-1".into(),
            service_id: "wasp_".into(),
            status: "RUNNING".into(),
        }
    }

    fn health(&self) -> BoxFuture<'_, Health> {
        let ok = !self.unhealthy;
        Box::pin(async move { Health { metastore: true, kafka: ok } })
    }
}

/// A running server on a loopback port.
pub(crate) struct TestServer {
    pub url: String,
    pub engine: Arc<FakeEngine>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    pub async fn start(engine: FakeEngine) -> TestServer {
        let engine = Arc::new(engine);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(super::serve(engine.clone(), listener, async move {
            let _ = stopped.await;
        }));
        TestServer { url, engine, stop: Some(stop), task }
    }

    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await?
    }
}

fn http1() -> reqwest::Client {
    reqwest::Client::builder().http1_only().build().unwrap()
}

fn h2c() -> reqwest::Client {
    reqwest::Client::builder().http2_prior_knowledge().build().unwrap()
}

async fn post(client: &reqwest::Client, url: String, body: Json) -> reqwest::Response {
    client.post(url).body(body.to_string()).send().await.unwrap()
}

#[tokio::test]
async fn ksql_answers_one_entity_per_statement() {
    let server = TestServer::start(FakeEngine::default()).await;
    let sql = "CREATE STREAM S (ID BIGINT KEY) WITH (kafka_topic='s', value_format='json'); SHOW STREAMS;";
    let resp = http1()
        .post(format!("{}/ksql", server.url))
        .header("Accept", "application/vnd.ksql.v1+json")
        .header("Content-Type", "application/vnd.ksql.v1+json")
        .body(json!({"ksql": sql, "streamsProperties": {"auto.offset.reset": "earliest"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/vnd.ksql.v1+json");
    let body: Json = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!([
            {
                "@type": "currentStatus",
                "statementText": "CREATE STREAM S (ID BIGINT KEY) WITH (kafka_topic='s', value_format='json');",
                "commandId": "stream/`S`/create",
                "commandStatus": {"status": "SUCCESS", "message": "Stream created", "queryId": null},
                "commandSequenceNumber": 1,
                "warnings": []
            },
            {
                "@type": "streams",
                "statementText": "SHOW STREAMS;",
                "streams": [{"type": "STREAM", "name": "S", "topic": "s_topic", "keyFormat": "KAFKA",
                             "valueFormat": "JSON", "isWindowed": false}],
                "warnings": []
            }
        ])
    );

    let status: Json = http1().get(format!("{}/status", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(status, json!({"commandStatuses": {"stream/`S`/create": "SUCCESS"}}));
    let one = http1().get(format!("{}/status/stream/`S`/create", server.url)).send().await.unwrap();
    assert_eq!(one.status(), 200);
    assert_eq!(one.json::<Json>().await.unwrap()["message"], "Stream created");
    let missing = http1().get(format!("{}/status/stream/`X`/create", server.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn ksql_errors_have_ksqldb_shapes() {
    let server = TestServer::start(FakeEngine::default()).await;
    let client = http1();

    let resp = post(&client, format!("{}/ksql", server.url), json!({"ksql": "SHOW STREAMS; SELEKT 1;"})).await;
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.unwrap();
    assert_eq!(body["@type"], "statement_error");
    assert_eq!(body["error_code"], 40001);
    assert_eq!(body["statementText"], "SELEKT 1;");
    assert_eq!(body["message"], "line 1:1: mismatched input 'SELEKT 1;'");
    assert_eq!(body["entities"][0]["@type"], "streams");

    let resp = post(&client, format!("{}/ksql", server.url), json!({"ksql": "KAFKA;"})).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.json::<Json>().await.unwrap()["error_code"], 50301);

    let resp = client.post(format!("{}/ksql", server.url)).body("{not json").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.unwrap();
    assert_eq!(body["@type"], "generic_error");
    assert_eq!(body["error_code"], 40000);

    let resp = post(&client, format!("{}/ksql", server.url), json!({"sql": "SHOW STREAMS;"})).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Json>().await.unwrap()["error_code"], 40000);

    let resp = post(&client, format!("{}/ksql", server.url), json!({"ksql": 7})).await;
    assert_eq!(resp.status(), 400);

    let resp = client.get(format!("{}/nowhere", server.url)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Json>().await.unwrap()["error_code"], 40400);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn query_streams_the_old_chunked_format() {
    let server = TestServer::start(FakeEngine::default()).await;
    let resp =
        post(&http1(), format!("{}/query", server.url), json!({"ksql": "SELECT * FROM S EMIT CHANGES LIMIT 2;"})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.headers()["transfer-encoding"], "chunked");
    assert_eq!(resp.headers()["content-type"], "application/json");
    let text = resp.text().await.unwrap();
    assert_eq!(
        text,
        "[{\"header\":{\"queryId\":\"transient_S_1\",\"schema\":\"`NAME` STRING, `N` INTEGER, `TS` TIMESTAMP\"}},\n\
         {\"row\":{\"columns\":[\"a\",1,\"2020-01-01T00:00:00.000\"]}},\n\
         {\"row\":{\"columns\":[\"b\",2,\"2020-01-01T00:00:00.000\"]}},\n\
         {\"finalMessage\":\"Limit Reached\"}]\n"
    );
    let parsed: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 4);

    let text = post(&http1(), format!("{}/query", server.url), json!({"ksql": "SELECT BROKEN FROM S EMIT CHANGES;"}))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.ends_with(
            "{\"errorMessage\":{\"@type\":\"generic_error\",\"error_code\":50000,\"message\":\"internal error: boom\"}}]\n"
        ),
        "{text}"
    );

    let resp = post(&http1(), format!("{}/query", server.url), json!({"ksql": "CREATE STREAM X;"})).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Json>().await.unwrap()["@type"], "statement_error");

    let text = post(&http1(), format!("{}/query", server.url), json!({"ksql": "PRINT 't' LIMIT 2;"}))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, "rowtime: 1, key: a, value: x\nrowtime: 2, key: b, value: y\n");
    server.shutdown().await.unwrap();
}

const DELIMITED_EXPECTED: &str = "{\"queryId\":\"transient_S_1\",\"columnNames\":[\"NAME\",\"N\",\"TS\"],\
\"columnTypes\":[\"STRING\",\"INTEGER\",\"TIMESTAMP\"]}\n\
[\"a\",1,\"2020-01-01T00:00:00.000\"]\n[\"b\",2,\"2020-01-01T00:00:00.000\"]\n";

#[tokio::test]
async fn query_stream_is_delimited_over_http1_and_h2c() {
    let server = TestServer::start(FakeEngine::default()).await;
    let body = json!({"sql": "SELECT * FROM S EMIT CHANGES LIMIT 2;", "properties": {"auto.offset.reset": "earliest"}});

    let resp = post(&http1(), format!("{}/query-stream", server.url), body.clone()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.headers()["content-type"], "application/vnd.ksqlapi.delimited.v1");
    assert_eq!(resp.text().await.unwrap(), DELIMITED_EXPECTED);

    let resp = h2c()
        .post(format!("{}/query-stream", server.url))
        .header("Accept", "application/vnd.ksqlapi.delimited.v1")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), DELIMITED_EXPECTED);

    let resp = h2c()
        .post(format!("{}/query-stream", server.url))
        .header("Accept", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let all: Json = resp.json().await.unwrap();
    assert_eq!(
        all,
        json!([
            {"queryId": "transient_S_1", "columnNames": ["NAME", "N", "TS"], "columnTypes": ["STRING", "INTEGER", "TIMESTAMP"]},
            ["a", 1, "2020-01-01T00:00:00.000"],
            ["b", 2, "2020-01-01T00:00:00.000"]
        ])
    );

    let text =
        post(&h2c(), format!("{}/query-stream", server.url), json!({"sql": "SELECT BROKEN FROM S EMIT CHANGES;"}))
            .await
            .text()
            .await
            .unwrap();
    let last: Json = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last, json!({"@type": "generic_error", "error_code": 50000, "message": "internal error: boom"}));

    let resp = post(&h2c(), format!("{}/query-stream", server.url), json!({"ksql": "SELECT 1;"})).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Json>().await.unwrap()["error_code"], 40000);

    let print = h2c()
        .post(format!("{}/query-stream", server.url))
        .header("Accept", "application/json")
        .body(json!({"sql": "PRINT 't';"}).to_string())
        .send()
        .await
        .unwrap()
        .json::<Json>()
        .await
        .unwrap();
    assert_eq!(print, json!(["rowtime: 1, key: a, value: x", "rowtime: 2, key: b, value: y"]));
    server.shutdown().await.unwrap();
}

async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn disconnect_closes_the_query(client: reqwest::Client) {
    let server = TestServer::start(FakeEngine::default()).await;
    let mut resp =
        post(&client, format!("{}/query-stream", server.url), json!({"sql": "SELECT FOREVER FROM S EMIT CHANGES;"}))
            .await;
    let mut seen = String::new();
    while seen.matches('\n').count() < 3 {
        let chunk = resp.chunk().await.unwrap().expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!server.engine.stream_dropped.load(Ordering::SeqCst));
    drop(resp);
    drop(client);
    let engine = server.engine.clone();
    wait_for("the row stream to be dropped", || engine.stream_dropped.load(Ordering::SeqCst)).await;
    wait_for("close_query", || engine.closed.lock().unwrap().as_slice() == ["transient_S_1"]).await;
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn disconnecting_closes_the_query_http1() {
    disconnect_closes_the_query(http1()).await;
}

#[tokio::test]
async fn disconnecting_closes_the_query_h2c() {
    disconnect_closes_the_query(h2c()).await;
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let server = TestServer::start(FakeEngine::default()).await;
    let mut resp =
        post(&h2c(), format!("{}/query-stream", server.url), json!({"sql": "SELECT FOREVER FROM S EMIT CHANGES;"}))
            .await;
    resp.chunk().await.unwrap();
    let reader = tokio::spawn(async move {
        let mut rest = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            rest.extend_from_slice(&chunk);
        }
        rest
    });
    let engine = server.engine.clone();
    tokio::time::timeout(Duration::from_secs(5), server.shutdown()).await.expect("shutdown finishes").unwrap();
    reader.await.unwrap();
    assert_eq!(engine.closed.lock().unwrap().as_slice(), ["transient_S_1"]);
}

#[tokio::test]
async fn close_query_stops_or_answers_404() {
    let server = TestServer::start(FakeEngine::default()).await;
    let resp = post(&h2c(), format!("{}/close-query", server.url), json!({"queryId": "transient_S_1"})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "");
    let resp = post(&h2c(), format!("{}/close-query", server.url), json!({"queryId": "CSAS_X_1"})).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Json>().await.unwrap()["error_code"], 40400);
    let resp = post(&h2c(), format!("{}/close-query", server.url), json!({})).await;
    assert_eq!(resp.status(), 400);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn inserts_stream_acks_each_row() {
    let server = TestServer::start(FakeEngine::default()).await;
    // A row refused when it is read, and one the broker refuses later: both are acked
    // in row order.
    let body =
        "{\"target\":\"S\"}\n{\"NAME\":\"a\",\"N\":1}\n{\"fail\":true}\n\n{\"late_ack_error\":1}\n{\"NAME\":\"b\"}\n";
    let resp = http1().post(format!("{}/inserts-stream", server.url)).body(body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text().await.unwrap(),
        "{\"status\":\"ok\",\"seq\":0}\n\
         {\"status\":\"error\",\"seq\":1,\"error_code\":40001,\"message\":\"Cannot coerce field fail\"}\n\
         {\"status\":\"error\",\"seq\":2,\"error_code\":50301,\"message\":\"the broker refused the record\"}\n\
         {\"status\":\"ok\",\"seq\":3}\n"
    );
    assert_eq!(server.engine.inserted.lock().unwrap().len(), 3);

    // Over HTTP/2, with rows sent one by one as a streaming body, acks as a JSON array.
    let chunks: Vec<Result<String, std::io::Error>> =
        vec![Ok("{\"target\":\"S\"}\n{\"N\":".into()), Ok("3}\n".into()), Ok("oops\n{\"N\":4}\n".into())];
    let resp = h2c()
        .post(format!("{}/inserts-stream", server.url))
        .header("Accept", "application/json")
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let acks: Json = resp.json().await.unwrap();
    assert_eq!(
        acks,
        json!([
            {"status": "ok", "seq": 0},
            {"status": "error", "seq": 1, "error_code": 40000, "message": "Invalid JSON in inserts stream"}
        ])
    );
    assert_eq!(server.engine.inserted.lock().unwrap().len(), 4);

    let resp = http1().post(format!("{}/inserts-stream", server.url)).body("{\"nottarget\":1}\n").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn info_and_healthcheck() {
    let server = TestServer::start(FakeEngine::default()).await;
    let info: Json = h2c().get(format!("{}/info", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        info,
        json!({"KsqlServerInfo": {"version": "0.1.0", "kafkaClusterId": "cluster-1",
                                  "ksqlServiceId": "wasp_", "serverStatus": "RUNNING"}})
    );
    let health = http1().get(format!("{}/healthcheck", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Json>().await.unwrap(),
        json!({"isHealthy": true, "details": {"metastore": {"isHealthy": true}, "kafka": {"isHealthy": true}}})
    );
    server.shutdown().await.unwrap();

    let server = TestServer::start(FakeEngine { unhealthy: true, ..FakeEngine::default() }).await;
    let health = http1().get(format!("{}/healthcheck", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 503);
    assert_eq!(health.json::<Json>().await.unwrap()["details"]["kafka"]["isHealthy"], false);
    server.shutdown().await.unwrap();
}
