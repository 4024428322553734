//! The virtual columns of a decoded block (`_topic`, `_offset`, `_headers.name`, …), each
//! built in one pass over the block's messages straight into its final Arrow type.
//!
//! Every row of a message carries that message's values, so the columns are built from
//! `(message, rows)` spans. They are computed for every block of a Kafka table whose
//! views may read them (the replay filter reads `_topic`/`_partition`/`_offset`), so they
//! avoid per-row work that does not depend on the row: the dictionary columns get their
//! keys without hashing each row's string, and `_headers.*` of messages without headers
//! are one buffer of zero offsets.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Int32Array, ListArray, StringArray, StringBuilder,
    TimestampMillisecondArray, TimestampSecondArray, UInt64Array,
};
use arrow::buffer::{Buffer, OffsetBuffer};
use arrow::datatypes::{DataType, FieldRef, Int32Type};
use sluice_common::{Error, Result};

use crate::batch::{MessageBatch, MessageRef};
use crate::message::VirtualColumn;

/// `(message index in the batch, rows of that message)`, in row order.
pub(crate) type Spans = [(usize, usize)];

/// The column of `v` for the rows of `spans` (`_raw_message` and `_error` depend on the
/// parse result and are built by the decoder: `None` for them). `table` is the Kafka
/// table's name (`_table`).
pub(crate) fn virtual_column(
    v: VirtualColumn,
    spans: &Spans,
    messages: &MessageBatch,
    table: &str,
) -> Result<Option<ArrayRef>> {
    let total: usize = spans.iter().map(|&(_, n)| n).sum();
    let column: ArrayRef = match v {
        VirtualColumn::Topic => Arc::new(topics(spans, messages, total)?),
        VirtualColumn::Table => Arc::new(dictionary(vec![0; total], &[table])?),
        // No key of a byte in the batch (the common case): every row's `_key` is "".
        VirtualColumn::Key if messages.keys_empty() => Arc::new(empty_strings(total)),
        VirtualColumn::Key => {
            let bytes = spans
                .iter()
                .map(|&(m, _)| messages.get(m).key.map_or(0, <[u8]>::len))
                .sum();
            let mut b = StringBuilder::with_capacity(total, bytes);
            each(spans, messages, |m| {
                let key = m.key.unwrap_or_default();
                match std::str::from_utf8(key) {
                    Ok(s) => b.append_value(s),
                    Err(_) => b.append_value(String::from_utf8_lossy(key)),
                }
            });
            Arc::new(b.finish())
        }
        VirtualColumn::Offset => {
            let mut out = Vec::with_capacity(total);
            for &(i, rows) in spans {
                let offset = messages.position(i).2.max(0) as u64;
                out.extend(std::iter::repeat_n(offset, rows));
            }
            Arc::new(UInt64Array::from(out))
        }
        VirtualColumn::Partition => {
            let mut out = Vec::with_capacity(total);
            for &(i, rows) in spans {
                let partition = messages.position(i).1.max(0) as u64;
                out.extend(std::iter::repeat_n(partition, rows));
            }
            Arc::new(UInt64Array::from(out))
        }
        // Every message timestamped (the common case): values without a null mask.
        VirtualColumn::Timestamp if messages.all_timestamped() => Arc::new(
            TimestampSecondArray::from(timestamps(spans, messages, total, |t| t.div_euclid(1000))),
        ),
        VirtualColumn::TimestampMs if messages.all_timestamped() => Arc::new(
            TimestampMillisecondArray::from(timestamps(spans, messages, total, |t| t)),
        ),
        VirtualColumn::Timestamp => {
            let mut out = Vec::with_capacity(total);
            each(spans, messages, |m| {
                out.push(m.timestamp_ms.map(|t| t.div_euclid(1000)))
            });
            Arc::new(TimestampSecondArray::from(out))
        }
        VirtualColumn::TimestampMs => {
            let mut out = Vec::with_capacity(total);
            each(spans, messages, |m| out.push(m.timestamp_ms));
            Arc::new(TimestampMillisecondArray::from(out))
        }
        VirtualColumn::HeadersName | VirtualColumn::HeadersValue => Arc::new(headers(
            v == VirtualColumn::HeadersName,
            spans,
            messages,
            total,
            list_item(v)?,
        )?),
        VirtualColumn::RawMessage | VirtualColumn::Error => return Ok(None),
    };
    Ok(Some(column))
}

/// The column of `v` for `total` rows that no reader looks at: its type's zero values
/// (`''`, 0, the epoch, `[]`), built without reading the messages. `None` for
/// `_raw_message` and `_error` (the decoder's, see [`virtual_column`]).
pub(crate) fn blank_column(v: VirtualColumn, total: usize) -> Result<Option<ArrayRef>> {
    let column: ArrayRef = match v {
        VirtualColumn::Topic | VirtualColumn::Table => Arc::new(dictionary(vec![0; total], &[""])?),
        VirtualColumn::Key => Arc::new(empty_strings(total)),
        VirtualColumn::Offset | VirtualColumn::Partition => {
            Arc::new(UInt64Array::from(vec![0; total]))
        }
        VirtualColumn::Timestamp => Arc::new(TimestampSecondArray::from(vec![0; total])),
        VirtualColumn::TimestampMs => Arc::new(TimestampMillisecondArray::from(vec![0; total])),
        VirtualColumn::HeadersName | VirtualColumn::HeadersValue => {
            Arc::new(empty_lists(list_item(v)?, total)?)
        }
        VirtualColumn::RawMessage | VirtualColumn::Error => return Ok(None),
    };
    Ok(Some(column))
}

