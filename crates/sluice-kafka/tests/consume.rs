//! The consumption loop against an embedded broker over TCP (librdkafka's mock cluster,
//! always available): every message arrives once, offsets are committed after the sink
//! accepted a block, sink errors are retried without loss, rebalances between two
//! consumers of one group lose and double nothing, pause/resume.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sluice_kafka::{
    ConsumerSpec, EmbeddedBroker, KafkaConfig, KafkaConsumers, KafkaSettings, VirtualColumn,
};

/// Short group timeouts (passed through as librdkafka properties, `<kafka><consumer>`
/// style) so that a member that leaves is replaced quickly.
fn spec(settings: KafkaSettings, virtuals: Vec<VirtualColumn>) -> ConsumerSpec {
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
        virtuals,
    }
}

fn pos() -> Vec<VirtualColumn> {
    vec![VirtualColumn::Partition, VirtualColumn::Offset]
}

fn committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed");
    (0..partitions)
        .map(|p| match got.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => -1,
        })
        .collect()
}

#[test]
fn every_message_once_and_offsets_committed() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("events", 2).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "events", 2, 0..500);
    let sink = TestSink::new(false, 0);
    let s = settings(&bs, "events", "g1", &[("kafka_max_block_size", "100")]);
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(500, Duration::from_secs(40)), 500);
    // Offsets are committed after the sink accepted the block; give the last commit time.
    std::thread::sleep(Duration::from_millis(500));
    let stats = consumers.stats();
    consumers.stop();
    assert_eq!(sink.ids(), (0..500).collect::<Vec<u32>>());
    assert_eq!(committed(&bs, "g1", "events", 2), vec![250, 250]);
    // Blocks are cut at kafka_max_block_size (batch granularity).
    assert!(sink.blocks.load(std::sync::atomic::Ordering::SeqCst) >= 5);
    let st = &stats[0];
    assert_eq!(st.num_messages_read, 500);
    assert!(st.num_commits >= 5, "{st:?}");
    assert_eq!(st.assignments.len(), 2);
    assert_eq!(st.num_rebalance_assignments, 1);
    assert!(st.assignments.iter().all(|a| a.current_offset == 250));
    assert!(st.last_poll_time > 0 && st.last_commit_time > 0);
    assert!(st.is_currently_used);
}

#[test]
fn a_block_of_several_chunks_is_written_whole() {
    // 90 messages of 100 KB over 3 partitions (librdkafka's mock cluster keeps about 5 MB
    // per partition): 9 MB of payloads, more than two chunks (`CHUNK_BYTES`), read
    // within one flush interval.
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("chunks", 3).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    let pad = " ".repeat(100_000);
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .create()
        .expect("producer");
    for id in 0..90 {
        let payload = format!("{{\"id\":{id}}}{pad}");
        p.send(
            BaseRecord::<(), str>::to("chunks")
                .payload(&payload)
                .partition(id % 3),
        )
        .expect("send");
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).expect("flush");
    let sink = TestSink::new(false, 0);
    let s = settings(
        &bs,
        "chunks",
        "g_chunks",
        &[("kafka_flush_interval_ms", "5000")],
    );
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(90, Duration::from_secs(40)), 90);
    std::thread::sleep(Duration::from_millis(300));
    consumers.stop();
    assert_eq!(sink.ids(), (0..90).collect::<Vec<u32>>());
    // Each partition's rows in offset order.
    for part in 0..3u64 {
        let offsets: Vec<u64> = sink
            .rows
            .lock()
            .iter()
            .filter(|r| r.partition == part)
            .map(|r| r.offset)
            .collect();
        assert_eq!(offsets, (0..30).collect::<Vec<u64>>(), "partition {part}");
    }
    // The chunks of a block reach the sink as one block: fewer blocks than chunks.
    let blocks = sink.blocks.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        blocks * sluice_kafka::consumer::CHUNK_BYTES < 90 * 100_000,
        "{blocks} blocks"
    );
    assert_eq!(committed(&bs, "g_chunks", "chunks", 3), vec![30, 30, 30]);
}

#[test]
fn sink_errors_are_retried_without_loss() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("retry", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "retry", 1, 0..100);
    let sink = TestSink::new(false, 3);
    let s = settings(
        &bs,
        "retry",
        "g2",
        &[("kafka_consumer_reschedule_ms", "50")],
    );
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(100, Duration::from_secs(40)), 100);
    std::thread::sleep(Duration::from_millis(300));
    let stats = consumers.stats();
    consumers.stop();
    // Nothing lost, nothing doubled: refused blocks are re-read from their first offset.
    assert_eq!(sink.ids(), (0..100).collect::<Vec<u32>>());
    let texts: Vec<&str> = stats[0].exceptions.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.contains("test sink refuses this block"))
            .count(),
        3,
        "{texts:?}"
    );
    assert!(
        texts[0].starts_with("Code: 53. DB::Exception:"),
        "{texts:?}"
    );
    assert_eq!(committed(&bs, "g2", "retry", 1), vec![100]);
}

