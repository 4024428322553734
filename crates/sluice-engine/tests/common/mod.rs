//! Helpers of the Kafka engine tests: an engine on the embedded broker, Kafka table DDL,
//! statement results as TSV lines, and waiting for a target's row count.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use datafusion::arrow::util::display::array_value_to_string;
use sluice_engine::{Engine, EngineConfig, Session};
use sluice_kafka::EmbeddedBroker;

/// Rows of the last statement's result as TSV lines, or the error text.
pub async fn rows(s: &mut Session, sql: &str) -> Result<Vec<String>, String> {
    let out = s
        .execute_sql(sql)
        .await
        .map_err(|e| e.to_clickhouse_string())?;
    let Some((_, batches)) = out.into_iter().last() else {
        return Ok(Vec::new());
    };
    let mut lines = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            let cells: Vec<String> = b
                .columns()
                .iter()
                .map(|c| array_value_to_string(c, r).unwrap_or_default())
                .collect();
            lines.push(cells.join("\t"));
        }
    }
    Ok(lines)
}

pub fn kafka_table(name: &str, bootstrap: &str, topic: &str, group: &str, extra: &str) -> String {
    format!(
        "CREATE TABLE {name} (id UInt32, name String) ENGINE = Kafka SETTINGS \
         kafka_broker_list = '{bootstrap}', kafka_topic_list = '{topic}', \
         kafka_group_name = '{group}', kafka_format = 'JSONEachRow'{extra}"
    )
}

pub async fn engine(broker: &EmbeddedBroker, dir: &std::path::Path) -> sluice_engine::EngineRef {
    Engine::open(EngineConfig {
        path: Some(dir.to_path_buf()),
        kafka: sluice_kafka::KafkaConfig {
            consumer: broker.consumer_properties(),
            ..sluice_kafka::KafkaConfig::default()
        },
        ..EngineConfig::default()
    })
    .await
    .expect("engine")
}

pub async fn count(s: &mut Session) -> u64 {
    count_of(s, "sink").await
}

pub async fn wait_for(s: &mut Session, want: u64) -> u64 {
    wait_rows(s, "sink", want).await
}

/// `count()` of `table` (0 when it cannot be read).
pub async fn count_of(s: &mut Session, table: &str) -> u64 {
    rows(s, &format!("SELECT count() FROM {table}"))
        .await
        .expect("count")
        .first()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Waits up to 60 s for `table` to hold `want` rows; returns its count.
pub async fn wait_rows(s: &mut Session, table: &str, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = count_of(s, table).await;
        if n >= want || Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The seed guide's topic.
pub const SEED_TOPIC: &str = "postgres-server.inventory.orders";

/// The guide's three statements, verbatim, with its broker address replaced.
pub fn seed_sql(bootstrap: &str) -> String {
    include_str!("../../../../sql-tests/data/seed_pipeline.sql")
        .replace("'kafka:9092'", &format!("'{bootstrap}'"))
}

/// Produces `(key, payload)` messages to `topic` with librdkafka and waits for delivery.
pub fn produce_to(bootstrap: &str, topic: &str, messages: impl Iterator<Item = (String, String)>) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let p: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for (key, payload) in messages {
        loop {
            match p.send(BaseRecord::to(topic).payload(&payload).key(&key)) {
                Ok(()) => break,
                Err((_, _)) => {
                    p.poll(Duration::from_millis(50));
                }
            }
        }
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(60)).expect("flush");
}

/// The first value of the last statement's result, as text ("" when there is no row).
pub async fn query_one(session: &mut Session, sql: &str) -> String {
    let out = session.execute_sql(sql).await.expect("query");
    let (_, batches) = out.into_iter().last().expect("one result");
    match batches.first() {
        Some(batch) if batch.num_rows() > 0 => {
            array_value_to_string(batch.column(0), 0).expect("value")
        }
        _ => String::new(),
    }
}
