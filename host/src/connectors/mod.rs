//! Sources, sinks and topic administration, behind traits.
//!
//! A [`Broker`] is the engine's view of a Kafka cluster: it creates, describes and lists
//! topics and opens [`Source`]s (a consumer in a group) and [`Sink`]s (a producer).
//! Two implementations: [`kafka::KafkaBroker`] over rdkafka for real clusters and the
//! embedded mock cluster, and [`memory::MemoryBroker`], a bounded in-process broker for
//! deterministic golden tests.
//!
//! Offsets flow through one path: a query commits a batch's offsets only after every
//! record it produced for that batch was acknowledged (see [`AckTicket`]).

pub mod kafka;
pub mod memory;
pub mod producer;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A failure talking to the broker.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// The topic does not exist.
    #[error("topic {0} does not exist")]
    UnknownTopic(String),
    /// The topic exists already.
    #[error("topic {0} already exists")]
    TopicExists(String),
    /// The broker refused or failed; retrying may help.
    #[error("kafka: {0}")]
    Kafka(String),
    /// Bad configuration; retrying will not help.
    #[error("configuration: {0}")]
    Config(String),
}

/// A topic's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub partitions: i32,
    pub replicas: i32,
}

/// Where a new consumer group starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
}

impl OffsetReset {
    pub fn parse(s: &str) -> Option<OffsetReset> {
        match s.trim().to_ascii_lowercase().as_str() {
            "earliest" => Some(OffsetReset::Earliest),
            "latest" => Some(OffsetReset::Latest),
            _ => None,
        }
    }
}

/// How to open a source.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Consumer group; committed offsets are kept per group.
    pub group_id: String,
    pub offset_reset: OffsetReset,
    /// End when every partition has been read to the end offsets seen at start
    /// (only the memory broker's push queries use this).
    pub bounded: bool,
}

/// One record, borrowed from the source's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// Record timestamp (epoch ms), if the record has one.
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

/// Reads records of one topic as a member of a consumer group.
pub trait Source: Send {
    /// Hands up to `max` records to `f`, waiting at most `timeout` for the first one.
    /// Returns how many records were handed over.
    fn poll(
        &mut self,
        max: usize,
        timeout: Duration,
        f: &mut dyn FnMut(RecordRef<'_>),
    ) -> Result<usize, ConnectorError>;

    /// Commits, per partition, the offset of the next record to read.
    fn commit(&mut self, offsets: &[(i32, i64)]) -> Result<(), ConnectorError>;

    /// For bounded sources: every partition was read to its end.
    fn at_end(&self) -> bool {
        false
    }
}

/// Tracks the delivery of the records produced for one batch.
#[derive(Debug, Default)]
pub struct AckTicket {
    pending: AtomicUsize,
    error: Mutex<Option<String>>,
}

impl AckTicket {
    pub fn new() -> Arc<AckTicket> {
        Arc::new(AckTicket::default())
    }

    /// Counts one more record in flight.
    pub fn add(&self) {
        self.pending.fetch_add(1, Ordering::AcqRel);
    }

    /// Records one delivery outcome.
    pub fn complete(&self, result: Result<(), String>) {
        self.complete_many(1, result);
    }

    /// Records the outcome of `n` records delivered (or failed) together.
    pub fn complete_many(&self, n: usize, result: Result<(), String>) {
        if let Err(e) = result {
            let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert(e);
        }
        self.pending.fetch_sub(n, Ordering::AcqRel);
    }

    /// True when every record was delivered or failed.
    pub fn done(&self) -> bool {
        self.pending.load(Ordering::Acquire) == 0
    }

    /// The first delivery error, if any.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Writes records to any topic.
pub trait Sink: Send {
    /// Queues one record; its delivery is reported to `ticket`. A sink may hold
    /// records until [`Sink::dispatch`].
    fn send(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        ticket: &Arc<AckTicket>,
    ) -> Result<(), ConnectorError>;

    /// Hands the records queued so far to the broker connection, without waiting
    /// for their acknowledgement. Call it after the records of a batch.
    fn dispatch(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Dispatches, then waits until everything queued was delivered or failed.
    fn flush(&mut self, timeout: Duration) -> Result<(), ConnectorError>;
}

/// The engine's view of a Kafka cluster.
pub trait Broker: Send + Sync {
    /// Creates a topic; `TopicExists` if it is there already.
    fn create_topic(&self, name: &str, partitions: i32, replicas: i32) -> Result<(), ConnectorError>;

    /// The topic's shape, or `None` if it does not exist.
    fn describe_topic(&self, name: &str) -> Result<Option<TopicDescription>, ConnectorError>;

    fn list_topics(&self) -> Result<Vec<TopicDescription>, ConnectorError>;

    fn delete_topic(&self, name: &str) -> Result<(), ConnectorError>;

    /// Opens a consumer of `topic`.
    fn source(&self, topic: &str, options: &SourceOptions) -> Result<Box<dyn Source>, ConnectorError>;

    /// Reads every partition of `topic` outside any consumer group: a partition listed
    /// in `from` from that offset, the others from their start. Returns the reader and,
    /// per partition, the end offset as of now. Commits through the reader do nothing
    /// (its owner keeps its offsets itself).
    fn reader(&self, topic: &str, from: &[(i32, i64)]) -> Result<(Box<dyn Source>, Vec<(i32, i64)>), ConnectorError>;

    /// Opens a producer.
    fn sink(&self) -> Result<Box<dyn Sink>, ConnectorError>;

    /// How many records of `topic` the group has not committed yet; `None` if unknown.
    fn group_lag(&self, group_id: &str, topic: &str) -> Result<Option<i64>, ConnectorError>;

    /// The cluster id, for `/info`.
    fn cluster_id(&self) -> String;

    /// Whether the cluster answers.
    fn healthy(&self) -> bool;

    /// Whether sources of this broker are deterministic and bounded (tests).
    fn is_bounded(&self) -> bool {
        false
    }
}
