//! [`Decoder`]: a batch of Kafka messages → one Arrow [`RecordBatch`] of the table's
//! columns plus the requested virtual columns, parsing each message on its own with the
//! table's `kafka_format` (as ClickHouse's `KafkaSource` does), with ClickHouse's three
//! error modes. In all three, broken rows are first skipped within the limits of
//! `input_format_allow_errors_num` (default `kafka_skip_broken_messages`) and
//! `input_format_allow_errors_ratio`, counted per message as ClickHouse does
//! (`decode::row_errors`); a broken row beyond them (with both limits 0: any broken row) makes the
//! message's error, which
//! - `default`: fails the block with "…: while parsing Kafka message (topic: T, partition: P,
//!   offset: O)";
//! - `stream`: replaces the message's rows by one row of defaults with `_raw_message`/`_error`;
//! - `dead_letter_queue`: replaces the message's rows by a [`DeadLetter`].
//!
//! (ClickHouse's storage constructor, e.g. `StorageKafka2.cpp`, sets both limits to 0 in
//! `stream`/`dead_letter_queue` mode, but only after its member initialiser
//! `createSettingsAdjustments` copied them into the parser's settings, so the limits apply
//! there too: chdb 26.9 reading tansu skips a broken row within
//! `input_format_allow_errors_ratio = 0.5` or `kafka_skip_broken_messages = 1` in both modes
//! and gives no `_error` row or dead letter for it.)
//!
//! Tombstones and empty messages give no rows. Every row of one message carries that
//! message's virtual values.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringArray, StringBuilder};
use arrow::buffer::{Buffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use sluice_common::{ChType, Error, Result};
use sluice_formats::InputFormat;
use sluice_formats::parse::{Value, build_array};

use crate::batch::{MessageBatch, MessageRef};
use crate::json_split::json_objects;
use crate::message::{Message, VirtualColumn};
use crate::settings::{HandleErrorMode, KafkaSettings};
use crate::virtuals::{blank_column, virtual_column};

mod row_errors;

use row_errors::{MessageCount, RowErrors, Sync, row_lines};

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
    /// Broken rows skipped under `kafka_skip_broken_messages` /
    /// `input_format_allow_errors_num` / `input_format_allow_errors_ratio`.
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
    row_errors: RowErrors,
    skip_bytes: usize,
    table_name: String,
    /// False when the sink said nobody reads `_headers.*` this block
    /// ([`Decoder::set_read_headers`]).
    read_headers: bool,
    /// The virtual columns built as zero values ([`Decoder::set_unread_virtuals`]).
    unread: Vec<VirtualColumn>,
    pending: Pending,
}

/// Where the data rows of one message are.
enum Source {
    /// `fast[range]`: byte ranges of the message's payload.
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

/// The rows of a block being accumulated: what [`Decoder::push`] found in each message,
/// kept as positions in the messages until [`Decoder::finish`] builds the columns in one
/// pass (no intermediate batches to concatenate).
#[derive(Default)]
struct Pending {
    parts: Vec<Part>,
    batches: Vec<RecordBatch>,
    /// `(start, end)`: a row's bytes in the batch's payload buffer (fast formats).
    fast: Vec<(usize, usize)>,
    dead_letters: Vec<DeadLetter>,
    errors: u64,
    rows: usize,
    /// Messages seen so far (the index of the next pushed message).
    messages: usize,
}

impl Pending {
    /// Empties the lists, keeping what they allocated.
    fn clear(&mut self) {
        self.parts.clear();
        self.batches.clear();
        self.fast.clear();
        self.dead_letters.clear();
        self.errors = 0;
        self.rows = 0;
        self.messages = 0;
    }
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
            row_errors: RowErrors::new(
                canonical,
                settings.allowed_errors(),
                settings.allowed_errors_ratio(),
            ),
            skip_bytes: settings.schema_registry_skip_bytes as usize,
            table_name: String::new(),
            read_headers: true,
            unread: Vec::new(),
            pending: Pending::default(),
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

