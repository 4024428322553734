//! [`Decoder`]: a batch of Kafka messages → one Arrow [`RecordBatch`] of the table's
//! columns plus the requested virtual columns, parsing each message on its own with the
//! table's `kafka_format` (as ClickHouse's `KafkaSource` does), with ClickHouse's three
//! error modes:
//! - `default`: up to `kafka_skip_broken_messages` (`input_format_allow_errors_num`) broken
//!   messages per block are skipped; the next one fails the block with
//!   "…: while parsing Kafka message (topic: T, partition: P, offset: O)'";
//! - `stream`: a broken message gives one row of defaults with `_raw_message`/`_error`;
//! - `dead_letter_queue`: a broken message gives no row and a [`DeadLetter`].
//!
//! Tombstones and empty messages give no rows. Every row of one message carries that
//! message's virtual values.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int64Array, ListBuilder, StringBuilder, StringDictionaryBuilder, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use sluice_common::{ChType, Error, Result};
use sluice_formats::InputFormat;
use sluice_formats::parse::{Value, build_array};

use crate::message::{Message, VirtualColumn};
use crate::settings::{HandleErrorMode, KafkaSettings};

/// A message that failed to parse in `dead_letter_queue` mode.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    /// Topic.
    pub topic: Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key (empty for a null key).
    pub key: Vec<u8>,
    /// Payload.
    pub raw_message: Vec<u8>,
    /// The parser's exception text.
    pub error: String,
}

/// The result of decoding a batch of messages.
#[derive(Debug)]
pub struct Decoded {
    /// Rows of the output schema.
    pub batch: RecordBatch,
    /// Broken messages (`dead_letter_queue` mode).
    pub dead_letters: Vec<DeadLetter>,
    /// Broken messages skipped under `kafka_skip_broken_messages`.
    pub skipped: u64,
}

/// How a message's payload becomes rows.
enum Fast {
    /// Through the general input format.
    None,
    /// `RawBLOB` into one String column: the payload is the row.
    RawBlob,
    /// `JSONAsString` into one String column: each top-level object is a row.
    JsonAsString,
}

/// Decodes messages of one Kafka table.
pub struct Decoder {
    data_schema: SchemaRef,
    virtuals: Vec<VirtualColumn>,
    output_schema: SchemaRef,
    reader: Box<dyn InputFormat>,
    fast: Fast,
    mode: HandleErrorMode,
    allowed_errors: u64,
    skip_bytes: usize,
    table_name: String,
}

/// Where the data rows of one message are.
enum Source {
    /// `fast_values[range]`.
    Fast(std::ops::Range<usize>),
    /// `batches[range]` from the general reader.
    General(std::ops::Range<usize>),
    /// One row of defaults (stream mode error).
    Default,
}

/// Rows decoded from one message.
struct Part {
    msg: usize,
    rows: usize,
    source: Source,
    error: Option<String>,
}

impl Decoder {
    /// A decoder into `data_schema` (the table's ordinary columns) followed by `virtuals`.
    /// `_raw_message`/`_error` may only be requested in stream mode.
    pub fn try_new(
        settings: &KafkaSettings,
        data_schema: SchemaRef,
        virtuals: &[VirtualColumn],
    ) -> Result<Self> {
        let mode = settings.handle_error_mode;
        for v in virtuals {
            if matches!(v, VirtualColumn::RawMessage | VirtualColumn::Error)
                && mode != HandleErrorMode::Stream
            {
                return Err(Error::new(
                    sluice_common::ErrorCode::UNKNOWN_IDENTIFIER,
                    format!(
                        "Missing columns: '{}' (available only with kafka_handle_error_mode = 'stream')",
                        v.name()
                    ),
                ));
            }
        }
        let fs = settings.input_format_settings()?;
        let reader = sluice_formats::input_format(&settings.format, Arc::clone(&data_schema), &fs)?;
        let single_string = data_schema.fields().len() == 1
            && matches!(ChType::from_field(data_schema.field(0)), ChType::String)
            && data_schema.field(0).data_type() == &DataType::Utf8;
        let canonical = sluice_formats::input::canonical_input_name(&settings.format);
        let fast = match canonical {
            Some("RawBLOB") if single_string => Fast::RawBlob,
            Some("JSONAsString") if single_string => Fast::JsonAsString,
            _ => Fast::None,
        };
        let mut fields: Vec<Field> = data_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(virtuals.iter().map(|v| v.ch_type().to_field(v.name())));
        Ok(Self {
            output_schema: Arc::new(Schema::new(fields)),
            data_schema,
            virtuals: virtuals.to_vec(),
            reader,
            fast,
            mode,
            allowed_errors: settings.allowed_errors(),
            skip_bytes: settings.schema_registry_skip_bytes as usize,
            table_name: String::new(),
        })
    }

