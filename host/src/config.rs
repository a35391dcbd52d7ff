//! Server configuration: a TOML file, `WASP_*` environment variables and command-line
//! flags, in rising order of precedence.
//!
//! ```toml
//! listen = "127.0.0.1:8088"
//! bootstrap_servers = "broker:9092"   # omit (or embedded_kafka = true) for the embedded cluster
//! data_dir = "/var/lib/wasp"
//! service_id = "default_"
//! batch_size = 1000
//! functions_dir = "/srv/udfs"          # where CREATE FUNCTION ... FROM 'file://...' may read
//!
//! [kafka]                              # passed to librdkafka as is
//! "security.protocol" = "SASL_SSL"
//! "sasl.mechanism" = "PLAIN"
//!
//! [properties]                         # server-wide query defaults
//! "auto.offset.reset" = "earliest"
//! ```
//!
//! Environment: `WASP_LISTEN`, `WASP_BOOTSTRAP_SERVERS`, `WASP_EMBEDDED_KAFKA`,
//! `WASP_DATA_DIR`, `WASP_SERVICE_ID`, `WASP_BATCH_SIZE`, `WASP_FUNCTIONS_DIR`, and `WASP_KAFKA_<NAME>` for any
//! librdkafka property (`WASP_KAFKA_SASL_USERNAME` sets `sasl.username`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The configuration file's shape.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub bootstrap_servers: Option<String>,
    pub embedded_kafka: Option<bool>,
    pub data_dir: Option<PathBuf>,
    pub service_id: Option<String>,
    pub batch_size: Option<usize>,
    pub functions_dir: Option<PathBuf>,
    pub kafka: BTreeMap<String, String>,
    pub properties: BTreeMap<String, String>,
}

/// Values given on the command line (each overrides file and environment).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub bootstrap_servers: Option<String>,
    pub embedded_kafka: bool,
    pub data_dir: Option<PathBuf>,
    pub service_id: Option<String>,
    pub functions_dir: Option<PathBuf>,
    /// `name=value` librdkafka properties.
    pub kafka: Vec<String>,
    /// `name=value` query defaults.
    pub properties: Vec<String>,
}

/// Where the Kafka cluster is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KafkaTarget {
    /// librdkafka's in-process mock cluster.
    Embedded,
    Bootstrap(String),
}

/// The resolved server configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub kafka: KafkaTarget,
    pub data_dir: PathBuf,
    pub service_id: String,
    pub batch_size: usize,
    /// The directory `file://` modules of `CREATE FUNCTION` must lie in; `None`
    /// refuses `file://`.
    pub functions_dir: Option<PathBuf>,
    pub kafka_properties: BTreeMap<String, String>,
    pub properties: BTreeMap<String, String>,
}

fn parse_pairs(pairs: &[String], what: &str) -> Result<BTreeMap<String, String>, String> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| format!("{what} '{p}' must look like name=value"))
        })
        .collect()
}

