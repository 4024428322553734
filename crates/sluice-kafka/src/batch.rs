//! [`MessageBatch`]: the messages of one block, their payloads stored back to back in one
//! buffer instead of one allocation each.
//!
//! A block of the seed pipeline holds tens of thousands of small messages. Copying each
//! payload into its own `Vec` cost an allocation per message on freshly mapped pages; one
//! buffer per block (recycled from the previous block when nobody else holds it) is
//! written sequentially, and when every message is one row it becomes the values buffer of
//! the block's String column without another copy (see `decode.rs`).

use std::ops::Range;
use std::sync::Arc;

use crate::message::Message;

/// A message's headers: `(name, value)` in order.
pub type HeaderList = Vec<(String, Option<Vec<u8>>)>;

/// A message's metadata; its topic is an index in the batch's topic list, its key and
/// payload are ranges in the batch's buffers, its headers (rare) an index in the batch's
/// header lists, so that a `Meta` owns nothing and a chunk's list is cleared without
/// visiting each message.
#[derive(Clone, Debug)]
struct Meta {
    topic: usize,
    partition: i32,
    offset: i64,
    key: Option<Range<usize>>,
    payload: Option<Range<usize>>,
    timestamp_ms: Option<i64>,
    /// Index in `MessageBatch::headers` (`None`: no headers).
    headers: Option<usize>,
}

/// One message of a [`MessageBatch`], borrowed.
#[derive(Clone, Copy, Debug)]
pub struct MessageRef<'a> {
    /// Topic name.
    pub topic: &'a Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key (`None`: null key).
    pub key: Option<&'a [u8]>,
    /// Payload (`None`: tombstone).
    pub payload: Option<&'a [u8]>,
    /// Timestamp in milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    /// Headers in order.
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// The messages of one block (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct MessageBatch {
    payloads: Vec<u8>,
    keys: Vec<u8>,
    metas: Vec<Meta>,
    /// The topics of the messages (one shared name each, not one `Arc` per message).
    topics: Vec<Arc<str>>,
    /// The header lists of the messages that have headers.
    headers: Vec<HeaderList>,
    header_bytes: usize,
    /// Messages with a timestamp.
    with_timestamp: usize,
}

impl MessageBatch {
    /// An empty batch whose payloads go into `buffer` (cleared; its capacity is kept).
    pub fn with_buffer(mut buffer: Vec<u8>) -> Self {
        buffer.clear();
        Self {
            payloads: buffer,
            ..Self::default()
        }
    }

    /// Empties the batch for the next chunk, keeping what its message list and keys had
    /// allocated; the payloads go into `buffer` (cleared; its capacity is kept) when it is
    /// larger than the batch's own payload buffer (which the decoded rows may have taken).
    pub fn reuse(&mut self, buffer: Vec<u8>) {
        if buffer.capacity() > self.payloads.capacity() {
            self.payloads = buffer;
        }
        self.payloads.clear();
        self.keys.clear();
        self.metas.clear();
        self.topics.clear();
        self.headers.clear();
        self.header_bytes = 0;
        self.with_timestamp = 0;
    }

    /// Makes room for `bytes` of payloads in all (the chunk's buffer is sized once, not
    /// grown and copied while messages arrive).
    pub fn reserve_payloads(&mut self, bytes: usize) {
        self.payloads
            .reserve(bytes.saturating_sub(self.payloads.len()));
    }

    /// The batch of `messages` (tests, tools, one-off reads).
    pub fn from_messages(messages: &[Message]) -> Self {
        let mut b = Self::default();
        for m in messages {
            b.push(
                MessageRef {
                    topic: &m.topic,
                    partition: m.partition,
                    offset: m.offset,
                    key: m.key.as_deref(),
                    payload: m.payload.as_deref(),
                    timestamp_ms: m.timestamp_ms,
                    headers: &[],
                },
                m.headers.clone(),
            );
        }
        b
    }

    /// Appends a message (its `headers` field is ignored: `headers` is stored instead).
    pub fn push(&mut self, m: MessageRef<'_>, headers: HeaderList) {
        let store = |buf: &mut Vec<u8>, bytes: Option<&[u8]>| {
            bytes.map(|b| {
                let start = buf.len();
                buf.extend_from_slice(b);
                start..buf.len()
            })
        };
        let key = store(&mut self.keys, m.key);
        let payload = store(&mut self.payloads, m.payload);
        let headers = if headers.is_empty() {
            None
        } else {
            self.header_bytes += headers
                .iter()
                .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
                .sum::<usize>();
            self.headers.push(headers);
            Some(self.headers.len() - 1)
        };
        self.with_timestamp += usize::from(m.timestamp_ms.is_some());
        let topic = self.topic_index(m.topic);
        self.metas.push(Meta {
            topic,
            partition: m.partition,
            offset: m.offset,
            key,
            payload,
            timestamp_ms: m.timestamp_ms,
            headers,
        });
    }