    /// Whether the rows carry `_headers.name`/`_headers.value` (the consumer reads each
    /// message's headers only then: librdkafka parses them on request).
    pub fn wants_headers(&self) -> bool {
        self.read_headers
            && self
                .virtuals
                .iter()
                .any(|v| matches!(v, VirtualColumn::HeadersName | VirtualColumn::HeadersValue))
    }

    /// Whether the headers are read for the next messages (default true). When not,
    /// `_headers.*` stay in the schema and hold empty arrays: only for a sink whose
    /// readers do not look at them ([`crate::KafkaSink::reads_headers`]).
    pub fn set_read_headers(&mut self, read: bool) {
        self.read_headers = read;
    }

    /// The requested virtual columns, in output order.
    pub fn virtuals(&self) -> &[VirtualColumn] {
        &self.virtuals
    }

    /// The virtual columns that the next [`Decoder::finish`]es build as their type's zero
    /// values without reading the messages (default none): only for those a sink's
    /// readers do not look at ([`crate::BlockWriter::reads_virtual`]). `_raw_message` and
    /// `_error` are always built.
    pub fn set_unread_virtuals(&mut self, unread: Vec<VirtualColumn>) {
        self.unread = unread;
    }

    /// Decodes `messages` into one batch.
    pub fn decode(&mut self, messages: &[Message]) -> Result<Decoded> {
        let mut batch = MessageBatch::from_messages(messages);
        self.decode_batch(&mut batch)
    }

    /// Decodes the messages of `batch` into one block (its payload buffer may be moved
    /// into the block).
    pub fn decode_batch(&mut self, batch: &mut MessageBatch) -> Result<Decoded> {
        self.reset();
        if let Err(e) = self.push(batch) {
            self.reset();
            return Err(e);
        }
        self.finish(batch)
    }

    /// Data rows found so far in the block being accumulated.
    pub fn pending_rows(&self) -> usize {
        self.pending.rows
    }

    /// Forgets the block being accumulated.
    pub fn reset(&mut self) {
        self.pending.clear();
    }

    /// Parses the messages of `batch` added since the last `push` (the block being
    /// accumulated; [`Decoder::finish`] gets the same batch). Returns the number of rows
    /// they hold. A broken message beyond what the error mode allows fails the block.
    pub fn push(&mut self, batch: &MessageBatch) -> Result<usize> {
        let mut pending = std::mem::take(&mut self.pending);
        let before = pending.rows;
        let result = self.push_into(&mut pending, batch);
        pending.messages = batch.len();
        self.pending = pending;
        result.map(|()| self.pending.rows - before)
    }

    fn push_into(&mut self, pending: &mut Pending, batch: &MessageBatch) -> Result<()> {
        for i in pending.messages..batch.len() {
            // Only the payload is read here (the whole message only for an error).
            let Some(range) = batch.payload_range(i) else {
                continue;
            };
            let payload = batch.payload_bytes().get(range.clone()).unwrap_or_default();
            let Some(payload) = payload.get(self.skip_bytes..) else {
                let e = Error::new(
                    sluice_common::ErrorCode::INCORRECT_DATA,
                    format!(
                        "Message size {} is less than kafka_schema_registry_skip_bytes {}",
                        payload.len(),
                        self.skip_bytes
                    ),
                );
                self.broken_message(&batch.get(i), i, e, pending)?;
                continue;
            };
            if payload.is_empty() {
                continue;
            }
            let fast_start = pending.fast.len();
            let batch_start = pending.batches.len();
            let base = range.start + self.skip_bytes;
            let result = match self.fast {
                Fast::RawBlob => {
                    pending.fast.push((base, base + payload.len()));
                    Ok(Source::Fast(fast_start..pending.fast.len()))
                }
                Fast::JsonAsString => json_objects(payload, |s, e| {
                    pending.fast.push((base + s, base + e));
                })
                .map(|()| Source::Fast(fast_start..pending.fast.len()))
                .inspect_err(|_| pending.fast.truncate(fast_start)),
                Fast::None => self
                    .read_general(payload, &mut pending.batches)
                    .map(|_| Source::General(batch_start..pending.batches.len())),
            };
            match result {
                Ok(source) => {
                    let rows = match &source {
                        Source::Fast(r) => r.len(),
                        Source::General(r) => pending.batches[r.clone()]
                            .iter()
                            .map(|b| b.num_rows())
                            .sum(),
                        Source::Default => 1,
                    };
                    if rows > 0 {
                        pending.rows += rows;
                        pending.parts.push(Part {
                            msg: i,
                            rows,
                            source,
                            error: None,
                        });
                    }
                }
                Err(_)
                    if matches!(self.row_errors.sync, Sync::Lines { .. })
                        && self.row_errors.any() =>
                {
                    // Parsed again line by line, skipping broken rows within the limits.
                    match self.read_lines(payload, base, pending) {
                        Ok((rows, source)) if rows > 0 => {
                            pending.rows += rows;
                            pending.parts.push(Part {
                                msg: i,
                                rows,
                                source,
                                error: None,
                            });
                        }
                        Ok(_) => {}
                        Err(e) => self.on_error(&batch.get(i), i, e, pending)?,
                    }
                }
                Err(e) => self.broken_message(&batch.get(i), i, e, pending)?,
            }
        }
        Ok(())
    }

