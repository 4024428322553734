//! The same guarantees against a separate broker process that shares no code with
//! librdkafka: `tansu` (`cargo install tansu --features dynostore`, installed by
//! `.ci/run`). Without the binary these tests say so and pass, unless
//! `SLUICE_REQUIRE_TANSU=1` (set by `.ci/run` once it installed tansu), where a missing
//! broker is a failure.

mod common;

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, StringArray, UInt32Array};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use common::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use sluice_common::ChType;
use sluice_kafka::broker::tansu_binary;
use sluice_kafka::{
    ConsumerSpec, EmbeddedBroker, KafkaConfig, KafkaConsumers, KafkaProducer, KafkaSettings,
    VirtualColumn,
};

fn tansu() -> Option<EmbeddedBroker> {
    match tansu_binary() {
        Some(bin) => Some(EmbeddedBroker::tansu(&bin).expect("start tansu")),
        None => {
            assert!(
                std::env::var("SLUICE_REQUIRE_TANSU").as_deref() != Ok("1"),
                "the tansu binary is missing: .ci/run must `cargo install tansu --features dynostore`"
            );
            eprintln!("tansu is not installed: skipping the tansu broker tests");
            None
        }
    }
}

fn spec(settings: KafkaSettings) -> ConsumerSpec {
    ConsumerSpec {
        settings,
        config: KafkaConfig {
            consumer: vec![
                ("session_timeout_ms".into(), "6000".into()),
                ("heartbeat_interval_ms".into(), "500".into()),
            ],
            ..Default::default()
        },
        database: "default".into(),
        table: "queue".into(),
        data_schema: id_schema(),
        virtuals: vec![VirtualColumn::Partition, VirtualColumn::Offset],
    }
}

#[test]
fn tansu_every_message_once_across_a_rebalance() {
    let Some(broker) = tansu() else { return };
    assert_eq!(broker.kind(), "tansu");
    broker.create_topic("events", 4).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "events", 4, 0..2000);
    let sink = TestSink::new(true, 1);
    let s = settings(
        &bs,
        "events",
        "g",
        &[
            ("kafka_max_block_size", "500"),
            ("kafka_consumer_reschedule_ms", "50"),
        ],
    );
    let a = KafkaConsumers::start(spec(s.clone()), Arc::clone(&sink) as _).expect("a");
    assert!(sink.wait_rows(500, Duration::from_secs(30)) >= 500);
    let b = KafkaConsumers::start(spec(s), Arc::clone(&sink) as _).expect("b");
    produce_ids(&bs, "events", 4, 2000..4000);
    assert_eq!(sink.wait_rows(4000, Duration::from_secs(40)), 4000);
    a.stop();
    produce_ids(&bs, "events", 4, 4000..5000);
    assert_eq!(sink.wait_rows(5000, Duration::from_secs(40)), 5000);
    std::thread::sleep(Duration::from_millis(300));
    let stats = b.stats();
    b.stop();
    assert_eq!(sink.ids(), (0..5000).collect::<Vec<u32>>());
    assert!(stats[0].num_commits > 0);
    assert_eq!(stats[0].assignments.len(), 4);
}

#[test]
fn tansu_producer_round_trip() {
    let Some(broker) = tansu() else { return };
    broker.create_topic("rt", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    let s = settings(&bs, "rt", "g", &[]);
    let schema = Arc::new(Schema::new(vec![
        ChType::UInt32.to_field("id"),
        ChType::String.to_field("_key"),
    ]));
    let ids: ArrayRef = Arc::new(UInt32Array::from((0..100).collect::<Vec<u32>>()));
    let keys: ArrayRef = Arc::new(StringArray::from(
        (0..100).map(|i| format!("k{i}")).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema, vec![ids, keys]).expect("batch");
    let p = KafkaProducer::try_new(&s, &Default::default(), "default", "queue").expect("producer");
    assert_eq!(p.write(&batch).expect("write"), 100);
    p.flush().expect("flush");
    // Read back through the consumer: JSONEachRow ignores the extra `_key` field.
    let sink = TestSink::new(false, 0);
    let consumers = KafkaConsumers::start(spec(s), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(100, Duration::from_secs(30)), 100);
    consumers.stop();
    assert_eq!(sink.ids(), (0..100).collect::<Vec<u32>>());
}

/// tansu answers a fetch at an offset inside a record batch with the batches after it (a
/// fetch at offset 60 of one 100-message batch returns nothing). A consumer starting
/// there — at the offset its targets recorded (exactly-once) or at the group's committed
/// offset — still gets every message from that offset on (`seek_guard.rs`).
#[test]
fn tansu_start_inside_a_record_batch() {
    let Some(broker) = tansu() else { return };
    broker.create_topic("one_batch", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    // The hundred messages leave in one batch: nothing is sent before `linger.ms`.
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("linger.ms", "500")
        .create()
        .expect("producer");
    for id in 0..100 {
        let payload = format!("{{\"id\":{id}}}");
        p.send(
            BaseRecord::to("one_batch")
                .payload(&payload)
                .key("k")
                .partition(0),
        )
        .expect("send");
    }
    p.flush(Duration::from_secs(30)).expect("flush");

    // Exactly-once: the sink says its targets hold offsets below 60.
    let sink = TestSink::new(false, 0);
    sink.recorded
        .lock()
        .insert(("one_batch".to_string(), 0), 60);
    let s = settings(&bs, "one_batch", "eo", &[]);
    let consumers = KafkaConsumers::start(spec(s), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(40, Duration::from_secs(40)), 40);
    std::thread::sleep(Duration::from_millis(300));
    consumers.stop();
    assert_eq!(sink.ids(), (60..100).collect::<Vec<u32>>());

    // At-least-once: the group committed offset 70.
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("group.id", "alo")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("one_batch", 0, Offset::Offset(70))
        .expect("offset");
    c.commit(&tpl, CommitMode::Sync).expect("commit");
    drop(c);
    let sink = TestSink::new(false, 0);
    let s = settings(&bs, "one_batch", "alo", &[("kafka_exactly_once", "0")]);
    let consumers = KafkaConsumers::start(spec(s), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(30, Duration::from_secs(40)), 30);
    std::thread::sleep(Duration::from_millis(300));
    consumers.stop();
    assert_eq!(sink.ids(), (70..100).collect::<Vec<u32>>());
}
