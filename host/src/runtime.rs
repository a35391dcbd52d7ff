//! Running queries: one thread per query moves batches from a source, through the
//! pipeline, to a sink topic or a client channel.
//!
//! At-least-once: a batch's offsets are committed only after every record produced for
//! it was acknowledged, in batch order. When the broker fails the query, the runner
//! backs off and starts again from the committed offsets.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wasp_sql::plan::ROWTIME;
use wasp_sql::{ColumnRole, Value};

use crate::api::EngineError;
use crate::catalog::SourceDef;
use crate::columnar::{value_at, Operand};
use crate::connectors::{AckTicket, Broker, SourceOptions};
use crate::formats::RowCodec;
use crate::operators::{Failure, FailureKind, OpContext};
use crate::planner::Pipeline;
use crate::processing_log::ProcessingLog;

/// Counters of one query.
#[derive(Debug)]
pub struct QueryStats {
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub failures: AtomicU64,
    /// Input records whose offsets were committed: their output is acknowledged.
    pub messages_committed: AtomicU64,
    /// Epoch ms of the last record read, or -1.
    pub last_message_ms: AtomicI64,
    state: Mutex<(String, Option<String>)>,
    rate: Mutex<RateMeter>,
}

#[derive(Debug)]
struct RateMeter {
    window_start: Instant,
    window_count: u64,
    rate: f64,
}

impl Default for QueryStats {
    fn default() -> Self {
        QueryStats {
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            messages_committed: AtomicU64::new(0),
            last_message_ms: AtomicI64::new(-1),
            state: Mutex::new(("RUNNING".into(), None)),
            rate: Mutex::new(RateMeter { window_start: Instant::now(), window_count: 0, rate: 0.0 }),
        }
    }
}

impl QueryStats {
    /// RUNNING, ERROR, DONE...
    pub fn state(&self) -> String {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    /// The last error that made the query restart, if any.
    pub fn last_error(&self) -> Option<String> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1.clone()
    }

    fn set_state(&self, state: &str, error: Option<String>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = state.to_owned();
        if error.is_some() {
            s.1 = error;
        }
    }

    /// Messages per second, measured over the last few seconds.
    pub fn rate(&self) -> f64 {
        let r = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        if r.window_start.elapsed() > Duration::from_secs(10) {
            0.0
        } else {
            r.rate
        }
    }

    fn record(&self, n: usize) {
        self.messages_in.fetch_add(n as u64, Ordering::Relaxed);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        self.last_message_ms.store(now, Ordering::Relaxed);
        let mut r = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        r.window_count += n as u64;
        let elapsed = r.window_start.elapsed();
        if elapsed >= Duration::from_secs(1) {
            r.rate = r.window_count as f64 / elapsed.as_secs_f64();
            r.window_count = 0;
            r.window_start = Instant::now();
        }
    }
}

/// Where a query's rows go.
pub enum Output {
    /// Records on the sink's topic.
    Topic(SourceDef),
    /// Rows (visible columns) to a client.
    Channel(tokio::sync::mpsc::Sender<Result<Vec<Value>, EngineError>>),
}

/// Everything a query thread needs.
pub struct RunSpec {
    pub query_id: String,
    /// Builds the pipeline; called again after each failure so UDF changes apply.
    pub build: Box<dyn Fn() -> Result<Pipeline, EngineError> + Send>,
    pub source_options: SourceOptions,
    pub output: Output,
    pub broker: Arc<dyn Broker>,
    pub log: Arc<ProcessingLog>,
    pub stats: Arc<QueryStats>,
    pub stop: Arc<AtomicBool>,
    pub batch_size: usize,
}

/// How an attempt ended without error.
#[derive(Debug, PartialEq, Eq)]
enum Exit {
    Stopped,
    LimitReached,
    EndOfInput,
    ClientGone,
}

/// Starts the query's thread.
pub fn spawn(spec: RunSpec) -> std::io::Result<JoinHandle<()>> {
    thread::Builder::new().name(format!("query-{}", spec.query_id)).spawn(move || supervise(spec))
}

