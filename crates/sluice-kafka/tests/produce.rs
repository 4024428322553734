//! `INSERT INTO kafka_table` through [`KafkaProducer`], read back with a plain rdkafka
//! consumer. Payload bytes are what ClickHouse writes for the same rows (oracle:
//! `SELECT toUInt32(number) AS id, concat('k', toString(number)) AS _key FROM
//! numbers(1,2) FORMAT JSONEachRow` → `{"id":1,"_key":"k1"}\n{"id":2,"_key":"k2"}\n`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, StringArray, UInt32Array};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use common::settings;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use sluice_common::{ChType, ErrorCode};
use sluice_kafka::{EmbeddedBroker, KafkaProducer};

fn batch(n: u32) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        ChType::UInt32.to_field("id"),
        ChType::String.to_field("_key"),
    ]));
    let ids: ArrayRef = Arc::new(UInt32Array::from((1..=n).collect::<Vec<_>>()));
    let keys: ArrayRef = Arc::new(StringArray::from(
        (1..=n).map(|i| format!("k{i}")).collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(schema, vec![ids, keys]).expect("batch")
}

/// `(key, payload)` of every message of partition 0.
fn read_all(bootstrap: &str, topic: &str, expect: usize) -> Vec<(String, String)> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    c.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while out.len() < expect && Instant::now() < end {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            out.push((
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            ));
        }
    }
    out
}

#[test]
fn rows_become_messages_with_keys() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("out", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    let s = settings(&bs, "out", "g", &[]);
    let p = KafkaProducer::try_new(&s, &Default::default(), "default", "queue").expect("producer");
    assert_eq!(p.write(&batch(2)).expect("write"), 2);
    p.flush().expect("flush");
    assert_eq!(
        read_all(&bs, "out", 2),
        vec![
            ("k1".to_string(), "{\"id\":1,\"_key\":\"k1\"}\n".to_string()),
            ("k2".to_string(), "{\"id\":2,\"_key\":\"k2\"}\n".to_string()),
        ]
    );
}

#[test]
fn max_rows_per_message_and_mapped_virtuals() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("out2", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    let s = settings(
        &bs,
        "out2",
        "g",
        &[
            ("kafka_max_rows_per_message", "2"),
            ("kafka_map_virtual_columns_on_write", "1"),
        ],
    );
    let p = KafkaProducer::try_new(&s, &Default::default(), "default", "queue").expect("producer");
    assert_eq!(p.write(&batch(5)).expect("write"), 3);
    p.flush().expect("flush");
    // The key of a message is the last row's; `_key` is not in the payload.
    assert_eq!(
        read_all(&bs, "out2", 3),
        vec![
            ("k2".to_string(), "{\"id\":1}\n{\"id\":2}\n".to_string()),
            ("k4".to_string(), "{\"id\":3}\n{\"id\":4}\n".to_string()),
            ("k5".to_string(), "{\"id\":5}\n".to_string()),
        ]
    );
}

#[test]
fn several_topics_cannot_be_written() {
    let s = settings("127.0.0.1:1", "a,b", "g", &[]);
    let e = KafkaProducer::try_new(&s, &Default::default(), "default", "queue")
        .err()
        .expect("error");
    assert_eq!(e.code, ErrorCode::NOT_IMPLEMENTED);
    assert_eq!(
        e.message,
        "Can't write to Kafka table with multiple topics!"
    );
}

/// A `_timestamp` DateTime column gives each message its timestamp (seconds → ms), as
/// ClickHouse's producer does; with one row per message each row's own value.
#[test]
fn timestamp_column_sets_the_message_timestamp() {
    use arrow::array::TimestampSecondArray;
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("out_ts", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    let s = settings(&bs, "out_ts", "g", &[]);
    let p = KafkaProducer::try_new(&s, &Default::default(), "default", "queue").expect("producer");
    let schema = Arc::new(Schema::new(vec![
        ChType::UInt32.to_field("id"),
        ChType::DateTime(Some("UTC".into())).to_field("_timestamp"),
    ]));
    let ids: ArrayRef = Arc::new(UInt32Array::from(vec![1, 2]));
    let ts: ArrayRef = Arc::new(
        TimestampSecondArray::from(vec![1_700_000_000, 1_700_000_001]).with_timezone("UTC"),
    );
    let b = RecordBatch::try_new(schema, vec![ids, ts]).expect("batch");
    assert_eq!(p.write(&b).expect("write"), 2);
    p.flush().expect("flush");
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("group.id", "reader_ts")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    c.subscribe(&["out_ts"]).expect("subscribe");
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while got.len() < 2 && Instant::now() < end {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            got.push(m.timestamp().to_millis());
        }
    }
    assert_eq!(got, [Some(1_700_000_000_000), Some(1_700_000_001_000)]);
}