    /// Sets the value of the `_table` virtual column.
    pub fn with_table_name(mut self, name: &str) -> Self {
        self.table_name = name.to_string();
        self
    }

    /// The schema of decoded batches: data columns, then the requested virtual columns.
    pub fn output_schema(&self) -> &SchemaRef {
        &self.output_schema
    }

    /// Decodes `messages` into one batch.
    pub fn decode(&mut self, messages: &[Message]) -> Result<Decoded> {
        let mut parts: Vec<Part> = Vec::with_capacity(messages.len());
        let mut batches: Vec<RecordBatch> = Vec::new();
        let mut fast_values: Vec<&[u8]> = Vec::new();
        let mut dead_letters = Vec::new();
        let mut errors = 0u64;
        for (i, m) in messages.iter().enumerate() {
            let Some(payload) = m.payload.as_deref() else {
                continue;
            };
            let payload = match payload.get(self.skip_bytes..) {
                Some(p) => p,
                None => {
                    let e = Error::new(
                        sluice_common::ErrorCode::INCORRECT_DATA,
                        format!(
                            "Message size {} is less than kafka_schema_registry_skip_bytes {}",
                            payload.len(),
                            self.skip_bytes
                        ),
                    );
                    self.on_error(m, i, e, &mut errors, &mut parts, &mut dead_letters)?;
                    continue;
                }
            };
            if payload.is_empty() {
                continue;
            }
            let fast_start = fast_values.len();
            let batch_start = batches.len();
            let result = match self.fast {
                Fast::RawBlob => {
                    fast_values.push(payload);
                    Ok(Source::Fast(fast_start..fast_values.len()))
                }
                Fast::JsonAsString => json_objects(payload).map(|objs| {
                    fast_values.extend(objs);
                    Source::Fast(fast_start..fast_values.len())
                }),
                Fast::None => self
                    .read_general(payload, &mut batches)
                    .map(|_| Source::General(batch_start..batches.len())),
            };
            match result {
                Ok(source) => {
                    let rows = match &source {
                        Source::Fast(r) => r.len(),
                        Source::General(r) => batches[r.clone()].iter().map(|b| b.num_rows()).sum(),
                        Source::Default => 1,
                    };
                    if rows > 0 {
                        parts.push(Part {
                            msg: i,
                            rows,
                            source,
                            error: None,
                        });
                    }
                }
                Err(e) => self.on_error(m, i, e, &mut errors, &mut parts, &mut dead_letters)?,
            }
        }
        let data = self.data_columns(&parts, batches, &fast_values)?;
        let batch = self.assemble(data, &parts, messages)?;
        Ok(Decoded {
            batch,
            dead_letters,
            skipped: if self.mode == HandleErrorMode::Default {
                errors
            } else {
                0
            },
        })
    }

    fn read_general(&mut self, payload: &[u8], batches: &mut Vec<RecordBatch>) -> Result<()> {
        let got = self.reader.read(payload)?;
        batches.extend(got.into_iter().filter(|b| b.num_rows() > 0));
        Ok(())
    }

    fn on_error(
        &self,
        m: &Message,
        i: usize,
        e: Error,
        errors: &mut u64,
        parts: &mut Vec<Part>,
        dead_letters: &mut Vec<DeadLetter>,
    ) -> Result<()> {
        match self.mode {
            HandleErrorMode::Default => {
                *errors += 1;
                if *errors <= self.allowed_errors {
                    return Ok(());
                }
                Err(Error::new(
                    e.code,
                    format!(
                        "{}: while parsing Kafka message (topic: {}, partition: {}, offset: {})'",
                        e.message, m.topic, m.partition, m.offset
                    ),
                ))
            }
            HandleErrorMode::Stream => {
                parts.push(Part {
                    msg: i,
                    rows: 1,
                    source: Source::Default,
                    error: Some(e.message),
                });
                Ok(())
            }
            HandleErrorMode::DeadLetterQueue => {
                dead_letters.push(DeadLetter {
                    topic: Arc::clone(&m.topic),
                    partition: m.partition,
                    offset: m.offset,
                    key: m.key.clone().unwrap_or_default(),
                    raw_message: m.payload.clone().unwrap_or_default(),
                    error: e.message,
                });
                Ok(())
            }
        }
    }

