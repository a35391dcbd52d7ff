//! The engine's front door, as the REST server, the shell and the tests see it.
//!
//! [`KsqlEngine`] is what the server calls; the results are plain data that the server
//! renders in ksqlDB's JSON shapes (see `server::entities`).

use std::collections::BTreeMap;
use std::fmt;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use wasp_sql::{DataType, Value};

/// Properties that apply to one request (`streamsProperties` / `properties`), such as
/// `auto.offset.reset`.
pub type RequestProperties = BTreeMap<String, String>;

/// What went wrong with a request. Each variant is a category a client can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The SQL is malformed, names something missing, or mistypes something (HTTP 400).
    #[error("{0}")]
    Statement(String),
    /// A name is already taken, a source is in use, and similar conflicts (HTTP 400).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is malformed (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// A query id or source that does not exist (HTTP 404 for /close-query).
    #[error("{0}")]
    NotFound(String),
    /// Kafka could not be reached or refused (HTTP 503 with retry advice).
    #[error("{0}")]
    Kafka(String),
    /// A bug in wasp (HTTP 500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<wasp_sql::SqlError> for EngineError {
    fn from(e: wasp_sql::SqlError) -> Self {
        EngineError::Statement(e.to_string())
    }
}

/// The outcome of one statement sent to `/ksql`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementResult {
    /// The statement's text as the client sent it (with `;`).
    pub statement_text: String,
    pub outcome: Outcome,
}

/// What a statement produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A command ran: CREATE, DROP, INSERT, TERMINATE, SET, ...
    Status(CommandStatus),
    Streams(Vec<SourceInfo>),
    Tables(Vec<SourceInfo>),
    Queries(Vec<QueryInfo>),
    Topics(Vec<TopicInfo>),
    Properties(Vec<PropertyInfo>),
    Functions(Vec<FunctionInfo>),
    FunctionDescription(FunctionDescription),
    SourceDescription(SourceDescription),
    /// `EXPLAIN`.
    QueryDescription(QueryDescription),
}

/// The result of a command.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandStatus {
    /// ksqlDB's command id, e.g. ``stream/`RATINGS`/create``.
    pub command_id: String,
    /// e.g. "Stream created", "Created query with ID CSAS_OUT_1".
    pub message: String,
    pub query_id: Option<String>,
    /// Position of the command in the command log.
    pub sequence_number: u64,
}

/// A stream or table, as listed by `SHOW STREAMS`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    pub name: String,
    pub topic: String,
    pub key_format: String,
    pub value_format: String,
    pub is_windowed: bool,
}

/// A running query, as listed by `SHOW QUERIES`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryInfo {
    pub id: String,
    pub query_string: String,
    pub sinks: Vec<String>,
    pub sink_topics: Vec<String>,
    /// PERSISTENT or PUSH.
    pub query_type: String,
    /// RUNNING, ERROR, ...
    pub state: String,
}

/// A Kafka topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicInfo {
    pub name: String,
    /// Replica count of each partition.
    pub replica_info: Vec<i32>,
}

/// A configuration property and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyInfo {
    pub name: String,
    /// KSQL or KAFKA.
    pub scope: String,
    pub value: String,
    /// Set by `SET` in this session or request rather than by configuration.
    pub overridden: bool,
}

/// A function, as listed by `SHOW FUNCTIONS`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    /// SCALAR, AGGREGATE or TABLE.
    pub function_type: String,
    pub category: String,
}

/// `DESCRIBE FUNCTION`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDescription {
    pub name: String,
    pub description: String,
    pub function_type: String,
    /// Where it comes from: "internal" for built-ins, the module for WebAssembly.
    pub path: String,
    /// One line per variant, e.g. `SUBSTRING(str STRING, pos INT) -> STRING`.
    pub signatures: Vec<String>,
}

/// A column of a source or query.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    pub name: String,
    pub data_type: DataType,
    /// True for key columns.
    pub key: bool,
}

impl From<&wasp_sql::Field> for FieldInfo {
    fn from(f: &wasp_sql::Field) -> FieldInfo {
        FieldInfo { name: f.name.clone(), data_type: f.data_type.clone(), key: f.role == wasp_sql::ColumnRole::Key }
    }
}

/// `DESCRIBE [EXTENDED] source`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDescription {
    pub name: String,
    /// STREAM or TABLE.
    pub source_type: String,
    pub fields: Vec<FieldInfo>,
    pub topic: String,
    pub key_format: String,
    pub value_format: String,
    /// The TIMESTAMP column, if any.
    pub timestamp_column: Option<String>,
    pub partitions: i32,
    pub replication: i32,
    /// The statement that created it.
    pub statement: String,
    pub read_queries: Vec<QueryInfo>,
    pub write_queries: Vec<QueryInfo>,
    pub extended: bool,
    /// Runtime statistics (extended only): messages processed, failures, rate.
    pub statistics: Option<SourceStatistics>,
}

