//! The REST API answers the way ksqlDB does, field by field, so ksqlDB's clients
//! work unchanged: `/ksql` entities and errors, the chunked `/query`, the
//! delimited and JSON `/query-stream` (over HTTP/1.1 and cleartext HTTP/2),
//! `/inserts-stream`, `/close-query`, `/info` and `/healthcheck`.

use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, TRANSFER_ENCODING};
use reqwest::{Client, StatusCode, Version};
use serde_json::{json, Value};

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{ksql_ok, SERVER_ARGS};

const DELIMITED: &str = "application/vnd.ksqlapi.delimited.v1";
const KSQL_JSON: &str = "application/vnd.ksql.v1+json";

/// How long a streaming answer may take to send what a test waits for.
const STREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// An answer: status, content type and body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("answer {} is not JSON ({err}): {}", self.status, self.body))
    }
}

async fn post(client: &Client, url: &str, accept: &str, body: impl Into<reqwest::Body>) -> (Answer, Version) {
    let response = client
        .post(url)
        .header(ACCEPT, accept)
        .header(CONTENT_TYPE, KSQL_JSON)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|err| panic!("POST {url}: {err}"));
    let status = response.status();
    let version = response.version();
    let content_type =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = tokio::time::timeout(STREAM_TIMEOUT, response.text())
        .await
        .unwrap_or_else(|_| panic!("POST {url}: the answer did not end within {STREAM_TIMEOUT:?}"))
        .unwrap_or_else(|err| panic!("POST {url}: reading the body: {err}"));
    (Answer { status, content_type, body }, version)
}

async fn ksql(client: &Client, wasp: &WaspServer, sql: &str) -> Answer {
    let body = json!({ "ksql": sql, "streamsProperties": {} }).to_string();
    post(client, &format!("{}/ksql", wasp.url()), KSQL_JSON, body).await.0
}

/// The lines of a delimited answer, each parsed as JSON.
fn json_lines(body: &str) -> Vec<Value> {
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|err| panic!("line is not JSON ({err}): {l}")))
        .collect()
}

