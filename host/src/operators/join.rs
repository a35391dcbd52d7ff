//! Stream-table joins: each stream row is joined with the table's row for its key, as
//! the table is at the row's event time.
//!
//! The operator materializes the table itself. It reads the table's topic outside any
//! consumer group (every partition: a table is small next to its stream, and a full
//! copy joins any stream partition without a repartition topic), keeps each key's
//! latest record, and persists it in its state store together with the offsets it
//! reflects. Table records are applied in event-time order with the stream: a table
//! record waits until the stream reaches its timestamp (Kafka Streams' rule, which
//! picks the input with the smallest timestamp next), and when the stream is idle
//! every fetched record is applied.
//!
//! Table rows are kept as the records' raw bytes and decoded only when a stream row
//! matches them, once per batch and distinct record, then gathered with `take`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Array, ArrayRef, UInt32Array};
use arrow_row::{RowConverter, SortField};
use arrow_select::take::take;
use wasp_sql::ast::JoinKind;
use wasp_sql::DataType;

use super::{Failure, FailureKind, OpContext, OpenEnv, Operator};
use crate::batch::Batch;
use crate::catalog::SourceDef;
use crate::columnar::{to_arrow, Operand};
use crate::connectors::Source;
use crate::expr::Evaluator;
use crate::formats::RowCodec;
use crate::state::{SledStore, StateStore, WriteBatch};

/// How long opening waits to read the table to the end it had at open.
const BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(60);
/// Records read from the table per poll.
const TABLE_POLL: usize = 4096;

/// One table record as read: what a match decodes.
struct TableRecord {
    key: Option<Box<[u8]>>,
    value: Box<[u8]>,
    timestamp: i64,
}

/// A table record read but not applied yet (its time is ahead of the stream's).
struct Pending {
    key: Box<[u8]>,
    /// `None` deletes the key (a tombstone).
    record: Option<Arc<TableRecord>>,
    timestamp: i64,
    partition: i32,
    offset: i64,
}

pub struct StreamTableJoin {
    kind: JoinKind,
    /// The stream side's join expression, over the stream's row.
    key: Evaluator,
    /// The stream row's ROWTIME.
    rowtime: usize,
    table: SourceDef,
    /// Decodes table records into the table's row.
    codec: RowCodec,
    /// The table's key column in its row, and its stored columns (appended to the
    /// stream's row).
    right_key: usize,
    stored: Vec<usize>,
    converter: RowConverter,
    rows: HashMap<Box<[u8]>, Arc<TableRecord>>,
    /// Keys changed since the last checkpoint.
    dirty: Vec<Box<[u8]>>,
    pending: VecDeque<Pending>,
    /// Per table partition, the next offset to apply.
    applied: Vec<(i32, i64)>,
    reader: Option<Box<dyn Source>>,
    store: Option<Box<dyn StateStore>>,
    /// Table records that failed to decode, reported with the next batch.
    failures: Vec<Failure>,
    described: String,
}

