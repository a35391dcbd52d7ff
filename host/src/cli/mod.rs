//! The `wasp` shell: an interactive SQL prompt against a wasp (or ksqlDB) server.
//!
//! It behaves like the ksql CLI. Lines accumulate until a `;` outside quotes ends a
//! statement ([`splitter`]). Statements go to `POST /ksql` and their answers print as
//! the ksql CLI's tables ([`render`], [`table`]); `SELECT` and `PRINT` go to
//! `POST /query-stream` and print rows as they arrive, until the query ends or Ctrl-C
//! stops it (the shell stays). The shell itself handles:
//!
//! - `help`, `clear`, `history`, `version`, `exit` / `quit` (no `;` needed);
//! - `SET 'property'='value';` and `UNSET 'property';`, kept for the session and sent
//!   with every request, as the ksql CLI does;
//! - `RUN SCRIPT 'file.sql';`, which reads the file here and runs its statements.
//!
//! History is kept in `~/.wasp_history`. `--execute` and `--file` run statements
//! without a prompt ([`run_script`] is the same for tests).

pub mod client;
pub mod render;
pub mod splitter;
pub mod table;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value as Json;

use client::{KsqlAnswer, RestClient};
use splitter::Splitter;
use table::TabularRow;

/// Options of the `wasp` shell.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CliOptions {
    /// Run these statements and exit.
    #[arg(short = 'e', long = "execute", value_name = "SQL")]
    pub execute: Option<String>,
    /// Run the statements of this file and exit.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Where to keep the line history (default `~/.wasp_history`).
    #[arg(long = "history-file", value_name = "PATH")]
    pub history_file: Option<PathBuf>,
}

/// The width query results and listings use when the terminal's is unknown.
const DEFAULT_WIDTH: usize = 120;

/// Runs the shell against `server_url`: `--execute` or `--file` when given, else the
/// interactive prompt.
pub async fn run(server_url: &str, options: CliOptions) -> anyhow::Result<()> {
    if let Some(sql) = &options.execute {
        return run_script(server_url, sql, &mut std::io::stdout()).await;
    }
    if let Some(path) = &options.file {
        let sql = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return run_script(server_url, &sql, &mut std::io::stdout()).await;
    }
    interactive(server_url, &options).await
}

/// Runs the statements of `sql_text` in order, writing what the shell would print to
/// `out`. Stops at the first statement that fails, after printing its error, and
/// returns that error.
pub async fn run_script(server_url: &str, sql_text: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let mut session = Session::new(RestClient::new(server_url)?, DEFAULT_WIDTH, false);
    for statement in splitter::split_script(sql_text) {
        session.statement(&statement, out).await?;
        out.flush()?;
    }
    Ok(())
}

/// Why a statement did not succeed; its message has been printed already.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StatementFailed(pub String);

/// The state of one shell session.
struct Session {
    client: RestClient,
    /// Properties set with `SET`, sent with every request.
    properties: BTreeMap<String, String>,
    width: usize,
    /// Whether Ctrl-C stops a running query (only with a terminal).
    interactive: bool,
    /// Nesting of `RUN SCRIPT`, to stop a script that runs itself.
    depth: usize,
}

impl Session {
    fn new(client: RestClient, width: usize, interactive: bool) -> Session {
        Session { client, properties: BTreeMap::new(), width, interactive, depth: 0 }
    }

    /// Runs one complete statement (ending with `;`).
    async fn statement(&mut self, statement: &str, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut words = statement.trim_end_matches(';').split_whitespace().map(str::to_uppercase);
        let first = words.next().unwrap_or_default();
        let second = words.next().unwrap_or_default();
        match (first.as_str(), second.as_str()) {
            ("RUN", "SCRIPT") => self.run_script_statement(statement, out).await,
            ("SET", _) if parse_set(statement).is_some() => {
                let (name, value) = parse_set(statement).unwrap_or_default();
                let previous = self.properties.insert(name.clone(), value.clone());
                match previous {
                    Some(p) => writeln!(out, "Successfully changed local property '{name}' from '{p}' to '{value}'.")?,
                    None => writeln!(out, "Successfully changed local property '{name}' to '{value}'.")?,
                }
                Ok(())
            }
            ("UNSET", _) if parse_unset(statement).is_some() => {
                let name = parse_unset(statement).unwrap_or_default();
                match self.properties.remove(&name) {
                    Some(v) => writeln!(out, "Successfully unset local property '{name}' (value was '{v}').")?,
                    None => writeln!(out, "Property '{name}' was not set in this session.")?,
                }
                Ok(())
            }
            ("SELECT", _) => self.query(statement, false, out).await,
            ("PRINT", _) => self.query(statement, true, out).await,
            _ => self.ksql(statement, out).await,
        }
    }

