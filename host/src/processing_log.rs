//! The processing log: every record a query could not decode or evaluate, with the
//! query id, topic, partition, offset and reason. Entries go to the log (tracing), to a
//! Kafka topic as JSON, and to a short in-memory history for `DESCRIBE EXTENDED`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::connectors::{AckTicket, Broker, ConnectorError, Sink};
use crate::formats::json::write_str;
use crate::operators::Failure;

/// How many recent entries are kept in memory.
const HISTORY: usize = 200;

/// One logged failure.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub query_id: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub message: String,
    pub time_ms: i64,
}

/// Where failures go.
pub struct ProcessingLog {
    topic: String,
    sink: Mutex<Option<Box<dyn Sink>>>,
    recent: Mutex<VecDeque<LogEntry>>,
}

impl std::fmt::Debug for ProcessingLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessingLog").field("topic", &self.topic).finish()
    }
}

impl ProcessingLog {
    /// A log writing to `topic` on `broker` (created with one partition if missing).
    /// If the topic cannot be created the log still records to tracing and memory.
    pub fn new(broker: &dyn Broker, topic: &str) -> Arc<ProcessingLog> {
        let sink = match broker.create_topic(topic, 1, 1) {
            Ok(()) | Err(ConnectorError::TopicExists(_)) => broker.sink().ok(),
            Err(e) => {
                tracing::warn!(topic, error = %e, "processing log topic unavailable; logging locally only");
                None
            }
        };
        Arc::new(ProcessingLog { topic: topic.to_owned(), sink: Mutex::new(sink), recent: Mutex::new(VecDeque::new()) })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Records failures of `query_id` while reading `topic`.
    pub fn report(&self, query_id: &str, topic: &str, failures: &[Failure]) {
        if failures.is_empty() {
            return;
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        let ticket = AckTicket::new();
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let mut buf = Vec::with_capacity(256);
        for f in failures {
            tracing::warn!(
                query = query_id,
                topic,
                partition = f.partition,
                offset = f.offset,
                "processing error: {}",
                f.message
            );
            let entry = LogEntry {
                query_id: query_id.to_owned(),
                topic: topic.to_owned(),
                partition: f.partition,
                offset: f.offset,
                message: f.message.clone(),
                time_ms: now,
            };
            if let Some(s) = sink.as_mut() {
                buf.clear();
                entry.write_json(&mut buf);
                if let Err(e) = s.send(&self.topic, Some(query_id.as_bytes()), Some(&buf), now, &ticket) {
                    tracing::warn!(error = %e, "cannot write to the processing log topic");
                }
            }
            if recent.len() == HISTORY {
                recent.pop_front();
            }
            recent.push_back(entry);
        }
        if let Some(s) = sink.as_mut() {
            let _ = s.flush(Duration::from_secs(5));
        }
    }

    /// Recent entries of one query, oldest first.
    pub fn recent(&self, query_id: &str) -> Vec<LogEntry> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().filter(|e| e.query_id == query_id).cloned().collect()
    }
}

impl LogEntry {
    /// The entry as the JSON record written to the processing-log topic.
    pub fn write_json(&self, buf: &mut Vec<u8>) {
        use std::io::Write as _;
        buf.extend_from_slice(b"{\"level\":\"ERROR\",\"logger\":");
        write_str(buf, &format!("processing.{}", self.query_id));
        let _ = write!(buf, ",\"time\":{},\"message\":{{\"queryId\":", self.time_ms);
        write_str(buf, &self.query_id);
        buf.extend_from_slice(b",\"topic\":");
        write_str(buf, &self.topic);
        let _ = write!(buf, ",\"partition\":{},\"offset\":{},\"errorMessage\":", self.partition, self.offset);
        write_str(buf, &self.message);
        buf.extend_from_slice(b"}}");
    }
}