impl StreamTableJoin {
    /// A join of stream rows (`rowtime` is their ROWTIME slot) on `key` with `table`,
    /// whose row (`table_fields`, its source row) has its key at `right_key`.
    pub fn new(
        kind: JoinKind,
        key: Evaluator,
        rowtime: usize,
        table: SourceDef,
        table_fields: &[wasp_sql::Field],
        right_key: usize,
        described: String,
    ) -> Result<StreamTableJoin, String> {
        let key_type: &DataType = &table_fields[right_key].data_type;
        let converter = RowConverter::new(vec![SortField::new(to_arrow(key_type))]).map_err(|e| e.to_string())?;
        let codec = RowCodec::new(table_fields, table.key_format.clone(), table.value_format.clone());
        let stored = table_fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.role != wasp_sql::ColumnRole::Pseudo)
            .map(|(i, _)| i)
            .collect();
        Ok(StreamTableJoin {
            kind,
            key,
            rowtime,
            table,
            codec,
            right_key,
            stored,
            converter,
            rows: HashMap::new(),
            dirty: Vec::new(),
            pending: VecDeque::new(),
            applied: Vec::new(),
            reader: None,
            store: None,
            failures: Vec::new(),
            described,
        })
    }

    /// Reads what the table's topic has now (at most `max_polls` polls), decoding each
    /// record's key, into `pending`.
    fn fetch(&mut self, max_polls: usize) -> Result<usize, String> {
        let mut total = 0;
        for _ in 0..max_polls {
            let Some(reader) = self.reader.as_mut() else { return Ok(0) };
            let mut raw: Vec<(Option<Box<[u8]>>, Option<Box<[u8]>>, i64, i32, i64)> = Vec::new();
            let n = reader
                .poll(TABLE_POLL, Duration::ZERO, &mut |r| {
                    raw.push((
                        r.key.map(Into::into),
                        r.value.map(Into::into),
                        r.timestamp.unwrap_or(0),
                        r.partition,
                        r.offset,
                    ))
                })
                .map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            total += n;
            self.decode(raw);
        }
        Ok(total)
    }

    fn decode(&mut self, raw: Vec<(Option<Box<[u8]>>, Option<Box<[u8]>>, i64, i32, i64)>) {
        let mut decoded = Vec::with_capacity(raw.len());
        for (i, (key, value, ts, partition, offset)) in raw.iter().enumerate() {
            match self.codec.decode(key.as_deref(), value.as_deref(), *ts, *partition, *offset) {
                Ok(()) => decoded.push(i),
                Err(e) => self.failures.push(Failure {
                    kind: FailureKind::Deserialization,
                    partition: *partition,
                    offset: *offset,
                    message: format!("failed to deserialize record: {e}"),
                    topic: Some(self.table.topic.clone()),
                }),
            }
        }
        let batch = self.codec.finish();
        let keys = match self.converter.convert_columns(&[batch.columns[self.right_key].clone()]) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(table = %self.table.name, error = %e, "table keys");
                return;
            }
        };
        let null_keys = batch.columns[self.right_key].clone();
        for (row, &i) in decoded.iter().enumerate() {
            let (key, value, ts, partition, offset) = &raw[i];
            // A table record without a key names no row (ksqlDB drops it).
            if null_keys.is_null(row) {
                self.advance(*partition, *offset);
                continue;
            }
            let record =
                value.as_ref().map(|v| Arc::new(TableRecord { key: key.clone(), value: v.clone(), timestamp: *ts }));
            self.pending.push_back(Pending {
                key: keys.row(row).as_ref().into(),
                record,
                timestamp: *ts,
                partition: *partition,
                offset: *offset,
            });
        }
    }

    fn advance(&mut self, partition: i32, offset: i64) {
        match self.applied.iter_mut().find(|(p, _)| *p == partition) {
            Some(slot) => slot.1 = slot.1.max(offset + 1),
            None => self.applied.push((partition, offset + 1)),
        }
    }

    /// Applies the pending table records up to event time `until`, in the order read.
    fn apply_until(&mut self, until: i64) {
        while self.pending.front().is_some_and(|p| p.timestamp <= until) {
            let Some(p) = self.pending.pop_front() else { break };
            self.advance(p.partition, p.offset);
            match p.record {
                Some(r) => {
                    self.rows.insert(p.key.clone(), r);
                }
                None => {
                    self.rows.remove(&p.key);
                }
            }
            self.dirty.push(p.key);
        }
    }
}

/// A record as the store keeps it: timestamp, key length (or -1), key, value.
fn encode_record(r: &TableRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + r.key.as_ref().map_or(0, |k| k.len()) + r.value.len());
    out.extend_from_slice(&r.timestamp.to_be_bytes());
    match &r.key {
        Some(k) => {
            out.extend_from_slice(&(k.len() as i32).to_be_bytes());
            out.extend_from_slice(k);
        }
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
    out.extend_from_slice(&r.value);
    out
}

fn decode_record(bytes: &[u8]) -> Option<TableRecord> {
    let timestamp = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let len = i32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?);
    let (key, rest) = if len < 0 {
        (None, bytes.get(12..)?)
    } else {
        let end = 12 + len as usize;
        (Some(bytes.get(12..end)?.into()), bytes.get(end..)?)
    };
    Some(TableRecord { key, value: rest.into(), timestamp })
}

