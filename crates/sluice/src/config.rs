//! The `sluice server --config FILE` file (TOML): listening addresses, the data path,
//! users, server-wide default settings, and the librdkafka properties of Kafka tables
//! (ClickHouse's `<kafka>`, `<kafka><consumer>`, `<kafka><producer>` and `<kafka_topic>`
//! sections). Command-line flags override the file. `docs/configuration.md` documents
//! every key with an example.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use sluice_common::{Error, ErrorCode, Result};
use sluice_kafka::KafkaConfig;

/// The parsed configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Address to listen on.
    pub listen_host: Option<String>,
    /// HTTP interface port.
    pub http_port: Option<u16>,
    /// Native TCP port.
    pub tcp_port: Option<u16>,
    /// Data directory.
    pub path: Option<PathBuf>,
    /// `display_name` shown by clients.
    pub display_name: Option<String>,
    /// Most queries running at once (ClickHouse's server setting; 0: no limit). Also
    /// accepted in `[settings]`.
    pub max_concurrent_queries: Option<u64>,
    /// Seconds a native connection may wait between queries before the server closes it
    /// (ClickHouse's `idle_connection_timeout`, default 3600). Also accepted in
    /// `[settings]`.
    pub idle_connection_timeout: Option<u64>,
    /// Seconds the server waits for the rest of a native packet or the next INSERT block
    /// (`receive_timeout`, default 300). Also accepted in `[settings]`.
    pub receive_timeout: Option<u64>,
    /// Seconds the server waits for a native client to accept result bytes
    /// (`send_timeout`, default 300). Also accepted in `[settings]`.
    pub send_timeout: Option<u64>,
    /// Seconds an HTTP keep-alive connection may wait for its next request before the
    /// server closes it (ClickHouse's `keep_alive_timeout`, default 30). Also accepted in
    /// `[settings]`.
    pub keep_alive_timeout: Option<u64>,
    /// Server-wide defaults of session settings (ClickHouse's default profile).
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
    /// Users by name. Without any, `default` with no password.
    #[serde(default)]
    pub users: BTreeMap<String, UserConfig>,
    /// librdkafka properties for every Kafka table; `consumer` and `producer` sub-tables
    /// apply to consumers or producers only.
    #[serde(default)]
    pub kafka: toml::Table,
    /// librdkafka properties per topic (`[kafka_topic."topic.name"]`).
    #[serde(default)]
    pub kafka_topic: BTreeMap<String, toml::Table>,
}

/// One user.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Hex SHA-256 of the password (ClickHouse's `password_sha256_hex`).
    pub password_sha256_hex: Option<String>,
    /// The password in clear (ClickHouse's `password`), for tests and demos.
    pub password: Option<String>,
    /// Database of sessions that do not name one.
    pub default_database: Option<String>,
    /// `readonly` for the user's sessions: 0, 1 (reads only) or 2 (reads and `SET`).
    #[serde(default)]
    pub readonly: u8,
}

