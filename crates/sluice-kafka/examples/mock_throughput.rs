//! Measures librdkafka's mock cluster (`rdkafka::mocking`) as a test broker: produce N
//! messages over TCP, then consume them with one rdkafka consumer; prints msg/s.
//! `cargo run -p sluice-kafka --example mock_throughput -- [N] [linger_ms]`

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let linger: &str = args.get(2).map(String::as_str).unwrap_or("5");
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("bench", 1, 1)?;
    let servers = cluster.bootstrap_servers();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("linger.ms", linger)
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let payload = vec![b'x'; 200];
    let t = Instant::now();
    for i in 0..n {
        let key = i.to_string();
        loop {
            match producer.send(BaseRecord::to("bench").key(&key).payload(&payload)) {
                Ok(()) => break,
                Err((_, _)) => {
                    producer.poll(Duration::from_millis(1));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60))?;
    let p = t.elapsed();
    println!(
        "produce: {n} msgs in {p:?} = {:.0} msg/s",
        n as f64 / p.as_secs_f64()
    );
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("group.id", "bench")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&["bench"])?;
    let t = Instant::now();
    let mut got = 0;
    while got < n && t.elapsed() < Duration::from_secs(120) {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            m?;
            got += 1;
        }
    }
    let c = t.elapsed();
    println!(
        "consume: {got} msgs in {c:?} = {:.0} msg/s",
        got as f64 / c.as_secs_f64()
    );
    Ok(())
}
