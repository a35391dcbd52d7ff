//! wasp's own Kafka producer, for the sinks of queries, inserts and the processing log.
//!
//! Why not librdkafka's producer: a record keeps the timestamp the query gave it, 0
//! included (librdkafka stamps a record produced with timestamp 0 with the current
//! time, `rd_kafka_msg_new0`; ksqlDB keeps 0), and a keyed record goes to the
//! partition Java clients pick (murmur2 of the key bytes), so what wasp writes is
//! co-partitioned with what Kafka Streams, ksqlDB and the Java producer write.
//! rskafka does the wire protocol (record batches, leader lookup, retries on leader
//! changes and broken connections); this module does batching, partitioning,
//! ordering and delivery reports.
//!
//! One [`NativeProducer`] per broker owns a small tokio runtime with one task per (topic,
//! partition). A [`NativeSink`] gathers a batch's records per partition and, at
//! [`Sink::dispatch`], hands each partition's share to that partition's task in one
//! message. The task sends one produce request at a time (acks=all), coalescing what
//! waits into requests of up to `batch.size` bytes, so a partition's records are
//! written in the order they were sent, retries included, and then completes the
//! batch's [`AckTicket`]s.
//!
//! TLS, SASL, compression, idempotence and other acks are librdkafka's: with any of
//! them configured, [`NativeSettings::from_config`] says so and the broker uses the
//! librdkafka producer (see `KafkaBroker::sink`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::Record;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::kafka::KafkaConfig;
use super::{AckTicket, ConnectorError, Sink};

/// How often a sink re-reads a topic's partition count (the Java producer's
/// `metadata.max.age.ms` is 5 minutes).
const METADATA_MAX_AGE: Duration = Duration::from_secs(60);
/// How long a metadata lookup or a connection to the cluster may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(15);
/// Bytes a record adds to a request beyond its key and value (varint lengths,
/// deltas, attributes), an upper bound for records without headers.
const RECORD_OVERHEAD: usize = 24;

/// What the native producer takes from the configuration.
#[derive(Debug, Clone)]
pub struct NativeSettings {
    bootstrap: Vec<String>,
    client_id: String,
    /// Key and value bytes per produce request (`batch.size`).
    max_request_bytes: usize,
    /// How long a record may wait for its acknowledgement before its delivery fails
    /// (`delivery.timeout.ms` or `message.timeout.ms`; librdkafka's default, 300 s).
    delivery_timeout: Duration,
}

impl NativeSettings {
    /// The native producer's settings, or the reason the configuration needs
    /// librdkafka's producer (a property this producer does not implement).
    pub fn from_config(config: &KafkaConfig) -> Result<NativeSettings, String> {
        let props = &config.properties;
        for (key, value) in props {
            let v = value.trim().to_ascii_lowercase();
            let needs_librdkafka = match key.as_str() {
                "security.protocol" => v != "plaintext",
                "compression.type" | "compression.codec" => v != "none",
                "acks" | "request.required.acks" => v != "all" && v != "-1",
                "enable.idempotence" => v == "true",
                "transactional.id" | "partitioner" => true,
                k => k.starts_with("sasl.") || k.starts_with("ssl."),
            };
            if needs_librdkafka {
                return Err(format!("{key}={value}"));
            }
        }
        let millis = |key: &str| props.get(key).and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_millis);
        let bootstrap: Vec<String> =
            config.bootstrap_servers.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        Ok(NativeSettings {
            bootstrap,
            client_id: props.get("client.id").cloned().unwrap_or_else(|| "wasp".into()),
            max_request_bytes: props
                .get("batch.size")
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(1_000_000)
                .clamp(1024, 16 << 20),
            delivery_timeout: millis("delivery.timeout.ms")
                .or_else(|| millis("message.timeout.ms"))
                .unwrap_or(Duration::from_secs(300)),
        })
    }
}

/// Java's `Utils.murmur2`, the hash of Kafka's default partitioner.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= u32::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's Java producer picks for a keyed record.
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

/// Records of one partition on their way to its task.
#[derive(Default)]
struct Job {
    records: Vec<Record>,
    /// How many records the job reports on (`records` moves into the request).
    count: usize,
    /// Key and value bytes of `records`, plus their overhead.
    bytes: usize,
    /// The tickets of `records`, with how many records each counts (a batch's
    /// records share one ticket, so this is usually one entry).
    tickets: Vec<(Arc<AckTicket>, usize)>,
    /// The sending sink's count of records not yet acknowledged.
    outstanding: Option<Arc<AtomicUsize>>,
}