#[test]
fn stream_error_mode_and_parse_errors() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("bad", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_raw(&bs, "bad", &["{\"id\":1}", "not json", "{\"id\":3}"]);
    let sink = TestSink::new(false, 0);
    let s = settings(&bs, "bad", "g3", &[("kafka_handle_error_mode", "stream")]);
    let mut v = pos();
    v.push(VirtualColumn::Error);
    let consumers = KafkaConsumers::start(spec(s, v), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(3, Duration::from_secs(40)), 3);
    consumers.stop();
    let rows = sink.rows.lock().clone();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 0, 3]);
    assert!(rows[0].error.is_empty() && rows[2].error.is_empty());
    assert!(!rows[1].error.is_empty());
    assert_eq!(committed(&bs, "g3", "bad", 1), vec![3]);

    // Default mode: the broken message stops the table, nothing is committed.
    let sink = TestSink::new(false, 0);
    let s = settings(&bs, "bad", "g4", &[("kafka_consumer_reschedule_ms", "50")]);
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    let failed_twice = || {
        consumers.stats()[0]
            .exceptions
            .iter()
            .filter(|e| e.1.contains("while parsing Kafka message"))
            .count()
            >= 2
    };
    assert!(wait_until(Duration::from_secs(40), failed_twice));
    let stats = consumers.stats();
    consumers.stop();
    assert!(sink.rows.lock().is_empty());
    assert!(
        stats[0].exceptions.iter().any(|e| e
            .1
            .contains("while parsing Kafka message (topic: bad, partition: 0, offset: 1)")),
        "{:?}",
        stats[0].exceptions
    );
    assert_eq!(committed(&bs, "bad_none", "bad", 1), vec![-1]);
}

#[test]
fn rebalance_between_two_consumers_loses_and_doubles_nothing() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("shared", 4).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    let sink = TestSink::new(true, 0);
    let s = settings(&bs, "shared", "g5", &[("kafka_max_block_size", "50")]);
    produce_ids(&bs, "shared", 4, 0..200);
    let a = KafkaConsumers::start(spec(s.clone(), pos()), Arc::clone(&sink) as _).expect("a");
    sink.wait_rows(100, Duration::from_secs(40));
    let b = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("b");
    produce_ids(&bs, "shared", 4, 200..400);
    assert_eq!(sink.wait_rows(400, Duration::from_secs(50)), 400);
    // Stopping one hands its partitions to the other.
    a.stop();
    produce_ids(&bs, "shared", 4, 400..500);
    assert_eq!(sink.wait_rows(500, Duration::from_secs(50)), 500);
    let stats = b.stats();
    b.stop();
    let ids = sink.ids();
    let unique: BTreeSet<u32> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 500);
    assert_eq!(ids.len(), 500, "no duplicates");
    // The second consumer took over partitions and read from where the first stopped.
    assert!(stats[0].num_rebalance_assignments >= 1);
    assert!(stats[0].num_messages_read > 0);
    assert_eq!(stats[0].assignments.len(), 4);
}

#[test]
fn pause_keeps_position_and_resume_continues() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("pausable", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "pausable", 1, 0..20);
    let sink = TestSink::new(false, 0);
    let s = settings(&bs, "pausable", "g6", &[]);
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(20, Duration::from_secs(40)), 20);
    consumers.pause();
    std::thread::sleep(Duration::from_millis(500));
    produce_ids(&bs, "pausable", 1, 20..40);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sink.rows.lock().len(), 20, "paused consumers read nothing");
    consumers.resume();
    assert_eq!(sink.wait_rows(40, Duration::from_secs(30)), 40);
    consumers.stop();
    assert_eq!(sink.ids(), (0..40).collect::<Vec<u32>>());
}

/// A target that already holds offsets 0..60 (say the process died after the insert and
/// before the group commit): with `kafka_exactly_once = 1` consumption resumes at the
/// target's offset, with `= 0` at the group's committed offset (nothing: from the start).
#[test]
fn exactly_once_seeks_to_the_sinks_offsets() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("eo", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "eo", 1, 0..100);
    for (exactly_once, first) in [("1", 60), ("0", 0)] {
        // No replay filter in this sink: what arrives is what the consumer read.
        let sink = TestSink::new(false, 0);
        sink.recorded.lock().insert(("eo".to_string(), 0), 60);
        let group = format!("eo-{exactly_once}");
        let s = settings(&bs, "eo", &group, &[("kafka_exactly_once", exactly_once)]);
        let consumers =
            KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
        let want = 100 - first as usize;
        assert_eq!(sink.wait_rows(want, Duration::from_secs(40)), want);
        std::thread::sleep(Duration::from_millis(300));
        consumers.stop();
        assert_eq!(
            sink.ids(),
            (first..100).collect::<Vec<u32>>(),
            "exactly_once={exactly_once}"
        );
    }
}

