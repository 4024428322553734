//! Sluice's Kafka table engine, independent of storage: it turns Kafka messages into
//! Arrow blocks for a [`KafkaSink`] the engine implements, and table rows into messages.
//!
//! Entry points: [`KafkaSettings::parse`] (the `ENGINE = Kafka(…) SETTINGS …` clause).
//!
//! Module map:
//! - [`literal`]: engine arguments / setting values as written, ClickHouse's conversions.
//! - [`settings`]: [`KafkaSettings`], every `kafka_*` setting with ClickHouse's defaults.
//! - [`config`]: librdkafka properties (`<kafka>` / `<kafka_topic>` pass-through).
//! - [`message`]: [`Message`] and the virtual columns ([`VirtualColumn`]).
//! - [`decode`]: [`Decoder`], messages → Arrow batches in the table's format, error modes.

pub mod config;
pub mod decode;
pub mod literal;
pub mod message;
pub mod settings;

pub use config::KafkaConfig;
pub use decode::{DeadLetter, Decoded, Decoder};
pub use literal::Literal;
pub use message::{Message, VirtualColumn};
pub use settings::{HandleErrorMode, KafkaSettings};
