//! `GROUP BY`: folds each row into its group's (and window's) accumulators and emits
//! the group's new results, one output row per input row, as ksqlDB emits every
//! change of a table.
//!
//! Groups are found by their key as `arrow-row` bytes (memcomparable, so the store
//! keeps them in SQL order), followed for a window by its start. Accumulators keep
//! their state in vectors indexed by group id. At a checkpoint the groups changed
//! since the last one are written to the state store together with the input offsets
//! they reflect; on open the store is read back and rows at offsets it already holds
//! are skipped, so a restart neither loses nor double-counts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Int64Array, UInt32Array};
use arrow_row::{RowConverter, SortField};
use wasp_sql::aggregate::AggregateCall;
use wasp_sql::ast::{WindowExpr, WindowKind};
use wasp_sql::DataType;

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::columnar::{to_arrow, ColumnBuilder, Operand};
use crate::expr::Evaluator;
use crate::state::{MemoryStore, SledStore, StateStore, WriteBatch};
use crate::udaf::{self, Accumulator};

/// Where the pseudo-columns are in the aggregation's input.
#[derive(Debug, Clone, Copy)]
pub struct InputSlots {
    pub rowtime: usize,
    pub partition: usize,
    pub offset: usize,
}

/// Kafka Streams' default grace period when a window names none (24 hours).
const DEFAULT_GRACE_MS: i64 = 24 * 3_600_000;

/// A group: its key bytes (and window), its latest event time, whether it changed
/// since the last checkpoint.
struct Group {
    key: Box<[u8]>,
    window_start: i64,
    rowtime: i64,
    dirty: bool,
    /// Whether its last result passed HAVING (what downstream holds for it).
    passed: bool,
}

pub struct Aggregate {
    keys: Vec<Evaluator>,
    key_types: Vec<DataType>,
    args: Vec<Vec<Evaluator>>,
    calls: Vec<AggregateCall>,
    accumulators: Vec<Box<dyn Accumulator>>,
    window: Option<WindowExpr>,
    /// HAVING, over this operator's output: a group that stops passing it is deleted
    /// (a tombstone), one that never passed is not written.
    having: Option<Evaluator>,
    slots: InputSlots,
    converter: RowConverter,
    index: HashMap<Box<[u8]>, usize>,
    groups: Vec<Group>,
    /// Slots of expired windows, for reuse.
    free: Vec<usize>,
    /// Group ids changed since the last checkpoint.
    dirty: Vec<usize>,
    /// Keys removed since the last checkpoint (expired windows).
    removed: Vec<Box<[u8]>>,
    /// The largest event time seen: windows end + grace before it are closed.
    stream_time: i64,
    /// Per partition, the next offset to fold (rows below were folded before).
    folded: Vec<(i32, i64)>,
    /// Per partition, the offset the store holds rows up to, from its last checkpoint.
    restored: Vec<(i32, i64)>,
    store: Box<dyn StateStore>,
    scratch: Vec<u8>,
    described: String,
}

impl Aggregate {
    pub fn new(
        keys: Vec<Evaluator>,
        key_types: &[DataType],
        args: Vec<Vec<Evaluator>>,
        calls: Vec<AggregateCall>,
        window: Option<WindowExpr>,
        having: Option<Evaluator>,
        slots: InputSlots,
        described: String,
    ) -> Result<Aggregate, String> {
        let fields = key_types.iter().map(|t| SortField::new(to_arrow(t))).collect();
        let converter = RowConverter::new(fields).map_err(|e| format!("group keys: {e}"))?;
        let accumulators = udaf::accumulators(&calls)?;
        Ok(Aggregate {
            keys,
            key_types: key_types.to_vec(),
            args,
            calls,
            accumulators,
            window,
            having,
            slots,
            converter,
            index: HashMap::new(),
            groups: Vec::new(),
            free: Vec::new(),
            dirty: Vec::new(),
            removed: Vec::new(),
            stream_time: i64::MIN,
            folded: Vec::new(),
            restored: Vec::new(),
            store: Box::new(MemoryStore::default()),
            scratch: Vec::new(),
            described,
        })
    }

