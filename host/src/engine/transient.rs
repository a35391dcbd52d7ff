//! Transient queries: push queries, scans of a stream and PRINT, streamed to a client.

use super::*;

impl Engine {
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

    pub(super) fn push_query(&self, q: &Query, props: &RequestProperties) -> Result<PushQuery, EngineError> {
        let over_table = self.lock().catalog.sources.get(&q.from.name).is_some_and(|s| s.kind == SourceKind::Table);
        if over_table && !q.emit_changes {
            return self.pull_query(q);
        }
        let (plan, source) = self.plan(q)?;
        let id = format!("transient_{}_{}", source.name, uuid::Uuid::new_v4().as_u64_pair().0 >> 1);
        let columns: Vec<ColumnInfo> = plan
            .schema()
            .stored()
            .map(|f| ColumnInfo { name: f.name.clone(), data_type: f.data_type.clone() })
            .collect();
        let bounded = !q.emit_changes || self.broker.is_bounded();
        let offset_reset = if q.emit_changes { self.offset_reset(props, "latest") } else { "earliest".to_owned() };
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let options = SourceOptions {
            group_id: format!("wasp-{}-{id}", self.config.service_id),
            offset_reset: OffsetReset::parse(&offset_reset).unwrap_or(OffsetReset::Latest),
            bounded,
        };
        let running = self.spawn_runner(&id, plan, source, options, Output::Channel(tx))?;
        self.transient.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), (running.stop, running.stats));
        // The query leaves the registry when its client drops the row stream.
        let registered = Unregister { engine: self.me.clone(), id: id.clone() };
        let rows = tokio_stream::wrappers::ReceiverStream::new(rx)
            .map(move |row| {
                let _ = &registered;
                row
            })
            .boxed();
        Ok(PushQuery { id, columns, rows, pull: false })
    }

    pub(super) fn print(
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
                        if (seen - 1).is_multiple_of(interval) {
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
}

/// Removes a transient query from the engine's registry when dropped.
struct Unregister {
    engine: Weak<Engine>,
    id: String,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        if let Some(engine) = self.engine.upgrade() {
            engine.transient.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
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
