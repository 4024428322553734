//! A materialized view's `now()`/`today()` take the time of each insert, as in ClickHouse,
//! although the view's plan is kept from its first block. Expected output from ClickHouse:
//! the same statements through `ch-oracle --path DIR` (the inserts in two calls, 2.2 s
//! apart) print `1 2 1 1` (tab-separated).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sluice_engine::{Engine, EngineConfig, EngineRef};

/// Runs `sql` (several statements) and returns its TSV output.
async fn run(engine: &EngineRef, sql: &str) -> String {
    let mut session = engine.session();
    let mut text = String::new();
    let stmts = session
        .parse(sql)
        .unwrap_or_else(|e| panic!("{}", e.to_clickhouse_string()));
    for stmt in stmts {
        let out = session
            .execute(stmt, None)
            .await
            .unwrap_or_else(|e| panic!("{}", e.to_clickhouse_string()));
        let Some(mut stream) = out.stream else {
            continue;
        };
        let fs = sluice_formats::FormatSettings::default();
        let mut w =
            sluice_formats::output_format("TSV", Arc::clone(&out.schema), &fs).expect("TSV writer");
        let mut buf = Vec::new();
        w.write_prefix(&mut buf).expect("prefix");
        while let Some(b) = stream.next().await {
            w.write_batch(&b.expect("batch"), &mut buf).expect("rows");
        }
        w.write_suffix(&mut buf, &sluice_formats::QueryStatistics::default())
            .expect("suffix");
        text.push_str(&String::from_utf8_lossy(&buf));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_views_clock_is_read_at_each_insert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig {
        path: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("open: {}", e.to_clickhouse_string()));
    run(
        &engine,
        "CREATE TABLE src (id UInt32) ENGINE = MergeTree ORDER BY id; \
         CREATE TABLE dst (id UInt32, t DateTime, d Date) ENGINE = MergeTree ORDER BY id; \
         CREATE MATERIALIZED VIEW mv TO dst AS SELECT id, now() AS t, today() AS d FROM src; \
         INSERT INTO src VALUES (1)",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let out = run(
        &engine,
        "INSERT INTO src VALUES (2); \
         SELECT max(t) - min(t) >= 2, uniqExact(t), max(d) = today(), max(t) >= now() - 60 FROM dst",
    )
    .await;
    assert_eq!(out, "1\t2\t1\t1\n");
}
