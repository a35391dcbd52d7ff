//! The `wasp` binary as a separate process, driven over its REST API.
//!
//! ```ignore
//! let broker = Tansu::start();
//! let mut wasp = WaspServer::start(broker.bootstrap(), &[]).await;
//! wasp.ksql("CREATE STREAM s (id INT) WITH (kafka_topic='s', value_format='JSON');").await;
//! wasp.kill_hard();
//! wasp.restart().await; // same data dir, same port
//! ```
//!
//! The binary is `target/<profile>/wasp`, next to the test executable's `deps/`
//! folder, or `WASP_BIN`. `cargo test` does not build it: run
//! `cargo build --bins` first (`scripts/test` does).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::header::ACCEPT;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::process::{self, Supervised, LOG_TAIL_LINES};

/// How long the server may take to answer its health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a graceful stop may take before the process is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How long [`WaspServer::query_stream`] waits for a query to end.
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Attempts at starting when another process took the port first.
const PORT_ATTEMPTS: usize = 3;

/// The bootstrap address that starts the server on its embedded cluster
/// (`--embedded-kafka`) instead of a broker.
pub const EMBEDDED: &str = "embedded";

/// A running `wasp server`, killed on drop.
pub struct WaspServer {
    process: Option<Supervised>,
    bootstrap: String,
    extra_args: Vec<String>,
    port: u16,
    /// Holds `data/` (the server's data dir) and `wasp.log`.
    dir: TempDir,
    http: reqwest::Client,
}

impl WaspServer {
    /// Starts `wasp server --bootstrap-servers <bootstrap> --listen 127.0.0.1:<free
    /// port> --data-dir <temp dir>` plus `extra_args` (`--embedded-kafka` for
    /// [`EMBEDDED`]), and waits until
    /// `GET /healthcheck` answers 200. Panics with the server's log if it does not.
    pub async fn start(bootstrap: &str, extra_args: &[&str]) -> WaspServer {
        let dir = tempfile::Builder::new()
            .prefix("wasp-e2e-server-")
            .tempdir()
            .expect("create a temp dir for the wasp server");
        std::fs::create_dir(dir.path().join("data")).expect("create the data dir");
        let mut server = WaspServer {
            process: None,
            bootstrap: bootstrap.to_owned(),
            extra_args: extra_args.iter().map(|&arg| arg.to_owned()).collect(),
            port: 0,
            dir,
            http: reqwest::Client::new(),
        };
        for attempt in 1..=PORT_ATTEMPTS {
            server.port = process::free_port();
            match server.launch().await {
                Ok(()) => return server,
                Err(_) if attempt < PORT_ATTEMPTS && server.address_was_in_use() => continue,
                Err(err) => server.fail(&err),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// The base URL of the REST API, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's data dir; it survives [`restart`](Self::restart).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log (stdout and stderr of every run, appended).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("wasp.log")
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        process::log_tail(&self.log_path(), LOG_TAIL_LINES)
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Supervised::is_running)
    }

    /// Kills the server with SIGKILL, like a crash: no shutdown hooks, no flush.
    pub fn kill_hard(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// Stops the server with SIGTERM, killing it if it has not exited after 10 s.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop(STOP_GRACE);
        }
    }

    /// Stops the server if it runs, then starts it again with the same data dir,
    /// port and arguments, and waits until it is healthy.
    pub async fn restart(&mut self) {
        self.stop();
        if let Err(err) = self.launch().await {
            self.fail(&err);
        }
    }

    /// Runs statements through `POST /ksql` and returns the response body, which
    /// for an error is ksqlDB's error object (`@type`, `error_code`, `message`).
    pub async fn ksql(&self, sql: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/ksql", self.url()))
            .header(ACCEPT, "application/vnd.ksql.v1+json")
            .json(&json!({ "ksql": sql, "streamsProperties": {} }))
            .send()
            .await
            .unwrap_or_else(|err| self.fail(&format!("POST /ksql {sql:?}: {err}")));
        let status = response.status();
        let body = response
            .text()
            .await
            .unwrap_or_else(|err| self.fail(&format!("POST /ksql {sql:?}: reading the body: {err}")));
        serde_json::from_str(&body).unwrap_or_else(|err| {
            self.fail(&format!("POST /ksql {sql:?} answered {status} with a body that is not JSON ({err}): {body}"))
        })
    }

    /// Runs a query through `POST /query-stream` (ksqlDB's delimited format) and
    /// returns every line: the header object (`queryId`, `columnNames`,
    /// `columnTypes`) first, then one array per row. Waits up to 60 s for the
    /// query to end, so a push query needs a `LIMIT`; or use
    /// [`query_stream_take`](Self::query_stream_take).
    pub async fn query_stream(&self, sql: &str) -> Vec<Value> {
        self.query_stream_lines(sql, usize::MAX).await
    }

