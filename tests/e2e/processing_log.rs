//! Records a query cannot decode go to the processing log, with the query id,
//! topic, partition and offset, and the query goes on with the good ones.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{self, ksql_ok, query_id_of, read_topic, seal, wait_until_caught_up, Outgoing, SERVER_ARGS};

const PARTITIONS: i32 = 2;
const PROCESSING_LOG: &str = "wasp_processing_log";

/// The bad records: not JSON, a string where an INT belongs, cut short.
const BAD: [&str; 3] = ["this is not JSON", r#"{"id": "seven", "name": "wrong type"}"#, r#"{"id": 9, "name": "trunc"#];

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_go_to_the_processing_log_and_the_query_goes_on() {
    let broker = Tansu::start();
    broker.create_topic("raw", PARTITIONS).await;
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    ksql_ok(&wasp, "CREATE STREAM raw (id INT, name VARCHAR) WITH (kafka_topic='raw', value_format='JSON');").await;
    // One output partition keeps the order in which the query wrote.
    let created = ksql_ok(
        &wasp,
        "CREATE STREAM clean WITH (partitions=1) AS SELECT id, name FROM raw WHERE id >= 0 EMIT CHANGES;",
    )
    .await;
    let query_id = query_id_of(&created);

    // Per partition: good, bad, good, bad, good, bad, good; good ids rise.
    let mut records = Vec::new();
    let mut is_bad = Vec::new();
    let mut good: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for partition in 0..PARTITIONS {
        for step in 0..7 {
            if step % 2 == 0 {
                let id = i64::from(partition) * 100 + step;
                records.push(Outgoing::new(partition, format!(r#"{{"id": {id}, "name": "good-{id}"}}"#)));
                good.entry(partition).or_default().push(id);
                is_bad.push(false);
            } else {
                records.push(Outgoing::new(partition, BAD[(step / 2) as usize]));
                is_bad.push(true);
            }
        }
    }
    let producer = support::producer(&broker);
    let positions = support::produce(&producer, "raw", &records).await;
    let bad_positions: BTreeSet<(i32, i64)> =
        positions.iter().zip(&is_bad).filter(|(_, bad)| **bad).map(|(p, _)| (p.partition, p.offset)).collect();

    // Seal the input with a record the query filters out, wait until it has
    // committed everything, then seal the outputs and read them.
    seal(&broker, "raw", r#"{"id": -1, "name": "seal"}"#).await;
    wait_until_caught_up(&broker, &query_id, "raw", Duration::from_secs(60)).await;
    seal(&broker, "CLEAN", r#"{"ID": -1}"#).await;
    seal(&broker, PROCESSING_LOG, r#"{"message": {"queryId": "seal"}}"#).await;

    // Every good record arrived, in order per source partition.
    let output = read_topic(&broker, "CLEAN").await;
    let mut arrived: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for record in &output {
        let value = record.json();
        let id = value["ID"].as_i64().unwrap_or_else(|| panic!("no ID in {value}"));
        if id == -1 {
            continue;
        }
        assert_eq!(value["NAME"], format!("good-{id}"));
        arrived.entry((id / 100) as i32).or_default().push(id);
    }
    assert_eq!(arrived, good, "the good records, in order per partition");

    // DESCRIBE EXTENDED counts the failures of the queries reading the source.
    let described = ksql_ok(&wasp, "DESCRIBE EXTENDED raw;").await;
    let error_stats = described[0]["sourceDescription"]["errorStats"].as_str().expect("errorStats").to_owned();
    let failures: u64 = error_stats
        .split_once("failed-messages:")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no failed-messages count in {error_stats:?}"));
    assert_eq!(failures, bad_positions.len() as u64, "{error_stats}");

    // One processing-log entry per bad record, naming the query, topic,
    // partition and offset.
    let entries: Vec<Value> = read_topic(&broker, PROCESSING_LOG)
        .await
        .iter()
        .map(|record| record.json())
        .filter(|entry| entry["message"]["queryId"] == query_id.as_str())
        .collect();
    let logged: Vec<(i32, i64)> = entries
        .iter()
        .map(|entry| {
            let message = &entry["message"];
            assert_eq!(message["topic"], "raw", "{entry}");
            assert!(message["errorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{entry}");
            let partition = message["partition"].as_i64().unwrap_or_else(|| panic!("no partition in {entry}"));
            let offset = message["offset"].as_i64().unwrap_or_else(|| panic!("no offset in {entry}"));
            (partition as i32, offset)
        })
        .collect();
    assert_eq!(logged.len(), bad_positions.len(), "one entry per bad record: {entries:#?}");
    assert_eq!(logged.into_iter().collect::<BTreeSet<_>>(), bad_positions, "{entries:#?}");
}
