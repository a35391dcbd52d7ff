//! A broker outage loses nothing: while the broker does not answer, the query
//! waits (and the health check says so); afterwards it resumes from its
//! committed offsets and every record reaches the output.
//!
//! tansu keeps its data in memory only, so the outage is a frozen broker
//! (SIGSTOP, then SIGCONT), not a restarted one.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{
    self, eventually, ksql_ok, query_id_of, read_topic, seal, wait_for_query_state, wait_until_caught_up, Outgoing,
    SERVER_ARGS,
};

const PARTITIONS: i32 = 2;
/// Records before, during and after the outage.
const PER_PHASE: i64 = 500;
const OUTAGE: Duration = Duration::from_secs(8);
/// A tick the query filters out, to seal the input (see `support::seal`).
const SEAL: &str = r#"{"id": -1}"#;

fn ticks(ids: std::ops::Range<i64>) -> Vec<Outgoing> {
    ids.map(|id| Outgoing::new((id % i64::from(PARTITIONS)) as i32, json!({"id": id}).to_string())).collect()
}

async fn healthcheck(http: &reqwest::Client, wasp: &WaspServer) -> Result<StatusCode, String> {
    http.get(format!("{}/healthcheck", wasp.url()))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map(|r| r.status())
        .map_err(|err| err.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_outage_loses_no_records() {
    let mut broker = Tansu::start();
    broker.create_topic("ticks", PARTITIONS).await;
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    let http = reqwest::Client::new();
    ksql_ok(&wasp, "CREATE STREAM ticks (id BIGINT) WITH (kafka_topic='ticks', value_format='JSON');").await;
    let created = ksql_ok(&wasp, "CREATE STREAM ticks_out AS SELECT id FROM ticks WHERE id >= 0 EMIT CHANGES;").await;
    let query_id = query_id_of(&created);

    let producer = support::producer(&broker);
    support::produce(&producer, "ticks", &ticks(0..PER_PHASE)).await;
    seal(&broker, "ticks", SEAL).await;
    wait_until_caught_up(&broker, &query_id, "ticks", Duration::from_secs(60)).await;

    // The outage: records sent meanwhile wait in the producer.
    broker.pause();
    let paused = Instant::now();
    let during = tokio::spawn(async move {
        support::produce(&producer, "ticks", &ticks(PER_PHASE..2 * PER_PHASE)).await;
        producer
    });
    let status = eventually("the health check notices the outage", OUTAGE, || async {
        match healthcheck(&http, &wasp).await {
            Ok(StatusCode::SERVICE_UNAVAILABLE) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    status.await;
    tokio::time::sleep(OUTAGE.saturating_sub(paused.elapsed())).await;
    assert!(!during.is_finished(), "records were delivered to a frozen broker");
    broker.resume();
    eprintln!("broker frozen for {:?}", paused.elapsed());

    let producer = during.await.expect("the producer task");
    support::produce(&producer, "ticks", &ticks(2 * PER_PHASE..3 * PER_PHASE)).await;
    seal(&broker, "ticks", SEAL).await;
    wait_until_caught_up(&broker, &query_id, "ticks", Duration::from_secs(90)).await;
    seal(&broker, "TICKS_OUT", r#"{"ID": -1}"#).await;

    let mut seen = BTreeSet::new();
    let mut records = 0;
    for record in read_topic(&broker, "TICKS_OUT").await {
        let value = record.json();
        let id = value["ID"].as_i64().unwrap_or_else(|| panic!("no ID in {value}"));
        if id >= 0 {
            seen.insert(id);
            records += 1;
        }
    }
    eprintln!("{} distinct ids, {} duplicates", seen.len(), records - seen.len());
    let missing: Vec<i64> = (0..3 * PER_PHASE).filter(|id| !seen.contains(id)).collect();
    assert!(missing.is_empty(), "{} ids lost: {:?}", missing.len(), &missing[..missing.len().min(20)]);

    wait_for_query_state(&wasp, &query_id, "RUNNING", Duration::from_secs(30)).await;
    let health = eventually("the health check recovers", Duration::from_secs(30), || async {
        match healthcheck(&http, &wasp).await {
            Ok(StatusCode::OK) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    health.await;
}