    /// The data columns of all rows, in part order (error rows hold defaults).
    fn data_columns(
        &self,
        parts: &[Part],
        batches: Vec<RecordBatch>,
        fast_values: &[&[u8]],
    ) -> Result<Vec<ArrayRef>> {
        if parts.iter().all(|p| matches!(p.source, Source::Fast(_))) && !parts.is_empty() {
            return Ok(vec![strings(fast_values)]);
        }
        if parts.iter().all(|p| matches!(p.source, Source::General(_))) {
            return concat_columns(&self.data_schema, &batches);
        }
        let mut pieces: Vec<RecordBatch> = Vec::with_capacity(parts.len());
        for p in parts {
            match &p.source {
                Source::Default => pieces.push(self.default_row()?),
                Source::General(r) => pieces.extend(batches[r.clone()].iter().cloned()),
                Source::Fast(r) => pieces.push(
                    RecordBatch::try_new(
                        Arc::clone(&self.data_schema),
                        vec![strings(&fast_values[r.clone()])],
                    )
                    .map_err(|e| Error::internal(format!("kafka decode: {e}")))?,
                ),
            }
        }
        concat_columns(&self.data_schema, &pieces)
    }

    fn default_row(&self) -> Result<RecordBatch> {
        let cols = self
            .data_schema
            .fields()
            .iter()
            .map(|f| {
                let a = build_array(&[Value::Null], &ChType::from_field(f))?;
                cast_to(a, f.data_type())
            })
            .collect::<Result<Vec<_>>>()?;
        let opts = RecordBatchOptions::new().with_row_count(Some(1));
        RecordBatch::try_new_with_options(Arc::clone(&self.data_schema), cols, &opts)
            .map_err(|e| Error::internal(format!("kafka default row: {e}")))
    }

    /// Appends the virtual columns, repeating each message's values over its rows.
    fn assemble(
        &self,
        mut cols: Vec<ArrayRef>,
        parts: &[Part],
        messages: &[Message],
    ) -> Result<RecordBatch> {
        let total: usize = parts.iter().map(|p| p.rows).sum();
        let each = |f: &mut dyn FnMut(&Message, &Part)| {
            for p in parts {
                for _ in 0..p.rows {
                    f(&messages[p.msg], p);
                }
            }
        };
        for v in &self.virtuals {
            let arr: ArrayRef = match v {
                VirtualColumn::Topic => {
                    let mut b = StringDictionaryBuilder::<Int32Type>::new();
                    each(&mut |m, _| {
                        b.append_value(&*m.topic);
                    });
                    Arc::new(b.finish())
                }
                VirtualColumn::Table => {
                    let mut b = StringDictionaryBuilder::<Int32Type>::new();
                    for _ in 0..total {
                        b.append_value(&self.table_name);
                    }
                    Arc::new(b.finish())
                }
                VirtualColumn::Key => {
                    let mut b = StringBuilder::with_capacity(total, 0);
                    each(&mut |m, _| {
                        b.append_value(String::from_utf8_lossy(m.key.as_deref().unwrap_or(&[])))
                    });
                    Arc::new(b.finish())
                }
                VirtualColumn::Offset => {
                    let mut v = Vec::with_capacity(total);
                    each(&mut |m, _| v.push(m.offset.max(0) as u64));
                    Arc::new(UInt64Array::from(v))
                }
                VirtualColumn::Partition => {
                    let mut v = Vec::with_capacity(total);
                    each(&mut |m, _| v.push(m.partition.max(0) as u64));
                    Arc::new(UInt64Array::from(v))
                }
                VirtualColumn::Timestamp => {
                    let mut v = Vec::with_capacity(total);
                    each(&mut |m, _| v.push(m.timestamp_ms.map(|t| t.div_euclid(1000))));
                    Arc::new(Int64Array::from(v))
                }
                VirtualColumn::TimestampMs => {
                    let mut v = Vec::with_capacity(total);
                    each(&mut |m, _| v.push(m.timestamp_ms));
                    Arc::new(Int64Array::from(v))
                }
                VirtualColumn::HeadersName | VirtualColumn::HeadersValue => {
                    let names = *v == VirtualColumn::HeadersName;
                    let mut b = ListBuilder::new(StringBuilder::new());
                    each(&mut |m, _| {
                        for (k, val) in &m.headers {
                            if names {
                                b.values().append_value(k);
                            } else {
                                b.values().append_value(String::from_utf8_lossy(
                                    val.as_deref().unwrap_or(&[]),
                                ));
                            }
                        }
                        b.append(true);
                    });
                    Arc::new(b.finish())
                }
                VirtualColumn::RawMessage => {
                    let mut b = StringBuilder::new();
                    each(&mut |m, p| match &p.error {
                        Some(_) => b.append_value(String::from_utf8_lossy(
                            m.payload.as_deref().unwrap_or(&[]),
                        )),
                        None => b.append_value(""),
                    });
                    Arc::new(b.finish())
                }
                VirtualColumn::Error => {
                    let mut b = StringBuilder::new();
                    each(&mut |_, p| b.append_value(p.error.as_deref().unwrap_or("")));
                    Arc::new(b.finish())
                }
            };
            cols.push(cast_to(arr, &v.ch_type().to_arrow())?);
        }
        let opts = RecordBatchOptions::new().with_row_count(Some(total));
        RecordBatch::try_new_with_options(Arc::clone(&self.output_schema), cols, &opts)
            .map_err(|e| Error::internal(format!("kafka block: {e}")))
    }
}