    async fn ksql(&mut self, statement: &str, out: &mut dyn Write) -> anyhow::Result<()> {
        match self.client.ksql(statement, &self.properties).await? {
            KsqlAnswer::Entities(list) => {
                write!(out, "{}", render::entities(&list, self.width))?;
                Ok(())
            }
            KsqlAnswer::Error(body) => {
                let text = render::error(&body, self.width);
                write!(out, "{text}")?;
                Err(StatementFailed(error_message(&body)).into())
            }
        }
    }

    /// Streams a `SELECT` or `PRINT` until it ends or Ctrl-C stops it.
    async fn query(&mut self, statement: &str, print: bool, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut lines = match self.client.query_stream(statement, &self.properties).await? {
            Ok(lines) => lines,
            Err(body) => {
                write!(out, "{}", render::error(&body, self.width))?;
                return Err(StatementFailed(error_message(&body)).into());
            }
        };
        let mut query_id: Option<String> = None;
        let mut columns = 0usize;
        let mut failure: Option<String> = None;
        loop {
            let line = if self.interactive {
                tokio::select! {
                    line = lines.next_line() => line?,
                    _ = tokio::signal::ctrl_c() => {
                        drop(lines);
                        if let Some(id) = &query_id {
                            let _ = self.client.close_query(id).await;
                        }
                        writeln!(out, "Query terminated")?;
                        return Ok(());
                    }
                }
            } else {
                lines.next_line().await?
            };
            let Some(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if print {
                writeln!(out, "{line}")?;
                out.flush()?;
                continue;
            }
            match serde_json::from_str::<Json>(&line) {
                Ok(Json::Array(values)) => {
                    let cells: Vec<String> = values.iter().map(render::cell).collect();
                    let mut padded = cells;
                    padded.resize(columns.max(padded.len()), String::new());
                    writeln!(out, "{}", TabularRow::row(self.width, &padded).render())?;
                }
                Ok(Json::Object(meta)) if meta.contains_key("columnNames") => {
                    query_id = meta.get("queryId").and_then(Json::as_str).map(str::to_string);
                    let names: Vec<String> =
                        meta["columnNames"].as_array().into_iter().flatten().map(render::cell).collect();
                    columns = names.len();
                    writeln!(out, "{}", TabularRow::header(self.width, &names).render())?;
                }
                Ok(Json::Object(error)) => {
                    let body = Json::Object(error);
                    write!(out, "{}", render::error(&body, self.width))?;
                    failure = Some(error_message(&body));
                }
                _ => writeln!(out, "{line}")?,
            }
            out.flush()?;
        }
        match failure {
            Some(message) => Err(StatementFailed(message).into()),
            None => {
                if !print {
                    writeln!(out, "Query terminated")?;
                }
                Ok(())
            }
        }
    }

    async fn run_script_statement(&mut self, statement: &str, out: &mut dyn Write) -> anyhow::Result<()> {
        let Some(path) = quoted_argument(statement) else {
            writeln!(out, "Usage: RUN SCRIPT '<path to file>';")?;
            return Err(StatementFailed("RUN SCRIPT needs a quoted file path".into()).into());
        };
        if self.depth >= 8 {
            writeln!(out, "RUN SCRIPT is nested too deeply")?;
            return Err(StatementFailed("RUN SCRIPT is nested too deeply".into()).into());
        }
        let text = match std::fs::read_to_string(Path::new(&path)) {
            Ok(t) => t,
            Err(e) => {
                let message = format!("Failed to read file '{path}': {e}");
                writeln!(out, "{message}")?;
                return Err(StatementFailed(message).into());
            }
        };
        self.depth += 1;
        let mut result = Ok(());
        for s in splitter::split_script(&text) {
            result = Box::pin(self.statement(&s, out)).await;
            if result.is_err() {
                break;
            }
        }
        self.depth -= 1;
        result
    }
}

fn error_message(body: &Json) -> String {
    match body.get("message") {
        Some(Json::String(m)) => m.clone(),
        _ => body.to_string(),
    }
}

/// The first `'...'` of a statement, with `''` unescaped.
fn quoted_argument(statement: &str) -> Option<String> {
    let start = statement.find('\'')?;
    let mut value = String::new();
    let mut chars = statement[start + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                value.push('\'');
            } else {
                return Some(value);
            }
        } else {
            value.push(c);
        }
    }
    None
}

/// `SET 'name' = 'value';` as the pair.
fn parse_set(statement: &str) -> Option<(String, String)> {
    let body = statement.trim().trim_end_matches(';').trim();
    let rest = body.get(3..)?.trim_start();
    let name = quoted_argument(rest)?;
    let after_name = rest.get(name.len() + 2..)?.trim_start().strip_prefix('=')?.trim();
    let value = quoted_argument(after_name)?;
    Some((name, value))
}