    /// The windows a row at `ts` falls in, by start.
    fn windows(&self, ts: i64, out: &mut Vec<i64>) {
        out.clear();
        match self.window.as_ref().map(|w| w.kind) {
            None => out.push(0),
            Some(WindowKind::Tumbling { size_ms }) => out.push(ts - ts.rem_euclid(size_ms)),
            Some(WindowKind::Hopping { size_ms, advance_ms }) => {
                // Every start `s = n * advance` with `s <= ts < s + size`, none before
                // the epoch (Kafka Streams' `TimeWindows.windowsFor`), oldest first.
                let first = (ts - size_ms + advance_ms).max(0);
                let mut s = first - first.rem_euclid(advance_ms);
                while s <= ts {
                    out.push(s);
                    s += advance_ms;
                }
            }
            // Refused by the planner until sessions merge.
            Some(WindowKind::Session { .. }) => {}
        }
    }

    fn window_size(&self) -> i64 {
        match self.window.as_ref().map(|w| w.kind) {
            Some(WindowKind::Tumbling { size_ms } | WindowKind::Hopping { size_ms, .. }) => size_ms,
            _ => 0,
        }
    }

    fn grace(&self) -> i64 {
        self.window.as_ref().and_then(|w| w.grace_ms).unwrap_or(DEFAULT_GRACE_MS)
    }

    /// The group for `key` (with the window start appended when windowed), created
    /// empty if new.
    fn group(&mut self, key: &[u8], window_start: i64) -> usize {
        if let Some(g) = self.index.get(key) {
            return *g;
        }
        let group = Group { key: key.into(), window_start, rowtime: i64::MIN, dirty: false, passed: false };
        let g = match self.free.pop() {
            Some(g) => {
                self.groups[g] = group;
                g
            }
            None => {
                self.groups.push(group);
                let n = self.groups.len();
                for a in &mut self.accumulators {
                    a.resize(n);
                }
                n - 1
            }
        };
        self.index.insert(key.into(), g);
        g
    }

    fn mark_dirty(&mut self, g: usize) {
        if !self.groups[g].dirty {
            self.groups[g].dirty = true;
            self.dirty.push(g);
        }
    }

    /// A group's stored form: event time, window start, whether it passed HAVING, then
    /// each accumulator's state.
    fn encode_group(&self, g: usize, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&self.groups[g].rowtime.to_le_bytes());
        out.extend_from_slice(&self.groups[g].window_start.to_le_bytes());
        out.push(u8::from(self.groups[g].passed));
        for a in &self.accumulators {
            a.encode(g, out);
        }
    }

    fn restore(&mut self) -> Result<(), String> {
        self.restored = self.store.offsets()?;
        for (key, value) in self.store.entries()? {
            let mut input = value.as_slice();
            let rowtime = i64::from_le_bytes(crate::udaf::cell::fixed(&mut input)?);
            let window_start = i64::from_le_bytes(crate::udaf::cell::fixed(&mut input)?);
            let passed = crate::udaf::cell::take(&mut input, 1)?[0] != 0;
            let g = self.group(&key, window_start);
            self.groups[g].rowtime = rowtime;
            self.groups[g].passed = passed;
            for a in &mut self.accumulators {
                a.decode(g, &mut input)?;
            }
            self.stream_time = self.stream_time.max(rowtime);
        }
        self.folded = self.restored.clone();
        Ok(())
    }

    /// Drops the windows that closed longer ago than their retention.
    fn expire(&mut self) {
        if self.window.is_none() || self.stream_time == i64::MIN {
            return;
        }
        let size = self.window_size();
        let keep = self.window.as_ref().and_then(|w| w.retention_ms).unwrap_or(0).max(size + self.grace());
        let horizon = self.stream_time.saturating_sub(keep);
        let expired: Vec<usize> = (0..self.groups.len())
            .filter(|g| !self.groups[*g].key.is_empty())
            .filter(|g| self.groups[*g].window_start.saturating_add(size) <= horizon)
            .collect();
        for g in expired {
            let key = std::mem::take(&mut self.groups[g].key);
            self.index.remove(&key);
            self.removed.push(key);
            for a in &mut self.accumulators {
                a.reset(g);
            }
            self.groups[g].dirty = false;
            self.free.push(g);
        }
        self.dirty.retain(|g| !self.groups[*g].key.is_empty());
    }
}

