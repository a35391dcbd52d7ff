//! Golden SQL tests: every `tests/slt/**/*.slt` file runs against a fresh engine on an
//! in-memory broker, twice: straight through, and with the engine stopped and
//! restored from its data directory before every record (checkpoint and restore).
//! Both runs must produce the expected output.
//!
//! `cargo test -p wasp-tests --test slt [substring]` runs the files whose path contains
//! the substring.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sqllogictest::{DBOutput, DefaultColumnType};
use wasp_host::api::{QueryStart, RequestProperties};
use wasp_host::connectors::memory::MemoryBroker;
use wasp_host::engine::{Engine, EngineConfig};

#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

struct WaspDb {
    broker: MemoryBroker,
    dir: tempfile::TempDir,
    engine: Option<Arc<Engine>>,
    restart_each: bool,
}

impl WaspDb {
    fn new(restart_each: bool) -> Result<WaspDb, SltError> {
        let dir = tempfile::tempdir().map_err(|e| SltError(e.to_string()))?;
        let mut db = WaspDb { broker: MemoryBroker::new(), dir, engine: None, restart_each };
        db.open()?;
        Ok(db)
    }

    fn open(&mut self) -> Result<(), SltError> {
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("auto.offset.reset".to_owned(), "earliest".to_owned());
        let config = EngineConfig {
            data_dir: Some(self.dir.path().to_owned()),
            properties,
            batch_size: 64,
            ..EngineConfig::default()
        };
        let engine = Engine::open(config, Arc::new(self.broker.clone())).map_err(|e| SltError(e.to_string()))?;
        self.engine = Some(engine);
        Ok(())
    }

    fn engine(&self) -> Result<&Arc<Engine>, SltError> {
        self.engine.as_ref().ok_or_else(|| SltError("engine is closed".into()))
    }
}

impl sqllogictest::DB for WaspDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        if self.restart_each {
            if let Some(e) = self.engine.take() {
                e.shutdown();
            }
            self.open()?;
        }
        let engine = self.engine()?.clone();
        let props = RequestProperties::new();
        let head = sql.trim_start().to_ascii_uppercase();
        if head.starts_with("SELECT") || head.starts_with("PRINT") {
            engine.drain(Duration::from_secs(30)).map_err(|e| SltError(e.to_string()))?;
            let start = engine.query_sync(sql, &props).map_err(|e| SltError(e.to_string()))?;
            let rows = match start {
                QueryStart::Rows(q) => {
                    let types: Vec<_> = q.columns.iter().map(|c| c.data_type.clone()).collect();
                    let collected: Vec<_> = collect_blocking(q.rows);
                    let mut rows = Vec::new();
                    for r in collected {
                        let r = r.map_err(|e| SltError(e.to_string()))?;
                        rows.push(r.iter().zip(&types).map(|(v, t)| wasp_tests::render(v, t)).collect());
                    }
                    rows
                }
                QueryStart::Print(p) => collect_blocking(p.lines)
                    .into_iter()
                    .map(|l| l.map(|l| vec![l]).map_err(|e| SltError(e.to_string())))
                    .collect::<Result<_, _>>()?,
            };
            let width = rows.first().map(Vec::len).unwrap_or(1);
            return Ok(DBOutput::Rows { types: vec![DefaultColumnType::Text; width], rows });
        }
        let results = engine.execute_sync(sql, &props).map_err(|e| SltError(e.error.to_string()))?;
        let is_listing = ["SHOW", "LIST", "DESCRIBE", "EXPLAIN"].iter().any(|k| head.starts_with(k));
        if is_listing {
            let rows = wasp_tests::outcome_rows(&results);
            let width = rows.iter().map(Vec::len).max().unwrap_or(1);
            let rows = rows
                .into_iter()
                .map(|mut r| {
                    r.resize(width, String::new());
                    r
                })
                .collect();
            return Ok(DBOutput::Rows { types: vec![DefaultColumnType::Text; width], rows });
        }
        Ok(DBOutput::StatementComplete(0))
    }

    fn shutdown(&mut self) {
        if let Some(e) = self.engine.take() {
            e.shutdown();
        }
    }
}

/// Collects a stream on a helper thread (the runner already runs an executor).
fn collect_blocking<T: Send + 'static>(s: futures::stream::BoxStream<'static, T>) -> Vec<T> {
    std::thread::spawn(move || futures::executor::block_on(s.collect::<Vec<T>>())).join().unwrap_or_default()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "slt") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("slt");
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    files.retain(|f| filters.is_empty() || filters.iter().any(|x| f.to_string_lossy().contains(x.as_str())));
    let mut failed = Vec::new();
    let mut passed = 0;
    for file in &files {
        for (mode, restart) in [("straight", false), ("restore", true)] {
            let mut runner = sqllogictest::Runner::new(|| async { WaspDb::new(restart) });
            runner.with_column_validator(|_, _| true);
            let name = file.strip_prefix(&root).unwrap_or(file).display().to_string();
            match runner.run_file(file) {
                Ok(()) => {
                    passed += 1;
                    println!("ok    {name} ({mode})");
                }
                Err(e) => {
                    println!("FAIL  {name} ({mode})\n{e}\n");
                    failed.push(format!("{name} ({mode})"));
                }
            }
        }
    }
    println!("\nslt: {passed} passed, {} failed, {} files", failed.len(), files.len());
    if !failed.is_empty() {
        for f in &failed {
            println!("  failed: {f}");
        }
        std::process::exit(1);
    }
}