    /// A message of a line-based format parsed line by line (after parsing it whole
    /// failed): the rows of the good lines, the broken ones skipped as ClickHouse does
    /// ([`row_errors`]), or the error of the first broken row beyond the limits.
    fn read_lines(
        &mut self,
        payload: &[u8],
        base: usize,
        pending: &mut Pending,
    ) -> Result<(usize, Source)> {
        let fast_start = pending.fast.len();
        let batch_start = pending.batches.len();
        let mut count = MessageCount::default();
        let mut rows = 0usize;
        let mut skipped = 0u64;
        let lines = row_lines(payload);
        let header_lines = match self.row_errors.sync {
            Sync::Lines { header_lines } => header_lines.min(lines.len()),
            _ => 0,
        };
        // Each message of a `WithNames` format starts with its header: every line is
        // parsed after it. A broken header is the message's error (ClickHouse reads it
        // before the rows, outside the limits).
        let header = match lines.get(..header_lines) {
            Some([first, .., last]) => &payload[first.0..last.1],
            Some([only]) => &payload[only.0..only.1],
            _ => &[],
        };
        if !header.is_empty() {
            let mut none = Vec::new();
            self.read_general(header, &mut none)?;
        }
        let mut with_header = Vec::new();
        for &(start, end) in &lines[header_lines..] {
            let line = if header.is_empty() {
                &payload[start..end]
            } else {
                with_header.clear();
                with_header.extend_from_slice(header);
                with_header.push(b'\n');
                with_header.extend_from_slice(&payload[start..end]);
                &with_header[..]
            };
            let got = match self.fast {
                Fast::JsonAsString => {
                    let before = pending.fast.len();
                    json_objects(line, |s, e| {
                        pending.fast.push((base + start + s, base + start + e));
                    })
                    .map(|()| pending.fast.len() - before)
                    .inspect_err(|_| pending.fast.truncate(before))
                }
                _ => {
                    let before = pending.batches.len();
                    self.read_general(line, &mut pending.batches)
                        .map(|()| pending.batches[before..].iter().map(|b| b.num_rows()).sum())
                }
            };
            match got {
                Ok(n) => {
                    count.rows += n.max(1) as u64;
                    rows += n;
                }
                Err(e) => {
                    if let Err(e) = self.row_errors.broken_row(&mut count, e) {
                        pending.fast.truncate(fast_start);
                        pending.batches.truncate(batch_start);
                        return Err(e);
                    }
                    skipped += 1;
                }
            }
        }
        pending.errors += skipped;
        let source = match self.fast {
            Fast::JsonAsString => Source::Fast(fast_start..pending.fast.len()),
            _ => Source::General(batch_start..pending.batches.len()),
        };
        Ok((rows, source))
    }

    /// The block of everything pushed since the last `finish`/`reset`. When every row is
    /// a whole payload, `batch`'s payload buffer becomes the String column's values
    /// without a copy (the payloads read empty afterwards).
    pub fn finish(&mut self, batch: &mut MessageBatch) -> Result<Decoded> {
        let mut pending = std::mem::take(&mut self.pending);
        let decoded = self.finish_pending(&mut pending, batch);
        // The next chunk's lists start with this one's capacity (tens of thousands of
        // entries per chunk, not regrown from empty each time).
        pending.clear();
        self.pending = pending;
        decoded
    }

