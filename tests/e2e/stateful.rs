//! A windowed aggregation survives SIGKILL: the restarted server reads its state back
//! from the store in its data directory and skips the input rows the store already
//! holds, so the final aggregates equal an uninterrupted run's (computed here from the
//! input itself): no row lost, none counted twice.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{
    self, eventually, ksql_ok, query_id_of, read_topic, seal, topic_size, wait_until_caught_up, Outgoing, SERVER_ARGS,
};

const RECORDS: i64 = 20_000;
const PARTITIONS: i32 = 3;
const USERS: i64 = 7;
/// Event time: 5 ms apart, so 200 rows per one-second window.
const EPOCH: i64 = 1_600_000_000_000;
const BATCH: i64 = 100;
const PACE: Duration = Duration::from_millis(25);

#[tokio::test(flavor = "multi_thread")]
async fn sigkilled_server_keeps_windowed_aggregates_exact() {
    let broker = Tansu::start();
    broker.create_topic("events", PARTITIONS).await;
    let mut wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    ksql_ok(
        &wasp,
        "CREATE STREAM events (user VARCHAR, amount BIGINT, ts BIGINT) WITH (kafka_topic='events', value_format='JSON', timestamp='ts');",
    )
    .await;
    let created = ksql_ok(
        &wasp,
        "CREATE TABLE totals AS SELECT user, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total \
         FROM events WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY user;",
    )
    .await;
    let query_id = query_id_of(&created);

    let row = |id: i64| (format!("u{}", id % USERS), id % 13, EPOCH + id * 5);
    let producer = support::producer(&broker);
    let producing = tokio::spawn(async move {
        let mut next = 0;
        while next < RECORDS {
            let batch: Vec<Outgoing> = (next..(next + BATCH).min(RECORDS))
                .map(|id| {
                    let (user, amount, ts) = row(id);
                    Outgoing::new(
                        (id % i64::from(PARTITIONS)) as i32,
                        json!({"user": user, "amount": amount, "ts": ts}).to_string(),
                    )
                })
                .collect();
            next += batch.len() as i64;
            support::produce(&producer, "events", &batch).await;
            tokio::time::sleep(PACE).await;
        }
    });

    let started = Instant::now();
    let written = eventually("the aggregation writes results", Duration::from_secs(60), || async {
        match topic_size(&broker, "TOTALS").await {
            n if n >= 3_000 => Ok(n),
            n => Err(format!("{n} results written")),
        }
    })
    .await;
    assert!(!producing.is_finished(), "the producer finished before the kill; the test would prove nothing");
    wasp.kill_hard();
    eprintln!("killed after {:?} with {written} results written", started.elapsed());
    wasp.restart().await;
    producing.await.expect("the producer task");

    // A row without a user has no group: the query reads past it and writes nothing.
    seal(&broker, "events", &json!({"user": null, "amount": 0, "ts": EPOCH}).to_string()).await;
    wait_until_caught_up(&broker, &query_id, "events", Duration::from_secs(90)).await;
    seal(&broker, "TOTALS", "{}").await;
    eprintln!("caught up after {:?}", started.elapsed());

    // The last result per (user, window), in the order each key's partition holds them.
    let mut last: BTreeMap<(String, i64), (i64, i64)> = BTreeMap::new();
    for record in read_topic(&broker, "TOTALS").await {
        let Some(key) = record.key.as_deref() else { continue };
        let (user, start) = key.split_at(key.len() - 8);
        // The KAFKA key format (the default): the STRING's bytes.
        let user = String::from_utf8(user.to_vec()).unwrap_or_else(|e| panic!("key {key:?}: {e}"));
        let start = i64::from_be_bytes(start.try_into().expect("8 bytes of window start"));
        let value = record.json();
        assert_eq!(value["WS"], json!(start), "WINDOWSTART in the value of {value}");
        last.insert((user, start), (value["N"].as_i64().expect("N"), value["TOTAL"].as_i64().expect("TOTAL")));
    }
    let mut expected: BTreeMap<(String, i64), (i64, i64)> = BTreeMap::new();
    for id in 0..RECORDS {
        let (user, amount, ts) = row(id);
        let slot = expected.entry((user, ts - ts.rem_euclid(1000))).or_default();
        slot.0 += 1;
        slot.1 += amount;
    }
    let wrong: Vec<_> = expected.iter().filter(|(k, v)| last.get(*k) != Some(*v)).take(10).collect();
    eprintln!("{} windows, {} wrong", expected.len(), wrong.len());
    assert!(wrong.is_empty(), "aggregates differ from an uninterrupted run, e.g. (expected): {wrong:?}");
    assert_eq!(last.len(), expected.len(), "windows that no input has");
}