fn supervise(spec: RunSpec) {
    let mut backoff = Duration::from_millis(250);
    loop {
        if spec.stop.load(Ordering::Acquire) {
            spec.stats.set_state("TERMINATED", None);
            return;
        }
        let result = (spec.build)().map_err(|e| e.to_string()).and_then(|p| run_attempt(&spec, p));
        match result {
            Ok(exit) => {
                tracing::debug!(query = %spec.query_id, ?exit, "query finished");
                spec.stats.set_state(if exit == Exit::Stopped { "TERMINATED" } else { "DONE" }, None);
                return;
            }
            Err(e) => {
                tracing::warn!(query = %spec.query_id, error = %e, retry_in = ?backoff, "query failed; restarting from committed offsets");
                spec.stats.set_state("ERROR", Some(e.clone()));
                if let Output::Channel(tx) = &spec.output {
                    if tx.is_closed() {
                        return;
                    }
                }
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    if spec.stop.load(Ordering::Acquire) {
                        spec.stats.set_state("TERMINATED", None);
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

fn run_attempt(spec: &RunSpec, mut pipeline: Pipeline) -> Result<Exit, String> {
    let topic = pipeline.source.topic.clone();
    let mut source = spec.broker.source(&topic, &spec.source_options).map_err(|e| e.to_string())?;
    let (mut sink, out_codec, sink_topic) = match &spec.output {
        Output::Topic(def) => (
            Some(spec.broker.sink().map_err(|e| e.to_string())?),
            Some(RowCodec::new(&pipeline.output_schema.fields, def.key_format.clone(), def.value_format.clone())),
            def.topic.clone(),
        ),
        Output::Channel(_) => (None, None, String::new()),
    };
    let out_rowtime = pipeline.output_schema.index_of(ROWTIME);
    let visible: Vec<usize> = pipeline
        .output_schema
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.role != ColumnRole::Pseudo)
        .map(|(i, _)| i)
        .collect();
    let mut ctx = OpContext::default();
    let mut decode_failures: Vec<Failure> = Vec::new();
    let mut offsets: Vec<(i32, i64)> = Vec::new();
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut committer = Committer::default();
    let mut timings = Timings::default();
    let mut emitted: u64 = 0;
    let (mut key_buf, mut value_buf) = (Vec::with_capacity(64), Vec::with_capacity(512));
    spec.stats.set_state("RUNNING", None);

    loop {
        if spec.stop.load(Ordering::Acquire) {
            if let Some(s) = sink.as_mut() {
                let _ = s.flush(Duration::from_secs(10));
            }
            complete(&mut in_flight, &mut committer, source.as_mut(), &spec.stats, true, true)?;
            tracing::debug!(query = %spec.query_id, ?timings, "query stopped");
            return Ok(Exit::Stopped);
        }
        offsets.clear();
        decode_failures.clear();
        let decoder = &mut pipeline.decoder;
        let poll_started = Instant::now();
        let n = source
            .poll(spec.batch_size, Duration::from_millis(100), &mut |rec| {
                match offsets.iter_mut().find(|(p, _)| *p == rec.partition) {
                    Some(slot) => slot.1 = slot.1.max(rec.offset + 1),
                    None => offsets.push((rec.partition, rec.offset + 1)),
                }
                let ts = rec.timestamp.unwrap_or(0);
                if let Err(e) = decoder.decode(rec.key, rec.value, ts, rec.partition, rec.offset) {
                    decode_failures.push(Failure {
                        kind: FailureKind::Deserialization,
                        partition: rec.partition,
                        offset: rec.offset,
                        message: format!("failed to deserialize record: {e}"),
                    })
                }
            })
            .map_err(|e| e.to_string())?;
        let mut batch = pipeline.decoder.finish();

        timings.poll += poll_started.elapsed();
        let work_started = Instant::now();
        if n > 0 {
            spec.stats.record(n);
            ctx.failures.clear();
            for stage in &mut pipeline.stages {
                if batch.rows == 0 {
                    break;
                }
                ctx.origin_columns = stage.origin_columns;
                stage.operator.process(&mut batch, &mut ctx);
            }
            decode_failures.append(&mut ctx.failures);
            if !decode_failures.is_empty() {
                spec.stats.failures.fetch_add(decode_failures.len() as u64, Ordering::Relaxed);
                spec.log.report(&spec.query_id, &topic, &decode_failures);
            }
            let mut rows = batch.rows;
            let mut limit_hit = false;
            if let Some(limit) = pipeline.limit {
                let remaining = limit.saturating_sub(emitted) as usize;
                if rows >= remaining {
                    rows = remaining;
                    limit_hit = true;
                }
            }
            match &spec.output {
                Output::Topic(_) => {
                    let ticket = AckTicket::new();
                    if let (Some(s), Some(codec)) = (sink.as_mut(), out_codec.as_ref()) {
                        let times = match &pipeline.output_timestamp {
                            Some(stamp) => {
                                let mut errors = crate::udf::RowErrors::default();
                                Some(stamp.eval(&batch, &mut errors))
                            }
                            None => out_rowtime.map(|c| Operand::Array(batch.columns[c].clone())),
                        };
                        let times = times.as_ref().map(Operand::ints);
                        codec.encode(&batch, rows, &mut key_buf, &mut value_buf, |row, key, value| {
                            let ts = times.as_ref().and_then(|t| t.get(row)).unwrap_or(0);
                            s.send(&sink_topic, key, Some(value), ts, &ticket)
                                .map_err(|e| format!("producing to {sink_topic}: {e}"))
                        })?;
                    }
                    in_flight.push_back(InFlight { ticket, offsets: offsets.clone(), records: n as u64 });
                }
                Output::Channel(tx) => {
                    for r in 0..rows {
                        let values: Vec<Value> =
                            visible.iter().map(|c| value_at(batch.columns[*c].as_ref(), r)).collect();
                        if tx.blocking_send(Ok(values)).is_err() {
                            return Ok(Exit::ClientGone);
                        }
                    }
                }
            }
            timings.work += work_started.elapsed();
            timings.batches += 1;
            emitted += rows as u64;
            spec.stats.messages_out.fetch_add(rows as u64, Ordering::Relaxed);
            if limit_hit {
                if let Some(s) = sink.as_mut() {
                    let _ = s.flush(Duration::from_secs(30));
                }
                complete(&mut in_flight, &mut committer, source.as_mut(), &spec.stats, true, true)?;
                return Ok(Exit::LimitReached);
            }
        }
        complete(&mut in_flight, &mut committer, source.as_mut(), &spec.stats, false, n == 0)?;
        if let Output::Channel(tx) = &spec.output {
            if tx.is_closed() {
                return Ok(Exit::ClientGone);
            }
        }
        if source.at_end() && in_flight.is_empty() {
            return Ok(Exit::EndOfInput);
        }
    }
}

/// Where a query's thread spent its time (logged at debug level when it stops).
#[derive(Debug, Default)]
struct Timings {
    poll: Duration,
    work: Duration,
    batches: u64,
}

/// A batch whose output is not acknowledged yet.
struct InFlight {
    ticket: Arc<AckTicket>,
    /// Per partition, the next offset to read once this batch is done.
    offsets: Vec<(i32, i64)>,
    /// Input records of the batch.
    records: u64,
}

/// Offsets whose output is acknowledged, committed in groups: at most every
/// `COMMIT_INTERVAL`, and at once when the query idles or stops. Committing later
/// never loses data (at-least-once); committing every small batch would flood the
/// group coordinator.
#[derive(Default)]
struct Committer {
    offsets: Vec<(i32, i64)>,
    records: u64,
    last: Option<Instant>,
}

/// How often acknowledged offsets are committed while records flow (ksqlDB's
/// `commit.interval.ms` default is 2 s).
const COMMIT_INTERVAL: Duration = Duration::from_millis(500);

impl Committer {
    fn add(&mut self, batch: InFlight) {
        for (p, o) in batch.offsets {
            match self.offsets.iter_mut().find(|(q, _)| *q == p) {
                Some(slot) => slot.1 = slot.1.max(o),
                None => self.offsets.push((p, o)),
            }
        }
        self.records += batch.records;
    }

    fn commit(
        &mut self,
        source: &mut dyn crate::connectors::Source,
        stats: &QueryStats,
        force: bool,
    ) -> Result<(), String> {
        let due = force || self.last.is_none_or(|t| t.elapsed() >= COMMIT_INTERVAL);
        if self.offsets.is_empty() || !due {
            return Ok(());
        }
        source.commit(&self.offsets).map_err(|e| e.to_string())?;
        stats.messages_committed.fetch_add(self.records, Ordering::Relaxed);
        self.offsets.clear();
        self.records = 0;
        self.last = Some(Instant::now());
        Ok(())
    }
}

/// Moves acknowledged batches, oldest first, to the committer and commits when due.
/// With `wait`, waits (up to a bound) for outstanding deliveries; with `wait` or
/// `force`, commits what is acknowledged now.
fn complete(
    in_flight: &mut VecDeque<InFlight>,
    committer: &mut Committer,
    source: &mut dyn crate::connectors::Source,
    stats: &QueryStats,
    wait: bool,
    force: bool,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(InFlight { ticket, .. }) = in_flight.front() {
        if !ticket.done() {
            if wait && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
                continue;
            }
            break;
        }
        if let Some(e) = ticket.error() {
            return Err(format!("delivery failed: {e}"));
        }
        if let Some(done) = in_flight.pop_front() {
            committer.add(done);
        }
    }
    committer.commit(source, stats, wait || force)
}
