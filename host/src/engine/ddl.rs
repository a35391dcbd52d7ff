//! Statements that change the catalog: CREATE, CREATE ... AS SELECT, INSERT INTO ...
//! SELECT, DROP and TERMINATE, with the checks of their WITH properties and topics.

use super::*;

/// The server or request property that prefixes the default topic of a
/// `CREATE STREAM ... AS SELECT` without `KAFKA_TOPIC`.
const OUTPUT_TOPIC_PREFIX: &str = "ksql.output.topic.name.prefix";

/// The server or request property that sets the default of `WRAP_SINGLE_VALUE`.
pub(super) const WRAP_SINGLE_VALUES: &str = "ksql.persistence.wrap.single.values";

/// The server or request property that sets the default `KEY_FORMAT`.
pub(super) const DEFAULT_KEY_FORMAT: &str = "ksql.persistence.default.format.key";

impl Engine {
    pub(super) fn check_properties(with: &Properties, allowed: &[&str]) -> Result<(), EngineError> {
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

    /// Whether the key and value formats can carry these columns.
    fn check_formats(fields: &[Field], key_format: &Format, value_format: &Format) -> Result<(), EngineError> {
        let with_role = |role| fields.iter().filter(|f| f.role == role).collect::<Vec<&Field>>();
        // ksqlDB refuses a key that holds a MAP before it looks at the key format.
        for key in with_role(ColumnRole::Key) {
            wasp_sql::plan::check_key_type(&key.name, &key.data_type)?;
        }
        key_format.check_columns(&with_role(ColumnRole::Key), "key").map_err(EngineError::Statement)?;
        value_format.check_columns(&with_role(ColumnRole::Value), "value").map_err(EngineError::Statement)
    }

    /// The value format with the `WRAP_SINGLE_VALUE` property applied, for a row of
    /// `fields`. Without the property, `ksql.persistence.wrap.single.values=false`
    /// (a request or server property) leaves a single value column bare where the
    /// format can, as ksqlDB does; it does not apply to several columns or to formats
    /// that never wrap.
    fn wrapped(
        &self,
        with: &Properties,
        value_format: Format,
        fields: &[Field],
        props: &RequestProperties,
    ) -> Result<Format, EngineError> {
        let columns = fields.iter().filter(|f| f.role == ColumnRole::Value).count();
        let Some(wrap) = with.get_str("WRAP_SINGLE_VALUE") else {
            let default = props.get(WRAP_SINGLE_VALUES).or_else(|| self.config.properties.get(WRAP_SINGLE_VALUES));
            let unwrapped = match default.map(|d| d.trim().to_ascii_lowercase()).as_deref() {
                None | Some("true") => false,
                Some("false") => true,
                Some(_) => {
                    return Err(EngineError::Statement(format!(
                        "{WRAP_SINGLE_VALUES} must be true or false, got '{}'",
                        default.map(String::as_str).unwrap_or_default()
                    )))
                }
            };
            return Ok(match value_format {
                Format::Json { .. } if unwrapped && columns == 1 => Format::Json { wrap_single: false },
                other => other,
            });
        };
        let wrap = match wrap.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(EngineError::Statement(format!("WRAP_SINGLE_VALUE must be true or false, got '{wrap}'"))),
        };
        value_format.with_wrap_single(wrap, columns).map_err(EngineError::Statement)
    }

    /// `ksql.persistence.default.format.key` (a request or server property), else KAFKA.
    fn default_key_format(&self, props: &RequestProperties) -> Result<Format, EngineError> {
        match props.get(DEFAULT_KEY_FORMAT).or_else(|| self.config.properties.get(DEFAULT_KEY_FORMAT)) {
            Some(f) => Format::parse(f, None).map_err(EngineError::Statement),
            None => Ok(Format::Kafka),
        }
    }

    /// The `TIMESTAMP` column of a WITH clause, checked as ksqlDB checks it: it
    /// exists, and is BIGINT, TIMESTAMP or STRING; `TIMESTAMP_FORMAT` goes only with
    /// a STRING. (ksqlDB also requires the format for a STRING; wasp reads one without
    /// a format as ISO-8601, see docs/ksqldb-differences.md.)
    fn timestamp_column(with: &Properties, fields: &[Field]) -> Result<Option<String>, EngineError> {
        let Some(ts) = with.get_str("TIMESTAMP").map(|t| t.to_ascii_uppercase()) else { return Ok(None) };
        let Some(f) = fields.iter().find(|f| f.name == ts) else {
            return Err(EngineError::Statement(format!(
                "The TIMESTAMP column set in the WITH clause does not exist in the schema: '{ts}'"
            )));
        };
        match f.data_type {
            DataType::String => Ok(Some(ts)),
            _ if with.get("TIMESTAMP_FORMAT").is_some() => Err(EngineError::Statement(
                "'TIMESTAMP_FORMAT' set in the WITH clause can only be used when the timestamp column is of type STRING."
                    .into(),
            )),
            DataType::BigInt | DataType::Timestamp => Ok(Some(ts)),
            _ => Err(EngineError::Statement(format!(
                "Timestamp column, `{ts}`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified"
            ))),
        }
    }

