//! Golden SQL tests: every `tests/slt/**/*.slt` file runs against a fresh engine on an
//! in-memory broker, twice: straight through, and with the engine stopped and
//! restored from its data directory before every record (checkpoint and restore).
//! Both runs must produce the expected output.
//!
//! `cargo test -p wasp-tests --test slt [substring]` runs the files whose path contains
//! the substring. `cargo test -p wasp-tests --test slt -- --complete [substring]`
//! rewrites those files' expected output with what the engine produces now (straight
//! run only; review the diff before committing it).
//!
//! Besides SQL, a record may use statements the runner handles itself:
//!
//! - `PRODUCE 'topic' [PARTITION n] [TIMESTAMP ms] [KEY 'text'|NULL] VALUE 'text'|NULL`
//!   appends raw bytes to a topic of the in-memory broker (to feed records no `INSERT`
//!   can write: malformed JSON, wrong types, truncated input). `''` escapes a quote.
//! - `SET 'name'='value'` and `UNSET 'name'` keep request properties for the rest of
//!   the file, as ksqlDB's CLI does; the server default of `auto.offset.reset` is
//!   `earliest`.
//!
//! Each run carries its mode as a label, so `skipif restore` guards a record whose
//! outcome depends on state that a restart resets (statistics).
//!
//! `SELECT` and `PRINT` drain every persistent query first, so results are complete.
//! `SHOW`, `LIST`, `DESCRIBE` and `EXPLAIN` render their outcome as rows
//! (`wasp_tests::outcome_rows`). Expected output may contain `<slt:ignore>` to skip a
//! volatile part (such as a time) of the output.

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
    props: RequestProperties,
}

impl WaspDb {
    fn new(restart_each: bool) -> Result<WaspDb, SltError> {
        let dir = tempfile::tempdir().map_err(|e| SltError(e.to_string()))?;
        let mut db =
            WaspDb { broker: MemoryBroker::new(), dir, engine: None, restart_each, props: RequestProperties::new() };
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
        let head = sql.trim_start().to_ascii_uppercase();
        if head.starts_with("PRODUCE") {
            let p = parse_produce(sql)?;
            self.broker
                .produce(&p.topic, p.partition, p.key.as_deref(), p.value.as_deref(), p.timestamp)
                .map_err(|e| SltError(e.to_string()))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        if head.starts_with("SET") || head.starts_with("UNSET") {
            match wasp_sql::parse_statement(sql) {
                Ok(wasp_sql::Statement::Set { name, value }) => {
                    self.props.insert(name, value);
                    return Ok(DBOutput::StatementComplete(0));
                }
                Ok(wasp_sql::Statement::Unset { name }) => {
                    self.props.remove(&name);
                    return Ok(DBOutput::StatementComplete(0));
                }
                _ => {}
            }
        }
        let engine = self.engine()?.clone();
        let props = &self.props;
        if head.starts_with("SELECT") || head.starts_with("PRINT") {
            engine.drain(Duration::from_secs(30)).map_err(|e| SltError(e.to_string()))?;
            let start = engine.query_sync(sql, props).map_err(|e| SltError(e.to_string()))?;
            let rows = match start {
                QueryStart::Rows(q) => {
                    let types: Vec<_> = q.columns.iter().map(|c| c.data_type.clone()).collect();
                    let collected: Vec<_> = collect_blocking(q.rows)?;
                    let mut rows = Vec::new();
                    for r in collected {
                        let r = r.map_err(|e| SltError(e.to_string()))?;
                        rows.push(r.iter().zip(&types).map(|(v, t)| wasp_tests::render(v, t)).collect());
                    }
                    rows
                }
                QueryStart::Print(p) => collect_blocking(p.lines)?
                    .into_iter()
                    .map(|l| l.map(|l| vec![l]).map_err(|e| SltError(e.to_string())))
                    .collect::<Result<_, _>>()?,
            };
            let width = rows.first().map(Vec::len).unwrap_or(1);
            return Ok(DBOutput::Rows { types: vec![DefaultColumnType::Text; width], rows });
        }
        let results = engine.execute_sync(sql, props).map_err(|e| SltError(e.error.to_string()))?;
        let is_listing = ["SHOW", "LIST", "DESCRIBE", "EXPLAIN"].iter().any(|k| head.starts_with(k));
        if is_listing {
            // Rows keep their own widths: padding would add trailing blanks.
            let rows = wasp_tests::outcome_rows(&results);
            let width = rows.iter().map(Vec::len).max().unwrap_or(1);
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

/// A parsed runner-level `PRODUCE` statement.
struct Produce {
    topic: String,
    partition: Option<i32>,
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
}

/// Parses `PRODUCE 'topic' [PARTITION n] [TIMESTAMP ms] [KEY 'text'|NULL] VALUE 'text'|NULL`.
fn parse_produce(sql: &str) -> Result<Produce, SltError> {
    let bad = |why: &str| SltError(format!("bad PRODUCE ({why}): {sql}"));
    let mut rest = sql.trim().trim_end_matches(';').trim_start()["PRODUCE".len()..].trim_start();
    // A single-quoted string with '' escapes, or NULL.
    let text = |rest: &mut &str| -> Result<Option<String>, SltError> {
        if let Some(r) = strip_word(rest, "NULL") {
            *rest = r;
            return Ok(None);
        }
        let mut chars = rest.char_indices();
        if !matches!(chars.next(), Some((_, '\''))) {
            return Err(bad("expected a quoted string"));
        }
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if rest[i + 1..].starts_with('\'') {
                    out.push('\'');
                    chars.next();
                    continue;
                }
                *rest = rest[i + 1..].trim_start();
                return Ok(Some(out));
            }
            out.push(c);
        }
        Err(bad("unterminated string"))
    };
    let topic = text(&mut rest)?.ok_or_else(|| bad("topic is NULL"))?;
    let mut p = Produce { topic, partition: None, timestamp: 0, key: None, value: None };
    let number = |rest: &mut &str| -> Result<i64, SltError> {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '-')).unwrap_or(rest.len());
        let n = rest[..end].parse().map_err(|_| bad("expected a number"))?;
        *rest = rest[end..].trim_start();
        Ok(n)
    };
    let mut saw_value = false;
    while !rest.is_empty() {
        if let Some(r) = strip_word(rest, "PARTITION") {
            rest = r;
            p.partition = Some(number(&mut rest)? as i32);
        } else if let Some(r) = strip_word(rest, "TIMESTAMP") {
            rest = r;
            p.timestamp = number(&mut rest)?;
        } else if let Some(r) = strip_word(rest, "KEY") {
            rest = r;
            p.key = text(&mut rest)?.map(String::into_bytes);
        } else if let Some(r) = strip_word(rest, "VALUE") {
            rest = r;
            p.value = text(&mut rest)?.map(String::into_bytes);
            saw_value = true;
        } else {
            return Err(bad("expected PARTITION, TIMESTAMP, KEY or VALUE"));
        }
    }
    if !saw_value {
        return Err(bad("VALUE is missing"));
    }
    Ok(p)
}

