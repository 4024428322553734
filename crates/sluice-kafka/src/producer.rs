//! [`KafkaProducer`]: `INSERT INTO kafka_table` → messages in `kafka_format`, as
//! ClickHouse's `MessageQueueSink` + `KafkaProducer` do: for row formats
//! `kafka_max_rows_per_message` rows per message (each message a complete document of
//! the format, so a consumer can parse it alone), for block formats one message per
//! batch. A `_key` String column gives the message key and a `_timestamp` DateTime column
//! the timestamp (last row of each message); they stay in the payload unless
//! `kafka_map_virtual_columns_on_write = 1`, which also maps `_headers.name`/`value`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray, ListArray, StringArray};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_common::{Error, ErrorCode, Result};
use sluice_formats::{FormatSettings, QueryStatistics, output_format};

use crate::config::{KafkaConfig, producer_properties};
use crate::settings::{DEFAULT_STREAM_POLL_TIMEOUT_MS, KafkaSettings};

/// Formats written row by row (several rows per message); others write a block per message.
fn is_row_format(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "jsoneachrow",
        "jsonlines",
        "jsonl",
        "ndjson",
        "jsoncompacteachrow",
        "jsonstringseachrow",
        "jsoncompactstringseachrow",
        "csv",
        "csvwithnames",
        "csvwithnamesandtypes",
        "tsv",
        "tabseparated",
        "tsvraw",
        "tabseparatedraw",
        "tsvwithnames",
        "tabseparatedwithnames",
        "tsvwithnamesandtypes",
        "tabseparatedwithnamesandtypes",
        "values",
        "lineasstring",
        "rawblob",
        "rowbinary",
        "rowbinarywithnames",
        "rowbinarywithnamesandtypes",
    ]
    .contains(&n.as_str())
}

/// Metadata columns of one batch.
struct Meta {
    keys: Option<StringArray>,
    timestamps: Option<Vec<Option<i64>>>,
    header_names: Option<ListArray>,
    header_values: Option<ListArray>,
}

/// Writes rows of a Kafka table to its topic.
pub struct KafkaProducer {
    producer: BaseProducer,
    topic: String,
    format: String,
    format_settings: FormatSettings,
    max_rows: usize,
    map_virtuals: bool,
}

fn kafka_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::NETWORK_ERROR, format!("{what}: {e}"))
}

impl KafkaProducer {
    /// A producer for table `database.table`.
    pub fn try_new(
        settings: &KafkaSettings,
        config: &KafkaConfig,
        database: &str,
        table: &str,
    ) -> Result<Self> {
        if settings.topic_list.len() != 1 {
            return Err(Error::new(
                ErrorCode::NOT_IMPLEMENTED,
                "Can't write to Kafka table with multiple topics!",
            ));
        }
        let mut cfg = ClientConfig::new();
        for (k, v) in producer_properties(settings, config, database, table) {
            cfg.set(k, v);
        }
        let producer: BaseProducer = cfg
            .create()
            .map_err(|e| kafka_err("Cannot create a Kafka producer", e))?;
        Ok(Self {
            producer,
            topic: settings.topic_list[0].clone(),
            format: settings.format.clone(),
            format_settings: settings.input_format_settings()?,
            max_rows: settings.max_rows_per_message.max(1) as usize,
            map_virtuals: settings.map_virtual_columns_on_write,
        })
    }

    /// Produces the rows of `batch`; returns the number of messages.
    pub fn write(&self, batch: &RecordBatch) -> Result<u64> {
        let meta = self.meta(batch)?;
        let payload_batch = if self.map_virtuals {
            strip_virtuals(batch)?
        } else {
            batch.clone()
        };
        let rows = batch.num_rows();
        let chunk = if is_row_format(&self.format) {
            self.max_rows
        } else {
            rows.max(1)
        };
        let mut messages = 0;
        let mut start = 0;
        while start < rows {
            let len = chunk.min(rows - start);
            let part = payload_batch.slice(start, len);
            let mut out = Vec::new();
            let mut w = output_format(&self.format, part.schema(), &self.format_settings)?;
            w.write_prefix(&mut out)?;
            w.write_batch(&part, &mut out)?;
            w.write_suffix(&mut out, &QueryStatistics::default())?;
            self.send(&out, &meta, start + len - 1)?;
            messages += 1;
            start += len;
        }
        Ok(messages)
    }

