//! The consumer asks librdkafka for each message's headers only while some view of the
//! Kafka table may read `_headers.*`: a view that does not read them leaves them out, a
//! view that does gets them, a view reading them that is created while the consumers run
//! gets them from its first block on, and a direct `SELECT` still reads them.

mod common;

use std::time::Duration;

use common::{engine, kafka_table, rows, wait_rows};
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_kafka::EmbeddedBroker;

/// Produces `{"id":N,"name":"nN"}` with header `h = vN` for N in `ids`.
fn produce(bootstrap: &str, topic: &str, ids: std::ops::Range<u32>) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for id in ids {
        let payload = format!("{{\"id\":{id},\"name\":\"n{id}\"}}");
        let value = format!("v{id}");
        let headers = OwnedHeaders::new().insert(Header {
            key: "h",
            value: Some(value.as_bytes()),
        });
        p.send(
            BaseRecord::<(), _>::to(topic)
                .payload(&payload)
                .headers(headers),
        )
        .expect("send");
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).expect("flush");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_reach_the_views_that_read_them() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("headers.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        kafka_table(
            "src",
            &bootstrap,
            "headers.t",
            "g_headers",
            ", kafka_flush_interval_ms = 100",
        ),
        "CREATE TABLE plain (id UInt32, name String, off UInt64) ENGINE = MergeTree ORDER BY id"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv_plain TO plain AS SELECT id, name, _offset AS off FROM src"
            .to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    // Only a view without `_headers.*`: the consumers run without reading them.
    produce(&bootstrap, "headers.t", 0..3);
    assert_eq!(wait_rows(&mut s, "plain", 3).await, 3);

    // A view reading the headers, created while the consumers run.
    for sql in [
        "CREATE TABLE with_headers (id UInt32, hn Array(String), hv Array(String)) ENGINE = MergeTree ORDER BY id",
        "CREATE MATERIALIZED VIEW mv_headers TO with_headers AS SELECT id, `_headers.name` AS hn, `_headers.value` AS hv FROM src",
    ] {
        rows(&mut s, sql).await.expect("DDL");
    }
    produce(&bootstrap, "headers.t", 3..6);
    assert_eq!(wait_rows(&mut s, "plain", 6).await, 6);
    assert_eq!(wait_rows(&mut s, "with_headers", 3).await, 3);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = rows(&mut s, "SELECT id, hn, hv FROM with_headers ORDER BY id")
        .await
        .expect("rows");
    assert_eq!(
        got,
        ["3\t[h]\t[v3]", "4\t[h]\t[v4]", "5\t[h]\t[v5]"],
        "the view reading the headers gets them from its first block on"
    );
    let plain = rows(&mut s, "SELECT id, name, off FROM plain ORDER BY id")
        .await
        .expect("rows");
    assert_eq!(
        plain,
        [
            "0\tn0\t0", "1\tn1\t1", "2\tn2\t2", "3\tn3\t3", "4\tn4\t4", "5\tn5\t5"
        ]
    );

    // A direct SELECT reads the headers whatever the views read.
    rows(
        &mut s,
        &kafka_table("direct", &bootstrap, "headers.t", "g_headers_direct", ""),
    )
    .await
    .expect("create direct");
    let direct = rows(
        &mut s,
        "SELECT id, `_headers.name`, `_headers.value` FROM direct ORDER BY id LIMIT 2 SETTINGS stream_like_engine_allow_direct_select = 1",
    )
    .await
    .expect("direct select");
    assert_eq!(direct, ["0\t[h]\t[v0]", "1\t[h]\t[v1]"]);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
