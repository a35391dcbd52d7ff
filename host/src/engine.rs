//! The engine: executes statements against the catalog, runs persistent and transient
//! queries, and keeps the command log that rebuilds everything after a restart.
//!
//! Catalog-changing statements (CREATE, INSERT INTO ... SELECT, DROP, TERMINATE) are
//! appended to a command log in the data directory (sled) once they succeed. At start
//! the log is replayed through the same code path, which recreates the catalog and
//! restarts every persistent query under its old id, so its consumer group resumes
//! from the offsets it committed.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::StreamExt;
use wasp_sql::ast::{CreateAsSelect, CreateSource, ExplainTarget, Literal, Properties, ShowKind, SourceKind};
use wasp_sql::plan::{Binder, ROWTIME};
use wasp_sql::{
    parse_statements, plan_query, ColumnRole, DataType, Field, LogicalPlan, Query, Schema, SqlError, Statement, Value,
};

use crate::api::*;
use crate::catalog::{BindCatalog, Catalog, QueryDef, SourceDef};
use crate::connectors::{AckTicket, Broker, ConnectorError, OffsetReset, Sink, SourceOptions};
use crate::expr::{cast, Evaluator};
use crate::formats::{Format, RowCodec};
use crate::planner::Pipeline;
use crate::processing_log::ProcessingLog;
use crate::runtime::{self, Output, QueryStats, RunSpec};
use crate::udf::FunctionRegistry;

/// The `WITH` properties `CREATE STREAM` understands.
const SOURCE_PROPERTIES: &[&str] = &[
    "KAFKA_TOPIC",
    "VALUE_FORMAT",
    "KEY_FORMAT",
    "FORMAT",
    "PARTITIONS",
    "REPLICAS",
    "TIMESTAMP",
    "TIMESTAMP_FORMAT",
    "VALUE_DELIMITER",
    "KEY_DELIMITER",
    "WRAP_SINGLE_VALUE",
];

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Instances with the same service id share queries' consumer groups.
    pub service_id: String,
    /// Where the command log lives; `None` keeps nothing across restarts.
    pub data_dir: Option<PathBuf>,
    /// Server-wide defaults such as `auto.offset.reset`.
    pub properties: BTreeMap<String, String>,
    /// Rows per batch.
    pub batch_size: usize,
    pub processing_log_topic: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            service_id: "default_".into(),
            data_dir: None,
            properties: BTreeMap::new(),
            batch_size: 1000,
            processing_log_topic: "wasp_processing_log".into(),
        }
    }
}

struct Running {
    stop: Arc<AtomicBool>,
    stats: Arc<QueryStats>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    catalog: Catalog,
    running: BTreeMap<String, Running>,
    next_query: u64,
    sequence: u64,
}

/// The wasp engine.
pub struct Engine {
    me: Weak<Engine>,
    config: EngineConfig,
    broker: Arc<dyn Broker>,
    functions: Arc<FunctionRegistry>,
    log: Arc<ProcessingLog>,
    state: Mutex<State>,
    commands: Option<sled::Tree>,
    _db: Option<sled::Db>,
    transient: Mutex<HashMap<String, (Arc<AtomicBool>, Arc<QueryStats>)>>,
    /// True while the command log is replayed at start-up.
    replaying: AtomicBool,
    next_transient: AtomicU64,
    insert_sink: Mutex<Option<Box<dyn Sink>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("service_id", &self.config.service_id).finish()
    }
}

/// Whether a statement runs for the first time or is replayed from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Live,
    Replay,
}

fn status(command_id: String, message: impl Into<String>, query_id: Option<String>) -> Outcome {
    Outcome::Status(CommandStatus { command_id, message: message.into(), query_id, sequence_number: 0 })
}

fn kafka(e: ConnectorError) -> EngineError {
    match e {
        ConnectorError::Config(m) => EngineError::BadRequest(m),
        other => EngineError::Kafka(other.to_string()),
    }
}

