//! Measures an embedded broker candidate: produce N messages (Debezium-sized, ~600 B)
//! over TCP with an rdkafka producer, then consume them (a) with a plain rdkafka consumer
//! and (b) through Sluice's consumption loop (`KafkaConsumers`, JSONAsString into one
//! String column, `_partition`/`_offset` virtual columns) into a counting sink.
//!
//! `cargo run --release -p sluice-kafka --example broker_throughput -- mock|tansu [N]`
//! (`BENCH_CONSUMER_PROPS="fetch.wait.max.ms=10,…"` adds librdkafka consumer properties)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arrow::datatypes::Schema;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_common::{ChType, Result};
use sluice_kafka::broker::tansu_binary;
use sluice_kafka::{
    Block, ConsumerSpec, EmbeddedBroker, KafkaConsumers, KafkaSettings, KafkaSink, VirtualColumn,
};

struct Count(AtomicUsize);

impl KafkaSink for Count {
    fn write(&self, block: &Block) -> Result<()> {
        self.0.fetch_add(block.batch.num_rows(), Ordering::SeqCst);
        Ok(())
    }

    fn committed_offsets(&self, _: &str, _: &str, _: i32) -> Option<i64> {
        None
    }
}

fn event(i: usize) -> String {
    format!(
        r#"{{"before":null,"after":{{"id":{i},"order_date":19000,"purchaser":1001,"quantity":{q},"product_id":102}},"source":{{"version":"2.5.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1700000000000,"snapshot":"false","db":"inventory","table":"orders","server_id":223344,"file":"mysql-bin.000003","pos":{p},"row":0}},"op":"c","ts_ms":1700000000123,"transaction":null}}"#,
        q = i % 10,
        p = 1000 + i
    )
}

/// Extra consumer properties from `BENCH_CONSUMER_PROPS` (`k=v,k=v`).
fn extra_props() -> Vec<(String, String)> {
    std::env::var("BENCH_CONSUMER_PROPS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map(String::as_str).unwrap_or("mock");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let broker = match kind {
        "tansu" => EmbeddedBroker::tansu(
            &tansu_binary().ok_or_else(|| anyhow::anyhow!("no tansu binary"))?,
        )?,
        _ => EmbeddedBroker::mock()?,
    };
    broker.create_topic("bench", 4)?;
    let bs = broker.bootstrap_servers().to_string();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let t = Instant::now();
    let mut bytes = 0;
    for i in 0..n {
        let payload = event(i);
        bytes += payload.len();
        let key = i.to_string();
        while producer
            .send(BaseRecord::to("bench").key(&key).payload(&payload))
            .is_err()
        {
            producer.poll(Duration::from_millis(1));
        }
    }
    producer.flush(Duration::from_secs(120))?;
    let p = t.elapsed();
    println!(
        "{kind}: produce {n} msgs ({:.1} MB) in {p:.2?} = {:.0} msg/s",
        bytes as f64 / 1e6,
        n as f64 / p.as_secs_f64()
    );

    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &bs)
        .set("group.id", "plain")
        .set("auto.offset.reset", "earliest");
    for (k, v) in extra_props() {
        cfg.set(k, v);
    }
    let consumer: BaseConsumer = cfg.create()?;
    consumer.subscribe(&["bench"])?;
    let t = Instant::now();
    let mut got = 0;
    let mut first: Option<Instant> = None;
    while got < n && t.elapsed() < Duration::from_secs(300) {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            m?;
            first.get_or_insert_with(Instant::now);
            got += 1;
        }
    }
    let c = first.map(|f| f.elapsed()).unwrap_or_default();
    println!(
        "{kind}: rdkafka consumer read {got} msgs in {c:.2?} after the first (join {:.2?}) = {:.0} msg/s",
        t.elapsed() - c,
        got as f64 / c.as_secs_f64()
    );
    drop(consumer);

    let settings = KafkaSettings::from_pairs(&[
        ("kafka_broker_list", &bs),
        ("kafka_topic_list", "bench"),
        ("kafka_group_name", "sluice"),
        ("kafka_format", "JSONAsString"),
        ("kafka_max_block_size", "65536"),
        ("kafka_flush_interval_ms", "500"),
    ])?;
    let spec = ConsumerSpec {
        settings,
        config: sluice_kafka::KafkaConfig {
            consumer: extra_props(),
            ..Default::default()
        },
        database: "default".into(),
        table: "queue".into(),
        data_schema: Arc::new(Schema::new(vec![ChType::String.to_field("json")])),
        virtuals: vec![VirtualColumn::Partition, VirtualColumn::Offset],
    };
    let sink = Arc::new(Count(AtomicUsize::new(0)));
    let t = Instant::now();
    let consumers = KafkaConsumers::start(spec, Arc::clone(&sink) as _)?;
    let mut first: Option<Instant> = None;
    while sink.0.load(Ordering::SeqCst) < n && t.elapsed() < Duration::from_secs(300) {
        if first.is_none() && sink.0.load(Ordering::SeqCst) > 0 {
            first = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let total = t.elapsed();
    consumers.stop();
    println!(
        "{kind}: Sluice consumer (JSONAsString + virtual columns) read {} msgs in {total:.2?} = {:.0} msg/s including group join",
        sink.0.load(Ordering::SeqCst),
        n as f64 / total.as_secs_f64()
    );
    Ok(())
}
