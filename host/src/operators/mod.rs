//! Operators: the stages a batch passes through between source and sink.
//!
//! An operator transforms a batch in place. Rows that fail (an expression error, a
//! bad timestamp) are reported through [`OpContext::fail`] with their origin before the
//! operator changes the batch, so the processing log can name topic, partition and
//! offset.

mod aggregate;
mod filter;
mod join;
mod project;
mod timestamp;

pub use aggregate::{Aggregate, InputSlots};
pub use filter::Filter;
pub use join::StreamTableJoin;
pub use project::Project;
pub use timestamp::AssignTimestamp;

use crate::batch::Batch;
use crate::columnar::Operand;
use crate::udf::RowErrors;

/// A row that could not be processed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub partition: i32,
    pub offset: i64,
    pub message: String,
    /// The topic the record came from, when not the query's source (a joined table).
    pub topic: Option<String>,
}

/// Where in the pipeline a record failed (ksqlDB's processing-log message types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The record's key or value could not be decoded.
    Deserialization,
    /// An expression failed for the row.
    Processing,
}

/// What an operator sees besides its batch.
#[derive(Debug, Default)]
pub struct OpContext {
    /// Positions of ROWPARTITION and ROWOFFSET in the current operator's input.
    pub origin_columns: (usize, usize),
    /// Failures reported so far in this batch.
    pub failures: Vec<Failure>,
    /// Scratch space for per-row errors, reused across operators.
    pub errors: RowErrors,
    /// Rows of the batch that leave as tombstones (key, no value), ascending: a table
    /// row that stopped passing HAVING is deleted downstream.
    pub tombstones: Vec<usize>,
}

impl OpContext {
    /// Moves the per-row errors in `self.errors` to `failures`, resolving each row's
    /// origin in `batch` (which must be the batch the errors refer to).
    pub fn fail(&mut self, batch: &Batch) {
        if self.errors.is_empty() {
            return;
        }
        let (pc, oc) = self.origin_columns;
        let partitions = batch.columns.get(pc).map(|c| Operand::Array(c.clone()));
        let offsets = batch.columns.get(oc).map(|c| Operand::Array(c.clone()));
        let (partitions, offsets) = (partitions.as_ref().map(Operand::ints), offsets.as_ref().map(Operand::ints));
        for (row, message) in self.errors.errors.drain(..) {
            let partition = partitions.as_ref().and_then(|p| p.get(row)).unwrap_or(-1);
            let offset = offsets.as_ref().and_then(|o| o.get(row)).unwrap_or(-1);
            self.failures.push(Failure {
                kind: FailureKind::Processing,
                partition: partition as i32,
                offset,
                message,
                topic: None,
            });
        }
    }

    /// Reports every row of `batch` as failed with `message` (a kernel error that
    /// fails the batch: its rows go to the processing log, the query goes on).
    pub fn fail_batch(&mut self, batch: &Batch, message: &str) {
        for row in 0..batch.rows {
            self.errors.push(row, message);
        }
        self.fail(batch);
    }
}

/// What an operator opens its state with.
pub struct OpenEnv<'a> {
    /// Where the state lives on disk (persistent queries); `None` keeps it in memory.
    pub state_dir: Option<&'a std::path::Path>,
    /// The broker, for operators that read a topic of their own (a joined table).
    pub broker: &'a std::sync::Arc<dyn crate::connectors::Broker>,
}

/// One stage of a pipeline.
pub trait Operator: Send {
    /// Transforms `batch` in place.
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext);

    /// Opens the operator's state, before its first batch (stateful operators): on
    /// disk in `state_dir` when the query has one (persistent queries), in memory
    /// otherwise.
    fn open(&mut self, env: &OpenEnv<'_>) -> Result<(), String> {
        let _ = env;
        Ok(())
    }

    /// Called when a poll found no input: the source has caught up.
    fn idle(&mut self) {}

    /// Makes the state durable as of every row processed so far. Called with no
    /// output in flight, before the source's offsets are committed.
    fn checkpoint(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// The rows a stateful operator's store in `state_dir` holds as of its last
    /// checkpoint, laid out as its output (a pull query's answer): every row, or
    /// those whose key columns equal `key`. `None` for an operator without state.
    fn read_state(
        &mut self,
        state_dir: &std::path::Path,
        key: Option<&[wasp_sql::Value]>,
    ) -> Option<Result<Batch, String>> {
        let _ = (state_dir, key);
        None
    }

    /// Whether the operator keeps state across batches (its query then commits only
    /// at checkpoints).
    fn is_stateful(&self) -> bool {
        false
    }

    /// One line for `EXPLAIN`'s physical plan.
    fn describe(&self) -> String;
}
