//! Runnable pipelines from the seeds. Each folder holds `pipeline.sql`, data under
//! `data/<topic>.jsonl` and a README; [`Example::run`] plays one on the in-memory
//! broker so the tests (and anyone curious) can check what it produces.
//!
//! A data line is either a record value (a JSON object) or `{"key": ..., "value": ...}`;
//! string keys are written as plain UTF-8, as Kafka's string serializer does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use futures::StreamExt;
use wasp_host::api::{QueryStart, RequestProperties};
use wasp_host::connectors::memory::MemoryBroker;
use wasp_host::connectors::Broker;
use wasp_host::engine::{Engine, EngineConfig};

/// One example folder.
#[derive(Debug, Clone)]
pub struct Example {
    pub dir: PathBuf,
}

/// A running example: its engine and broker.
pub struct Running {
    pub engine: Arc<Engine>,
    pub broker: MemoryBroker,
    _data_dir: tempfile::TempDir,
}

impl Example {
    /// The example called `name` in this crate's folder.
    pub fn named(name: &str) -> Example {
        Example { dir: Path::new(env!("CARGO_MANIFEST_DIR")).join(name) }
    }

    /// Loads the data into topics, runs `pipeline.sql` and waits until every query
    /// has processed everything.
    pub fn run(&self) -> anyhow::Result<Running> {
        let broker = MemoryBroker::new();
        let dir = tempfile::tempdir()?;
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("auto.offset.reset".to_owned(), "earliest".to_owned());
        let engine = Engine::open(
            EngineConfig { data_dir: Some(dir.path().to_owned()), properties, ..EngineConfig::default() },
            Arc::new(broker.clone()),
        )
        .map_err(|e| anyhow!("{e}"))?;
        let data = self.dir.join("data");
        let data_file = |topic: &str| data.join(format!("{topic}.jsonl"));
        // Statements run one by one; a source over a topic that only the data files
        // provide gets that topic created (one partition) just before it.
        let sql = std::fs::read_to_string(self.dir.join("pipeline.sql"))?;
        for statement in wasp_sql::parse_statements(&sql)? {
            let props = RequestProperties::new();
            if let Err(e) = engine.execute_sync(&statement.text, &props) {
                let missing = e.error.to_string();
                let topic = missing
                    .strip_prefix("Kafka topic does not exist: ")
                    .and_then(|rest| rest.split('.').next())
                    .map(str::to_owned);
                match topic {
                    Some(t) if data_file(&t).exists() => {
                        broker.create_topic(&t, 1, 1)?;
                        engine
                            .execute_sync(&statement.text, &props)
                            .map_err(|e| anyhow!("{}: {}", e.statement_text, e.error))?;
                    }
                    _ => return Err(anyhow!("{}: {}", e.statement_text, e.error)),
                }
            }
        }
        let mut files: Vec<_> = std::fs::read_dir(&data)
            .with_context(|| format!("reading {}", data.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for file in files {
            let topic = file.file_stem().and_then(|s| s.to_str()).ok_or_else(|| anyhow!("bad file name"))?;
            for line in std::fs::read_to_string(&file)?.lines().filter(|l| !l.trim().is_empty()) {
                let json: serde_json::Value =
                    serde_json::from_str(line).with_context(|| format!("{}: {line}", file.display()))?;
                let (key, value) = match json.as_object() {
                    Some(o) if o.len() == 2 && o.contains_key("key") && o.contains_key("value") => {
                        (Some(&o["key"]), &o["value"])
                    }
                    _ => (None, &json),
                };
                let key = key.map(|k| match k {
                    serde_json::Value::String(s) => s.clone().into_bytes(),
                    other => other.to_string().into_bytes(),
                });
                broker.produce(topic, None, key.as_deref(), Some(value.to_string().as_bytes()), 0)?;
            }
        }
        engine.drain(Duration::from_secs(30)).map_err(|e| anyhow!("{e}"))?;
        Ok(Running { engine, broker, _data_dir: dir })
    }
}

impl Running {
    /// Runs a query to completion (the in-memory broker ends push queries when they
    /// have caught up) and returns its rows as JSON arrays.
    pub fn query(&self, sql: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let QueryStart::Rows(q) = self.engine.query_sync(sql, &RequestProperties::new()).map_err(|e| anyhow!("{e}"))?
        else {
            return Err(anyhow!("not a SELECT"));
        };
        let types: Vec<_> = q.columns.iter().map(|c| c.data_type.clone()).collect();
        let rows = futures::executor::block_on(q.rows.collect::<Vec<_>>());
        rows.into_iter()
            .map(|r| {
                let r = r.map_err(|e| anyhow!("{e}"))?;
                Ok(serde_json::Value::Array(
                    r.iter().zip(&types).map(|(v, t)| wasp_host::server::json::value_to_json(v, t)).collect(),
                ))
            })
            .collect()
    }

    /// The raw values written to a topic, as text.
    pub fn topic_values(&self, topic: &str) -> Vec<String> {
        self.broker
            .records(topic)
            .into_iter()
            .map(|(_, _, _, v)| String::from_utf8_lossy(&v.unwrap_or_default()).into_owned())
            .collect()
    }

    /// The raw keys written to a topic, as text.
    pub fn topic_keys(&self, topic: &str) -> Vec<String> {
        self.broker
            .records(topic)
            .into_iter()
            .map(|(_, _, k, _)| String::from_utf8_lossy(&k.unwrap_or_default()).into_owned())
            .collect()
    }
}