    fn finish_pending(&self, pending: &mut Pending, batch: &mut MessageBatch) -> Result<Decoded> {
        if pending.messages != batch.len() {
            return Err(Error::internal(format!(
                "kafka decode: {} messages pushed, {} given to finish",
                pending.messages,
                batch.len()
            )));
        }
        let data = self.data_columns(pending, batch)?;
        let batch = self.assemble(data, &pending.parts, batch)?;
        Ok(Decoded {
            batch,
            dead_letters: std::mem::take(&mut pending.dead_letters),
            skipped: pending.errors,
        })
    }

    fn read_general(&mut self, payload: &[u8], batches: &mut Vec<RecordBatch>) -> Result<()> {
        let got = self.reader.read(payload)?;
        batches.extend(got.into_iter().filter(|b| b.num_rows() > 0));
        Ok(())
    }

    /// A message that broke as a whole (a format without resynchronisation, or too short
    /// for `kafka_schema_registry_skip_bytes`): one broken row of one, skipped within the
    /// limits, otherwise the message's error ([`Decoder::on_error`]); always the message's
    /// error for a format that cannot skip a row ([`Sync::Never`]).
    fn broken_message(
        &self,
        m: &MessageRef<'_>,
        i: usize,
        e: Error,
        pending: &mut Pending,
    ) -> Result<()> {
        if self.row_errors.sync == Sync::Never {
            return self.on_error(m, i, e, pending);
        }
        match self.row_errors.broken_row(&mut MessageCount::default(), e) {
            Ok(()) => {
                pending.errors += 1;
                Ok(())
            }
            Err(e) => self.on_error(m, i, e, pending),
        }
    }

    /// Message `i`'s error `e` (beyond the limits) as the error mode handles it: the
    /// block's error, one row of defaults with `_error`, or a dead letter.
    fn on_error(
        &self,
        m: &MessageRef<'_>,
        i: usize,
        e: Error,
        pending: &mut Pending,
    ) -> Result<()> {
        match self.mode {
            HandleErrorMode::Default => Err(message_error(m, e)),
            HandleErrorMode::Stream => {
                pending.rows += 1;
                pending.parts.push(Part {
                    msg: i,
                    rows: 1,
                    source: Source::Default,
                    error: Some(e.message),
                });
                Ok(())
            }
            HandleErrorMode::DeadLetterQueue => {
                pending.dead_letters.push(DeadLetter {
                    topic: Arc::clone(m.topic),
                    partition: m.partition,
                    offset: m.offset,
                    key: m.key.unwrap_or_default().to_vec(),
                    raw_message: m.payload.unwrap_or_default().to_vec(),
                    error: e.message,
                });
                Ok(())
            }
        }
    }

