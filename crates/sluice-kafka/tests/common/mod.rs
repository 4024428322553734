//! Shared helpers of the integration tests: a broker, a producer of test messages, and
//! [`TestSink`], a sink that collects rows and records offsets like the engine's targets.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arrow::array::AsArray;
use arrow::datatypes::{Schema, SchemaRef, UInt32Type, UInt64Type};
use parking_lot::Mutex;
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_common::{ChType, Error, ErrorCode, Result};
use sluice_kafka::{Block, KafkaSettings, KafkaSink};

/// One row as the sink saw it: `(id, partition, offset, error)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: u32,
    pub partition: u64,
    pub offset: u64,
    pub error: String,
}

/// Collects rows; fails the first `fail_first` writes; with `filter`, drops rows below
/// the offsets it recorded (the replay guard of exactly-once targets).
#[derive(Default)]
pub struct TestSink {
    pub rows: Mutex<Vec<Row>>,
    pub blocks: AtomicUsize,
    /// Calls of `write`, accepted or not.
    pub attempts: AtomicUsize,
    pub fail_first: AtomicUsize,
    pub filter: bool,
    pub recorded: Mutex<HashMap<(String, i32), i64>>,
    /// `(partition, offset, raw message)` of the dead letters received.
    pub dead_letters: Mutex<Vec<(i32, i64, String)>>,
}

impl TestSink {
    pub fn new(filter: bool, fail_first: usize) -> Arc<Self> {
        Arc::new(Self {
            filter,
            fail_first: AtomicUsize::new(fail_first),
            ..Default::default()
        })
    }

    pub fn ids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.rows.lock().iter().map(|r| r.id).collect();
        v.sort_unstable();
        v
    }

    /// Waits until at least `n` rows arrived (or the timeout).
    pub fn wait_rows(&self, n: usize, timeout: Duration) -> usize {
        let end = Instant::now() + timeout;
        loop {
            let got = self.rows.lock().len();
            if got >= n || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl KafkaSink for TestSink {
    fn write(&self, block: &Block) -> Result<()> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if self
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Error::new(
                ErrorCode::TYPE_MISMATCH,
                "test sink refuses this block",
            ));
        }
        let b = &block.batch;
        let s = b.schema();
        let col = |n: &str| s.index_of(n).ok().map(|i| b.column(i));
        let ids = col("id").map(|c| c.as_primitive::<UInt32Type>().clone());
        let parts = col("_partition").map(|c| c.as_primitive::<UInt64Type>().clone());
        let offs = col("_offset").map(|c| c.as_primitive::<UInt64Type>().clone());
        let errs = col("_error").map(|c| c.as_string::<i32>().clone());
        let topic = block
            .offsets
            .first()
            .map(|o| o.0.clone())
            .unwrap_or_default();
        let mut recorded = self.recorded.lock();
        let mut rows = self.rows.lock();
        for r in 0..b.num_rows() {
            let partition = parts.as_ref().map_or(0, |p| p.value(r));
            let offset = offs.as_ref().map_or(0, |o| o.value(r));
            if self.filter
                && let Some(&next) = recorded.get(&(topic.clone(), partition as i32))
                && (offset as i64) < next
            {
                continue;
            }
            rows.push(Row {
                id: ids.as_ref().map_or(0, |i| i.value(r)),
                partition,
                offset,
                error: errs
                    .as_ref()
                    .map(|e| e.value(r).to_string())
                    .unwrap_or_default(),
            });
        }
        for (t, p, next) in &block.offsets {
            let e = recorded.entry((t.clone(), *p)).or_insert(0);
            *e = (*e).max(*next);
        }
        self.dead_letters
            .lock()
            .extend(block.dead_letters.iter().map(|d| {
                (
                    d.partition,
                    d.offset,
                    String::from_utf8_lossy(&d.raw_message).into_owned(),
                )
            }));
        self.blocks.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn committed_offsets(&self, _group: &str, topic: &str, partition: i32) -> Option<i64> {
        self.recorded
            .lock()
            .get(&(topic.to_string(), partition))
            .copied()
    }
}

/// Waits until `cond` holds (or the timeout); returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Produces `{"id":N}` for N in `ids`, key `kN`, header `h=vN`, round-robin partitions.
pub fn produce_ids(bootstrap: &str, topic: &str, partitions: i32, ids: std::ops::Range<u32>) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for id in ids {
        let payload = format!("{{\"id\":{id}}}");
        let key = format!("k{id}");
        let value = format!("v{id}");
        let headers = OwnedHeaders::new().insert(Header {
            key: "h",
            value: Some(value.as_bytes()),
        });
        let rec = BaseRecord::to(topic)
            .payload(&payload)
            .key(&key)
            .headers(headers)
            .partition((id as i32) % partitions);
        p.send(rec).expect("send");
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).expect("flush");
}

/// Produces raw payloads to partition 0.
pub fn produce_raw(bootstrap: &str, topic: &str, payloads: &[&str]) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("producer");
    for payload in payloads {
        p.send(
            BaseRecord::<(), str>::to(topic)
                .payload(payload)
                .partition(0),
        )
        .expect("send");
    }
    p.flush(Duration::from_secs(30)).expect("flush");
}

pub fn id_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![ChType::UInt32.to_field("id")]))
}

pub fn settings(
    bootstrap: &str,
    topic: &str,
    group: &str,
    extra: &[(&str, &str)],
) -> KafkaSettings {
    let mut pairs = vec![
        ("kafka_broker_list", bootstrap),
        ("kafka_topic_list", topic),
        ("kafka_group_name", group),
        ("kafka_format", "JSONEachRow"),
        ("kafka_flush_interval_ms", "200"),
        ("kafka_poll_timeout_ms", "100"),
    ];
    pairs.extend_from_slice(extra);
    KafkaSettings::from_pairs(&pairs).expect("settings")
}
