//! An in-process broker for golden tests: topics are vectors of records, consumer
//! groups keep committed offsets, and push queries can be bounded so that every run
//! produces the same output.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{AckTicket, Broker, ConnectorError, OffsetReset, RecordRef, Sink, Source, SourceOptions, TopicDescription};

/// A record; its bytes are shared, so reading it is a reference count, not a copy.
#[derive(Debug, Clone)]
struct StoredRecord {
    key: Option<Arc<[u8]>>,
    value: Option<Arc<[u8]>>,
    timestamp: i64,
}

#[derive(Debug, Default)]
struct State {
    topics: HashMap<String, Vec<Vec<StoredRecord>>>,
    /// (group, topic) -> committed next offset per partition.
    groups: HashMap<(String, String), Vec<i64>>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Readers blocked on `changed` (counted under the state lock), so writers skip
    /// the wake-up, a system call, when nobody waits.
    waiters: std::sync::atomic::AtomicUsize,
}

/// The in-memory broker. Cloning shares the same topics.
#[derive(Debug, Clone, Default)]
pub struct MemoryBroker {
    shared: Arc<Shared>,
}

impl MemoryBroker {
    pub fn new() -> MemoryBroker {
        MemoryBroker::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a record directly (test set-up), round-robin over partitions when no
    /// partition is given.
    pub fn produce(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
    ) -> Result<(), ConnectorError> {
        let mut state = self.lock();
        let parts = state.topics.get_mut(topic).ok_or_else(|| ConnectorError::UnknownTopic(topic.to_owned()))?;
        let p = match partition {
            Some(p) => p as usize,
            None => partition_for(key, parts.len()),
        };
        let part = parts.get_mut(p).ok_or_else(|| ConnectorError::Kafka(format!("no partition {p} in {topic}")))?;
        part.push(StoredRecord { key: key.map(Arc::from), value: value.map(Arc::from), timestamp });
        let waiting = self.shared.waiters.load(std::sync::atomic::Ordering::SeqCst) > 0;
        drop(state);
        if waiting {
            self.shared.changed.notify_all();
        }
        Ok(())
    }

    /// Every record of a topic as (partition, offset, key, value), for tests.
    pub fn records(&self, topic: &str) -> Vec<(i32, i64, Option<Vec<u8>>, Option<Vec<u8>>)> {
        let state = self.lock();
        let mut out = Vec::new();
        if let Some(parts) = state.topics.get(topic) {
            for (p, recs) in parts.iter().enumerate() {
                for (o, r) in recs.iter().enumerate() {
                    out.push((
                        p as i32,
                        o as i64,
                        r.key.as_deref().map(<[u8]>::to_vec),
                        r.value.as_deref().map(<[u8]>::to_vec),
                    ));
                }
            }
        }
        out
    }
}

/// Kafka's default partitioner picks by murmur2 of the key; any stable hash keeps
/// per-key order, which is what matters here.
fn partition_for(key: Option<&[u8]>, partitions: usize) -> usize {
    match key {
        Some(k) if partitions > 1 => {
            let mut h: u32 = 2166136261;
            for b in k {
                h = (h ^ u32::from(*b)).wrapping_mul(16777619);
            }
            (h as usize) % partitions
        }
        _ => 0,
    }
}

impl Broker for MemoryBroker {
    fn create_topic(&self, name: &str, partitions: i32, _replicas: i32) -> Result<(), ConnectorError> {
        let mut state = self.lock();
        if state.topics.contains_key(name) {
            return Err(ConnectorError::TopicExists(name.to_owned()));
        }
        state.topics.insert(name.to_owned(), vec![Vec::new(); partitions.max(1) as usize]);
        Ok(())
    }

    fn describe_topic(&self, name: &str) -> Result<Option<TopicDescription>, ConnectorError> {
        Ok(self.lock().topics.get(name).map(|p| TopicDescription {
            name: name.to_owned(),
            partitions: p.len() as i32,
            replicas: 1,
        }))
    }