/// `total` empty strings.
fn empty_strings(total: usize) -> StringArray {
    StringArray::new(
        OffsetBuffer::new_zeroed(total),
        Buffer::from_vec(Vec::<u8>::new()),
        None,
    )
}

/// `total` empty lists of `item`.
fn empty_lists(item: FieldRef, total: usize) -> Result<ListArray> {
    let values = arrow::array::new_empty_array(item.data_type());
    list(item, OffsetBuffer::new_zeroed(total), values)
}

/// Calls `f` once per row: each message's values repeated over its rows.
fn each<'a>(spans: &Spans, messages: &'a MessageBatch, mut f: impl FnMut(&MessageRef<'a>)) {
    for &(i, rows) in spans {
        let m = messages.get(i);
        for _ in 0..rows {
            f(&m);
        }
    }
}

/// Each row's message timestamp through `f` (every message has one; a missing one reads 0).
fn timestamps(
    spans: &Spans,
    messages: &MessageBatch,
    total: usize,
    f: impl Fn(i64) -> i64,
) -> Vec<i64> {
    let mut out = Vec::with_capacity(total);
    for &(i, rows) in spans {
        let t = f(messages.timestamp_ms(i).unwrap_or(0));
        out.extend(std::iter::repeat_n(t, rows));
    }
    out
}

/// `_topic`: the distinct names in order of appearance, a key per row. Consecutive
/// messages share one topic name (one shared `Arc` per topic, see the consumer), so a row
/// costs a pointer comparison.
fn topics(
    spans: &Spans,
    messages: &MessageBatch,
    total: usize,
) -> Result<DictionaryArray<Int32Type>> {
    // One topic in the chunk (the common case): every key is 0, one zeroed allocation.
    if let [topic] = messages.topics() {
        return dictionary(vec![0; total], &[&**topic]);
    }
    let mut names: Vec<Arc<str>> = Vec::new();
    let mut keys: Vec<i32> = Vec::with_capacity(total);
    let mut last: Option<(Arc<str>, i32)> = None;
    for &(i, rows) in spans {
        let topic = messages.position(i).0;
        let key = match &last {
            Some((t, k)) if Arc::ptr_eq(t, topic) => *k,
            _ => {
                let k = match names.iter().position(|n| **n == **topic) {
                    Some(k) => k,
                    None => {
                        names.push(Arc::clone(topic));
                        names.len() - 1
                    }
                };
                let k = i32::try_from(k)
                    .map_err(|_| Error::internal("kafka block: too many topics"))?;
                last = Some((Arc::clone(topic), k));
                k
            }
        };
        keys.extend(std::iter::repeat_n(key, rows));
    }
    let names: Vec<&str> = names.iter().map(|n| &**n).collect();
    dictionary(keys, &names)
}

/// A `LowCardinality(String)` column of `keys` into `values`.
fn dictionary(keys: Vec<i32>, values: &[&str]) -> Result<DictionaryArray<Int32Type>> {
    DictionaryArray::try_new(
        Int32Array::from(keys),
        Arc::new(StringArray::from(values.to_vec())),
    )
    .map_err(|e| Error::internal(format!("kafka virtual column: {e}")))
}

/// The element field of `_headers.*`'s `Array(String)` as the table's schema declares it.
fn list_item(v: VirtualColumn) -> Result<FieldRef> {
    match v.ch_type().to_arrow() {
        DataType::List(f) => Ok(f),
        other => Err(Error::internal(format!(
            "kafka virtual column {} is {other}, not a list",
            v.name()
        ))),
    }
}

/// `_headers.name` (`names`) or `_headers.value`: one list of strings per row.
fn headers(
    names: bool,
    spans: &Spans,
    messages: &MessageBatch,
    total: usize,
    item: FieldRef,
) -> Result<ListArray> {
    let any = messages.has_headers()
        && spans
            .iter()
            .any(|&(i, _)| !messages.get(i).headers.is_empty());
    if !any {
        return empty_lists(item, total);
    }
    let mut b = StringBuilder::new();
    let mut offsets: Vec<i32> = Vec::with_capacity(total + 1);
    offsets.push(0);
    let mut count = 0usize;
    each(spans, messages, |m| {
        for (k, val) in m.headers {
            if names {
                b.append_value(k);
            } else {
                let v = val.as_deref().unwrap_or_default();
                match std::str::from_utf8(v) {
                    Ok(s) => b.append_value(s),
                    Err(_) => b.append_value(String::from_utf8_lossy(v)),
                }
            }
        }
        count += m.headers.len();
        // Headers per block stay far below i32::MAX; saturate rather than wrap.
        offsets.push(i32::try_from(count).unwrap_or(i32::MAX));
    });
    list(
        item,
        OffsetBuffer::new(offsets.into()),
        Arc::new(b.finish()),
    )
}

