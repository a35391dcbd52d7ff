//! What the catalog says about itself: SHOW, DESCRIBE, DESCRIBE FUNCTION, EXPLAIN.

use super::*;

impl Engine {
    pub(super) fn query_info(&self, q: &QueryDef, st: &State) -> QueryInfo {
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

    pub(super) fn show(
        &self,
        what: ShowKind,
        extended: bool,
        props: &RequestProperties,
    ) -> Result<Outcome, EngineError> {
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
                    is_windowed: s.window.is_some(),
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
            ShowKind::Functions => {
                let mut functions: Vec<FunctionInfo> = self
                    .functions
                    .all()
                    .iter()
                    .map(|f| FunctionInfo {
                        name: f.name().to_owned(),
                        function_type: "SCALAR".into(),
                        category: f.category().to_owned(),
                    })
                    .collect();
                functions.extend(crate::udaf::NAMES.iter().map(|name| FunctionInfo {
                    name: (*name).to_owned(),
                    function_type: "AGGREGATE".into(),
                    category: "AGGREGATE".into(),
                }));
                functions.sort_by(|a, b| a.name.cmp(&b.name));
                Outcome::Functions(functions)
            }
        })
    }

    pub(super) fn describe(&self, name: &str, extended: bool) -> Result<Outcome, EngineError> {
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

    pub(super) fn describe_function(&self, name: &str) -> Result<Outcome, EngineError> {
        let f = self.functions.get(name).ok_or_else(|| {
            EngineError::Statement(wasp_sql::error::did_you_mean(
                format!("Can't find any functions with the name '{name}'"),
                name,
                self.functions.names().iter().map(String::as_str),
            ))
        })?;
        if let Some(w) = self.wasm_function(name) {
            let r = w.resolved();
            let s = w.stats().snapshot();
            let description = format!(
                "{} [WebAssembly {}, module sha256:{}, version {}; calls {}, rows {}, errors {}, traps {}, timeouts {}, p50 {} ns, p99 {} ns per batch]",
                f.description(),
                r.module.language,
                r.module.digest,
                w.version(),
                s.calls,
                s.rows,
                s.errors,
                s.traps,
                s.timeouts,
                s.p50_ns,
                s.p99_ns
            );
            return Ok(Outcome::FunctionDescription(FunctionDescription {
                name: f.name().to_owned(),
                description,
                function_type: "SCALAR".into(),
                path: format!("wasm:{} sha256:{}", r.module.language, r.module.digest),
                signatures: f.signatures(),
            }));
        }
        Ok(Outcome::FunctionDescription(FunctionDescription {
            name: f.name().to_owned(),
            description: f.description().to_owned(),
            function_type: "SCALAR".into(),
            path: "internal".into(),
            signatures: f.signatures(),
        }))
    }

    pub(super) fn explain(&self, target: &ExplainTarget) -> Result<Outcome, EngineError> {
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
                let sink = self.statement_sink(stmt, &plan, source)?;
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
        let pipeline = self.build_pipeline(&plan, &source)?;
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

    /// The sink a statement would write, so a physical plan ends where the running
    /// query's would.
    fn statement_sink(
        &self,
        stmt: &Statement,
        plan: &wasp_sql::LogicalPlan,
        source: SourceDef,
    ) -> Result<Option<SourceDef>, EngineError> {
        Ok(match stmt {
            Statement::CreateAsSelect(c) => {
                let (key_format, value_format) =
                    Self::formats(&c.with, Some((&source.key_format, &source.value_format)))?;
                Some(SourceDef {
                    name: c.name.clone(),
                    topic: c.with.get_str("KAFKA_TOPIC").unwrap_or_else(|| c.name.clone()),
                    key_format,
                    value_format,
                    fields: plan.schema().stored().cloned().collect(),
                    kind: c.kind,
                    window: wasp_sql::aggregate::plan_window(plan).map(|w| w.kind),
                    ..source
                })
            }
            Statement::InsertSelect { target, .. } => self.lock().catalog.sources.get(target).cloned(),
            _ => None,
        })
    }

    /// Compiles a `CREATE STREAM ... AS SELECT` without running it: its pipeline and
    /// the sink it would write (the benchmark's stage profile drives these by hand).
    pub fn compile_query(&self, sql: &str) -> Result<(Pipeline, SourceDef), EngineError> {
        let stmt = wasp_sql::parse_statement(sql)?;
        let Statement::CreateAsSelect(c) = &stmt else {
            return Err(EngineError::Statement("compile_query takes CREATE STREAM ... AS SELECT".into()));
        };
        let (plan, source) = self.plan(&c.query)?;
        let pipeline = self.build_pipeline(&plan, &source)?;
        let sink = self
            .statement_sink(&stmt, &plan, source)?
            .ok_or_else(|| EngineError::Internal("a CREATE AS SELECT has a sink".into()))?;
        Ok((pipeline, sink))
    }

    // ---- transient queries ------------------------------------------------------------
}
