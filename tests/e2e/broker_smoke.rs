//! The broker alone: proves the harness and tansu do what the other tests rely
//! on (topic creation, ordered produce, consumer-group consumption, commits).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::broker::Tansu;

const TOPIC: &str = "smoke";
const PARTITIONS: i32 = 3;
const RECORDS: usize = 1000;

/// Partition -> (offset, payload) in offset order.
type Log = BTreeMap<i32, Vec<(i64, String)>>;

#[tokio::test(flavor = "multi_thread")]
async fn broker_smoke() {
    let started = Instant::now();
    let broker = Tansu::start();
    eprintln!("tansu ready in {:?}", started.elapsed());
    broker.create_topic(TOPIC, PARTITIONS).await;

    // Produce: keys spread records over the partitions; the delivery reports
    // say where each one landed.
    let producer: FutureProducer =
        broker.client_config().set("message.timeout.ms", "30000").create().expect("create a producer");
    let records: Vec<(String, String)> =
        (0..RECORDS).map(|i| (format!("key-{}", i % 17), format!("record-{i:04}"))).collect();
    let deliveries = join_all(records.iter().map(|(key, payload)| {
        producer.send(FutureRecord::to(TOPIC).key(key).payload(payload), Duration::from_secs(30))
    }))
    .await;
    let mut produced = Log::new();
    for ((_, payload), delivery) in records.iter().zip(deliveries) {
        let delivery = delivery.unwrap_or_else(|(err, _)| panic!("produce {payload}: {err}"));
        produced.entry(delivery.partition).or_default().push((delivery.offset, payload.clone()));
    }
    for (partition, log) in &mut produced {
        // Sent in payload order, so offsets must follow payload order.
        let payloads: Vec<&String> = log.iter().map(|(_, payload)| payload).collect();
        assert!(payloads.is_sorted(), "partition {partition}: offsets do not follow the send order");
        log.sort();
    }
    assert_eq!(produced.len(), PARTITIONS as usize, "records should reach every partition");

    // Consume with a consumer group from the earliest offset.
    let consumer: StreamConsumer =
        broker.consumer_config("smoke-group").set("enable.auto.commit", "false").create().expect("create a consumer");
    consumer.subscribe(&[TOPIC]).expect("subscribe");
    let consume_started = Instant::now();
    let mut first_record_after = None;
    let mut consumed = Log::new();
    let mut count = 0;
    while count < RECORDS {
        let message = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {count} of {RECORDS} records consumed after 60 s"))
            .expect("consume");
        first_record_after.get_or_insert_with(|| consume_started.elapsed());
        let payload = message.payload_view::<str>().expect("a payload").expect("a UTF-8 payload");
        consumed.entry(message.partition()).or_default().push((message.offset(), payload.to_owned()));
        count += 1;
    }
    eprintln!(
        "group joined and first record after {:?}, all {RECORDS} after {:?}",
        first_record_after.unwrap_or_default(),
        consume_started.elapsed()
    );
    assert_eq!(consumed, produced, "consumed records differ from produced ones");

    // Commit and read the committed offsets back from the group coordinator.
    consumer.commit_consumer_state(CommitMode::Sync).expect("commit offsets");
    let mut partitions = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        partitions.add_partition(TOPIC, partition);
    }
    let committed = consumer.committed_offsets(partitions, Duration::from_secs(10)).expect("fetch committed offsets");
    for (partition, log) in &produced {
        let next = log.last().map_or(0, |(offset, _)| offset + 1);
        let element = committed.find_partition(TOPIC, *partition).expect("a committed offset for every partition");
        assert_eq!(element.offset(), Offset::Offset(next), "committed offset of partition {partition}");
    }
}