fn list(item: FieldRef, offsets: OffsetBuffer<i32>, values: ArrayRef) -> Result<ListArray> {
    ListArray::try_new(item, offsets, values, None)
        .map_err(|e| Error::internal(format!("kafka headers column: {e}")))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Field;

    use super::*;
    use crate::message::Message;

    /// The element field of a list column.
    fn item_of(a: &dyn Array) -> Option<Field> {
        match a.data_type() {
            DataType::List(f) => Some(f.as_ref().clone()),
            _ => None,
        }
    }

    /// The no-key and all-timestamped shortcuts give what the per-row paths give.
    #[test]
    fn shortcuts_match_the_per_row_columns() {
        let stamped = |offset: i64, t: i64, key: Option<&[u8]>| Message {
            timestamp_ms: Some(t),
            key: key.map(<[u8]>::to_vec),
            ..Message::new("a", 0, offset, "x")
        };
        let spans = [(0, 2), (1, 1), (2, 3)];
        let col = |v, b: &MessageBatch| virtual_column(v, &spans, b, "t").ok().flatten();
        let plain = MessageBatch::from_messages(&[
            stamped(1, 1_500, None),
            stamped(2, -1_500, Some(b"")),
            stamped(3, 1_725_356_200_454, None),
        ]);
        assert!(plain.keys_empty() && plain.all_timestamped());
        // One message with a key and one without a timestamp: the per-row paths.
        let mut mixed = plain.clone();
        mixed.push(
            MessageRef {
                key: Some(b"k"),
                timestamp_ms: None,
                ..plain.get(0)
            },
            Vec::new(),
        );
        assert!(!mixed.keys_empty() && !mixed.all_timestamped());
        for v in [
            VirtualColumn::Key,
            VirtualColumn::Timestamp,
            VirtualColumn::TimestampMs,
        ] {
            let (fast, slow) = (col(v, &plain), col(v, &mixed));
            assert!(fast.is_some(), "{}", v.name());
            assert_eq!(
                fast.as_deref().map(|a| a.to_data()),
                slow.as_deref().map(|a| a.to_data()),
                "{}",
                v.name()
            );
        }
        let secs = col(VirtualColumn::Timestamp, &plain);
        let secs = secs.as_ref().map(|a| {
            a.as_primitive::<arrow::datatypes::TimestampSecondType>()
                .values()
                .to_vec()
        });
        assert_eq!(
            secs,
            Some(vec![1, 1, -2, 1_725_356_200, 1_725_356_200, 1_725_356_200])
        );
    }

    /// Unread columns have the declared types, the row count and no NULL.
    #[test]
    fn blank_columns_have_the_declared_types() {
        for v in VirtualColumn::ALL {
            let Some(col) = blank_column(v, 3).ok().flatten() else {
                assert!(matches!(
                    v,
                    VirtualColumn::RawMessage | VirtualColumn::Error
                ));
                continue;
            };
            assert_eq!(col.len(), 3, "{}", v.name());
            assert_eq!(col.null_count(), 0, "{}", v.name());
            assert_eq!(col.data_type(), &v.ch_type().to_arrow(), "{}", v.name());
        }
    }

    #[test]
    fn columns_have_the_declared_types() {
        let mut with_headers = Message::new("a", 1, 5, "x");
        with_headers.headers = vec![("h".into(), Some(b"v".to_vec()))];
        let batch = MessageBatch::from_messages(&[
            Message::new("a", 0, 1, "x"),
            Message::new("b", 0, 2, "x"),
            with_headers,
        ]);
        let spans = [(0, 2), (1, 1), (2, 1)];
        for v in VirtualColumn::ALL {
            let Some(col) = virtual_column(v, &spans, &batch, "t").ok().flatten() else {
                assert!(matches!(
                    v,
                    VirtualColumn::RawMessage | VirtualColumn::Error
                ));
                continue;
            };
            assert_eq!(col.len(), 4, "{}", v.name());
            assert_eq!(col.data_type(), &v.ch_type().to_arrow(), "{}", v.name());
        }
        let topic = virtual_column(VirtualColumn::Topic, &spans, &batch, "t")
            .ok()
            .flatten();
        let topic = topic.as_ref().map(|t| t.as_dictionary::<Int32Type>());
        assert_eq!(
            topic.map(|t| t.keys().values().to_vec()),
            Some(vec![0, 0, 1, 0])
        );
        let empty = MessageBatch::from_messages(&[Message::new("a", 0, 1, "x")]);
        let names = virtual_column(VirtualColumn::HeadersName, &[(0, 3)], &empty, "t")
            .ok()
            .flatten();
        assert_eq!(names.as_ref().map(|n| n.len()), Some(3));
        assert_eq!(
            names.as_deref().and_then(item_of),
            list_item(VirtualColumn::HeadersName)
                .ok()
                .map(|f| f.as_ref().clone())
        );
    }
}
