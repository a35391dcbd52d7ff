//! What the end-to-end tests share beyond the processes: the server flags that keep
//! group joins fast on tansu, producing JSON records, reading a topic to its end,
//! and waiting (with a deadline, never a bare sleep) for a query to catch up.
//!
//! ```ignore
//! let broker = Tansu::start();
//! let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
//! produce(&broker, "orders", records).await;
//! wait_until_caught_up(&broker, "CSAS_OUT_0", "orders", Duration::from_secs(60)).await;
//! let out = read_topic(&broker, "OUT").await;
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::join_all;
use rdkafka::client::{Client, ClientContext};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, FutureProducer, FutureRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;

use crate::broker::Tansu;
use crate::server::WaspServer;

/// Flags for `wasp server` in tests: the server's consumers use 2 s sessions (a
/// group join on tansu takes about half the session timeout), and queries read
/// their sources from the beginning.
pub const SERVER_ARGS: &[&str] =
    &["-k", "session.timeout.ms=2000", "-k", "heartbeat.interval.ms=500", "-p", "auto.offset.reset=earliest"];

/// How long librdkafka calls made by the helpers may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A record to produce: partition, value and optionally the record's timestamp.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub partition: i32,
    pub value: Vec<u8>,
    pub timestamp: Option<i64>,
}

impl Outgoing {
    /// A record with `value` for `partition`, stamped by the producer.
    pub fn new(partition: i32, value: impl Into<Vec<u8>>) -> Outgoing {
        Outgoing { partition, value: value.into(), timestamp: None }
    }
}

/// Where a produced record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub partition: i32,
    pub offset: i64,
}

/// A record read back from a topic.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

impl Record {
    /// The value as JSON; panics with the record if it is not.
    pub fn json(&self) -> Value {
        let value = self.value.as_deref().unwrap_or_else(|| panic!("record {self:?} has no value"));
        serde_json::from_slice(value).unwrap_or_else(|err| {
            panic!("record {}@{} is not JSON ({err}): {}", self.partition, self.offset, String::from_utf8_lossy(value))
        })
    }
}

/// A producer for tests: deliveries retried for up to 2 minutes, so a broker
/// outage delays records rather than losing them.
pub fn producer(broker: &Tansu) -> FutureProducer {
    broker
        .client_config()
        .set("message.timeout.ms", "120000")
        .set("linger.ms", "5")
        .create()
        .expect("create a producer")
}

/// Produces `records` in order and waits for every delivery; returns where each
/// landed. Panics if any delivery fails.
pub async fn produce(producer: &FutureProducer, topic: &str, records: &[Outgoing]) -> Vec<Position> {
    let mut positions = Vec::with_capacity(records.len());
    for chunk in records.chunks(2000) {
        let deliveries = join_all(chunk.iter().map(|r| {
            let mut record = FutureRecord::<(), [u8]>::to(topic).partition(r.partition).payload(&r.value);
            if let Some(ts) = r.timestamp {
                record = record.timestamp(ts);
            }
            producer.send(record, Duration::from_secs(120))
        }))
        .await;
        for (record, delivery) in chunk.iter().zip(deliveries) {
            let delivery = delivery.unwrap_or_else(|(err, _)| {
                panic!("produce to {topic}: {err} ({})", String::from_utf8_lossy(&record.value))
            });
            positions.push(Position { partition: delivery.partition, offset: delivery.offset });
        }
    }
    positions
}

/// Appends `value` to every partition of `topic`, one record per batch, so that
/// tansu's high watermarks cover everything written before (see the `broker`
/// module's notes: tansu hides all but the first record of a partition's last
/// batch). Tests make `value` something their queries filter out or that they
/// skip when reading.
pub async fn seal(broker: &Tansu, topic: &str, value: &str) {
    let config = broker.client_config();
    let (topic, value) = (topic.to_owned(), value.to_owned());
    tokio::task::spawn_blocking(move || {
        let producer: BaseProducer = config.create().expect("create a producer");
        let partitions = high_watermarks(producer.client(), &topic).len() as i32;
        for partition in 0..partitions {
            // A flush per record: each goes alone in its batch.
            producer
                .send(BaseRecord::<(), str>::to(&topic).partition(partition).payload(&value))
                .map_err(|(err, _)| err)
                .unwrap_or_else(|err| panic!("seal {topic}: {err}"));
            producer.flush(CLIENT_TIMEOUT).unwrap_or_else(|err| panic!("seal {topic}: {err}"));
        }
    })
    .await
    .expect("the sealing thread");
}