impl Job {
    fn push(&mut self, record: Record, ticket: &Arc<AckTicket>) {
        self.bytes += record.approximate_size() + RECORD_OVERHEAD;
        self.records.push(record);
        self.count += 1;
        match self.tickets.last_mut() {
            Some((t, n)) if Arc::ptr_eq(t, ticket) => *n += 1,
            _ => self.tickets.push((ticket.clone(), 1)),
        }
    }

    /// Reports the outcome of every record of the job.
    fn complete(self, result: &Result<(), String>) {
        for (ticket, count) in self.tickets {
            ticket.complete_many(count, result.clone());
        }
        if let Some(outstanding) = self.outstanding {
            outstanding.fetch_sub(self.count, Ordering::AcqRel);
        }
    }
}

/// A tokio runtime that may be dropped anywhere, inside another runtime too.
struct Background(Option<tokio::runtime::Runtime>);

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The cluster connection, made on first use: a server starts (and its processing
/// log gets a sink) while the cluster is still down.
struct Connection {
    settings: NativeSettings,
    client: tokio::sync::OnceCell<Client>,
}

impl Connection {
    async fn client(&self) -> Result<&Client, String> {
        self.client
            .get_or_try_init(|| async {
                ClientBuilder::new(self.settings.bootstrap.clone())
                    .client_id(self.settings.client_id.clone())
                    .backoff_config(rskafka::BackoffConfig {
                        init_backoff: Duration::from_millis(50),
                        max_backoff: Duration::from_secs(1),
                        base: 2.0,
                        deadline: Some(self.settings.delivery_timeout),
                    })
                    .build()
                    .await
            })
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.settings.bootstrap.join(",")))
    }
}

/// What every native sink of a broker shares: the connection and the partitions' tasks.
pub struct NativeProducer {
    connection: Arc<Connection>,
    handle: tokio::runtime::Handle,
    partitions: Mutex<HashMap<(String, i32), UnboundedSender<Job>>>,
    _runtime: Background,
}

impl std::fmt::Debug for NativeProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeProducer").field("bootstrap", &self.connection.settings.bootstrap).finish()
    }
}

impl NativeProducer {
    /// A producer for the cluster; it connects when the first record or lookup needs it.
    pub fn new(settings: NativeSettings) -> Result<Arc<NativeProducer>, ConnectorError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wasp-producer")
            .enable_all()
            .build()
            .map_err(|e| ConnectorError::Kafka(format!("cannot start the producer's runtime: {e}")))?;
        Ok(Arc::new(NativeProducer {
            connection: Arc::new(Connection { settings, client: tokio::sync::OnceCell::new() }),
            handle: runtime.handle().clone(),
            partitions: Mutex::new(HashMap::new()),
            _runtime: Background(Some(runtime)),
        }))
    }

    fn settings(&self) -> &NativeSettings {
        &self.connection.settings
    }

    /// A sink that writes through this producer.
    pub fn sink(self: &Arc<Self>) -> NativeSink {
        NativeSink { producer: self.clone(), routes: Vec::new(), last: 0, outstanding: Arc::new(AtomicUsize::new(0)) }
    }

    /// The number of partitions of `topic`.
    fn partition_count(&self, topic: &str) -> Result<i32, ConnectorError> {
        let connection = self.connection.clone();
        let lookup = async move { connection.client().await?.list_topics().await.map_err(|e| e.to_string()) };
        let topics = wait_for(&self.handle, METADATA_TIMEOUT, lookup)
            .map_err(ConnectorError::Kafka)?
            .map_err(|e| ConnectorError::Kafka(format!("reading the metadata of {topic}: {e}")))?;
        topics
            .iter()
            .find(|t| t.name == topic)
            .map(|t| t.partitions.len() as i32)
            .filter(|n| *n > 0)
            .ok_or_else(|| ConnectorError::UnknownTopic(topic.to_owned()))
    }

    /// The channel to the task that writes `partition` of `topic`, started on first use.
    fn partition_sender(&self, topic: &str, partition: i32) -> UnboundedSender<Job> {
        let mut tasks = self.partitions.lock().unwrap_or_else(|p| p.into_inner());
        let key = (topic.to_owned(), partition);
        if let Some(tx) = tasks.get(&key).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = unbounded_channel();
        let task = PartitionTask { connection: self.connection.clone(), topic: topic.to_owned(), partition };
        self.handle.spawn(task.run(rx));
        tasks.insert(key, tx.clone());
        tx
    }
}

/// Runs `fut` on the producer's runtime and waits for it from a thread that is not
/// one of the runtime's (a query's thread, or a REST handler's).
fn wait_for<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    timeout: Duration,
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = mpsc::sync_channel(1);
    handle.spawn(async move {
        if let Ok(out) = tokio::time::timeout(timeout, fut).await {
            let _ = tx.send(out);
        }
    });
    rx.recv().map_err(|_| format!("no answer from the cluster within {timeout:?}"))
}