impl UserConfig {
    /// Whether `password` is this user's password.
    pub fn check_password(&self, password: &str) -> bool {
        match (&self.password_sha256_hex, &self.password) {
            (Some(hash), _) => {
                let got = hex::encode(Sha256::digest(password.as_bytes()));
                constant_time_eq(got.as_bytes(), hash.trim().to_ascii_lowercase().as_bytes())
            }
            (None, Some(clear)) => constant_time_eq(clear.as_bytes(), password.as_bytes()),
            (None, None) => password.is_empty(),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn config_error(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::CANNOT_LOAD_CONFIG,
        format!("Cannot load configuration {}: {msg}", path.display()),
    )
}

/// A TOML scalar as the text librdkafka or a setting expects.
fn scalar_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn properties(path: &Path, section: &str, t: &toml::Table) -> Result<Vec<(String, String)>> {
    t.iter()
        .map(|(k, v)| {
            scalar_text(v)
                .map(|text| (k.clone(), text))
                .ok_or_else(|| config_error(path, format!("{section}.{k}: expected a value")))
        })
        .collect()
}

/// Server settings accepted in `[settings]` that are not session settings.
const SERVER_SETTINGS: &[&str] = &[
    "max_concurrent_queries",
    "idle_connection_timeout",
    "receive_timeout",
    "send_timeout",
    "keep_alive_timeout",
];

/// Connection timeouts from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    /// `idle_connection_timeout`.
    pub idle: std::time::Duration,
    /// `receive_timeout`.
    pub receive: std::time::Duration,
    /// `send_timeout`.
    pub send: std::time::Duration,
    /// `keep_alive_timeout` (HTTP).
    pub keep_alive: std::time::Duration,
}

impl ConfigFile {
    /// `max_concurrent_queries`: the top-level key, else the one in `[settings]`; 0 (no
    /// limit) without either.
    pub fn max_concurrent_queries(&self, path: &Path) -> Result<u64> {
        if let Some(n) = self.max_concurrent_queries {
            return Ok(n);
        }
        match self.settings.get("max_concurrent_queries") {
            None => Ok(0),
            Some(v) => scalar_text(v)
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    config_error(
                        path,
                        "settings.max_concurrent_queries: expected a non-negative integer",
                    )
                }),
        }
    }

    /// A timeout in seconds: the top-level key, else the one in `[settings]`, else
    /// `default`.
    fn seconds(&self, path: &Path, name: &str, top: Option<u64>, default: u64) -> Result<u64> {
        if let Some(n) = top {
            return Ok(n);
        }
        match self.settings.get(name) {
            None => Ok(default),
            Some(v) => scalar_text(v)
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    config_error(
                        path,
                        format!("settings.{name}: expected a non-negative number of seconds"),
                    )
                }),
        }
    }

    /// `idle_connection_timeout` (3600 s), `receive_timeout` and `send_timeout` (300 s),
    /// `keep_alive_timeout` (30 s).
    pub fn connection_timeouts(&self, path: &Path) -> Result<ConnectionTimeouts> {
        let secs = std::time::Duration::from_secs;
        Ok(ConnectionTimeouts {
            idle: secs(self.seconds(
                path,
                "idle_connection_timeout",
                self.idle_connection_timeout,
                3600,
            )?),
            receive: secs(self.seconds(path, "receive_timeout", self.receive_timeout, 300)?),
            send: secs(self.seconds(path, "send_timeout", self.send_timeout, 300)?),
            keep_alive: secs(self.seconds(
                path,
                "keep_alive_timeout",
                self.keep_alive_timeout,
                30,
            )?),
        })
    }

    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| config_error(path, e))?;
        Self::parse(path, &text)
    }

    /// Parses configuration text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let cfg: ConfigFile = toml::from_str(text).map_err(|e| config_error(path, e))?;
        // Fail at start-up, not at the first Kafka table.
        cfg.kafka_config(path)?;
        cfg.settings(path)?;
        cfg.max_concurrent_queries(path)?;
        cfg.connection_timeouts(path)?;
        Ok(cfg)
    }

    /// The settings as `(name, value)` text (server settings such as
    /// `max_concurrent_queries` excluded).
    pub fn settings(&self, path: &Path) -> Result<Vec<(String, String)>> {
        self.settings
            .iter()
            .filter(|(k, _)| !SERVER_SETTINGS.contains(&k.as_str()))
            .map(|(k, v)| {
                scalar_text(v)
                    .map(|t| (k.clone(), t))
                    .ok_or_else(|| config_error(path, format!("settings.{k}: expected a value")))
            })
            .collect()
    }

    /// The librdkafka properties for Kafka tables.
    pub fn kafka_config(&self, path: &Path) -> Result<KafkaConfig> {
        let mut config = KafkaConfig::default();
        for (k, v) in &self.kafka {
            match (k.as_str(), v) {
                ("consumer", toml::Value::Table(t)) => {
                    config.consumer = properties(path, "kafka.consumer", t)?;
                }
                ("producer", toml::Value::Table(t)) => {
                    config.producer = properties(path, "kafka.producer", t)?;
                }
                _ => match scalar_text(v) {
                    Some(text) => config.global.push((k.clone(), text)),
                    None => {
                        return Err(config_error(path, format!("kafka.{k}: expected a value")));
                    }
                },
            }
        }
        for (topic, t) in &self.kafka_topic {
            config.per_topic.insert(
                topic.clone(),
                properties(path, &format!("kafka_topic.{topic}"), t)?,
            );
        }
        Ok(config)
    }

    /// The users; `default` without a password when none is configured.
    pub fn users(&self) -> BTreeMap<String, UserConfig> {
        if self.users.is_empty() {
            BTreeMap::from([("default".to_string(), UserConfig::default())])
        } else {
            self.users.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
listen_host = "0.0.0.0"
http_port = 18123
path = "/tmp/x"

[settings]
max_threads = 2
date_time_input_format = "best_effort"

[users.default]

[users.alice]
password_sha256_hex = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
default_database = "analytics"
readonly = 1

[kafka]
"session.timeout.ms" = 6000
auto_offset_reset = "earliest"

[kafka.consumer]
"fetch.wait.max.ms" = 10

[kafka_topic."orders.cdc"]
"fetch.min.bytes" = 1
"#;

    #[test]
    fn parses_every_section() {
        let cfg = ConfigFile::parse(Path::new("t.toml"), EXAMPLE).expect("parse");
        assert_eq!(cfg.listen_host.as_deref(), Some("0.0.0.0"));
        assert_eq!(cfg.http_port, Some(18123));
        assert_eq!(cfg.tcp_port, None);
        let settings = cfg.settings(Path::new("t.toml")).expect("settings");
        assert_eq!(
            settings,
            vec![
                (
                    "date_time_input_format".to_string(),
                    "best_effort".to_string()
                ),
                ("max_threads".to_string(), "2".to_string()),
            ]
        );
        let k = cfg.kafka_config(Path::new("t.toml")).expect("kafka");
        assert_eq!(
            k.global,
            vec![
                ("auto_offset_reset".to_string(), "earliest".to_string()),
                ("session.timeout.ms".to_string(), "6000".to_string()),
            ]
        );
        assert_eq!(
            k.consumer,
            vec![("fetch.wait.max.ms".to_string(), "10".to_string())]
        );
        assert_eq!(
            k.per_topic.get("orders.cdc"),
            Some(&vec![("fetch.min.bytes".to_string(), "1".to_string())])
        );
        let users = cfg.users();
        assert!(users["default"].check_password(""));
        assert!(!users["default"].check_password("x"));
        // sha256("secret")
        assert!(users["alice"].check_password("secret"));
        assert!(!users["alice"].check_password("Secret"));
        assert_eq!(users["alice"].readonly, 1);
    }

    #[test]
    fn rejects_bad_files() {
        for bad in [
            "http_port = 'x'",
            "unknown_key = 1",
            "[users.bob]\nreadonly = 1\ncolour = 'red'",
            "[kafka]\nbootstrap = [1, 2]",
            "[settings]\nmax_threads = [1]",
            "listen_host = ",
        ] {
            let err = ConfigFile::parse(Path::new("bad.toml"), bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::CANNOT_LOAD_CONFIG, "{bad}");
        }
    }

    #[test]
    fn max_concurrent_queries_top_level_or_in_settings() {
        let p = Path::new("t.toml");
        let top = ConfigFile::parse(p, "max_concurrent_queries = 3\n").expect("parse");
        assert_eq!(top.max_concurrent_queries(p).expect("limit"), 3);
        let inside = ConfigFile::parse(
            p,
            "[settings]\nmax_concurrent_queries = 2\nmax_threads = 1\n",
        )
        .expect("parse");
        assert_eq!(inside.max_concurrent_queries(p).expect("limit"), 2);
        // Not a session setting: it does not reach the engine's settings.
        assert_eq!(
            inside.settings(p).expect("settings"),
            vec![("max_threads".to_string(), "1".to_string())]
        );
        assert_eq!(
            ConfigFile::default()
                .max_concurrent_queries(p)
                .expect("none"),
            0
        );
        assert!(ConfigFile::parse(p, "[settings]\nmax_concurrent_queries = \"x\"\n").is_err());
    }

    #[test]
    fn connection_timeouts_top_level_or_in_settings() {
        use std::time::Duration;
        let p = Path::new("t.toml");
        let defaults = ConfigFile::default()
            .connection_timeouts(p)
            .expect("defaults");
        assert_eq!(
            defaults,
            ConnectionTimeouts {
                idle: Duration::from_secs(3600),
                receive: Duration::from_secs(300),
                send: Duration::from_secs(300),
                keep_alive: Duration::from_secs(30),
            }
        );
        let cfg = ConfigFile::parse(
            p,
            "idle_connection_timeout = 5\nkeep_alive_timeout = 2\n[settings]\nreceive_timeout = 7\nsend_timeout = \"9\"\n",
        )
        .expect("parse");
        let t = cfg.connection_timeouts(p).expect("timeouts");
        assert_eq!(
            (t.idle, t.receive, t.send, t.keep_alive),
            (
                Duration::from_secs(5),
                Duration::from_secs(7),
                Duration::from_secs(9),
                Duration::from_secs(2)
            )
        );
        let inside = ConfigFile::parse(p, "[settings]\nkeep_alive_timeout = 4\n").expect("parse");
        assert_eq!(
            inside.connection_timeouts(p).expect("timeouts").keep_alive,
            Duration::from_secs(4)
        );
        assert!(inside.settings(p).expect("settings").is_empty());
        // Server settings: they do not reach the engine's session settings.
        assert!(cfg.settings(p).expect("settings").is_empty());
        assert!(ConfigFile::parse(p, "[settings]\nidle_connection_timeout = -1\n").is_err());
    }
}