/// Runtime counters of the queries reading or writing a source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceStatistics {
    pub messages_in: u64,
    pub messages_out: u64,
    pub failures: u64,
    /// Messages per second over the last minute.
    pub messages_per_sec: f64,
    /// Epoch milliseconds of the last message, if any.
    pub last_message_ms: Option<i64>,
}

/// `EXPLAIN`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryDescription {
    /// Empty for `EXPLAIN <statement>` of a query that does not run yet.
    pub id: String,
    pub statement_text: String,
    pub fields: Vec<FieldInfo>,
    pub sources: Vec<String>,
    pub sinks: Vec<String>,
    /// The logical plan, indented.
    pub logical_plan: String,
    /// The physical pipeline, indented.
    pub physical_plan: String,
    pub state: String,
}

/// A column of a push query's output.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: DataType,
}

/// A running transient query (`SELECT ... EMIT CHANGES` or `PRINT`).
pub struct PushQuery {
    pub id: String,
    pub columns: Vec<ColumnInfo>,
    /// Rows as they arrive; the stream ends when the query's LIMIT is reached, the
    /// query is closed, or (for bounded test sources) the input is exhausted. An `Err`
    /// item ends the query with that error.
    pub rows: BoxStream<'static, Result<Vec<Value>, EngineError>>,
    /// A pull query: its rows are a table's current state, all known at once, and
    /// `/query` answers them as one complete JSON array, as ksqlDB does.
    pub pull: bool,
}

impl fmt::Debug for PushQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushQuery").field("id", &self.id).field("columns", &self.columns).finish()
    }
}

/// The output of `PRINT 'topic'`: one formatted line per record.
pub struct PrintStream {
    pub lines: BoxStream<'static, Result<String, EngineError>>,
}

/// Server identity for `/info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub version: String,
    pub kafka_cluster_id: String,
    pub service_id: String,
    pub status: String,
}

/// Health for `/healthcheck`.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub metastore: bool,
    pub kafka: bool,
}

/// A statement that failed, with the results of the statements before it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementError {
    pub error: EngineError,
    /// The failing statement's text (empty if the whole request failed to parse).
    pub statement_text: String,
    /// Results of the statements of the same request that ran before it.
    pub completed: Vec<StatementResult>,
}

/// What `/query` and `/query-stream` start.
pub enum QueryStart {
    Rows(PushQuery),
    Print(PrintStream),
}

impl fmt::Debug for QueryStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryStart::Rows(q) => q.fmt(f),
            QueryStart::Print(_) => f.write_str("Print"),
        }
    }
}

/// Resolves when the broker acknowledged an inserted row.
pub type InsertAck = BoxFuture<'static, Result<(), EngineError>>;

/// The engine as the REST server and tests drive it.
pub trait KsqlEngine: Send + Sync + 'static {
    /// Runs `;`-separated statements in order (the `/ksql` endpoint). Transient
    /// queries are refused here with a hint to use `/query`. Stops at the first error.
    fn execute<'a>(
        &'a self,
        sql: &'a str,
        props: &'a RequestProperties,
    ) -> BoxFuture<'a, Result<Vec<StatementResult>, StatementError>>;

    /// Starts one transient query (`SELECT ... EMIT CHANGES` or `PRINT`).
    fn query<'a>(
        &'a self,
        sql: &'a str,
        props: &'a RequestProperties,
    ) -> BoxFuture<'a, Result<QueryStart, EngineError>>;

    /// Stops a transient query started by `query`.
    fn close_query(&self, query_id: &str) -> Result<(), EngineError>;

    /// Queues one row, given as a JSON object of column name to value, for a stream
    /// (`/inserts-stream`), without waiting for the broker: an error here is the row's
    /// (unknown stream, bad field); the returned future resolves when the broker
    /// acknowledged the record, so a client's rows are pipelined, not one round trip
    /// each. `target` is case-insensitive unless quoted, as in ksqlDB.
    fn insert_json(
        &self,
        target: &str,
        row: serde_json::Map<String, serde_json::Value>,
    ) -> Result<InsertAck, EngineError>;

    fn info(&self) -> ServerInfo;

    fn health(&self) -> BoxFuture<'_, Health>;
}