/// Top-level JSON objects of a `JSONAsString` payload, found as ClickHouse's
/// `JSONAsStringRowInputFormat` finds them: objects separated by whitespace or commas,
/// optionally inside one `[…]`, delimited by balancing braces outside strings (the
/// object's content is not validated).
fn json_objects(payload: &[u8]) -> Result<Vec<&[u8]>> {
    let incorrect = |msg: &str, row: usize| {
        Error::new(
            sluice_common::ErrorCode::INCORRECT_DATA,
            format!("{msg}: (at row {row})\n"),
        )
    };
    let skip_ws = |mut i: usize| {
        while i < payload.len() && payload[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = skip_ws(0);
    let in_array = payload.get(i) == Some(&b'[');
    if in_array {
        i += 1;
    }
    loop {
        while i < payload.len() && (payload[i].is_ascii_whitespace() || payload[i] == b',') {
            i += 1;
        }
        if i >= payload.len() {
            return Ok(out);
        }
        if in_array && payload[i] == b']' {
            i = skip_ws(i + 1);
            if i < payload.len() {
                return Err(incorrect("JSON object must begin with '{'", out.len() + 1));
            }
            return Ok(out);
        }
        if payload[i] != b'{' {
            return Err(incorrect("JSON object must begin with '{'", out.len() + 1));
        }
        let Some(end) = object_end(payload, i) else {
            return Err(incorrect(
                "Unexpected end of file while parsing JSON object",
                out.len() + 1,
            ));
        };
        out.push(&payload[i..end]);
        i = end;
    }
}

/// The end (exclusive) of the JSON object starting at `payload[start] == b'{'`: braces
/// balanced outside strings, found with `memchr` jumps between the interesting bytes.
fn object_end(payload: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        let at = i + memchr::memchr3(b'"', b'{', b'}', &payload[i..])?;
        match payload[at] {
            b'{' => {
                depth += 1;
                i = at + 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + 1);
                }
                i = at + 1;
            }
            _ => {
                // Inside a string: skip to the closing quote, honouring escapes.
                let mut j = at + 1;
                loop {
                    let q = j + memchr::memchr2(b'"', b'\\', &payload[j..])?;
                    if payload[q] == b'\\' {
                        j = q + 2;
                        if j > payload.len() {
                            return None;
                        }
                    } else {
                        i = q + 1;
                        break;
                    }
                }
            }
        }
    }
}

/// A String column of byte values (invalid UTF-8 is replaced, as Arrow strings must be
/// valid UTF-8).
fn strings(values: &[&[u8]]) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(values.len(), values.iter().map(|v| v.len()).sum());
    for v in values {
        match std::str::from_utf8(v) {
            Ok(s) => b.append_value(s),
            Err(_) => b.append_value(String::from_utf8_lossy(v)),
        }
    }
    Arc::new(b.finish())
}

fn cast_to(a: ArrayRef, dt: &DataType) -> Result<ArrayRef> {
    if a.data_type() == dt {
        return Ok(a);
    }
    arrow::compute::cast(&a, dt).map_err(|e| Error::internal(format!("kafka column cast: {e}")))
}

fn concat_columns(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<ArrayRef>> {
    if batches.is_empty() {
        return Ok(schema
            .fields()
            .iter()
            .map(|f| arrow::array::new_empty_array(f.data_type()))
            .collect());
    }
    let b = arrow::compute::concat_batches(schema, batches)
        .map_err(|e| Error::internal(format!("kafka concat: {e}")))?;
    Ok(b.columns().to_vec())
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