/// Every record of `topic`, from the start of each partition to its end as of the
/// call, in offset order per partition (partitions in order).
pub async fn read_topic(broker: &Tansu, topic: &str) -> Vec<Record> {
    let config = broker.client_config();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config
            .clone()
            .set("group.id", "wasp-e2e-reader")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .expect("create a consumer");
        let ends = high_watermarks(consumer.client(), &topic);
        let mut assignment = TopicPartitionList::new();
        for partition in ends.keys() {
            assignment.add_partition_offset(&topic, *partition, Offset::Beginning).expect("assign a partition");
        }
        consumer.assign(&assignment).expect("assign the partitions");
        let mut next: BTreeMap<i32, i64> = ends.keys().map(|p| (*p, 0)).collect();
        let mut records: BTreeMap<i32, Vec<Record>> = BTreeMap::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while ends.iter().any(|(p, end)| next[p] < *end) {
            assert!(Instant::now() < deadline, "reading {topic}: at {next:?} of {ends:?} after 60 s");
            let Some(message) = consumer.poll(Duration::from_millis(200)) else { continue };
            let message = message.unwrap_or_else(|err| panic!("reading {topic}: {err}"));
            next.insert(message.partition(), message.offset() + 1);
            if message.offset() < ends[&message.partition()] {
                records.entry(message.partition()).or_default().push(Record {
                    partition: message.partition(),
                    offset: message.offset(),
                    timestamp: message.timestamp().to_millis(),
                    key: message.key().map(<[u8]>::to_vec),
                    value: message.payload().map(<[u8]>::to_vec),
                });
            }
        }
        records.into_values().flatten().collect()
    })
    .await
    .expect("the reader thread")
}

/// How many records `topic` holds (the sum of its partitions' high watermarks).
pub async fn topic_size(broker: &Tansu, topic: &str) -> i64 {
    let config = broker.client_config();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config.create().expect("create a consumer");
        high_watermarks(consumer.client(), &topic).values().sum()
    })
    .await
    .expect("the watermark thread")
}

/// Partition -> high watermark (the next offset) of every partition of `topic`.
fn high_watermarks<C: ClientContext>(client: &Client<C>, topic: &str) -> BTreeMap<i32, i64> {
    let metadata = client.fetch_metadata(Some(topic), CLIENT_TIMEOUT).expect("fetch topic metadata");
    let partitions = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .map(|t| t.partitions().len() as i32)
        .filter(|n| *n > 0)
        .unwrap_or_else(|| panic!("topic {topic} does not exist"));
    (0..partitions)
        .map(|p| {
            let (_, high) =
                client.fetch_watermarks(topic, p, CLIENT_TIMEOUT).expect("fetch the watermarks of a partition");
            (p, high)
        })
        .collect()
}

/// The consumer group of a persistent query (`wasp-<service id>-query-<query id>`).
pub fn query_group(query_id: &str) -> String {
    format!("wasp-default_-query-{query_id}")
}

/// Waits until the persistent query `query_id` has committed every record of
/// `source_topic`: its outputs for them were acknowledged by the broker, so the
/// sink topic holds them. Panics after `timeout`.
pub async fn wait_until_caught_up(broker: &Tansu, query_id: &str, source_topic: &str, timeout: Duration) {
    let config = broker.client_config();
    let group = query_group(query_id);
    let topic = source_topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config.clone().set("group.id", &group).create().expect("create a consumer");
        let deadline = Instant::now() + timeout;
        loop {
            let ends = high_watermarks(consumer.client(), &topic);
            let mut partitions = TopicPartitionList::new();
            for partition in ends.keys() {
                partitions.add_partition(&topic, *partition);
            }
            let committed: BTreeMap<i32, i64> = match consumer.committed_offsets(partitions, CLIENT_TIMEOUT) {
                Ok(list) => list
                    .elements()
                    .iter()
                    .map(|e| (e.partition(), if let Offset::Offset(o) = e.offset() { o } else { 0 }))
                    .collect(),
                Err(_) => BTreeMap::new(),
            };
            if ends.iter().all(|(p, end)| committed.get(p).copied().unwrap_or(0) >= *end) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "group {group} did not catch up with {topic} in {timeout:?}: committed {committed:?}, ends {ends:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .expect("the waiting thread");
}

/// Polls `probe` every 100 ms until it returns `Some`, panicking with `what` and
/// the last value seen after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => panic!("{what}: not within {timeout:?}; last: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The `SHOW QUERIES` entry of `query_id`, if listed.
pub async fn show_query(wasp: &WaspServer, query_id: &str) -> Option<Value> {
    let answer = wasp.ksql("SHOW QUERIES;").await;
    answer[0]["queries"].as_array()?.iter().find(|q| q["id"] == query_id).cloned()
}

/// Waits until `SHOW QUERIES` lists `query_id` in `state`.
pub async fn wait_for_query_state(wasp: &WaspServer, query_id: &str, state: &str, timeout: Duration) {
    eventually(&format!("{query_id} {state}"), timeout, || async {
        match show_query(wasp, query_id).await {
            Some(q) if q["state"] == state => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

/// Runs statements that must succeed and returns the answer array; panics with
/// the answer otherwise.
pub async fn ksql_ok(wasp: &WaspServer, sql: &str) -> Vec<Value> {
    let answer = wasp.ksql(sql).await;
    match answer {
        Value::Array(entities) => entities,
        other => panic!("{sql} failed: {other}"),
    }
}

/// The query id a CSAS or INSERT INTO answered with.
pub fn query_id_of(entities: &[Value]) -> String {
    entities
        .last()
        .and_then(|e| e["commandStatus"]["queryId"].as_str())
        .unwrap_or_else(|| panic!("no query id in {entities:?}"))
        .to_owned()
}