impl ServerConfig {
    /// Resolves file, environment and flags.
    pub fn resolve(flags: &Overrides, env: &BTreeMap<String, String>) -> Result<ServerConfig, String> {
        let file = match &flags.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let pick = |flag: &Option<String>, env_name: &str, file: &Option<String>| {
            flag.clone().or_else(|| env.get(env_name).cloned()).or_else(|| file.clone())
        };
        let listen_text = pick(&flags.listen, "WASP_LISTEN", &file.listen).unwrap_or_else(|| "127.0.0.1:8088".into());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| format!("listen address '{listen_text}' is not HOST:PORT (e.g. 127.0.0.1:8088)"))?;
        let bootstrap = pick(&flags.bootstrap_servers, "WASP_BOOTSTRAP_SERVERS", &file.bootstrap_servers);
        let embedded = flags.embedded_kafka
            || env.get("WASP_EMBEDDED_KAFKA").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
            || file.embedded_kafka == Some(true);
        let kafka = match (embedded, bootstrap) {
            (true, Some(b)) if flags.embedded_kafka && flags.bootstrap_servers.is_some() => {
                return Err(format!("choose either --embedded-kafka or --bootstrap-servers {b}, not both"))
            }
            (true, _) => KafkaTarget::Embedded,
            (false, Some(b)) => KafkaTarget::Bootstrap(b),
            (false, None) => KafkaTarget::Embedded,
        };
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env.get("WASP_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("wasp-data"));
        let service_id =
            pick(&flags.service_id, "WASP_SERVICE_ID", &file.service_id).unwrap_or_else(|| "default_".into());
        let batch_size = match env.get("WASP_BATCH_SIZE") {
            Some(b) => b.parse().map_err(|_| format!("WASP_BATCH_SIZE '{b}' is not a number"))?,
            None => file.batch_size.unwrap_or(1000),
        };
        let functions_dir = flags
            .functions_dir
            .clone()
            .or_else(|| env.get("WASP_FUNCTIONS_DIR").map(PathBuf::from))
            .or(file.functions_dir);
        let mut kafka_properties = file.kafka;
        for (k, v) in env {
            if let Some(name) = k.strip_prefix("WASP_KAFKA_") {
                kafka_properties.insert(name.to_ascii_lowercase().replace('_', "."), v.clone());
            }
        }
        kafka_properties.extend(parse_pairs(&flags.kafka, "--kafka")?);
        let mut properties = file.properties;
        properties.extend(parse_pairs(&flags.properties, "--property")?);
        // `kafka.<name>` properties are librdkafka settings, as in ksqlDB's configs.
        let prefixed: Vec<String> = properties.keys().filter(|k| k.starts_with("kafka.")).cloned().collect();
        for key in prefixed {
            if let Some(v) = properties.remove(&key) {
                kafka_properties.insert(key["kafka.".len()..].to_owned(), v);
            }
        }
        Ok(ServerConfig {
            listen,
            kafka,
            data_dir,
            service_id,
            batch_size,
            functions_dir,
            kafka_properties,
            properties,
        })
    }
}

fn load_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_env_override_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wasp.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\nbootstrap_servers = \"file:9092\"\nservice_id = \"file\"\n[kafka]\n\"security.protocol\" = \"SASL_SSL\"\n",
        )
        .unwrap();
        let mut env = BTreeMap::new();
        env.insert("WASP_SERVICE_ID".to_owned(), "env".to_owned());
        env.insert("WASP_KAFKA_SASL_USERNAME".to_owned(), "alice".to_owned());
        let flags = Overrides {
            config: Some(path),
            listen: Some("127.0.0.1:9100".into()),
            kafka: vec!["sasl.mechanism=PLAIN".into()],
            properties: vec!["kafka.ssl.ca.location=/ca.pem".into(), "auto.offset.reset=earliest".into()],
            ..Overrides::default()
        };
        let c = ServerConfig::resolve(&flags, &env).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.kafka, KafkaTarget::Bootstrap("file:9092".into()));
        assert_eq!(c.service_id, "env");
        assert_eq!(c.kafka_properties.get("security.protocol").map(String::as_str), Some("SASL_SSL"));
        assert_eq!(c.kafka_properties.get("sasl.username").map(String::as_str), Some("alice"));
        assert_eq!(c.kafka_properties.get("sasl.mechanism").map(String::as_str), Some("PLAIN"));
        assert_eq!(c.kafka_properties.get("ssl.ca.location").map(String::as_str), Some("/ca.pem"));
        assert_eq!(c.properties.get("auto.offset.reset").map(String::as_str), Some("earliest"));
        assert!(!c.properties.contains_key("kafka.ssl.ca.location"));
    }

    #[test]
    fn defaults_to_the_embedded_cluster() {
        let c = ServerConfig::resolve(&Overrides::default(), &BTreeMap::new()).unwrap();
        assert_eq!(c.kafka, KafkaTarget::Embedded);
        assert_eq!(c.listen.to_string(), "127.0.0.1:8088");
    }

    #[test]
    fn bad_values_are_explained() {
        let flags = Overrides { listen: Some("nope".into()), ..Overrides::default() };
        assert!(ServerConfig::resolve(&flags, &BTreeMap::new()).unwrap_err().contains("HOST:PORT"));
        let flags = Overrides { kafka: vec!["novalue".into()], ..Overrides::default() };
        assert!(ServerConfig::resolve(&flags, &BTreeMap::new()).unwrap_err().contains("name=value"));
    }
}