    /// Waits until every produced message is acknowledged.
    pub fn flush(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self
                .producer
                .flush(Duration::from_millis(DEFAULT_STREAM_POLL_TIMEOUT_MS))
            {
                Ok(()) => return Ok(()),
                Err(KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut))
                    if Instant::now() < deadline => {}
                Err(e) => return Err(kafka_err("Kafka producer flush failed", e)),
            }
        }
    }

    fn send(&self, payload: &[u8], meta: &Meta, row: usize) -> Result<()> {
        let key = meta
            .keys
            .as_ref()
            .filter(|k| k.is_valid(row))
            .map(|k| k.value(row).as_bytes().to_vec());
        let ts = meta.timestamps.as_ref().and_then(|t| t[row]);
        let mut headers = None;
        if let (Some(names), Some(values)) = (&meta.header_names, &meta.header_values) {
            let n = names.value(row);
            let v = values.value(row);
            let (n, v) = (n.as_string::<i32>(), v.as_string::<i32>());
            if n.len() != v.len() {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    "Arrays _headers.name and _headers.value must have the same size",
                ));
            }
            let mut h = OwnedHeaders::new_with_capacity(n.len());
            for i in 0..n.len() {
                h = h.insert(Header {
                    key: n.value(i),
                    value: Some(v.value(i)),
                });
            }
            headers = Some(h);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut record = BaseRecord::<Vec<u8>, [u8]>::to(&self.topic).payload(payload);
            if let Some(k) = &key {
                record = record.key(k);
            }
            if let Some(t) = ts {
                record = record.timestamp(t);
            }
            if let Some(h) = &headers {
                record = record.headers(h.clone());
            }
            match self.producer.send(record) {
                Ok(()) => {
                    self.producer.poll(Duration::ZERO);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                    if Instant::now() < deadline =>
                {
                    self.producer.poll(Duration::from_millis(100));
                }
                Err((e, _)) => return Err(kafka_err("Kafka produce failed", e)),
            }
        }
    }

    fn meta(&self, batch: &RecordBatch) -> Result<Meta> {
        let col = |name: &str| {
            batch
                .schema()
                .index_of(name)
                .ok()
                .map(|i| Arc::clone(batch.column(i)))
        };
        let keys = match col("_key") {
            Some(a) => Some(
                arrow::compute::cast(&a, &DataType::Utf8)
                    .map_err(|e| Error::internal(format!("_key cast: {e}")))?
                    .as_string::<i32>()
                    .clone(),
            ),
            None => None,
        };
        let timestamps = match col("_timestamp") {
            Some(a) if matches!(a.data_type(), DataType::Timestamp(_, _)) => {
                let secs = arrow::compute::cast(
                    &a,
                    &DataType::Timestamp(arrow::datatypes::TimeUnit::Second, None),
                )
                .and_then(|a| arrow::compute::cast(&a, &DataType::Int64))
                .map_err(|e| Error::internal(format!("_timestamp cast: {e}")))?;
                let secs = secs.as_primitive::<arrow::datatypes::Int64Type>();
                Some(
                    (0..secs.len())
                        .map(|i| secs.is_valid(i).then(|| secs.value(i) * 1000))
                        .collect(),
                )
            }
            _ => None,
        };
        let list = |name: &str| -> Option<ListArray> {
            if !self.map_virtuals {
                return None;
            }
            let a = col(name)?;
            let target = DataType::List(Arc::new(arrow::datatypes::Field::new(
                "item",
                DataType::Utf8,
                true,
            )));
            arrow::compute::cast(&a, &target)
                .ok()
                .map(|a| a.as_list::<i32>().clone())
        };
        Ok(Meta {
            keys,
            timestamps,
            header_names: list("_headers.name"),
            header_values: list("_headers.value"),
        })
    }
}

/// The batch without `_key`, `_timestamp`, `_headers.name`, `_headers.value`.
fn strip_virtuals(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let keep: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !matches!(
                f.name().as_str(),
                "_key" | "_timestamp" | "_headers.name" | "_headers.value"
            )
        })
        .map(|(i, _)| i)
        .collect();
    let fields: Vec<_> = keep.iter().map(|&i| schema.field(i).clone()).collect();
    let cols = keep.iter().map(|&i| Arc::clone(batch.column(i))).collect();
    let s: SchemaRef = Arc::new(Schema::new(fields));
    RecordBatch::try_new(s, cols).map_err(|e| Error::internal(format!("strip virtuals: {e}")))
}
