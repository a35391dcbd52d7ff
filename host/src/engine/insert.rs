//! Rows written by statements and clients: `INSERT INTO ... VALUES` and
//! `/inserts-stream`.

use super::*;
use crate::batch::Batch;
use crate::columnar::array_of;

impl Engine {
    pub(super) fn insert_values(
        &self,
        target: &str,
        columns: Option<&[String]>,
        values: &[wasp_sql::Expr],
    ) -> Result<(), EngineError> {
        let def = self.lock().catalog.sources.get(target).cloned();
        let def = def.ok_or_else(|| self.unknown_insert_target(target))?;
        let row = self.values_row(&def, columns, values)?;
        self.produce_row(&def, row)
    }

    /// ksqlDB's error for an `INSERT INTO ... VALUES` target that does not exist, with
    /// its hint when the name only differs from an existing one in case (quoting).
    fn unknown_insert_target(&self, target: &str) -> EngineError {
        let mut message = format!("Cannot insert values into an unknown stream/table: `{target}`");
        let st = self.lock();
        if let Some(other) = st.catalog.sources.keys().find(|k| k.eq_ignore_ascii_case(target) && *k != target) {
            if other.to_ascii_uppercase() == *other {
                message.push_str(&format!(
                    "\nDid you mean {other}? Hint: try removing double quotes from the source name."
                ));
            } else {
                message.push_str(&format!(
                    "\nDid you mean \"{other}\"? Hint: wrap the source name in double quotes to make it case-sensitive."
                ));
            }
        }
        EngineError::Statement(message)
    }

    /// Builds a row in the layout of `def.fields` (plus a timestamp) from literals.
    pub(super) fn values_row(
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
        let binder = Binder::new(&empty, &bind, Vec::new());
        binder.clause.set("VALUES");
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
                cast(&value, &actual, target_type).map_err(|e| EngineError::Statement(format!("field {name}: {e}")))?
            };
        }
        Ok((row, timestamp))
    }

    pub(super) fn produce_row(&self, def: &SourceDef, row: (Vec<Value>, Option<i64>)) -> Result<(), EngineError> {
        let ticket = self.queue_row(def, row)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ticket.done() {
            if Instant::now() > deadline {
                return Err(EngineError::Kafka(format!("timed out writing to {}", def.topic)));
            }
            let mut guard = self.insert_sink.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(sink) = guard.as_mut() {
                sink.flush(Duration::from_millis(100)).ok();
            }
        }
        match ticket.error() {
            Some(e) => Err(EngineError::Kafka(format!("writing to {}: {e}", def.topic))),
            None => Ok(()),
        }
    }

    /// Encodes a row and queues it on the shared producer without waiting for the
    /// broker; the ticket reports the delivery. The producer's lock is held only while
    /// the record is queued.
    pub(super) fn queue_row(
        &self,
        def: &SourceDef,
        (row, timestamp): (Vec<Value>, Option<i64>),
    ) -> Result<Arc<AckTicket>, EngineError> {
        let codec = RowCodec::new(&def.fields, def.key_format.clone(), def.value_format.clone());
        let columns = def.fields.iter().zip(&row).map(|(f, v)| array_of(&f.data_type, std::slice::from_ref(v)));
        let batch = Batch::new(columns.collect(), 1);
        let (mut key_buf, mut value_buf) = (Vec::new(), Vec::new());
        let mut record: Option<(Option<Vec<u8>>, Vec<u8>)> = None;
        codec
            .encode::<()>(&batch, 1, &mut key_buf, &mut value_buf, |_, k, v| {
                record = Some((k.map(<[u8]>::to_vec), v.to_vec()));
                Ok(())
            })
            .map_err(|()| EngineError::Internal("encoding failed".into()))?;
        let (key, value) = record.ok_or_else(|| EngineError::Internal("no record encoded".into()))?;
        let ts = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let ticket = AckTicket::new();
        let mut guard = self.insert_sink.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.broker.sink().map_err(kafka)?);
        }
        let sink = guard.as_mut().ok_or_else(|| EngineError::Internal("no producer".into()))?;
        sink.send(&def.topic, key.as_deref(), Some(&value), ts, &ticket).map_err(kafka)?;
        sink.dispatch().map_err(kafka)?;
        Ok(ticket)
    }

    /// The source a client names: unquoted names are case-insensitive (upper-cased,
    /// as ksqlDB does), a name in backticks or double quotes is taken as written.
    pub(super) fn source_named(&self, target: &str) -> Option<SourceDef> {
        let st = self.lock();
        let sources = &st.catalog.sources;
        let t = target.trim();
        let quoted =
            t.len() >= 2 && ((t.starts_with('`') && t.ends_with('`')) || (t.starts_with('"') && t.ends_with('"')));
        if quoted {
            return sources.get(&t[1..t.len() - 1]).cloned();
        }
        sources.get(&t.to_ascii_uppercase()).or_else(|| sources.get(t)).cloned()
    }

    /// Queues a JSON object's fields as one row (`/inserts-stream`); the ticket
    /// reports when the broker acknowledged it.
    pub fn insert_json_sync(
        &self,
        target: &str,
        obj: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Arc<AckTicket>, EngineError> {
        let def = self.source_named(target).ok_or_else(|| {
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
        self.queue_row(&def, (row, timestamp))
    }

    // ---- SHOW / DESCRIBE / EXPLAIN ----------------------------------------------------
}
