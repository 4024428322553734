//! [`Fetched`]: the messages one batch call returned, destroyed when it is dropped, and
//! [`FetchedMessage`]: one of them, borrowed.

use std::ffi::{CStr, c_char, c_void};
use std::marker::PhantomData;

use rdkafka::bindings as rdsys;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// The messages of one batch call ([`crate::FetchQueue::consume`]), in queue order. They
/// borrow the queue (so they cannot outlive the consumer) and are handed back to
/// librdkafka (`rd_kafka_message_destroy`) when this value is dropped.
pub struct Fetched<'q> {
    pub(crate) messages: &'q mut Vec<*mut rdsys::rd_kafka_message_t>,
}

impl<'q> Fetched<'q> {
    /// Number of messages (fetch errors included).
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True when the call returned nothing.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Message `i` (panics when out of range, like indexing).
    pub fn get(&self, i: usize) -> FetchedMessage<'_> {
        FetchedMessage {
            ptr: self.messages[i],
            _batch: PhantomData,
        }
    }

    /// The messages in order.
    pub fn iter(&self) -> impl Iterator<Item = FetchedMessage<'_>> {
        self.messages.iter().map(|&ptr| FetchedMessage {
            ptr,
            _batch: PhantomData,
        })
    }
}

impl Drop for Fetched<'_> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        for ptr in self.messages.drain(..) {
            // SAFETY: every pointer in the list was returned by
            // `rd_kafka_consume_batch_queue` for this batch and is destroyed exactly once:
            // `drain` removes it from the list, and no `FetchedMessage` can outlive the
            // `Fetched` it borrows.
            unsafe { rdsys::rd_kafka_message_destroy(ptr) };
        }
    }
}

/// One message of a [`Fetched`] batch.
#[derive(Clone, Copy)]
pub struct FetchedMessage<'a> {
    ptr: *mut rdsys::rd_kafka_message_t,
    _batch: PhantomData<&'a Fetched<'a>>,
}

impl<'a> FetchedMessage<'a> {
    /// The message's public fields.
    #[allow(unsafe_code)]
    fn raw(&self) -> &'a rdsys::rd_kafka_message_t {
        // SAFETY: the pointer is a live message of the batch this value borrows (see
        // `Fetched::drop`); librdkafka does not write the public `rd_kafka_message_t`
        // fields of a message it handed to the application.
        unsafe { &*self.ptr }
    }

    /// The topic's name (empty if librdkafka has none or it is not UTF-8, which Kafka's
    /// topic name rules exclude).
    #[allow(unsafe_code)]
    pub fn topic(&self) -> &'a str {
        let rkt = self.raw().rkt;
        if rkt.is_null() {
            return "";
        }
        // SAFETY: `rkt` is the message's topic handle, kept alive by the message; the
        // name is a NUL-terminated string owned by the topic.
        let name = unsafe { rdsys::rd_kafka_topic_name(rkt) };
        if name.is_null() {
            return "";
        }
        // SAFETY: non-null and NUL-terminated (above); lives as long as the topic handle.
        unsafe { CStr::from_ptr(name) }.to_str().unwrap_or("")
    }

    /// True when `other` (a message of the same batch) is of the same topic: compares the
    /// topic handles, which the batch's messages keep alive, instead of the names.
    pub fn same_topic(&self, other: &FetchedMessage<'_>) -> bool {
        std::ptr::eq(self.raw().rkt, other.raw().rkt)
    }

    /// Partition.
    pub fn partition(&self) -> i32 {
        self.raw().partition
    }

    /// Offset.
    pub fn offset(&self) -> i64 {
        self.raw().offset
    }

    /// Key (`None`: null key).
    pub fn key(&self) -> Option<&'a [u8]> {
        let m = self.raw();
        bytes(m.key, m.key_len)
    }

    /// Payload (`None`: tombstone; for a fetch error, librdkafka's error text).
    pub fn payload(&self) -> Option<&'a [u8]> {
        let m = self.raw();
        bytes(m.payload, m.len)
    }

    /// Timestamp in milliseconds since the epoch, `None` when the message has none (the
    /// `rdkafka` crate's `Timestamp::to_millis`).
    #[allow(unsafe_code)]
    pub fn timestamp_ms(&self) -> Option<i64> {
        let mut kind = rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: a live message (see `raw`); `kind` is a valid place to write to.
        let ts = unsafe { rdsys::rd_kafka_message_timestamp(self.ptr, &mut kind) };
        match kind {
            _ if ts == -1 => None,
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE => None,
            _ => Some(ts),
        }
    }

    /// The fetch error this message reports instead of data, as the `rdkafka` crate's
    /// `BaseConsumer::poll` reports it (`PartitionEOF`, else `MessageConsumption`).
    pub fn error(&self) -> Option<KafkaError> {
        let m = self.raw();
        match m.err {
            rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => None,
            rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF => {
                Some(KafkaError::PartitionEOF(m.partition))
            }
            e => Some(KafkaError::MessageConsumption(RDKafkaErrorCode::from(e))),
        }
    }

    /// The headers in order (`None` value: a null header value). librdkafka parses the
    /// message's header block on each call.
    #[allow(unsafe_code)]
    pub fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        let mut hdrs: *mut rdsys::rd_kafka_headers_t = std::ptr::null_mut();
        // SAFETY: a live message; `hdrs` is a valid place for the returned pointer, which
        // stays owned by the message.
        let err = unsafe { rdsys::rd_kafka_message_headers(self.ptr, &mut hdrs) };
        if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || hdrs.is_null() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for idx in 0.. {
            let mut name: *const c_char = std::ptr::null();
            let mut value: *const c_void = std::ptr::null();
            let mut size = 0usize;
            // SAFETY: `hdrs` is the message's header list (above); the out-pointers are
            // valid places; an index past the end returns an error and writes nothing.
            let err = unsafe {
                rdsys::rd_kafka_header_get_all(hdrs, idx, &mut name, &mut value, &mut size)
            };
            if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
                break;
            }
            // SAFETY: a header name is a NUL-terminated string owned by the header list.
            let name = unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned();
            out.push((name, bytes(value.cast_mut(), size).map(<[u8]>::to_vec)));
        }
        out
    }
}

/// `len` bytes at `ptr` (`None` for a null pointer), borrowed for the message's lifetime.
#[allow(unsafe_code)]
fn bytes<'a>(ptr: *mut c_void, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: librdkafka's key, payload and header values are `len` readable bytes owned
    // by the message (or its fetch buffer), which outlives `'a` (the batch borrow).
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}