impl Operator for StreamTableJoin {
    fn open(&mut self, env: &OpenEnv<'_>) -> Result<(), String> {
        self.rows.clear();
        self.pending.clear();
        self.dirty.clear();
        self.applied.clear();
        if let Some(dir) = env.state_dir {
            let mut store = SledStore::open(dir)?;
            let entries = store.entries()?;
            for (key, value) in &entries {
                match decode_record(value) {
                    Some(r) => {
                        self.rows.insert(key.as_slice().into(), Arc::new(r));
                    }
                    None => {
                        // A store that cannot be read is not trusted: it is emptied and
                        // the table read again from its start.
                        tracing::warn!(table = %self.table.name, "unreadable table row in the store; re-reading the table");
                        self.rows.clear();
                        let deletes = entries.iter().map(|(k, _)| k.clone()).collect();
                        store.write(WriteBatch { deletes, ..WriteBatch::default() })?;
                        break;
                    }
                }
            }
            // An empty store is read from the start, whatever offsets it kept.
            if !self.rows.is_empty() {
                self.applied = store.offsets()?;
            }
            self.store = Some(Box::new(store));
        }
        let (reader, ends) = env.broker.reader(&self.table.topic, &self.applied).map_err(|e| e.to_string())?;
        self.reader = Some(reader);
        // Read the table to the end it has now before the first stream row: a row
        // joins with every table record older than it.
        let deadline = Instant::now() + BOOTSTRAP_TIMEOUT;
        let caught_up = |me: &StreamTableJoin| {
            ends.iter().all(|(p, end)| {
                let read = me.pending.iter().rev().find(|x| x.partition == *p).map(|x| x.offset + 1);
                let applied = me.applied.iter().find(|(q, _)| q == p).map(|(_, o)| *o);
                read.or(applied).unwrap_or(0) >= *end
            })
        };
        while !caught_up(self) {
            if Instant::now() >= deadline {
                return Err(format!("reading table {} timed out before reaching its end", self.table.name));
            }
            if self.fetch(16)? == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(())
    }

    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        ctx.failures.append(&mut self.failures);
        if let Err(e) = self.fetch(4) {
            tracing::warn!(table = %self.table.name, error = %e, "reading the table; retrying with the next batch");
        }
        let rows = batch.rows;
        let keys = self.key.eval_array(batch, &mut ctx.errors);
        if !ctx.errors.is_empty() {
            ctx.fail(batch);
        }
        let key_rows = match self.converter.convert_columns(std::slice::from_ref(&keys)) {
            Ok(r) => r,
            Err(e) => {
                ctx.fail_batch(batch, &format!("join key: {e}"));
                *batch = Batch::new(Vec::new(), 0);
                return;
            }
        };
        let times = Operand::Array(batch.columns[self.rowtime].clone());
        let times = times.ints();
        // Per output row: the stream row, and the matched record's place in `matched`.
        let mut kept: Vec<u32> = Vec::with_capacity(rows);
        let mut picks: Vec<Option<u32>> = Vec::with_capacity(rows);
        let mut matched: Vec<Arc<TableRecord>> = Vec::new();
        let mut seen: HashMap<*const TableRecord, u32> = HashMap::new();
        for row in 0..rows {
            self.apply_until(times.get(row).unwrap_or(0));
            let found = if keys.is_null(row) { None } else { self.rows.get(key_rows.row(row).as_ref()) };
            let pick = found.map(|r| {
                *seen.entry(Arc::as_ptr(r)).or_insert_with(|| {
                    matched.push(r.clone());
                    matched.len() as u32 - 1
                })
            });
            if pick.is_none() && self.kind == JoinKind::Inner {
                continue;
            }
            kept.push(row as u32);
            picks.push(pick);
        }
        // The matched records, decoded once each (they decoded when read, so they do
        // again); a record that somehow does not is a miss.
        let mut position: Vec<Option<u32>> = Vec::with_capacity(matched.len());
        let mut decoded = 0u32;
        for r in &matched {
            match self.codec.decode(r.key.as_deref(), Some(&r.value), r.timestamp, 0, 0) {
                Ok(()) => {
                    position.push(Some(decoded));
                    decoded += 1;
                }
                Err(_) => position.push(None),
            }
        }
        let table = self.codec.finish();
        let indices: UInt32Array = picks.iter().map(|p| p.and_then(|i| position[i as usize])).collect();
        let all_kept = kept.len() == rows;
        let kept = UInt32Array::from(kept);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.columns.len() + self.stored.len());
        for c in &batch.columns {
            if all_kept {
                columns.push(c.clone());
            } else {
                match take(c.as_ref(), &kept, None) {
                    Ok(a) => columns.push(a),
                    Err(e) => {
                        ctx.fail_batch(batch, &format!("join: {e}"));
                        *batch = Batch::new(Vec::new(), 0);
                        return;
                    }
                }
            }
        }
        for &i in &self.stored {
            match take(table.columns[i].as_ref(), &indices, None) {
                Ok(a) => columns.push(a),
                Err(e) => {
                    ctx.fail_batch(batch, &format!("join: {e}"));
                    *batch = Batch::new(Vec::new(), 0);
                    return;
                }
            }
        }
        *batch = Batch::new(columns, kept.len());
    }

    fn idle(&mut self) {
        match self.fetch(4) {
            Ok(_) => self.apply_until(i64::MAX),
            Err(e) => tracing::warn!(table = %self.table.name, error = %e, "reading the table; retrying"),
        }
    }

    fn checkpoint(&mut self) -> Result<(), String> {
        let Some(store) = self.store.as_mut() else {
            self.dirty.clear();
            return Ok(());
        };
        if self.dirty.is_empty() {
            return Ok(());
        }
        let mut write = WriteBatch { offsets: self.applied.clone(), ..WriteBatch::default() };
        self.dirty.sort_unstable();
        self.dirty.dedup();
        for key in self.dirty.drain(..) {
            match self.rows.get(&key) {
                Some(r) => write.puts.push((key.into_vec(), encode_record(r))),
                None => write.deletes.push(key.into_vec()),
            }
        }
        store.write(write)
    }

    fn is_stateful(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}
