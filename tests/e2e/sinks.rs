//! What a query's sink writes, record by record: the timestamp the query gave it
//! (the epoch included, which librdkafka's producer would replace with the wall
//! clock) and, for a keyed record, the partition Java clients pick for the key
//! (murmur2), so that wasp's output is co-partitioned with Kafka Streams' and
//! ksqlDB's. Also on the embedded cluster, which the README's first command runs.

use std::time::Duration;

use serde_json::{json, Value};

use crate::broker::Tansu;
use crate::server::{WaspServer, EMBEDDED};
use crate::support::{self, ksql_ok, query_id_of, read_topic, seal, wait_until_caught_up, Outgoing, SERVER_ARGS};

/// Keys and the partition of four that Kafka's Java producer puts each in:
/// `toPositive(murmur2(key)) % 4`, with the murmur2 values of Kafka's own tests.
const KEYS: [(&str, i32); 4] = [
    ("foobar", 2),                                           // murmur2 -790332482
    ("21", 0),                                               // -973932308
    ("abc", 3),                                              // 479470107
    ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 1), // -58897971
];

#[tokio::test(flavor = "multi_thread")]
async fn sink_records_keep_their_timestamp_and_land_in_the_java_partition_of_their_key() {
    let broker = Tansu::start();
    broker.create_topic("events", 1).await;
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    ksql_ok(
        &wasp,
        "CREATE STREAM events (id BIGINT, name VARCHAR, ts BIGINT) \
         WITH (kafka_topic='events', value_format='JSON', timestamp='ts');",
    )
    .await;
    let created = ksql_ok(
        &wasp,
        "CREATE STREAM events_by_name WITH (PARTITIONS=4) AS SELECT name, id FROM events \
         WHERE id >= 0 PARTITION BY name EMIT CHANGES;",
    )
    .await;
    let query_id = query_id_of(&created);

    // Event times 0, 1, 2, ...: the first record is stamped with the epoch itself.
    let events: Vec<Value> =
        (0..40i64).map(|id| json!({"id": id, "name": KEYS[(id % 4) as usize].0, "ts": id})).collect();
    let outgoing: Vec<Outgoing> = events.iter().map(|e| Outgoing::new(0, e.to_string())).collect();
    support::produce(&support::producer(&broker), "events", &outgoing).await;
    seal(&broker, "events", r#"{"id": -1, "name": "seal", "ts": 1}"#).await;
    wait_until_caught_up(&broker, &query_id, "events", Duration::from_secs(60)).await;
    seal(&broker, "EVENTS_BY_NAME", r#"{"ID": -1}"#).await;

    let mut output = read_topic(&broker, "EVENTS_BY_NAME").await;
    output.retain(|r| r.json()["ID"] != -1);
    assert_eq!(output.len(), events.len(), "every event is written once: {output:?}");
    for record in &output {
        let id = record.json()["ID"].as_i64().unwrap_or_else(|| panic!("no ID in {record:?}"));
        let (name, partition) = KEYS[(id % 4) as usize];
        assert_eq!(record.timestamp, Some(id), "the timestamp of id {id}: its ts column");
        assert_eq!(record.key.as_deref(), Some(name.as_bytes()), "the key of id {id}");
        assert_eq!(record.partition, partition, "the partition of key {name}");
    }
    // Within a partition the records keep the order of their input.
    for (_, partition) in KEYS {
        let ids: Vec<i64> =
            output.iter().filter(|r| r.partition == partition).filter_map(|r| r.json()["ID"].as_i64()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "partition {partition} out of order: {ids:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_cluster_carries_inserts_and_persistent_queries() {
    let wasp = WaspServer::start(EMBEDDED, &["-p", "auto.offset.reset=earliest"]).await;
    ksql_ok(&wasp, "CREATE STREAM readings (id INT, celsius DOUBLE) WITH (kafka_topic='readings', partitions=2, value_format='JSON');")
        .await;
    ksql_ok(
        &wasp,
        "CREATE STREAM hot AS SELECT id, celsius * 9 / 5 + 32 AS fahrenheit FROM readings WHERE celsius > 30;",
    )
    .await;
    for (ts, id, celsius) in [(0, 1, 35.0), (1000, 2, 10.0), (2000, 3, 40.0)] {
        ksql_ok(&wasp, &format!("INSERT INTO readings (ROWTIME, id, celsius) VALUES ({ts}, {id}, {celsius});")).await;
    }
    let lines = wasp.query_stream("SELECT ROWTIME, id, fahrenheit FROM hot EMIT CHANGES LIMIT 2;").await;
    let mut rows: Vec<Value> = lines.into_iter().skip(1).collect();
    rows.sort_by_key(|r| r[1].as_i64());
    assert_eq!(rows, [json!([0, 1, 95.0]), json!([2000, 3, 104.0])]);
}