impl Aggregate {
    /// The groups the store in `dir` holds (those of `key` only, when given), one row
    /// each, laid out as `process` lays out its output; with HAVING, only the groups
    /// that pass it (what the table holds).
    fn read_table(&mut self, dir: &Path, key: Option<&[wasp_sql::Value]>) -> Result<Batch, String> {
        let store = SledStore::open(dir)?;
        let entries = match key {
            Some(values) => {
                let arrays: Vec<ArrayRef> =
                    self.key_types.iter().zip(values).map(|(t, v)| crate::columnar::scalar_of(t, v)).collect();
                let rows = self.converter.convert_columns(&arrays).map_err(|e| format!("key: {e}"))?;
                store.prefix(rows.row(0).as_ref())?
            }
            None => store.entries()?,
        };
        self.store = Box::new(store);
        let suffix = if self.window.is_some() { 8 } else { 0 };
        let mut kept: Vec<usize> = Vec::with_capacity(entries.len());
        for (stored, value) in entries {
            let mut input = value.as_slice();
            let rowtime = i64::from_le_bytes(crate::udaf::cell::fixed(&mut input)?);
            let window_start = i64::from_le_bytes(crate::udaf::cell::fixed(&mut input)?);
            let passed = crate::udaf::cell::take(&mut input, 1)?[0] != 0;
            if stored.len() < suffix || (self.having.is_some() && !passed) {
                continue;
            }
            let g = self.group(&stored, window_start);
            self.groups[g].rowtime = rowtime;
            for a in &mut self.accumulators {
                a.decode(g, &mut input)?;
            }
            kept.push(g);
        }
        let parser = self.converter.parser();
        let keys = {
            let groups = &self.groups;
            let converter = &self.converter;
            let rows = kept.iter().map(|g| {
                let key = &groups[*g].key;
                parser.parse(&key[..key.len() - suffix])
            });
            // Arrow's decoder asserts on foreign bytes; a corrupt store is an error.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| converter.convert_rows(rows)))
                .map_err(|_| "the state store holds a key it cannot decode".to_owned())?
                .map_err(|e| format!("keys: {e}"))?
        };
        let n = kept.len();
        let mut columns = keys;
        columns.push(Arc::new(Int64Array::from_iter_values(kept.iter().map(|g| self.groups[*g].rowtime))));
        columns.push(Arc::new(arrow_array::Int32Array::from(vec![0; n])));
        columns.push(Arc::new(Int64Array::from(vec![0; n])));
        if self.window.is_some() {
            let size = self.window_size();
            columns.push(Arc::new(Int64Array::from_iter_values(kept.iter().map(|g| self.groups[*g].window_start))));
            columns.push(Arc::new(Int64Array::from_iter_values(
                kept.iter().map(|g| self.groups[*g].window_start.saturating_add(size)),
            )));
        }
        for (a, call) in self.accumulators.iter().zip(&self.calls) {
            let mut out = ColumnBuilder::new(&call.data_type, n);
            for g in &kept {
                a.evaluate(*g, &mut out);
            }
            columns.push(out.finish());
        }
        Ok(Batch::new(columns, n))
    }

