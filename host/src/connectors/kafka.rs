//! The Kafka broker over rdkafka (librdkafka), for real clusters and for the embedded
//! mock cluster.
//!
//! Sources are `BaseConsumer`s in a consumer group with auto-commit off: offsets are
//! committed by the query only after its output was acknowledged. Sinks are wasp's
//! own producer ([`super::producer`]), or, for configurations only librdkafka
//! implements (TLS, SASL, compression), `ThreadedProducer`s whose delivery reports
//! complete the batch's [`AckTicket`].

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::producer::{NativeProducer, NativeSettings};
use super::{AckTicket, Broker, ConnectorError, OffsetReset, RecordRef, Sink, Source, SourceOptions, TopicDescription};

const ADMIN_TIMEOUT: Duration = Duration::from_secs(15);

fn kafka_err(e: KafkaError) -> ConnectorError {
    ConnectorError::Kafka(e.to_string())
}

/// Connection settings: bootstrap servers plus any librdkafka property
/// (`security.protocol`, `sasl.mechanism`, `ssl.ca.location`, ...).
#[derive(Debug, Clone, Default)]
pub struct KafkaConfig {
    pub bootstrap_servers: String,
    pub properties: BTreeMap<String, String>,
}

impl KafkaConfig {
    fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        c
    }

    /// The client configuration plus `defaults` for the properties not configured.
    fn client_config_with_defaults(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut c = self.client_config();
        for (k, v) in defaults {
            if !self.properties.contains_key(*k) {
                c.set(*k, *v);
            }
        }
        c
    }
}

/// Requests to the thread that owns the embedded mock cluster.
enum MockRequest {
    CreateTopic { name: String, partitions: i32, reply: mpsc::Sender<Result<(), String>> },
}

/// librdkafka's in-process mock cluster, owned by a dedicated thread (the mock cluster
/// handle is not thread-safe); lives until the process exits.
#[derive(Debug, Clone)]
pub struct EmbeddedKafka {
    bootstrap: String,
    requests: mpsc::Sender<MockRequest>,
}

impl EmbeddedKafka {
    /// Starts a mock cluster with `brokers` brokers.
    pub fn start(brokers: i32) -> Result<EmbeddedKafka, ConnectorError> {
        let (boot_tx, boot_rx) = mpsc::channel();
        let (req_tx, req_rx) = mpsc::channel::<MockRequest>();
        thread::Builder::new()
            .name("embedded-kafka".into())
            .spawn(move || {
                let cluster = match MockCluster::new(brokers) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = boot_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = boot_tx.send(Ok(cluster.bootstrap_servers()));
                while let Ok(req) = req_rx.recv() {
                    match req {
                        MockRequest::CreateTopic { name, partitions, reply } => {
                            let r = cluster.create_topic(&name, partitions, 1).map_err(|e| e.to_string());
                            let _ = reply.send(r);
                        }
                    }
                }
            })
            .map_err(|e| ConnectorError::Kafka(format!("cannot start the embedded cluster: {e}")))?;
        let bootstrap = boot_rx
            .recv()
            .map_err(|_| ConnectorError::Kafka("embedded cluster thread died".into()))?
            .map_err(ConnectorError::Kafka)?;
        Ok(EmbeddedKafka { bootstrap, requests: req_tx })
    }

    /// The address other Kafka clients can connect to.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    fn create_topic(&self, name: &str, partitions: i32) -> Result<(), ConnectorError> {
        let (tx, rx) = mpsc::channel();
        self.requests
            .send(MockRequest::CreateTopic { name: name.to_owned(), partitions, reply: tx })
            .map_err(|_| ConnectorError::Kafka("embedded cluster is gone".into()))?;
        rx.recv().map_err(|_| ConnectorError::Kafka("embedded cluster is gone".into()))?.map_err(ConnectorError::Kafka)
    }
}

/// A Kafka cluster reached through rdkafka.
pub struct KafkaBroker {
    config: KafkaConfig,
    admin: AdminClient<DefaultClientContext>,
    metadata: BaseConsumer,
    embedded: Option<EmbeddedKafka>,
    /// The native producer's settings, or why librdkafka's producer is used.
    native: Result<NativeSettings, String>,
    /// The native producer, made on the first `sink()`.
    producer: Mutex<Option<Arc<NativeProducer>>>,
}

