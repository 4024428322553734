//! [`Message`]: one consumed Kafka message (owned, independent of the client library),
//! and [`VirtualColumn`]: the virtual columns ClickHouse's Kafka engine offers, with
//! their names and ClickHouse types (`StorageKafkaUtils.cpp`, `createVirtuals`).

use std::sync::Arc;

use sluice_common::ChType;

use crate::settings::HandleErrorMode;

/// One Kafka message.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key (`None`: null key).
    pub key: Option<Vec<u8>>,
    /// Payload (`None`: tombstone).
    pub payload: Option<Vec<u8>>,
    /// Timestamp in milliseconds since the epoch (`None`: the message has none).
    pub timestamp_ms: Option<i64>,
    /// Headers in order (`None` value: a null header value).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Message {
    /// A message with a payload and nothing else (tests, tools).
    pub fn new(topic: &str, partition: i32, offset: i64, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            topic: Arc::from(topic),
            partition,
            offset,
            key: None,
            payload: Some(payload.into()),
            timestamp_ms: None,
            headers: Vec::new(),
        }
    }

    /// Bytes of key, payload and headers (what the message adds to a block).
    pub fn size(&self) -> usize {
        let len = |b: &Option<Vec<u8>>| b.as_ref().map_or(0, Vec::len);
        len(&self.payload)
            + len(&self.key)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + len(v))
                .sum::<usize>()
    }
}

/// A virtual column of a Kafka table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VirtualColumn {
    /// `_topic` LowCardinality(String).
    Topic,
    /// `_key` String (empty for a null key).
    Key,
    /// `_offset` UInt64.
    Offset,
    /// `_partition` UInt64.
    Partition,
    /// `_timestamp` Nullable(DateTime).
    Timestamp,
    /// `_timestamp_ms` Nullable(DateTime64(3)).
    TimestampMs,
    /// `_headers.name` Array(String).
    HeadersName,
    /// `_headers.value` Array(String).
    HeadersValue,
    /// `_table` LowCardinality(String): the Kafka table's name.
    Table,
    /// `_raw_message` String (stream error mode only).
    RawMessage,
    /// `_error` String (stream error mode only).
    Error,
}

impl VirtualColumn {
    /// Every virtual column, in ClickHouse's order (`DESCRIBE … SETTINGS
    /// describe_include_virtual_columns = 1` in ClickHouse 26.9).
    pub const ALL: [VirtualColumn; 11] = [
        VirtualColumn::Topic,
        VirtualColumn::Key,
        VirtualColumn::Offset,
        VirtualColumn::Partition,
        VirtualColumn::Timestamp,
        VirtualColumn::TimestampMs,
        VirtualColumn::HeadersName,
        VirtualColumn::HeadersValue,
        VirtualColumn::Table,
        VirtualColumn::RawMessage,
        VirtualColumn::Error,
    ];

    /// The column name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Topic => "_topic",
            Self::Key => "_key",
            Self::Offset => "_offset",
            Self::Partition => "_partition",
            Self::Timestamp => "_timestamp",
            Self::TimestampMs => "_timestamp_ms",
            Self::HeadersName => "_headers.name",
            Self::HeadersValue => "_headers.value",
            Self::Table => "_table",
            Self::RawMessage => "_raw_message",
            Self::Error => "_error",
        }
    }

    /// The ClickHouse type.
    pub fn ch_type(&self) -> ChType {
        let string = || ChType::String;
        match self {
            Self::Topic | Self::Table => ChType::LowCardinality(Box::new(string())),
            Self::Key | Self::RawMessage | Self::Error => string(),
            Self::Offset | Self::Partition => ChType::UInt64,
            Self::Timestamp => ChType::Nullable(Box::new(ChType::DateTime(None))),
            Self::TimestampMs => ChType::Nullable(Box::new(ChType::DateTime64(3, None))),
            Self::HeadersName | Self::HeadersValue => ChType::Array(Box::new(string())),
        }
    }

    /// The column by name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The virtual columns a table has in `mode` (`_raw_message`/`_error` only in
    /// stream mode), with their types, for `DESCRIBE … SETTINGS describe_include_virtual_columns`.
    pub fn for_mode(mode: HandleErrorMode) -> Vec<VirtualColumn> {
        Self::ALL
            .into_iter()
            .filter(|v| {
                mode == HandleErrorMode::Stream
                    || !matches!(v, VirtualColumn::RawMessage | VirtualColumn::Error)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Oracle: `CREATE TABLE k (a String) ENGINE = Kafka('a', 't', 'g', 'CSV') SETTINGS
    /// kafka_handle_error_mode = 'stream'; DESCRIBE k SETTINGS
    /// describe_include_virtual_columns = 1`.
    #[test]
    fn names_types_and_order_match_clickhouse() {
        let got: Vec<String> = VirtualColumn::for_mode(HandleErrorMode::Stream)
            .iter()
            .map(|v| format!("{}\t{}", v.name(), v.ch_type()))
            .collect();
        assert_eq!(
            got,
            vec![
                "_topic\tLowCardinality(String)",
                "_key\tString",
                "_offset\tUInt64",
                "_partition\tUInt64",
                "_timestamp\tNullable(DateTime)",
                "_timestamp_ms\tNullable(DateTime64(3))",
                "_headers.name\tArray(String)",
                "_headers.value\tArray(String)",
                "_table\tLowCardinality(String)",
                "_raw_message\tString",
                "_error\tString",
            ]
        );
        assert_eq!(VirtualColumn::for_mode(HandleErrorMode::Default).len(), 9);
        assert_eq!(
            VirtualColumn::from_name("_table"),
            Some(VirtualColumn::Table)
        );
    }
}
