//! librdkafka client configuration: [`KafkaConfig`] holds the server's pass-through
//! properties (ClickHouse's `<kafka>` and `<kafka_topic>` sections), and
//! [`consumer_properties`] / [`producer_properties`] merge them with a table's settings
//! in ClickHouse's precedence (`KafkaConfigLoader.cpp`):
//! hard-coded defaults (ClickHouse's, plus `fetch.queue.backoff.ms = 10`) < global `<kafka>` < `<kafka_topic>` per subscribed topic <
//! the table's security settings < `<consumer>`/`<producer>` < forced properties.

use std::collections::HashMap;

use crate::settings::KafkaSettings;

/// librdkafka properties from the server configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KafkaConfig {
    /// `<kafka>` children (keys as written; `_` becomes `.` when applied).
    pub global: Vec<(String, String)>,
    /// `<kafka_topic><name>T</name>…</kafka_topic>` per topic.
    pub per_topic: HashMap<String, Vec<(String, String)>>,
    /// `<kafka><consumer>` (higher priority, consumers only).
    pub consumer: Vec<(String, String)>,
    /// `<kafka><producer>` (higher priority, producers only).
    pub producer: Vec<(String, String)>,
}

/// A configuration key as librdkafka spells it: `_` → `.`, except `log_level`.
pub fn librdkafka_key(key: &str) -> String {
    if key == "log_level" {
        key.to_string()
    } else {
        key.replace('_', ".")
    }
}

/// The host name used in the default `client.id`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// `kafka_client_id`, or `Sluice-{host}-{db}-{table}` as ClickHouse builds it.
pub fn client_id(settings: &KafkaSettings, database: &str, table: &str) -> String {
    if settings.client_id.is_empty() {
        format!("Sluice-{}-{database}-{table}", host_name())
    } else {
        settings.client_id.clone()
    }
}

/// An ordered property list where a later `set` of the same key wins.
#[derive(Default)]
struct Props(Vec<(String, String)>);

impl Props {
    fn set(&mut self, k: impl Into<String>, v: impl Into<String>) {
        let k = k.into();
        let v = v.into();
        match self.0.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => self.0.push((k, v)),
        }
    }

    fn set_all(&mut self, items: &[(String, String)]) {
        for (k, v) in items {
            self.set(librdkafka_key(k), v.clone());
        }
    }
}

fn common(settings: &KafkaSettings, config: &KafkaConfig, client_id: String, p: &mut Props) {
    p.set("metadata.broker.list", settings.broker_list.clone());
    p.set("client.id", client_id);
    p.set("client.software.name", "Sluice");
    p.set("client.software.version", env!("CARGO_PKG_VERSION"));
    p.set_all(&config.global);
    for topic in &settings.topic_list {
        if let Some(items) = config.per_topic.get(topic) {
            p.set_all(items);
        }
    }
    for (key, value) in [
        ("security.protocol", &settings.security_protocol),
        ("sasl.mechanism", &settings.sasl_mechanism),
        ("sasl.username", &settings.sasl_username),
        ("sasl.password", &settings.sasl_password),
    ] {
        if !value.is_empty() {
            p.set(key, value.clone());
        }
    }
}

/// Properties of consumer `index` (0-based) of table `database.table`.
pub fn consumer_properties(
    settings: &KafkaSettings,
    config: &KafkaConfig,
    database: &str,
    table: &str,
    index: usize,
) -> Vec<(String, String)> {
    let mut p = Props::default();
    let mut id = client_id(settings, database, table);
    if settings.num_consumers > 1 {
        id = format!("{id}-{index}");
    }
    p.set("auto.offset.reset", "earliest");
    let queued = settings
        .effective_max_block_size()
        .clamp(100_000, 10_000_000);
    p.set("queued.min.messages", queued.to_string());
    p.set("statistics.interval.ms", "3000");
    // Sluice's default (not ClickHouse's): librdkafka postpones the next fetch by
    // `fetch.queue.backoff.ms` (1000 ms) whenever the prefetch queue is over
    // `queued.min.messages`, which a consumer taking 65 k messages per poll hits on every
    // block; 10 ms doubled the throughput in examples/broker_throughput.rs.
    p.set("fetch.queue.backoff.ms", "10");
    // Sluice's default (librdkafka's is 65536): the prefetch queue holds at most 16 MiB of
    // messages. A block is read from it in polls of `kafka_poll_max_batch_size`, so the
    // queue only needs to cover the broker's fetch latency; 64 MiB of prefetched payloads
    // (and librdkafka's per-message overhead) was the largest share of the pipeline's peak
    // RSS. `[kafka.consumer]` in the server config overrides it.
    p.set("queued.max.messages.kbytes", "16384");
    common(settings, config, id, &mut p);
    p.set("group.id", settings.group_name.clone());
    p.set_all(&config.consumer);
    p.set("enable.auto.commit", "false");
    p.set("enable.auto.offset.store", "false");
    p.set("enable.partition.eof", "false");
    p.0
}

