//! The `wasp` binary: the server, the shell and the benchmark.
//!
//! ```text
//! wasp server --embedded-kafka          # engine + REST API on 127.0.0.1:8088, no broker needed
//! wasp server --bootstrap-servers host:9092
//! wasp                                  # the shell, connected to http://localhost:8088
//! wasp bench --records 1000000
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use clap::{Args, Parser, Subcommand};
use wasp_host::api::KsqlEngine;
use wasp_host::config::{KafkaTarget, Overrides, ServerConfig};
use wasp_host::connectors::kafka::{EmbeddedKafka, KafkaBroker, KafkaConfig};
use wasp_host::engine::{Engine, EngineConfig};

/// wasp: streaming SQL over Kafka, extensible with WebAssembly.
#[derive(Debug, Parser)]
#[command(name = "wasp", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, `wasp` opens the shell.
    #[command(flatten)]
    shell: ShellArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the engine and its ksqlDB-compatible REST API.
    Server(ServerArgs),
    /// Open the interactive shell against a running server.
    Cli(ShellArgs),
    /// Measure query throughput against a raw Kafka passthrough.
    Bench(BenchArgs),
    /// WebAssembly functions: scaffold a new one.
    #[command(subcommand)]
    Udf(UdfCommand),
}

#[derive(Debug, Subcommand)]
enum UdfCommand {
    /// A new function project that builds as is (`./build.sh`) into NAME.wasm.
    New {
        /// The function's language: rust, c, python or js.
        #[arg(long)]
        lang: String,
        /// The function's name: lower-case letters, digits and '_'.
        name: String,
        /// The folder to write [default: ./NAME].
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The guest SDK to build against [default: $WASP_GUEST_SDK, else the
        /// guest-sdk/ of the checkout wasp was built from].
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct ShellArgs {
    /// The server to connect to.
    #[arg(long, short = 's', env = "WASP_SERVER", default_value = "http://localhost:8088")]
    server: String,
    #[command(flatten)]
    options: wasp_host::cli::CliOptions,
}

#[derive(Debug, Args)]
struct ServerArgs {
    /// A TOML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address of the REST API [default: 127.0.0.1:8088].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Kafka bootstrap servers; without it wasp starts an embedded cluster.
    #[arg(long, short = 'b', value_name = "HOST:PORT")]
    bootstrap_servers: Option<String>,
    /// Start librdkafka's in-process mock cluster and print its address.
    #[arg(long)]
    embedded_kafka: bool,
    /// Where the catalog and command log live [default: ./wasp-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Instances with the same service id share work [default: default_].
    #[arg(long, value_name = "ID")]
    service_id: Option<String>,
    /// The directory `CREATE FUNCTION ... FROM 'file://...'` may read modules from.
    #[arg(long, value_name = "DIR")]
    functions_dir: Option<PathBuf>,
    /// A librdkafka property, e.g. -k security.protocol=SASL_SSL (repeatable).
    #[arg(long = "kafka", short = 'k', value_name = "NAME=VALUE")]
    kafka: Vec<String>,
    /// A query default, e.g. -p auto.offset.reset=earliest (repeatable).
    #[arg(long = "property", short = 'p', value_name = "NAME=VALUE")]
    properties: Vec<String>,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Records to produce and process.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Broker to measure on; the embedded cluster by default.
    #[arg(long, short = 'b', value_name = "HOST:PORT")]
    bootstrap_servers: Option<String>,
    /// Partitions of the benchmark topics.
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    /// Measure this query instead (reads `bench_in`, writes `bench_out`).
    #[arg(long)]
    query: Option<String>,
    /// Only the engine measurements (c, d): no broker, no passthrough.
    #[arg(long)]
    engine_only: bool,
    /// Only the function benchmark: built-in functions against their WebAssembly twins
    /// in Rust, Python and JavaScript (built by scripts/build-udfs; WASP_UDFS_DIR).
    #[arg(long, conflicts_with = "engine_only")]
    functions: bool,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rdkafka=warn,rskafka=warn,sled=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Server(args)) => {
            init_tracing();
            server(args).await
        }
        Some(Command::Cli(shell)) => shell_exit(wasp_host::cli::run(&shell.server, shell.options).await),
        Some(Command::Udf(UdfCommand::New { lang, name, dir, sdk })) => {
            let result = wasp_host::scaffold::Lang::parse(&lang).and_then(|lang| {
                let sdk = sdk.or_else(wasp_host::scaffold::default_sdk).ok_or(
                    "no guest SDK found: pass --sdk PATH (the guest-sdk/ folder of a wasp checkout) or set WASP_GUEST_SDK",
                )?;
                let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
                wasp_host::scaffold::new_project(lang, &name, &dir, &sdk).map(|files| (lang, dir, files))
            });
            let (lang, dir, files) = result.map_err(|e| anyhow!("wasp udf new: {e}"))?;
            for f in &files {
                println!("created {}", f.display());
            }
            let absolute = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            println!("\nbuild it:   cd {} && ./build.sh", dir.display());
            println!(
                "deploy it:  CREATE FUNCTION {name} AS WASM FROM 'file://{}/{name}.wasm';  -- {lang}",
                absolute.display()
            );
            Ok(())
        }
        Some(Command::Bench(args)) => {
            init_tracing();
            let options = wasp_host::bench::BenchOptions {
                records: args.records,
                bootstrap_servers: args.bootstrap_servers,
                partitions: args.partitions,
                query: args.query,
                engine_only: args.engine_only,
                functions: args.functions,
            };
            tokio::task::spawn_blocking(move || wasp_host::bench::run(&options))
                .await?
                .map_err(|e| anyhow!("benchmark failed: {e}"))?;
            Ok(())
        }
        None => shell_exit(wasp_host::cli::run(&cli.shell.server, cli.shell.options).await),
    }
}

/// The shell's result: a statement that failed has printed its error already, so
/// the process only exits with status 1; any other error is printed by `main`.
fn shell_exit(result: anyhow::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.is::<wasp_host::cli::StatementFailed>() => std::process::exit(1),
        other => other,
    }
}