    /// Keeps the rows that pass HAVING, and as tombstones the rows of groups that
    /// passed it before and no longer do (ksqlDB's table filter).
    fn apply_having(&mut self, having: &Evaluator, groups: &[usize], batch: &mut Batch, ctx: &mut OpContext) {
        let verdict = having.eval(batch, &mut ctx.errors);
        ctx.fail(batch);
        let verdict = verdict.bools();
        let mut keep = Vec::with_capacity(batch.rows);
        let mut tombstones = Vec::new();
        let mut kept = 0;
        for (row, &g) in groups.iter().enumerate() {
            let pass = verdict.get(row).unwrap_or(false);
            let was = std::mem::replace(&mut self.groups[g].passed, pass);
            if !pass && was {
                tombstones.push(kept);
            }
            kept += usize::from(pass || was);
            keep.push(pass || was);
        }
        if let Err(e) = batch.filter(&arrow_array::BooleanArray::from(keep)) {
            ctx.fail_batch(batch, &format!("HAVING: {e}"));
            *batch = Batch::new(Vec::new(), 0);
            return;
        }
        ctx.tombstones = tombstones;
    }
}

/// The next offset to fold for `partition` in `offsets`.
fn next_offset(offsets: &[(i32, i64)], partition: i32) -> i64 {
    offsets.iter().find(|(p, _)| *p == partition).map_or(i64::MIN, |(_, o)| *o)
}

impl Operator for Aggregate {
    fn open(&mut self, env: &super::OpenEnv<'_>) -> Result<(), String> {
        if let Some(dir) = env.state_dir {
            self.store = Box::new(SledStore::open(dir)?);
        }
        self.restore()
    }

    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let rows = batch.rows;
        let key_arrays: Vec<ArrayRef> = self.keys.iter().map(|k| k.eval_array(batch, &mut ctx.errors)).collect();
        let arg_arrays: Vec<Vec<ArrayRef>> =
            self.args.iter().map(|args| args.iter().map(|a| a.eval_array(batch, &mut ctx.errors)).collect()).collect();
        if !ctx.errors.is_empty() {
            ctx.fail(batch);
        }
        let key_rows = match self.converter.convert_columns(&key_arrays) {
            Ok(r) => r,
            Err(e) => {
                ctx.fail_batch(batch, &format!("group keys: {e}"));
                *batch = Batch::new(Vec::new(), 0);
                return;
            }
        };
        let times = Operand::Array(batch.columns[self.slots.rowtime].clone());
        let partitions = Operand::Array(batch.columns[self.slots.partition].clone());
        let offsets = Operand::Array(batch.columns[self.slots.offset].clone());
        let (times, partitions, offsets) = (times.ints(), partitions.ints(), offsets.ints());