/// `s` without a leading case-insensitive `word` (and the blanks after it).
fn strip_word<'s>(s: &'s str, word: &str) -> Option<&'s str> {
    let head = s.get(..word.len())?;
    let after = &s[word.len()..];
    let boundary = after.chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '_');
    (head.eq_ignore_ascii_case(word) && boundary).then(|| after.trim_start())
}

/// Collects a stream on a helper thread (the runner already runs an executor).
/// Drains a result stream on its own thread. A panic while producing the results fails
/// the record with the panic's message; it never reads as an empty result.
fn collect_blocking<T: Send + 'static>(s: futures::stream::BoxStream<'static, T>) -> Result<Vec<T>, SltError> {
    std::thread::spawn(move || futures::executor::block_on(s.collect::<Vec<T>>())).join().map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        SltError(format!("collecting the results panicked: {message}"))
    })
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complete = args.iter().any(|a| a == "--complete");
    let filters: Vec<String> = args.iter().filter(|a| !a.starts_with('-')).cloned().collect();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    files.retain(|f| filters.is_empty() || filters.iter().any(|x| f.to_string_lossy().contains(x.as_str())));
    if complete {
        for file in &files {
            let mut runner = sqllogictest::Runner::new(|| async { WaspDb::new(false) });
            runner.add_label("straight");
            let r = futures::executor::block_on(runner.update_test_file(
                file,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                |_, _| true,
            ));
            match r {
                Ok(()) => println!("completed {}", file.display()),
                Err(e) => {
                    println!("FAIL  {}: {e}", file.display());
                    std::process::exit(1);
                }
            }
        }
        return;
    }
    let mut failed = Vec::new();
    let mut passed = 0;
    for file in &files {
        for (mode, restart) in [("straight", false), ("restore", true)] {
            let mut runner = sqllogictest::Runner::new(|| async { WaspDb::new(restart) });
            runner.with_column_validator(|_, _| true);
            runner.add_label(mode);
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
