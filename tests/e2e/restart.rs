//! A server killed with SIGKILL and restarted resumes its persistent queries with
//! no record lost: at-least-once from the offsets it committed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{
    self, eventually, ksql_ok, query_id_of, read_topic, seal, show_query, topic_size, wait_for_query_state,
    wait_until_caught_up, Outgoing, SERVER_ARGS,
};

const RECORDS: i64 = 20_000;
const PARTITIONS: i32 = 3;
/// Records per send, and the pause between sends: about 4,000 records a second,
/// so producing takes about 5 s and spans the kill and the restart.
const BATCH: i64 = 100;
const PACE: Duration = Duration::from_millis(25);

#[tokio::test(flavor = "multi_thread")]
async fn sigkilled_server_resumes_its_queries_without_loss() {
    let broker = Tansu::start();
    broker.create_topic("events", PARTITIONS).await;
    let mut wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    ksql_ok(
        &wasp,
        "CREATE STREAM events (id BIGINT, payload VARCHAR) WITH (kafka_topic='events', value_format='JSON');",
    )
    .await;
    let created =
        ksql_ok(&wasp, "CREATE STREAM events_copy AS SELECT id, payload FROM events WHERE id >= 0 EMIT CHANGES;").await;
    let query_id = query_id_of(&created);

    // Produce at a steady pace in the background, through the kill and restart.
    let producer = support::producer(&broker);
    let producing = tokio::spawn(async move {
        let mut next = 0;
        while next < RECORDS {
            let batch: Vec<Outgoing> = (next..(next + BATCH).min(RECORDS))
                .map(|id| {
                    Outgoing::new(
                        (id % i64::from(PARTITIONS)) as i32,
                        json!({"id": id, "payload": format!("event-{id}")}).to_string(),
                    )
                })
                .collect();
            next += batch.len() as i64;
            support::produce(&producer, "events", &batch).await;
            tokio::time::sleep(PACE).await;
        }
    });

    // Kill once the query is well under way, while records still arrive.
    let started = Instant::now();
    let copied_before_kill = eventually("the query copies records", Duration::from_secs(60), || async {
        match topic_size(&broker, "EVENTS_COPY").await {
            n if n >= 3_000 => Ok(n),
            n => Err(format!("{n} records copied")),
        }
    })
    .await;
    assert!(!producing.is_finished(), "the producer finished before the kill; the test would prove nothing");
    wasp.kill_hard();
    eprintln!("killed after {:?} with {copied_before_kill} records copied", started.elapsed());
    wasp.restart().await;
    eprintln!("restarted after {:?}", started.elapsed());
    assert!(!producing.is_finished(), "the producer finished before the restart");

    producing.await.expect("the producer task");
    // Seal the input with an event the query filters out, wait until it has
    // committed everything, then seal the output (ID -1) and read it.
    seal(&broker, "events", r#"{"id": -1, "payload": "seal"}"#).await;
    wait_until_caught_up(&broker, &query_id, "events", Duration::from_secs(90)).await;
    seal(&broker, "EVENTS_COPY", r#"{"ID": -1}"#).await;
    eprintln!("caught up after {:?}", started.elapsed());

    // Every input id at least once; duplicates are allowed (at-least-once).
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for record in read_topic(&broker, "EVENTS_COPY").await {
        let value = record.json();
        let id = value["ID"].as_i64().unwrap_or_else(|| panic!("no ID in {value}"));
        if id == -1 {
            continue;
        }
        assert_eq!(value["PAYLOAD"], format!("event-{id}"), "payload of {id}");
        *seen.entry(id).or_default() += 1;
    }
    let missing: Vec<i64> = (0..RECORDS).filter(|id| !seen.contains_key(id)).collect();
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    eprintln!("{} distinct ids, {duplicates} duplicates", seen.len());
    assert!(missing.is_empty(), "{} ids lost, the first ones: {:?}", missing.len(), &missing[..missing.len().min(20)]);
    assert_eq!(
        seen.len() as i64,
        RECORDS,
        "ids that were never produced: {:?}",
        seen.keys().filter(|id| **id >= RECORDS).collect::<Vec<_>>()
    );

    // The restarted server runs the same query under the same id.
    wait_for_query_state(&wasp, &query_id, "RUNNING", Duration::from_secs(10)).await;
    let listed = show_query(&wasp, &query_id).await.expect("the query is listed");
    assert_eq!(listed["sinks"], json!(["EVENTS_COPY"]));
}