/// Writes one partition: one produce request at a time, in the order jobs arrive.
struct PartitionTask {
    connection: Arc<Connection>,
    topic: String,
    partition: i32,
}

impl PartitionTask {
    async fn run(self, mut rx: UnboundedReceiver<Job>) {
        let mut partition_client: Option<PartitionClient> = None;
        let mut held: Option<Job> = None;
        loop {
            let first = match held.take() {
                Some(job) => job,
                None => match rx.recv().await {
                    Some(job) => job,
                    None => return,
                },
            };
            // Whatever queued up meanwhile goes in the same request, up to its size.
            let mut jobs = vec![first];
            let mut bytes = jobs[0].bytes;
            while let Ok(job) = rx.try_recv() {
                if bytes + job.bytes > self.connection.settings.max_request_bytes {
                    held = Some(job);
                    break;
                }
                bytes += job.bytes;
                jobs.push(job);
            }
            let records: Vec<Record> = jobs.iter_mut().flat_map(|j| std::mem::take(&mut j.records)).collect();
            let result = self.produce(&mut partition_client, records).await;
            if result.is_err() {
                // A fresh lookup of the leader for the next request.
                partition_client = None;
            }
            for job in jobs {
                job.complete(&result);
            }
        }
    }

    /// Sends `records` and waits for the acknowledgement, within the delivery
    /// timeout; rskafka retries on broken connections and leader changes meanwhile.
    async fn produce(
        &self,
        partition_client: &mut Option<PartitionClient>,
        records: Vec<Record>,
    ) -> Result<(), String> {
        let timeout = self.connection.settings.delivery_timeout;
        let attempt = async {
            if partition_client.is_none() {
                let pc = self
                    .connection
                    .client()
                    .await?
                    .partition_client(self.topic.clone(), self.partition, UnknownTopicHandling::Retry)
                    .await
                    .map_err(|e| e.to_string())?;
                *partition_client = Some(pc);
            }
            match partition_client.as_ref() {
                Some(pc) => {
                    pc.produce(records, Compression::NoCompression).await.map(|_| ()).map_err(|e| e.to_string())
                }
                None => Err("no connection".to_owned()),
            }
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("{}[{}]: {e}", self.topic, self.partition)),
            Err(_) => Err(format!(
                "{}[{}]: not acknowledged within {timeout:?} (delivery.timeout.ms)",
                self.topic, self.partition
            )),
        }
    }
}

/// Where a sink sends one topic's records.
struct Route {
    topic: String,
    partitions: i32,
    /// The partition of records without a key until the next dispatch (Kafka's
    /// sticky partitioner: one partition per batch, the next one for the next).
    sticky: i32,
    read_at: Instant,
    pending: Vec<Job>,
    senders: Vec<Option<UnboundedSender<Job>>>,
}

/// A sink over the native producer. Records wait in the sink until
/// [`Sink::dispatch`] (or `flush`, or a full request's worth of bytes).
pub struct NativeSink {
    producer: Arc<NativeProducer>,
    routes: Vec<Route>,
    /// The route used last: a query writes one topic, so this is nearly always it.
    last: usize,
    /// Records sent and not yet acknowledged or failed.
    outstanding: Arc<AtomicUsize>,
}

impl NativeSink {
    fn route(&mut self, topic: &str) -> Result<usize, ConnectorError> {
        if self.routes.get(self.last).is_some_and(|r| r.topic == topic) {
            return Ok(self.last);
        }
        if let Some(i) = self.routes.iter().position(|r| r.topic == topic) {
            self.last = i;
            return Ok(i);
        }
        let partitions = self.producer.partition_count(topic)?;
        self.routes.push(Route {
            topic: topic.to_owned(),
            partitions,
            // Sinks that start together spread their keyless records.
            sticky: (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() as i32 & 0x7fff_ffff))
                % partitions,
            read_at: Instant::now(),
            pending: (0..partitions).map(|_| Job::default()).collect(),
            senders: vec![None; partitions as usize],
        });
        self.last = self.routes.len() - 1;
        Ok(self.last)
    }

    /// Hands one partition's waiting records to its task.
    fn hand_off(producer: &NativeProducer, outstanding: &Arc<AtomicUsize>, route: &mut Route, partition: usize) {
        let job = std::mem::take(&mut route.pending[partition]);
        if job.records.is_empty() {
            return;
        }
        let mut job = Job { outstanding: Some(outstanding.clone()), ..job };
        for _ in 0..2 {
            let sender = route.senders[partition]
                .get_or_insert_with(|| producer.partition_sender(&route.topic, partition as i32));
            match sender.send(job) {
                Ok(()) => return,
                // The task is gone (the runtime is shutting down): one more try with
                // a new one, then the records fail.
                Err(returned) => {
                    job = returned.0;
                    route.senders[partition] = None;
                }
            }
        }
        job.complete(&Err("the producer is shut down".to_owned()));
    }

    /// Re-reads the partition counts of routes older than `METADATA_MAX_AGE`.
    fn refresh_routes(&mut self) {
        for route in &mut self.routes {
            if route.read_at.elapsed() < METADATA_MAX_AGE || route.pending.iter().any(|j| !j.records.is_empty()) {
                continue;
            }
            route.read_at = Instant::now();
            match self.producer.partition_count(&route.topic) {
                Ok(n) if n != route.partitions => {
                    route.partitions = n;
                    route.sticky %= n;
                    route.pending.resize_with(n as usize, Job::default);
                    route.senders.resize(n as usize, None);
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(topic = %route.topic, error = %e, "partition count not refreshed"),
            }
        }
    }
}