/// `UNSET 'name';` as the name.
fn parse_unset(statement: &str) -> Option<String> {
    let body = statement.trim().trim_end_matches(';').trim();
    quoted_argument(body.get(5..)?)
}

const BANNER: &str = r"
                  __      ____ _ ___ _ __
                  \ \ /\ / / _` / __| '_ \
                   \ V  V / (_| \__ \ |_) |
                    \_/\_/ \__,_|___/ .__/
                                    |_|
        Streaming SQL for Apache Kafka, with WebAssembly functions
";

const HELP: &str = "
Statements end with a semicolon and may span lines. SELECT and PRINT stream their rows
until their LIMIT or Ctrl-C; everything else runs on the server and prints its result.

Shell commands:
    help                    Show this text.
    clear                   Clear the screen.
    history                 Show the lines entered so far.
    version                 Show the shell's version.
    exit, quit              Leave the shell (Ctrl-D does too).
    RUN SCRIPT '<file>';    Run the statements of a local file.
    SET '<prop>'='<value>'; Set a property for the statements of this session.
    UNSET '<prop>';         Remove a property set with SET.

Examples:
    SHOW STREAMS;
    CREATE STREAM ratings (user_id INT KEY, stars INT)
        WITH (kafka_topic='ratings', value_format='json', partitions=1);
    SELECT * FROM ratings EMIT CHANGES LIMIT 3;
";

/// The interactive prompt.
async fn interactive(server_url: &str, options: &CliOptions) -> anyhow::Result<()> {
    let client = RestClient::new(server_url)?;
    let mut stdout = std::io::stdout();
    write!(stdout, "{BANNER}")?;
    match client.info().await {
        Ok(info) => {
            let i = &info["KsqlServerInfo"];
            writeln!(
                stdout,
                "\nCLI v{}, Server v{} located at {}\nServer Status: {}",
                env!("CARGO_PKG_VERSION"),
                i["version"].as_str().unwrap_or("?"),
                client.url(),
                i["serverStatus"].as_str().unwrap_or("?")
            )?;
        }
        Err(e) => writeln!(stdout, "\nCLI v{}\n\nWARNING: {e:#}", env!("CARGO_PKG_VERSION"))?,
    }
    writeln!(stdout, "\nHaving trouble? Type 'help' (case-insensitive) for a rundown of how things work!\n")?;

    let history = options
        .history_file
        .clone()
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".wasp_history")));
    let mut editor = rustyline::DefaultEditor::new().context("starting the line editor")?;
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let width = editor.dimensions().map(|(w, _)| w).filter(|w| *w > 0).unwrap_or(DEFAULT_WIDTH);
    let mut session = Session::new(client, width, true);
    let mut splitter = Splitter::new();
    loop {
        let prompt = if splitter.is_empty() { "wasp> " } else { "    > " };
        let (returned, line) = tokio::task::spawn_blocking(move || {
            let line = editor.readline(prompt);
            (editor, line)
        })
        .await
        .context("the line editor stopped")?;
        editor = returned;
        let line = match line {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                splitter.clear();
                continue;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading a line"),
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        if splitter.is_empty() {
            let command = line.trim().trim_end_matches(';').trim().to_lowercase();
            match command.as_str() {
                "exit" | "quit" => break,
                "help" => {
                    write!(stdout, "{HELP}")?;
                    continue;
                }
                "clear" => {
                    let _ = editor.clear_screen();
                    continue;
                }
                "version" => {
                    writeln!(stdout, "Version: {}", env!("CARGO_PKG_VERSION"))?;
                    continue;
                }
                "history" => {
                    for (i, entry) in editor.history().iter().enumerate() {
                        writeln!(stdout, "{:>4}  {entry}", i + 1)?;
                    }
                    continue;
                }
                _ => {}
            }
        }
        width_update(&mut editor, &mut session);
        for statement in splitter.push_line(&line) {
            match session.statement(&statement, &mut stdout).await {
                Ok(()) => {}
                Err(e) if e.is::<StatementFailed>() => {}
                Err(e) => writeln!(stdout, "{e:#}")?,
            }
            stdout.flush()?;
        }
    }
    if let Some(path) = &history {
        if let Err(e) = editor.save_history(path) {
            tracing::debug!(error = %e, "could not save the history");
        }
    }
    Ok(())
}

/// Follows the terminal's width between statements.
fn width_update(editor: &mut rustyline::DefaultEditor, session: &mut Session) {
    if let Some((w, _)) = editor.dimensions().filter(|(w, _)| *w > 0) {
        session.width = w;
    }
}

#[cfg(test)]
mod tests;
