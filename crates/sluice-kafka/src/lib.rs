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
//! - [`batch`]: [`MessageBatch`], a block's messages with their payloads in one buffer.
//! - [`decode`]: [`Decoder`], messages → Arrow batches in the table's format, error modes;
//!   `virtuals`: the virtual columns of a decoded block.
//! - [`consumer`]: [`KafkaConsumers`], the consumption loop handing blocks to a
//!   [`KafkaSink`] in chunks; [`sink`]: [`KafkaSink`], [`BlockWriter`] and [`Block`];
//!   [`context`]: its librdkafka callbacks; [`seek_guard`]: starting a partition at an
//!   offset inside a record batch.
//! - [`stats`]: [`ConsumerStats`] for `system.kafka_consumers`.
//! - [`select`]: [`select::direct_select`], a direct `SELECT` from a Kafka table.
//! - [`producer`]: [`KafkaProducer`], `INSERT INTO kafka_table` → messages.
//! - [`broker`]: [`EmbeddedBroker`] for tests and the demo (tansu process or mock cluster).

pub mod batch;
pub mod broker;
pub mod config;
pub mod consumer;
pub mod context;
pub mod decode;
mod json_split;
pub mod literal;
pub mod message;
pub mod producer;
pub mod seek_guard;
pub mod select;
pub mod settings;
pub mod sink;
pub mod stats;
mod virtuals;

pub use batch::{MessageBatch, MessageRef};
pub use broker::EmbeddedBroker;
pub use config::KafkaConfig;
pub use consumer::{ConsumerSpec, KafkaConsumers};
pub use decode::{DeadLetter, Decoded, Decoder};
pub use literal::Literal;
pub use message::{Message, VirtualColumn};
pub use producer::KafkaProducer;
pub use settings::{HandleErrorMode, KafkaSettings};
pub use sink::{Block, BlockWriter, KafkaSink};
pub use stats::{ConsumerStats, PartitionAssignment};