    /// Like [`query_stream`](Self::query_stream), but returns as soon as the
    /// header and `rows` rows have arrived, closing the query.
    pub async fn query_stream_take(&self, sql: &str, rows: usize) -> Vec<Value> {
        self.query_stream_lines(sql, rows.saturating_add(1)).await
    }

    async fn query_stream_lines(&self, sql: &str, max_lines: usize) -> Vec<Value> {
        let response = self
            .http
            .post(format!("{}/query-stream", self.url()))
            .header(ACCEPT, "application/vnd.ksqlapi.delimited.v1")
            .json(&json!({ "sql": sql, "properties": {} }))
            .send()
            .await
            .unwrap_or_else(|err| self.fail(&format!("POST /query-stream {sql:?}: {err}")));
        let status = response.status();
        if status != StatusCode::OK {
            let body = response.text().await.unwrap_or_default();
            self.fail(&format!("POST /query-stream {sql:?} answered {status}: {body}"));
        }
        let mut lines = Vec::new();
        let mut pending = Vec::new();
        let mut body = response.bytes_stream();
        let read = async {
            while lines.len() < max_lines {
                let Some(chunk) = body.next().await else {
                    // The query ended; a last line may lack its newline.
                    push_json_line(&mut lines, &pending, sql);
                    break;
                };
                let chunk = chunk
                    .unwrap_or_else(|err| self.fail(&format!("POST /query-stream {sql:?}: reading the body: {err}")));
                pending.extend_from_slice(&chunk);
                while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    push_json_line(&mut lines, &line, sql);
                }
            }
        };
        if tokio::time::timeout(QUERY_TIMEOUT, read).await.is_err() {
            self.fail(&format!(
                "POST /query-stream {sql:?} did not end within {QUERY_TIMEOUT:?} \
                 (a push query needs LIMIT or query_stream_take); lines so far: {lines:?}"
            ));
        }
        lines.truncate(max_lines);
        lines
    }

    /// Starts the process on `self.port` and waits for the health check.
    async fn launch(&mut self) -> Result<(), String> {
        let listen = format!("127.0.0.1:{}", self.port);
        let mut command = Command::new(wasp_binary());
        command.arg("server");
        if self.bootstrap == EMBEDDED {
            command.arg("--embedded-kafka");
        } else {
            command.args(["--bootstrap-servers", &self.bootstrap]);
        }
        command.args(["--listen", &listen]).arg("--data-dir").arg(self.data_dir()).args(&self.extra_args);
        let log = self.log_path();
        let process = Supervised::spawn("wasp", &command, &log).map_err(|err| err.to_string())?;
        let health = format!("{}/healthcheck", self.url());
        let process = self.process.insert(process);
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = process.try_status() {
                return Err(format!("`{}` exited with {status}", process::describe(&command)));
            }
            let answer = self.http.get(&health).timeout(Duration::from_secs(2)).send().await;
            if answer.is_ok_and(|response| response.status() == StatusCode::OK) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "`{}` did not answer GET /healthcheck with 200 within {STARTUP_TIMEOUT:?}",
            process::describe(&command)
        ))
    }

    fn address_was_in_use(&mut self) -> bool {
        self.kill_hard();
        process::log_says_address_in_use(&self.log_path())
    }

    fn fail(&self, message: &str) -> ! {
        panic!("{message}\n--- last {LOG_TAIL_LINES} lines of {} ---\n{}", self.log_path().display(), self.log_tail())
    }
}

impl Drop for WaspServer {
    fn drop(&mut self) {
        // The process goes first: the temp dir holds its data dir and log.
        self.kill_hard();
    }
}

fn push_json_line(lines: &mut Vec<Value>, line: &[u8], sql: &str) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let value = serde_json::from_str(text)
        .unwrap_or_else(|err| panic!("POST /query-stream {sql:?} sent a line that is not JSON ({err}): {text}"));
    lines.push(value);
}

/// `target/<profile>/wasp`, next to this test executable's `deps/` folder.
pub fn wasp_binary() -> PathBuf {
    let binary = match env::var_os("WASP_BIN") {
        Some(path) => PathBuf::from(path),
        None => {
            let exe = env::current_exe().expect("the test executable's path");
            let profile_dir =
                exe.parent().and_then(Path::parent).expect("the test executable lives in target/<profile>/deps/");
            profile_dir.join(format!("wasp{}", env::consts::EXE_SUFFIX))
        }
    };
    assert!(
        binary.is_file(),
        "the wasp binary is not at {}: run `cargo build --bins` first \
         (scripts/test does), or set WASP_BIN",
        binary.display()
    );
    binary
}