impl KafkaBroker {
    pub fn new(config: KafkaConfig, embedded: Option<EmbeddedKafka>) -> Result<KafkaBroker, ConnectorError> {
        let admin = config.client_config().create().map_err(|e| ConnectorError::Config(e.to_string()))?;
        let metadata = config
            .client_config()
            .set("group.id", "wasp-metadata")
            .set("allow.auto.create.topics", "false")
            .create()
            .map_err(|e| ConnectorError::Config(e.to_string()))?;
        let native = NativeSettings::from_config(&config);
        if let Err(reason) = &native {
            tracing::info!(
                "{reason}: sinks use librdkafka's producer, which stamps a record whose timestamp is 0 with the current time"
            );
        }
        Ok(KafkaBroker { config, admin, metadata, embedded, native, producer: Mutex::new(None) })
    }

    /// A sink over librdkafka's producer, for what the native producer does not
    /// implement. `murmur2_random` is the partitioner of Java clients and of the
    /// native producer, so both put a key in the same partition.
    fn librdkafka_sink(&self) -> Result<Box<dyn Sink>, ConnectorError> {
        let cfg = self.config.client_config_with_defaults(&[
            ("linger.ms", "5"),
            ("queue.buffering.max.messages", "1000000"),
            ("batch.size", "1000000"),
            ("partitioner", "murmur2_random"),
        ]);
        let producer: ThreadedProducer<AckContext> =
            cfg.create_with_context(AckContext).map_err(|e| ConnectorError::Config(e.to_string()))?;
        Ok(Box::new(KafkaSink { producer }))
    }

    fn describe_all(&self) -> Result<Vec<TopicDescription>, ConnectorError> {
        let md = self.metadata.fetch_metadata(None, ADMIN_TIMEOUT).map_err(kafka_err)?;
        Ok(md
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .map(|t| TopicDescription {
                name: t.name().to_owned(),
                partitions: t.partitions().len() as i32,
                replicas: t.partitions().first().map(|p| p.replicas().len() as i32).unwrap_or(1),
            })
            .collect())
    }
}