    /// The data columns of all rows, in part order (error rows hold defaults).
    fn data_columns(&self, pending: &Pending, batch: &mut MessageBatch) -> Result<Vec<ArrayRef>> {
        let parts = &pending.parts;
        if !parts.is_empty() && parts.iter().all(|p| matches!(p.source, Source::Fast(_))) {
            if let Some(column) = whole_payloads(&pending.fast, batch)? {
                return Ok(vec![column]);
            }
            return Ok(vec![strings(&pending.fast, batch.payload_bytes())]);
        }
        if parts.iter().all(|p| matches!(p.source, Source::General(_))) {
            return concat_columns(&self.data_schema, &pending.batches);
        }
        let mut pieces: Vec<RecordBatch> = Vec::with_capacity(parts.len());
        for p in parts {
            match &p.source {
                Source::Default => pieces.push(self.default_row()?),
                Source::General(r) => pieces.extend(pending.batches[r.clone()].iter().cloned()),
                Source::Fast(r) => pieces.push(
                    RecordBatch::try_new(
                        Arc::clone(&self.data_schema),
                        vec![strings(&pending.fast[r.clone()], batch.payload_bytes())],
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
        messages: &MessageBatch,
    ) -> Result<RecordBatch> {
        let total: usize = parts.iter().map(|p| p.rows).sum();
        let spans: Vec<(usize, usize)> = parts.iter().map(|p| (p.msg, p.rows)).collect();
        let each_part = |f: &mut dyn FnMut(&MessageRef<'_>, &Part)| {
            for p in parts {
                let m = messages.get(p.msg);
                for _ in 0..p.rows {
                    f(&m, p);
                }
            }
        };
        for v in &self.virtuals {
            let built = if self.unread.contains(v) {
                blank_column(*v, total)?
            } else {
                virtual_column(*v, &spans, messages, &self.table_name)?
            };
            if let Some(arr) = built {
                cols.push(cast_to(arr, &v.ch_type().to_arrow())?);
                continue;
            }
            let arr: ArrayRef = match v {
                VirtualColumn::RawMessage => {
                    let mut b = StringBuilder::new();
                    each_part(&mut |m, p| match &p.error {
                        Some(_) => {
                            b.append_value(String::from_utf8_lossy(m.payload.unwrap_or(&[])))
                        }
                        None => b.append_value(""),
                    });
                    Arc::new(b.finish())
                }
                _ => {
                    let mut b = StringBuilder::new();
                    each_part(&mut |_, p| b.append_value(p.error.as_deref().unwrap_or("")));
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

/// `e` as the error of message `m`, as ClickHouse's `KafkaSource` words it (26.9: no
/// quote after the closing parenthesis).
fn message_error(m: &MessageRef<'_>, e: Error) -> Error {
    Error::new(
        e.code,
        format!(
            "{}: while parsing Kafka message (topic: {}, partition: {}, offset: {})",
            e.message, m.topic, m.partition, m.offset
        ),
    )
}

/// The String column when the rows are exactly the payload buffer cut in pieces (every
/// message is one whole row, as in the seed pipeline): the buffer is moved into the column,
/// no byte copied (or copied with replacement characters when it is not valid UTF-8).
/// `None` when the rows do not tile the buffer.
fn whole_payloads(rows: &[(usize, usize)], batch: &mut MessageBatch) -> Result<Option<ArrayRef>> {
    let bytes = batch.payload_bytes();
    let mut at = 0usize;
    for &(s, e) in rows {
        if s != at {
            return Ok(None);
        }
        at = e;
    }
    if at != bytes.len() || i32::try_from(at).is_err() {
        return Ok(None);
    }
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0i32);
    // Cannot truncate: every end is at most `at`, which fits in i32.
    offsets.extend(rows.iter().map(|&(_, e)| e as i32));
    let values = Buffer::from_vec(batch.take_payload_bytes());
    // `try_new` validates the UTF-8 once; on invalid bytes the rows are copied with
    // replacement characters from the same buffer.
    let array: ArrayRef =
        match StringArray::try_new(OffsetBuffer::new(offsets.into()), values.clone(), None) {
            Ok(a) => Arc::new(a),
            Err(_) => strings(rows, values.as_slice()),
        };
    Ok(Some(array))
}

/// Gives back the payload buffer a block's String column was built on (see
/// `whole_payloads`) once nobody else holds it, for the next block to fill.
pub fn reclaim_payload_buffer(block: RecordBatch) -> Option<Vec<u8>> {
    let (_, mut columns, _) = block.into_parts();
    if columns.is_empty() || columns[0].data_type() != &DataType::Utf8 {
        return None;
    }
    let first = columns.swap_remove(0);
    drop(columns);
    let data = first.to_data();
    drop(first);
    let (_, values, _) = StringArray::from(data).into_parts();
    values.into_vec::<u8>().ok()
}

/// A String column of the rows at `(start, end)` in `bytes` (invalid UTF-8 is replaced,
/// as Arrow strings must be valid UTF-8), built with its exact size in one pass.
fn strings(rows: &[(usize, usize)], bytes: &[u8]) -> ArrayRef {
    let row = |&(s, e): &(usize, usize)| bytes.get(s..e).unwrap_or_default();
    let total = rows.iter().map(|r| row(r).len()).sum();
    let mut b = StringBuilder::with_capacity(rows.len(), total);
    for r in rows {
        let v = row(r);
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

#[cfg(test)]
#[path = "decode_error_tests.rs"]
mod error_tests;
