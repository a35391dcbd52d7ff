//! The processing log: every record a query could not decode or evaluate, with the
//! query id, topic, partition, offset and reason. Entries go to the log (tracing), to a
//! Kafka topic as JSON, and to a short in-memory history for `DESCRIBE EXTENDED`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::connectors::{AckTicket, Broker, ConnectorError, Sink};
use crate::formats::json::write_str;
use crate::operators::{Failure, FailureKind};

/// How many recent entries are kept in memory.
const HISTORY: usize = 200;

/// One logged failure.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub kind: FailureKind,
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
                kind: f.kind,
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
            if let Err(e) = s.dispatch() {
                tracing::warn!(error = %e, "cannot write to the processing log topic");
            }
        }
    }

    /// Recent entries of one query, oldest first.
    pub fn recent(&self, query_id: &str) -> Vec<LogEntry> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().filter(|e| e.query_id == query_id).cloned().collect()
    }
}

impl Drop for ProcessingLog {
    /// Entries are sent without waiting (failures must not slow the query down); the
    /// ones still queued are delivered here.
    fn drop(&mut self) {
        if let Some(s) = self.sink.get_mut().unwrap_or_else(|p| p.into_inner()).as_mut() {
            let _ = s.flush(Duration::from_secs(5));
        }
    }
}

impl LogEntry {
    /// The entry as the JSON record written to the processing-log topic: ksqlDB's
    /// processing-log shape (`type` 0 for deserialization errors with
    /// `deserializationError`, 1 for processing errors with `recordProcessingError`),
    /// plus the record's coordinates (`queryId`, `topic`, `partition`, `offset`).
    pub fn write_json(&self, buf: &mut Vec<u8>) {
        use std::io::Write as _;
        buf.extend_from_slice(b"{\"level\":\"ERROR\",\"logger\":");
        write_str(buf, &format!("processing.{}", self.query_id));
        let _ = write!(buf, ",\"time\":{},\"message\":{{", self.time_ms);
        match self.kind {
            FailureKind::Deserialization => {
                let message = self.message.strip_prefix("failed to deserialize record: ").unwrap_or(&self.message);
                let (target, message) = match message.split_once(": ") {
                    Some((t @ ("key" | "value"), rest)) => (t, rest),
                    _ => ("value", message),
                };
                buf.extend_from_slice(b"\"type\":0,\"deserializationError\":{\"target\":");
                write_str(buf, target);
                buf.extend_from_slice(b",\"errorMessage\":");
                write_str(buf, message);
                buf.extend_from_slice(b",\"recordB64\":null,\"cause\":[],\"topic\":");
                write_str(buf, &self.topic);
                buf.extend_from_slice(b"},\"recordProcessingError\":null,");
            }
            FailureKind::Processing => {
                buf.extend_from_slice(
                    b"\"type\":1,\"deserializationError\":null,\"recordProcessingError\":{\"errorMessage\":",
                );
                write_str(buf, &self.message);
                buf.extend_from_slice(b",\"record\":null,\"cause\":[]},");
            }
        }
        buf.extend_from_slice(
            b"\"productionError\":null,\"serializationError\":null,\"kafkaStreamsThreadError\":null,\"queryId\":",
        );
        write_str(buf, &self.query_id);
        buf.extend_from_slice(b",\"topic\":");
        write_str(buf, &self.topic);
        let _ = write!(buf, ",\"partition\":{},\"offset\":{},\"errorMessage\":", self.partition, self.offset);
        write_str(buf, &self.message);
        buf.extend_from_slice(b"}}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_ksqldb_shape_with_coordinates() {
        let entry = LogEntry {
            kind: FailureKind::Deserialization,
            query_id: "CSAS_X_0".into(),
            topic: "t".into(),
            partition: 2,
            offset: 41,
            message: "failed to deserialize record: value: expected value at line 1 column 1".into(),
            time_ms: 7,
        };
        let mut buf = Vec::new();
        entry.write_json(&mut buf);
        let json: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(json["logger"], "processing.CSAS_X_0");
        assert_eq!(json["message"]["type"], 0);
        assert_eq!(json["message"]["deserializationError"]["target"], "value");
        assert_eq!(json["message"]["deserializationError"]["errorMessage"], "expected value at line 1 column 1");
        assert_eq!(json["message"]["partition"], 2);
        assert_eq!(json["message"]["offset"], 41);
        let processing = LogEntry { kind: FailureKind::Processing, message: "division by zero".into(), ..entry };
        buf.clear();
        processing.write_json(&mut buf);
        let json: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(json["message"]["type"], 1);
        assert_eq!(json["message"]["recordProcessingError"]["errorMessage"], "division by zero");
    }
}