impl Broker for KafkaBroker {
    fn create_topic(&self, name: &str, partitions: i32, replicas: i32) -> Result<(), ConnectorError> {
        if self.describe_topic(name)?.is_some() {
            return Err(ConnectorError::TopicExists(name.to_owned()));
        }
        if let Some(embedded) = &self.embedded {
            return embedded.create_topic(name, partitions);
        }
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replicas));
        let opts = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
        let results = futures::executor::block_on(self.admin.create_topics([&topic], &opts)).map_err(kafka_err)?;
        for r in results {
            match r {
                Ok(_) => {}
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    return Err(ConnectorError::TopicExists(name.to_owned()))
                }
                Err((t, code)) => return Err(ConnectorError::Kafka(format!("creating topic {t}: {code}"))),
            }
        }
        // Wait until the topic is visible in metadata, so consumers can subscribe.
        for _ in 0..50 {
            if self.describe_topic(name)?.is_some() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    fn describe_topic(&self, name: &str) -> Result<Option<TopicDescription>, ConnectorError> {
        Ok(self.describe_all()?.into_iter().find(|t| t.name == name))
    }

    fn list_topics(&self) -> Result<Vec<TopicDescription>, ConnectorError> {
        let mut all = self.describe_all()?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    fn delete_topic(&self, name: &str) -> Result<(), ConnectorError> {
        if self.embedded.is_some() {
            return Err(ConnectorError::Kafka("the embedded cluster cannot delete topics".into()));
        }
        let opts = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
        let results = futures::executor::block_on(self.admin.delete_topics(&[name], &opts)).map_err(kafka_err)?;
        for r in results {
            if let Err((t, code)) = r {
                return Err(ConnectorError::Kafka(format!("deleting topic {t}: {code}")));
            }
        }
        Ok(())
    }

    fn source(&self, topic: &str, options: &SourceOptions) -> Result<Box<dyn Source>, ConnectorError> {
        // librdkafka stops fetching for `fetch.queue.backoff.ms` (1 s by default) once its
        // local queue holds `queued.min.messages`; a consumer that decodes while the
        // fetcher races ahead would then idle. Fetch again as soon as there is room.
        let mut cfg = self.config.client_config_with_defaults(&[
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "1000"),
            ("fetch.wait.max.ms", "50"),
            ("fetch.queue.backoff.ms", "5"),
        ]);
        cfg.set("group.id", &options.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set("allow.auto.create.topics", "false")
            .set(
                "auto.offset.reset",
                match options.offset_reset {
                    OffsetReset::Earliest => "earliest",
                    OffsetReset::Latest => "latest",
                },
            );
        let consumer: BaseConsumer = cfg.create().map_err(|e| ConnectorError::Config(e.to_string()))?;
        if !options.bounded {
            consumer.subscribe(&[topic]).map_err(kafka_err)?;
            return Ok(Box::new(KafkaSource { consumer, topic: topic.to_owned(), bounded: None, assigned: false }));
        }
        // A bounded scan reads every partition from its start to the end offsets
        // seen now, without joining the group.
        let desc = self.describe_topic(topic)?.ok_or_else(|| ConnectorError::UnknownTopic(topic.to_owned()))?;
        let mut tpl = TopicPartitionList::new();
        let mut positions = Vec::new();
        let mut ends = Vec::new();
        for p in 0..desc.partitions {
            let (low, high) = self.metadata.fetch_watermarks(topic, p, ADMIN_TIMEOUT).map_err(kafka_err)?;
            tpl.add_partition_offset(topic, p, Offset::Offset(low)).map_err(kafka_err)?;
            positions.push(low);
            ends.push(high);
        }
        consumer.assign(&tpl).map_err(kafka_err)?;
        Ok(Box::new(KafkaSource {
            consumer,
            topic: topic.to_owned(),
            bounded: Some((positions, ends)),
            assigned: true,
        }))
    }

    fn reader(&self, topic: &str, from: &[(i32, i64)]) -> Result<(Box<dyn Source>, Vec<(i32, i64)>), ConnectorError> {
        let mut cfg =
            self.config.client_config_with_defaults(&[("fetch.wait.max.ms", "50"), ("fetch.queue.backoff.ms", "5")]);
        cfg.set("group.id", "wasp-table-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false");
        let consumer: BaseConsumer = cfg.create().map_err(|e| ConnectorError::Config(e.to_string()))?;
        let desc = self.describe_topic(topic)?.ok_or_else(|| ConnectorError::UnknownTopic(topic.to_owned()))?;
        let mut tpl = TopicPartitionList::new();
        let mut ends = Vec::new();
        for p in 0..desc.partitions {
            let (low, high) = self.metadata.fetch_watermarks(topic, p, ADMIN_TIMEOUT).map_err(kafka_err)?;
            let start = from.iter().find(|(q, _)| *q == p).map_or(low, |(_, o)| (*o).max(low));
            tpl.add_partition_offset(topic, p, Offset::Offset(start)).map_err(kafka_err)?;
            ends.push((p, high));
        }
        consumer.assign(&tpl).map_err(kafka_err)?;
        let source = KafkaSource { consumer, topic: topic.to_owned(), bounded: None, assigned: true };
        Ok((Box::new(source), ends))
    }

    fn sink(&self) -> Result<Box<dyn Sink>, ConnectorError> {
        let Ok(settings) = &self.native else { return self.librdkafka_sink() };
        let mut producer = self.producer.lock().unwrap_or_else(|p| p.into_inner());
        let producer = match producer.as_ref() {
            Some(p) => p.clone(),
            None => producer.insert(NativeProducer::new(settings.clone())?).clone(),
        };
        Ok(Box::new(producer.sink()))
    }

    fn group_lag(&self, group_id: &str, topic: &str) -> Result<Option<i64>, ConnectorError> {
        let Some(desc) = self.describe_topic(topic)? else { return Ok(None) };
        let consumer: BaseConsumer = self
            .config
            .client_config()
            .set("group.id", group_id)
            .create()
            .map_err(|e| ConnectorError::Config(e.to_string()))?;
        let mut tpl = TopicPartitionList::new();
        for p in 0..desc.partitions {
            tpl.add_partition(topic, p);
        }
        let committed = consumer.committed_offsets(tpl, ADMIN_TIMEOUT).map_err(kafka_err)?;
        let mut lag = 0;
        for p in 0..desc.partitions {
            let (low, high) = self.metadata.fetch_watermarks(topic, p, ADMIN_TIMEOUT).map_err(kafka_err)?;
            let done = match committed.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => low,
            };
            lag += (high - done).max(0);
        }
        Ok(Some(lag))
    }

    fn cluster_id(&self) -> String {
        self.metadata.client().fetch_cluster_id(Duration::from_secs(5)).unwrap_or_else(|| "unknown".into())
    }

    fn healthy(&self) -> bool {
        self.metadata.fetch_metadata(None, Duration::from_secs(3)).is_ok()
    }
}