    fn list_topics(&self) -> Result<Vec<TopicDescription>, ConnectorError> {
        let state = self.lock();
        let mut out: Vec<TopicDescription> = state
            .topics
            .iter()
            .map(|(n, p)| TopicDescription { name: n.clone(), partitions: p.len() as i32, replicas: 1 })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn delete_topic(&self, name: &str) -> Result<(), ConnectorError> {
        self.lock().topics.remove(name).map(|_| ()).ok_or_else(|| ConnectorError::UnknownTopic(name.to_owned()))
    }

    fn source(&self, topic: &str, options: &SourceOptions) -> Result<Box<dyn Source>, ConnectorError> {
        let state = self.lock();
        let parts = state.topics.get(topic).ok_or_else(|| ConnectorError::UnknownTopic(topic.to_owned()))?;
        let committed = state.groups.get(&(options.group_id.clone(), topic.to_owned()));
        let positions: Vec<i64> = (0..parts.len())
            .map(|p| match committed.and_then(|c| c.get(p)) {
                Some(o) => *o,
                None => match options.offset_reset {
                    OffsetReset::Earliest => 0,
                    OffsetReset::Latest => parts[p].len() as i64,
                },
            })
            .collect();
        let ends = parts.iter().map(|p| p.len() as i64).collect();
        Ok(Box::new(MemorySource {
            broker: self.clone(),
            topic: topic.to_owned(),
            group: Some(options.group_id.clone()),
            positions,
            bounded_ends: options.bounded.then_some(ends),
            next_partition: 0,
            buf: Vec::new(),
        }))
    }

    fn reader(&self, topic: &str, from: &[(i32, i64)]) -> Result<(Box<dyn Source>, Vec<(i32, i64)>), ConnectorError> {
        let state = self.lock();
        let parts = state.topics.get(topic).ok_or_else(|| ConnectorError::UnknownTopic(topic.to_owned()))?;
        let positions: Vec<i64> =
            (0..parts.len() as i32).map(|p| from.iter().find(|(q, _)| *q == p).map_or(0, |(_, o)| *o)).collect();
        let ends = parts.iter().enumerate().map(|(p, recs)| (p as i32, recs.len() as i64)).collect();
        let source = MemorySource {
            broker: self.clone(),
            topic: topic.to_owned(),
            group: None,
            positions,
            bounded_ends: None,
            next_partition: 0,
            buf: Vec::new(),
        };
        Ok((Box::new(source), ends))
    }

    fn sink(&self) -> Result<Box<dyn Sink>, ConnectorError> {
        Ok(Box::new(MemorySink { broker: self.clone() }))
    }

    fn group_lag(&self, group_id: &str, topic: &str) -> Result<Option<i64>, ConnectorError> {
        let state = self.lock();
        let Some(parts) = state.topics.get(topic) else { return Ok(None) };
        let committed = state.groups.get(&(group_id.to_owned(), topic.to_owned()));
        let lag = parts
            .iter()
            .enumerate()
            .map(|(p, recs)| recs.len() as i64 - committed.and_then(|c| c.get(p)).copied().unwrap_or(0))
            .sum();
        Ok(Some(lag))
    }

    fn cluster_id(&self) -> String {
        "wasp-memory".into()
    }

    fn healthy(&self) -> bool {
        true
    }

    fn is_bounded(&self) -> bool {
        true
    }
}

struct MemorySource {
    broker: MemoryBroker,
    topic: String,
    /// The consumer group; `None` for a reader outside any group.
    group: Option<String>,
    positions: Vec<i64>,
    bounded_ends: Option<Vec<i64>>,
    next_partition: usize,
    buf: Vec<(i32, i64, StoredRecord)>,
}

impl Source for MemorySource {
    fn poll(
        &mut self,
        max: usize,
        timeout: Duration,
        f: &mut dyn FnMut(RecordRef<'_>),
    ) -> Result<usize, ConnectorError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.broker.lock();
        loop {
            self.buf.clear();
            let parts =
                state.topics.get(&self.topic).ok_or_else(|| ConnectorError::UnknownTopic(self.topic.clone()))?;
            let n = parts.len();
            for i in 0..n {
                let p = (self.next_partition + i) % n;
                let end = match &self.bounded_ends {
                    Some(ends) => ends[p].min(parts[p].len() as i64),
                    None => parts[p].len() as i64,
                };
                while self.positions[p] < end && self.buf.len() < max {
                    let o = self.positions[p];
                    self.buf.push((p as i32, o, parts[p][o as usize].clone()));
                    self.positions[p] += 1;
                }
            }
            self.next_partition = (self.next_partition + 1) % n.max(1);
            if !self.buf.is_empty() || self.at_end() {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let shared = &self.broker.shared;
            shared.waiters.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            state = shared.changed.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
            shared.waiters.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
        drop(state);
        for (p, o, r) in &self.buf {
            f(RecordRef {
                topic: &self.topic,
                partition: *p,
                offset: *o,
                timestamp: Some(r.timestamp),
                key: r.key.as_deref(),
                value: r.value.as_deref(),
            });
        }
        Ok(self.buf.len())
    }

    fn commit(&mut self, offsets: &[(i32, i64)]) -> Result<(), ConnectorError> {
        let Some(group) = &self.group else { return Ok(()) };
        let mut state = self.broker.lock();
        let n = state.topics.get(&self.topic).map(Vec::len).unwrap_or(0);
        let entry = state.groups.entry((group.clone(), self.topic.clone())).or_insert_with(|| vec![0; n]);
        for (p, o) in offsets {
            if let Some(slot) = entry.get_mut(*p as usize) {
                *slot = (*slot).max(*o);
            }
        }
        let waiting = self.broker.shared.waiters.load(std::sync::atomic::Ordering::SeqCst) > 0;
        drop(state);
        if waiting {
            self.broker.shared.changed.notify_all();
        }
        Ok(())
    }

    fn at_end(&self) -> bool {
        match &self.bounded_ends {
            Some(ends) => self.positions.iter().zip(ends).all(|(p, e)| p >= e),
            None => false,
        }
    }
}

struct MemorySink {
    broker: MemoryBroker,
}

impl Sink for MemorySink {
    fn send(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        ticket: &Arc<AckTicket>,
    ) -> Result<(), ConnectorError> {
        ticket.add();
        let result = self.broker.produce(topic, None, key, value, timestamp);
        ticket.complete(result.clone().map_err(|e| e.to_string()));
        result
    }

    fn flush(&mut self, _timeout: Duration) -> Result<(), ConnectorError> {
        Ok(())
    }
}