/// Direct SELECT: without `kafka_commit_on_select` the same messages come again; with it
/// the next read continues.
#[test]
fn direct_select_commits_only_when_asked() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("sel", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "sel", 1, 0..10);
    let s = settings(&bs, "sel", "gs", &[("kafka_poll_max_batch_size", "4")]);
    let offsets = |b: &arrow::record_batch::RecordBatch| {
        let c = b
            .column(2)
            .as_any()
            .downcast_ref::<arrow::array::UInt64Array>()
            .map(|a| a.values().to_vec());
        c.unwrap_or_default()
    };
    let first = sluice_kafka::select::direct_select(&spec(s.clone(), pos())).expect("select");
    let again = sluice_kafka::select::direct_select(&spec(s, pos())).expect("select");
    assert!((1..=4).contains(&first.num_rows()), "{}", first.num_rows());
    assert_eq!(offsets(&first)[0], 0);
    assert_eq!(offsets(&again)[0], 0, "not committed: read again");
    let s = settings(
        &bs,
        "sel",
        "gs",
        &[
            ("kafka_poll_max_batch_size", "4"),
            ("kafka_commit_on_select", "1"),
        ],
    );
    let a = sluice_kafka::select::direct_select(&spec(s.clone(), pos())).expect("select");
    let b = sluice_kafka::select::direct_select(&spec(s, pos())).expect("select");
    let (a, b) = (offsets(&a), offsets(&b));
    assert!(!a.is_empty() && !b.is_empty());
    assert_eq!(a[0], 0);
    assert_eq!(b[0], a[a.len() - 1] + 1, "{a:?} then {b:?}");
}

/// `kafka_commit_every_batch = 1` commits what was read before each further poll, even
/// when the block never reaches the targets; by default nothing is committed then.
#[test]
fn commit_every_batch_commits_before_the_insert() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("ceb", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "ceb", 1, 0..50);
    for (every, want) in [("1", 50), ("0", -1)] {
        let sink = TestSink::new(false, usize::MAX);
        let group = format!("ceb-{every}");
        let s = settings(
            &bs,
            "ceb",
            &group,
            &[
                ("kafka_commit_every_batch", every),
                ("kafka_flush_interval_ms", "1000"),
            ],
        );
        let consumers =
            KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
        // Two refused writes: the block was read (and, with the setting, committed) twice.
        assert!(wait_until(Duration::from_secs(40), || {
            sink.attempts.load(std::sync::atomic::Ordering::SeqCst) >= 2
        }));
        consumers.stop();
        assert!(sink.rows.lock().is_empty());
        assert_eq!(
            committed(&bs, &group, "ceb", 1),
            vec![want],
            "commit_every_batch={every}"
        );
    }
}

/// `kafka_num_consumers = 2`: two consumers of one group on their own threads share the
/// partitions; statistics give each partition's high-water mark and lag.
#[test]
fn two_consumers_of_one_table_share_partitions() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("pair", 4).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_ids(&bs, "pair", 4, 0..400);
    let sink = TestSink::new(true, 0);
    let s = settings(&bs, "pair", "g7", &[("kafka_num_consumers", "2")]);
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(400, Duration::from_secs(40)), 400);
    // librdkafka statistics arrive every 3 s (statistics.interval.ms).
    std::thread::sleep(Duration::from_millis(3500));
    let stats = consumers.stats();
    consumers.stop();
    assert_eq!(sink.ids(), (0..400).collect::<Vec<u32>>());
    assert_eq!(stats.len(), 2);
    let mut parts: Vec<i32> = stats
        .iter()
        .flat_map(|s| s.assignments.iter().map(|a| a.partition_id))
        .collect();
    parts.sort_unstable();
    assert_eq!(parts, vec![0, 1, 2, 3], "{stats:?}");
    assert_ne!(stats[0].consumer_id, stats[1].consumer_id);
    for a in stats.iter().flat_map(|s| s.assignments.iter()) {
        assert_eq!(a.high_water_mark, 100, "{a:?}");
        assert_eq!(a.current_offset, 100, "{a:?}");
        assert_eq!(a.lag, 0, "{a:?}");
    }
    assert!(stats.iter().all(|s| !s.rdkafka_stat.is_empty()));
}

/// `kafka_handle_error_mode = 'dead_letter_queue'`: the broken message gives no row but
/// a dead letter in the block (for `system.dead_letter_queue`), and its offset is
/// committed with the block.
#[test]
fn dead_letters_travel_with_the_block() {
    let broker = EmbeddedBroker::mock().expect("broker");
    broker.create_topic("dlq", 1).expect("topic");
    let bs = broker.bootstrap_servers().to_string();
    produce_raw(&bs, "dlq", &["{\"id\":1}", "broken", "{\"id\":3}"]);
    let sink = TestSink::new(false, 0);
    let s = settings(
        &bs,
        "dlq",
        "g8",
        &[("kafka_handle_error_mode", "dead_letter_queue")],
    );
    let consumers = KafkaConsumers::start(spec(s, pos()), Arc::clone(&sink) as _).expect("start");
    assert_eq!(sink.wait_rows(2, Duration::from_secs(40)), 2);
    std::thread::sleep(Duration::from_millis(300));
    consumers.stop();
    assert_eq!(sink.ids(), vec![1, 3]);
    assert_eq!(
        sink.dead_letters.lock().clone(),
        vec![(0, 1, "broken".to_string())]
    );
    assert_eq!(committed(&bs, "g8", "dlq", 1), vec![3]);
}