    /// The index of `topic` in the topic list (added when new): consecutive messages
    /// share one `Arc`, so this is usually one pointer comparison.
    fn topic_index(&mut self, topic: &Arc<str>) -> usize {
        if let Some(last) = self.topics.last()
            && Arc::ptr_eq(last, topic)
        {
            return self.topics.len() - 1;
        }
        match self
            .topics
            .iter()
            .position(|t| Arc::ptr_eq(t, topic) || **t == **topic)
        {
            Some(i) => i,
            None => {
                self.topics.push(Arc::clone(topic));
                self.topics.len() - 1
            }
        }
    }

    /// The distinct topics of the messages, in order of appearance.
    pub fn topics(&self) -> &[Arc<str>] {
        &self.topics
    }

    /// True when some message has headers.
    pub fn has_headers(&self) -> bool {
        !self.headers.is_empty()
    }

    /// True when every message has a timestamp.
    pub fn all_timestamped(&self) -> bool {
        self.with_timestamp == self.metas.len()
    }

    /// True when no message has a key of at least one byte (every `_key` is empty).
    pub fn keys_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.metas.len()
    }

    /// True when there are no messages.
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    /// Message `i` (panics when out of range, like indexing).
    pub fn get(&self, i: usize) -> MessageRef<'_> {
        let m = &self.metas[i];
        MessageRef {
            topic: &self.topics[m.topic],
            partition: m.partition,
            offset: m.offset,
            key: m.key.clone().map(|r| &self.keys[r]),
            payload: m.payload.clone().map(|r| &self.payloads[r]),
            timestamp_ms: m.timestamp_ms,
            headers: m
                .headers
                .and_then(|h| self.headers.get(h))
                .map_or(&[], Vec::as_slice),
        }
    }

    /// Message `i`'s timestamp in milliseconds (panics when out of range, like indexing).
    pub fn timestamp_ms(&self, i: usize) -> Option<i64> {
        self.metas[i].timestamp_ms
    }

    /// Message `i`'s topic, partition and offset (what offsets and the replay filter's
    /// columns need), without building the whole [`MessageRef`] (panics when out of
    /// range, like indexing).
    pub fn position(&self, i: usize) -> (&Arc<str>, i32, i64) {
        let m = &self.metas[i];
        (&self.topics[m.topic], m.partition, m.offset)
    }

    /// The messages in order.
    pub fn iter(&self) -> impl Iterator<Item = MessageRef<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Where message `i`'s payload is in [`MessageBatch::payload_bytes`].
    pub fn payload_range(&self, i: usize) -> Option<Range<usize>> {
        self.metas[i].payload.clone()
    }

    /// Every payload, back to back in message order.
    pub fn payload_bytes(&self) -> &[u8] {
        &self.payloads
    }

    /// Bytes of keys, payloads and headers.
    pub fn size(&self) -> usize {
        self.payloads.len() + self.keys.len() + self.header_bytes
    }

    /// Takes the payload buffer out (the payloads read empty afterwards).
    pub fn take_payload_bytes(&mut self) -> Vec<u8> {
        for m in &mut self.metas {
            if m.payload.is_some() {
                m.payload = Some(0..0);
            }
        }
        std::mem::take(&mut self.payloads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_and_keys_round_trip() {
        let mut with_key = Message::new("t", 1, 7, b"{\"a\":1}".to_vec());
        with_key.key = Some(b"k".to_vec());
        let tombstone = Message {
            payload: None,
            ..Message::new("t", 0, 8, Vec::new())
        };
        let b = MessageBatch::from_messages(&[with_key, tombstone, Message::new("u", 2, 9, "x")]);
        assert_eq!(b.len(), 3);
        assert_eq!(b.get(0).payload, Some(&b"{\"a\":1}"[..]));
        assert_eq!(b.get(0).key, Some(&b"k"[..]));
        assert_eq!(b.get(1).payload, None);
        assert_eq!(b.get(2).payload, Some(&b"x"[..]));
        assert_eq!(&**b.get(2).topic, "u");
        assert_eq!(&**b.get(1).topic, "t");
        assert_eq!(b.position(2), (b.get(2).topic, 2, 9));
        assert!(!b.has_headers());
        let mut with_header = Message::new("t", 0, 10, "y");
        with_header.headers = vec![("h".to_string(), None)];
        let h = MessageBatch::from_messages(&[Message::new("t", 0, 9, "x"), with_header]);
        assert!(h.has_headers());
        assert_eq!(h.get(1).headers, &[("h".to_string(), None)]);
        assert_eq!(b.payload_bytes(), b"{\"a\":1}x");
        assert_eq!(b.payload_range(2), Some(7..8));
        assert_eq!(b.size(), 9);
    }
}
