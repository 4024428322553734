//! [`EmbeddedBroker`]: a Kafka-protocol broker for tests and the demo, reachable over
//! TCP by any Kafka client. Two back ends, chosen by measurement (see the crate
//! README, "Choosing the embedded broker"):
//! - a `tansu` broker process with memory storage, when the `tansu` binary is installed
//!   (`cargo install tansu --features dynostore`): fast enough for the demo;
//! - librdkafka's mock cluster (`rdkafka::mocking`), in-process and always available,
//!   but slow (a few thousand messages per second, and much slower as the log grows):
//!   good for functional tests with a few thousand messages.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use sluice_common::{Error, ErrorCode, Result};

enum Backend {
    Mock(MockCluster<'static, DefaultProducerContext>),
    Process(Child),
}

/// A running broker; stopped when dropped.
pub struct EmbeddedBroker {
    bootstrap: String,
    backend: Backend,
}

fn broker_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::NETWORK_ERROR, format!("{what}: {e}"))
}

impl EmbeddedBroker {
    /// The `tansu` broker if its binary is installed, else librdkafka's mock cluster.
    pub fn start() -> Result<Self> {
        match tansu_binary() {
            Some(bin) => Self::tansu(&bin),
            None => Self::mock(),
        }
    }

    /// [`EmbeddedBroker::start`], with the `tansu` process in a process group of its own, so
    /// that a terminal's Ctrl-C reaches only the caller, which stops the broker when it drops
    /// it (the demo: its server shuts down while the broker still answers). A caller killed
    /// without dropping it leaves the process running.
    pub fn start_in_own_process_group() -> Result<Self> {
        match tansu_binary() {
            Some(bin) => Self::spawn_tansu(&bin, true),
            None => Self::mock(),
        }
    }

    /// librdkafka's in-process mock cluster (one broker) listening on 127.0.0.1.
    pub fn mock() -> Result<Self> {
        let cluster = MockCluster::new(1).map_err(|e| broker_error("mock cluster", e))?;
        Ok(Self {
            bootstrap: cluster.bootstrap_servers(),
            backend: Backend::Mock(cluster),
        })
    }

    /// A `tansu` broker process with memory storage on a free local port.
    pub fn tansu(bin: &Path) -> Result<Self> {
        Self::spawn_tansu(bin, false)
    }

    fn spawn_tansu(bin: &Path, own_process_group: bool) -> Result<Self> {
        let port = free_port()?;
        let url = format!("tcp://127.0.0.1:{port}");
        let mut command = Command::new(bin);
        if own_process_group {
            command.process_group(0);
        }
        let child = command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| broker_error(&format!("cannot start {}", bin.display()), e))?;
        let broker = Self {
            bootstrap: format!("127.0.0.1:{port}"),
            backend: Backend::Process(child),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err(broker_error("tansu did not start listening", port));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(broker)
    }

    /// Which back end runs: `"tansu"` or `"mock"`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Mock(_) => "mock",
            Backend::Process(_) => "tansu",
        }
    }

    /// librdkafka consumer properties this broker needs for throughput (for
    /// [`crate::KafkaConfig::consumer`]): tansu answers a fetch only after
    /// `fetch.wait.max.ms` even when data is there, so the default 500 ms caps a consumer
    /// at ~55 k msg/s; 10 ms gives ~550 k msg/s (README, "Choosing the embedded broker").
    pub fn consumer_properties(&self) -> Vec<(String, String)> {
        match self.backend {
            Backend::Mock(_) => Vec::new(),
            Backend::Process(_) => vec![("fetch.wait.max.ms".into(), "10".into())],
        }
    }

    /// `host:port` for `bootstrap.servers` / `kafka_broker_list`.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    /// Creates a topic with `partitions` partitions.
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<()> {
        match &self.backend {
            Backend::Mock(c) => c
                .create_topic(name, partitions, 1)
                .map_err(|e| broker_error("create topic", e)),
            Backend::Process(_) => {
                let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                    .set("bootstrap.servers", &self.bootstrap)
                    .create()
                    .map_err(|e| broker_error("admin client", e))?;
                let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
                let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
                let results = futures::executor::block_on(admin.create_topics([&topic], &opts))
                    .map_err(|e| broker_error("create topic", e))?;
                for r in results {
                    if let Err((t, code)) = r {
                        return Err(broker_error(&format!("create topic {t}"), code));
                    }
                }
                Ok(())
            }
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if let Backend::Process(child) = &mut self.backend {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The `tansu` binary: `$SLUICE_TANSU_BIN`, `tansu` on `PATH`, or `$CARGO_HOME/bin/tansu`
/// (`~/.cargo/bin/tansu`).
pub fn tansu_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SLUICE_TANSU_BIN") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("tansu"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(home).join("bin/tansu"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin/tansu"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| broker_error("free port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| broker_error("free port", e))
}