async fn server(args: ServerArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        config: args.config,
        listen: args.listen,
        bootstrap_servers: args.bootstrap_servers,
        embedded_kafka: args.embedded_kafka,
        data_dir: args.data_dir,
        service_id: args.service_id,
        functions_dir: args.functions_dir,
        kafka: args.kafka,
        properties: args.properties,
    };
    let env: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("WASP_")).collect();
    let config = ServerConfig::resolve(&overrides, &env).map_err(|e| anyhow!(e))?;

    let (bootstrap, embedded) = match &config.kafka {
        KafkaTarget::Embedded => {
            let embedded = EmbeddedKafka::start(1).context("starting the embedded Kafka cluster")?;
            let bootstrap = embedded.bootstrap_servers().to_owned();
            println!("Embedded Kafka cluster (librdkafka mock) listening on {bootstrap}");
            (bootstrap, Some(embedded))
        }
        KafkaTarget::Bootstrap(b) => (b.clone(), None),
    };
    let broker = KafkaBroker::new(
        KafkaConfig { bootstrap_servers: bootstrap.clone(), properties: config.kafka_properties.clone() },
        embedded,
    )
    .context("connecting to Kafka")?;
    let engine_config = EngineConfig {
        service_id: config.service_id.clone(),
        data_dir: Some(config.data_dir.clone()),
        properties: config.properties.clone(),
        batch_size: config.batch_size,
        functions_dir: config.functions_dir.clone(),
        ..EngineConfig::default()
    };
    let engine = tokio::task::spawn_blocking(move || Engine::open(engine_config, Arc::new(broker)))
        .await?
        .map_err(|e| anyhow!("starting the engine: {e}"))?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    println!(
        "wasp server listening on http://{} (Kafka: {bootstrap}, data: {})",
        listener.local_addr()?,
        config.data_dir.display()
    );
    let api: Arc<dyn KsqlEngine> = engine.clone();
    wasp_host::server::serve(api, listener, shutdown_signal()).await?;
    tracing::info!("shutting down");
    tokio::task::spawn_blocking(move || engine.shutdown()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
