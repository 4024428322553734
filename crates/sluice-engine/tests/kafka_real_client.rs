//! A real Kafka client produces the data (issue 4 point 11): Python's `confluent-kafka`
//! sends keyed messages with a header to four partitions of the embedded broker (a `tansu`
//! process when installed), and a Kafka table's view stores each one exactly once with
//! its key, header, partition and offset.
//!
//! The client comes from the venv of the real-client tests (`<workspace>/target/pyenv`,
//! or `SLUICE_PYENV`), where `pip install confluent-kafka` is run when it is missing.
//! Without Python or network access the test is skipped, unless `SLUICE_REQUIRE_CLIENTS=1`
//! (CI), where it fails.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{engine, rows};
use sluice_kafka::EmbeddedBroker;

const TOPIC: &str = "confluent.orders";
const MESSAGES: u32 = 3000;

/// The producer: `{"id":N,"name":"nN"}` with key `N` and header `client: confluent`.
const PRODUCE_PY: &str = r#"
import sys
from confluent_kafka import Producer
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
failed = []
def delivered(err, msg):
    if err is not None:
        failed.append(str(err))
for i in range(n):
    while True:
        try:
            p.produce(topic, key=str(i), value='{"id":%d,"name":"n%d"}' % (i, i),
                      headers=[("client", b"confluent")], on_delivery=delivered)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
left = p.flush(60)
print("produced", n, "undelivered", left, "failed", len(failed))
sys.exit(1 if left or failed else 0)
"#;

/// The venv's Python with `confluent_kafka` importable, or None (skipped).
fn python_with_confluent_kafka() -> Option<PathBuf> {
    let venv = std::env::var("SLUICE_PYENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv"));
    let python = venv.join("bin/python");
    let succeeds = |c: &mut Command| c.status().is_ok_and(|s| s.success());
    let imports = || succeeds(Command::new(&python).args(["-c", "import confluent_kafka"]));
    let has_venv =
        python.exists() || succeeds(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    let ready = has_venv
        && (imports()
            || (succeeds(Command::new(venv.join("bin/pip")).args([
                "install",
                "-q",
                "confluent-kafka",
            ])) && imports()));
    if ready {
        return Some(python);
    }
    assert!(
        std::env::var("SLUICE_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "confluent-kafka cannot be installed in {} (SLUICE_REQUIRE_CLIENTS=1)",
        venv.display()
    );
    eprintln!("skipped: no Python venv with confluent-kafka");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_kafka_producer_feeds_a_view_exactly_once() {
    let Some(python) = python_with_confluent_kafka() else {
        return;
    };
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic(TOPIC, 4).expect("topic");
    let out = Command::new(&python)
        .args(["-c", PRODUCE_PY, &bootstrap, TOPIC, &MESSAGES.to_string()])
        .output()
        .expect("run the confluent-kafka producer");
    let printed = String::from_utf8_lossy(&out.stdout);
    println!("{} broker; {printed}", broker.kind());
    assert!(
        out.status.success(),
        "producer failed: {printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        format!(
            "CREATE TABLE src (id UInt32, name String) ENGINE = Kafka SETTINGS \
             kafka_broker_list = '{bootstrap}', kafka_topic_list = '{TOPIC}', \
             kafka_group_name = 'g_confluent', kafka_format = 'JSONEachRow', \
             kafka_flush_interval_ms = 100"
        ),
        "CREATE TABLE got (id UInt32, name String, k String, h Array(String), \
         p UInt64, o UInt64) ENGINE = MergeTree ORDER BY id"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv TO got AS SELECT id, name, _key AS k, \
         `_headers.value` AS h, _partition AS p, _offset AS o FROM src"
            .to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let summary = loop {
        let r = rows(
            &mut s,
            "SELECT count(), uniqExact(id), uniqExact(p, o), countIf(k = toString(id)), \
             countIf(h = ['confluent']), countIf(name = concat('n', toString(id))), \
             uniqExact(p) FROM got",
        )
        .await
        .expect("summary");
        let done = r
            .first()
            .and_then(|l| l.split('\t').next())
            .and_then(|c| c.parse::<u32>().ok())
            .is_some_and(|c| c >= MESSAGES);
        if done || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    println!(
        "count, ids, (partition, offset) pairs, keys, headers, names, partitions: {summary:?}"
    );
    let n = MESSAGES;
    assert_eq!(summary, [format!("{n}\t{n}\t{n}\t{n}\t{n}\t{n}\t4")]);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
