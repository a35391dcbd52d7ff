//! The engine: executes statements against the catalog, runs persistent and transient
//! queries, and keeps the command log that rebuilds everything after a restart.
//!
//! Catalog-changing statements (CREATE, INSERT INTO ... SELECT, DROP, TERMINATE) are
//! appended to a command log in the data directory (sled) once they succeed. At start
//! the log is replayed through the same code path, which recreates the catalog and
//! restarts every persistent query under its old id, so its consumer group resumes
//! from the offsets it committed.

mod ddl;
mod functions;
mod insert;
mod metadata;
mod pull;
mod transient;

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
    /// The directory `CREATE FUNCTION ... FROM 'file://...'` may read; `None`
    /// refuses `file://` modules.
    pub functions_dir: Option<PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            service_id: "default_".into(),
            data_dir: None,
            properties: BTreeMap::new(),
            batch_size: 1000,
            processing_log_topic: "wasp_processing_log".into(),
            functions_dir: None,
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
    /// The WebAssembly functions of `functions`, by upper-case name.
    wasm: Mutex<BTreeMap<String, Arc<crate::udf::wasm::WasmFunction>>>,
    /// Where WebAssembly functions compile and run: started by the first
    /// `CREATE FUNCTION`, with its disk cache under the data directory.
    wasm_runtime: std::sync::OnceLock<Arc<crate::udf::wasm::sandbox::Runtime>>,
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
            wasm: Mutex::new(BTreeMap::new()),
            wasm_runtime: std::sync::OnceLock::new(),
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
        // Defaults a statement takes from the server's configuration are logged with it
        // as request properties, so a restart with another configuration replays it
        // as it ran.
        if mode == Mode::Live && matches!(stmt, Statement::CreateSource(_) | Statement::CreateAsSelect(_)) {
            for key in [ddl::WRAP_SINGLE_VALUES, ddl::DEFAULT_KEY_FORMAT] {
                if let (None, Some(v)) = (props.get(key), self.config.properties.get(key)) {
                    props.insert(key.to_owned(), v.clone());
                }
            }
        }
        match stmt {
            Statement::CreateSource(c) => match self.create_source(c, text, props, mode)? {
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
            Statement::CreateFunction(c) => {
                let (outcome, logged) = self.create_function(c, mode)?;
                let seq = if mode == Mode::Live { self.append_command(&logged, props)? } else { 0 };
                Ok(vec![match outcome {
                    Outcome::Status(mut s) => {
                        s.sequence_number = seq;
                        Outcome::Status(s)
                    }
                    other => other,
                }])
            }
            Statement::DropFunction { if_exists, name } => match self.drop_function(*if_exists, name, mode)? {
                (outcome, true) => persist(outcome, props),
                (outcome, false) => Ok(vec![outcome]),
            },
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

    /// The tables `plan` joins, as the catalog defines them.
    fn joined_tables(&self, plan: &LogicalPlan) -> Result<Vec<SourceDef>, EngineError> {
        let st = self.lock();
        plan.joined_tables()
            .into_iter()
            .map(|name| {
                st.catalog
                    .sources
                    .get(name)
                    .cloned()
                    .ok_or_else(|| EngineError::Statement(format!("{name} does not exist")))
            })
            .collect()
    }

    /// The pipeline of `plan` over `source` and the tables it joins.
    pub(crate) fn build_pipeline(&self, plan: &LogicalPlan, source: &SourceDef) -> Result<Pipeline, EngineError> {
        Pipeline::build_joined(plan, source, &self.joined_tables(plan)?, &self.functions)
    }

    /// Starts a query thread reading `source` through `plan` into `output`.
    fn spawn_runner(
        &self,
        query_id: &str,
        plan: LogicalPlan,
        source: SourceDef,
        source_options: SourceOptions,
        output: Output,
    ) -> Result<Running, EngineError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(QueryStats::default());
        let functions = self.functions.clone();
        let tables = self.joined_tables(&plan)?;
        let sink = match &output {
            Output::Topic(def) => Some(def.clone()),
            Output::Channel(_) => None,
        };
        // A persistent query keeps its state under the data directory; a push query's
        // lives and dies with it.
        let state_dir = match (&output, &self.config.data_dir) {
            (Output::Topic(_), Some(dir)) => Some(dir.join("state").join(query_id)),
            _ => None,
        };
        let spec = RunSpec {
            query_id: query_id.to_owned(),
            build: Box::new(move || {
                let mut pipeline = Pipeline::build_joined(&plan, &source, &tables, &functions)?;
                if let Some(sink) = &sink {
                    pipeline.stamp_output(sink, &functions)?;
                }
                Ok(pipeline)
            }),
            source_options,
            output,
            broker: self.broker.clone(),
            log: self.log.clone(),
            stats: stats.clone(),
            stop: stop.clone(),
            batch_size: self.config.batch_size,
            state_dir,
        };
        let thread = runtime::spawn(spec).map_err(|e| EngineError::Internal(format!("cannot start query: {e}")))?;
        Ok(Running { stop, stats, thread: Some(thread) })
    }

    fn spawn_query(&self, def: QueryDef) -> Result<(), EngineError> {
        let (source, sink) = {
            let st = self.lock();
            let source = st.catalog.sources.get(&def.source).cloned();
            let sink = st.catalog.sources.get(&def.sink).cloned();
            (source, sink)
        };
        let (Some(source), Some(sink)) = (source, sink) else {
            return Err(EngineError::Internal(format!("query {} lost its source or sink", def.id)));
        };
        let options = SourceOptions {
            group_id: self.group_id(&def.id),
            offset_reset: OffsetReset::parse(&def.offset_reset).unwrap_or(OffsetReset::Latest),
            bounded: false,
        };
        let running = self.spawn_runner(&def.id, def.plan.clone(), source, options, Output::Topic(sink))?;
        let mut st = self.lock();
        st.running.insert(def.id.clone(), running);
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

    fn insert_json(
        &self,
        target: &str,
        row: serde_json::Map<String, serde_json::Value>,
    ) -> Result<InsertAck, EngineError> {
        let ticket = self.insert_json_sync(target, &row)?;
        let topic = target.to_owned();
        Ok(Box::pin(async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !ticket.done() {
                if Instant::now() > deadline {
                    return Err(EngineError::Kafka(format!("timed out writing to {topic}")));
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            match ticket.error() {
                Some(e) => Err(EngineError::Kafka(format!("writing to {topic}: {e}"))),
                None => Ok(()),
            }
        }))
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