/// Properties of the producer for `INSERT INTO kafka_table`.
pub fn producer_properties(
    settings: &KafkaSettings,
    config: &KafkaConfig,
    database: &str,
    table: &str,
) -> Vec<(String, String)> {
    let mut p = Props::default();
    common(
        settings,
        config,
        client_id(settings, database, table),
        &mut p,
    );
    if !settings.compression_codec.is_empty() {
        p.set("compression.codec", settings.compression_codec.clone());
    }
    if settings.compression_level != -1 {
        p.set("compression.level", settings.compression_level.to_string());
    }
    p.set_all(&config.producer);
    p.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(props: &'a [(String, String)], k: &str) -> Option<&'a str> {
        props.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn precedence_and_key_mapping() {
        let settings = KafkaSettings::from_pairs(&[
            ("kafka_broker_list", "b:9092"),
            ("kafka_topic_list", "t1,t2"),
            ("kafka_group_name", "g"),
            ("kafka_format", "JSONEachRow"),
            ("kafka_sasl_username", "u"),
            ("kafka_client_id", "cid"),
        ])
        .unwrap();
        let mut config = KafkaConfig {
            global: vec![
                ("check_crcs".into(), "true".into()),
                ("auto_offset_reset".into(), "latest".into()),
                ("sasl_username".into(), "global".into()),
                ("log_level".into(), "7".into()),
                ("enable_auto_commit".into(), "true".into()),
            ],
            ..Default::default()
        };
        config
            .per_topic
            .insert("t2".into(), vec![("fetch_min_bytes".into(), "10".into())]);
        config.consumer = vec![("fetch_min_bytes".into(), "20".into())];
        let p = consumer_properties(&settings, &config, "db", "tbl", 0);
        assert_eq!(get(&p, "check.crcs"), Some("true"));
        assert_eq!(get(&p, "log_level"), Some("7"));
        assert_eq!(get(&p, "auto.offset.reset"), Some("latest"));
        // The table's security settings win over the global section.
        assert_eq!(get(&p, "sasl.username"), Some("u"));
        // <consumer> wins over <kafka_topic>.
        assert_eq!(get(&p, "fetch.min.bytes"), Some("20"));
        // Forced.
        assert_eq!(get(&p, "enable.auto.commit"), Some("false"));
        assert_eq!(get(&p, "group.id"), Some("g"));
        assert_eq!(get(&p, "client.id"), Some("cid"));
        assert_eq!(get(&p, "metadata.broker.list"), Some("b:9092"));
        assert_eq!(get(&p, "queued.min.messages"), Some("1048449"));
        assert_eq!(get(&p, "fetch.queue.backoff.ms"), Some("10"));
        let pp = producer_properties(&settings, &config, "db", "tbl");
        assert_eq!(get(&pp, "fetch.min.bytes"), Some("10"));
        assert_eq!(get(&pp, "group.id"), None);
    }

    #[test]
    fn default_client_id_per_consumer() {
        let settings = KafkaSettings::from_pairs(&[
            ("kafka_broker_list", "b"),
            ("kafka_topic_list", "t"),
            ("kafka_group_name", "g"),
            ("kafka_format", "CSV"),
            ("kafka_num_consumers", "2"),
        ])
        .unwrap();
        let p = consumer_properties(&settings, &KafkaConfig::default(), "db", "tbl", 1);
        let id = get(&p, "client.id").unwrap_or_default();
        assert!(id.starts_with("Sluice-"), "{id}");
        assert!(id.ends_with("-db-tbl-1"), "{id}");
    }
}