impl Sink for NativeSink {
    fn send(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        ticket: &Arc<AckTicket>,
    ) -> Result<(), ConnectorError> {
        let r = self.route(topic)?;
        ticket.add();
        self.outstanding.fetch_add(1, Ordering::AcqRel);
        let route = &mut self.routes[r];
        let partition = match key {
            Some(k) => partition_for_key(k, route.partitions),
            None => route.sticky,
        } as usize;
        let record = Record {
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            headers: Default::default(),
            timestamp: DateTime::<Utc>::from_timestamp_millis(timestamp).unwrap_or_default(),
        };
        let job = &mut route.pending[partition];
        job.push(record, ticket);
        if job.bytes >= self.producer.settings().max_request_bytes {
            Self::hand_off(&self.producer, &self.outstanding, route, partition);
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), ConnectorError> {
        for route in &mut self.routes {
            let mut keyless = false;
            for p in 0..route.pending.len() {
                keyless |= p == route.sticky as usize && !route.pending[p].records.is_empty();
                Self::hand_off(&self.producer, &self.outstanding, route, p);
            }
            if keyless {
                route.sticky = (route.sticky + 1) % route.partitions;
            }
        }
        self.refresh_routes();
        Ok(())
    }

    fn flush(&mut self, timeout: Duration) -> Result<(), ConnectorError> {
        self.dispatch()?;
        let deadline = Instant::now() + timeout;
        while self.outstanding.load(Ordering::Acquire) > 0 {
            if Instant::now() >= deadline {
                return Err(ConnectorError::Kafka(format!(
                    "{} records not acknowledged within {timeout:?}",
                    self.outstanding.load(Ordering::Acquire)
                )));
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

impl Drop for NativeSink {
    /// Records still waiting in the sink are sent: their tickets wait for them.
    fn drop(&mut self) {
        let _ = self.dispatch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_is_the_java_clients_hash() {
        // The values Kafka's own UtilsTest expects of Utils.murmur2.
        for (data, expected) in [
            (&b"21"[..], -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            (b"abc", 479_470_107),
        ] {
            assert_eq!(murmur2(data), expected, "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn keyed_records_go_where_the_java_producer_puts_them() {
        // toPositive(murmur2(key)) % partitions
        assert_eq!(partition_for_key(b"foobar", 4), (-790_332_482i32 & 0x7fff_ffff) % 4);
        assert!((0..1000).all(|i| (0..7).contains(&partition_for_key(format!("k{i}").as_bytes(), 7))));
    }

    fn config(props: &[(&str, &str)]) -> KafkaConfig {
        KafkaConfig {
            bootstrap_servers: "a:9092, b:9092".into(),
            properties: props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn plaintext_configurations_use_the_native_producer() {
        let s = NativeSettings::from_config(&config(&[
            ("security.protocol", "PLAINTEXT"),
            ("acks", "all"),
            ("message.timeout.ms", "5000"),
            ("batch.size", "65536"),
            ("session.timeout.ms", "10000"),
        ]))
        .expect("native");
        assert_eq!(s.bootstrap, ["a:9092", "b:9092"]);
        assert_eq!(s.delivery_timeout, Duration::from_millis(5000));
        assert_eq!(s.max_request_bytes, 65536);
        assert_eq!(s.client_id, "wasp");
    }

    #[test]
    fn tls_sasl_compression_and_other_acks_need_librdkafka() {
        for (k, v) in [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("ssl.ca.location", "/etc/ca.pem"),
            ("compression.type", "lz4"),
            ("acks", "1"),
            ("enable.idempotence", "true"),
            ("partitioner", "consistent_random"),
        ] {
            let reason = NativeSettings::from_config(&config(&[(k, v)])).expect_err(k);
            assert_eq!(reason, format!("{k}={v}"));
        }
    }
}