    pub(super) fn int_property(with: &Properties, name: &str) -> Result<Option<i32>, EngineError> {
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

    pub(super) fn formats(
        with: &Properties,
        defaults: Option<(&Format, &Format)>,
    ) -> Result<(Format, Format), EngineError> {
        let delimiter = with.get_str("VALUE_DELIMITER");
        let both = with.get_str("FORMAT");
        if both.is_some() {
            for side in ["KEY_FORMAT", "VALUE_FORMAT"] {
                if with.get(side).is_some() {
                    return Err(EngineError::Statement(format!(
                        "Cannot supply both '{side}' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'."
                    )));
                }
            }
        }
        let value = match with.get_str("VALUE_FORMAT").or(both.clone()) {
            Some(v) => Format::parse(&v, delimiter.as_deref()).map_err(EngineError::Statement)?,
            // A sink inherits its source's value format, but not its wrapping; a
            // VALUE_DELIMITER applies to the inherited format.
            None => match defaults {
                Some((_, v)) if delimiter.is_some() => {
                    Format::parse(&v.to_string(), delimiter.as_deref()).map_err(EngineError::Statement)?
                }
                Some((_, v)) => v.inherited(),
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
    pub(super) fn ensure_topic(
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

    pub(super) fn create_source(
        &self,
        c: &CreateSource,
        text: &str,
        props: &RequestProperties,
        mode: Mode,
    ) -> Result<(Outcome, bool), EngineError> {
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
        let key_format = match c.with.get("KEY_FORMAT").or(c.with.get("FORMAT")) {
            Some(_) => key_format,
            None => self.default_key_format(props)?,
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
                return Err(EngineError::Statement(format!(
                    "{}: '{}' is a reserved column name. You cannot use it as a name for a column.",
                    col.pos, col.name
                )));
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
        let value_format = self.wrapped(&c.with, value_format, &fields, props)?;
        if c.kind == SourceKind::Table && !fields.iter().any(|f| f.role == ColumnRole::Key) {
            return Err(EngineError::Statement("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.".into()));
        }
        Self::check_formats(&fields, &key_format, &value_format)?;
        let timestamp = Self::timestamp_column(&c.with, &fields)?;
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
            window: None,
            statement: text.to_owned(),
        };
        self.lock().catalog.sources.insert(c.name.clone(), def);
        Ok((status(command_id, format!("{kind_word} created"), None), true))
    }

    pub(super) fn plan(&self, query: &Query) -> Result<(LogicalPlan, SourceDef), EngineError> {
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

    pub(super) fn create_as_select(
        &self,
        c: &CreateAsSelect,
        text: &str,
        props: &RequestProperties,
        mode: Mode,
    ) -> Result<(Outcome, bool), EngineError> {
        let kind_word = if c.kind == SourceKind::Stream { "stream" } else { "table" };
        let command_id = format!("{kind_word}/`{}`/create", c.name);
        // A query with GROUP BY produces a table, any other a stream (over streams).
        let aggregates = !c.query.group_by.is_empty();
        match (c.kind, aggregates) {
            (SourceKind::Table, false) => {
                return Err(EngineError::Statement(
                    "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS SELECT statement instead."
                        .into(),
                ))
            }
            (SourceKind::Stream, true) => {
                return Err(EngineError::Statement(
                    "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead."
                        .into(),
                ))
            }
            _ => {}
        }
        let capitalized = if c.kind == SourceKind::Stream { "Stream" } else { "Table" };
        let existing_writers: Vec<String> = {
            let st = self.lock();
            if st.catalog.sources.contains_key(&c.name) {
                if c.if_not_exists {
                    return Ok((status(command_id, format!("{capitalized} {} already exists", c.name), None), false));
                }
                if !c.or_replace {
                    return Err(EngineError::Conflict(format!(
                        "Cannot add {kind_word} '{}': A {kind_word} with the same name already exists",
                        c.name
                    )));
                }
            }
            st.catalog.writers(&c.name).iter().map(|q| q.id.clone()).collect()
        };
        Self::check_properties(&c.with, SOURCE_PROPERTIES)?;
        let (plan, source) = self.plan(&c.query)?;
        let fields: Vec<Field> = plan.schema().stored().cloned().collect();
        // The WITH clause's TIMESTAMP first, as ksqlDB checks it, then the projection.
        let timestamp = Self::timestamp_column(&c.with, &fields)?;
        {
            let st = self.lock();
            let bind = BindCatalog { catalog: &st.catalog, functions: &self.functions };
            wasp_sql::plan::check_persistent(&c.query, &c.name, &bind)?;
        }
        if c.query.from.name == c.name {
            return Err(EngineError::Statement(format!("{} cannot read from and write to itself", c.name)));
        }
        let (key_format, value_format) = Self::formats(&c.with, Some((&source.key_format, &source.value_format)))?;
        let explicit_key_format = c.with.get_str("KEY_FORMAT").or(c.with.get_str("FORMAT"));
        if !fields.iter().any(|f| f.role == ColumnRole::Key)
            && explicit_key_format.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case("NONE"))
        {
            return Err(EngineError::Statement("Key format specified for stream without key columns.".into()));
        }
        // Without KEY_FORMAT, a keyed source re-keyed to no key (PARTITION BY NULL)
        // gives the NONE key format, and a sink with key columns over a source whose
        // key format is NONE takes the default key format, as ksqlDB decides them.
        let has_key = fields.iter().any(|f| f.role == ColumnRole::Key);
        let source_keyed = source.fields.iter().any(|f| f.role == ColumnRole::Key);
        let key_format = match (explicit_key_format.is_some(), has_key, key_format) {
            (false, false, _) if source_keyed => Format::None,
            (false, true, Format::None) => self.default_key_format(props)?,
            (_, _, k) => k,
        };
        let value_format = self.wrapped(&c.with, value_format, &fields, props)?;
        Self::check_formats(&fields, &key_format, &value_format)?;
        let topic = c.with.get_str("KAFKA_TOPIC").unwrap_or_else(|| {
            let prefix = props.get(OUTPUT_TOPIC_PREFIX).or_else(|| self.config.properties.get(OUTPUT_TOPIC_PREFIX));
            format!("{}{}", prefix.map(String::as_str).unwrap_or_default(), c.name)
        });
        let explicit_partitions = Self::int_property(&c.with, "PARTITIONS")?;
        let partitions = explicit_partitions.or(Some(source.partitions));
        let replicas = Self::int_property(&c.with, "REPLICAS")?.or(Some(source.replicas));
        let sink = SourceDef {
            name: c.name.clone(),
            kind: c.kind,
            window: wasp_sql::aggregate::plan_window(&plan).map(|w| w.kind),
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
        self.build_pipeline(&plan, &source)?;
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
        let prefix = if c.kind == SourceKind::Stream { "CSAS" } else { "CTAS" };
        let kept_id = existing_writers.iter().find(|id| id.starts_with(&format!("{prefix}_"))).cloned();
        for id in &existing_writers {
            self.stop_query(id);
        }
        let id = {
            let mut st = self.lock();
            let id = match kept_id {
                Some(id) => id,
                None => {
                    let id = format!("{prefix}_{}_{}", c.name, st.next_query);
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

    pub(super) fn insert_select(
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
            .ok_or_else(|| EngineError::Statement(format!("Source `{target}` does not exist.")))?;
        if sink.kind != SourceKind::Stream {
            return Err(EngineError::Statement(format!(
                "INSERT INTO can only be used to insert into a stream. {target} is a table."
            )));
        }
        let (plan, source) = self.plan(query)?;
        {
            let st = self.lock();
            let bind = BindCatalog { catalog: &st.catalog, functions: &self.functions };
            wasp_sql::plan::check_persistent(query, target, &bind)?;
        }
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
        self.build_pipeline(&plan, &source)?;
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

    pub(super) fn terminate(&self, query_id: Option<&str>) -> Result<Outcome, EngineError> {
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
            // A terminated query's state goes with it, as ksqlDB deletes its stores.
            if let Some(dir) = &self.config.data_dir {
                let state = dir.join("state").join(id);
                crate::state::SledStore::forget(&state);
                if state.exists() {
                    if let Err(e) = std::fs::remove_dir_all(&state) {
                        tracing::warn!(query = %id, error = %e, "could not delete the query's state");
                    }
                }
            }
        }
        if query_id.is_none() {
            for (_, (stop, _)) in self.transient.lock().unwrap_or_else(|p| p.into_inner()).drain() {
                stop.store(true, Ordering::Release);
            }
        }
        Ok(status(format!("terminate/{}/execute", query_id.unwrap_or("ALL")), "Query terminated.", None))
    }

    pub(super) fn drop_source(
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
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::connectors::memory::MemoryBroker;

    fn engine(broker: &MemoryBroker, dir: &std::path::Path, properties: &[(&str, &str)]) -> Arc<Engine> {
        let config = EngineConfig {
            data_dir: Some(dir.to_owned()),
            properties: properties.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..EngineConfig::default()
        };
        Engine::open(config, Arc::new(broker.clone())).unwrap()
    }

    fn formats(e: &Engine, name: &str) -> (Format, Format) {
        let st = e.lock();
        let s = &st.catalog.sources[name];
        (s.key_format.clone(), s.value_format.clone())
    }

    #[test]
    fn defaults_from_the_server_config_survive_a_restart_without_them() {
        let broker = MemoryBroker::new();
        let dir = tempfile::tempdir().unwrap();
        let config = [(WRAP_SINGLE_VALUES, "false"), (DEFAULT_KEY_FORMAT, "JSON")];
        let e = engine(&broker, dir.path(), &config);
        let props = RequestProperties::new();
        e.execute_sync(
            "CREATE STREAM s (id INT KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);",
            &props,
        )
        .unwrap();
        let created = formats(&e, "S");
        assert_eq!(created, (Format::Json { wrap_single: true }, Format::Json { wrap_single: false }));
        e.shutdown();
        drop(e);
        // The configuration no longer sets them: the replayed statement keeps them.
        let e = engine(&broker, dir.path(), &[]);
        assert_eq!(formats(&e, "S"), created);
        e.shutdown();
    }
}