        let mut builders: Vec<ColumnBuilder> =
            self.calls.iter().map(|c| ColumnBuilder::new(&c.data_type, rows)).collect();
        let mut taken: Vec<u32> = Vec::with_capacity(rows);
        let mut out_groups: Vec<usize> = Vec::with_capacity(rows);
        let mut out_times: Vec<i64> = Vec::with_capacity(rows);
        let mut starts: Vec<i64> = Vec::new();
        let mut window_starts: Vec<i64> = Vec::new();
        let size = self.window_size();
        let grace = self.grace();
        'rows: for row in 0..rows {
            if key_arrays.iter().any(|k| k.is_null(row)) {
                // ksqlDB drops a row whose group key is NULL.
                continue;
            }
            let partition = partitions.get(row).unwrap_or(-1) as i32;
            let offset = offsets.get(row).unwrap_or(-1);
            if offset < next_offset(&self.restored, partition) {
                continue; // folded before the last checkpoint
            }
            match self.folded.iter_mut().find(|(p, _)| *p == partition) {
                Some(slot) => slot.1 = slot.1.max(offset + 1),
                None => self.folded.push((partition, offset + 1)),
            }
            let ts = times.get(row).unwrap_or(0);
            self.stream_time = self.stream_time.max(ts);
            self.windows(ts, &mut starts);
            let key = key_rows.row(row);
            for &start in &starts {
                if self.window.is_some() && start.saturating_add(size).saturating_add(grace) <= self.stream_time {
                    ctx.errors.push(
                        row,
                        format!(
                            "Skipping a record for the window [{start}, {}) that closed; the record's time {ts} is past the grace period",
                            start.saturating_add(size)
                        ),
                    );
                    continue;
                }
                self.scratch.clear();
                self.scratch.extend_from_slice(key.as_ref());
                if self.window.is_some() {
                    // Big-endian with the sign flipped, so windows sort by start.
                    self.scratch.extend_from_slice(&((start as u64) ^ (1 << 63)).to_be_bytes());
                }
                let scratch = std::mem::take(&mut self.scratch);
                let g = self.group(&scratch, start);
                self.scratch = scratch;
                for (a, args) in self.accumulators.iter_mut().zip(&arg_arrays) {
                    if let Err(e) = a.fold(args, row, g) {
                        ctx.errors.push(row, e);
                        continue 'rows;
                    }
                }
                self.groups[g].rowtime = self.groups[g].rowtime.max(ts);
                self.mark_dirty(g);
                for (a, out) in self.accumulators.iter().zip(&mut builders) {
                    a.evaluate(g, out);
                }
                taken.push(row as u32);
                out_groups.push(g);
                out_times.push(self.groups[g].rowtime);
                window_starts.push(start);
            }
        }
        if !ctx.errors.is_empty() {
            ctx.fail(batch);
        }
        let indices = UInt32Array::from(taken);
        let take = |a: &ArrayRef| arrow_select::take::take(a.as_ref(), &indices, None);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(key_arrays.len() + 5 + builders.len());
        for k in &key_arrays {
            match take(k) {
                Ok(a) => columns.push(a),
                Err(e) => {
                    ctx.fail_batch(batch, &format!("group keys: {e}"));
                    *batch = Batch::new(Vec::new(), 0);
                    return;
                }
            }
        }
        let n = indices.len();
        columns.push(Arc::new(Int64Array::from(out_times)));
        for slot in [self.slots.partition, self.slots.offset] {
            match take(&batch.columns[slot]) {
                Ok(a) => columns.push(a),
                Err(e) => {
                    ctx.fail_batch(batch, &format!("aggregate: {e}"));
                    *batch = Batch::new(Vec::new(), 0);
                    return;
                }
            }
        }
        if self.window.is_some() {
            let ends: Vec<i64> = window_starts.iter().map(|s| s.saturating_add(size)).collect();
            columns.push(Arc::new(Int64Array::from(window_starts)));
            columns.push(Arc::new(Int64Array::from(ends)));
        }
        columns.extend(builders.iter_mut().map(ColumnBuilder::finish));
        *batch = Batch::new(columns, n);
        if let Some(having) = self.having.take() {
            self.apply_having(&having, &out_groups, batch, ctx);
            self.having = Some(having);
        }
    }

    fn read_state(&mut self, state_dir: &Path, key: Option<&[wasp_sql::Value]>) -> Option<Result<Batch, String>> {
        Some(self.read_table(state_dir, key))
    }

    fn checkpoint(&mut self) -> Result<(), String> {
        self.expire();
        let mut write = WriteBatch::default();
        let dirty = std::mem::take(&mut self.dirty);
        let mut value = Vec::new();
        for &g in &dirty {
            self.encode_group(g, &mut value);
            write.puts.push((self.groups[g].key.to_vec(), value.clone()));
            self.groups[g].dirty = false;
        }
        write.deletes = std::mem::take(&mut self.removed).into_iter().map(Vec::from).collect();
        write.offsets = self.folded.clone();
        self.store.write(write)
    }

    fn is_stateful(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}
