//! The tests' data source on a broker: `{"id":N}` messages produced with librdkafka, each
//! to a partition chosen from its id, so a test knows which partition holds which id.

use std::ops::Range;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// Produces `{"id":N}` for every `N` in `ids` to `topic`, message `N` to partition
/// `N % partitions`, and waits (at most 60 s) until the broker has them all. A full local
/// queue is waited out, not an error.
pub fn produce_ids(bootstrap: &str, topic: &str, partitions: i32, ids: Range<u64>) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for id in ids {
        let payload = format!(r#"{{"id":{id}}}"#);
        loop {
            let record = BaseRecord::<(), _>::to(topic)
                .payload(&payload)
                .partition((id % partitions as u64) as i32);
            match p.send(record) {
                Ok(()) => break,
                Err(_) => {
                    p.poll(Duration::from_millis(20));
                }
            }
        }
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(60)).expect("flush");
}
