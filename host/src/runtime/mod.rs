//! Running queries: one thread per query moves batches from a source, through the
//! pipeline, to a sink topic or a client channel.
//!
//! - [`supervisor`]: restarts an attempt that failed for a reason worth retrying
//!   (the broker), with backoff; stops with ERROR on one that is not (a bad plan, a
//!   panic), naming the error.
//! - [`run`]: one attempt: poll, decode, operators, encode, produce.
//! - [`commit`]: at-least-once: a batch's offsets are committed only after every record
//!   produced for it was acknowledged, in batch order.
//! - [`stats`]: the counters `DESCRIBE EXTENDED` and `SHOW QUERIES` read.

mod commit;
mod run;
mod stats;
mod supervisor;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use wasp_sql::Value;

use crate::api::EngineError;
use crate::catalog::SourceDef;
use crate::connectors::{Broker, SourceOptions};
use crate::planner::Pipeline;
use crate::processing_log::ProcessingLog;
pub use stats::QueryStats;

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
    /// Where stateful stages keep their state (`<data dir>/state/<query id>`); in
    /// memory when `None`.
    pub state_dir: Option<std::path::PathBuf>,
}

/// Starts the query's thread.
pub fn spawn(spec: RunSpec) -> std::io::Result<JoinHandle<()>> {
    thread::Builder::new().name(format!("query-{}", spec.query_id)).spawn(move || supervisor::supervise(spec))
}