/// The `commandSequenceNumber` of a command status entity.
fn sequence_number(entity: &Value) -> u64 {
    entity["commandSequenceNumber"].as_u64().unwrap_or_else(|| panic!("no commandSequenceNumber in {entity}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn ksql_endpoint_answers_like_ksqldb() {
    let broker = Tansu::start();
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    let http = Client::new();

    // CREATE STREAM: a currentStatus entity, nothing more and nothing less.
    let create = "CREATE STREAM pageviews (viewtime BIGINT, userid VARCHAR, pageid VARCHAR) \
                  WITH (kafka_topic='pageviews', partitions=2, value_format='JSON', timestamp='viewtime');";
    let answer = ksql(&http, &wasp, create).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, KSQL_JSON);
    let entities = answer.json();
    let first_seq = sequence_number(&entities[0]);
    assert_eq!(
        entities,
        json!([{
            "@type": "currentStatus",
            "statementText": create,
            "commandId": "stream/`PAGEVIEWS`/create",
            "commandStatus": {"status": "SUCCESS", "message": "Stream created", "queryId": null},
            "commandSequenceNumber": first_seq,
            "warnings": [],
        }])
    );

    // CREATE STREAM AS SELECT: the message and queryId name the new query.
    let csas = "CREATE STREAM pageviews_home AS SELECT userid, UCASE(pageid) AS page FROM pageviews \
                WHERE pageid LIKE 'home%' EMIT CHANGES;";
    let entities = ksql(&http, &wasp, csas).await.json();
    let query_id = entities[0]["commandStatus"]["queryId"].as_str().expect("a query id").to_owned();
    assert!(query_id.starts_with("CSAS_PAGEVIEWS_HOME_"), "query id {query_id}");
    assert_eq!(
        entities,
        json!([{
            "@type": "currentStatus",
            "statementText": csas,
            "commandId": "stream/`PAGEVIEWS_HOME`/create",
            "commandStatus": {
                "status": "SUCCESS",
                "message": format!("Created query with ID {query_id}"),
                "queryId": query_id,
            },
            "commandSequenceNumber": first_seq + 1,
            "warnings": [],
        }])
    );

    // SHOW STREAMS
    assert_eq!(
        ksql(&http, &wasp, "SHOW STREAMS;").await.json(),
        json!([{
            "@type": "streams",
            "statementText": "SHOW STREAMS;",
            "streams": [
                {"type": "STREAM", "name": "PAGEVIEWS", "topic": "pageviews", "keyFormat": "KAFKA",
                 "valueFormat": "JSON", "isWindowed": false},
                {"type": "STREAM", "name": "PAGEVIEWS_HOME", "topic": "PAGEVIEWS_HOME", "keyFormat": "KAFKA",
                 "valueFormat": "JSON", "isWindowed": false},
            ],
            "warnings": [],
        }])
    );

    // SHOW QUERIES
    let running_query = json!({
        "queryString": csas,
        "sinks": ["PAGEVIEWS_HOME"],
        "sinkKafkaTopics": ["PAGEVIEWS_HOME"],
        "id": query_id,
        "statusCount": {"RUNNING": 1},
        "queryType": "PERSISTENT",
        "state": "RUNNING",
    });
    assert_eq!(
        ksql(&http, &wasp, "SHOW QUERIES;").await.json(),
        json!([{"@type": "queries", "statementText": "SHOW QUERIES;", "queries": [running_query], "warnings": []}])
    );

    // DESCRIBE: the source, its schema, its readers; no statistics.
    let described = ksql(&http, &wasp, "DESCRIBE pageviews;").await.json();
    assert_eq!(described[0]["@type"], "sourceDescription");
    assert_eq!(described[0]["statementText"], "DESCRIBE pageviews;");
    let source = &described[0]["sourceDescription"];
    let scalar = |t: &str| json!({"type": t, "fields": null, "memberSchema": null});
    assert_eq!(source["name"], "PAGEVIEWS");
    assert_eq!(source["type"], "STREAM");
    assert_eq!(source["topic"], "pageviews");
    assert_eq!(source["keyFormat"], "KAFKA");
    assert_eq!(source["valueFormat"], "JSON");
    assert_eq!(source["partitions"], 2);
    assert_eq!(source["replication"], 1);
    assert_eq!(source["timestamp"], "VIEWTIME");
    assert_eq!(source["statement"], create);
    assert_eq!(source["extended"], false);
    assert_eq!(source["statistics"], "");
    assert_eq!(source["errorStats"], "");
    assert_eq!(source["windowType"], Value::Null);
    assert_eq!(
        source["fields"],
        json!([
            {"name": "VIEWTIME", "schema": scalar("BIGINT")},
            {"name": "USERID", "schema": scalar("STRING")},
            {"name": "PAGEID", "schema": scalar("STRING")},
        ])
    );
    assert_eq!(source["readQueries"], json!([running_query]));
    assert_eq!(source["writeQueries"], json!([]));

    // DESCRIBE EXTENDED: the same plus runtime statistics, in ksqlDB's text layout.
    let described = ksql(&http, &wasp, "DESCRIBE EXTENDED pageviews_home;").await.json();
    let sink = &described[0]["sourceDescription"];
    assert_eq!(sink["extended"], true);
    assert_eq!(sink["writeQueries"][0]["id"], query_id.as_str());
    assert_eq!(
        sink["fields"],
        json!([{"name": "USERID", "schema": scalar("STRING")}, {"name": "PAGE", "schema": scalar("STRING")}])
    );
    let statistics = sink["statistics"].as_str().expect("statistics text");
    assert!(statistics.contains("messages-per-sec:") && statistics.contains("messages-out:"), "{statistics}");
    assert!(sink["errorStats"].as_str().expect("errorStats text").contains("failed-messages:"), "{sink}");

    // SHOW TOPICS: one replica count per partition; the sink topic takes the
    // source's partition count, as ksqlDB's does.
    let topics = ksql(&http, &wasp, "SHOW TOPICS;").await.json();
    assert_eq!(topics[0]["@type"], "kafka_topics");
    let listed = topics[0]["topics"].as_array().expect("topics");
    assert!(listed.contains(&json!({"name": "pageviews", "replicaInfo": [1, 1]})), "{listed:?}");
    assert!(listed.contains(&json!({"name": "PAGEVIEWS_HOME", "replicaInfo": [1, 1]})), "{listed:?}");

    // SHOW FUNCTIONS
    let functions = ksql(&http, &wasp, "SHOW FUNCTIONS;").await.json();
    assert_eq!(functions[0]["@type"], "function_names");
    let names = functions[0]["functions"].as_array().expect("functions");
    let ucase = names.iter().find(|f| f["name"] == "UCASE").unwrap_or_else(|| panic!("no UCASE in {names:?}"));
    assert_eq!(ucase["type"], "SCALAR");
    assert!(ucase["category"].is_string(), "{ucase}");

    // EXPLAIN <query id>
    let explained = ksql(&http, &wasp, &format!("EXPLAIN {query_id};")).await.json();
    assert_eq!(explained[0]["@type"], "queryDescription");
    let description = &explained[0]["queryDescription"];
    assert_eq!(description["id"], query_id.as_str());
    assert_eq!(description["statementText"], csas);
    assert_eq!(description["sources"], json!(["PAGEVIEWS"]));
    assert_eq!(description["sinks"], json!(["PAGEVIEWS_HOME"]));
    assert_eq!(description["queryType"], "PERSISTENT");
    assert_eq!(description["state"], "RUNNING");
    assert!(description["executionPlan"].as_str().is_some_and(|p| p.contains("Filter")), "{description}");
    assert!(description["topology"].as_str().is_some_and(|p| p.contains("Sink[topic=PAGEVIEWS_HOME")), "{description}");

    // A bad statement: 400 statement_error 40001 with line:column.
    let bad = "CREATE STREAM broken (a INT WITH (kafka_topic='broken', value_format='JSON');";
    let answer = ksql(&http, &wasp, bad).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let error = answer.json();
    assert_eq!(error["@type"], "statement_error");
    assert_eq!(error["error_code"], 40001);
    assert_eq!(error["statementText"], bad);
    assert_eq!(error["entities"], json!([]));
    let message = error["message"].as_str().expect("a message");
    assert!(message.starts_with("line 1:29:"), "the message should give line:column: {message}");

    // The statements before a failing one ran; their entities come with the error.
    let two = "CREATE STREAM second (a INT) WITH (kafka_topic='second', partitions=1, value_format='JSON'); \
               DROP STREAM pageviews;";
    let answer = ksql(&http, &wasp, two).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let error = answer.json();
    assert_eq!(error["@type"], "statement_error");
    assert_eq!(error["statementText"], "DROP STREAM pageviews;");
    assert!(error["message"].as_str().is_some_and(|m| m.contains(&query_id)), "{error}");
    assert_eq!(error["entities"][0]["commandId"], "stream/`SECOND`/create");
    assert_eq!(sequence_number(&error["entities"][0]), first_seq + 2);

    // A body that is not JSON: 400 generic_error 40000.
    let (answer, _) = post(&http, &format!("{}/ksql", wasp.url()), KSQL_JSON, "SHOW STREAMS;").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let error = answer.json();
    assert_eq!(error["@type"], "generic_error");
    assert_eq!(error["error_code"], 40000);
    assert!(error["message"].is_string());
    assert_eq!(error.as_object().map(|o| o.len()), Some(3), "{error}");

    // GET /info and GET /healthcheck
    let info: Value =
        http.get(format!("{}/info", wasp.url())).send().await.expect("GET /info").json().await.expect("JSON");
    let server = &info["KsqlServerInfo"];
    assert!(server["version"].as_str().is_some_and(|v| !v.is_empty()), "{info}");
    assert!(server["kafkaClusterId"].as_str().is_some_and(|v| !v.is_empty()), "{info}");
    assert_eq!(server["ksqlServiceId"], "default_");
    assert_eq!(server["serverStatus"], "RUNNING");
    assert_eq!(server.as_object().map(|o| o.len()), Some(4), "{info}");
    let health = http.get(format!("{}/healthcheck", wasp.url())).send().await.expect("GET /healthcheck");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<Value>().await.expect("JSON"),
        json!({"isHealthy": true, "details": {"metastore": {"isHealthy": true}, "kafka": {"isHealthy": true}}})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn streaming_endpoints_answer_like_ksqldb() {
    let broker = Tansu::start();
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    let http = Client::new();
    ksql_ok(
        &wasp,
        "CREATE STREAM clicks (id INT, page VARCHAR) WITH (kafka_topic='clicks', partitions=1, value_format='JSON');",
    )
    .await;

    // POST /inserts-stream: arguments, then one row per line; one ack per row. The
    // target is case-insensitive, as ksqlDB's clients send it (ksql-python-ng sends
    // the name as the user wrote it).
    let rows = "{\"target\":\"clicks\"}\n{\"ID\":1,\"PAGE\":\"home\"}\n{\"id\":2,\"page\":\"about\"}\n\
                {\"ID\":3,\"PAGE\":\"shop\"}\n{\"ID\":\"four\",\"PAGE\":\"x\"}\n";
    let (answer, _) = post(&http, &format!("{}/inserts-stream", wasp.url()), DELIMITED, rows).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let acks = json_lines(&answer.body);
    assert_eq!(
        acks[..3],
        [json!({"status":"ok","seq":0}), json!({"status":"ok","seq":1}), json!({"status":"ok","seq":2})]
    );
    assert_eq!(acks.len(), 4, "{acks:?}");
    assert_eq!(acks[3]["status"], "error");
    assert_eq!(acks[3]["seq"], 3);
    assert_eq!(acks[3]["error_code"], 40000);
    assert!(acks[3]["message"].as_str().is_some_and(|m| m.contains("ID")), "{}", acks[3]);
    let expected_rows = [json!([1, "home"]), json!([2, "about"]), json!([3, "shop"])];

    // Many rows in one request are pipelined and acknowledged in order.
    let mut many = String::from("{\"target\":\"`CLICKS`\"}\n");
    for i in 0..2000 {
        // Negative ids: the push query below reads `id > 2`.
        many.push_str(&format!("{{\"ID\":{},\"PAGE\":\"bulk\"}}\n", -1 - i));
    }
    let (answer, _) = post(&http, &format!("{}/inserts-stream", wasp.url()), DELIMITED, many.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let acks = json_lines(&answer.body);
    assert_eq!(acks.len(), 2000);
    for (i, ack) in acks.iter().enumerate() {
        assert_eq!(ack, &json!({"status":"ok","seq":i}), "ack {i}");
    }

    // POST /query: a chunked JSON array of header, rows and a final message.
    let body = json!({"ksql": "SELECT id, page FROM clicks EMIT CHANGES LIMIT 3;", "streamsProperties": {}});
    let response = http
        .post(format!("{}/query", wasp.url()))
        .header(ACCEPT, KSQL_JSON)
        .json(&body)
        .send()
        .await
        .expect("POST /query");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get(TRANSFER_ENCODING).map(|v| v.as_bytes()), Some(&b"chunked"[..]));
    let text = tokio::time::timeout(STREAM_TIMEOUT, response.text()).await.expect("/query ends").expect("a body");
    let chunks: Value =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("/query body is not JSON ({err}): {text}"));
    let header = &chunks[0]["header"];
    assert!(header["queryId"].as_str().is_some_and(|id| id.starts_with("transient_CLICKS_")), "{header}");
    assert_eq!(header["schema"], "`ID` INTEGER, `PAGE` STRING");
    let rows: Vec<&Value> = chunks.as_array().expect("an array")[1..4].iter().map(|c| &c["row"]["columns"]).collect();
    assert_eq!(rows, expected_rows.iter().collect::<Vec<_>>());
    assert_eq!(chunks[4], json!({"finalMessage": "Limit Reached"}));
    assert_eq!(chunks.as_array().map(Vec::len), Some(5), "{chunks}");

    // POST /query-stream, delimited: a metadata line, then one array per line.
    let body = json!({"sql": "SELECT id, page FROM clicks EMIT CHANGES LIMIT 3;", "properties": {}}).to_string();
    let url = format!("{}/query-stream", wasp.url());
    let (answer, version) = post(&http, &url, DELIMITED, body.clone()).await;
    assert_eq!(version, Version::HTTP_11);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, DELIMITED);
    let lines = json_lines(&answer.body);
    let query_id = lines[0]["queryId"].as_str().expect("a query id").to_owned();
    assert!(query_id.starts_with("transient_CLICKS_"), "{query_id}");
    assert_eq!(
        lines[0],
        json!({"queryId": query_id, "columnNames": ["ID", "PAGE"], "columnTypes": ["INTEGER", "STRING"]})
    );
    assert_eq!(lines[1..], expected_rows);

    // POST /query-stream, application/json: the same documents as one array.
    let (answer, _) = post(&http, &url, "application/json", body.clone()).await;
    assert_eq!(answer.content_type, "application/json");
    let documents = answer.json();
    assert_eq!(documents[0]["columnNames"], json!(["ID", "PAGE"]));
    assert_ne!(documents[0]["queryId"], query_id.as_str(), "each query gets its own id");
    assert_eq!(documents.as_array().expect("an array")[1..], expected_rows);

    // The same over cleartext HTTP/2 with prior knowledge, as the Java client does.
    let h2 = Client::builder().http2_prior_knowledge().build().expect("an HTTP/2 client");
    let (answer, version) = post(&h2, &url, DELIMITED, body).await;
    assert_eq!(version, Version::HTTP_2);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let lines = json_lines(&answer.body);
    assert_eq!(lines[0]["columnTypes"], json!(["INTEGER", "STRING"]));
    assert_eq!(lines[1..], expected_rows);

    // A push query without LIMIT streams new rows as they arrive, until
    // POST /close-query ends it.
    let body = json!({"sql": "SELECT page FROM clicks WHERE id > 2 EMIT CHANGES;"}).to_string();
    let response = h2.post(&url).header(ACCEPT, DELIMITED).body(body).send().await.expect("POST /query-stream");
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.bytes_stream();
    let mut received = String::new();
    let mut next_line = async || loop {
        if let Some(end) = received.find('\n') {
            let line: String = received.drain(..=end).collect();
            if !line.trim().is_empty() {
                return Some(serde_json::from_str::<Value>(&line).expect("a JSON line"));
            }
            continue;
        }
        let chunk = tokio::time::timeout(STREAM_TIMEOUT, stream.next()).await.expect("more of the stream in time")?;
        received.push_str(std::str::from_utf8(&chunk.expect("a chunk")).expect("UTF-8"));
    };
    let metadata = next_line().await.expect("the metadata line");
    let push_id = metadata["queryId"].as_str().expect("a query id").to_owned();
    assert_eq!(next_line().await, Some(json!(["shop"])));
    ksql_ok(&wasp, "INSERT INTO clicks (id, page) VALUES (5, 'live');").await;
    assert_eq!(next_line().await, Some(json!(["live"])), "a row inserted after the query started");
    let closed = http
        .post(format!("{}/close-query", wasp.url()))
        .json(&json!({"queryId": push_id}))
        .send()
        .await
        .expect("POST /close-query");
    assert_eq!(closed.status(), StatusCode::OK);
    assert_eq!(closed.text().await.expect("a body"), "");
    assert_eq!(next_line().await, None, "the stream ends once the query is closed");

    // Closing it again: 404, it is gone.
    let (answer, _) =
        post(&http, &format!("{}/close-query", wasp.url()), KSQL_JSON, json!({"queryId": push_id}).to_string()).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["error_code"], 40400);
}