struct KafkaSource {
    consumer: BaseConsumer,
    topic: String,
    /// For bounded scans: next offset and end offset per partition.
    bounded: Option<(Vec<i64>, Vec<i64>)>,
    /// Partitions assigned rather than through the group: nothing to commit.
    assigned: bool,
}

impl Source for KafkaSource {
    fn poll(
        &mut self,
        max: usize,
        timeout: Duration,
        f: &mut dyn FnMut(RecordRef<'_>),
    ) -> Result<usize, ConnectorError> {
        let mut n = 0;
        let mut wait = timeout;
        // Once records flow, keep filling the batch for a few milliseconds: larger
        // batches mean fewer boundary crossings, produce calls and commits.
        let mut fill_until: Option<std::time::Instant> = None;
        while n < max && !self.at_end() {
            match self.consumer.poll(wait) {
                None if fill_until.is_some_and(|t| std::time::Instant::now() < t) => continue,
                None => break,
                Some(Ok(m)) => {
                    if let Some((positions, ends)) = self.bounded.as_mut() {
                        let p = m.partition() as usize;
                        if p < positions.len() {
                            if m.offset() >= ends[p] {
                                continue;
                            }
                            positions[p] = m.offset() + 1;
                        }
                    }
                    f(RecordRef {
                        topic: m.topic(),
                        partition: m.partition(),
                        offset: m.offset(),
                        timestamp: m.timestamp().to_millis(),
                        key: m.key(),
                        value: m.payload(),
                    });
                    n += 1;
                    if fill_until.is_none() {
                        fill_until = Some(std::time::Instant::now() + Duration::from_millis(5));
                        wait = Duration::from_millis(1);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(_))) => continue,
                Some(Err(e)) => {
                    // librdkafka reconnects and refetches by itself: broker and transport
                    // errors are reports, not failures. Only a fatal error ends the attempt
                    // (the runner then restarts from the committed offsets).
                    let fatal = e.rdkafka_error_code().is_some_and(|c| c == RDKafkaErrorCode::Fatal);
                    if fatal {
                        return Err(kafka_err(e));
                    }
                    tracing::warn!(topic = %self.topic, error = %e, "consumer error; librdkafka retries");
                    break;
                }
            }
        }
        Ok(n)
    }

    fn at_end(&self) -> bool {
        match &self.bounded {
            Some((positions, ends)) => positions.iter().zip(ends).all(|(p, e)| p >= e),
            None => false,
        }
    }

    fn commit(&mut self, offsets: &[(i32, i64)]) -> Result<(), ConnectorError> {
        if offsets.is_empty() || self.assigned {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for (p, o) in offsets {
            tpl.add_partition_offset(&self.topic, *p, Offset::Offset(*o)).map_err(kafka_err)?;
        }
        match self.consumer.commit(&tpl, CommitMode::Async) {
            Ok(()) => Ok(()),
            // After a rebalance the partition may belong to someone else; its new owner
            // resumes from the last commit, so nothing is lost.
            Err(e) => {
                tracing::warn!(topic = %self.topic, error = %e, "offset commit failed");
                Ok(())
            }
        }
    }
}

/// Routes delivery reports to the batch's ticket.
struct AckContext;

impl ClientContext for AckContext {}

impl ProducerContext for AckContext {
    type DeliveryOpaque = Arc<AckTicket>;

    fn delivery(&self, result: &DeliveryResult<'_>, ticket: Arc<AckTicket>) {
        ticket.complete(result.as_ref().map(|_| ()).map_err(|(e, _)| e.to_string()));
    }
}

struct KafkaSink {
    producer: ThreadedProducer<AckContext>,
}

impl Sink for KafkaSink {
    fn send(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        ticket: &Arc<AckTicket>,
    ) -> Result<(), ConnectorError> {
        ticket.add();
        let mut record: BaseRecord<'_, [u8], [u8], Arc<AckTicket>> =
            BaseRecord::with_opaque_to(topic, ticket.clone()).timestamp(timestamp);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    thread::sleep(Duration::from_millis(2));
                }
                Err((e, _)) => {
                    ticket.complete(Err(e.to_string()));
                    return Err(kafka_err(e));
                }
            }
        }
    }

    fn flush(&mut self, timeout: Duration) -> Result<(), ConnectorError> {
        self.producer.flush(timeout).map_err(kafka_err)
    }
}