impl Engine {
    /// Opens the engine: opens the data directory, replays the command log and
    /// restarts the persistent queries.
    pub fn open(config: EngineConfig, broker: Arc<dyn Broker>) -> Result<Arc<Engine>, EngineError> {
        let (db, commands) = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| EngineError::Internal(format!("cannot create data dir {}: {e}", dir.display())))?;
                let db = sled::open(dir.join("catalog"))
                    .map_err(|e| EngineError::Internal(format!("cannot open {}: {e}", dir.display())))?;
                let tree = db.open_tree("commands").map_err(|e| EngineError::Internal(e.to_string()))?;
                (Some(db), Some(tree))
            }
            None => (None, None),
        };
        let log = ProcessingLog::new(broker.as_ref(), &config.processing_log_topic);
        let engine = Arc::new_cyclic(|me| Engine {
            me: me.clone(),
            config,
            broker,
            functions: Arc::new(FunctionRegistry::with_builtins()),
            log,
            state: Mutex::new(State::default()),
            commands,
            _db: db,
            transient: Mutex::new(HashMap::new()),
            replaying: AtomicBool::new(true),
            next_transient: AtomicU64::new(0),
            insert_sink: Mutex::new(None),
        });
        engine.replay()?;
        Ok(engine)
    }

    /// The function registry (built-ins and registered functions).
    pub fn functions(&self) -> &Arc<FunctionRegistry> {
        &self.functions
    }

    pub fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    pub fn processing_log(&self) -> &Arc<ProcessingLog> {
        &self.log
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn replay(&self) -> Result<(), EngineError> {
        let Some(tree) = &self.commands else {
            self.replaying.store(false, Ordering::Release);
            return Ok(());
        };
        let mut replayed = 0;
        for item in tree.iter() {
            let (_, value) = item.map_err(|e| EngineError::Internal(e.to_string()))?;
            let cmd: serde_json::Value = serde_json::from_slice(&value)
                .map_err(|e| EngineError::Internal(format!("corrupt command log entry: {e}")))?;
            let sql = cmd["sql"].as_str().unwrap_or_default().to_owned();
            let mut props: RequestProperties = cmd["props"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                .unwrap_or_default();
            let parsed = match parse_statements(&sql) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(%sql, error = %e, "skipping unparsable command");
                    continue;
                }
            };
            for ps in parsed {
                if let Err(e) = self.execute_one(&ps.statement, &ps.text, &mut props, Mode::Replay) {
                    tracing::error!(sql = %ps.text, error = %e, "replaying command failed");
                }
            }
            replayed += 1;
        }
        self.replaying.store(false, Ordering::Release);
        let queries: Vec<QueryDef> = {
            let mut st = self.lock();
            st.sequence = replayed;
            st.catalog.queries.values().cloned().collect()
        };
        for def in queries {
            let id = def.id.clone();
            if let Err(e) = self.spawn_query(def) {
                tracing::error!(query = %id, error = %e, "cannot restart query");
            }
        }
        tracing::info!(commands = replayed, queries = self.lock().running.len(), "catalog restored");
        Ok(())
    }

    fn append_command(&self, text: &str, props: &RequestProperties) -> Result<u64, EngineError> {
        let seq = {
            let mut st = self.lock();
            st.sequence += 1;
            st.sequence
        };
        if let Some(tree) = &self.commands {
            let value = serde_json::json!({ "sql": text, "props": props });
            tree.insert(seq.to_be_bytes(), value.to_string().as_bytes())
                .map_err(|e| EngineError::Internal(format!("command log: {e}")))?;
            tree.flush().map_err(|e| EngineError::Internal(format!("command log: {e}")))?;
        }
        Ok(seq)
    }

    /// Runs `;`-separated statements in order, stopping at the first error.
    pub fn execute_sync(&self, sql: &str, props: &RequestProperties) -> Result<Vec<StatementResult>, StatementError> {
        let parsed = parse_statements(sql).map_err(|e| StatementError {
            error: e.into(),
            statement_text: sql.trim().to_owned(),
            completed: Vec::new(),
        })?;
        let mut props = props.clone();
        let mut completed = Vec::new();
        for ps in parsed {
            match self.execute_one(&ps.statement, &ps.text, &mut props, Mode::Live) {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        completed.push(StatementResult { statement_text: ps.text.clone(), outcome });
                    }
                }
                Err(error) => return Err(StatementError { error, statement_text: ps.text, completed }),
            }
        }
        Ok(completed)
    }

    fn execute_one(
        &self,
        stmt: &Statement,
        text: &str,
        props: &mut RequestProperties,
        mode: Mode,
    ) -> Result<Vec<Outcome>, EngineError> {
        let persist = |outcome: Outcome, props: &RequestProperties| -> Result<Vec<Outcome>, EngineError> {
            let seq = if mode == Mode::Live { self.append_command(text, props)? } else { 0 };
            Ok(vec![match outcome {
                Outcome::Status(mut s) => {
                    s.sequence_number = seq;
                    Outcome::Status(s)
                }
                other => other,
            }])
        };
        match stmt {
            Statement::CreateSource(c) => match self.create_source(c, text, mode)? {
                (outcome, true) => persist(outcome, props),
                (outcome, false) => Ok(vec![outcome]),
            },
            Statement::CreateAsSelect(c) => match self.create_as_select(c, text, props, mode)? {
                (outcome, true) => persist(outcome, props),
                (outcome, false) => Ok(vec![outcome]),
            },
            Statement::InsertSelect { target, query } => {
                let outcome = self.insert_select(target, query, text, props)?;
                persist(outcome, props)
            }
            Statement::InsertValues { target, columns, values } => {
                if mode == Mode::Live {
                    self.insert_values(target, columns.as_deref(), values)?;
                }
                Ok(Vec::new())
            }
            Statement::Drop { kind, if_exists, name, delete_topic } => {
                match self.drop_source(*kind, *if_exists, name, *delete_topic, mode)? {
                    (outcome, true) => persist(outcome, props),
                    (outcome, false) => Ok(vec![outcome]),
                }
            }
            Statement::Terminate { query_id } => {
                let outcome = self.terminate(query_id.as_deref())?;
                persist(outcome, props)
            }
            Statement::Show { what, extended } => Ok(vec![self.show(*what, *extended, props)?]),
            Statement::Describe { name, extended } => Ok(vec![self.describe(name, *extended)?]),
            Statement::DescribeFunction { name } => Ok(vec![self.describe_function(name)?]),
            Statement::Explain(target) => Ok(vec![self.explain(target)?]),
            Statement::Set { name, value } => {
                props.insert(name.clone(), value.clone());
                Ok(Vec::new())
            }
            Statement::Unset { name } => {
                props.remove(name);
                Ok(Vec::new())
            }
            Statement::RunScript { path } => {
                let sql = std::fs::read_to_string(path)
                    .map_err(|e| EngineError::BadRequest(format!("cannot read script {path}: {e}")))?;
                let mut out = Vec::new();
                for ps in parse_statements(&sql)? {
                    out.extend(self.execute_one(&ps.statement, &ps.text, props, mode)?);
                }
                Ok(out)
            }
            Statement::Select(_) | Statement::Print { .. } => Err(EngineError::Statement(
                "The following statement types should be issued to the websocket endpoint '/query':\n\t* PRINT\n\t* SELECT"
                    .into(),
            )),
        }
    }

    // ---- DDL ------------------------------------------------------------------------

    fn check_properties(with: &Properties, allowed: &[&str]) -> Result<(), EngineError> {
        for (k, _) in &with.0 {
            if !allowed.contains(&k.as_str()) {
                return Err(EngineError::Statement(format!(
                    "Invalid config variable(s) in the WITH clause: {k}. Valid properties are: {}",
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn int_property(with: &Properties, name: &str) -> Result<Option<i32>, EngineError> {
        match with.get(name) {
            None => Ok(None),
            Some(Literal::Integer(i)) if *i > 0 && *i <= i64::from(i32::MAX) => Ok(Some(*i as i32)),
            Some(Literal::String(s)) => s
                .parse::<i32>()
                .ok()
                .filter(|i| *i > 0)
                .map(Some)
                .ok_or_else(|| EngineError::Statement(format!("{name} must be a positive integer, got '{s}'"))),
            Some(other) => Err(EngineError::Statement(format!("{name} must be a positive integer, got {other}"))),
        }
    }

    fn formats(with: &Properties, defaults: Option<(&Format, &Format)>) -> Result<(Format, Format), EngineError> {
        let delimiter = with.get_str("VALUE_DELIMITER");
        let both = with.get_str("FORMAT");
        if both.is_some() && (with.get("KEY_FORMAT").is_some() || with.get("VALUE_FORMAT").is_some()) {
            return Err(EngineError::Statement(
                "Cannot supply both 'FORMAT' and 'KEY_FORMAT' or 'VALUE_FORMAT' properties".into(),
            ));
        }
        let value = match with.get_str("VALUE_FORMAT").or(both.clone()) {
            Some(v) => Format::parse(&v, delimiter.as_deref()).map_err(EngineError::Statement)?,
            None => match defaults {
                Some((_, v)) => v.clone(),
                None => {
                    return Err(EngineError::Statement(
                        "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide one or set a default via the 'ksql.persistence.default.format.value' config."
                            .into(),
                    ))
                }
            },
        };
        let key = match with.get_str("KEY_FORMAT").or(both) {
            Some(k) => Format::parse(&k, with.get_str("KEY_DELIMITER").as_deref()).map_err(EngineError::Statement)?,
            None => match defaults {
                Some((k, _)) => k.clone(),
                None => Format::Kafka,
            },
        };
        Ok((key, value))
    }

    /// Makes sure `topic` exists with the wanted partitions; creates it when
    /// `partitions` or `default_partitions` is given (`partitions` must match an
    /// existing topic, `default_partitions` only applies to a new one). Returns
    /// (partitions, replicas).
    fn ensure_topic(
        &self,
        topic: &str,
        partitions: Option<i32>,
        replicas: Option<i32>,
        mode: Mode,
        default_partitions: Option<i32>,
    ) -> Result<(i32, i32), EngineError> {
        match self.broker.describe_topic(topic).map_err(kafka)? {
            Some(desc) => {
                if let Some(p) = partitions {
                    if p != desc.partitions && mode == Mode::Live {
                        return Err(EngineError::Statement(format!(
                            "A Kafka topic with the name '{topic}' already exists, with different partition/replica configuration than required. KSQL expects {p} partitions (topic has {}).",
                            desc.partitions
                        )));
                    }
                }
                Ok((desc.partitions, desc.replicas))
            }
            None if partitions.is_some() || default_partitions.is_some() => {
                let p = partitions.or(default_partitions).unwrap_or(1);
                let r = replicas.unwrap_or(1);
                match self.broker.create_topic(topic, p, r) {
                    Ok(()) | Err(ConnectorError::TopicExists(_)) => Ok((p, r)),
                    Err(e) => Err(kafka(e)),
                }
            }
            None => Err(EngineError::Statement(format!(
                "Kafka topic does not exist: {topic}. To create it, add PARTITIONS to the WITH clause, e.g. WITH (KAFKA_TOPIC='{topic}', PARTITIONS=1, VALUE_FORMAT='JSON')."
            ))),
        }
    }

    fn create_source(&self, c: &CreateSource, text: &str, mode: Mode) -> Result<(Outcome, bool), EngineError> {
        let kind_word = if c.kind == SourceKind::Stream { "Stream" } else { "Table" };
        let command_id = format!("{}/`{}`/create", kind_word.to_lowercase(), c.name);
        if let Some(existing) = self.lock().catalog.sources.get(&c.name) {
            if c.if_not_exists {
                return Ok((status(command_id, format!("{kind_word} {} already exists", c.name), None), false));
            }
            if !c.or_replace {
                return Err(EngineError::Conflict(format!(
                    "Cannot add {} '{}': A {} with the same name already exists",
                    kind_word.to_lowercase(),
                    c.name,
                    existing.kind.to_string().to_lowercase()
                )));
            }
        }
        Self::check_properties(&c.with, SOURCE_PROPERTIES)?;
        let topic = c.with.get_str("KAFKA_TOPIC").ok_or_else(|| {
            EngineError::Statement("Missing required property \"KAFKA_TOPIC\" which has no default value.".into())
        })?;
        let default_value = self.config.properties.get("ksql.persistence.default.format.value").cloned();
        let (key_format, value_format) = match (&default_value, c.with.get("VALUE_FORMAT").or(c.with.get("FORMAT"))) {
            (Some(v), None) => {
                let vf = Format::parse(v, None).map_err(EngineError::Statement)?;
                Self::formats(&c.with, Some((&Format::Kafka, &vf)))?
            }
            _ => Self::formats(&c.with, None)?,
        };
        if c.columns.is_empty() {
            return Err(EngineError::Statement(format!(
                "The statement does not define any columns; {value_format} carries no schema, so declare them, e.g. CREATE STREAM {} (id INT KEY, name STRING) WITH (...).",
                c.name
            )));
        }
        let mut fields: Vec<Field> = Vec::new();
        for col in &c.columns {
            if fields.iter().any(|f| f.name == col.name) {
                return Err(EngineError::Statement(format!("{}: Duplicate column name '{}'", col.pos, col.name)));
            }
            if [ROWTIME, "ROWPARTITION", "ROWOFFSET"].contains(&col.name.as_str()) {
                return Err(EngineError::Statement(format!("{}: '{}' is a reserved column name.", col.pos, col.name)));
            }
            if col.key && c.kind == SourceKind::Table && !text.to_ascii_uppercase().contains("PRIMARY") {
                return Err(EngineError::Statement(format!(
                    "{}: Column `{}` is a 'KEY' column: please use 'PRIMARY KEY' for tables.",
                    col.pos, col.name
                )));
            }
            fields.push(Field::new(
                col.name.clone(),
                col.data_type.clone(),
                if col.key { ColumnRole::Key } else { ColumnRole::Value },
            ));
        }
        fields.sort_by_key(|f| u8::from(f.role != ColumnRole::Key));
        if c.kind == SourceKind::Table && !fields.iter().any(|f| f.role == ColumnRole::Key) {
            return Err(EngineError::Statement("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.".into()));
        }
        let keys: Vec<&Field> = fields.iter().filter(|f| f.role == ColumnRole::Key).collect();
        let values: Vec<&Field> = fields.iter().filter(|f| f.role == ColumnRole::Value).collect();
        key_format.check_columns(&keys, "key").map_err(EngineError::Statement)?;
        value_format.check_columns(&values, "value").map_err(EngineError::Statement)?;
        let timestamp = c.with.get_str("TIMESTAMP").map(|t| t.to_ascii_uppercase());
        if let Some(ts) = &timestamp {
            let Some(f) = fields.iter().find(|f| f.name == *ts) else {
                return Err(EngineError::Statement(format!(
                    "The TIMESTAMP column set in the WITH clause does not exist in the schema: '{ts}'"
                )));
            };
            let ok = matches!(f.data_type, DataType::BigInt | DataType::Timestamp) || (f.data_type == DataType::String);
            if !ok {
                return Err(EngineError::Statement(format!(
                    "Timestamp column, `{ts}`, should be of type BIGINT, TIMESTAMP or STRING (with TIMESTAMP_FORMAT), not {}",
                    f.data_type
                )));
            }
        }
        let partitions = Self::int_property(&c.with, "PARTITIONS")?;
        let replicas = Self::int_property(&c.with, "REPLICAS")?;
        let (partitions, replicas) = match self.ensure_topic(&topic, partitions, replicas, mode, None) {
            Ok(pr) => pr,
            Err(e) if mode == Mode::Replay => {
                tracing::warn!(%topic, error = %e, "topic unavailable while restoring; keeping the definition");
                (partitions.unwrap_or(1), replicas.unwrap_or(1))
            }
            Err(e) => return Err(e),
        };
        let def = SourceDef {
            name: c.name.clone(),
            kind: c.kind,
            fields,
            topic,
            key_format,
            value_format,
            timestamp,
            timestamp_format: c.with.get_str("TIMESTAMP_FORMAT"),
            partitions,
            replicas,
            statement: text.to_owned(),
        };
        self.lock().catalog.sources.insert(c.name.clone(), def);
        Ok((status(command_id, format!("{kind_word} created"), None), true))
    }

    fn plan(&self, query: &Query) -> Result<(LogicalPlan, SourceDef), EngineError> {
        let st = self.lock();
        let bind = BindCatalog { catalog: &st.catalog, functions: &self.functions };
        let plan = plan_query(query, &bind)?;
        let source = st
            .catalog
            .sources
            .get(plan.source_name())
            .cloned()
            .ok_or_else(|| EngineError::Internal("planned source vanished".into()))?;
        Ok((plan, source))
    }

    fn create_as_select(
        &self,
        c: &CreateAsSelect,
        text: &str,
        props: &RequestProperties,
        mode: Mode,
    ) -> Result<(Outcome, bool), EngineError> {
        let kind_word = if c.kind == SourceKind::Stream { "stream" } else { "table" };
        let command_id = format!("{kind_word}/`{}`/create", c.name);
        if c.kind == SourceKind::Table {
            return Err(EngineError::Statement(
                "CREATE TABLE AS SELECT needs aggregation, which is not supported yet; it arrives with stateful SQL"
                    .into(),
            ));
        }
        let existing_writers: Vec<String> = {
            let st = self.lock();
            if st.catalog.sources.contains_key(&c.name) {
                if c.if_not_exists {
                    return Ok((status(command_id, format!("Stream {} already exists", c.name), None), false));
                }
                if !c.or_replace {
                    return Err(EngineError::Conflict(format!(
                        "Cannot add stream '{}': A stream with the same name already exists",
                        c.name
                    )));
                }
            }
            st.catalog.writers(&c.name).iter().map(|q| q.id.clone()).collect()
        };
        Self::check_properties(&c.with, SOURCE_PROPERTIES)?;
        let (plan, source) = self.plan(&c.query)?;
        if c.query.from.name == c.name {
            return Err(EngineError::Statement(format!("{} cannot read from and write to itself", c.name)));
        }
        let (key_format, value_format) = Self::formats(&c.with, Some((&source.key_format, &source.value_format)))?;
        let fields: Vec<Field> = plan.schema().stored().cloned().collect();
        let keys: Vec<&Field> = fields.iter().filter(|f| f.role == ColumnRole::Key).collect();
        let values: Vec<&Field> = fields.iter().filter(|f| f.role == ColumnRole::Value).collect();
        key_format.check_columns(&keys, "key").map_err(EngineError::Statement)?;
        value_format.check_columns(&values, "value").map_err(EngineError::Statement)?;
        let timestamp = c.with.get_str("TIMESTAMP").map(|t| t.to_ascii_uppercase());
        if let Some(ts) = &timestamp {
            if !fields.iter().any(|f| f.name == *ts) {
                return Err(EngineError::Statement(format!(
                    "The TIMESTAMP column set in the WITH clause does not exist in the schema: '{ts}'"
                )));
            }
        }
        let topic = c.with.get_str("KAFKA_TOPIC").unwrap_or_else(|| c.name.clone());
        let explicit_partitions = Self::int_property(&c.with, "PARTITIONS")?;
        let partitions = explicit_partitions.or(Some(source.partitions));
        let replicas = Self::int_property(&c.with, "REPLICAS")?.or(Some(source.replicas));
        let sink = SourceDef {
            name: c.name.clone(),
            kind: SourceKind::Stream,
            fields,
            topic: topic.clone(),
            key_format,
            value_format,
            timestamp,
            timestamp_format: c.with.get_str("TIMESTAMP_FORMAT"),
            partitions: partitions.unwrap_or(1),
            replicas: replicas.unwrap_or(1),
            statement: text.to_owned(),
        };
        // Check that the pipeline builds before anything changes.
        Pipeline::build(&plan, &source, &self.functions)?;
        let (partitions, replicas) = match self.ensure_topic(&topic, explicit_partitions, replicas, mode, partitions) {
            Ok(pr) => pr,
            Err(e) if mode == Mode::Replay => {
                tracing::warn!(%topic, error = %e, "sink topic unavailable while restoring");
                (sink.partitions, sink.replicas)
            }
            Err(e) => return Err(e),
        };
        let sink = SourceDef { partitions, replicas, ..sink };
        // CREATE OR REPLACE keeps the query's id, hence its consumer group and
        // committed offsets: the new definition continues where the old one stopped.
        let kept_id = existing_writers.iter().find(|id| id.starts_with("CSAS_")).cloned();
        for id in &existing_writers {
            self.stop_query(id);
        }
        let id = {
            let mut st = self.lock();
            let id = match kept_id {
                Some(id) => id,
                None => {
                    let id = format!("CSAS_{}_{}", c.name, st.next_query);
                    st.next_query += 1;
                    id
                }
            };
            st.catalog.sources.insert(c.name.clone(), sink);
            id
        };
        self.start_query(QueryDef {
            id: id.clone(),
            statement: text.to_owned(),
            source: source.name.clone(),
            sink: c.name.clone(),
            plan,
            offset_reset: self.offset_reset(props, "latest"),
        })?;
        Ok((status(command_id, format!("Created query with ID {id}"), Some(id)), true))
    }

    fn insert_select(
        &self,
        target: &str,
        query: &Query,
        text: &str,
        props: &RequestProperties,
    ) -> Result<Outcome, EngineError> {
        let sink = self
            .lock()
            .catalog
            .sources
            .get(target)
            .cloned()
            .ok_or_else(|| EngineError::Statement(format!("{target} does not exist.")))?;
        if sink.kind != SourceKind::Stream {
            return Err(EngineError::Statement(format!(
                "INSERT INTO can only be used to insert into a stream. {target} is a table."
            )));
        }
        let (plan, source) = self.plan(query)?;
        let result: Vec<Field> = plan.schema().stored().cloned().collect();
        let compatible = result.len() == sink.fields.len()
            && sink.fields.iter().all(|f| {
                result.iter().any(|r| r.name == f.name && r.role == f.role && r.data_type.widens_to(&f.data_type))
            });
        if !compatible {
            return Err(EngineError::Statement(format!(
                "Incompatible schema between results and sink.\nResult schema is {}\nSink schema is {}",
                Schema::new(result),
                Schema::new(sink.fields.clone())
            )));
        }
        Pipeline::build(&plan, &source, &self.functions)?;
        let id = {
            let mut st = self.lock();
            let id = format!("INSERTQUERY_{}", st.next_query);
            st.next_query += 1;
            id
        };
        self.start_query(QueryDef {
            id: id.clone(),
            statement: text.to_owned(),
            source: source.name.clone(),
            sink: target.to_owned(),
            plan,
            offset_reset: self.offset_reset(props, "latest"),
        })?;
        Ok(status(format!("stream/`{target}`/create"), format!("Created query with ID {id}"), Some(id)))
    }

    fn offset_reset(&self, props: &RequestProperties, default: &str) -> String {
        for key in ["auto.offset.reset", "ksql.streams.auto.offset.reset"] {
            if let Some(v) = props.get(key).or_else(|| self.config.properties.get(key)) {
                return v.clone();
            }
        }
        default.to_owned()
    }

    fn group_id(&self, query_id: &str) -> String {
        format!("wasp-{}-query-{query_id}", self.config.service_id)
    }

    /// Registers a persistent query and starts it, or, while the command log is being
    /// replayed, only registers it: queries start once replay has settled which of
    /// them survive.
    fn start_query(&self, def: QueryDef) -> Result<(), EngineError> {
        if self.replaying.load(Ordering::Acquire) {
            self.lock().catalog.queries.insert(def.id.clone(), def);
            return Ok(());
        }
        self.spawn_query(def)
    }

    fn spawn_query(&self, def: QueryDef) -> Result<(), EngineError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(QueryStats::default());
        let (source, sink) = {
            let st = self.lock();
            let source = st.catalog.sources.get(&def.source).cloned();
            let sink = st.catalog.sources.get(&def.sink).cloned();
            (source, sink)
        };
        let (Some(source), Some(sink)) = (source, sink) else {
            return Err(EngineError::Internal(format!("query {} lost its source or sink", def.id)));
        };
        let plan = def.plan.clone();
        let functions = self.functions.clone();
        let spec = RunSpec {
            query_id: def.id.clone(),
            build: Box::new(move || Pipeline::build(&plan, &source, &functions)),
            source_options: SourceOptions {
                group_id: self.group_id(&def.id),
                offset_reset: OffsetReset::parse(&def.offset_reset).unwrap_or(OffsetReset::Latest),
                bounded: false,
            },
            output: Output::Topic(sink),
            broker: self.broker.clone(),
            log: self.log.clone(),
            stats: stats.clone(),
            stop: stop.clone(),
            batch_size: self.config.batch_size,
        };
        let thread = runtime::spawn(spec).map_err(|e| EngineError::Internal(format!("cannot start query: {e}")))?;
        let mut st = self.lock();
        st.running.insert(def.id.clone(), Running { stop, stats, thread: Some(thread) });
        st.catalog.queries.insert(def.id.clone(), def);
        Ok(())
    }

    /// Stops a persistent query and forgets it.
    fn stop_query(&self, id: &str) {
        let running = {
            let mut st = self.lock();
            st.catalog.queries.remove(id);
            st.running.remove(id)
        };
        if let Some(mut r) = running {
            r.stop.store(true, Ordering::Release);
            if let Some(t) = r.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn terminate(&self, query_id: Option<&str>) -> Result<Outcome, EngineError> {
        let ids: Vec<String> = match query_id {
            Some(id) => {
                let st = self.lock();
                let found = st.catalog.queries.keys().find(|k| k.eq_ignore_ascii_case(id)).cloned();
                vec![found.ok_or_else(|| EngineError::Statement(format!("Unknown queryId: {id}")))?]
            }
            None => self.lock().catalog.queries.keys().cloned().collect(),
        };
        for id in &ids {
            self.stop_query(id);
        }
        let transient_stopped = if query_id.is_none() {
            let all: Vec<_> = self.transient.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
            for (_, (stop, _)) in &all {
                stop.store(true, Ordering::Release);
            }
            all.len()
        } else {
            0
        };
        let _ = transient_stopped;
        Ok(status(format!("terminate/{}/execute", query_id.unwrap_or("ALL")), "Query terminated.", None))
    }

    fn drop_source(
        &self,
        kind: SourceKind,
        if_exists: bool,
        name: &str,
        delete_topic: bool,
        mode: Mode,
    ) -> Result<(Outcome, bool), EngineError> {
        let command_id = format!("{}/`{name}`/drop", kind.to_string().to_lowercase());
        let def = {
            let st = self.lock();
            let Some(def) = st.catalog.sources.get(name).cloned() else {
                if if_exists || mode == Mode::Replay {
                    return Ok((status(command_id, format!("Source `{name}` does not exist."), None), false));
                }
                return Err(EngineError::Statement(format!("Source {name} does not exist.")));
            };
            if def.kind != kind {
                return Err(EngineError::Statement(format!(
                    "Incompatible data source type is {}, but statement was DROP {kind}",
                    def.kind
                )));
            }
            let readers: Vec<String> = st.catalog.readers(name).iter().map(|q| q.id.clone()).collect();
            let writers: Vec<String> = st.catalog.writers(name).iter().map(|q| q.id.clone()).collect();
            if !readers.is_empty() || !writers.is_empty() {
                return Err(EngineError::Conflict(format!(
                    "Cannot drop {name}.\nThe following queries read from this source: [{}].\nThe following queries write into this source: [{}].\nYou need to terminate them before dropping {name}.",
                    readers.join(", "),
                    writers.join(", ")
                )));
            }
            def
        };
        if delete_topic {
            match self.broker.delete_topic(&def.topic) {
                Ok(()) | Err(ConnectorError::UnknownTopic(_)) => {}
                // Replaying, the topic a replayed CREATE made must go again; a failure
                // there leaves a topic behind but the catalog right.
                Err(e) if mode == Mode::Replay => tracing::warn!(topic = %def.topic, error = %e, "cannot delete topic"),
                Err(e) => return Err(kafka(e)),
            }
        }
        self.lock().catalog.sources.remove(name);
        Ok((status(command_id, format!("Source `{name}` (topic: {}) was dropped.", def.topic), None), true))
    }

    // ---- INSERT VALUES ------------------------------------------------------------

    fn insert_values(
        &self,
        target: &str,
        columns: Option<&[String]>,
        values: &[wasp_sql::Expr],
    ) -> Result<(), EngineError> {
        let def = self.lock().catalog.sources.get(target).cloned().ok_or_else(|| {
            EngineError::Statement(format!("Cannot insert values into an unknown stream/table: {target}"))
        })?;
        let row = self.values_row(&def, columns, values)?;
        self.produce_row(&def, row)
    }

    /// Builds a row in the layout of `def.fields` (plus a timestamp) from literals.
    fn values_row(
        &self,
        def: &SourceDef,
        columns: Option<&[String]>,
        values: &[wasp_sql::Expr],
    ) -> Result<(Vec<Value>, Option<i64>), EngineError> {
        let names: Vec<String> = match columns {
            Some(c) => c.to_vec(),
            None => def.fields.iter().map(|f| f.name.clone()).collect(),
        };
        if names.len() != values.len() {
            return Err(EngineError::Statement(format!(
                "Expected a value for each column. Expected Columns: [{}]. Got [{}]",
                names.join(", "),
                values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
        let empty = Schema::default();
        let st = self.lock();
        let bind = BindCatalog { catalog: &st.catalog, functions: &self.functions };
        let binder = Binder { schema: &empty, catalog: &bind, qualifiers: Vec::new() };
        let mut row = vec![Value::Null; def.fields.len()];
        let mut timestamp = None;
        for (name, expr) in names.iter().zip(values) {
            let bound = binder.bind(expr).map_err(|e| match e {
                SqlError::NotFound { .. } => {
                    EngineError::Statement(format!("{e}; INSERT VALUES takes literals and functions of literals"))
                }
                other => other.into(),
            })?;
            let value = Evaluator::compile(&bound, &self.functions)
                .map_err(|e| EngineError::Statement(e.to_string()))?
                .eval_constant()
                .map_err(|e| EngineError::Statement(format!("cannot evaluate {expr}: {e}")))?;
            if name == ROWTIME {
                timestamp = Some(value.as_i64().ok_or_else(|| {
                    EngineError::Statement(format!(
                        "ROWTIME must be a BIGINT of epoch milliseconds, got {}",
                        bound.data_type()
                    ))
                })?);
                continue;
            }
            let Some(index) = def.fields.iter().position(|f| f.name == *name) else {
                return Err(EngineError::Statement(format!("Column name {name} does not exist in {}", def.name)));
            };
            let target_type = &def.fields[index].data_type;
            let actual = bound.data_type();
            let fits = actual.widens_to(target_type)
                || matches!(
                    (&actual, target_type),
                    (DataType::String, DataType::Timestamp | DataType::Date | DataType::Time)
                )
                || matches!((&actual, target_type), (DataType::Decimal { .. }, DataType::Decimal { .. }))
                || matches!((&actual, target_type), (DataType::Struct(_), DataType::Struct(_)));
            if !fits {
                return Err(EngineError::Statement(format!(
                    "Expected type {target_type} for field {name} but got {actual} ({expr})"
                )));
            }
            row[index] = if value.is_null() {
                Value::Null
            } else {
                cast(&value, target_type).map_err(|e| EngineError::Statement(format!("field {name}: {e}")))?
            };
        }
        Ok((row, timestamp))
    }

    fn produce_row(&self, def: &SourceDef, (row, timestamp): (Vec<Value>, Option<i64>)) -> Result<(), EngineError> {
        let codec = RowCodec::new(&def.fields, def.key_format.clone(), def.value_format.clone());
        let (mut key, mut value) = (Vec::new(), Vec::new());
        let has_key = codec.encode_key(&|i| &row[i], &mut key);
        codec.encode_value(&|i| &row[i], &mut value);
        let ts = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let ticket = AckTicket::new();
        let mut guard = self.insert_sink.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.broker.sink().map_err(kafka)?);
        }
        let sink = guard.as_mut().ok_or_else(|| EngineError::Internal("no producer".into()))?;
        sink.send(&def.topic, has_key.then_some(&key[..]), Some(&value), ts, &ticket).map_err(kafka)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ticket.done() {
            if Instant::now() > deadline {
                return Err(EngineError::Kafka(format!("timed out writing to {}", def.topic)));
            }
            sink.flush(Duration::from_millis(100)).ok();
        }
        match ticket.error() {
            Some(e) => Err(EngineError::Kafka(format!("writing to {}: {e}", def.topic))),
            None => Ok(()),
        }
    }

    /// Inserts a JSON object's fields as one row (`/inserts-stream`).
    pub fn insert_json_sync(
        &self,
        target: &str,
        obj: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), EngineError> {
        let def = self.lock().catalog.sources.get(target).cloned().ok_or_else(|| {
            EngineError::NotFound(format!("Cannot insert values into an unknown stream/table: {target}"))
        })?;
        let mut row = vec![Value::Null; def.fields.len()];
        let mut timestamp = None;
        for (k, v) in obj {
            let name = k.to_ascii_uppercase();
            if name == ROWTIME {
                timestamp = v.as_i64();
                continue;
            }
            let index = def
                .fields
                .iter()
                .position(|f| f.name == *k || f.name == name)
                .ok_or_else(|| EngineError::BadRequest(format!("Column name {k} does not exist in {target}")))?;
            row[index] = crate::formats::json::from_json(v, &def.fields[index].data_type)
                .map_err(|e| EngineError::BadRequest(format!("field {k}: {e}")))?;
        }
        self.produce_row(&def, (row, timestamp))
    }

    // ---- SHOW / DESCRIBE / EXPLAIN ----------------------------------------------------

    fn query_info(&self, q: &QueryDef, st: &State) -> QueryInfo {
        let sink_topic = st.catalog.sources.get(&q.sink).map(|s| s.topic.clone()).unwrap_or_default();
        QueryInfo {
            id: q.id.clone(),
            query_string: q.statement.clone(),
            sinks: vec![q.sink.clone()],
            sink_topics: vec![sink_topic],
            query_type: "PERSISTENT".into(),
            state: st.running.get(&q.id).map(|r| r.stats.state()).unwrap_or_else(|| "UNKNOWN".into()),
        }
    }

    fn show(&self, what: ShowKind, extended: bool, props: &RequestProperties) -> Result<Outcome, EngineError> {
        let st = self.lock();
        let sources = |kind: SourceKind| -> Vec<SourceInfo> {
            st.catalog
                .sources
                .values()
                .filter(|s| s.kind == kind)
                .map(|s| SourceInfo {
                    name: s.name.clone(),
                    topic: s.topic.clone(),
                    key_format: s.key_format.to_string(),
                    value_format: s.value_format.to_string(),
                    is_windowed: false,
                })
                .collect()
        };
        Ok(match what {
            ShowKind::Streams => Outcome::Streams(sources(SourceKind::Stream)),
            ShowKind::Tables => Outcome::Tables(sources(SourceKind::Table)),
            ShowKind::Queries => {
                Outcome::Queries(st.catalog.queries.values().map(|q| self.query_info(q, &st)).collect())
            }
            ShowKind::Topics => {
                drop(st);
                let topics = self.broker.list_topics().map_err(kafka)?;
                Outcome::Topics(
                    topics
                        .into_iter()
                        .filter(|t| extended || !t.name.starts_with('_'))
                        .map(|t| TopicInfo { name: t.name, replica_info: vec![t.replicas; t.partitions as usize] })
                        .collect(),
                )
            }
            ShowKind::Properties => {
                let mut all: BTreeMap<String, (String, bool)> = BTreeMap::new();
                all.insert("ksql.service.id".into(), (self.config.service_id.clone(), false));
                all.insert("auto.offset.reset".into(), (self.offset_reset(&RequestProperties::new(), "latest"), false));
                all.insert("wasp.batch.size".into(), (self.config.batch_size.to_string(), false));
                all.insert("wasp.processing.log.topic".into(), (self.config.processing_log_topic.clone(), false));
                for (k, v) in &self.config.properties {
                    all.insert(k.clone(), (v.clone(), false));
                }
                for (k, v) in props {
                    all.insert(k.clone(), (v.clone(), true));
                }
                Outcome::Properties(
                    all.into_iter()
                        .map(|(name, (value, overridden))| PropertyInfo {
                            scope: if name.starts_with("ksql") || name.starts_with("wasp") { "KSQL" } else { "KAFKA" }
                                .into(),
                            name,
                            value,
                            overridden,
                        })
                        .collect(),
                )
            }
            ShowKind::Functions => Outcome::Functions(
                self.functions
                    .all()
                    .iter()
                    .map(|f| FunctionInfo {
                        name: f.name().to_owned(),
                        function_type: "SCALAR".into(),
                        category: f.category().to_owned(),
                    })
                    .collect(),
            ),
        })
    }

    fn describe(&self, name: &str, extended: bool) -> Result<Outcome, EngineError> {
        let st = self.lock();
        let def = st.catalog.sources.get(name).ok_or_else(|| {
            EngineError::Statement(wasp_sql::error::did_you_mean(
                format!("Could not find STREAM/TABLE '{name}' in the Metastore"),
                name,
                st.catalog.sources.keys().map(String::as_str),
            ))
        })?;
        let readers: Vec<QueryInfo> = st.catalog.readers(name).iter().map(|q| self.query_info(q, &st)).collect();
        let writers: Vec<QueryInfo> = st.catalog.writers(name).iter().map(|q| self.query_info(q, &st)).collect();
        let statistics = extended.then(|| {
            let mut s = SourceStatistics::default();
            for q in st.catalog.readers(name) {
                if let Some(r) = st.running.get(&q.id) {
                    s.messages_in += r.stats.messages_in.load(Ordering::Relaxed);
                    s.failures += r.stats.failures.load(Ordering::Relaxed);
                    s.messages_per_sec += r.stats.rate();
                    let last = r.stats.last_message_ms.load(Ordering::Relaxed);
                    if last >= 0 {
                        s.last_message_ms = Some(s.last_message_ms.unwrap_or(0).max(last));
                    }
                }
            }
            for q in st.catalog.writers(name) {
                if let Some(r) = st.running.get(&q.id) {
                    s.messages_out += r.stats.messages_out.load(Ordering::Relaxed);
                }
            }
            s
        });
        Ok(Outcome::SourceDescription(SourceDescription {
            name: def.name.clone(),
            source_type: def.kind.to_string(),
            fields: def.fields.iter().map(FieldInfo::from).collect(),
            topic: def.topic.clone(),
            key_format: def.key_format.to_string(),
            value_format: def.value_format.to_string(),
            timestamp_column: def.timestamp.clone(),
            partitions: def.partitions,
            replication: def.replicas,
            statement: def.statement.clone(),
            read_queries: readers,
            write_queries: writers,
            extended,
            statistics,
        }))
    }

    fn describe_function(&self, name: &str) -> Result<Outcome, EngineError> {
        let f = self.functions.get(name).ok_or_else(|| {
            EngineError::Statement(wasp_sql::error::did_you_mean(
                format!("Can't find any functions with the name '{name}'"),
                name,
                self.functions.names().iter().map(String::as_str),
            ))
        })?;
        Ok(Outcome::FunctionDescription(FunctionDescription {
            name: f.name().to_owned(),
            description: f.description().to_owned(),
            function_type: "SCALAR".into(),
            path: "internal".into(),
            signatures: f.signatures(),
        }))
    }

    fn explain(&self, target: &ExplainTarget) -> Result<Outcome, EngineError> {
        let (id, statement, plan, sink, state) = match target {
            ExplainTarget::QueryId(id) => {
                let st = self.lock();
                let q = st.catalog.queries.values().find(|q| q.id.eq_ignore_ascii_case(id)).ok_or_else(|| {
                    EngineError::Statement(format!(
                        "Query with id:{id} does not exist, use SHOW QUERIES to view the full set of queries."
                    ))
                })?;
                let sink = st.catalog.sources.get(&q.sink).cloned();
                let state = st.running.get(&q.id).map(|r| r.stats.state()).unwrap_or_default();
                (q.id.clone(), q.statement.clone(), q.plan.clone(), sink, state)
            }
            ExplainTarget::Statement(stmt) => {
                let query = match stmt.as_ref() {
                    Statement::Select(q) => q,
                    Statement::CreateAsSelect(c) => &c.query,
                    Statement::InsertSelect { query, .. } => query,
                    other => {
                        return Err(EngineError::Statement(format!("EXPLAIN takes a query or a query id, not {other}")))
                    }
                };
                let (plan, source) = self.plan(query)?;
                // The sink the statement would write, so the physical plan ends where
                // the running query's would.
                let sink = match stmt.as_ref() {
                    Statement::CreateAsSelect(c) => {
                        let (key_format, value_format) =
                            Self::formats(&c.with, Some((&source.key_format, &source.value_format)))?;
                        Some(SourceDef {
                            name: c.name.clone(),
                            topic: c.with.get_str("KAFKA_TOPIC").unwrap_or_else(|| c.name.clone()),
                            key_format,
                            value_format,
                            fields: plan.schema().stored().cloned().collect(),
                            ..source
                        })
                    }
                    Statement::InsertSelect { target, .. } => self.lock().catalog.sources.get(target).cloned(),
                    _ => None,
                };
                (String::new(), stmt.to_string(), plan, sink, "NOT_RUNNING".into())
            }
        };
        let source = self
            .lock()
            .catalog
            .sources
            .get(plan.source_name())
            .cloned()
            .ok_or_else(|| EngineError::Internal("source vanished".into()))?;
        let pipeline = Pipeline::build(&plan, &source, &self.functions)?;
        Ok(Outcome::QueryDescription(QueryDescription {
            id,
            statement_text: statement,
            fields: plan.schema().stored().map(FieldInfo::from).collect(),
            sources: vec![plan.source_name().to_owned()],
            sinks: sink.iter().map(|s| s.name.clone()).collect(),
            logical_plan: plan.to_string(),
            physical_plan: pipeline.explain(sink.as_ref()),
            state,
        }))
    }

    // ---- transient queries ------------------------------------------------------------

    /// Starts a transient query: `SELECT` (push with `EMIT CHANGES`, otherwise a
    /// bounded scan of the stream) or `PRINT`.
    pub fn query_sync(&self, sql: &str, props: &RequestProperties) -> Result<QueryStart, EngineError> {
        let mut parsed = parse_statements(sql)?;
        if parsed.len() != 1 {
            return Err(EngineError::BadRequest(format!("expected one query, found {} statements", parsed.len())));
        }
        let ps = parsed.remove(0);
        match ps.statement {
            Statement::Select(q) => self.push_query(&q, props).map(QueryStart::Rows),
            Statement::Print { topic, from_beginning, interval, limit } => {
                self.print(&topic, from_beginning, interval.unwrap_or(1), limit).map(QueryStart::Print)
            }
            other => Err(EngineError::BadRequest(format!(
                "/query takes SELECT or PRINT; send {} to /ksql",
                other.to_string().split_whitespace().next().unwrap_or("it")
            ))),
        }
    }

    fn push_query(&self, q: &Query, props: &RequestProperties) -> Result<PushQuery, EngineError> {
        let (plan, source) = self.plan(q)?;
        self.next_transient.fetch_add(1, Ordering::Relaxed);
        let id = format!("transient_{}_{}", source.name, uuid::Uuid::new_v4().as_u64_pair().0 >> 1);
        let columns: Vec<ColumnInfo> = plan
            .schema()
            .stored()
            .map(|f| ColumnInfo { name: f.name.clone(), data_type: f.data_type.clone() })
            .collect();
        let bounded = !q.emit_changes || self.broker.is_bounded();
        let offset_reset = if q.emit_changes { self.offset_reset(props, "latest") } else { "earliest".to_owned() };
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(QueryStats::default());
        let functions = self.functions.clone();
        let spec = RunSpec {
            query_id: id.clone(),
            build: Box::new(move || Pipeline::build(&plan, &source, &functions)),
            source_options: SourceOptions {
                group_id: format!("wasp-{}-{id}", self.config.service_id),
                offset_reset: OffsetReset::parse(&offset_reset).unwrap_or(OffsetReset::Latest),
                bounded,
            },
            output: Output::Channel(tx),
            broker: self.broker.clone(),
            log: self.log.clone(),
            stats: stats.clone(),
            stop: stop.clone(),
            batch_size: self.config.batch_size,
        };
        self.transient.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), (stop, stats));
        runtime::spawn(spec).map_err(|e| EngineError::Internal(format!("cannot start query: {e}")))?;
        let me = self.me.clone();
        let done_id = id.clone();
        let rows = tokio_stream::wrappers::ReceiverStream::new(rx)
            .chain(futures::stream::once(async move {
                if let Some(engine) = me.upgrade() {
                    engine.transient.lock().unwrap_or_else(|p| p.into_inner()).remove(&done_id);
                }
                Err(EngineError::Internal(String::new()))
            }))
            .filter(|r| futures::future::ready(!matches!(r, Err(EngineError::Internal(m)) if m.is_empty())))
            .boxed();
        Ok(PushQuery { id, columns, rows })
    }

    fn print(
        &self,
        topic: &str,
        from_beginning: bool,
        interval: u64,
        limit: Option<u64>,
    ) -> Result<PrintStream, EngineError> {
        if self.broker.describe_topic(topic).map_err(kafka)?.is_none() {
            return Err(EngineError::Statement(format!("Could not find topic '{topic}', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.")));
        }
        let n = self.next_transient.fetch_add(1, Ordering::Relaxed);
        let options = SourceOptions {
            group_id: format!("wasp-{}-print-{n}-{}", self.config.service_id, std::process::id()),
            offset_reset: if from_beginning { OffsetReset::Earliest } else { OffsetReset::Latest },
            bounded: self.broker.is_bounded(),
        };
        let mut source = self.broker.source(topic, &options).map_err(kafka)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, EngineError>>(256);
        let interval = interval.max(1);
        std::thread::Builder::new()
            .name(format!("print-{topic}"))
            .spawn(move || {
                let mut seen = 0u64;
                let mut printed = 0u64;
                loop {
                    let mut lines = Vec::new();
                    let r = source.poll(100, Duration::from_millis(200), &mut |rec| {
                        seen += 1;
                        if (seen - 1) % interval == 0 {
                            lines.push(print_line(&rec));
                        }
                    });
                    if let Err(e) = r {
                        let _ = tx.blocking_send(Err(kafka(e)));
                        return;
                    }
                    for line in lines {
                        if limit.is_some_and(|l| printed >= l) {
                            return;
                        }
                        if tx.blocking_send(Ok(line)).is_err() {
                            return;
                        }
                        printed += 1;
                    }
                    if limit.is_some_and(|l| printed >= l) || source.at_end() || tx.is_closed() {
                        return;
                    }
                }
            })
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        Ok(PrintStream { lines: tokio_stream::wrappers::ReceiverStream::new(rx).boxed() })
    }

    /// Stops a transient query.
    pub fn close_query_sync(&self, id: &str) -> Result<(), EngineError> {
        match self.transient.lock().unwrap_or_else(|p| p.into_inner()).remove(id) {
            Some((stop, _)) => {
                stop.store(true, Ordering::Release);
                Ok(())
            }
            None => Err(EngineError::NotFound(format!("No query with id {id}"))),
        }
    }

    /// Waits until every persistent query has processed everything in its source
    /// (lag 0), repeatedly, so chains of queries settle. For tests and benchmarks.
    pub fn drain(&self, timeout: Duration) -> Result<(), EngineError> {
        let deadline = Instant::now() + timeout;
        let mut settled = 0;
        while settled < 2 {
            if Instant::now() > deadline {
                return Err(EngineError::Internal("queries did not catch up in time".into()));
            }
            let queries: Vec<(String, String)> = {
                let st = self.lock();
                st.catalog
                    .queries
                    .values()
                    .filter_map(|q| st.catalog.sources.get(&q.source).map(|s| (q.id.clone(), s.topic.clone())))
                    .collect()
            };
            let mut all_done = true;
            for (id, topic) in queries {
                let lag = self.broker.group_lag(&self.group_id(&id), &topic).map_err(kafka)?;
                if lag.unwrap_or(0) > 0 {
                    all_done = false;
                }
            }
            if all_done {
                settled += 1;
            } else {
                settled = 0;
            }
            std::thread::sleep(Duration::from_millis(if all_done { 20 } else { 10 }));
        }
        Ok(())
    }

    /// Counters of a persistent query.
    pub fn query_stats(&self, id: &str) -> Option<Arc<QueryStats>> {
        self.lock().running.get(id).map(|r| r.stats.clone())
    }

    /// Stops every query's thread (the catalog is kept for the next start).
    pub fn shutdown(&self) {
        let running: Vec<Running> = std::mem::take(&mut self.lock().running).into_values().collect();
        for r in &running {
            r.stop.store(true, Ordering::Release);
        }
        for mut r in running {
            if let Some(t) = r.thread.take() {
                let _ = t.join();
            }
        }
        for (_, (stop, _)) in self.transient.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            stop.store(true, Ordering::Release);
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let running: Vec<Running> =
            std::mem::take(&mut self.state.get_mut().unwrap_or_else(|p| p.into_inner()).running)
                .into_values()
                .collect();
        for r in running {
            r.stop.store(true, Ordering::Release);
        }
    }
}

/// One `PRINT` line, as ksqlDB formats it.
fn print_line(rec: &crate::connectors::RecordRef<'_>) -> String {
    let show = |b: Option<&[u8]>| match b {
        None => "<null>".to_owned(),
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) if !s.chars().any(|c| c.is_control() && !c.is_whitespace()) => s.to_owned(),
            _ => match bytes.len() {
                4 => i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]).to_string(),
                8 => i64::from_be_bytes(bytes.try_into().unwrap_or([0; 8])).to_string(),
                _ => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            },
        },
    };
    let ts = rec
        .timestamp
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y/%m/%d %H:%M:%S%.3f Z").to_string())
        .unwrap_or_else(|| "N/A".into());
    format!("rowtime: {ts}, key: {}, value: {}, partition: {}", show(rec.key), show(rec.value), rec.partition)
}

impl KsqlEngine for Engine {
    fn execute<'a>(
        &'a self,
        sql: &'a str,
        props: &'a RequestProperties,
    ) -> BoxFuture<'a, Result<Vec<StatementResult>, StatementError>> {
        let me = self.me.upgrade();
        let sql = sql.to_owned();
        let props = props.clone();
        Box::pin(async move {
            let Some(me) = me else {
                return Err(StatementError {
                    error: EngineError::Internal("engine is shutting down".into()),
                    statement_text: sql,
                    completed: Vec::new(),
                });
            };
            let text = sql.clone();
            tokio::task::spawn_blocking(move || me.execute_sync(&sql, &props)).await.unwrap_or_else(|e| {
                Err(StatementError {
                    error: EngineError::Internal(e.to_string()),
                    statement_text: text,
                    completed: Vec::new(),
                })
            })
        })
    }

    fn query<'a>(
        &'a self,
        sql: &'a str,
        props: &'a RequestProperties,
    ) -> BoxFuture<'a, Result<QueryStart, EngineError>> {
        let me = self.me.upgrade();
        let sql = sql.to_owned();
        let props = props.clone();
        Box::pin(async move {
            let me = me.ok_or_else(|| EngineError::Internal("engine is shutting down".into()))?;
            tokio::task::spawn_blocking(move || me.query_sync(&sql, &props))
                .await
                .unwrap_or_else(|e| Err(EngineError::Internal(e.to_string())))
        })
    }

    fn close_query(&self, query_id: &str) -> Result<(), EngineError> {
        self.close_query_sync(query_id)
    }

    fn insert_json<'a>(
        &'a self,
        target: &'a str,
        row: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<(), EngineError>> {
        let me = self.me.upgrade();
        let target = target.to_owned();
        Box::pin(async move {
            let me = me.ok_or_else(|| EngineError::Internal("engine is shutting down".into()))?;
            tokio::task::spawn_blocking(move || me.insert_json_sync(&target, &row))
                .await
                .unwrap_or_else(|e| Err(EngineError::Internal(e.to_string())))
        })
    }

    fn info(&self) -> ServerInfo {
        ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            kafka_cluster_id: self.broker.cluster_id(),
            service_id: self.config.service_id.clone(),
            status: "RUNNING".into(),
        }
    }

    fn health(&self) -> BoxFuture<'_, Health> {
        let broker = self.broker.clone();
        Box::pin(async move {
            let kafka = tokio::task::spawn_blocking(move || broker.healthy()).await.unwrap_or(false);
            Health { metastore: true, kafka }
        })
    }
}
